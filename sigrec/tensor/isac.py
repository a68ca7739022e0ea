"""ISAC geometry, demo scene and simulators for the multidimensional harmonic model.

A multi-antenna OFDM receiver (uniform linear array) sees K point objects.
After division by the known data symbols every resource element holds

    H[n, k, l] = Σ_p β_p exp(+j μ_p n) exp(+j ν_p k) exp(+j ω_p l) + W[n, k, l]

with antenna n, subcarrier k and OFDM symbol l (the tensor convention of
:mod:`sigrec.tensor._model`). The three frequencies, in rad/sample, map to
physical parameters as

- space:     μ = 2π (d/λ) cos θ (angle θ from the array axis, ``"axis"``) or
  2π (d/λ) sin θ (θ from broadside, ``"broadside"``); wrapped to [−π, π);
- frequency: ν = −2π Δf τ (the minus sign is the delay's phase); delays are
  one-sided, wrapped to (−2π, 0];
- time:      ω = 2π f_D T_sym with T_sym = 1/Δf + T_CP; wrapped to [−π, π).

A ``"one_way"`` link (a transmitter at the object, as in the official PLAIN
demo) has τ = R/c and f_D = v f_c/c; a ``"monostatic"`` radar has τ = 2R/c and
f_D = 2 v f_c/c. The velocity v is radial and positive when the object
approaches (its delay shrinks, its Doppler is positive). Range migration over
the processing interval and the frequency dependence of the Doppler shift
across the band (a 4·10⁻⁴ relative effect for the demo) are neglected, in the
simulators as in the model.

Frequencies are ``(K, 3)`` arrays with columns (space, frequency, time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

from sigrec._validation import check_array, check_random_generator
from sigrec.tensor._kernels import apply_channel
from sigrec.tensor._model import check_positive_int, synthesize, wrap_to_interval

__all__ = [
    "ISACGeometry",
    "ISACScene",
    "SNR_DEFINITIONS",
    "uma_los_path_gain",
    "demo_scene",
    "simulate_echo",
    "simulate_ofdm",
    "ofdm_realised_ranges",
]

TWO_PI = 2.0 * math.pi
LINKS = ("one_way", "monostatic")
ANGLE_REFERENCES = ("axis", "broadside")
SNR_DEFINITIONS = ("total_per_re", "per_path_per_element")


def _check_scalar(value, name, *, positive=True, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}.")
    if positive and (value < 0 or (value == 0 and not allow_zero)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}.")
    return float(value)


def _as_vector(values, name, *, allow_complex=False):
    array = check_array(values, name=name, ndim=(0, 1), allow_complex=allow_complex)
    return np.atleast_1d(array)


@dataclass(frozen=True)
class ISACGeometry:
    """Carrier, array and OFDM numerology of an ISAC receiver (defaults: the PLAIN demo).

    Parameters
    ----------
    carrier_frequency : float, default=26e9
        Carrier frequency f_c in Hz.
    n_antennas : int, default=16
        Receive ULA elements N_a (tensor mode 0).
    antenna_spacing : float or None, default=None
        Element spacing d in metres; None means λ/2 (resolved in :attr:`spacing`,
        so :func:`dataclasses.replace` with a new carrier keeps half a wavelength).
    n_subcarriers : int, default=180
        Occupied subcarriers N_f (tensor mode 1); 180 is 15 resource blocks.
    subcarrier_spacing : float, default=60e3
        Δf in Hz.
    n_symbols : int, default=560
        OFDM symbols N_t (tensor mode 2); 560 is 40 slots of 14 symbols.
    cyclic_prefix : float or None, default=None
        Cyclic-prefix duration T_CP in seconds; None means 1/(14 Δf), the
        slot-averaged 5G NR normal prefix (resolved in :attr:`cp_duration`).
    link : {"one_way", "monostatic"}, default="one_way"
        τ = R/c, f_D = v f_c/c (one way) or τ = 2R/c, f_D = 2 v f_c/c (radar).
    angle_reference : {"axis", "broadside"}, default="axis"
        θ measured from the array axis (μ ∝ cos θ, θ in [0°, 180°]) or from
        broadside (μ ∝ sin θ, θ in [−90°, 90°]).
    speed_of_light : float, default=299_792_458.0
        c in m/s.

    Notes
    -----
    Demo numbers: λ = 11.53 mm, T_sym = 17.86 µs, bandwidth 10.8 MHz, one-way
    range cell c/B = 27.8 m, velocity cell λ/(N_t T_sym) = 1.15 m/s,
    unambiguous one-way range c/Δf = 4.997 km and speed ±322.8 m/s.
    """

    carrier_frequency: float = 26e9
    n_antennas: int = 16
    antenna_spacing: float | None = None
    n_subcarriers: int = 180
    subcarrier_spacing: float = 60e3
    n_symbols: int = 560
    cyclic_prefix: float | None = None
    link: str = "one_way"
    angle_reference: str = "axis"
    speed_of_light: float = 299_792_458.0

    def __post_init__(self):
        _check_scalar(self.carrier_frequency, "carrier_frequency")
        _check_scalar(self.subcarrier_spacing, "subcarrier_spacing")
        _check_scalar(self.speed_of_light, "speed_of_light")
        if self.antenna_spacing is not None:
            _check_scalar(self.antenna_spacing, "antenna_spacing")
        if self.cyclic_prefix is not None:
            _check_scalar(self.cyclic_prefix, "cyclic_prefix", allow_zero=True)
        # A mode with one sample carries no frequency: the tensor estimators need two.
        for name in ("n_antennas", "n_subcarriers", "n_symbols"):
            check_positive_int(getattr(self, name), name, minimum=2)
        if self.link not in LINKS:
            raise ValueError(f"link must be one of {LINKS}, got {self.link!r}.")
        if self.angle_reference not in ANGLE_REFERENCES:
            raise ValueError(f"angle_reference must be one of {ANGLE_REFERENCES}, got {self.angle_reference!r}.")

    # ----------------------------------------------------------------- derived
    @property
    def wavelength(self):
        """λ = c / f_c in metres."""
        return self.speed_of_light / self.carrier_frequency

    @property
    def spacing(self):
        """Element spacing d in metres (``antenna_spacing``, or λ/2 when it is None)."""
        return self.wavelength / 2.0 if self.antenna_spacing is None else float(self.antenna_spacing)

    @property
    def cp_duration(self):
        """Cyclic-prefix duration T_CP in seconds (``cyclic_prefix``, or 1/(14 Δf) when None)."""
        return 1.0 / (14.0 * self.subcarrier_spacing) if self.cyclic_prefix is None else float(self.cyclic_prefix)

    @property
    def symbol_duration(self):
        """T_sym = 1/Δf + T_CP in seconds."""
        return 1.0 / self.subcarrier_spacing + self.cp_duration

    @property
    def shape(self):
        """Tensor shape (N_a, N_f, N_t)."""
        return (int(self.n_antennas), int(self.n_subcarriers), int(self.n_symbols))

    @property
    def bandwidth(self):
        """Occupied bandwidth N_f Δf in Hz."""
        return self.n_subcarriers * self.subcarrier_spacing

    @property
    def _range_per_delay(self):
        # R = c τ one way, c τ / 2 for the round trip.
        return self.speed_of_light if self.link == "one_way" else self.speed_of_light / 2.0

    @property
    def _speed_per_doppler(self):
        # v = λ f_D one way, λ f_D / 2 for the round trip.
        return self.wavelength if self.link == "one_way" else self.wavelength / 2.0

    @property
    def _space_scale(self):
        # μ = 2π (d/λ) · (direction cosine)
        return TWO_PI * self.spacing / self.wavelength

    @property
    def resolution(self):
        """Rayleigh cells (2π/N_m in each mode) in physical units.

        Returns
        -------
        dict
            ``"direction_cosine"``: λ/(N_a d), the cell in cos θ (axis) or sin θ
            (broadside); ``"angle_deg"``: the same at broadside, linearised,
            in degrees (wider away from broadside); ``"range_m"``: c/B one way,
            c/(2B) monostatic; ``"velocity_mps"``: λ/(N_t T_sym) one way,
            half of it monostatic.
        """
        cosine = self.wavelength / (self.n_antennas * self.spacing)
        return {
            "direction_cosine": cosine,
            "angle_deg": math.degrees(cosine),
            "range_m": self._range_per_delay / self.bandwidth,
            "velocity_mps": self._speed_per_doppler / (self.n_symbols * self.symbol_duration),
        }

    @property
    def max_unambiguous_range(self):
        """Range at which ν wraps: c/Δf one way, c/(2Δf) monostatic, in metres (exclusive)."""
        return self._range_per_delay / self.subcarrier_spacing

    @property
    def max_unambiguous_speed(self):
        """Speed at which ω wraps: λ/(2 T_sym) one way, λ/(4 T_sym) monostatic, in m/s."""
        return self._speed_per_doppler / (2.0 * self.symbol_duration)

    # ------------------------------------------------------------ conversions
    def _check_ranges(self, ranges):
        r_max = self.max_unambiguous_range
        if np.any((ranges < 0) | (ranges >= r_max)):
            raise ValueError(
                f"ranges_m must lie in [0, {r_max:.6g}) m, the unambiguous {self.link} range c/Δf"
                f"{'' if self.link == 'one_way' else '/2'}; got {ranges.min():.6g}..{ranges.max():.6g}."
            )
        return ranges

    def _check_parameters(self, angles_deg, ranges_m, velocities_mps):
        angles = _as_vector(angles_deg, "angles_deg")
        ranges = _as_vector(ranges_m, "ranges_m")
        velocities = _as_vector(velocities_mps, "velocities_mps")
        if not angles.shape == ranges.shape == velocities.shape:
            raise ValueError(
                f"angles_deg, ranges_m and velocities_mps must have one entry per object; got lengths "
                f"{angles.shape[0]}, {ranges.shape[0]} and {velocities.shape[0]}."
            )
        low, high = (0.0, 180.0) if self.angle_reference == "axis" else (-90.0, 90.0)
        if np.any((angles < low) | (angles > high)):
            raise ValueError(
                f"angles_deg must lie in [{low:g}, {high:g}] degrees (angle_reference={self.angle_reference!r}); "
                f"got {angles.min():g}..{angles.max():g}."
            )
        self._check_ranges(ranges)
        v_max = self.max_unambiguous_speed
        if np.any((velocities < -v_max) | (velocities >= v_max)):
            raise ValueError(
                f"velocities_mps must lie in [-{v_max:.6g}, {v_max:.6g}) m/s, the unambiguous {self.link} "
                f"speed; got {velocities.min():.6g}..{velocities.max():.6g}."
            )
        return angles, ranges, velocities

    def to_frequencies(self, angles_deg, ranges_m, velocities_mps):
        """Map physical object parameters to tensor frequencies.

        Parameters
        ----------
        angles_deg : array_like, shape (K,)
            Angles in degrees, in [0, 180] (axis) or [−90, 90] (broadside).
        ranges_m : array_like, shape (K,)
            Ranges in metres, in [0, :attr:`max_unambiguous_range`).
        velocities_mps : array_like, shape (K,)
            Radial velocities in m/s (positive approaching), in
            [−v_max, v_max) with v_max = :attr:`max_unambiguous_speed`.

        Returns
        -------
        ndarray, shape (K, 3)
            (μ, ν, ω) in rad/sample, wrapped to [−π, π), (−2π, 0], [−π, π).

        Raises
        ------
        ValueError
            For NaN/inf, mismatched lengths or values outside the intervals
            above. With d > λ/2 the space frequency wraps (grating lobes) and
            :meth:`from_frequencies` cannot undo it; at d = λ/2 the two
            endfire directions (0° and 180° from the axis) coincide.
        """
        angles, ranges, velocities = self._check_parameters(angles_deg, ranges_m, velocities_mps)
        radians = np.deg2rad(angles)
        cosine = np.cos(radians) if self.angle_reference == "axis" else np.sin(radians)
        delays = ranges / self._range_per_delay
        dopplers = velocities / self._speed_per_doppler
        frequencies = np.empty((angles.shape[0], 3))
        frequencies[:, 0] = wrap_to_interval(self._space_scale * cosine, -math.pi)
        frequencies[:, 1] = 0.0 - np.mod(TWO_PI * self.subcarrier_spacing * delays, TWO_PI)
        frequencies[:, 2] = wrap_to_interval(TWO_PI * dopplers * self.symbol_duration, -math.pi)
        return frequencies

    def from_frequencies(self, frequencies):
        """Map tensor frequencies back to (angle, range, velocity); inverse of :meth:`to_frequencies`.

        Parameters
        ----------
        frequencies : array_like, shape (K, 3)
            (μ, ν, ω) in rad/sample; any real values, wrapped first.

        Returns
        -------
        angles_deg : ndarray, shape (K,)
            In [0, 180] (axis) or [−90, 90] (broadside). A space frequency
            outside the visible region |μ| ≤ 2π d/λ (possible for d < λ/2 or
            for noisy estimates near endfire) is clipped to endfire.
        ranges_m : ndarray, shape (K,)
            In [0, :attr:`max_unambiguous_range`).
        velocities_mps : ndarray, shape (K,)
            In [−v_max, v_max).
        """
        frequencies = check_array(frequencies, name="frequencies", ndim=2)
        if frequencies.shape[1] != 3:
            raise ValueError(
                f"frequencies must have shape (K, 3), columns (space, frequency, time); got {frequencies.shape}."
            )
        space = wrap_to_interval(frequencies[:, 0], -math.pi)
        delay_phase = np.mod(-frequencies[:, 1], TWO_PI)  # −ν wrapped to [0, 2π)
        time = wrap_to_interval(frequencies[:, 2], -math.pi)
        cosine = np.clip(space / self._space_scale, -1.0, 1.0)
        angles = np.rad2deg(np.arccos(cosine) if self.angle_reference == "axis" else np.arcsin(cosine))
        ranges = self._range_per_delay * delay_phase / (TWO_PI * self.subcarrier_spacing)
        velocities = self._speed_per_doppler * time / (TWO_PI * self.symbol_duration)
        return angles, ranges, velocities

    # ------------------------------------------------------- compression check
    def _space_interval(self, field_of_view):
        scale = self._space_scale
        if field_of_view is None:
            return (-scale, scale)
        bounds = check_array(field_of_view, name="field_of_view", ndim=1)
        low, high = (0.0, 180.0) if self.angle_reference == "axis" else (-90.0, 90.0)
        if bounds.shape != (2,) or not low <= bounds[0] < bounds[1] <= high:
            raise ValueError(
                f"field_of_view must be (min_deg, max_deg) with {low:g} <= min < max <= {high:g} "
                f"(angle_reference={self.angle_reference!r}); got {field_of_view!r}."
            )
        radians = np.deg2rad(bounds)
        if self.angle_reference == "axis":
            # cos decreases on [0°, 180°]: the largest angle gives the lowest frequency.
            edges = scale * np.cos(radians[::-1])
        else:
            edges = scale * np.sin(radians)
        return (float(edges[0]), float(edges[1]))

    def frequency_bounds(self, max_range=None, max_speed=None, field_of_view=None):
        """Intervals of the three frequencies that objects inside the given limits occupy.

        They feed the aliasing check of compression: decimating or block
        averaging mode m by Δ_m multiplies its frequencies by Δ_m, and the
        result is alias-free iff Δ_m = 1 or ``Δ_m · (high − low) < 2π``. The
        estimator must then unwrap a compressed frequency into ``[low, high]``
        (not into the default [−π, π)) to recover it.

        Parameters
        ----------
        max_range : float, optional
            Largest range in metres; None means the full unambiguous range.
        max_speed : float, optional
            Largest |velocity| in m/s; None means the full unambiguous speed.
        field_of_view : (float, float), optional
            (min_deg, max_deg) in the geometry's angle reference; None means
            every direction.

        Returns
        -------
        list of 3 (float, float)
            (low, high) in rad/sample for (space, frequency, time): space
            ``2π(d/λ)·[cos θ_max, cos θ_min]`` (axis; sin for broadside), or
            ``[−2πd/λ, 2πd/λ]`` without a field of view; frequency
            ``[−2πΔf τ_max, 0]``; time ``[−2π f_D,max T_sym, +2π f_D,max T_sym]``.
        """
        if max_range is None:
            frequency = (-TWO_PI, 0.0)
        else:
            max_range = _check_scalar(max_range, "max_range", allow_zero=True)
            if max_range >= self.max_unambiguous_range:
                raise ValueError(
                    f"max_range={max_range:.6g} m is not below the unambiguous range "
                    f"{self.max_unambiguous_range:.6g} m; pass None for the full range."
                )
            frequency = (-TWO_PI * self.subcarrier_spacing * max_range / self._range_per_delay, 0.0)
        if max_speed is None:
            time = (-math.pi, math.pi)
        else:
            max_speed = _check_scalar(max_speed, "max_speed", allow_zero=True)
            if max_speed > self.max_unambiguous_speed:
                raise ValueError(
                    f"max_speed={max_speed:.6g} m/s exceeds the unambiguous speed "
                    f"{self.max_unambiguous_speed:.6g} m/s; pass None for the full range."
                )
            edge = TWO_PI * (max_speed / self._speed_per_doppler) * self.symbol_duration
            time = (-edge, edge)
        return [self._space_interval(field_of_view), frequency, time]

    def max_factors(self, max_range, max_speed, field_of_view=None, *, max_occupancy=1.0):
        """Largest alias-free compression factor of each mode that divides the mode length.

        Parameters
        ----------
        max_range, max_speed, field_of_view
            As in :meth:`frequency_bounds` (None: the full interval, factor 1).
        max_occupancy : float in (0, 1], default=1.0
            Fraction of the compressed 2π band the scaled interval may fill:
            factor Δ is accepted iff ``Δ · width < max_occupancy · 2π``. 1.0
            is the Nyquist limit; smaller values leave room for the block
            average's roll-off (its Dirichlet gain drops towards the band
            edge, so objects near the limit lose SNR).

        Returns
        -------
        tuple of 3 int
            (Δ_space, Δ_frequency, Δ_time). For the demo geometry with 400 m,
            25 km/h and no field of view this is (1, 12, 40); the demo's
            (1, 4, 14) is alias-free with ample margin.
        """
        max_occupancy = _check_scalar(max_occupancy, "max_occupancy")
        if max_occupancy > 1.0:
            raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy}.")
        factors = []
        bounds = self.frequency_bounds(max_range, max_speed, field_of_view)
        for (low, high), length in zip(bounds, self.shape, strict=True):
            width = high - low
            best = 1
            for factor in range(2, length + 1):
                if length % factor == 0 and factor * width < max_occupancy * TWO_PI:
                    best = factor
            factors.append(best)
        return tuple(factors)

    # ------------------------------------------------------------------- CRB
    def crb_to_physical(self, frequency_variances, frequencies):
        """Convert frequency variances (rad²) into physical standard deviations.

        First-order (Jacobian) mapping at the given frequencies:
        ``σ_θ = σ_μ / (2π(d/λ) √(1 − u²))`` (in degrees) with u = μ/(2πd/λ)
        the direction cosine, i.e. ``σ_μ/(2π(d/λ)|sin θ|)`` from the axis and
        ``σ_μ/(2π(d/λ)|cos θ|)`` from broadside; ``σ_R = (c or c/2) σ_ν/(2πΔf)``;
        ``σ_v = (λ or λ/2) σ_ω/(2π T_sym)`` (one way or monostatic).

        Parameters
        ----------
        frequency_variances : array_like, shape (K, 3)
            Variances (e.g. the CRB diagonal) of (μ, ν, ω) in rad².
        frequencies : array_like, shape (K, 3)
            Where the Jacobian is evaluated, in rad/sample.

        Returns
        -------
        ndarray, shape (K, 3)
            Standard deviations in (degrees, metres, m/s); inf at endfire
            (u = ±1), where the angle is not differentiable.
        """
        variances = check_array(frequency_variances, name="frequency_variances", ndim=2)
        frequencies = check_array(frequencies, name="frequencies", ndim=2)
        if variances.shape[1] != 3 or variances.shape != frequencies.shape:
            raise ValueError(
                f"frequency_variances and frequencies must both have shape (K, 3); got "
                f"{variances.shape} and {frequencies.shape}."
            )
        if np.any(variances < 0):
            raise ValueError("frequency_variances must be non-negative.")
        deviations = np.sqrt(variances)
        space = wrap_to_interval(frequencies[:, 0], -math.pi)
        cosine = np.clip(space / self._space_scale, -1.0, 1.0)
        with np.errstate(divide="ignore"):
            angle_slope = 1.0 / (self._space_scale * np.sqrt(1.0 - cosine**2))
        result = np.empty_like(deviations)
        result[:, 0] = np.rad2deg(deviations[:, 0] * angle_slope)
        result[:, 1] = deviations[:, 1] * self._range_per_delay / (TWO_PI * self.subcarrier_spacing)
        result[:, 2] = deviations[:, 2] * self._speed_per_doppler / (TWO_PI * self.symbol_duration)
        return result


# ---------------------------------------------------------------------- scene
def uma_los_path_gain(distance_m, carrier_frequency):
    """3GPP TR 38.901 urban-macro line-of-sight path gain (before the breakpoint), as an amplitude.

    ``PL = 28.0 + 22 log10(d / 1 m) + 20 log10(f_c / 1 GHz)`` dB (TR 38.901,
    Table 7.4.1-1, UMa LOS, PL1), returned as ``10^(−PL/20)``. The formula
    holds for 10 m ≤ d ≤ d'_BP, the breakpoint ``4 h'_BS h'_UT f_c / c``
    (about 4.2 km at 26 GHz with 25 m and 1.5 m antenna heights), and
    0.5 ≤ f_c ≤ 100 GHz. The breakpoint and the shadow fading are ignored,
    the distance is used as given (no 3-D correction) and nothing is raised
    outside that range. As in the official PLAIN demo, an object's echo
    amplitude is this one-way gain at its range (radar cross-section 1),
    whatever the link: a link-budget shortcut, not a radar equation.

    Parameters
    ----------
    distance_m : float or array_like
        Distance(s) in metres, > 0.
    carrier_frequency : float
        f_c in Hz.

    Returns
    -------
    float or ndarray
        Amplitude gain(s), same shape as `distance_m`.
    """
    carrier_frequency = _check_scalar(carrier_frequency, "carrier_frequency")
    distances = check_array(distance_m, name="distance_m", ndim=tuple(range(0, 8)))
    if np.any(distances <= 0):
        raise ValueError("distance_m must be > 0 (the log-distance law diverges at 0).")
    loss_db = 28.0 + 22.0 * np.log10(distances) + 20.0 * math.log10(carrier_frequency / 1e9)
    gains = 10.0 ** (-loss_db / 20.0)
    return float(gains) if gains.ndim == 0 else gains


@dataclass(frozen=True, eq=False)
class ISACScene:
    """Objects seen by an ISAC receiver.

    Attributes
    ----------
    geometry : ISACGeometry
    angles_deg, ranges_m, velocities_mps : ndarray, shape (K,)
        Degrees (in the geometry's angle reference), metres, m/s (positive approaching).
    gains : ndarray, shape (K,), complex128
        Complex amplitudes β (referenced to antenna 0, subcarrier 0, symbol 0).
    """

    geometry: ISACGeometry
    angles_deg: np.ndarray
    ranges_m: np.ndarray
    velocities_mps: np.ndarray
    gains: np.ndarray

    @property
    def n_objects(self):
        """Number of objects K."""
        return int(self.angles_deg.shape[0])

    @property
    def frequencies(self):
        """(K, 3) tensor frequencies in rad/sample (:meth:`ISACGeometry.to_frequencies`)."""
        return self.geometry.to_frequencies(self.angles_deg, self.ranges_m, self.velocities_mps)

    @property
    def objects(self):
        """``(angles_deg, ranges_m, velocities_mps, gains)``, for ``simulate_echo(geometry, *scene.objects)``."""
        return self.angles_deg, self.ranges_m, self.velocities_mps, self.gains


RANGE_ORDERS = ("reversed", "same")


def demo_scene(n_objects=6, random_state=None, *, geometry=None, range_order="reversed"):
    """The PLAIN demo scene: K objects spread over angle, range and speed, half of them static.

    Object p (p = 0..K−1) has angle ``30° + p · 120°/(K−1)`` (from the array
    axis), speed ``p · (25 km/h)/(K−1)`` except that every even p is static
    (so for K = 6 three objects share zero Doppler, and the moving ones go
    5, 15 and 25 km/h), and one of the K evenly spread ranges 50…400 m.
    Spreading ranges in the same order as angles would make angle order equal
    range order, which lets a pairing bug that sorts each mode separately go
    unnoticed. The default ``range_order="reversed"`` therefore assigns the
    ranges in reverse (object 0 at 400 m, object K−1 at 50 m); ``"same"``
    gives the literal same-order spread. Gains are
    :func:`uma_los_path_gain` amplitudes (about 19.9 dB power spread between
    50 m and 400 m) with independent uniform phases.

    Parameters
    ----------
    n_objects : int, default=6
    random_state : int, Generator or None
        Draws the gain phases.
    geometry : ISACGeometry, optional
        Default: ``ISACGeometry()``, the demo numerology. Its angle reference
        must be ``"axis"`` (the angles above are from the axis).
    range_order : {"reversed", "same"}, default="reversed"

    Returns
    -------
    ISACScene
    """
    n_objects = check_positive_int(n_objects, "n_objects")
    if range_order not in RANGE_ORDERS:
        raise ValueError(f"range_order must be one of {RANGE_ORDERS}, got {range_order!r}.")
    geometry = ISACGeometry() if geometry is None else geometry
    if not isinstance(geometry, ISACGeometry):
        raise TypeError(f"geometry must be an ISACGeometry, got {type(geometry).__name__}.")
    if geometry.angle_reference != "axis":
        raise ValueError("demo_scene spreads angles over 30°–150° from the array axis: use angle_reference='axis'.")
    rng = check_random_generator(random_state)
    angles = np.linspace(30.0, 150.0, n_objects)
    ranges = np.linspace(50.0, 400.0, n_objects)
    if range_order == "reversed":
        ranges = ranges[::-1].copy()
    velocities = np.linspace(0.0, 25.0 / 3.6, n_objects)
    velocities[::2] = 0.0
    phases = rng.uniform(0.0, TWO_PI, n_objects)
    gains = uma_los_path_gain(ranges, geometry.carrier_frequency) * np.exp(1j * phases)
    geometry.to_frequencies(angles, ranges, velocities)  # fails early if the geometry cannot hold the scene
    return ISACScene(geometry, angles, ranges, velocities, gains)


# ------------------------------------------------------------------ simulators
def _check_scene(geometry, angles_deg, ranges_m, velocities_mps, gains):
    if not isinstance(geometry, ISACGeometry):
        raise TypeError(f"geometry must be an ISACGeometry, got {type(geometry).__name__}.")
    frequencies = geometry.to_frequencies(angles_deg, ranges_m, velocities_mps)
    gains = _as_vector(gains, "gains", allow_complex=True).astype(np.complex128)
    if gains.shape[0] != frequencies.shape[0]:
        raise ValueError(f"gains must have one entry per object ({frequencies.shape[0]}); got {gains.shape[0]}.")
    return frequencies, gains


def _noise_variance(gains, snr_db, snr_definition):
    """σ² per resource element for an SNR in dB (see :func:`simulate_echo`)."""
    if snr_definition not in SNR_DEFINITIONS:
        raise ValueError(f"snr_definition must be one of {SNR_DEFINITIONS}, got {snr_definition!r}.")
    if snr_db is None:
        return 0.0
    snr_db = _check_scalar(snr_db, "snr_db", positive=False)
    powers = np.abs(gains) ** 2
    reference = powers.sum() if snr_definition == "total_per_re" else powers.mean()
    if reference <= 0:
        raise ValueError("gains are all zero: an SNR cannot be set without signal power (use snr_db=None).")
    return float(reference / 10.0 ** (snr_db / 10.0))


def _add_complex_noise(rng, array, variance):
    """Add CN(0, variance) noise to a complex128 array in place."""
    # One real draw viewed as (real, imag) pairs: half the temporaries of re + 1j·im.
    pairs = rng.standard_normal(array.shape + (2,))
    pairs *= math.sqrt(variance / 2.0)
    array += pairs.view(np.complex128)[..., 0]
    return array


def simulate_echo(
    geometry,
    angles_deg,
    ranges_m,
    velocities_mps,
    gains,
    *,
    snr_db=None,
    snr_definition="total_per_re",
    random_state=None,
):
    """Ideal tensor model ``H = Σ_p β_p a(μ_p) ∘ f(ν_p) ∘ g(ω_p) + W`` of an ISAC scene.

    Parameters
    ----------
    geometry : ISACGeometry
    angles_deg, ranges_m, velocities_mps : array_like, shape (K,)
        As in :meth:`ISACGeometry.to_frequencies`.
    gains : array_like, shape (K,), complex
        β_p, referenced to antenna 0, subcarrier 0, symbol 0.
    snr_db : float, optional
        None: noiseless (``noise_var = 0``).
    snr_definition : {"total_per_re", "per_path_per_element"}, default="total_per_re"
        ``"total_per_re"`` (the official demo's): ``SNR = Σ_p |β_p|² / σ²``,
        the summed path power per resource element and antenna over the noise
        power per resource element. ``"per_path_per_element"``:
        ``SNR = mean_p |β_p|² / σ²``, the average single-path power per
        element, i.e. ``total − 10 log10 K`` dB (for equal gains, every path's
        own SNR). Both are nominal path powers, not the realised mean of
        ``|H|²`` (which differs by the paths' cross terms); the integrated
        SNR of path p is ``|β_p|² N_a N_f N_t / σ²``.
    random_state : int, Generator or None
        Draws the noise W, i.i.d. circular Gaussian CN(0, σ²).

    Returns
    -------
    H : ndarray, shape (N_a, N_f, N_t), complex128
    noise_var : float
        σ², the noise variance per resource element (0.0 when noiseless).
    """
    frequencies, gains = _check_scene(geometry, angles_deg, ranges_m, velocities_mps, gains)
    noise_var = _noise_variance(gains, snr_db, snr_definition)
    rng = check_random_generator(random_state)
    H = synthesize(frequencies, gains, geometry.shape)
    if noise_var > 0:
        _add_complex_noise(rng, H, noise_var)
    return H, noise_var


def _ofdm_layout(geometry, fft_oversampling):
    fft_oversampling = _check_scalar(fft_oversampling, "fft_oversampling")
    n_fft = int(round(fft_oversampling * geometry.n_subcarriers))
    if n_fft < geometry.n_subcarriers:
        raise ValueError(
            f"fft_oversampling={fft_oversampling} gives an FFT of {n_fft} bins, fewer than the "
            f"{geometry.n_subcarriers} occupied subcarriers; use fft_oversampling >= 1."
        )
    sampling_rate = n_fft * geometry.subcarrier_spacing
    n_cp = int(round(geometry.cp_duration * sampling_rate))
    return n_fft, n_cp, sampling_rate


def _ofdm_taps(geometry, ranges, n_cp, sampling_rate):
    delays = ranges / geometry._range_per_delay
    earliest = float(delays.min())
    taps = np.rint((delays - earliest) * sampling_rate).astype(np.int64)
    if taps.max() > n_cp:
        spread = (delays.max() - earliest) * geometry._range_per_delay
        raise ValueError(
            f"the relative delay spread ({(delays.max() - earliest) * 1e6:.4g} µs, {spread:.6g} m of range) "
            f"rounds to {taps.max()} samples but the cyclic prefix holds {n_cp} "
            f"({n_cp / sampling_rate * 1e6:.4g} µs): the echoes would interfere across symbols. "
            f"Reduce the range spread or lengthen cyclic_prefix."
        )
    return earliest, taps


def ofdm_realised_ranges(geometry, ranges_m, *, fft_oversampling=1.25):
    """Ranges that :func:`simulate_ofdm` actually realises (delays rounded to its sampling grid).

    The earliest delay τ₀ is kept exactly; every other delay becomes
    τ₀ + round((τ_p − τ₀) f_s)/f_s with f_s = round(fft_oversampling · N_f) Δf.
    The demo's tap grid is 22.2 m one way, so a range moves by up to 11.1 m:
    use these ranges, not the requested ones, as ground truth for estimates
    from :func:`simulate_ofdm`.

    Parameters
    ----------
    geometry : ISACGeometry
    ranges_m : array_like, shape (K,)
    fft_oversampling : float, default=1.25

    Returns
    -------
    ndarray, shape (K,)
        Realised ranges in metres.

    Raises
    ------
    ValueError
        When the rounded relative delay spread exceeds the cyclic prefix.
    """
    if not isinstance(geometry, ISACGeometry):
        raise TypeError(f"geometry must be an ISACGeometry, got {type(geometry).__name__}.")
    ranges = geometry._check_ranges(_as_vector(ranges_m, "ranges_m"))
    _, n_cp, sampling_rate = _ofdm_layout(geometry, fft_oversampling)
    earliest, taps = _ofdm_taps(geometry, ranges, n_cp, sampling_rate)
    return geometry._range_per_delay * (earliest + taps / sampling_rate)


def simulate_ofdm(
    geometry,
    angles_deg,
    ranges_m,
    velocities_mps,
    gains,
    *,
    snr_db=None,
    snr_definition="total_per_re",
    fft_oversampling=1.25,
    random_state=None,
    engine="auto",
):
    """Time-domain OFDM simulation of an ISAC scene, down to the per-RE channel estimate.

    Chain (the official PLAIN demo's generator, re-derived):

    1. Random BPSK symbols ``X[k, l] ∈ {±1}`` on every resource element.
    2. Occupied subcarrier k (k = 0..N_f−1) sits on FFT bin k, i.e. at
       baseband frequency k Δf above the reference; bins N_f..N_fft−1 stay
       empty. With this mapping a delay τ gives exactly ``exp(−j 2π Δf τ k)``,
       the tensor convention, and β is the gain on subcarrier 0 (a centred
       allocation around bin k₀ would only rotate each β by
       ``exp(j 2π Δf τ k₀)``). IFFT of size ``N_fft = round(fft_oversampling
       · N_f)`` (225 in the demo, sampling rate f_s = N_fft Δf = 13.5 MHz),
       then a cyclic prefix of ``round(T_CP f_s)`` samples (16 in the demo).
    3. Channel, per symbol: the earliest delay τ₀ is removed (the receiver
       synchronises to the first echo); path p is a single tap at
       ``round((τ_p − τ₀) f_s)`` samples (see :func:`ofdm_realised_ranges`),
       multiplied by its Doppler phasor ``exp(j 2π f_D,p t)`` at every
       received sample (so inter-carrier interference is included), by β_p and
       by the spatial phase ``exp(j μ_p n)`` of antenna n. Symbol l's FFT
       window is centred at ``t = l T_sym``: symbols start every T_sym, the
       geometry's duration (any sub-sample remainder of the rounded CP is idle
       time), so the symbol-to-symbol Doppler phase is exactly ω_p, and
       ``t = 0`` at the centre of symbol 0's window makes β_p the path's
       amplitude there.
    4. Circular white Gaussian noise at the receiver, variance
       ``noise_var / N_fft`` per time sample, so that after the unnormalised
       FFT (and the division by ±1 symbols) every RE carries noise of
       variance exactly ``noise_var``.
    5. Receiver: drop the cyclic prefix, FFT, keep the occupied bins, divide
       by the known symbols, restore τ₀ as the phase ramp ``exp(−j 2π Δf τ₀ k)``.

    Without Doppler and noise the result equals :func:`simulate_echo` at the
    realised ranges to rounding error. With Doppler each path keeps the
    ideal model's term scaled by ``sin(π ε)/(N_fft sin(π ε/N_fft)) ≈ 1 − (π ε)²/6``
    plus inter-carrier interference of relative power about ``(π ε)²/3``, with
    ε = f_D/Δf (1 % for 25 km/h one way in the demo: 1.8 % ICI amplitude on
    that path).

    Parameters
    ----------
    geometry : ISACGeometry
    angles_deg, ranges_m, velocities_mps, gains
        As in :func:`simulate_echo`.
    snr_db : float, optional
        None: noiseless.
    snr_definition : {"total_per_re", "per_path_per_element"}
        As in :func:`simulate_echo`, with σ² the per-RE noise after the FFT.
    fft_oversampling : float, default=1.25
        FFT size over N_f; sets the tap grid ``c/(N_fft Δf)`` (22.2 m one way
        in the demo), i.e. how finely delays are rounded.
    random_state : int, Generator or None
        Draws the symbols, then the noise (so a noiseless and a noisy run
        with the same seed share their symbols).
    engine : {"auto", "numba", "numpy"}, default="auto"
        Channel application kernel (see :func:`sigrec._numba.resolve_engine`).

    Returns
    -------
    H : ndarray, shape (N_a, N_f, N_t), complex128
        Per-RE channel estimates ``Y/X``.
    noise_var : float
        σ² per resource element (0.0 when noiseless).

    Raises
    ------
    ValueError
        As :func:`simulate_echo`, and when the rounded relative delay spread
        exceeds the cyclic prefix.
    """
    frequencies, gains = _check_scene(geometry, angles_deg, ranges_m, velocities_mps, gains)
    noise_var = _noise_variance(gains, snr_db, snr_definition)
    n_fft, n_cp, sampling_rate = _ofdm_layout(geometry, fft_oversampling)
    ranges = _as_vector(ranges_m, "ranges_m")
    velocities = _as_vector(velocities_mps, "velocities_mps")
    earliest, taps = _ofdm_taps(geometry, ranges, n_cp, sampling_rate)
    rng = check_random_generator(random_state)
    n_antennas, n_subcarriers, n_symbols = geometry.shape

    symbols = 1.0 - 2.0 * rng.integers(0, 2, size=(n_symbols, n_subcarriers))
    spectrum = np.zeros((n_symbols, n_fft), dtype=np.complex128)
    spectrum[:, :n_subcarriers] = symbols
    body = np.fft.ifft(spectrum, axis=1)
    transmitted = np.concatenate([body[:, n_fft - n_cp :], body], axis=1)

    doppler = TWO_PI * velocities / geometry._speed_per_doppler  # 2π f_D, rad/s
    symbol_starts = geometry.symbol_duration * np.arange(n_symbols)
    sample_offsets = (np.arange(n_fft) - (n_fft - 1) / 2.0) / sampling_rate
    weights = gains[None, :] * np.exp(1j * np.outer(np.arange(n_antennas), frequencies[:, 0]))
    received = apply_channel(transmitted, taps, doppler, symbol_starts, sample_offsets, weights, n_fft, engine)
    if noise_var > 0:
        _add_complex_noise(rng, received, noise_var / n_fft)

    estimates = np.fft.fft(received, axis=2)[:, :, :n_subcarriers]  # (N_a, N_t, N_f)
    estimates *= symbols[None]  # dividing by ±1 is multiplying by it
    estimates *= np.exp(-1j * TWO_PI * geometry.subcarrier_spacing * earliest * np.arange(n_subcarriers))
    return np.ascontiguousarray(estimates.transpose(0, 2, 1)), noise_var
