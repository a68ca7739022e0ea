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
_EXPERIMENT_MODULES = ["sigrec.simulate.tour"]

_REGISTRY: dict[str, Experiment] = {}
_loaded = False


class ExperimentError(ValueError):
    """An unknown experiment, grid key or grid value."""


def _as_grid_list(grid):
    if isinstance(grid, Mapping):
        grid = [grid]
    grids = []
    for sub in grid:
        if not isinstance(sub, Mapping) or not sub:
            raise ExperimentError("a grid is a non-empty dict (or a list of them) of key -> list of values")
        checked = {}
        for key, values in sub.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                values = [values]
            if len(values) == 0:
                raise ExperimentError(f"grid key {key!r} has no values")
            checked[str(key)] = list(values)
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
        JSON-serialisable scalars.
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
    """

    name: str
    trial: Callable
    grid: object
    n_trials: int = 100
    chunk_size: int = 10
    quick: Mapping | None = None
    description: str = ""
    plot: Callable | None = None

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
                seen.setdefault(key, None)
        return list(seen)

    def resolve(self, *, grid_overrides=None, n_trials=None, quick=False):
        """Return ``(grids, n_trials)`` after ``--quick`` and ``--grid`` overrides.

        ``grid_overrides`` maps existing keys to new value lists; an unknown
        key raises :class:`ExperimentError` listing the valid keys.
        """
        grids = [dict(sub) for sub in self.grid]
        trials = self.n_trials
        if quick and self.quick:
            if "grid" in self.quick:
                grids = _as_grid_list(self.quick["grid"])
            trials = self.quick.get("n_trials", trials)
        for key, values in (grid_overrides or {}).items():
            holders = [sub for sub in grids if key in sub]
            if not holders:
                valid = sorted({k for sub in grids for k in sub})
                raise ExperimentError(
                    f"unknown grid key {key!r} for experiment {self.name!r}; valid keys: {', '.join(valid)}"
                )
            for sub in holders:
                sub[key] = list(values)
        if n_trials is not None:
            if n_trials < 1:
                raise ExperimentError(f"--trials must be at least 1, got {n_trials}")
            trials = n_trials
        return grids, trials

    @staticmethod
    def cells(grids):
        """Expand grids into a list of parameter dicts (duplicates removed)."""
        seen = {}
        for sub in grids:
            keys = list(sub)
            for combo in itertools.product(*(sub[k] for k in keys)):
                params = dict(zip(keys, combo, strict=True))
                seen.setdefault(cell_key(params), params)
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
