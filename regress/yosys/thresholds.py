"""Resource and timing limits per top, checked against a synthesis summary.

Limits come from the testplan, e.g. ``{"decoder": {"max_lutram_bits_per_memory": 4096,
"dsp_max": 1, "min_bram": 1, "max_logic_depth": 40}}``. A key is a metric with a bound
either as prefix (``max_``/``min_``) or suffix (``_max``/``_min``). A top that is absent
from the summary, or whose synthesis failed, violates every limit set for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Mapping


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


LUT_KINDS = ("lut_ram", "logic", "registers")
BLOCK_KINDS = ("block_ram", "ultra_ram")


def _max_memory(report: dict, kinds: tuple[str, ...], field: str) -> int:
    values = [m[field] or 0 for m in report.get("memories", []) if m["became"] in kinds]
    return max(values, default=0)


def _max_memory_bits(report: dict, kinds: tuple[str, ...]) -> int:
    return _max_memory(report, kinds, "bits")


def _res(key: str) -> Callable[[dict], float | None]:
    return lambda rep: rep["resources"][key]


_FIXED_METRICS: dict[str, Callable[[dict], float | None]] = {
    "lut": _res("lut"), "ff": _res("ff"), "dsp": _res("dsp"), "bram": _res("bram"),
    "ramb18": _res("ramb18"), "ramb36": _res("ramb36"),
    "bram36_equivalent": _res("bram36_equivalent"), "uram": _res("uram"),
    "lutram": _res("lutram"), "srl": _res("srl"), "carry": _res("carry"),
    "logic_depth": lambda rep: rep["logic_depth"]["cells"],
    "lut_levels": lambda rep: rep["logic_depth"]["luts"],
    "multipliers": lambda rep: rep["multipliers"]["premap"],
    "lutram_bits_per_memory": lambda rep: _max_memory_bits(rep, ("lut_ram",)),
    "logic_bits_per_memory": lambda rep: _max_memory_bits(rep, ("logic", "registers")),
    "lut_memory_width": lambda rep: _max_memory(rep, LUT_KINDS, "width"),
    "block_ram_memories": lambda rep: sum(1 for m in rep.get("memories", [])
                                          if m["became"] in BLOCK_KINDS),
    "fmax_mhz": lambda rep: (rep.get("fmax_pnr") or {}).get("fmax_mhz"),
    "fmax_pnr": lambda rep: (rep.get("fmax_pnr") or {}).get("fmax_mhz"),
    "fmax_estimate": lambda rep: (rep.get("timing") or {}).get("fmax_mhz"),
    "worst_path_ns": lambda rep: ((rep.get("timing") or {}).get("worst_path") or {}).get("delay_ns"),
    "wall_s": lambda rep: rep.get("run", {}).get("wall_s"),
    "peak_rss_mib": lambda rep: rep.get("run", {}).get("peak_rss_mib"),
}
_MUL_IN = "multipliers_in:"
_MUL_AT = "multipliers_at:"


def _multipliers_in(part: str) -> Callable[[dict], float | None]:
    """Variable-operand multipliers of the modules whose name contains `part` (any case)."""
    return lambda rep: sum(e["total"] for mod, e in rep["multipliers"]["by_module"].items()
                           if part.lower() in mod.lower())


def _multipliers_at(text: str) -> Callable[[dict], float | None]:
    """Variable-operand multipliers whose source line contains `text` (any case): one
    datapath of a single-module top such as the Clash decoder."""
    return lambda rep: sum(s["count"] for s in rep["multipliers"].get("sites", [])
                           if not s["constant_operand"]
                           and text.lower() in (s["expression"] or "").lower())


class MetricTable(Mapping[str, Callable[[dict], "float | None"]]):
    """The fixed metrics plus the parameterised `multipliers_in:<module text>` and
    `multipliers_at:<source text>`; the sign-off looks metrics up here by name."""

    def __init__(self, fixed: Mapping[str, Callable[[dict], float | None]]) -> None:
        self._fixed = dict(fixed)

    def __getitem__(self, name: str) -> Callable[[dict], float | None]:
        for prefix, make in ((_MUL_IN, _multipliers_in), (_MUL_AT, _multipliers_at)):
            if name.startswith(prefix) and len(name) > len(prefix):
                return make(name[len(prefix):])
        return self._fixed[name]

    def __contains__(self, name: object) -> bool:
        try:
            self[name]  # type: ignore[index]
        except (KeyError, TypeError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._fixed)

    def __len__(self) -> int:
        return len(self._fixed)


METRICS = MetricTable(_FIXED_METRICS)


def _metric_value(report: dict, metric: str) -> float | None:
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
    if metric not in METRICS:
        known = ", ".join(sorted(METRICS)) + f", {_MUL_IN}<module text>, {_MUL_AT}<source text>"
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
