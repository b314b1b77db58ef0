"""rmsnorm verification environment (ap_ctrl_hs + ap_memory)."""
from tb.envs.rmsnorm.env import RmsnormEnv
from tb.envs.rmsnorm.item import RmsnormCall, RmsnormItem

__all__ = ["RmsnormCall", "RmsnormEnv", "RmsnormItem"]
