"""Testplan validation: the schema and semantic errors name the file and the entry."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llama_dv.regress.registry import RegistryView
from llama_dv.regress.testplan import DEFAULT_TESTPLAN, TestplanError, load_testplan, validate
from tests.regress.counter_project import counter_testplan_yaml

COUNTER_TESTS = ["test_counts", "test_wrong_value"]


def _registry() -> RegistryView:
    return RegistryView("fake", {"counter": ["test_counts", "test_wrong_value"]})


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _base() -> dict:
    return yaml.safe_load(counter_testplan_yaml(COUNTER_TESTS))


def _tb(tmp_path: Path) -> Path:
    tb = tmp_path / "tb"
    tb.mkdir(exist_ok=True)
    (tb / "cov.py").write_text('@CoverPoint("counter.steps.n", bins=[1])\n')
    return tb


def test_project_testplan_is_valid() -> None:
    plan = load_testplan(DEFAULT_TESTPLAN)
    assert {"M1", "M2", "M3", "M4", "M5"} <= set(plan.milestones)
    assert {"matmul", "rmsnorm", "rope", "attention"} <= set(plan.kernels)
    assert {"smoke", "full", "nightly", "M1", "M5"} <= set(plan.suites)
    report = validate(plan, RegistryView.read(), DEFAULT_TESTPLAN.parents[1] / "tb")
    assert report.ok, report.errors


def test_valid_counter_plan(tmp_path: Path) -> None:
    plan = load_testplan(_write(tmp_path, _base()))
    report = validate(plan, _registry(), _tb(tmp_path))
    assert report.ok, report.errors
    assert any("planned test counter.test_future" in p for p in report.planned)
    assert any("planned covergroup 'counter.future_group'" in p for p in report.planned)


def test_unknown_test_names_file_and_entry(tmp_path: Path) -> None:
    data = _base()
    data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][1]["tests"] = ["counter.test_nope"]
    path = _write(tmp_path, data)
    report = validate(load_testplan(path), _registry(), _tb(tmp_path))
    assert len(report.errors) == 1
    msg = report.errors[0]
    assert str(path) in msg and "kernels.counter.stages.smoke.testpoints[1]" in msg
    assert "unknown test counter.test_nope" in msg and "tp_test_wrong_value" in msg


def test_unknown_dut_is_unknown_not_planned(tmp_path: Path) -> None:
    data = _base()
    data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]["tests"] = ["ghost.test_smoke"]
    report = validate(load_testplan(_write(tmp_path, data)), _registry(), _tb(tmp_path))
    assert any("DUT 'ghost' is not registered" in e for e in report.errors)


def test_missing_field_names_file_and_entry(tmp_path: Path) -> None:
    data = _base()
    del data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]["check"]
    path = _write(tmp_path, data)
    with pytest.raises(TestplanError) as err:
        load_testplan(path)
    text = str(err.value)
    assert str(path) in text and "kernels.counter.stages.smoke.testpoints[0]" in text
    assert "'check' is a required property" in text and "tp_test_counts" in text


def test_bad_stage_names_file_and_entry(tmp_path: Path) -> None:
    data = _base()
    stages = data["kernels"]["counter"]["stages"]
    stages["smoky"] = stages.pop("smoke")
    path = _write(tmp_path, data)
    with pytest.raises(TestplanError) as err:
        load_testplan(path)
    assert str(path) in str(err.value) and "kernels.counter.stages" in str(err.value)
    assert "'smoky'" in str(err.value)


def test_unknown_covergroup_is_an_error(tmp_path: Path) -> None:
    data = _base()
    data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]["covergroups"] = ["counter.nowhere"]
    path = _write(tmp_path, data)
    report = validate(load_testplan(path), _registry(), _tb(tmp_path))
    assert any("unknown covergroup 'counter.nowhere'" in e and "testpoints[0]" in e and str(path) in e
               for e in report.errors)


def test_testpoint_without_test_is_reported(tmp_path: Path) -> None:
    data = _base()
    data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]["tests"] = []
    report = validate(load_testplan(_write(tmp_path, data)), _registry(), _tb(tmp_path))
    assert any("testpoint has no test" in e and "tp_test_counts" in e for e in report.errors)


def test_bad_test_reference_syntax(tmp_path: Path) -> None:
    data = _base()
    data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]["tests"] = ["Counter test"]
    path = _write(tmp_path, data)
    with pytest.raises(TestplanError) as err:
        load_testplan(path)
    assert "kernels.counter.stages.smoke.testpoints[0].tests[0]" in str(err.value)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nmilestones: [\n")
    with pytest.raises(TestplanError) as err:
        load_testplan(path)
    assert str(path) in str(err.value) and "line" in str(err.value)


def test_suite_selector_must_exist(tmp_path: Path) -> None:
    data = _base()
    data["suites"]["smoke"]["select"] = [{"kernel": "nokernel"}]
    report = validate(load_testplan(_write(tmp_path, data)), _registry(), _tb(tmp_path))
    assert any("suites.smoke.select[0]" in e and "unknown kernel 'nokernel'" in e for e in report.errors)


def test_signoff_testpoint_must_exist(tmp_path: Path) -> None:
    data = _base()
    data["milestones"]["M1"]["signoff"][0]["testpoints"] = ["tp_missing"]
    report = validate(load_testplan(_write(tmp_path, data)), _registry(), _tb(tmp_path))
    assert any("milestones.M1.signoff[0]" in e and "tp_missing" in e for e in report.errors)


def test_env_of_a_testpoint_per_simulator(tmp_path: Path) -> None:
    data = _base()
    tp = data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]
    tp["env"] = {"LDV_TOKENS": 16}
    tp["sim_env"] = {"icarus": {"LDV_TOKENS": "2"}}
    point = load_testplan(_write(tmp_path, data)).testpoint("tp_test_counts")
    assert point.env_for("verilator") == {"LDV_TOKENS": "16"}
    assert point.env_for("icarus") == {"LDV_TOKENS": "2"}


def test_env_may_not_set_runner_variables(tmp_path: Path) -> None:
    data = _base()
    data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]["sim_env"] = {"icarus": {"LDV_METRICS_FILE": "x"}}
    path = _write(tmp_path, data)
    with pytest.raises(TestplanError) as err:
        load_testplan(path)
    text = str(err.value)
    assert str(path) in text and "kernels.counter.stages.smoke.testpoints[0]" in text
    assert "LDV_METRICS_FILE" in text and "runner sets per job" in text


def test_one_test_with_two_environments_is_an_error(tmp_path: Path) -> None:
    data = _base()
    tps = data["kernels"]["counter"]["stages"]["smoke"]["testpoints"]
    tps[1]["tests"] = list(tps[0]["tests"])
    tps[1]["env"] = {"LDV_TOKENS": "4"}
    path = _write(tmp_path, data)
    with pytest.raises(TestplanError) as err:
        load_testplan(path)
    text = str(err.value)
    assert "testpoints[1] (testpoint 'tp_test_wrong_value'): test counter.test_counts on verilator" in text
    assert "testpoints[0] (testpoint 'tp_test_counts') gives it {}" in text


def test_bad_env_name_is_a_schema_error(tmp_path: Path) -> None:
    data = _base()
    data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][0]["env"] = {"lower-case": "1"}
    path = _write(tmp_path, data)
    with pytest.raises(TestplanError) as err:
        load_testplan(path)
    assert str(path) in str(err.value) and "testpoints[0].env" in str(err.value)


def test_code_coverage_opt_out_covers_the_whole_build(tmp_path: Path) -> None:
    """One build per (DUT, config, simulator): a testpoint that opts out turns coverage off
    for every job of that build, in every shard alike."""
    from llama_dv.regress.selection import plan_jobs, shard

    data = _base()
    data["kernels"]["counter"]["stages"]["smoke"]["testpoints"][1]["code_coverage"] = False
    plan = load_testplan(_write(tmp_path, data))
    jobs, _ = plan_jobs(plan, plan.suite_testpoints("smoke"), _registry(), ("verilator", "icarus"), 1, 5)
    assert len(jobs) == 4 and not any(j.code_coverage for j in jobs)
    assert not any(j.code_coverage for k in (1, 2) for j in shard(jobs, k, 2))
    plain = load_testplan(_write(tmp_path, _base()))
    jobs, _ = plan_jobs(plain, plain.suite_testpoints("smoke"), _registry(), ("verilator",), 1, 5)
    assert len(jobs) == 2 and all(j.code_coverage for j in jobs)
