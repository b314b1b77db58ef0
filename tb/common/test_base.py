"""Base pyuvm test for kernel envs: build the env, reset, run one sequence, export coverage."""
from __future__ import annotations

import pyuvm

from llama_dv.tb.common.coverage import export_coverage


class KernelTestBase(pyuvm.uvm_test):
    """Subclasses set `env_cls` and `seq_cls`, or override `body()`."""

    env_cls: type = pyuvm.uvm_env
    seq_cls: type | None = None

    def build_phase(self) -> None:
        self.env = self.env_cls("env", self)

    async def run_phase(self) -> None:
        self.raise_objection()
        await self.env.start()
        await self.body()
        self.drop_objection()

    async def body(self) -> None:
        await self.run_seq(self.seq_cls)

    async def run_seq(self, seq_cls: type) -> None:
        seq = seq_cls(seq_cls.__name__)
        await seq.start(self.env.sequencer)

    def final_phase(self) -> None:
        export_coverage()


KernelTestBase.__test__ = False  # type: ignore[attr-defined]
