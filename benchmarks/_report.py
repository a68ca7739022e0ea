"""Helpers shared by the benchmark scripts: Markdown tables, the machine's state, pinned timing, notes.

Imported as a sibling module (``python benchmarks/NAME.py`` puts this folder on sys.path).
"""

import os
import sys
import time
import warnings

from threadpoolctl import threadpool_info, threadpool_limits

_STARTED = time.perf_counter()
NOTES = []  # warnings and oddities seen while measuring, printed after the tables


def progress(message):
    """One progress line on stderr, with the seconds since the script started."""
    print(f"[benchmark {time.perf_counter() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def note(message):
    """Remember a note for the end of the report (each text once)."""
    if message not in NOTES:
        NOTES.append(message)


def pinned_call(function):
    """Time ``function()`` with BLAS pinned to 1 thread; return ``(seconds, result, warnings caught)``.

    The pin is re-applied around every call (outside the timer): threadpoolctl limits only the libraries
    loaded when it is entered, and one loaded later (scipy's OpenBLAS, cvxpy's solvers) would otherwise run
    with its default thread count.
    """
    with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = function()
        seconds_taken = time.perf_counter() - start
    return seconds_taken, result, list(caught)


def print_closing(started, load_start):
    """Print the collected notes and the run's total time and load (the end of every report)."""
    if NOTES:
        print("### Notes (warnings and oddities seen while measuring)\n")
        print("\n".join(f"- {text}" for text in NOTES) + "\n")
    print(
        f"Total benchmark time: {time.perf_counter() - started:.0f} s; 1-minute load average at the start "
        f"{load_start}, at the end {load_average()}"
    )


def seconds(value):
    """A duration in µs, ms or s with 3-4 significant digits."""
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 0.1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def times_ratio(value):
    """A ratio as ``1.23×`` (``123×`` from 100 on)."""
    return f"{value:.2f}×" if value < 100 else f"{value:.0f}×"


def markdown_table(title, headers, rows, note=""):
    """Print a titled Markdown table, optionally followed by a note, and flush."""
    lines = [f"### {title}", "", "| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    if note:
        lines += ["", note]
    print("\n".join(lines) + "\n", flush=True)


def load_average():
    """The 1-minute load average as text (the machine is often shared: print it with every run)."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"


def blas_description(thread_label="thread(s)"):
    """The BLAS/OpenMP libraries threadpoolctl sees, with their current thread counts."""
    libraries = [
        f"{info['internal_api']} {info['version']} ({info['num_threads']} {thread_label})" for info in threadpool_info()
    ]
    return ", ".join(libraries) or "none detected"
