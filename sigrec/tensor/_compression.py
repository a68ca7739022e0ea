"""Stage 1 of PLAIN: shrink the sampling rate of each mode, keep its span.

Block averaging and decimation keep every object a multidimensional
exponential (at ``Δ_m`` times its frequency), so the later stages see the
same model on a tensor ``Π Δ_m`` times smaller. Multi-offset decimation and
smoothing stack several sub-tensors as snapshots instead.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["COMPRESSIONS", "Compressed", "compress", "averaging_response", "check_factors"]

COMPRESSIONS = ("average", "decimate", "decimate-multi", "smooth", None)
# Multi-offset decimation and smoothing stack at most this many sub-tensors
# (the official code caps both near 100): more adds cost, not rank.
MAX_SUBTENSORS = 100


@dataclass(frozen=True)
class Compressed:
    """A compressed tensor and what is needed to map its frequencies back.

    Attributes
    ----------
    data : ndarray, shape (S', N'_1, ..., N'_M), complex
        The compressed tensor, snapshots first.
    scales : tuple of int
        Frequency multiplier per mode: an object at ``ω`` in the input sits at
        ``scales[m]·(ω − centres[m])`` (mod 2π) in the compressed tensor.
    centres : tuple of float
        Frequency (rad/sample) each mode was demodulated by before compressing.
    """

    data: np.ndarray
    scales: tuple
    centres: tuple

    @property
    def shape(self):
        return self.data.shape[1:]


def check_factors(factors, shape, compression):
    """Validate per-mode compression factors against the mode sizes.

    Returns a tuple of ints (all ones when `compression` is None).
    """
    n_modes = len(shape)
    if compression is None:
        return (1,) * n_modes
    factors = tuple(factors)
    if len(factors) != n_modes:
        raise ValueError(f"factors has {len(factors)} entries but the tensor has {n_modes} mode(s) of shape {shape}.")
    checked = []
    for mode, (factor, size) in enumerate(zip(factors, shape, strict=True)):
        if isinstance(factor, bool) or not float(factor).is_integer() or factor < 1:
            raise ValueError(f"factors[{mode}] must be a positive integer, got {factor!r}.")
        factor = int(factor)
        if size % factor:
            raise ValueError(
                f"factors[{mode}] = {factor} does not divide mode {mode} of size {size}; "
                f"trim the tensor to a multiple of {factor} or choose a divisor."
            )
        if size // factor < 2:
            raise ValueError(f"factors[{mode}] = {factor} leaves fewer than 2 samples in mode {mode} (size {size}).")
        checked.append(factor)
    return tuple(checked)


def averaging_response(frequency, factor):
    """Response ``c_Δ(ω) = (1/Δ) Σ_{r<Δ} e^{jωr}`` of a length-Δ block average.

    A block average of ``e^{jωn}`` is ``c_Δ(ω) e^{jωΔi}``: the same
    exponential at ``Δω``, scaled by ``e^{jω(Δ−1)/2} D_Δ(ω)`` with the
    Dirichlet kernel ``D_Δ``.

    Parameters
    ----------
    frequency : array_like
        ω in rad/sample of the input sampling.
    factor : int
        Block length Δ.

    Returns
    -------
    ndarray, complex
    """
    frequency = np.asarray(frequency, dtype=float)
    offsets = np.arange(factor, dtype=float)
    return np.exp(1j * frequency[..., None] * offsets).mean(axis=-1)


def _demodulate(Y, centres):
    """Multiply each mode by ``e^{-j c_m n}`` so the objects' band is centred on zero."""
    if not any(centres):
        return Y
    out = Y
    for mode, centre in enumerate(centres):
        if centre == 0.0:
            continue
        size = Y.shape[mode + 1]
        ramp = np.exp(-1j * centre * np.arange(size))
        out = out * ramp.reshape((1,) * (mode + 1) + (size,) + (1,) * (Y.ndim - mode - 2))
    return out


def _block_average(Y, factors):
    shape = [Y.shape[0]]
    for size, factor in zip(Y.shape[1:], factors, strict=True):
        shape += [size // factor, factor]
    blocks = Y.reshape(shape)
    return blocks.mean(axis=tuple(range(2, 2 * len(factors) + 1, 2)))


def _decimate(Y, factors, offsets):
    steps = zip(offsets, factors, strict=True)
    index = (slice(None),) + tuple(slice(offset, None, factor) for offset, factor in steps)
    return Y[index]


def _evenly_spaced(values, count):
    if count >= len(values):
        return list(values)
    picks = np.unique(np.round(np.linspace(0, len(values) - 1, count)).astype(int))
    return [values[i] for i in picks]


def compress(Y, factors, compression, centres=None):
    """Apply one of PLAIN's compression options.

    Parameters
    ----------
    Y : array_like, shape (S, N_1, ..., N_M), complex
        Input tensor with a leading snapshot axis (``H[None]`` for one
        snapshot).
    factors : tuple of int
        Δ_m per mode; each must divide its mode.
    compression : {"average", "decimate", "decimate-multi", "smooth", None}
        - ``"average"``: mean of non-overlapping blocks of Δ_m samples (the
          official demo's default): noise drops by ``ΠΔ``, objects inside
          the pass-band keep their energy.
        - ``"decimate"``: every Δ_m-th sample; loses ``10 log10 ΠΔ`` dB.
        - ``"decimate-multi"``: all (or 100 evenly chosen) decimation
          offsets, stacked as snapshots.
        - ``"smooth"``: sliding windows of ``N_m/Δ_m`` samples (about 100 of
          them) stacked as snapshots; shrinks the aperture, so costs resolution.
        - None: no compression.
    centres : sequence of float, optional
        Per-mode frequency to demodulate by first (the centre of the band
        where objects may lie), so the pass-band sits on the objects.

    Returns
    -------
    Compressed

    Raises
    ------
    ValueError
        For real, NaN or infinite data, factors that do not divide the
        shape, an unknown `compression`, or malformed `centres`.
    """
    from sigrec.tensor._model import check_tensor

    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, got {compression!r}.")
    Y = check_tensor(Y, snapshots=True)
    n_modes = Y.ndim - 1
    factors = check_factors(factors, Y.shape[1:], compression)
    if centres is not None and (len(centres) != n_modes or not np.all(np.isfinite(np.asarray(centres, float)))):
        raise ValueError(f"centres must give one finite frequency per mode ({n_modes}), got {centres!r}.")
    return compress_validated(Y, factors, compression, centres)


def compress_validated(Y, factors, compression, centres=None):
    """:func:`compress` without input checks, for callers that validated already (PLAIN's fit)."""
    n_modes = Y.ndim - 1
    centres = tuple(float(c) for c in (centres if centres is not None else (0.0,) * n_modes))
    Y = _demodulate(Y, centres)
    if compression is None or all(factor == 1 for factor in factors):
        return Compressed(Y, (1,) * n_modes, centres)
    if compression == "average":
        return Compressed(_block_average(Y, factors), tuple(factors), centres)
    if compression == "decimate":
        return Compressed(_decimate(Y, factors, (0,) * n_modes), tuple(factors), centres)
    if compression == "decimate-multi":
        combinations = list(itertools.product(*(range(factor) for factor in factors)))
        chosen = _evenly_spaced(combinations, MAX_SUBTENSORS)
        stacked = np.concatenate([_decimate(Y, factors, offsets) for offsets in chosen], axis=0)
        return Compressed(stacked, tuple(factors), centres)
    if compression == "smooth":
        windows = [size // factor for size, factor in zip(Y.shape[1:], factors, strict=True)]
        positions = [list(range(size - window + 1)) for size, window in zip(Y.shape[1:], windows, strict=True)]
        smoothed_modes = sum(len(p) > 1 for p in positions)
        per_mode = max(1, int(math.floor(MAX_SUBTENSORS ** (1.0 / max(smoothed_modes, 1)))))
        positions = [_evenly_spaced(p, per_mode) for p in positions]
        pieces = []
        for starts in itertools.product(*positions):
            spans = zip(starts, windows, strict=True)
            index = (slice(None),) + tuple(slice(start, start + window) for start, window in spans)
            pieces.append(Y[index])
        return Compressed(np.concatenate(pieces, axis=0), (1,) * n_modes, centres)
    raise ValueError(f"compression must be one of {COMPRESSIONS}, got {compression!r}.")
