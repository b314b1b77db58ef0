// rope: rotate adjacent pairs of an F vector by the position's angles (docs/numerics.md).
#ifndef LLAMA_DV_ROPE_H
#define LLAMA_DV_ROPE_H

#include <stdint.h>

#include "../common/config.h"
#include "../common/hls_compat.h"

void rope(hls::stream<ldv_axis_t> &in_r, hls::stream<ldv_axis_t> &out_r, int32_t pos, int32_t n);

#endif
