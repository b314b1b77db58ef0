"""The user's golden function: loaded from `module:function` or `path/to/file.py:function`.

Besides `golden`, the module may define (all optional; a DUT folder's whole Python):

| name | what it is |
|---|---|
| `ARGS` | stimulus constraints per input argument (llama_dv.tb.generic.args) |
| `directed(rng)` | extra directed calls: a list of `(kind, inputs)` or `(kind, inputs, run)`, run after the stock corners (`run`: Call fields such as `placement`) |
| `random_inputs(rng)` | one random call's inputs, replacing the stock draw from ARGS |
| `smoke_calls(rng)` | a few cheap calls, as `directed`, that `Smoke` runs between its extremes and its random calls: enough to reach every range of the DUT's arithmetic, so a smoke test's strength does not hang on its seed (default: none) |
| `coverage(call)` | the DUT's own covergroups, sampled once per checked call |
| `extend(env)` | adds DUT-specific components or checks to the env at the end of its build |
| `reset_victim(stimulus)` | the call `ResetMidCall` abandons (default: one random call) |
| `reset_cycles(call, rng)` | cycles from that call's start to the reset (default: 3-39) |
| `auto_restart_calls(stimulus)` | the calls `AutoRestart` starts with auto_restart set (default: random, 2-4 runs each) |
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping

import numpy as np

from llama_dv.tb.generic.args import ArgSpec


class GoldenError(ValueError):
    """The golden cannot be loaded or returned something unusable; the message says which."""


@dataclass
class Golden:
    """A golden function plus what its module says about stimulus and coverage."""

    spec: str
    fn: Callable[..., Any]
    args: Mapping[str, ArgSpec] = field(default_factory=dict)
    coverage: Callable[[Any], None] | None = None
    directed: Callable[[Any], list[tuple[Any, ...]]] | None = None
    random_inputs: Callable[[Any], dict[str, Any]] | None = None
    smoke_calls: Callable[[Any], list[tuple[Any, ...]]] | None = None
    extend: Callable[[Any], None] | None = None
    reset_victim: Callable[[Any], Any] | None = None
    reset_cycles: Callable[[Any, Any], int] | None = None
    auto_restart_calls: Callable[[Any], list[Any]] | None = None

    def evaluate(self, inputs: Mapping[str, Any], outputs: list[str]) -> dict[str, Any]:
        """Expected outputs of one call, by argument name (arrays as int64, scalars as int)."""
        try:
            result = self.fn(**inputs)
        except Exception as exc:
            raise GoldenError(f"golden {self.spec} raised {type(exc).__name__}: {exc} "
                              f"(inputs: {', '.join(inputs)})") from exc
        if not isinstance(result, Mapping):
            if len(outputs) != 1:
                raise GoldenError(f"golden {self.spec} returned a {type(result).__name__}; with several "
                                  f"outputs ({', '.join(outputs)}) it must return a dict by name")
            result = {outputs[0]: result}
        unknown = sorted(set(result) - set(outputs))
        if unknown:
            raise GoldenError(f"golden {self.spec} returned {unknown[0]!r}, which is not an output "
                              f"(outputs: {', '.join(outputs)})")
        missing = [o for o in outputs if o not in result]
        if missing:
            raise GoldenError(f"golden {self.spec} returned no value for output {missing[0]!r} "
                              f"(outputs: {', '.join(outputs)})")
        return {k: (np.asarray(v, dtype=np.int64).ravel() if np.ndim(v) else int(v)) for k, v in result.items()}


def _module(target: str) -> ModuleType:
    if target.endswith(".py") or "/" in target:
        path = Path(target).resolve()
        if not path.is_file():
            raise GoldenError(f"golden module file {target} does not exist")
        name = f"llama_dv_golden_{abs(hash(str(path)))}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        raise GoldenError(f"cannot import golden module {target!r}: {exc}") from exc


def absolute(spec: str, base: Path | None = None) -> str:
    """`file.py:fn` with the file made absolute (relative to `base`, else the current
    folder), so a run in its own directory finds it; `module:fn` unchanged."""
    target, sep, name = spec.rpartition(":")
    if not sep:
        target, name = spec, "golden"
    if target.endswith(".py") or "/" in target:
        target = str(((base or Path.cwd()) / target).resolve())
    return f"{target}:{name}"


def golden_of(desc: Any) -> str | None:
    """The description's own `golden:` (a file named there is relative to the YAML)."""
    if not desc.golden:
        return None
    return absolute(desc.golden, desc.path.parent if desc.path else None)


def load_golden(spec: str) -> Golden:
    """`module:function` or `file.py:function` (function defaults to `golden`)."""
    target, sep, name = spec.rpartition(":")
    if not sep:
        target, name = spec, "golden"
    module = _module(target)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise GoldenError(f"{target} has no function {name!r}")
    args = getattr(module, "ARGS", {}) or {}
    if not isinstance(args, Mapping):
        raise GoldenError(f"{target}.ARGS must be a dict of argument name to Array/Scalar/LengthOf/Output")
    hooks = {h: getattr(module, h, None) for h in ("coverage", "directed", "random_inputs", "smoke_calls", "extend",
                                            "reset_victim", "reset_cycles", "auto_restart_calls")}
    return Golden(spec=spec, fn=fn, args=dict(args), **{h: f for h, f in hooks.items() if callable(f)})
