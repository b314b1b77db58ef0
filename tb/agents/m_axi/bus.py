"""cocotbext-axi bus objects for a Vitis `m_axi_<bundle>` port.

Vitis exports AWLOCK/ARLOCK two bits wide (the AXI3 encoding); cocotbext-axi's AXI4
channels insist on one bit. Lock is never used by HLS kernels, so those two optional
signals are left out of the bus the models see.
"""
from __future__ import annotations

from typing import Any

from cocotbext.axi import AxiBus

_AXI3_WIDE = {"aw": "awlock", "ar": "arlock"}


def _strip(channel_bus: Any, name: str) -> None:
    if hasattr(channel_bus, name) and len(getattr(channel_bus, name)) != 1:
        delattr(channel_bus, name)
        channel_bus._signals.pop(name, None)


def vitis_axi_bus(dut: Any, prefix: str) -> AxiBus:
    """AxiBus of `<prefix>_*` ports, minus a 2-bit AWLOCK/ARLOCK."""
    bus = AxiBus.from_prefix(dut, prefix)
    _strip(bus.write.aw, "awlock")
    _strip(bus.read.ar, "arlock")
    return bus
