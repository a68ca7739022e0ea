"""Tests for the PyTorch engine of sigrec.coding (sigrec/coding/_torch.py)."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from sigrec.coding import LqSparseCoder, _prox, sparse_encode  # noqa: E402
from sigrec.coding import _torch as tp  # noqa: E402
from sigrec.coding._estimators import _GramCache  # noqa: E402
from sigrec.coding._prox import PENALTIES  # noqa: E402

TAUS = (0.0, 0.013, 0.3, 1.7)
# alpha per penalty for the solver comparisons: about 20 non-zeros out of 48 atoms.
ALPHA = {"l1": 0.8, "l0": 0.15, "l1/2": 0.35, "l2/3": 0.3, "cel0": 0.15}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Run this module with one torch thread, restored afterwards.

    The problems here are tiny (48 × 48 tensors): threads only add overhead, and
    on a loaded machine an OpenMP barrier waiting for a descheduled thread makes
    each iteration ~40x slower.  The library itself never changes this setting.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _grid(threshold):
    """Values spread over [-4, 4] plus values right at and around a threshold, both signs."""
    base = np.linspace(-4.0, 4.0, 401)
    near = threshold * np.array([1 - 1e-6, 1 - 1e-12, 1.0, 1 + 1e-12, 1 + 1e-6, 1.5, 3.0])
    return np.concatenate([base, near, -near, [0.0, 1e-300, -1e-300, 1e-9]])


def _t(array):
    return torch.as_tensor(np.asarray(array, dtype=np.float64))


@pytest.mark.parametrize("penalty", ["l1", "l0", "l1/2", "l2/3"])
@pytest.mark.parametrize("tau", TAUS)
def test_operator_matches_numpy(penalty, tau):
    threshold = _prox.zero_threshold(penalty, tau)
    v = _grid(threshold if tau > 0 else 1.0)
    with np.errstate(all="ignore"):
        expected = _prox.prox(penalty, v, tau)
    got = tp.prox(penalty, _t(v), tau).numpy()
    assert got.dtype == np.float64
    assert not np.any(np.isnan(got))
    # |v| equal to the threshold up to one ulp may go either way (numpy's np.power and
    # Python's ** can differ in the last bit); the operator is set-valued there anyway.
    at_edge = np.abs(np.abs(v) - threshold) <= 1e-15 * threshold
    np.testing.assert_array_equal((got == 0)[~at_edge], (expected == 0)[~at_edge])
    assert not np.any(np.isnan(expected))
    same_branch = (got != 0) == (expected != 0)
    np.testing.assert_allclose(got[same_branch], expected[same_branch], rtol=1e-12, atol=0)


@pytest.mark.parametrize("penalty", ["l1/2", "l2/3"])
@pytest.mark.parametrize("tau", (*TAUS, 1e-12))
def test_nonconvex_roots_are_stationary(penalty, tau):
    """Non-zero outputs solve u + τ q sign(u)|u|^(q−1) = v to rounding, for tiny τ too."""
    q = 0.5 if penalty == "l1/2" else 2.0 / 3.0
    v = np.concatenate([_grid(_prox.zero_threshold(penalty, tau) if tau > 0 else 1.0), [1e-200, 1e200]])
    u = tp.prox(penalty, _t(v), tau).numpy()
    kept = u != 0
    assert np.all(np.isfinite(u)) and np.all(np.sign(u[kept]) == np.sign(v[kept]))
    residual = u[kept] + tau * q * np.sign(u[kept]) * np.abs(u[kept]) ** (q - 1.0) - v[kept]
    assert np.max(np.abs(residual) / np.abs(v[kept])) < 1e-14


@pytest.mark.parametrize("alpha", [0.0, 0.05, 0.7])
def test_cel0_operator_matches_numpy_per_column(alpha):
    # curvatures a^2 * eta = 0.125, 0.5, 0.98, 1.0 and 2.0: ramp and hard-threshold branches.
    norms = np.array([0.5, 1.0, np.sqrt(1.96), np.sqrt(2.0), 2.0])
    step = 0.5
    values = [np.linspace(-4.0, 4.0, 201)]
    for a in norms:
        for edge in (np.sqrt(2 * alpha) * a * step, np.sqrt(2 * alpha) / a, np.sqrt(2 * alpha * step)):
            values.append(edge * np.array([1 - 1e-9, 1.0, 1 + 1e-9, -1.0, -1 - 1e-9]))
    v = np.concatenate(values)
    v = np.repeat(v[:, None], norms.size, axis=1)
    expected = _prox.cel0_threshold(v, alpha, step, norms)
    got = tp.cel0_threshold(_t(v), alpha, step, _t(norms)).numpy()
    assert not np.any(np.isnan(got))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    # Through prox(), with tau = eta * alpha as the solver calls it.
    got = tp.prox("cel0", _t(v), step * alpha, step=step, column_norms=_t(norms)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("penalty", PENALTIES)
def test_operators_float32(penalty):
    v = np.linspace(-3.0, 3.0, 301)
    norms = np.full(v.size, 0.8)
    expected = _prox.prox(penalty, v, 0.2, step=0.5, column_norms=norms)
    got = tp.prox(penalty, torch.as_tensor(v, dtype=torch.float32), 0.2, step=0.5,
                  column_norms=torch.as_tensor(norms, dtype=torch.float32))
    assert got.dtype == torch.float32
    # Values within float32 rounding of a threshold may fall on either side: skip those.
    threshold = np.asarray(_prox.zero_threshold(penalty, 0.2, step=0.5, column_norms=norms)).max()
    clear = np.abs(np.abs(v) - threshold) > 1e-5
    np.testing.assert_allclose(got.numpy()[clear], expected[clear], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("penalty", PENALTIES)
def test_penalty_value_matches_numpy(penalty):
    rng = np.random.default_rng(1)
    codes = rng.standard_normal((7, 5)) * (rng.random((7, 5)) < 0.6)
    norms = np.array([0.5, 0.9, 1.0, 1.3, 2.0])
    expected = _prox.penalty_value(penalty, codes, 0.3, norms)
    got = tp.penalty_value(penalty, _t(codes), 0.3, _t(norms)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    dictionary = rng.standard_normal((48, 32))
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    X = rng.standard_normal((64, 32))
    return X, dictionary


def _both(X, dictionary, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = sparse_encode(X, dictionary, engine="numpy", return_n_iter=True, **kwargs)
        got = sparse_encode(X, dictionary, engine="torch", device="cpu", return_n_iter=True, **kwargs)
    return ref, got


@pytest.mark.parametrize("penalty", PENALTIES)
def test_ista_matches_numpy(problem, penalty):
    X, dictionary = problem
    (ref, ref_iter), (got, got_iter) = _both(
        X, dictionary, penalty=penalty, alpha=ALPHA[penalty], solver="ista", tol=1e-9, max_iter=5000
    )
    assert got.dtype == np.float64 and got_iter.dtype == np.int64
    np.testing.assert_array_equal(got != 0, ref != 0)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-8)
    # A sample may stop one iteration apart when its step is within rounding of tol.
    assert np.mean(got_iter == ref_iter) > 0.9

    # Stopped at max_iter with about half the samples converged: the others return their iterate.
    limit = int(np.median(ref_iter))
    (ref, ref_iter), (got, got_iter) = _both(
        X, dictionary, penalty=penalty, alpha=ALPHA[penalty], solver="ista", tol=1e-9, max_iter=limit
    )
    assert 0 < np.mean(ref_iter < limit) < 1
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-8)
    assert np.mean(got_iter == ref_iter) > 0.9


@pytest.mark.parametrize("penalty", PENALTIES)
def test_fista_matches_numpy(problem, penalty):
    """Monotone FISTA: same iterates while the objective still decreases, same solution after.

    Once a sample's objective has flattened to the last bits, the acceptance test
    f(z) ≤ f(x) compares numbers equal up to rounding; a GEMM summed in another
    order then accepts where numpy rejects (seen near iteration 290 on this kind
    of problem), and both continue on equally valid monotone paths that stop
    ~1e-7 apart.  So: codes to 1e-10 over the first iterations, and at
    convergence the same supports and the same objective to 1e-11.
    """
    X, dictionary = problem
    alpha = ALPHA[penalty]
    (ref, _), (got, _) = _both(X, dictionary, penalty=penalty, alpha=alpha, solver="fista", tol=0.0, max_iter=40)
    assert np.any(ref != 0)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)

    (ref, _), (got, _) = _both(X, dictionary, penalty=penalty, alpha=alpha, solver="fista", tol=1e-9, max_iter=5000)
    np.testing.assert_array_equal(got != 0, ref != 0)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)
    coder = LqSparseCoder(dictionary, penalty=penalty, alpha=alpha).fit(X)
    np.testing.assert_allclose(coder.objective(X, got), coder.objective(X, ref), rtol=1e-11)


@pytest.mark.parametrize("solver", ["ista", "fista"])
def test_float32_l1_close(problem, solver):
    X, dictionary = problem
    cache = _GramCache(dictionary)
    ref = sparse_encode(X, dictionary, penalty="l1", alpha=ALPHA["l1"], solver=solver, engine="numpy", tol=1e-10,
                        max_iter=5000)
    # tol 1e-7 (rather than the default 1e-6) so that the stopping error, not float32, is below 1e-4.
    codes, n_iter, converged = tp.torch_encode(
        X, cache, penalty="l1", alpha=ALPHA["l1"], solver=solver, max_iter=5000, tol=1e-7, init=None, device="cpu",
        dtype="float32",
    )
    assert codes.dtype == np.float64 and converged.mean() > 0.9
    np.testing.assert_allclose(codes, ref, rtol=0, atol=1e-4)


def test_outputs_state_and_limits(problem):
    X, dictionary = problem
    cache = _GramCache(dictionary)
    kwargs = dict(penalty="cel0", alpha=0.1, solver="fista", tol=1e-6, device=torch.device("cpu"))
    init = np.zeros((X.shape[0], dictionary.shape[0]))
    codes, n_iter, converged = tp.torch_encode(X, cache, max_iter=3, init=init, **kwargs)
    assert codes.shape == init.shape and codes.dtype == np.float64
    assert n_iter.dtype == np.int64 and converged.dtype == bool
    assert np.all(n_iter == 3) and not converged.any()
    assert not init.any()  # init is not modified

    first = tp.torch_encode(X, cache, max_iter=2000, init=None, **kwargs)
    again = tp.torch_encode(X, cache, max_iter=2000, init=None, **kwargs)
    assert first[2].all()
    for a, b in zip(first, again, strict=True):  # deterministic on the CPU
        np.testing.assert_array_equal(a, b)
    # A warm start at the solution stops at once.
    warm = tp.torch_encode(X, cache, max_iter=2000, init=first[0], **kwargs)
    assert warm[2].all() and warm[1].max() <= 3
    np.testing.assert_allclose(warm[0], first[0], atol=1e-5)

    empty = tp.torch_encode(X[:0], cache, max_iter=10, init=None, **kwargs)
    assert empty[0].shape == (0, dictionary.shape[0]) and empty[1].shape == (0,)


def test_options(problem):
    X, dictionary = problem
    cache = _GramCache(dictionary)
    kwargs = dict(penalty="l1", alpha=ALPHA["l1"], max_iter=10, tol=1e-6, init=None)
    with pytest.raises(ValueError, match="ista"):
        tp.torch_encode(X, cache, solver="cd", **kwargs)
    with pytest.raises(ValueError, match="dtype"):
        tp.torch_encode(X, cache, solver="ista", dtype="float16", **kwargs)
    assert tp.resolve_dtype(np.float32) is torch.float32 and tp.resolve_dtype(torch.float64) is torch.float64
    assert tp.resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        assert tp.resolve_device(None) == torch.device("cpu")
        with pytest.raises(RuntimeError, match="CUDA"):
            tp.resolve_device("cuda:0")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_is_used_when_available(problem):
    X, dictionary = problem
    assert tp.resolve_device(None).type == "cuda"
    torch.cuda.reset_peak_memory_stats()
    codes = sparse_encode(X, dictionary, penalty="l1", alpha=ALPHA["l1"], solver="fista", engine="torch", tol=1e-9,
                          max_iter=5000)  # device=None -> CUDA
    assert torch.cuda.max_memory_allocated() > 0
    ref = sparse_encode(X, dictionary, penalty="l1", alpha=ALPHA["l1"], solver="fista", engine="numpy", tol=1e-9,
                        max_iter=5000)
    np.testing.assert_allclose(codes, ref, rtol=0, atol=1e-5)
