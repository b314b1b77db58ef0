// C testbench for softmax: runs every vector of a hls/vectors.py file (argv[1], default
// softmax_vectors.txt) and compares p with the golden's.
#include "../common/tb_vectors.h"
#include "softmax.h"

int main(int argc, char **argv) {
  FILE *f;
  const int count = ldv_tb_open(argc > 1 ? argv[1] : "softmax_vectors.txt", "softmax", &f);
  if (count < 0) return LDV_TB_BAD_FILE;
  int32_t s[LDV_MAX_N], p[LDV_MAX_N], expected[LDV_MAX_N], n;
  bool ok = true;
  for (int v = 0; v < count && ok; v++) {
    if (!ldv_tb_read(f, &n, 1, "n") || n < 1 || n > LDV_MAX_N) return LDV_TB_BAD_FILE;
    if (!ldv_tb_read(f, s, n, "s") || !ldv_tb_read(f, expected, n, "expected")) return LDV_TB_BAD_FILE;
    softmax(p, s, n);
    ok = ldv_tb_equal("softmax", v, expected, p, n);
  }
  return ldv_tb_finish("softmax", f, count, ok);
}
