"""DUT description loading and the DUT registry (no simulator needed)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llama_dv.tb import dut_registry as duts
from llama_dv.tb.dut_description import DutDescriptionError, load_description
from llama_dv.tb.dut_ports import interface_port_names
from llama_dv.tb.sim.runner import REPO_ROOT

GOOD = {
    "name": "k", "toplevel": "k", "sources": ["k.v"],
    "clock": {"port": "ap_clk", "period_ns": 10}, "reset": {"port": "ap_rst_n", "active": "low"},
    "block_protocol": "ap_ctrl_chain", "parameters": {"LATENCY_PAD": 0, "FAULT": 0},
    "faults": {1: "bug"}, "golden": "llama_dv.models.kernels.rope_fixed",
    "interfaces": [
        {"name": "x", "kind": "ap_memory", "ports": 2, "addr_width": 8, "data_width": 8, "direction": "in"},
        {"name": "out", "kind": "ap_memory", "ports": 1, "addr_width": 4, "data_width": 32, "direction": "out"},
        {"name": "in_r", "kind": "axis", "data_width": 32, "direction": "in", "tlast": True, "tkeep": True},
        {"name": "n", "kind": "scalar", "width": 32},
    ],
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "k.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_loads_a_good_description(tmp_path: Path) -> None:
    desc = load_description(write(tmp_path, GOOD))
    assert desc.reset.asserted == 0 and desc.has_continue
    assert desc.sources == ((tmp_path / "k.v").resolve(),)
    assert interface_port_names(desc.interface("x")) == [
        "x_address0", "x_ce0", "x_q0", "x_address1", "x_ce1", "x_q1"]
    assert interface_port_names(desc.interface("out")) == ["out_address0", "out_ce0", "out_we0", "out_d0"]
    assert interface_port_names(desc.interface("in_r")) == [
        "in_r_TDATA", "in_r_TVALID", "in_r_TREADY", "in_r_TLAST", "in_r_TKEEP"]
    assert desc.interface("out").mem_depth == 16


@pytest.mark.parametrize(("mutate", "key"), [
    (lambda d: d.pop("clock"), "key 'clock': missing"),
    (lambda d: d["reset"].update(active="sometimes"), "key 'reset.active'"),
    (lambda d: d.update(block_protocol="ap_ctrl_xx"), "key 'block_protocol'"),
    (lambda d: d["interfaces"][0].update(kind="bram"), "key 'interfaces[0] (x).kind'"),
    (lambda d: d["interfaces"][0].update(ports=3), "key 'interfaces[0] (x).ports'"),
    (lambda d: d["interfaces"][2].update(tlast="yes"), "key 'interfaces[2] (in_r).tlast'"),
    (lambda d: d["interfaces"][1].update(colour="red"), "key 'interfaces[1] (out).colour'"),
    (lambda d: d["interfaces"][1].pop("addr_width"), "key 'interfaces[1] (out).addr_width': missing"),
    (lambda d: d["parameters"].update(FAULT="one"), "key 'parameters.FAULT'"),
    (lambda d: d.update(speed=3), "key 'speed': unknown key"),
    (lambda d: d["clock"].update(period_ns=0), "key 'clock.period_ns': expected a positive number, got 0"),
    (lambda d: d["interfaces"][2].update(direction="inout"), "key 'interfaces[2] (in_r).direction': 'inout' is not"),
    (lambda d: d.update(handshake_timeout_cycles=0), "key 'handshake_timeout_cycles': must be >= 1, got 0"),
    (lambda d: d.update(faults={"one": "x"}), "key 'faults.one': expected a fault number"),
    (lambda d: d.update(build_args={"questa": []}), "key 'build_args.questa': unknown key (allowed: icarus, verilator)"),
])
def test_errors_name_file_and_key(tmp_path: Path, mutate, key: str) -> None:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(DutDescriptionError) as err:
        load_description(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_m_axi_write_order_key(tmp_path: Path) -> None:
    """`w_after_aw` is an m_axi key, true unless the YAML says otherwise (Vitis adapters
    never send W before its AW); elsewhere it is an unknown key."""
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["interfaces"] += [{"name": "gmem", "kind": "m_axi", "data_width": 32, "addr_width": 64},
                           {"name": "hbm", "kind": "m_axi", "data_width": 32, "addr_width": 64, "w_after_aw": False}]
    desc = load_description(write(tmp_path, data))
    assert desc.interface("gmem").w_after_aw is True and desc.interface("hbm").w_after_aw is False
    data["interfaces"][-1]["w_after_aw"] = "no"
    with pytest.raises(DutDescriptionError, match=r"key 'interfaces\[5\] \(hbm\)\.w_after_aw': expected true/false"):
        load_description(write(tmp_path, data))
    data["interfaces"][-1].pop("w_after_aw")
    data["interfaces"][2]["w_after_aw"] = True
    with pytest.raises(DutDescriptionError, match=r"key 'interfaces\[2\] \(in_r\)\.w_after_aw': unknown key"):
        load_description(write(tmp_path, data))


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(DutDescriptionError, match="cannot read"):
        load_description(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(DutDescriptionError, match="not valid YAML"):
        load_description(bad)


def test_project_descriptions_load() -> None:
    for name in ("rmsnorm", "rope", "attention"):
        desc = duts.get_description(name)
        assert desc.name == name and all(s.is_file() for s in desc.sources)


def test_registry_configs() -> None:
    assert {"rmsnorm", "rope", "attention"} <= set(duts.list_duts())
    assert duts.get_dut("rope", "icarus", "pad3").parameters["LATENCY_PAD"] == 3
    assert duts.get_dut("rope", "verilator", "fault2").parameters["FAULT"] == 2
    assert duts.get_dut("rope", "icarus").config == "default"
    with pytest.raises(ValueError, match="no fault 9"):
        duts.get_dut("rope", "icarus", "fault9")
    with pytest.raises(ValueError, match="unknown DUT config"):
        duts.get_dut("rope", "icarus", "turbo")
    with pytest.raises(duts.UnknownDutError, match="unknown DUT 'nope'"):
        duts.get_dut("nope", "icarus")
    assert duts.test_module("attention") == "llama_dv.tb.generic.tests"


def test_list_tests_without_importing() -> None:
    """A kernel's tests come from its YAML's `tests:`; a Clash top's from its module's decorators."""
    assert duts.list_tests("rmsnorm")[0] == "RmsnormSmoke"
    assert duts.tests_in_module("llama_dv.tb.generic.testbase") == []
    assert duts.tests_in_module("llama_dv.tb.tests.test_clash_mac")
