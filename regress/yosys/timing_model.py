"""The UltraScale+ delay model of the clock estimate: per-element delays, their sources,
and the pass / marginal / fail bands.

Why a model of our own: no open tool times an UltraScale+ netlist (yosys' `sta` has delays
for 7-series cells only and does not time register-to-register paths on an `xcup`
netlist; `timeest` refuses mapped LUTs; no open placer covers the family). What the mapped
netlist does say exactly is the structure of each register-to-register path: how many
LUTs, carry chains, wide muxes, and whether each DSP48E2 and block RAM uses its pipeline
and output registers. This module turns that structure into nanoseconds with delays from
published figures (cited) and named assumptions; `sta.py` walks the netlist with it.

It is not a Vivado figure: there is no placement, so every routed net is one average hop.
The error band (ERROR_BAND) says how far a real place-and-route may land from it.
docs/synthesis.md ("Clock estimate") explains the model, its calibration and its margin.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Delays:
    """Nanoseconds per element, UltraScale+ speed grade -2 (the grade the plan's "modern
    FPGA" at >= 200 MHz is judged on). Each field says where its figure comes from."""

    lut: float = 0.09
    """LUT1..LUT6 logic delay. Source: a Vivado UltraScale+ timing path shows about 90 ps
    per LUT6 (issue #16's anchor; Vivado reports 0.04-0.15 ns depending on the input pin)."""
    net: float = 0.40
    """One routed net hop (driver to load, fanout <= NET_FANOUT_FREE). Source: the same
    Vivado UltraScale+ path, about 400 ps per net hop. Assumption: every hop is average;
    placement can make it 0.2-0.6 ns (that spread is most of ERROR_BAND)."""
    net_fanout_step: float = 0.10
    """Extra net delay per doubling of fanout above NET_FANOUT_FREE, at most
    NET_FANOUT_CAP. Assumption (high-fanout nets are slower; Vivado replicates drivers,
    which the cap stands for)."""
    net_local: float = 0.05
    """A connection inside a slice: LUT to CARRY8 S/DI, LUT or MUXF7 to MUXF7/8/9.
    Assumption (dedicated wires, no general routing)."""
    muxf: float = 0.10
    """MUXF7/MUXF8/MUXF9 data or select to output. Assumption (Vivado: 0.08-0.12 ns)."""
    carry_entry: float = 0.20
    """CARRY8 S/DI input to the carry of that bit. Assumption (Vivado: 0.1-0.25 ns)."""
    carry_bit: float = 0.005
    """Carry propagation per bit inside and between CARRY8 (0.04 ns per CARRY8, dedicated
    cascade without a routed hop). Assumption (Vivado CI->CO[7]: 0.03-0.05 ns)."""
    carry_sum: float = 0.10
    """Carry into a bit to its O (sum) output. Assumption."""
    ff_clk_to_q: float = 0.08
    """FDRE/FDSE/FDCE/FDPE clock to Q. Assumption (Vivado UltraScale+: about 0.08 ns)."""
    ff_setup: float = 0.05
    """Flip-flop D setup. Assumption (Vivado UltraScale+: 0.03-0.07 ns)."""
    ff_setup_ctrl: float = 0.15
    """Flip-flop CE / SR (R, S, CLR, PRE) setup. Assumption (control pins set up later)."""
    clock_margin: float = 0.15
    """Clock skew plus uncertainty taken off every period. Assumption."""
    dsp_mult: float = 1.29
    """DSP48E2 multiplier stage, input register to MREG. Source: DS923, DSP48E2 Fmax fully
    pipelined 775 MHz at -2 (645 at -1): 1/775 MHz = 1.29 ns per internal stage."""
    dsp_alu: float = 1.15
    """DSP48E2 ALU stage, MREG (or C/PCIN) to PREG. Source: DS923, DSP48E2 without MREG
    410 MHz at -2 (338 at -1): 1/410 MHz = 2.44 ns from input register to PREG, less the
    multiplier stage above."""
    dsp_clk_to_out: float = 0.45
    """DSP48E2 PREG (or MREG) clock to the P output pins. Assumption."""
    bram_clk_to_out: float = 1.00
    """RAMB18E2/RAMB36E2 clock to DOUT without the output register (DOA_REG/DOB_REG = 0).
    Assumption (UltraScale+ block RAM latch-mode clock-to-out is about 0.9-1.2 ns)."""
    bram_clk_to_out_reg: float = 0.35
    """Block RAM clock to DOUT with the output register. Assumption (about 0.3-0.4 ns)."""
    bram_setup: float = 0.40
    """Block RAM address, data, enable and write-enable setup. Assumption."""
    uram_clk_to_out: float = 1.50
    """URAM288 clock to DOUT without OREG. Assumption."""
    uram_clk_to_out_reg: float = 0.50
    """URAM288 clock to DOUT with OREG. Assumption."""
    lutram_read: float = 0.30
    """LUT RAM (RAM32M/RAM64M/RAMxxXnD/S) read address to output (an asynchronous read
    through the LUT and its muxes). Assumption."""
    lutram_clk_to_out: float = 0.90
    """LUT RAM write clock to output (a write seen by the asynchronous read). Assumption."""
    lutram_setup: float = 0.40
    """LUT RAM write data, address and enable setup. Assumption."""
    srl_clk_to_out: float = 1.00
    """SRL16E/SRLC32E clock to Q. Assumption."""
    port: float = 0.0
    """Top-level ports: the surrounding design is assumed to register them (in-context
    assumption), so an input starts at a register's clock-to-Q and an output ends at a
    register's setup; I/O buffers add nothing, and neither does the hop between a port's
    buffer and the logic (an optimistic simplification; it matters only for tops whose
    worst path runs port to port, such as the purely combinational online_softmax_step)."""


NET_FANOUT_FREE = 16
NET_FANOUT_CAP = 0.60

ERROR_BAND = 0.25
"""The estimate's stated error: a real UltraScale+ implementation of a path is expected
within +-25 % of the estimated delay (routing per hop 0.3-0.55 ns instead of 0.40, LUT
input pin, placement of DSP and block RAM columns, phys_opt replication)."""

DEFAULT_TARGET_MHZ = 200.0
"""The plan's §7 target for the small config: ">= 200 MHz (modern FPGA)"."""


def band(delay_ns: float, period_ns: float) -> str:
    """`pass` when the estimate meets the period, `marginal` when it misses it by no more
    than the error band (an implementation may or may not close), `fail` beyond that."""
    if delay_ns <= period_ns:
        return "pass"
    if delay_ns <= period_ns * (1.0 + ERROR_BAND):
        return "marginal"
    return "fail"


def lut_levels_at(period_ns: float, d: Delays = Delays()) -> dict[str, int]:
    """The bands in LUT levels for a plain register-to-register LUT path (flip-flop to
    flip-flop, every net an average hop): the rule of thumb the model reproduces
    (at 200 MHz: <= 8 pass, 9-11 marginal, >= 12 fail)."""
    fixed = d.ff_clk_to_q + d.net + d.ff_setup + d.clock_margin
    per_level = d.lut + d.net
    levels = {"pass": 0, "marginal": 0}
    for n in range(1, 200):
        b = band(fixed + n * per_level, period_ns)
        if b in levels:
            levels[b] = n
    return levels


def describe(d: Delays = Delays()) -> dict:
    """The model's constants as recorded in every report (so a figure says what made it)."""
    return {"speed_grade": "-2", "delays_ns": asdict(d), "net_fanout_free": NET_FANOUT_FREE,
            "net_fanout_cap_ns": NET_FANOUT_CAP, "error_band": ERROR_BAND}
