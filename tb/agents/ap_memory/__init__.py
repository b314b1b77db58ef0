"""ap_memory (BRAM-style array port) agent."""
from llama_dv.tb.agents.ap_memory.agent import ApMemoryAgent
from llama_dv.tb.agents.ap_memory.bus import ApMemoryBus, ApMemoryPort
from llama_dv.tb.agents.ap_memory.config import ApMemoryConfig
from llama_dv.tb.agents.ap_memory.model import ApMemoryModel, MemWrite

__all__ = ["ApMemoryAgent", "ApMemoryBus", "ApMemoryConfig", "ApMemoryModel", "ApMemoryPort", "MemWrite"]
