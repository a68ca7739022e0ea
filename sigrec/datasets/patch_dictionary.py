"""The shipped 512-atom dictionary of whitened 16×16 natural-image patches."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_patch_dictionary"]

_FILE = Path(__file__).with_name("data") / "patch_dictionary_512.npy"


def load_patch_dictionary():
    """A fixed ℓ1-learned dictionary for 16×16 whitened patches.

    Learned with :class:`sigrec.coding.LqDictionaryLearning` (ℓ1, α = 0.3,
    1200 mini-batches of 250 patches from
    ``load_natural_patches(16, split="train", random_state=0)``) by
    ``datasets/make_patch_dictionary.py``; stored as float32 (512 KiB). Tests,
    the benchmark and the tutorial use it so that none of them has to learn
    a dictionary first.

    Returns
    -------
    ndarray of shape (512, 256), float64
        Unit-norm atoms as rows (scikit-learn's layout), pixels in C order.
    """
    if not _FILE.exists():
        raise FileNotFoundError(
            f"{_FILE} is missing from this installation; regenerate it with "
            f"`python datasets/make_patch_dictionary.py` from a sigrec checkout"
        )
    atoms = np.load(_FILE).astype(np.float64)
    return atoms / np.linalg.norm(atoms, axis=1, keepdims=True)
