"""The decoder's weight set: the golden model and the `$readmemb` files its ROMs read.

The files are staged from the env's build phase, which pyuvm runs before the first
simulation step (cocotb starts the first test inside the simulator's start-of-simulation
callback), so the time-0 `$readmemb` finds them; a later test of the same run writes the
same files again, which the loaded ROMs no longer read."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from llama_dv.models.config import SMALL
from llama_dv.models.export import write_export
from llama_dv.models.llama_fixed import QuantizedModel
from llama_dv.models.tinymodel import tiny_weights
from llama_dv.tb.common.knobs import DECODER_WEIGHTS_ENV

TIED_ROWS = 16
"""Classifier rows 64-16..63 repeat rows 0..15, so greedy argmax meets exact ties in
ordinary generation (whenever the best row is one of them) and must pick the lower index."""


def weight_seed() -> int:
    """The `tiny_weights` seed of the run (LDV_CLASH_DECODER_WEIGHTS, default 1)."""
    return int(os.environ.get(DECODER_WEIGHTS_ENV, "1"))


def decoder_weights(seed: int, tied_rows: int = TIED_ROWS) -> QuantizedModel:
    """The golden model of `tiny_weights(SMALL, seed)`, its last `tied_rows` classifier
    rows copied from its first ones."""
    qw = QuantizedModel.from_float(tiny_weights(SMALL, seed)).weights
    cls_m, cls_e = qw.cls_m.copy(), qw.cls_e.copy()
    if tied_rows:
        cls_m[-tied_rows:], cls_e[-tied_rows:] = cls_m[:tied_rows], cls_e[:tied_rows]
    return QuantizedModel(replace(qw, cls_m=cls_m, cls_e=cls_e, shared_classifier=False))


def stage_weights(run_dir: Path, seed: int) -> QuantizedModel:
    """Write the `$readmemb` files of `decoder_weights(seed)` into the simulator's
    working directory and return the matching golden model."""
    model = decoder_weights(seed)
    write_export(model.weights, run_dir, formats=("bin",), seed=seed)
    return model


def perturb_golden_wv(model: QuantizedModel) -> None:
    """Flip every Wv mantissa of layer 1's output row 3 (KV head 0) to the far rail of its
    sign, in the golden only, after the ROM files are written: the V row of layer 1, KV
    head 0 must then differ from the DUT's at position 0 whatever the prompt token (one
    mantissa alone changes nothing when the prompt leaves its input element at 0), which
    a negative test expects the scoreboard to name."""
    wv = model.weights.matrices["wv"][0]
    wv[1, 3, :] = np.where(wv[1, 3, :] < 0, 127, -127)
