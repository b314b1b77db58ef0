"""Scoreboard of matmul: y from memory against models.kernels.matvec_fixed, bit for bit."""
from __future__ import annotations

from collections.abc import Callable

import pyuvm

from models.kernels import matvec_fixed
from tb.common.scoreboard import ArrayScoreboard, as_signed
from tb.common.seeding import test_seed
from tb.envs.matmul.item import MatmulTransaction


class TransactionExport(pyuvm.uvm_analysis_export):
    """Analysis export that hands each written transaction to a callback."""

    def __init__(self, name: str, parent: pyuvm.uvm_component, sink: Callable[[object], None]) -> None:
        super().__init__(name, parent)
        self.sink = sink

    def write(self, txn: object) -> None:
        self.sink(txn)


class MatmulScoreboard(ArrayScoreboard):
    """Receives finished MatmulTransactions (with `y` read back) on `analysis_export`."""

    def write(self, txn: MatmulTransaction) -> None:
        expected = matvec_fixed(txn.wm, txn.we, txn.xm, txn.xe)
        assert txn.y is not None, f"{txn}: no y was read back"
        self.check(expected, as_signed(txn.y, 32), what="matmul y row", txn_id=txn.txn_id, seed=test_seed(),
                   context=f"[{txn}] (index = row i of y)")
