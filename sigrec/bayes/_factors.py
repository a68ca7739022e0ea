"""Kronecker factors from the inputs sigrec.bayes accepts."""

from __future__ import annotations

import numpy as np

from sigrec._validation import check_array
from sigrec.operators import KroneckerOperator, LinearOperator, MatrixOperator

__all__ = ["as_factors"]


def _dense_factor(factor, index):
    if isinstance(factor, MatrixOperator):
        return factor.matrix
    if isinstance(factor, LinearOperator) or (
        not isinstance(factor, np.ndarray) and all(hasattr(factor, name) for name in ("shape", "dtype", "__matmul__"))
    ):
        size = int(factor.shape[1])
        dense = np.asarray(factor @ np.eye(size, dtype=np.result_type(factor.dtype, np.float64)))
        return check_array(dense, name=f"factor {index}", allow_complex=True)
    return check_array(factor, name=f"factor {index}", allow_complex=True)


def as_factors(X):
    """Kronecker factors ``[A_1, …, A_I]`` as dense float64/complex128 arrays.

    Parameters
    ----------
    X : KroneckerOperator, sequence of 2-D array-like, or 2-D ndarray
        A :class:`~sigrec.operators.KroneckerOperator` (its factors are
        densified: they are small), a list or tuple of factor matrices, or a
        single 2-D array, which is a one-mode problem.

    Returns
    -------
    list of ndarray
        One ``(M_i, N_i)`` array per mode (validated: finite, 2-D, non-empty).
    """
    if isinstance(X, KroneckerOperator):
        return [_dense_factor(factor, index) for index, factor in enumerate(X.factors)]
    if isinstance(X, (list, tuple)) and len(X) and all(np.ndim(element) < 2 for element in X):
        return [check_array(X, name="X", allow_complex=True)]  # nested rows: one 2-D matrix
    if isinstance(X, (list, tuple)):
        if len(X) == 0:
            raise ValueError("factors must contain at least one factor matrix.")
        return [_dense_factor(factor, index) for index, factor in enumerate(X)]
    if isinstance(X, LinearOperator):
        return [_dense_factor(X, 0)]
    return [check_array(X, name="X", allow_complex=True)]
