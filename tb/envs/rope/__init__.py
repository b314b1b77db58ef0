"""rope verification environment (ap_ctrl_chain + axis)."""
from tb.envs.rope.env import RopeEnv
from tb.envs.rope.item import RopeCall, RopeItem

__all__ = ["RopeCall", "RopeEnv", "RopeItem"]
