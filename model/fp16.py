"""Bit-accurate FP16 (IEEE binary16) arithmetic of the SkipOPU datapath, and its oracles.

Numerics (docs/numerics.md): subnormal inputs are read as zero of the same sign (DAZ); results
are the exact result rounded to nearest-even with an unbounded exponent and then flushed to a
signed zero when below 2^-14 (FTZ); overflow gives +-Inf; every NaN result is the canonical quiet
NaN 0x7E00.

``fp16_add`` is written the way ``rtl/skipopu_fp16_add.sv`` computes (align with guard, round
and sticky bits, add/subtract, normalise, round) on numpy integer arrays; ``fp16_add_oracle``
gets the same answers independently from numpy's correctly rounded float64 -> float16
conversion. The tests check that the two agree and that the RTL matches ``fp16_add``.
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
    """a + b exactly as the hardware adder does it (uint16 in, uint16 out, broadcasting)."""
    a, b = np.broadcast_arrays(_u16(a), _u16(b))
    sa, ea, ma = a >> 15, (a >> 10) & 31, a & MANT_MASK
    sb, eb, mb = b >> 15, (b >> 10) & 31, b & MANT_MASK
    nan = ((ea == 31) & (ma != 0)) | ((eb == 31) & (mb != 0)) | \
          ((ea == 31) & (eb == 31) & (sa != sb))
    inf_a, inf_b = (ea == 31) & (ma == 0), (eb == 31) & (mb == 0)
    zero_a, zero_b = ea == 0, eb == 0                       # DAZ: subnormals are zeros

    # order by magnitude: x is the larger
    swap = (eb > ea) | ((eb == ea) & (mb > ma))
    sx, ex, mx = np.where(swap, sb, sa), np.where(swap, eb, ea), np.where(swap, mb, ma)
    sy, ey, my = np.where(swap, sa, sb), np.where(swap, ea, eb), np.where(swap, ma, mb)
    # 11-bit significands (hidden one; zeros have no hidden one) with 3 extra low bits G, R, S
    zx = np.where(swap, zero_b, zero_a)
    zy = np.where(swap, zero_a, zero_b)
    wx = np.where(zx, 0, (1024 | mx) << 3)
    wy_full = np.where(zy, 0, (1024 | my) << 3)
    d = np.where(zy, 0, ex - ey)                            # 0..29
    d = np.minimum(d, 15)                                   # everything shifted out beyond
    wy = wy_full >> d
    sticky = (wy_full & ((1 << d) - 1)) != 0
    wy = wy | sticky
    sub = sx != sy
    s = np.where(sub, wx - wy, wx + wy)                     # 15 bits, >= 0

    # normalise to 1.xxxxxxxxxx GRS in bits [13:0]
    carry = (s >> 14) & 1
    s_r = (s >> 1) | (s & 1)                                # right shift keeps sticky
    lz = np.zeros_like(s)
    t = s.copy()
    for k in range(14):                                     # leading zeros above bit 13
        lz = np.where((t < (1 << 13)) & (t != 0), lz + 1, lz)
        t = np.where((t < (1 << 13)) & (t != 0), t << 1, t)
    norm = np.where(carry == 1, s_r, t)
    e = np.where(carry == 1, ex + 1, ex - lz)
    # round to nearest even on G/R/S
    mant = norm >> 3
    g, rs = (norm >> 2) & 1, (norm & 3) != 0
    up = g & (rs | (mant & 1))
    mant = mant + up
    ovf = mant >> 11
    mant = np.where(ovf == 1, mant >> 1, mant)
    e = e + ovf

    res = (sx << 15) | (np.clip(e, 0, 31) << 10) | (mant & MANT_MASK)
    res = np.where(e >= 31, (sx << 15) | EXP_MASK, res)     # overflow -> Inf
    res = np.where(e <= 0, sx << 15, res)                   # FTZ, sign of the result
    res = np.where(s == 0, 0, res)                          # exact cancellation -> +0
    # zeros and specials
    res = np.where(zx & zy, (sa & sb) << 15, res)           # -0 + -0 = -0, else +0
    res = np.where(zy & ~zx, (sx << 15) | (ex << 10) | mx, res)
    res = np.where(inf_a, a, res)
    res = np.where(inf_b & ~inf_a, b, res)
    res = np.where(nan, QNAN, res)
    return res.astype(np.uint16)


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
