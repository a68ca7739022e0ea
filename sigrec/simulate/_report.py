"""Tables and figures from a results store (``sigrec report``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sigrec.simulate._experiment import get_experiment
from sigrec.simulate._runner import summarize
from sigrec.simulate._store import ResultStore

__all__ = ["report", "plot_metric", "plot_phase_diagram", "new_figure"]


def plot_metric(summary, metric, x, *, hue=None, ax=None, **style):
    """Plot a metric's per-cell mean (± standard error) against one parameter.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`~sigrec.simulate.summarize`.
    metric : str
        Metric name (without the ``_mean`` suffix).
    x : str
        Parameter on the horizontal axis.
    hue : str, optional
        Parameter drawn as separate lines.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; a new figure is made when None.
    **style
        Passed to :meth:`~matplotlib.axes.Axes.errorbar`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    groups = [(None, summary)] if hue is None else list(summary.groupby(hue, sort=True))
    for value, group in groups:
        group = group.sort_values(x)
        label = None if hue is None else f"{hue}={value}"
        ax.errorbar(
            group[x], group[f"{metric}_mean"], yerr=group.get(f"{metric}_sem"), label=label, capsize=2, **style
        )
    ax.set_xlabel(x)
    ax.set_ylabel(metric)
    if hue is not None:
        ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return ax


def plot_phase_diagram(summary, metric, x, y, *, ax=None, levels=(0.5,), cmap="viridis", **style):
    """Draw a phase-transition map: a metric's mean over a 2-D parameter grid.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`~sigrec.simulate.summarize`, one row per (x, y) cell.
    metric : str
        Metric name, typically a success indicator (mean = empirical probability).
    x, y : str
        Parameters on the horizontal and vertical axes (e.g. ``delta``, ``rho``).
    ax : matplotlib.axes.Axes, optional
    levels : sequence of float, default=(0.5,)
        Contour levels drawn in white (the 50 % line is the usual transition).
    cmap : str
    **style
        Passed to :meth:`~matplotlib.axes.Axes.pcolormesh`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.8))
    table = summary.pivot_table(index=y, columns=x, values=f"{metric}_mean")
    xs, ys, values = table.columns.to_numpy(float), table.index.to_numpy(float), table.to_numpy(float)
    mesh = ax.pcolormesh(xs, ys, values, shading="nearest", cmap=cmap, vmin=0, vmax=1, **style)
    ax.figure.colorbar(mesh, ax=ax, label=metric)
    if levels and len(xs) > 1 and len(ys) > 1 and np.isfinite(values).all():
        ax.contour(xs, ys, values, levels=list(levels), colors="white", linewidths=1.2)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    return ax


def new_figure(nrows=1, ncols=1, **figure_kwargs):
    """A figure detached from pyplot, for files written by reports.

    Report figures never go through pyplot, so writing them neither needs a
    display nor changes the caller's backend (a notebook keeps its inline one).

    Returns
    -------
    figure : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes
    """
    from matplotlib.figure import Figure

    figure = Figure(**figure_kwargs)
    return figure, figure.subplots(nrows, ncols)


def _generic_figures(experiment, summary, out_dir):
    keys = [k for k in experiment.keys if k in summary.columns and summary[k].nunique() > 1]
    metrics = [c[: -len("_mean")] for c in summary.columns if c.endswith("_mean")]
    paths = []
    if not keys:
        return paths
    x = keys[0]
    hue = keys[1] if len(keys) > 1 else None
    for metric in metrics:
        fig, ax = new_figure(figsize=(5, 3.5))
        plot_metric(summary, metric, x, hue=hue, ax=ax, marker="o")
        ax.set_title(f"{experiment.name}: {metric}")
        path = Path(out_dir) / f"{experiment.name}_{metric}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths


def report(experiment, store, out_dir=None):
    """Summarise a store: the per-cell table and, with ``out_dir``, PNG figures and CSV files.

    Parameters
    ----------
    experiment : str or Experiment
    store : str or path
        The SQLite results store written by :func:`~sigrec.simulate.run`.
    out_dir : str or path, optional
        Folder for ``<name>_summary.csv``, ``<name>_trials.csv`` and figures.

    Returns
    -------
    summary : pandas.DataFrame
    figures : list of pathlib.Path
    """
    experiment = get_experiment(experiment)
    with ResultStore.open_existing(store, experiment.name) as result_store:
        trials = result_store.to_dataframe()
    summary = summarize(trials, experiment)
    figures = []
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        summary.to_csv(out_dir / f"{experiment.name}_summary.csv", index=False)
        trials.to_csv(out_dir / f"{experiment.name}_trials.csv", index=False)
        if not summary.empty:
            plot = experiment.plot or (lambda s, d: _generic_figures(experiment, s, d))
            figures = list(plot(summary, out_dir))
    return summary, figures
