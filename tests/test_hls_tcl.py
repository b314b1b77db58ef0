"""The Vitis HLS scripts run end to end under tclsh with the Vitis commands stubbed.

Vitis is not installed here, so this proves what can be proved without it: every
hls/<kernel>/run_hls.tcl sources the shared flow, writes golden vectors through
python -m llama_dv.hls.vectors, and hands Vitis the right top, sources and part.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KERNELS = sorted(p.parent.name for p in REPO.glob("hls/*/run_hls.tcl") if p.parent.name != "common")
VITIS_COMMANDS = ["open_project", "set_top", "add_files", "open_solution", "set_part",
                  "create_clock", "csim_design", "csynth_design", "export_design"]

pytestmark = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not installed")


def run_stubbed(script: Path, cwd: Path) -> list[str]:
    stubs = "".join(f'proc {c} args {{ puts "{c} $args" }}\n' for c in VITIS_COMMANDS)
    driver = cwd / "driver.tcl"
    driver.write_text(f"{stubs}rename exit real_exit\nproc exit {{}} {{ puts EXIT }}\n"
                      f"set ::env(PYTHON) {{{sys.executable}}}\nsource {{{script}}}\n")
    out = subprocess.run(["tclsh", str(driver)], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"{script}: {out.stderr}"
    return out.stdout.splitlines()


def test_every_kernel_has_a_script():
    assert set(KERNELS) >= {"matmul", "rmsnorm", "rope", "attention"}


@pytest.mark.parametrize("kernel", KERNELS)
def test_run_hls_script(kernel, tmp_path):
    lines = run_stubbed(REPO / "hls" / kernel / "run_hls.tcl", tmp_path)
    assert f"set_top {kernel}" in lines
    assert any(line.startswith("add_files ") and line.split()[1].endswith(f"hls/{kernel}/{kernel}.cpp") for line in lines)
    assert "set_part xczu7ev-ffvc1156-2-e" in lines
    assert lines[-1] == "EXIT"
    vectors = tmp_path / f"{kernel}_vectors.txt"
    assert vectors.read_text().split()[:2] == [kernel, "200"]
