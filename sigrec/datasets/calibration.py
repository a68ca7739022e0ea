"""Generators for blind gain calibration: random sensing problems and an imaging scene."""

from __future__ import annotations

import numpy as np

from sigrec._validation import check_random_generator
from sigrec.datasets._checks import check_basis, check_int, check_real, check_shape, check_snr_db

__all__ = ["make_calibration_problem", "make_calibration_scene", "make_phantom", "vignetting_gains"]


def _mean_one_gains(deviation, rho):
    """``1 + e`` with e the mean-removed deviation scaled to ``‖e‖_∞ = rho``."""
    deviation = deviation - deviation.mean()
    peak = np.abs(deviation).max()
    return 1.0 + (rho / peak) * deviation if peak > 0 else np.ones_like(deviation)


def _sensing_rows(rng, n_rows, n_features, sensing):
    if sensing == "gaussian":
        return rng.standard_normal((n_rows, n_features))
    if sensing == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_rows, n_features))
    raise ValueError(f"sensing must be 'gaussian' or 'rademacher', got {sensing!r}.")


def _add_noise(rng, clean, snr_db):
    if snr_db is None:
        return clean.copy()
    noise = rng.standard_normal(clean.shape)
    # SNR = ‖clean‖² / ‖noise‖², realised exactly for this draw.
    noise *= np.linalg.norm(clean) / (np.linalg.norm(noise) * 10.0 ** (snr_db / 20.0))
    return clean + noise


def make_calibration_problem(
    n_features,
    n_sensors,
    n_snapshots,
    *,
    rho=0.5,
    snr_db=None,
    sensing="gaussian",
    signal_basis=None,
    gain_basis=None,
    random_state=None,
):
    """Random blind-calibration problem ``y_{i,l} = g_i ⟨a_{i,l}, x⟩ + ν_{i,l}``.

    Every snapshot draws a fresh sensing matrix (a repeated one adds no
    information). Rows are snapshot-major: row ``l·m + i`` is sensor i in
    snapshot l, so ``sensors = arange(m·p) % m``.

    Parameters
    ----------
    n_features : int
        Signal length n.
    n_sensors : int
        Number of sensors m.
    n_snapshots : int
        Snapshots p (rows per sensor).
    rho : float in [0, 1), default=0.5
        Gain deviation ``‖g − 1‖_∞``. Gains are ``1 + e``, e uniform (or
        uniform coefficients in ``gain_basis``), mean removed, scaled to ρ.
    snr_db : float, optional
        Additive Gaussian noise at ``‖g∘Ax‖² / ‖ν‖²`` (realised exactly);
        ``None`` for noiseless data.
    sensing : {"gaussian", "rademacher"}
        Distribution of the i.i.d. sensing entries.
    signal_basis : ndarray of shape (n_features, k), optional
        The signal is ``Z z`` with ``z ~ N(0, I_k)``; otherwise ``x ~ N(0, I_n)``.
    gain_basis : ndarray of shape (n_sensors, h), optional
        The gain deviation lies in this span (minus its mean), e.g.
        :func:`sigrec.calibration.dct_basis`.
    random_state : int, Generator or None

    Returns
    -------
    X : ndarray of shape (m·p, n)
        Sensing rows.
    y : ndarray of shape (m·p,)
    sensors : ndarray of int of shape (m·p,)
    signal : ndarray of shape (n,)
    gains : ndarray of shape (m,)
        Mean exactly one.
    """
    rho = check_real(rho, "rho", 0.0, 1.0, high_open=True)
    snr_db = check_snr_db(snr_db)
    n = check_int(n_features, "n_features")
    m = check_int(n_sensors, "n_sensors")
    p = check_int(n_snapshots, "n_snapshots")
    rng = check_random_generator(random_state)
    if signal_basis is None:
        signal = rng.standard_normal(n)
    else:
        signal_basis = check_basis(signal_basis, "signal_basis", n, "n_features")
        signal = signal_basis @ rng.standard_normal(signal_basis.shape[1])
    if gain_basis is None:
        deviation = rng.uniform(-1.0, 1.0, m)
    else:
        gain_basis = check_basis(gain_basis, "gain_basis", m, "n_sensors")
        deviation = gain_basis @ rng.uniform(-1.0, 1.0, gain_basis.shape[1])
    gains = _mean_one_gains(deviation, rho)
    X = _sensing_rows(rng, m * p, n, sensing)
    sensors = np.arange(m * p) % m
    y = _add_noise(rng, gains[sensors] * (X @ signal), snr_db)
    return X, y, sensors, signal, gains


def make_phantom(shape=(64, 64)):
    """A piecewise-constant test scene of ellipses (Shepp–Logan-like), values in [0, 1].

    Parameters
    ----------
    shape : tuple of int, default=(64, 64)

    Returns
    -------
    ndarray of shape ``shape``
    """
    shape = check_shape(shape, "shape", length=2)
    rows, cols = shape
    v, u = np.meshgrid(np.linspace(-1, 1, rows), np.linspace(-1, 1, cols), indexing="ij")
    # (value, centre u, centre v, semi-axis u, semi-axis v, angle in degrees)
    ellipses = [
        (1.0, 0.0, 0.0, 0.69, 0.92, 0),
        (-0.8, 0.0, -0.0184, 0.6624, 0.874, 0),
        (-0.2, 0.22, 0.0, 0.11, 0.31, -18),
        (-0.2, -0.22, 0.0, 0.16, 0.41, 18),
        (0.3, 0.0, 0.35, 0.21, 0.25, 0),
        (0.3, 0.0, 0.1, 0.046, 0.046, 0),
        (0.2, -0.08, -0.605, 0.046, 0.023, 0),
        (0.2, 0.06, -0.605, 0.023, 0.046, 0),
    ]
    image = np.zeros(shape)
    for value, cu, cv, au, av, angle in ellipses:
        theta = np.deg2rad(angle)
        du, dv = u - cu, v - cv
        ru = (du * np.cos(theta) + dv * np.sin(theta)) / au
        rv = (-du * np.sin(theta) + dv * np.cos(theta)) / av
        image[ru**2 + rv**2 <= 1.0] += value
    return np.clip(image, 0.0, 1.0)


def vignetting_gains(sensor_shape, rho=0.3, *, non_uniformity=0.05, random_state=None):
    """Smooth radial fall-off plus small per-sensor noise, mean one, ``‖g − 1‖_∞ = rho``.

    Parameters
    ----------
    sensor_shape : tuple of two ints
        Sensor grid (rows, cols); gains are flattened in C order.
    rho : float in [0, 1)
    non_uniformity : float, default=0.05
        Relative amplitude of the independent per-sensor part
        (photo-response non-uniformity) against the radial part.
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (rows·cols,)
    """
    rng = check_random_generator(random_state)
    rows, cols = sensor_shape
    v, u = np.meshgrid(np.linspace(-1, 1, rows), np.linspace(-1, 1, cols), indexing="ij")
    radial = -(u**2 + v**2)  # brightest at the centre
    radial -= radial.mean()
    peak = np.abs(radial).max()
    if peak > 0:  # a 2×2 (or 1×n) grid has no radial variation: only the per-sensor part remains
        radial /= peak
    deviation = radial + non_uniformity * rng.uniform(-1.0, 1.0, radial.shape)
    return _mean_one_gains(deviation.ravel(), rho)


def make_calibration_scene(
    image_shape=(64, 64),
    sensor_shape=(8, 8),
    n_snapshots=None,
    *,
    rho=0.3,
    snr_db=None,
    sensing="rademacher",
    random_state=None,
):
    """Imaging demo: a phantom seen by an array of sensors with vignetted gains.

    Each sensor integrates the whole scene through its own random ±1 mask
    per snapshot (a single-pixel-camera array); the unknown gains follow
    :func:`vignetting_gains` over the sensor grid.

    Parameters
    ----------
    image_shape : tuple of int, default=(64, 64)
        Scene size; n = rows·cols.
    sensor_shape : tuple of int, default=(8, 8)
        Sensor grid; m = rows·cols.
    n_snapshots : int, optional
        Default: the smallest p with ``m·p ≥ 2(n + m)`` (twice the counting bound).
    rho, snr_db, sensing, random_state
        As in :func:`make_calibration_problem`.

    Returns
    -------
    X : ndarray of shape (m·p, n)
    y : ndarray of shape (m·p,)
    sensors : ndarray of int of shape (m·p,)
    image : ndarray of shape ``image_shape``
    gains : ndarray of shape (m,)
    """
    image_shape = check_shape(image_shape, "image_shape", length=2)
    sensor_shape = check_shape(sensor_shape, "sensor_shape", length=2)
    rho = check_real(rho, "rho", 0.0, 1.0, high_open=True)
    snr_db = check_snr_db(snr_db)
    rng = check_random_generator(random_state)
    image = make_phantom(image_shape)
    n, m = image.size, int(np.prod(sensor_shape))
    p = int(np.ceil(2 * (n + m) / m)) if n_snapshots is None else check_int(n_snapshots, "n_snapshots")
    gains = vignetting_gains(sensor_shape, rho, random_state=rng)
    X = _sensing_rows(rng, m * p, n, sensing)
    sensors = np.arange(m * p) % m
    y = _add_noise(rng, gains[sensors] * (X @ image.ravel()), snr_db)
    return X, y, sensors, image, gains
