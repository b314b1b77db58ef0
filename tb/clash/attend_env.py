"""Env for the sequential attention tops (M1): KV rows are written through the
kv_w* port, queries go through the valid/ready agent, and the scoreboard compares
each result with `models.kernels.attention_head_fixed`, naming the position, the head
and the first differing value on a mismatch."""
from __future__ import annotations

from typing import Any

import numpy as np
from cocotb.triggers import FallingEdge
from cocotb_coverage.coverage import CoverPoint

from models.kernels import attention_head_fixed
from tb.clash.agent import Response, ValidReadyItem
from tb.clash.env import ClashEnvBase, PairingScoreboard
from tb.clash.manifest import pack_vec, to_unsigned, unpack_vec
from tb.common.seeding import test_seed

SEQ_LEN = 16


def random_cache(r: np.random.Generator, hd: int, rising: bool) -> tuple[np.ndarray, ...]:
    """K/V mantissas and exponents for SEQ_LEN rows; `rising` makes K grow row by row
    (use with a positive q) so the running max moves often (online-softmax rescales)."""
    km = r.integers(-127, 128, (SEQ_LEN, hd))
    if rising:
        km = np.arange(SEQ_LEN)[:, None] * 8 + r.integers(0, 8, (SEQ_LEN, hd))
    ke = r.integers(-9, -3, SEQ_LEN)
    vm = r.integers(-128, 128, (SEQ_LEN, hd))
    ve = r.integers(-12, -2, SEQ_LEN)
    return km, ke, vm, ve


def sample_attention(top: str, pos: int, head: int, max_updates: int, rows_written: tuple[int, ...]) -> None:
    """Coverage of one compared query (the bins are what M1 sign-off asks for)."""
    _cov_pos(top, pos)
    _cov_head(top, head)
    _cov_upd(top, max_updates)
    for r in rows_written:
        _cov_row(top, r)


def _bins_upd(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2-3" if n < 4 else "4+"


@CoverPoint("clash_attend.kv.pos", xf=lambda top, pos: pos, bins=list(range(SEQ_LEN)))
def _cov_pos(top: str, pos: int) -> None: ...


@CoverPoint("clash_attend.kv.head", xf=lambda top, head: head, bins=[0, 1, 2, 3])
def _cov_head(top: str, head: int) -> None: ...


@CoverPoint("clash_attend.softmax.max_updates", xf=lambda top, n: _bins_upd(n), bins=["0", "1", "2-3", "4+"])
def _cov_upd(top: str, n: int) -> None: ...


@CoverPoint("clash_attend.kv.row_written", xf=lambda top, r: r, bins=list(range(SEQ_LEN)))
def _cov_row(top: str, r: int) -> None: ...


class AttendScoreboard(PairingScoreboard):
    """Judges each result against the golden on the KV snapshot the request saw."""

    head_dim = 8

    def compare(self, item: ValidReadyItem, rsp: Response) -> None:
        c = item.context
        trace: list[dict[str, Any]] = []
        expected = attention_head_fixed(c["q"], c["km"], c["ke"], c["vm"], c["ve"], c["pos"],
                                        self.head_dim, trace=trace)
        actual = np.array(unpack_vec(rsp.fields["data"], self.head_dim, 32), dtype=np.int64)
        where = f"pos {c['pos']} head {c['head']}"
        self.check(expected, actual, what=f"{self.top} attention output", txn_id=self.compared,
                   seed=test_seed(), context=where)
        upd = int(sum(bool(t["updated"]) for t in trace))
        if rsp.fields["max_updates"] != upd:
            raise AssertionError(f"{self.top} max-update count at {where}: DUT {rsp.fields['max_updates']}, "
                                 f"golden trace {upd}")
        measured = rsp.cycle - c["accepted_cycle"] - rsp.extra["stall_cycles"]
        if rsp.fields["cycles"] != measured:
            raise AssertionError(f"{self.top} at {where}: DUT counts {rsp.fields['cycles']} cycles, "
                                 f"the monitor measured {measured} between handshakes")
        sample_attention(self.top, c["pos"], c["head"], upd, tuple(range(c["pos"] + 1)))


class AttendEnv(ClashEnvBase):
    """Agent + scoreboard + the KV write port."""

    scoreboard_type = AttendScoreboard

    def configure(self) -> None:
        self.head_dim = self.manifest.port("in_q").width // 32
        self.scoreboard.head_dim = self.head_dim

    async def write_kv(self, km: np.ndarray, ke: np.ndarray, vm: np.ndarray, ve: np.ndarray) -> None:
        """Write every row of one head's cache, one row per cycle."""
        d = self.dut
        for t in range(km.shape[0]):
            await FallingEdge(self.clk)
            d.kv_we.value = 1
            d.kv_waddr.value = t
            d.kv_wk.value = pack_vec(km[t], 8)
            d.kv_wke.value = to_unsigned(int(ke[t]), 7)
            d.kv_wv.value = pack_vec(vm[t], 8)
            d.kv_wve.value = to_unsigned(int(ve[t]), 7)
        await FallingEdge(self.clk)
        d.kv_we.value = 0

    def query(self, q: np.ndarray, pos: int, head: int, cache: tuple[np.ndarray, ...]) -> ValidReadyItem:
        km, ke, vm, ve = cache
        return ValidReadyItem(f"h{head}p{pos}", {"q": pack_vec(q, 32), "pos": pos},
                              {"q": q, "km": km, "ke": ke, "vm": vm, "ve": ve, "pos": pos, "head": head})
