"""Inner loops of blind gain calibration: the gradient pass over the sensing rows.

The objective (one weight per row, see :func:`sigrec.calibration._design.row_weights`) is

    f(ξ, γ) = ½ Σ_r w_r (γ_{s(r)} ⟨a_r, ξ⟩ − y_r)²,

with s(r) the sensor of row r.  Its gradients are
``∇_ξ f = Aᵀ(γ_s ∘ w ∘ r)`` and ``(∇_γ f)_i = Σ_{r: s(r)=i} ⟨a_r, ξ⟩ w_r r_r``.

Two engines compute them:

- numpy (:func:`gradients_numpy`): the row products ``u = Aξ`` are kept up to
  date by the solver, so one BLAS GEMV (``Aᵀv``) per call;
- numba (:func:`gradients_fused`): one streaming pass over A that computes
  ``⟨a_r, ξ⟩``, the residual and both gradient contributions row by row.
  It reads A once instead of twice when ``u`` is not available, which is the
  fixed-step iteration's memory-traffic bottleneck (note §2.5).
"""

from __future__ import annotations

import numpy as np

from sigrec._numba import njit

__all__ = ["gradients_numpy", "gradients_fused", "gradients_fused_numpy"]


def gradients_numpy(design, products, gains, target, sensors, weights, n_sensors):
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


# fastmath lets LLVM vectorise the two row reductions (reassociated sums).
@njit(fastmath=True)
def gradients_fused(design, signal, gains, target, sensors, weights, products, grad_signal, grad_gains):
    """One pass over ``design``: fills ``products``, both gradients; returns the loss.

    Parameters are as in :func:`gradients_numpy`, with ``signal`` (n_features,)
    instead of the row products, and three output buffers written in place:
    ``products`` (n_rows,), ``grad_signal`` (n_features,), ``grad_gains`` (n_sensors,).
    """
    n_rows, n_features = design.shape
    grad_signal[:] = 0.0
    grad_gains[:] = 0.0
    loss = 0.0
    for row in range(n_rows):
        dot = 0.0
        for j in range(n_features):
            dot += design[row, j] * signal[j]
        sensor = sensors[row]
        weighted = weights[row] * (gains[sensor] * dot - target[row])
        loss += weighted * (gains[sensor] * dot - target[row])
        products[row] = dot
        grad_gains[sensor] += dot * weighted
        scale = gains[sensor] * weighted
        for j in range(n_features):
            grad_signal[j] += scale * design[row, j]
    return 0.5 * loss


def gradients_fused_numpy(design, signal, gains, target, sensors, weights, products, grad_signal, grad_gains):
    """numpy twin of :func:`gradients_fused` (same buffers, same result); the test reference."""
    products[:] = design @ signal
    gs, gg, loss = gradients_numpy(design, products, gains, target, sensors, weights, grad_gains.shape[0])
    grad_signal[:] = gs
    grad_gains[:] = gg
    return loss
