"""The decoder's driver: one token per request, the response taken at its handshake
(optionally after holding `response_ready` low) and published with what the monitor
saw in between; a reset in the middle of a token is published too."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyuvm
from cocotb.triggers import FallingEdge, RisingEdge
from cocotb.utils import get_sim_time

from llama_dv.tb.clash.manifest import unpack_vec
from llama_dv.tb.envs.decoder.items import VOCAB, MidTokenReset, TokenResult

if TYPE_CHECKING:
    from llama_dv.tb.clash.roles import DecoderPorts, RoleMap
    from llama_dv.tb.envs.decoder.monitor import DecoderMonitor


class DecoderProtocolError(AssertionError):
    """The decoder broke the valid/ready rule of its response: it withdrew or changed a
    response before `response_ready` took it."""


class DecoderDriver(pyuvm.uvm_component):
    """Sends one token per request and publishes the response (`TokenResult`) on `ap`.

    With `response_stall` set (a random generator and the most cycles to wait), the
    driver holds `response_ready` low for 1..N cycles after each response
    appears, and checks on every one of them that the response stays valid and unchanged."""

    def build_phase(self) -> None:
        self.ap = pyuvm.uvm_analysis_port("ap", self)
        self.response_stall: tuple[np.random.Generator, int] | None = None
        self.stalled_cycles = 0

    def bind(self, roles: "RoleMap", ports: "DecoderPorts", clk: Any, monitor: "DecoderMonitor") -> None:
        """The role map's port handles, the clock, and the monitor whose rows and heads a
        response carries."""
        self.ports, self.clk, self.monitor = ports, clk, monitor
        self.period_ps, self.reset_active = roles.period_ps, roles.reset_active

    async def start_token(self, token: int, pos: int) -> int:
        """Request a token once `request_ready` is high; returns the accepting edge's time
        (ps). Returns at once after the handshake (a reset test cuts the token short)."""
        p = self.ports
        await FallingEdge(self.clk)
        while not int(p.request_ready.value):
            await RisingEdge(p.request_ready)
            await FallingEdge(self.clk)
        self.monitor.clear()
        p.token_in.value, p.position_in.value, p.request_valid.value = token, pos, 1
        await RisingEdge(self.clk)
        accepted = get_sim_time("ps")
        await FallingEdge(self.clk)
        p.request_valid.value = 0
        return accepted

    async def step(self, token: int, pos: int) -> TokenResult:
        """One request and its response, with what the monitor saw in between; the
        response is published (the scoreboard judges it) before it is returned."""
        p = self.ports
        t0 = await self.start_token(token, pos)
        if not int(p.response_valid.value):
            await RisingEdge(p.response_valid)
        await FallingEdge(self.clk)
        t1 = get_sim_time("ps")
        res = TokenResult(pos=pos, token=int(p.token_out.value),
                          logits=unpack_vec(int(p.logits_out.value), VOCAB, 32),
                          cycles=None if p.cycles_out is None else int(p.cycles_out.value),
                          measured_cycles=int((t1 - t0) // self.period_ps) + 1,
                          kv_rows=list(self.monitor.kv), heads=list(self.monitor.heads))
        if self.response_stall is not None:
            await self._hold_response(res)
        p.response_ready.value = 1
        await RisingEdge(self.clk)
        await FallingEdge(self.clk)
        p.response_ready.value = 0
        self.ap.write(res)
        return res

    async def _hold_response(self, res: TokenResult) -> None:
        """Keep `response_ready` low for 1..N cycles; the response must stay as it was."""
        p = self.ports
        gen, most = self.response_stall  # type: ignore[misc]
        held = (res.token, int(p.logits_out.value))
        for cycle in range(1, int(gen.integers(1, most + 1)) + 1):
            await RisingEdge(self.clk)
            await FallingEdge(self.clk)
            self.stalled_cycles += 1
            if not int(p.response_valid.value):
                raise DecoderProtocolError(
                    f"decoder: the response of position {res.pos} (token {res.token}) was withdrawn after "
                    f"{cycle} cycle(s) with response_ready low (response_valid fell before the handshake)")
            now = (int(p.token_out.value), int(p.logits_out.value))
            if now != held:
                raise DecoderProtocolError(
                    f"decoder: the response of position {res.pos} changed after {cycle} cycle(s) with "
                    f"response_ready low: token {held[0]} -> {now[0]}"
                    + ("" if now[1] == held[1] else ", logits changed"))

    async def reset(self, cycles: int = 3) -> MidTokenReset:
        """Assert the reset (at the manifest's polarity) for `cycles` clocks, between two
        falling edges, and publish it: the request in flight is abandoned."""
        rst, active = self.ports.reset, self.reset_active
        await FallingEdge(self.clk)
        rst.value = active
        for _ in range(cycles):
            await RisingEdge(self.clk)
        await FallingEdge(self.clk)
        rst.value = 1 - active
        event = MidTokenReset(len(self.monitor.kv))
        self.monitor.clear()
        self.ap.write(event)
        return event
