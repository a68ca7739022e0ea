"""The README's promises hold: every ```python block runs, every capability row links to its material.

Each block runs in a fresh namespace (the README says each is self-contained, so a reader may copy
any one of them alone), in a temporary working directory (blocks may write ``results/...``), with
one BLAS thread and one torch thread: under ``pytest -n 2`` on two cores, extra threads only wait on
each other (see ``one_torch_thread``). A failure names the block's line in README.md, and the
traceback points at README.md lines.
"""

import re
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\S*)\s*$")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _python_blocks(text):
    """``(line, source)`` for each ```python block; ``line`` is the 1-based line of its first code line."""
    blocks, language, start, body = [], None, 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line.strip())
        if match is None:
            if language is not None:
                body.append(line)
        elif language is None:  # an opening fence (```lang or ```)
            language, start, body = match.group(1).lower(), number + 1, []
        else:  # the closing fence
            if language == "python":
                blocks.append((start, "\n".join(body) + "\n"))
            language = None
    assert language is None, "README.md has an unclosed ``` fence"
    return blocks


BLOCKS = _python_blocks(README.read_text(encoding="utf-8"))


def _capability_rows(text):
    """The rows of the table under "## What works today" whose header is "| capability |"."""
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| capability |"))
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 7, f"expected one quick-start block per capability, found {len(BLOCKS)}"


@pytest.mark.parametrize("line, source", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_runs(line, source, tmp_path, monkeypatch, request):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if "sigrec.sampling" in source or "torch" in source:
        pytest.importorskip("torch", reason="this README block needs the [torch] extra")
        request.getfixturevalue("one_torch_thread")
    monkeypatch.chdir(tmp_path)
    # Blank lines in front, so that tracebacks give README.md's own line numbers.
    code = compile("\n" * (line - 1) + source, str(README), "exec")
    namespace = {"__name__": "__readme__"}
    error = None
    with threadpoolctl.threadpool_limits(1):
        try:
            exec(code, namespace)
        except Exception:  # any failure of the block becomes a test failure that names its line
            error = traceback.format_exc()
    if error is not None:
        pytest.fail(f"the python block at README.md:{line} failed:\n{error}", pytrace=False)


def test_every_capability_row_links_its_guide_notebook_and_benchmark():
    rows = _capability_rows(README.read_text(encoding="utf-8"))
    assert len(rows) == 7, f"expected the sweep engine and six estimators, found {len(rows)} rows"
    for row in rows:
        links = LINK.findall(row)
        name = row.split("|")[1].strip()[:60]
        assert any(re.fullmatch(r"docs/.+\.(md|rst)", link) for link in links), f"no guide link in row {name!r}"
        assert any(re.fullmatch(r"notebooks/.+\.ipynb", link) for link in links), f"no notebook link in row {name!r}"
        assert any(re.fullmatch(r"benchmarks/.+\.py", link) for link in links), f"no benchmark link in row {name!r}"


def test_readme_links_point_to_existing_files():
    text = README.read_text(encoding="utf-8")
    local = [link for link in LINK.findall(text) if "://" not in link and not link.startswith("#")]
    assert local, "README.md has no relative links"
    missing = [link for link in local if not (ROOT / link.split("#")[0]).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_quick_tour_is_in_the_notebook_index():
    index = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    assert "00_quick_tour.ipynb" in index
    assert (ROOT / "notebooks" / "00_quick_tour.ipynb").exists()
