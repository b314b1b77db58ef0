"""READY/VALID pause generators for cocotbext-axi channels, from pattern strings."""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np


class PauseSpecError(ValueError):
    """A pause pattern string is malformed."""


def pause_generator(spec: str, rng: np.random.Generator) -> Iterator[bool] | None:
    """Infinite iterator of per-cycle pause flags for `spec`, or None for "none"."""
    if spec == "none":
        return None
    if spec == "stall":
        return itertools.repeat(True)
    kind, _, arg = spec.partition(":")
    if kind == "random":
        try:
            p = float(arg)
        except ValueError:
            raise PauseSpecError(f"pause pattern {spec!r}: probability {arg!r} is not a number") from None
        if not 0.0 <= p < 1.0:
            raise PauseSpecError(f"pause pattern {spec!r}: probability must be in [0, 1)")
        return _random_pauses(p, rng)
    if kind == "duty":
        try:
            ready, period = (int(v) for v in arg.split("/"))
        except ValueError:
            raise PauseSpecError(f"pause pattern {spec!r}: expected duty:<ready>/<period>") from None
        if not 1 <= ready <= period:
            raise PauseSpecError(f"pause pattern {spec!r}: need 1 <= ready <= period")
        return itertools.cycle([False] * ready + [True] * (period - ready))
    raise PauseSpecError(f"pause pattern {spec!r}: expected one of none, stall, random:<p>, duty:<r>/<n>")


def _random_pauses(p: float, rng: np.random.Generator) -> Iterator[bool]:
    while True:
        yield from (rng.random(256) < p).tolist()
