"""Baselines for ℓq sparse coding: scikit-learn's encoders behind one signature.

Each function maps signals ``X`` (n_samples, n_features) and a dictionary
(n_components, n_features) to codes (n_samples, n_components), so the
experiments and benchmarks can loop over methods uniformly.
"""

from __future__ import annotations

import numpy as np

from sigrec._validation import check_array
from sigrec.coding._estimators import check_dictionary

__all__ = ["omp_encode", "sklearn_lasso_encode"]


def omp_encode(X, dictionary, n_nonzero_coefs):
    """Orthogonal matching pursuit with a fixed number of atoms (scikit-learn).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    dictionary : array-like of shape (n_components, n_features)
    n_nonzero_coefs : int
        Atoms per sample (1 ≤ k ≤ n_features).

    Returns
    -------
    codes : ndarray of shape (n_samples, n_components)
    """
    from sklearn.linear_model import orthogonal_mp_gram

    dictionary = check_dictionary(dictionary)
    X = check_array(X, name="X")
    if not 1 <= int(n_nonzero_coefs) <= dictionary.shape[1]:
        raise ValueError(f"n_nonzero_coefs must be in [1, {dictionary.shape[1]}], got {n_nonzero_coefs}")
    gram = dictionary @ dictionary.T
    codes = orthogonal_mp_gram(gram, dictionary @ X.T, n_nonzero_coefs=int(n_nonzero_coefs), copy_Xy=False)
    return np.asarray(codes).reshape(dictionary.shape[0], -1).T


def sklearn_lasso_encode(X, dictionary, alpha, *, algorithm="lasso_cd", max_iter=1000):
    """ℓ1 codes from scikit-learn's ``SparseCoder`` (same objective as sigrec's ℓ1).

    scikit-learn's ``transform_alpha`` is α on ½‖x − Dᵀc‖² + α‖c‖₁ (it divides
    by n_features internally), so α here equals sigrec's α for ``penalty="l1"``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    dictionary : array-like of shape (n_components, n_features)
    alpha : float
    algorithm : {"lasso_cd", "lasso_lars"}, default="lasso_cd"
    max_iter : int, default=1000

    Returns
    -------
    codes : ndarray of shape (n_samples, n_components)
    """
    from sklearn.decomposition import SparseCoder

    dictionary = check_dictionary(dictionary)
    X = check_array(X, name="X")
    if algorithm not in ("lasso_cd", "lasso_lars"):
        raise ValueError(f"algorithm must be 'lasso_cd' or 'lasso_lars', got {algorithm!r}")
    coder = SparseCoder(dictionary, transform_algorithm=algorithm, transform_alpha=alpha, transform_max_iter=max_iter)
    return coder.transform(X)
