// C testbench for attention: streams every vector of a hls/vectors.py file (argv[1],
// default attention_vectors.txt) through the kernel, checks TLAST and the data.
#include "../common/tb_vectors.h"
#include "attention.h"

int main(int argc, char **argv) {
  FILE *f;
  const int count = ldv_tb_open(argc > 1 ? argv[1] : "attention_vectors.txt", "attention", &f);
  if (count < 0) return LDV_TB_BAD_FILE;
  int8_t k[LDV_SEQ * LDV_HD], v_cache[LDV_SEQ * LDV_HD], ke[LDV_SEQ], ve[LDV_SEQ];
  int32_t q[LDV_HD], out[LDV_HD], expected[LDV_HD], pos;
  bool ok = true;
  for (int v = 0; v < count && ok; v++) {
    if (!ldv_tb_read(f, &pos, 1, "pos") || pos < 0 || pos >= LDV_SEQ) return LDV_TB_BAD_FILE;
    if (!ldv_tb_read(f, q, LDV_HD, "q") || !ldv_tb_read(f, k, LDV_SEQ * LDV_HD, "k_cache") ||
        !ldv_tb_read(f, ke, LDV_SEQ, "k_exp") || !ldv_tb_read(f, v_cache, LDV_SEQ * LDV_HD, "v_cache") ||
        !ldv_tb_read(f, ve, LDV_SEQ, "v_exp") || !ldv_tb_read(f, expected, LDV_HD, "expected"))
      return LDV_TB_BAD_FILE;
    hls::stream<ldv_axis_t> q_s, out_r;
    for (int i = 0; i < LDV_HD; i++) q_s.write(ldv_axis_word(q[i], i == LDV_HD - 1));
    attention(q_s, k, ke, v_cache, ve, out_r, pos);
    for (int i = 0; i < LDV_HD && ok; i++) {
      const ldv_axis_t w = out_r.read();
      out[i] = ldv_axis_data(w);
      if ((bool)w.last != (i == LDV_HD - 1)) {
        printf("attention: vector %d, word %d: TLAST %d\n", v, i, (int)w.last);
        ok = false;
      }
    }
    ok = ok && ldv_tb_equal("attention", v, expected, out, LDV_HD);
  }
  return ldv_tb_finish("attention", f, count, ok);
}
