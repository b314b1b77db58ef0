"""The committed Clash output (rtl/gen) and the generated table module (Tables.hs) are
what the Haskell sources and models/tables.py produce today, and the freshness checks
themselves reject a stale copy.

The negative checks run the real scripts on a copy of rtl/clash inside tmp_path:
build.sh compares against `<its checkout>/rtl/gen` and gen_tables.py rewrites the
Tables.hs next to it, so a copy with a doctored rtl/gen or Tables.hs exercises the same
code without touching the checkout.

The two Clash compilations are marked slow, so `make test` leaves them out; `make
test-all` runs them, and so does CI, which runs this whole file after `make test`
(ci/github/workflows/regress.yml) on a machine where `make setup` installed Clash.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llama_dv.tb.sim.runner import REPO_ROOT

CLASH_DIR = REPO_ROOT / "rtl" / "clash"
GEN_DIR = REPO_ROOT / "rtl" / "gen"
TABLES = Path("src") / "LlamaDv" / "Tables.hs"
# The smallest top module; the negative build check compiles only it.
PROBE_MODULE = "Argmax"
PROBE_TOPS = ("argmax_vocab", "argmax_vocab_fault_tiehigh")

needs_clash = pytest.mark.skipif(shutil.which("clash") is None,
                                 reason="clash not on PATH (Debian's clash packages); generated RTL not checked")


def _run(cmd: list[str], cwd: Path, timeout_s: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False,
                          env={**os.environ, "PYTHON": sys.executable})


def _scratch_checkout(root: Path, top_modules: tuple[str, ...] | None = None) -> Path:
    """A minimal checkout under *root*: rtl/clash (optionally only some top modules) and models/."""
    clash = root / "rtl" / "clash"
    clash.mkdir(parents=True)
    shutil.copy2(CLASH_DIR / "build.sh", clash / "build.sh")
    shutil.copy2(CLASH_DIR / "gen_tables.py", clash / "gen_tables.py")
    shutil.copytree(CLASH_DIR / "src", clash / "src")
    if top_modules is not None:
        for hs in (clash / "src" / "LlamaDv" / "Top").glob("*.hs"):
            if hs.stem not in top_modules:
                hs.unlink()
    (root / "models").symlink_to(REPO_ROOT / "models", target_is_directory=True)
    return clash


@pytest.mark.slow  # compiles every Clash top: 4-11 minutes on two shared cores
@needs_clash
def test_rtl_gen_matches_the_clash_sources() -> None:
    proc = _run(["bash", str(CLASH_DIR / "build.sh"), "--check"], REPO_ROOT)
    assert proc.returncode == 0, f"rtl/clash/build.sh --check failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert "rtl/gen is up to date" in proc.stdout


def test_tables_hs_matches_models_tables() -> None:
    proc = _run([sys.executable, str(CLASH_DIR / "gen_tables.py"), "--check"], REPO_ROOT)
    assert proc.returncode == 0, f"rtl/clash/gen_tables.py --check failed:\n{proc.stderr}"


def test_tables_check_rejects_a_stale_tables_hs(tmp_path: Path) -> None:
    clash = _scratch_checkout(tmp_path)
    script = [sys.executable, str(clash / "gen_tables.py"), "--check"]
    assert _run(script, tmp_path).returncode == 0, "the unmodified copy must pass"
    tables = clash / TABLES
    tables.write_text(tables.read_text().replace("exp2Lut = ", "exp2Lut = (0) : ", 1))
    proc = _run(script, tmp_path)
    assert proc.returncode == 1
    assert "Tables.hs is stale" in proc.stderr


@pytest.mark.slow  # compiles the Argmax tops twice: 40-90 s
@needs_clash
def test_build_check_rejects_a_stale_rtl_gen(tmp_path: Path) -> None:
    clash = _scratch_checkout(tmp_path, top_modules=(PROBE_MODULE,))
    gen = tmp_path / "rtl" / "gen"
    for top in PROBE_TOPS:
        shutil.copytree(GEN_DIR / top, gen / top)
    script = ["bash", str(clash / "build.sh"), "--check"]
    fresh = _run(script, tmp_path)
    assert fresh.returncode == 0, f"the unmodified copy must pass:\n{fresh.stderr[-4000:]}"
    verilog = gen / PROBE_TOPS[0] / f"{PROBE_TOPS[0]}.v"
    verilog.write_text(verilog.read_text() + "// edited by hand\n")
    stale = _run(script, tmp_path)
    assert stale.returncode == 1, stale.stderr[-4000:]
    assert "rtl/gen is stale" in stale.stderr
    assert verilog.read_text().endswith("// edited by hand\n"), "the check must never rewrite rtl/gen"
