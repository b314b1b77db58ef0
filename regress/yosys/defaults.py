"""Per-top settings of the default run (`make synth` with no --top), each with its reason.

The default run should finish within 15 minutes on a 2-core machine; since the decoder's
arithmetic was pipelined for the clock it does not (the decoder alone takes about 28
CPU-minutes, `DEFAULT_CPU_BUDGET_S` in flow.py). Yosys' SAT-based
`share` pass is what blows that budget on the big Clash tops; it looks for multiplexed
use of arithmetic units, and these tops already share by construction (the decoder's
one MAC, the attention tops' one score datapath per cycle), so the pass has little to
find there. Explicit `--share` or `--share-top` options override these. The decoder
has its attention step synthesized in a run of its own (`SPLIT_PER_TOP`).
"""
from __future__ import annotations

SHARE_PER_TOP: dict[str, str] = {
    "attend_seq_hd8": "none",
    "attend_seq_hd16": "none",
    "online_softmax_step": "none",
    "mac_matvec": "none",
    "argmax_vocab": "none",
    "decoder_small": "none",
    "decoder_prefill": "none",
}
"""Share mode per top when neither --share nor --share-top names one (else `full`)."""

SKIPPED_BY_DEFAULT: dict[str, str] = {
    "attend_head_hd8": ("combinational full-window attention (the pre-M1 reference design): "
                        "more than 15 min and 5 GiB in yosys; run it with --top attend_head_hd8"),
    "attend_seq_hd8": ("HeadDim-8 twin of attend_seq_hd16, whose figures the M1 sign-off reads; "
                       "3 CPU-min that would push the default run past 15 minutes; "
                       "run it with --top attend_seq_hd8"),
    "decoder_prefill": ("the M4 prefill wavefront (two layer stages and a head stage, each with the "
                        "decoder's datapath): no sign-off reads it, and with the decoder it does not fit "
                        "the 15-minute run (over 7 CPU-min and 4 GiB in `share` alone); "
                        "run it with --top decoder_prefill"),
}
"""Tops left out of the default run, with the reason recorded in the summary."""

DFF_INFERENCE_PER_TOP: dict[str, str] = {}
"""Flip-flop clock-enable/sync-reset inference per top when no --dff-inference-top names
one (else "on"). "off" runs every `opt` of the flow as `opt -nodffe -nosdff`: enables and
resets then stay as LUT logic in front of the FDRE D inputs (a 16-bit register with reset
and enable: LUT4 -> LUT6 per bit, tests/test_yosys_flow.py), and a ROM read under an
enable keeps its output register outside the memory, so it cannot map to block RAM.
The first decoder needed "off" (its 19,415-bit state register kept `opt_dff` busy for
more than 11 CPU-minutes); the current one, with narrow state, does not."""

SPLIT_PER_TOP: dict[str, tuple[str, ...]] = {
    "decoder_small": ("attStep", "siluPipe", "ropeMul", "normInv"),
    "decoder_prefill": ("attStep",),
}
"""Components (module-name parts) synthesized in a yosys run of their own before the top,
whose run keeps them as black boxes and joins their mapped netlists before the figures.

decoder_small: the online-softmax step (`attStep`: 51 multipliers and 105 barrel
shifters of 64-bit values, most of the decoder's logic) maps in 230-240 CPU-s on its
own; left in the decoder's run it kept yosys 0.23's generic `techmap` busy past 14
CPU-minutes. Since the decoder's arithmetic was pipelined (stage components of SiLU's
expF, RoPE's products, 1/sqrt) its top run ran out of 1500 CPU-s in `techmap` with
`attStep` alone split out; with these four split out the whole decoder took 1681 CPU-s
(5.9 GiB peak). decoder_prefill has two instances of `attStep` (its layer stages)."""

PNR_BY_DEFAULT: frozenset[str] = frozenset({"rmsnorm", "rope"})
"""Tops the default run places and routes on the open family (regress/yosys/pnr.py) for
the measured Fmax cross-check: the ones that take well under a CPU-minute. The others
would blow the 15-minute run (mac_matvec: 205 CPU-s of nextpnr-ecp5 alone, 7 minutes of
wall time on a loaded machine; the decoder far more); `--fmax` places every top,
`--no-pnr` none."""
