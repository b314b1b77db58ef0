"""Calls and how they are drawn: directed corners from the argument ranges, and
constrained-random values, every number from the test's seeded stream.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from llama_dv.tb.generic.args import Array, LengthOf, Scalar
from llama_dv.tb.generic.arguments import Argument
from llama_dv.tb.generic.golden import Golden

DEFAULT_STREAM_LENGTH = (1, 16)
"""Length of an input stream or m_axi buffer the user gave no ARGS for."""

CORNERS = ("min", "max", "zeros", "alternating", "one_hot")
"""Directed calls: every array at its shortest length and lowest values, longest and highest, zeros,
alternating lowest/highest at the longest length, and one highest element among zeros."""


class StimulusError(ValueError):
    """A length or range cannot be satisfied; the message names the argument."""


@dataclass(eq=False)
class Call:
    """One DUT invocation: inputs by argument name and the golden's expected outputs."""

    txn_id: int
    seed: int
    kind: str
    inputs: dict[str, Any]
    expected: dict[str, Any] = field(default_factory=dict)
    addresses: dict[str, int] = field(default_factory=dict)  # m_axi buffer of each array argument
    flow: dict[str, str] = field(default_factory=dict)       # flow-control pattern per interface, when run
    completion: str | None = None    # s_axilite: poll / interrupt (None: the env's choice); then how it was awaited
    auto_restart_runs: int = 0       # s_axilite: runs started with auto_restart set (0: one plain run)
    back_to_back: bool = False       # s_axilite: started with no idle cycle after the previous call, when run
    placement: str | None = None     # m_axi: buffer placement policy (llama_dv.tb.generic.placement; None: the env's)
    timing: str = ""                 # m_axi: memory timing profile of the bundles, when run

    def __repr__(self) -> str:
        return f"Call(txn {self.txn_id}, {self.kind}, seed {self.seed})"


def value_range(arg: Argument) -> tuple[int, int]:
    """[lo, hi] of an input's elements: the user's bounds inside the type's full range."""
    full = (-(1 << (arg.bits - 1)), (1 << (arg.bits - 1)) - 1) if arg.signed else (0, (1 << arg.bits) - 1)
    spec = arg.spec
    lo = spec.lo if isinstance(spec, (Array, Scalar)) and spec.lo is not None else full[0]
    hi = spec.hi if isinstance(spec, (Array, Scalar)) and spec.hi is not None else full[1]
    if lo > hi:
        raise StimulusError(f"argument {arg.name}: lo {lo} > hi {hi}")
    return lo, hi


def length_range(arg: Argument) -> tuple[int, int] | LengthOf:
    spec = arg.spec
    length = spec.length if isinstance(spec, Array) else None
    if isinstance(length, LengthOf):
        return length
    if isinstance(length, range):
        if not length:
            raise StimulusError(f"argument {arg.name}: length {length} is empty")
        bounds = (min(length), max(length))
    elif isinstance(length, int):
        bounds = (length, length)
    elif isinstance(length, tuple):
        bounds = (int(length[0]), int(length[1]))
    elif arg.carrier == "ap_memory":
        bounds = (arg.depth or 1, arg.depth or 1)
    else:
        bounds = DEFAULT_STREAM_LENGTH
    if bounds[0] < 1 or bounds[0] > bounds[1]:
        raise StimulusError(f"argument {arg.name}: length range {bounds} is empty or below 1")
    if arg.depth is not None and bounds[1] > arg.depth:
        raise StimulusError(f"argument {arg.name}: length up to {bounds[1]} exceeds the ap_memory depth "
                            f"{arg.depth}")
    return bounds


def resolve_length(name: str, ref: LengthOf, lengths: dict[str, int]) -> int:
    """The value a LengthOf gives argument `name`: the named array's length (times the other's)."""
    for other in (ref.name, ref.times):
        if other is not None and other not in lengths:
            raise StimulusError(f"argument {name}: LengthOf({other!r}) must name an array input")
    return lengths[ref.name] * (lengths[ref.times] if ref.times else 1)


class Stimulus:
    """Draws inputs for the arguments of one DUT and evaluates the golden on them."""

    def __init__(self, arguments: list[Argument], golden: Golden, rng: np.random.Generator, seed: int) -> None:
        self.inputs = [a for a in arguments if a.is_input]
        self.outputs = [a.name for a in arguments if a.is_output]
        self.golden, self.rng, self.seed = golden, rng, seed
        self.next_id = 0
        names = {a.name for a in arguments}
        for a in self.inputs:
            ref = a.spec if isinstance(a.spec, LengthOf) else length_range(a) if a.shape == "array" else None
            for other in (ref.name, ref.times) if isinstance(ref, LengthOf) else ():
                if other is not None and other not in names:
                    raise StimulusError(f"argument {a.name}: LengthOf({other!r}) names no argument")
        for a in self.inputs:
            if not isinstance(a.spec, LengthOf):
                value_range(a)  # a bad range fails here, naming the argument, before any simulation

    def call(self, kind: str, inputs: dict[str, Any], **run: Any) -> Call:
        """A call of these inputs with its golden outputs; `run` sets how it is run (Call
        fields such as completion, auto_restart_runs, placement)."""
        self._check(kind, inputs)
        c = Call(self.next_id, self.seed, kind, inputs, **run)
        self.next_id += 1
        c.expected = self.golden.evaluate(inputs, self.outputs)
        return c

    def _check(self, kind: str, inputs: dict[str, Any]) -> None:
        """Every input inside its argument's range (ARGS, else its type): a directed call
        outside it would be cut to the port's width silently and fail as a DUT mismatch."""
        for a in self.inputs:
            if a.name not in inputs:
                raise StimulusError(f"call {kind!r}: no value for input argument {a.name}")
            lo, hi = value_range(a)
            values = np.asarray(inputs[a.name], dtype=object).ravel()
            inside = (values >= lo) & (values <= hi)
            if not inside.all():
                first = int(np.flatnonzero(~inside)[0])
                where = f" at index {first}" if a.shape == "array" else ""
                raise StimulusError(f"call {kind!r}: argument {a.name}: value {int(values[first])}{where} is outside "
                                    f"[{lo}, {hi}] (ARGS or the {a.bits}-bit type)")
            if a.depth is not None and values.size > a.depth:
                raise StimulusError(f"call {kind!r}: argument {a.name}: {values.size} words exceed the ap_memory "
                                    f"depth {a.depth}")

    # --- drawing ---------------------------------------------------------------------

    def _lengths(self, pick: str) -> dict[str, int]:
        lengths: dict[str, int] = {}
        arrays = [a for a in self.inputs if a.shape == "array"]
        for a in arrays:
            r = length_range(a)
            if isinstance(r, LengthOf):
                continue
            lo, hi = r
            allowed = a.spec.length if isinstance(a.spec, Array) and isinstance(a.spec.length, range) else None
            if pick == "min" or pick == "max":
                lengths[a.name] = lo if pick == "min" else hi
            elif allowed is not None:
                lengths[a.name] = int(self.rng.choice(allowed))
            else:
                lengths[a.name] = int(self.rng.integers(lo, hi + 1))
        for a in arrays:
            r = length_range(a)
            if isinstance(r, LengthOf):
                lengths[a.name] = resolve_length(a.name, r, lengths)
        return lengths

    def _values(self, arg: Argument, n: int, corner: str) -> np.ndarray:
        lo, hi = value_range(arg)
        zero = min(max(0, lo), hi)
        if corner == "min":
            return np.full(n, lo, np.int64)
        if corner == "max":
            return np.full(n, hi, np.int64)
        if corner == "zeros":
            return np.full(n, zero, np.int64)
        if corner == "alternating":
            return np.where(np.arange(n) % 2 == 0, lo, hi).astype(np.int64)
        if corner == "one_hot":
            v = np.full(n, zero, np.int64)
            v[int(self.rng.integers(0, n))] = hi
            return v
        return self._random(lo, hi, n)

    def _random(self, lo: int, hi: int, n: int) -> np.ndarray:
        """Uniform in [lo, hi], or (one draw in four) in a band of random width, so small values occur."""
        if self.rng.random() < 0.25 and hi - lo > 16:
            bits = int(self.rng.integers(1, max(2, (hi - lo).bit_length())))
            centre = min(max(0, lo), hi)
            lo, hi = max(lo, centre - (1 << bits)), min(hi, centre + (1 << bits))
        span = hi - lo + 1
        if span <= 1 << 62:
            return lo + self.rng.integers(0, span, size=n, dtype=np.int64)
        return np.array([lo + int(self.rng.integers(0, 1 << 62)) * (span >> 62) for _ in range(n)], np.int64)

    def draw(self, corner: str = "random") -> dict[str, Any]:
        """Inputs of one call; `corner` is 'random' or one of CORNERS."""
        lengths = self._lengths("min" if corner == "min" else "max" if corner in ("max", "alternating")
                                else "random")
        inputs: dict[str, Any] = {}
        for a in self.inputs:
            if a.shape == "array":
                inputs[a.name] = self._values(a, lengths[a.name], corner)
        for a in self.inputs:
            if a.shape != "scalar":
                continue
            if isinstance(a.spec, LengthOf):
                inputs[a.name] = resolve_length(a.name, a.spec, lengths)
            else:
                scalar_corner = corner if corner in ("min", "max", "zeros") else "random"
                inputs[a.name] = int(self._values(a, 1, scalar_corner)[0])
        return inputs

    def directed(self) -> list[Call]:
        """The stock corners, then the DUT's own directed calls (its golden module's `directed`:
        `(kind, inputs)` or `(kind, inputs, run)` with `run` as in `call`)."""
        return [self.call(c, self.draw(c)) for c in CORNERS] + self.own_calls(self.golden.directed)

    def smoke(self) -> list[Call]:
        """The golden module's `smoke_calls` (none when it has no such hook)."""
        return self.own_calls(self.golden.smoke_calls)

    def own_calls(self, hook: Callable[[np.random.Generator], list[tuple[Any, ...]]] | None) -> list[Call]:
        """Calls from a golden-module hook returning `(kind, inputs)` or `(kind, inputs, run)`."""
        if hook is None:
            return []
        return [self.call(kind, inputs, **(run[0] if run else {})) for kind, inputs, *run in hook(self.rng)]

    def random(self, count: int) -> list[Call]:
        """`count` random calls, drawn by the DUT's `random_inputs` where it has one."""
        draw = (lambda: self.golden.random_inputs(self.rng)) if self.golden.random_inputs else self.draw
        return [self.call("random", draw()) for _ in range(count)]
