"""make bench's writer: generated blocks replace or append, never touching the commentary."""

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "_update_performance.py"
_spec = importlib.util.spec_from_file_location("update_performance", _PATH)
update = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update)

DOCUMENT = """# Performance

## PLAIN tensor estimation (`benchmarks/tensor.py`)

Commentary that must survive.

<!-- begin generated: benchmarks/tensor.py -->
old table
<!-- end generated: benchmarks/tensor.py -->

## Deep Probabilistic Sub-sampling (`benchmarks/sampling.py`)

Only commentary so far.

## GPU check (`benchmarks/gpu_check.py`)
"""

REPORT = """## Some benchmark

- date: today

### 1. Speed

| a | b |
| --- | --- |
| 1 | 2 |
"""


def test_block_drops_the_title_and_prefixes_sections():
    block = update.as_block("tensor", REPORT, ["header line", ""])
    lines = block.splitlines()
    assert lines[0] == update.begin_marker("tensor") and lines[-1] == update.end_marker("tensor")
    assert "## Some benchmark" not in block
    assert "### Tensor 1. Speed" in block and "header line" in block
    assert "### Tensor Tensor" not in update.as_block("tensor", block.replace("<!--", "x"), [])


def test_splice_replaces_an_existing_block_and_keeps_commentary():
    new = update.splice(DOCUMENT, "tensor", update.as_block("tensor", REPORT, []))
    assert "old table" not in new and "Commentary that must survive." in new
    assert new.count(update.begin_marker("tensor")) == 1
    assert new.index("Only commentary so far.") > new.index("| 1 | 2 |")


def test_splice_appends_to_the_section_naming_the_script():
    new = update.splice(DOCUMENT, "sampling", update.as_block("sampling", REPORT, []))
    section = new[new.index("## Deep Probabilistic"):new.index("## GPU check")]
    assert "Only commentary so far." in section and update.begin_marker("sampling") in section
    again = update.splice(new, "sampling", update.as_block("sampling", REPORT.replace("1 | 2", "3 | 4"), []))
    assert again.count(update.begin_marker("sampling")) == 1 and "| 3 | 4 |" in again and "| 1 | 2 |" not in again
    appended_last = update.splice(DOCUMENT, "gpu_check", update.as_block("gpu_check", REPORT, []))
    assert appended_last.rstrip().endswith(update.end_marker("gpu_check"))


def test_splice_refuses_a_script_without_a_section():
    with pytest.raises(ValueError, match="benchmarks/coding.py"):
        update.splice(DOCUMENT, "coding", "block")


def test_header_names_the_machine():
    header = "\n".join(update.machine_header("tensor", 12.0, "full"))
    assert "CPU:" in header and "logical cores" in header and "numpy" in header


def test_every_benchmark_has_a_section_in_the_real_document():
    document = update.PERFORMANCE.read_text()
    scripts = sorted(path.stem for path in _PATH.parent.glob("*.py") if not path.stem.startswith("_"))
    for name in scripts:
        assert f"benchmarks/{name}.py`)" in document, name
