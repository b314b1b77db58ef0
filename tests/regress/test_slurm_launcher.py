"""Regressions on a real single-node SLURM cluster (``--launcher slurm``).

The counter project's runs must end exactly as they do locally (same JUnit totals,
coverage, statuses, messages and replay commands), and the farm's own faults must be
told apart from the tests': a job cancelled from outside, killed by a signal, lost with
its node or refused by sbatch is an infrastructure failure (retried with --retries);
SIGTERM of the regression cancels its jobs and still writes the reports.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llama_dv.regress.junit import read_totals
from tests.regress.conftest import REPO, plan_args
from tests.regress.counter_project import CounterProject, write_counter_project
from tests.regress.slurm_cluster import SlurmCluster

pytestmark = pytest.mark.sim


def _cmd(project: CounterProject, out_root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "llama_dv.regress.cli", "regress", "--suite", "smoke", "--sim", "icarus",
            "--out-root", str(out_root), *plan_args(project), *extra]


def _env(project: CounterProject) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(project.root), str(REPO)])
    return env


def _start(project: CounterProject, out_root: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(_cmd(project, out_root, *extra), cwd=REPO, env=_env(project), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _finish(proc: subprocess.Popen[str], timeout: float = 240) -> str:
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return out


def _record(out_root: Path) -> dict:
    return json.loads(((out_root / "latest").resolve() / "record.json").read_text())


def _by_test(record: dict) -> dict[str, dict]:
    return {r["test"]: r for r in record["results"]}


def _wait_for(what: str, predicate, proc: subprocess.Popen[str], timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if proc.poll() is not None:
            pytest.fail(f"the regression ended before {what}:\n{proc.stdout.read() if proc.stdout else ''}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def _running_jobs(slurm: SlurmCluster, out_root: Path, test: str) -> list[str]:
    """SLURM ids of *test*'s run jobs whose simulator is up (its sim.log exists)."""
    if not list(out_root.glob(f"*/tests/icarus/counter-default/{test}-*/sim.log")):
        return []
    names = slurm.run("squeue", "-h", "-t", "RUNNING", "-o", "%i %j").stdout.split("\n")
    return [line.split()[0] for line in names if f":{test}-" in line]


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in args:
            found.append(args)
    return found


def _left_running(text: str, grace_s: float = 30.0) -> list[str]:
    """Processes mentioning *text* still there after *grace_s*: slurmd ends the steps of a
    cancelled job or of a node set DOWN asynchronously, so a leak is what outlives that."""
    deadline = time.monotonic() + grace_s
    while (left := _processes_mentioning(text)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def _kill_tree(root_pid: int) -> None:
    """SIGKILL *root_pid* and every descendant (what the OOM killer does to a job)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(") ", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    todo, tree = [root_pid], []
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
        # A simulator runs in its own session but is still a descendant of the worker.
    for pid in reversed(tree):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _worker_pid(spec_glob: str, out_root: Path) -> int | None:
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"llama_dv.regress.launchers.worker" in args and any(
                Path(a.decode(errors="replace")).match(spec_glob) and str(out_root).encode() in a for a in args):
            return int(cmdline.parent.name)
    return None


@pytest.mark.extended  # two whole regressions; make test runs regressions on SLURM in the build-failure and never-start tests
def test_slurm_run_matches_the_local_run(slurm: SlurmCluster, tmp_path: Path, icarus: None) -> None:
    """Passing, failing, hanging and crashing tests: same outcomes, seeds, JUnit totals,
    coverage and replay commands on SLURM as on local workers."""
    project = write_counter_project(tmp_path / "counter")
    common = ("--timeout", "10", "--base-seed", "4242")
    farm = _start(project, tmp_path / "farm", "--launcher", "slurm", *common)
    local = _start(project, tmp_path / "local", "--jobs", "2", *common)
    farm_out, local_out = _finish(farm), _finish(local)
    assert (farm.returncode, local.returncode) == (1, 1), farm_out + local_out
    summary = re.compile(r"RESULT: 1 passed, 1 failed, 1 errors, 1 timeouts, 0 build errors, 1 not run")
    assert summary.search(farm_out) and summary.search(local_out), farm_out
    assert "SLURM jobs (partition default)" in farm_out and "built icarus counter@default" in farm_out

    farm_dir, local_dir = ((tmp_path / d / "latest").resolve() for d in ("farm", "local"))
    assert read_totals(farm_dir / "junit.xml") == read_totals(local_dir / "junit.xml") == {
        "tests": 5, "failures": 1, "errors": 2, "skipped": 1}
    cov = [json.loads((d / "coverage" / "functional.json").read_text()) for d in (farm_dir, local_dir)]
    assert cov[0]["groups"] and cov[0] == cov[1]
    farm_rec, local_rec = _record(tmp_path / "farm"), _record(tmp_path / "local")
    same = ("job_id", "status", "seed", "message", "replay", "log", "functional_coverage", "metrics")
    assert [{k: r[k] for k in same} for r in farm_rec["results"]] == \
           [{k: r[k] for k in same} for r in local_rec["results"]]
    farm_summary = (farm_dir / "summary.md").read_text()
    assert "### fail: count mismatch: expected <n> got <n> (1)" in farm_summary
    assert "### timeout: killed after timeout of <n> s (1)" in farm_summary

    # One build job and one job per run, each with its script in the regression directory.
    launcher = farm_rec["launcher"]
    assert launcher["name"] == "slurm" and len(launcher["jobs"]) == 5
    assert all(len(ids) == 1 for ids in launcher["jobs"].values()) and launcher["infrastructure_failures"] == []
    scripts = sorted(p.name for p in (farm_dir / "slurm").glob("*.sh"))
    assert scripts[0] == "build-icarus-counter-default.sh" and len(scripts) == 5
    assert local_rec["launcher"]["name"] == "local" and "schedule" not in launcher
    assert _left_running(str(tmp_path)) == []


def test_build_failure_on_slurm_fails_only_that_dut_jobs(slurm: SlurmCluster, tmp_path: Path, icarus: None) -> None:
    project = write_counter_project(tmp_path / "counter", tests=["test_counts", "test_wrong_value"])
    (project.root / "counter.v").write_text("module counter(input wire clk; endmodule\n")
    proc = _start(project, tmp_path / "out", "--launcher", "slurm", "--no-report")
    out = _finish(proc)
    assert proc.returncode == 1, out
    assert "BUILD FAILED icarus counter@default" in out
    results = _by_test(_record(tmp_path / "out"))
    assert results["test_counts"]["status"] == results["test_wrong_value"]["status"] == "build_error"
    assert "build" in results["test_counts"]["message"]
    assert read_totals((tmp_path / "out" / "latest").resolve() / "junit.xml") == {
        "tests": 3, "failures": 0, "errors": 2, "skipped": 1}


def test_jobs_that_never_start_are_infrastructure_failures(slurm: SlurmCluster, tmp_path: Path,
                                                           icarus: None) -> None:
    """sbatch refusing a job, and a job SLURM cannot launch on its node: infrastructure
    failures, retried (here once, in vain), reported with the local replay command."""
    project = write_counter_project(tmp_path / "counter", tests=["test_counts"])
    proc = _start(project, tmp_path / "refused", "--launcher", "slurm", "--partition", "nosuch", "--retries", "1",
                  "--no-report")
    out = _finish(proc)
    assert proc.returncode == 1, out
    assert re.search(r"RETRY icarus counter@default \(1 of 1\): infrastructure failure: could not submit "
                     r"build-icarus-counter-default\.sh: sbatch build-icarus-counter-default\.sh failed: "
                     r".*Invalid partition name specified", out), out
    result = _by_test(_record(tmp_path / "refused"))["test_counts"]
    assert result["status"] == "error" and result["message"].startswith("infrastructure failure: could not submit")
    assert "infrastructure failures among the errors: 1 " in out
    assert "replay: cd " in out  # a farm failure still prints the local replay command

    # The node cannot open the job's output file: slurmstepd fails the launch.
    proc = _start(project, tmp_path / "unlaunched", "--launcher", "slurm", "--retries", "1", "--no-report",
                  f"--slurm-args=--output={tmp_path / 'missing' / '%j.out'}")
    out = _finish(proc)
    assert proc.returncode == 1, out
    assert re.search(r"RETRY icarus counter@default \(1 of 1\): infrastructure failure: slurm could not "
                     r"launch job \d+ on localhost \(JobLaunchFailure", out), out
    record = _record(tmp_path / "unlaunched")
    result = _by_test(record)["test_counts"]
    assert result["status"] == "error"
    assert re.fullmatch(r"infrastructure failure: slurm could not launch job \d+ on localhost \(JobLaunchFailure; "
                        r"see slurmd's log\)", result["message"])
    assert len(record["launcher"]["jobs"]["icarus counter@default"]) == 2
    assert len(record["launcher"]["jobs"][result["job_id"]]) == 2  # resubmitted behind the new build


@pytest.mark.extended  # infrastructure failures retried in make test: test_jobs_that_never_start_...
def test_scancel_is_an_infrastructure_failure_retried_once(slurm: SlurmCluster, tmp_path: Path,
                                                            icarus: None) -> None:
    """A job cancelled from outside is resubmitted once with --retries 1; the retry runs the
    test to its own (watchdog) timeout, a test outcome that is never retried."""
    project = write_counter_project(tmp_path / "counter", tests=["test_counts", "test_hangs"])
    out_root = tmp_path / "retry"
    proc = _start(project, out_root, "--launcher", "slurm", "--timeout", "5", "--retries", "1", "--no-report")
    try:
        first = _wait_for("the hanging job runs", lambda: _running_jobs(slurm, out_root, "test_hangs"), proc)
        slurm.run("scancel", first[0])
    finally:
        out = _finish(proc)
    assert proc.returncode == 1, out
    assert re.search(rf"RETRY icarus/counter-default/test_hangs-\d+ \(1 of 1\): infrastructure failure: "
                     rf"slurm job {first[0]} was cancelled on localhost outside llama-dv", out), out
    record = _record(out_root)
    result = _by_test(record)["test_hangs"]
    assert (result["status"], result["message"]) == ("timeout", "killed after timeout of 5.0 s")
    ids = record["launcher"]["jobs"][result["job_id"]]
    assert len(ids) == 2 and ids[0] == first[0]
    assert [f["slurm_job"] for f in record["launcher"]["infrastructure_failures"]] == [first[0]]

    # Without retries, a job killed by a signal and a job whose node went down are both
    # infrastructure failures, each in its own bucket, apart from test failures.
    out_root = tmp_path / "faults"
    proc = _start(project, out_root, "--launcher", "slurm", "--timeout", "60", "--seeds", "2")
    try:
        jobs = _wait_for("both hanging jobs run",
                         lambda: (j := _running_jobs(slurm, out_root, "test_hangs")) and len(j) == 2 and j, proc)
        worker = _wait_for("the worker process", lambda: _worker_pid("run-*.json", out_root), proc)
        _kill_tree(worker)
        _wait_for("the killed job to end", lambda: "FAILED" in slurm.run(
            "squeue", "-h", "-t", "all", "-o", "%T", "-j", ",".join(jobs)).stdout, proc)
        slurm.run("scontrol", "update", "NodeName=localhost", "State=DOWN", "Reason=llama-dv-test")
    finally:
        out = _finish(proc)
        slurm.run("scontrol", "update", "NodeName=localhost", "State=RESUME", check=False)
    assert proc.returncode == 1, out
    assert "RETRY" not in out
    messages = sorted(r["message"] for r in _record(out_root)["results"] if r["status"] == "error")
    assert len(messages) == 2, out
    assert re.fullmatch(r"infrastructure failure: node localhost failed while slurm job \d+ ran \(\w+\)", messages[0])
    assert re.fullmatch(r"infrastructure failure: slurm job \d+ was killed by SIGKILL on localhost", messages[1])
    summary = ((out_root / "latest").resolve() / "summary.md").read_text()
    assert "### error: infrastructure failure: node localhost failed while slurm job <n> ran" in summary
    assert "### error: infrastructure failure: slurm job <n> was killed by SIGKILL on localhost (1)" in summary
    assert "infrastructure failures among the errors: 2 " in out
    _wait_idle(slurm)
    assert _left_running(str(tmp_path)) == []


def _wait_idle(slurm: SlurmCluster, timeout: float = 60) -> None:
    """The node is back in service after a DOWN (ReturnToService=2) for the next test."""
    deadline = time.monotonic() + timeout
    while slurm.run("sinfo", "-h", "-o", "%T").stdout.strip() != "idle":
        assert time.monotonic() < deadline, "node did not return to service"
        slurm.run("scontrol", "update", "NodeName=localhost", "State=RESUME", check=False)
        time.sleep(0.2)


@pytest.mark.extended  # SIGTERM of a local regression in make test: test_regress_runner's sigterm test
def test_sigterm_cancels_every_job_and_still_reports(slurm: SlurmCluster, tmp_path: Path, icarus: None) -> None:
    """A cancelled CI job: SIGTERM cancels the regression's SLURM jobs by id, waits for them,
    writes the reports and exits 130; no job process is left."""
    project = write_counter_project(tmp_path / "counter", tests=["test_counts", "test_hangs"])
    out_root = tmp_path / "out"
    proc = _start(project, out_root, "--launcher", "slurm", "--timeout", "600")
    try:
        hang = _wait_for("the hanging job runs", lambda: _running_jobs(slurm, out_root, "test_hangs"), proc)
        # The simulator is up and stuck in the hang (polled: on a loaded machine it takes
        # more than a second after the log appears).
        _wait_for("its vvp", lambda: [a for a in _processes_mentioning(str(tmp_path)) if a.startswith("vvp")],
                  proc, timeout=60)
        proc.send_signal(signal.SIGTERM)
    finally:
        out = _finish(proc, timeout=90)
    assert proc.returncode == 130, out
    assert re.search(rf"interrupted: cancelling \d SLURM job\(s\): .*\b{hang[0]}\b", out), out
    record = _record(out_root)
    assert record["interrupted"] is True and (out_root / "latest" / "summary.md").is_file()
    hung = _by_test(record)["test_hangs"]
    assert (hung["status"], hung["message"]) == (
        "error", f"interrupted: slurm job {hang[0]} was cancelled by llama-dv before it finished")
    assert hang[0] in record["launcher"]["cancelled"]
    state = slurm.run("squeue", "-h", "-t", "all", "-o", "%T", "-j", hang[0]).stdout.strip()
    assert state == "CANCELLED"
    assert _left_running(str(tmp_path)) == []


@pytest.mark.slow
def test_slurm_time_limit_is_a_test_timeout(slurm: SlurmCluster, tmp_path: Path, icarus: None) -> None:
    """When SLURM's --time ends the job before llama-dv's watchdog, the test timed out
    (not the farm): status timeout, not retried, and the simulator is gone."""
    project = write_counter_project(tmp_path / "counter", tests=["test_counts", "test_hangs"])
    start = time.monotonic()
    proc = _start(project, tmp_path / "out", "--launcher", "slurm", "--timeout", "600", "--retries", "1",
                  "--slurm-args=--time=1", "--no-report")
    out = _finish(proc, timeout=300)
    assert proc.returncode == 1, out
    assert time.monotonic() - start > 60
    result = _by_test(_record(tmp_path / "out"))["test_hangs"]
    assert result["status"] == "timeout", out
    assert re.fullmatch(r"slurm job \d+ reached its time limit \(00:01:00\) on localhost before llama-dv's own "
                        r"watchdog stopped the test", result["message"])
    assert "RETRY" not in out
    assert _left_running(str(tmp_path)) == []


def test_cluster_stops_clean_with_a_job_running(tmp_path: Path) -> None:
    """The fixture's cluster: up in seconds, a job in about a second, and stopping it (with
    a job still running) leaves no daemon, job step or job process behind."""
    from tests.regress.slurm_cluster import missing_binaries

    if missing := missing_binaries():
        pytest.skip(f"SLURM is not installed (missing {', '.join(missing)}); run `make setup`")
    cluster = SlurmCluster().start()
    try:
        assert cluster.startup_s is not None and cluster.startup_s < 10
        start = time.monotonic()
        job = cluster.run("sbatch", "--parsable", f"--output={tmp_path}/%j.out", "--wrap", "echo up").stdout.strip()
        while cluster.run("squeue", "-h", "-t", "all", "-o", "%T", "-j", job).stdout.strip() != "COMPLETED":
            assert time.monotonic() - start < 10, "a trivial job took over 10 s"
            time.sleep(0.05)
        assert (tmp_path / f"{job}.out").read_text() == "up\n"
        cluster.run("sbatch", f"--output={tmp_path}/%j.out", "--wrap", "sleep 317")
        while not _processes_mentioning("sleep 317"):
            assert time.monotonic() - start < 30, "the long job never started"
            time.sleep(0.05)
        pids = {name: cluster._pid(name) for name in cluster.pid_files}
        assert all(pids.values()) and len(cluster.processes()) > 3
    finally:
        leftovers = cluster.stop()
    assert leftovers == []
    assert not cluster.root.exists()
    for name, pid in pids.items():
        assert not Path(f"/proc/{pid}").exists(), f"{name} (pid {pid}) still running"
    assert _processes_mentioning("sleep 317") == []
