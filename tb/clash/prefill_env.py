"""Env of the M4 prefill pipeline (`decoder_prefill`): a prompt driver, an output
monitor with optional back-pressure, per-layer KV monitors that collect the rows and
assert the KV hazard rules, a wavefront monitor, and a scoreboard against
`QuantizedModel.prefill`.

Python wakes only on handshakes, on KV write/read bursts and on layer busy edges;
the DUT exposes every signal the monitors need as ports (see
rtl/clash/src/LlamaDv/Top/Prefill.hs).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, First, RisingEdge, ValueChange
from cocotb.utils import get_sim_time

from models.config import SMALL
from models.llama_fixed import StepTrace
from tb.clash.decoder_env import KvRowSeen, compare_kv_row, first_diff
from tb.clash.manifest import ClashManifest, unpack_vec

TOP = "decoder_prefill"
HEAD_DIM = SMALL.head_dim
SEQ = SMALL.seq_len
N_LAYERS = SMALL.n_layers


class PrefillMismatch(AssertionError):
    """DUT and golden prefill disagree; the message names prompt, position, layer, head."""


class KvHazard(AssertionError):
    """A layer's KV RAM was read in the cycle the row is written, or before the row of
    that position was written in this prompt; the message names layer, position, row."""


class WavefrontShortfall(AssertionError):
    """The pipeline did not overlap layers, or its throughput gain is below the gate."""


@dataclass
class PositionResult:
    """One prompt position leaving the head stage."""

    pos: int
    token: int
    logits: list[int]
    done_cycle: int


def row_of(addr: int) -> tuple[int, int]:
    """Per-layer KV RAM address -> (KV head, position): address = kvh * 16 + pos."""
    return addr // SEQ, addr % SEQ


def cycle_now(period_ps: int) -> int:
    return int(get_sim_time("ps") // period_ps)


class KvLayerMonitor:
    """Watches one layer's KV RAM ports: collects written rows and raises `KvHazard` on
    (1) a read of the row written in the same cycle, (2) a read of a row beyond the
    layer's position or not yet written in the current prompt. A new prompt starts when
    the layer's position goes back (to 0)."""

    def __init__(self, dut: Any, clk: Any, layer: int) -> None:
        self.dut, self.clk, self.layer = dut, clk, layer
        self.rows: list[KvRowSeen] = []
        self.reads = 0
        self._written: set[int] = set()
        self._pos = -1
        self._port = {n: getattr(dut, f"l{layer}_{n}") for n in
                      ("kv_we", "kv_waddr", "kv_k", "kv_ke", "kv_v", "kv_ve", "kv_re", "kv_raddr", "pos")}

    async def run(self) -> None:
        p = self._port
        while True:
            if not (int(p["kv_we"].value) or int(p["kv_re"].value)):
                await First(RisingEdge(p["kv_we"]), RisingEdge(p["kv_re"]))
            await FallingEdge(self.clk)
            while int(p["kv_we"].value) or int(p["kv_re"].value):
                self._sample()
                await FallingEdge(self.clk)

    def _sample(self) -> None:
        p = self._port
        pos = int(p["pos"].value)
        if pos < self._pos:
            self._written.clear()
        self._pos = pos
        we, re = int(p["kv_we"].value), int(p["kv_re"].value)
        waddr, raddr = int(p["kv_waddr"].value), int(p["kv_raddr"].value)
        where = f"layer {self.layer} position {pos}"
        if re:
            self.reads += 1
            kvh, t = row_of(raddr)
            what = f"row {raddr} (kv head {kvh}, position {t})"
            if we and waddr == raddr:
                raise KvHazard(f"KV hazard: {where}: {what} read in the same cycle as it is written")
            if t > pos or raddr not in self._written:
                raise KvHazard(f"KV hazard: {where}: {what} read before it was written for this prompt")
        if we:
            kvh, t = row_of(waddr)
            self._written.add(waddr)
            self.rows.append(KvRowSeen(
                self.layer, kvh, t, unpack_vec(int(p["kv_k"].value), HEAD_DIM, 8),
                unpack_vec(int(p["kv_ke"].value), 1, 7)[0], unpack_vec(int(p["kv_v"].value), HEAD_DIM, 8),
                unpack_vec(int(p["kv_ve"].value), 1, 7)[0]))

    def take_rows(self) -> list[KvRowSeen]:
        rows, self.rows = self.rows, []
        return rows


class WavefrontMonitor:
    """Samples the layers' busy flags on their edges: the largest number of layers
    working at once and the positions they held then."""

    def __init__(self, dut: Any, clk: Any) -> None:
        self.dut, self.clk = dut, clk
        self.max_busy = 0
        self.overlap: list[tuple[int, ...]] = []

    async def run(self) -> None:
        busy = [getattr(self.dut, f"l{i}_busy") for i in range(N_LAYERS)]
        while True:
            await First(*(ValueChange(b) for b in busy))
            await FallingEdge(self.clk)
            now = [i for i, b in enumerate(busy) if int(b.value)]
            if len(now) > self.max_busy:
                self.max_busy = len(now)
            if len(now) > 1:
                self.overlap.append(tuple(int(getattr(self.dut, f"l{i}_pos").value) for i in now))


class PrefillDriver:
    """Feeds prompt tokens at the input handshake and takes results at the output
    handshake. `serial` waits for each position's result before sending the next
    (the one-token-at-a-time reference on the same RTL); `max_stall` > 0 holds
    out_ready low for a random 0..max_stall cycles per result (back-pressure)."""

    def __init__(self, dut: Any, clk: Any, manifest: ClashManifest, *, serial: bool = False,
                 max_stall: int = 0, rand: random.Random | None = None) -> None:
        self.dut, self.clk, self.serial, self.max_stall = dut, clk, serial, max_stall
        self.period_ps = manifest.domain.period_ps
        self.rand = rand or random.Random(0)
        self.sent = 0
        self.done = 0
        self.max_in_flight = 0

    async def send(self, token: int, pos: int) -> None:
        dut = self.dut
        await FallingEdge(self.clk)
        while not int(dut.in_ready.value):
            await RisingEdge(dut.in_ready)
            await FallingEdge(self.clk)
        dut.in_token.value = token
        dut.in_pos.value = pos
        dut.in_valid.value = 1
        await RisingEdge(self.clk)
        self.sent += 1
        self.max_in_flight = max(self.max_in_flight, self.sent - self.done)
        await FallingEdge(self.clk)
        dut.in_valid.value = 0

    async def receive(self) -> PositionResult:
        dut = self.dut
        await FallingEdge(self.clk)
        if not int(dut.out_valid.value):
            await RisingEdge(dut.out_valid)
            await FallingEdge(self.clk)
        res = PositionResult(pos=int(dut.out_pos.value), token=int(dut.out_token.value),
                             logits=unpack_vec(int(dut.out_logits.value), SMALL.vocab_size, 32),
                             done_cycle=cycle_now(self.period_ps))
        stall = self.rand.randint(0, self.max_stall) if self.max_stall else 0
        if stall:
            await ClockCycles(self.clk, stall, rising=False)
        dut.out_ready.value = 1
        await RisingEdge(self.clk)
        self.done += 1
        await FallingEdge(self.clk)
        dut.out_ready.value = 0
        return res

    async def prefill(self, prompt: list[int]) -> list[PositionResult]:
        """All positions of one prompt, in order."""
        results: list[PositionResult] = []
        if self.serial:
            for pos, tok in enumerate(prompt):
                await self.send(tok, pos)
                results.append(await self.receive())
            return results

        async def feed() -> None:
            for pos, tok in enumerate(prompt):
                await self.send(tok, pos)

        feeder = cocotb.start_soon(feed())
        for _ in prompt:
            results.append(await self.receive())
        await feeder
        return results


def cycles_per_token_after_fill(results: list[PositionResult]) -> float:
    """Mean cycles between consecutive results after the first (the pipeline is full)."""
    if len(results) < 2:
        raise ValueError("cycles per token after fill needs a prompt of at least 2 tokens")
    return (results[-1].done_cycle - results[0].done_cycle) / (len(results) - 1)


class PrefillScoreboard:
    """Compares one prompt's results and KV rows with `QuantizedModel.prefill`."""

    def __init__(self) -> None:
        self.prompts = 0
        self.positions = 0
        self.rows = 0

    def check(self, prompt: list[int], results: list[PositionResult], rows: list[KvRowSeen],
              traces: list[StepTrace]) -> None:
        tag = f"prompt {self.prompts} (length {len(prompt)})"
        if [r.pos for r in results] != list(range(len(prompt))):
            raise PrefillMismatch(f"{tag}: positions out {[r.pos for r in results]}, expected 0..{len(prompt) - 1}")
        want = {(w.layer, w.kv_head, w.pos): w for t in traces for w in t.kv_writes}
        seen: dict[tuple[int, int, int], KvRowSeen] = {}
        for r in rows:
            key = (r.layer, r.kv_head, r.pos)
            if key in seen:
                raise PrefillMismatch(f"{tag}: KV row layer {r.layer} kv head {r.kv_head} position {r.pos} written twice")
            seen[key] = r
        if sorted(seen) != sorted(want):
            raise PrefillMismatch(f"{tag}: KV rows written (layer, kv head, pos) {sorted(set(seen) ^ set(want))} "
                                  "differ from the golden's")
        for key in sorted(want):
            w, r = want[key], seen[key]
            where = f"{tag} layer {w.layer} kv head {w.kv_head} position {w.pos}"
            compare_kv_row(where, (w.k_mant, w.k_exp, w.v_mant, w.v_exp), (r.k, r.ke, r.v, r.ve), PrefillMismatch)
        for res, trace in zip(results, traces):
            where = f"{tag} position {res.pos} (token {trace.token})"
            first_diff(f"{where} logit", [int(x) for x in np.asarray(trace.logits)], res.logits, PrefillMismatch)
            if res.token != trace.argmax:
                raise PrefillMismatch(f"{where}: next token expected {trace.argmax}, actual {res.token}")
        self.prompts += 1
        self.positions += len(prompt)
        self.rows += len(rows)


@dataclass
class Throughput:
    """Cycles per token of the wavefront after fill against one token at a time."""

    pipelined: float
    serial: float
    gate: float

    @property
    def factor(self) -> float:
        return self.serial / self.pipelined

    def check(self) -> None:
        if self.factor < self.gate:
            raise WavefrontShortfall(f"prefill throughput factor {self.factor:.2f} (serial {self.serial:.0f} "
                                     f"vs pipelined {self.pipelined:.0f} cycles/token) is below {self.gate}")
