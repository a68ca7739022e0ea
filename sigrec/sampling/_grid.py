"""The sampling grid: which elements can be acquired and how they are measured.

Conventions shared by the learned sampler, the fixed masks and the data sets:

- A signal is a 1-D vector of ``N`` samples or an image of ``image_shape``
  ``(H, W)`` stored flattened (row-major), as scikit-learn stores images.
- ``domain="fourier"`` measures the orthonormal DFT (``norm="ortho"``) of
  the signal, ``fft`` for vectors and ``fft2`` for images; bins are kept in
  **unshifted** FFT order and indexed by their flat position on that grid.
  Use :func:`numpy.fft.fftshift` for plots. ``domain="identity"`` measures
  the samples themselves (pixels, channels, pulses).
- For real signals bin ``k`` and bin ``-k mod N`` carry the same
  information. ``candidates="half"`` keeps one representative of each
  conjugate pair (the one with the smaller flat index): ``N // 2 + 1`` bins
  in 1-D, ``(H·W + s) / 2`` in 2-D with ``s`` self-conjugate bins.
  ``candidates="full"`` keeps every bin; it is the only choice for complex
  signals. The identity domain always uses every sample.

Everything here is numpy; :mod:`sigrec.sampling._torch_model` mirrors the
forward transform in torch.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

__all__ = [
    "signal_shape",
    "conjugate_indices",
    "candidate_indices",
    "frequency_radius",
    "measure",
    "real_features",
    "count_conjugate_duplicates",
]

DOMAINS = ("fourier", "identity")
CANDIDATES = ("half", "full")


def signal_shape(n_features, image_shape=None):
    """The grid shape of one signal: ``(n_features,)`` or a checked ``image_shape``.

    Raises
    ------
    ValueError
        If `image_shape` is not two positive integers whose product is `n_features`.
    """
    n_features = int(n_features)
    if image_shape is None:
        return (n_features,)
    try:
        shape = tuple(int(size) for size in image_shape)
        valid = len(shape) == 2 and all(isinstance(s, Integral) for s in image_shape) and min(shape) > 0
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(f"image_shape must be two positive integers (H, W); got {image_shape!r}.")
    if shape[0] * shape[1] != n_features:
        raise ValueError(
            f"image_shape {shape} has {shape[0] * shape[1]} pixels but X has {n_features} features per "
            "sample; image_shape must multiply out to n_features."
        )
    return shape


def conjugate_indices(shape):
    """Flat index of each bin's conjugate partner ``-k mod shape``; shape ``(prod(shape),)``."""
    grids = np.meshgrid(*[(-np.arange(n)) % n for n in shape], indexing="ij")
    return np.ravel_multi_index(tuple(grids), shape).ravel()


def candidate_indices(shape, candidates="half", domain="fourier"):
    """Sorted flat indices of the elements a mask may select.

    Parameters
    ----------
    shape : tuple of int
        ``(N,)`` or ``(H, W)``.
    candidates : {"half", "full"}
        One representative per conjugate pair, or every bin (see module doc).
    domain : {"fourier", "identity"}
        The identity domain always returns every index.

    Returns
    -------
    ndarray of int, shape (n_candidates,)
    """
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}; got {domain!r}.")
    if candidates not in CANDIDATES:
        raise ValueError(f"candidates must be one of {CANDIDATES}; got {candidates!r}.")
    size = int(np.prod(shape))
    if domain == "identity" or candidates == "full":
        return np.arange(size)
    flat = np.arange(size)
    return flat[flat <= conjugate_indices(shape)]


def frequency_radius(shape):
    """Normalised frequency magnitude of each bin (cycles/sample, 0 … 0.5√d), flat, unshifted order."""
    grids = np.meshgrid(*[np.fft.fftfreq(n) for n in shape], indexing="ij")
    return np.sqrt(sum(grid**2 for grid in grids)).ravel()


def measure(X, shape, domain="fourier"):
    """All candidate-grid measurements of each signal.

    Parameters
    ----------
    X : ndarray, shape (n_samples, prod(shape))
        Real or complex signals, images flattened row-major.
    shape : tuple of int
    domain : {"fourier", "identity"}

    Returns
    -------
    ndarray, shape (n_samples, prod(shape))
        Orthonormal DFT coefficients (complex) in unshifted flat order, or
        ``X`` itself for the identity domain.
    """
    if domain == "identity":
        return X
    if len(shape) == 1:
        return np.fft.fft(X, axis=-1, norm="ortho")
    images = X.reshape((X.shape[0],) + tuple(shape))
    return np.fft.fft2(images, norm="ortho").reshape(X.shape[0], -1)


def real_features(Z):
    """Stack real and imaginary parts: ``(n, m)`` complex → ``(n, 2m)`` real; real input is returned as is."""
    if np.iscomplexobj(Z):
        return np.concatenate([Z.real, Z.imag], axis=-1)
    return Z


def count_conjugate_duplicates(support, shape):
    """How many selected bins also have their (distinct) conjugate partner selected (pairs, not bins)."""
    support = np.unique(np.asarray(support, dtype=int))
    partners = conjugate_indices(shape)[support]
    distinct = partners != support
    return int(np.sum(np.isin(partners[distinct], support)) // 2)
