"""Protocol assertions raised by monitors."""
from __future__ import annotations

from collections.abc import Sequence


class ProtocolError(AssertionError):
    """A DUT broke an interface rule (ap_ctrl handshake, AXI-Stream TLAST, ...)."""


def check_no_violations(where: str, violations: Sequence[str], kind: str) -> None:
    """A monitor's check phase: the count of the rules broken over the run, and the first."""
    if violations:
        raise ProtocolError(f"{where}: {len(violations)} {kind} violations, first: {violations[0]}")

