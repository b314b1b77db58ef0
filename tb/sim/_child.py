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
    shared = {key: spec[key] for key in ("parameters", "build_dir", "waves")}
    shared.update(hdl_toplevel=spec["toplevel"],
                  timescale=tuple(spec["timescale"]) if spec.get("timescale") else None)
    if spec["mode"] == "build":
        runner.build(**shared, **{key: spec[key] for key in ("sources", "includes", "defines", "build_args")},
                     always=True)
        return 0
    runner.test(**shared, **{key: spec[key] for key in ("test_module", "testcase", "seed", "plusargs", "test_dir",
                                                        "results_xml")},
                hdl_toplevel_lang="verilog")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
