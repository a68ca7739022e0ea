"""Deep Probabilistic Sub-sampling: learned k-hot sampling masks (Huijben et al. 2020).

- :class:`DPSSampler`: learns which K of N elements (Fourier bins, pixels,
  channels, pulses) to acquire, jointly with a decoder; PyTorch, CPU or CUDA.
- :mod:`sigrec.sampling.masks`: the fixed baselines (random, low-pass,
  equispaced, variable density, greedy) and :func:`~sigrec.sampling.masks.evaluate_mask`,
  which scores any mask with the same decoders (closed-form linear, FISTA).

Only fitting a :class:`DPSSampler` needs torch (``pip install 'sigrec[torch]'``);
importing this package and using the masks does not.
"""

from sigrec.sampling._estimators import DPSSampler

__all__ = ["DPSSampler", "masks"]
