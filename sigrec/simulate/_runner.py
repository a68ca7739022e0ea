"""Run an experiment's trials in chunks, locally or on a dask cluster.

Reproducibility contract: trial ``t`` of the cell with parameters ``p``
always draws from ``SeedSequence(root_seed, spawn_key=(cell_hash(p), t))``.
Nothing else feeds randomness, so results do not depend on chunking, the
number of workers, the backend, or on the run being interrupted and resumed.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import time
from contextlib import ExitStack, contextmanager

import numpy as np

from sigrec import __version__
from sigrec.simulate._experiment import Experiment, cell_hash, cell_key, get_experiment
from sigrec.simulate._store import ResultStore

__all__ = ["run", "run_chunk", "summarize", "TrialError", "BACKENDS"]

BACKENDS = ("loky", "dask")
_pinned_process = False


class TrialError(RuntimeError):
    """A trial function raised or returned something that is not a metric dict."""


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


def run_chunk(trial_function, params, cell, trials, root_seed, *, pin_threads=True):
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

    Returns
    -------
    list of dict
        One row per trial, ready for :meth:`ResultStore.write_chunk`.
    """
    if pin_threads:
        _pin_threads_for_process()
    spawn_cell = cell_hash(cell)
    rows = []
    for trial in trials:
        seed = np.random.SeedSequence(root_seed, spawn_key=(spawn_cell, int(trial)))
        rng = np.random.default_rng(seed)
        start = time.perf_counter()
        try:
            raw = trial_function(dict(params), rng)
        except Exception as exc:
            raise TrialError(
                f"trial {trial} of cell {params} raised {type(exc).__name__}: {exc} "
                f"(reproduce with rng = numpy.random.default_rng(numpy.random.SeedSequence({root_seed}, "
                f"spawn_key=({spawn_cell}, {trial}))))"
            ) from exc
        wall_time = time.perf_counter() - start
        rows.append(
            {
                "cell": cell,
                "trial": int(trial),
                "params": params,
                "metrics": _as_metrics(raw, params, trial),
                "seed": [root_seed, spawn_cell, int(trial)],
                "wall_time": wall_time,
                "version": __version__,
            }
        )
    return rows


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
    seed : int, optional
        Root seed (default 0, or the stored one when resuming).
    n_jobs : int, default=1
        Worker processes (loky) or LocalCluster workers (dask); ``-1`` uses
        every core. Ignored with ``scheduler``.
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

    Returns
    -------
    pandas.DataFrame
        Every trial in the store (see :meth:`ResultStore.to_dataframe`).
    """
    import joblib
    from tqdm.auto import tqdm

    experiment = get_experiment(experiment)
    if scheduler:
        backend = "dask"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if not isinstance(n_jobs, numbers.Integral) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
    grids, trials = experiment.resolve(grid_overrides=grid, n_trials=n_trials, quick=quick)
    chunk_size = chunk_size or experiment.chunk_size
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")

    result_store = ResultStore.create_or_resume(
        store, experiment.name, root_seed=seed, resume=resume, version=__version__
    )
    with result_store:
        chunks = _plan_chunks(Experiment.cells(grids, trials), chunk_size, result_store.completed())
        bar = tqdm(total=len(chunks), unit="chunk", desc=experiment.name, disable=not progress, file=sys.stderr)
        root_seed = result_store.root_seed
        with bar:
            if backend == "loky" and n_jobs == 1:
                # In-process: pin threads for the sweep only, not for the caller's session.
                from threadpoolctl import threadpool_limits

                with threadpool_limits(1):
                    for params, cell, chunk in chunks:
                        rows = run_chunk(experiment.trial, params, cell, chunk, root_seed, pin_threads=False)
                        result_store.write_chunk(rows)
                        bar.update()
            else:
                tasks = (
                    joblib.delayed(run_chunk)(experiment.trial, params, cell, chunk, root_seed)
                    for params, cell, chunk in chunks
                )
                with ExitStack() as stack:
                    if backend == "dask":
                        stack.enter_context(_dask_client(n_jobs, scheduler))
                        stack.enter_context(joblib.parallel_config(backend="dask"))
                        parallel = joblib.Parallel(return_as="generator_unordered")
                    else:
                        parallel = joblib.Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
                    for rows in parallel(tasks):
                        result_store.write_chunk(rows)
                        bar.update()
        return result_store.to_dataframe()


def summarize(frame, experiment=None):
    """Mean, standard error and count of every metric per cell.

    Parameters
    ----------
    frame : pandas.DataFrame
        As returned by :func:`run` or :meth:`ResultStore.to_dataframe`.
    experiment : str or Experiment, optional
        Gives the parameter columns; inferred from the non-metric columns otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per cell: parameter columns, then ``n_trials`` and for each
        metric ``<metric>_mean`` and ``<metric>_sem`` (NaN-aware: undefined
        trials are left out of a metric's mean).
    """
    import pandas as pd

    bookkeeping = {"cell", "trial", "seed", "wall_time", "version"}
    if experiment is not None:
        keys = [k for k in get_experiment(experiment).keys if k in frame.columns]
    else:
        keys = []
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "n_trials"])
    if not keys:
        raise ValueError("summarize needs the experiment to know which columns are parameters")
    metric_names = [c for c in frame.columns if c not in bookkeeping and c not in keys]
    rows = []
    for _cell, group in frame.groupby("cell", sort=False):
        row = {k: group[k].iloc[0] for k in keys}
        row["n_trials"] = len(group)
        for metric in metric_names:
            values = group[metric].to_numpy(dtype=float)
            finite = values[~np.isnan(values)]
            row[f"{metric}_mean"] = finite.mean() if finite.size else math.nan
            row[f"{metric}_sem"] = finite.std(ddof=1) / math.sqrt(finite.size) if finite.size > 1 else math.nan
        rows.append(row)
    summary = pd.DataFrame(rows)
    sortable = [k for k in keys if summary[k].notna().all()]
    try:
        summary = summary.sort_values(sortable, kind="stable")
    except TypeError:  # mixed-type parameter columns (sub-grids): keep insertion order
        pass
    return summary.reset_index(drop=True)
