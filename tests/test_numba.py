"""sigrec._numba: the engine switch and the cached njit wrapper."""

import numpy as np
import pytest

from sigrec._numba import njit, numba_available, resolve_engine


def _running_sum(values):
    total = 0.0
    out = np.empty_like(values)
    for i in range(values.shape[0]):
        total += values[i]
        out[i] = total
    return out


def test_njit_matches_python_and_is_cached_nogil():
    compiled = njit(_running_sum)
    values = np.random.default_rng(0).standard_normal(50)
    np.testing.assert_allclose(compiled(values), np.cumsum(values), rtol=1e-12)
    if numba_available():
        assert compiled.targetoptions["nogil"] is True
        assert compiled._cache is not None and type(compiled._cache).__name__ != "NullCache"
    with_options = njit(fastmath=True)(_running_sum)
    np.testing.assert_allclose(with_options(values), np.cumsum(values), rtol=1e-12)


def test_resolve_engine_honours_environment(monkeypatch):
    monkeypatch.delenv("SIGREC_ENGINE", raising=False)
    assert resolve_engine("numpy") == "numpy"
    assert resolve_engine("auto") == ("numba" if numba_available() else "numpy")
    monkeypatch.setenv("SIGREC_ENGINE", "numpy")
    assert resolve_engine("auto") == "numpy"
    assert resolve_engine("numba") == "numba"  # an explicit choice wins over the environment
    monkeypatch.setenv("SIGREC_ENGINE", "fortran")
    with pytest.raises(ValueError, match="SIGREC_ENGINE must be one of"):
        resolve_engine("auto")
    with pytest.raises(ValueError, match="engine must be one of"):
        resolve_engine("cuda")
