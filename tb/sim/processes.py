"""Child processes of builds and simulations: each in its own process group with a
scrubbed environment, killed whole on a timeout or when the caller stops, and a file
lock so parallel pytest-xdist workers never build one thing twice at once.
"""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from llama_dv.tb.sim.dut_build import REPO_ROOT

# Variables the cocotb runner reads from os.environ *over* its arguments (WAVES, GUI)
# or that a parent cocotb/pytest process may leak; the child must not inherit them.
_SCRUBBED_ENV = (
    "WAVES", "GUI", "PYTEST_CURRENT_TEST", "COCOTB_TEST_FILTER", "COCOTB_TESTCASE",
    "COCOTB_RANDOM_SEED", "RANDOM_SEED", "COCOTB_RESULTS_FILE", "COCOTB_TEST_MODULES",
    "COCOTB_TOPLEVEL", "TOPLEVEL_LANG", "GPI_USERS",
)


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Exclusive flock so parallel pytest-xdist workers never build one thing twice at once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


PYCACHE_DIR = REPO_ROOT / "build" / "pycache"
"""Where children cache their bytecode when the caller's environment says not to write it
beside the sources (PYTHONDONTWRITEBYTECODE)."""


def cached_bytecode(env: dict[str, str]) -> dict[str, str]:
    """*env* with PYTHONDONTWRITEBYTECODE replaced by a bytecode cache under build/
    (PYTHONPYCACHEPREFIX), unless it names a cache already.

    cocotb installs pytest's assertion rewriting for every module a simulation imports
    (numpy, pyuvm, the testbench); without a bytecode cache each simulation rewrites and
    compiles them all again, about 1.4 s of a kernel test's 2 s start-up. The cache keeps
    the source tree free of __pycache__ folders, which is what the variable is for."""
    if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
        env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_DIR)
    return env


def child_env(extra_env: Mapping[str, str] | None, python_path: Sequence[Path]) -> dict[str, str]:
    env = cached_bytecode({k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV})
    paths = [str(REPO_ROOT)] + [str(Path(p).resolve()) for p in python_path]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra_env or {})
    return env


class Stopped(RuntimeError):
    """No new build or simulation starts after ``stop_children`` (the caller is exiting)."""


_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()


def stop_children() -> None:
    """Kill every build and simulation this process started (each its own process group)
    and refuse new ones: for a regression interrupted by Ctrl-C or SIGTERM, whose
    children would otherwise run on, detached, until they finish."""
    with _LIVE_LOCK:
        _STOPPING.set()
        live = list(_LIVE)
    for proc in live:
        _kill_group(proc)


def spawn(spec: dict[str, object], env: dict[str, str], log: Path,
           timeout_s: float | None) -> tuple[int | None, bool]:
    """Run the child with *spec*; return (returncode or None if killed, timed_out)."""
    spec_file = log.with_suffix(".spec.json")
    spec_file.write_text(json.dumps(spec, indent=1, default=str))
    with open(log, "w") as out:
        with _LIVE_LOCK:
            if _STOPPING.is_set():
                raise Stopped("interrupted: no new simulator process is started")
            proc = subprocess.Popen(
                [sys.executable, "-m", "llama_dv.tb.sim._child", str(spec_file)],
                cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
            _LIVE.add(proc)
        try:
            returncode = proc.wait(timeout=timeout_s)
            if _group_alive(proc.pid):  # something the test started outlived it
                _kill_group(proc)
            return returncode, False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out.write(f"\n*** llama-dv: killed after timeout of {timeout_s} s ***\n")
            return None, True
        except BaseException:
            _kill_group(proc)
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the child and everything it started (one process group), then reap the child.

    SIGTERM alone is not enough: vvp catches it and only stops between time steps, which a
    test stuck in Python never reaches, so whatever is left gets SIGKILL.
    """
    for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()
            if not _group_alive(proc.pid):
                break
            time.sleep(0.05)
        else:
            continue
        break
    proc.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


