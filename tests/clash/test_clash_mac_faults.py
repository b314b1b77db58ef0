"""Broken copies of the generated mac_matvec Verilog that the MAC test's directed
requests must catch (each is a mutant the random layer matvecs alone let survive in
`llama-dv mutate clash_mac_matvec --suite nightly`). The directed requests run without
the random ones (LDV_CLASH_MAC_VECTORS=0), so the named request is what catches the bug
on any seed; the unmodified copy, built and run the same way, must pass."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from llama_dv.tb.clash.manifest import GEN_DIR
from tests.clash.broken_copy import assert_caught, run_copy

TOP = "mac_matvec"
MODULE = "llama_dv.tb.tests.test_clash_mac"

pytestmark = pytest.mark.skipif(not (GEN_DIR / TOP / "clash-manifest.json").is_file(),
                                reason="rtl/gen has no Clash output; run rtl/clash/build.sh")


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {TOP}.v (regenerated?)"
        return text.replace(old, new)
    return edit


BUGS: dict[str, tuple[Callable[[str], str] | None, str]] = {
    # bug -> (edit of the generated Verilog, the directed request (regex) that must catch it first)
    "unmodified": (None, ""),
    # m11: inv $ternary v:341 port B bit 293: y[118] bit 5 flips at every row's last column,
    # an even number of times for 32, 64 and 128 rows
    "y118_bit5_flips_per_row": (
        _replace("assign c$accumulated_app_arg = st[4160:4160] ? c$accumulated_case_alt : st[4127:32];",
                 "assign c$accumulated_app_arg = st[4160:4160] ? (c$accumulated_case_alt ^ (4096'd1 << 293)) "
                 ": st[4127:32];"),
        r"odd127 #0 matvec \(127x16\) row mismatch .* index 118:"),
    # m19: const0 c$case_alt_5 bit 4: right shifts by 16..31 shift 16 less
    "right_shift_bit4_dropped": (
        _replace("assign c$case_alt_5 = (s >= 16'sd62) ? 6'd62 : ((c$bv_0[0+:6]));",
                 "assign c$case_alt_5 = ((s >= 16'sd62) ? 6'd62 : ((c$bv_0[0+:6]))) & 6'b101111;"),
        r"edge xe=0 matvec"),
    # m29: inv $ternary v:362 port B bit 8: negative saturation gives -2^31 + 256
    "negative_rail_off_by_256": (
        _replace("(c$sat32Out_app_arg_1 < -64'sd2147483648) ? -32'sd2147483648 :",
                 "(c$sat32Out_app_arg_1 < -64'sd2147483648) ? -32'sd2147483392 :"),
        r"edge xe=0 matvec"),
    # m31: const0 $procmux$458 port B bit 92: input element 116 is read with bit 4 clear
    "x116_bit4_stuck0": (
        _replace("assign c$accNew_app_arg = vecArray[($unsigned({{(64-8) {1'b0}},c$i_563}))];",
                 "assign c$accNew_app_arg = vecArray[($unsigned({{(64-8) {1'b0}},c$i_563}))] & "
                 "((c$i_563 == 8'd116) ? 8'hef : 8'hff);"),
        r"wide x=0x55 matvec"),
    # m35: const0 $procmux$591 port A bit 32: a negative rounded right shift saturates to -2^31
    "right_shift_bit32_cleared": (
        _replace("default : result_3 = (($signed({{(64-32) {accNew[32-1]}},accNew})) + (64'sd1 <<< wild1_0)) "
                 ">>> wild1;",
                 "default : result_3 = ((($signed({{(64-32) {accNew[32-1]}},accNew})) + (64'sd1 <<< wild1_0)) "
                 ">>> wild1) & ~(64'sd1 <<< 32);"),
        r"edge xe=0 matvec"),
    # m37: inv $gt v:364 port B bit 29: values above 2^31 - 2^29 - 1 saturate
    "positive_rail_at_1_5_2_30": (
        _replace("assign result_1 = (c$sat32Out_app_arg_1 > 64'sd2147483647)",
                 "assign result_1 = (c$sat32Out_app_arg_1 > 64'sd1610612735)"),
        r"edge xe=0 matvec"),
}


SLOW = {"y118_bit5_flips_per_row", "x116_bit4_stuck0"}
"""Broken copies run by make test-all only (the longest); make test keeps the other four."""


@pytest.mark.parametrize("bug", [pytest.param(b, marks=pytest.mark.slow) if b in SLOW else b for b in BUGS])
def test_mac_directed_request_catches_broken_copy(bug: str, seed: int, tmp_path: Path) -> None:
    edit, case = BUGS[bug]
    res = run_copy(TOP, "icarus", MODULE, edit, bug, seed, tmp_path, {"LDV_CLASH_MAC_VECTORS": "0"}, timeout_s=600)
    assert_caught(res, edit, bug, case)
