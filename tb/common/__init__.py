"""Pieces every env shares: scoreboard base, coverage helpers and merge, bounded waits,
seeding, protocol errors and the test knobs (`llama_dv.tb.common.knobs`). Import the submodule
you need; the package itself imports nothing, so the light ones (the knobs, read by the
regression planner and `llama-dv run`) do not pull in cocotb and pyuvm."""
