"""m_axi agent: simulated memory with latency/backpressure and an AXI4 rule monitor."""
from llama_dv.tb.agents.m_axi.agent import MAxiAgent
from llama_dv.tb.agents.m_axi.config import STALLED, TIMING_PROFILES, AxiTiming, MAxiConfig, Region
from llama_dv.tb.agents.m_axi.item import AxiBurst
from llama_dv.tb.agents.m_axi.memory import SlaveMemory
from llama_dv.tb.agents.m_axi.monitor import MAxiMonitor
from llama_dv.tb.agents.m_axi.pause import PauseSpecError, pause_generator

__all__ = ["STALLED", "AxiBurst", "AxiTiming", "MAxiAgent", "MAxiConfig", "MAxiMonitor", "PauseSpecError", "Region",
           "SlaveMemory", "TIMING_PROFILES", "pause_generator"]
