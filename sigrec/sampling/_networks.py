"""Torch modules of the DPS pipeline: the samplers, the measurement and the decoders.

The pipeline for one batch is ``z = A x`` (all candidate measurements),
``y = m ⊙ z`` (the mask zero-fills what is not acquired), ``x̂ = decoder(y, m)``.
Decoders see only ``y`` and ``m``, so at inference they see exactly the K
acquired values; the zero-filled layout keeps one decoder for every mask.
"""

from __future__ import annotations

import math

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError("sigrec.sampling's learned sampler needs PyTorch: pip install 'sigrec[torch]'") from exc

from sigrec.sampling._relaxed import (
    gumbel_noise,
    straight_through_top1,
    straight_through_topk,
    top1_argmax_mask,
    topk_argmax_mask,
)

__all__ = [
    "TopKSampler",
    "Top1Sampler",
    "Measurement",
    "FeatureDecoder",
    "UnfoldedISTA",
    "UnfoldedConvolutional",
    "real_view",
]

LOGIT_INIT_STD = 0.25  # well under the Gumbel std (1.28): early draws are near uniform (note P1)


def real_view(values):
    """``(B, m)`` complex → ``(B, 2m)`` real ``[Re, Im]``; real input unchanged."""
    if values.is_complex():
        return torch.cat([values.real, values.imag], dim=-1)
    return values


class TopKSampler(nn.Module):
    """One logit per candidate; Gumbel-top-k forward, relaxed rows backward (note §1b)."""

    variant = "topk"

    def __init__(self, n_candidates, n_keep, *, generator, dtype):
        super().__init__()
        self.n_keep = n_keep
        init = torch.randn(n_candidates, generator=generator, dtype=dtype) * LOGIT_INIT_STD
        self.logits = nn.Parameter(init)

    def relaxed(self, batch_size, temperature, generator):
        noise = gumbel_noise((batch_size, self.logits.shape[0]), generator=generator,
                             dtype=self.logits.dtype, device=self.logits.device)
        return straight_through_topk(self.logits, self.n_keep, noise, temperature)

    def sampled(self, batch_size, generator):
        """Hard masks drawn from the learned law, no relaxation: (B, C)."""
        with torch.no_grad():
            noise = gumbel_noise((batch_size, self.logits.shape[0]), generator=generator,
                                 dtype=self.logits.dtype, device=self.logits.device)
            picks = torch.topk(self.logits + noise, self.n_keep, dim=-1).indices
            return torch.zeros_like(noise).scatter_(1, picks, 1.0)

    def argmax(self):
        return topk_argmax_mask(self.logits, self.n_keep)

    def entropy(self):
        """Entropy of softmax(φ) (reported only; the top-K variant carries no penalty, note §1b)."""
        log_p = torch.log_softmax(self.logits, dim=-1)
        return -(log_p.exp() * log_p).sum()


class Top1Sampler(nn.Module):
    """One logit row per selected sample, rows pick in a fixed random order (note §1a)."""

    variant = "top1"

    def __init__(self, n_candidates, n_keep, *, generator, dtype):
        super().__init__()
        init = torch.randn(n_keep, n_candidates, generator=generator, dtype=dtype) * LOGIT_INIT_STD
        self.logits = nn.Parameter(init)
        # The visiting order is drawn once, like the reference's order fixed at graph build.
        self.register_buffer("order", torch.randperm(n_keep, generator=generator))

    def _noise(self, batch_size, generator):
        return gumbel_noise((batch_size,) + tuple(self.logits.shape), generator=generator,
                            dtype=self.logits.dtype, device=self.logits.device)

    def relaxed(self, batch_size, temperature, generator):
        return straight_through_top1(self.logits, self._noise(batch_size, generator), temperature,
                                     self.order.tolist())

    def sampled(self, batch_size, generator):
        with torch.no_grad():
            # At τ → 0 the straight-through value is the hard draw itself.
            return straight_through_top1(self.logits, self._noise(batch_size, generator), 1.0,
                                         self.order.tolist())

    def argmax(self):
        return top1_argmax_mask(self.logits, self.order.tolist())

    def entropy(self):
        """Σ_m H(softmax(Φ_m)), the entropy penalty of the top-1 variant (note §1a)."""
        log_p = torch.log_softmax(self.logits, dim=-1)
        return -(log_p.exp() * log_p).sum()


class Measurement(nn.Module):
    """``A = S F``: the orthonormal DFT (or identity) restricted to the candidates.

    Parameters
    ----------
    shape : tuple of int
        ``(N,)`` or ``(H, W)``.
    candidates : ndarray of int
        Flat indices of the candidates on the grid.
    domain : {"fourier", "identity"}
    real_signal : bool
        Real signals: :meth:`adjoint` returns the real part (the adjoint of
        A seen as a map from real vectors).
    """

    def __init__(self, shape, candidates, domain, real_signal):
        super().__init__()
        self.shape = tuple(shape)
        self.domain = domain
        self.real_signal = real_signal
        self.register_buffer("candidates", torch.as_tensor(candidates, dtype=torch.long))

    def forward(self, x):
        """(B, F) signals → (B, C) measurements (complex for the Fourier domain)."""
        if self.domain == "identity":
            return x[:, self.candidates]
        if len(self.shape) == 1:
            spectrum = torch.fft.fft(x, dim=-1, norm="ortho")
        else:
            spectrum = torch.fft.fft2(x.reshape((-1,) + self.shape), norm="ortho").reshape(x.shape[0], -1)
        return spectrum[:, self.candidates]

    def adjoint(self, z):
        """(B, C) → (B, F): zero-fill the grid, inverse orthonormal DFT."""
        size = math.prod(self.shape)
        full = torch.zeros(z.shape[0], size, dtype=z.dtype, device=z.device)
        full[:, self.candidates] = z
        if self.domain == "fourier":
            if len(self.shape) == 1:
                full = torch.fft.ifft(full, dim=-1, norm="ortho")
            else:
                full = torch.fft.ifft2(full.reshape((-1,) + self.shape), norm="ortho").reshape(z.shape[0], -1)
        return full.real if (self.real_signal and full.is_complex()) else full


class FeatureDecoder(nn.Module):
    """Any network on the zero-filled measurements seen as real features ``[Re y, Im y]``."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, measurements, mask):
        return self.body(real_view(measurements))


def _soft_threshold(values, threshold):
    if values.is_complex():
        magnitude = values.abs()
        return values * torch.relu(magnitude - threshold) / magnitude.clamp_min(torch.finfo(magnitude.dtype).tiny)
    return torch.sign(values) * torch.relu(values.abs() - threshold)


class UnfoldedISTA(nn.Module):
    """LISTA-style decoder for signals sparse in the sample domain (note B2).

    ``x_{t+1} = soft(x_t + μ_t A^H (y − m ⊙ A x_t), θ_t)`` for t < T, with a
    learned step μ_t and threshold θ_t per layer, starting from ``x_0 = 0``.
    The data-consistency step uses the mask, so the decoder is model-based:
    it never sees a bin that was not acquired.
    """

    def __init__(self, measurement, *, n_layers=10, threshold=0.1, dtype=torch.float64):
        super().__init__()
        self.measurement = measurement
        self.steps = nn.Parameter(torch.ones(n_layers, dtype=dtype))
        self.thresholds = nn.Parameter(torch.full((n_layers,), float(threshold), dtype=dtype))

    def forward(self, measurements, mask):
        estimate = None
        for step, threshold in zip(self.steps, self.thresholds, strict=True):
            if estimate is None:
                update = step * self.measurement.adjoint(measurements)
            else:
                residual = measurements - mask * self.measurement(estimate)
                update = estimate + step * self.measurement.adjoint(residual)
            estimate = _soft_threshold(update, threshold)
        return real_view(estimate)


class UnfoldedConvolutional(nn.Module):
    """Unfolded proximal gradient for real images with a small residual CNN as the prox (note §2).

    Each of the T unfoldings takes a gradient step on ``½‖y − m ⊙ A x‖²``
    with a learned step, then adds a CNN correction (three 3×3 convolutions,
    ``channels`` wide, ReLU; weights not shared across unfoldings), as in the
    unfolded decoder of the ICLR experiments (there: 5 unfoldings of 6
    convolutions with 64 channels).
    """

    def __init__(self, measurement, *, n_layers=3, channels=32, dtype=torch.float64):
        super().__init__()
        self.measurement = measurement
        self.steps = nn.Parameter(torch.ones(n_layers, dtype=dtype))
        self.proxes = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(1, channels, 3, padding=1, dtype=dtype), nn.ReLU(),
                nn.Conv2d(channels, channels, 3, padding=1, dtype=dtype), nn.ReLU(),
                nn.Conv2d(channels, 1, 3, padding=1, dtype=dtype),
            )
            for _ in range(n_layers)
        )

    def forward(self, measurements, mask):
        shape = self.measurement.shape
        estimate = None
        for step, prox in zip(self.steps, self.proxes, strict=True):
            if estimate is None:
                update = step * self.measurement.adjoint(measurements)
            else:
                residual = measurements - mask * self.measurement(estimate)
                update = estimate + step * self.measurement.adjoint(residual)
            images = update.reshape((-1, 1) + shape)
            estimate = (images + prox(images)).reshape(update.shape)
        return estimate


def build_mlp(n_inputs, n_outputs, hidden=(256, 256), *, dtype):
    """Fully connected network with LeakyReLU(0.2) between layers (the note's classifier style)."""
    layers, width = [], n_inputs
    for size in hidden:
        layers += [nn.Linear(width, size, dtype=dtype), nn.LeakyReLU(0.2)]
        width = size
    layers.append(nn.Linear(width, n_outputs, dtype=dtype))
    return nn.Sequential(*layers)
