"""DPSSampler: a k-hot sampling pattern learned jointly with its decoder.

torch is imported when a sampler is fitted, not when this module is
imported, so ``sigrec.sampling`` (masks, grid helpers) works without it.
"""

from __future__ import annotations

import copy
import math
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._available_if import available_if
from sklearn.utils.validation import check_is_fitted

from sigrec._validation import check_array, check_consistent_length, check_random_generator, validate_data
from sigrec.sampling._grid import CANDIDATES, DOMAINS, candidate_indices, measure, real_features, signal_shape

__all__ = ["DPSSampler"]

VARIANTS = ("topk", "top1")
TASKS = ("reconstruction", "classification")
DECODERS = ("linear", "lista", "mlp")
MASK_MODES = ("argmax", "sample")
DTYPES = ("float64", "float32")
_PREDICT_CHUNK = 4096


def _require_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(
            "DPSSampler needs PyTorch, an optional dependency of sigrec: pip install 'sigrec[torch]'"
        ) from exc
    return torch


def _check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}.")


def _check_positive(name, value, *, integer=False, allow_zero=False):
    kind = Integral if integer else Real
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        expected = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {expected} {'integer' if integer else 'number'}; got {value!r}.")


class DPSSampler(TransformerMixin, BaseEstimator):
    """Deep Probabilistic Sub-sampling: learn which K of N elements to acquire.

    A K-hot mask over candidate elements (Fourier bins, pixels, channels,
    pulses) is trained jointly with a decoder (Huijben et al., ICLR 2020 and
    IEEE TMI 2020). Training draws masks by the Gumbel-top-k trick and
    back-propagates through relaxed softmax rows (straight-through); after
    training the mask is fixed to the top-K logits, the pattern one builds
    in hardware. See ``docs/sampling.md`` and ``research/dps.md``.

    Parameters
    ----------
    n_keep : int, default=8
        K, the number of elements acquired; must be smaller than the number
        of candidates.
    variant : {"topk", "top1"}, default="topk"
        ``"topk"``: one logit per candidate, K draws without replacement
        from their Plackett–Luce law. ``"top1"``: one logit row per acquired
        element, rows pick in turn (the variant with an entropy penalty).
    domain : {"fourier", "identity"}, default="fourier"
        Acquire bins of the orthonormal DFT (``fft``/``fft2``, unshifted
        order) or the samples themselves.
    candidates : {"half", "full"}, default="half"
        Fourier domain only: ``"half"`` offers one bin of each conjugate pair
        (real signals carry the same information in both); ``"full"`` offers
        every bin and is required for complex signals.
    image_shape : tuple (H, W), optional
        Treat each row of ``X`` as a row-major H × W image (2-D DFT).
    decoder : {"linear", "lista", "mlp"} or torch.nn.Module, default="linear"
        ``"linear"``: an affine map of the acquired values; ``"lista"``:
        unfolded ISTA with learned step and threshold per layer (1-D, for
        signals sparse in samples), or an unfolded proximal-gradient network
        with a small CNN prox (images); ``"mlp"``: two hidden layers of 256.
        A user module receives ``(batch, n_inputs)`` real features (real and
        imaginary parts of the zero-filled candidate measurements: ``2C`` for
        complex measurements, ``C`` otherwise) and returns ``(batch,
        n_outputs)``; it is deep-copied, the argument itself is not trained.
    task : {"reconstruction", "classification"}, default="reconstruction"
        Reconstruction regresses on ``y`` or, when ``y`` is None, on ``X``
        itself (MSE). Classification trains with cross-entropy on labels ``y``.
    temperature : float or (float, float), default=2.0
        τ of the relaxed rows; a pair anneals linearly over the epochs.
    logits_lr_mult : float, default=10.0
        The logits' learning rate is ``lr · logits_lr_mult`` (note P3:
        without it the mask barely moves).
    lr : float, default=1e-3
        Adam learning rate of the decoder.
    entropy_weight : float, default=0.0
        λ_H of the penalty λ_H Σ_m H(softmax(Φ_m)); used by ``"top1"`` only.
    n_epochs : int, default=50
    batch_size : int, default=64
    mask_mode : {"argmax", "sample"}, default="argmax"
        Mask used by :meth:`predict`: the fixed top-K of the logits, or a
        fresh Gumbel draw per example (the TF reference's test protocol).
        :meth:`transform` always uses the fixed mask.
    refit_decoder : bool, default=True
        With ``decoder="linear"`` and a regression target, refit the decoder
        in closed form (ridge) on the fixed mask after training.
    dtype : {"float64", "float32"}, default="float64"
    random_state : int, Generator or None
        Seeds the initial logits and decoder weights, the batches and the
        Gumbel noise; CPU fits are bit-for-bit reproducible.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
        ``"auto"`` uses CUDA when PyTorch sees it.
    verbose : bool, default=False
        Print the loss after each epoch.

    Attributes
    ----------
    support_ : ndarray of int, shape (n_keep,)
        Sorted flat indices of the acquired elements on the signal grid
        (unshifted FFT order for the Fourier domain).
    mask_ : ndarray of bool, shape (n_features,) or image_shape
        The fixed K-hot pattern on the signal grid.
    candidates_ : ndarray of int, shape (n_candidates,)
        Flat grid indices the sampler chose from.
    logits_ : ndarray, shape (n_candidates,) or (n_keep, n_candidates)
        Trained logits (top-K: one vector; top-1: one row per pick).
    history_ : dict of lists
        Per epoch: ``"loss"`` (mean training loss), ``"entropy"`` of the
        logits' softmax, ``"temperature"`` and ``"seconds"``.
    classes_ : ndarray
        Class labels (classification only).
    network_ : torch.nn.Module
        The trained sampler, measurement and decoder (``.sampler``,
        ``.measurement``, ``.decoder``).
    input_scale_ : float
        RMS of the training signals; the network works on ``X / input_scale_``.
    n_features_in_ : int

    Examples
    --------
    >>> from sigrec.datasets import make_pulse_echo
    >>> from sigrec.sampling import DPSSampler
    >>> data = make_pulse_echo(600, 64, random_state=0)
    >>> sampler = DPSSampler(8, n_epochs=5, random_state=0).fit(data.signals)
    >>> sampler.support_.shape, sampler.transform(data.signals[:3]).shape
    ((8,), (3, 8))
    """

    def __init__(self, n_keep=8, *, variant="topk", domain="fourier", candidates="half", image_shape=None,
                 decoder="linear", task="reconstruction", temperature=2.0, logits_lr_mult=10.0, lr=1e-3,
                 entropy_weight=0.0, n_epochs=50, batch_size=64, mask_mode="argmax", refit_decoder=True,
                 dtype="float64", random_state=None, device="auto", verbose=False):
        self.n_keep = n_keep
        self.variant = variant
        self.domain = domain
        self.candidates = candidates
        self.image_shape = image_shape
        self.decoder = decoder
        self.task = task
        self.temperature = temperature
        self.logits_lr_mult = logits_lr_mult
        self.lr = lr
        self.entropy_weight = entropy_weight
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.mask_mode = mask_mode
        self.refit_decoder = refit_decoder
        self.dtype = dtype
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self, torch):
        _check_choice("variant", self.variant, VARIANTS)
        _check_choice("domain", self.domain, DOMAINS)
        _check_choice("candidates", self.candidates, CANDIDATES)
        _check_choice("task", self.task, TASKS)
        _check_choice("mask_mode", self.mask_mode, MASK_MODES)
        _check_choice("dtype", self.dtype, DTYPES)
        if not isinstance(self.decoder, torch.nn.Module):
            _check_choice("decoder", self.decoder, DECODERS)
        if isinstance(self.n_keep, bool) or not isinstance(self.n_keep, Integral) or self.n_keep < 1:
            raise ValueError(f"n_keep must be a positive integer; got {self.n_keep!r}.")
        temperatures = self.temperature if isinstance(self.temperature, (tuple, list)) else (self.temperature,)
        if len(temperatures) not in (1, 2):
            raise ValueError(f"temperature must be a number or a (start, end) pair; got {self.temperature!r}.")
        for value in temperatures:
            _check_positive("temperature", value)
        _check_positive("logits_lr_mult", self.logits_lr_mult)
        _check_positive("lr", self.lr)
        _check_positive("entropy_weight", self.entropy_weight, allow_zero=True)
        _check_positive("n_epochs", self.n_epochs, integer=True)
        _check_positive("batch_size", self.batch_size, integer=True)
        if self.decoder == "lista" and self.task != "reconstruction":
            raise ValueError("decoder='lista' reconstructs signals; use 'linear', 'mlp' or a module for "
                             f"task={self.task!r}.")
        from sigrec._torch_device import resolve_device

        return resolve_device(None if self.device in (None, "auto") else self.device)

    def _temperature_at(self, epoch):
        if not isinstance(self.temperature, (tuple, list)):
            return float(self.temperature)
        start, end = (float(value) for value in self.temperature)
        fraction = epoch / max(self.n_epochs - 1, 1)
        return start + fraction * (end - start)

    def _grid(self, X):
        shape = signal_shape(X.shape[1], self.image_shape)
        is_complex = np.iscomplexobj(X)
        if is_complex and self.domain == "fourier" and self.candidates == "half":
            raise ValueError("candidates='half' relies on the conjugate symmetry of real signals; X is complex, "
                             "use candidates='full'.")
        candidates = candidate_indices(shape, self.candidates, self.domain)
        if self.n_keep >= candidates.size:
            raise ValueError(
                f"n_keep={self.n_keep} must be smaller than the number of candidates ({candidates.size}) for "
                f"n_features={X.shape[1]} with domain={self.domain!r}, candidates={self.candidates!r}."
            )
        return shape, candidates, is_complex

    # ------------------------------------------------------------------ building
    def _build_decoder(self, torch, measurement, n_inputs, n_outputs, shape, is_complex, dtype):
        from sigrec.sampling._networks import (
            FeatureDecoder,
            UnfoldedConvolutional,
            UnfoldedISTA,
            build_mlp,
        )

        if isinstance(self.decoder, torch.nn.Module):
            return FeatureDecoder(copy.deepcopy(self.decoder).to(dtype))
        if self.decoder == "linear":
            return FeatureDecoder(torch.nn.Linear(n_inputs, n_outputs, dtype=dtype))
        if self.decoder == "mlp":
            return FeatureDecoder(build_mlp(n_inputs, n_outputs, dtype=dtype))
        if len(shape) == 1:
            return UnfoldedISTA(measurement, dtype=dtype)
        if is_complex:
            raise ValueError("decoder='lista' on images needs real images; X is complex.")
        return UnfoldedConvolutional(measurement, dtype=dtype)

    def _build_network(self, torch, shape, candidates, is_complex, n_outputs, generator, seed, device):
        """Sampler, measurement and decoder in one module, initialised from `generator` and `seed`."""
        from sigrec.sampling._networks import Measurement, Top1Sampler, TopKSampler

        dtype = getattr(torch, self.dtype)
        measurement = Measurement(shape, candidates, self.domain, real_signal=not is_complex)
        sampler_class = TopKSampler if self.variant == "topk" else Top1Sampler
        sampler = sampler_class(candidates.size, self.n_keep, generator=generator, dtype=dtype)
        measures_complex = is_complex or self.domain == "fourier"
        n_inputs = 2 * candidates.size if measures_complex else candidates.size
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # default initialisers of torch layers draw from the global generator
            decoder = self._build_decoder(torch, measurement, n_inputs, n_outputs, shape, is_complex, dtype)
        network = torch.nn.Module()
        network.sampler, network.measurement, network.decoder = sampler, measurement, decoder
        return network.to(device)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Train the sampling logits and the decoder jointly.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
            Real or complex signals (images flattened row-major).
        y : array-like, shape (n_samples,) or (n_samples, n_targets), optional
            Class labels (``task="classification"``) or regression targets;
            None reconstructs ``X``.

        Returns
        -------
        self
        """
        torch = _require_torch()
        device = self._check_params(torch)
        X = validate_data(self, X, allow_complex=True)
        shape, candidates, is_complex = self._grid(X)
        targets, n_outputs = self._prepare_targets(X, y)

        rng = check_random_generator(self.random_state)
        seed = int(rng.integers(2**62))
        dtype = getattr(torch, self.dtype)
        # Parameters are initialised on the CPU so a seed gives the same start on every device.
        init_generator = torch.Generator().manual_seed(seed)
        noise_generator = torch.Generator(device=device).manual_seed(seed + 1)

        self.input_scale_ = float(np.sqrt(np.mean(np.abs(X) ** 2))) or 1.0
        network = self._build_network(torch, shape, candidates, is_complex, n_outputs, init_generator, seed, device)
        sampler, measurement, decoder = network.sampler, network.measurement, network.decoder

        complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        signals = torch.as_tensor(np.array(X / self.input_scale_, copy=True),
                                  dtype=complex_dtype if is_complex else dtype, device=device)
        with torch.no_grad():
            all_measurements = measurement(signals)  # fixed: computed once, sliced per batch
        target_tensor = torch.as_tensor(targets, device=device,
                                        dtype=torch.long if self.task == "classification" else dtype)

        decoder_parameters = [p for name, p in network.named_parameters() if not name.startswith("sampler.")]
        optimizer = torch.optim.Adam(
            [{"params": decoder_parameters, "lr": self.lr},
             {"params": list(sampler.parameters()), "lr": self.lr * self.logits_lr_mult}],
            eps=1e-7,
        )
        loss_function = (torch.nn.functional.cross_entropy if self.task == "classification"
                         else torch.nn.functional.mse_loss)
        history = {"loss": [], "entropy": [], "temperature": [], "seconds": []}
        n_samples = X.shape[0]
        network.train()
        for epoch in range(self.n_epochs):
            started = time.perf_counter()
            temperature = self._temperature_at(epoch)
            order = torch.randperm(n_samples, generator=init_generator).to(device)
            total = torch.zeros((), dtype=dtype, device=device)  # summed on the device: no sync per step
            for start in range(0, n_samples, self.batch_size):
                batch = order[start:start + self.batch_size]
                mask = sampler.relaxed(batch.numel(), temperature, noise_generator)
                estimate = decoder(mask * all_measurements[batch], mask)
                loss = loss_function(estimate, target_tensor[batch])
                if self.entropy_weight > 0 and self.variant == "top1":
                    loss = loss + self.entropy_weight * sampler.entropy()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.detach() * batch.numel()
            history["loss"].append(float(total) / n_samples)
            history["entropy"].append(float(sampler.entropy().detach()))
            history["temperature"].append(temperature)
            history["seconds"].append(time.perf_counter() - started)
            if self.verbose:
                print(f"epoch {epoch + 1}/{self.n_epochs}: loss {history['loss'][-1]:.5g}")
        network.eval()

        with torch.no_grad():
            selected = sampler.argmax().cpu().numpy() > 0
        self.candidates_ = candidates
        self.support_ = np.sort(candidates[selected])
        mask = np.zeros(int(np.prod(shape)), dtype=bool)
        mask[self.support_] = True
        self.mask_ = mask.reshape(shape)
        self.logits_ = sampler.logits.detach().cpu().numpy().copy()
        self.history_ = history
        self.network_ = network
        self.device_ = device
        self._signal_shape, self._is_complex, self._n_outputs = shape, is_complex, n_outputs
        if self.refit_decoder and self.decoder == "linear" and self.task == "reconstruction":
            self._refit_linear_decoder(torch, X, targets, selected)
        return self

    def _prepare_targets(self, X, y):
        """Training targets (scaled) and the decoder's output width."""
        self._target_ndim = None
        if self.task == "classification":
            if y is None:
                raise ValueError("task='classification' needs class labels y.")
            from sklearn.utils.multiclass import check_classification_targets

            y = np.asarray(y)
            if y.dtype.kind in "fc":
                y = check_array(y, name="y", ndim=(1, 2))
            if y.ndim == 2 and y.shape[1] == 1:
                y = y.ravel()
            if y.ndim != 1:
                raise ValueError(f"y must be 1-D class labels for classification; got shape {y.shape}.")
            check_consistent_length(X=X, y=y)
            check_classification_targets(y)
            self.classes_, encoded = np.unique(y, return_inverse=True)
            self.target_scale_ = 1.0
            return encoded, self.classes_.size
        if y is None:
            scale = float(np.sqrt(np.mean(np.abs(X) ** 2))) or 1.0
            self.target_scale_ = scale
            return real_features(X / scale), real_features(X[:1]).shape[1]
        y = check_array(y, name="y", ndim=(1, 2))
        check_consistent_length(X=X, y=y)
        self._target_ndim = y.ndim
        y2 = y.reshape(y.shape[0], -1)
        self.target_scale_ = float(np.sqrt(np.mean(y2**2))) or 1.0
        return y2 / self.target_scale_, y2.shape[1]

    def _refit_linear_decoder(self, torch, X, targets, selected):
        """Closed-form ridge decoder on the fixed mask (the note's 'refit on the mask')."""
        from sigrec.sampling.masks import LinearDecoder

        positions = np.flatnonzero(selected)  # positions within the candidate list
        spectra = measure(X / self.input_scale_, self._signal_shape, self.domain)[:, self.candidates_[positions]]
        ridge = LinearDecoder().fit(real_features(spectra), targets)
        n_candidates = self.candidates_.size
        columns = positions if not np.iscomplexobj(spectra) else np.concatenate([positions, n_candidates + positions])
        linear = self.network_.decoder.body
        with torch.no_grad():
            weight = torch.zeros_like(linear.weight)
            weight[:, torch.as_tensor(columns, device=weight.device)] = torch.as_tensor(
                ridge.coef_.T, dtype=weight.dtype, device=weight.device)
            linear.weight.copy_(weight)
            linear.bias.copy_(torch.as_tensor(ridge.intercept_, dtype=weight.dtype, device=weight.device))

    # ------------------------------------------------------------------ inference
    def _validated(self, X):
        check_is_fitted(self, "support_")
        X = validate_data(self, X, reset=False, allow_complex=True)
        if np.iscomplexobj(X) and not self._is_complex:
            raise ValueError("X is complex but the sampler was fitted on real signals.")
        return X

    def _decode(self, X):
        """Decoder outputs (scaled network space) for validated X, in chunks; ndarray (n, n_outputs)."""
        torch = _require_torch()
        network = self.network_
        dtype = network.sampler.logits.dtype
        complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        rng = check_random_generator(self.random_state)
        generator = torch.Generator(device=self.device_).manual_seed(int(rng.integers(2**62)) + 2)
        outputs = []
        with torch.no_grad():
            fixed = network.sampler.argmax().unsqueeze(0)
            for start in range(0, X.shape[0], _PREDICT_CHUNK):
                chunk = X[start:start + _PREDICT_CHUNK] / self.input_scale_
                signals = torch.as_tensor(np.array(chunk, copy=True), device=self.device_,
                                          dtype=complex_dtype if np.iscomplexobj(chunk) else dtype)
                mask = fixed if self.mask_mode == "argmax" else network.sampler.sampled(len(chunk), generator)
                outputs.append(network.decoder(mask * network.measurement(signals), mask).cpu().numpy())
        return np.concatenate(outputs, axis=0)

    def transform(self, X):
        """The K acquired measurements of each signal.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)

        Returns
        -------
        ndarray, shape (n_samples, n_keep)
            DFT coefficients at ``support_`` (complex, orthonormal scaling)
            for the Fourier domain, the selected samples for the identity
            domain.
        """
        X = self._validated(X)
        return measure(X, self._signal_shape, self.domain)[:, self.support_]

    def predict(self, X):
        """Decoder output from the acquired measurements.

        Returns
        -------
        ndarray
            Reconstructed signals ``(n_samples, n_features)`` (complex when
            fitted on complex signals), regression targets, or class labels
            ``(n_samples,)``.
        """
        X = self._validated(X)
        outputs = self._decode(X)
        if self.task == "classification":
            return self.classes_[np.argmax(outputs, axis=1)]
        outputs = outputs * self.target_scale_
        if getattr(self, "_target_ndim", None) is None:  # reconstruction of X
            if self._is_complex:
                half = outputs.shape[1] // 2
                return outputs[:, :half] + 1j * outputs[:, half:]
            return outputs
        return outputs.ravel() if self._target_ndim == 1 else outputs

    @available_if(lambda self: self.task == "classification")
    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes) (``task="classification"`` only)."""
        outputs = self._decode(self._validated(X))
        outputs = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return outputs / outputs.sum(axis=1, keepdims=True)

    def score(self, X, y=None):
        """Accuracy (classification), R² (regression on y) or explained energy ``1 − NMSE`` (y None)."""
        prediction = self.predict(X)
        if self.task == "classification":
            return float(np.mean(prediction == np.asarray(y)))
        if y is None:
            X = self._validated(X)
            return float(1.0 - np.sum(np.abs(prediction - X) ** 2) / np.sum(np.abs(X) ** 2))
        from sklearn.metrics import r2_score

        return float(r2_score(y, prediction))

    # ------------------------------------------------------------------ persistence
    def save(self, path):
        """Write the fitted sampler to `path` with :func:`torch.save`, tensors and plain values only.

        The file holds the parameters, the network's ``state_dict`` and the
        fitted attributes, so :meth:`load` reads it with
        ``torch.load(weights_only=True)``: loading never unpickles code.
        (``pickle``/``joblib`` also work, but only for files you trust.)

        Parameters
        ----------
        path : str or path-like
        """
        check_is_fitted(self, "support_")
        torch = _require_torch()
        params = self.get_params()
        params["decoder"] = None if isinstance(self.decoder, torch.nn.Module) else self.decoder
        if not (params["random_state"] is None or isinstance(params["random_state"], Integral)):
            params["random_state"] = None  # a Generator is not plain data; the fitted state does not need it
        params["device"] = str(params["device"])
        fitted = {
            "support_": torch.as_tensor(self.support_), "candidates_": torch.as_tensor(self.candidates_),
            "logits_": torch.as_tensor(self.logits_), "history_": self.history_,
            "input_scale_": self.input_scale_, "target_scale_": self.target_scale_,
            "n_features_in_": int(self.n_features_in_), "signal_shape": list(self._signal_shape),
            "is_complex": bool(self._is_complex), "target_ndim": self._target_ndim,
            "n_outputs": int(self._n_outputs),
        }
        if hasattr(self, "classes_"):
            if self.classes_.dtype.kind in "biuf":
                fitted["classes_"] = torch.as_tensor(self.classes_)
            elif self.classes_.dtype.kind == "U":
                fitted["classes_"] = [str(label) for label in self.classes_]
            else:
                raise TypeError(f"save supports numeric or string class labels; got dtype {self.classes_.dtype}.")
        state = {"format": "sigrec.sampling.DPSSampler", "version": 1, "params": params,
                 "network": {name: value.detach().cpu() for name, value in self.network_.state_dict().items()},
                 "fitted": fitted}
        torch.save(state, path)

    @classmethod
    def load(cls, path, *, decoder=None, device="cpu"):
        """Read a sampler written by :meth:`save` (``torch.load(weights_only=True)``).

        Parameters
        ----------
        path : str or path-like
        decoder : torch.nn.Module, optional
            Required when the sampler was fitted with a user module: a module
            of the same architecture (its weights are replaced by the saved ones).
        device : str or torch.device, default="cpu"

        Returns
        -------
        DPSSampler
            Fitted, ready for :meth:`transform` and :meth:`predict`.
        """
        torch = _require_torch()
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != "sigrec.sampling.DPSSampler":
            raise ValueError(f"{path!s} was not written by DPSSampler.save.")
        params = dict(state["params"], device=device)
        if params["decoder"] is None:
            if decoder is None:
                raise ValueError("this sampler was fitted with a user decoder module: pass decoder= a module of the "
                                 "same architecture.")
            params["decoder"] = decoder
        sampler = cls(**params)
        torch_device = sampler._check_params(torch)
        fitted = state["fitted"]
        shape = tuple(fitted["signal_shape"])
        candidates = fitted["candidates_"].numpy()
        n_outputs = fitted["n_outputs"]
        network = sampler._build_network(torch, shape, candidates, fitted["is_complex"], n_outputs,
                                         torch.Generator().manual_seed(0), 0, torch_device)
        network.load_state_dict(state["network"])
        network.eval()
        sampler.network_, sampler.device_ = network, torch_device
        sampler.support_ = fitted["support_"].numpy()
        sampler.candidates_ = candidates
        sampler.logits_ = fitted["logits_"].numpy()
        mask = np.zeros(int(np.prod(shape)), dtype=bool)
        mask[sampler.support_] = True
        sampler.mask_ = mask.reshape(shape)
        sampler.history_ = fitted["history_"]
        sampler.input_scale_, sampler.target_scale_ = fitted["input_scale_"], fitted["target_scale_"]
        sampler.n_features_in_ = fitted["n_features_in_"]
        sampler._signal_shape, sampler._is_complex = shape, fitted["is_complex"]
        sampler._target_ndim = fitted["target_ndim"]
        if "classes_" in fitted:
            labels = fitted["classes_"]
            sampler.classes_ = labels.numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
        return sampler

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Fourier-domain measurements are complex whatever the input dtype.
        tags.transformer_tags.preserves_dtype = [] if self.domain == "fourier" else ["float64"]
        return tags

    # ------------------------------------------------------------------ test hooks
    @classmethod
    def _sigrec_test_instance(cls):
        return cls(1, n_epochs=2, batch_size=16, random_state=0, device="cpu")

    def _sigrec_expected_failed_checks(self):
        return {"check_complex_data": "complex signals are first-class input (Fourier-domain sampling)"}

    @classmethod
    def _sigrec_example_data(cls, rng):
        return rng.standard_normal((24, 16)), None
