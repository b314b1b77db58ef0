// Reading hls/vectors.py files in the kernels' C++ testbenches (Vitis csim_design or g++).
//
// Each testbench runs its kernel on every vector, compares with the golden's expected
// output and returns 0 (all equal), 1 (a mismatch, the first one printed) or 2 (bad file).
#ifndef LLAMA_DV_TB_VECTORS_H
#define LLAMA_DV_TB_VECTORS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LDV_TB_PASS 0
#define LDV_TB_MISMATCH 1
#define LDV_TB_BAD_FILE 2

// Opens `path` and checks its header names `kernel`; returns the vector count or -1.
static int ldv_tb_open(const char *path, const char *kernel, FILE **f) {
  char name[32];
  int count = -1;
  *f = fopen(path, "r");
  if (*f == NULL) {
    fprintf(stderr, "%s: cannot open vector file %s\n", kernel, path);
    return -1;
  }
  if (fscanf(*f, "%31s %d", name, &count) != 2 || strcmp(name, kernel) != 0 || count < 1) {
    fprintf(stderr, "%s: %s is not a %s vector file (header \"%s %d\")\n", kernel, path, kernel, name, count);
    return -1;
  }
  return count;
}

// Reads n integers into dst; false (and a message naming the file position) on failure.
template <typename T>
static bool ldv_tb_read(FILE *f, T *dst, int n, const char *what) {
  for (int i = 0; i < n; i++) {
    long long v;
    if (fscanf(f, "%lld", &v) != 1) {
      fprintf(stderr, "vector file ended or is malformed while reading %s[%d]\n", what, i);
      return false;
    }
    dst[i] = (T)v;
  }
  return true;
}

// Compares one output vector; prints the first difference.
static bool ldv_tb_equal(const char *kernel, int vector, const int32_t *expected, const int32_t *actual, int n) {
  for (int i = 0; i < n; i++) {
    if (expected[i] != actual[i]) {
      printf("%s: vector %d, element %d: expected %d, got %d\n", kernel, vector, i, expected[i], actual[i]);
      return false;
    }
  }
  return true;
}

static int ldv_tb_finish(const char *kernel, FILE *f, int count, bool ok) {
  fclose(f);
  if (ok) printf("%s: %d vectors bit-exact with the golden\n", kernel, count);
  return ok ? LDV_TB_PASS : LDV_TB_MISMATCH;
}

#endif
