"""Blind gain calibration estimators.

Model (Cambareri & Jacques, "Through the Haze", 2018): sensor ``i`` records
``y_r = g_i ⟨a_r, x⟩ + ν_r`` for each of its sensing rows ``a_r``; the signal
``x`` and the positive gains ``g`` (mean one, which fixes the scale
ambiguity ``(x/λ, λg)``) are unknown.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from sigrec._validation import (
    ConvergenceWarning,
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    validate_data,
    warn_not_converged,
)
from sigrec.calibration._design import back_projection, check_sensors, power_of_two_scale, row_weights
from sigrec.calibration._projection import project_mean_one_box
from sigrec.calibration.bases import orthonormal_basis

__all__ = ["BlindGainCalibration", "LinearizedGainCalibration", "linearized_least_squares", "exact_line_step"]

# Recompute the row products from scratch this often: they are otherwise
# updated incrementally (u ← u − t·A d), which accumulates rounding.
_REFRESH_PRODUCTS_EVERY = 50


class _GainCalibrationBase(RegressorMixin, BaseEstimator):
    """Shared validation, prediction and scoring for gain-calibration estimators."""

    def _validate_fit_data(self, X, y, sensors, n_sensors=None):
        # One row cannot determine a gain and a signal; scikit-learn words the error.
        X, y = validate_data(self, X, y, ensure_min_samples=2)
        if n_sensors is None:
            n_sensors = self.n_sensors
        sensors, n_sensors = check_sensors(sensors, X.shape[0], n_sensors=n_sensors)
        return X, y, sensors, n_sensors

    def predict(self, X, sensors=None):
        """Noiseless measurements ``g_{s(r)} ⟨a_r, x̂⟩`` of new sensing rows.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Sensing vectors, one per row.
        sensors : array-like of int of shape (n_rows,), optional
            Sensor of each row; defaults to the snapshot-major layout when
            ``n_sensors`` was set.

        Returns
        -------
        ndarray of shape (n_rows,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        sensors = self._predict_sensors(sensors, X.shape[0])
        return self.gains_[sensors] * (X @ self.coef_)

    def _predict_sensors(self, sensors, n_rows):
        if sensors is None:
            if self.n_sensors is None:
                raise ValueError("sensors is required (n_sensors was not set at construction).")
            return np.arange(n_rows) % self.gains_.shape[0]
        sensors = np.asarray(sensors)
        if sensors.ndim != 1 or sensors.shape[0] != n_rows:
            raise ValueError(f"sensors must have one index per row of X ({n_rows}), got shape {sensors.shape}.")
        if sensors.dtype.kind not in "iu":
            raise TypeError(f"sensors must hold integer sensor indices, got dtype {sensors.dtype}.")
        if sensors.size and (sensors.min() < 0 or sensors.max() >= self.gains_.shape[0]):
            raise ValueError(f"sensors must lie in [0, {self.gains_.shape[0]}), got values outside that range.")
        return sensors

    def score(self, X, y, sensors=None, sample_weight=None):
        """Coefficient of determination R² of :meth:`predict` on ``(X, y)``."""
        from sklearn.metrics import r2_score

        return r2_score(y, self.predict(X, sensors), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A gain-and-signal model fitted to arbitrary regression data need not score well.
        tags.regressor_tags.poor_score = True
        return tags

    @classmethod
    def _sigrec_test_instance(cls):
        return cls(n_sensors=2)

    def _sigrec_expected_failed_checks(self):
        layout = (
            "without a sensors argument, row r belongs to sensor r % n_sensors, so reordering or "
            "subsetting rows changes which gain multiplies them"
        )
        return {
            "check_methods_sample_order_invariance": layout,
            "check_methods_subset_invariance": layout,
        }

    @classmethod
    def _sigrec_example_data(cls, rng):
        X = rng.standard_normal((40, 5))
        gains = np.array([0.8, 1.2])
        return X, gains[np.arange(40) % 2] * (X @ rng.standard_normal(5))


def exact_line_step(residual, slope, curvature, weights):
    """Minimiser ``t > 0`` of the quartic ``½ Σ w (r₀ + t r₁ + t² r₂)²``.

    Along ``(ξ − t d_ξ, γ − t d_γ)`` the residual is exactly quadratic in t,
    with ``r₁ = −(d_γ ∘ Aξ + γ ∘ A d_ξ)`` and ``r₂ = d_γ ∘ A d_ξ``; the loss
    is a quartic whose derivative is the cubic solved here.

    Parameters
    ----------
    residual, slope, curvature : ndarray of shape (n_rows,)
        ``r₀``, ``r₁``, ``r₂`` (gains already expanded per row).
    weights : ndarray of shape (n_rows,)

    Returns
    -------
    float
        The step; 0 when the direction is not a descent direction.
    """
    c3 = 2.0 * np.dot(weights * curvature, curvature)
    c2 = 3.0 * np.dot(weights * slope, curvature)
    c1 = np.dot(weights * slope, slope) + 2.0 * np.dot(weights * residual, curvature)
    c0 = np.dot(weights * residual, slope)
    if not c0 < 0.0:
        return 0.0
    if c3 <= 0.0:  # the direction leaves the gains (or signal) unchanged: quadratic loss
        return -c0 / c1 if c1 > 0.0 else 0.0
    roots = _cubic_real_roots(c2 / c3, c1 / c3, c0 / c3)
    positive = [t for t in roots if t > 0.0]
    if not positive:
        return 0.0

    def quartic(t):
        return np.dot(weights, (residual + t * slope + t * t * curvature) ** 2)

    return min(positive, key=quartic) if len(positive) > 1 else positive[0]


def _cubic_real_roots(a, b, c):
    """Real roots of ``t³ + a t² + b t + c`` (Viète's trigonometric / Cardano form, one Newton polish).

    Scalar closed form: the line search runs once per iteration and
    ``numpy.roots`` (a companion-matrix eigensolve) cost more than the two
    matrix-vector products of an iteration at n ≈ 256.
    """
    shift = a / 3.0
    p = b - a * shift
    q = 2.0 * shift**3 - b * shift + c
    if p == 0.0 and q == 0.0:
        roots = [-shift]
    else:
        discriminant = (q / 2.0) ** 2 + (p / 3.0) ** 3
        if discriminant > 0.0:  # one real root
            root = np.sqrt(discriminant)
            roots = [np.cbrt(-q / 2.0 + root) + np.cbrt(-q / 2.0 - root) - shift]
        else:  # three real roots (p < 0)
            radius = 2.0 * np.sqrt(-p / 3.0)
            angle = np.arccos(np.clip(3.0 * q / (p * radius), -1.0, 1.0)) / 3.0
            roots = [radius * np.cos(angle - 2.0 * np.pi * k / 3.0) - shift for k in range(3)]
    polished = []
    for t in roots:
        derivative = (3.0 * t + 2.0 * a) * t + b
        if derivative != 0.0:
            t -= (((t + a) * t + b) * t + c) / derivative
        polished.append(float(t))
    return polished


class BlindGainCalibration(_GainCalibrationBase):
    """Blind gain calibration by non-convex projected gradient descent.

    Recovers a signal ``x`` (length n) and positive sensor gains ``g``
    (length m, mean one) from ``y_r = g_{s(r)} ⟨a_r, x⟩ + ν_r``, where every
    sensor sees several random sensing vectors ``a_r`` (p snapshots, or any
    irregular design). Minimises the biconvex loss
    ``f(ξ, γ) = ½ Σ_r w_r (γ_{s(r)} ⟨a_r, ξ⟩ − y_r)²`` with
    ``w_r = 1/(m·rows of sensor s(r))`` (= 1/(mp) for p snapshots), starting
    from the back-projection ``ξ₀ = Σ_r w_r y_r a_r`` and ``γ₀ = 1``, with the
    mean-removed gain gradient and the gain step scaled by the curvature
    ratio ``m/‖ξ₀‖²`` (Cambareri & Jacques 2018).

    Parameters
    ----------
    step : "line_search" or float, default="line_search"
        ``"line_search"``: exact minimisation of the quartic loss along the
        scaled gradient (not in the paper; recovers near-transition and
        non-centred designs where fixed steps stall or diverge). A float is
        the paper's fixed base step μ (0.5 is reliable away from the phase
        transition; 1 oscillates; ≥ 1.5 diverges).
    max_iter : int, default=3000
    tol : float, default=1e-8
        Stop when the relative change of both the signal and the gains in
        one iteration is below ``tol``. This is not an error bound: on
        noiseless problems the relative error at stop was 4e-8 to 1.7e-7 in
        the benchmark (larger for larger n); noisy ones converge to the
        noise ball.
    gain_bound : float in [0, 1), optional
        ρ: project the gains onto ``{mean(γ) = 1, |γ_i − 1| ≤ ρ}`` after every
        step (keeps them positive). Cannot be combined with ``gain_basis``.
    signal_basis : array-like of shape (n_features, k), optional
        Z: the signal lies in its column span (orthonormalised internally).
    gain_basis : array-like of shape (n_sensors, h), optional
        B: the gains lie in its column span, which must contain the constant
        vector (e.g. :func:`sigrec.calibration.dct_basis`). Orthonormalised
        internally.
    n_sensors : int, optional
        Number of sensors m. Needed when ``fit``/``predict`` get no
        ``sensors`` (then row r belongs to sensor ``r % n_sensors``); otherwise
        inferred as ``max(sensors) + 1`` or from ``gain_basis``.

    Notes
    -----
    Each iteration costs two BLAS matrix-vector products (``Aᵀ`` for the
    gradient, ``A`` along the direction); the row products ``Aξ`` are updated
    from the latter, so the line search adds no pass over A. A fused
    single-pass numba kernel was measured and dropped: it was 8-23 % slower
    than the two GEMVs end to end (``benchmarks/calibration.py``).

    The descent runs on ``X / 2^a`` and ``y / 2^b``, the powers of two nearest
    to their RMS (exact rescalings, the identity for data near unit scale):
    the back-projection start assumes unit-variance sensing rows, and
    1e150 or 1e-150 data would otherwise overflow or underflow. ``coef_``
    and ``loss_history_`` are returned in the units of the data.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Recovered signal ξ.
    gains_ : ndarray of shape (n_sensors,)
        Recovered gains γ, mean exactly one.
    n_iter_ : int
    loss_history_ : ndarray of shape ``(n_iter_ + 1,)``
        ``f`` at the start of every iteration and at the end.
    converged_ : bool
    diverged_ : bool
        A fixed step made the iterates overflow; the fit stopped at the
        last finite iterate (with a ConvergenceWarning).
    n_features_in_ : int

    See Also
    --------
    LinearizedGainCalibration : the convex inverse-gain least-squares baseline.

    Examples
    --------
    >>> from sigrec.datasets import make_calibration_problem
    >>> from sigrec.calibration import BlindGainCalibration
    >>> X, y, sensors, signal, gains = make_calibration_problem(64, 32, 16, rho=0.5, random_state=0)
    >>> model = BlindGainCalibration().fit(X, y, sensors)
    >>> bool(np.linalg.norm(model.gains_ - gains) < 1e-6 * np.linalg.norm(gains))
    True
    """

    _parameter_constraints = {
        "step": [StrOptions({"line_search"}), Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "gain_bound": [None, Interval(Real, 0, 1, closed="left")],
        "signal_basis": [None, "array-like"],
        "gain_basis": [None, "array-like"],
        "n_sensors": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        step="line_search",
        max_iter=3000,
        tol=1e-8,
        gain_bound=None,
        signal_basis=None,
        gain_basis=None,
        n_sensors=None,
    ):
        self.step = step
        self.max_iter = max_iter
        self.tol = tol
        self.gain_bound = gain_bound
        self.signal_basis = signal_basis
        self.gain_basis = gain_basis
        self.n_sensors = n_sensors

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sensors=None):
        """Recover the signal and the gains.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Sensing vectors ``a_r``, one per row (for p snapshots of m
            sensors, n_rows = m·p).
        y : array-like of shape (n_rows,)
            Measurements.
        sensors : array-like of int of shape (n_rows,), optional
            Sensor index of each row, in ``[0, m)``; every sensor needs at
            least one row. Defaults to ``r % n_sensors``.

        Returns
        -------
        self
        """
        gain_basis = None
        n_sensors = self.n_sensors
        if self.gain_basis is not None:
            if self.gain_bound is not None:
                raise ValueError("gain_bound cannot be combined with gain_basis (no exact projection onto both).")
            gain_basis = orthonormal_basis(self.gain_basis, name="gain_basis")
            if n_sensors is not None and n_sensors != gain_basis.shape[0]:
                raise ValueError(f"gain_basis has {gain_basis.shape[0]} rows but n_sensors={n_sensors}.")
            n_sensors = gain_basis.shape[0]
        X, y, sensors, m = self._validate_fit_data(X, y, sensors, n_sensors)
        # The back-projection start assumes sensing rows of unit variance: solve for X/2^a and y/2^b
        # at unit RMS (exact rescalings), so 1e150 or 1e-150 data neither overflow nor underflow.
        x_scale, y_scale = power_of_two_scale(X), power_of_two_scale(y)
        if x_scale != 1.0:
            X = X / x_scale
        if y_scale != 1.0:
            y = y / y_scale
        weights = row_weights(sensors, m)
        design = X
        signal_basis = None
        if self.signal_basis is not None:
            signal_basis = orthonormal_basis(self.signal_basis, name="signal_basis")
            if signal_basis.shape[0] != X.shape[1]:
                raise ValueError(f"signal_basis has {signal_basis.shape[0]} rows but X has {X.shape[1]} features.")
            design = np.ascontiguousarray(X @ signal_basis)
        mean_direction = None
        if gain_basis is not None:
            mean_direction = gain_basis.T @ np.ones(m)
            if np.linalg.norm(gain_basis @ mean_direction - 1.0) > 1e-8 * np.sqrt(m):
                raise ValueError("gain_basis must span the constant vector (gains have mean one).")
            mean_direction /= np.linalg.norm(mean_direction)

        variable = back_projection(design, y, weights)
        gains = np.ones(m)
        scale = float(variable @ variable)
        self.loss_history_ = np.array([0.5 * float(weights @ y**2)])
        self.n_iter_, self.converged_, self.diverged_ = 0, True, False
        if scale == 0.0:  # y ≡ 0 (or orthogonal to every row): the zero signal fits exactly
            self._store(variable, gains, signal_basis, y_scale / x_scale, y_scale)
            return self
        gain_scale = m / scale
        fixed_step = None if self.step == "line_search" else float(self.step)
        history, change = self._iterate(
            design, y, sensors, weights, m, variable, gains, gain_scale, gain_basis, mean_direction, fixed_step
        )
        self.loss_history_ = np.asarray(history)
        if self.diverged_:
            warnings.warn(
                f"{type(self).__name__} diverged at iteration {self.n_iter_} with step={self.step!r}: the iterates "
                "overflowed; returning the last finite iterate. Use step='line_search' or a smaller fixed step.",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif not self.converged_:
            warn_not_converged(type(self).__name__, self.n_iter_, "relative change", change, self.tol)
        self._store(variable, gains, signal_basis, y_scale / x_scale, y_scale)
        return self

    def _iterate(
        self, design, target, sensors, weights, m, variable, gains, gain_scale, gain_basis, mean_direction, fixed_step
    ):
        """Run the descent in place on ``variable`` and ``gains``; returns (losses, last change)."""
        from sigrec.calibration._kernels import gradients

        products = design @ variable
        previous = (variable.copy(), gains.copy(), products.copy())
        history, change = [], np.inf
        self.converged_ = False
        # Overflow of a too-large fixed step is detected below, not reported as a numpy warning.
        with np.errstate(over="ignore", invalid="ignore"):
            for iteration in range(1, self.max_iter + 1):
                if iteration % _REFRESH_PRODUCTS_EVERY == 0:
                    products = design @ variable
                grad_variable, grad_gains, loss = gradients(design, products, gains, target, sensors, weights, m)
                if not np.isfinite(loss):  # the last update overflowed: return to the iterate before it
                    variable[:], gains[:], products[:] = previous
                    self.diverged_, self.n_iter_ = True, iteration - 2
                    return history, change
                history.append(loss)
                if gain_basis is None:
                    gain_direction = gain_scale * (grad_gains - grad_gains.mean())
                else:
                    coefficients = gain_basis.T @ grad_gains
                    coefficients -= (mean_direction @ coefficients) * mean_direction
                    gain_direction = gain_scale * (gain_basis @ coefficients)
                direction_products = design @ grad_variable
                if fixed_step is None:
                    gains_rows = gains[sensors]
                    step = exact_line_step(
                        gains_rows * products - target,
                        -(gain_direction[sensors] * products + gains_rows * direction_products),
                        gain_direction[sensors] * direction_products,
                        weights,
                    )
                else:
                    step = fixed_step
                new_variable = variable - step * grad_variable
                new_gains = gains - step * gain_direction
                if self.gain_bound is not None and np.all(np.isfinite(new_gains)):
                    new_gains = project_mean_one_box(new_gains, self.gain_bound)
                change = max(
                    step * np.linalg.norm(grad_variable) / max(np.linalg.norm(new_variable), np.finfo(float).tiny),
                    step * np.linalg.norm(gain_direction) / np.linalg.norm(new_gains),
                )
                if not np.isfinite(change):  # this update would overflow: keep the current iterate
                    self.diverged_, self.n_iter_ = True, iteration - 1
                    return history, change
                previous = (variable.copy(), gains.copy(), products.copy())
                variable[:], gains[:] = new_variable, new_gains
                products -= step * direction_products
                self.n_iter_ = iteration
                if change < self.tol:
                    self.converged_ = True
                    break
        residual = gains[sensors] * (design @ variable) - target
        history.append(0.5 * float(weights @ residual**2))
        return history, change

    def _store(self, variable, gains, signal_basis, signal_scale, y_scale):
        # No renormalisation: the mean-removed gain steps keep Σγ = m to rounding (tested),
        # so the stored gains are the iterates themselves. The signal and the losses return
        # to the units of the data (the fit ran on X/2^a, y/2^b).
        coef = variable if signal_basis is None else signal_basis @ variable
        self.coef_ = coef * signal_scale if signal_scale != 1.0 else coef
        self.gains_ = gains
        if y_scale != 1.0:
            self.loss_history_ = self.loss_history_ * y_scale**2


def linearized_least_squares(X, y, sensors, n_sensors, *, solver="kkt"):
    """Inverse-gain linear least squares: ``min Σ_r (s_{s(r)} y_r − ⟨a_r, x⟩)²`` s.t. ``Σ s = m``.

    With ``s_i = 1/g_i`` the model is homogeneous linear in ``(x, s)``
    (Gribonval et al. 2012; Ling & Strohmer 2018). ``"kkt"`` eliminates x
    through the Cholesky factor of ``AᵀA`` and solves the m×m KKT system of
    ``sᵀ Yᵀ(I − P_A)Y s`` under ``1ᵀs = m``; ``"cvxpy"`` solves the same
    problem with cvxpy (a cross-check; needs ``pip install cvxpy``).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,)
    sensors : ndarray of int of shape (n_rows,)
    n_sensors : int
    solver : {"kkt", "cvxpy"}

    Returns
    -------
    signal : ndarray of shape (n_features,)
    inverse_gains : ndarray of shape (n_sensors,)
        ``s``, summing to ``n_sensors`` (not yet inverted or renormalised).
    """
    import scipy.sparse

    n_rows = X.shape[0]
    # Y[r, s(r)] = y_r: the measurements spread over their sensors' columns.
    spread = scipy.sparse.csr_matrix((y, (np.arange(n_rows), sensors)), shape=(n_rows, n_sensors))
    if solver == "cvxpy":
        import cvxpy as cp

        signal, inverse = cp.Variable(X.shape[1]), cp.Variable(n_sensors)
        problem = cp.Problem(cp.Minimize(cp.sum_squares(spread @ inverse - X @ signal)), [cp.sum(inverse) == n_sensors])
        problem.solve()
        if signal.value is None:
            raise RuntimeError(f"cvxpy did not solve the linearised problem (status {problem.status}).")
        return np.asarray(signal.value), np.asarray(inverse.value)
    import scipy.linalg

    cross = (spread.T @ X).T  # AᵀY, (n_features, n_sensors)
    gram = X.T @ X
    try:
        factor = scipy.linalg.cho_factor(gram, lower=True)
        solved = scipy.linalg.cho_solve(factor, cross)
    except np.linalg.LinAlgError:  # fewer rows than features: AᵀA is singular
        factor = None
        solved = np.linalg.lstsq(gram, cross, rcond=None)[0]
    quadratic = np.diag(np.bincount(sensors, weights=y * y, minlength=n_sensors)) - cross.T @ solved
    quadratic = 0.5 * (quadratic + quadratic.T)
    kkt = np.zeros((n_sensors + 1, n_sensors + 1))
    kkt[:n_sensors, :n_sensors] = quadratic
    kkt[:n_sensors, n_sensors] = kkt[n_sensors, :n_sensors] = np.abs(quadratic).max() or 1.0
    rhs = np.zeros(n_sensors + 1)
    rhs[n_sensors] = kkt[n_sensors, 0] * n_sensors
    try:
        solution = np.linalg.solve(kkt, rhs)
    except np.linalg.LinAlgError:
        solution = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
    inverse = solution[:n_sensors]
    signal = solved @ inverse
    return signal, inverse


class LinearizedGainCalibration(_GainCalibrationBase):
    """Inverse-gain (linearised) least squares for blind gain calibration.

    Writes ``s_i = 1/g_i`` so that ``s_{s(r)} y_r − ⟨a_r, x⟩ = 0`` is linear in
    ``(x, s)``, solves the least-squares problem under ``Σ s = m`` and returns
    ``g = 1/s`` renormalised to mean one (x rescaled to match). Exact at the
    counting bound ``mp ≥ n + m − 1`` (p ≥ 2) without noise; biased under
    noise (errors in variables) and fragile when gains approach zero.

    Parameters
    ----------
    solver : {"kkt", "cvxpy"}, default="kkt"
        ``"kkt"``: Cholesky elimination of x and an (m+1)×(m+1) KKT solve,
        O(mp·n² + m³). ``"cvxpy"``: the same problem through cvxpy.
    n_sensors : int, optional
        As in :class:`BlindGainCalibration`.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    gains_ : ndarray of shape (n_sensors,)
    inverse_gains_ : ndarray of shape (n_sensors,)
        The least-squares ``s`` before inversion.
    n_features_in_ : int
    """

    _parameter_constraints = {
        "solver": [StrOptions({"kkt", "cvxpy"})],
        "n_sensors": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, solver="kkt", n_sensors=None):
        self.solver = solver
        self.n_sensors = n_sensors

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sensors=None):
        """Solve the linearised problem; arguments as in :meth:`BlindGainCalibration.fit`."""
        X, y, sensors, m = self._validate_fit_data(X, y, sensors)
        signal, inverse = linearized_least_squares(X, y, sensors, m, solver=self.solver)
        self.inverse_gains_ = inverse
        if np.any(inverse <= 0):
            warnings.warn(
                "linearised least squares returned non-positive inverse gains (noise too strong or gains "
                "near zero); the gains are not meaningful.",
                RuntimeWarning,
                stacklevel=2,
            )
        with np.errstate(divide="ignore"):
            gains = 1.0 / inverse
        total = gains.sum()
        factor = m / total if np.isfinite(total) and total != 0 else 1.0
        self.gains_ = gains * factor
        self.coef_ = signal / factor
        return self
