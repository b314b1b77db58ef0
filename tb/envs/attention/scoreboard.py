"""attention scoreboard: each out_r packet bit-exact with models.kernels.attention_head_fixed."""
from __future__ import annotations

from tb.common.scoreboard import InOrderScoreboard


class AttentionScoreboard(InOrderScoreboard):
    what = "attention out_r"
