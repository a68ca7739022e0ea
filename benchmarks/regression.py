"""Benchmark sparse regression on random supports (``sigrec.regression``): fit time at known accuracy.

Run as ``.venv/bin/python benchmarks/regression.py [--quick] [--max-seconds S]``. It prints a
machine header and Markdown tables ready to paste into ``docs/performance.md``:

1. the whole cross-validated fit of ``RandomSupportRegression`` (``dictionary="union"``, the
   default; ``"peel"`` too at the smaller size) against scikit-learn's ``LassoCV`` with the same
   grid settings (40 alphas from α_max down to 1e-3·α_max, 5 shuffled folds, coordinate descent
   with ``max_iter=1000``, ``tol=1e-4``: scikit-learn's and sigrec's defaults), with the time ratio
   to ``LassoCV`` and the prediction error of each fit next to its time, so that the speed
   comparison is at known accuracy.
   Designs (``sigrec.datasets.regression.make_sparse_regression``): ``one_factor``/``worst``,
   ``two_scale``/``worst`` and, as a benign reference, ``iid``/``random`` at (N, d) = (400, 1000);
   ``iid``/``random`` and ``two_scale``/``worst`` at (N, d) = (1000, 10 000);
2. Phase 1 alone (``SubspacePeeling.fit`` on the centred design, as inside the estimator), with
   ``n_probes=0`` and with the default 200 conditioning probes, reported separately;
3. the research note's Phase 1 speed anchors (its NumPy prototype, 2 cores) against ours;
4. the goals from the issue (Phase 1 under 5 s at N = 1000, d = 10 000; the whole CV fit at most
   3× ``LassoCV``'s time) and the note's §6 test 12, met or not met.

Prediction error: in-sample ``(1/N)‖ŷ − X w*‖²`` with ``ŷ = X ŵ + b̂`` (the fitted values,
intercept included: ``(1/N)‖X(ŵ − w*)‖²`` plus the intercept's share), and out-of-sample
``(ŵ − w*)ᵀ Σ (ŵ − w*) + b̂²`` with the generator's exact population covariance Σ (rows have mean
zero). Signal power is 1 and σ = 0.5, so 0.25 is the level of the interpolating fit ŷ = y and
1 that of the null fit ŷ = 0. The oracle (OLS on the true support, untimed) is printed as a floor.

Budget at the larger size: a fit cannot be stopped once started, so before each CV fit at
(1000, 10 000) the script times one fold's path (``lasso_path`` on 4/5 of the rows, the same 40
alphas and settings, solved alpha by alpha with warm starts as ``lasso_path`` does internally) and
multiplies it by 6 (5 folds + the final fit; for ``RandomSupportRegression`` the Phase 1 time is
added and the path runs on the union dictionary, assembled here from ``SubspacePeeling``'s public
output in the estimator's column order). The fold itself stops once 6× its time would exceed the
budget; the remaining alphas are then extrapolated linearly (a lower bound when the small alphas
cost more, as they do when coordinate descent runs to ``max_iter``). The full fit runs, once, only
when the estimate is within ``--max-seconds`` (default 600 s; 20 s with ``--quick``, so that its
ill-conditioned ``LassoCV`` rows exercise this path); otherwise the row reports the estimate,
labelled "estimated", and no prediction error. When both exist, the table shows the estimate next
to the measured time. At (400, 1000) every fit runs; a variant whose first run takes over 60 s is
not repeated (``LassoCV`` on the ill-conditioned designs runs most alphas to ``max_iter``).
``RandomSupportRegression`` silences coordinate descent's ``ConvergenceWarning`` internally, so
the table reports the epochs of each final fit, flagged when they reach ``max_iter``.

Timing: every timed call runs with BLAS pinned to 1 thread (threadpoolctl, re-applied around
each call), for both sides: scikit-learn's coordinate descent is single-threaded anyway, while
Phase 1 (one N×N Gram per level, ``eigh``) would gain from more BLAS threads, so the pin does not
favour sigrec. The header prints the unpinned and pinned thread counts. Times are medians over
repeats run in rotating rounds (every variant once per round); data generation and centring are
not timed; a warm-up fit of every method on a tiny problem runs first. ``RandomSupportRegression``
draws its folds from its own generator (it has no ``cv`` splitter argument), so its folds differ
from ``LassoCV``'s (``KFold(5, shuffle=True, random_state=0)``); both are seeded. Progress goes to
stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import re
import statistics
import time
import warnings

import numpy as np
from _report import (
    NOTES,
    blas_description,
    load_average,
    markdown_table,
    note,
    pinned_call,
    print_closing,
    progress,
    seconds,
    times_ratio,
)
from threadpoolctl import threadpool_limits

import sigrec

SEED = 0
NOISE = 0.5
N_ALPHAS = 40
EPS = 1e-3
CV = 5
MAX_ITER = 1000
TOL = 1e-4
N_PROBES = 200  # SubspacePeeling's default
ESTIMATE_FACTOR = 6  # 5 folds + the final fit
LONG_FIT = 60.0  # a variant whose first timed run takes longer than this (s) is not repeated

# The note's Phase 1 speed anchors (slr_random_supports.md §2.6: NumPy prototype, 2 cores, threads not pinned).
ANCHOR_PHASE1 = {(400, 1000): 0.1, (1000, 10_000): 1.2}
GOAL_PHASE1_SECONDS = 5.0  # the issue: Phase 1 at N = 1000, d = 10 000
GOAL_CV_RATIO = 3.0  # the issue: whole CV fit at most 3× LassoCV
GOAL_NOTE_CV_SECONDS = 60.0  # note §6 test 12: whole fit with 5-fold CV at N = 400, d = 1000

RSR_UNION = "RandomSupportRegression (union)"
RSR_PEEL = "RandomSupportRegression (peel)"
LASSO_CV = "LassoCV (scikit-learn)"
PHASE1_NO_PROBES = "Phase 1, n_probes=0"
PHASE1_PROBES = f"Phase 1, n_probes={N_PROBES} (default)"


@dataclasses.dataclass(frozen=True)
class Size:
    n: int
    d: int
    k: int
    cases: tuple  # (design, signal) pairs
    repeats: int  # timed runs per CV-fit variant (median reported)
    phase1_repeats: int  # timed runs per Phase 1 variant (cheap, so more of them)
    peel: bool = False  # also time dictionary="peel"
    budget_probe: bool = False  # one-fold path first; full CV fit only if 6× it fits the budget

    @property
    def key(self):
        return (self.n, self.d)

    def label(self):
        return f"({self.n}, {self.d})"


FULL = (
    Size(
        400,
        1000,
        10,
        (("one_factor", "worst"), ("two_scale", "worst"), ("iid", "random")),
        repeats=3,
        phase1_repeats=7,
        peel=True,
    ),
    Size(1000, 10_000, 20, (("iid", "random"), ("two_scale", "worst")), repeats=1, phase1_repeats=3, budget_probe=True),
)
QUICK = (
    Size(
        200,
        500,
        10,
        (("one_factor", "worst"), ("iid", "random")),
        repeats=1,
        phase1_repeats=2,
        peel=True,
        budget_probe=True,
    ),
    Size(300, 1500, 10, (("two_scale", "worst"),), repeats=1, phase1_repeats=2, budget_probe=True),
)
QUICK_MAX_SECONDS = 20.0  # --quick's default budget: its ill-conditioned LassoCV rows exercise the estimate path

# --------------------------------------------------------------------------- timing
WARNINGS = {}  # (label, category, message with numbers masked) -> [count, example]


def record_warning(label, warning):
    """Count warnings per (call, kind): coordinate descent repeats the same one for every alpha and fold."""
    text = " ".join(str(warning.message).split())
    key = (label, warning.category.__name__, re.sub(r"[0-9][0-9.e+-]*", "#", text))
    entry = WARNINGS.setdefault(key, [0, text])
    entry[0] += 1


def timed(function, label):
    """Return ``(seconds, result)`` of one call, BLAS pinned to 1 thread; warnings are counted under ``label``."""
    seconds_taken, result, caught = pinned_call(function)
    for warning in caught:
        record_warning(label, warning)
    return seconds_taken, result


# --------------------------------------------------------------------------- methods
@dataclasses.dataclass
class Fit:
    coef: np.ndarray
    intercept: float
    detail: str = ""


def folds():
    from sklearn.model_selection import KFold

    return KFold(n_splits=CV, shuffle=True, random_state=SEED)


def fit_rsr(X, y, dictionary):
    from sigrec.regression import RandomSupportRegression

    model = RandomSupportRegression(
        dictionary=dictionary, cv=CV, n_alphas=N_ALPHAS, eps=EPS, max_iter=MAX_ITER, tol=TOL, random_state=SEED
    ).fit(X, y)
    levels = model.peeling_.levels_
    return Fit(
        model.coef_,
        model.intercept_,
        f"α = {model.alpha_:.3g}, final fit {iterations(model.n_iter_)}, peeled {levels or '[0]'}",
    )


def fit_lasso_cv(X, y):
    from sklearn.linear_model import LassoCV

    model = LassoCV(alphas=N_ALPHAS, eps=EPS, cv=folds(), max_iter=MAX_ITER, tol=TOL).fit(X, y)
    return Fit(model.coef_, float(model.intercept_), f"α = {model.alpha_:.3g}, final fit {iterations(model.n_iter_)}")


def iterations(n_iter):
    """Coordinate-descent epochs of a final fit, flagged when the cap was hit (not converged)."""
    return f"{n_iter} epochs" + (" (= max_iter: not converged)" if n_iter >= MAX_ITER else "")


def fit_phase1(X_centred, n_probes):
    from sigrec.regression import SubspacePeeling

    return SubspacePeeling(n_probes=n_probes, random_state=SEED).fit(X_centred)


def fit_oracle(X, y, coef):
    from sigrec.regression.baselines import oracle_ols

    return Fit(*oracle_ols(X, y, np.flatnonzero(coef)))


def alpha_grid(dictionary, target):
    """40 geometric alphas from ‖Zᵀy‖_∞/N down to 1e-3 of it (LassoCV's and the estimator's rule)."""
    alpha_max = np.abs(dictionary.T @ target).max() / dictionary.shape[0]
    return np.geomspace(alpha_max, EPS * alpha_max, N_ALPHAS)


@dataclasses.dataclass
class FoldPath:
    seconds: float
    done: int  # alphas solved before the time limit
    capped: int  # of those, alphas that hit max_iter

    def extrapolated(self):
        """The whole path's time, scaled linearly from the alphas done (a lower bound when the path was cut)."""
        return self.seconds * N_ALPHAS / self.done


def one_fold_path(dictionary, target, time_limit=np.inf):
    """One fold's Lasso path (first shuffled split, train rows centred, as LassoCV's folds are), timed.

    Solved alpha by alpha with warm starts, which is what ``lasso_path`` does inside one call, so that it
    can stop once ``time_limit`` seconds are spent (the remaining alphas are then extrapolated).
    """
    from sklearn.linear_model import lasso_path

    train, _ = next(folds().split(dictionary))
    Z, t = dictionary[train], target[train]
    Z, t = np.asfortranarray(Z - Z.mean(axis=0)), t - t.mean()
    coef = np.zeros(Z.shape[1])
    done = capped = 0
    with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        for alpha in alpha_grid(dictionary, target):
            _, coefs, _, n_iter = lasso_path(
                Z,
                t,
                alphas=[alpha],
                coef_init=coef,
                max_iter=MAX_ITER,
                tol=TOL,
                precompute=False,
                check_input=False,
                return_n_iter=True,
            )
            coef = coefs[:, 0]
            done += 1
            capped += int(n_iter[0] >= MAX_ITER)
            if time.perf_counter() - start > time_limit:
                break
        elapsed = time.perf_counter() - start
    del caught  # non-convergence is counted in ``capped``
    return FoldPath(elapsed, done, capped)


def union_dictionary(X_centred, peeling):
    """The estimator's union dictionary ``[normalised columns | F | U]`` (F, U only when something was peeled)."""
    scale = peeling.column_scale_
    normalised = X_centred / np.where(scale > 0, scale, np.inf)
    if not peeling.atoms_.shape[1]:
        return normalised
    return np.hstack([normalised, peeling.transform(X_centred)])


# --------------------------------------------------------------------------- measurements
@dataclasses.dataclass
class Row:
    seconds: list = dataclasses.field(default_factory=list)
    fit: Fit | None = None
    estimate: float | None = None  # budget probe: Phase 1 (RSR) + 6 × one fold's path
    fold_path: FoldPath | None = None

    @property
    def measured(self):
        return bool(self.seconds)

    def time(self):
        return statistics.median(self.seconds) if self.seconds else self.estimate


@dataclasses.dataclass
class Case:
    size: Size
    design: str
    signal: str
    rows: dict
    phase1: dict
    errors: dict  # method -> (in-sample, out-of-sample)
    info: dict

    def label(self):
        return f"{self.size.label()} {self.design}/{self.signal}"


def prediction_errors(fit, X, coef, covariance):
    """In-sample (1/N)‖Xŵ + b̂ − Xw*‖² and out-of-sample (ŵ − w*)ᵀΣ(ŵ − w*) + b̂²."""
    difference = fit.coef - coef
    fitted = X @ difference + fit.intercept
    return float(fitted @ fitted / X.shape[0]), covariance.quadratic(difference) + fit.intercept**2


def measure_case(size, design, signal, max_seconds, case_index):
    from sigrec.datasets.regression import make_sparse_regression

    label = f"{size.label()} {design}/{signal}"
    progress(f"{label}: generating data")
    X, y, coef, covariance = make_sparse_regression(
        design,
        signal,
        n_samples=size.n,
        n_features=size.d,
        n_informative=size.k,
        noise=NOISE,
        random_state=SEED + case_index,
    )
    X_centred, y_centred = X - X.mean(axis=0), y - y.mean()
    info = {"bytes": X.nbytes}

    # Phase 1 alone, both variants, in rotating rounds.
    phase1 = {PHASE1_NO_PROBES: Row(), PHASE1_PROBES: Row()}
    probes = {PHASE1_NO_PROBES: 0, PHASE1_PROBES: N_PROBES}
    names = list(phase1)
    for round_index in range(size.phase1_repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            progress(f"{label}: {name} (round {round_index + 1}/{size.phase1_repeats})")
            seconds_taken, peeling = timed(lambda name=name: fit_phase1(X_centred, probes[name]), f"{label} {name}")
            phase1[name].seconds.append(seconds_taken)
            if name == PHASE1_PROBES:
                info["peeling"] = peeling

    # Whole CV fits.
    methods = {RSR_UNION: lambda: fit_rsr(X, y, "union"), LASSO_CV: lambda: fit_lasso_cv(X, y)}
    if size.peel:
        methods[RSR_PEEL] = lambda: fit_rsr(X, y, "peel")
    rows = {name: Row() for name in methods}
    if size.budget_probe:
        phase1_time = statistics.median(phase1[PHASE1_PROBES].seconds)
        dictionaries = {
            RSR_UNION: lambda: union_dictionary(X_centred, info["peeling"]),
            RSR_PEEL: lambda: info["peeling"].transform(X_centred)[:, info["peeling"].atoms_.shape[1] :],
            LASSO_CV: lambda: X_centred,
        }
        for name in methods:
            dictionary = dictionaries[name]()
            extra = phase1_time if name != LASSO_CV else 0.0
            limit = max((max_seconds - extra) / ESTIMATE_FACTOR, 0.0)
            progress(
                f"{label}: {name}: one fold's path ({dictionary.shape[1]} columns, at most {seconds(limit)}), "
                "for the budget"
            )
            fold = one_fold_path(dictionary, y_centred, limit)
            del dictionary
            rows[name].fold_path = fold
            rows[name].estimate = ESTIMATE_FACTOR * fold.extrapolated() + extra
    for round_index in range(size.repeats):
        names = list(methods)
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            row = rows[name]
            if row.estimate is not None and row.estimate > max_seconds:
                if round_index == 0:
                    progress(f"{label}: {name}: skipped, estimate {seconds(row.estimate)} > budget {max_seconds:g} s")
                continue
            if row.seconds and row.seconds[0] > LONG_FIT:
                continue  # one repeat is enough for a fit over LONG_FIT seconds
            progress(f"{label}: {name} (round {round_index + 1}/{size.repeats})")
            seconds_taken, fit = timed(methods[name], f"{label} {name}")
            row.seconds.append(seconds_taken)
            row.fit = row.fit or fit
    errors = {}
    for name, row in rows.items():
        if row.fit is not None:
            errors[name] = prediction_errors(row.fit, X, coef, covariance)
    _, oracle = timed(lambda: fit_oracle(X, y, coef), f"{label} oracle")
    errors["oracle"] = prediction_errors(oracle, X, coef, covariance)
    return Case(size, design, signal, rows, phase1, errors, info)


def warm_up():
    """Fit every method once on a tiny problem (imports, first calls), excluded from all timings."""
    from sigrec.datasets.regression import make_sparse_regression

    # iid: the warm-up removes first-call costs; an ill-conditioned design would only make it slow.
    X, y, coef, _ = make_sparse_regression("iid", "random", n_samples=60, n_features=120, random_state=99)
    X_centred = X - X.mean(axis=0)
    out = {}
    for label, function in (
        ("RandomSupportRegression", lambda: fit_rsr(X, y, "union")),
        ("LassoCV", lambda: fit_lasso_cv(X, y)),
        ("SubspacePeeling", lambda: fit_phase1(X_centred, N_PROBES)),
        ("lasso_path", lambda: one_fold_path(X_centred, y - y.mean())),
    ):
        first, _ = timed(function, f"warm-up {label}")
        second, _ = timed(function, f"warm-up {label}")
        out[label] = (first, second)
    NOTES.clear()  # warm-up warnings are not about the measured problems
    WARNINGS.clear()
    return out


# --------------------------------------------------------------------------- formatting
def print_header(quick, sizes, warmup, unpinned, max_seconds):
    import scipy
    import sklearn

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("## Sparse regression on random supports benchmark (`benchmarks/regression.py`)\n")
    print(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(
        f"- machine: {platform.platform()}, {platform.machine()}, os.cpu_count() = {os.cpu_count()} "
        f"(usable by this process: {usable}); 1-minute load average at the start: {load_average()}"
    )
    print(
        f"- python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, sigrec {sigrec.__version__}"
    )
    print(f"- BLAS/OpenMP unpinned (the process default, after all imports): {unpinned}")
    with threadpool_limits(1):
        print(f"- BLAS/OpenMP as pinned in every timed call (threadpoolctl): {blas_description()}")
    print("- threads: single-threaded throughout, for sigrec and scikit-learn alike (LassoCV n_jobs=None)")
    print(
        "- problems: `make_sparse_regression(design, signal, n_samples=N, n_features=d, n_informative=k, "
        f"noise={NOISE})`, signal power 1, seed {SEED} + case index; "
        + "; ".join(
            f"{s.label()} k = {s.k}: "
            + ", ".join(f"{d}/{g}" for d, g in s.cases)
            + f" ({s.repeats} repeat(s) per CV fit, {s.phase1_repeats} per Phase 1)"
            for s in sizes
        )
    )
    print(
        f"- CV settings (both estimators): {N_ALPHAS} alphas, eps = {EPS:g}, {CV} shuffled folds, "
        f"max_iter = {MAX_ITER}, tol = {TOL:g}; RandomSupportRegression otherwise at its defaults "
        "(refit=False, sparsity_hint = round(N / (2 ln d)), heavy_threshold = 1, max_peeled = N/4, 200 probes)"
    )
    print(
        f"- budget per CV fit at the sizes marked for it: {max_seconds:g} s (`--max-seconds`); over budget, the "
        f"row is {ESTIMATE_FACTOR} × one fold's `lasso_path` (+ Phase 1), labelled estimated"
    )
    print(
        "- warm-ups on a (60, 120) problem, excluded from every timing: "
        + ", ".join(f"{name} first {seconds(a)}, second {seconds(b)}" for name, (a, b) in warmup.items())
    )
    print(f"- mode: {'--quick (smaller sizes, one repeat: a smoke test)' if quick else 'full'}\n", flush=True)


def error_cells(case, name):
    if name not in case.errors:
        return ("not fitted", "not fitted")
    inside, outside = case.errors[name]
    return (f"{inside:.4f}", f"{outside:.4f}")


def fold_text(fold):
    cut = "" if fold.done == N_ALPHAS else f", cut after {fold.done}/{N_ALPHAS} alphas, extrapolated"
    return (
        f"{ESTIMATE_FACTOR} × one fold {seconds(fold.extrapolated())}{cut}; {fold.capped}/{fold.done} alphas "
        "hit max_iter"
    )


def time_cell(row):
    if row.measured:
        text = seconds(row.time())
        if row.estimate is not None:
            text += f" (estimate was {seconds(row.estimate)}: {fold_text(row.fold_path)})"
        return text
    return f"{seconds(row.estimate)} **estimated** ({fold_text(row.fold_path)})"


def report_cv(cases):
    headers = [
        "size (N, d), design/signal",
        "method",
        "fit time (median)",
        "ratio to LassoCV",
        "in-sample PE",
        "out-of-sample PE",
        "chosen α, Phase 1",
        "repeats",
    ]
    rows = []
    for case in cases:
        lasso = case.rows[LASSO_CV].time()
        for name, row in case.rows.items():
            ratio = row.time() / lasso
            estimated = not row.measured or not case.rows[LASSO_CV].measured
            rows.append(
                (
                    f"{case.label()}, k = {case.size.k}, X {case.info['bytes'] / 1e6:.0f} MB",
                    name,
                    time_cell(row),
                    times_ratio(ratio) + (" (estimated)" if estimated else ""),
                    *error_cells(case, name),
                    row.fit.detail if row.fit else "",
                    len(row.seconds),
                )
            )
        rows.append(
            (
                case.label(),
                "oracle OLS on the true support (reference, untimed)",
                "",
                "",
                *error_cells(case, "oracle"),
                "",
                "",
            )
        )
    markdown_table(
        f"1. Whole cross-validated fit ({N_ALPHAS} alphas, eps {EPS:g}, {CV} folds, 1 thread) at known accuracy",
        headers,
        rows,
        "PE: prediction error, in-sample (1/N)‖Xŵ + b̂ − Xw*‖² and out-of-sample (ŵ − w*)ᵀΣ(ŵ − w*) + b̂²; "
        f"σ² = {NOISE**2:g} is the interpolating fit's level, 1 the null fit's. Ratio > 1: slower than LassoCV on "
        "the same problem. RandomSupportRegression's grid starts at its own dictionary's α_max (the union "
        "dictionary has 2d + r columns), LassoCV's at X's: same rule and settings, not the same numbers. "
        "Rows marked estimated were not fitted (their estimate exceeded the budget); an estimate whose fold was "
        "cut short is a lower bound when later (smaller) alphas cost more, as they do when CD is slow. "
        f"Variants whose first run took over {LONG_FIT:g} s were not repeated (see 'repeats').",
    )


def report_phase1(cases):
    headers = [
        "size (N, d), design/signal",
        PHASE1_NO_PROBES,
        PHASE1_PROBES,
        "probes / no probes",
        "peeled per level",
        "sparsity_hint k̂",
        f"σ_min quantile before → after ({N_PROBES} probes)",
        "repeats",
    ]
    rows = []
    for case in cases:
        bare = statistics.median(case.phase1[PHASE1_NO_PROBES].seconds)
        probed = statistics.median(case.phase1[PHASE1_PROBES].seconds)
        peeling = case.info["peeling"]
        conditioning = peeling.support_conditioning_
        rows.append(
            (
                case.label(),
                seconds(bare),
                seconds(probed),
                times_ratio(probed / bare),
                str(peeling.levels_ or [0]),
                peeling.sparsity_hint_,
                f"{conditioning['before']:.3g} → {conditioning['after']:.3g}",
                len(case.phase1[PHASE1_NO_PROBES].seconds),
            )
        )
    markdown_table(
        "2. Phase 1 alone (SubspacePeeling.fit on the centred design, 1 thread)",
        headers,
        rows,
        "The probes draw random k̂-supports and compute the 10% quantile of σ_min(U_T/√N) before and after "
        "peeling (a diagnostic; RandomSupportRegression runs it with its default n_probes=200; n_probes=0 skips "
        "it).",
    )


def report_anchors(cases):
    headers = ["measurement", "anchor (note §2.6)", "sigrec", "ratio (anchor / sigrec)"]
    rows = []
    for case in cases:
        anchor = ANCHOR_PHASE1.get(case.size.key)
        if anchor is None:
            continue
        for name in (PHASE1_NO_PROBES, PHASE1_PROBES):
            ours = statistics.median(case.phase1[name].seconds)
            rows.append((f"Phase 1 {case.label()}: {name}", f"{anchor:g} s", seconds(ours), times_ratio(anchor / ours)))
    if not rows:
        print(
            "### 3. The note's Phase 1 speed anchors\n\nNo anchor size was run (the anchors are at (400, 1000) "
            "and (1000, 10000)).\n"
        )
        return
    markdown_table(
        "3. The note's Phase 1 speed anchors against our measurements",
        headers,
        rows,
        "Anchors: slr_random_supports.md §2.6, the note's NumPy prototype on 2 cores (threads not pinned, another "
        "host, designs not stated; '≤ 0.1 s for N ≤ 400, d = 1000' is an upper bound). Ratio > 1: ours is that "
        "many times faster. Indicative only.",
    )


def report_goals(cases, quick):
    rows = []
    large = [case for case in cases if case.size.key == (1000, 10_000)]
    if large:
        for name in (PHASE1_NO_PROBES, PHASE1_PROBES):
            worst = max(large, key=lambda case: statistics.median(case.phase1[name].seconds))
            value = statistics.median(worst.phase1[name].seconds)
            rows.append(
                (
                    f"Phase 1 at N = 1000, d = 10 000 under {GOAL_PHASE1_SECONDS:g} s (the issue), {name}",
                    f"slowest design {worst.design}/{worst.signal}: {seconds(value)}",
                    "met" if value < GOAL_PHASE1_SECONDS else "**not met**",
                )
            )
    else:
        rows.append(
            (
                f"Phase 1 at N = 1000, d = 10 000 under {GOAL_PHASE1_SECONDS:g} s (the issue)",
                "not measured" + (" (--quick)" if quick else ""),
                "not measured",
            )
        )
    for case in cases:
        union, lasso = case.rows[RSR_UNION], case.rows[LASSO_CV]
        ratio = union.time() / lasso.time()
        estimated = not union.measured or not lasso.measured
        status = "met" if ratio <= GOAL_CV_RATIO else "**not met**"
        rows.append(
            (
                f"whole CV fit ≤ {GOAL_CV_RATIO:g}× LassoCV (the issue), {case.label()}",
                f"{times_ratio(ratio)} ({seconds(union.time())} / {seconds(lasso.time())})"
                + (" — estimated" if estimated else ""),
                status + (" (on estimates)" if estimated else ""),
            )
        )
    small = [case for case in cases if case.size.key == (400, 1000)]
    if small:
        worst = max(small, key=lambda case: case.rows[RSR_UNION].time())
        value = worst.rows[RSR_UNION].time()
        rows.append(
            (
                f"whole fit with 5-fold CV at N = 400, d = 1000 under {GOAL_NOTE_CV_SECONDS:g} s (note §6 test 12)",
                f"slowest design {worst.design}/{worst.signal}: {seconds(value)}",
                "met" if value < GOAL_NOTE_CV_SECONDS else "**not met**",
            )
        )
    markdown_table(
        "4. Goals",
        ["goal", "measured", "status"],
        rows,
        f"Where LassoCV's coordinate descent runs alphas to max_iter (the 'hit max_iter' counts and the final "
        f"fit's epochs in table 1), its time is that of an unconverged path at the shared settings (max_iter = "
        f"{MAX_ITER}, tol = {TOL:g}): a ratio far below 1 there reflects the conditioning of the two dictionaries, "
        "not a faster solver. Goals marked 'on estimates' compare against a LassoCV time that is itself an estimate.",
    )


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat: a smoke test")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="budget per CV fit at the sizes marked for it: over it, report 6 × one fold's path as an estimate "
        f"(default 600, or {QUICK_MAX_SECONDS:g} with --quick)",
    )
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else FULL
    if options.max_seconds is None:
        options.max_seconds = QUICK_MAX_SECONDS if options.quick else 600.0
    started = time.perf_counter()
    load_start = load_average()
    # Load every library that brings a thread pool before reading or pinning the pools.
    import scipy.linalg  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    import sigrec.regression  # noqa: F401

    unpinned = blas_description()
    progress("warming up (RandomSupportRegression, LassoCV, SubspacePeeling, lasso_path)")
    warmup = warm_up()
    print_header(options.quick, sizes, warmup, unpinned, options.max_seconds)
    cases = []
    index = 0
    for size in sizes:
        for design, signal in size.cases:
            cases.append(measure_case(size, design, signal, options.max_seconds, index))
            index += 1
    report_cv(cases)
    report_phase1(cases)
    report_anchors(cases)
    report_goals(cases, options.quick)
    print(
        "### 5. GPU\n\nNot applicable: sigrec.regression has no torch/GPU path (the note advises float64 "
        "throughout; its speed-ups would be limited to the Gram and projection matmuls).\n"
    )
    for (label, category, _), (count, example) in WARNINGS.items():
        note(f'{label}: {count} × {category}, e.g. "{example[:200]}"')
    print_closing(started, load_start)


if __name__ == "__main__":
    main()
