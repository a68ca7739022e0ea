"""Monte-Carlo sweeps: registered experiments, chunked parallel runs, a resumable store.

Typical use::

    from sigrec.simulate import run, summarize
    trials = run("cs_phase_transition", quick=True, store="pt.sqlite", n_jobs=2)
    table = summarize(trials, "cs_phase_transition")

or from the shell: ``sigrec run cs_phase_transition --quick --store pt.sqlite``.
"""

from sigrec.simulate._experiment import (
    Experiment,
    ExperimentError,
    get_experiment,
    list_experiments,
    register,
)
from sigrec.simulate._report import (
    figure_links,
    format_number,
    markdown_table,
    new_figure,
    plot_metric,
    plot_phase_diagram,
    report,
)
from sigrec.simulate._runner import BACKENDS, FailedTrialsError, TrialError, run, run_chunk, summarize
from sigrec.simulate._store import ResultStore, StoreError

__all__ = [
    "FailedTrialsError",
    "figure_links",
    "format_number",
    "markdown_table",
    "Experiment",
    "ExperimentError",
    "register",
    "get_experiment",
    "list_experiments",
    "run",
    "run_chunk",
    "summarize",
    "report",
    "plot_metric",
    "plot_phase_diagram",
    "new_figure",
    "ResultStore",
    "StoreError",
    "TrialError",
    "BACKENDS",
]
