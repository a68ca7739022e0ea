"""Sparse Bayesian learning, classic and Kronecker-structured.

Following He & Joseph, "Bayesian Algorithms for Kronecker-structured Sparse
Vector Recovery With Application to IRS-MIMO Channel Estimation", IEEE TSP
2024 (arXiv:2307.14719): :class:`KroneckerSBL` (SVD-, AM-, PC-KroSBL and the
KSBL baseline) with a per-mode E-step, the classic EM-SBL
:class:`SparseBayesianRegression`, and :mod:`sigrec.bayes.baselines`
(Kronecker OMP, oracle least squares). :mod:`sigrec.bayes.irs` scores IRS
channel estimates (channel NMSE, symbol error rate).
"""

from sigrec.bayes._classic import SparseBayesianRegression
from sigrec.bayes._kronecker import KroneckerSBL
from sigrec.bayes.baselines import KroneckerOMP, oracle_least_squares

__all__ = ["KroneckerSBL", "SparseBayesianRegression", "KroneckerOMP", "oracle_least_squares"]
