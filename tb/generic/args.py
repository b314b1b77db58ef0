"""What a user says about a DUT's arguments: value ranges and lengths, nothing about pins.

These are the only stimulus words a new kernel needs (`ARGS` next to its golden):

    ARGS = {"a": Array(length=(1, 64), lo=-1000, hi=1000),
            "b": Array(length=LengthOf("a")),
            "n": LengthOf("a")}

Anything left out gets a default from the interface (full range of its width; an
ap_memory's depth as length), so a golden alone is enough to start.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LengthOf:
    """The length of another array argument (as a scalar's value or an array's length);
    with `times`, that length multiplied by another array's: a matrix stored row by row
    has `LengthOf("rows", times="cols")` elements."""

    name: str
    times: str | None = None


@dataclass(frozen=True)
class Array:
    """An input array: length (fixed, (min, max), a `range` such as range(2, 257, 2) for
even lengths only, or LengthOf) and element range [lo, hi].

    `bundle` places it in the memory behind an m_axi port (its register or scalar port
    then carries the buffer address); `bits` is the element width there (default: the
    bundle's data width). Unset `lo`/`hi` mean the element type's full range.
    """

    length: int | tuple[int, int] | range | LengthOf | None = None
    lo: int | None = None
    hi: int | None = None
    bundle: str | None = None
    bits: int | None = None
    signed: bool | None = None


@dataclass(frozen=True)
class Scalar:
    """An input scalar in [lo, hi] (default: the port's or register's full range)."""

    lo: int | None = None
    hi: int | None = None
    signed: bool | None = None


@dataclass(frozen=True)
class Output:
    """An output array the DUT writes into an m_axi bundle's memory (length from the golden)."""

    bundle: str
    bits: int | None = None
    signed: bool | None = None


ArgSpec = Array | Scalar | LengthOf | Output
