"""The sampling maths of DPS: exact k-hot masks forward, relaxed rows backward.

Two straight-through samplers (Huijben et al., ICLR 2020; research note §1):

- :func:`straight_through_topk`: one logit vector φ over C candidates. The
  forward value is the top-K of φ + g (Gumbel-top-k: K draws without
  replacement from the Plackett–Luce law of softmax(φ)). The backward pass
  is that of K relaxed rows softmax((φ + g + E_k)/τ), **all with the same
  g**, where E_k removes the hard picks of rows 1…k−1.
- :func:`straight_through_top1`: one logit row per selected sample; rows are
  visited in a fixed order, each draws one index among those not yet taken,
  with fresh Gumbel noise per row.

Both return ``hard + soft − soft.detach()``: exactly 0/1 forward, the
gradient of the soft sum backward. Already-picked entries are removed with
a large *finite* constant, so no row is ever all −∞ and softmax never
returns NaN (pitfall P5).
"""

from __future__ import annotations

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError("sigrec.sampling's learned sampler needs PyTorch: pip install 'sigrec[torch]'") from exc

__all__ = [
    "MASK_VALUE",
    "gumbel_noise",
    "straight_through_topk",
    "straight_through_top1",
    "topk_argmax_mask",
    "top1_argmax_mask",
]

# Finite, far below any logit, and still finite after division by any temperature above 1e-8
# in float32 (max 3.4e38): exp() of it is exactly 0, so removed entries get no gradient.
MASK_VALUE = -1e30


def gumbel_noise(shape, *, generator=None, dtype=torch.float64, device="cpu"):
    """Standard Gumbel(0, 1) samples, with the uniforms kept away from 0 and 1.

    Parameters
    ----------
    shape : tuple of int
    generator : torch.Generator, optional
        Seeded generator on `device` (reproducible noise).
    dtype, device : torch dtype and device

    Returns
    -------
    Tensor of `shape`
    """
    tiny = torch.finfo(dtype).tiny
    uniform = torch.rand(shape, generator=generator, dtype=dtype, device=device)
    uniform = uniform.clamp(min=tiny, max=1.0 - torch.finfo(dtype).eps)
    return -torch.log(-torch.log(uniform))


def straight_through_topk(logits, n_keep, gumbel, temperature):
    """Straight-through Gumbel-top-k mask.

    Parameters
    ----------
    logits : Tensor, shape (C,)
        Unnormalised log-probabilities φ of the candidates.
    n_keep : int
        K, with 1 ≤ K ≤ C.
    gumbel : Tensor, shape (B, C)
        Standard Gumbel noise, one vector per example, shared by the K
        relaxed rows of that example.
    temperature : float
        τ > 0 of the relaxed rows.

    Returns
    -------
    mask : Tensor, shape (B, C)
        Exactly K entries equal to 1 and the others 0 in the forward pass;
        its gradient is that of Σ_k softmax((φ + g + E_k)/τ).
    """
    perturbed = logits.unsqueeze(0) + gumbel  # (B, C)
    picks = torch.topk(perturbed, n_keep, dim=-1).indices  # (B, K), in decreasing order
    hard = torch.zeros_like(perturbed).scatter_(1, picks, 1.0)
    # Row k is softmax over the entries rows 1..k-1 did not pick: s_k(j) = exp(a_j) / Z_k with
    # a = (φ + g)/τ and Z_k the mass left. Summing rows in closed form, an entry picked by row m
    # gets exp(a_j) Σ_{k≤m} 1/Z_k and an unpicked one exp(a_j) Σ_{k≤K} 1/Z_k, so the K relaxed
    # rows never need to be materialised (O(B·C) memory instead of O(B·K·C)). Everything stays
    # in log space: Z_k = (mass no row picks) + (mass of picks k..K), both sums of positive terms.
    scores = perturbed / temperature
    picked_scores = scores.gather(1, picks)  # (B, K)
    unpicked = torch.logsumexp(scores + hard * MASK_VALUE, dim=-1, keepdim=True)  # (B, 1)
    picked_suffix = torch.flip(torch.logcumsumexp(torch.flip(picked_scores, [1]), dim=1), [1])
    log_mass_left = torch.logaddexp(unpicked.expand_as(picked_suffix), picked_suffix)  # log Z_k
    log_row_weights = torch.logcumsumexp(-log_mass_left, dim=1)  # log Σ_{k≤m} 1/Z_k
    log_weights = log_row_weights[:, -1:].expand_as(scores).scatter(1, picks, log_row_weights)
    soft = torch.exp(scores + log_weights)
    return hard + (soft - soft.detach())


def straight_through_top1(row_logits, gumbel, temperature, order=None):
    """Straight-through row-wise sampler (DPS-top-1).

    Parameters
    ----------
    row_logits : Tensor, shape (K, C)
        One logit row per selected sample.
    gumbel : Tensor, shape (B, K, C)
        Fresh Gumbel noise per example and per row.
    temperature : float
    order : sequence of int, optional
        The order in which rows pick (a permutation of ``range(K)``);
        default ``0 … K−1``.

    Returns
    -------
    mask : Tensor, shape (B, C)
        Exactly K-hot forward; backward is that of the sum of the K rows'
        relaxed softmax over the entries still available to them.
    """
    n_rows, n_candidates = row_logits.shape
    order = range(n_rows) if order is None else order
    taken = torch.zeros(gumbel.shape[0], n_candidates, dtype=row_logits.dtype, device=row_logits.device)
    mask = torch.zeros_like(taken)
    for row in order:
        perturbed = row_logits[row].unsqueeze(0) + taken * MASK_VALUE + gumbel[:, row]
        hard = torch.nn.functional.one_hot(perturbed.argmax(dim=-1), n_candidates).to(perturbed.dtype)
        soft = torch.softmax(perturbed / temperature, dim=-1)
        mask = mask + hard + (soft - soft.detach())
        taken = taken + hard
    return mask


def _stable_descending(values):
    """Indices sorting `values` in decreasing order, ties by increasing index (same on CPU and CUDA)."""
    return torch.sort(-values, stable=True).indices


def topk_argmax_mask(logits, n_keep):
    """The fixed inference mask: the K largest logits, ties broken by index; shape (C,), 0/1."""
    mask = torch.zeros_like(logits)
    mask[_stable_descending(logits.detach())[:n_keep]] = 1.0
    return mask


def top1_argmax_mask(row_logits, order=None):
    """The fixed top-1 mask: each row in `order` takes its largest still-free logit; shape (C,)."""
    n_rows, _ = row_logits.shape
    mask = torch.zeros(row_logits.shape[1], dtype=row_logits.dtype, device=row_logits.device)
    for row in range(n_rows) if order is None else order:
        available = torch.where(mask > 0, torch.full_like(mask, MASK_VALUE), row_logits[row].detach())
        mask[_stable_descending(available)[0]] = 1.0
    return mask
