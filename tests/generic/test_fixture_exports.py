"""Own-RTL flow end to end: `llama-dv describe` + `llama-dv run` on fixture Vitis exports.

Each fixture under tests/fixtures/exports/ is written in the style of a Vitis HLS export
and exhibits one legal behaviour the agents must accept (clear-on-read ISR, a control
block without argument registers, a dataflow top with calls in flight, `#0` in initial
blocks, ROMs read from `.dat` files, interrupt-driven completion). The YAML is written by
`describe` and never edited; each broken copy must fail with a message naming its bug.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from llama_dv.tb.sim.runner import REPO_ROOT

EXPORTS = REPO_ROOT / "tests" / "fixtures" / "exports"
LLAMA_DV = [sys.executable, "-m", "llama_dv.regress.cli"]

# fixture -> stock tests run by `make test` (all of them run in the slow test below)
QUICK = {
    "vadd_rom": "Smoke,ResetMidCall",
    "scale_cor": "Smoke,FlowControl",
    "passthru_tow": "Smoke",
    "dataflow_pipe": "Overlap",
    "saxpy_mm": "Smoke",
}
# broken copy (broken/<name>.patch on the export before the dot) -> (stock tests that expose it,
# pattern its failure message must match)
BROKEN = {
    "vadd_rom.nodone": ("Smoke", r"ap_(ready|done) for txn 2 .*not seen"),
    "vadd_rom.idle": ("Smoke", r"ap_idle low with no call in flight .*port ap_idle; last completed call: "
                               r"invocation \d+ \(txn \d+, ap_done at"),
    "scale_cor.isr": ("Smoke", r"ISR"),
    "passthru_tow.isr": ("Smoke", r"ISR"),
    "passthru_tow.rdata31": ("Smoke", r"passthru_tow s_axilite @ [\d.]+ ns: AP_CTRL reads 0x8[0-9a-f]{7}: "
                                      r"reserved bit 31 set"),
    "dataflow_pipe.done": ("Overlap", r"txn 1, accepted, its ap_done not seen|ap_done for txn 1 "),
    "saxpy_mm.wfirst": ("Smoke", r"m_axi_gmem @ [\d.]+ ns: write burst 1 since reset: W beat \(WDATA=0x[0-9a-f]+, "
                                 r"WSTRB=0xf, WLAST=1\) accepted before the burst's AW handshake"),
    "saxpy_mm.rdata31": ("Smoke", r"saxpy_mm s_axilite @ [\d.]+ ns: x\[[01]\] \(0x1[04]\) reads 0x[0-9a-f]{8}, "
                                  r"last written 0x[0-9a-f]{8}: bit 31 differs"),
}
EXTENDED = {"vadd_rom.nodone", "scale_cor.isr", "passthru_tow.rdata31", "saxpy_mm.rdata31", "dataflow_pipe.done"}
"""Broken copies `make check` runs but the quick `make test` leaves out: each repeats an agent
check whose negative test is in tests/tb (test_ap_overlap's missing ap_done, test_s_axilite_isr's
ISR bugs, test_axi_agents' bit-31 read-backs); `make test` keeps vadd_rom.idle, passthru_tow.isr
and saxpy_mm.wfirst (the end-to-end flow failing on a broken export)."""
EXTENDED_PASS = {"passthru_tow"}
"""Passing export in make check only: in make test its TOW ISR runs through describe and run in
the passthru_tow.isr broken copy, and test_s_axilite_isr passes a TOW kernel."""


def llama_dv(*args: str | Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LLAMA_DV, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=1800)


def describe(export: Path, out: Path) -> Path:
    result = llama_dv("describe", export, "-o", out)
    assert result.returncode == 0, f"describe {export.name} failed:\n{result.stdout}\n{result.stderr}"
    return out


def run(yaml: Path, golden_dir: Path, sim: str, seed: int, tests: str, out: Path,
        *extra: str) -> subprocess.CompletedProcess[str]:
    return llama_dv("run", yaml, "--golden", f"{golden_dir / 'golden.py'}:golden", "--sim", sim,
                    "--seed", str(seed), "--tests", tests, "--jobs", "1", "--out", out, *extra)


def present(name: str) -> Path:
    path = EXPORTS / name
    if not path.is_dir():
        pytest.fail(f"fixture export {name} is missing from {EXPORTS}")
    return path


def broken_copy(name: str, tmp_path: Path) -> Path:
    """The good export with `broken/<name>.patch` applied, in a folder of its own."""
    export = tmp_path / name
    shutil.copytree(present(name.split(".")[0]), export)
    patch = EXPORTS / "broken" / f"{name}.patch"
    subprocess.run(["git", "apply", "-p1", str(patch)], cwd=export, check=True, capture_output=True)
    return export


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The YAML `describe` writes for an unmodified fixture export, once per export per
    session (each simulator's run reads the same one)."""
    folder = tmp_path_factory.mktemp("described")
    done: dict[str, Path] = {}

    def get(fixture: str) -> Path:
        if fixture not in done:
            done[fixture] = describe(present(fixture), folder / f"{fixture}.yaml")
        return done[fixture]

    return get


@pytest.mark.quick_sim("verilator")  # Icarus: extended; on Icarus make test runs the broken copies below
@pytest.mark.parametrize("fixture", [pytest.param(f, marks=pytest.mark.extended) if f in EXTENDED_PASS else f
                                     for f in sorted(QUICK)])
def test_fixture_export_passes(fixture: str, sim: str, seed: int, tmp_path: Path,
                               described: Callable[[str], Path]) -> None:
    export = present(fixture)
    yaml = described(fixture)
    result = run(yaml, export, sim, seed, QUICK[fixture], tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b\d+ passed, 0 failed", result.stdout), result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("fixture", sorted(QUICK))
def test_fixture_export_passes_every_stock_test(fixture: str, sim: str, seed: int, tmp_path: Path,
                                                described: Callable[[str], Path]) -> None:
    export = present(fixture)
    yaml = described(fixture)
    result = llama_dv("run", yaml, "--golden", f"{export / 'golden.py'}:golden", "--sim", sim,
                      "--seed", str(seed), "--jobs", "2", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.fast_sim("icarus")
@pytest.mark.parametrize("broken", [pytest.param(b, marks=pytest.mark.extended) if b in EXTENDED else b
                                    for b in sorted(BROKEN)])
def test_broken_fixture_fails_naming_its_bug(broken: str, sim: str, seed: int, tmp_path: Path) -> None:
    export = broken_copy(broken, tmp_path)
    golden_dir = present(broken.split(".")[0])
    yaml = describe(export, tmp_path / f"{broken}.yaml")
    tests, pattern = BROKEN[broken]
    result = run(yaml, golden_dir, sim, seed, tests, tmp_path / "out", "--handshake-cycles", "20000")
    assert result.returncode == 1, result.stdout + result.stderr
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL ")]
    assert failures and re.search(pattern, "\n".join(failures)), result.stdout


@pytest.mark.quick_sim("icarus")  # Verilator: extended (the check is in describe and the runner)
def test_missing_rom_image_fails_describe_and_run(sim: str, seed: int, tmp_path: Path) -> None:
    """A ROM's .dat absent from the export: describe names it; a YAML whose file has since
    vanished fails the run naming it (X in the ROM would otherwise pass silently)."""
    nodat = tmp_path / "nodat"
    shutil.copytree(present("vadd_rom"), nodat)
    for dat in nodat.rglob("*.dat"):
        dat.unlink()
    result = llama_dv("describe", nodat, "-o", tmp_path / "x.yaml")
    assert result.returncode != 0
    assert "vadd_rom_tab_ROM_AUTO_1R.dat" in result.stderr + result.stdout
    export = tmp_path / "export"
    shutil.copytree(present("vadd_rom"), export)
    yaml = describe(export, tmp_path / "vadd_rom.yaml")
    for dat in export.rglob("*.dat"):
        dat.unlink()
    result = run(yaml, present("vadd_rom"), sim, seed, "Smoke", tmp_path / "out")
    assert result.returncode != 0
    assert "vadd_rom_tab_ROM_AUTO_1R.dat" in result.stdout + result.stderr


@pytest.mark.fast_sim("icarus")
def test_write_past_the_golden_length_fails(sim: str, seed: int, tmp_path: Path) -> None:
    """vadd_rom with its loop bound off by one (`i <= n`) writes c[n]: every compared word
    is right, so only the stray-write check can catch it."""
    export = tmp_path / "export"
    shutil.copytree(present("vadd_rom"), export)
    top = export / "impl" / "verilog" / "vadd_rom.v"
    text = top.read_text()
    bound = "< $signed(n)) ? 1'b1 : 1'b0);"
    assert text.count(bound) == 1
    top.write_text(text.replace(bound, "<= $signed(n)) ? 1'b1 : 1'b0);"))
    golden = tmp_path / "golden.py"  # at most 32 words, so c[n] stays inside the 64-word memory
    golden.write_text((present("vadd_rom") / "golden.py").read_text().replace("length=(1, 64)", "length=(1, 32)"))
    yaml = describe(export, tmp_path / "vadd_rom.yaml")
    result = llama_dv("run", yaml, "--golden", f"{golden}:golden", "--sim", sim, "--seed", str(seed),
                      "--tests", "Smoke", "--jobs", "1", "--out", tmp_path / "out")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"vadd_rom output 'c' mismatch in txn 0 .*1 write\(s\) outside c\[0\.\.\d+\], first at index \d+",
                     result.stdout), result.stdout
