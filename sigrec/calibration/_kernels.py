"""Inner loops of blind gain calibration: the gradient pass over the sensing rows.

The objective (one weight per row, see :func:`sigrec.calibration._design.row_weights`) is

    f(ξ, γ) = ½ Σ_r w_r (γ_{s(r)} ⟨a_r, ξ⟩ − y_r)²,

with s(r) the sensor of row r.  Its gradients are
``∇_ξ f = Aᵀ(γ_s ∘ w ∘ r)`` and ``(∇_γ f)_i = Σ_{r: s(r)=i} ⟨a_r, ξ⟩ w_r r_r``.

The solver keeps the row products ``u = Aξ`` up to date, so a gradient is
one BLAS GEMV (``Aᵀv``) plus O(rows) work. A fused single-pass numba kernel
(products, residuals and both gradients in one sweep over A, note §2.5) was
measured against this and dropped because it was slower; it lives on in
``benchmarks/calibration.py`` so the comparison stays reproducible.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gradients"]


def gradients(design, products, gains, target, sensors, weights, n_sensors):
    """Gradients from known row products ``products = design @ signal``.

    Parameters
    ----------
    design : ndarray of shape (n_rows, n_features)
    products : ndarray of shape (n_rows,)
        ``design @ signal`` at the current signal.
    gains : ndarray of shape (n_sensors,)
    target : ndarray of shape (n_rows,)
    sensors : ndarray of int of shape (n_rows,)
    weights : ndarray of shape (n_rows,)
    n_sensors : int

    Returns
    -------
    grad_signal : ndarray of shape (n_features,)
    grad_gains : ndarray of shape (n_sensors,)
        Not mean-removed.
    loss : float
        ``f`` at the current point.
    """
    residual = gains[sensors] * products - target
    weighted = weights * residual
    grad_signal = design.T @ (gains[sensors] * weighted)
    grad_gains = np.bincount(sensors, weights=products * weighted, minlength=n_sensors)
    return grad_signal, grad_gains, 0.5 * float(residual @ weighted)
