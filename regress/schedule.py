"""Expected times of a regression's builds and simulations, and the order they start in.

Builds and simulations share the ``--jobs`` slots. Whenever a slot is free the runner
starts the ready item with the longest expected remaining chain (list scheduling by
critical path):

- the build of a (DUT, configuration, simulator): its expected build time plus the
  longest expected test of that configuration;
- a test whose build is done: its own expected time.

So the build that gates the most work starts first, and a configuration's tests start
as soon as its build is done instead of waiting behind every other queued build.

Expected times, best source first:

- tests: the median of the last ``SAMPLES`` durations of the same test (simulator, DUT,
  configuration, test, testpoint environment; any environment if that one never ran) in
  the newest ``MAX_RECORDS`` ``record.json`` files under the regression output root;
- builds: ``UP_TO_DATE_BUILD_S`` when the build cache already holds the image
  (``llama_dv.tb.sim.runner.build_is_current``); else the duration the cache's stamp recorded for
  the last real build of that configuration; else the median of the real builds recorded
  in earlier records (``launcher.schedule`` of ``record.json``);
- defaults for what never ran: ``DEFAULT_RUN_S`` per test and simulator, and a build time from the size
  of the DUT's sources (``default_build_s``: Verilator compile time grows with the C++
  it generates, several times faster with code coverage).

A record that cannot be read is reported and skipped: old or corrupt history never
stops a regression, it only makes the order less good.
"""
from __future__ import annotations

import heapq
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from llama_dv.tb.sim import runner as sim_runner

from llama_dv.regress.selection import Job

Key = tuple[str, str, str]
"""(dut, config, sim): one simulator build."""

MAX_RECORDS = 20
"""Newest regression records read for expected times."""
SAMPLES = 3
"""Durations per item whose median is its expected time (robust to one loaded run)."""
DEFAULT_RUN_S = {"verilator": 30.0, "icarus": 120.0}
"""Expected time of a test no record has seen, per simulator: Icarus simulates the Clash
tops 30-50 times slower than Verilator (docs/performance.md), so its unknown tests are
the long ones."""
UP_TO_DATE_BUILD_S = 0.5
"""A build the cache already holds only hashes its sources."""
DEFAULT_BUILD_BASE_S = {"verilator": 20.0, "icarus": 2.0}
DEFAULT_BUILD_S_PER_KB = {("verilator", True): 0.5, ("verilator", False): 0.07, ("icarus", True): 0.005,
                          ("icarus", False): 0.005}
"""Seconds per KB of Verilog source, (simulator, code coverage): measured on the 2-core
reference machine (a 710 KB Clash top: 417 s with coverage, 25-45 s without)."""

Estimate = tuple[float, str]
"""(seconds, where the figure came from: record, build cache, up to date, default)."""


def run_key(sim: str, dut: str, config: str, test: str, env: Mapping[str, str] | None = None) -> str:
    """History key of a test: ``<sim>/<dut>-<config>/<test>``, plus its environment if any."""
    base = f"{sim}/{dut}-{config}/{test}"
    return base + ("?" + "&".join(f"{k}={v}" for k, v in sorted(env.items())) if env else "")


def build_key(key: Key, coverage: bool) -> str:
    """History key of a build: ``<sim>/<dut>-<config>``, ``+cov`` when instrumented."""
    dut, config, sim = key
    return f"{sim}/{dut}-{config}" + ("+cov" if coverage else "")


def job_key(job: Job) -> str:
    return run_key(job.sim, job.ref.dut, job.ref.config, job.ref.test, job.env)


@dataclass
class History:
    """Durations seen in earlier regressions, newest first per item."""

    runs: dict[str, list[float]] = field(default_factory=dict)
    builds: dict[str, list[float]] = field(default_factory=dict)
    records: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, roots: Iterable[Path], exclude: Path | None = None, limit: int = MAX_RECORDS) -> "History":
        """The newest *limit* ``<root>/*/record.json`` files (not *exclude*, the run being made)."""
        found: dict[Path, float] = {}
        skip = exclude.resolve() if exclude else None
        for root in roots:
            root = Path(root)
            if not root.is_dir():
                continue
            for path in root.glob("*/record.json"):
                real = path.resolve()
                if skip is not None and real.parent == skip:
                    continue
                try:
                    found[real] = real.stat().st_mtime
                except OSError:
                    continue
        history = cls()
        for path in sorted(found, key=lambda p: found[p], reverse=True)[:limit]:
            try:
                history.add(json.loads(path.read_text()), path)
            except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
                history.warnings.append(f"{path}: not a readable run record ({type(exc).__name__}: {exc}); "
                                        f"its times are not used")
        return history

    def add(self, record: dict[str, Any], path: Path | None = None) -> None:
        """Add one record's durations (older than those added before)."""
        if not isinstance(record, dict) or not isinstance(record.get("results", []), list):
            raise TypeError("expected a JSON object with a 'results' list")
        runs: dict[str, float] = {}
        for r in record.get("results", []):
            if r.get("status") not in ("pass", "fail", "timeout", "error"):
                continue
            duration = float(r.get("duration_s") or 0.0)
            if duration <= 0 or str(r.get("message", "")).startswith("interrupted"):
                continue
            runs[run_key(r["sim"], r["dut"], r["config"], r["test"], r.get("env") or {})] = duration
        builds: dict[str, float] = {}
        schedule = (record.get("launcher") or {}).get("schedule") or {}
        for item in schedule.get("items", []):
            if item.get("kind") == "build" and item.get("build_s"):
                builds[str(item["name"])] = float(item["build_s"])
        for key, value in runs.items():
            self.runs.setdefault(key, []).append(value)
        for key, value in builds.items():
            self.builds.setdefault(key, []).append(value)
        if path is not None:
            self.records.append(path)

    def run_s(self, job: Job) -> float | None:
        """Expected seconds of *job* from the records, or None."""
        seen = self.runs.get(job_key(job))
        if not seen:
            plain = run_key(job.sim, job.ref.dut, job.ref.config, job.ref.test)
            seen = [v for k, vs in self.runs.items() if k == plain or k.startswith(plain + "?") for v in vs[:1]]
        return statistics.median(seen[:SAMPLES]) if seen else None

    def build_s(self, key: Key, coverage: bool) -> float | None:
        seen = self.builds.get(build_key(key, coverage))
        return statistics.median(seen[:SAMPLES]) if seen else None


def history_roots(out_dir: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """Where earlier records are: *extra* (``--history``), beside this run, and the build
    root's ``regress/``."""
    roots = [Path(p).resolve() for p in extra]
    roots += [out_dir.parent.resolve(), (sim_runner.default_build_root() / "regress").resolve()]
    return list(dict.fromkeys(roots))


def build_stamp(dut: Any, coverage: bool, waves: bool) -> dict[str, Any] | None:
    """The build cache's stamp of *dut* (hash, ``duration_s`` of its last real build,
    ``built_at``), or None."""
    try:
        path = dut.variant_dir(coverage=coverage, waves=waves) / sim_runner.STAMP_NAME
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError, AttributeError):
        return None


def default_build_s(dut: Any, sim: str, coverage: bool) -> float:
    """A build nobody has timed: a base plus a rate per KB of its Verilog sources."""
    try:
        kb = sum(Path(s).stat().st_size for s in dut.sources) / 1024
    except (OSError, AttributeError, TypeError):
        kb = 0.0
    rate = DEFAULT_BUILD_S_PER_KB.get((sim, coverage and sim == "verilator"), 0.07)
    return DEFAULT_BUILD_BASE_S.get(sim, 20.0) + rate * kb


@dataclass
class Expected:
    """Expected seconds of every build (by key) and test (by job id), with their sources."""

    builds: dict[Key, Estimate]
    runs: dict[str, Estimate]

    def build_s(self, key: Key) -> float:
        return self.builds[key][0]

    def run_s(self, job: Job) -> float:
        return self.runs[job.job_id][0]

    def sources(self) -> dict[str, int]:
        """How many figures came from each source (for the start-of-run line)."""
        counts: dict[str, int] = {}
        for _, source in (*self.builds.values(), *self.runs.values()):
            counts[source] = counts.get(source, 0) + 1
        return counts


def expect(by_key: Mapping[Key, list[Job]], duts: Mapping[Key, Any], coverage: Mapping[Key, bool],
           waves: bool, history: History) -> Expected:
    """Expected times of the builds in *duts* and of their jobs (see the module docstring)."""
    builds: dict[Key, Estimate] = {}
    for key, dut in duts.items():
        cov = coverage.get(key, False)
        try:
            current = sim_runner.build_is_current(dut, coverage=cov, waves=waves)
        except Exception:  # a source that cannot be hashed now fails in the build itself
            current = False
        stamp = build_stamp(dut, cov, waves)
        recorded = history.build_s(key, cov)
        if current:
            builds[key] = (UP_TO_DATE_BUILD_S, "up to date")
        elif stamp and isinstance(stamp.get("duration_s"), (int, float)):
            builds[key] = (float(stamp["duration_s"]), "build cache")
        elif recorded is not None:
            builds[key] = (recorded, "record")
        else:
            builds[key] = (default_build_s(dut, key[2], cov), "default")
    runs: dict[str, Estimate] = {}
    for key in duts:
        for job in by_key[key]:
            seen = history.run_s(job)
            runs[job.job_id] = (seen, "record") if seen is not None else (DEFAULT_RUN_S.get(job.sim, 60.0), "default")
    return Expected(builds, runs)


Running = tuple[float, str, Key, "Job | None"]
"""An item in a slot: (expected seconds left, kind, key, job)."""

QUICK_TOLERANCE = 0.02
QUICK_SLACK_S = 1.0
"""The shortest ready test (or, before any test is ready, the quickest build + test) jumps
ahead of the critical-path choice while the forecast wall time stays within 2 % (+1 s) of
the lower bound, max(longest remaining chain, remaining work / slots), or no longer than
the critical-path choice's own forecast. The bound, not the previous forecast, is the
reference, so jumps cannot add up."""


class ReadyQueue:
    """Builds and tests ready to start: the longest expected remaining chain first, except
    that the shortest ready test (with none ready or running: the build with the shortest
    build + test) goes first whenever the forecast says that does not lengthen the run (an
    early first result costs nothing while other work fills the slots).

    ``order="fifo"`` is the order before this scheduler (every build, then each
    configuration's tests as its build ends), kept so forecasts can compare the two.
    """

    def __init__(self, expected: Expected, by_key: Mapping[Key, list[Job]], order: str = "critical-path") -> None:
        if order not in ("critical-path", "fifo"):
            raise ValueError(f"order must be 'critical-path' or 'fifo', got {order!r}")
        self.expected, self.by_key, self.order = expected, by_key, order
        self._heap: list[tuple[float, int, str, Key, Job | None]] = []
        self._seq = 0

    def chain_s(self, key: Key) -> float:
        """Expected build of *key* plus its longest expected test."""
        return self.expected.build_s(key) + max((self.expected.run_s(j) for j in self.by_key[key]), default=0.0)

    def cost_s(self, key: Key, job: Job | None) -> float:
        return self.expected.build_s(key) if job is None else self.expected.run_s(job)

    def _push(self, priority: float, kind: str, key: Key, job: Job | None) -> None:
        self._seq += 1
        rank = 0.0 if self.order == "fifo" else -priority
        heapq.heappush(self._heap, (rank, self._seq, kind, key, job))

    def add_build(self, key: Key) -> None:
        self._push(self.chain_s(key), "build", key, None)

    def add_runs(self, key: Key) -> None:
        """The build of *key* is done: its tests are ready."""
        for job in self.by_key[key]:
            self._push(self.expected.run_s(job), "run", key, job)

    def copy(self, order: str | None = None) -> "ReadyQueue":
        other = ReadyQueue(self.expected, self.by_key, order or self.order)
        other._heap, other._seq = list(self._heap), self._seq
        if other.order != self.order:  # re-rank for the other order
            items = [(kind, key, job) for _, _, kind, key, job in sorted(self._heap, key=lambda e: e[1])]
            other._heap, other._seq = [], 0
            for kind, key, job in items:
                other._push(self.chain_s(key) if job is None else self.expected.run_s(job), kind, key, job)
        return other

    def pop(self, running: Sequence[Running] = (), slots: int = 1) -> tuple[str, Key, Job | None]:
        """(kind, key, job) of the item to start now, beside *running* in *slots* slots;
        IndexError when none is ready."""
        entry = self._heap[0]
        if self.order == "critical-path":
            quick = self._quickest_result(running)
            if quick is not None and quick is not entry:
                allowed = max(self._makespan_after(entry, running, slots),
                              self.lower_bound_s(running, slots) * (1 + QUICK_TOLERANCE))
                if self._makespan_after(quick, running, slots) <= allowed + QUICK_SLACK_S:
                    entry = quick
        self._heap.remove(entry)
        heapq.heapify(self._heap)
        return entry[2], entry[3], entry[4]

    def _quickest_result(self, running: Sequence[Running]) -> tuple[float, int, str, Key, Job | None] | None:
        """The ready item that gives a result soonest: the shortest ready test; when no test
        is ready or running and builds already hold a slot (a cold start, where every slot
        would otherwise go to the big builds), the build whose build plus shortest test is
        shortest. The first slot always takes the critical path."""
        runs = [e for e in self._heap if e[2] == "run"]
        if runs:
            return min(runs, key=lambda e: (self.expected.run_s(e[4]), e[1]))  # type: ignore[arg-type]
        if not running or any(kind == "run" for _, kind, _, _ in running):
            return None
        builds = [e for e in self._heap if e[2] == "build" and self.by_key[e[3]]]
        return min(builds, key=lambda e: (self.expected.build_s(e[3])
                                          + min(self.expected.run_s(j) for j in self.by_key[e[3]]), e[1]),
                   default=None)

    def lower_bound_s(self, running: Sequence[Running], slots: int) -> float:
        """No order finishes sooner: max(longest remaining chain, remaining work / slots)."""
        work, chain = 0.0, 0.0
        for left, kind, key, job in running:
            tail = max((self.expected.run_s(j) for j in self.by_key[key]), default=0.0) if kind == "build" else 0.0
            work += max(0.0, left) + (sum(self.expected.run_s(j) for j in self.by_key[key]) if kind == "build" else 0.0)
            chain = max(chain, max(0.0, left) + tail)
        for _, _, kind, key, job in self._heap:
            if kind == "build":
                work += self.expected.build_s(key) + sum(self.expected.run_s(j) for j in self.by_key[key])
                chain = max(chain, self.chain_s(key))
            else:
                work += self.expected.run_s(job)  # type: ignore[arg-type]
                chain = max(chain, self.expected.run_s(job))  # type: ignore[arg-type]
        return max(chain, work / max(1, slots))

    def forecast_s(self, running: Sequence[Running], slots: int) -> float:
        """Expected seconds until everything queued and *running* is done."""
        return _simulate(self, running, slots, plain=True).makespan_s

    def _makespan_after(self, entry: tuple[float, int, str, Key, Job | None], running: Sequence[Running],
                        slots: int) -> float:
        """Forecast wall time (from now) when *entry* starts now and the rest follows by critical path."""
        rest = self.copy()
        rest._heap.remove(entry)
        heapq.heapify(rest._heap)
        started = (self.cost_s(entry[3], entry[4]), entry[2], entry[3], entry[4])
        return _simulate(rest, [*running, started], slots, plain=True).makespan_s

    def __len__(self) -> int:
        return len(self._heap)


@dataclass
class Forecast:
    """What the expected times predict for one order on *slots* slots."""

    makespan_s: float
    first_result_s: float
    total_work_s: float = 0.0
    longest_chain_s: float = 0.0
    longest_chain: str = "-"
    starts: dict[str, float] = field(default_factory=dict)
    """Start time of every item: ``build <sim>/<dut>-<config>`` or the job id."""


def item_name(kind: str, key: Key, job: Job | None) -> str:
    return job.job_id if job is not None else f"build {build_key(key, False)}"


def _simulate(queue: ReadyQueue, running: Sequence[Running], slots: int, plain: bool = False) -> Forecast:
    """Play the runner's loop on the expected times from a state (every build succeeds).
    *plain* starts strictly by critical path (the look-ahead inside ``pop``)."""
    queue = queue.copy()
    slots = max(1, slots)
    now, seq, first = 0.0, 0, None
    live: list[tuple[float, int, str, Key, Job | None]] = []
    for left, kind, key, job in running:
        seq += 1
        heapq.heappush(live, (max(0.0, left), seq, kind, key, job))
    starts: dict[str, float] = {}
    while queue or live:
        while queue and len(live) < slots:
            if plain:
                _, _, kind, key, job = heapq.heappop(queue._heap)
            else:
                kind, key, job = queue.pop([(end - now, k, ky, j) for end, _, k, ky, j in live], slots)
            starts[item_name(kind, key, job)] = now
            seq += 1
            heapq.heappush(live, (now + queue.cost_s(key, job), seq, kind, key, job))
        now, _, kind, key, job = heapq.heappop(live)
        if kind == "build":
            queue.add_runs(key)
        elif first is None:
            first = now
    return Forecast(makespan_s=now, first_result_s=first or 0.0, starts=starts)


def forecast(expected: Expected, by_key: Mapping[Key, list[Job]], slots: int,
             order: str = "critical-path") -> Forecast:
    """Predict a whole run in *order* on *slots* slots with the expected times."""
    queue = ReadyQueue(expected, by_key, order)
    keys = sorted(expected.builds)
    for key in keys:
        queue.add_build(key)
    fc = _simulate(queue, [], slots)
    fc.total_work_s = sum(expected.build_s(k) + sum(expected.run_s(j) for j in by_key[k]) for k in keys)
    chains = {k: queue.chain_s(k) for k in keys}
    if chains:
        longest = max(chains, key=lambda k: chains[k])
        fc.longest_chain_s, fc.longest_chain = chains[longest], build_key(longest, False)
    return fc


class Timeline:
    """Start and end of every build and test of one run, beside its expected time; kept in
    the record (``launcher.schedule``) so later runs learn build times from it."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.items: dict[str, dict[str, Any]] = {}
        self.forecast: dict[str, Any] = {}

    def start(self, name: str, kind: str, expected_s: float, source: str) -> None:
        self.items[name] = {"name": name, "kind": kind, "expected_s": round(expected_s, 3), "source": source,
                            "start_s": round(time.monotonic() - self.t0, 3)}

    def end(self, name: str, **extra: Any) -> None:
        item = self.items.setdefault(name, {"name": name})
        item["end_s"] = round(time.monotonic() - self.t0, 3)
        item.update(extra)

    def to_json(self) -> dict[str, Any]:
        return {"order": "critical-path", "forecast": self.forecast, "items": list(self.items.values())}


def build_outcome(dut: Any, coverage: bool, waves: bool, started_wall: float) -> dict[str, Any]:
    """``status`` built (compiled now) or cached, and ``build_s``: what a real build of it took."""
    stamp = build_stamp(dut, coverage, waves) or {}
    fresh = float(stamp.get("built_at") or 0.0) >= started_wall
    out: dict[str, Any] = {"status": "built" if fresh else "cached"}
    if isinstance(stamp.get("duration_s"), (int, float)):
        out["build_s"] = float(stamp["duration_s"])
    return out


def describe(expected: Expected, by_key: Mapping[Key, list[Job]], slots: int, history: History) -> list[str]:
    """The start-of-run lines: expected work, longest chain, forecast wall time and ETA."""
    fc = forecast(expected, by_key, slots)
    sources = ", ".join(f"{n} {s}" for s, n in sorted(expected.sources().items()))
    eta = time.strftime("%H:%M:%S", time.localtime(time.time() + fc.makespan_s))
    lines = [f"expected: {_fmt(fc.total_work_s)} of work on {slots} slot(s), longest chain {_fmt(fc.longest_chain_s)} "
             f"(build {fc.longest_chain} + its longest test); forecast wall {_fmt(fc.makespan_s)} (ETA {eta}), "
             f"first result after {_fmt(fc.first_result_s)}; expected times: {sources or 'none'}, "
             f"from {len(history.records)} earlier record(s)"]
    lines += [f"  warning: {w}" for w in history.warnings]
    return lines


def forecast_json(expected: Expected, by_key: Mapping[Key, list[Job]], slots: int) -> dict[str, Any]:
    fc = forecast(expected, by_key, slots)
    return {"makespan_s": round(fc.makespan_s, 1), "first_result_s": round(fc.first_result_s, 1),
            "total_work_s": round(fc.total_work_s, 1), "longest_chain_s": round(fc.longest_chain_s, 1),
            "longest_chain": fc.longest_chain, "slots": slots}


def _fmt(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


__all__ = ["DEFAULT_RUN_S", "Expected", "Forecast", "History", "ReadyQueue", "Timeline", "build_key",
           "build_outcome", "default_build_s", "history_roots", "describe", "expect", "forecast",
           "forecast_json", "job_key", "run_key"]
