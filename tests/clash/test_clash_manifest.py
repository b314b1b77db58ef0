"""Manifest binding: everything the testbench knows about a Clash top's pins comes from
clash-manifest.json, and bad input is reported with the file and the name."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from llama_dv.tb.clash.duts import TOPS, clash_duts
from llama_dv.tb.clash.manifest import GEN_DIR, ClashManifest, ManifestError, pack_vec, unpack_vec

pytestmark = pytest.mark.skipif(not (GEN_DIR / "attend_seq_hd8").is_dir(), reason="rtl/gen has no Clash output")


def test_clocked_top_binding() -> None:
    m = ClashManifest.for_top("attend_seq_hd8")
    assert m.clock is not None and m.clock.name == "clk"
    assert m.reset is not None and m.reset.name == "rst"
    assert m.domain is not None and m.domain.period_ps == 10000
    assert (m.domain.reset_kind, m.domain.reset_polarity) == ("Asynchronous", "ActiveHigh")
    assert m.port("in_q").width == 8 * 32
    assert m.port("kv_wke").signed and not m.port("in_pos").signed
    assert m.verilog.is_file()


def test_combinational_top_has_no_domain() -> None:
    m = ClashManifest.for_top("online_softmax_step")
    assert m.clock is None and m.reset is None and m.domain is None


def test_every_registered_top_has_a_manifest() -> None:
    assert set(clash_duts()) == {f"clash_{t}" for t in TOPS}


def test_unknown_port_names_the_top_and_the_port() -> None:
    with pytest.raises(ManifestError, match="attend_seq_hd8 has no port 'in_k'"):
        ClashManifest.for_top("attend_seq_hd8").port("in_k")


def test_unreadable_manifest_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "clash-manifest.json"
    bad.write_text(json.dumps({"components": []}))
    with pytest.raises(ManifestError, match=str(bad)):
        ClashManifest.load(bad)


def test_vec_packing_puts_element_zero_in_the_msbs() -> None:
    assert pack_vec([1, -1], 8) == 0x01FF
    assert unpack_vec(0x01FF, 2, 8) == [1, -1]
    with pytest.raises(ValueError, match="does not fit"):
        pack_vec([128, 0], 7)
