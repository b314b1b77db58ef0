"""The decoder's weight set: the golden model and the `$readmemb` files its ROMs read.

The files are staged from the env's build phase, which pyuvm runs before the first
simulation step (cocotb starts the first test inside the simulator's start-of-simulation
callback), so the time-0 `$readmemb` finds them; a later test of the same run writes the
same files again, which the loaded ROMs no longer read."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from llama_dv.models.checkpoint import FloatWeights
from llama_dv.models.config import SMALL
from llama_dv.models.export import write_export
from llama_dv.models.llama_fixed import QuantizedModel
from llama_dv.models.tinymodel import tiny_weights
from llama_dv.tb.common.knobs import DECODER_WEIGHT_PROFILE_ENV, DECODER_WEIGHTS_ENV

TIED_ROWS = 16
"""Classifier rows 64-16..63 repeat rows 0..15, so greedy argmax meets exact ties in
ordinary generation (whenever the best row is one of them) and must pick the lower index."""


@dataclass(frozen=True)
class WeightProfile:
    """Multipliers on `tiny_weights`' trained-like scales, one per layer where a tuple:
    what the decoder's numbers span, from activations of order one to the int32 rails."""

    rms: tuple[float, ...]        # RMSNorm gains (attention and FFN) of each layer
    qk: tuple[float, ...]         # Wq, Wk of each layer
    matrices: tuple[float, ...]   # Wv, Wo, W1, W2, W3 of each layer
    rms_final: float


WEIGHT_PROFILES: dict[str, WeightProfile] = {
    # As tiny_weights draws them: residual |x| <= ~4, SiLU inputs within +-10, attention
    # exp arguments -10..0; no value reaches a saturation rail.
    "typical": WeightProfile(rms=(1.0, 1.0), qk=(1.0, 1.0), matrices=(1.0, 1.0), rms_final=1.0),
    # Layer 0 spreads the attention's exp arguments over the whole table and past its
    # underflow (about -29..0 at the 5th..95th percentile); layer 1 drives a third of the
    # residual and the SiLU inputs onto the int32 rails (+-2048) and its exp arguments far
    # below the table, where the saturating and rounding paths of the datapath work.
    "rails": WeightProfile(rms=(2.0, 64.0), qk=(1.0, 2.0), matrices=(1.0, 3.0), rms_final=8.0),
}


def weight_seed() -> int:
    """The `tiny_weights` seed of the run (LDV_CLASH_DECODER_WEIGHTS, default 1)."""
    return int(os.environ.get(DECODER_WEIGHTS_ENV, "1"))


def weight_profile() -> str:
    """The profile of the run (LDV_CLASH_DECODER_WEIGHT_PROFILE, default typical)."""
    name = os.environ.get(DECODER_WEIGHT_PROFILE_ENV, "typical")
    if name not in WEIGHT_PROFILES:
        raise ValueError(f"{DECODER_WEIGHT_PROFILE_ENV}={name!r}: expected one of {', '.join(WEIGHT_PROFILES)}")
    return name


def scaled_weights(w: FloatWeights, profile: WeightProfile) -> FloatWeights:
    """`w` with `profile`'s multipliers applied (float, before quantisation)."""
    if not len(profile.rms) == len(profile.qk) == len(profile.matrices) == w.config.n_layers:
        raise ValueError(f"weight profile {profile} does not give one multiplier per layer "
                         f"({w.config.n_layers} layers)")
    rms, qk, mat = (np.asarray(m)[:, None] for m in (profile.rms, profile.qk, profile.matrices))
    return replace(w, rms_att=w.rms_att * rms, rms_ffn=w.rms_ffn * rms, rms_final=w.rms_final * profile.rms_final,
                   wq=w.wq * qk[..., None], wk=w.wk * qk[..., None],
                   **{k: getattr(w, k) * mat[..., None] for k in ("wv", "wo", "w1", "w2", "w3")})


def decoder_weights(seed: int, tied_rows: int = TIED_ROWS, profile: str = "typical") -> QuantizedModel:
    """The golden model of `tiny_weights(SMALL, seed)` under weight profile `profile`, its
    last `tied_rows` classifier rows copied from its first ones."""
    qw = QuantizedModel.from_float(scaled_weights(tiny_weights(SMALL, seed), WEIGHT_PROFILES[profile])).weights
    cls_m, cls_e = qw.cls_m.copy(), qw.cls_e.copy()
    if tied_rows:
        cls_m[-tied_rows:], cls_e[-tied_rows:] = cls_m[:tied_rows], cls_e[:tied_rows]
    return QuantizedModel(replace(qw, cls_m=cls_m, cls_e=cls_e, shared_classifier=False))


def stage_weights(run_dir: Path, seed: int, profile: str = "typical") -> QuantizedModel:
    """Write the `$readmemb` files of `decoder_weights(seed, profile=profile)` into the
    simulator's working directory and return the matching golden model."""
    model = decoder_weights(seed, profile=profile)
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
