"""The M5 sign-off reads the `make synth` JSON and fails when a threshold is crossed.

The fast tests run the real flow on a miniature decoder (wide weight ROM, KV RAM, lane
multipliers and one MAC) and evaluate synth_metric criteria of the same form as M5's
through `regress.signoff`; the slow test synthesizes `decoder_small` itself and checks
the testplan's own M5 criteria, met as written and failed one by one when tightened
just past the measured figure.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from regress.funccov import FunctionalCoverage
from regress.signoff import Evidence, evaluate
from regress.testplan import load_testplan
from regress.yosys import custom_top, discover_tops, synthesize_top
from regress.yosys.thresholds import METRICS
from tb.sim.toolchain import yosys_executable
from tests.test_yosys_flow import WIDE_V

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(yosys_executable() is None,
                                reason="no yosys: `make setup` installs llama-dv-yosys (pyosys) into the venv")


def _m5_synth_criteria() -> list[dict]:
    """The synth_metric criteria of milestone M5, including those inside structural ones."""
    plan = load_testplan()
    out, todo = [], list(plan.milestones["M5"]["signoff"])
    while todo:
        crit = todo.pop(0)
        if crit["kind"] == "structural":
            todo.extend(crit["requires"])
        elif crit["kind"] == "synth_metric":
            out.append(crit)
    return out


def _evidence(synth_dir: Path) -> Evidence:
    return Evidence([], FunctionalCoverage(), {}, [], synth_dir)


def _tightened(crit: dict, measured: float) -> dict:
    """`crit` with its limit moved just past `measured`, so the measured figure fails it."""
    limit = {"<=": measured - 1, "<": measured, ">=": measured + 1, ">": measured,
             "==": measured + 1}[crit["op"]]
    return dict(crit, value=limit)


def test_m5_criteria_name_metrics_the_flow_reports() -> None:
    crits = _m5_synth_criteria()
    assert {c["top"] for c in crits} >= {"decoder_small"}
    for crit in crits:
        assert crit["metric"].lower() in METRICS, f"M5 criterion {crit['description']!r}: unknown metric"


@pytest.fixture(scope="module")
def wide_synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real synthesis of the miniature decoder; returns the folder holding `wide.json`."""
    src = tmp_path_factory.mktemp("wide_src")
    (src / "wide.v").write_text(WIDE_V)
    for name, width in (("w_m.memb", 512), ("g.memb", 16)):
        rng = random.Random(width)
        (src / name).write_text("".join(f"{rng.getrandbits(width):0{width}b}\n" for _ in range(64)))
    out = tmp_path_factory.mktemp("wide_synth")
    rep = synthesize_top(custom_top("wide", [src / "wide.v"]), out, REPO, timeout_s=300)
    assert rep["status"] == "ok", rep.get("error")
    return out


WIDE_CRITERIA = [
    {"metric": "block_ram_memories", "op": ">=", "value": 2},
    {"metric": "lut_memory_width", "op": "<=", "value": 128},
    {"metric": "multipliers_at:mac_p", "op": "==", "value": 1},
    {"metric": "multipliers", "op": "<=", "value": 5},
    {"metric": "bram", "op": ">=", "value": 2},
]


@pytest.mark.parametrize("crit", WIDE_CRITERIA, ids=lambda c: c["metric"])
def test_signoff_reads_figures_and_fails_a_lowered_threshold(wide_synth: Path, crit: dict) -> None:
    plan = load_testplan()
    full = dict(crit, kind="synth_metric", description=crit["metric"], top="wide")
    met = evaluate(plan, "M5", full, _evidence(wide_synth))
    assert met.passed, met.evidence
    measured = float(met.evidence[0].split(" = ")[1].split(" ")[0])
    failed = evaluate(plan, "M5", _tightened(full, measured), _evidence(wide_synth))
    assert not failed.passed, failed.evidence


@pytest.mark.slow
def test_decoder_small_meets_m5_and_fails_each_tightened_threshold(tmp_path: Path) -> None:
    tops = {t.name: t for t in discover_tops(REPO)}
    if "decoder_small" not in tops:
        pytest.skip("rtl/gen/decoder_small not generated")
    from regress.yosys.defaults import DFF_INFERENCE_PER_TOP, SHARE_PER_TOP, SPLIT_PER_TOP
    from regress.yosys.weights import export_weights

    rep = synthesize_top(tops["decoder_small"], tmp_path, REPO, timeout_s=1800,
                         share=SHARE_PER_TOP.get("decoder_small", "full"),
                         dff_inference=DFF_INFERENCE_PER_TOP.get("decoder_small", "on"),
                         export_dirs=(export_weights(tmp_path),),
                         split=SPLIT_PER_TOP.get("decoder_small", ()))
    assert rep["status"] == "ok", rep.get("error")
    if "mac_matvec" in tops:
        synthesize_top(tops["mac_matvec"], tmp_path, REPO, timeout_s=1800,
                       share=SHARE_PER_TOP.get("mac_matvec", "full"))
    plan = load_testplan()
    for crit in _m5_synth_criteria():
        met = evaluate(plan, "M5", crit, _evidence(tmp_path))
        assert met.passed, met.evidence
        measured = float(met.evidence[0].split(" = ")[1].split(" ")[0])
        failed = evaluate(plan, "M5", _tightened(crit, measured), _evidence(tmp_path))
        assert not failed.passed, (crit["description"], failed.evidence)


def test_signoff_refuses_figures_of_changed_sources(wide_synth: Path, tmp_path: Path) -> None:
    """A report whose recorded source hash no longer matches the file is stale: the RTL
    changed after `make synth`, so its figures are not evidence for the RTL signed off."""
    plan = load_testplan()
    crit = dict(WIDE_CRITERIA[0], kind="synth_metric", description="stale check", top="wide")
    assert evaluate(plan, "M5", crit, _evidence(wide_synth)).passed
    report = json.loads((wide_synth / "wide.json").read_text())
    report["source_sha256"] = {name: "0" * 64 for name in report["source_sha256"]}
    (tmp_path / "wide.json").write_text(json.dumps(report))
    stale = evaluate(plan, "M5", crit, _evidence(tmp_path))
    assert not stale.passed and "stale" in stale.evidence[0] and "wide.v" in stale.evidence[0], stale.evidence
