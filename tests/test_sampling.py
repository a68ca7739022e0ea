"""DPSSampler: the fixed K-hot pattern, determinism, variants, decoders and bad input (note T1, T4, T9)."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

from sklearn.base import clone  # noqa: E402

from sigrec.sampling import DPSSampler  # noqa: E402
from sigrec.sampling._grid import candidate_indices, conjugate_indices  # noqa: E402


def _band_limited(n_samples=300, n_features=32, seed=0):
    """Real signals whose energy sits in bins 3–6 (and their conjugates)."""
    rng = np.random.default_rng(seed)
    spectrum = np.zeros((n_samples, n_features), dtype=complex)
    spectrum[:, 3:7] = rng.normal(size=(n_samples, 4)) + 1j * rng.normal(size=(n_samples, 4))
    return np.fft.ifft(spectrum, axis=1).real * 10


def _fast(n_keep=4, **params):
    defaults = dict(n_epochs=3, batch_size=32, random_state=0, device="cpu")
    return DPSSampler(n_keep, **{**defaults, **params})


def test_inference_mask_is_exactly_k_hot_and_fixed():
    X = _band_limited()
    sampler = _fast(4, n_epochs=20, lr=5e-3).fit(X)
    assert sampler.mask_.dtype == bool and sampler.mask_.shape == (32,)
    assert sampler.mask_.sum() == 4
    np.testing.assert_array_equal(sampler.support_, np.flatnonzero(sampler.mask_))
    assert np.all(np.diff(sampler.support_) > 0)
    assert set(sampler.support_) <= set(candidate_indices((32,), "half"))
    np.testing.assert_array_equal(sampler.transform(X), sampler.transform(X))
    np.testing.assert_allclose(sampler.transform(X), np.fft.fft(X, norm="ortho")[:, sampler.support_])
    # the band is learned: the four energetic bins are the ones kept
    np.testing.assert_array_equal(sampler.support_, [3, 4, 5, 6])


def test_same_seed_is_bit_identical_and_seeds_differ():
    X = _band_limited()
    first = _fast(4, n_epochs=5).fit(X)  # 5 epochs × 10 batches = 50 steps
    second = _fast(4, n_epochs=5).fit(X)
    np.testing.assert_array_equal(first.logits_, second.logits_)
    np.testing.assert_array_equal(first.mask_, second.mask_)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    assert first.history_["loss"] == second.history_["loss"]
    other = _fast(4, n_epochs=1, random_state=1).fit(X)
    assert not np.allclose(other.logits_, _fast(4, n_epochs=1).fit(X).logits_)


def test_clone_keeps_parameters_and_fit_does_not_mutate_input():
    X = _band_limited()
    X_copy = X.copy()
    sampler = _fast(3, variant="top1", temperature=(3.0, 1.0))
    sampler.fit(X)
    np.testing.assert_array_equal(X, X_copy)
    twin = clone(sampler)
    assert twin.get_params() == sampler.get_params()
    assert not hasattr(twin, "support_")


def test_top1_variant_with_entropy_penalty():
    X = _band_limited()
    sampler = _fast(4, variant="top1", entropy_weight=1e-3, n_epochs=20, lr=5e-3).fit(X)
    assert sampler.logits_.shape == (4, candidate_indices((32,), "half").size)
    assert sampler.mask_.sum() == 4
    assert np.all(np.isfinite(sampler.history_["loss"]))
    assert sampler.history_["entropy"][-1] < sampler.history_["entropy"][0]


def test_temperature_schedule_is_linear():
    sampler = _fast(2, temperature=(4.0, 1.0), n_epochs=4).fit(_band_limited())
    np.testing.assert_allclose(sampler.history_["temperature"], [4.0, 3.0, 2.0, 1.0])


def test_images_use_the_2d_grid():
    rng = np.random.default_rng(0)
    images = rng.random((120, 64))
    sampler = _fast(6, image_shape=(8, 8)).fit(images)
    assert sampler.mask_.shape == (8, 8) and sampler.mask_.sum() == 6
    assert sampler.candidates_.size == 34  # (64 + 4 self-conjugate bins) / 2
    support = sampler.support_
    partners = conjugate_indices((8, 8))[support]
    assert not np.any(np.isin(partners[partners != support], support))  # no conjugate pair kept twice
    expected = np.fft.fft2(images.reshape(-1, 8, 8), norm="ortho").reshape(120, -1)[:, support]
    np.testing.assert_allclose(sampler.transform(images), expected)
    assert sampler.predict(images).shape == (120, 64)


def test_complex_signals_need_the_full_grid():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 16)) + 1j * rng.normal(size=(100, 16))
    with pytest.raises(ValueError, match="candidates='full'"):
        _fast(4).fit(X)
    sampler = _fast(4, candidates="full").fit(X)
    prediction = sampler.predict(X)
    assert prediction.shape == X.shape and np.iscomplexobj(prediction)
    with pytest.raises(ValueError, match="complex"):
        _fast(4).fit(X.real).predict(X)


def test_identity_domain_selects_samples():
    X = _band_limited()
    sampler = _fast(5, domain="identity").fit(X)
    np.testing.assert_array_equal(sampler.transform(X), X[:, sampler.support_])
    assert sampler.candidates_.size == 32


def test_classification_and_regression_targets():
    from sklearn.datasets import load_digits

    digits = load_digits()
    X, labels = digits.data[:600] / 16, np.array([f"d{value}" for value in digits.target[:600]])
    classifier = _fast(12, image_shape=(8, 8), task="classification", decoder="mlp", n_epochs=15).fit(X, labels)
    assert set(classifier.classes_) == set(labels)
    probabilities = classifier.predict_proba(X)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert classifier.score(X, labels) > 0.5  # ten classes: chance is 0.1
    regressor = _fast(4).fit(_band_limited(), np.arange(300.0))
    assert regressor.predict(_band_limited()).shape == (300,)
    assert not hasattr(regressor, "predict_proba")


def test_linear_refit_is_the_least_squares_decoder_on_the_mask():
    X = _band_limited(seed=2)
    trained = _fast(4, refit_decoder=False, n_epochs=20, lr=5e-3).fit(X)
    refitted = _fast(4, n_epochs=20, lr=5e-3).fit(X)
    np.testing.assert_array_equal(trained.support_, refitted.support_)
    error = [np.sum((model.predict(X) - X) ** 2) for model in (trained, refitted)]
    assert error[1] <= error[0]
    assert refitted.score(X) > 0.999  # the band holds all the energy: the refit decoder is exact


@pytest.mark.parametrize("image_shape", [None, (8, 4)])
def test_unfolded_decoders_train(image_shape):
    X = _band_limited()
    sampler = _fast(8, decoder="lista", image_shape=image_shape, n_epochs=2).fit(X)
    assert sampler.predict(X).shape == X.shape
    assert np.all(np.isfinite(sampler.history_["loss"]))


def test_user_module_is_copied_not_trained():
    body = torch.nn.Sequential(torch.nn.Linear(34, 32, dtype=torch.float64))
    before = [parameter.detach().clone() for parameter in body.parameters()]
    sampler = _fast(4, decoder=body).fit(_band_limited())
    for original, parameter in zip(before, body.parameters(), strict=True):
        assert torch.equal(original, parameter)
    assert sampler.predict(_band_limited()).shape == (300, 32)


def test_sampled_masks_at_prediction_are_reproducible():
    X = _band_limited()
    sampler = _fast(4, mask_mode="sample").fit(X)
    np.testing.assert_array_equal(sampler.predict(X), sampler.predict(X))
    np.testing.assert_allclose(sampler.transform(X), np.fft.fft(X, norm="ortho")[:, sampler.support_])


def test_prediction_accepts_any_number_of_rows_and_pickles():
    X = _band_limited()
    sampler = _fast(4).fit(X)
    assert sampler.predict(X[:1]).shape == (1, 32)
    many = np.tile(X, (15, 1))  # 4500 rows: more than one prediction chunk
    np.testing.assert_allclose(sampler.predict(many)[-300:], sampler.predict(X), atol=1e-12)
    restored = pickle.loads(pickle.dumps(sampler))
    np.testing.assert_array_equal(restored.predict(X), sampler.predict(X))


def test_no_nan_when_nearly_every_candidate_is_kept():
    X = _band_limited(n_features=16)
    sampler = _fast(8, temperature=0.05, n_epochs=3).fit(X)  # 9 candidates, 8 kept, sharp rows
    assert np.all(np.isfinite(sampler.history_["loss"])) and np.all(np.isfinite(sampler.logits_))


@pytest.mark.parametrize(
    ("params", "X", "message"),
    [
        ({"n_keep": 17}, np.ones((10, 32)), r"n_keep=17 must be smaller than the number of candidates \(17\)"),
        ({"n_keep": 0}, np.ones((10, 32)), "n_keep must be a positive integer"),
        ({"image_shape": (5, 5)}, np.ones((10, 32)), "image_shape"),
        ({"decoder": "cnn"}, np.ones((10, 32)), "decoder must be one of"),
        ({"decoder": "lista", "task": "classification"}, np.ones((10, 32)), "lista"),
        ({"temperature": 0.0}, np.ones((10, 32)), "temperature"),
        ({"variant": "top2"}, np.ones((10, 32)), "variant"),
        ({"device": "cuda:99" if not torch.cuda.is_available() else "tpu"}, np.ones((10, 32)), "cuda|device"),
    ],
)
def test_bad_parameters_are_named(params, X, message):
    with pytest.raises((ValueError, RuntimeError), match=message):
        DPSSampler(**{"n_keep": 4, "n_epochs": 1, **params}).fit(X)


def test_bad_data_is_named():
    X = _band_limited()
    bad = X.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _fast(4).fit(bad)
    with pytest.raises(ValueError, match="class labels"):
        _fast(4, task="classification").fit(X)
    with pytest.raises(ValueError, match="features"):
        _fast(4).fit(X).predict(X[:, :16])


def test_missing_torch_names_the_extra(monkeypatch):
    from sigrec.sampling import _estimators

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"sigrec\[torch\]"):
        _estimators._require_torch()


def test_importing_the_package_does_not_import_torch():
    code = "import sys, sigrec.sampling, sigrec.sampling.masks; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "params",
    [dict(), dict(variant="top1", decoder="mlp"), dict(decoder="lista", image_shape=(4, 8)),
     dict(task="classification"), dict(domain="identity", mask_mode="sample")],
    ids=["linear", "top1-mlp", "unfolded-cnn", "classification", "identity-sample"],
)
def test_save_and_load_round_trip_without_unpickling(tmp_path, params):
    X = _band_limited()
    y = np.where(X[:, 0] > 0, "up", "down") if params.get("task") == "classification" else None
    sampler = _fast(4, **params).fit(X, y)
    path = tmp_path / "sampler.pt"
    sampler.save(path)
    torch.load(path, weights_only=True)  # plain tensors and values only
    restored = DPSSampler.load(path)
    np.testing.assert_array_equal(restored.predict(X), sampler.predict(X))
    np.testing.assert_array_equal(restored.mask_, sampler.mask_)
    np.testing.assert_array_equal(restored.logits_, sampler.logits_)
    assert restored.get_params() == {**sampler.get_params(), "device": "cpu"}


def test_load_needs_the_user_module_and_a_sampler_file(tmp_path):
    body = torch.nn.Linear(34, 32, dtype=torch.float64)
    sampler = _fast(4, decoder=body).fit(_band_limited())
    sampler.save(tmp_path / "custom.pt")
    with pytest.raises(ValueError, match="decoder="):
        DPSSampler.load(tmp_path / "custom.pt")
    restored = DPSSampler.load(tmp_path / "custom.pt", decoder=torch.nn.Linear(34, 32, dtype=torch.float64))
    np.testing.assert_array_equal(restored.predict(_band_limited()), sampler.predict(_band_limited()))
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="DPSSampler.save"):
        DPSSampler.load(tmp_path / "other.pt")
