"""One contract for knobs: every `LDV_*` name lives in tb/common/knobs.py.

A reader that spells a knob as its own string can drift from the name the runner sets
(and from the table users read), so no `"LDV_...` literal may appear in tb/ or regress/
outside knobs.py; the docs table is the one knobs.py renders.
"""
from __future__ import annotations

import re
from pathlib import Path

from llama_dv.tb.common import knobs

REPO = Path(__file__).resolve().parents[2]
KNOBS_PY = REPO / "tb" / "common" / "knobs.py"
DOC = REPO / "docs" / "tb-architecture.md"
TABLE_BEGIN = "<!-- knobs: `python -m llama_dv.tb.common.knobs` writes this table -->"
TABLE_END = "<!-- end of knobs -->"

LITERAL = re.compile(r"""["']LDV_[A-Za-z0-9_]*""")
OUTPUT_MARKERS = frozenset({"LDV_STEP", "LDV_TOKEN", "LDV_DONE", "LDV_ERROR"})
"""Lines the generated native bench prints (tb/clash/native_harness.py) and
regress/native_bench.py parses: output, not knobs a process reads."""


def knob_literals(text: str) -> list[tuple[int, str]]:
    """(line, name) of every quoted `LDV_` name in `text`, output markers aside."""
    return [(lineno, m.group(0)[1:]) for lineno, line in enumerate(text.splitlines(), start=1)
            for m in LITERAL.finditer(line) if m.group(0)[1:] not in OUTPUT_MARKERS]


def _sources() -> list[Path]:
    return sorted(p for top in ("tb", "regress") for p in (REPO / top).rglob("*")
                  if p.is_file() and p != KNOBS_PY and "__pycache__" not in p.parts and p.suffix != ".pyc")


def test_checker_flags_a_reintroduced_literal() -> None:
    source = 'import os\nSPEED = os.environ.get("LDV_SPEED", "1")\nf\'LDV_X={x}\'\nprint("LDV_DONE cycles 3")\n'
    assert knob_literals(source) == [(2, "LDV_SPEED"), (3, "LDV_X")]


def test_no_knob_literal_outside_knobs_module() -> None:
    found = []
    for path in _sources():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{path.relative_to(REPO)}:{line}: {name}" for line, name in knob_literals(text)]
    assert not found, ("LDV_ names spelt outside tb/common/knobs.py (import the constant from there):\n"
                       + "\n".join(found))


def test_every_knob_has_one_line_doc_with_default() -> None:
    table = knobs.knobs()
    names = [k.name for k in table]
    assert len(names) == len(set(names)), f"knob defined twice: {names}"
    constants = {k: v for k, v in vars(knobs).items()
                 if isinstance(v, str) and v.startswith(knobs.PREFIX) and v != knobs.PREFIX and k.isupper()}
    assert sorted(constants) == sorted(k.constant for k in table)
    for k in table:
        assert k.default and k.meaning, k


def test_docs_table_matches_knobs_module() -> None:
    text = DOC.read_text()
    assert TABLE_BEGIN in text and TABLE_END in text, f"{DOC}: no knob table markers"
    shown = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip("\n") + "\n"
    assert shown == knobs.knob_table(), (f"{DOC.relative_to(REPO)}: the knob table is stale; replace it with the "
                                         "output of `python -m llama_dv.tb.common.knobs`")
