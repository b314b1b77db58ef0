"""Log excerpts for failure buckets: the lines around the first error of a job's log.

A failure's message says what went wrong; the lines before it (the transaction that was
being checked, the reset, the last handshake) usually say why, so the report shows them
without opening the log.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FIRST_ERROR = re.compile(r"\b(ERROR|FATAL|FAIL(ED)?|Traceback|AssertionError|%Error|%Fatal)\b|\bError:"
                         r"|\sfailed\s*$")  # cocotb: "WARNING cocotb.regression <test> failed"
MAX_LINE = 240


@dataclass
class Excerpt:
    """Lines ``first``.. of a log (1-based); ``hit`` is the first error's line, or None when
    the log has none and the excerpt is its tail (a timeout, a crash without a message)."""

    first: int
    lines: list[str]
    hit: int | None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def first_error_excerpt(log: Path, before: int = 6, after: int = 14, tail: int = 20) -> Excerpt | None:
    """The first error of *log* with *before*/*after* lines around it (its tail if no
    line looks like an error); None when the log cannot be read."""
    try:
        lines = Path(log).read_text(errors="replace").splitlines()
    except OSError:
        return None
    hit = next((i for i, line in enumerate(lines) if FIRST_ERROR.search(line)), None)
    start, stop = (max(0, hit - before), hit + after + 1) if hit is not None else (max(0, len(lines) - tail), len(lines))
    cut = [line if len(line) <= MAX_LINE else line[:MAX_LINE] + " ..." for line in lines[start:stop]]
    return Excerpt(start + 1, cut, None if hit is None else hit + 1)
