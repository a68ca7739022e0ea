"""Experiments: a named parameter grid plus a trial function.

A trial function has the signature ``trial(params, rng) -> dict`` where
``params`` maps grid keys to one value each, ``rng`` is a
:class:`numpy.random.Generator` seeded for exactly this (cell, trial), and
the returned dict maps metric names to finite or infinite floats (NaN is
allowed and means "undefined for this trial", e.g. a method that failed).

Capabilities register their headline studies with :func:`register`; the
registry is filled lazily from ``_EXPERIMENT_MODULES`` the first time it is
read, so ``import sigrec.simulate`` imports no capability.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import itertools
import json
from collections.abc import Callable, Mapping, Sequence

__all__ = ["Experiment", "register", "get_experiment", "list_experiments", "ExperimentError"]

# Modules whose import registers experiments; each capability appends its own.
_EXPERIMENT_MODULES = [
    "sigrec.simulate.tour",
    "sigrec.coding.experiments",
    "sigrec.calibration.experiments",
    "sigrec.regression.experiments",
    "sigrec.tensor.experiments",
    "sigrec.bayes.experiments",
    "sigrec.sampling.experiments",
]

_REGISTRY: dict[str, Experiment] = {}
_loaded = False


class ExperimentError(ValueError):
    """An unknown experiment, grid key or grid value."""


TRIALS_KEY = "@trials"


def _as_grid_list(grid):
    if isinstance(grid, Mapping):
        grid = [grid]
    grids = []
    for sub in grid:
        if not isinstance(sub, Mapping) or not sub:
            raise ExperimentError("a grid is a non-empty dict (or a list of them) of key -> list of values")
        checked = {}
        for key, values in sub.items():
            if key == TRIALS_KEY:
                # A sub-grid may set its own trial count (e.g. a slow study inside the tour).
                if not isinstance(values, int) or values < 1:
                    raise ExperimentError(f"{TRIALS_KEY} must be a positive int, got {values!r}")
                checked[key] = values
                continue
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                values = [values]
            if len(values) == 0:
                raise ExperimentError(f"grid key {key!r} has no values")
            checked[str(key)] = list(values)
        if set(checked) == {TRIALS_KEY}:
            raise ExperimentError("a sub-grid needs at least one parameter key")
        grids.append(checked)
    return grids


def cell_key(params):
    """Canonical text of one cell's parameters: the cell's identity in stores."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


def cell_hash(key):
    """A stable 64-bit integer for a cell key, used as a SeedSequence spawn key.

    Seeds derive from the cell's *parameters*, not its position in the grid,
    so adding values to a grid never changes the numbers of existing cells.
    """
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A registered Monte-Carlo study.

    Parameters
    ----------
    name : str
        Registry name, used by ``sigrec run NAME``.
    trial : callable
        ``trial(params, rng) -> dict[str, float]``, defined at module level
        so worker processes can unpickle it.
    grid : dict or list of dict
        Parameter grid: key -> list of values (a list of dicts is a union of
        sub-grids, as in scikit-learn's ``ParameterGrid``). Values must be
        JSON-serialisable scalars. A sub-grid may hold ``"@trials": k`` to
        run k trials per cell instead of ``n_trials`` (``--trials`` still
        overrides every sub-grid).
    n_trials : int
        Default number of trials per cell.
    chunk_size : int
        Trials per task. Choose it so that one chunk is at least ~100 ms of
        work; results never depend on it.
    quick : dict, optional
        Overrides for ``--quick``: ``{"grid": ..., "n_trials": ...}``.
    description : str
        One line for ``sigrec list``.
    plot : callable, optional
        ``plot(summary, out_dir) -> list[pathlib.Path]`` writes the report's
        figures from the summary DataFrame. A generic plot is used otherwise.
    markdown : callable, optional
        ``markdown(summary, figures, out_dir) -> str`` returns the body of the
        report's ``index.md`` (sections, tables, figure links relative to
        ``out_dir``); :func:`~sigrec.simulate.report` adds the title and the
        run's metadata above it. Without it the body is the generic one: the
        per-cell means and the figures.
    """

    name: str
    trial: Callable
    grid: object
    n_trials: int = 100
    chunk_size: int = 10
    quick: Mapping | None = None
    description: str = ""
    plot: Callable | None = None
    markdown: Callable | None = None

    def __post_init__(self):
        object.__setattr__(self, "grid", _as_grid_list(self.grid))
        if self.n_trials < 1 or self.chunk_size < 1:
            raise ExperimentError("n_trials and chunk_size must be positive")

    @property
    def keys(self):
        """All grid keys, in declaration order."""
        seen = {}
        for sub in self.grid:
            for key in sub:
                if key != TRIALS_KEY:
                    seen.setdefault(key, None)
        return list(seen)

    def resolve(self, *, grid_overrides=None, n_trials=None, quick=False):
        """Return ``(grids, n_trials)`` after ``--quick``, ``--grid`` and ``--trials``.

        ``grid_overrides`` maps existing keys to new value lists; an unknown
        key raises :class:`ExperimentError` listing the valid keys. An
        explicit ``n_trials`` replaces every sub-grid's own ``"@trials"``.
        """
        grids = [dict(sub) for sub in self.grid]
        trials = self.n_trials
        if quick and self.quick:
            if "grid" in self.quick:
                grids = _as_grid_list(self.quick["grid"])
            trials = self.quick.get("n_trials", trials)
        for key, values in (grid_overrides or {}).items():
            holders = [sub for sub in grids if key in sub and key != TRIALS_KEY]
            if not holders:
                valid = sorted({k for sub in grids for k in sub if k != TRIALS_KEY})
                raise ExperimentError(
                    f"unknown grid key {key!r} for experiment {self.name!r}; valid keys: {', '.join(valid)}"
                )
            for sub in holders:
                sub[key] = list(values)
        if n_trials is not None:
            if n_trials < 1:
                raise ExperimentError(f"--trials must be at least 1, got {n_trials}")
            trials = n_trials
            for sub in grids:
                sub.pop(TRIALS_KEY, None)
        return grids, trials

    @staticmethod
    def cells(grids, n_trials=None):
        """Expand grids into parameter dicts (duplicates removed).

        With ``n_trials`` given, return ``(params, trials)`` pairs instead,
        where ``trials`` is the sub-grid's ``"@trials"`` or ``n_trials``.
        """
        seen = {}
        for sub in grids:
            keys = [k for k in sub if k != TRIALS_KEY]
            trials = sub.get(TRIALS_KEY, n_trials)
            for combo in itertools.product(*(sub[k] for k in keys)):
                params = dict(zip(keys, combo, strict=True))
                seen.setdefault(cell_key(params), (params, trials))
        if n_trials is None:
            return [params for params, _ in seen.values()]
        return list(seen.values())


def register(experiment):
    """Add an :class:`Experiment` to the registry (replacing one of the same name)."""
    if not isinstance(experiment, Experiment):
        raise TypeError(f"register expects an Experiment, got {type(experiment).__name__}")
    _REGISTRY[experiment.name] = experiment
    return experiment


def _load():
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _EXPERIMENT_MODULES:
            importlib.import_module(module)


def list_experiments():
    """Registered experiments, sorted by name."""
    _load()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get_experiment(name):
    """Look an experiment up by name; raises :class:`ExperimentError` listing the known ones."""
    if isinstance(name, Experiment):
        return name
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "(none)"
        raise ExperimentError(f"unknown experiment {name!r}; known experiments: {known}") from None
