"""Deterministic Cramér–Rao bound of the multidimensional harmonic model."""

from __future__ import annotations

import numpy as np

from sigrec._validation import check_array
from sigrec.tensor._model import _as_amplitude_matrix, check_frequencies, derivative_grams

__all__ = ["harmonic_crb"]


def harmonic_crb(frequencies, amplitudes, shape, noise_var, *, full=False):
    r"""Joint deterministic CRB on every frequency of every object.

    For ``y = Φ(η) β + w`` with white circular noise of variance σ² per
    sample, the Fisher information of the frequencies with the complex
    amplitudes as nuisance parameters is (Stoica & Nehorai, 1989)

    .. math:: J_{ij} = \frac{2}{σ^2} \sum_s \mathrm{Re}\left[\bar β_{s,k(i)} β_{s,k(j)}\,
              d_i^H P^\perp_Φ d_j\right],

    where ``d_i`` is the derivative of the atom of object ``k(i)`` with
    respect to its frequency in mode ``r(i)``. All inner products are
    Hadamard products of per-mode Gram matrices (Khatri–Rao identity), so
    the cost is ``O(K² Σ N_m + (KM)³)``; no N-row matrix is formed. Unlike
    a per-parameter-type bound that treats the other modes as known, this
    is the full ``KM × KM`` bound, cross-mode coupling included.

    Parameters
    ----------
    frequencies : array_like, shape (K, M)
        True frequencies, rad/sample.
    amplitudes : array_like, shape (K,) or (S, K)
        True complex amplitudes (per snapshot when 2-D).
    shape : tuple of int, length M
        Tensor size ``(N_1, ..., N_M)``.
    noise_var : float
        Noise variance σ² per complex sample (E|w|²), > 0.
    full : bool, default=False
        Return the whole ``(K·M, K·M)`` covariance bound (object-major:
        index ``k·M + m``) instead of the per-frequency variances.

    Returns
    -------
    ndarray
        ``(K, M)`` lower bounds on the variance (rad²) of each frequency
        estimate, or the ``(K·M, K·M)`` matrix when `full`.

    Raises
    ------
    ValueError
        For non-finite inputs, a non-positive noise variance, mismatched
        shapes, or a singular Fisher matrix (e.g. two identical objects).

    Notes
    -----
    A single object in one snapshot gives the closed form
    ``var(ω_r) ≥ 6σ² / (|β|² N (N_r² − 1))`` with ``N = Π N_m``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigrec.tensor import harmonic_crb
    >>> bound = harmonic_crb([[0.3, -1.0]], [1.0], (8, 16), noise_var=0.1)
    >>> bool(np.isclose(bound[0, 1], 6 * 0.1 / (128 * (16**2 - 1))))
    True
    """
    shape = tuple(int(size) for size in shape)
    if any(size < 1 for size in shape):
        raise ValueError(f"shape must contain positive sizes, got {shape}.")
    frequencies = check_frequencies(frequencies, n_modes=len(shape))
    n_objects, n_modes = frequencies.shape
    beta = _as_amplitude_matrix(amplitudes, n_objects)
    noise_var = float(check_array(np.asarray(noise_var, dtype=float), name="noise_var", ndim=0))
    if not noise_var > 0.0:
        raise ValueError(f"noise_var must be positive, got {noise_var}.")

    phi_gram, d_phi, d_d = derivative_grams(frequencies, shape)

    try:
        phi_inverse_phi_d = [np.linalg.solve(phi_gram, d_phi[q].conj().T) for q in range(n_modes)]
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            "The objects' atoms are linearly dependent (identical objects?); the CRB is undefined."
        ) from exc

    # Fisher matrix, object-major index k·M + r.
    weights = np.einsum("sk,sl->kl", beta.conj(), beta)  # Σ_s conj(β_k) β_l
    fisher = np.empty((n_objects, n_modes, n_objects, n_modes))
    for r in range(n_modes):
        for q in range(n_modes):
            projected = d_d[r, q] - d_phi[r] @ phi_inverse_phi_d[q]  # D_r^H P⊥ D_q
            fisher[:, r, :, q] = (2.0 / noise_var) * np.real(weights * projected)
    fisher = fisher.reshape(n_objects * n_modes, n_objects * n_modes)
    fisher = 0.5 * (fisher + fisher.T)
    try:
        bound = np.linalg.inv(fisher)
    except np.linalg.LinAlgError as exc:
        raise ValueError("The Fisher information is singular (a zero amplitude or coincident objects).") from exc
    if full:
        return bound
    variances = np.diag(bound).reshape(n_objects, n_modes)
    if np.any(variances <= 0) or not np.all(np.isfinite(variances)):
        raise ValueError("The Fisher information is numerically singular; the CRB is undefined here.")
    return variances
