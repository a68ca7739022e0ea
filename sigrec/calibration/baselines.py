"""Reference solutions blind calibration is compared against.

- :func:`gain_blind_least_squares`: ignores the gains (assumes g = 1); shows
  the error floor miscalibration causes.
- :func:`oracle_least_squares`: knows the gains; the lower bound.
- :func:`linearized_least_squares` (re-exported): the inverse-gain convex
  baseline behind :class:`~sigrec.calibration.LinearizedGainCalibration`.
- :func:`lifted_nuclear_norm`: the rank-one lifting ``X = g xᵀ`` solved as a
  nuclear-norm SDP with cvxpy; only for tiny problems (n, m ≤ 32).
"""

from __future__ import annotations

import numpy as np

from sigrec.calibration._estimators import linearized_least_squares

__all__ = ["gain_blind_least_squares", "oracle_least_squares", "linearized_least_squares", "lifted_nuclear_norm"]


def gain_blind_least_squares(X, y):
    """Least-squares signal assuming unit gains: ``argmin ‖A ξ − y‖``.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,)

    Returns
    -------
    ndarray of shape (n_features,)
    """
    return np.linalg.lstsq(X, y, rcond=None)[0]


def oracle_least_squares(X, y, sensors, gains):
    """Least-squares signal with the true gains known: ``argmin ‖diag(g_s) A ξ − y‖``.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,)
    sensors : ndarray of int of shape (n_rows,)
    gains : ndarray of shape (n_sensors,)

    Returns
    -------
    ndarray of shape (n_features,)
    """
    return np.linalg.lstsq(gains[sensors][:, None] * X, y, rcond=None)[0]


def lifted_nuclear_norm(X, y, sensors, n_sensors, *, solver=None):
    """Convex lifting: minimise ``‖L‖_*`` over ``L`` (m × n) with ``⟨a_r, L[s(r)]⟩ = y_r``.

    The rank-one truth is ``L = g xᵀ``; the estimate is the top singular pair
    of the solution, with the gains renormalised to mean one. This is an
    SDP: use it only for n, m ≤ 32 (needs cvxpy).

    Returns
    -------
    signal : ndarray of shape (n_features,)
    gains : ndarray of shape (n_sensors,)
    """
    import cvxpy as cp

    lifted = cp.Variable((n_sensors, X.shape[1]))
    constraints = [cp.sum(cp.multiply(X, lifted[sensors, :]), axis=1) == y]
    problem = cp.Problem(cp.Minimize(cp.normNuc(lifted)), constraints)
    problem.solve(solver=solver)
    if lifted.value is None:
        raise RuntimeError(f"cvxpy did not solve the lifted problem (status {problem.status}).")
    left, singular, right = np.linalg.svd(lifted.value)
    gains, signal = left[:, 0] * singular[0], right[0]
    factor = n_sensors / gains.sum()
    return signal / factor, gains * factor
