"""Registry of sigrec's public estimators.

Estimators are listed by import path and imported only when asked for, so
``import sigrec.utils`` stays cheap and an optional dependency (torch for
``sigrec.sampling``) only matters to code that asks for those estimators.
Each capability adds its public estimators to ``_ESTIMATORS`` when it lands;
``tests/test_contract.py`` then runs scikit-learn's estimator checks and
sigrec's bad-input checks over every entry.
"""

from __future__ import annotations

import importlib
import importlib.util

__all__ = ["all_estimators"]

# (public name, "module:attribute", optional dependency or None)
_ESTIMATORS: list[tuple[str, str, str | None]] = [
    ("BlindGainCalibration", "sigrec.calibration:BlindGainCalibration", None),
    ("DPSSampler", "sigrec.sampling:DPSSampler", "torch"),
    ("KroneckerSBL", "sigrec.bayes:KroneckerSBL", None),
    ("LinearizedGainCalibration", "sigrec.calibration:LinearizedGainCalibration", None),
    ("LqDictionaryLearning", "sigrec.coding:LqDictionaryLearning", None),
    ("LqSparseCoder", "sigrec.coding:LqSparseCoder", None),
    ("RandomSupportRegression", "sigrec.regression:RandomSupportRegression", None),
    ("SparseBayesianRegression", "sigrec.bayes:SparseBayesianRegression", None),
    ("SubspacePeeling", "sigrec.regression:SubspacePeeling", None),
]


def all_estimators(*, include_optional=True):
    """Return sigrec's public estimators as ``(name, class)`` pairs.

    Parameters
    ----------
    include_optional : bool, default=True
        Include estimators whose optional dependency (e.g. torch) is
        installed; estimators whose dependency is missing are always skipped.

    Returns
    -------
    list of (str, type)
        Sorted by name.
    """
    found = []
    for name, path, optional in _ESTIMATORS:
        if optional is not None:
            if not include_optional or importlib.util.find_spec(optional) is None:
                continue
        module_name, attribute = path.split(":")
        found.append((name, getattr(importlib.import_module(module_name), attribute)))
    return sorted(found, key=lambda pair: pair[0])
