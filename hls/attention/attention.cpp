// attention -- ap_ctrl_chain block protocol, axis q in / out_r out, ap_memory caches (the K
// cache dual-port so two key bytes are read per cycle), pos as ap_none.
// Reads LDV_HD q words, quantises q to Act, attends over rows 0..pos (0 <= pos < LDV_SEQ;
// row t at k_cache[t*LDV_HD + i]) and writes LDV_HD words with TLAST on the last one.
#include "attention.h"

#include "../common/fixed.h"

void attention(hls::stream<ldv_axis_t> &q, const int8_t k_cache[LDV_SEQ * LDV_HD],
               const int8_t k_exp[LDV_SEQ], const int8_t v_cache[LDV_SEQ * LDV_HD],
               const int8_t v_exp[LDV_SEQ], hls::stream<ldv_axis_t> &out_r, int32_t pos) {
#pragma HLS INTERFACE mode=ap_ctrl_chain port=return
#pragma HLS INTERFACE mode=axis port=q
#pragma HLS INTERFACE mode=axis port=out_r
#pragma HLS INTERFACE mode=ap_memory port=k_cache storage_type=rom_2p
#pragma HLS INTERFACE mode=ap_memory port=k_exp storage_type=rom_1p
#pragma HLS INTERFACE mode=ap_memory port=v_cache storage_type=rom_1p
#pragma HLS INTERFACE mode=ap_memory port=v_exp storage_type=rom_1p
#pragma HLS INTERFACE mode=ap_none port=pos

  int32_t qf[LDV_HD];
  int8_t qm[LDV_HD];
  int8_t kr[LDV_HD];
  int8_t vr[LDV_HD];
  int32_t out[LDV_HD];
  ldv_online_state st = {0, (int32_t)LDV_ONE, {0}};
#pragma HLS ARRAY_PARTITION variable=qf type=complete
#pragma HLS ARRAY_PARTITION variable=qm type=complete
#pragma HLS ARRAY_PARTITION variable=kr type=complete
#pragma HLS ARRAY_PARTITION variable=vr type=complete
#pragma HLS ARRAY_PARTITION variable=out type=complete

read_q:
  for (int i = 0; i < LDV_HD; i++) {
#pragma HLS PIPELINE II=1
    qf[i] = ldv_axis_data(q.read());
  }
  const int32_t qe = ldv_quantize(qf, LDV_HD, qm);

rows:
  for (int t = 0; t < LDV_SEQ; t++) {
    if (t > pos) break;
  load_k:  // two key bytes per cycle through the dual-port K cache
    for (int i = 0; i < LDV_HD; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS UNROLL factor=2
      kr[i] = k_cache[t * LDV_HD + i];
    }
  load_v:
    for (int i = 0; i < LDV_HD; i++) {
#pragma HLS PIPELINE II=1
      vr[i] = v_cache[t * LDV_HD + i];
    }
    const int32_t s = ldv_attention_score(qm, qe, kr, k_exp[t]);
    ldv_online_softmax_update(st, t == 0, s, vr, v_exp[t]);
  }
  ldv_online_softmax_finish(st, out);

write_out:
  for (int i = 0; i < LDV_HD; i++) {
#pragma HLS PIPELINE II=1
    out_r.write(ldv_axis_word(out[i], i == LDV_HD - 1));
  }
}
