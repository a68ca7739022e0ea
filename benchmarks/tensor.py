"""Benchmark PLAIN (``sigrec.tensor``): stage times, baselines on the same scene, run-time slopes, accuracy vs the CRB.

Run as ``.venv/bin/python benchmarks/tensor.py [--quick]``. It prints a machine header and
Markdown tables ready to paste into ``docs/performance.md`` (research note ``plain.md`` §5 B1/B2,
§6 test 10):

1. **Stages at the demo size.** The demo scene (``demo_scene(random_state=0)``: 6 objects,
   ``ISACGeometry()``, 16 × 180 × 560) through ``simulate_echo`` at +10 dB total SNR per resource
   element, fitted by ``PLAIN(n_components=6, frequency_bounds=geometry.frequency_bounds(
   max_range=400, max_speed=10))`` (averaging Δ = (1, 4, 14), ESPRIT, Tensor-OMP, Gauss–Newton
   refinement: the defaults). End-to-end fit time and the per-stage times of ``stage_times_``
   (compression, estimation, fusion with the refinement, amplitude refit), for the default, for the
   paper's pipeline (``refine=False, estimator="root-music"``) and without compression
   (``compression=None``, ESPRIT on the 16 × 180 × 560 tensor itself).
2. **Methods on the same demo scene.** PLAIN against the FFT periodogram on the full tensor (×2
   zero padding per mode, ×4 would need a 1.65 GB spectrum; untapered and Hann-tapered, each with
   grid peaks and with Newton-refined peaks), and against ``GridOMP``, ``SequentialEstimator`` and the joint R-D
   ``TensorESPRIT`` (smoothing windows of half and of a quarter of each mode) on the averaged
   compressed tensor (16 × 45 × 40, built as in ``sigrec.tensor.experiments``): fit time, its ratio
   to PLAIN's, the largest error over the objects per mode in Rayleigh cells (2π/N_m of the input
   tensor, after Hungarian matching against the truth) and RMSE/√CRB per mode (one noise
   realisation: ``sqrt(mean_k e_km² / CRB_km)``, each object against its own bound, since the
   scene's powers span 20 dB). The half-window ESPRIT takes one to two minutes here: it runs once, and not at
   all under ``--quick``.
3. **Scaling.** Fit time against the tensor size along the time mode (N_t ∈ {140, …, 2240},
   N_a = 16, N_f = 180) and along the frequency mode (N_f ∈ {48, …, 720}, N_a = 16, N_t = 560),
   Δ = (1, 4, 14) fixed (the compressed tensor grows too), K = 4 random objects at 0 dB
   (``make_harmonic_tensor``, bands ±0.6π/Δ_m, as the ``plain-runtime`` sweep): PLAIN end to end
   with its stages, and the FFT periodogram (×1 padding, no refinement). Along the time mode the
   joint ``TensorESPRIT`` also runs on the compressed tensors (quarter windows; half windows at the
   two smallest sizes, the demo-size half-window time of table 2 completing the series), and on
   small uncompressed tensors 8 × 16 × N_t (half windows, PLAIN without compression next to it).
   Slopes: least-squares fit of log time against log N (N = Π N_m, numpy ``polyfit``) over all
   sizes, and the local slope between the two largest.
4. **Accuracy against the CRB** (note B1 "S2 equal power", small): K = 4 unit-modulus objects on
   8 × 64 × 112 (``make_harmonic_tensor``, bands ±0.6π/Δ_m), −15 dB and 0 dB per object per
   element, 30 trials (10 under ``--quick``): RMSE/√CRB_full per mode for PLAIN with averaging,
   PLAIN with decimation (AIC orders, and a fixed order K; also against the decimation bound
   √(ΠΔ·CRB)), the FFT periodogram (×4 padding) with Newton refinement on the full tensor, and
   ``GridOMP`` on the averaged tensor.
   RMSE/√CRB is ``sqrt(Σ e² / Σ CRB)`` over trials and objects (the ``plain-rmse-snr`` sweep's
   definition); an object a method did not return counts as an error of half a cell.
5. **OFDM simulator.** ``simulate_ofdm`` at the demo size with the numba and the numpy channel
   kernels, next to ``simulate_echo`` (the ideal model) and PLAIN's fit.
6. **Goals** from the issue and the note, met or not met.

Timing: every timed call runs with BLAS pinned to 1 thread (threadpoolctl, re-applied around each
call), ``NUMBA_NUM_THREADS=1`` is set before numba is imported; the note's "all cores" variant of
B2 is not run. Times are medians over repeats run in rotating rounds (every variant once per round);
the repeats are in each row. Data generation is not timed. Baselines that run on the compressed
tensor are timed without the compression (one averaging pass, reported in the notes of table 2),
which favours them; PLAIN's times include its own compression. Warm-up fits of every method on a
small tensor run first (imports, numba's cached kernels). The machine is often shared: the
1-minute load average is printed at the start of every section. Progress goes to stderr, the report
to stdout.
"""

from __future__ import annotations

import os

# Before numba is imported (sigrec.tensor.isac pulls it in): numba reads it once, at import.
os.environ["NUMBA_NUM_THREADS"] = "1"

import argparse
import dataclasses
import datetime
import math
import platform
import re
import statistics
import time

import numpy as np
from _report import (
    blas_description,
    load_average,
    markdown_table,
    note,
    pinned_call,
    print_closing,
    progress,
    seconds,
    times_ratio,
)
from threadpoolctl import threadpool_limits

import sigrec

SEED = 0
NOISE_SEED = 1
TWO_PI = 2.0 * math.pi
MODES = ("space", "frequency", "time")
FACTORS = (1, 4, 14)  # the paper's demo compression (space, subcarrier, symbol)
DEMO_SNR_DB = 10.0  # total per resource element (the official demo's definition)
DEMO_MAX_RANGE, DEMO_MAX_SPEED = 400.0, 10.0
DEMO_FFT_PADDING = 2
DETECTION_CELLS = 0.5  # an object counts as found when every mode is within half a Rayleigh cell
ACCURACY_SHAPE = (8, 64, 112)
ACCURACY_K = 4
ACCURACY_SNRS = (-15.0, 0.0)
SCALING_K = 4
SMALL_SHAPE = (8, 16)  # + N_t: the uncompressed tensors the joint ESPRIT can afford

GOAL_SECONDS = 0.5  # the issue: PLAIN on the demo size, end to end, one core
GOAL_SPEEDUP = 100.0  # the issue: PLAIN vs joint R-D ESPRIT on the compressed tensor
GOAL_SLOPE = 1.3  # the issue and note §6 test 10
NOTE_ESPRIT_SLOPE = 2.0  # note §6 test 10: joint R-D ESPRIT slope at least this

PLAIN_DEFAULT = "PLAIN (default: averaging, ESPRIT, OMP, refine)"
PLAIN_PAPER = "PLAIN, paper pipeline (refine=False, root-MUSIC)"
PLAIN_UNCOMPRESSED = "PLAIN, compression=None (ESPRIT, refine)"
ESPRIT_HALF = "TensorESPRIT, half windows (subarray_fraction=0.5)"
ESPRIT_QUARTER = "TensorESPRIT, quarter windows (subarray_fraction=0.25)"


@dataclasses.dataclass(frozen=True)
class Config:
    stage_repeats: int  # section 1, compressed PLAIN variants
    uncompressed_repeats: int  # section 1, compression=None (about 1 s a fit)
    method_repeats: int  # section 2, cheap baselines
    fft_repeats: int  # section 2, FFT periodogram (×2 padding, 1.8 s plain, 6 s with Newton)
    esprit_half: bool  # section 2, the 1-2 minute half-window TensorESPRIT fit (once)
    time_sizes: tuple  # section 3, N_t
    frequency_sizes: tuple  # section 3, N_f
    plain_scaling_repeats: int
    fft_scaling_repeats: int
    esprit_quarter_sizes: tuple  # N_t where the quarter-window ESPRIT runs on the compressed tensor
    esprit_quarter_repeats: int
    esprit_half_sizes: tuple  # N_t where the half-window ESPRIT runs (once) on the compressed tensor
    small_sizes: tuple  # N_t of the uncompressed 8 × 16 × N_t tensors
    small_esprit_repeats: int
    small_plain_repeats: int  # PLAIN fits take ~5 ms there: more repeats against noise
    accuracy_trials: int
    ofdm_repeats: int


FULL = Config(
    stage_repeats=15,
    uncompressed_repeats=5,
    method_repeats=5,
    fft_repeats=3,
    esprit_half=True,
    time_sizes=(140, 280, 560, 1120, 2240),
    frequency_sizes=(48, 92, 180, 360, 720),
    plain_scaling_repeats=9,
    fft_scaling_repeats=5,
    esprit_quarter_sizes=(140, 280, 560, 1120),
    esprit_quarter_repeats=2,
    esprit_half_sizes=(140, 280),
    small_sizes=(8, 12, 16, 24, 32, 48, 64),
    small_esprit_repeats=3,
    small_plain_repeats=9,
    accuracy_trials=30,
    ofdm_repeats=5,
)
QUICK = Config(
    stage_repeats=3,
    uncompressed_repeats=1,
    method_repeats=2,
    fft_repeats=1,
    esprit_half=False,
    time_sizes=(140, 280, 560),
    frequency_sizes=(48, 92, 180),
    plain_scaling_repeats=3,
    fft_scaling_repeats=2,
    esprit_quarter_sizes=(140, 280, 560),
    esprit_quarter_repeats=1,
    esprit_half_sizes=(),
    small_sizes=(8, 16, 24, 32),
    small_esprit_repeats=2,
    small_plain_repeats=3,
    accuracy_trials=10,
    ofdm_repeats=2,
)

# --------------------------------------------------------------------------- timing
WARNINGS = {}  # (label, category, message with numbers masked) -> [count, example]


def timed(function, label):
    """Return ``(seconds, result)`` of one call, BLAS pinned to 1 thread; warnings are counted under ``label``."""
    seconds_taken, result, caught = pinned_call(function)
    for warning in caught:
        text = " ".join(str(warning.message).split())
        key = (label, warning.category.__name__, re.sub(r"[0-9][0-9.e+-]*", "#", text))
        WARNINGS.setdefault(key, [0, text])[0] += 1
    return seconds_taken, result


def rounds(functions, repeats, label):
    """Run every function ``repeats[name]`` times in rotating rounds; return ``name -> [(seconds, result)]``."""
    names = list(functions)
    out = {name: [] for name in names}
    for index in range(max(repeats[name] for name in names)):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            if len(out[name]) < repeats[name]:
                out[name].append(timed(functions[name], f"{label}: {name}"))
    return out


def median_time(runs):
    return statistics.median(seconds_taken for seconds_taken, _ in runs)


def slope(sizes, times):
    """Least-squares slope of log(time) against log(size)."""
    return float(np.polyfit(np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(times, dtype=float)), 1)[0])


def local_slope(sizes, times):
    """Slope between the two largest sizes."""
    return math.log(times[-1] / times[-2]) / math.log(sizes[-1] / sizes[-2])


def section_load(title):
    load = load_average()
    progress(f"{title} (1-minute load average {load})")
    return load


# --------------------------------------------------------------------------- accuracy helpers
def scene_accuracy(truth, estimate, shape, crb_cells):
    """Largest |error| per mode (cells, inf when an object is missing), RMSE/√CRB per mode, all found."""
    from sigrec.tensor.experiments import _match

    errors = _match(truth, estimate, shape)
    largest = np.max(np.abs(errors), axis=0)
    finite = np.where(np.isfinite(errors), errors, DETECTION_CELLS)
    ratio = np.sqrt(np.mean(finite**2 / crb_cells, axis=0))
    return largest, ratio, bool(np.all(np.abs(errors) < DETECTION_CELLS))


def per_mode(values, digits=3):
    return " / ".join("missing" if not np.isfinite(v) else f"{v:.{digits}g}" for v in values)


# --------------------------------------------------------------------------- problems
def demo_problem():
    """The demo scene at +10 dB: ``(geometry, scene, H, noise_var, bounds, crb in cells²)``."""
    from sigrec.tensor import harmonic_crb
    from sigrec.tensor.isac import ISACGeometry, demo_scene, simulate_echo

    geometry = ISACGeometry()
    scene = demo_scene(random_state=SEED)
    H, noise_var = simulate_echo(geometry, *scene.objects, snr_db=DEMO_SNR_DB, random_state=NOISE_SEED)
    bounds = geometry.frequency_bounds(max_range=DEMO_MAX_RANGE, max_speed=DEMO_MAX_SPEED)
    cells = TWO_PI / np.asarray(H.shape, dtype=float)
    crb = harmonic_crb(scene.frequencies, scene.gains, H.shape, noise_var) / cells**2
    return geometry, scene, H, noise_var, bounds, crb


def band_limits():
    return [(-0.6 * math.pi / factor, 0.6 * math.pi / factor) for factor in FACTORS]


def scaling_tensor(shape):
    from sigrec.datasets import make_harmonic_tensor

    H, _, _, _ = make_harmonic_tensor(
        shape,
        SCALING_K,
        snr_db=0.0,
        bands=band_limits(),
        min_separation=0.0,
        wide_separation=0.0,
        random_state=SEED,
    )
    return H


# --------------------------------------------------------------------------- warm-up
def warm_up():
    """First and second PLAIN fit on a small tensor; one fit of every baseline and simulator (imports, kernels)."""
    from sigrec.datasets import make_harmonic_tensor
    from sigrec.tensor import PLAIN, FFTPeriodogram, GridOMP, SequentialEstimator, TensorESPRIT
    from sigrec.tensor.experiments import _compressed_problem

    H, _, _, _ = make_harmonic_tensor((8, 32, 56), 2, snr_db=10.0, random_state=SEED)
    out = {}
    first, _ = timed(lambda: PLAIN(n_components=2).fit(H), "warm-up PLAIN")
    second, _ = timed(lambda: PLAIN(n_components=2).fit(H), "warm-up PLAIN")
    out["PLAIN"] = (first, second)
    data, _ = _compressed_problem(H, FACTORS, None)
    for name, function in (
        ("FFT", lambda: FFTPeriodogram(2, padding=2).fit(H)),
        ("GridOMP", lambda: GridOMP(2).fit(data)),
        ("Sequential", lambda: SequentialEstimator(2).fit(data)),
        ("TensorESPRIT", lambda: TensorESPRIT(2, random_state=0).fit(data)),
    ):
        out[name] = timed(function, f"warm-up {name}")[0]
    return out


# --------------------------------------------------------------------------- 1. stages
def measure_stages(config, problem):
    from sigrec.tensor import PLAIN

    _, scene, H, _, bounds, crb = problem
    variants = {
        PLAIN_DEFAULT: ({}, config.stage_repeats),
        PLAIN_PAPER: ({"refine": False, "estimator": "root-music"}, config.stage_repeats),
        PLAIN_UNCOMPRESSED: ({"compression": None}, config.uncompressed_repeats),
    }
    functions = {
        name: (lambda kwargs=kwargs: PLAIN(n_components=scene.n_objects, frequency_bounds=bounds, **kwargs).fit(H))
        for name, (kwargs, _) in variants.items()
    }
    runs = rounds(functions, {name: repeats for name, (_, repeats) in variants.items()}, "stages")
    results = {}
    for name, name_runs in runs.items():
        model = name_runs[-1][1]
        stages = {
            stage: statistics.median(run[1].stage_times_[stage] for run in name_runs) for stage in model.stage_times_
        }
        other = statistics.median(t - sum(m.stage_times_.values()) for t, m in name_runs)
        results[name] = {
            "time": median_time(name_runs),
            "stages": stages,
            "other": other,
            "repeats": len(name_runs),
            "model": model,
            "accuracy": scene_accuracy(scene.frequencies, model.frequencies_, H.shape, crb),
        }
    return results


def report_stages(stages, load):
    headers = [
        "variant",
        "end to end (median)",
        "compression",
        "estimation",
        "fusion (incl. refinement)",
        "refit",
        "other (validation)",
        "tensor stages 2-3 saw",
        "GN steps",
        "max error (cells) space / freq / time",
        "repeats",
    ]
    rows = []
    for name, result in stages.items():
        total = result["time"]

        def share(value, total=total):
            return f"{seconds(value)} ({100 * value / total:.0f} %)"

        model = result["model"]
        largest, _, found = result["accuracy"]
        rows.append(
            (
                name,
                seconds(total),
                share(result["stages"]["compression"]),
                share(result["stages"]["estimation"]),
                share(result["stages"]["fusion"]),
                share(result["stages"]["refit"]),
                share(max(result["other"], 0.0)),
                " × ".join(str(size) for size in model.compressed_shape_[1:]),
                model.n_refinement_steps_,
                per_mode(largest) + ("" if found else " ✗"),
                result["repeats"],
            )
        )
    markdown_table(
        "1. PLAIN stages at the demo size (16 × 180 × 560, 6 objects, +10 dB total per RE, 1 thread)",
        headers,
        rows,
        "Stage times are medians of `stage_times_` over the same fits (each share is of the median end-to-end "
        "time, so shares need not add to 100 %); 'other' is the end-to-end time minus the four stages (input "
        "validation, bounds, bookkeeping). Compression is Δ = (1, 4, 14) block averaging, demodulated to the "
        "frequency bounds' centres; the refit is the least-squares amplitude fit on the 16 × 180 × 560 input. "
        "Errors are against the scene's true frequencies, in Rayleigh cells 2π/N_m of the input tensor. "
        f"1-minute load average at the start of this section: {load}.",
    )


# --------------------------------------------------------------------------- 2. methods
@dataclasses.dataclass
class MethodRow:
    name: str
    data: str
    time: float | None
    repeats: int
    accuracy: tuple | None
    skipped: str = ""


def measure_methods(config, problem, stages):
    from sigrec.tensor import FFTPeriodogram, GridOMP, SequentialEstimator, TensorESPRIT
    from sigrec.tensor.experiments import _compressed_problem

    _, scene, H, _, bounds, crb = problem
    K = scene.n_objects
    truth = scene.frequencies
    compression_runs = [timed(lambda: _compressed_problem(H, FACTORS, bounds), "compression") for _ in range(5)]
    data, to_input = compression_runs[-1][1]
    compressed_label = " × ".join(str(size) for size in data.shape) + " (averaged)"
    full_label = " × ".join(str(size) for size in H.shape) + " (full)"
    plain = stages[PLAIN_DEFAULT]
    rows = [MethodRow(PLAIN_DEFAULT, full_label, plain["time"], plain["repeats"], plain["accuracy"])]

    full_methods = {
        f"FFT periodogram ×{DEMO_FFT_PADDING}{', Hann window' if window else ''}, refine={refine!r}": (
            lambda window=window, refine=refine: FFTPeriodogram(
                K, padding=DEMO_FFT_PADDING, window=window, refine=refine
            ).fit(H)
        )
        for window in (None, "hann")
        for refine in (None, "newton")
    }
    compressed_methods = {
        "GridOMP (×4 grid, Newton)": lambda: GridOMP(K).fit(data),
        "SequentialEstimator": lambda: SequentialEstimator(K).fit(data),
        ESPRIT_QUARTER: lambda: TensorESPRIT(K, subarray_fraction=0.25, random_state=0).fit(data),
    }
    progress("methods: FFT periodogram on the full tensor")
    runs = rounds(full_methods, dict.fromkeys(full_methods, config.fft_repeats), "methods")
    for name, name_runs in runs.items():
        estimate = name_runs[-1][1].frequencies_
        rows.append(
            MethodRow(
                name, full_label, median_time(name_runs), len(name_runs), scene_accuracy(truth, estimate, H.shape, crb)
            )
        )
    progress("methods: baselines on the compressed tensor")
    runs = rounds(compressed_methods, dict.fromkeys(compressed_methods, config.method_repeats), "methods")
    for name, name_runs in runs.items():
        estimate = to_input(name_runs[-1][1].frequencies_)
        rows.append(
            MethodRow(
                name,
                compressed_label,
                median_time(name_runs),
                len(name_runs),
                scene_accuracy(truth, estimate, H.shape, crb),
            )
        )
    if config.esprit_half:
        progress("methods: TensorESPRIT with half windows on the compressed tensor (1-2 minutes, once)")
        seconds_taken, model = timed(
            lambda: TensorESPRIT(K, subarray_fraction=0.5, random_state=0).fit(data), f"methods: {ESPRIT_HALF}"
        )
        window = " × ".join(str(size) for size in model.window_shape_)
        rows.append(
            MethodRow(
                f"{ESPRIT_HALF}, window {window}",
                compressed_label,
                seconds_taken,
                1,
                scene_accuracy(truth, to_input(model.frequencies_), H.shape, crb),
            )
        )
    else:
        rows.append(MethodRow(ESPRIT_HALF, compressed_label, None, 0, None, "skipped under --quick (1-2 min a fit)"))
    return rows, median_time(compression_runs)


def report_methods(rows, compression_time, load):
    plain_time = rows[0].time
    headers = [
        "method",
        "input",
        "fit time (median)",
        "× PLAIN time",
        "max error (cells) space / freq / time",
        "RMSE/√CRB space / freq / time",
        "all 6 within ½ cell",
        "repeats",
    ]
    table = []
    for row in rows:
        if row.time is None:
            table.append((row.name, row.data, row.skipped, "", "", "", "", 0))
            continue
        largest, ratio, found = row.accuracy
        if not found:
            note(
                f"Table 2, {row.name}: not every demo object within ½ cell (largest errors {per_mode(largest)} "
                "cells in space / frequency / time)."
            )
        table.append(
            (
                row.name,
                row.data,
                seconds(row.time),
                times_ratio(row.time / plain_time),
                per_mode(largest),
                per_mode(ratio),
                "yes" if found else "**no**",
                row.repeats,
            )
        )
    padded_bytes = 16 * 180 * 560 * 4**3 * 16
    markdown_table(
        "2. PLAIN and the baselines on the same demo scene (1 thread)",
        headers,
        table,
        f"The FFT periodogram runs on the full tensor with ×{DEMO_FFT_PADDING} zero padding per mode: the usual ×4 "
        f"would need a {padded_bytes / 1e9:.2f} GB complex spectrum (×2: {padded_bytes / 8 / 1e6:.0f} MB). Its "
        f"grid step is 1/{DEMO_FFT_PADDING} cell, so without refinement errors up to 1/{2 * DEMO_FFT_PADDING} cell "
        "per mode are expected. The scene's powers span 19.9 dB, more than the −13 dB first sidelobes of the "
        "untapered periodogram: its K largest local maxima can be sidelobes of the strongest object rather than "
        "the weak objects (then no refinement recovers them); the Hann taper (about −31 dB sidelobes) is the "
        "usual remedy, shown for that reason. GridOMP, SequentialEstimator and TensorESPRIT run on the tensor "
        "PLAIN's stage 1 produces (block averaging Δ = (1, 4, 14), demodulated to the bounds' centres; "
        "`sigrec.tensor.experiments._compressed_problem`), their frequencies mapped back to the input sampling; "
        f"their times exclude that compression (median {seconds(compression_time)}), PLAIN's include it. "
        "PLAIN's row repeats table 1's default. Errors: Hungarian matching on cell-normalised circular distance, "
        "cells 2π/N_m of the 16 × 180 × 560 input. RMSE/√CRB is one noise realisation, "
        "sqrt(mean_k e_km²/CRB_km) with the full-data joint CRB (`harmonic_crb`): a single draw, so values "
        "around 1 (roughly 0.3-2) are what an efficient estimator gives. "
        f"1-minute load average at the start of this section: {load}.",
    )


# --------------------------------------------------------------------------- 3. scaling
def measure_axis(config, axis, sizes):
    """Per size along one mode: PLAIN (with stages), FFT ×1; along time also TensorESPRIT on the compressed tensor."""
    from sigrec.tensor import PLAIN, FFTPeriodogram, TensorESPRIT, compress

    out = []
    for size in sizes:
        shape = [16, 180, 560]
        shape[MODES.index(axis)] = size
        shape = tuple(shape)
        progress(f"scaling along {axis}: {shape}")
        H = scaling_tensor(shape)
        functions = {
            "PLAIN": lambda H=H: PLAIN(n_components=SCALING_K, factors=FACTORS).fit(H),
            "FFT": lambda H=H: FFTPeriodogram(SCALING_K, padding=1, refine=None).fit(H),
        }
        repeats = {"PLAIN": config.plain_scaling_repeats, "FFT": config.fft_scaling_repeats}
        runs = rounds(functions, repeats, f"scaling {shape}")
        plain_runs = runs["PLAIN"]
        row = {
            "size": size,
            "shape": shape,
            "n": math.prod(shape),
            "plain": median_time(plain_runs),
            "plain_repeats": len(plain_runs),
            "stages": {
                stage: statistics.median(m.stage_times_[stage] for _, m in plain_runs)
                for stage in plain_runs[0][1].stage_times_
            },
            "compressed": plain_runs[0][1].compressed_shape_[1:],
            "fft": median_time(runs["FFT"]),
            "fft_repeats": len(runs["FFT"]),
        }
        if axis == "time" and (size in config.esprit_quarter_sizes or size in config.esprit_half_sizes):
            data = compress(H[None], FACTORS, "average").data[0]
            if size in config.esprit_quarter_sizes:
                progress(f"scaling along time: {ESPRIT_QUARTER} on {data.shape}")
                quarter = [
                    timed(
                        lambda data=data: TensorESPRIT(SCALING_K, subarray_fraction=0.25, random_state=0).fit(data),
                        f"scaling {shape}: {ESPRIT_QUARTER}",
                    )
                    for _ in range(config.esprit_quarter_repeats)
                ]
                row["esprit_quarter"] = median_time(quarter)
                row["esprit_quarter_repeats"] = len(quarter)
            if size in config.esprit_half_sizes:
                progress(f"scaling along time: {ESPRIT_HALF} on {data.shape} (once)")
                row["esprit_half"] = timed(
                    lambda data=data: TensorESPRIT(SCALING_K, subarray_fraction=0.5, random_state=0).fit(data),
                    f"scaling {shape}: {ESPRIT_HALF}",
                )[0]
        del H
        out.append(row)
    return out


def measure_small(config):
    """Joint TensorESPRIT (half windows) and uncompressed PLAIN on 8 × 16 × N_t."""
    from sigrec.datasets import make_harmonic_tensor
    from sigrec.tensor import PLAIN, TensorESPRIT

    out = []
    for size in config.small_sizes:
        shape = SMALL_SHAPE + (size,)
        H, _, _, _ = make_harmonic_tensor(
            shape, SCALING_K, snr_db=0.0, min_separation=0.0, wide_separation=0.0, random_state=SEED
        )
        functions = {
            "esprit": lambda H=H: TensorESPRIT(SCALING_K, random_state=0).fit(H),
            "plain": lambda H=H: PLAIN(n_components=SCALING_K, compression=None).fit(H),
        }
        repeats = {"esprit": config.small_esprit_repeats, "plain": config.small_plain_repeats}
        runs = rounds(functions, repeats, f"small {shape}")
        out.append(
            {
                "size": size,
                "shape": shape,
                "n": math.prod(shape),
                "window": runs["esprit"][0][1].window_shape_,
                "esprit": median_time(runs["esprit"]),
                "plain": median_time(runs["plain"]),
                "repeats": repeats,
            }
        )
    return out


def shape_text(shape):
    return " × ".join(str(size) for size in shape)


def report_axis(title, axis, rows, load):
    headers = [
        "N_t" if axis == "time" else "N_f",
        "shape (N)",
        "compressed",
        "PLAIN end to end",
        "compression",
        "estimation",
        "fusion",
        "refit",
        "FFT ×1, no refine",
        "FFT / PLAIN",
    ]
    esprit = axis == "time" and any("esprit_quarter" in row or "esprit_half" in row for row in rows)
    if esprit:
        headers += ["TensorESPRIT ¼ (compressed)", "TensorESPRIT ½ (compressed)"]
    table = []
    for row in rows:
        cells = [
            row["size"],
            f"{shape_text(row['shape'])} ({row['n'] / 1e6:.2f} M)",
            shape_text(row["compressed"]),
            seconds(row["plain"]),
            *(seconds(row["stages"][stage]) for stage in ("compression", "estimation", "fusion", "refit")),
            seconds(row["fft"]),
            times_ratio(row["fft"] / row["plain"]),
        ]
        if esprit:
            cells.append(seconds(row["esprit_quarter"]) if "esprit_quarter" in row else "not run")
            cells.append(seconds(row["esprit_half"]) + " (1 run)" if "esprit_half" in row else "not run")
        table.append(cells)
    repeats = f"{rows[0]['plain_repeats']} PLAIN / {rows[0]['fft_repeats']} FFT repeats (medians)"
    text = (
        f"K = {SCALING_K} random objects at 0 dB per object per element (`make_harmonic_tensor`, bands ±0.6π/Δ_m), "
        f"PLAIN(n_components={SCALING_K}, factors=(1, 4, 14)) at its defaults (no frequency bounds), {repeats}; "
        "stage columns are medians of `stage_times_`. The FFT periodogram runs on the full tensor."
    )
    if esprit:
        text += (
            " TensorESPRIT runs on the averaged tensor (timed without the compression), quarter windows "
            f"{rows[0].get('esprit_quarter_repeats', 1)} time(s) per size, half windows once where run; "
            "beyond the sizes shown its cost is prohibitive (minutes)."
        )
    markdown_table(title, headers, table, text + f" 1-minute load average at the start of this section: {load}.")


def same_tensor(time_rows, frequency_rows):
    """Note the two timings of the demo-shape tensor (3a and 3b time the same tensor): a run-to-run noise gauge."""
    first = next((row for row in time_rows if row["shape"] == (16, 180, 560)), None)
    second = next((row for row in frequency_rows if row["shape"] == (16, 180, 560)), None)
    if first is None or second is None:
        return
    spread = max(first["plain"], second["plain"]) / min(first["plain"], second["plain"])
    note(
        f"Tables 3a and 3b time the same 16 × 180 × 560 tensor (same shape and seed) at different moments: PLAIN "
        f"{seconds(first['plain'])} vs {seconds(second['plain'])} ({times_ratio(spread)}), FFT "
        f"{seconds(first['fft'])} vs {seconds(second['fft'])}: a gauge of the run-to-run noise on this machine, "
        "which the slopes inherit."
    )


def report_small(rows, load):
    headers = ["shape (N)", "TensorESPRIT ½ window", "TensorESPRIT ½", "PLAIN, compression=None", "ESPRIT / PLAIN"]
    table = [
        (
            f"{shape_text(row['shape'])} ({row['n']})",
            shape_text(row["window"]),
            seconds(row["esprit"]),
            seconds(row["plain"]),
            times_ratio(row["esprit"] / row["plain"]),
        )
        for row in rows
    ]
    markdown_table(
        "3c. Joint R-D ESPRIT on small uncompressed tensors (8 × 16 × N_t, 1 thread)",
        headers,
        table,
        f"K = {SCALING_K} random objects at 0 dB; TensorESPRIT with half windows (the standard choice) and "
        f"forward-backward averaging, PLAIN(n_components={SCALING_K}, compression=None); medians of "
        f"{rows[0]['repeats']['esprit']} ESPRIT / {rows[0]['repeats']['plain']} PLAIN runs. "
        f"1-minute load average at the start of this section: {load}.",
    )


def slope_rows(time_rows, frequency_rows, small_rows, demo_half_time):
    """``(series, sizes text, slope all, local slope, points)`` for table 3d."""
    series = []

    def add(label, rows, key, extra=None):
        points = [(row["n"], row[key]) for row in rows if key in row]
        if extra is not None:
            points.append(extra)
            points.sort()
        if len(points) < 2:
            series.append((label, "not enough sizes run", None, None))
            return
        sizes, times = zip(*points, strict=True)
        text = f"N = {sizes[0] / 1e6:.3g} M … {sizes[-1] / 1e6:.3g} M ({len(points)} sizes)"
        if sizes[-1] < 1e5:
            text = f"N = {sizes[0]} … {sizes[-1]} ({len(points)} sizes)"
        series.append((label, text, slope(sizes, times), local_slope(sizes, times)))

    add("PLAIN, along N_t (time mode)", time_rows, "plain")
    add("PLAIN, along N_f (frequency mode)", frequency_rows, "plain")
    add("FFT ×1, along N_t", time_rows, "fft")
    add("FFT ×1, along N_f", frequency_rows, "fft")
    add("TensorESPRIT ¼ on the compressed tensor, along N_t", time_rows, "esprit_quarter")
    extra = None
    if demo_half_time is not None and any("esprit_half" in row for row in time_rows):
        extra = (16 * 180 * 560, demo_half_time)
    add(
        "TensorESPRIT ½ on the compressed tensor, along N_t"
        + (" (N_t = 560: table 2's demo-scene fit)" if extra else ""),
        time_rows,
        "esprit_half",
        extra,
    )
    add("TensorESPRIT ½ on 8 × 16 × N_t, uncompressed", small_rows, "esprit")
    add("PLAIN compression=None on 8 × 16 × N_t", small_rows, "plain")
    return series


def report_slopes(series):
    table = [
        (label, text, "" if value is None else f"{value:.2f}", "" if local is None else f"{local:.2f}")
        for label, text, value, local in series
    ]
    markdown_table(
        "3d. Run-time slopes (log time vs log N)",
        ["series", "sizes", "slope (fit over all sizes)", "local slope (two largest sizes)"],
        table,
        "Slope: `numpy.polyfit(log N, log t, 1)`, N = Π N_m the input size (for the compressed-tensor ESPRIT "
        "too, so its slope is comparable with PLAIN's). Fixed costs (validation, per-mode EVDs of the "
        "compressed modes, the Python overhead of a fit) flatten the fit at small sizes, so the local slope "
        "between the two largest sizes is closer to the asymptotic one. Note §6 test 10 expects PLAIN ≤ 1.3 and "
        "the joint R-D ESPRIT ≥ 2.",
    )


# --------------------------------------------------------------------------- 4. accuracy vs CRB
ACCURACY_METHODS = (
    "PLAIN, averaging",
    "PLAIN, decimation",
    f"PLAIN, decimation, order={ACCURACY_K} (no AIC)",
    "FFT ×4 + Newton (full tensor)",
    "GridOMP (averaged)",
)


def measure_accuracy(config):
    from sigrec.datasets import make_harmonic_tensor
    from sigrec.tensor import PLAIN, FFTPeriodogram, GridOMP, harmonic_crb
    from sigrec.tensor.experiments import _compressed_problem, _match

    cells = TWO_PI / np.asarray(ACCURACY_SHAPE, dtype=float)
    results = {}
    for snr_index, snr_db in enumerate(ACCURACY_SNRS):
        progress(f"accuracy: {snr_db:+g} dB, {config.accuracy_trials} trials")
        rng = np.random.default_rng([SEED, snr_index])
        squared = {name: np.zeros(3) for name in ACCURACY_METHODS}
        found = dict.fromkeys(ACCURACY_METHODS, 0)
        missing = dict.fromkeys(ACCURACY_METHODS, 0)
        times = {name: [] for name in ACCURACY_METHODS}
        crb_sum = np.zeros(3)
        agreement = 0.0  # largest |PLAIN (averaging) − GridOMP| over trials, cells
        for _ in range(config.accuracy_trials):
            H, truth, amplitudes, noise_var = make_harmonic_tensor(
                ACCURACY_SHAPE, ACCURACY_K, snr_db=snr_db, bands=band_limits(), random_state=rng
            )
            crb_sum += np.sum(harmonic_crb(truth, amplitudes, ACCURACY_SHAPE, noise_var) / cells**2, axis=0)

            def grid_omp(H=H):
                data, to_input = _compressed_problem(H, FACTORS, None)
                return to_input(GridOMP(ACCURACY_K).fit(data).frequencies_)

            functions = {
                ACCURACY_METHODS[0]: lambda H=H: PLAIN(n_components=ACCURACY_K).fit(H).frequencies_,
                ACCURACY_METHODS[1]: lambda H=H: (
                    PLAIN(n_components=ACCURACY_K, compression="decimate").fit(H).frequencies_
                ),
                ACCURACY_METHODS[2]: lambda H=H: (
                    PLAIN(n_components=ACCURACY_K, compression="decimate", order=ACCURACY_K).fit(H).frequencies_
                ),
                ACCURACY_METHODS[3]: lambda H=H: (
                    FFTPeriodogram(ACCURACY_K, padding=4, refine="newton").fit(H).frequencies_
                ),
                ACCURACY_METHODS[4]: grid_omp,
            }
            matched = {}
            for name, function in functions.items():
                seconds_taken, estimate = timed(function, f"accuracy {snr_db:+g} dB: {name}")
                times[name].append(seconds_taken)
                errors = matched[name] = _match(truth, estimate, ACCURACY_SHAPE)
                missing[name] += int(np.sum(~np.all(np.isfinite(errors), axis=1)))
                squared[name] += np.sum(np.where(np.isfinite(errors), errors, DETECTION_CELLS) ** 2, axis=0)
                found[name] += int(np.all(np.abs(errors) < DETECTION_CELLS))
            difference = np.abs(matched[ACCURACY_METHODS[0]] - matched[ACCURACY_METHODS[-1]])
            agreement = max(agreement, float(np.max(np.where(np.isnan(difference), np.inf, difference))))
        results[snr_db] = {
            "agreement": agreement,
            "ratio": {name: np.sqrt(squared[name] / crb_sum) for name in ACCURACY_METHODS},
            "found": found,
            "missing": missing,
            "time": {name: statistics.median(times[name]) for name in ACCURACY_METHODS},
            "sqrt_crb": np.sqrt(crb_sum / (config.accuracy_trials * ACCURACY_K)),
        }
    return results


def report_accuracy(results, trials, load):
    n_samples = math.prod(ACCURACY_SHAPE)
    decimation = math.prod(FACTORS)
    headers = [
        "SNR per object per element",
        "method",
        "RMSE/√CRB space / freq / time",
        "RMSE/√(ΠΔ·CRB) space / freq / time",
        f"trials with all {ACCURACY_K} within ½ cell",
        "objects not returned",
        "fit time (median)",
    ]
    rows = []
    for snr_db, result in results.items():
        note(
            f"Table 4, {snr_db:+g} dB: the largest difference between PLAIN (averaging) and GridOMP estimates over "
            f"all trials and modes is {result['agreement']:.2g} cell: both end at the least-squares fit on the same "
            "averaged tensor (PLAIN by Gauss-Newton refinement, GridOMP by cyclic Newton), so their rows agree."
        )
        for name in ACCURACY_METHODS:
            if result["missing"][name]:
                note(
                    f"Table 4, {snr_db:+g} dB, {name}: {result['missing'][name]} of {trials * ACCURACY_K} objects "
                    f"not returned (the fit returned fewer than n_components={ACCURACY_K} objects); each counts "
                    "as an error of ½ cell."
                )
            ratio = result["ratio"][name]
            rows.append(
                (
                    f"{snr_db:+g} dB (integrated {snr_db + 10 * math.log10(n_samples):.1f} dB, "
                    f"{snr_db + 10 * math.log10(n_samples / decimation):.1f} dB after decimation; "
                    f"√CRB ≈ {per_mode(result['sqrt_crb'], 2)} cells)",
                    name,
                    per_mode(ratio),
                    per_mode(ratio / math.sqrt(decimation)) if "decimation" in name else "",
                    f"{result['found'][name]}/{trials}",
                    result["missing"][name],
                    seconds(result["time"][name]),
                )
            )
    markdown_table(
        f"4. Accuracy against the CRB: K = {ACCURACY_K} equal-power objects, "
        f"{shape_text(ACCURACY_SHAPE)}, {trials} trials per SNR (1 thread)",
        headers,
        rows,
        "`make_harmonic_tensor((8, 64, 112), 4, snr_db, bands=±0.6π/Δ_m)`, fresh frequencies, phases and noise "
        "per trial (seeded). RMSE/√CRB per mode = sqrt(Σ e² / Σ CRB) over trials and objects, errors in Rayleigh "
        "cells of the full tensor after Hungarian matching, CRB the full-data joint bound (`harmonic_crb`); an "
        "object a method did not return counts as an error of ½ cell. PLAIN uses Δ = (1, 4, 14) and no "
        f"frequency bounds; decimation keeps 1 sample in ΠΔ = {decimation} (the note's expected loss: "
        f"×√{decimation} = ×{math.sqrt(decimation):.1f} in RMSE, i.e. RMSE/√(ΠΔ·CRB) ≈ 1). GridOMP runs on the "
        "averaged 8 × 16 × 8 tensor, the FFT (×4 padding, Newton refinement) on the full one. PLAIN's default "
        "order rule (AIC, capped at n_components) can give fewer candidates per mode than objects, and then "
        "PLAIN returns fewer than n_components objects; the fixed-order row isolates the decimation loss from "
        "that order selection. Note §6 tests 3-4 "
        "ask 0.7-2.0 for averaging (RMSE/√CRB) and decimation (RMSE/√(ΠΔ·CRB)) over 200 trials at ≥ 25 dB "
        f"integrated SNR after compression; with {trials} trials the ratios here have a relative standard error "
        f"of roughly {100 / math.sqrt(2 * trials * ACCURACY_K):.0f} %. "
        f"1-minute load average at the start of this section: {load}.",
    )


# --------------------------------------------------------------------------- 5. OFDM simulator
def measure_ofdm(config, problem, plain_time):
    from sigrec._numba import numba_available
    from sigrec.tensor.isac import simulate_echo, simulate_ofdm

    geometry, scene, *_ = problem
    engines = ["numba", "numpy"] if numba_available() else ["numpy"]
    first = {}
    for engine in engines:
        first[engine] = timed(
            lambda engine=engine: simulate_ofdm(
                geometry, *scene.objects, snr_db=DEMO_SNR_DB, random_state=NOISE_SEED, engine=engine
            ),
            f"ofdm {engine} (first call)",
        )[0]
    functions = {
        f"simulate_ofdm, engine='{engine}'": (
            lambda engine=engine: simulate_ofdm(
                geometry, *scene.objects, snr_db=DEMO_SNR_DB, random_state=NOISE_SEED, engine=engine
            )
        )
        for engine in engines
    }
    functions["simulate_echo (ideal tensor model)"] = lambda: simulate_echo(
        geometry, *scene.objects, snr_db=DEMO_SNR_DB, random_state=NOISE_SEED
    )
    runs = rounds(functions, dict.fromkeys(functions, config.ofdm_repeats), "ofdm")
    return {name: median_time(name_runs) for name, name_runs in runs.items()}, first, engines, plain_time


def report_ofdm(measured, load):
    times, first, engines, plain_time = measured
    rows = []
    for name, value in times.items():
        engine = next((e for e in engines if f"'{e}'" in name), None)
        rows.append(
            (
                name,
                seconds(value),
                seconds(first[engine]) if engine else "",
                times_ratio(value / plain_time),
            )
        )
    text = (
        "Demo geometry (16 × 180 × 560, N_fft = 225, CP 16 samples), the demo scene at +10 dB total per RE. "
        "'first call' is the first call in this process (numba: loading or compiling the cached kernel). "
        "The last column compares with one PLAIN fit of the same scene (table 1)."
    )
    if "numba" not in engines:
        text += " numba is not installed: the numba engine was not timed."
    markdown_table(
        "5. Simulating the demo scene (1 thread)",
        ["simulator", "time (median)", "first call", "× PLAIN fit"],
        rows,
        text + f" 1-minute load average at the start of this section: {load}.",
    )


# --------------------------------------------------------------------------- 6. goals
def report_goals(stages, methods, series, quick):
    plain = stages[PLAIN_DEFAULT]["time"]
    rows = [
        (
            f"PLAIN on the demo size end to end under {GOAL_SECONDS:g} s on one core (issue; note §6 test 10: "
            "'well under a second')",
            f"{seconds(plain)} (median of {stages[PLAIN_DEFAULT]['repeats']})",
            "met" if plain < GOAL_SECONDS else "**not met**",
        )
    ]
    half = next((row for row in methods if row.name.startswith(ESPRIT_HALF)), None)
    quarter = next(row for row in methods if row.name == ESPRIT_QUARTER)
    quarter_text = f"quarter windows: {times_ratio(quarter.time / plain)} ({seconds(quarter.time)})"
    if half is not None and half.time is not None:
        ratio = half.time / plain
        rows.append(
            (
                f"PLAIN ≥ {GOAL_SPEEDUP:g}× faster than the joint R-D ESPRIT (half windows) on the compressed tensor",
                f"{times_ratio(ratio)} ({seconds(half.time)} / {seconds(plain)}); {quarter_text}",
                "met" if ratio >= GOAL_SPEEDUP else "**not met**",
            )
        )
    else:
        rows.append(
            (
                f"PLAIN ≥ {GOAL_SPEEDUP:g}× faster than the joint R-D ESPRIT (half windows) on the compressed tensor",
                f"half windows not run{' (--quick)' if quick else ''}; {quarter_text}",
                "not measured",
            )
        )
    by_label = {label: (value, local) for label, _, value, local in series}
    plain_slopes = [by_label[label] for label in by_label if label.startswith("PLAIN, along")]
    plain_values = [value for value, _ in plain_slopes if value is not None]
    if plain_values:
        worst = max(plain_values)
        rows.append(
            (
                f"PLAIN run-time slope vs N ≤ {GOAL_SLOPE:g} (issue; note §6 test 10)",
                "along N_t / N_f: "
                + " / ".join(f"{value:.2f} (local {local:.2f})" for value, local in plain_slopes if value is not None),
                "met" if worst <= GOAL_SLOPE else "**not met**",
            )
        )
    esprit = [(label, value, local) for label, (value, local) in by_label.items() if label.startswith("TensorESPRIT")]
    measured = [(label, value, local) for label, value, local in esprit if value is not None]
    if measured:
        rows.append(
            (
                f"joint R-D ESPRIT slope ≥ {NOTE_ESPRIT_SLOPE:g} (note §6 test 10)",
                "; ".join(f"{label}: {value:.2f} (local {local:.2f})" for label, value, local in measured),
                "met" if all(value >= NOTE_ESPRIT_SLOPE for _, value, _ in measured) else "**not met** (see 3d)",
            )
        )
    markdown_table("6. Goals", ["goal", "measured", "status"], rows)


# --------------------------------------------------------------------------- header
def print_header(quick, config, warmup, unpinned, problem):
    import scipy

    try:
        import numba
    except ImportError:
        numba = None
    geometry, scene, H, noise_var, bounds, _ = problem
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("## PLAIN multidimensional harmonic retrieval benchmark (`benchmarks/tensor.py`)\n")
    print(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(
        f"- machine: {platform.platform()}, {platform.machine()}, os.cpu_count() = {os.cpu_count()} "
        f"(usable by this process: {usable}); 1-minute load average at the start: {load_average()}"
    )
    print(
        f"- python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"numba {numba.__version__ if numba else 'not installed'}, sigrec {sigrec.__version__}"
    )
    print(f"- BLAS/OpenMP unpinned (the process default, after all imports): {unpinned}")
    with threadpool_limits(1):
        print(f"- BLAS/OpenMP as pinned in every timed call (threadpoolctl): {blas_description()}")
    numba_threads = numba.config.NUMBA_NUM_THREADS if numba else "n/a"
    print(
        f"- threads: NUMBA_NUM_THREADS = {os.environ.get('NUMBA_NUM_THREADS')} "
        f"(numba.config.NUMBA_NUM_THREADS = {numba_threads}); single-threaded throughout"
    )
    bounds_text = ", ".join(f"[{low:.4g}, {high:.4g}]" for low, high in bounds)
    print(
        f"- demo scene: `ISACGeometry()` ({shape_text(geometry.shape)}), `demo_scene(random_state={SEED})` "
        f"({scene.n_objects} objects, ranges {', '.join(f'{r:g}' for r in scene.ranges_m)} m, speeds "
        f"{', '.join(f'{v:.2f}' for v in scene.velocities_mps)} m/s), `simulate_echo(snr_db={DEMO_SNR_DB:g}, "
        f"random_state={NOISE_SEED})` (total per RE, σ² = {noise_var:.3g}); frequency bounds "
        f"(max_range={DEMO_MAX_RANGE:g} m, max_speed={DEMO_MAX_SPEED:g} m/s): {bounds_text} rad/sample; "
        f"PLAIN factors Δ = {FACTORS}"
    )
    print(
        "- warm-ups on an 8 × 32 × 56 tensor, excluded from every timing: "
        f"PLAIN first fit {seconds(warmup['PLAIN'][0])}, second {seconds(warmup['PLAIN'][1])}; "
        + ", ".join(f"{name} {seconds(value)}" for name, value in warmup.items() if name != "PLAIN")
    )
    mode = "--quick (fewer sizes and repeats, no half-window TensorESPRIT: a smoke test)" if quick else "full"
    print(
        f"- mode: {mode}; repeats: stages {config.stage_repeats} (uncompressed {config.uncompressed_repeats}), "
        f"baselines {config.method_repeats} (FFT {config.fft_repeats}), scaling PLAIN "
        f"{config.plain_scaling_repeats} / FFT {config.fft_scaling_repeats}, accuracy {config.accuracy_trials} "
        "trials per SNR\n",
        flush=True,
    )


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer sizes and repeats, no half-window TensorESPRIT: a smoke test"
    )
    options = parser.parse_args(argv)
    config = QUICK if options.quick else FULL
    started = time.perf_counter()
    load_start = load_average()
    # Load every library that brings a thread pool before reading or pinning the pools.
    import scipy.linalg  # noqa: F401

    import sigrec.tensor  # noqa: F401
    import sigrec.tensor.isac  # noqa: F401  (numba)

    unpinned = blas_description()
    progress("warming up (PLAIN, FFT, GridOMP, Sequential, TensorESPRIT)")
    warmup = warm_up()
    problem = demo_problem()
    print_header(options.quick, config, warmup, unpinned, problem)

    load = section_load("1. stages at the demo size")
    stages = measure_stages(config, problem)
    report_stages(stages, load)

    load = section_load("2. methods on the demo scene")
    methods, compression_time = measure_methods(config, problem, stages)
    report_methods(methods, compression_time, load)

    load = section_load("3. scaling along the time mode")
    time_rows = measure_axis(config, "time", config.time_sizes)
    report_axis("3a. Run time vs N_t (16 × 180 × N_t, Δ = (1, 4, 14), 1 thread)", "time", time_rows, load)
    load = section_load("3. scaling along the frequency mode")
    frequency_rows = measure_axis(config, "frequency", config.frequency_sizes)
    report_axis("3b. Run time vs N_f (16 × N_f × 560, Δ = (1, 4, 14), 1 thread)", "frequency", frequency_rows, load)
    same_tensor(time_rows, frequency_rows)
    load = section_load("3. joint ESPRIT on small uncompressed tensors")
    small_rows = measure_small(config)
    report_small(small_rows, load)
    half = next((row for row in methods if row.name.startswith(ESPRIT_HALF) and row.time is not None), None)
    series = slope_rows(time_rows, frequency_rows, small_rows, half.time if half else None)
    report_slopes(series)

    load = section_load("4. accuracy against the CRB")
    accuracy = measure_accuracy(config)
    report_accuracy(accuracy, config.accuracy_trials, load)

    load = section_load("5. OFDM simulator")
    report_ofdm(measure_ofdm(config, problem, stages[PLAIN_DEFAULT]["time"]), load)

    report_goals(stages, methods, series, options.quick)
    print(
        "### 7. GPU\n\nNot applicable: sigrec.tensor has no torch/GPU path (the note's batched-trials torch design "
        "is not implemented).\n"
    )
    for (label, category, _), (count, example) in WARNINGS.items():
        note(f'{label}: {count} × {category}, e.g. "{example[:200]}"')
    print_closing(started, load_start)


if __name__ == "__main__":
    main()
