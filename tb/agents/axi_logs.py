"""Log levels of the cocotbext-axi models the AXI agents build.

cocotbext-axi logs a banner per model and every register access, burst and reset at
INFO; one medium matmul call wrote megabytes of sim.log that way. The agents keep
those loggers at WARNING (errors still show) unless their config asks for `verbose`.
"""
from __future__ import annotations

import logging
from typing import Any

_PARTS = ("write_if", "read_if", "aw_channel", "w_channel", "b_channel", "ar_channel", "r_channel")


def axi_log_level(verbose: bool) -> int:
    """WARNING, or NOTSET (inherit cocotb's level) when `verbose`."""
    return logging.NOTSET if verbose else logging.WARNING


def quiet_port_logger(dut: Any, prefix: str, verbose: bool) -> None:
    """Set the level of the logger cocotbext-axi models of `<prefix>_*` ports use
    (`cocotb.<top>.<prefix>`); call it before building them to also silence their banner."""
    logging.getLogger(f"cocotb.{dut._name}.{prefix}").setLevel(axi_log_level(verbose))


def quiet_models(*models: Any, verbose: bool) -> None:
    """Set the level of each model's `.log` and of its read/write halves and channels."""
    level = axi_log_level(verbose)
    for model in models:
        log = getattr(model, "log", None)
        if isinstance(log, logging.Logger):
            log.setLevel(level)
        for part in _PARTS:
            sub = getattr(model, part, None)
            if sub is not None:
                quiet_models(sub, verbose=verbose)
