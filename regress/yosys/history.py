"""Synthesis figures tracked from run to run: a history every `make synth` appends to, a
plot of it, and the figures of the last sign-off that regressions are measured against.

The plan (§6) asks CI to "track BRAM/URAM, FF/LUT, and Fmax regressions". Each run appends
one line per top to `<synth dir>/history.jsonl` (commit, time, resources, estimated and
P&R Fmax, worst path, run time), which also feeds the ETA of the next run. The sign-off's
`synth_regression` criterion compares the current figures with `signed_off.json`, the
figures of the last sign-off whose regression check passed, so a regression stays flagged
until it is fixed or accepted (`python -m llama_dv.regress.yosys --accept-baseline`).
"""
from __future__ import annotations

import datetime as _dt
import json
import subprocess
from pathlib import Path
from typing import Iterable, Mapping

HISTORY_FILE = "history.jsonl"
BASELINE_FILE = "signed_off.json"
PLOT_FILE = "history.png"
TRACKED = ("lut", "ff", "dsp", "bram", "uram", "fmax_estimate", "worst_path_ns", "fmax_pnr")
"""Figures kept per run; the sign-off's regression limits name these."""


def git_commit(repo_root: Path) -> str | None:
    """Short commit of the checkout (with `+dirty` when it has changes), None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo_root, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo_root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def figures(report: Mapping) -> dict[str, float | None]:
    """The tracked figures of one top's report (None where the run has no such figure)."""
    res = report.get("resources") or {}
    timing = report.get("timing") or {}
    path = timing.get("worst_path") or {}
    return {"lut": res.get("lut"), "ff": res.get("ff"), "dsp": res.get("dsp"), "bram": res.get("bram"),
            "uram": res.get("uram"), "fmax_estimate": timing.get("fmax_mhz"),
            "worst_path_ns": path.get("delay_ns"),
            "fmax_pnr": (report.get("fmax_pnr") or {}).get("fmax_mhz")}


def entry(report: Mapping, commit: str | None, when: str) -> dict:
    """One history line: the top, its status, tracked figures, worst path and run times
    (yosys and place-and-route together)."""
    run = report.get("run") or {}
    pnr = report.get("fmax_pnr") or {}
    path = (report.get("timing") or {}).get("worst_path") or {}

    def total(key: str) -> float | None:  # the top's whole time: yosys plus P&R (for the ETA)
        return None if run.get(key) is None else round(run[key] + (pnr.get(key) or 0.0), 2)

    return {"time": when, "commit": commit, "top": report["top"], "status": report.get("status"),
            **figures(report), "band": (report.get("timing") or {}).get("band"),
            "worst_path_sources": list(path.get("sources", []))[:4],
            "wall_s": total("wall_s"), "cpu_s": total("cpu_s"), "peak_rss_mib": run.get("peak_rss_mib")}


def append_history(out_dir: Path, reports: Iterable[Mapping], commit: str | None) -> list[dict]:
    """Append one line per report to `history.jsonl`; return the lines written."""
    when = _dt.datetime.now().isoformat(timespec="seconds")
    lines = [entry(r, commit, when) for r in reports]
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / HISTORY_FILE, "a") as fh:
        for line in lines:
            fh.write(json.dumps(line) + "\n")
    return lines


def read_history(out_dir: Path) -> list[dict]:
    """Every line of `history.jsonl`, oldest first (a damaged line is skipped)."""
    path = out_dir / HISTORY_FILE
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def plot_history(out_dir: Path, history: list[dict]) -> Path | None:
    """`history.png`: LUTs and estimated Fmax of each top over its successful runs (None
    without matplotlib or history)."""
    ok = [h for h in history if h.get("status") == "ok"]
    if not ok:
        return None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=False)
    for top in sorted({h["top"] for h in ok}):
        runs = [h for h in ok if h["top"] == top]
        xs = list(range(len(runs)))
        # A missing (or zero) figure is a gap in the line, not a point at 0.
        axes[0].plot(xs, [h.get("lut") or float("nan") for h in runs], marker="o", label=top)
        axes[1].plot(xs, [h.get("fmax_estimate") or float("nan") for h in runs], marker="o", label=top)
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_yscale("log")
    axes[0].set_ylabel("LUT")
    axes[1].set_ylabel("est. Fmax MHz (UltraScale+ model)")
    axes[1].set_xlabel("run (oldest first)")
    axes[0].legend(fontsize="small", ncol=2)
    axes[0].set_title("Synthesis figures by run (build/synth/history.jsonl)")
    fig.tight_layout()
    path = out_dir / PLOT_FILE
    fig.savefig(path)
    plt.close(fig)
    return path


def history_markdown(history: list[dict], last: int = 5) -> list[str]:
    """Markdown lines: the last `last` runs of each top, for summary.md."""
    if not history:
        return []
    rows = ["", "## History (last runs per top)", "",
            f"From `{HISTORY_FILE}`; plotted in `{PLOT_FILE}`.", "",
            "| top | time | commit | status | LUT | FF | DSP | BRAM | URAM | est. Fmax MHz | P&R Fmax MHz | CPU s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for top in sorted({h["top"] for h in history}):
        for h in [x for x in history if x["top"] == top][-last:]:
            cells = [h.get(k) for k in ("lut", "ff", "dsp", "bram", "uram", "fmax_estimate", "fmax_pnr", "cpu_s")]
            rows.append(f"| {top} | {h.get('time')} | {h.get('commit')} | {h.get('status')} | "
                        + " | ".join("-" if c is None else f"{c:g}" for c in cells) + " |")
    return rows


def load_baseline(synth_dir: Path) -> dict:
    """`signed_off.json`: {"commit", "time", "tops": {top: figures}} or {} when none."""
    path = synth_dir / BASELINE_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_baseline(synth_dir: Path, tops: Mapping[str, Mapping], commit: str | None) -> Path:
    """Record `tops` (top -> figures) as the figures later runs are compared with; tops
    not named keep their earlier baseline."""
    base = load_baseline(synth_dir)
    merged = dict(base.get("tops", {}))
    merged.update({t: dict(f) for t, f in tops.items()})
    data = {"commit": commit, "time": _dt.datetime.now().isoformat(timespec="seconds"), "tops": merged}
    synth_dir.mkdir(parents=True, exist_ok=True)
    path = synth_dir / BASELINE_FILE
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def regressions(current: Mapping[str, float | None], baseline: Mapping[str, float | None],
                max_increase_pct: Mapping[str, float], max_decrease_pct: Mapping[str, float]) -> list[str]:
    """Figures that moved the wrong way by more than their limit (percent of the baseline),
    e.g. `lut 38479 -> 41000 (+6.6 % > 5 %)`; a figure missing on either side is skipped."""
    out = []
    for metric, limit, sign in ([(m, v, +1) for m, v in max_increase_pct.items()]
                                + [(m, v, -1) for m, v in max_decrease_pct.items()]):
        was, now = baseline.get(metric), current.get(metric)
        if was is None or now is None:
            continue
        change = (now - was) / was * 100.0 if was else (0.0 if now == was else float("inf") * sign)
        if sign * change > limit:
            out.append(f"{metric} {was:g} -> {now:g} ({change:+.1f} % {'>' if sign > 0 else '<'} "
                       f"{'+' if sign > 0 else '-'}{limit:g} %)")
    return out
