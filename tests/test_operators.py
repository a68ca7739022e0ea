"""Tests for sigrec.operators."""

import tracemalloc
from functools import reduce

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse.linalg

from sigrec.operators import (
    KroneckerOperator,
    LinearOperator,
    MatrixOperator,
    PartialFourier,
    dottest,
)

FACTOR_SHAPES = [
    [(3, 4)],
    [(3, 4), (5, 2)],
    [(3, 4), (5, 2), (2, 3)],
]


def random_matrix(rng, shape, complex_entries=False):
    matrix = rng.standard_normal(shape)
    if complex_entries:
        matrix = matrix + 1j * rng.standard_normal(shape)
    return matrix


def random_factors(rng, shapes, complex_entries):
    # With complex_entries, only the first factor is complex, so the
    # real/complex mixing in dtype promotion gets exercised as well.
    return [
        random_matrix(rng, shape, complex_entries and index == 0)
        for index, shape in enumerate(shapes)
    ]


def dense_kron(factors):
    return reduce(np.kron, factors)


def conj_transpose(matrix):
    return matrix.conj().T


class WrongAdjoint(LinearOperator):
    """A complex matrix whose 'adjoint' forgets the conjugation."""

    def __init__(self, matrix):
        super().__init__(matrix.shape, matrix.dtype)
        self.matrix = matrix

    def _matmat(self, block):
        return self.matrix @ block

    def _rmatmat(self, block):
        return self.matrix.T @ block


class Diagonal(LinearOperator):
    """A minimal user-defined operator, to test the subclassing contract."""

    def __init__(self, diagonal):
        diagonal = np.asarray(diagonal)
        super().__init__((diagonal.size, diagonal.size), diagonal.dtype)
        self.diagonal = diagonal

    def _matmat(self, block):
        return self.diagonal[:, np.newaxis] * block

    def _rmatmat(self, block):
        return np.conj(self.diagonal)[:, np.newaxis] * block


class CountingMatrix(LinearOperator):
    """Dense factor that tallies the multiply-adds it performs."""

    def __init__(self, matrix, counter):
        super().__init__(matrix.shape, matrix.dtype)
        self.matrix = matrix
        self.counter = counter

    def _matmat(self, block):
        self.counter["calls"] += 1
        self.counter["flops"] += self.matrix.size * block.shape[1]
        return self.matrix @ block

    def _rmatmat(self, block):
        self.counter["calls"] += 1
        self.counter["flops"] += self.matrix.size * block.shape[1]
        return self.matrix.conj().T @ block


# --- dot tests ---------------------------------------------------------------


@pytest.mark.parametrize("complex_entries", [False, True])
@pytest.mark.parametrize("shape", [(4, 7), (7, 4), (1, 1)])
def test_dottest_matrix_operator(shape, complex_entries):
    rng = np.random.default_rng(0)
    op = MatrixOperator(random_matrix(rng, shape, complex_entries))
    assert dottest(op, rng=1) < 1e-12
    assert dottest(op, complex_input=True, rng=2) < 1e-12
    assert dottest(op.H, rng=3) < 1e-12


@pytest.mark.parametrize("complex_entries", [False, True])
@pytest.mark.parametrize("shapes", FACTOR_SHAPES)
def test_dottest_kronecker(shapes, complex_entries):
    rng = np.random.default_rng(1)
    op = KroneckerOperator(random_factors(rng, shapes, complex_entries))
    assert dottest(op, rng=1) < 1e-12
    assert dottest(op, complex_input=True, rng=2) < 1e-12
    assert dottest(op.H, complex_input=True, rng=3) < 1e-12


@pytest.mark.parametrize("norm", ["ortho", "backward"])
@pytest.mark.parametrize(
    ("n", "support"), [(16, [0, 5, 3, 15]), ((6, 5), [0, 29, 7, 12, 13])]
)
def test_dottest_partial_fourier(n, support, norm):
    op = PartialFourier(n, support, norm=norm)
    assert dottest(op, rng=1) < 1e-12
    assert dottest(op, complex_input=False, rng=2) < 1e-12
    assert dottest(op.H, rng=3) < 1e-12


def test_dottest_user_subclass_and_scipy_operator():
    rng = np.random.default_rng(2)
    diagonal = random_matrix(rng, 6, complex_entries=True)
    op = Diagonal(diagonal)
    np.testing.assert_allclose(op.toarray(), np.diag(diagonal), rtol=0, atol=1e-15)
    assert dottest(op, rng=1) < 1e-12
    assert dottest(op.aslinearoperator(), rng=2) < 1e-12


def test_dottest_detects_wrong_adjoint():
    rng = np.random.default_rng(3)
    op = WrongAdjoint(random_matrix(rng, (5, 4), complex_entries=True))
    with pytest.raises(AssertionError, match="relative error"):
        dottest(op, rng=1)
    with pytest.raises(AssertionError, match="relative error"):
        dottest(op.H, rng=1)


def test_dottest_complex_input_flag():
    # A real matrix whose adjoint wrongly conjugates its input: only complex
    # draws can expose it, so this checks which draws each flag asks for.
    rng = np.random.default_rng(19)
    matrix = random_matrix(rng, (4, 6))
    op = WrongAdjoint(matrix)
    op._rmatmat = lambda block: matrix.T @ np.conj(block)
    assert dottest(op, rng=1) < 1e-12
    assert dottest(op, complex_input=False, rng=1) < 1e-12
    with pytest.raises(AssertionError):
        dottest(op, complex_input=True, rng=1)


def test_dottest_returns_error_and_honours_rtol():
    rng = np.random.default_rng(4)
    matrix = random_matrix(rng, (5, 4), complex_entries=True)
    op = WrongAdjoint(matrix)
    with pytest.raises(AssertionError):
        dottest(op, rng=7)
    # Same draws, so the error reported with an infinite tolerance is the
    # one that tripped the assertion above.
    error = dottest(op, rng=7, rtol=np.inf)
    assert isinstance(error, float)
    assert 1e-3 < error <= 2
    assert dottest(MatrixOperator(matrix), rng=7) == pytest.approx(0, abs=1e-15)


def test_dottest_is_reproducible_with_seed():
    rng = np.random.default_rng(5)
    op = WrongAdjoint(random_matrix(rng, (6, 3), complex_entries=True))
    first = dottest(op, rng=11, rtol=np.inf)
    assert dottest(op, rng=11, rtol=np.inf) == first
    assert dottest(op, rng=12, rtol=np.inf) != first


# --- KroneckerOperator ---------------------------------------------------------


@pytest.mark.parametrize("complex_entries", [False, True])
@pytest.mark.parametrize("shapes", FACTOR_SHAPES)
def test_kronecker_matches_np_kron(shapes, complex_entries):
    rng = np.random.default_rng(6)
    factors = random_factors(rng, shapes, complex_entries)
    op = KroneckerOperator(factors)
    dense = dense_kron(factors)
    m, n = dense.shape

    assert op.shape == (m, n)
    assert op.in_shape == tuple(shape[1] for shape in shapes)
    assert op.out_shape == tuple(shape[0] for shape in shapes)
    assert op.dtype == (np.complex128 if complex_entries else np.float64)
    assert len(op.factors) == len(shapes)

    x = random_matrix(rng, n, complex_entries=True)
    y = random_matrix(rng, m, complex_entries=True)
    x_block = random_matrix(rng, (n, 3))
    y_block = random_matrix(rng, (m, 3))
    tolerance = {"rtol": 1e-12, "atol": 1e-12}

    np.testing.assert_allclose(op @ x, dense @ x, **tolerance)
    np.testing.assert_allclose(op.matvec(x), dense @ x, **tolerance)
    np.testing.assert_allclose(op @ x_block, dense @ x_block, **tolerance)
    np.testing.assert_allclose(op.H @ y, conj_transpose(dense) @ y, **tolerance)
    np.testing.assert_allclose(op.rmatvec(y), conj_transpose(dense) @ y, **tolerance)
    np.testing.assert_allclose(
        op.H @ y_block, conj_transpose(dense) @ y_block, **tolerance
    )
    assert (op @ x_block).shape == (m, 3)
    assert (op.H @ y_block).shape == (n, 3)
    np.testing.assert_allclose(op.toarray(), dense, **tolerance)
    np.testing.assert_allclose(op.H.toarray(), conj_transpose(dense), **tolerance)


def test_kronecker_vec_c_identity():
    rng = np.random.default_rng(7)
    a1 = random_matrix(rng, (3, 4), complex_entries=True)
    a2 = random_matrix(rng, (5, 2))
    tensor = random_matrix(rng, (4, 2))
    op = KroneckerOperator([a1, a2])
    np.testing.assert_allclose(
        op @ tensor.ravel(), (a1 @ tensor @ a2.T).ravel(), rtol=1e-12, atol=1e-12
    )


def test_kronecker_accepts_operator_factors():
    rng = np.random.default_rng(8)
    matrix = random_matrix(rng, (3, 4))
    fourier = PartialFourier(5, [4, 0, 2])
    scipy_factor = scipy.sparse.linalg.aslinearoperator(random_matrix(rng, (2, 3)))
    op = KroneckerOperator([MatrixOperator(matrix), fourier, scipy_factor])
    dense = dense_kron([matrix, fourier.toarray(), scipy_factor @ np.eye(3)])
    assert op.dtype == np.complex128
    np.testing.assert_allclose(op.toarray(), dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        op.H.toarray(), conj_transpose(dense), rtol=1e-12, atol=1e-12
    )
    assert dottest(op, rng=1) < 1e-12


def test_kronecker_large_factors_never_form_the_product():
    # The explicit product would be 262144 x 262144 (~1 TiB); only mode
    # products of 64 x 64 factors on a 64^3 tensor make this feasible.
    rng = np.random.default_rng(9)
    a1, a2, a3 = (random_matrix(rng, (64, 64)) for _ in range(3))
    op = KroneckerOperator([a1, a2, a3])
    tensor = random_matrix(rng, (64, 64, 64))
    assert op.shape == (64**3, 64**3)

    tracemalloc.start()
    try:
        result = op @ tensor.ravel()
        adjoint_result = op.H @ tensor.ravel()
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_bytes < 50 * 2**20

    # Mode products computed a different way: one einsum per mode.
    expected = np.einsum("ai,ijk->ajk", a1, tensor)
    expected = np.einsum("bj,ajk->abk", a2, expected)
    expected = np.einsum("ck,abk->abc", a3, expected)
    np.testing.assert_allclose(result, expected.ravel(), rtol=1e-10, atol=1e-10)
    expected_adjoint = np.einsum("ia,ijk->ajk", a1, tensor)
    expected_adjoint = np.einsum("jb,ajk->abk", a2, expected_adjoint)
    expected_adjoint = np.einsum("kc,abk->abc", a3, expected_adjoint)
    np.testing.assert_allclose(
        adjoint_result, expected_adjoint.ravel(), rtol=1e-10, atol=1e-10
    )


def test_kronecker_cost_is_linear_in_factor_sizes():
    rng = np.random.default_rng(10)
    shapes = [(6, 8), (4, 5), (7, 3)]
    counter = {"calls": 0, "flops": 0}
    factors = [CountingMatrix(random_matrix(rng, shape), counter) for shape in shapes]
    op = KroneckerOperator(factors)
    n_columns = 2
    dense = dense_kron([factor.matrix for factor in factors])
    # Each factor is applied exactly once per block, and each application
    # touches every fibre once: at most m_j * n_j * prod_{i != j} max(m_i, n_i)
    # multiply-adds per column, far below the m * n of the explicit product.
    for adjoint in (False, True):
        counter.update(calls=0, flops=0)
        applied = op.H if adjoint else op
        block = random_matrix(rng, (applied.shape[1], n_columns))
        expected = (dense.T if adjoint else dense) @ block
        np.testing.assert_allclose(applied @ block, expected, rtol=1e-12, atol=1e-12)
        bound = sum(
            m * n * np.prod([max(s) for i, s in enumerate(shapes) if i != j])
            for j, (m, n) in enumerate(shapes)
        )
        assert counter["calls"] == len(shapes)
        assert counter["flops"] <= bound * n_columns
        assert counter["flops"] < op.shape[0] * op.shape[1] * n_columns / 10


def test_kronecker_shrinking_factors_first():
    # Applying the 1 x 50 factor first shrinks the tensor to 50 x 1, costing
    # 2 * 50^2 multiply-adds in all; the 50 x 50 factor first would cost
    # 50^3 + 50^2.
    rng = np.random.default_rng(11)
    counter = {"calls": 0, "flops": 0}
    big = CountingMatrix(random_matrix(rng, (50, 50)), counter)
    row = CountingMatrix(random_matrix(rng, (1, 50)), counter)
    op = KroneckerOperator([big, row])
    x = random_matrix(rng, op.shape[1])
    result = op @ x
    assert counter["flops"] == 2 * 50 * 50
    np.testing.assert_allclose(
        result, (big.matrix @ x.reshape(50, 50) @ row.matrix.T).ravel(), rtol=1e-12
    )


# --- PartialFourier ----------------------------------------------------------


def dft_matrix(n, norm):
    return scipy.linalg.dft(n, scale="sqrtn" if norm == "ortho" else None)


@pytest.mark.parametrize("norm", ["ortho", "backward"])
def test_partial_fourier_1d_matches_dft_rows(norm):
    support = [7, 0, 3, 11]
    op = PartialFourier(12, support, norm=norm)
    expected = dft_matrix(12, norm)[support]
    assert op.shape == (4, 12)
    assert op.dtype == np.complex128
    np.testing.assert_allclose(op.toarray(), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        op.H.toarray(), conj_transpose(expected), rtol=0, atol=1e-12
    )
    block = np.random.default_rng(12).standard_normal((12, 3))
    np.testing.assert_allclose(op @ block, expected @ block, rtol=0, atol=1e-12)


@pytest.mark.parametrize("norm", ["ortho", "backward"])
def test_partial_fourier_2d_matches_dft_rows(norm):
    n1, n2 = 4, 6
    support = [23, 0, 5, 6, 17]
    op = PartialFourier((n1, n2), support, norm=norm)
    expected = np.kron(dft_matrix(n1, norm), dft_matrix(n2, norm))[support]
    assert op.shape == (5, n1 * n2)
    assert op.signal_shape == (n1, n2)
    np.testing.assert_allclose(op.toarray(), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        op.H.toarray(), conj_transpose(expected), rtol=0, atol=1e-12
    )
    image = np.random.default_rng(13).standard_normal((n1, n2))
    np.testing.assert_allclose(
        op @ image.ravel(),
        np.fft.fft2(image, norm=norm).ravel()[support],
        rtol=0,
        atol=1e-12,
    )


def test_partial_fourier_ortho_rows_are_orthonormal():
    op = PartialFourier((5, 4), [1, 2, 19, 8])
    np.testing.assert_allclose(op @ op.H.toarray(), np.eye(4), atol=1e-13)


@pytest.mark.parametrize("norm", ["ortho", "backward"])
def test_partial_fourier_boolean_mask(norm):
    rng = np.random.default_rng(14)
    mask = rng.random((5, 6)) < 0.4
    op_mask = PartialFourier((5, 6), mask, norm=norm)
    op_indices = PartialFourier((5, 6), np.flatnonzero(mask), norm=norm)
    np.testing.assert_array_equal(op_mask.support, np.flatnonzero(mask))
    np.testing.assert_allclose(op_mask.toarray(), op_indices.toarray(), atol=1e-14)
    mask_1d = np.zeros(8, dtype=bool)
    mask_1d[[1, 6]] = True
    np.testing.assert_allclose(
        PartialFourier(8, mask_1d, norm=norm).toarray(),
        dft_matrix(8, norm)[[1, 6]],
        atol=1e-12,
    )


def test_partial_fourier_support_is_copied_and_read_only():
    indices = np.array([2, 0])
    op = PartialFourier(4, indices)
    indices[0] = 3
    np.testing.assert_array_equal(op.support, [2, 0])
    with pytest.raises(ValueError):
        op.support[0] = 1


@pytest.mark.parametrize(
    ("n", "support", "message"),
    [
        (8, [1, 3, 1], "duplicate"),
        (8, [0, 8], r"\[0, 8\)"),
        (8, [-1, 2], r"\[0, 8\)"),
        ((3, 4), [12], r"\[0, 12\)"),
        (8, [], "empty"),
        (8, np.zeros(8, dtype=bool), "empty"),
        ((3, 4), np.ones((4, 3), dtype=bool), "shape"),
        (8, [0.0, 2.0], "integer"),
        (8, [[0, 1]], "1-D"),
        (0, [0], "positive"),
        ((2, 3, 4), [0], "n must be"),
        ("8", [0], "n must be"),
    ],
)
def test_partial_fourier_bad_input(n, support, message):
    with pytest.raises(ValueError, match=message):
        PartialFourier(n, support)


def test_partial_fourier_bad_norm():
    with pytest.raises(ValueError, match="norm"):
        PartialFourier(8, [0], norm="forward")


# --- MatrixOperator and base class -------------------------------------------


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.ones(3), "2-D"),
        (np.ones((2, 2, 2)), "2-D"),
        (np.ones((0, 3)), "non-empty"),
        (np.array([[1.0, np.nan]]), "NaN or infinite"),
        (np.array([[1.0, np.inf]]), "NaN or infinite"),
        (np.array([[1.0 + 1j * np.inf]]), "NaN or infinite"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_matrix_operator_bad_input(matrix, message):
    with pytest.raises(ValueError, match=message):
        MatrixOperator(matrix)


def test_matrix_operator_dtypes():
    assert MatrixOperator(np.eye(2, dtype=int)).dtype == np.float64
    assert MatrixOperator(np.eye(2, dtype=np.float32)).dtype == np.float64
    assert MatrixOperator(np.eye(2, dtype=np.complex64)).dtype == np.complex128
    real_op = MatrixOperator([[1.0, 2.0]])
    assert np.iscomplexobj(real_op @ np.array([1j, 1.0]))
    np.testing.assert_allclose(real_op @ np.array([1j, 1.0]), [2 + 1j])


def test_real_operator_adjoint_on_complex_input():
    rng = np.random.default_rng(15)
    matrix = random_matrix(rng, (3, 5))
    y = random_matrix(rng, 3, complex_entries=True)
    np.testing.assert_allclose(MatrixOperator(matrix).H @ y, matrix.T @ y)


def make_operators():
    rng = np.random.default_rng(16)
    return [
        MatrixOperator(random_matrix(rng, (3, 5), complex_entries=True)),
        KroneckerOperator(random_factors(rng, [(3, 4), (5, 2)], True)),
        PartialFourier((3, 4), [0, 5, 7]),
        PartialFourier(9, [0, 5]),
        Diagonal(np.arange(1.0, 5.0)),
    ]


@pytest.mark.parametrize("op", make_operators(), ids=repr)
def test_wrong_length_input_raises(op):
    m, n = op.shape
    for bad in (np.ones(n + 1), np.ones((n - 1, 2)), np.ones((n, 2, 2)), 1.0):
        with pytest.raises(ValueError, match=rf"expects .*\({n},\).* got shape"):
            op @ bad
    for bad in (np.ones(m + 1), np.ones((m + 2, 2))):
        with pytest.raises(ValueError, match=rf"\({m},\).*got shape"):
            op.H @ bad
    with pytest.raises(ValueError, match=rf"\({n},\).*got shape \({n}, 1\)"):
        op.matvec(np.ones((n, 1)))
    with pytest.raises(ValueError, match=rf"\({m},\).*got shape \({m + 1},\)"):
        op.rmatvec(np.ones(m + 1))


@pytest.mark.parametrize("op", make_operators(), ids=repr)
def test_adjoint_of_adjoint_is_original(op):
    assert op.H.shape == (op.shape[1], op.shape[0])
    assert op.H.H is op
    x = np.random.default_rng(17).standard_normal((op.shape[1], 2))
    np.testing.assert_array_equal(op.H.H @ x, op @ x)
    np.testing.assert_allclose(op.H.toarray(), conj_transpose(op.toarray()), atol=1e-14)
    y = np.random.default_rng(20).standard_normal(op.shape[0]) + 0j
    np.testing.assert_array_equal(op.rmatvec(y), op.H @ y)


@pytest.mark.parametrize("op", make_operators(), ids=repr)
def test_repr_names_class_and_dimensions(op):
    text = repr(op)
    assert type(op).__name__ in text
    assert repr(op.H).endswith(".H")


def test_base_class_requires_kernels_and_valid_shape():
    with pytest.raises(NotImplementedError):
        LinearOperator((2, 3), np.float64) @ np.ones(3)
    for bad_shape in [(2,), (0, 3), (2, -1), (2.0, 3)]:
        with pytest.raises(ValueError, match="shape"):
            LinearOperator(bad_shape, np.float64)
    with pytest.raises(TypeError):
        MatrixOperator(np.eye(2)) @ MatrixOperator(np.eye(2))


def test_aslinearoperator_with_lsqr():
    rng = np.random.default_rng(18)
    factors = [random_matrix(rng, (5, 3)), random_matrix(rng, (4, 2))]
    op = KroneckerOperator(factors)
    truth = rng.standard_normal(op.shape[1])
    scipy_op = op.aslinearoperator()
    assert scipy_op.shape == op.shape
    assert scipy_op.dtype == np.float64
    solution = scipy.sparse.linalg.lsqr(scipy_op, op @ truth, atol=1e-14, btol=1e-14)[0]
    np.testing.assert_allclose(solution, truth, rtol=1e-9, atol=1e-9)
    # scipy may pass column vectors to matvec/rmatvec and blocks to matmat.
    column = rng.standard_normal((op.shape[1], 1))
    np.testing.assert_allclose(scipy_op.matvec(column), op @ column)
    np.testing.assert_allclose(scipy_op.rmatvec(op @ column), op.H @ (op @ column))
    np.testing.assert_allclose(scipy_op @ np.eye(op.shape[1]), op.toarray())
    np.testing.assert_allclose(scipy_op.H @ np.eye(op.shape[0]), op.H.toarray())


# --- KroneckerOperator validation --------------------------------------------


@pytest.mark.parametrize(
    ("factors", "message"),
    [
        ([], "at least one factor"),
        ([np.eye(2), np.ones(3)], "factor 1.*2-D"),
        ([np.eye(2), np.eye(2), np.ones((2, 2, 2))], "factor 2.*2-D"),
        ([np.ones((0, 3)), np.eye(2)], "factor 0.*non-empty"),
        ([np.eye(2), np.ones((2, 0))], "factor 1.*non-empty"),
        ([np.eye(2), np.array([[np.nan]])], "factor 1.*NaN"),
    ],
)
def test_kronecker_bad_factors(factors, message):
    with pytest.raises(ValueError, match=message):
        KroneckerOperator(factors)
