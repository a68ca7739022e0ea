"""Registered blind-calibration sweeps, their trial functions and plot helpers."""

import math
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sigrec.calibration import experiments  # noqa: E402
from sigrec.calibration.plotting import (  # noqa: E402
    plot_calibration_phase_transition,
    plot_convergence,
    plot_error_vs_snr,
    plot_gain_map,
)
from sigrec.simulate import Experiment, get_experiment, list_experiments, run, summarize  # noqa: E402

NAMES = ["calibration-phase-transition", "calibration-noise", "calibration-subspace", "calibration-imaging"]
PHASE_METHODS = ["pgd_ls", "pgd_fixed", "linls", "blind"]


def _sigrec(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "sigrec", *args], capture_output=True, text=True, **kwargs)


def _assert_metrics(metrics, names, *, undefined=()):
    assert set(metrics) == set(names), sorted(set(metrics) ^ set(names))
    for name, value in metrics.items():
        assert isinstance(value, float), (name, type(value))
        if name in undefined:
            assert math.isnan(value), name
        else:
            assert math.isfinite(value), (name, value)


def test_experiments_are_registered_and_listed():
    registered = {experiment.name for experiment in list_experiments()}
    assert set(NAMES) <= registered
    for name in NAMES:
        experiment = get_experiment(name)
        assert experiment.quick and experiment.plot is not None and experiment.description
    listing = _sigrec("list")
    assert listing.returncode == 0, listing.stderr
    assert all(name in listing.stdout for name in NAMES)


def test_phase_transition_trial_metrics_and_determinism():
    params = {"n": 16, "m": 8, "p": 8, "rho": 0.5, "max_iter": 200}
    metrics = experiments.phase_transition_trial(params, np.random.default_rng(0))
    names = [f"{kind}_{method}" for kind in ("success", "err_db") for method in PHASE_METHODS]
    names += ["iters_pgd_ls", "iters_pgd_fixed", "converged_pgd_ls", "converged_pgd_fixed", "diverged_pgd_fixed"]
    _assert_metrics(metrics, names)
    assert metrics == experiments.phase_transition_trial(params, np.random.default_rng(0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_phase_transition_easy_cell_and_below_counting_bound(seed):
    easy = experiments.phase_transition_trial(
        {"n": 64, "m": 32, "p": 16, "rho": 0.5, "max_iter": 2000}, np.random.default_rng(seed)
    )
    assert easy["success_pgd_ls"] == easy["success_pgd_fixed"] == easy["success_linls"] == 1.0
    assert easy["converged_pgd_ls"] == 1.0 and easy["iters_pgd_ls"] < 1000
    assert easy["success_blind"] == 0.0  # ignoring gains of deviation 0.5 cannot be exact
    # m p = 64 < n + m - 1 = 71: not identifiable, so no method may report success.
    below = experiments.phase_transition_trial(
        {"n": 64, "m": 8, "p": 8, "rho": 0.5, "max_iter": 2000}, np.random.default_rng(seed)
    )
    assert all(below[f"success_{method}"] == 0.0 for method in PHASE_METHODS)
    assert all(below[f"err_db_{method}"] > -40 for method in PHASE_METHODS)  # relative error above 1e-2


def test_noise_trial_metrics():
    params = {"n": 16, "m": 8, "p": 8, "rho": 0.5, "snr_db": 20, "tol": 1e-8, "max_iter": 300}
    metrics = experiments.noise_trial(params, np.random.default_rng(0))
    names = [f"err_x_db_{method}" for method in ("pgd", "linls", "oracle", "blind")]
    _assert_metrics(metrics, [*names, "err_g_db_pgd", "err_g_db_linls", "iters_pgd"])
    # The oracle knows the gains: it is not worse than ignoring them.
    assert metrics["err_x_db_oracle"] < metrics["err_x_db_blind"]


@pytest.mark.parametrize("basis", ["dct", "block", "spike"])
def test_subspace_trial_metrics(basis):
    params = {"n": 32, "k": 4, "m": 16, "h": 3, "p": 1, "rho": 0.5, "gain_basis": basis, "max_iter": 500}
    metrics = experiments.subspace_trial(params, np.random.default_rng(0))
    _assert_metrics(metrics, ["success", "err_db", "iters", "converged", "coherence"])
    assert metrics == experiments.subspace_trial(params, np.random.default_rng(0))


def test_gain_subspaces_span_the_constant_and_coherence():
    for kind in ("dct", "block", "spike"):
        basis = experiments.gain_subspace(kind, 64, 4)
        assert basis.shape == (64, 4)
        np.testing.assert_allclose(basis.T @ basis, np.eye(4), atol=1e-12)
        ones = np.ones(64)
        np.testing.assert_allclose(basis @ (basis.T @ ones), ones, atol=1e-12)
    # Block indicators are flat (mu_max = 1); single-sensor spikes are the coherent case.
    assert experiments.coherence(experiments.gain_subspace("block", 64, 4)) == pytest.approx(1.0)
    assert experiments.coherence(experiments.gain_subspace("spike", 64, 4)) > 3.5
    with pytest.raises(ValueError, match="gain basis"):
        experiments.gain_subspace("wavelet", 64, 4)


# 4x4 sensors: on a 2x2 grid the radial vignetting is constant and vignetting_gains returns unit gains.
IMAGE = {"rows": 8, "cols": 8, "sensor_rows": 4, "sensor_cols": 4, "rho": 0.3, "max_iter": 500}
IMAGING_NAMES = [
    *(f"{kind}_{method}" for kind in ("psnr", "err_x", "err_x_best") for method in ("blind", "pgd", "oracle")),
    "err_g_pgd", "err_g_best_pgd", "psnr_best", "iters_pgd", "converged_pgd", "snapshots",
]
BEST = {"err_x_best_blind", "err_x_best_pgd", "err_x_best_oracle", "err_g_best_pgd", "psnr_best"}


@pytest.mark.parametrize("snr_db", [None, 30])
def test_imaging_trial_metrics(snr_db):
    plain = experiments.imaging_trial(
        {**IMAGE, "prior": "none", "scene": "phantom", "oversampling": 2.0, "snr_db": snr_db},
        np.random.default_rng(0),
    )
    _assert_metrics(plain, IMAGING_NAMES, undefined=BEST)
    assert plain["snapshots"] == math.ceil(2 * (64 + 16 - 1) / 16)
    if snr_db is None:  # noiseless, twice the counting bound: PGD is exact, ignoring the gains is not
        assert plain["psnr_pgd"] > 100 and plain["psnr_blind"] < 60
    for scene in ("phantom", "projected"):
        prior = experiments.imaging_trial(
            {**IMAGE, "prior": "subspace", "scene": scene, "oversampling": 8.0, "signal_atoms": 8,
             "gain_atoms": 3, "snr_db": snr_db},
            np.random.default_rng(0),
        )
        _assert_metrics(prior, IMAGING_NAMES)
        assert prior["snapshots"] == math.ceil(8 * (8 + 3 - 1) / 16)
    with pytest.raises(ValueError, match="scene"):
        experiments.imaging_trial({**IMAGE, "prior": "none", "scene": "projected", "oversampling": 2.0,
                                   "snr_db": None}, np.random.default_rng(0))


def test_tour_calibration_study(tmp_path):
    from sigrec.simulate.tour import _plot_tour, tour_trial

    sub_grids = [sub for sub in get_experiment("tour").quick["grid"] if sub["study"] == ["calibration"]]
    assert len(sub_grids) == 1
    tour = Experiment(name="_test_tour_calibration", trial=tour_trial, grid=sub_grids, n_trials=1)
    summary = summarize(run(tour, progress=False), tour).set_index("p")
    assert summary.loc[16, "success_pgd_ls_mean"] == summary.loc[16, "success_linls_mean"] == 1.0
    paths = _plot_tour(summary.reset_index(), tmp_path)
    assert [path.name for path in paths] == ["tour-calibration.png"]


def test_cli_quick_run_and_report(tmp_path):
    store = tmp_path / "phase.sqlite"
    done = _sigrec("run", "calibration-phase-transition", "--quick", "--store", str(store), "--quiet")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "figures"
    reported = _sigrec("report", "calibration-phase-transition", "--store", str(store), "--out", str(out))
    assert reported.returncode == 0, reported.stderr
    figures = sorted(out.glob("*.png"))
    assert [f.name for f in figures] == ["calibration-phase-transition_n64_rho0.5.png"]
    assert figures[0].stat().st_size > 5000
    summary = pd.read_csv(out / "calibration-phase-transition_summary.csv").set_index(["m", "p"])
    assert len(summary) == 6 and (summary["n_trials"] == 2).all()
    # m p = 512 is far above the counting bound; m p = 16 is far below it.
    assert summary.loc[(32, 16), "success_linls_mean"] == 1.0
    assert summary.loc[(8, 2), ["success_pgd_ls_mean", "success_linls_mean"]].max() == 0.0


def test_other_reports_write_their_figures(tmp_path):
    from sigrec.simulate import report

    for name in NAMES[1:]:
        store = tmp_path / f"{name}.sqlite"
        run(name, quick=True, progress=False, store=store)
        _, figures = report(name, store, tmp_path / "out")
        assert figures and all(path.stat().st_size > 5000 for path in figures), name


def test_plot_helpers_draw_and_return_axes():
    summary = pd.DataFrame(
        [{"m": m, "p": p, "success_mean": float(m * p >= 64 + m - 1)} for m in (8, 16, 32) for p in (2, 4, 8)]
    )
    figure, axes = plt.subplots(2, 2)
    assert plot_calibration_phase_transition(summary, "success", n_features=64, ax=axes[0, 0]) is axes[0, 0]
    assert len(axes[0, 0].lines) == 2  # the two bound curves
    with pytest.raises(ValueError, match="several rows"):
        plot_calibration_phase_transition(pd.concat([summary, summary]), "success", n_features=64)
    with pytest.raises(ValueError, match="lacks"):
        plot_calibration_phase_transition(summary, "missing", n_features=64)
    assert plot_gain_map(np.linspace(0.7, 1.3, 16), (4, 4), ax=axes[0, 1], title="gains") is axes[0, 1]
    with pytest.raises(ValueError, match="sensor grid"):
        plot_gain_map(np.ones(5), (2, 2))
    assert plot_convergence([1.0, 0.1, 1e-3, 0.0], ax=axes[1, 0], label="PGD") is axes[1, 0]
    trials = pd.DataFrame({"snr_db": [10, 10, 20, 20], "err_x_db_pgd": [-10.0, -12.0, -20.0, -40.0]})
    assert plot_error_vs_snr(trials, ["pgd", "absent"], ax=axes[1, 1]) is axes[1, 1]
    np.testing.assert_allclose(axes[1, 1].lines[0].get_ydata(), [-11.0, -30.0])  # medians per SNR
    plt.close(figure)
