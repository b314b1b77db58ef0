"""The HLS C++ (g++ C-simulation) and the numpy goldens agree bit for bit.

Each kernel and primitive gets >= 1,000 seeded random vectors at realistic and extreme
magnitudes plus named corner cases. Two negative tests prove the comparison can fail:
a C++ build with truncating rounding (LDV_FAULT_ROUNDING=1) and a numpy golden whose
rshr is patched to truncate must both be reported as mismatches.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from llama_dv.hls import csim, vectors
from llama_dv.hls.bitexact import Mismatch, first_mismatch
from llama_dv.models import kernels, numerics

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1
ONE = 1 << 20
HD, SEQ = csim.HD, csim.SEQ
EXTREMES = np.array([I32_MIN, I32_MIN + 1, -1, 0, 1, I32_MAX - 1, I32_MAX], dtype=np.int64)
MIN_RANDOM_VECTORS = 1000


@dataclass
class Batch:
    """One call's worth of inputs (all vectors share a shape)."""

    label: str
    args: dict
    random: bool = False


@dataclass
class KernelCheck:
    """How to make inputs for a kernel and evaluate them with the golden and the oracle."""

    batches: Callable[[np.random.Generator], list[Batch]]
    golden: Callable[..., np.ndarray]
    oracle: Callable[..., np.ndarray]
    element_ndim: int = 1


# --- input generators ------------------------------------------------------------------

def f_vectors(rng: np.random.Generator, batch: int, n: int, lo_bits: int = 0, hi_bits: int = 32,
              extreme_frac: float = 0.1) -> np.ndarray:
    """F raws with one log-uniform magnitude per vector (2^lo_bits .. 2^hi_bits), and a
    fraction of vectors drawn from the int32 extremes (saturation, -2^31)."""
    bits = rng.integers(lo_bits, hi_bits + 1, size=(batch, 1))
    x = np.floor((rng.random((batch, n)) * 2 - 1) * np.exp2(bits)).astype(np.int64)
    x = np.clip(x, I32_MIN, I32_MAX)
    rows = rng.random(batch) < extreme_frac
    x[rows] = rng.choice(EXTREMES, size=(int(rows.sum()), n))
    return x


def int8s(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int64)


def exps(rng: np.random.Generator, lo: int, hi: int, *shape: int) -> np.ndarray:
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64)


def full(shape, value) -> np.ndarray:
    return np.full(shape, value, dtype=np.int64)


# --- matmul ------------------------------------------------------------------------------

def matmul_batches(rng: np.random.Generator) -> list[Batch]:
    def rand(label: str, b: int, d: int, n: int, we_range, xe_range) -> Batch:
        return Batch(label, dict(wm=int8s(rng, b, d, n), we=exps(rng, *we_range, b, d),
                                 xm=int8s(rng, b, n), xe=exps(rng, *xe_range, b)), random=True)

    def corner(label: str, w, we, x, xe, d: int = 4, n: int = 32) -> Batch:
        return Batch(label, dict(wm=full((1, d, n), w), we=full((1, d), we), xm=full((1, n), x),
                                 xe=full((1,), xe)))

    return [
        rand("realistic d=8 n=64", 1000, 8, 64, (-14, -2), (-20, 0)),
        rand("any exponent d=4 n=16", 300, 4, 16, (-64, 63), (-64, 63)),
        rand("d=256 n=256", 4, 256, 256, (-10, -4), (-12, -6)),
        rand("d=1 n=1", 200, 1, 1, (-30, 10), (-30, 10)),
        rand("d=3 n=255", 50, 3, 255, (-12, -4), (-12, -4)),
        corner("zero weights", 0, 0, 127, 0),
        corner("zero x", -128, 63, 0, 63),
        corner("-128 x -128 saturates up", -128, 63, -128, 63, n=256),
        corner("-128 x 127 saturates down", -128, 63, 127, 63, n=256),
        corner("exponents -64/-64 round to zero", -128, -64, -128, -64),
        corner("exponents 63/-64", 127, 63, -128, -64),
        corner("exponents -64/63", -128, -64, 127, 63),
        corner("max row", 127, -10, 127, -10, d=256, n=256),
    ]


def matmul_golden(wm, we, xm, xe):
    return kernels.matvec_fixed(wm, we, xm, xe)


# --- rmsnorm -----------------------------------------------------------------------------

def rmsnorm_batches(rng: np.random.Generator) -> list[Batch]:
    def rand(label: str, b: int, n: int) -> Batch:
        return Batch(label, dict(x=f_vectors(rng, b, n), g=f_vectors(rng, b, n, 10, 24)), random=True)

    def corner(label: str, x, g, n: int = 16) -> Batch:
        return Batch(label, dict(x=np.broadcast_to(np.asarray(x, np.int64), (1, n)).copy(),
                                 g=np.broadcast_to(np.asarray(g, np.int64), (1, n)).copy()))

    alternating = np.where(np.arange(16) % 2 == 0, I32_MIN, I32_MAX)
    return [
        rand("n=16", 1000, 16),
        rand("n=256", 100, 256),
        rand("n=1", 100, 1),
        rand("n=7", 100, 7),
        corner("zero vector", 0, ONE),
        corner("one lsb (ms = 0, v = EPS)", 1, I32_MAX),
        corner("all max, gain max (saturates up)", I32_MAX, I32_MAX),
        corner("all -2^31, gain max (saturates down)", I32_MIN, I32_MAX),
        corner("all -2^31, gain -2^31", I32_MIN, I32_MIN),
        corner("alternating extremes", alternating, ONE),
        corner("n=256 extremes", I32_MIN, I32_MIN, n=256),
    ]


def rmsnorm_golden(x, g):
    return kernels.rmsnorm_fixed(x, g)


# --- rope --------------------------------------------------------------------------------

def rope_batches(rng: np.random.Generator) -> list[Batch]:
    def rand(label: str, b: int, n: int) -> Batch:
        return Batch(label, dict(x=f_vectors(rng, b, n), pos=rng.integers(0, SEQ, size=b)), random=True)

    pair = np.tile([I32_MAX, I32_MIN], HD // 2)
    return [
        rand("n=16", 1000, 16),
        rand("n=256", 100, 256),
        rand("n=2", 100, 2),
        rand("n=48", 100, 48),
        Batch("pos 0 extremes", dict(x=np.stack([pair, -pair - 1, full(HD, I32_MIN)]), pos=full(3, 0))),
        Batch("pos SEQ-1 extremes", dict(x=np.stack([pair, -pair - 1, full(HD, I32_MIN)]), pos=full(3, SEQ - 1))),
        Batch("saturation both ways, every pos", dict(x=np.tile(pair, (SEQ, 1)), pos=np.arange(SEQ))),
        Batch("zero vector", dict(x=full((2, HD), 0), pos=np.array([0, SEQ - 1]))),
    ]


def rope_golden(x, pos):
    out = np.empty_like(x)
    for p in np.unique(pos):
        rows = pos == p
        out[rows] = kernels.rope_fixed(x[rows], int(p), HD, SEQ)
    return out


# --- attention ---------------------------------------------------------------------------

def attention_batches(rng: np.random.Generator) -> list[Batch]:
    def rand(label: str, b: int, e_range) -> Batch:
        return Batch(label, dict(q=f_vectors(rng, b, HD), km=int8s(rng, b, SEQ, HD), ke=exps(rng, *e_range, b, SEQ),
                                 vm=int8s(rng, b, SEQ, HD), ve=exps(rng, *e_range, b, SEQ),
                                 pos=rng.integers(0, SEQ, size=b)), random=True)

    def corner(label: str, q, km, ke, vm, ve, pos) -> Batch:
        b = len(pos)
        return Batch(label, dict(q=np.broadcast_to(np.asarray(q, np.int64), (b, HD)).copy(),
                                 km=np.broadcast_to(np.asarray(km, np.int64), (b, SEQ, HD)).copy(),
                                 ke=np.broadcast_to(np.asarray(ke, np.int64), (b, SEQ)).copy(),
                                 vm=np.broadcast_to(np.asarray(vm, np.int64), (b, SEQ, HD)).copy(),
                                 ve=np.broadcast_to(np.asarray(ve, np.int64), (b, SEQ)).copy(),
                                 pos=np.asarray(pos, np.int64)))

    every_pos = list(range(SEQ))
    rising = np.repeat(np.linspace(-120, 120, SEQ).astype(np.int64)[:, None], HD, axis=1)
    v_ramp = int8s(rng, SEQ, HD)
    return [
        rand("realistic exponents", 1200, (-12, -2)),
        rand("any exponent", 300, (-64, 63)),
        corner("pos 0 / pos SEQ-1", f_vectors(rng, 1, HD, 20, 28)[0], int8s(rng, SEQ, HD), -8,
               v_ramp, -6, [0, SEQ - 1]),
        corner("zero q (all scores equal)", 0, int8s(rng, SEQ, HD), -6, v_ramp, -6, every_pos),
        corner("zero caches", 3 * ONE, 0, -6, 0, -6, every_pos),
        corner("-128 caches, exponent 63 (saturation)", I32_MAX, -128, 63, -128, 63, every_pos),
        corner("-128 q and caches", I32_MIN, -128, 63, -128, 63, every_pos),
        corner("exponents -64", I32_MAX, 127, -64, 127, -64, every_pos),
        corner("max rises every row", 8 * ONE, rising, -4, v_ramp, -4, every_pos),
        corner("max falls every row", 8 * ONE, rising[::-1], -4, v_ramp, -4, every_pos),
    ]


def attention_golden(q, km, ke, vm, ve, pos):
    out = np.empty_like(q)
    for p in np.unique(pos):
        rows = pos == p
        out[rows] = kernels.attention_head_fixed(q[rows], km[rows], ke[rows], vm[rows], ve[rows], int(p), HD)
    return out


# --- softmax -----------------------------------------------------------------------------

def softmax_batches(rng: np.random.Generator) -> list[Batch]:
    def rand(label: str, b: int, n: int) -> Batch:
        return Batch(label, dict(s=f_vectors(rng, b, n)), random=True)

    spread = np.tile([I32_MAX, I32_MIN], 8)
    return [
        rand("n=16", 1000, 16),
        rand("n=256", 100, 256),
        rand("n=2", 100, 2),
        rand("n=1", 20, 1),
        Batch("all equal", dict(s=EXTREMES[:, None] * np.ones((1, 16), np.int64))),
        Batch("all equal n=256", dict(s=full((3, 256), 5 * ONE))),
        Batch("max and -2^31 (difference saturates)", dict(s=spread[None, :])),
        Batch("one hot", dict(s=np.where(np.eye(16, dtype=bool), 10 * ONE, -10 * ONE))),
    ]


def softmax_golden(s):
    return kernels.softmax_fixed(s)


# --- element-wise primitives -------------------------------------------------------------

def exp_batches(rng: np.random.Generator) -> list[Batch]:
    overflow = int(np.log(2048.0) * ONE)
    corners = np.concatenate([EXTREMES, np.arange(overflow - 4096, overflow + 4096, 97),
                              np.arange(-4096, 4096, 61), [-(30 << 20), -(15 << 20)]]).astype(np.int64)
    full_range = rng.integers(I32_MIN, I32_MAX, size=20000, endpoint=True)
    realistic = rng.integers(-16 * ONE, 8 * ONE, size=20000)
    return [
        Batch("full int32 range, interpolated", dict(x=full_range, interp=True), random=True),
        Batch("[-16, 8), interpolated", dict(x=realistic, interp=True), random=True),
        Batch("[-16, 8), table only", dict(x=realistic, interp=False), random=True),
        Batch("corners, interpolated", dict(x=corners, interp=True)),
        Batch("corners, table only", dict(x=corners, interp=False)),
    ]


def invsqrt_batches(rng: np.random.Generator) -> list[Batch]:
    log_uniform = np.exp2(rng.random(20000) * 31).astype(np.int64)
    log_uniform = np.clip(log_uniform + rng.integers(0, 2, size=20000), 1, I32_MAX)
    powers = np.array([1 << k for k in range(31)], np.int64)
    corners = np.unique(np.clip(np.concatenate([powers - 1, powers, powers + 1, [10, I32_MAX]]), 1, I32_MAX))
    return [
        Batch("log-uniform over (0, 2^31)", dict(v=log_uniform), random=True),
        Batch("uniform over (0, 2^31)", dict(v=rng.integers(1, I32_MAX, size=5000, endpoint=True)), random=True),
        Batch("powers of two +-1, EPS, max", dict(v=corners)),
    ]


def quantize_batches(rng: np.random.Generator) -> list[Batch]:
    def rand(label: str, b: int, n: int) -> Batch:
        return Batch(label, dict(x=f_vectors(rng, b, n)), random=True)

    return [
        rand("n=16", 1000, 16),
        rand("n=256", 100, 256),
        rand("n=1", 200, 1),
        Batch("zero vector", dict(x=full((1, 16), 0))),
        Batch("-2^31 and max", dict(x=np.array([[I32_MIN, I32_MAX, 0, 1], [I32_MIN] * 4, [I32_MAX] * 4]))),
        Batch("rounding carry to 128", dict(x=np.array([[255, -255, 1], [127 << 8 | 0xFF, 0, 3]]))),
        Batch("tiny magnitudes (left shift)", dict(x=np.array([[1, -1, 0, 2], [-3, 63, -64, 5]]))),
    ]


def quantize_golden(x):
    m, e = numerics.quantize(x)
    return np.concatenate([m, e[..., None]], axis=-1)


def quantize_oracle(lib: csim.CsimLibrary, x):
    m, e = lib.quantize(x)
    return np.concatenate([m, e[..., None]], axis=-1)


CHECKS: dict[str, KernelCheck] = {
    "matmul": KernelCheck(matmul_batches, matmul_golden, lambda lib, **a: lib.matmul(**a)),
    "rmsnorm": KernelCheck(rmsnorm_batches, rmsnorm_golden, lambda lib, **a: lib.rmsnorm(**a)),
    "rope": KernelCheck(rope_batches, rope_golden, lambda lib, **a: lib.rope(**a)),
    "attention": KernelCheck(attention_batches, attention_golden, lambda lib, **a: lib.attention(**a)),
    "softmax": KernelCheck(softmax_batches, softmax_golden, lambda lib, **a: lib.softmax(**a)),
    "exp_f": KernelCheck(exp_batches, lambda x, interp: numerics.exp_f(x, interp),
                         lambda lib, **a: lib.exp_f(**a), element_ndim=0),
    "invsqrt_f": KernelCheck(invsqrt_batches, lambda v: numerics.invsqrt_f(v),
                             lambda lib, **a: lib.invsqrt_f(**a), element_ndim=0),
    "quantize": KernelCheck(quantize_batches, quantize_golden, quantize_oracle),
}


def compare_kernel(name: str, lib: csim.CsimLibrary, seed: int) -> tuple[Mismatch | None, int]:
    """Run every batch of one kernel through golden and oracle; (first mismatch, random vectors)."""
    check = CHECKS[name]
    rng = np.random.default_rng(seed)
    n_random = 0
    for batch in check.batches(rng):
        expected = check.golden(**batch.args)
        if batch.random:
            n_random += int(np.prod(expected.shape[: expected.ndim - check.element_ndim]))
        actual = check.oracle(lib, **batch.args)
        found = first_mismatch(f"{name} [{batch.label}]", expected, actual, check.element_ndim)
        if found is not None:
            return found, n_random
    return None, n_random


@pytest.fixture(scope="module")
def lib() -> csim.CsimLibrary:
    return csim.load()


@pytest.fixture(scope="module")
def faulty_lib() -> csim.CsimLibrary:
    return csim.load({"LDV_FAULT_ROUNDING": 1})


# --- bit-exactness -----------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CHECKS))
def test_bit_exact(name: str, lib: csim.CsimLibrary, seed: int) -> None:
    found, n_random = compare_kernel(name, lib, seed)
    assert found is None, f"C++ and numpy differ (seed {seed}): {found}"
    assert n_random >= MIN_RANDOM_VECTORS, f"{name}: only {n_random} random vectors"


# --- values the doc states outright (neither implementation's output) ---------------------

def test_doc_stated_values(lib: csim.CsimLibrary) -> None:
    m, e = lib.quantize(np.zeros((1, 16), np.int64))
    assert e[0] == -27 and not m.any(), "all-zero vector quantises to exponent -27, mantissas 0"
    assert lib.exp_f(np.array([0]))[0] == ONE
    for n in (1, 3, 16, 256):
        p = lib.softmax(full((1, n), -7 * ONE))
        assert (p == ((ONE * ((1 << 40) // (n * ONE)) + (1 << 19)) >> 20)).all(), f"all-equal softmax, n={n}"
    wm, xm = full((1, 2, 4), -128), np.array([[-128] * 4])
    assert lib.matmul(wm, full((1, 2), 63), xm, [63]).tolist() == [[I32_MAX, I32_MAX]]
    assert lib.matmul(wm, full((1, 2), 63), -xm - 1, [63]).tolist() == [[I32_MIN, I32_MIN]]
    x = np.arange(-8, 8, dtype=np.int64) * 12345
    assert (lib.rope(x, 0) == x).all(), "pos 0: cos = 1.0, sin = 0 leaves x unchanged"


def test_attention_at_pos0_is_dequantised_v(lib: csim.CsimLibrary) -> None:
    """With one row the softmax weight is exactly 1.0, so out = to_F(V[0], ev[0])."""
    rng = np.random.default_rng(7)
    vm = int8s(rng, 40, SEQ, HD)
    ve = exps(rng, -30, 5, 40, SEQ)
    out = lib.attention(f_vectors(rng, 40, HD), int8s(rng, 40, SEQ, HD), exps(rng, -30, 5, 40, SEQ), vm, ve, 0)
    expect = [[max(I32_MIN, min(I32_MAX, int(v) * 2 ** (int(e) + 20))) if e >= -20
               else (int(v) + (1 << (-e - 21))) >> (-e - 20) for v in row[0]]
              for row, e in zip(vm, ve[:, 0])]
    assert out.tolist() == expect


# --- the comparison fails when either side is wrong ---------------------------------------

@pytest.mark.parametrize("name", list(CHECKS))
def test_truncating_cpp_is_caught(name: str, faulty_lib: csim.CsimLibrary, seed: int) -> None:
    assert faulty_lib.fault_rounding
    found, _ = compare_kernel(name, faulty_lib, seed)
    assert found is not None, f"{name}: a C++ build with truncating rshr went unnoticed"
    assert found.expected != found.actual and found.kernel.startswith(name)


def _truncating_rshr(x, s):
    x, s = numerics.i64(x), np.minimum(numerics.i64(s), 62)
    if np.any(s < 0):
        raise ValueError("rshr needs s >= 0")
    return np.right_shift(x, s)


@pytest.mark.parametrize("name", list(CHECKS))
def test_truncating_golden_is_caught(name: str, lib: csim.CsimLibrary, seed: int,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numerics, "rshr", _truncating_rshr)
    monkeypatch.setattr(kernels, "rshr", _truncating_rshr)
    found, _ = compare_kernel(name, lib, seed)
    assert found is not None, f"{name}: a numpy golden with truncating rshr went unnoticed"


def test_first_mismatch_locates_the_difference() -> None:
    expected = np.arange(24).reshape(2, 3, 4)
    actual = expected.copy()
    assert first_mismatch("k", expected, actual) is None
    actual[1, 2, 3] = -1
    actual[1, 0, 1] = 99
    assert first_mismatch("k", expected, actual) == Mismatch("k", 3, 1, 13, 99)
    assert first_mismatch("k", expected.reshape(-1), actual.reshape(-1), element_ndim=0) == Mismatch("k", 13, 0, 13, 99)
    with pytest.raises(ValueError, match="shape"):
        first_mismatch("k", expected, actual[:1])


# --- the wrapper's errors name the bad argument -------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: csim.matmul(full((1, 2, 4), 0), full((1, 2), 0), np.array([[0, 200, 0, 0]]), [0]), r"xm\[0, 1\] = 200"),
    (lambda: csim.matmul(full((1, 2, 4), 0), full((1, 2), 64), full((1, 4), 0), [0]), r"we.* = 64 outside \[-64, 63\]"),
    (lambda: csim.matmul(full((1, 2, 4), 0), full((1, 3), 0), full((1, 4), 0), [0]), r"we has shape \(1, 3\)"),
    (lambda: csim.matmul(full((1, 2, 300), 0), full((1, 2), 0), full((1, 300), 0), [0]), r"wm row length 300"),
    (lambda: csim.rope(full((1, 16), 0), 16), r"pos = 16 outside \[0, 15\]"),
    (lambda: csim.rope(full((1, 15), 0), 0), r"length 15 is odd"),
    (lambda: csim.rmsnorm(full((1, 4), 1 << 31), full((1, 4), 0)), r"x\[0, 0\] = 2147483648"),
    (lambda: csim.attention(full((1, HD), 0), full((1, 4, HD), 0), full((1, 4), 0), full((1, 4, HD), 0),
                            full((1, 4), 0), 4), r"pos = 4 outside \[0, 3\]"),
    (lambda: csim.invsqrt_f(np.array([5, 0])), r"v\[1\] = 0 outside"),
    (lambda: csim.softmax(np.array([[0.5]])), r"s must hold integers"),
])
def test_bad_arguments_are_named(call, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_compile_error_reports_compiler_output() -> None:
    with pytest.raises(csim.CsimBuildError, match=r"(?s)g\+\+ failed.*error"):
        csim.build({"LDV_FAULT_ROUNDING": "("})


def test_variants_get_their_own_library() -> None:
    assert csim.library_path() != csim.library_path({"LDV_FAULT_ROUNDING": 1})
    assert csim.library_path() == csim.library_path(None)


# --- the C testbenches that run_hls.tcl hands to Vitis csim_design -------------------------

def _build_testbench(kernel: str, out_dir, defines: tuple[str, ...] = ()):
    exe = out_dir / f"tb_{kernel}{'_fault' if defines else ''}"
    flags = [f for f in csim.CXXFLAGS if f not in ("-shared", "-fPIC")]
    cmd = [csim.compiler(), *flags, *defines, str(csim.HLS_DIR / kernel / f"tb_{kernel}.cpp"),
           str(csim.HLS_DIR / kernel / f"{kernel}.cpp"), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    return exe


@pytest.mark.parametrize("kernel", sorted(vectors.GENERATORS))
def test_vitis_testbench_passes_on_golden_vectors(kernel: str, tmp_path) -> None:
    vec = tmp_path / f"{kernel}_vectors.txt"
    vectors.write_vectors(kernel, vec, count=100, seed=3)
    run = subprocess.run([str(_build_testbench(kernel, tmp_path)), str(vec)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "100 vectors bit-exact" in run.stdout


def test_vitis_testbench_catches_truncating_rounding(tmp_path) -> None:
    vec = tmp_path / "attention_vectors.txt"
    vectors.write_vectors("attention", vec, count=100, seed=3)
    exe = _build_testbench("attention", tmp_path, ("-DLDV_FAULT_ROUNDING=1",))
    run = subprocess.run([str(exe), str(vec)], capture_output=True, text=True)
    assert run.returncode == 1 and "attention: vector" in run.stdout, run.stdout + run.stderr
