"""The sampling maths of DPS (note §1, tests T1–T3 and pitfall P5)."""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

from sigrec.sampling._relaxed import (  # noqa: E402
    MASK_VALUE,
    gumbel_noise,
    straight_through_top1,
    straight_through_topk,
    top1_argmax_mask,
    topk_argmax_mask,
)


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


def _plackett_luce_inclusion(probabilities, n_keep):
    """Exact probability that each item is among K draws without replacement (enumerate ordered draws)."""
    inclusion = np.zeros_like(probabilities)
    for draw in itertools.permutations(range(probabilities.size), n_keep):
        chance, left = 1.0, 1.0
        for item in draw:
            chance *= probabilities[item] / left
            left -= probabilities[item]
        inclusion[list(draw)] += chance
    return inclusion


@pytest.mark.parametrize("n_keep", [1, 3, 7])
def test_topk_forward_is_exactly_k_hot(n_keep):
    logits = torch.randn(7, generator=_generator(), dtype=torch.float64, requires_grad=True)
    noise = gumbel_noise((32, 7), generator=_generator(1))
    mask = straight_through_topk(logits, n_keep, noise, 2.0)
    values = mask.detach().numpy()
    assert set(np.unique(values)) <= {0.0, 1.0}
    np.testing.assert_array_equal(values.sum(axis=1), n_keep)
    # the hard picks are the top-K of logits + noise
    expected = np.argsort(-(logits.detach() + noise).numpy(), axis=1)[:, :n_keep]
    np.testing.assert_array_equal(np.sort(np.flatnonzero(values[0])), np.sort(expected[0]))
    assert np.all(np.isfinite(values))  # K = C leaves every later row one finite entry (P5)


def test_topk_gradient_matches_closed_form():
    rng = np.random.default_rng(3)
    n_candidates, n_keep, temperature = 12, 4, 1.7
    logits = torch.tensor(rng.normal(size=n_candidates), requires_grad=True)
    noise = gumbel_noise((5, n_candidates), generator=_generator(4))
    upstream = torch.tensor(rng.normal(size=(5, n_candidates)))
    mask = straight_through_topk(logits, n_keep, noise, temperature)
    (mask * upstream).sum().backward()

    # note §1b: dL/dφ = (1/τ) Σ_k [s_k ⊙ v − s_k (s_kᵀ v)], summed over the batch
    perturbed = (logits.detach() + noise).numpy()
    v = upstream.numpy()
    expected = np.zeros(n_candidates)
    for example in range(5):
        order = np.argsort(-perturbed[example])
        removed = np.zeros(n_candidates, dtype=bool)
        for pick in order[:n_keep]:
            scores = np.where(removed, -np.inf, perturbed[example] / temperature)
            s = np.exp(scores - scores.max())
            s /= s.sum()
            expected += (s * v[example] - s * (s @ v[example])) / temperature
            removed[pick] = True
    gradient = logits.grad.numpy()
    assert np.all(np.isfinite(gradient)) and np.linalg.norm(gradient) > 0
    np.testing.assert_allclose(gradient, expected, rtol=0, atol=1e-10)


def _explicit_rows(logits, n_keep, noise, temperature):
    """The textbook relaxation: K softmax rows, row k with the picks of rows 1..k-1 removed."""
    perturbed = logits.unsqueeze(0) + noise
    picks = torch.topk(perturbed, n_keep, dim=-1).indices
    removed = torch.zeros_like(perturbed)
    soft = torch.zeros_like(perturbed)
    for row in range(n_keep):
        soft = soft + torch.softmax((perturbed + removed * MASK_VALUE) / temperature, dim=-1)
        removed = removed.scatter(1, picks[:, row:row + 1], 1.0)
    return soft


@pytest.mark.parametrize(("spread", "dtype", "n_keep"), [(1.0, torch.float64, 5), (300.0, torch.float64, 9),
                                                         (300.0, torch.float32, 9), (3.0, torch.float64, 30)])
def test_closed_form_row_sum_matches_the_explicit_rows(spread, dtype, n_keep):
    """The O(B·C) row sum equals the K explicit rows, and stays finite for logits far apart (P5)."""
    rng = np.random.default_rng(11)
    values = rng.normal(size=30) * spread
    upstream = torch.tensor(rng.normal(size=(8, 30)), dtype=dtype)
    noise = gumbel_noise((8, 30), generator=_generator(12), dtype=dtype)
    gradients = []
    for relaxation in ("closed", "explicit"):
        logits = torch.tensor(values, dtype=dtype, requires_grad=True)
        if relaxation == "closed":
            mask = straight_through_topk(logits, n_keep, noise, 2.0)
        else:
            mask = _explicit_rows(logits, n_keep, noise, 2.0)
        (mask * upstream).sum().backward()
        gradients.append(logits.grad)
    assert torch.all(torch.isfinite(gradients[0]))
    tolerance = 1e-10 if dtype == torch.float64 else 1e-4
    scale = max(float(gradients[1].abs().max()), 1e-30)
    assert float((gradients[0] - gradients[1]).abs().max()) <= tolerance * scale


def _inclusion_z_scores(masks, probabilities):
    n_draws = masks.shape[0]
    frequency = masks.mean(axis=0)
    return (frequency - probabilities) / np.sqrt(probabilities * (1 - probabilities) / n_draws)


def test_topk_single_draw_follows_softmax():
    logits = torch.tensor([1.0, 0.0, -0.5, 0.7, -2.0, 0.2], dtype=torch.float64)
    noise = gumbel_noise((20_000, 6), generator=_generator(5))
    masks = straight_through_topk(logits, 1, noise, 2.0).detach().numpy()
    probabilities = torch.softmax(logits, 0).numpy()
    assert np.max(np.abs(_inclusion_z_scores(masks, probabilities))) < 4.0


@pytest.mark.parametrize("variant", ["topk", "top1"])
def test_k_draws_follow_plackett_luce(variant):
    """Inclusion frequencies of K = 3 of 6 match the exact sequential Plackett–Luce law."""
    logits = torch.tensor([1.2, 0.0, -0.5, 0.7, -1.5, 0.3], dtype=torch.float64)
    generator = _generator(6)
    if variant == "topk":
        masks = straight_through_topk(logits, 3, gumbel_noise((20_000, 6), generator=generator), 2.0)
    else:  # identical rows picking in turn are the same law
        rows = logits.repeat(3, 1)
        masks = straight_through_top1(rows, gumbel_noise((20_000, 3, 6), generator=generator), 2.0)
    masks = masks.detach().numpy()
    np.testing.assert_array_equal(masks.sum(axis=1), 3)
    exact = _plackett_luce_inclusion(torch.softmax(logits, 0).numpy(), 3)
    z = _inclusion_z_scores(masks, exact)
    assert np.max(np.abs(z)) < 4.0, z
    # a sign error would favour the smallest logits: the law must differ clearly from its mirror
    mirrored = _plackett_luce_inclusion(torch.softmax(-logits, 0).numpy(), 3)
    assert np.max(np.abs(_inclusion_z_scores(masks, mirrored))) > 20


def test_top1_rows_never_repeat_and_gradients_are_finite():
    rows = torch.zeros(5, 5, dtype=torch.float64, requires_grad=True)  # K = C, ties everywhere
    noise = gumbel_noise((64, 5, 5), generator=_generator(7))
    mask = straight_through_top1(rows, noise, 0.5, order=[4, 2, 0, 1, 3])
    np.testing.assert_array_equal(mask.detach().numpy(), np.ones((64, 5)))
    (mask * torch.arange(5.0, dtype=torch.float64)).sum().backward()
    assert torch.all(torch.isfinite(rows.grad))


def test_masking_constant_is_finite_and_decisive():
    assert np.isfinite(MASK_VALUE)
    for dtype in (torch.float32, torch.float64):
        scores = torch.tensor([MASK_VALUE, 3.0, MASK_VALUE], dtype=dtype) / 1e-3
        probabilities = torch.softmax(scores, 0)
        assert torch.all(torch.isfinite(probabilities)) and probabilities[1] == 1.0


def test_gumbel_noise_has_standard_moments():
    noise = gumbel_noise((200_000,), generator=_generator(8)).numpy()
    assert abs(noise.mean() - np.euler_gamma) < 0.01
    assert abs(noise.std() - np.pi / np.sqrt(6)) < 0.01
    assert np.all(np.isfinite(noise))


def test_argmax_masks_break_ties_by_index():
    logits = torch.tensor([0.5, 1.0, 1.0, 0.2, 1.0], dtype=torch.float64)
    np.testing.assert_array_equal(topk_argmax_mask(logits, 2).numpy(), [0, 1, 1, 0, 0])
    rows = torch.tensor([[0.0, 2.0, 2.0], [0.0, 5.0, 1.0]], dtype=torch.float64)
    # row 1 picks first (order), takes index 1; row 0 then takes its best free index, 2
    np.testing.assert_array_equal(top1_argmax_mask(rows, order=[1, 0]).numpy(), [0, 1, 1])
