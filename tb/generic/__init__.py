"""The generic layer: any described DUT verified from its YAML and a golden function.

Users import the stimulus words from here (`from llama_dv.tb.generic import Array, Scalar,
LengthOf, Output`); the env and the stock tests live in llama_dv.tb.generic.env / .tests.
"""
from llama_dv.tb.generic.args import Array, ArgSpec, LengthOf, Output, Scalar

__all__ = ["Array", "ArgSpec", "LengthOf", "Output", "Scalar"]
