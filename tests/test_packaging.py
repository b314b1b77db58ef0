"""Packaging: one distribution, every module under the `llama_dv` namespace.

The repository keeps tb/, models/, regress/ and hls/ at the top; pyproject.toml maps them
to llama_dv.tb, llama_dv.models, ... . These tests fail when a package folder is missing
from that list, when code imports a folder by its bare name (it would only work from the
checkout, and load a second copy of the module beside the llama_dv one), or when the
installed distribution puts anything else at the top of site-packages.
"""
from __future__ import annotations

import ast
import importlib.metadata
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from llama_dv.tb.sim.runner import REPO_ROOT

FOLDERS = ("tb", "models", "regress", "hls")
CODE_ROOTS = (*FOLDERS, "tests", "scripts", "rtl")


def _package_folders() -> set[str]:
    found = set()
    for top in FOLDERS:
        for init in (REPO_ROOT / top).rglob("__init__.py"):
            found.add("llama_dv." + ".".join(init.parent.relative_to(REPO_ROOT).parts))
    return found


def bare_imports(path: Path) -> list[str]:
    """`import tb...` / `from models... import` statements of one file, as 'line: text'."""
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        bad += [f"{node.lineno}: {n}" for n in names if n.split(".")[0] in FOLDERS]
    return bad


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) - {"llama_dv"} == _package_folders()
    assert {k: v for k, v in config["package-dir"].items() if k != "llama_dv"} == {f"llama_dv.{f}": f for f in FOLDERS}


def test_no_module_imports_a_folder_by_its_bare_name():
    offenders = {}
    for root in CODE_ROOTS:
        for path in (REPO_ROOT / root).rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            if bad := bare_imports(path):
                offenders[str(path.relative_to(REPO_ROOT))] = bad
    assert offenders == {}


def test_bare_import_check_catches_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom llama_dv.tb.dut_registry import get_dut\nfrom models.numerics import rshr\n")
    assert bare_imports(sample) == ["3: models.numerics"]


def test_installed_distribution_has_one_top_level_package():
    dist = importlib.metadata.distribution("llama-dv")
    top_level = (dist.read_text("top_level.txt") or "").split()
    assert top_level == ["llama_dv"]
    assert {ep.value.split(".")[0] for ep in dist.entry_points} == {"llama_dv"}


def test_namespace_imports_outside_the_checkout_and_bare_names_do_not(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = ("import importlib, llama_dv.tb.dut_registry, llama_dv.models.numerics, llama_dv.regress.cli, llama_dv.hls\n"
             "for bare in ('tb', 'models', 'regress', 'hls'):\n"
             "    try:\n"
             "        importlib.import_module(bare)\n"
             "    except ModuleNotFoundError:\n"
             "        continue\n"
             "    raise SystemExit(f'{bare} is importable outside the checkout')\n"
             "print(llama_dv.tb.dut_registry.test_module('rmsnorm'))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "llama_dv.tb.generic.tests"


def test_a_record_with_the_old_registry_name_says_the_new_one():
    from llama_dv.regress.registry import DEFAULT_REGISTRY, RegistryError, load_registry

    with pytest.raises(RegistryError, match=f"now '{DEFAULT_REGISTRY}'"):
        load_registry("tb.duts")
    assert load_registry(DEFAULT_REGISTRY).test_module("rope") == "llama_dv.tb.generic.tests"
