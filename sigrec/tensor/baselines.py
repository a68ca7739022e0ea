"""Joint and sequential estimators PLAIN is compared against.

All four fit the multidimensional harmonic model of :mod:`sigrec.tensor._model`,

    ``Y[s, n_1, ..., n_M] = Σ_k β[s, k] Π_m exp(+j ω[k, m] n_m) + W``,

and expose the same fitted attributes: ``frequencies_`` (K, M) in rad/sample,
each column in ``[-π, π)``; ``amplitudes_`` (K,) or (S, K), the
least-squares amplitudes of the final atoms on the input tensor; objects
sorted by decreasing power ``mean_s |β[s, k]|²``.

- :class:`FFTPeriodogram`: zero-padded M-D FFT, peak picking, optional
  parabolic or Newton refinement. The resolution yardstick: objects closer
  than about one Rayleigh cell ``2π/N_m`` in every mode merge into one peak
  (when roughly in phase at the tensor centre; see the class notes).
- :class:`GridOMP`: joint M-D orthogonal matching pursuit on the Kronecker
  DFT grid with off-grid Newton refinement (NOMP; Mamandipoor, Ramasamy and
  Madhow, IEEE TSP 2016).
- :class:`TensorESPRIT`: joint R-D standard ESPRIT with M-D spatial
  smoothing and automatic pairing (Haardt, Roemer and Del Galdo, IEEE TSP
  2008). Polynomial of high degree in the tensor size: small or compressed
  tensors only.
- :class:`SequentialEstimator`: one mode at a time (ESPRIT on the mode
  unfolding, LS beamforming, recursion on each branch); the pairing is
  implicit and errors propagate from mode to mode.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy.ndimage import maximum_filter
from sklearn.base import BaseEstimator

from sigrec._validation import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    check_random_generator,
)
from sigrec.tensor._modal import esprit, forward_backward, information_criterion_order
from sigrec.tensor._model import (
    check_positive_int,
    check_tensor,
    refit_amplitudes,
    synthesize,
    vandermonde,
    wrap_to_interval,
)

__all__ = ["FFTPeriodogram", "GridOMP", "TensorESPRIT", "SequentialEstimator"]

_TWO_PI = 2.0 * math.pi
# A Newton step may move a frequency by at most this many Rayleigh cells: the
# matched-filter objective is concave only over part of its main lobe, and a
# longer step could hop onto a neighbouring (possibly already taken) object.
_MAX_NEWTON_STEP_CELLS = 0.5
# Cyclic refinement stops once no frequency moved by more than this many
# Rayleigh cells in a round (far below any statistical error).
_CYCLIC_TOL_CELLS = 1e-11
# Forward-backward ESPRIT on a subspace with noise directions returns its
# spurious eigenvalues in pairs (λ, 1/λ̄) with the same phase; such twins
# (candidates this close, in Rayleigh cells) are merged before any LS fit,
# which they would make singular.
_MERGE_CELLS = 1e-3
# TensorESPRIT copies at most about this many complex numbers of the
# smoothed data matrix at a time (2**22: 64 MiB).
_BLOCK_ELEMENTS = 1 << 22
# Halvings tried before a Newton step that lowers the objective is rejected.
_NEWTON_BACKTRACKS = 4


def _wrap(frequencies):
    return wrap_to_interval(frequencies, -math.pi)


# ---------------------------------------------------------------------------
# Shared numerical helpers
# ---------------------------------------------------------------------------


def _distinct(frequencies, size):
    """Drop frequencies within ``_MERGE_CELLS`` Rayleigh cells of an earlier one (order kept)."""
    kept = []
    for frequency in frequencies:
        if all(abs(np.angle(np.exp(1j * (frequency - other)))) * size / _TWO_PI > _MERGE_CELLS for other in kept):
            kept.append(frequency)
    return np.array(kept)


def _top_eigenvectors(covariance, order):
    """The `order` dominant eigenvectors of a Hermitian matrix, strongest first."""
    _, vectors = np.linalg.eigh(covariance)
    return vectors[:, ::-1][:, :order]


def _power(amplitudes):
    return np.mean(np.abs(amplitudes) ** 2, axis=0)


def _padded_power(tensor, padded_shape):
    """``Σ_s |Σ_n y_s[n] e^{-j 2π k·n / L}|²`` on the zero-padded grid, i.e. ``Σ_s |a(ω_k)ᴴ y_s|²``."""
    axes = tuple(range(1, tensor.ndim))
    spectrum = np.fft.fftn(tensor, s=padded_shape, axes=axes)
    return np.sum(spectrum.real**2 + spectrum.imag**2, axis=0)


def _bins_to_frequencies(bins, padded_shape):
    # fftn correlates with exp(-j 2π k n / L), so bin k matches ω = 2π k / L.
    return _wrap(_TWO_PI * np.asarray(bins, dtype=float) / np.asarray(padded_shape, dtype=float))


def _atom(frequency, shape):
    """Rank-one tensor ``a_1(ω_1) ∘ ... ∘ a_M(ω_M)``, shape ``shape``."""
    result = np.ones((), dtype=complex)
    for mode, size in enumerate(shape):
        result = np.multiply.outer(result, np.exp(1j * frequency[mode] * np.arange(size)))
    return result


def _contractions(residual, frequency):
    """All mixed matched-filter derivatives up to order 2 in each mode.

    Returns ``T`` of shape (S, 3, ..., 3) with
    ``T[s, d_1, ..., d_M] = Σ_n y_s[n] Π_m (-j n_m)^{d_m} e^{-j ω_m n_m}``,
    i.e. ``∂^{d_1+...+d_M} (a(ω)ᴴ y_s) / ∂ω_1^{d_1} ... ∂ω_M^{d_M}``. One
    contraction per mode, largest cost ``3 N`` (N = Π N_m).
    """
    shape = residual.shape[1:]
    n_modes = len(shape)
    result = residual
    for mode in reversed(range(n_modes)):
        positions = np.arange(shape[mode], dtype=float)
        base = np.exp(-1j * frequency[mode] * positions)
        factor = np.stack([base, -1j * positions * base, -(positions**2) * base], axis=1)
        # tensordot appends the derivative axis at the end: after the loop the
        # derivative axes are in reversed mode order.
        result = np.tensordot(result, factor, axes=([1 + mode], [0]))
    return np.transpose(result, (0,) + tuple(range(n_modes, 0, -1)))


def _matched_filter_terms(contractions, n_modes):
    """Objective ``f = Σ_s |a(ω)ᴴ y_s|²``, its gradient and Hessian in ω."""

    def index(orders):
        return (slice(None),) + tuple(orders)

    zero = [0] * n_modes
    value = contractions[index(zero)]
    first = []
    for mode in range(n_modes):
        orders = list(zero)
        orders[mode] = 1
        first.append(contractions[index(orders)])
    objective = float(np.sum(np.abs(value) ** 2))
    gradient = np.array([2.0 * np.sum(np.conj(value) * first[m]).real for m in range(n_modes)])
    hessian = np.empty((n_modes, n_modes))
    for row in range(n_modes):
        for col in range(row, n_modes):
            orders = list(zero)
            orders[row] += 1
            orders[col] += 1
            second = contractions[index(orders)]
            entry = 2.0 * np.sum(np.conj(first[col]) * first[row] + np.conj(value) * second).real
            hessian[row, col] = hessian[col, row] = entry
    return objective, gradient, hessian, value


def _newton_refine(residual, frequency, n_steps):
    """Guarded Newton ascent of ``Σ_s |a(ω)ᴴ r_s|²`` in all M coordinates jointly.

    A step is taken only where the Hessian is negative definite, is shortened
    to at most half a Rayleigh cell per mode, and is halved (a few times) and
    finally rejected if it lowers the objective, so the objective never
    decreases.

    Parameters
    ----------
    residual : ndarray, shape (S, N_1, ..., N_M)
        Data with every other object subtracted.
    frequency : ndarray, shape (M,)
        Starting frequencies, rad/sample.
    n_steps : int
        Maximum number of Newton steps.

    Returns
    -------
    frequency : ndarray, shape (M,)
        Refined frequencies in [-π, π).
    correlation : ndarray, shape (S,)
        ``a(ω)ᴴ r_s`` at the returned frequencies.
    """
    shape = residual.shape[1:]
    n_modes = len(shape)
    max_step = _MAX_NEWTON_STEP_CELLS * _TWO_PI / np.asarray(shape, dtype=float)
    frequency = np.array(frequency, dtype=float)
    objective, gradient, hessian, value = _matched_filter_terms(_contractions(residual, frequency), n_modes)
    for _ in range(n_steps):
        try:
            # Cholesky of −H doubles as the negative-definiteness test.
            factor = np.linalg.cholesky(-hessian)
        except np.linalg.LinAlgError:
            break
        step = np.linalg.solve(factor.T.conj(), np.linalg.solve(factor, gradient))
        ratio = np.max(np.abs(step) / max_step)
        if ratio > 1.0:
            step = step / ratio
        if not np.all(np.isfinite(step)) or not np.any(step):
            break
        accepted = False
        for _ in range(_NEWTON_BACKTRACKS + 1):
            candidate = _wrap(frequency + step)
            terms = _matched_filter_terms(_contractions(residual, candidate), n_modes)
            if terms[0] >= objective:
                accepted = True
                break
            step = 0.5 * step
        if not accepted:
            break
        frequency = candidate
        objective, gradient, hessian, value = terms
        if np.max(np.abs(step) / max_step) < 1e-13:
            break
    return frequency, value


def _refine_cyclic(Y, frequencies, amplitudes, *, n_steps, n_rounds):
    """NOMP-style cyclic refinement, then a joint LS re-fit of all amplitudes.

    Each round visits the objects in turn: the object's current contribution
    is added back to the residual, its frequencies are refined by guarded
    Newton steps on the single-atom matched filter and its amplitude is
    re-estimated as ``a(ω)ᴴ r / N``. After every round all amplitudes are
    re-fitted jointly (the single-atom estimate ignores the overlap between
    atoms). Stops after `n_rounds` rounds, or earlier once a round moves no
    frequency by more than ``1e-11`` Rayleigh cell.

    Parameters
    ----------
    Y : ndarray, shape (S, N_1, ..., N_M)
    frequencies : ndarray, shape (K, M)
    amplitudes : ndarray, shape (S, K)
    n_steps, n_rounds : int

    Returns
    -------
    frequencies : ndarray, shape (K, M)
    amplitudes : ndarray, shape (S, K)
    residual : ndarray, shape (S, N_1, ..., N_M)
    """
    shape = Y.shape[1:]
    n_samples = math.prod(shape)
    frequencies = np.array(frequencies, dtype=float)
    amplitudes = np.array(amplitudes, dtype=complex)
    n_objects = frequencies.shape[0]
    if n_objects == 0:
        return frequencies, amplitudes, Y.copy()
    residual = Y - synthesize(frequencies, amplitudes, shape)
    cells = _TWO_PI / np.asarray(shape, dtype=float)
    for _ in range(n_rounds):
        previous = frequencies.copy()
        for k in range(n_objects):
            own = _atom(frequencies[k], shape)
            residual = residual + amplitudes[:, k].reshape((-1,) + (1,) * len(shape)) * own
            frequencies[k], correlation = _newton_refine(residual, frequencies[k], n_steps)
            amplitudes[:, k] = correlation / n_samples
            own = _atom(frequencies[k], shape)
            residual = residual - amplitudes[:, k].reshape((-1,) + (1,) * len(shape)) * own
        amplitudes = refit_amplitudes(Y, frequencies)
        residual = Y - synthesize(frequencies, amplitudes, shape)
        moved = np.abs(np.angle(np.exp(1j * (frequencies - previous)))) / cells
        if np.max(moved) < _CYCLIC_TOL_CELLS:
            break
    return frequencies, amplitudes, residual


# ---------------------------------------------------------------------------
# Shared estimator behaviour
# ---------------------------------------------------------------------------


class _HarmonicBaseline(BaseEstimator):
    """Validation, result storage and :meth:`predict` shared by the baselines."""

    def _check_input(self, Y):
        return check_tensor(Y, snapshots=self.snapshots)

    def _store(self, tensor, frequencies):
        """Re-fit amplitudes on the input, sort by power and store the fitted attributes."""
        shape = tensor.shape[1:]
        frequencies = _wrap(np.asarray(frequencies, dtype=float).reshape(-1, len(shape)))
        amplitudes = refit_amplitudes(tensor, frequencies)
        order = np.argsort(-_power(amplitudes), kind="stable")
        self.frequencies_ = frequencies[order]
        amplitudes = amplitudes[:, order]
        self.amplitudes_ = amplitudes if self.snapshots else amplitudes[0]
        self.n_components_ = int(frequencies.shape[0])
        self.shape_ = tuple(int(size) for size in shape)
        self.n_snapshots_ = int(tensor.shape[0])
        return self

    def predict(self):
        """Noiseless tensor rebuilt from the fitted objects.

        Returns
        -------
        ndarray, shape (N_1, ..., N_M), or (S, N_1, ..., N_M) with ``snapshots=True``, complex128
            ``Σ_k β_k a_1(ω_k1) ∘ ... ∘ a_M(ω_kM)``, in the layout of the input to :meth:`fit`.
        """
        check_is_fitted(self)
        if self.n_components_ == 0:
            full = (self.n_snapshots_,) + self.shape_
            return np.zeros(full if self.snapshots else self.shape_, dtype=complex)
        return synthesize(self.frequencies_, self.amplitudes_, self.shape_)


_FITTED_DOC = """
    Attributes
    ----------
    frequencies_ : ndarray, shape (K, M)
        Frequencies in rad/sample, each column in [-π, π); objects sorted by
        decreasing power. K is ``n_components_``.
    amplitudes_ : ndarray, shape (K,) or (S, K), complex
        Least-squares amplitudes of the final atoms on the input tensor
        (per snapshot with ``snapshots=True``), referenced to sample index 0.
    n_components_ : int
        Number of objects returned.
    shape_ : tuple of int
        ``(N_1, ..., N_M)`` of the fitted tensor.
    n_snapshots_ : int
        Number of snapshots S (1 without a snapshot axis).
"""


# ---------------------------------------------------------------------------
# 1. FFT periodogram
# ---------------------------------------------------------------------------


class FFTPeriodogram(_HarmonicBaseline):
    __doc__ = (
        """Zero-padded M-D FFT periodogram with peak picking (the classic OFDM-radar processing).

    The power spectrum ``Σ_s |FFT(w · Y_s)|²`` is evaluated on a grid
    `padding` times finer than the DFT grid in every mode. Local maxima over
    the full ``3^M`` neighbourhood (with wrap-around, since frequency is
    periodic) are ranked by power and the `n_components` largest are kept,
    then optionally refined off the grid. Cost ``O(P N log(P N))`` with
    ``P = padding^M``.

    It is the resolution yardstick: two objects closer than about one
    Rayleigh cell ``2π/N_m`` in every mode give a single peak, between
    them, when their phases agree roughly at the centre of the tensor (the
    Rayleigh merger), and then no refinement separates them. The limit
    depends on that relative phase: a pair near anti-phase shows two
    (biased) peaks, from which Newton refinement, subtracting each object
    from the other's objective, can converge to both.

    Parameters
    ----------
    n_components : int
        Number of peaks K to return (fewer when the spectrum has fewer local
        maxima).
    padding : int, default=4
        Zero-padding factor per mode: mode m is transformed at length
        ``padding · N_m``, a grid step of ``2π / (padding N_m)`` rad/sample.
    window : {None, "hann"}, default=None
        Taper applied separably, per mode, before the FFT, for peak
        detection only: a Hann window of length ``N_m + 2`` without its two
        zero end points (so every sample keeps some weight). It lowers the
        sidelobes (about −31 dB instead of −13 dB) at the price of a wider
        main lobe. Newton refinement always works on the untapered data.
    refine : {"newton", "parabolic", None}, default="newton"
        Off-grid refinement. ``"newton"``: NOMP-style cyclic refinement,
        guarded Newton steps on ``Σ_s |a(ω)ᴴ r_s|²`` in all M coordinates
        jointly for each object, with the other objects subtracted
        (`refine_rounds` rounds of `newton_steps` steps), then a joint LS
        amplitude re-fit. ``"parabolic"``: per mode, a parabola through the
        log power of the peak bin and its two neighbours. None: the grid
        frequencies.
    newton_steps : int, default=5
        Newton steps per object per round (``refine="newton"`` only).
    refine_rounds : int, default=10
        Maximum number of cyclic rounds over all objects (``refine="newton"``
        only); refinement stops earlier once a round moves no frequency by
        more than 1e-11 Rayleigh cell.
    snapshots : bool, default=False
        Whether the first axis of ``Y`` holds snapshots (their powers are
        summed).
"""
        + _FITTED_DOC
    )

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "padding": [Interval(Integral, 1, None, closed="left")],
        "window": [None, StrOptions({"hann"})],
        "refine": [None, StrOptions({"newton", "parabolic"})],
        "newton_steps": [Interval(Integral, 1, None, closed="left")],
        "refine_rounds": [Interval(Integral, 1, None, closed="left")],
        "snapshots": ["boolean"],
    }

    def __init__(
        self,
        n_components,
        *,
        padding=4,
        window=None,
        refine="newton",
        newton_steps=5,
        refine_rounds=10,
        snapshots=False,
    ):
        self.n_components = n_components
        self.padding = padding
        self.window = window
        self.refine = refine
        self.newton_steps = newton_steps
        self.refine_rounds = refine_rounds
        self.snapshots = snapshots

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, Y, y=None):
        """Pick the K strongest spectral peaks and refine them.

        Parameters
        ----------
        Y : array_like, complex, shape (N_1, ..., N_M) or (S, N_1, ..., N_M)
            The harmonic tensor (layout set by `snapshots`).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        tensor = self._check_input(Y)
        shape = tensor.shape[1:]
        padded_shape = tuple(self.padding * size for size in shape)
        tapered = tensor
        if self.window == "hann":
            for mode, size in enumerate(shape):
                taper = np.hanning(size + 2)[1:-1]  # no zero end-points: every sample keeps some weight
                tapered = tapered * taper.reshape((size,) + (1,) * (len(shape) - 1 - mode))
        power = _padded_power(tapered, padded_shape)
        bins = _pick_peaks(power, self.n_components)
        if bins.shape[0] == 0:
            return self._store(tensor, np.zeros((0, len(shape))))
        if self.refine == "parabolic":
            offsets = _parabolic_offsets(power, bins)
            frequencies = _bins_to_frequencies(bins + offsets, padded_shape)
        else:
            frequencies = _bins_to_frequencies(bins, padded_shape)
        if self.refine == "newton":
            amplitudes = refit_amplitudes(tensor, frequencies)
            frequencies, _, _ = _refine_cyclic(
                tensor, frequencies, amplitudes, n_steps=self.newton_steps, n_rounds=self.refine_rounds
            )
        return self._store(tensor, frequencies)


def _pick_peaks(power, n_peaks):
    """Indices (n, M) of the `n_peaks` strongest strict-or-plateau local maxima, strongest first."""
    neighbourhood_max = maximum_filter(power, size=3, mode="wrap")
    scale = power.max() if power.size else 0.0
    # Zero (or round-off) power is not a peak: an all-zero input has none.
    is_peak = (power >= neighbourhood_max) & (power > 1e-28 * scale) & (scale > 0)
    flat = np.flatnonzero(is_peak)
    if flat.size > n_peaks:
        values = power.ravel()[flat]
        flat = flat[np.argsort(-values, kind="stable")[:n_peaks]]
    else:
        flat = flat[np.argsort(-power.ravel()[flat], kind="stable")]
    return np.stack(np.unravel_index(flat, power.shape), axis=1)


def _parabolic_offsets(power, bins):
    """Per-mode parabolic interpolation of the log power around each peak, offsets in bins (|δ| ≤ ½)."""
    floor = np.finfo(float).tiny
    log_power = np.log(np.maximum(power, floor))
    offsets = np.zeros(bins.shape)
    for row, peak in enumerate(bins):
        centre = log_power[tuple(peak)]
        for mode, size in enumerate(power.shape):
            below, above = peak.copy(), peak.copy()
            below[mode] = (peak[mode] - 1) % size
            above[mode] = (peak[mode] + 1) % size
            left, right = log_power[tuple(below)], log_power[tuple(above)]
            curvature = left - 2.0 * centre + right
            if curvature < 0.0:
                offsets[row, mode] = np.clip(0.5 * (left - right) / curvature, -0.5, 0.5)
    return offsets


# ---------------------------------------------------------------------------
# 2. Grid OMP with Newton refinement (NOMP)
# ---------------------------------------------------------------------------


class GridOMP(_HarmonicBaseline):
    __doc__ = (
        """Joint M-D orthogonal matching pursuit on the Kronecker DFT grid with Newton refinement (NOMP).

    Newtonized OMP (Mamandipoor, Ramasamy and Madhow, IEEE TSP 2016) in M
    dimensions. Each of the K iterations

    1. correlates the residual with every atom of the oversampled Kronecker
       DFT grid at once, by a zero-padded M-D FFT, and takes the grid point
       with the largest energy ``Σ_s |a(ω)ᴴ r_s|²``;
    2. refines the new atom off the grid by guarded Newton steps on the
       same single-atom objective, jointly in all M coordinates;
    3. runs `cyclic_rounds` cyclic Newton rounds over all atoms found so
       far (each with the others subtracted), re-fits all amplitudes by
       least squares (Gram solve) and updates the residual
       ``r = Y − synthesize(ω̂, β̂)``.

    Cost per iteration: one FFT of ``oversampling^M · N`` points plus
    ``O(K · newton_steps · N)`` for the refinement.

    Parameters
    ----------
    n_components : int
        Number of atoms K.
    oversampling : int, default=4
        Grid oversampling per mode (grid step ``2π / (oversampling N_m)``).
    newton_steps : int, default=3
        Newton steps per atom per refinement.
    cyclic_rounds : int, default=1
        Cyclic refinement rounds over all atoms after each detection.
    final_rounds : int, default=10
        Maximum number of extra cyclic rounds after the last detection (the
        atoms found early were refined while later atoms were still
        unmodelled); they stop earlier once a round moves no frequency by
        more than 1e-11 Rayleigh cell.
    snapshots : bool, default=False
        Whether the first axis of ``Y`` holds snapshots (the atom energy is
        summed over them; each snapshot keeps its own amplitudes).
"""
        + _FITTED_DOC
    )

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "oversampling": [Interval(Integral, 1, None, closed="left")],
        "newton_steps": [Interval(Integral, 0, None, closed="left")],
        "cyclic_rounds": [Interval(Integral, 0, None, closed="left")],
        "final_rounds": [Interval(Integral, 0, None, closed="left")],
        "snapshots": ["boolean"],
    }

    def __init__(
        self, n_components, *, oversampling=4, newton_steps=3, cyclic_rounds=1, final_rounds=10, snapshots=False
    ):
        self.n_components = n_components
        self.oversampling = oversampling
        self.newton_steps = newton_steps
        self.cyclic_rounds = cyclic_rounds
        self.final_rounds = final_rounds
        self.snapshots = snapshots

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, Y, y=None):
        """Detect K atoms greedily and refine them off the grid.

        Parameters
        ----------
        Y : array_like, complex, shape (N_1, ..., N_M) or (S, N_1, ..., N_M)
            The harmonic tensor (layout set by `snapshots`).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        tensor = self._check_input(Y)
        shape = tensor.shape[1:]
        n_modes = len(shape)
        n_samples = math.prod(shape)
        padded_shape = tuple(self.oversampling * size for size in shape)
        frequencies = np.zeros((0, n_modes))
        amplitudes = np.zeros((tensor.shape[0], 0), dtype=complex)
        residual = tensor.copy()
        for _ in range(self.n_components):
            power = _padded_power(residual, padded_shape)
            best = np.array(np.unravel_index(int(np.argmax(power)), padded_shape))
            start = _bins_to_frequencies(best, padded_shape)
            new, correlation = _newton_refine(residual, start, self.newton_steps)
            frequencies = np.vstack([frequencies, new])
            amplitudes = np.hstack([amplitudes, (correlation / n_samples)[:, None]])
            if self.cyclic_rounds:
                frequencies, amplitudes, residual = _refine_cyclic(
                    tensor, frequencies, amplitudes, n_steps=self.newton_steps, n_rounds=self.cyclic_rounds
                )
            else:
                amplitudes = refit_amplitudes(tensor, frequencies)
                residual = tensor - synthesize(frequencies, amplitudes, shape)
        if self.final_rounds:
            frequencies, amplitudes, residual = _refine_cyclic(
                tensor, frequencies, amplitudes, n_steps=self.newton_steps, n_rounds=self.final_rounds
            )
        return self._store(tensor, frequencies)


# ---------------------------------------------------------------------------
# 3. Joint R-D standard ESPRIT with spatial smoothing
# ---------------------------------------------------------------------------


class TensorESPRIT(_HarmonicBaseline):
    __doc__ = (
        """Joint R-D standard ESPRIT with M-D spatial smoothing and automatic pairing.

    1. **Smoothing.** Every sub-tensor of size ``(L_1, ..., L_M)``,
       ``L_m = max(2, round(subarray_fraction · N_m))``, of every snapshot
       becomes one column (vectorised in C order) of the smoothed data
       matrix ``X`` of size ``(Π L_m) × (S · Π (N_m − L_m + 1))``. With
       `forward_backward`, ``X`` is augmented with ``Π conj(X)``, Π the
       exchange matrix (reversing the vectorised window reverses every mode).
    2. **Subspace.** ``U_s`` = the K dominant left singular vectors of the
       (augmented) ``X``, computed as eigenvectors of ``X Xᴴ`` (accumulated
       block by block, so ``X`` is never stored whole).
    3. **Shift invariance.** For each mode m the selection matrices
       ``J_1``/``J_2`` keep the window positions ``l_m ≤ L_m − 2`` /
       ``l_m ≥ 1``; ``Ψ_m`` solves ``J_1 U_s Ψ_m ≈ J_2 U_s`` by least
       squares.
    4. **Pairing.** ``T`` diagonalises a random combination ``Σ_m c_m Ψ_m``
       and then every ``Ψ_m``: ``ω_km = angle([T⁻¹ Ψ_m T]_kk)``.

    Cost: ``O((Π L_m)² · S Π (N_m − L_m + 1) + (Π L_m)³)``, about the
    square of the tensor size and more — polynomial of high degree, meant
    for small or compressed tensors. Above `max_rows` window elements
    ``Π L_m`` the fit refuses to run.

    Parameters
    ----------
    n_components : int
        Number of objects K (the signal-subspace dimension).
    subarray_fraction : float in (0, 1], default=0.5
        Window length per mode as a fraction of ``N_m``. Windows are shrunk
        (largest first) when there would be fewer than K smoothed columns.
    forward_backward : bool, default=True
        Forward–backward averaging (decorrelates coherent pairs, doubles the
        columns).
    max_rows : int, default=20000
        Memory and time guard on ``Π L_m`` (the covariance is
        ``(Π L_m)²`` complex numbers and is eigendecomposed).
    snapshots : bool, default=False
        Whether the first axis of ``Y`` holds snapshots.
    random_state : None, int, numpy.random.Generator or RandomState, default=None
        Draws the pairing combination ``c``. None uses a fixed seed (0), so
        fits are reproducible; the estimates depend on ``c`` only through
        round-off (or noise, weakly) unless two objects tie in the
        combination.
"""
        + _FITTED_DOC
        + """    window_shape_ : tuple of int
        The window ``(L_1, ..., L_M)`` actually used.
"""
    )

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "subarray_fraction": [Interval(Real, 0, 1, closed="right")],
        "forward_backward": ["boolean"],
        "max_rows": [Interval(Integral, 1, None, closed="left")],
        "snapshots": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(
        self,
        n_components,
        *,
        subarray_fraction=0.5,
        forward_backward=True,
        max_rows=20000,
        snapshots=False,
        random_state=None,
    ):
        self.n_components = n_components
        self.subarray_fraction = subarray_fraction
        self.forward_backward = forward_backward
        self.max_rows = max_rows
        self.snapshots = snapshots
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, Y, y=None):
        """Estimate and pair all frequencies from the smoothed signal subspace.

        Parameters
        ----------
        Y : array_like, complex, shape (N_1, ..., N_M) or (S, N_1, ..., N_M)
            The harmonic tensor (layout set by `snapshots`).
        y : None
            Ignored.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            When no window gives at least K + 1 rows and K columns, or when
            ``Π L_m`` exceeds `max_rows`.
        """
        tensor = self._check_input(Y)
        shape = tensor.shape[1:]
        n_modes = len(shape)
        n_objects = self.n_components
        window = self._window_shape(shape, tensor.shape[0])
        covariance = _smoothed_covariance(tensor, window)
        if self.forward_backward:
            covariance = forward_backward(covariance)
        subspace = _top_eigenvectors(covariance, n_objects).reshape(window + (n_objects,))
        shifts = []
        for mode in range(n_modes):
            lower = [slice(None)] * n_modes + [slice(None)]
            upper = list(lower)
            lower[mode] = slice(0, window[mode] - 1)
            upper[mode] = slice(1, window[mode])
            first = subspace[tuple(lower)].reshape(-1, n_objects)
            second = subspace[tuple(upper)].reshape(-1, n_objects)
            shifts.append(np.linalg.lstsq(first, second, rcond=None)[0])
        seed = 0 if self.random_state is None else self.random_state
        weights = check_random_generator(seed).standard_normal(n_modes)
        combined = sum(weight * shift for weight, shift in zip(weights, shifts, strict=True))
        _, eigenvectors = np.linalg.eig(combined)
        frequencies = np.empty((n_objects, n_modes))
        for mode, shift in enumerate(shifts):
            diagonal = np.diag(np.linalg.solve(eigenvectors, shift @ eigenvectors))
            frequencies[:, mode] = np.angle(diagonal)
        self.window_shape_ = window
        return self._store(tensor, frequencies)

    def _window_shape(self, shape, n_snapshots):
        n_objects = self.n_components
        window = [min(size, max(2, math.floor(self.subarray_fraction * size + 0.5))) for size in shape]
        copies = 2 if self.forward_backward else 1

        def n_columns():
            offsets = (size - length + 1 for size, length in zip(shape, window, strict=True))
            return copies * n_snapshots * math.prod(offsets)

        # Longer windows resolve better, but the subspace needs K columns:
        # shorten the longest window until it has them.
        while n_columns() < n_objects:
            mode = int(np.argmax(window))
            if window[mode] <= 2:
                break
            window[mode] -= 1
        rows = math.prod(window)
        if n_columns() < n_objects or rows <= n_objects:
            raise ValueError(
                f"n_components={n_objects} is too large for TensorESPRIT on a tensor of shape {tuple(shape)} "
                f"with {n_snapshots} snapshot(s): the smoothing window {tuple(window)} gives {rows} rows and "
                f"{n_columns()} columns, but at least n_components + 1 rows and n_components columns are needed."
            )
        for mode in range(len(shape)):
            if rows // window[mode] * (window[mode] - 1) < n_objects:
                raise ValueError(
                    f"n_components={n_objects} is too large for TensorESPRIT: the shift-invariance equations "
                    f"of mode {mode} (window {tuple(window)}) have only "
                    f"{rows // window[mode] * (window[mode] - 1)} rows. Raise subarray_fraction."
                )
        if rows > self.max_rows:
            raise ValueError(
                f"TensorESPRIT window {tuple(window)} has {rows} elements, above max_rows={self.max_rows}: the "
                f"{rows}x{rows} covariance and its eigendecomposition would be too costly. Compress the tensor, "
                f"lower subarray_fraction, or raise max_rows."
            )
        return tuple(window)


def _smoothed_covariance(tensor, window):
    """``X Xᴴ`` of the M-D spatially smoothed data matrix ``X``, accumulated block by block.

    A block is one snapshot, or one (snapshot, first-mode offset) pair when
    a whole snapshot's columns would exceed ``_BLOCK_ELEMENTS`` numbers.
    """
    n_modes = tensor.ndim - 1
    rows = math.prod(window)
    # View, no copy: (S, P_1, ..., P_M, L_1, ..., L_M).
    windows = np.lib.stride_tricks.sliding_window_view(tensor, window, axis=tuple(range(1, n_modes + 1)))
    per_snapshot = math.prod(windows.shape[1 : n_modes + 1])
    covariance = np.zeros((rows, rows), dtype=complex)
    for snapshot in range(tensor.shape[0]):
        if per_snapshot * rows <= _BLOCK_ELEMENTS:
            blocks = [windows[snapshot]]
        else:
            blocks = [windows[snapshot, offset] for offset in range(windows.shape[1])]
        for block in blocks:
            columns = block.reshape(-1, rows)  # columns of X, as rows
            covariance += columns.T @ np.conj(columns)
    return covariance


# ---------------------------------------------------------------------------
# 4. Sequential (mode by mode) estimation
# ---------------------------------------------------------------------------


class SequentialEstimator(_HarmonicBaseline):
    __doc__ = (
        """Mode-by-mode estimation with LS beamforming between modes; pairing is implicit.

    1. **First mode.** ESPRIT (least squares; chosen over root-MUSIC because
       it needs no polynomial rooting) on the forward–backward averaged
       covariance of the mode-0 unfolding, where the other modes and the
       snapshots act as snapshots.
    2. **Beamforming.** The unfolding is projected by least squares on the
       steering vectors of all mode-0 candidates at once, giving one
       ``(S, N_1, ..., N_{M-1})`` slice per candidate.
    3. **Recursion.** Each slice is processed the same way on its next
       mode. The last mode of a branch is a single vector per snapshot:
       1-D ESPRIT with Hankel (sub-array) smoothing, window ``ceil(N/2)``,
       and forward–backward averaging, then LS amplitudes of the branch's
       leaves.
    4. **Selection.** Every leaf is a candidate object (one frequency per
       mode, found along its branch); the `n_components` leaves with the
       largest leaf amplitude power ``mean_s |β_s|²`` are kept, and their
       amplitudes re-fitted on the input.

    At every stage (each mode of each branch) the ESPRIT order is at most
    `n_per_mode`, also capped by what the stage supports (``N − 1`` for an
    unfolding, the Hankel window minus one for a last mode), and candidates
    closer than 1e-3 Rayleigh cell are merged. With
    ``order_selection="mdl"`` each stage picks its own order in
    ``[1, n_per_mode]`` by MDL on its covariance eigenvalues: a branch
    usually holds one object, and ESPRIT forced to a larger order turns
    noise directions into spurious candidates which, landing near a true
    one, make the LS beamformer split or amplify its energy. With
    ``"fixed"`` every stage uses exactly `n_per_mode` (exact on noiseless
    data; fragile with noise).

    With M = 1 it reduces to step 3 (Hankel ESPRIT). Errors made in early
    modes propagate to the later ones (a frequency error in mode 0 leaks
    the object's energy into the other candidates' slices, and an object
    lost in mode 0 is lost for good), and the number of branches grows like
    ``n_per_mode^(M-1)``.

    Parameters
    ----------
    n_components : int
        Number of objects K returned (fewer when the tree has fewer leaves).
    n_per_mode : int, optional
        Largest number of candidates per mode and branch (ESPRIT order);
        defaults to `n_components`.
    order_selection : {"mdl", "fixed"}, default="mdl"
        How each stage chooses its order (see above).
    snapshots : bool, default=False
        Whether the first axis of ``Y`` holds snapshots.
"""
        + _FITTED_DOC
    )

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_per_mode": [None, Interval(Integral, 1, None, closed="left")],
        "order_selection": [StrOptions({"mdl", "fixed"})],
        "snapshots": ["boolean"],
    }

    def __init__(self, n_components, *, n_per_mode=None, order_selection="mdl", snapshots=False):
        self.n_components = n_components
        self.n_per_mode = n_per_mode
        self.order_selection = order_selection
        self.snapshots = snapshots

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, Y, y=None):
        """Estimate mode by mode, branch by branch, and keep the strongest leaves.

        Parameters
        ----------
        Y : array_like, complex, shape (N_1, ..., N_M) or (S, N_1, ..., N_M)
            The harmonic tensor (layout set by `snapshots`).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        tensor = self._check_input(Y)
        max_order = self.n_components if self.n_per_mode is None else check_positive_int(self.n_per_mode, "n_per_mode")
        leaves = _sequential_branches(tensor, max_order, self.order_selection)
        leaf_frequencies = np.array([frequency for frequency, _ in leaves])
        scores = np.array([score for _, score in leaves])
        keep = np.argsort(-scores, kind="stable")[: self.n_components]
        return self._store(tensor, leaf_frequencies[keep])


def _sequential_branches(tensor, max_order, rule):
    """Leaves ``(frequencies (M,), power)`` of the sequential estimation tree of `tensor` (S, N_1, ...)."""
    if tensor.ndim == 2:
        frequencies, amplitudes = _hankel_esprit(tensor, max_order, rule)
        powers = _power(amplitudes)
        return [(np.array([frequency]), power) for frequency, power in zip(frequencies, powers, strict=True)]
    size = tensor.shape[1]
    unfolding = np.moveaxis(tensor, 1, 0).reshape(size, -1)
    covariance = forward_backward(unfolding @ unfolding.conj().T / unfolding.shape[1])
    candidates = _subspace_candidates(covariance, min(max_order, size - 1), unfolding.shape[1], rule)
    steering = vandermonde(candidates, size)
    beams, *_ = np.linalg.lstsq(steering, unfolding, rcond=None)  # (candidates, S·rest)
    slice_shape = (tensor.shape[0],) + tensor.shape[2:]
    leaves = []
    for candidate, beam in zip(candidates, beams, strict=True):
        for tail, power in _sequential_branches(beam.reshape(slice_shape), max_order, rule):
            leaves.append((np.concatenate([[candidate], tail]), power))
    return leaves


def _hankel_esprit(vectors, max_order, rule):
    """1-D ESPRIT with Hankel smoothing and FB averaging on S snapshot vectors, then LS amplitudes.

    Parameters
    ----------
    vectors : ndarray, shape (S, N)
    max_order : int
        Largest number of frequencies (also capped by the window).
    rule : {"mdl", "fixed"}
        Order selection (see :func:`_subspace_candidates`).

    Returns
    -------
    frequencies : ndarray, shape (r,)
    amplitudes : ndarray, shape (S, r)
    """
    n_snapshots, size = vectors.shape
    window = max(2, (size + 1) // 2)
    n_columns = n_snapshots * (size - window + 1)
    # Rows of `hankel` are the columns of the Hankel (sub-array) data matrix.
    hankel = np.lib.stride_tricks.sliding_window_view(vectors, window, axis=1).reshape(-1, window)
    covariance = forward_backward(hankel.T @ np.conj(hankel) / n_columns)
    max_order = max(1, min(max_order, window - 1, 2 * n_columns))
    frequencies = _subspace_candidates(covariance, max_order, n_columns, rule)
    amplitudes, *_ = np.linalg.lstsq(vandermonde(frequencies, size), vectors.T, rcond=None)
    return frequencies, amplitudes.T


def _subspace_candidates(covariance, max_order, n_samples, rule):
    """ESPRIT frequencies from a (forward–backward averaged) covariance, near-duplicates merged.

    With ``rule="mdl"`` the order is the MDL estimate (Wax and Kailath,
    1985) within ``[1, max_order]``; with ``"fixed"`` it is `max_order`.
    """
    values, vectors = np.linalg.eigh(covariance)
    values, vectors = values[::-1], vectors[:, ::-1]
    order = max_order if rule == "fixed" else max(1, information_criterion_order(values, n_samples, "mdl", max_order))
    return _distinct(esprit(vectors[:, :order]), covariance.shape[0])
