"""Matrix-free linear operators.

A linear operator ``A`` of shape ``(m, n)`` is known only through its
action ``x -> A x`` and its adjoint ``y -> A^H y``; the matrix itself is
never stored unless asked for with :meth:`LinearOperator.toarray`.  This is
what makes structured operators such as Kronecker products of large factors
or partial Fourier transforms usable inside iterative solvers.

All operators here work in double precision: their ``dtype`` is
``numpy.float64`` or ``numpy.complex128``.  Use
:meth:`LinearOperator.aslinearoperator` to hand an operator to
:func:`scipy.sparse.linalg.lsqr`, :func:`scipy.sparse.linalg.cg` and friends,
and :func:`dottest` to check that a hand-written adjoint is correct.

Inner products follow the physics convention ``<a, b> = sum(conj(a) * b)``
(:func:`numpy.vdot`), so the adjoint satisfies ``<A x, y> = <x, A^H y>``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import scipy.sparse.linalg

__all__ = [
    "KroneckerOperator",
    "LinearOperator",
    "MatrixOperator",
    "PartialFourier",
    "dottest",
]


def _canonical_dtype(dtype) -> np.dtype:
    """Map any numeric dtype onto the two dtypes operators may have."""
    if np.issubdtype(np.dtype(dtype), np.complexfloating):
        return np.dtype(np.complex128)
    return np.dtype(np.float64)


class LinearOperator:
    """Base class of matrix-free linear operators.

    Subclasses call ``super().__init__(shape, dtype)`` and implement
    ``_matmat(X)`` and ``_rmatmat(Y)``, which apply the operator and its
    adjoint to an already validated 2-D block: ``X`` of shape ``(n, k)`` to
    a result of shape ``(m, k)``, and ``Y`` of shape ``(m, k)`` to a result
    of shape ``(n, k)``.  Everything else (vectors, validation, ``.H``,
    ``toarray``, the SciPy bridge) is provided here.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``: the operator maps vectors of length ``n`` to vectors of
        length ``m``.  Both must be positive.
    dtype : numpy dtype
        Any complex dtype gives ``numpy.complex128``, anything else
        ``numpy.float64``.

    Attributes
    ----------
    shape : tuple of int
        ``(m, n)``.
    dtype : numpy.dtype
        ``float64`` or ``complex128``.

    Notes
    -----
    ``A @ x`` accepts a vector of shape ``(n,)`` (result ``(m,)``) or a
    block of shape ``(n, k)`` (result ``(m, k)``, each column mapped
    independently).  The result dtype is the promotion of the operator's
    and the input's dtype, so a real operator maps complex input to complex
    output.  Inputs are not checked for NaN: that would cost a full pass
    over the data on every application.
    """

    def __init__(self, shape: tuple[int, int], dtype) -> None:
        if len(shape) != 2 or not all(
            isinstance(size, numbers.Integral) and size > 0 for size in shape
        ):
            raise ValueError(
                f"shape must be two positive integers (m, n), got {shape!r}"
            )
        self._shape = (int(shape[0]), int(shape[1]))
        self._dtype = _canonical_dtype(dtype)

    @property
    def shape(self) -> tuple[int, int]:
        """tuple of int: ``(m, n)``, output and input lengths."""
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        """numpy.dtype: ``float64`` or ``complex128``."""
        return self._dtype

    def _matmat(self, block: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement _matmat")

    def _rmatmat(self, block: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement _rmatmat")

    def _apply(self, operand, adjoint: bool) -> np.ndarray:
        operand = np.asarray(operand)
        in_length = self._shape[0] if adjoint else self._shape[1]
        if operand.ndim not in (1, 2) or operand.shape[0] != in_length:
            side = f"{self!r}.H" if adjoint else repr(self)
            raise ValueError(
                f"{side} expects a vector of shape ({in_length},) or a block "
                f"of shape ({in_length}, k), got shape {operand.shape}"
            )
        kernel = self._rmatmat if adjoint else self._matmat
        if operand.ndim == 1:
            return kernel(operand[:, np.newaxis])[:, 0]
        return kernel(operand)

    def matvec(self, x) -> np.ndarray:
        """Apply the operator to one vector.

        Parameters
        ----------
        x : array_like, shape (n,)

        Returns
        -------
        numpy.ndarray, shape (m,)
            ``A x``.

        Raises
        ------
        ValueError
            If ``x`` is not a vector of length ``n``.
        """
        x = np.asarray(x)
        if x.ndim != 1:
            raise ValueError(
                f"matvec of {self!r} expects a vector of shape "
                f"({self._shape[1]},), got shape {x.shape}"
            )
        return self._apply(x, adjoint=False)

    def rmatvec(self, y) -> np.ndarray:
        """Apply the adjoint (conjugate transpose) to one vector.

        Parameters
        ----------
        y : array_like, shape (m,)

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``A^H y``.

        Raises
        ------
        ValueError
            If ``y`` is not a vector of length ``m``.
        """
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(
                f"rmatvec of {self!r} expects a vector of shape "
                f"({self._shape[0]},), got shape {y.shape}"
            )
        return self._apply(y, adjoint=True)

    def __matmul__(self, operand) -> np.ndarray:
        """``A @ x`` for ``x`` of shape ``(n,)`` or ``(n, k)``."""
        # Operator-operator composition is not supported; refusing keeps
        # np.asarray from turning the operator into a 0-d object array.
        if isinstance(operand, LinearOperator):
            return NotImplemented
        return self._apply(operand, adjoint=False)

    @property
    def H(self) -> LinearOperator:
        """LinearOperator: the adjoint ``A^H``, of shape ``(n, m)``.

        ``A.H @ y`` applies :meth:`rmatvec` column-wise and ``A.H.H`` is
        ``A`` itself.
        """
        return _AdjointOperator(self)

    def toarray(self) -> np.ndarray:
        """Materialise the operator as a dense matrix.

        Built by applying the operator to the identity, so it costs ``n``
        applications and ``m * n`` memory; meant for tests and small sizes.

        Returns
        -------
        numpy.ndarray, shape (m, n)
        """
        return self @ np.eye(self._shape[1], dtype=self._dtype)

    def aslinearoperator(self) -> scipy.sparse.linalg.LinearOperator:
        """Wrap as a :class:`scipy.sparse.linalg.LinearOperator`.

        Returns
        -------
        scipy.sparse.linalg.LinearOperator
            Same shape and dtype; forward, adjoint and block products are
            delegated to this operator, for use with ``lsqr``, ``cg``, etc.
        """
        return scipy.sparse.linalg.LinearOperator(
            shape=self._shape,
            matvec=self.__matmul__,
            rmatvec=self.H.__matmul__,
            matmat=self.__matmul__,
            rmatmat=self.H.__matmul__,
            dtype=self._dtype,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self._shape}, dtype={self._dtype})"


class _AdjointOperator(LinearOperator):
    """The adjoint of another operator; ``.H`` returns that operator."""

    def __init__(self, parent: LinearOperator) -> None:
        super().__init__((parent.shape[1], parent.shape[0]), parent.dtype)
        self._parent = parent

    def _matmat(self, block: np.ndarray) -> np.ndarray:
        return self._parent._rmatmat(block)

    def _rmatmat(self, block: np.ndarray) -> np.ndarray:
        return self._parent._matmat(block)

    @property
    def H(self) -> LinearOperator:
        """LinearOperator: the operator this is the adjoint of."""
        return self._parent

    def __repr__(self) -> str:
        return f"{self._parent!r}.H"


class MatrixOperator(LinearOperator):
    """A dense matrix seen as a linear operator.

    Parameters
    ----------
    matrix : array_like, shape (m, n)
        Real or complex, finite, non-empty.  Stored as ``float64`` or
        ``complex128``.

    Raises
    ------
    ValueError
        If ``matrix`` is not numeric, not 2-D, empty, or has a NaN or
        infinite entry.

    Examples
    --------
    >>> import numpy as np
    >>> op = MatrixOperator(np.arange(6.0).reshape(2, 3))
    >>> op @ np.ones(3)
    array([ 3., 12.])
    """

    def __init__(self, matrix) -> None:
        try:
            matrix = np.asarray(matrix)
        except (TypeError, ValueError) as err:
            raise ValueError(f"matrix is not a numeric array: {err}") from err
        if not (
            np.issubdtype(matrix.dtype, np.number)
            or np.issubdtype(matrix.dtype, np.bool_)
        ):
            raise ValueError(f"matrix must be numeric, got dtype {matrix.dtype}")
        if matrix.ndim != 2:
            raise ValueError(
                f"matrix must be 2-D, got {matrix.ndim}-D of shape {matrix.shape}"
            )
        if matrix.size == 0:
            raise ValueError(f"matrix must be non-empty, got shape {matrix.shape}")
        matrix = np.asarray(matrix, dtype=_canonical_dtype(matrix.dtype))
        if not np.all(np.isfinite(matrix)):
            raise ValueError("matrix has NaN or infinite entries")
        super().__init__(matrix.shape, matrix.dtype)
        self._matrix = matrix

    @property
    def matrix(self) -> np.ndarray:
        """numpy.ndarray, shape (m, n): the wrapped matrix (do not modify)."""
        return self._matrix

    def _matmat(self, block: np.ndarray) -> np.ndarray:
        return self._matrix @ block

    def _rmatmat(self, block: np.ndarray) -> np.ndarray:
        if self._dtype.kind == "c":
            # conj(A^T conj(Y)) conjugates the block instead of the whole
            # matrix, which is the cheaper copy when k < n.
            return np.conj(self._matrix.T @ np.conj(block))
        return self._matrix.T @ block


def _as_factor(factor, index: int):
    """Validate one Kronecker factor; dense arrays become MatrixOperator."""
    if isinstance(factor, LinearOperator):
        return factor
    has_operator_interface = all(
        hasattr(factor, name) for name in ("shape", "dtype", "H", "__matmul__")
    )
    if has_operator_interface and not isinstance(factor, np.ndarray):
        shape = tuple(factor.shape)
        if len(shape) != 2:
            raise ValueError(f"factor {index} must be 2-D, got shape {shape}")
        if 0 in shape:
            raise ValueError(f"factor {index} is empty, got shape {shape}")
        return factor
    try:
        return MatrixOperator(factor)
    except ValueError as err:
        raise ValueError(f"factor {index}: {err}") from err


class KroneckerOperator(LinearOperator):
    r"""Kronecker product :math:`A_1 \otimes A_2 \otimes \dots \otimes A_d`.

    The product is never formed: the input is reshaped into a tensor and
    each factor is applied along its own axis (a mode product).

    Parameters
    ----------
    factors : sequence
        ``d >= 1`` factors; factor ``j`` has shape ``(m_j, n_j)``.  Each is
        a 2-D array (wrapped in :class:`MatrixOperator`), a
        :class:`LinearOperator`, or any object with ``shape``, ``dtype``,
        ``H`` and ``@`` for 2-D blocks, such as a
        :class:`scipy.sparse.linalg.LinearOperator`.

    Raises
    ------
    ValueError
        If ``factors`` is empty, or a factor is not 2-D, is empty, or is
        not a valid matrix; the message names the factor's index.

    Notes
    -----
    **Convention.**  The operator equals
    ``np.kron(A_1, np.kron(A_2, ...))`` and acts on vectors ``x`` that are
    the C-order (row-major) flattening of a tensor ``X`` of shape
    ``(n_1, ..., n_d)``, i.e. ``x = X.ravel()``; the output is the C-order
    flattening of a tensor of shape ``(m_1, ..., m_d)``.  For two factors,

    .. math:: (A_1 \otimes A_2)\, \mathrm{vec}_C(X)
              = \mathrm{vec}_C(A_1 X A_2^T).

    **Cost.**  One application costs :math:`O(\sum_j m_j n_j \prod_{i \ne j}
    \max(m_i, n_i))` operations, linear in each factor's size, instead of
    :math:`O(\prod_j m_j n_j)` for the explicit product.  Factors that
    shrink their axis (``m_j < n_j``) are applied first so that
    intermediate tensors stay small; the adjoint applies the conjugate
    transposes in the mirrored order.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A1, A2 = rng.normal(size=(3, 4)), rng.normal(size=(5, 2))
    >>> op = KroneckerOperator([A1, A2])
    >>> X = rng.normal(size=(4, 2))
    >>> np.allclose(op @ X.ravel(), (A1 @ X @ A2.T).ravel())
    True
    """

    def __init__(self, factors: Sequence) -> None:
        factors = tuple(factors)
        if not factors:
            raise ValueError("factors must contain at least one factor")
        factors = tuple(_as_factor(factor, j) for j, factor in enumerate(factors))
        self._factors = factors
        self._out_shape = tuple(int(factor.shape[0]) for factor in factors)
        self._in_shape = tuple(int(factor.shape[1]) for factor in factors)
        dtype = np.result_type(*(np.dtype(factor.dtype) for factor in factors))
        super().__init__((math.prod(self._out_shape), math.prod(self._in_shape)), dtype)
        axes = range(len(factors))
        self._forward_order = sorted(
            axes, key=lambda j: self._out_shape[j] / self._in_shape[j]
        )
        self._adjoint_order = sorted(
            axes, key=lambda j: self._in_shape[j] / self._out_shape[j]
        )

    @property
    def factors(self) -> tuple:
        """tuple: the factors, dense arrays wrapped as :class:`MatrixOperator`."""
        return self._factors

    @property
    def in_shape(self) -> tuple[int, ...]:
        """tuple of int: ``(n_1, ..., n_d)``, the input tensor's shape."""
        return self._in_shape

    @property
    def out_shape(self) -> tuple[int, ...]:
        """tuple of int: ``(m_1, ..., m_d)``, the output tensor's shape."""
        return self._out_shape

    @staticmethod
    def _mode_product(factor, tensor: np.ndarray, axis: int) -> np.ndarray:
        """Apply ``factor`` to every fibre of ``tensor`` along ``axis``."""
        moved = np.moveaxis(tensor, axis, 0)
        other_sizes = moved.shape[1:]
        product = factor @ moved.reshape(moved.shape[0], -1)
        product = np.asarray(product).reshape((product.shape[0],) + other_sizes)
        return np.moveaxis(product, 0, axis)

    def _apply_modes(self, block, tensor_shape, order, adjoint) -> np.ndarray:
        n_columns = block.shape[1]
        tensor = block.reshape(tensor_shape + (n_columns,))
        for axis in order:
            factor = self._factors[axis]
            tensor = self._mode_product(factor.H if adjoint else factor, tensor, axis)
        return tensor.reshape(-1, n_columns)

    def _matmat(self, block: np.ndarray) -> np.ndarray:
        return self._apply_modes(
            block, self._in_shape, self._forward_order, adjoint=False
        )

    def _rmatmat(self, block: np.ndarray) -> np.ndarray:
        return self._apply_modes(
            block, self._out_shape, self._adjoint_order, adjoint=True
        )

    def __repr__(self) -> str:
        return (
            f"KroneckerOperator(n_factors={len(self._factors)}, "
            f"out_shape={self._out_shape}, in_shape={self._in_shape}, "
            f"dtype={self._dtype})"
        )


_ADJOINT_FFT_NORM = {
    # F = fft(norm="ortho") is unitary, so F^H = F^{-1} = ifft(norm="ortho").
    "ortho": "ortho",
    # F = fft(norm="backward") is unscaled, and its conjugate transpose is
    # the unscaled inverse sum, which numpy calls ifft(norm="forward").
    "backward": "forward",
}


class PartialFourier(LinearOperator):
    """Selected rows of the 1-D or 2-D discrete Fourier transform.

    ``A x = fft(x)[support]`` in 1-D and
    ``A x = fft2(x.reshape(n1, n2)).ravel()[support]`` in 2-D.  The adjoint
    scatters ``y`` into zeros at ``support`` and applies the correctly
    scaled inverse transform, so ``<A x, y> = <x, A^H y>`` exactly.

    Parameters
    ----------
    n : int or tuple of int
        Signal size: ``n`` for a 1-D signal of length ``n``, or
        ``(n1, n2)`` for an image of shape ``(n1, n2)`` flattened in
        C-order (row-major) to a vector of length ``n1 * n2``.
    support : array_like
        Which Fourier coefficients are kept, either as distinct integer
        indices into the C-order flattened spectrum (in ``[0, n)`` or
        ``[0, n1 * n2)``; rows come out in the given order), or as a boolean
        mask of shape ``(n,)`` or ``(n1, n2)`` (rows come out in C-order of
        the mask).
    norm : {"ortho", "backward"}, default "ortho"
        ``"ortho"``: rows of the unitary DFT (``A A^H = I``).
        ``"backward"``: rows of the unnormalised DFT, numpy's default
        ``fft`` convention.

    Attributes
    ----------
    shape : tuple of int
        ``(len(support), n)`` or ``(len(support), n1 * n2)``.
    dtype : numpy.dtype
        Always ``complex128``.

    Raises
    ------
    ValueError
        For a bad ``n`` or ``norm``, an empty support, non-integer,
        negative, out-of-range or duplicate indices, or a mask of the
        wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> op = PartialFourier(8, [0, 3, 5])
    >>> op.shape
    (3, 8)
    >>> np.allclose(op @ np.ones(8), [np.sqrt(8), 0, 0])
    True
    """

    def __init__(self, n, support, norm: str = "ortho") -> None:
        self._signal_shape = self._check_signal_shape(n)
        if norm not in _ADJOINT_FFT_NORM:
            raise ValueError(
                f"norm must be one of {sorted(_ADJOINT_FFT_NORM)}, got {norm!r}"
            )
        self._norm = norm
        size = math.prod(self._signal_shape)
        self._support = self._check_support(support, self._signal_shape, size)
        self._support.flags.writeable = False
        super().__init__((self._support.size, size), np.complex128)

    @staticmethod
    def _check_signal_shape(n) -> tuple[int, ...]:
        sizes = (n,) if isinstance(n, numbers.Integral) else n
        try:
            sizes = tuple(sizes)
        except TypeError:
            sizes = ()
        if len(sizes) not in (1, 2) or not all(
            isinstance(size, numbers.Integral)
            and not isinstance(size, bool)
            and size > 0
            for size in sizes
        ):
            raise ValueError(
                f"n must be a positive int or a tuple (n1, n2) of positive "
                f"ints, got {n!r}"
            )
        return tuple(int(size) for size in sizes)

    @staticmethod
    def _check_support(support, signal_shape, size) -> np.ndarray:
        support = np.asarray(support)
        if support.dtype == np.bool_:
            if support.shape != signal_shape:
                raise ValueError(
                    f"boolean support mask must have shape {signal_shape}, "
                    f"got {support.shape}"
                )
            indices = np.flatnonzero(support)
            if indices.size == 0:
                raise ValueError("support is empty: the mask has no True entry")
            return indices
        if support.size == 0:
            raise ValueError("support is empty")
        if support.ndim > 1:
            raise ValueError(f"support indices must be 1-D, got shape {support.shape}")
        if not np.issubdtype(support.dtype, np.integer):
            raise ValueError(
                f"support must be integer indices or a boolean mask, got "
                f"dtype {support.dtype}"
            )
        indices = support.astype(np.intp).ravel()
        out_of_range = indices[(indices < 0) | (indices >= size)]
        if out_of_range.size:
            raise ValueError(
                f"support indices must lie in [0, {size}), got "
                f"{out_of_range[:5].tolist()}"
            )
        unique, counts = np.unique(indices, return_counts=True)
        if unique.size != indices.size:
            raise ValueError(
                f"support has duplicate indices {unique[counts > 1][:5].tolist()}"
            )
        return indices

    @property
    def signal_shape(self) -> tuple[int, ...]:
        """tuple of int: ``(n,)`` or ``(n1, n2)``, the unflattened input shape."""
        return self._signal_shape

    @property
    def support(self) -> np.ndarray:
        """numpy.ndarray of intp: the kept flat indices, in row order (read-only)."""
        return self._support

    @property
    def norm(self) -> str:
        """str: ``"ortho"`` or ``"backward"``."""
        return self._norm

    def _transform_axes(self) -> tuple[int, ...]:
        return tuple(range(len(self._signal_shape)))

    def _matmat(self, block: np.ndarray) -> np.ndarray:
        n_columns = block.shape[1]
        signals = block.reshape(self._signal_shape + (n_columns,))
        spectra = np.fft.fftn(signals, axes=self._transform_axes(), norm=self._norm)
        return spectra.reshape(-1, n_columns)[self._support]

    def _rmatmat(self, block: np.ndarray) -> np.ndarray:
        n_columns = block.shape[1]
        spectra = np.zeros((self._shape[1], n_columns), dtype=np.complex128)
        spectra[self._support] = block
        signals = np.fft.ifftn(
            spectra.reshape(self._signal_shape + (n_columns,)),
            axes=self._transform_axes(),
            norm=_ADJOINT_FFT_NORM[self._norm],
        )
        return signals.reshape(-1, n_columns)

    def __repr__(self) -> str:
        n = (
            self._signal_shape[0]
            if len(self._signal_shape) == 1
            else self._signal_shape
        )
        return (
            f"PartialFourier(n={n}, n_support={self._support.size}, "
            f"norm={self._norm!r})"
        )


def dottest(op, *, complex_input=None, rng=None, rtol: float = 1e-12) -> float:
    """Check an operator's adjoint against its forward with the dot test.

    Draws random ``u`` of length ``n`` and ``v`` of length ``m`` and
    compares ``<A u, v>`` with ``<u, A^H v>``, which are equal exactly when
    ``A^H`` is the adjoint of ``A``.  Use it on your own operators.

    Parameters
    ----------
    op : LinearOperator
        Any object with ``shape``, ``dtype``, ``@`` and ``.H``; a
        :class:`scipy.sparse.linalg.LinearOperator` works too.
    complex_input : bool or None, default None
        Draw complex ``u`` and ``v``.  ``None`` means: if ``op.dtype`` is
        complex.  A complex test also exercises the conjugations in the
        adjoint, so prefer it whenever the operator accepts complex input.
    rng : None, int or numpy.random.Generator, default None
        Seed or generator for ``u`` and ``v``.
    rtol : float, default 1e-12
        Largest accepted relative error.

    Returns
    -------
    float
        ``|<A u, v> - <u, A^H v>| / max(|<A u, v>|, |<u, A^H v>|)``, or 0.0
        when both inner products are exactly zero.

    Raises
    ------
    AssertionError
        If the relative error exceeds ``rtol``; the message gives both inner
        products and the error.

    Notes
    -----
    Inner products are ``numpy.vdot`` (the first argument is conjugated).
    Rounding makes the error grow with the operator's size, so loosen
    ``rtol`` for very large operators.

    Examples
    --------
    >>> import numpy as np
    >>> op = MatrixOperator(np.arange(6.0).reshape(2, 3))
    >>> dottest(op, rng=0) < 1e-12
    True
    """
    rng = np.random.default_rng(rng)
    n_rows, n_columns = op.shape
    if complex_input is None:
        complex_input = np.issubdtype(np.dtype(op.dtype), np.complexfloating)

    def draw(length: int) -> np.ndarray:
        sample = rng.standard_normal(length)
        if complex_input:
            sample = sample + 1j * rng.standard_normal(length)
        return sample

    u = draw(n_columns)
    v = draw(n_rows)
    forward_product = np.vdot(np.asarray(op @ u), v)
    adjoint_product = np.vdot(u, np.asarray(op.H @ v))
    scale = max(abs(forward_product), abs(adjoint_product))
    error = 0.0 if scale == 0 else float(abs(forward_product - adjoint_product) / scale)
    if not error <= rtol:
        raise AssertionError(
            f"dot test failed for {op!r}: <A u, v> = {forward_product}, "
            f"<u, A^H v> = {adjoint_product}, relative error {error:.3e} > "
            f"rtol {rtol:.1e}"
        )
    return error
