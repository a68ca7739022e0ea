"""Random multidimensional harmonic scenes (the PLAIN note's S2 and S3 set-ups)."""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from sigrec._validation import check_random_generator
from sigrec.datasets._checks import check_int, check_real, check_shape, check_snr_db

__all__ = ["make_harmonic_tensor", "draw_separated_frequencies"]

_MAX_DRAWS = 20_000
_RESTART_AFTER = 200


def _as_bands(bands, n_modes):
    if bands is None:
        return np.tile([-math.pi, math.pi], (n_modes, 1))
    bands = np.asarray(bands, dtype=float)
    if bands.shape != (n_modes, 2) or not np.all(np.isfinite(bands)) or np.any(bands[:, 1] <= bands[:, 0]):
        raise ValueError(f"bands must be {n_modes} finite (low, high) pairs with low < high; got {bands.tolist()}.")
    return bands


def draw_separated_frequencies(shape, n_components, *, bands=None, min_separation=0.5, wide_separation=2.0,
                               n_wide_modes=2, random_state=None):
    """Draw K frequency vectors with controlled pairwise separations.

    Separations are measured in Rayleigh cells ``2π/N_m`` of each mode
    (circularly). Every pair differs by at least `min_separation` cells in
    every mode and by at least `wide_separation` cells in at least
    `n_wide_modes` modes, the note's S2 rule, so no two objects are tied
    and the per-object CRB is a valid yardstick.

    Parameters
    ----------
    shape : tuple of int, length M
    n_components : int
    bands : array_like, shape (M, 2), optional
        Per-mode intervals (rad/sample) to draw from; default ``[-π, π)``.
    min_separation, wide_separation : float
        In cells.
    n_wide_modes : int
        How many modes must be widely separated (capped at M).
    random_state : int, Generator or None

    Returns
    -------
    ndarray, shape (K, M)

    Raises
    ------
    ValueError
        If no admissible configuration is found in 20 000 draws (bands too
        narrow for the requested separations).
    """
    shape = check_shape(shape, "shape")
    n_modes = len(shape)
    bands = _as_bands(bands, n_modes)
    n_components = check_int(n_components, "n_components")
    min_separation = check_real(min_separation, "min_separation", 0.0)
    wide_separation = check_real(wide_separation, "wide_separation", 0.0)
    rng = check_random_generator(random_state)
    cells = 2.0 * math.pi / np.asarray(shape, dtype=float)
    n_wide = min(check_int(n_wide_modes, "n_wide_modes", 0), n_modes)
    chosen, failures = [], 0
    for _ in range(_MAX_DRAWS):
        candidate = rng.uniform(bands[:, 0], bands[:, 1])
        admissible = True
        for other in chosen:
            gap = np.abs(np.angle(np.exp(1j * (candidate - other)))) / cells
            if np.any(gap < min_separation) or np.sum(gap >= wide_separation) < n_wide:
                admissible = False
                break
        if admissible:
            chosen.append(candidate)
            if len(chosen) == n_components:
                return np.array(chosen)
        else:
            failures += 1
            if failures >= _RESTART_AFTER:  # early objects can block the rest: start over
                chosen, failures = [], 0
    raise ValueError(
        f"Could not place {n_components} objects with separations ≥ {min_separation} cells (all modes) and "
        f"≥ {wide_separation} cells ({n_wide} modes) inside bands {bands.tolist()}; widen the bands or lower K."
    )


def make_harmonic_tensor(shape, n_components=4, *, snr_db=None, amplitudes="equal", bands=None,
                         min_separation=0.5, wide_separation=2.0, frequencies=None, n_snapshots=None,
                         random_state=None):
    """A noisy sum of multidimensional complex exponentials.

    ``Y[n] = Σ_k β_k Π_m e^{j ω_km n_m} + W`` with ``W`` circular white
    Gaussian noise. SNR is **per object per element**: ``|β|²/σ²`` for an
    object of unit power, the mean power of the amplitudes being 1; the
    integrated SNR of object k is ``|β_k|² N / σ²`` with ``N = Π N_m``.

    Parameters
    ----------
    shape : tuple of int, length M
        ``(N_1, ..., N_M)``.
    n_components : int, default=4
        Number of objects K (ignored when `frequencies` is given).
    snr_db : float, optional
        Per-object per-element SNR in dB; None gives a noiseless tensor.
    amplitudes : {"equal", "rayleigh"} or array_like of shape (K,), default="equal"
        ``"equal"``: unit modulus, random phases. ``"rayleigh"``: circular
        Gaussian, normalised to mean power 1. An array is used as given.
    bands : array_like, shape (M, 2), optional
        Where frequencies are drawn (see :func:`draw_separated_frequencies`).
    min_separation, wide_separation : float
        Separation rule in cells (see :func:`draw_separated_frequencies`).
    frequencies : array_like, shape (K, M), optional
        Fixed frequencies instead of random ones.
    n_snapshots : int, optional
        Return ``(S, N_1, ..., N_M)`` with independent random phases per
        snapshot (amplitudes then have shape (S, K)); default one snapshot.
    random_state : int, Generator or None

    Returns
    -------
    Y : ndarray, complex128
        ``shape`` or ``(S,) + shape``.
    frequencies : ndarray, shape (K, M)
        rad/sample.
    amplitudes : ndarray, shape (K,) or (S, K), complex
    noise_var : float
        σ² per complex sample (0 when noiseless).

    Examples
    --------
    >>> from sigrec.datasets import make_harmonic_tensor
    >>> Y, freqs, amps, noise_var = make_harmonic_tensor((8, 32, 16), 3, snr_db=10, random_state=0)
    >>> Y.shape, freqs.shape
    ((8, 32, 16), (3, 3))
    """
    from sigrec.tensor._model import synthesize

    shape = check_shape(shape, "shape", minimum=2)
    snr_db = check_snr_db(snr_db)
    n_rows = 1 if n_snapshots is None else check_int(n_snapshots, "n_snapshots")
    rng = check_random_generator(random_state)
    if frequencies is None:
        if isinstance(n_components, bool) or not isinstance(n_components, Integral) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}.")
        frequencies = draw_separated_frequencies(
            shape, n_components, bands=bands, min_separation=min_separation,
            wide_separation=wide_separation, random_state=rng,
        )
    else:
        frequencies = np.asarray(frequencies, dtype=float)
        if frequencies.ndim != 2 or frequencies.shape[1] != len(shape) or not np.all(np.isfinite(frequencies)):
            raise ValueError(f"frequencies must be a finite (K, {len(shape)}) array, got shape {frequencies.shape}.")
    n_objects = frequencies.shape[0]
    if isinstance(amplitudes, str):
        if amplitudes == "equal":
            beta = np.exp(2j * math.pi * rng.random((n_rows, n_objects)))
        elif amplitudes == "rayleigh":
            beta = (rng.standard_normal((n_rows, n_objects)) + 1j * rng.standard_normal((n_rows, n_objects)))
            beta /= math.sqrt(np.mean(np.abs(beta) ** 2))
        else:
            raise ValueError(f"amplitudes must be 'equal', 'rayleigh' or an array; got {amplitudes!r}.")
    else:
        given = np.asarray(amplitudes, dtype=complex)
        if given.shape != (n_objects,) or not np.all(np.isfinite(given)):
            raise ValueError(f"amplitudes must be a finite array of shape ({n_objects},), got {given.shape}.")
        phases = np.ones((n_rows, 1)) if n_snapshots is None else np.exp(2j * math.pi * rng.random((n_rows, 1)))
        beta = given[None, :] * phases
    tensor = synthesize(frequencies, beta, shape)
    if snr_db is None:
        noise_var = 0.0
    else:
        noise_var = 10.0 ** (-snr_db / 10.0)
        scale = math.sqrt(noise_var / 2.0)
        tensor = tensor + scale * (rng.standard_normal(tensor.shape) + 1j * rng.standard_normal(tensor.shape))
    if n_snapshots is None:
        return tensor[0], frequencies, beta[0], noise_var
    return tensor, frequencies, beta, noise_var
