// C testbench for rmsnorm: runs every vector of a hls/vectors.py file (argv[1], default
// rmsnorm_vectors.txt) and compares out with the golden's.
#include "../common/tb_vectors.h"
#include "rmsnorm.h"

int main(int argc, char **argv) {
  FILE *f;
  const int count = ldv_tb_open(argc > 1 ? argv[1] : "rmsnorm_vectors.txt", "rmsnorm", &f);
  if (count < 0) return LDV_TB_BAD_FILE;
  int32_t x[LDV_MAX_N], w[LDV_MAX_N], out[LDV_MAX_N], expected[LDV_MAX_N], n;
  bool ok = true;
  for (int v = 0; v < count && ok; v++) {
    if (!ldv_tb_read(f, &n, 1, "n") || n < 1 || n > LDV_MAX_N) return LDV_TB_BAD_FILE;
    if (!ldv_tb_read(f, x, n, "x") || !ldv_tb_read(f, w, n, "w") || !ldv_tb_read(f, expected, n, "expected"))
      return LDV_TB_BAD_FILE;
    rmsnorm(out, x, w, n);
    ok = ldv_tb_equal("rmsnorm", v, expected, out, n);
  }
  return ldv_tb_finish("rmsnorm", f, count, ok);
}
