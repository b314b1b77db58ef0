# Vitis HLS project for the softmax kernel (flow: hls/common/run_hls.tcl).
#
#   vitis_hls -f hls/softmax/run_hls.tcl          (from the repository root)
set kernel softmax
set here [file dirname [file normalize [info script]]]
source [file join [file dirname $here] common run_hls.tcl]
