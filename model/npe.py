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
    interleaved (cos, sin) per pair: row p, lanes 2k, 2k+1 = cos, sin of p * base^(-2k/hd).
    Subnormal FP16 values are flushed to signed zero, as the NPE reads them (DAZ), so the table
    in memory is exactly what the hardware computes with (docs/npe.md)."""
    k = np.arange(head_dim // 2)
    theta = np.asarray(positions, dtype=np.float64)[:, None] * base ** (-2.0 * k / head_dim)
    t = np.empty((len(positions), head_dim), dtype=np.float64)
    t[:, 0::2] = np.cos(theta)
    t[:, 1::2] = np.sin(theta)
    bits = t.astype(np.float16).view(np.uint16).astype(np.int64)
    return np.where(bits & 0x7C00, bits, bits & 0x8000)


# ------------------------------------------------------------------------------------------
# online softmax features (FlashAttention update), per score tile; RTL rtl/skipopu_npe_smax.sv,
# decisions in docs/softmax.md
# ------------------------------------------------------------------------------------------
NEG_INF32 = 0xFF800000
NEG_INF16 = 0xFC00


def fmax32(a, b):
    """max of FP32 bit patterns in the order of their values (sign-magnitude keys); the core's
    only NaN after widening, the canonical 0x7FC00000, orders above +Inf. Ties (equal bits, or
    -0 against +0) keep a."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    key = lambda v: np.where(v >> 31, -(v & 0x7FFFFFFF), v & 0x7FFFFFFF)  # noqa: E731
    return np.where(key(b) > key(a), b, a)


def lane_tree_max(v: np.ndarray) -> np.ndarray:
    """Max over the last axis (a power of two) by a pairwise tree, lane 2i against lane 2i+1
    level by level (fmax32: ties keep the lower lane), as the RTL comparator tree does."""
    while v.shape[-1] > 1:
        v = fmax32(v[..., 0::2], v[..., 1::2])
    return v


def softmax_live(s16, valid=None) -> np.ndarray:
    """Lanes that take part in the softmax: valid (the lane-valid mask, e.g. causal) and not an
    FP16 -Inf score. Dead lanes are ignored by the max, add exactly 0 to the sum and give
    P = 0."""
    s16 = np.asarray(s16, dtype=np.int64)
    live = (s16 & 0xFFFF) != NEG_INF16
    return live if valid is None else live & np.asarray(valid, dtype=bool)


def softmax_update(m32, l32, s16, valid=None, first=None):
    """One tile of the FlashAttention update for N rows at once: features (m, l) [N] FP32, one
    score tile s16 [N, lanes] each (valid [N, lanes] lane mask, first [N]: the row starts here,
    the stored features are replaced by (-Inf, +0)). Hardware order (rtl/skipopu_npe_smax.sv):
        tm = tree max of the live scores (dead lanes = -Inf)
        m' = fmax32(m, tm)                       (a tie keeps m)
        e  = exp(s + (-m')) for live lanes, +0 for dead lanes
        l' = l * exp(m + (-m')) + tree sum of e
    A tile without a live lane leaves (m, l) unchanged (after the first-flag restart).
    Returns (m', l')."""
    m = np.asarray(m32, dtype=np.int64)
    l = np.asarray(l32, dtype=np.int64)
    if first is not None:
        first = np.asarray(first, dtype=bool)
        m = np.where(first, NEG_INF32, m)
        l = np.where(first, 0, l)
    s16 = np.asarray(s16, dtype=np.int64)
    s = w32(s16)
    live = softmax_live(s16, valid)
    tm = lane_tree_max(np.where(live, s, NEG_INF32))[:, 0]
    m2 = fmax32(m, tm)
    neg = m2 ^ SIGN32
    e = np.where(live, U.exp(add(s, neg[:, None])), 0)
    corr = U.exp(add(m, neg))
    l2 = add(mul(l, corr), lane_tree_sum(e)[:, 0])
    any_live = live.any(axis=1)
    return np.where(any_live, m2, m), np.where(any_live, l2, l)


def softmax_features(s16: np.ndarray, lanes: int, valid: np.ndarray | None = None):
    """Online softmax features of score rows s16 [M, T*lanes], updated tile by tile (one tile =
    one buffer word) from (m, l) = (-Inf, +0) with softmax_update. Returns (m, l) FP32 per row;
    a row without a live score keeps (-Inf, +0)."""
    s16 = np.asarray(s16, dtype=np.int64)
    rows = s16.shape[0]
    s = s16.reshape(rows, -1, lanes)
    v = None if valid is None else np.asarray(valid, dtype=bool).reshape(s.shape)
    m = np.full(rows, NEG_INF32, dtype=np.int64)
    l = np.zeros(rows, dtype=np.int64)
    for j in range(s.shape[1]):
        m, l = softmax_update(m, l, s[:, j], None if v is None else v[:, j])
    return m, l


def softmax_normalize(s16: np.ndarray, m32: np.ndarray, l32: np.ndarray, lanes: int,
                      valid: np.ndarray | None = None) -> np.ndarray:
    """P = fp16(exp(s + (-m)) * recip(l)) per element (applied while P streams into P.V), +0 for
    dead lanes (softmax_live); s16 [M, N], m32/l32 [M]. recip(l) is computed per word in the
    RTL, which gives the same bits as once per row."""
    s16 = np.asarray(s16, dtype=np.int64)
    s = w32(s16)
    e = U.exp(add(s, np.asarray(m32, dtype=np.int64)[:, None] ^ SIGN32))
    p = n16(mul(e, U.recip(np.asarray(l32, dtype=np.int64))[:, None]))
    return np.where(softmax_live(s16, valid), p, 0)
