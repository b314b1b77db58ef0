"""Configuration of the s_axilite control agent (one per `s_axi_<bundle>` port)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from llama_dv.tb.agents.binding import AgentBinding
from llama_dv.tb.agents.s_axilite.regmap import ISR_MODES, RegisterMap


@dataclass(kw_only=True)
class SAxiLiteConfig(AgentBinding):
    """What the control agent needs: pins, the register map and how long to wait.

    `interrupt` may be None for kernels exported without an interrupt pin; the
    interrupt completion mode and the interrupt-pin check are then unavailable.
    `isr_mode` overrides how ISR is cleared ("cor" clear-on-read, "tow"
    toggle-on-write); None takes the register map's (from the header comment).
    `verbose` lets cocotbext-axi log every register access at INFO.
    """

    CONFIG_KEY: ClassVar[str] = "s_axilite_cfg"

    regmap: RegisterMap
    period_ns: float
    prefix: str = "s_axi_control"
    interrupt: Any = None
    poll_interval_cycles: int = 16
    done_timeout_cycles: int = 200_000
    kernel: str = "kernel"
    check_registers: bool = True
    interrupt_settle_cycles: int = 2
    isr_mode: str | None = None
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.isr_mode is not None and self.isr_mode not in ISR_MODES:
            raise ValueError(f"{self.kernel}: isr_mode must be one of {ISR_MODES} or None, got {self.isr_mode!r}")

    @property
    def isr_clear_on_read(self) -> bool:
        """True when reading ISR clears it (COR), False when a write toggles it (TOW)."""
        return (self.isr_mode or self.regmap.isr_mode) == "cor"
