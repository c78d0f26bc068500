"""Bit-accurate nonlinear units of the NPE (paper 4.3): exp, reciprocal, reciprocal square root
and SiLU, composed from the core's FP32 units (``model.fpu``: RNE, DAZ/FTZ) plus small ROM
tables and exponent arithmetic, so that an RTL built from ``skipopu_fp_add`` /
``skipopu_fp_mul`` and the same tables matches bit for bit (docs/npe.md).

* exp(x):   t = x * log2(e); n = round-to-nearest-integer(t); f = t - n in [-1/2, 1/2];
            2^f by a degree-5 polynomial (Horner, FP32); result = 2^f * 2^n by exponent add.
* recip(x): y0 from a 2^RECIP_BITS-entry table on the leading mantissa bits, two Newton steps
            y <- y * (2 - x * y); sign and exponent handled apart.
* rsqrt(x): y0 from a table on (exponent parity, leading mantissa bits), two Newton steps
            y <- y * (3/2 - (x/2) * y * y).
* silu(x) = x * recip(1 + exp(-x)).

All functions take and return FP32 bit patterns (numpy uint32/int64 arrays).
"""

from __future__ import annotations

import numpy as np

from model.fpu import FP32, fp_add, fp_mul

RECIP_BITS = 7
RSQRT_BITS = 7
# pipeline latency of each RTL unit in cycles (a register after every FP operation); written
# into rtl/skipopu_pkg.sv by tools/gen_npe_tables.py and used by the NPE engine model
LATENCY = {"exp": 13, "recip": 8, "rsqrt": 10}
QNAN = 0x7FC00000
POS_INF = 0x7F800000


def f32(v) -> np.ndarray:
    """float64 values -> FP32 bits (numpy RNE), as constants/tables are made."""
    return np.asarray(v, dtype=np.float64).astype(np.float32).view(np.uint32).astype(np.int64)


def val(b) -> np.ndarray:
    return np.asarray(b, dtype=np.int64).astype(np.uint32).view(np.float32).astype(np.float64)


def add(a, b):
    return fp_add(a, b, FP32)


def mul(a, b):
    return fp_mul(a, b, FP32)


def _fields(x):
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    return x >> 31, (x >> 23) & 255, x & 0x7FFFFF


# ------------------------------------------------------------------------------------------
# exp
# ------------------------------------------------------------------------------------------
LOG2E = int(f32(np.log2(np.e)))
# minimax-free Taylor-like fit of 2^f on [-1/2, 1/2], degree 5, coefficients rounded to FP32
_f = np.linspace(-0.5, 0.5, 4001)
EXP2_POLY = [int(c) for c in f32(np.polyfit(_f, np.exp2(_f), 5))]   # highest degree first


def _round_to_int(t):
    """Nearest integer of an FP32 value (ties away from zero), as a small int; |t| < 2^8 is all
    the range that matters (exp overflows/underflows FP32 beyond)."""
    s, e, m = _fields(t)
    sig = (1 << 23) | m
    sh = 150 - e                                   # value = sig * 2^-sh
    mag = np.where(e == 0, 0, np.where(sh >= 25, 0, (sig + (1 << np.clip(sh - 1, 0, 62)))
                                       >> np.clip(sh, 0, 62)))
    mag = np.where(sh <= 0, 1 << 10, mag)          # huge: saturate
    mag = np.minimum(mag, 1 << 10)
    return np.where(s == 1, -mag, mag)


def _int_to_f32(n):
    """Small signed integer -> FP32 bits (exact)."""
    return f32(np.asarray(n, dtype=np.float64))


def exp(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    s, e, m = _fields(x)
    t = mul(x, LOG2E)
    n = _round_to_int(t)
    f = add(t, _int_to_f32(-n))                    # exact: |f| <= 1/2
    p = EXP2_POLY[0]
    for c in EXP2_POLY[1:]:
        p = add(mul(p, f), c)
    ps, pe, pm = _fields(p)
    re = pe + n
    out = np.where(re >= 255, POS_INF, (np.clip(re, 0, 255) << 23) | pm)
    out = np.where(re <= 0, 0, out)                # FTZ
    nan = (e == 255) & (m != 0)
    out = np.where((e == 255) & (m == 0), np.where(s == 1, 0, POS_INF), out)
    return np.where(nan, QNAN, out)


# ------------------------------------------------------------------------------------------
# reciprocal
# ------------------------------------------------------------------------------------------
# entry i: 1 / (1 + (i + 0.5) / 2^B) for mantissas in [1 + i/2^B, 1 + (i+1)/2^B)
RECIP_TABLE = [int(v) for v in f32(1.0 / (1.0 + (np.arange(1 << RECIP_BITS) + 0.5)
                                          / (1 << RECIP_BITS)))]
TWO = int(f32(2.0))


def recip(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    s, e, m = _fields(x)
    xm = (127 << 23) | m                           # the significand as a value in [1, 2)
    y = np.asarray(RECIP_TABLE, dtype=np.int64)[m >> (23 - RECIP_BITS)]
    nxm = xm | (1 << 31)                           # -xm
    for _ in range(2):
        y = mul(y, add(TWO, mul(nxm, y)))
    ys, ye, ym = _fields(y)                        # y in (1/2, 1]
    re = ye - (e - 127)
    out = (s << 31) | (np.clip(re, 0, 255) << 23) | ym
    out = np.where(re <= 0, s << 31, out)          # FTZ (1/huge)
    out = np.where(re >= 255, (s << 31) | POS_INF, out)
    out = np.where(e == 0, (s << 31) | POS_INF, out)          # 1/0 = Inf (DAZ)
    out = np.where((e == 255) & (m == 0), s << 31, out)       # 1/Inf = 0
    return np.where((e == 255) & (m != 0), QNAN, out)


# ------------------------------------------------------------------------------------------
# reciprocal square root
# ------------------------------------------------------------------------------------------
# index = (exponent parity, top mantissa bits): value range [1, 4) split into 2 x 2^B cells
_rs_i = np.arange(2 << RSQRT_BITS)
_rs_mid = (1.0 + ((_rs_i & ((1 << RSQRT_BITS) - 1)) + 0.5) / (1 << RSQRT_BITS)) * \
    np.where(_rs_i >> RSQRT_BITS, 2.0, 1.0)
RSQRT_TABLE = [int(v) for v in f32(1.0 / np.sqrt(_rs_mid))]
THREE_HALVES = int(f32(1.5))


def rsqrt(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    s, e, m = _fields(x)
    odd = (e - 127) & 1                            # x = 2^(2k + odd) * 1.m
    k = (e - 127 - odd) >> 1
    xr = ((127 + odd) << 23) | m                   # reduced x in [1, 4)
    idx = (odd << RSQRT_BITS) | (m >> (23 - RSQRT_BITS))
    y = np.asarray(RSQRT_TABLE, dtype=np.int64)[idx]
    half_x = ((126 + odd) << 23) | m               # xr / 2, exact
    nhx = half_x | (1 << 31)
    for _ in range(2):
        y = mul(y, add(THREE_HALVES, mul(nhx, mul(y, y))))
    ys, ye, ym = _fields(y)
    re = ye - k
    out = (np.clip(re, 0, 255) << 23) | ym
    out = np.where(re >= 255, POS_INF, out)
    out = np.where(e == 0, (s << 31) | POS_INF, out)           # rsqrt(+-0) = +-Inf
    out = np.where((s == 1) & (e != 0), QNAN, out)             # negative -> NaN
    out = np.where((e == 255) & (m == 0) & (s == 0), 0, out)   # rsqrt(+Inf) = 0
    return np.where((e == 255) & (m != 0), QNAN, out)


# ------------------------------------------------------------------------------------------
# SiLU
# ------------------------------------------------------------------------------------------
ONE = int(f32(1.0))


def silu(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    return mul(x, recip(add(ONE, exp(x ^ (1 << 31)))))
