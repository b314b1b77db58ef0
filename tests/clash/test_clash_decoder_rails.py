"""DecoderRailWeights on `decoder_small`: the test binds the `rails` weight profile through
its env's ConfigDB (not the knob), stages those weights for the ROMs and stays bit exact
with their golden (the profile's reach is measured in tests/tb/test_decoder_weights.py)."""
from __future__ import annotations

import pytest

from llama_dv.tb.clash.duts import clash_build
from llama_dv.tb.clash.manifest import GEN_DIR
from llama_dv.tb.sim.runner import run

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not (GEN_DIR / "decoder_small" / "clash-manifest.json").is_file(),
                                 reason="rtl/gen has no decoder_small; run rtl/clash/build.sh")]


def test_rail_weights_are_staged_and_decoded_bit_exact(seed: int) -> None:
    res = run(clash_build("decoder_small", "verilator"), "llama_dv.tb.tests.test_clash_decoder",
              testcase="DecoderRailWeights", seed=seed, timeout_s=1800,
              extra_env={"LDV_CLASH_DECODER_TOKENS": "2"})
    assert res.ok, f"{res.status}: {res.message}\nlog: {res.log}"
    assert "profile rails" in res.log.read_text(), f"{res.log}: the rails profile was not the one staged"
