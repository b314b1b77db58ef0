"""The decoder's weight files for synthesis: a `llama_dv.models.export` of the generated model.

`decoder_small` loads its embedding, weight, exponent and gain ROMs with `$readmemb`
from files that `python -m llama_dv.models.export --format bin` writes; the Clash build does not
keep them. Synthesizing with the real quantized weights (rather than synthetic contents)
gives the figures of the model the testbench runs. The export is small (a few hundred
kilobytes for the SMALL config) and written once per synthesis run.
"""
from __future__ import annotations

from pathlib import Path

from llama_dv.models.config import named_config
from llama_dv.models.export import write_export
from llama_dv.models.llama_fixed import QuantizedModel
from llama_dv.models.tinymodel import tiny_weights

DEFAULT_CONFIG = "small"
DEFAULT_SEED = 1


def export_weights(out_dir: Path, config: str = DEFAULT_CONFIG, seed: int = DEFAULT_SEED) -> Path:
    """Write the `$readmemb` files of `tiny_weights(config, seed)` under `out_dir`; return
    the directory that holds them (`<out_dir>/weights/<config>-seed<seed>/`)."""
    target = out_dir / "weights" / f"{config}-seed{seed}"
    model = QuantizedModel.from_float(tiny_weights(named_config(config), seed))
    write_export(model.weights, target, formats=("bin",), seed=seed)
    return target
