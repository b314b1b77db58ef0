"""Child process of llama_dv.tb.sim.runner: one cocotb runner build or test, described by a JSON spec.

Kept separate so the parent can kill a hung simulator (with this process's whole
group) and survive a crashing one. Not a public entry point.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path


def main(spec_file: str) -> int:
    """Run the build or test in *spec_file*; exit status 0 when the runner call returned."""
    spec = json.loads(Path(spec_file).read_text())
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s: %(message)s")
    from cocotb_tools.runner import get_runner

    runner = get_runner(spec["sim"])
    timescale = tuple(spec["timescale"]) if spec.get("timescale") else None
    if spec["mode"] == "build":
        runner.build(
            sources=spec["sources"],
            includes=spec["includes"],
            defines=spec["defines"],
            parameters=spec["parameters"],
            build_args=spec["build_args"],
            hdl_toplevel=spec["toplevel"],
            build_dir=spec["build_dir"],
            always=True,
            waves=spec["waves"],
            timescale=timescale,
        )
        return 0
    runner.test(
        test_module=spec["test_module"],
        hdl_toplevel=spec["toplevel"],
        hdl_toplevel_lang="verilog",
        testcase=spec["testcase"],
        seed=spec["seed"],
        plusargs=spec["plusargs"],
        waves=spec["waves"],
        parameters=spec["parameters"],
        build_dir=spec["build_dir"],
        test_dir=spec["test_dir"],
        results_xml=spec["results_xml"],
        timescale=timescale,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
