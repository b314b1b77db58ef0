"""Simulation throughput: kernel invocations and simulated cycles per wall second, per simulator.

Each HLS kernel is built once per simulator (build time reported on its own), then its
constrained-random test runs with a known number of calls, once with random flow control
(memory timing or TVALID/TREADY patterns) and once at full rate. The simulation's wall
time is the cocotb test's own time from the results XML, so process start-up,
elaboration and the build are excluded (start-up is reported separately). Simulated
cycles are the test's simulated time over the clock period of the DUT description.

Clash units report simulated cycles per second of their cocotb test module.

The machine is shared, so wall-clock rates depend on the load. Each run's CPU time
(user + system of the simulation process tree, from the reaped children's rusage) is
recorded too: its share of the run's wall time turns the test's rates into rates per
CPU second, which stay comparable between a busy and an idle machine.

Build time is the simulator build of each DUT: by default the shared build cache's
recorded duration (ccache may have served part of a Verilator build); with
``--fresh-builds`` every DUT is rebuilt from scratch in the bench's own directory with
ccache disabled, so the figure is a full compile.

With ``--profile`` every case runs a second time under cocotb's cProfile, to estimate
how much of the test time is Python (testbench and cocotb) rather than the simulator.

A decoder top named with ``--clash`` (one the decoder test drives, e.g. ``decoder_small``)
or a user's decoder named by its role map (``--roles YAML``) is measured side by side
with a native bench generated from its role map (`regress/native_bench.py`): same
stimulus, same token stream or an error, and the ratio cocotb/native per simulator.
Naming Clash tops or role maps without ``--kernel`` measures only those.

Every record is checked (`check_record`) before it is written: positive call counts,
cycles and times, rates that match them, equal token streams on both sides.

    python -m llama_dv.regress.bench [--sim verilator|icarus|all] [--kernel NAME ...] [--calls N]
                            [--clash TOP ...] [--roles YAML ...] [--tokens N] [--no-clash]
                            [--fresh-builds] [--profile] [--seed N] [--out build/bench/bench.json]
"""
from __future__ import annotations

import argparse
import json
import os
import math
import re
import resource
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from xml.etree import ElementTree

from llama_dv.regress import native_bench
from llama_dv.regress.bench_tables import clash_table, kernel_table, summary_table
from llama_dv.tb import dut_registry as duts
from llama_dv.tb.clash.roles import RoleMapError
from llama_dv.tb.common.knobs import ARGMAX_VECTORS_ENV, FLOW_ENV, MEMORY_TIMING_ENV, RANDOM_CALLS_ENV
from llama_dv.tb.sim import runner, toolchain

KERNELS: tuple[str, ...] = tuple(duts.hls_kernels())
"""HLS kernels the bench measures by default: every description in rtl/hls/."""

CLASH_TOPS: dict[str, tuple[str, ...]] = {
    "verilator": ("attend_seq_hd8", "argmax_vocab", "mac_matvec"),
    "icarus": ("attend_seq_hd8", "argmax_vocab"),
}
"""Clocked Clash tops cheap enough for a bench run, per simulator (seconds each).

mac_matvec takes about a minute on Icarus, so it runs there only when named with
``--clash``. The combinational tops (online_softmax_step, attend_head_hd8) have no
cycles to count."""

DEFAULT_CALLS = 50
"""Calls per HLS kernel case (the random test's LDV_RANDOM_CALLS)."""

DEFAULT_SEED = 1
"""One seed for every case, so both simulators see the same calls."""

DEFAULT_OUT = Path("build") / "bench" / "bench.json"

CLASH_ICARUS_ENV: Mapping[str, str] = {ARGMAX_VECTORS_ENV: "1"}
"""Icarus evaluates argmax_vocab's 64-wide dot product at a few dozen cycles/s: keep it short."""

FRESH_BUILD_ENV: Mapping[str, str] = {"CCACHE_DISABLE": "1"}
"""Set around a fresh build, so ccache neither serves nor stores any object of it."""

PROFILE_ENV = "COCOTB_ENABLE_PROFILING"
PROFILE_FILE = "cocotb.pstat"
"""cProfile of every simulator-to-Python callback, which cocotb writes in the run directory."""

_MATCHED_RE = re.compile(r"(\d+) (?:transactions|calls) matched the golden")


class BenchError(RuntimeError):
    """A bench case could not be measured (failed test, wrong call count, bad input)."""


@dataclass(frozen=True)
class BenchCase:
    """One measured configuration: a DUT, the cocotb test that drives it and how.

    ``expected_calls`` is the number of kernel invocations the test is known to make
    (None for units whose tests do not fix one); the bench fails if the scoreboards
    report a different number, so a rate is never computed over the wrong count.
    """

    dut: str
    flow: str
    testcase: str | None
    period_ns: float
    expected_calls: int | None
    env: Mapping[str, str] = field(default_factory=dict)
    calls_knob: str | None = None


@dataclass
class Measurement:
    """Figures of one case on one simulator; rates are per second of test wall time."""

    dut: str
    sim: str
    flow: str
    testcase: str | None
    seed: int
    calls: int | None
    sim_cycles: int
    test_wall_s: float
    startup_s: float
    build_s: float
    build_cached: bool
    build_recorded_s: float | None
    load_avg: float
    calls_knob: str | None
    log: str
    python_s: float | None = None
    profiled_wall_s: float | None = None
    run_cpu_s: float | None = None
    build_cpu_s: float | None = None

    @property
    def simulator_s(self) -> float | None:
        """Test time outside Python: the profiled run's test time minus what cProfile saw in Python.

        The simulator's own work does not change under the profiler, so this estimates it;
        profiler overhead cProfile does not attribute makes it an upper bound.
        """
        if self.python_s is None or self.profiled_wall_s is None:
            return None
        return max(self.profiled_wall_s - self.python_s, 0.0)

    @property
    def python_share(self) -> float | None:
        """Share of the unprofiled test time spent in Python (testbench + cocotb), a lower bound."""
        sim_s = self.simulator_s
        if sim_s is None:
            return None
        return min(max(1.0 - sim_s / self.test_wall_s, 0.0), 1.0)

    @property
    def cpu_share(self) -> float | None:
        """Cores the run got on average (CPU s over wall s of the whole run, start-up included)."""
        wall = self.startup_s + self.test_wall_s
        return self.run_cpu_s / wall if self.run_cpu_s is not None and wall > 0 else None

    @property
    def test_cpu_s(self) -> float | None:
        """CPU time of the test itself, estimated as its wall time times the run's CPU share."""
        share = self.cpu_share
        return self.test_wall_s * share if share else None

    @property
    def invocations_per_cpu_s(self) -> float | None:
        cpu = self.test_cpu_s
        return self.calls / cpu if self.calls and cpu else None

    @property
    def cycles_per_cpu_s(self) -> float | None:
        cpu = self.test_cpu_s
        return self.sim_cycles / cpu if cpu else None

    @property
    def invocations_per_s(self) -> float | None:
        return self.calls / self.test_wall_s if self.calls else None

    @property
    def cycles_per_s(self) -> float:
        return self.sim_cycles / self.test_wall_s

    @property
    def wall_s_per_invocation(self) -> float | None:
        return self.test_wall_s / self.calls if self.calls else None

    @property
    def cycles_per_invocation(self) -> float | None:
        return self.sim_cycles / self.calls if self.calls else None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = asdict(self)
        data.update(invocations_per_s=self.invocations_per_s, cycles_per_s=self.cycles_per_s,
                    wall_s_per_invocation=self.wall_s_per_invocation,
                    cycles_per_invocation=self.cycles_per_invocation, simulator_s=self.simulator_s,
                    python_share=self.python_share, cpu_share=self.cpu_share, test_cpu_s=self.test_cpu_s,
                    invocations_per_cpu_s=self.invocations_per_cpu_s, cycles_per_cpu_s=self.cycles_per_cpu_s)
        return data


def hls_cases(kernel: str, calls: int = DEFAULT_CALLS) -> list[BenchCase]:
    """The random and full-rate cases of one HLS kernel: its random test with `calls` calls
    (LDV_RANDOM_CALLS), once with the test's own flow control and memory timing, once with
    none (LDV_FLOW=none, fast memory). A kernel without streams or m_axi memory has no flow
    control to vary: its first case is marked ``fixed``."""
    if kernel not in KERNELS:
        raise BenchError(f"unknown kernel {kernel!r}; known: {', '.join(KERNELS)}")
    if calls < 1:
        raise BenchError(f"--calls must be at least 1, got {calls}")
    desc = duts.get_description(kernel)
    random_test = next((t for t in duts.list_tests(kernel) if t.endswith("Random")), None)
    if random_test is None:
        raise BenchError(f"{kernel}: no random test (a test named *Random) in {duts.test_module(kernel)}")
    varied = any(i.kind in ("axis", "m_axi") for i in desc.interfaces)
    knob = RANDOM_CALLS_ENV
    return [BenchCase(kernel, "random" if varied else "fixed", random_test, desc.clock.period_ns, calls,
                      {knob: str(calls)}, knob),
            BenchCase(kernel, "full-rate", random_test, desc.clock.period_ns, calls,
                      {knob: str(calls), FLOW_ENV: "none", MEMORY_TIMING_ENV: "fast"}, knob)]


def clash_case(top: str, sim: str) -> BenchCase:
    """The cocotb test module of one Clash top, every test in it, as one case."""
    from llama_dv.tb.clash.manifest import ClashManifest, ManifestError

    name = f"clash_{top}"
    if name not in duts.list_duts():
        known = ", ".join(d.removeprefix("clash_") for d in duts.list_duts() if d.startswith("clash_"))
        raise BenchError(f"unknown Clash top {top!r} (no rtl/gen/{top}/clash-manifest.json); known: {known}")
    try:
        domain = ClashManifest.for_top(top).domain
    except ManifestError as exc:
        raise BenchError(str(exc)) from exc
    if domain is None:
        raise BenchError(f"Clash top {top!r} is combinational (no clock in rtl/gen/{top}/clash-manifest.json): "
                         f"no cycles to count")
    env = dict(CLASH_ICARUS_ENV) if sim == "icarus" else {}
    return BenchCase(name, "fixed", None, domain.period_ps / 1000.0, None, env)


def _stamp_info(directory: Path) -> tuple[float | None, float | None]:
    """(duration_s, built_at) from a build's stamp, or (None, None)."""
    try:
        stamp = json.loads((directory / runner.STAMP_NAME).read_text())
        return float(stamp["duration_s"]), float(stamp["built_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


@contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    """os.environ with *extra* set (the runner's build child inherits it), restored after."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def children_cpu_s() -> float:
    """User + system CPU seconds of every reaped child process (and the children they reaped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_build(dut: runner.DutBuild, fresh: bool = False) -> tuple[float, bool, float | None, float]:
    """Build (or reuse) *dut*: (seconds spent now, reused a cached build, recorded build s,
    CPU seconds of the build processes).

    *fresh* disables ccache for a build that happens now (see FRESH_BUILD_ENV).
    """
    wall_start, start, cpu_start = time.time(), time.monotonic(), children_cpu_s()
    with _environment(FRESH_BUILD_ENV if fresh else {}):
        directory = runner.build(dut)
    elapsed = time.monotonic() - start
    recorded, built_at = _stamp_info(directory)
    cached = built_at is None or built_at < wall_start
    return elapsed, cached, recorded, children_cpu_s() - cpu_start


def _test_wall_and_sim_ns(results_xml: Path) -> tuple[float, float]:
    """Summed wall time (s) and simulated time (ns) of the test cases in a cocotb results XML."""
    try:
        root = ElementTree.parse(results_xml).getroot()
    except (OSError, ElementTree.ParseError) as exc:
        raise BenchError(f"{results_xml}: unreadable cocotb results ({exc})") from exc
    wall = sim_ns = 0.0
    for case in root.iter("testcase"):
        wall += float(case.get("time", "0"))
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        unit = props.get("sim_time_unit", "ns")
        if unit != "ns":
            raise BenchError(f"{results_xml}: sim time in {unit!r}, expected ns")
        sim_ns += float(props.get("sim_time_duration") or props.get("sim_time_stop") or 0.0)
    return wall, sim_ns


def count_invocations(log: Path) -> int | None:
    """Transactions the scoreboards matched, summed over the run's log (None if none reported)."""
    try:
        text = log.read_text(errors="replace")
    except OSError as exc:
        raise BenchError(f"{log}: cannot read the simulation log ({exc})") from exc
    counts = [int(m) for m in _MATCHED_RE.findall(text)]
    return sum(counts) if counts else None


def profiled_python_s(pstat: Path) -> float:
    """Seconds cProfile saw inside Python callbacks (own time of every function, summed)."""
    import pstats

    try:
        return float(pstats.Stats(str(pstat)).total_tt)  # type: ignore[attr-defined]
    except (OSError, TypeError, ValueError) as exc:
        raise BenchError(f"{pstat}: no readable cocotb profile ({exc})") from exc


def _run_case(case: BenchCase, dut: runner.DutBuild, test_dir: Path, seed: int, timeout_s: float,
              profile: bool) -> runner.RunResult:
    env = dict(case.env)
    if profile:
        env[PROFILE_ENV] = "1"
    result = runner.run(dut, duts.test_module(case.dut), testcase=case.testcase, seed=seed,
                        test_dir=test_dir, extra_env=env, timeout_s=timeout_s)
    if not result.ok:
        raise BenchError(f"{case.dut} {case.testcase or 'all'} on {dut.sim} ({case.flow}): {result.status}: "
                         f"{result.message}; log {result.log}")
    return result


def measure(case: BenchCase, sim: str, *, seed: int = DEFAULT_SEED, runs_dir: Path | None = None,
            timeout_s: float = 900.0, profile: bool = False, build_root: Path | None = None) -> Measurement:
    """Build once, run *case* on *sim* and turn its results into rates.

    With *build_root*, the DUT is built there (from scratch if that directory has no
    build of it yet) instead of in the shared build cache, with ccache disabled.
    With *profile*, a second run under cocotb's cProfile measures the share of test
    time spent in Python; the rates always come from the unprofiled run.
    """
    dut = duts.get_dut(case.dut, sim)
    if build_root is not None:
        dut = replace(dut, build_root=build_root)
    build_s, cached, recorded, build_cpu = timed_build(dut, fresh=build_root is not None)
    label = case.testcase or "all"
    test_dir = (runs_dir or dut.root / "bench" / "runs") / sim / f"{case.dut}-{label}-{case.flow}"
    cpu_start = children_cpu_s()
    result = _run_case(case, dut, test_dir, seed, timeout_s, profile=False)
    run_cpu = children_cpu_s() - cpu_start
    load = os.getloadavg()[0]
    test_wall, sim_ns = _test_wall_and_sim_ns(result.results_xml)
    if test_wall <= 0 or sim_ns <= 0:
        raise BenchError(f"{result.results_xml}: no wall or simulated time recorded")
    calls = count_invocations(result.log)
    if case.expected_calls is not None and calls != case.expected_calls:
        raise BenchError(f"{case.dut} {label} on {sim}: scoreboards matched {calls} calls, expected "
                         f"{case.expected_calls}; log {result.log}")
    m = Measurement(
        dut=case.dut, sim=sim, flow=case.flow, testcase=case.testcase, seed=seed, calls=calls,
        sim_cycles=round(sim_ns / case.period_ns), test_wall_s=test_wall,
        startup_s=max(result.duration_s - test_wall, 0.0), build_s=build_s, build_cached=cached,
        build_recorded_s=recorded, load_avg=load, calls_knob=case.calls_knob, log=str(result.log),
        run_cpu_s=run_cpu if run_cpu > 0 else None, build_cpu_s=None if cached else build_cpu)
    if profile:
        profiled_dir = test_dir.with_name(test_dir.name + "-profile")
        (profiled_dir / PROFILE_FILE).unlink(missing_ok=True)
        profiled = _run_case(case, dut, profiled_dir, seed, timeout_s, profile=True)
        m.profiled_wall_s, _ = _test_wall_and_sim_ns(profiled.results_xml)
        m.python_s = profiled_python_s(profiled_dir / PROFILE_FILE)
    return m


def plan(sims: Sequence[str], kernels: Sequence[str], calls: int,
         clash_tops: Mapping[str, Sequence[str]] | Sequence[str]) -> list[tuple[BenchCase, str]]:
    """Every (case, simulator) the bench will run, validated before anything is simulated.

    *clash_tops* is one list for every simulator or a mapping simulator -> list.
    """
    for sim in sims:
        if sim not in runner.SIMULATORS:
            raise BenchError(f"unknown simulator {sim!r}; known: {', '.join(runner.SIMULATORS)}")
    jobs = []
    for sim in sims:
        jobs += [(case, sim) for kernel in kernels for case in hls_cases(kernel, calls)]
        tops = clash_tops.get(sim, ()) if isinstance(clash_tops, Mapping) else clash_tops
        jobs += [(clash_case(top, sim), sim) for top in tops]
    return jobs


def run_bench(sims: Sequence[str], kernels: Sequence[str], calls: int = DEFAULT_CALLS,
              clash_tops: Mapping[str, Sequence[str]] | Sequence[str] = CLASH_TOPS,
              seed: int = DEFAULT_SEED, runs_dir: Path | None = None, profile: bool = False,
              progress: Callable[[Measurement], None] | None = None,
              fresh_builds: Path | None = None) -> list[Measurement]:
    """Measure every planned case, one at a time (parallel runs would skew each other).

    *fresh_builds* is a directory the bench owns: emptied first, then every DUT is
    built there once from scratch (its second case reuses that build).
    """
    jobs = plan(sims, kernels, calls, clash_tops)
    if fresh_builds is not None:
        shutil.rmtree(fresh_builds, ignore_errors=True)
    results = []
    for case, sim in jobs:
        m = measure(case, sim, seed=seed, runs_dir=runs_dir, profile=profile, build_root=fresh_builds)
        results.append(m)
        if progress:
            progress(m)
    return results


RATE_TOLERANCE = 1e-6
"""Relative tolerance of a recorded rate against the count and time it came from."""


def check_record(record: Mapping[str, object], source: str = "bench record") -> None:
    """Raise BenchError naming the first malformed result of a bench record.

    Every result needs a known simulator, positive simulated cycles and test time, a
    build time >= 0, and (for an HLS kernel) a positive whole number of calls; its
    rates must equal count / time, so a table built from the record cannot show a rate
    the run did not produce.
    """
    check_side_by_side(record, source)
    results = record.get("results")
    if isinstance(results, list) and not results and record.get("side_by_side"):
        return
    if not isinstance(results, list) or not results:
        raise BenchError(f"{source}: no results")
    for i, r in enumerate(results):
        where = f"{source}: results[{i}]"
        if not isinstance(r, Mapping):
            raise BenchError(f"{where}: not an object")
        where += f" ({r.get('dut')} on {r.get('sim')}, {r.get('flow')})"
        try:
            if r["sim"] not in runner.SIMULATORS:
                raise BenchError(f"{where}: unknown simulator {r['sim']!r}")
            calls, cycles, wall = r["calls"], r["sim_cycles"], float(r["test_wall_s"])
            build = float(r["build_s"])
            inv_rate, cyc_rate = r["invocations_per_s"], float(r["cycles_per_s"])
            is_kernel = not str(r["dut"]).startswith("clash_")
        except (KeyError, TypeError, ValueError) as exc:
            raise BenchError(f"{where}: missing or non-numeric field ({exc!r})") from exc
        if not (isinstance(cycles, int) and cycles > 0):
            raise BenchError(f"{where}: sim_cycles must be a positive integer, got {cycles!r}")
        if not (math.isfinite(wall) and wall > 0):
            raise BenchError(f"{where}: test_wall_s must be positive, got {wall!r}")
        if not (math.isfinite(build) and build >= 0):
            raise BenchError(f"{where}: build_s must be >= 0, got {build!r}")
        if calls is not None and not (isinstance(calls, int) and calls > 0):
            raise BenchError(f"{where}: calls must be a positive integer, got {calls!r}")
        if is_kernel and calls is None:
            raise BenchError(f"{where}: an HLS kernel case needs its call count")
        cpu = r.get("run_cpu_s")
        if cpu is not None and not (isinstance(cpu, (int, float)) and math.isfinite(cpu) and cpu > 0):
            raise BenchError(f"{where}: run_cpu_s must be positive when recorded, got {cpu!r}")
        if not math.isclose(cyc_rate, cycles / wall, rel_tol=RATE_TOLERANCE):
            raise BenchError(f"{where}: cycles_per_s {cyc_rate!r} is not sim_cycles / test_wall_s "
                             f"({cycles / wall!r})")
        expected_inv = calls / wall if calls else None
        if (inv_rate is None) != (expected_inv is None) or (
                expected_inv is not None and not math.isclose(float(inv_rate), expected_inv, rel_tol=RATE_TOLERANCE)):
            raise BenchError(f"{where}: invocations_per_s {inv_rate!r} is not calls / test_wall_s "
                             f"({expected_inv!r})")


def _progress_line(m: Measurement) -> None:
    rate = f"{m.invocations_per_s:.1f} calls/s, " if m.invocations_per_s else ""
    share = f", Python {100 * m.python_share:.0f} %" if m.python_share is not None else ""
    per_cpu = f", {m.invocations_per_cpu_s:.1f} calls per CPU-s" if m.invocations_per_cpu_s else ""
    cores = f"CPU share {m.cpu_share:.2f}, " if m.cpu_share is not None else ""
    print(f"{m.sim:9} {m.dut:28} {m.flow:9} {m.calls or '-':>4} calls  {m.test_wall_s:7.2f} s  "
          f"{rate}{m.cycles_per_s:,.0f} cycles/s{per_cpu}{share}  ({cores}load {m.load_avg:.1f})", flush=True)


def is_decoder_top(top: str) -> bool:
    """A Clash top driven by the decoder test: measured side by side with its native bench."""
    from llama_dv.tb.clash.duts import TOPS

    return TOPS.get(top) == native_bench.TEST_MODULE


def run_side_by_side(sims: Sequence[str], tops: Sequence[str], roles: Sequence[Path], tokens: int | None,
                     seed: int, out_dir: Path, extra_args: Mapping[str, Sequence[str]] | None = None
                     ) -> list[native_bench.SideBySide]:
    """cocotb against the native bench for every decoder top / role map on every simulator."""
    pairs = []
    targets: list[dict[str, object]] = [{"top": t} for t in tops] + [{"roles": r} for r in roles]
    for target in targets:
        for sim in sims:
            pair = native_bench.side_by_side(sim, n_tokens=tokens, seed=seed, out_dir=out_dir,
                                             extra_args=(extra_args or {}).get(sim, ()),
                                             **target)  # type: ignore[arg-type]
            print(f"{sim:9} {pair.top:28} {pair.n_tokens} tokens, {pair.cocotb.sim_cycles:,} cycles, same stream: "
                  f"cocotb {pair.cocotb.cycles_per_s:,.0f} cycles/s ({pair.cocotb.cycles_per_cpu_s:,.0f} per CPU-s), "
                  f"native {pair.native.cycles_per_s:,.0f} ({pair.native.cycles_per_cpu_s:,.0f}); cocotb/native "
                  f"{pair.ratio_wall:.2f}x wall, {pair.ratio_cpu:.2f}x CPU (load {pair.load_avg_after:.1f})",
                  flush=True)
            pairs.append(pair)
    return pairs


def check_side_by_side(record: Mapping[str, object], source: str = "bench record") -> None:
    """Every side-by-side entry: equal token streams, positive times, ratios that match them."""
    entries = record.get("side_by_side") or []
    if not isinstance(entries, list):
        raise BenchError(f"{source}: side_by_side must be a list")
    for i, r in enumerate(entries):
        where = f"{source}: side_by_side[{i}]"
        try:
            where += f" ({r['top']} on {r['sim']})"
            c, n = r["cocotb"], r["native"]
            if c["tokens"] != n["tokens"]:
                raise BenchError(f"{where}: token streams differ: cocotb {c['tokens']}, native {n['tokens']}")
            for side, run in (("cocotb", c), ("native", n)):
                if not (run["sim_cycles"] > 0 and run["wall_s"] > 0 and run["cpu_s"] > 0):
                    raise BenchError(f"{where}: {side} needs positive sim_cycles, wall_s and cpu_s, got {run}")
            wall = (n["sim_cycles"] / n["wall_s"]) / (c["sim_cycles"] / c["wall_s"])
            cpu = (n["sim_cycles"] / n["cpu_s"]) / (c["sim_cycles"] / c["cpu_s"])
            for name, expected in (("ratio_wall", wall), ("ratio_cpu", cpu)):
                if not math.isclose(float(r[name]), expected, rel_tol=RATE_TOLERANCE):
                    raise BenchError(f"{where}: {name} {r[name]!r} does not follow from the times ({expected!r})")
        except (KeyError, TypeError, ValueError) as exc:
            raise BenchError(f"{where}: missing or non-numeric field ({exc!r})") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Measure simulation throughput and write it as JSON plus Markdown tables."""
    p = argparse.ArgumentParser(prog="llama-dv bench", description=main.__doc__)
    p.add_argument("--sim", choices=(*runner.SIMULATORS, "all"), default="all")
    p.add_argument("--kernel", action="append", metavar="NAME",
                   help=f"HLS kernel to measure (repeatable; default: {', '.join(KERNELS)})")
    p.add_argument("--calls", type=int, default=DEFAULT_CALLS,
                   help=f"calls per HLS kernel case (default {DEFAULT_CALLS})")
    p.add_argument("--clash", action="append", metavar="TOP",
                   help="Clash top to measure on every simulator (repeatable; default: "
                        + "; ".join(f"{s}: {', '.join(t)}" for s, t in CLASH_TOPS.items()) + ")")
    p.add_argument("--no-clash", action="store_true", help="skip the Clash units")
    p.add_argument("--roles", action="append", type=Path, metavar="YAML",
                   help="a user's decoder bound by a role map: measured side by side with its native bench "
                        "(repeatable)")
    p.add_argument("--verilator-arg", action="append", metavar="OPT",
                   help="Verilator option added to both builds of a decoder side-by-side run (repeatable; "
                        "write --verilator-arg=-O3 for options that start with '-')")
    p.add_argument("--icarus-arg", action="append", metavar="OPT",
                   help="iverilog option added to both builds of a decoder side-by-side run (repeatable)")
    p.add_argument("--tokens", type=int, metavar="N",
                   help="tokens each decoder side-by-side run generates (default: "
                        + ", ".join(f"{s} {n}" for s, n in native_bench.DEFAULT_TOKENS.items()) + ")")
    p.add_argument("--fresh-builds", action="store_true",
                   help="rebuild every DUT from scratch (ccache off) in <out dir>/builds, so build times "
                        "are full compiles rather than the shared cache's recorded ones")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--profile", action="store_true",
                   help="rerun each case under cocotb's cProfile to estimate the share of test time "
                        "spent in Python (a lower bound)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = p.parse_args(argv)
    sims = list(runner.SIMULATORS) if a.sim == "all" else [a.sim]
    named_clash = a.clash or a.roles
    kernels = a.kernel or ([] if named_clash else list(KERNELS))
    decoders = [t for t in a.clash or [] if is_decoder_top(t)]
    clash_tops: Mapping[str, Sequence[str]] | Sequence[str] = [] if a.no_clash else (
        [t for t in a.clash if t not in decoders] if a.clash else ([] if a.roles else CLASH_TOPS))
    out = a.out if a.out.is_absolute() else runner.REPO_ROOT / a.out
    load_before = os.getloadavg()
    start = time.monotonic()
    try:
        for sim in sims:
            toolchain.check_simulator(sim)
        results = run_bench(sims, kernels, a.calls, clash_tops, a.seed, runs_dir=out.parent / "runs",
                            profile=a.profile, progress=_progress_line,
                            fresh_builds=out.parent / "builds" if a.fresh_builds else None)
        pairs = run_side_by_side(sims, decoders, a.roles or [], a.tokens, a.seed, out.parent / "side-by-side",
                                 {"verilator": a.verilator_arg or [], "icarus": a.icarus_arg or []})
        record = {
            "command": " ".join(["python -m llama_dv.regress.bench", *(argv if argv is not None else sys.argv[1:])]),
            "cpus": os.cpu_count(), "load_avg_before": load_before, "load_avg_after": os.getloadavg(),
            "wall_s": round(time.monotonic() - start, 1), "seed": a.seed, "calls": a.calls,
            "fresh_builds": a.fresh_builds, "tools": toolchain.tool_versions(),
            "results": [m.to_json() for m in results],
            "side_by_side": [r.to_json() for r in pairs],
        }
        check_record(record, str(out))
    except (BenchError, native_bench.NativeBenchError, RoleMapError, toolchain.ToolchainError,
            duts.UnknownDutError) as exc:
        print(f"llama_dv.regress.bench: error: {exc}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, default=str))
    if any(not m.dut.startswith("clash_") for m in results):
        print()
        print(kernel_table(results))
        print()
        print(summary_table(results))
    if any(m.dut.startswith("clash_") for m in results):
        print()
        print(clash_table(results))
    if pairs:
        print()
        print(native_bench.table(pairs))
    print(f"\n{len(results) + len(pairs)} cases in {record['wall_s']} s; record: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
