"""Multidimensional harmonic retrieval for integrated sensing and communication.

PLAIN (Tahir, Svoboda & Rupp, arXiv:2503.21242, 2025) estimates several
objects' (angle, delay, Doppler) from one OFDM snapshot: it compresses each
mode, estimates each mode's frequencies separately and pairs them by a
pursuit over the candidate combinations. :func:`harmonic_crb` gives the
joint deterministic Cramér–Rao bound; :mod:`sigrec.tensor.isac` maps
frequencies to physical units and simulates echoes.
"""

from sigrec.tensor._bound import harmonic_crb
from sigrec.tensor._compression import averaging_response, compress
from sigrec.tensor._estimators import PLAIN
from sigrec.tensor._model import synthesize
from sigrec.tensor.baselines import FFTPeriodogram, GridOMP, SequentialEstimator, TensorESPRIT

# sigrec.tensor.isac (geometry and simulators) is a submodule: ``from sigrec.tensor import isac``.
# It is not imported here because its OFDM simulator pulls in numba.
__all__ = [
    "PLAIN",
    "FFTPeriodogram",
    "GridOMP",
    "TensorESPRIT",
    "SequentialEstimator",
    "harmonic_crb",
    "compress",
    "averaging_response",
    "synthesize",
]
