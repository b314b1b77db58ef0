"""rope scoreboard: each out_r packet bit-exact with models.kernels.rope_fixed, in order."""
from __future__ import annotations

from tb.common.scoreboard import InOrderScoreboard


class RopeScoreboard(InOrderScoreboard):
    what = "rope out_r"
