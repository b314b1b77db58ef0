"""ap_ctrl port bundle resolved by name prefix."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llama_dv.tb.agents.ap_ctrl.config import ApCtrlConfig
from llama_dv.tb.dut_ports import find_port


@dataclass
class ApCtrlBus:
    clk: Any
    start: Any
    done: Any
    idle: Any
    ready: Any
    cont: Any | None
    rst: Any | None = None
    reset_asserted: int = 1

    @classmethod
    def from_config(cls, cfg: ApCtrlConfig) -> "ApCtrlBus":
        """`<prefix>_start/_done/_idle/_ready` (+ `_continue` for ap_ctrl_chain) of `cfg.dut`,
        with the config's clock and reset."""
        dut, prefix, owner = cfg.dut, cfg.prefix, "ap_ctrl agent"
        return cls(clk=cfg.clock,
                   start=find_port(dut, f"{prefix}_start", owner=owner),
                   done=find_port(dut, f"{prefix}_done", owner=owner),
                   idle=find_port(dut, f"{prefix}_idle", owner=owner),
                   ready=find_port(dut, f"{prefix}_ready", owner=owner),
                   cont=find_port(dut, f"{prefix}_continue", owner=owner + " (ap_ctrl_chain)") if cfg.chain else None,
                   rst=cfg.reset, reset_asserted=cfg.reset_asserted)
