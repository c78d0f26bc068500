"""Floating-point units: model/fpu.py against numpy oracles, and the RTL against the model."""

import numpy as np
import pytest

from model.fpu import FP16, FP32, fp_add, fp_mul, fp_narrow, fp_widen
from tb import simrun


def _ftz32(x):
    x = np.asarray(x, dtype=np.int64)
    x = np.where(((x >> 23) & 255) == 0, x & 0x80000000, x)
    nan = (((x >> 23) & 255) == 255) & ((x & 0x7FFFFF) != 0)
    return np.where(nan, 0x7FC00000, x)


def _np32(op, a, b):
    fa = _ftz32(a).astype(np.uint32).view(np.float32)
    fb = _ftz32(b).astype(np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        r = op(fa, fb).astype(np.float32)
    return _ftz32(r.view(np.uint32).astype(np.int64))


def test_fp32_model_vs_numpy():
    """FP32 add (everywhere) and mul (away from the FTZ boundary, where the unbounded-exponent
    rounding rule and numpy's gradual underflow may differ by design) against numpy."""
    rng = np.random.default_rng(1)
    a = rng.integers(0, 1 << 32, 1_000_000)
    b = rng.integers(0, 1 << 32, 1_000_000)
    d = rng.integers(0, 30, len(a))
    b2 = (a & ~(0xFF << 23)) | ((((a >> 23) & 255) - d) % 256) << 23
    for bb in (b, b2, a ^ (1 << 31)):
        assert np.array_equal(fp_add(a, bb, FP32), _np32(np.add, a, bb))
        w = _np32(np.multiply, a, bb)
        g = fp_mul(a, bb, FP32)
        edge = (((w >> 23) & 255) <= 1) | (((g >> 23) & 255) <= 1)
        assert np.array_equal(g[~edge], w[~edge])


def test_widen_narrow_model():
    h = np.arange(1 << 16)
    wide = fp_widen(h, FP16, FP32)
    f = np.where(((h >> 10) & 31) == 0, (h & 0x8000) << 16,
                 h.astype(np.uint16).view(np.float16).astype(np.float32).view(np.uint32))
    f = np.where((((h >> 10) & 31) == 31) & ((h & 1023) != 0), 0x7FC00000, f)
    assert np.array_equal(wide, f)
    assert np.array_equal(fp_narrow(wide, FP32, FP16),
                          np.where((((h >> 10) & 31) == 0), h & 0x8000,
                                   np.where((((h >> 10) & 31) == 31) & ((h & 1023) != 0),
                                            0x7E00, h)))


CASES = [("add", "fp32", "skipopu_fp_add", {"EXP_W": 8, "MAN_W": 23}),
         ("mul", "fp32", "skipopu_fp_mul", {"EXP_W": 8, "MAN_W": 23}),
         ("mul", "fp16", "skipopu_fp_mul", {"EXP_W": 5, "MAN_W": 10}),
         ("narrow", "fp32", "skipopu_fp_narrow", {})]


@pytest.mark.parametrize("op,fmt,top,params", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
@pytest.mark.parametrize("sim,vectors", [("verilator", 50000), ("icarus", 2000)])
def test_fpu_rtl(op, fmt, top, params, sim, vectors):
    simrun.run(top, simrun.rtl(top), "fpu.tb_fpu", sim=sim, parameters=params,
               extra_env={"FPU_OP": op, "FPU_FMT": fmt, "FPU_VECTORS": str(vectors)})
