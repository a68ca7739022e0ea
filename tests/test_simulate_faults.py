"""Fault tolerance of the sweep engine: failing trials, dying workers, unwritable stores, SIGKILL + resume.

The failures are deterministic: with root seed 0, trial ``t`` of cell ``{"k": 2}`` draws
``VALUES_K2[t]`` first, so "raise when the draw is above 0.5" fails exactly trials 1, 4 and 5,
and "crash when it is below -1.5" crashes exactly trial 7.
"""

import importlib
import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

from sigrec.cli import EXIT_ERROR, EXIT_FAILED_TRIALS, main
from sigrec.simulate import Experiment, ResultStore, StoreError, TrialError, _store, register, report, run, summarize
from sigrec.simulate._experiment import cell_key
from sigrec.simulate._runner import WORKER_DIED, FailedTrialsError

# Loky and dask workers cannot import this test module: ship its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

VALUES_K2 = [-0.0, 0.61, -0.53, -0.83, 0.56, 0.63, -1.01, -1.79, -0.23, 0.44, -0.82, -0.54]
FAILING = {1, 4, 5}  # trials of cell k=2 whose first draw is above 0.5
CRASHING = 7  # the trial of cell k=2 whose first draw is below -1.5
GRID = {"k": [1, 2, 3]}


def calm_trial(params, rng):
    """The reference: never fails."""
    time.sleep(0.002)
    return {"value": float(rng.standard_normal())}


def buggy_trial(params, rng):
    """Raises in three trials of cell k=2 (a bug that ``calm_trial`` is the fix of)."""
    value = float(rng.standard_normal())
    if params["k"] == 2 and value > 0.5:
        raise FloatingPointError(f"diverged at {value:.2f}")
    time.sleep(0.002)
    return {"value": value}


def crashing_trial(params, rng):
    """Kills its worker: always in trial 7 of cell k=2, once (the first trial to run) in the cell with a marker."""
    value = float(rng.standard_normal())
    if params["k"] == 2 and value < -1.5:
        os._exit(70)  # like a segfault: no exception, no clean-up
    marker = params.get("marker")
    if marker and not os.path.exists(marker):
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)  # like the OOM killer, once
    time.sleep(0.002)
    return {"value": value}


def _experiment(trial, grid=GRID, name="_test_faults"):
    return Experiment(name=name, trial=trial, grid=grid, n_trials=12, chunk_size=4)


def _values(frame):
    return frame.sort_values(["cell", "trial"]).set_index(["cell", "trial"])["value"]


def _rows(path, table="trials"):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return connection.execute(f"SELECT cell, trial FROM {table} ORDER BY cell, trial").fetchall()


def test_the_documented_draws():
    frame = run(_experiment(calm_trial), progress=False)
    assert np.round(frame[frame["k"] == 2].sort_values("trial")["value"].to_numpy(), 2).tolist() == VALUES_K2


# ----------------------------------------------------------------- a trial that raises
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_failed_trials_are_recorded_and_the_sweep_finishes(tmp_path, n_jobs):
    store = tmp_path / "s.sqlite"
    with pytest.raises(FailedTrialsError) as caught:
        run(_experiment(buggy_trial), store=store, progress=False, n_jobs=n_jobs)
    failures = caught.value
    assert isinstance(failures, TrialError) and failures.n_planned == 36
    message = str(failures)
    assert message.startswith(f"3 of 36 trials failed and are recorded in the errors table of {store}")
    assert "--resume" in message and "trial 1 of cell {'k': 2} raised FloatingPointError: diverged at 0.61" in message
    assert "SeedSequence(0, spawn_key=(" in message

    # Every other trial ran and was stored; the failures are kept apart, each once.
    assert len(failures.trials) == 33 and set(failures.errors["trial"]) == FAILING
    with ResultStore.open_existing(store) as result_store:
        errors = result_store.errors()
        assert len(result_store) == 33
    assert not set(_rows(store)) & set(_rows(store, "errors"))
    assert (errors["error_type"] == "FloatingPointError").all() and (errors["attempts"] == 1).all()
    assert errors["message"].str.startswith("diverged at").all() and (errors["k"] == 2).all()
    assert errors["traceback"].str.contains("in buggy_trial").all()
    assert errors["traceback"].str.contains("FloatingPointError: diverged").all()

    # The summary leaves them out of the means and counts them.
    summary = summarize(failures.trials, _experiment(buggy_trial), errors=errors)
    by_k = summary.set_index("k")
    assert by_k["n_trials"].tolist() == [12, 9, 12] and by_k["n_failed"].tolist() == [0, 3, 0]
    good = [v for t, v in enumerate(VALUES_K2) if t not in FAILING]
    assert by_k.loc[2, "value_mean"] == pytest.approx(np.mean(good), abs=0.01)

    # After the fix, --resume retries exactly the failed trials: the store equals a clean run.
    resumed = run(_experiment(calm_trial), store=store, resume=True, progress=False)
    assert len(resumed) == 36 and _rows(store, "errors") == []
    clean = run(_experiment(calm_trial), progress=False)
    assert _values(resumed).equals(_values(clean))


def test_a_cell_whose_trials_all_fail_still_appears_in_the_summary(tmp_path):
    def fails_in_cell_3(params, rng):  # a closure: in-process only
        if params["k"] == 3:
            raise ValueError("no solution")
        return calm_trial(params, rng)

    with pytest.raises(FailedTrialsError, match="12 of 36 trials failed"):
        run(_experiment(fails_in_cell_3), store=tmp_path / "s.sqlite", progress=False)
    summary, _ = report(_experiment(fails_in_cell_3), tmp_path / "s.sqlite", tmp_path / "out")
    row = summary.set_index("k").loc[3]
    assert row["n_trials"] == 0 and row["n_failed"] == 12 and np.isnan(row["value_mean"])


def test_fail_fast_stops_at_the_first_failure(tmp_path):
    store = tmp_path / "s.sqlite"
    with pytest.raises(TrialError, match=r"trial 1 of cell \{'k': 2\} raised FloatingPointError") as caught:
        run(_experiment(buggy_trial), store=store, progress=False, on_error="raise")
    assert not isinstance(caught.value, FailedTrialsError)
    assert len(_rows(store)) == 12 and _rows(store, "errors") == []  # cell k=1 only: chunks before the failure
    with pytest.raises(ValueError, match="on_error"):
        run(_experiment(calm_trial), on_error="ignore")
    with pytest.raises(ValueError, match="retries"):
        run(_experiment(calm_trial), retries=-1)


def test_report_and_cli_with_failed_trials(tmp_path, capsys):
    register(_experiment(buggy_trial, name="_test_faults_cli"))
    store = tmp_path / "cli.sqlite"
    assert main(["run", "_test_faults_cli", "--store", str(store)]) == EXIT_FAILED_TRIALS
    out, err = capsys.readouterr()
    assert "33 trials in" in out and "n_failed" in out
    assert "sigrec: warning: 3 of 36 trials failed" in err and "Traceback" not in err

    assert main(["report", "_test_faults_cli", "--store", str(store), "--out", str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert "3 failed trials" in err and "_test_faults_cli_errors.csv" in err
    index = (tmp_path / "out" / "index.md").read_text()
    assert "- failed trials: 3 in 1 cell, left out of every mean" in index
    assert "|   k | trials | failed |" in index
    assert len((tmp_path / "out" / "_test_faults_cli_errors.csv").read_text().splitlines()) > 3

    failing = tmp_path / "fail-fast.sqlite"
    assert main(["run", "_test_faults_cli", "--store", str(failing), "--fail-fast", "--quiet"]) == EXIT_ERROR
    assert "raised FloatingPointError" in capsys.readouterr().err

    register(_experiment(calm_trial, name="_test_faults_cli"))  # the fix
    assert main(["run", "_test_faults_cli", "--store", str(store), "--resume", "--quiet"]) == 0
    assert len(_rows(store)) == 36 and _rows(store, "errors") == []
    assert main(["report", "_test_faults_cli", "--store", str(store), "--out", str(tmp_path / "out")]) == 0
    assert "failed" not in capsys.readouterr().err
    assert not (tmp_path / "out" / "_test_faults_cli_errors.csv").exists()


def test_stores_written_before_the_errors_table_still_resume(tmp_path):
    store = tmp_path / "old.sqlite"
    run(_experiment(calm_trial), store=store, progress=False, n_trials=2)
    with sqlite3.connect(store) as connection:
        connection.execute("DROP TABLE errors")
    summary, _ = report(_experiment(calm_trial), store)
    assert "n_failed" not in summary
    assert len(run(_experiment(calm_trial), store=store, progress=False, resume=True)) == 36


# ----------------------------------------------------------------- a worker that dies
def test_a_dying_worker_is_replaced_and_only_the_lethal_trial_is_recorded(tmp_path):
    marker = tmp_path / "killed-once"
    grid = [{"k": [1, 2]}, {"k": [3], "marker": [str(marker)]}]
    store = tmp_path / "crash.sqlite"
    with pytest.raises(FailedTrialsError, match="1 of 36 trials failed") as caught:
        run(_experiment(crashing_trial, grid), store=store, progress=False, n_jobs=2, retries=1)
    assert marker.exists(), "a worker must have been killed once"
    errors = caught.value.errors
    assert errors[["k", "trial", "error_type", "attempts"]].values.tolist() == [[2, CRASHING, WORKER_DIED, 2]]
    assert "exit codes {EXIT(70)}" in errors["message"].iloc[0]
    # Everything else, including the chunks in flight when the workers died, is stored once, with the
    # numbers of an undisturbed in-process run.
    assert len(_rows(store)) == 35 == len(set(_rows(store)))
    reference = _values(run(_experiment(calm_trial, grid), progress=False))
    assert _values(caught.value.trials).equals(reference.drop((cell_key({"k": 2}), CRASHING)))


@pytest.mark.slow
def test_dask_worker_that_keeps_dying_is_recorded(tmp_path):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with pytest.raises(FailedTrialsError, match="1 of 36 trials failed") as caught:
            run(_experiment(crashing_trial), progress=False, backend="dask", n_jobs=2, retries=1)
    errors = caught.value.errors
    assert errors[["k", "trial", "error_type", "attempts"]].values.tolist() == [[2, CRASHING, WORKER_DIED, 2]]
    assert len(caught.value.trials) == 35 and not caught.value.trials[["cell", "trial"]].duplicated().any()


# ----------------------------------------------------------------- a store that cannot be written
def _expect_complete_chunks(store, chunk_size=4):
    with sqlite3.connect(store) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counts = connection.execute("SELECT COUNT(*) FROM trials GROUP BY cell").fetchall()
    assert all(count % chunk_size == 0 for (count,) in counts), counts


def test_a_locked_store_stops_the_sweep_clearly_and_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_store, "LOCK_TIMEOUT", 0.2)
    store = tmp_path / "locked.sqlite"
    run(_experiment(calm_trial), store=store, progress=False, n_trials=4)
    other = sqlite3.connect(store, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the timeout
    try:
        with pytest.raises(StoreError, match=f"{store}: it is locked by another process.*--resume") as caught:
            run(_experiment(calm_trial), store=store, progress=False, resume=True)
        assert "keeps the 12 trials" in str(caught.value)
        register(_experiment(calm_trial, name="_test_faults"))
        assert main(["run", "_test_faults", "--store", str(store), "--resume", "--quiet"]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert "locked by another process" in err and "Traceback" not in err
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert len(_rows(store)) == 12
    _expect_complete_chunks(store)
    resumed = run(_experiment(calm_trial), store=store, progress=False, resume=True)
    assert _values(resumed).equals(_values(run(_experiment(calm_trial), progress=False)))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_full_disk_rolls_the_chunk_back_and_resumes(tmp_path, monkeypatch, n_jobs):
    connect = _store.ResultStore._connect

    def nearly_full(path, *, readonly=False):
        """A real SQLITE_FULL: the database may grow by two pages (a few dozen trials) only."""
        connection = connect(path, readonly=readonly)
        if not readonly:
            (pages,) = connection.execute("PRAGMA page_count").fetchone()
            connection.execute(f"PRAGMA max_page_count={pages + 2}")
        return connection

    store = tmp_path / "full.sqlite"
    experiment = Experiment(name="_test_faults", trial=calm_trial, grid=GRID, n_trials=200, chunk_size=4)
    run(experiment, store=store, progress=False, n_trials=1)
    monkeypatch.setattr(_store.ResultStore, "_connect", staticmethod(nearly_full))
    with pytest.raises(StoreError, match=f"{store}: the disk is full.*--resume.*nothing of the failed chunk"):
        run(experiment, store=store, progress=False, resume=True, n_jobs=n_jobs)
    monkeypatch.undo()
    stored = len(_rows(store))
    assert 3 < stored < 600
    _expect_complete_chunks(store, chunk_size=1)  # integrity only: the first run stored one trial per cell
    resumed = run(experiment, store=store, progress=False, resume=True)
    assert len(resumed) == 600 == len(set(_rows(store)))
    assert _values(resumed).equals(_values(run(experiment, progress=False)))


# ----------------------------------------------------------------- SIGKILL of `sigrec run`, then --resume
SLOW_MODULE = """
import time
from sigrec.simulate import Experiment, register

def slow_trial(params, rng):
    time.sleep(0.01)
    return {"value": float(rng.standard_normal())}

register(Experiment(name="_faults_slow", trial=slow_trial, grid={"k": [1, 2, 3, 4]}, n_trials=20, chunk_size=2))
"""


def test_sigkill_of_a_parallel_run_then_resume(tmp_path):
    module = tmp_path / "faults_slow.py"
    module.write_text(SLOW_MODULE)
    store = tmp_path / "killed.sqlite"
    command = [sys.executable, "-m", "sigrec", "run", "_faults_slow", "--import", str(module), "--store", str(store),
               "--quiet", "--n-jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    stored = 0
    while stored < 20 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
        try:
            stored = len(_rows(store))
        except sqlite3.Error:
            stored = 0
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored_at_kill = len(_rows(store))
    assert 20 <= stored_at_kill < 80, "the sweep must be interrupted part-way"
    _expect_complete_chunks(store, chunk_size=2)

    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    rows = _rows(store)
    assert len(rows) == 80 == len(set(rows))
    spec = importlib.util.spec_from_file_location("faults_slow", module)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # registers _faults_slow here
    with ResultStore.open_existing(store) as result_store:
        killed = result_store.to_dataframe()
    assert _values(killed).equals(_values(run("_faults_slow", progress=False)))
