"""Kronecker-structured sparse recovery problems and an IRS-aided MIMO channel simulator.

Both generators follow He & Joseph (arXiv 2307.14719) as summarised in
``research/kronecker_sbl.md`` (§3.1 and §4).

**Ordering convention** (the one of :class:`sigrec.operators.KroneckerOperator`
and of all of :mod:`sigrec.bayes`): a Kronecker dictionary
``A_1 ⊗ A_2 ⊗ … ⊗ A_I`` equals ``np.kron(A_1, np.kron(A_2, …))`` and acts on
the C-order flattening of a tensor of shape ``(N_1, …, N_I)``: mode 1 is the
slowest index, mode I the fastest.

**Common random numbers.** Every random component (each factor, each mode's
support, the values, the noise, the IRS geometry, configurations and pilots)
is drawn from its own child stream of ``random_state``. With a fixed seed,

* changing ``snr_db`` only rescales the same noise vector;
* increasing a mode's ``n_nonzero`` only adds indices to its support, and the
  values on the old indices are kept (nested supports, the paper's sparsity
  sweep);
* increasing ``n_measurements[i]`` only appends rows to ``A_i`` (the
  under-sampling sweep; not with ``normalize_columns=True``);
* increasing ``n_configs`` or ``n_pilots`` only appends configurations or
  pilots to the IRS training.

So one seed per Monte-Carlo trial gives the paired sweeps of the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from sigrec._validation import check_random_generator
from sigrec.datasets._checks import check_snr_db
from sigrec.operators import KroneckerOperator

__all__ = [
    "IRSChannelProblem",
    "angular_grid",
    "make_irs_channel",
    "make_kronecker_sparse",
    "ula_steering",
]

# A training configuration is redrawn when its cascaded channel power falls
# below this fraction of the power averaged over random ±1/√L configurations
# (see make_irs_channel). About 1% of random draws are redrawn.
_CANCEL_FRACTION = 1e-2
_MAX_CONFIGURATION_DRAWS = 10_000


# --------------------------------------------------------------------------- helpers


def _positive_int(value, name, *, minimum=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}.")
    return int(value)


def _mode_sizes(value, name, n_modes=None, *, minimum=1):
    """A per-mode tuple of integers; a scalar is repeated over ``n_modes`` modes."""
    if isinstance(value, Integral) and not isinstance(value, bool) and n_modes is not None:
        value = (value,) * n_modes
    try:
        sizes = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of integers, got {value!r}.") from None
    if not sizes:
        raise ValueError(f"{name} must list at least one mode, got {value!r}.")
    if n_modes is not None and len(sizes) != n_modes:
        raise ValueError(f"{name} must have one entry per mode ({n_modes}), got {len(sizes)}: {value!r}.")
    return tuple(_positive_int(size, f"{name}[{i}]", minimum=minimum) for i, size in enumerate(sizes))


def _check_snr_db(snr_db):
    return check_snr_db(snr_db)


def _gaussian(rng, shape, is_complex):
    """i.i.d. N(0, 1) or CN(0, 1) entries, drawn so that a larger leading axis only appends rows."""
    shape = tuple(shape)
    if not is_complex:
        return rng.standard_normal(shape)
    # Real and imaginary parts interleaved per entry (last axis), so growing the
    # first axis keeps the earlier rows: the common-random-number property.
    pair = rng.standard_normal(shape + (2,))
    return (pair[..., 0] + 1j * pair[..., 1]) / math.sqrt(2.0)


def _streams(rng, n_streams):
    """Independent child generators of ``rng`` (one per random component)."""
    root = np.random.SeedSequence(rng.integers(0, 2**63 - 1, size=4))
    return [np.random.default_rng(child) for child in root.spawn(n_streams)]


def _noise_variance(clean, snr_db):
    """σ² with ``‖clean‖² / (M σ²) = 10^(snr_db/10)``; 0 for noiseless data."""
    if snr_db is None:
        return 0.0
    return float(np.vdot(clean, clean).real / (clean.size * 10.0 ** (snr_db / 10.0)))


# --------------------------------------------------------------------------- synthetic generator


def make_kronecker_sparse(
    n_features=(15, 15, 15),
    n_measurements=(8, 12, 15),
    n_nonzero=(3, 3, 3),
    *,
    values="factorized",
    snr_db=25.0,
    complex=False,
    normalize_columns=False,
    return_supports=False,
    random_state=None,
):
    """Random Kronecker-structured sparse recovery problem (the note's §3.1).

    ``y = (A_1 ⊗ A_2 ⊗ … ⊗ A_I) x + n`` with Gaussian factors and a sparse
    ``x`` whose support is a Kronecker product of per-mode supports. The
    product is never formed: ``y`` is computed by mode products.

    Parameters
    ----------
    n_features : sequence of int, default=(15, 15, 15)
        ``(N_1, …, N_I)``; ``x`` has length ``N = Π N_i``.
    n_measurements : int or sequence of int, default=(8, 12, 15)
        ``(M_1, …, M_I)``; ``y`` has length ``M = Π M_i``. An int is used for
        every mode.
    n_nonzero : int or sequence of int, default=(3, 3, 3)
        Active atoms per mode ``K_i`` with ``1 ≤ K_i ≤ N_i``; ``x`` has
        ``Π K_i`` non-zeros.
    values : {"factorized", "iid"}, default="factorized"
        ``"factorized"``: ``x = x_1 ⊗ … ⊗ x_I`` with i.i.d. N(0, 1) (or CN(0, 1))
        entries on each mode's support, the authors' generator; the tensor
        of ``x`` then has rank-1 unfoldings. ``"iid"``: independent N(0, 1)
        (or CN(0, 1)) values on the Kronecker support.
    snr_db : float or None, default=25.0
        ``SNR = ‖y_0‖² / (M σ²)`` in dB, with ``y_0`` the noiseless
        measurements and σ² the per-entry noise variance (complex noise:
        ``E|n_j|² = σ²``, i.e. σ²/2 per real part). The noise is a Gaussian
        draw with that variance, not rescaled, so ``‖n‖²/(Mσ²)`` fluctuates
        around 1 (relative spread ``√(2/M)`` real, ``√(1/M)`` complex), as in
        the paper. ``None`` gives noiseless data and ``noise_var = 0``.
    complex : bool, default=False
        Complex factors, values and noise (circular CN(0, 1) entries).
    normalize_columns : bool, default=False
        Scale every column of every ``A_i`` to unit ℓ2 norm. The paper does
        not (its factors have i.i.d. N(0, 1) entries).
    return_supports : bool, default=False
        Also return the per-mode supports.
    random_state : int, Generator or None
        See :func:`sigrec._validation.check_random_generator`. The module
        docstring lists which draws are shared when other arguments change.

    Returns
    -------
    factors : list of ndarray
        ``A_i`` of shape ``(M_i, N_i)``, float64 or complex128.
    y : ndarray of shape (M,)
        Measurements, C-order flattening of an ``(M_1, …, M_I)`` tensor.
    coef : ndarray of shape (N,)
        The true ``x``, C-order flattening of an ``(N_1, …, N_I)`` tensor
        (mode 1 slowest).
    noise_var : float
        σ², the per-entry noise variance (0 when noiseless).
    supports : tuple of ndarray of int
        Only with ``return_supports=True``: sorted indices ``S_i`` of each
        mode's support; the support of ``coef`` is ``S_1 × … × S_I`` in the
        above ordering.

    Raises
    ------
    ValueError
        If the three size arguments disagree on the number of modes, a size
        is not a positive integer, ``n_nonzero[i] > n_features[i]``,
        ``values`` is unknown or ``snr_db`` is not finite.

    Notes
    -----
    The paper's sparsity sweep uses nested supports ("each step adds one
    index per mode"). There is no separate option for it: with a fixed
    ``random_state`` each mode's support is the first ``K_i`` entries of one
    fixed random permutation, so increasing ``n_nonzero`` nests the supports
    and keeps the factors, the old values and the noise draw.

    Examples
    --------
    >>> from sigrec.datasets.kronecker import make_kronecker_sparse
    >>> factors, y, coef, noise_var = make_kronecker_sparse(random_state=0)
    >>> [A.shape for A in factors], y.shape, coef.shape, int((coef != 0).sum())
    ([(8, 15), (12, 15), (15, 15)], (1440,), (3375,), 27)
    """
    n_features = _mode_sizes(n_features, "n_features")
    n_modes = len(n_features)
    n_measurements = _mode_sizes(n_measurements, "n_measurements", n_modes)
    n_nonzero = _mode_sizes(n_nonzero, "n_nonzero", n_modes)
    for i, (k, n) in enumerate(zip(n_nonzero, n_features, strict=True)):
        if k > n:
            raise ValueError(f"n_nonzero[{i}] = {k} exceeds n_features[{i}] = {n}.")
    if values not in ("factorized", "iid"):
        raise ValueError(f"values must be 'factorized' or 'iid', got {values!r}.")
    snr_db = _check_snr_db(snr_db)
    if not isinstance(complex, (bool, np.bool_)):
        raise ValueError(f"complex must be a bool, got {complex!r}.")
    is_complex = bool(complex)
    rng = check_random_generator(random_state)

    streams = _streams(rng, 2 * n_modes + 2)
    factor_rngs, support_rngs = streams[:n_modes], streams[n_modes : 2 * n_modes]
    value_rng, noise_rng = streams[2 * n_modes :]

    shapes = zip(n_measurements, n_features, strict=True)
    factors = [_gaussian(g, shape, is_complex) for g, shape in zip(factor_rngs, shapes, strict=True)]
    if normalize_columns:
        factors = [A / np.linalg.norm(A, axis=0) for A in factors]

    # The first K_i entries of a fixed permutation: supports nest as K_i grows.
    supports = tuple(np.sort(g.permutation(n)[:k]) for g, n, k in zip(support_rngs, n_features, n_nonzero, strict=True))
    masks = []
    for support, n in zip(supports, n_features, strict=True):
        mask = np.zeros(n, dtype=bool)
        mask[support] = True
        masks.append(mask)

    # Values are drawn at every index (support or not) so that they do not
    # depend on K_i: the values on a nested support are kept.
    if values == "factorized":
        mode_values = [_gaussian(value_rng, (n,), is_complex) * mask for n, mask in zip(n_features, masks, strict=True)]
        tensor = mode_values[0]
        for vector in mode_values[1:]:
            tensor = np.multiply.outer(tensor, vector)
    else:
        full_mask = masks[0]
        for mask in masks[1:]:
            full_mask = np.logical_and.outer(full_mask, mask)
        tensor = _gaussian(value_rng, n_features, is_complex) * full_mask
    coef = np.asarray(tensor).reshape(-1)

    clean = KroneckerOperator(factors) @ coef
    noise_var = _noise_variance(clean, snr_db)
    y = clean + math.sqrt(noise_var) * _gaussian(noise_rng, clean.shape, is_complex) if noise_var else clean
    if return_supports:
        return factors, y, coef, noise_var, supports
    return factors, y, coef, noise_var


# --------------------------------------------------------------------------- IRS-aided MIMO


def angular_grid(n_points):
    """Uniform spatial-frequency grid ``ψ_r = 2(r − 1)/R − 1``, r = 1..R.

    Parameters
    ----------
    n_points : int
        R.

    Returns
    -------
    ndarray of shape (R,)
        Values in ``[−1, 1)``; ``ψ = cos(angle)`` for a half-wavelength ULA.
    """
    n_points = _positive_int(n_points, "n_points")
    return 2.0 * np.arange(n_points) / n_points - 1.0


def ula_steering(n_antennas, psi):
    """Unit-norm half-wavelength ULA steering vectors ``a_n(ψ) = exp(jπψ·(0..n−1))/√n``.

    Parameters
    ----------
    n_antennas : int
        n.
    psi : float or array_like of shape (R,)
        Spatial frequencies (``cos`` of the angle); the vectors are
        2-periodic in ψ.

    Returns
    -------
    ndarray, complex128, of shape (n,) or (n, R)
        One column per ψ.
    """
    n_antennas = _positive_int(n_antennas, "n_antennas")
    psi = np.asarray(psi, dtype=float)
    return np.exp(1j * np.pi * np.multiply.outer(np.arange(n_antennas), psi)) / math.sqrt(n_antennas)


@dataclass(frozen=True, eq=False, repr=False)
class IRSChannelProblem:
    """One realisation of the IRS-aided MIMO uplink training problem (the note's §4).

    Returned by :func:`make_irs_channel`; treat the arrays as read-only.
    Notation: ``L = n_irs``, ``R = grid``, ``K_1 = n_pilots``,
    ``K_2 = n_configs``, ``M = K_2 K_1 n_bs``.

    Attributes
    ----------
    y : ndarray, complex128, of shape (M,)
        Received training samples, C-order over (configuration, pilot, BS
        antenna): BS antenna fastest, then pilot, then configuration.
        Block k reshaped to ``(K_1, n_bs)`` is ``(H(θ_k) X + N_k)ᵀ``.
    factors : list of three ndarray
        ``[Φ_IRS (K_2 × R), Φ_MS (K_1 × R), D_bs (n_bs × R)]`` with
        ``Φ_IRS = configurations @ irs_dictionary`` (``Θᵀ D_diff``, a
        transpose, not a conjugate transpose) and
        ``Φ_MS = pilotsᵀ conj(D_ms)``, so that
        ``y = (Φ_IRS ⊗ Φ_MS ⊗ D_bs) coef + n``.
    coef : ndarray, complex128, of shape (R³,)
        The true sparse ``x``, C-order over (IRS angle difference, MS AoD,
        BS AoA). Its tensor is rank one with ``cluster_size × 1 ×
        cluster_size`` non-zeros.
    noise_var : float
        σ², per complex sample (0 when noiseless).
    snr_db : float or None
        ``‖y_0‖² / (M σ²)`` in dB, ``y_0`` the noiseless samples.
    configurations : ndarray of shape (K_2, L)
        IRS training configurations ``θ_k`` (rows), entries ``±1/√L``.
    pilots : ndarray, complex128, of shape (n_ms, K_1)
        Pilot matrix X, QPSK entries ``(±1 ± j)/√(2 n_ms)``; unit-norm columns.
    H_irs_ms : ndarray, complex128, of shape (L, n_ms)
        MS → IRS channel.
    H_bs_irs : ndarray, complex128, of shape (n_bs, L)
        IRS → BS channel.
    irs_dictionary : ndarray, complex128, of shape (L, R)
        ``D_diff``: column j is ``a_L(−2j/R)``, the steering vector of the
        angle difference ``ψ_1 − ψ_{j+1}`` (0-based j).
    ms_dictionary, bs_dictionary : ndarray, complex128, of shape (n_ms, R), (n_bs, R)
        Grid steering matrices ``D_ms`` and ``D_bs``.
    grid_angles : ndarray of shape (R,)
        The grid ``ψ_r`` (see :func:`angular_grid`).
    ms_aod, irs_aod : int
        Grid indices (0-based) of the MS departure and IRS departure angles.
    irs_aoa, bs_aoa : ndarray of int of shape (cluster_size,)
        Grid indices of the IRS arrival and BS arrival clusters (consecutive,
        wrapping modulo R).
    irs_gains, bs_gains : ndarray, complex128, of shape (cluster_size,)
        CN(0, 1) path gains of the two clusters, in the order of ``irs_aoa``
        and ``bs_aoa``.
    supports : tuple of three ndarray of int
        Sorted per-mode supports of ``coef`` (IRS difference, MS, BS).
    """

    y: np.ndarray
    factors: list
    coef: np.ndarray
    noise_var: float
    snr_db: float | None
    configurations: np.ndarray
    pilots: np.ndarray
    H_irs_ms: np.ndarray
    H_bs_irs: np.ndarray
    irs_dictionary: np.ndarray
    ms_dictionary: np.ndarray
    bs_dictionary: np.ndarray
    grid_angles: np.ndarray
    ms_aod: int
    irs_aoa: np.ndarray
    irs_aod: int
    bs_aoa: np.ndarray
    irs_gains: np.ndarray
    bs_gains: np.ndarray
    supports: tuple

    @property
    def n_ms(self):
        """int: MS antennas."""
        return self.H_irs_ms.shape[1]

    @property
    def n_bs(self):
        """int: BS antennas."""
        return self.H_bs_irs.shape[0]

    @property
    def n_irs(self):
        """int: IRS elements L."""
        return self.H_irs_ms.shape[0]

    @property
    def grid(self):
        """int: grid points R per dimension."""
        return self.grid_angles.size

    @property
    def n_pilots(self):
        """int: pilots per configuration K_1."""
        return self.pilots.shape[1]

    @property
    def n_configs(self):
        """int: training configurations K_2."""
        return self.configurations.shape[0]

    @property
    def coef_shape(self):
        """tuple of int: ``(R, R, R)``, the tensor shape of ``coef``."""
        return (self.grid,) * 3

    @property
    def y_clean(self):
        """ndarray, complex128, of shape (M,): the noiseless training samples, from the physical channels."""
        return _training_samples(self.H_bs_irs, self.H_irs_ms, self.configurations, self.pilots)

    def _check_theta(self, theta):
        theta = np.asarray(theta)
        if theta.ndim not in (1, 2) or theta.shape[-1] != self.n_irs:
            raise ValueError(
                f"theta must have shape ({self.n_irs},) or (n, {self.n_irs}), got {theta.shape}."
            )
        if not np.all(np.isfinite(theta)):
            raise ValueError("theta contains NaN or inf.")
        return theta

    def channel(self, theta):
        """True cascaded channel ``H(θ) = H_bs_irs diag(θ) H_irs_ms``.

        Parameters
        ----------
        theta : array_like of shape (L,) or (n, L)
            IRS configuration(s), real or complex (phase shifts).

        Returns
        -------
        ndarray, complex128, of shape (n_bs, n_ms) or (n, n_bs, n_ms)
        """
        theta = self._check_theta(theta)
        return self.H_bs_irs @ (theta[..., :, None] * self.H_irs_ms)

    def channel_from_coef(self, coef, theta=None):
        """Channel ``Ĥ(θ)`` implied by a (possibly estimated) sparse vector.

        ``vec Ĥ(θ) = ((θᵀ D_diff) ⊗ conj(D_ms) ⊗ D_bs) coef`` with the
        column-major ``vec`` (BS antenna fastest, the ordering of ``y``), i.e.
        ``Ĥ(θ) = D_bs Gᵀ D_msᴴ`` with ``G = Σ_j (θᵀ D_diff)_j X[j]`` and
        ``X = coef.reshape(R, R, R)``. With the true ``coef`` it reproduces
        :meth:`channel` for every θ, not only the training configurations.

        Parameters
        ----------
        coef : array_like of shape (R³,) or (R, R, R)
            C-order over (IRS difference, MS, BS), as :attr:`coef`.
        theta : array_like of shape (L,) or (n, L), optional
            Default: the training :attr:`configurations`.

        Returns
        -------
        ndarray, complex128, of shape (n_bs, n_ms) or (n, n_bs, n_ms)
        """
        grid = self.grid
        coef = np.asarray(coef)
        if coef.shape not in ((grid**3,), (grid,) * 3):
            raise ValueError(f"coef must have shape ({grid ** 3},) or {(grid,) * 3}, got {coef.shape}.")
        if not np.all(np.isfinite(coef)):
            raise ValueError("coef contains NaN or inf.")
        theta = self._check_theta(self.configurations if theta is None else theta)
        weights = theta @ self.irs_dictionary  # (…, R): θᵀ D_diff
        mixed = np.tensordot(weights, coef.reshape((grid,) * 3), axes=(-1, 0))  # (…, R_ms, R_bs)
        return np.einsum("br,...mr,sm->...bs", self.bs_dictionary, mixed, self.ms_dictionary.conj())

    def __repr__(self):
        return (
            f"IRSChannelProblem(n_ms={self.n_ms}, n_bs={self.n_bs}, n_irs={self.n_irs}, grid={self.grid}, "
            f"n_pilots={self.n_pilots}, n_configs={self.n_configs}, snr_db={self.snr_db}, "
            f"noise_var={self.noise_var:.3g})"
        )


def _training_samples(H_bs_irs, H_irs_ms, configurations, pilots):
    """Noiseless ``y_0``: blocks ``(H(θ_k) X)ᵀ`` flattened, BS antenna fastest, then pilot, then configuration."""
    channels = H_bs_irs @ (configurations[:, :, None] * H_irs_ms)  # (K_2, n_bs, n_ms)
    received = channels @ pilots  # (K_2, n_bs, K_1)
    return np.ascontiguousarray(received.transpose(0, 2, 1)).reshape(-1)


def _qpsk(rng, shape):
    """Unit-energy QPSK symbols ``(±1 ± j)/√2``."""
    bits = rng.integers(0, 2, size=tuple(shape) + (2,))
    return ((2 * bits[..., 0] - 1) + 1j * (2 * bits[..., 1] - 1)) / math.sqrt(2.0)


def make_irs_channel(
    n_ms=6,
    n_bs=16,
    n_irs=256,
    grid=18,
    n_pilots=3,
    n_configs=6,
    *,
    cluster_size=3,
    snr_db=20.0,
    random_state=None,
):
    """IRS-aided MIMO uplink channel-estimation problem with a Kronecker dictionary (the note's §4).

    Geometry (all angles on the grid ``ψ_r``, see :func:`angular_grid`):

    * ``H_irs_ms = √(n_ms L / C) · (Σ_{r∈A} α_r a_L(ψ_r)) a_ms(ψ_ms)ᴴ``: one MS
      departure angle and an IRS arrival cluster A of C = ``cluster_size``
      consecutive grid points (wrapping modulo R) with CN(0, 1) gains α;
    * ``H_bs_irs = √(n_bs L / C) · (Σ_{r∈B} β_r a_bs(ψ_r)) a_L(ψ_d)ᴴ``: one IRS
      departure angle ψ_d and a BS arrival cluster B of C consecutive points
      with CN(0, 1) gains β;
    * training: ``Y_k = H_bs_irs diag(θ_k) H_irs_ms X + N_k`` for the
      ``K_2 = n_configs`` configurations and the ``K_1 = n_pilots`` pilots.

    Because ``a_L(ψ_r) ∘ conj(a_L(ψ_d)) = a_L(ψ_r − ψ_d)/√L`` and grid
    differences fall on the grid of differences ``−2j/R`` (steering vectors
    are 2-periodic), ``y = (Φ_IRS ⊗ Φ_MS ⊗ D_bs) x + n`` with the true x
    supported on (C IRS differences) × (1 MS angle) × (C BS angles):
    ``x[(d − r) mod R, ms, b] = √(L n_ms n_bs)/C · α_r β_b``.

    Parameters
    ----------
    n_ms, n_bs, n_irs : int, default=6, 16, 256
        MS antennas, BS antennas and IRS elements L (half-wavelength ULAs).
    grid : int, default=18
        Grid points R per angular dimension; ``coef`` has length R³.
    n_pilots : int, default=3
        Pilots K_1 per configuration (columns of X).
    n_configs : int, default=6
        IRS training configurations K_2.
    cluster_size : int, default=3
        Points C in the IRS-arrival and BS-arrival clusters (the angular
        spread), ``1 ≤ C ≤ R``; the channel scalings are ``√(N L / C)``.
    snr_db : float or None, default=20.0
        ``SNR = ‖y_0‖² / (M σ²)`` in dB with ``y_0`` the noiseless samples and
        σ² the variance of the circular complex Gaussian noise
        (``√(σ²/2)(N(0,1) + jN(0,1))``); a Gaussian draw, not rescaled.
        ``None``: noiseless.
    random_state : int, Generator or None
        Geometry and gains, configurations, pilots and noise use separate
        streams: with a fixed seed, ``snr_db`` only rescales the same noise
        and more configurations or pilots only append to the old ones.

    Returns
    -------
    IRSChannelProblem
        ``y``, ``factors``, ``coef``, ``noise_var``, the channels, the
        training set-up and :meth:`~IRSChannelProblem.channel` /
        :meth:`~IRSChannelProblem.channel_from_coef`.

    Raises
    ------
    ValueError
        If a size is not a positive integer, ``cluster_size`` is not in
        ``[1, grid]`` or ``snr_db`` is not finite.

    Notes
    -----
    **Redrawn configurations.** A random ±1/√L configuration can almost
    cancel the cascaded channel. A configuration θ is redrawn while
    ``‖H(θ)‖_F² < 0.01 · P̄`` with
    ``P̄ = E_θ ‖H(θ)‖_F² = (1/L) Σ_l ‖H_bs_irs[:, l]‖² ‖H_irs_ms[l, :]‖²``,
    the average power over random configurations (about 1% of draws are
    redrawn). This rule is ours; the authors' code redraws only when
    ``‖H(θ)‖_F < 1e-5`` in absolute terms.

    **Cluster placement.** Cluster starts are uniform over the R grid
    points and wrap modulo R, as the note states; the authors' code draws
    the start from ``0..R − C``, so its clusters never wrap.

    Examples
    --------
    >>> from sigrec.datasets.kronecker import make_irs_channel
    >>> problem = make_irs_channel(random_state=0)
    >>> problem.y.shape, [F.shape for F in problem.factors], problem.coef.shape
    ((288,), [(6, 18), (3, 18), (16, 18)], (5832,))
    """
    n_ms = _positive_int(n_ms, "n_ms")
    n_bs = _positive_int(n_bs, "n_bs")
    n_irs = _positive_int(n_irs, "n_irs")
    grid = _positive_int(grid, "grid")
    n_pilots = _positive_int(n_pilots, "n_pilots")
    n_configs = _positive_int(n_configs, "n_configs")
    cluster_size = _positive_int(cluster_size, "cluster_size")
    if cluster_size > grid:
        raise ValueError(f"cluster_size = {cluster_size} exceeds grid = {grid}.")
    snr_db = _check_snr_db(snr_db)
    rng = check_random_generator(random_state)
    geometry_rng, config_rng, pilot_rng, noise_rng = _streams(rng, 4)

    psi = angular_grid(grid)
    D_irs = ula_steering(n_irs, psi)
    D_ms = ula_steering(n_ms, psi)
    D_bs = ula_steering(n_bs, psi)
    # Column j: the angle difference ψ_1 − ψ_{j+1} = −2j/R.
    D_diff = ula_steering(n_irs, -2.0 * np.arange(grid) / grid)

    ms_aod = int(geometry_rng.integers(grid))
    irs_aoa = (int(geometry_rng.integers(grid)) + np.arange(cluster_size)) % grid
    irs_aod = int(geometry_rng.integers(grid))
    bs_aoa = (int(geometry_rng.integers(grid)) + np.arange(cluster_size)) % grid
    irs_gains = _gaussian(geometry_rng, (cluster_size,), True)
    bs_gains = _gaussian(geometry_rng, (cluster_size,), True)

    H_irs_ms = math.sqrt(n_ms * n_irs / cluster_size) * np.outer(D_irs[:, irs_aoa] @ irs_gains, D_ms[:, ms_aod].conj())
    H_bs_irs = math.sqrt(n_bs * n_irs / cluster_size) * np.outer(D_bs[:, bs_aoa] @ bs_gains, D_irs[:, irs_aod].conj())

    # Configurations, redrawn one at a time while they nearly cancel the channel.
    mean_power = np.sum(np.sum(np.abs(H_bs_irs) ** 2, axis=0) * np.sum(np.abs(H_irs_ms) ** 2, axis=1)) / n_irs
    configurations = np.empty((n_configs, n_irs))
    for k in range(n_configs):
        for _ in range(_MAX_CONFIGURATION_DRAWS):
            theta = (2.0 * config_rng.integers(0, 2, size=n_irs) - 1.0) / math.sqrt(n_irs)
            cascaded = H_bs_irs @ (theta[:, None] * H_irs_ms)
            if np.sum(np.abs(cascaded) ** 2) >= _CANCEL_FRACTION * mean_power:
                break
        else:  # pragma: no cover - needs an IRS with almost no random configuration reaching 1% of the mean
            raise RuntimeError(f"No usable IRS configuration in {_MAX_CONFIGURATION_DRAWS} draws.")
        configurations[k] = theta
    # Pilots drawn pilot by pilot (rows of Xᵀ) so that more pilots append columns.
    pilots = np.ascontiguousarray(_qpsk(pilot_rng, (n_pilots, n_ms)).T) / math.sqrt(n_ms)

    # True x: rank one, x[(d − r) mod R, ms_aod, b] = √(L n_ms n_bs)/C · α_r β_b.
    scale = math.sqrt(n_irs * n_ms * n_bs) / cluster_size
    diff_values = np.zeros(grid, dtype=complex)
    diff_values[(irs_aod - irs_aoa) % grid] = irs_gains
    ms_values = np.zeros(grid)
    ms_values[ms_aod] = 1.0
    bs_values = np.zeros(grid, dtype=complex)
    bs_values[bs_aoa] = bs_gains
    coef = scale * np.multiply.outer(np.multiply.outer(diff_values, ms_values), bs_values).reshape(-1)

    factors = [configurations @ D_diff, pilots.T @ D_ms.conj(), D_bs]
    supports = (np.sort((irs_aod - irs_aoa) % grid), np.array([ms_aod]), np.sort(bs_aoa))
    # y_0 from the physical channels (not from the dictionary), so that the
    # dictionary identity y_0 = (Φ_IRS ⊗ Φ_MS ⊗ D_bs) x is a genuine check.
    clean = _training_samples(H_bs_irs, H_irs_ms, configurations, pilots)
    noise_var = _noise_variance(clean, snr_db)
    y = clean + math.sqrt(noise_var) * _gaussian(noise_rng, clean.shape, True) if noise_var else clean
    return IRSChannelProblem(
        y=y, factors=factors, coef=coef, noise_var=noise_var, snr_db=snr_db,
        configurations=configurations, pilots=pilots, H_irs_ms=H_irs_ms, H_bs_irs=H_bs_irs,
        irs_dictionary=D_diff, ms_dictionary=D_ms, bs_dictionary=D_bs, grid_angles=psi, ms_aod=ms_aod,
        irs_aoa=irs_aoa, irs_aod=irs_aod, bs_aoa=bs_aoa, irs_gains=irs_gains, bs_gains=bs_gains,
        supports=supports,
    )
