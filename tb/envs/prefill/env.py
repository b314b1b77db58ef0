"""The prefill environment: the decoder's weights staged in the build phase, a driver,
one KV monitor per layer and a wavefront monitor, the monitors and the driver
publishing to the scoreboard.

    PrefillEnv
     ├─ driver      PrefillDriver: results per position   ──┐ ap
     ├─ kv<L>       KvLayerMonitor per layer: rows, hazards ─┤ ap
     ├─ wavefront   WavefrontMonitor: layers busy at once    │
     └─ scoreboard  PrefillScoreboard                     <──┘

Python wakes only on handshakes, on KV write/read bursts and on layer busy edges; the
DUT exposes every signal the monitors need as ports (rtl/clash/src/LlamaDv/Top/Prefill.hs).

Knobs: LDV_CLASH_DECODER_WEIGHTS (tiny_weights seed, default 1) and
LDV_CLASH_DECODER_WEIGHT_PROFILE (as the decoder env's), LDV_PREFILL_BREAK_GOLDEN
(flip Wv row 3 of layer 1 (KV head 0) in the golden only: the scoreboard must fail).
"""
from __future__ import annotations

import os
import random
import time
from pathlib import Path

import cocotb
import pyuvm
from cocotb.utils import get_sim_time

from llama_dv.models.llama_fixed import QuantizedModel
from llama_dv.tb.clash.agent import start_clock_and_reset
from llama_dv.tb.clash.manifest import ClashManifest
from llama_dv.tb.common.knobs import PREFILL_BREAK_GOLDEN_ENV
from llama_dv.tb.common.seeding import rng
from llama_dv.tb.envs.decoder.items import N_LAYERS
from llama_dv.tb.envs.decoder.weights import perturb_golden_wv, stage_weights, weight_profile, weight_seed
from llama_dv.tb.envs.prefill.driver import PositionResult, PrefillDriver
from llama_dv.tb.envs.prefill.kv_monitor import KvLayerMonitor
from llama_dv.tb.envs.prefill.scoreboard import PrefillScoreboard
from llama_dv.tb.envs.prefill.wavefront import WavefrontMonitor

TOP = "decoder_prefill"


class PrefillEnv(pyuvm.uvm_env):
    """`model` is the golden of the staged weights; `clk` exists once `start` has run."""

    def build_phase(self) -> None:
        # Staged here, before the simulator's time-0 `$readmemb` of the ROMs.
        self.model: QuantizedModel = stage_weights(Path.cwd(), weight_seed(), weight_profile())
        if os.environ.get(PREFILL_BREAK_GOLDEN_ENV):
            perturb_golden_wv(self.model)
        self.manifest = ClashManifest.for_top(cocotb.top._name)
        self.manifest.check_dut(cocotb.top)
        self.driver = PrefillDriver("driver", self)
        self.kv = [KvLayerMonitor(f"kv{layer}", self, layer) for layer in range(N_LAYERS)]
        self.wave = WavefrontMonitor("wavefront", self)
        self.scoreboard = PrefillScoreboard("scoreboard", self)

    def connect_phase(self) -> None:
        self.driver.ap.connect(self.scoreboard.analysis_export)
        for mon in self.kv:
            mon.ap.connect(self.scoreboard.analysis_export)

    async def start(self, *, serial: bool, stall: int) -> None:
        """Clock, reset and the monitors; call first in a test's run_phase."""
        dut = cocotb.top
        self.clk = await start_clock_and_reset(dut, self.manifest)
        self.driver.bind(dut, self.clk, self.manifest.domain.period_ps)
        self.driver.serial, self.driver.max_stall = serial, stall
        self.driver.rand = random.Random(int(rng("clash_prefill_stall").integers(1 << 30)))
        for mon in self.kv:
            mon.bind(dut, self.clk)
            cocotb.start_soon(mon.run())
        self.wave.bind(dut, self.clk)
        cocotb.start_soon(self.wave.run())
        self.wall0, self.sim0 = time.perf_counter(), get_sim_time("ps")

    async def prefill(self, prompt: list[int]) -> list[PositionResult]:
        """One prompt through the pipeline, judged by the scoreboard at its last result."""
        self.scoreboard.expect(prompt, self.model.prefill(prompt))
        return await self.driver.prefill(prompt)

    def sim_rate(self) -> float:
        cycles = (get_sim_time("ps") - self.sim0) / self.manifest.domain.period_ps
        return cycles / (time.perf_counter() - self.wall0)
