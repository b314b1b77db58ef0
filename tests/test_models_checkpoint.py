"""llama2.c checkpoint round trip and the errors a malformed file must raise."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from llama_dv.models.checkpoint import (HEADER_BYTES, CheckpointError, expected_size, read_checkpoint,
                               write_checkpoint)
from llama_dv.models.config import SMALL, ConfigError, ModelConfig
from llama_dv.models.tinymodel import tiny_weights


@pytest.mark.parametrize("shared", [True, False])
def test_round_trip_is_identical(tmp_path: Path, shared: bool) -> None:
    w = tiny_weights(SMALL, 3, shared_classifier=shared)
    path = tmp_path / "model.bin"
    write_checkpoint(w, path)
    assert path.stat().st_size == expected_size(SMALL, shared)
    header = np.frombuffer(path.read_bytes()[:HEADER_BYTES], "<i4")
    assert list(header) == [64, 128, 2, 4, 2, 64 if shared else -64, 16]
    back = read_checkpoint(path)
    assert back.shared_classifier == shared
    assert back.equals(w)


def test_llama2c_layout_offsets(tmp_path: Path) -> None:
    """wq starts after the embedding and rms_att; wcls sits after the RoPE tables."""
    w = tiny_weights(SMALL, 4, shared_classifier=False)
    path = tmp_path / "m.bin"
    write_checkpoint(w, path)
    data = np.frombuffer(path.read_bytes()[HEADER_BYTES:], "<f4")
    d, L, V = SMALL.dim, SMALL.n_layers, SMALL.vocab_size
    wq_at = V * d + L * d
    assert np.array_equal(data[wq_at:wq_at + d], w.wq[0, 0].astype(np.float32))
    assert np.array_equal(data[-V * d:], w.wcls.reshape(-1).astype(np.float32))
    rope_at = data.size - V * d - 2 * SMALL.seq_len * SMALL.head_dim // 2
    assert data[rope_at] == 1.0  # cos(0)


def _written(tmp_path: Path, shared: bool = True) -> Path:
    path = tmp_path / "model.bin"
    write_checkpoint(tiny_weights(SMALL, 1, shared_classifier=shared), path)
    return path


def _patch_header(path: Path, index: int, value: int) -> None:
    data = bytearray(path.read_bytes())
    data[4 * index:4 * index + 4] = np.int32(value).tobytes()
    path.write_bytes(bytes(data))


def test_short_header(tmp_path: Path) -> None:
    path = tmp_path / "short.bin"
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(CheckpointError, match=re.escape(f"{path}: header: expected 28 bytes (7 int32), found 10")):
        read_checkpoint(path)


@pytest.mark.parametrize("index,value,field", [
    (0, 0, "dim"), (1, -5, "hidden_dim"), (2, 0, "n_layers"), (3, 5, "n_heads"),
    (4, 3, "n_kv_heads"), (5, 0, "vocab_size"), (6, 0, "seq_len"),
])
def test_bad_header_names_the_field(tmp_path: Path, index: int, value: int, field: str) -> None:
    path = _written(tmp_path)
    _patch_header(path, index, value)
    with pytest.raises(CheckpointError, match=rf"{re.escape(str(path))}: header field {field}"):
        read_checkpoint(path)


@pytest.mark.parametrize("shared", [True, False])
def test_truncated_names_field_and_byte_counts(tmp_path: Path, shared: bool) -> None:
    path = _written(tmp_path, shared)
    size = expected_size(SMALL, shared)
    path.write_bytes(path.read_bytes()[:size - 6])
    last = "freq_cis_imag" if shared else "wcls"
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: truncated in {last}: expected ")
    assert f"(file is {size - 6} bytes, expected {size})" in msg


def test_truncated_inside_a_layer_matrix(tmp_path: Path) -> None:
    path = _written(tmp_path)
    cut = HEADER_BYTES + 4 * (64 * 64 + 2 * 64 + 100)  # 100 floats into wq
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(CheckpointError, match=rf"truncated in wq: expected {4 * 2 * 64 * 64} bytes at offset "
                                              rf"{HEADER_BYTES + 4 * (64 * 64 + 2 * 64)}, found 400"):
        read_checkpoint(path)


def test_trailing_garbage(tmp_path: Path) -> None:
    path = _written(tmp_path)
    path.write_bytes(path.read_bytes() + b"junk")
    size = expected_size(SMALL, True)
    with pytest.raises(CheckpointError, match=re.escape(
            f"{path}: 4 trailing bytes after the last field: expected {size} bytes, found {size + 4}")):
        read_checkpoint(path)


def test_shared_file_read_as_unshared_is_caught(tmp_path: Path) -> None:
    """Flipping the sign of vocab_size changes the expected size: the reader must notice."""
    path = _written(tmp_path, shared=True)
    _patch_header(path, 5, -64)
    with pytest.raises(CheckpointError, match="truncated in wcls"):
        read_checkpoint(path)


@pytest.mark.parametrize("kwargs,field", [
    (dict(dim=63), "n_heads"), (dict(n_kv_heads=3), "n_kv_heads"), (dict(dim=True), "dim"),
    (dict(seq_len=-1), "seq_len"), (dict(dim=36, n_heads=4), "dim"),
])
def test_config_validation_names_the_field(kwargs, field) -> None:
    base = SMALL.to_dict() | kwargs
    with pytest.raises(ConfigError) as err:
        ModelConfig(**base)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


def test_small_config_derived_sizes() -> None:
    assert (SMALL.head_dim, SMALL.kv_dim, SMALL.group) == (16, 32, 2)
