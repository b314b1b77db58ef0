"""The node side of a farm job: one build or one simulation, described by a JSON spec.

``python -m llama_dv.regress.launchers.worker SPEC`` is what every job script runs. It calls the
same ``llama_dv.regress.execute`` functions as the local launcher, so a job's result (status,
message, log, coverage, replay command) is exactly what a local run would give, and
writes it atomically to the result file the launcher collects from the shared disk.
No result file means the job was stopped from outside (time limit, scancel, node loss).
"""
from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

from llama_dv.regress.execute import ExecOptions, build_one, job_result, run_one
from llama_dv.regress.registry import load_registry
from llama_dv.regress.selection import Job
from llama_dv.regress.testplan import TestRef

SPEC_VERSION = 1


def job_to_json(job: Job) -> dict[str, Any]:
    return {"ref": str(job.ref), "sim": job.sim, "seed": job.seed, "repeat": job.repeat,
            "testpoints": list(job.testpoints), "env": dict(job.env), "code_coverage": job.code_coverage}


def job_from_json(data: dict[str, Any]) -> Job:
    return Job(ref=TestRef.parse(data["ref"]), sim=data["sim"], seed=int(data["seed"]), repeat=int(data["repeat"]),
               testpoints=list(data["testpoints"]), env=dict(data["env"]), code_coverage=bool(data["code_coverage"]))


def make_spec(kind: str, *, registry: str, key: tuple[str, str, str], coverage: bool, opts: ExecOptions,
              out_dir: Path, result: Path, job: Job | None = None) -> dict[str, Any]:
    """The spec of a ``build`` of DUT configuration *key* (dut, config, sim) or a ``run`` of *job*."""
    exec_opts = asdict(opts)
    exec_opts["python_path"] = [str(Path(p).resolve()) for p in opts.python_path]
    exec_opts["history"] = [str(Path(p).resolve()) for p in opts.history]
    spec = {"version": SPEC_VERSION, "kind": kind, "registry": registry, "dut": key[0], "config": key[1],
            "sim": key[2], "coverage": coverage, "exec": exec_opts, "out_dir": str(out_dir.resolve()),
            "result": str(result.resolve())}
    if job is not None:
        spec["job"] = job_to_json(job)
    return spec


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)


def _stop(signum: int, frame: object) -> None:
    """SLURM sends SIGTERM at the time limit, on scancel and on node shutdown."""
    raise KeyboardInterrupt


def execute(spec: dict[str, Any]) -> int:
    """Run *spec*; exit status 1 only for a failed build (so dependent runs never start)."""
    if spec.get("version") != SPEC_VERSION:
        raise SystemExit(f"job spec version {spec.get('version')!r} is not {SPEC_VERSION}: "
                         f"the checkout on the node differs from the submitting one")
    for folder in reversed(spec["exec"]["python_path"]):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    opts = ExecOptions(**{**spec["exec"], "python_path": tuple(Path(p) for p in spec["exec"]["python_path"]),
                          "history": tuple(Path(p) for p in spec["exec"].get("history", ()))})
    result_path = Path(spec["result"])
    registry = load_registry(spec["registry"])
    dut_name, config, sim = spec["dut"], spec["config"], spec["sim"]
    if spec["kind"] == "build":
        try:
            dut = registry.get_dut(dut_name, sim, config)
            error, took = build_one(dut, spec["coverage"], opts)
        except Exception as exc:
            error = f"registry get_dut({dut_name!r}, {sim!r}, {config!r}) failed: {type(exc).__name__}: {exc}"
            took = 0.0
        _write_atomic(result_path, {"error": error, "duration_s": round(took, 3)})
        return 1 if error else 0
    job = job_from_json(spec["job"])
    try:
        dut = registry.get_dut(dut_name, sim, config)
        result = run_one(registry, dut, job, Path(spec["out_dir"]), opts, spec["coverage"])
    except Exception as exc:  # the same words the local launcher uses
        result = job_result(job, "error", 0.0, f"runner raised {type(exc).__name__}: {exc}")
    _write_atomic(result_path, result.to_json())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m llama_dv.regress.launchers.worker SPEC.json", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    spec = json.loads(Path(args[0]).read_text())
    try:
        return execute(spec)
    except KeyboardInterrupt:
        from llama_dv.tb.sim import runner as sim_runner

        sim_runner.stop_children()
        print(f"*** llama-dv: job {os.environ.get('SLURM_JOB_ID', '?')} stopped by a signal (time limit, "
              f"scancel or node shutdown); no result written ***", file=sys.stderr, flush=True)
        return 143


if __name__ == "__main__":
    sys.exit(main())
