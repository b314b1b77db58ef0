"""`llama-dv mutate DUT`: how many injected RTL bugs the bench catches.

    llama-dv mutate rmsnorm --count 40 --suite full
    llama-dv mutate clash_mac_matvec --tests MacMatvecRandom --sim icarus

Steps: sample the mutations and build them into one netlist (`netlist`), run mutant 0
and then every mutant through the chosen tests (`campaign`), try to prove each survivor
equivalent (`equivalence`), apply the testplan's justify rules (`triage`) and write the
score with the per-mutant table (`report`). Exit 0 when it ran (whatever the score;
`llama-dv signoff` judges `mutation_min`), 2 on bad input or a failing mutant 0.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Lock
from pathlib import Path
from typing import Any, Sequence

from llama_dv.regress.execute import ExecOptions
from llama_dv.regress.mutate.campaign import BaselineError, MutantOutcome, build_netlist, run_baseline, run_mutants
from llama_dv.regress.mutate.equivalence import (ASYNC_PORTS, PROOF_CPU_S, local_proof, prove_equivalent,
                                                 structural_proof)
from llama_dv.regress.mutate.infection import attach_probes, read_infections
from llama_dv.regress.mutate.netlist import FILTER_KEYS, MutantNetlist, MutateError, Mutation, hdl_sources, prepare
from llama_dv.regress.mutate.report import read_result, result_dir, score, write_result
from llama_dv.regress.mutate.triage import JustifyRule, RuleError, justification, load_rules
from llama_dv.regress.registry import DEFAULT_REGISTRY, RegistryView, load_registry
from llama_dv.regress.regression import python_path_for
from llama_dv.regress.results import git_commit
from llama_dv.regress.selection import Job, plan_jobs
from llama_dv.regress.testplan import DEFAULT_TESTPLAN, TestplanError, TestRef, load_testplan
from llama_dv.tb.sim.runner import REPO_ROOT, BuildError, DutBuild

DEFAULT_COUNT = 40
DEFAULT_SEED = 12345
"""The seed the documented mutation scores were measured with (docs/mutation.md)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llama-dv mutate", description=__doc__.split("\n\n")[0])
    p.add_argument("dut", help="DUT name from the registry (`llama-dv validate` lists them), e.g. rmsnorm")
    p.add_argument("--count", type=int, default=DEFAULT_COUNT, help=f"mutants to sample (default {DEFAULT_COUNT})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"seed of the mutation sample and of the tests (default {DEFAULT_SEED})")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--suite", default=None, help="testplan suite whose tests of this DUT run (default: full)")
    which.add_argument("--tests", help="comma-separated test names of this DUT instead of a suite")
    p.add_argument("--sim", choices=("verilator", "icarus"), default="verilator", help="simulator (default verilator)")
    p.add_argument("--config", default="default", help="DUT configuration the mutants are made of (default: default)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants run at once (default: all cores)")
    p.add_argument("--only", action="append", default=[], metavar="KEY=VALUE",
                   help="sample only mutations whose KEY (mode, module, cell, port, wire, src) is VALUE, "
                        "e.g. --only wire=ap_idle (repeatable; a result of its own, under <suite>-only-...); "
                        "module=NAME mutates that module in place, the hierarchy kept (memory backdoors still reach in)")
    p.add_argument("--no-equivalence", action="store_true", help="skip the equivalence proofs of survivors")
    p.add_argument("--keep-hierarchy", action="store_true",
                   help="mutate the modules in place instead of the flattened top: module, instance and memory "
                        "names stay, so backdoors into the design still reach (results under <suite>-hier)")
    p.add_argument("--survivors", action="store_true",
                   help="run again only the survivors of the last result (after a check or stimulus was added)")
    p.add_argument("--rescore", action="store_true",
                   help="re-apply the testplan's justify rules to the last result and rewrite its score (no simulation)")
    p.add_argument("--out", type=Path, help="result folder (default build/mutate/<dut>-<config>/<suite>-<sim>)")
    p.add_argument("--testplan", type=Path, default=DEFAULT_TESTPLAN)
    p.add_argument("--registry", default=DEFAULT_REGISTRY)
    return p


def select_jobs(args: argparse.Namespace, plan: Any, view: RegistryView) -> tuple[list[Job], list[str], str]:
    """The jobs of *args.dut* on the mutated configuration, the tests left out, the suite label."""
    if args.tests:
        names = [t.strip() for t in args.tests.split(",") if t.strip()]
        unknown = [t for t in names if not view.has_test(args.dut, t)]
        if unknown:
            raise ValueError(f"{args.dut} has no test(s) {', '.join(unknown)}; its tests: "
                             f"{', '.join(view.duts.get(args.dut, []))}")
        return ([Job(TestRef(args.dut, args.config, t), args.sim, args.seed, 0) for t in names], [],
                "tests-" + hashlib.sha256(",".join(names).encode()).hexdigest()[:6])
    suite = args.suite or "full"
    if suite not in plan.suites:
        raise ValueError(f"no suite {suite!r} in {plan.path}; suites: {', '.join(plan.suites)}")
    jobs, _ = plan_jobs(plan, plan.suite_testpoints(suite), view, (args.sim,), 1, args.seed)
    mine = [j for j in jobs if j.ref.dut == args.dut]
    chosen = [j for j in mine if j.ref.config == args.config]
    skipped = sorted({str(j.ref) for j in mine if j.ref.config != args.config})
    if not chosen:
        raise ValueError(f"suite {suite!r} runs no test of {args.dut}@{args.config} on {args.sim}; "
                         f"pass --tests or another --suite")
    return chosen, skipped, suite


def triage(outcomes: list[MutantOutcome], rules: list[JustifyRule], netlist: MutantNetlist, *, prove: bool,
           jobs: int) -> list[dict[str, Any]]:
    """Per-mutant entries: survivors justified by a testplan rule, else tried for equivalence
    (`jobs` proofs at a time)."""
    entries = [{**o.mutation.to_json(), "status": o.status, "killed_by": o.killed_by, "message": o.message,
                "log": o.log, "replay": o.replay, "runs": o.runs, "seconds": o.seconds} for o in outcomes]
    to_prove = []
    for o, entry in zip(outcomes, entries):
        if o.killed:
            continue
        rule = justification(rules, o.mutation)
        if rule is not None:
            entry.update(status="justified", justification=rule.describe())
        elif prove:
            to_prove.append((o.mutation, entry))
    if to_prove:
        print(f"proving {len(to_prove)} survivor(s) equivalent ({jobs} at a time, up to {PROOF_CPU_S:.0f} CPU-s "
              "each)", flush=True)
        modules = json.loads(netlist.base_json.read_text())["modules"]
        done, lock = [0], Lock()

        def prove(item: tuple[Mutation, dict[str, Any]]) -> None:
            mutation, entry = item
            start = time.monotonic()
            proof = prove_equivalent(netlist, mutation, module=modules[mutation.module])
            entry["proof"] = proof.reason
            if proof.proven:
                entry["status"] = "equivalent"
            with lock:  # one line per proof as it ends: a long proof phase shows it is moving
                done[0] += 1
                print(f"  [{done[0]:>{len(str(len(to_prove)))}}/{len(to_prove)}] m{mutation.index}: {proof.reason} "
                      f"({time.monotonic() - start:.1f}s)", flush=True)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(prove, to_prove))
    return entries


def mark_infections(mutants: list[dict[str, Any]], probed: dict[int, bool],
                    seen: dict[int, dict[str, Any]]) -> None:
    """Each mutant's `infected`: where the unmutated run first made its signal differ, False
    when it never did, "unknown" without a probe. A killed mutant the probe calls never
    infected contradicts it (a flaky test, or a probe the simulator did not evaluate): it is
    reported and left unknown."""
    for m in mutants:
        m["infected"] = seen.get(m["index"]) or (False if probed.get(m["index"]) else "unknown")
        if m["status"] == "killed" and m["infected"] is False:
            print(f"llama-dv mutate: warning: m{m['index']} was killed but its infection probe never fired; "
                  "its infection is left unknown", flush=True)
            m["infected"] = "unknown"


def rescore(out: Path, rules: list[JustifyRule]) -> int:
    """Justify rules and the quick equivalence proofs (structural, cell-local) applied again
    to a result's survivors: a rule added or removed since, a proof the flow learnt since."""
    record = read_result(out)
    if record is None:
        print(f"llama-dv mutate: no result to rescore in {out}", file=sys.stderr)
        return 2
    base = out / "netlist" / "base.json"
    modules = json.loads(base.read_text())["modules"] if base.is_file() else {}
    for entry in record["mutants"]:
        if entry["status"] in ("survived", "justified"):
            mutation = Mutation.from_json(entry)
            proof = None
            module = modules.get(mutation.module or record["top"])
            if module:
                proof = structural_proof(module, mutation)
                if proof is None and mutation.port not in ASYNC_PORTS:
                    proof = local_proof(out / "netlist" / "base.il", mutation.module or record["top"], out / "netlist",
                                        mutation)
            if proof is not None:
                entry.update(status="equivalent", proof=proof.reason, justification=None)
                continue
            rule = justification(rules, mutation)
            entry["status"] = "justified" if rule else "survived"
            entry["justification"] = rule.describe() if rule else None
    record["score"] = score(record["mutants"])
    _, md_path = write_result(out, record)
    s = record["score"]
    print(f"{record['dut']}: mutation score {s['score_pct']} % (killed {s['killed']}, survived {s['survived']}, "
          f"equivalent {s['equivalent']}, justified {s['justified']})\n  {md_path}")
    return 0


def _only(items: list[str]) -> dict[str, str]:
    only = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in FILTER_KEYS or not value:
            raise ValueError(f"--only {item!r}: expected KEY=VALUE with KEY one of {', '.join(FILTER_KEYS)}")
        only[key] = value
    return only


def _survivors(previous: dict[str, Any], mutations: list[Mutation]) -> list[Mutation]:
    """The mutations a result left alive, checked to be the same mutations as sampled now."""
    by_index = {m.index: m for m in mutations}
    chosen = []
    for entry in previous["mutants"]:
        m = by_index.get(entry["index"])
        if m is None or (m.cell, m.port, m.portbit, m.mode) != (entry["cell"], entry["port"], entry["portbit"],
                                                                 entry["mode"]):
            raise ValueError(f"mutant {entry['index']} is not the one of the last result (the RTL or yosys "
                             "changed); run the whole campaign again")
        if entry["status"] in ("survived", "justified"):
            chosen.append(m)
    return chosen


def rtl_digest(dut: DutBuild) -> str:
    """Hash of the DUT's HDL sources: sign-off calls a result made of other RTL stale (the
    parameters are the configuration's, part of the result's folder)."""
    h = hashlib.sha256()
    for p in hdl_sources(dut):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _rtl_changed(dut: DutBuild, digest: str) -> bool:
    try:
        return rtl_digest(dut) != digest
    except OSError:  # a source removed or unreadable since the start
        return True


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.count < 1:
        print("llama-dv mutate: --count must be at least 1", file=sys.stderr)
        return 2
    try:
        plan = load_testplan(args.testplan)
        rules = load_rules(plan.data, args.dut)
        view = RegistryView.read(args.registry)
        if args.dut not in view.duts:
            raise ValueError(f"unknown DUT {args.dut!r}; known: {', '.join(sorted(view.duts))}")
        jobs, skipped, suite = select_jobs(args, plan, view)
        registry = load_registry(args.registry)
        dut = registry.get_dut(args.dut, args.sim, args.config)
    except (TestplanError, RuleError, ValueError) as exc:
        print(f"llama-dv mutate: {exc}", file=sys.stderr)
        return 2
    try:
        only = _only(args.only)
    except ValueError as exc:
        print(f"llama-dv mutate: {exc}", file=sys.stderr)
        return 2
    keep_hierarchy = args.keep_hierarchy or "module" in only
    label = (suite + ("-hier" if keep_hierarchy else "")
             + "".join(f"-only-{k}-{re.sub(r'[^A-Za-z0-9_]', '_', v)}" for k, v in only.items()))
    # Absolute: yosys and the simulations run in folders below it.
    out = (args.out or result_dir(args.dut, args.config, label, args.sim)).resolve()
    if args.rescore:
        return rescore(out, rules)
    previous = read_result(out) if args.survivors else None
    if args.survivors:
        if previous is None:
            print(f"llama-dv mutate: --survivors: no earlier result in {out}", file=sys.stderr)
            return 2
        args.count, args.seed = previous["count"], previous["seed"]
    elif out.exists():
        shutil.rmtree(out)
    started, t0 = _dt.datetime.now().isoformat(timespec="seconds"), time.monotonic()
    # Of the RTL the netlist is made of: read now, not after a campaign that can outlast an edit.
    digest, commit = rtl_digest(dut), git_commit(REPO_ROOT)
    print(f"llama-dv mutate {args.dut}@{args.config} on {args.sim}: {args.count} mutants (seed {args.seed}), "
          f"tests {', '.join(str(j.ref.test) for j in jobs)}; results in {out}", flush=True)
    opts = ExecOptions(jobs=max(1, args.jobs), waves=False, code_coverage=False, timeout_s=900.0,
                       build_timeout_s=1800.0, python_path=python_path_for(args.registry))
    try:
        netlist = prepare(dut, out / "netlist", args.count, args.seed, only, keep_hierarchy)
        probed = attach_probes(netlist)
        print(f"netlist: {len(netlist.mutations)} mutations behind one control input "
              f"({len(netlist.memories)} run-time memory file(s) re-attached, infection probes on "
              f"{sum(probed.values())}); building", flush=True)
        mutant_dut = build_netlist(netlist, opts.build_timeout_s)
        baseline = run_baseline(registry, mutant_dut, jobs, out, opts)
    except (MutateError, BuildError, BaselineError) as exc:
        print(f"llama-dv mutate: {exc}", file=sys.stderr)
        return 2
    chosen = netlist.mutations
    if previous is not None:
        try:
            chosen = _survivors(previous, netlist.mutations)
        except ValueError as exc:
            print(f"llama-dv mutate: --survivors: {exc}", file=sys.stderr)
            return 2
        print(f"running the {len(chosen)} survivor(s) of the last result again", flush=True)
    outcomes = run_mutants(registry, mutant_dut, chosen, jobs, baseline, out, opts)
    mutants = triage(outcomes, rules, netlist, prove=not args.no_equivalence, jobs=opts.jobs)
    mark_infections(mutants, probed, read_infections(baseline.logs))
    if previous is not None:
        again = {m["index"]: m for m in mutants}
        mutants = [again.get(m["index"], m) for m in previous["mutants"]]
    record = {"dut": args.dut, "top": dut.toplevel, "hierarchy_kept": netlist.hierarchy_kept,
              "config": args.config, "sim": args.sim, "suite": suite,
              "only": only, "count": args.count,
              "seed": args.seed, "tests": [str(j.ref) for j in jobs], "skipped_tests": skipped,
              "jobs": opts.jobs, "started": started, "wall_s": round(time.monotonic() - t0, 1),
              "git_commit": commit, "rtl_digest": digest,
              "baseline_s": baseline.durations, "mutants": mutants, "score": score(mutants)}
    if previous is not None:  # the campaign's time stays the whole sample's
        record.update(wall_s=previous["wall_s"], survivors_rerun_s=record["wall_s"], started=previous["started"])
    if _rtl_changed(dut, digest):
        print(f"llama-dv mutate: warning: {args.dut}'s RTL changed while the campaign ran; the result is of the "
              f"RTL at its start (digest {digest}, commit {commit}), which sign-off will call stale", flush=True)
    json_path, md_path = write_result(out, record)
    s = record["score"]
    pct = "n/a" if s["score_pct"] is None else f"{s['score_pct']:.1f} %"
    print(f"{args.dut}: mutation score {pct} (killed {s['killed']}, survived {s['survived']}, "
          f"equivalent {s['equivalent']}, justified {s['justified']}) in {record['wall_s']:.0f} s\n"
          f"  {md_path}\n  {json_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
