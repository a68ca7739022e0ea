"""Robustness of every estimator and data generator (issue #11).

Each case ends in a correct result or in a ``ValueError``/``TypeError``
whose message names the offending argument; never a crash inside numba, a
NaN result or a hang (every fit here is small and iteration-bounded).

- bad input over :func:`sigrec.utils.all_estimators`: NaN, ±inf, empty
  arrays, one sample, wrong ndim, mismatched lengths, object/bool/int
  dtypes, complex where unsupported, 1e150 and 1e-150 scales, duplicated
  and zero columns, non-contiguous and read-only arrays, float32;
- persistence (pickle, joblib) and determinism (same ``random_state`` gives
  bit-identical fitted attributes) for every estimator;
- a smaller dedicated set for the estimators outside the registry
  (``PLAIN``, the tensor baselines, ``KroneckerOMP``);
- bad parameters and extreme valid parameters of every public ``make_*``
  generator;
- no code path unpickles a user-given file by default (a source grep);
- one regression test per fix this suite led to (``test_fix_*``; the list is in
  ``docs/reliability.md``).

The hypothesis fuzz tests of the operators and prox functions are in
``tests/test_robustness_fuzz.py``.
"""

from __future__ import annotations

import pickle
import re
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from sigrec.utils import all_estimators

ESTIMATORS = all_estimators()
ESTIMATOR_IDS = [name for name, _ in ESTIMATORS]

# Settings that keep every fit small and bounded (the hooks' instances are kept otherwise).
_FAST = {
    "BlindGainCalibration": {"max_iter": 300},
    "KroneckerSBL": {"max_iter": 40},
    "LqSparseCoder": {"max_iter": 300},
    "RandomSupportRegression": {"n_alphas": 6, "n_probes": 10, "cv": 3},
    "SparseBayesianRegression": {"max_iter": 40},
    "SubspacePeeling": {"n_probes": 10},
}


# ---------------------------------------------------------------------------- helpers
def _instance(cls):
    hook = getattr(cls, "_sigrec_test_instance", None)
    estimator = hook() if hook else cls()
    params = estimator.get_params()
    updates = {key: value for key, value in _FAST.get(cls.__name__, {}).items() if key in params}
    if "random_state" in params:
        updates["random_state"] = 0
    return estimator.set_params(**updates)


def _example_data(cls, seed=0):
    rng = np.random.default_rng(seed)
    hook = getattr(cls, "_sigrec_example_data", None)
    if hook is not None:
        return hook(rng)
    X = rng.standard_normal((20, 5))
    return X, X @ rng.standard_normal(5)


def _takes_complex(estimator):
    hook = getattr(estimator, "_sigrec_expected_failed_checks", None)
    return "check_complex_data" in (hook() if hook else {})


def _outputs(estimator, X):
    """Every prediction-like output of a fitted estimator on ``X``."""
    return [getattr(estimator, method)(X) for method in ("predict", "transform") if hasattr(estimator, method)]


def _quiet_fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence of tiny bounded fits is not the point here
        return estimator.fit(X, y)


def _quiet_outputs(estimator, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _outputs(estimator, X)


def _fitted_state(estimator):
    """Fitted attributes (public, ending in ``_``) as plain values; wall-clock times left out."""
    state = {}
    for name in vars(estimator):
        if name.startswith("_") or not name.endswith("_") or "time" in name:
            continue
        state[name] = _plain(getattr(estimator, name))
    return state


def _plain(value):
    if hasattr(value, "state_dict") and hasattr(value, "parameters"):  # a torch module: compare its weights
        return {key: tensor.detach().cpu().numpy() for key, tensor in value.state_dict().items()}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if key != "seconds"}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "get_params"):  # a fitted sub-estimator
        return _fitted_state(value)
    return value


def _assert_identical(first, second, path="state"):
    if isinstance(first, dict):
        assert first.keys() == second.keys(), path
        for key in first:
            _assert_identical(first[key], second[key], f"{path}[{key!r}]")
    elif isinstance(first, list):
        assert len(first) == len(second), path
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            _assert_identical(a, b, f"{path}[{index}]")
    elif isinstance(first, (np.ndarray, np.generic, int, float, complex)):
        np.testing.assert_array_equal(first, second, err_msg=path, strict=True)
    else:
        assert type(first) is type(second), path


def _float_arrays(state):
    """Every float/complex ndarray inside a fitted state."""
    if isinstance(state, dict):
        for item in state.values():
            yield from _float_arrays(item)
    elif isinstance(state, list):
        for item in state:
            yield from _float_arrays(item)
    elif isinstance(state, np.ndarray) and state.dtype.kind in "fc":
        yield state


def _assert_names(error, *names):
    message = str(error.value)
    for name in names:
        assert re.search(rf"\b{re.escape(name)}\b", message), f"{name!r} not named in: {message}"


@pytest.fixture
def torch_quiet(request):
    """One torch thread for the torch estimator (see ``one_torch_thread``); a no-op otherwise."""
    if "DPSSampler" in request.node.name:
        request.getfixturevalue("one_torch_thread")


def _with(X, position, value):
    X = np.array(X, copy=True)
    X.flat[position] = value
    return X


# ---------------------------------------------------------------------------- bad input: errors
def _bad_inputs(X, y):
    """``(case, X, y, argument, message pattern)`` that every estimator must reject."""
    strings = np.full(X.shape, "a", dtype=object)
    cases = [
        ("nan", _with(X, 3, np.nan), y, "X", "NaN"),
        ("inf", _with(X, 3, np.inf), y, "X", "infinity"),
        ("-inf", _with(X, 3, -np.inf), y, "X", "infinity"),
        ("empty", X[:0], None if y is None else y[:0], "X", "0 sample"),
        ("no_features", X[:, :0], y, "X", "0 feature"),
        ("1-D", X[:, 0], y, "X", "1-?D|dim"),
        ("3-D", X[..., None], y, "X", "3-?D|dim 3"),
        ("scalar", np.float64(1.0), y, "X", "scalar|0-D|dim"),
        ("object_strings", strings, y, "X", None),
        ("string", "abc", y, "X", None),
        ("none", None, y, "X", None),
    ]
    if y is not None:
        cases += [
            ("y_nan", X, _with(y, 0, np.nan), "y", "NaN"),
            ("y_inf", X, _with(y, 0, np.inf), "y", "infinity"),
            ("y_too_short", X, y[:-1], "X", "inconsistent numbers of samples"),
            ("X_too_short", X[:-1], y, "y", "inconsistent numbers of samples"),
            ("y_strings", X, np.full(y.shape, "a"), "y", None),
            ("y_3-D", X, y[:, None, None], "y", None),
        ]
    return cases


def _bad_input_params():
    params = []
    for name, cls in ESTIMATORS:
        X, y = _example_data(cls)
        for case, bad_X, bad_y, argument, pattern in _bad_inputs(X, y):
            params.append(pytest.param(cls, bad_X, bad_y, argument, pattern, id=f"{name}-{case}"))
    return params


@pytest.mark.parametrize("cls, X, y, argument, pattern", _bad_input_params())
def test_bad_fit_input_raises_naming_the_argument(cls, X, y, argument, pattern, torch_quiet):
    with pytest.raises((ValueError, TypeError), match=pattern) as error:
        _quiet_fit(_instance(cls), X, y)
    _assert_names(error, argument)
    if pattern and "inconsistent" in pattern:
        _assert_names(error, "X", "y")


# Settings under which a complex-capable estimator takes complex X (its defaults reject it, naming X).
_COMPLEX_PARAMS = {"DPSSampler": {"candidates": "full"}}


@pytest.mark.parametrize("cls", [cls for _, cls in ESTIMATORS], ids=ESTIMATOR_IDS)
def test_complex_input_is_rejected_or_supported(cls, torch_quiet):
    X, y = _example_data(cls)
    estimator = _instance(cls)
    complex_X = X + 1j * np.roll(X, 1, axis=0)
    if not _takes_complex(estimator):
        with pytest.raises(ValueError, match="[Cc]omplex") as error:
            _quiet_fit(estimator, complex_X, y)
        _assert_names(error, "X")
        if y is not None:
            with pytest.raises(ValueError, match="[Cc]omplex") as error:
                _quiet_fit(_instance(cls), X, y + 1j)
            _assert_names(error, "y")
        return
    restricted = _COMPLEX_PARAMS.get(cls.__name__)
    if restricted is not None:  # the default settings reject complex X, naming it
        with pytest.raises(ValueError, match="[Cc]omplex") as error:
            _quiet_fit(estimator, complex_X, y)
        _assert_names(error, "X")
        estimator = _instance(cls).set_params(**restricted)
    _quiet_fit(estimator, complex_X, y)
    for output in _quiet_outputs(estimator, complex_X):
        assert np.all(np.isfinite(output))
    if y is not None:  # complex targets too
        fitted = _quiet_fit(_instance(cls), X, y + 1j * np.roll(y, 1))
        for output in _quiet_outputs(fitted, X):
            assert np.all(np.isfinite(output))


@pytest.mark.parametrize("cls", [cls for _, cls in ESTIMATORS], ids=ESTIMATOR_IDS)
def test_bad_predict_input_raises_naming_the_argument(cls, torch_quiet):
    X, y = _example_data(cls)
    estimator = _quiet_fit(_instance(cls), X, y)
    methods = [getattr(estimator, name) for name in ("predict", "transform") if hasattr(estimator, name)]
    wider = np.hstack([X, X[:, :1]])
    for method in methods:
        for bad, pattern in (
            (_with(X, 2, np.nan), "NaN"),
            (_with(X, 2, np.inf), "infinity"),
            (X[:, 0], "1-?D|dim"),
            (X[..., None], "3-?D|dim 3"),
            (wider, "features"),
            (X[:0], "0 sample"),
        ):
            with pytest.raises(ValueError, match=pattern) as error:
                method(bad)
            _assert_names(error, "X")


# ---------------------------------------------------------------------------- bad input: results
def _same_result_inputs(X):
    """``(case, X')`` whose result must equal the float64, C-contiguous, writeable result."""
    read_only = X.copy()
    read_only.setflags(write=False)
    strided = np.repeat(X, 2, axis=1)[:, ::2]
    assert not strided.flags.c_contiguous and not strided.flags.f_contiguous
    return [
        ("object", X.astype(object)),
        ("read_only", read_only),
        ("fortran", np.asfortranarray(X)),
        ("strided", strided),
        ("list", X.tolist()),
    ]


@pytest.mark.parametrize("cls", [cls for _, cls in ESTIMATORS], ids=ESTIMATOR_IDS)
def test_layout_dtype_and_read_only_give_the_same_result(cls, torch_quiet):
    X, y = _example_data(cls)
    reference = _quiet_outputs(_quiet_fit(_instance(cls), X, y), X)
    for case, variant in _same_result_inputs(X):
        estimator = _quiet_fit(_instance(cls), variant, y)
        for expected, found in zip(reference, _quiet_outputs(estimator, variant), strict=True):
            np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-12, err_msg=case)
    if y is not None:  # read-only, non-contiguous targets
        y_view = np.repeat(y, 2)[::2]
        y_view.setflags(write=False)
        estimator = _quiet_fit(_instance(cls), X, y_view)
        for expected, found in zip(reference, _quiet_outputs(estimator, X), strict=True):
            np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-12, err_msg="read-only y")


@pytest.mark.parametrize("cls", [cls for _, cls in ESTIMATORS], ids=ESTIMATOR_IDS)
def test_int_and_bool_input_are_cast_to_float64(cls, torch_quiet):
    X, y = _example_data(cls)
    for case, variant in (("int", np.round(4 * X).astype(np.int64)), ("bool", X > 0)):
        as_float = variant.astype(np.float64)
        first = _quiet_fit(_instance(cls), variant, y)
        second = _quiet_fit(_instance(cls), as_float, y)
        for a, b in zip(_quiet_outputs(first, variant), _quiet_outputs(second, as_float), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=case)


@pytest.mark.parametrize("cls", [cls for _, cls in ESTIMATORS], ids=ESTIMATOR_IDS)
def test_float32_is_accepted_and_computed_in_float64(cls, torch_quiet):
    X, y = _example_data(cls)
    X32 = X.astype(np.float32)
    y32 = None if y is None else y.astype(np.float32)
    single = _quiet_fit(_instance(cls), X32, y32)
    double = _quiet_fit(_instance(cls), X32.astype(np.float64), None if y is None else y32.astype(np.float64))
    for array in _float_arrays(_fitted_state(single)):
        assert array.dtype in (np.float64, np.complex128), array.dtype
    for a, b in zip(_quiet_outputs(single, X32), _quiet_outputs(double, X32.astype(np.float64)), strict=True):
        assert a.dtype.kind not in "fc" or a.dtype in (np.float64, np.complex128), a.dtype
        np.testing.assert_array_equal(a, b)


def _degenerate_inputs(X, y):
    """``(case, X, y)`` that must give finite results or a named error."""
    duplicated = X.copy()
    duplicated[:, -1] = X[:, 0]
    zero_column = X.copy()
    zero_column[:, 1] = 0.0
    cases = [
        ("duplicated_column", duplicated, y),
        ("zero_column", zero_column, y),
        ("single_sample", X[:1], None if y is None else y[:1]),
        ("two_samples", X[:2], None if y is None else y[:2]),
        ("constant_rows", np.ones_like(X), y),
        ("all_zero", np.zeros_like(X), y),
    ]
    for scale in (1e150, 1e-150):
        cases.append((f"scale_{scale:g}", X * scale, None if y is None else y * scale))
    if y is not None:
        cases.append(("zero_target", X, np.zeros_like(y)))
    return cases


def _degenerate_params():
    params = []
    for name, cls in ESTIMATORS:
        X, y = _example_data(cls)
        for case, bad_X, bad_y in _degenerate_inputs(X, y):
            params.append(pytest.param(cls, bad_X, bad_y, id=f"{name}-{case}"))
    return params


@pytest.mark.parametrize("cls, X, y", _degenerate_params())
def test_degenerate_input_gives_finite_result_or_named_error(cls, X, y, torch_quiet):
    estimator = _instance(cls)
    try:
        _quiet_fit(estimator, X, y)
    except (ValueError, TypeError) as error:
        assert re.search(r"\b(X|y)\b", str(error)), f"argument not named: {error}"
        return
    for array in _float_arrays(_fitted_state(estimator)):
        assert not np.any(np.isnan(array)), "NaN in a fitted attribute"
    for output in _quiet_outputs(estimator, X):
        assert np.all(np.isfinite(output)), "non-finite output"


# How each output scales when X and y are both multiplied by s (None: the estimator has an
# absolute parameter, e.g. the penalty α of the coders, so only finiteness is required).
_SCALE_POWER = {
    "BlindGainCalibration": 1,
    "DPSSampler": 1,
    "KroneckerSBL": 1,
    "LinearizedGainCalibration": 1,
    "LqDictionaryLearning": None,
    "LqSparseCoder": None,
    "RandomSupportRegression": 1,
    "SparseBayesianRegression": 1,
    "SubspacePeeling": 0,
}


@pytest.mark.parametrize("scale", [1e150, 1e-150, 3e-7, 7e8])
@pytest.mark.parametrize("cls", [cls for _, cls in ESTIMATORS], ids=ESTIMATOR_IDS)
def test_extreme_scales_give_the_scaled_result(cls, scale, torch_quiet):
    power = _SCALE_POWER[cls.__name__]
    X, y = _example_data(cls)
    reference = _quiet_outputs(_quiet_fit(_instance(cls), X, y), X)
    estimator = _quiet_fit(_instance(cls), X * scale, None if y is None else y * scale)
    for array in _float_arrays(_fitted_state(estimator)):
        assert not np.any(np.isnan(array)), "NaN in a fitted attribute"
    for expected, found in zip(reference, _quiet_outputs(estimator, X * scale), strict=True):
        assert np.all(np.isfinite(found))
        if power is not None:
            np.testing.assert_allclose(found / scale**power, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())


# ---------------------------------------------------------------------------- persistence & determinism
@pytest.mark.parametrize("cls", [cls for _, cls in ESTIMATORS], ids=ESTIMATOR_IDS)
def test_pickle_and_joblib_round_trip(cls, tmp_path, torch_quiet):
    X, y = _example_data(cls)
    estimator = _quiet_fit(_instance(cls), X, y)
    expected = _quiet_outputs(estimator, X)
    path = tmp_path / "model.joblib"
    joblib.dump(estimator, path)
    for restored in (pickle.loads(pickle.dumps(estimator)), joblib.load(path)):
        for a, b in zip(expected, _quiet_outputs(restored, X), strict=True):
            np.testing.assert_array_equal(a, b)
        _assert_identical(_fitted_state(estimator), _fitted_state(restored))


@pytest.mark.parametrize("cls", [cls for _, cls in ESTIMATORS], ids=ESTIMATOR_IDS)
def test_same_random_state_gives_bit_identical_fits(cls, torch_quiet):
    X, y = _example_data(cls)
    first = _quiet_fit(_instance(cls), X, y)
    second = _quiet_fit(clone(_instance(cls)), X, y)
    _assert_identical(_fitted_state(first), _fitted_state(second))
    for a, b in zip(_quiet_outputs(first, X), _quiet_outputs(second, X), strict=True):
        np.testing.assert_array_equal(a, b)


def test_array_parameters_are_validated_naming_them():
    from sigrec.calibration import BlindGainCalibration
    from sigrec.coding import LqSparseCoder

    rng = np.random.default_rng(0)
    D, X = rng.standard_normal((5, 3)), rng.standard_normal((20, 3))
    for dictionary in (_with(D, 1, np.nan), _with(D, 1, np.inf), np.vstack([D[:4], np.zeros(3)]), D[0], D + 1j,
                       D[:0], np.full(D.shape, "a"), None):
        with pytest.raises((ValueError, TypeError)) as error:
            LqSparseCoder(dictionary).fit(X)
        _assert_names(error, "dictionary")
    for dictionary in (D * 1e150, D * 1e-150):  # extreme atoms: finite codes
        assert np.all(np.isfinite(LqSparseCoder(dictionary).fit(X).transform(X)))
    coder = LqSparseCoder(D, warm_start=True).fit(X)
    for init in (np.full((20, 5), np.nan), np.zeros((20, 4)), np.zeros((20, 5)) + 1j):
        with pytest.raises(ValueError) as error:
            coder.transform(X, init=init)
        _assert_names(error, "init")
    Xc, yc = BlindGainCalibration._sigrec_example_data(rng)
    for argument, value in (("signal_basis", np.full((5, 2), np.nan)), ("signal_basis", np.ones(5)),
                            ("signal_basis", np.zeros((5, 2))), ("gain_basis", np.full((2, 1), np.inf)),
                            ("gain_basis", np.ones((3, 1)))):
        with pytest.raises(ValueError) as error:
            BlindGainCalibration(n_sensors=2, max_iter=50, **{argument: value}).fit(Xc, yc)
        _assert_names(error, argument)


def test_dps_state_dict_loads_with_weights_only(tmp_path, one_torch_thread):
    torch = pytest.importorskip("torch")
    from sigrec.sampling import DPSSampler

    X, _ = _example_data(DPSSampler)
    sampler = _quiet_fit(_instance(DPSSampler), X, None)
    path = tmp_path / "sampler.pt"
    sampler.save(path)
    state = torch.load(path, map_location="cpu", weights_only=True)  # plain tensors and values only
    assert set(state) >= {"params", "network", "fitted"}
    restored = DPSSampler.load(path)
    for a, b in zip(_quiet_outputs(sampler, X), _quiet_outputs(restored, X), strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------- estimators outside the registry
def _tensor_estimators():
    from sigrec.tensor import PLAIN, FFTPeriodogram, GridOMP, SequentialEstimator, TensorESPRIT

    return {
        "PLAIN": lambda: PLAIN(2, factors=(1, 2), frequency_bounds=[(-3.0, 3.0), (-1.5, 1.5)]),
        "FFTPeriodogram": lambda: FFTPeriodogram(2, refine_rounds=3),
        "GridOMP": lambda: GridOMP(2, final_rounds=3),
        "TensorESPRIT": lambda: TensorESPRIT(2, random_state=0),
        "SequentialEstimator": lambda: SequentialEstimator(2),
    }


_TENSOR_NAMES = list(_tensor_estimators())


def _harmonic_data(scale=1.0):
    from sigrec.datasets import make_harmonic_tensor

    Y, _, _, _ = make_harmonic_tensor(
        (8, 12), 2, snr_db=30, bands=[(-3.0, 3.0), (-1.4, 1.4)], random_state=0
    )
    return Y * scale


def _tensor_fit(name, Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _tensor_estimators()[name]().fit(Y)


@pytest.mark.parametrize("name", _TENSOR_NAMES)
def test_tensor_estimators_reject_bad_input_naming_Y(name):
    Y = _harmonic_data()
    cases = [
        (_with(Y, 5, np.nan), "NaN"),
        (_with(Y, 5, np.inf), "infinity"),
        (_with(Y, 5, complex(0.0, -np.inf)), "infinity"),
        (Y[:0], "0 sample"),
        (Y[:1], "1 sample"),
        (np.complex128(1.0), "Expected|scalar|0-D"),
        (Y.real, "complex"),
        (np.full(Y.shape, "a"), "complex|numbers"),
        (None, "None|complex"),
    ]
    if name == "PLAIN":
        cases.append((Y[..., None] * np.ones(2), "mode"))
    for bad, pattern in cases:
        with pytest.raises((ValueError, TypeError), match=pattern) as error:
            _tensor_fit(name, bad)
        _assert_names(error, "Y")


@pytest.mark.parametrize("name", _TENSOR_NAMES)
def test_tensor_estimators_layouts_scales_persistence_and_determinism(name, tmp_path):
    Y = _harmonic_data()
    reference = _tensor_fit(name, Y)
    expected = reference.predict()
    read_only = Y.copy()
    read_only.setflags(write=False)
    for case, variant in (
        ("object", Y.astype(object)),
        ("read_only", read_only),
        ("fortran", np.asfortranarray(Y)),
        ("strided", np.repeat(Y, 2, axis=1)[:, ::2]),
    ):
        np.testing.assert_allclose(_tensor_fit(name, variant).predict(), expected, rtol=1e-9, atol=1e-12,
                                   err_msg=case)
    # complex64 is computed in complex128: the same fit as the upcast tensor
    single = Y.astype(np.complex64)
    fitted = _tensor_fit(name, single)
    assert fitted.amplitudes_.dtype == np.complex128 and fitted.frequencies_.dtype == np.float64
    np.testing.assert_array_equal(fitted.predict(), _tensor_fit(name, single.astype(np.complex128)).predict())
    for scale in (1e150, 1e-150):
        scaled = _tensor_fit(name, Y * scale)
        np.testing.assert_allclose(scaled.frequencies_, reference.frequencies_, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(scaled.amplitudes_ / scale, reference.amplitudes_, rtol=1e-6, atol=1e-9)
        assert np.all(np.isfinite(scaled.predict()))
    silent = _tensor_fit(name, np.zeros_like(Y))  # no signal at all: a finite (empty or zero) model
    assert np.all(np.isfinite(silent.predict()))
    path = tmp_path / "model.joblib"
    joblib.dump(reference, path)
    for restored in (pickle.loads(pickle.dumps(reference)), joblib.load(path)):
        np.testing.assert_array_equal(restored.predict(), expected)
        _assert_identical(_fitted_state(reference), _fitted_state(restored))
    _assert_identical(_fitted_state(reference), _fitted_state(_tensor_fit(name, Y)))


def _kronecker_problem(scale=1.0, dtype=np.float64):
    from sigrec.datasets import make_kronecker_sparse

    factors, y, _, _ = make_kronecker_sparse((8, 9), (5, 6), (2, 2), snr_db=30.0, random_state=0)
    # Only A_1 and y are scaled: the operator is linear in each factor, so x stays the same.
    factors = [factors[0] * scale] + factors[1:]
    return [factor.astype(dtype) for factor in factors], (y * scale).astype(dtype)


def _komp_fit(factors, y):
    from sigrec.bayes import KroneckerOMP

    return KroneckerOMP(max_atoms_per_mode=3).fit(factors, y)


def test_kronecker_omp_rejects_bad_input_naming_the_argument():
    (A, B), y = _kronecker_problem()
    cases = [
        ([A, B], _with(y, 0, np.nan), "y", "NaN"),
        ([A, B], _with(y, 0, np.inf), "y", "infinity"),
        ([_with(A, 0, np.nan), B], y, "factor 0", "NaN"),
        ([A, _with(B, 0, -np.inf)], y, "factor 1", "infinity"),
        ([A, B], y[:0], "y", "0 sample|shape"),
        ([A, B], y[:-1], "y", "shape"),
        ([A, B], y.reshape(5, 6, 1), "y", "dim|shape|3-D"),
        ([A[:, 0], B], y, "factor 0", "2-D"),
        ([A, B[:0]], y, "factor 1", "0 sample"),
        ([A, np.full(B.shape, "a")], y, "factor 1", "dtype|numbers|convert"),
        ([], y, "factors", "at least one"),
    ]
    for factors, target, argument, pattern in cases:
        with pytest.raises((ValueError, TypeError), match=pattern) as error:
            _komp_fit(factors, target)
        _assert_names(error, argument)


def test_kronecker_omp_degenerate_scales_persistence_and_determinism(tmp_path):
    factors, y = _kronecker_problem()
    reference = _komp_fit(factors, y)
    prediction = reference.predict(factors)
    # complex data are supported; float32 is computed in float64 (same fit as the upcast data)
    complex_factors = [factor + 0.5j * np.roll(factor, 1, axis=0) for factor in factors]
    assert np.all(np.isfinite(_komp_fit(complex_factors, y + 0.1j).coef_))
    single_factors, single_y = _kronecker_problem(dtype=np.float32)
    single = _komp_fit(single_factors, single_y)
    assert single.coef_.dtype == np.float64
    np.testing.assert_array_equal(
        single.coef_, _komp_fit([f.astype(np.float64) for f in single_factors], single_y.astype(np.float64)).coef_
    )
    for scale in (1e150, 1e-150):  # A_1 and y scaled together: the same x
        scaled_factors, scaled_y = _kronecker_problem(scale)
        np.testing.assert_allclose(_komp_fit(scaled_factors, scaled_y).coef_, reference.coef_, rtol=1e-8, atol=1e-12)
    duplicated = [np.hstack([factors[0][:, :-1], factors[0][:, :1]]), factors[1]]
    zero_column = [factors[0].copy(), factors[1]]
    zero_column[0][:, 2] = 0.0
    for degenerate_factors, target in ((duplicated, y), (zero_column, y), (factors, np.zeros_like(y))):
        fitted = _komp_fit(degenerate_factors, target)
        assert np.all(np.isfinite(fitted.coef_)) and np.all(np.isfinite(fitted.predict(degenerate_factors)))
    read_only = [factor.copy() for factor in factors]
    for factor in read_only:
        factor.setflags(write=False)
    np.testing.assert_array_equal(_komp_fit(read_only, y).predict(factors), prediction)
    path = tmp_path / "komp.joblib"
    joblib.dump(reference, path)
    for restored in (pickle.loads(pickle.dumps(reference)), joblib.load(path)):
        np.testing.assert_array_equal(restored.predict(factors), prediction)
        _assert_identical(_fitted_state(reference), _fitted_state(restored))
    _assert_identical(_fitted_state(reference), _fitted_state(_komp_fit(factors, y)))


def test_linear_decoder_bad_input_scales_and_persistence():
    from sigrec.sampling.masks import LinearDecoder

    rng = np.random.default_rng(0)
    F = rng.standard_normal((30, 4))
    T = F @ rng.standard_normal(4) + 0.5
    for features, targets, argument, pattern in (
        (_with(F, 1, np.nan), T, "features", "NaN"),
        (F, _with(T, 1, np.inf), "targets", "infinity"),
        (F[:0], T[:0], "features", "0 sample"),
        (F[:, 0], T, "features", "2-D"),
        (F[:-1], T, "targets", "rows"),
        (np.full(F.shape, "a"), T, "features", "dtype|numbers"),
    ):
        with pytest.raises((ValueError, TypeError), match=pattern) as error:
            LinearDecoder().fit(features, targets)
        _assert_names(error, argument)
    reference = LinearDecoder().fit(F, T)
    for scale in (1e150, 1e-150):
        np.testing.assert_allclose(LinearDecoder().fit(F * scale, T * scale).predict(F * scale) / scale,
                                   reference.predict(F), rtol=1e-8)
    np.testing.assert_array_equal(
        LinearDecoder().fit(F.astype(np.float32), T).coef_,
        LinearDecoder().fit(F.astype(np.float32).astype(np.float64), T).coef_,
    )
    restored = pickle.loads(pickle.dumps(reference))
    np.testing.assert_array_equal(restored.predict(F), reference.predict(F))


# ---------------------------------------------------------------------------- data generators
_NAN = float("nan")

# generator -> (small valid arguments, {argument: bad values}, [valid extreme arguments])
_GENERATORS = {
    "make_calibration_problem": (
        dict(n_features=6, n_sensors=3, n_snapshots=4, random_state=0),
        {
            "n_features": [-1, 0, 2.5, "a", None, _NAN, True],
            "n_sensors": [0, -2],
            "n_snapshots": [-3, _NAN],
            "rho": [_NAN, 1.0, -0.1, "a"],
            "snr_db": [_NAN, np.inf, "a", 1e4],
            "sensing": ["x"],
            "signal_basis": [np.ones((5, 2)), np.ones(6), np.full((6, 2), _NAN)],
            "gain_basis": [np.ones((2, 2)), np.full((3, 1), np.inf)],
            "random_state": ["a", -1],
        },
        [dict(snr_db=-1000.0), dict(snr_db=1000.0), dict(rho=0.0), dict(rho=0.999),
         dict(n_features=1, n_sensors=1, n_snapshots=1), dict(sensing="rademacher", n_snapshots=4.0)],
    ),
    "make_calibration_scene": (
        dict(image_shape=(6, 6), sensor_shape=(2, 2), random_state=0),
        {
            "image_shape": [(-1, 6), (0, 6), 6, (6,), (6.5, 6), "ab", None],
            "sensor_shape": [(0, 2), (-1, 2), 4, (2, 2, 2)],
            "n_snapshots": [0, -1, 2.5, _NAN],
            "rho": [_NAN, 1.5, -0.1],
            "snr_db": [_NAN, np.inf, "a", 1e4],
            "sensing": ["x"],
        },
        [dict(snr_db=-1000.0), dict(snr_db=1000.0), dict(image_shape=(1, 1), sensor_shape=(1, 1), n_snapshots=1)],
    ),
    "make_phantom": (
        dict(shape=(8, 8)),
        {"shape": [(-1, 5), (0, 4), 5, (4,), (4, 4, 4), (4.5, 4), None, "ab"]},
        [dict(shape=(1, 1)), dict(shape=(1, 7))],
    ),
    "make_sparse_regression": (
        dict(n_samples=20, n_features=30, n_informative=3, random_state=0),
        {
            "design": ["x", None],
            "signal": ["x"],
            "n_samples": [-1, 0, _NAN, 2.5, "a", None, True],
            "n_features": [0, _NAN],
            "n_informative": [0, 100, _NAN],
            "noise": [_NAN, -1, np.inf, "a"],
            "support": ["x"],
            "random_state": ["a"],
        },
        [dict(noise=0.0), dict(noise=1e100), dict(n_samples=1, n_features=1, n_informative=1),
         dict(design="two_scale_extreme")],
    ),
    "make_harmonic_tensor": (
        dict(shape=(8, 12), n_components=2, random_state=0),
        {
            "shape": [(8, -1), (8, 1.5), (8, _NAN), 8, (), "ab", None],
            "n_components": [0, -1, 2.5, _NAN],
            "snr_db": [_NAN, np.inf, "a", -1e4],
            "amplitudes": ["x", [1.0], [1.0, _NAN]],
            "bands": [[(0, 1)], [(1, 0), (0, 1)], [(_NAN, 1), (0, 1)]],
            "min_separation": [_NAN, -1.0],
            "wide_separation": [_NAN],
            "frequencies": [np.full((2, 2), _NAN), np.ones((2, 3)), np.ones(2)],
            "n_snapshots": [0, -1, 2.5, _NAN],
            "random_state": ["a"],
        },
        [dict(snr_db=-1000.0), dict(snr_db=1000.0), dict(shape=(2,), n_components=1), dict(n_snapshots=1),
         dict(amplitudes="rayleigh", min_separation=0.0, wide_separation=0.0)],
    ),
    "make_kronecker_sparse": (
        dict(n_features=(5, 6), n_measurements=(3, 4), n_nonzero=(2, 2), random_state=0),
        {
            "n_features": [(5, -6), (5, 0), (5.5, 6), (), None, (_NAN, 6)],
            "n_measurements": [(3,), (3, 0), -1],
            "n_nonzero": [(6, 2), (0, 2)],
            "values": ["x"],
            "snr_db": [_NAN, "a", np.inf, 1e4],
            "complex": ["yes"],
            "random_state": ["a"],
        },
        [dict(snr_db=-1000.0), dict(snr_db=1000.0), dict(snr_db=None, complex=True),
         dict(n_features=(1,), n_measurements=(1,), n_nonzero=(1,))],
    ),
    "make_irs_channel": (
        dict(n_ms=2, n_bs=3, n_irs=8, grid=6, n_pilots=2, n_configs=2, random_state=0),
        {
            "n_ms": [0, -1, 2.5, _NAN],
            "n_bs": [0],
            "n_irs": [0],
            "grid": [0],
            "n_pilots": [0],
            "n_configs": [0],
            "cluster_size": [0, 7],
            "snr_db": [_NAN, "a", 1e4, -1e4],
        },
        [dict(snr_db=-1000.0), dict(snr_db=1000.0), dict(snr_db=None), dict(cluster_size=6)],
    ),
    "make_pulse_echo": (
        dict(n_samples=5, n_features=16, n_reflectors=2, random_state=0),
        {
            "n_samples": [0, -1, _NAN, 2.5],
            "n_features": [1, _NAN],
            "n_reflectors": [0, 17],
            "pulse_width": [0.0, -1.0, _NAN, np.inf],
            "center_frequency": [-0.1, 0.6, _NAN],
            "noise_std": [-1.0, _NAN, np.inf],
        },
        [dict(noise_std=1e100), dict(pulse_width=1e-3), dict(pulse_width=1e6), dict(center_frequency=0.5),
         dict(n_features=2, n_reflectors=2)],
    ),
    "make_sparse_spikes": (
        dict(n_samples=5, n_features=16, n_spikes=2, random_state=0),
        {"n_samples": [0, _NAN], "n_features": [1], "n_spikes": [0, 17], "noise_std": [-1.0, _NAN]},
        [dict(n_spikes=16), dict(noise_std=1e100)],
    ),
    "make_digits_kspace": (
        dict(n_train=100),
        {"n_train": [0, 1797, -1, _NAN, 2.5], "random_state": ["a"]},
        [dict(n_train=1), dict(n_train=1796)],
    ),
    "make_lines_and_circles": (
        dict(n_samples=3, size=9, random_state=0),
        {"n_samples": [0, _NAN], "size": [8, -1, _NAN]},
        [dict(n_samples=1, size=9)],
    ),
}


def _generator(name):
    import sigrec.datasets

    return getattr(sigrec.datasets, name)


def _leaves(value):
    """The arrays and numbers inside a generator's output (tuples, data classes, operators)."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, np.ndarray) or isinstance(value, (int, float, complex, np.generic)):
        yield np.asarray(value)
    elif hasattr(value, "__dataclass_fields__"):
        for field in value.__dataclass_fields__:
            yield from _leaves(getattr(value, field))
    elif hasattr(value, "__dict__"):
        for item in vars(value).values():
            yield from _leaves(item)


def test_every_public_generator_is_covered():
    import sigrec.datasets

    public = {name for name in sigrec.datasets.__all__ if name.startswith("make_")}
    assert public == set(_GENERATORS)


def _bad_generator_params():
    return [
        pytest.param(name, argument, value, id=f"{name}-{argument}={value!r}"[:80])
        for name, (_, bad, _) in _GENERATORS.items()
        for argument, values in bad.items()
        for value in values
    ]


@pytest.mark.parametrize("name, argument, value", _bad_generator_params())
def test_generator_bad_parameter_raises_naming_it(name, argument, value):
    base = _GENERATORS[name][0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NaN or overflow on the way to the error
        with pytest.raises((ValueError, TypeError)) as error:
            _generator(name)(**{**base, argument: value})
    _assert_names(error, argument)


@pytest.mark.parametrize("name", list(_GENERATORS))
def test_generator_extreme_valid_parameters_give_finite_reproducible_data(name):
    base, _, extremes = _GENERATORS[name]
    for extreme in [{}] + extremes:
        arguments = {**base, **extreme}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            first = list(_leaves(_generator(name)(**arguments)))
            second = list(_leaves(_generator(name)(**arguments)))
        assert first, name
        for a, b in zip(first, second, strict=True):
            if a.dtype.kind in "fc":
                assert np.all(np.isfinite(a)), f"{name}({extreme}) is not finite"
            np.testing.assert_array_equal(a, b, err_msg=f"{name}({extreme}) is not reproducible")


# ---------------------------------------------------------------------------- no unpickling of user files
_UNSAFE_LOADS = re.compile(
    r"\b(?:pickle|cloudpickle|dill|joblib|marshal)\.loads?\s*\(|\bpd\.read_pickle\s*\(|\bread_pickle\s*\("
    r"|\bshelve\.open\s*\(|allow_pickle\s*=\s*True|\byaml\.load\s*\(|\bUnpickler\s*\("
)


def _calls(source, name):
    """The full text of every ``name(...)`` call in `source` (parentheses balanced)."""
    for match in re.finditer(re.escape(name) + r"\s*\(", source):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(source)):
            depth += {"(": 1, ")": -1}.get(source[end], 0)
            if depth == 0:
                break
        yield source[match.start() : end + 1]


def test_unsafe_load_detector_catches_the_patterns():
    for line in ("pickle.load(handle)", "joblib.load(path)", "np.load(path, allow_pickle=True)",
                 "pd.read_pickle(path)", "cloudpickle.loads(blob)", "dill.load(handle)"):
        assert _UNSAFE_LOADS.search(line), line
    assert not _UNSAFE_LOADS.search("atoms = np.load(_FILE)")
    source = "a = torch.load(path, map_location=f(x))\nb = torch.load(\n    path, weights_only=True)"
    found = [bool(re.search(r"weights_only\s*=\s*True", call)) for call in _calls(source, "torch.load")]
    assert found == [False, True]


def test_no_code_path_unpickles_a_user_file_by_default():
    package = Path(__file__).resolve().parents[1] / "sigrec"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for number, line in enumerate(source.splitlines(), start=1):
            if _UNSAFE_LOADS.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(package.parent)}:{number}: {line.strip()}")
        for call in _calls(source, "torch.load"):
            if not re.search(r"weights_only\s*=\s*True", call):
                offenders.append(f"{path.relative_to(package.parent)}: {call}")
    assert not offenders, "unsafe deserialisation:\n" + "\n".join(offenders)


# ---------------------------------------------------------------------------- regression tests of the fixes
def _regression_data(n=20, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d)


def test_fix_scikit_learn_validation_errors_name_the_argument():
    from sigrec.regression import RandomSupportRegression, SubspacePeeling

    X, y = _regression_data()
    for call, pattern in (
        (lambda: RandomSupportRegression().fit(X[:, 0], y), r"^Input X: Expected 2D array"),
        (lambda: RandomSupportRegression().fit(X[..., None], y), r"^Input X: Found array with dim 3"),
        (lambda: RandomSupportRegression().fit(X[:0], y[:0]), r"^Input X: Found array with 0 sample"),
        (lambda: RandomSupportRegression().fit(X, y[:-1]), r"X has 20, y has 19"),
        (lambda: RandomSupportRegression().fit(X, np.c_[y, y]), r"\by\b"),
        (lambda: SubspacePeeling().fit(X + 1j), r"^Input X: Complex data not supported"),
    ):
        with pytest.raises(ValueError, match=pattern):
            call()


@pytest.mark.parametrize("name", ["BlindGainCalibration", "LinearizedGainCalibration", "RandomSupportRegression"])
def test_fix_string_targets_are_a_type_error_naming_y(name):
    cls = dict(ESTIMATORS)[name]
    X, y = _example_data(cls)
    with pytest.raises(TypeError, match=r"^Input y has dtype <U1; expected numbers\.$"):
        _instance(cls).fit(X, np.full(y.shape, "a"))


@pytest.mark.parametrize("name", ["LinearizedGainCalibration", "RandomSupportRegression"])
def test_fix_float32_targets_are_computed_in_float64(name):
    cls = dict(ESTIMATORS)[name]
    X, y = _example_data(cls)
    y32 = y.astype(np.float32)
    single = _quiet_fit(_instance(cls), X, y32)
    double = _quiet_fit(_instance(cls), X, y32.astype(np.float64))
    np.testing.assert_array_equal(single.predict(X), double.predict(X))
    assert single.coef_.dtype == np.float64


def test_fix_kronecker_sbl_zero_target_is_the_zero_model():
    from sigrec.bayes import KroneckerSBL

    X, y = _regression_data()
    model = KroneckerSBL().fit(X, np.zeros_like(y))  # raised LinAlgError ("Eigenvalues did not converge")
    assert model.converged_ and model.n_iter_ == 0 and model.support_.size == 0
    np.testing.assert_array_equal(model.coef_, 0.0)
    np.testing.assert_array_equal(model.predict(X), 0.0)
    with pytest.raises(ValueError, match=r"factor shapes .* of X .* but y has"):
        KroneckerSBL().fit(X, y[:-1])


def test_fix_peeling_blames_X_not_the_default_sparsity_hint():
    from sigrec.regression import RandomSupportRegression, SubspacePeeling

    X, y = _regression_data(n=2)
    for call in (lambda: SubspacePeeling().fit(X), lambda: RandomSupportRegression().fit(X, y)):
        with pytest.raises(ValueError, match=r"^X has 2 samples, too few for the default sparsity_hint=2"):
            call()
    with pytest.raises(ValueError, match="sparsity_hint must be smaller than n_samples=2"):
        SubspacePeeling(sparsity_hint=2).fit(X)


@pytest.mark.parametrize("scale", [1e150, 1e100, 7e8, 3e-7, 1e-150])
def test_fix_blind_calibration_is_scale_equivariant(scale):
    # Before: diverged with NaN predictions at 1e100 and 1e150, returned x ≈ 0 and gains 1 at 1e-150,
    # converged to wrong gains at 7e8 and did not converge at 3e-7.
    from sigrec.calibration import BlindGainCalibration
    from sigrec.calibration._design import row_weights
    from sigrec.datasets import make_calibration_problem

    X, y, sensors, _, _ = make_calibration_problem(12, 4, 8, rho=0.5, snr_db=30.0, random_state=0)
    reference = BlindGainCalibration().fit(X, y, sensors)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning, no ConvergenceWarning
        model = BlindGainCalibration().fit(X * scale, y * scale, sensors)
    assert model.converged_ and not model.diverged_
    np.testing.assert_allclose(model.gains_, reference.gains_, rtol=1e-6)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6, atol=1e-6 * np.abs(reference.coef_).max())
    prediction, expected = model.predict(X * scale, sensors), reference.predict(X, sensors)
    np.testing.assert_allclose(prediction / scale, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())
    # the losses are in the units of the data
    residual = prediction / scale - y
    final_loss = 0.5 * float(row_weights(sensors, 4) @ residual**2)
    np.testing.assert_allclose(model.loss_history_[-1] / scale**2, final_loss, rtol=1e-6)
