"""T6: ℓq coding of held-out natural patches at matched sparsity on the shipped dictionary."""

import numpy as np
import pytest

from sigrec.coding import alpha_for_sparsity, sparse_encode
from sigrec.datasets import load_natural_patches, load_patch_dictionary


@pytest.fixture(scope="module")
def patches_and_dictionary():
    return load_natural_patches(16, 300, split="test", random_state=3), load_patch_dictionary()


def test_shipped_dictionary_is_unit_norm_and_sized():
    dictionary = load_patch_dictionary()
    assert dictionary.shape == (512, 256)
    np.testing.assert_allclose(np.linalg.norm(dictionary, axis=1), 1.0, atol=1e-12)


@pytest.mark.slow
def test_t6_nonconvex_penalties_beat_l1_at_matched_sparsity(patches_and_dictionary):
    patches, dictionary = patches_and_dictionary
    patches = patches[:150]
    errors = {}
    for penalty, solver in (("l1", "cd"), ("l0", "cd"), ("l1/2", "cd"), ("cel0", "fista"), ("l0", "ista")):
        options = {"solver": solver, "max_iter": 300}
        alpha, reached = alpha_for_sparsity(patches, dictionary, 16, penalty=penalty, tolerance=0.03, **options)
        codes = sparse_encode(patches, dictionary, penalty=penalty, alpha=alpha, **options)
        assert abs(np.count_nonzero(codes, axis=1).mean() - 16) <= 0.5
        errors[penalty, solver] = np.sum((patches - codes @ dictionary) ** 2) / np.sum(patches**2)
    l1 = errors["l1", "cd"]
    # The note's thresholds (prototype ratios: CEL0 0.42, half 0.52, IHT 0.72 of l1).
    assert errors["cel0", "fista"] <= 0.6 * l1, errors
    assert errors["l1/2", "cd"] <= 0.8 * l1, errors
    assert errors["l0", "ista"] <= l1, errors  # IHT
    assert errors["l0", "cd"] <= 0.6 * l1, errors  # also CEL0 under solver="cd"
