"""Env of the argmax row-scan tops `argmax_vocab*` (M3): vocabulary ROM and the vectors
that cover it, scoreboard, coverage and env, one module each (docs/dv/clash-units.md)."""
