"""Scoreboard base: compare golden and observed numpy arrays per transaction.

A mismatch fails the test with everything needed to replay and debug it: the
transaction id and seed, the first differing index with expected and actual values,
and how many elements differ in total.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyuvm


class ScoreboardMismatch(AssertionError):
    """Observed output differs from the golden model."""


@dataclass(frozen=True)
class Comparison:
    txn_id: int
    what: str
    n_elements: int
    n_diff: int


def describe_mismatch(expected: np.ndarray, actual: np.ndarray, *, what: str, txn_id: int,
                      seed: int | None, context: str = "") -> str | None:
    """Message for the first difference between two arrays, or None if they are equal."""
    exp, act = np.asarray(expected, np.int64), np.asarray(actual, np.int64)
    where = f"txn {txn_id} (seed {seed}){' ' + context if context else ''}"
    if exp.shape != act.shape:
        return f"{what} mismatch in {where}: expected shape {exp.shape}, got {act.shape}"
    diff = np.flatnonzero(exp.ravel() != act.ravel())
    if diff.size == 0:
        return None
    i = int(diff[0])
    idx = np.unravel_index(i, exp.shape) if exp.ndim > 1 else i
    e, a = int(exp.ravel()[i]), int(act.ravel()[i])
    return (f"{what} mismatch in {where}: index {idx}: expected {e} (0x{e & 0xFFFFFFFF:08x}), "
            f"actual {a} (0x{a & 0xFFFFFFFF:08x}); {diff.size} of {exp.size} elements differ")


def compare_arrays(expected: np.ndarray, actual: np.ndarray, *, what: str, txn_id: int,
                   seed: int | None, context: str = "") -> Comparison:
    """Raise ScoreboardMismatch unless the arrays are equal element for element."""
    msg = describe_mismatch(expected, actual, what=what, txn_id=txn_id, seed=seed, context=context)
    if msg is not None:
        raise ScoreboardMismatch(msg)
    return Comparison(txn_id, what, int(np.asarray(expected).size), 0)


class ArrayScoreboard(pyuvm.uvm_subscriber):
    """Base scoreboard: subclasses compute expected arrays, then call `check`.

    It fails on the first mismatch (a long random run stops at the transaction that
    broke) and reports at the end how many transactions were compared, so a test that
    compared nothing is caught by `check_phase`. Connect producers to `analysis_export`.
    """

    def write(self, tt: Any) -> None:
        raise NotImplementedError("scoreboards implement write()")

    def build_phase(self) -> None:
        self.compared = 0
        self.min_transactions = 1

    def check(self, expected: np.ndarray, actual: np.ndarray, *, what: str, txn_id: int,
              seed: int | None, context: str = "") -> None:
        try:
            compare_arrays(expected, actual, what=what, txn_id=txn_id, seed=seed, context=context)
        except ScoreboardMismatch as exc:
            self.logger.error(str(exc))
            raise
        self.compared += 1

    def check_phase(self) -> None:
        if self.compared < self.min_transactions:
            raise ScoreboardMismatch(
                f"{self.get_full_name()}: compared {self.compared} transactions, "
                f"expected at least {self.min_transactions}")

    def report_phase(self) -> None:
        self.logger.info(f"{self.get_full_name()}: {self.compared} transactions matched the golden")


def as_signed(values: Any, bits: int) -> np.ndarray:
    """Reinterpret unsigned `bits`-bit words as two's-complement integers."""
    v = np.asarray(values, np.int64) & ((1 << bits) - 1)
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v)


def first_diff(what: str, expected: list[int], actual: list[int],
               error: type[AssertionError] = ScoreboardMismatch) -> None:
    """Raise `error` naming the first differing element (value and hex), or a length
    mismatch: a long vector fails at the value a designer looks for first."""
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e != a:
            raise error(f"{what} {i}: expected {e} (0x{e & 0xFFFFFFFF:08x}), actual {a}")
    if len(expected) != len(actual):
        raise error(f"{what}: {len(actual)} values, expected {len(expected)}")


def compare_kv_row(prefix: str, expected: tuple[Any, int, Any, int], actual: tuple[list[int], int, list[int], int],
                   error: type[AssertionError] = ScoreboardMismatch) -> None:
    """One KV-cache row, (K mantissas, K exponent, V mantissas, V exponent): raise `error`
    naming the first difference (the decoder and the prefill pipeline store the same rows)."""
    for name, exp, act in (("K mantissa", expected[0], actual[0]), ("V mantissa", expected[2], actual[2])):
        first_diff(f"{prefix} {name}", [int(x) for x in exp], act, error)
    for name, e, a in (("K exponent", expected[1], actual[1]), ("V exponent", expected[3], actual[3])):
        if int(e) != a:
            raise error(f"{prefix} {name}: expected {e}, actual {a}")
