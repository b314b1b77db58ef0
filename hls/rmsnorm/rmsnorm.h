// rmsnorm: out = x / rms(x) * w in F raws (docs/numerics.md, RMSNorm).
#ifndef LLAMA_DV_RMSNORM_H
#define LLAMA_DV_RMSNORM_H

#include <stdint.h>

#include "../common/config.h"

void rmsnorm(int32_t out[LDV_MAX_N], const int32_t x[LDV_MAX_N], const int32_t w[LDV_MAX_N],
             int32_t n);

#endif
