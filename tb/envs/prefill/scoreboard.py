"""The prefill pipeline's scoreboard: one prompt's KV rows, logits and next tokens
against `QuantizedModel.prefill`, judged when the prompt's last result arrives."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyuvm

from llama_dv.models.llama_fixed import StepTrace
from llama_dv.tb.common.scoreboard import compare_kv_row, first_diff
from llama_dv.tb.envs.decoder.items import KvRowSeen
from llama_dv.tb.envs.prefill.driver import PositionResult


class PrefillMismatch(AssertionError):
    """DUT and golden prefill disagree; the message names prompt, position, layer, head."""


def check_prompt(tag: str, prompt: list[int], results: list[PositionResult], rows: list[KvRowSeen],
                 traces: list[StepTrace]) -> None:
    """Positions in order, each golden KV row written once and equal, then every
    position's logits and next token; raises `PrefillMismatch` naming the first difference."""
    if [r.pos for r in results] != list(range(len(prompt))):
        raise PrefillMismatch(f"{tag}: positions out {[r.pos for r in results]}, expected 0..{len(prompt) - 1}")
    want = {(w.layer, w.kv_head, w.pos): w for t in traces for w in t.kv_writes}
    seen: dict[tuple[int, int, int], KvRowSeen] = {}
    for r in rows:
        key = (r.layer, r.kv_head, r.pos)
        if key in seen:
            raise PrefillMismatch(f"{tag}: KV row layer {r.layer} kv head {r.kv_head} position {r.pos} written twice")
        seen[key] = r
    if sorted(seen) != sorted(want):
        raise PrefillMismatch(f"{tag}: KV rows written (layer, kv head, pos) {sorted(set(seen) ^ set(want))} "
                              "differ from the golden's")
    for key in sorted(want):
        w, r = want[key], seen[key]
        where = f"{tag} layer {w.layer} kv head {w.kv_head} position {w.pos}"
        compare_kv_row(where, (w.k_mant, w.k_exp, w.v_mant, w.v_exp), (r.k, r.ke, r.v, r.ve), PrefillMismatch)
    for res, trace in zip(results, traces):
        where = f"{tag} position {res.pos} (token {trace.token})"
        first_diff(f"{where} logit", [int(x) for x in np.asarray(trace.logits)], res.logits, PrefillMismatch)
        if res.token != trace.argmax:
            raise PrefillMismatch(f"{where}: next token expected {trace.argmax}, actual {res.token}")


class PrefillScoreboard(pyuvm.uvm_subscriber):
    """Subscribes to every layer's KV monitor (rows) and to the driver (results); the
    test gives each prompt and its golden traces to `expect` before sending it. When the
    prompt's last result arrives (every layer has then written its rows), the prompt is
    judged by `check_prompt`."""

    def build_phase(self) -> None:
        self.prompts = 0
        self.positions = 0
        self.rows = 0
        self._prompt: list[int] | None = None
        self._traces: list[StepTrace] = []
        self._results: list[PositionResult] = []
        self._rows: list[KvRowSeen] = []

    def expect(self, prompt: list[int], traces: list[StepTrace]) -> None:
        self._prompt, self._traces, self._results, self._rows = list(prompt), traces, [], []

    def write(self, tt: Any) -> None:
        if isinstance(tt, KvRowSeen):
            self._rows.append(tt)
        elif isinstance(tt, PositionResult):
            if self._prompt is None:
                raise PrefillMismatch(f"result for position {tt.pos} with no prompt outstanding")
            self._results.append(tt)
            if len(self._results) == len(self._prompt):
                self._judge()
        else:
            raise TypeError(f"{self.get_full_name()}: unexpected item {tt!r}")

    def _judge(self) -> None:
        assert self._prompt is not None
        prompt, rows = self._prompt, self._rows
        check_prompt(f"prompt {self.prompts} (length {len(prompt)})", prompt, self._results, rows, self._traces)
        self.prompts += 1
        self.positions += len(prompt)
        self.rows += len(rows)
        self._prompt, self._rows = None, []
