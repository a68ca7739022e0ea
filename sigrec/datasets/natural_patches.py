"""Whitened natural-image patches from the sample images scikit-learn and scikit-image ship.

The ℓq sparse-coding paper trains on van Hateren images, which cannot be
fetched offline.  This module rebuilds its preprocessing on twelve natural
images that are installed with scikit-learn and scikit-image, so benchmarks
and tests run without a network and give the same patches on every machine.

Only numpy and the standard library are imported at module level: scikit-image
and scikit-learn are imported inside the functions that need them, so that
``import sigrec.datasets`` stays cheap.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

__all__ = ["load_natural_patches"]

# Names as understood by _load_rgb_or_gray.  Every file is shipped inside the
# installed scikit-learn / scikit-image packages (checked with scikit-image
# 0.26): none of these loaders goes through pooch or the network.
_TEST_IMAGES = ("coffee", "rocket")
_TRAIN_IMAGES = (
    "china",
    "flower",
    "camera",
    "astronaut",
    "chelsea",
    "grass",
    "gravel",
    "brick",
    "moon",
    "motorcycle_left",
)
_ALL_IMAGES = (
    "china",
    "flower",
    "camera",
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "grass",
    "gravel",
    "brick",
    "moon",
    "motorcycle_left",
)
_SPLITS = {"train": _TRAIN_IMAGES, "test": _TEST_IMAGES, "all": _ALL_IMAGES}

# Olshausen & Field (1997) whitening/low-pass cut-off, in cycles per pixel
# (0.8 of Nyquist).  The paper's code used frequency-index units, which is
# anisotropic on non-square images; cycles per pixel is not.
WHITENING_CUTOFF = 0.4
# The paper's λ values assume this average pixel variance after whitening.
TARGET_PIXEL_VARIANCE = 0.1

_SKIMAGE_MISSING = "load_natural_patches needs scikit-image: pip install 'sigrec[images]'"


def _require_skimage():
    try:
        import skimage  # noqa: F401
    except ImportError:
        raise ImportError(_SKIMAGE_MISSING) from None


def _load_rgb_or_gray(name):
    """Return the shipped image ``name`` as a uint8 array, 2-D or (H, W, 3)."""
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    from skimage import data

    if name == "motorcycle_left":
        left_image, _right_image, _disparity = data.stereo_motorcycle()
        return left_image
    return getattr(data, name)()


def _grayscale_unit_range(image):
    """Luminance in float64, min-max rescaled to [0, 1]."""
    from skimage.color import rgb2gray

    gray = rgb2gray(image) if image.ndim == 3 else image.astype(np.float64)
    gray = np.asarray(gray, dtype=np.float64)
    return (gray - gray.min()) / (gray.max() - gray.min())


def _zscore(image):
    return (image - image.mean()) / image.std()


def _whitening_filter(shape, cutoff=WHITENING_CUTOFF):
    """The Olshausen–Field filter ρ·exp(−(ρ/f0)⁴) on the grid of ``np.fft.fft2``.

    ρ is the radial frequency in cycles per pixel, built from ``fftfreq`` on
    each axis so that the filter is isotropic on non-square images.
    """
    n_rows, n_cols = shape
    row_frequency = np.fft.fftfreq(n_rows)[:, None]
    col_frequency = np.fft.fftfreq(n_cols)[None, :]
    radial_frequency = np.hypot(row_frequency, col_frequency)
    return radial_frequency * np.exp(-((radial_frequency / cutoff) ** 4))


def _whiten(image, cutoff=WHITENING_CUTOFF):
    spectrum = np.fft.fft2(image) * _whitening_filter(image.shape, cutoff)
    # The filter is real and even, so the imaginary part is rounding noise.
    return np.fft.ifft2(spectrum).real


@functools.lru_cache(maxsize=6)  # 3 splits x whiten on/off
def _preprocessed_images(split, whiten):
    """Preprocessed images of ``split`` as a tuple of read-only float64 arrays.

    Cached: callers must copy before handing anything to the user.
    """
    images = []
    for name in _SPLITS[split]:
        image = _zscore(_grayscale_unit_range(_load_rgb_or_gray(name)))
        if whiten:
            image = _whiten(image)
        images.append(image)
    # One scale for the whole split (not per image) keeps the relative
    # contrast of the images, as the paper's global rescale does.
    mean_pixel_variance = np.mean([image.var() for image in images])
    scale = np.sqrt(TARGET_PIXEL_VARIANCE / mean_pixel_variance)
    scaled_images = []
    for image in images:
        image = image * scale
        image.flags.writeable = False  # a shared cached array must never be modified
        scaled_images.append(image)
    return tuple(scaled_images)


def _sample_crop_positions(image_shapes, patch_size, n_patches, rng):
    """Draw crop corners uniformly over every valid position of every image.

    Returns ``(image_index, top_row, left_col)``, three int arrays of length
    ``n_patches``.  A single integer over the concatenated positions of all
    images is drawn per patch, so an image is chosen with probability
    proportional to its number of valid positions and every position of
    every image is equally likely.
    """
    positions_per_row = np.array([n_cols - patch_size + 1 for _, n_cols in image_shapes])
    n_positions = np.array([(n_rows - patch_size + 1) * (n_cols - patch_size + 1) for n_rows, n_cols in image_shapes])
    first_position = np.concatenate(([0], np.cumsum(n_positions)))
    flat_position = rng.integers(0, first_position[-1], size=n_patches)
    image_index = np.searchsorted(first_position, flat_position, side="right") - 1
    top_row, left_col = np.divmod(flat_position - first_position[image_index], positions_per_row[image_index])
    return image_index, top_row, left_col


def _check_int(value, name, minimum):
    # InvalidParameterError subclasses both ValueError and TypeError, as in
    # scikit-learn, so callers may catch either for a non-int argument.
    from sigrec._validation import InvalidParameterError

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(f"{name} must be an int, got {type(value).__name__} ({value!r}).")
    if value < minimum:
        raise InvalidParameterError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


def load_natural_patches(
    patch_size=16,
    n_patches=10_000,
    *,
    whiten=True,
    split="train",
    random_state=0,
    return_images=False,
):
    """Random, mean-removed patches of whitened natural images (no download).

    A stand-in for the van Hateren patches of Olshausen & Field (1997) and of
    the ℓq sparse-coding paper, built from twelve natural images shipped with
    scikit-learn and scikit-image, with the same preprocessing and scale.

    **Images** (12, split by image so that no test pixel is seen in training):

    - ``split="train"`` (10): scikit-learn ``china.jpg`` and ``flower.jpg``
      (:func:`sklearn.datasets.load_sample_images`), scikit-image
      ``camera``, ``astronaut``, ``chelsea``, ``grass``, ``gravel``,
      ``brick``, ``moon`` and the left image of ``stereo_motorcycle``;
    - ``split="test"`` (2): scikit-image ``coffee`` (400×600) and
      ``rocket`` (427×640);
    - ``split="all"``: the 12 images, in the order china, flower, camera,
      astronaut, coffee, chelsea, rocket, grass, gravel, brick, moon,
      motorcycle-left.

    **Preprocessing**, per image, then per split:

    1. grayscale float64 (RGB → luminance with
       :func:`skimage.color.rgb2gray`: 0.2125 R + 0.7154 G + 0.0721 B);
    2. min-max rescale to [0, 1], then z-score (zero mean, unit variance);
    3. if ``whiten``: multiply the 2-D FFT by the Olshausen–Field filter
       ρ·exp(−(ρ/f0)⁴), with ρ the radial frequency in cycles/pixel
       (isotropic on non-square images) and f0 = 0.4 cycles/pixel, and keep
       the real part of the inverse FFT (periodic boundary).  This flattens
       the ~1/ρ² power spectrum of natural images below f0 and suppresses
       the noisy corners of the spectrum above it;
    4. one scale factor for the whole split such that the *average* of the
       per-image pixel variances is 0.1, the scale the paper's λ values assume.
       The factor is computed on the requested split alone, so the same image
       differs by a constant factor between, e.g., ``"test"`` and ``"all"``.

    **Patches**: ``patch_size × patch_size`` crops at positions drawn
    uniformly over all valid positions of all images of the split (an image is
    chosen with probability proportional to its number of valid positions);
    each patch's own mean is subtracted and it is flattened in C order
    (row-major) into one row.  With ``whiten=True`` and 16×16 patches the
    pixel variance of the patches is about 0.09, a little below 0.1 because
    the patch means are removed (measured on 100 000 patches: 0.096 train,
    0.089 test; 10 000 patches vary by about ±0.003 with the seed).  The
    per-image variances differ a lot after step 4 (from 0.03 for ``camera``
    to 0.35 for ``grass``): the textures ``grass``, ``gravel`` and ``brick``
    keep most high-frequency energy and contribute most of the variance.

    Preprocessed images are cached per ``(split, whiten)`` in memory, so only
    the first call of a session pays for imports, loading and filtering (about 2 s);
    later calls only draw patches.

    Parameters
    ----------
    patch_size : int, default=16
        Side of the square patches, in pixels; at least 2 and at most the
        shortest image side of the split (300 for ``"train"`` and ``"all"``,
        400 for ``"test"``).
    n_patches : int, default=10_000
        Number of patches (rows) to return; at least 1.
    whiten : bool, default=True
        Apply the whitening filter of step 3.  With ``False`` the patches keep
        the natural ~1/ρ² spectrum (still z-scored and scaled to variance 0.1
        per image), so their within-patch variance is much smaller.
    split : {"train", "test", "all"}, default="train"
        Which images to crop from (see above).
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState, default=0
        Seed of the crop positions (see
        :func:`sigrec._validation.check_random_generator`).  An int gives the
        same patches on every call; a Generator is advanced.
    return_images : bool, default=False
        Also return (copies of) the preprocessed images, e.g. for plotting.

    Returns
    -------
    patches : ndarray of shape (n_patches, patch_size**2), float64
        One mean-removed patch per row, in the dimensionless units of step 4
        (average image pixel variance 0.1).
    images : list of ndarray of shape (height, width), float64
        Only when ``return_images=True``: the preprocessed images of the
        split, in the order listed above.

    Raises
    ------
    ImportError
        When scikit-image is not installed.
    sklearn.utils._param_validation.InvalidParameterError
        A subclass of both ``ValueError`` and ``TypeError``, naming the
        argument: an unknown ``split``, a non-int ``patch_size`` or
        ``n_patches``, ``n_patches < 1``, or a ``patch_size`` below 2 or above
        the shortest image side.
    ValueError, TypeError
        For an invalid ``random_state``.

    Examples
    --------
    >>> from sigrec.datasets import load_natural_patches
    >>> patches = load_natural_patches(16, 1000, random_state=0)
    >>> patches.shape
    (1000, 256)
    """
    _require_skimage()
    from sigrec._validation import InvalidParameterError, check_random_generator

    if not isinstance(split, str) or split not in _SPLITS:
        raise InvalidParameterError(f"split must be one of {sorted(_SPLITS)}, got {split!r}.")
    patch_size = _check_int(patch_size, "patch_size", 2)
    n_patches = _check_int(n_patches, "n_patches", 1)
    rng = check_random_generator(random_state)

    images = _preprocessed_images(split, bool(whiten))
    image_shapes = [image.shape for image in images]
    shortest_side = min(min(shape) for shape in image_shapes)
    if patch_size > shortest_side:
        raise InvalidParameterError(
            f"patch_size must be at most {shortest_side}, the shortest image side in split {split!r}; got {patch_size}."
        )

    image_index, top_row, left_col = _sample_crop_positions(image_shapes, patch_size, n_patches, rng)
    offsets = np.arange(patch_size)
    # Fancy indexing copies, so the cached images are never exposed.
    patches = np.empty((n_patches, patch_size, patch_size))
    for index, image in enumerate(images):
        selected = np.flatnonzero(image_index == index)
        rows = top_row[selected][:, None, None] + offsets[None, :, None]
        cols = left_col[selected][:, None, None] + offsets[None, None, :]
        patches[selected] = image[rows, cols]
    patches -= patches.mean(axis=(1, 2), keepdims=True)
    patches = patches.reshape(n_patches, patch_size * patch_size)

    if return_images:
        return patches, [np.array(image) for image in images]
    return patches
