"""matmul env: s_axilite control + m_axi memory, numpy scoreboard, coverage, sequences."""
from tb.envs.matmul.env import MatmulEnv
from tb.envs.matmul.item import MatmulTransaction

__all__ = ["MatmulEnv", "MatmulTransaction"]
