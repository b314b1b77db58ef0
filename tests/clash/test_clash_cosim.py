"""Clash's own Haskell simulation of each generated top against the numpy golden (the
same tops' Verilog is held to the same golden by the cocotb tests), so a
Verilog-generation defect and a design defect are told apart. The decoder tops are
checked by the cocotb decoder scoreboard itself, fed from the Haskell events."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from llama_dv.models.kernels import argmax_fixed, attention_head_fixed
from llama_dv.models.numerics import ONE, exp_f, matvec, recip_f, rshr, sat32, shsat
from llama_dv.tb.clash.cosim import (CoSimError, DecoderStep, attend_seq_stimulus, decoder_steps, handshakes, run_decoder,
                            run_driver)
from llama_dv.tb.envs.clash_argmax.rom import DIM, ROM_FILE, vocab_rom, write_rom
from llama_dv.tb.envs.clash_attend.sequences import SEQ_LEN, random_cache
from llama_dv.tb.envs.clash_mac.roms import MAX_COLS, layer_matrices, write_roms
from llama_dv.tb.envs.decoder.items import VOCAB, KvRowSeen
from llama_dv.tb.envs.decoder.scoreboard import DecoderChecker, DecoderMismatch
from llama_dv.tb.envs.decoder.weights import decoder_weights, stage_weights

needs_ghc = pytest.mark.skipif(shutil.which("ghc") is None, reason="ghc (Debian's Clash) not installed")

DECODER_WEIGHT_SEED = 1
"""The weight set the Verilog decoder test stages by default."""


def _attend_queries(r: np.random.Generator, hd: int, rising: bool) -> list[tuple[np.ndarray, int]]:
    qs = []
    for pos in range(SEQ_LEN):
        q = r.integers(-(1 << 22), 1 << 22, hd)
        qs.append((np.abs(q) if rising else q, pos))
    return qs


@needs_ghc
@pytest.mark.parametrize("top,hd", [("attend_seq_hd8", 8), ("attend_seq_hd16", 16)])
def test_attend_seq_haskell_matches_golden(top: str, hd: int, seed: int, tmp_path: Path) -> None:
    r = np.random.default_rng(seed)
    for head in range(4):
        cache = random_cache(r, hd, rising=head % 2 == 1)
        queries = _attend_queries(r, hd, head % 2 == 1)
        rows = attend_seq_stimulus(cache, queries, hd)
        outs = handshakes(rows, run_driver(top, rows, tmp_path), 2 * hd + 4, top)
        assert len(outs) == len(queries), f"{top}: {len(outs)} results for {len(queries)} queries"
        for (q, pos), o in zip(queries, outs):
            exp = attention_head_fixed(q, *cache, pos, hd)
            got = np.array(o[2:2 + hd])
            diff = np.flatnonzero(exp != got)
            assert diff.size == 0, (f"{top} Haskell sim, head {head} pos {pos}: out[{diff[0]}] "
                                    f"expected {exp[diff[0]]}, got {got[diff[0]]}")


@needs_ghc
def test_attend_seq_fault_visible_in_haskell(seed: int, tmp_path: Path) -> None:
    r = np.random.default_rng(seed)
    cache = random_cache(r, 8, rising=True)
    queries = _attend_queries(r, 8, True)
    rows = attend_seq_stimulus(cache, queries, 8)
    outs = handshakes(rows, run_driver("attend_seq_hd8_fault_norescale", rows, tmp_path), 20,
                      "attend_seq_hd8_fault_norescale")
    wrong = [pos for (q, pos), o in zip(queries, outs)
             if not np.array_equal(attention_head_fixed(q, *cache, pos, 8), np.array(o[2:10]))]
    assert wrong, "the no-rescale variant matched the golden at every position"


@needs_ghc
def test_unaccepted_request_is_reported(tmp_path: Path) -> None:
    r = np.random.default_rng(1)
    cache = random_cache(r, 8, rising=False)
    rows = attend_seq_stimulus(cache, [(np.ones(8, np.int64), 15)], 8)
    rows.insert(len(rows) - 20, list(rows[-24]))  # a second request while the first runs
    rows[len(rows) - 21][20] = 1
    with pytest.raises(CoSimError, match="in_ready = 0"):
        handshakes(rows, run_driver("attend_seq_hd8", rows, tmp_path), 20, "attend_seq_hd8")


def _golden_step(first: bool, mx: int, d: int, acc: np.ndarray, s: int, v: np.ndarray, ev: int):
    """One iteration of attention_head_fixed's loop, written from docs/numerics.md."""
    if first:
        return s, ONE, shsat(v * ONE, -ev), False
    new_mx = max(mx, s)
    a, b = int(exp_f(sat32(mx - new_mx))), int(exp_f(sat32(s - new_mx)))
    d2 = int(sat32(rshr(d * a, 20) + b))
    acc2 = sat32(rshr(acc * a, 20) + shsat(v * b, -ev))
    return new_mx, d2, acc2, s > mx


@needs_ghc
def test_online_softmax_step_haskell_matches_golden(seed: int, tmp_path: Path) -> None:
    r = np.random.default_rng(seed)
    rows, cases = [], []
    for i in range(300):
        first = i % 10 == 0
        mx, s = (int(x) for x in r.integers(-(1 << 24), 1 << 24, 2))
        d = int(r.integers(ONE, 8 * ONE))
        acc = r.integers(-(1 << 26), 1 << 26, 8)
        v, ev = r.integers(-128, 128, 8), int(r.integers(-12, -2))
        rows.append([int(first), mx, d, *acc, s, *v, ev])
        cases.append((first, mx, d, acc, s, v, ev))
    outs = run_driver("online_softmax_step", rows, tmp_path)
    for i, (case, o) in enumerate(zip(cases, outs)):
        mx2, d2, acc2, upd = _golden_step(*case)
        exp = [int(mx2), int(d2), *[int(a) for a in acc2], int(upd),
               *[int(x) for x in sat32(rshr(np.asarray(acc2) * recip_f(d2), 20))]]
        assert o == exp, f"step {i} ({case}): Haskell {o}, golden {exp}"


@needs_ghc
def test_attend_head_haskell_matches_golden(seed: int, tmp_path: Path) -> None:
    r = np.random.default_rng(seed)
    rows, cases = [], []
    for pos in list(range(SEQ_LEN)) * 3:
        km, ke, vm, ve = random_cache(r, 8, rising=bool(pos % 2))
        q = r.integers(0 if pos % 2 else -(1 << 22), 1 << 22, 8)
        rows.append([pos, *q, *km.reshape(-1), *ke, *vm.reshape(-1), *ve])
        cases.append((q, km, ke, vm, ve, pos))
    outs = run_driver("attend_head_hd8", rows, tmp_path)
    for (q, km, ke, vm, ve, pos), o in zip(cases, outs):
        exp = attention_head_fixed(q, km, ke, vm, ve, pos, 8)
        assert list(exp) == o, f"attendHead pos {pos}: Haskell {o}, golden {list(exp)}"


@needs_ghc
def test_argmax_haskell_matches_golden(seed: int, tmp_path: Path) -> None:
    r = np.random.default_rng(seed)
    wm, we = vocab_rom(r, distinct=40)
    tmp_path.mkdir(exist_ok=True)
    write_rom(tmp_path / ROM_FILE, wm, we)
    xs = [(r.integers(-128, 128, DIM), int(r.integers(-8, 0))) for _ in range(40)]
    idle = [0, *[0] * DIM, 0, 1]
    rows = [idle, idle]
    for xm, xe in xs:
        rows.append([1, *xm, xe, 1])
        rows += [idle] * 70
    outs = handshakes(rows, run_driver("argmax_vocab", rows, tmp_path), 0, "argmax_vocab")
    assert len(outs) == len(xs)
    for i, ((xm, xe), o) in enumerate(zip(xs, outs)):
        logits = matvec(wm, we, xm, xe)
        tok = int(argmax_fixed(logits))
        assert (o[2], o[3]) == (tok, int(logits[tok])), f"vector {i}: Haskell {o[2:4]}, golden {tok}"


@needs_ghc
@pytest.mark.extended  # make test: the Haskell simulation of the attention, softmax and argmax tops; the MAC's Verilog in test_clash_units
def test_mac_haskell_matches_golden(seed: int, tmp_path: Path) -> None:
    r = np.random.default_rng(seed)
    mats = layer_matrices(r)
    tmp_path.mkdir(exist_ok=True)
    write_roms(tmp_path, mats)
    idle = [0, 0, 0, 0, 0, *[0] * MAX_COLS, 0, 1]
    rows, reqs = [idle, idle], []
    for m in mats:
        xm, xe = r.integers(-128, 128, m.cols), int(r.integers(-9, 0))
        padded = np.zeros(MAX_COLS, np.int64)
        padded[:m.cols] = xm
        rows.append([1, m.w_base, m.e_base, m.rows, m.cols, *padded, xe, 1])
        rows += [idle] * (m.rows * m.cols + 8)
        reqs.append((m, xm, xe))
    outs = handshakes(rows, run_driver("mac_matvec", rows, tmp_path), 0, "mac_matvec")
    assert len(outs) == len(reqs)
    for (m, xm, xe), o in zip(reqs, outs):
        exp = matvec(m.wm, m.we, xm, xe)
        got = np.array(o[2:2 + m.rows])
        diff = np.flatnonzero(exp != got)
        assert diff.size == 0, f"{m.name} row {diff[0]}: Haskell {got[diff[0]]}, golden {exp[diff[0]]}"


def _decode_in_haskell(top: str, prompt: int, positions: int, tmp_path: Path) -> list[DecoderStep]:
    """Clash's simulation of `top` decoding a one-token prompt greedily over positions
    0..positions-1, on weight set `DECODER_WEIGHT_SEED` staged in `tmp_path`."""
    stage_weights(tmp_path, DECODER_WEIGHT_SEED)
    return run_decoder(top, [(prompt, 0), *[(None, pos) for pos in range(1, positions)]], tmp_path)


def _score(top: str, prompt: int, steps: list[DecoderStep]) -> None:
    """Every step through the Verilog test's scoreboard checks, then the greedy tokens."""
    model = decoder_weights(DECODER_WEIGHT_SEED)
    expected = model.generate([prompt], len(steps))
    model.reset()
    board, token = DecoderChecker(), prompt
    for pos, step in enumerate(steps):
        assert (step.token, step.result.pos) == (token, pos), \
            f"{top}: request {pos} was ({step.token}, {step.result.pos})"
        board.expect(model.step(token, pos))
        for event in step.events:
            if isinstance(event, KvRowSeen):
                board.on_kv_row(event)
            else:
                board.on_head(event)
        board.check(step.result)
        token = step.result.token
    tokens = [step.result.token for step in steps]
    assert tokens == expected, f"{top}: tokens {tokens}, golden {expected}"


@needs_ghc
@pytest.mark.slow
def test_decoder_haskell_matches_golden(seed: int, tmp_path: Path) -> None:
    prompt = int(np.random.default_rng(seed).integers(0, VOCAB))
    _score("decoder_small", prompt, _decode_in_haskell("decoder_small", prompt, 3, tmp_path))


@needs_ghc
@pytest.mark.slow
def test_decoder_kv_row_fault_visible_in_haskell(seed: int, tmp_path: Path) -> None:
    prompt = int(np.random.default_rng(seed).integers(0, VOCAB))
    steps = _decode_in_haskell("decoder_small_fault_kvrow", prompt, 1, tmp_path)
    with pytest.raises(DecoderMismatch, match=r"pos 0 .* KV row written at row 1, expected row 0"):
        _score("decoder_small_fault_kvrow", prompt, steps)


NO_RESCALE_PROMPT = 5
"""With weight set 1, this prompt's position 1 has heads whose running max grows,
which is where a softmax without rescale departs from the golden."""


@needs_ghc
@pytest.mark.slow
def test_decoder_no_rescale_fault_visible_in_haskell(tmp_path: Path) -> None:
    steps = _decode_in_haskell("decoder_small_fault_norescale", NO_RESCALE_PROMPT, 2, tmp_path)
    with pytest.raises(DecoderMismatch, match=r"pos 1 .* layer \d head \d attention output") as caught:
        _score("decoder_small_fault_norescale", NO_RESCALE_PROMPT, steps)
    layer, head = (int(g) for g in re.search(r"layer (\d) head (\d)", str(caught.value)).groups())
    seen = {(h.layer, h.head): h.max_updates for h in steps[1].result.heads}
    assert seen[(layer, head)] > 0, f"mismatch at layer {layer} head {head}, whose running max never grew"


def _event_lines(token: int) -> list[str]:
    return ["A 3 5 0", f"O 9 {token} 6 " + " ".join(["0"] * 64), "E 10"]


def test_decoder_events_grouped_per_request() -> None:
    step, = decoder_steps(_event_lines(7), "decoder_small")
    res = step.result
    assert (step.token, res.pos, res.token, res.cycles, res.measured_cycles) == (5, 0, 7, 6, 6)


@pytest.mark.parametrize("lines,error", [
    (_event_lines(7)[:2], "ends without `E`"),
    (_event_lines(7)[1:], "outside a request"),
    (["A 3 5 0", "A 4 5 1", "E 9"], "before the previous result"),
    (["A 3 5 0", "E 9"], "request outstanding"),
])
def test_decoder_event_errors_are_reported(lines: list[str], error: str) -> None:
    with pytest.raises(CoSimError, match=error):
        decoder_steps(lines, "decoder_small")


@pytest.mark.parametrize("request_", [(64, 0), (-1, 0), (None, 16)])
def test_decoder_request_out_of_range_is_reported(request_: tuple[int | None, int], tmp_path: Path) -> None:
    with pytest.raises(CoSimError, match=r"request 0 .* outside token"):
        run_decoder("decoder_small", [request_], tmp_path)
