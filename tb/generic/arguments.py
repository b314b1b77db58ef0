"""A DUT's call signature, derived from its description: which arguments go in, which
come out, and what carries each (ap_memory, axis, a scalar port, a control register,
a buffer behind an m_axi bundle).

Nothing here touches a simulator, so `llama-dv run` can report a bad ARGS entry or a
missing register map before anything is built.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from llama_dv.tb.agents.s_axilite.regmap import RegisterMap, parse_hw_header
from llama_dv.tb.dut_description import DutDescription, InterfaceSpec
from llama_dv.tb.generic.args import Array, ArgSpec, LengthOf, Output, Scalar


class SignatureError(ValueError):
    """ARGS and the description disagree; the message names the argument."""


@dataclass(frozen=True)
class Argument:
    """One argument of a call.

    `carrier` is how its value reaches the DUT: 'ap_memory', 'axis', 'port' (a scalar
    port), 'register' (an s_axilite argument register) or 'm_axi' (a buffer whose
    address goes through `address_via`, a port or register of the same name).
    """

    name: str
    direction: str  # 'in' | 'out' | 'inout'
    shape: str      # 'array' | 'scalar'
    carrier: str
    bits: int
    signed: bool
    spec: ArgSpec | None = None
    depth: int | None = None
    bundle: str | None = None
    address_via: str | None = None
    iface: InterfaceSpec | None = None

    @property
    def is_input(self) -> bool:
        return self.direction in ("in", "inout")

    @property
    def is_output(self) -> bool:
        return self.direction in ("out", "inout")


def register_map_of(desc: DutDescription, iface: InterfaceSpec) -> RegisterMap:
    """The parsed `x<top>_hw.h` of an s_axilite interface (YAML `register_map`, else next to the YAML)."""
    path = iface.register_map
    if path is None:
        base = desc.path.parent if desc.path else Path(".")
        suffix = "" if iface.name == "control" else f"_{iface.name}"
        path = base / f"x{desc.toplevel}{suffix}_hw.h"
    return parse_hw_header(path, top=desc.toplevel, bundle=iface.name)


def _element(spec: ArgSpec | None, bits: int, signed: bool) -> tuple[int, bool]:
    if isinstance(spec, (Array, Output)):
        return spec.bits or bits, signed if spec.signed is None else spec.signed
    if isinstance(spec, Scalar) and spec.signed is not None:
        return bits, spec.signed
    return bits, signed


def signature(desc: DutDescription, specs: Mapping[str, ArgSpec] | None = None) -> list[Argument]:
    """Every argument of `desc`, with the user's ARGS entry attached where there is one."""
    specs = dict(specs or {})
    bundles = {i.name: i for i in desc.interfaces_of("m_axi")}
    args: list[Argument] = []

    def pointer(name: str, spec: ArgSpec, via: str) -> Argument:
        assert isinstance(spec, (Array, Output))
        if spec.bundle not in bundles:
            raise SignatureError(f"ARGS[{name!r}]: bundle {spec.bundle!r} is not an m_axi interface of "
                                 f"{desc.name} (has: {', '.join(bundles) or 'none'})")
        bits, signed = _element(spec, bundles[spec.bundle].data_width, True)
        return Argument(name, "out" if isinstance(spec, Output) else "in", "array", "m_axi", bits, signed,
                        spec, bundle=spec.bundle, address_via=via)

    for iface in desc.interfaces:
        spec = specs.get(iface.name)
        if iface.kind == "ap_memory":
            bits, signed = _element(spec, iface.data_width, iface.signed)
            args.append(Argument(iface.name, iface.direction, "array", "ap_memory", bits, signed, spec,
                                 depth=iface.mem_depth, iface=iface))
        elif iface.kind == "axis":
            bits, signed = _element(spec, iface.data_width, iface.signed)
            args.append(Argument(iface.name, iface.direction, "array", "axis", bits, signed, spec, iface=iface))
        elif iface.kind == "scalar":
            if isinstance(spec, (Array, Output)) and spec.bundle:
                args.append(pointer(iface.name, spec, "port"))
            else:
                bits, signed = _element(spec, iface.width, iface.signed)
                args.append(Argument(iface.name, iface.direction, "scalar", "port", bits, signed, spec, iface=iface))
        elif iface.kind == "s_axilite":
            for reg in register_map_of(desc, iface).args:
                spec = specs.get(reg.name)
                if isinstance(spec, (Array, Output)) and spec.bundle:
                    args.append(pointer(reg.name, spec, "register"))
                else:
                    args.append(Argument(reg.name, "in", "scalar", "register", reg.bits, True, spec))
    names = [a.name for a in args]
    for name, spec in specs.items():
        if name not in names:
            raise SignatureError(f"ARGS[{name!r}]: {desc.name} has no argument of that name "
                                 f"(arguments: {', '.join(names) or 'none'})")
        arg = args[names.index(name)]
        if arg.is_output and not arg.is_input and not isinstance(spec, Output):
            raise SignatureError(f"ARGS[{name!r}]: {name} is an output of {desc.name}; its values come "
                                 "from the golden, so it takes no stimulus")
        if isinstance(spec, Array) and arg.shape != "array":
            raise SignatureError(f"ARGS[{name!r}]: Array given for scalar argument {name} "
                                 "(add bundle=... if it is a pointer into an m_axi memory)")
        if isinstance(spec, Scalar) and arg.shape != "scalar":
            raise SignatureError(f"ARGS[{name!r}]: Scalar given for array argument {name}")
    return args
