"""Tables, figures and a markdown index from a results store (``sigrec report``)."""

from __future__ import annotations

import datetime
import math
import numbers
import os
import platform
from pathlib import Path

import numpy as np

from sigrec.simulate._experiment import Experiment, cell_key, get_experiment
from sigrec.simulate._runner import summarize
from sigrec.simulate._store import ResultStore

__all__ = ["report", "plot_metric", "plot_phase_diagram", "new_figure", "markdown_table", "format_number",
           "figure_links", "INDEX_NAME"]

#: File name of the markdown report :func:`report` writes into ``out_dir``.
INDEX_NAME = "index.md"
#: Text of a missing table cell; tables that hold one explain it under the table.
MISSING = "—"


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



def group_by_varying(table, keys):
    """Split a summary (or trials) table by those of `keys` that take several values.

    Parameters
    ----------
    table : pandas.DataFrame
    keys : sequence of str
        Candidate grouping columns; absent or constant ones are ignored.

    Returns
    -------
    list of (str, str, pandas.DataFrame)
        ``(label, file suffix, rows)`` per group, e.g. ``("snr_db = 10", "_snr_db-10", rows)``;
        a single ``("", "", table)`` when no key varies.
    """
    varying = [key for key in keys if key in table.columns and table[key].nunique() > 1]
    if not varying:
        return [("", "", table)]
    groups = []
    for values, group in table.groupby(varying, sort=True):
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{key} = {value}" for key, value in zip(varying, values, strict=True))
        suffix = "_" + "_".join(f"{key}-{value}" for key, value in zip(varying, values, strict=True))
        groups.append((label, suffix.replace("+", "-").replace(" ", ""), group))
    return groups


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


# --------------------------------------------------------------------------- markdown
def _is_missing(value):
    """None, NaN or pandas.NA."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def format_number(value, digits=3):
    """Text of a number for a report table: ``digits`` significant digits, no padding.

    Integers print whole; floats print with ``digits`` significant digits,
    plainly between 1e-3 and 1e5 (whole numbers from 10**digits up) and in
    short scientific notation (``1.23e-5``) outside; infinities print as
    ``∞`` and ``-∞``, NaN as ``—``.

    Parameters
    ----------
    value : int or float
    digits : int, default=3

    Returns
    -------
    str

    Examples
    --------
    >>> [format_number(v) for v in (16, 16.0, 0.04312, 1234.6, 2.5e-05, -1.883e6, float("inf"))]
    ['16', '16', '0.0431', '1235', '2.50e-5', '-1.88e6', '∞']
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return MISSING
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude < 10.0 ** -digits or magnitude >= 1e5:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    text = f"{value:.{digits}g}"
    return f"{value:.0f}" if "e" in text else text


def _cell_text(value, style):
    if isinstance(value, str):
        text = value
    elif style is None:
        text = format_number(value)
    elif callable(style):
        text = style(value)
    else:
        text = format(value, style)
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown_table(rows, columns=None, *, formats=None, missing_note=None):
    """A GitHub-flavoured markdown table, numbers formatted by :func:`format_number`.

    Parameters
    ----------
    rows : pandas.DataFrame or sequence of sequences
        Cell values: str (printed as is), numbers, or None/NaN for a missing
        value, printed as ``—``.
    columns : sequence of str, optional
        Header; defaults to the DataFrame's column names.
    formats : dict, optional
        Column header -> format spec (e.g. ``"+.2f"``) or callable
        ``value -> str``, replacing :func:`format_number` for that column.
    missing_note : str, optional
        Explanation printed under the table when a cell is missing (a
        generic one is used when None); nothing is added when no cell is.

    Returns
    -------
    str
        The table, numeric columns right-aligned, without a trailing newline.

    Examples
    --------
    >>> print(markdown_table([["ℓ1", 0.5], ["OMP", None]], ["method", "success"]))
    | method | success |
    | :----- | ------: |
    | ℓ1     |     0.5 |
    | OMP    |       — |
    <BLANKLINE>
    — no value: undefined in every trial of this cell.
    """
    if hasattr(rows, "itertuples"):
        columns = list(rows.columns) if columns is None else list(columns)
        rows = list(rows.itertuples(index=False, name=None))
    rows = [list(row) for row in rows]
    if columns is None:
        raise ValueError("markdown_table needs the column names when rows is not a DataFrame")
    columns = [str(column) for column in columns]
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"every row needs {len(columns)} cells (one per column)")
    formats = formats or {}
    numeric = [
        bool(rows) and all(isinstance(row[j], numbers.Number) for row in rows if not _is_missing(row[j]))
        for j in range(len(columns))
    ]
    any_missing = False
    cells = []
    for row in rows:
        texts = []
        for column, value in zip(columns, row, strict=True):
            if _is_missing(value):
                any_missing = True
                texts.append(MISSING)
            else:
                texts.append(_cell_text(value, formats.get(column)))
        cells.append(texts)
    header = [_cell_text(column, None) for column in columns]
    widths = [max(3, len(header[j]), *(len(row[j]) for row in cells)) for j in range(len(columns))]

    def line(texts):
        padded = [text.rjust(width) if is_number else text.ljust(width)
                  for text, width, is_number in zip(texts, widths, numeric, strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join(("-" * (w - 1) + ":") if is_number else (":" + "-" * (w - 1))
                             for w, is_number in zip(widths, numeric, strict=True)) + " |"
    lines = [line(header), rule, *(line(row) for row in cells)]
    if any_missing:
        lines += ["", f"{MISSING} {missing_note or 'no value: undefined in every trial of this cell.'}"]
    return "\n".join(lines)


def _grid_label(experiment, trials):
    """Which grid the store holds: ``quick``, ``full``, either one incomplete, or a custom one."""
    stored = trials.groupby("cell").size().to_dict()
    candidates = [("quick (`--quick`)", True), ("full", False)] if experiment.quick else [("full", False)]
    partial = None
    for label, quick in candidates:
        grids, n_trials = experiment.resolve(quick=quick)
        expected = {cell_key(params): count for params, count in Experiment.cells(grids, n_trials)}
        if stored == expected:
            return label
        if partial is None and all(cell in expected and count <= expected[cell] for cell, count in stored.items()):
            partial = (label, sum(expected.values()))
    if partial is not None:
        label, total = partial
        return (f"{label}, {len(trials)} of its {total} trials (fewer trials per cell: `--trials`, or an "
                "interrupted run that `sigrec run --resume` completes)")
    return "custom (`--grid` or `--trials`)"


def _metadata(experiment, trials, store, errors=None):
    """The run's metadata as a markdown list."""
    written = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    versions = ", ".join(sorted({str(v) for v in trials["version"]})) if "version" in trials else ""
    lines = [
        f"- written: {written}",
        f"- store: `{store}` ({len(trials)} trials"
        + (f" in {trials['cell'].nunique()} cells" if "cell" in trials else "")
        + (f", sigrec {versions}" if versions else "") + ")",
        f"- grid: {_grid_label(experiment, trials) if len(trials) else 'empty'}",
    ]
    if errors is not None and len(errors):
        cells = errors["cell"].nunique()
        lines.append(f"- failed trials: {len(errors)} in {cells} cell{'s' if cells > 1 else ''}, left out of every "
                     f"mean (`{experiment.name}_errors.csv` has each one's error and seed; `sigrec run --resume` "
                     "retries them)")
    if "wall_time" in trials and len(trials):
        lines.append(f"- compute: {format_number(float(trials['wall_time'].sum()))} s in trials "
                     "(sum of the trials' wall times, whatever the number of workers)")
    lines.append(f"- machine (that wrote this report): {platform.platform()}, {os.cpu_count()} CPUs, "
                 f"Python {platform.python_version()}")
    return "\n".join(lines)


def figure_links(figures, out_dir, *, title=""):
    """Markdown image links to ``figures``, relative to ``out_dir`` (where the index lives).

    Parameters
    ----------
    figures : sequence of path
    out_dir : path
    title : str, optional
        Alternative text of the images.

    Returns
    -------
    str
        One ``![title](relative/path.png)`` paragraph per figure.
    """
    links = []
    for figure in figures:
        relative = Path(os.path.relpath(Path(figure), Path(out_dir))).as_posix()
        links.append(f"![{title or Path(figure).stem}]({relative})")
    return "\n\n".join(links)


def _generic_markdown(experiment, summary, figures, out_dir):
    """The index body of an experiment without a ``markdown`` hook: per-cell means, then the figures."""
    keys = [key for key in experiment.keys if key in summary.columns]
    means = [c for c in summary.columns if c.endswith("_mean") and summary[c].notna().any()]
    failed = ["n_failed"] if "n_failed" in summary else []
    table = markdown_table(
        summary[[*keys, "n_trials", *failed, *means]],
        [*keys, "trials", *(["failed"] if failed else []), *(c[: -len("_mean")] for c in means)],
        missing_note="no value: a parameter this cell's sub-grid lacks, or a metric undefined in all its trials.",
    )
    parts = [
        "## Per-cell means",
        f"Each metric's mean over the trials of a cell; standard errors are in `{experiment.name}_summary.csv`, "
        f"every trial in `{experiment.name}_trials.csv`.",
        table,
    ]
    if figures:
        parts += ["## Figures", figure_links(figures, out_dir)]
    return "\n\n".join(parts)


def _write_index(experiment, summary, trials, figures, out_dir, store, errors=None):
    """Write ``out_dir/index.md``: title, metadata, then the experiment's body (or the generic one)."""
    if trials.empty:
        body = "No trials in this store yet." if errors is None or errors.empty else "Every trial failed."
    elif summary.empty:
        body = "No trials in this store yet."
    elif experiment.markdown is not None:
        body = experiment.markdown(summary, figures, out_dir)
    else:
        body = _generic_markdown(experiment, summary, figures, out_dir)
    title = f"# sigrec report: {experiment.name}"
    parts = [title, *([experiment.description] if experiment.description else []),
             _metadata(experiment, trials, store, errors), body.strip()]
    path = Path(out_dir) / INDEX_NAME
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def report(experiment, store, out_dir=None):
    """Summarise a store: the per-cell table and, with ``out_dir``, PNG figures, CSV files and ``index.md``.

    Parameters
    ----------
    experiment : str or Experiment
    store : str or path
        The SQLite results store written by :func:`~sigrec.simulate.run`.
    out_dir : str or path, optional
        Folder for ``<name>_summary.csv``, ``<name>_trials.csv``, figures and
        ``index.md`` (a markdown report: the run's metadata, then the
        experiment's ``markdown`` body or, without one, the per-cell means
        and the figures). A store holding failed trials also gets
        ``<name>_errors.csv`` (one row per failed trial: error type,
        message, traceback, seed).

    Returns
    -------
    summary : pandas.DataFrame
        As :func:`~sigrec.simulate.summarize`; with an ``n_failed`` column
        when the store holds failed trials (they never enter the means).
    figures : list of pathlib.Path
    """
    experiment = get_experiment(experiment)
    with ResultStore.open_existing(store, experiment.name) as result_store:
        trials = result_store.to_dataframe()
        errors = result_store.errors()
    summary = summarize(trials, experiment, errors=errors)
    figures = []
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        summary.to_csv(out_dir / f"{experiment.name}_summary.csv", index=False)
        trials.to_csv(out_dir / f"{experiment.name}_trials.csv", index=False)
        errors_csv = out_dir / f"{experiment.name}_errors.csv"
        if len(errors):
            errors.to_csv(errors_csv, index=False)
        elif errors_csv.exists():  # left by a report of this store before its failed trials were retried
            errors_csv.unlink()
        if not trials.empty:
            plot = experiment.plot or (lambda s, d: _generic_figures(experiment, s, d))
            figures = list(plot(summary, out_dir))
        _write_index(experiment, summary, trials, figures, out_dir, store, errors)
    return summary, figures
