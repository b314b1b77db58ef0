"""The decoder's weight profiles: `typical` is tiny_weights as drawn, `rails` reaches the
saturation rails and the exp table's underflow that DecoderRailWeights is there to test
(measured on the golden, which the DUT must then match bit for bit)."""
from __future__ import annotations

import numpy as np
import pytest

from llama_dv.models import kernels
from llama_dv.models.config import SMALL
from llama_dv.models.llama_fixed import QuantizedModel
from llama_dv.models.numerics import INT32_MAX, INT32_MIN, ONE
from llama_dv.models.tinymodel import tiny_weights
from llama_dv.tb.common.knobs import DECODER_WEIGHT_PROFILE_ENV
from llama_dv.tb.envs.decoder.weights import (WeightProfile, decoder_weights, scaled_weights,
                                              weight_profile)

SEED = 1


def _on_rails(a: np.ndarray) -> np.ndarray:
    return (a == INT32_MAX) | (a == INT32_MIN)


def _decode(model: QuantizedModel, monkeypatch: pytest.MonkeyPatch) -> dict[str, np.ndarray]:
    """16 greedy positions; the layer-1 residuals, the SiLU inputs and the attention exp
    arguments (score minus the row's maximum, layer 0) the golden computed on the way."""
    seen: dict[str, list[np.ndarray]] = {"silu_in": [], "scores": []}
    silu, scores = kernels.silu_fixed, kernels.attention_scores_fixed

    def spy_silu(x):
        seen["silu_in"].append(np.array(x))
        return silu(x)

    def spy_scores(*args):
        s = scores(*args)
        seen["scores"].append(np.array(s))
        return s

    monkeypatch.setattr(kernels, "silu_fixed", spy_silu)
    monkeypatch.setattr(kernels, "attention_scores_fixed", spy_scores)
    model.reset()
    token, residual = 5, []
    for pos in range(16):
        trace = model.step(token, pos)
        residual.append(trace.layers[1].residual)
        token = trace.argmax
    layer0 = seen["scores"][0::SMALL.n_layers]  # one call per layer and position
    return {"residual1": np.concatenate(residual), "silu_in": np.concatenate([s.ravel() for s in seen["silu_in"]]),
            "exp_arg0": np.concatenate([(s - s.max(axis=-1, keepdims=True)).ravel() for s in layer0]) / ONE}


def test_typical_profile_is_tiny_weights_as_drawn() -> None:
    plain = QuantizedModel.from_float(tiny_weights(SMALL, SEED)).weights
    typical = decoder_weights(SEED, tied_rows=0, profile="typical").weights
    assert typical.equals(plain)


def test_rails_profile_reaches_the_rails_and_the_exp_underflow(monkeypatch: pytest.MonkeyPatch) -> None:
    typical = _decode(decoder_weights(SEED), monkeypatch)
    rails = _decode(decoder_weights(SEED, profile="rails"), monkeypatch)
    assert not _on_rails(typical["residual1"]).any() and not _on_rails(typical["silu_in"]).any()
    assert _on_rails(rails["residual1"]).mean() > 0.1, "rails: layer 1's residual should sit on the int32 rails"
    assert (rails["silu_in"] == INT32_MAX).any() and (rails["silu_in"] == INT32_MIN).any(), \
        "rails: SiLU should see both rails"
    arg = rails["exp_arg0"]
    inside, below = ((arg < 0) & (arg > -15)).mean(), (arg < -15).mean()
    assert inside > 0.3 and below > 0.05, f"rails: layer 0 exp arguments {inside:.0%} in the table, {below:.0%} below it"


def test_unknown_profile_names_the_knob(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DECODER_WEIGHT_PROFILE_ENV, "railz")
    with pytest.raises(ValueError, match=f"{DECODER_WEIGHT_PROFILE_ENV}='railz'.*typical, rails"):
        weight_profile()


def test_profile_needs_one_multiplier_per_layer() -> None:
    with pytest.raises(ValueError, match="one multiplier per layer"):
        scaled_weights(tiny_weights(SMALL, SEED), WeightProfile(rms=(1.0,), qk=(1.0,), matrices=(1.0,), rms_final=1.0))
