"""Optional Fmax estimate: synth_ice40 + nextpnr-ice40 place-and-route on an HX8K.

An iCE40 is far slower than an UltraScale+ part, so the number is a relative measure of
logic depth across commits, not a prediction for the Xilinx target. Designs that do not
fit (or when nextpnr-ice40 is not installed) get `status: "not available"` and a reason.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from .child import run_measured
from .script import render_script
from .tops import SynthTop
from .yosys_output import YosysOutputError, read_stat_json

DEVICE = "hx8k"
PACKAGE = "ct256"
# HX8K capacity: logic cells and 4 kbit block RAMs (EBR); multipliers have no hard block.
CAPACITY = {"SB_LUT4": 7680, "SB_DFF*": 7680, "SB_RAM40_4K": 32}
_FMAX = re.compile(r"Max frequency for clock\s+'([^']+)':\s+([\d.]+) MHz")


def nextpnr_binary() -> str | None:
    """nextpnr-ice40 to run: $NEXTPNR_ICE40, else the one on PATH (None: not installed)."""
    return os.environ.get("NEXTPNR_ICE40") or shutil.which("nextpnr-ice40")


def _not_available(reason: str, **extra: object) -> dict:
    return {"status": "not available", "reason": reason, **extra}


def _usage(stat_path: Path) -> dict[str, int]:
    by_type = read_stat_json(stat_path).get("design", {}).get("num_cells_by_type", {})
    return {"SB_LUT4": by_type.get("SB_LUT4", 0),
            "SB_DFF*": sum(n for t, n in by_type.items() if t.startswith("SB_DFF")),
            "SB_RAM40_4K": by_type.get("SB_RAM40_4K", 0)}


def ice40_fmax(top: SynthTop, workdir: Path, yosys: str, *, timeout_s: float,
               repo_root: Path) -> dict:
    """Fmax (MHz) reported by nextpnr-ice40 for `top` on an HX8K, or why there is none."""
    nextpnr = nextpnr_binary()
    if not nextpnr:
        return _not_available("nextpnr-ice40 not installed (apt-get install nextpnr-ice40)")
    netlist = workdir / "ice40.json"
    script = workdir / "synth_ice40.ys"
    script.write_text(render_script("synth_ice40.ys", top, json=netlist.name))
    syn = run_measured([yosys, "-q", "-l", "ice40_yosys.log", "-s", script.name],
                       workdir, workdir / "ice40_yosys.out", timeout_s)
    if syn.returncode != 0 or syn.timed_out:
        return _not_available("synth_ice40 failed" + (" (timeout)" if syn.timed_out else ""),
                              log=str(workdir / "ice40_yosys.log"))
    try:
        usage = _usage(workdir / "ice40_stat.json")
    except YosysOutputError as exc:
        return _not_available(f"no iCE40 cell statistics: {exc}")
    over = {k: f"{usage[k]} > {cap}" for k, cap in CAPACITY.items() if usage[k] > cap}
    if over:
        return _not_available(f"does not fit an iCE40 {DEVICE.upper()}: "
                              + ", ".join(f"{k} {v}" for k, v in over.items()), usage=usage)
    target_mhz = 1000.0 / top.clock_period_ns if top.clock_period_ns else 100.0
    pnr_log = workdir / "nextpnr.log"
    pnr = run_measured([nextpnr, f"--{DEVICE}", "--package", PACKAGE, "--json", netlist.name,
                        "--freq", f"{target_mhz:g}", "--seed", "1", "--quiet", "--log", pnr_log.name],
                       workdir, workdir / "nextpnr.out", timeout_s)
    text = pnr_log.read_text(errors="replace") if pnr_log.exists() else ""
    found = _FMAX.findall(text)
    if not found:
        reason = ("nextpnr-ice40 timed out" if pnr.timed_out
                  else "nextpnr-ice40 reported no register-to-register clock path")
        if pnr.returncode != 0 and not pnr.timed_out:
            reason = f"nextpnr-ice40 failed (exit {pnr.returncode})"
        return _not_available(reason, usage=usage)
    clk, mhz = found[-1]  # the final (post-route) timing report comes last
    return {"status": "ok", "device": f"iCE40 {DEVICE.upper()}", "clock": clk,
            "fmax_mhz": float(mhz), "target_mhz": target_mhz, "usage": usage,
            "wall_s": round(syn.wall_s + pnr.wall_s, 2),
            "peak_rss_mib": round(max(syn.peak_rss_mib, pnr.peak_rss_mib), 1)}
