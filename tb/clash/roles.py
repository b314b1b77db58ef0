"""Role map of a decoder top: which port plays each role the decoder environment needs.

The project's `decoder_small` binds by its own port names (an identity map built from
its manifest); a user's decoder whose ports are named otherwise binds through a short
YAML next to its RTL:

    top: my_llama_decoder            # optional; must equal the manifest's top
    manifest: clash-manifest.json    # optional; default: clash-manifest.json next to this file
    sources: [../core/*.v]           # optional; Verilog besides the *.v next to the manifest
    roles: {clock: clk_i, reset: rst_ni, token_in: req_token_i, ...}
    kv_cache: u_core.kv_cache.result_RAM   # optional; hierarchical path of the KV block RAM

Directions and widths come from the manifest and are checked against each role here,
at load time, so a wrong map fails before any simulation, naming file, role and port.
Optional roles come in groups (all of a group or none); a missing group turns off the
checks that need it (`skipped_checks` says which).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Mapping

from llama_dv.models.config import SMALL
from llama_dv.tb.clash.kv_backdoor import ACT_BITS, EXP_BITS, INSTANCE, MEMORY
from llama_dv.tb.clash.manifest import REPO_ROOT, ClashManifest, Port
from llama_dv.tb.common.knobs import CLASH_ROLES_ENV as ROLES_ENV
from llama_dv.tb.common.yaml_file import read_yaml


LOGIT_BITS = 32


class RoleMapError(ValueError):
    """A role map is malformed or does not fit its manifest."""


@dataclass(frozen=True)
class Role:
    name: str
    direction: str
    width: int
    exact: bool
    """True: the port must be exactly `width` bits (packed vectors, controls); False: at least."""
    group: str
    what: str


@dataclass(frozen=True)
class Group:
    name: str
    required: bool
    title: str
    checks: str
    """The checks that need the group (quoted when it is missing)."""


def _bits(largest: int) -> int:
    return max(1, largest.bit_length())


GROUPS = (
    Group("core", True, "token interface", "tokens and logits"),
    Group("cycles", False, "cycle counter", "cycle counter against the monitor's handshake-to-handshake count"),
    Group("kv_write", False, "KV write port",
          "KV rows at the write port (row, mantissas, exponents) and the reset after a KV write"),
    Group("head", False, "finished attention heads",
          "attention outputs per head, max-update coverage and the first-layer smoke"),
)

_HD, _NKV, _SEQ = SMALL.head_dim, SMALL.n_kv_heads, SMALL.seq_len

ROLES: tuple[Role, ...] = (
    Role("clock", "in", 1, True, "core", "clock; its manifest domain gives the period"),
    Role("reset", "in", 1, True, "core", "reset of the clock's domain; polarity from the manifest"),
    Role("request_valid", "in", 1, True, "core", "request handshake: a token is offered"),
    Role("request_ready", "out", 1, True, "core", "request handshake: the decoder takes it"),
    Role("token_in", "in", _bits(SMALL.vocab_size - 1), False, "core", "token to decode"),
    Role("position_in", "in", _bits(_SEQ - 1), False, "core", "its position"),
    Role("response_valid", "out", 1, True, "core", "response handshake: a result is offered"),
    Role("response_ready", "in", 1, True, "core", "response handshake: the testbench takes it"),
    Role("token_out", "out", _bits(SMALL.vocab_size - 1), False, "core", "greedy next token"),
    Role("logits_out", "out", SMALL.vocab_size * LOGIT_BITS, True, "core",
         "logits, element 0 in the most significant bits"),
    Role("cycles_out", "out", 1, False, "cycles", "cycles the last token took"),
    Role("kv_we", "out", 1, True, "kv_write", "a KV row is written"),
    Role("kv_addr", "out", _bits(SMALL.n_layers * _NKV * _SEQ - 1), False, "kv_write",
         "its row: (layer x KV heads + KV head) x seq_len + position"),
    Role("kv_k", "out", _HD * ACT_BITS, True, "kv_write", "K mantissas"),
    Role("kv_k_exp", "out", EXP_BITS, True, "kv_write", "K exponent"),
    Role("kv_v", "out", _HD * ACT_BITS, True, "kv_write", "V mantissas"),
    Role("kv_v_exp", "out", EXP_BITS, True, "kv_write", "V exponent"),
    Role("head_valid", "out", 1, True, "head", "an attention head is finished"),
    Role("head_layer", "out", _bits(SMALL.n_layers - 1), False, "head", "its layer"),
    Role("head_index", "out", _bits(SMALL.n_heads - 1), False, "head", "its head"),
    Role("head_updates", "out", 1, False, "head", "how often its online-softmax running max grew"),
    Role("head_out", "out", _HD * LOGIT_BITS, True, "head", "its output vector"),
)
ROLE_BY_NAME = {r.name: r for r in ROLES}
GROUP_BY_NAME = {g.name: g for g in GROUPS}

IDENTITY = {
    "request_valid": "in_valid", "request_ready": "in_ready", "token_in": "in_token", "position_in": "in_pos",
    "response_valid": "out_valid", "response_ready": "out_ready", "token_out": "out_token",
    "logits_out": "out_logits", "cycles_out": "out_cycles", "kv_we": "kv_we", "kv_addr": "kv_addr",
    "kv_k": "kv_k", "kv_k_exp": "kv_ke", "kv_v": "kv_v", "kv_v_exp": "kv_ve", "head_valid": "att_valid",
    "head_layer": "att_layer", "head_index": "att_head", "head_updates": "att_updates", "head_out": "att_out",
}
"""Role -> port of the project's decoder tops (`decoder_small` and its fault copies);
clock and reset are the manifest's."""

_KEYS = ("top", "manifest", "sources", "roles", "kv_cache")


class DecoderPorts(SimpleNamespace):
    """Simulator handles by role name (`ports.token_in`); an unmapped optional role is None."""


@dataclass(frozen=True)
class RoleMap:
    """A validated role -> manifest port map of one decoder top."""

    where: str
    """The YAML as the user knows it (relative to the checkout), or the manifest for an identity map."""
    manifest: ClashManifest
    ports: Mapping[str, Port]
    kv_cache: str | None
    extra_sources: tuple[Path, ...] = ()

    @classmethod
    def load(cls, path: Path | str) -> "RoleMap":
        path = Path(path)
        where = _display(path)
        raw = read_yaml(path, RoleMapError, where)
        if not isinstance(raw, dict):
            raise RoleMapError(f"{where}: expected a mapping with keys {', '.join(_KEYS)}")
        unknown = sorted(set(raw) - set(_KEYS))
        if unknown:
            raise RoleMapError(f"{where}: unknown key(s) {', '.join(map(str, unknown))} (keys: {', '.join(_KEYS)})")
        manifest_path = path.parent / _text(raw.get("manifest", "clash-manifest.json"), where, "manifest")
        manifest = ClashManifest.load(manifest_path)
        top = raw.get("top")
        if top is not None and top != manifest.top:
            raise RoleMapError(f"{where}: top {top!r}, but {manifest_path.name} describes top {manifest.top!r}")
        roles = raw.get("roles")
        if not isinstance(roles, dict) or not roles:
            raise RoleMapError(f"{where}: 'roles' must map role names to port names "
                               f"(roles: {', '.join(ROLE_BY_NAME)})")
        mapping = {str(role): _text(port, where, f"role {role!r}") for role, port in roles.items()}
        kv_cache = raw.get("kv_cache")
        sources = raw.get("sources", [])
        if not isinstance(sources, list):
            raise RoleMapError(f"{where}: 'sources' must be a list of paths or globs relative to the file")
        extra = tuple(p for s in sources for p in _glob(path.parent, s, where))
        return cls(where, manifest, _validate(where, manifest, mapping),
                   None if kv_cache is None else _text(kv_cache, where, "kv_cache"), extra)

    @classmethod
    def identity(cls, manifest: ClashManifest) -> "RoleMap":
        """The project's decoder tops: every role bound to the port of the same job by
        the project's own names; optional roles whose port the top lacks are left out."""
        clock, reset = manifest.clock, manifest.reset
        mapping = {"clock": clock.name if clock else "", "reset": reset.name if reset else ""}
        for role, port in IDENTITY.items():
            if ROLE_BY_NAME[role].group == "core" or port in manifest.ports:
                mapping[role] = port
        kv_cache = f"{INSTANCE}.{MEMORY}"
        where = f"{_display(manifest.path)} (identity role map)"
        return cls(where, manifest, _validate(where, manifest, mapping), kv_cache)

    @classmethod
    def for_top(cls, top: str) -> "RoleMap":
        """The map named by `LDV_CLASH_ROLES` (it must describe `top`), else the identity
        map of `rtl/gen/<top>/`."""
        env = os.environ.get(ROLES_ENV)
        if not env:
            return cls.identity(ClashManifest.for_top(top))
        path = Path(env)
        role_map = cls.load(path if path.is_absolute() else REPO_ROOT / path)
        if role_map.manifest.top != top:
            raise RoleMapError(f"{role_map.where}: binds top {role_map.manifest.top!r}, "
                               f"but the simulated top is {top!r}")
        return role_map

    @property
    def verilog_sources(self) -> list[Path]:
        return sorted(set(self.manifest.verilog_sources) | set(self.extra_sources))

    def has(self, group: str) -> bool:
        if group not in GROUP_BY_NAME:
            raise KeyError(f"unknown role group {group!r} (groups: {', '.join(GROUP_BY_NAME)})")
        return any(ROLE_BY_NAME[r].group == group for r in self.ports)

    def port(self, role: str) -> Port:
        return self.ports[role]

    def skipped_checks(self) -> list[str]:
        """One line per optional group (or backdoor) left out, naming what is not checked."""
        lines = []
        for g in GROUPS:
            if not g.required and not self.has(g.name):
                roles = ", ".join(r.name for r in ROLES if r.group == g.name)
                lines.append(f"{self.where}: no {g.title} ({roles}): not checked: {g.checks}")
        if self.kv_cache is None:
            lines.append(f"{self.where}: no kv_cache path: the stored KV cache is not read by backdoor")
        elif not self.has("head"):
            lines.append(f"{self.where}: kv_cache given, but the stored KV cache is read at the first finished "
                         f"head of each layer: not read by backdoor")
        return lines

    @property
    def period_ps(self) -> int:
        return self._domain("clock").period_ps

    @property
    def reset_active(self) -> int:
        """The reset's asserted level, from its domain's polarity in the manifest."""
        return 1 if self._domain("reset").reset_polarity == "ActiveHigh" else 0

    def _domain(self, role: str) -> Any:
        return self.manifest.domains[self.ports[role].domain or ""]

    def bind(self, dut: Any) -> DecoderPorts:
        """Handles of every mapped role; the ports themselves were checked by
        `ClashManifest.check_dut`."""
        return DecoderPorts(**{r.name: (getattr(dut, self.ports[r.name].name) if r.name in self.ports else None)
                               for r in ROLES})


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _text(value: object, where: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise RoleMapError(f"{where}: {what}: expected a name, got {value!r}")
    return value


def _glob(base: Path, pattern: object, where: str) -> list[Path]:
    pattern = _text(pattern, where, "sources")
    found = sorted(p.resolve() for p in base.glob(pattern))
    if not found:
        raise RoleMapError(f"{where}: sources {pattern!r} matches no file")
    return found


def _validate(where: str, manifest: ClashManifest, mapping: Mapping[str, str]) -> dict[str, Port]:
    """Role -> manifest port, or a RoleMapError naming the file, the role and the port."""
    mname = manifest.path.name
    for role in mapping:
        if role not in ROLE_BY_NAME:
            raise RoleMapError(f"{where}: unknown role {role!r} (roles: {', '.join(ROLE_BY_NAME)})")
    missing = [r.name for r in ROLES if GROUP_BY_NAME[r.group].required and r.name not in mapping]
    if missing:
        raise RoleMapError(f"{where}: required role(s) {', '.join(missing)} not mapped")
    for g in GROUPS:
        members = [r.name for r in ROLES if r.group == g.name]
        present = [r for r in members if r in mapping]
        if present and len(present) < len(members):
            absent = [r for r in members if r not in mapping]
            raise RoleMapError(f"{where}: {g.title}: role(s) {', '.join(present)} mapped but "
                               f"{', '.join(absent)} not (map the whole group or none of it)")
    seen: dict[str, str] = {}
    ports: dict[str, Port] = {}
    for role, name in mapping.items():
        spec = ROLE_BY_NAME[role]
        prefix = f"{where}: role {role!r} -> port {name!r}"
        if name not in manifest.ports:
            raise RoleMapError(f"{prefix}: no such port in {mname} (ports: {', '.join(manifest.ports)})")
        if name in seen:
            raise RoleMapError(f"{prefix}: the port is already mapped to role {seen[name]!r}")
        seen[name] = role
        port = manifest.ports[name]
        if port.direction != spec.direction:
            raise RoleMapError(f"{prefix}: an {_dir(port.direction)} in {mname}, the role needs an "
                               f"{_dir(spec.direction)} ({spec.what})")
        if port.width != spec.width if spec.exact else port.width < spec.width:
            need = f"exactly {spec.width}" if spec.exact else f"at least {spec.width}"
            raise RoleMapError(f"{prefix}: {port.width} bit(s) in {mname}, the role needs {need} ({spec.what})")
        ports[role] = port
    clock, reset = ports["clock"], ports["reset"]
    if not clock.is_clock or clock.domain not in manifest.domains:
        raise RoleMapError(f"{where}: role 'clock' -> port {clock.name!r}: not a clock of a domain in {mname}")
    if reset.is_clock or reset.domain != clock.domain:
        raise RoleMapError(f"{where}: role 'reset' -> port {reset.name!r}: not tagged with the clock's domain "
                           f"{clock.domain!r} in {mname}, so its polarity is unknown")
    return ports


def _dir(direction: str) -> str:
    return "input" if direction == "in" else "output"
