"""Env of the SMALL Clash decoder (`decoder_small`): weights, items, monitor, driver,
scoreboard, coverage and metrics, one module each; `env.py` composes them
(docs/dv/decoder.md)."""
