"""Blind gain calibration: the research note's acceptance tests 1-9, kernels and bad input.

Thresholds come from ``research/blind_calibration.md`` §6 (measured by an
independent prototype, with one trial or ~1.5 dB of margin).
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sigrec.calibration import (
    BlindGainCalibration,
    LinearizedGainCalibration,
    dct_basis,
    exact_line_step,
    project_mean_one_box,
)
from sigrec.calibration._design import back_projection, row_weights
from sigrec.calibration._estimators import _cubic_real_roots
from sigrec.calibration._kernels import gradients
from sigrec.calibration.baselines import gain_blind_least_squares, lifted_nuclear_norm, oracle_least_squares
from sigrec.datasets import make_calibration_problem, make_calibration_scene

SUCCESS = 1e-4


def relative_error(estimate, truth):
    return np.linalg.norm(estimate - truth) / np.linalg.norm(truth)


def calibration_error(model, signal, gains):
    return max(relative_error(model.coef_, signal), relative_error(model.gains_, gains))


def loss(design, signal, gains, target, sensors, weights):
    residual = gains[sensors] * (design @ signal) - target
    return 0.5 * np.sum(weights * residual**2)


# --- 1. gradients ------------------------------------------------------------------------


def test_gradients_match_central_finite_differences():
    rng = np.random.default_rng(0)
    n, m, p = 16, 8, 4
    X, y, sensors, _, _ = make_calibration_problem(n, m, p, rho=0.5, snr_db=20, random_state=rng)
    weights = row_weights(sensors, m)
    signal, gains = rng.standard_normal(n), 1 + 0.3 * rng.uniform(-1, 1, m)
    grad_signal, grad_gains, value = gradients(X, X @ signal, gains, y, sensors, weights, m)
    assert value == pytest.approx(loss(X, signal, gains, y, sensors, weights), rel=1e-12)
    step = 1e-6
    numeric_signal = np.array(
        [
            (loss(X, signal + step * e, gains, y, sensors, weights) - loss(X, signal - step * e, gains, y, sensors,
                                                                            weights)) / (2 * step)
            for e in np.eye(n)
        ]
    )
    numeric_gains = np.array(
        [
            (loss(X, signal, gains + step * e, y, sensors, weights) - loss(X, signal, gains - step * e, y, sensors,
                                                                            weights)) / (2 * step)
            for e in np.eye(m)
        ]
    )
    assert relative_error(grad_signal, numeric_signal) < 1e-6
    # The projected gain gradient is the finite-difference gradient restricted to Σγ = m.
    projected, numeric_projected = grad_gains - grad_gains.mean(), numeric_gains - numeric_gains.mean()
    assert relative_error(projected, numeric_projected) < 1e-6


# --- 2. initialisation -------------------------------------------------------------------


def test_back_projection_is_unbiased_with_the_predicted_spread():
    n, m, p = 64, 32, 8
    rng = np.random.default_rng(2)
    _, _, sensors, signal, gains = make_calibration_problem(n, m, p, rho=0.5, random_state=rng)
    weights = row_weights(sensors, m)
    draws = []
    for _ in range(200):
        X = rng.standard_normal((m * p, n))
        draws.append(back_projection(X, gains[sensors] * (X @ signal), weights))
    draws = np.array(draws)
    assert relative_error(draws.mean(axis=0), signal) < 0.05
    predicted = np.sqrt(n / (m * p))
    single = relative_error(draws[0], signal)
    assert 0.5 * predicted <= single <= 1.5 * predicted
    # Also over all draws (the first one is not special).
    typical = np.median([relative_error(d, signal) for d in draws])
    assert 0.5 * predicted <= typical <= 1.5 * predicted


def test_back_projection_weights_irregular_designs_per_sensor():
    # Unequal row counts per sensor: weights 1/(m·rows of the sensor) keep the estimate unbiased.
    rng = np.random.default_rng(3)
    n, m = 32, 4
    counts = np.array([4, 8, 16, 32])
    sensors = np.repeat(np.arange(m), counts)
    signal, gains = rng.standard_normal(n), np.array([0.6, 0.8, 1.2, 1.4])
    weights = row_weights(sensors, m)
    np.testing.assert_allclose(np.bincount(sensors, weights), np.full(m, 1 / m))
    mean = np.mean(
        [
            back_projection(X, gains[sensors] * (X @ signal), weights)
            for X in (rng.standard_normal((sensors.size, n)) for _ in range(300))
        ],
        axis=0,
    )
    assert relative_error(mean, signal) < 0.05


# --- 3. constraint -----------------------------------------------------------------------


@pytest.mark.parametrize("gain_bound", [None, 0.55])
def test_gains_keep_mean_one_and_the_box_after_every_iteration(gain_bound):
    n, m, p, rho = 64, 32, 8, 0.5
    X, y, sensors, _, _ = make_calibration_problem(n, m, p, rho=rho, random_state=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for n_iter in range(1, 26):
            model = BlindGainCalibration(max_iter=n_iter, gain_bound=gain_bound).fit(X, y, sensors)
            assert model.n_iter_ == n_iter
            assert abs(model.gains_.sum() - m) < 1e-9 * m
            if gain_bound is not None:
                assert np.all(np.abs(model.gains_ - 1) <= gain_bound + 1e-12)


def test_box_projection_is_the_euclidean_projection():
    rng = np.random.default_rng(5)
    for _ in range(50):
        m, rho = int(rng.integers(2, 40)), float(rng.uniform(0.05, 0.95))
        v = 1 + rng.standard_normal(m) * rng.uniform(0.1, 3)
        projected = project_mean_one_box(v, rho)
        assert projected.sum() == pytest.approx(m, rel=1e-12)
        assert np.all(projected >= 1 - rho - 1e-12) and np.all(projected <= 1 + rho + 1e-12)
        # Optimality: for any feasible point z, <v − P(v), z − P(v)> ≤ 0.
        for _ in range(20):
            z = project_mean_one_box(1 + rng.uniform(-rho, rho, m), rho)
            assert (v - projected) @ (z - projected) <= 1e-9 * (1 + np.linalg.norm(v))
    inside = project_mean_one_box(np.array([0.9, 1.1, 1.0]), 0.5)
    np.testing.assert_allclose(inside, [0.9, 1.1, 1.0])


# --- 4. noiseless exact recovery ---------------------------------------------------------


@pytest.mark.parametrize("step", ["line_search", 0.5])
def test_noiseless_exact_recovery(step):
    errors, iterations = [], []
    for seed in range(10):
        X, y, sensors, signal, gains = make_calibration_problem(64, 32, 16, rho=0.5, random_state=seed)
        model = BlindGainCalibration(step=step, max_iter=1000).fit(X, y, sensors)
        errors.append(calibration_error(model, signal, gains))
        iterations.append(model.n_iter_)
        assert model.converged_
    assert max(errors) < 1e-6
    assert max(iterations) <= 1000


# --- 5. no false success below the counting bound ----------------------------------------


def test_no_false_success_below_the_counting_bound():
    # mp = 64 < n + m − 1 = 71: the problem is not identifiable.
    for seed in range(8):
        X, y, sensors, signal, gains = make_calibration_problem(64, 8, 8, rho=0.5, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pgd = BlindGainCalibration(max_iter=500).fit(X, y, sensors)
        linear = LinearizedGainCalibration().fit(X, y, sensors)
        assert calibration_error(pgd, signal, gains) > 1e-2
        assert calibration_error(linear, signal, gains) > 1e-2


# --- 6. phase-transition location --------------------------------------------------------


def _phase_transition_cells(n=64):
    for rho in (0.1, 0.5):
        for m in (4, 8, 16, 32, 64):
            for p in (1, 2, 3, 4, 6, 8, 16, 32):
                yield rho, m, p


@pytest.mark.filterwarnings("ignore:linearised least squares returned non-positive:RuntimeWarning")
def test_phase_transition_location():
    n, trials = 64, 8
    for rho, m, p in _phase_transition_cells(n):
        counting = m * p >= n + m - 1
        pgd_must_succeed = m * p >= 2 * (n + m) and p >= 3
        pgd_successes = linear_successes = 0
        for trial in range(trials):
            seed = np.random.SeedSequence([int(10 * rho), m, p, trial])
            X, y, sensors, signal, gains = make_calibration_problem(n, m, p, rho=rho, random_state=seed)
            linear = LinearizedGainCalibration().fit(X, y, sensors)
            linear_successes += calibration_error(linear, signal, gains) < SUCCESS
            if pgd_must_succeed or not counting:
                # Below the bound success is impossible, so a short run suffices to check the metric.
                max_iter = 2000 if counting else 200
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    pgd = BlindGainCalibration(max_iter=max_iter).fit(X, y, sensors)
                pgd_successes += calibration_error(pgd, signal, gains) < SUCCESS
        cell = f"rho={rho}, m={m}, p={p}"
        assert linear_successes == (trials if counting and p >= 2 else 0), cell
        if pgd_must_succeed:
            assert pgd_successes >= trials - 1, cell
        if not counting:
            assert pgd_successes == 0, cell


# --- 7. noise ----------------------------------------------------------------------------


def test_noise_close_to_oracle_with_unit_slope():
    n, m, p, trials = 64, 32, 16, 10
    snrs = (20, 30, 40, 60)
    medians = {}
    for snr in snrs:
        pgd, oracle, blind = [], [], []
        for seed in range(trials):
            X, y, sensors, signal, gains = make_calibration_problem(
                n, m, p, rho=0.5, snr_db=snr, random_state=1000 * snr + seed
            )
            model = BlindGainCalibration(tol=1e-10).fit(X, y, sensors)
            pgd.append(20 * np.log10(relative_error(model.coef_, signal)))
            oracle.append(20 * np.log10(relative_error(oracle_least_squares(X, y, sensors, gains), signal)))
            blind.append(20 * np.log10(relative_error(gain_blind_least_squares(X, y), signal)))
        medians[snr] = np.median(pgd), np.median(oracle), np.median(blind)
    pgd30, oracle30, blind30 = medians[30]
    assert pgd30 <= oracle30 + 1.5
    assert pgd30 <= blind30 - 15
    slope = -np.polyfit(snrs, [medians[s][0] for s in snrs], 1)[0]
    assert 0.9 <= slope <= 1.1


# --- 8. subspace priors ------------------------------------------------------------------


def test_single_snapshot_recovery_with_subspace_priors():
    n, k, m, h = 256, 16, 64, 4
    gain_basis = dct_basis(m, h)
    successes = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        signal_basis = np.linalg.qr(rng.standard_normal((n, k)))[0]
        X, y, sensors, signal, gains = make_calibration_problem(
            n, m, 1, rho=0.5, signal_basis=signal_basis, gain_basis=gain_basis, random_state=rng
        )
        model = BlindGainCalibration(signal_basis=signal_basis, gain_basis=gain_basis, max_iter=1000).fit(
            X, y, sensors
        )
        successes += calibration_error(model, signal, gains) < SUCCESS
    assert successes >= 9


def test_gain_basis_without_the_constant_is_rejected():
    X, y, sensors, _, _ = make_calibration_problem(16, 8, 4, random_state=0)
    basis = dct_basis(8, 3)[:, 1:]
    with pytest.raises(ValueError, match="constant"):
        BlindGainCalibration(gain_basis=basis).fit(X, y, sensors)


# --- 9. scale convention -----------------------------------------------------------------


@pytest.mark.parametrize("factor", [1e-3, 7.0, 1e4])
def test_scaling_y_scales_the_signal_only(factor):
    X, y, sensors, _, _ = make_calibration_problem(64, 32, 16, rho=0.5, snr_db=40, random_state=6)
    base = BlindGainCalibration(max_iter=300, tol=0).fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference, scaled = base(X, y, sensors), BlindGainCalibration(max_iter=300, tol=0).fit(X, factor * y, sensors)
    assert relative_error(scaled.gains_, reference.gains_) < 1e-8
    assert relative_error(scaled.coef_, factor * reference.coef_) < 1e-8


# --- line search, engines, irregular designs, baselines ----------------------------------


def test_exact_line_step_minimises_the_quartic():
    rng = np.random.default_rng(7)
    grid = np.linspace(0, 10, 20001)
    for _ in range(30):
        r0, noise, r2 = rng.standard_normal((3, 50))
        r1 = -r0 + 0.5 * noise  # a descent direction: Σ w r0 r1 < 0
        weights = rng.uniform(0.1, 1, 50)
        step = exact_line_step(r0, r1, r2, weights)
        on_grid = ((r0 + np.multiply.outer(grid, r1) + np.multiply.outer(grid**2, r2)) ** 2) @ weights
        at_step = weights @ (r0 + step * r1 + step**2 * r2) ** 2
        assert 0 < step < grid[-1] and at_step <= on_grid.min() + 1e-9
    assert exact_line_step(np.ones(3), np.ones(3), np.zeros(3), np.ones(3)) == 0.0  # ascent: no step


def test_cubic_roots_match_numpy():
    rng = np.random.default_rng(8)
    compared = 0
    for _ in range(2000):
        coefficients = rng.standard_normal(3) * 10.0 ** rng.uniform(-2, 2, 3)
        reference = np.roots([1, *coefficients])
        real = np.sort(reference.real[np.abs(reference.imag) < 1e-7])
        ours = np.sort(_cubic_real_roots(*coefficients))
        if real.size == ours.size:  # near-double roots may count differently; they are rare
            np.testing.assert_allclose(ours, real, rtol=1e-7, atol=1e-9)
            compared += 1
    assert compared >= 1990


def test_irregular_design_is_recovered():
    rng = np.random.default_rng(10)
    n, m = 32, 8
    counts = rng.integers(10, 30, m)
    sensors = rng.permutation(np.repeat(np.arange(m), counts))
    signal, gains = rng.standard_normal(n), 1 + 0.4 * rng.uniform(-1, 1, m)
    gains *= m / gains.sum()
    X = rng.standard_normal((sensors.size, n))
    y = gains[sensors] * (X @ signal)
    for model in (BlindGainCalibration(), LinearizedGainCalibration()):
        model.fit(X, y, sensors)
        assert calibration_error(model, signal, gains) < 1e-6, type(model).__name__
        np.testing.assert_allclose(model.predict(X, sensors), y, rtol=1e-5, atol=1e-6)


def test_rademacher_and_fixed_step_recover():
    X, y, sensors, signal, gains = make_calibration_problem(128, 32, 12, rho=0.3, sensing="rademacher", random_state=11)
    assert np.all(np.abs(X) == 1)
    for step in ("line_search", 0.5):
        model = BlindGainCalibration(step=step).fit(X, y, sensors)
        assert calibration_error(model, signal, gains) < 1e-6


def test_fixed_step_too_large_stops_at_the_last_finite_iterate():
    X, y, sensors, _, _ = make_calibration_problem(64, 32, 16, rho=0.5, random_state=12)
    with pytest.warns(ConvergenceWarning, match="diverged.*line_search"):
        model = BlindGainCalibration(step=3.0).fit(X, y, sensors)
    assert model.diverged_ and not model.converged_
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.gains_))
    assert np.all(np.isfinite(model.loss_history_)) and model.loss_history_.size == model.n_iter_ + 1
    assert not BlindGainCalibration().fit(X, y, sensors).diverged_


def test_vignetting_on_a_grid_without_radial_variation():
    from sigrec.datasets.calibration import vignetting_gains

    gains = vignetting_gains((2, 2), rho=0.3, random_state=0)
    assert gains.mean() == pytest.approx(1) and np.abs(gains - 1).max() == pytest.approx(0.3)
    np.testing.assert_array_equal(vignetting_gains((1, 1), rho=0.3), [1.0])


def test_zero_measurements_give_the_zero_signal():
    X, _, sensors, _, _ = make_calibration_problem(16, 4, 8, random_state=13)
    model = BlindGainCalibration().fit(X, np.zeros(X.shape[0]), sensors)
    np.testing.assert_array_equal(model.coef_, 0)
    np.testing.assert_array_equal(model.gains_, 1)
    assert model.n_iter_ == 0


def test_not_converged_warns_with_the_criterion():
    X, y, sensors, _, _ = make_calibration_problem(64, 32, 16, rho=0.5, random_state=14)
    with pytest.warns(ConvergenceWarning, match="relative change"):
        model = BlindGainCalibration(max_iter=3).fit(X, y, sensors)
    assert not model.converged_ and model.loss_history_.shape == (4,)
    assert np.all(np.diff(model.loss_history_) <= 0)  # exact line search never increases the loss


def test_linearized_solvers_agree_and_are_exact_at_the_counting_bound():
    # n=64, m=16, p=5: mp = 80 ≥ n + m − 1 = 79.
    X, y, sensors, signal, gains = make_calibration_problem(64, 16, 5, rho=0.5, random_state=15)
    kkt = LinearizedGainCalibration().fit(X, y, sensors)
    assert calibration_error(kkt, signal, gains) < 1e-6
    pytest.importorskip("cvxpy")
    X, y, sensors, signal, gains = make_calibration_problem(32, 8, 8, rho=0.5, snr_db=20, random_state=16)
    kkt = LinearizedGainCalibration().fit(X, y, sensors)
    cvx = LinearizedGainCalibration(solver="cvxpy").fit(X, y, sensors)
    np.testing.assert_allclose(cvx.gains_, kkt.gains_, rtol=1e-4)
    np.testing.assert_allclose(cvx.coef_, kkt.coef_, rtol=1e-4, atol=1e-5)


def test_lifted_nuclear_norm_recovers_a_tiny_problem():
    pytest.importorskip("cvxpy")
    X, y, sensors, signal, gains = make_calibration_problem(8, 4, 12, rho=0.3, random_state=17)
    estimate, estimated_gains = lifted_nuclear_norm(X, y, sensors, 4)
    assert relative_error(estimated_gains, gains) < 1e-3
    assert relative_error(estimate, signal) < 1e-3


def test_gain_blind_least_squares_has_a_floor():
    X, y, sensors, signal, gains = make_calibration_problem(64, 32, 16, rho=0.5, random_state=18)
    assert relative_error(gain_blind_least_squares(X, y), signal) > 0.03
    assert relative_error(oracle_least_squares(X, y, sensors, gains), signal) < 1e-10


def test_fitted_model_pickles_and_predicts():
    X, y, sensors, _, _ = make_calibration_problem(32, 8, 12, rho=0.5, random_state=19)
    model = BlindGainCalibration().fit(X, y, sensors)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X, sensors), model.predict(X, sensors))
    assert model.score(X, y, sensors) > 1 - 1e-10


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [BlindGainCalibration, LinearizedGainCalibration])
def test_bad_sensor_designs_are_named(cls):
    X, y, sensors, _, _ = make_calibration_problem(8, 4, 4, random_state=20)
    with pytest.raises(ValueError, match="sensors is required"):
        cls().fit(X, y)
    with pytest.raises(ValueError, match="sensors has 15 entries but X has 16 rows"):
        cls().fit(X, y, sensors[:-1])
    with pytest.raises(ValueError, match="non-negative"):
        cls().fit(X, y, np.where(sensors == 0, -1, sensors))
    with pytest.raises(ValueError, match="only 3 sensors"):
        cls(n_sensors=3).fit(X, y, sensors)
    with pytest.raises(ValueError, match="sensor 2 has no rows"):
        cls().fit(X, y, np.where(sensors == 2, 1, sensors))
    with pytest.raises(TypeError, match="integer"):
        cls().fit(X, y, sensors + 0.5)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        cls().fit(X, y[:-1], sensors)
    model = cls().fit(X, y, sensors)
    with pytest.raises(ValueError, match=r"lie in \[0, 4\)"):
        model.predict(X, sensors + 1)
    with pytest.raises(ValueError, match="sensors is required"):
        model.predict(X)


def test_bad_parameters_are_named():
    X, y, sensors, _, _ = make_calibration_problem(8, 4, 4, random_state=21)
    with pytest.raises(ValueError, match="gain_bound"):
        BlindGainCalibration(gain_bound=1.0).fit(X, y, sensors)
    with pytest.raises(ValueError, match="step"):
        BlindGainCalibration(step=-0.1).fit(X, y, sensors)
    with pytest.raises(ValueError, match="gain_bound cannot be combined"):
        BlindGainCalibration(gain_bound=0.5, gain_basis=dct_basis(4, 2)).fit(X, y, sensors)
    with pytest.raises(ValueError, match="gain_basis has 5 rows but n_sensors=4"):
        BlindGainCalibration(gain_basis=dct_basis(5, 2), n_sensors=4).fit(X, y, sensors)
    with pytest.raises(ValueError, match="sensor 4 has no rows"):
        BlindGainCalibration(gain_basis=dct_basis(5, 2)).fit(X, y, sensors)
    with pytest.raises(ValueError, match="signal_basis has 7 rows"):
        BlindGainCalibration(signal_basis=np.eye(7)[:, :3]).fit(X, y, sensors)
    with pytest.raises(ValueError, match="linearly dependent"):
        BlindGainCalibration(signal_basis=np.ones((8, 2))).fit(X, y, sensors)


# --- generators --------------------------------------------------------------------------


def test_problem_generator_contract():
    X, y, sensors, signal, gains = make_calibration_problem(20, 5, 3, rho=0.4, snr_db=10, random_state=22)
    assert X.shape == (15, 20) and y.shape == sensors.shape == (15,)
    np.testing.assert_array_equal(sensors, np.arange(15) % 5)
    assert gains.mean() == pytest.approx(1) and np.abs(gains - 1).max() == pytest.approx(0.4)
    clean = gains[sensors] * (X @ signal)
    assert 10 * np.log10(np.sum(clean**2) / np.sum((y - clean) ** 2)) == pytest.approx(10)
    again = make_calibration_problem(20, 5, 3, rho=0.4, snr_db=10, random_state=22)
    for first, second in zip((X, y, sensors, signal, gains), again, strict=True):
        np.testing.assert_array_equal(first, second)
    # A fresh sensing matrix per snapshot (the same one would add no information).
    assert not np.allclose(X[:5], X[5:10])
    with pytest.raises(ValueError, match="rho"):
        make_calibration_problem(20, 5, 3, rho=1.0)
    with pytest.raises(ValueError, match="sensing"):
        make_calibration_problem(20, 5, 3, sensing="binary")
    with pytest.raises(ValueError, match="snr_db"):
        make_calibration_problem(20, 5, 3, snr_db=float("nan"))
    with pytest.raises(ValueError, match="finite"):
        project_mean_one_box(np.array([1.0, np.nan]), 0.5)
    with pytest.raises(ValueError, match="rho"):
        project_mean_one_box(np.ones(3), 1.0)


def test_dct_basis_is_orthonormal_and_starts_constant():
    for shape, atoms in ((16, 5), ((4, 6), 7)):
        basis = dct_basis(shape, atoms)
        np.testing.assert_allclose(basis.T @ basis, np.eye(atoms), atol=1e-12)
        np.testing.assert_allclose(basis[:, 0], basis[0, 0])


def test_imaging_scene_generator_contract():
    X, y, sensors, image, gains = make_calibration_scene((16, 16), (4, 4), 12, rho=0.3, random_state=23)
    assert X.shape == (16 * 12, 256) and image.shape == (16, 16) and 0 <= image.min() and image.max() <= 1
    assert gains.mean() == pytest.approx(1) and np.abs(gains - 1).max() == pytest.approx(0.3)
    full = make_calibration_scene((16, 16), (4, 4), random_state=23)[0]
    assert full.shape[0] >= 2 * (256 + 16)  # default p doubles the counting bound
