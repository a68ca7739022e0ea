"""sigrec.coding: the note's acceptance tests T1-T5, T7, dictionary learning, bad input.

T6 (natural patches at matched sparsity) lives in test_coding_patches.py.
"""

import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sigrec.coding import (
    PENALTIES,
    LqDictionaryLearning,
    LqSparseCoder,
    alpha_for_sparsity,
    penalty_value,
    prox,
    sparse_encode,
    zero_threshold,
)
from sigrec.coding._estimators import _GramCache
from sigrec.coding._prox import PENALTY_CODES, scalar_prox
from sigrec.coding._proximal_gradient import objective, proximal_gradient

# ----------------------------------------------------------------- T1 prox correctness
GRID = np.linspace(-8.0, 8.0, 320_001)  # spacing 5e-5


def _one_dimensional_objective(penalty, u, v, tau, step, norm):
    if penalty == "cel0":
        return 0.5 * (u - v) ** 2 + step * penalty_value("cel0", u[:, None], tau / step, norm)
    return 0.5 * (u - v) ** 2 + tau * penalty_value(penalty, u[:, None], 1.0)


@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("tau", [0.02, 0.3, 1.5])
def test_prox_is_the_brute_force_minimiser(penalty, tau):
    step, norm = 0.6, 1.1  # cel0: a^2 eta = 0.726 < 1
    values = np.linspace(-5, 5, 101)
    out = prox(penalty, values, tau, step=step, column_norms=norm)
    threshold = float(zero_threshold(penalty, tau, step=step, column_norms=norm))
    for v, u in zip(values, out, strict=True):
        grid_values = _one_dimensional_objective(penalty, GRID, v, tau, step, norm)
        reached = _one_dimensional_objective(penalty, np.array([u]), v, tau, step, norm)[0]
        assert reached <= grid_values.min() + 1e-9
        if abs(abs(v) - threshold) > 1e-3:  # away from the tie at the threshold, the minimiser is unique
            assert abs(u - GRID[np.argmin(grid_values)]) <= 1e-4


def _mcp_prox(v, step, alpha, gamma):
    # Minimax concave penalty prox (Zhang 2010), written independently of sigrec's CEL0.
    magnitude = np.abs(v)
    middle = np.sign(v) * (magnitude - alpha * step) / (1.0 - step / gamma)
    return np.where(magnitude <= alpha * step, 0.0, np.where(magnitude > alpha * gamma, v, middle))


def test_cel0_equals_mcp_prox():
    values = np.linspace(-4, 4, 2001)
    for lam, step, norm in [(0.1, 0.5, 1.0), (0.4, 0.2, 1.7), (1.0, 0.9, 0.8)]:
        expected = _mcp_prox(values, step, norm * math.sqrt(2 * lam), 1.0 / norm**2)
        np.testing.assert_allclose(prox("cel0", values, lam * step, step=step, column_norms=norm), expected, atol=1e-12)


def _xu_half_threshold(v, lam_mu):
    # Xu, Chang, Xu & Zhang (2012), eq. for the half thresholding function, with lambda*mu given.
    threshold = (54 ** (1 / 3) / 4) * lam_mu ** (2 / 3)
    with np.errstate(divide="ignore"):
        scaled = (lam_mu / 8) * (np.abs(v) / 3) ** (-1.5)
    phi = np.arccos(scaled, where=np.abs(v) > threshold, out=np.zeros_like(v))
    return np.where(np.abs(v) > threshold, (2 / 3) * v * (1 + np.cos(2 * np.pi / 3 - 2 * phi / 3)), 0.0)


def test_half_threshold_matches_xu_with_lambda_mu_equal_two_tau():
    values = np.linspace(-6, 6, 4001)
    for tau in (0.05, 0.4, 2.0):
        np.testing.assert_allclose(prox("l1/2", values, tau), _xu_half_threshold(values, 2 * tau), atol=1e-10)


@pytest.mark.parametrize("penalty", PENALTIES)
def test_numba_scalar_prox_matches_numpy(penalty):
    values = np.linspace(-5, 5, 1001)
    for tau, step, norm in [(0.1, 1.0, 0.9), (0.7, 0.4, 1.3), (0.3, 2.0, 1.0)]:
        expected = prox(penalty, values, tau, step=step, column_norms=norm)
        got = [scalar_prox(PENALTY_CODES[penalty], v, tau, norm**2 * step) for v in values]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- T2 thresholds and jumps
@pytest.mark.parametrize("penalty", PENALTIES)
def test_zero_threshold_and_jumps(penalty):
    tau, step, norm = 0.5, 0.5, 1.2
    threshold = float(zero_threshold(penalty, tau, step=step, column_norms=norm))
    below, above = threshold * (1 - 1e-9), threshold * (1 + 1e-9)
    out_below, out_above = prox(penalty, np.array([below, above]), tau, step=step, column_norms=norm)
    assert out_below == 0.0 and out_above != 0.0
    jumps = penalty in ("l0", "l1/2", "l2/3")
    assert (abs(out_above) > 0.1 * threshold) == jumps
    expected = {
        "l1": tau,
        "l0": math.sqrt(2 * tau),
        "l1/2": 1.5 * tau ** (2 / 3),
        "l2/3": 2 * (2 * tau / 3) ** 0.75,
        "cel0": math.sqrt(2 * tau / step) * norm * step,
    }[penalty]
    assert threshold == pytest.approx(expected, rel=1e-12)


def test_cel0_is_identity_beyond_the_knee_and_hard_when_curvature_exceeds_one():
    lam, step, norm = 0.3, 0.5, 1.2
    knee = math.sqrt(2 * lam) / norm
    beyond = np.array([knee * 1.0001, 2.5, -3.0])
    np.testing.assert_array_equal(prox("cel0", beyond, lam * step, step=step, column_norms=norm), beyond)
    # a^2 eta = 1.44 * 1 >= 1: hard threshold at sqrt(2 lam eta), never a division by <= 0
    values = np.linspace(-3, 3, 601)
    np.testing.assert_array_equal(
        prox("cel0", values, lam * 1.0, step=1.0, column_norms=norm), prox("l0", values, lam * 1.0)
    )


# ----------------------------------------------------------------- problems
def _synthetic(seed, n_samples=400, n_features=64, n_components=128, sparsity=6, noise=0.02):
    """The note's T4 set-up: Gaussian unit-norm atoms, k-sparse codes with |c| in [1, 2]."""
    rng = np.random.default_rng(seed)
    dictionary = rng.standard_normal((n_components, n_features))
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    codes = np.zeros((n_samples, n_components))
    for row in codes:
        support = rng.choice(n_components, sparsity, replace=False)
        row[support] = rng.uniform(1, 2, sparsity) * rng.choice([-1, 1], sparsity)
    signals = codes @ dictionary + noise * rng.standard_normal((n_samples, n_features))
    return signals, dictionary, codes


# ----------------------------------------------------------------- T3 monotone descent
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("accelerated", [False, True])
def test_proximal_gradient_never_increases_the_objective(penalty, accelerated):
    signals, dictionary, _ = _synthetic(1, n_samples=20)
    cache = _GramCache(dictionary)
    correlations = signals @ dictionary.T
    norms2 = np.einsum("ij,ij->i", signals, signals)
    alpha = {"l1": 0.3, "l0": 0.1, "l1/2": 0.3, "l2/3": 0.3, "cel0": 0.1}[penalty]
    previous = None
    for n_iter in range(1, 41):
        codes, _, _ = proximal_gradient(
            cache.gram, correlations, norms2, np.zeros_like(correlations), penalty=penalty, alpha=alpha,
            step=(1.0 if penalty == "l1" else 0.99) / cache.lipschitz, column_norms=cache.column_norms,
            max_iter=n_iter, tol=0.0, accelerated=accelerated,
        )
        value = objective(norms2, correlations, codes @ cache.gram, codes, penalty, alpha, cache.column_norms)
        if previous is not None:
            assert np.all(value <= previous + 1e-10 * np.abs(previous))
        previous = value


@pytest.mark.parametrize("penalty", PENALTIES)
def test_coordinate_descent_never_increases_the_objective(penalty):
    signals, dictionary, _ = _synthetic(2, n_samples=20)
    coder = LqSparseCoder(dictionary, penalty=penalty, alpha=0.2, solver="cd", tol=0.0).fit(signals)
    previous = None
    for sweeps in range(1, 15):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            codes = coder.set_params(max_iter=sweeps).transform(signals)
        # CD minimises exactly per coordinate, so it descends CEL0 and l0 objectives alike
        value = coder.objective(signals, codes)
        if previous is not None:
            assert np.all(value <= previous + 1e-10 * np.abs(previous))
        previous = value


# ----------------------------------------------------------------- numba kernel vs numpy twin
def test_working_set_cd_matches_cyclic_cd_for_l1():
    signals, dictionary, _ = _synthetic(3, n_samples=50)
    fast = sparse_encode(signals, dictionary, penalty="l1", alpha=0.2, solver="cd", engine="numba", tol=1e-10)
    twin = sparse_encode(signals, dictionary, penalty="l1", alpha=0.2, solver="cd", engine="numpy", tol=1e-10,
                         max_iter=5000)
    np.testing.assert_allclose(fast, twin, atol=1e-7)


@pytest.mark.parametrize("penalty", ["l0", "l1/2", "l2/3", "cel0"])
@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_coordinate_descent_ends_at_coordinatewise_minima(penalty, engine):
    signals, dictionary, _ = _synthetic(4, n_samples=40)
    alpha = 0.15
    codes = sparse_encode(signals, dictionary, penalty=penalty, alpha=alpha, solver="cd", engine=engine,
                          tol=1e-12, max_iter=5000)
    gram = dictionary @ dictionary.T
    residual_corr = signals @ dictionary.T - codes @ gram
    diag = np.diag(gram)
    exact = "l0" if penalty == "cel0" else penalty  # exact coordinate minimisation of CEL0 is l0's
    fixed = prox(exact, codes + residual_corr / diag, alpha / diag)
    np.testing.assert_allclose(fixed, codes, atol=1e-6)


@pytest.mark.parametrize("solver", ["ista", "fista"])
def test_proximal_gradient_reaches_the_unique_l1_solution_found_by_cd(solver):
    # l1 is strictly convex here (unique minimiser): every solver must land on it.
    signals, dictionary, _ = _synthetic(5, n_samples=30)
    reference = sparse_encode(signals, dictionary, penalty="l1", alpha=0.2, solver="cd", tol=1e-12, max_iter=5000)
    codes = sparse_encode(signals, dictionary, penalty="l1", alpha=0.2, solver=solver, tol=1e-12, max_iter=20_000)
    np.testing.assert_allclose(codes, reference, atol=1e-7)


# ----------------------------------------------------------------- T4 support recovery at matched sparsity
def _support_stats(estimate, truth):
    exact = np.mean([np.array_equal(np.flatnonzero(e), np.flatnonzero(t)) for e, t in zip(estimate, truth,
                                                                                            strict=True)])
    return exact, np.linalg.norm(estimate - truth) / np.linalg.norm(truth)


@pytest.mark.slow
def test_t4_support_recovery_at_matched_sparsity():
    signals, dictionary, truth = _synthetic(0)
    stats = {}
    for penalty in ("l1", "l1/2", "cel0"):
        alpha, reached = alpha_for_sparsity(signals, dictionary, 6, penalty=penalty, tolerance=0.15 / 6)
        assert abs(reached - 6) <= 0.15
        codes = sparse_encode(signals, dictionary, penalty=penalty, alpha=alpha)
        stats[penalty] = _support_stats(codes, truth)
    for penalty in ("cel0", "l1/2"):
        exact, error = stats[penalty]
        assert exact >= 0.9 and error <= 0.1, (penalty, stats[penalty])
    exact_l1, error_l1 = stats["l1"]
    assert exact_l1 <= 0.9 and error_l1 >= 0.3, stats["l1"]  # shrinkage bias of l1
    assert stats["cel0"][0] >= exact_l1 + 0.1


# ----------------------------------------------------------------- T5 CEL0 vs IHT on the l0 objective
@pytest.mark.slow
@pytest.mark.parametrize("lam", [0.05, 0.2, 0.5])
def test_t5_cel0_reaches_lower_l0_objective_than_iht(lam):
    signals, dictionary, _ = _synthetic(6, n_samples=200)
    options = {"alpha": lam, "solver": "ista", "max_iter": 1000, "tol": 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cel0 = sparse_encode(signals, dictionary, penalty="cel0", **options)
        iht = sparse_encode(signals, dictionary, penalty="l0", **options)

    def l0_objective(codes):
        residual = signals - codes @ dictionary
        return 0.5 * np.einsum("ij,ij->i", residual, residual) + lam * np.count_nonzero(codes, axis=1)

    assert np.mean(l0_objective(cel0) <= l0_objective(iht) + 1e-12) >= 0.9


# ----------------------------------------------------------------- T7 agreement with scikit-learn
def test_t7_l1_matches_sklearn_lasso_cd():
    from sklearn.decomposition import SparseCoder

    signals, dictionary, _ = _synthetic(7, n_samples=200)
    alpha = 0.3
    ours = sparse_encode(signals, dictionary, penalty="l1", alpha=alpha, tol=1e-10)
    theirs = SparseCoder(dictionary, transform_algorithm="lasso_cd", transform_alpha=alpha,
                         transform_max_iter=10_000).transform(signals)

    def l1_objective(codes):
        residual = signals - codes @ dictionary
        return 0.5 * np.einsum("ij,ij->i", residual, residual) + alpha * np.abs(codes).sum(axis=1)

    np.testing.assert_allclose(l1_objective(ours), l1_objective(theirs), rtol=1e-4)
    same_support = [np.array_equal(np.flatnonzero(a), np.flatnonzero(b)) for a, b in zip(ours, theirs, strict=True)]
    assert np.mean(same_support) >= 0.99


# ----------------------------------------------------------------- estimator behaviour
def test_coder_recovers_exact_combination_and_warm_start():
    _, dictionary, _ = _synthetic(8, n_samples=1)
    signal = (2.0 * dictionary[3] - 1.5 * dictionary[77])[None]
    for penalty in PENALTIES:
        coder = LqSparseCoder(dictionary, penalty=penalty, alpha=0.01).fit(signal)
        codes = coder.transform(signal)
        assert set(np.flatnonzero(np.abs(codes[0]) > 0.05)) == {3, 77}, penalty
    warm = LqSparseCoder(dictionary, alpha=0.01, warm_start=True).fit(signal)
    np.testing.assert_allclose(warm.transform(signal, init=codes), warm.transform(signal), atol=1e-6)
    with pytest.raises(ValueError, match="warm_start"):
        LqSparseCoder(dictionary).fit(signal).transform(signal, init=codes)


def test_convergence_warning_is_raised_and_quantitative():
    signals, dictionary, _ = _synthetic(9, n_samples=30)
    expected = r"LqSparseCoder: \d+ of 30 samples did not reach tol=0.0001 within max_iter=2"
    with pytest.warns(ConvergenceWarning, match=expected):
        LqSparseCoder(dictionary, penalty="l1/2", alpha=0.05, solver="ista", max_iter=2).fit_transform(signals)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        LqSparseCoder(dictionary, penalty="l1", alpha=0.3).fit_transform(signals)


def test_bad_input_errors():
    signals, dictionary, _ = _synthetic(10, n_samples=5)
    broken = dictionary.copy()
    broken[4] = 0.0
    with pytest.raises(ValueError, match=r"zero norm \(rows \[4\]\)"):
        LqSparseCoder(broken).fit(signals)
    with pytest.raises(ValueError, match="zero norm"):
        sparse_encode(signals, broken)
    with pytest.raises(ValueError, match="NaN"):
        LqSparseCoder(dictionary).fit(np.where(np.arange(64) == 3, np.nan, signals))
    with pytest.raises(ValueError, match="alpha"):
        LqSparseCoder(dictionary, alpha=-1.0).fit(signals)
    with pytest.raises(ValueError, match="penalty"):
        LqSparseCoder(dictionary, penalty="l3").fit(signals)
    with pytest.raises(ValueError, match="unknown penalty"):
        prox("l3", np.ones(3), 0.1)
    with pytest.raises(ValueError, match="X has 10 features but the dictionary atoms have 64"):
        sparse_encode(np.ones((2, 10)), dictionary)
    with pytest.raises(ValueError, match="NaN"):
        LqSparseCoder(np.full((3, 64), np.nan)).fit(signals)
    with pytest.raises(ValueError, match="0 feature|0 sample"):
        LqSparseCoder(np.ones((0, 64))).fit(signals)
    with pytest.raises(ValueError, match="target_l0"):
        alpha_for_sparsity(signals, dictionary, 500)
    with pytest.raises(ValueError, match="tau"):
        prox("l1", np.ones(3), -0.1)


# ----------------------------------------------------------------- dictionary learning
@pytest.mark.slow
@pytest.mark.parametrize("penalty", ["l1", "cel0"])
def test_dictionary_learning_lowers_held_out_error_with_unit_atoms(penalty):
    from sigrec.datasets import load_natural_patches

    train = load_natural_patches(8, 6000, split="train", random_state=0)
    test = load_natural_patches(8, 300, split="test", random_state=1)
    alpha = {"l1": 0.15, "cel0": 0.02}[penalty]
    learner = LqDictionaryLearning(64, penalty=penalty, alpha=alpha, batch_size=100, n_iter=1, random_state=0)
    learner.fit(train[:100])

    def held_out_error():
        codes = learner.transform(test)
        return np.sum((test - codes @ learner.components_) ** 2) / np.sum(test**2)

    start = held_out_error()
    for step in range(80):
        learner.partial_fit(train[100 * (step % 60) : 100 * (step % 60) + 100])
    end = held_out_error()
    assert end < 0.8 * start, (start, end)
    np.testing.assert_allclose(np.linalg.norm(learner.components_, axis=1), 1.0, atol=1e-12)
    assert learner.n_iter_ == 81


def test_power_thresholds_are_identity_at_zero_tau_and_accurate_for_small_tau():
    tiny = np.array([1e-300, -2.0, 3.5])
    for penalty in ("l1/2", "l2/3"):
        np.testing.assert_allclose(prox(penalty, tiny, 0.0), tiny, rtol=1e-15, atol=0)
        assert scalar_prox(PENALTY_CODES[penalty], 1e-300, 0.0, 1.0) == 1e-300
    # l2/3 root satisfies its optimality condition u - v + (2/3) tau sign(u) |u|^(-1/3) = 0 to rounding,
    # relative to |v|, from tiny tau to magnitudes where v^4 would overflow
    values = np.concatenate([np.linspace(0.5, 5, 50), [1e100, 1e200]])
    for tau in (1e-6, 0.013, 0.5):
        for u in (prox("l2/3", values, tau), [scalar_prox(PENALTY_CODES["l2/3"], v, tau, 1.0) for v in values]):
            u = np.asarray(u)
            kept = u != 0
            residual = u[kept] - values[kept] + (2 / 3) * tau * np.abs(u[kept]) ** (-1 / 3)
            assert np.all(np.isfinite(u)) and np.max(np.abs(residual) / values[kept]) < 1e-13
