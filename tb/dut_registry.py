"""Registry of the DUTs the environment knows: name -> description, builds, tests.

HLS kernels are discovered from `rtl/hls/*.yaml`; Clash tops join when the optional
module `llama_dv.tb.clash.duts` provides `clash_duts()` (a mapping of name to a callable
`(sim, config) -> DutBuild` plus its test module). Nothing here imports a simulator,
so pytest collection and the regression planner can use it freely.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from llama_dv.tb.common.knobs import DESCRIPTION_ENV, GOLDEN_ENV
from llama_dv.tb.dut_description import DutDescription, load_description
from llama_dv.tb.sim.runner import REPO_ROOT, DutBuild

HLS_DIR = REPO_ROOT / "rtl" / "hls"
OWN_DUTS_ENV = "LLAMA_DV_DUTS"
"""Description YAMLs (os.pathsep-separated) of the user's own DUTs: each joins the registry
with the generic stock tests, so testpoints can name `<dut>.Smoke` and `make regress` runs it."""
GENERIC_TEST_MODULE = "llama_dv.tb.generic.tests"

_CONFIG_RE = re.compile(r"^(default|pad(\d+)|fault(\d+))$")


class UnknownDutError(KeyError):
    """No DUT of that name is registered."""


@dataclass(frozen=True)
class DutEntry:
    """A registered DUT: how to build a configuration of it and which tests drive it."""

    name: str
    test_module: str
    make_build: Callable[[str, str], DutBuild]
    description: DutDescription | None = None


def parse_config(config: str, desc: DutDescription | None = None) -> dict[str, int]:
    """Parameter overrides of a config tag: 'default', 'pad<N>' (LATENCY_PAD), 'fault<N>' (FAULT)."""
    m = _CONFIG_RE.match(config)
    if m is None:
        raise ValueError(f"unknown DUT config {config!r}: use 'default', 'pad<N>' or 'fault<N>'")
    if m[2] is not None:
        return {"LATENCY_PAD": int(m[2])}
    if m[3] is not None:
        n = int(m[3])
        if desc is not None and desc.faults and n not in desc.faults:
            raise ValueError(f"{desc.where}: no fault {n} (defined: {sorted(desc.faults)})")
        return {"FAULT": n}
    return {}


def hls_build(desc: DutDescription, sim: str, config: str = "default") -> DutBuild:
    """DutBuild for one configuration of a described HLS kernel."""
    params: dict[str, object] = dict(desc.parameters)
    overrides = parse_config(config, desc)
    for key in overrides:
        if key not in params:
            where = desc.where
            raise ValueError(f"{where}: config {config!r} sets {key}, which the DUT does not declare "
                             f"under 'parameters'")
    params.update(overrides)
    return DutBuild(name=desc.name, sim=sim, sources=list(desc.sources), toplevel=desc.toplevel,
                    parameters=params, defines=dict(desc.defines), config=config,
                    build_args=desc.build_args_for(sim), data_files=list(desc.data_files))


def generic_build(desc: DutDescription, sim: str, golden: str | None = None, config: str = "default") -> DutBuild:
    """DutBuild of a user's DUT for the generic tests: the build of `hls_build` plus the
    environment that names its description and golden to the test process."""
    from llama_dv.tb.generic.golden import golden_of

    build = hls_build(desc, sim, config)
    spec = golden or golden_of(desc)
    build.env = {DESCRIPTION_ENV: str(desc.path), **({GOLDEN_ENV: spec} if spec else {})}
    return build


def _own_entries() -> dict[str, DutEntry]:
    """The user's DUTs named in LLAMA_DV_DUTS: Vitis-style descriptions run the generic
    tests; a decoder role map (a YAML with `roles:`) runs the decoder tests as `clash_<top>`."""
    entries = {}
    for item in filter(None, os.environ.get(OWN_DUTS_ENV, "").split(os.pathsep)):
        path = Path(item).resolve()
        if _is_role_map(path):
            from llama_dv.tb.clash.duts import role_map_build
            from llama_dv.tb.clash.roles import RoleMap

            name = f"clash_{RoleMap.load(path).manifest.top}"
            entries[name] = DutEntry(name=name, test_module="llama_dv.tb.tests.test_clash_decoder",
                                     make_build=lambda sim, config, p=path: role_map_build(p, sim, config))
            continue
        desc = load_description(path)
        entries[desc.name] = DutEntry(
            name=desc.name, test_module=GENERIC_TEST_MODULE,
            make_build=lambda sim, config, d=desc: generic_build(d, sim, config=config), description=desc)
    return entries


def _is_role_map(path: Path) -> bool:
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(raw, dict) and "roles" in raw


def _hls_entries() -> dict[str, DutEntry]:
    entries = {}
    for yml in sorted(HLS_DIR.glob("*.yaml")):
        desc = load_description(yml)
        entries[desc.name] = DutEntry(
            name=desc.name, test_module=GENERIC_TEST_MODULE,
            make_build=lambda sim, config, d=desc: generic_build(d, sim, config=config), description=desc)
    return entries


def _clash_entries() -> dict[str, DutEntry]:
    try:
        mod = importlib.import_module("llama_dv.tb.clash.duts")
    except ModuleNotFoundError as exc:
        if exc.name in ("llama_dv.tb.clash", "llama_dv.tb.clash.duts"):
            return {}
        raise
    entries = {}
    for name, spec in dict(mod.clash_duts()).items():
        if isinstance(spec, DutEntry):
            entries[name] = spec
            continue
        make, test_module = _clash_spec(name, spec)
        entries[name] = DutEntry(name=name, test_module=test_module, make_build=make)
    return entries


def _clash_spec(name: str, spec: Any) -> tuple[Callable[[str, str], DutBuild], str]:
    """Accept `{'build': callable, 'test_module': str}` or an object with those attributes."""
    get = spec.get if isinstance(spec, dict) else lambda k: getattr(spec, k, None)
    make = get("build") or get("make_build")
    module = get("test_module") or f"llama_dv.tb.tests.test_{name}"
    if not callable(make):
        raise TypeError(f"llama_dv.tb.clash.duts: entry {name!r} has no callable 'build'")
    return make, module


def _registry() -> dict[str, DutEntry]:
    reg = _hls_entries()
    reg.update(_clash_entries())
    reg.update(_own_entries())
    return reg


def hls_kernels() -> list[str]:
    """Names of the project's own HLS kernels (the descriptions in rtl/hls/), sorted."""
    return sorted(_hls_entries())


def list_duts() -> list[str]:
    """Names of every registered DUT, sorted."""
    return sorted(_registry())


def _entry(name: str) -> DutEntry:
    reg = _registry()
    if name not in reg:
        raise UnknownDutError(f"unknown DUT {name!r}; known: {', '.join(sorted(reg)) or 'none'}")
    return reg[name]


def get_description(name: str) -> DutDescription:
    """The description of an HLS DUT (LDV_DUT_DESC overrides the registry's file)."""
    override = os.environ.get(DESCRIPTION_ENV)
    if override:
        path = Path(override)
        return load_description(path if path.is_absolute() else REPO_ROOT / path)
    entry = _entry(name)
    if entry.description is None:
        raise UnknownDutError(f"DUT {name!r} has no YAML description")
    return entry.description


def get_dut(name: str, sim: str, config: str = "default") -> DutBuild:
    """DutBuild of DUT `name` for simulator `sim` in configuration `config`."""
    return _entry(name).make_build(sim, config)


def test_module(name: str) -> str:
    """Dotted cocotb test module of a DUT, e.g. 'llama_dv.tb.generic.tests'."""
    return _entry(name).test_module


def _module_file(module: str) -> Path:
    """The source file of a dotted module, found without importing it (cocotb is not loaded here)."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        raise FileNotFoundError(f"test module {module!r} not found (is it importable, e.g. under llama_dv.tb.tests?)")
    return Path(spec.origin)


def _is_test_decorator(dec: ast.expr) -> bool:
    target = dec.func if isinstance(dec, ast.Call) else dec
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return target.value.id in ("cocotb", "pyuvm") and target.attr == "test"
    return False


def tests_in_module(module: str) -> list[str]:
    """Names of the cocotb / pyuvm tests a module defines (read with `ast`, not imported)."""
    tree = ast.parse(_module_file(module).read_text(), filename=module)
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if any(_is_test_decorator(d) for d in node.decorator_list):
                names.append(node.name)
    return names


def list_tests(name: str) -> list[str]:
    """Test names of a DUT: a described DUT's `tests:` (else the stock tests), or those its
    cocotb module defines, in file order."""
    entry = _entry(name)
    if entry.test_module == GENERIC_TEST_MODULE and entry.description is not None:
        from llama_dv.tb.generic.suite import test_variants

        return [v.name for v in test_variants(entry.description)]
    return tests_in_module(entry.test_module)


test_module.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
tests_in_module.__test__ = False  # type: ignore[attr-defined]
