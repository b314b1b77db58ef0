"""Top-level ports of a Vitis HLS export sorted into the roles of a DUT description.

UG1399 fixes how Vitis names every port it generates (`ap_clk`, `ap_rst_n`,
`<arg>_address0`, `<arg>_TDATA`, `m_axi_<bundle>_AWADDR`, `<arg>_ap_vld`, ...), so the
names alone say which interface each port belongs to. A port no rule claims is an
error naming it: a testbench that left it undriven would verify something else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from llama_dv.tb.export.verilog import Port

AXI4_SIGNALS = frozenset("""
    AWVALID AWREADY AWADDR AWID AWLEN AWSIZE AWBURST AWLOCK AWCACHE AWPROT AWQOS AWREGION AWUSER
    WVALID WREADY WDATA WSTRB WLAST WID WUSER
    ARVALID ARREADY ARADDR ARID ARLEN ARSIZE ARBURST ARLOCK ARCACHE ARPROT ARQOS ARREGION ARUSER
    RVALID RREADY RDATA RLAST RID RUSER RRESP
    BVALID BREADY BRESP BID BUSER
""".split())
AXI_LITE_SIGNALS = frozenset("""
    AWVALID AWREADY AWADDR WVALID WREADY WDATA WSTRB ARVALID ARREADY ARADDR
    RVALID RREADY RDATA RRESP BVALID BREADY BRESP
""".split())
AXIS_SIGNALS = ("TDATA", "TVALID", "TREADY", "TLAST", "TKEEP", "TSTRB", "TUSER", "TID", "TDEST")
CTRL_HS = ("ap_start", "ap_done", "ap_idle", "ap_ready")

_M_AXI_RE = re.compile(r"^m_axi_(\w+?)_([A-Z]+)$")
_S_AXI_RE = re.compile(r"^s_axi_(\w+?)_([A-Z]+)$")
_AXIS_RE = re.compile(r"^(\w+)_(" + "|".join(AXIS_SIGNALS) + r")$")
_MEM_RE = re.compile(r"^(\w+)_(address|ce|we|d|q)([01])$")
_HANDSHAKE_RE = re.compile(r"^(\w+)_(ap_vld|ap_ack)$")
_RETURN_RE = re.compile(r"^ap_return(_\d+)?$")


class ClassifyError(ValueError):
    """Ports no UG1399 rule explains, or a protocol group with parts missing."""


@dataclass
class Classification:
    """What the port names say; `interfaces` are in order of their first port."""

    clock: str
    reset: str
    reset_active: str
    ctrl: str | None  # ap_ctrl_hs | ap_ctrl_chain | None (s_axilite or ap_ctrl_none: decided later)
    interrupt: str | None
    interfaces: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [i for i in self.interfaces if i["kind"] == kind]


def _direction(port: Port) -> str:
    return {"input": "in", "output": "out", "inout": "inout"}[port.direction]


def _group(ports: Iterable[Port], regex: re.Pattern[str], key: Callable[[re.Match[str]], tuple[str, str]],
           skip: set[str]) -> dict[str, dict[str, Port]]:
    """Ports matching `regex` grouped as {argument: {signal: port}} (ports in `skip` left out)."""
    groups: dict[str, dict[str, Port]] = {}
    for p in ports:
        m = regex.match(p.name)
        if m and p.name not in skip:
            arg, signal = key(m)
            groups.setdefault(arg, {})[signal] = p
    return groups


class _Sorter:
    """One pass per role over the top's ports; claimed ports are not offered to later roles."""

    def __init__(self, ports: Sequence[Port]) -> None:
        self.ports = list(ports)
        self.by_name = {p.name: p for p in ports}
        self.order = {p.name: i for i, p in enumerate(ports)}
        self.claimed: set[str] = set()
        self.problems: list[str] = []
        self.found: list[tuple[int, dict[str, Any]]] = []
        self.streams: dict[str, dict[str, Port]] = {}
        self.memories: dict[str, dict[str, Port]] = {}

    def expect(self, name: str, direction: str, role: str) -> None:
        port = self.by_name[name]
        if port.direction != direction:
            self.problems.append(f"port {name} ({role}) is an {port.direction}, expected an {direction}")

    def add(self, sig: Mapping[str, Port], iface: dict[str, Any]) -> None:
        self.claimed.update(p.name for p in sig.values())
        self.found.append((min(self.order[p.name] for p in sig.values()), iface))

    def clock_reset(self) -> tuple[str, str, str]:
        clock = "ap_clk" if "ap_clk" in self.by_name else ""
        if clock:
            self.expect(clock, "input", "clock")
            self.claimed.add(clock)
        else:
            self.problems.append("no ap_clk port (every Vitis HLS export has one)")
        resets = [r for r in ("ap_rst", "ap_rst_n") if r in self.by_name]
        self.claimed.update(resets)
        if len(resets) == 2:
            self.problems.append("ports ap_rst and ap_rst_n both exist; a Vitis export has one reset")
        elif not resets:
            self.problems.append("no reset port (ap_rst, active high, or ap_rst_n, active low)")
        else:
            self.expect(resets[0], "input", "reset")
            return clock, resets[0], "high" if resets[0] == "ap_rst" else "low"
        return clock, "", "high"

    def block_protocol(self) -> str | None:
        present = [n for n in (*CTRL_HS, "ap_continue") if n in self.by_name]
        self.claimed.update(present)
        if "ap_start" not in self.by_name:
            self.problems += [f"port {n} is a block-protocol port, but there is no ap_start" for n in present]
            return None
        missing = [n for n in CTRL_HS if n not in self.by_name]
        if missing:
            self.problems.append(f"port ap_start exists but {', '.join(missing)} do(es) not: "
                                 "ap_ctrl_hs / ap_ctrl_chain need ap_start, ap_done, ap_idle and ap_ready")
        ctrl = "ap_ctrl_chain" if "ap_continue" in self.by_name else "ap_ctrl_hs"
        for n in present:
            self.expect(n, "input" if n in ("ap_start", "ap_continue") else "output", ctrl)
        return ctrl

    def interrupt(self) -> str | None:
        if "interrupt" not in self.by_name:
            return None
        self.expect("interrupt", "output", "interrupt")
        self.claimed.add("interrupt")
        return "interrupt"

    def axi(self, regex: re.Pattern[str], signals: frozenset[str], kind: str) -> None:
        prefix = "m_axi" if kind == "m_axi" else "s_axi"
        matching = [p for p in self.ports if (m := regex.match(p.name)) and m.group(2) in signals]
        for bundle, sig in _group(matching, regex, lambda m: (m.group(1), m.group(2)), self.claimed).items():
            data = sig.get("WDATA") or sig.get("RDATA")
            addr = sig.get("AWADDR") or sig.get("ARADDR")
            if data is None or addr is None:
                self.claimed.update(p.name for p in sig.values())
                self.problems.append(f"{kind} bundle {bundle}: no {prefix}_{bundle}_WDATA/RDATA or "
                                     f"{prefix}_{bundle}_AWADDR/ARADDR port")
                continue
            if kind == "m_axi":
                ident = sig.get("AWID") or sig.get("ARID")
                user = sig.get("AWUSER") or sig.get("ARUSER")
                self.add(sig, {"name": bundle, "kind": "m_axi", "data_width": data.width, "addr_width": addr.width,
                               "id_width": ident.width if ident else 1, "user_width": user.width if user else 1,
                               "w_after_aw": True})
            else:
                self.add(sig, {"name": bundle, "kind": "s_axilite", "addr_width": addr.width,
                               "data_width": data.width})

    def axis(self) -> None:
        self.streams = _group(self.ports, _AXIS_RE, lambda m: (m.group(1), m.group(2)), self.claimed)
        for arg, sig in self.streams.items():
            if not all(s in sig for s in ("TDATA", "TVALID", "TREADY")):
                continue  # left unclaimed: reported at the end with the reason
            data = sig["TDATA"]
            if sig["TVALID"].direction != data.direction or sig["TREADY"].direction == data.direction:
                self.problems.append(f"axis {arg}: {arg}_TVALID must go the way of {arg}_TDATA and "
                                     f"{arg}_TREADY the other way")
            iface: dict[str, Any] = {"name": arg, "kind": "axis", "data_width": data.width,
                                     "direction": _direction(data)}
            for s in ("TLAST", "TKEEP", "TSTRB", "TUSER"):
                iface[s.lower()] = s in sig
            if "TUSER" in sig:
                iface["user_width"] = sig["TUSER"].width
            iface["tid"] = "TID" in sig
            iface["tdest"] = "TDEST" in sig
            self.add(sig, iface)

    def ap_memory(self) -> None:
        self.memories = _group(self.ports, _MEM_RE, lambda m: (m.group(1), m.group(2) + m.group(3)), self.claimed)
        for arg, sig in self.memories.items():
            if "address0" not in sig:
                continue  # left unclaimed: reported at the end with the reason
            nports = 2 if "address1" in sig else 1
            reads = any(k.startswith("q") for k in sig)
            writes = any(k.startswith(("d", "we")) for k in sig)
            direction = "inout" if reads and writes else "in" if reads else "out"
            widths = {sig[k].width for k in ("q0", "d0", "q1", "d1") if k in sig}
            if len(widths) > 1:
                self.problems.append(f"ap_memory {arg}: its data ports differ in width ({sorted(widths)})")
            expected = []
            for idx in range(nports):
                expected += [f"address{idx}", f"ce{idx}"]
                expected += [f"we{idx}", f"d{idx}"] if direction in ("out", "inout") else []
                expected += [f"q{idx}"] if direction in ("in", "inout") else []
            lacking = [f"{arg}_{k}" for k in expected if k not in sig]
            if lacking:
                self.problems.append(f"ap_memory {arg}: {', '.join(lacking)} missing (the description schema "
                                     f"has every port of a {direction} memory read and write alike)")
            if not widths:
                self.claimed.update(p.name for p in sig.values())
                continue
            self.add(sig, {"name": arg, "kind": "ap_memory", "ports": nports, "addr_width": sig["address0"].width,
                           "data_width": max(widths), "direction": direction})

    def scalars(self) -> None:
        """`<arg>` with optional `<arg>_ap_vld` / `<arg>_ap_ack`, and `ap_return`."""
        handshakes: dict[str, dict[str, Port]] = {}
        for p in self.ports:
            m = _HANDSHAKE_RE.match(p.name)
            if m and p.name not in self.claimed and m.group(1) in self.by_name and m.group(1) not in self.claimed:
                handshakes.setdefault(m.group(1), {})[m.group(2)] = p
        hs_ports = {p.name for sig in handshakes.values() for p in sig.values()}
        for p in self.ports:
            if p.name in self.claimed or p.name in hs_ports or self.why_not_scalar(p):
                continue
            hs = handshakes.get(p.name, {})
            protocol = {(False, False): "ap_none", (True, False): "ap_vld", (False, True): "ap_ack",
                        (True, True): "ap_hs"}[("ap_vld" in hs, "ap_ack" in hs)]
            if _RETURN_RE.match(p.name) and p.direction != "output":
                self.problems.append(f"port {p.name} is an input; ap_return is the function's return value "
                                     "(an output)")
            if "ap_vld" in hs and hs["ap_vld"].direction != p.direction:
                self.problems.append(f"port {p.name}_ap_vld must go the way of {p.name} ({p.direction})")
            if "ap_ack" in hs and hs["ap_ack"].direction == p.direction:
                self.problems.append(f"port {p.name}_ap_ack must go against {p.name} (which is an {p.direction})")
            self.add({"": p, **hs}, {"name": p.name, "kind": "scalar", "width": p.width,
                                     "direction": _direction(p), "protocol": protocol})

    def why_not_scalar(self, p: Port) -> str:
        return _unclaimable(p, self.streams, self.memories)


def classify(ports: Sequence[Port], top: str) -> Classification:
    """Sort `ports` (the top's, in header order) by UG1399 naming; ClassifyError lists every problem."""
    sorter = _Sorter(ports)
    clock, reset, reset_active = sorter.clock_reset()
    ctrl = sorter.block_protocol()
    interrupt = sorter.interrupt()
    sorter.axi(_M_AXI_RE, AXI4_SIGNALS, "m_axi")
    sorter.axi(_S_AXI_RE, AXI_LITE_SIGNALS, "s_axilite")
    sorter.axis()
    sorter.ap_memory()
    sorter.scalars()
    for p in ports:
        if p.name not in sorter.claimed:
            sorter.problems.append(f"port {p.name} ({p.direction}, {p.width} bit{'s' if p.width != 1 else ''}) "
                                   f"fits no UG1399 interface: {sorter.why_not_scalar(p) or 'unknown'}")
    if sorter.problems:
        raise ClassifyError(f"top module {top}:\n" + "\n".join(f"  - {x}" for x in sorter.problems))
    sorter.found.sort(key=lambda item: item[0])
    return Classification(clock=clock, reset=reset, reset_active=reset_active, ctrl=ctrl,
                          interrupt=interrupt, interfaces=[iface for _, iface in sorter.found])


def _unclaimable(p: Port, streams: dict[str, dict[str, Port]], memories: dict[str, dict[str, Port]]) -> str:
    """Why `p` cannot be a plain scalar ('' when it can)."""
    if p.direction == "inout":
        return "an inout port (Vitis HLS exports have none)"
    if p.name.startswith("ap_") and not _RETURN_RE.match(p.name):
        return "an ap_* port the DUT description has no role for (ap_clk, ap_rst(_n), ap_start, ap_done, " \
               "ap_idle, ap_ready, ap_continue, ap_return)"
    if p.name.startswith(("m_axi_", "s_axi_")):
        return "an m_axi_<bundle>_* / s_axi_<bundle>_* port whose signal is not an AXI4 / AXI4-Lite one"
    m = _AXIS_RE.match(p.name)
    if m:
        lacking = [f"{m.group(1)}_{s}" for s in ("TDATA", "TVALID", "TREADY") if s not in streams.get(m.group(1), {})]
        return f"an axis side channel, but {', '.join(lacking)} do(es) not exist"
    m = _MEM_RE.match(p.name)
    if m:
        return f"an ap_memory port, but {m.group(1)}_address0 does not exist"
    m = _HANDSHAKE_RE.match(p.name)
    if m:
        return f"a {m.group(2)} handshake, but there is no data port {m.group(1)}"
    return ""
