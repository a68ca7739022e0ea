"""Recovery-quality metrics.

Every metric takes the reference first and the estimate second, as in
scikit-learn: ``metric(x_true, x_estimate)``.  Inputs are validated
strictly (matching shapes, finite values, non-empty) because a silently
broadcast or NaN-polluted error figure in a Monte-Carlo sweep is far harder
to spot than an exception.

Only :mod:`numpy` and :mod:`scipy` are used.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = [
    "matched_rmse",
    "nmse",
    "nmse_db",
    "psnr",
    "rmse",
    "support_jaccard",
    "support_of",
]


def _as_finite_array(values, name, *, allow_complex=True):
    """Return ``values`` as a non-empty, finite, numeric ndarray."""
    array = np.asarray(values)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    if not allow_complex and np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array


def _as_checked_pair(first, second, first_name, second_name, *, allow_complex=True):
    first = _as_finite_array(first, first_name, allow_complex=allow_complex)
    second = _as_finite_array(second, second_name, allow_complex=allow_complex)
    if first.shape != second.shape:
        raise ValueError(
            f"{first_name} has shape {first.shape} but {second_name} has shape {second.shape}; they must match"
        )
    return first, second


def _squared_magnitude(values):
    # abs() first so complex errors give |e|^2 rather than e^2; float64 so
    # integer inputs cannot overflow when squared.
    return np.abs(values).astype(np.float64, copy=False) ** 2


def _difference(x_true, x_estimate):
    # Promote before subtracting: unsigned or boolean inputs would wrap.
    common = np.result_type(x_true, x_estimate, np.float64)
    return x_estimate.astype(common, copy=False) - x_true.astype(common, copy=False)


def _scalar_if_reduced_fully(values):
    return float(values) if np.ndim(values) == 0 else values


def nmse(x_true, x_estimate, axis=None):
    r"""Normalised mean squared error on a linear scale.

    .. math::

        \mathrm{NMSE} = \frac{\lVert \hat{x} - x \rVert_2^2}{\lVert x \rVert_2^2}

    Parameters
    ----------
    x_true : array_like, shape (...)
        Reference signal, real or complex, any units.
    x_estimate : array_like, same shape as `x_true`
        Estimate of `x_true`, in the same units.
    axis : int or tuple of int, optional
        Axis or axes to reduce over.  ``None`` (default) treats the whole
        array as one signal.  For a batch of signals stored along the last
        axis, ``axis=-1`` returns one NMSE per signal.

    Returns
    -------
    float or ndarray
        Dimensionless NMSE (0 for exact recovery).  A Python float when
        `axis` is ``None``; otherwise an array whose shape is that of
        `x_true` with the reduced axes removed.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or non-finite, or `x_true`
        is all zero (over the whole array, or within any slice when `axis`
        is given): the normalisation is then undefined.
    TypeError
        If an input is not numeric.

    See Also
    --------
    nmse_db : The same quantity in decibels.

    Examples
    --------
    >>> import numpy as np
    >>> from sigrec.metrics import nmse
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> round(nmse(x, 0.9 * x), 12)
    0.01
    """
    x_true, x_estimate = _as_checked_pair(x_true, x_estimate, "x_true", "x_estimate")
    signal_energy = np.sum(_squared_magnitude(x_true), axis=axis)
    if np.any(signal_energy == 0):
        raise ValueError(
            "x_true is all zero" + ("" if axis is None else " in at least one slice along axis") + "; NMSE is undefined"
        )
    error_energy = np.sum(_squared_magnitude(_difference(x_true, x_estimate)), axis=axis)
    return _scalar_if_reduced_fully(error_energy / signal_energy)


def nmse_db(x_true, x_estimate, axis=None):
    r"""Normalised mean squared error in decibels, :math:`10\log_{10}\mathrm{NMSE}`.

    Parameters
    ----------
    x_true : array_like, shape (...)
        Reference signal, real or complex, any units.
    x_estimate : array_like, same shape as `x_true`
        Estimate of `x_true`, in the same units.
    axis : int or tuple of int, optional
        As in :func:`nmse`.

    Returns
    -------
    float or ndarray
        NMSE in dB.  Exact recovery gives ``-inf``; the value is deliberately
        not clipped, so aggregate in the linear domain (e.g. average
        :func:`nmse` then convert) if a finite summary is needed.

    Raises
    ------
    ValueError
        As in :func:`nmse`.
    TypeError
        If an input is not numeric.

    See Also
    --------
    nmse : The linear-scale quantity.

    Examples
    --------
    >>> import numpy as np
    >>> from sigrec.metrics import nmse_db
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> round(nmse_db(x, 0.9 * x), 9)
    -20.0
    """
    linear = nmse(x_true, x_estimate, axis=axis)
    with np.errstate(divide="ignore"):
        in_db = 10.0 * np.log10(linear)
    return _scalar_if_reduced_fully(in_db)


def rmse(x_true, x_estimate, axis=None):
    r"""Root mean squared error, :math:`\sqrt{\operatorname{mean} |\hat{x} - x|^2}`.

    Parameters
    ----------
    x_true : array_like, shape (...)
        Reference values, real or complex, any units.
    x_estimate : array_like, same shape as `x_true`
        Estimate of `x_true`, in the same units.
    axis : int or tuple of int, optional
        Axis or axes to average over; ``None`` (default) averages over all
        elements.

    Returns
    -------
    float or ndarray
        RMSE in the units of `x_true`.  A Python float when `axis` is
        ``None``; otherwise an array with the reduced axes removed.

    Raises
    ------
    ValueError
        If the shapes differ or an input is empty or non-finite.
    TypeError
        If an input is not numeric.

    Examples
    --------
    >>> from sigrec.metrics import rmse
    >>> rmse([1.0, 1.0], [4.0, -2.0])
    3.0
    """
    x_true, x_estimate = _as_checked_pair(x_true, x_estimate, "x_true", "x_estimate")
    mean_squared_error = np.mean(_squared_magnitude(_difference(x_true, x_estimate)), axis=axis)
    return _scalar_if_reduced_fully(np.sqrt(mean_squared_error))


def psnr(image_true, image_estimate, data_range=None):
    r"""Peak signal-to-noise ratio in dB.

    .. math::

        \mathrm{PSNR} = 10 \log_{10} \frac{R^2}{\operatorname{mean} (\hat{I} - I)^2}

    Parameters
    ----------
    image_true : array_like, shape (...)
        Reference image (any number of dimensions, e.g. ``(H, W)`` or
        ``(H, W, C)``), real-valued, in intensity units.
    image_estimate : array_like, same shape as `image_true`
        Estimated image, in the same intensity units.
    data_range : float, optional
        Peak-to-peak range :math:`R` of the intensities, in intensity units
        (e.g. 255 for 8-bit images, 1 for images scaled to ``[0, 1]``).
        Defaults to ``max(image_true) - min(image_true)``.  Note that this
        differs from :func:`skimage.metrics.peak_signal_noise_ratio`, which
        defaults to the range of the dtype; pass `data_range` explicitly when
        comparing numbers across tools.

    Returns
    -------
    float
        PSNR in dB; ``inf`` when the images are identical.

    Raises
    ------
    TypeError
        If an input is complex or not numeric.
    ValueError
        If the shapes differ, an input is empty or non-finite, `data_range`
        is not a positive finite number, or `data_range` is omitted and
        `image_true` is constant (its range, the default, is then 0).

    Examples
    --------
    >>> from sigrec.metrics import psnr
    >>> round(psnr([0.0, 1.0], [0.0, 0.9]), 6)  # MSE 0.005, range 1
    23.0103
    """
    image_true, image_estimate = _as_checked_pair(
        image_true, image_estimate, "image_true", "image_estimate", allow_complex=False
    )
    if data_range is None:
        data_range = float(np.max(image_true)) - float(np.min(image_true))
        if data_range == 0:
            raise ValueError(
                "image_true is constant, so the default data_range "
                "(max - min of image_true) is 0; pass data_range explicitly"
            )
    else:
        data_range = float(data_range)
        if not (np.isfinite(data_range) and data_range > 0):
            raise ValueError(f"data_range must be positive and finite, got {data_range}")
    mean_squared_error = float(np.mean(_squared_magnitude(_difference(image_true, image_estimate))))
    if mean_squared_error == 0:
        return float("inf")
    return float(10.0 * np.log10(data_range**2 / mean_squared_error))


def _as_index_set(support, name):
    """Return a support as ``(set of indices, mask length or None)``."""
    array = np.asarray(support)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.dtype == bool:
        return frozenset(np.flatnonzero(array).tolist()), array.size
    # An empty list arrives as float64; it is still a valid, empty index set.
    if array.size == 0:
        return frozenset(), None
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must be an integer index array or a boolean mask, got dtype {array.dtype}")
    if np.any(array < 0):
        raise ValueError(f"{name} contains negative indices")
    return frozenset(array.tolist()), None


def support_jaccard(support_true, support_estimate):
    r"""Jaccard index :math:`|S \cap \hat{S}| / |S \cup \hat{S}|` of two supports.

    Parameters
    ----------
    support_true, support_estimate : array_like, shape (k,) or (n,)
        The true and estimated supports, both in the same one of two forms:

        * **index arrays** (integer dtype, shape ``(k,)``): the non-negative
          indices of the non-zero entries.  Order and repeats are ignored;
          the two arrays may have different lengths.  An empty list is an
          empty support.
        * **boolean masks** (bool dtype, shape ``(n,)``): ``True`` where the
          entry is in the support.  Both masks must have the same length
          ``n``.

        A 0/1 *integer* array is read as indices, not as a mask; convert it
        with ``astype(bool)`` if it is a mask.  Mixing the two forms raises,
        because it usually signals exactly that mix-up; the one exception
        is an empty index array, which pairs with either form.

    Returns
    -------
    float
        Jaccard index in ``[0, 1]``; 1 for identical supports, including
        when both are empty.

    Raises
    ------
    ValueError
        If a support is not 1-D, an index is negative, or two masks differ
        in length.
    TypeError
        If a support has a non-integer, non-boolean dtype, or one support is
        a mask and the other an index array.

    See Also
    --------
    support_of : Support of a vector by thresholding or top-k selection.

    Examples
    --------
    >>> from sigrec.metrics import support_jaccard
    >>> support_jaccard([0, 3, 5], [3, 5, 7])
    0.5
    >>> support_jaccard([True, False, True], [True, True, True])
    0.6666666666666666
    """
    true_indices, true_mask_length = _as_index_set(support_true, "support_true")
    estimate_indices, estimate_mask_length = _as_index_set(support_estimate, "support_estimate")
    true_is_mask = true_mask_length is not None
    estimate_is_mask = estimate_mask_length is not None
    # An empty index array carries no form information, so it pairs with either.
    if true_is_mask != estimate_is_mask and (np.asarray(support_true).size and np.asarray(support_estimate).size):
        raise TypeError("support_true and support_estimate must both be boolean masks or both be integer index arrays")
    if true_is_mask and estimate_is_mask and true_mask_length != estimate_mask_length:
        raise ValueError(
            f"support_true is a mask of length {true_mask_length} but "
            f"support_estimate is a mask of length {estimate_mask_length}"
        )
    union = true_indices | estimate_indices
    if not union:
        return 1.0
    return len(true_indices & estimate_indices) / len(union)


def support_of(x, threshold=0.0, k=None):
    """Support of a vector: indices of its largest-magnitude entries.

    Parameters
    ----------
    x : array_like, shape (n,)
        Real or complex vector.
    threshold : float, default 0.0
        Keep indices with ``abs(x) > threshold`` (strictly greater, so the
        default keeps the exact non-zeros).  Same units as `x`.  Ignored when
        `k` is given.
    k : int, optional
        Keep the `k` entries of largest ``abs(x)`` instead.  Ties are broken
        in favour of the lower index.

    Returns
    -------
    ndarray of int, shape (k,) or (m,)
        Sorted indices, suitable for :func:`support_jaccard`.

    Raises
    ------
    ValueError
        If `x` is not 1-D, is empty or non-finite, `threshold` is negative
        or non-finite, or `k` is outside ``[0, n]``.
    TypeError
        If `x` is not numeric or `k` is not an integer.

    Examples
    --------
    >>> from sigrec.metrics import support_of
    >>> support_of([0.1, -3.0, 0.0, 2.0], threshold=0.5)
    array([1, 3])
    >>> support_of([0.1, -3.0, 0.0, 2.0], k=1)
    array([1])
    """
    x = _as_finite_array(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    magnitude = np.abs(x)
    if k is not None:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k must be an integer, got {k!r}")
        if not 0 <= k <= x.size:
            raise ValueError(f"k must be in [0, {x.size}], got {k}")
        largest_first = np.argsort(-magnitude, kind="stable")
        return np.sort(largest_first[:k])
    threshold = float(threshold)
    if not (np.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be non-negative and finite, got {threshold}")
    return np.flatnonzero(magnitude > threshold)


def _as_parameter_matrix(params, name):
    params = _as_finite_array(params, name, allow_complex=False)
    if params.ndim == 1:
        params = params[:, np.newaxis]
    if params.ndim != 2:
        raise ValueError(f"{name} must have shape (K, d) or (K,), got {params.shape}")
    return params.astype(np.float64, copy=False)


def matched_rmse(true_params, estimated_params, *, weights=None, return_assignment=False):
    r"""Per-dimension RMSE between two unordered sets of parameter vectors.

    Estimators of several targets (e.g. each target's angle, range and
    velocity) return them in no particular order.  This metric first pairs
    true and estimated vectors one-to-one so as to minimise the total
    (weighted) squared distance, solved exactly with
    :func:`scipy.optimize.linear_sum_assignment`, then reports the RMSE of
    each parameter over the matched pairs.

    Parameters
    ----------
    true_params : array_like, shape (K_true, d) or (K_true,)
        True parameter vectors, one row per target, real-valued, each column
        in its own units.  1-D input is treated as ``d = 1``.
    estimated_params : array_like, shape (K_est, d) or (K_est,)
        Estimated parameter vectors, same columns and units.
    weights : array_like, shape (d,), optional
        Non-negative per-dimension weights :math:`w` in the assignment cost
        :math:`\sum_j w_j (\theta_j - \hat\theta_j)^2`, used to make
        parameters with different units comparable (e.g. the inverse
        variance of each).  Default: all ones.  Weights affect only which
        vectors are paired; the returned RMSEs are unweighted, in each
        parameter's own units.
    return_assignment : bool, default False
        Also return the pairing.

    Returns
    -------
    rmse_per_dimension : ndarray, shape (d,)
        RMSE of each parameter over the matched pairs, in that parameter's
        units.
    assignment : tuple of ndarray, shape (min(K_true, K_est),) each
        Only if `return_assignment`: ``(row_ind, col_ind)``, meaning
        ``true_params[row_ind[i]]`` is paired with
        ``estimated_params[col_ind[i]]``; `row_ind` is increasing.

    Raises
    ------
    ValueError
        If an input is empty, non-finite or more than 2-D, the two inputs
        have different `d`, or `weights` has the wrong shape, is negative,
        non-finite or all zero.
    TypeError
        If an input is complex or not numeric.

    Notes
    -----
    When ``K_est != K_true`` only ``min(K_true, K_est)`` pairs are formed:
    the surplus true targets (misses) or surplus estimates (false alarms)
    that are left unpaired do **not** enter the RMSE.  Report the count
    mismatch separately (e.g. as a detection metric); the returned
    assignment shows which rows and columns were used.

    Examples
    --------
    >>> from sigrec.metrics import matched_rmse
    >>> matched_rmse([[0.0, 10.0], [5.0, 20.0]], [[5.0, 21.0], [0.0, 9.0]])
    array([0., 1.])
    """
    true_params = _as_parameter_matrix(true_params, "true_params")
    estimated_params = _as_parameter_matrix(estimated_params, "estimated_params")
    dimension = true_params.shape[1]
    if estimated_params.shape[1] != dimension:
        raise ValueError(
            f"true_params has shape {true_params.shape} but estimated_params has "
            f"shape {estimated_params.shape}; the number of parameters d must match"
        )
    if weights is None:
        weights = np.ones(dimension)
    else:
        weights = _as_finite_array(weights, "weights", allow_complex=False)
        weights = weights.astype(np.float64, copy=False)
        if weights.shape != (dimension,):
            raise ValueError(f"weights has shape {weights.shape}; expected ({dimension},)")
        if np.any(weights < 0) or not np.any(weights > 0):
            raise ValueError("weights must be non-negative and not all zero")

    differences = true_params[:, np.newaxis, :] - estimated_params[np.newaxis, :, :]
    assignment_cost = np.sum(weights * differences**2, axis=-1)
    row_ind, col_ind = linear_sum_assignment(assignment_cost)
    matched_differences = differences[row_ind, col_ind, :]
    rmse_per_dimension = np.sqrt(np.mean(matched_differences**2, axis=0))
    if return_assignment:
        return rmse_per_dimension, (row_ind, col_ind)
    return rmse_per_dimension
