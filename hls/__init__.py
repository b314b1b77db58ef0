"""Vitis HLS C++ kernels of llama-dv and their g++ C-simulation oracle (`llama_dv.hls.csim`)."""
