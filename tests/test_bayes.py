"""Kronecker-structured SBL: the research note's unit tests T0–T4 and bad input.

The statistical tests (T5–T7, T9) are in ``tests/test_bayes_statistical.py``.
"""

import pickle
from functools import reduce

import numpy as np
import pytest
from sklearn.base import clone

from sigrec.bayes import KroneckerSBL
from sigrec.bayes._kronecker_steps import (
    _am_target,
    am_m_step,
    kronecker_e_step,
    kronecker_vector,
    svd_m_step,
)
from sigrec.operators import KroneckerOperator


def _problem(rng, n_features=(4, 6, 7), n_measurements=(3, 4, 5), complex_data=False):
    def draw(shape):
        values = rng.standard_normal(shape)
        return values + 1j * rng.standard_normal(shape) if complex_data else values

    factors = [draw((m, n)) for m, n in zip(n_measurements, n_features, strict=True)]
    gammas = [rng.uniform(0.1, 2.0, n) for n in n_features]
    y = draw(n_measurements)
    return factors, gammas, y


# --------------------------------------------------------------------------- T0 ordering
def test_ordering_matches_numpy_kron():
    rng = np.random.default_rng(0)
    factors = [rng.standard_normal((3, 4)), rng.standard_normal((2, 5)), rng.standard_normal((4, 3))]
    x = np.zeros(60)
    x[[3, 17, 41]] = [1.0, -2.0, 0.5]
    dense = reduce(np.kron, factors)
    y = dense @ x
    model = KroneckerSBL(noise_var=1e-8, learn_noise=False, max_iter=5).fit(factors, y)
    np.testing.assert_allclose(model.predict(factors), dense @ model.coef_, atol=1e-10)
    np.testing.assert_allclose(model.predict(KroneckerOperator(factors)), dense @ model.coef_, atol=1e-10)
    assert model.coef_tensor_.shape == (4, 5, 3)
    np.testing.assert_array_equal(model.coef_tensor_.ravel(), model.coef_)


# --------------------------------------------------------------------------- T1 E-step
@pytest.mark.parametrize("complex_data", [False, True])
def test_fast_e_step_equals_dense(complex_data):
    rng = np.random.default_rng(1)
    factors, gammas, y = _problem(rng, complex_data=complex_data)
    noise_var = 0.3
    step = kronecker_e_step(factors, gammas, y, noise_var)
    dense = reduce(np.kron, factors)
    prior = np.diag(kronecker_vector(gammas).ravel())
    covariance_y = noise_var * np.eye(dense.shape[0]) + dense @ prior @ dense.conj().T
    inverse = np.linalg.inv(covariance_y)
    mean = prior @ dense.conj().T @ inverse @ y.ravel()
    covariance_x = prior - prior @ dense.conj().T @ inverse @ dense @ prior
    cost = np.linalg.slogdet(covariance_y)[1] + np.real(y.ravel().conj() @ inverse @ y.ravel())
    assert np.max(np.abs(step.mean.ravel() - mean)) <= 1e-9 * np.max(np.abs(mean))
    assert np.max(np.abs(step.variance.ravel() - np.real(np.diag(covariance_x)))) <= 1e-9 * np.max(np.diag(prior))
    assert abs(step.cost - cost) <= 1e-9 * abs(cost)
    assert abs(step.residual_energy - np.linalg.norm(y.ravel() - dense @ mean) ** 2) <= 1e-9 * np.sum(np.abs(y) ** 2)


# --------------------------------------------------------------------------- T2 M-step
def _q(second_moment, gammas):
    prior = kronecker_vector(gammas)
    return float(np.sum(np.log(prior) + second_moment / prior))


def test_m_steps_recover_a_kronecker_second_moment_exactly():
    rng = np.random.default_rng(2)
    parts = [rng.uniform(0.1, 2.0, n) for n in (4, 6, 7)]
    second_moment = kronecker_vector(parts)
    start = [np.ones(4), np.ones(6), np.ones(7)]
    am, _ = am_m_step(second_moment, start, inner_tol=0.0, inner_max_iter=500)
    assert np.max(np.abs(kronecker_vector(am) - second_moment)) <= 1e-10 * np.max(second_moment)
    assert np.max(np.abs(kronecker_vector(svd_m_step(second_moment)) - second_moment)) <= 1e-10 * np.max(second_moment)


def test_am_sweeps_never_increase_q_and_end_stationary():
    rng = np.random.default_rng(3)
    second_moment = rng.uniform(0.05, 3.0, (4, 6, 7))  # not a Kronecker product
    gammas = [np.ones(4), np.ones(6), np.ones(7)]
    values = [_q(second_moment, gammas)]
    for _ in range(60):
        gammas, _ = am_m_step(second_moment, gammas, inner_max_iter=1)
        values.append(_q(second_moment, gammas))
    assert np.all(np.diff(values) <= 1e-12 * np.abs(values[:-1]))
    gammas, _ = am_m_step(second_moment, gammas, inner_tol=0.0, inner_max_iter=2000)
    for mode in range(3):  # γ_i equals its own AM target: a stationary point of Q
        target = _am_target(second_moment, gammas, mode, np.finfo(float).tiny)
        np.testing.assert_allclose(gammas[mode] / np.linalg.norm(gammas[mode]),
                                   target / np.linalg.norm(target), rtol=1e-8)


# --------------------------------------------------------------------------- T3 monotone cost
def test_am_cost_is_monotone_with_known_noise_and_no_pruning():
    rng = np.random.default_rng(4)
    factors = [rng.standard_normal((m, n)) for m, n in ((4, 6), (5, 7), (6, 8))]
    x = np.zeros((6, 7, 8))
    x[np.ix_([1, 4], [0, 5], [2, 3, 7])] = rng.standard_normal((2, 2, 3))
    y = reduce(np.kron, factors) @ x.ravel()
    y = y + 0.05 * rng.standard_normal(y.shape)
    model = KroneckerSBL(method="am", noise_var=0.0025, learn_noise=False, prune=0.0, max_iter=300, tol=0.0,
                         inner_tol=1e-12, inner_max_iter=500)
    with pytest.warns(Warning, match="relative change of gamma"):
        model.fit(factors, y)
    costs = model.cost_history_
    assert len(costs) == 300
    assert np.all(np.diff(costs) <= 1e-9 * np.abs(costs[:-1])), np.max(np.diff(costs))


# --------------------------------------------------------------------------- T4 invariances
@pytest.mark.parametrize("method", ["svd", "am"])
def test_scaling_and_permutation_invariance(method):
    rng = np.random.default_rng(5)
    factors = [rng.standard_normal((m, n)) for m, n in ((5, 8), (6, 9), (4, 6))]
    x = np.zeros((8, 9, 6))
    x[np.ix_([2, 5], [1, 7], [0, 4])] = rng.standard_normal((2, 2, 2)) + 2.0
    y = reduce(np.kron, factors) @ x.ravel() + 1e-3 * rng.standard_normal(120)
    options = {"method": method, "noise_var": 1e-6, "learn_noise": False}
    base = KroneckerSBL(**options).fit(factors, y)
    scales = (2.0, 0.5, 3.0)
    scaled = KroneckerSBL(**options).fit([c * a for c, a in zip(scales, factors, strict=True)], y)
    np.testing.assert_allclose(scaled.coef_ * np.prod(scales), base.coef_, atol=1e-6 * np.max(np.abs(base.coef_)))
    order = rng.permutation(9)
    permuted = KroneckerSBL(**options).fit([factors[0], factors[1][:, order], factors[2]], y)
    np.testing.assert_allclose(permuted.coef_tensor_[:, np.argsort(order), :], base.coef_tensor_,
                               atol=1e-6 * np.max(np.abs(base.coef_)))


def test_recovers_noiseless_kronecker_support_all_methods():
    rng = np.random.default_rng(6)
    factors = [rng.standard_normal((m, n)) for m, n in ((6, 10), (7, 12))]
    x = np.zeros((10, 12))
    x[np.ix_([1, 4, 7], [3, 8])] = rng.standard_normal((3, 2)) + np.sign(rng.standard_normal((3, 2)))
    y = factors[0] @ x @ factors[1].T
    for method in ("svd", "am", "ksbl"):
        model = KroneckerSBL(method=method, noise_var=1e-8, learn_noise=False, max_iter=300).fit(factors, y.ravel())
        error = np.linalg.norm(model.coef_ - x.ravel()) / np.linalg.norm(x)
        assert error < 1e-3, (method, error)
        assert [list(s) for s in model.mode_supports_] == [[1, 4, 7], [3, 8]], method


def test_pattern_coupled_recovers_block_supports():
    # PC-KroSBL favours runs of neighbouring indices (angular spread): blocks of 3 and 2.
    rng = np.random.default_rng(16)
    factors = [rng.standard_normal((m, n)) for m, n in ((8, 16), (7, 12))]
    x = np.zeros((16, 12))
    x[np.ix_([5, 6, 7], [3, 4])] = rng.standard_normal((3, 2)) + 2 * np.sign(rng.standard_normal((3, 2)))
    y = (factors[0] @ x @ factors[1].T).ravel()
    y = y + 1e-2 * np.linalg.norm(y) / np.sqrt(y.size) * rng.standard_normal(y.size)
    model = KroneckerSBL(method="pc", beta=0.5, max_iter=300).fit(factors, y)
    error = np.linalg.norm(model.coef_ - x.ravel()) / np.linalg.norm(x)
    assert error < 0.05, error


def test_safeguard_keeps_the_lower_cost_solution():
    rng = np.random.default_rng(7)
    factors = [rng.standard_normal((m, n)) for m, n in ((5, 9), (6, 10))]
    x = np.zeros((9, 10))
    x[np.ix_([0, 6], [2, 5, 9])] = rng.standard_normal((2, 3))
    y = (factors[0] @ x @ factors[1].T).ravel() + 0.01 * rng.standard_normal(30)
    svd = KroneckerSBL(method="svd", noise_var=1e-4, learn_noise=False).fit(factors, y)
    am = KroneckerSBL(method="am", noise_var=1e-4, learn_noise=False).fit(factors, y)
    guarded = KroneckerSBL(method="svd", safeguard=True, noise_var=1e-4, learn_noise=False).fit(factors, y)
    chosen = svd if guarded.method_used_ == "svd" else am
    np.testing.assert_allclose(guarded.coef_, chosen.coef_)
    assert guarded.method_used_ in ("svd", "am")


# --------------------------------------------------------------------------- input and contract
def test_bad_input_is_named():
    rng = np.random.default_rng(8)
    factors = [rng.standard_normal((3, 4)), rng.standard_normal((5, 6))]
    y = rng.standard_normal(15)
    with pytest.raises(ValueError, match="multiply out to 15 rows.*16"):
        KroneckerSBL().fit(factors, np.ones(16))
    bad = y.copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        KroneckerSBL().fit(factors, bad)
    with pytest.raises(ValueError, match="noise_var"):
        KroneckerSBL(noise_var=-1.0).fit(factors, y)
    with pytest.raises(ValueError, match="factor 1"):
        KroneckerSBL().fit([factors[0], np.ones(6)], y)
    with pytest.raises(ValueError, match="at least one factor"):
        KroneckerSBL().fit([], y)
    model = KroneckerSBL(max_iter=3).fit(factors, y)
    with pytest.raises(ValueError, match="expecting 24 features"):
        model.predict([factors[0]])


def test_clone_pickle_and_determinism():
    rng = np.random.default_rng(9)
    factors = [rng.standard_normal((4, 6)) + 1j * rng.standard_normal((4, 6)), rng.standard_normal((5, 7))]
    y = rng.standard_normal(20) + 1j * rng.standard_normal(20)
    y_before = y.copy()
    model = KroneckerSBL(max_iter=20)
    with np.errstate(all="ignore"):
        first = clone(model).fit(factors, y)
        second = clone(model).fit(factors, y)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    assert np.iscomplexobj(first.coef_)
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(factors), first.predict(factors))


@pytest.mark.parametrize("complex_data", [False, True])
def test_torch_backend_matches_numpy_on_cpu(complex_data):
    pytest.importorskip("torch")
    from sigrec.datasets import make_kronecker_sparse

    factors, y, _, noise_var = make_kronecker_sparse((8, 9, 10), (5, 6, 7), 2, complex=complex_data,
                                                     random_state=3)
    for method in ("svd", "am"):
        reference = KroneckerSBL(method=method, noise_var=noise_var, learn_noise=False).fit(factors, y)
        on_torch = KroneckerSBL(method=method, noise_var=noise_var, learn_noise=False, backend="torch",
                                device="cpu").fit(factors, y)
        assert on_torch.n_iter_ == reference.n_iter_
        np.testing.assert_allclose(on_torch.coef_, reference.coef_, atol=1e-10 * np.max(np.abs(reference.coef_)))
        np.testing.assert_allclose(on_torch.cost_history_, reference.cost_history_, rtol=1e-10)
