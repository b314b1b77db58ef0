// Fixed-point primitives of docs/numerics.md, one function per rule.
//
// The names match models/numerics.py (ldv_rshr <-> rshr, ...) so a reader can check the
// two side by side; tests/test_hls_csim.py proves they agree bit for bit. All arithmetic
// is done in int64_t; every function is static inline so Vitis HLS inlines it into the
// kernel and g++ compiles it as the C-simulation oracle.
#ifndef LLAMA_DV_FIXED_H
#define LLAMA_DV_FIXED_H

#include <stdint.h>

#include "config.h"
#include "tables.h"

// Negative-test switch: 1 makes ldv_rshr truncate (floor) instead of rounding half up,
// the classic rounding bug the bit-exactness tests must catch.
#ifndef LDV_FAULT_ROUNDING
#define LDV_FAULT_ROUNDING 0
#endif

#define LDV_FRAC 20
#define LDV_ONE ((int64_t)1 << LDV_FRAC)
#define LDV_INT32_MIN (-((int64_t)1 << 31))
#define LDV_INT32_MAX (((int64_t)1 << 31) - 1)
#define LDV_EXP_MIN (-64)
#define LDV_EXP_MAX 63

// x * 2^k without signed-shift undefined behaviour; the caller keeps the result in range.
static inline int64_t ldv_shl(int64_t x, int64_t k) {
  if (k > 63) k = 63;
  return (int64_t)((uint64_t)x << k);
}

// Round half up, then arithmetic shift right: (x + 2^(s-1)) >> s; x << -s for s < 0.
// Right shifts above 62 are clamped to 62 (the result is already 0 or -1).
static inline int64_t ldv_rshr(int64_t x, int64_t s) {
  if (s < 0) return ldv_shl(x, -s);
  if (s == 0) return x;
  if (s > 62) s = 62;
#if LDV_FAULT_ROUNDING
  return x >> s;
#else
  return (x + ((int64_t)1 << (s - 1))) >> s;
#endif
}

// Clamp to the signed `bits`-bit range [-2^(bits-1), 2^(bits-1) - 1].
static inline int64_t ldv_sat(int64_t x, int bits) {
  const int64_t hi = ((int64_t)1 << (bits - 1)) - 1;
  const int64_t lo = -hi - 1;
  return x < lo ? lo : (x > hi ? hi : x);
}

static inline int32_t ldv_sat32(int64_t x) { return (int32_t)ldv_sat(x, 32); }

static inline int8_t ldv_sat8(int64_t x) { return (int8_t)ldv_sat(x, 8); }

// sat32(rshr(x, s)) for any sign of s. A left shift first clamps x to [-2^31, 2^31] and
// the shift to 31, which leaves the saturated result unchanged and int64 overflow-free.
static inline int32_t ldv_shsat(int64_t x, int64_t s) {
  if (s > 0) return ldv_sat32(ldv_rshr(x, s));
  int64_t k = -s;
  if (k > 31) k = 31;
  const int64_t xc = x < LDV_INT32_MIN ? LDV_INT32_MIN : (x > -LDV_INT32_MIN ? -LDV_INT32_MIN : x);
  return ldv_sat32(ldv_shl(xc, k));
}

// Number of bits of a non-negative integer; bitlen(0) = 0.
static inline int ldv_bitlen(uint64_t m) {
  int n = 0;
  for (int i = 0; i < 64; i++) {
    if ((m >> i) != 0) n = i + 1;
  }
  return n;
}

// F vector -> Act: int8 mantissas m[0..n-1] and the returned exponent (docs: dynamic
// exponent). The all-zero vector gets exponent -27 and mantissas 0.
static inline int32_t ldv_quantize(const int32_t x[], int n, int8_t m[]) {
  uint64_t mag = 0;
  for (int i = 0; i < n; i++) {
    const int64_t v = x[i];
    const uint64_t a = (uint64_t)(v < 0 ? -v : v);
    if (a > mag) mag = a;
  }
  int64_t e = (int64_t)ldv_bitlen(mag) - 7 - LDV_FRAC;
  if (e < LDV_EXP_MIN) e = LDV_EXP_MIN;
  if (e > LDV_EXP_MAX) e = LDV_EXP_MAX;
  const int64_t s = e + LDV_FRAC;
  for (int i = 0; i < n; i++) m[i] = ldv_sat8(ldv_rshr(x[i], s));
  return (int32_t)e;
}

// Act -> F: sat32(m * 2^(e+20)).
static inline int32_t ldv_to_f(int64_t m, int64_t e) { return ldv_shsat(m, -(e + LDV_FRAC)); }

// expF(x) by exp2 decomposition and the 256-entry LUT, optionally interpolated (docs: exp).
static inline int32_t ldv_exp_f(int32_t x, bool interp) {
  const int64_t t = ldv_rshr((int64_t)x * LDV_LOG2E, LDV_FRAC);
  const int64_t n = t >> LDV_FRAC;
  const int64_t f = t & (LDV_ONE - 1);
  const int64_t i = f >> 12;
  const int64_t r = f & 4095;
  int64_t b = LDV_EXP2_LUT[i];
  if (interp) b += ldv_rshr(((int64_t)LDV_EXP2_LUT[i + 1] - LDV_EXP2_LUT[i]) * r, 12);
  return ldv_shsat(b, -n);
}

// floor(2^40 / d) for a positive F raw d: the F raw of 1/d.
static inline int64_t ldv_recip_f(int64_t d) { return ((int64_t)1 << 40) / d; }

// 1/sqrt(v) for a positive F raw v: LUT seed + one Newton-Raphson step (docs: RMSNorm).
static inline int32_t ldv_invsqrt_f(int64_t v) {
  const int64_t big_e = (int64_t)ldv_bitlen((uint64_t)v) - 1 - LDV_FRAC;
  const int64_t odd = big_e & 1;
  const int64_t sh = big_e - odd;
  const int64_t mr = sh >= 0 ? (v >> sh) : ldv_shl(v, -sh);
  const int64_t idx = (odd << 5) | ((mr >> (15 + odd)) & 31);
  const int64_t y0 = LDV_INVSQRT_LUT[idx];
  const int64_t y2 = ldv_rshr(y0 * y0, LDV_FRAC);
  const int64_t t = ldv_rshr(mr * y2, LDV_FRAC);
  const int64_t y1 = ldv_rshr(y0 * (3 * LDV_ONE - t), LDV_FRAC + 1);
  return ldv_shsat(y1, sh / 2);
}

// F x F -> F with one rounding.
static inline int32_t ldv_mul_f(int64_t a, int64_t b) { return ldv_sat32(ldv_rshr(a * b, LDV_FRAC)); }

// One row of y = W x (docs: MAC): exact int8 x int16 dot product, then the fused scale
// shift by -(w_exp + x_exp + 20) into an F raw.
static inline int32_t ldv_matvec_row(const int8_t w[], int64_t w_exp, const int8_t x[],
                                     int64_t x_exp, int n) {
  int64_t acc = 0;
  for (int j = 0; j < n; j++) acc += (int64_t)w[j] * (int16_t)x[j];
  return ldv_shsat(ldv_sat32(acc), -(w_exp + x_exp + LDV_FRAC));
}

// Two-pass softmax over s[0..n-1] into p[0..n-1] (docs: the `softmax` kernel golden).
static inline void ldv_softmax(const int32_t s[], int n, int32_t p[]) {
  int32_t mx = s[0];
  for (int i = 1; i < n; i++) mx = s[i] > mx ? s[i] : mx;
  int64_t d = 0;
  for (int i = 0; i < n; i++) {
    p[i] = ldv_exp_f(ldv_sat32((int64_t)s[i] - mx), true);
    d += p[i];
  }
  const int64_t r = ldv_recip_f(d);
  for (int i = 0; i < n; i++) p[i] = ldv_sat32(ldv_rshr((int64_t)p[i] * r, LDV_FRAC));
}

// Attention score of one cache row: sat32(rshr(sF * INV_SQRT_HD, 20)) with sF the scaled
// dot product of the quantised query and the row's int8 keys (docs: online softmax).
static inline int32_t ldv_attention_score(const int8_t qm[LDV_HD], int64_t qe,
                                          const int8_t k[LDV_HD], int64_t ke) {
  int64_t dot = 0;
  for (int m = 0; m < LDV_HD; m++) dot += (int64_t)qm[m] * k[m];
  const int32_t sf = ldv_shsat(ldv_sat32(dot), -(qe + ke + LDV_FRAC));
  return ldv_sat32(ldv_rshr((int64_t)sf * LDV_INV_SQRT_HD, LDV_FRAC));
}

// vterm(t, i, w) = sat32(rshr(V[t][i] * w, -ev[t])): an Act value times an F weight.
static inline int32_t ldv_vterm(int8_t v, int64_t ev, int64_t w) { return ldv_shsat((int64_t)v * w, -ev); }

// Streaming state of the online softmax over a KV cache.
struct ldv_online_state {
  int32_t mx;
  int32_t d;
  int32_t acc[LDV_HD];
};

// Row t = 0: mx = s, d = 2^20, acc_i = vterm(0, i, 2^20).
static inline void ldv_online_softmax_init(ldv_online_state &st, int32_t s, const int8_t v[LDV_HD],
                                           int64_t ev) {
  st.mx = s;
  st.d = (int32_t)LDV_ONE;
  for (int i = 0; i < LDV_HD; i++) st.acc[i] = ldv_vterm(v[i], ev, LDV_ONE);
}

// Row t > 0: rescale (d, acc) to the new running max and add row t's weight.
static inline void ldv_online_softmax_step(ldv_online_state &st, int32_t s, const int8_t v[LDV_HD],
                                           int64_t ev) {
  const int32_t new_mx = s > st.mx ? s : st.mx;
  const int64_t a = ldv_exp_f(ldv_sat32((int64_t)st.mx - new_mx), true);
  const int64_t b = ldv_exp_f(ldv_sat32((int64_t)s - new_mx), true);
  st.d = ldv_sat32(ldv_rshr(st.d * a, LDV_FRAC) + b);
  for (int i = 0; i < LDV_HD; i++)
    st.acc[i] = ldv_sat32(ldv_rshr(st.acc[i] * a, LDV_FRAC) + ldv_vterm(v[i], ev, b));
  st.mx = new_mx;
}

// Row t of the stream: init for t = 0 (`first`), a step otherwise.
static inline void ldv_online_softmax_update(ldv_online_state &st, bool first, int32_t s,
                                             const int8_t v[LDV_HD], int64_t ev) {
  if (first)
    ldv_online_softmax_init(st, s, v, ev);
  else
    ldv_online_softmax_step(st, s, v, ev);
}

// Output: out_i = sat32(rshr(acc_i * recipF(d), 20)).
static inline void ldv_online_softmax_finish(const ldv_online_state &st, int32_t out[LDV_HD]) {
  const int64_t r = ldv_recip_f(st.d);
  for (int i = 0; i < LDV_HD; i++) out[i] = ldv_sat32(ldv_rshr(st.acc[i] * r, LDV_FRAC));
}

#endif
