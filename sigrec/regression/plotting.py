"""Plots for sparse regression on random supports: learning curves, peeled levels, support conditioning.

Every helper takes ``ax=None``, draws, and returns the Axes; none calls
``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sigrec._plotting import axes_or_new

__all__ = ["plot_learning_curves", "plot_peeled_levels", "plot_support_conditioning"]

METHOD_LABELS = {
    "rsp_union": "RSP (union)",
    "rsp_peel": "RSP (peel)",
    "rsp_peel_refit": "RSP (peel + refit)",
    "lasso_cv": "LassoCV",
    "lasso_refit": "LassoCV + refit",
    "omp": "OMP (k known)",
    "omp_cv": "OMP-CV",
    "lasso_lars_bic": "LassoLarsIC (BIC, σ known)",
    "iht": "IHT (k known)",
    "cosamp": "CoSaMP (k known)",
    "farmselect": "FarmSelect-style",
    "abess": "abess",
    "skglm_mcp": "MCP (skglm)",
    "oracle": "oracle OLS on S",
}
# metric name -> (column prefix of the trial functions, axis label)
_METRICS = {
    "in_sample": ("in", "in-sample prediction error (1/N)‖X(ŵ − w*)‖²"),
    "out_of_sample": ("out", "out-of-sample excess error (ŵ − w*)ᵀΣ(ŵ − w*)"),
    "time": ("time", "fit time (s)"),
}


# Errors are drawn up to 10× the null predictor's: CoSaMP, for one, can diverge by orders of magnitude.
_ERROR_CAP = 10.0


def _methods_in(table, prefix, per_trial):
    """Method names with a ``prefix_<method>`` column (per trial) or ``prefix_<method>_mean`` (summary), in order."""
    found = []
    for column in table.columns:
        if not column.startswith(f"{prefix}_"):
            continue
        name = column[len(prefix) + 1 :]
        if not per_trial:
            if not name.endswith("_mean"):
                continue
            name = name[: -len("_mean")]
        elif name.endswith(("_mean", "_sem")):
            continue
        found.append(name)
    order = list(METHOD_LABELS)
    return sorted(found, key=lambda name: (order.index(name) if name in order else len(order), name))


def plot_learning_curves(
    summary_or_trials,
    *,
    design,
    signal,
    methods=None,
    metric="in_sample",
    ax=None,
    noise=0.5,
    n_informative=10,
):
    """Prediction error against the sample size N on log–log axes, one curve per method.

    Draws, for one (design, signal) pair, the median over trials with an
    interquartile band when per-trial rows are given (the mean per cell when
    only a summary is), plus the reference levels: σ² (the trivial
    interpolating fit ŷ = y), 1 (the null predictor ŷ = 0; signals are scaled
    to ``‖Xw*‖²/N = 1``) and the oracle curve σ²k/N (OLS on the true support).

    Parameters
    ----------
    summary_or_trials : pandas.DataFrame
        Either the per-trial table of ``slr-learning-curves`` (columns
        ``design``, ``signal``, ``n_samples`` and ``in_<method>``,
        ``out_<method>``, ``time_<method>``), or its summary (the same with
        ``_mean`` suffixes, see :func:`~sigrec.simulate.summarize`).
    design, signal : str
        The (design, signal) pair to draw; rows of other pairs are ignored.
    methods : sequence of str, optional
        Method names; default: every method with a column, in the order of
        :data:`~sigrec.regression.baselines.METHODS`. Methods without a
        column are skipped.
    metric : {"in_sample", "out_of_sample", "time"}, default="in_sample"
        In-sample prediction error ``(1/N)‖Xŵ + b − Xw*‖²``, the exact
        out-of-sample excess error, or the fit time in seconds (drawn
        without reference levels). Error axes stop at 10 (ten times the
        null level), so a diverging method leaves the top of the panel.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when None.
    noise : float, default=0.5
        σ, for the reference levels.
    n_informative : int, default=10
        k, for the oracle curve.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``metric`` is unknown, a column is missing, or no row matches
        (design, signal).
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
    prefix, label = _METRICS[metric]
    table = summary_or_trials
    missing = [name for name in ("design", "signal", "n_samples") if name not in table.columns]
    if missing:
        raise ValueError(f"the table lacks the column(s) {missing}")
    table = table[(table["design"] == design) & (table["signal"] == signal)]
    if table.empty:
        raise ValueError(f"no rows for design={design!r}, signal={signal!r}")
    per_trial = any(
        column.startswith(f"{prefix}_") and not column.endswith(("_mean", "_sem")) for column in table.columns
    )
    if methods is None:
        methods = _methods_in(table, prefix, per_trial)
    ax = axes_or_new(ax, (5.2, 4))
    statistic = "median" if per_trial else "mean"
    for method in methods:
        column = f"{prefix}_{method}" if per_trial else f"{prefix}_{method}_mean"
        if column not in table.columns:
            continue
        values = table[["n_samples", column]].dropna()
        if values.empty:
            continue
        grouped = values.groupby("n_samples")[column]
        centre = grouped.median() if per_trial else grouped.mean()
        sizes = centre.index.to_numpy(float)
        (line,) = ax.plot(sizes, centre.to_numpy(float), marker="o", label=METHOD_LABELS.get(method, method))
        if per_trial and grouped.size().max() > 1:
            low, high = grouped.quantile(0.25), grouped.quantile(0.75)
            ax.fill_between(sizes, low.to_numpy(float), high.to_numpy(float), color=line.get_color(), alpha=0.15,
                            lw=0)
    if metric != "time":
        sizes = np.sort(table["n_samples"].unique().astype(float))
        grid = np.geomspace(sizes.min(), sizes.max(), 50) if sizes.size else np.array([])
        variance = float(noise) ** 2
        ax.axhline(1.0, color="0.3", ls="--", lw=1, label="null predictor (1)")
        ax.axhline(variance, color="0.3", ls=":", lw=1, label=f"interpolation (σ² = {variance:g})")
        if grid.size:
            ax.plot(grid, variance * n_informative / grid, color="black", lw=1.2, ls="-.",
                    label=f"oracle σ²k/N (k = {n_informative:g})")
        low, high = ax.get_ylim()
        if high > _ERROR_CAP > low:  # a diverging baseline would squash every other curve
            ax.set_ylim(low, _ERROR_CAP)
    ax.set_xscale("log")
    ax.set_yscale("log")
    sizes = np.sort(table["n_samples"].unique().astype(float))
    ax.set_xticks(sizes, [f"{size:g}" for size in sizes])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("samples N")
    ax.set_ylabel(f"{statistic} {label}", fontsize="small")
    ax.set_title(f"{design} / {signal}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="x-small")
    return ax


def plot_peeled_levels(levels_by_design, *, ax=None):
    """Stacked bars of the directions peeled at each level, one bar per design.

    Parameters
    ----------
    levels_by_design : mapping of str to sequence of float
        Label (e.g. a design name) -> directions peeled at level 1, 2, ...
        (``SubspacePeeling.levels_``, or per-level means over trials).
        Shorter sequences count as 0 at the missing levels.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(levels_by_design, Mapping):
        raise TypeError("levels_by_design must map a label to a sequence of per-level counts")
    labels = list(levels_by_design)
    depth = max((len(levels) for levels in levels_by_design.values()), default=0)
    counts = np.zeros((len(labels), depth))
    for row, label in enumerate(labels):
        levels = np.asarray(levels_by_design[label], dtype=float)
        counts[row, : levels.size] = levels
    ax = axes_or_new(ax, (max(5.0, 0.8 * len(labels) + 2), 3.8))
    positions = np.arange(len(labels))
    bottom = np.zeros(len(labels))
    for level in range(depth):
        if not counts[:, level].any():
            continue
        ax.bar(positions, counts[:, level], bottom=bottom, label=f"level {level + 1}")
        bottom += counts[:, level]
    for position, total in zip(positions, bottom, strict=True):
        ax.annotate(f"{total:.3g}", (position, total), ha="center", va="bottom", fontsize="x-small")
    ax.set_xticks(positions, labels, rotation=30, ha="right", fontsize="small")
    ax.set_ylabel("directions peeled")
    ax.set_ylim(0, max(1.0, float(bottom.max(initial=0.0))) * 1.15)
    ax.grid(True, axis="y", alpha=0.3)
    if ax.containers:
        ax.legend(fontsize="x-small")
    return ax


def plot_support_conditioning(before, after, *, ax=None, labels=None):
    """Random-support conditioning before and after peeling, grouped bars on a log scale.

    The height is the probe quantile of σ_min(U_T/√N) over random k̂-supports
    T of the normalised columns (``SubspacePeeling.support_conditioning_``):
    small values mean that a random support is nearly dependent (Lasso's
    slow rate is then useless), values near 1 that it is well conditioned.

    Parameters
    ----------
    before, after : mapping of str to float, or sequence of float
        The quantile before and after peeling, per design; mappings give the
        labels (``after`` is read in ``before``'s order).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when None.
    labels : sequence of str, optional
        Bar labels when ``before`` and ``after`` are sequences.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(before, Mapping):
        labels = list(before) if labels is None else list(labels)
        before_values = np.array([before[label] for label in labels], dtype=float)
        after_values = np.array([after[label] for label in labels], dtype=float)
    else:
        before_values, after_values = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
        labels = [str(i) for i in range(before_values.size)] if labels is None else list(labels)
    if not before_values.size == after_values.size == len(labels):
        raise ValueError("before, after and labels must have the same length")
    ax = axes_or_new(ax, (max(5.0, 0.8 * len(labels) + 2), 3.8))
    positions = np.arange(len(labels))
    width = 0.38
    bars = ((-width / 2, before_values, "before peeling"), (width / 2, after_values, "after peeling"))
    for offset, values, name in bars:
        # Non-positive or undefined quantiles cannot be drawn on a log axis.
        shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        ax.bar(positions + offset, shown, width, label=name)
    ax.set_yscale("log")
    ax.set_xticks(positions, labels, rotation=30, ha="right", fontsize="small")
    ax.set_ylabel("σ_min quantile of random supports")
    ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize="x-small")
    return ax
