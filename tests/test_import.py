"""`import sigrec` stays light: no torch, no numba, no scientific stack."""

import subprocess
import sys

HEAVY = ("torch", "numba", "scipy", "sklearn", "matplotlib", "pandas", "dask", "cvxpy")


def test_import_sigrec_imports_nothing_heavy():
    code = f"import sys, sigrec; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_simulate_and_cli_do_not_import_torch_or_numba():
    code = (
        "import sys, sigrec.cli, sigrec.simulate, sigrec.operators, sigrec.metrics, sigrec.utils;"
        "print(' '.join(m for m in ('torch', 'numba', 'cvxpy', 'dask') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
