"""Fixed sub-sampling masks, the decoders that score them, and mask diagnostics.

The baselines against which a learned (DPS) mask is judged (research note
``dps.md`` §4–§5): random, low-pass (symmetric "full" and non-redundant
"half"), equispaced, variable density and greedy forward selection. Every
mask can be scored by the same two decoders: the closed-form ridge
:class:`LinearDecoder` refit on the mask, and batched FISTA-LASSO
(:func:`fista_decode`), through :func:`evaluate_mask`.

Conventions are those of :mod:`sigrec.sampling._grid`: a mask is a boolean
array of the signal grid shape ``(N,)`` or ``(H, W)``, True at the selected
elements, in **unshifted** FFT order (use :func:`numpy.fft.fftshift` for
plots); its flat indices (``np.flatnonzero(mask)``) are the support.
Everything here is numpy.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator

from sigrec._validation import NotFittedError, check_array, check_random_generator
from sigrec.metrics import nmse_db, psnr
from sigrec.sampling._grid import (
    candidate_indices,
    count_conjugate_duplicates,
    frequency_radius,
    measure,
    real_features,
    signal_shape,
)

__all__ = [
    "random_mask",
    "low_pass_mask",
    "equispaced_mask",
    "variable_density_mask",
    "greedy_mask",
    "LinearDecoder",
    "fista_decode",
    "evaluate_mask",
    "band_fraction",
    "count_conjugate_duplicates",
]

_VDS_FLOOR = 1e-6  # relative density floor of variable_density_mask (the DC density is 1)
_RADIUS_DECIMALS = 12  # radii are rounded before sorting so that equal radii tie exactly


# ----------------------------------------------------------------------------------------------------------------
# validation helpers


def _check_shape(shape):
    """A grid shape: ``(N,)`` or ``(H, W)`` of positive integers (an int means ``(N,)``)."""
    if isinstance(shape, Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        values = tuple(shape)
    except TypeError:
        values = None
    valid = (
        values is not None
        and len(values) in (1, 2)
        and all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in values)
    )
    if not valid:
        raise ValueError(f"shape must be (N,) or (H, W) with positive integers; got {shape!r}.")
    return tuple(int(s) for s in values)


def _check_n_keep(n_keep, n_candidates, where="candidates"):
    if isinstance(n_keep, bool) or not isinstance(n_keep, Integral) or not 1 <= n_keep <= n_candidates:
        raise ValueError(
            f"n_keep must be an integer with 1 ≤ n_keep ≤ {n_candidates} (the number of {where}); got {n_keep!r}."
        )
    return int(n_keep)


def _mask_from_support(support, shape):
    mask = np.zeros(int(np.prod(shape)), dtype=bool)
    mask[np.asarray(support, dtype=int)] = True
    return mask.reshape(shape)


def _support(mask, shape):
    """Sorted flat indices of a mask given as a boolean array of the grid or as flat indices."""
    size = int(np.prod(shape))
    mask = np.asarray(mask)
    if mask.dtype == bool:
        if mask.size != size or mask.shape not in (tuple(shape), (size,)):
            raise ValueError(f"A boolean mask must have the grid shape {tuple(shape)}; got shape {mask.shape}.")
        support = np.flatnonzero(mask)
    else:
        if mask.ndim != 1 or not np.issubdtype(mask.dtype, np.integer):
            raise ValueError(
                f"mask must be a boolean array of shape {tuple(shape)} or a 1-D array of flat integer indices; "
                f"got dtype {mask.dtype}, shape {mask.shape}."
            )
        support = np.unique(mask)
        if support.size != mask.size:
            raise ValueError("mask lists a flat index more than once.")
        if support.size and (support[0] < 0 or support[-1] >= size):
            raise ValueError(f"mask indices must lie in [0, {size}); got {support[0]} … {support[-1]}.")
    if support.size == 0:
        raise ValueError("mask selects no element.")
    return support.astype(int)


def _grid_of(n_features, image_shape):
    return signal_shape(n_features, image_shape)


# ----------------------------------------------------------------------------------------------------------------
# fixed masks


def random_mask(shape, n_keep, *, candidates="half", random_state=None):
    """A uniformly random K-subset of the candidate bins.

    Parameters
    ----------
    shape : tuple of int
        Grid shape ``(N,)`` or ``(H, W)``.
    n_keep : int
        K, with 1 ≤ K ≤ number of candidates.
    candidates : {"half", "full"}, default="half"
        One bin per conjugate pair (real signals) or every bin
        (see :func:`sigrec.sampling._grid.candidate_indices`).
    random_state : int, Generator or None

    Returns
    -------
    ndarray of bool, shape `shape`
        Exactly K True entries.

    Raises
    ------
    ValueError
        If `n_keep` is not an integer in [1, number of candidates].
    """
    shape = _check_shape(shape)
    pool = candidate_indices(shape, candidates)
    n_keep = _check_n_keep(n_keep, pool.size)
    rng = check_random_generator(random_state)
    return _mask_from_support(rng.choice(pool, size=n_keep, replace=False), shape)


def low_pass_mask(shape, n_keep, *, candidates="half"):
    """The K candidate bins of lowest frequency (a centred disc or interval).

    Bins are ranked by :func:`~sigrec.sampling._grid.frequency_radius`,
    ties broken by flat index. With ``candidates="full"`` both members of a
    conjugate pair are taken (the classical symmetric/circular low-pass,
    which spends half its samples on redundant bins for real signals); with
    ``"half"`` one per pair, the non-redundant low-pass that reaches twice
    as far in frequency (the note's pitfall P7).

    Parameters
    ----------
    shape : tuple of int
        ``(N,)`` or ``(H, W)``.
    n_keep : int
        K, with 1 ≤ K ≤ number of candidates.
    candidates : {"half", "full"}, default="half"

    Returns
    -------
    ndarray of bool, shape `shape`

    Raises
    ------
    ValueError
        If `n_keep` is out of range.
    """
    shape = _check_shape(shape)
    pool = candidate_indices(shape, candidates)
    n_keep = _check_n_keep(n_keep, pool.size)
    radius = np.round(frequency_radius(shape)[pool], _RADIUS_DECIMALS)
    order = np.lexsort((pool, radius))  # radius first, then flat index
    return _mask_from_support(pool[order[:n_keep]], shape)


def _round_half_up(values):
    return np.floor(values + 0.5).astype(int)


def equispaced_mask(shape, n_keep):
    """A regular grid of K samples over the full grid (aliasing: a worst case for sparse recovery).

    1-D: indices ``round(j N / K)`` for ``j = 0 … K−1``. 2-D: a lattice of
    ``a × b = K`` points, rows ``round(i H / a)`` and columns
    ``round(j W / b)``, with ``a`` the divisor of K closest to
    ``sqrt(K H / W)`` (ties: the smaller) such that ``a ≤ H`` and
    ``K / a ≤ W``. Rounding is half up.

    Parameters
    ----------
    shape : tuple of int
        ``(N,)`` or ``(H, W)``.
    n_keep : int
        K, with 1 ≤ K ≤ prod(shape).

    Returns
    -------
    ndarray of bool, shape `shape`

    Raises
    ------
    ValueError
        If `n_keep` is out of range, or in 2-D when no lattice ``a × b = K``
        fits in ``H × W``.
    """
    shape = _check_shape(shape)
    size = int(np.prod(shape))
    n_keep = _check_n_keep(n_keep, size, where="grid elements")
    if len(shape) == 1:
        support = _round_half_up(np.arange(n_keep) * (size / n_keep))
        return _mask_from_support(support, shape)
    height, width = shape
    divisors = [a for a in range(1, n_keep + 1) if n_keep % a == 0 and a <= height and n_keep // a <= width]
    if not divisors:
        raise ValueError(
            f"n_keep={n_keep} has no factorisation a × b with a ≤ {height} and b ≤ {width}; "
            "equispaced_mask needs an exact lattice."
        )
    target = np.sqrt(n_keep * height / width)
    n_rows = min(divisors, key=lambda a: (abs(a - target), a))
    n_cols = n_keep // n_rows
    rows = _round_half_up(np.arange(n_rows) * (height / n_rows))
    cols = _round_half_up(np.arange(n_cols) * (width / n_cols))
    return _mask_from_support((rows[:, None] * width + cols[None, :]).ravel(), shape)


def variable_density_mask(shape, n_keep, *, power=2.0, candidates="half", random_state=None):
    """A variable-density random mask: low frequencies drawn more often.

    The density over the candidates is ``(1 − r / r_max)^power + 1e-6``
    with ``r`` the :func:`~sigrec.sampling._grid.frequency_radius` and
    ``r_max`` slightly (0.1 %) above the largest candidate radius, so every
    candidate has a positive density (1 at DC). K bins are drawn without
    replacement with probabilities proportional to it, sequentially
    (Plackett–Luce), by the Gumbel-top-k trick on the log density.

    Parameters
    ----------
    shape : tuple of int
        ``(N,)`` or ``(H, W)``.
    n_keep : int
        K, with 1 ≤ K ≤ number of candidates.
    power : float, default=2.0
        Decay exponent (≥ 0; 0 gives a uniform random mask). The A-DPS
        code used 6 for MRI lines, the note's digits table 2.
    candidates : {"half", "full"}, default="half"
    random_state : int, Generator or None

    Returns
    -------
    ndarray of bool, shape `shape`

    Raises
    ------
    ValueError
        If `n_keep` or `power` is out of range.
    """
    shape = _check_shape(shape)
    pool = candidate_indices(shape, candidates)
    n_keep = _check_n_keep(n_keep, pool.size)
    power = float(power)
    if not np.isfinite(power) or power < 0:
        raise ValueError(f"power must be a finite number ≥ 0; got {power!r}.")
    rng = check_random_generator(random_state)
    radius = frequency_radius(shape)[pool]
    r_max = max(float(radius.max()), 1e-12) * 1.001
    density = (1.0 - radius / r_max) ** power + _VDS_FLOOR
    keys = np.log(density) + rng.gumbel(size=pool.size)
    order = np.argsort(-keys, kind="stable")
    return _mask_from_support(pool[order[:n_keep]], shape)


# ----------------------------------------------------------------------------------------------------------------
# linear decoder and greedy selection


class LinearDecoder(BaseEstimator):
    """Closed-form ridge regression with intercept, the linear decoder refit on a fixed mask.

    Features and targets are centred; the coefficients solve
    ``(Fcᵀ Fc + λ I) W = Fcᵀ Tc`` with ``λ = alpha · trace(Fcᵀ Fc) / p``,
    so `alpha` is relative to the mean feature energy and the decoder is
    scale-free. This is :class:`sklearn.linear_model.Ridge` with
    ``alpha=λ`` (see `ridge_`). Complex features or targets are split into
    ``[Re, Im]`` columns (:func:`~sigrec.sampling._grid.real_features`);
    complex targets are recombined by :meth:`predict`.

    Parameters
    ----------
    alpha : float, default=1e-6
        Relative ridge strength (≥ 0; 0 is plain least squares, which needs
        full-rank features).

    Attributes
    ----------
    coef_ : ndarray of shape (p, n_out)
        ``p`` real feature columns (twice the complex ones), ``n_out`` real
        target columns (twice the complex ones).
    intercept_ : ndarray of shape (n_out,)
    ridge_ : float
        The absolute ridge λ actually used.
    n_features_in_ : int
        Columns of the features passed to :meth:`fit` (complex counted once).

    Examples
    --------
    >>> import numpy as np
    >>> from sigrec.sampling.masks import LinearDecoder
    >>> rng = np.random.default_rng(0)
    >>> F, W = rng.standard_normal((50, 3)), rng.standard_normal((3, 2))
    >>> decoder = LinearDecoder(alpha=0.0).fit(F, F @ W + 1.0)
    >>> bool(np.allclose(decoder.predict(F), F @ W + 1.0))
    True
    """

    def __init__(self, alpha=1e-6):
        self.alpha = alpha

    def fit(self, features, targets):
        """Fit on ``features`` (n, p) and ``targets`` (n, n_out) or (n,); returns self."""
        alpha = float(self.alpha)
        if not np.isfinite(alpha) or alpha < 0:
            raise ValueError(f"alpha must be a finite number ≥ 0; got {self.alpha!r}.")
        F = check_array(features, name="features", allow_complex=True)
        T = check_array(targets, name="targets", ndim=(1, 2), allow_complex=True)
        if T.shape[0] != F.shape[0]:
            raise ValueError(f"features has {F.shape[0]} rows but targets has {T.shape[0]}; they must match.")
        self.n_features_in_ = F.shape[1]
        self._complex_features = np.iscomplexobj(F)
        self._complex_targets = np.iscomplexobj(T)
        self._target_ndim = T.ndim
        F = real_features(F)
        T = real_features(T.reshape(T.shape[0], -1))
        feature_mean, target_mean = F.mean(axis=0), T.mean(axis=0)
        Fc, Tc = F - feature_mean, T - target_mean
        gram = Fc.T @ Fc
        trace = float(np.trace(gram))
        self.ridge_ = alpha * trace / gram.shape[0] if trace > 0 else alpha
        system = gram + self.ridge_ * np.eye(gram.shape[0])
        rhs = Fc.T @ Tc
        try:
            self.coef_ = np.linalg.solve(system, rhs)
        except np.linalg.LinAlgError:  # alpha = 0 with rank-deficient features
            self.coef_ = np.linalg.lstsq(system, rhs, rcond=None)[0]
        self.intercept_ = target_mean - feature_mean @ self.coef_
        return self

    def predict(self, features):
        """Decoded targets, shape (n, n_out) (complex if the training targets were)."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("This LinearDecoder instance is not fitted yet; call fit first.")
        F = check_array(features, name="features", allow_complex=True)
        if F.shape[1] != self.n_features_in_:
            raise ValueError(f"features has {F.shape[1]} columns but the decoder was fit on {self.n_features_in_}.")
        out = real_features(F) @ self.coef_ + self.intercept_
        if self._complex_targets:
            half = out.shape[1] // 2
            out = out[:, :half] + 1j * out[:, half:]
        if self._target_ndim == 1:
            out = out[:, 0]
        return out


def _candidate_columns(Z):
    """Real feature columns per candidate: (n, C·q) with candidate c at columns c·q … c·q + q − 1."""
    if np.iscomplexobj(Z):
        return np.stack([Z.real, Z.imag], axis=2).reshape(Z.shape[0], -1), 2
    return Z, 1


def greedy_mask(X, n_keep, *, image_shape=None, domain="fourier", candidates="half", alpha=1e-6,
                return_errors=False):
    """Forward greedy selection of the K bins that best serve the linear decoder on training data.

    At each step the candidate whose addition most lowers the training
    squared error of :class:`LinearDecoder` (with the same `alpha`),
    refit on the enlarged support, is added. All candidate features are
    centred once; the Gram matrix ``G`` and ``Q = B Bᵀ`` with
    ``B = Fcᵀ Tc`` are precomputed, so every trial costs one small solve
    with ``M = G_SS + λ I``: residual ``E − 2 tr(M⁻¹Q_SS) + tr(M⁻¹G_SS M⁻¹Q_SS)``.
    The trials of a step are solved as one batch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training signals (real; complex only with ``candidates="full"``),
        images flattened row-major.
    n_keep : int
        K, with 1 ≤ K ≤ number of candidates.
    image_shape : tuple of int, optional
        ``(H, W)`` for images; default 1-D signals.
    domain : {"fourier", "identity"}, default="fourier"
    candidates : {"half", "full"}, default="half"
    alpha : float, default=1e-6
        Relative ridge of the decoder (see :class:`LinearDecoder`).
    return_errors : bool, default=False
        Also return the relative training error after each pick.

    Returns
    -------
    mask : ndarray of bool, shape ``(N,)`` or `image_shape`
    errors : ndarray of shape (K,)
        Only with `return_errors`: training residual energy divided by the
        energy of the centred targets after 1, 2, …, K picks
        (non-increasing up to the ridge).

    Raises
    ------
    ValueError
        If `n_keep` is out of range or `X` is invalid.
    """
    X = check_array(X, name="X", allow_complex=True, ensure_min_samples=2)
    shape = _grid_of(X.shape[1], image_shape)
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a finite number ≥ 0; got {alpha!r}.")
    if np.iscomplexobj(X) and domain == "fourier" and candidates == "half":
        raise ValueError("candidates='half' assumes real signals; use candidates='full' for complex X.")
    pool = candidate_indices(shape, candidates, domain)
    n_keep = _check_n_keep(n_keep, pool.size)
    F, q = _candidate_columns(measure(X, shape, domain)[:, pool])
    T = real_features(X)
    Fc, Tc = F - F.mean(axis=0), T - T.mean(axis=0)
    energy = float(np.sum(Tc**2))
    if energy == 0:
        raise ValueError("X is constant over samples; there is nothing to select for.")
    G = Fc.T @ Fc
    B = Fc.T @ Tc
    Q = B @ B.T
    diag_G = np.diag(G)

    chosen_cols = np.empty(0, dtype=int)
    remaining = np.arange(pool.size)
    picks, errors = [], []
    offsets = np.arange(q)
    for _ in range(n_keep):
        trial_cols = (remaining[:, None] * q + offsets[None, :])  # (R, q)
        cols = np.concatenate([np.broadcast_to(chosen_cols, (remaining.size, chosen_cols.size)), trial_cols], axis=1)
        m = cols.shape[1]
        G_t = G[cols[:, :, None], cols[:, None, :]]  # (R, m, m)
        Q_t = Q[cols[:, :, None], cols[:, None, :]]
        trace = diag_G[cols].sum(axis=1)
        ridge = np.where(trace > 0, alpha * trace / m, alpha)
        M = G_t + ridge[:, None, None] * np.eye(m)
        solved = np.linalg.solve(M, np.concatenate([G_t, Q_t], axis=2))
        MiG, MiQ = solved[:, :, :m], solved[:, :, m:]
        fit_term = np.trace(MiQ, axis1=1, axis2=2)
        cross = np.einsum("rij,rji->r", MiG, MiQ)  # tr(M⁻¹G M⁻¹Q)
        residual = energy - 2.0 * fit_term + cross
        best = int(np.argmin(residual))  # ties: lowest flat index (remaining is sorted)
        picks.append(pool[remaining[best]])
        errors.append(residual[best] / energy)
        chosen_cols = cols[best]
        remaining = np.delete(remaining, best)
    mask = _mask_from_support(picks, shape)
    if return_errors:
        return mask, np.asarray(errors)
    return mask


# ----------------------------------------------------------------------------------------------------------------
# sparse decoder


def _measurement_rows(support, shape, domain):
    """Rows of the measurement operator at the support: (K, N), complex for Fourier."""
    size = int(np.prod(shape))
    return measure(np.eye(size), shape, domain)[:, support].T


def fista_decode(Y, mask, *, shape, domain="fourier", dictionary=None, alpha=0.02, n_iter=300):
    """Batched FISTA-LASSO reconstruction from the selected measurements.

    For each row ``y`` of `Y`, solves over real ``s``
    ``min ½‖A s − y‖² + alpha ‖s‖₁`` with ``A = Φ_S D``: ``Φ_S`` the rows
    of the orthonormal DFT (or identity) at the support and ``D`` the
    dictionary. The complex least squares is treated as real by stacking
    ``[Re; Im]``. Step ``1/L`` with ``L = ‖A‖₂²``; all rows are iterated
    together with matrix products.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, K)
        Selected measurements ``measure(X, shape, domain)[:, support]``,
        columns in increasing flat-index order of the support.
    mask : ndarray of bool of shape `shape`, or ndarray of int of shape (K,)
        The mask or its flat indices.
    shape : tuple of int
        Grid shape ``(N,)`` or ``(H, W)``.
    domain : {"fourier", "identity"}, default="fourier"
    dictionary : ndarray of shape (N, P), optional
        Real synthesis dictionary D (e.g. the circulant pulse matrix,
        :attr:`sigrec.datasets.sampling.PulseEcho.dictionary`); default the
        identity (signals sparse themselves).
    alpha : float, default=0.02
        ℓ1 weight (absolute, in the units of the measurements).
    n_iter : int, default=300

    Returns
    -------
    ndarray of shape (n_samples, N)
        ``D ŝ`` for each row (real).

    Raises
    ------
    ValueError
        On inconsistent shapes or out-of-range parameters.
    """
    shape = _check_shape(shape)
    size = int(np.prod(shape))
    support = _support(mask, shape)
    Y = check_array(Y, name="Y", allow_complex=True)
    if Y.shape[1] != support.size:
        raise ValueError(f"Y has {Y.shape[1]} columns but the mask selects {support.size} elements.")
    if dictionary is None:
        D = None
        A = _measurement_rows(support, shape, domain)
    else:
        D = check_array(dictionary, name="dictionary")
        if D.shape[0] != size:
            raise ValueError(f"dictionary must have {size} rows (one per grid element); got shape {D.shape}.")
        A = _measurement_rows(support, shape, domain) @ D
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a finite number ≥ 0; got {alpha!r}.")
    if isinstance(n_iter, bool) or not isinstance(n_iter, Integral) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer; got {n_iter!r}.")
    if np.iscomplexobj(A) or np.iscomplexobj(Y):
        A = np.concatenate([A.real, A.imag], axis=0)
        Y = np.concatenate([Y.real, Y.imag], axis=1)
    lipschitz = float(np.linalg.norm(A, 2)) ** 2
    if lipschitz == 0:
        raise ValueError("The measurement operator at this mask is zero.")
    step = 1.0 / lipschitz
    threshold = alpha * step
    gram = A.T @ A
    correlation = Y @ A  # (n, P)
    coef = np.zeros_like(correlation)
    momentum = coef.copy()
    t = 1.0
    for _ in range(n_iter):
        z = momentum - step * (momentum @ gram - correlation)
        new = np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        momentum = new + ((t - 1.0) / t_new) * (new - coef)
        coef, t = new, t_new
    return coef if D is None else coef @ D.T


# ----------------------------------------------------------------------------------------------------------------
# scoring


METRICS = ("nmse_db", "psnr")
DECODERS = ("linear", "fista")


def evaluate_mask(mask, X, *, X_train=None, decoder="linear", domain="fourier", image_shape=None, dictionary=None,
                  alpha=None, n_iter=300, metric="nmse_db"):
    """Score a mask: reconstruct test signals from their selected measurements.

    Parameters
    ----------
    mask : ndarray of bool of the grid shape, or ndarray of int of flat indices
    X : ndarray of shape (n_samples, n_features)
        Test signals (images flattened row-major).
    X_train : ndarray of shape (n_train, n_features), optional
        Training signals for the linear decoder (required with
        ``decoder="linear"``).
    decoder : {"linear", "fista"}, default="linear"
        ``"linear"``: :class:`LinearDecoder` fit on ``real_features`` of the
        selected measurements of `X_train`. ``"fista"``:
        :func:`fista_decode` with `dictionary`, `alpha` and `n_iter`.
    domain : {"fourier", "identity"}, default="fourier"
    image_shape : tuple of int, optional
        ``(H, W)`` for images.
    dictionary : ndarray of shape (N, P), optional
        FISTA only.
    alpha : float, optional
        Decoder regularisation: relative ridge for ``"linear"`` (default
        1e-6), ℓ1 weight for ``"fista"`` (default 0.02).
    n_iter : int, default=300
        FISTA only.
    metric : {"nmse_db", "psnr"}, default="nmse_db"
        ``"nmse_db"``: ``10 log10(Σ‖x̂ − x‖² / Σ‖x‖²)`` over the whole test
        set (the note's P11). ``"psnr"``: mean per-image PSNR with
        ``data_range=1`` (images in [0, 1]).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If `X_train` is missing for the linear decoder, or an option is unknown.
    """
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}; got {decoder!r}.")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}; got {metric!r}.")
    X = check_array(X, name="X", allow_complex=True)
    shape = _grid_of(X.shape[1], image_shape)
    support = _support(mask, shape)
    if decoder == "linear":
        if X_train is None:
            raise ValueError("X_train is required with decoder='linear' (the decoder is fit on it).")
        X_train = check_array(X_train, name="X_train", allow_complex=True, ensure_min_samples=2)
        if X_train.shape[1] != X.shape[1]:
            raise ValueError(f"X_train has {X_train.shape[1]} features but X has {X.shape[1]}.")
        model = LinearDecoder(alpha=1e-6 if alpha is None else alpha)
        model.fit(real_features(measure(X_train, shape, domain)[:, support]), X_train)
        estimate = model.predict(real_features(measure(X, shape, domain)[:, support]))
    else:
        estimate = fista_decode(
            measure(X, shape, domain)[:, support], support, shape=shape, domain=domain, dictionary=dictionary,
            alpha=0.02 if alpha is None else alpha, n_iter=n_iter,
        )
    if metric == "nmse_db":
        return float(nmse_db(X, estimate))
    if np.iscomplexobj(X):
        raise ValueError("metric='psnr' needs real images.")
    return float(np.mean([psnr(x, x_hat, data_range=1.0) for x, x_hat in zip(X, estimate, strict=True)]))


def band_fraction(mask, frequency_response, level_db=-6.0):
    """Fraction of the selected bins whose gain is within `level_db` of the peak gain.

    Parameters
    ----------
    mask : ndarray of bool, or ndarray of int of flat indices
    frequency_response : ndarray of shape (N,) or the grid shape
        Filter response per bin (complex or magnitude), e.g.
        :attr:`sigrec.datasets.sampling.PulseEcho.frequency_response`.
    level_db : float, default=-6.0
        Band edge relative to ``max |H|`` (≤ 0).

    Returns
    -------
    float
        In [0, 1]: the B1 "−6 dB band" diagnostic.
    """
    gain = np.abs(np.asarray(frequency_response))
    shape = gain.shape
    support = _support(mask, shape)
    gain = gain.ravel()
    peak = float(gain.max())
    if peak == 0:
        raise ValueError("frequency_response is identically zero.")
    with np.errstate(divide="ignore"):
        level = 20.0 * np.log10(gain[support] / peak)
    return float(np.mean(level >= float(level_db)))
