"""M1 reference: the combinational attendHead top (HeadDim 8, 16-row register cache)
against the numpy golden for random caches, every position, heads with and without
max-update-heavy data. Combinational: inputs are applied, then outputs read 1 ns later."""
from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import Timer

from llama_dv.models.kernels import attention_head_fixed
from llama_dv.tb.clash.manifest import ClashManifest, pack_vec, to_unsigned, unpack_vec
from llama_dv.tb.common.scoreboard import compare_arrays
from llama_dv.tb.common.seeding import rng, test_seed
from llama_dv.tb.envs.clash_attend.sequences import SEQ_LEN, random_cache

HEADS = 4


@cocotb.test()
async def attend_head_all_positions(dut) -> None:
    manifest = ClashManifest.for_top(dut._name)
    manifest.check_dut(dut)
    hd = manifest.port("q").width // 32
    r = rng("clash_attend_head")
    txn = 0
    for head in range(HEADS):
        km, ke, vm, ve = random_cache(r, hd, rising=head % 2 == 1)
        dut.k.value = pack_vec(km.reshape(-1), 8)
        dut.ke.value = pack_vec(ke, 7)
        dut.v.value = pack_vec(vm.reshape(-1), 8)
        dut.ve.value = pack_vec(ve, 7)
        for pos in range(SEQ_LEN):
            q = r.integers(0 if head % 2 else -(1 << 22), 1 << 22, hd)
            dut.q.value = pack_vec(q, 32)
            dut.pos.value = to_unsigned(pos, 4)
            await Timer(1, "ns")
            got = np.array(unpack_vec(int(dut.out.value), hd, 32))
            compare_arrays(attention_head_fixed(q, km, ke, vm, ve, pos, hd), got,
                           what=f"{manifest.top} output", txn_id=txn, seed=test_seed(),
                           context=f"pos {pos} head {head}")
            txn += 1
