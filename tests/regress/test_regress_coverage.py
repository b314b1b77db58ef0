"""Functional coverage merge and coverage gates, on real cocotb-coverage exports."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

from llama_dv.regress import codecov
from llama_dv.tb.common.coverage import CoverageHole, assert_bins_hit, load_coverage
from llama_dv.regress.funccov import CoverageFileError, merge_files
from llama_dv.regress.progress import coverage_checks


def _export(path: Path, values: list[tuple[int, int]]) -> Path:
    """Sample a real cocotb-coverage covergroup and export it as a test would."""
    coverage_db.clear() if hasattr(coverage_db, "clear") else None
    for key in [k for k in coverage_db if k.startswith("kern.")]:
        del coverage_db[key]

    @CoverPoint("kern.shape.n", xf=lambda n, m: n, bins=[1, 2, 3, 4])
    @CoverPoint("kern.shape.m", xf=lambda n, m: m, bins=[0, 1])
    @CoverCross("kern.shape.nxm", items=["kern.shape.n", "kern.shape.m"])
    def sample(n: int, m: int) -> None:
        pass

    for n, m in values:
        sample(n, m)
    coverage_db.export_to_yaml(str(path))
    return path


def test_merge_sums_hits_and_lists_holes(tmp_path: Path) -> None:
    a = _export(tmp_path / "a.yml", [(1, 0), (2, 1)])
    b = _export(tmp_path / "b.yml", [(2, 1), (3, 0)])
    cov = merge_files([a, b])
    group = cov.group("kern.shape")
    assert group is not None
    points = {p.name: p for p in group.points}
    assert points["kern.shape.n"].hits == {"1": 1, "2": 2, "3": 1, "4": 0}
    assert points["kern.shape.n"].holes == ["4"]
    assert points["kern.shape.m"].holes == []
    # 3/4 + 2/2 + 3/8 cross bins
    assert (group.covered, group.size) == (8, 14)


def test_functional_gate_fails_below_goal_and_passes_at_goal(tmp_path: Path) -> None:
    partial = merge_files([_export(tmp_path / "p.yml", [(1, 0)])])
    full = merge_files([_export(tmp_path / "f.yml", [(n, m) for n in range(1, 5) for m in (0, 1)])])
    goal = {"functional": 100, "covergroups": ["kern.shape"]}
    assert not coverage_checks(goal, partial, {}, ["kern"])[0].met
    assert coverage_checks(goal, full, {}, ["kern"])[0].met
    missing = coverage_checks({"functional": 10, "covergroups": ["kern.absent"]}, full, {}, ["kern"])[0]
    assert missing.actual is None and not missing.met


def _export_at_least(path: Path, values: list[int]) -> Path:
    for key in [k for k in coverage_db if k.startswith("twice.")]:
        del coverage_db[key]

    @CoverPoint("twice.g.v", xf=lambda v: v, bins=[0, 1], at_least=2)
    def sample(v: int) -> None:
        pass

    for v in values:
        sample(v)
    coverage_db.export_to_yaml(str(path))
    return path


def test_one_hole_rule_at_least_for_closure_report_and_signoff(tmp_path: Path) -> None:
    """A bin hit once with `at_least: 2` is a hole for the pytest closure assertion and for
    the regression merge alike; a second run's hit (added by cocotb-coverage's merge)
    closes it for both."""
    once = _export_at_least(tmp_path / "once.yml", [0, 0, 1])
    again = _export_at_least(tmp_path / "again.yml", [1])
    with pytest.raises(CoverageHole, match=r"twice.g.v: 1"):
        assert_bins_hit(load_coverage([once]), prefix="twice.")
    assert merge_files([once]).group("twice.g").percent == 50.0
    merged_file = tmp_path / "merged.yml"
    assert_bins_hit(load_coverage([once, again]), prefix="twice.")
    assert merge_files([once, again], merged_file).group("twice.g").percent == 100.0
    assert "twice.g.v" in merged_file.read_text()  # cocotb-coverage's own merged export


def test_exports_whose_bins_differ_are_named_not_merged(tmp_path: Path) -> None:
    """Two exports of one cover point with different bins cannot be added bin by bin:
    the merge fails naming both files instead of dropping or inventing hits."""
    a = _export_at_least(tmp_path / "a.yml", [0])
    b = tmp_path / "b.yml"
    b.write_text(a.read_text().replace("  1: 0", "  7: 1"))
    with pytest.raises(CoverageFileError, match=r"a\.yml, .*b\.yml: the same cover point has different bins"):
        merge_files([a, b])


def test_signoff_merges_runs_with_the_same_merge(tmp_path: Path) -> None:
    from llama_dv.regress.signoff import gather
    for name, values in (("run1", [0, 0, 1]), ("run2", [1])):
        run = tmp_path / name
        (run / "coverage").mkdir(parents=True)
        merge_files([_export_at_least(tmp_path / f"{name}.yml", values)], run / "coverage" / "functional.yml")
        (run / "record.json").write_text(json.dumps({
            "started": name, "suite": "s", "results": [],
            "coverage": {"functional": "coverage/functional.json", "functional_export": "coverage/functional.yml"}}))
    first = gather([tmp_path / "run1"], tmp_path / "synth").functional
    both = gather([tmp_path / "run1", tmp_path / "run2"], tmp_path / "synth").functional
    assert first.points["twice.g.v"].holes == ["1"]
    assert both.points["twice.g.v"].hits == {"0": 2, "1": 2} and not both.points["twice.g.v"].holes


def test_code_coverage_gate_needs_data() -> None:
    code = {"kern": {"counts": {"line": [9, 10]}}}
    assert coverage_checks({"line": 90}, merge_files([]), code, ["kern"])[0].met
    assert not coverage_checks({"line": 95}, merge_files([]), code, ["kern"])[0].met
    assert not coverage_checks({"toggle": 1}, merge_files([]), code, ["kern"])[0].met


def test_bad_export_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ValueError, match="bad.yml"):
        merge_files([bad])


def test_count_points_reads_verilator_pages(tmp_path: Path) -> None:
    """Lines are source lines of line blocks (a line covered when every block on it ran),
    the other kinds are points; the lcov tracefile holds exactly those lines."""
    dat = tmp_path / "c.dat"
    (tmp_path / "rtl.v").write_text("// line\n" * 20)

    def point(kind: str, line: int, span: str, n: int, i: int) -> str:
        key = f"\x01f\x02{tmp_path / 'rtl.v'}\x01l\x02{line}\x01page\x02v_{kind}/top\x01o\x02x{i}"
        return f"C '{key}" + (f"\x01S\x02{span}" if span else "") + f"' {n}\n"

    points = [("line", 12, "12,14-15", 1), ("line", 12, "", 0), ("line", 17, "", 5), ("toggle", 3, "", 3),
              ("expr", 4, "", 0)]
    dat.write_text("# SystemC::Coverage-3\n" + "".join(point(*p, i) for i, p in enumerate(points)))
    # lines 12 (one block ran, one did not), 14, 15, 17
    assert codecov.count_points(dat) == {"line": (3, 4), "toggle": (1, 1), "expr": (0, 1)}
    info = codecov.write_line_info(dat, tmp_path / "x.info").read_text()
    assert "DA:12,0\nDA:14,1\nDA:15,1\nDA:17,5\nLF:4\nLH:3\n" in info
    if shutil.which("verilator_coverage"):
        merged = codecov.merge([dat, dat], tmp_path / "merged", html=bool(shutil.which("genhtml")))
        assert merged.counts["line"] == (3, 4)
        assert merged.info is not None and "LF:4\nLH:3" in merged.info.read_text()
        if merged.html:  # the lcov page shows the report's figure
            page = (merged.html / "index.html").read_text()
            assert re.search(r">3<.*?>4<.*?75\.0\s*%", page, re.S), page[:2000]
