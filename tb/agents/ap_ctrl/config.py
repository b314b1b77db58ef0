"""ap_ctrl agent configuration."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from llama_dv.tb.agents.binding import AgentBinding

IDLE_GRACE_CYCLES = 4
"""Cycles a block with no call in flight (and ap_start low) may take to raise ap_idle:
Vitis raises it a cycle or so after ap_done (or ap_continue) once its FSM is back in
its first state, and after reset once the reset state is left."""


@dataclass(kw_only=True)
class ApCtrlConfig(AgentBinding):
    """`protocol` is 'ap_ctrl_hs' or 'ap_ctrl_chain' on ports `<prefix>_start/_done/...`;
    timeouts and the ap_idle grace are in clock cycles. With `reset`, the monitor
    suspends its checks while the DUT is held in reset."""

    CONFIG_KEY: ClassVar[str] = "ap_ctrl_cfg"

    protocol: str = "ap_ctrl_hs"
    prefix: str = "ap"
    period_ns: float = 10.0
    ready_timeout_cycles: int = 200_000
    done_timeout_cycles: int = 200_000
    check_protocol: bool = True
    idle_grace_cycles: int = IDLE_GRACE_CYCLES

    def __post_init__(self) -> None:
        if self.protocol not in ("ap_ctrl_hs", "ap_ctrl_chain"):
            raise ValueError(f"ap_ctrl agent supports ap_ctrl_hs and ap_ctrl_chain, not {self.protocol!r}")
        if self.idle_grace_cycles < 1:
            raise ValueError(f"idle_grace_cycles must be >= 1, got {self.idle_grace_cycles}")

    @property
    def chain(self) -> bool:
        return self.protocol == "ap_ctrl_chain"
