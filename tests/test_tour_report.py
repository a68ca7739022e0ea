"""The markdown report: the table formatter, the generic index and the tour's index.md."""

import importlib.util
import math
import re

import numpy as np
import pandas as pd
import pytest

from sigrec.simulate import Experiment, report, run
from sigrec.simulate._report import INDEX_NAME, format_number, markdown_table
from sigrec.simulate.tour import _TOUR_SECTIONS, _TOUR_STUDIES

# One worker builds the quick tour once for the whole module (make test uses --dist loadgroup).
pytestmark = pytest.mark.xdist_group("tour_report")

PLACEHOLDERS = {"", "nan", "NaN", "None", "—", "-", "inf", "<NA>"}


def _tables(markdown):
    """Every markdown table in ``markdown`` as a list of rows of cell texts (header first, rule dropped)."""
    tables, current = [], []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _sections(markdown):
    """``{title: text}`` of the ``## `` sections."""
    parts = re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


# ----------------------------------------------------------------- formatter
def test_format_number():
    assert [format_number(v) for v in (0, 3, np.int64(7), 1.0, 0.5, -0.25, 0.0)] == ["0", "3", "7", "1", "0.5",
                                                                                      "-0.25", "0"]
    assert format_number(2 / 3) == "0.667" and format_number(2 / 3, digits=2) == "0.67"
    assert format_number(999.96) == "1000" and format_number(12345.6) == "12346"
    assert format_number(1.5e-7) == "1.50e-7" and format_number(-2.5e9) == "-2.50e9"
    assert format_number(float("inf")) == "∞" and format_number(-math.inf) == "-∞"
    assert format_number(float("nan")) == "—"
    assert format_number(True) == "True"


def test_markdown_table_from_rows_and_frames():
    text = markdown_table([["a|b", 1.0, 0.123456], ["c", 22, -3.0]], ["name", "n", "x"],
                          formats={"x": "+.2f", "n": lambda v: f"{v:g} items"})
    lines = text.splitlines()
    assert lines[0] == "| name |        n |     x |"  # numbers align right, whatever their format
    assert lines[1] == "| :--- | -------: | ----: |"
    assert lines[2] == "| a\\|b |  1 items | +0.12 |"
    assert lines[3].endswith("| -3.00 |")
    assert _tables(text) == [[["name", "n", "x"], ["a\\|b", "1 items", "+0.12"], ["c", "22 items", "-3.00"]]]
    assert "—" not in text  # nothing missing: no note

    frame = pd.DataFrame({"method": ["l1", "omp"], "error": [0.5, np.nan], "k": [3, 4]})
    text = markdown_table(frame, missing_note="OMP did not run.")
    assert _tables(text) == [[["method", "error", "k"], ["l1", "0.5", "3"], ["omp", "—", "4"]]]
    assert text.endswith("\n\n— OMP did not run.")
    assert markdown_table([[None]], ["x"]).endswith("— no value: undefined in every trial of this cell.")
    assert markdown_table([], ["a", "b"]).splitlines() == ["| a   | b   |", "| :-- | :-- |"]
    with pytest.raises(ValueError, match="2 cells"):
        markdown_table([[1]], ["a", "b"])
    with pytest.raises(ValueError, match="column names"):
        markdown_table([[1]])


# ----------------------------------------------------------------- generic index
def mean_trial(params, rng):
    """A cheap trial with a metric that is undefined (NaN) in one cell."""
    value = float(rng.standard_normal() + params["shift"])
    return {"value": value, "ratio": math.nan if params["shift"] == 0 else value / params["shift"]}


GENERIC = Experiment(name="_test_generic_index", trial=mean_trial, grid={"shift": [0.0, 2.0]}, n_trials=4,
                     quick={"grid": {"shift": [2.0]}, "n_trials": 2}, description="a test experiment")


def test_generic_index(tmp_path):
    store = tmp_path / "g.sqlite"
    run(GENERIC, progress=False, store=store)
    summary, figures = report(GENERIC, store, tmp_path / "out")
    index = (tmp_path / "out" / INDEX_NAME).read_text()
    assert index.startswith("# sigrec report: _test_generic_index\n\na test experiment\n")
    assert "- grid: full\n" in index and f"`{store}` (8 trials in 2 cells" in index
    (table,) = _tables(index)
    assert table[0] == ["shift", "trials", "ratio", "value"] or table[0] == ["shift", "trials", "value", "ratio"]
    assert [row[0] for row in table[1:]] == ["0", "2"]
    assert "—" in table[1] and "\n— no value" in index  # the NaN metric is shown and explained
    for figure in figures:
        assert f"]({figure.name})" in index and figure.exists()

    quick = tmp_path / "q.sqlite"
    run(GENERIC, progress=False, store=quick, quick=True)
    report(GENERIC, quick, tmp_path / "quick")
    assert "- grid: quick (`--quick`)\n" in (tmp_path / "quick" / INDEX_NAME).read_text()
    custom = tmp_path / "c.sqlite"
    run(GENERIC, progress=False, store=custom, n_trials=1)
    report(GENERIC, custom, tmp_path / "custom")
    assert "- grid: full, 2 of its 8 trials (fewer trials per cell" in (tmp_path / "custom" / INDEX_NAME).read_text()
    other = tmp_path / "o.sqlite"
    run(GENERIC, progress=False, store=other, grid={"shift": [5.0]})
    report(GENERIC, other, tmp_path / "other")
    assert "- grid: custom (`--grid` or `--trials`)\n" in (tmp_path / "other" / INDEX_NAME).read_text()


def markdown_hook(summary, figures, out_dir):
    """A hook returning its own body."""
    return f"## Mine\n\n{len(summary)} cells, {len(figures)} figures"


def test_markdown_hook_replaces_the_generic_body(tmp_path):
    experiment = Experiment(name="_test_hook", trial=mean_trial, grid={"shift": [1.0]}, n_trials=2,
                            markdown=markdown_hook, plot=lambda summary, out_dir: [])
    run(experiment, progress=False, store=tmp_path / "h.sqlite")
    report(experiment, tmp_path / "h.sqlite", tmp_path / "out")
    index = (tmp_path / "out" / INDEX_NAME).read_text()
    assert index.endswith("## Mine\n\n1 cells, 0 figures\n") and "- machine (that wrote this report):" in index
    assert "Per-cell means" not in index


# ----------------------------------------------------------------- table functions, edge cases
def test_tour_tables_explain_or_avoid_missing_ratios():
    from sigrec.calibration.experiments import tour_table as calibration_table
    from sigrec.sampling.experiments import tour_table as sampling_table
    from sigrec.simulate.tour import _cs_tour_table

    calibration = pd.DataFrame({"n": [64, 64], "m": [32, 32], "p": [2, 16], "gain_rho": [0.5, 0.5],
                                "max_iter": [2000, 2000], "success_pgd_ls_mean": [0.0, 1.0],
                                "success_linls_mean": [0.0, 1.0], "success_blind_mean": [0.0, 0.0]})
    text = calibration_table(calibration)
    (table,) = _tables(text)
    assert table[1][-1] == "—" and table[2][-1] == "1" and "— no ratio: neither PGD nor linearised LS" in text

    cs = pd.DataFrame({"n": [64] * 2, "delta": [0.25, 0.5], "rho": [0.5, 0.5], "success_l1_mean": [0.5, 1.0],
                       "success_omp_mean": [0.0, 0.5]})
    (table,) = _tables(_cs_tour_table(cs))
    assert [row[-1] for row in table[1:]] == ["∞", "2", "3"]

    # Without PyTorch the sampling study has no DPS column: the table compares the fixed masks and says so.
    sampling = pd.DataFrame({"n_keep": [4, 8], "n_epochs": [20, 20], "psnr_low_pass_half_mean": [14.8, 18.2],
                             "psnr_random_half_mean": [13.5, 14.4]})
    text = sampling_table(sampling)
    (table,) = _tables(text)
    assert "DPS was skipped (PyTorch is not installed" in text
    assert table[0][-1] == "low-pass − random (dB)" and table[1][-1] == "+1.30"


def test_every_tour_study_has_a_section():
    assert list(_TOUR_SECTIONS) == list(_TOUR_STUDIES)


# ----------------------------------------------------------------- the tour's index.md
@pytest.fixture(scope="module")
def tour_report(tmp_path_factory, request):
    if importlib.util.find_spec("torch") is not None:
        request.getfixturevalue("one_torch_thread")
    folder = tmp_path_factory.mktemp("tour")
    store = folder / "tour.sqlite"
    run("tour", quick=True, progress=False, store=store)
    out = folder / "report"
    summary, figures = report("tour", store, out)
    return store, out, summary, figures, (out / INDEX_NAME).read_text(encoding="utf-8")


def test_tour_index_has_a_full_table_per_capability(tour_report):
    store, out, summary, figures, index = tour_report
    assert index.startswith("# sigrec report: tour\n")
    assert "- grid: quick (`--quick`)\n" in index and f"- store: `{store}` ({len(run_rows(store))} trials" in index
    assert re.search(r"- machine \(that wrote this report\): .+, \d+ CPUs", index)
    sections = _sections(index)
    assert list(sections) == [title for title, _, _ in _TOUR_SECTIONS.values()]
    for title, text in sections.items():
        tables = _tables(text)
        assert len(tables) == 1, title
        header, *rows = tables[0]
        assert len(rows) >= 2, title
        assert any("÷" in column or "−" in column for column in header), (title, header)
        for row in rows:
            assert len(row) == len(header), (title, row)
            assert not PLACEHOLDERS & set(row), (title, row)
        images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", text)
        assert images, title
        for image in images:
            assert image.endswith(".png") and (out / image).stat().st_size > 5000, (title, image)
    assert {figure.name for figure in figures} == set(re.findall(r"!\[[^]]*\]\(([^)]+)\)", index))
    assert "Not in this store" not in index


def run_rows(store):
    from sigrec.simulate import ResultStore

    with ResultStore.open_existing(store) as result_store:
        return result_store.to_dataframe()


def test_tour_tables_agree_with_the_summary(tour_report):
    _, _, summary, _, index = tour_report
    sections = _sections(index)
    # Sparse coding: each coder's "÷ ℓ1" is its error over ℓ1's, and the anchor's own ratio is 1.
    (coding,) = _tables(sections["Sparse coding: ℓq penalties at matched sparsity"])
    header, *rows = coding
    ratios = {row[0]: float(row[header.index("÷ ℓ1")]) for row in rows}
    errors = summary[summary["study"] == "coding"].set_index("method")["relative_error_mean"]
    assert ratios["ℓ1 (anchor)"] == 1.0
    assert ratios["CEL0"] == pytest.approx(errors["cel0"] / errors["l1"], rel=5e-3)
    # Compressed sensing: the last row is the whole grid, where ℓ1 beats OMP (a classical result).
    (cs,) = _tables(sections["Compressed sensing: ℓ1 vs OMP"])
    assert cs[-1][0] == "all" and float(cs[-1][-1]) >= 1.0


def test_tour_sampling_table_compares_dps(tour_report, one_torch_thread):
    pytest.importorskip("torch")
    _, _, _, _, index = tour_report
    (table,) = _tables(_sections(index)["Learned sub-sampling (DPS)"])
    header, *rows = table
    assert header[1] == "DPS (learned) PSNR (dB)" and header[-2:] == ["DPS − low-pass (dB)", "DPS − random (dB)"]
    # DPS on 8×8 digits: never far below the low-pass mask, above the random one at K = 8 (note T6).
    by_k = {row[0]: row for row in rows}
    assert float(by_k["8"][-2]) >= -0.5 and float(by_k["8"][-1]) > 0


def test_cli_report_prints_the_index_last(tour_report, capsys, tmp_path):
    from sigrec.cli import main

    store, _, _, _, _ = tour_report
    assert main(["report", "tour", "--store", str(store), "--out", str(tmp_path)]) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last == f"report: {tmp_path / INDEX_NAME}" and (tmp_path / INDEX_NAME).exists()
