# Vitis HLS project for the attention kernel (flow: hls/common/run_hls.tcl).
#
#   vitis_hls -f hls/attention/run_hls.tcl          (from the repository root)
set kernel attention
set here [file dirname [file normalize [info script]]]
source [file join [file dirname $here] common run_hls.tcl]
