"""attention virtual driver: q on the q stream, caches in ap_memory, pos as a scalar."""
from __future__ import annotations

import numpy as np

from tb.common.stream_driver import StreamCallDriver
from tb.envs.attention.item import AttentionCall


class AttentionDriver(StreamCallDriver):
    def apply_inputs(self, call: AttentionCall) -> None:
        env = self.env
        env.k_cache.model.preload(call.km.ravel())
        env.k_exp.model.preload(call.ke)
        env.v_cache.model.preload(call.vm.ravel())
        env.v_exp.model.preload(call.ve)
        env.scalar("pos").value = call.pos

    def input_words(self, call: AttentionCall) -> np.ndarray:
        return call.q
