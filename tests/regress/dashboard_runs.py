"""Regression folders for the dashboard's tests, written through the real ``collect``
(JUnit, functional and Verilator code coverage merge, record, reports) from a small
testplan and job results: fast, and the same files a regression leaves.

Three runs of one suite beside each other: two that pass and one with an injected
failure, each with its logs, cocotb run files, cocotb-coverage exports (sampled with
cocotb-coverage itself), a Verilator coverage.dat over a small Verilog source, a waves
file, metrics, and a mutation result beside the regression root.
"""
from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

from cocotb_coverage.coverage import CoverPoint, coverage_db
import yaml

from llama_dv.regress.mutate.report import score, write_result
from llama_dv.regress.regression import collect
from llama_dv.regress.results import JobResult

TESTPLAN = """\
version: 1
name: dashboard-selftest
milestones:
  M1:
    title: Adder milestone
    testpoints:
      - name: tp_m1_add
        goal: Sums are right.
        stimulus: Random operands.
        check: Sum compared with Python.
        tests: [adder.test_add]
    signoff:
      - {kind: tests_pass, description: The adder adds., testpoints: [tp_m1_add]}
  M2:
    title: A later milestone
    testpoints:
      - name: tp_m2_long
        goal: Long runs.
        stimulus: Many operands.
        check: Sums.
        tests: [adder.test_long]
    signoff:
      - {kind: tests_pass, description: Long runs pass., testpoints: [tp_m2_long]}
kernels:
  counter:
    dut: counter
    stages:
      smoke:
        coverage_goal: {functional: 50, line: 80}
        testpoints:
          - name: tp_counts
            goal: Counts.
            stimulus: Random enables.
            check: Count compared.
            tests: [counter.test_counts]
          - name: tp_wrong
            goal: A check that compares.
            stimulus: Random enables.
            check: Count compared.
            tests: [counter.test_wrong_value]
            sims: [icarus]
      full:
        coverage_goal: {functional: 100}
        testpoints:
          - name: tp_full_random
            goal: Every step size.
            stimulus: Random.
            check: Count compared.
            tests: [counter.test_random]
suites:
  smoke:
    description: The counter's smoke stage and the adder milestone.
    select: [{stage: smoke}, {testpoint: tp_m1_add}]
"""

COUNTER_V = """\
module counter (input wire clk, input wire rst, input wire en, output reg [7:0] count);
  always @(posedge clk) begin
    if (rst) count <= 8'd0;
    else if (en)
      count <= count + 8'd1;
  end
endmodule
"""

FAILING_LOG = """\
     0.00ns INFO     cocotb.regression                  running test_wrong_value (1/1)
    20.00ns INFO     cocotb.counter                     reset released
    40.00ns INFO     cocotb.counter                     enable for 8 cycles
   130.00ns INFO     cocotb.counter                     count read back: 8
   130.00ns ERROR    cocotb.regression                  test_wrong_value failed
                                                        Traceback (most recent call last):
                                                          File "ldv_counter_tests.py", line 87, in test_wrong_value
                                                            assert got == n + 1
                                                        AssertionError: count mismatch: expected 9 got 8
   130.00ns INFO     cocotb.regression                  ** TESTS=1 PASS=0 FAIL=1 SKIP=0 **
"""


def _coverage_export(path: Path, steps: list[int], modes: list[str]) -> None:
    """A cocotb-coverage YAML export with a group that has holes and one that has none."""
    for key in [k for k in coverage_db if k.startswith(("counter.", "adder."))]:
        del coverage_db[key]

    @CoverPoint("counter.steps.n", xf=lambda n, m: n, bins=list(range(1, 9)))
    @CoverPoint("counter.mode.kind", xf=lambda n, m: m, bins=["run", "hold"])
    def sample(n: int, m: str) -> None:
        pass

    for n, m in zip(steps, modes):
        sample(n, m)
    coverage_db.export_to_yaml(str(path))
    # The in-process DB also holds whatever covergroups other tests of this pytest worker
    # imported; a test's export holds only its own, so keep the counter's.
    items = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({k: v for k, v in items.items() if k.split(".")[0] in ("counter", "adder")}))


def _code_dat(path: Path, source: Path, hits: tuple[int, int, int]) -> None:
    """A Verilator coverage.dat of *source*: three line blocks and two toggle points."""
    def point(kind: str, line: int, span: str, count: int, i: int) -> str:
        key = f"\x01f\x02{source}\x01l\x02{line}\x01n\x02{i}\x01t\x02{kind}\x01page\x02v_{kind}/counter\x01o\x02p{i}"
        return f"C '{key}" + (f"\x01S\x02{span}" if span else "") + f"\x01h\x02counter' {count}\n"
    points = [("line", 2, "2-3", hits[0]), ("line", 4, "4-5", hits[1]), ("line", 3, "3", hits[2]),
              ("toggle", 1, "", 3), ("toggle", 1, "", 0)]
    path.write_text("# SystemC::Coverage-3\n" + "".join(point(*p, i) for i, p in enumerate(points)))


def _job(run: Path, sim: str, dut: str, test: str, seed: int, status: str, duration: float, testpoint: str,
         sim_time_ns: float, message: str = "", log: str | None = None, metrics: dict | None = None,
         coverage: tuple[list[int], list[str]] | None = None, dat: tuple[Path, tuple[int, int, int]] | None = None,
         waves: bool = False) -> JobResult:
    rel = f"tests/{sim}/{dut}-default/{test}-{seed}"
    d = run / rel
    d.mkdir(parents=True)
    (d / "sim.log").write_text(log or f"     0.00ns INFO     cocotb.regression  running {test} (1/1)\n"
                                      f"  {sim_time_ns:.2f}ns INFO     cocotb.regression  {test} passed\n")
    (d / "run.json").write_text(json.dumps({"status": status, "cases": [
        {"name": test, "outcome": status, "message": message, "sim_time_ns": sim_time_ns}]}))
    fc = cc = None
    if coverage:
        _coverage_export(d / "functional_coverage.yml", *coverage)
        fc = f"{rel}/functional_coverage.yml"
    if dat:
        _code_dat(d / "coverage.dat", *dat)
        cc = f"{rel}/coverage.dat"
    if waves:
        (d / "waves.fst").write_bytes(b"FST waves of the run\n")
    return JobResult(job_id=f"{sim}/{dut}-default/{test}-{seed}", ref=f"{dut}.{test}", dut=dut, config="default",
                     test=test, sim=sim, seed=seed, status=status, duration_s=duration, message=message,
                     log=f"{rel}/sim.log", test_dir=rel,
                     replay=f"cd checkout && .venv/bin/python -m llama_dv.tb.sim.runner --sim {sim} --name {dut} "
                            f"--seed {seed} --testcase {test} --waves",
                     testpoints=[testpoint], functional_coverage=fc, code_coverage=cc, metrics=metrics or {})


def write_run(root: Path, name: str, started: str, failing: bool, cycles: list[int], wall: float,
              testplan: Path, source: Path) -> Path:
    """One regression folder *root*/*name*, collected and reported; returns it."""
    run = root / name
    run.mkdir(parents=True)
    seed = 100 + len(list(root.iterdir()))
    wrong = ("fail", "count mismatch: expected 9 got 8", FAILING_LOG) if failing else ("pass", "", None)
    results = [
        _job(run, "icarus", "counter", "test_counts", seed, "pass", 2.5, "tp_counts", 840.0,
             coverage=([1, 2, 3], ["run", "hold", "run"])),
        _job(run, "verilator", "counter", "test_counts", seed + 1, "pass", 1.2, "tp_counts", 840.0,
             coverage=([2, 4], ["run", "hold"]), dat=(source, (5, 0, 5) if failing else (5, 2, 0)), waves=True),
        _job(run, "icarus", "counter", "test_wrong_value", seed + 2, wrong[0], 3.1, "tp_wrong", 130.0,
             message=wrong[1], log=wrong[2], coverage=([5], ["run"])),
        _job(run, "icarus", "adder", "test_add", seed + 3, "pass", 4.0 + len(cycles), "tp_m1_add", 52_000.0,
             metrics={"cycles_per_token": sum(cycles) / len(cycles), "cycles_per_position": cycles}),
        JobResult(job_id="verilator/adder-default/test_add", ref="adder.test_add", dut="adder", config="default",
                  test="test_add", sim="verilator", seed=None, status="not_run",
                  message="adder is not registered for verilator", testpoints=["tp_m1_add"]),
    ]
    meta = {"suite": "smoke", "sims": ["icarus", "verilator"], "seeds_per_test": 1, "base_seed": seed,
            "fixed_seed": False, "jobs": 2, "waves": False, "shard": None, "timeout_s": 60.0,
            "registry": "fixture", "wall_time_s": wall, "git_commit": f"{seed:040x}", "tools": {"python": "3"},
            "testplan": str(testplan), "started": started, "command": ["llama-dv", "regress"],
            "launcher": {"name": "local"}}
    collect(run, results, meta, reports=True, stream=io.StringIO())
    return run


def write_mutation(mutate_root: Path, source: Path) -> None:
    """A `llama-dv mutate` result of the counter (RTL in *source*) beside the regression root."""
    mutants = [{"index": 1, "status": "killed", "description": "count[0] stuck at 0", "signal": "count[0]",
                "mode": "const0", "location": "counter.v:5", "killed_by": "test_counts", "message": "mismatch"},
               {"index": 2, "status": "survived", "description": "en inverted", "signal": "en", "mode": "inv",
                "location": f"{source}:4", "killed_by": None, "message": ""}]
    write_result(mutate_root / "counter-default" / "smoke-icarus", {
        "dut": "counter", "config": "default", "suite": "smoke", "sim": "icarus", "count": 2, "seed": 1,
        "tests": ["counter.test_counts"], "wall_s": 3.0, "jobs": 1, "mutants": mutants, "score": score(mutants)})


def write_runs(root: Path) -> dict[str, Path]:
    """Two passing runs and a failing one under *root*/build/regress, oldest first."""
    (root / "rtl").mkdir(parents=True)
    source = root / "rtl" / "counter.v"
    source.write_text(COUNTER_V)
    testplan = root / "testplan.yaml"
    testplan.write_text(textwrap.dedent(TESTPLAN))
    regress = root / "build" / "regress"
    regress.mkdir(parents=True)
    write_mutation(root / "build" / "mutate", source)
    return {
        "first": write_run(regress, "20261201-100000-smoke", "2026-12-01T10:00:00", False, [900, 950, 1000], 30.0,
                           testplan, source),
        "smoke": write_run(regress, "20261202-100000-smoke", "2026-12-02T10:00:00", False, [880, 930, 960], 25.0,
                           testplan, source),
        "failing": write_run(regress, "20261203-100000-smoke", "2026-12-03T10:00:00", True, [870, 920, 950], 27.0,
                             testplan, source),
    }
