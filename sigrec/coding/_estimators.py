"""Public ℓq sparse coding estimators and functions."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from sigrec._numba import resolve_engine
from sigrec._validation import (
    Interval,
    StrOptions,
    _fit_context,
    check_array,
    check_is_fitted,
    check_random_generator,
    validate_data,
)
from sigrec.coding._prox import PENALTIES, PENALTY_CODES

__all__ = ["sparse_encode", "LqSparseCoder", "LqDictionaryLearning", "alpha_for_sparsity"]

SOLVERS = ("auto", "cd", "ista", "fista")
# Step as a fraction of 1/L.  Convex l1 may use 1/L; the non-convex operators
# need eta < 1/L for descent, and CEL0 needs a_i^2 eta < 1 strictly.
_STEP_FRACTION = {"l1": 1.0, "l0": 0.99, "l1/2": 0.99, "l2/3": 0.99, "cel0": 0.99}


def default_solver(penalty):
    """The solver ``solver="auto"`` picks: coordinate descent, for every penalty.

    Exact coordinate minimisation with working sets is the fastest solver
    here for all five penalties, and for ℓ0 it does not stall the way IHT
    (ℓ0 proximal gradient) from zero does. For CEL0 the exact coordinate
    minimiser is the ℓ0 hard threshold at √(2α)/‖d_j‖ (see
    :mod:`sigrec.coding._kernels`), so CEL0 and ℓ0 coincide under "cd";
    CEL0's relaxation matters for proximal-gradient solvers: use
    ``solver="fista"`` or ``"ista"`` for CEL0 forward-backward splitting.
    Measured on held-out natural patches at mean ℓ0 = 16 (shipped
    dictionary): relative error ℓ1 0.136, ℓ0/CEL0 CD 0.053, CEL0 FISTA
    0.047, IHT 0.078, at about 10x the cost for FISTA.
    """
    if penalty not in PENALTIES:
        raise ValueError(f"unknown penalty {penalty!r}; expected one of {PENALTIES}")
    return "cd"


def check_dictionary(dictionary, name="dictionary"):
    """Validate a dictionary of shape (n_components, n_features) with no zero atom.

    Returns
    -------
    ndarray of shape (n_components, n_features), float64
    """
    dictionary = check_array(dictionary, name=name)
    norms = np.linalg.norm(dictionary, axis=1)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(
            f"{name} has {zero.size} atom(s) of zero norm (rows {zero[:5].tolist()}); every atom (row) must be non-zero"
        )
    return dictionary


class _GramCache:
    """Quantities of a dictionary that every encoding reuses."""

    def __init__(self, dictionary):
        self.dictionary = dictionary
        self.gram = dictionary @ dictionary.T
        self.column_norms = np.sqrt(np.diag(self.gram))
        self._lipschitz = None

    @property
    def lipschitz(self):
        """Largest eigenvalue of the Gram matrix, computed on first use (ISTA/FISTA only)."""
        if self._lipschitz is None:
            from scipy.linalg import eigvalsh
            from threadpoolctl import threadpool_limits

            n = self.gram.shape[0]
            # One eigenvalue of a K x K matrix: multi-threaded LAPACK only adds contention here.
            with threadpool_limits(1):
                self._lipschitz = float(eigvalsh(self.gram, subset_by_index=[n - 1, n - 1])[0])
        return self._lipschitz


def _encode(
    X,
    cache,
    *,
    penalty,
    alpha,
    solver,
    max_iter,
    tol,
    engine,
    init=None,
    working_set_step=24,
    device=None,
):
    """Core of :func:`sparse_encode` on validated arrays; returns (codes, n_iter, converged)."""
    if solver == "auto":
        # The torch engine runs proximal gradient only: monotone FISTA is its "auto".
        solver = "fista" if engine == "torch" else default_solver(penalty)
    correlations = X @ cache.dictionary.T
    n_samples, n_components = correlations.shape
    codes = np.zeros((n_samples, n_components)) if init is None else np.array(init, dtype=float, copy=True)
    if engine == "torch":
        from sigrec.coding._torch import torch_encode

        return torch_encode(
            X,
            cache,
            penalty=penalty,
            alpha=alpha,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            init=codes,
            device=device,
        )
    engine = resolve_engine(engine)
    if solver == "cd":
        if engine == "numba":
            from sigrec.coding._kernels import coordinate_descent

            gram = np.ascontiguousarray(cache.gram)
            n_iter, converged = coordinate_descent(
                PENALTY_CODES[penalty],
                gram,
                np.ascontiguousarray(correlations),
                codes,
                float(alpha),
                float(tol),
                int(max_iter),
                int(working_set_step),
            )
            return codes, n_iter, converged
        from sigrec.coding._proximal_gradient import cyclic_coordinate_descent

        return cyclic_coordinate_descent(
            cache.gram, correlations, codes, penalty=penalty, alpha=alpha, max_sweeps=max_iter, tol=tol
        )
    from sigrec.coding._proximal_gradient import proximal_gradient

    return proximal_gradient(
        cache.gram,
        correlations,
        np.einsum("ij,ij->i", X, X),
        codes,
        penalty=penalty,
        alpha=alpha,
        step=_STEP_FRACTION[penalty] / cache.lipschitz,
        column_norms=cache.column_norms,
        max_iter=max_iter,
        tol=tol,
        accelerated=solver == "fista",
    )


def _warn_unconverged(name, converged, max_iter, tol):
    """One ConvergenceWarning saying how many samples used the whole ``max_iter``."""
    n_failed = int(np.size(converged) - np.count_nonzero(converged))
    if n_failed:
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"{name}: {n_failed} of {np.size(converged)} samples did not reach tol={tol:g} within "
            f"max_iter={max_iter} iterations; their codes are the last iterate. Increase max_iter or loosen tol.",
            ConvergenceWarning,
            stacklevel=3,
        )


def _check_options(penalty, solver, engine, alpha):
    if penalty not in PENALTIES:
        raise ValueError(f"unknown penalty {penalty!r}; expected one of {PENALTIES}")
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; expected one of {SOLVERS}")
    if engine not in ("auto", "numba", "numpy", "torch"):
        raise ValueError(f"unknown engine {engine!r}; expected 'auto', 'numba', 'numpy' or 'torch'")
    if not (isinstance(alpha, Real) and math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be a finite non-negative number, got {alpha!r}")
    if engine == "torch" and solver == "cd":
        raise ValueError("engine='torch' runs ISTA/FISTA only; use solver='ista' or 'fista' ('auto' means 'fista')")


def sparse_encode(
    X,
    dictionary,
    *,
    penalty="l1",
    alpha=0.1,
    solver="auto",
    max_iter=1000,
    tol=1e-4,
    init=None,
    engine="auto",
    device=None,
    return_n_iter=False,
):
    """Sparse codes of ``X`` on ``dictionary`` for an ℓq penalty.

    Solves, for every row x of ``X``,

        min_c  ½ ‖x − Dᵀc‖² + α·R(c)

    with R the chosen penalty (see :class:`LqSparseCoder` for how α relates
    to the λ of the paper and of other libraries).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    dictionary : array-like of shape (n_components, n_features)
        Atoms as rows (scikit-learn's layout); no zero rows.
    penalty : {"l1", "l0", "l1/2", "l2/3", "cel0"}, default="l1"
    alpha : float, default=0.1
    solver : {"auto", "cd", "ista", "fista"}, default="auto"
        ``"cd"``: Gram coordinate descent with working sets (numba);
        ``"ista"``: proximal gradient with step 0.99/L (1/L for ℓ1);
        ``"fista"``: monotone FISTA; ``"auto"``: ``"cd"`` (see :func:`default_solver`).
    max_iter : int, default=1000
        Iterations (ISTA/FISTA) or sweeps (CD) per sample.
    tol : float, default=1e-4
        Relative stopping tolerance: CD stops a sample when its largest
        coefficient update is below ``tol`` times its largest coefficient
        (and no coordinate outside the working set violates its optimality
        test); ISTA/FISTA when the prox-gradient step moves it by less than
        ``tol`` relative. Use 1e-6 or below to match scikit-learn to many digits.
    init : array-like of shape (n_samples, n_components), optional
        Warm start.
    engine : {"auto", "numba", "numpy", "torch"}, default="auto"
        ``"numpy"`` runs the reference twins (CD becomes plain cyclic CD);
        ``"torch"`` runs batched ISTA/FISTA in PyTorch on ``device``.
    device : str, optional
        Torch device (``"cpu"``, ``"cuda"``) for ``engine="torch"``.
    return_n_iter : bool, default=False

    Returns
    -------
    codes : ndarray of shape (n_samples, n_components)
    n_iter : ndarray of int, shape (n_samples,)
        Only with ``return_n_iter``.
    """
    _check_options(penalty, solver, engine, alpha)
    dictionary = check_dictionary(dictionary)
    X = check_array(X, name="X")
    if X.shape[1] != dictionary.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but the dictionary atoms have {dictionary.shape[1]}")
    if init is not None:
        init = check_array(init, name="init")
        if init.shape != (X.shape[0], dictionary.shape[0]):
            raise ValueError(f"init must have shape {(X.shape[0], dictionary.shape[0])}, got {init.shape}")
    codes, n_iter, converged = _encode(
        X,
        _GramCache(dictionary),
        penalty=penalty,
        alpha=alpha,
        solver=solver,
        max_iter=max_iter,
        tol=tol,
        engine=engine,
        init=init,
        device=device,
    )
    _warn_unconverged("sparse_encode", converged, max_iter, tol)
    return (codes, n_iter) if return_n_iter else codes


class LqSparseCoder(TransformerMixin, BaseEstimator):
    """Sparse coding on a fixed dictionary with ℓ1, ℓ0, ℓ1/2, ℓ2/3 or CEL0 penalties.

    Same data layout as :class:`sklearn.decomposition.SparseCoder`: ``X``
    is (n_samples, n_features), the dictionary (n_components, n_features),
    and :meth:`transform` returns codes (n_samples, n_components) that solve

        min_c  ½ ‖x − Dᵀc‖² + α·R(c)

    for every sample, with

    ========  ==========================================  ====================
    penalty   α·R(c)                                      zero threshold
    ========  ==========================================  ====================
    l1        α Σ abs(c_i)                                τ = αη
    l0        α ‖c‖₀                                      √(2αη)
    l1/2      α Σ abs(c_i)^(1/2)                          (3/2)(αη)^(2/3)
    l2/3      α Σ abs(c_i)^(2/3)                          2(2αη/3)^(3/4)
    cel0      Σ φ(c_i; α, ‖d_i‖), the exact relaxation    √(2α)‖d_i‖η
              of α‖c‖₀ (same global minimisers)
    ========  ==========================================  ====================

    How α maps to other conventions: scikit-learn's ``SparseCoder``
    ``transform_alpha`` is α for ℓ1 (un-normalised ½‖·‖²); in the authors'
    code of Rentzeperis et al. (2023) soft thresholding uses λ = α, hard
    and half thresholding use λ/2 = α (their operators threshold at
    √(λη) and use Xu's λμ = λη), and CEL0 uses λ = α. Values of α are not
    comparable across penalties: compare at matched sparsity
    (:func:`alpha_for_sparsity`).

    Parameters
    ----------
    dictionary : array-like of shape (n_components, n_features)
        Atoms as rows; none may be zero.
    penalty : {"l1", "l0", "l1/2", "l2/3", "cel0"}, default="l1"
    alpha : float, default=0.1
    solver : {"auto", "cd", "ista", "fista"}, default="auto"
    max_iter : int, default=1000
    tol : float, default=1e-4
        See :func:`sparse_encode`.
    warm_start : bool, default=False
        When True, :meth:`transform` accepts ``init`` codes (e.g. from a
        previous call) as a starting point.
    engine : {"auto", "numba", "numpy", "torch"}, default="auto"
    device : str, optional
        Torch device for ``engine="torch"``.

    Attributes
    ----------
    n_components_ : int
    n_features_in_ : int
    column_norms_ : ndarray of shape (n_components,)

    Examples
    --------
    >>> import numpy as np
    >>> from sigrec.coding import LqSparseCoder
    >>> rng = np.random.default_rng(0)
    >>> D = rng.standard_normal((20, 8)); D /= np.linalg.norm(D, axis=1, keepdims=True)
    >>> x = 2.0 * D[3] - 1.5 * D[11]
    >>> codes = LqSparseCoder(D, penalty="cel0", alpha=0.05).fit_transform(x[None])
    >>> np.flatnonzero(codes[0]).tolist()
    [3, 11]
    """

    _parameter_constraints = {
        "dictionary": ["array-like"],
        "penalty": [StrOptions(set(PENALTIES))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "engine": [StrOptions({"auto", "numba", "numpy", "torch"})],
        "device": [None, str],
    }

    def __init__(
        self,
        dictionary,
        *,
        penalty="l1",
        alpha=0.1,
        solver="auto",
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        engine="auto",
        device=None,
    ):
        self.dictionary = dictionary
        self.penalty = penalty
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.engine = engine
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the dictionary and ``X``; precompute the Gram matrix.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        _check_options(self.penalty, self.solver, self.engine, self.alpha)
        dictionary = check_dictionary(self.dictionary)
        X = validate_data(self, X)
        if X.shape[1] != dictionary.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features but the dictionary atoms have {dictionary.shape[1]}")
        self._cache = _GramCache(dictionary)
        self.n_components_ = dictionary.shape[0]
        self.column_norms_ = self._cache.column_norms
        return self

    def transform(self, X, init=None):
        """Encode ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        init : array-like of shape (n_samples, n_components), optional
            Starting codes; only allowed with ``warm_start=True``.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        if init is not None:
            if not self.warm_start:
                raise ValueError("init codes are only used with warm_start=True")
            init = check_array(init, name="init")
            if init.shape != (X.shape[0], self.n_components_):
                raise ValueError(f"init must have shape {(X.shape[0], self.n_components_)}, got {init.shape}")
        codes, _, converged = _encode(
            X,
            self._cache,
            penalty=self.penalty,
            alpha=self.alpha,
            solver=self.solver,
            max_iter=self.max_iter,
            tol=self.tol,
            engine=self.engine,
            init=init,
            device=self.device,
        )
        _warn_unconverged(type(self).__name__, converged, self.max_iter, self.tol)
        return codes

    def objective(self, X, codes):
        """Per-sample objective ½‖x − Dᵀc‖² + α·R(c).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        from sigrec.coding._prox import penalty_value

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        residual = X - codes @ self._cache.dictionary
        return 0.5 * np.einsum("ij,ij->i", residual, residual) + penalty_value(
            self.penalty, codes, self.alpha, self._cache.column_norms
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # Contract-test hooks (tests/test_contract.py)
    @classmethod
    def _sigrec_test_instance(cls):
        rng = np.random.default_rng(0)
        return cls(rng.standard_normal((5, 3)))

    @classmethod
    def _sigrec_example_data(cls, rng):
        return rng.standard_normal((20, 3)), None

    def _sigrec_expected_failed_checks(self):
        # The dictionary fixes n_features (3 for the contract-test instance), as for
        # scikit-learn's SparseCoder, which scikit-learn tests with per-check dictionaries.
        width = "the dictionary fixes n_features; this check draws data of another width"
        checks = {
            name: width
            for name in (
                "check_estimators_overwrite_params",
                "check_n_features_in_after_fitting",
                "check_estimators_fit_returns_self",
                "check_positive_only_tag_during_fit",
                "check_readonly_memmap_input",
                "check_dtype_object",
                "check_estimators_dtypes",
                "check_fit2d_1sample",
                "check_fit2d_1feature",
                "check_fit_idempotent",
                "check_fit_check_is_fitted",
                "check_n_features_in",
            )
        }
        checks["check_transformer_n_iter"] = (
            "fit only validates and precomputes the Gram matrix; the iterations happen in transform"
        )
        return checks


def _alpha_guess(penalty, correlation):
    """α whose zero threshold equals ``correlation`` (unit-norm atoms, step 1)."""
    if penalty == "l1":
        return correlation
    if penalty in ("l0", "cel0"):
        return 0.5 * correlation**2
    if penalty == "l1/2":
        return (correlation / 1.5) ** 1.5
    return 1.5 * (correlation / 2.0) ** (4.0 / 3.0)  # l2/3


def alpha_for_sparsity(
    X,
    dictionary,
    target_l0,
    *,
    penalty="l1",
    solver="auto",
    tolerance=0.05,
    max_steps=30,
    search_tol=1e-4,
    **encode_kwargs,
):
    """Find α so that the mean number of non-zeros per sample matches ``target_l0``.

    α values are not comparable across penalties; matched sparsity is the
    fair comparison. The search starts from the α whose zero threshold
    equals the median over samples of the ``target_l0``-th largest
    correlation abs(D x) (a good guess for every penalty), brackets the target
    geometrically, then uses regula falsi on log α vs log ℓ0 (mean ℓ0 falls
    roughly like a power of α). ℓ1 probes warm-start from the previous
    codes; non-convex ones start from zero, as :func:`sparse_encode` does,
    so the returned ℓ0 is what a plain call at that α gives (at
    ``search_tol``; pass the same ``tol`` to :func:`sparse_encode`).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    dictionary : array-like of shape (n_components, n_features)
    target_l0 : float
        Wanted mean number of non-zero coefficients per sample (> 0).
    penalty, solver : see :func:`sparse_encode`
    tolerance : float, default=0.05
        Relative tolerance on the mean ℓ0.
    max_steps : int, default=30
        Maximum number of encodings.
    search_tol : float, default=1e-4
        Solver tolerance while searching.
    **encode_kwargs
        Passed to the solver (``max_iter``, ``engine``, ``device``).

    Returns
    -------
    alpha : float
    mean_l0 : float
        The mean ℓ0 reached at ``alpha`` (encoded at ``search_tol``).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    dictionary = check_dictionary(dictionary)
    X = check_array(X, name="X")
    if X.shape[1] != dictionary.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but the dictionary atoms have {dictionary.shape[1]}")
    if not 0 < target_l0 < dictionary.shape[0]:
        raise ValueError(f"target_l0 must be in (0, n_components={dictionary.shape[0]}), got {target_l0}")
    engine = encode_kwargs.get("engine", "auto")
    _check_options(penalty, solver, engine, 0.0)
    cache = _GramCache(dictionary)
    correlations = np.abs(X @ dictionary.T) / cache.column_norms
    rank = min(max(int(round(target_l0)), 1), dictionary.shape[0]) - 1
    kth = np.median(-np.partition(-correlations, rank, axis=1)[:, rank])
    codes = None

    def mean_l0(alpha):
        nonlocal codes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            codes, _, _ = _encode(
                X,
                cache,
                penalty=penalty,
                alpha=alpha,
                solver=solver,
                max_iter=encode_kwargs.get("max_iter", 1000),
                tol=search_tol,
                engine=engine,
                device=encode_kwargs.get("device"),
                # Warm starts only for the convex l1: non-convex solutions depend on the
                # starting point, and the reported l0 must be the one a cold start gives.
                init=codes if penalty == "l1" else None,
            )
        return float(np.count_nonzero(codes, axis=1).mean())

    def close_enough(reached):
        return abs(reached - target_l0) <= tolerance * target_l0

    log_alpha = math.log(max(_alpha_guess(penalty, max(kth, 1e-12)), 1e-300))
    reached = mean_l0(math.exp(log_alpha))
    steps = 1
    best = (math.exp(log_alpha), reached)
    if close_enough(reached):
        return best
    # Bracket: (low, l0 above target) and (high, l0 below target), stepping by a factor 4.
    low = high = None
    if reached > target_l0:
        low = (log_alpha, reached)
    else:
        high = (log_alpha, reached)
    while (low is None or high is None) and steps < max_steps:
        log_alpha += math.log(4.0) if high is None else -math.log(4.0)
        reached = mean_l0(math.exp(log_alpha))
        steps += 1
        if abs(reached - target_l0) < abs(best[1] - target_l0):
            best = (math.exp(log_alpha), reached)
        if close_enough(reached):
            return best
        if reached > target_l0:
            low = (log_alpha, reached)
        else:
            high = (log_alpha, reached)
    while steps < max_steps and low is not None and high is not None:
        # Regula falsi on log l0 (with +0.5 so an all-zero code stays finite), bisection as a fallback.
        f_low, f_high = math.log(low[1] + 0.5), math.log(high[1] + 0.5)
        goal = math.log(target_l0 + 0.5)
        if f_low > f_high and steps % 3 != 0:
            log_alpha = low[0] + (f_low - goal) * (high[0] - low[0]) / (f_low - f_high)
            log_alpha = min(max(log_alpha, low[0] + 0.05 * (high[0] - low[0])), high[0] - 0.05 * (high[0] - low[0]))
        else:
            log_alpha = 0.5 * (low[0] + high[0])
        reached = mean_l0(math.exp(log_alpha))
        steps += 1
        if abs(reached - target_l0) < abs(best[1] - target_l0):
            best = (math.exp(log_alpha), reached)
        if close_enough(reached):
            return best
        if reached > target_l0:
            low = (log_alpha, reached)
        else:
            high = (log_alpha, reached)
    return best


class LqDictionaryLearning(TransformerMixin, BaseEstimator):
    """Mini-batch dictionary learning with ℓq sparse codes (Olshausen–Field style).

    Each step draws a batch, encodes it with :func:`sparse_encode` on the
    current dictionary, then takes a gradient step on
    ½‖X_batch − C D‖²_F / batch_size with respect to D and renormalises the
    atoms to unit norm (the scale ambiguity between codes and atoms would
    otherwise let the penalty shrink to nothing).

    Parameters
    ----------
    n_components : int, default=256
        Number of atoms.
    penalty : {"l1", "l0", "l1/2", "l2/3", "cel0"}, default="l1"
    alpha : float, default=0.1
    batch_size : int, default=250
    n_iter : int, default=500
        Number of mini-batch steps in :meth:`fit`.
    learning_rate : float, default=1.0
        Step of the dictionary update, relative to 1/‖C‖² of the batch codes
        (a per-batch Lipschitz step, so it does not depend on the data scale).
    solver, max_iter, tol, engine, device
        Passed to the coder; ``max_iter`` default 200 per batch.
    random_state : int, RandomState, Generator or None
        Initial dictionary (Gaussian, normalised) and batch draws.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Unit-norm atoms.
    n_iter_ : int
        Mini-batch steps taken (accumulates over :meth:`partial_fit` calls).
    n_features_in_ : int
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "penalty": [StrOptions(set(PENALTIES))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "solver": [StrOptions(set(SOLVERS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "engine": [StrOptions({"auto", "numba", "numpy", "torch"})],
        "device": [None, str],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(
        self,
        n_components=256,
        *,
        penalty="l1",
        alpha=0.1,
        batch_size=250,
        n_iter=500,
        learning_rate=1.0,
        solver="auto",
        max_iter=200,
        tol=1e-4,
        engine="auto",
        device=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.penalty = penalty
        self.alpha = alpha
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.learning_rate = learning_rate
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.engine = engine
        self.device = device
        self.random_state = random_state

    def _step(self, batch):
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        cache = _GramCache(self.components_)
        with warnings.catch_warnings():
            # Early batches on a random dictionary rarely converge; that is expected in SGD.
            warnings.simplefilter("ignore", ConvergenceWarning)
            codes, _, _ = _encode(
                batch,
                cache,
                penalty=self.penalty,
                alpha=self.alpha,
                solver=self.solver,
                max_iter=self.max_iter,
                tol=self.tol,
                engine=self.engine,
                device=self.device,
            )
        residual = batch - codes @ self.components_
        code_energy = float(np.linalg.norm(codes, 2) ** 2) if np.any(codes) else 0.0
        if code_energy > 0:
            # Gradient step on 1/2 ||X - C D||^2 with step learning_rate / ||C||_2^2 (its Lipschitz constant).
            self.components_ += (self.learning_rate / code_energy) * (codes.T @ residual)
        norms = np.linalg.norm(self.components_, axis=1, keepdims=True)
        dead = norms[:, 0] < 1e-12
        if dead.any():
            # Re-seed atoms that collapsed with random training samples.
            rng = self._rng
            self.components_[dead] = batch[rng.integers(0, batch.shape[0], dead.sum())]
            norms = np.linalg.norm(self.components_, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
        self.components_ /= norms
        self.n_iter_ += 1
        return 0.5 * float(np.mean(np.einsum("ij,ij->i", residual, residual)))

    def _initialise(self, n_features):
        self._rng = check_random_generator(self.random_state)
        atoms = self._rng.standard_normal((self.n_components, n_features))
        self.components_ = atoms / np.linalg.norm(atoms, axis=1, keepdims=True)
        self.n_iter_ = 0
        self.batch_losses_ = []

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the dictionary from ``X`` with ``n_iter`` mini-batch steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        _check_options(self.penalty, self.solver, self.engine, self.alpha)
        X = validate_data(self, X, ensure_min_samples=2)
        self._initialise(X.shape[1])
        for _ in range(self.n_iter):
            rows = self._rng.choice(X.shape[0], size=min(self.batch_size, X.shape[0]), replace=False)
            self.batch_losses_.append(self._step(X[rows]))
        return self

    def partial_fit(self, X, y=None):
        """One mini-batch step on ``X`` (the whole of ``X`` is the batch).

        Returns
        -------
        self
        """
        first = not hasattr(self, "components_")
        if first:
            self._validate_params()
            _check_options(self.penalty, self.solver, self.engine, self.alpha)
        X = validate_data(self, X, reset=first)
        if first:
            self._initialise(X.shape[1])
        self.batch_losses_.append(self._step(X))
        return self

    def transform(self, X):
        """Codes of ``X`` on the learned dictionary (same penalty and α).

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            codes, _, _ = _encode(
                X,
                _GramCache(self.components_),
                penalty=self.penalty,
                alpha=self.alpha,
                solver=self.solver,
                max_iter=max(self.max_iter, 1000),
                tol=min(self.tol, 1e-4),
                engine=self.engine,
                device=self.device,
            )
        return codes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    @classmethod
    def _sigrec_test_instance(cls):
        return cls(n_components=4, n_iter=5, batch_size=10, random_state=0)

    @classmethod
    def _sigrec_example_data(cls, rng):
        return rng.standard_normal((20, 5)), None
