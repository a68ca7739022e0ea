"""Classic EM-SBL (SparseBayesianRegression), Kronecker OMP and the oracle least-squares baseline."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sigrec.bayes._classic import SparseBayesianRegression, _e_step, _e_step_direct, _e_step_woodbury
from sigrec.bayes.baselines import KroneckerOMP, kronecker_columns, oracle_least_squares
from sigrec.operators import KroneckerOperator


def _draw(rng, shape, is_complex):
    values = rng.standard_normal(shape)
    if is_complex:
        values = (values + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)
    return values


def _sparse_problem(seed, is_complex, n_samples=50, n_features=100, n_nonzero=5, snr_db=30.0):
    rng = np.random.default_rng(seed)
    A = _draw(rng, (n_samples, n_features), is_complex)
    support = np.sort(rng.choice(n_features, n_nonzero, replace=False))
    x = np.zeros(n_features, dtype=A.dtype)
    x[support] = _draw(rng, n_nonzero, is_complex)
    clean = A @ x
    noise_var = np.linalg.norm(clean) ** 2 / n_samples / 10 ** (snr_db / 10)
    y = clean + np.sqrt(noise_var) * _draw(rng, n_samples, is_complex)
    return A, y, x, support, noise_var


def _nmse(estimate, truth):
    return np.linalg.norm(estimate - truth) ** 2 / np.linalg.norm(truth) ** 2


def _dense_e_step(A, y, gamma, noise_var):
    covariance = noise_var * np.eye(A.shape[0]) + (A * gamma) @ A.conj().T
    gain = np.linalg.solve(covariance, A) * gamma  # Σ_y⁻¹ A Γ
    posterior = np.diag(gamma) - gamma[:, None] * (A.conj().T @ gain)
    mean = gain.conj().T @ y
    cost = np.linalg.slogdet(covariance)[1] + np.real(np.vdot(y, np.linalg.solve(covariance, y)))
    return mean, np.real(np.diag(posterior)), cost


# ----------------------------------------------------------------------------- SBL E-step


@pytest.mark.parametrize("is_complex", [False, True])
@pytest.mark.parametrize("n_features", [70, 25])
def test_e_step_forms_agree(is_complex, n_features):
    rng = np.random.default_rng(4)
    A = _draw(rng, (40, n_features), is_complex)
    y = _draw(rng, 40, is_complex)
    gamma = rng.uniform(0.05, 2.0, n_features)
    gamma[:3] = [1e-6, 1e-3, 10.0]
    woodbury = _e_step_woodbury(A, y, gamma, 0.2)
    direct = _e_step_direct(A, y, gamma, 0.2)
    dense = _dense_e_step(A, y, gamma, 0.2)
    for first, second, third in zip(woodbury, direct, dense, strict=True):
        scale = np.max(np.abs(third))
        assert np.max(np.abs(first - second)) <= 1e-10 * scale
        assert np.max(np.abs(first - third)) <= 1e-10 * scale
    assert np.all(woodbury[1] >= 0) and np.all(direct[1] <= gamma * (1 + 1e-12))
    # the dispatcher picks the cheaper form and matches both
    for first, second in zip(_e_step(A, y, gamma, 0.2), direct, strict=True):
        assert np.allclose(first, second, rtol=1e-10, atol=1e-12)


def test_e_step_direct_uses_given_gram():
    rng = np.random.default_rng(5)
    A, y, gamma = rng.standard_normal((30, 10)), rng.standard_normal(30), rng.uniform(0.1, 1, 10)
    given = _e_step_direct(A, y, gamma, 0.5, A.T @ A, A.T @ y)
    for first, second in zip(given, _e_step_direct(A, y, gamma, 0.5), strict=True):
        assert np.allclose(first, second, rtol=1e-12)


# ----------------------------------------------------------------------------- SBL fit


@pytest.mark.parametrize("is_complex", [False, True])
def test_sbl_recovers_sparse_vector_close_to_oracle(is_complex):
    ratios, sbl, oracle = [], [], []
    for seed in range(5):
        A, y, x, support, noise_var = _sparse_problem(seed, is_complex)
        model = SparseBayesianRegression().fit(A, y)
        assert model.coef_.shape == (100,)
        assert np.iscomplexobj(model.coef_) == is_complex
        sbl.append(_nmse(model.coef_, x))
        oracle.append(_nmse(oracle_least_squares([A], y, support), x))
        ratios.append(model.noise_var_ / noise_var)
        assert model.converged_ and model.n_iter_ < 150
        assert set(support) <= set(model.support_)
        np.testing.assert_array_equal(model.coef_[np.setdiff1d(np.arange(100), model.support_)], 0)
    assert np.median(sbl) <= 3 * np.median(oracle)
    assert all(0.5 <= ratio <= 2.0 for ratio in ratios), ratios


def test_sbl_known_noise_and_attributes():
    A, y, x, support, noise_var = _sparse_problem(11, False)
    model = SparseBayesianRegression(noise_var=noise_var, learn_noise=False).fit(A, y)
    assert model.noise_var_ == pytest.approx(noise_var)
    assert _nmse(model.coef_, x) <= 3 * _nmse(oracle_least_squares(A, y, support), x)
    np.testing.assert_array_equal(model.support_, np.flatnonzero(model.gammas_))
    assert model.gammas_.shape == model.sigma_diag_.shape == (100,)
    assert np.all(model.sigma_diag_ >= 0) and np.all(model.sigma_diag_ <= model.gammas_)
    assert model.cost_history_.shape == (model.n_iter_,)
    assert model.intercept_ == 0.0 and model.n_features_in_ == 100
    np.testing.assert_allclose(model.predict(A), A @ model.coef_)


@pytest.mark.parametrize("is_complex", [False, True])
def test_em_cost_does_not_increase_with_known_noise(is_complex):
    A, y, _, _, noise_var = _sparse_problem(2, is_complex)
    model = SparseBayesianRegression(noise_var=noise_var, learn_noise=False, prune=0.0, max_iter=50, tol=0.0)
    with pytest.warns(ConvergenceWarning, match="did not converge after 50 iterations"):
        model.fit(A, y)
    cost = model.cost_history_
    assert cost.shape == (50,) and model.n_iter_ == 50 and not model.converged_
    increases = np.diff(cost) - 1e-9 * np.abs(cost[:-1])
    assert np.all(increases <= 0), increases.max()
    assert cost[-1] < cost[0]
    assert model.support_.size == 100  # nothing pruned


def test_overdetermined_design_uses_coefficient_space_and_matches_least_squares():
    rng = np.random.default_rng(7)
    A = rng.standard_normal((80, 30))
    x = np.zeros(30)
    x[[2, 9, 20]] = [1.0, -2.0, 0.5]
    y = A @ x + 1e-3 * rng.standard_normal(80)
    model = SparseBayesianRegression().fit(A, y)
    np.testing.assert_array_equal(model.support_, [2, 9, 20])
    np.testing.assert_allclose(model.coef_, oracle_least_squares(A, y, [2, 9, 20]), atol=1e-5)


def test_fit_intercept_and_complex_intercept():
    A, y, x, _, _ = _sparse_problem(3, True)
    model = SparseBayesianRegression(fit_intercept=True).fit(A, y + (2.0 - 1.0j))
    assert isinstance(model.intercept_, complex)
    assert abs(model.intercept_ - (2.0 - 1.0j)) < 0.1
    assert _nmse(model.coef_, x) < 1e-2
    np.testing.assert_allclose(model.predict(A), A @ model.coef_ + model.intercept_)


def test_real_design_complex_target():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((40, 60))
    x = np.zeros(60, dtype=complex)
    x[[4, 33]] = [1 + 1j, -2j]
    model = SparseBayesianRegression().fit(A, A @ x + 1e-3 * _draw(rng, 40, True))
    assert np.iscomplexobj(model.coef_)
    np.testing.assert_array_equal(model.support_, [4, 33])


def test_zero_target_and_zero_columns():
    rng = np.random.default_rng(9)
    A = rng.standard_normal((20, 30))
    model = SparseBayesianRegression().fit(A, np.zeros(20))
    assert model.support_.size == 0 and np.all(model.coef_ == 0) and model.n_iter_ == 0
    A[:, 5] = 0.0
    model = SparseBayesianRegression().fit(A, A[:, [1, 7]] @ np.array([1.0, 2.0]))
    assert 5 not in model.support_ and model.gammas_[5] == 0


def test_max_iter_warns():
    A, y, *_ = _sparse_problem(0, False)
    with pytest.warns(ConvergenceWarning, match="SparseBayesianRegression did not converge after 2"):
        model = SparseBayesianRegression(max_iter=2).fit(A, y)
    assert model.n_iter_ == 2 and not model.converged_


def test_sbl_bad_input():
    A, y, *_ = _sparse_problem(0, False)
    with pytest.raises(NotFittedError):
        SparseBayesianRegression().predict(A)
    bad = y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SparseBayesianRegression().fit(A, bad)
    with pytest.raises(ValueError, match="noise_var"):
        SparseBayesianRegression(noise_var=-1.0).fit(A, y)
    with pytest.raises(ValueError, match="requires noise_var"):
        SparseBayesianRegression(learn_noise=False).fit(A, y)
    with pytest.raises(ValueError, match="prune"):
        SparseBayesianRegression(prune=1.5).fit(A, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SparseBayesianRegression().fit(A[:-1], y)
    model = SparseBayesianRegression().fit(A, y)
    with pytest.raises(ValueError, match="X has 99 features"):
        model.predict(A[:, :99])


def test_sbl_clone_pickle_determinism():
    A, y, *_ = _sparse_problem(1, True)
    first = SparseBayesianRegression(prune=1e-4)
    second = clone(first)
    A_before, y_before = A.copy(), y.copy()
    first.fit(A, y)
    second.fit(A, y)
    np.testing.assert_array_equal(A, A_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.cost_history_, second.cost_history_)
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(A), first.predict(A))
    assert clone(first).get_params() == first.get_params()


# ----------------------------------------------------------------------------- Kronecker baselines


def _kronecker_problem(seed, is_complex, n=(8, 8, 8), m=(6, 6, 6), k=(2, 2, 2)):
    rng = np.random.default_rng(seed)
    factors = [_draw(rng, (mi, ni), is_complex) for mi, ni in zip(m, n, strict=True)]
    supports = [np.sort(rng.choice(ni, ki, replace=False)) for ni, ki in zip(n, k, strict=True)]
    tensor = np.zeros(n, dtype=factors[0].dtype)
    tensor[np.ix_(*supports)] = _draw(rng, k, is_complex)
    y = KroneckerOperator(factors) @ tensor.ravel()
    return factors, y, tensor, supports


def _dense_kron(factors):
    dense = factors[0]
    for factor in factors[1:]:
        dense = np.kron(dense, factor)
    return dense


@pytest.mark.parametrize("is_complex", [False, True])
def test_kronecker_columns_and_oracle(is_complex):
    factors, y, tensor, _ = _kronecker_problem(0, is_complex)
    dense = _dense_kron(factors)
    picks = [0, 17, 100, 511]
    np.testing.assert_allclose(kronecker_columns(factors, picks), dense[:, picks], atol=1e-14)
    np.testing.assert_allclose(dense @ tensor.ravel(), y, atol=1e-12)
    support = np.flatnonzero(tensor.ravel())
    recovered = oracle_least_squares(KroneckerOperator(factors), y, support)
    np.testing.assert_allclose(recovered, tensor.ravel(), atol=1e-12)
    mask = tensor.ravel() != 0
    np.testing.assert_allclose(oracle_least_squares(factors, y.reshape(6, 6, 6), mask), tensor.ravel(), atol=1e-12)
    assert np.all(oracle_least_squares(factors, y, []) == 0)


@pytest.mark.parametrize("is_complex", [False, True])
@pytest.mark.parametrize("as_operator", [False, True])
def test_komp_recovers_noiseless_kronecker_sparse_vector(is_complex, as_operator):
    factors, y, tensor, supports = _kronecker_problem(1 + is_complex, is_complex)
    X = KroneckerOperator(factors) if as_operator else factors
    model = KroneckerOMP().fit(X, y)
    for found, true in zip(model.mode_supports_, supports, strict=True):
        np.testing.assert_array_equal(found, true)
    np.testing.assert_allclose(model.coef_, tensor.ravel(), atol=1e-12)
    assert model.coef_tensor_.shape == (8, 8, 8)
    np.testing.assert_array_equal(model.support_, np.flatnonzero(tensor.ravel()))
    assert model.relative_residual_ < 1e-12 and 1 <= model.n_iter_ <= 6
    np.testing.assert_allclose(model.predict(factors), y, atol=1e-12)
    assert np.iscomplexobj(model.coef_) == is_complex


@pytest.mark.parametrize("is_complex", [False, True])
def test_komp_equals_dense_least_squares_on_its_support(is_complex):
    factors, y, _, _ = _kronecker_problem(4, is_complex)
    rng = np.random.default_rng(0)
    noisy = y + 0.05 * np.linalg.norm(y) / np.sqrt(y.size) * _draw(rng, y.size, is_complex)
    model = KroneckerOMP(tol=0.0, max_atoms_per_mode=3).fit(factors, noisy)
    assert [s.size for s in model.mode_supports_] == [3, 3, 3]
    dense = _dense_kron(factors)
    expected = np.zeros(512, dtype=model.coef_.dtype)
    expected[model.support_] = np.linalg.lstsq(dense[:, model.support_], noisy, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, expected, atol=1e-12)
    residual = np.linalg.norm(noisy - dense @ model.coef_) / np.linalg.norm(noisy)
    assert model.relative_residual_ == pytest.approx(residual, rel=1e-10)


def test_komp_caps_and_single_mode():
    factors, y, _, _ = _kronecker_problem(5, False)
    model = KroneckerOMP(tol=0.0, max_atoms_per_mode=(1, 4, 2)).fit(factors, y + 0.1)
    assert [s.size for s in model.mode_supports_] == [1, 4, 2]
    assert KroneckerOMP(tol=0.0, max_iter=2).fit(factors, y + 0.1).n_iter_ == 2
    # a plain 2-D array is a one-mode problem, i.e. ordinary OMP
    rng = np.random.default_rng(6)
    A = rng.standard_normal((20, 40))
    x = np.zeros(40)
    x[[3, 30]] = [1.0, -1.0]
    single = KroneckerOMP().fit(A, A @ x)
    np.testing.assert_array_equal(single.support_, [3, 30])
    np.testing.assert_allclose(single.coef_, x, atol=1e-12)


def test_komp_zero_target():
    factors, y, _, _ = _kronecker_problem(5, False)
    model = KroneckerOMP().fit(factors, np.zeros_like(y))
    assert model.n_iter_ == 0 and model.support_.size == 0 and np.all(model.coef_ == 0)
    assert np.all(model.predict(factors) == 0)


def test_komp_bad_input():
    factors, y, _, _ = _kronecker_problem(0, False)
    with pytest.raises(NotFittedError):
        KroneckerOMP().predict(factors)
    bad = y.copy()
    bad[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        KroneckerOMP().fit(factors, bad)
    with pytest.raises(ValueError, match="shape"):
        KroneckerOMP().fit(factors, y[:-1])
    with pytest.raises(ValueError, match="max_atoms_per_mode"):
        KroneckerOMP(max_atoms_per_mode=(2, 2)).fit(factors, y)
    with pytest.raises(ValueError, match="tol"):
        KroneckerOMP(tol=-1.0).fit(factors, y)
    with pytest.raises(ValueError, match="factor 1"):
        KroneckerOMP().fit([factors[0], np.ones(3), factors[2]], y)
    model = KroneckerOMP().fit(factors, y)
    with pytest.raises(ValueError, match="columns"):
        model.predict(factors[:2])
    with pytest.raises(ValueError, match="support indices"):
        oracle_least_squares(factors, y, [512])


def test_komp_clone_pickle_determinism():
    factors, y, _, _ = _kronecker_problem(7, True)
    noisy = y + 0.01 * _draw(np.random.default_rng(1), y.size, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = KroneckerOMP(max_atoms_per_mode=4).fit(factors, noisy)
    second = clone(first).fit(factors, noisy)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(factors), first.predict(factors))
    assert clone(first).get_params() == {"max_atoms_per_mode": 4, "tol": 1e-2, "noise_var": None, "max_iter": None}


def test_komp_noise_level_stop():
    from sigrec.datasets import make_kronecker_sparse

    errors_noise, errors_tol, sizes_noise, sizes_tol = [], [], [], []
    for seed in range(5):
        factors, y, coef, noise_var = make_kronecker_sparse(snr_db=25.0, random_state=40 + seed)
        by_tol = KroneckerOMP().fit(factors, y)
        by_noise = KroneckerOMP(noise_var=noise_var).fit(factors, y)
        errors_tol.append(np.sum((by_tol.coef_ - coef) ** 2) / np.sum(coef ** 2))
        errors_noise.append(np.sum((by_noise.coef_ - coef) ** 2) / np.sum(coef ** 2))
        sizes_tol.append(by_tol.support_.size)
        sizes_noise.append(by_noise.support_.size)
    # The relative-residual stop never triggers at 25 dB: KOMP runs to its per-mode caps
    # (10, or M_1 = 8 for the first mode).
    assert min(sizes_tol) >= 800
    assert np.median(sizes_noise) < np.median(sizes_tol)
    assert np.median(errors_noise) < np.median(errors_tol)
