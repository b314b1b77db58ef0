"""The MAC engine's weight and exponent ROMs: one layer's Q/K/V/O/W1/W2/W3 weights of
the SMALL config row-major in `mac_w.bin` (row exponents in `mac_e.bin`), the directed
matrices behind them, written into the simulator's working directory by the env's
build phase."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llama_dv.models.config import SMALL
from llama_dv.tb.clash.manifest import mem_lines

MAX_COLS = 128
W_DEPTH, E_DEPTH = 65536, 1024
W_FILE, E_FILE = "mac_w.bin", "mac_e.bin"
LAYER = ("wq", "wk", "wv", "wo", "w1", "w2", "w3")


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
    w_used = np.zeros(W_DEPTH, bool)
    e_used = np.zeros(E_DEPTH, bool)
    for m in mats:
        w_end, e_end = m.w_base + m.rows * m.cols, m.e_base + m.rows
        ws, es = slice(m.w_base, w_end), slice(m.e_base, e_end)
        if w_end > W_DEPTH or e_end > E_DEPTH or w_used[ws].any() or e_used[es].any():
            raise ValueError(f"matrix {m.name} ({m.rows}x{m.cols} at {m.w_base}/{m.e_base}) "
                             "overlaps another or runs past the ROM end")
        w_used[ws], e_used[es] = True, True
        w[ws] = m.wm.reshape(-1)
        e[es] = m.we
    (directory / W_FILE).write_text(mem_lines(w, 8))
    (directory / E_FILE).write_text(mem_lines(e, 7))
