"""Bit-accurate FP16 (IEEE binary16) arithmetic of the SkipOPU datapath, and its oracles.

Numerics (docs/numerics.md): subnormal inputs are read as zero of the same sign (DAZ); results
are the exact result rounded to nearest-even with an unbounded exponent and then flushed to a
signed zero when below 2^-14 (FTZ); overflow gives +-Inf; every NaN result is the canonical quiet
NaN 0x7E00.

``fp16_add`` is the FP16 instance of ``model.fpu.fp_add``, written the way
``rtl/skipopu_fp_add.sv`` computes (align with guard, round and sticky bits, add/subtract,
normalise, round) on numpy integer arrays; ``fp16_add_oracle`` gets the same answers
independently from numpy's correctly rounded float64 -> float16 conversion. The tests check that the two agree and that the RTL matches ``fp16_add``.
"""

from __future__ import annotations

import numpy as np

QNAN = 0x7E00
EXP_MASK = 0x7C00
MANT_MASK = 0x03FF
SIGN = 0x8000


def _u16(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64) & 0xFFFF


def is_nan(x) -> np.ndarray:
    x = _u16(x)
    return ((x & EXP_MASK) == EXP_MASK) & ((x & MANT_MASK) != 0)


def is_inf(x) -> np.ndarray:
    x = _u16(x)
    return (x & 0x7FFF) == EXP_MASK


def is_subnormal(x) -> np.ndarray:
    x = _u16(x)
    return ((x & EXP_MASK) == 0) & ((x & MANT_MASK) != 0)


def daz(x) -> np.ndarray:
    """Subnormal -> zero of the same sign."""
    x = _u16(x)
    return np.where((x & EXP_MASK) == 0, x & SIGN, x)


def to_float(x) -> np.ndarray:
    """FP16 bit patterns -> float64 values (no DAZ)."""
    return _u16(x).astype(np.uint16).view(np.float16).astype(np.float64)


def from_float(f) -> np.ndarray:
    """float64 -> FP16 bits with the core's rules: RNE (numpy), then FTZ and canonical NaN.

    Exact for values whose binary16 rounding with an unbounded exponent and with gradual
    underflow agree on which side of 2^-14 they land, which holds for every sum of two DAZ'd
    FP16 numbers (they are multiples of 2^-24).
    """
    f = np.asarray(f, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        h = f.astype(np.float16).view(np.uint16).astype(np.int64)
    h = np.where(is_subnormal(h), h & SIGN, h)
    return np.where(np.isnan(f), QNAN, h)


def fp16_add_oracle(a, b) -> np.ndarray:
    a, b = daz(a), daz(b)
    with np.errstate(invalid="ignore"):
        s = to_float(a) + to_float(b)
    return from_float(s).astype(np.uint16)


def fp16_add(a, b) -> np.ndarray:
    """a + b exactly as the hardware adder does it (uint16 in, uint16 out, broadcasting):
    the FP16 instance of model.fpu.fp_add / rtl/skipopu_fp_add.sv."""
    from model.fpu import FP16, fp_add
    return fp_add(a, b, FP16).astype(np.uint16)


CORNERS = np.array([
    0x0000, 0x8000,                     # +-0
    0x0001, 0x8001, 0x03FF, 0x83FF,     # subnormals (read as zero)
    0x0400, 0x8400, 0x0401, 0x8401,     # min normal and neighbours
    0x07FF, 0x0800, 0x3C00, 0xBC00,     # 1.0, -1.0
    0x3BFF, 0x3C01, 0x4000, 0xC000,     # around 1 and 2
    0x7BFF, 0xFBFF, 0x7BFE, 0x7800,     # max normal and near it
    0x7C00, 0xFC00,                     # +-Inf
    0x7E00, 0xFE00, 0x7C01, 0xFC01, 0x7D00, 0x7FFF,  # quiet and signalling NaNs
    0x1400, 0x1401, 0x9400, 0x6800, 0xE800, 0x0C00, 0x8C00,  # exponent gaps, ties
], dtype=np.uint16)
