"""M1: the sequential attention kernel against the numpy golden, every position,
several heads (independent caches), random and max-update-heavy data, then caches on
the corners of the exponent range (V exponents from -64 to 63: values shifted left
into saturation, by 0, rounded away entirely; K exponents at both ends) queried with
elements of mixed magnitudes."""
from __future__ import annotations

import numpy as np
import pyuvm

from llama_dv.models.kernels import attention_scores_fixed
from llama_dv.models.numerics import FRAC, ONE, rshr
from llama_dv.models.tables import LOG2E
from llama_dv.tb.clash.unit_test import ClashUnitTest
from llama_dv.tb.common.seeding import rng
from llama_dv.tb.envs.clash_attend.env import AttendEnv
from llama_dv.tb.envs.clash_attend.sequences import SEQ_LEN, random_cache

HEADS = 4

# V exponents of the corner caches, row by row: small ones on row 0 (the first-row term
# shifted left by 0 or 1, its mantissas all negative in the first cache), -64 (shift clamped to 62: every term rounds to 0 or -1), small non-negative
# ones (left shifts that do not saturate yet), -22 (a rounding constant of 2^21 on
# products up to 2^27), and the top of the range last (saturating left shifts).
CORNER_VE = (
    (0, -64, 1, -22, 2, 0, 3, -22, -1, 5, -63, -22, -31, -32, 30, 63),
    (1, -32, -31, -22, -63, 5, -1, -22, 3, 0, 2, -22, 30, -64, 0, 63),
)


def corner_cache(r: np.random.Generator, hd: int, ve: tuple[int, ...],
                 row0_negative: bool) -> tuple[np.ndarray, ...]:
    """Full-range int8 mantissas, V exponents `ve`, K exponents that keep the scores
    within a few units of each other (so the softmax weights of every row are non-zero)
    except the last two rows: -64 (a score of 0) and 63 (a saturated score)."""
    km = r.integers(-128, 128, (SEQ_LEN, hd))
    ke = r.integers(-16, -9, SEQ_LEN)
    ke[-2], ke[-1] = -64, 63
    vm = r.integers(-128, 128, (SEQ_LEN, hd))
    if row0_negative:
        vm[0] = r.integers(-128, 0, hd)
        vm[0, 0] = -128
    return km, ke, vm, np.array(ve, dtype=np.int64)


# The expF sweep: q = 2^20 (127, m1, m2, 0...) quantises to exponent 0 exactly and K row
# 1 is (0, 127, 1, 0...), so dot = 127 m1 + m2 takes every value in [-16256, 16256] and
# the score of row 1 moves in steps of 64 (exponent -12; HD 16 scales by 2^18 / 2^20)
# while row 0 scores 0. For each of the 256 expF table intervals the sweep takes the dot
# whose t = -|s_1| log2(e) lies lowest and the one lying highest in the interval (the
# interpolated value is then within a few LSB of the table's lo, resp. hi entry, so
# every entry is read with a visible weight), each with s_1 < 0 (b: row 0 stays the
# maximum) and s_1 > 0 (a: row 1 is the new maximum, row 0's terms are rescaled).
EXP_DOT_MAX = 11355  # |s_1| log2(e) < 2^20 (n = -1)


def exp_sweep_cache(hd: int) -> tuple[np.ndarray, ...]:
    km = np.zeros((SEQ_LEN, hd), dtype=np.int64)
    km[1, 1], km[1, 2] = 127, 1
    ke = np.zeros(SEQ_LEN, dtype=np.int64)
    ke[1] = -12
    vm = np.zeros((SEQ_LEN, hd), dtype=np.int64)
    vm[0] = np.arange(hd) * 8 - 64
    vm[1] = 127
    vm[1, 1::2] = -128
    ve = np.zeros(SEQ_LEN, dtype=np.int64)  # acc = V * 2^20: a and b weigh V in full
    return km, ke, vm, ve


def exp_sweep_query(dot: int, hd: int) -> np.ndarray:
    m1 = int(dot / 127)
    q = np.zeros(hd, dtype=np.int64)
    q[0], q[1], q[2] = 127 << 20, m1 << 20, (dot - 127 * m1) << 20
    return q


def exp_sweep_dots(hd: int, cache: tuple[np.ndarray, ...]) -> list[int]:
    """Per table interval, the |dot| at its lowest and at its highest fraction."""
    km, ke = cache[0][:2], cache[1][:2]
    dots = np.arange(1, EXP_DOT_MAX + 1)
    qs = np.stack([exp_sweep_query(-int(d), hd) for d in dots])
    s1 = attention_scores_fixed(qs, km, ke, hd)[:, 1]
    t = rshr(s1 * LOG2E, FRAC) + ONE
    keep = (s1 < 0) & (t >= 0)
    interval, frac = t >> 12, t & 4095
    picked: list[int] = []
    for i in np.unique(interval[keep]):
        sel = np.flatnonzero(keep & (interval == i))
        picked += sorted({int(dots[sel[np.argmin(frac[sel])]]), int(dots[sel[np.argmax(frac[sel])]])})
    return picked


def mixed_query(r: np.random.Generator, hd: int) -> np.ndarray:
    """q elements of independent random bit lengths 0..23 and signs."""
    mags = np.array([int(r.integers(0, 1 << int(b))) if b else 0 for b in r.integers(0, 24, hd)])
    return mags * r.choice([-1, 1], hd)


class AttendAllPositionsTest(ClashUnitTest):
    """Every head h gets its own random cache; every position 0..15 is queried."""

    env_cls = AttendEnv

    async def body(self) -> None:
        r = rng("clash_attend")
        hd = self.env.head_dim
        for head in range(HEADS):
            cache = random_cache(r, hd, rising=head % 2 == 1)
            await self.env.write_kv(*cache)
            items = []
            for pos in range(SEQ_LEN):
                q = r.integers(-(1 << 22), 1 << 22, hd)
                if head % 2 == 1:
                    q = np.abs(q)
                items.append(self.env.query(q, pos, head, cache))
            await self.send(items)
        for k, ve in enumerate(CORNER_VE):
            head = HEADS + k
            cache = corner_cache(r, hd, ve, row0_negative=k == 0)
            await self.env.write_kv(*cache)
            await self.send([self.env.query(mixed_query(r, hd), pos, head, cache) for pos in range(SEQ_LEN)])
        cache = exp_sweep_cache(hd)
        await self.env.write_kv(*cache)
        await self.send([self.env.query(exp_sweep_query(sign * d, hd), 1, HEADS + len(CORNER_VE), cache)
                         for sign in (-1, 1) for d in exp_sweep_dots(hd, cache)])


@pyuvm.test()
class AttendAllPositions(AttendAllPositionsTest):
    pass
