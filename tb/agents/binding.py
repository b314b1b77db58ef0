"""How every agent is bound to a DUT and handed its configuration.

Each protocol's config dataclass (`tb/agents/<protocol>/config.py`) extends
`AgentBinding`: the DUT handle, its clock, its reset and the reset polarity, under one
name (`reset_active_high`) for all five agents. An env (or test) hands the config to the
agent through pyuvm's ConfigDB before building it, the same way for every agent:

    configure(env, "ctrl", ApCtrlConfig(dut=dut, clock=dut.ap_clk, reset=dut.ap_rst))
    env.ctrl = ApCtrlAgent("ctrl", env)

and the agent reads it back in its build phase (`agent_config`), which also passes it on
to its own children. Ports are then found by name prefix, cocotbext-axi's `from_prefix`
style. The polarity is translated for cocotbext-axi's models in one place only:
`AgentBinding.cocotbext_reset()`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import pyuvm


@dataclass(kw_only=True)
class AgentBinding:
    """The pins an agent drives or watches besides its protocol's own: `clock`, and
    `reset` (None: the agent does not follow reset), asserted at 1 when
    `reset_active_high` (`ap_rst`), at 0 otherwise (`ap_rst_n`)."""

    CONFIG_KEY: ClassVar[str] = "agent_cfg"
    """ConfigDB field the config travels under (one per protocol)."""

    dut: Any
    clock: Any
    reset: Any = None
    reset_active_high: bool = True

    @property
    def reset_asserted(self) -> int:
        """Level of `reset` that holds the DUT in reset."""
        return 1 if self.reset_active_high else 0

    def cocotbext_reset(self) -> tuple[Any, Any, bool]:
        """(clock, reset, reset_active_level): the arguments every cocotbext-axi model
        (AxiLiteMaster, AxiRamRead/Write, AxiStreamSource/Sink, channel monitors) takes after its bus."""
        return self.clock, self.reset, self.reset_active_high


Config = TypeVar("Config", bound=AgentBinding)


def configure(parent: Any, name: str, cfg: AgentBinding) -> None:
    """Hand `cfg` to the agent `name` that `parent` is about to build."""
    pyuvm.ConfigDB().set(parent, name, cfg.CONFIG_KEY, cfg)


def agent_config(agent: Any, cfg_type: type[Config]) -> Config:
    """The config an agent was handed (`configure`), passed on to the agent's children."""
    cfg = pyuvm.ConfigDB().get(agent, "", cfg_type.CONFIG_KEY)
    if not isinstance(cfg, cfg_type):
        raise TypeError(f"{agent.get_full_name()}: ConfigDB '{cfg_type.CONFIG_KEY}' holds a "
                        f"{type(cfg).__name__}, expected a {cfg_type.__name__}")
    pyuvm.ConfigDB().set(agent, "*", cfg_type.CONFIG_KEY, cfg)
    return cfg
