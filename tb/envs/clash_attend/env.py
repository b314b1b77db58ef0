"""The attention env: queries through the valid/ready agent, KV rows through the
top's `kv_w*` write port, `AttendScoreboard` and `AttendCoverage`."""
from __future__ import annotations

import numpy as np
from cocotb.triggers import FallingEdge

from llama_dv.tb.clash.agent import ValidReadyItem
from llama_dv.tb.clash.env import ClashEnvBase
from llama_dv.tb.clash.manifest import pack_vec, to_unsigned
from llama_dv.tb.envs.clash_attend.coverage import AttendCoverage
from llama_dv.tb.envs.clash_attend.scoreboard import AttendScoreboard


class AttendEnv(ClashEnvBase):
    """Agent + scoreboard + coverage + the KV write port."""

    scoreboard_type = AttendScoreboard
    coverage_type = AttendCoverage

    def configure(self) -> None:
        self.head_dim = self.manifest.port("in_q").width // 32
        self.scoreboard.head_dim = self.head_dim

    async def write_kv(self, km: np.ndarray, ke: np.ndarray, vm: np.ndarray, ve: np.ndarray) -> None:
        """Write every row of one head's cache, one row per cycle."""
        d = self.dut
        for t in range(km.shape[0]):
            await FallingEdge(self.clk)
            d.kv_we.value = 1
            d.kv_waddr.value = t
            d.kv_wk.value = pack_vec(km[t], 8)
            d.kv_wke.value = to_unsigned(int(ke[t]), 7)
            d.kv_wv.value = pack_vec(vm[t], 8)
            d.kv_wve.value = to_unsigned(int(ve[t]), 7)
        await FallingEdge(self.clk)
        d.kv_we.value = 0

    def query(self, q: np.ndarray, pos: int, head: int, cache: tuple[np.ndarray, ...]) -> ValidReadyItem:
        km, ke, vm, ve = cache
        return ValidReadyItem(f"h{head}p{pos}", {"q": pack_vec(q, 32), "pos": pos},
                              {"q": q, "km": km, "ke": ke, "vm": vm, "ve": ve, "pos": pos, "head": head})
