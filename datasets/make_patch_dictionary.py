"""Regenerate ``sigrec/datasets/data/patch_dictionary_512.npy``: a 512-atom ℓ1 dictionary of whitened 16x16 patches.

Used as a fixed dictionary by the coding tests (matched-sparsity acceptance test T6),
the benchmark and the notebook, so they need not learn one (minutes) on every run.

Run from the repository root: ``.venv/bin/python datasets/make_patch_dictionary.py``
(about 5 minutes on 2 cores). Deterministic given the seeds below.
"""

from pathlib import Path

import numpy as np

from sigrec.coding import LqDictionaryLearning
from sigrec.datasets import load_natural_patches

N_STEPS = 1200
BATCH = 250


def main():
    patches = load_natural_patches(16, N_STEPS * BATCH // 3, split="train", random_state=0)
    learner = LqDictionaryLearning(
        512, penalty="l1", alpha=0.3, batch_size=BATCH, n_iter=N_STEPS, max_iter=200, tol=1e-4, random_state=0
    )
    learner.fit(patches)
    target = Path(__file__).resolve().parents[1] / "sigrec" / "datasets" / "data" / "patch_dictionary_512.npy"
    np.save(target, learner.components_.astype(np.float32))
    print(f"wrote {target} ({target.stat().st_size} bytes) after {learner.n_iter_} steps; "
          f"last 100 batch losses {np.mean(learner.batch_losses_[-100:]):.4f}")


if __name__ == "__main__":
    main()
