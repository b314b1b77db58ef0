"""Where the regression finds DUTs and their cocotb tests.

The project's registry is ``llama_dv.tb.dut_registry``. Any module with the same four functions can stand
in for it (``llama-dv regress --registry my.module``), which is how the regression's own
tests drive a throwaway DUT, and how a user points the runner at DUTs outside this tree.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

DEFAULT_REGISTRY = "llama_dv.tb.dut_registry"


class RegistryError(RuntimeError):
    """The DUT registry cannot be loaded or does not provide what the runner needs."""


class DutRegistry(Protocol):
    """The interface of ``llama_dv.tb.dut_registry`` the regression relies on."""

    def list_duts(self) -> list[str]: ...

    def get_dut(self, name: str, sim: str, config: str = "default") -> Any: ...

    def test_module(self, name: str) -> str: ...

    def list_tests(self, name: str) -> list[str]: ...


_REQUIRED = ("list_duts", "get_dut", "test_module", "list_tests")
_RENAMED = ("tb.duts", "llama_dv.tb.duts")
"""Names the project's registry had in earlier records."""


def load_registry(module_name: str = DEFAULT_REGISTRY) -> ModuleType:
    """Import *module_name* and check it has the registry functions."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = (f" (records written before the llama_dv namespace name {module_name!r}; the project's "
                f"registry is now {DEFAULT_REGISTRY!r})" if module_name in _RENAMED else "")
        raise RegistryError(f"cannot import DUT registry module {module_name!r}: {exc}{hint}") from exc
    missing = [name for name in _REQUIRED if not callable(getattr(module, name, None))]
    if missing:
        raise RegistryError(f"DUT registry {module_name!r} lacks {', '.join(missing)}")
    return module


@dataclass
class RegistryView:
    """What the registry knows, read once: DUT names and each DUT's tests.

    ``error`` is set (and the maps are empty) when the registry could not be loaded, so
    validation can still report every test as unknown instead of crashing.
    """

    module_name: str
    duts: dict[str, list[str]]
    error: str | None = None
    dut_errors: dict[str, str] = field(default_factory=dict)
    """DUTs whose tests could not be listed (e.g. test module not written yet)."""

    @classmethod
    def read(cls, module_name: str = DEFAULT_REGISTRY) -> "RegistryView":
        try:
            registry = load_registry(module_name)
            names = list(registry.list_duts())
        except RegistryError as exc:
            return cls(module_name, {}, str(exc))
        except Exception as exc:
            return cls(module_name, {}, f"DUT registry {module_name!r} failed: {type(exc).__name__}: {exc}")
        duts: dict[str, list[str]] = {}
        errors: dict[str, str] = {}
        for name in names:
            try:
                duts[name] = list(registry.list_tests(name))
            except Exception as exc:  # one DUT's missing test module must not hide the others
                duts[name] = []
                errors[name] = f"{type(exc).__name__}: {exc}"
        return cls(module_name, duts, dut_errors=errors)

    def config_error(self, dut: str, config: str) -> str | None:
        """Why *config* of *dut* cannot be built (None if the registry accepts it)."""
        if config == "default" or self.error:
            return None
        try:
            load_registry(self.module_name).get_dut(dut, "icarus", config)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def has_test(self, dut: str, test: str) -> bool:
        return test in self.duts.get(dut, [])
