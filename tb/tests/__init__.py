"""Thin cocotb/pyuvm tests: each picks an env configuration and a sequence."""
