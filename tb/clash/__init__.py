"""Testbench for the Clash-generated tops: manifest binding, the valid/ready agent,
per-top envs with numpy scoreboards and coverage."""
