// matmul -- Vitis kernel flow: m_axi bundle gmem for the data, s_axilite for the control
// and the scalar arguments (register map in docs/hls-kernels.md).
//
// y[i] = matvec(w[i*n .. i*n+n-1], w_exp[i], x[0..n-1], x_exp) for i < d, with
// 1 <= n, d <= LDV_MAX_N. w is read row by row (w^T x order: contiguous bursts).
#include "matmul.h"

#include "../common/fixed.h"

void matmul(const int8_t *w, const int8_t *w_exp, const int8_t *x, int32_t x_exp, int32_t *y,
            int32_t n, int32_t d) {
#pragma HLS INTERFACE mode=m_axi port=w offset=slave bundle=gmem depth=65536
#pragma HLS INTERFACE mode=m_axi port=w_exp offset=slave bundle=gmem depth=256
#pragma HLS INTERFACE mode=m_axi port=x offset=slave bundle=gmem depth=256
#pragma HLS INTERFACE mode=m_axi port=y offset=slave bundle=gmem depth=256
#pragma HLS INTERFACE mode=s_axilite port=w
#pragma HLS INTERFACE mode=s_axilite port=w_exp
#pragma HLS INTERFACE mode=s_axilite port=x
#pragma HLS INTERFACE mode=s_axilite port=x_exp
#pragma HLS INTERFACE mode=s_axilite port=y
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=d
#pragma HLS INTERFACE mode=s_axilite port=return

  int8_t xb[LDV_MAX_N];
  int8_t wb[LDV_MAX_N];
#pragma HLS ARRAY_PARTITION variable=xb type=cyclic factor=16
#pragma HLS ARRAY_PARTITION variable=wb type=cyclic factor=16

load_x:
  for (int j = 0; j < n; j++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LDV_MAX_N
#pragma HLS PIPELINE II=1
    xb[j] = x[j];
  }

rows:
  for (int i = 0; i < d; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LDV_MAX_N
  load_row:
    for (int j = 0; j < n; j++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LDV_MAX_N
#pragma HLS PIPELINE II=1
      wb[j] = w[(int64_t)i * n + j];
    }
    y[i] = ldv_matvec_row(wb, w_exp[i], xb, x_exp, n);
  }
}
