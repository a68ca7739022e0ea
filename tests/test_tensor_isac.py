"""sigrec.tensor.isac: geometry conventions, demo scene, ideal and OFDM simulators."""

import dataclasses
import math

import numpy as np
import pytest

from sigrec._numba import numba_available
from sigrec.tensor._kernels import apply_channel_numba, apply_channel_numpy
from sigrec.tensor._model import synthesize
from sigrec.tensor.isac import (
    ISACGeometry,
    demo_scene,
    ofdm_realised_ranges,
    simulate_echo,
    simulate_ofdm,
    uma_los_path_gain,
)

DEMO_MAX_RANGE = 400.0
DEMO_MAX_SPEED = 25.0 / 3.6
CONFIGURATIONS = [(link, reference) for link in ("one_way", "monostatic") for reference in ("axis", "broadside")]
needs_numba = pytest.mark.skipif(not numba_available(), reason="numba is not installed")


def _random_objects(geometry, rng, n_objects=5, range_fraction=0.9):
    low, high = (5.0, 175.0) if geometry.angle_reference == "axis" else (-85.0, 85.0)
    angles = rng.uniform(low, high, n_objects)
    ranges = rng.uniform(0.0, range_fraction * geometry.max_unambiguous_range, n_objects)
    velocities = rng.uniform(-0.99, 0.99, n_objects) * geometry.max_unambiguous_speed
    return angles, ranges, velocities


# ------------------------------------------------------------------ geometry
def test_demo_geometry_derived_quantities():
    geometry = ISACGeometry()
    c = 299_792_458.0
    assert geometry.wavelength == pytest.approx(c / 26e9, rel=1e-15)
    assert geometry.spacing == pytest.approx(geometry.wavelength / 2, rel=1e-15)
    assert geometry.cp_duration == pytest.approx(1 / (14 * 60e3), rel=1e-15)
    assert geometry.symbol_duration == pytest.approx(17.857142857e-6, rel=1e-9)
    assert geometry.shape == (16, 180, 560)
    assert geometry.bandwidth == pytest.approx(10.8e6)
    resolution = geometry.resolution
    assert resolution["direction_cosine"] == pytest.approx(0.125)
    assert resolution["angle_deg"] == pytest.approx(7.162, abs=1e-3)
    assert resolution["range_m"] == pytest.approx(27.76, abs=0.01)
    assert resolution["velocity_mps"] == pytest.approx(1.153, abs=1e-3)
    assert geometry.max_unambiguous_range == pytest.approx(4996.54, abs=0.01)
    assert geometry.max_unambiguous_speed == pytest.approx(322.85, abs=0.01)
    # None fields are resolved lazily, so a new carrier keeps half a wavelength.
    moved = dataclasses.replace(geometry, carrier_frequency=28e9)
    assert moved.spacing == pytest.approx(c / 28e9 / 2, rel=1e-15)


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("carrier_frequency", -1.0, "carrier_frequency must be > 0"),
        ("carrier_frequency", float("nan"), "carrier_frequency must be a finite"),
        ("n_antennas", 1, "n_antennas must be an integer >= 2"),
        ("n_symbols", 5.5, "n_symbols must be an integer"),
        ("antenna_spacing", 0.0, "antenna_spacing must be > 0"),
        ("cyclic_prefix", -1e-6, "cyclic_prefix must be >= 0"),
        ("link", "bistatic", "link must be one of"),
        ("angle_reference", "zenith", "angle_reference must be one of"),
    ],
)
def test_geometry_rejects_bad_fields(field, value, match):
    with pytest.raises(ValueError, match=match):
        ISACGeometry(**{field: value})


@pytest.mark.parametrize("link, reference", CONFIGURATIONS)
def test_frequency_round_trip(link, reference):
    geometry = ISACGeometry(link=link, angle_reference=reference)
    rng = np.random.default_rng(0)
    angles, ranges, velocities = _random_objects(geometry, rng, n_objects=50)
    frequencies = geometry.to_frequencies(angles, ranges, velocities)
    assert frequencies.shape == (50, 3)
    assert np.all((frequencies[:, 0] >= -math.pi) & (frequencies[:, 0] < math.pi))
    assert np.all((frequencies[:, 1] > -2 * math.pi) & (frequencies[:, 1] <= 0))
    assert np.all((frequencies[:, 2] >= -math.pi) & (frequencies[:, 2] < math.pi))
    back = geometry.from_frequencies(frequencies)
    for recovered, original in zip(back, (angles, ranges, velocities), strict=True):
        np.testing.assert_allclose(recovered, original, rtol=0, atol=1e-9)
    # The other way round, from frequencies anywhere in the wrap intervals.
    drawn = np.column_stack(
        [rng.uniform(-3.1, 3.1, 50), rng.uniform(-6.2, -0.01, 50), rng.uniform(-3.1, 3.1, 50)]
    )
    np.testing.assert_allclose(geometry.to_frequencies(*geometry.from_frequencies(drawn)), drawn, atol=1e-9)
    # Any real input is wrapped first: adding periods changes nothing.
    shifted = drawn + 2 * math.pi * np.array([3.0, -2.0, 5.0])
    for recovered, expected in zip(geometry.from_frequencies(shifted), geometry.from_frequencies(drawn), strict=True):
        np.testing.assert_allclose(recovered, expected, atol=1e-9)


def test_frequency_sign_conventions():
    axis = ISACGeometry()
    broadside = ISACGeometry(angle_reference="broadside")
    frequencies = axis.to_frequencies([90.0, 60.0, 120.0], [0.0, 100.0, 100.0], [0.0, 5.0, -5.0])
    np.testing.assert_allclose(frequencies[:, 0], [0.0, math.pi / 2, -math.pi / 2], atol=1e-12)
    assert frequencies[0, 1] == 0.0 and frequencies[1, 1] < 0  # delay phase is negative
    assert frequencies[1, 2] > 0 > frequencies[2, 2]  # approaching means positive Doppler
    np.testing.assert_allclose(broadside.to_frequencies([0.0, 30.0], [0, 0], [0, 0])[:, 0], [0.0, math.pi / 2])
    expected_nu = -2 * math.pi * 60e3 * 100.0 / axis.speed_of_light
    assert frequencies[1, 1] == pytest.approx(expected_nu, rel=1e-14)
    expected_omega = 2 * math.pi * (5.0 * 26e9 / axis.speed_of_light) * axis.symbol_duration
    assert frequencies[1, 2] == pytest.approx(expected_omega, rel=1e-14)


def test_monostatic_doubles_delay_and_doppler():
    one_way = ISACGeometry()
    monostatic = ISACGeometry(link="monostatic")
    angles, ranges, velocities = [40.0, 100.0], [120.0, 900.0], [3.0, -20.0]
    f_one = one_way.to_frequencies(angles, ranges, velocities)
    f_mono = monostatic.to_frequencies(angles, ranges, velocities)
    np.testing.assert_allclose(f_mono[:, 0], f_one[:, 0], rtol=1e-15)
    np.testing.assert_allclose(f_mono[:, 1:], 2 * f_one[:, 1:], rtol=1e-13)
    assert monostatic.max_unambiguous_range == pytest.approx(one_way.max_unambiguous_range / 2)
    assert monostatic.max_unambiguous_speed == pytest.approx(one_way.max_unambiguous_speed / 2)
    assert monostatic.resolution["range_m"] == pytest.approx(one_way.resolution["range_m"] / 2)
    assert monostatic.resolution["velocity_mps"] == pytest.approx(one_way.resolution["velocity_mps"] / 2)
    assert monostatic.resolution["angle_deg"] == one_way.resolution["angle_deg"]


@pytest.mark.parametrize("link, reference", CONFIGURATIONS)
def test_crb_to_physical_matches_finite_differences(link, reference):
    geometry = ISACGeometry(link=link, angle_reference=reference, antenna_spacing=0.004)
    rng = np.random.default_rng(1)
    frequencies = geometry.to_frequencies(*_random_objects(geometry, rng, n_objects=6, range_fraction=0.8))
    variances = rng.uniform(1e-8, 1e-6, frequencies.shape)
    deviations = geometry.crb_to_physical(variances, frequencies)
    step = 1e-6
    for mode in range(3):
        shift = np.zeros(3)
        shift[mode] = step
        plus = geometry.from_frequencies(frequencies + shift)[mode]
        minus = geometry.from_frequencies(frequencies - shift)[mode]
        slope = (plus - minus) / (2 * step)
        np.testing.assert_allclose(deviations[:, mode], np.abs(slope) * np.sqrt(variances[:, mode]), rtol=1e-6)


def test_crb_to_physical_closed_forms_and_checks():
    geometry = ISACGeometry()
    frequencies = geometry.to_frequencies([90.0, 0.0], [100.0, 100.0], [0.0, 0.0])
    deviations = geometry.crb_to_physical(np.full((2, 3), 1e-6), frequencies)
    # At broadside σ_θ = σ_μ/π rad for d = λ/2; endfire is not differentiable.
    assert deviations[0, 0] == pytest.approx(math.degrees(1e-3 / math.pi), rel=1e-12)
    assert deviations[1, 0] == np.inf
    assert deviations[0, 1] == pytest.approx(geometry.speed_of_light * 1e-3 / (2 * math.pi * 60e3), rel=1e-12)
    with pytest.raises(ValueError, match="must both have shape"):
        geometry.crb_to_physical(np.ones((2, 2)), frequencies)
    with pytest.raises(ValueError, match="non-negative"):
        geometry.crb_to_physical(-np.ones((2, 3)), frequencies)


# ------------------------------------------------------------ compression
def test_frequency_bounds_and_max_factors_for_the_demo():
    geometry = ISACGeometry()
    (space, frequency, time) = geometry.frequency_bounds(DEMO_MAX_RANGE, DEMO_MAX_SPEED)
    assert space == pytest.approx((-math.pi, math.pi))
    assert frequency[1] == 0.0 and frequency[0] == pytest.approx(-2 * math.pi * 60e3 * 400 / 299_792_458.0)
    assert time[0] == -time[1]
    # The note's numbers: Δ_f Δf τ_max = 0.32 and 2 Δ_t T_sym f_D,max = 0.30 for Δ = (4, 14) ...
    assert 4 * (frequency[1] - frequency[0]) / (2 * math.pi) == pytest.approx(0.3202, abs=1e-4)
    assert 14 * (time[1] - time[0]) / (2 * math.pi) == pytest.approx(0.3011, abs=1e-4)
    # ... and ±23.06 m/s unambiguous after Δ_t = 14.
    assert geometry.max_unambiguous_speed / 14 == pytest.approx(23.06, abs=0.01)
    # (1, 4, 14) is alias-free, but the Nyquist limits are 12 (< 12.49) and 40 (< 46.5, divides 560).
    assert geometry.max_factors(DEMO_MAX_RANGE, DEMO_MAX_SPEED) == (1, 12, 40)
    assert geometry.max_factors(DEMO_MAX_RANGE, DEMO_MAX_SPEED, max_occupancy=0.5) == (1, 6, 20)
    assert geometry.max_factors(None, None) == (1, 1, 1)
    # Δ_a = 2 needs |cos θ| < 0.5: a closed 60°–120° field of view sits exactly on the limit.
    assert geometry.max_factors(DEMO_MAX_RANGE, DEMO_MAX_SPEED, field_of_view=(61.0, 119.0))[0] == 2
    assert geometry.max_factors(DEMO_MAX_RANGE, DEMO_MAX_SPEED, field_of_view=(60.0, 120.0))[0] == 1
    low, high = geometry.frequency_bounds(field_of_view=(30.0, 60.0))[0]
    assert (low, high) == pytest.approx((math.pi * 0.5, math.pi * math.cos(math.radians(30))))
    broadside = ISACGeometry(angle_reference="broadside")
    assert broadside.frequency_bounds(field_of_view=(-30.0, 10.0))[0] == pytest.approx(
        (-math.pi / 2, math.pi * math.sin(math.radians(10)))
    )


def test_frequency_bounds_rejects_bad_limits():
    geometry = ISACGeometry()
    with pytest.raises(ValueError, match="max_range=.* is not below the unambiguous range"):
        geometry.frequency_bounds(max_range=6000.0)
    with pytest.raises(ValueError, match="max_speed=.* exceeds the unambiguous speed"):
        geometry.frequency_bounds(max_speed=400.0)
    with pytest.raises(ValueError, match="max_range must be >= 0"):
        geometry.frequency_bounds(max_range=-1.0)
    with pytest.raises(ValueError, match="field_of_view must be"):
        geometry.frequency_bounds(field_of_view=(100.0, 80.0))
    with pytest.raises(ValueError, match="max_occupancy must be in"):
        geometry.max_factors(400.0, 7.0, max_occupancy=1.5)


# -------------------------------------------------------------------- scene
def test_uma_los_path_gain():
    loss_db = 28.0 + 22.0 * 2.0 + 20.0 * math.log10(26.0)
    assert uma_los_path_gain(100.0, 26e9) == pytest.approx(10 ** (-loss_db / 20), rel=1e-12)
    gains = uma_los_path_gain(np.array([50.0, 400.0]), 26e9)
    assert 20 * math.log10(gains[0] / gains[1]) == pytest.approx(22 * math.log10(8), rel=1e-12)  # 19.87 dB
    with pytest.raises(ValueError, match="distance_m must be > 0"):
        uma_los_path_gain([10.0, 0.0], 26e9)
    with pytest.raises(ValueError, match="NaN"):
        uma_los_path_gain([np.nan], 26e9)


def test_demo_scene():
    scene = demo_scene(random_state=0)
    np.testing.assert_allclose(scene.angles_deg, [30, 54, 78, 102, 126, 150])
    np.testing.assert_allclose(scene.ranges_m, [400, 330, 260, 190, 120, 50])
    np.testing.assert_allclose(scene.velocities_mps * 3.6, [0, 5, 0, 15, 0, 25])
    assert np.count_nonzero(scene.velocities_mps == 0) == 3
    assert not np.array_equal(np.argsort(scene.angles_deg), np.argsort(scene.ranges_m))
    np.testing.assert_allclose(np.abs(scene.gains), uma_los_path_gain(scene.ranges_m, 26e9), rtol=1e-12)
    assert scene.n_objects == 6 and scene.frequencies.shape == (6, 3)
    again = demo_scene(random_state=0)
    np.testing.assert_array_equal(again.gains, scene.gains)
    assert not np.allclose(demo_scene(random_state=1).gains, scene.gains)
    same = demo_scene(4, random_state=0, range_order="same")
    np.testing.assert_allclose(same.ranges_m, np.linspace(50, 400, 4))
    with pytest.raises(ValueError, match="range_order must be one of"):
        demo_scene(range_order="shuffled")
    with pytest.raises(ValueError, match="angle_reference='axis'"):
        demo_scene(geometry=ISACGeometry(angle_reference="broadside"))


# -------------------------------------------------------------- simulators
def test_simulate_echo_is_the_tensor_model():
    scene = demo_scene(random_state=2)
    H, noise_var = simulate_echo(scene.geometry, *scene.objects)
    assert noise_var == 0.0 and H.dtype == np.complex128 and H.shape == (16, 180, 560)
    np.testing.assert_allclose(H, synthesize(scene.frequencies, scene.gains, (16, 180, 560)), rtol=0, atol=0)
    n, k, symbol = 3, 17, 101
    expected = sum(
        beta * np.exp(1j * (mu * n + nu * k + omega * symbol))
        for beta, (mu, nu, omega) in zip(scene.gains, scene.frequencies, strict=True)
    )
    assert H[n, k, symbol] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("simulator", [simulate_echo, simulate_ofdm])
@pytest.mark.parametrize("definition", ["total_per_re", "per_path_per_element"])
def test_snr_definitions_are_realised(simulator, definition):
    geometry = ISACGeometry(n_antennas=8, n_subcarriers=120, n_symbols=140)
    scene = demo_scene(random_state=3, geometry=geometry)
    powers = np.abs(scene.gains) ** 2
    reference = powers.sum() if definition == "total_per_re" else powers.mean()
    clean, zero = simulator(geometry, *scene.objects, random_state=4)
    noisy, noise_var = simulator(geometry, *scene.objects, snr_db=-5.0, snr_definition=definition, random_state=4)
    assert zero == 0.0
    assert noise_var == pytest.approx(reference / 10 ** (-0.5), rel=1e-12)
    noise = noisy - clean  # the same seed draws the same symbols first
    assert np.mean(np.abs(noise) ** 2) == pytest.approx(noise_var, rel=0.015)  # 134k REs: 0.3 % std
    assert abs(np.mean(noise**2)) < 0.015 * noise_var  # circular
    assert abs(np.mean(noise)) < 0.015 * math.sqrt(noise_var)


def test_ofdm_without_doppler_equals_the_ideal_model_at_the_realised_ranges():
    scene = demo_scene(random_state=5)
    velocities = np.zeros(scene.n_objects)
    geometry = scene.geometry
    realised = ofdm_realised_ranges(geometry, scene.ranges_m)
    H, _ = simulate_ofdm(geometry, scene.angles_deg, scene.ranges_m, velocities, scene.gains, random_state=6)
    ideal, _ = simulate_echo(geometry, scene.angles_deg, realised, velocities, scene.gains)
    assert np.linalg.norm(H - ideal) / np.linalg.norm(ideal) < 1e-10
    # The requested ranges differ by the tap rounding: up to half a tap (11.1 m one way).
    tap = geometry.speed_of_light / (225 * geometry.subcarrier_spacing)
    assert np.max(np.abs(realised - scene.ranges_m)) <= tap / 2 + 1e-9
    assert realised[np.argmin(scene.ranges_m)] == scene.ranges_m.min()


@pytest.mark.parametrize("link, reference", [("monostatic", "broadside"), ("one_way", "broadside")])
def test_ofdm_on_grid_delays_other_conventions(link, reference):
    geometry = ISACGeometry(n_antennas=6, n_subcarriers=48, n_symbols=28, link=link, angle_reference=reference)
    sampling_rate = 60 * geometry.subcarrier_spacing  # round(1.25 · 48) = 60 bins
    per_tap = geometry.speed_of_light / sampling_rate / (1 if link == "one_way" else 2)
    ranges = 37.0 + per_tap * np.array([0, 1, 3, 4])  # the prefix is round(60/14) = 4 samples
    assert np.allclose(ofdm_realised_ranges(geometry, ranges), ranges, rtol=0, atol=1e-9)
    args = ([-40.0, 0.0, 25.0, 70.0], ranges, [0.0, 0.0, 0.0, 0.0], [1.0, 0.5j, -0.3, 0.2 + 0.1j])
    H, _ = simulate_ofdm(geometry, *args, random_state=7)
    ideal, _ = simulate_echo(geometry, *args)
    assert np.linalg.norm(H - ideal) / np.linalg.norm(ideal) < 1e-10


def test_ofdm_doppler_adds_the_predicted_intercarrier_interference():
    geometry = ISACGeometry()
    # One path at 25 km/h: ε = f_D/Δf = 1 %, ICI amplitude ≈ π ε/√3 = 1.82 % (a bit less at the band edges).
    args = ([70.0], [120.0], [DEMO_MAX_SPEED], [1.0])
    H, _ = simulate_ofdm(geometry, *args, random_state=8)
    ideal, _ = simulate_echo(geometry, *args)
    epsilon = DEMO_MAX_SPEED / geometry.wavelength / geometry.subcarrier_spacing
    error = np.linalg.norm(H - ideal) / np.linalg.norm(ideal)
    assert 0.95 * math.pi * epsilon / math.sqrt(3) < error < math.pi * epsilon / math.sqrt(3)  # measured 0.0181
    # β is the amplitude at the centre of symbol 0's FFT window: the direct term is real, sin(πε)/(N sin(πε/N)).
    direct = np.vdot(ideal, H) / np.vdot(ideal, ideal)
    expected = math.sin(math.pi * epsilon) / (225 * math.sin(math.pi * epsilon / 225))
    assert abs(direct - expected) < 1e-4 and abs(direct.imag) < 1e-4
    # The whole demo scene: measured 1.63 % (the strongest path is the fastest).
    scene = demo_scene(random_state=9)
    H, _ = simulate_ofdm(scene.geometry, *scene.objects, random_state=10)
    realised = ofdm_realised_ranges(scene.geometry, scene.ranges_m)
    ideal, _ = simulate_echo(scene.geometry, scene.angles_deg, realised, scene.velocities_mps, scene.gains)
    assert np.linalg.norm(H - ideal) / np.linalg.norm(ideal) < 0.02


def test_simulators_are_deterministic():
    scene = demo_scene(random_state=11, geometry=ISACGeometry(n_subcarriers=60, n_symbols=42))
    for simulator in (simulate_echo, simulate_ofdm):
        first, _ = simulator(scene.geometry, *scene.objects, snr_db=0.0, random_state=12)
        second, _ = simulator(scene.geometry, *scene.objects, snr_db=0.0, random_state=12)
        np.testing.assert_array_equal(first, second)


@needs_numba
def test_channel_kernel_twins_agree():
    rng = np.random.default_rng(13)
    n_symbols, n_fft, n_cp, n_antennas, n_paths = 9, 40, 6, 5, 4
    transmitted = rng.standard_normal((n_symbols, n_cp + n_fft)) + 1j * rng.standard_normal((n_symbols, n_cp + n_fft))
    taps = np.array([0, 6, 3, 6], dtype=np.int64)
    doppler = rng.uniform(-4e4, 4e4, n_paths)
    starts = 2e-5 * np.arange(n_symbols)
    offsets = (np.arange(n_fft) - (n_fft - 1) / 2) * 3e-7
    weights = rng.standard_normal((n_antennas, n_paths)) + 1j * rng.standard_normal((n_antennas, n_paths))
    reference = apply_channel_numpy(transmitted, taps, doppler, starts, offsets, weights, n_fft)
    compiled = apply_channel_numba(transmitted, taps, doppler, starts, offsets, weights, n_fft)
    assert np.max(np.abs(compiled - reference)) < 1e-12 * np.max(np.abs(reference))
    # Spot check of the definition.
    n, symbol, i = 2, 7, 11
    phasors = np.exp(1j * doppler * (starts[symbol] + offsets[i]))
    expected = sum(weights[n, q] * phasors[q] * transmitted[symbol, n_cp + i - taps[q]] for q in range(n_paths))
    assert reference[n, symbol, i] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="taps must lie in"):
        apply_channel_numba(transmitted, taps + 1, doppler, starts, offsets, weights, n_fft)


@needs_numba
def test_simulate_ofdm_engines_agree():
    scene = demo_scene(random_state=14)
    numba_H, numba_var = simulate_ofdm(scene.geometry, *scene.objects, snr_db=10.0, random_state=15, engine="numba")
    numpy_H, numpy_var = simulate_ofdm(scene.geometry, *scene.objects, snr_db=10.0, random_state=15, engine="numpy")
    assert numba_var == numpy_var
    assert np.max(np.abs(numba_H - numpy_H)) < 1e-12 * np.max(np.abs(numpy_H))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "angles, ranges, velocities, match",
    [
        ([30.0, 60.0], [100.0, -1.0], [0.0, 0.0], r"ranges_m must lie in \[0, 4996"),
        ([30.0, 60.0], [100.0, np.nan], [0.0, 0.0], "ranges_m contains NaN"),
        ([30.0, np.inf], [100.0, 50.0], [0.0, 0.0], "angles_deg contains infinity"),
        ([30.0, 60.0], [100.0, 5000.0], [0.0, 0.0], "ranges_m must lie in"),
        ([30.0, 60.0], [100.0, 50.0], [0.0, 323.0], r"velocities_mps must lie in \[-322.85"),
        ([30.0, 190.0], [100.0, 50.0], [0.0, 0.0], r"angles_deg must lie in \[0, 180\]"),
        ([30.0], [100.0, 50.0], [0.0, 0.0], "one entry per object"),
    ],
)
def test_bad_object_parameters_raise(angles, ranges, velocities, match):
    geometry = ISACGeometry()
    with pytest.raises(ValueError, match=match):
        geometry.to_frequencies(angles, ranges, velocities)
    for simulator in (simulate_echo, simulate_ofdm):
        with pytest.raises(ValueError, match=match):
            simulator(geometry, angles, ranges, velocities, np.ones(2))


def test_simulator_argument_checks():
    geometry = ISACGeometry(n_subcarriers=24, n_symbols=14)
    objects = ([40.0, 80.0], [10.0, 100.0], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="gains must have one entry per object"):
        simulate_echo(geometry, *objects[:3], [1.0])
    with pytest.raises(ValueError, match="snr_definition must be one of"):
        simulate_echo(geometry, *objects, snr_db=0.0, snr_definition="integrated")
    with pytest.raises(ValueError, match="snr_db must be a finite"):
        simulate_ofdm(geometry, *objects, snr_db=np.nan)
    with pytest.raises(ValueError, match="gains are all zero"):
        simulate_echo(geometry, *objects[:3], [0.0, 0.0], snr_db=10.0)
    with pytest.raises(ValueError, match="fft_oversampling=0.5 gives an FFT of 12 bins"):
        simulate_ofdm(geometry, *objects, fft_oversampling=0.5)
    with pytest.raises(ValueError, match="engine must be one of"):
        simulate_ofdm(geometry, *objects, engine="cuda")
    with pytest.raises(TypeError, match="geometry must be an ISACGeometry"):
        simulate_echo({"n_antennas": 16}, *objects)


def test_delay_spread_beyond_the_cyclic_prefix_raises():
    geometry = ISACGeometry()
    # The check is on the rounded taps (what is simulated): 370 m of one-way spread is 16.7 → 17 taps,
    # beyond the 16-sample prefix; 360 m (16.2 → 16) and the demo's 350 m (15.8 → 16) fit.
    with pytest.raises(ValueError, match="relative delay spread .* rounds to 17 samples .* cyclic prefix holds 16"):
        simulate_ofdm(geometry, [30.0, 60.0], [50.0, 420.0], [0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="cyclic prefix"):
        ofdm_realised_ranges(geometry, [50.0, 420.0])
    assert ofdm_realised_ranges(geometry, [50.0, 410.0])[1] == pytest.approx(50.0 + 16 * 22.2068, abs=1e-3)
    # The monostatic demo doubles the delays and no longer fits.
    scene = demo_scene(random_state=0, geometry=ISACGeometry(link="monostatic"))
    with pytest.raises(ValueError, match="cyclic prefix"):
        simulate_ofdm(scene.geometry, *scene.objects)
    no_prefix = ISACGeometry(n_subcarriers=24, n_symbols=14, cyclic_prefix=0.0)
    H, _ = simulate_ofdm(no_prefix, [40.0, 80.0], [100.0, 100.0], [0.0, 0.0], [1.0, 1.0])
    ideal, _ = simulate_echo(no_prefix, [40.0, 80.0], [100.0, 100.0], [0.0, 0.0], [1.0, 1.0])
    assert np.linalg.norm(H - ideal) < 1e-10 * np.linalg.norm(ideal)
