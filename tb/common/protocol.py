"""Protocol assertions raised by monitors."""
from __future__ import annotations


class ProtocolError(AssertionError):
    """A DUT broke an interface rule (ap_ctrl handshake, AXI-Stream TLAST, ...)."""
