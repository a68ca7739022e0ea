"""The Kronecker SBL E-step in PyTorch (``backend="torch"``), CPU or CUDA.

The same per-mode eigendecomposition algebra as
:func:`sigrec.bayes._kronecker_steps.kronecker_e_step`, in float64 /
complex128 (float32 breaks the cost's monotonicity and the 1e-9 agreement
with the dense formulas, research note §7). Only the E-step runs on the
device: it holds the mode products and eigendecompositions; the M-steps act
on the length-N second moment, which is copied back to the host once per
iteration.

This module imports torch at import time; :class:`~sigrec.bayes.KroneckerSBL`
imports it lazily, only for ``backend="torch"``.
"""

from __future__ import annotations

import numpy as np

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError("backend='torch' needs PyTorch: pip install 'sigrec[torch]'") from exc

from sigrec._torch_device import resolve_device
from sigrec.bayes._kronecker_steps import EStep

__all__ = ["TorchEStep"]


def _mode_dot(tensor, matrix, axis):
    moved = torch.movedim(tensor, axis, 0)
    product = matrix @ moved.reshape(moved.shape[0], -1)
    return torch.movedim(product.reshape((matrix.shape[0],) + tuple(moved.shape[1:])), 0, axis)


def _outer(vectors):
    result = vectors[0]
    for vector in vectors[1:]:
        result = result.unsqueeze(-1) * vector
    return result


class TorchEStep:
    """Holds the factors and the measurements on the device; call with the active sets."""

    def __init__(self, factors, y_tensor, device=None):
        self.device = resolve_device(device)
        is_complex = np.iscomplexobj(y_tensor) or any(np.iscomplexobj(f) for f in factors)
        self.dtype = torch.complex128 if is_complex else torch.float64
        self.factors = [torch.as_tensor(f, device=self.device).to(self.dtype) for f in factors]
        self.y = torch.as_tensor(y_tensor, device=self.device).to(self.dtype)

    def __call__(self, active, gammas, noise_var):
        """E-step for the active columns ``active[i]`` and factors ``gammas[i]`` (numpy)."""
        factors = [f[:, torch.as_tensor(index, device=self.device)] for f, index in zip(self.factors, active,
                                                                                         strict=True)]
        gammas_t = [torch.as_tensor(g, dtype=torch.float64, device=self.device) for g in gammas]
        bases, spectra, weights = [], [], []
        for factor, gamma in zip(factors, gammas_t, strict=True):
            scaled = factor * gamma.to(self.dtype)
            block = scaled @ factor.conj().T
            block = 0.5 * (block + block.conj().T)
            spectrum, basis = torch.linalg.eigh(block)
            bases.append(basis)
            spectra.append(torch.clamp(spectrum, min=0.0))
            weights.append(scaled.conj().T @ basis)
        signal_spectrum = _outer(spectra)
        inverse = 1.0 / (noise_var + signal_spectrum)
        rotated = self.y
        for axis, basis in enumerate(bases):
            rotated = _mode_dot(rotated, basis.conj().T, axis)
        mean = rotated * inverse
        for axis, weight in enumerate(weights):
            mean = _mode_dot(mean, weight, axis)
        explained = inverse
        for axis, weight in enumerate(weights):
            explained = _mode_dot(explained, weight.abs() ** 2, axis)
        variance = torch.clamp(_outer(gammas_t) - explained, min=0.0)
        cost = torch.sum(torch.log(noise_var + signal_spectrum)) + torch.sum(rotated.abs() ** 2 * inverse)
        fitted = mean
        for axis, factor in enumerate(factors):
            fitted = _mode_dot(fitted, factor, axis)
        residual = torch.sum((self.y - fitted).abs() ** 2)
        return EStep(mean.cpu().numpy(), variance.cpu().numpy(), float(cost), float(residual))

