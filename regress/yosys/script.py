"""Yosys scripts for a top, rendered from the templates in `templates/`."""
from __future__ import annotations

from pathlib import Path
from string import Template

from .tops import SynthTop

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_script(template: str, top: SynthTop, **extra: str) -> str:
    """`templates/<template>` with the top's sources, defines and parameters filled in."""
    read_flags = " ".join(f"-D{k}={v}" if v is not None else f"-D{k}" for k, v in top.defines.items())
    chparams = " ".join(f"-chparam {k} {v}" for k, v in top.parameters.items())
    sources = " ".join(f'"{s}"' for s in top.sources)
    text = (TEMPLATES / template).read_text()
    return Template(text).substitute(top=top.name, sources=sources, read_flags=read_flags,
                                     chparams=chparams, **extra)
