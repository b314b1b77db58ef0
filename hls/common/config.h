// Sizes shared by every llama-dv HLS kernel (docs/hls-kernels.md, "Common constants").
#ifndef LLAMA_DV_CONFIG_H
#define LLAMA_DV_CONFIG_H

#define LDV_MAX_N 256  // longest vector / matrix row a kernel accepts
#define LDV_HD 16      // attention head size
#define LDV_SEQ 16     // KV-cache rows (maximum context length)

// 1/sqrt(LDV_HD) as an F raw: round(2^20 / sqrt(16)) = 2^18 (docs/numerics.md, attention).
#define LDV_INV_SQRT_HD 262144

#endif
