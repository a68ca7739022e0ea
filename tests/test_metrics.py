import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sigrec.metrics import (
    matched_rmse,
    nmse,
    nmse_db,
    psnr,
    rmse,
    support_jaccard,
    support_of,
)

# --------------------------------------------------------------------- nmse


def test_nmse_of_ten_percent_scaling_error_is_one_hundredth():
    x = np.array([1.0, -2.0, 3.0, 0.5])
    assert nmse(x, 0.9 * x) == pytest.approx(0.01, rel=1e-12)
    assert nmse_db(x, 0.9 * x) == pytest.approx(-20.0, abs=1e-10)


def test_nmse_hand_computed_and_argument_order():
    # ||e||^2 = 1 + 1 = 2, ||x||^2 = 4  -> 0.5; swapped order: 2 / 2 = 1.0
    x_true = np.array([2.0, 0.0])
    x_estimate = np.array([1.0, 1.0])
    assert nmse(x_true, x_estimate) == pytest.approx(0.5)
    assert nmse(x_estimate, x_true) == pytest.approx(1.0)


def test_nmse_returns_python_float_without_axis():
    assert type(nmse([1.0, 2.0], [1.0, 2.5])) is float
    assert type(nmse_db([1.0, 2.0], [1.0, 2.5])) is float


def test_nmse_exact_recovery_is_zero_and_minus_inf_db():
    x = np.array([1.0, 2.0, 3.0])
    assert nmse(x, x.copy()) == 0.0
    assert nmse_db(x, x.copy()) == -math.inf


def test_nmse_axis_gives_one_value_per_signal():
    batch_true = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 2.0]])
    batch_estimate = np.array([[0.9, 0.0, 0.0], [0.0, 2.0, 0.0]])
    per_signal = nmse(batch_true, batch_estimate, axis=-1)
    assert per_signal.shape == (2,)
    np.testing.assert_allclose(per_signal, [0.01, 0.5])
    np.testing.assert_allclose(nmse_db(batch_true, batch_estimate, axis=1), 10 * np.log10([0.01, 0.5]))
    # Pooled over the batch: (0.01 + 4) / (1 + 8)
    assert nmse(batch_true, batch_estimate) == pytest.approx(4.01 / 9)


def test_nmse_axis_zero_reduces_over_first_axis():
    batch_true = np.array([[1.0, 2.0], [1.0, 0.0]])
    batch_estimate = np.array([[1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(nmse(batch_true, batch_estimate, axis=0), [0.5, 0.0])


def test_nmse_complex_uses_modulus():
    x_true = np.array([1 + 1j, 0 + 0j])
    x_estimate = np.array([1 + 0j, 0 + 1j])
    # errors -1j and 1j: |e|^2 = 2 ; |x|^2 = 2.  A real-part-only or e**2
    # implementation would give 0 or -1.
    assert nmse(x_true, x_estimate) == pytest.approx(1.0)


def test_nmse_all_zero_reference_raises():
    with pytest.raises(ValueError, match="all zero"):
        nmse(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="all zero"):
        nmse_db(np.array([[1.0, 1.0], [0.0, 0.0]]), np.ones((2, 2)), axis=-1)


def test_nmse_integer_inputs_do_not_wrap():
    x_true = np.array([0, 10], dtype=np.uint8)
    x_estimate = np.array([0, 9], dtype=np.uint8)
    # uint8 arithmetic would give 9 - 10 = 255, not -1.
    assert nmse(x_estimate, x_true) == pytest.approx(1 / 81)
    assert nmse(x_true, x_estimate) == pytest.approx(1 / 100)


@settings(max_examples=50, deadline=None)
@given(
    x_true=arrays(np.float64, 8, elements=st.floats(-1e3, 1e3)).filter(lambda a: np.sum(a**2) > 1e-6),
    x_estimate=arrays(np.float64, 8, elements=st.floats(-1e3, 1e3)),
    scale_exponent=st.integers(-30, 30),
)
def test_nmse_is_invariant_to_joint_scaling(x_true, x_estimate, scale_exponent):
    # A power-of-two scale is exact in floating point, so any difference is
    # the metric's fault rather than rounding in the test.
    scale = 2.0**scale_exponent
    assert nmse(scale * x_true, scale * x_estimate) == pytest.approx(nmse(x_true, x_estimate), rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------- rmse


def test_rmse_hand_computed():
    assert rmse([0.0, 0.0], [3.0, 4.0]) == pytest.approx(math.sqrt(12.5))
    assert rmse([1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 3.0]) == pytest.approx(1.0)


def test_rmse_axis_and_complex():
    x_true = np.zeros((2, 2), dtype=complex)
    x_estimate = np.array([[3j, 4.0], [1.0, 1j]])
    np.testing.assert_allclose(rmse(x_true, x_estimate, axis=1), [np.sqrt(12.5), 1.0])
    assert rmse(x_true, x_estimate) == pytest.approx(np.sqrt((9 + 16 + 1 + 1) / 4))


# -------------------------------------------------------------- validation

_PAIR_METRICS = [nmse, nmse_db, rmse, psnr]


@pytest.mark.parametrize("metric", _PAIR_METRICS)
def test_shape_mismatch_names_both_shapes(metric):
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 3\)"):
        metric(np.ones(3), np.ones((1, 3)))


@pytest.mark.parametrize("metric", _PAIR_METRICS)
@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_non_finite_input_names_the_argument(metric, bad_value):
    good = np.array([1.0, 2.0, 3.0])
    bad = good.copy()
    bad[1] = bad_value
    with pytest.raises(ValueError, match="x_estimate|image_estimate"):
        metric(good, bad)
    with pytest.raises(ValueError, match="x_true|image_true"):
        metric(bad, good)


@pytest.mark.parametrize("metric", _PAIR_METRICS)
def test_empty_input_raises(metric):
    with pytest.raises(ValueError, match="empty"):
        metric(np.array([]), np.array([]))


def test_complex_nan_is_detected():
    with pytest.raises(ValueError, match="x_estimate"):
        nmse(np.ones(2, dtype=complex), np.array([1.0, complex(0, np.nan)]))


def test_non_numeric_input_raises_type_error():
    with pytest.raises(TypeError):
        nmse(np.array(["a", "b"]), np.array(["a", "b"]))


# ---------------------------------------------------------------- jaccard


def test_jaccard_index_form():
    assert support_jaccard([0, 3, 5], [3, 5, 7]) == pytest.approx(0.5)
    assert support_jaccard(np.array([5, 0, 3]), np.array([0, 3, 5])) == 1.0
    assert support_jaccard([1, 2], [3, 4]) == 0.0
    # Repeats are ignored: {1, 2} vs {2}
    assert support_jaccard([1, 1, 2], [2, 2]) == pytest.approx(0.5)


def test_jaccard_mask_form():
    mask_true = np.array([True, False, True, False])
    mask_estimate = np.array([True, True, True, False])
    assert support_jaccard(mask_true, mask_estimate) == pytest.approx(2 / 3)


def test_jaccard_empty_sets():
    assert support_jaccard([], []) == 1.0
    assert support_jaccard(np.zeros(4, dtype=bool), np.zeros(4, dtype=bool)) == 1.0
    assert support_jaccard([], [2]) == 0.0
    assert support_jaccard(np.array([], dtype=int), np.zeros(4, dtype=bool)) == 1.0


def test_jaccard_rejects_mixed_forms_and_bad_masks():
    with pytest.raises(TypeError):
        support_jaccard(np.array([True, False, True]), np.array([0, 2]))
    with pytest.raises(ValueError, match="length"):
        support_jaccard(np.ones(3, dtype=bool), np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="negative"):
        support_jaccard([-1, 2], [2])
    with pytest.raises(TypeError):
        support_jaccard([0.5, 1.0], [1])


def test_support_of_threshold_and_top_k():
    x = np.array([0.1, -3.0, 0.0, 2.0, -0.4])
    np.testing.assert_array_equal(support_of(x), [0, 1, 3, 4])
    np.testing.assert_array_equal(support_of(x, threshold=0.4), [1, 3])
    np.testing.assert_array_equal(support_of(x, k=2), [1, 3])
    np.testing.assert_array_equal(support_of(x, k=3), [1, 3, 4])
    assert support_of(x, k=0).size == 0
    # Indices come back sorted, not in order of magnitude.
    np.testing.assert_array_equal(support_of(np.array([1.0, 3.0, 5.0]), k=2), [1, 2])
    # Complex magnitudes: |3+4j| = 5 beats 4.5
    np.testing.assert_array_equal(support_of(np.array([4.5, 3 + 4j, 0]), k=1), [1])


def test_support_of_ties_prefer_lower_index_and_rejects_bad_k():
    np.testing.assert_array_equal(support_of(np.array([1.0, 2.0, 2.0, 2.0]), k=2), [1, 2])
    with pytest.raises(ValueError):
        support_of(np.ones(3), k=4)
    with pytest.raises(ValueError):
        support_of(np.ones((2, 2)), k=1)
    with pytest.raises(ValueError):
        support_of(np.ones(3), threshold=-1.0)


def test_support_of_round_trips_through_jaccard():
    x_true = np.array([0.0, 1.0, 0.0, -2.0, 0.0])
    x_estimate = np.array([0.01, 0.9, 0.0, -2.1, 0.3])
    assert support_jaccard(support_of(x_true), support_of(x_estimate, k=2)) == 1.0
    assert support_jaccard(support_of(x_true), support_of(x_estimate, k=3)) == pytest.approx(2 / 3)


# ------------------------------------------------------------------- psnr


def test_psnr_hand_computed():
    # MSE = 0.005, default range = 1 -> 10 log10(200)
    assert psnr([0.0, 1.0], [0.0, 0.9]) == pytest.approx(10 * np.log10(200))
    # explicit range 255, MSE = 1 -> 20 log10(255)
    assert psnr([0.0, 10.0], [1.0, 11.0], data_range=255) == pytest.approx(20 * np.log10(255))


def test_psnr_default_range_is_reference_peak_to_peak():
    image_true = np.array([[2.0, 4.0], [6.0, 3.0]])  # range 4
    image_estimate = image_true + 0.5  # MSE 0.25
    assert psnr(image_true, image_estimate) == pytest.approx(10 * np.log10(16 / 0.25))


@pytest.mark.parametrize("data_range", [1.0, 2.0, 255.0])
def test_psnr_matches_skimage(data_range):
    skimage_metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(0)
    image_true = rng.uniform(0, 1, size=(16, 12))
    image_estimate = image_true + 0.05 * rng.standard_normal(image_true.shape)
    expected = skimage_metrics.peak_signal_noise_ratio(image_true, image_estimate, data_range=data_range)
    assert psnr(image_true, image_estimate, data_range=data_range) == pytest.approx(expected, rel=1e-12)


def test_psnr_uint8_images_do_not_wrap():
    skimage_metrics = pytest.importorskip("skimage.metrics")
    image_true = np.array([[10, 200], [0, 255]], dtype=np.uint8)
    image_estimate = np.array([[12, 190], [5, 250]], dtype=np.uint8)
    expected = skimage_metrics.peak_signal_noise_ratio(image_true, image_estimate, data_range=255)
    assert psnr(image_true, image_estimate, data_range=255) == pytest.approx(expected)


def test_psnr_identical_images_is_inf():
    assert psnr([0.0, 1.0], [0.0, 1.0]) == math.inf


def test_psnr_rejects_complex_constant_reference_and_bad_range():
    with pytest.raises(TypeError):
        psnr(np.array([1.0 + 1j, 0.0]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="data_range"):
        psnr(np.full(4, 3.0), np.ones(4))
    assert psnr(np.full(4, 3.0), np.full(4, 2.0), data_range=1.0) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="data_range"):
        psnr([0.0, 1.0], [0.0, 0.5], data_range=0)


# ----------------------------------------------------------- matched_rmse


def test_matched_rmse_permuted_estimate_is_zero():
    rng = np.random.default_rng(1)
    true_params = rng.normal(size=(6, 3))
    permutation = rng.permutation(6)
    result, (row_ind, col_ind) = matched_rmse(true_params, true_params[permutation], return_assignment=True)
    np.testing.assert_array_equal(result, np.zeros(3))
    # true row i must be paired with the estimate row holding it
    np.testing.assert_array_equal(permutation[col_ind], row_ind)


def test_matched_rmse_known_assignment_with_perturbation():
    true_params = np.array([[0.0, 100.0], [10.0, 200.0], [20.0, 300.0]])
    perturbation = np.array([[0.3, -2.0], [-0.3, 4.0], [0.0, 0.0]])
    order = [2, 0, 1]
    estimated = (true_params + perturbation)[order]
    result, (row_ind, col_ind) = matched_rmse(true_params, estimated, return_assignment=True)
    np.testing.assert_allclose(result, [np.sqrt(0.18 / 3), np.sqrt(20 / 3)])
    np.testing.assert_array_equal(row_ind, [0, 1, 2])
    np.testing.assert_array_equal(col_ind, [1, 2, 0])


def test_matched_rmse_one_dimensional_input_is_single_parameter():
    result = matched_rmse([1.0, 5.0, 9.0], [9.5, 1.0, 5.0])
    assert result.shape == (1,)
    np.testing.assert_allclose(result, [np.sqrt(0.25 / 3)])


def test_matched_rmse_count_mismatch_matches_min_k_pairs():
    true_params = np.array([[0.0], [10.0], [20.0]])
    # Two estimates: the missed target (10) does not enter the RMSE.
    result, (row_ind, col_ind) = matched_rmse(true_params, np.array([[21.0], [-1.0]]), return_assignment=True)
    np.testing.assert_allclose(result, [1.0])
    np.testing.assert_array_equal(row_ind, [0, 2])
    np.testing.assert_array_equal(col_ind, [1, 0])
    # A false alarm far away is left unpaired.
    result, (row_ind, col_ind) = matched_rmse([[0.0], [10.0]], [[1000.0], [10.0], [0.5]], return_assignment=True)
    np.testing.assert_allclose(result, [np.sqrt(0.125)])
    np.testing.assert_array_equal(col_ind, [2, 1])


def test_matched_rmse_weights_change_the_pairing_not_the_units():
    true_params = np.array([[0.0, 0.0], [1.0, 10.0]])
    estimated = np.array([[0.0, 10.0], [1.0, 0.0]])
    # Unweighted: the second parameter dominates -> pair by it, first errs by 1.
    np.testing.assert_allclose(matched_rmse(true_params, estimated), [1.0, 0.0])
    # Heavily weighting the first parameter pairs by it instead.
    weighted, (_, col_ind) = matched_rmse(true_params, estimated, weights=[1000.0, 1.0], return_assignment=True)
    np.testing.assert_allclose(weighted, [0.0, 10.0])
    np.testing.assert_array_equal(col_ind, [0, 1])
    # With the pairing unambiguous, weights leave the reported RMSE unscaled.
    np.testing.assert_allclose(matched_rmse([[0.0, 0.0]], [[1.0, 2.0]], weights=[4.0, 1.0]), [1.0, 2.0])


def test_matched_rmse_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2, 3\)"):
        matched_rmse(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(TypeError):
        matched_rmse(np.zeros((2, 1), dtype=complex), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="estimated_params"):
        matched_rmse(np.zeros((2, 1)), np.array([[np.nan], [0.0]]))
    with pytest.raises(ValueError, match="empty"):
        matched_rmse(np.zeros((0, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="weights"):
        matched_rmse(np.zeros((2, 2)), np.zeros((2, 2)), weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="weights"):
        matched_rmse(np.zeros((2, 2)), np.zeros((2, 2)), weights=[1.0, 1.0, 1.0])


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_true=st.integers(1, 6),
    n_estimated=st.integers(1, 6),
)
def test_matched_rmse_is_invariant_to_permuting_either_set(seed, n_true, n_estimated):
    rng = np.random.default_rng(seed)
    true_params = rng.normal(size=(n_true, 2))
    estimated = rng.normal(size=(n_estimated, 2))
    reference = matched_rmse(true_params, estimated)
    permuted = matched_rmse(true_params[rng.permutation(n_true)], estimated[rng.permutation(n_estimated)])
    np.testing.assert_allclose(permuted, reference, rtol=1e-10, atol=1e-12)
