"""DUT descriptions: what the testbench knows about a DUT's pins, read from YAML.

Everything an env needs to drive a kernel (clock, reset polarity, block protocol, the
data interfaces and their port-name prefixes) comes from `rtl/hls/<kernel>.yaml` or a
user's own file of the same schema, so the same agents verify any Vitis-style export.
Loading needs no simulator; the ports a description implies, and binding them to a
simulator handle, are in `llama_dv.tb.dut_ports`.
"""
from __future__ import annotations

import functools
import glob
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import jsonschema

from llama_dv.tb.common.lookup import by_name
from llama_dv.tb.common.yaml_file import read_yaml

DEFAULT_HANDSHAKE_TIMEOUT_CYCLES = 1_000_000
"""Cycle budget for ap_ready / ap_done when the description sets none (a real call can
take a few hundred thousand cycles; a hang is still caught within seconds of simulation)."""

SCHEMA_PATH = Path(__file__).with_name("dut.schema.json")
"""The description's JSON schema: keys, types, ranges and which keys each interface kind takes."""


class DutDescriptionError(ValueError):
    """A DUT description file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class ClockSpec:
    port: str
    period_ns: float


@dataclass(frozen=True)
class ResetSpec:
    port: str
    active: str  # 'high' | 'low', as the YAML says it

    @property
    def active_high(self) -> bool:
        """The polarity as the agents' configs take it (`reset_active_high`)."""
        return self.active == "high"

    @property
    def asserted(self) -> int:
        """Level that holds the DUT in reset."""
        return 1 if self.active_high else 0

    @property
    def deasserted(self) -> int:
        return 1 - self.asserted


@dataclass(frozen=True)
class TestVariant:
    """One entry of the YAML's `tests:`: a stock test (`base`) under the DUT's own name, with
    the knobs it changes (flow, calls, bursts, ...; tb/dut.schema.json lists them)."""

    __test__ = False  # not a pytest class

    name: str
    base: str
    doc: str = ""
    knobs: Mapping[str, Any] = field(default_factory=dict)


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
    tests: tuple[TestVariant, ...] = ()

    def build_args_for(self, sim: str) -> list[str]:
        """Extra build arguments of simulator `sim` (e.g. Verilator's lint waivers for an export)."""
        return list(self.build_args.get(sim, ()))

    def interface(self, name: str) -> InterfaceSpec:
        return by_name(self.interfaces, name, f"{self.where}: no interface named {name!r}")

    def interfaces_of(self, kind: str) -> tuple[InterfaceSpec, ...]:
        return tuple(i for i in self.interfaces if i.kind == kind)

    @property
    def where(self) -> str:
        return str(self.path) if self.path else f"<description of {self.name}>"

    @property
    def has_continue(self) -> bool:
        return self.block_protocol == "ap_ctrl_chain"


def _fail(where: str, key: str, why: str) -> DutDescriptionError:
    return DutDescriptionError(f"{where}: key '{key}': {why}")


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def _key(raw: Any, path: Iterable[Any]) -> str:
    """`interfaces[5] (hbm).w_after_aw`: the path of a value, an interface named by its name."""
    out, node = "", raw
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(part, int) and isinstance(node, Mapping) and isinstance(node.get("name"), str):
            out += f" ({node['name']})"
    return out


def _why(err: jsonschema.ValidationError) -> tuple[list[Any], str]:
    """(path of the offending key, the reason in the words a user of the YAML expects)."""
    path, value, rule = list(err.absolute_path), err.instance, err.validator_value
    if err.validator == "required":
        missing = [k for k in rule if k not in value]
        return path + missing[:1], "missing"
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(str(k) for k in value if k not in err.schema.get("properties", {}))
        return path + extra[:1], f"unknown key (allowed: {', '.join(allowed)})" if allowed else "unknown key"
    if err.validator == "type":
        want = rule if isinstance(rule, str) else rule[0]
        words = {"boolean": "true/false", "integer": "an integer", "number": "a number", "string": "a string",
                 "array": "a list", "object": "a mapping"}
        return path, f"expected {words.get(want, want)}, got {value!r}"
    if err.validator == "enum":
        return path, f"{value!r} is not one of {', '.join(map(str, rule))}"
    if err.validator == "minimum":
        return path, f"must be >= {rule}, got {value}"
    if err.validator == "exclusiveMinimum":
        return path, f"expected a positive number, got {value!r}"
    if err.validator in ("minLength", "minItems"):
        return path, f"must not be empty, got {value!r}"
    return path, err.message


def _check_schema(raw: Any, where: str) -> None:
    """Fail on the first schema violation (in document order), naming the file and key."""
    errors = sorted(_validator().iter_errors(raw), key=lambda e: (len(e.absolute_path) == 0, list(map(str, e.absolute_path))))
    if not errors:
        return
    err = errors[0]
    while err.context:  # an if/then failure: its most specific inner error
        err = sorted(err.context, key=lambda e: len(e.absolute_path))[-1]
    path, why = _why(err)
    if not path:
        raise DutDescriptionError(f"{where}: {why}")
    raise _fail(where, _key(raw, path), why)


def _interface(raw: Mapping[str, Any], base: Path) -> InterfaceSpec:
    """An interface entry the schema accepted, with the defaults of its kind."""
    kw: dict[str, Any] = {k: v for k, v in raw.items() if k != "register_map"}
    if raw["kind"] == "scalar" and "data_width" not in raw:
        kw["data_width"] = raw.get("width", 32)
    if "register_map" in raw:
        kw["register_map"] = (base / raw["register_map"]).resolve()
    return InterfaceSpec(**kw)


def _files(raw: list[str] | None, where: str, key: str, base: Path) -> tuple[Path, ...]:
    """Expand the file names or globs (relative to `base`); a pattern matching nothing fails."""
    if raw is None:
        return ()
    out: list[Path] = []
    for i, item in enumerate(raw):
        pattern = str(item)
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


def parse_description(raw: Any, where: str, base: Path, path: Path | None = None) -> DutDescription:
    """Validate an already-loaded YAML mapping (tb/dut.schema.json, then what a schema
    cannot say: globs that match, unique names); `base` resolves relative source paths."""
    if not isinstance(raw, Mapping):
        raise DutDescriptionError(f"{where}: expected a mapping at the top level, got {type(raw).__name__}")
    _check_schema(raw, where)
    sources = _files(raw["sources"], where, "sources", base)
    data_files = _files(raw.get("data_files"), where, "data_files", base)
    faults: dict[int, str] = {}
    for k, v in (raw.get("faults") or {}).items():
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise _fail(where, f"faults.{k}", f"expected a fault number >= 1, got {k!r}")
        faults[k] = v
    ifaces = tuple(_interface(r, base) for r in raw.get("interfaces") or [])
    names = [i.name for i in ifaces]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise _fail(where, "interfaces", f"duplicate interface name {sorted(dup)[0]!r}")
    interrupt = raw.get("interrupt")
    if interrupt is not None and not any(i.kind == "s_axilite" for i in ifaces):
        raise _fail(where, "interrupt", "an interrupt pin needs an s_axilite control interface")
    clock = raw["clock"]
    return DutDescription(
        name=raw["name"], toplevel=raw.get("toplevel", raw["name"]), sources=sources,
        clock=ClockSpec(clock["port"], float(clock.get("period_ns", 10))),
        reset=ResetSpec(raw["reset"]["port"], raw["reset"]["active"]), block_protocol=raw["block_protocol"],
        parameters=dict(raw.get("parameters") or {}), faults=faults, golden=raw.get("golden"), interfaces=ifaces,
        path=path, defines=dict(raw.get("defines") or {}), data_files=data_files,
        build_args={sim: tuple(args) for sim, args in (raw.get("build_args") or {}).items()},
        handshake_timeout_cycles=raw.get("handshake_timeout_cycles", DEFAULT_HANDSHAKE_TIMEOUT_CYCLES),
        interrupt=interrupt,
        tests=tuple(TestVariant(name, v["base"], v.get("doc", ""), {k: x for k, x in v.items() if k not in ("base", "doc")})
                    for name, v in (raw.get("tests") or {}).items()))


def load_description(path: str | Path) -> DutDescription:
    """Read and validate a DUT description YAML."""
    path = Path(path).resolve()
    return parse_description(read_yaml(path, DutDescriptionError), str(path), path.parent, path)
