"""Run an experiment's trials in chunks, locally or on a dask cluster.

Reproducibility contract: trial ``t`` of the cell with parameters ``p``
always draws from ``SeedSequence(root_seed, spawn_key=(cell_hash(p), t))``.
Nothing else feeds randomness, so results do not depend on chunking, the
number of workers, the backend, or on the run being interrupted and resumed.

Fault tolerance: a trial that raises is recorded in the store's ``errors``
table and the sweep goes on; a chunk whose worker process dies is run again
alone, then trial by trial, so that only a trial that keeps killing its
worker is recorded as failed (``WorkerDied``); a store that cannot be written
stops the sweep with a :class:`StoreError`, the failed chunk rolled back.
"""

from __future__ import annotations

import concurrent.futures
import math
import numbers
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np

from sigrec import __version__
from sigrec.simulate._experiment import Experiment, cell_hash, cell_key, get_experiment
from sigrec.simulate._store import ResultStore

__all__ = ["run", "run_chunk", "summarize", "TrialError", "FailedTrialsError", "BACKENDS", "ON_ERROR", "WORKER_DIED"]

BACKENDS = ("loky", "dask")
#: Values of ``run(on_error=...)``: finish the sweep and report failed trials, or stop at the first.
ON_ERROR = ("continue", "raise")
#: ``error_type`` of a trial whose worker process died each time it ran (segfault, ``os._exit``, OOM kill).
WORKER_DIED = "WorkerDied"
_MARKER_PREFIX = "sigrec-started-"
_TRACEBACK_FRAMES = 6
_TRACEBACK_CHARS = 4000
_pinned_process = False


class TrialError(RuntimeError):
    """A trial function raised or returned something that is not a metric dict."""


class FailedTrialsError(TrialError):
    """A sweep finished, but some of its trials failed; they are recorded in the store.

    Raised by :func:`run` (with ``on_error="continue"``, the default) after
    every other trial has run and been stored. The message names the first
    failed trial (by cell and trial index) and how to reproduce it.

    Attributes
    ----------
    trials : pandas.DataFrame
        Every stored trial, as :func:`run` would have returned.
    errors : pandas.DataFrame
        The trials of this sweep that failed (see :meth:`ResultStore.errors`).
    n_planned : int
        Trials this sweep ran (those already stored when resuming excluded).
    """

    def __init__(self, message, trials, errors, n_planned):
        super().__init__(message)
        self.trials = trials
        self.errors = errors
        self.n_planned = n_planned


def _pin_threads_for_process():
    """Limit BLAS and numba to one thread in this worker process, once.

    Trials run in parallel across processes already; letting each one spin
    a BLAS pool oversubscribes the cores (37x slower measured on 2 vCPUs).
    Doing it once per process matters: threadpoolctl costs milliseconds.
    """
    global _pinned_process
    if _pinned_process:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    os.environ["NUMBA_NUM_THREADS"] = "1"
    if "numba" in sys.modules:
        sys.modules["numba"].set_num_threads(1)
    _pinned_process = True


def _as_metrics(raw, params, trial):
    if not isinstance(raw, dict) or not raw:
        raise TrialError(
            f"trial {trial} of cell {params} returned {type(raw).__name__}; a trial must return a "
            f"non-empty dict of metric name -> float"
        )
    metrics = {}
    for name, value in raw.items():
        if isinstance(value, (bool, np.bool_, numbers.Real)) and np.ndim(value) == 0:
            metrics[str(name)] = float(value)
        else:
            raise TrialError(
                f"metric {name!r} of trial {trial} in cell {params} is {type(value).__name__}; "
                f"metrics must be real scalars"
            )
    return metrics


def _reproduce_hint(seed):
    root_seed, spawn_cell, trial = seed
    return (f"reproduce with rng = numpy.random.default_rng(numpy.random.SeedSequence({root_seed}, "
            f"spawn_key=({spawn_cell}, {trial})))")


def _error_name(exc):
    kind = type(exc)
    if kind.__module__ == "builtins" or isinstance(exc, TrialError):
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _describe_failure(params, trial, error_type, message, seed):
    """One sentence on a failed trial, for messages: which, how, and how to reproduce it."""
    if error_type == WORKER_DIED:
        return f"trial {trial} of cell {params} killed its worker: {message}"
    return f"trial {trial} of cell {params} raised {error_type}: {message} ({_reproduce_hint(seed)})"


def _short_traceback(exc):
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-_TRACEBACK_FRAMES,
                                              chain=False))
    return text if len(text) <= _TRACEBACK_CHARS else "...\n" + text[-_TRACEBACK_CHARS:]


def run_chunk(trial_function, params, cell, trials, root_seed, *, pin_threads=True, record_errors=False):
    """Run a chunk of trials of one cell; return the rows to store.

    Parameters
    ----------
    trial_function : callable
        ``trial(params, rng) -> dict[str, float]``.
    params : dict
        The cell's parameters (each trial gets a fresh copy).
    cell : str
        The cell key (:func:`cell_key` of ``params``).
    trials : sequence of int
        Trial indices to run.
    root_seed : int
    pin_threads : bool
        Pin BLAS/numba to one thread for the rest of this process (workers).
    record_errors : bool, default=False
        Turn a trial that raises (or returns something other than a dict of
        real scalars) into an error row and go on with the chunk. Otherwise
        raise :class:`TrialError` at the first such trial.

    Returns
    -------
    list of dict
        One row per trial, ready for :meth:`ResultStore.write_chunk`: with a
        ``metrics`` dict, or with an ``error`` dict (``type``, ``message``,
        ``traceback``) for a trial that failed.

    Raises
    ------
    TrialError
        A trial failed and ``record_errors`` is False.
    """
    if pin_threads:
        _pin_threads_for_process()
    spawn_cell = cell_hash(cell)
    rows = []
    for trial in trials:
        seed = [root_seed, spawn_cell, int(trial)]
        rng = np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(spawn_cell, int(trial))))
        row = {"cell": cell, "trial": int(trial), "params": params, "seed": seed, "version": __version__}
        start = time.perf_counter()
        try:
            try:
                raw = trial_function(dict(params), rng)
            except Exception as exc:
                raise TrialError(
                    f"trial {trial} of cell {params} raised {_error_name(exc)}: {exc} ({_reproduce_hint(seed)})"
                ) from exc
            row["metrics"] = _as_metrics(raw, params, trial)
        except TrialError as failure:
            if not record_errors:
                raise
            exc = failure.__cause__ or failure
            row["error"] = {"type": _error_name(exc), "message": str(exc), "traceback": _short_traceback(exc)}
        row["wall_time"] = time.perf_counter() - start
        rows.append(row)
    return rows


def _death_row(params, cell, trial, root_seed, attempts, detail, record_errors):
    """The error row of a trial that killed its worker ``attempts`` times (or a TrialError when not recording)."""
    seed = [root_seed, cell_hash(cell), int(trial)]
    message = f"its worker process died each of the {attempts} times this trial ran alone ({detail})"
    if not record_errors:
        raise TrialError(_describe_failure(params, trial, WORKER_DIED, message, seed))
    return {"cell": cell, "trial": int(trial), "params": params, "seed": seed, "version": __version__,
            "wall_time": 0.0, "error": {"type": WORKER_DIED, "message": message, "traceback": "",
                                        "attempts": attempts}}


def _death_detail(exc):
    """The useful part of a worker-death exception: exit codes when loky gives them."""
    text = " ".join(str(exc).split())
    codes = re.search(r"exit codes of the workers are (\{[^}]*\})", text)
    if codes:
        return f"exit codes {codes.group(1)}: a crash in compiled code, os._exit, or the OS killing it for memory"
    return f"{type(exc).__name__}: {text.split('. ')[0][:300]}"


class _Sink:
    """Writes rows to the store, advances the progress bar and remembers failed trials."""

    def __init__(self, store, bar):
        self.store = store
        self.bar = bar
        self.failed = {}  # (cell, trial) -> sentence

    def write(self, rows, finished_chunk=True):
        self.store.write_chunk(rows)
        for row in rows:
            key = (row["cell"], row["trial"])
            if "error" in row:
                error = row["error"]
                self.failed[key] = _describe_failure(row["params"], row["trial"], error["type"], error["message"],
                                                     row["seed"])
            else:
                self.failed.pop(key, None)
        if finished_chunk:
            self.bar.update()


def _remove_orphaned_marker_folders():
    """Delete the start-marker folders of sweeps whose process was killed (``kill -9`` cannot clean up)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_MARKER_PREFIX}*-*"):
        try:
            pid = int(folder.name[len(_MARKER_PREFIX):].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, OSError):  # not ours, or a live process of another user
            pass


def _run_chunk_marked(started_dir, chunk_id, *args, **kwargs):
    """:func:`run_chunk` in a loky worker, leaving a file that says this chunk started."""
    Path(started_dir, str(chunk_id)).touch()
    return chunk_id, run_chunk(*args, **kwargs)


def _run_loky(tasks, n_jobs, sink, job, retries):
    """Run ``tasks`` on loky workers; re-run the chunks of a worker that died, alone, then trial by trial.

    After a worker death the pool is broken and every result in flight is
    lost. The chunks that had started (each leaves a file in a temporary
    folder when it starts) are the suspects: each one runs alone, and one
    that kills its worker again runs trial by trial, every trial up to
    ``1 + retries`` times, so only the trials that keep killing their worker
    are recorded (as ``WorkerDied``). The chunks that had not started go back
    to the pool.
    """
    import joblib

    trial_function, root_seed, record_errors = job

    def alone(params, cell, trials):
        parallel = joblib.Parallel(n_jobs=n_jobs, backend="loky")
        return parallel([joblib.delayed(run_chunk)(trial_function, params, cell, trials, root_seed,
                                                   record_errors=record_errors)])[0]

    unattributed = 0  # deaths before any chunk of the round started (e.g. while unpickling)
    _remove_orphaned_marker_folders()
    with tempfile.TemporaryDirectory(prefix=f"{_MARKER_PREFIX}{os.getpid()}-") as started_dir:
        while tasks:
            returned = set()
            parallel = joblib.Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
            outputs = parallel(
                joblib.delayed(_run_chunk_marked)(started_dir, chunk_id, trial_function, params, cell, trials,
                                                  root_seed, record_errors=record_errors)
                for chunk_id, params, cell, trials in tasks
            )
            try:
                with warnings.catch_warnings():
                    # When the store fails or the user interrupts, joblib would add that finished chunks went unused.
                    warnings.filterwarnings("ignore", "(?s).*(but not used|have been cancelled)", UserWarning)
                    try:
                        for chunk_id, rows in outputs:
                            returned.add(chunk_id)
                            sink.write(rows)
                    finally:
                        outputs.close()
                tasks = []
            except concurrent.futures.BrokenExecutor:
                left = [task for task in tasks if task[0] not in returned]
                started = set(os.listdir(started_dir))
                suspects = {task[0] for task in left if str(task[0]) in started}
                if not suspects:
                    unattributed += 1
                    if unattributed <= retries:
                        tasks = left
                        continue
                    suspects = {task[0] for task in left}  # no clue left: run everything alone
                tasks = [task for task in left if task[0] not in suspects]
                for _chunk_id, params, cell, trials in (task for task in left if task[0] in suspects):
                    _isolate(alone, params, cell, trials, sink, retries, root_seed, record_errors)


def _isolate(alone, params, cell, trials, sink, retries, root_seed, record_errors):
    """Run a chunk suspected of killing its worker alone; if it does, run it trial by trial."""
    if len(trials) > 1:
        try:
            sink.write(alone(params, cell, trials))
            return
        except concurrent.futures.BrokenExecutor:
            pass
    for trial in trials:
        for _attempt in range(retries + 1):
            try:
                rows = alone(params, cell, [trial])
                break
            except concurrent.futures.BrokenExecutor as exc:
                death = exc
        else:
            rows = [_death_row(params, cell, trial, root_seed, retries + 1, _death_detail(death), record_errors)]
        sink.write(rows, finished_chunk=False)
    sink.bar.update()


def _run_dask(client, tasks, sink, job, retries):
    """Run ``tasks`` as dask futures; re-run the trials of a chunk that killed its workers alone.

    The scheduler itself re-runs the tasks of a worker that died, up to its
    ``distributed.scheduler.allowed-failures`` (default 3) times, then fails
    the task with ``KilledWorker`` -- also a task that merely waited on the
    dying worker. Such a chunk is resubmitted trial by trial; a single trial
    that fails so is run again at the end, alone on the cluster (nothing else
    in flight, so a death is its own), up to ``1 + retries`` times, then
    recorded as ``WorkerDied``.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    trial_function, root_seed, record_errors = job
    owners = {}  # future -> (chunk_id, params, cell, trials)
    parts_left = {}  # chunk_id -> parts of the chunk not yet stored
    suspects = []

    def submit(chunk_id, params, cell, trials):
        future = client.submit(run_chunk, trial_function, params, cell, trials, root_seed,
                               record_errors=record_errors, pure=False)
        owners[future] = (chunk_id, params, cell, trials)
        return future

    for task in tasks:
        parts_left[task[0]] = 1
    queue = as_completed([submit(*task) for task in tasks])
    for future in queue:
        chunk_id, params, cell, trials = owners.pop(future)
        try:
            rows = future.result()
        except KilledWorker:
            if len(trials) > 1:
                parts_left[chunk_id] += len(trials) - 1
                for trial in trials:
                    queue.add(submit(chunk_id, params, cell, [trial]))
            else:
                suspects.append((chunk_id, params, cell, trials))
            continue
        finally:
            future.release()
        parts_left[chunk_id] -= 1
        sink.write(rows, finished_chunk=parts_left[chunk_id] == 0)
    for chunk_id, params, cell, trials in suspects:
        for _attempt in range(retries + 1):
            future = submit(chunk_id, params, cell, trials)
            try:
                rows = future.result()
                break
            except KilledWorker as exc:
                death = exc
            finally:
                owners.pop(future, None)
                future.release()
        else:
            rows = [_death_row(params, cell, trials[0], root_seed, retries + 1, _death_detail(death), record_errors)]
        parts_left[chunk_id] -= 1
        sink.write(rows, finished_chunk=parts_left[chunk_id] == 0)


def _plan_chunks(cells_with_trials, chunk_size, completed):
    chunks = []
    for params, n_trials in cells_with_trials:
        cell = cell_key(params)
        todo = [t for t in range(n_trials) if (cell, t) not in completed]
        for start in range(0, len(todo), chunk_size):
            chunks.append((params, cell, todo[start : start + chunk_size]))
    return chunks


@contextmanager
def _dask_client(n_jobs, scheduler):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(
            "backend='dask' needs dask.distributed: pip install 'sigrec[dask]'"
        ) from exc
    with ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler, timeout="30s"))
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=(os.cpu_count() or 1) if n_jobs == -1 else n_jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    host="127.0.0.1",
                )
            )
            client = stack.enter_context(Client(cluster))
        yield client


def run(
    experiment,
    *,
    grid=None,
    n_trials=None,
    quick=False,
    store=None,
    resume=False,
    seed=None,
    n_jobs=1,
    backend="loky",
    scheduler=None,
    chunk_size=None,
    progress=True,
    on_error="continue",
    retries=2,
):
    """Run a registered experiment and return all its stored trials.

    Parameters
    ----------
    experiment : str or Experiment
        Registered name or an :class:`~sigrec.simulate.Experiment`.
    grid : dict, optional
        Overrides of grid keys: ``{"k": [5, 10]}``.
    n_trials : int, optional
        Trials per cell (default: the experiment's, or its quick variant's).
    quick : bool, default=False
        Use the experiment's quick variant.
    store : str or path, optional
        SQLite file; None keeps results in memory only.
    resume : bool, default=False
        Continue a store that already holds trials, skipping stored ones.
        Trials that failed before are run again.
    seed : int, optional
        Root seed (default 0, or the stored one when resuming).
    n_jobs : int, default=1
        Worker processes (loky) or LocalCluster workers (dask); ``-1`` uses
        every core. Ignored with ``scheduler``. With ``n_jobs=1`` trials run
        in this process, so a trial that crashes the interpreter ends the
        sweep (resume it); with worker processes it only costs a worker.
    backend : {"loky", "dask"}
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:8786``); implies
        ``backend="dask"``. Without it, ``backend="dask"`` starts (about 1 s)
        and closes a LocalCluster on every call: pass the address of one you
        keep running when you call :func:`run` many times.
    chunk_size : int, optional
        Trials per task; default the experiment's.
    progress : bool, default=True
        Show a tqdm bar over chunks on stderr.
    on_error : {"continue", "raise"}, default="continue"
        What a failed trial (one that raises or returns something other than
        a dict of real scalars) does. ``"continue"`` records it in the
        store's ``errors`` table (type, message, short traceback, seed), runs
        every other trial, then raises :class:`FailedTrialsError`. ``"raise"``
        stops the sweep at the first failure with a :class:`TrialError`
        (chunks finished before it stay stored), for debugging.
    retries : int, default=2
        How many more times a trial that killed its worker process
        (segfault, ``os._exit``, out-of-memory kill) is run alone before it
        is recorded as failed, with error type ``"WorkerDied"``. On dask,
        each of these runs is itself retried by the scheduler up to its
        ``distributed.scheduler.allowed-failures`` (default 3).

    Returns
    -------
    pandas.DataFrame
        Every trial in the store (see :meth:`ResultStore.to_dataframe`).

    Raises
    ------
    FailedTrialsError
        Some trials failed (``on_error="continue"``); it carries the stored
        trials and the failures.
    TrialError
        A trial failed and ``on_error="raise"``.
    StoreError
        The store cannot be opened or written (locked by another process,
        disk full, ...): the chunk being written is rolled back, every chunk
        committed before is kept, and ``resume=True`` continues the sweep.
    """
    from tqdm.auto import tqdm

    experiment = get_experiment(experiment)
    if scheduler:
        backend = "dask"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if not isinstance(n_jobs, numbers.Integral) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
    if not isinstance(retries, numbers.Integral) or retries < 0:
        raise ValueError(f"retries must be a non-negative integer, got {retries!r}")
    grids, trials = experiment.resolve(grid_overrides=grid, n_trials=n_trials, quick=quick)
    chunk_size = chunk_size or experiment.chunk_size
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")

    result_store = ResultStore.create_or_resume(
        store, experiment.name, root_seed=seed, resume=resume, version=__version__
    )
    with result_store:
        chunks = _plan_chunks(Experiment.cells(grids, trials), chunk_size, result_store.completed())
        tasks = [(chunk_id, *chunk) for chunk_id, chunk in enumerate(chunks)]
        bar = tqdm(total=len(chunks), unit="chunk", desc=experiment.name, disable=not progress, file=sys.stderr)
        root_seed = result_store.root_seed
        job = (experiment.trial, root_seed, on_error == "continue")
        sink = _Sink(result_store, bar)
        with bar:
            if backend == "loky" and n_jobs == 1:
                # In-process: pin threads for the sweep only, not for the caller's session.
                from threadpoolctl import threadpool_limits

                with threadpool_limits(1):
                    for params, cell, chunk in chunks:
                        sink.write(run_chunk(experiment.trial, params, cell, chunk, root_seed, pin_threads=False,
                                             record_errors=job[2]))
            elif backend == "dask":
                with _dask_client(n_jobs, scheduler) as client:
                    _run_dask(client, tasks, sink, job, retries)
            else:
                _run_loky(tasks, n_jobs, sink, job, retries)
        frame = result_store.to_dataframe()
        if sink.failed:
            errors = result_store.errors()
            keys = set(sink.failed)
            errors = errors[[key in keys for key in zip(errors["cell"], errors["trial"], strict=True)]]
            planned = sum(len(chunk) for _, _, chunk in chunks)
            first = sink.failed[min(sink.failed)]
            where = (f"in the errors table of {result_store.path}; fix the cause, then `sigrec run --resume` "
                     f"(or run(..., resume=True)) retries them" if result_store.path is not None
                     else "in the in-memory store only: pass store= to keep them")
            raise FailedTrialsError(
                f"{len(sink.failed)} of {planned} trials failed and are recorded {where}. First: {first}",
                frame.reset_index(drop=True), errors.reset_index(drop=True), planned,
            )
        return frame


def summarize(frame, experiment=None, errors=None):
    """Mean, standard error and count of every metric per cell.

    Parameters
    ----------
    frame : pandas.DataFrame
        As returned by :func:`run` or :meth:`ResultStore.to_dataframe`.
    experiment : str or Experiment, optional
        Gives the parameter columns; inferred from the non-metric columns otherwise.
    errors : pandas.DataFrame, optional
        Failed trials (:meth:`ResultStore.errors`, or
        :attr:`FailedTrialsError.errors`). When it has rows, the summary gains an
        ``n_failed`` column, and a cell whose trials all failed gets a row
        with ``n_trials`` 0 and no metric values. Failed trials never enter
        the means.

    Returns
    -------
    pandas.DataFrame
        One row per cell: parameter columns, then ``n_trials`` (trials with
        results), ``n_failed`` (only with ``errors``) and for each metric
        ``<metric>_mean`` and ``<metric>_sem`` (NaN-aware: undefined trials
        are left out of a metric's mean).
    """
    import pandas as pd

    bookkeeping = {"cell", "trial", "seed", "wall_time", "version"}
    if experiment is not None:
        keys = [k for k in get_experiment(experiment).keys if k in frame.columns or
                (errors is not None and k in errors.columns)]
    else:
        keys = []
    failed = errors.groupby("cell", sort=False).size() if errors is not None and len(errors) else None
    if frame.empty and failed is None:
        return pd.DataFrame(columns=[*keys, "n_trials"])
    if not keys:
        raise ValueError("summarize needs the experiment to know which columns are parameters")
    metric_names = [c for c in frame.columns if c not in bookkeeping and c not in keys]
    rows = []
    groups = list(frame.groupby("cell", sort=False)) if not frame.empty else []
    for cell, group in groups:
        row = {k: group[k].iloc[0] for k in keys}
        row["n_trials"] = len(group)
        if failed is not None:
            row["n_failed"] = int(failed.get(cell, 0))
        for metric in metric_names:
            values = group[metric].to_numpy(dtype=float)
            finite = values[~np.isnan(values)]
            row[f"{metric}_mean"] = finite.mean() if finite.size else math.nan
            row[f"{metric}_sem"] = finite.std(ddof=1) / math.sqrt(finite.size) if finite.size > 1 else math.nan
        rows.append(row)
    if failed is not None:
        seen = {cell for cell, _ in groups}
        for cell, group in errors.groupby("cell", sort=False):
            if cell not in seen:  # every trial of this cell failed
                row = {k: group[k].iloc[0] if k in group else math.nan for k in keys}
                row.update({"n_trials": 0, "n_failed": len(group)})
                row.update({f"{m}_{stat}": math.nan for m in metric_names for stat in ("mean", "sem")})
                rows.append(row)
    summary = pd.DataFrame(rows)
    sortable = [k for k in keys if summary[k].notna().all()]
    try:
        summary = summary.sort_values(sortable, kind="stable")
    except TypeError:  # mixed-type parameter columns (sub-grids): keep insertion order
        pass
    return summary.reset_index(drop=True)
