"""Co-simulation with Clash's own Haskell simulation of a generated top.

`rtl/clash/cosim/CoSim.hs` runs the same Haskell entity the Verilog came from on a
per-cycle stimulus table; this module builds that driver once (cached, file-locked),
writes stimulus, and turns the per-cycle response back into transactions, so tests can
hold the Haskell simulation, the Verilog simulation and the numpy golden to one
standard. The stimulus is open-loop (requests spaced by a generous gap), so every
request is checked to have met `in_ready`; none silently dropped.

The decoder tops run some 80 000 cycles per token, so for them the driver takes a
request list and reports events only (`run_decoder`), which become the same
`TokenResult`s the cocotb monitors build from the Verilog, for the same scoreboard.
"""
from __future__ import annotations

import fcntl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from llama_dv.tb.envs.decoder.items import HEAD_DIM, SEQ, VOCAB, HeadSeen, KvRowSeen, TokenResult, decode_kv_addr
from llama_dv.tb.clash.manifest import REPO_ROOT

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


DECODER_TOPS = ("decoder_small", "decoder_small_fault_kvrow", "decoder_small_fault_norescale")


@dataclass
class DecoderStep:
    """One request as Clash's simulation of a decoder top served it: the token it was
    given, the response, and the KV rows and finished heads in the order they appeared
    (what a cocotb monitor would have handed the scoreboard)."""

    token: int
    result: TokenResult
    events: list[KvRowSeen | HeadSeen] = field(default_factory=list)


def run_decoder(top: str, requests: Sequence[tuple[int | None, int]], workdir: Path,
                timeout_s: float = 1800) -> list[DecoderStep]:
    """Clash's simulation of decoder `top` on (token, pos) requests, a token of None
    meaning the token the decoder returned for the previous request (greedy decoding).
    The weight files must already be staged in `workdir`."""
    if top not in DECODER_TOPS:
        raise CoSimError(f"{top} is not a decoder top; expected one of {DECODER_TOPS}")
    for i, (tok, pos) in enumerate(requests):
        if not (tok is None or 0 <= tok < VOCAB) or not 0 <= pos < SEQ:
            raise CoSimError(f"{top}: request {i} (token {tok}, pos {pos}) outside token 0..{VOCAB - 1} "
                             f"(or None), pos 0..{SEQ - 1}")
    missing = [f for f in ("embed_m.memb", "cls_e.memb") if not (workdir / f).is_file()]
    if missing:
        raise CoSimError(f"{top}: weight files {missing} not staged in {workdir}")
    binary = build_driver()
    stim, resp = workdir / f"{top}.requests", workdir / f"{top}.events"
    stim.write_text("".join(f"{-1 if tok is None else int(tok)} {int(pos)}\n" for tok, pos in requests))
    proc = subprocess.run([str(binary), top, str(stim), str(resp)], cwd=workdir, capture_output=True,
                          text=True, timeout=timeout_s, check=False)
    if proc.returncode != 0:
        raise CoSimError(f"cosim {top} failed (exit {proc.returncode}): {proc.stderr[-2000:]}; events in {resp}")
    steps = decoder_steps(resp.read_text().splitlines(), top)
    if len(steps) != len(requests):
        raise CoSimError(f"{top}: {len(steps)} results for {len(requests)} requests ({resp})")
    return steps


def decoder_steps(lines: Sequence[str], top: str) -> list[DecoderStep]:
    """Group the driver's event lines (A accept, K KV row, H head, O result, E end) into
    one `DecoderStep` per request; `measured_cycles` counts from the accepting clock
    edge to the first out_valid cycle, as the cocotb driver does."""
    steps: list[DecoderStep] = []
    open_step: tuple[int, DecoderStep] | None = None
    for line in lines:
        tag, cycle, *vals = line.split()
        v = [int(x) for x in vals]
        if tag == "A":
            if open_step is not None:
                raise CoSimError(f"{top}: request accepted at cycle {cycle} before the previous result")
            open_step = (int(cycle), DecoderStep(v[0], TokenResult(pos=v[1], token=-1, logits=[], cycles=0,
                                                                   measured_cycles=0)))
        elif tag == "E":
            if open_step is not None:
                raise CoSimError(f"{top}: ended at cycle {cycle} with a request outstanding")
            return steps
        elif open_step is None:
            raise CoSimError(f"{top}: event `{tag}` at cycle {cycle} outside a request")
        elif tag == "K":
            layer, kvh, pos = decode_kv_addr(v[0])
            row = KvRowSeen(layer, kvh, pos, v[1:1 + HEAD_DIM], v[1 + HEAD_DIM],
                            v[2 + HEAD_DIM:2 + 2 * HEAD_DIM], v[2 + 2 * HEAD_DIM])
            open_step[1].result.kv_rows.append(row)
            open_step[1].events.append(row)
        elif tag == "H":
            head = HeadSeen(v[0], v[1], v[2], v[3:3 + HEAD_DIM])
            open_step[1].result.heads.append(head)
            open_step[1].events.append(head)
        elif tag == "O":
            start, step = open_step
            step.result.token, step.result.cycles, step.result.logits = v[0], v[1], v[2:2 + VOCAB]
            step.result.measured_cycles = int(cycle) - start
            steps.append(step)
            open_step = None
        else:
            raise CoSimError(f"{top}: unknown event `{line[:40]}`")
    raise CoSimError(f"{top}: event list ends without `E` after {len(steps)} results")


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
