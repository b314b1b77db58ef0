"""Transaction of the matmul env: one `matmul(w, w_exp, x, x_exp, y, n, d)` call."""
from __future__ import annotations

import numpy as np
import pyuvm

PLACEMENTS = ("random", "page_aligned")


class MatmulTransaction(pyuvm.uvm_sequence_item):
    """Operands (int8 mantissas and exponents), how to run the call, and the observed y.

    `wm` is d x n, `we` has d row exponents, `xm` n mantissas, `xe` one exponent.
    `completion` and `auto_restart_runs` choose the control-agent behaviour;
    `back_to_back` starts the call right after the previous one completed.
    `placement` is "random" (buffers often end just below a 4 KiB boundary) or
    "page_aligned" (every buffer starts a 4 KiB page, so burst lengths are exact:
    the directed burst-length corners).
    """

    def __init__(self, name: str, wm: np.ndarray, we: np.ndarray, xm: np.ndarray, xe: int,
                 completion: str = "poll", auto_restart_runs: int = 0, back_to_back: bool = False,
                 kind: str = "random", placement: str = "random") -> None:
        super().__init__(name)
        if placement not in PLACEMENTS:
            raise ValueError(f"{name}: placement must be one of {PLACEMENTS}, got {placement!r}")
        self.wm = np.asarray(wm, np.int64).reshape(len(we), len(xm))
        self.we = np.asarray(we, np.int64)
        self.xm = np.asarray(xm, np.int64)
        self.xe = int(xe)
        self.completion = completion
        self.auto_restart_runs = auto_restart_runs
        self.back_to_back = back_to_back
        self.kind = kind
        self.placement = placement
        self.txn_id = -1
        self.addresses: dict[str, int] = {}
        self.y: np.ndarray | None = None
        self.timing = ""
        self.cycles = 0.0

    @property
    def n(self) -> int:
        return int(self.xm.size)

    @property
    def d(self) -> int:
        return int(self.we.size)

    def __str__(self) -> str:
        return (f"{self.get_name()} txn {self.txn_id} ({self.kind}): n={self.n} d={self.d} x_exp={self.xe} "
                f"w_exp[{self.we.min()}..{self.we.max()}] {self.completion}"
                f"{' auto_restart' if self.auto_restart_runs else ''}{' back-to-back' if self.back_to_back else ''}")
