"""What a simulation run produced: per-test outcomes from cocotb's results XML and the
`RunResult` of one run (status, counts, log, waves, coverage, replay).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree

@dataclass
class CaseResult:
    """One cocotb test inside a run, from the results XML."""

    name: str
    outcome: str  # "pass" | "fail" | "skip"
    message: str = ""
    sim_time_ns: float | None = None


@dataclass
class RunResult:
    """Outcome of one simulation run; ``status`` is pass, fail, timeout, error or build_error."""

    dut: str
    config: str
    sim: str
    test_module: str
    testcase: str | None
    seed: int
    status: str
    tests: int
    passed: int
    failed: int
    skipped: int
    duration_s: float
    log: Path
    results_xml: Path
    test_dir: Path
    build_dir: Path
    returncode: int | None
    message: str = ""
    waves: Path | None = None
    coverage: Path | None = None
    replay: str = ""
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every selected cocotb test passed."""
        return self.status == "pass"

    def to_json(self) -> dict[str, object]:
        """JSON-ready dict (paths as strings) for run records and reports."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Path):
                data[key] = str(value)
        return data


def parse_results(results_xml: Path) -> list[CaseResult]:
    """Per-test outcomes from a cocotb results XML; [] if the file is missing or broken."""
    try:
        root = ElementTree.parse(results_xml).getroot()
    except (OSError, ElementTree.ParseError):
        return []
    cases = []
    for case in root.iter("testcase"):
        outcome, message = "pass", ""
        for tag in ("failure", "error"):
            if (node := case.find(tag)) is not None:
                outcome = "fail"
                message = (node.get("message") or node.text or "").strip()
        if case.find("skipped") is not None and outcome == "pass":
            outcome = "skip"
        sim_time = None
        for prop in case.iter("property"):
            if prop.get("name") == "sim_time_stop":
                try:
                    sim_time = float(prop.get("value", ""))
                except ValueError:
                    pass
        cases.append(CaseResult(f"{case.get('classname')}.{case.get('name')}", outcome, message, sim_time))
    return cases


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


