"""sigrec._validation: real and complex array checks, parameter checks, warnings."""

from numbers import Real

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.estimator_checks import parametrize_with_checks

from sigrec._validation import (
    ConvergenceWarning,
    Interval,
    InvalidParameterError,
    StrOptions,
    _fit_context,
    check_array,
    check_consistent_length,
    check_is_fitted,
    check_random_generator,
    check_X_y,
    validate_data,
    warn_not_converged,
)


@pytest.mark.parametrize(
    "value, dtype",
    [
        ([[1, 2], [3, 4]], np.float64),
        (np.ones((2, 2), dtype=np.float32), np.float64),
        (np.ones((2, 2), dtype=np.int8), np.float64),
        (np.ones((2, 2), dtype=bool), np.float64),
        ([[1 + 1j, 2]], np.complex128),
        (np.ones((2, 2), dtype=np.complex64), np.complex128),
    ],
)
def test_check_array_casts(value, dtype):
    checked = check_array(value, allow_complex=True)
    assert checked.dtype == dtype
    np.testing.assert_array_equal(checked, np.asarray(value))


def test_check_array_float32_kept_only_when_allowed():
    single = np.ones((3, 2), dtype=np.float32)
    assert check_array(single, allow_float32=True).dtype == np.float32
    assert check_array(single.astype(np.complex64), allow_complex=True, allow_float32=True).dtype == np.complex64


def test_check_array_never_modifies_nor_aliases_when_copy():
    original = np.arange(6.0).reshape(3, 2)
    checked = check_array(original, copy=True)
    checked[0, 0] = 99
    assert original[0, 0] == 0
    assert check_array(original) is original  # no needless copy


@pytest.mark.parametrize(
    "value, kwargs, error, message",
    [
        ([[1.0, np.nan]], {}, ValueError, "Input X contains NaN"),
        ([[1.0, np.inf]], {"name": "A"}, ValueError, "Input A contains infinity"),
        ([[1.0, complex(np.nan, 0)]], {"allow_complex": True}, ValueError, "contains NaN"),
        ([[1j]], {}, ValueError, "Complex data not supported: input X"),
        ([1.0, 2.0], {}, ValueError, r"Expected 2-D array for X, got 1-D.*reshape"),
        (np.ones((2, 2, 2)), {}, ValueError, "Expected 2-D array for X, got 3-D"),
        (np.ones((2, 2)), {"ndim": (1, 3), "name": "y"}, ValueError, "Expected 1-D or 3-D array for y"),
        (np.ones((0, 3)), {}, ValueError, "0 sample"),
        (np.ones((3, 0)), {"name": "dictionary"}, ValueError, "0 feature.*required for dictionary"),
        ([["a", "b"]], {}, TypeError, "expected numbers"),
        (None, {}, TypeError, "None"),
        ("abc", {}, TypeError, "string"),
        ([[1.0], [1.0, 2.0]], {}, ValueError, "could not be converted"),
    ],
)
def test_check_array_errors_name_the_argument(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_array(value, **kwargs)


def test_check_array_rejects_sparse():
    import scipy.sparse

    with pytest.raises(TypeError, match="sparse"):
        check_array(scipy.sparse.eye(3))


def test_overflowing_sum_of_finite_values_is_accepted():
    huge = np.full((2, 2), np.finfo(np.float64).max)
    assert check_array(huge) is huge


def test_consistent_length_and_check_X_y():
    check_consistent_length(X=np.ones(3), y=np.ones(3), w=None)
    with pytest.raises(ValueError, match="X has 3, y has 4"):
        check_consistent_length(X=np.ones(3), y=np.ones(4))
    X, y = check_X_y([[1j, 2], [3, 4]], [1, 2j], allow_complex=True)
    assert X.dtype == y.dtype == np.complex128
    with pytest.raises(ValueError, match="y is required"):
        check_X_y(np.ones((2, 2)), None)
    with pytest.raises(ValueError, match="Expected 1-D or 2-D array for y"):
        check_X_y(np.ones((2, 2)), np.ones((2, 2, 2)))


def test_random_generator():
    assert check_random_generator(3).random() == np.random.default_rng(3).random()
    generator = np.random.default_rng(0)
    assert check_random_generator(generator) is generator
    legacy = check_random_generator(np.random.RandomState(0))
    assert legacy.random() == check_random_generator(np.random.RandomState(0)).random()
    with pytest.raises(ValueError, match="non-negative"):
        check_random_generator(-1)
    with pytest.raises(TypeError, match="random_state"):
        check_random_generator("seed")


def test_convergence_warning_is_quantitative():
    expected = r"Solver did not converge after 7 iterations: .*1\.500e-02 > tol 1\.000e-04"
    with pytest.warns(ConvergenceWarning, match=expected):
        warn_not_converged("Solver", 7, "relative change", 0.015, 1e-4)


class ComplexLeastSquares(RegressorMixin, BaseEstimator):
    """Ridge-regularised least squares on real or complex data: the smallest
    estimator that exercises sigrec's complex validation path end to end."""

    _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="left")], "solver": [StrOptions({"lstsq"})]}

    def __init__(self, *, alpha=1e-8, solver="lstsq"):
        self.alpha = alpha
        self.solver = solver

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        X, y = validate_data(self, X, y, allow_complex=True)
        gram = X.conj().T @ X + self.alpha * np.eye(X.shape[1])
        self.coef_ = np.linalg.solve(gram, X.conj().T @ y)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, allow_complex=True)
        return X @ self.coef_


@parametrize_with_checks(
    [ComplexLeastSquares()],
    expected_failed_checks=lambda estimator: {
        "check_complex_data": "complex data is supported on purpose: sigrec validates it itself"
    },
)
def test_complex_validation_path_keeps_sklearn_contract(estimator, check):
    check(estimator)


def test_complex_estimator_recovers_complex_coefficients():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4)) + 1j * rng.standard_normal((30, 4))
    coef = np.array([1 + 2j, -1j, 0.5, 0])
    model = ComplexLeastSquares().fit(X, X @ coef)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-6)
    with pytest.raises(ValueError, match="X has 3 features, but ComplexLeastSquares is expecting 4"):
        model.predict(X[:, :3])
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of ComplexLeastSquares"):
        ComplexLeastSquares(alpha=-1.0).fit(X, X @ coef)
