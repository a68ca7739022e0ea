"""Registered DPS sweeps (dps-*), their trial functions, the plot helpers and the tour's sampling study."""

import math
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sigrec.sampling import experiments  # noqa: E402
from sigrec.sampling.plotting import plot_mask, plot_metric_vs_k, plot_reconstructions  # noqa: E402
from sigrec.simulate import Experiment, get_experiment, list_experiments, report, run, summarize  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NAMES = ["dps-pulse-echo", "dps-digits", "dps-spikes"]


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """Call trials as the sweep runner does, with BLAS pinned to one thread.

    FISTA's 300 small matrix products per mask ran 7-15x slower with two
    BLAS threads on two busy cores (measured).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def _assert_finite_floats(metrics):
    for name, value in metrics.items():
        assert isinstance(value, float), (name, type(value))
        assert math.isfinite(value), (name, value)


def test_experiments_are_registered():
    registered = {experiment.name for experiment in list_experiments()}
    assert set(NAMES) <= registered
    for name in NAMES:
        experiment = get_experiment(name)
        assert experiment.quick and experiment.description and experiment.plot is not None
    # The note's benchmark sizes (§5) and the grids over K.
    assert get_experiment("dps-pulse-echo").grid[0] == {"n_keep": [8, 16, 32], "n_train": [4000], "n_test": [500],
                                                        "n_epochs": [30]}
    assert get_experiment("dps-digits").grid[0]["n_keep"] == [4, 8, 16]
    assert get_experiment("dps-spikes").grid[0]["n_keep"] == [16, 32]


def test_listing_experiments_does_not_import_torch():
    code = ("import sys; from sigrec.simulate import list_experiments; names = [e.name for e in list_experiments()]; "
            "assert 'dps-digits' in names; assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_pulse_echo_trial_metrics_and_ordering():
    # B1 at K = 16 on a small training set: DPS finds the pulse's band (note T5, shorter schedule).
    params = {"n_keep": 16, "n_train": 1000, "n_test": 200, "n_epochs": 10}
    metrics = experiments.pulse_echo_trial(params, np.random.default_rng(0))
    _assert_finite_floats(metrics)
    expected = {"duplicates_dps", "time_dps"}
    for mask in experiments.PULSE_ECHO_MASKS:
        expected |= {f"nmse_linear_{mask}", f"nmse_fista_{mask}", f"band6_{mask}"}
    assert set(metrics) == expected
    for decoder in ("linear", "fista"):
        assert metrics[f"nmse_{decoder}_dps"] < metrics[f"nmse_{decoder}_equispaced"] - 6.0
        assert metrics[f"nmse_{decoder}_dps"] < metrics[f"nmse_{decoder}_random_half"] - 6.0
        assert metrics[f"nmse_{decoder}_dps"] < metrics[f"nmse_{decoder}_band_oracle"] + 1.0
    assert metrics["band6_dps"] >= 0.8 and metrics["duplicates_dps"] <= 1.0
    assert metrics["band6_band_oracle"] >= metrics["band6_random_half"]
    assert metrics["time_dps"] > 0.0


def test_digits_trial_reconstruction_and_classification():
    params = {"n_keep": 8, "n_train": 1200, "n_epochs": 15, "classifier_epochs": 10}
    metrics = experiments.digits_trial(params, np.random.default_rng(1))
    _assert_finite_floats(metrics)
    expected = {f"psnr_{mask}" for mask in experiments.DIGITS_MASKS}
    expected |= {f"accuracy_logreg_{mask}" for mask in experiments.CLASSIFIER_MASKS}
    expected |= {"accuracy_dps", "duplicates_dps", "time_dps", "time_dps_classifier"}
    assert set(metrics) == expected
    # Guessing the training mean gives 11.4 dB; the learned mask beats the full-spectrum masks (note P7).
    assert metrics["psnr_dps"] > 15.0
    assert metrics["psnr_dps"] > metrics["psnr_random_full"] + 1.0
    assert metrics["psnr_low_pass_half"] > metrics["psnr_low_pass_full"]
    assert metrics["psnr_dps"] < metrics["psnr_greedy"] + 1.0
    for name in ("accuracy_dps", *(f"accuracy_logreg_{mask}" for mask in experiments.CLASSIFIER_MASKS)):
        assert 0.1 < metrics[name] <= 1.0
    assert metrics["accuracy_dps"] > 0.7


def test_digits_trial_mask_subset_without_classification():
    # The tour's form: a few masks, no classifier; without DPS no torch work at all.
    metrics = experiments.digits_trial({"n_keep": 4, "n_epochs": 1, "masks": "random_half+low_pass_half"},
                                       np.random.default_rng(2))
    assert set(metrics) == {"psnr_random_half", "psnr_low_pass_half"}
    with pytest.raises(ValueError, match="unknown mask"):
        experiments.digits_trial({"n_keep": 4, "n_epochs": 1, "masks": "dps+band_oracle"}, np.random.default_rng(2))
    assert experiments.parse_masks("greedy,dps", experiments.DIGITS_MASKS) == ["dps", "greedy"]
    with pytest.raises(ValueError, match="selects nothing"):
        experiments.parse_masks("+", experiments.DIGITS_MASKS)


def test_spikes_trial_metrics_and_ordering():
    params = {"n_keep": 16, "n_train": 1000, "n_test": 200, "n_epochs": 5}
    metrics = experiments.spikes_trial(params, np.random.default_rng(3))
    _assert_finite_floats(metrics)
    expected = {f"nmse_fista_{mask}" for mask in experiments.SPIKES_MASKS}
    assert set(metrics) == expected | {"nmse_lista_dps", "duplicates_dps", "time_dps"}
    # Flat spectrum: DPS is not worse than a random half-spectrum mask (note T7) and clearly beats the
    # structured bad masks; the symmetric low-pass and equispaced masks waste samples on conjugate pairs.
    assert metrics["nmse_fista_dps"] <= metrics["nmse_fista_random_half"] + 1.0
    assert metrics["nmse_fista_dps"] < metrics["nmse_fista_low_pass_half"] - 3.0
    assert metrics["nmse_fista_dps"] < metrics["nmse_fista_equispaced"] - 3.0
    assert metrics["nmse_fista_low_pass_half"] < metrics["nmse_fista_low_pass_full"]


def test_trial_restores_torch_threads():
    import torch

    torch.set_num_threads(2)
    try:
        experiments.digits_trial({"n_keep": 4, "n_epochs": 1, "masks": "dps"}, np.random.default_rng(4))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)  # the module fixture's setting


def test_quick_grid_run_and_report(tmp_path):
    store = tmp_path / "spikes.sqlite"
    frame = run("dps-spikes", quick=True, store=store, progress=False,
                grid={"n_train": [300], "n_test": [50], "n_epochs": [1]})
    assert len(summarize(frame, "dps-spikes")) == 2
    summary, paths = report("dps-spikes", store, tmp_path / "report")
    assert {"nmse_fista_dps_mean", "nmse_lista_dps_mean"} <= set(summary.columns)
    assert [path.name for path in paths] == ["dps-spikes.png"] and paths[0].stat().st_size > 5000


def _fake_summary():
    rows = []
    for k in (4, 8, 16):
        row = {"n_keep": k, "n_train": 1200, "n_test": 500, "n_epochs": 30, "classifier_epochs": 30, "n_trials": 3}
        for offset, mask in enumerate(experiments.PULSE_ECHO_MASKS + ("random_full",)):
            for prefix in ("nmse_linear", "nmse_fista", "psnr", "band6"):
                row[f"{prefix}_{mask}_mean"] = -k / 2 + offset if prefix != "band6" else 1.0 / (1 + offset)
                row[f"{prefix}_{mask}_sem"] = 0.1
        for mask in experiments.CLASSIFIER_MASKS:
            row[f"accuracy_logreg_{mask}_mean"] = 0.5 + k / 40
        row["accuracy_dps_mean"] = 0.6 + k / 40
        row["nmse_lista_dps_mean"] = -k / 3
        rows.append(row)
    return pd.DataFrame(rows)


def test_experiment_plots_on_a_fake_summary(tmp_path):
    summary = _fake_summary()
    names = []
    for name in NAMES:
        paths = get_experiment(name).plot(summary, tmp_path)
        assert len(paths) == 1 and paths[0].stat().st_size > 5000
        names.append(paths[0].name)
    assert names == ["dps-pulse-echo.png", "dps-digits.png", "dps-spikes.png"]
    # A second value of a non-K key gives one figure per setting.
    twice = pd.concat([summary, summary.assign(n_epochs=60)], ignore_index=True)
    paths = get_experiment("dps-pulse-echo").plot(twice, tmp_path)
    assert [path.name for path in paths] == ["dps-pulse-echo_n_epochs-30.png", "dps-pulse-echo_n_epochs-60.png"]


def test_plot_metric_vs_k():
    summary = _fake_summary()
    ax = plot_metric_vs_k(summary, "psnr", ylabel="PSNR (dB)")
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0] == "DPS (learned)" and len(labels) == len(experiments.PULSE_ECHO_MASKS) + 1
    assert ax.get_ylabel() == "PSNR (dB)" and ax.get_xlabel() == "K (elements acquired)"
    dps = ax.containers[0].lines[0]
    assert dps.get_color() == "k" and np.allclose(dps.get_ydata(), [-2, -4, -8])
    ax = plot_metric_vs_k(summary, "accuracy", masks=["dps"], labels={"dps": "joint"})
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["joint"]
    with pytest.raises(ValueError, match="no column"):
        plot_metric_vs_k(summary, "psnr", masks=["lines"])
    plt.close("all")


def test_plot_mask_and_reconstructions():
    mask = np.zeros(16, dtype=bool)
    mask[[1, 3, 15]] = True
    ax = plot_mask(mask, reference=np.arange(16.0))
    assert ax.get_title() == "K = 3" and ax.get_xlabel() == "frequency (cycles/sample)"
    # fftshift: bin 15 (frequency −1/16) sits left of DC, bins 1 and 3 to its right.
    stems = ax.lines[-1].get_xdata()
    assert np.allclose(sorted(stems), [-1 / 16, 1 / 16, 3 / 16])
    image_mask = np.zeros((8, 8), dtype=bool)
    image_mask[0, 0] = True
    ax = plot_mask(image_mask, title="DC")
    shown = ax.images[0].get_array()
    assert ax.get_title() == "DC" and shown[4, 4] == 1 and shown.sum() == 1
    with pytest.raises(ValueError, match="1-D"):
        plot_mask(np.zeros((2, 2, 2)))

    rng = np.random.default_rng(0)
    signals = rng.standard_normal((5, 64))
    ax = plot_reconstructions(signals, {"DPS": signals * 0.9, "low-pass": signals * 0.5}, n_examples=3)
    assert len(ax.lines) == 3 * 3 and len(ax.get_yticks()) == 3
    ax = plot_reconstructions(signals, {"DPS": signals}, image_shape=(8, 8), n_examples=2)
    assert ax.images[0].get_array().shape == (2 * 8 + 1, 2 * 8 + 1)
    assert [label.get_text() for label in ax.get_yticklabels()] == ["truth", "DPS"]
    with pytest.raises(ValueError, match="shape"):
        plot_reconstructions(signals, {"bad": signals[:, :10]})
    plt.close("all")


def _tour_sampling():
    from sigrec.simulate.tour import tour_trial

    sub_grids = [sub for sub in get_experiment("tour").quick["grid"] if sub["study"] == ["sampling"]]
    assert len(sub_grids) == 1 and sub_grids[0]["sampling_masks"] == ["dps+low_pass_half+random_half"]
    return Experiment(name="_test_tour_sampling", trial=tour_trial, grid=sub_grids, n_trials=1)


def test_tour_sampling_study(tmp_path):
    from sigrec.simulate.tour import _plot_tour

    tour = _tour_sampling()
    frame = run(tour, progress=False)
    assert frame["wall_time"].max() < 10.0
    summary = summarize(frame, tour).set_index("n_keep")
    # Digits at K = 8: the learned mask matches the non-redundant low-pass (note T6) and beats a random one.
    assert summary.loc[8, "psnr_dps_mean"] >= summary.loc[8, "psnr_low_pass_half_mean"] - 0.5
    assert summary.loc[8, "psnr_dps_mean"] > summary.loc[8, "psnr_random_half_mean"]
    paths = _plot_tour(summary.reset_index(), tmp_path)
    assert [path.name for path in paths] == ["tour-sampling.png"]


def test_tour_sampling_study_without_torch(monkeypatch, tmp_path):
    from sigrec.simulate import tour as tour_module

    monkeypatch.setattr(tour_module, "_torch_available", lambda: False)
    params = {"study": "sampling", "n_keep": 4, "n_epochs": 20, "sampling_masks": "dps+low_pass_half+random_half"}
    with pytest.warns(RuntimeWarning, match="PyTorch is not installed"):
        metrics = tour_module.tour_trial(params, np.random.default_rng(0))
    assert set(metrics) == {"psnr_low_pass_half", "psnr_random_half"}
    summary = pd.DataFrame([{"study": "sampling", "n_keep": 4, **{f"{k}_mean": v for k, v in metrics.items()}}])
    paths = tour_module._plot_tour(summary, tmp_path)
    assert [path.name for path in paths] == ["tour-sampling.png"]
