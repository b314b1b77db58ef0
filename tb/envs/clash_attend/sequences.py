"""Random KV caches for the attention tops."""
from __future__ import annotations

import numpy as np

SEQ_LEN = 16


def random_cache(r: np.random.Generator, hd: int, rising: bool) -> tuple[np.ndarray, ...]:
    """K/V mantissas and exponents for SEQ_LEN rows; `rising` makes K grow row by row
    (use with a positive q) so the running max moves often (online-softmax rescales)."""
    km = r.integers(-127, 128, (SEQ_LEN, hd))
    if rising:
        km = np.arange(SEQ_LEN)[:, None] * 8 + r.integers(0, 8, (SEQ_LEN, hd))
    ke = r.integers(-9, -3, SEQ_LEN)
    vm = r.integers(-128, 128, (SEQ_LEN, hd))
    ve = r.integers(-12, -2, SEQ_LEN)
    return km, ke, vm, ve
