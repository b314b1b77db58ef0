"""`llama-dv run DUT.yaml --golden module:function`: the stock tests on any described DUT.

Checks the description, the golden and its ARGS before building anything, runs every
applicable stock test on each simulator (in parallel, one seed per run, printed), and
writes results.json + summary.md; every failure prints its message, its log and the
one command that replays it with waves.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Sequence

import numpy as np

from llama_dv.tb.common.knobs import RANDOM_CALLS_ENV, TIMEOUT_ENV
from llama_dv.tb.dut_description import DutDescriptionError, load_description
from llama_dv.tb.dut_registry import generic_build
from llama_dv.tb.generic.arguments import SignatureError, signature
from llama_dv.tb.generic.golden import GoldenError, absolute, golden_of, load_golden
from llama_dv.tb.generic.stimulus import Stimulus, StimulusError
from llama_dv.tb.generic.suite import STOCK_TESTS, TEST_MODULE, not_applicable, test_variants
from llama_dv.tb.sim.runner import SIMULATORS, RunResult, default_build_root, new_seed, run

DEFAULT_TIMEOUT_S = 900.0


def check(yaml_path: Path, golden_spec: str | None) -> tuple[object, str]:
    """Load and cross-check description, golden and ARGS; raise with a clear message."""
    desc = load_description(yaml_path)
    spec = absolute(golden_spec) if golden_spec else golden_of(desc)
    if not spec:
        raise GoldenError(f"{desc.where}: no golden given: pass --golden module:function (or file.py:function)")
    golden = load_golden(spec)
    args = signature(desc, golden.args)
    stim = Stimulus(args, golden, np.random.default_rng(0), 0)
    stim.draw("random")  # lengths and LengthOf references resolve
    if not any(a.is_output for a in args):
        raise SignatureError(f"{desc.where}: {desc.name} has no output argument to compare")
    return desc, spec


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="llama-dv run", description=__doc__.splitlines()[0])
    p.add_argument("description", type=Path, help="DUT description YAML (from `llama-dv describe`)")
    p.add_argument("--golden", help="golden function: module:function or path/to/file.py:function "
                                    "(default: the YAML's `golden:`)")
    p.add_argument("--sim", default="all", help="verilator, icarus or all (default: all)")
    p.add_argument("--tests", help=f"comma list of the DUT's tests (default: all that apply; without `tests:` in "
                                   f"the YAML the stock tests {', '.join(STOCK_TESTS)})")
    p.add_argument("--seed", type=int, help="run every test with this seed (default: a fresh one per run)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel simulations")
    p.add_argument("--waves", action="store_true", help="record waveforms")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per test run")
    p.add_argument("--handshake-cycles", type=int,
                   help="cycle budget for ap_ready/ap_done/output packets (default: the YAML's "
                        "handshake_timeout_cycles)")
    p.add_argument("--calls", type=int, help="calls of the Random test (default 40)")
    p.add_argument("--out", type=Path, help="results folder (default: build/run/<name>-<time>)")
    return p.parse_args(list(argv))


def _line(r: RunResult) -> str:
    return f"{r.status.upper():5} {r.sim:9} {r.testcase:13} seed {r.seed:<10} {r.duration_s:6.1f} s"


def main(argv: Sequence[str] | None = None) -> int:
    a = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        desc, golden = check(a.description, a.golden)
    except (DutDescriptionError, GoldenError, SignatureError, StimulusError, OSError, ValueError) as exc:
        print(f"llama-dv run: {exc}", file=sys.stderr)
        return 2
    sims = SIMULATORS if a.sim == "all" else tuple(s.strip() for s in a.sim.split(","))
    bad = [s for s in sims if s not in SIMULATORS]
    variants = {v.name: v.base for v in test_variants(desc)}
    skip = {name: why for name, base in variants.items() if (why := not_applicable(desc).get(base))}
    tests = [t.strip() for t in a.tests.split(",")] if a.tests else [t for t in variants if t not in skip]
    unknown = [t for t in tests if t not in variants]
    if bad or unknown:
        print(f"llama-dv run: unknown {'simulator' if bad else 'test'} {(bad or unknown)[0]!r} "
              f"(simulators: {', '.join(SIMULATORS)}; tests: {', '.join(variants)})", file=sys.stderr)
        return 2
    for t, why in skip.items():
        if t in tests:
            print(f"llama-dv run: {t} does not apply to {desc.name}: {why}", file=sys.stderr)
            return 2
    for t, why in skip.items():
        print(f"skip  {t}: {why}")
    out = a.out or default_build_root() / "run" / f"{desc.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {}
    if a.handshake_cycles:
        env[TIMEOUT_ENV] = str(a.handshake_cycles)
    if a.calls:
        env[RANDOM_CALLS_ENV] = str(a.calls)
    jobs = [(sim, t) for sim in sims for t in tests]
    print(f"{desc.name}: {len(jobs)} run(s) of {', '.join(tests)} on {', '.join(sims)} "
          f"(golden {golden}); results in {out}")
    results: list[RunResult] = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futures = [pool.submit(run, generic_build(desc, sim, golden), TEST_MODULE, testcase=t,
                               seed=a.seed if a.seed is not None else new_seed(), waves=a.waves,
                               extra_env=env, timeout_s=a.timeout, python_path=[Path.cwd()])
                   for sim, t in jobs]
        for f in as_completed(futures):
            r = f.result()
            results.append(r)
            print(_line(r), flush=True)
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"\nFAIL {r.sim} {r.testcase} (seed {r.seed}): {r.message}\n  log:    {r.log}\n  replay: {r.replay}")
    summary = (f"{desc.name}: {len(results) - len(failed)} passed, {len(failed)} failed "
               f"in {time.monotonic() - started:.1f} s")
    (out / "results.json").write_text(json.dumps({"dut": desc.name, "description": str(desc.path),
                                                  "golden": golden, "runs": [r.to_json() for r in results]},
                                                 indent=1, default=str))
    rows = "\n".join(f"| {r.sim} | {r.testcase} | {r.status} | {r.seed} | {r.duration_s:.1f} | {r.log} |"
                     for r in sorted(results, key=lambda r: (r.sim, list(variants).index(r.testcase))))
    (out / "summary.md").write_text(f"# {summary}\n\n| sim | test | status | seed | s | log |\n"
                                    f"|---|---|---|---|---|---|\n{rows}\n")
    print(f"\n{summary}\nreport: {out / 'summary.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
