"""The one helper every plotting module shares: draw on the caller's Axes or on a new figure."""

from __future__ import annotations

__all__ = ["axes_or_new"]


def axes_or_new(ax, figsize=(5, 4)):
    """Return `ax`, or the Axes of a new ``figsize`` figure when `ax` is None (matplotlib imported lazily)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax
