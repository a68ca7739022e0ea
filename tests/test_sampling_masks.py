"""Fixed sub-sampling masks, the linear and FISTA decoders, and mask scoring (DPS note §4–§5)."""

import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_limits

from sigrec.datasets import make_digits_kspace, make_pulse_echo, make_sparse_spikes
from sigrec.sampling._grid import candidate_indices, conjugate_indices, frequency_radius, measure, real_features
from sigrec.sampling.masks import (
    LinearDecoder,
    band_fraction,
    count_conjugate_duplicates,
    equispaced_mask,
    evaluate_mask,
    fista_decode,
    greedy_mask,
    low_pass_mask,
    random_mask,
    variable_density_mask,
)

SHAPES = [(16,), (15,), (8, 8), (6, 5)]
DIGITS_SHAPE = (8, 8)


@pytest.fixture(scope="module")
def digits():
    return make_digits_kspace(random_state=0)


@pytest.fixture(scope="module")
def pulse_echo():
    data = make_pulse_echo(1300, 128, random_state=0)
    return data, data.signals[:1000], data.signals[1000:]


def _radius(mask):
    return frequency_radius(mask.shape)[np.flatnonzero(mask)]


# ----------------------------------------------------------------------------------------------------------------
# masks


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("candidates", ["half", "full"])
def test_every_mask_has_exactly_k_entries_and_the_grid_shape(shape, candidates):
    n_keep = 4
    masks = [
        random_mask(shape, n_keep, candidates=candidates, random_state=0),
        low_pass_mask(shape, n_keep, candidates=candidates),
        variable_density_mask(shape, n_keep, candidates=candidates, random_state=0),
        equispaced_mask(shape, n_keep),
    ]
    X = np.random.default_rng(0).standard_normal((40, int(np.prod(shape))))
    image_shape = shape if len(shape) == 2 else None
    masks.append(greedy_mask(X, n_keep, image_shape=image_shape, candidates=candidates))
    pool = set(candidate_indices(shape, candidates))
    for mask in masks:
        assert mask.dtype == bool and mask.shape == shape and int(mask.sum()) == n_keep
    for mask in masks[:3] + masks[4:]:
        assert set(np.flatnonzero(mask)) <= pool


@pytest.mark.parametrize("shape", SHAPES)
def test_half_candidate_masks_never_take_a_conjugate_pair(shape):
    pool = candidate_indices(shape, "half")
    partners = conjugate_indices(shape)
    assert not np.isin(partners[pool][partners[pool] != pool], pool).any()
    X = np.random.default_rng(1).standard_normal((60, int(np.prod(shape))))
    image_shape = shape if len(shape) == 2 else None
    for n_keep in (1, pool.size // 2, pool.size):
        masks = [low_pass_mask(shape, n_keep), greedy_mask(X, n_keep, image_shape=image_shape)]
        masks += [random_mask(shape, n_keep, random_state=s) for s in range(10)]
        masks += [variable_density_mask(shape, n_keep, random_state=s) for s in range(10)]
        for mask in masks:
            assert count_conjugate_duplicates(np.flatnonzero(mask), shape) == 0


def test_low_pass_on_8x8_matches_hand_computed_bins():
    # half: DC, then (0,1) and (1,0) at radius 1/8 ((0,7), (7,0) are their conjugates), then (1,1) at √2/8
    assert np.flatnonzero(low_pass_mask((8, 8), 4)).tolist() == [0, 1, 8, 9]
    # full: DC and all four radius-1/8 bins in flat order (0,1), (0,7), (1,0), then (7,0)
    assert np.flatnonzero(low_pass_mask((8, 8), 4, candidates="full")).tolist() == [0, 1, 7, 8]
    assert np.flatnonzero(low_pass_mask((8, 8), 5, candidates="full")).tolist() == [0, 1, 7, 8, 56]
    # the full low-pass takes both bins of each pair, the half one reaches further
    assert count_conjugate_duplicates(np.flatnonzero(low_pass_mask((8, 8), 5, candidates="full")), (8, 8)) == 2
    assert _radius(low_pass_mask((8, 8), 8)).max() > _radius(low_pass_mask((8, 8), 8, candidates="full")).max()


def test_low_pass_1d_is_an_interval():
    assert np.flatnonzero(low_pass_mask((16,), 5)).tolist() == [0, 1, 2, 3, 4]
    assert np.flatnonzero(low_pass_mask((16,), 5, candidates="full")).tolist() == [0, 1, 2, 14, 15]


@pytest.mark.parametrize(("n", "k"), [(128, 16), (128, 13), (100, 7), (10, 10)])
def test_equispaced_1d_spacing(n, k):
    support = np.flatnonzero(equispaced_mask((n,), k))
    assert support.size == k and support[0] == 0
    gaps = np.diff(np.concatenate([support, [support[0] + n]]))
    assert gaps.max() - gaps.min() <= 1 and abs(gaps.mean() - n / k) < 1e-12
    assert np.array_equal(support, np.floor(np.arange(k) * n / k + 0.5).astype(int))


def test_equispaced_2d_lattice_and_error():
    mask = equispaced_mask((8, 8), 8)  # 2 × 4 lattice (a = 2 is the divisor closest to √8)
    assert np.array_equal(np.flatnonzero(mask), [0, 2, 4, 6, 32, 34, 36, 38])
    mask = equispaced_mask((8, 8), 16)
    rows, cols = np.nonzero(mask)
    assert sorted(set(rows)) == [0, 2, 4, 6] and sorted(set(cols)) == [0, 2, 4, 6]
    with pytest.raises(ValueError, match="n_keep=11"):
        equispaced_mask((8, 8), 11)


def test_variable_density_prefers_low_frequencies_and_is_seeded():
    shape, n_keep = (16, 16), 20
    vds = np.mean([_radius(variable_density_mask(shape, n_keep, random_state=s)).mean() for s in range(200)])
    rnd = np.mean([_radius(random_mask(shape, n_keep, random_state=s)).mean() for s in range(200)])
    assert vds < 0.8 * rnd
    # inclusion frequency of the DC bin: far above the uniform K / n_candidates
    n_candidates = candidate_indices(shape).size
    dc = np.mean([variable_density_mask(shape, n_keep, random_state=s)[0, 0] for s in range(200)])
    assert dc > 2 * n_keep / n_candidates
    first = variable_density_mask(shape, n_keep, random_state=7)
    assert np.array_equal(first, variable_density_mask(shape, n_keep, random_state=7))
    assert not np.array_equal(first, variable_density_mask(shape, n_keep, random_state=8))
    # power 0 is uniform: no preference
    flat = np.mean([_radius(variable_density_mask(shape, n_keep, power=0.0, random_state=s)).mean()
                    for s in range(200)])
    assert abs(flat - rnd) < 0.05 * rnd


def test_random_mask_is_seeded_and_uniform():
    assert np.array_equal(random_mask((64,), 8, random_state=3), random_mask((64,), 8, random_state=3))
    counts = np.sum([random_mask((16,), 3, random_state=s) for s in range(3000)], axis=0)
    pool = candidate_indices((16,))
    expected = 3000 * 3 / pool.size
    assert np.all(np.abs(counts[pool] - expected) < 5 * np.sqrt(expected))
    assert counts[np.setdiff1d(np.arange(16), pool)].sum() == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda k: random_mask((16,), k, random_state=0),
        lambda k: low_pass_mask((16,), k),
        lambda k: variable_density_mask((16,), k, random_state=0),
    ],
)
@pytest.mark.parametrize("n_keep", [0, 10, -1, 2.0, True])
def test_n_keep_out_of_range_names_the_argument_and_the_count(make, n_keep):
    with pytest.raises(ValueError, match=r"n_keep.*9"):  # 16 samples → 9 half candidates
        make(n_keep)


def test_n_keep_errors_for_equispaced_and_greedy():
    with pytest.raises(ValueError, match=r"n_keep.*16"):
        equispaced_mask((16,), 17)
    X = np.random.default_rng(0).standard_normal((20, 16))
    with pytest.raises(ValueError, match=r"n_keep.*16"):
        greedy_mask(X, 17, candidates="full")
    assert low_pass_mask((16,), 16, candidates="full").all()


# ----------------------------------------------------------------------------------------------------------------
# linear decoder and greedy selection


def test_linear_decoder_matches_sklearn_ridge():
    rng = np.random.default_rng(0)
    F = rng.standard_normal((80, 6)) * [1, 2, 3, 0.5, 10, 1] + 4.0
    T = F @ rng.standard_normal((6, 3)) + rng.standard_normal((80, 3)) + [1.0, -2.0, 0.5]
    for alpha in (1e-6, 0.1, 2.0):
        ours = LinearDecoder(alpha=alpha).fit(F, T)
        Fc = F - F.mean(axis=0)
        assert ours.ridge_ == pytest.approx(alpha * np.trace(Fc.T @ Fc) / 6)
        ref = Ridge(alpha=ours.ridge_, fit_intercept=True, solver="cholesky").fit(F, T)
        np.testing.assert_allclose(ours.coef_, ref.coef_.T, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.predict(F), ref.predict(F), rtol=1e-8, atol=1e-10)
    assert ours.coef_.shape == (6, 3) and ours.intercept_.shape == (3,)


def test_linear_decoder_is_scale_free_complex_and_clonable():
    rng = np.random.default_rng(1)
    F = rng.standard_normal((50, 4)) + 1j * rng.standard_normal((50, 4))
    T = rng.standard_normal((50, 5)) + 1j * rng.standard_normal((50, 5))
    decoder = LinearDecoder(alpha=0.1).fit(F, T)
    assert decoder.coef_.shape == (8, 10)
    prediction = decoder.predict(F)
    assert np.iscomplexobj(prediction) and prediction.shape == (50, 5)
    scaled = LinearDecoder(alpha=0.1).fit(1e3 * F, T)
    np.testing.assert_allclose(scaled.predict(1e3 * F), prediction, rtol=1e-8, atol=1e-10)
    assert clone(decoder).get_params() == {"alpha": 0.1}
    one_d = LinearDecoder().fit(F.real, T[:, 0].real)
    assert one_d.predict(F.real).shape == (50,)
    with pytest.raises(ValueError, match="columns"):
        decoder.predict(F[:, :3])


def test_greedy_training_error_decreases_and_matches_the_decoder(digits):
    X = digits.X_train
    mask, errors = greedy_mask(X, 10, image_shape=DIGITS_SHAPE, return_errors=True)
    assert errors.shape == (10,) and np.all(np.diff(errors) <= 1e-12) and errors[-1] < errors[0]

    def train_error(mask):
        features = real_features(measure(X, DIGITS_SHAPE)[:, np.flatnonzero(mask)])
        decoder = LinearDecoder().fit(features, X)
        return np.sum((decoder.predict(features) - X) ** 2) / np.sum((X - X.mean(axis=0)) ** 2)

    assert errors[-1] == pytest.approx(train_error(mask), rel=1e-8)
    randoms = [train_error(random_mask(DIGITS_SHAPE, 10, random_state=s)) for s in range(10)]
    assert errors[-1] < min(randoms)


def test_greedy_identity_domain_picks_informative_pixels():
    rng = np.random.default_rng(2)
    X = np.zeros((200, 10))
    X[:, [2, 7]] = rng.standard_normal((200, 2))
    X[:, 5] = X[:, 2] + X[:, 7]  # pixel 5 is explained by pixels 2 and 7
    mask, errors = greedy_mask(X, 2, domain="identity", return_errors=True)
    assert errors[-1] < 1e-6
    assert mask.sum() == 2 and set(np.flatnonzero(mask)) <= {2, 5, 7}


def test_greedy_is_fast():
    data = make_pulse_echo(1000, 128, random_state=0)
    digits = make_digits_kspace()
    with threadpool_limits(1):
        start = time.perf_counter()
        greedy_mask(digits.X_train, 16, image_shape=DIGITS_SHAPE)
        digits_time = time.perf_counter() - start
        start = time.perf_counter()
        greedy_mask(data.signals, 16)
        pulse_time = time.perf_counter() - start
    assert digits_time < 1.0 and pulse_time < 2.0


# ----------------------------------------------------------------------------------------------------------------
# FISTA


def test_fista_recovers_sparse_spikes_from_random_bins():
    spikes = make_sparse_spikes(20, 128, n_spikes=3, random_state=2).signals
    mask = random_mask((128,), 40, random_state=3)
    Y = measure(spikes, (128,))[:, np.flatnonzero(mask)]
    recovered = fista_decode(Y, mask, shape=(128,), alpha=1e-3, n_iter=300)
    assert recovered.shape == spikes.shape and not np.iscomplexobj(recovered)
    assert 10 * np.log10(np.sum((recovered - spikes) ** 2) / np.sum(spikes**2)) < -20
    # batched over rows equals one-row-at-a-time solves
    rows = np.vstack([fista_decode(Y[i : i + 1], mask, shape=(128,), alpha=1e-3) for i in range(5)])
    np.testing.assert_allclose(recovered[:5], rows, rtol=1e-9, atol=1e-10)
    # flat indices work as the mask
    np.testing.assert_allclose(fista_decode(Y, np.flatnonzero(mask), shape=(128,), alpha=1e-3), recovered)


def test_fista_with_a_dictionary_and_on_images():
    data = make_pulse_echo(10, 64, n_reflectors=2, random_state=0)
    mask = low_pass_mask((64,), 33)  # every non-redundant bin: the system is determined up to the pulse's zeros
    Y = measure(data.signals, (64,))[:, np.flatnonzero(mask)]
    estimate = fista_decode(Y, mask, shape=(64,), dictionary=data.dictionary, alpha=1e-4, n_iter=500)
    assert 10 * np.log10(np.sum((estimate - data.signals) ** 2) / np.sum(data.signals**2)) < -20
    images = np.zeros((3, 36))
    images[:, [4, 20]] = 1.0
    mask2 = random_mask((6, 6), 14, random_state=0)
    Y2 = measure(images, (6, 6))[:, np.flatnonzero(mask2)]
    assert fista_decode(Y2, mask2, shape=(6, 6), alpha=1e-3).shape == (3, 36)
    with pytest.raises(ValueError, match="columns"):
        fista_decode(Y2[:, :3], mask2, shape=(6, 6))


# ----------------------------------------------------------------------------------------------------------------
# scoring


def test_band_oracle_beats_random_on_pulse_echo(pulse_echo):
    data, X_train, X_test = pulse_echo
    n_keep = 16
    pool = candidate_indices((128,))
    gain = np.abs(data.frequency_response)
    oracle = pool[np.argsort(-gain[pool], kind="stable")[:n_keep]]
    oracle_score = evaluate_mask(oracle, X_test, X_train=X_train)
    randoms = [evaluate_mask(random_mask((128,), n_keep, random_state=s), X_test, X_train=X_train)
               for s in range(10)]
    assert oracle_score <= np.mean(randoms) - 6.0  # measured ≈ −10.0 vs −1.0 dB
    assert band_fraction(oracle, data.frequency_response) >= 0.9
    assert band_fraction(oracle, data.frequency_response, level_db=-20) == 1.0
    assert band_fraction(low_pass_mask((128,), n_keep), data.frequency_response) == 0.0
    assert count_conjugate_duplicates(oracle, (128,)) == 0
    # bool and index masks score the same
    bool_mask = np.zeros(128, dtype=bool)
    bool_mask[oracle] = True
    assert evaluate_mask(bool_mask, X_test, X_train=X_train) == pytest.approx(oracle_score)


def test_fista_scoring_of_the_band_oracle(pulse_echo):
    data, _, X_test = pulse_echo
    pool = candidate_indices((128,))
    oracle = pool[np.argsort(-np.abs(data.frequency_response[pool]), kind="stable")[:16]]
    score = evaluate_mask(oracle, X_test[:100], decoder="fista", dictionary=data.dictionary)
    low = evaluate_mask(low_pass_mask((128,), 16), X_test[:100], decoder="fista", dictionary=data.dictionary)
    assert score < -15.0 and low > -1.0  # measured ≈ −20 dB and 0 dB


def test_digits_greedy_low_pass_random_ordering(digits):
    def score(mask):
        return evaluate_mask(mask, digits.X_test, X_train=digits.X_train, image_shape=DIGITS_SHAPE, metric="psnr")

    n_keep = 8
    greedy = score(greedy_mask(digits.X_train, n_keep, image_shape=DIGITS_SHAPE))
    half = score(low_pass_mask(DIGITS_SHAPE, n_keep))
    full = score(low_pass_mask(DIGITS_SHAPE, n_keep, candidates="full"))
    randoms = [score(random_mask(DIGITS_SHAPE, n_keep, random_state=s)) for s in range(20)]
    # measured: greedy 18.76, low-pass half 18.24, low-pass full 15.69, random 15.3 ± 0.8 dB
    assert greedy >= half - 0.3
    assert half >= np.mean(randoms) + 1.0
    assert half > full + 1.0


def test_evaluate_mask_arguments(digits):
    mask = low_pass_mask(DIGITS_SHAPE, 4)
    with pytest.raises(ValueError, match="X_train"):
        evaluate_mask(mask, digits.X_test, image_shape=DIGITS_SHAPE)
    with pytest.raises(ValueError, match="decoder"):
        evaluate_mask(mask, digits.X_test, X_train=digits.X_train, image_shape=DIGITS_SHAPE, decoder="mlp")
    with pytest.raises(ValueError, match="metric"):
        evaluate_mask(mask, digits.X_test, X_train=digits.X_train, image_shape=DIGITS_SHAPE, metric="ssim")
    with pytest.raises(ValueError, match="grid shape"):
        evaluate_mask(np.ones(10, dtype=bool), digits.X_test, X_train=digits.X_train, image_shape=DIGITS_SHAPE)
    nmse = evaluate_mask(mask, digits.X_test, X_train=digits.X_train, image_shape=DIGITS_SHAPE)
    assert np.isfinite(nmse) and nmse < 0


def test_greedy_on_complex_signals_needs_full_candidates():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 8)) + 1j * rng.standard_normal((50, 8))
    with pytest.raises(ValueError, match="candidates='full'"):
        greedy_mask(X, 2)
    mask, errors = greedy_mask(X, 8, candidates="full", return_errors=True)
    assert mask.all() and errors[-1] < 1e-4  # every bin: the signals are recovered up to the ridge
