"""The decoder side-by-side bench (`llama-dv bench --clash decoder_small`): cocotb against a
native bench generated from the decoder's role map, on the same stimulus; a different
token stream is an error naming both streams."""
from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from llama_dv.regress import bench, native_bench
from llama_dv.tb.envs.decoder.weights import decoder_weights
from llama_dv.tb.clash.manifest import GEN_DIR, REPO_ROOT
from llama_dv.tb.clash.native_harness import VERILOG_TOP, HarnessError, cpp_main, verilog_bench
from llama_dv.tb.clash.roles import RoleMap

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not (GEN_DIR / "decoder_small" / "clash-manifest.json").is_file(),
                                 reason="rtl/gen has no decoder_small; run rtl/clash/build.sh")]

RENAMED = REPO_ROOT / "tests" / "fixtures" / "clash" / "decoder_renamed" / "roles.yaml"


def _golden(prompt: list[int], tokens: int = 1) -> list[int]:
    model = decoder_weights(native_bench.DEFAULT_WEIGHT_SEED)
    return [int(t) for t in model.generate(prompt, tokens)]


def test_bench_runs_decoder_side_by_side(tmp_path: Path, seed: int) -> None:
    """One token on Verilator (about 80 000 cycles each side): equal streams, both rates
    and their ratio in the record."""
    out = tmp_path / "bench.json"
    rc = bench.main(["--clash", "decoder_small", "--sim", "verilator", "--tokens", "1", "--seed", str(seed),
                     "--out", str(out)])
    assert rc == 0
    record = json.loads(out.read_text())
    assert record["results"] == []
    (pair,) = record["side_by_side"]
    assert pair["top"] == "decoder_small" and pair["sim"] == "verilator" and pair["n_tokens"] == 1
    assert pair["cocotb"]["tokens"] == pair["native"]["tokens"] == _golden(pair["prompt"])
    assert abs(pair["cocotb"]["sim_cycles"] - pair["native"]["sim_cycles"]) <= 4 < 80_000 < pair["native"]["sim_cycles"]
    assert pair["ratio_cpu"] > 0 and pair["ratio_wall"] > 0
    assert "--timing" not in pair["build_args"] and "--vpi" in pair["build_args"]


def test_different_native_stream_is_an_error(tmp_path: Path, seed: int) -> None:
    """The native bench given another prompt (one whose greedy token differs) must fail the
    bench, naming both streams."""
    seen: dict[str, list[int]] = {}

    def other_prompt(prompt: list[int]) -> list[int]:
        seen["cocotb"] = prompt
        expected = _golden(prompt)
        other = next(q for q in range(64) if _golden([q]) != expected)
        seen["native"] = [other]
        return [other]

    with pytest.raises(native_bench.StreamMismatch) as err:
        native_bench.side_by_side("verilator", top="decoder_small", n_tokens=1, seed=seed, out_dir=tmp_path,
                                  native_prompt=other_prompt)
    message = str(err.value)
    assert (f"token streams differ at index 0: cocotb {_golden(seen['cocotb'])}, "
            f"native {_golden(seen['native'])}") in message, message


def test_record_check_rejects_different_streams_and_wrong_ratios() -> None:
    good = {"top": "decoder_small", "sim": "verilator", "ratio_wall": 2.0, "ratio_cpu": 1.5,
            "cocotb": {"tokens": [1, 2], "sim_cycles": 100, "wall_s": 2.0, "cpu_s": 1.5},
            "native": {"tokens": [1, 2], "sim_cycles": 100, "wall_s": 1.0, "cpu_s": 1.0}}
    bench.check_record({"results": [], "side_by_side": [good]})
    differ = copy.deepcopy(good)
    differ["native"]["tokens"] = [1, 3]
    with pytest.raises(bench.BenchError, match=r"token streams differ: cocotb \[1, 2\], native \[1, 3\]"):
        bench.check_record({"results": [], "side_by_side": [differ]})
    wrong = copy.deepcopy(good)
    wrong["ratio_cpu"] = 1.0
    with pytest.raises(bench.BenchError, match="ratio_cpu 1.0 does not follow"):
        bench.check_record({"results": [], "side_by_side": [wrong]})
    with pytest.raises(bench.BenchError, match="no results"):
        bench.check_record({"results": [], "side_by_side": []})


def test_harnesses_follow_the_role_map(tmp_path: Path) -> None:
    """A decoder with other port names gets benches on its own names; the Verilog one
    compiles with its RTL on Icarus."""
    roles = RoleMap.load(RENAMED)
    cpp, sv = cpp_main(roles), verilog_bench(roles)
    for port in ("clk_i", "rst_ni", "req_valid_i", "req_ready_o", "rsp_token_o", "rsp_ready_i"):
        assert f"top->{port}" in cpp and port in sv
    assert "top->in_valid" not in cpp and "rst_ni = 1'b0;" in sv  # active-low reset from the manifest
    bench_v = tmp_path / "bench.v"
    bench_v.write_text(sv)
    proc = subprocess.run(["iverilog", "-g2012", "-o", str(tmp_path / "b.vvp"), "-s", VERILOG_TOP, str(bench_v),
                           *map(str, roles.verilog_sources)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_renamed_decoder_native_benches_match_the_golden(tmp_path: Path) -> None:
    """The generated benches of the renamed decoder, one token on each simulator, give the
    golden model's token."""
    roles = RoleMap.load(RENAMED)
    for sim in ("verilator", "icarus"):
        role_map, dut = native_bench.decoder_target(None, RENAMED, sim)
        run = native_bench.run_native(role_map, dut, tmp_path / sim, [5], 1)
        assert run.tokens == _golden([5]), (sim, run)
        assert roles.manifest.top == "my_llama_decoder"


@pytest.mark.slow
def test_bench_runs_decoder_side_by_side_on_icarus(tmp_path: Path, seed: int) -> None:
    """One token on Icarus (some 80 000 cycles at a few thousand cycles/s, each side)."""
    out = tmp_path / "bench.json"
    assert bench.main(["--clash", "decoder_small", "--sim", "icarus", "--tokens", "1", "--seed", str(seed),
                       "--out", str(out)]) == 0
    (pair,) = json.loads(out.read_text())["side_by_side"]
    assert pair["cocotb"]["tokens"] == pair["native"]["tokens"] == _golden(pair["prompt"])


def test_harness_errors_name_the_map_role_and_port() -> None:
    """Ports the benches cannot address or hold are refused before anything is built."""
    roles = RoleMap.load(RENAMED)
    wide = dataclasses.replace(roles.ports["token_out"], width=65)
    with pytest.raises(HarnessError, match=r"roles.yaml: role 'token_out' -> port 'rsp_token_o' is 65 bits"):
        cpp_main(dataclasses.replace(roles, ports={**roles.ports, "token_out": wide}))
    odd = dataclasses.replace(roles.manifest, ports={**roles.manifest.ports,
                                                     "a$b": dataclasses.replace(wide, name="a$b", width=1)})
    with pytest.raises(HarnessError, match=r"port 'a\$b' is not a plain identifier"):
        verilog_bench(dataclasses.replace(roles, manifest=odd))


def test_side_by_side_input_errors(tmp_path: Path) -> None:
    with pytest.raises(native_bench.NativeBenchError, match="unknown simulator 'vcs'"):
        native_bench.side_by_side("vcs", top="decoder_small", out_dir=tmp_path)
    with pytest.raises(native_bench.NativeBenchError, match="tokens must be at least 1, got 0"):
        native_bench.side_by_side("icarus", top="decoder_small", n_tokens=0, out_dir=tmp_path)
    with pytest.raises(native_bench.NativeBenchError, match="needs a prompt of at least one token"):
        role_map, dut = native_bench.decoder_target("decoder_small", None, "icarus")
        native_bench.run_native(role_map, dut, tmp_path, [], 1)
