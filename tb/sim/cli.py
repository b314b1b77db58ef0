"""`python -m llama_dv.tb.sim.runner`: build and run one test from the command line (what a
replay command runs)."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from llama_dv.tb.sim.dut_build import SIMULATORS, DutBuild
from llama_dv.tb.sim.runner import run

def _key_values(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"expected KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line build+run of one test; what ``replay_command`` emits."""
    p = argparse.ArgumentParser(prog="python -m llama_dv.tb.sim.runner", description=main.__doc__)
    p.add_argument("--sim", choices=SIMULATORS, required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--config", default="default")
    p.add_argument("--toplevel", required=True)
    p.add_argument("--source", action="append", default=[], type=Path, required=True)
    p.add_argument("--include", action="append", default=[], type=Path)
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--define", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--build-arg", action="append", default=[])
    p.add_argument("--data-file", action="append", default=[], type=Path,
                   help="memory-init file staged into the run directory (repeatable)")
    p.add_argument("--timescale", default="1ns/1ps")
    p.add_argument("--build-root", type=Path)
    p.add_argument("--test-module", required=True)
    p.add_argument("--testcase")
    p.add_argument("--seed", type=int)
    p.add_argument("--waves", action="store_true")
    p.add_argument("--coverage", action="store_true")
    p.add_argument("--timeout", type=float, help="seconds before the simulation is killed")
    p.add_argument("--python-path", action="append", default=[], type=Path)
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--plusarg", action="append", default=[])
    a = p.parse_args(argv)
    unit, _, precision = a.timescale.partition("/")
    dut = DutBuild(name=a.name, sim=a.sim, sources=a.source, toplevel=a.toplevel,
                   parameters=dict(_key_values(a.param)), defines=dict(_key_values(a.define)),
                   build_args=a.build_arg, includes=a.include, config=a.config,
                   timescale=(unit, precision or unit), build_root=a.build_root, data_files=a.data_file)
    result = run(dut, a.test_module, testcase=a.testcase, seed=a.seed, waves=a.waves,
                 coverage=a.coverage, timeout_s=a.timeout, extra_env=_key_values(a.env),
                 plusargs=a.plusarg, python_path=a.python_path)
    print(f"{result.status.upper()}: {result.passed}/{result.tests} passed, seed {result.seed}, "
          f"{result.duration_s:.1f} s")
    if result.message:
        print(result.message)
    print(f"log:   {result.log}")
    if result.waves:
        print(f"waves: {result.waves}")
    return 0 if result.ok else 1
