"""Shared pytest fixtures and options for llama-dv's test suite.

* ``--sim verilator|icarus|all`` picks the simulators; any test that takes a ``sim``
  argument is parametrized over them (default: both).
* ``--seed N`` fixes the seed handed out by the ``seed`` fixture (else one random seed
  per session, printed in the header so a failure can be rerun).
* Hypothesis runs without per-example deadlines (simulator and numpy timing under
  pytest-xdist is too noisy for them); under CI=true it is also derandomized.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tb.sim.runner import REPO_ROOT, SIMULATORS, new_seed

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")

_SEED_ENV = "LLAMA_DV_TEST_SEED"


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
        metafunc.parametrize("sim", sims)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The llama-dv checkout."""
    return REPO_ROOT


@pytest.fixture
def seed() -> int:
    """Seed for this test: --seed if given, else the session's random seed."""
    return int(os.environ[_SEED_ENV])
