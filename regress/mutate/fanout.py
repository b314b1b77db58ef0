"""Bit-level fan-out of a mutation: a mutated bit that reaches no output port is dead logic.

Such a mutant is equivalent by construction, whatever the tests do (an unused high bit of
a wide adder, a flag no output depends on). The analysis follows the netlist bit by bit
through every cell, across registers (so later cycles count), and errs on the side of
reaching: a cell whose bit mapping it does not know passes any input bit to all its
outputs, so "reaches no output" is a proof, "reaches one" is not a counterexample.
"""
from __future__ import annotations

from collections import deque
from typing import Any

BITWISE = {"$not", "$pos", "$and", "$or", "$xor", "$xnor", "$bweqx", "$_NOT_", "$_AND_", "$_OR_", "$_XOR_",
           "$_XNOR_", "$_NAND_", "$_NOR_", "$_ANDNOT_", "$_ORNOT_", "$_BUF_"}
CARRY_UP = {"$add": ("A", "B"), "$sub": ("A", "B"), "$neg": ("A",), "$mul": ("A", "B"), "$shl": ("A",),
            "$sshl": ("A",)}
"""Ports whose input bit k changes only output bits k and above."""
REGISTER_DATA = {"D"}


def _affected(cell: dict[str, Any], port: str, bit: int) -> list[Any]:
    """Output bits of *cell* that input bit *port*[*bit*] can change."""
    conns, dirs, kind = cell["connections"], cell.get("port_directions", {}), cell["type"]
    outs = [p for p, d in dirs.items() if d == "output"]
    every = [b for p in outs for b in conns[p]]
    if len(outs) != 1:
        return every
    y = conns[outs[0]]
    last = bit == len(conns[port]) - 1  # a sign or zero extension repeats the top bit
    if kind in BITWISE and port in ("A", "B"):
        return y[bit:] if last else y[bit:bit + 1]
    if kind in ("$mux", "$_MUX_") and port in ("A", "B"):
        return y[bit:bit + 1]
    if port in CARRY_UP.get(kind, ()):
        return y[bit:]
    if kind.startswith(("$dff", "$adff", "$sdff", "$dffe", "$adffe", "$sdffe", "$sdffce", "$aldff")) \
            and port in REGISTER_DATA:
        return y[bit:bit + 1]
    return every


def reaches_output(module: dict[str, Any], cell_name: str, port: str, bit: int) -> bool:
    """Whether a change of `cell_name.port[bit]` can reach any output port of *module*."""
    return bool(cone(module, cell_name, port, bit, stop_at_output=True) & _outputs(module))


def _outputs(module: dict[str, Any]) -> set[Any]:
    return {b for p in module["ports"].values() if p["direction"] != "input" for b in p["bits"]}


def cone(module: dict[str, Any], cell_name: str, port: str, bit: int, stop_at_output: bool = False) -> set[Any]:
    """The net bits a change of `cell_name.port[bit]` can reach."""
    cells = module["cells"]
    cell = cells[cell_name]
    if cell.get("port_directions", {}).get(port) == "output":
        start = [cell["connections"][port][bit]]
    else:
        start = _affected(cell, port, bit)
    outputs = _outputs(module) if stop_at_output else set()
    readers: dict[Any, list[tuple[str, str, int]]] = {}
    for name, c in cells.items():
        for p, bits in c["connections"].items():
            if c.get("port_directions", {}).get(p) == "input":
                for i, b in enumerate(bits):
                    if isinstance(b, int):
                        readers.setdefault(b, []).append((name, p, i))
    seen: set[Any] = set()
    todo = deque(b for b in start if isinstance(b, int))
    while todo:
        b = todo.popleft()
        if b in seen:
            continue
        seen.add(b)
        if b in outputs:
            return seen
        for name, p, i in readers.get(b, ()):
            todo.extend(x for x in _affected(cells[name], p, i) if isinstance(x, int) and x not in seen)
    return seen
