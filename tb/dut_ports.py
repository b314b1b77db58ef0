"""The ports a DUT description implies, and binding them to a simulator handle.

`interface_port_names` and `CTRL_PORTS` say which pins an interface or block protocol
of a Vitis-style export has (UG1399 naming); `bind` checks every one of them exists on
the handle, naming the missing port and its neighbours; `start_clock` and `reset` drive
the described clock and reset polarity inside cocotb.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llama_dv.tb.dut_description import DutDescription, InterfaceSpec


class PortNotFoundError(AttributeError):
    """The DUT has no port of the name the description or an agent expects."""


def _port_names(dut: Any) -> list[str]:
    try:
        return sorted(h._name for h in dut)
    except Exception:  # noqa: BLE001 - listing is only for a better error message
        return []


def find_port(dut: Any, name: str, *, owner: str = "", optional: bool = False) -> Any:
    """Handle of top-level port `name`; raises PortNotFoundError naming it (or None if optional)."""
    try:
        return getattr(dut, name)
    except AttributeError:
        if optional:
            return None
        prefix = name.split("_")[0]
        near = [n for n in _port_names(dut) if n.startswith(prefix)]
        hint = f"; ports starting with '{prefix}': {', '.join(near)}" if near else ""
        who = f" (needed by {owner})" if owner else ""
        raise PortNotFoundError(f"DUT has no port '{name}'{who}{hint}") from None


CTRL_PORTS = {"ap_ctrl_hs": ("ap_start", "ap_done", "ap_idle", "ap_ready"),
              "ap_ctrl_chain": ("ap_start", "ap_done", "ap_idle", "ap_ready", "ap_continue"),
              "s_axilite": (), "ap_ctrl_none": ()}


def memory_port_names(iface: InterfaceSpec) -> list[str]:
    """Vitis ap_memory port names of one interface (per port index)."""
    names: list[str] = []
    for p in range(iface.ports):
        names += [f"{iface.name}_address{p}", f"{iface.name}_ce{p}"]
        if iface.direction in ("out", "inout"):
            names += [f"{iface.name}_we{p}", f"{iface.name}_d{p}"]
        if iface.direction in ("in", "inout"):
            names.append(f"{iface.name}_q{p}")
    return names


def interface_port_names(iface: InterfaceSpec) -> list[str]:
    """Required port names of an interface (the ones `bind` checks)."""
    if iface.kind == "ap_memory":
        return memory_port_names(iface)
    if iface.kind == "scalar":
        extra = {"ap_none": (), "ap_vld": ("ap_vld",), "ap_ack": ("ap_ack",), "ap_hs": ("ap_vld", "ap_ack")}
        return [iface.name] + [f"{iface.name}_{s}" for s in extra[iface.protocol]]
    if iface.kind == "axis":
        names = [f"{iface.name}_TDATA", f"{iface.name}_TVALID", f"{iface.name}_TREADY"]
        names += [f"{iface.name}_{s}" for s, on in (("TLAST", iface.tlast), ("TKEEP", iface.tkeep),
                                                    ("TSTRB", iface.tstrb), ("TUSER", iface.tuser),
                                                    ("TID", iface.tid), ("TDEST", iface.tdest)) if on]
        return names
    if iface.kind == "m_axi":
        p = iface.prefix
        return [f"{p}_{s}" for s in ("AWVALID", "AWREADY", "AWADDR", "WVALID", "WREADY", "WDATA",
                                     "BVALID", "BREADY", "ARVALID", "ARREADY", "ARADDR",
                                     "RVALID", "RREADY", "RDATA")]
    p = iface.prefix
    return [f"{p}_{s}" for s in ("AWVALID", "AWREADY", "AWADDR", "WVALID", "WREADY", "WDATA", "WSTRB",
                                 "ARVALID", "ARREADY", "ARADDR", "RVALID", "RREADY", "RDATA",
                                 "BVALID", "BREADY")]


@dataclass
class BoundDut:
    """A simulator handle checked against its description: every port named resolves."""

    dut: Any
    desc: DutDescription
    clk: Any
    rst: Any
    ctrl: dict[str, Any]

    def port(self, name: str) -> Any:
        return find_port(self.dut, name, owner=self.desc.name)


def bind(dut: Any, desc: DutDescription) -> BoundDut:
    """Check every port the description implies exists; fail naming the first missing one."""
    owner = f"{desc.name} ({desc.where})"
    clk = find_port(dut, desc.clock.port, owner=f"{owner} clock")
    rst = find_port(dut, desc.reset.port, owner=f"{owner} reset")
    ctrl = {n: find_port(dut, n, owner=f"{owner} block protocol {desc.block_protocol}")
            for n in CTRL_PORTS[desc.block_protocol]}
    for iface in desc.interfaces:
        for n in interface_port_names(iface):
            find_port(dut, n, owner=f"{owner} interface {iface.name} ({iface.kind})")
    if desc.interrupt is not None:
        find_port(dut, desc.interrupt, owner=f"{owner} interrupt")
    return BoundDut(dut=dut, desc=desc, clk=clk, rst=rst, ctrl=ctrl)


def start_clock(bound: BoundDut) -> Any:
    """Start the DUT clock at the described period; returns the cocotb Task."""
    from cocotb.clock import Clock

    clock = Clock(bound.clk, bound.desc.clock.period_ns, unit="ns")
    return clock.start()


async def reset(bound: BoundDut, cycles: int = 5) -> None:
    """Hold reset at the described polarity for `cycles` clock cycles, then release it."""
    from cocotb.triggers import RisingEdge

    bound.rst.value = bound.desc.reset.asserted
    for _ in range(cycles):
        await RisingEdge(bound.clk)
    bound.rst.value = bound.desc.reset.deasserted
    await RisingEdge(bound.clk)
