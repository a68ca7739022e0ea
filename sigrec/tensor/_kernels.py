"""Inner loops of :mod:`sigrec.tensor`: a numba kernel and its numpy twin each.

Only the OFDM channel application lives here: per OFDM symbol and path, a
tapped delay line (one integer tap), a Doppler phasor evaluated at every
time sample (so inter-carrier interference is simulated, not modelled) and
the spatial phase of every antenna. The numpy twin is the reference the
tests compare the kernel against.
"""

from __future__ import annotations

import math

import numpy as np

from sigrec._numba import njit, resolve_engine

__all__ = ["apply_channel", "apply_channel_numpy", "apply_channel_numba"]


@njit
def _apply_channel_kernel(transmitted, taps, doppler, symbol_starts, sample_offsets, weights, out):
    n_symbols, n_total = transmitted.shape
    n_antennas, n_paths = weights.shape
    n_fft = out.shape[2]
    n_cp = n_total - n_fft
    path_signal = np.empty(n_fft, dtype=np.complex128)
    for symbol in range(n_symbols):
        for path in range(n_paths):
            first = n_cp - taps[path]
            rate = doppler[path]
            for i in range(n_fft):
                # Same association as the numpy twin, rate·(start + offset), so both round alike.
                phase = rate * (symbol_starts[symbol] + sample_offsets[i])
                path_signal[i] = complex(math.cos(phase), math.sin(phase)) * transmitted[symbol, first + i]
            for antenna in range(n_antennas):
                weight = weights[antenna, path]
                for i in range(n_fft):
                    out[antenna, symbol, i] += weight * path_signal[i]
    return out


def _check_channel_arguments(transmitted, taps, weights, n_fft):
    n_cp = transmitted.shape[1] - n_fft
    if n_cp < 0:
        raise ValueError(f"transmitted has {transmitted.shape[1]} samples per symbol, fewer than n_fft={n_fft}.")
    if taps.size and (taps.min() < 0 or taps.max() > n_cp):
        raise ValueError(f"taps must lie in [0, {n_cp}] (the cyclic prefix length); got {taps.min()}..{taps.max()}.")
    if weights.shape[1] != taps.shape[0]:
        raise ValueError(f"weights has {weights.shape[1]} path column(s) but taps has {taps.shape[0]} entries.")


def apply_channel_numpy(transmitted, taps, doppler, symbol_starts, sample_offsets, weights, n_fft):
    """Received useful samples of every antenna and symbol (numpy twin).

    ``out[n, l, i] = Σ_p weights[n, p] · exp(j doppler[p] (symbol_starts[l] + sample_offsets[i]))
    · transmitted[l, n_cp + i − taps[p]]`` with ``n_cp = transmitted.shape[1] − n_fft``.

    Parameters
    ----------
    transmitted : ndarray, shape (N_t, n_cp + n_fft), complex128
        Time-domain OFDM symbols, cyclic prefix first.
    taps : ndarray, shape (K,), int64
        Path delays relative to the earliest path, in samples, each in ``[0, n_cp]``.
    doppler : ndarray, shape (K,), float64
        Doppler angular frequencies ``2π f_D`` in rad/s.
    symbol_starts : ndarray, shape (N_t,), float64
        Time origin of each symbol's FFT window, in seconds.
    sample_offsets : ndarray, shape (n_fft,), float64
        Time of each useful sample relative to its symbol's origin, in seconds.
    weights : ndarray, shape (N_a, K), complex128
        Complex gain times spatial phase of each path at each antenna.
    n_fft : int
        Useful samples per symbol.

    Returns
    -------
    ndarray, shape (N_a, N_t, n_fft), complex128
    """
    _check_channel_arguments(transmitted, taps, weights, n_fft)
    n_cp = transmitted.shape[1] - n_fft
    phase = doppler[:, None, None] * (symbol_starts[None, :, None] + sample_offsets[None, None, :])
    columns = n_cp - taps[:, None] + np.arange(n_fft)[None, :]  # (K, n_fft)
    delayed = np.moveaxis(transmitted[:, columns], 1, 0)  # (K, N_t, n_fft)
    path_signals = (np.cos(phase) + 1j * np.sin(phase)) * delayed
    n_paths, n_symbols = taps.shape[0], transmitted.shape[0]
    out = weights @ path_signals.reshape(n_paths, n_symbols * n_fft)
    return out.reshape(weights.shape[0], n_symbols, n_fft)


def apply_channel_numba(transmitted, taps, doppler, symbol_starts, sample_offsets, weights, n_fft):
    """Same as :func:`apply_channel_numpy`, computed by the numba kernel."""
    _check_channel_arguments(transmitted, taps, weights, n_fft)
    out = np.zeros((weights.shape[0], transmitted.shape[0], n_fft), dtype=np.complex128)
    return _apply_channel_kernel(
        np.ascontiguousarray(transmitted, dtype=np.complex128),
        np.ascontiguousarray(taps, dtype=np.int64),
        np.ascontiguousarray(doppler, dtype=np.float64),
        np.ascontiguousarray(symbol_starts, dtype=np.float64),
        np.ascontiguousarray(sample_offsets, dtype=np.float64),
        np.ascontiguousarray(weights, dtype=np.complex128),
        out,
    )


def apply_channel(transmitted, taps, doppler, symbol_starts, sample_offsets, weights, n_fft, engine="auto"):
    """Dispatch to the numba kernel or its numpy twin (see :func:`apply_channel_numpy`)."""
    if resolve_engine(engine) == "numba":
        return apply_channel_numba(transmitted, taps, doppler, symbol_starts, sample_offsets, weights, n_fft)
    return apply_channel_numpy(transmitted, taps, doppler, symbol_starts, sample_offsets, weights, n_fft)
