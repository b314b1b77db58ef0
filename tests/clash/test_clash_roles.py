"""Role maps: a user's decoder top whose ports are named otherwise binds to the decoder
environment through a short YAML (`tb/clash/roles.py`). The fixture
`tests/fixtures/clash/decoder_renamed/` wraps `decoder_small` as `my_llama_decoder`
with every port renamed and an active-low reset; it must run the decoder tests bit
exact, and wrong maps must fail naming the file, the role and the port."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from llama_dv.tb.clash.duts import role_map_build
from llama_dv.tb.clash.manifest import GEN_DIR, REPO_ROOT, ClashManifest
from llama_dv.tb.clash.roles import ROLES, RoleMap, RoleMapError
from llama_dv.tb.sim.runner import RunResult, run

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "clash" / "decoder_renamed"
ROLES_YAML = FIXTURE / "roles.yaml"
MODULE = "llama_dv.tb.tests.test_clash_decoder"

needs_gen = pytest.mark.skipif(not (GEN_DIR / "decoder_small" / "clash-manifest.json").is_file(),
                               reason="rtl/gen has no decoder_small; run rtl/clash/build.sh")


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def _run(roles: Path, testcase: str, tokens: int, seed: int, sim: str = "verilator") -> RunResult:
    return run(role_map_build(roles, sim), MODULE, testcase=testcase, seed=seed, timeout_s=1800,
               extra_env={"LDV_CLASH_DECODER_TOKENS": str(tokens), "LDV_CLASH_ROLES": _rel(roles)})


def _explain(res: RunResult) -> str:
    return f"{res.status}: {res.message}\nlog: {res.log}\nreplay: {res.replay}"


def _variant(tmp_path: Path, **changes: str | None) -> Path:
    """The fixture's map with roles changed (None: left out), written next to a copy of
    its manifest."""
    raw = yaml.safe_load(ROLES_YAML.read_text())
    raw.pop("sources")
    for role, port in changes.items():
        if port is None:
            raw["roles"].pop(role)
        else:
            raw["roles"][role] = port
    shutil.copy(FIXTURE / "clash-manifest.json", tmp_path / "clash-manifest.json")
    path = tmp_path / "roles.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_fixture_binds_every_role() -> None:
    m = RoleMap.load(ROLES_YAML)
    assert m.manifest.top == "my_llama_decoder"
    assert set(m.ports) == {r.name for r in ROLES}
    assert (m.port("token_out").name, m.port("kv_k_exp").name) == ("rsp_token_o", "kvw_key_exp_o")
    assert m.reset_active == 0 and m.period_ps == 10000, "rst_ni is active low in the fixture's manifest"
    assert m.skipped_checks() == []
    names = {p.name for p in m.verilog_sources}
    assert {"my_llama_decoder.v", "decoder_small.v"} <= names


def test_fixture_manifest_matches_the_wrapper() -> None:
    """The hand-written manifest lists the wrapper's ports with their Verilog widths."""
    text = (FIXTURE / "my_llama_decoder.v").read_text()
    header = text[text.index("module my_llama_decoder"):text.index(");")]
    declared = {name: (direction, int(hi) + 1 if hi else 1)
                for direction, hi, name in re.findall(r"(input|output)\s+(?:wire\s+)?(?:signed\s+)?"
                                                      r"(?:\[(\d+):0\]\s*)?(\w+)", header)}
    ports = ClashManifest.load(FIXTURE / "clash-manifest.json").ports
    assert {p.name: ({"in": "input", "out": "output"}[p.direction], p.width) for p in ports.values()} == declared


@needs_gen
def test_project_decoder_gets_the_identity_map() -> None:
    m = RoleMap.identity(ClashManifest.for_top("decoder_small"))
    assert set(m.ports) == {r.name for r in ROLES}
    assert {r: p.name for r, p in m.ports.items() if r in ("clock", "reset", "token_in", "kv_v_exp")} == \
        {"clock": "clk", "reset": "rst", "token_in": "in_token", "kv_v_exp": "kv_ve"}
    assert m.reset_active == 1 and m.kv_cache == "kv_cache.result_RAM"


def test_unknown_port_names_file_role_and_port(tmp_path: Path) -> None:
    path = _variant(tmp_path, token_out="tok_o")
    with pytest.raises(RoleMapError) as err:
        RoleMap.load(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: role 'token_out' -> port 'tok_o': no such port in clash-manifest.json "
                          f"(ports: clk_i, rst_ni, "), msg


def test_swapped_token_roles_fail_on_direction(tmp_path: Path) -> None:
    with pytest.raises(RoleMapError, match=r"role 'token_in' -> port 'rsp_token_o': an output in "
                                           r"clash-manifest.json, the role needs an input"):
        RoleMap.load(_variant(tmp_path, token_in="rsp_token_o", token_out="req_token_i"))


def test_swapped_token_and_position_fail_on_width(tmp_path: Path) -> None:
    """Position 0..15 fits the 6-bit token port, token 0..63 does not fit the 4-bit
    position port."""
    with pytest.raises(RoleMapError, match=r"role 'token_in' -> port 'req_pos_i': 4 bit\(s\) in "
                                           r"clash-manifest.json, the role needs at least 6"):
        RoleMap.load(_variant(tmp_path, token_in="req_pos_i", position_in="req_token_i"))


def test_exact_width_of_a_packed_role(tmp_path: Path) -> None:
    with pytest.raises(RoleMapError, match=r"role 'kv_k_exp' -> port 'kvw_addr_o': 6 bit\(s\) in "
                                           r"clash-manifest.json, the role needs exactly 7"):
        RoleMap.load(_variant(tmp_path, kv_k_exp="kvw_addr_o", kv_addr="kvw_key_exp_o"))


def test_map_errors_name_the_problem(tmp_path: Path) -> None:
    cases = {
        "required role(s) token_out not mapped": dict(token_out=None),
        "KV write port: role(s) kv_we, kv_addr, kv_k, kv_k_exp, kv_v mapped but kv_v_exp not": dict(kv_v_exp=None),
        "unknown role 'tokn_in'": dict(tokn_in="req_token_i"),
        "role 'position_in' -> port 'req_token_i': the port is already mapped to role 'token_in'":
            dict(position_in="req_token_i"),
        "role 'reset' -> port 'req_valid_i': not tagged with the clock's domain": dict(reset="req_valid_i",
                                                                                       request_valid="rst_ni"),
        "role 'clock' -> port 'rsp_ready_i': not a clock": dict(clock="rsp_ready_i", response_ready="clk_i"),
    }
    for expected, changes in cases.items():
        with pytest.raises(RoleMapError, match=re.escape(expected)):
            RoleMap.load(_variant(tmp_path, **changes))


def test_file_level_errors(tmp_path: Path) -> None:
    shutil.copy(FIXTURE / "clash-manifest.json", tmp_path / "clash-manifest.json")
    path = tmp_path / "roles.yaml"
    for text, expected in (("roles: [clk_i]\n", "'roles' must map role names to port names"),
                           ("top: other\nroles: {clock: clk_i}\n", "top 'other', but clash-manifest.json "
                                                                    "describes top 'my_llama_decoder'"),
                           ("roles: {clock: clk_i}\nport_map: {}\n", "unknown key(s) port_map"),
                           ("roles: {clock: clk_i}\nsources: [nothere/*.v]\n", "sources 'nothere/*.v' matches no file")):
        path.write_text(text)
        with pytest.raises(RoleMapError, match=re.escape(f"{path}: {expected}")):
            RoleMap.load(path)


def test_optional_groups_left_out_are_reported(tmp_path: Path) -> None:
    m = RoleMap.load(FIXTURE / "roles_minimal.yaml")
    assert not any(m.has(g) for g in ("cycles", "kv_write", "head")) and m.kv_cache is None
    assert [line.split(": ")[1] for line in m.skipped_checks()] == [
        "no cycle counter (cycles_out)", "no KV write port (kv_we, kv_addr, kv_k, kv_k_exp, kv_v, kv_v_exp)",
        "no finished attention heads (head_valid, head_layer, head_index, head_updates, head_out)",
        "no kv_cache path"]


@pytest.mark.sim
@needs_gen
def test_renamed_decoder_smoke(sim: str, seed: int) -> None:
    """Layer 0 at position 0 through the role map: KV rows, stored cache (backdoor below
    the wrapper) and four heads checked on arrival (about 8 900 cycles)."""
    res = _run(ROLES_YAML, "DecoderFirstLayerSmoke", 1, seed, sim)
    assert res.ok, _explain(res)


@pytest.mark.sim
@needs_gen
def test_renamed_decoder_one_token_with_required_roles_only(seed: int) -> None:
    """The minimal map binds tokens and logits only; the skipped checks are logged once."""
    res = _run(FIXTURE / "roles_minimal.yaml", "DecoderGreedyTokens", 1, seed)
    assert res.ok, _explain(res)
    log = res.log.read_text()
    assert log.count("no KV write port (kv_we") == 1 and log.count("not read by backdoor") == 1, res.log


@pytest.mark.sim
@pytest.mark.extended  # 16 tokens; make test: the smoke runs and the one-token run through role maps
@needs_gen
def test_renamed_decoder_generates_golden_tokens_verilator(seed: int) -> None:
    """The existing 16-token greedy test, every check on, through the role map."""
    res = _run(ROLES_YAML, "DecoderGreedyTokens", 16, seed)
    assert res.ok, _explain(res)


@pytest.mark.sim
@needs_gen
def test_swapped_kv_roles_are_caught(seed: int) -> None:
    """K and V swapped in the map bind (same width and direction) but the first KV row
    fails, naming position, token, layer, KV head and the K mantissa."""
    res = _run(FIXTURE / "roles_swapped_kv.yaml", "DecoderGreedyTokens", 1, seed)
    assert res.status == "fail", f"K/V-swapped role map passed: {_explain(res)}"
    assert re.search(r"pos 0 \(token \d+\) layer 0 kv head 0 K mantissa \d+: expected -?\d+ \(0x[0-9a-f]+\), "
                     r"actual -?\d+", res.message), res.message


def test_role_table_is_documented() -> None:
    text = (REPO_ROOT / "docs" / "dv" / "decoder.md").read_text()
    missing = [r.name for r in ROLES if f"`{r.name}`" not in text]
    assert not missing, f"docs/dv/decoder.md does not document role(s) {missing}"


@needs_gen
def test_fixture_manifest_is_clash_shaped() -> None:
    """Same keys as the manifest Clash wrote for decoder_small, and the wrapper's file
    hash as Clash records it, so the fixture stands for a user's Clash top."""
    raw = json.loads((FIXTURE / "clash-manifest.json").read_text())
    ref = json.loads((GEN_DIR / "decoder_small" / "clash-manifest.json").read_text())
    assert set(raw) == set(ref) and set(raw["top_component"]) == set(ref["top_component"])
    digest = hashlib.sha256((FIXTURE / "my_llama_decoder.v").read_bytes()).hexdigest()
    assert {"name": "my_llama_decoder.v", "sha256": digest} in raw["files"], "edit the manifest with the wrapper"
