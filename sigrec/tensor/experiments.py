"""Registered sweeps for PLAIN (``sigrec run plain-...``).

The paper's own figures were not consulted (research note, status); these
are sigrec's reproductions of its qualitative claims, with the note's
benchmark designs B1–B4:

- ``plain-rmse-snr``: RMSE/√CRB_full per mode against SNR for PLAIN
  (averaging and decimation), the FFT periodogram, grid OMP, joint tensor
  ESPRIT (quarter-size smoothing windows) and the sequential chain, on the
  demo scene (16 × 180 × 560, FFT with ×2 padding) and on an equal-power
  scene (8 × 64 × 112, FFT with ×4 padding). Grid OMP, tensor ESPRIT and
  the sequential chain run on the averaged tensor (Δ = (1, 4, 14)), as the
  note prescribes for joint methods; the FFT runs on the full tensor.
- ``plain-resolution``: probability of resolving two objects against their
  separation in Rayleigh cells, in all modes at once or in one mode only
  (the coherent worst case).
- ``plain-runtime``: fit time against tensor size along each mode.
- ``plain-compression``: RMSE/√CRB and time against the delay and Doppler
  compression factors, past the aliasing limit.

Trial functions import estimators lazily so listing experiments stays cheap.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from sigrec.simulate import Experiment, register

__all__ = ["rmse_snr_trial", "resolution_trial", "runtime_trial", "compression_trial"]

TWO_PI = 2.0 * math.pi
MODES = ("space", "frequency", "time")
SNR_METHODS = ["plain", "plain_decimate", "fft", "fft_newton", "grid_omp", "tensor_esprit", "sequential"]
RESOLUTION_METHODS = ["plain", "plain_no_fb", "fft", "fft_newton", "grid_omp", "tensor_esprit"]
# An object counts as found when every mode is within half a Rayleigh cell (detection), and
# as resolved when within a tenth of a cell (the note's super-resolution criterion).
DETECTION_CELLS = 0.5
RESOLUTION_CELLS = 0.1
# The demo scene's prior: objects within 400 m and 10 m/s (one-way), full field of view.
DEMO_MAX_RANGE, DEMO_MAX_SPEED = 400.0, 10.0
DEMO_FACTORS = (1, 4, 14)


# --------------------------------------------------------------------------- helpers
def _match(truth, estimate, shape):
    """Hungarian pairing on cell-normalised circular distance; signed errors in cells, (K_true, M)."""
    from scipy.optimize import linear_sum_assignment

    cells = TWO_PI / np.asarray(shape, dtype=float)
    difference = np.angle(np.exp(1j * (truth[:, None, :] - estimate[None, :, :]))) / cells
    rows, cols = linear_sum_assignment(np.sum(difference**2, axis=-1))
    errors = np.full(truth.shape, np.inf)
    errors[rows] = difference[rows, cols]
    return errors


def _compressed_problem(H, factors, bounds):
    """The compressed single-snapshot tensor the joint baselines work on, and the back-mapping."""
    from sigrec.tensor import compress

    centres = None if bounds is None else [0.5 * (low + high) for low, high in bounds]
    compressed = compress(H[None], factors, "average", centres)

    def to_input(frequencies):
        wrapped = np.mod(frequencies + math.pi, TWO_PI) - math.pi
        return np.asarray(compressed.centres) + wrapped / np.asarray(compressed.scales)

    return compressed.data[0], to_input


def _run(method, H, n_components, *, factors, bounds, compressed_baselines, fft_padding, fft_window=None):
    """Fit one method; returns ``(frequencies (K, M), seconds)``."""
    from sigrec.tensor import PLAIN
    from sigrec.tensor.baselines import FFTPeriodogram, GridOMP, SequentialEstimator, TensorESPRIT

    started = time.perf_counter()
    if method in ("plain", "plain_decimate", "plain_no_fb"):
        model = PLAIN(
            n_components=n_components,
            compression=None if factors is None else ("decimate" if method == "plain_decimate" else "average"),
            factors=factors if factors is not None else (1,) * H.ndim,
            forward_backward=method != "plain_no_fb",
            frequency_bounds=bounds,
        ).fit(H)
        return model.frequencies_, time.perf_counter() - started
    builders = {
        # The classic periodogram (peak on the zero-padded grid) and the same peaks refined by
        # per-object Newton steps (NOMP-like), which super-resolves pairs near anti-phase.
        "fft": lambda: FFTPeriodogram(n_components, padding=fft_padding, window=fft_window, refine=None),
        "fft_newton": lambda: FFTPeriodogram(n_components, padding=fft_padding, window=fft_window, refine="newton"),
        "grid_omp": lambda: GridOMP(n_components),
        # Half-size windows cost 51 s per fit on the compressed demo tensor (3680-row subspace):
        # sweeps use quarter windows (0.3 s); benchmarks/tensor.py times both.
        "tensor_esprit": lambda: TensorESPRIT(n_components, subarray_fraction=0.25, random_state=0),
        "sequential": lambda: SequentialEstimator(n_components),
    }
    estimator = builders[method]()
    if not method.startswith("fft") and compressed_baselines and factors is not None:
        data, to_input = _compressed_problem(H, factors, bounds)
        frequencies = to_input(estimator.fit(data).frequencies_)
    else:
        frequencies = estimator.fit(H).frequencies_
    return frequencies, time.perf_counter() - started


def _scene(name, snr_db, rng):
    """``(H, truth, amplitudes, noise_var, factors, bounds, compressed_baselines, fft_padding, fft_window)``."""
    if name == "demo":
        from sigrec.tensor.isac import ISACGeometry, demo_scene, simulate_echo

        geometry = ISACGeometry()
        scene = demo_scene(random_state=rng)
        H, noise_var = simulate_echo(geometry, *scene.objects, snr_db=snr_db, random_state=rng)
        bounds = geometry.frequency_bounds(max_range=DEMO_MAX_RANGE, max_speed=DEMO_MAX_SPEED)
        # A ×4-padded 3-D FFT of the full demo tensor needs 1.6 GB: ×2 padding (206 MB) instead.
        # The 20 dB power spread hides the far objects under the near ones' −13 dB rectangular
        # sidelobes: the periodogram picks its peaks on a Hann-windowed spectrum, as OFDM radars do.
        return H, scene.frequencies, scene.gains, noise_var, DEMO_FACTORS, bounds, True, 2, "hann"
    if name == "equal-power":
        from sigrec.datasets import make_harmonic_tensor

        shape, factors = (8, 64, 112), DEMO_FACTORS
        bands = [(-0.6 * math.pi / f, 0.6 * math.pi / f) for f in factors]
        H, truth, amplitudes, noise_var = make_harmonic_tensor(shape, 4, snr_db=snr_db, bands=bands, random_state=rng)
        return H, truth, amplitudes, noise_var, factors, None, True, 4, None
    raise ValueError(f"scene must be 'demo' or 'equal-power', got {name!r}.")


# --------------------------------------------------------------------------- B1: RMSE vs SNR
def rmse_snr_trial(params, rng):
    """One scene at one SNR; every method on the same data.

    Parameters (grid): ``scene`` ("demo": the 6-object ISAC scene, SNR total
    per RE; "equal-power": K = 4 unit objects on 8 × 64 × 112, SNR per
    object per element) and ``snr_db``.

    Returns
    -------
    dict
        ``crb_<mode>`` (mean over objects of the full-data CRB, cells²),
        and per method: ``sq_err_<method>_<mode>`` (mean squared error over
        objects, cells², after Hungarian matching), ``detected_<method>``
        (1.0 when every object is within half a cell in every mode) and
        ``time_<method>`` (s). RMSE/√CRB is ``sqrt(sq_err_mean / crb_mean)``.
    """
    from sigrec.tensor import harmonic_crb

    H, truth, amplitudes, noise_var, factors, bounds, compressed_baselines, padding, window = _scene(
        params["scene"], float(params["snr_db"]), rng
    )
    shape = H.shape
    cells = TWO_PI / np.asarray(shape, dtype=float)
    metrics = {}
    crb = harmonic_crb(truth, amplitudes, shape, noise_var) / cells**2
    for mode, name in enumerate(MODES):
        metrics[f"crb_{name}"] = float(np.mean(crb[:, mode]))
    methods = [m for m in SNR_METHODS if m in params.get("methods", ",".join(SNR_METHODS)).split(",")]
    for method in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frequencies, seconds = _run(method, H, truth.shape[0], factors=factors, bounds=bounds,
                                        compressed_baselines=compressed_baselines, fft_padding=padding,
                                        fft_window=window)
        errors = _match(truth, frequencies, shape)
        finite = np.where(np.isfinite(errors), errors, 0.5)  # a missing object counts as half a cell
        for mode, name in enumerate(MODES):
            metrics[f"sq_err_{method}_{name}"] = float(np.mean(finite[:, mode] ** 2))
        metrics[f"detected_{method}"] = float(np.all(np.abs(errors) < DETECTION_CELLS))
        metrics[f"time_{method}"] = seconds
    return metrics


def _plot_rmse_snr(summary, out_dir):
    from pathlib import Path

    from sigrec.simulate import new_figure
    from sigrec.tensor.plotting import plot_rmse_ratio

    paths = []
    for scene, group in summary.groupby("scene"):
        figure, axes = new_figure(1, 3, figsize=(14, 4))
        for ax, mode in zip(axes, MODES, strict=True):
            plot_rmse_ratio(group, mode, ax=ax)
        figure.suptitle(f"PLAIN vs baselines, {scene} scene: RMSE / √CRB (full data) per mode")
        figure.tight_layout()
        path = Path(out_dir) / f"plain-rmse-snr_{scene}.png"
        figure.savefig(path, dpi=100)
        paths.append(path)
    return paths


def _plot_tour_tensor(summary, out_dir, stem):
    """The tour's PLAIN figure: RMSE/√CRB per mode against SNR."""
    from pathlib import Path

    from sigrec.simulate import new_figure
    from sigrec.tensor.plotting import plot_rmse_ratio

    figure, axes = new_figure(1, 3, figsize=(14, 4))
    for ax, mode in zip(axes, MODES, strict=True):
        plot_rmse_ratio(summary, mode, ax=ax)
    figure.suptitle("PLAIN vs the FFT periodogram, K = 4 equal-power objects, 8 × 64 × 112")
    figure.tight_layout()
    path = Path(out_dir) / f"{stem}.png"
    figure.savefig(path, dpi=100)
    return [path]


_TOUR_SCENES = {
    "equal-power": "K = 4 equal-power objects in an 8 × 64 × 112 space × frequency × time tensor (SNR per object "
                   "per element)",
    "demo": "the 6-object ISAC demo scene, 16 × 180 × 560 (SNR in total per resource element)",
}


def tour_table(summary):
    """The tour's tensor section: RMSE/√CRB per mode of PLAIN against the other methods, per SNR.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-cell summary of :func:`rmse_snr_trial` (``scene``, ``snr_db``;
        ``sq_err_<method>_<mode>_mean``, ``crb_<mode>_mean``).

    Returns
    -------
    str
        A sentence on the study, then a markdown table with one row per
        (scene, SNR, mode): RMSE/√CRB (``sqrt(sq_err_mean / crb_mean)``) of
        PLAIN and of every other method in the run, and PLAIN's over theirs.
    """
    from sigrec.simulate._report import markdown_table
    from sigrec.tensor.plotting import LABELS

    present = [m for m in SNR_METHODS if f"sq_err_{m}_space_mean" in summary.columns]
    ours = next((m for m in present if m.startswith("plain")), present[0])
    anchors = [m for m in present if m != ours]
    scenes = summary["scene"].nunique() > 1
    rows = []
    for row in summary.sort_values(["scene", "snr_db"]).to_dict("records"):
        for mode in MODES:
            ratios = {m: math.sqrt(row[f"sq_err_{m}_{mode}_mean"] / row[f"crb_{mode}_mean"]) for m in present}
            rows.append([*([row["scene"]] if scenes else []), row["snr_db"], mode, ratios[ours],
                         *(ratios[m] for m in anchors), *(ratios[ours] / ratios[m] for m in anchors)])
    where = "; ".join(_TOUR_SCENES.get(scene, scene) for scene in sorted(summary["scene"].unique()))
    short = {m: LABELS.get(m, m).split(" (")[0] for m in present}
    intro = (f"Multidimensional harmonic retrieval on {where}: RMSE of the estimated frequencies over the square "
             "root of the full-data Cramér–Rao bound (RMSE/√CRB; 1 is the bound), per mode, of sigrec's "
             f"{LABELS[ours]} against the {', '.join(LABELS[m] for m in anchors)} on the same data. Ratios are "
             f"{short[ours]}'s RMSE/√CRB over the other's; below 1 {short[ours]} is more accurate.")
    table = markdown_table(
        rows, [*(["scene"] if scenes else []), "SNR (dB)", "mode", f"{short[ours]} RMSE/√CRB",
               *(f"{short[m]} RMSE/√CRB" for m in anchors), *(f"{short[ours]} ÷ {short[m]}" for m in anchors)],
    )
    return f"{intro}\n\n{table}"


# --------------------------------------------------------------------------- B3: resolution
def resolution_trial(params, rng):
    """Two objects ``separation`` cells apart; do the methods resolve both?

    Parameters (grid): ``separation`` (Rayleigh cells), ``layout`` ("all":
    apart in every mode; "one": apart in the space mode only, identical
    delay and Doppler, the coherent case), ``snr_db`` (per object per
    element) on a 16 × 64 × 64 tensor without compression; optional
    ``methods`` (comma-separated subset; the joint tensor ESPRIT takes
    seconds per fit at this size).

    Returns
    -------
    dict
        ``resolved_<method>``: 1.0 when both objects are within 0.1 cell in
        every mode.
    """
    from sigrec.datasets import make_harmonic_tensor

    shape = (16, 64, 64)
    cells = TWO_PI / np.asarray(shape, dtype=float)
    separation = float(params["separation"])
    start = rng.uniform(-2.0, 2.0, size=3)
    offset = separation * cells if params["layout"] == "all" else np.array([separation * cells[0], 0.0, 0.0])
    truth = np.vstack([start, start + offset])
    H, _, _, _ = make_harmonic_tensor(shape, frequencies=truth, snr_db=float(params["snr_db"]), random_state=rng)
    metrics = {}
    chosen = params.get("methods", ",".join(RESOLUTION_METHODS)).split(",")
    for method in [m for m in RESOLUTION_METHODS if m in chosen]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frequencies, _ = _run(method, H, 2, factors=None, bounds=None, compressed_baselines=False, fft_padding=4)
        errors = _match(truth, frequencies, shape)
        metrics[f"resolved_{method}"] = float(np.all(np.abs(errors) < RESOLUTION_CELLS))
    return metrics


def _plot_resolution(summary, out_dir):
    from pathlib import Path

    from sigrec.simulate import new_figure
    from sigrec.tensor.plotting import plot_resolution

    figure, axes = new_figure(1, 2, figsize=(10, 4))
    for ax, layout in zip(axes, ("all", "one"), strict=True):
        group = summary[summary["layout"] == layout]
        if len(group):
            plot_resolution(group, ax=ax)
            ax.set_title("apart in every mode" if layout == "all" else "apart in angle only (coherent)")
    figure.tight_layout()
    path = Path(out_dir) / "plain-resolution.png"
    figure.savefig(path, dpi=100)
    return [path]


# --------------------------------------------------------------------------- B2: run time
def runtime_trial(params, rng):
    """Fit time against tensor size along one mode (others at the demo size).

    Parameters (grid): ``axis`` ("space", "frequency" or "time") and
    ``size`` (that mode's length; must be divisible by its demo factor).

    Returns
    -------
    dict
        ``time_plain`` and its stages ``time_compression``,
        ``time_estimation``, ``time_fusion``, ``time_refit`` (s),
        ``time_fft`` (×1 padding), ``n_samples``.
    """
    from sigrec.datasets import make_harmonic_tensor
    from sigrec.tensor import PLAIN
    from sigrec.tensor.baselines import FFTPeriodogram

    shape = [16, 180, 560]
    shape[MODES.index(params["axis"])] = int(params["size"])
    bands = [(-0.6 * math.pi / f, 0.6 * math.pi / f) for f in DEMO_FACTORS]
    H, truth, _, _ = make_harmonic_tensor(tuple(shape), 4, snr_db=0.0, bands=bands, min_separation=0.0,
                                          wide_separation=0.0, random_state=rng)
    started = time.perf_counter()
    model = PLAIN(n_components=4, factors=DEMO_FACTORS).fit(H)
    metrics = {"time_plain": time.perf_counter() - started, "n_samples": float(H.size)}
    for stage, seconds in model.stage_times_.items():
        metrics[f"time_{stage}"] = seconds
    started = time.perf_counter()
    FFTPeriodogram(4, padding=1, refine=None).fit(H)
    metrics["time_fft"] = time.perf_counter() - started
    return metrics


# --------------------------------------------------------------------------- B4: compression
def compression_trial(params, rng):
    """Accuracy and time of PLAIN against the delay and Doppler factors on the demo scene.

    Parameters (grid): ``factor_frequency``, ``factor_time`` (Δ_f, Δ_t),
    ``snr_db`` (total per RE). No frequency prior is given, so each mode's
    band is ``±π/Δ`` around zero: past the limits of §2.1 objects wrap.

    Returns
    -------
    dict
        ``ratio_<mode>_sq`` (squared error over the CRB, mean over objects),
        ``detected`` (every object within half a cell), ``aliasing_expected``
        (1.0 when some object lies outside ``±π/Δ``) and ``time_plain``.
    """
    from sigrec.tensor import PLAIN, harmonic_crb
    from sigrec.tensor.isac import ISACGeometry, demo_scene, simulate_echo

    geometry = ISACGeometry()
    scene = demo_scene(random_state=rng)
    H, noise_var = simulate_echo(geometry, *scene.objects, snr_db=float(params["snr_db"]), random_state=rng)
    factors = (1, int(params["factor_frequency"]), int(params["factor_time"]))
    truth = scene.frequencies
    started = time.perf_counter()
    model = PLAIN(n_components=truth.shape[0], factors=factors).fit(H)
    seconds = time.perf_counter() - started
    errors = _match(truth, model.frequencies_, H.shape)
    cells = TWO_PI / np.asarray(H.shape, dtype=float)
    crb = harmonic_crb(truth, scene.gains, H.shape, noise_var) / cells**2
    finite = np.where(np.isfinite(errors), errors, 0.5)
    metrics = {f"ratio_{name}_sq": float(np.mean(finite[:, m] ** 2 / crb[:, m])) for m, name in enumerate(MODES)}
    limits = math.pi / np.asarray(factors, dtype=float)
    metrics["aliasing_expected"] = float(np.any(np.abs(np.angle(np.exp(1j * truth))) >= limits))
    metrics["detected"] = float(np.all(np.abs(errors) < DETECTION_CELLS))
    metrics["time_plain"] = seconds
    return metrics


# --------------------------------------------------------------------------- registry
register(
    Experiment(
        name="plain-rmse-snr",
        trial=rmse_snr_trial,
        grid=[
            {"scene": ["equal-power"], "snr_db": [-30, -25, -20, -15, -10, -5, 0, 5, 10]},
            {"scene": ["demo"], "snr_db": [-20, -15, -10, -5, 0, 5, 10, 20], "@trials": 10},
        ],
        n_trials=30,
        chunk_size=2,
        quick={"grid": {"scene": ["equal-power"], "snr_db": [-15, 0]}, "n_trials": 2},
        description="PLAIN vs FFT, grid OMP, tensor ESPRIT, sequential: RMSE/sqrt(CRB) vs SNR (demo, equal power)",
        plot=_plot_rmse_snr,
    )
)

register(
    Experiment(
        name="plain-resolution",
        trial=resolution_trial,
        grid={"separation": [0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5], "layout": ["all", "one"], "snr_db": [0.0]},
        n_trials=20,
        chunk_size=2,
        quick={"grid": {"separation": [0.5, 1.5], "layout": ["all"], "snr_db": [0.0]}, "n_trials": 1},
        description="PLAIN vs baselines: probability of resolving two objects vs separation (cells)",
        plot=_plot_resolution,
    )
)

register(
    Experiment(
        name="plain-runtime",
        trial=runtime_trial,
        grid=[
            {"axis": ["time"], "size": [140, 280, 560, 1120, 2240]},
            {"axis": ["frequency"], "size": [48, 92, 180, 360, 720]},
            {"axis": ["space"], "size": [8, 16, 32, 64]},
        ],
        n_trials=5,
        chunk_size=1,
        quick={"grid": {"axis": ["time"], "size": [140, 280]}, "n_trials": 1},
        description="PLAIN and FFT run time vs tensor size along each mode (other modes at demo size)",
    )
)

register(
    Experiment(
        name="plain-compression",
        trial=compression_trial,
        grid={"factor_frequency": [1, 2, 4, 12, 20], "factor_time": [1, 2, 7, 14, 28, 56, 80], "snr_db": [0.0]},
        n_trials=10,
        chunk_size=2,
        quick={"grid": {"factor_frequency": [4], "factor_time": [14, 80], "snr_db": [0.0]}, "n_trials": 1},
        description="PLAIN on the demo scene: RMSE/CRB and time vs delay/Doppler compression, past aliasing",
    )
)
