"""Bit-accurate model of the mixed-precision PE array datapath (paper 4.2, docs/pe-array.md).

A PE is one DSP48E2 that multiplies one activation x[k] (FP16, the shared operand on the B
port) by two weights of two output columns at once:

* FP16 x FP16, overpacked: the two 11-bit weight significands share the 27-bit pre-adder
  output with a 5-bit overlap; the MSB (hidden one) of the left weight and the LSB of the right
  weight are truncated and their contribution, together with the overlap correction from a 5x5
  auxiliary multiplier, is injected through the C port (``pe_fp16_pair``). Each product comes
  out exactly as the 15-bit truncated significand product floor(mx * mw / 2^7).
* FP16 x INT4: two 4-bit two's-complement weights packed 18 bits apart (``pe_int4_pair``);
  exact signed 15-bit products.

Every product leaves the PE as a *term*: zero flag, sign, unnormalised exponent E and a 15-bit
magnitude, with value = mag * 2^(E - 43) (``E_BIAS``). Specials travel as nan/inf flags.

A column's BFP tree (``bfp_tree``) aligns the terms of K products to their largest exponent
by truncating right shifts (keeping GUARD = 2 bits below the magnitudes), adds them as
fixed-point numbers in an (18 + log2 K)-bit signed accumulator and converts once to FP32,
exactly: for K <= 128 the sum always fits the 24-bit FP32 significand.
Tiles of K are then accumulated in FP32 (RNE, FTZ) in the PSUM buffer, INT4 group scales are
applied per group, and the output is rounded once to FP16.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.dsp48e2 import dsp48e2
from model.fpu import FP16, FP32, fp_add, fp_mul, fp_narrow, fp_widen

E_BIAS = 43          # term value = mag * 2^(E - E_BIAS) for 15-bit magnitudes
GUARD = 2            # guard bits kept below the 15-bit magnitudes when aligning in the tree
INT4_E_OFFSET = 18   # INT4 terms: E = ex + 18, so mag * 2^(E-43) = |q * mx| * 2^(ex - 25)
OVERLAP_SHIFT = 16   # the right weight's field is 16 bits wide inside the pre-adder output
FP32_QNAN = 0x7FC00000


@dataclass
class Terms:
    """Products of a PE, element-wise arrays of the same shape."""
    zero: np.ndarray
    sign: np.ndarray
    exp: np.ndarray
    mag: np.ndarray
    nan: np.ndarray
    inf: np.ndarray


def fp16_fields(x):
    """(sign, exponent, 11-bit significand with the hidden one forced, zero, inf, nan)."""
    x = np.asarray(x, dtype=np.int64) & 0xFFFF
    s, e, m = x >> 15, (x >> 10) & 31, x & 0x3FF
    zero = e == 0                                        # DAZ
    inf = (e == 31) & (m == 0)
    nan = (e == 31) & (m != 0)
    return s, e, 1024 | m, zero, inf, nan


# ------------------------------------------------------------------------------------------
# PE: FP16 x FP16, two products per DSP by overpacking
# ------------------------------------------------------------------------------------------

def overpack_dsp_inputs(mx, mw1, mw2):
    """DSP48E2 port values for the overpacked pair (mx shared; mw1 left, mw2 right).

    a1 = mw1 - 2^10 (MSB truncated: the hidden one), a2 = mw2 >> 1 (LSB truncated), l2 = LSB.
      A = a1 << 16, D = a2             pre-adder: a1 * 2^16 + a2  (< 2^26)
      B = mx
      C = (mx << 26) - (aux << 16) + l2 * (mx >> 1),  aux = (a1 mod 32) * (mx mod 32) mod 32
    Then P = floor(mw1 * mx / 32) * 2^21 + L with 0 <= L = a2*mx + l2*floor(mx/2) < 2^21, so
      P[37:23] = floor(mw1 * mx / 2^7)  and  P[20:6] = floor(mw2 * mx / 2^7)  exactly
    (docs/pe-array.md has the proof; tools/prove_overpack.py checks it exhaustively).
    """
    mx, mw1, mw2 = (np.asarray(v, dtype=np.int64) for v in (mx, mw1, mw2))
    a1 = mw1 - 1024
    a2, l2 = mw2 >> 1, mw2 & 1
    aux = ((a1 & 31) * (mx & 31)) & 31                   # the 5x5 auxiliary multiplier
    a = a1 << OVERLAP_SHIFT
    d = a2
    c = (mx << 26) - (aux << OVERLAP_SHIFT) + l2 * (mx >> 1)
    return a, mx, c, d


def overpacked_products(mx, mw1, mw2):
    """(floor(mw1*mx/2^7), floor(mw2*mx/2^7)) through the DSP48E2 model."""
    a, b, c, d = overpack_dsp_inputs(mx, mw1, mw2)
    p = dsp48e2(a, b, c, d)
    return (p >> 23) & 0x7FFF, (p >> 6) & 0x7FFF


def _specials(x_zero, x_inf, x_nan, w_zero, w_inf, w_nan):
    nan = x_nan | w_nan | (x_inf & w_zero) | (x_zero & w_inf)
    inf = (x_inf | w_inf) & ~nan
    zero = (x_zero | w_zero) & ~nan & ~inf
    return zero, inf, nan


def pe_fp16_pair(x, w1, w2) -> tuple[Terms, Terms]:
    sx, ex, mx, zx, ix, nx = fp16_fields(x)
    s1, e1, m1, z1, i1, n1 = fp16_fields(w1)
    s2, e2, m2, z2, i2, n2 = fp16_fields(w2)
    p1, p2 = overpacked_products(mx, m1, m2)
    out = []
    for s, e, p, z, i, n in ((s1, e1, p1, z1, i1, n1), (s2, e2, p2, z2, i2, n2)):
        zero, inf, nan = _specials(zx, ix, nx, z, i, n)
        out.append(Terms(zero, sx ^ s, ex + e, np.where(zero, 0, p), nan, inf))
    return out[0], out[1]


# ------------------------------------------------------------------------------------------
# PE: FP16 x INT4, two products per DSP by standard packing
# ------------------------------------------------------------------------------------------

def int4_packed_products(mx, q1, q2):
    """(q1*mx, q2*mx) through one DSP: A = q1 << 18, D = q2, B = mx, C = 0.

    P = q1*mx*2^18 + q2*mx with |q2*mx| < 2^14: lo = sign-extended P[14:0],
    hi = (P >>> 18) + P[17] (P[17] is set exactly when lo is negative)."""
    mx, q1, q2 = (np.asarray(v, dtype=np.int64) for v in (mx, q1, q2))
    p = dsp48e2(q1 << 18, mx, 0, q2)
    lo = p & 0x7FFF
    lo = np.where(lo >= 1 << 14, lo - (1 << 15), lo)
    hi = (p >> 18) + ((p >> 17) & 1)
    return hi, lo


def pe_int4_pair(x, q1, q2) -> tuple[Terms, Terms]:
    sx, ex, mx, zx, ix, nx = fp16_fields(x)
    h, l = int4_packed_products(mx, q1, q2)
    out = []
    for q, p in ((np.asarray(q1), h), (np.asarray(q2), l)):
        zq = q == 0
        zero, inf, nan = _specials(zx, ix, nx, zq, np.zeros_like(zq), np.zeros_like(zq))
        out.append(Terms(zero, sx ^ (p < 0), ex + INT4_E_OFFSET,
                         np.where(zero, 0, np.abs(p)), nan, inf))
    return out[0], out[1]


# ------------------------------------------------------------------------------------------
# Column: BFP accumulation tree
# ------------------------------------------------------------------------------------------

def bfp_tree(t: Terms, guard: int = GUARD):
    """Sum the terms along the last axis: (S, Emax, nan, inf, inf_sign), with
    value = S * 2^(Emax - E_BIAS - guard). Each magnitude is widened by ``guard`` zero bits and
    shifted right by Emax - E (truncation)."""
    valid = ~t.zero & ~t.nan & ~t.inf
    emax = np.max(np.where(valid, t.exp, -1), axis=-1)
    d = np.minimum(emax[..., None] - t.exp, 63)
    aligned = np.where(valid, (t.mag << guard) >> np.maximum(d, 0), 0)
    s = np.sum(np.where(t.sign == 1, -aligned, aligned), axis=-1)
    inf_pos = np.any(t.inf & (t.sign == 0), axis=-1)
    inf_neg = np.any(t.inf & (t.sign == 1), axis=-1)
    nan = np.any(t.nan, axis=-1) | (inf_pos & inf_neg)
    return s, np.maximum(emax, 0), nan, (inf_pos | inf_neg) & ~nan, inf_neg


def tree_to_fp32(s, emax, nan, inf, inf_sign, guard: int = GUARD) -> np.ndarray:
    """The tree's single float conversion: S * 2^(Emax - 43 - guard) as FP32 bits (exact)."""
    s = np.asarray(s, dtype=np.int64)
    v = np.ldexp(s.astype(np.float64), np.asarray(emax, dtype=np.int64) - E_BIAS - guard)
    f = v.astype(np.float32)
    assert np.all(f.astype(np.float64) == v), "tree result not exact in FP32"
    bits = f.view(np.uint32).astype(np.int64)
    bits = np.where(inf, np.where(inf_sign, 0xFF800000, 0x7F800000), bits)
    return np.where(nan, FP32_QNAN, bits).astype(np.uint32)


# ------------------------------------------------------------------------------------------
# FP32 PSUM arithmetic and the final FP16 rounding
# ------------------------------------------------------------------------------------------

def fp32_add(a, b) -> np.ndarray:
    """FP32 a + b (DAZ, RNE, FTZ, canonical NaN): rtl/skipopu_fp_add.sv with EXP_W=8."""
    return fp_add(a, b, FP32).astype(np.uint32)


def fp32_mul(a, b) -> np.ndarray:
    """FP32 a * b (DAZ, RNE, FTZ, canonical NaN): rtl/skipopu_fp_mul.sv with EXP_W=8."""
    return fp_mul(a, b, FP32).astype(np.uint32)


def fp16_to_fp32(h) -> np.ndarray:
    """Exact widening with DAZ (FP16 subnormals become zeros), canonical NaN."""
    return fp_widen(h, FP16, FP32).astype(np.uint32)


def fp32_to_fp16(f) -> np.ndarray:
    """FP32 -> FP16: RNE with an unbounded exponent, then FTZ below 2^-14, overflow to Inf,
    canonical NaN (rtl/skipopu_fp_narrow.sv)."""
    return fp_narrow(f, FP32, FP16).astype(np.uint16)


# ------------------------------------------------------------------------------------------
# Whole dot products / matrix products (what a column computes)
# ------------------------------------------------------------------------------------------

def column_terms_fp16(x, w) -> Terms:
    """Terms of x[..., K] * w[..., K] for FP16 weights, produced pairwise by overpacked PEs
    (a second, independent column supplies the partner weight; the result per product does not
    depend on the partner, which tools/prove_overpack.py checks)."""
    x, w = np.broadcast_arrays(np.asarray(x), np.asarray(w))
    partner = np.roll(w, 1, axis=-1)
    t, _ = pe_fp16_pair(x, w, partner)
    return t


def column_terms_int4(x, q) -> Terms:
    x, q = np.broadcast_arrays(np.asarray(x), np.asarray(q))
    t, _ = pe_int4_pair(x, q, np.roll(q, 1, axis=-1))
    return t


def matmul(x, w, kdim: int, mode: str = "fp16", scales=None, group: int | None = None):
    """y[m, n] = sum_k x[m, k] * w[k, n] the way the PE array computes it.

    x: FP16 bits [M, K]; w: FP16 bits [K, N] (mode "fp16") or INT4 values in [-8, 7] [K, N]
    (mode "int4") with FP16 ``scales`` [K / group, N]. K must be a multiple of ``kdim`` and
    ``group`` a multiple of ``kdim``. Returns FP16 bits [M, N].
    """
    x = np.asarray(x, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    m_, k_ = x.shape
    k2, n_ = w.shape
    if k_ != k2 or k_ % kdim:
        raise ValueError(f"K={k_} must match and be a multiple of KDIM={kdim}")
    if kdim > 128:
        raise ValueError(f"KDIM={kdim} > 128: the tree sum would not fit FP32 exactly")
    if mode == "int4":
        group = group or k_
        if group % kdim or k_ % group:
            raise ValueError(f"group size {group} must be a multiple of KDIM={kdim} and "
                             f"divide K={k_}")
    psum = np.zeros((m_, n_), dtype=np.uint32)
    gacc = np.zeros((m_, n_), dtype=np.uint32)
    for t0 in range(0, k_, kdim):
        xs = x[:, None, t0:t0 + kdim]                    # [M, 1, KDIM]
        ws = w[t0:t0 + kdim, :].T[None, :, :]            # [1, N, KDIM]
        terms = column_terms_fp16(xs, ws) if mode == "fp16" else column_terms_int4(xs, ws)
        tile = tree_to_fp32(*bfp_tree(terms))
        if mode == "fp16":
            psum = fp32_add(psum, tile)
        else:
            gacc = fp32_add(gacc, tile)
            if (t0 + kdim) % group == 0:
                sc = fp16_to_fp32(np.asarray(scales)[(t0 + kdim) // group - 1])[None, :]
                psum = fp32_add(psum, fp32_mul(gacc, sc))
                gacc = np.zeros_like(gacc)
    return fp32_to_fp16(psum)
