"""The runner's order and expected times (``llama_dv.regress.schedule``) with synthetic figures.

Each ordering check is also run on the order before the scheduler (``fifo``: every
build, then each configuration's tests as its build ends), which must violate it, so
the check can fail.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from llama_dv.regress import schedule
from llama_dv.regress.schedule import Expected, History, forecast
from llama_dv.regress.selection import Job
from llama_dv.regress.testplan import TestRef
from llama_dv.tb.sim.runner import DutBuild


def _job(ref: str, sim: str = "verilator", env: dict[str, str] | None = None) -> Job:
    return Job(TestRef.parse(ref), sim, seed=1, repeat=0, env=dict(env or {}))


def _plan(builds: dict[str, float], runs: dict[str, float], sim: str = "verilator"
          ) -> tuple[Expected, dict[schedule.Key, list[Job]]]:
    """Expected times by name: builds by DUT, runs by ``dut.test``."""
    by_key: dict[schedule.Key, list[Job]] = {}
    expected = Expected(builds={}, runs={})
    for dut, seconds in builds.items():
        expected.builds[(dut, "default", sim)] = (seconds, "test")
        by_key[(dut, "default", sim)] = []
    for ref, seconds in runs.items():
        job = _job(ref, sim)
        by_key[(job.ref.dut, "default", sim)].append(job)
        expected.runs[job.job_id] = (seconds, "test")
    return expected, by_key


def _start(fc: schedule.Forecast, name: str) -> float:
    return next(t for item, t in fc.starts.items() if item == f"build verilator/{name}-default"
                or item.startswith(f"verilator/{name.replace('.', '-default/')}-"))


def test_a_built_configurations_long_test_starts_before_later_queued_builds() -> None:
    # "a" builds fast and has a long test; "b" and "c" (queued after "a") are short.
    expected, by_key = _plan({"a": 10, "b": 30, "c": 30}, {"a.long": 200, "b.t": 5, "c.t": 5})
    fc = forecast(expected, by_key, slots=1)
    assert _start(fc, "a.long") < _start(fc, "b") and _start(fc, "a.long") < _start(fc, "c")
    old = forecast(expected, by_key, slots=1, order="fifo")
    assert not (_start(old, "a.long") < _start(old, "b"))


def test_the_build_gating_the_longest_chain_starts_first() -> None:
    # "z" sorts last but its build and test are the longest chain: it must not wait.
    expected, by_key = _plan({"a": 20, "b": 20, "c": 20, "z": 400}, {"a.t": 10, "b.t": 10, "c.t": 10, "z.t": 50})
    fc = forecast(expected, by_key, slots=2)
    assert _start(fc, "z") == 0.0
    assert fc.longest_chain == "verilator/z-default" and fc.longest_chain_s == 450
    assert fc.makespan_s == 450  # everything else fits beside it
    old = forecast(expected, by_key, slots=2, order="fifo")
    assert _start(old, "z") > 0.0 and old.makespan_s > fc.makespan_s


def test_milestone_like_suite_approaches_the_lower_bound() -> None:
    # Two slow coverage builds, short builds, and long Icarus runs (from the milestones suite's shape).
    builds = {"head": 417, "prefill": 328, "seq8": 40, "seq16": 40, "mac": 30, "softmax": 30, "argmax": 25}
    runs = {"head.t": 40, "prefill.p": 45, "prefill.q": 15, "seq8.t": 30, "seq16.t": 40, "mac.t": 16,
            "softmax.t": 20, "argmax.t": 10}
    expected, by_key = _plan(builds, runs)
    icarus_builds = {"ihead": 2, "iprefill": 2, "imac": 2, "idec": 2}
    icarus_runs = {"ihead.t": 60, "iprefill.t": 20, "imac.t": 187, "idec.a": 300, "idec.b": 200}
    more, more_keys = _plan(icarus_builds, icarus_runs, sim="icarus")
    expected.builds.update(more.builds)
    expected.runs.update(more.runs)
    by_key.update(more_keys)
    fc = forecast(expected, by_key, slots=2)
    bound = max(fc.longest_chain_s, fc.total_work_s / 2)
    assert fc.makespan_s <= 1.1 * bound
    assert fc.first_result_s < 417  # before the slowest build ends
    old = forecast(expected, by_key, slots=2, order="fifo")
    assert old.first_result_s > 417  # every build first: the first result waits for both slow ones


def test_a_cold_run_gives_its_first_result_before_the_big_builds_end() -> None:
    # The cold milestones run of docs/performance.md: two slow coverage builds would take
    # both slots at time 0 and hold back every result for 467 s; a short build and its
    # test go first in one slot instead, and the wall time stays at the bound.
    builds = {"head": 591, "prefill": 467, "seq8": 40, "seq16": 45, "mac": 30, "softmax": 30, "argmax": 25}
    runs = {"head.t": 40, "prefill.p": 424, "prefill.q": 75, "seq8.t": 30, "seq16.t": 40, "mac.t": 16,
            "softmax.t": 20, "argmax.t": 10}
    expected, by_key = _plan(builds, runs)
    fc = forecast(expected, by_key, slots=2)
    assert fc.first_result_s == 35  # argmax's build and test
    bound = max(fc.longest_chain_s, fc.total_work_s / 2)
    assert fc.makespan_s <= bound * (1 + schedule.QUICK_TOLERANCE) + schedule.QUICK_SLACK_S
    assert _start(fc, "prefill") == 0.0  # the longest chain still starts at once
    # Only beside a build already running: on one slot the critical path goes first.
    one = forecast(expected, by_key, slots=1)
    assert _start(one, "prefill") == 0.0 and one.first_result_s > 467


def test_bad_order_name_is_refused() -> None:
    expected, by_key = _plan({"a": 1}, {"a.t": 1})
    with pytest.raises(ValueError, match="'random'"):
        schedule.ReadyQueue(expected, by_key, order="random")


def _record(folder: Path, results: list[tuple[str, str, float, str]], builds: dict[str, float] | None = None,
            env: dict[str, str] | None = None) -> Path:
    """A minimal record.json: (sim, dut.test, seconds, status) per result."""
    folder.mkdir(parents=True)
    rows = []
    for sim, ref, seconds, status in results:
        dut, test = ref.split(".")
        rows.append({"sim": sim, "dut": dut, "config": "default", "test": test, "status": status,
                     "duration_s": seconds, "message": "", "env": dict(env or {})})
    items = [{"kind": "build", "name": n, "build_s": s} for n, s in (builds or {}).items()]
    path = folder / "record.json"
    path.write_text(json.dumps({"results": rows, "launcher": {"name": "local", "schedule": {"items": items}}}))
    return path


def test_history_takes_the_median_of_the_newest_records(tmp_path: Path) -> None:
    import os
    for i, seconds in enumerate([10.0, 20.0, 30.0, 1000.0]):  # the 1000 s run is the oldest
        path = _record(tmp_path / f"run{i}", [("icarus", "a.t", seconds, "pass")],
                       builds={"verilator/a-default+cov": 100.0 + i})
        os.utime(path, (2_000_000_000 - i * 100, 2_000_000_000 - i * 100))
    _record(tmp_path / "skipped", [("icarus", "a.t", 5000.0, "build_error"), ("icarus", "b.t", 7.0, "pass")])
    history = History.read([tmp_path])
    assert history.run_s(_job("a.t", "icarus")) == 20.0
    assert history.run_s(_job("b.t", "icarus")) == 7.0
    assert history.run_s(_job("a.t", "verilator")) is None
    assert history.build_s(("a", "default", "verilator"), True) == 101.0
    assert history.build_s(("a", "default", "verilator"), False) is None
    assert len(history.records) == 5 and not history.warnings


def test_history_prefers_the_same_environment(tmp_path: Path) -> None:
    _record(tmp_path / "long", [("icarus", "dec.t", 300.0, "pass")], env={"TOKENS": "16"})
    history = History.read([tmp_path])
    assert history.run_s(_job("dec.t", "icarus", {"TOKENS": "16"})) == 300.0
    assert history.run_s(_job("dec.t", "icarus", {"TOKENS": "2"})) == 300.0  # best guess: another env's time
    _record(tmp_path / "short", [("icarus", "dec.t", 40.0, "pass")], env={"TOKENS": "2"})
    assert History.read([tmp_path]).run_s(_job("dec.t", "icarus", {"TOKENS": "2"})) == 40.0


def test_a_corrupt_record_is_reported_and_skipped(tmp_path: Path) -> None:
    _record(tmp_path / "good", [("icarus", "a.t", 12.0, "pass")])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "record.json").write_text("{ not json")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "record.json").write_text('{"results": "nope"}')
    history = History.read([tmp_path, tmp_path / "missing"])
    assert history.run_s(_job("a.t", "icarus")) == 12.0
    assert len(history.warnings) == 2
    assert any(str(tmp_path / "bad" / "record.json") in w and "not a readable run record" in w
               for w in history.warnings)


def test_history_folders_given_first_then_the_output_root_then_the_build_root(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLAMA_DV_BUILD_ROOT", str(tmp_path / "b"))
    roots = schedule.history_roots(tmp_path / "out" / "run1", [tmp_path / "ci-archive", tmp_path / "out"])
    assert roots == [tmp_path / "ci-archive", tmp_path / "out", tmp_path / "b" / "regress"]


def _dut(tmp_path: Path, sim: str, kb: int = 1) -> DutBuild:
    src = tmp_path / f"top_{kb}.v"
    src.write_text("module top; endmodule\n" + "// pad\n" * (kb * 1024 // 7))
    return DutBuild(name="top", sim=sim, sources=[src], toplevel="top", build_root=tmp_path / "build")


def test_expected_builds_from_cache_stamp_then_records_then_source_size(tmp_path: Path) -> None:
    small, big = _dut(tmp_path, "verilator", 1), _dut(tmp_path, "verilator", 400)
    key = ("top", "default", "verilator")
    job = _job("top.t")
    by_key = {key: [job]}
    empty = History()
    guess_small = schedule.expect(by_key, {key: small}, {key: True}, False, empty).builds[key]
    guess_big = schedule.expect(by_key, {key: big}, {key: True}, False, empty).builds[key]
    guess_plain = schedule.expect(by_key, {key: big}, {key: False}, False, empty).builds[key]
    assert guess_small[1] == guess_big[1] == "default"
    assert guess_big[0] > 4 * guess_plain[0] and guess_plain[0] > guess_small[0]  # coverage and size both cost
    assert 150 < guess_big[0] < 300  # 400 KB with coverage: minutes, not seconds

    history = History()
    history.add({"results": [], "launcher": {"schedule": {"items": [
        {"kind": "build", "name": "verilator/top-default+cov", "build_s": 77.0}]}}})
    assert schedule.expect(by_key, {key: big}, {key: True}, False, history).builds[key] == (77.0, "record")

    stamp_dir = big.variant_dir(coverage=True)
    stamp_dir.mkdir(parents=True)
    (stamp_dir / "llama-dv-build.json").write_text(json.dumps({"hash": "stale", "duration_s": 55.0}))
    expected = schedule.expect(by_key, {key: big}, {key: True}, False, history)
    assert expected.builds[key] == (55.0, "build cache")
    assert expected.runs[job.job_id] == (schedule.DEFAULT_RUN_S["verilator"], "default")


def test_an_up_to_date_build_is_expected_free(tmp_path: Path) -> None:
    import shutil

    from llama_dv.tb.sim import runner

    if shutil.which("iverilog") is None:
        pytest.skip("Icarus Verilog is not installed; run `make setup`")
    dut = _dut(tmp_path, "icarus")
    key = ("top", "default", "icarus")
    runner.build(dut)
    expected = schedule.expect({key: []}, {key: dut}, {key: False}, False, History())
    assert expected.builds[key] == (schedule.UP_TO_DATE_BUILD_S, "up to date")
    outcome = schedule.build_outcome(dut, False, False, started_wall=0.0)
    assert outcome["status"] == "built" and outcome["build_s"] > 0
    assert schedule.build_outcome(dut, False, False, started_wall=4e9)["status"] == "cached"
