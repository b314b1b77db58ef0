"""The SMALL decoder (`decoder_small` and its fault copies): greedy generation equal to
`QuantizedModel.generate`, with every KV row, attention head, logit and cycle count
checked per position against the golden's `StepTrace`, a reset in the middle of a
token followed by a clean restart, and responses held under back-pressure. The env is
`tb/envs/decoder/` (docs/dv/decoder.md).

Environment: LDV_CLASH_DECODER_TOKENS (tokens generated after a one-token prompt,
default 16, i.e. positions 0..15), LDV_CLASH_DECODER_WEIGHTS (tiny_weights seed,
default 1), LDV_CLASH_DECODER_WEIGHT_PROFILE (typical or rails; DecoderRailWeights is
DecoderGreedyTokens on rails), LDV_CLASH_DECODER_BREAK_GOLDEN (flip Wv row 3 of layer 1 (KV head 0),
in the golden only: the scoreboard must fail), LDV_CLASH_DECODER_BREAK_CACHE (after
position 0, flip one K mantissa of the golden's cached row 0 of layer 0, KV head 0:
the backdoor check of the stored cache must fail at position 1), LDV_CLASH_ROLES (a
role map YAML binding a decoder whose ports are named otherwise, `tb/clash/roles.py`;
default: the identity map of `rtl/gen/<top>/`).
"""
from __future__ import annotations

import os
import time

import pyuvm
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from cocotb.utils import get_sim_time

from llama_dv.tb.common.coverage import export_coverage
from llama_dv.tb.common.knobs import DECODER_BREAK_CACHE_ENV, DECODER_TOKENS_ENV
from llama_dv.tb.common.seeding import rng
from llama_dv.tb.envs.decoder.env import DecoderEnv
from llama_dv.tb.envs.decoder.items import N_HEADS, N_KV
from llama_dv.tb.envs.decoder.metrics import record_metrics

TOKENS = int(os.environ.get(DECODER_TOKENS_ENV, "16"))
BREAK_CACHE = bool(os.environ.get(DECODER_BREAK_CACHE_ENV))


class DecoderTest(pyuvm.uvm_test):
    """The decoder env around `cocotb.top`; the tests drive requests and give each
    request's golden to the scoreboard."""

    WEIGHT_PROFILE: str | None = None
    """A `weights.WEIGHT_PROFILES` name this test always runs with; None: the knob's."""

    def build_phase(self) -> None:
        if self.WEIGHT_PROFILE is not None:
            pyuvm.ConfigDB().set(self, "env", "weight_profile", self.WEIGHT_PROFILE)
        self.env = DecoderEnv("env", self)

    async def start(self) -> None:
        await self.env.start()
        self.model, self.roles, self.ports = self.env.model, self.env.roles, self.env.ports
        self.clk, self.driver, self.monitor = self.env.clk, self.env.driver, self.env.monitor

    def require(self, *groups: str) -> None:
        """A test that cannot run without optional role groups fails naming them."""
        missing = [g for g in groups if not self.roles.has(g)]
        if missing:
            raise AssertionError(f"{type(self).__name__} needs the role group(s) {', '.join(missing)}, "
                                 f"which {self.roles.where} does not map")

    async def generate(self, prompt: list[int], n_tokens: int) -> list[int]:
        """Decode `prompt` then `n_tokens` greedy tokens, checking every position."""
        model = self.model
        golden0 = time.process_time()
        expected = model.generate(prompt, n_tokens)
        model.reset()
        self.golden_cpu_s = time.process_time() - golden0
        token, generated, self.cycles = prompt[0], [], []
        for pos in range(len(prompt) + n_tokens - 1):
            golden0 = time.process_time()
            trace = model.step(token, pos)
            self.golden_cpu_s += time.process_time() - golden0
            self.env.scoreboard.expect(trace)
            res = await self.driver.step(token, pos)  # judged by the scoreboard as it is published
            self.cycles.append(res.measured_cycles if res.cycles is None else res.cycles)
            if BREAK_CACHE and pos == 0:
                model.k_mant[0, 0, 0, 0] = 127 if model.k_mant[0, 0, 0, 0] < 0 else -127
            self.logger.info("pos %d: token %d -> %d, %d cycles, matches the golden", pos, token, res.token,
                             self.cycles[-1])
            if pos + 1 < len(prompt):
                token = prompt[pos + 1]
            else:
                token = res.token
                generated.append(token)
        assert generated == expected, f"tokens {generated}, expected {expected}"
        return generated

    def check_phase(self) -> None:
        export_coverage()


@pyuvm.test()
class DecoderGreedyTokens(DecoderTest):
    """A one-token prompt, then TOKENS greedy tokens (positions 0..TOKENS-1)."""

    async def run_phase(self) -> None:
        self.raise_objection()
        await self.start()
        prompt = [int(rng("clash_decoder_prompt").integers(0, self.model.config.vocab_size))]
        # CPU time of this process: the simulator and Python together, whatever else
        # shares the machine (what regress/native_bench.py compares with a native bench).
        wall0, cpu0, sim0 = time.perf_counter(), time.process_time(), get_sim_time("ps")
        generated = await self.generate(prompt, TOKENS)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        sim_cycles = (get_sim_time("ps") - sim0) / self.roles.period_ps
        mean = sum(self.cycles) / len(self.cycles)
        self.logger.info("decoder: prompt %s -> %s; cycles/token %d..%d (mean %.0f); %.0f simulated cycles/s, "
                         "%.0f per CPU-s", prompt, generated, min(self.cycles), max(self.cycles), mean,
                         sim_cycles / wall, sim_cycles / cpu if cpu > 0 else 0.0)
        record_metrics(cycles_per_token=mean, cycles_per_token_min=min(self.cycles),
                       cycles_per_token_max=max(self.cycles), simulated_cycles_per_s=sim_cycles / wall,
                       tokens=len(self.cycles), prompt=prompt, generated=generated, sim_cycles=sim_cycles,
                       wall_s=wall, cpu_s=cpu, golden_cpu_s=self.golden_cpu_s,
                       cycles_per_position=list(self.cycles))
        self.drop_objection()


@pyuvm.test()
class DecoderRailWeights(DecoderGreedyTokens):
    """DecoderGreedyTokens on the `rails` weight profile: layer 1's residual and SiLU
    inputs on the int32 rails, layer 0's attention exp arguments across the whole table;
    the saturating, rounding and underflow paths that trained-like weights leave idle."""

    WEIGHT_PROFILE = "rails"


@pyuvm.test()
class DecoderResetMidToken(DecoderTest):
    """Reset once before and once after a token's first KV write; then a clean
    restart from position 0 must decode exactly as the golden."""

    async def run_phase(self) -> None:
        self.raise_objection()
        await self.start()
        self.require("kv_write")
        p, model = self.ports, self.model
        r = rng("clash_decoder_reset")
        for when in ("before_kv_write", "after_kv_write"):
            token = int(r.integers(0, model.config.vocab_size))
            model.reset()
            self.env.scoreboard.expect(model.step(token, 0))
            await self.driver.start_token(token, 0)
            if when == "before_kv_write":
                await ClockCycles(self.clk, int(r.integers(50, 4000)))
                assert not self.monitor.kv, "a KV row was written before the planned early reset"
            else:
                await RisingEdge(p.kv_we)
                await ClockCycles(self.clk, int(r.integers(1, 20000)))
            event = await self.driver.reset()  # the scoreboard abandons the request
            assert event.when == when, f"reset planned {when}, but {event.kv_rows} KV row(s) were written"
            await FallingEdge(self.clk)
            assert int(p.request_ready.value) and not int(p.response_valid.value), \
                f"after a reset {when}: request ready={p.request_ready.value} response valid={p.response_valid.value}"
            assert p.cycles_out is None or int(p.cycles_out.value) == 0, \
                f"after a reset {when}: cycle counter {p.cycles_out.value}"
        prompt = [int(r.integers(0, model.config.vocab_size)) for _ in range(2)]
        await self.generate(prompt, 2)
        self.drop_objection()


@pyuvm.test()
class DecoderResponseBackpressure(DecoderTest):
    """Two greedy tokens with `response_ready` held low 1..6 cycles after each response
    appears: the response must stay valid and unchanged until it is taken (valid/ready),
    and the tokens must still be the golden's."""

    STALL_CYCLES = 6

    async def run_phase(self) -> None:
        self.raise_objection()
        await self.start()
        self.driver.response_stall = (rng("clash_decoder_response_stall"), self.STALL_CYCLES)
        prompt = [int(rng("clash_decoder_prompt").integers(0, self.model.config.vocab_size))]
        generated = await self.generate(prompt, 2)
        assert self.driver.stalled_cycles > 0, "no response was held: the back-pressure was not applied"
        self.logger.info("decoder: %s -> %s with %d cycles of response back-pressure", prompt, generated,
                         self.driver.stalled_cycles)
        self.drop_objection()


@pyuvm.test()
class DecoderFirstLayerSmoke(DecoderTest):
    """One request at position 0, followed until layer 0 is done: its KV rows and its
    four attention heads are checked on arrival, then the test ends. About 8 400
    cycles: the decoder smoke for a simulator too slow for whole tokens (Icarus)."""

    async def run_phase(self) -> None:
        self.raise_objection()
        await self.start()
        self.require("head", "kv_write")
        token = int(rng("clash_decoder_prompt").integers(0, self.model.config.vocab_size))
        self.model.reset()
        self.env.scoreboard.expect(self.model.step(token, 0))
        await self.driver.start_token(token, 0)
        while len(self.monitor.heads) < N_HEADS:
            await RisingEdge(self.ports.head_valid)
            await ClockCycles(self.clk, 1)  # the monitor reads the head at the falling edge
        layer0 = sorted(h.head for h in self.monitor.heads if h.layer == 0)
        rows = sorted(r.kv_head for r in self.monitor.kv if r.layer == 0)
        assert layer0 == list(range(N_HEADS)) and rows == list(range(N_KV)), \
            f"layer 0 at pos 0: heads {layer0}, KV rows {rows} seen"
        self.logger.info("pos 0, token %d: layer 0 KV rows, stored cache and %d heads match the golden",
                         token, N_HEADS)
        self.drop_objection()
