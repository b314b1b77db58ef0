"""How long each top is expected to take, from the runs before this one, and when a run
of several tops in parallel should end.

Ten silent minutes of yosys look like a hang; a start line that says "about 10 minutes,
as last time" does not. Expectations come from the figure history (`history.jsonl`, the
median of a top's last successful runs) and, failing that, from the `<top>.json` a
previous run left in the output folder.
"""
from __future__ import annotations

import heapq
import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

RECENT_RUNS = 3


@dataclass(frozen=True)
class Expected:
    """Wall and CPU seconds a top took before (`runs`: how many runs the figure is from)."""

    wall_s: float
    cpu_s: float
    runs: int


def _from_report(path: Path) -> Expected | None:
    try:
        rep = json.loads(path.read_text())
        run = rep["run"]
        if rep.get("status") != "ok":
            return None
        return Expected(float(run["wall_s"]), float(run.get("cpu_s") or run["wall_s"]), 1)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def expected_times(out_dir: Path, tops: Iterable[str],
                   history: Iterable[Mapping] = ()) -> dict[str, Expected]:
    """Expected times of the `tops` that ran successfully before: median of the last
    `RECENT_RUNS` history entries, else the previous `<top>.json` in `out_dir`."""
    by_top: dict[str, list[Mapping]] = {}
    for entry in history:
        if entry.get("status") == "ok" and entry.get("cpu_s") is not None:
            by_top.setdefault(entry["top"], []).append(entry)
    out = {}
    for top in tops:
        recent = by_top.get(top, [])[-RECENT_RUNS:]
        if recent:
            out[top] = Expected(statistics.median(float(e["wall_s"]) for e in recent),
                                statistics.median(float(e["cpu_s"]) for e in recent), len(recent))
        elif (found := _from_report(out_dir / f"{top}.json")) is not None:
            out[top] = found
    return out


def remaining_wall_s(running: Mapping[str, float], queued: Iterable[str],
                     expected: Mapping[str, Expected], jobs: int) -> float | None:
    """Seconds until a run ends: `running` maps a started top to the seconds it has run,
    `queued` are the tops not started yet (in start order), `jobs` run at once. None when
    a top has no expectation (never ran before)."""
    names = list(running) + list(queued)
    if any(n not in expected for n in names):
        return None
    free = [max(expected[n].wall_s - elapsed, 0.0) for n, elapsed in running.items()]
    free += [0.0] * max(jobs - len(free), 0)
    heapq.heapify(free)
    end = max(free, default=0.0)
    for name in queued:
        start = heapq.heappop(free)
        finish = start + expected[name].wall_s
        end = max(end, finish)
        heapq.heappush(free, finish)
    return end


def minutes(seconds: float) -> str:
    """`12 min` / `40 s`: a duration for a console line."""
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"
