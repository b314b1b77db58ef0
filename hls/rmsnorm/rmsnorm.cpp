// rmsnorm -- ap_ctrl_hs block protocol, single-port ap_memory arrays, n as ap_none.
// 1 <= n <= LDV_MAX_N.
#include "rmsnorm.h"

#include "../common/fixed.h"

void rmsnorm(int32_t out[LDV_MAX_N], const int32_t x[LDV_MAX_N], const int32_t w[LDV_MAX_N],
             int32_t n) {
#pragma HLS INTERFACE mode=ap_ctrl_hs port=return
#pragma HLS INTERFACE mode=ap_memory port=out storage_type=ram_1p
#pragma HLS INTERFACE mode=ap_memory port=x storage_type=ram_1p
#pragma HLS INTERFACE mode=ap_memory port=w storage_type=ram_1p
#pragma HLS INTERFACE mode=ap_none port=n

  int64_t ss = 0;
sum_squares:
  for (int i = 0; i < n; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LDV_MAX_N
#pragma HLS PIPELINE II=1
    ss += ldv_rshr((int64_t)x[i] * x[i], LDV_FRAC);
  }
  int64_t ms = ss / n;
  if (ms > LDV_INT32_MAX) ms = LDV_INT32_MAX;
  const int64_t r = ldv_invsqrt_f(ldv_sat32(ms + LDV_EPS));

scale:
  for (int i = 0; i < n; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LDV_MAX_N
#pragma HLS PIPELINE II=1
    out[i] = ldv_mul_f(ldv_mul_f(x[i], r), w[i]);
  }
}
