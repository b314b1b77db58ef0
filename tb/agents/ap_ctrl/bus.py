"""ap_ctrl port bundle resolved by name prefix."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tb.dut_ports import find_port


@dataclass
class ApCtrlBus:
    clk: Any
    start: Any
    done: Any
    idle: Any
    ready: Any
    cont: Any | None
    rst: Any | None = None
    rst_asserted: int = 1

    @classmethod
    def from_prefix(cls, dut: Any, clk: Any, prefix: str = "ap", *, chain: bool = False,
                    rst: Any | None = None, rst_asserted: int = 1) -> "ApCtrlBus":
        """`<prefix>_start/_done/_idle/_ready` (+ `_continue` for ap_ctrl_chain).

        With `rst`, the monitor suspends its checks while reset is at `rst_asserted`.
        """
        owner = "ap_ctrl agent"
        return cls(clk=clk,
                   start=find_port(dut, f"{prefix}_start", owner=owner),
                   done=find_port(dut, f"{prefix}_done", owner=owner),
                   idle=find_port(dut, f"{prefix}_idle", owner=owner),
                   ready=find_port(dut, f"{prefix}_ready", owner=owner),
                   cont=find_port(dut, f"{prefix}_continue", owner=owner + " (ap_ctrl_chain)") if chain else None,
                   rst=rst, rst_asserted=rst_asserted)
