"""rope virtual driver: x on in_r, pos and n as scalars, ap_ctrl_chain."""
from __future__ import annotations

import numpy as np

from tb.common.stream_driver import StreamCallDriver
from tb.envs.rope.item import RopeCall


class RopeDriver(StreamCallDriver):
    def apply_inputs(self, call: RopeCall) -> None:
        self.env.scalar("pos").value = call.pos
        self.env.scalar("n").value = call.n

    def input_words(self, call: RopeCall) -> np.ndarray:
        return call.x
