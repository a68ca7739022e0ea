"""Benchmark Kronecker-structured sparse Bayesian learning (``sigrec.bayes``): scaling, NMSE/oracle, memory.

Run as ``.venv/bin/python benchmarks/bayes.py [--quick]``. It prints a machine header and
Markdown tables ready to paste into ``docs/performance.md`` (research note ``kronecker_sbl.md``
§6, T8 and the benchmark design):

1. **Three-mode scaling.** ``make_kronecker_sparse`` with N_i ∈ {6, 8, 10, 12, 15, 18}
   (N = 216 … 5832), M_i = round((0.55, 0.8, 1.0)·N_i) (the paper's M = (8, 12, 15) at
   N_i = 15), K_i = 3, 25 dB, factorised values, real Gaussian factors, known σ². Methods:
   SVD-, AM-KroSBL and KSBL (``KroneckerSBL``, defaults), Kronecker OMP (stopping at the noise
   level, see below), classic EM-SBL (``SparseBayesianRegression``) on the dense Kronecker
   product, scikit-learn's ``ARDRegression`` on the same dense matrix (external sanity
   baseline, N ≤ 1000 only) and least squares on the true support (the oracle). Per method:
   median fit time, its ratio to SVD-KroSBL's, median NMSE, NMSE/oracle (median of the
   per-trial ratios), success rate (NMSE ≤ 3 × that trial's oracle), EM iterations, peak
   memory. A summary gives cSBL time / SVD time per size and log-log slopes of time vs N.
2. **Two-mode large scale**, Kronecker methods only (the dense product would need
   8·M·N bytes, 8.6 GB at N = 65 536): N_i ∈ {32, 64, 128, 256}, M_i = N_i/2, K_i = 4, 25 dB:
   SVD- and AM-KroSBL time, NMSE/oracle and memory, and at N = 65 536 also with BLAS limited
   to 2 threads (the goal's "2 cores"; fewer trials, stopped after a time budget). Table 2b
   times the dense kernels of one iteration at that size (SVD, eigh, matmul) at 1 and 2 threads.
3. **Per-iteration cost** at N = 3375 (the paper's size): SVD-KroSBL against classic SBL,
   (a) averaged over the section-1 fits (pruning shrinks the active set as EM proceeds) and
   (b) the marginal cost of one EM iteration on the full, unpruned problem (``prune=0``,
   difference of two fits with fixed iteration counts, ``tol=0``).
4. **Goals** from the issue (and the note's T8), met or not met.
5. **GPU**: not applicable.

NMSE is ‖x̂ − x‖²/‖x‖² per trial. Every estimator gets the true σ² where it can take it
(``noise_var=σ², learn_noise=False``); ``ARDRegression`` cannot and learns its noise
precision. Kronecker OMP stops when ‖residual‖ ≤ √(M σ²) (the discrepancy principle with the
known σ², ``tol = √(Mσ²)/‖y‖``; at most 10 atoms per mode, its default). Trials use seeds
``100 + trial``, the same problems for every method of a size.

Timing: every timed fit runs with BLAS pinned to 1 thread (threadpoolctl, re-applied around
each call by ``_report.pinned_call``), except the 2-thread rows of section 2. Data generation
and the dense Kronecker product for the dense methods are not timed. Warm-up fits of every
method run first. Peak memory is the ``tracemalloc`` peak during one fit (trial 0): Python and
numpy allocations made by the fit (numpy registers its buffers with tracemalloc), not the inputs
allocated before it and not OpenBLAS's internal buffers. tracemalloc slows KroneckerSBL (many
small arrays) several-fold, so for the Kronecker methods, KOMP and the oracle the memory comes
from a separate, untimed fit; the dense methods (classic SBL, ARD) are dominated by a few large
BLAS calls, and their trial-0 fit is timed with tracemalloc on, so that the slowest fits are not
run twice. The machine is often shared: the 1-minute load average is printed with every
section, and times on a loaded machine are noisy. Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import math
import os
import platform
import re
import statistics
import time
import tracemalloc
import warnings
from functools import reduce

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

SEED = 100  # trial t uses random_state SEED + t
SNR_DB = 25.0
THREE_K = 3
TWO_K = 4
PAPER_N = 15
PAPER_M = (8, 12, 15)
ASPECT = (0.55, 0.8, 1.0)
SUCCESS_FACTOR = 3.0  # success: NMSE ≤ 3 × the trial's oracle NMSE
ARD_MAX_N = 1000
CSBL_5832_LIMIT = 60.0  # classic SBL runs at N = 5832 only if its N = 3375 fit took less than this (s)
GOAL_N = 3375
GOAL_SPEEDUP = 100.0
GOAL_NMSE_FACTOR = 3.0
GOAL_TWO_MODE_SECONDS = 10.0
GOAL_TWO_MODE_THREADS = 2
NOTE_SVD_SECONDS = 1.0  # note §6 T8: SVD-KroSBL fit < 1 s at the paper's size
NOTE_AM_SPEEDUP = 20.0  # note §6 T8: AM-KroSBL ≥ 20 × faster than cSBL

SVD = "SVD-KroSBL"
AM = "AM-KroSBL"
KSBL = "KSBL"
KOMP = "KOMP"
CSBL = "classic SBL (dense EM-SBL)"
ARD = "sklearn ARDRegression (dense)"
ORACLE = "oracle LS (true support)"
KRONECKER_METHODS = (SVD, AM, KSBL, KOMP, ORACLE)
DENSE_METHODS = (CSBL, ARD)
THREE_METHODS = (SVD, AM, KSBL, KOMP, CSBL, ARD, ORACLE)


@dataclasses.dataclass(frozen=True)
class Config:
    three_sizes: tuple  # N_i, three modes
    kronecker_trials: int  # per size, Kronecker methods, KOMP and the oracle
    csbl_trials: dict  # N_i -> trials of classic SBL (absent: not run)
    csbl_5832_trials: int  # at N_i = 18, when the N = 3375 fit was fast enough (0: never, --quick)
    ard_trials: int  # at N ≤ ARD_MAX_N
    two_sizes: tuple  # N_i, two modes
    two_trials: int
    two_thread_trials: int  # 2-thread fits per method at the largest two-mode size
    two_thread_methods: tuple  # methods timed at 2 threads
    two_thread_budget: float  # s: after each method's first 2-thread fit, none once they took this long together
    kernel_repeats: int  # table 2b
    iteration_repeats: int  # section 3, per fixed-iteration fit of classic SBL
    svd_iteration_repeats: int  # section 3, SVD-KroSBL


FULL = Config(
    three_sizes=(6, 8, 10, 12, 15, 18),
    kronecker_trials=5,
    csbl_trials={6: 3, 8: 3, 10: 3, 12: 3, 15: 2},
    csbl_5832_trials=2,
    ard_trials=3,
    two_sizes=(32, 64, 128, 256),
    two_trials=5,
    two_thread_trials=3,
    two_thread_methods=(SVD, AM),
    two_thread_budget=90.0,
    kernel_repeats=5,
    iteration_repeats=2,
    svd_iteration_repeats=5,
)
QUICK = Config(
    three_sizes=(6, 8, 10, 12, 15, 18),
    kronecker_trials=3,
    csbl_trials={6: 2, 8: 2, 10: 2, 12: 2, 15: 1},
    csbl_5832_trials=0,
    ard_trials=1,
    two_sizes=(32, 64, 128, 256),
    two_trials=3,
    two_thread_trials=1,
    two_thread_methods=(SVD,),
    two_thread_budget=30.0,
    kernel_repeats=3,
    iteration_repeats=1,
    svd_iteration_repeats=3,
)

# --------------------------------------------------------------------------- timing and memory
WARNINGS = {}  # (label, category, message with numbers masked) -> [count, example]


def record_warnings(caught, label):
    for warning in caught:
        text = " ".join(str(warning.message).split())
        key = (label, warning.category.__name__, re.sub(r"[0-9][0-9.e+-]*", "#", text))
        WARNINGS.setdefault(key, [0, text])[0] += 1


def timed(function, label, *, record=True, trace=False):
    """Return ``(seconds, result, peak bytes or None)`` of one call, BLAS pinned to 1 thread.

    ``trace=True`` runs the call under tracemalloc (the dense methods' trial 0). Warnings are
    counted under ``label`` unless ``record=False`` (fits capped at a fixed iteration count on purpose).
    """
    if trace:
        gc.collect()
        tracemalloc.start()
    try:
        seconds_taken, result, caught = pinned_call(function)
        peak = tracemalloc.get_traced_memory()[1] if trace else None
    finally:
        if trace:
            tracemalloc.stop()
    if record:
        record_warnings(caught, label)
    return seconds_taken, result, peak


def timed_threads(function, label, threads):
    """As ``timed`` (no tracing) with BLAS limited to ``threads`` threads instead of 1."""
    with threadpool_limits(threads), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = function()
        seconds_taken = time.perf_counter() - start
    record_warnings(caught, label)
    return seconds_taken, result


def peak_memory(function):
    """tracemalloc peak (bytes) of one untimed call, BLAS pinned to 1 thread, warnings ignored."""
    gc.collect()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        try:
            function()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def megabytes(value):
    if value is None:
        return ""
    return f"{value / 1e6:.3g} MB" if value >= 1e5 else f"{value / 1e3:.3g} kB"


def nmse(estimate, truth):
    return float(np.sum(np.abs(estimate - truth) ** 2) / np.sum(np.abs(truth) ** 2))


def slope(sizes, times):
    """Least-squares slope of log(time) against log(N)."""
    return float(np.polyfit(np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(times, dtype=float)), 1)[0])


def section_load(title):
    load = load_average()
    progress(f"{title} (1-minute load average {load})")
    return load


# --------------------------------------------------------------------------- problems and methods
def three_mode_measurements(n_i):
    if n_i == PAPER_N:
        return PAPER_M
    return tuple(int(math.floor(fraction * n_i + 0.5)) for fraction in ASPECT)


def shape_text(shape):
    return " × ".join(str(value) for value in shape)


@dataclasses.dataclass
class Problem:
    factors: list
    y: np.ndarray
    coef: np.ndarray
    noise_var: float
    support: np.ndarray  # flat indices of the true support

    @property
    def n_measurements(self):
        return self.y.shape[0]


def make_problem(n_features, n_measurements, n_nonzero, trial):
    from sigrec.datasets import make_kronecker_sparse

    factors, y, coef, noise_var, supports = make_kronecker_sparse(
        n_features,
        n_measurements,
        n_nonzero,
        values="factorized",
        snr_db=SNR_DB,
        return_supports=True,
        random_state=SEED + trial,
    )
    support = np.ravel_multi_index(np.ix_(*supports), tuple(n_features)).ravel()
    return Problem(factors, y, coef, noise_var, np.sort(support))


def kronecker_fit(problem, method, **options):
    from sigrec.bayes import KroneckerSBL

    return KroneckerSBL(method=method, noise_var=problem.noise_var, learn_noise=False, **options).fit(
        problem.factors, problem.y
    )


def komp_fit(problem):
    from sigrec.bayes import KroneckerOMP

    tol = math.sqrt(problem.n_measurements * problem.noise_var) / float(np.linalg.norm(problem.y))
    return KroneckerOMP(tol=tol).fit(problem.factors, problem.y)


def csbl_fit(problem, dense, **options):
    from sigrec.bayes import SparseBayesianRegression

    return SparseBayesianRegression(noise_var=problem.noise_var, learn_noise=False, **options).fit(dense, problem.y)


def ard_fit(problem, dense):
    from sklearn.linear_model import ARDRegression

    return ARDRegression(fit_intercept=False).fit(dense, problem.y)


@dataclasses.dataclass
class Oracle:
    coef_: np.ndarray
    n_iter_ = None


def oracle_fit(problem):
    from sigrec.bayes import oracle_least_squares

    return Oracle(oracle_least_squares(problem.factors, problem.y, problem.support))


def factor_function(method, problem):
    """The zero-argument fit of a factor-based method (Kronecker SBL variants, KOMP, oracle)."""
    if method == SVD:
        return lambda: kronecker_fit(problem, "svd")
    if method == AM:
        return lambda: kronecker_fit(problem, "am")
    if method == KSBL:
        return lambda: kronecker_fit(problem, "ksbl")
    if method == KOMP:
        return lambda: komp_fit(problem)
    return lambda: oracle_fit(problem)


def warm_up():
    """One fit of every method on a small problem (imports, first-call costs); returns the times."""
    problem = make_problem((6, 6, 6), (3, 5, 6), 2, 0)
    dense = reduce(np.kron, problem.factors)
    out = {}
    for method in KRONECKER_METHODS:
        out[method] = timed(factor_function(method, problem), f"warm-up {method}", record=False)[0]
    out[CSBL] = timed(lambda: csbl_fit(problem, dense), f"warm-up {CSBL}", record=False)[0]
    out[ARD] = timed(lambda: ard_fit(problem, dense), f"warm-up {ARD}", record=False)[0]
    return out


# --------------------------------------------------------------------------- 1. three-mode scaling
@dataclasses.dataclass
class Runs:
    times: list = dataclasses.field(default_factory=list)
    nmse: list = dataclasses.field(default_factory=list)
    ratio: list = dataclasses.field(default_factory=list)  # NMSE / the trial's oracle NMSE
    iterations: list = dataclasses.field(default_factory=list)
    memory: int | None = None
    not_run: str = ""  # why, when the method did not run at this size

    def median_time(self):
        return statistics.median(self.times) if self.times else None

    def add(self, seconds_taken, model, problem, oracle_nmse):
        value = nmse(model.coef_, problem.coef)
        self.times.append(seconds_taken)
        self.nmse.append(value)
        self.ratio.append(value / oracle_nmse if oracle_nmse > 0 else math.inf)
        if getattr(model, "n_iter_", None) is not None:
            self.iterations.append(int(model.n_iter_))


@dataclasses.dataclass
class Size:
    n_i: int
    shape: tuple
    measurements: tuple
    runs: dict
    dense_bytes: int
    factor_bytes: int
    dense_build: list  # seconds to form the dense Kronecker product (not timed in the fits)

    @property
    def n(self):
        return math.prod(self.shape)

    @property
    def m(self):
        return math.prod(self.measurements)


def measure_three_mode(config):
    sizes = []
    csbl_3375 = None
    for n_i in config.three_sizes:
        shape = (n_i,) * 3
        measurements = three_mode_measurements(n_i)
        n = math.prod(shape)
        runs = {method: Runs() for method in THREE_METHODS}
        csbl_trials = config.csbl_trials.get(n_i, 0)
        if n_i not in config.csbl_trials:
            if config.csbl_5832_trials == 0:
                runs[CSBL].not_run = "not run (--quick)"
            elif csbl_3375 is None:
                runs[CSBL].not_run = f"not run (no N = {GOAL_N} fit to decide from)"
            elif csbl_3375 >= CSBL_5832_LIMIT:
                runs[CSBL].not_run = (
                    f"not run: the N = {GOAL_N} fit took {seconds(csbl_3375)} ≥ {CSBL_5832_LIMIT:g} s "
                    f"(predicted ≈ {seconds(csbl_3375 * predicted_csbl_factor(n_i))} per fit here)"
                )
            else:
                csbl_trials = config.csbl_5832_trials
        ard_trials = config.ard_trials if n <= ARD_MAX_N else 0
        if not ard_trials:
            runs[ARD].not_run = f"not run (N > {ARD_MAX_N})"
        trials = max(config.kronecker_trials, csbl_trials, ard_trials)
        dense_build = []
        load = load_average()
        progress(
            f"1. three-mode N = {n} ({shape_text(shape)}, M = {shape_text(measurements)}): {config.kronecker_trials} "
            f"trials, classic SBL {csbl_trials}, ARD {ard_trials} (load {load})"
        )
        factor_bytes = dense_bytes = 0
        for trial in range(trials):
            problem = make_problem(shape, measurements, THREE_K, trial)
            factor_bytes = sum(factor.nbytes for factor in problem.factors)
            dense_bytes = 8 * problem.n_measurements * n
            oracle_time, oracle, _ = timed(factor_function(ORACLE, problem), f"{n}: {ORACLE}")
            oracle_nmse = nmse(oracle.coef_, problem.coef)
            if trial < config.kronecker_trials:
                runs[ORACLE].add(oracle_time, oracle, problem, oracle_nmse)
                for method in (SVD, AM, KSBL, KOMP):
                    seconds_taken, model, _ = timed(factor_function(method, problem), f"N = {n}: {method}")
                    runs[method].add(seconds_taken, model, problem, oracle_nmse)
                if trial == 0:
                    for method in (SVD, AM, KSBL, KOMP, ORACLE):
                        runs[method].memory = peak_memory(factor_function(method, problem))
            if trial < csbl_trials or trial < ard_trials:
                start = time.perf_counter()
                dense = reduce(np.kron, problem.factors)
                dense_build.append(time.perf_counter() - start)
                if trial < csbl_trials:
                    progress(f"   classic SBL trial {trial + 1}/{csbl_trials} at N = {n}")
                    seconds_taken, model, peak = timed(
                        lambda dense=dense, problem=problem: csbl_fit(problem, dense),
                        f"N = {n}: {CSBL}",
                        trace=trial == 0,
                    )
                    runs[CSBL].add(seconds_taken, model, problem, oracle_nmse)
                    if peak is not None:
                        runs[CSBL].memory = peak
                if trial < ard_trials:
                    seconds_taken, model, peak = timed(
                        lambda dense=dense, problem=problem: ard_fit(problem, dense),
                        f"N = {n}: {ARD}",
                        trace=trial == 0,
                    )
                    runs[ARD].add(seconds_taken, model, problem, oracle_nmse)
                    if peak is not None:
                        runs[ARD].memory = peak
                del dense
        if n == GOAL_N and runs[CSBL].times:
            csbl_3375 = runs[CSBL].median_time()
        sizes.append(Size(n_i, shape, measurements, runs, dense_bytes, factor_bytes, dense_build))
    return sizes


def predicted_csbl_factor(n_i):
    """Woodbury E-step cost M²N relative to the N = 3375 problem (for the 'not run' message)."""
    m = math.prod(three_mode_measurements(n_i))
    return (m / math.prod(PAPER_M)) ** 2 * (n_i**3 / GOAL_N)


def plural(count, word):
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def iterations_text(runs):
    if not runs.iterations:
        return ""
    median = statistics.median(runs.iterations)
    return f"{median:g} (max {max(runs.iterations)})"


def report_three_mode(sizes, config, load):
    headers = [
        "N (shape), M",
        "method",
        "trials",
        "fit time (median)",
        "÷ SVD-KroSBL time",
        "median NMSE",
        "NMSE/oracle (median of per-trial ratios)",
        f"success (NMSE ≤ {SUCCESS_FACTOR:g}× oracle)",
        "EM iterations, median (max)",
        "peak memory of the fit (tracemalloc)",
        "input held (A or factors)",
    ]
    rows = []
    for size in sizes:
        label = f"{size.n} ({shape_text(size.shape)}), M = {size.m} ({shape_text(size.measurements)})"
        svd_time = size.runs[SVD].median_time()
        for method in THREE_METHODS:
            runs = size.runs[method]
            if not runs.times:
                rows.append((label, method, 0, runs.not_run, "", "", "", "", "", "", ""))
                continue
            success = sum(ratio <= SUCCESS_FACTOR for ratio in runs.ratio)
            is_oracle = method == ORACLE
            rows.append(
                (
                    label,
                    method,
                    len(runs.times),
                    seconds(runs.median_time()),
                    times_ratio(runs.median_time() / svd_time),
                    f"{statistics.median(runs.nmse):.3g}",
                    "1 (reference)" if is_oracle else f"{statistics.median(runs.ratio):.3g}",
                    "" if is_oracle else f"{success}/{len(runs.ratio)}",
                    "n/a (direct)" if is_oracle else iterations_text(runs),
                    megabytes(runs.memory),
                    megabytes(size.dense_bytes if method in DENSE_METHODS else size.factor_bytes),
                )
            )
    tight = [size for size in sizes if min(m - THREE_K for m in size.measurements) <= 0]
    tight_text = "".join(
        f" At N = {size.n}, M = {shape_text(size.measurements)}: a mode has no more measurements than non-zeros "
        f"(M_i ≤ K_i = {THREE_K}), so only the oracle, which knows the support, is expected to succeed there."
        for size in tight
    )
    builds = [value for size in sizes for value in size.dense_build]
    largest = max((size for size in sizes if size.dense_build), key=lambda size: size.n, default=None)
    build_text = (
        f" Forming the dense product (`reduce(np.kron, factors)`, not timed in the fits) took up to "
        f"{seconds(max(largest.dense_build))} at N = {largest.n}."
        if builds
        else ""
    )
    markdown_table(
        f"1a. Three-mode scaling: K_i = {THREE_K}, {SNR_DB:g} dB, factorised values, known σ² (1 thread)",
        headers,
        rows,
        "`make_kronecker_sparse((N_i,)*3, M, 3, values='factorized', snr_db=25, random_state=100 + trial)`, "
        "real Gaussian factors (unnormalised, as the paper). KroneckerSBL with its defaults (max_iter=150, "
        "tol=1e-4, prune=1e-2 with the noise-referenced guard) and `noise_var=σ², learn_noise=False`; classic SBL "
        "(`SparseBayesianRegression`, defaults, prune=1e-3, Woodbury E-step) with the same known σ² on the dense "
        "M × N product; `ARDRegression(fit_intercept=False)` (sklearn defaults, learns its noise; N ≤ "
        f"{ARD_MAX_N} only); KOMP stops at ‖r‖ ≤ √(Mσ²). Times are the whole `fit` (validation included), "
        "medians over the trials of the row. 'Peak memory': tracemalloc peak during one fit (trial 0) of the "
        "allocations the fit makes (numpy buffers included, inputs and OpenBLAS workspace excluded); for "
        "the Kronecker methods, KOMP and the oracle from a separate untimed fit, for classic SBL and ARD from "
        "the timed trial-0 fit. 'Input held': the dense M × N float64 matrix the dense methods need "
        f"(8·M·N bytes) or the factors.{build_text}{tight_text} Classic SBL runs "
        f"{config.csbl_trials.get(6, 0)} trials up "
        f"to N = 1728 and {config.csbl_trials.get(15, 0)} at N = {GOAL_N}; at N = 5832 only when its "
        f"N = {GOAL_N} fit took under {CSBL_5832_LIMIT:g} s. 1-minute load average at the start of this "
        f"section: {load}.",
    )


def report_three_summary(sizes):
    headers = [
        "N",
        "SVD-KroSBL",
        "AM-KroSBL",
        "KSBL",
        "KOMP",
        "classic SBL",
        "cSBL time / SVD time",
        "cSBL time / AM time",
        "oracle LS",
    ]
    rows = []
    for size in sizes:
        runs = size.runs
        csbl = runs[CSBL].median_time()
        cells = [size.n]
        for method in (SVD, AM, KSBL, KOMP):
            cells.append(seconds(runs[method].median_time()))
        cells.append(seconds(csbl) if csbl is not None else "not run")
        cells.append(times_ratio(csbl / runs[SVD].median_time()) if csbl is not None else "")
        cells.append(times_ratio(csbl / runs[AM].median_time()) if csbl is not None else "")
        cells.append(seconds(runs[ORACLE].median_time()))
        rows.append(cells)
    slope_cells = ["log-log slope of time vs N (all sizes run)"]
    for method in (SVD, AM, KSBL, KOMP, CSBL):
        points = [(size.n, size.runs[method].median_time()) for size in sizes if size.runs[method].times]
        slope_cells.append(f"{slope(*zip(*points, strict=True)):.2f}" if len(points) >= 2 else "")
    slope_cells += ["", ""]
    points = [(size.n, size.runs[ORACLE].median_time()) for size in sizes]
    slope_cells.append(f"{slope(*zip(*points, strict=True)):.2f}")
    rows.append(slope_cells)
    markdown_table(
        "1b. Three-mode fit times (median) and classic SBL / KroSBL ratios (1 thread)",
        headers,
        rows,
        "The same medians as table 1a. Slopes: least-squares fit of log(median time) against log N over the "
        "sizes each method ran (numpy polyfit). The note expects classic SBL to grow roughly as N³ (its "
        "Woodbury E-step costs O(M²N) per iteration with M ∝ N here) and KroSBL nearly linearly; at these sizes "
        "KroSBL's time is mostly fixed per-iteration overhead and the iteration count, not arithmetic.",
    )


# --------------------------------------------------------------------------- 2. two-mode large scale
@dataclasses.dataclass
class TwoModeSize:
    n_i: int
    runs: dict  # method -> Runs (1 thread)
    two_thread: dict  # method -> list of seconds (largest size only)
    load: str  # 1-minute load average after this size's fits

    @property
    def n(self):
        return self.n_i**2


def measure_two_mode(config):
    out = []
    largest = max(config.two_sizes)
    for n_i in config.two_sizes:
        shape, measurements = (n_i, n_i), (n_i // 2, n_i // 2)
        progress(
            f"2. two-mode N = {n_i * n_i} ({shape_text(shape)}, M = {shape_text(measurements)}), load {load_average()}"
        )
        runs = {method: Runs() for method in (SVD, AM, ORACLE)}
        two_thread = {}
        two_thread_spent = 0.0
        for trial in range(config.two_trials):
            problem = make_problem(shape, measurements, TWO_K, trial)
            oracle_time, oracle, _ = timed(factor_function(ORACLE, problem), f"two-mode {n_i}: {ORACLE}")
            oracle_nmse = nmse(oracle.coef_, problem.coef)
            runs[ORACLE].add(oracle_time, oracle, problem, oracle_nmse)
            for method in (SVD, AM):
                seconds_taken, model, _ = timed(factor_function(method, problem), f"two-mode N = {n_i**2}: {method}")
                runs[method].add(seconds_taken, model, problem, oracle_nmse)
                if n_i == largest and trial < config.two_thread_trials and method in config.two_thread_methods:
                    if method in two_thread and two_thread_spent >= config.two_thread_budget:
                        note(
                            f"Table 2: {method} at {GOAL_TWO_MODE_THREADS} BLAS threads, trial {trial}: skipped, the "
                            f"{GOAL_TWO_MODE_THREADS}-thread fits had already taken {two_thread_spent:.0f} s "
                            f"(budget {config.two_thread_budget:g} s)."
                        )
                        continue
                    seconds_taken, _ = timed_threads(
                        factor_function(method, problem),
                        f"two-mode N = {n_i**2}, {GOAL_TWO_MODE_THREADS} threads: {method}",
                        GOAL_TWO_MODE_THREADS,
                    )
                    two_thread_spent += seconds_taken
                    two_thread.setdefault(method, []).append(seconds_taken)
            if trial == 0:
                for method in (SVD, AM, ORACLE):
                    runs[method].memory = peak_memory(factor_function(method, problem))
        out.append(TwoModeSize(n_i, runs, two_thread, load_average()))
    return out


def report_two_mode(sizes, config, load):
    headers = [
        "N (shape), M",
        "method",
        "fit time, 1 thread (median)",
        f"fit time, BLAS {GOAL_TWO_MODE_THREADS} threads (median)",
        "median NMSE",
        "NMSE/oracle (median of per-trial ratios)",
        f"success (NMSE ≤ {SUCCESS_FACTOR:g}× oracle)",
        "EM iterations, median (max)",
        "peak memory of the fit (tracemalloc)",
        "dense A would need",
    ]
    rows = []
    for size in sizes:
        m = (size.n_i // 2) ** 2
        label = f"{size.n} ({size.n_i} × {size.n_i}), M = {m} ({size.n_i // 2} × {size.n_i // 2})"
        for method in (SVD, AM, ORACLE):
            runs = size.runs[method]
            threads = size.two_thread.get(method)
            is_oracle = method == ORACLE
            success = sum(ratio <= SUCCESS_FACTOR for ratio in runs.ratio)
            rows.append(
                (
                    label,
                    method,
                    seconds(runs.median_time()),
                    seconds(statistics.median(threads)) if threads else "",
                    f"{statistics.median(runs.nmse):.3g}",
                    "1 (reference)" if is_oracle else f"{statistics.median(runs.ratio):.3g}",
                    "" if is_oracle else f"{success}/{len(runs.ratio)}",
                    "n/a (direct)" if is_oracle else iterations_text(runs),
                    megabytes(runs.memory),
                    megabytes(8 * m * size.n),
                )
            )
    markdown_table(
        f"2. Two-mode large scale, Kronecker methods only: M_i = N_i/2, K_i = {TWO_K}, {SNR_DB:g} dB, known σ², "
        f"{config.two_trials} trials per size",
        headers,
        rows,
        "`make_kronecker_sparse((N_i, N_i), (N_i/2, N_i/2), 4, values='factorized', snr_db=25, "
        "random_state=100 + trial)`, KroneckerSBL defaults with the known σ². Classic SBL and ARD are not run: "
        "the dense product alone would need the last column's memory. The "
        f"{GOAL_TWO_MODE_THREADS}-thread column (largest size only, the first {config.two_thread_trials} trials; "
        f"after each method's first fit, no more once these fits have taken {config.two_thread_budget:g} s) "
        f"limits BLAS to {GOAL_TWO_MODE_THREADS} threads with threadpoolctl on the same problems, each fit right "
        "after its 1-thread fit; the machine has 2 cores shared with other jobs (table 2b). Peak memory as in "
        f"table 1a (separate untimed fit, trial 0). 1-minute load average at the start of this section: {load}.",
    )


def measure_kernels(config, n_i):
    """The LAPACK/BLAS calls of one KroSBL iteration at the largest two-mode size, at 1 and 2 BLAS threads."""
    rng = np.random.default_rng(SEED)
    half = n_i // 2
    square = rng.standard_normal((n_i, n_i))  # the SVD M-step's rank-1 fit of an N_1 × N_2 second moment
    factor = rng.standard_normal((half, n_i))
    gram = factor @ factor.T  # the E-step's per-mode M_i × M_i eigendecomposition
    tensor = rng.standard_normal((n_i, n_i))
    kernels = {
        f"np.linalg.svd, {n_i} × {n_i}": lambda: np.linalg.svd(square),
        f"np.linalg.eigh, {half} × {half}": lambda: np.linalg.eigh(gram),
        f"matmul ({half} × {n_i}) @ ({n_i} × {n_i})": lambda: factor @ tensor,
    }
    out = {}
    for name, function in kernels.items():
        times = {1: [], GOAL_TWO_MODE_THREADS: []}
        for _ in range(config.kernel_repeats):
            for threads in times:
                times[threads].append(timed_threads(function, f"2b. {name}", threads)[0])
        out[name] = {threads: statistics.median(values) for threads, values in times.items()}
    return out


def report_kernels(kernels, config, load_before, load_after):
    headers = [
        "call",
        "1 BLAS thread (median)",
        f"{GOAL_TWO_MODE_THREADS} BLAS threads (median)",
        f"{GOAL_TWO_MODE_THREADS} threads ÷ 1 thread",
    ]
    rows = [
        (
            name,
            seconds(times[1]),
            seconds(times[GOAL_TWO_MODE_THREADS]),
            times_ratio(times[GOAL_TWO_MODE_THREADS] / times[1]),
        )
        for name, times in kernels.items()
    ]
    markdown_table(
        f"2b. The dense kernels of one KroSBL iteration at N = 65 536, 1 vs {GOAL_TWO_MODE_THREADS} BLAS threads",
        headers,
        rows,
        f"Random float64 inputs of the sizes SVD-KroSBL meets at N = 256 × 256 (before pruning shrinks them), "
        f"{config.kernel_repeats} calls per cell, the thread counts alternating. These explain the "
        f"{GOAL_TWO_MODE_THREADS}-thread column of table 2: on this 2-core machine shared with other jobs, "
        "OpenBLAS's worker threads wait for a core at every synchronisation point, and LAPACK's SVD and "
        "eigendecomposition (many small level-2 BLAS calls) slow down instead of speeding up. 1-minute load "
        f"average before / after this table: {load_before} / {load_after}.",
    )


# --------------------------------------------------------------------------- 3. per-iteration cost
def measure_iterations(config, three_sizes):
    problem = make_problem((PAPER_N,) * 3, PAPER_M, THREE_K, 0)
    dense = reduce(np.kron, problem.factors)
    # Marginal cost of one full-size EM iteration: difference of two fits capped at fixed iteration counts.
    plans = {
        SVD: (
            (2, 12),
            config.svd_iteration_repeats,
            lambda iterations: kronecker_fit(problem, "svd", prune=0.0, tol=0.0, max_iter=iterations),
        ),
        CSBL: (
            (1, 3),
            config.iteration_repeats,
            lambda iterations: csbl_fit(problem, dense, prune=0.0, tol=0.0, max_iter=iterations),
        ),
    }
    marginal = {}
    for method, (counts, repeats, fit) in plans.items():
        times = {count: [] for count in counts}
        for _ in range(repeats):
            for count in counts:
                seconds_taken, model, _ = timed(lambda count=count, fit=fit: fit(count), f"3. {method}", record=False)
                assert model.n_iter_ == count, (method, model.n_iter_, count)
                times[count].append(seconds_taken)
        low, high = counts
        medians = {count: statistics.median(values) for count, values in times.items()}
        marginal[method] = {
            "per_iteration": (medians[high] - medians[low]) / (high - low),
            "counts": counts,
            "medians": medians,
            "repeats": repeats,
        }
    size = next((size for size in three_sizes if size.n == GOAL_N), None)
    averaged = {}
    if size is not None:
        for method in (SVD, CSBL):
            runs = size.runs[method]
            if runs.times:
                averaged[method] = statistics.median(t / k for t, k in zip(runs.times, runs.iterations, strict=True))
    return marginal, averaged


def report_iterations(measured, load):
    marginal, averaged = measured
    headers = ["method", "time per EM iteration", "how measured"]
    rows = []
    for method in (SVD, CSBL):
        if method in averaged:
            rows.append(
                (
                    method,
                    seconds(averaged[method]),
                    "(a) section-1 fits at N = 3375: fit time / EM iterations, median over trials (pruning shrinks "
                    "the active set; includes validation and the final E-step spread over the iterations)",
                )
            )
    for method in (SVD, CSBL):
        entry = marginal[method]
        low, high = entry["counts"]
        rows.append(
            (
                method,
                seconds(entry["per_iteration"]),
                f"(b) full problem, no pruning: (t({high} it.) − t({low} it.)) / {high - low}, medians of "
                f"{plural(entry['repeats'], 'fit')} each ({seconds(entry['medians'][low])} and "
                f"{seconds(entry['medians'][high])})",
            )
        )
    ratio_rows = []
    if SVD in averaged and CSBL in averaged:
        ratio_rows.append(f"(a) {times_ratio(averaged[CSBL] / averaged[SVD])}")
    if marginal[SVD]["per_iteration"] > 0:
        ratio_rows.append(f"(b) {times_ratio(marginal[CSBL]['per_iteration'] / marginal[SVD]['per_iteration'])}")
    else:
        note("Table 3: the SVD-KroSBL marginal per-iteration time came out ≤ 0 (timing noise): no ratio (b).")
    rows.append(("classic SBL / SVD-KroSBL", "; ".join(ratio_rows), "per-iteration ratio"))
    markdown_table(
        f"3. Cost per EM iteration at N = {GOAL_N} (15 × 15 × 15, M = 8 × 12 × 15 = 1440), 1 thread",
        headers,
        rows,
        "Trial 0 of table 1a's N = 3375 problem. (b) runs `KroneckerSBL(prune=0, tol=0, max_iter=k)` and "
        "`SparseBayesianRegression(prune=0, tol=0, max_iter=k)` (known σ²) at two iteration counts; the difference "
        "removes the fixed costs (validation, setup, the final E-step). Without pruning every classic SBL iteration "
        "is the full Woodbury E-step (Cholesky of the 1440 × 1440 Σ_y, triangular solve with the 1440 × 3375 A), "
        "while KroSBL's E-step works on the per-mode eigendecompositions. 1-minute load average at the start of "
        f"this section: {load}.",
    )
    return marginal, averaged


# --------------------------------------------------------------------------- 4. goals
def report_goals(three_sizes, two_sizes, quick):
    rows = []
    size = next((size for size in three_sizes if size.n == GOAL_N), None)
    if size is None or not size.runs[CSBL].times:
        rows.append(
            (f"SVD-KroSBL ≥ {GOAL_SPEEDUP:g}× faster than classic SBL at N = {GOAL_N}", "not measured", "not measured")
        )
    else:
        svd, csbl, oracle = size.runs[SVD], size.runs[CSBL], size.runs[ORACLE]
        speedup = csbl.median_time() / svd.median_time()
        factor = statistics.median(svd.nmse) / statistics.median(oracle.nmse)
        met = speedup >= GOAL_SPEEDUP and factor <= GOAL_NMSE_FACTOR
        rows.append(
            (
                f"(a) SVD-KroSBL ≥ {GOAL_SPEEDUP:g}× faster than sigrec's classic SBL at N = {GOAL_N}, with median "
                f"NMSE ≤ {GOAL_NMSE_FACTOR:g}× oracle (issue; note §6 T5/T8)",
                f"{times_ratio(speedup)} ({seconds(csbl.median_time())} / {seconds(svd.median_time())}; classic SBL "
                f"{plural(len(csbl.times), 'trial')}, SVD {plural(len(svd.times), 'trial')}); median NMSE "
                f"{statistics.median(svd.nmse):.3g} vs "
                f"oracle {statistics.median(oracle.nmse):.3g} = {factor:.2f}× (median per-trial ratio "
                f"{statistics.median(svd.ratio):.2f}×)",
                "met" if met else "**not met**",
            )
        )
    largest = max(two_sizes, key=lambda size: size.n)
    threads = largest.two_thread.get(SVD)
    if threads:
        value = statistics.median(threads)
        am = largest.two_thread.get(AM)
        one = largest.runs[SVD].median_time()
        am_text = f"AM-KroSBL {seconds(statistics.median(am))} (max {seconds(max(am))})" if am else "AM-KroSBL not run"
        if value < GOAL_TWO_MODE_SECONDS:
            status = "met"
        elif one < GOAL_TWO_MODE_SECONDS:
            status = (
                f"**not met** with BLAS at {GOAL_TWO_MODE_THREADS} threads (1-minute load average {largest.load} "
                "on 2 cores); met with 1 BLAS thread on this 2-core machine"
            )
        else:
            status = "**not met**"
        rows.append(
            (
                f"(b) two-mode N = {largest.n} fits in under {GOAL_TWO_MODE_SECONDS:g} s on "
                f"{GOAL_TWO_MODE_THREADS} cores (issue)",
                f"BLAS {GOAL_TWO_MODE_THREADS} threads: SVD-KroSBL {seconds(value)} "
                f"(median of {plural(len(threads), 'fit')}, "
                f"max {seconds(max(threads))}), {am_text}; 1 BLAS thread: SVD {seconds(one)}, "
                f"AM {seconds(largest.runs[AM].median_time())} (median of {len(largest.runs[SVD].times)})",
                status,
            )
        )
    else:
        rows.append(
            (f"(b) two-mode N = 65536 under {GOAL_TWO_MODE_SECONDS:g} s on 2 cores", "not measured", "not measured")
        )
    if size is not None:
        svd_time = size.runs[SVD].median_time()
        rows.append(
            (
                f"SVD-KroSBL fit < {NOTE_SVD_SECONDS:g} s at N = {GOAL_N} (note §6 T8)",
                seconds(svd_time),
                "met" if svd_time < NOTE_SVD_SECONDS else "**not met**",
            )
        )
        if size.runs[CSBL].times:
            ratio = size.runs[CSBL].median_time() / size.runs[AM].median_time()
            rows.append(
                (
                    f"AM-KroSBL ≥ {NOTE_AM_SPEEDUP:g}× faster than classic SBL at N = {GOAL_N} (note §6 T8)",
                    f"{times_ratio(ratio)} ({seconds(size.runs[CSBL].median_time())} / "
                    f"{seconds(size.runs[AM].median_time())})",
                    "met" if ratio >= NOTE_AM_SPEEDUP else "**not met**",
                )
            )
    text = "Speed-ups are ratios of median fit times (1 thread) from table 1a; goal (b) is judged on the median "
    text += f"of the {GOAL_TWO_MODE_THREADS}-BLAS-thread fits of table 2 (their maximum and the 1-thread times shown "
    text += "next to it; see table 2b for why 2 threads can be slower than 1 on this shared machine)."
    if quick:
        text += " --quick: fewer trials than the goals' full run."
    markdown_table("4. Goals", ["goal", "measured", "status"], rows, text)


# --------------------------------------------------------------------------- header
def print_header(quick, config, warmup, unpinned):
    import scipy
    import sklearn

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("## Kronecker-structured sparse Bayesian learning benchmark (`benchmarks/bayes.py`)\n")
    print(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(
        f"- machine: {platform.platform()}, {platform.machine()}, os.cpu_count() = {os.cpu_count()} "
        f"(usable by this process: {usable}); 1-minute load average at the start: {load_average()}"
    )
    print(
        f"- python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, sigrec {sigrec.__version__}"
    )
    print(f"- BLAS/OpenMP unpinned (the process default, after all imports): {unpinned}")
    with threadpool_limits(1):
        print(f"- BLAS/OpenMP as pinned in every timed call (threadpoolctl): {blas_description()}")
    print(
        f"- threads: 1 BLAS thread in every timed fit, except the {GOAL_TWO_MODE_THREADS}-thread column of table 2; "
        "no other parallelism (every timed fit uses backend='numpy')"
    )
    print(
        "- warm-ups on a 6 × 6 × 6 problem, excluded from every timing: "
        + ", ".join(f"{name} {seconds(value)}" for name, value in warmup.items())
    )
    csbl = ", ".join(f"N = {n_i**3}: {count}" for n_i, count in config.csbl_trials.items())
    mode = "--quick (fewer trials, classic SBL not at N = 5832: a smoke test)" if quick else "full"
    print(
        f"- mode: {mode}; trials: Kronecker methods, KOMP and oracle {config.kronecker_trials} per size; classic SBL "
        f"{csbl}, N = 5832: {config.csbl_5832_trials or 'not run'} (only if the N = 3375 fit took < "
        f"{CSBL_5832_LIMIT:g} s); ARD {config.ard_trials} at N ≤ {ARD_MAX_N}; two-mode {config.two_trials} per size "
        f"({config.two_thread_trials} at {GOAL_TWO_MODE_THREADS} BLAS threads at N = 65536 for "
        f"{' and '.join(config.two_thread_methods)}, "
        f"{config.two_thread_budget:g} s budget)\n",
        flush=True,
    )


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials, classic SBL not at N = 5832: a smoke test")
    options = parser.parse_args(argv)
    config = QUICK if options.quick else FULL
    started = time.perf_counter()
    load_start = load_average()
    # Load every library that brings a thread pool before reading or pinning the pools.
    import scipy.linalg  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    import sigrec.bayes  # noqa: F401
    import sigrec.datasets  # noqa: F401

    unpinned = blas_description()
    progress("warming up (every method once on a 6 × 6 × 6 problem)")
    warmup = warm_up()
    print_header(options.quick, config, warmup, unpinned)

    load = section_load("1. three-mode scaling")
    three = measure_three_mode(config)
    report_three_mode(three, config, load)
    report_three_summary(three)

    load = section_load("2. two-mode large scale")
    two = measure_two_mode(config)
    report_two_mode(two, config, load)
    load = section_load("2b. BLAS kernels at 1 and 2 threads")
    kernels = measure_kernels(config, max(config.two_sizes))
    report_kernels(kernels, config, load, load_average())

    load = section_load("3. per-iteration cost at N = 3375")
    report_iterations(measure_iterations(config, three), load)

    report_goals(three, two, options.quick)
    print(
        "### 5. GPU\n\nEvery fit here uses `backend='numpy'`. KroneckerSBL's optional torch E-step "
        "(`backend='torch'`, `device=`) is checked and timed on CUDA by `benchmarks/gpu_check.py` section 3; "
        "no GPU has been lent so far, so it is tested on CPU only and unverified on GPU.\n"
    )
    for (label, category, _), (count, example) in WARNINGS.items():
        note(f'{label}: {count} × {category}, e.g. "{example[:200]}"')
    print_closing(started, load_start)


if __name__ == "__main__":
    main()
