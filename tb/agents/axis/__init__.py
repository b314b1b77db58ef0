"""AXI-Stream agent built on cocotbext-axi (source, sink, TLAST-checking monitor)."""
from tb.agents.axis.agent import AxisAgent
from tb.agents.axis.config import AxisConfig
from tb.agents.axis.item import AxisPacket
from tb.agents.axis.monitor import AxisMonitor
from tb.agents.axis.sequences import AxisPacketSeq
from tb.agents.axis.sink import AxisSinkDriver
from tb.agents.axis.source import AxisSourceDriver, words_to_bytes

__all__ = ["AxisAgent", "AxisConfig", "AxisMonitor", "AxisPacket", "AxisPacketSeq", "AxisSinkDriver",
           "AxisSourceDriver", "words_to_bytes"]
