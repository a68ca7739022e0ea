"""Plots for blind gain calibration: phase transitions, gain maps, convergence, noise curves.

Every helper takes ``ax=None``, draws, and returns the Axes; none calls
``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from sigrec._plotting import axes_or_new

__all__ = ["plot_calibration_phase_transition", "plot_gain_map", "plot_convergence", "plot_error_vs_snr"]

_LABELS = {
    "pgd": "PGD (line search)",
    "pgd_ls": "PGD (line search)",
    "pgd_fixed": "PGD (μ = 0.5)",
    "linls": "linearised LS",
    "oracle": "oracle LS (gains known)",
    "blind": "gain-blind LS",
}


def plot_calibration_phase_transition(summary, metric, *, n_features, ax=None):
    """Heat map of a success rate over (log2 m, log2 p), with the counting bounds.

    Draws the empirical success probability of one method over the grid of
    sensor counts m and snapshot counts p, and on top of it the curves
    ``mp = n + m − 1`` (the counting bound: no method can succeed below it)
    and ``mp = 2(n + m)``.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per (m, p) cell, with columns ``m``, ``p`` and
        ``f"{metric}_mean"`` (e.g. the output of
        :func:`~sigrec.simulate.summarize` restricted to one ``rho``).
    metric : str
        Metric name without the ``_mean`` suffix, e.g. ``"success_pgd_ls"``.
    n_features : int
        Signal length n, for the bound curves.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when None.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If a column is missing or several rows share an (m, p) cell (filter
        the summary to one setting of the other parameters first).
    """
    column = f"{metric}_mean"
    missing = [name for name in ("m", "p", column) if name not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks the column(s) {missing}")
    if summary.duplicated(["m", "p"]).any():
        raise ValueError("summary has several rows per (m, p) cell; restrict it to one setting of the other parameters")
    ax = axes_or_new(ax, (4.8, 3.8))
    table = summary.pivot(index="p", columns="m", values=column).sort_index().sort_index(axis=1)
    ms, ps = table.columns.to_numpy(float), table.index.to_numpy(float)
    log_m, log_p = np.log2(ms), np.log2(ps)
    mesh = ax.pcolormesh(log_m, log_p, table.to_numpy(float), shading="nearest", cmap="viridis", vmin=0, vmax=1)
    ax.figure.colorbar(mesh, ax=ax, label="success rate")
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    grid = np.linspace(x_low, x_high, 200)
    m_grid = 2.0**grid
    n = float(n_features)
    ax.plot(grid, np.log2((n + m_grid - 1) / m_grid), color="white", lw=1.6, label="mp = n + m − 1")
    ax.plot(grid, np.log2(2 * (n + m_grid) / m_grid), color="white", lw=1.6, ls="--", label="mp = 2(n + m)")
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_xticks(log_m, [f"{v:g}" for v in ms])
    ax.set_yticks(log_p, [f"{v:g}" for v in ps])
    ax.set_xlabel("sensors m (log2 scale)")
    ax.set_ylabel("snapshots p (log2 scale)")
    ax.legend(fontsize="x-small", loc="upper right", framealpha=0.6)
    return ax


def plot_gain_map(gains, sensor_shape, *, ax=None, title=None, **style):
    """Image of the sensor gains on their grid, with a colorbar.

    Parameters
    ----------
    gains : array-like of shape (rows·cols,)
        Gains flattened in C order (as :func:`~sigrec.datasets.make_calibration_scene` returns them).
    sensor_shape : tuple of two ints
        ``(rows, cols)`` of the sensor grid.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    **style
        Passed to :meth:`~matplotlib.axes.Axes.imshow` (e.g. ``vmin``/``vmax``
        to share one colour scale between true and estimated gains, ``cmap``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    gains = np.asarray(gains, dtype=float)
    rows, cols = (int(s) for s in sensor_shape)
    if gains.size != rows * cols:
        raise ValueError(f"{gains.size} gains do not fill a {rows}x{cols} sensor grid")
    ax = axes_or_new(ax, (4, 3.5))
    style = {"cmap": "magma", "interpolation": "nearest", **style}
    image = ax.imshow(gains.reshape(rows, cols), **style)
    ax.figure.colorbar(image, ax=ax, label="gain")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


def plot_convergence(loss_history, *, ax=None, label=None):
    """Loss per iteration on a logarithmic axis.

    Parameters
    ----------
    loss_history : array-like of shape (n_iter + 1,)
        E.g. :attr:`BlindGainCalibration.loss_history_
        <sigrec.calibration.BlindGainCalibration>`. Non-positive values are
        not drawn.
    ax : matplotlib.axes.Axes, optional
    label : str, optional
        Legend entry of the curve.

    Returns
    -------
    matplotlib.axes.Axes
    """
    losses = np.asarray(loss_history, dtype=float)
    ax = axes_or_new(ax, (5, 3.5))
    shown = np.where(losses > 0, losses, np.nan)
    ax.semilogy(np.arange(losses.size), shown, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss f(ξ, γ)")
    ax.grid(True, which="both", alpha=0.3)
    if label is not None:
        ax.legend(fontsize="small")
    return ax


def plot_error_vs_snr(summary, methods, *, ax=None, metric="err_x_db", snr="snr_db"):
    """Median relative error (dB) against SNR, one curve per method.

    Parameters
    ----------
    summary : pandas.DataFrame
        Either a per-trial table with columns ``snr`` and
        ``f"{metric}_{method}"`` (the median over trials is drawn), or a
        per-cell summary with ``f"{metric}_{method}_median"`` or, failing
        that, ``f"{metric}_{method}_mean"`` (the mean of the dB values, i.e.
        the geometric-mean error; the axis label says so).
    methods : sequence of str
        Method suffixes, e.g. ``["pgd", "linls", "oracle", "blind"]``;
        methods without a column are skipped.
    ax : matplotlib.axes.Axes, optional
    metric : str, default="err_x_db"
        Metric prefix (``"err_g_db"`` for the gains).
    snr : str, default="snr_db"
        Column of the SNR in dB.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax, (5, 3.8))
    statistic = None
    for method in methods:
        column = f"{metric}_{method}"
        if column in summary.columns:
            curve, statistic = summary.groupby(snr)[column].median(), "median"
        elif f"{column}_median" in summary.columns:
            curve, statistic = summary.groupby(snr)[f"{column}_median"].mean(), "median"
        elif f"{column}_mean" in summary.columns:
            curve, statistic = summary.groupby(snr)[f"{column}_mean"].mean(), "mean"
        else:
            continue
        curve = curve.sort_index()
        ax.plot(curve.index.to_numpy(float), curve.to_numpy(float), marker="o", label=_LABELS.get(method, method))
    quantity = "gains" if metric.startswith("err_g") else "signal"
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel(f"{statistic or 'median'} relative error of the {quantity} (dB)")
    ax.grid(True, alpha=0.3)
    if ax.lines:
        ax.legend(fontsize="small")
    return ax
