"""DUT descriptions: what the testbench knows about a DUT's pins, read from YAML.

Everything an env needs to drive a kernel (clock, reset polarity, block protocol, the
data interfaces and their port-name prefixes) comes from `rtl/hls/<kernel>.yaml` or a
user's own file of the same schema, so the same agents verify any Vitis-style export.
Loading needs no simulator; `bind`, `start_clock` and `reset` run inside cocotb.
"""
from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

BLOCK_PROTOCOLS = ("ap_ctrl_hs", "ap_ctrl_chain", "s_axilite", "ap_ctrl_none")
INTERFACE_KINDS = ("ap_memory", "scalar", "axis", "m_axi", "s_axilite")
DIRECTIONS = ("in", "out", "inout")

SCALAR_PROTOCOLS = ("ap_none", "ap_vld", "ap_ack", "ap_hs")
ISR_MODES = ("cor", "tow")
DEFAULT_HANDSHAKE_TIMEOUT_CYCLES = 1_000_000
"""Cycle budget for ap_ready / ap_done when the description sets none (a real call can
take a few hundred thousand cycles; a hang is still caught within seconds of simulation)."""

_TOP_KEYS = {"name", "toplevel", "sources", "clock", "reset", "block_protocol", "parameters",
             "faults", "golden", "interfaces", "defines", "description", "data_files", "build_args",
             "handshake_timeout_cycles", "interrupt"}
_IFACE_KEYS = {
    "ap_memory": {"name", "kind", "ports", "addr_width", "data_width", "direction", "depth", "signed", "latency"},
    "scalar": {"name", "kind", "width", "direction", "signed", "protocol"},
    "axis": {"name", "kind", "data_width", "direction", "tlast", "tkeep", "tstrb", "tuser", "user_width",
             "tid", "tdest"},
    "m_axi": {"name", "kind", "data_width", "addr_width", "id_width", "user_width", "w_after_aw"},
    "s_axilite": {"name", "kind", "addr_width", "data_width", "register_map", "isr"},
}


class DutDescriptionError(ValueError):
    """A DUT description file is malformed; the message names the file and the key."""


class PortNotFoundError(AttributeError):
    """The DUT has no port of the name the description or an agent expects."""


@dataclass(frozen=True)
class ClockSpec:
    port: str
    period_ns: float


@dataclass(frozen=True)
class ResetSpec:
    port: str
    active: str  # 'high' | 'low'

    @property
    def asserted(self) -> int:
        """Level that holds the DUT in reset."""
        return 1 if self.active == "high" else 0

    @property
    def deasserted(self) -> int:
        return 1 - self.asserted


@dataclass(frozen=True)
class InterfaceSpec:
    """One data interface; only the fields that make sense for `kind` are meaningful."""

    name: str
    kind: str
    direction: str = "in"
    data_width: int = 32
    addr_width: int = 0
    ports: int = 1
    width: int = 32
    signed: bool = True
    depth: int | None = None
    latency: int = 1  # ap_memory read latency (Vitis `latency=` pragma / BRAM = 1)
    tlast: bool = True
    tkeep: bool = False
    tstrb: bool = False
    tuser: bool = False
    tid: bool = False
    tdest: bool = False
    id_width: int = 1
    user_width: int = 1
    register_map: Path | None = None
    protocol: str = "ap_none"  # scalar I/O protocol (UG1399): ap_none | ap_vld | ap_ack | ap_hs
    isr: str | None = None     # s_axilite ISR semantics: 'cor' | 'tow'; None = as the header says
    w_after_aw: bool = True    # m_axi: no W beat before its AW (as Vitis m_axi adapters); false: AXI4's looser rule

    @property
    def prefix(self) -> str:
        """Port-name prefix a Vitis export uses for this interface."""
        if self.kind == "m_axi":
            return f"m_axi_{self.name}"
        if self.kind == "s_axilite":
            return f"s_axi_{self.name}"
        return self.name

    @property
    def mem_depth(self) -> int:
        """Words an ap_memory holds (explicit `depth`, else 2**addr_width)."""
        return self.depth if self.depth is not None else 1 << self.addr_width


@dataclass(frozen=True)
class DutDescription:
    """Typed content of one DUT description YAML (see docs/tb-architecture.md)."""

    name: str
    toplevel: str
    sources: tuple[Path, ...]
    clock: ClockSpec
    reset: ResetSpec
    block_protocol: str
    parameters: Mapping[str, int]
    faults: Mapping[int, str]
    golden: str | None
    interfaces: tuple[InterfaceSpec, ...]
    path: Path | None = None
    defines: Mapping[str, Any] = field(default_factory=dict)
    data_files: tuple[Path, ...] = ()
    build_args: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    handshake_timeout_cycles: int = DEFAULT_HANDSHAKE_TIMEOUT_CYCLES
    interrupt: str | None = None

    def build_args_for(self, sim: str) -> list[str]:
        """Extra build arguments of simulator `sim` (e.g. Verilator's lint waivers for an export)."""
        return list(self.build_args.get(sim, ()))

    def interface(self, name: str) -> InterfaceSpec:
        for iface in self.interfaces:
            if iface.name == name:
                return iface
        known = ", ".join(i.name for i in self.interfaces)
        raise KeyError(f"{self.where}: no interface named {name!r} (has: {known})")

    def interfaces_of(self, kind: str) -> tuple[InterfaceSpec, ...]:
        return tuple(i for i in self.interfaces if i.kind == kind)

    @property
    def where(self) -> str:
        return str(self.path) if self.path else f"<description of {self.name}>"

    @property
    def has_continue(self) -> bool:
        return self.block_protocol == "ap_ctrl_chain"


# --- loading -------------------------------------------------------------------------

def _fail(where: str, key: str, why: str) -> DutDescriptionError:
    return DutDescriptionError(f"{where}: key '{key}': {why}")


def _need(d: Mapping[str, Any], key: str, where: str, ctx: str = "") -> Any:
    if key not in d:
        raise _fail(where, f"{ctx}{key}", "missing")
    return d[key]


def _int(v: Any, where: str, key: str, lo: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _fail(where, key, f"expected an integer, got {v!r}")
    if lo is not None and v < lo:
        raise _fail(where, key, f"must be >= {lo}, got {v}")
    return v


def _str(v: Any, where: str, key: str) -> str:
    if not isinstance(v, str) or not v:
        raise _fail(where, key, f"expected a non-empty string, got {v!r}")
    return v


def _check_keys(d: Mapping[str, Any], allowed: set[str], where: str, ctx: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise _fail(where, f"{ctx}{extra[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _interface(raw: Any, idx: int, where: str, base: Path) -> InterfaceSpec:
    ctx = f"interfaces[{idx}]."
    if not isinstance(raw, Mapping):
        raise _fail(where, f"interfaces[{idx}]", f"expected a mapping, got {raw!r}")
    name = _str(_need(raw, "name", where, ctx), where, ctx + "name")
    ctx = f"interfaces[{idx}] ({name})."
    kind = _need(raw, "kind", where, ctx)
    if kind not in INTERFACE_KINDS:
        raise _fail(where, ctx + "kind", f"{kind!r} is not one of {', '.join(INTERFACE_KINDS)}")
    _check_keys(raw, _IFACE_KEYS[kind], where, ctx)
    kw: dict[str, Any] = {"name": name, "kind": kind}
    for key in ("data_width", "addr_width", "ports", "width", "id_width", "user_width", "depth", "latency"):
        if key in raw:
            kw[key] = _int(raw[key], where, ctx + key, lo=1 if key != "addr_width" else 0)
    for key in ("tlast", "tkeep", "tstrb", "tuser", "tid", "tdest", "signed", "w_after_aw"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise _fail(where, ctx + key, f"expected true/false, got {raw[key]!r}")
            kw[key] = raw[key]
    if "direction" in raw:
        if raw["direction"] not in DIRECTIONS:
            raise _fail(where, ctx + "direction", f"{raw['direction']!r} is not one of {', '.join(DIRECTIONS)}")
        kw["direction"] = raw["direction"]
    if kind == "ap_memory":
        _need(raw, "addr_width", where, ctx)
        _need(raw, "data_width", where, ctx)
        if kw.get("ports", 1) not in (1, 2):
            raise _fail(where, ctx + "ports", f"ap_memory has 1 or 2 ports, got {kw['ports']}")
    if kind == "axis":
        _need(raw, "direction", where, ctx)
        if kw["direction"] == "inout":
            raise _fail(where, ctx + "direction", "an axis stream is 'in' or 'out'")
    if kind == "scalar" and "data_width" not in raw:
        kw["data_width"] = kw.get("width", 32)
    if kind == "scalar" and "protocol" in raw:
        if raw["protocol"] not in SCALAR_PROTOCOLS:
            raise _fail(where, ctx + "protocol", f"{raw['protocol']!r} is not one of {', '.join(SCALAR_PROTOCOLS)}")
        kw["protocol"] = raw["protocol"]
    if kind == "s_axilite" and "register_map" in raw:
        kw["register_map"] = (base / _str(raw["register_map"], where, ctx + "register_map")).resolve()
    if kind == "s_axilite" and "isr" in raw:
        if raw["isr"] not in ISR_MODES:
            raise _fail(where, ctx + "isr", f"{raw['isr']!r} is not one of {', '.join(ISR_MODES)} "
                        "(clear-on-read / toggle-on-write)")
        kw["isr"] = raw["isr"]
    return InterfaceSpec(**kw)


def _files(raw: Any, where: str, key: str, base: Path, *, required: bool) -> tuple[Path, ...]:
    """Expand a list of file names or globs relative to `base`; a pattern matching nothing fails."""
    if raw is None and not required:
        return ()
    if not isinstance(raw, list) or (required and not raw):
        raise _fail(where, key, "expected a non-empty list of files or globs" if required
                    else "expected a list of files or globs")
    out: list[Path] = []
    for i, item in enumerate(raw):
        pattern = _str(item, where, f"{key}[{i}]")
        if any(c in pattern for c in "*?["):
            matches = sorted(Path(p).resolve() for p in glob.glob(str(base / pattern)) if Path(p).is_file())
            if not matches:
                raise _fail(where, f"{key}[{i}]", f"glob {pattern!r} matches no file under {base}")
            out.extend(m for m in matches if m not in out)
        else:
            path = (base / pattern).resolve()
            if path not in out:
                out.append(path)
    return tuple(out)


def _build_args(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(where, "build_args", f"expected a mapping of simulator to a list of arguments, got {raw!r}")
    out = {}
    for sim, args in raw.items():
        if sim not in ("verilator", "icarus"):
            raise _fail(where, f"build_args.{sim}", "unknown simulator (allowed: icarus, verilator)")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise _fail(where, f"build_args.{sim}", f"expected a list of strings, got {args!r}")
        out[sim] = tuple(args)
    return out


def parse_description(raw: Any, where: str, base: Path, path: Path | None = None) -> DutDescription:
    """Validate an already-loaded YAML mapping; `base` resolves relative source paths."""
    if not isinstance(raw, Mapping):
        raise DutDescriptionError(f"{where}: expected a mapping at the top level, got {type(raw).__name__}")
    _check_keys(raw, _TOP_KEYS, where, "")
    name = _str(_need(raw, "name", where), where, "name")
    toplevel = _str(raw.get("toplevel", name), where, "toplevel")
    sources = _files(_need(raw, "sources", where), where, "sources", base, required=True)
    data_files = _files(raw.get("data_files"), where, "data_files", base, required=False)
    clk = _need(raw, "clock", where)
    if not isinstance(clk, Mapping):
        raise _fail(where, "clock", f"expected {{port, period_ns}}, got {clk!r}")
    _check_keys(clk, {"port", "period_ns"}, where, "clock.")
    period = clk.get("period_ns", 10)
    if isinstance(period, bool) or not isinstance(period, (int, float)) or period <= 0:
        raise _fail(where, "clock.period_ns", f"expected a positive number, got {period!r}")
    clock = ClockSpec(_str(_need(clk, "port", where, "clock."), where, "clock.port"), float(period))
    rst = _need(raw, "reset", where)
    if not isinstance(rst, Mapping):
        raise _fail(where, "reset", f"expected {{port, active}}, got {rst!r}")
    _check_keys(rst, {"port", "active"}, where, "reset.")
    active = _need(rst, "active", where, "reset.")
    if active not in ("high", "low"):
        raise _fail(where, "reset.active", f"expected 'high' or 'low', got {active!r}")
    reset = ResetSpec(_str(_need(rst, "port", where, "reset."), where, "reset.port"), active)
    proto = _need(raw, "block_protocol", where)
    if proto not in BLOCK_PROTOCOLS:
        raise _fail(where, "block_protocol", f"{proto!r} is not one of {', '.join(BLOCK_PROTOCOLS)}")
    params_raw = raw.get("parameters") or {}
    if not isinstance(params_raw, Mapping):
        raise _fail(where, "parameters", f"expected a mapping, got {params_raw!r}")
    params = {str(k): _int(v, where, f"parameters.{k}") for k, v in params_raw.items()}
    faults_raw = raw.get("faults") or {}
    if not isinstance(faults_raw, Mapping):
        raise _fail(where, "faults", f"expected a mapping of fault number to text, got {faults_raw!r}")
    faults = {_int(k, where, f"faults.{k}", lo=1): str(v) for k, v in faults_raw.items()}
    golden = raw.get("golden")
    if golden is not None:
        golden = _str(golden, where, "golden")
    ifaces_raw = raw.get("interfaces") or []
    if not isinstance(ifaces_raw, list):
        raise _fail(where, "interfaces", "expected a list")
    ifaces = tuple(_interface(r, i, where, base) for i, r in enumerate(ifaces_raw))
    names = [i.name for i in ifaces]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise _fail(where, "interfaces", f"duplicate interface name {sorted(dup)[0]!r}")
    defines = raw.get("defines") or {}
    if not isinstance(defines, Mapping):
        raise _fail(where, "defines", "expected a mapping")
    budget = raw.get("handshake_timeout_cycles", DEFAULT_HANDSHAKE_TIMEOUT_CYCLES)
    budget = _int(budget, where, "handshake_timeout_cycles", lo=1)
    interrupt = raw.get("interrupt")
    if interrupt is not None:
        interrupt = _str(interrupt, where, "interrupt")
        if not any(i.kind == "s_axilite" for i in ifaces):
            raise _fail(where, "interrupt", "an interrupt pin needs an s_axilite control interface")
    return DutDescription(name=name, toplevel=toplevel, sources=sources, clock=clock, reset=reset,
                          block_protocol=proto, parameters=params, faults=faults, golden=golden,
                          interfaces=ifaces, path=path, defines=dict(defines), data_files=data_files,
                          build_args=_build_args(raw.get("build_args"), where),
                          handshake_timeout_cycles=budget, interrupt=interrupt)


def load_description(path: str | Path) -> DutDescription:
    """Read and validate a DUT description YAML."""
    path = Path(path).resolve()
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise DutDescriptionError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise DutDescriptionError(f"{path}: not valid YAML: {exc}") from exc
    return parse_description(raw, str(path), path.parent, path)


# --- binding to a simulator handle ------------------------------------------------------

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


def find_prefixed(dut: Any, prefix: str, suffixes: Iterable[str], *, owner: str = "",
                  optional: Iterable[str] = ()) -> dict[str, Any]:
    """Resolve `<prefix>_<suffix>` for every suffix; optional ones map to None when absent."""
    opt = set(optional)
    out: dict[str, Any] = {}
    for suffix in list(suffixes) + [s for s in opt if s not in suffixes]:
        out[suffix] = find_port(dut, f"{prefix}_{suffix}", owner=owner, optional=suffix in opt)
    return out


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
