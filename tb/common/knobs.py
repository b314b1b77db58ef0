"""The knobs of a run: every `LDV_*` environment variable (and plusarg) named in one place.

The runner, the regression, the bench and `llama-dv run` set them; tests, envs and the
regression read them through these constants, never through a string of their own, so
a knob cannot be misspelt in one reader and its table cannot go stale. Each constant has
a one-line docstring `<what it does>. Default: <default>.`; `knob_table()` renders them
as the table in docs/tb-architecture.md (`python -m llama_dv.tb.common.knobs` prints it), and
tests/tb/test_knobs.py keeps the two equal and the `LDV_` literals in this module.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llama_dv.tb.dut_description import DutDescription

PREFIX = "LDV_"
"""Every knob's name starts with it."""

# --- every test -------------------------------------------------------------------------

DUT_CONFIG_ENV = "LDV_DUT_CONFIG"
"""Config tag of the build under test (default, pad3, fault1, ...), sampled by coverage. Default: default."""

COVERAGE_FILE_ENV = "LDV_COVERAGE_FILE"
"""Where a test exports its functional coverage (cocotb-coverage YAML). Default: coverage.yml in the run folder."""

METRICS_FILE_ENV = "LDV_METRICS_FILE"
"""Where a test writes its figures as a JSON object (cycles_per_token, ...). Default: unset, no figures written."""

# --- generic env (HLS kernels and users' exports) ---------------------------------------

DESCRIPTION_ENV = "LDV_DUT_DESC"
"""DUT description YAML of the generic tests (`llama-dv run` sets it). Default: the registered DUT's own file."""

GOLDEN_ENV = "LDV_GOLDEN"
"""Golden function as module:function, for the generic tests. Default: the description's `golden:`."""

TIMEOUT_ENV = "LDV_HANDSHAKE_TIMEOUT_CYCLES"
"""Cycles to wait for ap_ready, ap_done or an output packet before failing as hung. Default: the description's."""

FLOW_ENV = "LDV_FLOW"
"""Flow control of every stream and m_axi bundle (none, random, bursty, worst). Default: the test's own flow."""

MEMORY_TIMING_ENV = "LDV_MEMORY_TIMING"
"""m_axi memory timing of every bundle (fast, latency, random, worst, stall). Default: the flow pattern's profile."""

RANDOM_CALLS_ENV = "LDV_RANDOM_CALLS"
"""Calls of a Random test (`llama-dv run --calls N` sets it). Default: the test's `calls` (40 for the stock one)."""

# --- Clash decoder and its unit tops ----------------------------------------------------

CLASH_HDL_CLOCK_ENV = "LDV_CLASH_HDL_CLOCK"
"""Clock port the simulated model drives itself; cocotb starts no clock on it. Default: unset, a cocotb clock."""

CLASH_COCOTB_CLOCK_ENV = "LDV_CLASH_COCOTB_CLOCK"
"""1 builds every Clash top with a cocotb clock (to measure the HDL clock's gain). Default: unset, HDL clocks."""

CLASH_OUT_STALL_ENV = "LDV_CLASH_OUT_STALL"
"""Probability of holding out_ready low on a cycle with out_valid (valid/ready tops). Default: 0."""

CLASH_ROLES_ENV = "LDV_CLASH_ROLES"
"""Role map YAML the decoder tests bind through (absolute or from the checkout). Default: the identity map."""

DECODER_TOKENS_ENV = "LDV_CLASH_DECODER_TOKENS"
"""Tokens the decoder tests generate after a one-token prompt (positions 0..N-1). Default: 16."""

DECODER_WEIGHTS_ENV = "LDV_CLASH_DECODER_WEIGHTS"
"""Seed of the tiny weight set the decoder and prefill tests stage. Default: 1."""

DECODER_WEIGHT_PROFILE_ENV = "LDV_CLASH_DECODER_WEIGHT_PROFILE"
"""Scale profile of that weight set (`tb/envs/decoder/weights.py`): typical or rails. Default: typical."""

DECODER_BREAK_GOLDEN_ENV = "LDV_CLASH_DECODER_BREAK_GOLDEN"
"""Set: flip Wv row 3 (layer 1, KV head 0) in the decoder golden; the scoreboard must fail. Default: unset."""

DECODER_BREAK_CACHE_ENV = "LDV_CLASH_DECODER_BREAK_CACHE"
"""Set: flip one cached K mantissa of the golden after position 0; the KV backdoor check must fail. Default: unset."""

PREFILL_LENGTHS_ENV = "LDV_PREFILL_LENGTHS"
"""Prompt lengths of PrefillPrompts, comma separated, or `all` for 1..SeqLen. Default: 1,3."""

PREFILL_TOKENS_ENV = "LDV_PREFILL_TOKENS"
"""Prompt length of PrefillThroughput. Default: 16 (SeqLen)."""

PREFILL_GATE_ENV = "LDV_PREFILL_GATE"
"""Throughput factor PrefillThroughput must reach over one token at a time. Default: 1.8."""

PREFILL_STALL_ENV = "LDV_PREFILL_STALL"
"""Random out_ready stall of up to N cycles per prefill result. Default: 3."""

PREFILL_SERIAL_ENV = "LDV_PREFILL_SERIAL"
"""Set: drive one prompt token at a time; the wavefront and throughput gates must fail. Default: unset."""

PREFILL_BREAK_GOLDEN_ENV = "LDV_PREFILL_BREAK_GOLDEN"
"""Set: flip Wv row 3 (layer 1, KV head 0) in the prefill golden; the scoreboard must fail. Default: unset."""

ARGMAX_VECTORS_ENV = "LDV_CLASH_ARGMAX_VECTORS"
"""Random query vectors of the argmax-scan test after its directed ones. Default: 200 (Verilator), 12 (Icarus)."""

MAC_VECTORS_ENV = "LDV_CLASH_MAC_VECTORS"
"""Random vectors per weight matrix of the MAC test after its directed ones. Default: 2 (Verilator), 1 (Icarus)."""

SOFTSTEP_STEPS_ENV = "LDV_CLASH_SOFTSTEP_STEPS"
"""Random steps of the online-softmax test after its named corners. Default: 300."""

# --- simulator plusargs -----------------------------------------------------------------

MUTANT_PLUSARG = "LDV_MUTANT"
"""Plusarg `+LDV_MUTANT=<i>` selecting mutant i of a mutated netlist (`llama-dv mutate`). Default: 0, unmutated."""


def handshake_timeout_cycles(desc: DutDescription) -> int:
    """TIMEOUT_ENV, else the description's budget."""
    return int(os.environ.get(TIMEOUT_ENV) or desc.handshake_timeout_cycles)


def dut_config() -> str:
    return os.environ.get(DUT_CONFIG_ENV, "default")


@dataclass(frozen=True)
class Knob:
    """One knob as its docstring states it (for the docs table)."""

    constant: str
    name: str
    default: str
    meaning: str


def knobs() -> list[Knob]:
    """Every `LDV_*` constant of this module with its docstring, in source order.

    Read from the source (not from `globals()`), so a constant without a docstring or
    without its `Default:` fails here instead of leaving a hole in the table."""
    body = ast.parse(Path(__file__).read_text()).body
    out: list[Knob] = []
    for stmt, nxt in zip(body, body[1:] + [None]):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
                and stmt.value.value.startswith(PREFIX) and stmt.value.value != PREFIX):
            continue
        constant, name = stmt.targets[0].id, stmt.value.value
        doc = nxt.value.value if (isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                                  and isinstance(nxt.value.value, str)) else None
        if doc is None or "\n" in doc.strip() or doc.count(" Default: ") != 1:
            raise ValueError(f"{__file__}:{stmt.lineno}: {constant} needs a one-line docstring "
                             "'<what it does>. Default: <default>.'")
        meaning, default = doc.strip().split(" Default: ")
        out.append(Knob(constant, name, default.rstrip("."), meaning))
    return out


def knob_table() -> str:
    """The Markdown table of every knob (name, default, meaning), as in docs/tb-architecture.md."""
    rows = ["| knob | default | meaning |", "|---|---|---|"]
    rows += [f"| `{k.name}` | {k.default} | {k.meaning} |" for k in knobs()]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(knob_table(), end="")
