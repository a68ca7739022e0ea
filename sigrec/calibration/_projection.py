"""Euclidean projection onto the mean-one gain box G_ρ = {γ : Σγ = m, |γ_i − 1| ≤ ρ}."""

from __future__ import annotations

import numpy as np

__all__ = ["project_mean_one_box"]


def project_mean_one_box(gains, rho):
    """Project gains onto ``{γ : mean(γ) = 1, 1 − ρ ≤ γ_i ≤ 1 + ρ}``.

    The projection is ``clip(v − τ, 1 − ρ, 1 + ρ)`` with the scalar τ such
    that the entries sum to m.  The sum is piecewise linear and
    non-increasing in τ with breakpoints ``v_i − 1 ± ρ``; a binary search over
    the sorted breakpoints finds the linear piece and τ is solved there
    exactly (O(m log m), no tolerance).

    Parameters
    ----------
    gains : ndarray of shape (m,)
    rho : float
        Half-width of the box, ``0 ≤ rho < 1``.

    Returns
    -------
    ndarray of shape (m,)
    """
    gains = np.asarray(gains, dtype=float)
    if gains.ndim != 1 or gains.size == 0 or not np.all(np.isfinite(gains)):
        raise ValueError(f"gains must be a non-empty finite 1-D array, got shape {gains.shape}.")
    if not 0 <= rho < 1:
        raise ValueError(f"rho must be in [0, 1), got {rho}.")
    m = gains.shape[0]
    lower, upper = 1.0 - rho, 1.0 + rho

    def total(tau):
        return np.clip(gains - tau, lower, upper).sum()

    breakpoints = np.sort(np.concatenate([gains - upper, gains - lower]))
    # total() decreases from m·upper (τ ≤ first breakpoint) to m·lower (τ ≥ last).
    lo, hi = 0, breakpoints.size - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if total(breakpoints[mid]) >= m:
            lo = mid
        else:
            hi = mid
    tau_lo, tau_hi = breakpoints[lo], breakpoints[hi]
    sum_lo, sum_hi = total(tau_lo), total(tau_hi)
    tau = tau_lo if sum_lo == sum_hi else tau_lo + (sum_lo - m) * (tau_hi - tau_lo) / (sum_lo - sum_hi)
    return np.clip(gains - tau, lower, upper)
