"""The mutation result of one DUT and suite: `mutation.json` for tools, `mutation.md` to read.

Score = killed / (all - proven equivalent - justified). Survivors come first in the
Markdown table, each with its mutation and a link to its RTL line, and are repeated
below the table with that line's text, so the gaps are what one sees.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from llama_dv.regress.mutate.infection import describe as infection
from llama_dv.tb.sim.runner import REPO_ROOT, default_build_root

RESULT_NAME = "mutation.json"
SUMMARY_NAME = "mutation.md"


def result_dir(dut: str, config: str, suite: str, sim: str, root: Path | None = None) -> Path:
    """`build/mutate/<dut>-<config>/<suite>-<sim>/`: one DUT, suite and simulator."""
    return (root or default_build_root() / "mutate") / f"{dut}-{config}" / f"{suite}-{sim}"


def score(mutants: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {s: sum(1 for m in mutants if m["status"] == s) for s in ("killed", "survived", "equivalent", "justified")}
    considered = counts["killed"] + counts["survived"]
    pct = round(100.0 * counts["killed"] / considered, 1) if considered else None
    return {**counts, "total": len(mutants), "considered": considered, "score_pct": pct}


def write_result(out: Path, record: dict[str, Any]) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULT_NAME).write_text(json.dumps(record, indent=1))
    (out / SUMMARY_NAME).write_text(markdown(record, out))
    return out / RESULT_NAME, out / SUMMARY_NAME


def read_result(out: Path) -> dict[str, Any] | None:
    path = out / RESULT_NAME
    return json.loads(path.read_text()) if path.is_file() else None


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


_LOCATION = re.compile(r"^(?P<file>.+):(?P<line>\d+)$")


def source_line(location: str) -> tuple[Path, int] | None:
    """(file, line) of a `file:line` location, the file resolved against the checkout."""
    m = _LOCATION.match(location or "")
    if not m:
        return None
    path = Path(m["file"])
    path = path if path.is_absolute() else REPO_ROOT / path
    return (path, int(m["line"])) if path.is_file() else None


def _linked(location: str, out: Path | None) -> str:
    """The location as a Markdown link to its line, relative to *out* so the folder can move
    with the checkout; plain text when the file is not there."""
    found = source_line(location)
    if out is None or found is None:
        return _cell(location)
    path, line = found
    return f"[{_cell(location)}]({os.path.relpath(path, out.resolve())}#L{line})"


def _line_text(location: str) -> str | None:
    found = source_line(location)
    if found is None:
        return None
    path, line = found
    lines = path.read_text(errors="replace").splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else None


def markdown(r: dict[str, Any], out: Path | None = None) -> str:
    s = r["score"]
    pct = "n/a" if s["score_pct"] is None else f"{s['score_pct']:.1f} %"
    lines = [f"# Mutation score: {r['dut']} ({r['config']}), suite {r['suite']}, {r['sim']}", "",
             f"**{pct}** — killed {s['killed']} of {s['considered']} "
             f"(all {s['total']} − {s['equivalent']} proven equivalent − {s['justified']} justified)", "",
             f"- mutants: {s['total']} sampled by yosys `mutate -list {r['count']} -seed {r['seed']}`; "
             f"mutant 0 (no mutation) passed every test",
             f"- tests: {', '.join(r['tests'])}",
             *([f"- not run on the mutants: {', '.join(r['skipped_tests'])} (another build configuration)"]
               if r.get("skipped_tests") else []),
             f"- wall time: {r['wall_s']:.0f} s with {r['jobs']} job(s); commit {r.get('git_commit') or 'unknown'}",
             "", "| # | status | mutation | source | killed by / reason |", "|---|---|---|---|---|"]
    order = {"survived": 0, "justified": 1, "equivalent": 2, "killed": 3}
    for m in sorted(r["mutants"], key=lambda m: (order.get(m["status"], 9), m["index"])):
        why = (f"{m['killed_by']}: {m['message']}" if m["status"] == "killed"
               else "; ".join(p for p in (m.get("justification") or m.get("proof"),
                                          infection(m) if m["status"] == "survived" else "") if p))
        lines.append(f"| {m['index']} | {m['status']} | {_cell(m['signal'])} {_cell(m['mode'])} | "
                     f"{_linked(m['location'], out)} | {_cell(why)} |")
    survivors = [m for m in r["mutants"] if m["status"] == "survived"]
    if survivors:
        lines += ["", "## Survivors at their RTL line", ""]
        never = sum(1 for m in survivors if m.get("infected") is False)
        hit = sum(1 for m in survivors if isinstance(m.get("infected"), dict))
        if never or hit:
            lines += [f"{never} never infected (the tests never made the signal differ: add stimulus, or "
                      f"show it unreachable), {hit} infected but never caught (a check gap, or a difference masked "
                      f"before it reached state, e.g. a mux input never selected while it differed), "
                      f"{len(survivors) - never - hit} unknown.", ""]
        for m in sorted(survivors, key=lambda m: m["index"]):
            text = _line_text(m["location"])
            lines += [f"- **{m['index']}** {_cell(m['description'])} ({_linked(m['location'], out)})",
                      *([f"  `{text.replace('`', chr(39))}`"] if text else []),
                      *([f"  {infection(m)}"] if infection(m) else [])]
    return "\n".join(lines) + "\n"
