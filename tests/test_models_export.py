"""Memory-init export: layout, both text formats, manifest checks and round trip."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from llama_dv.models.checkpoint import write_checkpoint
from llama_dv.models.config import SMALL
from llama_dv.models.export import ExportError, main, read_export, write_export
from llama_dv.models.llama_fixed import QuantizedModel, QuantizedWeights
from llama_dv.models.tinymodel import tiny_weights


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, QuantizedWeights]:
    out = tmp_path_factory.mktemp("export")
    qw = QuantizedWeights.from_float(tiny_weights(SMALL, 1))
    write_export(qw, out, ("hex", "bin"), seed=1)
    return out, qw


@pytest.mark.parametrize("fmt", ["hex", "bin"])
def test_round_trip(exported, fmt: str) -> None:
    out, qw = exported
    model = read_export(out, fmt)
    assert model.weights.equals(qw)
    ref = QuantizedModel(qw)
    assert np.array_equal(model.forward(7, 0), ref.forward(7, 0))


def test_layout_element_zero_in_least_significant_byte(exported) -> None:
    out, qw = exported
    first = (out / "layer0_wq_m.memh").read_text().splitlines()[0]
    assert len(first) == 2 * SMALL.dim
    m = qw.matrices["wq"][0][0, 0]
    assert int(first[-2:], 16) == int(m[0]) & 0xFF
    assert int(first[:2], 16) == int(m[-1]) & 0xFF
    bin_first = (out / "layer0_wq_m.memb").read_text().splitlines()[0]
    assert int(bin_first, 2) == int(first, 16) and len(bin_first) == 8 * SMALL.dim


def test_manifest_describes_every_file(exported) -> None:
    out, qw = exported
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"] == SMALL.to_dict() and manifest["seed"] == 1
    by_name = {m["name"]: m for m in manifest["memories"]}
    assert (by_name["embed_m"]["depth"], by_name["embed_m"]["width"]) == (64, 512)
    assert (by_name["layer1_w2_m"]["depth"], by_name["layer1_w2_m"]["width"]) == (64, 1024)
    assert (by_name["layer0_wk_e"]["depth"], by_name["layer0_wk_e"]["width"]) == (32, 7)
    assert (by_name["rms_final"]["depth"], by_name["rms_final"]["width"]) == (64, 32)
    assert len(by_name) == 4 + SMALL.n_layers * (2 + 14) + 1
    for mem in manifest["memories"]:
        for fmt, info in mem["files"].items():
            text = (out / info["path"]).read_text()
            assert hashlib.sha256(text.encode()).hexdigest() == info["sha256"]
            lines = text.splitlines()
            assert len(lines) == mem["depth"]
            assert {len(x) for x in lines} == {mem["width"] if fmt == "bin" else (mem["width"] + 3) // 4}


def test_exponent_and_gain_encoding(exported) -> None:
    out, qw = exported
    e = [int(x, 2) for x in (out / "embed_e.memb").read_text().splitlines()]
    assert [v - 128 if v >= 64 else v for v in e] == list(qw.embed_e)
    g = [int(x, 16) for x in (out / "layer0_rms_att.memh").read_text().splitlines()]
    assert [v - (1 << 32) if v >= 1 << 31 else v for v in g] == list(qw.rms_att[0])


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_sha_mismatch_is_reported(exported, tmp_path: Path) -> None:
    d = _copy(exported[0], tmp_path / "x")
    path = d / "layer1_wv_m.memh"
    lines = path.read_text().splitlines()
    lines[3] = "0" * len(lines[3])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ExportError, match=r"layer1_wv_m\.memh: sha256 .* does not match"):
        read_export(d, "hex")


def test_bad_word_width_is_reported(exported, tmp_path: Path) -> None:
    d = _copy(exported[0], tmp_path / "y")
    path = d / "cls_e.memb"
    path.write_text(path.read_text().replace("\n", "0\n", 1))
    manifest = json.loads((d / "manifest.json").read_text())
    for mem in manifest["memories"]:
        if mem["name"] == "cls_e":
            mem["files"]["bin"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (d / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match=r"cls_e\.memb:1: expected 7 bin digits, found 8"):
        read_export(d, "bin")


def test_shared_classifier_and_cli(tmp_path: Path) -> None:
    main(["--config", "small", "--seed", "2", "--out", str(tmp_path), "--format", "bin", "--shared-classifier"])
    assert not list(tmp_path.glob("*.memh"))
    assert (tmp_path / "cls_m.memb").read_text() == (tmp_path / "embed_m.memb").read_text()
    model = read_export(tmp_path)
    assert model.weights.shared_classifier
    assert model.weights.equals(QuantizedWeights.from_float(tiny_weights(SMALL, 2, shared_classifier=True)))


def test_cli_exports_a_llama2c_checkpoint(tmp_path: Path) -> None:
    w = tiny_weights(SMALL, 9)
    write_checkpoint(w, tmp_path / "m.bin")
    main(["--checkpoint", str(tmp_path / "m.bin"), "--out", str(tmp_path / "out"), "--format", "hex"])
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["seed"] is None
    assert read_export(tmp_path / "out").weights.equals(QuantizedWeights.from_float(w))
