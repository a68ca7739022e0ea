"""Registered sweeps for Deep Probabilistic Sub-sampling (``sigrec run dps-...``).

The benchmarks B1–B3 of the research note (``research/dps.md`` §5); the
papers' own tables were not consulted, so these are sigrec's benchmarks,
calibrated against the note's NumPy re-implementation, not reproductions of
published numbers:

- ``dps-pulse-echo`` (B1): pulse-echo signals (N = 128, 8 reflectors,
  4000 training and 500 test signals per trial), K ∈ {8, 16, 32} Fourier
  bins. A top-K DPS sampler with a linear decoder is trained and its mask,
  with every fixed mask (random, low-pass half and symmetric, equispaced,
  variable density, the band oracle, greedy), is scored by the same two
  decoders: the linear decoder refit on the mask and FISTA on the
  reflectivity (the pulse's circulant dictionary).
- ``dps-digits`` (B3): scikit-learn's 8×8 digits in k-space, K ∈ {4, 8, 16}:
  PSNR of the refit linear decoder for DPS and the fixed masks, and
  classification accuracy: a DPS sampler trained jointly with an MLP
  classifier, against logistic regression on the K selected bins of its
  mask, of the half-spectrum low-pass mask and of a random mask.
- ``dps-spikes`` (B2): flat-spectrum spike trains, K ∈ {16, 32}: DPS trained
  with an unfolded-ISTA (LISTA) decoder; FISTA NMSE of its mask and of the
  fixed masks, and the LISTA decoder's own NMSE.

Random and variable-density masks are drawn once per trial, so the trials
average them (the note asks for the mean over many draws). DPS masks are
the noise-free top-K of the trained logits (``mask_mode="argmax"``).

Each trial trains with one torch thread (restored afterwards): on two
cores, torch's OpenMP threads inside parallel sweep workers made a fit 20×
slower (measured). Trial functions import torch and the estimators lazily,
so listing experiments stays cheap and never imports torch.
"""

from __future__ import annotations

import contextlib
import time
import warnings

import numpy as np

from sigrec.simulate import Experiment, register
from sigrec.simulate._report import group_by_varying

__all__ = [
    "PULSE_ECHO_MASKS",
    "DIGITS_MASKS",
    "SPIKES_MASKS",
    "CLASSIFIER_MASKS",
    "pulse_echo_trial",
    "digits_trial",
    "spikes_trial",
    "parse_masks",
]

#: Masks scored by ``dps-pulse-echo``, in plotting order.
PULSE_ECHO_MASKS = ("dps", "random_half", "low_pass_half", "low_pass_full", "equispaced", "variable_density",
                    "band_oracle", "greedy")
#: Masks scored by ``dps-digits`` (PSNR).
DIGITS_MASKS = ("dps", "random_half", "random_full", "low_pass_half", "low_pass_full", "variable_density", "greedy")
#: Masks whose selected bins feed the logistic-regression classifier of ``dps-digits``.
CLASSIFIER_MASKS = ("dps", "low_pass_half", "random_half")
#: Masks scored by ``dps-spikes`` (FISTA).
SPIKES_MASKS = ("dps", "random_half", "random_full", "low_pass_half", "low_pass_full", "equispaced")

# B1/B2 signal model (note §5): N = 128 samples, 8 reflectors or spikes.
N_FEATURES = 128
N_NONZERO = 8
# DPS optimiser settings of the issue (decoder learning rate; the logits get 10× by default).
LEARNING_RATE = 2e-3
# Variable-density decay exponent: the note's digits table uses p = 2.
VDS_POWER = 2.0
DIGITS_SHAPE = (8, 8)


# --------------------------------------------------------------------------- helpers
def parse_masks(text, allowed):
    """Mask names from a ``+``- or ``,``-separated string, in the order of `allowed`.

    Parameters
    ----------
    text : str or None
        E.g. ``"dps+low_pass_half+random_half"``; None selects every mask.
    allowed : sequence of str

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        If a name is not in `allowed` or nothing is selected.
    """
    if text is None:
        return list(allowed)
    names = [name.strip() for name in str(text).replace(",", "+").split("+") if name.strip()]
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise ValueError(f"unknown mask(s) {unknown}; choose from {list(allowed)}.")
    if not names:
        raise ValueError(f"masks selects nothing; choose from {list(allowed)}.")
    return [name for name in allowed if name in names]


@contextlib.contextmanager
def _one_torch_thread():
    """Train with one torch thread for the duration of a trial, then restore the setting."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _seed(rng):
    """An integer seed for an estimator, drawn from the trial's generator."""
    return int(rng.integers(2**31 - 1))


def _fixed_masks(names, shape, n_keep, rng, *, X_train, frequency_response=None):
    """The requested fixed masks (every name but ``"dps"``), drawn in a fixed order from `rng`."""
    from sigrec.sampling import masks
    from sigrec.sampling._grid import candidate_indices

    builders = {
        "random_half": lambda: masks.random_mask(shape, n_keep, candidates="half", random_state=rng),
        "random_full": lambda: masks.random_mask(shape, n_keep, candidates="full", random_state=rng),
        "low_pass_half": lambda: masks.low_pass_mask(shape, n_keep, candidates="half"),
        "low_pass_full": lambda: masks.low_pass_mask(shape, n_keep, candidates="full"),
        "equispaced": lambda: masks.equispaced_mask(shape, n_keep),
        "variable_density": lambda: masks.variable_density_mask(shape, n_keep, power=VDS_POWER,
                                                                random_state=rng),
        "greedy": lambda: masks.greedy_mask(X_train, n_keep, image_shape=shape if len(shape) == 2 else None),
    }
    if frequency_response is not None:
        def band_oracle():
            # The K half-spectrum candidates of largest |H| (ties: lowest bin).
            pool = candidate_indices(shape, "half")
            order = np.argsort(-np.abs(frequency_response)[pool], kind="stable")
            mask = np.zeros(shape, dtype=bool)
            mask[pool[order[:n_keep]]] = True
            return mask

        builders["band_oracle"] = band_oracle
    return {name: builders[name]() for name in names if name != "dps"}


def _train_dps(X_train, n_keep, rng, **params):
    """Fit a reconstruction DPSSampler with one torch thread; returns ``(sampler, seconds)``."""
    from sigrec.sampling import DPSSampler

    sampler = DPSSampler(n_keep, lr=LEARNING_RATE, random_state=_seed(rng), **params)
    with _one_torch_thread():
        started = time.perf_counter()
        sampler.fit(X_train)
        seconds = time.perf_counter() - started
    return sampler, seconds


def _signals_for_trial(params, rng, generator, **options):
    """``(K, data, X_train, X_test)`` for the 1-D benchmarks: N = 128 signals from `generator`."""
    n_keep, n_train, n_test = int(params["n_keep"]), int(params["n_train"]), int(params["n_test"])
    data = generator(n_train + n_test, N_FEATURES, random_state=rng, **options)
    return n_keep, data, data.signals[:n_train], data.signals[n_train:]


# --------------------------------------------------------------------------- B1: pulse echo
def pulse_echo_trial(params, rng):
    """B1: learned vs fixed Fourier masks on pulse-echo signals, scored by two decoders.

    Parameters (grid): ``n_keep`` (K), ``n_train`` and ``n_test`` (signals
    drawn from the trial's generator, N = 128, 8 reflectors), ``n_epochs``
    (DPS training). Optional ``masks``: a ``+``-separated subset of
    :data:`PULSE_ECHO_MASKS`.

    Returns
    -------
    dict
        Per mask ``m``: ``nmse_linear_m`` (linear decoder refit on the mask,
        dB), ``nmse_fista_m`` (FISTA-LASSO on the reflectivity with the pulse
        dictionary, λ = 0.02, 300 iterations, dB) and ``band6_m`` (fraction of
        the selected bins within −6 dB of the peak of |H|). For DPS also
        ``duplicates_dps`` (conjugate pairs both selected) and ``time_dps``
        (training seconds).
    """
    from sigrec.datasets.sampling import make_pulse_echo
    from sigrec.sampling import masks

    names = parse_masks(params.get("masks"), PULSE_ECHO_MASKS)
    n_keep, data, X_train, X_test = _signals_for_trial(params, rng, make_pulse_echo, n_reflectors=N_NONZERO)
    shape = (N_FEATURES,)
    metrics = {}
    selected = {}
    if "dps" in names:
        sampler, seconds = _train_dps(X_train, n_keep, rng, n_epochs=int(params["n_epochs"]), decoder="linear")
        selected["dps"] = sampler.mask_
        metrics["duplicates_dps"] = float(masks.count_conjugate_duplicates(sampler.support_, shape))
        metrics["time_dps"] = seconds
    selected.update(_fixed_masks(names, shape, n_keep, rng, X_train=X_train,
                                 frequency_response=data.frequency_response))
    dictionary = data.dictionary
    for name in names:
        mask = selected[name]
        metrics[f"nmse_linear_{name}"] = masks.evaluate_mask(mask, X_test, X_train=X_train)
        metrics[f"nmse_fista_{name}"] = masks.evaluate_mask(mask, X_test, decoder="fista", dictionary=dictionary)
        metrics[f"band6_{name}"] = masks.band_fraction(mask, data.frequency_response, -6.0)
    return metrics


# --------------------------------------------------------------------------- B3: digits
def _logistic_accuracy(mask, task):
    """Test accuracy of standardised logistic regression on the real features of the selected bins."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sigrec.sampling._grid import measure, real_features

    support = np.flatnonzero(mask)

    def features(X):
        return real_features(measure(X, DIGITS_SHAPE)[:, support])

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(features(task.X_train), task.y_train)
    return float(model.score(features(task.X_test), task.y_test))


def digits_trial(params, rng):
    """B3: PSNR of learned vs fixed k-space masks on 8×8 digits, and accuracy against K.

    Parameters (grid): ``n_keep`` (K of 64 bins), ``n_train`` (training
    images; the other 1797 − n_train are the test set, shuffled with a seed
    drawn from the trial's generator), ``n_epochs`` (reconstruction DPS) and
    ``classifier_epochs`` (the DPS + MLP classifier; 0 skips the
    classification part). Optional ``masks``: a ``+``-separated subset of
    :data:`DIGITS_MASKS`.

    Returns
    -------
    dict
        ``psnr_m`` per mask (mean per-image PSNR, linear decoder refit on
        the mask, dB), ``duplicates_dps`` and ``time_dps``. With
        ``classifier_epochs > 0`` (and DPS selected): ``accuracy_dps`` (DPS
        trained jointly with an MLP classifier, ``task="classification"``),
        ``time_dps_classifier``, and ``accuracy_logreg_m`` for ``m`` in
        :data:`CLASSIFIER_MASKS` (logistic regression on the K selected bins;
        ``m = "dps"`` is the classifier's learned mask).
    """
    from sigrec.datasets.sampling import make_digits_kspace
    from sigrec.sampling import masks

    names = parse_masks(params.get("masks"), DIGITS_MASKS)
    n_keep = int(params["n_keep"])
    task = make_digits_kspace(n_train=int(params.get("n_train", 1200)), random_state=_seed(rng))
    metrics = {}
    selected = {}
    if "dps" in names:
        sampler, seconds = _train_dps(task.X_train, n_keep, rng, n_epochs=int(params["n_epochs"]),
                                      image_shape=DIGITS_SHAPE, decoder="linear")
        selected["dps"] = sampler.mask_
        metrics["duplicates_dps"] = float(masks.count_conjugate_duplicates(sampler.support_, DIGITS_SHAPE))
        metrics["time_dps"] = seconds
    selected.update(_fixed_masks(names, DIGITS_SHAPE, n_keep, rng, X_train=task.X_train))
    for name in names:
        metrics[f"psnr_{name}"] = masks.evaluate_mask(selected[name], task.X_test, X_train=task.X_train,
                                                      image_shape=DIGITS_SHAPE, metric="psnr")

    classifier_epochs = int(params.get("classifier_epochs", 0))
    if classifier_epochs > 0 and "dps" in names:
        from sigrec.sampling import DPSSampler

        classifier = DPSSampler(n_keep, task="classification", decoder="mlp", image_shape=DIGITS_SHAPE,
                                n_epochs=classifier_epochs, lr=LEARNING_RATE, random_state=_seed(rng))
        with _one_torch_thread():
            started = time.perf_counter()
            classifier.fit(task.X_train, task.y_train)
            metrics["time_dps_classifier"] = time.perf_counter() - started
            metrics["accuracy_dps"] = classifier.score(task.X_test, task.y_test)
        comparison = {
            "dps": classifier.mask_,
            "low_pass_half": masks.low_pass_mask(DIGITS_SHAPE, n_keep, candidates="half"),
            "random_half": masks.random_mask(DIGITS_SHAPE, n_keep, candidates="half", random_state=rng),
        }
        for name in CLASSIFIER_MASKS:
            metrics[f"accuracy_logreg_{name}"] = _logistic_accuracy(comparison[name], task)
    return metrics


# --------------------------------------------------------------------------- B2: spikes
def spikes_trial(params, rng):
    """B2: DPS with a LISTA decoder on flat-spectrum spikes, against fixed masks under FISTA.

    Parameters (grid): ``n_keep`` (K), ``n_train``, ``n_test`` (N = 128,
    8 spikes), ``n_epochs`` (DPS + LISTA training). Optional ``masks``: a
    ``+``-separated subset of :data:`SPIKES_MASKS`.

    Returns
    -------
    dict
        ``nmse_fista_m`` per mask (FISTA-LASSO, identity dictionary,
        λ = 0.02, 300 iterations, dB); for DPS also ``nmse_lista_dps`` (the
        jointly trained LISTA decoder on its own mask, dB),
        ``duplicates_dps`` and ``time_dps``.
    """
    from sigrec.datasets.sampling import make_sparse_spikes
    from sigrec.metrics import nmse_db
    from sigrec.sampling import masks

    names = parse_masks(params.get("masks"), SPIKES_MASKS)
    n_keep, data, X_train, X_test = _signals_for_trial(params, rng, make_sparse_spikes, n_spikes=N_NONZERO)
    shape = (N_FEATURES,)
    metrics = {}
    selected = {}
    if "dps" in names:
        sampler, seconds = _train_dps(X_train, n_keep, rng, n_epochs=int(params["n_epochs"]), decoder="lista")
        selected["dps"] = sampler.mask_
        with _one_torch_thread():
            metrics["nmse_lista_dps"] = float(nmse_db(X_test, sampler.predict(X_test)))
        metrics["duplicates_dps"] = float(masks.count_conjugate_duplicates(sampler.support_, shape))
        metrics["time_dps"] = seconds
    selected.update(_fixed_masks(names, shape, n_keep, rng, X_train=X_train))
    for name in names:
        metrics[f"nmse_fista_{name}"] = masks.evaluate_mask(selected[name], X_test, decoder="fista")
    return metrics


# --------------------------------------------------------------------------- plots


def _save(figure, out_dir, stem):
    from pathlib import Path

    figure.tight_layout()
    path = Path(out_dir) / f"{stem}.png"
    figure.savefig(path, dpi=100)
    return path


def _has(summary, prefix):
    return any(c.startswith(f"{prefix}_") and c.endswith("_mean") for c in summary.columns)


def _plot_pulse_echo(summary, out_dir):
    from sigrec.sampling.plotting import plot_metric_vs_k
    from sigrec.simulate import new_figure

    paths = []
    for label, suffix, group in group_by_varying(summary, ("n_train", "n_test", "n_epochs")):
        figure, axes = new_figure(1, 3, figsize=(15, 4.2))
        plot_metric_vs_k(group, "nmse_linear", ax=axes[0], ylabel="test NMSE (dB)")
        axes[0].set_title("linear decoder refit on the mask")
        plot_metric_vs_k(group, "nmse_fista", ax=axes[1], ylabel="test NMSE (dB)")
        axes[1].set_title("FISTA on the reflectivity (pulse dictionary)")
        plot_metric_vs_k(group, "band6", ax=axes[2], ylabel="fraction of bins within −6 dB of peak |H|")
        axes[2].set_ylim(-0.02, 1.02)
        axes[2].set_title("selected bins in the pulse's band")
        figure.suptitle("B1 pulse echo (N = 128, 8 reflectors): learned DPS mask vs fixed masks"
                        + (f" ({label})" if label else ""))
        paths.append(_save(figure, out_dir, f"dps-pulse-echo{suffix}"))
    return paths


def _plot_digits(summary, out_dir):
    from sigrec.sampling.plotting import plot_metric_vs_k
    from sigrec.simulate import new_figure

    paths = []
    for label, suffix, group in group_by_varying(summary, ("n_train", "n_epochs", "classifier_epochs")):
        classification = _has(group, "accuracy_logreg") and group.filter(like="accuracy_").notna().any().any()
        figure, axes = new_figure(1, 2 if classification else 1, figsize=(11 if classification else 6, 4.2))
        psnr_ax = axes[0] if classification else axes
        plot_metric_vs_k(group, "psnr", ax=psnr_ax, ylabel="mean test PSNR (dB)")
        psnr_ax.set_title("reconstruction, linear decoder refit on the mask")
        if classification:
            plot_metric_vs_k(group, "accuracy_logreg", ax=axes[1], ylabel="test accuracy",
                             labels={name: f"logistic regression, {text}" for name, text in
                                     (("dps", "DPS classifier's mask"), ("low_pass_half", "low-pass (half)"),
                                      ("random_half", "random (half)"))},
                             highlight=None)
            if "accuracy_dps_mean" in group.columns:
                plot_metric_vs_k(group, "accuracy", ax=axes[1], masks=["dps"], ylabel="test accuracy",
                                 labels={"dps": "DPS + MLP classifier (trained jointly)"})
            axes[1].set_title("classification from the K acquired bins")
        figure.suptitle("B3 digits 8×8 in k-space: DPS vs fixed masks" + (f" ({label})" if label else ""))
        paths.append(_save(figure, out_dir, f"dps-digits{suffix}"))
    return paths


def _plot_spikes(summary, out_dir):
    from sigrec.sampling.plotting import plot_metric_vs_k
    from sigrec.simulate import new_figure

    paths = []
    for label, suffix, group in group_by_varying(summary, ("n_train", "n_test", "n_epochs")):
        figure, ax = new_figure(1, 1, figsize=(6.5, 4.5))
        plot_metric_vs_k(group, "nmse_fista", ax=ax, ylabel="test NMSE (dB)")
        if "nmse_lista_dps_mean" in group.columns:
            plot_metric_vs_k(group, "nmse_lista", ax=ax, masks=["dps"], ylabel="test NMSE (dB)", highlight=None,
                             labels={"dps": "DPS mask, its jointly trained LISTA"},
                             styles={"dps": {"color": "k", "linestyle": ":", "marker": "o", "markersize": 5}})
        ax.set_title("B2 spikes (N = 128, 8 spikes): FISTA on each mask" + (f"\n({label})" if label else ""))
        paths.append(_save(figure, out_dir, f"dps-spikes{suffix}"))
    return paths


def _plot_tour_sampling(summary, out_dir, stem):
    """The tour's DPS figure: digits PSNR against K for the masks in the study."""
    from sigrec.sampling.plotting import plot_metric_vs_k
    from sigrec.simulate import new_figure

    figure, ax = new_figure(1, 1, figsize=(6, 4))
    plot_metric_vs_k(summary, "psnr", ax=ax, ylabel="mean test PSNR (dB)")
    skipped = "psnr_dps_mean" not in summary.columns or summary["psnr_dps_mean"].isna().all()
    ax.set_title("DPS on 8×8 digits in k-space, linear decoder refit"
                 + ("\n(DPS skipped: PyTorch is not installed)" if skipped else ""))
    return [_save(figure, out_dir, stem)]


def tour_table(summary):
    """The tour's sampling section: digits PSNR of the learned DPS mask against fixed masks, per K.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-cell summary of :func:`digits_trial` (``n_keep``, ``n_epochs``;
        ``psnr_<mask>_mean``).

    Returns
    -------
    str
        A sentence on the study, then a markdown table with one row per cell:
        the mean test PSNR of each mask and, since PSNR is in dB, DPS's PSNR
        minus each fixed mask's (the dB form of the ratio of their MSEs).
        Without PyTorch (no DPS column) the first fixed mask takes DPS's place
        and the sentence says so.
    """
    from sigrec.sampling.plotting import MASK_LABELS
    from sigrec.simulate._report import markdown_table

    order = ["dps", "low_pass_half", "random_half", *(m for m in DIGITS_MASKS if m not in CLASSIFIER_MASKS)]
    present = [m for m in order if f"psnr_{m}_mean" in summary.columns and summary[f"psnr_{m}_mean"].notna().all()]
    ours, anchors = present[0], present[1:]
    varying = [key for key in ("n_train", "n_epochs") if key in summary.columns and summary[key].nunique() > 1]
    rows = []
    for row in summary.sort_values([*varying, "n_keep"]).to_dict("records"):
        psnr = {m: row[f"psnr_{m}_mean"] for m in present}
        rows.append([*(row[key] for key in varying), int(row["n_keep"]), *psnr.values(),
                     *(psnr[ours] - psnr[m] for m in anchors)])
    short = {m: MASK_LABELS.get(m, m).split(" (")[0] for m in present}
    epochs = ", ".join(f"{v:g}" for v in sorted(summary["n_epochs"].unique())) if "n_epochs" in summary else "?"
    skipped = "" if ours == "dps" else (" DPS was skipped (PyTorch is not installed: pip install 'sigrec[torch]'), "
                                        f"so {MASK_LABELS.get(ours, ours)} is compared with the other masks.")
    intro = ("Learned sub-sampling on scikit-learn's 8×8 digits in k-space: keep K of the 64 Fourier bins, "
             "reconstruct with a linear decoder refit on the mask, and score the mean test PSNR (dB). sigrec's "
             f"DPS mask (trained {epochs} epochs) against the "
             + " and ".join(MASK_LABELS.get(m, m) for m in present if m != "dps") + " masks." + skipped
             + " PSNR is in dB, so the comparison is a difference: +1 dB means a 1.26× lower mean squared error.")
    table = markdown_table(
        rows,
        [*varying, "K", *(f"{MASK_LABELS.get(m, m)} PSNR (dB)" for m in present),
         *(f"{short[ours]} − {short[m]} (dB)" for m in anchors)],
        formats={**{f"{MASK_LABELS.get(m, m)} PSNR (dB)": ".2f" for m in present},
                 **{f"{short[ours]} − {short[m]} (dB)": "+.2f" for m in anchors}},
    )
    return f"{intro}\n\n{table}"


# --------------------------------------------------------------------------- registry
register(
    Experiment(
        name="dps-pulse-echo",
        trial=pulse_echo_trial,
        grid={"n_keep": [8, 16, 32], "n_train": [4000], "n_test": [500], "n_epochs": [30]},
        n_trials=10,
        chunk_size=1,
        quick={"grid": {"n_keep": [8, 16], "n_train": [1000], "n_test": [200], "n_epochs": [10]}, "n_trials": 2},
        description="DPS (B1 pulse echo, N=128): NMSE of the learned mask vs random, low-pass, equispaced, VDS, "
                    "band oracle and greedy masks, linear and FISTA decoders, vs K",
        plot=_plot_pulse_echo,
    )
)

register(
    Experiment(
        name="dps-digits",
        trial=digits_trial,
        grid={"n_keep": [4, 8, 16], "n_train": [1200], "n_epochs": [150], "classifier_epochs": [60]},
        n_trials=10,
        chunk_size=1,
        quick={"grid": {"n_keep": [4, 8], "n_train": [1200], "n_epochs": [30], "classifier_epochs": [20]},
               "n_trials": 1},
        description="DPS (B3 digits 8x8 in k-space): PSNR of the learned mask vs fixed masks, and classification "
                    "accuracy (DPS+MLP, logistic regression on masks) vs K",
        plot=_plot_digits,
    )
)

register(
    Experiment(
        name="dps-spikes",
        trial=spikes_trial,
        grid={"n_keep": [16, 32], "n_train": [4000], "n_test": [500], "n_epochs": [20]},
        n_trials=10,
        chunk_size=1,
        quick={"grid": {"n_keep": [16, 32], "n_train": [1000], "n_test": [200], "n_epochs": [5]}, "n_trials": 1},
        description="DPS with a LISTA decoder (B2 spikes, N=128): FISTA NMSE of the learned mask vs random, "
                    "low-pass and equispaced masks vs K",
        plot=_plot_spikes,
    )
)
