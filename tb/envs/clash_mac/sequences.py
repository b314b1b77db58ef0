"""Directed requests of the MAC engine (`directed_cases`): rows whose accumulator lands
on a rounding or saturation boundary of the fused scale shift, one row per exponent
code, the longest row with bit patterns in every input element, an odd row count
next to the limit placed at the last ROM addresses, and an odd row length."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from llama_dv.models.numerics import INT32_MAX, INT32_MIN, matvec
from llama_dv.tb.envs.clash_mac.roms import E_DEPTH, MAX_COLS, W_DEPTH, Matrix


@dataclass(frozen=True)
class Directed:
    """One directed request and what it is for (named in a mismatch)."""
    case: str
    matrix: Matrix
    xm: np.ndarray
    xe: int


EDGE_X = np.array([127, 127, 1])
"""The input of the `edge` matrix: row weights (a, b, c) give the accumulator 127 (a + b) + c."""

EDGE_ROWS: list[tuple[int, int, int]] = [
    # (row exponent ew, accumulator, y at xe = 0), from docs/numerics.md, "MAC": the
    # fused shift is s = -(ew + xe + 20); s <= 0 is sat32(acc << min(-s, 31)), s > 0
    # is rshr(acc, min(s, 62)) (round half up).
    # left shift by 18: both rails
    (-2, 8191, 2**31 - 2**18),     # the largest value below positive saturation
    (-2, 6144, 3 * 2**29),         # above 2^30, unsaturated
    (-2, 8192, INT32_MAX),         # 2^31 saturates
    (-2, -8192, INT32_MIN),        # exactly -2^31, unsaturated
    (-2, -8193, INT32_MIN),        # below -2^31 saturates
    # left shift by 31, and by 83 clamped to 31
    (11, 1, INT32_MAX), (11, -1, INT32_MIN),
    (63, 1, INT32_MAX), (63, -1, INT32_MIN), (63, 0, 0),
    # no shift
    (-20, 32258, 32258), (-20, -32258, -32258),
    # right shifts: halves round up, just below a half rounds down
    (-21, 1, 1), (-21, -1, 0), (-21, -2, -1), (-21, 3, 2), (-21, -3, -1),
    (-28, 128, 1), (-28, 127, 0), (-28, -128, 0), (-28, -129, -1), (-28, 383, 1), (-28, 384, 2),
    (-34, 8192, 1), (-34, 8191, 0), (-34, -8192, 0), (-34, -8193, -1), (-34, -32258, -2),
    (-35, 16384, 1), (-35, -16384, 0), (-35, -16385, -1), (-35, 32258, 1),
    # right shifts by 16, 20, 31 and 44: the largest accumulators round to 0
    (-36, 32258, 0), (-36, -32258, 0), (-40, 32258, 0), (-51, -32258, 0),
    (-64, 32258, 0), (-64, -32258, 0),
]

WIDE_PATTERNS = {"0x55": [85], "0xaa": [-86], "0xff": [-1], "0x80/0x7f": [-128, 127]}
"""Input patterns of the `wide` matrix: together every bit of every element is 0 once and 1 once."""


def _edge_weights(acc: int) -> list[int]:
    """Weights (a, b, c) in [-127, 127] with 127 (a + b) + c == acc."""
    q, c = divmod(acc, 127)
    if c > 63:
        q, c = q + 1, c - 127
    a = max(-127, min(127, q))
    if abs(q - a) > 127:
        raise ValueError(f"accumulator {acc} is out of reach of the edge input")
    return [a, q - a, c]


def _nonzero(r: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random weights in [-127, 127] without 0, so every input element reaches every row."""
    return r.integers(1, 128, shape) * r.choice([-1, 1], shape)


def directed_cases(layer: list[Matrix]) -> tuple[list[Matrix], list[Directed]]:
    """The directed matrices (placed in the ROMs behind `layer`; `odd127` at the last
    addresses of both) and the requests on them, in order. They depend on no seed: every
    run checks the same boundaries.

    * `single` (1 x 1): the smallest shape.
    * `edge` (38 x 3, input `EDGE_X`): one row per `EDGE_ROWS` entry, at xe = 0 (the
      entry's value, asserted here against the golden), 63 (every nonzero row
      saturates) and -64 (nearly all right shifts).
    * `exp_sweep` (128 x 8): row i has exponent i - 64, so xe = -64, -20 and 63 give every
      fused shift from -146 to 108 (right shifts past the clamp at 62, left past 31).
    * `odd127` (127 x 16, at the ROM ends): an odd row count next to the limit, twice;
      row 126's result has bit 1 set both times (a stale result must not leak into the
      next request's input).
    * `wide` (8 x 128): the longest row under `WIDE_PATTERNS`.
    * `odd_cols` (127 x 3) requested with 127, 126 and 125 rows (prefixes of one matrix):
      an odd row length, so from each row's result to the response an odd number of
      clocks passes in one of the first two (a held result bit that flips every clock
      shows), and the three cycle counts plus the others' reach every residue mod 4.
    """
    r = np.random.default_rng(20261204)
    end = layer[-1]
    wb, eb = end.w_base + end.rows * end.cols, end.e_base + end.rows
    mats: list[Matrix] = []
    cases: list[Directed] = []

    def place(name: str, wm: np.ndarray, we: np.ndarray, w_base: int | None = None,
              e_base: int | None = None) -> Matrix:
        nonlocal wb, eb
        rows, cols = wm.shape
        m = Matrix(name, rows, cols, wb if w_base is None else w_base, eb if e_base is None else e_base,
                   np.asarray(wm, np.int64), np.asarray(we, np.int64))
        if w_base is None:
            wb, eb = wb + rows * cols, eb + rows
        mats.append(m)
        return m

    single = place("single", np.array([[-127]]), np.array([0]))
    cases.append(Directed("single (1x1)", single, np.array([-128]), -20))

    edge = place("edge", np.array([_edge_weights(acc) for _, acc, _ in EDGE_ROWS]),
                 np.array([ew for ew, _, _ in EDGE_ROWS]))
    want = np.array([y for _, _, y in EDGE_ROWS])
    got = matvec(edge.wm, edge.we, EDGE_X, 0)
    if not np.array_equal(got, want) or not np.array_equal(edge.wm @ EDGE_X, [a for _, a, _ in EDGE_ROWS]):
        raise AssertionError(f"edge rows: the golden gives {got.tolist()}, the table {want.tolist()}")
    cases += [Directed(f"edge xe={xe}", edge, EDGE_X, xe) for xe in (0, 63, -64)]

    sweep = place("exp_sweep", _nonzero(r, (128, 8)), np.arange(-64, 64))
    sweep_x = r.integers(-128, 128, 8)
    sweep_x[:2] = (-128, 127)
    cases += [Directed(f"exp_sweep xe={xe}", sweep, sweep_x, xe) for xe in (-64, -20, 63)]

    wide = place("wide", _nonzero(r, (8, MAX_COLS)), np.array([0, 1, 2, 3] * 2))
    wide_cases = [Directed(f"wide x={name}", wide, np.resize(np.array(p), MAX_COLS), -20)
                  for name, p in WIDE_PATTERNS.items()]

    # odd127 at xe = -20 shifts left by its row exponent (0..3). Row 126 (exponent 0) is
    # tuned so that its result has bit 1 set after both requests: the result the engine
    # still holds when the next, longer request is accepted is not 0 there.
    owm, owe = _nonzero(r, (127, 16)), r.integers(0, 4, 127)
    owe[126] = 0
    odd_x = [r.integers(-128, 128, 16) for _ in range(2)]
    for x in odd_x:
        x[15] = 1 | x[15]
    for c in list(range(1, 128)) + list(range(-1, -128, -1)):
        owm[126, 15] = c
        if all(int(matvec(owm[126:], owe[126:], x, -20)[0]) & 2 for x in odd_x):
            break
    else:
        raise AssertionError("no weight gives odd127 row 126 a result with bit 1 set")
    odd = place("odd127", owm, owe, W_DEPTH - owm.size, E_DEPTH - 127)
    cases += [Directed(f"odd127 #{i}", odd, x, -20) for i, x in enumerate(odd_x)]
    cases += wide_cases

    ocm, oce, ocx = _nonzero(r, (127, 3)), r.integers(0, 4, 127), r.integers(-128, 128, 3)
    base = place("odd_cols", ocm, oce)
    for rows in (127, 126, 125):  # a prefix of the matrix in the ROMs is a matrix of its own
        m = dataclasses.replace(base, rows=rows, wm=base.wm[:rows], we=base.we[:rows])
        cases.append(Directed(f"odd_cols ({rows}x3)", m, ocx, -20))
    return mats, cases
