"""AXI-Stream agent built on cocotbext-axi (source, sink, TLAST-checking monitor)."""
from llama_dv.tb.agents.axis.agent import AxisAgent
from llama_dv.tb.agents.axis.config import AxisConfig
from llama_dv.tb.agents.axis.item import AxisPacket
from llama_dv.tb.agents.axis.monitor import AxisMonitor
from llama_dv.tb.agents.axis.sequences import AxisPacketSeq
from llama_dv.tb.agents.axis.sink import AxisSinkDriver
from llama_dv.tb.agents.axis.source import AxisSourceDriver, words_to_bytes

__all__ = ["AxisAgent", "AxisConfig", "AxisMonitor", "AxisPacket", "AxisPacketSeq", "AxisSinkDriver",
           "AxisSourceDriver", "words_to_bytes"]
