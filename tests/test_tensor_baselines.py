"""Baseline estimators of sigrec.tensor: FFT periodogram, grid OMP (NOMP), R-D ESPRIT, sequential."""

import ast
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sigrec.tensor._model import synthesize
from sigrec.tensor.baselines import FFTPeriodogram, GridOMP, SequentialEstimator, TensorESPRIT

ESTIMATORS = [FFTPeriodogram, GridOMP, TensorESPRIT, SequentialEstimator]


def _cells(shape):
    return 2.0 * np.pi / np.asarray(shape, dtype=float)


def _circular(difference):
    return np.abs(np.angle(np.exp(1j * np.asarray(difference))))


def _well_separated(shape, n_objects, rng, *, far=3.0, near=1.0):
    """Random (K, M) frequencies: every pair ≥ `far` cells apart in some mode and ≥ `near` in all."""
    cells = _cells(shape)
    while True:
        frequencies = rng.uniform(-np.pi, np.pi, (n_objects, len(shape)))
        gaps = [_circular(frequencies[i] - frequencies[j]) / cells for i in range(n_objects) for j in range(i)]
        if all(gap.max() >= far and gap.min() >= near for gap in gaps):
            return frequencies


def _amplitudes(rng, n_objects, n_snapshots=None):
    size = (n_objects,) if n_snapshots is None else (n_snapshots, n_objects)
    return (1.0 + rng.uniform(0.0, 1.0, size)) * np.exp(2j * np.pi * rng.uniform(0.0, 1.0, size))


def _match_error(estimated, truth, cells=1.0):
    """Per true object, the largest per-mode circular error to its best-matching estimate.

    In rad/sample, or in Rayleigh cells when `cells` (2π/N_m per mode) is given.
    """
    errors = []
    for row in truth:
        errors.append((_circular(estimated - row) / cells).max(axis=1).min())
    return np.array(errors)


def _noisy(tensor, snr_db, rng):
    scale = np.sqrt(10.0 ** (-snr_db / 10.0) / 2.0)
    return tensor + scale * (rng.standard_normal(tensor.shape) + 1j * rng.standard_normal(tensor.shape))


# ---------------------------------------------------------------------------
# Noiseless recovery
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(32,), (12, 10), (8, 16, 12)], ids=["M1", "M2", "M3"])
@pytest.mark.parametrize("window", [None, "hann"])
def test_fft_newton_recovers_well_separated_tones(shape, window):
    rng = np.random.default_rng(1)
    n_objects = 2 if len(shape) == 1 else 3
    frequencies = _well_separated(shape, n_objects, rng)
    amplitudes = _amplitudes(rng, n_objects)
    Y = synthesize(frequencies, amplitudes, shape)
    estimator = FFTPeriodogram(n_objects, window=window).fit(Y)
    assert estimator.frequencies_.shape == (n_objects, len(shape))
    assert _match_error(estimator.frequencies_, frequencies).max() < 1e-6
    np.testing.assert_allclose(estimator.predict(), Y, atol=1e-5)


def test_fft_without_newton_is_grid_limited():
    shape = (8, 16, 12)
    rng = np.random.default_rng(2)
    frequencies = _well_separated(shape, 3, rng)
    Y = synthesize(frequencies, _amplitudes(rng, 3), shape)
    cells = _cells(shape)
    grid = FFTPeriodogram(3, refine=None, padding=4).fit(Y)
    parabolic = FFTPeriodogram(3, refine="parabolic", padding=4).fit(Y)
    grid_error = max(_match_error(grid.frequencies_, frequencies, cells))
    parabolic_error = max(_match_error(parabolic.frequencies_, frequencies, cells))
    # Grid step 1/4 cell: the picked bin is within one step; interpolation does better.
    assert grid_error <= 0.25 + 1e-9
    assert parabolic_error < 0.05
    assert parabolic_error < grid_error


@pytest.mark.parametrize("shape", [(24,), (12, 10), (8, 16, 12)], ids=["M1", "M2", "M3"])
def test_grid_omp_recovers_noiseless(shape):
    rng = np.random.default_rng(3)
    n_objects = 2 if len(shape) == 1 else 3
    frequencies = _well_separated(shape, n_objects, rng)
    amplitudes = _amplitudes(rng, n_objects)
    Y = synthesize(frequencies, amplitudes, shape)
    estimator = GridOMP(n_objects).fit(Y)
    assert _match_error(estimator.frequencies_, frequencies).max() < 1e-6
    np.testing.assert_allclose(estimator.predict(), Y, atol=1e-5)


@pytest.mark.parametrize("forward_backward", [True, False])
def test_tensor_esprit_is_exact_noiseless(forward_backward):
    shape = (6, 10, 8)
    rng = np.random.default_rng(4)
    frequencies = _well_separated(shape, 3, rng)
    amplitudes = _amplitudes(rng, 3)
    Y = synthesize(frequencies, amplitudes, shape)
    estimator = TensorESPRIT(3, forward_backward=forward_backward).fit(Y)
    assert _match_error(estimator.frequencies_, frequencies).max() < 1e-8
    assert estimator.window_shape_ == (3, 5, 4)
    order = [int(np.argmin(_circular(estimator.frequencies_ - row).max(axis=1))) for row in frequencies]
    np.testing.assert_allclose(estimator.amplitudes_[order], amplitudes, rtol=1e-8)


def test_tensor_esprit_blockwise_covariance(monkeypatch):
    # Large tensors accumulate X Xᴴ per (snapshot, first-mode offset): same subspace, same estimates.
    import sigrec.tensor.baselines as module

    shape = (6, 10, 8)
    rng = np.random.default_rng(15)
    frequencies = _well_separated(shape, 3, rng)
    Y = _noisy(synthesize(frequencies, _amplitudes(rng, 3, n_snapshots=2), shape), 20.0, rng)
    whole = TensorESPRIT(3, snapshots=True).fit(Y)
    monkeypatch.setattr(module, "_BLOCK_ELEMENTS", 100)
    blockwise = TensorESPRIT(3, snapshots=True).fit(Y)
    np.testing.assert_allclose(blockwise.frequencies_, whole.frequencies_, atol=1e-10)


@pytest.mark.parametrize("shape", [(20,), (12, 10)], ids=["M1", "M2"])
def test_tensor_esprit_low_order_modes(shape):
    rng = np.random.default_rng(5)
    frequencies = _well_separated(shape, 2, rng)
    Y = synthesize(frequencies, _amplitudes(rng, 2), shape)
    estimator = TensorESPRIT(2).fit(Y)
    assert _match_error(estimator.frequencies_, frequencies).max() < 1e-8


@pytest.mark.parametrize("order_selection", ["mdl", "fixed"])
@pytest.mark.parametrize("shape", [(16,), (12, 10), (8, 16, 12), (6, 8, 6, 5)], ids=["M1", "M2", "M3", "M4"])
def test_sequential_recovers_noiseless(shape, order_selection):
    rng = np.random.default_rng(6)
    n_objects = 2 if len(shape) in (1, 4) else 3
    frequencies = _well_separated(shape, n_objects, rng)
    amplitudes = _amplitudes(rng, n_objects)
    Y = synthesize(frequencies, amplitudes, shape)
    estimator = SequentialEstimator(n_objects, order_selection=order_selection).fit(Y)
    assert estimator.n_components_ == n_objects
    assert _match_error(estimator.frequencies_, frequencies).max() < 1e-8
    np.testing.assert_allclose(estimator.predict(), Y, atol=1e-8)


def test_sequential_shared_first_mode_value():
    # Two objects share their mode-0 frequency: one mode-0 candidate carries both.
    shape = (8, 12, 10)
    rng = np.random.default_rng(7)
    frequencies = np.array([[0.5, -1.0, 2.0], [0.5, 1.5, -0.5], [-2.0, 0.2, 1.0]])
    Y = synthesize(frequencies, _amplitudes(rng, 3), shape)
    estimator = SequentialEstimator(3).fit(Y)
    assert _match_error(estimator.frequencies_, frequencies).max() < 1e-8


# ---------------------------------------------------------------------------
# Snapshots, layout and conventions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_snapshots_layout(cls):
    shape = (8, 16, 12)
    rng = np.random.default_rng(8)
    frequencies = _well_separated(shape, 3, rng)
    amplitudes = _amplitudes(rng, 3, n_snapshots=4)
    Y = synthesize(frequencies, amplitudes, shape)
    estimator = cls(3, snapshots=True).fit(Y)
    assert estimator.amplitudes_.shape == (4, 3)
    assert estimator.n_snapshots_ == 4 and estimator.shape_ == shape
    assert estimator.predict().shape == Y.shape
    assert _match_error(estimator.frequencies_, frequencies).max() < 1e-6
    np.testing.assert_allclose(estimator.predict(), Y, atol=1e-5)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_output_conventions(cls):
    # An object at the band edge (ω = -π in mode 0, just below +π in mode 1) must come back in [-π, π).
    shape = (10, 12)
    frequencies = np.array([[-np.pi, np.pi - 0.01], [1.0, -0.5]])
    amplitudes = np.array([0.5 + 0.5j, 2.0])
    Y = synthesize(frequencies, amplitudes, shape)
    estimator = cls(2).fit(Y)
    assert estimator.frequencies_.dtype == np.float64
    assert estimator.amplitudes_.dtype == np.complex128
    assert estimator.amplitudes_.shape == (2,)
    assert np.all(estimator.frequencies_ >= -np.pi) and np.all(estimator.frequencies_ < np.pi)
    # Sorted by decreasing power: the amplitude-2 object first.
    np.testing.assert_allclose(estimator.frequencies_[0], [1.0, -0.5], atol=1e-6)
    assert _match_error(estimator.frequencies_, frequencies).max() < 1e-6
    assert estimator.predict().shape == shape


def test_fit_is_deterministic_and_leaves_input_alone():
    shape = (6, 10, 8)
    rng = np.random.default_rng(9)
    Y = _noisy(synthesize(_well_separated(shape, 3, rng), _amplitudes(rng, 3), shape), 10.0, rng)
    original = Y.copy()
    for cls in ESTIMATORS:
        first = cls(3).fit(Y).frequencies_
        np.testing.assert_array_equal(cls(3).fit(Y).frequencies_, first)
    np.testing.assert_array_equal(Y, original)


def test_tensor_esprit_pairing_does_not_depend_on_combination():
    shape = (6, 10, 8)
    rng = np.random.default_rng(10)
    frequencies = _well_separated(shape, 3, rng)
    Y = synthesize(frequencies, _amplitudes(rng, 3), shape)
    for seed in (0, 1, np.random.default_rng(2), np.random.RandomState(3)):
        estimator = TensorESPRIT(3, random_state=seed).fit(Y)
        assert _match_error(estimator.frequencies_, frequencies).max() < 1e-8


def test_all_zero_input_gives_a_valid_empty_or_silent_fit():
    Y = np.zeros((6, 8), dtype=complex)
    fft = FFTPeriodogram(2).fit(Y)
    assert fft.n_components_ == 0 and fft.frequencies_.shape == (0, 2) and fft.amplitudes_.shape == (0,)
    np.testing.assert_array_equal(fft.predict(), Y)
    for cls in (GridOMP, TensorESPRIT, SequentialEstimator):
        estimator = cls(2).fit(Y)
        np.testing.assert_array_equal(estimator.amplitudes_, 0.0)
        np.testing.assert_array_equal(estimator.predict(), Y)


# ---------------------------------------------------------------------------
# Noise and resolution
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_moderate_snr_errors_are_a_small_fraction_of_a_cell(cls):
    # 10 dB per element on 8 x 16 x 12: the CRB is about 1e-3 cell; allow 0.05 cell.
    shape = (8, 16, 12)
    cells = _cells(shape)
    rng = np.random.default_rng(11)
    worst = 0.0
    for _ in range(4):
        frequencies = _well_separated(shape, 3, rng)
        Y = _noisy(synthesize(frequencies, _amplitudes(rng, 3), shape), 10.0, rng)
        estimator = cls(3).fit(Y)
        worst = max(worst, _match_error(estimator.frequencies_, frequencies, cells).max())
    assert worst < 0.05


def _close_pair(shape, rng, separation_cells=0.5):
    """Two equal-power objects `separation_cells` apart in every mode, in phase at the tensor centre.

    In phase at the centre, their periodogram main lobes add into a single
    peak halfway between them: the classic Rayleigh merger.
    """
    cells = _cells(shape)
    first = rng.uniform(-np.pi, np.pi, len(shape))
    frequencies = np.vstack([first, first + separation_cells * cells])
    centre = (np.asarray(shape) - 1) / 2.0
    amplitudes = np.exp(1j * (rng.uniform(0, 2 * np.pi) - frequencies @ centre))
    return frequencies, amplitudes


@pytest.mark.parametrize("refine", ["newton", "parabolic", None])
def test_fft_cannot_resolve_half_a_cell(refine):
    shape = (8, 16, 16)
    cells = _cells(shape)
    rng = np.random.default_rng(12)
    for _ in range(5):
        frequencies, amplitudes = _close_pair(shape, rng)
        Y = _noisy(synthesize(frequencies, amplitudes, shape), 0.0, rng)
        estimator = FFTPeriodogram(2, refine=refine).fit(Y)
        within = _match_error(estimator.frequencies_, frequencies, cells) < 0.1
        assert within.sum() <= 1


def test_tensor_esprit_resolves_the_pair_the_fft_cannot():
    # Positive control for the resolution test: the same kind of pair is resolvable.
    shape = (8, 16, 16)
    cells = _cells(shape)
    rng = np.random.default_rng(13)
    for _ in range(3):
        frequencies, amplitudes = _close_pair(shape, rng)
        Y = _noisy(synthesize(frequencies, amplitudes, shape), 10.0, rng)
        estimator = TensorESPRIT(2).fit(Y)
        assert np.all(_match_error(estimator.frequencies_, frequencies, cells) < 0.1)


# ---------------------------------------------------------------------------
# Bad input and the scikit-learn contract
# ---------------------------------------------------------------------------


def _example(snapshots=False):
    rng = np.random.default_rng(14)
    shape = (6, 8, 7)
    amplitudes = _amplitudes(rng, 2, n_snapshots=2 if snapshots else None)
    return synthesize(_well_separated(shape, 2, rng, far=2.0, near=0.5), amplitudes, shape)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_bad_input_raises_named_errors(cls):
    Y = _example()
    with pytest.raises(ValueError, match="complex"):
        cls(2).fit(Y.real)
    with_nan = Y.copy()
    with_nan[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls(2).fit(with_nan)
    with_inf = Y.copy()
    with_inf[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        cls(2).fit(with_inf)
    with pytest.raises(ValueError, match="dim|D"):
        cls(2).fit(np.complex128(1.0 + 1.0j))
    with pytest.raises(ValueError, match="at least 2 axes"):
        cls(2, snapshots=True).fit(Y[0, 0])
    with pytest.raises(ValueError, match="at least 2 are needed"):
        cls(2).fit(Y[:, :1])
    with pytest.raises(ValueError, match="n_components"):
        cls(0).fit(Y)


def test_bad_parameters_raise():
    Y = _example()
    with pytest.raises(ValueError, match="padding"):
        FFTPeriodogram(2, padding=0).fit(Y)
    with pytest.raises(ValueError, match="refine"):
        FFTPeriodogram(2, refine="quadratic").fit(Y)
    with pytest.raises(ValueError, match="window"):
        FFTPeriodogram(2, window="hamming").fit(Y)
    with pytest.raises(ValueError, match="oversampling"):
        GridOMP(2, oversampling=0).fit(Y)
    with pytest.raises(ValueError, match="subarray_fraction"):
        TensorESPRIT(2, subarray_fraction=1.5).fit(Y)
    with pytest.raises(ValueError, match="n_per_mode"):
        SequentialEstimator(2, n_per_mode=0).fit(Y)
    with pytest.raises(ValueError, match="order_selection"):
        SequentialEstimator(2, order_selection="aic").fit(Y)


def test_tensor_esprit_guards():
    Y = _example()
    with pytest.raises(ValueError, match="max_rows"):
        TensorESPRIT(2, max_rows=47).fit(Y)  # the window is 3 x 4 x 4 = 48 rows
    assert TensorESPRIT(2, max_rows=48).fit(Y).window_shape_ == (3, 4, 4)
    with pytest.raises(ValueError, match="n_components=40 is too large"):
        TensorESPRIT(40).fit(np.ones((3, 3), dtype=complex))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_sklearn_contract(cls):
    estimator = cls(2, snapshots=True)
    with pytest.raises(NotFittedError):
        estimator.predict()
    params = estimator.get_params()
    assert params["n_components"] == 2 and params["snapshots"] is True
    twin = clone(estimator)
    assert twin.get_params() == params and twin is not estimator
    assert estimator.set_params(n_components=3).n_components == 3
    estimator.set_params(n_components=2)
    Y = _example(snapshots=True)
    assert estimator.fit(Y) is estimator
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(restored.frequencies_, estimator.frequencies_)
    np.testing.assert_array_equal(restored.predict(), estimator.predict())
    with pytest.raises(NotFittedError):
        clone(estimator).predict()


# ---------------------------------------------------------------------------
# Dependencies
# ---------------------------------------------------------------------------


def test_module_imports_only_numpy_scipy_sklearn():
    import sigrec.tensor.baselines as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "math", "numbers", "numpy", "scipy", "sklearn", "sigrec"}, roots
    # And it works with the optional heavy dependencies unavailable.
    code = (
        "import importlib.abc, sys\n"
        "BLOCKED = ('cvxpy', 'torch', 'numba', 'tensorly')\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ImportError(f'{name} is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "from sigrec.tensor.baselines import FFTPeriodogram, GridOMP, TensorESPRIT, SequentialEstimator\n"
        "Y = np.exp(1j * (0.7 * np.arange(6)[:, None] - 1.1 * np.arange(5)[None, :]))\n"
        "for cls in (FFTPeriodogram, GridOMP, TensorESPRIT, SequentialEstimator):\n"
        "    assert abs(cls(1).fit(Y).frequencies_[0, 0] - 0.7) < 1e-6\n"
        "assert not [name for name in sys.modules if name.split('.')[0] in BLOCKED]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
