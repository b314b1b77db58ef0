"""Each rule of docs/numerics.md checked on values worked out by hand from the doc.

These pin the contract itself: if models/numerics.py drifts from the written rule, a
test here names the rule. Bit-exactness against the C++ and RTL lives elsewhere.
"""
import numpy as np
import pytest

from llama_dv.models import numerics as N
from llama_dv.models import tables as T

ONE = 1 << 20


@pytest.mark.parametrize("x,s,want", [
    (5, 1, 3),        # 2.5 rounds half up to 3
    (-5, 1, -2),      # -2.5 rounds half up to -2
    (7, 2, 2),        # 1.75 -> 2
    (-7, 2, -2),      # -1.75 -> -2
    (6, 2, 2),        # 1.5 -> 2
    (-6, 2, -1),      # -1.5 -> -1
    (123, 0, 123),
    (1 << 62, 62, 1),
    (-1, 62, 0),
])
def test_rshr_rounds_half_up(x, s, want):
    assert int(N.rshr(x, s)) == want


def test_rshr_rejects_left_shift():
    with pytest.raises(ValueError, match="s >= 0"):
        N.rshr(1, -1)


@pytest.mark.parametrize("x,s,want", [
    (1, -3, 8),
    (1, -31, (1 << 31) - 1),        # 2^31 saturates
    (-1, -31, -(1 << 31)),          # -2^31 fits exactly
    (-1, -40, -(1 << 31)),
    (3, -200, (1 << 31) - 1),
    (0, -200, 0),
    (1 << 40, 0, (1 << 31) - 1),
    (-(1 << 40), 4, -(1 << 31)),
    (-(1 << 40), 10, -(1 << 30)),
])
def test_shsat(x, s, want):
    assert int(N.shsat(x, s)) == want


def test_sat_bounds():
    assert N.sat8([-500, -128, 127, 500]).tolist() == [-128, -128, 127, 127]
    assert N.sat32([-(1 << 40), 1 << 40]).tolist() == [-(1 << 31), (1 << 31) - 1]


def test_quantize_by_hand():
    # max |x| = 3.0 -> raw 3*2^20, bitlen 22, s = 15, e = -5: mantissa = x * 32.
    x = np.array([3 * ONE, -ONE, ONE // 64, 0])
    m, e = N.quantize(x)
    assert int(e) == -5
    assert m.tolist() == [96, -32, 1, 0]  # 1/64 * 32 = 0.5 rounds half up to 1


def test_quantize_rounding_carry_saturates():
    # 127.5 * 2^s rounds to 128, which saturates to 127.
    x = np.array([255 << 10])            # bitlen 18 -> s = 11 -> 255*2^10 / 2^11 = 127.5
    m, e = N.quantize(x)
    assert int(e) == 11 - 20 and m.tolist() == [127]


def test_quantize_zero_and_most_negative():
    m, e = N.quantize(np.zeros(4, dtype=np.int64))
    assert int(e) == -27 and not m.any()
    m, e = N.quantize(np.array([-(1 << 31), 1]))
    assert int(e) == 5 and m.tolist() == [-64, 0]   # -2^31 / 2^25 = -64


def test_to_f_round_trip_and_saturation():
    assert N.to_f(np.array([96, -32]), -5).tolist() == [3 * ONE, -ONE]
    assert N.to_f(np.array([127, -128]), 63).tolist() == [(1 << 31) - 1, -(1 << 31)]
    assert N.to_f(np.array([1, -1]), -64).tolist() == [0, 0]


def test_matvec_scale_shift():
    # Row [2, 3] . [4, 5] = 23; ew = -3, ex = -4 -> 23 * 2^-7 -> raw 23 * 2^13.
    y = N.matvec(np.array([[2, 3]]), np.array([-3]), np.array([4, 5]), -4)
    assert y.tolist() == [23 << 13]
    # Huge exponents saturate; the sign is kept.
    y = N.matvec(np.array([[1], [-1]]), np.array([63, 63]), np.array([1]), 63)
    assert y.tolist() == [(1 << 31) - 1, -(1 << 31)]


def test_exp_f_exact_points():
    assert int(N.exp_f(0)) == ONE
    assert int(N.exp_f(0, interp=False)) == ONE
    assert int(N.exp_f(-(1 << 31))) == 0               # far below: underflows to 0
    assert int(N.exp_f((1 << 31) - 1)) == (1 << 31) - 1  # far above: saturates


def test_exp_f_follows_the_recipe():
    x = -ONE  # -1.0
    t = (x * T.LOG2E + (1 << 19)) >> 20
    n, f = t >> 20, t & (ONE - 1)
    i, r = f >> 12, f & 4095
    lut = T.exp2_lut()
    b = int(lut[i]) + ((int(lut[i + 1] - lut[i]) * r + 2048) >> 12)
    want = (b + (1 << (-n - 1))) >> -n
    assert int(N.exp_f(x)) == want
    assert abs(want / ONE - np.exp(-1.0)) < 1e-5


def test_recip_f():
    assert int(N.recip_f(ONE)) == ONE
    assert int(N.recip_f(3 * ONE)) == (1 << 40) // (3 * ONE)
    with pytest.raises(ValueError):
        N.recip_f(0)


def test_invsqrt_exact_powers_of_four():
    # v = 4.0: p = 22, E = 2, odd = 0, sh = 2, mr = 2^20 (m = 1), idx 0.
    y0 = int(T.invsqrt_lut()[0])
    y2 = (y0 * y0 + (1 << 19)) >> 20
    t = (ONE * y2 + (1 << 19)) >> 20
    y1 = (y0 * (3 * ONE - t) + (1 << 20)) >> 21
    assert int(N.invsqrt_f(4 * ONE)) == (y1 + 1) >> 1
    assert abs(int(N.invsqrt_f(4 * ONE)) / ONE - 0.5) < 1e-4


def test_invsqrt_odd_exponent_uses_upper_table():
    # v = 2.0: E = 1 (odd), sh = 0, mr = 2^21, idx = 32 | ((2^21 >> 16) & 31) = 32.
    got = int(N.invsqrt_f(2 * ONE))
    assert abs(got / ONE - 2 ** -0.5) < 1e-4


def test_tables_shape_and_anchor_values():
    lut = T.exp2_lut()
    assert len(lut) == 257 and lut[0] == ONE and lut[256] == 2 * ONE and lut[128] == round(ONE * 2 ** 0.5)
    assert T.LOG2E == 1512775
    cos, sin = T.rope_tables(16, 16)
    assert cos.shape == (16, 8) and (cos[0] == ONE).all() and (sin[0] == 0).all()
    assert T.inv_sqrt_hd(16) == 1 << 18
