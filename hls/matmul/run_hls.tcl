# Vitis HLS project for the matmul kernel (flow: hls/common/run_hls.tcl).
#
#   vitis_hls -f hls/matmul/run_hls.tcl          (from the repository root)
set kernel matmul
set here [file dirname [file normalize [info script]]]
source [file join [file dirname $here] common run_hls.tcl]
