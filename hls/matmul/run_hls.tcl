# Vitis HLS project for the matmul kernel: ZCU106 (xczu7ev-ffvc1156-2-e), 5 ns clock.
#
#   vitis_hls -f hls/matmul/run_hls.tcl          (from the repository root)
#
# Writes matmul_vectors.txt with the numpy golden (python -m hls.vectors; set PYTHON to
# choose the interpreter), runs C simulation of the kernel against it (tb_matmul.cpp),
# synthesises, and exports an IP-catalog core. The project lands in ./matmul_prj.
set kernel matmul
set here [file dirname [file normalize [info script]]]
set repo [file dirname [file dirname $here]]
set python [expr {[info exists ::env(PYTHON)] ? $::env(PYTHON) : "python3"}]
set vectors [file join [pwd] ${kernel}_vectors.txt]
set ::env(PYTHONPATH) $repo
exec $python -m hls.vectors $kernel $vectors --count 200

open_project -reset ${kernel}_prj
set_top $kernel
add_files [file join $here ${kernel}.cpp] -cflags "-std=c++14"
add_files -tb [file join $here tb_${kernel}.cpp] -cflags "-std=c++14"
open_solution -reset solution1 -flow_target vivado
set_part xczu7ev-ffvc1156-2-e
create_clock -period 5 -name default
csim_design -argv $vectors
csynth_design
export_design -format ip_catalog
exit
