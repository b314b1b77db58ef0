# Vitis HLS project for the rmsnorm kernel (flow: hls/common/run_hls.tcl).
#
#   vitis_hls -f hls/rmsnorm/run_hls.tcl          (from the repository root)
set kernel rmsnorm
set here [file dirname [file normalize [info script]]]
source [file join [file dirname $here] common run_hls.tcl]
