"""Every registered sigrec estimator keeps scikit-learn's contract and sigrec's bad-input rules.

Estimators opt in through ``sigrec.utils._ESTIMATORS``. Two optional hooks
on an estimator class tailor the checks:

- ``_sigrec_expected_failed_checks(self) -> dict[str, str]``: scikit-learn
  checks expected to fail, each with its reason (e.g. ``check_complex_data``
  for estimators built for complex data);
- ``_sigrec_test_instance(cls)``: an instance for the checks when the
  defaults cannot be fitted (e.g. a coder needs a dictionary);
- ``_sigrec_example_data(cls, rng) -> (X, y)``: valid training data for the
  bad-input tests below (default: a real Gaussian regression problem).
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sigrec.utils import all_estimators

ESTIMATOR_CLASSES = [cls for _, cls in all_estimators()]


def _expected_failures(estimator):
    hook = getattr(estimator, "_sigrec_expected_failed_checks", None)
    return hook() if hook else {}


def _instance(cls):
    hook = getattr(cls, "_sigrec_test_instance", None)
    return hook() if hook else cls()


@parametrize_with_checks([_instance(cls) for cls in ESTIMATOR_CLASSES], expected_failed_checks=_expected_failures)
def test_sklearn_contract(estimator, check):
    check(estimator)


def _example_data(cls, rng):
    hook = getattr(cls, "_sigrec_example_data", None)
    if hook is not None:
        return hook(rng)
    X = rng.standard_normal((20, 5))
    return X, X @ rng.standard_normal(5)


def _with(X, position, value):
    X = np.array(X, copy=True)
    X.flat[position] = value
    return X


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_bad_input_is_named(cls):
    rng = np.random.default_rng(0)
    X, y = _example_data(cls, rng)
    estimator = _instance(cls)
    method = estimator.predict if hasattr(estimator, "predict") else estimator.transform
    with pytest.raises(NotFittedError):
        method(X)
    cases = [
        (_with(X, 3, np.nan), y, "NaN"),
        (_with(X, 3, np.inf), y, "infinity"),
        (X[:, 0], y, "1-?D"),
        (X[..., None], y, "3-D|dim 3"),
        (X[:-1], y, "inconsistent numbers of samples"),
        (X[:0], y if y is None else y[:0], "0 sample"),
    ]
    for bad_X, bad_y, message in cases:
        if bad_y is None and message == "inconsistent numbers of samples":
            continue  # unsupervised: no y to disagree with
        with pytest.raises(ValueError, match=message):
            _instance(cls).fit(bad_X, bad_y)
    if y is not None:
        with pytest.raises(ValueError, match="NaN"):
            _instance(cls).fit(X, _with(y, 0, np.nan))


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_inputs_not_modified_and_fit_deterministic(cls):
    rng = np.random.default_rng(1)
    X, y = _example_data(cls, rng)
    X_before, y_before = X.copy(), None if y is None else y.copy()
    first = _instance(cls)
    if "random_state" in first.get_params():
        first.set_params(random_state=0)
    second = clone(first)
    first.fit(X, y)
    np.testing.assert_array_equal(X, X_before)
    if y is not None:
        np.testing.assert_array_equal(y, y_before)
    second.fit(X, y)
    output = "predict" if hasattr(first, "predict") else "transform"
    np.testing.assert_array_equal(getattr(first, output)(X), getattr(second, output)(X))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(getattr(restored, output)(X), getattr(first, output)(X))


def test_registry_entries_import():
    from sigrec.utils import _ESTIMATORS

    names = [name for name, _, _ in _ESTIMATORS]
    assert len(names) == len(set(names))
    assert [name for name, _ in all_estimators()] == sorted(
        name for name, cls in all_estimators()
    )
    for name, cls in all_estimators():
        assert cls.__name__ == name
