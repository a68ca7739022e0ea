"""The one place sigrec touches numba.

Every scalar or coordinate-wise inner loop in sigrec is written twice: a
numba kernel (decorated with :func:`njit` from this module) and a numpy twin
that serves as the reference in tests.  Estimators take ``engine="auto"``
and call :func:`resolve_engine` to pick one.

Switches
--------
``SIGREC_ENGINE=numpy`` in the environment makes ``engine="auto"`` resolve
to the numpy twins everywhere (tests run the suite both ways); the same
happens when numba is not installed.  ``SIGREC_ENGINE=numba`` forces numba
and fails loudly if it is missing.

Kernels are compiled lazily, at their first call, and cached on disk
(``cache=True``) so a fresh worker process loads them in milliseconds
instead of recompiling.  ``nogil=True`` lets threaded callers overlap.
No ``parallel=True``: the sweep engine parallelises across trials already.
"""

from __future__ import annotations

import functools
import importlib.util
import os

__all__ = ["njit", "numba_available", "resolve_engine", "ENGINES"]

ENGINES = ("auto", "numba", "numpy")
_ENV_VAR = "SIGREC_ENGINE"


@functools.lru_cache(maxsize=1)
def numba_available() -> bool:
    """Whether numba can be imported (checked once, without importing it)."""
    return importlib.util.find_spec("numba") is not None


def resolve_engine(engine="auto"):
    """Resolve an ``engine`` parameter to ``"numba"`` or ``"numpy"``.

    Parameters
    ----------
    engine : {"auto", "numba", "numpy"}
        ``"auto"`` honours the ``SIGREC_ENGINE`` environment variable and
        falls back to numpy when numba is not installed.

    Returns
    -------
    str
        ``"numba"`` or ``"numpy"``.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if engine == "auto":
        engine = os.environ.get(_ENV_VAR, "auto").strip().lower() or "auto"
        if engine not in ENGINES:
            raise ValueError(f"{_ENV_VAR} must be one of {ENGINES}, got {engine!r}.")
        if engine == "auto":
            return "numba" if numba_available() else "numpy"
    if engine == "numba" and not numba_available():
        raise ImportError("engine='numba' was requested but numba is not installed.")
    return engine


def njit(func=None, **options):
    """Compile ``func`` with numba, disk-cached and GIL-free.

    Usable as ``@njit`` or ``@njit(fastmath=True)``. Defaults are
    ``cache=True, nogil=True``; ``options`` override them. When numba is
    missing the plain Python function is returned, so modules that define
    kernels still import (callers then resolve ``engine`` to numpy).

    Parameters
    ----------
    func : callable, optional
        The kernel, written in the numba-supported subset of Python/numpy.
    **options
        Extra keyword arguments for :func:`numba.njit`.

    Returns
    -------
    callable
        A lazily compiled numba dispatcher (compiles at first call).
    """
    settings = {"cache": True, "nogil": True}
    settings.update(options)

    def decorate(kernel):
        if not numba_available():
            return kernel
        import numba

        return numba.njit(**settings)(kernel)

    return decorate if func is None else decorate(func)
