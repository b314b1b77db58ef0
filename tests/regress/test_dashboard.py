"""The regression dashboard (report.html + summary.md) of a passing and of a failing
run, read as a reviewer reads it: rendered in headless Chromium without console errors
or failed loads, every relative link resolving inside the run folder, the per-DUT
summary first, coverage holes first, trends over the earlier runs, the failure's log
excerpt, and line coverage that is the lcov page's figure."""
from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from llama_dv.regress.links import dangling_links, duplicate_ids, page_links
from tests.regress.browser import chromium, render
from tests.regress.dashboard_runs import write_runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_runs(tmp_path_factory.mktemp("dashboard"))


class _Outline(HTMLParser):
    """Section ids in order, and the text of each covergroup row of the holes table."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.group_rows: list[str] = []
        self._in_groups = self._row = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "h2" and a.get("id"):
            self.sections.append(a["id"] or "")
        if tag == "table" and a.get("class") == "groups":
            self._in_groups = True
        if tag == "tr" and self._in_groups:
            self._row, self._text = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row:
            self.group_rows.append(" ".join(self._text))
            self._row = False
        if tag == "table":
            self._in_groups = False

    def handle_data(self, data: str) -> None:
        if self._row:
            self._text.append(data.strip())


def _outline(page: Path) -> _Outline:
    outline = _Outline()
    outline.feed(page.read_text())
    return outline


def _read_in_browser(page: Path) -> None:
    if chromium() is None:
        pytest.skip("chromium is not installed (Debian package 'chromium'; `make setup` installs it)")
    shown = render(page, width=1280, height=1800)
    assert shown.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
    assert not shown.console, f"console output: {shown.console}"
    assert not shown.errors and not shown.failed_loads, shown.errors + shown.failed_loads
    from io import BytesIO

    from matplotlib import image

    pixels = image.imread(BytesIO(shown.screenshot), format="png")
    assert pixels.shape[:2] == (1800, 1280) and pixels.std() > 0.05, "screenshot is blank"


def test_smoke_run_dashboard(runs: dict[str, Path]) -> None:
    run = runs["smoke"]
    page = run / "report.html"
    text = page.read_text()
    outline = _outline(page)
    assert outline.sections[0] == "duts", outline.sections  # the per-DUT summary comes first
    assert outline.sections.index("coverage") < outline.sections.index("plan")
    assert not re.search(r"""(src|href)=["'](https?:|//|/)""", text), "the page must load nothing from outside"

    # Holes first: the group with holes before the closed one, which is folded away.
    assert outline.group_rows[1].startswith("counter.steps"), outline.group_rows
    assert "1 covergroup without holes" in text

    # Scoped to the suite: no row for a testpoint the suite does not select.
    assert "not in this suite: 2 testpoints" in text
    assert not re.search(r"<tr class=\"not_run\"><td>M2", text) and "tp_m2_long" not in text.split("<details>")[0]
    assert "| M2 |" not in (run / "summary.md").read_text()

    # Trend over the earlier run and this one, as an inline SVG plot.
    assert "Trends over 2 runs" in text
    trend = text[text.index('id="trend-plot"'):]
    assert trend.removeprefix('id="trend-plot">').startswith("<svg")
    per_test = text[text.index('id="test-trend-plot"'):]
    assert per_test.removeprefix('id="test-trend-plot">').startswith("<svg") and "icarus adder.test_add" in per_test

    # Every log, wave, replay script, lcov page and mutation summary is a relative link
    # that resolves inside the run folder.
    links = page_links(page)
    for kind in ("/sim.log", "/replay.sh", "/waves.fst", "html/index.html", "mutation/counter-default/smoke-icarus.md"):
        assert any(link.endswith(kind) for link in links), (kind, links)
    assert dangling_links(page) == [] and duplicate_ids(page) == []
    assert "#failures" in links and "#trends" in links  # in-page anchors resolve too
    # The mutation summary's survivor links reach the RTL line from where the copy is.
    summary = run / "mutation/counter-default/smoke-icarus.md"
    rtl = summary.read_text().split("](")[1].split("#L")[0]
    assert (summary.parent / rtl).resolve().name == "counter.v" and (summary.parent / rtl).is_file()

    # One way to count line coverage: the lcov page shows the report's figure.
    lcov = (run / "coverage/code/counter/html/index.html").read_text()
    assert re.search(r">3<.*?>4<.*?75\.0\s*%", lcov, re.S)
    assert "75.0% <small>(3/4)</small>" in text

    md = (run / "summary.md").read_text()
    assert md.index("## Summary per DUT") < md.index("## Functional coverage: holes first") < md.index("## Testplan")
    assert "| counter | pass | 3/3 |" in md
    _read_in_browser(page)


def test_failing_run_dashboard(runs: dict[str, Path]) -> None:
    run = runs["failing"]
    page = run / "report.html"
    text = page.read_text()
    outline = _outline(page)
    assert outline.sections[:3] == ["duts", "failures", "coverage"], outline.sections
    assert "fail: count mismatch: expected &lt;n&gt; got &lt;n&gt; (1)" in text
    # The log excerpt around the first error, with the lines that led to it.
    excerpt = text[text.index('<pre class="excerpt">'):text.index("</pre>")]
    assert "count read back: 8" in excerpt and "AssertionError: count mismatch: expected 9 got 8" in excerpt
    assert '<span class="hit">' in excerpt and "first error at line 5" in text
    assert "Trends over 3 runs" in text
    assert dangling_links(page) == []
    md = (run / "summary.md").read_text()
    assert "### fail: count mismatch: expected <n> got <n> (1)" in md and "AssertionError: count mismatch" in md
    assert "| counter | fail | 2/3 |" in md
    _read_in_browser(page)


def test_link_check_fails_on_a_dangling_link(runs: dict[str, Path], tmp_path: Path) -> None:
    """The check the dashboard tests rely on catches a missing file, a link out of the
    archived folder and an absolute one."""
    run = tmp_path / "run"
    shutil.copytree(runs["smoke"], run)
    page = run / "report.html"
    assert dangling_links(page) == []
    log = next(link for link in page_links(page) if link.endswith("/sim.log"))
    (run / log).unlink()
    outside = "../elsewhere.html"
    (tmp_path / "elsewhere.html").write_text("<p>outside the run folder</p>")
    page.write_text(page.read_text().replace(
        "</body>", f'<a href="{outside}">x</a><img src="/etc/hostname"><a href="#nowhere">y</a></body>'))
    assert dangling_links(page) == [log, outside, "/etc/hostname", "#nowhere"]


def test_browser_check_sees_console_errors_and_failed_loads(tmp_path: Path) -> None:
    """The browser check is not vacuous: a script error and a missing image are reported."""
    if chromium() is None:
        pytest.skip("chromium is not installed (Debian package 'chromium'; `make setup` installs it)")
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p><img src="missing.png">'
                    '<script>console.error("broken page")</script></body></html>')
    shown = render(page, width=400, height=300)
    assert ("error", "broken page") in shown.console
    assert shown.failed_loads and any("ERR_FILE_NOT_FOUND" in e for e in shown.errors)


def test_trend_points_are_runs_not_shards(tmp_path: Path) -> None:
    """Shards of a run are parts of it: only their merge is a point of the trend."""
    from llama_dv.regress.trends import history

    def record(name: str, started: str, shard: str | None) -> dict:
        data = {"started": started, "suite": "smoke", "shard": shard, "wall_time_s": 1.0, "coverage": {},
                "results": [{"status": "pass", "metrics": {}}, {"status": "fail", "metrics": {}}]}
        (tmp_path / name).mkdir()
        (tmp_path / name / "record.json").write_text(json.dumps(data))
        return data

    record("a-shard1of2", "2026-12-01T10:00:00", "1/2")
    record("a", "2026-12-01T10:05:00", None)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "record.json").write_text("{not json")
    now = record("b", "2026-12-02T10:00:00", None)
    points = history(tmp_path / "b", now)
    assert [(p.name, p.current, p.pass_rate) for p in points] == [("a", False, 50.0), ("b", True, 50.0)]


def test_a_record_without_optional_fields_still_renders(runs: dict[str, Path], tmp_path: Path) -> None:
    """Older and merged records lack fields; the reports render what is there."""
    from llama_dv.regress.report import write_reports

    run = tmp_path / "20261130-100000-smoke"
    shutil.copytree(runs["first"], run)
    record = json.loads((run / "record.json").read_text())
    for key in ("started", "tools", "jobs", "git_commit", "sims", "base_seed", "wall_time_s", "testplan"):
        record.pop(key, None)
    record["suite"] = "no-such-suite"
    md, page = write_reports(run, record, testplan=tmp_path / "missing.yaml")
    assert "testplan unavailable" in page.read_text() and "## Summary per DUT" in md.read_text()
    assert dangling_links(page) == []
