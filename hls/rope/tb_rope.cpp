// C testbench for rope: streams every vector of a hls/vectors.py file (argv[1], default
// rope_vectors.txt) through the kernel, checks TLAST on the last word and the data.
#include "../common/tb_vectors.h"
#include "rope.h"

int main(int argc, char **argv) {
  FILE *f;
  const int count = ldv_tb_open(argc > 1 ? argv[1] : "rope_vectors.txt", "rope", &f);
  if (count < 0) return LDV_TB_BAD_FILE;
  int32_t x[LDV_MAX_N], out[LDV_MAX_N], expected[LDV_MAX_N], hdr[2];
  bool ok = true;
  for (int v = 0; v < count && ok; v++) {
    if (!ldv_tb_read(f, hdr, 2, "n pos")) return LDV_TB_BAD_FILE;
    const int n = hdr[0];
    if (n < 2 || n > LDV_MAX_N || n % 2 != 0 || hdr[1] < 0 || hdr[1] >= LDV_SEQ) return LDV_TB_BAD_FILE;
    if (!ldv_tb_read(f, x, n, "x") || !ldv_tb_read(f, expected, n, "expected")) return LDV_TB_BAD_FILE;
    hls::stream<ldv_axis_t> in_r, out_r;
    for (int i = 0; i < n; i++) in_r.write(ldv_axis_word(x[i], i == n - 1));
    rope(in_r, out_r, hdr[1], n);
    for (int i = 0; i < n && ok; i++) {
      const ldv_axis_t w = out_r.read();
      out[i] = ldv_axis_data(w);
      if ((bool)w.last != (i == n - 1)) {
        printf("rope: vector %d, word %d: TLAST %d\n", v, i, (int)w.last);
        ok = false;
      }
    }
    ok = ok && ldv_tb_equal("rope", v, expected, out, n);
  }
  return ldv_tb_finish("rope", f, count, ok);
}
