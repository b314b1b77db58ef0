"""M4: the prefill wavefront (`decoder_prefill`) gives every KV row, logit and next
token of `QuantizedModel.prefill`, overlaps its layers, beats one-token-at-a-time
throughput, and never reads a KV row in the cycle it is written or before it is written.

Environment: LDV_PREFILL_LENGTHS (prompt lengths of `PrefillPrompts`, comma separated,
or `all` for 1..SeqLen; default 1,3), LDV_PREFILL_TOKENS (prompt length of
`PrefillThroughput`, default 16), LDV_PREFILL_GATE (throughput factor gate, default 1.8),
LDV_PREFILL_STALL (random out_ready stall of up to N cycles per result, default 3),
LDV_PREFILL_SERIAL (drive one token at a time: the wavefront and throughput gates must
fail), LDV_CLASH_DECODER_WEIGHTS (tiny_weights seed, default 1), LDV_PREFILL_BREAK_GOLDEN
(flip one Wv mantissa of layer 1, KV head 0 in the golden only: the scoreboard must fail).
"""
from __future__ import annotations

import os
import random
import time
from pathlib import Path

import cocotb
import pyuvm
from cocotb.utils import get_sim_time

from tb.clash.agent import start_clock_and_reset
from tb.clash.decoder_env import perturb_golden_wv, record_metrics, stage_weights
from tb.clash.manifest import ClashManifest
from tb.clash.prefill_env import (
    N_LAYERS, SEQ, KvLayerMonitor, PositionResult, PrefillDriver, PrefillScoreboard, Throughput,
    WavefrontMonitor, WavefrontShortfall, cycles_per_token_after_fill,
)
from tb.common.knobs import (DECODER_WEIGHTS_ENV, PREFILL_BREAK_GOLDEN_ENV, PREFILL_GATE_ENV, PREFILL_LENGTHS_ENV,
                             PREFILL_SERIAL_ENV, PREFILL_STALL_ENV, PREFILL_TOKENS_ENV)
from tb.common.seeding import rng

WEIGHT_SEED = int(os.environ.get(DECODER_WEIGHTS_ENV, "1"))
SERIAL = bool(os.environ.get(PREFILL_SERIAL_ENV))
STALL = int(os.environ.get(PREFILL_STALL_ENV, "3"))

# Written at import, before the simulator's time-0 `$readmemb` of the ROMs.
MODEL = stage_weights(Path.cwd(), WEIGHT_SEED)
if os.environ.get(PREFILL_BREAK_GOLDEN_ENV):
    perturb_golden_wv(MODEL)


def prompt_lengths() -> list[int]:
    raw = os.environ.get(PREFILL_LENGTHS_ENV, "1,3")
    if raw == "all":
        return list(range(1, SEQ + 1))
    lengths = [int(x) for x in raw.split(",") if x.strip()]
    bad = [n for n in lengths if not 1 <= n <= SEQ]
    if bad:
        raise ValueError(f"{PREFILL_LENGTHS_ENV}={raw!r}: lengths {bad} outside 1..{SEQ}")
    return lengths


class PrefillBench:
    """Clock, reset, driver and the monitors every prefill test runs."""

    async def start(self, *, serial: bool, stall: int) -> None:
        self.manifest = ClashManifest.for_top(cocotb.top._name)
        dut = cocotb.top
        self.manifest.check_dut(dut)
        self.clk = await start_clock_and_reset(dut, self.manifest)
        self.driver = PrefillDriver(dut, self.clk, self.manifest, serial=serial, max_stall=stall,
                                    rand=random.Random(int(rng("clash_prefill_stall").integers(1 << 30))))
        self.kv = [KvLayerMonitor(dut, self.clk, layer) for layer in range(N_LAYERS)]
        for mon in self.kv:
            cocotb.start_soon(mon.run())
        self.wave = WavefrontMonitor(dut, self.clk)
        cocotb.start_soon(self.wave.run())
        self.board = PrefillScoreboard()
        self.wall0, self.sim0 = time.perf_counter(), get_sim_time("ps")

    async def prefill(self, prompt: list[int]) -> list[PositionResult]:
        results = await self.driver.prefill(prompt)
        rows = [r for mon in self.kv for r in mon.take_rows()]
        self.board.check(prompt, results, rows, MODEL.prefill(prompt))
        return results

    def sim_rate(self) -> float:
        cycles = (get_sim_time("ps") - self.sim0) / self.manifest.domain.period_ps
        return cycles / (time.perf_counter() - self.wall0)


def random_prompt(n: int, stream: str) -> list[int]:
    return [int(t) for t in rng(stream).integers(0, MODEL.config.vocab_size, size=n)]


@pyuvm.test()
class PrefillPrompts(pyuvm.uvm_test):
    """Random prompts of the given lengths, back to back, with out_ready back-pressure."""

    async def run_phase(self) -> None:
        self.raise_objection()
        bench = PrefillBench()
        await bench.start(serial=SERIAL, stall=STALL)
        lengths = prompt_lengths()
        for n in lengths:
            prompt = random_prompt(n, f"clash_prefill_prompt_{n}")
            results = await bench.prefill(prompt)
            after_fill = f"{cycles_per_token_after_fill(results):.0f}" if n > 1 else "-"
            self.logger.info("prompt %s -> next token %d; cycles/token after fill %s",
                             prompt, results[-1].token, after_fill)
        reads = sum(m.reads for m in bench.kv)
        self.logger.info("prefill: %d prompts, %d positions, %d KV rows, %d KV reads checked, no hazard; "
                         "max tokens in flight %d, max layers busy at once %d; %.0f simulated cycles/s",
                         bench.board.prompts, bench.board.positions, bench.board.rows, reads,
                         bench.driver.max_in_flight, bench.wave.max_busy, bench.sim_rate())
        if max(lengths) > 1 and bench.wave.max_busy < N_LAYERS:
            raise WavefrontShortfall(f"at most {bench.wave.max_busy} layer(s) busy at once over prompts "
                                     f"{lengths}: no wavefront (expected {N_LAYERS})")
        self.drop_objection()


@pyuvm.test()
class PrefillThroughput(pyuvm.uvm_test):
    """Cycles per token after fill: the wavefront against the same RTL driven one token
    at a time (each position leaves the head before the next enters)."""

    async def run_phase(self) -> None:
        self.raise_objection()
        n = int(os.environ.get(PREFILL_TOKENS_ENV, str(SEQ)))
        gate = float(os.environ.get(PREFILL_GATE_ENV, "1.8"))
        bench = PrefillBench()
        await bench.start(serial=SERIAL, stall=0)
        prompt = random_prompt(n, "clash_prefill_throughput")
        piped = await bench.prefill(prompt)
        bench.driver.serial = True
        serial = await bench.prefill(prompt)
        tp = Throughput(pipelined=cycles_per_token_after_fill(piped),
                        serial=cycles_per_token_after_fill(serial), gate=gate)
        self.logger.info("prefill throughput (%d tokens): wavefront %.0f cycles/token after fill "
                         "(first result after %d cycles), one token at a time %.0f cycles/token: "
                         "factor %.2f; max tokens in flight %d; %.0f simulated cycles/s",
                         n, tp.pipelined, piped[0].done_cycle - bench.sim0 // bench.manifest.domain.period_ps,
                         tp.serial, tp.factor, bench.driver.max_in_flight, bench.sim_rate())
        record_metrics(cycles_per_token=tp.pipelined, serial_cycles_per_token=tp.serial,
                       prefill_speedup=tp.factor, max_tokens_in_flight=bench.driver.max_in_flight)
        tp.check()
        self.drop_objection()
