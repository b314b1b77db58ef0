"""Where a regression's builds and simulations run: ``local`` processes or ``slurm`` jobs.

``make_launcher`` turns ``--launcher`` and its options into a launcher object; the
regression (``llama_dv.regress.regression``) uses it the same way whichever it is.
"""
from __future__ import annotations

from llama_dv.regress.launchers.base import INFRA_PREFIX, Interrupted, Launcher, LauncherOptions, is_infrastructure

LAUNCHERS = ("local", "slurm")

__all__ = ["INFRA_PREFIX", "LAUNCHERS", "Interrupted", "Launcher", "LauncherError", "LauncherOptions",
           "is_infrastructure", "make_launcher"]


class LauncherError(ValueError):
    """The launcher cannot be used as asked (unknown name, SLURM commands missing...)."""


def make_launcher(options: LauncherOptions) -> Launcher:
    """The launcher *options* name, checked to be usable; raises LauncherError saying why not."""
    if options.name == "local":
        farm = [opt for opt, value in (("--partition", options.partition), ("--account", options.account),
                                       ("--slurm-args", options.extra_args)) if value]
        if farm:
            raise LauncherError(f"{', '.join(farm)} {'apply' if len(farm) > 1 else 'applies'} only to "
                                f"--launcher slurm")
        from llama_dv.regress.launchers.local import LocalLauncher

        return LocalLauncher(options)
    if options.name == "slurm":
        from llama_dv.regress.launchers.slurm import SlurmLauncher
        from llama_dv.regress.launchers.slurm_client import SlurmError

        launcher = SlurmLauncher(options)
        try:
            launcher.check()
        except SlurmError as exc:
            raise LauncherError(str(exc)) from exc
        return launcher
    raise LauncherError(f"unknown launcher {options.name!r}; choose one of {', '.join(LAUNCHERS)}")
