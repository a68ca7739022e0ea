"""The sensing design of a calibration problem: rows, their sensors and their weights.

A calibration data set is a stack of sensing rows ``a_r`` (the rows of X),
their measurements ``y_r`` and the index ``s(r)`` of the sensor that
recorded each.  ``p`` snapshots of ``m`` sensors is the regular case (every
sensor has ``p`` rows); irregular designs give sensors different row counts.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_sensors", "row_weights", "back_projection", "power_of_two_scale"]


def check_sensors(sensors, n_rows, *, n_sensors=None):
    """Validate the sensor index of every row.

    Parameters
    ----------
    sensors : array-like of int of shape (n_rows,) or None
        Sensor of each row. ``None`` means the snapshot-major layout
        ``row r -> sensor r % n_sensors`` (p blocks of n_sensors rows).
    n_rows : int
    n_sensors : int, optional
        Number of sensors. Inferred as ``max(sensors) + 1`` when not given.

    Returns
    -------
    sensors : ndarray of intp of shape (n_rows,)
    n_sensors : int

    Raises
    ------
    ValueError
        Missing or out-of-range indices, a length different from X's rows,
        or a sensor without any row (its gain would be undetermined).
    TypeError
        Non-integer indices.
    """
    if sensors is None:
        if n_sensors is None:
            raise ValueError(
                "sensors is required: pass the sensor index of every row of X, or set n_sensors "
                "for the snapshot-major layout (row r belongs to sensor r % n_sensors)."
            )
        sensors = np.arange(n_rows) % n_sensors
    else:
        array = np.asarray(sensors)
        if array.ndim != 1:
            raise ValueError(f"sensors must be 1-D (one index per row of X), got shape {array.shape}.")
        if array.dtype.kind == "f" and array.size and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            array = array.astype(np.intp)
        if array.dtype.kind not in "iu":
            raise TypeError(f"sensors must hold integer sensor indices, got dtype {array.dtype}.")
        if array.shape[0] != n_rows:
            raise ValueError(
                f"sensors has {array.shape[0]} entries but X has {n_rows} rows; give one sensor index per row."
            )
        if array.size and array.min() < 0:
            raise ValueError(f"sensors must be non-negative, got {array.min()}.")
        sensors = array.astype(np.intp, copy=False)
    if n_sensors is None:
        n_sensors = int(sensors.max()) + 1 if sensors.size else 0
    elif sensors.size and sensors.max() >= n_sensors:
        raise ValueError(f"sensors holds index {sensors.max()} but there are only {n_sensors} sensors.")
    counts = np.bincount(sensors, minlength=n_sensors)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(
            f"sensor {empty[0]} has no rows in X ({empty.size} sensor(s) without rows); every sensor "
            "needs at least one measurement for its gain to be defined."
        )
    return sensors, int(n_sensors)


def row_weights(sensors, n_sensors):
    """Weight ``1 / (m · rows of its sensor)`` of each row.

    With ``p`` rows per sensor every weight is ``1/(mp)``, the paper's
    normalisation. Weighting by the sensor's row count keeps the two
    properties the algorithm relies on for irregular designs: the
    back-projection stays unbiased and every gain has the same curvature
    ``≈ ‖x‖²/m`` (so one curvature-scaled gain step suits all sensors).
    """
    counts = np.bincount(sensors, minlength=n_sensors).astype(float)
    return 1.0 / (n_sensors * counts[sensors])


def back_projection(design, target, weights):
    """Initial signal ``Σ_r w_r y_r a_r``: unbiased for isotropic rows and mean-one gains."""
    return design.T @ (weights * target)


def power_of_two_scale(array):
    """The power of two nearest to the RMS of `array` (1.0 for an all-zero array).

    Dividing by it is exact in floating point and brings the data to unit
    RMS within a factor √2, so data already near unit scale are untouched.
    The RMS is computed after dividing by the largest magnitude, so it
    neither overflows at 1e150 nor underflows at 1e-150.
    """
    peak = float(np.max(np.abs(array))) if array.size else 0.0
    if peak == 0.0:
        return 1.0
    rms = peak * float(np.sqrt(np.mean((array / peak) ** 2)))
    return float(np.ldexp(1.0, int(np.round(np.log2(rms)))))
