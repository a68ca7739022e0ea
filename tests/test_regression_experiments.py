"""Registered sparse-regression sweeps (slr-*), their trial functions and plot helpers."""

import math
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sigrec.datasets.regression import DESIGNS  # noqa: E402
from sigrec.regression import baselines, experiments  # noqa: E402
from sigrec.regression.plotting import (  # noqa: E402
    plot_learning_curves,
    plot_peeled_levels,
    plot_support_conditioning,
)
from sigrec.simulate import Experiment, get_experiment, list_experiments, run, summarize  # noqa: E402

NAMES = ["slr-learning-curves", "slr-structure"]
STRUCTURE_NAMES = [
    "peeled_total", *(f"level{i}" for i in range(1, 9)), "conditioning_before", "conditioning_after", "sparsity_hint"
]


def _sigrec(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "sigrec", *args], capture_output=True, text=True, **kwargs)


def _assert_metrics(metrics, names):
    assert set(metrics) == set(names), sorted(set(metrics) ^ set(names))
    for name, value in metrics.items():
        assert isinstance(value, float), (name, type(value))
        assert math.isfinite(value), (name, value)


def _without_times(metrics):
    return {name: value for name, value in metrics.items() if not name.startswith("time_")}


def test_experiments_are_registered_and_listed():
    registered = {experiment.name for experiment in list_experiments()}
    assert set(NAMES) <= registered
    for name in NAMES:
        experiment = get_experiment(name)
        assert experiment.quick and experiment.plot is not None and experiment.description
    listing = _sigrec("list")
    assert listing.returncode == 0, listing.stderr
    assert all(name in listing.stdout for name in NAMES)


def test_grids_follow_the_note():
    assert experiments.ALL_DESIGNS == list(DESIGNS)
    learning = get_experiment("slr-learning-curves")
    cells = Experiment.cells(learning.grid)
    pairs = {(cell["design"], cell["signal"]) for cell in cells}
    # worst everywhere, cancel only on factor designs (it needs loadings), random on four designs.
    assert {design for design, signal in pairs if signal == "worst"} == set(DESIGNS)
    assert {design for design, signal in pairs if signal == "cancel"} == set(experiments.FACTOR_DESIGNS)
    assert {design for design, signal in pairs if signal == "random"} == {"iid", "random_walk", "ar1", "one_factor"}
    assert {cell["n_samples"] for cell in cells} == {50, 100, 200, 400, 800}
    assert {(cell["n_features"], cell["n_informative"], cell["noise"]) for cell in cells} == {(1000, 10, 0.5)}
    assert learning.n_trials == 20 and len(cells) == 18 * 5
    assert set(experiments.parse_methods(experiments.FULL_METHODS)) <= set(baselines.METHODS)
    quick, trials = learning.resolve(quick=True)
    assert trials == 2 and len(Experiment.cells(quick)) == 6
    structure = get_experiment("slr-structure")
    assert {cell["design"] for cell in Experiment.cells(structure.grid)} == set(DESIGNS)


def test_parse_methods():
    assert experiments.parse_methods("omp_cv, iht+omp_cv") == ["omp_cv", "iht"]
    assert experiments.parse_methods(["iht"]) == ["iht"]
    with pytest.raises(ValueError, match="unknown method"):
        experiments.parse_methods("omp_cv,lasso")
    with pytest.raises(ValueError, match="unknown method"):
        experiments.parse_methods(" , ")


def test_learning_curves_trial_runs_every_full_method():
    methods = experiments.parse_methods(experiments.FULL_METHODS)
    params = {"design": "one_factor", "signal": "worst", "n_samples": 60, "n_features": 120, "n_informative": 4,
              "noise": 0.5, "methods": experiments.FULL_METHODS}
    metrics = experiments.learning_curves_trial(params, np.random.default_rng(0))
    names = [f"{kind}_{method}" for kind in ("in", "out", "time") for method in methods]
    _assert_metrics(metrics, [*names, "peeled", "oracle_in", "oracle_out"])
    assert metrics["peeled"] == 1.0  # the one factor
    assert all(metrics[name] >= 0 for name in names)
    assert metrics["oracle_in"] < 0.5  # OLS on the true support: about σ²k/N = 0.017


def test_learning_curves_trial_is_paired_deterministic_and_skips_missing(monkeypatch):
    def never_called(X, y, *, n_informative, noise, random_state):
        raise AssertionError("a method with a missing dependency ran")

    monkeypatch.setitem(baselines.METHODS, "_absent", (never_called, "sigrec_no_such_package"))
    params = {"design": "random_walk", "signal": "worst", "n_samples": 60, "n_features": 120, "n_informative": 4,
              "noise": 0.5, "methods": "omp_cv,iht,_absent"}
    first = experiments.learning_curves_trial(params, np.random.default_rng(3))
    names = [f"{kind}_{method}" for kind in ("in", "out", "time") for method in ("omp_cv", "iht")]
    _assert_metrics(first, [*names, "peeled", "oracle_in", "oracle_out"])
    second = experiments.learning_curves_trial(params, np.random.default_rng(3))
    assert _without_times(first) == _without_times(second)
    # The data depend on the generator, not on the methods: adding a method leaves the others' scores alone.
    alone = experiments.learning_curves_trial({**params, "methods": "iht"}, np.random.default_rng(3))
    assert alone["in_iht"] == first["in_iht"] and alone["oracle_in"] == first["oracle_in"]


def test_structure_trial_metrics_and_determinism():
    params = {"design": "iid", "n_samples": 60, "n_features": 120}
    metrics = experiments.structure_trial(params, np.random.default_rng(0))
    _assert_metrics(metrics, STRUCTURE_NAMES)
    assert metrics["peeled_total"] == 0.0  # nothing is heavy in an i.i.d. design
    # Unchanged columns, fresh random supports for the second probe: equal up to probe noise.
    assert metrics["conditioning_before"] > 0.3 and metrics["conditioning_after"] > 0.3
    assert abs(metrics["conditioning_before"] - metrics["conditioning_after"]) < 0.1
    assert metrics == experiments.structure_trial(params, np.random.default_rng(0))


def test_structure_one_factor_peels_exactly_one_direction():
    metrics = experiments.structure_trial(
        {"design": "one_factor", "n_samples": 200, "n_features": 200}, np.random.default_rng(1)
    )
    assert metrics["level1"] == 1.0 and metrics["peeled_total"] == 1.0
    assert all(metrics[f"level{i}"] == 0.0 for i in range(2, 9))
    # The factor makes random supports nearly dependent; peeling it restores their conditioning.
    assert metrics["conditioning_before"] < 0.1 < 0.5 < metrics["conditioning_after"]


def test_tour_regression_study(tmp_path):
    from sigrec.simulate.tour import _plot_tour, tour_trial

    sub_grids = [sub for sub in get_experiment("tour").quick["grid"] if sub["study"] == ["regression"]]
    assert len(sub_grids) == 1 and sub_grids[0]["design"] == ["two_scale"]
    tour = Experiment(name="_test_tour_regression", trial=tour_trial, grid=sub_grids, n_trials=1)
    summary = summarize(run(tour, progress=False, n_trials=1), tour)
    headline = summary.set_index("n_samples").loc[200]
    # Two-scale design, cancelling coefficients: Lasso stays far from the oracle, RSP does not.
    assert headline["in_rsp_union_mean"] < 0.5 * headline["in_lasso_cv_mean"]
    paths = _plot_tour(summary, tmp_path)
    assert [path.name for path in paths] == ["tour-regression_in_sample_d200_k5.png"]


def test_cli_quick_structure_run_and_report(tmp_path):
    store = tmp_path / "structure.sqlite"
    done = _sigrec("run", "slr-structure", "--quick", "--store", str(store), "--quiet")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "figures"
    reported = _sigrec("report", "slr-structure", "--store", str(store), "--out", str(out))
    assert reported.returncode == 0, reported.stderr
    figures = sorted(out.glob("*.png"))
    assert [figure.name for figure in figures] == ["slr-structure.png"]
    assert figures[0].stat().st_size > 5000
    summary = pd.read_csv(out / "slr-structure_summary.csv").set_index(["design", "n_samples"])
    assert len(summary) == 2 * len(DESIGNS) and (summary["n_trials"] == 2).all()
    assert summary.loc[("one_factor", 200), "level1_mean"] == 1.0
    assert summary.loc[("block_factors", 200), "level1_mean"] == 5.0
    assert summary.loc[("iid", 200), "peeled_total_mean"] == 0.0


def _synthetic_trials():
    rows = []
    for design, signal in (("two_scale", "worst"), ("iid", "random")):
        for n in (50, 100, 200):
            for trial in range(3):
                rows.append({"design": design, "signal": signal, "n_samples": n, "n_features": 200,
                             "n_informative": 5, "noise": 0.5, "methods": "rsp_union,lasso_cv",
                             "in_rsp_union": 2.0 / n * (1 + trial), "in_lasso_cv": 0.5 + 0.1 * trial,
                             "out_rsp_union": 3.0 / n, "out_lasso_cv": 0.9, "time_rsp_union": 0.1,
                             "time_lasso_cv": 0.2})
    return pd.DataFrame(rows)


def test_learning_curve_figures_use_the_trials_beside_the_summary(tmp_path):
    trials = _synthetic_trials()
    trials.to_csv(tmp_path / "slr-learning-curves_trials.csv", index=False)
    paths = experiments._plot_learning_curves(pd.DataFrame(), tmp_path)
    assert [path.name for path in paths] == [
        "slr-learning-curves_in_sample_d200_k5.png", "slr-learning-curves_out_of_sample_d200_k5.png"
    ]
    assert all(path.stat().st_size > 5000 for path in paths)


def test_plot_helpers_draw_and_return_axes():
    trials = _synthetic_trials()
    figure, axes = plt.subplots(2, 3)
    ax = plot_learning_curves(trials, design="two_scale", signal="worst", ax=axes[0, 0], n_informative=5)
    assert ax is axes[0, 0]
    labels = [line.get_label() for line in ax.lines]
    assert labels[:2] == ["RSP (union)", "LassoCV"] and len(ax.lines) == 5  # 2 methods, σ², 1, oracle curve
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2 * 2.0 / n for n in (50, 100, 200)])  # medians
    assert len(ax.collections) == 2  # the IQR bands
    assert ax.get_xscale() == ax.get_yscale() == "log"
    scores = [column for column in trials.columns if column.startswith(("in_", "out_", "time_"))]
    summary = trials.groupby(["design", "signal", "n_samples"], as_index=False)[scores].mean()
    summary = summary.rename(columns={column: f"{column}_mean" for column in scores})
    means = plot_learning_curves(summary, design="iid", signal="random", methods=["lasso_cv", "absent"],
                                 metric="out_of_sample", ax=axes[0, 1])
    assert [line.get_label() for line in means.lines][0] == "LassoCV" and not means.collections
    plot_learning_curves(trials, design="iid", signal="random", metric="time", ax=axes[0, 2])
    assert len(axes[0, 2].lines) == 2  # no reference levels for times
    diverged = plot_learning_curves(trials.assign(in_cosamp=5e7), design="iid", signal="random")
    assert diverged.get_ylim()[1] == 10.0  # a diverging method does not squash the others
    plt.close(diverged.figure)
    with pytest.raises(ValueError, match="metric"):
        plot_learning_curves(trials, design="iid", signal="random", metric="bias")
    with pytest.raises(ValueError, match="no rows"):
        plot_learning_curves(trials, design="ar1", signal="worst")
    assert plot_peeled_levels({"iid": [], "two_scale": [1, 4], "random_walk": [2, 3, 1]}, ax=axes[1, 0]) is axes[1, 0]
    assert len(axes[1, 0].containers) == 3  # one stacked series per level that peeled something
    with pytest.raises(TypeError):
        plot_peeled_levels([[1, 4]])
    before, after = {"iid": 0.7, "two_scale": 8e-3}, {"iid": 0.7, "two_scale": 0.68}
    assert plot_support_conditioning(before, after, ax=axes[1, 1]) is axes[1, 1]
    assert axes[1, 1].get_yscale() == "log" and len(axes[1, 1].patches) == 4
    plot_support_conditioning([0.1, float("nan")], [0.5, 0.6], labels=["a", "b"], ax=axes[1, 2])
    with pytest.raises(ValueError, match="same length"):
        plot_support_conditioning([0.1], [0.5, 0.6])
    plt.close(figure)
