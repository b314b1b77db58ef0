# Shared Vitis HLS flow for every llama-dv kernel: ZCU106 (xczu7ev-ffvc1156-2-e), 5 ns.
# Each hls/<kernel>/run_hls.tcl sets `kernel` and `here` (its own folder) and sources
# this file. It writes <kernel>_vectors.txt with the numpy golden (python -m hls.vectors;
# set PYTHON to choose the interpreter), runs C simulation against it
# (tb_<kernel>.cpp), synthesises, and exports an IP-catalog core into ./<kernel>_prj.
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
