"""attention verification environment (ap_ctrl_chain + axis + ap_memory)."""
from tb.envs.attention.env import AttentionEnv
from tb.envs.attention.item import AttentionCall, AttentionItem

__all__ = ["AttentionCall", "AttentionEnv", "AttentionItem"]
