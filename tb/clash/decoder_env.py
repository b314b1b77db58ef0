"""Env of the `decoder_small` top: weight staging, a token driver that waits only on
handshakes, monitors of the KV write port and of finished attention heads, a
scoreboard against `models/llama_fixed.py` and the decoder's coverage.

The golden step of a request is computed before the request is sent, and the
monitors hand every KV row and every finished attention head to the scoreboard the
cycle they appear, in the order the hardware computes them (a layer's KV rows, then
its heads). So a run fails at the first departing value, naming position, layer,
head and index, with the simulation time of the fault in the log; the logits, the
token and the cycle count are checked at the response.

The env reads and drives the DUT only through the handles of a role map
(`tb/clash/roles.py`), so a decoder whose ports are named otherwise binds through a
short YAML; the KV write port, the finished heads and the cycle counter are optional,
and their checks are left out when a map lacks them.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge
from cocotb.utils import get_sim_time
from cocotb_coverage.coverage import CoverPoint

from models.config import SMALL
from models.export import write_export
from models.llama_fixed import QuantizedModel, StepTrace
from models.tinymodel import tiny_weights
from tb.clash.manifest import unpack_vec
from tb.common.knobs import METRICS_FILE_ENV

if TYPE_CHECKING:
    from tb.clash.kv_backdoor import KvCacheBackdoor
    from tb.clash.roles import DecoderPorts, RoleMap

TOP = "decoder_small"
HEAD_DIM = SMALL.head_dim
SEQ = SMALL.seq_len
N_KV = SMALL.n_kv_heads
N_HEADS = SMALL.n_heads
N_LAYERS = SMALL.n_layers
VOCAB = SMALL.vocab_size


class DecoderMismatch(AssertionError):
    """DUT and golden disagree; the message names position, layer, head and value."""


TIED_ROWS = 16
"""Classifier rows 64-16..63 repeat rows 0..15, so greedy argmax meets exact ties in
ordinary generation (whenever the best row is one of them) and must pick the lower index."""


def decoder_weights(seed: int, tied_rows: int = TIED_ROWS) -> QuantizedModel:
    """The golden model of `tiny_weights(SMALL, seed)`, its last `tied_rows` classifier
    rows copied from its first ones."""
    qw = QuantizedModel.from_float(tiny_weights(SMALL, seed)).weights
    cls_m, cls_e = qw.cls_m.copy(), qw.cls_e.copy()
    if tied_rows:
        cls_m[-tied_rows:], cls_e[-tied_rows:] = cls_m[:tied_rows], cls_e[:tied_rows]
    return QuantizedModel(replace(qw, cls_m=cls_m, cls_e=cls_e, shared_classifier=False))


def stage_weights(run_dir: Path, seed: int) -> QuantizedModel:
    """Write the `$readmemb` files of `decoder_weights(seed)` into the simulator's
    working directory and return the matching golden model."""
    model = decoder_weights(seed)
    write_export(model.weights, run_dir, formats=("bin",), seed=seed)
    return model


def perturb_golden_wv(model: QuantizedModel) -> None:
    """Flip one Wv mantissa of layer 1, KV head 0 (row 5, column 3) in the golden only,
    after the ROM files are written: the V row of layer 1, KV head 0 must then differ
    from the DUT's at position 0, which a negative test expects the scoreboard to name."""
    wv = model.weights.matrices["wv"][0]
    wv[1, 3, 5] = 127 if wv[1, 3, 5] < 0 else -127


@dataclass
class KvRowSeen:
    layer: int
    kv_head: int
    pos: int
    k: list[int]
    ke: int
    v: list[int]
    ve: int


@dataclass
class HeadSeen:
    """One attention head as the DUT finished it."""

    layer: int
    head: int
    max_updates: int
    out: list[int]


@dataclass
class TokenResult:
    pos: int
    token: int
    logits: list[int]
    cycles: int | None
    """The DUT's own count (None: the role map has no cycle counter)."""
    measured_cycles: int
    kv_rows: list[KvRowSeen] = field(default_factory=list)
    heads: list[HeadSeen] = field(default_factory=list)


def decode_kv_addr(addr: int) -> tuple[int, int, int]:
    """KV block-RAM address -> (layer, KV head, position): address = (layer*2 + kvh)*16 + pos."""
    return addr // (N_KV * SEQ), (addr // SEQ) % N_KV, addr % SEQ


def kv_addr(layer: int, kv_head: int, pos: int) -> int:
    """Inverse of `decode_kv_addr`."""
    return (layer * N_KV + kv_head) * SEQ + pos


class DecoderMonitor:
    """Collects KV writes and finished heads of the current token and publishes each to
    its subscribers in order: the scoreboard first (it raises on a mismatch), then the
    coverage, so only checked rows and heads are counted. Python wakes only on the rising
    edge of `kv_we` (one cycle per KV row) and of `head_valid` (one cycle per head), never
    per compute cycle; both are read at the falling clock edge, where an event-driven
    simulator has settled the glitches of a register update."""

    def __init__(self, ports: "DecoderPorts", clk: Any, board: "DecoderScoreboard") -> None:
        self.ports, self.clk = ports, clk
        self.subscribers: list[Any] = [board, DecoderCoverage()]
        self.kv: list[KvRowSeen] = []
        self.heads: list[HeadSeen] = []

    def clear(self) -> None:
        self.kv, self.heads = [], []

    async def run_kv(self) -> None:
        p = self.ports
        while True:
            await RisingEdge(p.kv_we)
            while True:
                await FallingEdge(self.clk)
                if not int(p.kv_we.value):
                    break
                layer, kvh, pos = decode_kv_addr(int(p.kv_addr.value))
                row = KvRowSeen(layer, kvh, pos, unpack_vec(int(p.kv_k.value), HEAD_DIM, 8),
                                unpack_vec(int(p.kv_k_exp.value), 1, 7)[0], unpack_vec(int(p.kv_v.value), HEAD_DIM, 8),
                                unpack_vec(int(p.kv_v_exp.value), 1, 7)[0])
                self.kv.append(row)
                for sub in self.subscribers:
                    sub.on_kv_row(row)

    async def run_heads(self) -> None:
        p = self.ports
        while True:
            await RisingEdge(p.head_valid)
            await FallingEdge(self.clk)
            if not int(p.head_valid.value):
                continue  # a zero-time glitch while the state registers update
            head = HeadSeen(int(p.head_layer.value), int(p.head_index.value), int(p.head_updates.value),
                            unpack_vec(int(p.head_out.value), HEAD_DIM, 32))
            self.heads.append(head)
            for sub in self.subscribers:
                sub.on_head(head)


class DecoderProtocolError(AssertionError):
    """The decoder broke the valid/ready rule of its response: it withdrew or changed a
    response before `response_ready` took it."""


class DecoderDriver:
    """Sends one token per request and collects the response with what the monitor saw.

    With `response_stall` set (a random generator and the most cycles to wait), the
    driver holds `response_ready` low for 1..N cycles after each response
    appears, and checks on every one of them that the response stays valid and unchanged."""

    def __init__(self, roles: "RoleMap", ports: "DecoderPorts", clk: Any, monitor: DecoderMonitor) -> None:
        self.ports, self.clk, self.monitor = ports, clk, monitor
        self.period_ps, self.reset_active = roles.period_ps, roles.reset_active
        self.response_stall: tuple[np.random.Generator, int] | None = None
        self.stalled_cycles = 0

    async def start_token(self, token: int, pos: int) -> int:
        """Request a token once `request_ready` is high; returns the accepting edge's time
        (ps). Returns at once after the handshake (a reset test cuts the token short)."""
        p = self.ports
        await FallingEdge(self.clk)
        while not int(p.request_ready.value):
            await RisingEdge(p.request_ready)
            await FallingEdge(self.clk)
        self.monitor.clear()
        p.token_in.value, p.position_in.value, p.request_valid.value = token, pos, 1
        await RisingEdge(self.clk)
        accepted = get_sim_time("ps")
        await FallingEdge(self.clk)
        p.request_valid.value = 0
        return accepted

    async def step(self, token: int, pos: int) -> TokenResult:
        """One request and its response, with what the monitors saw in between."""
        p = self.ports
        t0 = await self.start_token(token, pos)
        if not int(p.response_valid.value):
            await RisingEdge(p.response_valid)
        await FallingEdge(self.clk)
        t1 = get_sim_time("ps")
        res = TokenResult(pos=pos, token=int(p.token_out.value),
                          logits=unpack_vec(int(p.logits_out.value), VOCAB, 32),
                          cycles=None if p.cycles_out is None else int(p.cycles_out.value),
                          measured_cycles=int((t1 - t0) // self.period_ps) + 1,
                          kv_rows=list(self.monitor.kv), heads=list(self.monitor.heads))
        if self.response_stall is not None:
            await self._hold_response(res)
        p.response_ready.value = 1
        await RisingEdge(self.clk)
        await FallingEdge(self.clk)
        p.response_ready.value = 0
        return res

    async def _hold_response(self, res: TokenResult) -> None:
        """Keep `response_ready` low for 1..N cycles; the response must stay as it was."""
        p = self.ports
        gen, most = self.response_stall  # type: ignore[misc]
        held = (res.token, int(p.logits_out.value))
        for cycle in range(1, int(gen.integers(1, most + 1)) + 1):
            await RisingEdge(self.clk)
            await FallingEdge(self.clk)
            self.stalled_cycles += 1
            if not int(p.response_valid.value):
                raise DecoderProtocolError(
                    f"decoder: the response of position {res.pos} (token {res.token}) was withdrawn after "
                    f"{cycle} cycle(s) with response_ready low (response_valid fell before the handshake)")
            now = (int(p.token_out.value), int(p.logits_out.value))
            if now != held:
                raise DecoderProtocolError(
                    f"decoder: the response of position {res.pos} changed after {cycle} cycle(s) with "
                    f"response_ready low: token {held[0]} -> {now[0]}"
                    + ("" if now[1] == held[1] else ", logits changed"))

    async def reset(self, cycles: int = 3) -> None:
        """Assert the reset (at the manifest's polarity) for `cycles` clocks, between two
        falling edges."""
        rst, active = self.ports.reset, self.reset_active
        await FallingEdge(self.clk)
        rst.value = active
        for _ in range(cycles):
            await RisingEdge(self.clk)
        await FallingEdge(self.clk)
        rst.value = 1 - active
        self.monitor.clear()


class DecoderScoreboard:
    """Checks one request at a time against the golden `StepTrace` given to `expect`.

    With a `cache` backdoor and the golden `model`, the first finished head of each
    layer also checks the layer's whole KV cache (every KV head, positions 0..pos) as
    stored in the RAM against the golden cache, before any head of it is judged.
    `kv_rows`/`heads` False: the DUT's role map has no KV write port / no finished-head
    port, so none are expected (and without heads the cache is not read)."""

    def __init__(self, cache: "KvCacheBackdoor | None" = None, model: QuantizedModel | None = None, *,
                 kv_rows: bool = True, heads: bool = True) -> None:
        if (cache is None) != (model is None):
            raise ValueError("DecoderScoreboard: a KV-cache backdoor needs the golden model, and the other way round")
        self.cache, self.model = cache, model
        self.observe_kv, self.observe_heads = kv_rows, heads
        self.steps = 0
        self.trace: StepTrace | None = None
        self._kv: set[tuple[int, int]] = set()
        self._heads: set[tuple[int, int]] = set()

    def expect(self, trace: StepTrace) -> None:
        """The golden of the request about to be sent."""
        self.trace, self._kv, self._heads = trace, set(), set()

    def abandon(self) -> None:
        """The request was cut short by a reset: nothing more is expected of it."""
        self.trace = None

    @property
    def where(self) -> str:
        assert self.trace is not None
        return f"pos {self.trace.pos} (token {self.trace.token})"

    def _golden(self, what: str) -> StepTrace:
        if self.trace is None:
            raise DecoderMismatch(f"{what} seen with no request outstanding")
        return self.trace

    def on_kv_row(self, r: KvRowSeen) -> None:
        trace = self._golden(f"KV row for layer {r.layer} kv head {r.kv_head} (row {r.pos})")
        want = {(w.layer, w.kv_head): w for w in trace.kv_writes}
        prefix = f"{self.where} layer {r.layer} kv head {r.kv_head}"
        key = (r.layer, r.kv_head)
        if key not in want or key in self._kv:
            raise DecoderMismatch(f"{prefix}: unexpected KV row write (row {r.pos}); expected one row per "
                                  f"(layer, kv head) of {sorted(want)}")
        if self._heads_of_later_layer(r.layer):
            raise DecoderMismatch(f"{prefix}: KV row written after attention of a later layer began")
        w = want[key]
        if r.pos != w.pos:
            raise DecoderMismatch(f"{prefix}: KV row written at row {r.pos}, expected row {w.pos}")
        compare_kv_row(prefix, (w.k_mant, w.k_exp, w.v_mant, w.v_exp), (r.k, r.ke, r.v, r.ve))
        self._kv.add(key)

    def _check_cache(self, layer: int, pos: int) -> None:
        """The layer's stored KV rows 0..pos (backdoor) against the golden cache."""
        assert self.cache is not None and self.model is not None
        for kvh in range(N_KV):
            for p in range(pos + 1):
                compare_kv_row(f"{self.where} layer {layer} kv head {kvh}: KV cache row {p} (stored)",
                               self.model.kv_row(layer, kvh, p), self.cache.row(kv_addr(layer, kvh, p)))

    def _heads_of_later_layer(self, layer: int) -> bool:
        return any(l > layer for l, _ in self._heads)

    def on_head(self, h: HeadSeen) -> None:
        trace = self._golden(f"attention head {h.head} of layer {h.layer}")
        prefix = f"{self.where} layer {h.layer} head {h.head}"
        if not (0 <= h.layer < N_LAYERS and 0 <= h.head < N_HEADS) or (h.layer, h.head) in self._heads:
            raise DecoderMismatch(f"{prefix}: unexpected attention result (each head once per layer)")
        missing = [kvh for kvh in range(N_KV) if (h.layer, kvh) not in self._kv]
        if self.observe_kv and missing:
            raise DecoderMismatch(f"{prefix}: attention finished before the layer's KV rows for kv heads "
                                  f"{missing} were written")
        if self.cache is not None and not any(l == h.layer for l, _ in self._heads):
            self._check_cache(h.layer, trace.pos)
        att = np.asarray(trace.layers[h.layer].attention)
        first_diff(f"{prefix} attention output",
                   [int(x) for x in att[h.head * HEAD_DIM:(h.head + 1) * HEAD_DIM]], h.out)
        self._heads.add((h.layer, h.head))

    def check(self, res: TokenResult) -> None:
        """The response: every row and head seen, then logits, token and cycle count."""
        trace = self._golden("a response")
        where = self.where
        if self.observe_kv and len(self._kv) != N_LAYERS * N_KV:
            raise DecoderMismatch(f"{where}: KV rows written for (layer, kv head) {sorted(self._kv)}, expected all "
                                  f"{N_LAYERS} x {N_KV}")
        if self.observe_heads and len(self._heads) != N_LAYERS * N_HEADS:
            raise DecoderMismatch(f"{where}: attention heads finished {sorted(self._heads)}, expected every "
                                  f"(layer, head) of {N_LAYERS} layers x {N_HEADS} heads")
        first_diff(f"{where} logit", [int(x) for x in np.asarray(trace.logits)], res.logits)
        if res.token != trace.argmax:
            raise DecoderMismatch(f"{where}: token expected {trace.argmax}, actual {res.token}")
        if res.cycles is not None and res.cycles != res.measured_cycles:
            raise DecoderMismatch(f"{where}: DUT counts {res.cycles} cycles, monitor {res.measured_cycles}")
        self.trace = None
        self.steps += 1


def compare_kv_row(prefix: str, expected: tuple[Any, int, Any, int], actual: tuple[list[int], int, list[int], int],
                   error: type[AssertionError] = DecoderMismatch) -> None:
    """(K mantissas, K exponent, V mantissas, V exponent): raise `error` naming the first
    difference."""
    for name, exp, act in (("K mantissa", expected[0], actual[0]), ("V mantissa", expected[2], actual[2])):
        first_diff(f"{prefix} {name}", [int(x) for x in exp], act, error)
    for name, e, a in (("K exponent", expected[1], actual[1]), ("V exponent", expected[3], actual[3])):
        if int(e) != a:
            raise error(f"{prefix} {name}: expected {e}, actual {a}")


def first_diff(what: str, expected: list[int], actual: list[int],
               error: type[AssertionError] = DecoderMismatch) -> None:
    """Raise `error` naming the first differing element (value and hex), or a length mismatch."""
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e != a:
            raise error(f"{what} {i}: expected {e} (0x{e & 0xFFFFFFFF:08x}), actual {a}")
    if len(expected) != len(actual):
        raise error(f"{what}: {len(actual)} values, expected {len(expected)}")


def argmax_ties(logits: np.ndarray) -> int:
    """How many logits share the maximum (1 = no tie)."""
    values = np.asarray(logits)
    return int(np.count_nonzero(values == values.max()))


def _updates_bin(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2-3" if n <= 3 else "4+"


@CoverPoint("clash_decoder.position.pos", xf=lambda pos: pos, bins=list(range(SEQ)))
def _cov_pos(pos: int) -> None:
    """Positions decoded."""


@CoverPoint("clash_decoder.kv.row", xf=lambda addr: addr, bins=list(range(N_LAYERS * N_KV * SEQ)))
def _cov_kv_row(addr: int) -> None:
    """KV block-RAM rows written (layer x KV head x position)."""


@CoverPoint("clash_decoder.attention.head", xf=lambda layer, head, n: (layer, head),
            bins=[(l, h) for l in range(N_LAYERS) for h in range(N_HEADS)])
@CoverPoint("clash_decoder.attention.max_updates", xf=lambda layer, head, n: _updates_bin(n),
            bins=["0", "1", "2-3", "4+"])
def _cov_head(layer: int, head: int, n: int) -> None:
    """Heads finished, and how often each one's online-softmax running max grew."""


@CoverPoint("clash_decoder.argmax.tie", xf=lambda ties: "tie" if ties > 1 else "unique", bins=["unique", "tie"])
def _cov_tie(ties: int) -> None:
    """Whether the golden logits of a step had a tied maximum (the lowest index must win)."""


@CoverPoint("clash_decoder.reset.mid_token", xf=lambda when: when, bins=["before_kv_write", "after_kv_write"])
def sample_reset(when: str) -> None:
    """A reset in the middle of a token: before or after it wrote KV rows."""


class DecoderCoverage:
    """The monitor's coverage subscriber: KV rows and heads as they are checked, so a test
    that stops inside a token (the first-layer smoke) still counts what it checked."""

    def on_kv_row(self, r: KvRowSeen) -> None:
        _cov_kv_row(kv_addr(r.layer, r.kv_head, r.pos))

    def on_head(self, h: HeadSeen) -> None:
        _cov_head(h.layer, h.head, h.max_updates)


def sample_step(res: TokenResult, trace: StepTrace) -> None:
    """Coverage of one checked step as a whole (its rows and heads were counted by the
    monitor's coverage subscriber as they arrived)."""
    _cov_pos(res.pos)
    _cov_tie(argmax_ties(trace.logits))


def record_metrics(**figures: object) -> None:
    """Figures for the regression report, sign-off and bench (`LDV_METRICS_FILE`, if set):
    numbers, and lists of numbers such as the prompt and the generated tokens."""
    path = os.environ.get(METRICS_FILE_ENV)
    if path:
        Path(path).write_text(json.dumps(figures, indent=1) + "\n")
