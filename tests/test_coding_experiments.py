"""Registered coding sweeps and plot helpers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sigrec.coding.baselines import omp_encode, sklearn_lasso_encode  # noqa: E402
from sigrec.coding.plotting import plot_atoms, plot_error_vs_sparsity, plot_thresholding_operators  # noqa: E402
from sigrec.simulate import report, run, summarize  # noqa: E402


def test_support_recovery_sweep_quick(tmp_path):
    store = tmp_path / "support.sqlite"
    trials = run("coding-support-recovery", quick=True, progress=False, store=store)
    summary = summarize(trials, "coding-support-recovery").set_index("method")
    assert set(summary.index) == {"l1", "cel0", "omp"}
    assert (summary["mean_l0_mean"] - 6).abs().max() <= 0.2  # matched sparsity
    assert summary.loc["cel0", "exact_support_mean"] > summary.loc["l1", "exact_support_mean"]
    _, figures = report("coding-support-recovery", store, tmp_path)
    assert figures and figures[0].stat().st_size > 5000


@pytest.mark.slow
def test_matched_sparsity_sweep_quick():
    summary = summarize(run("coding-matched-sparsity", quick=True, progress=False), "coding-matched-sparsity")
    errors = summary.set_index("method")["relative_error_mean"]
    assert errors["cel0"] < errors["l1"]


def test_baselines_shapes_and_errors():
    rng = np.random.default_rng(0)
    dictionary = rng.standard_normal((20, 10))
    signals = rng.standard_normal((5, 10))
    codes = omp_encode(signals, dictionary, 3)
    assert codes.shape == (5, 20) and (np.count_nonzero(codes, axis=1) <= 3).all()
    assert sklearn_lasso_encode(signals, dictionary, 0.1).shape == (5, 20)
    single = omp_encode(signals[:1], dictionary, 2)
    assert single.shape == (1, 20)
    with pytest.raises(ValueError, match="n_nonzero_coefs"):
        omp_encode(signals, dictionary, 11)
    with pytest.raises(ValueError, match="algorithm"):
        sklearn_lasso_encode(signals, dictionary, 0.1, algorithm="omp")


def test_plot_helpers_draw_and_return_axes():
    fig, axes = plt.subplots(1, 3)
    assert plot_thresholding_operators(ax=axes[0]) is axes[0]
    assert len(axes[0].lines) == 6  # identity + five operators
    curves = {"l1": ([8, 16], [0.4, 0.25]), "cel0": ([8, 16], [0.17, 0.1])}
    assert plot_error_vs_sparsity(curves, ax=axes[1]) is axes[1]
    atoms = np.random.default_rng(0).standard_normal((10, 16))
    assert plot_atoms(atoms, ax=axes[2]) is axes[2]
    with pytest.raises(ValueError, match="not square"):
        plot_atoms(np.ones((3, 10)))
    plt.close(fig)
