"""Broken copies of a generated Clash top for negative tests: rtl/gen/<top>/<top>.v with
one edit applied, built apart from the real top and run with a test module."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Callable, Mapping

from llama_dv.tb.clash.duts import clash_build
from llama_dv.tb.clash.manifest import GEN_DIR
from llama_dv.tb.sim.runner import RunResult, run
from tests.copies import copies_root, run_dir, stable_file

Edit = Callable[[str], str]


def once(text: str, old: str, new: str) -> str:
    """*text* with its one occurrence of *old* replaced (fails when the generated code moved)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times (rtl/gen regenerated?)"
    return text.replace(old, new)


def run_copy(top: str, sim: str, module: str, edit: Edit | None, name: str, seed: int, tmp_path: Path,
             extra_env: Mapping[str, str] | None = None, timeout_s: float = 900,
             testcase: str | None = None) -> RunResult:
    """*module*'s tests (or its one *testcase*) on a copy of *top* with *edit* applied
    (None: the unmodified copy). Called again with the same *tmp_path* and *edit*, it
    runs another test on the same copy and build. The copy is built under build/copies
    (tests/copies.py), so its build is reused while it is unchanged; it runs in *tmp_path*."""
    text = (GEN_DIR / top / f"{top}.v").read_text()
    src = stable_file(Path(top) / name / f"{top}.v", text if edit is None else edit(text))
    base = clash_build(top, sim)
    sources = [src if Path(p).name == src.name else p for p in base.sources]
    dut = dataclasses.replace(base, sources=sources, config=f"fault-{name}", build_root=copies_root())
    return run(dut, module, testcase=testcase, seed=seed, timeout_s=timeout_s, extra_env=dict(extra_env or {}),
               test_dir=run_dir(dut, tmp_path, module, testcase, seed, extra_env))


def assert_caught(res: RunResult, edit: Edit | None, name: str, pattern: str = "") -> None:
    """The unmodified copy passes; a broken one fails with a mismatch matching *pattern*."""
    if edit is None:
        assert res.ok, f"unmodified copy: {res.status}: {res.message}\nlog: {res.log}"
        return
    assert res.status == "fail", f"{name}: broken copy passed: {res.status} {res.message}\nlog: {res.log}"
    assert "mismatch" in res.message and re.search(pattern, res.message), res.message
