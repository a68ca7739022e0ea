"""Registered sweeps for blind gain calibration (``sigrec run calibration-...``).

Protocol after Cambareri & Jacques, "Through the Haze" (2018); the paper's
exact grids, trial counts and thresholds were not checked against the PDF
(see the research note, section 0), so these are sigrec's own settings.

- ``calibration-phase-transition``: success rate over (m, p) for three gain
  deviations ρ; PGD (exact line search and fixed μ = 0.5), linearised least
  squares and gain-blind least squares run on the same data in each trial.
- ``calibration-noise``: relative error (dB) against SNR for PGD, linearised
  LS, the oracle that knows the gains, and gain-blind LS.
- ``calibration-subspace``: PGD with a known signal subspace (random Z) and a
  gain subspace (low-frequency DCT, block indicators or spikes), down to one
  snapshot.
- ``calibration-imaging``: a phantom seen by an 8×8 array of single-pixel
  sensors with vignetted gains, without and with subspace priors.

Trial functions import :mod:`sigrec.calibration` lazily, so listing
experiments stays cheap.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from sigrec.simulate import Experiment, register

__all__ = ["phase_transition_trial", "noise_trial", "subspace_trial", "imaging_trial"]

# max(relative error of x, of g) below this counts as exact recovery: PGD stopped at a
# relative change of 1e-8 ends near 1e-7, failures are off by 1e-2 or more (note §7).
SUCCESS_THRESHOLD = 1e-4
# Exact solutions have errors near machine precision: floor dB values so means stay finite.
_DB_FLOOR, _DB_CEILING = -200.0, 200.0
_PSNR_CAP = 300.0
PHASE_METHODS = ["pgd_ls", "pgd_fixed", "linls", "blind"]
NOISE_METHODS = ["pgd", "linls", "oracle", "blind"]
IMAGING_METHODS = ["blind", "pgd", "oracle"]
GAIN_BASES = ["dct", "block", "spike"]


# --------------------------------------------------------------------------- helpers
def _ignore_expected_warnings():
    """Inside ``warnings.catch_warnings()``: silence what sweeps expect (non-convergence, LinLS signs)."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", RuntimeWarning)


def _relative_error(estimate, truth):
    estimate = np.asarray(estimate, dtype=float)
    if not np.all(np.isfinite(estimate)):
        return math.inf
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


def _mean_one(signal, gains):
    """Rescale ``(x, g)`` to ``mean(g) = 1`` (x scaled inversely, the model's scale ambiguity)."""
    total = float(np.sum(gains))
    if not np.isfinite(total) or total <= 0.0:
        return signal, gains  # not a valid gain vector: leave it, the errors will show it
    factor = gains.shape[0] / total
    return signal / factor, gains * factor


def _errors(signal, gains, true_signal, true_gains):
    """Relative errors of the signal and of the gains after mean-one normalisation."""
    signal, gains = _mean_one(np.asarray(signal, dtype=float), np.asarray(gains, dtype=float))
    return _relative_error(signal, true_signal), _relative_error(gains, true_gains)


def _db(error):
    """``20 log10(error)``, clipped to [-200, 200] dB (exact solutions, blow-ups)."""
    if not error > 0.0:
        return _DB_FLOOR if error == 0.0 else _DB_CEILING
    return float(np.clip(20.0 * math.log10(error), _DB_FLOOR, _DB_CEILING)) if math.isfinite(error) else _DB_CEILING


def _fit_pgd(X, y, sensors, **options):
    """Fit :class:`BlindGainCalibration`; returns ``(model, diverged)``.

    A fixed step may diverge: the fit then stops at the last finite iterate and
    sets ``diverged_`` (its ConvergenceWarning is silenced by the callers).
    """
    from sigrec.calibration import BlindGainCalibration

    model = BlindGainCalibration(**options).fit(X, y, sensors)
    return model, bool(model.diverged_)


def _fit_linls(X, y, sensors, n_sensors):
    from sigrec.calibration import LinearizedGainCalibration

    return LinearizedGainCalibration(n_sensors=n_sensors).fit(X, y, sensors)


def _add_noise(rng, clean, snr_db):
    """Gaussian noise at exactly ``‖clean‖² / ‖noise‖² = 10^(snr_db/10)`` (as the data generators add it)."""
    if snr_db is None:
        return clean
    noise = rng.standard_normal(clean.shape)
    noise *= np.linalg.norm(clean) / (np.linalg.norm(noise) * 10.0 ** (snr_db / 20.0))
    return clean + noise


def _snr(value):
    """The grid's SNR: None (canonical), NaN, ±inf or "none" mean noiseless."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "inf", "noiseless")):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- B1: phase transition
def phase_transition_trial(params, rng):
    """One noiseless problem, every method on the same data (paired design).

    Parameters (grid): ``n``, ``m``, ``p``, ``rho`` (gain deviation
    ‖g − 1‖_∞) and ``max_iter`` (PGD iteration cap).

    Returns
    -------
    dict
        ``success_<method>`` (1.0 when max(rel. error of x, of g) < 1e-4,
        gains compared after mean-one normalisation; gain-blind LS has no
        gains and is judged on x alone) and ``err_db_<method>`` (that error
        in dB) for ``pgd_ls`` (exact line search), ``pgd_fixed`` (μ = 0.5),
        ``linls`` and ``blind``; ``iters_pgd_ls``, ``iters_pgd_fixed``,
        ``converged_pgd_ls``, ``converged_pgd_fixed`` and
        ``diverged_pgd_fixed`` (the fixed step overflowed).
    """
    from sigrec.calibration.baselines import gain_blind_least_squares
    from sigrec.datasets.calibration import make_calibration_problem

    n, m, p, max_iter = int(params["n"]), int(params["m"]), int(params["p"]), int(params["max_iter"])
    X, y, sensors, signal, gains = make_calibration_problem(n, m, p, rho=float(params["rho"]), random_state=rng)
    errors, metrics = {}, {}
    with warnings.catch_warnings():
        _ignore_expected_warnings()
        for name, step in (("pgd_ls", "line_search"), ("pgd_fixed", 0.5)):
            model, diverged = _fit_pgd(X, y, sensors, step=step, max_iter=max_iter, n_sensors=m)
            errors[name] = math.inf if diverged else max(_errors(model.coef_, model.gains_, signal, gains))
            metrics[f"iters_{name}"] = float(model.n_iter_)
            metrics[f"converged_{name}"] = float(not diverged and model.converged_)
            if name == "pgd_fixed":
                metrics["diverged_pgd_fixed"] = float(diverged)
        linear = _fit_linls(X, y, sensors, m)
        errors["linls"] = max(_errors(linear.coef_, linear.gains_, signal, gains))
        errors["blind"] = _relative_error(gain_blind_least_squares(X, y), signal)
    for name in PHASE_METHODS:
        metrics[f"success_{name}"] = float(errors[name] < SUCCESS_THRESHOLD)
        metrics[f"err_db_{name}"] = _db(errors[name])
    return metrics


def _plot_phase_transition(summary, out_dir):
    from pathlib import Path

    from sigrec.calibration.plotting import plot_calibration_phase_transition
    from sigrec.simulate import new_figure

    titles = {
        "pgd_ls": "PGD, exact line search",
        "pgd_fixed": "PGD, μ = 0.5",
        "linls": "linearised LS",
        "blind": "gain-blind LS (x only)",
    }
    others = [key for key in ("n", "rho", "max_iter") if key in summary.columns]
    paths = []
    for values, group in summary.groupby(others, sort=True):
        setting = dict(zip(others, values if isinstance(values, tuple) else (values,), strict=True))
        figure, axes = new_figure(1, len(PHASE_METHODS), figsize=(4.6 * len(PHASE_METHODS), 3.9))
        for ax, method in zip(np.atleast_1d(axes), PHASE_METHODS, strict=True):
            plot_calibration_phase_transition(group, f"success_{method}", n_features=setting["n"], ax=ax)
            ax.set_title(titles[method])
        label = ", ".join(f"{k}={v:g}" for k, v in setting.items())
        figure.suptitle(f"blind gain calibration: success rate ({label}; protocol after Cambareri & Jacques)")
        figure.tight_layout()
        suffix = "_".join(f"{k}{v:g}" for k, v in setting.items() if summary[k].nunique() > 1 or k in ("n", "rho"))
        path = Path(out_dir) / f"calibration-phase-transition_{suffix}.png"
        figure.savefig(path, dpi=100)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- B2: noise
def noise_trial(params, rng):
    """One noisy problem; every method on the same data.

    Parameters (grid): ``n``, ``m``, ``p``, ``rho``, ``snr_db``, ``tol``
    (PGD stopping tolerance) and ``max_iter``.

    Returns
    -------
    dict
        ``err_x_db_<method>`` (20 log10 of the relative error of x) for
        ``pgd`` (exact line search), ``linls``, ``oracle`` (LS with the true
        gains) and ``blind`` (LS ignoring the gains); ``err_g_db_pgd`` and
        ``err_g_db_linls`` for the gains (mean-one normalised); ``iters_pgd``.
    """
    from sigrec.calibration.baselines import gain_blind_least_squares, oracle_least_squares
    from sigrec.datasets.calibration import make_calibration_problem

    n, m, p = int(params["n"]), int(params["m"]), int(params["p"])
    X, y, sensors, signal, gains = make_calibration_problem(
        n, m, p, rho=float(params["rho"]), snr_db=_snr(params["snr_db"]), random_state=rng
    )
    metrics = {}
    with warnings.catch_warnings():
        _ignore_expected_warnings()
        model, diverged = _fit_pgd(
            X, y, sensors, tol=float(params["tol"]), max_iter=int(params["max_iter"]), n_sensors=m
        )
        error_x, error_g = (math.inf, math.inf) if diverged else _errors(model.coef_, model.gains_, signal, gains)
        metrics.update(err_x_db_pgd=_db(error_x), err_g_db_pgd=_db(error_g), iters_pgd=float(model.n_iter_))
        linear = _fit_linls(X, y, sensors, m)
        error_x, error_g = _errors(linear.coef_, linear.gains_, signal, gains)
        metrics.update(err_x_db_linls=_db(error_x), err_g_db_linls=_db(error_g))
        metrics["err_x_db_oracle"] = _db(_relative_error(oracle_least_squares(X, y, sensors, gains), signal))
        metrics["err_x_db_blind"] = _db(_relative_error(gain_blind_least_squares(X, y), signal))
    return metrics


def _trials_beside(out_dir, name):
    """The per-trial table :func:`~sigrec.simulate.report` writes next to the figures, if any (for medians)."""
    from pathlib import Path

    import pandas as pd

    path = Path(out_dir) / f"{name}_trials.csv"
    return pd.read_csv(path) if path.exists() else None


def _plot_noise(summary, out_dir):
    from pathlib import Path

    from sigrec.calibration.plotting import plot_error_vs_snr
    from sigrec.simulate import new_figure

    # Medians need the trials (the summary holds means); report() writes them beside the figures.
    trials = _trials_beside(out_dir, "calibration-noise")
    table = trials if trials is not None else summary
    sizes = table[["n", "m", "p"]].drop_duplicates().sort_values(["n", "m", "p"]).to_numpy()
    figure, axes = new_figure(len(sizes), 2, figsize=(10, 3.9 * len(sizes)))
    axes = np.asarray(axes).reshape(len(sizes), 2)
    for row, (n, m, p) in zip(axes, sizes, strict=True):
        cell = table[(table["n"] == n) & (table["m"] == m) & (table["p"] == p)]
        plot_error_vs_snr(cell, NOISE_METHODS, ax=row[0], metric="err_x_db")
        plot_error_vs_snr(cell, ["pgd", "linls"], ax=row[1], metric="err_g_db")
        for ax, what in zip(row, ("signal", "gains"), strict=True):
            ax.set_title(f"{what}: n={n:g}, m={m:g}, p={p:g}, ρ={cell['rho'].iloc[0]:g}")
    figure.tight_layout()
    path = Path(out_dir) / "calibration-noise.png"
    figure.savefig(path, dpi=100)
    return [path]


# --------------------------------------------------------------------------- B3: subspace priors
def gain_subspace(kind, n_sensors, n_atoms):
    """A gain basis of ``n_atoms`` columns spanning the constant vector.

    Parameters
    ----------
    kind : {"dct", "block", "spike"}
        ``"dct"``: the lowest-frequency DCT atoms (smooth gains). ``"block"``:
        indicators of ``n_atoms`` contiguous blocks of sensors (piecewise
        constant gains). ``"spike"``: the constant plus ``n_atoms − 1``
        single-sensor indicators (a few sensors deviate).
    n_sensors, n_atoms : int

    Returns
    -------
    ndarray of shape (n_sensors, n_atoms)
        Orthonormal columns.
    """
    from sigrec.calibration import dct_basis, orthonormal_basis

    if kind == "dct":
        return dct_basis(n_sensors, n_atoms)
    if kind == "block":
        basis = np.zeros((n_sensors, n_atoms))
        for column, block in enumerate(np.array_split(np.arange(n_sensors), n_atoms)):
            basis[block, column] = 1.0
    elif kind == "spike":
        basis = np.zeros((n_sensors, n_atoms))
        basis[:, 0] = 1.0
        chosen = np.linspace(0, n_sensors - 1, n_atoms - 1).round().astype(int) if n_atoms > 1 else []
        for column, sensor in enumerate(chosen, start=1):
            basis[sensor, column] = 1.0
    else:
        raise ValueError(f"gain basis must be one of {GAIN_BASES}, got {kind!r}")
    return orthonormal_basis(basis, name=f"{kind} gain basis")


def coherence(basis):
    """``μ_max(B) = sqrt(m/h) · max_i ‖Bᵀe_i‖`` of orthonormal columns (1 for flat bases, up to sqrt(m/h))."""
    m, h = basis.shape
    return float(math.sqrt(m / h) * np.linalg.norm(basis, axis=1).max())


def subspace_trial(params, rng):
    """PGD with a random k-dimensional signal subspace and an h-dimensional gain subspace.

    Parameters (grid): ``n``, ``k``, ``m``, ``h``, ``p``, ``rho``,
    ``gain_basis`` (``"dct"``, ``"block"`` or ``"spike"``, see
    :func:`gain_subspace`) and ``max_iter``.

    Returns
    -------
    dict
        ``success`` (max relative error < 1e-4), ``err_db``, ``iters``,
        ``converged`` and ``coherence`` (μ_max of the gain basis).
    """
    from sigrec.datasets.calibration import make_calibration_problem

    n, k, m, h, p = (int(params[key]) for key in ("n", "k", "m", "h", "p"))
    signal_basis = np.linalg.qr(rng.standard_normal((n, k)))[0]
    gain_basis = gain_subspace(params["gain_basis"], m, h)
    X, y, sensors, signal, gains = make_calibration_problem(
        n, m, p, rho=float(params["rho"]), signal_basis=signal_basis, gain_basis=gain_basis, random_state=rng
    )
    with warnings.catch_warnings():
        _ignore_expected_warnings()
        model, diverged = _fit_pgd(
            X, y, sensors, max_iter=int(params["max_iter"]), signal_basis=signal_basis, gain_basis=gain_basis
        )
    error = math.inf if diverged else max(_errors(model.coef_, model.gains_, signal, gains))
    return {
        "success": float(error < SUCCESS_THRESHOLD),
        "err_db": _db(error),
        "iters": float(model.n_iter_),
        "converged": float(not diverged and model.converged_),
        "coherence": coherence(gain_basis),
    }


def _plot_subspace(summary, out_dir):
    from pathlib import Path

    from sigrec.simulate import new_figure, plot_metric

    bases = [b for b in GAIN_BASES if b in set(summary["gain_basis"])]
    snapshots = sorted(summary["p"].unique())
    figure, axes = new_figure(len(bases), len(snapshots), figsize=(4.2 * len(snapshots), 3.4 * len(bases)))
    axes = np.asarray(axes).reshape(len(bases), len(snapshots))
    for row, basis in zip(axes, bases, strict=True):
        for ax, p in zip(row, snapshots, strict=True):
            cell = summary[(summary["gain_basis"] == basis) & (summary["p"] == p)]
            plot_metric(cell, "success", "k", hue="h", ax=ax, marker="o")
            ax.set_xscale("log", base=2)
            ax.set_ylim(-0.05, 1.05)
            ax.set_xlabel("signal subspace dimension k")
            ax.set_ylabel("success rate")
            mu = cell["coherence_mean"].max()
            ax.set_title(f"{basis} gains (μ_max ≤ {mu:.2g}), p = {p:g}, mp = {p * cell['m'].iloc[0]:g}")
    figure.suptitle(f"subspace priors: n = {summary['n'].iloc[0]:g}, m = {summary['m'].iloc[0]:g}")
    figure.tight_layout()
    path = Path(out_dir) / "calibration-subspace.png"
    figure.savefig(path, dpi=100)
    return [path]


# --------------------------------------------------------------------------- B5: imaging
def _solve_imaging(params, rng):
    """Generate one imaging trial's data and run every method; returns arrays (trial and demo figure)."""
    from sigrec.calibration.baselines import gain_blind_least_squares, oracle_least_squares
    from sigrec.calibration.bases import dct_basis
    from sigrec.datasets.calibration import make_calibration_scene

    image_shape = (int(params["rows"]), int(params["cols"]))
    sensor_shape = (int(params["sensor_rows"]), int(params["sensor_cols"]))
    n, m = int(np.prod(image_shape)), int(np.prod(sensor_shape))
    prior, scene, snr = params["prior"], params.get("scene", "phantom"), _snr(params["snr_db"])
    if prior == "subspace":
        signal_basis = dct_basis(image_shape, int(params["signal_atoms"]))
        gain_basis = dct_basis(sensor_shape, int(params["gain_atoms"]))
        unknowns = signal_basis.shape[1] + gain_basis.shape[1] - 1
    elif prior == "none":
        signal_basis = gain_basis = None
        unknowns = n + m - 1
    else:
        raise ValueError(f"prior must be 'none' or 'subspace', got {prior!r}")
    if scene not in ("phantom", "projected") or (scene == "projected" and prior != "subspace"):
        raise ValueError(f"scene must be 'phantom', or 'projected' with the subspace prior, got {scene!r}")
    p = max(2, math.ceil(float(params["oversampling"]) * unknowns / m))
    X, _, sensors, phantom, vignetting = make_calibration_scene(
        image_shape, sensor_shape, p, rho=float(params["rho"]), random_state=rng
    )
    image, gains = phantom.ravel(), vignetting
    if scene == "projected":  # the prior holds exactly: the best approximations become the truth
        image = signal_basis @ (signal_basis.T @ phantom.ravel())
        gains = gain_basis @ (gain_basis.T @ vignetting)  # keeps mean one: the constant is in the span
    y = _add_noise(rng, gains[sensors] * (X @ image), snr)  # the scene's noise model, on the chosen truth
    design = X if signal_basis is None else X @ signal_basis
    lift = (lambda coefficients: coefficients) if signal_basis is None else (lambda c: signal_basis @ c)
    with warnings.catch_warnings():
        _ignore_expected_warnings()
        model, diverged = _fit_pgd(
            X, y, sensors, tol=1e-8 if snr is None else 1e-6, max_iter=int(params["max_iter"]), n_sensors=m,
            signal_basis=signal_basis, gain_basis=gain_basis,
        )
    if diverged:
        pgd_image, pgd_gains = np.full(n, np.nan), np.full(m, np.nan)
    else:
        pgd_image, pgd_gains = _mean_one(model.coef_, model.gains_)
    return {
        "image_shape": image_shape,
        "sensor_shape": sensor_shape,
        "snapshots": p,
        "truth": image,
        "gains": gains,
        "best": None if signal_basis is None else signal_basis @ (signal_basis.T @ image),
        "best_gains": None if gain_basis is None else gain_basis @ (gain_basis.T @ gains),
        "images": {
            "blind": lift(gain_blind_least_squares(design, y)),
            "pgd": pgd_image,
            "oracle": lift(oracle_least_squares(design, y, sensors, gains)),
        },
        "pgd_gains": pgd_gains,
        "model": model,
    }


def _psnr(truth, estimate):
    from sigrec.metrics import psnr

    if not np.all(np.isfinite(estimate)):
        return -_PSNR_CAP
    # The phantom lies in [0, 1]: a fixed range keeps PSNRs comparable across scenes.
    return min(psnr(truth, estimate, data_range=1.0), _PSNR_CAP)


def imaging_trial(params, rng):
    """The imaging demo: a phantom through random ±1 masks onto a vignetted sensor array.

    Parameters (grid): ``rows``, ``cols`` (image), ``sensor_rows``,
    ``sensor_cols``, ``rho`` (vignetting depth), ``prior`` (``"none"`` or
    ``"subspace"``: image in ``dct_basis(image_shape, signal_atoms)``,
    gains in ``dct_basis(sensor_shape, gain_atoms)``), ``scene``
    (``"phantom"``, or ``"projected"``: phantom and gains replaced by their
    best approximations in the prior's subspaces, so the prior holds
    exactly; subspace prior only), ``oversampling`` (p is the smallest
    count with ``mp ≥ oversampling × unknowns``, unknowns being n + m − 1
    or k + h − 1), ``snr_db`` (``None`` means noiseless; any other value is
    the SNR in dB) and ``max_iter``. With the subspace prior every method
    (gain-blind LS, PGD, oracle LS) estimates the signal in the subspace.

    Returns
    -------
    dict
        ``psnr_<method>`` (dB, range 1, capped at 300) and ``err_x_<method>``
        (relative error) against the scene for ``blind``, ``pgd`` and
        ``oracle``; ``err_g_pgd``; with the subspace prior also
        ``err_x_best_<method>`` and ``err_g_best_pgd`` (against the best
        approximations in the subspaces, the most a subspace method can
        reach) and ``psnr_best`` (that ceiling), NaN without a prior;
        ``iters_pgd``, ``converged_pgd``, ``snapshots`` (p).
    """
    solution = _solve_imaging(params, rng)
    truth, best = solution["truth"], solution["best"]
    metrics = {}
    for name, estimate in solution["images"].items():
        metrics[f"psnr_{name}"] = _psnr(truth, estimate)
        metrics[f"err_x_{name}"] = _relative_error(estimate, truth)
        metrics[f"err_x_best_{name}"] = math.nan if best is None else _relative_error(estimate, best)
    metrics["err_g_pgd"] = _relative_error(solution["pgd_gains"], solution["gains"])
    metrics["err_g_best_pgd"] = (
        math.nan if solution["best_gains"] is None else _relative_error(solution["pgd_gains"], solution["best_gains"])
    )
    metrics["psnr_best"] = math.nan if best is None else _psnr(truth, best)
    metrics["iters_pgd"] = float(solution["model"].n_iter_)
    metrics["converged_pgd"] = float(solution["model"].converged_)
    metrics["snapshots"] = float(solution["snapshots"])
    return metrics


def _snr_label(value):
    return "noiseless" if _snr(value) is None else f"{float(value):g} dB"


def _plot_imaging(summary, out_dir):
    from pathlib import Path

    from sigrec.simulate import new_figure

    figure, ax = new_figure(figsize=(max(7.0, 1.8 * len(summary) + 2), 4.6))
    width = 0.8 / len(IMAGING_METHODS)
    positions = np.arange(len(summary))
    labels = {"blind": "gain-blind LS", "pgd": "PGD (blind calibration)", "oracle": "oracle LS (gains known)"}
    for index, method in enumerate(IMAGING_METHODS):
        ax.bar(positions + (index - 1) * width, summary[f"psnr_{method}_mean"].clip(upper=120), width,
               label=labels[method])
    if "psnr_best_mean" in summary and summary["psnr_best_mean"].notna().any():
        ax.scatter(positions, summary["psnr_best_mean"].clip(upper=120), marker="_", s=900, color="black", zorder=3,
                   label="best approximation in the subspace (the most a subspace method can reach)")
    priors = {"none": "no prior", "subspace": "subspace prior"}
    ticks = [
        f"{priors.get(row.prior, row.prior)}\n{row.scene} scene\n{_snr_label(row.snr_db)}"
        for row in summary.itertuples(index=False)
    ]
    ax.set_xticks(positions, ticks, fontsize="small")
    ax.set_ylabel("PSNR (dB, range 1; clipped at 120)")
    ax.set_title("phantom through random ±1 masks onto a vignetted sensor array", fontsize="medium")
    ax.set_ylim(0, 165)
    ax.legend(fontsize="small", ncol=2, loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    bars = Path(out_dir) / "calibration-imaging.png"
    figure.savefig(bars, dpi=100)
    return [bars, _imaging_demo(summary, out_dir)]


def _imaging_demo(summary, out_dir):
    """Re-run one noiseless, prior-free cell (seed 0) and draw its images, gain maps and loss curve."""
    from pathlib import Path

    from sigrec.calibration.plotting import plot_convergence, plot_gain_map
    from sigrec.simulate import new_figure

    rows = summary[summary["prior"] == "none"]
    row = (rows if not rows.empty else summary).iloc[0]
    params = {key: row[key] for key in ("rows", "cols", "sensor_rows", "sensor_cols", "rho", "max_iter")}
    params.update(prior="none", scene="phantom", snr_db=None, oversampling=row["oversampling"] if not rows.empty else 2)
    solution = _solve_imaging(params, np.random.default_rng(0))
    shape, sensor_shape = solution["image_shape"], solution["sensor_shape"]
    figure, axes = new_figure(2, 4, figsize=(16, 7.4))
    panels = [("truth", solution["truth"]), *((name, image) for name, image in solution["images"].items())]
    titles = {"truth": "phantom", "blind": "gain-blind LS", "pgd": "PGD (blind calibration)", "oracle": "oracle LS"}
    for ax, (name, image) in zip(axes[0], panels, strict=True):
        ax.imshow(np.clip(image.reshape(shape), -0.2, 1.2), cmap="gray", vmin=0, vmax=1)
        suffix = "" if name == "truth" else f" ({_psnr(solution['truth'], image):.3g} dB)"
        ax.set_title(titles[name] + suffix)
        ax.set_axis_off()
    scale = {"vmin": float(solution["gains"].min()), "vmax": float(solution["gains"].max())}
    plot_gain_map(solution["gains"], sensor_shape, ax=axes[1, 0], title="true gains", **scale)
    plot_gain_map(solution["pgd_gains"], sensor_shape, ax=axes[1, 1], title="PGD gains", **scale)
    error = solution["pgd_gains"] - solution["gains"]
    bound = float(np.nanmax(np.abs(error))) or 1.0
    plot_gain_map(error, sensor_shape, ax=axes[1, 2], title="PGD gains − true gains", cmap="RdBu_r",
                  vmin=-bound, vmax=bound)
    plot_convergence(solution["model"].loss_history_, ax=axes[1, 3], label="PGD, exact line search")
    figure.suptitle(
        f"{shape[0]}×{shape[1]} phantom, {sensor_shape[0]}×{sensor_shape[1]} sensors, p = {solution['snapshots']}, "
        "noiseless, no prior (seed 0)"
    )
    figure.tight_layout()
    path = Path(out_dir) / "calibration-imaging-demo.png"
    figure.savefig(path, dpi=90)
    return path


# --------------------------------------------------------------------------- tour
def _plot_tour_calibration(summary, out_dir, name="tour-calibration"):
    """Success rate and error (dB) against p, one curve per method (the tour's headline)."""
    from pathlib import Path

    from sigrec.simulate import new_figure

    labels = {"pgd_ls": "PGD, line search", "pgd_fixed": "PGD, μ = 0.5", "linls": "linearised LS",
              "blind": "gain-blind LS"}
    table = summary.sort_values("p")
    n, m = float(table["n"].iloc[0]), float(table["m"].iloc[0])
    figure, axes = new_figure(1, 2, figsize=(10, 3.8))
    for method in PHASE_METHODS:
        if f"success_{method}_mean" not in table:
            continue
        axes[0].plot(table["p"], table[f"success_{method}_mean"], marker="o", label=labels[method])
        axes[1].plot(table["p"], table[f"err_db_{method}_mean"], marker="o", label=labels[method])
    for ax in axes:
        ax.axvline((n + m - 1) / m, color="0.4", ls=":", label="mp = n + m − 1")
        ax.axvline(2 * (n + m) / m, color="0.4", ls="--", label="mp = 2(n + m)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("snapshots p")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("success rate")
    axes[1].set_ylabel("mean max relative error (dB)")
    axes[0].legend(fontsize="small")
    figure.suptitle(f"blind gain calibration, n = {n:g}, m = {m:g}")
    figure.tight_layout()
    path = Path(out_dir) / f"{name}.png"
    figure.savefig(path, dpi=100)
    return [path]


def tour_table(summary):
    """The tour's calibration section: PGD's success rate against linearised LS and gain-blind LS, per p.

    Parameters
    ----------
    summary : pandas.DataFrame
        Per-cell summary of :func:`phase_transition_trial` (``n``, ``m``,
        ``p``, the gain deviation as ``rho`` or, in the tour, ``gain_rho``,
        ``max_iter``; ``success_<method>_mean``).

    Returns
    -------
    str
        A sentence on the study, then a markdown table with one row per cell:
        the success rates of PGD (exact line search), linearised least squares
        and gain-blind least squares, and PGD's over linearised LS's (``—``
        where neither succeeds: below mp ≈ n + m no method can).
    """
    from sigrec.simulate._report import markdown_table

    rho = "gain_rho" if "gain_rho" in summary.columns else "rho"
    settings = {"n": "n", "m": "m", rho: "ρ", "max_iter": "max. iterations"}
    varying = [key for key in settings if summary[key].nunique() > 1]
    rows = []
    for row in summary.sort_values([*varying, "p"]).to_dict("records"):
        n, m, p = int(row["n"]), int(row["m"]), int(row["p"])
        pgd, linls = row["success_pgd_ls_mean"], row["success_linls_mean"]
        rows.append([*(row[key] for key in varying), p, m * p / (n + m), pgd, linls, row["success_blind_mean"],
                     pgd / linls if linls > 0 else (math.inf if pgd > 0 else None)])
    first = summary.iloc[0]
    fixed = ", ".join(f"{label} = {first[key]:g}" for key, label in settings.items() if key not in varying)
    intro = ("Blind gain calibration (protocol after Cambareri & Jacques): n unknowns seen by m sensors with unknown "
             "gains (deviation ρ) through p noiseless random snapshots"
             + (f" ({fixed})" if fixed else "") + "; a trial succeeds when the relative errors of both the signal "
             f"and the gains are below {SUCCESS_THRESHOLD:g}. sigrec's projected gradient descent (PGD, exact line "
             "search) against the linearised least squares of the same paper (the convex anchor) and least squares "
             "that ignores the gains. The ratio is PGD's success rate over linearised LS's; 1: as reliable.")
    table = markdown_table(
        rows, [*(settings[key] for key in varying), "p", "mp / (n + m)", "PGD success", "linearised LS success",
               "gain-blind success", "PGD ÷ linearised LS"],
        formats={"mp / (n + m)": ".2f"},
        missing_note="no ratio: neither PGD nor linearised LS succeeded in this cell (too few snapshots).",
    )
    return f"{intro}\n\n{table}"


# --------------------------------------------------------------------------- registry
register(
    Experiment(
        name="calibration-phase-transition",
        trial=phase_transition_trial,
        grid={
            "n": [64],
            "m": [4, 8, 16, 32, 64],
            "p": [1, 2, 3, 4, 6, 8, 16, 32],
            "rho": [0.1, 0.5, 0.9],
            "max_iter": [2000],
        },
        n_trials=8,
        chunk_size=4,
        quick={
            "grid": {"n": [64], "m": [8, 32], "p": [2, 4, 16], "rho": [0.5], "max_iter": [300]},
            "n_trials": 2,
        },
        description="blind gain calibration: success over (m, p) for PGD (line search, mu=0.5), LinLS, gain-blind",
        plot=_plot_phase_transition,
    )
)

register(
    Experiment(
        name="calibration-noise",
        trial=noise_trial,
        grid=[
            {"n": [64], "m": [32], "p": [16], "rho": [0.5], "snr_db": [10, 20, 30, 40, 60], "tol": [1e-8],
             "max_iter": [3000]},
            {"n": [256], "m": [64], "p": [16], "rho": [0.5], "snr_db": [10, 20, 30, 40, 60], "tol": [1e-8],
             "max_iter": [3000]},
        ],
        n_trials=10,
        chunk_size=5,
        quick={
            "grid": {"n": [64], "m": [32], "p": [16], "rho": [0.5], "snr_db": [10, 40], "tol": [1e-8],
                     "max_iter": [3000]},
            "n_trials": 2,
        },
        description="blind gain calibration: error (dB) vs SNR for PGD, LinLS, oracle and gain-blind LS",
        plot=_plot_noise,
    )
)

register(
    Experiment(
        name="calibration-subspace",
        trial=subspace_trial,
        grid={
            "n": [256],
            "k": [8, 16, 32],
            "m": [64],
            "h": [2, 4, 8],
            "p": [1, 2, 4],
            "rho": [0.5],
            "gain_basis": GAIN_BASES,
            "max_iter": [3000],
        },
        n_trials=10,
        chunk_size=5,
        quick={
            "grid": {"n": [256], "k": [16], "m": [64], "h": [4], "p": [1, 4], "rho": [0.5],
                     "gain_basis": ["dct", "spike"], "max_iter": [1000]},
            "n_trials": 2,
        },
        description="blind gain calibration with subspace priors (DCT / block / spike gains), down to p = 1",
        plot=_plot_subspace,
    )
)

_IMAGE = {"rows": [32], "cols": [32], "sensor_rows": [8], "sensor_cols": [8], "rho": [0.3], "max_iter": [3000]}
register(
    Experiment(
        name="calibration-imaging",
        trial=imaging_trial,
        grid=[
            {**_IMAGE, "prior": ["none"], "scene": ["phantom"], "oversampling": [2.0], "snr_db": [None, 30]},
            {**_IMAGE, "prior": ["subspace"], "scene": ["phantom", "projected"], "oversampling": [8.0],
             "signal_atoms": [64], "gain_atoms": [6], "snr_db": [None, 30]},
        ],
        n_trials=5,
        chunk_size=1,
        quick={
            "grid": [
                {"rows": [16], "cols": [16], "sensor_rows": [4], "sensor_cols": [4], "rho": [0.3],
                 "max_iter": [1000], "prior": ["none"], "scene": ["phantom"], "oversampling": [2.0],
                 "snr_db": [None]},
                {"rows": [16], "cols": [16], "sensor_rows": [4], "sensor_cols": [4], "rho": [0.3],
                 "max_iter": [1000], "prior": ["subspace"], "scene": ["projected"], "oversampling": [8.0],
                 "signal_atoms": [16], "gain_atoms": [4], "snr_db": [None]},
            ],
            "n_trials": 1,
        },
        description="blind gain calibration imaging demo: phantom, vignetted 8x8 sensor array, with/without priors",
        plot=_plot_imaging,
    )
)
