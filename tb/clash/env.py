"""Base env for a Clash unit top driven through the valid/ready agent: binds the top
named by cocotb's toplevel to its manifest, starts clock and reset from it, pairs each
accepted request with the next response for a subclass scoreboard to judge, and hands
every judged pair to the unit's coverage subscriber.

    ClashEnvBase
     ├─ agent       ValidReadyAgent: driver.ap (requests), monitor.ap (responses)
     ├─ scoreboard  PairingScoreboard subclass <- req_fifo, rsp_fifo; .checked ->
     └─ coverage    uvm_subscriber subclass (optional) <- (request, response) once judged

A unit whose ROMs the Verilog loads with `$readmemb` stages them in its env's
`build_phase`, which pyuvm runs before the simulator's first step."""
from __future__ import annotations

import cocotb
import pyuvm
from cocotb.utils import get_sim_time

from llama_dv.tb.clash.agent import Response, ValidReadyAgent, ValidReadyItem, start_clock_and_reset
from llama_dv.tb.clash.manifest import ClashManifest
from llama_dv.tb.common.scoreboard import ArrayScoreboard


class PairingScoreboard(ArrayScoreboard):
    """Requests and responses arrive in order (the tops serve one request at a time)."""

    def build_phase(self) -> None:
        super().build_phase()
        self.req_fifo = pyuvm.uvm_tlm_analysis_fifo("req_fifo", self)
        self.rsp_fifo = pyuvm.uvm_tlm_analysis_fifo("rsp_fifo", self)
        self.checked = pyuvm.uvm_analysis_port("checked", self)
        self.top = ""

    def compare(self, item: ValidReadyItem, rsp: Response) -> None:
        """Raise on a mismatch; may note golden facts in `item.context` for the coverage."""
        raise NotImplementedError

    async def run_phase(self) -> None:
        while True:
            rsp = await self.rsp_fifo.get()
            item = await self.req_fifo.get()
            self.compare(item, rsp)
            self.checked.write((item, rsp))


class ClashEnvBase(pyuvm.uvm_env):
    """Subclasses set `scoreboard_type` and, for functional coverage, `coverage_type`
    (a `uvm_subscriber` whose `write` takes a judged `(ValidReadyItem, Response)`)."""

    scoreboard_type: type[PairingScoreboard] = PairingScoreboard
    coverage_type: type[pyuvm.uvm_subscriber] | None = None

    def build_phase(self) -> None:
        self.agent = ValidReadyAgent("agent", self)
        self.scoreboard = self.scoreboard_type("scoreboard", self)
        self.coverage = None if self.coverage_type is None else self.coverage_type("coverage", self)

    def connect_phase(self) -> None:
        self.agent.driver.ap.connect(self.scoreboard.req_fifo.analysis_export)
        self.agent.monitor.ap.connect(self.scoreboard.rsp_fifo.analysis_export)
        if self.coverage is not None:
            self.scoreboard.checked.connect(self.coverage.analysis_export)

    async def start(self) -> None:
        """Bind, clock, reset; call first in the test's run_phase."""
        self.dut = cocotb.top
        self.manifest = ClashManifest.for_top(self.dut._name)
        self.manifest.check_dut(self.dut)
        self.scoreboard.top = self.manifest.top
        self.configure()
        self.period_ps = self.manifest.domain.period_ps
        self.clk = await start_clock_and_reset(self.dut, self.manifest)
        self.agent.bind(self.dut, self.manifest, self.clk, self.cycle)
        self.agent.monitor.out_of_reset.set()

    def configure(self) -> None:
        """Hook: read sizes from the manifest before reset."""

    def cycle(self) -> int:
        """Current clock cycle, from simulation time (no per-cycle coroutine)."""
        return int(get_sim_time("ps")) // self.period_ps

    async def wait_responses(self, n: int) -> None:
        """Until the monitor has seen `n` responses in total."""
        await self.agent.monitor.wait_count(n)
