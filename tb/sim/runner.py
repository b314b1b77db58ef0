"""Build and run cocotb tests on Verilator or Icarus, one DUT configuration at a time.

Used by the pytest tests and by the regression runner, so it has to be safe under
pytest-xdist and in long regressions:

* builds are cached per (simulator, DUT, config, coverage, waves) and keyed on a hash
  of the sources and options, with a file lock so parallel workers build once;
* every simulation runs in a child Python process in its own process group, so a hang
  is killed after ``timeout_s`` and a simulator crash is reported, never propagated;
* every run gets its own directory, log, results XML and a recorded seed, plus the one
  shell command (``replay_command``) that reproduces it with waves on.

The pieces live beside it: `dut_build` (configurations and the build-cache key),
`processes` (child process groups), `results` (results XML, `RunResult`), `replay`
(the replay command) and `cli` (``python -m llama_dv.tb.sim.runner --help``, what replays run).
"""
from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from llama_dv.tb.sim import toolchain
from llama_dv.tb.sim.dut_build import (BUILD_ROOT_ENV, REPO_ROOT, SIMULATORS, STAMP_NAME, VERILATOR_COVERAGE_ARGS,
                              VERILATOR_SPLIT_ARGS, VERILATOR_WAVES_ARGS, BuildError, DutBuild, build_hash,
                              default_build_root, up_to_date)
from llama_dv.tb.sim.processes import Stopped, child_env, locked, spawn, stop_children
from llama_dv.tb.sim.replay import replay_command
from llama_dv.tb.sim.results import CaseResult, RunResult, parse_results, tail

__all__ = ["BUILD_ROOT_ENV", "REPO_ROOT", "RUN_RECORD_NAME", "SIMULATORS", "STAMP_NAME", "VERILATOR_COVERAGE_ARGS",
           "VERILATOR_SPLIT_ARGS", "VERILATOR_WAVES_ARGS", "BuildError", "CaseResult", "DutBuild", "RunResult",
           "Stopped", "build", "build_is_current", "default_build_root", "default_test_dir", "new_seed",
           "parse_results", "replay_command", "run", "stage_data_files", "stop_children"]

RUN_RECORD_NAME = "run.json"


def build(dut: DutBuild, *, coverage: bool = False, waves: bool = False,
          timeout_s: float | None = None) -> Path:
    """Build *dut* (or reuse an up-to-date build) and return its build directory.

    Raises BuildError with the log path if the simulator build fails or times out.
    """
    toolchain.check_simulator(dut.sim)
    directory = dut.variant_dir(coverage=coverage, waves=waves)
    args = dut.effective_build_args(coverage=coverage, waves=waves)
    digest = build_hash(dut, args, coverage, waves)
    stamp = directory / STAMP_NAME
    with locked(directory.with_name(f".{directory.name}.lock")):
        if up_to_date(stamp, digest, dut.output_file(coverage=coverage, waves=waves)):
            return directory
        directory.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        env = child_env(None, ())
        if dut.sim == "verilator":
            env.update(toolchain.verilator_env())
            if "OBJCACHE" not in env and (ccache := shutil.which("ccache")):
                # Every Verilator build compiles the same runtime (verilated*.cpp, cocotb's
                # main); ccache makes that a one-time cost per machine.
                env["OBJCACHE"] = ccache
        spec = {
            "mode": "build", "sim": dut.sim, "sources": [str(s) for s in dut.sources],
            "toplevel": dut.toplevel, "parameters": dut.parameters, "defines": dut.defines,
            "includes": [str(i) for i in dut.includes], "build_args": args,
            "build_dir": str(directory), "waves": waves, "timescale": list(dut.timescale),
        }
        log = directory / "build.log"
        start = time.monotonic()
        returncode, timed_out = spawn(spec, env, log, timeout_s)
        duration = time.monotonic() - start
        if timed_out or returncode != 0:
            reason = f"timed out after {timeout_s} s" if timed_out else f"exit code {returncode}"
            raise BuildError(
                f"{dut.sim} build of {dut.name}-{dut.config} failed ({reason}); "
                f"see {log}\n{tail(log)}", log,
            )
        stamp.write_text(json.dumps({
            "hash": digest, "duration_s": round(duration, 3), "built_at": time.time(),
            "build_args": args, "tools": toolchain.tool_versions(),
        }, indent=1, default=str))
    return directory


def build_is_current(dut: DutBuild, *, coverage: bool = False, waves: bool = False) -> bool:
    """True when ``build`` would reuse the cached image (same hash, image present), so a
    scheduler can count that build as free."""
    directory = dut.variant_dir(coverage=coverage, waves=waves)
    digest = build_hash(dut, dut.effective_build_args(coverage=coverage, waves=waves), coverage, waves)
    return up_to_date(directory / STAMP_NAME, digest, dut.output_file(coverage=coverage, waves=waves))


def new_seed() -> int:
    """A fresh random seed (31 bits, so every simulator and numpy accept it)."""
    return random.SystemRandom().randrange(1, 2**31)


def default_test_dir(dut: DutBuild, test_module: str, testcase: str | None, seed: int,
                     extra_env: Mapping[str, str] | None = None) -> Path:
    """``build/runs/<sim>/<name>-<config>/<test>-<seed>[-<env hash>]``: one directory per
    run. Runs of one test and seed with different environments (a negative test beside
    the passing one, both at the session seed, perhaps at the same time) get their own."""
    test = testcase or test_module.rsplit(".", 1)[-1]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in test)
    name = f"{safe}-{seed}"
    if extra_env:
        text = "\n".join(f"{k}={v}" for k, v in sorted(extra_env.items()))
        name += "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return dut.root / "runs" / dut.sim / f"{dut.name}-{dut.config}" / name


def run(dut: DutBuild, test_module: str, *, testcase: str | None = None, seed: int | None = None,
        waves: bool = False, coverage: bool = False, test_dir: Path | None = None,
        extra_env: Mapping[str, str] | None = None, timeout_s: float | None = None,
        results_xml: Path | None = None, plusargs: Sequence[str] | None = None,
        python_path: Sequence[Path] = ()) -> RunResult:
    """Build *dut* if needed, then run cocotb *test_module* (optionally one *testcase*).

    The simulation runs in a child process: a crash or a hang (``timeout_s``) ends up in
    ``RunResult.status`` instead of taking the caller down. *python_path* lists extra
    folders that hold *test_module*; the repo root is always importable.
    """
    seed = new_seed() if seed is None else int(seed)
    extra_env = {**dut.env, **(extra_env or {})}
    test_dir = Path(test_dir).resolve() if test_dir else default_test_dir(dut, test_module, testcase, seed, extra_env)
    replay = replay_command(dut, test_module, testcase=testcase, seed=seed, coverage=coverage,
                            extra_env=extra_env, plusargs=plusargs, python_path=python_path)
    if test_dir.exists():
        for stale in ("results.xml", "coverage.dat", "dump.fst", f"{dut.toplevel}.fst", RUN_RECORD_NAME):
            (test_dir / stale).unlink(missing_ok=True)
    test_dir.mkdir(parents=True, exist_ok=True)
    missing = stage_data_files(dut, test_dir)
    xml = Path(results_xml) if results_xml else Path("results.xml")
    xml = xml if xml.is_absolute() else test_dir / xml
    xml.unlink(missing_ok=True)
    log = test_dir / "sim.log"
    common = dict(dut=dut.name, config=dut.config, sim=dut.sim, test_module=test_module,
                  testcase=testcase, seed=seed, log=log, results_xml=xml, test_dir=test_dir,
                  replay=replay)

    start = time.monotonic()
    if missing:
        result = RunResult(**common, status="error", tests=0, passed=0, failed=0, skipped=0, duration_s=0.0,
                           build_dir=dut.variant_dir(coverage=coverage, waves=waves), returncode=None,
                           message=f"{dut.name}: memory-init file(s) the RTL reads are missing: "
                                   f"{', '.join(str(m) for m in missing)}")
        log.write_text(result.message + "\n")
        _write_record(result)
        return result
    try:
        build_dir = build(dut, coverage=coverage, waves=waves)
    except (BuildError, toolchain.ToolchainError) as exc:
        result = RunResult(**common, status="build_error", tests=0, passed=0, failed=0, skipped=0,
                           duration_s=time.monotonic() - start,
                           build_dir=dut.variant_dir(coverage=coverage, waves=waves),
                           returncode=None, message=str(exc))
        if isinstance(exc, BuildError):
            result.log = exc.log
        _write_record(result)
        return result

    all_plusargs = list(plusargs or [])
    if waves and dut.sim == "icarus":
        all_plusargs.append(f"+dumpfile_path={test_dir / (dut.toplevel + '.fst')}")
    spec = {
        "mode": "test", "sim": dut.sim, "toplevel": dut.toplevel, "build_dir": str(build_dir),
        "test_dir": str(test_dir), "test_module": test_module, "testcase": testcase, "seed": seed,
        "waves": waves, "results_xml": str(xml), "plusargs": all_plusargs,
        "parameters": dut.parameters, "timescale": list(dut.timescale),
    }
    env = child_env(extra_env, python_path)
    run_start = time.monotonic()
    returncode, timed_out = spawn(spec, env, log, timeout_s)
    duration = time.monotonic() - run_start

    cases = parse_results(xml)
    failed = sum(c.outcome == "fail" for c in cases)
    skipped = sum(c.outcome == "skip" for c in cases)
    passed = sum(c.outcome == "pass" for c in cases)
    if timed_out:
        status, message = "timeout", f"killed after timeout of {timeout_s} s"
    elif not xml.is_file():
        status, message = "error", f"simulation ended without a results file (exit code {returncode})"
    elif failed:
        status = "fail"
        message = "; ".join(f"{c.name}: {c.message}" for c in cases if c.outcome == "fail")
    elif not cases:
        status, message = "error", "no cocotb test ran (check test_module/testcase)"
    elif returncode != 0:
        status, message = "error", f"all tests passed but the simulator exited with code {returncode}"
    else:
        status, message = "pass", ""
    waves_file = None
    if waves:
        candidate = test_dir / ("dump.fst" if dut.sim == "verilator" else f"{dut.toplevel}.fst")
        waves_file = candidate if candidate.exists() else None
    coverage_file = test_dir / "coverage.dat"
    result = RunResult(**common, status=status, tests=len(cases), passed=passed, failed=failed,
                       skipped=skipped, duration_s=duration, build_dir=build_dir,
                       returncode=returncode, message=message, waves=waves_file,
                       coverage=coverage_file if coverage_file.exists() else None, cases=cases)
    _write_record(result)
    return result


def stage_data_files(dut: DutBuild, test_dir: Path) -> list[Path]:
    """Copy the DUT's memory-init files into the run directory, where `$readmemh("./x.dat")`
    looks for them (the simulator's working directory); returns the ones that do not exist."""
    missing = []
    for src in dut.data_files:
        if not src.is_file():
            missing.append(src)
            continue
        dst = test_dir / src.name
        if not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime:
            shutil.copyfile(src, dst)
    return missing


def _write_record(result: RunResult) -> None:
    """run.json beside the log: what ran, with which seed and tools, and how it ended."""
    record = result.to_json()
    record["tools"] = toolchain.tool_versions()
    result.test_dir.mkdir(parents=True, exist_ok=True)
    (result.test_dir / RUN_RECORD_NAME).write_text(json.dumps(record, indent=1, default=str))




if __name__ == "__main__":
    from llama_dv.tb.sim.cli import main

    sys.exit(main())
