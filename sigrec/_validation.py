"""Input and parameter validation shared by every sigrec estimator.

scikit-learn's ``check_array`` rejects complex input unconditionally, yet
harmonic retrieval, Kronecker SBL and Fourier-domain sampling are complex by
nature.  The helpers here follow scikit-learn's behaviour and messages for
real data and add a first-class complex branch (``allow_complex=True``).

Parameter validation reuses scikit-learn's declarative
``_parameter_constraints`` machinery.  It lives in a private scikit-learn
module, so this file is the *only* place sigrec imports it from: a future
scikit-learn change has one place to be absorbed.
"""

from __future__ import annotations

import numbers
import re
import warnings

import numpy as np
from sklearn.base import _fit_context  # noqa: F401  (re-exported for estimators)
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401  (re-exported)
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.validation import check_is_fitted  # noqa: F401

__all__ = [
    "check_array",
    "check_consistent_length",
    "check_X_y",
    "validate_data",
    "check_random_generator",
    "warn_not_converged",
    "Interval",
    "StrOptions",
    "Options",
    "HasMethods",
    "InvalidParameterError",
    "validate_params",
    "ConvergenceWarning",
    "NotFittedError",
]


def _describe_ndim(ndim):
    if isinstance(ndim, tuple):
        return " or ".join(f"{d}-D" for d in ndim)
    return f"{ndim}-D"


def _assert_finite(array, name):
    # One O(n) reduction first: cheap when the data is clean (the common case);
    # only a non-finite sum triggers the element-wise scan that builds the message.
    if array.size == 0:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(array)
    if np.isfinite(total):
        return
    if np.isnan(array).any():
        raise ValueError(f"Input {name} contains NaN.")
    if np.isinf(array).any():
        raise ValueError(
            f"Input {name} contains infinity or a value too large for {array.dtype!r}."
        )
    # the sum overflowed although every entry is finite: data is fine


def check_array(
    array,
    *,
    name="X",
    ndim=2,
    allow_complex=False,
    allow_float32=False,
    ensure_min_samples=1,
    ensure_min_features=1,
    ensure_finite=True,
    copy=False,
):
    """Validate an array argument and cast it to a float or complex dtype.

    Parameters
    ----------
    array : array-like
        The input. Lists, tuples and numpy arrays are accepted; sparse
        matrices, strings and object arrays are not.
    name : str, default="X"
        The argument's name, used in every error message.
    ndim : int or tuple of int, default=2
        Accepted number(s) of dimensions.
    allow_complex : bool, default=False
        Accept complex input (cast to complex128, or complex64 with
        ``allow_float32``). When False, complex input raises ``ValueError``.
    allow_float32 : bool, default=False
        Keep float32/complex64 input in single precision instead of
        promoting it to float64/complex128.
    ensure_min_samples : int, default=1
        Minimum length of the first axis.
    ensure_min_features : int, default=1
        Minimum length of the second axis (only checked for 2-D arrays).
    ensure_finite : bool, default=True
        Reject NaN and infinite entries.
    copy : bool, default=False
        Always return a copy (otherwise a copy is made only when casting).

    Returns
    -------
    checked : ndarray
        float64 or complex128 (float32/complex64 when allowed and given).

    Raises
    ------
    TypeError
        For sparse, string, object or boolean-free non-numeric input.
    ValueError
        For complex input when not allowed, a wrong number of dimensions,
        too few samples or features, NaN or infinity.
    """
    if array is None:
        raise TypeError(f"Input {name} is None; expected an array.")
    if hasattr(array, "toarray") and hasattr(array, "nnz"):
        raise TypeError(
            f"Input {name} is a sparse matrix; sigrec expects a dense array "
            f"(call .toarray() first)."
        )
    if isinstance(array, (str, bytes)):
        raise TypeError(f"Input {name} is a string; expected a numeric array.")
    try:
        values = np.asarray(array)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise ValueError(f"Input {name} could not be converted to an array: {exc}") from exc

    kind = values.dtype.kind
    if kind == "O":
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError) as exc:
            if not allow_complex:
                raise TypeError(f"Input {name} has dtype object and could not be converted to numbers: {exc}") from exc
            try:
                values = values.astype(np.complex128)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Input {name} has dtype object and could not be converted to numbers: {exc}"
                ) from exc
        kind = values.dtype.kind
    if kind in "USV":
        raise TypeError(f"Input {name} has dtype {values.dtype}; expected numbers.")
    if kind == "c" and not allow_complex:
        raise ValueError(
            f"Complex data not supported: input {name} is complex but this "
            f"estimator works on real data."
        )

    single = allow_float32 and values.dtype in (np.float32, np.complex64)
    if kind == "c":
        target = np.complex64 if single else np.complex128
    else:
        target = np.float32 if single else np.float64
    checked = values.astype(target, copy=copy) if values.dtype != target else values
    if copy and checked is values:
        checked = values.copy()

    accepted = ndim if isinstance(ndim, tuple) else (ndim,)
    if checked.ndim not in accepted:
        hint = ""
        if checked.ndim == 1 and 2 in accepted:
            hint = (
                " Reshape your data either using array.reshape(-1, 1) if it has "
                "a single feature or array.reshape(1, -1) if it contains a single sample."
            )
        raise ValueError(
            f"Expected {_describe_ndim(ndim)} array for {name}, got "
            f"{checked.ndim}-D array of shape {checked.shape} instead.{hint}"
        )
    if checked.ndim >= 1 and checked.shape[0] < ensure_min_samples:
        raise ValueError(
            f"Found array with {checked.shape[0]} sample(s) (shape={checked.shape}) "
            f"while a minimum of {ensure_min_samples} is required for {name}."
        )
    if checked.ndim == 0 and ensure_min_samples > 0 and 0 not in accepted:
        raise ValueError(f"Input {name} is a scalar; expected an array.")
    if checked.ndim >= 2 and checked.shape[1] < ensure_min_features:
        raise ValueError(
            f"Found array with {checked.shape[1]} feature(s) (shape={checked.shape}) "
            f"while a minimum of {ensure_min_features} is required for {name}."
        )
    if ensure_finite:
        _assert_finite(checked, name)
    return checked


def check_consistent_length(**arrays):
    """Check that named arrays have the same length along their first axis.

    Parameters
    ----------
    **arrays : array-like
        Keyword arguments ``name=array``; ``None`` values are skipped.

    Raises
    ------
    ValueError
        Naming every argument and its length when they disagree.
    """
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {described}.")


def check_X_y(X, y, *, allow_complex=False, allow_float32=False, y_ndim=(1, 2), **kwargs):
    """Validate a design matrix ``X`` (n_samples, n_features) and targets ``y``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    """
    X = check_array(X, name="X", allow_complex=allow_complex, allow_float32=allow_float32, **kwargs)
    if y is None:
        raise ValueError("y is required for this estimator, got None.")
    y = check_array(
        y,
        name="y",
        ndim=y_ndim,
        allow_complex=allow_complex,
        allow_float32=allow_float32,
        ensure_min_samples=kwargs.get("ensure_min_samples", 1),
    )
    check_consistent_length(X=X, y=y)
    return X, y


def validate_data(
    estimator, X, y="no_validation", *, reset=True, allow_complex=False, multi_output=False, **kwargs
):
    """Validate data inside ``fit``/``predict`` and keep ``n_features_in_``.

    Real data goes through scikit-learn's own ``validate_data`` so that every
    scikit-learn convention (feature names, dtype handling, messages) holds.
    Complex data goes through :func:`check_array`, with the same bookkeeping
    of ``n_features_in_`` and ``feature_names_in_``.

    Parameters
    ----------
    estimator : BaseEstimator
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets), optional
        Leave at its default to validate ``X`` alone (``predict``); passing
        ``None`` means a supervised ``fit`` received no target, an error.
    reset : bool, default=True
        True in ``fit`` (record ``n_features_in_``), False in ``predict``
        (check it).
    allow_complex : bool, default=False
    multi_output : bool, default=False
        Accept 2-D ``y``. Otherwise a column vector is flattened with a
        ``DataConversionWarning`` and a wider ``y`` is an error, as in
        scikit-learn.
    **kwargs
        Passed to :func:`check_array` (``allow_float32``, ``ensure_min_samples``, ...).

    Returns
    -------
    X or (X, y) : validated arrays.
    """
    from sklearn.utils.validation import _check_feature_names

    validate_y = not (isinstance(y, str) and y == "no_validation")
    if validate_y and y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    if not allow_complex:
        from sklearn.utils.validation import validate_data as sk_validate_data

        allow_float32 = kwargs.pop("allow_float32", False)
        dtype = [np.float64, np.float32] if allow_float32 else np.float64
        sk_kwargs = {"dtype": dtype}
        for key in ("ensure_min_samples", "ensure_min_features"):
            if key in kwargs:
                sk_kwargs[key] = kwargs.pop(key)
        try:
            if not validate_y:
                return sk_validate_data(estimator, X, reset=reset, **sk_kwargs)
            X, y = sk_validate_data(
                estimator, X, y, reset=reset, y_numeric=True, multi_output=multi_output, **sk_kwargs
            )
        except (ValueError, TypeError) as exc:
            named = _name_the_argument(exc, X, y if validate_y else None, sk_kwargs)
            if named is exc:
                raise
            raise named from exc
        # scikit-learn keeps y's own dtype and lets strings through y_numeric; sigrec computes
        # in float64 (float32 only where allowed), so the estimator never mixes precisions.
        if y.dtype.kind not in "biuf":
            raise TypeError(f"Input y has dtype {y.dtype}; expected numbers.")
        if y.dtype != np.float64 and not (allow_float32 and y.dtype == np.float32):
            y = y.astype(np.float64)
        return X, y

    _check_feature_names(estimator, X, reset=reset)
    if not validate_y:
        X = check_array(X, name="X", allow_complex=True, **kwargs)
    else:
        X, y = check_X_y(X, y, allow_complex=True, **kwargs)
        if y.ndim == 2 and not multi_output:
            if y.shape[1] != 1:
                raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
            from sklearn.exceptions import DataConversionWarning

            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change the "
                "shape of y to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=2,
            )
            y = y.ravel()
    n_features = X.shape[1]
    if reset:
        estimator.n_features_in_ = n_features
    elif hasattr(estimator, "n_features_in_") and n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )
    return X if not validate_y else (X, y)


def _name_the_argument(exc, X, y, sk_kwargs):
    """The error of scikit-learn's validation, reworded so that it names the argument at fault.

    scikit-learn words many errors without the argument ("Expected 2D array,
    got 1D array instead", "Found array with 0 sample(s) ... required by
    Estimator"); sigrec's contract is that every bad-input error names it.
    Runs only after validation failed, so clean data pays nothing. Returns
    ``exc`` itself when its message already names the argument.
    """
    from sklearn.utils.validation import check_array as sk_check_array

    if type(exc) not in (ValueError, TypeError):
        return exc  # a specialised error (e.g. NotFittedError) is left as it is
    message = str(exc)
    if "inconsistent numbers of samples" in message and y is not None:
        return ValueError(
            f"Found input variables with inconsistent numbers of samples: "
            f"X has {np.shape(X)[0]}, y has {np.shape(y)[0]}."
        )
    name, culprit = "X", X
    if y is not None:
        try:  # X alone passes: the fault is y's
            sk_check_array(X, input_name="X", **sk_kwargs)
            name, culprit = "y", y
        except (ValueError, TypeError):
            pass
    kind = getattr(getattr(culprit, "dtype", None), "kind", None)
    if kind in ("U", "S", "V"):
        return TypeError(f"Input {name} has dtype {culprit.dtype}; expected numbers.")
    if re.search(rf"\b{name}\b", message):
        return exc
    return type(exc)(f"Input {name}: {message}")


def check_random_generator(random_state):
    """Turn a seed-like value into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : None, int, numpy.random.SeedSequence, numpy.random.Generator or numpy.random.RandomState
        ``None`` gives fresh OS entropy; an int or SeedSequence gives a
        reproducible stream; a Generator is returned as is (shared state);
        a legacy RandomState seeds a new Generator from it, so scikit-learn
        style ``random_state`` arguments keep working.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(random_state, numbers.Integral) and random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}.")
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    raise TypeError(
        "random_state must be None, an int, a SeedSequence, a Generator or a "
        f"RandomState; got {type(random_state).__name__}."
    )


def warn_not_converged(estimator_name, n_iter, criterion_name, criterion_value, tol):
    """Emit a quantitative :class:`~sklearn.exceptions.ConvergenceWarning`.

    The message states what was reached, so users can decide whether to
    raise ``max_iter`` or loosen ``tol``, as scikit-learn's coordinate
    descent does with its duality gap.
    """
    warnings.warn(
        f"{estimator_name} did not converge after {n_iter} iterations: "
        f"{criterion_name} {criterion_value:.3e} > tol {tol:.3e}. "
        f"Increase max_iter or loosen tol.",
        ConvergenceWarning,
        stacklevel=3,
    )
