"""Sparse regression on random supports: ill-conditioned designs with known population covariance.

Rows are i.i.d. Gaussian, so the population covariance Σ is known exactly
and the out-of-sample error ``(ŵ − w*)ᵀ Σ (ŵ − w*)`` needs no test set.
Σ is returned as a matrix-free operator (O(d·rank) or O(d) per product), so
d = 10 000 costs no 800 MB matrix.  Recipes follow
``research/slr_random_supports.md`` §5.
"""

from __future__ import annotations

import numpy as np

from sigrec._validation import check_random_generator
from sigrec.datasets._checks import check_int, check_real
from sigrec.operators import LinearOperator

__all__ = ["make_sparse_regression", "PopulationCovariance", "DESIGNS", "SIGNALS"]

DESIGNS = (
    "iid",
    "one_factor",
    "heterogeneous_factor",
    "block_factors",
    "two_scale",
    "two_scale_extreme",
    "random_walk",
    "ar1",
    "near_duplicate_pairs",
)
SIGNALS = ("random", "cancel", "worst")

_N_BLOCKS = 5


class PopulationCovariance(LinearOperator):
    """Population covariance of a :func:`make_sparse_regression` design, matrix-free.

    Symmetric positive (semi-)definite d×d operator: ``cov @ v``,
    :meth:`quadratic` and :meth:`toarray` (dense, for small d only).

    Parameters
    ----------
    kind : {"low_rank_plus_diagonal", "random_walk", "ar1", "pairs"}
    n_features : int
    loadings : ndarray of shape (d, r), optional
        ``low_rank_plus_diagonal``: Σ = loadings loadingsᵀ + diagonal·I.
    diagonal : float, optional
    rho : float, optional
        AR(1) correlation.
    pair_noise : float, optional
        Near-duplicate pairs: the second column of each pair adds
        ``pair_noise`` times an independent Gaussian.
    """

    def __init__(self, kind, n_features, *, loadings=None, diagonal=0.0, rho=0.0, pair_noise=0.0):
        super().__init__((n_features, n_features), np.float64)
        self.kind = kind
        self.loadings = loadings
        self.diagonal = float(diagonal)
        self.rho = float(rho)
        self.pair_noise = float(pair_noise)

    def _matmat(self, block):
        block = np.asarray(block, dtype=float)
        if self.kind == "low_rank_plus_diagonal":
            out = self.diagonal * block
            if self.loadings is not None and self.loadings.shape[1]:
                out = out + self.loadings @ (self.loadings.T @ block)
            return out
        if self.kind == "random_walk":
            # Σ = D^{-1/2} M D^{-1/2}, M_ij = min(i, j) + 1 = (L Lᵀ)_ij with L lower-triangular ones.
            scale = 1.0 / np.sqrt(np.arange(1, self.shape[0] + 1))[:, None]
            inner = np.cumsum((scale * block)[::-1], axis=0)[::-1]
            return scale * np.cumsum(inner, axis=0)
        if self.kind == "ar1":
            # Σ_ij = ρ^|i−j|: a forward and a backward first-order recursion.
            forward, backward = np.array(block, copy=True), np.array(block, copy=True)
            for i in range(1, block.shape[0]):
                forward[i] += self.rho * forward[i - 1]
            for i in range(block.shape[0] - 2, -1, -1):
                backward[i] += self.rho * backward[i + 1]
            return forward + backward - block
        if self.kind == "pairs":
            # Blocks [[1, 1], [1, 1 + ε²]] on consecutive columns (2i, 2i+1); a trailing odd column has variance 1.
            out = np.array(block, copy=True)
            even, odd = block[0::2][: block.shape[0] // 2], block[1::2]
            out[0::2][: odd.shape[0]] += odd
            out[1::2] += even + self.pair_noise**2 * odd
            return out
        raise ValueError(f"unknown covariance kind {self.kind!r}")

    def _rmatmat(self, block):
        return self._matmat(block)

    def quadratic(self, vector):
        """``vᵀ Σ v`` for a vector v of length d (the out-of-sample excess error of ``w + v``)."""
        vector = np.asarray(vector, dtype=float)
        return float(vector @ (self @ vector))


def _check_choice(name, value, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}.")


def _design(design, rng, n, d):
    """Sample X (n×d), its population covariance and the factor loadings (d×r) for 'cancel'."""
    gaussian = rng.standard_normal((n, d))
    if design == "iid":
        return gaussian, PopulationCovariance("low_rank_plus_diagonal", d, diagonal=1.0), None
    if design in ("one_factor", "heterogeneous_factor"):
        delta = 0.05
        loadings = np.ones((d, 1)) if design == "one_factor" else rng.uniform(0.5, 1.5, (d, 1))
        X = rng.standard_normal((n, 1)) @ loadings.T + delta * gaussian
        return X, PopulationCovariance("low_rank_plus_diagonal", d, loadings=loadings, diagonal=delta**2), loadings
    if design == "block_factors":
        delta = 0.05
        loadings = np.zeros((d, _N_BLOCKS))
        loadings[np.arange(d), np.arange(d) % _N_BLOCKS] = 1.0
        X = rng.standard_normal((n, _N_BLOCKS)) @ loadings.T + delta * gaussian
        return X, PopulationCovariance("low_rank_plus_diagonal", d, loadings=loadings, diagonal=delta**2), loadings
    if design in ("two_scale", "two_scale_extreme"):
        coarse, fine = (0.1, 0.01) if design == "two_scale" else (1e-3, 1e-6)
        blocks = np.zeros((d, _N_BLOCKS))
        blocks[np.arange(d), np.arange(d) % _N_BLOCKS] = 1.0
        factors = rng.standard_normal((n, 1 + _N_BLOCKS))
        X = factors[:, :1] @ np.ones((1, d)) + coarse * factors[:, 1:] @ blocks.T + fine * gaussian
        loadings = np.hstack([np.ones((d, 1)), coarse * blocks])
        return X, PopulationCovariance("low_rank_plus_diagonal", d, loadings=loadings, diagonal=fine**2), loadings
    if design == "random_walk":
        X = np.cumsum(gaussian, axis=1) / np.sqrt(np.arange(1, d + 1))
        return X, PopulationCovariance("random_walk", d), None
    if design == "ar1":
        rho = 0.9
        X = np.empty((n, d))
        X[:, 0] = gaussian[:, 0]
        for j in range(1, d):
            X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * gaussian[:, j]
        return X, PopulationCovariance("ar1", d, rho=rho), None
    # near_duplicate_pairs: column 2i is g_i, column 2i+1 is g_i + 0.01 h_i.
    epsilon = 0.01
    X = np.empty((n, d))
    base = gaussian[:, : (d + 1) // 2]
    X[:, 0::2] = base
    X[:, 1::2] = base[:, : d // 2] + epsilon * rng.standard_normal((n, d // 2))
    return X, PopulationCovariance("pairs", d, pair_noise=epsilon), None


def _coefficients(signal, X, support, loadings, rng):
    k = support.size
    if signal == "random":
        return rng.standard_normal(k)
    if signal == "cancel":
        if loadings is None:
            raise ValueError("signal='cancel' needs a factor design (one_factor, heterogeneous_factor, "
                             "block_factors, two_scale, two_scale_extreme).")
        basis = np.linalg.svd(loadings[support], full_matrices=False)[0]
        basis = basis[:, : np.linalg.matrix_rank(loadings[support])]
        for _ in range(100):
            values = rng.standard_normal(k)
            values -= basis @ (basis.T @ values)
            if np.linalg.norm(values) > 1e-8:
                return values
        raise ValueError("signal='cancel' is degenerate here: the support's loadings span every direction.")
    # worst: the most cancelling combination of the normalised support columns.
    columns = X[:, support]
    norms = np.linalg.norm(columns, axis=0)
    return np.linalg.svd(columns / norms, full_matrices=False)[2][-1] / norms


def make_sparse_regression(
    design="iid",
    signal="random",
    *,
    n_samples=400,
    n_features=1000,
    n_informative=10,
    noise=0.5,
    support="random",
    random_state=None,
):
    """Sparse linear regression ``y = X w* + σ ε`` with w* on a uniformly random support.

    Parameters
    ----------
    design : str, default="iid"
        One of ``DESIGNS``: ``"iid"`` (Σ = I); ``"one_factor"``
        (X = z1ᵀ + 0.05 G); ``"heterogeneous_factor"`` (loadings U[0.5, 1.5]);
        ``"block_factors"`` (5 block factors, 0.05 G); ``"two_scale"`` (a global
        factor, 5 block factors at 0.1, noise at 0.01); ``"two_scale_extreme"``
        (1e-3 and 1e-6: a float64 stress test); ``"random_walk"``
        (normalised cumulative sums); ``"ar1"`` (ρ = 0.9);
        ``"near_duplicate_pairs"`` (columns 2i+1 = 2i + 0.01 h: the negative control).
    signal : {"random", "cancel", "worst"}, default="random"
        Values on the support: Gaussian; Gaussian with the factor
        components removed (factor designs only); or the smallest right
        singular vector of the normalised support columns (the most
        cancelling combination, where Lasso fails).
    n_samples : int, default=400
        N.
    n_features : int, default=1000
        d.
    n_informative : int, default=10
        k, the support size.
    noise : float, default=0.5
        σ; the signal is scaled so that ``‖X w*‖²/N = 1`` (SNR = 1/σ²).
    support : {"random", "pairs"}, default="random"
        ``"pairs"`` (near_duplicate_pairs only): the support is k/2 complete
        pairs, the adversarial arm of the negative control.
    random_state : int, Generator or None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    coef : ndarray of shape (n_features,)
        w*, k non-zeros.
    covariance : PopulationCovariance
        Σ as a matrix-free (n_features, n_features) operator; the
        out-of-sample excess error of ŵ is ``covariance.quadratic(ŵ − coef)``.
    """
    _check_choice("design", design, DESIGNS)
    _check_choice("signal", signal, SIGNALS)
    _check_choice("support", support, ("random", "pairs"))
    n, d = check_int(n_samples, "n_samples"), check_int(n_features, "n_features")
    k = check_int(n_informative, "n_informative", 1, min(n, d))
    noise = check_real(noise, "noise", 0.0)
    rng = check_random_generator(random_state)
    X, covariance, loadings = _design(design, rng, n, d)
    if support == "pairs":
        if design != "near_duplicate_pairs" or k % 2:
            raise ValueError("support='pairs' needs design='near_duplicate_pairs' and an even n_informative.")
        pairs = rng.choice(d // 2, k // 2, replace=False)
        chosen = np.sort(np.concatenate([2 * pairs, 2 * pairs + 1]))
    else:
        chosen = np.sort(rng.choice(d, k, replace=False))
    coef = np.zeros(d)
    coef[chosen] = _coefficients(signal, X, chosen, loadings, rng)
    coef *= np.sqrt(n) / np.linalg.norm(X @ coef)
    y = X @ coef + noise * rng.standard_normal(n)
    return X, y, coef, covariance
