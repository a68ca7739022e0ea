"""Phase 1: a label-free preconditioner that peels heavy subspaces off the design.

A subspace is *heavy* when a random support of size k̂ is expected to put
more than ``heavy_threshold`` columns' worth of mass in it: ``k̂·λ > c`` for
an eigenvalue λ of the trace-one column second moment ``C = U Uᵀ/(N m)``
(U: the alive normalised columns). Heavy directions become new atoms
``f = √N p`` (coefficient vectors ``a`` with ``X a = f``); every column is
projected off them and renormalised, and the procedure recurses, because
finer structure (block factors under a global factor) becomes heavy once
the coarse scale is gone.

This is the practical reconstruction in ``research/slr_random_supports.md``
§2.4 of Phase 1 of Chandrasekaran, Meka & Stavropoulos (2025), whose body
was not available: PCA with a threshold stands in for the paper's
radial-isotropic-position machinery.

The coefficient map Q (``U = X Q``, d×d) is never formed: it is the product
``Q = (…((D₀⁻¹ − A₁G₁)D₁⁻¹ − A₂G₂)D₂⁻¹ …)`` stored as diagonal scalings and
low-rank pairs (A_ℓ, G_ℓ), applied to a vector in O(d·r) and to new rows in
O(n·d·r).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from sigrec._validation import (
    Interval,
    _fit_context,
    check_is_fitted,
    check_random_generator,
    validate_data,
)

__all__ = ["SubspacePeeling", "default_sparsity_hint"]


def default_sparsity_hint(n_samples, n_features):
    """k̂ = round(N / (2 ln d)), clipped to [2, N/4] (the note's default)."""
    hint = round(n_samples / (2.0 * np.log(max(n_features, 2))))
    return int(np.clip(hint, 2, max(2, n_samples // 4)))


class _Level:
    """One peeling level: ``Q_ℓ = (Q_{ℓ−1} − atoms · loadings) diag(1/scale)``."""

    __slots__ = ("atoms", "loadings", "scale")

    def __init__(self, atoms, loadings, scale):
        self.atoms = atoms  # (d, r): coefficient vectors of the new atoms
        self.loadings = loadings  # (r, d): Vᵀ U / √N before projection
        self.scale = scale  # (d,): residual norms t_j / √N (0 for dropped columns)


class SubspacePeeling(TransformerMixin, BaseEstimator):
    """Label-free preconditioner for sparse regression on random supports.

    Fitted on the design X alone (never y). ``transform(X)`` returns the
    preconditioned dictionary ``[F | U] = X [A | Q]``: r peeled factor atoms
    followed by the d projected, renormalised residual columns, all of norm
    √N on the training design.

    Parameters
    ----------
    sparsity_hint : int, optional
        k̂, the support size scale of the heavy-subspace test. Default
        ``round(N / (2 ln d))`` clipped to [2, N/4].
    heavy_threshold : float, default=1.0
        c: a direction is heavy when ``k̂·λ > c``.
    max_levels : int, default=8
        Recursion depth (0 disables peeling).
    max_peeled : int, optional
        Cap on the total peeled dimensions; default ⌊N/4⌋ (over-peeling
        turns noise directions into atoms).
    residual_tol : float, default=1e-6
        A column whose relative residual norm falls below this is dropped
        (it lies in the peeled span; its coefficient becomes 0).
    n_probes : int, default=200
        Random k̂-supports drawn for the conditioning diagnostic (0 skips it).
    probe_quantile : float, default=0.1
    random_state : int, Generator or None
        Seeds the diagnostic's random supports only.

    Attributes
    ----------
    atoms_ : ndarray of shape (n_features, n_peeled)
        Coefficient map A of the factor atoms: ``X A = F`` with ``FᵀF = N I``.
    levels_ : list of int
        Directions peeled at each level.
    column_scale_ : ndarray of shape (n_features,)
        ``‖x_j‖/√N`` of the training columns (0 for zero columns).
    alive_ : ndarray of bool of shape (n_features,)
        Columns kept (non-zero, not absorbed by the peeled span).
    support_conditioning_ : dict
        ``{"before", "after", "quantile", "n_probes", "sparsity_hint"}``: the
        ``probe_quantile`` quantile of σ_min(U_T/√N) over random k̂-supports T
        of the normalised columns, before and after peeling.
    sparsity_hint_ : int
    n_features_in_ : int

    Notes
    -----
    Phase 1 of Chandrasekaran, Meka & Stavropoulos, "Sparse Linear
    Regression is Easy on Random Supports" (arXiv:2511.06211), as
    reconstructed in sigrec's research note: a PCA threshold instead of
    the paper's (unpublished-in-detail) procedure.
    """

    _parameter_constraints = {
        "sparsity_hint": [None, Interval(Integral, 1, None, closed="left")],
        "heavy_threshold": [Interval(Real, 0, None, closed="neither")],
        "max_levels": [Interval(Integral, 0, None, closed="left")],
        "max_peeled": [None, Interval(Integral, 0, None, closed="left")],
        "residual_tol": [Interval(Real, 0, 1, closed="left")],
        "n_probes": [Interval(Integral, 0, None, closed="left")],
        "probe_quantile": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(
        self,
        *,
        sparsity_hint=None,
        heavy_threshold=1.0,
        max_levels=8,
        max_peeled=None,
        residual_tol=1e-6,
        n_probes=200,
        probe_quantile=0.1,
        random_state=None,
    ):
        self.sparsity_hint = sparsity_hint
        self.heavy_threshold = heavy_threshold
        self.max_levels = max_levels
        self.max_peeled = max_peeled
        self.residual_tol = residual_tol
        self.n_probes = n_probes
        self.probe_quantile = probe_quantile
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Peel the heavy subspaces of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The design (centre it first when an intercept is fitted).
        y : ignored
            Phase 1 never sees the labels.

        Returns
        -------
        self
        """
        X = validate_data(self, X, ensure_min_samples=2)
        self._fit_residuals(X)
        return self

    def _fit_residuals(self, X):
        """Fit on validated X; returns the residual columns U (n×d, norm √N each, 0 if dropped)."""
        n, d = X.shape
        hint = self.sparsity_hint if self.sparsity_hint is not None else default_sparsity_hint(n, d)
        if hint >= n:
            if self.sparsity_hint is None:  # the user set nothing: the data are too short
                raise ValueError(
                    f"X has {n} samples, too few for the default sparsity_hint={hint} (which must be smaller "
                    f"than n_samples): pass at least {hint + 1} samples or set sparsity_hint."
                )
            raise ValueError(f"sparsity_hint must be smaller than n_samples={n}, got {hint}.")
        cap = n // 4 if self.max_peeled is None else min(self.max_peeled, n)
        self.sparsity_hint_ = int(hint)
        scale = np.linalg.norm(X, axis=0) / np.sqrt(n)
        self.column_scale_ = scale
        alive = scale > 0
        residual = np.zeros_like(X)
        residual[:, alive] = X[:, alive] / scale[alive]
        # One seed for both probes: before and after use the same random supports (paired)
        # whenever peeling drops no column.
        probe_seed = int(check_random_generator(self.random_state).integers(2**31 - 1))
        before = self._probe(residual, alive, np.random.default_rng(probe_seed))
        self._levels, self.levels_ = [], []
        atoms, total = [], 0
        for _ in range(self.max_levels):
            n_alive = int(alive.sum())
            if n_alive == 0 or total >= cap:
                break
            live = residual[:, alive]
            moment = live @ live.T / (n * n_alive)
            eigenvalues, eigenvectors = np.linalg.eigh(moment)
            eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
            heavy = int(np.sum(hint * eigenvalues > self.heavy_threshold))
            heavy = min(heavy, cap - total)
            if heavy == 0:
                break
            directions = eigenvectors[:, :heavy]
            singular = np.sqrt(n * n_alive * eigenvalues[:heavy])
            # q_i = Uᵀ p_i / g_i (unit vectors in column space); a_i = √N Q q_i / g_i.
            coefficient_directions = (residual.T @ directions) / singular
            level_atoms = np.sqrt(n) * self._apply_map(coefficient_directions) / singular
            loadings = directions.T @ residual / np.sqrt(n)
            residual -= np.sqrt(n) * directions @ loadings
            norms = np.linalg.norm(residual, axis=0) / np.sqrt(n)
            alive &= norms > self.residual_tol
            level_scale = np.where(alive, norms, 0.0)
            residual[:, alive] /= level_scale[alive]
            residual[:, ~alive] = 0.0
            self._levels.append(_Level(level_atoms, loadings, level_scale))
            self.levels_.append(heavy)
            atoms.append(level_atoms)
            total += heavy
        self.alive_ = alive
        self.atoms_ = np.hstack(atoms) if atoms else np.zeros((d, 0))
        after = self._probe(residual, alive, np.random.default_rng(probe_seed))
        self.support_conditioning_ = {
            "before": before,
            "after": after,
            "quantile": float(self.probe_quantile),
            "n_probes": int(self.n_probes),
            "sparsity_hint": self.sparsity_hint_,
        }
        return residual

    def _probe(self, residual, alive, rng):
        """Quantile of σ_min(U_T/√N) over random supports T of the alive columns."""
        columns = np.flatnonzero(alive)
        size = min(self.sparsity_hint_, columns.size)
        if self.n_probes == 0 or size == 0:
            return float("nan")
        n = residual.shape[0]
        supports = np.array([rng.choice(columns, size, replace=False) for _ in range(self.n_probes)])
        blocks = residual[:, supports].transpose(1, 0, 2)  # (n_probes, N, k̂)
        # σ_min² is the smallest eigenvalue of the k̂×k̂ Gram: batched and ~100x cheaper than SVDs.
        grams = np.einsum("pnk,pnl->pkl", blocks, blocks) / n
        smallest = np.sqrt(np.clip(np.linalg.eigvalsh(grams)[:, 0], 0.0, None))
        return float(np.quantile(smallest, self.probe_quantile))

    def _apply_map(self, coefficients):
        """``Q c`` for c of shape (d,) or (d, k), through the stored product form of Q.

        ``Q_ℓ c = Q_{ℓ−1} c' − A_ℓ (G_ℓ c')`` with ``c' = D_ℓ⁻¹ c``, unrolled from the last level.
        """
        current = np.asarray(coefficients, dtype=float)
        shape = (-1,) + (1,) * (current.ndim - 1)
        accumulated = np.zeros_like(current)
        for level in reversed(self._levels):
            current = current / np.where(level.scale > 0, level.scale, np.inf).reshape(shape)
            accumulated -= level.atoms @ (level.loadings @ current)
        return accumulated + current / np.where(self.column_scale_ > 0, self.column_scale_, np.inf).reshape(shape)

    def coefficient_map(self, coefficients):
        """Map dictionary coefficients ``[b; c]`` (factor atoms, residual columns) to feature weights ``A b + Q c``.

        Parameters
        ----------
        coefficients : ndarray of shape (n_peeled + n_features,) or (n_peeled + n_features, k)

        Returns
        -------
        ndarray of shape (n_features,) or (n_features, k)
        """
        check_is_fitted(self)
        coefficients = np.asarray(coefficients, dtype=float)
        r = self.atoms_.shape[1]
        return self.atoms_ @ coefficients[:r] + self._apply_map(coefficients[r:])

    def residual_columns(self, X):
        """``X Q``: the residual dictionary of new rows (n_samples, n_features), without forming Q."""
        X = np.asarray(X, dtype=float)
        out = X / np.where(self.column_scale_ > 0, self.column_scale_, np.inf)
        for level in self._levels:
            out = (out - (X @ level.atoms) @ level.loadings) / np.where(level.scale > 0, level.scale, np.inf)
        return out

    @classmethod
    def _sigrec_example_data(cls, rng):
        # Unsupervised: fit ignores y (contract tests then skip the length check against y).
        return rng.standard_normal((40, 12)), None

    def transform(self, X):
        """Preconditioned dictionary ``[X A | X Q]`` of shape (n_samples, n_peeled + n_features).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_peeled + n_features)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.hstack([X @ self.atoms_, self.residual_columns(X)])
