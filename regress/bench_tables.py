"""The bench's Markdown tables: per kernel, per DUT and simulator (random flow against
full rate, per wall and per CPU second), and per Clash top; built from `Measurement`s."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llama_dv.regress.bench import Measurement


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def kernel_table(results: Iterable[Measurement]) -> str:
    """Markdown table of the HLS kernel cases."""
    rows = ["| kernel | sim | flow | calls | sim cycles | test wall s | calls/s | ms/call | "
            "cycles/s | Python share | start-up s | build s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for m in results:
        if m.dut.startswith("clash_"):
            continue
        build = f"{_fmt(m.build_recorded_s)} (cached)" if m.build_cached else _fmt(m.build_s)
        per_call = m.wall_s_per_invocation
        rows.append(f"| {m.dut} | {m.sim} | {m.flow} | {m.calls} | {m.sim_cycles:,} | {m.test_wall_s:.2f} | "
                    f"{_fmt(m.invocations_per_s)} | {_fmt(per_call * 1000 if per_call else None)} | "
                    f"{_fmt(m.cycles_per_s)} | {_share(m)} | {m.startup_s:.1f} | {build} |")
    return "\n".join(rows)


def summary_table(results: Iterable[Measurement]) -> str:
    """Markdown table, one row per HLS kernel and simulator: the random test (random flow
    control, or fixed for rmsnorm) and the full-rate case side by side, per wall second
    and per CPU second of the test.

    Build time is the build of the DUT in this bench run, wall (CPU) seconds, or the
    shared cache's recorded duration, marked "cached", when it was not built now.
    """
    rows: dict[tuple[str, str], dict[str, Measurement]] = {}
    for m in results:
        if not m.dut.startswith("clash_"):
            rows.setdefault((m.dut, m.sim), {})["full-rate" if m.flow == "full-rate" else "random"] = m
    lines = ["| kernel | sim | calls/s, random test | calls/s, full rate | cycles/s, random test | "
             "cycles/s, full rate | calls per CPU-s, random / full rate | cycles per CPU-s, random / full rate | "
             "CPU share | build s (CPU s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (dut, sim), flows in rows.items():
        rnd, full = flows.get("random"), flows.get("full-rate")
        measured = [m for m in (rnd, full) if m is not None]
        built = [m for m in measured if not m.build_cached]
        if built:
            cpu = f" ({_fmt(built[0].build_cpu_s)})" if built[0].build_cpu_s is not None else ""
            build = f"{_fmt(built[0].build_s)}{cpu}"
        else:
            build = f"{_fmt(measured[0].build_recorded_s)} (cached)"
        shares = [m.cpu_share for m in measured if m.cpu_share is not None]
        share = "/".join(f"{v:.2f}" for v in shares) if shares else "-"

        def pair(get: Callable[[Measurement], float | None]) -> str:
            return " / ".join(_fmt(get(m) if m else None) for m in (rnd, full))

        lines.append(f"| {dut} | {sim} | {_fmt(rnd.invocations_per_s if rnd else None)} | "
                     f"{_fmt(full.invocations_per_s if full else None)} | {_fmt(rnd.cycles_per_s if rnd else None)} | "
                     f"{_fmt(full.cycles_per_s if full else None)} | {pair(lambda m: m.invocations_per_cpu_s)} | "
                     f"{pair(lambda m: m.cycles_per_cpu_s)} | {share} | {build} |")
    return "\n".join(lines)


def _share(m: Measurement) -> str:
    return "-" if m.python_share is None else f"{100 * m.python_share:.0f} %"


def clash_table(results: Iterable[Measurement]) -> str:
    """Markdown table of the Clash units."""
    rows = ["| Clash top | sim | checked items | sim cycles | test wall s | cycles/s | Python share | "
            "start-up s | build s |",
            "|---|---|---|---|---|---|---|---|---|"]
    for m in results:
        if not m.dut.startswith("clash_"):
            continue
        build = f"{_fmt(m.build_recorded_s)} (cached)" if m.build_cached else _fmt(m.build_s)
        rows.append(f"| {m.dut.removeprefix('clash_')} | {m.sim} | {m.calls if m.calls is not None else '-'} | "
                    f"{m.sim_cycles:,} | {m.test_wall_s:.2f} | {_fmt(m.cycles_per_s)} | {_share(m)} | "
                    f"{m.startup_s:.1f} | {build} |")
    return "\n".join(rows)
