"""Argument checks shared by the ``make_*`` generators: every error names the argument.

A generator given a NaN SNR, a negative size or a shape that is not a
sequence of integers raises ``ValueError`` naming the argument, instead of a
NumPy error from deep inside (or, worse, a NaN data set).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["check_int", "check_real", "check_shape", "check_snr_db", "check_basis"]

# Beyond ±1000 dB the noise variance (10^(∓100) of the signal power) leaves no
# margin in float64 powers and products; no experiment needs more.
SNR_DB_LIMIT = 1000.0


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def check_int(value, name, low=1, high=None):
    """``int(value)`` for an integer (or integral float) in ``[low, high]``; ``ValueError`` naming `name` otherwise."""
    ok = _is_number(value) and math.isfinite(value) and (isinstance(value, Integral) or float(value).is_integer())
    ok = ok and value >= low and (high is None or value <= high)
    if not ok:
        bound = f"≥ {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {bound}; got {value!r}.")
    return int(value)


def check_real(value, name, low=None, high=None, *, low_open=False, high_open=False):
    """``float(value)`` for a finite number in the given interval; ``ValueError`` naming `name` otherwise."""
    ok = _is_number(value) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        left = "" if low is None else ("(" if low_open else "[") + f"{low}, "
        right = "" if high is None else f"{high}" + (")" if high_open else "]")
        interval = f" in {left or '(-inf, '}{right or 'inf)'}" if (low is not None or high is not None) else ""
        raise ValueError(f"{name} must be a finite number{interval}; got {value!r}.")
    return float(value)


def check_shape(value, name, *, length=None, minimum=1):
    """A tuple of integers ≥ `minimum` (exactly `length` of them when given)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be a sequence of integers, got {value!r}.")
    sizes = tuple(value)
    if not sizes or (length is not None and len(sizes) != length):
        count = "at least one" if length is None else f"exactly {length}"
        raise ValueError(f"{name} must list {count} size(s), got {value!r}.")
    return tuple(check_int(size, f"{name}[{index}]", minimum) for index, size in enumerate(sizes))


def check_snr_db(snr_db, name="snr_db"):
    """None (noiseless) or a finite SNR in dB within ±1000 dB."""
    if snr_db is None:
        return None
    if not (_is_number(snr_db) and math.isfinite(snr_db) and abs(snr_db) <= SNR_DB_LIMIT):
        raise ValueError(
            f"{name} must be a finite number of dB in [-{SNR_DB_LIMIT:g}, {SNR_DB_LIMIT:g}] or None "
            f"(noiseless), got {snr_db!r}."
        )
    return float(snr_db)


def check_basis(basis, name, n_rows, rows_name):
    """A finite float64 matrix of shape ``(n_rows, k)`` with ``k ≥ 1``."""
    from sigrec._validation import check_array

    basis = check_array(basis, name=name)
    if basis.shape[0] != n_rows:
        raise ValueError(f"{name} must have shape ({rows_name}={n_rows}, k), got {basis.shape}.")
    return basis
