"""C-simulation oracle: the HLS kernels of hls/ compiled with g++ and called through ctypes.

This is the second, independent implementation of docs/numerics.md (the first is
models/). Batches go to C in one call, so thousands of vectors cost milliseconds.

The shared library is built on first use into build/hls/; its file name carries a hash
of the sources, flags and defines, so an edit rebuilds it and variants (for example the
`LDV_FAULT_ROUNDING=1` negative-test build) live side by side.

    python -m llama_dv.hls.csim --build [--define NAME=VALUE ...]   # build, print the library path
"""
from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np

HLS_DIR = Path(__file__).resolve().parent
REPO_DIR = HLS_DIR.parent
BUILD_DIR = REPO_DIR / "build" / "hls"

MAX_N = 256
HD = 16
SEQ = 16
EXP_MIN, EXP_MAX = -64, 63
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1

KERNELS = tuple(sorted(p.parent.name for p in HLS_DIR.glob("*/run_hls.tcl") if p.parent.name != "common"))
"""Every kernel folder of hls/ (one with a run_hls.tcl), so a new kernel is compiled without a list to edit."""
SOURCES = ("csim/csim_api.cpp",) + tuple(f"{k}/{k}.cpp" for k in KERNELS)
CXXFLAGS = ("-O2", "-std=c++17", "-shared", "-fPIC", "-Wall", "-Wextra",
            "-Wno-unknown-pragmas", "-Wno-unused-label")

_STATUS = {-1: "argument outside the kernel's contract", -2: "wrong output stream word count or TLAST"}
_DEFINE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Defines = Mapping[str, "int | str"]


class CsimBuildError(RuntimeError):
    """g++ failed (or is missing); the message carries the command and compiler output."""


class CsimError(RuntimeError):
    """A C entry point returned an error status."""


# --- building --------------------------------------------------------------------------

def compiler() -> str:
    """Path of the C++ compiler: $CXX, else g++."""
    cxx = os.environ.get("CXX", "g++")
    found = shutil.which(cxx)
    if found is None:
        raise CsimBuildError(f"C++ compiler {cxx!r} not found on PATH (set CXX to override)")
    return found


@lru_cache(maxsize=None)
def _compiler_version(cxx: str) -> str:
    return subprocess.run([cxx, "--version"], capture_output=True, text=True, check=False).stdout


def _input_files() -> list[Path]:
    headers = sorted(HLS_DIR.glob("*/*.h"))
    return [HLS_DIR / s for s in SOURCES] + headers


def _define_flags(defines: Defines | None) -> list[str]:
    flags = []
    for name, value in sorted((defines or {}).items()):
        if not _DEFINE_NAME.match(name):
            raise ValueError(f"llama_dv.hls.csim: define name {name!r} is not a C identifier")
        flags.append(f"-D{name}={value}")
    return flags


def library_path(defines: Defines | None = None) -> Path:
    """Where the library for these defines lives; the name changes when any input does."""
    cxx = compiler()
    digest = hashlib.sha256()
    for part in (cxx, _compiler_version(cxx), *CXXFLAGS, *_define_flags(defines)):
        digest.update(part.encode() + b"\0")
    for f in _input_files():
        digest.update(str(f.relative_to(HLS_DIR)).encode() + b"\0" + f.read_bytes() + b"\0")
    tag = "".join(f"-{n.lower()}{v}" for n, v in sorted((defines or {}).items()))
    tag = re.sub(r"[^A-Za-z0-9_=.-]", "_", tag)
    return BUILD_DIR / f"libldv_csim{tag}-{digest.hexdigest()[:16]}.so"


def build(defines: Defines | None = None) -> Path:
    """Compile the library unless an up-to-date one exists; returns its path."""
    out = library_path(defines)
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    cmd = [compiler(), *CXXFLAGS, *_define_flags(defines), "-I", str(HLS_DIR),
           *[str(HLS_DIR / s) for s in SOURCES], "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise CsimBuildError(f"g++ failed building {out.name} (exit {proc.returncode}):\n"
                             f"{' '.join(cmd)}\n{proc.stderr}{proc.stdout}")
    os.replace(tmp, out)
    prefix = out.name.rsplit("-", 1)[0] + "-"
    for stale in out.parent.glob(prefix + "*.so"):
        if stale != out and stale.name.rsplit("-", 1)[0] + "-" == prefix:
            stale.unlink(missing_ok=True)
    return out


# --- argument checking -----------------------------------------------------------------

def _ints(fn: str, name: str, a, lo: int, hi: int) -> np.ndarray:
    """Integer array within [lo, hi]; the error names the argument, the value and its index."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "iub":
        raise TypeError(f"{fn}: {name} must hold integers, got dtype {arr.dtype}")
    if arr.size and (int(arr.min()) < lo or int(arr.max()) > hi):
        idx = tuple(int(i) for i in np.argwhere((arr < lo) | (arr > hi))[0])
        raise ValueError(f"{fn}: {name}{list(idx) if idx else ''} = {int(arr[idx])} outside [{lo}, {hi}]")
    return arr


def _shape(fn: str, name: str, arr: np.ndarray, expected: tuple) -> None:
    if arr.shape != expected:
        raise ValueError(f"{fn}: {name} has shape {arr.shape}, expected {expected}")


def _length(fn: str, name: str, n: int, lo: int, hi: int) -> None:
    if not lo <= n <= hi:
        raise ValueError(f"{fn}: {name} length {n} outside [{lo}, {hi}]")


def _per_vector(fn: str, name: str, a, batch: tuple, lo: int, hi: int) -> np.ndarray:
    """A scalar broadcast over the batch, or one value per vector."""
    arr = _ints(fn, name, a, lo, hi)
    if arr.ndim == 0:
        return np.broadcast_to(arr, batch).copy()
    _shape(fn, name, arr, batch)
    return arr


def _c(arr: np.ndarray, dtype) -> np.ndarray:
    return np.ascontiguousarray(arr, dtype=dtype)


def _ptr(arr: np.ndarray):
    return arr.ctypes.data_as(ctypes.c_void_p)


# --- the library -----------------------------------------------------------------------

class CsimLibrary:
    """numpy-friendly calls into one built variant of libldv_csim.

    Inputs are integer arrays with optional leading batch axes; outputs are int64 arrays
    (like models/), so results compare directly with the goldens.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lib = ctypes.CDLL(str(path))
        for fn in ("matmul", "rmsnorm", "rope", "attention", "softmax", "exp_f", "invsqrt_f", "quantize"):
            getattr(self._lib, f"ldv_csim_{fn}").restype = ctypes.c_int
        self._lib.ldv_csim_exp_f.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        self._lib.ldv_csim_invsqrt_f.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
        sizes = (self._lib.ldv_csim_max_n(), self._lib.ldv_csim_hd(), self._lib.ldv_csim_seq())
        if sizes != (MAX_N, HD, SEQ):
            raise CsimError(f"{path.name}: (LDV_MAX_N, LDV_HD, LDV_SEQ) = {sizes}, llama_dv.hls.csim expects "
                            f"{(MAX_N, HD, SEQ)} (hls/common/config.h and hls/csim.py disagree)")

    @property
    def fault_rounding(self) -> bool:
        """True for a library built with LDV_FAULT_ROUNDING=1 (truncating rshr)."""
        return bool(self._lib.ldv_csim_fault_rounding())

    def _call(self, fn: str, *args) -> None:
        rc = getattr(self._lib, f"ldv_csim_{fn}")(*args)
        if rc != 0:
            raise CsimError(f"ldv_csim_{fn} returned {rc}: {_STATUS.get(rc, 'unknown status')}")

    def matmul(self, wm, we, xm, xe) -> np.ndarray:
        """y = W x: wm [..., d, n] int8, we [..., d], xm [..., n] int8, xe [...] -> y [..., d] F."""
        f = "matmul"
        wm = _ints(f, "wm", wm, -128, 127)
        if wm.ndim < 2:
            raise ValueError(f"{f}: wm needs shape [..., d, n], got {wm.shape}")
        *batch, d, n = wm.shape
        batch = tuple(batch)
        _length(f, "wm row", n, 1, MAX_N)
        _length(f, "wm column", d, 1, MAX_N)
        we = _ints(f, "we", we, EXP_MIN, EXP_MAX)
        _shape(f, "we", we, batch + (d,))
        xm = _ints(f, "xm", xm, -128, 127)
        _shape(f, "xm", xm, batch + (n,))
        xe = _per_vector(f, "xe", xe, batch, EXP_MIN, EXP_MAX)
        b = int(np.prod(batch, dtype=np.int64))
        y = np.empty(b * d, np.int32)
        args = (_c(wm, np.int8), _c(we, np.int8), _c(xm, np.int8), _c(xe, np.int32))
        self._call(f, b, d, n, *map(_ptr, args), _ptr(y))
        return y.astype(np.int64).reshape(batch + (d,))

    def rmsnorm(self, x, g) -> np.ndarray:
        """RMSNorm of F vectors x [..., n] with F gains g [..., n]."""
        f = "rmsnorm"
        x = _ints(f, "x", x, INT32_MIN, INT32_MAX)
        g = _ints(f, "g", g, INT32_MIN, INT32_MAX)
        if x.ndim < 1:
            raise ValueError(f"{f}: x needs shape [..., n], got {x.shape}")
        _length(f, "x", x.shape[-1], 1, MAX_N)
        _shape(f, "g", g, x.shape)
        b, n = x.size // x.shape[-1], x.shape[-1]
        out = np.empty(x.size, np.int32)
        self._call(f, b, n, _ptr(_c(x, np.int32)), _ptr(_c(g, np.int32)), _ptr(out))
        return out.astype(np.int64).reshape(x.shape)

    def rope(self, x, pos) -> np.ndarray:
        """RoPE of F vectors x [..., n] (n even) at pos (scalar or one per vector)."""
        f = "rope"
        x = _ints(f, "x", x, INT32_MIN, INT32_MAX)
        if x.ndim < 1:
            raise ValueError(f"{f}: x needs shape [..., n], got {x.shape}")
        n = x.shape[-1]
        _length(f, "x", n, 2, MAX_N)
        if n % 2:
            raise ValueError(f"{f}: x length {n} is odd (RoPE rotates pairs)")
        pos = _per_vector(f, "pos", pos, x.shape[:-1], 0, SEQ - 1)
        out = np.empty(x.size, np.int32)
        self._call(f, x.size // n, n, _ptr(_c(x, np.int32)), _ptr(_c(pos, np.int32)), _ptr(out))
        return out.astype(np.int64).reshape(x.shape)

    def attention(self, q, km, ke, vm, ve, pos) -> np.ndarray:
        """One head over cache rows 0..pos: q [..., HD] F, km/vm [..., T, HD] int8, ke/ve [..., T]."""
        f = "attention"
        q = _ints(f, "q", q, INT32_MIN, INT32_MAX)
        if q.ndim < 1 or q.shape[-1] != HD:
            raise ValueError(f"{f}: q has shape {q.shape}, expected [..., {HD}]")
        batch = q.shape[:-1]
        km = _ints(f, "km", km, -128, 127)
        if km.ndim != q.ndim + 1:
            raise ValueError(f"{f}: km has shape {km.shape}, expected {batch + ('T', HD)}")
        t_rows = km.shape[-2]
        _length(f, "km rows", t_rows, 1, SEQ)
        _shape(f, "km", km, batch + (t_rows, HD))
        vm = _ints(f, "vm", vm, -128, 127)
        _shape(f, "vm", vm, batch + (t_rows, HD))
        ke = _ints(f, "ke", ke, EXP_MIN, EXP_MAX)
        _shape(f, "ke", ke, batch + (t_rows,))
        ve = _ints(f, "ve", ve, EXP_MIN, EXP_MAX)
        _shape(f, "ve", ve, batch + (t_rows,))
        pos = _per_vector(f, "pos", pos, batch, 0, t_rows - 1)
        pad = [(0, 0)] * len(batch)
        kc = np.pad(km, pad + [(0, SEQ - t_rows), (0, 0)])
        vc = np.pad(vm, pad + [(0, SEQ - t_rows), (0, 0)])
        kx = np.pad(ke, pad + [(0, SEQ - t_rows)])
        vx = np.pad(ve, pad + [(0, SEQ - t_rows)])
        b = q.size // HD
        out = np.empty(q.size, np.int32)
        args = (_c(q, np.int32), _c(kc, np.int8), _c(kx, np.int8), _c(vc, np.int8), _c(vx, np.int8),
                _c(pos, np.int32))
        self._call(f, b, *map(_ptr, args), _ptr(out))
        return out.astype(np.int64).reshape(q.shape)

    def softmax(self, s) -> np.ndarray:
        """Two-pass softmax of F scores s [..., n] through the softmax kernel."""
        f = "softmax"
        s = _ints(f, "s", s, INT32_MIN, INT32_MAX)
        if s.ndim < 1:
            raise ValueError(f"{f}: s needs shape [..., n], got {s.shape}")
        n = s.shape[-1]
        _length(f, "s", n, 1, MAX_N)
        out = np.empty(s.size, np.int32)
        self._call(f, s.size // n, n, _ptr(_c(s, np.int32)), _ptr(out))
        return out.astype(np.int64).reshape(s.shape)

    def exp_f(self, x, interp: bool = True) -> np.ndarray:
        """Element-wise expF of F raws (any shape)."""
        x = _ints("exp_f", "x", x, INT32_MIN, INT32_MAX)
        out = np.empty(x.size, np.int32)
        self._call("exp_f", x.size, _ptr(_c(x, np.int32)), int(bool(interp)), _ptr(out))
        return out.astype(np.int64).reshape(x.shape)

    def invsqrt_f(self, v) -> np.ndarray:
        """Element-wise invsqrtF of positive F raws (any shape)."""
        v = _ints("invsqrt_f", "v", v, 1, INT32_MAX)
        out = np.empty(v.size, np.int32)
        self._call("invsqrt_f", v.size, _ptr(_c(v, np.int32)), _ptr(out))
        return out.astype(np.int64).reshape(v.shape)

    def quantize(self, x) -> tuple[np.ndarray, np.ndarray]:
        """F vectors x [..., n] -> (int8 mantissas [..., n], exponent [...])."""
        f = "quantize"
        x = _ints(f, "x", x, INT32_MIN, INT32_MAX)
        if x.ndim < 1 or x.shape[-1] < 1:
            raise ValueError(f"{f}: x needs shape [..., n] with n >= 1, got {x.shape}")
        n = x.shape[-1]
        m = np.empty(x.size, np.int8)
        e = np.empty(x.size // n, np.int32)
        self._call(f, x.size // n, n, _ptr(_c(x, np.int32)), _ptr(m), _ptr(e))
        return m.astype(np.int64).reshape(x.shape), e.astype(np.int64).reshape(x.shape[:-1])


_loaded: dict[Path, CsimLibrary] = {}


def load(defines: Defines | None = None) -> CsimLibrary:
    """Build (if needed) and load the library variant for these defines."""
    path = build(defines)
    if path not in _loaded:
        _loaded[path] = CsimLibrary(path)
    return _loaded[path]


def matmul(wm, we, xm, xe) -> np.ndarray:
    return load().matmul(wm, we, xm, xe)


def rmsnorm(x, g) -> np.ndarray:
    return load().rmsnorm(x, g)


def rope(x, pos) -> np.ndarray:
    return load().rope(x, pos)


def attention(q, km, ke, vm, ve, pos) -> np.ndarray:
    return load().attention(q, km, ke, vm, ve, pos)


def softmax(s) -> np.ndarray:
    return load().softmax(s)


def exp_f(x, interp: bool = True) -> np.ndarray:
    return load().exp_f(x, interp)


def invsqrt_f(v) -> np.ndarray:
    return load().invsqrt_f(v)


def quantize(x) -> tuple[np.ndarray, np.ndarray]:
    return load().quantize(x)


def _parse_define(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    return name, (value if sep else "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llama_dv.hls.csim", description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="build the library and print its path")
    parser.add_argument("--define", "-D", action="append", default=[], metavar="NAME=VALUE",
                        help="extra preprocessor define (builds a separate variant)")
    args = parser.parse_args(argv)
    if not args.build:
        parser.print_help()
        return 2
    try:
        print(build(dict(map(_parse_define, args.define)) or None))
    except (CsimBuildError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
