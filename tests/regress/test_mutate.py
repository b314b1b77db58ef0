"""`llama-dv mutate`: mutation parsing, justify rules, the fan-out proof, the score, the
`mutation_min` sign-off criterion, and one real run on a fixture Vitis export."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llama_dv.regress.mutate.fanout import reaches_output
from llama_dv.regress.mutate.netlist import Mutation
from llama_dv.regress.mutate.report import result_dir, score, write_result
from llama_dv.regress.mutate.triage import RuleError, justification, load_rules
from llama_dv.regress.signoff import Evidence, evaluate
from llama_dv.regress.funccov import FunctionalCoverage
from llama_dv.tb.sim.runner import REPO_ROOT

CLI = [sys.executable, "-m", "llama_dv.regress.cli"]
LINE = ("mutate -mode cnot1 -module rmsnorm -cell $auto$ff.cc:337:slice$1262 -port Q -portbit 7 -ctrlbit 20 "
        f"-wire v_u -wirebit 7 -src {REPO_ROOT}/rtl/hls/rmsnorm.v:211.22-211.25 "
        f"-src {REPO_ROOT}/rtl/hls/rmsnorm.v:227.3-334.6")


def test_mutation_line_parses_with_a_checkout_relative_location() -> None:
    m = Mutation.parse(3, LINE)
    assert (m.index, m.mode, m.cell, m.port, m.portbit, m.ctrlbit) == (3, "cnot1", "$auto$ff.cc:337:slice$1262",
                                                                        "Q", 7, 20)
    assert m.location == "rtl/hls/rmsnorm.v:227"
    assert m.describe() == "v_u[7] xor with bit 20 at rtl/hls/rmsnorm.v:227"
    assert m.command(module="gate") == ("mutate -mode cnot1 -module gate -cell $auto$ff.cc:337:slice$1262 "
                                        "-port Q -portbit 7 -ctrlbit 20")


def test_justify_rules_match_every_key_they_give() -> None:
    m = Mutation.parse(1, LINE)
    plan = {"mutation": {"rmsnorm": {"justify": [
        {"src": "rtl/hls/rmsnorm.v:100-200", "why": "not this one"},
        {"wire": "v_.", "mode": "const0", "why": "mode differs"},
        {"src": "rmsnorm.v:211", "wire": "v_u", "why": "the one"},
    ]}}}
    rule = justification(load_rules(plan, "rmsnorm"), m)
    assert rule is not None and rule.why == "the one"
    assert load_rules(plan, "rope") == []


@pytest.mark.parametrize("rule, message", [
    ({"wire": "x"}, "needs a one-line `why`"),
    ({"why": "everything"}, "give at least one of"),
    ({"wire": "(", "why": "bad"}, "not a regular expression"),
])
def test_bad_justify_rules_are_named(rule: dict, message: str) -> None:
    with pytest.raises(RuleError, match=rf"mutation\.k\.justify\[1\]: .*{message}"):
        load_rules({"mutation": {"k": {"justify": [rule]}}}, "k")


def _module() -> dict:
    """y = a + b (4 bits) kept in an 8-bit sum; `dead` is an unused register."""
    return {
        "ports": {"a": {"direction": "input", "bits": [2, 3, 4, 5]}, "b": {"direction": "input", "bits": [6, 7, 8, 9]},
                  "y": {"direction": "output", "bits": [10, 11, 12, 13]}},
        "cells": {
            "add": {"type": "$add", "port_directions": {"A": "input", "B": "input", "Y": "output"},
                    "connections": {"A": [2, 3, 4, 5], "B": [6, 7, 8, 9], "Y": [10, 11, 12, 13, 20, 21, 22, 23]}},
            "dead": {"type": "$dff", "port_directions": {"CLK": "input", "D": "input", "Q": "output"},
                     "connections": {"CLK": [30], "D": [20, 21, 22, 23], "Q": [31, 32, 33, 34]}},
        },
        "netnames": {},
    }


def test_fanout_proves_only_bits_that_reach_no_output() -> None:
    mod = _module()
    assert not reaches_output(mod, "add", "Y", 5)  # a sum bit only the unused register reads
    assert not reaches_output(mod, "dead", "D", 1)
    assert reaches_output(mod, "add", "A", 3)  # input bit 3 carries into y[3]
    assert reaches_output(mod, "add", "Y", 2)


def _record(killed: int, survived: int, equivalent: int = 0, **extra: object) -> dict:
    statuses = ["killed"] * killed + ["survived"] * survived + ["equivalent"] * equivalent
    mutants = [{"index": i + 1, "status": s, "signal": f"x[{i}]", "mode": "const0", "location": "rmsnorm.v:1",
                "description": f"x[{i}] stuck at 0 at rmsnorm.v:1", "killed_by": "t" if s == "killed" else None,
                "message": "m"} for i, s in enumerate(statuses)]
    return {"dut": "rmsnorm", "config": "default", "sim": "verilator", "suite": "full", "seed": 1,
            "git_commit": "abc", "mutants": mutants, "score": score(mutants), **extra}


def test_score_leaves_proven_equivalent_mutants_out() -> None:
    s = score(_record(18, 2, equivalent=5)["mutants"])
    assert (s["considered"], s["score_pct"]) == (20, 90.0)


def test_survivors_link_to_their_rtl_line(tmp_path: Path) -> None:
    """The summary links a survivor to its line (relative, resolvable from the result folder)
    and quotes that line; a location outside the checkout stays plain text."""
    record = _record(1, 2)
    record["mutants"][1]["location"] = "rtl/hls/rmsnorm.v:227"
    record["mutants"][2]["location"] = "gone/elsewhere.v:3"
    out = tmp_path / "mutate" / "r"
    _, md = write_result(out, {**record, "count": 3, "tests": [], "wall_s": 1.0, "jobs": 1})
    text = md.read_text()
    link = next(part for part in text.split("(") if part.startswith("../") and "rmsnorm.v#L227" in part)
    target = (out / link.split("#")[0]).resolve()
    assert target == (REPO_ROOT / "rtl/hls/rmsnorm.v").resolve()
    quoted = (REPO_ROOT / "rtl/hls/rmsnorm.v").read_text().splitlines()[226].strip()
    assert f"`{quoted}`" in text
    assert "gone/elsewhere.v:3 |" in text and "](gone" not in text


def _evidence(tmp_path: Path) -> Evidence:
    return Evidence([], FunctionalCoverage(), {}, [], tmp_path / "synth", tmp_path / "mutate")


def _write(tmp_path: Path, record: dict) -> None:
    out = result_dir("rmsnorm", "default", "full", "verilator", tmp_path / "mutate")
    write_result(out, {**record, "count": 40, "tests": [], "wall_s": 1.0, "jobs": 1})


def test_mutation_min_passes_fails_and_names_what_is_missing(tmp_path: Path) -> None:
    from llama_dv.regress.mutate.command import rtl_digest
    from llama_dv.tb import dut_registry as duts

    crit = {"kind": "mutation_min", "description": "d", "dut": "rmsnorm", "min": 95}
    missing = evaluate(None, "rmsnorm", crit, _evidence(tmp_path))  # type: ignore[arg-type]
    assert not missing.passed and "no mutation result" in missing.reason and "llama-dv mutate rmsnorm" in missing.reason
    digest = rtl_digest(duts.get_dut("rmsnorm", "verilator", "default"))
    _write(tmp_path, _record(39, 1, rtl_digest=digest))
    assert evaluate(None, "rmsnorm", crit, _evidence(tmp_path)).passed  # type: ignore[arg-type]
    _write(tmp_path, _record(30, 10, rtl_digest=digest))  # a weakened bench: 75 %
    weak = evaluate(None, "rmsnorm", crit, _evidence(tmp_path))  # type: ignore[arg-type]
    assert not weak.passed and "score below minimum" in weak.reason and "75.0 %" in weak.reason
    _write(tmp_path, _record(39, 1, rtl_digest="0" * 16))
    stale = evaluate(None, "rmsnorm", crit, _evidence(tmp_path))  # type: ignore[arg-type]
    assert not stale.passed and "RTL changed" in stale.reason


WEAK_REGISTRY = """
from llama_dv.tb.dut_registry import get_dut, list_duts, list_tests  # noqa: F401


def test_module(name):
    return "weak_tests"
"""
WEAK_TESTS = """
import pyuvm

from llama_dv.tb.agents.ap_ctrl.monitor import ApCtrlMonitor
from llama_dv.tb.generic import testbase


async def _unchecked(self):
    return  # the weakened bench: ap_idle low outside a call is never checked


ApCtrlMonitor._watch_idle = _unchecked


@pyuvm.test()
class Smoke(testbase.Smoke):
    pass
"""


def _described_vadd_rom(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """vadd_rom described into *tmp_path*, with the env that registers it."""
    export = REPO_ROOT / "tests" / "fixtures" / "exports" / "vadd_rom"
    yaml_path = tmp_path / "vadd_rom.yaml"
    done = subprocess.run([*CLI, "describe", export, "-o", yaml_path], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    yaml_path.write_text(yaml_path.read_text() + f"golden: {export / 'golden.py'}:golden\n")
    return yaml_path, {**os.environ, "LLAMA_DV_DUTS": str(yaml_path),
                       "LLAMA_DV_BUILD_ROOT": str(tmp_path / "build")}


@pytest.mark.slow
def test_weakened_check_drops_the_score_below_the_signoff_minimum(tmp_path: Path) -> None:
    """The mutants of vadd_rom's ap_idle logic, against the stock Smoke test and against the
    same test with the ap_idle check removed: the bench scores 100 %, the weakened one
    falls below a 95 % mutation_min and sign-off fails it."""
    _, env = _described_vadd_rom(tmp_path)
    (tmp_path / "weak_registry.py").write_text(WEAK_REGISTRY)
    (tmp_path / "weak_tests.py").write_text(WEAK_TESTS)
    env["PYTHONPATH"] = str(tmp_path)
    scores = {}
    for name, registry in (("bench", "llama_dv.tb.dut_registry"), ("weak", "weak_registry")):
        out = tmp_path / "mutate" / "vadd_rom-default" / f"{name}-verilator"
        run = subprocess.run([*CLI, "mutate", "vadd_rom", "--tests", "Smoke", "--count", "6", "--jobs", "2",
                              "--only", "wire=ap_idle", "--registry", registry, "--out", out,
                              "--no-equivalence"], capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                             timeout=900, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
        record = json.loads((out / "mutation.json").read_text())
        assert all(m["wire"] == "ap_idle" for m in record["mutants"])
        scores[name] = record["score"]["score_pct"]
        crit = {"kind": "mutation_min", "description": "d", "dut": "vadd_rom", "suite": name, "min": 95}
        verdict = subprocess.run([sys.executable, "-c", (
            "import json, sys; from pathlib import Path; from llama_dv.regress.signoff import Evidence, evaluate; "
            "from llama_dv.regress.funccov import FunctionalCoverage; "
            f"r = evaluate(None, 'vadd_rom', {crit!r}, Evidence([], FunctionalCoverage(), {{}}, [], "
            f"Path('synth'), Path({str(tmp_path / 'mutate')!r}))); print(json.dumps(r.to_json()))")],
            capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=True)
        scores[name + "_signoff"] = json.loads(verdict.stdout)
    assert scores["bench"] == 100.0 and scores["bench_signoff"]["passed"], scores
    assert scores["weak"] < 95.0 and not scores["weak_signoff"]["passed"], scores
    assert "score below minimum" in scores["weak_signoff"]["reason"]


@pytest.mark.parametrize("hierarchy", [False, pytest.param(True, marks=pytest.mark.extended)],  # the second campaign:
                         ids=["flattened", "hierarchy_kept"])  # make check; make test: flattened, bind-file test
def test_mutate_runs_a_fixture_export_with_its_rom(tmp_path: Path, hierarchy: bool) -> None:
    """vadd_rom reads a ROM `.dat` at run time in its ROM submodule: mutant 0 passes only if
    the mutant netlist reads it again (in the flattened top, or with the hierarchy kept in
    the submodule, whose name stays); some mutants are killed, and the table is written."""
    _, env = _described_vadd_rom(tmp_path)
    out = tmp_path / "mut"  # given relative to the working directory, as a user types it
    run = subprocess.run([*CLI, "mutate", "vadd_rom", "--tests", "Smoke", "--count", "6", "--jobs", "2",
                          "--out", "mut", "--no-equivalence", *(["--keep-hierarchy"] if hierarchy else [])],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "mutant 0 passed 1 test(s)" in run.stdout
    assert "1 run-time memory file(s) re-attached" in run.stdout
    record = json.loads((out / "mutation.json").read_text())
    assert len(record["mutants"]) == 6 and record["score"]["killed"] >= 1
    killed = [m for m in record["mutants"] if m["status"] == "killed"]
    assert all(m["killed_by"] == "vadd_rom.Smoke" and m["message"] for m in killed)
    # Infection probes (Verilator): a killed mutant was infected, in the test that killed it.
    assert "infection probes on" in run.stdout and "was killed but its infection probe never fired" not in run.stdout
    probed_kills = [m for m in killed if m["infected"] != "unknown"]
    assert probed_kills and all(m["infected"]["test"] == "vadd_rom.Smoke" for m in probed_kills), killed
    assert "| # | status | mutation | source |" in (out / "mutation.md").read_text()
    netlist = (out / "netlist" / "mutants.v").read_text()
    assert (out / "netlist" / "wrapper.v").is_file() != hierarchy
    if hierarchy:
        # the ROM submodule (specialised by its parameters) keeps its name and reads its file
        rom = netlist.split("vadd_rom_tab_ROM_AUTO_1R (")[1].split("endmodule")[0]
        assert record["hierarchy_kept"] and "$readmem" in rom
        assert "module vadd_rom(" in netlist and "vadd_rom__ldv_mutants" not in netlist


def test_bind_files_are_bench_sources_built_but_never_mutated(tmp_path: Path) -> None:
    """A file that binds verification code into the design (a generated clock) is not read
    by yosys, and is built with the mutants; the design's own sources are mutated."""
    from llama_dv.regress.mutate.netlist import MutantNetlist, bench_sources, hdl_sources
    from llama_dv.tb.sim.runner import DutBuild

    rtl, clock = tmp_path / "top.v", tmp_path / "top_clock.sv"
    rtl.write_text("module top(input clk, output reg q); always @(posedge clk) q <= ~q; endmodule\n")
    clock.write_text("module gen(output bit clk); initial forever #5 clk = ~clk; endmodule\n"
                     "bind top gen gen_i (.clk(clk));\n")
    dut = DutBuild(name="top", sim="verilator", sources=[rtl, clock], toplevel="top")
    assert hdl_sources(dut) == [rtl.resolve()] and bench_sources(dut) == [clock.resolve()]
    netlist = MutantNetlist(dut, tmp_path, [], tmp_path / "b.il", tmp_path / "b.json", tmp_path / "m.v", None,
                            hierarchy_kept=True)
    assert netlist.build().sources == [tmp_path / "m.v", clock.resolve()]


def test_rtl_edited_or_removed_during_a_campaign_is_noticed(tmp_path: Path) -> None:
    """The result keeps the digest of the RTL its netlist was made of; an edit or a removed
    source during the campaign is reported, never a crash that loses the result."""
    from llama_dv.regress.mutate.command import _rtl_changed, rtl_digest
    from llama_dv.tb.sim.runner import DutBuild

    rtl = tmp_path / "top.v"
    rtl.write_text("module top(input a, output b); assign b = a; endmodule\n")
    dut = DutBuild(name="top", sim="verilator", sources=[rtl], toplevel="top")
    digest = rtl_digest(dut)
    assert not _rtl_changed(dut, digest)
    rtl.write_text("module top(input a, output b); assign b = ~a; endmodule\n")
    assert _rtl_changed(dut, digest)
    rtl.unlink()
    assert _rtl_changed(dut, digest)


def test_only_filters_and_survivor_reruns_check_their_input() -> None:
    from llama_dv.regress.mutate.command import _only, _survivors

    assert _only(["wire=ap_idle", "mode=const0"]) == {"wire": "ap_idle", "mode": "const0"}
    with pytest.raises(ValueError, match="KEY=VALUE with KEY one of mode, module, cell, port, wire, src"):
        _only(["bits=3"])
    m = Mutation.parse(1, LINE)
    entry = {"index": 1, "cell": m.cell, "port": m.port, "portbit": m.portbit, "mode": m.mode, "status": "survived"}
    assert _survivors({"mutants": [entry]}, [m]) == [m]
    assert _survivors({"mutants": [{**entry, "status": "killed"}]}, [m]) == []
    with pytest.raises(ValueError, match="mutant 1 is not the one of the last result"):
        _survivors({"mutants": [{**entry, "portbit": 8}]}, [m])


def test_cell_local_proof_proves_only_what_cannot_change(tmp_path: Path) -> None:
    """`a < 128` ignores a[0] (proven); `a > 4` does not (a = 5 with a[0] cleared is 4)."""
    from llama_dv.regress.mutate.equivalence import local_proof
    from llama_dv.regress.mutate.netlist import run_yosys

    (tmp_path / "t.v").write_text("module t(input [7:0] a, output y, output z);\n"
                                  "  assign y = a < 8'd128;\n  assign z = a > 8'd4;\nendmodule\n")
    run_yosys(f"read_verilog {tmp_path / 't.v'}\nhierarchy -top t\nproc\nwrite_rtlil base.il\nwrite_json base.json\n",
              tmp_path, "base")
    cells = json.loads((tmp_path / "base.json").read_text())["modules"]["t"]["cells"]
    lt = next(c for c, v in cells.items() if v["type"] == "$lt")
    gt = next(c for c, v in cells.items() if v["type"] == "$gt")
    stuck = [Mutation(index=i, mode="const0", module="t", cell=c, port="A", portbit=0) for i, c in ((1, lt), (2, gt))]
    proofs = [local_proof(tmp_path / "base.il", "t", tmp_path, m) for m in stuck]
    assert proofs[0] is not None and proofs[0].proven and "mutated cell alone" in proofs[0].reason
    assert proofs[1] is None


def test_infection_probes_tell_never_infected_from_infected(tmp_path: Path) -> None:
    """Probes in a real mutant netlist, simulated by Icarus with a plain bench: a[3] is
    always 1, so stuck-at-1 on it is never infected; a[0] toggles, so stuck-at-0 on it is
    (first when a[0] is 1); an xor with a[3] is; an inversion is at once; a mutant run
    (ldv_mutant = 2) prints nothing."""
    import shutil
    from types import SimpleNamespace

    from llama_dv.regress.mutate.infection import attach_probes, read_infections
    from llama_dv.regress.mutate.netlist import CONTROL, MutantNetlist, run_yosys

    if shutil.which("iverilog") is None:
        pytest.skip("Icarus Verilog is not installed; run `make setup`")
    (tmp_path / "t.v").write_text("module t(input clk, input [3:0] a, input [3:0] m, output reg [3:0] y);\n"
                                  "  always @(posedge clk) y <= a & m;\nendmodule\n")
    run_yosys(f"read_verilog {tmp_path / 't.v'}\nhierarchy -top t\nproc\nopt_clean\nwrite_rtlil base.il\n"
              "write_json base.json\n", tmp_path, "base")
    cells = json.loads((tmp_path / "base.json").read_text())["modules"]["t"]["cells"]
    cell = next(c for c, v in cells.items() if v["type"] == "$and")
    muts = [Mutation(1, "const1", "t", cell, "A", 3), Mutation(2, "const0", "t", cell, "A", 0),
            Mutation(3, "cnot1", "t", cell, "A", 1, ctrlbit=3), Mutation(4, "inv", "t", cell, "Y", 2)]
    apply = "".join(f"{m.command()} -ctrl {CONTROL} 3 {m.index}\n" for m in muts)
    run_yosys(f"read_rtlil base.il\n{apply}write_verilog -noattr mutants.v\n", tmp_path, "apply")
    netlist = MutantNetlist(SimpleNamespace(toplevel="t"), tmp_path, muts, tmp_path / "base.il",  # type: ignore[arg-type]
                            tmp_path / "base.json", tmp_path / "mutants.v", None, hierarchy_kept=True)
    assert attach_probes(netlist) == {1: True, 2: True, 3: True, 4: True}
    (tmp_path / "tb.v").write_text(
        "module tb; reg clk = 0; reg [3:0] a = 4'b1000; reg [2:0] sel; wire [3:0] y;\n"
        f"  t dut(.clk(clk), .a(a), .m(4'b1111), .y(y), .{CONTROL}(sel));\n"
        "  initial begin if (!$value$plusargs(\"SEL=%d\", sel)) sel = 0;\n"
        "    #10 a = 4'b1010; #10 a = 4'b1001; #10 a = 4'b1000; #10 $finish; end\n"
        "  always #5 clk = ~clk;\nendmodule\n")
    subprocess.run(["iverilog", "-o", str(tmp_path / "sim"), str(tmp_path / "mutants.v"), str(tmp_path / "tb.v")],
                   check=True, capture_output=True, text=True)
    for sel, name in ((0, "unmutated.log"), (2, "mutant2.log")):
        out = subprocess.run(["vvp", "-n", str(tmp_path / "sim"), f"+SEL={sel}"], check=True, capture_output=True,
                             text=True)
        (tmp_path / name).write_text(out.stdout)
    seen = read_infections([("tb", tmp_path / "unmutated.log")])
    assert 1 not in seen, seen  # a[3] is 1 throughout: stuck at 1 changes nothing
    assert seen[2]["time"] == 20 and seen[3]["time"] == 0 and seen[4]["time"] == 0, seen
    assert read_infections([("tb", tmp_path / "mutant2.log")]) == {}
