"""Sparse linear regression on random supports: heavy-subspace peeling, then Lasso.

Following Chandrasekaran, Meka & Stavropoulos, "Sparse Linear Regression is
Easy on Random Supports", arXiv:2511.06211 (2025). The paper is
theoretical; sigrec implements the practical two-phase reconstruction of its
research note and tests it against the paper's qualitative claims.
"""

from sigrec.regression._estimators import RandomSupportRegression, cross_validated_lasso
from sigrec.regression._peeling import SubspacePeeling, default_sparsity_hint

__all__ = ["RandomSupportRegression", "SubspacePeeling", "cross_validated_lasso", "default_sparsity_hint"]
