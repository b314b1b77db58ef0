"""The runner's order on a real regression: two counter DUTs on Icarus, one slot.

An earlier ``record.json`` says the second DUT's test is long (100 s) and everything else
short. With the expected times read from it, the second DUT's build starts first (the
longest chain), and its test as soon as that build is done, before the first DUT's
build: the order before the scheduler (every build first, in name order) ran both
builds before any test. Without that record the defaults (every test alike) keep the
name order, so the record is what decides the order.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.regress.conftest import REPO
from tests.regress.counter_project import COUNTER_V, TESTS_PY

pytestmark = pytest.mark.sim

REGISTRY_PY = '''\
"""Two copies of the throwaway counter, so one regression has two builds."""
from pathlib import Path

from llama_dv.tb.sim.runner import DutBuild

HERE = Path(__file__).resolve().parent
TESTS = ["test_counts"]


def list_duts():
    return ["first", "second"]


def get_dut(name, sim, config="default"):
    if name not in list_duts() or config != "default":
        raise KeyError(f"unknown DUT {name}@{config}")
    return DutBuild(name=name, sim=sim, sources=[HERE / "counter.v"], toplevel="counter",
                    build_root=HERE / "build")


def test_module(name):
    return "ldv_counter_tests"


def list_tests(name):
    return list(TESTS) if name in list_duts() else []
'''


def _testplan() -> str:
    stages = ""
    for dut in ("first", "second"):
        stages += textwrap.dedent(f"""\
              {dut}:
                dut: {dut}
                stages:
                  smoke:
                    testpoints:
                      - name: tp_{dut}
                        goal: The counter counts.
                        stimulus: Random enable runs.
                        check: Count compared with the enabled cycles.
                        tests: [{dut}.test_counts]
            """)
    return ("version: 1\nname: schedule-selftest\nmilestones: {}\nkernels:\n" + textwrap.indent(stages, "  ")
            + textwrap.dedent("""\
                suites:
                  smoke:
                    description: Both counters.
                    select: [{stage: smoke}]
                    sims: [icarus]
                    timeout_s: 30
                """))


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "counter.v").write_text(COUNTER_V)
    (root / "ldv_counter_tests.py").write_text(TESTS_PY.replace("MODE_STEPS", "2"))
    (root / "ldv_sched_registry.py").write_text(REGISTRY_PY)
    (root / "testplan.yaml").write_text(_testplan())
    return root


def _previous_record(out_root: Path) -> Path:
    """An earlier regression's record: the second DUT's test took 100 s, the rest about 1 s."""
    def result(dut: str, seconds: float) -> dict:
        return {"job_id": f"icarus/{dut}-default/test_counts-1", "ref": f"{dut}.test_counts", "dut": dut,
                "config": "default", "test": "test_counts", "sim": "icarus", "seed": 1, "status": "pass",
                "duration_s": seconds, "message": "", "env": {}}
    folder = out_root / "20260101-000000-smoke"
    folder.mkdir(parents=True)
    record = {"version": 1, "results": [result("first", 1.0), result("second", 100.0)],
              "launcher": {"name": "local", "schedule": {"items": [
                  {"kind": "build", "name": "icarus/first-default", "build_s": 1.0},
                  {"kind": "build", "name": "icarus/second-default", "build_s": 1.0}]}}}
    (folder / "record.json").write_text(json.dumps(record))
    return folder


def _regress(project: Path, out_root: Path, build_root: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(project), str(REPO)])
    env["LLAMA_DV_BUILD_ROOT"] = str(build_root)  # no records of the checkout's own runs
    proc = subprocess.run([sys.executable, "-m", "llama_dv.regress.cli", "regress", "--suite", "smoke", "--jobs", "1",
                           "--base-seed", "5", "--no-report", "--out-root", str(out_root),
                           "--testplan", str(project / "testplan.yaml"), "--registry", "ldv_sched_registry",
                           "--tb-dir", str(project)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=240, check=False)
    return proc, (out_root / "latest").resolve()


def _second_test_ended_before_first_build(project: Path, run_dir: Path) -> tuple[bool, str]:
    """From the files alone: the second DUT's results.xml is older than the first build's stamp."""
    results = next((run_dir / "tests" / "icarus").glob("second-default/test_counts-*/results.xml"))
    stamp = next((project / "build" / "icarus").glob("first-default-*/llama-dv-build.json"))
    test_end, build_end = results.stat().st_mtime, stamp.stat().st_mtime
    return test_end < build_end, f"second test ended at {test_end:.3f}, first build at {build_end:.3f}"


def test_a_built_configurations_test_starts_before_a_later_queued_build(tmp_path: Path) -> None:
    if shutil.which("iverilog") is None:
        pytest.skip("Icarus Verilog is not installed; run `make setup`")
    project = _project(tmp_path / "proj")
    out_root = tmp_path / "out"
    previous = _previous_record(out_root)
    proc, run_dir = _regress(project, out_root, tmp_path / "build")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert run_dir != previous.resolve()
    before, why = _second_test_ended_before_first_build(project, run_dir)
    assert before, f"{why}\n{out}"

    assert "1 earlier record(s)" in out, out
    record = json.loads((run_dir / "record.json").read_text())
    items = {i["name"]: i for i in record["launcher"]["schedule"]["items"]}
    second_run = next(i for n, i in items.items() if n.startswith("icarus/second-default/"))
    assert (second_run["expected_s"], second_run["source"]) == (100.0, "record")
    assert items["icarus/second-default"]["start_s"] < second_run["start_s"] < items["icarus/first-default"]["start_s"]
    # This run's builds are real and timed, so the next run reads them from its record.
    assert items["icarus/first-default"]["status"] == "built" and items["icarus/first-default"]["build_s"] > 0

    # The same regression without the earlier record: every test is expected alike, so
    # the first DUT (first in name order) is built and tested first.
    shutil.rmtree(project / "build")
    proc, run_dir = _regress(project, tmp_path / "bare", tmp_path / "build2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 earlier record(s)" in proc.stdout
    before, why = _second_test_ended_before_first_build(project, run_dir)
    assert not before, why
