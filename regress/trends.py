"""Trends across regressions: one point per ``record.json`` under the regression root.

Each point is read from what a regression recorded (results, merged coverage, wall time,
the tests' metrics), never recomputed, so a trend shows what the runs measured.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_dv.regress import codecov
from llama_dv.regress.results import RECORD_NAME


@dataclass
class RunPoint:
    """The headline figures of one regression."""

    name: str
    started: str
    suite: str
    passed: int
    ran: int
    wall_time_s: float | None
    functional_pct: float | None
    line_pct: float | None
    cycles_per_token: float | None
    current: bool = False
    durations: dict[str, float] = field(default_factory=dict)
    """"<sim> <test>" -> its longest run's wall time in seconds."""

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.passed / self.ran if self.ran else None


def code_figures(run_dir: Path, code: dict[str, Any]) -> dict[str, Any]:
    """The record's code coverage with ``line`` in source lines (as the lcov page counts
    them); records written before lines were counted so are recounted from their merged
    .dat when it is still there."""
    out = {}
    for name, info in code.items():
        info = dict(info)
        if info.get("line_unit") != codecov.LINE_UNIT and info.get("dat") and (run_dir / info["dat"]).is_file():
            counts = codecov.count_points(run_dir / info["dat"])
            info["counts"] = {k: list(v) for k, v in counts.items()}
            info["percent"] = {k: round(100.0 * c / t, 2) for k, (c, t) in counts.items() if t}
            info["line_unit"] = codecov.LINE_UNIT
        out[name] = info
    return out


def _functional_pct(run_dir: Path, record: dict[str, Any]) -> float | None:
    path = run_dir / (record.get("coverage") or {}).get("functional", "coverage/functional.json")
    try:
        groups = json.loads(path.read_text()).get("groups", [])
    except (OSError, ValueError):
        return None
    size = sum(g["size"] for g in groups)
    return 100.0 * sum(g["covered"] for g in groups) / size if size else None


def _line_pct(run_dir: Path, record: dict[str, Any]) -> float | None:
    code = (record.get("coverage") or {}).get("code") or {}
    if "all" not in code:
        return None
    counts = code_figures(run_dir, {"all": code["all"]})["all"].get("counts", {}).get("line")
    return 100.0 * counts[0] / counts[1] if counts and counts[1] else None


def _cycles_per_token(record: dict[str, Any]) -> float | None:
    values = [r["metrics"]["cycles_per_token"] for r in record.get("results", [])
              if r.get("status") == "pass" and isinstance((r.get("metrics") or {}).get("cycles_per_token"), (int, float))]
    return sum(values) / len(values) if values else None


def _durations(results: list[dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in results:
        if r.get("status") != "not_run" and isinstance(r.get("duration_s"), (int, float)):
            key = f"{r.get('sim')} {r.get('ref')}"
            out[key] = max(out.get(key, 0.0), float(r["duration_s"]))
    return out


def run_point(run_dir: Path, record: dict[str, Any], current: bool = False) -> RunPoint:
    results = record.get("results", [])
    return RunPoint(
        name=run_dir.name, started=record.get("started") or "", suite=str(record.get("suite")),
        passed=sum(r["status"] == "pass" for r in results),
        ran=sum(r["status"] != "not_run" for r in results),
        wall_time_s=record.get("wall_time_s"), functional_pct=_functional_pct(run_dir, record),
        line_pct=_line_pct(run_dir, record), cycles_per_token=_cycles_per_token(record), current=current,
        durations=_durations(results))


def history(run_dir: Path, record: dict[str, Any], limit: int = 30) -> list[RunPoint]:
    """This run and the regressions beside it (same root), oldest first, at most *limit*."""
    run_dir = Path(run_dir).resolve()
    points = {run_dir: run_point(run_dir, record, current=True)}
    for path in run_dir.parent.glob(f"*/{RECORD_NAME}"):
        other = path.parent.resolve()
        if other in points:
            continue
        try:
            data = json.loads(path.read_text())
            if data.get("shard"):
                continue  # a shard is part of a run; its merge is the trend point
            points[other] = run_point(other, data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # a half-written or foreign record is not a trend point
    ordered = sorted(points.values(), key=lambda p: (p.started, p.name))
    return ordered[-limit:]
