// attention: one head over KV-cache rows 0..pos with the online softmax (docs/numerics.md).
#ifndef LLAMA_DV_ATTENTION_H
#define LLAMA_DV_ATTENTION_H

#include <stdint.h>

#include "../common/config.h"
#include "../common/hls_compat.h"

void attention(hls::stream<ldv_axis_t> &q, const int8_t k_cache[LDV_SEQ * LDV_HD],
               const int8_t k_exp[LDV_SEQ], const int8_t v_cache[LDV_SEQ * LDV_HD],
               const int8_t v_exp[LDV_SEQ], hls::stream<ldv_axis_t> &out_r, int32_t pos);

#endif
