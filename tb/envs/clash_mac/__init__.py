"""Env of the shared MAC engine top `mac_matvec` (M2): ROMs, directed requests,
scoreboard, coverage and env, one module each (docs/dv/clash-units.md)."""
