"""Batched ISTA and monotone FISTA in PyTorch (``engine="torch"``).

The same algorithm as :func:`sigrec.coding._proximal_gradient.proximal_gradient`:
same step (``_STEP_FRACTION[penalty] / L``), same per-sample stopping rule
‖z − y‖ ≤ tol·max(‖z‖, tiny) with z kept as the result, samples leave the
batch when they converge, monotone FISTA accepts a prox point only if it
does not raise the objective, and the extrapolated point's product with
the Gram matrix is formed from stored products, so each iteration costs
one GEMM.  Differences are in bookkeeping only (fewer passes over memory,
compaction of finished rows in chunks; see :func:`_proximal_gradient`),
so the iterates agree with numpy's to rounding.

The whole batch is processed at once on the chosen device (CPU or CUDA);
torch's thread settings are left alone.  There is one host synchronisation
per iteration (the count of newly converged samples).  The thresholding
operators are vectorised torch versions of :mod:`sigrec.coding._prox`;
the ℓ2/3 one uses a cancellation-free form of the same radical root.

This module imports torch at import time; :func:`sigrec.coding._estimators._encode`
imports it lazily, only for ``engine="torch"``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError("engine='torch' needs PyTorch: pip install 'sigrec[torch]'") from exc

from sigrec._torch_device import resolve_device
from sigrec.coding._estimators import _STEP_FRACTION
from sigrec.coding._prox import PENALTIES

__all__ = [
    "torch_encode",
    "resolve_device",
    "resolve_dtype",
    "soft_threshold",
    "hard_threshold",
    "half_threshold",
    "two_thirds_threshold",
    "cel0_threshold",
    "prox",
    "penalty_value",
    "objective",
]

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


# ------------------------------------------------------------------ operators
# ``tau`` (and CEL0's ``alpha``/``step``) may be Python floats or tensors that
# broadcast against ``v``; only ``**`` and torch functions of ``v`` are used.


def soft_threshold(v, tau):
    """Prox of τ‖·‖₁: ``sign(v)·max(|v| − τ, 0)``, formed as ``v − clip(v, −τ, τ)`` (bitwise the same)."""
    if isinstance(tau, torch.Tensor):
        return v - torch.clamp(v, -tau, tau)
    return v - torch.clamp(v, -float(tau), float(tau))


def hard_threshold(v, tau):
    """Prox of τ‖·‖₀: keeps ``v`` where ``|v| > √(2τ)``, else 0."""
    return torch.where(v.abs() > (2.0 * tau) ** 0.5, v, 0.0)


def half_threshold(v, tau):
    """Prox of τ‖·‖_{1/2}^{1/2} (Xu et al. 2012), zero for ``|v| ≤ (3/2) τ^(2/3)``.

    The arccos argument −(3^(3/2)/4) τ |v|^(−3/2) is formed as
    −(3^(3/2)/4) (τ^(2/3)/|v|)^(3/2), on a safe magnitude (1 where the output
    is zero) and clamped to [−1, 1]: no NaN (or 0·∞) is ever formed.  Above
    the threshold the ratio is below 2/3, the argument lies in [−1/√2, 0)
    and the clamp is inactive.
    """
    magnitude = v.abs()
    scale = tau ** (2.0 / 3.0)
    keep = magnitude > 1.5 * scale
    safe = torch.where(keep, magnitude, 1.0)
    argument = torch.clamp(-(3.0**1.5 / 4.0) * (scale / safe) ** 1.5, -1.0, 1.0)
    root = (2.0 / 3.0) * v * (1.0 + torch.cos((2.0 / 3.0) * torch.arccos(argument)))
    return torch.where(keep, root, 0.0)


def two_thirds_threshold(v, tau):
    """Prox of τ‖·‖_{2/3}^{2/3} (Cao, Sun & Xu 2013), zero for ``|v| ≤ 2 (2τ/3)^(3/4)``.

    Same radical root of the quartic as the numpy operator, in two
    numerically safer steps:

    * homogeneity, prox_τ(v) = |v|·prox_t(sign v) with t = τ/|v|^(4/3)
      (t < 0.6 above the threshold), so no power of v over- or underflows;
    * with f = 1/16 + s and s = √(1/256 − 8t³/729), the second cube-root
      argument 1/16 − s is formed as (8t³/729)/f, which is exact where the
      difference would cancel (t → 0) and the cube root would amplify the
      rounding error (to ~1e-5 relative at τ = 0).  Both arguments are
      then positive, so the real cube root is a plain ``pow(1/3)``.

    Entries at or below the threshold use a safe magnitude of 1 and are
    masked, so no NaN is formed.
    """
    magnitude = v.abs()
    keep = magnitude > 2.0 * (2.0 * tau / 3.0) ** 0.75
    m = torch.where(keep, magnitude, 1.0)
    t = (tau**0.75 / m) ** (4.0 / 3.0)
    cube_term = 8.0 * t**3 / 729.0
    first = 1.0 / 16.0 + torch.sqrt(torch.clamp(1.0 / 256.0 - cube_term, min=0.0))
    z = first.pow(1.0 / 3.0) + (cube_term / first).pow(1.0 / 3.0)
    root_z = torch.sqrt(2.0 * z)
    unit_root = (root_z + torch.sqrt(torch.clamp(2.0 / root_z - 2.0 * z, min=0.0))) ** 3 / 8.0
    return torch.where(keep, v * unit_root, 0.0)


def cel0_threshold(v, alpha, step=1.0, column_norms=1.0):
    """Prox of η·CEL0 with weight α and column norms a (see :func:`sigrec.coding.cel0_threshold`).

    Ramp ``min(|v|, max(|v| − √(2α)aη, 0)/(1 − a²η))`` where a²η < 1, hard
    threshold at √(2αη) where a²η ≥ 1 (the ramp's denominator is replaced
    by 1 there, so nothing divides by ≤ 0).
    """
    norms = torch.as_tensor(column_norms, dtype=v.dtype, device=v.device)
    curvature = norms * norms * step
    ramp_ok = curvature < 1.0
    denominator = torch.where(ramp_ok, 1.0 - curvature, 1.0)
    magnitude = v.abs()
    shrunk = torch.clamp(magnitude - (2.0 * alpha) ** 0.5 * norms * step, min=0.0) / denominator
    ramp = torch.minimum(magnitude, shrunk)
    hard = torch.where(magnitude > (2.0 * alpha * step) ** 0.5, magnitude, 0.0)
    return torch.sign(v) * torch.where(ramp_ok, ramp, hard)


def prox(penalty, v, tau, *, step=1.0, column_norms=1.0):
    """Torch twin of :func:`sigrec.coding._prox.prox` (``tau`` = η·α)."""
    if penalty == "l1":
        return soft_threshold(v, tau)
    if penalty == "l0":
        return hard_threshold(v, tau)
    if penalty == "l1/2":
        return half_threshold(v, tau)
    if penalty == "l2/3":
        return two_thirds_threshold(v, tau)
    if penalty == "cel0":
        return cel0_threshold(v, tau / step, step, column_norms)
    raise ValueError(f"unknown penalty {penalty!r}; expected one of {PENALTIES}")


def penalty_value(penalty, codes, alpha, column_norms=1.0):
    """α·R(c) summed over the last axis (torch twin of :func:`sigrec.coding.penalty_value`)."""
    if penalty == "l1":
        return alpha * torch.linalg.vector_norm(codes, ord=1, dim=-1)
    if penalty == "l0":
        return alpha * torch.count_nonzero(codes, dim=-1).to(codes.dtype)
    magnitude = codes.abs()
    if penalty == "l1/2":
        return alpha * torch.sqrt(magnitude).sum(dim=-1)
    if penalty == "l2/3":
        return alpha * (magnitude * magnitude).pow(1.0 / 3.0).sum(dim=-1)
    if penalty == "cel0":
        norms = torch.as_tensor(column_norms, dtype=codes.dtype, device=codes.device)
        knee = math.sqrt(2.0 * alpha) / norms
        ramp = alpha - 0.5 * norms * norms * (magnitude - knee) ** 2
        return torch.where(magnitude <= knee, ramp, alpha).sum(dim=-1)
    raise ValueError(f"unknown penalty {penalty!r}; expected one of {PENALTIES}")


def objective(signal_norms2, correlations, gram_products, codes, penalty, alpha, column_norms):
    """Per-sample ½‖x − Dᵀc‖² + α·R(c) from Gram quantities (twin of the numpy ``objective``)."""
    # ½‖x‖² − c·b + ½ c·(cG) = ½‖x‖² − c·(b − ½ cG)
    data_term = 0.5 * signal_norms2 - torch.linalg.vecdot(codes, torch.add(correlations, gram_products, alpha=-0.5))
    return data_term + penalty_value(penalty, codes, alpha, column_norms)


# ------------------------------------------------------------------ options
def resolve_dtype(dtype="float64"):
    """``"float64"``/``"float32"`` (or the torch / numpy dtype) → torch dtype."""
    if isinstance(dtype, torch.dtype):
        name = str(dtype).removeprefix("torch.")
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = str(dtype)
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return _DTYPES[name]


# ------------------------------------------------------------------ solver
def torch_encode(
    X,
    cache,
    *,
    penalty,
    alpha,
    solver,
    max_iter,
    tol,
    init=None,
    device=None,
    dtype="float64",
):
    """Encode every row of ``X`` with batched ISTA or monotone FISTA in torch.

    Parameters
    ----------
    X : ndarray (n, n_features)
    cache : _GramCache
        ``dictionary`` (K, n_features), ``gram`` (K, K), ``column_norms`` (K,), ``lipschitz``.
    penalty : {"l1", "l0", "l1/2", "l2/3", "cel0"}
    alpha : float
    solver : {"ista", "fista"}
    max_iter : int
    tol : float
    init : ndarray (n, K), optional
        Starting codes (zeros when None); not modified.
    device : str or torch.device, optional
        ``None`` picks CUDA when available, else the CPU.
    dtype : {"float64", "float32"}, default="float64"
        Working precision on the device; results are returned as float64.

    Returns
    -------
    codes : ndarray of float64 (n, K)
    n_iter : ndarray of int64 (n,)
    converged : ndarray of bool (n,)
    """
    if penalty not in PENALTIES:
        raise ValueError(f"unknown penalty {penalty!r}; expected one of {PENALTIES}")
    if solver not in ("ista", "fista"):
        raise ValueError(f"engine='torch' runs solver='ista' or 'fista', got {solver!r}")
    device = resolve_device(device)
    dtype = resolve_dtype(dtype)
    with torch.inference_mode():
        codes, n_iter, converged = _proximal_gradient(
            X, cache, penalty=penalty, alpha=float(alpha), max_iter=int(max_iter), tol=float(tol),
            init=init, device=device, dtype=dtype, accelerated=solver == "fista",
        )
    return (
        codes.to(device="cpu", dtype=torch.float64).numpy(),
        n_iter.cpu().numpy().astype(np.int64, copy=False),
        converged.cpu().numpy().astype(bool, copy=False),
    )


def _to_tensor(array, device, dtype):
    """Tensor view (CPU, same dtype) or copy of ``array``; never written to in place."""
    with warnings.catch_warnings():
        # Read-only inputs (memmaps) are fine: nothing here writes to them.
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(np.ascontiguousarray(array), device=device).to(dtype)


def _proximal_gradient(X, cache, *, penalty, alpha, max_iter, tol, init, device, dtype, accelerated):
    """The loop; the same algorithm as :func:`sigrec.coding._proximal_gradient.proximal_gradient`.

    The state (x and y with their Gram products, f(x), momentum, the
    correlations b and ‖x‖²) is kept for a block of rows; ``rows`` maps the
    block back to samples and ``live`` marks the rows still iterating.  A
    sample's result (z, iteration count) is recorded the iteration it
    converges, exactly as in numpy; the block itself is compacted only once
    an eighth of it has finished, because compacting copies every state
    tensor (the finished rows meanwhile iterate on, unread).

    Monotone FISTA with accept = f(z) ≤ f(x) and t' = (1 + √(1 + 4t²))/2:
    x' = z if accept else x, and numpy's y' = x' + (t/t')(z − x') + ((t−1)/t')(x' − x)
    equals x + w (z − x) with the per-row weight w = 1 + (t−1)/t' (accept)
    or t/t' (reject): one ``lerp`` for y and one for its Gram product.

    The (rows × K) work tensors are allocated once per block size and written
    with ``out=``/in place: on the CPU a fresh allocation per operation costs
    as much as the operation (page faults), which is most of an iteration.
    """
    step = _STEP_FRACTION[penalty] / cache.lipschitz
    tau = step * alpha
    tiny = 1e-300 if dtype == torch.float64 else torch.finfo(dtype).tiny

    X_t = _to_tensor(X, device, dtype)
    dictionary = _to_tensor(cache.dictionary, device, dtype)
    gram = _to_tensor(cache.gram, device, dtype)
    column_norms = _to_tensor(cache.column_norms, device, dtype)

    b = X_t @ dictionary.T
    norms2 = torch.linalg.vecdot(X_t, X_t)
    del X_t, dictionary
    n_samples, n_components = b.shape
    if init is None:
        x = torch.zeros((n_samples, n_components), device=device, dtype=dtype)
    else:
        x = _to_tensor(init, device, dtype).clone()

    codes = x.clone()  # final codes, written as samples finish
    n_iter = torch.zeros(n_samples, dtype=torch.int64, device=device)
    converged = torch.zeros(n_samples, dtype=torch.bool, device=device)
    if n_samples == 0:
        return codes, n_iter, converged
    rows = torch.arange(n_samples, device=device)
    live = torch.ones(n_samples, dtype=torch.bool, device=device)
    n_live, n_dead = n_samples, 0

    x_gram = x @ gram
    if accelerated:
        y, y_gram = x.clone(), x_gram.clone()  # written in place below: no aliasing with x
        f_x = objective(norms2, b, x_gram, x, penalty, alpha, column_norms)
        momentum = torch.ones(n_samples, device=device, dtype=dtype)
    else:
        y, y_gram = x, x_gram
    # Work tensors: the gradient point u, z and z·G, and a scratch one.
    u, z, z_gram, scratch = (torch.empty_like(x) for _ in range(4))

    iteration = 0
    for iteration in range(1, max_iter + 1):
        torch.sub(y_gram, b, out=u)
        torch.add(y, u, alpha=-step, out=u)  # u = y − η (yG − b)
        if penalty == "l1":
            torch.sub(u, torch.clamp(u, -tau, tau, out=scratch), out=z)  # soft threshold
        else:
            z = prox(penalty, u, tau, step=step, column_norms=column_norms)
        torch.mm(z, gram, out=z_gram)

        moved = torch.linalg.vector_norm(torch.sub(z, y, out=scratch), dim=1)
        done = moved <= tol * torch.clamp(torch.linalg.vector_norm(z, dim=1), min=tiny)
        if n_dead:
            done &= live

        if accelerated:
            # f(z) = ½‖x‖² − z·(b − ½ zG) + penalty(z)
            data = torch.add(b, z_gram, alpha=-0.5, out=scratch).mul_(z).sum(dim=1)
            f_z = 0.5 * norms2 - data + penalty_value(penalty, z, alpha, column_norms)
            accept = f_z <= f_x
            f_x = torch.where(accept, f_z, f_x)
            t_next = 0.5 * (1.0 + torch.sqrt(1.0 + 4.0 * momentum * momentum))
            weight = torch.where(accept, 1.0 + (momentum - 1.0) / t_next, momentum / t_next)[:, None]
            momentum = t_next
            accept = accept[:, None]
            torch.lerp(x, z, weight, out=y)
            torch.lerp(x_gram, z_gram, weight, out=y_gram)
            torch.where(accept, z, x, out=x)
            torch.where(accept, z_gram, x_gram, out=x_gram)

        n_done = int(done.sum())
        if n_done:
            # A converged sample keeps z (the last prox point), not the extrapolation.
            finished = rows[done]
            codes[finished] = z[done]
            n_iter[finished] = iteration
            converged[finished] = True
            n_live -= n_done
            if n_live == 0:
                break
            live &= ~done
            n_dead += n_done

        if not accelerated:
            # x, y ← z: swap buffers (the old x becomes next iteration's z).
            x, z, x_gram, z_gram = z, x, z_gram, x_gram
            y, y_gram = x, x_gram

        if n_dead and 8 * n_dead >= n_live + n_dead:
            x, x_gram, b, norms2, rows = (t[live] for t in (x, x_gram, b, norms2, rows))
            if accelerated:
                y, y_gram, f_x, momentum = (t[live] for t in (y, y_gram, f_x, momentum))
            else:
                y, y_gram = x, x_gram
            u, z, z_gram, scratch = (torch.empty_like(x) for _ in range(4))
            live = live[live]
            n_dead = 0
    else:
        # max_iter reached (or zero iterations): the remaining samples keep their current x.
        remaining = rows[live]
        codes[remaining] = x[live]
        n_iter[remaining] = iteration
    return codes, n_iter, converged
