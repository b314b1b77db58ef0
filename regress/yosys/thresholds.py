"""Resource and timing limits per top, checked against a synthesis summary.

Limits come from the testplan, e.g. ``{"decoder": {"max_lutram_bits_per_memory": 4096,
"dsp_max": 1, "min_bram": 1, "max_logic_depth": 40}}``. A key is a metric with a bound
either as prefix (``max_``/``min_``) or suffix (``_max``/``_min``). A top that is absent
from the summary, or whose synthesis failed, violates every limit set for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping


class ThresholdError(ValueError):
    """A threshold key or limit is malformed (names the top and the key)."""


@dataclass(frozen=True)
class Violation:
    """One limit not met: which top, which metric, the measured value and the limit."""

    top: str
    metric: str
    value: float | str | None
    limit: float | None
    bound: str  # "max" | "min" | "status"

    @property
    def message(self) -> str:
        if self.bound == "status":
            return f"{self.top}: {self.metric}: {self.value}"
        rel = ">" if self.bound == "max" else "<"
        if self.value is None:
            return f"{self.top}: {self.metric} not available (limit {self.bound} {self.limit:g})"
        return f"{self.top}: {self.metric} = {self.value:g} {rel} {self.bound} {self.limit:g}"

    def __str__(self) -> str:
        return self.message


def _max_memory_bits(report: dict, kinds: tuple[str, ...]) -> int:
    bits = [m["bits"] or 0 for m in report.get("memories", []) if m["became"] in kinds]
    return max(bits, default=0)


def _res(key: str) -> Callable[[dict], float | None]:
    return lambda rep: rep["resources"][key]


METRICS: dict[str, Callable[[dict], float | None]] = {
    "lut": _res("lut"), "ff": _res("ff"), "dsp": _res("dsp"), "bram": _res("bram"),
    "ramb18": _res("ramb18"), "ramb36": _res("ramb36"),
    "bram36_equivalent": _res("bram36_equivalent"), "uram": _res("uram"),
    "lutram": _res("lutram"), "srl": _res("srl"), "carry": _res("carry"),
    "logic_depth": lambda rep: rep["logic_depth"]["cells"],
    "lut_levels": lambda rep: rep["logic_depth"]["luts"],
    "multipliers": lambda rep: rep["multipliers"]["premap"],
    "lutram_bits_per_memory": lambda rep: _max_memory_bits(rep, ("lut_ram",)),
    "logic_bits_per_memory": lambda rep: _max_memory_bits(rep, ("logic", "registers")),
    "fmax_mhz": lambda rep: rep.get("fmax_ice40", {}).get("fmax_mhz"),
    "wall_s": lambda rep: rep.get("run", {}).get("wall_s"),
    "peak_rss_mib": lambda rep: rep.get("run", {}).get("peak_rss_mib"),
}
_MUL_IN = "multipliers_in:"


def _metric_value(report: dict, metric: str) -> float | None:
    if metric.startswith(_MUL_IN):
        part = metric[len(_MUL_IN):]
        return sum(e["total"] for mod, e in report["multipliers"]["by_module"].items() if part in mod)
    return METRICS[metric](report)


def parse_key(top: str, key: str) -> tuple[str, str]:
    """(metric, bound) of a threshold key such as `max_logic_depth` or `dsp_max`."""
    for bound in ("max", "min"):
        if key.startswith(bound + "_"):
            metric = key[len(bound) + 1:]
            break
        if key.endswith("_" + bound):
            metric = key[:-len(bound) - 1]
            break
    else:
        raise ThresholdError(f"threshold {top}.{key}: key must start with max_/min_ or end with _max/_min")
    if metric not in METRICS and not (metric.startswith(_MUL_IN) and len(metric) > len(_MUL_IN)):
        known = ", ".join(sorted(METRICS)) + f", {_MUL_IN}<module substring>"
        raise ThresholdError(f"threshold {top}.{key}: unknown metric {metric!r} (known: {known})")
    return metric, bound


def check_thresholds(summary: Mapping, thresholds: Mapping[str, Mapping[str, float]]) -> list[Violation]:
    """Every limit in `thresholds` that the summary's figures break (empty list: all met)."""
    tops = summary.get("tops", {})
    violations: list[Violation] = []
    for top, limits in thresholds.items():
        if not isinstance(limits, Mapping):
            raise ThresholdError(f"thresholds for {top}: expected a mapping of limits, got {limits!r}")
        parsed = []
        for key, limit in limits.items():
            if isinstance(limit, bool) or not isinstance(limit, (int, float)):
                raise ThresholdError(f"threshold {top}.{key}: limit must be a number, got {limit!r}")
            parsed.append((key, *parse_key(top, key), float(limit)))
        report = tops.get(top)
        if report is None:
            violations.append(Violation(top, "synthesis", "no result for this top in the summary",
                                        None, "status"))
            continue
        if report.get("status") != "ok":
            violations.append(Violation(top, "synthesis", f"failed ({report.get('error', 'no reason')})",
                                        None, "status"))
            continue
        for _key, metric, bound, limit in parsed:
            value = _metric_value(report, metric)
            if value is None or (bound == "max" and value > limit) or (bound == "min" and value < limit):
                violations.append(Violation(top, metric, value, limit, bound))
    return violations
