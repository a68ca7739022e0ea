"""Benchmark data for learned sub-sampling: pulse-echo, spikes, digits in k-space, lines and circles."""

import time

import numpy as np
import pytest

import sigrec.datasets
from sigrec.datasets import make_digits_kspace, make_lines_and_circles, make_pulse_echo, make_sparse_spikes


def test_registry_lists_the_sampling_generators():
    for name in ("make_pulse_echo", "make_sparse_spikes", "make_digits_kspace", "make_lines_and_circles"):
        assert name in sigrec.datasets.__all__
        assert callable(getattr(sigrec.datasets, name))


# ----------------------------------------------------------------------------------------------------------------
# pulse-echo (B1) and spikes (B2)


def test_pulse_echo_shapes_sparsity_and_convolution():
    data = make_pulse_echo(50, 128, n_reflectors=5, random_state=0)
    assert data.signals.shape == data.reflectivity.shape == (50, 128)
    assert data.pulse.shape == data.frequency_response.shape == (128,)
    assert not np.iscomplexobj(data.signals) and data.noise_std == 0.0
    assert np.all(np.count_nonzero(data.reflectivity, axis=1) == 5)
    # circular convolution, checked against the explicit sum
    s, h = data.reflectivity[3], data.pulse
    direct = np.array([sum(s[j] * h[(t - j) % 128] for j in range(128)) for t in range(128)])
    np.testing.assert_allclose(data.signals[3], direct, atol=1e-12)
    np.testing.assert_allclose(data.reflectivity @ data.dictionary.T, data.signals, atol=1e-12)
    np.testing.assert_allclose(data.frequency_response, np.fft.fft(data.pulse))


def test_pulse_is_unit_energy_centred_and_band_pass():
    data = make_pulse_echo(2, 128, pulse_width=3.0, center_frequency=0.25, random_state=0)
    h = data.pulse
    assert np.sum(h**2) == pytest.approx(1.0)
    assert np.argmax(np.abs(h)) == 0  # centred at lag 0
    np.testing.assert_allclose(h[1:], h[1:][::-1], atol=1e-15)  # even in the circular lag: h[t] = h[-t]
    gain = np.abs(data.frequency_response)
    assert np.argmax(gain[:65]) == 32  # f0 · N = 0.25 · 128
    np.testing.assert_allclose(gain, gain[(-np.arange(128)) % 128])
    assert gain[0] < 1e-3 * gain.max() and gain[64] < 1e-3 * gain.max()  # stop band at DC and Nyquist
    # the −6 dB band is centred on f0
    band = np.flatnonzero(gain[:65] >= 0.5 * gain.max())
    assert abs(band.mean() - 32) <= 0.5 and 5 <= band.size <= 20
    other = make_pulse_echo(2, 128, center_frequency=0.1, random_state=0)
    assert np.argmax(np.abs(other.frequency_response[:65])) == round(0.1 * 128)


def test_pulse_echo_is_seeded_and_noisy_when_asked():
    a = make_pulse_echo(20, 64, random_state=5)
    b = make_pulse_echo(20, 64, random_state=5)
    c = make_pulse_echo(20, 64, random_state=6)
    assert np.array_equal(a.signals, b.signals) and np.array_equal(a.reflectivity, b.reflectivity)
    assert not np.array_equal(a.signals, c.signals)
    noisy = make_pulse_echo(2000, 64, noise_std=0.1, random_state=5)
    clean = noisy.reflectivity @ noisy.dictionary.T
    assert np.std(noisy.signals - clean) == pytest.approx(0.1, rel=0.02)
    assert noisy.noise_std == 0.1


def test_reflectivity_amplitudes_and_positions_are_random():
    data = make_pulse_echo(4000, 32, n_reflectors=4, random_state=1)
    values = data.reflectivity[data.reflectivity != 0]
    assert abs(values.mean()) < 0.05 and values.std() == pytest.approx(1.0, rel=0.05)
    occupancy = np.count_nonzero(data.reflectivity, axis=0)
    expected = 4000 * 4 / 32
    assert np.all(np.abs(occupancy - expected) < 5 * np.sqrt(expected))


def test_sparse_spikes_have_a_flat_spectrum():
    data = make_sparse_spikes(30, 64, n_spikes=3, random_state=0)
    assert np.array_equal(data.signals, data.reflectivity)
    assert np.all(np.count_nonzero(data.signals, axis=1) == 3)
    np.testing.assert_allclose(np.abs(data.frequency_response), 1.0)
    assert data.pulse[0] == 1.0 and np.count_nonzero(data.pulse) == 1
    assert np.array_equal(data.signals, make_sparse_spikes(30, 64, n_spikes=3, random_state=0).signals)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_reflectors": 0}, "n_reflectors"),
        ({"n_reflectors": 129}, "n_reflectors"),
        ({"pulse_width": 0.0}, "pulse_width"),
        ({"center_frequency": 0.7}, "center_frequency"),
        ({"noise_std": -1.0}, "noise_std"),
        ({"n_samples": 0}, "n_samples"),
        ({"n_features": 1}, "n_features"),
    ],
)
def test_pulse_echo_argument_errors(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_pulse_echo(**{"n_samples": 5, "n_features": 128, **kwargs})


def test_sparse_spikes_argument_errors():
    with pytest.raises(ValueError, match="n_spikes"):
        make_sparse_spikes(5, 16, n_spikes=17)


# ----------------------------------------------------------------------------------------------------------------
# digits (B3)


def test_digits_split_sizes_range_and_labels():
    task = make_digits_kspace()
    assert task.X_train.shape == (1200, 64) and task.X_test.shape == (597, 64)
    assert task.y_train.shape == (1200,) and task.y_test.shape == (597,)
    assert task.image_shape == (8, 8)
    X = np.vstack([task.X_train, task.X_test])
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(np.concatenate([task.y_train, task.y_test]))) == set(range(10))
    # the split is a permutation of the full set, images kept with their labels
    from sklearn.datasets import load_digits

    digits = load_digits()
    keys = {row.tobytes(): label for row, label in zip(digits.data / 16.0, digits.target, strict=True)}
    assert all(keys[row.tobytes()] == label for row, label in zip(task.X_test, task.y_test, strict=True))
    assert len({row.tobytes() for row in X}) == len({row.tobytes() for row in digits.data / 16.0})


def test_digits_seeding_and_n_train():
    a, b, c = make_digits_kspace(random_state=0), make_digits_kspace(random_state=0), make_digits_kspace(random_state=1)
    assert np.array_equal(a.X_train, b.X_train) and not np.array_equal(a.X_train, c.X_train)
    small = make_digits_kspace(n_train=100)
    assert small.X_train.shape == (100, 64) and small.X_test.shape == (1697, 64)
    with pytest.raises(ValueError, match="n_train"):
        make_digits_kspace(n_train=1797)


# ----------------------------------------------------------------------------------------------------------------
# lines and circles (B4)


def test_lines_and_circles_shapes_ranges_and_circle():
    images = make_lines_and_circles(300, size=32, random_state=0)
    assert images.shape == (300, 1024) and images.dtype == np.float64
    assert images.min() == 0.0 and images.max() <= 20.0
    cube = images.reshape(300, 32, 32)
    constant_rows = np.all(cube == cube[:, :, :1], axis=2)
    # the disc makes at least 3 rows non-constant in every image (its diameter is at most 9 < 32 pixels)
    assert np.all(np.sum(~constant_rows, axis=1) >= 3)
    # every image has a disc: the non-constant rows hold a compact, positive blob
    for image, rows in zip(cube[:20], constant_rows[:20], strict=True):
        blob = image[~rows] - np.min(image[~rows], axis=1, keepdims=True)
        area = np.count_nonzero(blob)
        assert 9 <= area <= 64 and 1.0 <= blob.max() <= 10.0
    # lines: full-width constant non-zero rows, 0 to 4 per image, amplitudes in [1, 10]
    line_rows = constant_rows & (cube[:, :, 0] > 0)
    counts = line_rows.sum(axis=1)
    assert set(np.unique(counts)) == {0, 1, 2, 3, 4}
    amplitudes = cube[:, :, 0][line_rows]
    assert amplitudes.min() >= 1.0 and amplitudes.max() <= 10.0


def test_lines_and_circles_is_seeded_and_fast():
    assert np.array_equal(make_lines_and_circles(10, random_state=3), make_lines_and_circles(10, random_state=3))
    assert not np.array_equal(make_lines_and_circles(10, random_state=3), make_lines_and_circles(10, random_state=4))
    start = time.perf_counter()
    make_lines_and_circles(1000, random_state=0)
    assert time.perf_counter() - start < 0.5  # measured ≈ 0.01 s
    with pytest.raises(ValueError, match="size"):
        make_lines_and_circles(5, size=4)
