"""Synthesize tops with yosys, each in its own work directory, and write `<top>.json`.

A top that fails (syntax error, unmappable memory, timeout) gets a report with
`status: failed` and the tail of its log; the other tops run on regardless.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Sequence

from llama_dv.tb.sim.toolchain import yosys_executable

from .child import ChildResult, run_measured
from .console import SynthConsole
from .history import append_history, git_commit, plot_history, read_history
from .meminit import MemInitError, stage_mem_inits
from .pnr import pnr_fmax
from .script import render_script
from .sta import NetlistError, estimate_clock
from .summary import write_summary
from .timing_model import DEFAULT_TARGET_MHZ
from .tops import SynthTop
from .weights import export_weights
from .xilinx_report import POLICY_ATTRIBUTE, build_report, sequential_selection
from .yosys_output import YosysOutputError, first_error

REPORT_SCHEMA = "llama-dv-synth/1"
# Budgets: CPU seconds per top (yosys and its abc processes, all runs of a split top
# together); wall time only as a generous outer bound against a hung process. The decoder
# needs about 1700 CPU-s since its arithmetic was pipelined (640 before); on a shared
# 2-core machine its wall time can be several times that (2594 s at load 3).
DEFAULT_CPU_BUDGET_S = 3600.0
DEFAULT_TIMEOUT_S = 7200.0
LOG_TAIL_LINES = 20
# yosys `share` (SAT-based resource sharing) in synth_xilinx's coarse step: "full" is the
# stock flow; "fast" limits the SAT problems; "none" skips it (big Clash tops).
SHARE_COMMANDS = {"full": "share", "fast": "share -fast", "none": ""}
# Memories at least this many bits wide go to block RAM unless the RTL gives a style: a
# 64-row weight ROM or KV cache would otherwise become LUTs (yosys' cost model favours
# distributed memory at that depth), which is not where the architecture keeps them.
DEFAULT_BLOCK_RAM_MIN_WIDTH = 64
# ... and so do memories at least this many words deep: a 1024-row table (mac_matvec's
# row exponents) is one RAMB18 but some hundred LUTs and a mux tree as distributed ROM,
# and its depth grows with the model.
DEFAULT_BLOCK_RAM_MIN_DEPTH = 1024
# Flip-flop clock-enable and sync-reset inference in the flow's `opt` passes (`opt_dff`):
# "on" is the stock flow; "off" runs them as `opt -nodffe -nosdff` (see defaults.py).
DFF_INFERENCE_FLAGS = {"on": "", "off": "-nodffe -nosdff"}
# A component synthesized in a yosys run of its own (`split`) is mapped without I/O pads
# or clock buffers: it is joined into its top's netlist, which has them.
COMPONENT_FLAGS = "-noiopad -noclkbuf "
COMPONENT_NETLIST = "component.il"
# The mapped top-level netlist the clock estimate reads (regress/yosys/sta.py).
MAPPED_NETLIST = "mapped.json"


def split_modules(top: SynthTop, parts: Sequence[str]) -> list[str]:
    """Names of the modules in `top`'s sources that contain one of `parts` (any case):
    the components to synthesize in runs of their own."""
    names: set[str] = set()
    for src in top.sources:
        for m in re.finditer(r"^\s*module\s+([A-Za-z_][\w$]*)", src.read_text(errors="replace"), re.M):
            if m.group(1) != top.name and any(p.lower() in m.group(1).lower() for p in parts):
                names.add(m.group(1))
    missing = [p for p in parts if not any(p.lower() in n.lower() for n in names)]
    if missing:
        raise ValueError(f"top {top.name}: no module matching {', '.join(missing)} to synthesize on its own")
    return sorted(names)


def block_ram_policy(min_width: int, min_depth: int = 0) -> str:
    """Yosys commands marking `$mem_v2` cells of >= `min_width` bits per word or >=
    `min_depth` words for block RAM (0 turns a rule off; none when both are 0); a memory
    with its own ram_style/rom_style is left alone."""
    limits = [("width", "WIDTH", min_width), ("depth", "SIZE", min_depth)]
    for what, _, value in limits:
        if value < 0:
            raise ValueError(f"block RAM minimum {what} must be >= 0, got {value}")
    active = [(what, param, value) for what, param, value in limits if value]
    if not active:
        return ""
    union = " ".join(f"t:$mem_v2 r:{param}>={value} %i" for _, param, value in active)
    union += " %u" * (len(active) - 1)
    label = ",".join(f"{what}>={value}" for what, _, value in active)
    return (f"select -set policy_memories {union} a:ram_style %d a:rom_style %d\n"
            'setattr -set ram_style "block" @policy_memories\n'
            f'setattr -set {POLICY_ATTRIBUTE} "{label}" @policy_memories')


def yosys_binary() -> str:
    """The yosys to run: $YOSYS, else the venv's llama-dv-yosys (the pinned pyosys)."""
    exe = yosys_executable()
    if not exe:
        raise FileNotFoundError("yosys not found: `make setup` installs the pyosys package and "
                                "llama-dv-yosys into the venv; or set $YOSYS to a yosys executable")
    return exe


def yosys_version(exe: str) -> str:
    out = subprocess.run([exe, "-V"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or out.stderr.strip()


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _tail(path: Path, n: int = LOG_TAIL_LINES) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-n:]
    except OSError:
        return []


def synthesize_top(top: SynthTop, out_dir: Path, repo_root: Path, *,
                   timeout_s: float = DEFAULT_TIMEOUT_S, cpu_budget_s: float = DEFAULT_CPU_BUDGET_S,
                   pnr_family: str | None = None, status: dict | None = None,
                   target_mhz: float = DEFAULT_TARGET_MHZ,
                   share: str = "full", block_ram_min_width: int = DEFAULT_BLOCK_RAM_MIN_WIDTH,
                   block_ram_min_depth: int = DEFAULT_BLOCK_RAM_MIN_DEPTH,
                   dff_inference: str = "on", export_dirs: tuple[Path, ...] = (),
                   split: tuple[str, ...] = ()) -> dict:
    """Run the Xilinx flow, its clock estimate and, when `pnr_family` names one (`ecp5`,
    `ice40`), the place-and-route Fmax cross-check on that open family; write its JSON.

    `target_mhz` is the clock the estimate (`timing`, regress/yosys/sta.py) is judged
    against. `cpu_budget_s` is the CPU-time budget of all yosys runs of the top together,
    `timeout_s` their wall-time outer bound (0: none); `status` follows the CPU time of the
    running process for progress lines (`child.run_measured`).

    `export_dirs` are searched for `$readmem` files after the sources' own directory.
    `split` names components (module-name parts) that are each synthesized first in a
    yosys run of their own, then joined as mapped netlists into the top's run, which keeps
    them as black boxes until then; figures are those of the joined, flattened netlist
    (the pre-mapping census and memory list come from the top's run, so a split
    component must hold no memory)."""
    if share not in SHARE_COMMANDS:
        raise ValueError(f"share mode {share!r} is not one of {', '.join(SHARE_COMMANDS)}")
    if dff_inference not in DFF_INFERENCE_FLAGS:
        raise ValueError(f"flip-flop enable/reset inference {dff_inference!r} is not one of "
                         f"{', '.join(DFF_INFERENCE_FLAGS)}")
    exe = yosys_binary()
    workdir = out_dir / "work" / top.name
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    log = workdir / "yosys.log"
    report: dict = {
        "schema": REPORT_SCHEMA, "top": top.name, "kind": top.kind,
        "sources": [_rel(s, repo_root) for s in top.sources],
        "parameters": dict(top.parameters),
        "target": {"flow": "synth_xilinx -family xcup -flatten", "family": "xcup",
                   "share": share, "block_ram_min_width": block_ram_min_width,
                   "block_ram_min_depth": block_ram_min_depth,
                   "dff_inference": dff_inference, "split": [],
                   "tool": yosys_version(exe)},
        "clock_period_ns": top.clock_period_ns,
        "log": _rel(log, repo_root),
    }
    try:
        snap = snapshot_sources(top, workdir)
        report["source_sha256"] = {s.name: _sha256(s) for s in snap.sources}
        inits = stage_mem_inits(list(snap.sources), top.source_dir, workdir, export_dirs)
    except (MemInitError, OSError, ValueError) as exc:
        report.update(status="failed", error=str(exc), log_tail=[])
        return _write(report, out_dir)
    report["mem_init_files"] = [m.as_json() for m in inits]
    try:
        components = split_modules(snap, split) if split else []
    except (OSError, ValueError) as exc:
        report.update(status="failed", error=str(exc), log_tail=[])
        return _write(report, out_dir)
    report["target"]["split"] = components

    def script_for(name: str, component: bool) -> str:
        join = "".join(f"read_rtlil -overwrite components/{c}/{COMPONENT_NETLIST}\n" for c in components)
        return render_script(
            "synth_xilinx.ys", dataclasses.replace(snap, name=name, parameters={} if component else snap.parameters),
            sequential_cells=sequential_selection(), share_cmd=SHARE_COMMANDS[share],
            dff_opt_flags=DFF_INFERENCE_FLAGS[dff_inference],
            block_ram_policy=block_ram_policy(block_ram_min_width, block_ram_min_depth),
            component_flags=COMPONENT_FLAGS if component else "",
            split_blackbox="" if component else "".join(f"blackbox {c}\n" for c in components),
            split_join="" if component or not components else f"{join}hierarchy -top {name}\nflatten",
            netlist_cmd="" if component else f"write_json -noscopeinfo {MAPPED_NETLIST}",
            component_tail=f"select {name}\nwrite_rtlil -selected {COMPONENT_NETLIST}" if component else "")

    runs, step_log = [], log
    for name in components:
        cdir = workdir / "components" / name
        cdir.mkdir(parents=True)
        for m in inits:  # the component's run reads every source, memory files included
            shutil.copyfile(workdir / m.file, cdir / m.file)
        (cdir / "synth_xilinx.ys").write_text(script_for(name, component=True))
        runs.append(run_measured([exe, "-q", "-l", "yosys.log", "-s", "synth_xilinx.ys"], cdir,
                                 cdir / "yosys.out", *_left(runs, timeout_s, cpu_budget_s),
                                 status=status))
        if runs[-1].timed_out or runs[-1].returncode != 0:
            step_log = cdir / "yosys.log"
            break
    else:
        script = workdir / "synth_xilinx.ys"
        script.write_text(script_for(top.name, component=False))
        runs.append(run_measured([exe, "-q", "-l", log.name, "-s", script.name], workdir,
                                 workdir / "yosys.out", *_left(runs, timeout_s, cpu_budget_s),
                                 status=status))
    res = runs[-1]
    report["run"] = {"wall_s": round(sum(r.wall_s for r in runs), 2),
                     "cpu_s": round(sum(r.cpu_s for r in runs), 2),
                     "peak_rss_mib": round(max(r.peak_rss_mib for r in runs), 1),
                     "returncode": res.returncode, "timeout_s": timeout_s,
                     "cpu_budget_s": cpu_budget_s, "killed_by": res.limit}
    log_text = step_log.read_text(errors="replace") if step_log.exists() else ""
    if res.timed_out or res.returncode != 0:
        where = "" if step_log == log else f"component {step_log.parent.name}: "
        total = dataclasses.replace(res, wall_s=report["run"]["wall_s"], cpu_s=report["run"]["cpu_s"])
        reason = where + (total.limit_message(cpu_budget_s, timeout_s) if res.timed_out
                          else first_error(log_text) or f"yosys exited with {res.returncode}")
        report.update(status="failed", error=reason,
                      log_tail=_tail(step_log) or _tail(step_log.parent / "yosys.out"))
        report["fmax_pnr"] = {"status": "not available", "reason": "Xilinx synthesis failed"}
        return _write(report, out_dir)
    try:
        report.update(build_report(workdir, log_text, top.name, list(snap.sources)))
    except (YosysOutputError, KeyError, ValueError) as exc:
        report.update(status="failed", error=f"cannot read yosys results: {exc}", log_tail=_tail(log))
        return _write(report, out_dir)
    try:
        started = time.monotonic()
        report["timing"] = estimate_clock(workdir / MAPPED_NETLIST, target_mhz)
        report["timing"]["analysis_s"] = round(time.monotonic() - started, 2)
    except (NetlistError, KeyError, TypeError, ValueError) as exc:  # figures stand without it
        report["timing"] = {"fmax_mhz": None, "band": "not available",
                            "reason": f"clock estimate failed: {type(exc).__name__}: {exc}"}
    report["status"] = "ok"
    report["fmax_pnr"] = (pnr_fmax(snap, workdir, exe, timeout_s=timeout_s, cpu_budget_s=cpu_budget_s,
                                   target_mhz=target_mhz, family_name=pnr_family, status=status)
                          if pnr_family else {"status": "not available", "reason": "not requested"})
    return _write(report, out_dir)


def _left(runs: Sequence[ChildResult], timeout_s: float, cpu_budget_s: float) -> tuple[float, float]:
    """(wall bound, CPU budget) left for the next run of a top after `runs` (a limit of 0
    stays 0: off; a used-up limit leaves a token amount so the next run stops at once)."""
    wall = max(timeout_s - sum(r.wall_s for r in runs), 0.01) if timeout_s > 0 else 0.0
    cpu = max(cpu_budget_s - sum(r.cpu_s for r in runs), 0.01) if cpu_budget_s > 0 else 0.0
    return wall, cpu


def snapshot_sources(top: SynthTop, workdir: Path) -> SynthTop:
    """`top` reading copies of its sources in `workdir/src/`: yosys and the report then see
    the same text even when the RTL is regenerated while synthesis runs."""
    dest = workdir / "src"
    dest.mkdir(parents=True, exist_ok=True)
    copies = []
    for src in top.sources:
        copy = dest / src.name
        if copy.exists():
            raise ValueError(f"top {top.name}: two sources named {src.name} ({src})")
        shutil.copyfile(src, copy)
        copies.append(copy)
    return dataclasses.replace(top, sources=tuple(copies))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(report: dict, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{report['top']}.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def synthesize_all(tops: list[SynthTop], out_dir: Path, repo_root: Path, *, jobs: int = 2,
                   timeout_s: float = DEFAULT_TIMEOUT_S, cpu_budget_s: float = DEFAULT_CPU_BUDGET_S,
                   pnr_per_top: Mapping[str, str] | None = None, share: str = "full",
                   target_mhz: float = DEFAULT_TARGET_MHZ,
                   block_ram_min_width: int = DEFAULT_BLOCK_RAM_MIN_WIDTH,
                   block_ram_min_depth: int = DEFAULT_BLOCK_RAM_MIN_DEPTH,
                   share_per_top: Mapping[str, str] | None = None,
                   dff_inference_per_top: Mapping[str, str] | None = None,
                   split_per_top: Mapping[str, tuple[str, ...]] | None = None,
                   skipped: Mapping[str, str] | None = None,
                   progress: SynthConsole | None = None) -> dict:
    """Synthesize `tops` with `jobs` yosys processes at once; return the summary dict.

    `share_per_top` overrides `share` for the tops it names, `dff_inference_per_top` the
    flip-flop enable/reset inference (default "on") likewise, `split_per_top` names the
    components synthesized in runs of their own (`synthesize_top`'s `split`); `skipped` (top -> reason) is
    recorded in the summary; `pnr_per_top` names the tops that get the place-and-route
    cross-check and the family; `progress` gets a call when each top starts and finishes.
    The decoder's weight files
    (`weights.export_weights`) are written once into `out_dir` for every top to find."""
    start = time.monotonic()
    export_dirs = (export_weights(out_dir),)
    overrides = dict(share_per_top or {})
    dff_overrides = dict(dff_inference_per_top or {})

    def one(top: SynthTop) -> dict:
        status: dict = {}
        if progress:
            progress.started(top.name, status)
        try:
            rep = synthesize_top(top, out_dir, repo_root, timeout_s=timeout_s,
                                 cpu_budget_s=cpu_budget_s, status=status,
                                 pnr_family=(pnr_per_top or {}).get(top.name),
                                 target_mhz=target_mhz,
                                 share=overrides.get(top.name, share),
                                 block_ram_min_width=block_ram_min_width,
                                 block_ram_min_depth=block_ram_min_depth,
                                 dff_inference=dff_overrides.get(top.name, "on"),
                                 export_dirs=export_dirs,
                                 split=tuple((split_per_top or {}).get(top.name, ())))
        except Exception as exc:  # a broken top must not stop the others
            rep = _write({"schema": REPORT_SCHEMA, "top": top.name, "kind": top.kind,
                          "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                          "log_tail": []}, out_dir)
        if progress:
            progress.finished(rep)
        return rep

    # Biggest sources first: the longest runs start at once and the short ones fill in.
    by_size = sorted(tops, key=lambda t: -sum(s.stat().st_size for s in t.sources if s.is_file()))
    if progress:
        progress.plan([t.name for t in by_size])
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            done = dict(zip((t.name for t in by_size), pool.map(one, by_size)))
    finally:
        if progress:
            progress.close()
    reports = [done[t.name] for t in tops]
    append_history(out_dir, reports, git_commit(repo_root))
    history = read_history(out_dir)
    plot_history(out_dir, history)
    return write_summary(reports, out_dir, wall_s=time.monotonic() - start, jobs=jobs,
                         skipped=dict(skipped or {}), history=history)
