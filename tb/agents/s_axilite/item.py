"""Sequence item of the control agent: one kernel invocation through the register map."""
from __future__ import annotations

from dataclasses import dataclass, field

import pyuvm

COMPLETION_MODES = ("poll", "interrupt")


@dataclass
class CallResult:
    """What the driver observed while running one call (filled in by the driver)."""

    start_ns: float = 0.0
    done_ns: float = 0.0
    polls: int = 0
    completions: int = 0
    ctrl_at_done: int = 0
    isr_at_done: int = 0


class ControlItem(pyuvm.uvm_sequence_item):
    """Write arguments, set ap_start (and auto_restart), then wait for ap_done.

    `completion` is "poll" (read AP_CTRL until ap_done) or "interrupt" (GIE/IER on,
    wait for the interrupt pin, then read and clear ISR). With `auto_restart_runs`
    > 0 the kernel is started with auto_restart set, that many completions are
    awaited, auto_restart is cleared and the last run is drained. `wait_done=False`
    only starts the kernel (used to reset it mid-operation). `readback` reads every
    argument word back after writing it, and AP_CTRL, GIE, IER and ISR before ap_start,
    for the monitor's read-back and reserved-bit checks.
    """

    def __init__(self, name: str = "control_item", args: dict[str, int] | None = None,
                 completion: str = "poll", auto_restart_runs: int = 0, wait_done: bool = True,
                 readback: bool = False) -> None:
        super().__init__(name)
        if completion not in COMPLETION_MODES:
            raise ValueError(f"completion must be one of {COMPLETION_MODES}, got {completion!r}")
        self.args: dict[str, int] = dict(args or {})
        self.completion = completion
        self.auto_restart_runs = auto_restart_runs
        self.wait_done = wait_done
        self.readback = readback
        self.result = CallResult()

    def __str__(self) -> str:
        args = ", ".join(f"{k}=0x{v & 0xFFFFFFFFFFFFFFFF:x}" for k, v in self.args.items())
        return (f"{self.get_name()}({args}; {self.completion}"
                f"{f', auto_restart x{self.auto_restart_runs}' if self.auto_restart_runs else ''})")


@dataclass
class RegisterAccess:
    """One AXI4-Lite access seen by the monitor (published for coverage and debug)."""

    kind: str  # "read" | "write"
    offset: int
    data: int
    strb: int = 0xF
    resp: int = 0
    time_ns: float = 0.0
    register: str = field(default="")
