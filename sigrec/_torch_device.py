"""Which torch device a ``device=`` argument means (shared by every torch path in sigrec).

Imports torch only when called, so modules that merely mention devices stay
importable without it.
"""

from __future__ import annotations

__all__ = ["resolve_device"]


def resolve_device(device=None):
    """``None`` → ``"cuda"`` when available, else ``"cpu"``; strings and ``torch.device`` accepted.

    Raises
    ------
    RuntimeError
        When a CUDA device is requested but PyTorch sees none.
    """
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {str(device)!r} was requested but CUDA is not available to PyTorch")
    return device
