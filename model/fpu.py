"""Bit-accurate floating-point units of the core, for any IEEE binary format (FP16, FP32).

Written the way the RTL computes (``rtl/skipopu_fp_add.sv``, ``rtl/skipopu_fp_mul.sv``,
``rtl/skipopu_fp_narrow.sv``) on numpy int64 arrays. Numerics (docs/numerics.md): DAZ inputs,
round to nearest even with an unbounded exponent, then FTZ below the smallest normal, overflow
to Inf, canonical quiet NaN. Independent oracles live in the tests (numpy float32/float16).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fmt:
    exp_w: int
    man_w: int

    @property
    def width(self) -> int:
        return 1 + self.exp_w + self.man_w

    @property
    def emax(self) -> int:          # all-ones exponent
        return (1 << self.exp_w) - 1

    @property
    def bias(self) -> int:
        return (1 << (self.exp_w - 1)) - 1

    @property
    def qnan(self) -> int:
        return (self.emax << self.man_w) | (1 << (self.man_w - 1))

    def fields(self, x):
        x = np.asarray(x, dtype=np.int64) & ((1 << self.width) - 1)
        return (x >> (self.width - 1), (x >> self.man_w) & self.emax,
                x & ((1 << self.man_w) - 1))


FP16 = Fmt(5, 10)
FP32 = Fmt(8, 23)


def _pack(f: Fmt, s, e, m):
    return (s << (f.width - 1)) | (e << f.man_w) | m


def _round_pack(f: Fmt, s, e, norm, extra):
    """norm: significand with the leading one at bit man_w + extra, ``extra`` low bits being
    G, R... with the last one sticky. Rounds to nearest even and packs with FTZ/overflow."""
    mant = norm >> extra
    g = (norm >> (extra - 1)) & 1
    rs = (norm & ((1 << (extra - 1)) - 1)) != 0
    mant = mant + (g & (rs | (mant & 1)))
    ovf = mant >> (f.man_w + 1)
    mant = np.where(ovf == 1, mant >> 1, mant)
    e = e + ovf
    res = _pack(f, s, np.clip(e, 0, f.emax), mant & ((1 << f.man_w) - 1))
    res = np.where(e >= f.emax, _pack(f, s, f.emax, 0), res)
    return np.where(e <= 0, s << (f.width - 1), res)


def fp_add(a, b, f: Fmt) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
    sa, ea, ma = f.fields(a)
    sb, eb, mb = f.fields(b)
    a = _pack(f, sa, ea, ma)
    b = _pack(f, sb, eb, mb)
    nan = ((ea == f.emax) & (ma != 0)) | ((eb == f.emax) & (mb != 0)) | \
          ((ea == f.emax) & (eb == f.emax) & (ma == 0) & (mb == 0) & (sa != sb))
    inf_a, inf_b = (ea == f.emax) & (ma == 0), (eb == f.emax) & (mb == 0)
    swap = (eb > ea) | ((eb == ea) & (mb > ma))
    sx, ex, mx = np.where(swap, sb, sa), np.where(swap, eb, ea), np.where(swap, mb, ma)
    sy, ey, my = np.where(swap, sa, sb), np.where(swap, ea, eb), np.where(swap, ma, mb)
    zx, zy = ex == 0, ey == 0
    hidden = 1 << f.man_w
    ww = f.man_w + 4                                        # significand + G, R, S
    wx = np.where(zx, 0, (hidden | mx) << 3)
    wy_full = np.where(zy, 0, (hidden | my) << 3)
    d = np.minimum(np.where(zy, 0, ex - ey), ww + 1)
    wy = (wy_full >> d) | ((wy_full & ((1 << d) - 1)) != 0)
    sub = sx != sy
    s = np.where(sub, wx - wy, wx + wy)
    carry = (s >> ww) & 1
    # leading-zero count below bit ww
    msb = np.where(s > 0, np.floor(np.log2(np.maximum(s, 1))).astype(np.int64), 0)
    msb = np.where((s > 0) & ((1 << msb) > s), msb - 1, msb)        # guard log2 rounding
    msb = np.where((s > 0) & ((2 << msb) <= s), msb + 1, msb)
    lz = np.where(s > 0, (ww - 1) - np.minimum(msb, ww - 1), 0)
    norm = np.where(carry == 1, (s >> 1) | (s & 1), s << lz)
    e = np.where(carry == 1, ex + 1, ex - lz)
    res = _round_pack(f, sx, e, norm, 3)
    res = np.where(s == 0, 0, res)
    res = np.where(zx & zy, (sa & sb) << (f.width - 1), res)
    res = np.where(zy & ~zx, _pack(f, sx, ex, mx), res)
    res = np.where(inf_a, a, res)
    res = np.where(inf_b & ~inf_a, b, res)
    return np.where(nan, f.qnan, res)


def fp_mul(a, b, f: Fmt) -> np.ndarray:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
    sa, ea, ma = f.fields(a)
    sb, eb, mb = f.fields(b)
    s = sa ^ sb
    za, zb = ea == 0, eb == 0
    ia, ib = (ea == f.emax) & (ma == 0), (eb == f.emax) & (mb == 0)
    nan = ((ea == f.emax) & (ma != 0)) | ((eb == f.emax) & (mb != 0)) | (ia & zb) | (za & ib)
    hidden = 1 << f.man_w
    p = (hidden | ma) * (hidden | mb)                     # exact, 2 * man_w + 2 bits
    top = (p >> (2 * f.man_w + 1)) & 1                     # product in [2, 4)
    e = ea + eb - f.bias + top
    # keep man_w + 1 significand bits and the guard bit, OR the rest into a sticky bit
    sh = f.man_w - 1 + top
    norm = ((p >> sh) << 1) | ((p & ((1 << sh) - 1)) != 0)
    res = _round_pack(f, s, e, norm, 2)
    res = np.where(za | zb, s << (f.width - 1), res)
    res = np.where(ia | ib, _pack(f, s, f.emax, 0), res)
    return np.where(nan, f.qnan, res)


def fp_narrow(x, src: Fmt, dst: Fmt) -> np.ndarray:
    """Round a ``src`` value to ``dst`` (fewer bits): RNE, FTZ, overflow to Inf."""
    s, e, m = src.fields(x)
    nan = (e == src.emax) & (m != 0)
    inf = (e == src.emax) & (m == 0)
    zero = e == 0
    drop = src.man_w - dst.man_w
    sig = (1 << src.man_w) | m
    # keep dst.man_w + 1 significand bits, the guard bit, and a sticky bit
    g_and_above = sig >> (drop - 1)
    sticky = (sig & ((1 << (drop - 1)) - 1)) != 0
    norm = (g_and_above << 1) | sticky
    res = _round_pack(dst, s, e - src.bias + dst.bias, norm, 2)
    res = np.where(zero, s << (dst.width - 1), res)
    res = np.where(inf, _pack(dst, s, dst.emax, 0), res)
    return np.where(nan, dst.qnan, res)


def fp_widen(x, src: Fmt, dst: Fmt) -> np.ndarray:
    """Exact widening (DAZ: subnormals become zeros), canonical NaN."""
    s, e, m = src.fields(x)
    res = _pack(dst, s, e - src.bias + dst.bias, m << (dst.man_w - src.man_w))
    res = np.where(e == 0, s << (dst.width - 1), res)
    res = np.where((e == src.emax) & (m == 0), _pack(dst, s, dst.emax, 0), res)
    return np.where((e == src.emax) & (m != 0), dst.qnan, res)
