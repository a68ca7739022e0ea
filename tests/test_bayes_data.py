"""Data generators and IRS evaluation helpers of sigrec.bayes (research/kronecker_sbl.md §3, §4, §6 T0/T9)."""

import math
from functools import reduce

import numpy as np
import pytest
from scipy.stats import norm

from sigrec.bayes.irs import QPSK, channel_nmse, symbol_error_rate
from sigrec.datasets.kronecker import (
    angular_grid,
    make_irs_channel,
    make_kronecker_sparse,
    ula_steering,
)
from sigrec.operators import KroneckerOperator

SMALL = dict(n_features=(5, 6, 4), n_measurements=(3, 7, 4), n_nonzero=(2, 3, 2))


def dense_kron(factors):
    return reduce(np.kron, factors)


def unfolding_ranks(tensor, tol=1e-10):
    ranks = []
    for mode in range(tensor.ndim):
        matrix = np.moveaxis(tensor, mode, 0).reshape(tensor.shape[mode], -1)
        singular = np.linalg.svd(matrix, compute_uv=False)
        ranks.append(int(np.sum(singular > tol * singular[0])))
    return ranks


def relative(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# --------------------------------------------------------------------------- make_kronecker_sparse


@pytest.mark.parametrize("complex_data", [False, True])
def test_ordering_mode_products_equal_explicit_kron(complex_data):
    """T0: y = np.kron(A_1, np.kron(A_2, A_3)) x with x the C-order flattening (mode 1 slowest)."""
    factors, y, coef, noise_var, supports = make_kronecker_sparse(
        **SMALL, snr_db=None, complex=complex_data, return_supports=True, random_state=0
    )
    assert noise_var == 0.0
    assert [A.shape for A in factors] == [(3, 5), (7, 6), (4, 4)]
    assert y.shape == (3 * 7 * 4,) and coef.shape == (5 * 6 * 4,)
    assert np.iscomplexobj(y) == complex_data and all(np.iscomplexobj(A) == complex_data for A in factors)
    np.testing.assert_allclose(y, dense_kron(factors) @ coef, rtol=1e-12, atol=1e-12)
    tensor = coef.reshape(5, 6, 4)
    by_modes = np.einsum("ia,jb,kc,abc->ijk", *factors, tensor)
    np.testing.assert_allclose(y, by_modes.ravel(), rtol=1e-12, atol=1e-12)
    # The support of coef is S_1 × S_2 × S_3 in that ordering.
    expected = np.zeros((5, 6, 4), dtype=bool)
    expected[np.ix_(*supports)] = True
    np.testing.assert_array_equal(tensor != 0, expected)


@pytest.mark.parametrize("complex_data", [False, True])
def test_snr_is_the_papers_definition(complex_data):
    snr_db = 15.0
    factors, y, coef, noise_var = make_kronecker_sparse(snr_db=snr_db, complex=complex_data, random_state=3)
    clean = KroneckerOperator(factors) @ coef
    _, clean_again, _, zero = make_kronecker_sparse(snr_db=None, complex=complex_data, random_state=3)
    assert zero == 0.0
    np.testing.assert_array_equal(clean_again, clean)  # noiseless call: same factors and x
    m = clean.size
    # The defined SNR holds exactly for the returned noise variance ...
    assert np.linalg.norm(clean) ** 2 / (m * noise_var) == pytest.approx(10 ** (snr_db / 10), rel=1e-12)
    # ... and the realised noise has that variance (a Gaussian draw: ~4% spread at M = 1440).
    noise = y - clean
    assert np.linalg.norm(noise) ** 2 / (m * noise_var) == pytest.approx(1.0, abs=0.15)
    if complex_data:  # circular: half the power in each part
        assert np.mean(noise.real**2) / noise_var == pytest.approx(0.5, abs=0.1)
        assert np.mean(noise.imag**2) / noise_var == pytest.approx(0.5, abs=0.1)


def test_snr_only_rescales_the_same_noise():
    _, y_clean, _, _ = make_kronecker_sparse(**SMALL, snr_db=None, random_state=4)
    _, y_low, _, var_low = make_kronecker_sparse(**SMALL, snr_db=5.0, random_state=4)
    _, y_high, _, var_high = make_kronecker_sparse(**SMALL, snr_db=30.0, random_state=4)
    np.testing.assert_allclose((y_low - y_clean) / math.sqrt(var_low), (y_high - y_clean) / math.sqrt(var_high),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("complex_data", [False, True])
def test_factorized_values_have_rank_one_unfoldings(complex_data):
    _, _, coef, _, supports = make_kronecker_sparse(
        n_nonzero=(4, 3, 5), complex=complex_data, return_supports=True, random_state=5
    )
    tensor = coef.reshape(15, 15, 15)
    assert unfolding_ranks(tensor) == [1, 1, 1]
    assert np.count_nonzero(coef) == 4 * 3 * 5
    assert [s.size for s in supports] == [4, 3, 5]


@pytest.mark.parametrize("complex_data", [False, True])
def test_iid_values_on_a_kronecker_support(complex_data):
    _, _, coef, _, supports = make_kronecker_sparse(
        values="iid", complex=complex_data, return_supports=True, random_state=6
    )
    tensor = coef.reshape(15, 15, 15)
    indicators = [np.isin(np.arange(15), s) for s in supports]
    np.testing.assert_array_equal(tensor != 0, np.einsum("a,b,c->abc", *indicators))
    # Independent values: the unfoldings are full rank on the support, not rank one.
    assert unfolding_ranks(tensor[np.ix_(*supports)]) == [3, 3, 3]


@pytest.mark.parametrize("values", ["factorized", "iid"])
def test_supports_nest_as_n_nonzero_grows(values):
    small = make_kronecker_sparse(n_nonzero=(2, 2, 2), values=values, return_supports=True, random_state=7)
    large = make_kronecker_sparse(n_nonzero=(3, 4, 2), values=values, return_supports=True, random_state=7)
    for A_small, A_large in zip(small[0], large[0], strict=True):
        np.testing.assert_array_equal(A_small, A_large)
    for s_small, s_large in zip(small[4], large[4], strict=True):
        assert set(s_small) <= set(s_large)
    on_small = small[2] != 0
    np.testing.assert_array_equal(large[2][on_small], small[2][on_small])


def test_more_measurements_append_rows():
    short = make_kronecker_sparse(n_measurements=(6, 12, 15), complex=True, random_state=8)
    long = make_kronecker_sparse(n_measurements=(10, 12, 15), complex=True, random_state=8)
    np.testing.assert_array_equal(long[0][0][:6], short[0][0])
    np.testing.assert_array_equal(long[2], short[2])


def test_factor_entries_and_column_normalisation():
    factors, _, _, _ = make_kronecker_sparse((40,), (300,), (3,), complex=True, random_state=9)
    A = factors[0]
    assert np.mean(np.abs(A) ** 2) == pytest.approx(1.0, abs=0.03)  # CN(0, 1)
    assert abs(np.mean(A**2)) < 0.03  # circular
    assert not np.allclose(np.linalg.norm(A, axis=0), 1.0)  # unnormalised by default, as in the paper
    factors, y, coef, _ = make_kronecker_sparse(**SMALL, normalize_columns=True, snr_db=None, random_state=9)
    for A in factors:
        np.testing.assert_allclose(np.linalg.norm(A, axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(y, dense_kron(factors) @ coef, rtol=1e-12, atol=1e-12)


def test_kronecker_sparse_is_deterministic():
    first = make_kronecker_sparse(**SMALL, complex=True, return_supports=True, random_state=10)
    second = make_kronecker_sparse(**SMALL, complex=True, return_supports=True, random_state=10)
    other = make_kronecker_sparse(**SMALL, complex=True, return_supports=True, random_state=11)
    for a, b in zip(first[0], second[0], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[1], second[1])
    np.testing.assert_array_equal(first[2], second[2])
    assert first[3] == second[3]
    assert not np.array_equal(first[1], other[1])
    # A Generator is consumed, so two calls with one Generator differ.
    rng = np.random.default_rng(0)
    assert not np.array_equal(make_kronecker_sparse(**SMALL, random_state=rng)[1],
                              make_kronecker_sparse(**SMALL, random_state=rng)[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_measurements=(8, 12)), "n_measurements"),
        (dict(n_nonzero=(3, 3)), "n_nonzero"),
        (dict(n_nonzero=(3, -1, 3)), r"n_nonzero\[1\]"),
        (dict(n_nonzero=(3, 0, 3)), r"n_nonzero\[1\]"),
        (dict(n_nonzero=(3, 16, 3)), r"n_nonzero\[1\] = 16 exceeds n_features\[1\] = 15"),
        (dict(n_features=(15, 0, 15)), r"n_features\[1\]"),
        (dict(n_features=(15, 2.5, 15)), r"n_features\[1\]"),
        (dict(n_features=()), "n_features"),
        (dict(n_measurements=(8, -12, 15)), r"n_measurements\[1\]"),
        (dict(snr_db=float("nan")), "snr_db"),
        (dict(snr_db=float("inf")), "snr_db"),
        (dict(values="gaussian"), "values"),
        (dict(complex="yes"), "complex"),
    ],
)
def test_kronecker_sparse_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_kronecker_sparse(**kwargs, random_state=0)


def test_scalar_sizes_are_broadcast():
    factors, y, coef, _ = make_kronecker_sparse((6, 5), 4, 2, random_state=0)
    assert [A.shape for A in factors] == [(4, 6), (4, 5)]
    assert np.count_nonzero(coef) == 4


# --------------------------------------------------------------------------- make_irs_channel


def test_steering_and_grid():
    psi = angular_grid(18)
    assert psi[0] == -1.0 and psi[-1] == pytest.approx(1 - 2 / 18)
    D = ula_steering(8, psi)
    assert D.shape == (8, 18)
    np.testing.assert_allclose(np.linalg.norm(D, axis=0), 1.0)
    np.testing.assert_allclose(D[:, 3], np.exp(1j * np.pi * psi[3] * np.arange(8)) / np.sqrt(8))
    # The identity behind the IRS dictionary: a(ψ_a) ∘ conj(a(ψ_d)) = a(ψ_a − ψ_d)/√L.
    np.testing.assert_allclose(D[:, 5] * D[:, 2].conj(), ula_steering(8, psi[5] - psi[2]) / np.sqrt(8), atol=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_irs_dictionary_reproduces_noiseless_y_and_x_is_rank_one(seed):
    """T9, first bullet."""
    problem = make_irs_channel(random_state=seed)
    clean = problem.y_clean
    assert problem.y.shape == clean.shape == (6 * 3 * 16,)
    assert [F.shape for F in problem.factors] == [(6, 18), (3, 18), (16, 18)]
    assert relative(KroneckerOperator(problem.factors) @ problem.coef, clean) <= 1e-12
    tensor = problem.coef.reshape(problem.coef_shape)
    assert unfolding_ranks(tensor) == [1, 1, 1]
    assert np.count_nonzero(problem.coef) == 3 * 1 * 3
    expected = np.zeros(problem.coef_shape, dtype=bool)
    expected[np.ix_(*problem.supports)] = True
    np.testing.assert_array_equal(tensor != 0, expected)
    np.testing.assert_array_equal(problem.supports[0], np.sort((problem.irs_aod - problem.irs_aoa) % 18))


def test_irs_dictionary_against_dense_kron_and_measurement_ordering():
    problem = make_irs_channel(n_ms=4, n_bs=5, n_irs=16, grid=6, n_pilots=2, n_configs=3, snr_db=None,
                               random_state=3)
    assert problem.noise_var == 0.0
    np.testing.assert_array_equal(problem.y, problem.y_clean)
    D_diff, D_ms, D_bs = problem.irs_dictionary, problem.ms_dictionary, problem.bs_dictionary
    Phi_irs = problem.configurations @ D_diff  # Θᵀ D_diff (transpose, not Hermitian)
    Phi_ms = problem.pilots.T @ D_ms.conj()
    np.testing.assert_allclose(problem.factors[0], Phi_irs)
    np.testing.assert_allclose(problem.factors[1], Phi_ms)
    np.testing.assert_allclose(problem.factors[2], D_bs)
    dense = np.kron(Phi_irs, np.kron(Phi_ms, D_bs))
    assert relative(dense @ problem.coef, problem.y) <= 1e-12
    # Ordering: BS antenna fastest, then pilot, then configuration.
    blocks = problem.y.reshape(3, 2, 5)
    for k, theta in enumerate(problem.configurations):
        np.testing.assert_allclose(blocks[k], (problem.channel(theta) @ problem.pilots).T, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("seed", [0, 5])
def test_channel_from_true_coef_reproduces_the_channel(seed):
    problem = make_irs_channel(random_state=seed)
    L = problem.n_irs
    rng = np.random.default_rng(100 + seed)
    training = problem.configurations
    fresh_binary = (2.0 * rng.integers(0, 2, size=L) - 1.0) / np.sqrt(L)
    fresh_phases = np.exp(2j * np.pi * rng.random(L)) / np.sqrt(L)
    for theta in (training, fresh_binary, fresh_phases, rng.standard_normal((4, L))):
        truth = problem.channel(theta)
        estimate = problem.channel_from_coef(problem.coef, theta)
        assert estimate.shape == truth.shape
        assert relative(estimate, truth) <= 1e-12
    np.testing.assert_allclose(problem.channel_from_coef(problem.coef), problem.channel(training), atol=1e-12)
    # The note's formula with an explicit Kronecker product and the column-major vec (BS fastest).
    row = fresh_phases @ problem.irs_dictionary
    vec_h = np.kron(row[None, :], np.kron(problem.ms_dictionary.conj(), problem.bs_dictionary)) @ problem.coef
    assert relative(vec_h.reshape(problem.n_ms, problem.n_bs).T, problem.channel(fresh_phases)) <= 1e-12
    # The tensor form of coef is accepted too.
    np.testing.assert_array_equal(problem.channel_from_coef(problem.coef.reshape(problem.coef_shape), fresh_phases),
                                  problem.channel_from_coef(problem.coef, fresh_phases))


def test_channel_from_coef_with_wrapping_clusters():
    """Clusters that wrap modulo R (the difference cluster too) keep every identity."""
    wrapped = []
    for seed in range(200):
        problem = make_irs_channel(n_irs=64, random_state=seed)
        if {0, 17} <= set(problem.bs_aoa) and {0, 17} <= set(problem.supports[0]):
            wrapped = [problem]
            break
        if {0, 17} <= set(problem.bs_aoa) or {0, 17} <= set(problem.irs_aoa):
            wrapped.append(problem)
    assert wrapped
    for problem in wrapped[:5]:
        assert relative(KroneckerOperator(problem.factors) @ problem.coef, problem.y_clean) <= 1e-12
        assert channel_nmse(problem, problem.coef) <= 1e-20


def test_channel_nmse():
    problem = make_irs_channel(random_state=1)
    assert channel_nmse(problem, problem.coef) <= 1e-20
    assert channel_nmse(problem, np.zeros_like(problem.coef)) == pytest.approx(1.0)
    assert channel_nmse(problem, 1.1 * problem.coef) == pytest.approx(0.01)
    # Per-configuration normalisation: the mean of the per-θ ratios.
    perturbed = problem.coef + 0.1 * np.random.default_rng(0).standard_normal(problem.coef.size)
    truth = problem.channel(problem.configurations)
    estimate = problem.channel_from_coef(perturbed)
    ratios = [np.linalg.norm(e - t) ** 2 / np.linalg.norm(t) ** 2 for e, t in zip(estimate, truth, strict=True)]
    assert channel_nmse(problem, perturbed) == pytest.approx(np.mean(ratios), rel=1e-12)
    fresh = np.sign(np.random.default_rng(1).standard_normal((3, problem.n_irs))) / np.sqrt(problem.n_irs)
    assert channel_nmse(problem, problem.coef, configurations=fresh) <= 1e-20
    with pytest.raises(ValueError, match="coef"):
        channel_nmse(problem, problem.coef[:-1])
    with pytest.raises(ValueError, match="coef"):
        channel_nmse(problem, np.full_like(problem.coef, np.nan))
    with pytest.raises(ValueError, match="theta"):
        channel_nmse(problem, problem.coef, configurations=fresh[:, :-1])


def test_irs_training_set_up_and_snr():
    problem = make_irs_channel(snr_db=12.0, random_state=2)
    L, n_ms = problem.n_irs, problem.n_ms
    np.testing.assert_allclose(np.abs(problem.configurations), 1 / np.sqrt(L))
    np.testing.assert_allclose(np.abs(problem.pilots.real), 1 / np.sqrt(2 * n_ms))
    np.testing.assert_allclose(np.abs(problem.pilots.imag), 1 / np.sqrt(2 * n_ms))
    np.testing.assert_allclose(np.linalg.norm(problem.pilots, axis=0), 1.0)
    # The documented redraw rule: no configuration below 1% of the mean power over random configurations.
    mean_power = np.sum(np.sum(np.abs(problem.H_bs_irs) ** 2, axis=0)
                        * np.sum(np.abs(problem.H_irs_ms) ** 2, axis=1)) / L
    powers = np.sum(np.abs(problem.channel(problem.configurations)) ** 2, axis=(1, 2))
    assert np.all(powers >= 1e-2 * mean_power)
    # The channels have the stated structure: rank one, √(N L / C) scalings.
    assert np.linalg.matrix_rank(problem.H_irs_ms) == 1 and np.linalg.matrix_rank(problem.H_bs_irs) == 1
    a_ms = ula_steering(n_ms, problem.grid_angles[problem.ms_aod])
    u = ula_steering(L, problem.grid_angles[problem.irs_aoa]) @ problem.irs_gains
    np.testing.assert_allclose(problem.H_irs_ms, np.sqrt(n_ms * L / 3) * np.outer(u, a_ms.conj()), atol=1e-12)
    # SNR = ‖y_0‖²/(M σ²) exactly; the noise is complex Gaussian with variance σ².
    clean = problem.y_clean
    m = clean.size
    assert np.linalg.norm(clean) ** 2 / (m * problem.noise_var) == pytest.approx(10**1.2, rel=1e-12)
    noise = problem.y - clean
    assert np.linalg.norm(noise) ** 2 / (m * problem.noise_var) == pytest.approx(1.0, abs=0.25)
    assert np.iscomplexobj(noise) and np.mean(noise.imag**2) > 0.2 * problem.noise_var


def test_irs_common_random_numbers_and_determinism():
    base = make_irs_channel(snr_db=20.0, random_state=4)
    again = make_irs_channel(snr_db=20.0, random_state=4)
    for name in ("y", "coef", "configurations", "pilots", "H_irs_ms", "H_bs_irs"):
        np.testing.assert_array_equal(getattr(base, name), getattr(again, name))
    low = make_irs_channel(snr_db=4.0, random_state=4)
    np.testing.assert_array_equal(low.coef, base.coef)
    np.testing.assert_allclose((low.y - low.y_clean) / np.sqrt(low.noise_var),
                               (base.y - base.y_clean) / np.sqrt(base.noise_var), rtol=1e-9, atol=1e-9)
    more = make_irs_channel(n_configs=8, n_pilots=4, snr_db=20.0, random_state=4)
    np.testing.assert_array_equal(more.configurations[:6], base.configurations)
    np.testing.assert_array_equal(more.pilots[:, :3], base.pilots)
    assert not np.array_equal(make_irs_channel(random_state=5).y, base.y)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_ms=0), "n_ms"),
        (dict(n_bs=-1), "n_bs"),
        (dict(n_irs=2.5), "n_irs"),
        (dict(grid=0), "grid"),
        (dict(n_pilots=0), "n_pilots"),
        (dict(n_configs=True), "n_configs"),
        (dict(cluster_size=19), "cluster_size"),
        (dict(cluster_size=0), "cluster_size"),
        (dict(snr_db=float("nan")), "snr_db"),
    ],
)
def test_irs_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_irs_channel(**kwargs, random_state=0)


def test_irs_theta_shape_is_checked():
    problem = make_irs_channel(random_state=0)
    with pytest.raises(ValueError, match="theta"):
        problem.channel(np.ones(problem.n_irs + 1))
    with pytest.raises(ValueError, match="theta"):
        problem.channel_from_coef(problem.coef, np.ones((2, 3, problem.n_irs)))


# --------------------------------------------------------------------------- symbol_error_rate


@pytest.fixture(scope="module")
def true_channels():
    problem = make_irs_channel(random_state=0)
    return problem.channel(problem.configurations)


def test_ser_with_the_true_channel(true_channels):
    H = true_channels
    assert symbol_error_rate(H, H, 30.0, random_state=0) == 0.0
    assert symbol_error_rate(H, H, -40.0, random_state=0) == pytest.approx(0.75, abs=0.01)
    # The SNR is the post-beamforming SNR: QPSK's closed form 1 − (1 − Q(√SNR))².
    for snr_db in (0.0, 6.0):
        q = norm.sf(np.sqrt(10 ** (snr_db / 10)))
        expected = 1 - (1 - q) ** 2
        assert symbol_error_rate(H, H, snr_db, random_state=1) == pytest.approx(expected, abs=0.005)
    # Rank-one channel, perfect estimate: both SNR references coincide draw for draw.
    assert symbol_error_rate(H, H, 3.0, random_state=2) == symbol_error_rate(
        H, H, 3.0, snr_reference="channel", random_state=2
    )
    assert symbol_error_rate(H[0], H[0], 3.0, n_symbols=1000, random_state=3) == symbol_error_rate(
        H[:1], H[:1], 3.0, n_symbols=1000, random_state=3
    )


def test_ser_uses_the_estimated_gain_and_beams(true_channels):
    H = true_channels
    # A common phase error below π/4 is harmless at high SNR, a quarter turn ruins every symbol.
    assert symbol_error_rate(H, np.exp(0.5j) * H, 30.0, random_state=0) == 0.0
    assert symbol_error_rate(H, 1j * H, 30.0, random_state=0) == 1.0
    # An all-zero estimate detects by chance.
    assert symbol_error_rate(H, np.zeros_like(H), 30.0, random_state=0) == pytest.approx(0.75, abs=0.01)
    # A wrong beam direction costs gain only when the SNR is referenced to the channel.
    rng = np.random.default_rng(0)
    wrong = H + 0.7 * np.linalg.norm(H, axis=(1, 2))[:, None, None] * (
        rng.standard_normal(H.shape) + 1j * rng.standard_normal(H.shape)) / np.sqrt(2 * H[0].size)
    received = symbol_error_rate(H, wrong, 6.0, random_state=4)
    channel = symbol_error_rate(H, wrong, 6.0, snr_reference="channel", random_state=4)
    assert channel > received


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((np.ones((4, 3)), np.ones((3, 4)), 10.0), {}, "H_true has shape"),
        ((np.ones(4), np.ones(4), 10.0), {}, "H_true"),
        ((np.ones((4, 3)), np.full((4, 3), np.nan), 10.0), {}, "H_estimate"),
        ((np.ones((4, 3)), np.ones((4, 3)), float("nan")), {}, "snr_db"),
        ((np.ones((4, 3)), np.ones((4, 3)), 10.0), dict(n_symbols=0), "n_symbols"),
        ((np.ones((4, 3)), np.ones((4, 3)), 10.0), dict(snr_reference="transmit"), "snr_reference"),
    ],
)
def test_ser_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        symbol_error_rate(*args, **kwargs)


def test_qpsk_constellation():
    np.testing.assert_allclose(np.abs(QPSK), 1.0)
    assert len({(np.sign(p.real), np.sign(p.imag)) for p in QPSK}) == 4
