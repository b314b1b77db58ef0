"""Survivors the user has justified in the testplan, the way coverage exclusions are.

A surviving mutant that only matters outside the DUT's declared argument ranges, or in a
build configuration the mutants were not made from, is not a gap of the bench. The
testplan says so, one rule per reason, under `mutation: <dut>: justify:`; every key a
rule gives must match, and `why` is the line the report prints next to the mutant:

```yaml
mutation:
  rmsnorm:
    justify:
      - src: rtl/hls/rmsnorm.v:280-290        # file:line or file:first-last
        why: LATENCY_PAD delay line; the default build has LATENCY_PAD=0
      - wire: "n_reg"                         # regular expression, whole wire name
        bits: 9-31                            # bit or first-last of that wire
        ctrlbit: 25-31                        # cnot0/cnot1: the other bit xor-ed in
        mode: const1                          # inv | const0 | const1 | cnot0 | cnot1
        why: n above 256 is outside the declared range of n
```
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from llama_dv.regress.mutate.netlist import Mutation

RULE_KEYS = ("src", "wire", "bits", "ctrlbit", "cell", "mode")


class RuleError(ValueError):
    """A justify rule that cannot be used; the message names the DUT and rule number."""


@dataclass(frozen=True)
class JustifyRule:
    why: str
    src: str | None = None
    wire: str | None = None
    bits: str | None = None
    ctrlbit: str | None = None
    cell: str | None = None
    mode: str | None = None
    where: str = ""

    def matches(self, m: Mutation) -> bool:
        if self.mode is not None and m.mode != self.mode:
            return False
        if self.wire is not None and not re.fullmatch(self.wire, (m.wire or "").lstrip("\\")):
            return False
        if self.cell is not None and not re.search(self.cell, m.cell):
            return False
        if self.bits is not None and not _in(self.bits, m.wirebit if m.wirebit is not None else m.portbit):
            return False
        if self.ctrlbit is not None and (m.ctrlbit is None or not _in(self.ctrlbit, m.ctrlbit)):
            return False
        return self.src is None or any(_src_matches(self.src, s) for s in m.src)

    def describe(self) -> str:
        keys = ", ".join(f"{k}={getattr(self, k)}" for k in RULE_KEYS if getattr(self, k) is not None)
        return f"{self.why} [{self.where}: {keys}]"


def _in(span: str, bit: int) -> bool:
    first, _, last = span.partition("-")
    return int(first) <= bit <= int(last or first)


def _src_matches(rule: str, src: str) -> bool:
    """`file:line` or `file:first-last` against a yosys src tag `file:line.col-line.col`."""
    rfile, _, rlines = rule.rpartition(":")
    sfile, _, spos = src.rpartition(":")
    if not rfile or not (sfile == rfile or sfile.endswith("/" + rfile)):
        return False
    try:
        line = int(spos.split(".")[0])
        first, _, last = rlines.partition("-")
        return int(first) <= line <= int(last or first)
    except ValueError:
        return False


def load_rules(plan_data: dict[str, Any], dut: str) -> list[JustifyRule]:
    """The justify rules of *dut* in a loaded testplan's data (none when absent)."""
    entries = ((plan_data.get("mutation") or {}).get(dut) or {}).get("justify") or []
    rules = []
    for i, raw in enumerate(entries, 1):
        where = f"mutation.{dut}.justify[{i}]"
        if not isinstance(raw, dict) or not str(raw.get("why", "")).strip():
            raise RuleError(f"{where}: a rule needs a one-line `why`")
        if not any(k in raw for k in RULE_KEYS):
            raise RuleError(f"{where}: give at least one of {', '.join(RULE_KEYS)} (a rule matching every "
                            "mutant would justify them all)")
        for key in ("bits", "ctrlbit"):
            if key in raw and not re.fullmatch(r"\d+(-\d+)?", str(raw[key])):
                raise RuleError(f"{where}: {key} {raw[key]!r}: expected a bit or first-last, e.g. 9-31")
        for key in ("wire", "cell"):
            if key in raw:
                try:
                    re.compile(str(raw[key]))
                except re.error as exc:
                    raise RuleError(f"{where}: {key} {raw[key]!r} is not a regular expression: {exc}") from None
        rules.append(JustifyRule(why=str(raw["why"]).strip(), where=where,
                                 **{k: str(raw[k]) for k in RULE_KEYS if k in raw}))
    return rules


def justification(rules: list[JustifyRule], m: Mutation) -> JustifyRule | None:
    """The first rule that covers *m*."""
    return next((r for r in rules if r.matches(m)), None)
