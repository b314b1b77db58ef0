"""Synthesize tops with yosys, each in its own work directory, and write `<top>.json`.

A top that fails (syntax error, unmappable memory, timeout) gets a report with
`status: failed` and the tail of its log; the other tops run on regardless.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from .child import run_measured
from .ice40 import ice40_fmax
from .meminit import MemInitError, stage_mem_inits
from .script import render_script
from .summary import write_summary
from .tops import SynthTop
from .xilinx_report import build_report, sequential_selection
from .yosys_output import YosysOutputError, first_error

REPORT_SCHEMA = "llama-dv-synth/1"
DEFAULT_TIMEOUT_S = 900.0
LOG_TAIL_LINES = 20
# yosys `share` (SAT-based resource sharing) in synth_xilinx's coarse step: "full" is the
# stock flow; "fast" limits the SAT problems; "none" skips it (big Clash tops).
SHARE_COMMANDS = {"full": "share", "fast": "share -fast", "none": ""}


def yosys_binary() -> str:
    """The yosys to run: $YOSYS, else the one on PATH."""
    exe = os.environ.get("YOSYS") or shutil.which("yosys")
    if not exe:
        raise FileNotFoundError("yosys not found: install Debian's yosys (make setup) or set $YOSYS")
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
                   timeout_s: float = DEFAULT_TIMEOUT_S, fmax: bool = False,
                   share: str = "full") -> dict:
    """Run the Xilinx flow (and the optional iCE40 Fmax estimate) on one top; write its JSON."""
    if share not in SHARE_COMMANDS:
        raise ValueError(f"share mode {share!r} is not one of {', '.join(SHARE_COMMANDS)}")
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
                   "share": share, "tool": yosys_version(exe)},
        "clock_period_ns": top.clock_period_ns,
        "log": _rel(log, repo_root),
    }
    try:
        inits = stage_mem_inits(list(top.sources), top.source_dir, workdir)
    except (MemInitError, OSError) as exc:
        report.update(status="failed", error=str(exc), log_tail=[])
        return _write(report, out_dir)
    report["mem_init_files"] = [m.as_json() for m in inits]
    script = workdir / "synth_xilinx.ys"
    script.write_text(render_script("synth_xilinx.ys", top, sequential_cells=sequential_selection(),
                                    share_cmd=SHARE_COMMANDS[share]))
    res = run_measured([exe, "-q", "-l", log.name, "-s", script.name], workdir,
                       workdir / "yosys.out", timeout_s)
    report["run"] = {"wall_s": round(res.wall_s, 2), "peak_rss_mib": round(res.peak_rss_mib, 1),
                     "returncode": res.returncode, "timeout_s": timeout_s}
    log_text = log.read_text(errors="replace") if log.exists() else ""
    if res.timed_out or res.returncode != 0:
        reason = (f"timed out after {timeout_s:.0f} s" if res.timed_out
                  else first_error(log_text) or f"yosys exited with {res.returncode}")
        report.update(status="failed", error=reason,
                      log_tail=_tail(log) or _tail(workdir / "yosys.out"))
        report["fmax_ice40"] = {"status": "not available", "reason": "Xilinx synthesis failed"}
        return _write(report, out_dir)
    try:
        report.update(build_report(workdir, log_text, top.name, list(top.sources)))
    except (YosysOutputError, KeyError, ValueError) as exc:
        report.update(status="failed", error=f"cannot read yosys results: {exc}", log_tail=_tail(log))
        return _write(report, out_dir)
    report["status"] = "ok"
    report["fmax_ice40"] = (ice40_fmax(top, workdir, exe, timeout_s=timeout_s, repo_root=repo_root)
                            if fmax else {"status": "not available", "reason": "not requested (--fmax)"})
    return _write(report, out_dir)


def _write(report: dict, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{report['top']}.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def synthesize_all(tops: list[SynthTop], out_dir: Path, repo_root: Path, *, jobs: int = 2,
                   timeout_s: float = DEFAULT_TIMEOUT_S, fmax: bool = False, share: str = "full",
                   progress: Callable[[dict], None] | None = None) -> dict:
    """Synthesize `tops` with `jobs` yosys processes at once; return the summary dict."""
    start = time.monotonic()

    def one(top: SynthTop) -> dict:
        try:
            rep = synthesize_top(top, out_dir, repo_root, timeout_s=timeout_s, fmax=fmax,
                                 share=share)
        except Exception as exc:  # a broken top must not stop the others
            rep = _write({"schema": REPORT_SCHEMA, "top": top.name, "kind": top.kind,
                          "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                          "log_tail": []}, out_dir)
        if progress:
            progress(rep)
        return rep

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        reports = list(pool.map(one, tops))
    return write_summary(reports, out_dir, wall_s=time.monotonic() - start, jobs=jobs)
