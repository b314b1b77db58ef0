"""ap_ctrl_hs / ap_ctrl_chain block-protocol agent."""
from llama_dv.tb.agents.ap_ctrl.agent import ApCtrlAgent
from llama_dv.tb.agents.ap_ctrl.bus import ApCtrlBus
from llama_dv.tb.agents.ap_ctrl.config import IDLE_GRACE_CYCLES, ApCtrlConfig
from llama_dv.tb.agents.ap_ctrl.driver import ApCtrlDriver
from llama_dv.tb.agents.ap_ctrl.item import ApCtrlItem
from llama_dv.tb.agents.ap_ctrl.monitor import ApCtrlMonitor, ApCtrlTiming

__all__ = ["ApCtrlAgent", "ApCtrlBus", "ApCtrlConfig", "ApCtrlDriver", "ApCtrlItem", "ApCtrlMonitor", "ApCtrlTiming",
           "IDLE_GRACE_CYCLES"]
