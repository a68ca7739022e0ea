"""Data sets for tests, notebooks and benchmarks, all available offline.

- :func:`load_natural_patches`: whitened natural-image patches from the
  sample images shipped with scikit-learn and scikit-image.
- :func:`load_patch_dictionary`: a fixed 512-atom dictionary for those patches.
- :func:`make_calibration_problem`, :func:`make_calibration_scene`,
  :func:`make_phantom`: blind gain calibration problems and an imaging scene.
- :func:`make_sparse_regression`: ill-conditioned sparse regression designs on
  random supports, with their population covariance.
- :func:`make_harmonic_tensor`: noisy sums of multidimensional complex
  exponentials with controlled separations (PLAIN's test scenes).
- :func:`make_kronecker_sparse`, :func:`make_irs_channel`: Kronecker-sparse
  recovery problems and the IRS-aided MIMO channel-estimation set-up.
- :func:`make_pulse_echo`, :func:`make_sparse_spikes`,
  :func:`make_digits_kspace`, :func:`make_lines_and_circles`: benchmarks for
  learned sub-sampling (DPS): sparse pulse-echo and spike signals, 8×8 digits
  for k-space masks, and the lines-and-circles toy images.

Importing :mod:`sigrec.datasets` is cheap: loaders are resolved on first
attribute access (PEP 562) and import scikit-image or scikit-learn only when
called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # static analysers and IDEs see the real signature
    from sigrec.datasets.calibration import make_calibration_problem, make_calibration_scene, make_phantom
    from sigrec.datasets.harmonic import make_harmonic_tensor
    from sigrec.datasets.kronecker import make_irs_channel, make_kronecker_sparse
    from sigrec.datasets.natural_patches import load_natural_patches
    from sigrec.datasets.patch_dictionary import load_patch_dictionary
    from sigrec.datasets.regression import make_sparse_regression
    from sigrec.datasets.sampling import (
        make_digits_kspace,
        make_lines_and_circles,
        make_pulse_echo,
        make_sparse_spikes,
    )

# Public name -> module that defines it.
_LAZY_LOADERS = {
    "make_calibration_problem": "sigrec.datasets.calibration",
    "make_calibration_scene": "sigrec.datasets.calibration",
    "make_phantom": "sigrec.datasets.calibration",
    "make_sparse_regression": "sigrec.datasets.regression",
    "make_harmonic_tensor": "sigrec.datasets.harmonic",
    "make_kronecker_sparse": "sigrec.datasets.kronecker",
    "make_irs_channel": "sigrec.datasets.kronecker",
    "load_natural_patches": "sigrec.datasets.natural_patches",
    "load_patch_dictionary": "sigrec.datasets.patch_dictionary",
    "make_pulse_echo": "sigrec.datasets.sampling",
    "make_sparse_spikes": "sigrec.datasets.sampling",
    "make_digits_kspace": "sigrec.datasets.sampling",
    "make_lines_and_circles": "sigrec.datasets.sampling",
}

__all__ = [
    "load_natural_patches",
    "load_patch_dictionary",
    "make_calibration_problem",
    "make_calibration_scene",
    "make_digits_kspace",
    "make_harmonic_tensor",
    "make_irs_channel",
    "make_kronecker_sparse",
    "make_lines_and_circles",
    "make_phantom",
    "make_pulse_echo",
    "make_sparse_regression",
    "make_sparse_spikes",
]


def __getattr__(name):
    if name in _LAZY_LOADERS:
        loader = getattr(importlib.import_module(_LAZY_LOADERS[name]), name)
        globals()[name] = loader  # later lookups skip __getattr__
        return loader
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
