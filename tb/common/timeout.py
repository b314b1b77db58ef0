"""Bounded waits: a DUT that never answers fails in bounded time with a clear message.

Each wait names the signal it waited on and the cycle budget, so a hang reads as
"ap_done not seen within 20000 cycles" instead of a simulator that never ends.
"""
from __future__ import annotations

from typing import Any, Awaitable, TypeVar

from cocotb.triggers import SimTimeoutError, ValueChange, with_timeout

T = TypeVar("T")


class DutTimeout(AssertionError):
    """The DUT did not respond within the cycle budget."""


def level(signal: Any) -> int | None:
    """Integer value of a signal, or None while it holds X/Z."""
    try:
        return int(signal.value)
    except ValueError:
        return None


async def within(awaitable: Awaitable[T], *, cycles: int, period_ns: float, what: str) -> T:
    """Await `awaitable`, failing with DutTimeout if it takes longer than `cycles` clocks."""
    try:
        return await with_timeout(awaitable, cycles * period_ns, "ns", round_mode="round")
    except SimTimeoutError:
        raise DutTimeout(f"timeout: {what} not seen within {cycles} cycles "
                         f"({cycles * period_ns:g} ns)") from None


async def wait_level(signal: Any, value: int, *, cycles: int, period_ns: float, what: str | None = None) -> None:
    """Wait (event-driven, no per-cycle Python) until `signal` == `value`."""

    async def _until() -> None:
        while level(signal) != value:
            await ValueChange(signal)

    if level(signal) == value:
        return
    name = what or f"{signal._name}={value}"
    await within(_until(), cycles=cycles, period_ns=period_ns, what=name)
