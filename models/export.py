"""Memory-initialisation files for the RTL: the quantised weights, one file per memory.

Layout (docs/models.md has the table): weight and embedding matrices are row-packed —
one memory word per row, int8 mantissas two's complement, element 0 in the least
significant byte — beside a 7-bit exponent memory of the same depth (one ExpS per row).
RMS gains are one 32-bit F raw per word. Each memory is written as `$readmemh` text
(`.memh`) and/or `$readmemb` text (`.memb`, what Clash's romFile/blockRamFile read): one
word per line, MSB first, fixed digit count, no address markers. `manifest.json`
records the config and each file's depth, width, format and sha256.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llama_dv.models.checkpoint import read_checkpoint
from llama_dv.models.config import ModelConfig, named_config
from llama_dv.models.llama_fixed import MATRIX_NAMES, QuantizedModel, QuantizedWeights
from llama_dv.models.tinymodel import tiny_weights

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "llama-dv-meminit"
MANIFEST_VERSION = 1
SUFFIX = {"hex": ".memh", "bin": ".memb"}
EXP_BITS = 7
F_BITS = 32
MANT_BITS = 8


class ExportError(ValueError):
    """An export directory whose files do not match their manifest."""


@dataclass(frozen=True)
class Memory:
    """One RTL memory: `words` are unsigned integers already packed to `width` bits."""

    name: str
    kind: str  # "mantissa_rows" | "exponents" | "f_vector"
    words: list[int]
    width: int
    elements_per_word: int
    element_bits: int


def _pack_rows(m: np.ndarray) -> list[int]:
    """Rows of int8 mantissas -> one integer per row, element 0 in the least significant byte."""
    as_bytes = (np.asarray(m, np.int64) & 0xFF).astype(np.uint8)
    return [int.from_bytes(row.tobytes(), "little") for row in as_bytes]


def _unpack_rows(words: list[int], n: int) -> np.ndarray:
    raw = np.array([list(w.to_bytes(n, "little")) for w in words], dtype=np.uint8).reshape(len(words), n)
    return raw.view(np.int8).astype(np.int64)


def _twos(values: np.ndarray, bits: int) -> list[int]:
    return [int(v) & ((1 << bits) - 1) for v in np.asarray(values, np.int64).reshape(-1)]


def _signed(words: list[int], bits: int) -> np.ndarray:
    w = np.array(words, dtype=np.int64)
    return np.where(w >= 1 << (bits - 1), w - (1 << bits), w)


def memories(qw: QuantizedWeights) -> list[Memory]:
    """Every memory the decoder loads, in a fixed order."""
    cfg = qw.config

    def mat(name: str, m: np.ndarray, e: np.ndarray) -> list[Memory]:
        n = m.shape[-1]
        return [Memory(f"{name}_m", "mantissa_rows", _pack_rows(m), MANT_BITS * n, n, MANT_BITS),
                Memory(f"{name}_e", "exponents", _twos(e, EXP_BITS), EXP_BITS, 1, EXP_BITS)]

    def fvec(name: str, g: np.ndarray) -> Memory:
        return Memory(name, "f_vector", _twos(g, F_BITS), F_BITS, 1, F_BITS)

    out = mat("embed", qw.embed_m, qw.embed_e)
    for layer in range(cfg.n_layers):
        out.append(fvec(f"layer{layer}_rms_att", qw.rms_att[layer]))
        for name in MATRIX_NAMES:
            m, e = qw.matrices[name]
            out += mat(f"layer{layer}_{name}", m[layer], e[layer])
        out.append(fvec(f"layer{layer}_rms_ffn", qw.rms_ffn[layer]))
    out.append(fvec("rms_final", qw.rms_final))
    out += mat("cls", qw.cls_m, qw.cls_e)
    return out


def format_words(words: list[int], width: int, fmt: str) -> str:
    """`$readmemh`/`$readmemb` text: one word per line, MSB first, fixed width."""
    if fmt == "hex":
        digits = (width + 3) // 4
        return "".join(f"{w:0{digits}x}\n" for w in words)
    if fmt == "bin":
        return "".join(f"{w:0{width}b}\n" for w in words)
    raise ValueError(f"unknown memory file format {fmt!r} (hex or bin)")


def parse_words(text: str, width: int, fmt: str, where: str) -> list[int]:
    digits = (width + 3) // 4 if fmt == "hex" else width
    base = 16 if fmt == "hex" else 2
    words = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if len(line) != digits:
            raise ExportError(f"{where}:{lineno}: expected {digits} {fmt} digits, found {len(line)}")
        try:
            word = int(line, base)
        except ValueError:
            raise ExportError(f"{where}:{lineno}: not a {fmt} word: {line[:40]!r}") from None
        if word >> width:
            raise ExportError(f"{where}:{lineno}: value wider than {width} bits")
        words.append(word)
    return words


def write_export(qw: QuantizedWeights, out: str | Path, formats: tuple[str, ...] = ("hex", "bin"),
                 seed: int | None = None) -> dict:
    """Write every memory in `formats` and the manifest; returns the manifest."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for mem in memories(qw):
        files = {}
        for fmt in formats:
            text = format_words(mem.words, mem.width, fmt)
            path = out / f"{mem.name}{SUFFIX[fmt]}"
            path.write_text(text)
            files[fmt] = {"path": path.name, "sha256": hashlib.sha256(text.encode()).hexdigest()}
        entries.append({"name": mem.name, "kind": mem.kind, "depth": len(mem.words), "width": mem.width,
                        "elements_per_word": mem.elements_per_word, "element_bits": mem.element_bits,
                        "signed": True, "files": files})
    manifest = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "config": qw.config.to_dict(),
                "seed": seed, "shared_classifier": qw.shared_classifier,
                "layout": "row-packed; element 0 in the least significant byte; MSB-first text",
                "memories": entries}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_export(directory: str | Path, fmt: str | None = None) -> QuantizedModel:
    """Load an export directory back into a QuantizedModel, checking depth, width and sha256."""
    directory = Path(directory)
    mpath = directory / MANIFEST
    try:
        manifest = json.loads(mpath.read_text())
    except FileNotFoundError:
        raise ExportError(f"{mpath}: no manifest") from None
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != MANIFEST_VERSION:
        raise ExportError(f"{mpath}: expected format {MANIFEST_FORMAT} v{MANIFEST_VERSION}, found "
                          f"{manifest.get('format')} v{manifest.get('version')}")
    cfg = ModelConfig.from_dict(manifest["config"])
    loaded: dict[str, np.ndarray] = {}
    for entry in manifest["memories"]:
        chosen = fmt or next(iter(entry["files"]))
        if chosen not in entry["files"]:
            raise ExportError(f"{mpath}: memory {entry['name']} has no {chosen} file")
        info = entry["files"][chosen]
        path = directory / info["path"]
        text = path.read_text()
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest != info["sha256"]:
            raise ExportError(f"{path}: sha256 {digest} does not match the manifest's {info['sha256']}")
        words = parse_words(text, entry["width"], chosen, str(path))
        if len(words) != entry["depth"]:
            raise ExportError(f"{path}: expected {entry['depth']} words, found {len(words)}")
        if entry["kind"] == "mantissa_rows":
            loaded[entry["name"]] = _unpack_rows(words, entry["elements_per_word"])
        else:
            loaded[entry["name"]] = _signed(words, entry["element_bits"])
    L = cfg.n_layers

    def stack(fmt_name: str) -> np.ndarray:
        return np.stack([loaded[fmt_name.format(layer)] for layer in range(L)])

    qw = QuantizedWeights(
        config=cfg, embed_m=loaded["embed_m"], embed_e=loaded["embed_e"],
        matrices={n: (stack(f"layer{{}}_{n}_m"), stack(f"layer{{}}_{n}_e")) for n in MATRIX_NAMES},
        rms_att=stack("layer{}_rms_att"), rms_ffn=stack("layer{}_rms_ffn"), rms_final=loaded["rms_final"],
        cls_m=loaded["cls_m"], cls_e=loaded["cls_e"], shared_classifier=bool(manifest["shared_classifier"]))
    return QuantizedModel(qw)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the RTL's weight memory files.")
    parser.add_argument("--config", default="small", help="named config for a generated model")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated model")
    parser.add_argument("--checkpoint", type=Path, help="export this llama2.c .bin instead of a generated model")
    parser.add_argument("--shared-classifier", action="store_true", help="generated model ties wcls to the embedding")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--format", choices=("hex", "bin", "both"), default="both")
    args = parser.parse_args(argv)
    if args.checkpoint:
        weights, seed = read_checkpoint(args.checkpoint), None
    else:
        weights, seed = tiny_weights(named_config(args.config), args.seed, args.shared_classifier), args.seed
    formats = ("hex", "bin") if args.format == "both" else (args.format,)
    manifest = write_export(QuantizedWeights.from_float(weights), args.out, formats, seed)
    print(f"wrote {len(manifest['memories'])} memories x {len(formats)} format(s) to {args.out}")


if __name__ == "__main__":
    main()
