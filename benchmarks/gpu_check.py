"""One prepared GPU check: correctness and speed of sigrec's torch paths on CUDA.

Run on a lent GPU machine from the source tree (no install, no cvxpy/dask needed):

    PYTHONPATH=. python benchmarks/gpu_check.py            # CUDA, full sizes
    PYTHONPATH=. python benchmarks/gpu_check.py --device cpu --quick   # rehearsal anywhere

It prints Markdown tables (and writes them to $OUT/gpu_check.md when $OUT is set):
1. correctness: engine="torch" on the device against engine="numpy" (same ISTA/FISTA algorithm)
   for every penalty, float64: support agreement and relative objective difference;
2. throughput: batched FISTA (ℓ1) on natural 16×16 patches with the shipped 512-atom dictionary,
   a fixed 100 iterations (tol=0), float32 and float64, in patches/s, next to the anchor measured on
   an H200 by plain torch batched ISTA (65 536 patches, 256 pixels, 512 atoms, 100 iterations,
   float32: 475 000 patches/s), and the single-thread CPU numba CD at its default tolerance;
3. Kronecker SBL: KroneckerSBL(backend="torch") on the device against backend="numpy" (complex128,
   paper-size three-mode and two-mode N = 65 536 problems): coefficient agreement and fit times;
4. DPS (the note's T8): a DPSSampler fitted on the CPU gives the same argmax mask and the same decoder
   outputs (float32, atol 1e-5) when moved to the device; a one-epoch fit on the device returns a K-hot
   mask; seconds per epoch on the CPU and on the device for pulse-echo B1 at N = 2048 with the LISTA
   decoder (batch 4096) and for lines-and-circles B4 with the unfolded convolutional decoder.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ANCHOR_PATCHES_PER_S = 475_000  # plain torch batched ISTA on an H200, float32


def _sync(torch, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def correctness(torch, device, quick):
    from sigrec.coding import sparse_encode
    from sigrec.coding._estimators import _GramCache
    from sigrec.coding._torch import torch_encode

    rng = np.random.default_rng(0)
    n_samples, n_features, n_components = (128, 32, 64) if quick else (1024, 64, 256)
    dictionary = rng.standard_normal((n_components, n_features))
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    signals = rng.standard_normal((n_samples, n_features))
    cache = _GramCache(dictionary)
    rows = []
    for penalty in ("l1", "l0", "l1/2", "l2/3", "cel0"):
        for solver in ("ista", "fista"):
            alpha = 0.3 if penalty in ("l1", "l1/2", "l2/3") else 0.05
            options = {"penalty": penalty, "alpha": alpha, "solver": solver, "max_iter": 300, "tol": 1e-8}
            reference = sparse_encode(signals, dictionary, engine="numpy", **options)
            codes, _, _ = torch_encode(
                signals, cache, init=np.zeros((n_samples, n_components)), device=str(device), dtype="float64", **options
            )

            def objective(c, penalty=penalty, alpha=alpha):
                from sigrec.coding import penalty_value

                residual = signals - c @ dictionary
                return 0.5 * np.sum(residual**2, axis=1) + penalty_value(penalty, c, alpha, cache.column_norms)

            same_support = np.mean([np.array_equal(a != 0, b != 0) for a, b in zip(codes, reference, strict=True)])
            gap = np.max(np.abs(objective(codes) - objective(reference)) / np.maximum(objective(reference), 1e-300))
            rows.append((penalty, solver, same_support, gap, np.max(np.abs(codes - reference))))
    return rows


def throughput(torch, device, quick):
    from sigrec.coding import sparse_encode
    from sigrec.coding._estimators import _GramCache
    from sigrec.coding._torch import torch_encode
    from sigrec.datasets import load_natural_patches, load_patch_dictionary

    n_patches = 4096 if quick else 65_536
    patches = load_natural_patches(16, n_patches, split="train", random_state=0)
    dictionary = load_patch_dictionary()
    cache = _GramCache(dictionary)
    alpha = 0.2
    rows = []
    for dtype in ("float32", "float64"):
        options = {"penalty": "l1", "alpha": alpha, "solver": "fista", "max_iter": 100, "tol": 0.0}
        torch_encode(patches[:256], cache, init=np.zeros((256, 512)), device=str(device), dtype=dtype, **options)
        _sync(torch, device)
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            torch_encode(patches, cache, init=np.zeros((n_patches, 512)), device=str(device), dtype=dtype, **options)
            _sync(torch, device)
            best = min(best, time.perf_counter() - start)
        rows.append((f"sigrec torch FISTA ℓ1, {dtype}, 100 iterations, {n_patches} patches", n_patches / best, best))
    subset = patches[: min(n_patches, 4096)]
    sparse_encode(subset[:8], dictionary, penalty="l1", alpha=alpha)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        start = time.perf_counter()
        sparse_encode(subset, dictionary, penalty="l1", alpha=alpha)
        elapsed = time.perf_counter() - start
    rows.append(
        (f"sigrec numba CD ℓ1 (CPU, 1 thread, tol 1e-4), {len(subset)} patches", len(subset) / elapsed, elapsed)
    )
    return rows


def kronecker_sbl(device, quick):
    """KroneckerSBL with the E-step on ``device`` against the numpy E-step: agreement and times."""
    import warnings

    from sigrec.bayes import KroneckerSBL
    from sigrec.datasets import make_kronecker_sparse

    problems = [("3 modes, N = 15³, M = 8·12·15, complex", dict(complex=True)),
                ("2 modes, N = 256², M = 128², real",
                 dict(n_features=(256, 256), n_measurements=(128, 128), n_nonzero=(4, 4)))]
    if quick:
        problems[1] = ("2 modes, N = 64², M = 32², real",
                       dict(n_features=(64, 64), n_measurements=(32, 32), n_nonzero=(4, 4)))
    rows = []
    for name, options in problems:
        factors, y, _, noise_var = make_kronecker_sparse(random_state=0, **options)
        times, models = {}, {}
        for backend in ("numpy", "torch"):
            model = KroneckerSBL(noise_var=noise_var, learn_noise=False, backend=backend, device=str(device))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(factors, y)  # warm-up (CUDA context, kernels)
                start = time.perf_counter()
                model.fit(factors, y)
                times[backend] = time.perf_counter() - start
            models[backend] = model
        difference = np.max(np.abs(models["torch"].coef_ - models["numpy"].coef_)) / np.max(
            np.abs(models["numpy"].coef_))
        rows.append((name, difference, times["numpy"], times["torch"], models["torch"].n_iter_))
    return rows


def dps_parity(torch, device, quick):
    """T8: CPU-fitted sampler moved to the device; a one-epoch device fit; rows for the report."""
    import copy

    from sigrec.datasets import make_pulse_echo
    from sigrec.sampling import DPSSampler

    data = make_pulse_echo(600 if quick else 4000, 128, random_state=0)
    cpu = DPSSampler(16, n_epochs=3 if quick else 10, dtype="float32", decoder="lista", random_state=0,
                     device="cpu").fit(data.signals)
    moved = copy.deepcopy(cpu)
    moved.network_.to(device)
    moved.device_ = device
    with torch.no_grad():
        same_mask = bool(torch.equal(cpu.network_.sampler.argmax(), moved.network_.sampler.argmax().cpu()))
    difference = float(np.max(np.abs(cpu.predict(data.signals) - moved.predict(data.signals))))
    one_epoch = DPSSampler(16, n_epochs=1, dtype="float32", random_state=0, device=str(device)).fit(data.signals)
    k_hot = bool(one_epoch.mask_.sum() == 16 and one_epoch.mask_.dtype == bool)
    return [("same argmax mask (CPU logits on the device)", str(same_mask)),
            ("max abs decoder-output difference, float32 (T8: ≤ 1e-5)", f"{difference:.1e}"),
            ("one-epoch fit on the device gives a 16-hot mask", str(k_hot))]


def dps_epoch_times(device, quick):
    """Seconds per training epoch on the CPU and on the device, float32."""
    from sigrec.datasets import make_lines_and_circles, make_pulse_echo
    from sigrec.sampling import DPSSampler

    n_1d, n_2d = (1024, 256) if quick else (16384, 4096)
    pulse = make_pulse_echo(n_1d, 2048, random_state=0).signals
    images = make_lines_and_circles(n_2d, random_state=0)
    problems = [("B1 pulse-echo N = 2048, K = 128, LISTA, batch 4096", pulse,
                 dict(n_keep=128, decoder="lista", batch_size=4096)),
                ("B4 lines-and-circles 32×32, K = 32, top-1, unfolded CNN, batch 128", images,
                 dict(n_keep=32, variant="top1", decoder="lista", image_shape=(32, 32), batch_size=128,
                      temperature=5.0, entropy_weight=2e-4))]
    rows = []
    for name, X, options in problems:
        seconds = {}
        for where in ("cpu", str(device)):
            sampler = DPSSampler(dtype="float32", n_epochs=2, random_state=0, device=where, **options).fit(X)
            seconds[where] = sampler.history_["seconds"][-1]  # the second epoch: warm kernels
        rows.append((name, len(X), seconds["cpu"], seconds[str(device)]))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="torch device (default cuda)")
    parser.add_argument("--quick", action="store_true", help="small sizes (rehearsal)")
    args = parser.parse_args()

    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("CUDA is not available on this machine: nothing to check (use --device cpu to rehearse).")
        return 1
    device = torch.device(args.device)
    lines = [
        "## GPU check (`benchmarks/gpu_check.py`)",
        "",
        f"- date: {datetime.now(timezone.utc).isoformat(timespec='seconds')}",
        f"- machine: {platform.platform()}, python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__}",
        f"- device: {device}"
        + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
        + (", quick sizes" if args.quick else ""),
        "",
        "### 1. engine='torch' on the device vs engine='numpy', float64, random problem",
        "",
        "| penalty | solver | same support | max rel. objective diff | max abs code diff |",
        "| --- | --- | --- | --- | --- |",
    ]
    for penalty, solver, same, gap, diff in correctness(torch, device, args.quick):
        lines.append(f"| {penalty} | {solver} | {same:.3f} | {gap:.1e} | {diff:.1e} |")
    lines += [
        "",
        "### 2. Throughput, natural 16×16 patches, shipped 512-atom dictionary",
        "",
        "| measurement | anchor | sigrec patches/s | time | ratio to anchor |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, rate, elapsed in throughput(torch, device, args.quick):
        if "torch" in name:
            anchor = f"{ANCHOR_PATCHES_PER_S:,} patches/s (plain torch ISTA, H200, float32)"
            ratio = f"{rate / ANCHOR_PATCHES_PER_S:.3f}"
        else:
            anchor, ratio = "CPU reference", ""
        lines.append(f"| {name} | {anchor} | {rate:,.0f} | {elapsed:.3f} s | {ratio} |")
    lines += [
        "",
        "### 3. KroneckerSBL(backend='torch') on the device vs backend='numpy' (SVD-KroSBL, known noise)",
        "",
        "| problem | max rel. coef diff | numpy fit | torch fit | EM iterations |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, difference, numpy_time, torch_time, n_iter in kronecker_sbl(device, args.quick):
        lines.append(f"| {name} | {difference:.1e} | {numpy_time:.3f} s | {torch_time:.3f} s | {n_iter} |")
    lines += [
        "",
        "### 4. DPS: CPU/device parity (T8) and seconds per epoch, float32",
        "",
        "| check | result |",
        "| --- | --- |",
    ]
    lines += [f"| {check} | {result} |" for check, result in dps_parity(torch, device, args.quick)]
    lines += [
        "",
        "| problem | training samples | CPU s/epoch | device s/epoch | CPU/device | device samples/s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, n_samples, cpu_time, device_time in dps_epoch_times(device, args.quick):
        lines.append(f"| {name} | {n_samples} | {cpu_time:.3f} | {device_time:.3f} | "
                     f"{cpu_time / device_time:.1f} | {n_samples / device_time:,.0f} |")
    report = "\n".join(lines)
    print(report)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_check.md").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
