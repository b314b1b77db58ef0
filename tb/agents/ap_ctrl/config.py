"""ap_ctrl agent configuration."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ApCtrlConfig:
    """`protocol` is 'ap_ctrl_hs' or 'ap_ctrl_chain'; timeouts are in clock cycles."""

    protocol: str = "ap_ctrl_hs"
    period_ns: float = 10.0
    ready_timeout_cycles: int = 200_000
    done_timeout_cycles: int = 200_000
    check_protocol: bool = True

    def __post_init__(self) -> None:
        if self.protocol not in ("ap_ctrl_hs", "ap_ctrl_chain"):
            raise ValueError(f"ap_ctrl agent supports ap_ctrl_hs and ap_ctrl_chain, not {self.protocol!r}")

    @property
    def chain(self) -> bool:
        return self.protocol == "ap_ctrl_chain"
