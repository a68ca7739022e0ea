"""Baselines for sparse regression on random supports.

Every function takes ``(X, y, ...)``, fits an intercept by centring and
returns ``(coef, intercept)`` in the original features, so the benchmark
scores all methods the same way. ``METHODS`` maps the names used in the
experiments to callables ``f(X, y, *, n_informative, noise, random_state)``.
Optional packages (abess, skglm) are used only when installed.
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "lasso_cv",
    "omp",
    "omp_cv",
    "lasso_lars_ic",
    "iht",
    "cosamp",
    "factor_adjusted_lasso",
    "oracle_ols",
    "abess_best_subset",
    "skglm_mcp",
    "METHODS",
    "available_methods",
]


def _centre(X, y):
    x_mean, y_mean = X.mean(axis=0), float(y.mean())
    return X - x_mean, y - y_mean, x_mean, y_mean


def _with_intercept(coef, x_mean, y_mean):
    return coef, y_mean - float(x_mean @ coef)


def _folds(cv, random_state):
    from sklearn.model_selection import KFold

    return KFold(n_splits=cv, shuffle=True, random_state=random_state)


def lasso_cv(X, y, *, refit=False, cv=5, n_alphas=40, random_state=None):
    """scikit-learn's ``LassoCV`` (shuffled K folds), optionally followed by OLS on its support.

    Returns
    -------
    coef : ndarray of shape (n_features,)
    intercept : float
    """
    from sklearn.linear_model import LassoCV

    Xc, yc, x_mean, y_mean = _centre(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LassoCV(alphas=n_alphas, cv=_folds(cv, random_state), fit_intercept=False).fit(Xc, yc)
    coef = model.coef_.copy()
    support = np.flatnonzero(coef)
    if refit and 0 < support.size <= X.shape[0] // 2:
        coef[:] = 0.0
        coef[support] = np.linalg.lstsq(Xc[:, support], yc, rcond=None)[0]
    return _with_intercept(coef, x_mean, y_mean)


def omp(X, y, n_informative):
    """Orthogonal matching pursuit with the true sparsity k (an oracle-tuned baseline)."""
    from sklearn.linear_model import OrthogonalMatchingPursuit

    Xc, yc, x_mean, y_mean = _centre(X, y)
    model = OrthogonalMatchingPursuit(n_nonzero_coefs=n_informative, fit_intercept=False).fit(Xc, yc)
    return _with_intercept(model.coef_, x_mean, y_mean)


def omp_cv(X, y, *, cv=5, max_iter=None, random_state=None):
    """``OrthogonalMatchingPursuitCV``: the number of atoms chosen by K-fold CV."""
    from sklearn.linear_model import OrthogonalMatchingPursuitCV

    Xc, yc, x_mean, y_mean = _centre(X, y)
    max_iter = max_iter or max(1, min(X.shape[0] // 4, X.shape[1]))
    model = OrthogonalMatchingPursuitCV(cv=_folds(cv, random_state), max_iter=max_iter, fit_intercept=False).fit(Xc, yc)
    return _with_intercept(model.coef_, x_mean, y_mean)


def lasso_lars_ic(X, y, *, noise, criterion="bic"):
    """``LassoLarsIC`` with the known noise variance (required when N ≤ d)."""
    from sklearn.linear_model import LassoLarsIC

    Xc, yc, x_mean, y_mean = _centre(X, y)
    model = LassoLarsIC(criterion=criterion, noise_variance=noise**2, fit_intercept=False).fit(Xc, yc)
    return _with_intercept(model.coef_, x_mean, y_mean)


def _normalised(X):
    scale = np.linalg.norm(X, axis=0) / np.sqrt(X.shape[0])
    scale[scale == 0] = np.inf
    return X / scale, scale


def iht(X, y, n_informative, *, max_iter=500, tol=1e-8):
    """Normalised iterative hard thresholding (Blumensath & Davies 2010) on normalised columns.

    ``w ← H_k(w + μ Zᵀ(y − Zw))`` with the adaptive step ``μ = ‖g_S‖² / ‖Z_S g_S‖²``
    on the current support S (the exact line minimiser along the support
    gradient), halved until the loss does not increase. A fixed step
    ``1/‖Z‖²`` barely moves when one factor dominates the spectrum.
    """
    Xc, yc, x_mean, y_mean = _centre(X, y)
    Z, scale = _normalised(Xc)
    k = n_informative
    coef = np.zeros(Z.shape[1])
    support = np.argpartition(np.abs(Z.T @ yc), -k)[-k:]
    residual = yc.copy()
    for _ in range(max_iter):
        gradient = Z.T @ residual
        on_support = np.zeros_like(gradient)
        on_support[support] = gradient[support]
        denominator = np.linalg.norm(Z @ on_support) ** 2
        step = np.linalg.norm(on_support) ** 2 / denominator if denominator > 0 else 0.0
        loss = residual @ residual
        for _ in range(30):
            update = coef + step * gradient
            keep = np.argpartition(np.abs(update), -k)[-k:]
            new = np.zeros_like(coef)
            new[keep] = update[keep]
            new_residual = yc - Z @ new
            if new_residual @ new_residual <= loss or step == 0.0:
                break
            step /= 2
        change = np.linalg.norm(new - coef)
        coef, residual, support = new, new_residual, keep
        if change <= tol * max(np.linalg.norm(coef), 1e-300):
            break
    return _with_intercept(coef / scale, x_mean, y_mean)


def cosamp(X, y, n_informative, *, max_iter=50, tol=1e-8):
    """CoSaMP (Needell & Tropp 2009): merge the 2k largest correlations, least squares, prune to k.

    Stops, keeping the better iterate, as soon as the residual stops decreasing
    (on ill-conditioned columns the unregularised least-squares step can
    otherwise blow up).
    """
    Xc, yc, x_mean, y_mean = _centre(X, y)
    Z, scale = _normalised(Xc)
    k = n_informative
    coef = np.zeros(Z.shape[1])
    residual = yc.copy()
    for _ in range(max_iter):
        candidates = np.union1d(np.argpartition(np.abs(Z.T @ residual), -2 * k)[-2 * k:], np.flatnonzero(coef))
        solution = np.linalg.lstsq(Z[:, candidates], yc, rcond=None)[0]
        keep = np.argpartition(np.abs(solution), -k)[-k:]
        new = np.zeros_like(coef)
        new[candidates[keep]] = solution[keep]
        new_residual = yc - Z @ new
        if np.linalg.norm(new_residual) >= (1 - tol) * np.linalg.norm(residual):
            break  # no progress: keep the current (better) iterate
        coef, residual = new, new_residual
    return _with_intercept(coef / scale, x_mean, y_mean)


def factor_adjusted_lasso(X, y, *, max_factors=10, cv=5, random_state=None):
    """FarmSelect-style one-level factor adjustment (Fan, Ke & Wang 2020).

    K factors by the eigenvalue-ratio rule on the normalised design, OLS on
    the factors, LassoCV on the factor-adjusted (projected) columns; the
    one-level ancestor of :class:`~sigrec.regression.RandomSupportRegression`'s
    ``dictionary="peel"``.
    """
    from sklearn.linear_model import LassoCV

    Xc, yc, x_mean, y_mean = _centre(X, y)
    Z, scale = _normalised(Xc)
    n = Z.shape[0]
    left, singular, _ = np.linalg.svd(Z, full_matrices=False)
    eigen = singular**2
    upper = max(1, min(max_factors, eigen.size - 1))
    ratios = eigen[:upper] / np.maximum(eigen[1 : upper + 1], 1e-300)
    n_factors = int(np.argmax(ratios)) + 1
    factors = np.sqrt(n) * left[:, :n_factors]  # Fᵀ F = N I
    factor_coef = factors.T @ yc / n
    adjusted = Z - factors @ (factors.T @ Z) / n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lasso = LassoCV(alphas=40, cv=_folds(cv, random_state), fit_intercept=False)
        residual_coef = lasso.fit(adjusted, yc - factors @ factor_coef).coef_
    # F = Z a with a = √N Zᵀ p / s²; fitted values F b + Z c − F (Fᵀ Z c)/N.
    atoms = np.sqrt(n) * (Z.T @ left[:, :n_factors]) / eigen[:n_factors]
    weights = atoms @ (factor_coef - factors.T @ (Z @ residual_coef) / n) + residual_coef
    return _with_intercept(weights / scale, x_mean, y_mean)


def oracle_ols(X, y, support):
    """OLS on the true support (the reference ≈ σ²k/N)."""
    Xc, yc, x_mean, y_mean = _centre(X, y)
    coef = np.zeros(X.shape[1])
    coef[support] = np.linalg.lstsq(Xc[:, support], yc, rcond=None)[0]
    return _with_intercept(coef, x_mean, y_mean)


def abess_best_subset(X, y, *, max_support=None, cv=5):
    """abess splicing best-subset selection with CV (needs ``pip install abess``)."""
    from abess import LinearRegression

    max_support = max_support or max(2, X.shape[0] // 4)
    model = LinearRegression(support_size=range(0, max_support), cv=cv).fit(X, y)
    return np.asarray(model.coef_, dtype=float), float(model.intercept_)


def skglm_mcp(X, y, *, alpha=None, gamma=3.0):
    """skglm's MCP regression (needs ``pip install skglm``); α defaults to the universal σ̂√(2 log d / N)."""
    from skglm import MCPRegression

    Xc, yc, x_mean, y_mean = _centre(X, y)
    Z, scale = _normalised(Xc)
    alpha = alpha or float(np.std(yc)) * np.sqrt(2 * np.log(X.shape[1]) / X.shape[0])
    model = MCPRegression(alpha=alpha, gamma=gamma, fit_intercept=False).fit(Z, yc)
    return _with_intercept(model.coef_ / scale, x_mean, y_mean)


def _rsp(dictionary, refit=False):
    def fit(X, y, *, n_informative, noise, random_state):
        from sigrec.regression import RandomSupportRegression

        model = RandomSupportRegression(dictionary=dictionary, refit=refit, random_state=random_state).fit(X, y)
        return model.coef_, model.intercept_

    return fit


# name -> (callable(X, y, *, n_informative, noise, random_state), optional dependency)
METHODS = {
    "rsp_union": (_rsp("union"), None),
    "rsp_peel": (_rsp("peel"), None),
    "rsp_peel_refit": (_rsp("peel", refit=True), None),
    "lasso_cv": (lambda X, y, *, n_informative, noise, random_state: lasso_cv(X, y, random_state=random_state), None),
    "lasso_refit": (
        lambda X, y, *, n_informative, noise, random_state: lasso_cv(X, y, refit=True, random_state=random_state),
        None,
    ),
    "omp": (lambda X, y, *, n_informative, noise, random_state: omp(X, y, n_informative), None),
    "omp_cv": (lambda X, y, *, n_informative, noise, random_state: omp_cv(X, y, random_state=random_state), None),
    "lasso_lars_bic": (lambda X, y, *, n_informative, noise, random_state: lasso_lars_ic(X, y, noise=noise), None),
    "iht": (lambda X, y, *, n_informative, noise, random_state: iht(X, y, n_informative), None),
    "cosamp": (lambda X, y, *, n_informative, noise, random_state: cosamp(X, y, n_informative), None),
    "farmselect": (
        lambda X, y, *, n_informative, noise, random_state: factor_adjusted_lasso(X, y, random_state=random_state),
        None,
    ),
    "abess": (lambda X, y, *, n_informative, noise, random_state: abess_best_subset(X, y), "abess"),
    "skglm_mcp": (lambda X, y, *, n_informative, noise, random_state: skglm_mcp(X, y), "skglm"),
}


def available_methods():
    """Names in ``METHODS`` whose optional dependency is installed."""
    return [name for name, (_, dependency) in METHODS.items()
            if dependency is None or importlib.util.find_spec(dependency) is not None]
