// softmax: two-pass fixed-point softmax over n F scores (docs/numerics.md, Softmax).
#ifndef LLAMA_DV_SOFTMAX_H
#define LLAMA_DV_SOFTMAX_H

#include <stdint.h>

#include "../common/config.h"

void softmax(int32_t p[LDV_MAX_N], const int32_t s[LDV_MAX_N], int32_t n);

#endif
