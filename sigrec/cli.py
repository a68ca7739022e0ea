"""The ``sigrec`` command line (also ``python -m sigrec``).

Exit status: 0 success; 2 an error that stopped the command (unknown
experiment, bad option, unusable or unwritable store, a failed trial under
``--fail-fast``); 3 ``sigrec run`` finished but some trials failed (they are
recorded in the store, and ``--resume`` retries them); 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

from sigrec import __version__

__all__ = ["main", "EXIT_ERROR", "EXIT_FAILED_TRIALS"]

#: Exit status of a command stopped by an error.
EXIT_ERROR = 2
#: Exit status of a sweep that finished with failed trials (recorded in the store).
EXIT_FAILED_TRIALS = 3


def _parse_value(text):
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_grid(assignments):
    """Parse ``["k=1,2", "method=l1"]`` into ``{"k": [1, 2], "method": ["l1"]}``.

    Values become int, float or bool when they read as one, else str.
    """
    grid = {}
    for assignment in assignments or []:
        key, sep, values = assignment.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise ValueError(f"--grid expects key=value[,value...], got {assignment!r}")
        grid[key.strip()] = [_parse_value(v) for v in values.split(",") if v.strip()]
    return grid


def _import_user_modules(names):
    """Import modules (dotted names or .py paths) that register experiments."""
    for name in names or []:
        if name.endswith(".py"):
            path = Path(name).resolve()
            if not path.is_file():
                raise ValueError(f"--import: no file {path}")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[path.stem] = module
            spec.loader.exec_module(module)
            # Worker processes cannot import a file by path: ship its functions by value.
            for pickler in ("cloudpickle", "joblib.externals.cloudpickle"):
                try:
                    importlib.import_module(pickler).register_pickle_by_value(module)
                except ImportError:
                    pass
        else:
            importlib.import_module(name)


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="sigrec", description="sigrec: statistical signal recovery — experiments and sweeps."
    )
    parser.add_argument("--version", action="version", version=f"sigrec {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser("list", help="list the registered experiments")
    listing.add_argument("--import", dest="imports", action="append", metavar="MODULE",
                         help="import a module or .py file that registers experiments")

    run = commands.add_parser("run", help="run an experiment's Monte-Carlo sweep")
    run.add_argument("name", help="experiment name (see `sigrec list`)")
    run.add_argument("--grid", action="append", nargs="+", default=[], metavar="KEY=V1,V2",
                     help="override a grid key's values (repeatable)")
    run.add_argument("--trials", type=int, help="trials per cell")
    run.add_argument("--quick", action="store_true", help="the experiment's small variant")
    run.add_argument("--store", default="results/{name}.sqlite",
                     help="SQLite results file (default: results/NAME.sqlite)")
    run.add_argument("--resume", action="store_true", help="continue a store, skipping stored trials")
    run.add_argument("--seed", type=int, help="root seed (default 0, or the stored one with --resume)")
    run.add_argument("--n-jobs", type=int, default=1, help="worker processes (-1: all cores)")
    run.add_argument("--backend", choices=("loky", "dask"), default="loky")
    run.add_argument("--scheduler", help="dask scheduler address, e.g. tcp://host:8786 (implies dask)")
    run.add_argument("--chunk-size", type=int, help="trials per task")
    run.add_argument("--fail-fast", action="store_true",
                     help="stop at the first failed trial instead of recording it and going on (exit status 2)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--import", dest="imports", action="append", metavar="MODULE",
                     help="import a module or .py file that registers experiments")

    report = commands.add_parser("report", help="summarise a results store: table, CSV, PNG figures and index.md")
    report.add_argument("name", help="experiment name")
    report.add_argument("--store", default="results/{name}.sqlite", help="SQLite results file")
    report.add_argument("--out", help="folder for figures, CSV and index.md (default: the store's folder)")
    report.add_argument("--import", dest="imports", action="append", metavar="MODULE",
                        help="import a module or .py file that registers experiments")
    return parser


def _print_summary(summary):
    """Print the per-cell table; a union of studies prints one table per study."""
    def show(table):
        print(table.dropna(axis=1, how="all").to_string(index=False, float_format=lambda v: f"{v:.4g}"))

    if "study" in summary.columns and summary["study"].nunique() > 1:
        for study, table in summary.groupby("study", sort=False):
            print(f"\n== {study}")
            show(table)
    else:
        show(summary)


def _command_list(args):
    from sigrec.simulate import list_experiments

    experiments = list_experiments()
    width = max(len(e.name) for e in experiments)
    for experiment in experiments:
        cells = experiment.cells(experiment.grid, experiment.n_trials)
        total = sum(trials for _, trials in cells)
        print(f"{experiment.name:<{width}}  {len(cells):>4} cells {total:>6} trials  {experiment.description}")
    return 0


def _command_run(args):
    from sigrec.simulate import get_experiment, run, summarize
    from sigrec.simulate._runner import FailedTrialsError

    experiment = get_experiment(args.name)
    grid = parse_grid([item for group in args.grid for item in group])
    store = args.store.format(name=experiment.name)
    try:
        trials = run(
            experiment,
            grid=grid,
            n_trials=args.trials,
            quick=args.quick,
            store=store,
            resume=args.resume,
            seed=args.seed,
            n_jobs=args.n_jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            chunk_size=args.chunk_size,
            progress=not args.quiet,
            on_error="raise" if args.fail_fast else "continue",
        )
        errors, status = None, 0
    except FailedTrialsError as failures:
        # The sweep finished: show what it has, then say (on stderr, even with --quiet) what failed.
        trials, errors, status = failures.trials, failures.errors, EXIT_FAILED_TRIALS
        warning = f"sigrec: warning: {failures}"
    if not args.quiet:
        _print_summary(summarize(trials, experiment, errors=errors))
        print(f"\n{len(trials)} trials in {store}")
    if status:
        print(warning, file=sys.stderr)
    return status


def _command_report(args):
    from sigrec.simulate import get_experiment, report
    from sigrec.simulate._report import INDEX_NAME

    experiment = get_experiment(args.name)
    store = Path(args.store.format(name=experiment.name))
    out_dir = Path(args.out) if args.out else store.parent
    summary, figures = report(experiment, store, out_dir)
    _print_summary(summary)
    if "n_failed" in summary:
        print(f"sigrec: warning: {int(summary['n_failed'].sum())} failed trials in {store} are left out of the "
              f"means; see {out_dir / (experiment.name + '_errors.csv')} (`sigrec run --resume` retries them)",
              file=sys.stderr)
    print(f"\nsummary and trials CSV in {out_dir}")
    for figure in figures:
        print(f"figure: {figure}")
    print(f"report: {out_dir / INDEX_NAME}")
    return 0


def main(argv=None):
    """Entry point of the ``sigrec`` console script; returns the exit status."""
    from sigrec.simulate import ExperimentError, StoreError, TrialError

    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        _import_user_modules(args.imports)
        return {"list": _command_list, "run": _command_run, "report": _command_report}[args.command](args)
    except (ExperimentError, StoreError, TrialError, ValueError, ImportError) as exc:
        print(f"sigrec: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("sigrec: interrupted; finished chunks are stored, rerun with --resume to continue",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
