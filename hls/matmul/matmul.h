// matmul: y = W x with int8 rows (one exponent each) and an Act vector x (docs/hls-kernels.md).
#ifndef LLAMA_DV_MATMUL_H
#define LLAMA_DV_MATMUL_H

#include <stdint.h>

#include "../common/config.h"

void matmul(const int8_t *w, const int8_t *w_exp, const int8_t *x, int32_t x_exp, int32_t *y,
            int32_t n, int32_t d);

#endif
