"""Reading a Vitis HLS export: `llama-dv describe` writes its DUT description YAML.

verilog (module headers, instances, `$readmem` calls) -> classify (UG1399 port roles)
-> layout (sources, register-map headers, ROM images) -> describe (the YAML, the CLI)
-> emit (the text, in the style of rtl/hls/*.yaml).
"""
