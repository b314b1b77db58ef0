"""Whether the tests ever *infected* a mutant: made its mutated signal differ at all.

A surviving mutant is one of two gaps. Never infected: the tests never produced the value
the mutation changes (a stuck-at-1 bit that is 1 whenever it runs, an xor with a bit that
is never set), so the stimulus never reached it, or nothing can (an unreachable bit,
likely equivalent). Infected: the signal did differ, and nothing that differed ever
reached a check, which is a gap in the checks (or an equivalent mutant whose difference
dies out). The two want different work, so every mutant says which.

The mutant netlist carries one probe per mutation, live only in the unmutated run
(`ldv_mutant == 0`): a sticky flag set, with one `LDV-INFECTED <i> <time>` line in the
simulation log, the first time the mutation's condition holds on the unmutated signals.
Until that moment mutant i's run is the unmutated run cycle for cycle, so the flag says
exactly whether and when mutant i was infected under the same test and seed. Conditions,
on the original bit b and the mutation's second bit c: inverted, always; stuck at 0,
b = 1; stuck at 1, b = 0; xor with !c, c = 0; xor with c, c = 1. A bit no public wire
carries (a yosys-internal net) gets no probe: its mutant's infection is unknown.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

from llama_dv.regress.mutate.netlist import CONTROL, MutantNetlist, Mutation, module_span, verilog_id

MARK = "LDV-INFECTED"
_LINE = re.compile(rf"^{MARK} (\d+) (\d+)", re.M)


def _public_bits(module: dict[str, Any]) -> dict[int, str]:
    """Bit id -> a Verilog expression of a public wire carrying it (`name[i]`, or `name`)."""
    out: dict[int, str] = {}
    for name, net in module.get("netnames", {}).items():
        if name.startswith("$") or net.get("hide_name") or net.get("upto"):
            continue
        bits, offset = net["bits"], int(net.get("offset", 0))
        for i, bit in enumerate(bits):
            if isinstance(bit, int) and bit not in out:
                out[bit] = verilog_id(name) if len(bits) == 1 else f"{verilog_id(name)}[{offset + i}]"
    return out


def _bit(module: dict[str, Any], wires: dict[int, str], mutation: Mutation, index: int) -> str | None:
    """The Verilog expression of bit *index* of the mutated cell port, or None."""
    conns = module.get("cells", {}).get(mutation.cell, {}).get("connections", {}).get(mutation.port, [])
    if index >= len(conns):
        return None
    bit = conns[index]
    if bit in ("0", "1"):
        return f"1'b{bit}"
    return wires.get(bit) if isinstance(bit, int) else None


def condition(module: dict[str, Any], mutation: Mutation, wires: dict[int, str] | None = None) -> str | None:
    """The Verilog condition on the unmutated design under which *mutation* changes its
    signal, or None when its bits are on no public wire."""
    wires = _public_bits(module) if wires is None else wires
    if mutation.mode == "inv":
        return "1'b1"
    if mutation.mode in ("const0", "const1"):
        b = _bit(module, wires, mutation, mutation.portbit)
        return None if b is None else f"{b} == 1'b{1 if mutation.mode == 'const0' else 0}"
    if mutation.mode in ("cnot0", "cnot1") and mutation.ctrlbit is not None:
        c = _bit(module, wires, mutation, mutation.ctrlbit)
        return None if c is None else f"{c} == 1'b{0 if mutation.mode == 'cnot0' else 1}"
    return None


def attach_probes(netlist: MutantNetlist) -> dict[int, bool]:
    """Insert the probes into the written mutant netlist, each into the module its mutation
    lives in; returns which mutations got one."""
    path = netlist.mutants_verilog
    modules = json.loads(netlist.base_json.read_text())["modules"]
    text = path.read_text()
    by_module: dict[str, list[str]] = {}
    probed: dict[int, bool] = {}
    wires_of: dict[str, dict[int, str]] = {}
    for m in netlist.mutations:
        module = modules.get(m.module)
        if module is None:
            probed[m.index] = False
            continue
        wires = wires_of.setdefault(m.module, _public_bits(module))
        cond = condition(module, m, wires)
        probed[m.index] = cond is not None
        if cond is None:
            continue
        flag = f"ldv_infected_{m.index}"
        by_module.setdefault(m.module, []).append(
            f"  reg {flag} = 1'b0;\n"
            f"  always @* if ({CONTROL} == 0 && !{flag} && ({cond})) begin\n"
            f"    {flag} = 1'b1;\n    $display(\"{MARK} {m.index} %0t\", $time);\n  end\n")
    for name, probes in by_module.items():
        _, end = module_span(text, netlist.module_in_file(name), path)
        text = (text[:end] + "  // llama-dv mutate: infection probes, live in the unmutated run only\n"
                + "".join(probes) + text[end:])
    path.write_text(text)
    return probed


def read_infections(logs: Iterable[tuple[str, Path]]) -> dict[int, dict[str, Any]]:
    """Mutation index -> {test, time} of its first infection, from the unmutated run's
    simulation logs (test name, log path), in the order given."""
    found: dict[int, dict[str, Any]] = {}
    for test, log in logs:
        try:
            text = log.read_text(errors="replace")
        except OSError:
            continue
        for m in _LINE.finditer(text):
            found.setdefault(int(m[1]), {"test": test, "time": int(m[2])})
    return found


def describe(entry: dict[str, Any]) -> str:
    """The infection part of a mutant's line in the report."""
    seen = entry.get("infected")
    if seen is None:
        return ""
    if seen is False:
        return "never infected: no test made the mutated signal differ (a stimulus gap, or unreachable)"
    if seen == "unknown":
        return "infection unknown (the mutated bit is on no named wire)"
    if entry.get("mode") == "inv":
        return (f"infected from the start of {seen['test']} (an inversion always changes its signal): "
                "the difference reached no check")
    return f"infected in {seen['test']} at sim time {seen['time']}: the difference reached no check"
