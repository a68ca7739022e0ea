"""Stage 2 of PLAIN: one-dimensional frequency estimation per mode.

The mode-m unfolding of a sum of multidimensional exponentials is
``A_m diag(β) (Khatri–Rao of the other modes)ᵀ``: the other modes act as
snapshots, so a single tensor snapshot gives a full-rank signal covariance
as long as objects differ somewhere else. Each mode therefore needs only a
small covariance, its eigendecomposition and a 1-D subspace estimator.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "mode_covariance",
    "forward_backward",
    "information_criterion_order",
    "esprit",
    "root_music",
    "ESTIMATORS",
    "ORDER_CRITERIA",
]

ESTIMATORS = ("esprit", "root-music")
ORDER_CRITERIA = ("aic", "mdl")


def mode_covariance(data, mode):
    """Sample covariance of the mode-`mode` unfolding, trace-normalised.

    Parameters
    ----------
    data : ndarray, shape (S, N_1, ..., N_M)
    mode : int
        0-based sensing mode.

    Returns
    -------
    covariance : ndarray, shape (N_mode, N_mode), complex
        ``X Xᴴ / L`` scaled to unit mean eigenvalue (the scale does not move
        eigenvectors; it keeps the numbers near one).
    n_columns : int
        L, the number of unfolding columns (the sample count for AIC/MDL).
    """
    unfolding = np.moveaxis(data, mode + 1, 0).reshape(data.shape[mode + 1], -1)
    covariance = unfolding @ unfolding.conj().T
    scale = np.real(np.trace(covariance)) / covariance.shape[0]
    if scale > 0:
        covariance = covariance / scale
    return covariance, unfolding.shape[1]


def forward_backward(covariance):
    """``½ (R + J R* J)`` with J the exchange matrix.

    Decorrelates pairs of coherent components, e.g. two objects identical in
    every other mode (Pillai & Kwon, 1989).
    """
    return 0.5 * (covariance + np.conj(covariance[::-1, ::-1]))


def information_criterion_order(eigenvalues, n_samples, criterion="aic", max_order=None):
    """Number of signal eigenvalues by Wax–Kailath AIC or MDL.

    Parameters
    ----------
    eigenvalues : array_like, shape (p,)
        Covariance eigenvalues (any order; sorted internally).
    n_samples : int
        Number of snapshots behind the covariance.
    criterion : {"aic", "mdl"}
    max_order : int, optional
        Largest order considered (default ``p − 1``).

    Returns
    -------
    int
        The minimiser over ``k = 0..max_order`` of
        AIC(k) = −2 n (p−k) log(g_k/a_k) + 2k(2p−k) or
        MDL(k) = −n (p−k) log(g_k/a_k) + ½ k(2p−k) log n,
        with ``g_k, a_k`` the geometric and arithmetic means of the ``p − k``
        smallest eigenvalues.
    """
    values = np.sort(np.maximum(np.real(np.asarray(eigenvalues, dtype=complex)), 0.0))[::-1]
    p = values.shape[0]
    max_order = p - 1 if max_order is None else min(int(max_order), p - 1)
    # Eigenvalues below this fraction of the largest are rounding, not noise: without
    # the floor a noiseless tensor's tail (1e-30 and scattered) looks like signal.
    floor = max(values[0] * 1e-10, np.finfo(float).tiny) if p else np.finfo(float).tiny
    scores = []
    for k in range(max_order + 1):
        tail = np.maximum(values[k:], floor)
        log_ratio = np.mean(np.log(tail)) - np.log(np.mean(tail))  # log(geometric / arithmetic) ≤ 0
        likelihood = -n_samples * (p - k) * log_ratio
        if criterion == "aic":
            scores.append(2.0 * likelihood + 2.0 * k * (2 * p - k))
        elif criterion == "mdl":
            scores.append(likelihood + 0.5 * k * (2 * p - k) * np.log(n_samples))
        else:
            raise ValueError(f"criterion must be one of {ORDER_CRITERIA}, got {criterion!r}.")
    return int(np.argmin(scores))


def esprit(signal_subspace):
    """Least-squares ESPRIT frequencies from an ``(N, k)`` signal subspace.

    Shift invariance ``U[1:] ≈ U[:-1] Ψ``: the eigenvalues of Ψ are
    ``e^{jω}``. Cost ``O(N k² + k³)``, no rooting.

    Returns
    -------
    ndarray, shape (k,)
        Frequencies in [-π, π).
    """
    psi, *_ = np.linalg.lstsq(signal_subspace[:-1], signal_subspace[1:], rcond=None)
    return _wrap(np.angle(np.linalg.eigvals(psi)))


def root_music(signal_subspace, n_frequencies):
    """Root-MUSIC frequencies from an ``(N, k)`` signal subspace.

    The noise projector ``P = I − U Uᴴ`` gives ``a(ω)ᴴ P a(ω) = Σ_d c_d z^d``
    at ``z = e^{jω}`` with ``c_d`` the sum of P's d-th diagonal; the
    `n_frequencies` roots inside and closest to the unit circle are kept.
    The polynomial has degree ``2(N − 1)``: compress long modes first.

    Returns
    -------
    ndarray, shape (n_frequencies,)
        Frequencies in [-π, π).
    """
    size = signal_subspace.shape[0]
    projector = np.eye(size) - signal_subspace @ signal_subspace.conj().T
    offsets = np.arange(-(size - 1), size)
    coefficients = np.array([np.trace(projector, offset=int(d)) for d in offsets])
    roots = np.roots(coefficients[::-1])  # np.roots wants the highest power first
    inside = roots[np.abs(roots) < 1.0]
    if inside.shape[0] < n_frequencies:  # rounding can push a root onto/over the circle
        inside = roots
    closest = inside[np.argsort(np.abs(1.0 - np.abs(inside)))[:n_frequencies]]
    return _wrap(np.angle(closest))


def _wrap(frequencies):
    return np.mod(np.asarray(frequencies) + np.pi, 2.0 * np.pi) - np.pi


def estimate_mode(data, mode, *, estimator="esprit", order="aic", forward_backward_averaging=True, max_order=None):
    """Candidates of one mode: covariance, FB averaging, order, subspace estimator.

    Parameters
    ----------
    data : ndarray, shape (S, N_1, ..., N_M)
    mode : int
    estimator : {"esprit", "root-music"}
    order : {"aic", "mdl"} or int
        Criterion, or a fixed number of candidates.
    forward_backward_averaging : bool
    max_order : int, optional
        Cap on the number of candidates (≤ N_mode − 1).

    Returns
    -------
    frequencies : ndarray, shape (L,)
        Candidate frequencies of the compressed mode, in [-π, π).
    eigenvalues : ndarray, shape (N_mode,)
        Covariance eigenvalues, descending (for diagnostics).
    """
    covariance, n_columns = mode_covariance(data, mode)
    if forward_backward_averaging:
        covariance = forward_backward(covariance)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    size = covariance.shape[0]
    cap = size - 1 if max_order is None else max(1, min(int(max_order), size - 1))
    if isinstance(order, str):
        n_candidates = information_criterion_order(eigenvalues, n_columns, order, max_order=cap)
        n_candidates = max(n_candidates, 1)  # the caller asked for objects: every mode has a value
    else:
        n_candidates = min(int(order), cap)
    subspace = eigenvectors[:, :n_candidates]
    if estimator == "esprit":
        frequencies = esprit(subspace)
    elif estimator == "root-music":
        frequencies = root_music(subspace, n_candidates)
    else:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}.")
    return np.sort(frequencies), eigenvalues
