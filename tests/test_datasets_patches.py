"""Natural-image patches: shapes, determinism, scale, whitening, splits, errors."""

import importlib.util
import re
import subprocess
import sys

import numpy as np
import pytest

from sigrec._validation import check_random_generator
from sigrec.datasets import load_natural_patches
from sigrec.datasets.natural_patches import _sample_crop_positions, _whiten

# Only the import and missing-dependency tests run without scikit-image.
needs_skimage = pytest.mark.skipif(importlib.util.find_spec("skimage") is None, reason="needs scikit-image")

TRAIN_SHAPES = [
    (427, 640),  # china
    (427, 640),  # flower
    (512, 512),  # camera
    (512, 512),  # astronaut
    (300, 451),  # chelsea
    (512, 512),  # grass
    (512, 512),  # gravel
    (512, 512),  # brick
    (512, 512),  # moon
    (500, 741),  # motorcycle left
]
TEST_SHAPES = [(400, 600), (427, 640)]  # coffee, rocket


def _correlation(a, b):
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


def _radial_spectrum_slope(patches, patch_size):
    """Log-log slope of the mean patch power spectrum over 1/16 <= ρ <= 1/4 cycles/pixel.

    Natural images have power ~ ρ^-2 (slope about -2); whitening multiplies
    the power by ρ², which should bring the slope up towards 0.
    """
    power = (np.abs(np.fft.fft2(patches.reshape(-1, patch_size, patch_size))) ** 2).mean(axis=0)
    frequency = np.fft.fftfreq(patch_size)
    radial_frequency = np.hypot(frequency[:, None], frequency[None, :])
    band = (radial_frequency > 0) & (radial_frequency <= 0.25 + 1e-12)
    slope, _intercept = np.polyfit(np.log(radial_frequency[band]), np.log(power[band]), 1)
    return slope


def test_import_does_not_load_image_or_plotting_libraries():
    code = (
        "import sys, sigrec.datasets, sigrec.datasets.natural_patches;"
        "print(' '.join(m for m in ('skimage', 'sklearn', 'matplotlib') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_lazy_attribute_resolves_to_the_loader():
    import sigrec.datasets
    from sigrec.datasets import natural_patches

    assert sigrec.datasets.load_natural_patches is natural_patches.load_natural_patches
    assert "load_natural_patches" in dir(sigrec.datasets)
    with pytest.raises(AttributeError, match="no_such_loader"):
        sigrec.datasets.no_such_loader  # noqa: B018


@needs_skimage
@pytest.mark.parametrize(("patch_size", "n_patches"), [(16, 300), (8, 3), (2, 1), (25, 7)])
def test_shape_and_dtype(patch_size, n_patches):
    patches = load_natural_patches(patch_size, n_patches, random_state=1)
    assert patches.shape == (n_patches, patch_size**2)
    assert patches.dtype == np.float64
    assert np.all(np.isfinite(patches))


@needs_skimage
def test_same_seed_same_patches_and_different_seed_different_patches():
    first = load_natural_patches(16, 200, random_state=3)
    again = load_natural_patches(16, 200, random_state=3)
    from_generator = load_natural_patches(16, 200, random_state=np.random.default_rng(3))
    other_seed = load_natural_patches(16, 200, random_state=4)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, from_generator)
    # row by row, another seed draws other crops (a few flat raw crops could coincide)
    assert np.all(first == other_seed, axis=1).mean() < 0.05


@needs_skimage
def test_a_shared_generator_advances_and_none_is_random():
    rng = np.random.default_rng(0)
    first_draw = load_natural_patches(8, 50, random_state=rng)
    assert not np.array_equal(first_draw, load_natural_patches(8, 50, random_state=rng))
    unseeded_draw = load_natural_patches(8, 50, random_state=None)
    assert not np.array_equal(unseeded_draw, load_natural_patches(8, 50, random_state=None))


@needs_skimage
@pytest.mark.parametrize("whiten", [True, False])
def test_each_patch_has_zero_mean(whiten):
    patches = load_natural_patches(12, 500, whiten=whiten, random_state=0)
    assert np.abs(patches.mean(axis=1)).max() < 1e-12
    # ...and keep the structure (median not min: astronaut's clipped black
    # sky gives a few constant raw patches, which are exactly zero)
    assert np.median(patches.std(axis=1)) > 0.03


@needs_skimage
@pytest.mark.parametrize("split", ["train", "test"])
def test_whitened_patch_variance_matches_the_papers_scale(split):
    # Measured: 0.0955 train, 0.0911 test at seed 0 (0.096 / 0.089 over 100k patches).
    patches = load_natural_patches(16, 10_000, split=split, whiten=True, random_state=0)
    assert 0.06 <= patches.var() <= 0.12


@needs_skimage
@pytest.mark.parametrize("split", ["train", "test", "all"])
@pytest.mark.parametrize("whiten", [True, False])
def test_average_image_variance_is_one_tenth(split, whiten):
    _patches, images = load_natural_patches(2, 1, split=split, whiten=whiten, return_images=True)
    image_variances = [image.var() for image in images]
    assert np.mean(image_variances) == pytest.approx(0.1, rel=1e-12)
    if whiten:
        # One scale for the split, not one per image, so whitened images keep
        # their different contrasts: measured max/min variance 13.4 for train
        # and all (camera 0.03, grass 0.33), 1.8 for test (coffee, rocket).
        # Raw images are z-scored first, so there they all end at 0.1.
        assert max(image_variances) > 1.5 * min(image_variances)
    assert max(abs(image.mean()) for image in images) < 1e-10


@needs_skimage
@pytest.mark.parametrize("split", ["train", "test"])
def test_whitening_flattens_the_power_spectrum(split):
    # Measured slopes: whitened -0.86 (train) / -0.14 (test); raw -2.52 / -2.10.
    whitened = load_natural_patches(16, 4000, split=split, whiten=True, random_state=0)
    raw = load_natural_patches(16, 4000, split=split, whiten=False, random_state=0)
    whitened_slope = _radial_spectrum_slope(whitened, 16)
    raw_slope = _radial_spectrum_slope(raw, 16)
    assert raw_slope < -1.8
    assert whitened_slope > -1.2
    assert whitened_slope - raw_slope > 1.2


def test_whitening_filter_gain_is_isotropic_in_cycles_per_pixel():
    # A cosine is an eigenfunction of the filter: it comes back scaled by
    # ρ·exp(−(ρ/0.4)⁴).  The non-square grid catches index-unit frequencies
    # (anisotropic), and the high frequency catches a wrong cut-off.
    n_rows, n_cols = 48, 80
    row, col = np.meshgrid(np.arange(n_rows), np.arange(n_cols), indexing="ij")
    for row_frequency, col_frequency in [(6 / 48, 0.0), (0.0, 10 / 80), (12 / 48, 20 / 80), (18 / 48, 0.0)]:
        cosine = np.cos(2 * np.pi * (row_frequency * row + col_frequency * col))
        radial_frequency = np.hypot(row_frequency, col_frequency)
        expected_gain = radial_frequency * np.exp(-((radial_frequency / 0.4) ** 4))
        np.testing.assert_allclose(_whiten(cosine), expected_gain * cosine, atol=1e-12)


def test_crop_positions_are_uniform_over_all_valid_positions():
    image_shapes = [(20, 20), (10, 40), (5, 5)]
    patch_size = 4
    n_positions = np.array([17 * 17, 7 * 37, 2 * 2])
    n_draws = 200_000
    image_index, top_row, left_col = _sample_crop_positions(image_shapes, patch_size, n_draws, np.random.default_rng(0))
    counts = np.bincount(image_index, minlength=3)
    expected = n_draws * n_positions / n_positions.sum()
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    for index, (n_rows, n_cols) in enumerate(image_shapes):
        mine = image_index == index
        # every valid corner is reachable, and no crop runs off the image
        assert top_row[mine].min() == 0 and top_row[mine].max() == n_rows - patch_size
        assert left_col[mine].min() == 0 and left_col[mine].max() == n_cols - patch_size
    # the smallest image's 4 positions are equally likely
    smallest = image_index == 2
    corner_counts = np.bincount(top_row[smallest] * 2 + left_col[smallest], minlength=4)
    assert np.all(np.abs(corner_counts - expected[2] / 4) < 5 * np.sqrt(expected[2] / 4))


@needs_skimage
def test_patches_are_mean_removed_row_major_crops_of_the_images():
    patch_size, n_patches, seed = 6, 50, 11
    patches, images = load_natural_patches(patch_size, n_patches, split="all", random_state=seed, return_images=True)
    image_index, top_row, left_col = _sample_crop_positions(
        [image.shape for image in images], patch_size, n_patches, check_random_generator(seed)
    )
    assert len(set(image_index.tolist())) > 5  # the draw covers many images
    for patch, index, row, col in zip(patches, image_index, top_row, left_col, strict=True):
        crop = images[index][row : row + patch_size, col : col + patch_size]
        np.testing.assert_allclose(patch, (crop - crop.mean()).ravel(order="C"), atol=1e-12)


@needs_skimage
def test_splits_hold_the_documented_images_and_do_not_overlap():
    _patches, train_images = load_natural_patches(2, 1, split="train", return_images=True)
    _patches, test_images = load_natural_patches(2, 1, split="test", return_images=True)
    _patches, all_images = load_natural_patches(2, 1, split="all", return_images=True)
    assert [image.shape for image in train_images] == TRAIN_SHAPES
    assert [image.shape for image in test_images] == TEST_SHAPES
    # "all" is train + test in the documented order (a per-split scale apart)
    all_order = [0, 1, 2, 3, None, 4, None, 5, 6, 7, 8, 9]
    test_iter = iter(test_images)
    for image, train_position in zip(all_images, all_order, strict=True):
        source = next(test_iter) if train_position is None else train_images[train_position]
        assert _correlation(image, source) > 1 - 1e-12
    # rocket shares its shape with china and flower: compare contents
    for test_image in test_images:
        for train_image in train_images:
            if train_image.shape == test_image.shape:
                assert abs(_correlation(test_image, train_image)) < 0.5


@needs_skimage
def test_test_split_is_coffee_and_rocket():
    from skimage import data
    from skimage.color import rgb2gray

    _patches, test_images = load_natural_patches(2, 1, split="test", whiten=False, return_images=True)
    for image, reference in zip(test_images, [data.coffee(), data.rocket()], strict=True):
        assert _correlation(image, rgb2gray(reference)) > 1 - 1e-12


@needs_skimage
def test_returned_arrays_are_copies_not_the_cache():
    patches, images = load_natural_patches(8, 20, split="test", random_state=0, return_images=True)
    reference_patches = patches.copy()
    reference_image = images[0].copy()
    patches[:] = 0.0
    images[0][:] = 0.0
    patches_again, images_again = load_natural_patches(8, 20, split="test", random_state=0, return_images=True)
    np.testing.assert_array_equal(patches_again, reference_patches)
    np.testing.assert_array_equal(images_again[0], reference_image)


@needs_skimage
def test_largest_patch_size_of_the_test_split():
    # the test split's shortest side is coffee's 400 rows
    assert load_natural_patches(400, 2, split="test").shape == (2, 400 * 400)


@needs_skimage
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"patch_size": 1}, ValueError, "patch_size must be at least 2"),
        ({"patch_size": 301}, ValueError, "patch_size must be at most 300"),
        ({"patch_size": 401, "split": "test"}, ValueError, "patch_size must be at most 400"),
        ({"patch_size": 16.0}, TypeError, "patch_size must be an int"),
        ({"patch_size": True}, TypeError, "patch_size must be an int"),
        ({"n_patches": 0}, ValueError, "n_patches must be at least 1"),
        ({"n_patches": 10.5}, TypeError, "n_patches must be an int"),
        ({"split": "validation"}, ValueError, "split must be one of"),
        ({"split": ["train"]}, ValueError, "split must be one of"),
        ({"random_state": -1}, ValueError, "random_state"),
        ({"random_state": "seed"}, TypeError, "random_state"),
    ],
)
def test_bad_arguments_are_rejected_with_the_argument_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_natural_patches(**{"n_patches": 5, **kwargs})


def test_missing_scikit_image_names_the_extra(monkeypatch):
    if importlib.util.find_spec("skimage") is not None:
        load_natural_patches(8, 5)  # with a warm cache the check must still run
    monkeypatch.setitem(sys.modules, "skimage", None)
    expected = "load_natural_patches needs scikit-image: pip install 'sigrec[images]'"
    with pytest.raises(ImportError, match=re.escape(expected)):
        load_natural_patches(8, 5)
