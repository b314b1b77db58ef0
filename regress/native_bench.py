"""cocotb against a native bench on the same decoder RTL: what the Python testbench costs.

For one decoder top and simulator, the cocotb test `DecoderGreedyTokens` runs with a
seed and a number of tokens; then a native bench generated from the top's role map
(`tb/clash/native_harness.py`: a C++ main for Verilator, a Verilog bench for Icarus)
runs the same stimulus: the prompt the cocotb run drew, the same number of tokens and
the same weight files (written by the same `stage_weights`, and compared byte for
byte with the cocotb run's), built from the same sources with the same simulator
options. The two token streams must be equal (`StreamMismatch` names both); the ratio
of their times per simulated cycle is what cocotb costs.

Times are the generation loop's own (reset, start-up and elaboration excluded): the
cocotb test measures wall and process CPU time around it (simulator and Python are one
process); the C++ main measures its loop the same way; the Icarus bench, which has no
clock of its own, is timed as the vvp process minus a run of the same bench with no
tokens (start-up, `$readmemb`, reset). CPU-time ratios stay comparable on a shared
machine; wall-time ratios are only meaningful when both runs got a whole core.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from llama_dv.tb.clash.duts import HDL_CLOCK_MARK, clash_build, hdl_clock_args, ports_vlt, role_map_build
from llama_dv.tb.clash.native_harness import (PROMPT_FILE, PROMPT_LENGTH_PLUSARG, TOKENS_PLUSARG, VERILOG_TOP,
                                     cpp_main, verilog_bench)
from llama_dv.tb.clash.roles import RoleMap
from llama_dv.tb.common.knobs import (DECODER_TOKENS_ENV as TOKENS_ENV, DECODER_WEIGHTS_ENV as WEIGHTS_ENV,
                             METRICS_FILE_ENV as METRICS_ENV)
from llama_dv.tb.sim import runner, toolchain
from llama_dv.tb.sim.processes import locked

TEST_MODULE = "llama_dv.tb.tests.test_clash_decoder"
TESTCASE = "DecoderGreedyTokens"

DEFAULT_TOKENS: dict[str, int] = {"verilator": 16, "icarus": 2}
"""Generated tokens per simulator: about 80 000 cycles each, so Icarus (some 4 400 cycles/s
under cocotb) gets two."""

DEFAULT_WEIGHT_SEED = 1
COCOTB_VERILATOR_ARGS = ("--vpi", "--public-flat-rw")
"""What cocotb's runner puts before a DUT's own Verilator options; the native build
takes them too, so both link the same model."""

_DONE_RE = re.compile(r"^LDV_DONE cycles (\d+)(?: wall_s ([\d.]+) cpu_s ([\d.]+))?", re.M)
_TOKEN_RE = re.compile(r"^LDV_TOKEN (\d+)", re.M)


class NativeBenchError(RuntimeError):
    """A side-by-side run could not be made or measured (build, run, bad input)."""


class StreamMismatch(NativeBenchError):
    """cocotb and the native bench produced different token streams."""


@dataclass
class StreamRun:
    """One side's generation loop: the tokens it produced and what it cost."""

    tokens: list[int]
    sim_cycles: int
    wall_s: float
    cpu_s: float
    log: str
    golden_cpu_s: float | None = None
    """CPU seconds of the golden model inside the loop (the cocotb test's own checks)."""

    @property
    def cycles_per_s(self) -> float:
        return self.sim_cycles / self.wall_s

    @property
    def cycles_per_cpu_s(self) -> float:
        return self.sim_cycles / self.cpu_s


@dataclass
class SideBySide:
    """cocotb and native figures of one decoder top on one simulator, same stimulus."""

    top: str
    sim: str
    roles: str
    seed: int
    weight_seed: int
    prompt: list[int]
    n_tokens: int
    cocotb: StreamRun
    native: StreamRun
    build_args: list[str]
    load_avg_before: float
    load_avg_after: float

    @property
    def ratio_wall(self) -> float:
        """cocotb time per simulated cycle over the native bench's (wall clock)."""
        return self.native.cycles_per_s / self.cocotb.cycles_per_s

    @property
    def ratio_cpu(self) -> float:
        """The same per CPU second: what the ratio would be on an idle machine."""
        return self.native.cycles_per_cpu_s / self.cocotb.cycles_per_cpu_s

    @property
    def ratio_cpu_without_golden(self) -> float | None:
        """The CPU ratio with the golden model's time taken out of cocotb's: what the
        simulator interface and the testbench's Python cost."""
        golden = self.cocotb.golden_cpu_s
        if golden is None:
            return None
        return (self.cocotb.cpu_s - golden) / self.cocotb.sim_cycles / (self.native.cpu_s / self.native.sim_cycles)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = asdict(self)
        for side in ("cocotb", "native"):
            run: StreamRun = getattr(self, side)
            data[side].update(cycles_per_s=run.cycles_per_s, cycles_per_cpu_s=run.cycles_per_cpu_s)  # type: ignore[union-attr]
        data.update(ratio_wall=self.ratio_wall, ratio_cpu=self.ratio_cpu,
                    ratio_cpu_without_golden=self.ratio_cpu_without_golden)
        return data


def compare_streams(where: str, cocotb: list[int], native: list[int]) -> None:
    """Raise StreamMismatch naming both streams and the first differing index."""
    if cocotb == native:
        return
    first = next((i for i, (a, b) in enumerate(zip(cocotb, native)) if a != b), min(len(cocotb), len(native)))
    raise StreamMismatch(f"{where}: token streams differ at index {first}: cocotb {cocotb}, native {native}")


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:12]


def _without(args: list[str], drop: list[str]) -> list[str]:
    """`args` with the run of `drop` taken out once (options and their values stay paired)."""
    for i in range(len(args) - len(drop) + 1):
        if args[i:i + len(drop)] == drop:
            return args[:i] + args[i + len(drop):]
    return args


def native_build_args(dut: runner.DutBuild) -> list[str]:
    """The cocotb build's simulator options without the HDL clock's (the native bench is
    its own clock): Verilator's with what cocotb's runner adds, iverilog's with -g2012."""
    if dut.sim == "verilator":
        return _without([*COCOTB_VERILATOR_ARGS, *dut.effective_build_args()],
                        hdl_clock_args("verilator", dut.toplevel))
    return ["-g2012", *_without(list(dut.build_args), hdl_clock_args("icarus", dut.toplevel))]


def native_sources(dut: runner.DutBuild, roles: RoleMap) -> list[Path]:
    """The cocotb build's sources without the HDL clock generator; on Verilator every
    port public and writable (the C++ main drives the clock)."""
    kept = [s for s in dut.sources if HDL_CLOCK_MARK not in s.name and s.suffix != ".vlt"]
    if dut.sim == "verilator":
        kept.append(ports_vlt(roles.manifest, runner.default_build_root()))
    return kept


def _native_dir(dut: runner.DutBuild, roles: RoleMap, harness: str, args: list[str]) -> Path:
    sources = [s.read_bytes() for s in native_sources(dut, roles)]
    key = _digest(dut.sim, dut.toplevel, harness, json.dumps(args), json.dumps(list(dut.timescale)),
                  _tool(dut.sim), *sources)
    return dut.root / "bench" / "native" / dut.sim / f"{dut.name}-{key}"


def _tool(sim: str) -> str:
    if sim == "verilator":
        binary = toolchain.verilator_binary()
        return f"{binary} {toolchain.format_verilator_version(toolchain.verilator_version(binary))}"
    return f"iverilog {'.'.join(map(str, toolchain.icarus_version()))}"


def _run_logged(cmd: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None,
                timeout_s: float | None = None) -> None:
    with open(log, "a") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout_s)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise NativeBenchError(f"{cmd[0]} failed (exit code {proc.returncode}); see {log}\n{tail}")


def build_native(roles: RoleMap, dut: runner.DutBuild, timeout_s: float | None = 3600) -> Path:
    """Build the native bench of `roles` from `dut`'s sources and options (cached by their
    hash); returns the executable (Verilator) or the vvp image (Icarus)."""
    harness = cpp_main(roles) if dut.sim == "verilator" else verilog_bench(roles)
    args = native_build_args(dut)
    directory = _native_dir(dut, roles, harness, args)
    output = directory / ("native" if dut.sim == "verilator" else "native.vvp")
    stamp = directory / "native-build.json"
    with locked(directory.with_name(f".{directory.name}.lock")):
        if output.is_file() and stamp.is_file():
            return output
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        log = directory / "build.log"
        start = time.monotonic()
        sources = [str(s) for s in native_sources(dut, roles)]
        if dut.sim == "verilator":
            (directory / "native_main.cpp").write_text(harness)
            env = {**os.environ, **toolchain.verilator_env()}
            if "OBJCACHE" not in env and (ccache := shutil.which("ccache")):
                env["OBJCACHE"] = ccache
            _run_logged([str(toolchain.verilator_binary()), "-cc", "--exe", "-Mdir", str(directory),
                         "--top-module", dut.toplevel, "--prefix", "Vtop", "-o", "native", *args,
                         "--timescale", "/".join(dut.timescale), str(directory / "native_main.cpp"), *sources],
                        directory, log, env, timeout_s)
            _run_logged(["make", "-j", str(os.cpu_count() or 1), "-C", str(directory), "-f", "Vtop.mk"],
                        directory, log, env, timeout_s)
        else:
            (directory / "native_bench.v").write_text(harness)
            (directory / "cmds.f").write_text("+timescale+{}/{}\n".format(*dut.timescale))
            _run_logged(["iverilog", "-o", str(output), "-s", VERILOG_TOP, *args, "-f", str(directory / "cmds.f"),
                         str(directory / "native_bench.v"), *sources], directory, log, None, timeout_s)
        stamp.write_text(json.dumps({"args": args, "duration_s": round(time.monotonic() - start, 3),
                                     "roles": roles.where}, indent=1))
    return output


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_image(image: Path, sim: str, run_dir: Path, prompt: list[int], n_tokens: int,
               timeout_s: float | None) -> tuple[str, float, float]:
    """(stdout, wall s, CPU s) of one run of the native bench in `run_dir`."""
    (run_dir / PROMPT_FILE).write_text("".join(f"{t:x}\n" for t in prompt))
    plusargs = [f"+{TOKENS_PLUSARG}={n_tokens}", f"+{PROMPT_LENGTH_PLUSARG}={len(prompt)}"]
    cmd = [str(image), *plusargs] if sim == "verilator" else ["vvp", "-n", str(image), *plusargs]
    cpu0, wall0 = _children_cpu_s(), time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=run_dir, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise NativeBenchError(f"native bench {image} timed out after {timeout_s} s in {run_dir}") from exc
    wall, cpu = time.monotonic() - wall0, _children_cpu_s() - cpu0
    log = run_dir / f"native-{n_tokens}.log"
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or "LDV_ERROR" in proc.stdout + proc.stderr or not _DONE_RE.search(proc.stdout):
        raise NativeBenchError(f"native bench {image} failed (exit code {proc.returncode}); log {log}")
    return proc.stdout, wall, cpu


def run_native(roles: RoleMap, dut: runner.DutBuild, run_dir: Path, prompt: list[int], n_tokens: int,
               weight_seed: int = DEFAULT_WEIGHT_SEED, timeout_s: float | None = 3600) -> StreamRun:
    """Build (or reuse) and run the native bench with the weights of `weight_seed`."""
    from llama_dv.tb.envs.decoder.weights import stage_weights

    if not prompt:
        raise NativeBenchError("the native bench needs a prompt of at least one token")
    image = build_native(roles, dut)
    run_dir.mkdir(parents=True, exist_ok=True)
    stage_weights(run_dir, weight_seed)
    out, wall, cpu = _run_image(image, dut.sim, run_dir, prompt, n_tokens, timeout_s)
    done = _DONE_RE.search(out)
    assert done is not None
    cycles = int(done.group(1))
    if done.group(2) is not None:
        wall, cpu = float(done.group(2)), float(done.group(3))
    else:  # the Verilog bench cannot time itself: subtract start-up, $readmemb and reset
        _, wall0, cpu0 = _run_image(image, dut.sim, run_dir, prompt[:1], 0, timeout_s)
        wall, cpu = max(wall - wall0, 1e-6), max(cpu - cpu0, 1e-6)
    return StreamRun([int(t) for t in _TOKEN_RE.findall(out)], cycles, wall, cpu,
                     str(run_dir / f"native-{n_tokens}.log"))


def run_cocotb(dut: runner.DutBuild, run_dir: Path, seed: int, n_tokens: int,
               weight_seed: int = DEFAULT_WEIGHT_SEED, timeout_s: float = 3600) -> tuple[list[int], StreamRun]:
    """`DecoderGreedyTokens` with `n_tokens`: (its prompt, its figures) from its metrics file."""
    metrics = run_dir / "bench-metrics.json"
    metrics.unlink(missing_ok=True)
    result = runner.run(dut, TEST_MODULE, testcase=TESTCASE, seed=seed, test_dir=run_dir, timeout_s=timeout_s,
                        extra_env={TOKENS_ENV: str(n_tokens), WEIGHTS_ENV: str(weight_seed),
                                   METRICS_ENV: str(metrics)})
    if not result.ok:
        raise NativeBenchError(f"{dut.name} {TESTCASE} on {dut.sim}: {result.status}: {result.message}; "
                               f"log {result.log}")
    try:
        m = json.loads(metrics.read_text())
        golden = m.get("golden_cpu_s")
        run = StreamRun([int(t) for t in m["generated"]], round(float(m["sim_cycles"])), float(m["wall_s"]),
                        float(m["cpu_s"]), str(result.log), None if golden is None else float(golden))
        return [int(t) for t in m["prompt"]], run
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NativeBenchError(f"{metrics}: no prompt/generated/sim_cycles/wall_s/cpu_s from {TESTCASE} "
                               f"({exc!r}); log {result.log}") from exc


def _same_weights(cocotb_dir: Path, native_dir: Path) -> None:
    files = sorted(p.name for p in cocotb_dir.glob("*.memb"))
    if not files:
        raise NativeBenchError(f"{cocotb_dir}: the cocotb run staged no weight files (*.memb)")
    for name in files:
        other = native_dir / name
        if not other.is_file() or other.read_bytes() != (cocotb_dir / name).read_bytes():
            raise NativeBenchError(f"weight file {name}: {native_dir} differs from the cocotb run's {cocotb_dir}")


def decoder_target(top: str | None, roles: Path | None, sim: str) -> tuple[RoleMap, runner.DutBuild]:
    """The role map and build of a project decoder top (`rtl/gen/<top>/`) or of a user's
    decoder bound by a role map YAML."""
    if roles is not None:
        role_map = RoleMap.load(roles)
        return role_map, role_map_build(roles, sim)
    if top is None:
        raise NativeBenchError("name a decoder top or a role map")
    return RoleMap.for_top(top), clash_build(top, sim)


def side_by_side(sim: str, *, top: str | None = None, roles: Path | None = None, n_tokens: int | None = None,
                 seed: int = 1, weight_seed: int = DEFAULT_WEIGHT_SEED, out_dir: Path | None = None,
                 native_prompt: Callable[[list[int]], list[int]] | None = None,
                 extra_args: Sequence[str] = ()) -> SideBySide:
    """Run cocotb, then the native bench on the same stimulus, and compare the streams.

    `native_prompt` maps the prompt the cocotb run drew to the one the native bench gets
    (a test's way of showing that a different stream is caught); normally the same.
    `extra_args` are simulator build options added to both builds (a build option is
    measured by its effect on both sides).
    """
    if sim not in runner.SIMULATORS:
        raise NativeBenchError(f"unknown simulator {sim!r}; known: {', '.join(runner.SIMULATORS)}")
    tokens = DEFAULT_TOKENS[sim] if n_tokens is None else n_tokens
    if tokens < 1:
        raise NativeBenchError(f"tokens must be at least 1, got {tokens}")
    role_map, dut = decoder_target(top, roles, sim)
    if extra_args:
        dut.build_args = [*dut.build_args, *extra_args]
        dut.config = "bench-" + _digest(*extra_args)[:8]
    name = role_map.manifest.top
    base = (out_dir or dut.root / "bench" / "side-by-side") / sim / f"{name}-s{seed}-t{tokens}"
    load0 = os.getloadavg()[0]
    prompt, cocotb_run = run_cocotb(dut, base / "cocotb", seed, tokens, weight_seed)
    native_run = run_native(role_map, dut, base / "native", native_prompt(prompt) if native_prompt else prompt,
                            tokens, weight_seed)
    _same_weights(base / "cocotb", base / "native")
    compare_streams(f"{name} on {sim}, seed {seed}, prompt {prompt}, {tokens} tokens", cocotb_run.tokens,
                    native_run.tokens)
    if len(cocotb_run.tokens) != tokens:
        raise NativeBenchError(f"{name} on {sim}: {len(cocotb_run.tokens)} tokens generated, expected {tokens}")
    args = native_build_args(dut)
    return SideBySide(name, sim, role_map.where, seed, weight_seed, prompt, tokens, cocotb_run, native_run,
                      args, load0, os.getloadavg()[0])


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def table(results: list[SideBySide]) -> str:
    """Markdown: one row per (top, simulator)."""
    rows = ["| top | sim | tokens | sim cycles | cocotb cycles/s (per CPU-s) | native cycles/s (per CPU-s) | "
            "cocotb/native wall | cocotb/native CPU | CPU, golden model left out | load |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r.top} | {r.sim} | {r.n_tokens} | {r.cocotb.sim_cycles:,} | "
                    f"{r.cocotb.cycles_per_s:,.0f} ({r.cocotb.cycles_per_cpu_s:,.0f}) | "
                    f"{r.native.cycles_per_s:,.0f} ({r.native.cycles_per_cpu_s:,.0f}) | {r.ratio_wall:.2f}x | "
                    f"{r.ratio_cpu:.2f}x | {_ratio(r.ratio_cpu_without_golden)} | "
                    f"{r.load_avg_before:.1f}-{r.load_avg_after:.1f} |")
    return "\n".join(rows)
