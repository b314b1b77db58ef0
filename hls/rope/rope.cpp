// rope -- ap_ctrl_chain block protocol, axis in/out, pos and n as ap_none.
// Reads n F words (n even, 2 <= n <= LDV_MAX_N), writes n rotated words with TLAST on word
// n-1. 0 <= pos < LDV_SEQ. Pair k = (x[2k], x[2k+1]) uses frequency j = k mod (LDV_HD/2).
#include "rope.h"

#include "../common/fixed.h"

#if LDV_ROPE_SEQ_LEN != LDV_SEQ || LDV_ROPE_HEAD_DIM != LDV_HD
#error "hls/common/tables.h was generated for another SEQ/HD than hls/common/config.h"
#endif

void rope(hls::stream<ldv_axis_t> &in_r, hls::stream<ldv_axis_t> &out_r, int32_t pos, int32_t n) {
#pragma HLS INTERFACE mode=ap_ctrl_chain port=return
#pragma HLS INTERFACE mode=axis port=in_r
#pragma HLS INTERFACE mode=axis port=out_r
#pragma HLS INTERFACE mode=ap_none port=pos
#pragma HLS INTERFACE mode=ap_none port=n

pairs:
  for (int k = 0; k < n / 2; k++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LDV_MAX_N/2
#pragma HLS PIPELINE II=2
    const int64_t x0 = ldv_axis_data(in_r.read());
    const int64_t x1 = ldv_axis_data(in_r.read());
    const int j = k % (LDV_HD / 2);
    const int64_t c = LDV_ROPE_COS[pos * (LDV_HD / 2) + j];
    const int64_t s = LDV_ROPE_SIN[pos * (LDV_HD / 2) + j];
    out_r.write(ldv_axis_word(ldv_sat32(ldv_rshr(x0 * c - x1 * s, LDV_FRAC)), false));
    out_r.write(ldv_axis_word(ldv_sat32(ldv_rshr(x0 * s + x1 * c, LDV_FRAC)), 2 * k + 1 == n - 1));
  }
}
