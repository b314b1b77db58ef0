"""llama_dv.regress.bench: real Icarus runs of matmul give consistent throughput figures; bad input,
a wrong call count or a malformed record (zero/negative counts, rates that do not match
their counts) is a clear error."""
from __future__ import annotations

import copy
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from llama_dv.regress import bench
from llama_dv.tb import dut_registry as duts


def test_bench_matmul_icarus_counts_calls_and_cycles(tmp_path: Path, icarus: None, seed: int) -> None:
    out = tmp_path / "bench.json"
    rc = bench.main(["--sim", "icarus", "--kernel", "matmul", "--calls", "3", "--no-clash",
                     "--seed", str(seed), "--out", str(out)])
    assert rc == 0
    record = json.loads(out.read_text())
    results = {r["flow"]: r for r in record["results"]}
    assert set(results) == {"random", "full-rate"}
    for r in results.values():
        assert r["sim"] == "icarus" and r["dut"] == "matmul" and r["seed"] == seed
        assert r["calls"] == 3, "every requested call must be counted by the scoreboard"
        assert r["sim_cycles"] > 0 and r["test_wall_s"] > 0 and r["build_s"] >= 0
        assert r["invocations_per_s"] == pytest.approx(3 / r["test_wall_s"])
        assert r["cycles_per_s"] == pytest.approx(r["sim_cycles"] / r["test_wall_s"])
        assert r["wall_s_per_invocation"] == pytest.approx(r["test_wall_s"] / 3)
        # Icarus and cocotb run in one single-threaded process: it can use at most one core.
        assert r["run_cpu_s"] > 0 and 0 < r["cpu_share"] <= 1.1
        assert r["invocations_per_cpu_s"] == pytest.approx(3 / (r["test_wall_s"] * r["cpu_share"]))
        assert Path(r["log"]).is_relative_to(tmp_path)
    # Same calls and seed: memory with random latency and READY/VALID gaps cannot finish
    # in fewer cycles than zero-wait memory.
    assert results["random"]["sim_cycles"] >= results["full-rate"]["sim_cycles"]


def _record() -> dict[str, object]:
    """A well-formed record: one kernel case and one Clash case with made-up figures."""
    kernel = bench.Measurement(dut="matmul", sim="icarus", flow="random", testcase="MatmulRandom", seed=1,
                               calls=10, sim_cycles=5000, test_wall_s=2.5, startup_s=1.0, build_s=0.5,
                               build_cached=False, build_recorded_s=0.5, load_avg=1.0,
                               calls_knob="LDV_RANDOM_CALLS", log="sim.log", run_cpu_s=1.75,
                               build_cpu_s=0.4)
    clash = bench.Measurement(dut="clash_argmax_vocab", sim="verilator", flow="fixed", testcase=None, seed=1,
                              calls=None, sim_cycles=800, test_wall_s=0.4, startup_s=1.0, build_s=0.0,
                              build_cached=True, build_recorded_s=1.2, load_avg=1.0, calls_knob=None,
                              log="sim.log")
    return {"results": [kernel.to_json(), clash.to_json()]}


def test_check_record_accepts_a_consistent_record() -> None:
    record = _record()
    bench.check_record(record)
    assert record["results"][0]["invocations_per_s"] == pytest.approx(4.0)
    assert record["results"][0]["cycles_per_s"] == pytest.approx(2000.0)
    # 1.75 CPU s over 1.0 + 2.5 s of run: half a core, so the test's 2.5 s are 1.25 CPU s.
    assert record["results"][0]["cpu_share"] == pytest.approx(0.5)
    assert record["results"][0]["invocations_per_cpu_s"] == pytest.approx(8.0)


@pytest.mark.parametrize(("field", "value", "error"), [
    ("calls", 0, "calls must be a positive integer, got 0"),
    ("calls", -3, "calls must be a positive integer, got -3"),
    ("calls", None, "an HLS kernel case needs its call count"),
    ("sim_cycles", 0, "sim_cycles must be a positive integer, got 0"),
    ("sim_cycles", -5000, "sim_cycles must be a positive integer"),
    ("test_wall_s", 0.0, "test_wall_s must be positive, got 0.0"),
    ("build_s", -1.0, "build_s must be >= 0"),
    ("sim", "xsim", "unknown simulator 'xsim'"),
    ("invocations_per_s", 40.0, r"invocations_per_s 40.0 is not calls / test_wall_s \(4.0\)"),
    ("cycles_per_s", 1.0, "cycles_per_s 1.0 is not sim_cycles / test_wall_s"),
    ("test_wall_s", "fast", "missing or non-numeric field"),
    ("run_cpu_s", 0.0, "run_cpu_s must be positive when recorded, got 0.0"),
])
def test_check_record_rejects_a_malformed_result(field: str, value: object, error: str) -> None:
    record = _record()
    record["results"][0][field] = value
    with pytest.raises(bench.BenchError, match=r"bench.json: results\[0\] \(matmul on .*, random\): " + error):
        bench.check_record(record, "bench.json")


def test_check_record_rejects_missing_results_and_fields() -> None:
    with pytest.raises(bench.BenchError, match="b.json: no results"):
        bench.check_record({"results": []}, "b.json")
    record = _record()
    del record["results"][1]["sim_cycles"]
    with pytest.raises(bench.BenchError, match=r"results\[1\] .*missing or non-numeric field .*sim_cycles"):
        bench.check_record(record)
    broken = copy.deepcopy(_record())
    broken["results"][1]["calls"] = 0
    with pytest.raises(bench.BenchError, match="calls must be a positive integer, got 0"):
        bench.check_record(broken)


def test_malformed_cocotb_results_are_a_clear_error(tmp_path: Path) -> None:
    xml = tmp_path / "results.xml"
    xml.write_text("<testsuites><testsuite><testcase name='t' time='1.5'")
    with pytest.raises(bench.BenchError, match="results.xml: unreadable cocotb results"):
        bench._test_wall_and_sim_ns(xml)
    xml.write_text("<testsuites><testsuite><testcase name='t' time='1.5'>"
                   "<property name='sim_time_duration' value='40'/><property name='sim_time_unit' value='ps'/>"
                   "</testcase></testsuite></testsuites>")
    with pytest.raises(bench.BenchError, match="sim time in 'ps', expected ns"):
        bench._test_wall_and_sim_ns(xml)


def test_log_without_scoreboard_counts_has_no_calls(tmp_path: Path) -> None:
    log = tmp_path / "sim.log"
    log.write_text("matmul: 3 calls matched the golden (3 outputs compared)\n"
                   "clash_mac: 4 transactions matched the golden\n")
    assert bench.count_invocations(log) == 7
    log.write_text("no scoreboard ran\n")
    assert bench.count_invocations(log) is None


def test_fresh_build_is_built_without_ccache_then_reused(tmp_path: Path, icarus: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    dut = replace(duts.get_dut("matmul", "icarus"), build_root=tmp_path / "builds")
    monkeypatch.delenv("CCACHE_DISABLE", raising=False)
    build_s, cached, recorded, build_cpu = bench.timed_build(dut, fresh=True)
    assert not cached and build_s > 0 and recorded is not None and recorded > 0
    assert build_cpu > 0, "the build's CPU time comes from its reaped processes"
    assert "CCACHE_DISABLE" not in os.environ, "the fresh build's environment must be restored"
    assert dut.build_dir.is_dir() and dut.build_dir.parent == tmp_path / "builds" / "icarus"
    _, cached, again, _ = bench.timed_build(dut)
    assert cached and again == recorded


def test_bench_fails_when_the_scoreboard_count_differs(tmp_path: Path, icarus: None) -> None:
    (case,) = [c for c in bench.hls_cases("matmul", calls=3) if c.flow == "full-rate"]
    short = bench.BenchCase(case.dut, case.flow, case.testcase, case.period_ns, expected_calls=3,
                            env={**case.env, "LDV_RANDOM_CALLS": "2"})
    with pytest.raises(bench.BenchError, match="matched 2 calls, expected 3"):
        bench.measure(short, "icarus", runs_dir=tmp_path)


def test_unknown_kernel_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(bench.BenchError, match=r"unknown kernel 'matmull'; known: attention, matmul, rmsnorm, rope"):
        bench.hls_cases("matmull")
    rc = bench.main(["--sim", "icarus", "--kernel", "matmull", "--out", str(tmp_path / "b.json")])
    assert rc == 2
    assert "unknown kernel 'matmull'" in capsys.readouterr().err
    assert not (tmp_path / "b.json").exists()


def test_bad_calls_and_clash_top_are_clear_errors() -> None:
    with pytest.raises(bench.BenchError, match="--calls must be at least 1, got 0"):
        bench.hls_cases("matmul", calls=0)
    with pytest.raises(bench.BenchError, match="unknown Clash top 'nope'"):
        bench.clash_case("nope", "icarus")
    with pytest.raises(bench.BenchError, match="unknown simulator 'xsim'"):
        bench.plan(["xsim"], ["matmul"], 1, [])


def test_combinational_clash_top_has_no_cycles_to_count() -> None:
    if "clash_online_softmax_step" not in duts.list_duts():
        pytest.skip("rtl/gen/online_softmax_step is not generated (run the Clash flow)")
    with pytest.raises(bench.BenchError, match="combinational"):
        bench.clash_case("online_softmax_step", "icarus")


def test_profile_splits_test_time_into_python_and_simulator(tmp_path: Path, icarus: None) -> None:
    (case,) = [c for c in bench.hls_cases("matmul", calls=1) if c.flow == "full-rate"]
    m = bench.measure(case, "icarus", runs_dir=tmp_path, profile=True)
    assert m.python_s is not None and m.python_s > 0
    assert m.profiled_wall_s is not None and m.profiled_wall_s >= m.python_s
    assert m.simulator_s == pytest.approx(m.profiled_wall_s - m.python_s)
    assert m.python_share is not None and 0.0 <= m.python_share <= 1.0


def test_summary_table_has_one_row_per_kernel_and_simulator() -> None:
    record = _record()
    keys = set(bench.Measurement.__dataclass_fields__)
    random_flow = bench.Measurement(**{k: v for k, v in record["results"][0].items() if k in keys})
    full_rate = replace(random_flow, flow="full-rate", calls=20, sim_cycles=3000, test_wall_s=1.0,
                        startup_s=1.0, run_cpu_s=2.0, build_cached=True)
    table = bench.summary_table([random_flow, full_rate, bench.Measurement(
        **{k: v for k, v in record["results"][1].items() if k in keys})])
    rows = table.splitlines()
    assert len(rows) == 3, table
    assert rows[2] == ("| matmul | icarus | 4.0 | 20.0 | 2,000 | 3,000 | 8.0 / 20.0 | 4,000 / 3,000 | 0.50/1.00 | "
                       "0.5 (0.4) |")
