"""Per-top settings of the default run (`make synth` with no --top), each with its reason.

The default run has to finish within 15 minutes on a 2-core machine. Yosys' SAT-based
`share` pass is what blows that budget on the big Clash tops; it looks for multiplexed
use of arithmetic units, and these tops already share by construction (the decoder's
one MAC, the attention tops' one score datapath per cycle), so the pass has little to
find there. Explicit `--share` or `--share-top` options override these. The decoder
runs with its flip-flop enable/reset inference off (`DFF_INFERENCE_PER_TOP`) and does
not fit the budget even so (docs/synthesis.md, "Known gap").
"""
from __future__ import annotations

SHARE_PER_TOP: dict[str, str] = {
    "attend_seq_hd8": "none",
    "attend_seq_hd16": "none",
    "online_softmax_step": "none",
    "mac_matvec": "none",
    "argmax_vocab": "none",
    "decoder_small": "none",
}
"""Share mode per top when neither --share nor --share-top names one (else `full`)."""

SKIPPED_BY_DEFAULT: dict[str, str] = {
    "attend_head_hd8": ("combinational full-window attention (the pre-M1 reference design): "
                        "more than 15 min and 5 GiB in yosys; run it with --top attend_head_hd8"),
}
"""Tops left out of the default run, with the reason recorded in the summary."""

DFF_INFERENCE_PER_TOP: dict[str, str] = {
    "decoder_small": "off",
}
"""Flip-flop clock-enable/sync-reset inference per top when no --dff-inference-top names
one (else "on"). "off" runs every `opt` of the flow as `opt -nodffe -nosdff`.

decoder_small: the first decoder registered its whole state as one 19,415-bit register,
and `opt_dff`'s enable and sync-reset inference over its mux trees alone took more than
11 CPU-minutes. The decoder's state is narrow now; inference stays off until a finished
run shows it costs nothing (docs/synthesis.md, "decoder_small"). Off, enables and resets
stay as LUT logic in front of the FDRE D inputs, so the report's `lut` is above what
enable inference would give (a 16-bit register with reset and enable: LUT4 -> LUT6 per
bit, tests/test_yosys_flow.py)."""
