"""Broken copies of the generated attend_seq_hd16 and argmax_vocab Verilog that the
directed stimulus of AttendAllPositions (the exponent-corner caches, the expF table
sweep) and of ArgmaxRandomVectors (right-shifted logits) must catch. Each is a mutant
the earlier random stimulus let survive in `llama-dv mutate <dut> --suite nightly`;
the unmodified copy, built and run the same way, must pass."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

from llama_dv.tb.clash.manifest import GEN_DIR
from tests.clash.broken_copy import assert_caught, once, run_copy

ATTEND, ARGMAX = "attend_seq_hd16", "argmax_vocab"

pytestmark = pytest.mark.skipif(
    not all((GEN_DIR / top / "clash-manifest.json").is_file() for top in (ATTEND, ARGMAX)),
    reason="rtl/gen has no Clash output; run rtl/clash/build.sh")


def _xor_lane(genvar: str, lane: int | None, wire: str, mask: Callable[[str], str]) -> Callable[[str], str]:
    """`wire` (of lane `lane` of a generate loop, every lane when None) is xor-ed with
    mask(t), t being the wire's original value."""
    def edit(text: str) -> str:
        m = re.search(rf"    assign {re.escape(wire)} = (.*);\n", text)
        assert m and text.count(m.group(0)) == 1, f"{wire} is not assigned once (regenerated?)"
        tmp = "ldv_fault_" + re.sub(r"\W", "_", wire)
        sel = "1'b1" if lane is None else f"({genvar} == {lane})"
        return text.replace(m.group(0), f"    wire signed [63:0] {tmp} = {m.group(1)};\n"
                                         f"    assign {wire} = {tmp} ^ ({sel} ? ({mask(tmp)}) : 64'sd0);\n")
    return edit


def _bit(b: int, cond: str = "1'b1") -> str:
    return f"({cond} ? (64'sd1 <<< {b}) : 64'sd0)"


def _hi_table_entry(old: int, new: int) -> Callable[[str], str]:
    """One entry of expF's `hi` table (`c$vecFlat_1`, read at index i + 1) changed."""
    def edit(text: str) -> str:
        head, sep, rest = text.partition("assign c$vecFlat_1 = {")
        table, end, tail = rest.partition("};")
        return head + sep + once(table, f"32'sd{old},", f"32'sd{new},") + end + tail
    return edit


BUGS: dict[str, tuple[str, Callable[[str], str] | None]] = {
    "attend_unmodified": (ATTEND, None),
    # m5: the right-shift test s = -ev > 0 of vterm with bit 6 of s xor-ed with !bit 8
    # (ev = -64 takes the left-shift path: the term is v * w unshifted instead of 0)
    "attend_vterm_ev_minus64": (ATTEND, lambda t: once(
        t, "assign c$sat32Out_app_arg_13 = (s_4 > 16'sd0)",
        "assign c$sat32Out_app_arg_13 = ($signed({s_4[15:7], s_4[6] ^ ~s_4[8], s_4[5:0]}) > 16'sd0)")),
    # m12: first row's term (ev >= 0), lane 8: bit 61 xor-ed with bit 47 (the sign)
    "attend_first_row_lane8": (ATTEND, _xor_lane("i_6", 8, "c$sat32Out_app_arg_8",
                                                 lambda v: _bit(61, f"{v}[47]"))),
    # m20: vterm's left-shift operand of lane 5, bit 37 inverted
    "attend_vterm_lane5_bit37": (ATTEND, _xor_lane("i_7", 5, "c$sat32Out_app_arg_11", lambda v: _bit(37))),
    # m24: expF's hi table entry 189 with bit 1 set (1749221 -> 1749223)
    "attend_exp_hi_entry_189": (ATTEND, _hi_table_entry(1749221, 1749223)),
    # m31: vterm's left-shift amount with bit 15 set (ev in 0..30)
    "attend_vterm_shift_bit15": (ATTEND, lambda t: once(
        t, "assign c$sat32Out_app_arg_12 = (s_4 <= -16'sd31) ? 64'sd31 : wild2_16;",
        "assign c$sat32Out_app_arg_12 = (s_4 <= -16'sd31) ? 64'sd31 : (wild2_16 | (64'sd1 <<< 15));")),
    "argmax_unmodified": (ARGMAX, None),
    # m11: the right-shifted dot product (s > 0) with bit 40 xor-ed with bit 16
    "argmax_rshift_bit40": (ARGMAX, lambda t: once(
        t, "assign c$sat32Out_app_arg_1 = (s > 16'sd0) ? result_5 :",
        "assign c$sat32Out_app_arg_1 = (s > 16'sd0) ? (result_5 ^ (result_5[16] ? (64'sd1 <<< 40) : 64'sd0)) :")),
}

MODULES = {ATTEND: "llama_dv.tb.tests.test_clash_attend", ARGMAX: "llama_dv.tb.tests.test_clash_argmax"}


SLOW = {"attend_exp_hi_entry_189", "attend_vterm_shift_bit15", "attend_first_row_lane8", "attend_vterm_lane5_bit37"}
"""Broken copies run by make test-all only (each a Verilator build of attend_seq_hd16); make test keeps
attend_vterm_ev_minus64, argmax_rshift_bit40 and both unmodified copies."""


EXTENDED = {"attend_unmodified", "argmax_unmodified"}
"""The unmodified copies (control runs: the same tops and test modules pass on Verilator in
test_clash_units' hd16 and argmax tests) run in make check, not in the quick make test."""


def _marks(bug: str) -> tuple[pytest.MarkDecorator, ...]:
    return (pytest.mark.slow,) if bug in SLOW else (pytest.mark.extended,) if bug in EXTENDED else ()


@pytest.mark.parametrize("bug", [pytest.param(b, marks=_marks(b)) for b in BUGS])
def test_directed_stimulus_catches_broken_copy(bug: str, seed: int, tmp_path: Path) -> None:
    top, edit = BUGS[bug]
    res = run_copy(top, "verilator", MODULES[top], edit, bug, seed, tmp_path)
    assert_caught(res, edit, bug)
