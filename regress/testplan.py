"""The testplan: load, validate and query ``regress/testplan.yaml``.

The testplan is the single source of truth for what is verified: milestones and kernel
stages own testpoints, testpoints name cocotb tests and covergroups, suites select
testpoints, and milestones carry sign-off criteria. Validation is in two layers: the JSON
schema (shape) and semantic checks against the DUT registry and the testbench sources
(every named test and covergroup must exist unless the testpoint is ``planned``). Every
message names the file and the entry path, so a reviewer can find the line.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import jsonschema
import yaml

from llama_dv.regress.registry import RegistryView
from llama_dv.tb.common.knobs import COVERAGE_FILE_ENV, DUT_CONFIG_ENV, METRICS_FILE_ENV

REGRESS_DIR = Path(__file__).resolve().parent
DEFAULT_TESTPLAN = REGRESS_DIR / "testplan.yaml"
SCHEMA_PATH = REGRESS_DIR / "testplan.schema.json"
STAGES: tuple[str, ...] = ("smoke", "full", "coverage_closed")
SIMS: tuple[str, ...] = ("verilator", "icarus")

RESERVED_ENV: frozenset[str] = frozenset({
    COVERAGE_FILE_ENV, METRICS_FILE_ENV, DUT_CONFIG_ENV, "RANDOM_SEED", "PYTHONPATH",
})
"""Variables the runner sets per job itself; a testpoint's env must not override them."""

_TEST_REF = re.compile(r"^(?P<dut>[a-z][a-z0-9_]*)(?:@(?P<config>[A-Za-z0-9_]+))?\.(?P<test>[A-Za-z_][A-Za-z0-9_]*)$")


class TestplanError(ValueError):
    """The testplan is malformed; ``messages`` holds one line per problem (FILE: ENTRY: what)."""

    __test__ = False  # not a pytest class

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


@dataclass(frozen=True, order=True)
class TestRef:
    """One cocotb test of one DUT build configuration: ``<dut>[@config].<test>``."""

    __test__ = False

    dut: str
    config: str
    test: str

    @classmethod
    def parse(cls, text: str) -> "TestRef":
        m = _TEST_REF.match(text)
        if m is None:
            raise ValueError(f"{text!r} is not a test reference of the form <dut>[@config].<test>")
        return cls(m["dut"], m["config"] or "default", m["test"])

    def __str__(self) -> str:
        cfg = "" if self.config == "default" else f"@{self.config}"
        return f"{self.dut}{cfg}.{self.test}"


@dataclass
class Testpoint:
    """A verification intent (goal, stimulus, check) bound to tests and covergroups."""

    __test__ = False

    name: str
    goal: str
    stimulus: str
    check: str
    tests: list[TestRef]
    covergroups: list[str]
    sims: tuple[str, ...]
    status: str
    owner: str
    """``M1`` for a milestone, ``rmsnorm/smoke`` for a kernel stage."""
    entry: str
    """Entry path in the YAML, e.g. ``kernels.rmsnorm.stages.smoke.testpoints[0]``."""
    env: dict[str, str] = field(default_factory=dict)
    sim_env: dict[str, dict[str, str]] = field(default_factory=dict)
    code_coverage: bool = True
    """False: build its DUT without Verilator code coverage (a design too large to instrument cheaply)."""

    def env_for(self, sim: str) -> dict[str, str]:
        """Environment of this testpoint's tests on *sim*: ``env`` overlaid by ``sim_env[sim]``."""
        return {**self.env, **self.sim_env.get(sim, {})}

    @property
    def planned(self) -> bool:
        return self.status == "planned"

    @property
    def milestone(self) -> str | None:
        return self.owner if "/" not in self.owner else None

    @property
    def kernel(self) -> str | None:
        return self.owner.split("/")[0] if "/" in self.owner else None

    @property
    def stage(self) -> str | None:
        return self.owner.split("/")[1] if "/" in self.owner else None


@dataclass
class Suite:
    name: str
    description: str
    select: list[dict[str, str]]
    sims: tuple[str, ...]
    seeds: int
    timeout_s: float


@dataclass
class ValidationReport:
    """Outcome of semantic validation: errors stop a regression, notes are informational."""

    errors: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Testplan:
    path: Path
    data: dict[str, Any]
    testpoints: list[Testpoint]
    suites: dict[str, Suite]

    @property
    def milestones(self) -> dict[str, dict[str, Any]]:
        return self.data["milestones"]

    @property
    def kernels(self) -> dict[str, dict[str, Any]]:
        return self.data["kernels"]

    def testpoint(self, name: str) -> Testpoint:
        for tp in self.testpoints:
            if tp.name == name:
                return tp
        raise KeyError(name)

    def stage_goal(self, kernel: str, stage: str) -> dict[str, Any]:
        return self.kernels[kernel]["stages"].get(stage, {}).get("coverage_goal", {}) or {}

    def select(self, selectors: Iterable[dict[str, str]]) -> list[Testpoint]:
        """Testpoints matching any selector (a selector's keys must all match), in plan order."""
        chosen: list[Testpoint] = []
        for tp in self.testpoints:
            if any(_matches(tp, sel) for sel in selectors) and tp not in chosen:
                chosen.append(tp)
        return chosen

    def suite_testpoints(self, suite: str) -> list[Testpoint]:
        return self.select(self.suites[suite].select)


def _matches(tp: Testpoint, sel: dict[str, str]) -> bool:
    for key, want in sel.items():
        have = {"milestone": tp.milestone, "kernel": tp.kernel, "stage": tp.stage, "testpoint": tp.name}[key]
        if have is None or (want != "*" and have != want):
            return False
    return True


def _entry_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        raise TestplanError([f"{path}: cannot read testplan: {exc.strerror}"]) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "<unknown position>"
        raise TestplanError([f"{path}: {where}: YAML syntax error: {getattr(exc, 'problem', exc)}"]) from exc


def _schema_errors(path: Path, data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(_schema())
    messages = []
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        # if/then failures repeat the inner error; report the most specific one.
        leaves = [err] if not err.context else sorted(err.context, key=lambda e: len(e.absolute_path))[-1:]
        for leaf in leaves:
            messages.append(f"{path}: {_describe(data, leaf.absolute_path)}: {leaf.message}")
    return list(dict.fromkeys(messages))


def _describe(data: Any, parts: Iterable[Any]) -> str:
    """Entry path plus the testpoint/criterion name when there is one, for humans."""
    parts = list(parts)
    text = _entry_path(parts)
    node = data
    named = None
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            named = node["name"]
    return f"{text} (testpoint {named!r})" if named else text


def _testpoints(data: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for mid, milestone in data["milestones"].items():
        for i, tp in enumerate(milestone.get("testpoints", [])):
            yield mid, f"milestones.{mid}.testpoints[{i}]", tp
    for kname, kernel in data["kernels"].items():
        for stage, body in kernel["stages"].items():
            for i, tp in enumerate(body.get("testpoints", [])):
                yield f"{kname}/{stage}", f"kernels.{kname}.stages.{stage}.testpoints[{i}]", tp


def _shown(path: Path) -> Path:
    """*path* relative to the working directory when inside it (shorter messages)."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def load_testplan(path: Path | str = DEFAULT_TESTPLAN) -> Testplan:
    """Read and schema-check the testplan; raises TestplanError naming FILE and ENTRY."""
    path = _shown(Path(path))
    data = _read_yaml(path)
    errors = _schema_errors(path, data)
    if errors:
        raise TestplanError(errors)
    testpoints = []
    seen: dict[str, str] = {}
    dup_errors = []
    for owner, entry, raw in _testpoints(data):
        if raw["name"] in seen:
            dup_errors.append(f"{path}: {entry}: testpoint name {raw['name']!r} already used at {seen[raw['name']]}")
        seen[raw["name"]] = entry
        testpoints.append(Testpoint(
            name=raw["name"], goal=raw["goal"], stimulus=raw["stimulus"], check=raw["check"],
            tests=[TestRef.parse(t) for t in raw["tests"]],
            covergroups=list(raw.get("covergroups", [])),
            sims=tuple(raw.get("sims", SIMS)), status=raw.get("status", "active"),
            owner=owner, entry=entry, env=_env(raw.get("env")),
            sim_env={sim: _env(e) for sim, e in (raw.get("sim_env") or {}).items()},
            code_coverage=bool(raw.get("code_coverage", True)),
        ))
    dup_errors += _env_errors(path, testpoints)
    if dup_errors:
        raise TestplanError(dup_errors)
    suites = {
        name: Suite(name, s["description"], s["select"], tuple(s.get("sims", SIMS)),
                    int(s.get("seeds", 1)), float(s.get("timeout_s", 600)))
        for name, s in data["suites"].items()
    }
    return Testplan(path, data, testpoints, suites)


def _env(raw: dict[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (raw or {}).items()}


def _env_errors(path: Path, testpoints: list[Testpoint]) -> list[str]:
    """Reserved variables, and one test given two different environments by two testpoints
    (a test runs once per simulator and seed, so its environment must be unambiguous)."""
    errors = []
    first: dict[tuple[TestRef, str], tuple[Testpoint, dict[str, str]]] = {}
    for tp in testpoints:
        for sim in SIMS:
            env = tp.env_for(sim)
            if bad := sorted(RESERVED_ENV & env.keys()):
                errors.append(f"{path}: {tp.entry} (testpoint {tp.name!r}): env sets {', '.join(bad)}, "
                              "which the regression runner sets per job")
            for ref in tp.tests:
                other = first.setdefault((ref, sim), (tp, env))
                if other[1] != env:
                    errors.append(f"{path}: {tp.entry} (testpoint {tp.name!r}): test {ref} on {sim} gets env "
                                  f"{env}, but {other[0].entry} (testpoint {other[0].name!r}) gives it {other[1]}")
    return list(dict.fromkeys(errors))


_QUOTED_NAME = re.compile(r"""["']([a-z][a-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)["']""")
_COVERGROUP_CALL = re.compile(r"""covergroup\(\s*["']([a-z][a-z0-9_]*)["']\s*,\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)""")


def covergroups_in_sources(tb_dir: Path) -> set[str]:
    """Covergroup names the testbench's Python sources define.

    Two spellings count: a quoted dotted name (``"rmsnorm.dims.n"`` also defines its group
    ``"rmsnorm.dims"``) and the helper call ``covergroup("rmsnorm", "dims")``.
    """
    names: set[str] = set()
    for src in sorted(Path(tb_dir).rglob("*.py")):
        text = src.read_text(errors="replace")
        for m in _QUOTED_NAME.finditer(text):
            parts = m[1].split(".")
            names.update(".".join(parts[:k]) for k in range(2, len(parts) + 1))
        names.update(f"{m[1]}.{m[2]}" for m in _COVERGROUP_CALL.finditer(text))
    return names


def validate(plan: Testplan, registry: RegistryView, tb_dir: Path) -> ValidationReport:
    """Semantic checks: tests/covergroups exist, selectors and criteria point at real entries."""
    report = ValidationReport()
    where = plan.path
    if registry.error:
        report.notes.append(f"{where}: DUT registry unavailable ({registry.error}); every test counts as unknown")
    known_cgs = covergroups_in_sources(tb_dir) if Path(tb_dir).is_dir() else set()
    for tp in plan.testpoints:
        label = f"{where}: {tp.entry} (testpoint {tp.name!r})"
        if not tp.tests:
            report.errors.append(f"{label}: testpoint has no test; name at least one (mark it 'status: planned' if not written yet)")
        for ref in tp.tests:
            if registry.has_test(ref.dut, ref.test):
                if (problem := registry.config_error(ref.dut, ref.config)) is not None:
                    report.errors.append(f"{label}: bad configuration in {ref}: {problem}")
                continue
            if ref.dut not in registry.duts:
                why = f"DUT {ref.dut!r} is not registered"
            elif ref.dut in registry.dut_errors:
                why = f"tests of DUT {ref.dut!r} cannot be listed: {registry.dut_errors[ref.dut]}"
            else:
                why = f"DUT {ref.dut!r} has no test {ref.test!r}"
            if tp.planned:
                report.planned.append(f"{label}: planned test {ref} does not exist yet ({why})")
            else:
                report.errors.append(f"{label}: unknown test {ref}: {why}")
        for cg in tp.covergroups:
            if cg in known_cgs:
                continue
            if tp.planned:
                report.planned.append(f"{label}: planned covergroup {cg!r} is not defined in {tb_dir} yet")
            else:
                report.errors.append(f"{label}: unknown covergroup {cg!r}: no test module under {tb_dir} defines it")
        if tp.planned and tp.tests and all(registry.has_test(r.dut, r.test) for r in tp.tests):
            report.notes.append(f"{label}: every test exists now; change its status to active")
    names = {tp.name for tp in plan.testpoints}
    for sname, suite in plan.suites.items():
        for i, sel in enumerate(suite.select):
            entry = f"{where}: suites.{sname}.select[{i}]"
            if sel.get("milestone", "*") != "*" and sel["milestone"] not in plan.milestones:
                report.errors.append(f"{entry}: unknown milestone {sel['milestone']!r}")
            if sel.get("kernel", "*") != "*" and sel["kernel"] not in plan.kernels:
                report.errors.append(f"{entry}: unknown kernel {sel['kernel']!r}")
            if "testpoint" in sel and sel["testpoint"] not in names:
                report.errors.append(f"{entry}: unknown testpoint {sel['testpoint']!r}")
        if not plan.select(suite.select):
            report.notes.append(f"{where}: suites.{sname}: selects no testpoint")
    for mid, milestone in plan.milestones.items():
        for i, crit in enumerate(milestone["signoff"]):
            _check_criterion(plan, names, known_cgs, f"{where}: milestones.{mid}.signoff[{i}]", crit, report)
    for kname, kernel in plan.kernels.items():
        for stage, body in kernel["stages"].items():
            for cg in (body.get("coverage_goal") or {}).get("covergroups", []):
                if cg not in known_cgs:
                    report.notes.append(f"{where}: kernels.{kname}.stages.{stage}.coverage_goal: covergroup {cg!r} not defined yet (goal not met)")
    return report


def _check_criterion(plan: Testplan, names: set[str], known_cgs: set[str], entry: str,
                     crit: dict[str, Any], report: ValidationReport) -> None:
    if crit["kind"] == "tests_pass":
        for tp in crit.get("testpoints", []):
            if tp not in names:
                report.errors.append(f"{entry}: unknown testpoint {tp!r}")
    elif crit["kind"] == "coverage_min":
        for cg in crit["goal"].get("covergroups", []):
            if cg not in known_cgs:
                report.notes.append(f"{entry}: covergroup {cg!r} not defined yet (criterion not met)")
    elif crit["kind"] == "structural":
        for j, sub in enumerate(crit["requires"]):
            _check_criterion(plan, names, known_cgs, f"{entry}.requires[{j}]", sub, report)
