"""Bit-accurate model of the NPE operations (paper 3, 4.3) on global-buffer words, the reference
for rtl/skipopu_npe*.sv. Arithmetic is the core's FP32 (model/fpu.py: RNE, DAZ/FTZ) and the
units of model/npe_units.py; FP16 operands are widened exactly, results rounded once to FP16.
Every reduction order below is the hardware's order (docs/npe.md).

Arrays: FP16 values as uint16/int64 bit patterns, FP32 as int64 bit patterns. A buffer word
holds ``lanes`` = DATA_W/16 FP16 values; a row of D words holds D*lanes values.
"""

from __future__ import annotations

import numpy as np

from model import npe_units as U
from model.fpu import FP16, FP32, fp_add, fp_mul, fp_narrow, fp_widen

SIGN32 = 1 << 31


def w32(x16):
    return fp_widen(np.asarray(x16, dtype=np.int64), FP16, FP32)


def n16(x32):
    return fp_narrow(np.asarray(x32, dtype=np.int64), FP32, FP16)


def add(a, b):
    return fp_add(a, b, FP32)


def mul(a, b):
    return fp_mul(a, b, FP32)


def lane_tree_sum(v: np.ndarray) -> np.ndarray:
    """Sum over the last axis (a power of two) by a pairwise tree: level by level, lane 2i + lane
    2i+1, as the RTL adder tree does."""
    while v.shape[-1] > 1:
        v = add(v[..., 0::2], v[..., 1::2])
    return v


def rms_stats(x16: np.ndarray, lanes: int, inv_d: int, eps: int) -> np.ndarray:
    """x16 [M, D*lanes] -> r [M] FP32: r = rsqrt(sum(x^2) * inv_d + eps) (HF LlamaRMSNorm:
    variance = mean(x^2) in FP32, eps inside the square root).

    Order: lane l accumulates x[l + lanes*j]^2 for j = 0..D-1 in sequence, starting from +0;
    then the lanes are summed by a pairwise tree; then one multiply by inv_d (= FP32 1/D*lanes,
    supplied by the program), one add of eps, and the rsqrt unit."""
    x = w32(x16).reshape(x16.shape[0], -1, lanes)          # [M, D, lanes]
    acc = np.zeros((x.shape[0], lanes), dtype=np.int64)
    for j in range(x.shape[1]):
        acc = add(acc, mul(x[:, j], x[:, j]))
    s = lane_tree_sum(acc)[:, 0]
    return U.rsqrt(add(mul(s, inv_d), eps))


def rmsnorm_apply(x16: np.ndarray, r32: np.ndarray, w16: np.ndarray) -> np.ndarray:
    """y = fp16(w * fp16(x * r)) per element (HF: weight * hidden.to(fp16), hidden computed in
    FP32); x16 [M, N], r32 [M], w16 [N]."""
    h = n16(mul(w32(x16), np.asarray(r32, dtype=np.int64)[:, None]))
    return n16(mul(w32(h), w32(w16)[None, :]))


def silu32(g32):
    """silu(g) = g * recip(1 + exp(-g)), FP32 (model/npe_units.py: silu)."""
    return U.silu(g32)


def swiglu(g16: np.ndarray, u16: np.ndarray) -> np.ndarray:
    """y = fp16(fp16(silu(g)) * u) (HF: act_fn(gate_proj(x)) * up_proj(x), both FP16 tensors)."""
    a = n16(silu32(w32(g16)))
    return n16(mul(w32(a), w32(u16)))


def rope(x16: np.ndarray, rot16: np.ndarray) -> np.ndarray:
    """Rotary embedding on interleaved pairs (Meta convention): for every pair (x0, x1) =
    (x[2k], x[2k+1]) and its (cos, sin) = (rot[2k], rot[2k+1]):
        y0 = fp16(x0*cos - x1*sin),  y1 = fp16(x0*sin + x1*cos)
    with exact FP32 products and one FP32 add. x16 and rot16 have the same shape (the caller
    expands rot per head)."""
    x = w32(x16)
    c = w32(rot16[..., 0::2])
    s = w32(rot16[..., 1::2])
    x0, x1 = x[..., 0::2], x[..., 1::2]
    y0 = add(mul(x0, c), mul(x1, s) ^ SIGN32)
    y1 = add(mul(x0, s), mul(x1, c))
    y = np.empty(x.shape, dtype=np.int64)
    y[..., 0::2] = n16(y0)
    y[..., 1::2] = n16(y1)
    return y


def mask_positions(mask: int, m: int) -> list[int]:
    """Indices of the first m set bits of mask (ascending): the token positions (relative to the
    ROT slice) of the m packed rows."""
    out = []
    i = 0
    while len(out) < m:
        if mask >> i & 1:
            out.append(i)
        i += 1
    return out


def rot_table(positions: np.ndarray, head_dim: int, base: float = 10000.0) -> np.ndarray:
    """Host-side cos/sin table (computed in float64, rounded to FP16), one row per position,
    interleaved (cos, sin) per pair: row p, lanes 2k, 2k+1 = cos, sin of p * base^(-2k/hd)."""
    k = np.arange(head_dim // 2)
    theta = np.asarray(positions, dtype=np.float64)[:, None] * base ** (-2.0 * k / head_dim)
    t = np.empty((len(positions), head_dim), dtype=np.float64)
    t[:, 0::2] = np.cos(theta)
    t[:, 1::2] = np.sin(theta)
    return t.astype(np.float16).view(np.uint16).astype(np.int64)


# ------------------------------------------------------------------------------------------
# online softmax features (FlashAttention update), per score tile
# ------------------------------------------------------------------------------------------
NEG_INF32 = 0xFF800000


def fmax32(a, b):
    """max of FP32 bit patterns (no NaNs expected; -0 == +0 keeps a)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    key = lambda v: np.where(v >> 31, -(v & 0x7FFFFFFF), v & 0x7FFFFFFF)  # noqa: E731
    return np.where(key(b) > key(a), b, a)


def softmax_features(s16: np.ndarray, lanes: int, valid: np.ndarray | None = None):
    """Online softmax features of score rows s16 [M, T*lanes], updated tile by tile (one tile =
    one buffer word): for tile j, tm = max of its valid scores, m' = max(m, tm),
    l' = l * exp(m - m') + sum_lanes exp(s - m') (tree sum). Masked (invalid, e.g. causal)
    scores count as -inf. Returns (m, l) FP32 per row."""
    s = w32(s16).reshape(s16.shape[0], -1, lanes)
    if valid is not None:
        s = np.where(np.asarray(valid).reshape(s.shape), s, NEG_INF32)
    m = np.full(s.shape[0], NEG_INF32, dtype=np.int64)
    l = np.zeros(s.shape[0], dtype=np.int64)
    for j in range(s.shape[1]):
        t = s[:, j]
        tm = t[:, 0]
        for i in range(1, lanes):
            tm = fmax32(tm, t[:, i])
        m2 = fmax32(m, tm)
        e = U.exp(add(t, m2[:, None] ^ SIGN32))
        corr = U.exp(add(m, m2 ^ SIGN32))
        corr = np.where(m == NEG_INF32, 0, corr)
        l = add(mul(l, corr), lane_tree_sum(e)[:, 0])
        m = m2
    return m, l


def softmax_normalize(s16: np.ndarray, m32: np.ndarray, l32: np.ndarray, lanes: int,
                      valid: np.ndarray | None = None) -> np.ndarray:
    """P = fp16(exp(s - m) * recip(l)) per element (applied while P streams into P.V)."""
    s = w32(s16)
    e = U.exp(add(s, np.asarray(m32, dtype=np.int64)[:, None] ^ SIGN32))
    p = n16(mul(e, U.recip(np.asarray(l32, dtype=np.int64))[:, None]))
    if valid is not None:
        p = np.where(valid, p, 0)
    return p
