"""M4: the prefill wavefront (`decoder_prefill`) gives every KV row, logit and next
token of `QuantizedModel.prefill`, overlaps its layers, beats one-token-at-a-time
throughput, and never reads a KV row in the cycle it is written or before it is written.
The env is `tb/envs/prefill/` (docs/dv/prefill.md).

Environment: LDV_PREFILL_LENGTHS (prompt lengths of `PrefillPrompts`, comma separated,
or `all` for 1..SeqLen; default 1,3), LDV_PREFILL_TOKENS (prompt length of
`PrefillThroughput`, default 16), LDV_PREFILL_GATE (throughput factor gate, default 1.8),
LDV_PREFILL_STALL (random out_ready stall of up to N cycles per result, default 3),
LDV_PREFILL_SERIAL (drive one token at a time: the wavefront and throughput gates must
fail), LDV_CLASH_DECODER_WEIGHTS (tiny_weights seed, default 1), LDV_PREFILL_BREAK_GOLDEN
(flip Wv row 3 of layer 1 (KV head 0) in the golden only: the scoreboard must fail).
"""
from __future__ import annotations

import os

import pyuvm

from llama_dv.tb.common.knobs import (PREFILL_GATE_ENV, PREFILL_LENGTHS_ENV, PREFILL_SERIAL_ENV, PREFILL_STALL_ENV,
                             PREFILL_TOKENS_ENV)
from llama_dv.tb.common.seeding import rng
from llama_dv.tb.envs.decoder.items import SEQ
from llama_dv.tb.envs.decoder.metrics import record_metrics
from llama_dv.tb.envs.prefill.env import PrefillEnv
from llama_dv.tb.envs.prefill.wavefront import Throughput, cycles_per_token_after_fill

SERIAL = bool(os.environ.get(PREFILL_SERIAL_ENV))
STALL = int(os.environ.get(PREFILL_STALL_ENV, "3"))


def prompt_lengths() -> list[int]:
    raw = os.environ.get(PREFILL_LENGTHS_ENV, "1,3")
    if raw == "all":
        return list(range(1, SEQ + 1))
    lengths = [int(x) for x in raw.split(",") if x.strip()]
    bad = [n for n in lengths if not 1 <= n <= SEQ]
    if bad:
        raise ValueError(f"{PREFILL_LENGTHS_ENV}={raw!r}: lengths {bad} outside 1..{SEQ}")
    return lengths


class PrefillTest(pyuvm.uvm_test):
    """The prefill env around `cocotb.top`."""

    def build_phase(self) -> None:
        self.env = PrefillEnv("env", self)

    def random_prompt(self, n: int, stream: str) -> list[int]:
        return [int(t) for t in rng(stream).integers(0, self.env.model.config.vocab_size, size=n)]


@pyuvm.test()
class PrefillPrompts(PrefillTest):
    """Random prompts of the given lengths, back to back, with out_ready back-pressure."""

    async def run_phase(self) -> None:
        self.raise_objection()
        env = self.env
        await env.start(serial=SERIAL, stall=STALL)
        lengths = prompt_lengths()
        for n in lengths:
            prompt = self.random_prompt(n, f"clash_prefill_prompt_{n}")
            results = await env.prefill(prompt)
            after_fill = f"{cycles_per_token_after_fill(results):.0f}" if n > 1 else "-"
            self.logger.info("prompt %s -> next token %d; cycles/token after fill %s",
                             prompt, results[-1].token, after_fill)
        reads = sum(m.reads for m in env.kv)
        self.logger.info("prefill: %d prompts, %d positions, %d KV rows, %d KV reads checked, no hazard; "
                         "max tokens in flight %d, max layers busy at once %d; %.0f simulated cycles/s",
                         env.scoreboard.prompts, env.scoreboard.positions, env.scoreboard.rows, reads,
                         env.driver.max_in_flight, env.wave.max_busy, env.sim_rate())
        env.wave.check_overlap(lengths)
        self.drop_objection()


@pyuvm.test()
class PrefillThroughput(PrefillTest):
    """Cycles per token after fill: the wavefront against the same RTL driven one token
    at a time (each position leaves the head before the next enters)."""

    async def run_phase(self) -> None:
        self.raise_objection()
        n = int(os.environ.get(PREFILL_TOKENS_ENV, str(SEQ)))
        gate = float(os.environ.get(PREFILL_GATE_ENV, "1.8"))
        env = self.env
        await env.start(serial=SERIAL, stall=0)
        prompt = self.random_prompt(n, "clash_prefill_throughput")
        piped = await env.prefill(prompt)
        env.driver.serial = True
        serial = await env.prefill(prompt)
        tp = Throughput(pipelined=cycles_per_token_after_fill(piped),
                        serial=cycles_per_token_after_fill(serial), gate=gate)
        self.logger.info("prefill throughput (%d tokens): wavefront %.0f cycles/token after fill "
                         "(first result after %d cycles), one token at a time %.0f cycles/token: "
                         "factor %.2f; max tokens in flight %d; %.0f simulated cycles/s",
                         n, tp.pipelined, piped[0].done_cycle - env.sim0 // env.manifest.domain.period_ps,
                         tp.serial, tp.factor, env.driver.max_in_flight, env.sim_rate())
        record_metrics(cycles_per_token=tp.pipelined, serial_cycles_per_token=tp.serial,
                       prefill_speedup=tp.factor, max_tokens_in_flight=env.driver.max_in_flight)
        tp.check()
        self.drop_objection()
