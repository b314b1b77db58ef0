"""Driver of the control agent: runs a ControlItem through the Vitis register map.

The bus itself is cocotbext-axi's AxiLiteMaster; this class only knows the Vitis
control protocol (argument words, ap_start, auto_restart, polling or interrupt, ISR
acknowledge by clear-on-read or toggle-on-write). Waiting is event-driven (a timer
between polls, or the interrupt pin's edge), so a long kernel run costs no Python per
clock cycle.
"""
from __future__ import annotations

import pyuvm
from cocotb.triggers import Timer
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from llama_dv.tb.agents.axi_logs import quiet_models, quiet_port_logger
from llama_dv.tb.agents.s_axilite.config import SAxiLiteConfig
from llama_dv.tb.agents.s_axilite.item import ControlItem
from llama_dv.tb.agents.s_axilite.regmap import CTRL_BITS
from llama_dv.tb.common.timeout import DutTimeout, wait_level

AP_START = 1 << CTRL_BITS["ap_start"]
AP_DONE = 1 << CTRL_BITS["ap_done"]
AP_IDLE = 1 << CTRL_BITS["ap_idle"]
AUTO_RESTART = 1 << CTRL_BITS["auto_restart"]
ISR_DONE = 0x1


class ControlDriver(pyuvm.uvm_driver):
    """Consumes ControlItems; publishes each finished item on `completed` at ap_done."""

    def build_phase(self) -> None:
        self.cfg: SAxiLiteConfig = pyuvm.ConfigDB().get(self, "", SAxiLiteConfig.CONFIG_KEY)
        self.completed = pyuvm.uvm_analysis_port("completed", self)
        self.master: AxiLiteMaster | None = None

    def start_of_simulation_phase(self) -> None:
        cfg = self.cfg
        bus = AxiLiteBus.from_prefix(cfg.dut, cfg.prefix)
        quiet_port_logger(cfg.dut, cfg.prefix, cfg.verbose)
        self.master = AxiLiteMaster(bus, *cfg.cocotbext_reset())
        quiet_models(self.master, verbose=cfg.verbose)

    async def run_phase(self) -> None:
        while True:
            item = await self.seq_item_port.get_next_item()
            try:
                await self.execute(item)
            finally:
                self.seq_item_port.item_done()

    async def read(self, offset: int) -> int:
        assert self.master is not None
        return await self.master.read_dword(offset)

    async def write(self, offset: int, value: int) -> None:
        assert self.master is not None
        await self.master.write_dword(offset, value & 0xFFFFFFFF)

    async def execute(self, item: ControlItem) -> None:
        """Program, start and (unless `wait_done` is False) complete one call."""
        regmap = self.cfg.regmap
        for name, value in item.args.items():
            reg = regmap.arg(name)
            for offset, word in zip(reg.offsets, reg.split(value)):
                await self.write(offset, word)
        use_irq = item.completion == "interrupt"
        if use_irq and self.cfg.interrupt is None:
            raise ValueError(f"{self.cfg.kernel}: interrupt completion requested but the DUT has no "
                             "'interrupt' port")
        await self.write(regmap.gie, 1 if use_irq else 0)
        await self.write(regmap.ier, ISR_DONE)
        if item.readback:
            await self._read_back(item)
        ctrl = AP_START | (AUTO_RESTART if item.auto_restart_runs else 0)
        item.result.start_ns = get_sim_time("ns")
        await self.write(regmap.ap_ctrl, ctrl)
        if not item.wait_done:
            return
        for _ in range(item.auto_restart_runs):
            await self._wait_done(item)
        if item.auto_restart_runs:
            await self.write(regmap.ap_ctrl, 0)
            await self._drain(item)
        else:
            await self._wait_done(item)
        item.result.done_ns = get_sim_time("ns")
        r = item.result
        self.logger.info(f"{self.cfg.kernel}: {item} done after {r.done_ns - r.start_ns:g} ns "
                         f"(ap_done x{r.completions}, AP_CTRL polls {r.polls}, ISR 0x{r.isr_at_done:x})")

    async def _read_back(self, item: ControlItem) -> None:
        """Read back every argument word of `item` and the four control registers; the
        monitor compares each argument with what was written and checks reserved bits are 0
        (a data bit stuck in the read path passes every write-only test)."""
        regmap = self.cfg.regmap
        for name in item.args:
            for offset in regmap.arg(name).offsets:
                await self.read(offset)
        for offset in (regmap.ap_ctrl, regmap.gie, regmap.ier, regmap.isr):
            await self.read(offset)

    async def _wait_done(self, item: ControlItem) -> None:
        """Wait for one ap_done, acknowledge it (ISR toggle, AP_CTRL clear-on-read) and publish."""
        cfg, regmap = self.cfg, self.cfg.regmap
        budget = cfg.done_timeout_cycles
        what = f"{cfg.kernel}: ap_done ({item.completion} mode, after ap_start at {item.result.start_ns:g} ns)"
        if item.completion == "interrupt":
            await wait_level(cfg.interrupt, 1, cycles=budget, period_ns=cfg.period_ns, what=what)
            self.completed.write(item)
            item.result.ctrl_at_done = await self.read(regmap.ap_ctrl)
        else:
            waited = 0
            while True:
                ctrl = await self.read(regmap.ap_ctrl)
                item.result.polls += 1
                if ctrl & AP_DONE:
                    item.result.ctrl_at_done = ctrl
                    self.completed.write(item)
                    break
                if waited >= budget:
                    raise DutTimeout(f"timeout: {what} not seen within {budget} cycles "
                                     f"(last AP_CTRL = 0x{ctrl:02x})")
                await Timer(cfg.poll_interval_cycles * cfg.period_ns, "ns", round_mode="round")
                waited += cfg.poll_interval_cycles
        item.result.isr_at_done = await self._acknowledge()
        item.result.completions += 1

    async def _drain(self, item: ControlItem) -> None:
        """After auto_restart is cleared: collect ap_done until the kernel is idle with ap_start low."""
        cfg, regmap = self.cfg, self.cfg.regmap
        waited = 0
        while True:
            ctrl = await self.read(regmap.ap_ctrl)
            item.result.polls += 1
            if ctrl & AP_DONE:
                item.result.completions += 1
                item.result.ctrl_at_done = ctrl
                self.completed.write(item)
            if ctrl & AP_IDLE and not ctrl & AP_START and not ctrl & AUTO_RESTART:
                break
            if waited >= cfg.done_timeout_cycles:
                raise DutTimeout(f"timeout: {cfg.kernel} did not become idle within {waited} cycles after "
                                 f"auto_restart was cleared (last AP_CTRL = 0x{ctrl:02x})")
            await Timer(cfg.poll_interval_cycles * cfg.period_ns, "ns", round_mode="round")
            waited += cfg.poll_interval_cycles
        item.result.isr_at_done = await self._acknowledge()

    async def _acknowledge(self) -> int:
        """Clear ISR (clear-on-read: reading it did; toggle-on-write: write back what it
        holds), then re-read ISR and AP_CTRL so the monitor sees both settle (ISR 0,
        ap_done cleared by the first read)."""
        regmap = self.cfg.regmap
        isr = await self.read(regmap.isr)
        if isr:
            if not self.cfg.isr_clear_on_read:
                await self.write(regmap.isr, isr)
            await self.read(regmap.isr)
        await self.read(regmap.ap_ctrl)
        return isr
