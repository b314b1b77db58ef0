"""Prove a surviving mutant equivalent to the original design, so it leaves the score.

Two proofs, cheapest first. Structural: the mutated bit reaches no output port through
the netlist's bit-level fan-out (`fanout`), so nothing observable can change. Formal: the
mutated copy is checked against the unmutated netlist with yosys' equivalence flow:
`equiv_make` pairs every signal of the two copies by name, `equiv_simple -seq N` proves
pairs from their input cones over N cycles, `equiv_induct` proves the rest by induction
over all pairs at once, and `equiv_status -assert` fails unless every pair is proven.
Together they show that from equal states both copies keep equal outputs forever: no
test can tell them apart. A mutant that is not proven within the time budget stays in
the score; the proof's log is kept next to the result.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_dv.regress.mutate.fanout import reaches_output
from llama_dv.regress.mutate.netlist import MutantNetlist, MutateError, Mutation, run_yosys
from llama_dv.tb.sim.runner import REPO_ROOT

SEQ_CYCLES = 4
ASYNC_PORTS = ("ARST", "ALOAD", "AD", "SET", "CLR")
"""Register inputs `async2sync` turns synchronous: a mutation on one is not proven formally."""
PROOF_CPU_S = 20.0
"""CPU budget of one proof: CPU seconds, so a busy machine proves what an idle one does."""
PROOF_WALL_S = 300.0
"""Outer wall-time bound of one proof, for a machine so loaded that CPU time hardly moves."""


@dataclass(frozen=True)
class Proof:
    """The outcome of one equivalence check; `reason` is the line the report shows."""

    proven: bool
    reason: str
    log: Path | None = None


def _tied_to(module: dict[str, Any], mutation: Mutation) -> str | None:
    """"0"/"1" when the mutated cell port bit is a constant in the netlist."""
    cell = module["cells"].get(mutation.cell)
    bits = (cell or {}).get("connections", {}).get(mutation.port, [])
    bit = bits[mutation.portbit] if mutation.portbit < len(bits) else None
    return bit if bit in ("0", "1") else None


def prove_equivalent(netlist: MutantNetlist, mutation: Mutation, cpu_budget_s: float = PROOF_CPU_S,
                     module: dict[str, Any] | None = None) -> Proof:
    """Try to prove *mutation* equivalent to the original design (both from the same state).
    *module* is the top's entry of `base.json` (read here when not given)."""
    if module is None:
        module = json.loads(netlist.base_json.read_text())["modules"][mutation.module]
    if mutation.port in ASYNC_PORTS:
        return structural_proof(module, mutation) or Proof(False, "not proven: an asynchronous reset or load "
                                                                   "input (the formal proofs model it as synchronous)")
    return (structural_proof(module, mutation)
            or local_proof(netlist.base_rtlil, mutation.module, netlist.workdir, mutation, cpu_budget_s)
            or _formal_proof(netlist, mutation, cpu_budget_s))


def structural_proof(module: dict[str, Any], mutation: Mutation) -> Proof | None:
    """The instant proofs: the mutated bit is already the constant it is stuck at, or it
    reaches no output port. None when neither holds."""
    tied = _tied_to(module, mutation)
    if tied is not None and mutation.mode == f"const{tied}":
        return Proof(True, f"equivalent: {mutation.signal} is the constant {tied} already (a stuck-at {tied} "
                           "changes nothing)")
    if mutation.cell in module["cells"] and not reaches_output(module, mutation.cell, mutation.port,
                                                                 mutation.portbit):
        return Proof(True, f"equivalent: {mutation.signal} reaches no output port (bit-level fan-out "
                           "of the netlist, across registers)")
    return None


def _pattern(name: str) -> str:
    """A yosys select pattern matching exactly the object *name* (`?` stands for the
    characters a pattern would read as syntax, such as `/`)."""
    return re.sub(r"[^A-Za-z0-9_$.:\\]", "?", name.lstrip("\\"))


def _module_id(name: str) -> str:
    """A module name as yosys commands take it (a specialised `$paramod...` name as it is)."""
    return name if name.startswith(("\\", "$")) else "\\" + name


def local_proof(base_rtlil: Path, top: str, workdir: Path, mutation: Mutation,
                cpu_budget_s: float = PROOF_CPU_S) -> Proof | None:
    """The mutated cell alone, then with the cells reading it, their other inputs free: if
    the outputs cannot change for any input (a compare against a constant whose low bits
    do not matter, a bit a mux never passes, a bit a constant shift drops), the mutant is
    equivalent whatever drives them. None when not proven."""
    cell = f"c:{_pattern(mutation.cell)}"
    for scope, select in (("the mutated cell alone", cell), ("the mutated cell and the cells reading it",
                                                             f"{cell} %co2 t:* %i")):
        # One read, the cut-out copied: reading twice would define a hierarchy's modules twice.
        script = (f"read_rtlil {base_rtlil}\ncd {_module_id(top)}\nselect -set local {select}\n"
                  f"submod -name ldv_local @local\ncd ..\n"
                  f"rename ldv_local gold\ncopy gold gate\n"
                  f"{mutation.command(module='gate')}\n"
                  "async2sync\nequiv_make gold gate equiv\nhierarchy -top equiv\n"
                  f"equiv_simple -seq {SEQ_CYCLES}\nequiv_induct\nequiv_status -assert\n")
        (workdir / "equiv").mkdir(exist_ok=True)
        try:
            run_yosys(script, workdir / "equiv", f"m{mutation.index:03d}.local", timeout_s=PROOF_WALL_S,
                      cpu_budget_s=cpu_budget_s)
        except MutateError:
            continue
        return Proof(True, f"equivalent: {scope} ({mutation.cell.replace(str(REPO_ROOT) + '/', '')}; other "
                           "inputs free) computes the same outputs for every input (yosys equiv_simple + equiv_induct)")
    return None


def _formal_proof(netlist: MutantNetlist, mutation: Mutation, cpu_budget_s: float) -> Proof:
    top = mutation.module
    workdir = netlist.workdir / "equiv"
    workdir.mkdir(exist_ok=True)
    script = (f"read_rtlil {netlist.base_rtlil}\n"
              f"copy {_module_id(top)} gate\n"
              f"rename {_module_id(top)} gold\n"
              f"{mutation.command(module='gate')}\n"
              "memory_map\nopt_clean\n"
              "async2sync\n"
              "equiv_make gold gate equiv\n"
              "hierarchy -top equiv\n"
              f"equiv_simple -seq {SEQ_CYCLES}\n"
              "equiv_induct\n"
              "equiv_status\n")
    name = f"m{mutation.index:03d}"
    try:
        log = run_yosys(script, workdir, name, timeout_s=PROOF_WALL_S, cpu_budget_s=cpu_budget_s)
    except MutateError as exc:
        return Proof(False, f"not proven: {str(exc).split(': ', 1)[-1][:200]}")
    text = (workdir / f"{name}.yosys.log").read_text(errors="replace")
    found = re.search(r"Found (\d+) \$equiv cells in equiv:.*?Of those cells (\d+) are proven and (\d+) are unproven",
                      text, re.S)
    if not found:
        return Proof(False, "not proven: equiv_status printed no summary", log)
    total, proven, unproven = (int(g) for g in found.groups())
    if unproven == 0 and total > 0:
        return Proof(True, f"equivalent: equiv_simple -seq {SEQ_CYCLES} + equiv_induct proved all "
                           f"{total} signal pairs of the mutated and original netlists", log)
    return Proof(False, f"not proven: {unproven} of {total} signal pairs unproven", log)
