"""Clash unit tops (M1-M3) on Verilator and Icarus, the fault variants that must fail,
and the yosys structural criteria."""
from __future__ import annotations

import pytest

from llama_dv.tb.clash.duts import clash_build
from llama_dv.tb.clash.manifest import GEN_DIR
from llama_dv.tb.common.coverage import assert_bins_hit, load_coverage
from llama_dv.tb.sim.runner import RunResult, run

pytestmark = pytest.mark.skipif(not (GEN_DIR / "attend_seq_hd8" / "clash-manifest.json").is_file(),
                                reason="rtl/gen has no Clash output; run rtl/clash/build.sh")


def _run(top: str, sim: str, module: str, seed: int, **kw: object) -> RunResult:
    return run(clash_build(top, sim), module, seed=seed, timeout_s=900, **kw)


def _ok(res: RunResult) -> None:
    assert res.ok, f"{res.status}: {res.message}\nlog: {res.log}\nreplay: {res.replay}"


# Icarus runs of the M1 golden tests: extended (make check); on Icarus make test runs the
# hd8 no-rescale top below, the MAC's directed requests and the decoder's Icarus copy.
@pytest.mark.quick_sim("verilator")
def test_m1_attend_seq_matches_golden(sim: str, seed: int) -> None:
    res = _run("attend_seq_hd8", sim, "llama_dv.tb.tests.test_clash_attend", seed)
    _ok(res)
    bins = load_coverage([res.test_dir / "coverage.yml"])
    assert_bins_hit(bins, {"clash_attend.kv.pos": range(16), "clash_attend.kv.head": range(4),
                           "clash_attend.kv.row_written": range(16),
                           "clash_attend.softmax.max_updates": ["0", "1", "2-3", "4+"]})


@pytest.mark.parametrize("top,module", [("attend_head_hd8", "llama_dv.tb.tests.test_clash_attend_head"),
                                        ("online_softmax_step", "llama_dv.tb.tests.test_clash_softstep")])
@pytest.mark.quick_sim("verilator")
def test_m1_combinational_references_match_golden(top: str, module: str, sim: str, seed: int) -> None:
    _ok(_run(top, sim, module, seed))


@pytest.mark.parametrize("top,module", [("attend_seq_hd8", "llama_dv.tb.tests.test_clash_attend"),
                                        ("mac_matvec", "llama_dv.tb.tests.test_clash_mac")])
def test_results_held_under_backpressure(top: str, module: str, seed: int) -> None:
    """out_ready low on half the cycles with out_valid: results are held, cycle counts
    still agree once the stalls are taken out."""
    _ok(_run(top, "verilator", module, seed, extra_env={"LDV_CLASH_OUT_STALL": "0.5"}))


@pytest.mark.extended  # hd16 in make test: its broken copy (test_clash_attend_argmax_faults) and Haskell co-simulation
def test_m1_attend_seq_hd16_matches_golden(seed: int) -> None:
    _ok(_run("attend_seq_hd16", "verilator", "llama_dv.tb.tests.test_clash_attend", seed))


def test_m1_skipped_rescale_is_caught(seed: int) -> None:
    res = _run("attend_seq_hd8_fault_norescale", "icarus", "llama_dv.tb.tests.test_clash_attend", seed)
    assert res.status == "fail", f"broken kernel passed: {res.status} {res.message}"
    assert "pos " in res.message and "head " in res.message and "expected " in res.message, res.message


@pytest.mark.fast_sim("verilator")  # Icarus: test_clash_mac_faults' unmodified copy (directed requests)
def test_m2_mac_matvecs_match_golden(sim: str, seed: int) -> None:
    env = {"LDV_CLASH_MAC_VECTORS": "2" if sim == "verilator" else "1"}
    _ok(_run("mac_matvec", sim, "llama_dv.tb.tests.test_clash_mac", seed, extra_env=env))


@pytest.mark.fast_sim("verilator")  # Icarus (12 vectors, about a minute): make test-all, regress M3
def test_m3_argmax_matches_golden(sim: str, seed: int) -> None:
    # Icarus evaluates the 64-wide row dot product slowly (Clash's vector wiring).
    env = {"LDV_CLASH_ARGMAX_VECTORS": "200" if sim == "verilator" else "12"}
    res = _run("argmax_vocab", sim, "llama_dv.tb.tests.test_clash_argmax", seed, extra_env=env)
    _ok(res)
    # The golden-chosen covering vectors hit every token band and tie class on any seed.
    assert_bins_hit(load_coverage([res.test_dir / "coverage.yml"]), prefix="clash_argmax.")


def test_m3_tie_to_highest_index_is_caught(seed: int) -> None:
    res = _run("argmax_vocab_fault_tiehigh", "verilator", "llama_dv.tb.tests.test_clash_argmax", seed,
               extra_env={"LDV_CLASH_ARGMAX_VECTORS": "200"})
    assert res.status == "fail", f"broken argmax passed: {res.status} {res.message}"
    assert "token" in res.message and "tie" in res.message, res.message
