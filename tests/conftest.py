"""Shared fixtures."""

import pytest


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a module with one torch thread, restored afterwards.

    DPS trains on small batches: threads only add overhead, and under
    ``pytest -n 2`` on two cores an OpenMP barrier waiting for a
    descheduled thread made a fit 20x slower (measured). The library itself
    never changes this setting.
    """
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
