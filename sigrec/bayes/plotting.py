"""Plots for Kronecker SBL sweeps: NMSE curves, run-time scaling and IRS channel estimation.

Every helper takes ``ax=None``, draws, and returns the Axes; none calls
``plt.show()``. Each accepts either the per-cell summary of
:func:`~sigrec.simulate.summarize` (columns ``<metric>_<method>_mean``) or
the per-trial table of :func:`~sigrec.simulate.run` (columns
``<metric>_<method>``), which also allows medians.
"""

from __future__ import annotations

import math

import numpy as np

from sigrec._plotting import axes_or_new

__all__ = ["METHOD_LABELS", "plot_nmse_curves", "plot_method_metric", "plot_scaling", "plot_irs"]

#: Legend labels, in drawing order.
METHOD_LABELS = {
    "svd": "SVD-KroSBL",
    "svd_safeguard": "SVD-KroSBL + AM safeguard",
    "am": "AM-KroSBL",
    "pc05": "PC-KroSBL (β = 0.5)",
    "pc08": "PC-KroSBL (β = 0.8)",
    "ksbl": "KSBL",
    "csbl": "classic SBL",
    "komp": "KOMP",
    "komp_noise": "KOMP (stops at the noise level)",
    "oracle": "oracle LS",
    "perfect": "perfect CSI",
}
_REFERENCES = ("oracle", "perfect")
_REFERENCE_STYLE = {"oracle": {"color": "black", "linestyle": "--"}, "perfect": {"color": "0.4", "linestyle": ":"}}
_X_LABELS = {"snr_db": "SNR (dB)", "m1": "M₁", "k_i": "Kᵢ (nonzeros per mode)", "n_i": "Nᵢ"}


def _is_per_trial(table, metric):
    return any(f"{metric}_{method}" in table.columns for method in METHOD_LABELS)


def _methods_in(table, metric, methods=None):
    """Methods with a column of ``metric`` (per trial or ``_mean``), known ones in label order."""
    if methods is not None:
        return list(methods)
    return [method for method in METHOD_LABELS
            if f"{metric}_{method}" in table.columns or f"{metric}_{method}_mean" in table.columns]


def _curve(table, x, column, statistic):
    """``(xs, values)`` of one column against ``x``: per-trial rows are reduced by ``statistic``.

    Returns None when the column is absent or has no finite value.
    """
    if column in table.columns:
        values = table[[x, column]].dropna()
        grouped = values.groupby(x)[column]
        curve = grouped.median() if statistic == "median" else grouped.mean()
    elif statistic == "median" and f"{column}_median" in table.columns:
        curve = table.groupby(x)[f"{column}_median"].mean()
    elif f"{column}_mean" in table.columns:
        curve = table.groupby(x)[f"{column}_mean"].mean()
    else:
        return None
    curve = curve.dropna().sort_index()
    if curve.empty:
        return None
    return curve.index.to_numpy(float), curve.to_numpy(float)


def _style(method):
    style = {"marker": "o", "label": METHOD_LABELS.get(method, method)}
    if method in _REFERENCE_STYLE:
        style.update(_REFERENCE_STYLE[method], marker="s" if method == "oracle" else "x")
    return style


def _finish(ax, x, ylabel):
    ax.set_xlabel(_X_LABELS.get(x, x))
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if ax.lines:
        ax.legend(fontsize="x-small")


def plot_nmse_curves(summary, x, *, methods=None, ax=None, statistic="mean"):
    """NMSE in dB against a swept parameter, one line per method, the oracle dashed.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-cell summary (``nmse_<method>_mean``, and ``nmse_db_<method>_mean``
        for the median fallback) or per-trial table (``nmse_<method>``) of
        a ``kron-sbl-*`` or ``irs-channel`` run, restricted to one setting
        of the other parameters.
    x : str
        Column on the horizontal axis, e.g. ``"snr_db"``, ``"m1"``, ``"k_i"``.
    methods : sequence of str, optional
        Default: every method with a column (see :data:`METHOD_LABELS`).
    ax : matplotlib.axes.Axes, optional
    statistic : {"mean", "median"}, default="mean"
        ``"mean"``: ``10 log10`` of the mean of the per-trial NMSE (the
        paper's convention). ``"median"``: of the median, from per-trial
        rows; a summary has no medians, so there the mean of the per-trial
        dB values (the geometric-mean NMSE, also robust to rare failures)
        is drawn and the axis label says so.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if statistic not in ("mean", "median"):
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    ax = axes_or_new(ax)
    per_trial = _is_per_trial(summary, "nmse")
    label = {"mean": "mean", "median": "median"}[statistic]
    for method in _methods_in(summary, "nmse", methods):
        if statistic == "median" and not per_trial:
            curve, label = _curve(summary, x, f"nmse_db_{method}", "mean"), "geometric-mean"
            if curve is None:
                continue
            xs, values = curve
        else:
            curve = _curve(summary, x, f"nmse_{method}", statistic)
            if curve is None:
                continue
            xs, values = curve
            with np.errstate(divide="ignore"):
                values = 10.0 * np.log10(values)
        ax.plot(xs, values, **_style(method))
    _finish(ax, x, f"{label} NMSE (dB)")
    return ax


def plot_method_metric(summary, x, metric, *, methods=None, ax=None, statistic="mean", log=False, ylabel=None):
    """Any per-method metric (``srr``, ``time``, ``ratio``, ``ser``, …) against a swept parameter.

    Parameters
    ----------
    summary : pandas.DataFrame
        Summary (``<metric>_<method>_mean``) or per-trial table (``<metric>_<method>``).
    x : str
    metric : str
        Metric prefix, e.g. ``"srr"`` or ``"time"``.
    methods : sequence of str, optional
    ax : matplotlib.axes.Axes, optional
    statistic : {"mean", "median"}, default="mean"
        Median needs per-trial rows (a summary falls back to the mean).
    log : bool, default=False
        Logarithmic vertical axis (non-positive values are masked).
    ylabel : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    for method in _methods_in(summary, metric, methods):
        curve = _curve(summary, x, f"{metric}_{method}", statistic)
        if curve is not None:
            ax.plot(*curve, **_style(method))
    if log:
        ax.set_yscale("log", nonpositive="mask")
    _finish(ax, x, ylabel or f"{statistic} {metric}")
    return ax


def plot_scaling(summary, *, methods=None, metric="time", ax=None, statistic=None, guides=True):
    """Fit time (or NMSE / oracle) against N on log–log axes, one line per method and number of modes.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``kron-sbl-scaling`` summary (``n_features_mean``, ``time_<m>_mean``,
        ``ratio_<m>_mean``) or per-trial table (``n_features``, ``time_<m>``, …);
        with an ``n_modes`` column, I = 3 is drawn solid and I = 2 dotted.
    methods : sequence of str, optional
    metric : {"time", "ratio", "nmse", "time_per_iter"}, default="time"
    ax : matplotlib.axes.Axes, optional
    statistic : {"mean", "median"}, optional
        Default: median for per-trial rows, mean for a summary.
    guides : bool, default=True
        For ``metric="time"``: thin grey lines ∝ N through SVD-KroSBL's first
        point and ∝ N³ through classic SBL's (the expected growth, note §6).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax, (5.6, 4.2))
    per_trial = "n_features" in summary.columns
    x = "n_features" if per_trial else "n_features_mean"
    statistic = statistic or ("median" if per_trial else "mean")
    table = summary.copy()
    if "n_modes" not in table.columns:
        table["n_modes"] = 3
    first_points = {}
    colours = {}
    for modes, group in sorted(table.groupby("n_modes"), key=lambda item: -item[0]):
        for method in _methods_in(group, metric, methods):
            curve = _curve(group, x, f"{metric}_{method}", statistic)
            if curve is None:
                continue
            style = _style(method)
            if modes != 3:
                style["label"] = f"{style['label']} (I = {modes:g})"
                style["linestyle"] = ":"
            if method in colours:
                style["color"] = colours[method]
            (line,) = ax.plot(*curve, **style)
            colours.setdefault(method, line.get_color())
            first_points.setdefault(method, (curve[0][0], curve[1][0]))
    if metric == "time" and guides:
        sizes = table[x].dropna().to_numpy(float)
        if sizes.size:
            span = np.geomspace(sizes.min(), sizes.max(), 20)
            for method, power, text in (("svd", 1, "∝ N"), ("csbl", 3, "∝ N³")):
                if method in first_points:
                    n0, t0 = first_points[method]
                    grid = span[span <= (sizes.max() if power == 1 else n0 * 1e2)]
                    ax.plot(grid, t0 * (grid / n0) ** power, color="0.6", linewidth=0.8, label=text)
    ax.set_xscale("log")
    ax.set_yscale("log", nonpositive="mask")
    ylabels = {"time": "fit time (s)", "ratio": "NMSE / oracle NMSE", "nmse": "NMSE",
               "time_per_iter": "time per EM iteration (s)"}
    ax.set_xlabel("N = Πᵢ Nᵢ (unknowns)")
    ax.set_ylabel(f"{statistic} {ylabels.get(metric, metric)}")
    ax.grid(True, which="both", alpha=0.3)
    if ax.lines:
        ax.legend(fontsize="x-small")
    return ax


def plot_irs(summary, metric="nmse", *, methods=None, ax=None, statistic="mean"):
    """IRS channel estimation against SNR: channel NMSE (dB) or QPSK symbol error rate.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``irs-channel`` summary or per-trial table (column ``snr_db``).
    metric : {"nmse", "ser", "ser_channel"}, default="nmse"
        ``"ser"``: SER with the SNR of the beamformed received signal (the
        authors'); ``"ser_channel"``: SNR referenced to ‖H‖_F². SER is drawn
        on a log axis with perfect CSI dotted; zero SERs (no error among
        the simulated symbols) are not drawn.
    methods : sequence of str, optional
    ax : matplotlib.axes.Axes, optional
    statistic : {"mean", "median"}, default="mean"

    Returns
    -------
    matplotlib.axes.Axes
    """
    if metric == "nmse":
        ax = plot_nmse_curves(summary, "snr_db", methods=methods, ax=ax, statistic=statistic)
        ax.set_ylabel(ax.get_ylabel().replace("NMSE", "channel NMSE"))
        return ax
    if metric not in ("ser", "ser_channel"):
        raise ValueError(f"metric must be 'nmse', 'ser' or 'ser_channel', got {metric!r}")
    ax = plot_method_metric(summary, "snr_db", metric, methods=methods, ax=ax, statistic=statistic, log=True,
                            ylabel=f"{statistic} QPSK symbol error rate")
    low, high = ax.get_ylim()
    if math.isfinite(low) and math.isfinite(high) and high > 1:
        ax.set_ylim(top=1.0)
    return ax
