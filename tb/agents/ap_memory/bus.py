"""ap_memory port bundle (`<name>_address<p>/_ce<p>/_we<p>/_d<p>/_q<p>`) by prefix."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llama_dv.tb.dut_ports import find_port


@dataclass
class ApMemoryPort:
    index: int
    address: Any
    ce: Any
    we: Any | None
    d: Any | None
    q: Any | None


@dataclass
class ApMemoryBus:
    name: str
    ports: list[ApMemoryPort]

    @classmethod
    def from_prefix(cls, dut: Any, prefix: str, *, ports: int = 1, readable: bool = True,
                    writable: bool = False) -> "ApMemoryBus":
        owner = f"ap_memory agent '{prefix}'"
        out = []
        for p in range(ports):
            out.append(ApMemoryPort(
                index=p,
                address=find_port(dut, f"{prefix}_address{p}", owner=owner),
                ce=find_port(dut, f"{prefix}_ce{p}", owner=owner),
                we=find_port(dut, f"{prefix}_we{p}", owner=owner) if writable else None,
                d=find_port(dut, f"{prefix}_d{p}", owner=owner) if writable else None,
                q=find_port(dut, f"{prefix}_q{p}", owner=owner) if readable else None))
        return cls(prefix, out)
