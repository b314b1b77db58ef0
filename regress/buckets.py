"""Failure buckets: failures with the same error signature grouped together.

The signature is the status plus the first line of the message with numbers, hex
values and paths masked, so "expected 0x1f got 0x20 at word 3" and "... word 7" land
in one bucket, while a timeout and an assertion do not.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from llama_dv.regress.results import JobResult

_MASKS = (
    (re.compile(r"(/[\w.\-]+)+"), "<path>"),
    (re.compile(r"0x[0-9a-fA-F]+"), "<hex>"),
    (re.compile(r"-?\d+(\.\d+)?"), "<n>"),
)


def signature(result: JobResult) -> str:
    line = (result.message or "").strip().splitlines()[0] if result.message.strip() else "(no message)"
    # cocotb prefixes each failure with the test's qualified name; keep only the reason.
    line = re.sub(r"^[\w.\[\]=]+: ", "", line)
    for pattern, repl in _MASKS:
        line = pattern.sub(repl, line)
    return f"{result.status}: {line[:200]}"


@dataclass
class Bucket:
    signature: str
    results: list[JobResult] = field(default_factory=list)


def bucket_failures(results: list[JobResult]) -> list[Bucket]:
    """Buckets of failing results, largest first."""
    buckets: dict[str, Bucket] = {}
    for r in results:
        if r.failed:
            sig = signature(r)
            buckets.setdefault(sig, Bucket(sig)).results.append(r)
    return sorted(buckets.values(), key=lambda b: (-len(b.results), b.signature))
