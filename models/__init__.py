"""Golden models for llama-dv: float references and bit-exact fixed-point twins.

The numerics are defined in docs/numerics.md; `llama_dv.models.numerics` implements each rule once.
"""
