// softmax -- ap_ctrl_hs block protocol, ap_memory arrays, n as ap_none; 1 <= n <= LDV_MAX_N.
// The C++ twin of models.kernels.softmax_fixed (attention itself uses the online form).
#include "softmax.h"

#include "../common/fixed.h"

void softmax(int32_t p[LDV_MAX_N], const int32_t s[LDV_MAX_N], int32_t n) {
#pragma HLS INTERFACE mode=ap_ctrl_hs port=return
#pragma HLS INTERFACE mode=ap_memory port=p storage_type=ram_1p
#pragma HLS INTERFACE mode=ap_memory port=s storage_type=ram_1p
#pragma HLS INTERFACE mode=ap_none port=n
  ldv_softmax(s, n, p);
}
