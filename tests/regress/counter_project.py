"""A throwaway DUT (8-bit counter) with passing, failing, hanging and crashing cocotb
tests, its registry module and a small testplan, written into a temporary folder.

The regression's own tests run on it: it is cheap to build on Icarus, and each of its
tests ends in a different way the runner must classify.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

COUNTER_V = """\
`timescale 1ns/1ps
module counter (input wire clk, input wire rst, input wire en, output reg [7:0] count);
  always @(posedge clk) begin
    if (rst) count <= 8'd0;
    else if (en) count <= count + 8'd1;
  end
endmodule
"""

TESTS_PY = '''\
"""cocotb tests of the throwaway counter: one passes, one fails with seed-dependent
values, one hangs, one crashes the simulator, one needs its testpoint's environment."""
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, Timer
from cocotb_coverage.coverage import CoverPoint, coverage_db


@CoverPoint("counter.steps.n", xf=lambda n: n, bins=list(range(1, 9)))
def sample_steps(n):
    pass


def export_coverage():
    path = os.environ.get("LDV_COVERAGE_FILE")
    if path:
        coverage_db.export_to_yaml(path)


async def reset(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.en.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await RisingEdge(dut.clk)


async def count_for(dut, n):
    dut.en.value = 1
    await ClockCycles(dut.clk, n)
    dut.en.value = 0
    await ClockCycles(dut.clk, 2)
    return int(dut.count.value)


@cocotb.test()
async def test_counts(dut):
    await reset(dut)
    total = 0
    for _ in range(MODE_STEPS):
        n = random.randint(1, 8)
        sample_steps(n)
        total += n
        assert await count_for(dut, n) == total % 256
    export_coverage()
    metrics = os.environ.get("LDV_METRICS_FILE")
    if metrics:
        with open(metrics, "w") as f:
            f.write('{"cycles_per_token": %d}' % (total + 4 * MODE_STEPS))


@cocotb.test()
async def test_wrong_value(dut):
    """Injected failure: expects one more count than was enabled."""
    await reset(dut)
    n = random.randint(3, 200)
    sample_steps(min(n, 8))
    got = await count_for(dut, n)
    export_coverage()
    assert got == n + 1, f"count mismatch: expected {n + 1} got {got}"


@cocotb.test()
async def test_env_tokens(dut):
    """Runs only with the testpoint's environment; reports what it got as a metric."""
    tokens = int(os.environ["LDV_COUNTER_TOKENS"])
    await reset(dut)
    assert await count_for(dut, tokens) == tokens
    with open(os.environ["LDV_METRICS_FILE"], "w") as f:
        f.write('{"tokens": %d}' % tokens)


@cocotb.test()
async def test_hangs(dut):
    """Injected hang: waits on a clock that runs forever."""
    await reset(dut)
    await Timer(10**12, unit="ns")


@cocotb.test()
async def test_crashes(dut):
    """Injected simulator crash."""
    await reset(dut)
    os.abort()
'''

REGISTRY_PY = '''\
"""Registry of the throwaway counter DUT (same interface as llama_dv.tb.dut_registry)."""
from pathlib import Path

from llama_dv.tb.sim.runner import DutBuild

HERE = Path(__file__).resolve().parent
TESTS = ["test_counts", "test_wrong_value", "test_hangs", "test_crashes", "test_env_tokens"]


def list_duts():
    return ["counter"]


def get_dut(name, sim, config="default"):
    if name != "counter" or config != "default":
        raise KeyError(f"unknown DUT {name}@{config}")
    return DutBuild(name="counter", sim=sim, sources=[HERE / "counter.v"], toplevel="counter",
                    build_root=HERE / "build")


def test_module(name):
    return "ldv_counter_tests"


def list_tests(name):
    return list(TESTS) if name == "counter" else []
'''


def counter_testplan_yaml(tests: list[str], planned_test: bool = True, sims: str = "icarus") -> str:
    """A testplan with one kernel stage testpoint per test and one milestone."""
    tps = []
    for t in tests:
        tps.append(textwrap.dedent(f"""\
            - name: tp_{t}
              goal: {t} ends as designed.
              stimulus: Random enable runs.
              check: Count compared with the number of enabled cycles.
              tests: [counter.{t}]
        """))
    if planned_test:
        tps.append(textwrap.dedent("""\
            - name: tp_future
              goal: A test that is not written yet.
              stimulus: None yet.
              check: None yet.
              tests: [counter.test_future]
              covergroups: [counter.future_group]
              status: planned
        """))
    body = "".join(textwrap.indent(tp, "          ") for tp in tps)
    return textwrap.dedent("""\
        version: 1
        name: counter-selftest
        milestones:
          M1:
            title: Counter milestone
            testpoints: []
            signoff:
              - kind: tests_pass
                description: Counting works and the future test passes.
                testpoints: [tp_test_counts, tp_future]
              - kind: coverage_min
                description: Every step size covered (at most 5 of 8 bins are ever sampled).
                goal: {functional: 100, covergroups: [counter.steps]}
        kernels:
          counter:
            dut: counter
            stages:
              smoke:
                coverage_goal: {functional: 50, covergroups: [counter.steps]}
                testpoints:
        """) + body + textwrap.dedent("""\
        suites:
          smoke:
            description: Every counter test.
            select: [{stage: smoke}]
            sims: [SIMS]
            timeout_s: 20
        """).replace("SIMS", sims)


@dataclass
class CounterProject:
    root: Path
    testplan: Path
    registry: str = "ldv_counter_registry"

    @property
    def tb_dir(self) -> Path:
        return self.root


def write_counter_project(root: Path, tests: list[str] | None = None, steps: int = 4,
                          sims: str = "icarus") -> CounterProject:
    """Write the DUT, tests, registry and testplan into *root*; returns their locations."""
    tests = tests or ["test_counts", "test_wrong_value", "test_hangs", "test_crashes"]
    root.mkdir(parents=True, exist_ok=True)
    (root / "counter.v").write_text(COUNTER_V)
    (root / "ldv_counter_tests.py").write_text(TESTS_PY.replace("MODE_STEPS", str(steps)))
    (root / "ldv_counter_registry.py").write_text(REGISTRY_PY)
    plan = root / "testplan.yaml"
    plan.write_text(counter_testplan_yaml(tests, sims=sims))
    return CounterProject(root, plan)
