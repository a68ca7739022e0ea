"""Phase 2: Lasso over the preconditioned dictionary, with cross-validation and an optional refit."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, lasso_path
from sklearn.model_selection import KFold

from sigrec._validation import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    check_random_generator,
    validate_data,
)
from sigrec.regression._peeling import SubspacePeeling

__all__ = ["RandomSupportRegression", "cross_validated_lasso"]


def _refit_coefficients(dictionary, target, support, max_size):
    """OLS on the selected atoms (relaxed Lasso, γ = 0); None when the support is empty or too large."""
    if support.size == 0 or support.size > max_size:
        return None
    coefficients = np.zeros(dictionary.shape[1])
    coefficients[support] = np.linalg.lstsq(dictionary[:, support], target, rcond=None)[0]
    return coefficients


def cross_validated_lasso(dictionary, target, *, alphas, folds, refit_options=(False,), max_iter=1000, tol=1e-4):
    """K-fold CV of ``(1/2N)‖y − Zc‖² + α‖c‖₁`` over ``alphas``, with and without an OLS refit.

    Data are expected centred (no intercept is fitted). The refit (OLS on
    the atoms selected at α) is scored only when it selects between 1 and
    half the training rows.

    Parameters
    ----------
    dictionary : ndarray of shape (n_samples, n_atoms)
    target : ndarray of shape (n_samples,)
    alphas : ndarray of shape (n_alphas,)
        Decreasing.
    folds : list of (train, test) index arrays
    refit_options : tuple of bool
        Which of "no refit" (False) and "refit" (True) to score.
    max_iter, tol : coordinate-descent settings.

    Returns
    -------
    mse : ndarray of shape (n_alphas, len(refit_options))
        Mean held-out squared error (inf where a refit was not possible in some fold).
    """
    mse = np.zeros((alphas.size, len(refit_options)))
    for train, test in folds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            _, path, _ = lasso_path(dictionary[train], target[train], alphas=alphas, max_iter=max_iter, tol=tol)
        for index in range(alphas.size):
            coefficients = path[:, index]
            for option, refit in enumerate(refit_options):
                if refit:
                    coefficients = _refit_coefficients(
                        dictionary[train], target[train], np.flatnonzero(path[:, index]), train.size // 2
                    )
                    if coefficients is None:
                        mse[index, option] = np.inf
                        continue
                residual = target[test] - dictionary[test] @ coefficients
                mse[index, option] += residual @ residual / (test.size * len(folds))
    return mse


class RandomSupportRegression(RegressorMixin, BaseEstimator):
    """Sparse linear regression for ill-conditioned designs: heavy-subspace peeling, then Lasso.

    Phase 1 (:class:`SubspacePeeling`, label-free) finds the directions in
    which a random support's columns are nearly dependent (common factors,
    hierarchies, random walks) and turns them into a few extra atoms; Phase
    2 runs a cross-validated Lasso over the preconditioned dictionary and
    maps the solution back to the original features. On designs where
    plain Lasso collapses (cancelling coefficients on a factor design) this
    restores a prediction error that falls with N; on benign designs
    nothing is peeled and it is the plain (column-normalised) Lasso.

    Parameters
    ----------
    dictionary : {"union", "peel"}, default="union"
        ``"union"``: Lasso over ``[normalised columns | factor atoms |
        residual columns]``, equal penalty (the note's default: never much
        worse than Lasso). ``"peel"``: factor atoms unpenalised (OLS, exact
        because they are orthogonal to the residual columns), Lasso over the
        residual columns only (FarmSelect-like; can over-peel).
    alpha : float, optional
        Lasso penalty in scikit-learn's scaling ``(1/2N)‖y − Zc‖² + α‖c‖₁``.
        Default: chosen by K-fold CV.
    cv : int or cross-validation splitter, default=5
        Folds: an int gives shuffled K folds seeded by ``random_state``; a
        splitter (e.g. the ``KFold`` given to a LassoCV baseline) shares its folds.
    n_alphas : int, default=40
    eps : float, default=1e-3
        Grid from ``α_max = ‖Zᵀy‖_∞/N`` down to ``eps·α_max``, geometric.
    refit : False, True or "cv", default=False
        OLS refit on the selected atoms; ``"cv"`` lets CV choose.
    sparsity_hint, heavy_threshold, max_levels, max_peeled, residual_tol
        Phase 1 settings, see :class:`SubspacePeeling`.
    n_probes : int, default=200
        Random supports of Phase 1's conditioning diagnostic (0 skips it;
        at N = 400, d = 1000 it is most of Phase 1's time).
    fit_intercept : bool, default=True
        Centre X and y before Phase 1 (then ``intercept_ = ȳ − x̄ᵀŵ``).
    max_iter : int, default=1000
    tol : float, default=1e-4
        Coordinate-descent settings of the Lasso (scikit-learn's defaults).
    random_state : int, Generator or None
        CV folds and the Phase 1 conditioning diagnostic.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        ŵ in the original features. Dense: factor atoms are dense in
        coefficient space; this estimator targets prediction, not support
        recovery.
    intercept_ : float
    alpha_ : float
    refit_ : bool
        Whether the final model is the OLS refit.
    dictionary_coef_ : ndarray of shape (n_atoms,)
        ĉ over the dictionary.
    peeling_ : SubspacePeeling
        The fitted Phase 1 (``levels_``, ``support_conditioning_``, ...).
    cv_mse_ : ndarray of shape (n_alphas, n_refit_options) or None
    alphas_ : ndarray or None
    n_iter_ : int
        Coordinate-descent epochs of the final Lasso fit.
    n_features_in_ : int

    Notes
    -----
    Chandrasekaran, Meka & Stavropoulos, "Sparse Linear Regression is Easy
    on Random Supports", arXiv:2511.06211 (2025). The paper is theoretical;
    both phases here are the practical reconstruction in sigrec's research
    note (PCA-threshold peeling, CV-penalised Lasso), tested against the
    paper's qualitative claims, not its (unpublished) constants. Columns
    that are zero (after centring: constant columns) get coefficient 0.
    """

    _parameter_constraints = {
        "dictionary": [StrOptions({"union", "peel"})],
        "alpha": [None, Interval(Real, 0, None, closed="neither")],
        "cv": [Interval(Integral, 2, None, closed="left"), "cv_object"],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "refit": ["boolean", StrOptions({"cv"})],
        # Phase 1 settings are validated exactly as SubspacePeeling validates them.
        **{
            name: SubspacePeeling._parameter_constraints[name]
            for name in ("sparsity_hint", "heavy_threshold", "max_levels", "max_peeled", "residual_tol", "n_probes")
        },
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(
        self,
        *,
        dictionary="union",
        alpha=None,
        cv=5,
        n_alphas=40,
        eps=1e-3,
        refit=False,
        sparsity_hint=None,
        heavy_threshold=1.0,
        max_levels=8,
        max_peeled=None,
        residual_tol=1e-6,
        n_probes=200,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        random_state=None,
    ):
        self.dictionary = dictionary
        self.alpha = alpha
        self.cv = cv
        self.n_alphas = n_alphas
        self.eps = eps
        self.refit = refit
        self.sparsity_hint = sparsity_hint
        self.heavy_threshold = heavy_threshold
        self.max_levels = max_levels
        self.max_peeled = max_peeled
        self.residual_tol = residual_tol
        self.n_probes = n_probes
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Peel X, then fit the (cross-validated) Lasso over the preconditioned dictionary.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, ensure_min_samples=2)
        n = X.shape[0]
        rng = check_random_generator(self.random_state)
        # Separate streams: the folds do not depend on how many probes Phase 1 draws.
        fold_seed, probe_seed = (int(seed) for seed in rng.integers(2**31 - 1, size=2))
        x_mean = X.mean(axis=0) if self.fit_intercept else np.zeros(X.shape[1])
        y_mean = float(y.mean()) if self.fit_intercept else 0.0
        X_centred, y_centred = X - x_mean, y - y_mean
        peeling = SubspacePeeling(
            sparsity_hint=self.sparsity_hint,
            heavy_threshold=self.heavy_threshold,
            max_levels=self.max_levels,
            max_peeled=self.max_peeled,
            residual_tol=self.residual_tol,
            n_probes=self.n_probes,
            random_state=probe_seed,
        )
        peeling.n_features_in_ = X.shape[1]
        residual = peeling._fit_residuals(X_centred)  # Phase 1 sees X only
        self.peeling_ = peeling
        factors = X_centred @ peeling.atoms_
        n_factors = factors.shape[1]
        if self.dictionary == "peel":
            # Factors ⟂ residual columns: OLS on the factors and Lasso on the residuals decouple exactly.
            factor_coef = factors.T @ y_centred / n
            penalised, target = residual, y_centred - factors @ factor_coef
        else:
            normalised = np.zeros_like(X_centred)
            alive = peeling.column_scale_ > 0
            normalised[:, alive] = X_centred[:, alive] / peeling.column_scale_[alive]
            parts = [normalised, factors] + ([residual] if n_factors else [])
            penalised, target = np.hstack(parts), y_centred
        coefficients = self._fit_lasso(penalised, target, fold_seed)
        if self.dictionary == "peel":
            self.dictionary_coef_ = np.concatenate([factor_coef, coefficients])
            self.coef_ = peeling.coefficient_map(self.dictionary_coef_)
        else:
            self.dictionary_coef_ = coefficients
            d = X.shape[1]
            original = np.where(alive, coefficients[:d] / np.where(alive, peeling.column_scale_, 1.0), 0.0)
            self.coef_ = original + (peeling.coefficient_map(coefficients[d:]) if n_factors else 0.0)
        self.intercept_ = y_mean - float(x_mean @ self.coef_)
        return self

    def _fit_lasso(self, dictionary, target, fold_seed):
        n = dictionary.shape[0]
        refit_options = {False: (False,), True: (True,), "cv": (False, True)}[self.refit]
        self.cv_mse_ = self.alphas_ = None
        if self.alpha is None or len(refit_options) > 1:
            if self.alpha is None:
                alpha_max = np.abs(dictionary.T @ target).max() / n
                if alpha_max == 0:  # y ⟂ every atom: the zero model
                    self.alpha_, self.refit_, self.n_iter_ = 0.0, False, 0
                    return np.zeros(dictionary.shape[1])
                alphas = np.geomspace(alpha_max, self.eps * alpha_max, self.n_alphas)
            else:
                alphas = np.array([float(self.alpha)])
            if isinstance(self.cv, Integral):
                splitter = KFold(n_splits=min(self.cv, n), shuffle=True, random_state=fold_seed)
            else:
                splitter = self.cv
            folds = list(splitter.split(dictionary))
            mse = cross_validated_lasso(
                dictionary, target, alphas=alphas, folds=folds, refit_options=refit_options,
                max_iter=self.max_iter, tol=self.tol,
            )
            best_alpha, best_option = np.unravel_index(np.argmin(mse), mse.shape)
            self.cv_mse_, self.alphas_ = mse, alphas
            self.alpha_, self.refit_ = float(alphas[best_alpha]), bool(refit_options[best_option])
        else:
            self.alpha_, self.refit_ = float(self.alpha), bool(refit_options[0])
        # The final fit's ConvergenceWarning reaches the user (the CV paths' are silenced).
        lasso = Lasso(alpha=self.alpha_, fit_intercept=False, max_iter=self.max_iter, tol=self.tol)
        coefficients = lasso.fit(dictionary, target).coef_
        self.n_iter_ = int(lasso.n_iter_)
        if self.refit_:
            refitted = _refit_coefficients(dictionary, target, np.flatnonzero(coefficients), n // 2)
            if refitted is not None:
                coefficients = refitted
            else:
                self.refit_ = False
        return coefficients

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of :meth:`predict` on ``(X, y)``."""
        from sklearn.metrics import r2_score

        return r2_score(y, self.predict(X), sample_weight=sample_weight)

    def predict(self, X):
        """``X ŵ + intercept`` (Phase 1 is never re-run on new rows).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return X @ self.coef_ + self.intercept_
