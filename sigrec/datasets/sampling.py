"""Benchmark data for learned sub-sampling (the DPS note's B1–B4).

- :func:`make_pulse_echo` (B1): k-sparse reflectivities convolved with a
  Gaussian-modulated cosine pulse, an ultrasound-like fast-time signal whose
  energy sits in a frequency band.
- :func:`make_sparse_spikes` (B2): the same with a unit impulse, so the
  spectrum is flat (classic compressed sensing).
- :func:`make_digits_kspace` (B3): scikit-learn's 8×8 digits in [0, 1],
  shuffled and split (the 2-D DFT is taken by :func:`sigrec.sampling._grid.measure`).
- :func:`make_lines_and_circles` (B4): the ICLR 2020 "lines and circles" toy
  images, 32×32 by default.

Every generator is numpy only and needs no download; signals follow the grid
conventions of :mod:`sigrec.sampling._grid` (images flattened row-major).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from sigrec._validation import check_random_generator

__all__ = [
    "PulseEcho",
    "DigitsTask",
    "make_pulse_echo",
    "make_sparse_spikes",
    "make_digits_kspace",
    "make_lines_and_circles",
]

_N_DIGITS = 1797


def _check_int(value, name, low, high=None):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low or (high is not None and value > high):
        bound = f"≥ {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {bound}; got {value!r}.")
    return int(value)


def _check_real(value, name, low, high=None, *, strict=False):
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if strict else value >= low) and (high is None or value <= high)
    if not ok:
        bound = (">" if strict else "≥") + f" {low}" + ("" if high is None else f" and ≤ {high}")
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}.")
    return float(value)


@dataclass(frozen=True, eq=False, repr=False)
class PulseEcho:
    """Sparse reflectivities seen through a pulse: ``signals = pulse ⊛ reflectivity (+ noise)``.

    Returned by :func:`make_pulse_echo` and :func:`make_sparse_spikes`;
    treat the arrays as read-only. ``N = n_features``.

    Attributes
    ----------
    signals : ndarray of shape (n_samples, N)
        Real signals, the circular convolution of each reflectivity row with
        `pulse`, plus white Gaussian noise of standard deviation `noise_std`.
    reflectivity : ndarray of shape (n_samples, N)
        The sparse sources: k non-zeros per row at uniform distinct
        positions, amplitudes N(0, 1).
    pulse : ndarray of shape (N,)
        The impulse response h, circularly centred (lag 0 at index 0,
        negative lags at the end), unit energy.
    frequency_response : ndarray, complex128, of shape (N,)
        ``np.fft.fft(pulse)`` (unnormalised), so ``abs`` is the filter gain
        per DFT bin, in unshifted order.
    noise_std : float
        Standard deviation of the additive noise (0 when noiseless).
    """

    signals: np.ndarray
    reflectivity: np.ndarray
    pulse: np.ndarray
    frequency_response: np.ndarray
    noise_std: float

    @property
    def dictionary(self):
        """The circulant convolution matrix D, shape (N, N): ``signals ≈ reflectivity @ D.T``.

        Column j is `pulse` circularly shifted by j; pass it as the
        ``dictionary`` of :func:`sigrec.sampling.masks.fista_decode`.
        """
        n = self.pulse.shape[0]
        rows = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
        return self.pulse[rows]

    def __repr__(self):
        n_samples, n_features = self.signals.shape
        return f"PulseEcho(n_samples={n_samples}, n_features={n_features}, noise_std={self.noise_std})"


@dataclass(frozen=True, eq=False, repr=False)
class DigitsTask:
    """scikit-learn's 8×8 digits, scaled to [0, 1] and split (the note's B3).

    Attributes
    ----------
    X_train, X_test : ndarray of shape (n_train, 64), (n_test, 64)
        Flattened images (row-major), ``load_digits().data / 16``.
    y_train, y_test : ndarray of int, shape (n_train,), (n_test,)
        Digit labels 0–9.
    image_shape : tuple of int
        ``(8, 8)``.
    """

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    image_shape: tuple = (8, 8)

    def __repr__(self):
        n_train, n_test = self.X_train.shape[0], self.X_test.shape[0]
        return f"DigitsTask(n_train={n_train}, n_test={n_test}, image_shape={self.image_shape})"


def _circular_lags(n_features):
    """Lag of each index on the circle: 0, 1, …, then −N/2 … −1 (integer)."""
    return (np.arange(n_features) + n_features // 2) % n_features - n_features // 2


def _convolved_sparse(n_samples, n_features, n_nonzero, pulse, noise_std, rng, *, convolve=True):
    # k distinct uniform positions per row: the k smallest of N uniform keys
    keys = rng.random((n_samples, n_features))
    positions = np.argpartition(keys, n_nonzero - 1, axis=1)[:, :n_nonzero]
    amplitudes = rng.standard_normal((n_samples, n_nonzero))
    reflectivity = np.zeros((n_samples, n_features))
    np.put_along_axis(reflectivity, positions, amplitudes, axis=1)
    response = np.fft.fft(pulse)
    if convolve:
        signals = np.fft.ifft(np.fft.fft(reflectivity, axis=1) * response, axis=1).real
    else:  # unit impulse: exact, so noiseless spikes stay exactly sparse
        signals = reflectivity.copy()
    if noise_std > 0:
        signals = signals + noise_std * rng.standard_normal(signals.shape)
    return PulseEcho(
        signals=signals,
        reflectivity=reflectivity,
        pulse=pulse,
        frequency_response=response,
        noise_std=noise_std,
    )


def make_pulse_echo(n_samples=4500, n_features=128, *, n_reflectors=8, pulse_width=3.0, center_frequency=0.25,
                    noise_std=0.0, random_state=None):
    """Pulse-echo signals: sparse reflectors convolved with a band-pass pulse (the note's B1).

    ``x = h ⊛ s (+ noise_std · N(0, 1))`` with circular convolution, ``s``
    k-sparse with N(0, 1) amplitudes at uniform distinct positions, and
    ``h[t] = exp(−t² / (2σ²)) cos(2π f0 t)`` over the circular lags
    ``t ∈ {−N/2, …, N/2 − 1}``, normalised to unit energy. The energy of
    ``x`` sits in the band of ``|H|`` around ``±f0``, which is what a learned
    Fourier mask should find.

    Parameters
    ----------
    n_samples : int, default=4500
        Number of signals (the note uses 4000 training + 500 test).
    n_features : int, default=128
        Signal length N (≥ 2).
    n_reflectors : int, default=8
        Non-zeros per reflectivity row, 1 ≤ k ≤ N.
    pulse_width : float, default=3.0
        σ of the Gaussian envelope, in samples (> 0).
    center_frequency : float, default=0.25
        f0 in cycles per sample, in [0, 0.5].
    noise_std : float, default=0.0
        Standard deviation of the additive white Gaussian noise (≥ 0).
    random_state : int, Generator or None

    Returns
    -------
    PulseEcho
        ``signals`` and ``reflectivity`` of shape (n_samples, N), ``pulse``
        and ``frequency_response`` of shape (N,).

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it).

    Examples
    --------
    >>> from sigrec.datasets import make_pulse_echo
    >>> data = make_pulse_echo(100, 64, n_reflectors=4, random_state=0)
    >>> data.signals.shape, int((data.reflectivity != 0).sum(axis=1).max())
    ((100, 64), 4)
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_features = _check_int(n_features, "n_features", 2)
    n_reflectors = _check_int(n_reflectors, "n_reflectors", 1, n_features)
    pulse_width = _check_real(pulse_width, "pulse_width", 0.0, strict=True)
    center_frequency = _check_real(center_frequency, "center_frequency", 0.0, 0.5)
    noise_std = _check_real(noise_std, "noise_std", 0.0)
    rng = check_random_generator(random_state)
    lags = _circular_lags(n_features).astype(float)
    pulse = np.exp(-(lags**2) / (2.0 * pulse_width**2)) * np.cos(2.0 * math.pi * center_frequency * lags)
    energy = float(np.sum(pulse**2))
    if energy == 0.0:  # cannot happen for σ > 0 (lag 0 gives 1), kept as a guard
        raise ValueError("The pulse has zero energy; check pulse_width and center_frequency.")
    pulse = pulse / math.sqrt(energy)
    return _convolved_sparse(n_samples, n_features, n_reflectors, pulse, noise_std, rng)


def make_sparse_spikes(n_samples=4500, n_features=128, *, n_spikes=8, noise_std=0.0, random_state=None):
    """Time-sparse spike trains with a flat spectrum (the note's B2).

    The same model as :func:`make_pulse_echo` with ``h = δ`` (a unit impulse
    at index 0), so ``signals == reflectivity`` when noiseless and
    ``|H| = 1`` in every bin: no Fourier mask is much better than a random one.

    Parameters
    ----------
    n_samples : int, default=4500
    n_features : int, default=128
        Signal length N (≥ 2).
    n_spikes : int, default=8
        Non-zeros per signal, 1 ≤ k ≤ N.
    noise_std : float, default=0.0
    random_state : int, Generator or None

    Returns
    -------
    PulseEcho
        Arrays of shape (n_samples, N) and (N,), as in :func:`make_pulse_echo`.

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it).
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_features = _check_int(n_features, "n_features", 2)
    n_spikes = _check_int(n_spikes, "n_spikes", 1, n_features)
    noise_std = _check_real(noise_std, "noise_std", 0.0)
    rng = check_random_generator(random_state)
    pulse = np.zeros(n_features)
    pulse[0] = 1.0
    return _convolved_sparse(n_samples, n_features, n_spikes, pulse, noise_std, rng, convolve=False)


def make_digits_kspace(*, n_train=1200, random_state=0):
    """scikit-learn's 8×8 digits in [0, 1], shuffled and split (the note's B3).

    The 1797 images of :func:`sklearn.datasets.load_digits` (shipped with
    scikit-learn, no download) are divided by 16, shuffled with
    `random_state` and cut into the first `n_train` for training and the
    rest for testing. Measure them with
    ``sigrec.sampling._grid.measure(X, (8, 8))`` (orthonormal 2-D DFT).

    Parameters
    ----------
    n_train : int, default=1200
        Training images, 1 ≤ n_train ≤ 1796 (the test set gets the other 597
        by default).
    random_state : int, Generator or None, default=0

    Returns
    -------
    DigitsTask
        ``X_train`` (n_train, 64), ``X_test`` (1797 − n_train, 64), labels
        ``y_train``, ``y_test`` and ``image_shape == (8, 8)``.

    Raises
    ------
    ValueError
        If `n_train` is out of range.
    """
    from sklearn.datasets import load_digits

    n_train = _check_int(n_train, "n_train", 1, _N_DIGITS - 1)
    rng = check_random_generator(random_state)
    digits = load_digits()
    X = np.asarray(digits.data, dtype=float) / 16.0
    y = np.asarray(digits.target)
    order = rng.permutation(X.shape[0])
    train, test = order[:n_train], order[n_train:]
    return DigitsTask(X_train=X[train], X_test=X[test], y_train=y[train], y_test=y[test], image_shape=(8, 8))


def make_lines_and_circles(n_samples=1000, *, size=32, random_state=None):
    """The ICLR 2020 DPS "lines and circles" toy images (the note's B4).

    Each image holds one filled circle (radius uniform in [2, 4] px, centre
    uniform such that the disc fits inside the image, amplitude uniform in
    [1, 10]) plus 0–4 (uniform) full-width horizontal lines, 1 px tall, on
    distinct random rows, each with an amplitude uniform in [1, 10]. The
    parts are summed, so a line crossing the disc adds to it; values lie in
    [0, 20]. Pixel (i, j) belongs to the disc when its centre satisfies
    ``(i − cy)² + (j − cx)² ≤ r²``.

    Parameters
    ----------
    n_samples : int, default=1000
    size : int, default=32
        Image side (≥ 9, so the largest disc fits).
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (n_samples, size * size)
        Images flattened row-major; reshape to ``(n_samples, size, size)``.

    Raises
    ------
    ValueError
        If an argument is out of range.
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    size = _check_int(size, "size", 9)
    rng = check_random_generator(random_state)
    radius = rng.uniform(2.0, 4.0, n_samples)
    centre_y = rng.uniform(radius, size - 1 - radius)
    centre_x = rng.uniform(radius, size - 1 - radius)
    circle_amplitude = rng.uniform(1.0, 10.0, n_samples)
    grid = np.arange(size, dtype=float)
    dy2 = (grid[None, :] - centre_y[:, None]) ** 2  # (n, size)
    dx2 = (grid[None, :] - centre_x[:, None]) ** 2
    inside = dy2[:, :, None] + dx2[:, None, :] <= radius[:, None, None] ** 2
    images = inside * circle_amplitude[:, None, None]
    # lines: up to 4 distinct rows per image; rows beyond the drawn count get amplitude 0
    n_lines = rng.integers(0, 5, n_samples)
    rows = np.argsort(rng.random((n_samples, size)), axis=1)[:, :4]  # 4 distinct rows in random order
    line_amplitude = rng.uniform(1.0, 10.0, (n_samples, 4)) * (np.arange(4)[None, :] < n_lines[:, None])
    row_profile = np.zeros((n_samples, size))
    np.put_along_axis(row_profile, rows, line_amplitude, axis=1)
    images = images + row_profile[:, :, None]
    return images.reshape(n_samples, size * size)
