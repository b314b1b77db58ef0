"""Console lines of `llama-dv synth`: one when a top starts and one when it finishes (time,
peak memory, headline figures), an ETA from previous runs, and a heartbeat while long
tops run, so that a ten-minute decoder run never looks like a hang."""
from __future__ import annotations

import sys
import threading
import time
from typing import Mapping, TextIO

from .eta import Expected, minutes, remaining_wall_s


def headline(rep: Mapping) -> str:
    """The figures a reader wants first: resources, the clock estimate, the P&R cross-check."""
    if rep.get("status") != "ok":
        return f"FAILED: {rep.get('error', 'no reason recorded')}"
    r = rep["resources"]
    text = (f"LUT {r['lut']} FF {r['ff']} DSP {r['dsp']} BRAM {r['bram']} URAM {r['uram']}, "
            f"{rep['logic_depth']['luts']} LUT levels")
    est = rep.get("timing") or {}
    if est.get("fmax_mhz") is not None:
        text += f", est. Fmax {est['fmax_mhz']:.0f} MHz ({est.get('band')} at {est.get('target_mhz', 0):g} MHz)"
    pnr = rep.get("fmax_pnr") or {}
    if pnr.get("fmax_mhz") is not None:
        text += (f", {pnr.get('device', 'P&R')} {pnr['fmax_mhz']:.0f} MHz placed and routed "
                 f"({pnr.get('cpu_s', '-')} CPU-s more)")
    elif pnr.get("status") == "not available" and pnr.get("reason") != "not requested":
        text += f", no P&R Fmax ({pnr.get('reason')})"
    return text


def cpu_so_far(status: Mapping) -> float:
    """CPU seconds a running top has used: its finished runs plus the current one."""
    return float(status.get("done_cpu_s", 0.0)) + float(status.get("run_cpu_s", 0.0))


class SynthConsole:
    """Prints progress of one `synthesize_all` run; thread-safe (tops finish in workers)."""

    def __init__(self, expected: Mapping[str, Expected], jobs: int, *, cpu_budget_s: float = 0.0,
                 stream: TextIO = sys.stdout, heartbeat_s: float = 60.0) -> None:
        self.expected = dict(expected)
        self.jobs = jobs
        self.cpu_budget_s = cpu_budget_s
        self.stream = stream
        self.heartbeat_s = heartbeat_s
        self._lock = threading.Lock()
        self._queued: list[str] = []
        self._running: dict[str, tuple[float, dict]] = {}
        self._done = 0
        self._total = 0
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def _print(self, text: str) -> None:
        print(f"synth: {text}", file=self.stream, flush=True)

    def _eta(self) -> str:
        now = time.monotonic()
        left = remaining_wall_s({n: now - t0 for n, (t0, _) in self._running.items()},
                                self._queued, self.expected, self.jobs)
        return f"ETA ~{minutes(left)}" if left is not None else "ETA unknown (a top has no previous run)"

    def plan(self, order: list[str]) -> None:
        """Announce the run: tops in start order, and how long the previous runs took."""
        with self._lock:
            self._queued, self._total = list(order), len(order)
            known = [f"{n} ~{minutes(self.expected[n].wall_s)}" for n in order if n in self.expected]
            self._print(f"{len(order)} top(s), {self.jobs} at a time, CPU budget "
                        f"{self.cpu_budget_s:.0f} CPU-s per top; {self._eta()}"
                        + (f" (previous runs: {', '.join(known)})" if known else ""))
        if self.heartbeat_s > 0:
            self._beat = threading.Thread(target=self._heartbeat, daemon=True)
            self._beat.start()

    def started(self, top: str, status: dict) -> None:
        with self._lock:
            if top in self._queued:
                self._queued.remove(top)
            self._running[top] = (time.monotonic(), status)
            prev = self.expected.get(top)
            before = (f"previous run {prev.cpu_s:.0f} CPU-s, {prev.wall_s:.0f} s wall"
                      if prev else "no previous run")
            self._print(f"[{self._done + len(self._running)}/{self._total}] start {top} ({before}); {self._eta()}")

    def finished(self, rep: Mapping) -> None:
        with self._lock:
            self._running.pop(rep["top"], None)
            self._done += 1
            run = rep.get("run", {})
            self._print(f"[{self._done}/{self._total}] done {rep['top']}: {rep.get('status')} in "
                        f"{run.get('wall_s', '-')} s wall, {run.get('cpu_s', '-')} CPU-s, peak "
                        f"{run.get('peak_rss_mib', '-')} MiB; {headline(rep)}"
                        + (f"; {self._eta()}" if self._queued or self._running else ""))

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            with self._lock:
                if not self._running:
                    continue
                now = time.monotonic()
                parts = []
                for name, (t0, status) in self._running.items():
                    prev = self.expected.get(name)
                    of = f" of ~{prev.cpu_s:.0f}" if prev else ""
                    parts.append(f"{name} {now - t0:.0f} s, {cpu_so_far(status):.0f}{of} CPU-s")
                self._print(f"running: {'; '.join(parts)}; {self._eta()}")

    def close(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
