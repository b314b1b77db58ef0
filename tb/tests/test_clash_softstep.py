"""The online-softmax step top against docs/numerics.md's streaming update, computed
from llama_dv.models.numerics primitives: random states including first-row steps, then
directed corners the random draws (mx and score over +-16.0, about 10.7 apart on
average; ev in -12..-3) do not reach: every expF table entry under both exps, every
expF shift, every value exponent and the int32 rails (`corner_steps`)."""
from __future__ import annotations

import os
from typing import Iterator, NamedTuple

import cocotb
import numpy as np
from cocotb.triggers import Timer

from llama_dv.models.numerics import EXP_MAX, EXP_MIN, INT32_MAX, INT32_MIN, ONE, exp_f, recip_f, rshr, sat32, shsat
from llama_dv.models.tables import LOG2E
from llama_dv.tb.clash.manifest import ClashManifest, pack_vec, to_unsigned, unpack_vec
from llama_dv.tb.common.knobs import SOFTSTEP_STEPS_ENV
from llama_dv.tb.common.scoreboard import compare_arrays
from llama_dv.tb.common.seeding import rng, test_seed

STEPS = int(os.environ.get(SOFTSTEP_STEPS_ENV, "300"))
"""Random steps, before the directed corners (0: the corners alone, as the negative
tests in tests/clash/test_clash_softstep_faults.py run them)."""

SPECIAL_V = np.array([-128, 127, -1, 1, 0, -64, 63, -2])
"""V mantissas at the int8 rails and around 0; rotated by the step so every lane sees each."""

RAILS = (INT32_MIN, INT32_MIN + 1, -ONE, -1, 0, 1, ONE, INT32_MAX - 1, INT32_MAX)
"""F raws at and next to the int32 rails, around 0 and at 1.0 (running max and score)."""


class Step(NamedTuple):
    first: bool
    mx: int
    d: int
    acc: np.ndarray
    s: int
    v: np.ndarray
    ev: int
    what: str


def golden_step(first: bool, mx: int, d: int, acc: np.ndarray, s: int, v: np.ndarray, ev: int) -> list[int]:
    """(mx', d', acc', max-updated, normalised acc') for one row."""
    if first:
        mx2, d2, acc2, upd = s, ONE, shsat(v * ONE, -ev), False
    else:
        mx2 = max(mx, s)
        a, b = int(exp_f(sat32(mx - mx2))), int(exp_f(sat32(s - mx2)))
        d2 = int(sat32(rshr(d * a, 20) + b))
        acc2, upd = sat32(rshr(acc * a, 20) + shsat(v * b, -ev)), s > mx
    out = sat32(rshr(np.asarray(acc2) * recip_f(d2), 20))
    return [int(mx2), int(d2), *map(int, acc2), int(upd), *map(int, out)]


def exp_split(x: int) -> tuple[int, int, int]:
    """(n, i, r) of expF(x) (docs/numerics.md, exp): t = rshr(x * LOG2E, 20) = n * 2^20 +
    i * 2^12 + r; the result is the table entries i and i + 1 interpolated at r, shifted by n."""
    t = int(rshr(x * LOG2E, 20))
    return t >> 20, (t >> 12) & 255, t & 4095


def exp_arg(n: int, i: int, r: int) -> int:
    """An F raw x <= 0 with expF decomposition (n, i, r'), r' the reachable remainder
    nearest r (consecutive x move t by 1 or 2)."""
    t = n * ONE + i * 4096 + r
    x0 = (t * ONE) // LOG2E
    best = None
    for x in range(x0 - 3, x0 + 4):
        n2, i2, r2 = exp_split(x)
        if x <= 0 and (n2, i2) == (n, i) and (best is None or abs(r2 - r) < abs(exp_split(best)[2] - r)):
            best = x
    if best is None:
        raise AssertionError(f"no F raw reaches expF index {i} at shift {n}")
    return best


def random_state(r: np.random.Generator) -> tuple[int, int, np.ndarray]:
    """A running max and an accumulator as the random steps draw them, a denominator in 1.0..16.0."""
    mx = int(r.integers(-(1 << 24), 1 << 24))
    return mx, int(r.integers(ONE, 16 * ONE)), r.integers(-(1 << 26), 1 << 26, 8)


def random_steps(r: np.random.Generator, steps: int) -> Iterator[Step]:
    for i in range(steps):
        mx, s = (int(x) for x in r.integers(-(1 << 24), 1 << 24, 2))
        d = int(r.integers(ONE, 8 * ONE))
        acc = r.integers(-(1 << 26), 1 << 26, 8)
        v, ev = r.integers(-128, 128, 8), int(r.integers(-12, -2))
        yield Step(i % 10 == 0, mx, d, acc, s, v, ev, "random")


def exp_table_steps(r: np.random.Generator) -> Iterator[Step]:
    """Every EXP2 table entry under both exps, n = -1 (the result shifted by one, so a
    change of the interpolated value by 1 shows): at remainder ~0 the entry i alone
    counts, at ~4095 entry i + 1 does. `a` (the running max moves: score = mx - x) shows
    in den' = rshr(d * a, 20) + 1.0, `b` (score = mx + x below the max) in den' = d + b."""
    for i in range(256):
        for rem in (0, 4095):
            x = exp_arg(-1, i, rem)
            for path in ("a", "b"):
                mx, d, acc = random_state(r)
                s = mx - x if path == "a" else mx + x
                yield Step(False, mx, d, acc, s, r.integers(-128, 128, 8), int(r.integers(-12, -2)),
                           f"expF table {path}: index {i}, remainder {exp_split(x)[2]}")


def exp_shift_steps(r: np.random.Generator) -> Iterator[Step]:
    """Both exps at every shift n = 0 .. -40 (62 and beyond round to 0) and at the most
    negative argument the sat32 of mx - mx' allows."""
    for n in range(0, -41, -1):
        x = 0 if n == 0 else exp_arg(n, int(r.integers(0, 256)), int(r.integers(0, 4096)))
        for path in ("a", "b"):
            mx, d, acc = random_state(r)
            s = mx - x if path == "a" else mx + x
            yield Step(False, mx, d, acc, s, np.roll(SPECIAL_V, n), int(r.integers(-12, -2)),
                       f"expF shift {path}: n = {n}")
    for path, (mx, s) in (("a", (INT32_MIN, INT32_MAX)), ("b", (INT32_MAX, INT32_MIN))):
        _, d, acc = random_state(r)
        yield Step(False, mx, d, acc, s, SPECIAL_V, -20, f"expF shift {path}: argument -2^31")


def ev_steps(r: np.random.Generator) -> Iterator[Step]:
    """Every value exponent of ExpS, -64..63 (ev >= 0 takes vterm's saturating left
    shift, quantised V rows reach -27..5), on a first row and on rows with b near 1.0."""
    for ev in range(EXP_MIN, EXP_MAX + 1):
        mx, d, acc = random_state(r)
        v = np.roll(SPECIAL_V, ev)
        yield Step(True, mx, d, acc, int(r.integers(-(1 << 24), 1 << 24)), v, ev, f"ev {ev}: first row")
        x = int(r.integers(-(ONE // 2), 1))
        yield Step(False, mx, d, acc, mx + x, v, ev, f"ev {ev}: b = expF({x})")
        yield Step(False, mx, d, acc, mx - x, r.integers(-128, 128, 8), ev, f"ev {ev}: new max by {-x}")


def rail_steps(r: np.random.Generator) -> Iterator[Step]:
    """Running max and score at the int32 rails and ties (mx = score), with the
    denominator at 1.0 or INT32_MAX and the accumulator at a rail, so den' and acc'
    saturate."""
    for j, mx in enumerate(RAILS):
        for k, s in enumerate(RAILS):
            d = (ONE, INT32_MAX)[(j + k) % 2]
            acc = (np.full(8, INT32_MAX), np.full(8, INT32_MIN),
                   r.integers(INT32_MIN, INT32_MAX, 8, endpoint=True))[(j + k) % 3]
            ev = (-27, -12, 0, 5)[(j + k) % 4]
            yield Step(False, mx, d, acc, s, np.roll(SPECIAL_V, j + k), ev, f"rails: mx {mx}, score {s}")


def corner_steps(r: np.random.Generator) -> Iterator[Step]:
    yield from exp_table_steps(r)
    yield from exp_shift_steps(r)
    yield from ev_steps(r)
    yield from rail_steps(r)


@cocotb.test()
async def online_softmax_step_random(dut) -> None:
    manifest = ClashManifest.for_top(dut._name)
    manifest.check_dut(dut)
    r = rng("clash_softstep")
    steps = [*random_steps(r, STEPS), *corner_steps(rng("clash_softstep.corners"))]
    for i, st in enumerate(steps):
        dut.first.value, dut.mx.value, dut.den.value = int(st.first), to_unsigned(st.mx, 32), st.d
        dut.acc.value, dut.score.value = pack_vec(st.acc, 32), to_unsigned(st.s, 32)
        dut.v.value, dut.ev.value = pack_vec(st.v, 8), to_unsigned(st.ev, 7)
        await Timer(1, "ns")
        got = [int(dut.mx_o.value.to_signed()), int(dut.den_o.value.to_signed()),
               *unpack_vec(int(dut.acc_o.value), 8, 32), int(dut.max_upd.value),
               *unpack_vec(int(dut.out.value), 8, 32)]
        compare_arrays(np.array(golden_step(st.first, st.mx, st.d, st.acc, st.s, st.v, st.ev)), np.array(got),
                       what=f"{manifest.top} (mx, den, acc[8], max_upd, out[8])", txn_id=i,
                       seed=test_seed(), context=f"step {i} ({st.what})")
