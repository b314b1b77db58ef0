"""`llama-dv-yosys`: the yosys command line the flow needs, run on the pinned pyosys wheel.

The synthesis figures come from one yosys release for everyone: the `pyosys` package in
the project's venv (native libyosys plus yosys-abc), not whatever yosys a machine has.
Its generic techmap maps the whole SMALL decoder in about ten minutes, where Debian's
yosys 0.23 did not finish in fifteen (docs/synthesis.md).

Supported options: ``-q`` (accepted; the console only ever gets errors), ``-l LOG``,
``-s SCRIPT``, ``-p COMMANDS``, ``-V``. The run happens in a forked child so that a yosys
error, which ends the process from C++, still leaves this wrapper to print the error
lines on stderr and exit non-zero, as the yosys executable does.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def _yosys():
    try:
        from pyosys import libyosys
    except ImportError as exc:
        raise SystemExit(f"llama-dv-yosys: the pyosys package is not installed ({exc}); run `make setup`")
    return libyosys


def version() -> str:
    """The version line, e.g. ``Yosys 0.70 (git sha1 ...)``."""
    return _yosys().yosys_maybe_version()


def _run_in_child(script: Path, log: Path) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            _yosys().run_pass(f"tee -q -o {log} script {script}", _yosys().Design())
            code = 0
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _error_lines(log: Path) -> list[str]:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    errors = [line for line in lines if line.startswith("ERROR")]
    return errors or lines[-20:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llama-dv-yosys", description=__doc__.split("\n\n")[0])
    parser.add_argument("-q", action="store_true", help="quiet (the default here)")
    parser.add_argument("-l", dest="log", type=Path, help="write the full log to this file")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("-s", dest="script", type=Path, help="yosys script to execute")
    group.add_argument("-p", dest="commands", help="yosys commands to execute (';'-separated)")
    group.add_argument("-V", dest="version", action="store_true", help="print the version and exit")
    args = parser.parse_args(argv)
    if args.version:
        print(version())
        return 0
    if args.script is not None and not args.script.is_file():
        parser.error(f"script not found: {args.script}")
    with tempfile.TemporaryDirectory(prefix="llama-dv-yosys-") as tmp:
        script = args.script
        if script is None:
            script = Path(tmp) / "commands.ys"
            script.write_text(args.commands.replace(";", "\n") + "\n")
        log = args.log if args.log is not None else Path(tmp) / "yosys.log"
        code = _run_in_child(script, log)
        if code != 0:
            print("\n".join(_error_lines(log)), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
