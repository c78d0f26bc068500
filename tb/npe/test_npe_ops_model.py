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
    assert np.all(np.abs(got.sum(axis=1) - 1) < 1e-2)
    if valid is not None:
        assert np.all(got[~valid] == 0)
