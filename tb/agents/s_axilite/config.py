"""Configuration of the s_axilite control agent (one per `s_axi_<bundle>` port)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tb.agents.s_axilite.regmap import RegisterMap


@dataclass
class SAxiLiteConfig:
    """What the control agent needs: pins, the register map and how long to wait.

    `interrupt` may be None for kernels exported without an interrupt pin; the
    interrupt completion mode and the interrupt-pin check are then unavailable.
    """

    dut: Any
    clock: Any
    reset: Any
    reset_active_level: bool
    regmap: RegisterMap
    period_ns: float
    prefix: str = "s_axi_control"
    interrupt: Any = None
    poll_interval_cycles: int = 16
    done_timeout_cycles: int = 200_000
    kernel: str = "kernel"
    check_registers: bool = True
    interrupt_settle_cycles: int = 2
