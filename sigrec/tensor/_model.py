"""The multidimensional harmonic model every estimator in :mod:`sigrec.tensor` shares.

Conventions (fixed here, used by PLAIN, the baselines, the bound and the ISAC
mapping):

- A single snapshot is an M-way complex array ``Y`` of shape
  ``(N_1, ..., N_M)``; several snapshots stack on a leading axis,
  ``(S, N_1, ..., N_M)``.
- ``Y[s, n_1, ..., n_M] = Σ_k β[s, k] Π_m exp(+j ω[k, m] n_m) + W`` with
  ``n_m = 0..N_m-1``: object ``k`` has one frequency per mode, in rad/sample,
  and one complex amplitude per snapshot, referenced to sample index 0.
- Frequencies are stored as a ``(K, M)`` float array; amplitudes as ``(K,)``
  (one snapshot) or ``(S, K)``.

Khatri–Rao Gram identities keep everything at per-mode size: the inner
product of two rank-one terms is the product of the per-mode inner products,
so no N-row matrix is ever formed.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from sigrec._validation import check_array

__all__ = [
    "vandermonde",
    "vandermonde_derivative",
    "check_tensor",
    "check_frequencies",
    "synthesize",
    "project_onto_objects",
    "project_onto_factors",
    "khatri_rao",
    "gram",
    "refit_amplitudes",
    "derivative_grams",
    "wrap_to_interval",
]


def vandermonde(frequencies, length, *, start=0.0, step=1.0):
    """Steering matrix ``exp(j ω (start + step·n))``, ``n = 0..length-1``.

    Parameters
    ----------
    frequencies : array_like, shape (K,)
        Frequencies in rad/sample.
    length : int
        Number of samples.
    start, step : float
        Sample positions ``start + step·n`` (a block-average's centre, a
        decimation stride).

    Returns
    -------
    ndarray, shape (length, K), complex128
    """
    positions = start + step * np.arange(length, dtype=float)
    return np.exp(1j * np.outer(positions, np.asarray(frequencies, dtype=float)))


def vandermonde_derivative(frequencies, length):
    """Derivative of :func:`vandermonde` with respect to each frequency, shape (length, K)."""
    positions = np.arange(length, dtype=float)
    return 1j * positions[:, None] * vandermonde(frequencies, length)


def check_tensor(Y, *, snapshots=False, n_modes=None, name="Y"):
    """Validate a harmonic tensor and return it with a leading snapshot axis.

    Parameters
    ----------
    Y : array_like, complex
        ``(N_1, ..., N_M)`` for one snapshot, or ``(S, N_1, ..., N_M)`` when
        `snapshots` is True.
    snapshots : bool
        Whether the first axis holds snapshots.
    n_modes : int, optional
        Required number of sensing modes M.
    name : str
        Argument name used in error messages.

    Returns
    -------
    ndarray, shape (S, N_1, ..., N_M), complex128
        A view of (or a cast copy of) the input; never modified in place.

    Raises
    ------
    ValueError
        For real-valued, NaN or infinite input, the wrong number of axes, or a
        mode with fewer than 2 samples.
    """
    values = np.asarray(Y) if not isinstance(Y, (str, bytes)) else Y
    kind = getattr(getattr(values, "dtype", None), "kind", None)
    if kind is not None and kind not in "cO":
        raise ValueError(
            f"{name} must be complex-valued (a baseband harmonic tensor); got dtype "
            f"{values.dtype}. Real signals have conjugate-symmetric spectra: form the "
            f"analytic signal or pass complex data."
        )
    values = check_array(Y, name=name, ndim=tuple(range(1, 12)), allow_complex=True)
    if values.dtype.kind != "c":
        raise ValueError(f"{name} must be complex-valued; got dtype {values.dtype}.")
    if not snapshots:
        values = values[np.newaxis]
    n_found = values.ndim - 1
    if n_found < 1:
        raise ValueError(f"{name} with snapshots=True needs at least 2 axes, got shape {values.shape}.")
    if n_modes is not None and n_found != n_modes:
        layout = "(S, N_1, ..., N_M)" if snapshots else "(N_1, ..., N_M)"
        raise ValueError(
            f"{name} has {n_found} sensing mode(s) (shape {np.shape(Y)}, layout {layout}) but "
            f"{n_modes} were expected (one per compression factor). Pass snapshots=True for a "
            f"leading snapshot axis, or give one factor per mode."
        )
    for axis, size in enumerate(values.shape[1:]):
        if size < 2:
            raise ValueError(f"{name}: mode {axis} has {size} sample(s); at least 2 are needed.")
    if values.shape[0] < 1:
        raise ValueError(f"{name} has 0 snapshots.")
    return values


def check_frequencies(frequencies, n_modes=None, name="frequencies"):
    """Validate a ``(K, M)`` real frequency array (1-D input means M = 1)."""
    values = check_array(frequencies, name=name, ndim=(1, 2))
    if values.ndim == 1:
        values = values[:, None]
    if n_modes is not None and values.shape[1] != n_modes:
        raise ValueError(f"{name} must have {n_modes} column(s), one per mode; got shape {values.shape}.")
    return values


def _as_amplitude_matrix(amplitudes, n_components):
    values = check_array(amplitudes, name="amplitudes", ndim=(1, 2), allow_complex=True)
    if values.ndim == 1:
        values = values[None, :]
    if values.shape[1] != n_components:
        raise ValueError(
            f"amplitudes must have {n_components} entries per snapshot (one per object); got shape {values.shape}."
        )
    return values.astype(np.complex128, copy=False)


def synthesize(frequencies, amplitudes, shape):
    """Noiseless tensor: the sum of the objects' rank-one terms ``Σ_k β_k a_1(ω_k1) ∘ … ∘ a_M(ω_kM)``.

    Parameters
    ----------
    frequencies : array_like, shape (K, M)
        Frequencies in rad/sample.
    amplitudes : array_like, shape (K,) or (S, K)
        Complex amplitudes (per snapshot when 2-D).
    shape : tuple of int, length M
        ``(N_1, ..., N_M)``.

    Returns
    -------
    ndarray, shape (N_1, ..., N_M) or (S, N_1, ..., N_M), complex128
    """
    shape = tuple(int(size) for size in shape)
    frequencies = check_frequencies(frequencies, n_modes=len(shape))
    single = np.ndim(amplitudes) == 1
    beta = _as_amplitude_matrix(amplitudes, frequencies.shape[0])
    factors = [vandermonde(frequencies[:, m], size) for m, size in enumerate(shape)]
    # Build the last mode first: the running array stays (S, K, N_m+1..N_M) until the end.
    letters = "abcdefghijklmnopqrstuvw"[: len(shape)]
    operands = [beta] + factors
    subscripts = "sk," + ",".join(f"{letter}k" for letter in letters) + "->s" + letters
    tensor = np.einsum(subscripts, *operands, optimize=True)
    return tensor[0] if single else tensor


def project_onto_objects(Y, frequencies):
    """Inner products ``Φᴴ y`` of each snapshot with each rank-one atom, shape (S, K).

    `Y` has a leading snapshot axis; ``N = Π N_m`` and the cost is ``O(N K)``.
    """
    frequencies = np.asarray(frequencies, dtype=float)
    shape = Y.shape[1:]
    return project_onto_factors(Y, [vandermonde(frequencies[:, m], size) for m, size in enumerate(shape)])


def project_onto_factors(Y, factors):
    """Inner products of each snapshot with the Khatri–Rao atoms of per-mode `factors`.

    Parameters
    ----------
    Y : ndarray, shape (S, N_1, ..., N_M)
    factors : list of ndarray, shapes (N_m, K)
        Column k of every factor together define atom k (e.g. steering
        vectors, or one mode's derivative for a Fisher or Gauss–Newton step).

    Returns
    -------
    ndarray, shape (S, K)

    Notes
    -----
    The largest mode is contracted first (one matrix product, ``O(N K)``);
    the rest is contracted against the Khatri–Rao product of the remaining,
    much shorter, modes.
    """
    shape = Y.shape[1:]
    largest = int(np.argmax(shape))
    others = [mode for mode in range(len(shape)) if mode != largest]
    n_atoms = factors[0].shape[1]
    moved = np.moveaxis(Y, largest + 1, -1)  # (S, other modes..., N_largest)
    partial = (moved @ np.conj(factors[largest])).reshape(Y.shape[0], -1, n_atoms)  # (S, R, K)
    if not others:
        return partial[:, 0, :]
    remaining = khatri_rao([np.conj(factors[m]) for m in others])  # (R, K)
    return np.einsum("srk,rk->sk", partial, remaining)


def khatri_rao(factors):
    """Column-wise Kronecker product, first factor varying slowest (C order), shape (Π rows, K)."""
    if not factors:
        return np.ones((1, 1))
    result = factors[0]
    for factor in factors[1:]:
        result = (result[:, None, :] * factor[None, :, :]).reshape(-1, factor.shape[1])
    return result


def gram(frequencies_a, frequencies_b, shape):
    """Gram matrix ``Φ(ω_a)ᴴ Φ(ω_b)`` of two sets of rank-one atoms, as a Hadamard product of per-mode Grams."""
    result = None
    for mode, size in enumerate(shape):
        left = vandermonde(np.asarray(frequencies_a)[:, mode], size)
        right = vandermonde(np.asarray(frequencies_b)[:, mode], size)
        block = left.conj().T @ right
        result = block if result is None else result * block
    return result


def derivative_grams(frequencies, shape):
    """Gram blocks of the atoms and of their frequency derivatives.

    With ``Φ`` the K atoms and ``D_r`` their derivatives with respect to the
    mode-r frequency, returns ``ΦᴴΦ`` (K × K), ``D_rᴴΦ`` for each r (a list)
    and ``D_rᴴD_q`` as an (M, M, K, K) array. Each is a Hadamard product of
    per-mode K × K Grams (``aᴴa``, ``a'ᴴa``, ``a'ᴴa'``), so the cost is
    ``O(K² Σ N_m)`` whatever the tensor size. Used by the CRB and by the
    Gauss–Newton refinement.
    """
    frequencies = np.asarray(frequencies, dtype=float)
    n_objects, n_modes = frequencies.shape
    steering = [vandermonde(frequencies[:, m], size) for m, size in enumerate(shape)]
    derivative = [vandermonde_derivative(frequencies[:, m], size) for m, size in enumerate(shape)]
    plain = [a.conj().T @ a for a in steering]
    left_derivative = [d.conj().T @ a for d, a in zip(derivative, steering, strict=True)]
    both_derivative = [d.conj().T @ d for d in derivative]

    def product(blocks):
        result = np.ones((n_objects, n_objects), dtype=complex)
        for block in blocks:
            result = result * block
        return result

    phi_gram = product(plain)
    d_phi = [product([left_derivative[m] if m == r else plain[m] for m in range(n_modes)]) for r in range(n_modes)]
    d_d = np.empty((n_modes, n_modes, n_objects, n_objects), dtype=complex)
    for r in range(n_modes):
        for q in range(n_modes):
            blocks = []
            for m in range(n_modes):
                if m == r and m == q:
                    blocks.append(both_derivative[m])
                elif m == r:
                    blocks.append(left_derivative[m])
                elif m == q:
                    blocks.append(left_derivative[m].conj().T)
                else:
                    blocks.append(plain[m])
            d_d[r, q] = product(blocks)
    return phi_gram, d_phi, d_d


def refit_amplitudes(Y, frequencies):
    """Least-squares amplitudes of the atoms at `frequencies` in every snapshot of `Y`.

    Parameters
    ----------
    Y : ndarray, shape (S, N_1, ..., N_M)
    frequencies : ndarray, shape (K, M)

    Returns
    -------
    ndarray, shape (S, K), complex128
    """
    frequencies = np.asarray(frequencies, dtype=float)
    if frequencies.shape[0] == 0:
        return np.zeros((Y.shape[0], 0), dtype=complex)
    correlations = project_onto_objects(Y, frequencies)  # (S, K)
    gram_matrix = gram(frequencies, frequencies, Y.shape[1:])
    solution, *_ = np.linalg.lstsq(gram_matrix, correlations.T, rcond=None)
    return solution.T


def wrap_to_interval(frequencies, low, period=2.0 * math.pi):
    """Map frequencies onto ``[low, low + period)`` by adding multiples of `period`."""
    return low + np.mod(np.asarray(frequencies, dtype=float) - low, period)


def check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)
