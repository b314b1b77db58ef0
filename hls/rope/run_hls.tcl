# Vitis HLS project for the rope kernel (flow: hls/common/run_hls.tcl).
#
#   vitis_hls -f hls/rope/run_hls.tcl          (from the repository root)
set kernel rope
set here [file dirname [file normalize [info script]]]
source [file join [file dirname $here] common run_hls.tcl]
