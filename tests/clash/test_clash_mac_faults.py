"""Broken copies of the generated mac_matvec Verilog that the MAC test's directed
requests must catch (each is of a kind of mutant the random layer matvecs alone let
survive in `llama-dv mutate clash_mac_matvec --suite nightly`). The directed requests run without
the random ones (LDV_CLASH_MAC_VECTORS=0), so the named request is what catches the bug
on any seed; the unmodified copy, built and run the same way, must pass."""
from __future__ import annotations

import re
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
    # y[118] bit 5 flips at every row's write, an even number of times for 32, 64 and 128 rows
    "y118_bit5_flips_per_row": (
        _replace("assign c$piped_case_alt = st[4209:4209] ? c$piped_case_alt_0 : st[4127:32];",
                 "assign c$piped_case_alt = st[4209:4209] ? (c$piped_case_alt_0 ^ (4096'd1 << 293)) "
                 ": st[4127:32];"),
        r"odd127 #0 matvec \(127x16\) row mismatch .* index 118:"),
    # the right-shift amount loses bit 4: right shifts by 17..32 shift 16 less
    "right_shift_bit4_dropped": (
        _replace("result_2 - 6'd1} : {1'b0", "(result_2 - 6'd1) & 6'b101111} : {1'b0"),
        r"edge xe=0 matvec"),
    # negative saturation gives -2^31 + 256
    "negative_rail_off_by_256": (
        _replace("(c$piped_app_arg < -64'sd2147483648) ? -32'sd2147483648 :",
                 "(c$piped_app_arg < -64'sd2147483648) ? -32'sd2147483392 :"),
        r"edge xe=0 matvec"),
    # input element 116 is read with bit 4 clear
    "x116_bit4_stuck0": (
        _replace("assign c$app_arg_5 = vecArray[($unsigned({{(64-8) {1'b0}},c$i_576}))];",
                 "assign c$app_arg_5 = vecArray[($unsigned({{(64-8) {1'b0}},c$i_576}))] & "
                 "((c$i_576 == 8'd116) ? 8'hef : 8'hff);"),
        r"wide x=0x55 matvec"),
    # a negative rounded right shift loses bit 32 and saturates to -2^31
    "right_shift_bit32_cleared": (
        _replace("(($signed(st[4191:4128]) + 64'sd1) >>> 64'sd1)",
                 "((($signed(st[4191:4128]) + 64'sd1) >>> 64'sd1) & ~(64'sd1 <<< 32))"),
        r"edge xe=0 matvec"),
    # values above 2^31 - 2^29 - 1 saturate
    "positive_rail_at_1_5_2_30": (
        _replace("assign result_1 = (c$piped_app_arg > 64'sd2147483647)",
                 "assign result_1 = (c$piped_app_arg > 64'sd1610612735)"),
        r"edge xe=0 matvec"),
}


SLOW = {"y118_bit5_flips_per_row", "x116_bit4_stuck0"}
"""Broken copies run by make test-all only (the longest); make test keeps the other four."""
EXTENDED = {"unmodified"}
"""The control copy (every directed request on Icarus, the longest test of the file) runs in
make check only: in make test the directed requests pass on the real top under Verilator
(test_clash_units' M2 and back-pressure runs), and each broken copy below must fail at its
own named request, which an Icarus build or run that cannot pass could not produce."""


def _marks(bug: str) -> tuple[pytest.MarkDecorator, ...]:
    return (pytest.mark.slow,) if bug in SLOW else (pytest.mark.extended,) if bug in EXTENDED else ()


@pytest.mark.parametrize("bug", [pytest.param(b, marks=_marks(b)) for b in BUGS])
def test_mac_directed_request_catches_broken_copy(bug: str, seed: int, tmp_path: Path) -> None:
    edit, case = BUGS[bug]
    res = run_copy(TOP, "icarus", MODULE, edit, bug, seed, tmp_path, {"LDV_CLASH_MAC_VECTORS": "0"}, timeout_s=600)
    assert_caught(res, edit, bug, case)


def test_response_that_changes_while_held_is_caught(seed: int, tmp_path: Path) -> None:
    """The valid/ready monitor's hold rule: a copy whose y[0] sign bit flips on every clock
    that Hold waits with out_ready low (the mutant that survives the nightly suite, which
    never stalls) fails under back-pressure at the first stalled response, naming the port."""
    def flips_while_held(text: str) -> str:
        return _replace("default : result_0 = c$case_alt_1;",
                        "default : result_0 = out_ready ? c$case_alt_1 : (c$case_alt_1 ^ (5463'd1 << 4127));")(text)

    env = {"LDV_CLASH_MAC_VECTORS": "0", "LDV_CLASH_OUT_STALL": "0.5"}
    res = run_copy(TOP, "verilator", MODULE, flips_while_held, "flips_while_held", seed, tmp_path, env, timeout_s=600)
    assert res.status == "fail", f"broken copy passed: {res.status} {res.message}"
    assert re.search(r"response \d+ changed after 1 cycle\(s\) with out_ready low \(out_y bit\(s\) 4095 of 4096 flipped\)",
                     res.message), res.message
