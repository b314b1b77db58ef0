"""Where the suite's broken and stub copies of RTL live: under ``build/copies``, at a path
that depends only on what the copy is, not on the session's temporary folder.

The simulator build of a copy is keyed on its sources' names, paths and contents
(`llama_dv.tb.sim.dut_build`), so an unchanged copy reuses its build from one session to
the next; a Verilator build of a broken copy takes longer than the test that runs it. The
runs themselves (logs, results) stay in the test's ``tmp_path``.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from llama_dv.tb.sim.runner import DutBuild, default_build_root, default_test_dir


def copies_root() -> Path:
    """Build root of the copies (``build/copies``)."""
    return default_build_root() / "copies"


def stable_file(relative: str | Path, text: str) -> Path:
    """*text* at ``build/copies/src/<relative>``, written only when it differs and then
    atomically (another session may be writing or building the same copy)."""
    path = copies_root() / "src" / relative
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_text(text)
        os.replace(partial, path)
    return path


def run_dir(dut: DutBuild, tmp_path: Path, test_module: str, testcase: str | None, seed: int,
            extra_env: Mapping[str, str] | None) -> Path:
    """The run directory under *tmp_path* (``<tmp_path>/build/runs/...``, one per test,
    seed and environment, as when the copy was built there too)."""
    return default_test_dir(dataclasses.replace(dut, build_root=tmp_path / "build"), test_module, testcase, seed,
                            {**dut.env, **(extra_env or {})})
