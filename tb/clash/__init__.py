"""Clash-generated tops: manifest binding, the valid/ready agent, the decoder role map
and the unit env base; the envs themselves are folders under `tb/envs/`."""
