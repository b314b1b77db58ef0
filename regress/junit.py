"""JUnit XML for CI: one testsuite per simulator, one testcase per job.

Follows the common Jenkins/GitLab/GitHub reading of JUnit: ``failure`` for a test that
ran and failed, ``error`` for a crash, timeout or build failure, ``skipped`` for a
selected test that cannot run yet.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree as ET

from llama_dv.regress.results import JobResult


def _text_tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.is_file():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def write_junit(results: list[JobResult], out_dir: Path, path: Path, suite_name: str) -> dict[str, int]:
    """Write *path*; returns the totals (tests, failures, errors, skipped)."""
    by_sim: dict[str, list[JobResult]] = defaultdict(list)
    for r in results:
        by_sim[r.sim].append(r)
    root = ET.Element("testsuites", name=f"llama-dv {suite_name}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for sim in sorted(by_sim):
        rows = sorted(by_sim[sim], key=lambda r: r.job_id)
        counts = {
            "tests": len(rows),
            "failures": sum(r.status == "fail" for r in rows),
            "errors": sum(r.status in ("error", "timeout", "build_error") for r in rows),
            "skipped": sum(r.status == "not_run" for r in rows),
        }
        suite = ET.SubElement(root, "testsuite", name=f"{suite_name}.{sim}",
                              time=f"{sum(r.duration_s for r in rows):.3f}",
                              **{k: str(v) for k, v in counts.items()})
        for r in rows:
            case = ET.SubElement(suite, "testcase", classname=f"{sim}.{r.dut}@{r.config}",
                                 name=f"{r.test}[seed={r.seed}]" if r.seed is not None else r.test,
                                 time=f"{r.duration_s:.3f}")
            log = out_dir / r.log if r.log else None
            detail = f"seed: {r.seed}\nreplay: {r.replay}\nlog: {r.log}\n\n{_text_tail(log)}"
            if r.status == "fail":
                ET.SubElement(case, "failure", message=r.message[:500], type="fail").text = detail
            elif r.status in ("error", "timeout", "build_error"):
                ET.SubElement(case, "error", message=r.message[:500], type=r.status).text = detail
            elif r.status == "not_run":
                ET.SubElement(case, "skipped", message=r.message)
            if r.log:
                ET.SubElement(case, "system-out").text = f"log: {r.log}"
        for k in totals:
            totals[k] += counts[k]
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return totals


def read_totals(path: Path) -> dict[str, int]:
    """Totals of a JUnit file written by write_junit (used to compare shards and merges)."""
    root = ET.parse(path).getroot()
    return {k: int(root.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
