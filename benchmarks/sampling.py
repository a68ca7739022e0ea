"""Benchmark Deep Probabilistic Sub-sampling (``sigrec.sampling``): quality, CPU training speed, greedy vs DPS.

Run as ``.venv/bin/python benchmarks/sampling.py [--quick]``. It prints a machine header and
Markdown tables ready to paste into ``docs/performance.md`` (research note ``dps.md`` §5 and §9):

a. **Quality against the note's reference numbers.** The anchors are the note's [calib] tables: an
   independent NumPy re-implementation of DPS top-K (straight-through Gumbel-top-k, closed-form
   backward, linear decoder, Adam, 2 CPU cores), *not* numbers from the papers, which the note did not
   consult. Every mask is scored here by the same decoders as there (``masks.evaluate_mask``: the
   linear decoder refit on the mask, or FISTA-LASSO with λ = 0.02 and 300 iterations).

   1. B1 pulse-echo, N = 128, 8 reflectors, 4000 training / 500 test signals, K = 16: NMSE of the
      refit linear decoder for DPS (2 seeds), random masks (20 draws), low-pass, the band oracle (the
      16 half-spectrum bins of largest |H|) and greedy; the same masks under FISTA with the pulse's
      circulant dictionary; DPS mask diagnostics (bins in the −6/−20 dB bands, conjugate pairs).
   2. B3 digits in k-space (1200 / 597 images), K = 4, 8, 16: mean PSNR of the refit linear decoder
      for DPS (3 seeds) and the fixed masks (random and variable density: 50 draws each).
   3. B2 flat-spectrum spikes, K = 16: DPS trained with the LISTA decoder (2 seeds), its mask scored
      by FISTA (identity dictionary), against the note's random half-spectrum mean and the fixed masks.
   4. The §9 torch prototype's configuration (N = 64, 4 reflectors, f0 = 0.3, K = 8, 3000 training
      signals, 60 epochs, batch 64): DPS gain over random 8-bin masks, at sigrec's default pulse width
      (σ_t = 3 samples) and at σ_t = 2 (§9 does not state the width, which sets the gain).

   DPS settings are those of the acceptance tests: decoder learning rate 2e-3, logits 10× (the
   default ``logits_lr_mult``), τ = 2, batch 64, float64; 30 epochs (B1), 60 (B3), 20 (B2).
b. **Training speed on the CPU.** Seconds of the *second* epoch (``history_["seconds"][1]``, so
   warm-up is excluded) and training samples per second, with 1 torch thread and, for (i) and (ii),
   2 threads: (i) B1 N = 128, K = 16, linear decoder, 4000 signals, batch 64, next to the note's
   timings (NumPy prototype: 1–2 min per digits run, compared with a whole B3 fit of section a2; torch
   prototype §9: 3–4.4 s for its 60-epoch configuration, run here as well: the whole fit at 1 thread,
   float64 and float32, and the second epoch at 1 and 2 threads, projected to 60 epochs); (ii) B1 at
   N = 2048, K = 128, LISTA decoder, batch 4096, 8192 signals, float32; (iii) B4 lines-and-circles
   32×32, K = 32, top-1 variant, τ = 5, entropy weight 2e-4, unfolded CNN decoder, batch 128,
   2048 images, float32. With CUDA available the same configurations run on the GPU too
   (``--device``); otherwise see ``benchmarks/gpu_check.py`` section 4.
c. **Greedy vs DPS cost**: ``masks.greedy_mask`` against a DPS fit at B3 K = 8 and B1 K = 16, with
   the quality each reaches (from section a).

Timing: torch runs with 1 intra-op thread (``torch.set_num_threads(1)``) except in the 2-thread rows;
numpy's BLAS is pinned to 1 thread throughout (threadpoolctl). Data generation is never timed. The
machine is often shared: the 1-minute load average is printed with every section. Progress goes to
stderr, the report to stdout. ``--quick`` shrinks every size and epoch count (a rehearsal: its
numbers are not comparable with the anchors).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import statistics
import time

import numpy as np
from _report import load_average, markdown_table, note, pinned_call, print_closing, progress, seconds, times_ratio
from threadpoolctl import threadpool_limits

import sigrec

LR = 2e-3  # decoder learning rate of the acceptance tests and the dps-* experiments (logits: 10×)
N_B1 = 128
N_TRAIN, N_TEST = 4000, 500

# The note's [calib] tables (§5) and prototype findings (§9): NumPy/torch re-implementations, not paper numbers.
B1_LINEAR = {"dps": -10.03, "random": (-0.97, 0.46), "low_pass": 0.02, "band_oracle": -10.03}
B1_FISTA = {"random": (-2.5, 1.5), "low_pass": 0.0, "equispaced": -0.6, "band_oracle": -19.4}
B1_BAND6, B1_BAND20, B1_DUPLICATES = 0.94, 1.00, 0
B3_ANCHORS = {  # K: mask -> PSNR (dB); random: (mean, std) over 50 masks
    4: {"random": (13.31, 0.63), "variable_density": 13.88, "low_pass_full": 13.89, "low_pass_half": 14.69,
        "greedy": 15.69, "dps": (15.20, 15.20, 15.20)},
    8: {"random": (15.14, 0.89), "variable_density": 16.36, "low_pass_full": 15.69, "low_pass_half": 18.24,
        "greedy": 18.76, "dps": (18.52, 18.52, 18.85)},
    16: {"random": (18.39, 1.49), "variable_density": 20.32, "low_pass_full": 19.40, "low_pass_half": 23.55,
         "greedy": 24.70, "dps": (24.00, 23.89, 24.28)},
}
B2_FISTA = {"random_half": (-10.95, 0.38), "random_full": (-9.6, 1.1), "low_pass_half": -5.75,
            "low_pass_full": -1.6, "equispaced": -0.55}
PROTO_GAIN = (4.05, 4.08)  # §9: dB over random 8-bin masks, random_state 0-4
PROTO_SECONDS = (3.0, 4.4)  # §9: whole 60-epoch fit
PROTO_WIDTHS = (3.0, 2.0)  # pulse σ_t: sigrec's default, and a width near the §9 gain (§9 does not state it)
NUMPY_DIGITS_SECONDS = (60.0, 120.0)  # §5: "each digits run took 1-2 min" (epochs not stated)


@dataclasses.dataclass(frozen=True)
class Config:
    n_train: int  # B1 and B2 training signals (test: N_TEST)
    b1_epochs: int
    b1_seeds: tuple
    b1_random: int  # random masks drawn for the B1 means
    b3_ks: tuple
    b3_epochs: int
    b3_seeds: tuple
    b3_random: int  # random and variable-density masks per K
    b2_epochs: int
    b2_seeds: tuple
    b2_random: int
    proto_train: int
    proto_epochs: int
    proto_random: int
    speed_epochs: int  # epochs of the speed fits: the second one is timed
    big_train: int  # (ii) B1 N = 2048
    b4_train: int  # (iii) lines and circles
    greedy_repeats: int


FULL = Config(n_train=N_TRAIN, b1_epochs=30, b1_seeds=(0, 1), b1_random=20, b3_ks=(4, 8, 16), b3_epochs=60,
              b3_seeds=(0, 1, 2), b3_random=50, b2_epochs=20, b2_seeds=(0, 1), b2_random=10, proto_train=3000,
              proto_epochs=60, proto_random=50, speed_epochs=2, big_train=8192, b4_train=2048, greedy_repeats=5)
QUICK = Config(n_train=1000, b1_epochs=5, b1_seeds=(0,), b1_random=5, b3_ks=(4, 8, 16), b3_epochs=10,
               b3_seeds=(0,), b3_random=10, b2_epochs=2, b2_seeds=(0,), b2_random=3, proto_train=1000,
               proto_epochs=5, proto_random=10, speed_epochs=2, big_train=1024, b4_train=256, greedy_repeats=3)


def fmt(value):
    return f"{value:.2f}"


def fmt_spread(values):
    return f"{np.mean(values):.2f} ± {np.std(values):.2f}"


def diff(value, anchor):
    return f"{value - anchor:+.2f}"


def rate(value):
    return f"{value:,.0f}"


def section_load(name):
    load = load_average()
    progress(f"{name} (load {load})")
    return load


def fit_dps(X, y=None, **params):
    """Fit a DPSSampler; returns ``(sampler, wall seconds of the whole fit)``."""
    from sigrec.sampling import DPSSampler

    sampler = DPSSampler(**params)
    start = time.perf_counter()
    sampler.fit(X, y)
    return sampler, time.perf_counter() - start


def band_oracle(frequency_response, n_keep):
    """The K half-spectrum bins of largest |H| (ties: lowest bin), as in ``sigrec.sampling.experiments``."""
    from sigrec.sampling._grid import candidate_indices

    shape = frequency_response.shape
    pool = candidate_indices(shape, "half")
    order = np.argsort(-np.abs(frequency_response)[pool], kind="stable")
    mask = np.zeros(shape, dtype=bool)
    mask[pool[order[:n_keep]]] = True
    return mask


# --------------------------------------------------------------------------- a1: B1 pulse echo
def quality_b1(config, load):
    from sigrec.datasets import make_pulse_echo
    from sigrec.sampling import masks

    data = make_pulse_echo(config.n_train + N_TEST, N_B1, random_state=0)
    train, test = data.signals[:config.n_train], data.signals[config.n_train:]
    shape, K = (N_B1,), 16

    def linear(mask):
        return masks.evaluate_mask(mask, test, X_train=train)

    def fista(mask):
        return masks.evaluate_mask(mask, test, decoder="fista", dictionary=data.dictionary)

    fits = {}
    for seed in config.b1_seeds:
        progress(f"B1: DPS seed {seed}, {config.b1_epochs} epochs")
        fits[seed] = fit_dps(train, n_keep=K, n_epochs=config.b1_epochs, lr=LR, random_state=seed, device="cpu")
    fixed = {
        "random_half": [masks.random_mask(shape, K, random_state=draw) for draw in range(config.b1_random)],
        "random_full": [masks.random_mask(shape, K, candidates="full", random_state=draw)
                        for draw in range(config.b1_random)],
        "low_pass_half": [masks.low_pass_mask(shape, K)],
        "low_pass_full": [masks.low_pass_mask(shape, K, candidates="full")],
        "equispaced": [masks.equispaced_mask(shape, K)],
        "band_oracle": [band_oracle(data.frequency_response, K)],
    }
    _, fixed["greedy"], _ = pinned_call(lambda: [masks.greedy_mask(train, K)])
    progress("B1: scoring masks (linear decoder and FISTA)")
    scores = {}
    for name, drawn in fixed.items():
        scores[name] = (np.array([linear(m) for m in drawn]), np.array([fista(m) for m in drawn]))
    for seed, (sampler, _) in fits.items():
        scores[f"dps{seed}"] = (np.array([linear(sampler.mask_)]), np.array([fista(sampler.mask_)]))

    random_anchor = B1_LINEAR["random"]
    rows = []
    for seed in fits:
        rows.append((f"DPS, seed {seed}", fmt(scores[f"dps{seed}"][0][0]), fmt(B1_LINEAR["dps"]),
                     diff(scores[f"dps{seed}"][0][0], B1_LINEAR["dps"])))
    for name, label in [("random_half", "random, half spectrum"), ("random_full", "random, full spectrum")]:
        values = scores[name][0]
        rows.append((f"{label} ({values.size} masks, mean ± std)", fmt_spread(values),
                     f"{random_anchor[0]:.2f} ± {random_anchor[1]:.2f}", diff(values.mean(), random_anchor[0])))
    for name, label in [("low_pass_half", "low-pass, half spectrum"), ("low_pass_full", "low-pass, symmetric")]:
        rows.append((label, fmt(scores[name][0][0]), f"{B1_LINEAR['low_pass']:+.2f}",
                     diff(scores[name][0][0], B1_LINEAR["low_pass"])))
    rows.append(("band oracle (16 largest-|H| half-spectrum bins)", fmt(scores["band_oracle"][0][0]),
                 fmt(B1_LINEAR["band_oracle"]), diff(scores["band_oracle"][0][0], B1_LINEAR["band_oracle"])))
    rows.append(("greedy forward selection on the training set", fmt(scores["greedy"][0][0]), "—", ""))
    markdown_table(
        f"a1. B1 pulse-echo, K = 16 of 65 half-spectrum bins, linear decoder refit: test NMSE (dB), load {load}",
        ["mask", "sigrec", "anchor (note [calib])", "difference (dB)"], rows,
        f"Anchors: the note's §5 B1 table, measured with its NumPy prototype (not paper numbers). The note "
        f"does not say over which candidates its random masks were drawn nor which low-pass it used; both are "
        f"shown against the same anchor. DPS: {config.b1_epochs} epochs, lr {LR:g} (logits 10×), batch 64, "
        f"float64, noise-free top-K mask, decoder refit in closed form on it.")

    rows = []
    for seed in fits:
        rows.append((f"DPS, seed {seed}", fmt(scores[f"dps{seed}"][1][0]), "— (band oracle: −19.4)",
                     diff(scores[f"dps{seed}"][1][0], B1_FISTA["band_oracle"])))
    for name, label in [("random_half", "random, half spectrum"), ("random_full", "random, full spectrum")]:
        values = scores[name][1]
        anchor = B1_FISTA["random"]
        rows.append((f"{label} ({values.size} masks)", fmt_spread(values), f"{anchor[0]:.1f} ± {anchor[1]:.1f}",
                     diff(values.mean(), anchor[0])))
    for name, label, key in [("low_pass_half", "low-pass, half spectrum", "low_pass"),
                             ("low_pass_full", "low-pass, symmetric", "low_pass"),
                             ("equispaced", "equispaced", "equispaced"),
                             ("band_oracle", "band oracle", "band_oracle")]:
        rows.append((label, fmt(scores[name][1][0]), f"{B1_FISTA[key]:.1f}", diff(scores[name][1][0], B1_FISTA[key])))
    rows.append(("greedy", fmt(scores["greedy"][1][0]), "—", ""))
    markdown_table(
        "a1'. B1, K = 16: the same masks decoded by FISTA-LASSO on the reflectivity (circulant pulse dictionary, "
        "λ = 0.02, 300 iterations): test NMSE (dB)",
        ["mask", "sigrec", "anchor (note [calib])", "difference (dB)"], rows,
        "The note has no FISTA figure for DPS; its DPS rows are compared with the band oracle's anchor.")

    rows = []
    for seed, (sampler, _) in fits.items():
        band6 = masks.band_fraction(sampler.mask_, data.frequency_response, -6.0)
        band20 = masks.band_fraction(sampler.mask_, data.frequency_response, -20.0)
        duplicates = masks.count_conjugate_duplicates(sampler.support_, shape)
        same = np.array_equal(sampler.mask_, fixed["band_oracle"][0])
        rows.append((f"DPS, seed {seed}", f"{band6:.0%}", f"{band20:.0%}", duplicates, "yes" if same else "no"))
    rows.append(("note [calib] (both seeds)", f"{B1_BAND6:.0%}", f"{B1_BAND20:.0%}", B1_DUPLICATES, "—"))
    markdown_table("a1''. B1 DPS mask diagnostics", ["mask", "bins in the −6 dB band of |H|",
                                                       "bins in the −20 dB band", "conjugate pairs both picked",
                                                       "equal to the band oracle"], rows)
    return {"fits": fits, "linear": {name: value[0] for name, value in scores.items()}, "train": train}


# --------------------------------------------------------------------------- a2: B3 digits
def quality_b3(config, load):
    from sigrec.datasets import make_digits_kspace
    from sigrec.sampling import masks

    task = make_digits_kspace()
    shape = task.image_shape

    def psnr(mask):
        return masks.evaluate_mask(mask, task.X_test, X_train=task.X_train, image_shape=shape, metric="psnr")

    rows, fits, results = [], {}, {}
    duplicates = []
    for K in config.b3_ks:
        anchors = B3_ANCHORS[K]
        learned = []
        for seed in config.b3_seeds:
            progress(f"B3: K = {K}, DPS seed {seed}, {config.b3_epochs} epochs")
            sampler, fit_seconds = fit_dps(task.X_train, n_keep=K, image_shape=shape, n_epochs=config.b3_epochs,
                                           lr=LR, random_state=seed, device="cpu")
            fits[(K, seed)] = (sampler, fit_seconds)
            learned.append(psnr(sampler.mask_))
            duplicates.append(masks.count_conjugate_duplicates(sampler.support_, shape))
        anchor_dps = anchors["dps"]
        rows.append((K, f"DPS ({len(learned)} seed{'s' if len(learned) > 1 else ''}): mean (each)",
                     f"{np.mean(learned):.2f} ({' / '.join(fmt(v) for v in learned)})",
                     f"{np.mean(anchor_dps):.2f} ({' / '.join(fmt(v) for v in anchor_dps)})",
                     diff(np.mean(learned), np.mean(anchor_dps))))
        draws = range(config.b3_random)
        random = {c: [psnr(masks.random_mask(shape, K, candidates=c, random_state=d)) for d in draws]
                  for c in ("half", "full")}
        vds = {c: [psnr(masks.variable_density_mask(shape, K, power=2.0, candidates=c, random_state=d)) for d in draws]
               for c in ("half", "full")}
        for c in ("half", "full"):
            rows.append((K, f"random, {c} spectrum ({len(random[c])} masks)", fmt_spread(random[c]),
                         f"{anchors['random'][0]:.2f} ± {anchors['random'][1]:.2f}",
                         diff(np.mean(random[c]), anchors["random"][0])))
        for c in ("half", "full"):
            rows.append((K, f"variable density p = 2, {c} spectrum (mean of {len(vds[c])})", fmt(np.mean(vds[c])),
                         fmt(anchors["variable_density"]), diff(np.mean(vds[c]), anchors["variable_density"])))
        for c, label in (("full", "low-pass, full grid"), ("half", "low-pass, unique half-plane")):
            value = psnr(masks.low_pass_mask(shape, K, candidates=c))
            rows.append((K, label, fmt(value), fmt(anchors[f"low_pass_{c}"]), diff(value, anchors[f"low_pass_{c}"])))
        greedy = psnr(masks.greedy_mask(task.X_train, K, image_shape=shape))
        rows.append((K, "greedy forward on train", fmt(greedy), fmt(anchors["greedy"]),
                     diff(greedy, anchors["greedy"])))
        results[K] = {"dps": learned, "greedy": greedy}
    markdown_table(
        f"a2. B3 digits in k-space (8×8, 1200 train / 597 test), linear decoder refit: mean PSNR (dB, max 1), "
        f"load {load}",
        ["K", "mask", "sigrec", "anchor (note [calib])", "difference (dB)"], rows,
        f"Anchors: the note's §5 B3 table (NumPy prototype, not paper numbers); its DPS seeds are not ours, so "
        f"means are compared. The note does not say whether its random and VDS masks used the half or the full "
        f"spectrum (its VDS is one value: here the mean of {config.b3_random} draws). DPS: {config.b3_epochs} "
        f"epochs, lr {LR:g}, batch 64, float64; conjugate pairs both picked by a DPS mask: {sum(duplicates)} "
        f"over {len(duplicates)} masks.")
    return {"fits": fits, "psnr": results, "task": task}


# --------------------------------------------------------------------------- a3: B2 spikes
def quality_b2(config, load):
    from sigrec.datasets import make_sparse_spikes
    from sigrec.sampling import masks

    signals = make_sparse_spikes(config.n_train + N_TEST, N_B1, random_state=0).signals
    train, test = signals[:config.n_train], signals[config.n_train:]
    shape, K = (N_B1,), 16

    def fista(mask):
        return masks.evaluate_mask(mask, test, decoder="fista")

    reference = B2_FISTA["random_half"][0]
    rows = []
    for seed in config.b2_seeds:
        progress(f"B2: DPS + LISTA seed {seed}, {config.b2_epochs} epochs")
        sampler, _ = fit_dps(train, n_keep=K, decoder="lista", n_epochs=config.b2_epochs, lr=LR, random_state=seed,
                             device="cpu")
        value = fista(sampler.mask_)
        duplicates = masks.count_conjugate_duplicates(sampler.support_, shape)
        rows.append((f"DPS (LISTA decoder), seed {seed}; {duplicates} conjugate pairs", fmt(value),
                     f"{reference:.2f} (random half mean)", diff(value, reference)))
    for c in ("half", "full"):
        values = [fista(masks.random_mask(shape, K, candidates=c, random_state=d)) for d in range(config.b2_random)]
        anchor = B2_FISTA[f"random_{c}"]
        rows.append((f"random, {c} spectrum ({len(values)} masks)", fmt_spread(values),
                     f"{anchor[0]:.2f} ± {anchor[1]:.2f}", diff(np.mean(values), anchor[0])))
    fixed = [("low_pass_half", "low-pass, half spectrum", masks.low_pass_mask(shape, K)),
             ("low_pass_full", "low-pass, symmetric", masks.low_pass_mask(shape, K, candidates="full")),
             ("equispaced", "equispaced", masks.equispaced_mask(shape, K))]
    for name, label, mask in fixed:
        value = fista(mask)
        rows.append((label, fmt(value), f"{B2_FISTA[name]:.2f}", diff(value, B2_FISTA[name])))
    markdown_table(
        f"a3. B2 flat-spectrum spikes, K = 16: FISTA-LASSO (identity dictionary, λ = 0.02, 300 iterations) test NMSE "
        f"(dB), load {load}",
        ["mask", "sigrec", "anchor (note [calib])", "difference (dB)"], rows,
        f"Anchors: the note's §5 B2 table (NumPy prototype). The note has no DPS figure here: the DPS rows are "
        f"compared with its random half-spectrum mean (test T7 asks for at most +1 dB). DPS: LISTA decoder "
        f"(10 layers), {config.b2_epochs} epochs, lr {LR:g}, float64.")


# --------------------------------------------------------------------------- a4: the §9 prototype
def prototype_data(config, pulse_width=3.0):
    from sigrec.datasets import make_pulse_echo

    # §9 states N, K, the reflector count, f0 and the training size, not the pulse width nor the test set:
    # sigrec's default width (σ_t = 3 samples) unless told, and 500 test signals.
    data = make_pulse_echo(config.proto_train + N_TEST, 64, n_reflectors=4, center_frequency=0.3,
                           pulse_width=pulse_width, random_state=0)
    return data.signals[:config.proto_train], data.signals[config.proto_train:]


def quality_prototype(config, load):
    """DPS gain over random 8-bin masks at the pulse width sigrec defaults to (3) and at 2 samples."""
    from sigrec.sampling import masks

    low, high = PROTO_GAIN
    rows, gains, timed = [], {}, None
    for width in PROTO_WIDTHS:
        train, test = prototype_data(config, width)
        progress(f"§9 configuration, σ_t = {width:g}: DPS, {config.proto_epochs} epochs")
        sampler, fit_seconds = fit_dps(train, n_keep=8, n_epochs=config.proto_epochs, batch_size=64, lr=LR,
                                       random_state=0, device="cpu")
        timed = timed or fit_seconds  # the default width's fit is the one section b quotes
        learned = masks.evaluate_mask(sampler.mask_, test, X_train=train)
        random = [masks.evaluate_mask(masks.random_mask((64,), 8, random_state=d), test, X_train=train)
                  for d in range(config.proto_random)]
        gains[width] = gain = np.mean(random) - learned
        duplicates = masks.count_conjugate_duplicates(sampler.support_, (64,))
        rows.append((f"{width:g}", fmt(learned), f"{fmt_spread(random)} ({len(random)} masks)", duplicates, fmt(gain),
                     f"{low:.2f}–{high:.2f}", f"{gain - high:+.2f} to {gain - low:+.2f}"))
    markdown_table(
        f"a4. The §9 torch prototype's configuration (N = 64, 4 reflectors, f0 = 0.3, K = 8, {len(train)} training "
        f"signals, {config.proto_epochs} epochs, batch 64): DPS gain over random 8-bin masks, load {load}",
        ["pulse σ_t (samples)", "DPS NMSE (dB)", "random half-spectrum masks, NMSE (dB)", "DPS conjugate pairs",
         "gain (dB)", "anchor (note §9)", "difference (dB)"], rows,
        "NMSE of the linear decoder refit on each mask, 500 test signals. §9 does not give the pulse width, the noise "
        "or its test set: sigrec's default width (σ_t = 3 samples, noiseless) need not be the prototype's; "
        "σ_t = 2 (a wider band) is shown because it lands near the anchor. The gain is set by the band "
        "width, so this row checks the method, not the prototype's exact data.")
    if abs(gains[PROTO_WIDTHS[0]] - np.mean(PROTO_GAIN)) > 1.0:
        note(f"§9 configuration at sigrec's default pulse width (σ_t = 3 samples): DPS gains "
             f"{gains[PROTO_WIDTHS[0]]:.2f} dB over random 8-bin masks against the note's 4.05–4.08 dB; at σ_t = 2 it "
             f"gains {gains[PROTO_WIDTHS[-1]]:.2f} dB. §9 does not state the pulse width, which sets the gain.")
    return timed


# --------------------------------------------------------------------------- b: speed
def speed_problems(config):
    """(key, label, X, DPSSampler parameters) of the timed configurations; data generation is not timed."""
    from sigrec.datasets import make_lines_and_circles, make_pulse_echo

    b1 = make_pulse_echo(config.n_train, N_B1, random_state=0).signals
    big = make_pulse_echo(config.big_train, 2048, random_state=0).signals
    images = make_lines_and_circles(config.b4_train, random_state=0)
    return [
        ("i", "(i) B1 N = 128, K = 16, linear, batch 64, float64", b1,
         dict(n_keep=16, batch_size=64, lr=LR)),
        ("ii", "(ii) B1 N = 2048, K = 128, LISTA, batch 4096, float32", big,
         dict(n_keep=128, decoder="lista", batch_size=4096, lr=LR, dtype="float32")),
        ("iii", "(iii) B4 lines-and-circles 32×32, K = 32, top-1, τ = 5, entropy 2e-4, unfolded CNN, batch 128, "
                "float32", images,
         dict(n_keep=32, variant="top1", decoder="lista", image_shape=(32, 32), batch_size=128, temperature=5.0,
              entropy_weight=2e-4, lr=LR, dtype="float32")),
    ]


def epoch_time(X, device, params, epochs):
    """Seconds of the second training epoch (warm-up excluded)."""
    sampler, _ = fit_dps(X, n_epochs=epochs, random_state=0, device=device, **params)
    return sampler.history_["seconds"][1]


def measure_speed(config, prototype_fit_seconds, digits_fit_seconds, compare_device, load):
    import torch

    problems = speed_problems(config)
    proto_train, _ = prototype_data(config)
    proto_params = dict(n_keep=8, batch_size=64, lr=LR)
    rows = []
    cpu_seconds = {}
    for key, label, X, params in problems:
        for threads in ((1, 2) if key in ("i", "ii") else (1,)):
            progress(f"speed {label}, {threads} thread(s)")
            torch.set_num_threads(threads)
            try:
                value = epoch_time(X, "cpu", params, config.speed_epochs)
            finally:
                torch.set_num_threads(1)
            cpu_seconds.setdefault(key, value)
            if threads == 2 and value > 3 * cpu_seconds[key]:
                note(f"{label}: 2 torch threads took {value / cpu_seconds[key]:.1f}× the 1-thread epoch time "
                     f"(load {load_average()}); on a loaded 2-core machine the second thread is often descheduled.")
            anchor = "no per-epoch anchor (the §9 rows below)" if key == "i" else "— (GPU: gpu_check.py)"
            rows.append((label, threads, len(X), seconds(value), rate(len(X) / value), anchor, ""))

    # The §9 configuration: the whole fit at 1 thread (float64 from section a4, and float32), and the second
    # epoch at 2 threads, whose whole fit is projected (on a loaded 2-core machine a 2-thread fit can take
    # minutes: see the notes).
    low, high = PROTO_SECONDS
    proto_label = f"§9 configuration: N = 64, K = 8, batch 64, {config.proto_epochs} epochs"
    progress("speed §9 configuration, 1 thread, float32")
    _, float32_seconds = fit_dps(proto_train, n_epochs=config.proto_epochs, random_state=0, device="cpu",
                                 dtype="float32", **proto_params)
    for dtype, fit_seconds in (("float64", prototype_fit_seconds), ("float32", float32_seconds)):
        per_epoch = fit_seconds / config.proto_epochs
        rows.append((f"{proto_label}, {dtype}, whole fit", 1, len(proto_train), f"{seconds(fit_seconds)} (fit)",
                     rate(len(proto_train) / per_epoch) + " (fit average)", f"{low:g}–{high:g} s per fit (torch "
                     "prototype, §9)", f"{times_ratio(fit_seconds / high)}–{times_ratio(fit_seconds / low)}"))
    for threads in (1, 2):
        progress(f"speed §9 configuration, {threads} thread(s), float64, second epoch")
        torch.set_num_threads(threads)
        try:
            value = epoch_time(proto_train, "cpu", proto_params, config.speed_epochs)
        finally:
            torch.set_num_threads(1)
        projected = value * config.proto_epochs
        rows.append((f"{proto_label}, float64, second epoch", threads, len(proto_train), seconds(value),
                     rate(len(proto_train) / value), f"{low:g}–{high:g} s per fit (§9)",
                     f"{times_ratio(projected / high)}–{times_ratio(projected / low)} (projected: "
                     f"{config.proto_epochs} × epoch = {seconds(projected)})"))
        if threads == 2 and value > 3 * cpu_seconds.get("proto", value):
            note(f"2 torch threads made a §9-configuration epoch {value / cpu_seconds['proto']:.0f}× slower than 1 "
                 f"thread (load {load_average()}): with small batches each step runs many short OpenMP parallel "
                 "regions, and when another process holds one of the two cores every region waits for the "
                 "descheduled thread. Use torch.set_num_threads(1) on shared or small machines (in a separate check on "
                 "this machine, OMP_WAIT_POLICY=PASSIVE also removed the slowdown).")
        cpu_seconds.setdefault("proto", value)
    low, high = NUMPY_DIGITS_SECONDS
    rows.append((f"B3 digits run: K = 8, 1200 images, {config.b3_epochs} epochs, batch 64, float64, whole fit "
                 "(section a2, seed 0)", 1, 1200, seconds(digits_fit_seconds),
                 rate(1200 * config.b3_epochs / digits_fit_seconds) + " (fit average)",
                 "60–120 s per digits run (NumPy prototype, §5; epochs not stated)",
                 f"{times_ratio(digits_fit_seconds / high)}–{times_ratio(digits_fit_seconds / low)}"))
    markdown_table(
        f"b. Training speed on the CPU (second epoch unless stated), load {load}",
        ["configuration", "torch threads", "training samples", "s/epoch (or whole fit)", "samples/s", "anchor",
         "sigrec / anchor"], rows,
        "Ratios below 1 mean sigrec is faster than the anchor. The §9 anchor is a whole 60-epoch fit of an "
        "independent torch prototype whose dtype and machine are not stated; the NumPy anchor is a whole digits "
        "run of unknown length on 2 cores. (ii) and (iii) have no CPU anchor: benchmarks/gpu_check.py section 4 "
        "times the same epochs on a GPU.")

    if compare_device.startswith("cuda") and not torch.cuda.is_available():
        print(f"CUDA is not available here (torch {torch.__version__}), so no GPU column: "
              "`PYTHONPATH=. python benchmarks/gpu_check.py` (section 4) measures the same B1 N = 2048 and B4 epochs "
              "on a GPU machine.\n", flush=True)
        return
    rows = []
    for key, label, X, params in problems:
        progress(f"speed on {compare_device}: {label}")
        value = epoch_time(X, compare_device, params, config.speed_epochs)
        rows.append((label, len(X), seconds(cpu_seconds[key]), seconds(value), rate(len(X) / value),
                     times_ratio(cpu_seconds[key] / value)))
    name = compare_device
    if compare_device.startswith("cuda"):
        name += f" ({torch.cuda.get_device_name(torch.device(compare_device))})"
    markdown_table(f"b'. The same epochs on {name}", ["configuration", "training samples", "CPU s/epoch (1 thread)",
                                                      f"{compare_device} s/epoch", f"{compare_device} samples/s",
                                                      f"CPU / {compare_device}"], rows)


# --------------------------------------------------------------------------- c: greedy vs DPS
def greedy_vs_dps(config, b1, b3, load):
    from sigrec.sampling import masks

    task = b3["task"]
    rows = []
    problems = [
        ("B3 digits, K = 8 of 34", lambda: masks.greedy_mask(task.X_train, 8, image_shape=(8, 8)),
         b3["fits"][(8, config.b3_seeds[0])], f"PSNR {fmt(b3['psnr'][8]['greedy'])} dB",
         f"PSNR {fmt(b3['psnr'][8]['dps'][0])} dB", config.b3_epochs),
        ("B1 pulse-echo, K = 16 of 65", lambda: masks.greedy_mask(b1["train"], 16),
         b1["fits"][config.b1_seeds[0]], f"NMSE {fmt(b1['linear']['greedy'][0])} dB",
         f"NMSE {fmt(b1['linear'][f'dps{config.b1_seeds[0]}'][0])} dB", config.b1_epochs),
    ]
    for label, greedy, (_, fit_seconds), greedy_quality, dps_quality, epochs in problems:
        times = [pinned_call(greedy)[0] for _ in range(config.greedy_repeats)]
        greedy_seconds = statistics.median(times)
        rows.append((label, f"{seconds(greedy_seconds)} (median of {len(times)})", greedy_quality,
                     f"{seconds(fit_seconds)} ({epochs} epochs)", dps_quality,
                     times_ratio(fit_seconds / greedy_seconds)))
    markdown_table(
        f"c. Greedy forward selection vs a DPS fit (CPU, 1 thread), load {load}",
        ["problem", "greedy_mask", "greedy quality (linear decoder)", "DPS fit (seed 0, section a)",
         "DPS quality (linear decoder)", "DPS / greedy time"], rows,
        "greedy_mask is closed form for the linear decoder (one batched ridge solve per pick); DPS trains by "
        "stochastic gradient and is what the learned decoders (LISTA, CNN, classifiers) need.")


# --------------------------------------------------------------------------- header and main
def warm_up():
    """One tiny fit per decoder and variant, so that one-off costs (lazy imports, first kernels) are not timed."""
    from sigrec.datasets import make_lines_and_circles, make_pulse_echo

    progress("warming up (tiny fits, not timed)")
    pulse = make_pulse_echo(128, 64, random_state=0).signals
    fit_dps(pulse, n_keep=4, n_epochs=1, random_state=0, device="cpu")
    fit_dps(pulse, n_keep=4, decoder="lista", n_epochs=1, dtype="float32", random_state=0, device="cpu")
    fit_dps(make_lines_and_circles(16, size=16, random_state=0), n_keep=4, variant="top1", decoder="lista",
            image_shape=(16, 16), n_epochs=1, dtype="float32", random_state=0, device="cpu")


def print_header(quick, compare_device):
    import sklearn
    import torch

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("## Deep Probabilistic Sub-sampling benchmark (`benchmarks/sampling.py`)\n")
    print(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"- machine: {platform.platform()}, {platform.machine()}, {platform.processor() or 'processor unknown'}, "
          f"os.cpu_count() = {os.cpu_count()} (usable by this process: {usable}); 1-minute load average at the "
          f"start: {load_average()}")
    print(f"- python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
          f"scikit-learn {sklearn.__version__}, sigrec {sigrec.__version__}")
    cuda = (f"available ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "not available")
    print(f"- CUDA: {cuda}; comparison device requested: {compare_device}")
    print("- threads: torch.set_num_threads(1) except the 2-thread rows of section b; numpy BLAS pinned to 1 thread; "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset: libgomp spins before sleeping)')}")
    print("- anchors: the research note's [calib] tables and §9 prototype timings: independent NumPy/torch "
          "re-implementations, not numbers from the DPS papers")
    mode = "--quick (small sizes and few epochs: a rehearsal, not comparable with the anchors)" if quick else "full"
    print(f"- mode: {mode}\n", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few epochs (< 1 min rehearsal)")
    parser.add_argument("--device", default="cuda",
                        help="device for the GPU comparison of section b (default cuda; skipped when unavailable)")
    options = parser.parse_args(argv)
    config = QUICK if options.quick else FULL
    started = time.perf_counter()
    load_start = load_average()
    import torch

    import sigrec.sampling  # noqa: F401

    torch.set_num_threads(1)
    with threadpool_limits(1, user_api="blas"):
        warm_up()
        print_header(options.quick, options.device)
        b1 = quality_b1(config, section_load("a1. B1 pulse-echo quality"))
        b3 = quality_b3(config, section_load("a2. B3 digits quality"))
        quality_b2(config, section_load("a3. B2 spikes quality"))
        prototype_seconds = quality_prototype(config, section_load("a4. §9 prototype configuration"))
        digits_seconds = b3["fits"][(8, config.b3_seeds[0])][1]
        measure_speed(config, prototype_seconds, digits_seconds, options.device, section_load("b. CPU training speed"))
        greedy_vs_dps(config, b1, b3, section_load("c. greedy vs DPS"))
    print_closing(started, load_start)


if __name__ == "__main__":
    main()
