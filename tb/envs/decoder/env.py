"""The decoder environment: weights staged and the DUT bound through its role map in
the build phase, the monitor and the driver publishing to the scoreboard and, after
it, the coverage.

    DecoderEnv
     ├─ monitor     DecoderMonitor: KV rows, finished heads  ──┐ ap
     ├─ driver      DecoderDriver: responses, mid-token resets ─┤ ap
     ├─ scoreboard  DecoderScoreboard (first)                <─┤
     └─ coverage    DecoderCoverage (clash_decoder.*)        <─┘

The env reads and drives the DUT only through the handles of a role map
(`tb/clash/roles.py`), so a decoder whose ports are named otherwise binds through a
short YAML; the KV write port, the finished heads and the cycle counter are optional,
and their checks are left out (and said so once) when a map lacks them.

Knobs: LDV_CLASH_DECODER_WEIGHTS (tiny_weights seed, default 1),
LDV_CLASH_DECODER_WEIGHT_PROFILE (typical or rails, `weights.WEIGHT_PROFILES`; a test
may set the ConfigDB field `weight_profile` of its env instead),
LDV_CLASH_DECODER_BREAK_GOLDEN (flip Wv row 3 of layer 1 (KV head 0) in the
golden only, after the ROM files are written: the scoreboard must fail).
"""
from __future__ import annotations

import os
from pathlib import Path

import cocotb
import pyuvm

from llama_dv.models.llama_fixed import QuantizedModel
from llama_dv.tb.clash.agent import start_clock_and_reset
from llama_dv.tb.clash.kv_backdoor import KvCacheBackdoor
from llama_dv.tb.clash.roles import RoleMap
from llama_dv.tb.common.knobs import DECODER_BREAK_GOLDEN_ENV
from llama_dv.tb.envs.decoder.coverage import DecoderCoverage
from llama_dv.tb.envs.decoder.driver import DecoderDriver
from llama_dv.tb.envs.decoder.items import HEAD_DIM
from llama_dv.tb.envs.decoder.monitor import DecoderMonitor
from llama_dv.tb.envs.decoder.scoreboard import DecoderScoreboard
from llama_dv.tb.envs.decoder.weights import perturb_golden_wv, stage_weights, weight_profile, weight_seed


class DecoderEnv(pyuvm.uvm_env):
    """`model` is the golden of the staged weights; `roles`, `ports` the binding;
    `clk` exists once `start` has run."""

    def build_phase(self) -> None:
        # Staged here, before the simulator's time-0 `$readmemb` of the ROMs.
        try:
            profile = pyuvm.ConfigDB().get(self, "", "weight_profile")
        except pyuvm.UVMConfigItemNotFound:
            profile = weight_profile()
        self.model: QuantizedModel = stage_weights(Path.cwd(), weight_seed(), profile)
        self.logger.info("weights: tiny_weights seed %d, profile %s", weight_seed(), profile)
        if os.environ.get(DECODER_BREAK_GOLDEN_ENV):
            perturb_golden_wv(self.model)
        dut = cocotb.top
        self.roles = RoleMap.for_top(dut._name)
        self.manifest = self.roles.manifest
        self.manifest.check_dut(dut)
        self.ports = self.roles.bind(dut)
        self.monitor = DecoderMonitor("monitor", self)
        self.driver = DecoderDriver("driver", self)
        self.scoreboard = DecoderScoreboard("scoreboard", self)
        self.coverage = DecoderCoverage("coverage", self)

    def connect_phase(self) -> None:
        for port in (self.monitor.ap, self.driver.ap):
            port.connect(self.scoreboard.analysis_export)  # the scoreboard first: it raises on a mismatch
            port.connect(self.coverage.analysis_export)

    async def start(self) -> None:
        """Clock (the generated HDL clock, or a cocotb one) and reset, then the
        backdoor, the scoreboard's configuration and the monitors; call first in a
        test's run_phase."""
        dut = cocotb.top
        self.logger.info("bound through %s", self.roles.where)
        for line in self.roles.skipped_checks():
            self.logger.info(line)
        self.clk = await start_clock_and_reset(dut, self.manifest, clock=self.roles.port("clock"),
                                               reset=self.roles.port("reset"))
        cache = None if self.roles.kv_cache is None else KvCacheBackdoor.from_dut(dut, HEAD_DIM, self.roles.kv_cache)
        self.scoreboard.configure(cache, None if cache is None else self.model,
                                  kv_rows=self.roles.has("kv_write"), heads=self.roles.has("head"))
        self.monitor.bind(self.ports, self.clk)
        self.driver.bind(self.roles, self.ports, self.clk, self.monitor)
        if self.roles.has("kv_write"):
            cocotb.start_soon(self.monitor.run_kv())
        if self.roles.has("head"):
            cocotb.start_soon(self.monitor.run_heads())
