"""sigrec: statistical signal recovery.

Importing :mod:`sigrec` is deliberately cheap: it imports no subpackage,
no numba kernel and never torch.  Import what you use, e.g.
``from sigrec.operators import KroneckerOperator``.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
