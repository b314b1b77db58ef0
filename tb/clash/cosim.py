"""Co-simulation with Clash's own Haskell simulation of a generated top.

`rtl/clash/cosim/CoSim.hs` runs the same Haskell entity the Verilog came from on a
per-cycle stimulus table; this module builds that driver once (cached, file-locked),
writes stimulus, and turns the per-cycle response back into transactions, so tests can
hold the Haskell simulation, the Verilog simulation and the numpy golden to one
standard. The stimulus is open-loop (requests spaced by a generous gap), so every
request is checked to have met `in_ready`; none silently dropped.
"""
from __future__ import annotations

import fcntl
import subprocess
from pathlib import Path
from typing import Sequence

import numpy as np

from tb.clash.manifest import REPO_ROOT

COSIM_DIR = REPO_ROOT / "rtl" / "clash" / "cosim"
SRC_DIR = REPO_ROOT / "rtl" / "clash" / "src"
BIN = REPO_ROOT / "build" / "clash-cosim" / "cosim"


class CoSimError(RuntimeError):
    """The driver failed to build or run, or a request was not accepted."""


def _sources() -> list[Path]:
    return [COSIM_DIR / "CoSim.hs", COSIM_DIR / "build.sh", *sorted(SRC_DIR.rglob("*.hs"))]


def build_driver(timeout_s: float = 1800) -> Path:
    """Compile the driver unless it is newer than every Haskell source."""
    BIN.parent.mkdir(parents=True, exist_ok=True)
    with open(BIN.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        newest = max(p.stat().st_mtime for p in _sources())
        if BIN.exists() and BIN.stat().st_mtime >= newest:
            return BIN
        proc = subprocess.run([str(COSIM_DIR / "build.sh"), str(BIN)], capture_output=True, text=True,
                              timeout=timeout_s, check=False)
        if proc.returncode != 0:
            raise CoSimError(f"building {BIN} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-3000:]}")
    return BIN


def run_driver(top: str, rows: Sequence[Sequence[int]], workdir: Path, timeout_s: float = 600) -> list[list[int]]:
    """Per-cycle outputs of Clash's simulation of `top` for per-cycle input `rows`."""
    binary = build_driver()
    workdir.mkdir(parents=True, exist_ok=True)
    stim, resp = workdir / f"{top}.stim", workdir / f"{top}.resp"
    stim.write_text("".join(" ".join(str(int(v)) for v in r) + "\n" for r in rows))
    proc = subprocess.run([str(binary), top, str(stim), str(resp)], cwd=workdir, capture_output=True,
                          text=True, timeout=timeout_s, check=False)
    if proc.returncode != 0:
        raise CoSimError(f"cosim {top} failed: {proc.stderr[-2000:]}")
    return [[int(v) for v in line.split()] for line in resp.read_text().splitlines()]


def handshakes(rows: Sequence[Sequence[int]], outs: Sequence[Sequence[int]], in_valid_col: int,
               top: str) -> list[list[int]]:
    """Outputs at every out_valid cycle (column 1; out_ready is held high), after
    checking that each presented request (column `in_valid_col` of the stimulus) met
    in_ready (output column 0)."""
    for cycle, (r, o) in enumerate(zip(rows, outs)):
        if r[in_valid_col] and not o[0]:
            raise CoSimError(f"{top}: request at cycle {cycle} met in_ready = 0; widen the stimulus gap")
    return [o for o in outs if o[1]]


def attend_seq_stimulus(cache: tuple[np.ndarray, ...], queries: Sequence[tuple[np.ndarray, int]],
                        hd: int) -> list[list[int]]:
    """Write all cache rows, then present each (q, pos) once, spaced by pos + 8 cycles."""
    km, ke, vm, ve = cache
    idle = [0, 0, *[0] * hd, 0, *[0] * hd, 0, 0, 0, *[0] * hd, 1]
    rows = [idle, idle]
    for t in range(km.shape[0]):
        rows.append([1, t, *km[t], ke[t], *vm[t], ve[t], 0, 0, *[0] * hd, 1])
    rows.append(idle)
    for q, pos in queries:
        rows.append([0, 0, *[0] * hd, 0, *[0] * hd, 0, 1, pos, *q, 1])
        rows += [idle] * (pos + 8)
    return rows
