"""Random streams derived from the cocotb seed, so any failing run replays exactly.

Every numpy Generator in the testbench comes from `rng(stream)`: the same
`COCOTB_RANDOM_SEED` and stream name give the same numbers, and different streams
(one per sequence or agent) do not disturb each other when one of them changes.
"""
from __future__ import annotations

import os
import zlib

import numpy as np


def regression_seed() -> int:
    """The seed a user passes to replay a run (COCOTB_RANDOM_SEED), named in failure messages."""
    env = os.environ.get("COCOTB_RANDOM_SEED")
    if env is not None:
        return int(env)
    return test_seed()


def test_seed() -> int:
    """The per-test seed cocotb derives from COCOTB_RANDOM_SEED and the test name (0 outside a simulator)."""
    try:
        import cocotb

        seed = getattr(cocotb, "RANDOM_SEED", None)
        if seed is not None:
            return int(seed)
    except ImportError:
        pass
    return int(os.environ.get("COCOTB_RANDOM_SEED", "0"))


def rng(stream: str, seed: int | None = None) -> np.random.Generator:
    """A Generator for one named stream of the test's seed."""
    base = test_seed() if seed is None else seed
    return np.random.default_rng([abs(base), zlib.crc32(stream.encode())])


test_seed.__test__ = False  # type: ignore[attr-defined]  # keep pytest from collecting it
