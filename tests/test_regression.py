"""Sparse regression on random supports: the research note's acceptance tests and bad input.

Thresholds are from ``research/slr_random_supports.md`` §6 (about 2x slack
over the note's calibration). The note asks for 20 seeds; comparisons that
need scikit-learn's LassoCV (25-50 s per fit at N = 400, d = 1000 on these
ill-conditioned designs, where its coordinate descent hits max_iter) use the
median of 3 seeds to fit the CI budget (the gaps they check are 3-20x; the
20-seed figures are in docs/regression.md); checks of Phase 1 alone use 20. The statistical tests
share their draws through a cache and run in one xdist group (one worker).
"""

import functools
import warnings

import numpy as np
import pytest

from sigrec.datasets.regression import DESIGNS, make_sparse_regression
from sigrec.regression import RandomSupportRegression, SubspacePeeling
from sigrec.regression.baselines import METHODS, cosamp, iht, oracle_ols

N, D, K, SIGMA = 400, 1000, 10, 0.5
COMPARISON_SEEDS = range(3)
# One worker runs all statistical tests so the cached draws are shared (make test uses --dist loadgroup).
STATISTICAL = pytest.mark.xdist_group("slr_statistical")


def prediction_error(X, coef_true, coef, intercept):
    """In-sample (1/N)‖X(ŵ − w*)‖² including the intercept."""
    return float(np.mean((X @ coef + intercept - X @ coef_true) ** 2))


@functools.cache
def run(method, design, signal, n_samples=N, seed=0):
    """(in-sample, out-of-sample) error of one method on one draw; cached, tests share draws."""
    X, y, coef_true, covariance = make_sparse_regression(
        design, signal, n_samples=n_samples, n_features=D, n_informative=K, noise=SIGMA, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method in METHODS:
            coef, intercept = METHODS[method][0](X, y, n_informative=K, noise=SIGMA, random_state=seed)
        else:
            model = RandomSupportRegression(random_state=seed).fit(X, y)
            coef, intercept = model.coef_, model.intercept_
    return prediction_error(X, coef_true, coef, intercept), covariance.quadratic(coef - coef_true)


def medians(methods, design, signal, seeds=COMPARISON_SEEDS, n_samples=N):
    results = {m: np.array([run(m, design, signal, n_samples, s) for s in seeds]) for m in methods}
    return {m: (np.median(r[:, 0]), np.median(r[:, 1])) for m, r in results.items()}


# --- 1. no-op on benign designs ----------------------------------------------------------


@pytest.mark.parametrize("design", ["iid", "ar1"])
def test_benign_designs_peel_nothing_and_equal_plain_lasso(design):
    peeled = []
    for n_samples in (100, 200, 400):
        for seed in range(20):
            X, *_ = make_sparse_regression(design, "worst", n_samples=n_samples, n_features=D, random_state=seed)
            peeled.append(sum(SubspacePeeling(n_probes=0).fit(X - X.mean(axis=0)).levels_))
    assert np.mean(np.array(peeled) == 0) >= 0.95
    # Same folds (same random_state): the union dictionary without peeled atoms is the plain pipeline.
    X, y, *_ = make_sparse_regression(design, "worst", n_samples=200, n_features=D, random_state=1)
    rsp = RandomSupportRegression(random_state=3).fit(X, y)
    plain = RandomSupportRegression(max_levels=0, random_state=3).fit(X, y)
    assert rsp.peeling_.levels_ == []
    prediction, reference = rsp.predict(X), plain.predict(X)
    assert np.linalg.norm(prediction - reference) <= 1e-8 * np.linalg.norm(reference)


# --- 2-7, 13. repair of ill-conditioned designs ------------------------------------------


@STATISTICAL
def test_factor_repair():
    result = medians(["rsp_union", "rsp_peel", "lasso_cv"], "one_factor", "worst")
    for method in ("rsp_union", "rsp_peel"):
        assert result[method][0] <= 0.10, result
        assert result[method][0] <= 0.5 * result["lasso_cv"][0], result
        # Test 13 (out of sample). Threshold from a 20-seed run (2026-11-28): RSP 0.060-0.062 vs LassoCV 0.387.
        assert result[method][1] <= 0.5 * result["lasso_cv"][1], result


@STATISTICAL
def test_hierarchy_two_scale():
    result = medians(["rsp_union", "rsp_peel", "lasso_cv"], "two_scale", "worst")
    assert result["lasso_cv"][0] >= 0.5, result
    for method in ("rsp_union", "rsp_peel"):
        assert result[method][0] <= 0.08, result
        # Test 13. Threshold from a 20-seed run (2026-11-28): RSP 0.051-0.054 vs LassoCV 1.09 out of sample.
        assert result[method][1] <= 0.5 * result["lasso_cv"][1], result
    # Test 7's negative half: LassoCV does not halve its error from N = 100 to N = 400 here.
    small = medians(["lasso_cv"], "two_scale", "worst", n_samples=100)["lasso_cv"][0]
    assert result["lasso_cv"][0] > 0.5 * small, (small, result)


def test_numerical_range_two_scale_extreme():
    errors = []
    for seed in COMPARISON_SEEDS:
        X, y, coef_true, _ = make_sparse_regression("two_scale_extreme", "worst", n_samples=N, n_features=D,
                                                    random_state=seed)
        model = RandomSupportRegression(random_state=seed).fit(X, y)
        assert np.all(np.isfinite(model.coef_)) and np.isfinite(model.intercept_)
        errors.append(prediction_error(X, coef_true, model.coef_, model.intercept_))
    assert np.median(errors) <= 0.08


@STATISTICAL
def test_random_walk_absolute_level():
    # The absolute half of the note's test 5; its relative half is the xfail below.
    result = medians(["rsp_union"], "random_walk", "worst")
    assert result["rsp_union"][0] <= 0.08, result


@STATISTICAL
@pytest.mark.xfail(
    strict=True,
    reason="the note's test 5 margins are not reached by sigrec's reconstruction. Measured 2026-11-28 on "
    "random_walk/worst, N=400, d=1000, 20 seeds (medians): RSP-union 0.059 in-sample / 0.066 out-of-sample, "
    "LassoCV 0.049 / 0.060, OMP-CV 0.063 / 0.072 (note's prototype: RSP 0.036, LassoCV 0.159, OMP-CV 0.087). "
    "With the default sparsity hint N/(2 ln d) = 29, Phase 1 peels ~30 random-walk directions where the "
    "prototype peeled ~10. Checked here against OMP-CV only (LassoCV costs ~35 s per fit).",
)
def test_random_walk_margin_over_omp_cv():
    result = medians(["rsp_union", "omp_cv"], "random_walk", "worst")
    assert result["rsp_union"][0] <= 0.7 * result["omp_cv"][0], result


@STATISTICAL
def test_no_large_regression_on_benign_correlation():
    result = medians(["rsp_union", "lasso_cv"], "random_walk", "random")
    assert result["rsp_union"][0] <= 2.5 * result["lasso_cv"][0], result


@STATISTICAL
@pytest.mark.parametrize("design", ["one_factor", "two_scale", "random_walk"])
def test_learning_curve(design):
    small = medians(["rsp_union"], design, "worst", n_samples=100)["rsp_union"][0]
    large = medians(["rsp_union"], design, "worst", n_samples=400)["rsp_union"][0]
    assert large <= 0.5 * small, (small, large)


# --- 8. structure recovery ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("design", "expected"),
    [("one_factor", [[1]]), ("block_factors", [[5]]), ("two_scale", [[1, 4], [1, 5]]), ("iid", [[]])],
)
def test_structure_recovery(design, expected):
    hits = 0
    for seed in range(20):
        X, *_ = make_sparse_regression(design, "random", n_samples=N, n_features=D, random_state=seed)
        levels = SubspacePeeling(n_probes=0).fit(X - X.mean(axis=0)).levels_
        hits += levels in expected if design == "iid" else levels[: len(expected[0])] in expected
    assert hits >= 18


# --- 9. bookkeeping identities -----------------------------------------------------------


@pytest.mark.parametrize("design", ["one_factor", "two_scale", "random_walk", "two_scale_extreme"])
def test_bookkeeping_identities(design):
    X, y, *_ = make_sparse_regression(design, "worst", n_samples=200, n_features=500, random_state=0)
    Xc = X - X.mean(axis=0)
    peeling = SubspacePeeling(random_state=0).fit(Xc)
    factors, residual = Xc @ peeling.atoms_, peeling.residual_columns(Xc)
    n, r = Xc.shape[0], factors.shape[1]
    assert r > 0
    np.testing.assert_allclose(factors.T @ factors / n, np.eye(r), atol=1e-8)
    assert np.abs(residual.T @ factors).max() <= 1e-8 * n
    alive = peeling.alive_
    np.testing.assert_allclose(np.linalg.norm(residual[:, alive], axis=0), np.sqrt(n), rtol=1e-8)
    dictionary = peeling.transform(Xc)
    rng = np.random.default_rng(1)
    coefficients = rng.standard_normal(dictionary.shape[1])
    # X P = Z: the coefficient map reproduces the dictionary's fitted values.
    mapped = Xc @ peeling.coefficient_map(coefficients)
    assert np.linalg.norm(mapped - dictionary @ coefficients) <= 1e-8 * np.linalg.norm(dictionary @ coefficients)
    model = RandomSupportRegression(random_state=0).fit(X, y)
    union = np.hstack([Xc / model.peeling_.column_scale_, model.peeling_.transform(Xc)])
    fitted = union @ model.dictionary_coef_
    assert np.linalg.norm(Xc @ model.coef_ - fitted) <= 1e-8 * np.linalg.norm(fitted)


# --- 10. invariances ---------------------------------------------------------------------


def test_column_scaling_and_permutation_invariance():
    X, y, *_ = make_sparse_regression("one_factor", "worst", n_samples=120, n_features=150, random_state=4)
    rng = np.random.default_rng(5)
    params = dict(alpha=0.02, tol=1e-12, max_iter=100_000, random_state=0)
    reference = RandomSupportRegression(**params).fit(X, y)
    scales = rng.uniform(0.1, 10, X.shape[1])
    scaled = RandomSupportRegression(**params).fit(X * scales, y)
    np.testing.assert_allclose(scaled.predict(X * scales), reference.predict(X), rtol=1e-8, atol=1e-8)
    order = rng.permutation(X.shape[1])
    permuted = RandomSupportRegression(**params).fit(X[:, order], y)
    np.testing.assert_allclose(permuted.coef_, reference.coef_[order], rtol=1e-6, atol=1e-8)


# --- 11. scope control -------------------------------------------------------------------


@STATISTICAL
def test_scope_adversarial_pair_supports_defeat_every_method():
    for seed in range(2):
        X, y, coef_true, _ = make_sparse_regression(
            "near_duplicate_pairs", "worst", n_samples=N, n_features=D, support="pairs", random_state=seed
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in ("rsp_union", "lasso_cv", "omp_cv"):
                coef, intercept = METHODS[name][0](X, y, n_informative=K, noise=SIGMA, random_state=seed)
                assert prediction_error(X, coef_true, coef, intercept) >= 0.5, name
    random_support = np.median([run("rsp_union", "near_duplicate_pairs", "worst", seed=s)[0] for s in range(3)])
    assert random_support <= 0.08


# --- estimator details -------------------------------------------------------------------


def test_refit_options_and_attributes():
    X, y, coef_true, _ = make_sparse_regression("two_scale", "worst", n_samples=300, n_features=400, random_state=6)
    for refit in (False, True, "cv"):
        model = RandomSupportRegression(refit=refit, dictionary="peel", random_state=0).fit(X, y)
        assert model.cv_mse_.shape == (40, 2 if refit == "cv" else 1)
        assert model.alpha_ in model.alphas_
        assert prediction_error(X, coef_true, model.coef_, model.intercept_) < 0.1
        if refit is True:
            assert model.refit_
    fixed = RandomSupportRegression(alpha=0.01).fit(X, y)
    assert fixed.alpha_ == 0.01 and fixed.cv_mse_ is None


def test_intercept_and_predict_use_the_original_features():
    X, y, coef_true, _ = make_sparse_regression("one_factor", "worst", n_samples=200, n_features=300, random_state=7)
    shifted_X, shifted_y = X + 3.0, y + 5.0
    model = RandomSupportRegression(random_state=0).fit(shifted_X, shifted_y)
    np.testing.assert_allclose(model.predict(shifted_X), shifted_X @ model.coef_ + model.intercept_)
    assert prediction_error(X, coef_true, model.coef_, model.intercept_ - 5.0 + 3.0 * model.coef_.sum()) < 0.2
    no_intercept = RandomSupportRegression(fit_intercept=False, random_state=0).fit(X, y)
    assert no_intercept.intercept_ == 0.0


def test_zero_and_constant_columns_get_zero_weight():
    X, y, *_ = make_sparse_regression("one_factor", "worst", n_samples=150, n_features=200, random_state=8)
    X = X.copy()
    X[:, 3], X[:, 7] = 0.0, 2.5  # a zero and a constant (zero after centring) column
    model = RandomSupportRegression(random_state=0).fit(X, y)
    assert model.coef_[3] == 0.0 and model.coef_[7] == 0.0
    assert np.all(np.isfinite(model.coef_))


def test_sparsity_hint_must_be_below_n_samples():
    X, y, *_ = make_sparse_regression("iid", "random", n_samples=50, n_features=80, random_state=9)
    with pytest.raises(ValueError, match="sparsity_hint must be smaller than n_samples=50"):
        RandomSupportRegression(sparsity_hint=50).fit(X, y)
    with pytest.raises(ValueError, match="sparsity_hint"):
        SubspacePeeling(sparsity_hint=0).fit(X)


def test_peeling_never_sees_y_and_transforms_new_rows():
    X, y, *_ = make_sparse_regression("two_scale", "random", n_samples=200, n_features=300, random_state=10)
    first = SubspacePeeling(random_state=0).fit(X, y)
    second = SubspacePeeling(random_state=0).fit(X, -y)
    np.testing.assert_array_equal(first.atoms_, second.atoms_)
    new_rows = np.random.default_rng(1).standard_normal((7, 300))
    manual = new_rows @ np.hstack([first.atoms_, first._apply_map(np.eye(300))])
    np.testing.assert_allclose(first.transform(new_rows), manual, rtol=1e-9, atol=1e-9)
    assert first.support_conditioning_["after"] > 10 * first.support_conditioning_["before"]


def test_greedy_baselines_recover_a_well_conditioned_support():
    X, y, coef_true, _ = make_sparse_regression("iid", "random", n_samples=200, n_features=400, noise=0.01,
                                                random_state=11)
    support = np.flatnonzero(coef_true)
    for coef, intercept in (iht(X, y, K), cosamp(X, y, K), oracle_ols(X, y, support)):
        assert prediction_error(X, coef_true, coef, intercept) < 1e-3


# --- generator ---------------------------------------------------------------------------


@pytest.mark.parametrize("design", DESIGNS)
def test_generator_contract_and_covariance(design):
    n, d = 4000, 12
    X, y, coef, covariance = make_sparse_regression(design, "random", n_samples=n, n_features=d, n_informative=4,
                                                    random_state=12)
    assert X.shape == (n, d) and y.shape == (n,) and np.count_nonzero(coef) == 4
    assert np.mean((X @ coef) ** 2) == pytest.approx(1.0)
    dense = covariance.toarray()
    np.testing.assert_allclose(dense, dense.T, atol=1e-12)
    # The sample covariance estimates Σ: entries within 5 standard errors (|Σ_ij| ≤ ~1 here).
    np.testing.assert_allclose(X.T @ X / n, dense, atol=5 * np.sqrt(2.0 / n) * max(1.0, np.abs(dense).max()))
    v = np.random.default_rng(0).standard_normal(d)
    assert covariance.quadratic(v) == pytest.approx(v @ dense @ v)


def test_generator_signals_and_errors():
    X, y, coef, _ = make_sparse_regression("one_factor", "cancel", n_samples=200, n_features=300, random_state=13)
    assert abs(coef.sum()) < 1e-8 * np.abs(coef).sum()  # the factor component is removed
    with pytest.raises(ValueError, match="factor design"):
        make_sparse_regression("iid", "cancel")
    with pytest.raises(ValueError, match="design must be one of"):
        make_sparse_regression("banded")
    with pytest.raises(ValueError, match="n_informative"):
        make_sparse_regression(n_samples=5, n_features=10, n_informative=6)
    with pytest.raises(ValueError, match="noise"):
        make_sparse_regression(noise=float("nan"))
    X, y, coef, _ = make_sparse_regression("near_duplicate_pairs", support="pairs", n_samples=50, n_features=40,
                                           n_informative=4, random_state=14)
    support = np.flatnonzero(coef)
    np.testing.assert_array_equal(support[1::2], support[0::2] + 1)
