"""Registered sweeps for ℓq sparse coding (``sigrec run coding-...``).

- ``coding-support-recovery``: the note's synthetic T4 set-up (Gaussian
  dictionary, k-sparse codes) at matched sparsity, every penalty and OMP.
- ``coding-matched-sparsity``: held-out natural patches on the shipped
  512-atom dictionary; relative error at a target mean ℓ0 per method,
  including scikit-learn's OMP and lasso_cd.
- ``coding-overcompleteness``: each penalty learns its own dictionary of K
  atoms (8×8 patches) and is scored at matched sparsity: how many atoms
  does ℓ1 need to match CEL0?

Trial functions import sigrec.coding lazily, so listing experiments stays cheap.
"""

from __future__ import annotations

import warnings

import numpy as np

from sigrec.simulate import Experiment, register

__all__ = ["support_recovery_trial", "matched_sparsity_trial", "overcompleteness_trial"]

METHODS = ["l1", "l0", "l1/2", "l2/3", "cel0", "omp"]
# Solver per method in the sweeps: "auto" (coordinate descent) except CEL0, run as
# forward-backward splitting (monotone FISTA) so that it is not identical to l0.
_SOLVER = {"cel0": "fista"}


def _encode_at_sparsity(signals, dictionary, method, target_l0):
    """Codes whose mean ℓ0 matches ``target_l0``; OMP gets the rounded target directly."""
    from sigrec.coding import alpha_for_sparsity, sparse_encode
    from sigrec.coding.baselines import omp_encode

    if method == "omp":
        return omp_encode(signals, dictionary, max(1, round(target_l0)))
    penalty = "l1" if method == "sklearn_lasso" else method
    # CEL0 under coordinate descent is l0 coordinate descent; its relaxation shows under FBS.
    solver = _SOLVER.get(method, "auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alpha, _ = alpha_for_sparsity(signals, dictionary, target_l0, penalty=penalty, solver=solver, tolerance=0.03)
        if method == "sklearn_lasso":
            from sigrec.coding.baselines import sklearn_lasso_encode

            # Same objective as sigrec's l1 (tested), solved by scikit-learn's SparseCoder.
            return sklearn_lasso_encode(signals, dictionary, alpha)
        return sparse_encode(signals, dictionary, penalty=penalty, alpha=alpha, solver=solver)


def _relative_error(signals, codes, dictionary):
    residual = signals - codes @ dictionary
    return float(np.sum(residual**2) / np.sum(signals**2))


def support_recovery_trial(params, rng):
    """Synthetic support recovery at matched sparsity (the note's T4).

    Parameters (grid): ``method``, ``sparsity`` k, ``noise`` σ, ``n_features``,
    ``n_components``, ``n_signals``.

    Returns
    -------
    dict: ``exact_support`` (fraction of signals), ``jaccard`` (mean),
    ``code_error`` (‖Ĉ − C‖_F / ‖C‖_F), ``mean_l0``.
    """
    from sigrec.metrics import support_jaccard

    k, n, K = int(params["sparsity"]), int(params["n_features"]), int(params["n_components"])
    dictionary = rng.standard_normal((K, n))
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    truth = np.zeros((int(params["n_signals"]), K))
    for row in truth:
        support = rng.choice(K, k, replace=False)
        row[support] = rng.uniform(1, 2, k) * rng.choice([-1, 1], k)
    signals = truth @ dictionary + params["noise"] * rng.standard_normal((truth.shape[0], n))
    codes = _encode_at_sparsity(signals, dictionary, params["method"], k)
    exact = [np.array_equal(np.flatnonzero(c), np.flatnonzero(t)) for c, t in zip(codes, truth, strict=True)]
    jaccard = [support_jaccard(t != 0, c != 0) for c, t in zip(codes, truth, strict=True)]
    return {
        "exact_support": float(np.mean(exact)),
        "jaccard": float(np.mean(jaccard)),
        "code_error": float(np.linalg.norm(codes - truth) / np.linalg.norm(truth)),
        "mean_l0": float(np.count_nonzero(codes, axis=1).mean()),
    }


def matched_sparsity_trial(params, rng):
    """Held-out natural patches on the shipped 512-atom dictionary at a target mean ℓ0.

    Parameters (grid): ``method`` (a penalty, ``"omp"``), ``target_l0``, ``n_patches``.

    Returns
    -------
    dict: ``relative_error`` (‖X − CD‖² / ‖X‖²), ``mean_l0``.
    """
    from sigrec.datasets import load_natural_patches, load_patch_dictionary

    dictionary = load_patch_dictionary()
    seed = int(rng.integers(2**31))
    patches = load_natural_patches(16, int(params["n_patches"]), split="test", random_state=seed)
    codes = _encode_at_sparsity(patches, dictionary, params["method"], float(params["target_l0"]))
    return {
        "relative_error": _relative_error(patches, codes, dictionary),
        "mean_l0": float(np.count_nonzero(codes, axis=1).mean()),
    }


def overcompleteness_trial(params, rng):
    """Learn a K-atom dictionary with one penalty, then score it at matched sparsity.

    Parameters (grid): ``method`` (penalty), ``n_components`` K,
    ``target_l0``, ``n_steps`` (mini-batches of 100 8×8 patches), ``alpha``
    used while learning (per penalty, from ``_LEARNING_ALPHA``).

    Returns
    -------
    dict: ``relative_error`` on 500 held-out patches, ``mean_l0``.
    """
    from sigrec.coding import LqDictionaryLearning
    from sigrec.datasets import load_natural_patches

    seed = int(rng.integers(2**31))
    train = load_natural_patches(8, 100 * int(params["n_steps"]), split="train", random_state=seed)
    test = load_natural_patches(8, 500, split="test", random_state=seed + 1)
    learner = LqDictionaryLearning(
        int(params["n_components"]),
        penalty=params["method"],
        alpha=_LEARNING_ALPHA[params["method"]],
        batch_size=100,
        n_iter=int(params["n_steps"]),
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learner.fit(train)
    codes = _encode_at_sparsity(test, learner.components_, params["method"], float(params["target_l0"]))
    return {
        "relative_error": _relative_error(test, codes, learner.components_),
        "mean_l0": float(np.count_nonzero(codes, axis=1).mean()),
    }


# alpha used while learning 8x8 dictionaries: about 4-8 active atoms of 64-256 on whitened patches.
_LEARNING_ALPHA = {"l1": 0.15, "l0": 0.02, "l1/2": 0.08, "l2/3": 0.1, "cel0": 0.02}


def _plot_error_vs_l0(summary, out_dir, name):
    from pathlib import Path

    import pandas as pd

    from sigrec.coding.plotting import plot_error_vs_sparsity
    from sigrec.simulate import new_figure

    figure, ax = new_figure(figsize=(5.5, 4))
    table = pd.DataFrame(
        {
            "method": summary["method"],
            "mean_l0": summary["mean_l0_mean"],
            "relative_error": summary["relative_error_mean"],
        }
    )
    plot_error_vs_sparsity(table, ax=ax)
    ax.set_title(name)
    figure.tight_layout()
    path = Path(out_dir) / f"{name}.png"
    figure.savefig(path, dpi=110)
    return [path]


def _plot_overcompleteness(summary, out_dir):
    from pathlib import Path

    from sigrec.simulate import new_figure, plot_metric

    figure, ax = new_figure(figsize=(5.5, 4))
    plot_metric(summary, "relative_error", "n_components", hue="method", ax=ax, marker="o")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("number of atoms K (8×8 patches)")
    ax.set_ylabel("held-out relative error at matched ℓ0")
    figure.tight_layout()
    path = Path(out_dir) / "coding-overcompleteness.png"
    figure.savefig(path, dpi=110)
    return [path]


def _plot_support(summary, out_dir):
    from pathlib import Path

    from sigrec.simulate import new_figure, plot_metric

    figure, axes = new_figure(1, 2, figsize=(10, 3.8))
    plot_metric(summary, "exact_support", "sparsity", hue="method", ax=axes[0], marker="o")
    plot_metric(summary, "code_error", "sparsity", hue="method", ax=axes[1], marker="o")
    axes[1].set_yscale("log")
    figure.tight_layout()
    path = Path(out_dir) / "coding-support-recovery.png"
    figure.savefig(path, dpi=110)
    return [path]


# The tour's table: sigrec's non-convex coders first, then the anchors (ℓ1, the convex reference, and OMP).
_TOUR_ORDER = ["l0", "l1/2", "l2/3", "cel0", "l1", "sklearn_lasso", "omp"]
_TOUR_LABELS = {"l0": "ℓ0", "l1/2": "ℓ1/2", "l2/3": "ℓ2/3", "cel0": "CEL0", "l1": "ℓ1 (anchor)",
                "sklearn_lasso": "scikit-learn Lasso", "omp": "OMP (anchor)"}


def tour_table(summary):
    """The tour's coding section: relative error at matched sparsity, each coder against ℓ1 and OMP.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-cell summary of :func:`matched_sparsity_trial` (``method``,
        ``target_l0``, ``n_patches``, ``relative_error_mean``, ``mean_l0_mean``).

    Returns
    -------
    str
        A sentence on the study, then a markdown table with one row per
        (target ℓ0, method) and the ratios of its error to ℓ1's and OMP's at
        the same target (``—`` when that anchor is not in the grid).
    """
    from sigrec.simulate._report import markdown_table

    order = {method: index for index, method in enumerate(_TOUR_ORDER)}
    rows = []
    for target, group in summary.groupby("target_l0", sort=True):
        errors = dict(zip(group["method"], group["relative_error_mean"], strict=True))
        for row in sorted(group.itertuples(index=False), key=lambda r: order.get(r.method, len(order))):
            error = row.relative_error_mean
            rows.append([_TOUR_LABELS.get(row.method, row.method), target, row.mean_l0_mean, error,
                         error / errors["l1"] if "l1" in errors else None,
                         error / errors["omp"] if "omp" in errors else None])
    patches = ", ".join(f"{n:g}" for n in sorted(summary["n_patches"].unique()))
    intro = (f"Sparse coding of {patches} held-out 16×16 natural-image patches per trial on the shipped 512-atom "
             "dictionary, every coder at the same mean number of non-zeros (each penalty's α is searched to "
             "match the target ℓ0; OMP is given it): relative error ‖X − CD‖²/‖X‖², mean over trials. Ratios are "
             "the coder's error over the anchor's at the same target; below 1 the coder is more accurate.")
    table = markdown_table(
        rows, ["coder", "target ℓ0", "mean ℓ0", "relative error", "÷ ℓ1", "÷ OMP"],
        missing_note="no ratio: that anchor is not in this run's grid.",
    )
    return f"{intro}\n\n{table}"

register(
    Experiment(
        name="coding-support-recovery",
        trial=support_recovery_trial,
        grid={
            "method": METHODS,
            "sparsity": [4, 6, 8, 10],
            "noise": [0.02],
            "n_features": [64],
            "n_components": [128],
            "n_signals": [100],
        },
        n_trials=10,
        chunk_size=2,
        quick={
            "grid": {
                "method": ["l1", "cel0", "omp"],
                "sparsity": [6],
                "noise": [0.02],
                "n_features": [64],
                "n_components": [128],
                "n_signals": [100],
            },
            "n_trials": 2,
        },
        description="synthetic k-sparse codes at matched sparsity: exact-support rate per penalty (note T4)",
        plot=_plot_support,
    )
)

register(
    Experiment(
        name="coding-matched-sparsity",
        trial=matched_sparsity_trial,
        grid={"method": [*METHODS, "sklearn_lasso"], "target_l0": [8, 16, 32], "n_patches": [300]},
        n_trials=5,
        chunk_size=1,
        quick={"grid": {"method": ["l1", "cel0", "omp"], "target_l0": [16], "n_patches": [150]}, "n_trials": 1},
        description="held-out 16x16 natural patches, 512 atoms: relative error at matched mean l0 (note B1/T6)",
        plot=lambda summary, out_dir: _plot_error_vs_l0(summary, out_dir, "coding-matched-sparsity"),
    )
)

register(
    Experiment(
        name="coding-overcompleteness",
        trial=overcompleteness_trial,
        grid={
            "method": ["l1", "l0", "l1/2", "cel0"],
            "n_components": [64, 128, 256],
            "target_l0": [4],
            "n_steps": [300],
        },
        n_trials=2,
        chunk_size=1,
        quick={
            "grid": {"method": ["l1", "cel0"], "n_components": [64], "target_l0": [4], "n_steps": [40]},
            "n_trials": 1,
        },
        description="each penalty learns its own K-atom 8x8 dictionary; error at matched sparsity vs K",
        plot=_plot_overcompleteness,
    )
)
