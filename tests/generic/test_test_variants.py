"""A DUT's own test list (`tests:` in its YAML): stock bodies with knobs, or a body of the
user's own, registered under the DUT's names; a wrong base or knob is refused by name.

The kernels' tests (rtl/hls/*.yaml) are declared the same way; these tests hold the
mechanism on the vadd_rom fixture export, which the project did not write for itself.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llama_dv.tb import dut_registry as duts
from llama_dv.tb.dut_description import DutDescriptionError, load_description
from llama_dv.tb.sim.runner import REPO_ROOT

VADD = REPO_ROOT / "tests" / "fixtures" / "exports" / "vadd_rom"
LLAMA_DV = [sys.executable, "-m", "llama_dv.regress.cli"]
OWN_BODY = '''
from llama_dv.tb.generic import testbase


class TwoCalls(testbase.GenericTest):
    """Two random calls, from a body of the user's own."""

    async def body(self):
        self.logger.info("own body: two calls")
        st = self.env.stimulus
        await self.env.run_calls([st.call("own", st.draw()) for _ in range(2)])
'''


@pytest.fixture(scope="module")
def vadd_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("variants") / "vadd_rom.yaml"
    subprocess.run([*LLAMA_DV, "describe", str(VADD), "-o", str(out)], check=True, cwd=REPO_ROOT, capture_output=True)
    return out


def with_tests(base_yaml: Path, where: Path, tests: str) -> Path:
    path = where / "vadd_rom.yaml"
    path.write_text(base_yaml.read_text() + "\ntests:\n" + tests)
    return path


def test_yaml_tests_replace_the_stock_list(vadd_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = with_tests(vadd_yaml, tmp_path, "  VaddSmoke: {base: Smoke}\n  VaddLong: {base: Random, calls: 3, flow: worst}\n")
    desc = load_description(path)
    assert [(v.name, v.base, dict(v.knobs)) for v in desc.tests] == [
        ("VaddSmoke", "Smoke", {}), ("VaddLong", "Random", {"calls": 3, "flow": "worst"})]
    monkeypatch.setenv(duts.OWN_DUTS_ENV, str(path))
    assert duts.list_tests("vadd_rom") == ["VaddSmoke", "VaddLong"]
    monkeypatch.setenv(duts.OWN_DUTS_ENV, str(vadd_yaml))
    assert duts.list_tests("vadd_rom")[:3] == ["Smoke", "Directed", "Random"]


@pytest.mark.parametrize(("tests", "message"), [
    ("  VaddX: {base: Smoak}\n", r"tests\.VaddX\.base"),
    ("  VaddX: {base: Random, callz: 3}\n", r"tests\.VaddX.*callz"),
    ("  VaddX: {base: Random, flow: sometimes}\n", r"tests\.VaddX\.flow"),
    ("  Vadd-X: {base: Random}\n", r"tests"),
])
def test_schema_refuses_a_bad_entry_by_name(vadd_yaml: Path, tmp_path: Path, tests: str, message: str) -> None:
    with pytest.raises(DutDescriptionError, match=message):
        load_description(with_tests(vadd_yaml, tmp_path, tests))


def _run(yaml: Path, cwd: Path, tests: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LLAMA_DV, "run", str(yaml), "--golden", f"{VADD / 'golden.py'}:golden", "--sim", "icarus",
                           "--seed", "5", "--tests", tests, "--jobs", "1", "--out", str(out)],
                          cwd=cwd, capture_output=True, text=True, timeout=900)


@pytest.mark.sim
def test_variants_and_own_body_run_under_their_names(vadd_yaml: Path, tmp_path: Path) -> None:
    (tmp_path / "own_tests.py").write_text(OWN_BODY)
    yaml = with_tests(vadd_yaml, tmp_path, "  VaddLong: {base: Random, calls: 3}\n"
                                           "  VaddOwn: {base: 'own_tests:TwoCalls'}\n")
    result = _run(yaml, tmp_path, "VaddLong,VaddOwn", tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    runs = {r["testcase"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())["runs"]}
    assert set(runs) == {"VaddLong", "VaddOwn"} and all(r["status"] == "pass" for r in runs.values())
    assert "own body: two calls" in Path(runs["VaddOwn"]["log"]).read_text()


@pytest.mark.sim
@pytest.mark.parametrize(("entry", "message"), [
    ("{base: ResetMidCall, calls: 3}", "tests.VaddBad: ResetMidCall has no knob 'calls'"),
    ("{base: 'own_tests:NotATest'}", "tests.VaddBad: base 'own_tests:NotATest' is not a subclass"),
])
def test_a_wrong_knob_or_body_fails_naming_yaml_and_test(vadd_yaml: Path, tmp_path: Path, entry: str,
                                                         message: str) -> None:
    (tmp_path / "own_tests.py").write_text(OWN_BODY + "\n\nclass NotATest:\n    pass\n")
    yaml = with_tests(vadd_yaml, tmp_path, f"  VaddBad: {entry}\n")
    result = _run(yaml, tmp_path, "VaddBad", tmp_path / "out")
    assert result.returncode != 0
    run = json.loads((tmp_path / "out" / "results.json").read_text())["runs"][0]
    log = Path(run["log"]).read_text()
    assert message in log and str(yaml) in log
