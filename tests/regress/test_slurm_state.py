"""The SLURM launcher's pieces that need no cluster: reading job states, judging a job
that ended without a result, job scripts, the client's error handling, option checks.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from llama_dv.regress.buckets import bucket_failures
from llama_dv.regress.execute import ExecOptions
from llama_dv.regress.launchers import LauncherError, LauncherOptions, is_infrastructure, make_launcher
from llama_dv.regress.launchers.jobscript import job_files, time_limit_minutes, write_job
from llama_dv.regress.launchers.slurm_client import SlurmClient, SlurmError
from llama_dv.regress.launchers.slurm_state import JobInfo, explain, from_jobcomp, from_key_values, from_squeue
from llama_dv.regress.launchers.worker import job_from_json, job_to_json, make_spec
from llama_dv.regress.results import JobResult
from llama_dv.regress.selection import Job
from llama_dv.regress.testplan import TestRef
from tests.regress.conftest import REPO, llama_dv, plan_args

# Lines as SLURM 22.05 prints them (scontrol show job -o, jobcomp/filetxt).
SCONTROL_CANCELLED = (
    "JobId=7 JobName=ldv-run:icarus:test_hangs-1 UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=1 "
    "Nice=0 Account=(null) QOS=(null) JobState=CANCELLED Reason=None Dependency=(null) Requeue=0 Restarts=0 "
    "BatchFlag=1 Reboot=0 ExitCode=0:15 RunTime=00:00:02 TimeLimit=00:02:00 TimeMin=N/A "
    "AllocNode:Sid=localhost:5811 NodeList=localhost BatchHost=localhost NumNodes=1 Command=/x/run.sh "
    "WorkDir=/x StdErr=/x/run-7.out StdIn=/dev/null StdOut=/x/run-7.out Power= "
)
JOBCOMP = (
    "JobId=41 UserId=root(0) GroupId=root(0) Name=ldv-run JobState=RUNNING Partition=debug TimeLimit=2 "
    "StartTime=2026-01-01T00:00:00 EndTime=Unknown NodeList=localhost NodeCnt=1 ProcCnt=1 WorkDir=/x "
    "ReservationName= Tres=cpu=1 Account= QOS= WcKey= Cluster=unknown SubmitTime=2026-01-01T00:00:00 "
    "EligibleTime=2026-01-01T00:00:00 DerivedExitCode=0:0 ExitCode=0:0\n"
    "JobId=4 UserId=root(0) GroupId=root(0) Name=wrap JobState=FAILED Partition=debug TimeLimit=2 "
    "NodeList=node17 NodeCnt=1 DerivedExitCode=0:0 ExitCode=0:9\n"
    "JobId=41 UserId=root(0) GroupId=root(0) Name=ldv-run JobState=NODE_FAIL Partition=debug TimeLimit=2 "
    "NodeList=node03 NodeCnt=1 DerivedExitCode=0:0 ExitCode=0:15\n"
)


def test_scontrol_and_jobcomp_lines_are_read() -> None:
    info = from_key_values(SCONTROL_CANCELLED, "scontrol")
    assert info == JobInfo("7", "CANCELLED", "None", "0:15", "localhost", "00:02:00", "scontrol")
    assert info.terminal and info.exit_status == (0, 15)
    # The last record of a job in the jobcomp file is its end; other jobs' ids do not match.
    assert from_jobcomp(JOBCOMP, "41") == JobInfo("41", "NODE_FAIL", "", "0:15", "node03", "2", "jobcomp")
    assert from_jobcomp(JOBCOMP, "4").exit_status == (0, 9)
    assert from_jobcomp(JOBCOMP, "5") is None
    states = from_squeue("12|RUNNING|None|localhost|2:00\n13|PENDING|Dependency||2:00\n")
    assert {k: (v.state, v.terminal) for k, v in states.items()} == {"12": ("RUNNING", False),
                                                                     "13": ("PENDING", False)}


@pytest.mark.parametrize(("info", "status", "infra", "words"), [
    (JobInfo("7", "CANCELLED", nodes="localhost"), "error", True,
     "slurm job 7 was cancelled on localhost outside llama-dv"),
    (JobInfo("8", "NODE_FAIL", "NodeDown", "0:15", "node03"), "error", True,
     "node node03 failed while slurm job 8 ran (NodeDown)"),
    (JobInfo("9", "FAILED", "JobLaunchFailure", "0:9", "n1"), "error", True, "slurm job 9 was killed by SIGKILL on n1"),
    (JobInfo("10", "FAILED", "JobLaunchFailure", "0:53", "n1"), "error", True, "slurm could not launch job 10 on n1"),
    (JobInfo("11", "FAILED", "NonZeroExitCode", "127:0"), "error", True, "exited with code 127"),
    (JobInfo("12", "COMPLETED", exit_code="0:0"), "error", True, "wrote no result file"),
    (JobInfo("13", "BOOT_FAIL", nodes="n2"), "error", True, "node n2 failed to boot"),
    (JobInfo("14", "PREEMPTED"), "error", True, "was preempted"),
    (None, "error", True, "slurm no longer knows job 15"),
    (JobInfo("16", "TIMEOUT", time_limit="1:00"), "timeout", False, "slurm job 16 reached its time limit (1:00)"),
    (JobInfo("17", "OUT_OF_MEMORY"), "error", False, "ran out of memory"),
])
def test_a_job_without_result_is_the_test_or_the_farm(info: JobInfo | None, status: str, infra: bool,
                                                       words: str) -> None:
    end = explain(info, info.job_id if info else "15")
    assert (end.status, end.infrastructure) == (status, infra)
    assert words in end.message
    assert end.message.startswith("infrastructure failure: ") == infra


def _result(status: str, message: str, seed: int) -> JobResult:
    return JobResult(job_id=f"icarus/c-default/t-{seed}", ref="c.t", dut="c", config="default", test="t",
                     sim="icarus", seed=seed, status=status, message=message)


def test_infrastructure_failures_get_their_own_buckets() -> None:
    cancelled = [_result("error", explain(JobInfo(str(n), "CANCELLED", nodes="localhost"), str(n)).message, n)
                 for n in (21, 22)]
    crashed = _result("error", "simulation ended without a results file (exit code 1)", 23)
    buckets = bucket_failures([*cancelled, crashed])
    assert [(b.signature.split(":")[1].strip(), len(b.results)) for b in buckets] == [
        ("infrastructure failure", 2), ("simulation ended without a results file (exit code <n>)", 1)]
    assert [is_infrastructure(r) for r in (*cancelled, crashed)] == [True, True, False]


def test_time_limit_is_the_timeout_in_whole_minutes_plus_one() -> None:
    assert [time_limit_minutes(s) for s in (12, 60, 61, 600, 900)] == [2, 2, 3, 11, 16]


def test_job_script_runs_the_worker_with_its_spec(tmp_path: Path) -> None:
    job = Job(TestRef("counter", "pad3", "test_counts"), "icarus", 77, 0, ["tp_a"], {"X": "1"}, False)
    assert job_from_json(json.loads(json.dumps(job_to_json(job)))) == job
    files = job_files(tmp_path, f"run-{job.job_id}")
    opts = ExecOptions(jobs=1, waves=False, code_coverage=True, timeout_s=30, build_timeout_s=60,
                       python_path=(tmp_path,))
    spec = make_spec("run", registry="reg", key=("counter", "pad3", "icarus"), coverage=False, opts=opts,
                     out_dir=tmp_path, result=files.result, job=job)
    files.result.write_text("{}")  # a stale result of an earlier attempt
    write_job(files, spec, job_name="ldv-run:x", time_min=2, python="/py", workdir=REPO, comment="run x")
    assert files.script.name == "run-icarus-counter-pad3-test_counts-77.sh"
    script = files.script.read_text()
    for line in ("#SBATCH --time=2", "#SBATCH --no-requeue", "#SBATCH --export=ALL", f"#SBATCH --chdir={REPO}",
                 f"#SBATCH --output={files.folder}/run-icarus-counter-pad3-test_counts-77-%j.out",
                 f"exec /py -m llama_dv.regress.launchers.worker {files.spec}"):
        assert line in script.splitlines()
    assert json.loads(files.spec.read_text())["job"]["ref"] == "counter@pad3.test_counts"
    assert not files.result.exists()


def _fake_runner(replies: dict[str, tuple[int, str, str]], calls: list[list[str]]):
    def run(cmd, **kwargs):
        calls.append(cmd)
        code, out, err = replies[cmd[0]]
        return subprocess.CompletedProcess(cmd, code, out, err)
    return run


def test_client_reads_sbatch_and_squeue_answers(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    client = SlurmClient(_fake_runner({"sbatch": (0, "123;cluster\n", ""),
                                       "squeue": (1, "", "slurm_load_jobs error: Invalid job id specified")}, calls))
    assert client.submit(tmp_path / "a.sh", ["--partition=p"]) == "123"
    assert calls[0] == ["sbatch", "--parsable", "--partition=p", str(tmp_path / "a.sh")]
    assert client.states(["5", "6"]) == {}  # SLURM forgot them all: not an error

    refused = SlurmClient(_fake_runner({"sbatch": (1, "", "sbatch: error: Batch job submission failed: "
                                                          "Invalid partition name specified"),
                                        "squeue": (1, "", "Unable to contact slurm controller")}, []))
    with pytest.raises(SlurmError, match=r"sbatch build-x\.sh failed: .*Invalid partition name"):
        refused.submit(tmp_path / "build-x.sh", [])
    with pytest.raises(SlurmError, match="squeue failed: Unable to contact slurm controller"):
        refused.states(["5"])


def test_launcher_options_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LauncherError, match="--partition, --slurm-args apply only to --launcher slurm"):
        make_launcher(LauncherOptions(partition="p", extra_args=("--qos=x",)))
    with pytest.raises(LauncherError, match="unknown launcher 'lsf'"):
        make_launcher(LauncherOptions(name="lsf"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no SLURM client here
    with pytest.raises(LauncherError, match="not on PATH: sbatch, squeue, scontrol, scancel"):
        make_launcher(LauncherOptions(name="slurm"))


def test_regress_refuses_farm_options_without_the_farm(counter_project) -> None:
    proc = llama_dv(counter_project, "regress", "--suite", "smoke", "--partition", "debug",
                    *plan_args(counter_project))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--partition applies only to --launcher slurm" in proc.stderr


def test_makefile_passes_the_launcher() -> None:
    proc = subprocess.run(["make", "-n", "regress", "LAUNCHER=slurm", "SUITE=smoke"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=True)
    assert "regress --suite smoke --launcher slurm" in " ".join(proc.stdout.split())
    proc = subprocess.run(["make", "-n", "regress"], cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    assert "--launcher" not in proc.stdout


class _FakeSlurm:
    """A farm where builds succeed and every run job 'completes' without a result file."""

    def __init__(self) -> None:
        self.submitted: list[tuple[str, list[str]]] = []

    def check(self) -> None:
        pass

    def submit(self, script: Path, args: list[str]) -> str:
        self.submitted.append((script.name, list(args)))
        if script.name.startswith("build-"):
            script.with_name(script.name.replace(".sh", ".result.json")).write_text('{"error": null, "duration_s": 1}')
        return str(len(self.submitted))

    def states(self, ids: list[str]) -> dict[str, JobInfo]:
        return {i: JobInfo(i, "COMPLETED", nodes="n1") for i in ids}

    def end_info(self, job_id: str) -> JobInfo:
        return JobInfo(job_id, "COMPLETED", "None", "0:0", "n1", "", "scontrol")

    def cancel(self, ids: list[str]) -> None:
        pass


def test_a_missing_result_file_gets_a_grace_period_then_is_the_farm(counter_project, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared filesystem may show a finished job's result late: llama-dv waits, then calls
    it an infrastructure failure that names the likely cause. Runs wait for their build."""
    import io
    import time

    from llama_dv.regress.launchers import slurm as slurm_launcher
    from llama_dv.regress.registry import load_registry

    monkeypatch.syspath_prepend(str(counter_project.root))
    monkeypatch.setattr(slurm_launcher, "RESULT_GRACE_S", 0.5)
    fake = _FakeSlurm()
    options = LauncherOptions(name="slurm", partition="p", account="a", extra_args=("--qos=q",), poll_s=0.05,
                              max_poll_s=0.1)
    launcher = slurm_launcher.SlurmLauncher(options, client=fake)  # type: ignore[arg-type]
    job = Job(TestRef("counter", "default", "test_counts"), "icarus", 5, 0, ["tp_test_counts"])
    opts = ExecOptions(jobs=1, waves=False, code_coverage=True, timeout_s=30, build_timeout_s=60)
    start = time.monotonic()
    [result] = launcher.run(load_registry(counter_project.registry), [job], tmp_path, opts, io.StringIO())
    assert time.monotonic() - start >= 0.5
    assert result.status == "error" and is_infrastructure(result)
    assert result.message == ("infrastructure failure: slurm job 2 completed on n1 but wrote no result file (is "
                              "the regression directory on a filesystem the nodes share?)")
    assert "--seed 5 " in result.replay and result.replay.endswith("--testcase test_counts --waves")
    assert fake.submitted == [
        ("build-icarus-counter-default.sh", ["--partition=p", "--account=a", "--qos=q"]),
        ("run-icarus-counter-default-test_counts-5.sh",
         ["--partition=p", "--account=a", "--dependency=afterok:1", "--kill-on-invalid-dep=yes", "--qos=q"])]
    assert launcher.record()["infrastructure_failures"] == [
        {"job": job.job_id, "slurm_job": "2", "message": result.message, "retried": False}]
