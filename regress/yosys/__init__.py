"""Yosys synthesis figures for the RTL: resources, memory mapping, multipliers, logic depth,
an UltraScale+ clock estimate of the mapped netlist (`sta`, `timing_model`), a measured
place-and-route Fmax on an open family (`pnr`), and their history across runs (`history`).

`main(argv)` is the command line (`python -m llama_dv.regress.yosys`, `llama-dv synth`);
`check_thresholds(summary, thresholds)` is what the sign-off calls. See docs/synthesis.md.
"""
from __future__ import annotations

from .command import main
from .flow import synthesize_all, synthesize_top
from .thresholds import ThresholdError, Violation, check_thresholds
from .tops import SynthTop, custom_top, discover_tops

__all__ = ["main", "synthesize_all", "synthesize_top", "check_thresholds", "Violation",
           "ThresholdError", "SynthTop", "custom_top", "discover_tops"]
