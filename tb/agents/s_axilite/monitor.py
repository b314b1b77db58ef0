"""Passive monitor of a Vitis control block: decodes AXI4-Lite accesses and checks
the register semantics of UG1399 as assertions.

The monitor keeps a shadow of what the kernel may legally show (GIE, IER, the ISR
while no run is pending, whether a run can still complete) and fails on:

* GIE / IER read back differently from what was written;
* an argument register read back differently from what was last written to it (the
  argument's bits; a word's bits above the argument's width read 0);
* a reserved bit of AP_CTRL, GIE, IER or ISR reading 1 (the header's comment block
  says which bits each defines, else UG1399's);
* ap_done or ap_ready still set on a second AP_CTRL read with no run pending
  (they are clear-on-read);
* ap_idle low with no run pending (after ap_done was read and before the next
  ap_start, an hs kernel is idle);
* ISR not toggled by a write (toggle-on-write export) or not cleared by a read
  (clear-on-read export) while the kernel is quiet;
* the `interrupt` pin differing from GIE & |(IER & ISR) (a Vitis export that keeps
  GIE & |ISR after IER is cleared is also accepted), or rising while GIE is 0; after
  a clear-on-read, ISR counts as 0;
* an error response on a register access.

Channels are sampled by cocotbext-axi's passive stream monitors, which sleep until a
VALID or READY edge, so an idle control bus costs nothing per cycle.
"""
from __future__ import annotations

from pathlib import Path

import cocotb
import pyuvm
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time
from cocotbext.axi.axil_channels import (
    AxiLiteARBus, AxiLiteARMonitor, AxiLiteAWBus, AxiLiteAWMonitor, AxiLiteBBus, AxiLiteBMonitor,
    AxiLiteRBus, AxiLiteRMonitor, AxiLiteWBus, AxiLiteWMonitor,
)

from llama_dv.tb.agents.axi_logs import quiet_models, quiet_port_logger
from llama_dv.tb.agents.s_axilite.config import SAxiLiteConfig
from llama_dv.tb.agents.s_axilite.item import RegisterAccess
from llama_dv.tb.agents.s_axilite.regmap import CTRL_BITS
from llama_dv.tb.common.protocol import ProtocolError, check_no_violations
from llama_dv.tb.common.timeout import level as signal_level

_DONE = 1 << CTRL_BITS["ap_done"]
_IDLE = 1 << CTRL_BITS["ap_idle"]
_READY = 1 << CTRL_BITS["ap_ready"]
_START = 1 << CTRL_BITS["ap_start"]
_INTERRUPT = 1 << CTRL_BITS["interrupt"]
_AUTO = 1 << CTRL_BITS["auto_restart"]


class ControlShadow:
    """What the monitor knows about the control block between accesses."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.gie = 0
        self.ier = 0
        self.isr: int | None = 0
        self.auto_restart = 0
        self.armed = False
        self.auto_seen = False
        self.writes = 0
        self.args: dict[int, int] = {}  # argument word offset -> what it must read back


class ControlMonitor(pyuvm.uvm_monitor):
    """Publishes every RegisterAccess on `ap` and raises ProtocolError on a violation."""

    def build_phase(self) -> None:
        self.cfg: SAxiLiteConfig = pyuvm.ConfigDB().get(self, "", SAxiLiteConfig.CONFIG_KEY)
        self.ap = pyuvm.uvm_analysis_port("ap", self)
        self.shadow = ControlShadow()
        self.violations: list[str] = []
        self.accesses = 0
        self.interrupt_checks = 0

    def start_of_simulation_phase(self) -> None:
        cfg = self.cfg
        args = cfg.cocotbext_reset()
        quiet_port_logger(cfg.dut, cfg.prefix, cfg.verbose)
        self._aw = AxiLiteAWMonitor(AxiLiteAWBus.from_prefix(cfg.dut, cfg.prefix), *args)
        self._w = AxiLiteWMonitor(AxiLiteWBus.from_prefix(cfg.dut, cfg.prefix), *args)
        self._b = AxiLiteBMonitor(AxiLiteBBus.from_prefix(cfg.dut, cfg.prefix), *args)
        self._ar = AxiLiteARMonitor(AxiLiteARBus.from_prefix(cfg.dut, cfg.prefix), *args)
        self._r = AxiLiteRMonitor(AxiLiteRBus.from_prefix(cfg.dut, cfg.prefix), *args)
        quiet_models(self._aw, self._w, self._b, self._ar, self._r, verbose=cfg.verbose)

    async def run_phase(self) -> None:
        cocotb.start_soon(self._writes())
        cocotb.start_soon(self._responses())
        cocotb.start_soon(self._resets())
        if self.cfg.interrupt is not None:
            cocotb.start_soon(self._interrupt_edges())
        await self._reads()

    def check_phase(self) -> None:
        check_no_violations(self.get_full_name(), self.violations, "control-register")

    # --- helpers ------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        text = f"{self.cfg.kernel} s_axilite @ {get_sim_time('ns'):g} ns: {message}"
        self.violations.append(text)
        self.logger.error(text)
        if self.cfg.check_registers:
            raise ProtocolError(text)

    def _name(self, offset: int) -> str:
        return self.cfg.regmap.name_of(offset)

    # --- channel consumers ------------------------------------------------------------

    async def _resets(self) -> None:
        level = self.cfg.reset_asserted
        while True:
            await self.cfg.reset.value_change
            if signal_level(self.cfg.reset) == level:
                self.shadow.reset()

    async def _responses(self) -> None:
        while True:
            b = await self._b.recv()
            resp = int(getattr(b, "bresp", 0))
            if resp != 0:
                self._fail(f"write response BRESP={resp} (expected OKAY)")

    async def _writes(self) -> None:
        regmap, sh = self.cfg.regmap, self.shadow
        while True:
            w = await self._w.recv()
            aw = await self._aw.recv()
            offset = int(aw.awaddr) & ~3
            data = int(w.wdata)
            strb = int(getattr(w, "wstrb", 0xF))
            sh.writes += 1
            self._write_arg(offset, data, strb)
            if strb & 1:
                if offset == regmap.gie:
                    sh.gie = data & 1
                elif offset == regmap.ier:
                    sh.ier = data & 3
                elif offset == regmap.isr and not self.cfg.isr_clear_on_read:
                    if not sh.armed and sh.isr is not None:
                        sh.isr ^= data & 3
                    else:
                        sh.isr = None
                elif offset == regmap.ap_ctrl:
                    sh.auto_restart = 1 if data & _AUTO else 0
                    if data & (_START | _AUTO):
                        sh.armed = True
                        sh.isr = None
                    if data & _AUTO:
                        sh.auto_seen = True
            self.accesses += 1
            self.ap.write(RegisterAccess("write", offset, data, strb, 0, get_sim_time("ns"), self._name(offset)))

    async def _reads(self) -> None:
        regmap, sh = self.cfg.regmap, self.shadow
        while True:
            ar = await self._ar.recv()
            pins = {self._interrupt_level()}
            r = await self._r.recv()
            pins.add(self._interrupt_level())
            offset = int(ar.araddr) & ~3
            data = int(r.rdata)
            resp = int(getattr(r, "rresp", 0))
            if resp != 0:
                self._fail(f"read of {self._name(offset)} answered RRESP={resp} (expected OKAY)")
            self._check_reserved(offset, data)
            self._check_arg(offset, data)
            if offset == regmap.ap_ctrl:
                self._check_ctrl(data)
                self._check_interrupt_bit(data, pins)
            elif offset == regmap.gie and (data & 1) != sh.gie:
                self._fail(f"GIE reads {data & 1}, last written {sh.gie}")
            elif offset == regmap.ier and (data & 3) != sh.ier:
                self._fail(f"IER reads 0x{data & 3:x}, last written 0x{sh.ier:x}")
            elif offset == regmap.isr:
                self._check_isr(data & 3)
            self.accesses += 1
            self.ap.write(RegisterAccess("read", offset, data, 0xF, resp, get_sim_time("ns"), self._name(offset)))

    def _write_arg(self, offset: int, data: int, strb: int) -> None:
        """Remember what an argument word must read back (bytes not written keep theirs)."""
        word = self.cfg.regmap.arg_word(offset)
        if word is None:
            return
        mask = word[1]
        keep = sum(0xFF << 8 * i for i in range(4) if not strb >> i & 1)
        old = self.shadow.args.get(offset)
        if keep and old is None:
            self.shadow.args.pop(offset, None)  # partly written, the rest unknown
            return
        self.shadow.args[offset] = ((old or 0) & keep | data & ~keep) & mask

    def _check_arg(self, offset: int, data: int) -> None:
        expected = self.shadow.args.get(offset)
        if expected is not None and data != expected:
            diff = data ^ expected
            verb = "differs" if diff & (diff - 1) == 0 else "differ"
            self._fail(f"{self._name(offset)} (0x{offset:02x}) reads 0x{data:08x}, last written "
                       f"0x{expected:08x}: {_bits(diff)} {verb} (an argument register reads back what was "
                       "written, its unused bits 0)")

    def _check_reserved(self, offset: int, data: int) -> None:
        reserved = self.cfg.regmap.reserved_mask(offset) & data
        if reserved:
            defined = _bits(~self.cfg.regmap.reserved_mask(offset) & 0xFFFFFFFF, "defined")
            self._fail(f"{self._name(offset)} reads 0x{data:08x}: reserved {_bits(reserved)} set "
                       f"(reserved bits read 0; {defined} in {Path(self.cfg.regmap.source).name})")

    def _check_ctrl(self, ctrl: int) -> None:
        sh = self.shadow
        bits = f"AP_CTRL=0x{ctrl:02x}"
        if not sh.armed:
            if ctrl & _DONE:
                self._fail(f"ap_done set again on a second read with no run started ({bits}); "
                           "ap_done must be clear-on-read")
            if ctrl & _READY:
                self._fail(f"ap_ready set again on a second read with no run started ({bits}); "
                           "ap_ready must be clear-on-read")
            if not ctrl & _IDLE:
                self._fail(f"ap_idle is 0 although no run was started since the last ap_done ({bits})")
        done_final = ctrl & _DONE and not ctrl & _START and not sh.auto_restart
        drained = not ctrl & _START and ctrl & _IDLE and not sh.auto_restart
        if sh.armed and (done_final or (drained and sh.auto_seen)):
            sh.armed = False
            sh.auto_seen = False

    def _interrupt_level(self) -> int | None:
        pin = self.cfg.interrupt
        return None if pin is None or not pin.value.is_resolvable else int(pin.value)

    def _check_interrupt_bit(self, ctrl: int, pins: set[int | None]) -> None:
        """AP_CTRL bit 9, where the header defines it, mirrors the interrupt pin (as it was
        when the read was addressed or answered: the pin may move in between)."""
        if self.cfg.interrupt is None or self.cfg.regmap.reserved_mask(self.cfg.regmap.ap_ctrl) & _INTERRUPT:
            return
        bit = int(bool(ctrl & _INTERRUPT))
        if None not in pins and bit not in pins:
            self._fail(f"AP_CTRL=0x{ctrl:02x}: bit 9 (interrupt) reads {bit} while the interrupt pin is "
                       f"{pins.pop()} (bit 9 mirrors the pin)")

    def _check_isr(self, isr: int) -> None:
        """A quiet ISR read must show the shadow; afterwards ISR holds what was read
        (toggle-on-write) or 0 (clear-on-read)."""
        sh, cor = self.shadow, self.cfg.isr_clear_on_read
        if sh.armed:
            sh.isr = None
            return
        if sh.isr is not None and isr != sh.isr:
            rule = ("ISR is clear-on-read (COR) and no run completed since the last ISR read" if cor
                    else "ISR bits toggle on write")
            self._fail(f"ISR reads 0x{isr:x}, expected 0x{sh.isr:x} ({rule})")
        sh.isr = 0 if cor else isr
        if self.cfg.interrupt is not None:
            cocotb.start_soon(self._check_interrupt_pin(sh.isr, sh.writes))

    async def _check_interrupt_pin(self, isr: int, writes: int) -> None:
        """interrupt == GIE & |(IER & ISR) once a quiet ISR read has settled (`isr`: the
        shadow after that read)."""
        sh = self.shadow
        await ClockCycles(self.cfg.clock, self.cfg.interrupt_settle_cycles)
        await ReadOnly()
        if sh.writes != writes or sh.armed:
            return
        pin = int(self.cfg.interrupt.value)
        strict = int(bool(sh.gie and (sh.ier & isr)))
        vitis = int(bool(sh.gie and isr))
        self.interrupt_checks += 1
        if pin not in (strict, vitis):
            after = " after its clear-on-read (COR)" if self.cfg.isr_clear_on_read else ""
            self._fail(f"interrupt pin is {pin}, expected GIE & |(IER & ISR) = {strict} "
                       f"(GIE={sh.gie}, IER=0x{sh.ier:x}, ISR=0x{isr:x}{after})")

    async def _interrupt_edges(self) -> None:
        while True:
            await RisingEdge(self.cfg.interrupt)
            await ReadOnly()
            if not self.shadow.gie:
                self._fail("interrupt pin rose while GIE is 0")
            elif not self.shadow.ier:
                self._fail("interrupt pin rose while IER is 0")


def _bits(mask: int, what: str = "") -> str:
    """'bit 31' / 'bits 0, 3, 31' of a mask, for messages."""
    bits = [str(b) for b in range(32) if mask >> b & 1]
    if not bits:
        return f"no bits {what}".strip()
    words = f"bit {bits[0]}" if len(bits) == 1 else f"bits {', '.join(bits)}"
    return f"{words} {what}".strip() if what else words
