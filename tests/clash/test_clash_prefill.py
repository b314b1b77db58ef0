"""M4 prefill wavefront (`decoder_prefill`): bit-exact KV rows, logits and next tokens
against `QuantizedModel.prefill`, layer overlap, throughput after fill, and the KV
hazard monitor, which must fire on `decoder_prefill_fault_latekv`.

Verilator runs the pipeline at over 100 000 cycles/s (the every-length sequence, about
6 M cycles, in under a minute), Icarus at about 4 000 (a one-token prompt in 20 s);
`make test` runs the 1- and 3-token prompts and the throughput run on Verilator; the
every-length sequence and the Icarus prompt are slow-marked (both run in `make regress
SUITE=M4`)."""
from __future__ import annotations

import pytest

from llama_dv.tb.clash.duts import clash_build
from llama_dv.tb.clash.manifest import GEN_DIR
from llama_dv.tb.sim.runner import RunResult, run

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not (GEN_DIR / "decoder_prefill" / "clash-manifest.json").is_file(),
                                 reason="rtl/gen has no decoder_prefill; run rtl/clash/build.sh")]

MODULE = "llama_dv.tb.tests.test_clash_prefill"


def _run(top: str, sim: str, seed: int, testcase: str, **env: str) -> RunResult:
    return run(clash_build(top, sim), MODULE, testcase=testcase, seed=seed, timeout_s=3600, extra_env=env)


def _ok(res: RunResult) -> None:
    assert res.ok, f"{res.status}: {res.message}\nlog: {res.log}\nreplay: {res.replay}"


def test_prefill_short_prompts_verilator(seed: int) -> None:
    _ok(_run("decoder_prefill", "verilator", seed, "PrefillPrompts", LDV_PREFILL_LENGTHS="1,3"))


@pytest.mark.slow  # make test: the 1- and 3-token prompts above and PrefillThroughput; regress M4: every length
def test_prefill_every_length_verilator(seed: int) -> None:
    _ok(_run("decoder_prefill", "verilator", seed, "PrefillPrompts", LDV_PREFILL_LENGTHS="all"))


def test_prefill_throughput_verilator(seed: int) -> None:
    _ok(_run("decoder_prefill", "verilator", seed, "PrefillThroughput", LDV_PREFILL_TOKENS="8"))


@pytest.mark.slow  # make test on Icarus: the hazard test's decoder_prefill_fault_latekv; regress M4 runs this
def test_prefill_smoke_icarus(seed: int) -> None:
    """One 1-token prompt on Icarus (about 80 000 cycles, 20 s)."""
    _ok(_run("decoder_prefill", "icarus", seed, "PrefillPrompts", LDV_PREFILL_LENGTHS="1"))


def test_hazard_monitor_catches_late_kv_write(seed: int) -> None:
    """The fault top's KV write lands two cycles late: at position 0 layer 0 attention
    reads row 0 in the cycle it is written (Icarus: the hazard comes within ~9 000 cycles)."""
    res = _run("decoder_prefill_fault_latekv", "icarus", seed, "PrefillPrompts", LDV_PREFILL_LENGTHS="1")
    assert res.status == "fail", f"late KV write passed: {res.status} {res.message}"
    assert "KV hazard: layer 0 position 0: row 0 (kv head 0, position 0) read in the same cycle" in res.message, \
        res.message


def test_wavefront_gate_catches_serial_drive(seed: int) -> None:
    res = _run("decoder_prefill", "verilator", seed, "PrefillPrompts", LDV_PREFILL_LENGTHS="2",
               LDV_PREFILL_SERIAL="1")
    assert res.status == "fail", f"serial drive passed the wavefront gate: {res.status} {res.message}"
    assert "no wavefront" in res.message, res.message


def test_throughput_gate_catches_serial_drive(seed: int) -> None:
    res = _run("decoder_prefill", "verilator", seed, "PrefillThroughput", LDV_PREFILL_TOKENS="2",
               LDV_PREFILL_SERIAL="1")
    assert res.status == "fail", f"serial drive passed the throughput gate: {res.status} {res.message}"
    assert "prefill throughput factor" in res.message, res.message


def test_prefill_scoreboard_catches_perturbed_golden(seed: int) -> None:
    """Layer 1's Wv row 3 changed in the golden only: the KV-row comparison must
    name the prompt, layer, KV head, position and first differing V mantissa."""
    res = _run("decoder_prefill", "verilator", seed, "PrefillPrompts", LDV_PREFILL_LENGTHS="1",
               LDV_PREFILL_BREAK_GOLDEN="1")
    assert res.status == "fail", f"perturbed golden passed: {res.status} {res.message}"
    assert "prompt 0 (length 1) layer 1 kv head 0 position 0" in res.message and "V mantissa" in res.message, \
        res.message
