"""Golden models for llama-dv: float references and bit-exact fixed-point twins.

The numerics are defined in docs/numerics.md; `models.numerics` implements each rule once.
"""
