"""The generic environment: one agent per interface of a described DUT, calls driven
through its block protocol, every output compared with the user's golden.

    GenericEnv
     ├─ ctrl            ap_ctrl agent (ap_ctrl_hs/chain) | s_axilite control agent | none
     ├─ mem_<arg>       ap_memory responders (inputs preloaded, outputs read at ap_done)
     ├─ axis_<arg>      AXI-Stream sources / sinks (+ monitors -> scoreboard, in call order)
     ├─ maxi_<bundle>   m_axi slave memories (buffers placed per call, above 4 GiB)
     ├─ scoreboard      GenericScoreboard
     └─ coverage        GenericCoverage (+ the user's coverage(call))

The DUT is named by the test (ConfigDB `dut_name`: a registered DUT, e.g. a project
kernel) or by LDV_DUT_DESC (its YAML), the golden by LDV_GOLDEN or the YAML's `golden:`;
`llama-dv run` sets both variables. Nothing waits a fixed number of cycles for the DUT:
loads happen at ap_ready, collection at ap_done, streams are matched as packets arrive.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import cocotb
import pyuvm
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge
from cocotbext.axi import AxiStreamFrame

from llama_dv.tb.agents.ap_ctrl import ApCtrlAgent, ApCtrlConfig, ApCtrlItem
from llama_dv.tb.agents.ap_memory import ApMemoryAgent, ApMemoryConfig
from llama_dv.tb.agents.axis import AxisAgent, AxisConfig
from llama_dv.tb.agents.axis.source import words_to_bytes
from llama_dv.tb.agents.binding import configure
from llama_dv.tb.agents.m_axi import STALLED, TIMING_PROFILES, AxiTiming, MAxiAgent, MAxiConfig
from llama_dv.tb.agents.m_axi.config import Region
from llama_dv.tb.agents.s_axilite import SAxiLiteAgent, SAxiLiteConfig
from llama_dv.tb.agents.s_axilite.item import ControlItem
from llama_dv.tb.common.knobs import DESCRIPTION_ENV, GOLDEN_ENV, MEMORY_TIMING_ENV, handshake_timeout_cycles
from llama_dv.tb.common.protocol import ProtocolError
from llama_dv.tb.common.seeding import regression_seed, rng
from llama_dv.tb.common.timeout import DutTimeout, level, within
from llama_dv.tb.dut_registry import get_description
from llama_dv.tb.dut_description import DutDescription, load_description
from llama_dv.tb.dut_ports import bind, find_port, reset, start_clock
from llama_dv.tb.generic.arguments import Argument, register_map_of, signature
from llama_dv.tb.generic.coverage import coverage_for
from llama_dv.tb.generic.golden import Golden, golden_of, load_golden
from llama_dv.tb.generic.placement import BufferPlacer, check_placement
from llama_dv.tb.generic.scoreboard import GenericScoreboard, StreamExport
from llama_dv.tb.generic.stimulus import Call, Stimulus


POISON = 0x5EADBEEF5EADBEEF
"""Written over output memories before a call: a word the DUT never wrote cannot pass."""
POISON_BYTE = 0xA5
MEMORY_TIMING = {"none": "fast", "random": "random", "bursty": "latency", "worst": "worst"}
"""m_axi memory timing profile of each AXI-Stream flow-control pattern."""


def memory_timing(flow_pattern: str) -> AxiTiming:
    """The m_axi timing profile: LDV_MEMORY_TIMING, else the flow pattern's (MEMORY_TIMING)."""
    name = os.environ.get(MEMORY_TIMING_ENV) or MEMORY_TIMING[flow_pattern]
    if name == STALLED.name:
        return STALLED
    if name not in TIMING_PROFILES:
        raise ValueError(f"{MEMORY_TIMING_ENV}={name!r}: expected one of {', '.join(TIMING_PROFILES)}, "
                         f"{STALLED.name}")
    return TIMING_PROFILES[name]


def description_from_env() -> DutDescription:
    path = os.environ.get(DESCRIPTION_ENV)
    if not path:
        raise RuntimeError(f"{DESCRIPTION_ENV} is not set: the generic tests need the DUT's YAML "
                           "(`llama-dv run dut.yaml --golden ...` sets it)")
    return load_description(Path(path))


def golden_from_env(desc: DutDescription) -> Golden:
    spec = os.environ.get(GOLDEN_ENV) or golden_of(desc)
    if not spec:
        raise RuntimeError(f"{desc.where}: no golden: pass --golden module:function or set 'golden:' in the YAML")
    return load_golden(spec)


def _config(component: Any, key: str, default: Any) -> Any:
    """A ConfigDB value set by the test (e.g. `flow_pattern`), or `default`."""
    try:
        return pyuvm.ConfigDB().get(component, "", key)
    except pyuvm.UVMConfigItemNotFound:
        return default


def _dtype(bits: int, signed: bool) -> str:
    if bits not in (8, 16, 32, 64):
        raise ValueError(f"m_axi buffer elements must be 8, 16, 32 or 64 bits wide, not {bits}")
    return f"{'i' if signed else 'u'}{bits // 8}"


class GenericEnv(pyuvm.uvm_env):
    def build_phase(self) -> None:
        name = _config(self, "dut_name", None)
        self.desc = get_description(name) if name else description_from_env()
        self.golden = golden_from_env(self.desc)
        self.arguments: list[Argument] = signature(self.desc, self.golden.args)
        self.arg = {a.name: a for a in self.arguments}
        self.bound = bind(cocotb.top, self.desc)
        self.clk = self.bound.clk
        self.period_ns = self.desc.clock.period_ns
        self.budget = handshake_timeout_cycles(self.desc)
        self.seed = regression_seed()
        self.rng = rng(f"{self.desc.name}.env")
        self.stimulus = Stimulus(self.arguments, self.golden, rng(f"{self.desc.name}.stimulus"), self.seed)
        self.flow_pattern = _config(self, "flow_pattern", "none")
        self.flow: dict[str, str] = {}
        self.completion = "poll"
        self.completion_mode: str | None = _config(self, "completion", None)  # s_axilite; None alternates
        self.readback_registers: bool = _config(self, "readback_registers", False)
        """s_axilite: read every argument register back (and the control registers) before ap_start."""
        self.timing = ""
        dut, rst_high = cocotb.top, self.desc.reset.active_high
        self.memories: dict[str, ApMemoryAgent] = {}
        self.streams: dict[str, AxisAgent] = {}
        self.bundles: dict[str, MAxiAgent] = {}
        out_streams: list[str] = []
        for iface in self.desc.interfaces:
            if iface.kind == "ap_memory":
                configure(self, f"mem_{iface.name}", ApMemoryConfig.from_interface(iface, dut=dut, clock=self.clk))
                self.memories[iface.name] = ApMemoryAgent(f"mem_{iface.name}", self)
            elif iface.kind == "axis":
                configure(self, f"axis_{iface.name}",
                          AxisConfig.from_interface(iface, dut=dut, clock=self.clk, reset=self.bound.rst,
                                                    reset_active_high=rst_high, pattern=self.flow_pattern))
                self.streams[iface.name] = AxisAgent(f"axis_{iface.name}", self)
                self.flow[iface.name] = self.flow_pattern
                if iface.direction == "out":
                    out_streams.append(iface.name)
            elif iface.kind == "m_axi":
                cfg = MAxiConfig(dut=dut, clock=self.clk, reset=self.bound.rst, reset_active_high=rst_high,
                                 period_ns=self.period_ns, bundle=iface.name,
                                 timing=memory_timing(self.flow_pattern), w_after_aw=iface.w_after_aw)
                self.timing = cfg.timing.name
                configure(self, f"maxi_{iface.name}", cfg)
                self.bundles[iface.name] = MAxiAgent(f"maxi_{iface.name}", self)
                self.flow[iface.name] = self.flow_pattern
        self._build_control(dut, rst_high)
        self.scoreboard = GenericScoreboard("scoreboard", self, self.desc.name, self.arguments)
        self.stream_exports = {name: StreamExport(f"to_sb_{name}", self, name, self.scoreboard)
                               for name in out_streams}
        self.coverage = coverage_for(self.desc, self.arguments)
        self.scalar_out: dict[str, int] = {}
        self._mem_marks: dict[str, int] = {}
        self.placement = "anywhere"
        """m_axi buffer placement policy of calls that name none (llama_dv.tb.generic.placement)."""
        self.idle_cycles = (0, 0)
        """s_axilite: idle cycles (range) before a call that is not run back to back."""
        self.placer = BufferPlacer(self.rng)
        self.call_started = pyuvm.uvm_analysis_port("call_started", self)
        """Each Call once its inputs are in place, before it starts (for a DUT's own checks)."""
        self.call_ended = pyuvm.uvm_analysis_port("call_ended", self)
        """Each Call when its ap_done was seen, before its outputs are checked."""
        if self.golden.extend is not None:
            self.golden.extend(self)
        check_placement(self.placement)

    def _build_control(self, dut: Any, rst_high: bool) -> None:
        proto = self.desc.block_protocol
        self.ctrl: Any = None
        if proto in ("ap_ctrl_hs", "ap_ctrl_chain"):
            configure(self, "ctrl", ApCtrlConfig(dut=dut, clock=self.clk, reset=self.bound.rst,
                                                 reset_active_high=rst_high, protocol=proto, period_ns=self.period_ns,
                                                 ready_timeout_cycles=self.budget, done_timeout_cycles=self.budget))
            self.ctrl = ApCtrlAgent("ctrl", self)
        elif proto == "s_axilite":
            iface = self.desc.interfaces_of("s_axilite")[0]
            regmap = register_map_of(self.desc, iface)
            extra = {"isr_mode": iface.isr} if iface.isr else {}
            cfg = SAxiLiteConfig(dut=dut, clock=self.clk, reset=self.bound.rst, reset_active_high=rst_high,
                                 regmap=regmap, period_ns=self.period_ns, prefix=iface.prefix, kernel=self.desc.name,
                                 interrupt=find_port(dut, self.desc.interrupt) if self.desc.interrupt else None,
                                 done_timeout_cycles=self.budget, **extra)
            configure(self, "ctrl", cfg)
            self.ctrl = SAxiLiteAgent("ctrl", self)

    def connect_phase(self) -> None:
        for name, export in self.stream_exports.items():
            self.streams[name].monitor.ap.connect(export.analysis_export)
        if isinstance(self.ctrl, ApCtrlAgent):
            self.ctrl.monitor.ap.connect(Sampler("timing_cov", self, self.coverage.sample_timing).analysis_export)

    async def run_phase(self) -> None:
        for arg in self.arguments:
            if arg.carrier == "port" and arg.is_output and arg.iface is not None and arg.iface.protocol in ("ap_vld", "ap_hs"):
                cocotb.start_soon(self._capture_vld(arg.name))

    # --- set-up ----------------------------------------------------------------------

    async def start(self) -> None:
        """Clock on, inputs idle, reset pulse: once at the start of a test."""
        start_clock(self.bound)
        if isinstance(self.ctrl, ApCtrlAgent):
            self.ctrl.driver.idle_outputs()
        for arg in self.arguments:
            if arg.carrier == "port" and arg.iface is not None:
                self._idle_port(arg)
        await reset(self.bound)

    def _idle_port(self, arg: Argument) -> None:
        proto = arg.iface.protocol if arg.iface else "ap_none"
        if arg.is_input:
            self.bound.port(arg.name).value = 0
            if proto in ("ap_vld", "ap_hs"):
                self.bound.port(f"{arg.name}_ap_vld").value = 0
        elif proto in ("ap_ack", "ap_hs"):
            self.bound.port(f"{arg.name}_ap_ack").value = 1

    # --- one call: load, collect -----------------------------------------------------

    def load(self, call: Call, *, poison: bool = True) -> dict[str, int]:
        """Put a call's inputs where the DUT reads them; returns register argument values."""
        registers: dict[str, int] = {}
        regions: dict[str, list[Region]] = {b: [] for b in self.bundles}
        self.placer.new_call()
        for arg in self.arguments:
            value = call.inputs.get(arg.name)
            if arg.carrier == "ap_memory":
                model = self.memories[arg.name].model
                if arg.is_output and poison:
                    model.fill(POISON)
                if arg.is_input:
                    model.preload(value)
                self._mem_marks[arg.name] = len(model.writes)
            elif arg.carrier == "axis" and arg.is_input:
                drv = self.streams[arg.name].driver
                drv.source.send_nowait(AxiStreamFrame(words_to_bytes(value, drv.width)))
            elif arg.carrier == "axis":
                self.streams[arg.name].monitor.expect(call.txn_id, len(call.expected[arg.name]))
            elif arg.carrier == "port" and arg.is_input:
                self.bound.port(arg.name).value = int(value) & ((1 << arg.bits) - 1)
                if arg.iface is not None and arg.iface.protocol in ("ap_vld", "ap_hs"):
                    self.bound.port(f"{arg.name}_ap_vld").value = 1
            elif arg.carrier == "register":
                registers[arg.name] = int(value)
            elif arg.carrier == "m_axi":
                address, region = self._place(arg, call, poison)
                regions[arg.bundle].append(region)
                if arg.address_via == "port":
                    self.bound.port(arg.name).value = address
                else:
                    registers[arg.name] = address
        for bundle, agent in self.bundles.items():
            agent.cfg.regions = (agent.cfg.regions if not poison else []) + regions[bundle]
        self.scoreboard.expect(call)
        self.call_started.write(call)
        return registers

    def _place(self, arg: Argument, call: Call, poison: bool) -> tuple[int, Region]:
        """A buffer above 4 GiB for one array, where the call's (else the env's) placement policy puts it."""
        data = call.inputs[arg.name] if arg.is_input else call.expected[arg.name]
        size = max(1, len(data)) * (arg.bits // 8)
        address = self.placer.place(size, call.placement or self.placement, align=max(4, arg.bits // 8))
        memory = self.bundles[arg.bundle].memory
        assert memory is not None
        if arg.is_input:
            memory.preload(address, data, _dtype(arg.bits, arg.signed))
        else:
            memory.fill(address, size, POISON_BYTE)
        call.addresses[arg.name] = address
        return address, Region(arg.name, address, (size + 3) & ~3, writable=arg.is_output)

    def collect(self, call: Call, *, check_stray: bool = True) -> None:
        """At ap_done: read every memory, register and m_axi output of the call and check it.

        A stream output must be complete by then: ap_done before the call's last output
        beat is a protocol error (UG1399: ap_done means every output was written)."""
        self.call_ended.write(call)
        for stream in self.scoreboard.streams:
            if call in self.scoreboard.pending[stream]:
                mon = self.streams[stream].monitor
                raise ProtocolError(f"{self.desc.name}: ap_done of txn {call.txn_id} (seed {call.seed}) before "
                                    f"its output packet completed: {len(mon.beats)} of "
                                    f"{len(call.expected[stream])} {stream} beats seen")
        actual: dict[str, Any] = {}
        for arg in self.arguments:
            if not arg.is_output or arg.name not in call.expected:
                continue
            n = len(call.expected[arg.name]) if arg.shape == "array" else 1
            if arg.carrier == "ap_memory":
                model = self.memories[arg.name].model
                actual[arg.name] = model.contents(n)
                if check_stray:
                    writes = model.writes[self._mem_marks.get(arg.name, 0):]
                    self.scoreboard.stray_writes(call, arg.name, [w.address for w in writes])
            elif arg.carrier == "m_axi":
                memory = self.bundles[arg.bundle].memory
                assert memory is not None
                address = call.addresses[arg.name]
                actual[arg.name] = memory.read_array(address, n, _dtype(arg.bits, arg.signed))
            elif arg.carrier == "port":
                proto = arg.iface.protocol if arg.iface else "ap_none"
                actual[arg.name] = (self.scalar_out.pop(arg.name, None) if proto in ("ap_vld", "ap_hs")
                                    else int(self.bound.port(arg.name).value))
                if actual[arg.name] is None:
                    self.scoreboard.logger.error(f"{self.desc.name} output '{arg.name}': {arg.name}_ap_vld never "
                                                 f"rose during txn {call.txn_id}")
                    raise AssertionError(f"{self.desc.name} output '{arg.name}': no {arg.name}_ap_vld pulse in "
                                         f"txn {call.txn_id} (seed {call.seed}) [{call.kind}]")
        call.flow, call.completion = dict(self.flow), self.completion
        call.timing = self.timing
        self.scoreboard.check_call(call, actual)
        self.coverage.sample_call(call)
        if self.golden.coverage is not None:
            self.golden.coverage(call)

    async def _capture_vld(self, name: str) -> None:
        vld, data = self.bound.port(f"{name}_ap_vld"), self.bound.port(name)
        while True:
            await RisingEdge(vld)
            await ReadOnly()
            self.scalar_out[name] = int(data.value)
            await FallingEdge(self.clk)

    # --- running calls -----------------------------------------------------------------

    async def run_calls(self, calls: list[Call], *, overlap: bool = False) -> None:
        """Run `calls`; with `overlap` (ap_ctrl blocks) ap_start stays high and the next call's
        inputs are applied at ap_ready, so a pipelined or dataflow DUT has several in flight;
        an s_axilite call then starts as soon as the previous one completed (no idle cycles).
        An ap_ctrl block is then left alone for the monitor's ap_idle check (a few cycles)."""
        proto = self.desc.block_protocol
        if proto in ("ap_ctrl_hs", "ap_ctrl_chain"):
            try:
                await (self._run_overlapped(calls) if overlap else self._run_sequential(calls))
            except DutTimeout as exc:
                raise DutTimeout(f"{exc}; {self.stream_state()}" if self.streams else str(exc)) from None
        elif proto == "s_axilite":
            for call in calls:
                registers = self.load(call)
                low, high = self.idle_cycles
                idle = 0 if overlap or not high else int(self.rng.integers(low, high + 1))
                call.back_to_back = idle == 0
                if idle:
                    await ClockCycles(self.clk, idle)
                self.completion = (call.completion or self.completion_mode
                                   or ("interrupt" if self.desc.interrupt and call.txn_id % 2 else "poll"))
                item = ControlItem(f"call{call.txn_id}", args=registers, completion=self.completion,
                                   auto_restart_runs=call.auto_restart_runs, readback=self.readback_registers)
                await self.ctrl.driver.execute(item)
                self.collect(call)
        else:
            for call in calls:
                self.load(call)
                await self.drain()
                self.collect(call)
        await self.drain()
        if isinstance(self.ctrl, ApCtrlAgent):
            await self.ctrl.monitor.settle()

    async def _run_sequential(self, calls: list[Call]) -> None:
        for call in calls:
            self.load(call)
            item = ApCtrlItem(f"call{call.txn_id}", call.txn_id, on_done=lambda c=call: self.collect(c),
                              continue_delay=int(self.rng.integers(0, 8)))
            await self.ctrl.driver.invoke(item)

    async def _run_overlapped(self, calls: list[Call]) -> None:
        self.load(calls[0])
        completions = []
        for i, call in enumerate(calls):
            nxt = calls[i + 1] if i + 1 < len(calls) else None
            item = ApCtrlItem(f"call{call.txn_id}", call.txn_id, hold_start=nxt is not None,
                              on_ready=(lambda c=nxt: cocotb.start_soon(self._load_after_handshake(c)))
                              if nxt else None,
                              on_done=lambda c=call: self.collect(c, check_stray=False),
                              continue_delay=int(self.rng.integers(0, 8)))
            await self.ctrl.driver.issue(item)
            completions.append(cocotb.start_soon(self.ctrl.driver.complete(item)))
        for task in completions:
            await task

    async def _load_after_handshake(self, call: Call) -> None:
        """The next call's inputs change just after the edge that completes ap_start & ap_ready:
        in the ready cycle itself the DUT may still read the current call's (an ap_none scalar
        compared every iteration, say), so changing them mid-cycle would alter that call."""
        await RisingEdge(self.clk)
        self.load(call, poison=False)

    def set_stream_flow(self, pattern: str) -> None:
        """TVALID gaps / TREADY back-pressure of every AXI-Stream from now on (calls record it
        in `Call.flow`); an m_axi bundle keeps the memory timing it was built with."""
        for name, agent in self.streams.items():
            agent.set_pattern(pattern)
            self.flow[name] = pattern

    def stream_state(self) -> str:
        """Where every stream stood when a wait timed out (which side stopped moving)."""
        return "; ".join(f"{name}: {a.monitor.packets} packets + {len(a.monitor.beats)} beats transferred, "
                         f"TVALID={level(a.monitor.tvalid)} TREADY={level(a.monitor.tready)}"
                         for name, a in self.streams.items())

    async def drain(self) -> None:
        """Wait until every expected output packet has arrived (bounded by the handshake budget)."""
        while self.scoreboard.outstanding():
            self.scoreboard.changed.clear()
            pending = self.scoreboard.outstanding()
            await within(self.scoreboard.changed.wait(), cycles=self.budget, period_ns=self.period_ns,
                         what=f"{self.desc.name}: {pending} output packet(s) still due ({self.stream_state()})")

    async def reset_mid_call(self, call: Call, after_cycles: int) -> None:
        """Start `call`, assert reset `after_cycles` later, drop what was in flight, recover.

        An s_axilite call is started and left running with the control bus idle (a reset
        in the middle of an AXI4-Lite access is a different test: of the bus, not the DUT).
        """
        task = None
        if self.desc.block_protocol == "s_axilite":
            registers = self.load(call)
            await self.ctrl.driver.execute(ControlItem(f"call{call.txn_id}", args=registers, wait_done=False))
        else:
            task = cocotb.start_soon(self.run_calls([call]))
        await ClockCycles(self.clk, after_cycles)
        if task is not None:
            task.cancel()
        self.bound.rst.value = self.desc.reset.asserted
        self.scoreboard.flush()
        for agent in self.streams.values():
            agent.monitor.reset_state()
            if agent.direction == "in":
                agent.driver.flush()
            else:
                agent.driver.drain()
        if isinstance(self.ctrl, ApCtrlAgent):
            self.ctrl.driver.idle_outputs()
        await ClockCycles(self.clk, 5)
        self.bound.rst.value = self.desc.reset.deasserted
        await RisingEdge(self.clk)
        if isinstance(self.ctrl, ApCtrlAgent):
            self.ctrl.monitor.reset_state()
            self.ctrl.driver.sync_after_reset()
        self.coverage.sample_reset("recovered")


class Sampler(pyuvm.uvm_subscriber):
    """Calls one function per published item (coverage of the ap_ctrl monitor's timings, a
    DUT's own checks). With `source`, a function returning the analysis port to listen to,
    it connects itself in its connect phase, once every agent's ports exist: a golden
    module's `extend(env)` can add one during the env's build."""

    def __init__(self, name: str, parent: Any, fn: Callable[[Any], None],
                 source: Callable[[], pyuvm.uvm_analysis_port] | None = None) -> None:
        super().__init__(name, parent)
        self.fn, self.source = fn, source

    def connect_phase(self) -> None:
        if self.source is not None:
            self.source().connect(self.analysis_export)

    def write(self, tt: Any) -> None:
        self.fn(tt)
