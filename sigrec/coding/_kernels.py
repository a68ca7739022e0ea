"""Gram-based coordinate descent with working sets (numba), for all ℓq penalties.

Per sample, minimise ½‖x − Dᵀc‖² + α·R(c) using only the Gram matrix
G = D Dᵀ and the correlations b = D x.  The residual correlation
``corr = b − G c`` is kept up to date, so a coordinate update costs O(K).

The exact minimiser over coordinate j is prox_{(α/G_jj) r}(c_j + corr_j/G_jj)
for every separable penalty.  For CEL0 the exact coordinate step makes
a_j²η = 1, where the CEL0 prox formula would divide by zero: the 1-D
problem is linear on the ramp and its minimiser is the ℓ0 hard threshold
at √(2α)/a_j, which :func:`scalar_prox` applies for curvature ≥ 1.  So
coordinate descent on CEL0 coincides with ℓ0 coordinate descent.

Working sets: coordinates enter only when the KKT test says a coordinate
update would make them non-zero, at most ``working_set_step`` per round,
largest violation first; sweeps run over the working set only.
"""

from __future__ import annotations

import math

import numpy as np

from sigrec._numba import njit
from sigrec.coding._prox import scalar_prox

__all__ = ["coordinate_descent"]

# Sweeps over a working set before the next KKT screening round.
_SWEEPS_PER_ROUND = 20


@njit
def _zero_threshold(code, tau):
    """Largest |v| that the exact coordinate update (curvature 1) maps to zero."""
    if code == 0:
        return tau
    if code == 2:
        return 1.5 * tau ** (2.0 / 3.0)
    if code == 3:
        return 2.0 * (2.0 * tau / 3.0) ** 0.75
    return math.sqrt(2.0 * tau)  # l0, and CEL0 at curvature a^2 eta = 1


@njit
def _descent_one(code, gram, diag, thresholds, corr, coefs, alpha, tol, max_sweeps, working_set_step, in_set, members):
    n_components = coefs.shape[0]
    n_members = 0
    for j in range(n_components):
        in_set[j] = False
        if coefs[j] != 0.0:
            in_set[j] = True
            members[n_members] = j
            n_members += 1
    sweeps = 0
    converged = False
    inner_converged = False
    scores = np.empty(n_components)
    while sweeps < max_sweeps:
        # KKT screening of the coordinates outside the working set (they are zero).
        n_violating = 0
        for j in range(n_components):
            scores[j] = 0.0
            # Same test as "the coordinate update would be non-zero", without evaluating the prox.
            if not in_set[j] and abs(corr[j]) / diag[j] > thresholds[j]:
                scores[j] = abs(corr[j]) / np.sqrt(diag[j])
                n_violating += 1
        if n_violating == 0 and inner_converged:
            converged = True
            break
        if n_violating > 0:
            order = np.argsort(-scores)
            for rank in range(min(n_violating, working_set_step)):
                j = order[rank]
                in_set[j] = True
                members[n_members] = j
                n_members += 1
        # Sweeps over the working set until the largest update is small, at most
        # _SWEEPS_PER_ROUND before screening again: a small early working set must not
        # use up the whole budget (its optimum is not the problem's).
        inner_converged = False
        round_end = min(sweeps + _SWEEPS_PER_ROUND, max_sweeps)
        while sweeps < round_end:
            sweeps += 1
            largest_update = 0.0
            largest_coef = 0.0
            for m in range(n_members):
                j = members[m]
                old = coefs[j]
                new = scalar_prox(code, old + corr[j] / diag[j], alpha / diag[j], 1.0)
                if new != old:
                    delta = new - old
                    coefs[j] = new
                    for k in range(n_components):
                        corr[k] -= delta * gram[j, k]
                    largest_update = max(largest_update, abs(delta))
                largest_coef = max(largest_coef, abs(new))
            if largest_update <= tol * max(largest_coef, 1e-300):
                inner_converged = True
                break
    return sweeps, converged


@njit
def coordinate_descent(code, gram, correlations, codes, alpha, tol, max_sweeps, working_set_step):
    """Encode every row of ``correlations`` in place in ``codes``.

    Parameters
    ----------
    code : int
        Penalty index in :data:`sigrec.coding._prox.PENALTIES`.
    gram : ndarray of shape (K, K)
        D Dᵀ (symmetric, positive diagonal).
    correlations : ndarray of shape (n_samples, K)
        X Dᵀ.
    codes : ndarray of shape (n_samples, K)
        Initial codes, overwritten with the result.
    alpha : float
    tol : float
        A sample is done when a sweep's largest coefficient update is at most
        ``tol`` times its largest coefficient and, after that sweep, no
        coordinate outside the working set violates its KKT test. Sweeps run
        in rounds of at most 20 between screenings.
    max_sweeps : int
        Maximum number of sweeps (over the working set) per sample.
    working_set_step : int
        Maximum number of coordinates added to the working set per round.

    Returns
    -------
    sweeps : ndarray of int, shape (n_samples,)
    converged : ndarray of bool, shape (n_samples,)
    """
    n_samples, n_components = codes.shape
    diag = np.empty(n_components)
    thresholds = np.empty(n_components)
    for j in range(n_components):
        diag[j] = gram[j, j]
        thresholds[j] = _zero_threshold(code, alpha / diag[j])
    sweeps = np.zeros(n_samples, dtype=np.int64)
    converged = np.zeros(n_samples, dtype=np.bool_)
    corr = np.empty(n_components)
    in_set = np.zeros(n_components, dtype=np.bool_)
    members = np.empty(n_components, dtype=np.int64)
    for i in range(n_samples):
        for k in range(n_components):
            corr[k] = correlations[i, k]
        for j in range(n_components):
            if codes[i, j] != 0.0:
                for k in range(n_components):
                    corr[k] -= codes[i, j] * gram[j, k]
        sweeps[i], converged[i] = _descent_one(
            code, gram, diag, thresholds, corr, codes[i], alpha, tol, max_sweeps, working_set_step, in_set, members
        )
    return sweeps, converged
