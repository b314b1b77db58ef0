"""DecoderRailWeights on `decoder_small`: the test binds the `rails` weight profile through
its env's ConfigDB (not the knob), stages those weights for the ROMs and stays bit exact
with their golden (the profile's reach is measured in tests/tb/test_decoder_weights.py);
a decoder that wraps where it must saturate passes trained-like weights and fails these."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from llama_dv.tb.clash.duts import clash_build
from llama_dv.tb.clash.manifest import GEN_DIR
from llama_dv.tb.sim.runner import run
from tests.clash.broken_copy import run_copy

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not (GEN_DIR / "decoder_small" / "clash-manifest.json").is_file(),
                                 reason="rtl/gen has no decoder_small; run rtl/clash/build.sh")]

MODULE = "llama_dv.tb.tests.test_clash_decoder"


def test_rail_weights_are_staged_and_decoded_bit_exact(seed: int) -> None:
    res = run(clash_build("decoder_small", "verilator"), MODULE,
              testcase="DecoderRailWeights", seed=seed, timeout_s=1800,
              extra_env={"LDV_CLASH_DECODER_TOKENS": "2"})
    assert res.ok, f"{res.status}: {res.message}\nlog: {res.log}"
    assert "profile rails" in res.log.read_text(), f"{res.log}: the rails profile was not the one staged"


def _residual_wraps(text: str) -> str:
    """The residual add (the one sum of two sign-extended F reads in the top) keeps the
    sum's low 32 bits instead of saturating it to the int32 rails."""
    sums = re.findall(r"assign (x_\d+) = \(\$signed\(\{\{\(64-32\) \{(c\$s(?:_\d+)?)\[32-1\]\}\},\2\}\)\) \+ "
                      r"\(\$signed\(\{\{\(64-32\) \{(c\$s(?:_\d+)?)\[32-1\]\}\},\3\}\)\);", text)
    assert len(sums) == 1, f"{len(sums)} sums of two F reads in the top (rtl/gen regenerated?)"
    x = sums[0][0]
    sat = re.compile(rf"assign (result_\d+) = \({x} > 64'sd2147483647\) \? 32'sd2147483647 : c\$case_alt_\d+;")
    assert len(sat.findall(text)) == 1, f"no single saturation of {x} (rtl/gen regenerated?)"
    return sat.sub(lambda m: f"assign {m.group(1)} = $signed({x}[31:0]);", text)


@pytest.mark.extended  # a Verilator build of a broken copy; the rails profile's reach: test_decoder_weights.py
def test_residual_that_wraps_is_caught_only_on_rail_weights(seed: int, tmp_path: Path) -> None:
    """A decoder whose residual add wraps instead of saturating decodes trained-like
    weights exactly (they never reach the rails), and fails on the rails profile."""
    runs = {test: run_copy("decoder_small", "verilator", MODULE, _residual_wraps, "residual_wraps", seed, tmp_path,
                           extra_env={"LDV_CLASH_DECODER_TOKENS": "2"}, testcase=test)
            for test in ("DecoderGreedyTokens", "DecoderRailWeights")}
    typical, rails = runs["DecoderGreedyTokens"], runs["DecoderRailWeights"]
    assert typical.ok, f"typical weights on the wrapping copy: {typical.status}: {typical.message}\nlog: {typical.log}"
    assert rails.status == "fail" and re.search(r"pos \d+ \(token \d+\) .*: expected -?\d+", rails.message), \
        f"rails weights on the wrapping copy: {rails.status}: {rails.message}\nlog: {rails.log}"
