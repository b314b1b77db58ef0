"""The online-softmax step top against docs/numerics.md's streaming update, computed
from models.numerics primitives, over random states including first-row steps."""
from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import Timer

from models.numerics import ONE, exp_f, recip_f, rshr, sat32, shsat
from tb.clash.manifest import ClashManifest, pack_vec, to_unsigned, unpack_vec
from tb.common.scoreboard import compare_arrays
from tb.common.seeding import rng, test_seed

STEPS = 300


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


@cocotb.test()
async def online_softmax_step_random(dut) -> None:
    manifest = ClashManifest.for_top(dut._name)
    manifest.check_dut(dut)
    r = rng("clash_softstep")
    for i in range(STEPS):
        first = i % 10 == 0
        mx, s = (int(x) for x in r.integers(-(1 << 24), 1 << 24, 2))
        d = int(r.integers(ONE, 8 * ONE))
        acc = r.integers(-(1 << 26), 1 << 26, 8)
        v, ev = r.integers(-128, 128, 8), int(r.integers(-12, -2))
        dut.first.value, dut.mx.value, dut.den.value = int(first), to_unsigned(mx, 32), d
        dut.acc.value, dut.score.value = pack_vec(acc, 32), to_unsigned(s, 32)
        dut.v.value, dut.ev.value = pack_vec(v, 8), to_unsigned(ev, 7)
        await Timer(1, "ns")
        got = [int(dut.mx_o.value.to_signed()), int(dut.den_o.value.to_signed()),
               *unpack_vec(int(dut.acc_o.value), 8, 32), int(dut.max_upd.value),
               *unpack_vec(int(dut.out.value), 8, 32)]
        compare_arrays(np.array(golden_step(first, mx, d, acc, s, v, ev)), np.array(got),
                       what=f"{manifest.top} (mx, den, acc[8], max_upd, out[8])", txn_id=i,
                       seed=test_seed(), context=f"step {i}")
