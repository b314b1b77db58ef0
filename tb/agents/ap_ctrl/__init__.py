"""ap_ctrl_hs / ap_ctrl_chain block-protocol agent."""
from tb.agents.ap_ctrl.agent import ApCtrlAgent
from tb.agents.ap_ctrl.bus import ApCtrlBus
from tb.agents.ap_ctrl.config import IDLE_GRACE_CYCLES, ApCtrlConfig
from tb.agents.ap_ctrl.driver import ApCtrlDriver
from tb.agents.ap_ctrl.item import ApCtrlItem
from tb.agents.ap_ctrl.monitor import ApCtrlMonitor, ApCtrlTiming

__all__ = ["ApCtrlAgent", "ApCtrlBus", "ApCtrlConfig", "ApCtrlDriver", "ApCtrlItem", "ApCtrlMonitor", "ApCtrlTiming",
           "IDLE_GRACE_CYCLES"]
