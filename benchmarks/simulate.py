"""Benchmark the Monte-Carlo sweep engine (``sigrec.simulate``).

Run as ``.venv/bin/python benchmarks/simulate.py [--quick]``. It prints a
machine header and Markdown tables (measurement | anchor/target | sigrec |
ratio) ready to paste into ``docs/performance.md``:

1. engine overhead against a plain Python loop at ~100 ms per chunk
   (anchor: overhead < 10 % of compute at >= 100 ms per task);
2. throughput with 1 and 2 workers (loky, dask) and the fixed start costs
   of their worker pools (anchors: loky first run 3-4 s slower than warm,
   dask ``LocalCluster(2 workers)`` start 3.4 s);
3. per-trial fixed costs of the engine with a trial that does nothing;
4. the prototype's un-chunked 8 ms tasks (anchors: 320 tasks take 2.6 s
   sequentially, 2.8 s with loky, 4.3 s with joblib + dask, all warm).

The anchors come from the research notes (ecosystem anchors, sections 3.4
and 3.5); they were measured on another 2-vCPU host, so ratios against them
are indicative only. Progress goes to stderr, the report to stdout.

Timing method: on a shared VM the speed of identical work drifts by up to
2x from one second to the next (CPU time drifts with it, so it is no
refuge). Comparisons therefore run in short rounds, every variant once per
round in a rotating order, and report the median over rounds of each
variant's time relative to the baseline of the same round.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _report import blas_description, load_average, markdown_table
from threadpoolctl import threadpool_limits

import sigrec
from sigrec.simulate import Experiment, ResultStore, register, run, run_chunk
from sigrec.simulate._experiment import cell_hash, cell_key

# The engine's guidance: one chunk should be at least ~100 ms of work.
CHUNK_SECONDS = 0.100
TRIALS_PER_CHUNK = 10
# The prototype's un-chunked task length (ecosystem anchors, section 3.4).
UNCHUNKED_TASK_SECONDS = 0.008
ROOT_SEED = 0
# Small enough that BLAS never threads and Python overhead is part of the
# work, as in a real small-problem trial (e.g. FISTA on 64x256).
MATRIX_SIZE = 32
N_WORKERS = 2

# Anchors from the research notes, in seconds.
ANCHOR_LOKY_FIRST_RUN_PENALTY = (3.0, 4.0)
ANCHOR_DASK_CLUSTER_START = 3.4
ANCHOR_UNCHUNKED_TASKS = 320
ANCHOR_UNCHUNKED_SEQUENTIAL = 2.6
ANCHOR_UNCHUNKED_LOKY = 2.8
ANCHOR_UNCHUNKED_DASK = 4.3
OVERHEAD_TARGET = 0.10


# --------------------------------------------------------------------------- trials
# Module-level so worker processes can unpickle them; because this file runs
# as __main__, cloudpickle (loky, and dask's fallback) sends them by value.
def power_iteration_trial(params, rng):
    """Deterministic CPU work: ``params["iterations"]`` power-iteration steps on a random matrix."""
    matrix = rng.standard_normal((MATRIX_SIZE, MATRIX_SIZE))
    vector = rng.standard_normal(MATRIX_SIZE)
    for _ in range(int(params["iterations"])):
        vector = matrix @ vector
        vector /= np.linalg.norm(vector)
    return {"rayleigh_quotient": float(vector @ matrix @ vector)}


def constant_trial(params, rng):
    """No work at all, so the time measured is the engine's own per-trial cost."""
    return {"value": 1.0}


POWER_ITERATION = register(
    Experiment(
        name="benchmark_power_iteration",
        trial=power_iteration_trial,
        grid={"iterations": [1000]},  # replaced by the calibrated count at run time
        n_trials=TRIALS_PER_CHUNK,
        chunk_size=TRIALS_PER_CHUNK,
        description="Sweep-engine benchmark: calibrated CPU work per trial",
    )
)
CONSTANT = register(
    Experiment(
        name="benchmark_constant",
        trial=constant_trial,
        grid={"replicate": [0]},
        n_trials=100,
        chunk_size=100,
        description="Sweep-engine benchmark: a trial that does nothing",
    )
)


@dataclasses.dataclass(frozen=True)
class Sizes:
    overhead_rounds: int  # rounds of the sequential overhead comparison
    overhead_chunks: int  # ~100 ms chunks per variant and round (short rounds follow the drift)
    throughput_rounds: int
    throughput_chunks: int  # per variant and round; 2 workers get half each
    constant_trials: int
    unchunked_rounds: int
    unchunked_tasks: int


FULL = Sizes(
    overhead_rounds=16,
    overhead_chunks=6,
    throughput_rounds=4,
    throughput_chunks=40,
    constant_trials=2000,
    unchunked_rounds=3,
    unchunked_tasks=ANCHOR_UNCHUNKED_TASKS,
)
QUICK = Sizes(
    overhead_rounds=3,
    overhead_chunks=3,
    throughput_rounds=1,
    throughput_chunks=6,
    constant_trials=1000,
    unchunked_rounds=1,
    unchunked_tasks=40,
)


# --------------------------------------------------------------------------- timing
_STARTED = time.perf_counter()


def progress(message):
    print(f"[benchmark {time.perf_counter() - _STARTED:5.1f} s] {message}", file=sys.stderr, flush=True)


def timed(function):
    """Return ``(seconds, result)`` of one call."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


@dataclasses.dataclass
class RoundTimings:
    """Wall times of variants measured in rotating rounds, compared with one baseline."""

    baseline: str
    times: dict
    last_results: dict  # each variant's return value in the last round

    def median(self, name):
        return statistics.median(self.times[name])

    def ratios(self, name):
        """Time of ``name`` over the baseline's time in the same round, per round."""
        return [own / base for own, base in zip(self.times[name], self.times[self.baseline], strict=True)]

    def median_ratio(self, name):
        return statistics.median(self.ratios(name))

    def ratio_spread(self, name):
        """Interquartile range of the per-round ratios, or None with too few rounds."""
        ratios = self.ratios(name)
        if len(ratios) < 4:
            return None
        quartiles = statistics.quantiles(ratios, n=4)
        return quartiles[0], quartiles[2]


def time_rounds(rounds, variants, baseline):
    """Run every variant once per round, rotating the order so no variant always goes first."""
    names = list(variants)
    times = {name: [] for name in names}
    last_results = {}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            seconds_taken, last_results[name] = timed(variants[name])
            times[name].append(seconds_taken)
    return RoundTimings(baseline, times, last_results)


def calibrate_iterations(seconds_per_trial):
    """Power-iteration steps that take ``seconds_per_trial`` on this machine.

    The fastest of 7 probes sets the count, so contention can only make
    trials longer than asked: chunks stay at or above the 100 ms the
    overhead target is stated for.
    """
    probe_iterations = 1000
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        power_iteration_trial({"iterations": 200}, rng)  # warm caches and numpy's dispatch
        samples = [timed(lambda: power_iteration_trial({"iterations": probe_iterations}, rng))[0] for _ in range(7)]
    seconds_per_iteration = min(samples) / probe_iterations
    return max(1, round(seconds_per_trial / seconds_per_iteration))


# --------------------------------------------------------------------------- sweeps
class StorePaths:
    """Fresh SQLite paths in one temporary folder: a store holding trials refuses a new sweep."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.count = 0

    def new(self):
        self.count += 1
        return self.folder / f"store_{self.count}.sqlite"


def plain_loop(trial, params, n_trials):
    """What a user writes without the engine: seeds 0..n-1, results in a list."""
    with threadpool_limits(1):  # the engine pins BLAS too; compare like with like
        return [trial(dict(params), np.random.default_rng(index)) for index in range(n_trials)]


def plain_chunk(iterations, seeds):
    """A chunk of the plain loop, for a worker: the parallel baseline without the engine."""
    return [power_iteration_trial({"iterations": iterations}, np.random.default_rng(seed)) for seed in seeds]


def joblib_without_engine(iterations, n_trials):
    """joblib + loky on the same chunks as the sweep, without seeds, checks or store: the machine's ceiling."""
    import joblib

    chunks = [range(start, min(start + TRIALS_PER_CHUNK, n_trials)) for start in range(0, n_trials, TRIALS_PER_CHUNK)]
    parallel = joblib.Parallel(n_jobs=N_WORKERS, backend="loky", return_as="generator_unordered")
    return [
        result
        for chunk in parallel(joblib.delayed(plain_chunk)(iterations, seeds) for seeds in chunks)
        for result in chunk
    ]


def sweep(iterations, n_trials, store, chunk_size=TRIALS_PER_CHUNK, **backend):
    """``run`` the power-iteration experiment with the given backend options."""
    return run(
        POWER_ITERATION,
        grid={"iterations": [iterations]},
        n_trials=n_trials,
        store=store,
        chunk_size=chunk_size,
        progress=False,
        seed=ROOT_SEED,
        **backend,
    )


def constant_costs(n_trials, stores):
    """Per-trial seconds of each engine step with a trial that does nothing (best of 5)."""
    repeats = 5  # cheap, and tiny timings are noisy
    params = {"replicate": 0}
    cell = cell_key(params)
    spawn_cell = cell_hash(cell)
    chunk_size = CONSTANT.chunk_size
    chunks = [list(range(start, min(start + chunk_size, n_trials))) for start in range(0, n_trials, chunk_size)]

    def seeds_only():
        for trial in range(n_trials):
            np.random.default_rng(np.random.SeedSequence(ROOT_SEED, spawn_key=(spawn_cell, trial)))

    def chunk_rows():
        rows = []
        for chunk in chunks:
            rows += run_chunk(constant_trial, params, cell, chunk, ROOT_SEED, pin_threads=False)
        return rows

    rows = chunk_rows()
    row_chunks = [rows[start : start + chunk_size] for start in range(0, n_trials, chunk_size)]

    def write_then_read():
        with ResultStore.create_or_resume(stores.new(), CONSTANT.name, root_seed=ROOT_SEED) as store:
            write_seconds, _ = timed(lambda: [store.write_chunk(chunk) for chunk in row_chunks])
            read_seconds, _ = timed(store.to_dataframe)
        return write_seconds, read_seconds

    variants = {
        "plain": lambda: plain_loop(constant_trial, params, n_trials),
        "seeds": seeds_only,
        "run_chunk": chunk_rows,
        "run": lambda: run(CONSTANT, n_trials=n_trials, store=stores.new(), progress=False, seed=ROOT_SEED),
    }
    costs = {name: min(timed(function)[0] for _ in range(repeats)) / n_trials for name, function in variants.items()}
    store_timings = [write_then_read() for _ in range(repeats)]
    costs["write"] = min(write for write, _ in store_timings) / n_trials
    costs["read"] = min(read for _, read in store_timings) / n_trials
    # What every run() call costs however few trials it has: store creation, thread pinning, planning.
    costs["call"] = min(
        timed(lambda: run(CONSTANT, n_trials=1, chunk_size=1, store=stores.new(), progress=False))[0]
        for _ in range(repeats)
    )
    return costs


def metric_column(frame, metric):
    return frame.sort_values(["cell", "trial"])[metric].to_numpy()


# --------------------------------------------------------------------------- report
def seconds(value):
    return f"{value:.2f} s"


def microseconds(value):
    return f"{value * 1e6:.1f} µs"


def difference(first, warm):
    """A difference of two wall times, with both shown: drift can make it meaningless, even negative."""
    return f"{first - warm:.2f} s ({first:.2f} s - {warm:.2f} s)"


def overhead_text(timings, name):
    """Median ratio to the baseline, as an overhead, with the IQR when there are enough rounds."""
    ratio = timings.median_ratio(name)
    text = f"{ratio:.3f} ({ratio - 1:+.1%})"
    spread = timings.ratio_spread(name)
    if spread is not None:
        text += f", IQR {spread[0]:.3f}-{spread[1]:.3f}"
    return text


def print_table(title, rows, note=""):
    markdown_table(title, ["measurement", "anchor/target", "sigrec", "ratio"], rows, note)


def print_header(quick):
    import dask
    import joblib

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("## Sweep engine benchmark (`benchmarks/simulate.py`)\n")
    print(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(
        f"- machine: {platform.platform()}, {platform.machine()}, os.cpu_count() = {os.cpu_count()} "
        f"(usable by this process: {usable})"
    )
    print(
        f"- python {platform.python_version()}, numpy {np.__version__}, joblib {joblib.__version__}, "
        f"dask {dask.__version__}, sigrec {sigrec.__version__}"
    )
    print(f"- BLAS: {blas_description('threads by default')}; pinned to 1 thread in every timed loop")
    print(
        f"- mode: {'--quick (few, short rounds: a smoke test, numbers indicative only)' if quick else 'full'}; "
        f"times are medians over rounds that run every variant once in rotating order; ratios are medians of "
        f"per-round ratios (IQR = their interquartile range)"
    )
    print(
        f"- load average at start (1 min): {load_average()} on {os.cpu_count()} cores; other processes "
        f"competing for the cores slow the work itself, not only the engine\n"
    )


def report(sizes, measured):
    """Print the four tables from the ``measured`` dict filled by :func:`main`."""
    overhead = measured["overhead"]
    trial_ms = measured["chunk_seconds"] / TRIALS_PER_CHUNK * 1e3
    n_trials = sizes.overhead_chunks * TRIALS_PER_CHUNK
    constant = measured["constant"]
    engine_per_trial = constant["run"] - constant["plain"]
    rows = [
        (
            f"plain loop: {n_trials} trials, default_rng(i) seeds, results in a list",
            "baseline",
            seconds(overhead.median("plain")),
            "1.000",
        ),
        (
            f"run(n_jobs=1, in-memory store), chunk_size={TRIALS_PER_CHUNK}",
            f"overhead < {OVERHEAD_TARGET:.0%}",
            seconds(overhead.median("memory")),
            overhead_text(overhead, "memory"),
        ),
        (
            f"run(n_jobs=1, SQLite store), chunk_size={TRIALS_PER_CHUNK}",
            f"overhead < {OVERHEAD_TARGET:.0%}",
            seconds(overhead.median("sqlite")),
            overhead_text(overhead, "sqlite"),
        ),
        (
            "bottom-up: engine cost per trial (table 3: run minus plain loop) / trial time",
            f"overhead < {OVERHEAD_TARGET:.0%}",
            f"{engine_per_trial * 1e6:.0f} µs / {trial_ms:.1f} ms",
            f"{1 + engine_per_trial / (trial_ms / 1e3):.3f} ({engine_per_trial / (trial_ms / 1e3):+.1%})",
        ),
    ]
    print_table(
        f"1. Engine overhead at ~{measured['chunk_seconds'] * 1e3:.0f} ms per chunk (1 process)",
        rows,
        f"{sizes.overhead_rounds} rounds of {sizes.overhead_chunks} chunks x {TRIALS_PER_CHUNK} trials per variant. "
        f"ratio = time / plain loop of the same round; overhead = ratio - 1. Trial: "
        f"{measured['iterations']} power-iteration steps on a {MATRIX_SIZE}x{MATRIX_SIZE} matrix, ~{trial_ms:.1f} ms. "
        f"Wall-time rounds include each run() call's fixed cost ({constant['call'] * 1e3:.1f} ms, table 3) and the "
        f"machine's drift; the bottom-up row is the steadier estimate of the engine's share.",
    )

    throughput = measured["throughput"]
    sweep_trials = sizes.throughput_chunks * TRIALS_PER_CHUNK

    def trials_per_second(name):
        return f"{sweep_trials / throughput.median(name):.1f} trials/s"

    def speedup(name):
        ratios = [1 / ratio for ratio in throughput.ratios(name)]
        text = f"{statistics.median(ratios):.2f}"
        if len(ratios) >= 4:
            quartiles = statistics.quantiles(ratios, n=4)
            text += f", IQR {quartiles[0]:.2f}-{quartiles[2]:.2f}"
        return text

    ideal = f"ideal {N_WORKERS:.2f} on {os.cpu_count()} cores"
    rows = [
        ("run(n_jobs=1), in-process", "", trials_per_second("sequential"), "1.00"),
        (
            f"joblib.Parallel(n_jobs={N_WORKERS}, loky) over the same chunks, no engine: the machine's ceiling",
            ideal,
            trials_per_second("joblib"),
            speedup("joblib"),
        ),
        (f"run(n_jobs={N_WORKERS}, backend='loky'), warm workers", ideal, trials_per_second("loky"), speedup("loky")),
        (
            f"run(scheduler=<pre-started LocalCluster, {N_WORKERS} workers>), warm",
            ideal,
            trials_per_second("dask"),
            speedup("dask"),
        ),
        (
            f"run(n_jobs={N_WORKERS}, backend='dask'), one call incl. LocalCluster start and close",
            "",
            f"{sweep_trials / measured['dask_total']:.1f} trials/s",
            f"{throughput.median('sequential') / measured['dask_total']:.2f}",
        ),
    ]
    print_table(
        f"2a. Throughput, {sweep_trials} trials in {sizes.throughput_chunks} chunks of "
        f"~{measured['chunk_seconds'] * 1e3:.0f} ms",
        rows,
        f"{sizes.throughput_rounds} rounds. ratio = speedup over run(n_jobs=1) in the same round. "
        f"os.cpu_count() = {os.cpu_count()}: the coordinating process (scheduling, SQLite writes) shares the "
        f"cores with the {N_WORKERS} workers, so {N_WORKERS:.2f} is a ceiling; on a shared VM the vCPUs may give "
        f"less, which the plain joblib row measures (compare the engine's rows with it). Results identical across "
        f"n_jobs=1, loky and dask: {'yes' if measured['identical'] else 'NO'}.",
    )

    low, high = ANCHOR_LOKY_FIRST_RUN_PENALTY
    loky_penalty = measured["loky_first"] - throughput.median("loky")
    dask_fixed = measured["dask_total"] - throughput.median("dask")
    rows = [
        (
            f"loky: first run minus warm run (spawn {N_WORKERS} workers, import numpy + sigrec there)",
            f"{low:.0f}-{high:.0f} s (prototype, incl. numba cache load)",
            difference(measured["loky_first"], throughput.median("loky")),
            f"{loky_penalty / ((low + high) / 2):.2f}",
        ),
        ("import dask.distributed (first use in a process)", "", seconds(measured["dask_import"]), ""),
        (
            f"LocalCluster({N_WORKERS} workers) start",
            f"{ANCHOR_DASK_CLUSTER_START} s",
            seconds(measured["cluster_start"]),
            f"{measured['cluster_start'] / ANCHOR_DASK_CLUSTER_START:.2f}",
        ),
        (f"LocalCluster({N_WORKERS} workers) close", "", seconds(measured["cluster_close"]), ""),
        (
            "dask: first sweep on a fresh cluster minus warm (workers import numpy + sigrec)",
            "",
            difference(measured["dask_first"], throughput.median("dask")),
            "",
        ),
        (
            "run(backend='dask') one call minus warm sweep (cluster start + close + worker imports)",
            f"~{ANCHOR_DASK_CLUSTER_START} s (cluster start)",
            difference(measured["dask_total"], throughput.median("dask")),
            f"{dask_fixed / ANCHOR_DASK_CLUSTER_START:.2f}",
        ),
    ]
    print_table(
        "2b. Fixed costs of the worker pools",
        rows,
        "ratio = sigrec / anchor (the anchors were measured on another 2-vCPU host). Single measurements, so "
        "they carry the machine's drift. run(backend='dask') starts and closes a new LocalCluster on every "
        "call; pass scheduler= to reuse one.",
    )

    base = constant["plain"]
    trial_budget = OVERHEAD_TARGET * CHUNK_SECONDS / TRIALS_PER_CHUNK
    rows = [
        ("plain loop: default_rng(i) + call", "", microseconds(base), "1.0"),
        (
            "seed derivation: default_rng(SeedSequence(root, spawn_key=(cell, i)))",
            "",
            microseconds(constant["seeds"]),
            f"{constant['seeds'] / base:.1f}",
        ),
        (
            "run_chunk: seed + call + timing + metric checks + row",
            "",
            microseconds(constant["run_chunk"]),
            f"{constant['run_chunk'] / base:.1f}",
        ),
        (
            f"ResultStore.write_chunk, SQLite file, {CONSTANT.chunk_size} rows per transaction",
            "",
            microseconds(constant["write"]),
            f"{constant['write'] / base:.1f}",
        ),
        (
            "ResultStore.to_dataframe (read back)",
            "",
            microseconds(constant["read"]),
            f"{constant['read'] / base:.1f}",
        ),
        (
            "run(n_jobs=1, SQLite store), whole call",
            f"< {trial_budget * 1e6:.0f} µs (10 % of a 10 ms trial)",
            microseconds(constant["run"]),
            f"{constant['run'] / base:.1f}",
        ),
        (
            f"run(n_jobs={N_WORKERS}, backend='loky', SQLite store), warm, whole call",
            "",
            microseconds(constant["loky"]),
            f"{constant['loky'] / base:.1f}",
        ),
        ("run(n_jobs=1, SQLite store) with 1 trial: fixed cost per call", "", f"{constant['call'] * 1e3:.1f} ms", ""),
    ]
    print_table(
        f"3. Per-trial fixed costs: a trial returning a constant, {sizes.constant_trials} trials, "
        f"chunk_size={CONSTANT.chunk_size}",
        rows,
        "Best of 5. ratio = per-trial time / plain loop. Multiply by the number of trials for the engine's "
        "bookkeeping time in a sweep.",
    )

    unchunked = measured["unchunked"]
    n_tasks = sizes.unchunked_tasks
    scale = n_tasks / ANCHOR_UNCHUNKED_TASKS  # the anchors are for 320 tasks; --quick runs fewer
    rows = []
    for name, label, anchor in (
        ("plain", "plain loop", ANCHOR_UNCHUNKED_SEQUENTIAL),
        ("sequential", "run(n_jobs=1), chunk_size=1", ANCHOR_UNCHUNKED_SEQUENTIAL),
        ("loky_1", f"run(n_jobs={N_WORKERS}, loky) warm, chunk_size=1", ANCHOR_UNCHUNKED_LOKY),
        ("dask_1", f"run(scheduler=<{N_WORKERS}-worker LocalCluster>) warm, chunk_size=1", ANCHOR_UNCHUNKED_DASK),
        ("loky_10", f"run(n_jobs={N_WORKERS}, loky) warm, chunk_size=10", None),
        ("dask_10", f"run(scheduler=<{N_WORKERS}-worker LocalCluster>) warm, chunk_size=10", None),
    ):
        median = unchunked.median(name)
        anchor_text = f"{anchor * scale:.2f} s" if anchor else ""
        ratio = f"{median / (anchor * scale):.2f}" if anchor else ""
        rows.append((label, anchor_text, f"{seconds(median)} ({unchunked.median_ratio(name):.2f}x plain)", ratio))
    print_table(
        f"4. Un-chunked tasks: {n_tasks} tasks of ~{UNCHUNKED_TASK_SECONDS * 1e3:.0f} ms (prototype comparison)",
        rows,
        f"{sizes.unchunked_rounds} rounds. ratio = sigrec / prototype anchor (joblib + loky / dask without the "
        f"engine, another 2-vCPU host"
        + (f"; anchors scaled to {n_tasks} tasks" if scale != 1 else "")
        + "); 'x plain' = median per-round ratio to the plain loop on this machine.",
    )


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, runs in < 30 s")
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else FULL
    started = time.perf_counter()
    print_header(options.quick)
    measured = {}

    progress("calibrating the trial")
    iterations = calibrate_iterations(CHUNK_SECONDS / TRIALS_PER_CHUNK)
    iterations_unchunked = calibrate_iterations(UNCHUNKED_TASK_SECONDS)
    measured["iterations"] = iterations
    overhead_trials = sizes.overhead_chunks * TRIALS_PER_CHUNK
    sweep_trials = sizes.throughput_chunks * TRIALS_PER_CHUNK

    with tempfile.TemporaryDirectory(prefix="sigrec-benchmark-") as folder:
        stores = StorePaths(folder)

        # Sequential measurements first, while no worker pool exists.
        progress("1/4 sequential overhead")
        measured["overhead"] = time_rounds(
            sizes.overhead_rounds,
            {
                "plain": lambda: plain_loop(power_iteration_trial, {"iterations": iterations}, overhead_trials),
                "memory": lambda: sweep(iterations, overhead_trials, None, n_jobs=1),
                "sqlite": lambda: sweep(iterations, overhead_trials, stores.new(), n_jobs=1),
            },
            baseline="plain",
        )
        measured["chunk_seconds"] = measured["overhead"].median("plain") / sizes.overhead_chunks

        progress("3/4 per-trial fixed costs")
        measured["constant"] = constant_costs(sizes.constant_trials, stores)

        progress("2/4 loky: first run (spawns the workers)")
        measured["loky_first"], loky_frame = timed(
            lambda: sweep(iterations, sweep_trials, stores.new(), n_jobs=N_WORKERS, backend="loky")
        )
        measured["constant"]["loky"] = (
            timed(
                lambda: run(
                    CONSTANT,
                    n_trials=sizes.constant_trials,
                    store=stores.new(),
                    n_jobs=N_WORKERS,
                    backend="loky",
                    progress=False,
                )
            )[0]
            / sizes.constant_trials
        )

        progress("2/4 dask: import, one run(backend='dask'), then a pre-started cluster")
        measured["dask_import"], _ = timed(lambda: __import__("dask.distributed"))
        from dask.distributed import LocalCluster

        measured["dask_total"], dask_total_frame = timed(
            lambda: sweep(iterations, sweep_trials, stores.new(), n_jobs=N_WORKERS, backend="dask")
        )
        # The settings run() uses, started once so sweeps reuse it through scheduler=.
        measured["cluster_start"], cluster = timed(
            lambda: LocalCluster(
                n_workers=N_WORKERS, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
            )
        )
        address = cluster.scheduler_address
        measured["dask_first"], dask_frame = timed(
            lambda: sweep(iterations, sweep_trials, stores.new(), scheduler=address)
        )

        progress("2/4 throughput rounds")
        measured["throughput"] = time_rounds(
            sizes.throughput_rounds,
            {
                "sequential": lambda: sweep(iterations, sweep_trials, stores.new(), n_jobs=1),
                "joblib": lambda: joblib_without_engine(iterations, sweep_trials),
                "loky": lambda: sweep(iterations, sweep_trials, stores.new(), n_jobs=N_WORKERS, backend="loky"),
                "dask": lambda: sweep(iterations, sweep_trials, stores.new(), scheduler=address),
            },
            baseline="sequential",
        )

        progress("4/4 un-chunked tasks")
        n_tasks = sizes.unchunked_tasks
        measured["unchunked"] = time_rounds(
            sizes.unchunked_rounds,
            {
                "plain": lambda: plain_loop(power_iteration_trial, {"iterations": iterations_unchunked}, n_tasks),
                "sequential": lambda: sweep(iterations_unchunked, n_tasks, stores.new(), chunk_size=1, n_jobs=1),
                "loky_1": lambda: sweep(
                    iterations_unchunked, n_tasks, stores.new(), chunk_size=1, n_jobs=N_WORKERS, backend="loky"
                ),
                "dask_1": lambda: sweep(iterations_unchunked, n_tasks, stores.new(), chunk_size=1, scheduler=address),
                "loky_10": lambda: sweep(
                    iterations_unchunked, n_tasks, stores.new(), chunk_size=10, n_jobs=N_WORKERS, backend="loky"
                ),
                "dask_10": lambda: sweep(iterations_unchunked, n_tasks, stores.new(), chunk_size=10, scheduler=address),
            },
            baseline="plain",
        )
        measured["cluster_close"], _ = timed(cluster.close)

        # The engine's contract: results do not depend on the backend or the number of workers.
        frames = measured["throughput"].last_results
        reference = metric_column(frames["sequential"], "rayleigh_quotient")
        measured["identical"] = all(
            np.array_equal(reference, metric_column(frame, "rayleigh_quotient"))
            for frame in (loky_frame, dask_total_frame, dask_frame, frames["loky"], frames["dask"])
        )

    report(sizes, measured)
    print(
        f"Total benchmark time: {time.perf_counter() - started:.0f} s; "
        f"load average at the end (1 min): {load_average()}"
    )


if __name__ == "__main__":
    main()
