"""A DUT description written the way rtl/hls/*.yaml are: one flow mapping per line, comments kept.

PyYAML cannot place comments, and a generated file is read and edited by people, so the
text is assembled here; every scalar goes through PyYAML so quoting is always valid.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import yaml


def scalar(value: Any) -> str:
    """`value` as a YAML flow scalar (quoted only when it must be)."""
    text = yaml.safe_dump([value], default_flow_style=True, width=10_000).strip()
    return text[1:-1]


def flow(value: Any) -> str:
    """A flow-style YAML node: mappings as {k: v}, sequences as [a, b]."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _comment_block(lines: Sequence[str]) -> list[str]:
    return [f"# {line}".rstrip() for line in lines]


def render(data: Mapping[str, Any], *, header: Sequence[str], trailing: Mapping[str, str]) -> str:
    """YAML text of `data` (top-level keys in order) with `header` comment lines on top.

    `interfaces` become one aligned flow mapping per line; `trailing` maps an interface
    name to a comment put after its line. `build_args` is written as a block mapping.
    """
    out = _comment_block(header)
    for key, value in data.items():
        if key == "interfaces":
            out.append("interfaces:")
            width = max((len(scalar(i["name"])) for i in value), default=0)
            lines = []
            for iface in value:
                name = scalar(iface["name"])
                rest = ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in iface.items() if k != "name")
                lines.append(f"  - {{name: {name},{' ' * (width - len(name))} {rest}}}")
            column = max((len(ln) for ln, i in zip(lines, value) if i["name"] in trailing), default=0)
            for line, iface in zip(lines, value):
                if iface["name"] in trailing:
                    line = f"{line.ljust(column)}  # {trailing[iface['name']]}"
                out.append(line)
        elif key == "build_args":
            out.append("build_args:")
            out += [f"  {scalar(sim)}: {flow(args)}" for sim, args in value.items()]
        else:
            out.append(f"{scalar(key)}: {flow(value)}")
    return "\n".join(out) + "\n"
