"""NPE operations (model/npe.py) against float64 references of the HF Llama semantics: the
bit-accurate dataflows must stay within a few FP16 ulps of the exact function on realistic data,
and the online softmax must equal the ordinary softmax. These guard the *meaning* of the model
(the RTL is checked bit for bit against the model elsewhere)."""

import numpy as np
import pytest

from model import npe as N

LANES = 16


def f16(bits):
    return np.asarray(bits, dtype=np.int64).astype(np.uint16).view(np.float16).astype(np.float64)


def bits16(v):
    return np.asarray(v, dtype=np.float64).astype(np.float16).view(np.uint16).astype(np.int64)


def ulp_err(got_bits, ref):
    """Error in units of the FP16 ulp at the reference value. Below the smallest normal the
    core flushes to zero (docs/numerics.md), so there a zero (or the smallest normal) counts as
    exact."""
    ref = np.asarray(ref, dtype=np.float64)
    got = f16(got_bits)
    e = np.floor(np.log2(np.maximum(np.abs(ref), 2.0 ** -14)))
    err = np.abs(got - ref) / 2.0 ** (e - 10)
    tiny = np.abs(ref) < 2.0 ** -14
    return np.where(tiny & (np.abs(got) <= 2.0 ** -14), 0.0, err)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_rmsnorm_matches_float64(rng):
    m, d = 12, 4                                             # hidden = 64
    x = bits16(rng.standard_normal((m, d * LANES)) * np.exp2(rng.integers(-4, 4, (m, 1))))
    w = bits16(rng.standard_normal(d * LANES) * 0.5 + 1.0)
    eps = 1e-5
    r = N.rms_stats(x, LANES, int(np.float32(1.0 / (d * LANES)).view(np.uint32)),
                    int(np.float32(eps).view(np.uint32)))
    y = N.rmsnorm_apply(x, r, w)
    xf = f16(x)
    ref_r = 1.0 / np.sqrt(np.mean(xf ** 2, axis=1) + eps)
    rr = np.asarray(r, dtype=np.int64).astype(np.uint32).view(np.float32).astype(np.float64)
    assert np.max(np.abs(rr / ref_r - 1)) < 2e-6
    # HF: weight * fp16(x * r): two FP16 roundings -> at most ~1.5 ulp of the exact product
    ref = f16(w)[None, :] * (xf * ref_r[:, None])
    assert np.max(ulp_err(y, ref)) <= 1.5


def test_swiglu_matches_float64(rng):
    g = bits16(rng.standard_normal(4096) * 3)
    u = bits16(rng.standard_normal(4096))
    y = N.swiglu(g, u)
    gf = f16(g)
    silu = gf / (1 + np.exp(-gf))
    ref = f16(bits16(silu)) * f16(u)                         # HF rounds silu(g) to FP16 first
    assert np.max(ulp_err(y, ref)) <= 1.5


def test_rope_matches_float64_and_hf_rotate_half(rng):
    hd, m = 32, 8
    pos = rng.integers(0, 4096, m)
    x = bits16(rng.standard_normal((m, hd)))
    rot = N.rot_table(pos, hd)
    y = N.rope(x, rot)
    xf = f16(x)
    c, s = f16(rot[:, 0::2]), f16(rot[:, 1::2])
    ref = np.empty_like(xf)
    ref[:, 0::2] = xf[:, 0::2] * c - xf[:, 1::2] * s
    ref[:, 1::2] = xf[:, 0::2] * s + xf[:, 1::2] * c
    assert np.max(ulp_err(y, ref)) <= 1.0                    # one rounding of an FP32 result
    # Meta interleaved == HF rotate_half after permuting each head's dims: HF dim k <-> 2k,
    # HF dim k + hd/2 <-> 2k + 1
    perm = np.concatenate([np.arange(0, hd, 2), np.arange(1, hd, 2)])
    xh = xf[:, perm]
    theta = pos[:, None].astype(np.float64) * 10000.0 ** (-2.0 * np.arange(hd // 2) / hd)
    cos_h = np.concatenate([np.cos(theta)] * 2, axis=1)
    sin_h = np.concatenate([np.sin(theta)] * 2, axis=1)
    rot_half = np.concatenate([-xh[:, hd // 2:], xh[:, :hd // 2]], axis=1)
    yh = xh * cos_h + rot_half * sin_h
    assert np.max(np.abs(yh - ref[:, perm])) < 2e-3 * np.max(np.abs(ref))


@pytest.mark.parametrize("hd", [32, 128])
def test_rot_table_is_what_the_npe_reads(hd):
    """The cos/sin table over 4096 positions: every entry is the float64 value rounded to FP16,
    except that values below the smallest normal are signed zeros (the NPE reads subnormals as
    zero, DAZ), so the table holds no subnormal and the hardware uses exactly its bits."""
    pos = np.arange(4096)
    t = N.rot_table(pos, hd)
    theta = pos[:, None].astype(np.float64) * 10000.0 ** (-2.0 * np.arange(hd // 2) / hd)
    ref = np.empty((len(pos), hd))
    ref[:, 0::2], ref[:, 1::2] = np.cos(theta), np.sin(theta)
    exact = bits16(ref)
    sub = ((exact & 0x7C00) == 0) & ((exact & 0x3FF) != 0)
    assert sub.any()                                 # the table range has subnormal values
    assert np.array_equal(t[~sub], exact[~sub])
    assert np.array_equal(t[sub], exact[sub] & 0x8000)


def test_mask_positions():
    assert N.mask_positions(0b101101, 4) == [0, 2, 3, 5]
    assert N.mask_positions(1 << 200, 1) == [200]


@pytest.mark.parametrize("causal", [False, True])
def test_online_softmax_equals_softmax(rng, causal):
    m, t = 6, 5
    s = bits16(rng.standard_normal((m, t * LANES)) * 4)
    valid = None
    if causal:
        q = np.arange(m)[:, None] * 13 + 3
        valid = np.arange(t * LANES)[None, :] <= q
    mx, l = N.softmax_features(s, LANES, valid)
    p = N.softmax_normalize(s, mx, l, LANES, valid)
    sf = f16(s)
    if valid is not None:
        sf = np.where(valid, sf, -np.inf)
    ref = np.exp(sf - sf.max(axis=1, keepdims=True))
    ref /= ref.sum(axis=1, keepdims=True)
    got = f16(p)
    assert np.max(np.abs(got - ref)) < 2e-3
    assert np.max(ulp_err(p, ref)) <= SOFTMAX_ULP
    assert np.all(np.abs(got.sum(axis=1) - 1) < 1e-2)
    if valid is not None:
        assert np.all(got[~valid] == 0)


# Tolerance of the online softmax against float64 (docs/softmax.md): P within 0.51 FP16 ulp (one
# rounding of an FP32 value whose own error is below 1e-6 relative; measured 0.5005), l within
# 2e-6 relative (measured 2.5e-7), m exact.
SOFTMAX_ULP = 0.51
SOFTMAX_L_REL = 2e-6


def softmax_rows(rng, m, t, lanes):
    """Score rows of mixed kinds with lane masks: all-masked tiles, causal edges, -Inf scores,
    fully dead rows, large and small magnitudes, -0/+0 and tied maxima."""
    n = t * lanes
    scale = rng.choice([0.3, 1.0, 4.0, 16.0, 1000.0], (m, 1))
    v = rng.standard_normal((m, n)) * scale + rng.choice([0.0, -30.0, 50.0], (m, 1))
    ties = rng.random(m) < 0.15
    v[ties] = rng.choice([-0.0, 0.0, -1.0, 2.0], (int(ties.sum()), n))
    s = bits16(np.clip(v, -65504, 65504))
    s[rng.random((m, n)) < 0.03] = N.NEG_INF16                     # valid -Inf scores
    valid = rng.random((m, n)) < rng.choice([1.0, 0.9, 0.5], (m, 1))
    tiles = valid.reshape(m, t, lanes)
    tiles[rng.random((m, t)) < 0.15] = False                        # all-masked tiles
    valid[rng.random(m) < 0.05] = False                             # fully dead rows
    q = rng.integers(0, n, m)
    causal = rng.random(m) < 0.3
    valid[causal] &= np.arange(n)[None, :] <= q[causal, None]
    return s, valid


@pytest.mark.parametrize("lanes", [4, 16, 64])
def test_online_softmax_masked_matches_float64(rng, lanes):
    """Random rows (softmax_rows) through softmax_features / softmax_normalize against the
    float64 softmax over the live scores (valid and not -Inf): m exact, l and P within the
    stated tolerance; dead lanes give exactly +0, a row without a live score keeps
    (-Inf, +0) and gives P = 0 everywhere."""
    m, t = 400, 6
    s, valid = softmax_rows(rng, m, t, lanes)
    mx, l = N.softmax_features(s, lanes, valid)
    p = N.softmax_normalize(s, mx, l, lanes, valid)
    live = N.softmax_live(s, valid)
    sf = np.where(live, f16(s), -np.inf)
    dead = ~live.any(axis=1)
    assert dead.any() and not dead.all()
    assert np.all(mx[dead] == N.NEG_INF32) and np.all(l[dead] == 0)
    assert np.all(p[~live] == 0)
    ok = ~dead
    ref_m = sf[ok].max(axis=1)
    got_m = np.asarray(mx[ok], dtype=np.int64).astype(np.uint32).view(np.float32)
    assert np.array_equal(got_m.astype(np.float64), ref_m)
    ref_l = np.exp(sf[ok] - ref_m[:, None]).sum(axis=1)
    got_l = np.asarray(l[ok], dtype=np.int64).astype(np.uint32).view(np.float32)
    assert np.max(np.abs(got_l / ref_l - 1)) < SOFTMAX_L_REL
    ref_p = np.exp(sf[ok] - ref_m[:, None]) / ref_l[:, None]
    assert np.max(ulp_err(p[ok], ref_p)) <= SOFTMAX_ULP
    assert np.all(np.abs(f16(p[ok]).sum(axis=1) - 1) < 2e-2)


def test_online_softmax_edge_rules(rng):
    """Definitions of docs/softmax.md on the model: a tile without a live lane leaves (m, l)
    bit-identical; the first flag restarts a row; the tree max equals the sequential max bit
    for bit (ties keep the lower lane, so -0/+0 ties resolve the same way)."""
    m, t = 64, 4
    s, valid = softmax_rows(rng, m, t, LANES)
    mx, l = N.softmax_features(s, LANES, valid)
    # insert an all-masked tile (random scores, even NaN/Inf) after every tile
    junk = rng.integers(0, 1 << 16, (m, t, LANES))
    s2 = np.stack([s.reshape(m, t, LANES), junk], axis=2).reshape(m, -1)
    v2 = np.stack([valid.reshape(m, t, LANES), np.zeros((m, t, LANES), bool)], axis=2)
    mx2, l2 = N.softmax_features(s2, LANES, v2.reshape(m, -1))
    assert np.array_equal(mx, mx2) and np.array_equal(l, l2)
    # first flag: stale features are replaced by (-Inf, +0)
    stale_m = rng.integers(0, 1 << 32, m)
    stale_l = rng.integers(0, 1 << 32, m)
    a = N.softmax_update(stale_m, stale_l, s[:, :LANES], valid[:, :LANES], first=np.ones(m, bool))
    b = N.softmax_update(np.full(m, N.NEG_INF32), np.zeros(m, np.int64), s[:, :LANES],
                         valid[:, :LANES])
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    # tree max == sequential max (left fold), bits included
    x = N.w32(rng.choice(bits16([-0.0, 0.0, -1.0, 3.0, -np.inf]), (1000, LANES)))
    seq = x[:, 0]
    for i in range(1, LANES):
        seq = N.fmax32(seq, x[:, i])
    assert np.array_equal(N.lane_tree_max(x)[:, 0], seq)
