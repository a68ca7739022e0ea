"""PLAIN: compressed, decoupled estimation and input-based fusion.

Tahir, Svoboda & Rupp, "PLAIN: Scalable Estimation Architecture for
Integrated Sensing and Communication", arXiv:2503.21242 (2025). The
pipeline follows the authors' description and official code (MIT); sigrec's
implementation is written from the maths in ``research/plain.md``.
"""

from __future__ import annotations

import math
import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator

from sigrec._validation import Interval, StrOptions, _fit_context, check_is_fitted
from sigrec.tensor._compression import COMPRESSIONS, check_factors, compress_validated
from sigrec.tensor._fusion import FUSIONS, candidate_core, merge_candidates, tensor_least_squares, tensor_omp
from sigrec.tensor._modal import ESTIMATORS, ORDER_CRITERIA, estimate_mode
from sigrec.tensor._model import check_tensor, refit_amplitudes, synthesize
from sigrec.tensor._refine import refine_frequencies

__all__ = ["PLAIN"]

_TWO_PI = 2.0 * math.pi
# Interval widths may exceed 2π/Δ by rounding only.
_ALIAS_SLACK = 1e-9


class PLAIN(BaseEstimator):
    """Multidimensional harmonic retrieval by compression, per-mode estimation and fusion.

    A tensor ``Y[n_1, ..., n_M] = Σ_k β_k Π_m e^{j ω_km n_m} + noise`` (for
    ISAC: antenna × subcarrier × OFDM symbol, with one (angle, delay,
    Doppler) triplet per object) is processed in three stages:

    1. **Compression**: each mode's sampling rate is cut by ``factors[m]``
       while its span (aperture, bandwidth, CPI) is kept, so resolution is
       kept and the data shrink ``Π Δ_m`` times.
    2. **Decoupled estimation**: in each mode, the unfolding's covariance
       (forward–backward averaged), AIC/MDL model order and ESPRIT or
       root-MUSIC give off-grid candidate frequencies. The other modes act as
       snapshots, so one tensor snapshot suffices.
    3. **Input-based fusion**: candidates are paired by a greedy pursuit
       (Tensor-OMP) or a least-squares Tucker core over all candidate
       combinations, fitted to the compressed tensor itself. A candidate may
       serve several objects (shared range or Doppler).

    The amplitudes are then re-fitted by least squares on the *input*
    tensor at the estimated frequencies, which undoes every compression
    factor (Dirichlet gains, decimation phases) exactly.

    Parameters
    ----------
    n_components : int, optional
        Number of objects K. None: estimated as the largest per-mode order.
    compression : {"average", "decimate", "decimate-multi", "smooth"} or None, default="average"
        Stage-1 option (see :func:`sigrec.tensor.compress`). ``"average"``
        is nearly lossless for objects inside the pass-band; ``"decimate"``
        costs ``10 log10 ΠΔ`` dB; ``"smooth"`` costs resolution.
    factors : tuple of int, default=(1, 4, 14)
        Compression factor per mode; each must divide its mode. The default
        is the paper's demo setting for (space, subcarrier, symbol).
    estimator : {"esprit", "root-music"}, default="esprit"
        Per-mode frequency estimator. Root-MUSIC roots a degree-2(N'−1)
        polynomial; ESPRIT costs ``O(N' k²)`` after the eigendecomposition.
    order : {"aic", "mdl"} or int, default="aic"
        Per-mode number of candidates: Wax–Kailath criterion (capped at
        `n_components` when given) or a fixed count.
    forward_backward : bool, default=True
        Forward–backward average each mode covariance (decorrelates
        coherent pairs: objects equal in every other mode).
    fusion : {"omp", "ls"}, default="omp"
        Tensor-OMP (robust) or Tensor-LS (one shot, ghost-prone when
        candidates are close).
    merge_tol : float, default=0.1
        Candidates closer than this fraction of a (compressed) Rayleigh
        cell ``2π/N'_m`` are merged before fusion.
    refine : bool, default=True
        After fusion, take a few Gauss–Newton steps on the joint
        least-squares cost over all K·M frequencies of the compressed tensor
        (amplitudes eliminated). Per-mode ESPRIT is consistent but not
        efficient for long modes; the refinement reaches the ML solution,
        i.e. the CRB above threshold, for ``O(N' K M)`` per step. False
        reproduces the paper's pipeline exactly. Objects that shared a
        candidate may then differ slightly in that mode.
    frequency_bounds : sequence of (low, high) per mode, optional
        Where objects may lie, in rad/sample of the input sampling (e.g.
        from :meth:`sigrec.tensor.isac.ISACGeometry.frequency_bounds`).
        Each mode is demodulated to the interval's centre before compression
        and estimates are unwrapped into ``centre ± π/Δ_m``. An interval
        wider than ``2π/Δ_m`` aliases and raises at ``fit``. Default: each
        mode centred on 0, i.e. ``[−π/Δ_m, π/Δ_m)``. **Without bounds the
        aliasing guard cannot work**: objects outside that interval wrap
        silently (e.g. one-sided ISAC delays beyond ``π/Δ_f``), so pass
        bounds whenever a factor is larger than 1.
    snapshots : bool, default=False
        Whether the first axis of ``Y`` holds snapshots.

    Attributes
    ----------
    frequencies_ : ndarray, shape (K, M)
        Frequencies (rad/sample of the input sampling), one row per object,
        in fusion order (strongest first), unwrapped into each mode's interval.
    amplitudes_ : ndarray, shape (K,) or (S, K)
        Complex amplitudes per object (per snapshot when `snapshots`),
        least-squares fitted on the input tensor.
    n_components_ : int
        Number of objects returned; fewer than `n_components` (with a
        warning) when the per-mode orders leave fewer candidate combinations.
    candidates_ : list of ndarray
        Per-mode candidate frequencies (input sampling, rad/sample) after merging.
    mode_orders_ : ndarray of int, shape (M,)
        Candidates per mode before merging.
    combinations_ : ndarray of int, shape (K, M)
        Fusion's pairing: object k uses ``candidates_[m][combinations_[k, m]]``
        in mode m (before refinement). Repeated indices are shared candidates.
    n_refinement_steps_ : int
        Accepted Gauss–Newton steps (0 when `refine` is False).
    compressed_shape_ : tuple of int
        ``(S', N'_1, ..., N'_M)`` of the tensor stages 2 and 3 worked on.
    stage_times_ : dict
        Wall time (s) of ``compression``, ``estimation``, ``fusion``
        (refinement included) and ``refit``.
    shape_ : tuple of int
        ``(N_1, ..., N_M)`` of the input.
    n_modes_ : int

    See Also
    --------
    sigrec.tensor.harmonic_crb : the bound the estimates are compared with.
    sigrec.tensor.FFTPeriodogram, sigrec.tensor.TensorESPRIT : baselines.

    Notes
    -----
    The demo configuration of the paper (16 × 180 × 560, Δ = (1, 4, 14),
    averaging, AIC, Tensor-OMP) compresses 1.6 M samples to 28 800.
    Conditions for alias-free compression (the reduced-rate Nyquist rule)
    are in the research note, §2.1. The per-mode orders come from noise
    eigenvalue statistics that forward–backward averaging perturbs, so
    AIC/MDL are approximate; at low SNR they undercount weak objects.

    Examples
    --------
    >>> import numpy as np
    >>> from sigrec.tensor import PLAIN
    >>> from sigrec.tensor._model import synthesize
    >>> truth = np.array([[0.5, -0.2, 0.01], [-1.0, -0.4, -0.02]])
    >>> Y = synthesize(truth, [1.0, 0.5j], (16, 64, 140))
    >>> model = PLAIN(n_components=2, factors=(1, 4, 14)).fit(Y)
    >>> bool(np.allclose(np.sort(model.frequencies_, axis=0), np.sort(truth, axis=0), atol=1e-8))
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "compression": [StrOptions({c for c in COMPRESSIONS if c is not None}), None],
        "factors": ["array-like"],
        "estimator": [StrOptions(set(ESTIMATORS))],
        "order": [StrOptions(set(ORDER_CRITERIA)), Interval(Integral, 1, None, closed="left")],
        "forward_backward": ["boolean"],
        "fusion": [StrOptions(set(FUSIONS))],
        "merge_tol": [Interval(Real, 0, 1, closed="left")],
        "refine": ["boolean"],
        "frequency_bounds": ["array-like", None],
        "snapshots": ["boolean"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        compression="average",
        factors=(1, 4, 14),
        estimator="esprit",
        order="aic",
        forward_backward=True,
        fusion="omp",
        merge_tol=0.1,
        refine=True,
        frequency_bounds=None,
        snapshots=False,
    ):
        self.n_components = n_components
        self.compression = compression
        self.factors = factors
        self.estimator = estimator
        self.order = order
        self.forward_backward = forward_backward
        self.fusion = fusion
        self.merge_tol = merge_tol
        self.refine = refine
        self.frequency_bounds = frequency_bounds
        self.snapshots = snapshots

    # ------------------------------------------------------------------ checks
    def _n_modes(self):
        """Modes implied by `factors`; None without compression (the array decides)."""
        if self.compression is None:
            return None
        return len(tuple(self.factors))

    def _bounds(self, n_modes, factors):
        """Per-mode (centre, half-width) and the aliasing guard."""
        if self.frequency_bounds is None:
            return [0.0] * n_modes
        bounds = np.asarray(self.frequency_bounds, dtype=float)
        if bounds.shape != (n_modes, 2):
            raise ValueError(
                f"frequency_bounds must give one (low, high) pair per mode, shape ({n_modes}, 2); got {bounds.shape}."
            )
        if not np.all(np.isfinite(bounds)):
            raise ValueError("frequency_bounds must be finite.")
        centres = []
        for mode, ((low, high), factor) in enumerate(zip(bounds, factors, strict=True)):
            if not high > low:
                raise ValueError(f"frequency_bounds[{mode}] = ({low}, {high}) must have low < high.")
            width = high - low
            if width > _TWO_PI / factor * (1 + _ALIAS_SLACK):
                raise ValueError(
                    f"Compression factor {factor} in mode {mode} aliases: objects may lie in an interval "
                    f"{width:.4g} rad/sample wide but the compressed rate only resolves 2π/{factor} = "
                    f"{_TWO_PI / factor:.4g}. Reduce factors[{mode}] to at most {int(_TWO_PI // width) or 1} "
                    f"or narrow the bounds (maximum range, speed or field of view)."
                )
            centres.append(0.5 * (low + high))
        return centres

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, Y, y=None):
        """Estimate the objects' frequencies and amplitudes.

        Parameters
        ----------
        Y : array_like, complex, shape (N_1, ..., N_M) or (S, N_1, ..., N_M)
            One tensor snapshot, or several when ``snapshots=True``.
        y : None
            Ignored.

        Returns
        -------
        self : PLAIN

        Raises
        ------
        ValueError
            For real, NaN or infinite data; a tensor whose number of modes
            differs from ``len(factors)``; factors that do not divide the
            shape; bounds that alias; `n_components` larger than any
            compressed mode can resolve.
        """
        data = check_tensor(Y, snapshots=self.snapshots, n_modes=self._n_modes())
        shape = data.shape[1:]
        n_modes = len(shape)
        factors = check_factors(self.factors, shape, self.compression)
        centres = self._bounds(n_modes, factors)
        compressed_sizes = [size // factor for size, factor in zip(shape, factors, strict=True)]
        capacity = max(compressed_sizes) - 1
        if self.n_components is not None and self.n_components > capacity:
            raise ValueError(
                f"n_components={self.n_components} exceeds what the compressed modes {tuple(compressed_sizes)} "
                f"can resolve (at most {capacity} distinct frequencies in the longest mode); lower the "
                f"compression factors or n_components."
            )

        started = time.perf_counter()
        compressed = compress_validated(data, factors, self.compression, centres)
        after_compression = time.perf_counter()

        max_order = self.n_components
        candidates, orders = [], []
        for mode in range(n_modes):
            frequencies, _ = estimate_mode(
                compressed.data,
                mode,
                estimator=self.estimator,
                order=self.order,
                forward_backward_averaging=self.forward_backward,
                max_order=max_order,
            )
            orders.append(frequencies.shape[0])
            cell = _TWO_PI / compressed.shape[mode]
            candidates.append(merge_candidates(frequencies, self.merge_tol * cell))
        after_estimation = time.perf_counter()

        n_objects = self.n_components if self.n_components is not None else max(orders)
        core, grams = candidate_core(compressed.data, candidates)
        pursuit = tensor_omp if self.fusion == "omp" else tensor_least_squares
        combinations, _ = pursuit(core, grams, n_objects)
        if combinations.shape[0] < n_objects:
            warnings.warn(
                f"PLAIN found only {combinations.shape[0]} of n_components={n_objects} objects: the per-mode "
                f"orders {tuple(orders)} allow no more candidate combinations (the weakest objects are below "
                f"the detection threshold). Give order=int to force more candidates per mode.",
                UserWarning,
                stacklevel=3,  # past scikit-learn's fit wrapper, to the caller
            )
        compressed_frequencies = np.column_stack([candidates[m][combinations[:, m]] for m in range(n_modes)])
        n_refinements = 0
        if self.refine and compressed_frequencies.shape[0]:
            compressed_frequencies, n_refinements = refine_frequencies(compressed.data, compressed_frequencies)
        after_fusion = time.perf_counter()

        frequencies = self._to_input_sampling(compressed_frequencies, compressed, n_modes)
        amplitudes = refit_amplitudes(data, frequencies)
        finished = time.perf_counter()

        self.frequencies_ = frequencies
        self.amplitudes_ = amplitudes if self.snapshots else amplitudes[0]
        self.n_components_ = int(frequencies.shape[0])
        self.candidates_ = [
            self._to_input_sampling(candidates[m][:, None], compressed, 1, mode=m)[:, 0] for m in range(n_modes)
        ]
        self.mode_orders_ = np.asarray(orders, dtype=int)
        self.combinations_ = np.asarray(combinations, dtype=int)
        self.n_refinement_steps_ = int(n_refinements)
        self.compressed_shape_ = tuple(compressed.data.shape)
        self.shape_ = tuple(shape)
        self.n_modes_ = n_modes
        self.stage_times_ = {
            "compression": after_compression - started,
            "estimation": after_estimation - after_compression,
            "fusion": after_fusion - after_estimation,  # refinement included
            "refit": finished - after_fusion,
        }
        return self

    @staticmethod
    def _to_input_sampling(compressed_frequencies, compressed, n_modes, mode=None):
        """Undo the frequency scaling and demodulation: ``ω = c_m + ϖ/Δ_m`` with ϖ in [−π, π)."""
        modes = range(n_modes) if mode is None else [mode]
        columns = []
        for column, m in enumerate(modes):
            wrapped = np.mod(compressed_frequencies[:, column] + math.pi, _TWO_PI) - math.pi
            columns.append(compressed.centres[m] + wrapped / compressed.scales[m])
        return np.column_stack(columns)

    # ------------------------------------------------------------------ outputs
    def predict(self, X=None):
        """The fitted noiseless tensor, in the input's layout.

        Parameters
        ----------
        X : None
            Ignored (present for API symmetry).

        Returns
        -------
        ndarray, shape ``shape_`` or (S, ``*shape_``), complex128
        """
        check_is_fitted(self, "frequencies_")
        return synthesize(self.frequencies_, self.amplitudes_, self.shape_)

    def score(self, Y, y=None):
        """Fraction of the input energy explained: ``1 − ‖Y − Ŷ‖² / ‖Y‖²``."""
        check_is_fitted(self, "frequencies_")
        data = check_tensor(Y, snapshots=self.snapshots, n_modes=self.n_modes_)
        fitted = synthesize(self.frequencies_, np.atleast_2d(self.amplitudes_), self.shape_)
        return float(1.0 - np.sum(np.abs(data - fitted) ** 2) / np.sum(np.abs(data) ** 2))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags
