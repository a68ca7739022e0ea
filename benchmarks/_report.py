"""Helpers shared by the benchmark scripts: Markdown tables and the machine's state.

Imported as a sibling module (``python benchmarks/NAME.py`` puts this folder on sys.path).
"""

import os

from threadpoolctl import threadpool_info


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
