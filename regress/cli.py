"""``llama-dv``: regression, validation, merge, rerun, report and sign-off commands."""
from __future__ import annotations

import argparse
import importlib
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from llama_dv.regress.testplan import DEFAULT_TESTPLAN, SIMS


def _sims(text: str) -> tuple[str, ...]:
    if text == "all":
        return SIMS
    sims = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in sims if s not in SIMS]
    if bad or not sims:
        raise argparse.ArgumentTypeError(f"--sim expects verilator, icarus, all or a comma list; got {text!r}")
    return sims


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or a positive integer, got {text!r}")
    return value


def _jobs(text: str) -> int:
    return os.cpu_count() or 1 if text in ("", "0") else _positive(text)


def _add_plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--testplan", type=Path, default=DEFAULT_TESTPLAN, help="testplan YAML (default: regress/testplan.yaml)")
    p.add_argument("--registry", default="llama_dv.tb.dut_registry", help="module providing list_duts/get_dut/test_module/list_tests")
    p.add_argument("--tb-dir", type=Path, default=None, help="testbench sources searched for covergroup names (default: tb/)")


def _tb_dir(args: argparse.Namespace) -> Path:
    from llama_dv.tb.sim.runner import REPO_ROOT

    return args.tb_dir or REPO_ROOT / "tb"


def cmd_validate(args: argparse.Namespace) -> int:
    from llama_dv.regress.registry import RegistryView
    from llama_dv.regress.testplan import TestplanError, load_testplan, validate

    try:
        plan = load_testplan(args.testplan)
    except TestplanError as exc:
        print(exc, file=sys.stderr)
        return 2
    report = validate(plan, RegistryView.read(args.registry), _tb_dir(args))
    for line in report.notes:
        print(f"note: {line}")
    for line in report.planned:
        print(f"planned: {line}")
    for line in report.errors:
        print(f"error: {line}", file=sys.stderr)
    print(f"{len(plan.testpoints)} testpoints, {sum(tp.planned for tp in plan.testpoints)} planned, "
          f"{len(report.errors)} error(s)")
    return 0 if report.ok else 2


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled CI job) takes the same clean-up path as Ctrl-C."""
    raise KeyboardInterrupt


def cmd_regress(args: argparse.Namespace) -> int:
    from llama_dv.regress.launchers import LauncherOptions
    from llama_dv.regress.regression import RegressError, RegressOptions, run_regression

    launcher = LauncherOptions(name=args.launcher, partition=args.partition, account=args.account,
                               extra_args=tuple(shlex.split(args.slurm_args or "")), retries=args.retries)
    opts = RegressOptions(
        suite=args.suite, sims=args.sim, seeds=args.seeds, seed=args.seed, base_seed=args.base_seed,
        jobs=args.jobs, waves=args.waves, code_coverage=not args.no_code_coverage, timeout_s=args.timeout,
        shard=args.shard, name=args.name, out_root=args.out_root, testplan=args.testplan,
        registry=args.registry, tb_dir=_tb_dir(args), reports=not args.no_report, launcher=launcher,
        history=tuple(args.history or ()),
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _, record = run_regression(opts)
    except (RegressError, ValueError) as exc:
        print(f"llama-dv regress: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("llama-dv regress: interrupted; running builds and simulations were stopped", file=sys.stderr)
        return 130
    c = record["counts"]
    return 1 if (c["fail"] or c["error"] or c["timeout"] or c["build_error"]) else 0


def cmd_merge(args: argparse.Namespace) -> int:
    from llama_dv.regress.regression import merge_runs, regress_root, update_latest

    out = args.out or regress_root() / "merged"
    try:
        record = merge_runs(args.dirs, out)
    except FileNotFoundError as exc:
        print(f"llama-dv merge: {exc}", file=sys.stderr)
        return 2
    if args.out is None:
        update_latest(out)
    c = record["counts"]
    return 1 if (c["fail"] or c["error"] or c["timeout"] or c["build_error"]) else 0


def cmd_rerun(args: argparse.Namespace) -> int:
    """Replay one failing job of a regression from its record (same seed, same build, waves)."""
    from llama_dv.regress.regression import regress_root
    from llama_dv.regress.results import read_record, record_results

    run_dir = args.run_dir or regress_root() / "latest"
    results = record_results(read_record(run_dir))
    matches = [r for r in results if args.job in (r.job_id, r.ref, f"{r.sim}/{r.ref}") and r.replay]
    if not matches:
        print(f"llama-dv rerun: no job {args.job!r} in {run_dir}", file=sys.stderr)
        return 2
    cmd = matches[0].replay
    print(cmd, flush=True)
    return subprocess.run(cmd, shell=True, check=False).returncode


def cmd_report(args: argparse.Namespace) -> int:
    from llama_dv.regress.regression import regress_root
    from llama_dv.regress.report import write_reports
    from llama_dv.regress.results import read_record

    run_dir = args.run_dir or regress_root() / "latest"
    paths = write_reports(run_dir, read_record(run_dir), testplan=args.testplan)
    for p in paths:
        print(p)
    from llama_dv.regress.links import dangling_links

    for link in dangling_links(paths[-1]):
        print(f"warning: {paths[-1].name} links to {link}, which is not a file inside {run_dir}", file=sys.stderr)
    return 0


def cmd_signoff(args: argparse.Namespace) -> int:
    from llama_dv.regress.signoff import run_signoff

    return run_signoff(testplan=args.testplan, run_dirs=args.results, out_dir=args.out,
                       synth_dir=args.synth_dir, milestones=args.milestone, mutate_dir=args.mutate_dir)


TOOLS: dict[str, tuple[str, str]] = {
    "synth": ("llama_dv.regress.yosys", "yosys synthesis figures per top"),
    "bench": ("llama_dv.regress.bench", "simulation throughput per kernel and simulator"),
    "run": ("llama_dv.tb.generic.run", "stock tests of a described DUT against your golden"),
    "describe": ("llama_dv.tb.export.describe", "write the DUT description YAML of a Vitis HLS export"),
    "mutate": ("llama_dv.regress.mutate.command", "mutation score of a DUT's tests (yosys mutants, one netlist)"),
}
"""Subcommands whose every option belongs to their own parser: name -> (module with main(argv), help)."""


def run_tool(name: str, argv: Sequence[str]) -> int:
    module = importlib.import_module(TOOLS[name][0])
    return int(module.main(list(argv)) or 0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llama-dv", description="llama-dv regression, coverage and sign-off")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("regress", help="run a testplan suite in parallel on one or both simulators")
    r.add_argument("--suite", default="smoke", help="suite name from the testplan (smoke, full, nightly, M1..M5)")
    r.add_argument("--sim", type=_sims, default=SIMS, help="verilator, icarus or all (default: all)")
    r.add_argument("--seeds", type=_positive, help="runs per test, each with its own seed (default: the suite's)")
    r.add_argument("--seed", type=int, help="run every test with exactly this seed")
    r.add_argument("--base-seed", type=int, help="derive per-test seeds from this (default: random; from the commit when sharded)")
    r.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1, help="parallel simulations (default: all cores)")
    r.add_argument("--waves", action="store_true", help="dump waveforms for every test")
    r.add_argument("--timeout", type=float, help="per-test timeout in seconds (default: the suite's)")
    r.add_argument("--shard", help="run shard K/N of the job list (combine with `llama-dv merge`)")
    r.add_argument("--name", help="output directory name under build/regress (default: timestamp-suite)")
    r.add_argument("--out-root", type=Path, help="folder holding regression outputs (default: build/regress)")
    r.add_argument("--no-code-coverage", action="store_true", help="skip Verilator code coverage instrumentation")
    r.add_argument("--no-report", action="store_true", help="skip the HTML/Markdown reports")
    r.add_argument("--history", type=Path, action="append",
                   help="folder of earlier regression outputs whose record.json files give the expected "
                        "times that order the run (repeatable; the output root and build/regress are always read)")
    r.add_argument("--launcher", choices=("local", "slurm"), default="local",
                   help="where builds and simulations run: local processes or SLURM jobs (default: local)")
    r.add_argument("--partition", help="SLURM partition of every job (default: the cluster's default)")
    r.add_argument("--account", help="SLURM account charged for every job")
    r.add_argument("--slurm-args", help="extra sbatch options for every job, given with '=': "
                                        "--slurm-args='--qos=short --mem=4G'")
    r.add_argument("--retries", type=_non_negative, default=0,
                   help="resubmit a job this many times after an infrastructure failure (never a test failure)")
    _add_plan_args(r)
    r.set_defaults(func=cmd_regress)

    v = sub.add_parser("validate", help="check the testplan against the schema, DUT registry and tb/ sources")
    _add_plan_args(v)
    v.set_defaults(func=cmd_validate)

    m = sub.add_parser("merge", help="combine shard output directories (JUnit, coverage, reports)")
    m.add_argument("dirs", nargs="+", type=Path)
    m.add_argument("--out", type=Path, help="merged output directory (default: build/regress/merged)")
    m.set_defaults(func=cmd_merge)

    rr = sub.add_parser("rerun", help="replay one job of a regression with the same seed and build, waves on")
    rr.add_argument("job", help="job id (sim/dut-config/test-seed) or test reference as printed")
    rr.add_argument("--run-dir", type=Path, help="regression directory (default: build/regress/latest)")
    rr.set_defaults(func=cmd_rerun)

    rp = sub.add_parser("report", help="regenerate report.html and summary.md of a regression")
    rp.add_argument("--run-dir", type=Path)
    rp.add_argument("--testplan", type=Path, default=DEFAULT_TESTPLAN)
    rp.set_defaults(func=cmd_report)

    s = sub.add_parser("signoff", help="evaluate milestone sign-off criteria against the latest results")
    s.add_argument("--testplan", type=Path, default=DEFAULT_TESTPLAN)
    s.add_argument("--results", type=Path, action="append",
                   help="regression directory to take results from (repeatable; default: every run under build/regress)")
    s.add_argument("--synth-dir", type=Path, help="synthesis JSON folder (default: build/synth)")
    s.add_argument("--mutate-dir", type=Path, help="`llama-dv mutate` results folder (default: build/mutate)")
    s.add_argument("--out", type=Path, help="where signoff.md/.json go (default: build/signoff)")
    s.add_argument("--milestone", action="append", help="only these milestones or kernels (repeatable)")
    s.set_defaults(func=cmd_signoff)

    for name, (_, text) in TOOLS.items():  # listed for --help; main() hands them their arguments
        sub.add_parser(name, add_help=False, help=f"{text} (see `llama-dv {name} --help`)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in TOOLS:
        return run_tool(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
