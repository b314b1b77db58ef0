"""s_axilite agent: the Vitis HLS control block (register map from `x<top>_hw.h`)."""
from llama_dv.tb.agents.s_axilite.agent import SAxiLiteAgent
from llama_dv.tb.agents.s_axilite.config import SAxiLiteConfig
from llama_dv.tb.agents.s_axilite.item import CallResult, ControlItem, RegisterAccess
from llama_dv.tb.agents.s_axilite.regmap import ArgRegister, HeaderError, RegisterMap, parse_hw_header
from llama_dv.tb.agents.s_axilite.sequence import ControlCallSequence

__all__ = ["ArgRegister", "CallResult", "ControlCallSequence", "ControlItem", "HeaderError",
           "RegisterAccess", "RegisterMap", "SAxiLiteAgent", "SAxiLiteConfig", "parse_hw_header"]
