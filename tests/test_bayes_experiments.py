"""Registered Kronecker SBL sweeps (kron-sbl-*, irs-channel), their trial functions and plot helpers."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sigrec.bayes import experiments  # noqa: E402
from sigrec.bayes.plotting import plot_irs, plot_method_metric, plot_nmse_curves, plot_scaling  # noqa: E402
from sigrec.simulate import get_experiment, list_experiments, report, run, summarize  # noqa: E402

NAMES = ["kron-sbl-snr", "kron-sbl-measurements", "kron-sbl-sparsity", "kron-sbl-scaling", "irs-channel"]


def _assert_finite_floats(metrics):
    for name, value in metrics.items():
        assert isinstance(value, float), (name, type(value))
        assert math.isfinite(value), (name, value)


def _expected(methods, *, extra=("iters",), oracle=("nmse", "nmse_db", "srr", "time")):
    keys = {f"{metric}_oracle" for metric in oracle}
    for method in methods:
        keys |= {f"{metric}_{method}" for metric in (*oracle, "ratio", "success", *extra)}
    return keys


def test_experiments_are_registered():
    registered = {experiment.name for experiment in list_experiments()}
    assert set(NAMES) <= registered
    for name in NAMES:
        experiment = get_experiment(name)
        assert experiment.quick and experiment.description and experiment.plot is not None
    # The paper's three sweeps (note §3.1).
    assert get_experiment("kron-sbl-snr").grid[0]["snr_db"] == [5, 10, 15, 20, 25, 30]
    assert get_experiment("kron-sbl-measurements").grid[0]["m1"] == [6, 8, 10, 12, 14]
    assert get_experiment("kron-sbl-sparsity").grid[0]["k_i"] == [2, 3, 4, 5, 6]
    # Classic SBL is opt-in in the sweeps (5-30 s per fit at N = 3375).
    assert "csbl" not in get_experiment("kron-sbl-snr").grid[0]["methods"][0]


def test_sweep_trial_metrics_and_ordering():
    # Paper size (N = 15³, M = 8·12·15, K_i = 3) at 25 dB, known σ².
    metrics = experiments.kronecker_sweep_trial({"snr_db": 25, "m1": 8, "k_i": 3}, np.random.default_rng(0))
    _assert_finite_floats(metrics)
    assert set(metrics) == _expected(["svd", "am", "ksbl", "komp"])
    # SVD-KroSBL near the oracle (note T5: ≤ 3×) and well below KOMP, which overfits up to 10 atoms per mode.
    assert metrics["nmse_svd"] <= 3 * metrics["nmse_oracle"]
    assert metrics["nmse_svd"] < metrics["nmse_komp"]
    assert metrics["ratio_svd"] == pytest.approx(metrics["nmse_svd"] / metrics["nmse_oracle"])
    assert metrics["success_svd"] == 1.0
    assert metrics["nmse_db_svd"] == pytest.approx(10 * math.log10(metrics["nmse_svd"]))
    assert 0.0 <= metrics["srr_svd"] <= 1.0


def test_sweep_trial_options():
    params = {"snr_db": 20, "m1": 5, "k_i": 2, "n_i": 8, "values": "iid", "learn_noise": True, "pruning": "paper",
              "methods": "svd+svd_safeguard+komp_noise+csbl"}
    metrics = experiments.kronecker_sweep_trial(params, np.random.default_rng(1))
    _assert_finite_floats(metrics)
    assert set(metrics) == _expected(["svd", "svd_safeguard", "komp_noise", "csbl"])
    with pytest.raises(ValueError, match="unknown method"):
        experiments.kronecker_sweep_trial({**params, "methods": "svd+lasso"}, np.random.default_rng(1))
    with pytest.raises(ValueError, match="pruning"):
        experiments.kronecker_sweep_trial({**params, "pruning": "none"}, np.random.default_rng(1))
    assert experiments.parse_methods("komp,svd+oracle", experiments.SWEEP_METHODS) == ["svd", "komp"]


def test_support_recovery_rate():
    truth = np.array([0.0, 1.0, 2.0, 0.0])
    assert experiments.support_recovery_rate(truth, truth) == 1.0
    assert experiments.support_recovery_rate(np.array([1.0, 1.0, 0.0, 1e-4]), truth) == pytest.approx(1 / 3)
    assert experiments.support_recovery_rate(np.zeros(4), truth) == 0.0


def test_scaling_trial():
    three = experiments.scaling_trial({"n_modes": 3, "n_i": 6, "k_i": 3, "snr_db": 25}, np.random.default_rng(2))
    _assert_finite_floats(three)
    methods = ["svd", "am", "komp", "csbl"]
    assert set(three) == _expected(methods, extra=("iters", "time_per_iter")) | {"n_features", "n_measurements"}
    assert three["n_features"] == 216 and three["n_measurements"] == 3 * 5 * 6
    # Above csbl_max_features classic SBL is skipped and its metrics are left out.
    capped = experiments.scaling_trial({"n_modes": 3, "n_i": 6, "k_i": 3, "snr_db": 25, "csbl_max_features": 100},
                                       np.random.default_rng(2))
    assert not any(name.endswith("_csbl") for name in capped)
    two = experiments.scaling_trial({"n_modes": 2, "n_i": 32, "k_i": 4, "snr_db": 25,
                                     "methods": experiments.SCALING_KRONECKER}, np.random.default_rng(3))
    _assert_finite_floats(two)
    assert two["n_features"] == 1024 and two["ratio_svd"] < 3
    with pytest.raises(ValueError, match="n_modes"):
        experiments.scaling_trial({"n_modes": 4, "n_i": 6, "k_i": 3, "snr_db": 25}, np.random.default_rng(2))


def test_irs_channel_trial():
    metrics = experiments.irs_channel_trial({"snr_db": 20, "methods": "svd+komp", "n_symbols": 500},
                                            np.random.default_rng(4))
    _assert_finite_floats(metrics)
    expected = _expected(["svd", "komp"], oracle=("nmse", "nmse_db", "ser", "ser_channel", "time"))
    assert set(metrics) == expected | {"ser_perfect", "ser_channel_perfect"}
    assert metrics["nmse_svd"] <= 5 * metrics["nmse_oracle"]  # note T9 at 20 dB
    assert all(0.0 <= value <= 1.0 for name, value in metrics.items() if name.startswith("ser"))


def test_quick_runs_and_reports(tmp_path):
    store = tmp_path / "measurements.sqlite"
    frame = run("kron-sbl-measurements", quick=True, store=store, progress=False)
    summary = summarize(frame, "kron-sbl-measurements")
    assert len(summary) == 2 and {"nmse_svd_mean", "srr_oracle_mean", "time_komp_mean"} <= set(summary.columns)
    # report() writes the trials beside the figures, so the plot draws medians as well.
    _, paths = report("kron-sbl-measurements", store, tmp_path / "report")
    assert paths and all(path.stat().st_size > 5000 for path in paths)

    # Classic SBL capped below N = 512: its metrics are missing there and summarise to NaN.
    scaling = summarize(run("kron-sbl-scaling", quick=True, grid={"csbl_max_features": [300]}, progress=False),
                        "kron-sbl-scaling")
    big = scaling[(scaling["n_modes"] == 3) & (scaling["n_i"] == 8)]
    small = scaling[(scaling["n_modes"] == 3) & (scaling["n_i"] == 6)]
    assert big["time_csbl_mean"].isna().all() and small["time_csbl_mean"].notna().all()
    paths = get_experiment("kron-sbl-scaling").plot(scaling, tmp_path)
    assert all(path.stat().st_size > 5000 for path in paths)

    irs = summarize(run("irs-channel", quick=True, n_trials=1, grid={"methods": ["svd+komp"], "n_symbols": [200]},
                        progress=False), "irs-channel")
    paths = get_experiment("irs-channel").plot(irs, tmp_path)
    assert all(path.stat().st_size > 5000 for path in paths)
    plt.close("all")


def test_plot_helpers_return_axes():
    summary = pd.DataFrame({
        "snr_db": [5, 15, 25],
        "nmse_svd_mean": [1e-2, 1e-3, 1e-4],
        "nmse_db_svd_mean": [-21.0, -31.0, -41.0],
        "nmse_oracle_mean": [5e-3, 5e-4, 5e-5],
        "nmse_db_oracle_mean": [-23.0, -33.0, -43.0],
        "srr_svd_mean": [0.5, 0.9, 1.0],
        "ser_svd_mean": [0.1, 1e-3, 0.0],
        "ser_perfect_mean": [0.09, 1e-3, 0.0],
    })
    ax = plot_nmse_curves(summary, "snr_db")
    assert len(ax.lines) == 2 and "NMSE (dB)" in ax.get_ylabel()
    oracle = [line for line in ax.lines if line.get_label() == "oracle LS"][0]
    assert oracle.get_linestyle() == "--"
    assert np.allclose(ax.lines[0].get_ydata(), [-20, -30, -40])
    median = plot_nmse_curves(summary, "snr_db", statistic="median")  # summary: geometric mean from the dB values
    assert "geometric-mean" in median.get_ylabel() and np.allclose(median.lines[0].get_ydata(), [-21, -31, -41])
    assert len(plot_method_metric(summary, "snr_db", "srr").lines) == 1
    assert len(plot_irs(summary, "ser").lines) == 2
    assert "channel NMSE" in plot_irs(summary, "nmse").get_ylabel()
    with pytest.raises(ValueError, match="metric"):
        plot_irs(summary, "capacity")
    trials = pd.DataFrame({
        "n_modes": [3, 3, 3, 3, 2, 2],
        "n_features": [216, 216, 512, 512, 1024, 1024],
        "time_svd": [0.01, 0.02, 0.02, 0.03, 0.02, 0.02],
        "time_csbl": [0.1, 0.1, 0.5, 0.7, np.nan, np.nan],
        "ratio_svd": [1.0, 1.2, 1.1, 1.0, 1.0, 1.0],
    })
    ax = plot_scaling(trials)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.lines]
    assert "SVD-KroSBL" in labels and "SVD-KroSBL (I = 2)" in labels and "classic SBL" in labels
    assert len(plot_scaling(trials, metric="ratio").lines) == 2
    plt.close("all")
