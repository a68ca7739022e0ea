"""ℓq sparse coding and dictionary learning (ℓ1, ℓ0, ℓ1/2, ℓ2/3, CEL0).

Following Rentzeperis, Calatroni, Perrinet & Prandi, "Beyond ℓ1 sparse
coding in V1", PLOS Comput. Biol. 19(9): e1011459 (2023).
"""

from sigrec.coding._estimators import (
    LqDictionaryLearning,
    LqSparseCoder,
    alpha_for_sparsity,
    default_solver,
    sparse_encode,
)
from sigrec.coding._prox import (
    PENALTIES,
    cel0_threshold,
    half_threshold,
    hard_threshold,
    penalty_value,
    prox,
    soft_threshold,
    two_thirds_threshold,
    zero_threshold,
)

__all__ = [
    "LqSparseCoder",
    "LqDictionaryLearning",
    "sparse_encode",
    "alpha_for_sparsity",
    "default_solver",
    "prox",
    "soft_threshold",
    "hard_threshold",
    "half_threshold",
    "two_thirds_threshold",
    "cel0_threshold",
    "penalty_value",
    "zero_threshold",
    "PENALTIES",
]
