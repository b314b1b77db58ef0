"""Decoder functional coverage (`clash_decoder.*`), sampled by a subscriber of the
monitor and the driver, after the scoreboard: KV rows and heads as they are checked
(so a test that stops inside a token still counts what it checked), positions and
argmax ties per checked response, and mid-token resets. Every bin is listed in
docs/dv/decoder.md."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyuvm
from cocotb_coverage.coverage import CoverPoint

from llama_dv.tb.envs.decoder.items import (N_HEADS, N_KV, N_LAYERS, SEQ, HeadSeen, KvRowSeen, MidTokenReset, TokenResult,
                                   kv_addr)


def argmax_ties(logits: Any) -> int:
    """How many logits share the maximum (1 = no tie)."""
    values = np.asarray(logits)
    return int(np.count_nonzero(values == values.max()))


def _updates_bin(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2-3" if n <= 3 else "4+"


@CoverPoint("clash_decoder.position.pos", xf=lambda pos: pos, bins=list(range(SEQ)))
def _cov_pos(pos: int) -> None:
    """Positions decoded."""


@CoverPoint("clash_decoder.kv.row", xf=lambda addr: addr, bins=list(range(N_LAYERS * N_KV * SEQ)))
def _cov_kv_row(addr: int) -> None:
    """KV block-RAM rows written (layer x KV head x position)."""


@CoverPoint("clash_decoder.attention.head", xf=lambda layer, head, n: (layer, head),
            bins=[(l, h) for l in range(N_LAYERS) for h in range(N_HEADS)])
@CoverPoint("clash_decoder.attention.max_updates", xf=lambda layer, head, n: _updates_bin(n),
            bins=["0", "1", "2-3", "4+"])
def _cov_head(layer: int, head: int, n: int) -> None:
    """Heads finished, and how often each one's online-softmax running max grew."""


@CoverPoint("clash_decoder.argmax.tie", xf=lambda ties: "tie" if ties > 1 else "unique", bins=["unique", "tie"])
def _cov_tie(ties: int) -> None:
    """Whether the logits of a checked step had a tied maximum (the lowest index must win)."""


@CoverPoint("clash_decoder.reset.mid_token", xf=lambda when: when, bins=["before_kv_write", "after_kv_write"])
def _cov_reset(when: str) -> None:
    """A reset in the middle of a token: before or after it wrote KV rows."""


class DecoderCoverage(pyuvm.uvm_subscriber):
    """Connected after the scoreboard to the same ports: a value reaches it only once
    the scoreboard has passed it (a response's logits are then the golden's, so its
    ties are the golden's too)."""

    def write(self, tt: Any) -> None:
        if isinstance(tt, KvRowSeen):
            _cov_kv_row(kv_addr(tt.layer, tt.kv_head, tt.pos))
        elif isinstance(tt, HeadSeen):
            _cov_head(tt.layer, tt.head, tt.max_updates)
        elif isinstance(tt, TokenResult):
            _cov_pos(tt.pos)
            _cov_tie(argmax_ties(tt.logits))
        elif isinstance(tt, MidTokenReset):
            _cov_reset(tt.when)
