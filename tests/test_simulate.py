"""The sweep engine: determinism across schedules, resumption, store safety, reports."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sigrec.simulate import (
    Experiment,
    ExperimentError,
    StoreError,
    TrialError,
    get_experiment,
    register,
    report,
    run,
    summarize,
)
from sigrec.simulate._experiment import cell_key

REPO = Path(__file__).resolve().parents[1]


def noisy_mean_trial(params, rng):
    """Cheap trial whose metrics depend on every draw of its generator."""
    samples = rng.standard_normal(params["n"]) + params["shift"]
    return {"mean": float(samples.mean()), "first": float(samples[0]), "positive": bool(samples[0] > 0)}


EXPERIMENT = register(
    Experiment(
        name="_test_noisy_mean",
        trial=noisy_mean_trial,
        grid={"n": [5, 50], "shift": [0.0, 1.5]},
        n_trials=12,
        chunk_size=5,
        quick={"grid": {"n": [5], "shift": [0.0]}, "n_trials": 3},
    )
)
METRICS = ["mean", "first", "positive"]


def _metric_table(frame):
    return frame.sort_values(["cell", "trial"])[["cell", "trial", *METRICS]].reset_index(drop=True)


def test_seeds_depend_only_on_cell_and_trial():
    reference = run(EXPERIMENT, progress=False, seed=7)
    rechunked = run(EXPERIMENT, progress=False, seed=7, chunk_size=3)
    assert len(reference) == 4 * 12
    assert reference[["cell", "trial"]].duplicated().sum() == 0
    assert _metric_table(reference).equals(_metric_table(rechunked))
    # adding a grid value does not change the existing cells' numbers
    widened = run(EXPERIMENT, progress=False, seed=7, grid={"shift": [0.0, 1.5, 3.0]})
    common = widened[widened["shift"] != 3.0]
    assert _metric_table(reference).equals(_metric_table(common))
    # another root seed gives other numbers
    other = run(EXPERIMENT, progress=False, seed=8)
    assert not np.allclose(reference["first"], _metric_table(other)["first"])


def test_trial_reproducible_from_stored_seed():
    frame = run(EXPERIMENT, progress=False, seed=3, n_trials=2)
    row = frame.iloc[-1]
    root, cell_spawn, trial = json.loads(row["seed"])
    rng = np.random.default_rng(np.random.SeedSequence(root, spawn_key=(cell_spawn, trial)))
    again = noisy_mean_trial({"n": int(row["n"]), "shift": float(row["shift"])}, rng)
    assert again["first"] == row["first"]


@pytest.mark.slow
def test_same_results_with_one_two_workers_and_dask(tmp_path):
    sequential = run(EXPERIMENT, progress=False, seed=11, store=tmp_path / "a.sqlite")
    two_workers = run(EXPERIMENT, progress=False, seed=11, n_jobs=2, chunk_size=2)
    dask = run(EXPERIMENT, progress=False, seed=11, n_jobs=2, backend="dask")
    assert _metric_table(sequential).equals(_metric_table(two_workers))
    assert _metric_table(sequential).equals(_metric_table(dask))


def test_quick_and_overrides():
    frame = run(EXPERIMENT, progress=False, quick=True)
    assert len(frame) == 3 and set(frame["n"]) == {5}
    frame = run(EXPERIMENT, progress=False, quick=True, grid={"n": [7, 9]}, n_trials=2)
    assert sorted(set(frame["n"])) == [7, 9] and len(frame) == 4
    with pytest.raises(ExperimentError, match="unknown grid key 'm'.*valid keys: n, shift"):
        run(EXPERIMENT, progress=False, grid={"m": [1]})
    with pytest.raises(ExperimentError, match="unknown experiment 'nope'"):
        run("nope")
    with pytest.raises(ValueError, match="backend"):
        run(EXPERIMENT, backend="ray")
    with pytest.raises(ValueError, match="n_jobs"):
        run(EXPERIMENT, n_jobs=0)


def test_resume_skips_stored_trials_and_refuses_overwrite(tmp_path):
    store = tmp_path / "sweep.sqlite"
    run(EXPERIMENT, progress=False, store=store, n_trials=4, seed=5)
    with pytest.raises(StoreError, match="already holds 16 trials.*--resume"):
        run(EXPERIMENT, progress=False, store=store, n_trials=12, seed=5)
    with pytest.raises(StoreError, match="root seed 5, not 6"):
        run(EXPERIMENT, progress=False, store=store, n_trials=12, seed=6, resume=True)
    resumed = run(EXPERIMENT, progress=False, store=store, n_trials=12, resume=True)
    full = run(EXPERIMENT, progress=False, n_trials=12, seed=5)
    assert _metric_table(resumed).equals(_metric_table(full))


def test_store_rejects_foreign_and_corrupt_files(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("my precious notes\n" * 10)
    with pytest.raises(StoreError, match="not an SQLite file"):
        run(EXPERIMENT, progress=False, store=text)
    assert text.read_text().startswith("my precious notes")

    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE customers (name TEXT)")
    with pytest.raises(StoreError, match="not a sigrec results store"):
        run(EXPERIMENT, progress=False, store=foreign)

    other = tmp_path / "other.sqlite"
    run(EXPERIMENT, progress=False, store=other, n_trials=1)
    with pytest.raises(StoreError, match="holds results of experiment '_test_noisy_mean', not 'tour'"):
        run("tour", progress=False, store=other, quick=True)

    corrupt = tmp_path / "corrupt.sqlite"
    run(EXPERIMENT, progress=False, store=corrupt, n_trials=12)
    data = bytearray(corrupt.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 2000] = os.urandom(2000)
    corrupt.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupt|damaged|not a sigrec"):
        run(EXPERIMENT, progress=False, store=corrupt, resume=True)
    with pytest.raises(StoreError, match="corrupt|damaged|not a sigrec"):
        report(EXPERIMENT, corrupt)

    with pytest.raises(StoreError, match="directory"):
        run(EXPERIMENT, progress=False, store=tmp_path)
    with pytest.raises(StoreError, match="cannot create the folder"):
        run(EXPERIMENT, progress=False, store=text / "sub" / "store.sqlite")
    with pytest.raises(StoreError, match="no results store"):
        report(EXPERIMENT, tmp_path / "missing.sqlite")


def bad_trial(params, rng):
    if params["kind"] == "raise":
        raise ArithmeticError("singular system")
    if params["kind"] == "array":
        return {"x": np.ones(3)}
    return [1.0]


def test_trial_errors_name_the_cell_and_seed():
    for kind, message in (
        ("raise", r"trial 0 of cell \{'kind': 'raise'\} raised ArithmeticError: singular system.*SeedSequence"),
        ("array", "metric 'x' .* must be real scalars"),
        ("list", "returned list"),
    ):
        experiment = Experiment(name="_bad", trial=bad_trial, grid={"kind": [kind]}, n_trials=1)
        with pytest.raises(TrialError, match=message):
            run(experiment, progress=False)


def test_experiment_definition_errors():
    with pytest.raises(ExperimentError, match="no values"):
        Experiment(name="x", trial=bad_trial, grid={"a": []})
    with pytest.raises(ExperimentError, match="non-empty dict"):
        Experiment(name="x", trial=bad_trial, grid={})
    with pytest.raises(TypeError):
        register("not an experiment")


def test_summary_and_report(tmp_path):
    store = tmp_path / "s.sqlite"
    frame = run(EXPERIMENT, progress=False, store=store, seed=2)
    summary = summarize(frame, EXPERIMENT)
    assert len(summary) == 4 and (summary["n_trials"] == 12).all()
    cell = summary[(summary["n"] == 50) & (summary["shift"] == 1.5)].iloc[0]
    values = frame[frame["cell"] == cell_key({"n": 50, "shift": 1.5})]["mean"]
    assert cell["mean_mean"] == pytest.approx(values.mean())
    assert cell["mean_sem"] == pytest.approx(values.std(ddof=1) / np.sqrt(12))
    table, figures = report(EXPERIMENT, store, tmp_path / "out")
    assert table.equals(summary)
    assert {p.name for p in figures} == {f"_test_noisy_mean_{m}.png" for m in METRICS}
    assert all(p.stat().st_size > 1000 for p in figures)
    assert (tmp_path / "out" / "_test_noisy_mean_trials.csv").exists()
    index = (tmp_path / "out" / "index.md").read_text()  # the generic index: per-cell means and the figures
    assert "## Per-cell means" in index and all(f"]({p.name})" in index for p in figures)


def test_tour_quick_reproduces_known_phase_transition_shape():
    frame = run("tour", quick=True, progress=False)
    assert set(frame["study"]) == {"cs_phase_transition", "coding", "calibration", "regression", "tensor", "bayes",
                                   "sampling"}
    sampling = summarize(frame[frame["study"] == "sampling"], "tour").set_index("n_keep")
    # DPS on 8×8 digits at K = 8: as good as the non-redundant low-pass mask (note T6), better than a random one.
    assert sampling.loc[8, "psnr_dps_mean"] >= sampling.loc[8, "psnr_low_pass_half_mean"] - 0.5
    assert sampling.loc[8, "psnr_dps_mean"] > sampling.loc[8, "psnr_random_half_mean"]
    bayes = summarize(frame[frame["study"] == "bayes"], "tour").set_index("m1")
    # SVD-KroSBL at the paper's default size (M_1 = 8, 25 dB) is within 3x the oracle LS.
    assert bayes.loc[8, "nmse_svd_mean"] < 3 * bayes.loc[8, "nmse_oracle_mean"]
    tensor = summarize(frame[frame["study"] == "tensor"], "tour").set_index("snr_db")
    # PLAIN at 0 dB per element on 8 × 64 × 112 (integrated 47.6 dB): near the bound in every mode,
    # while the periodogram's grid peak sits far above it.
    for mode in ("space", "frequency", "time"):
        assert tensor.loc[0, f"sq_err_plain_{mode}_mean"] < 4 * tensor.loc[0, f"crb_{mode}_mean"]
        assert tensor.loc[0, f"sq_err_fft_{mode}_mean"] > 10 * tensor.loc[0, f"crb_{mode}_mean"]
    regression = summarize(frame[frame["study"] == "regression"], "tour").set_index("n_samples")
    # Two-scale design with cancelling coefficients (d=200, k=5): RSP beats LassoCV by a wide margin at N=200.
    assert regression.loc[200, "in_rsp_union_mean"] < 0.5 * regression.loc[200, "in_lasso_cv_mean"]
    calibration = summarize(frame[frame["study"] == "calibration"], "tour").set_index("p")
    # Blind gain calibration at n=64, m=32, p=16 (mp = 2.7(n+m)): PGD and LinLS exact, ignoring gains is not.
    assert calibration.loc[16, ["success_pgd_ls_mean", "success_linls_mean"]].tolist() == [1.0, 1.0]
    assert calibration.loc[16, "success_blind_mean"] == 0.0
    summary = summarize(frame, "tour").set_index(["delta", "rho"])
    # Far below the Donoho-Tanner curve l1 always succeeds, far above it never does.
    assert summary.loc[(0.75, 0.1), "success_l1_mean"] == 1.0
    assert summary.loc[(0.25, 0.5), "success_l1_mean"] <= 0.1
    # l1 (basis pursuit) is at least as good as OMP on average over the grid (a classical result).
    assert summary["success_l1_mean"].mean() >= summary["success_omp_mean"].mean()


# ----------------------------------------------------------------- interruption
SLOW_MODULE = """
import time
from sigrec.simulate import Experiment, register

def slow_trial(params, rng):
    time.sleep(0.01)
    return {"value": float(rng.standard_normal()), "k": float(params["k"])}

register(Experiment(name="slow", trial=slow_trial, grid={"k": [1, 2, 3, 4]}, n_trials=50, chunk_size=5))
"""


def _count_rows(path):
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            return connection.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
    except sqlite3.Error:
        return 0


def _sigrec(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "sigrec", *args], capture_output=True, text=True, **kwargs)


@pytest.mark.slow
def test_sigkill_then_resume_gives_every_trial_once(tmp_path):
    module = tmp_path / "slow_experiments.py"
    module.write_text(SLOW_MODULE)
    store = tmp_path / "killed.sqlite"
    command = [sys.executable, "-m", "sigrec", "run", "slow", "--import", str(module), "--store", str(store), "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _count_rows(store) < 30 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored_at_kill = _count_rows(store)
    assert 30 <= stored_at_kill < 200, "the sweep must be interrupted part-way"
    assert stored_at_kill % 5 == 0, "chunks are committed atomically"

    resumed = _sigrec("run", "slow", "--import", str(module), "--store", str(store), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    clean_store = tmp_path / "clean.sqlite"
    clean = _sigrec("run", "slow", "--import", str(module), "--store", str(clean_store), "--quiet")
    assert clean.returncode == 0, clean.stderr

    def rows(path):
        with sqlite3.connect(path) as connection:
            return connection.execute("SELECT cell, trial, metrics FROM trials ORDER BY cell, trial").fetchall()

    killed_rows, clean_rows = rows(store), rows(clean_store)
    assert len(killed_rows) == 200 and len({(c, t) for c, t, _ in killed_rows}) == 200
    assert killed_rows == clean_rows


def worker_killing_trial(params, rng):
    """Kills its own dask worker the first time it runs trial 3 of cell k=2."""
    marker = Path(params["marker"])
    if params["k"] == 2 and not marker.exists():
        time.sleep(0.3)  # let other chunks finish first, so the death is mid-sweep
        marker.write_text("killed")
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.005)
    return {"value": float(rng.standard_normal())}


@pytest.mark.slow
def test_dask_worker_death_loses_and_duplicates_nothing(tmp_path):
    import cloudpickle
    from dask.distributed import LocalCluster

    # Workers cannot import this test module: ship its functions by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    marker = str(tmp_path / "marker")
    experiment = Experiment(
        name="_test_worker_death",
        trial=worker_killing_trial,
        grid={"k": [1, 2, 3], "marker": [marker]},
        n_trials=20,
        chunk_size=4,
    )
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        frame = run(experiment, progress=False, scheduler=cluster.scheduler_address, store=tmp_path / "d.sqlite")
    assert Path(marker).read_text() == "killed", "a worker must have died during the sweep"
    assert len(frame) == 60 and not frame[["cell", "trial"]].duplicated().any()
    reference = run(experiment, progress=False)  # marker exists now: nobody dies
    assert (
        frame.sort_values(["cell", "trial"])["value"].tolist()
        == reference.sort_values(["cell", "trial"])["value"].tolist()
    )


# ----------------------------------------------------------------- CLI
def test_cli_run_report_and_errors(tmp_path):
    store = tmp_path / "pt.sqlite"
    listing = _sigrec("list")
    assert listing.returncode == 0 and "cs_phase_transition" in listing.stdout and "tour" in listing.stdout
    done = _sigrec(
        "run", "cs_phase_transition", "--quick", "--store", str(store), "--trials", "2", "--grid", "rho=0.1,0.2"
    )
    assert done.returncode == 0, done.stderr
    assert f"12 trials in {store}" in done.stdout
    reported = _sigrec("report", "cs_phase_transition", "--store", str(store), "--out", str(tmp_path / "fig"))
    assert reported.returncode == 0, reported.stderr
    assert (tmp_path / "fig" / "cs_phase_transition.png").stat().st_size > 5000
    assert reported.stdout.rstrip().splitlines()[-1] == f"report: {tmp_path / 'fig' / 'index.md'}"

    for args, message in (
        (("run", "nope"), "unknown experiment 'nope'"),
        (
            ("run", "cs_phase_transition", "--grid", "bogus=1", "--store", str(tmp_path / "x.sqlite")),
            "unknown grid key 'bogus'",
        ),
        (
            ("run", "cs_phase_transition", "--grid", "rho", "--store", str(tmp_path / "y.sqlite")),
            "--grid expects key=value",
        ),
        (("run", "cs_phase_transition", "--quick", "--store", str(store)), "already holds 12 trials"),
        (("report", "tour", "--store", str(store)), "holds results of experiment 'cs_phase_transition'"),
        (("run", "cs_phase_transition", "--quick", "--store", "/proc/sigrec/x.sqlite"), "cannot create the folder"),
    ):
        failed = _sigrec(*args)
        assert failed.returncode == 2, (args, failed.stderr)
        assert message in failed.stderr and "Traceback" not in failed.stderr, failed.stderr


def test_version_and_module_entry_point():
    from sigrec import __version__

    assert _sigrec("--version").stdout.strip() == f"sigrec {__version__}"
    assert get_experiment("tour").name == "tour"


def test_sub_grids_can_set_their_own_trial_count():
    experiment = Experiment(
        name="_test_subgrid_trials",
        trial=noisy_mean_trial,
        grid=[{"n": [5], "shift": [0.0]}, {"n": [6], "shift": [1.0], "@trials": 2}],
        n_trials=4,
    )
    frame = run(experiment, progress=False)
    assert frame.groupby("n").size().to_dict() == {5: 4, 6: 2}
    frame = run(experiment, progress=False, n_trials=3)  # --trials overrides every sub-grid
    assert frame.groupby("n").size().to_dict() == {5: 3, 6: 3}
    assert experiment.keys == ["n", "shift"]
    with pytest.raises(ExperimentError, match="@trials must be a positive int"):
        Experiment(name="x", trial=bad_trial, grid={"a": [1], "@trials": 0})
