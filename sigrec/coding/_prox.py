"""Proximal (thresholding) operators of the ℓq penalties.

Every operator solves, element-wise,

    prox(v) = argmin_u  ½ (u − v)² + τ · r(u)

with τ = η·α (step times penalty weight).  CEL0 is the exception in form
only: its penalty depends on the column norm ``a`` of the atom, so its
operator takes ``alpha`` and ``step`` separately.

| penalty | r(u)                     | zero threshold on |v|          |
|---------|--------------------------|---------------------------------|
| l1      | |u|                      | τ                               |
| l0      | 1[u ≠ 0]                 | √(2τ)                           |
| l1/2    | |u|^(1/2)                | (3/2) τ^(2/3)                   |
| l2/3    | |u|^(2/3)                | 2 (2τ/3)^(3/4)                  |
| cel0    | φ(u; α, a) (see below)   | √(2α) a η                       |

CEL0 (Soubies, Blanc-Féraud & Aubert 2015) is the exact continuous
relaxation of α‖c‖₀ for the data term ½‖x − Dᵀc‖²:
φ(u; α, a) = α − (a²/2)(|u| − √(2α)/a)² for |u| ≤ √(2α)/a, and α beyond.

Each operator has a vectorised numpy form (the reference) and a scalar
numba kernel used inside coordinate descent; tests check they agree.
"""

from __future__ import annotations

import math

import numpy as np

from sigrec._numba import njit

__all__ = [
    "PENALTIES",
    "prox",
    "soft_threshold",
    "hard_threshold",
    "half_threshold",
    "two_thirds_threshold",
    "cel0_threshold",
    "penalty_value",
    "zero_threshold",
]

PENALTIES = ("l1", "l0", "l1/2", "l2/3", "cel0")
PENALTY_CODES = {name: code for code, name in enumerate(PENALTIES)}


def _as_float_array(v):
    # float64 for every real input: float32 used to stay float32 in some operators and
    # become float64 in others (a float64 tau promoted it); the torch twins are the float32 path.
    v = np.asarray(v)
    if v.dtype.kind == "c":
        raise TypeError("thresholding operators are defined for real input")
    return v.astype(np.float64, copy=False)


def _check_tau(tau):
    tau_array = np.asarray(tau, dtype=float)
    if np.any(~np.isfinite(tau_array)) or np.any(tau_array < 0):
        raise ValueError(f"tau must be finite and non-negative, got {tau!r}")
    return tau_array


def soft_threshold(v, tau):
    """Prox of τ‖·‖₁: ``sign(v)·max(|v| − τ, 0)``.

    Parameters
    ----------
    v : array-like
        Points, any shape.
    tau : float or array-like broadcastable to ``v``
        Non-negative weight τ = η·α.

    Returns
    -------
    ndarray, same shape as ``v``.
    """
    v = _as_float_array(v)
    tau = _check_tau(tau)
    return np.sign(v) * np.maximum(np.abs(v) - tau, 0.0)


def hard_threshold(v, tau):
    """Prox of τ‖·‖₀: keeps ``v`` where ``|v| > √(2τ)``, else 0.

    Note the √(2τ): the prox of τ·1[u≠0] compares ½v² with τ. Codes that
    threshold at √τ (as the authors' reference code does) implement τ/2.
    """
    v = _as_float_array(v)
    tau = _check_tau(tau)
    return np.where(np.abs(v) > np.sqrt(2.0 * tau), v, 0.0)


def half_threshold(v, tau):
    """Prox of τ‖·‖_{1/2}^{1/2} (Xu et al. 2012 half thresholding).

    Zero for ``|v| ≤ (3/2) τ^(2/3)``; above it the closed-form root
    ``(2/3) v [1 + cos((2/3) arccos(−(3^(3/2)/4) τ |v|^(−3/2)))]``.
    Xu's paper drops the ½ of the data term, so its λμ equals 2τ here.
    """
    v = _as_float_array(v)
    tau = _check_tau(tau)
    magnitude = np.abs(v)
    threshold = 1.5 * np.power(tau, 2.0 / 3.0)
    keep = magnitude > threshold
    out = np.zeros(np.broadcast_shapes(v.shape, tau.shape), dtype=v.dtype)
    # The arccos argument is in [-1, 0) only above the threshold: evaluate there only.
    tau_kept = np.broadcast_to(tau, out.shape)[keep]
    v_kept = np.broadcast_to(v, out.shape)[keep]
    with np.errstate(over="ignore", invalid="ignore"):
        # tau = 0 is the identity; 0 * inf for a subnormal |v| would give NaN
        scaled = np.where(tau_kept > 0, tau_kept * np.abs(v_kept) ** -1.5, 0.0)
    angle = np.arccos(-(3.0**1.5 / 4.0) * scaled)
    out[keep] = (2.0 / 3.0) * v_kept * (1.0 + np.cos((2.0 / 3.0) * angle))
    return out


def two_thirds_threshold(v, tau):
    """Prox of τ‖·‖_{2/3}^{2/3} (Cao, Sun & Xu 2013).

    Zero for ``|v| ≤ 2 (2τ/3)^(3/4)``; above it the radical root of the
    quartic optimality condition.
    """
    v = _as_float_array(v)
    tau = _check_tau(tau)
    shape = np.broadcast_shapes(v.shape, tau.shape)
    v_b = np.broadcast_to(v, shape)
    tau_b = np.broadcast_to(tau, shape)
    keep = np.abs(v_b) > 2.0 * np.power(2.0 * tau_b / 3.0, 0.75)
    out = np.zeros(shape, dtype=v.dtype)
    vk, tk = v_b[keep].astype(float), tau_b[keep]
    # tau / |v|^(4/3) written as (tau^(3/4) / |v|)^(4/3): bounded on the kept entries, no 0/0 underflow
    out[keep] = np.sign(vk) * np.abs(vk) * _two_thirds_unit_root((tk**0.75 / np.abs(vk)) ** (4.0 / 3.0))
    return out


def _two_thirds_unit_root(tau):
    """prox of τ|·|^(2/3) at v = 1 (above the threshold), by the radical formula.

    The operator is scale-covariant, prox_τ(v) = |v|·sign(v)·prox_{τ/|v|^(4/3)}(1),
    so working at unit magnitude avoids overflowing v⁴ for large |v|; the second
    cube root uses (1/16 − s) = (8τ³/729)/(1/16 + s), which does not cancel when
    τ is small. At τ = 0 it returns exactly 1 (the identity).
    """
    s = np.sqrt(np.maximum(1.0 / 256.0 - 8.0 * tau**3 / 729.0, 0.0))
    larger = 1.0 / 16.0 + s
    z = np.cbrt(larger) + np.cbrt(8.0 * tau**3 / 729.0 / larger)
    root_z = np.sqrt(2.0 * z)
    return (root_z + np.sqrt(np.maximum(2.0 / root_z - 2.0 * z, 0.0))) ** 3 / 8.0


def cel0_threshold(v, alpha, step=1.0, column_norms=1.0):
    """Prox of η·CEL0 with weight α and column norms a.

    ``sign(v)·min(|v|, max(|v| − √(2α)·a·η, 0) / (1 − a²η))`` when a²η < 1:
    zero below √(2α)aη, a linear ramp, and the identity from √(2α)/a on.
    When a²η ≥ 1 the 1-D problem is concave on the ramp and the prox is the
    hard threshold at √(2αη) (the formula above would divide by ≤ 0).

    Parameters
    ----------
    v : array-like
    alpha : float
        The ℓ0 weight α that CEL0 relaxes (α ≥ 0).
    step : float, default=1.0
        Step η > 0.
    column_norms : float or array-like broadcastable to ``v``
        ‖d_i‖ of the atom each entry of ``v`` belongs to (last axis of a
        code matrix), in the data term's scaling.
    """
    v = _as_float_array(v)
    alpha = float(_check_tau(alpha))
    if not step > 0:
        raise ValueError(f"step must be positive, got {step!r}")
    norms = np.asarray(column_norms, dtype=float)
    if np.any(~(norms > 0)):
        raise ValueError("column_norms must be positive (an atom of zero norm has no CEL0 penalty)")
    curvature = norms**2 * step
    magnitude = np.abs(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrunk = np.maximum(magnitude - math.sqrt(2.0 * alpha) * norms * step, 0.0) / (1.0 - curvature)
        ramp = np.minimum(magnitude, shrunk)
    hard = np.where(magnitude > math.sqrt(2.0 * alpha * step), magnitude, 0.0)
    return np.sign(v) * np.where(curvature < 1.0, ramp, hard)


def prox(penalty, v, tau, *, step=1.0, column_norms=1.0):
    """Apply the proximal operator of ``penalty``.

    Parameters
    ----------
    penalty : {"l1", "l0", "l1/2", "l2/3", "cel0"}
    v : array-like
        Points (any shape; for CEL0 the last axis indexes atoms).
    tau : float
        η·α, the step times the penalty weight. For ``"cel0"`` the weight
        is recovered as α = τ / η.
    step : float, default=1.0
        η; only used by ``"cel0"``.
    column_norms : float or array-like, default=1.0
        Atom norms a_i; only used by ``"cel0"``.

    Returns
    -------
    ndarray, shape of ``v``.
    """
    if penalty == "l1":
        return soft_threshold(v, tau)
    if penalty == "l0":
        return hard_threshold(v, tau)
    if penalty == "l1/2":
        return half_threshold(v, tau)
    if penalty == "l2/3":
        return two_thirds_threshold(v, tau)
    if penalty == "cel0":
        return cel0_threshold(v, float(tau) / step, step, column_norms)
    raise ValueError(f"unknown penalty {penalty!r}; expected one of {PENALTIES}")


def zero_threshold(penalty, tau, *, step=1.0, column_norms=1.0):
    """The largest abs(v) that the operator maps to zero (see the module table)."""
    if penalty == "l1":
        return tau
    if penalty == "l0":
        return math.sqrt(2.0 * tau)
    if penalty == "l1/2":
        return 1.5 * tau ** (2.0 / 3.0)
    if penalty == "l2/3":
        return 2.0 * (2.0 * tau / 3.0) ** 0.75
    if penalty == "cel0":
        alpha = tau / step
        norms = np.asarray(column_norms, dtype=float)
        return np.where(norms**2 * step < 1.0, math.sqrt(2.0 * alpha) * norms * step, math.sqrt(2.0 * tau))
    raise ValueError(f"unknown penalty {penalty!r}; expected one of {PENALTIES}")


def penalty_value(penalty, codes, alpha, column_norms=1.0):
    """α·R(c) summed over the last axis: the penalty term of the objective.

    Parameters
    ----------
    penalty : str
    codes : ndarray of shape (..., n_components)
    alpha : float
    column_norms : float or ndarray of shape (n_components,)
        Used by ``"cel0"`` only.

    Returns
    -------
    ndarray of shape ``codes.shape[:-1]``
    """
    codes = np.asarray(codes, dtype=float)
    magnitude = np.abs(codes)
    if penalty == "l1":
        return alpha * magnitude.sum(axis=-1)
    if penalty == "l0":
        return alpha * np.count_nonzero(codes, axis=-1)
    if penalty == "l1/2":
        return alpha * np.sqrt(magnitude).sum(axis=-1)
    if penalty == "l2/3":
        return alpha * np.cbrt(magnitude**2).sum(axis=-1)
    if penalty == "cel0":
        norms = np.asarray(column_norms, dtype=float)
        knee = math.sqrt(2.0 * alpha) / norms
        ramp = alpha - 0.5 * norms**2 * (magnitude - knee) ** 2
        return np.where(magnitude <= knee, ramp, alpha).sum(axis=-1)
    raise ValueError(f"unknown penalty {penalty!r}; expected one of {PENALTIES}")


# ----------------------------------------------------------------- numba scalars
@njit
def scalar_prox(code, v, tau, curvature):
    """Scalar prox used inside compiled loops.

    ``code`` indexes :data:`PENALTIES`; ``tau`` = η·α; ``curvature`` = a²η
    (CEL0 only). Mirrors the numpy operators above exactly.
    """
    magnitude = abs(v)
    if magnitude == 0.0:
        return 0.0
    sign = 1.0 if v > 0 else -1.0
    if code == 0:
        return sign * max(magnitude - tau, 0.0)
    if code == 1:
        return v if magnitude > math.sqrt(2.0 * tau) else 0.0
    if code == 2:
        if magnitude <= 1.5 * tau ** (2.0 / 3.0):
            return 0.0
        if tau == 0.0:
            return v
        angle = math.acos(-(3.0**1.5 / 4.0) * tau * magnitude**-1.5)
        return (2.0 / 3.0) * v * (1.0 + math.cos((2.0 / 3.0) * angle))
    if code == 3:
        if magnitude <= 2.0 * (2.0 * tau / 3.0) ** 0.75:
            return 0.0
        # unit-magnitude form, as in _two_thirds_unit_root
        unit_tau = (tau**0.75 / magnitude) ** (4.0 / 3.0)
        s = math.sqrt(max(1.0 / 256.0 - 8.0 * unit_tau**3 / 729.0, 0.0))
        larger = 1.0 / 16.0 + s
        z = larger ** (1.0 / 3.0) + (8.0 * unit_tau**3 / 729.0 / larger) ** (1.0 / 3.0)
        root_z = math.sqrt(2.0 * z)
        return sign * magnitude * (root_z + math.sqrt(max(2.0 / root_z - 2.0 * z, 0.0))) ** 3 / 8.0
    # cel0: tau = eta * alpha and curvature = a^2 eta, so sqrt(2 alpha) a eta = sqrt(2 tau curvature)
    if curvature < 1.0:
        shrunk = max(magnitude - math.sqrt(2.0 * tau * curvature), 0.0) / (1.0 - curvature)
        return sign * min(magnitude, shrunk)
    return v if magnitude > math.sqrt(2.0 * tau) else 0.0


@njit
def prox_array(code, values, tau, curvatures, out):
    """Apply :func:`scalar_prox` to a 2-D array; ``curvatures`` per column."""
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            out[i, j] = scalar_prox(code, values[i, j], tau, curvatures[j])
    return out
