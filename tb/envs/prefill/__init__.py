"""Env of the M4 prefill pipeline (`decoder_prefill`): driver, per-layer KV monitors,
wavefront monitor and scoreboard, one module each; `env.py` composes them
(docs/dv/prefill.md)."""
