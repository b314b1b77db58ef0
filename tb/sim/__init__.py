"""Simulator plumbing: toolchain checks (toolchain) and the cocotb build/run wrapper (runner)."""
