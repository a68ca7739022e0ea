"""Batched proximal-gradient solvers (ISTA and monotone FISTA) and the numpy CD twin.

All samples are encoded at once with one GEMM per iteration (BLAS-bound, so
numpy, not numba).  Samples leave the batch as soon as they converge, which
is where most of the speed comes from on natural patches.

Monotone FISTA (Beck & Teboulle 2009) accepts an extrapolated step only if
it lowers the objective; with a non-convex prox plain FISTA has no descent
guarantee, monotone FISTA does.  The objective needs c·Gc, and since the
extrapolated point is a linear combination of iterates, its product with G
is formed from stored products: one GEMM per iteration either way.
"""

from __future__ import annotations

import numpy as np

from sigrec.coding._prox import penalty_value, prox

__all__ = ["proximal_gradient", "cyclic_coordinate_descent", "objective"]


def objective(signal_norms2, correlations, gram_products, codes, penalty, alpha, column_norms):
    """Per-sample ½‖x − Dᵀc‖² + α·R(c) from Gram quantities.

    Parameters
    ----------
    signal_norms2 : ndarray (n,)
        ‖x‖² per sample.
    correlations : ndarray (n, K)
        X Dᵀ.
    gram_products : ndarray (n, K)
        C G.
    codes : ndarray (n, K)
    """
    data_term = 0.5 * signal_norms2 - np.einsum("ij,ij->i", codes, correlations)
    data_term += 0.5 * np.einsum("ij,ij->i", codes, gram_products)
    return data_term + penalty_value(penalty, codes, alpha, column_norms)


def proximal_gradient(
    gram,
    correlations,
    signal_norms2,
    codes,
    *,
    penalty,
    alpha,
    step,
    column_norms,
    max_iter,
    tol,
    accelerated,
):
    """Encode all samples with ISTA or monotone FISTA.

    Parameters
    ----------
    gram : ndarray (K, K)
    correlations : ndarray (n, K)
    signal_norms2 : ndarray (n,)
    codes : ndarray (n, K)
        Initial codes (not modified).
    penalty : str
    alpha : float
    step : float
        η ≤ 1/L with L the largest eigenvalue of ``gram``.
    column_norms : ndarray (K,)
    max_iter : int
    tol : float
        A sample stops when ‖z − y‖ ≤ tol·max(‖z‖, tiny): the prox-gradient
        step from the current point moves it by a relative ``tol`` at most.
    accelerated : bool
        Monotone FISTA when True, ISTA otherwise.

    Returns
    -------
    codes : ndarray (n, K)
    n_iter : ndarray of int (n,)
    converged : ndarray of bool (n,)
    """
    n_samples = codes.shape[0]
    codes = np.array(codes, dtype=float, copy=True)
    n_iter = np.zeros(n_samples, dtype=np.int64)
    converged = np.zeros(n_samples, dtype=bool)
    active = np.arange(n_samples)

    x = codes.copy()
    x_gram = x @ gram
    f_x = objective(signal_norms2, correlations, x_gram, x, penalty, alpha, column_norms)
    y, y_gram = x.copy(), x_gram.copy()
    momentum = np.ones(n_samples)
    tau = step * alpha

    for iteration in range(1, max_iter + 1):
        b = correlations[active]
        z = prox(penalty, y - step * (y_gram - b), tau, step=step, column_norms=column_norms)
        z_gram = z @ gram
        n_iter[active] = iteration

        moved = np.linalg.norm(z - y, axis=1)
        done = moved <= tol * np.maximum(np.linalg.norm(z, axis=1), 1e-300)

        if accelerated:
            f_z = objective(signal_norms2[active], b, z_gram, z, penalty, alpha, column_norms)
            accept = f_z <= f_x[active]
            x_old, x_old_gram = x[active], x_gram[active]
            x_new = np.where(accept[:, None], z, x_old)
            x_new_gram = np.where(accept[:, None], z_gram, x_old_gram)
            f_x[active] = np.where(accept, f_z, f_x[active])
            t = momentum[active]
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            to_z, to_x = (t / t_next)[:, None], ((t - 1.0) / t_next)[:, None]
            y_new = x_new + to_z * (z - x_new) + to_x * (x_new - x_old)
            y_new_gram = x_new_gram + to_z * (z_gram - x_new_gram) + to_x * (x_new_gram - x_old_gram)
            momentum[active] = t_next
        else:
            x_new, x_new_gram = z, z_gram
            y_new, y_new_gram = z, z_gram

        x[active], x_gram[active] = x_new, x_new_gram
        # A converged sample keeps z (the last prox point), not the extrapolation.
        if done.any():
            finished = active[done]
            x[finished] = z[done]
            converged[finished] = True
        keep = ~done
        active = active[keep]
        if active.size == 0:
            break
        y, y_gram = y_new[keep], y_new_gram[keep]
    return x, n_iter, converged


def cyclic_coordinate_descent(gram, correlations, codes, *, penalty, alpha, max_sweeps, tol):
    """Plain cyclic coordinate descent, vectorised over samples (numpy twin of the numba kernel).

    Every sweep visits the coordinates in index order and updates all
    samples' coordinate j at once with the exact coordinate minimiser.
    It is the reference the working-set numba kernel is tested against.

    Returns
    -------
    codes : ndarray (n, K)
    n_iter : ndarray of int (n,)
    converged : ndarray of bool (n,)
    """
    codes = np.array(codes, dtype=float, copy=True)
    residual_corr = correlations - codes @ gram
    diag = np.diag(gram).copy()
    n_samples, n_components = codes.shape
    n_iter = np.zeros(n_samples, dtype=np.int64)
    converged = np.zeros(n_samples, dtype=bool)
    active = np.ones(n_samples, dtype=bool)
    # Exact coordinate minimisation: for CEL0 this is the l0 threshold (curvature a^2 eta = 1).
    coordinate_penalty = "l0" if penalty == "cel0" else penalty
    for sweep in range(1, max_sweeps + 1):
        rows = np.flatnonzero(active)
        n_iter[rows] = sweep
        largest_update = np.zeros(rows.size)
        for j in range(n_components):
            old = codes[rows, j]
            new = prox(coordinate_penalty, old + residual_corr[rows, j] / diag[j], alpha / diag[j])
            delta = new - old
            if np.any(delta != 0):
                codes[rows, j] = new
                residual_corr[rows] -= np.outer(delta, gram[j])
                np.maximum(largest_update, np.abs(delta), out=largest_update)
        largest = np.abs(codes[rows]).max(axis=1)
        done = largest_update <= tol * np.maximum(largest, 1e-300)
        converged[rows[done]] = True
        active[rows[done]] = False
        if not active.any():
            break
    return codes, n_iter, converged
