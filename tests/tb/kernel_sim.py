"""Helpers shared by the HLS-kernel simulation wrappers (test_<kernel>_sim.py)."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from llama_dv.tb.common.coverage import load_coverage
from llama_dv.tb.common.covmerge import FunctionalCoverage
from llama_dv.tb.common.knobs import DUT_CONFIG_ENV, TIMEOUT_ENV
from llama_dv.tb.dut_registry import DESCRIPTION_ENV, get_dut, hls_build, test_module
from llama_dv.tb.dut_description import load_description
from llama_dv.tb.sim.runner import RunResult, run
from tests.copies import copies_root, run_dir, stable_file

RUN_TIMEOUT_S = 900.0


def run_kernel(kernel: str, sim: str, testcase: str | None, seed: int, *, config: str = "default",
               extra_env: dict[str, str] | None = None, test_dir: Path | None = None) -> RunResult:
    """Build (cached) and run one cocotb test of `kernel` in configuration `config`."""
    env = {DUT_CONFIG_ENV: config, **(extra_env or {})}
    return run(get_dut(kernel, sim, config), test_module(kernel), testcase=testcase, seed=seed,
               extra_env=env, timeout_s=RUN_TIMEOUT_S, test_dir=test_dir)


def run_kernel_cases(kernel: str, sim: str, testcases: Sequence[str], seed: int, *, config: str = "default",
                     extra_env: dict[str, str] | None = None) -> RunResult:
    """Build (cached) and run the cocotb tests `testcases` of `kernel` in one simulation
    (each seeded by its own name, as when run alone); `assert_case_passed` checks one of them."""
    return run_kernel(kernel, sim, ",".join(testcases), seed, config=config, extra_env=extra_env)


def assert_case_passed(result: RunResult, testcase: str) -> None:
    """`testcase`, one of the cocotb tests of the simulation `result`, passed; otherwise
    fail with its own message, the shared log and the command that replays it alone."""
    cases = [c for c in result.cases if c.name.rsplit(".", 1)[-1] == testcase]
    replay = result.replay
    if result.testcase and result.testcase != testcase:
        replay = replay.replace(f"--testcase {result.testcase}", f"--testcase {testcase}")
    where = f"log: {result.log} (tests {result.testcase} in one simulation)\nreplay: {replay}"
    assert cases, f"{testcase}: no result in the simulation ({result.status}: {result.message})\n{where}"
    assert cases[0].outcome != "fail", f"{testcase}: fail: {cases[0].message}\n{where}"
    # A crash, hang or bad exit fails every test of the simulation, as it failed each run alone.
    assert result.status in ("pass", "fail"), f"{testcase}: simulation {result.status}: {result.message}\n{where}"


def explain(result: RunResult) -> str:
    return (f"{result.status}: {result.message}\nlog: {result.log}\nreplay: {result.replay}")


def assert_passed(result: RunResult) -> None:
    assert result.ok, explain(result)


def log_text(result: RunResult) -> str:
    return Path(result.log).read_text(errors="replace")


def coverage_of(results: list[RunResult]) -> FunctionalCoverage:
    """Merged coverage bins of the runs (each run exported coverage.yml in its directory)."""
    files = [r.test_dir / "coverage.yml" for r in results]
    missing = [str(f) for f in files if not f.is_file()]
    assert not missing, f"runs exported no coverage: {missing}"
    return load_coverage(files)


def broken_copy(kernel: str, line: str, replacement: str) -> str:
    """rtl/hls/<kernel>.v with its one occurrence of `line` replaced: a mutant the
    stimulus must kill, run with `run_stub`."""
    text = Path(get_dut(kernel, "icarus").sources[0]).read_text()
    assert text.count(line) == 1, f"{kernel}.v: expected exactly one {line!r}"
    return text.replace(line, replacement)


def run_stub(kernel: str, stub_verilog: str, tmp_path: Path, testcase: str, seed: int,
             timeout_cycles: int = 2000, sim: str = "icarus") -> RunResult:
    """Run `kernel`'s tests against a throwaway Verilog stub with the same ports."""
    desc = load_description(Path(get_dut(kernel, sim).sources[0]).with_suffix(".yaml"))
    # The stub under build/copies, named by its text, so its build is reused (tests/copies.py).
    digest = hashlib.sha256(stub_verilog.encode()).hexdigest()[:12]
    stub = stable_file(Path("stubs") / f"{kernel}-{digest}" / f"{kernel}.v", stub_verilog)
    yml = tmp_path / f"{kernel}.yaml"
    text = Path(desc.path).read_text().replace(f"sources: [{kernel}.v]", f"sources: ['{stub}']")
    assert str(stub) in text, f"{desc.path}: expected 'sources: [{kernel}.v]' to redirect to the stub"
    yml.write_text(text)
    dut = hls_build(load_description(yml), sim)
    dut.config = "stub"
    dut.build_root = copies_root()
    env = {DESCRIPTION_ENV: str(yml), TIMEOUT_ENV: str(timeout_cycles)}
    return run(dut, test_module(kernel), testcase=testcase, seed=seed, timeout_s=120, extra_env=env,
               test_dir=run_dir(dut, tmp_path, test_module(kernel), testcase, seed, env))
