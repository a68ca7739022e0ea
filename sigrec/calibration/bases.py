"""Subspace priors: low-frequency cosine bases for smooth gain fields and signals."""

from __future__ import annotations

import numpy as np

__all__ = ["dct_basis", "orthonormal_basis"]


def _dct_columns(length, n_columns):
    grid = (np.arange(length) + 0.5) / length
    columns = np.cos(np.pi * np.outer(grid, np.arange(n_columns)))
    return columns / np.linalg.norm(columns, axis=0)


def dct_basis(shape, n_atoms):
    """Orthonormal DCT-II atoms of lowest frequency, the constant first.

    Parameters
    ----------
    shape : int or tuple of two ints
        Length of a 1-D sensor line, or ``(rows, cols)`` of a 2-D sensor
        grid flattened in C order.
    n_atoms : int
        Number of atoms ``h``. In 2-D, atoms are taken by increasing total
        frequency ``i + j`` (ties by ``i``), the usual model of smooth
        vignetting.

    Returns
    -------
    ndarray of shape (prod(shape), n_atoms)
        Orthonormal columns; the first is constant, so it spans the mean-one
        direction the gain normalisation needs.
    """
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    size = int(np.prod(shape))
    if not 1 <= n_atoms <= size:
        raise ValueError(f"n_atoms must be between 1 and {size} for shape {shape}, got {n_atoms}.")
    if len(shape) == 1:
        return _dct_columns(shape[0], n_atoms)
    if len(shape) != 2:
        raise ValueError(f"shape must be an int or a pair, got {shape}.")
    rows, cols = _dct_columns(shape[0], shape[0]), _dct_columns(shape[1], shape[1])
    order = sorted((i + j, i, j) for i in range(shape[0]) for j in range(shape[1]))[:n_atoms]
    return np.stack([np.outer(rows[:, i], cols[:, j]).ravel() for _, i, j in order], axis=1)


def orthonormal_basis(basis, *, name="basis"):
    """Orthonormal columns spanning ``basis`` (thin QR), with a rank check.

    Raises
    ------
    ValueError
        If ``basis`` is not 2-D, has more columns than rows, or is rank deficient.
    """
    basis = np.asarray(basis, dtype=float)
    if basis.ndim != 2 or basis.shape[1] == 0:
        raise ValueError(f"{name} must be a 2-D array with at least one column, got shape {basis.shape}.")
    if not np.all(np.isfinite(basis)):
        raise ValueError(f"{name} contains NaN or infinity.")
    if basis.shape[1] > basis.shape[0]:
        raise ValueError(f"{name} has more columns ({basis.shape[1]}) than rows ({basis.shape[0]}).")
    q, r = np.linalg.qr(basis)
    diagonal = np.abs(np.diag(r))
    if diagonal.min() <= 1e-10 * diagonal.max():
        raise ValueError(f"{name} has linearly dependent columns.")
    return q
