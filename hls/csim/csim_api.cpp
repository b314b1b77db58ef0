// C entry points for ctypes: batches of vectors through the real kernel functions (streams
// filled and drained through the g++ hls::stream shim) and through selected primitives.
//
// Every function returns 0 on success or a negative LDV_CSIM_E* code; hls/csim.py checks
// arguments first and names them, so these codes only guard the C side against misuse.
#include <stdint.h>
#include <string.h>

#include "../attention/attention.h"
#include "../common/fixed.h"
#include "../matmul/matmul.h"
#include "../rmsnorm/rmsnorm.h"
#include "../rope/rope.h"
#include "../softmax/softmax.h"

enum {
  LDV_CSIM_OK = 0,
  LDV_CSIM_EARG = -1,     // size or range argument outside the kernel's contract
  LDV_CSIM_ESTREAM = -2,  // output stream had the wrong word count or TLAST placement
};

// Drains exactly `n` words from `s` into out; checks TLAST is set on the last word only.
static int drain(hls::stream<ldv_axis_t> &s, int32_t *out, int n) {
  for (int i = 0; i < n; i++) {
    if (s.empty()) return LDV_CSIM_ESTREAM;
    const ldv_axis_t w = s.read();
    if (w.last != (i == n - 1) || w.keep != 0xF || w.strb != 0xF) return LDV_CSIM_ESTREAM;
    out[i] = ldv_axis_data(w);
  }
  return s.empty() ? LDV_CSIM_OK : LDV_CSIM_ESTREAM;
}

extern "C" {

int ldv_csim_fault_rounding(void) { return LDV_FAULT_ROUNDING; }

int ldv_csim_max_n(void) { return LDV_MAX_N; }

int ldv_csim_hd(void) { return LDV_HD; }

int ldv_csim_seq(void) { return LDV_SEQ; }

// w [batch][d][n], w_exp [batch][d], x [batch][n], x_exp [batch] -> y [batch][d].
int ldv_csim_matmul(int batch, int d, int n, const int8_t *w, const int8_t *w_exp,
                    const int8_t *x, const int32_t *x_exp, int32_t *y) {
  if (batch < 0 || n < 1 || n > LDV_MAX_N || d < 1 || d > LDV_MAX_N) return LDV_CSIM_EARG;
  for (int b = 0; b < batch; b++)
    matmul(w + (int64_t)b * d * n, w_exp + (int64_t)b * d, x + (int64_t)b * n, x_exp[b],
           y + (int64_t)b * d, n, d);
  return LDV_CSIM_OK;
}

// x, g [batch][n] -> out [batch][n].
int ldv_csim_rmsnorm(int batch, int n, const int32_t *x, const int32_t *g, int32_t *out) {
  if (batch < 0 || n < 1 || n > LDV_MAX_N) return LDV_CSIM_EARG;
  int32_t xb[LDV_MAX_N], gb[LDV_MAX_N], ob[LDV_MAX_N];
  for (int b = 0; b < batch; b++) {
    memset(xb, 0, sizeof xb);
    memset(gb, 0, sizeof gb);
    memcpy(xb, x + (int64_t)b * n, n * sizeof(int32_t));
    memcpy(gb, g + (int64_t)b * n, n * sizeof(int32_t));
    rmsnorm(ob, xb, gb, n);
    memcpy(out + (int64_t)b * n, ob, n * sizeof(int32_t));
  }
  return LDV_CSIM_OK;
}

// x [batch][n], pos [batch] -> out [batch][n].
int ldv_csim_rope(int batch, int n, const int32_t *x, const int32_t *pos, int32_t *out) {
  if (batch < 0 || n < 2 || n > LDV_MAX_N || n % 2 != 0) return LDV_CSIM_EARG;
  for (int b = 0; b < batch; b++) {
    if (pos[b] < 0 || pos[b] >= LDV_SEQ) return LDV_CSIM_EARG;
    hls::stream<ldv_axis_t> in_r, out_r;
    for (int i = 0; i < n; i++) in_r.write(ldv_axis_word(x[(int64_t)b * n + i], i == n - 1));
    rope(in_r, out_r, pos[b], n);
    if (!in_r.empty()) return LDV_CSIM_ESTREAM;
    const int rc = drain(out_r, out + (int64_t)b * n, n);
    if (rc != LDV_CSIM_OK) return rc;
  }
  return LDV_CSIM_OK;
}

// q [batch][HD], k/v [batch][SEQ][HD], k_exp/v_exp [batch][SEQ], pos [batch] -> out [batch][HD].
int ldv_csim_attention(int batch, const int32_t *q, const int8_t *k, const int8_t *k_exp,
                       const int8_t *v, const int8_t *v_exp, const int32_t *pos, int32_t *out) {
  if (batch < 0) return LDV_CSIM_EARG;
  const int64_t rows = (int64_t)LDV_SEQ * LDV_HD;
  for (int b = 0; b < batch; b++) {
    if (pos[b] < 0 || pos[b] >= LDV_SEQ) return LDV_CSIM_EARG;
    hls::stream<ldv_axis_t> q_s, out_r;
    for (int i = 0; i < LDV_HD; i++) q_s.write(ldv_axis_word(q[(int64_t)b * LDV_HD + i], i == LDV_HD - 1));
    attention(q_s, k + b * rows, k_exp + (int64_t)b * LDV_SEQ, v + b * rows,
              v_exp + (int64_t)b * LDV_SEQ, out_r, pos[b]);
    if (!q_s.empty()) return LDV_CSIM_ESTREAM;
    const int rc = drain(out_r, out + (int64_t)b * LDV_HD, LDV_HD);
    if (rc != LDV_CSIM_OK) return rc;
  }
  return LDV_CSIM_OK;
}

// s [batch][n] -> p [batch][n] through the softmax kernel.
int ldv_csim_softmax(int batch, int n, const int32_t *s, int32_t *p) {
  if (batch < 0 || n < 1 || n > LDV_MAX_N) return LDV_CSIM_EARG;
  int32_t sb[LDV_MAX_N], pb[LDV_MAX_N];
  for (int b = 0; b < batch; b++) {
    memset(sb, 0, sizeof sb);
    memcpy(sb, s + (int64_t)b * n, n * sizeof(int32_t));
    softmax(pb, sb, n);
    memcpy(p + (int64_t)b * n, pb, n * sizeof(int32_t));
  }
  return LDV_CSIM_OK;
}

// Element-wise ldv_exp_f over count F raws.
int ldv_csim_exp_f(int64_t count, const int32_t *x, int interp, int32_t *out) {
  for (int64_t i = 0; i < count; i++) out[i] = ldv_exp_f(x[i], interp != 0);
  return LDV_CSIM_OK;
}

// Element-wise ldv_invsqrt_f over count positive F raws.
int ldv_csim_invsqrt_f(int64_t count, const int32_t *v, int32_t *out) {
  for (int64_t i = 0; i < count; i++) {
    if (v[i] <= 0) return LDV_CSIM_EARG;
    out[i] = ldv_invsqrt_f(v[i]);
  }
  return LDV_CSIM_OK;
}

// x [batch][n] -> mantissas m [batch][n] and exponents e [batch].
int ldv_csim_quantize(int batch, int n, const int32_t *x, int8_t *m, int32_t *e) {
  if (batch < 0 || n < 1) return LDV_CSIM_EARG;
  for (int b = 0; b < batch; b++) e[b] = ldv_quantize(x + (int64_t)b * n, n, m + (int64_t)b * n);
  return LDV_CSIM_OK;
}

}  // extern "C"
