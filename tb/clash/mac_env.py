"""Env for the shared MAC engine (M2): one layer's Q/K/V/O/W1/W2/W3 weights of the
SMALL config live row-major in `mac_w.bin` (row exponents in `mac_e.bin`), written into
the simulator's working directory when the test module is imported; each request is
one matvec, checked bit-exact against `models.numerics.matvec`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cocotb_coverage.coverage import CoverPoint

from models.config import SMALL
from models.numerics import matvec
from tb.clash.agent import Response, ValidReadyItem
from tb.clash.env import ClashEnvBase, PairingScoreboard
from tb.clash.manifest import mem_lines, pack_vec, unpack_vec
from tb.common.seeding import test_seed

MAX_COLS = 128
W_DEPTH, E_DEPTH = 65536, 1024
W_FILE, E_FILE = "mac_w.bin", "mac_e.bin"


@dataclass(frozen=True)
class Matrix:
    name: str
    rows: int
    cols: int
    w_base: int
    e_base: int
    wm: np.ndarray
    we: np.ndarray


def layer_matrices(r: np.random.Generator) -> list[Matrix]:
    """One layer of SMALL, stored back to back in the weight and exponent ROMs."""
    c = SMALL
    shapes = [("wq", c.dim, c.dim), ("wk", c.kv_dim, c.dim), ("wv", c.kv_dim, c.dim),
              ("wo", c.dim, c.dim), ("w1", c.hidden_dim, c.dim), ("w2", c.dim, c.hidden_dim),
              ("w3", c.hidden_dim, c.dim)]
    out, wb, eb = [], 0, 0
    for name, rows, cols in shapes:
        out.append(Matrix(name, rows, cols, wb, eb, r.integers(-127, 128, (rows, cols)),
                          r.integers(-10, -4, rows)))
        wb, eb = wb + rows * cols, eb + rows
    if wb > W_DEPTH or eb > E_DEPTH:
        raise ValueError(f"layer needs {wb} weights / {eb} rows; the ROMs hold {W_DEPTH} / {E_DEPTH}")
    return out


def write_roms(directory: Path, mats: list[Matrix]) -> None:
    w = np.zeros(W_DEPTH, np.int64)
    e = np.zeros(E_DEPTH, np.int64)
    for m in mats:
        w[m.w_base:m.w_base + m.rows * m.cols] = m.wm.reshape(-1)
        e[m.e_base:m.e_base + m.rows] = m.we
    (directory / W_FILE).write_text(mem_lines(w, 8))
    (directory / E_FILE).write_text(mem_lines(e, 7))


@CoverPoint("clash_mac.matrix", xf=lambda name: name, bins=["wq", "wk", "wv", "wo", "w1", "w2", "w3"])
def sample_matrix(name: str) -> None:
    """Which weight matrix a compared matvec used."""


class MacScoreboard(PairingScoreboard):
    cycles_per_matvec: dict[str, int]

    def compare(self, item: ValidReadyItem, rsp: Response) -> None:
        m: Matrix = item.context["matrix"]
        expected = matvec(m.wm, m.we, item.context["xm"], item.context["xe"])
        actual = np.array(unpack_vec(rsp.fields["y"], MAX_COLS, 32)[:m.rows], dtype=np.int64)
        self.check(expected, actual, what=f"{self.top} {m.name} matvec ({m.rows}x{m.cols}) row",
                   txn_id=self.compared, seed=test_seed(), context=f"matrix {m.name}")
        measured = rsp.cycle - item.context["accepted_cycle"] - rsp.extra["stall_cycles"]
        if rsp.fields["cycles"] != measured:
            raise AssertionError(f"{self.top} {m.name}: DUT counts {rsp.fields['cycles']} cycles, "
                                 f"the monitor measured {measured}")
        self.cycles_per_matvec[m.name] = measured
        sample_matrix(m.name)


class MacEnv(ClashEnvBase):
    scoreboard_type = MacScoreboard

    def configure(self) -> None:
        self.scoreboard.cycles_per_matvec = {}

    def request(self, m: Matrix, xm: np.ndarray, xe: int) -> ValidReadyItem:
        padded = np.zeros(MAX_COLS, np.int64)
        padded[:m.cols] = xm
        return ValidReadyItem(m.name, {"w_base": m.w_base, "e_base": m.e_base, "rows": m.rows,
                                       "cols": m.cols, "x": pack_vec(padded, 8), "xe": xe},
                              {"matrix": m, "xm": xm, "xe": xe})
