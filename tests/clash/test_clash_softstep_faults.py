"""Broken copies of the generated online_softmax_step Verilog that the softstep test's
directed corners must catch (each is a mutant the random steps alone let survive in
`llama-dv mutate clash_online_softmax_step --suite nightly`). The corners run without
the random steps (LDV_CLASH_SOFTSTEP_STEPS=0), so the named corner is what catches the
bug on any seed; the unmodified copy, built and run the same way, must pass."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

from llama_dv.tb.clash.manifest import GEN_DIR
from tests.clash.broken_copy import assert_caught, once, run_copy

TOP = "online_softmax_step"
MODULE = "llama_dv.tb.tests.test_clash_softstep"

pytestmark = pytest.mark.skipif(not (GEN_DIR / TOP / "clash-manifest.json").is_file(),
                                reason="rtl/gen has no Clash output; run rtl/clash/build.sh")


def _b_exp_hi_entry_24_bit16(text: str) -> str:
    """expF of b (score - mx') reads table entry 24 (its `hi` at index 23) with bit 16
    inverted: 1118978 becomes 1053442. `c$vecFlat` is b's `hi` table, the first of four."""
    head, sep, rest = text.partition("assign c$vecFlat = {")
    table, end, tail = rest.partition("};")
    return head + sep + once(table, "32'sd1118978,", "32'sd1053442,") + end + tail


def _index_alias(table: str, index: str, wrong: int, right: int) -> Callable[[str], str]:
    def edit(text: str) -> str:
        old = f"= {table}[($unsigned({{{{(64-9) {{1'b0}}}},{index}}}))];"
        new = f"= {table}[({index} == 9'd{wrong}) ? 9'd{right} : {index}];"
        return once(text, old, new)
    return edit


def _lane_bit(genvar: str, lane: int, wire: str, op: str, mask: str, other: str) -> Callable[[str], str]:
    """`wire` of one lane of a generate loop becomes `(wire) op mask` (`other` in the other lanes)."""
    def edit(text: str) -> str:
        m = re.search(rf"    assign {re.escape(wire)} = (.*);\n", text)
        assert m and text.count(m.group(0)) == 1, f"{wire} is not assigned once in {TOP}.v (regenerated?)"
        return text.replace(m.group(0), f"    assign {wire} = ({m.group(1)}) {op} "
                                         f"(({genvar} == {lane}) ? {mask} : {other});\n")
    return edit


BUGS: dict[str, tuple[Callable[[str], str] | None, str]] = {
    # bug -> (edit of the generated Verilog, the directed corner (regex) that must catch it first)
    "unmodified": (None, ""),
    # m10: inv $procmux$2441 port B bit 7440 (case 232 = index 24, bit 16)
    "b_exp_table_entry_24": (_b_exp_hi_entry_24_bit16, r"\(expF table b: index 23,"),
    # m22: const0 $procmux$2132_CMP0 port A bit 0 (a's `hi` read at index 49 also selects 48)
    "a_exp_index_49_reads_48": (_index_alias("vecArray_1", "c$i_873", 49, 48), r"\(expF table a: index 48,"),
    # m40: const1 $procmux$2513_CMP0 port A bit 4 (b's `hi` read at index 169 also selects 185)
    "b_exp_index_169_reads_185": (_index_alias("vecArray", "c$i_333", 169, 185), r"\(expF table b: index 168,"),
    # m17: inv zipWith[5].c$sat32Out_case_alt_2 bit 63 (vterm's left shift, ev >= 0, of lane 5)
    "vterm_lane5_sign": (_lane_bit("i_3", 5, "c$sat32Out_case_alt_2", "^", "64'sh8000000000000000", "64'sd0"),
                         r"\(ev \d+: (b = expF|new max)"),
    # m37: const0 map_0[2].c$sat32Out_app_arg_5 bit 45 (first row's vterm, ev >= 0, lane 2)
    "first_row_lane2_bit45": (_lane_bit("i_2", 2, "c$sat32Out_app_arg_5", "&", "~(64'sd1 <<< 45)", "-64'sd1"),
                              r"\(ev \d+: first row\)"),
}


SLOW = {"vterm_lane5_sign", "first_row_lane2_bit45", "b_exp_index_169_reads_185"}
"""Broken copies run by make test-all only (the longest); make test keeps the other two."""


EXTENDED = {"unmodified"}
"""The unmodified copy (a control run; online_softmax_step passes its golden test on Verilator in
test_clash_units) runs in make check, not in the quick make test."""


def _marks(bug: str) -> tuple[pytest.MarkDecorator, ...]:
    return (pytest.mark.slow,) if bug in SLOW else (pytest.mark.extended,) if bug in EXTENDED else ()


@pytest.mark.parametrize("bug", [pytest.param(b, marks=_marks(b)) for b in BUGS])
def test_softstep_corner_catches_broken_copy(bug: str, seed: int, tmp_path: Path) -> None:
    edit, corner = BUGS[bug]
    res = run_copy(TOP, "icarus", MODULE, edit, bug, seed, tmp_path, {"LDV_CLASH_SOFTSTEP_STEPS": "0"},
                   timeout_s=600)
    assert_caught(res, edit, bug, corner)
