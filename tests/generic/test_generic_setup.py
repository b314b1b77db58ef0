"""The generic layer before any simulation: signature, ARGS, golden, stimulus, registry.

A user's mistake in ARGS or the golden must be reported by name before anything is
built; a DUT listed in LLAMA_DV_DUTS must join the registry with the right tests.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from llama_dv.tb import dut_registry as duts
from llama_dv.tb.generic import Array, LengthOf, Output, Scalar
from llama_dv.tb.generic.arguments import SignatureError, signature
from llama_dv.tb.generic.golden import Golden, GoldenError, load_golden
from llama_dv.tb.generic.stimulus import CORNERS, Stimulus, StimulusError
from llama_dv.tb.sim.runner import REPO_ROOT

EXPORTS = REPO_ROOT / "tests" / "fixtures" / "exports"


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`llama-dv describe` of the vadd_rom and saxpy_mm fixtures (one YAML each)."""
    out = tmp_path_factory.mktemp("described")
    paths = {}
    for name in ("vadd_rom", "saxpy_mm"):
        paths[name] = out / f"{name}.yaml"
        subprocess.run([sys.executable, "-m", "llama_dv.regress.cli", "describe", str(EXPORTS / name), "-o",
                        str(paths[name])], check=True, cwd=REPO_ROOT, capture_output=True)
    return paths


def _desc(path: Path):
    from llama_dv.tb.dut_description import load_description

    return load_description(path)


def test_signature_of_memory_kernel(described: dict[str, Path]) -> None:
    golden = load_golden(f"{EXPORTS / 'vadd_rom' / 'golden.py'}:golden")
    args = {a.name: a for a in signature(_desc(described["vadd_rom"]), golden.args)}
    assert [(n, a.direction, a.carrier) for n, a in args.items()] == [
        ("a", "in", "ap_memory"), ("b", "in", "ap_memory"), ("c", "out", "ap_memory"), ("n", "in", "port")]


def test_signature_of_m_axi_kernel_places_pointers(described: dict[str, Path]) -> None:
    golden = load_golden(f"{EXPORTS / 'saxpy_mm' / 'golden.py'}:golden")
    args = {a.name: a for a in signature(_desc(described["saxpy_mm"]), golden.args)}
    assert (args["x"].carrier, args["x"].bundle, args["x"].address_via) == ("m_axi", "gmem", "register")
    assert args["y"].direction == "out" and args["a"].carrier == "register"


@pytest.mark.parametrize(("specs", "message"), [
    ({"q": Array()}, "ARGS['q']: vadd_rom has no argument of that name (arguments: a, b, c, n)"),
    ({"c": Array()}, "ARGS['c']: c is an output"),
    ({"n": Array()}, "Array given for scalar argument n"),
    ({"a": Scalar()}, "Scalar given for array argument a"),
])
def test_bad_args_are_named(described: dict[str, Path], specs: dict, message: str) -> None:
    with pytest.raises(SignatureError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        signature(_desc(described["vadd_rom"]), specs)


def test_pointer_to_unknown_bundle_is_named(described: dict[str, Path]) -> None:
    with pytest.raises(SignatureError, match="bundle 'hbm' is not an m_axi interface"):
        signature(_desc(described["saxpy_mm"]), {"x": Array(bundle="hbm"), "y": Output(bundle="gmem")})


def _stimulus(described: dict[str, Path], specs: dict, fn=None) -> Stimulus:
    golden = Golden("test:golden", fn or (lambda a, b, n: {"c": a[:n] + b[:n]}), specs)
    return Stimulus(signature(_desc(described["vadd_rom"]), specs), golden, np.random.default_rng(1), 1)


def test_corners_hit_range_ends_and_lengths(described: dict[str, Path]) -> None:
    specs = {"a": Array(length=(3, 9), lo=-5, hi=7), "b": Array(length=LengthOf("a"), lo=0, hi=1),
             "n": LengthOf("a")}
    calls = {c.kind: c for c in _stimulus(described, specs).directed()}
    assert set(calls) == set(CORNERS)
    assert len(calls["min"].inputs["a"]) == 3 and set(calls["min"].inputs["a"]) == {-5}
    assert len(calls["max"].inputs["a"]) == 9 and set(calls["max"].inputs["a"]) == {7}
    assert calls["max"].inputs["n"] == 9 and len(calls["max"].inputs["b"]) == 9
    assert set(calls["zeros"].inputs["a"]) == {0}
    for c in _stimulus(described, specs).random(50):
        assert -5 <= c.inputs["a"].min() and c.inputs["a"].max() <= 7 and 3 <= c.inputs["n"] <= 9
        assert np.array_equal(c.expected["c"], c.inputs["a"] + c.inputs["b"])


def test_length_beyond_memory_depth_is_refused(described: dict[str, Path]) -> None:
    with pytest.raises(StimulusError, match="argument a: length up to 65 exceeds the ap_memory depth 64"):
        _stimulus(described, {"a": Array(length=(1, 65))}).draw()


@pytest.mark.parametrize(("fn", "message"), [
    (lambda a, b, n: {"d": a}, "returned 'd', which is not an output"),
    (lambda a, b, n: {}, "returned no value for output 'c'"),
    (lambda a, b, n: 1 / 0, "raised ZeroDivisionError"),
])
def test_golden_mistakes_are_named(described: dict[str, Path], fn, message: str) -> None:
    with pytest.raises(GoldenError, match=message):
        _stimulus(described, {"a": Array(length=4)}, fn).random(1)


def test_golden_that_cannot_load_is_named(tmp_path: Path) -> None:
    with pytest.raises(GoldenError, match="does not exist"):
        load_golden(f"{tmp_path / 'none.py'}:golden")
    (tmp_path / "g.py").write_text("def other(): pass\n")
    with pytest.raises(GoldenError, match="has no function 'golden'"):
        load_golden(f"{tmp_path / 'g.py'}:golden")


def test_own_duts_join_the_registry(described: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    roles = REPO_ROOT / "tests" / "fixtures" / "clash" / "decoder_renamed" / "roles.yaml"
    monkeypatch.setenv(duts.OWN_DUTS_ENV, f"{described['vadd_rom']}:{roles}")
    assert {"vadd_rom", "clash_my_llama_decoder"} <= set(duts.list_duts())
    assert duts.test_module("vadd_rom") == "llama_dv.tb.generic.tests"
    assert "Overlap" in duts.list_tests("vadd_rom")
    build = duts.get_dut("vadd_rom", "icarus")
    assert build.env[duts.DESCRIPTION_ENV] == str(described["vadd_rom"])
    assert [p.name for p in build.data_files] == ["vadd_rom_tab_ROM_AUTO_1R.dat"]
    decoder = duts.get_dut("clash_my_llama_decoder", "verilator")
    assert decoder.env["LDV_CLASH_ROLES"] == str(roles) and decoder.toplevel == "my_llama_decoder"


def test_run_refuses_bad_input_before_building(described: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "golden.py"
    bad.write_text("from llama_dv.tb.generic import Array\nARGS = {'x': Array()}\ndef golden(a, b, n):\n    return a\n")
    result = subprocess.run([sys.executable, "-m", "llama_dv.regress.cli", "run", str(described["vadd_rom"]),
                             "--golden", f"{bad}:golden"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert "ARGS['x']: vadd_rom has no argument of that name" in result.stderr


def test_length_of_a_product_and_directed_run_options(described: dict[str, Path]) -> None:
    """`LengthOf(x, times=y)` sizes a matrix; a directed entry's third element sets how the call runs."""
    specs = {"a": Array(length=(2, 4)), "b": Array(length=LengthOf("a", times="a")), "n": LengthOf("a")}
    for c in _stimulus(described, specs).random(10):
        assert len(c.inputs["b"]) == c.inputs["n"] ** 2
    with pytest.raises(StimulusError, match=r"argument b: LengthOf\('q'\) names no argument"):
        _stimulus(described, {"a": Array(length=4), "b": Array(length=LengthOf("a", times="q"))})
    golden = Golden("test:golden", lambda a, b, n: {"c": a[:n] + b[:n]}, specs,
                    directed=lambda rng: [("aligned", {"a": np.ones(2), "b": np.ones(4), "n": 2},
                                           {"placement": "page_aligned", "auto_restart_runs": 3})])
    stim = Stimulus(signature(_desc(described["vadd_rom"]), specs), golden, np.random.default_rng(1), 1)
    (own,) = [c for c in stim.directed() if c.kind == "aligned"]
    assert (own.placement, own.auto_restart_runs) == ("page_aligned", 3)


def test_directed_call_outside_the_contract_is_refused(described: dict[str, Path]) -> None:
    """A directed value the port cannot hold (or ARGS excludes) fails naming it, instead of
    being cut to the port's width and showing up as a DUT mismatch."""
    st = _stimulus(described, {"a": Array(length=(1, 8), lo=-5, hi=5)})
    with pytest.raises(StimulusError, match=r"call 'big': argument a: value 6 at index 1 is outside \[-5, 5\]"):
        st.call("big", {"a": np.array([0, 6]), "b": np.array([0, 0]), "n": 2})
    with pytest.raises(StimulusError, match=r"argument b: value 4294967296 at index 0 is outside"):
        st.call("wide", {"a": np.array([0]), "b": np.array([1 << 32]), "n": 1})


def test_smoke_calls_hook_is_loaded_and_drawn(described: dict[str, Path], tmp_path: Path) -> None:
    """A golden module's `smoke_calls` reaches Smoke through Stimulus.smoke(), with goldens;
    a module without one adds nothing."""
    module = tmp_path / "g.py"
    module.write_text("import numpy as np\n"
                      "def golden(a, b, n):\n    return {'c': a[:n] + b[:n]}\n"
                      "def smoke_calls(rng):\n"
                      "    return [(f'mag_{k}', {'a': np.full(2, 1 << k), 'b': np.ones(2, np.int64), 'n': 2})"
                      " for k in (3, 9)]\n")
    golden = load_golden(f"{module}:golden")
    stim = Stimulus(signature(_desc(described["vadd_rom"]), {}), golden, np.random.default_rng(1), 1)
    calls = stim.smoke()
    assert [c.kind for c in calls] == ["mag_3", "mag_9"]
    assert [int(c.expected["c"][0]) for c in calls] == [9, 513]
    assert _stimulus(described, {}).smoke() == []
