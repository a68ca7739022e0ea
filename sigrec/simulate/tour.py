"""The built-in studies: a compressed-sensing phase transition and the tour.

``cs_phase_transition`` is the classic Donoho–Tanner experiment: a Gaussian
m×n sensing matrix, a k-sparse Gaussian signal, noiseless measurements, and
the empirical probability that ℓ1 minimisation (basis pursuit, computed as
the end of the LARS-Lasso path) and orthogonal matching pursuit (given k)
recover it, over δ = m/n (undersampling) and ρ = k/m (sparsity).

``tour`` runs one small study per capability (now: the phase transition,
ℓq coding at matched sparsity, blind gain calibration, sparse regression
on random supports, PLAIN tensor estimation, Kronecker-structured SBL and learned sub-sampling
(DPS); the grid is a union of sub-grids keyed by ``study``, so each capability adds its own entry
to ``_TOUR_STUDIES`` and its sub-grid when it lands.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from sigrec.simulate._experiment import Experiment, register

__all__ = ["cs_phase_transition_trial", "tour_trial"]

# Relative error below 1e-3 (NMSE below -60 dB) counts as exact recovery in
# noiseless compressed sensing: LARS/OMP reach ~1e-12 when they succeed and
# are off by O(1) when they do not, so the threshold is not critical.
_SUCCESS_NMSE = 1e-6
# Exact recoveries give NMSE ~1e-25; floor the dB value so means stay finite.
_NMSE_DB_FLOOR = -100.0


def _nmse_db_floored(x_true, x_estimate):
    from sigrec.metrics import nmse

    value = nmse(x_true, x_estimate)
    return max(10.0 * math.log10(value), _NMSE_DB_FLOOR) if value > 0 else _NMSE_DB_FLOOR, value


def cs_phase_transition_trial(params, rng):
    """One noiseless compressed-sensing trial; returns success and NMSE of ℓ1 and OMP.

    Parameters
    ----------
    params : dict
        ``n`` (signal length), ``delta`` (m/n) and ``rho`` (k/m).
    rng : numpy.random.Generator

    Returns
    -------
    dict
        ``success_l1``, ``success_omp`` (1.0 when NMSE < 1e-6), and
        ``nmse_db_l1``, ``nmse_db_omp`` (dB, floored at -100 dB).
    """
    from sklearn.linear_model import lars_path, orthogonal_mp

    n = int(params["n"])
    n_measurements = max(1, round(params["delta"] * n))
    sparsity = max(1, round(params["rho"] * n_measurements))
    sensing = rng.standard_normal((n_measurements, n)) / math.sqrt(n_measurements)
    signal = np.zeros(n)
    signal[rng.choice(n, size=sparsity, replace=False)] = rng.standard_normal(sparsity)
    measurements = sensing @ signal

    # The Lasso path's end point as lambda -> 0 is the minimum-l1 interpolant (basis pursuit).
    _, _, coefs = lars_path(sensing, measurements, method="lasso", alpha_min=0.0, max_iter=4 * n)
    estimate_l1 = coefs[:, -1]
    estimate_omp = orthogonal_mp(sensing, measurements, n_nonzero_coefs=min(sparsity, n_measurements))

    metrics = {}
    for name, estimate in (("l1", estimate_l1), ("omp", estimate_omp)):
        error_db, error = _nmse_db_floored(signal, estimate)
        metrics[f"success_{name}"] = float(error < _SUCCESS_NMSE)
        metrics[f"nmse_db_{name}"] = error_db
    return metrics


def _plot_phase_transition(summary, out_dir):
    from pathlib import Path

    from sigrec.simulate._report import new_figure, plot_phase_diagram

    figure, axes = new_figure(1, 2, figsize=(9.5, 3.8))
    for ax, method in zip(axes, ("l1", "omp"), strict=True):
        plot_phase_diagram(summary, f"success_{method}", "delta", "rho", ax=ax)
        ax.set_title({"l1": "ℓ1 (basis pursuit)", "omp": "OMP (k known)"}[method])
        ax.set_xlabel("δ = m/n")
        ax.set_ylabel("ρ = k/m")
    figure.tight_layout()
    path = Path(out_dir) / "cs_phase_transition.png"
    figure.savefig(path, dpi=110)
    return [path]


register(
    Experiment(
        name="cs_phase_transition",
        trial=cs_phase_transition_trial,
        grid={
            "n": [128],
            "delta": [round(0.1 * i, 2) for i in range(1, 10)],
            "rho": [round(0.1 * i, 2) for i in range(1, 10)],
        },
        n_trials=100,
        chunk_size=25,
        quick={"grid": {"n": [64], "delta": [0.25, 0.5, 0.75], "rho": [0.1, 0.3, 0.5]}, "n_trials": 20},
        description="Donoho-Tanner phase transition of l1 (LARS basis pursuit) and OMP, Gaussian CS",
        plot=_plot_phase_transition,
    )
)


# --------------------------------------------------------------------------- tour
def _coding_trial(params, rng):
    # Imported lazily: sigrec.coding pulls in numba, which listing experiments must not.
    from sigrec.coding.experiments import matched_sparsity_trial

    return matched_sparsity_trial(params, rng)


def _calibration_trial(params, rng):
    # Imported lazily, like the coding study. The tour calls the gain deviation "gain_rho":
    # "rho" is already the compressed-sensing study's sparsity ratio k/m.
    from sigrec.calibration.experiments import phase_transition_trial

    params = dict(params)
    params["rho"] = params.pop("gain_rho")
    return phase_transition_trial(params, rng)


def _regression_trial(params, rng):
    # Imported lazily, like the coding study. Its keys (design, signal, n_samples, n_features,
    # n_informative, noise, methods) clash with no other study's.
    from sigrec.regression.experiments import learning_curves_trial

    return learning_curves_trial(params, rng)


def _tensor_trial(params, rng):
    # Imported lazily, like the coding study. "methods" is the regression study's key, so the
    # tour calls PLAIN's method list "tensor_methods".
    from sigrec.tensor.experiments import rmse_snr_trial

    params = dict(params)
    params["methods"] = params.pop("tensor_methods")
    return rmse_snr_trial(params, rng)


def _bayes_trial(params, rng):
    # Imported lazily, like the coding study. The tour calls the method list "bayes_methods"
    # ("methods" is the regression study's key).
    from sigrec.bayes.experiments import kronecker_sweep_trial

    params = dict(params)
    params["methods"] = params.pop("bayes_methods")
    return kronecker_sweep_trial(params, rng)


def _torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _sampling_trial(params, rng):
    # Imported lazily, like the coding study. The tour calls the mask list "sampling_masks"
    # (the other studies' method lists are "methods", "tensor_methods" and "bayes_methods").
    # PyTorch is optional: without it the study keeps its fixed masks and skips DPS.
    from sigrec.sampling.experiments import digits_trial

    params = dict(params)
    params["masks"] = params.pop("sampling_masks")
    if not _torch_available():
        warnings.warn("PyTorch is not installed: the tour's sampling study scores its fixed masks only and "
                      "skips DPS (pip install 'sigrec[torch]').", RuntimeWarning, stacklevel=2)
        params["masks"] = "+".join(name for name in params["masks"].split("+") if name != "dps")
        params["classifier_epochs"] = 0
    return digits_trial(params, rng)


# study name -> trial function; capabilities add theirs when they land.
_TOUR_STUDIES = {
    "cs_phase_transition": cs_phase_transition_trial,
    "coding": _coding_trial,
    "calibration": _calibration_trial,
    "regression": _regression_trial,
    "tensor": _tensor_trial,
    "bayes": _bayes_trial,
    "sampling": _sampling_trial,
}


def tour_trial(params, rng):
    """Dispatch a tour trial to its study's trial function (``params["study"]``)."""
    params = dict(params)
    study = params.pop("study")
    return _TOUR_STUDIES[study](params, rng)


def _plot_tour(summary, out_dir):
    paths = []
    cs = summary[summary["study"] == "cs_phase_transition"]
    if not cs.empty:
        paths += _plot_phase_transition(cs, out_dir)
    coding = summary[summary["study"] == "coding"]
    if not coding.empty:
        from sigrec.coding.experiments import _plot_error_vs_l0

        paths += _plot_error_vs_l0(coding, out_dir, "tour-coding")
    calibration = summary[summary["study"] == "calibration"]
    if not calibration.empty:
        from sigrec.calibration.experiments import _plot_tour_calibration

        paths += _plot_tour_calibration(calibration, out_dir, "tour-calibration")
    regression = summary[summary["study"] == "regression"]
    if not regression.empty:
        from sigrec.regression.experiments import _plot_tour_regression

        paths += _plot_tour_regression(regression, out_dir, "tour-regression")
    tensor = summary[summary["study"] == "tensor"]
    if not tensor.empty:
        from sigrec.tensor.experiments import _plot_tour_tensor

        paths += _plot_tour_tensor(tensor, out_dir, "tour-tensor")
    bayes = summary[summary["study"] == "bayes"]
    if not bayes.empty:
        paths += _plot_tour_bayes(bayes, out_dir)
    sampling = summary[summary["study"] == "sampling"]
    if not sampling.empty:
        from sigrec.sampling.experiments import _plot_tour_sampling

        paths += _plot_tour_sampling(sampling, out_dir, "tour-sampling")
    return paths


def _cs_tour_table(summary):
    """The tour's compressed-sensing section: ℓ1's success rate against OMP's, per δ and over the grid."""
    from sigrec.simulate._report import markdown_table

    rows = []
    for delta, group in summary.groupby("delta", sort=True):
        l1, omp = group["success_l1_mean"].mean(), group["success_omp_mean"].mean()
        rows.append([delta, l1, omp, l1 / omp if omp > 0 else (math.inf if l1 > 0 else None)])
    l1, omp = summary["success_l1_mean"].mean(), summary["success_omp_mean"].mean()
    rows.append(["all", l1, omp, l1 / omp if omp > 0 else (math.inf if l1 > 0 else None)])
    sizes = ", ".join(f"{n:g}" for n in sorted(summary["n"].unique()))
    rhos = ", ".join(f"{r:g}" for r in sorted(summary["rho"].unique()))
    intro = (f"Noiseless compressed sensing of a k-sparse Gaussian signal of length n = {sizes} from m Gaussian "
             "measurements (the Donoho–Tanner experiment): success rate (NMSE below 1e-6) of ℓ1 minimisation "
             "(basis pursuit, computed by LARS) against its greedy anchor, orthogonal matching pursuit given k, "
             f"per undersampling δ = m/n and averaged over the sparsities ρ = k/m ∈ {{{rhos}}}. The ratio is ℓ1's "
             "success rate over OMP's; above 1 ℓ1 recovers more signals.")
    table = markdown_table(rows, ["δ = m/n", "ℓ1 success", "OMP success", "ℓ1 ÷ OMP"],
                           missing_note="no ratio: neither method recovered any signal at this δ.")
    return f"{intro}\n\n{table}"


# study -> (section title, "module:function" of its table, stem of its figures), in the report's order.
_TOUR_SECTIONS = {
    "cs_phase_transition": ("Compressed sensing: ℓ1 vs OMP", "sigrec.simulate.tour:_cs_tour_table",
                            "cs_phase_transition"),
    "coding": ("Sparse coding: ℓq penalties at matched sparsity", "sigrec.coding.experiments:tour_table",
               "tour-coding"),
    "calibration": ("Blind gain calibration", "sigrec.calibration.experiments:tour_table", "tour-calibration"),
    "regression": ("Sparse regression on random supports", "sigrec.regression.experiments:tour_table",
                   "tour-regression"),
    "tensor": ("Multidimensional harmonic retrieval (PLAIN)", "sigrec.tensor.experiments:tour_table", "tour-tensor"),
    "bayes": ("Kronecker-structured sparse Bayesian learning", "sigrec.bayes.experiments:tour_table", "tour-bayes"),
    "sampling": ("Learned sub-sampling (DPS)", "sigrec.sampling.experiments:tour_table", "tour-sampling"),
}


def _markdown_tour(summary, figures, out_dir):
    """The tour's index.md body: per capability, a sentence, its sigrec-vs-anchors table and its figures."""
    import importlib
    from pathlib import Path

    from sigrec.simulate._report import figure_links

    parts = ["Each section runs one headline study of a capability and compares sigrec's method with its anchors "
             "(baselines or references) on the same draws; ratios are sigrec's value over the anchor's "
             "(differences for quantities in dB). The numbers are means over few trials: this is a tour, "
             "`sigrec run NAME` runs each capability's full studies (`sigrec list`)."]
    absent = []
    for study, (title, table_function, stem) in _TOUR_SECTIONS.items():
        rows = summary[summary["study"] == study].dropna(axis=1, how="all")
        if rows.empty:
            absent.append(study)
            continue
        module, _, function = table_function.partition(":")
        table = getattr(importlib.import_module(module), function)(rows)
        counts = sorted(set(int(n) for n in rows["n_trials"]))
        trials = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
        section = [f"## {title}", table, f"Trials per cell: {trials}; every cell in `tour_summary.csv`."]
        mine = [path for path in figures if Path(path).name.startswith(stem)]
        if mine:
            section.append(figure_links(mine, out_dir, title=title))
        parts.append("\n\n".join(section))
    if absent:
        parts.append("Not in this store: " + ", ".join(absent) + ".")
    return "\n\n".join(parts)


def _plot_tour_bayes(summary, out_dir):
    from pathlib import Path

    from sigrec.bayes.plotting import plot_nmse_curves
    from sigrec.simulate import new_figure

    figure, ax = new_figure(1, 1, figsize=(6, 4))
    plot_nmse_curves(summary, "m1", ax=ax)
    ax.set_title("Kronecker SBL vs KOMP and the oracle, N = 15³, K_i = 3, 25 dB")
    figure.tight_layout()
    path = Path(out_dir) / "tour-bayes.png"
    figure.savefig(path, dpi=100)
    return [path]


# Sparse regression on random supports: the two-scale design with cancelling ("worst") coefficients,
# where LassoCV stays near the null level while RSP follows the oracle (research note §3.2).
_REGRESSION = {"study": ["regression"], "design": ["two_scale"], "signal": ["worst"], "n_features": [200],
               "n_informative": [5], "noise": [0.5], "methods": ["rsp_union,lasso_cv,omp_cv"]}

# PLAIN on the equal-power scene (8 × 64 × 112, averaging Δ = (1, 4, 14)) against the FFT periodogram:
# RMSE/√CRB per mode vs SNR per object per element.
_TENSOR = {"study": ["tensor"], "scene": ["equal-power"], "tensor_methods": ["plain,fft"]}
# Kronecker-structured SBL on the paper's synthetic problem (N = 15³, K_i = 3, 25 dB, known noise):
# NMSE against the first mode's measurement count M_1, SVD-KroSBL and KOMP against the oracle.
_BAYES = {"study": ["bayes"], "snr_db": [25], "k_i": [3], "bayes_methods": ["svd+komp"]}
# Learned sub-sampling (DPS) on 8×8 digits in k-space: PSNR of the linear decoder refit on the learned mask,
# the non-redundant low-pass mask and a random half-spectrum mask, against K (no classification part).
_SAMPLING = {"study": ["sampling"], "sampling_masks": ["dps+low_pass_half+random_half"]}

register(
    Experiment(
        name="tour",
        trial=tour_trial,
        grid=[
            {
                "study": ["cs_phase_transition"],
                "n": [128],
                "delta": [0.2, 0.4, 0.6, 0.8],
                "rho": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            },
            {"study": ["coding"], "method": ["l1", "l0", "l1/2", "cel0", "omp"], "target_l0": [8, 16],
             "n_patches": [200], "@trials": 3},
            {"study": ["calibration"], "n": [64], "m": [32], "p": [2, 4, 8, 16], "gain_rho": [0.5],
             "max_iter": [2000], "@trials": 3},
            {**_REGRESSION, "n_samples": [50, 100, 200, 400], "@trials": 3},
            {**_TENSOR, "snr_db": [-25, -20, -15, -10, 0, 10], "@trials": 3},
            {**_BAYES, "m1": [6, 8, 10, 12, 14], "@trials": 3},
            {**_SAMPLING, "n_keep": [4, 8, 16], "n_epochs": [40], "@trials": 3},
        ],
        n_trials=50,
        chunk_size=25,
        quick={
            "grid": [
                {
                    "study": ["cs_phase_transition"],
                    "n": [64],
                    "delta": [0.25, 0.5, 0.75],
                    "rho": [0.1, 0.3, 0.5],
                },
                {"study": ["coding"], "method": ["l1", "l1/2", "cel0", "omp"], "target_l0": [16],
                 "n_patches": [100], "@trials": 1},
                # PGD needs ~1300 iterations at p = 4: a cap of 500 would show a failure of the cap, not of PGD.
                {"study": ["calibration"], "n": [64], "m": [32], "p": [3, 4, 16], "gain_rho": [0.5],
                 "max_iter": [2000], "@trials": 2},
                {**_REGRESSION, "n_samples": [100, 200], "@trials": 2},
                {**_TENSOR, "snr_db": [-20, 0], "@trials": 1},
                {**_BAYES, "m1": [8, 12], "@trials": 5},
                {**_SAMPLING, "n_keep": [4, 8], "n_epochs": [20], "@trials": 1},
            ],
            "n_trials": 20,
        },
        description=(
            "A quick study of every capability (CS phase transition; lq coding on natural patches; "
            "blind gain calibration; sparse regression on random supports; PLAIN tensor estimation; Kronecker SBL; "
            "learned sub-sampling (DPS) on digits)"
        ),
        plot=_plot_tour,
        markdown=_markdown_tour,
    )
)
