"""End-to-end regressions over the throwaway counter DUT (Icarus only, real simulator).

One run holds a passing, a failing, a hanging and a crashing test plus a planned test
that does not exist: the run must finish, bucket each outcome, print a replay command
that reproduces the failure exactly, and sign-off must refuse the milestone.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from llama_dv.regress.junit import read_totals
from llama_dv.regress.links import dangling_links, page_links
from tests.regress.browser import chromium, render
from tests.regress.conftest import REPO, llama_dv, plan_args
from tests.regress.counter_project import CounterProject, write_counter_project

pytestmark = pytest.mark.sim


def _run_regress(project: CounterProject, out_root: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    proc = llama_dv(project, "regress", "--suite", "smoke", "--sim", "icarus", "--out-root", str(out_root),
                    *plan_args(project), *extra)
    return proc, (out_root / "latest").resolve()


def _results(run_dir: Path) -> dict[str, dict]:
    record = json.loads((run_dir / "record.json").read_text())
    return {r["test"]: r for r in record["results"]}


def _local_python(cmd: str) -> str:
    """Replay commands name the project venv's python; use this interpreter if it is absent."""
    repo = Path(__file__).resolve().parents[2]
    if (repo / ".venv" / "bin" / "python").exists():
        return cmd
    return cmd.replace(".venv/bin/python", shlex.quote(sys.executable), 1)


@pytest.fixture(scope="module")
def counter_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[CounterProject, subprocess.CompletedProcess[str], Path]:
    """One regression of the full counter project, shared by the tests that read its outputs."""
    if shutil.which("iverilog") is None:
        pytest.skip("Icarus Verilog is not installed; run `make setup`")
    root = tmp_path_factory.mktemp("counter_run")
    project = write_counter_project(root / "counter")
    proc, run_dir = _run_regress(project, root / "out", "--jobs", "2", "--timeout", "12", "--base-seed", "4242")
    return project, proc, run_dir


def test_failures_hang_and_crash_are_bucketed_and_replayable(counter_run, tmp_path: Path) -> None:
    counter_project, proc, run_dir = counter_run
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    results = _results(run_dir)
    assert results["test_counts"]["status"] == "pass"
    assert results["test_wrong_value"]["status"] == "fail"
    assert results["test_hangs"]["status"] == "timeout"
    assert results["test_crashes"]["status"] == "error"
    assert results["test_future"]["status"] == "not_run"
    assert re.search(r"RESULT: 1 passed, 1 failed, 1 errors, 1 timeouts, 0 build errors, 1 not run", out)

    # Every run records its seed and has its own log.
    for name in ("test_counts", "test_wrong_value", "test_hangs", "test_crashes"):
        assert isinstance(results[name]["seed"], int)
        assert (run_dir / results[name]["log"]).is_file()

    # JUnit: failure vs error vs skipped, as CI readers expect.
    root = ET.parse(run_dir / "junit.xml").getroot()
    assert read_totals(run_dir / "junit.xml") == {"tests": 5, "failures": 1, "errors": 2, "skipped": 1}
    kinds = {c.get("name").split("[")[0]: [e.tag for e in c if e.tag != "system-out"] for c in root.iter("testcase")}
    assert kinds == {"test_counts": [], "test_wrong_value": ["failure"], "test_hangs": ["error"],
                     "test_crashes": ["error"], "test_future": ["skipped"]}

    # Three failures, three different buckets in the report.
    summary = (run_dir / "summary.md").read_text()
    assert "### fail: count mismatch: expected <n> got <n> (1)" in summary
    assert "### timeout: killed after timeout of <n> s (1)" in summary
    assert "### error:" in summary
    assert "planned" in summary
    # Figures a test writes to $LDV_METRICS_FILE reach the record and the report.
    assert results["test_counts"]["metrics"]["cycles_per_token"] > 0
    assert "## Cycles per token" in summary

    # The printed replay command reproduces the failure bit for bit (same seed, same values).
    failing = results["test_wrong_value"]
    assert failing["replay"] in out and "--waves" in failing["replay"]
    expected = re.search(r"count mismatch: expected \d+ got \d+", failing["message"])[0]
    replay = subprocess.run(_local_python(failing["replay"]), shell=True, capture_output=True, text=True,
                            timeout=180, check=False)
    assert replay.returncode == 1, replay.stdout + replay.stderr
    assert f"seed {failing['seed']}" in replay.stdout
    assert expected in replay.stdout
    waves = re.search(r"waves: (\S+)", replay.stdout)
    assert waves and Path(waves[1]).is_file()

    # Sign-off of the milestone that names the planned test is NOT MET, exit non-zero.
    signoff = llama_dv(counter_project, "signoff", "--testplan", str(counter_project.testplan),
                       "--results", str(run_dir), "--out", str(tmp_path / "signoff"))
    assert signoff.returncode == 1, signoff.stdout + signoff.stderr
    assert "M1 NOT MET" in signoff.stdout
    report = json.loads((tmp_path / "signoff" / "signoff.json").read_text())
    crit = report["milestones"]["M1"]["criteria"]
    assert [c["passed"] for c in crit] == [False, False]
    assert any("tp_future: PLANNED" in e for e in crit[0]["evidence"])


def test_shards_merge_to_the_unsharded_totals(tmp_path: Path, icarus: None) -> None:
    project = write_counter_project(tmp_path / "counter", tests=["test_counts", "test_wrong_value"])
    common = ("--jobs", "2", "--seeds", "2", "--base-seed", "99")
    whole, whole_dir = _run_regress(project, tmp_path / "whole", *common)
    assert whole.returncode == 1, whole.stdout + whole.stderr
    shard_dirs = []
    for k in (1, 2):
        proc, d = _run_regress(project, tmp_path / f"shard{k}", *common, "--shard", f"{k}/2")
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        shard_dirs.append(d)
    assert {len(_results_list(d)) for d in shard_dirs} == {3}  # 2 jobs each + the not-run test
    merged = llama_dv(project, "merge", *map(str, shard_dirs), "--out", str(tmp_path / "merged"))
    assert merged.returncode == 1, merged.stdout + merged.stderr
    merged_dir = tmp_path / "merged"
    assert read_totals(merged_dir / "junit.xml") == read_totals(whole_dir / "junit.xml")
    assert read_totals(whole_dir / "junit.xml") == {"tests": 5, "failures": 2, "errors": 0, "skipped": 1}
    cov_whole = json.loads((whole_dir / "coverage" / "functional.json").read_text())
    cov_merged = json.loads((merged_dir / "coverage" / "functional.json").read_text())
    assert cov_whole["groups"] and cov_merged["groups"] == cov_whole["groups"]
    seeds = lambda d: sorted((r["job_id"], r["status"]) for r in _results_list(d))  # noqa: E731
    assert seeds(merged_dir) == seeds(whole_dir)


def _results_list(run_dir: Path) -> list[dict]:
    return json.loads((run_dir / "record.json").read_text())["results"]


def test_html_report_renders_in_headless_chromium(counter_run) -> None:
    """The dashboard of a real run is one offline page a browser renders without errors,
    and its links (logs, replay scripts) resolve inside the run folder."""
    _, _, run_dir = counter_run
    page = run_dir / "report.html"
    text = page.read_text()
    assert "<svg" in text  # plots are inline SVG
    assert not re.search(r"""(src|href)=["'](https?:|//)""", text), "report must not load anything from outside"
    assert dangling_links(page) == []
    assert any(link.endswith("/sim.log") for link in page_links(page))
    assert "killed after timeout of" in text and '<pre class="excerpt">' in text
    if chromium() is None:
        pytest.skip("chromium is not installed (Debian package 'chromium'; `make setup` installs it)")
    shown = render(page, width=1200, height=1600)
    assert not shown.console and not shown.errors and not shown.failed_loads
    from io import BytesIO

    from matplotlib import image

    pixels = image.imread(BytesIO(shown.screenshot), format="png")
    assert pixels.shape[0] == 1600 and pixels.std() > 0.05, "screenshot is blank"


@pytest.mark.slow
def test_verilator_code_coverage_is_merged(tmp_path: Path) -> None:
    """Verilator runs are built with coverage; their coverage.dat merge into line/toggle figures."""
    if shutil.which("verilator_coverage") is None:
        pytest.skip("verilator_coverage (Debian package 'verilator') is not installed; run `make setup`")
    project = write_counter_project(tmp_path / "counter", tests=["test_counts"], sims="verilator")
    proc = llama_dv(project, "regress", "--suite", "smoke", "--sim", "verilator", "--out-root", str(tmp_path / "out"),
                    "--jobs", "2", "--seeds", "2", *plan_args(project), timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_dir = (tmp_path / "out" / "latest").resolve()
    record = json.loads((run_dir / "record.json").read_text())
    code = record["coverage"]["code"]["counter"]
    assert code["counts"]["line"][1] > 0 and code["percent"]["line"] == 100.0
    assert 0 < code["counts"]["toggle"][0] <= code["counts"]["toggle"][1]
    assert (run_dir / code["dat"]).is_file() and (run_dir / code["info"]).is_file()
    assert (run_dir / code["html"]).is_file()
    assert all(r["code_coverage"] for r in record["results"] if r["status"] != "not_run")
    assert "| counter | 100.0%" in (run_dir / "summary.md").read_text()

    # A testpoint may opt its DUT out of code coverage (a design too large to instrument).
    plan = yaml.safe_load(project.testplan.read_text())
    plan["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]["code_coverage"] = False
    project.testplan.write_text(yaml.safe_dump(plan, sort_keys=False))
    proc = llama_dv(project, "regress", "--suite", "smoke", "--sim", "verilator", "--out-root", str(tmp_path / "bare"),
                    *plan_args(project), timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    record = json.loads(((tmp_path / "bare" / "latest").resolve() / "record.json").read_text())
    assert record["coverage"]["code"] == {}
    assert [r["code_coverage"] for r in record["results"] if r["status"] == "pass"] == [None]


def test_build_failure_fails_only_that_dut_jobs(tmp_path: Path, icarus: None) -> None:
    """A DUT that does not compile gives build_error results (with the build log), not a crash."""
    project = write_counter_project(tmp_path / "counter", tests=["test_counts", "test_wrong_value"])
    (project.root / "counter.v").write_text("module counter(input wire clk; endmodule\n")
    proc, run_dir = _run_regress(project, tmp_path / "out", "--jobs", "2")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "BUILD FAILED icarus counter@default" in out
    results = _results(run_dir)
    assert results["test_counts"]["status"] == results["test_wrong_value"]["status"] == "build_error"
    assert "build" in results["test_counts"]["message"]
    assert read_totals(run_dir / "junit.xml") == {"tests": 3, "failures": 0, "errors": 2, "skipped": 1}


def test_testpoint_env_reaches_the_test_and_its_replay(tmp_path: Path, icarus: None) -> None:
    project = write_counter_project(tmp_path / "counter", tests=["test_counts", "test_env_tokens"])
    plan = yaml.safe_load(project.testplan.read_text())
    tp = plan["kernels"]["counter"]["stages"]["smoke"]["testpoints"][1]
    tp["env"] = {"LDV_COUNTER_TOKENS": "9"}
    tp["sim_env"] = {"icarus": {"LDV_COUNTER_TOKENS": 3}}
    project.testplan.write_text(yaml.safe_dump(plan, sort_keys=False))
    proc, run_dir = _run_regress(project, tmp_path / "out", "--base-seed", "7")
    result = _results(run_dir)["test_env_tokens"]
    assert result["status"] == "pass", proc.stdout + proc.stderr
    assert result["metrics"] == {"tokens": 3}  # sim_env overrides env on Icarus
    assert result["env"] == {"LDV_COUNTER_TOKENS": "3"}
    assert "--env LDV_COUNTER_TOKENS=3" in result["replay"]

    # Without the testpoint's environment the same test cannot run: the env is what made it pass.
    del tp["env"], tp["sim_env"]
    project.testplan.write_text(yaml.safe_dump(plan, sort_keys=False))
    proc, run_dir = _run_regress(project, tmp_path / "bare", "--base-seed", "7")
    assert _results(run_dir)["test_env_tokens"]["status"] == "fail", proc.stdout + proc.stderr


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain *text* (read from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in args:
            found.append(args)
    return found


def test_sigterm_stops_running_simulations(tmp_path: Path, icarus: None) -> None:
    """A cancelled regression (SIGTERM, as CI sends) kills its simulations, not leaves them running."""
    project = write_counter_project(tmp_path / "counter", tests=["test_counts", "test_hangs"])
    out_root = tmp_path / "out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(project.root), str(REPO)])
    proc = subprocess.Popen([sys.executable, "-m", "llama_dv.regress.cli", "regress", "--suite", "smoke", "--sim", "icarus",
                             "--out-root", str(out_root), "--timeout", "600", "--jobs", "2", *plan_args(project)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out_root.glob("*/tests/icarus/counter-default/test_hangs-*/sim.log")):
            assert time.monotonic() < deadline and proc.poll() is None, "the hanging test never started"
            time.sleep(0.2)
        time.sleep(3)  # the simulator is up and stuck in the hang
        assert [a for a in _processes_mentioning(str(tmp_path)) if a.startswith("vvp")], "no vvp to stop"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out
    assert "interrupted; running builds and simulations were stopped" in out
    assert _processes_mentioning(str(tmp_path)) == []
