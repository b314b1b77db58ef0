"""The decoder's scoreboard: every KV row, finished head, logit, token and cycle count
of a request against the golden `StepTrace` (`models/llama_fixed.py`).

`DecoderChecker` holds the checks and their messages (the co-simulation against
Clash's own simulation feeds it directly); `DecoderScoreboard` is the pyuvm subscriber
that feeds it from the monitor's and the driver's analysis ports."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyuvm

from llama_dv.models.llama_fixed import QuantizedModel, StepTrace
from llama_dv.tb.common.scoreboard import compare_kv_row, first_diff
from llama_dv.tb.envs.decoder.items import (HEAD_DIM, N_HEADS, N_KV, N_LAYERS, HeadSeen, KvRowSeen, MidTokenReset,
                                   TokenResult, kv_addr)

if TYPE_CHECKING:
    from llama_dv.tb.clash.kv_backdoor import KvCacheBackdoor


class DecoderMismatch(AssertionError):
    """DUT and golden disagree; the message names position, layer, head and value."""


class DecoderChecker:
    """Checks one request at a time against the golden `StepTrace` given to `expect`.

    With a `cache` backdoor and the golden `model`, the first finished head of each
    layer also checks the layer's whole KV cache (every KV head, positions 0..pos) as
    stored in the RAM against the golden cache, before any head of it is judged.
    `kv_rows`/`heads` False: the DUT's role map has no KV write port / no finished-head
    port, so none are expected (and without heads the cache is not read)."""

    def __init__(self, cache: "KvCacheBackdoor | None" = None, model: QuantizedModel | None = None, *,
                 kv_rows: bool = True, heads: bool = True) -> None:
        if (cache is None) != (model is None):
            raise ValueError("DecoderChecker: a KV-cache backdoor needs the golden model, and the other way round")
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
        if any(l > r.layer for l, _ in self._heads):
            raise DecoderMismatch(f"{prefix}: KV row written after attention of a later layer began")
        w = want[key]
        if r.pos != w.pos:
            raise DecoderMismatch(f"{prefix}: KV row written at row {r.pos}, expected row {w.pos}")
        compare_kv_row(prefix, (w.k_mant, w.k_exp, w.v_mant, w.v_exp), (r.k, r.ke, r.v, r.ve), DecoderMismatch)
        self._kv.add(key)

    def _check_cache(self, layer: int, pos: int) -> None:
        """The layer's stored KV rows 0..pos (backdoor) against the golden cache."""
        assert self.cache is not None and self.model is not None
        for kvh in range(N_KV):
            for p in range(pos + 1):
                compare_kv_row(f"{self.where} layer {layer} kv head {kvh}: KV cache row {p} (stored)",
                               self.model.kv_row(layer, kvh, p), self.cache.row(kv_addr(layer, kvh, p)),
                               DecoderMismatch)

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
                   [int(x) for x in att[h.head * HEAD_DIM:(h.head + 1) * HEAD_DIM]], h.out, DecoderMismatch)
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
        first_diff(f"{where} logit", [int(x) for x in np.asarray(trace.logits)], res.logits, DecoderMismatch)
        if res.token != trace.argmax:
            raise DecoderMismatch(f"{where}: token expected {trace.argmax}, actual {res.token}")
        if res.cycles is not None and res.cycles != res.measured_cycles:
            raise DecoderMismatch(f"{where}: DUT counts {res.cycles} cycles, monitor {res.measured_cycles}")
        self.trace = None
        self.steps += 1


class DecoderScoreboard(pyuvm.uvm_subscriber):
    """Subscribes to the monitor (KV rows, heads) and the driver (responses, mid-token
    resets) and raises `DecoderMismatch` at the first departing value; connected before
    the coverage, so only checked values are counted. `configure` gives it the backdoor,
    the golden model and the role groups the DUT maps; the test gives each request's
    golden to `expect`."""

    def build_phase(self) -> None:
        self.checker = DecoderChecker()

    def configure(self, cache: "KvCacheBackdoor | None", model: QuantizedModel | None, *,
                  kv_rows: bool, heads: bool) -> None:
        self.checker = DecoderChecker(cache, model, kv_rows=kv_rows, heads=heads)

    def expect(self, trace: StepTrace) -> None:
        self.checker.expect(trace)

    def write(self, tt: Any) -> None:
        if isinstance(tt, KvRowSeen):
            self.checker.on_kv_row(tt)
        elif isinstance(tt, HeadSeen):
            self.checker.on_head(tt)
        elif isinstance(tt, TokenResult):
            self.checker.check(tt)
        elif isinstance(tt, MidTokenReset):
            self.checker.abandon()
        else:
            raise TypeError(f"{self.get_full_name()}: unexpected item {tt!r}")

    def report_phase(self) -> None:
        self.logger.info("%s: %d requests matched the golden", self.get_full_name(), self.checker.steps)
