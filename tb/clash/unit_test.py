"""Base of the Clash unit tops' tests: the env from `env_cls`, requests sent as item lists."""
from __future__ import annotations

from typing import Any, Sequence

from llama_dv.tb.clash.agent import ItemListSequence
from llama_dv.tb.common.test_base import KernelTestBase


class ClashUnitTest(KernelTestBase):
    """Subclasses set `env_cls` (an env with `agent`, `start()` and `wait_responses(n)`) and
    write `body()`; coverage is exported when the test ends."""

    sent = 0

    async def send(self, items: Sequence[Any]) -> None:
        """Run `items` on the env's agent and wait until every response so far is checked."""
        await ItemListSequence("seq", list(items)).start(self.env.agent.sequencer)
        self.sent += len(items)
        await self.env.wait_responses(self.sent)


ClashUnitTest.__test__ = False  # type: ignore[attr-defined]
