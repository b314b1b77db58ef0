"""Vitis HLS C++ kernels of llama-dv and their g++ C-simulation oracle (`hls.csim`)."""
