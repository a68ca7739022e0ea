"""Registered sweeps for sparse regression on random supports (``sigrec run slr-...``).

Benchmark of ``research/slr_random_supports.md`` §5 (Chandrasekaran, Meka &
Stavropoulos, arXiv:2511.06211, is theoretical: there are no published
numbers to match, only the qualitative claim that Lasso fails and the
preconditioned method succeeds on ill-conditioned designs with random
supports).

- ``slr-learning-curves``: prediction error against N for every method on
  the same draw (paired), per (design, signal); in-sample error, the exact
  out-of-sample excess error (the population covariance is known), fit
  times, the dimensions RSP peels and the oracle OLS on the true support.
- ``slr-structure``: what Phase 1 (:class:`~sigrec.regression.SubspacePeeling`)
  finds on each design: directions peeled per level and the random-support
  conditioning before and after peeling.

Trial functions import :mod:`sigrec.regression` lazily, so listing
experiments stays cheap.
"""

from __future__ import annotations

import math
import re
import time
import warnings

import numpy as np

from sigrec.simulate import Experiment, register

__all__ = ["learning_curves_trial", "structure_trial", "parse_methods"]

FACTOR_DESIGNS = ["one_factor", "heterogeneous_factor", "block_factors", "two_scale", "two_scale_extreme"]
# sigrec.datasets.regression.DESIGNS, in its order (not imported: listing experiments stays light).
ALL_DESIGNS = ["iid", *FACTOR_DESIGNS, "random_walk", "ar1", "near_duplicate_pairs"]
RANDOM_SIGNAL_DESIGNS = ["iid", "random_walk", "ar1", "one_factor"]
# lasso_refit repeats lasso_cv's whole LassoCV fit (the costliest method here); add it with --grid methods=...
FULL_METHODS = "rsp_union,rsp_peel,lasso_cv,omp,omp_cv,lasso_lars_bic,iht,cosamp,farmselect"
QUICK_METHODS = "rsp_union,lasso_cv,omp_cv"
# SubspacePeeling's default max_levels: slr-structure reports level1..level8.
MAX_LEVELS = 8


# --------------------------------------------------------------------------- helpers
def parse_methods(methods):
    """Method names from a grid value: ``"rsp_union,lasso_cv"`` (``+`` also separates) or a list.

    ``+`` exists for the command line, where ``--grid methods=a,b`` would
    make two cells of one method each: ``--grid methods=a+b`` keeps them in
    one (paired) cell.

    Raises
    ------
    ValueError
        For a name that is not in :data:`sigrec.regression.baselines.METHODS`.
    """
    from sigrec.regression.baselines import METHODS

    names = re.split(r"[,+]", methods) if isinstance(methods, str) else list(methods)
    names = [name.strip() for name in names if name.strip()]
    unknown = [name for name in names if name not in METHODS]
    if unknown or not names:
        raise ValueError(f"unknown method(s) {unknown or names}; known: {', '.join(METHODS)}")
    return list(dict.fromkeys(names))


def _seed(rng):
    """An int for the methods' ``random_state`` (CV folds, probes), drawn from the trial's generator."""
    return int(rng.integers(2**31 - 1))


def _errors(X, coef, intercept, truth, covariance):
    """In-sample ``(1/N)‖Xŵ + b − Xw*‖²`` and out-of-sample ``(ŵ−w*)ᵀΣ(ŵ−w*) + b²`` (the rows have mean 0)."""
    coef = np.asarray(coef, dtype=float)
    if not (np.all(np.isfinite(coef)) and math.isfinite(intercept)):
        return math.inf, math.inf
    difference = coef - truth
    residual = X @ difference + intercept
    return float(residual @ residual / X.shape[0]), covariance.quadratic(difference) + float(intercept) ** 2


def _centred(X):
    return X - X.mean(axis=0)


# --------------------------------------------------------------------------- learning curves
def learning_curves_trial(params, rng):
    """One draw of ``make_sparse_regression``; every method on the same data (paired design).

    Parameters (grid): ``design``, ``signal``, ``n_samples``, ``n_features``,
    ``n_informative``, ``noise`` and ``methods`` (names of
    :data:`~sigrec.regression.baselines.METHODS` separated by ``,`` or
    ``+``; methods whose optional dependency is missing are skipped).
    Every method gets the same ``random_state`` (drawn from ``rng``), so CV
    methods share their folds.

    Returns
    -------
    dict
        ``in_<method>`` (in-sample prediction error ``(1/N)‖Xŵ + b − Xw*‖²``),
        ``out_<method>`` (exact out-of-sample excess error
        ``(ŵ − w*)ᵀΣ(ŵ − w*) + b²``; the population mean of the rows is 0) and
        ``time_<method>`` (fit seconds) per method; ``peeled`` (directions
        RSP's Phase 1 peels off the centred design, all levels);
        ``oracle_in`` and ``oracle_out`` (OLS on the true support). Non-finite
        coefficients score ``inf``.
    """
    from sigrec.datasets.regression import make_sparse_regression
    from sigrec.regression import SubspacePeeling
    from sigrec.regression.baselines import METHODS, available_methods, oracle_ols

    names = [name for name in parse_methods(params["methods"]) if name in available_methods()]
    k, noise = int(params["n_informative"]), float(params["noise"])
    X, y, truth, covariance = make_sparse_regression(
        params["design"], params["signal"], n_samples=int(params["n_samples"]), n_features=int(params["n_features"]),
        n_informative=k, noise=noise, random_state=rng,
    )
    seed = _seed(rng)
    metrics = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            fit = METHODS[name][0]
            start = time.perf_counter()
            coef, intercept = fit(X, y, n_informative=k, noise=noise, random_state=seed)
            metrics[f"time_{name}"] = time.perf_counter() - start
            metrics[f"in_{name}"], metrics[f"out_{name}"] = _errors(X, coef, float(intercept), truth, covariance)
        peeling = SubspacePeeling(n_probes=0, random_state=seed).fit(_centred(X))
        metrics["peeled"] = float(sum(peeling.levels_))
        coef, intercept = oracle_ols(X, y, np.flatnonzero(truth))
        metrics["oracle_in"], metrics["oracle_out"] = _errors(X, coef, float(intercept), truth, covariance)
    return metrics


def _trials_beside(out_dir, name):
    """The per-trial table :func:`~sigrec.simulate.report` writes next to the figures, if any (for medians)."""
    from pathlib import Path

    import pandas as pd

    path = Path(out_dir) / f"{name}_trials.csv"
    return pd.read_csv(path) if path.exists() else None


def _pairs(table):
    """(design, signal) pairs present, designs in ``ALL_DESIGNS`` order."""
    pairs = table[["design", "signal"]].drop_duplicates().itertuples(index=False, name=None)
    order = {design: index for index, design in enumerate(ALL_DESIGNS)}
    signals = {"worst": 0, "cancel": 1, "random": 2}
    return sorted(pairs, key=lambda pair: (order.get(pair[0], len(order)), signals.get(pair[1], 3), pair))


def _learning_curve_figures(table, out_dir, name, metrics=("in_sample", "out_of_sample")):
    """One figure per metric and (n_features, n_informative, noise): a panel per (design, signal)."""
    from pathlib import Path

    from sigrec.regression.plotting import plot_learning_curves
    from sigrec.simulate import new_figure

    settings = ["n_features", "n_informative", "noise"]
    paths = []
    for values, group in table.groupby(settings, sort=True):
        d, k, noise = (float(value) for value in values)
        pairs = _pairs(group)
        ncols = min(3, len(pairs))
        nrows = math.ceil(len(pairs) / ncols)
        for metric in metrics:
            figure, axes = new_figure(nrows, ncols, figsize=(5.2 * ncols, 4.2 * nrows))
            axes = np.asarray(axes).reshape(nrows, ncols)
            for ax, (design, signal) in zip(axes.ravel(), pairs, strict=False):
                plot_learning_curves(group, design=design, signal=signal, metric=metric, ax=ax, noise=noise,
                                     n_informative=k)
            for ax in axes.ravel()[len(pairs) :]:
                ax.set_axis_off()
            figure.suptitle(f"sparse regression on random supports: d = {d:g}, k = {k:g}, σ = {noise:g}\n"
                            "(RSP after Chandrasekaran, Meka & Stavropoulos 2025)", fontsize="medium")
            figure.tight_layout()
            suffix = f"d{d:g}_k{k:g}" + ("" if table["noise"].nunique() == 1 else f"_sigma{noise:g}")
            path = Path(out_dir) / f"{name}_{metric}_{suffix}.png"
            figure.savefig(path, dpi=100)
            paths.append(path)
    return paths


def _plot_learning_curves(summary, out_dir):
    trials = _trials_beside(out_dir, "slr-learning-curves")
    return _learning_curve_figures(trials if trials is not None else summary, out_dir, "slr-learning-curves")


# --------------------------------------------------------------------------- structure
def structure_trial(params, rng):
    """Phase 1 alone: fit :class:`~sigrec.regression.SubspacePeeling` (default settings) on the centred design.

    Parameters (grid): ``design``, ``n_samples``, ``n_features``.

    Returns
    -------
    dict
        ``peeled_total``; ``level1`` … ``level8`` (directions peeled at each
        level, 0 past the last); ``conditioning_before`` and
        ``conditioning_after`` (10% quantile of σ_min(U_T/√N) over 200 random
        k̂-supports of the normalised columns, before and after peeling);
        ``sparsity_hint`` (k̂).
    """
    from sigrec.datasets.regression import make_sparse_regression
    from sigrec.regression import SubspacePeeling

    X, _, _, _ = make_sparse_regression(
        params["design"], "random", n_samples=int(params["n_samples"]), n_features=int(params["n_features"]),
        n_informative=1, noise=0.0, random_state=rng,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peeling = SubspacePeeling(max_levels=MAX_LEVELS, random_state=_seed(rng)).fit(_centred(X))
    levels = list(peeling.levels_) + [0] * (MAX_LEVELS - len(peeling.levels_))
    metrics = {"peeled_total": float(sum(levels))}
    metrics.update({f"level{index}": float(count) for index, count in enumerate(levels, start=1)})
    metrics["conditioning_before"] = float(peeling.support_conditioning_["before"])
    metrics["conditioning_after"] = float(peeling.support_conditioning_["after"])
    metrics["sparsity_hint"] = float(peeling.sparsity_hint_)
    return metrics


def _plot_structure(summary, out_dir):
    from pathlib import Path

    from sigrec.regression.plotting import plot_peeled_levels, plot_support_conditioning
    from sigrec.simulate import new_figure

    order = {design: index for index, design in enumerate(ALL_DESIGNS)}
    sizes = summary[["n_features", "n_samples"]].drop_duplicates().sort_values(["n_features", "n_samples"])
    sizes = sizes.to_numpy()
    figure, axes = new_figure(len(sizes), 2, figsize=(13, 4.4 * len(sizes)))
    axes = np.asarray(axes).reshape(len(sizes), 2)
    for row, (d, n) in zip(axes, sizes, strict=True):
        cell = summary[(summary["n_features"] == d) & (summary["n_samples"] == n)]
        cell = cell.iloc[np.argsort([order.get(design, len(order)) for design in cell["design"]], kind="stable")]
        levels = {
            row_.design: [getattr(row_, f"level{index}_mean") for index in range(1, MAX_LEVELS + 1)]
            for row_ in cell.itertuples(index=False)
        }
        plot_peeled_levels(levels, ax=row[0])
        row[0].set_title(f"directions peeled per level (mean over trials), N = {n:g}, d = {d:g}")
        before = dict(zip(cell["design"], cell["conditioning_before_mean"], strict=True))
        after = dict(zip(cell["design"], cell["conditioning_after_mean"], strict=True))
        plot_support_conditioning(before, after, ax=row[1])
        row[1].set_title(f"random-support conditioning (mean 10% quantile), N = {n:g}, d = {d:g}")
    figure.tight_layout()
    path = Path(out_dir) / "slr-structure.png"
    figure.savefig(path, dpi=100)
    return [path]


# --------------------------------------------------------------------------- tour
def _plot_tour_regression(summary, out_dir, name="tour-regression"):
    """The tour's headline: in-sample learning curves (medians when the trials are beside the summary)."""
    trials = _trials_beside(out_dir, "tour")
    if trials is not None and "study" in trials.columns:
        trials = trials[trials["study"] == "regression"]
    table = trials if trials is not None and not trials.empty else summary
    return _learning_curve_figures(table, out_dir, name, metrics=("in_sample",))


def tour_table(summary):
    """The tour's regression section: RSP's in-sample prediction error against its anchors and the oracle.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-cell summary of :func:`learning_curves_trial` (``design``,
        ``signal``, ``n_samples``, ``n_features``, ``n_informative``,
        ``noise``; ``in_<method>_mean``, ``oracle_in_mean``).

    Returns
    -------
    str
        A sentence on the study, then a markdown table with one row per cell:
        the in-sample error of the oracle OLS on the true support, of sigrec's
        first RSP variant and of every other method in the run, and RSP's
        error over each of theirs.
    """
    from sigrec.regression.plotting import METHOD_LABELS
    from sigrec.simulate._report import markdown_table

    present = [m for m in METHOD_LABELS if m != "oracle" and f"in_{m}_mean" in summary.columns]
    ours = next((m for m in present if m.startswith("rsp")), present[0])
    anchors = [m for m in present if m != ours]
    settings = [key for key in ("design", "signal", "n_features", "n_informative", "noise")
                if key in summary.columns and summary[key].nunique() > 1]
    rows = []
    for row in summary.sort_values([*settings, "n_samples"]).to_dict("records"):
        error = row[f"in_{ours}_mean"]
        rows.append([*(row[key] for key in settings), int(row["n_samples"]), row["oracle_in_mean"], error,
                     *(row[f"in_{m}_mean"] for m in anchors), *(error / row[f"in_{m}_mean"] for m in anchors),
                     error / row["oracle_in_mean"]])
    first = summary.iloc[0]
    texts = {"design": lambda v: f"`{v}` design", "signal": lambda v: f"`{v}` coefficients",
             "n_features": lambda v: f"d = {v:g}", "n_informative": lambda v: f"k = {v:g}",
             "noise": lambda v: f"σ = {v:g}"}
    fixed = ", ".join(text(first[key]) for key, text in texts.items() if key not in settings)
    label = METHOD_LABELS[ours]
    intro = (f"Sparse linear regression on random supports ({fixed}): in-sample prediction error "
             f"(1/N)‖X(ŵ − w*)‖², mean over trials, of sigrec's random-support preconditioning, {label}, against "
             f"{', '.join(METHOD_LABELS[m] for m in anchors)} (baselines on scikit-learn) and the oracle OLS on the "
             f"true support. Ratios are {label}'s error over the other's; below 1 {label} is more accurate "
             "(the oracle's is the floor, so its ratio is at least about 1).")
    table = markdown_table(
        rows,
        [*settings, "N", "oracle OLS", label, *(METHOD_LABELS[m] for m in anchors),
         *(f"÷ {METHOD_LABELS[m]}" for m in anchors), "÷ oracle"],
    )
    return f"{intro}\n\n{table}"


# --------------------------------------------------------------------------- registry
def _learning_grid(n_samples, n_features, n_informative, noise, methods):
    common = {"n_samples": n_samples, "n_features": [n_features], "n_informative": [n_informative],
              "noise": [noise], "methods": [methods]}
    # "cancel" needs factor loadings: sub-grids keep invalid (design, signal) pairs out.
    return [
        {"design": ALL_DESIGNS, "signal": ["worst"], **common},
        {"design": FACTOR_DESIGNS, "signal": ["cancel"], **common},
        {"design": RANDOM_SIGNAL_DESIGNS, "signal": ["random"], **common},
    ]


register(
    Experiment(
        name="slr-learning-curves",
        trial=learning_curves_trial,
        grid=_learning_grid([50, 100, 200, 400, 800], 1000, 10, 0.5, FULL_METHODS),
        n_trials=20,
        chunk_size=1,
        quick={
            "grid": {"design": ["one_factor", "two_scale", "random_walk"], "signal": ["worst"],
                     "n_samples": [50, 200], "n_features": [200], "n_informative": [5], "noise": [0.5],
                     "methods": [QUICK_METHODS]},
            "n_trials": 2,
        },
        description="sparse regression on random supports: prediction error vs N, RSP against Lasso/OMP/IHT/...",
        plot=_plot_learning_curves,
    )
)

register(
    Experiment(
        name="slr-structure",
        trial=structure_trial,
        grid={"design": ALL_DESIGNS, "n_samples": [100, 400], "n_features": [1000]},
        n_trials=20,
        chunk_size=5,
        quick={"grid": {"design": ALL_DESIGNS, "n_samples": [100, 200], "n_features": [200]}, "n_trials": 2},
        description="sparse regression: directions peeled per level and random-support conditioning, per design",
        plot=_plot_structure,
    )
)
