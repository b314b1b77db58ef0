"""Env of the sequential attention tops `attend_seq_hd8`/`_hd16` (M1): KV caches,
scoreboard, coverage and env, one module each (docs/dv/clash-units.md). The
combinational `attend_head_hd8` reference uses the caches of `sequences.py`."""
