"""Bit-exact comparison of two implementations' outputs, reporting the first difference.

A bit-exactness check is only useful if a failure says where to look: which kernel,
which vector of the batch, which element, and both values. `first_mismatch` gives
exactly that and is shared by the positive tests and the fault-injection tests that
prove the comparison can fail.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mismatch:
    """The first element where `actual` differs from `expected`."""

    kernel: str
    vector: int
    element: int
    expected: int
    actual: int

    def __str__(self) -> str:
        return (f"{self.kernel}: vector {self.vector}, element {self.element}: "
                f"expected {self.expected}, got {self.actual}")


def first_mismatch(kernel: str, expected, actual, element_ndim: int = 1) -> Mismatch | None:
    """First differing element in row-major order, or None when the arrays are identical.

    The trailing `element_ndim` axes index elements within one vector (0 for
    element-wise functions, where every value is its own vector); the leading axes
    are flattened into the vector index.
    """
    exp, act = np.asarray(expected), np.asarray(actual)
    if exp.shape != act.shape:
        raise ValueError(f"{kernel}: expected shape {exp.shape} but the result has shape {act.shape}")
    if not 0 <= element_ndim <= exp.ndim:
        raise ValueError(f"{kernel}: element_ndim {element_ndim} invalid for shape {exp.shape}")
    per_vector = int(np.prod(exp.shape[exp.ndim - element_ndim:], dtype=np.int64))
    flat_exp = exp.astype(np.int64).reshape(-1)
    flat_act = act.astype(np.int64).reshape(-1)
    diff = np.flatnonzero(flat_exp != flat_act)
    if diff.size == 0:
        return None
    k = int(diff[0])
    return Mismatch(kernel, k // per_vector, k % per_vector, int(flat_exp[k]), int(flat_act[k]))
