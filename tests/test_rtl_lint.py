"""Static checks of the hand-written Vitis-interface RTL in rtl/hls/.

Every kernel (and every FAULT / LATENCY_PAD variant the negative tests build) must be
`verilator --lint-only -Wall` clean and accepted by `iverilog -g2005` (plain
Verilog-2005, no SystemVerilog). Each kernel's DUT description YAML must load with the
testbench's own loader and list exactly the module's ports, with the widths and
directions a Vitis HLS export would give them. The ROM tables baked into the Verilog
must match models/tables.py, and xmatmul_hw.h must match the offsets matmul.v decodes.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from rtl.hls import gen_tables
from llama_dv.tb import dut_registry as duts
from llama_dv.tb.dut_description import DutDescription, InterfaceSpec, load_description, parse_description
from llama_dv.tb.dut_ports import CTRL_PORTS
from llama_dv.tb.sim.toolchain import check_icarus, verilator_binary, verilator_env

HLS_DIR = Path(__file__).resolve().parents[1] / "rtl" / "hls"
KERNELS = tuple(duts.hls_kernels())
VARIANTS = ({}, {"FAULT": 1}, {"FAULT": 2}, {"LATENCY_PAD": 3})

Ports = dict[str, tuple[str, int]]  # name -> (direction 'in'|'out', width)


def _verilator(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    env.update(verilator_env())
    return subprocess.run([str(verilator_binary()), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def lint_verilator(source: Path, params: dict[str, int], workdir: Path) -> str:
    """Warnings and errors `verilator --lint-only -Wall` prints ('' when clean)."""
    gflags = [f"-G{k}={v}" for k, v in params.items()]
    res = _verilator(["--lint-only", "-Wall", *gflags, str(source)], workdir)
    text = res.stdout + res.stderr
    problems = [ln for ln in text.splitlines() if ln.startswith(("%Warning", "%Error"))]
    if res.returncode != 0 and not problems:
        problems = [f"verilator exited {res.returncode}: {text.strip()}"]
    return "\n".join(problems)


def compile_icarus(source: Path, top: str, params: dict[str, int], workdir: Path) -> str:
    """Output of a failed `iverilog -g2005` compile ('' on success)."""
    iverilog = check_icarus()
    pflags = [f"-P{top}.{k}={v}" for k, v in params.items()]
    res = subprocess.run([str(iverilog), "-g2005", "-o", str(workdir / f"{top}.vvp"), *pflags,
                          str(source)], capture_output=True, text=True, timeout=120)
    return "" if res.returncode == 0 else (res.stdout + res.stderr).strip() or f"exit {res.returncode}"


def module_ports(source: Path, workdir: Path) -> Ports:
    """Top-level ports of `source` as Verilator elaborates them (via --json-only)."""
    res = _verilator(["--json-only", "-Wno-fatal", "--Mdir", str(workdir), str(source)], workdir)
    if res.returncode != 0:
        raise AssertionError(f"{source.name}: verilator --json-only failed:\n{res.stderr}")
    tree = json.loads(next(workdir.glob("*.tree.json")).read_text())
    dtypes: dict[str, dict] = {}
    variables: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type", "").endswith("DTYPE") and "addr" in node:
                dtypes[node["addr"]] = node
            if node.get("type") == "VAR" and node.get("isPrimaryIO"):
                variables.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    ports: Ports = {}
    for var in variables:
        rng = dtypes.get(var["dtypep"], {}).get("range")
        width = 1
        if rng:
            hi, lo = (int(x) for x in rng.split(":"))
            width = abs(hi - lo) + 1
        ports[var["name"]] = ({"INPUT": "in", "OUTPUT": "out"}.get(var["direction"], "inout"), width)
    return ports


def _flip(direction: str) -> str:
    return "out" if direction == "in" else "in"


def interface_ports(iface: InterfaceSpec) -> Ports:
    """Every port a Vitis export gives one interface, with direction and width."""
    n = iface.name
    if iface.kind == "scalar":
        return {n: ("in", iface.width)}
    if iface.kind == "ap_memory":
        ports: Ports = {}
        for p in range(iface.ports):
            ports[f"{n}_address{p}"] = ("out", iface.addr_width)
            ports[f"{n}_ce{p}"] = ("out", 1)
            if iface.direction in ("out", "inout"):
                ports[f"{n}_we{p}"] = ("out", 1)
                ports[f"{n}_d{p}"] = ("out", iface.data_width)
            if iface.direction in ("in", "inout"):
                ports[f"{n}_q{p}"] = ("in", iface.data_width)
        return ports
    if iface.kind == "axis":
        fwd = iface.direction
        ports = {f"{n}_TDATA": (fwd, iface.data_width), f"{n}_TVALID": (fwd, 1),
                 f"{n}_TREADY": (_flip(fwd), 1)}
        for side, on, width in (("TLAST", iface.tlast, 1), ("TKEEP", iface.tkeep, iface.data_width // 8),
                                ("TSTRB", iface.tstrb, iface.data_width // 8),
                                ("TUSER", iface.tuser, iface.user_width)):
            if on:
                ports[f"{n}_{side}"] = (fwd, width)
        return ports
    p = iface.prefix
    dw, sw = iface.data_width, iface.data_width // 8
    if iface.kind == "s_axilite":
        aw = iface.addr_width
        spec = {"AWVALID": ("in", 1), "AWREADY": ("out", 1), "AWADDR": ("in", aw),
                "WVALID": ("in", 1), "WREADY": ("out", 1), "WDATA": ("in", dw), "WSTRB": ("in", sw),
                "ARVALID": ("in", 1), "ARREADY": ("out", 1), "ARADDR": ("in", aw),
                "RVALID": ("out", 1), "RREADY": ("in", 1), "RDATA": ("out", dw), "RRESP": ("out", 2),
                "BVALID": ("out", 1), "BREADY": ("in", 1), "BRESP": ("out", 2)}
        return {f"{p}_{k}": v for k, v in spec.items()}
    aw, iw, uw = iface.addr_width, iface.id_width, iface.user_width
    spec = {}
    for ch in ("AW", "AR"):
        spec.update({f"{ch}VALID": ("out", 1), f"{ch}READY": ("in", 1), f"{ch}ADDR": ("out", aw),
                     f"{ch}ID": ("out", iw), f"{ch}LEN": ("out", 8), f"{ch}SIZE": ("out", 3),
                     f"{ch}BURST": ("out", 2), f"{ch}LOCK": ("out", 2), f"{ch}CACHE": ("out", 4),
                     f"{ch}PROT": ("out", 3), f"{ch}QOS": ("out", 4), f"{ch}REGION": ("out", 4),
                     f"{ch}USER": ("out", uw)})
    spec.update({"WVALID": ("out", 1), "WREADY": ("in", 1), "WDATA": ("out", dw), "WSTRB": ("out", sw),
                 "WLAST": ("out", 1), "WID": ("out", iw), "WUSER": ("out", uw),
                 "RVALID": ("in", 1), "RREADY": ("out", 1), "RDATA": ("in", dw), "RLAST": ("in", 1),
                 "RID": ("in", iw), "RUSER": ("in", uw), "RRESP": ("in", 2),
                 "BVALID": ("in", 1), "BREADY": ("out", 1), "BRESP": ("in", 2), "BID": ("in", iw),
                 "BUSER": ("in", uw)})
    return {f"{p}_{k}": v for k, v in spec.items()}


def expected_ports(desc: DutDescription) -> Ports:
    """The complete port list a Vitis export with this description has."""
    ports: Ports = {desc.clock.port: ("in", 1), desc.reset.port: ("in", 1)}
    outs = {"ap_done", "ap_idle", "ap_ready"}
    for name in CTRL_PORTS[desc.block_protocol]:
        ports[name] = ("out" if name in outs else "in", 1)
    if desc.block_protocol == "s_axilite":
        ports["interrupt"] = ("out", 1)
    for iface in desc.interfaces:
        ports.update(interface_ports(iface))
    return ports


def port_mismatches(expected: Ports, actual: Ports) -> list[str]:
    """Human-readable differences between two port lists ([] when identical)."""
    out = [f"missing port {n} ({d}, {w} bits)" for n, (d, w) in sorted(expected.items()) if n not in actual]
    out += [f"unexpected port {n} ({d}, {w} bits)" for n, (d, w) in sorted(actual.items()) if n not in expected]
    out += [f"port {n}: module has {actual[n]}, description implies {expected[n]}"
            for n in sorted(expected) if n in actual and actual[n] != expected[n]]
    return out


# --- lint ------------------------------------------------------------------------------

def _variant_id(params: dict[str, int]) -> str:
    return "-".join(f"{k}{v}" for k, v in params.items()) or "default"


@pytest.mark.parametrize("params", VARIANTS, ids=_variant_id)
@pytest.mark.parametrize("kernel", KERNELS)
def test_verilator_lint_clean(kernel: str, params: dict[str, int], tmp_path: Path) -> None:
    problems = lint_verilator(HLS_DIR / f"{kernel}.v", params, tmp_path)
    assert not problems, f"rtl/hls/{kernel}.v {_variant_id(params)} is not lint clean:\n{problems}"


@pytest.mark.parametrize("params", VARIANTS, ids=_variant_id)
@pytest.mark.parametrize("kernel", KERNELS)
def test_icarus_accepts_verilog_2005(kernel: str, params: dict[str, int], tmp_path: Path) -> None:
    error = compile_icarus(HLS_DIR / f"{kernel}.v", kernel, params, tmp_path)
    assert not error, f"iverilog -g2005 rejects rtl/hls/{kernel}.v {_variant_id(params)}:\n{error}"


def test_lint_gate_catches_a_warning(tmp_path: Path) -> None:
    """The lint check is not vacuous: an unused signal fails it, SystemVerilog fails Icarus."""
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input wire a, output wire y);\n  wire dangling_w = a;\n"
                   "  assign y = 1'b0;\nendmodule\n")
    assert "UNUSED" in lint_verilator(bad, {}, tmp_path)
    sv = tmp_path / "sv.v"
    sv.write_text("module sv(input logic a, output logic y);\n  always_comb y = a;\nendmodule\n")
    assert compile_icarus(sv, "sv", {}, tmp_path)


# --- DUT descriptions --------------------------------------------------------------------

@pytest.mark.parametrize("kernel", KERNELS)
def test_description_lists_exactly_the_module_ports(kernel: str, tmp_path: Path) -> None:
    desc = load_description(HLS_DIR / f"{kernel}.yaml")
    assert desc.toplevel == kernel and [s.name for s in desc.sources] == [f"{kernel}.v"]
    assert set(desc.parameters) == {"LATENCY_PAD", "FAULT"}
    assert set(desc.faults) >= {1, 2}
    problems = port_mismatches(expected_ports(desc), module_ports(desc.sources[0], tmp_path))
    assert not problems, f"rtl/hls/{kernel}.yaml vs {kernel}.v:\n" + "\n".join(problems)


def test_port_check_catches_a_wrong_description(tmp_path: Path) -> None:
    """A description with a wrong width or a missing interface is reported."""
    import yaml

    raw = yaml.safe_load((HLS_DIR / "rmsnorm.yaml").read_text())
    raw["interfaces"][0]["addr_width"] = 7
    raw["interfaces"] = [i for i in raw["interfaces"] if i["name"] != "w"]
    desc = parse_description(raw, "broken rmsnorm.yaml", HLS_DIR)
    problems = port_mismatches(expected_ports(desc), module_ports(HLS_DIR / "rmsnorm.v", tmp_path))
    assert any("x_address0" in p for p in problems)
    assert any("unexpected port w_q0" in p for p in problems)


@pytest.mark.parametrize("kernel", KERNELS)
def test_golden_named_by_description_exists(kernel: str) -> None:
    from llama_dv.tb.generic.golden import golden_of, load_golden

    desc = load_description(HLS_DIR / f"{kernel}.yaml")
    assert callable(load_golden(golden_of(desc)).fn)


# --- generated ROMs and the register map ----------------------------------------------------

def test_baked_tables_match_models() -> None:
    assert gen_tables.main(["--check"]) == 0, "run `python -m rtl.hls.gen_tables`"


def test_stale_table_is_detected(tmp_path: Path) -> None:
    text = (HLS_DIR / "rmsnorm.v").read_text().replace("6'd0: invsqrt_lut = 32'sd", "6'd0: invsqrt_lut = 32'sd9", 1)
    rendered = gen_tables.render(text, "invsqrt_lut", gen_tables.invsqrt_rom(), tmp_path / "rmsnorm.v")
    assert rendered != text


def _header_offsets() -> dict[str, int]:
    text = (HLS_DIR / "xmatmul_hw.h").read_text()
    return {m[1]: int(m[2], 16) for m in re.finditer(r"#define XMATMUL_CONTROL_ADDR_(\w+)\s+0x([0-9a-fA-F]+)", text)}


def test_register_map_header_matches_rtl_decode() -> None:
    header = _header_offsets()
    rtl = (HLS_DIR / "matmul.v").read_text()
    decoded = {m[1]: int(m[2], 16) for m in re.finditer(r"ADDR_(\w+?)(?:_0)?\s*=\s*7'h([0-9a-fA-F]+)", rtl)}
    renamed = {k.replace("W_EXP", "WEXP").replace("X_EXP", "XEXP"): v for k, v in header.items()}
    assert renamed == {k: v for k, v in decoded.items() if not k.endswith("_1")}
    assert header == {"AP_CTRL": 0x00, "GIE": 0x04, "IER": 0x08, "ISR": 0x0C, "W_DATA": 0x10,
                      "W_EXP_DATA": 0x1C, "X_DATA": 0x28, "X_EXP_DATA": 0x34, "Y_DATA": 0x3C,
                      "N_DATA": 0x48, "D_DATA": 0x50}
    bits = dict(re.findall(r"#define XMATMUL_CONTROL_BITS_(\w+)\s+(\d+)", (HLS_DIR / "xmatmul_hw.h").read_text()))
    assert bits == {"W_DATA": "64", "W_EXP_DATA": "64", "X_DATA": "64", "X_EXP_DATA": "32",
                    "Y_DATA": "64", "N_DATA": "32", "D_DATA": "32"}
