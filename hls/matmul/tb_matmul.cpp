// C testbench for matmul: runs every vector of a hls/vectors.py file (argv[1], default
// matmul_vectors.txt) and compares y with the golden's.
#include "../common/tb_vectors.h"
#include "matmul.h"

int main(int argc, char **argv) {
  FILE *f;
  const int count = ldv_tb_open(argc > 1 ? argv[1] : "matmul_vectors.txt", "matmul", &f);
  if (count < 0) return LDV_TB_BAD_FILE;
  static int8_t w[LDV_MAX_N * LDV_MAX_N];
  int8_t w_exp[LDV_MAX_N], x[LDV_MAX_N];
  int32_t y[LDV_MAX_N], expected[LDV_MAX_N], dims[3];
  bool ok = true;
  for (int v = 0; v < count && ok; v++) {
    if (!ldv_tb_read(f, dims, 3, "d n x_exp")) return LDV_TB_BAD_FILE;
    const int d = dims[0], n = dims[1];
    if (d < 1 || d > LDV_MAX_N || n < 1 || n > LDV_MAX_N) return LDV_TB_BAD_FILE;
    if (!ldv_tb_read(f, w, d * n, "w") || !ldv_tb_read(f, w_exp, d, "w_exp") || !ldv_tb_read(f, x, n, "x") ||
        !ldv_tb_read(f, expected, d, "expected"))
      return LDV_TB_BAD_FILE;
    matmul(w, w_exp, x, dims[2], y, n, d);
    ok = ldv_tb_equal("matmul", v, expected, y, d);
  }
  return ldv_tb_finish("matmul", f, count, ok);
}
