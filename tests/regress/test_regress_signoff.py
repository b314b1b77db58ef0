"""Sign-off criteria: each kind passes on sufficient evidence and fails without it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from llama_dv.regress.funccov import FunctionalCoverage
from llama_dv.regress.results import JobResult
from llama_dv.regress.signoff import Evidence, evaluate, signoff
from llama_dv.regress.testplan import load_testplan
from tests.regress.counter_project import counter_testplan_yaml


@pytest.fixture
def plan(tmp_path: Path):
    data = yaml.safe_load(counter_testplan_yaml(["test_counts"], planned_test=False))
    data["milestones"]["M1"]["signoff"] = [{"kind": "tests_pass", "description": "counts",
                                            "testpoints": ["tp_test_counts"]}]
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_testplan(path)


def _result(status: str, sim: str = "icarus", dut: str = "counter", test: str = "test_counts",
            metrics: dict | None = None) -> JobResult:
    return JobResult(job_id=f"{sim}/{dut}-default/{test}-1", ref=f"{dut}.{test}", dut=dut, config="default",
                     test=test, sim=sim, seed=1, status=status, metrics=metrics or {})


def _evidence(tmp_path: Path, results: list[JobResult]) -> Evidence:
    return Evidence(results, FunctionalCoverage(), {}, [], tmp_path / "synth")


def _both(status: str = "pass") -> list[JobResult]:
    return [_result(status), _result(status, sim="verilator")]


def test_tests_pass_needs_a_passing_run_on_every_simulator(plan, tmp_path: Path) -> None:
    crit = plan.milestones["M1"]["signoff"][0]
    assert evaluate(plan, "M1", crit, _evidence(tmp_path, _both())).passed
    assert not evaluate(plan, "M1", crit, _evidence(tmp_path, [_result("pass")])).passed
    assert not evaluate(plan, "M1", crit, _evidence(tmp_path, [_result("pass"), _result("fail", sim="verilator")])).passed
    assert not evaluate(plan, "M1", crit, _evidence(tmp_path, [])).passed
    icarus_only = dict(crit, sims=["icarus"])
    assert evaluate(plan, "M1", icarus_only, _evidence(tmp_path, [_result("pass")])).passed
    assert signoff(plan, _evidence(tmp_path, _both()))["M1"]["met"]


def test_synth_metric_reads_the_synthesis_report(plan, tmp_path: Path) -> None:
    crit = {"kind": "synth_metric", "description": "KV in BRAM", "top": "kv", "metric": "bram", "op": ">=", "value": 1}
    ev = _evidence(tmp_path, [])
    missing = evaluate(plan, "M1", crit, ev)
    assert not missing.passed and "no synthesis result" in missing.evidence[0]
    ev.synth_dir.mkdir()
    report = {"top": "kv", "status": "ok", "resources": {"lut": 120, "ff": 80, "dsp": 0, "bram": 0}}
    (ev.synth_dir / "kv.json").write_text(json.dumps(report))
    assert not evaluate(plan, "M1", crit, ev).passed
    report["resources"]["bram"] = 2
    (ev.synth_dir / "kv.json").write_text(json.dumps(report))
    ok = evaluate(plan, "M1", crit, ev)
    assert ok.passed and "bram = 2" in ok.evidence[0]
    (ev.synth_dir / "kv.json").write_text(json.dumps({"top": "kv", "status": "failed", "error": "yosys died"}))
    assert not evaluate(plan, "M1", crit, ev).passed


def test_cycles_per_token_needs_a_passing_decoder_run(plan, tmp_path: Path) -> None:
    crit = {"kind": "cycles_per_token", "description": "budget", "dut": "decoder", "max": 1000}
    assert not evaluate(plan, "M3", crit, _evidence(tmp_path, [])).passed
    fast = _result("pass", dut="decoder", test="gen", metrics={"cycles_per_token": 900})
    slow = _result("pass", sim="verilator", dut="decoder", test="gen", metrics={"cycles_per_token": 1100})
    failed = _result("fail", dut="decoder", test="gen2", metrics={"cycles_per_token": 10})
    assert evaluate(plan, "M3", crit, _evidence(tmp_path, [fast])).passed
    assert not evaluate(plan, "M3", crit, _evidence(tmp_path, [fast, slow])).passed
    assert not evaluate(plan, "M3", crit, _evidence(tmp_path, [failed])).passed


def test_structural_needs_every_requirement(plan, tmp_path: Path) -> None:
    crit = {"kind": "structural", "description": "x", "requires": [
        {"kind": "tests_pass", "description": "t", "testpoints": ["tp_test_counts"]},
        {"kind": "cycles_per_token", "description": "c", "dut": "decoder", "max": 10}]}
    result = evaluate(plan, "M1", crit, _evidence(tmp_path, _both()))
    assert not result.passed
    assert result.evidence[0].startswith("PASS tests_pass") and result.evidence[1].startswith("FAIL cycles_per_token")


def test_project_signoff_is_not_met_without_hardware(tmp_path: Path) -> None:
    """With no results at all every project milestone is NOT MET, never passed."""
    from llama_dv.regress.signoff import run_signoff

    empty = tmp_path / "no-runs"
    empty.mkdir()
    rc = run_signoff(run_dirs=[empty], out_dir=tmp_path / "out", synth_dir=tmp_path / "synth",
                     mutate_dir=tmp_path / "mutate")
    assert rc == 1
    report = json.loads((tmp_path / "out" / "signoff.json").read_text())
    kernels = {name for name, body in load_testplan().kernels.items() if body.get("signoff")}
    assert kernels == {"matmul", "rmsnorm", "rope", "attention"}
    assert set(report["milestones"]) == {"M1", "M2", "M3", "M4", "M5"} | kernels
    assert not any(m["met"] for m in report["milestones"].values())
