"""Shared pytest fixtures and options for llama-dv's test suite.

* ``--sim verilator|icarus|all`` picks the simulators; any test that takes a ``sim``
  argument is parametrized over them (default: both). A test (or module) marked
  ``fast_sim("icarus")`` runs on that simulator in ``make test``; its other simulators
  are marked ``slow`` (``make test-all``), unless ``--sim`` names one simulator. One
  marked ``quick_sim("verilator")`` runs on that simulator in ``make test``; its other
  simulators are marked ``extended`` (``make check``, what CI runs), likewise.
* Three sets: ``make test`` (``-m "not slow and not extended"``: the quick loop, every
  check once), ``make check`` (``-m "not slow"``: adds the ``extended`` tests, CI's
  command) and ``make test-all`` (everything); docs/performance.md lists what is extended.
* Under pytest-xdist each test file runs on one worker (``--dist loadfile``, in the
  pytest options), so a module fixture (a synthesis run, a counter regression, the SLURM
  test cluster, a compiled C-sim library) is computed once; the files that take longest
  (``_LONG_FIRST``) are handed out first.
* ``shared_simulation``: sibling tests (one test function, parametrized over cocotb test
  names, the other parameters equal) that each started a simulation of the same build can
  run their cocotb tests in one simulation instead, started by whichever runs first; each
  pytest test then asserts its own cocotb test's result (a simulation's start-up, about
  2 s, costs more than a kernel's directed test: docs/performance.md).
* ``--seed N`` fixes the seed handed out by the ``seed`` fixture (else one random seed
  per session, printed in the header so a failure can be rerun).
* Hypothesis runs without per-example deadlines (simulator and numpy timing under
  pytest-xdist is too noisy for them); under CI=true it is also derandomized.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from llama_dv.tb.sim.processes import cached_bytecode
from llama_dv.tb.sim.runner import REPO_ROOT, SIMULATORS, new_seed

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")

_SEED_ENV = "LLAMA_DV_TEST_SEED"


def _cache_bytecode() -> None:
    """Everything the suite starts (pytest-xdist workers, llama-dv commands, simulations)
    caches its bytecode under build/ even where PYTHONDONTWRITEBYTECODE is set: otherwise
    each of those processes compiles every module it imports again (tb/sim/processes.py)."""
    env = cached_bytecode(dict(os.environ))
    for key in set(os.environ) - set(env):
        del os.environ[key]
    os.environ.update(env)


_cache_bytecode()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("llama-dv")
    group.addoption("--sim", default="all", choices=(*SIMULATORS, "all"),
                    help="simulator(s) for tests taking a `sim` argument (default: all)")
    group.addoption("--seed", type=int, default=None,
                    help="seed for the `seed` fixture (default: random per session)")


def pytest_configure(config: pytest.Config) -> None:
    # Chosen once in the controller; pytest-xdist workers inherit it through the environment.
    if config.getoption("--seed") is not None:
        os.environ[_SEED_ENV] = str(config.getoption("--seed"))
    os.environ.setdefault(_SEED_ENV, str(new_seed()))


def pytest_report_header(config: pytest.Config) -> str:
    seed = os.environ[_SEED_ENV]
    return f"llama-dv: sims={config.getoption('--sim')} seed={seed} (rerun with --seed {seed})"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sim" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--sim")
        sims = SIMULATORS if choice == "all" else (choice,)
        marker = metafunc.definition.get_closest_marker("fast_sim")
        fast = set(marker.args) if marker and choice == "all" else set(sims)
        quick_marker = metafunc.definition.get_closest_marker("quick_sim")
        quick = set(quick_marker.args) if quick_marker and choice == "all" else set(sims)
        for name, named in (("fast_sim", fast), ("quick_sim", quick)):
            unknown = named - set(SIMULATORS)
            if unknown:
                raise pytest.UsageError(f"{metafunc.definition.nodeid}: {name} names no simulator: {sorted(unknown)}")

        def marks(s: str) -> tuple[pytest.MarkDecorator, ...]:
            if s not in fast:
                return (pytest.mark.slow,)
            return () if s in quick else (pytest.mark.extended,)

        metafunc.parametrize("sim", [pytest.param(s, marks=marks(s)) for s in sims])


_LONG_FIRST: tuple[str, ...] = (
    # The test files that take longest in `make test`, longest first (measured with
    # --durations; docs/performance.md), so that no worker ends on one of them. The decoder
    # files first: after an RTL change each rebuilds a decoder top.
    "tests/clash/test_clash_decoder.py",
    "tests/clash/test_clash_prefill.py",
    "tests/clash/test_clash_roles.py",
    "tests/regress/test_regress_runner.py",
    "tests/test_yosys_flow.py",
    "tests/tb/test_rope_sim.py",
    "tests/generic/test_fixture_exports.py",
    "tests/tb/test_ap_agents.py",
    "tests/clash/test_clash_units.py",
    "tests/tb/test_rmsnorm_sim.py",
    "tests/regress/test_mutate.py",
    "tests/tb/test_axi_agents.py",
    "tests/tb/test_matmul_sim.py",
    "tests/test_sim_toolchain.py",
    "tests/regress/test_native_bench.py",
    "tests/test_synth_signoff.py",
    "tests/tb/test_attention_sim.py",
    "tests/clash/test_clash_attend_argmax_faults.py",
    "tests/clash/test_clash_mac_faults.py",
    "tests/regress/test_slurm_launcher.py",
    "tests/tb/test_s_axilite_isr.py",
)


def _first_rank(nodeid: str) -> int:
    for rank, prefix in enumerate(_LONG_FIRST):
        if nodeid.startswith(prefix):
            return rank
    return len(_LONG_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Stable sort: every xdist worker collects the same order, as it must.
    items.sort(key=lambda item: _first_rank(item.nodeid))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The llama-dv checkout."""
    return REPO_ROOT


@pytest.fixture
def seed() -> int:
    """Seed for this test: --seed if given, else the session's random seed."""
    return int(os.environ[_SEED_ENV])


_SHARED_RUNS: dict[tuple[object, ...], Any] = {}


def _params_but(item: pytest.Item, name: str) -> dict[str, object] | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None or name not in callspec.params:
        return None
    return {k: v for k, v in callspec.params.items() if k != name}


@pytest.fixture
def shared_simulation(request: pytest.FixtureRequest) -> Callable[[str, Callable[[Sequence[str]], Any]], Any]:
    """``shared_simulation(param, simulate)``: the result of ``simulate(cases)``, computed
    once per worker for this test and its selected siblings, where *cases* are the values
    of parameter *param* (cocotb test names) of the sibling tests (same function, every
    other parameter equal) in collection order. ``simulate`` runs them all in one
    simulation; each test then checks its own cocotb test's result in it. Selecting one
    test (``-k``, a node id) runs just its own case, as before."""
    node = request.node

    def get(param: str, simulate: Callable[[Sequence[str]], Any]) -> Any:
        mine = _params_but(node, param)
        if mine is None:
            raise pytest.UsageError(f"{node.nodeid}: shared_simulation({param!r}) on a test not parametrized by it")
        own = node.callspec.params[param]
        cases = [item.callspec.params[param] for item in request.session.items
                 if item.parent is node.parent and getattr(item, "originalname", None) == node.originalname
                 and _params_but(item, param) == mine]
        if own not in cases:
            cases = [own]
        key = (node.parent.nodeid if node.parent else "", node.originalname, repr(sorted(mine.items())),
               tuple(cases))
        if key not in _SHARED_RUNS:
            _SHARED_RUNS[key] = simulate(cases)
        return _SHARED_RUNS[key]

    return get
