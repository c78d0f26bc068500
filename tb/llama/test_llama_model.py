"""SkipGPT-Llama float reference (model/llama.py): configuration checks, deterministic
generator, GPTQ INT4 convention, router calibration and decision rule, the three KV modes
against each other and against model/kv.py, causality, RoPE against the hardware's
model/npe.py, GQA, bounded activations and greedy decode. Properties, not typed-in numbers."""

from dataclasses import replace

import numpy as np
import pytest

from model import kv
from model import llama as M
from model import npe

TINY = M.LlamaConfig.tiny()


def _openblas():
    """numpy's bundled OpenBLAS, if it is the scipy-openblas build (else None)."""
    import ctypes
    import glob
    import os
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs",
                                  "libscipy_openblas*.so*"))
    try:
        lib = ctypes.CDLL(libs[0])
        return lib.scipy_openblas_get_num_threads64_, lib.scipy_openblas_set_num_threads64_
    except (IndexError, OSError, AttributeError):
        return None


@pytest.fixture(scope="module", autouse=True)
def single_threaded_blas():
    """The matrices here are small: BLAS worker threads only cost synchronisation, and on a
    loaded 2-core machine made this file several times slower. Best effort, restored after."""
    f = _openblas()
    if f is None:
        yield
        return
    n = f[0]()
    f[1](1)
    yield
    f[1](n)


@pytest.fixture(scope="module")
def tiny():
    return M.make_model(TINY)


@pytest.fixture(scope="module")
def default():
    return M.make_model(M.LlamaConfig.default())


def other_tokens(cfg, n=8, seed=12345):
    return np.random.default_rng(seed).integers(0, cfg.vocab, size=(n, cfg.max_seq))


def with_biases(w, attn_bias, mlp_bias):
    """The same model with every router's bias replaced."""
    layers = tuple(replace(lw,
                           router_attn=M.Router(lw.router_attn.weight, M.fp16(attn_bias)),
                           router_mlp=M.Router(lw.router_mlp.weight, M.fp16(mlp_bias)))
                   for lw in w.layers)
    return replace(w, layers=layers)


def same(a, b):
    return np.array_equal(a, b, equal_nan=True)


def close(a, b):
    return np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


# ------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------
def test_presets_are_valid():
    for cfg in (M.LlamaConfig.tiny(), M.LlamaConfig.default()):
        assert cfg.d == cfg.heads * cfg.head_dim and cfg.heads % cfg.kv_heads == 0
        assert cfg.d % cfg.group == 0 and cfg.ffn % cfg.group == 0
        assert cfg.kv_entry_bytes == 2 * cfg.kv_heads * cfg.head_dim * 2
    assert M.LlamaConfig.tiny(seed=7).seed == 7


def test_config_reports_every_problem_at_once():
    with pytest.raises(ValueError) as e:
        M.LlamaConfig(layers=0, d=72, heads=3, kv_heads=2, head_dim=16, ffn=100, vocab=10,
                      group=24, eps=0.0, rope_base=1.0, skip_target=1.5, seed=-1)
    msg = str(e.value)
    for needle in ("layers=0", "d=72 != heads*head_dim=48", "kv_heads=2", "d=72 is not a multiple",
                   "ffn=100", "vocab=10", "group=24", "eps=", "rope_base=", "skip_target=",
                   "seed="):
        assert needle in msg, (needle, msg)
    with pytest.raises(ValueError, match="group=64 does not divide d=32"):
        M.LlamaConfig(layers=1, d=32, heads=2, kv_heads=1, head_dim=16, ffn=64, vocab=16,
                      group=64)
    with pytest.raises(ValueError, match="head_dim=8 is not a multiple of 16"):
        M.LlamaConfig(layers=1, d=32, heads=4, kv_heads=1, head_dim=8, ffn=64, vocab=16,
                      group=16)


# ------------------------------------------------------------------------------------------
# generator
# ------------------------------------------------------------------------------------------
def test_generator_deterministic_and_seeded(tiny):
    a, b = tiny.arrays(), M.make_model(TINY).arrays()
    c = M.make_model(M.LlamaConfig.tiny(seed=1)).arrays()
    assert a.keys() == b.keys() == c.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name]), name
        assert not np.array_equal(a[name], c[name]), name
    assert not tiny.embedding.flags.writeable and not tiny.layers[0].wq.q.flags.writeable


def test_shapes_and_dtypes(tiny):
    cfg = TINY
    hd, n_h, n_kv = cfg.head_dim, cfg.heads, cfg.kv_heads
    assert tiny.embedding.shape == (cfg.vocab, cfg.d) and tiny.embedding.dtype == np.float16
    assert tiny.lm_head.shape == (cfg.d, cfg.vocab)
    assert len(tiny.layers) == cfg.layers
    want = {"wq": (cfg.d, n_h * hd), "wk": (cfg.d, n_kv * hd), "wv": (cfg.d, n_kv * hd),
            "wo": (n_h * hd, cfg.d), "w_gate": (cfg.d, cfg.ffn), "w_up": (cfg.d, cfg.ffn),
            "w_down": (cfg.ffn, cfg.d)}
    for lw in tiny.layers:
        for name, shape in want.items():
            qw = getattr(lw, name)
            assert qw.shape == shape and qw.q.dtype == np.int8
            assert qw.scale.shape == (shape[0] // cfg.group, shape[1])
            assert qw.scale.dtype == np.float16 and qw.group == cfg.group
        for r in (lw.router_attn, lw.router_mlp):
            assert r.weight.shape == (cfg.d, 2) and r.bias.shape == (2,)
            assert r.weight.dtype == r.bias.dtype == np.float16
        assert lw.attn_norm.dtype == lw.mlp_norm.dtype == np.float16


def test_fp16_arrays_have_no_subnormals(default):
    """The core reads FP16 subnormals as zero (DAZ), so the generator never stores one."""
    for name, a in default.arrays().items():
        if a.dtype == np.float16:
            f = np.abs(a.astype(np.float64))
            assert np.all((f == 0) | (f >= 2.0 ** -14)) and np.all(np.isfinite(f)), name


# ------------------------------------------------------------------------------------------
# GPTQ INT4
# ------------------------------------------------------------------------------------------
def check_quantized(w, qw):
    s = np.repeat(qw.scale.astype(np.float64), qw.group, axis=0)
    err = np.abs(w - qw.dequant())
    assert qw.q.min() >= -8 and qw.q.max() <= 7
    inside = w <= 7.5 * s                      # not at the positive clamp
    assert np.all(err[inside] <= s[inside] / 2 * (1 + 1e-12))
    assert np.all(err <= s * (0.5 + 8 * 2.0 ** -11))
    # the scale is GPTQ's fp16(2 max|w| / 15), so every group uses the full INT4 range
    k_, n_ = w.shape
    amax = np.abs(w.reshape(k_ // qw.group, qw.group, n_)).max(axis=1)
    assert np.array_equal(qw.scale, M.fp16(2 * amax / 15))
    qmax = np.abs(qw.q.astype(int)).reshape(k_ // qw.group, qw.group, n_).max(axis=1)
    assert np.all((qmax == 7) | (qmax == 8))
    # GPTQ unsigned storage with zero point 8 is the same weight
    assert qw.uint4().min() >= 0 and qw.uint4().max() <= 15
    assert np.array_equal((qw.uint4().astype(np.float64) - 8) * s, qw.dequant())


@pytest.mark.parametrize("group", [16, 32, 128])
def test_int4_roundtrip_bound(group):
    rng = np.random.default_rng(group)
    w = rng.standard_normal((256, 48)) * rng.uniform(0.01, 3, size=(1, 48))
    check_quantized(w, M.quantize(w, group))


def test_int4_zero_group():
    w = np.zeros((32, 16))
    w[16:] = np.random.default_rng(0).standard_normal((16, 16))
    qw = M.quantize(w, 16)
    assert np.all(qw.scale[0] == 0) and np.all(qw.q[:16] == 0)
    assert np.all(qw.dequant()[:16] == 0)


def test_model_scales_are_normal_fp16(default):
    for lw in default.layers:
        for name in M.MATRICES:
            s = getattr(lw, name).scale.astype(np.float64)
            assert np.all(s >= 2.0 ** -14) and np.all(np.isfinite(s)), name


# ------------------------------------------------------------------------------------------
# routing rule
# ------------------------------------------------------------------------------------------
def test_decide_tie_executes():
    lg = np.array([[1, 1], [0, -0.0], [-0.0, 0], [1, 2], [2, 1], [np.nan, 1], [1, np.nan]],
                  dtype=np.float16)
    assert M.decide(lg).tolist() == [True, True, True, False, True, True, True]


def test_route_casts_logits_to_fp16_before_deciding():
    d = 16
    x = np.zeros((3, d))
    x[:, 0] = 1.0
    w = np.zeros((d, 2), dtype=np.float16)
    # float64 logit 1 exceeds logit 0 by less than half an FP16 ulp of 1.0: FP16 tie -> execute
    assert M.route(x, w, np.array([1.0, 1.0 + 2.0 ** -13])).all()
    assert not M.route(x, w, np.array([1.0, 1.0 + 2.0 ** -10])).any()
    b = M.fp16([0.5, 0.5])
    assert M.route(x, w, b).all()                              # equal bias: tie executes
    assert not M.route(x, w, M.fp16([0.0, 1.0])).any()         # skip everything...
    assert M.route(x, w, M.fp16([0.0, 1.0]), 0, "attn").all()  # ...except layer-0 attention
    assert not M.route(x, w, M.fp16([0.0, 1.0]), 0, "mlp").any()
    with pytest.raises(ValueError):
        M.route(x, w, b, 0, "ffn")


@pytest.mark.parametrize("mode", ["partial", "reuse"])
def test_layer0_policy(tiny, mode):
    """Routers that want to skip everything: layer-0 attention still executes for every
    token (and writes KV); the layer-0 MLP router applies."""
    w = with_biases(tiny, [0, 100], [0, 100])
    r = M.forward_float(w, M.calibration_tokens(TINY)[0], mode)
    assert r.exec_attn[0].all() and not r.exec_attn[1:].any() and not r.exec_mlp.any()
    assert not M.decide(r.logits_attn[0]).any()         # the router said skip
    if mode == "reuse":
        assert np.array_equal(r.written, r.exec_attn)
        assert (r.kv_sources == 0).all()
        assert r.kv_storage()["saved"] == pytest.approx((TINY.layers - 1) / TINY.layers)
    else:
        assert r.written.all() and r.kv_storage()["saved"] == 0
    # with no MLP and only layer-0 attention, every layer after 0 passes the residual
    assert np.array_equal(r.hidden[1], r.hidden[-1])


# ------------------------------------------------------------------------------------------
# calibration
# ------------------------------------------------------------------------------------------
def batch_masks(w, tokens, mode):
    rs = [M.forward_float(w, t, mode) for t in tokens]
    return (np.concatenate([r.exec_attn for r in rs], axis=1),
            np.concatenate([r.exec_mlp for r in rs], axis=1))


@pytest.mark.parametrize("target", [0.25, 0.4])
def test_skip_rate_on_calibration_tokens(target):
    cfg = M.LlamaConfig.tiny(skip_target=target)
    w = M.make_model(cfg)
    ea, em = batch_masks(w, M.calibration_tokens(cfg), "partial")
    rates = M.skip_rates(ea, em)
    assert abs(rates["attn"] - target) <= 0.05 and abs(rates["mlp"] - target) <= 0.05, rates
    # calibrated per layer and module (layer 0: MLP only, attention is forced)
    assert np.all(np.abs((~ea[1:]).mean(axis=1) - target) <= 0.03)
    assert np.all(np.abs((~em).mean(axis=1) - target) <= 0.03)
    assert ea[0].all()


@pytest.mark.parametrize("mode", ["partial", "reuse"])
def test_skip_rate_on_other_tokens(tiny, default, mode):
    """Near the target on sequences the routers were not calibrated on (the quantile of 256 or
    512 calibration tokens per layer carries a few points of sampling noise)."""
    for w in (tiny, default):
        rates = M.skip_rates(*batch_masks(w, other_tokens(w.cfg), mode))
        for m in ("attn", "mlp"):
            assert abs(rates[m] - w.cfg.skip_target) <= 0.08, (w.cfg.layers, rates)
        assert 0 < rates["mlp_layer0"] < 1


def test_zero_target_never_skips():
    cfg = M.LlamaConfig.tiny(skip_target=0.0)
    ea, em = batch_masks(M.make_model(cfg), other_tokens(cfg, 2), "reuse")
    assert ea.all() and em.all()


# ------------------------------------------------------------------------------------------
# modes
# ------------------------------------------------------------------------------------------
FIELDS = ("hidden", "mid", "k", "v", "written", "exec_attn", "exec_mlp", "final", "logits",
          "logits_attn", "logits_mlp")


def test_dense_equals_forced_partial_and_reuse(tiny):
    toks = M.calibration_tokens(TINY)[0]
    d = M.forward_float(tiny, toks, "dense")
    ones = np.ones((TINY.layers, len(toks)), dtype=bool)
    runs = [M.forward_float(tiny, toks, "partial", force_exec=True),
            M.forward_float(tiny, toks, "reuse", force_exec=True),
            M.forward_float(tiny, toks, "reuse", masks=(ones, ones))]
    assert d.exec_attn.all() and d.exec_mlp.all() and d.written.all()
    for r in runs:
        for f in FIELDS:
            assert same(getattr(d, f), getattr(r, f)), f


def test_partial_equals_reuse_without_attention_skips(tiny):
    toks = M.calibration_tokens(TINY)[1]
    routed = M.forward_float(tiny, toks, "partial")
    assert not routed.exec_mlp.all()
    masks = (np.ones_like(routed.exec_attn), routed.exec_mlp)
    p = M.forward_float(tiny, toks, "partial", masks=masks)
    r = M.forward_float(tiny, toks, "reuse", masks=masks)
    for f in FIELDS:
        assert same(getattr(p, f), getattr(r, f)), f
    assert np.array_equal(p.exec_mlp, routed.exec_mlp)


def test_partial_and_reuse_differ_with_attention_skips(tiny):
    toks = M.calibration_tokens(TINY)[2]
    p = M.forward_float(tiny, toks, "partial")
    r = M.forward_float(tiny, toks, "reuse")
    assert p.written.all() and np.array_equal(r.written, r.exec_attn)
    assert np.array_equal(r.kv_sources, kv.source_layers(r.exec_attn, "reuse"))
    assert (p.kv_sources == np.arange(TINY.layers)[:, None]).all()
    assert np.isnan(r.k[~r.written]).all() and not np.isnan(r.k[r.written]).any()
    # identical up to the first layer where some token skips attention, different from there
    ls = int(np.flatnonzero((~p.exec_attn).any(axis=1))[0])
    assert ls >= 1
    assert same(p.hidden[:ls + 1], r.hidden[:ls + 1])
    assert np.array_equal(p.exec_attn[:ls + 1], r.exec_attn[:ls + 1])
    assert not np.allclose(p.mid[ls], r.mid[ls])
    assert not np.allclose(p.logits, r.logits)
    assert r.kv_storage()["entries"] == r.exec_attn.sum() < p.kv_storage()["entries"]


def test_reuse_attention_reads_the_source_layers(tiny):
    """Recompute one query's attention by hand from the recorded layer inputs, with the KV
    entry of every earlier token taken from its last executed layer."""
    cfg = TINY
    r = M.forward_float(tiny, M.calibration_tokens(cfg)[3], "reuse")
    src = kv.source_layers(r.exec_attn, "reuse")
    cands = [(l, t) for l in range(1, cfg.layers) for t in range(r.tokens.size)
             if r.exec_attn[l, t] and (src[l, :t] < l).any()]
    assert cands
    l, t = cands[len(cands) // 2]
    hd, rep = cfg.head_dim, cfg.n_rep
    lw = tiny.layers[l]
    q = M.rope_float((M.rmsnorm(r.hidden[l, t:t + 1], lw.attn_norm, cfg.eps)
                      @ lw.wq.dequant()).reshape(1, cfg.heads, hd), [t], cfg.rope_base)[0]
    out = np.zeros(cfg.heads * hd)
    for h in range(cfg.heads):
        g = h // rep
        scores, vals = [], []
        for s in range(t + 1):
            ls = src[l, s]
            hs = M.rmsnorm(r.hidden[ls, s], tiny.layers[ls].attn_norm, cfg.eps)
            k = M.rope_float((hs @ tiny.layers[ls].wk.dequant()).reshape(1, -1, hd), [s],
                             cfg.rope_base)[0, g]
            vals.append((hs @ tiny.layers[ls].wv.dequant()).reshape(-1, hd)[g])
            scores.append(q[h] @ k / np.sqrt(hd))
        p = np.exp(np.array(scores) - max(scores))
        out[h * hd:(h + 1) * hd] = (p / p.sum()) @ np.array(vals)
    assert np.allclose(r.mid[l, t] - r.hidden[l, t], out @ lw.wo.dequant(), rtol=1e-9,
                       atol=1e-12)


def test_skipped_tokens_pass_the_residual(tiny):
    r = M.forward_float(tiny, M.calibration_tokens(TINY)[4], "reuse")
    for l in range(TINY.layers):
        sa, sm = ~r.exec_attn[l], ~r.exec_mlp[l]
        assert np.array_equal(r.mid[l][sa], r.hidden[l][sa])
        assert np.array_equal(r.hidden[l + 1][sm], r.mid[l][sm])
        assert not np.isclose(r.mid[l][~sa], r.hidden[l][~sa]).all(axis=1).any()
    assert np.array_equal(r.hidden[0], tiny.embedding[r.tokens].astype(np.float64))


@pytest.mark.parametrize("mode", ["dense", "partial", "reuse"])
def test_causal(tiny, mode):
    toks = other_tokens(TINY, 1, seed=5)[0]
    full = M.forward_float(tiny, toks, mode)
    for t in (1, 9, 20):
        pre = M.forward_float(tiny, toks[:t], mode)
        for f in FIELDS:
            a, b = getattr(pre, f), getattr(full, f)
            idx = (slice(None), slice(0, t)) if a.ndim >= 2 and a.shape[0] != t else \
                (slice(0, t),)
            assert close(a, b[idx]), (f, t)


def test_gqa_equals_mha_with_shared_kv_heads(tiny):
    cfg = TINY
    hd, rep = cfg.head_dim, cfg.n_rep
    cols = np.concatenate([np.arange(hd) + (h // rep) * hd for h in range(cfg.heads)])

    def widen(qw):
        return M.QWeight(qw.q[:, cols], qw.scale[:, cols])

    mha = replace(tiny, cfg=replace(cfg, kv_heads=cfg.heads),
                  layers=tuple(replace(lw, wk=widen(lw.wk), wv=widen(lw.wv))
                               for lw in tiny.layers))
    toks = M.calibration_tokens(cfg)[5]
    for mode in ("partial", "reuse"):
        a, b = M.forward_float(tiny, toks, mode), M.forward_float(mha, toks, mode)
        assert np.array_equal(a.exec_attn, b.exec_attn)
        assert close(a.hidden, b.hidden) and close(a.logits, b.logits)


def test_routing_overrides_are_validated(tiny):
    toks = M.calibration_tokens(TINY)[0][:8]
    ones = np.ones((TINY.layers, 8), dtype=bool)
    bad = ones.copy()
    bad[0, 3] = False
    with pytest.raises(ValueError, match="layer 0"):
        M.forward_float(tiny, toks, "reuse", masks=(bad, ones))
    with pytest.raises(ValueError):
        M.forward_float(tiny, toks, "dense", masks=(ones, ones))
    with pytest.raises(ValueError):
        M.forward_float(tiny, toks, "reuse", masks=(ones[:, :4], ones[:, :4]))
    with pytest.raises(ValueError, match="unknown mode"):
        M.forward_float(tiny, toks, "skip")
    with pytest.raises(ValueError):
        M.forward_float(tiny, np.array([0, TINY.vocab]), "dense")
    with pytest.raises(ValueError, match="max_seq"):
        M.forward_float(tiny, np.zeros(TINY.max_seq + 1, dtype=int), "dense")


def test_kv_storage_accounting(tiny):
    ea, _ = batch_masks(tiny, M.calibration_tokens(TINY), "reuse")
    st = M.kv_storage(TINY, ea, "reuse")
    assert st == kv.storage(ea, "reuse", TINY.kv_entry_bytes)
    assert st["entries"] == ea.sum()
    assert st["saved"] == pytest.approx((~ea).mean())
    # about skip_target of the layers >= 1 -> saving close to target * (L-1)/L
    assert abs(st["saved"] - TINY.skip_target * (TINY.layers - 1) / TINY.layers) < 0.04
    assert M.kv_storage(TINY, ea, "partial")["saved"] == 0


# ------------------------------------------------------------------------------------------
# RoPE: the hardware's pairing
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("hd", [16, 32, 128])
def test_rope_matches_npe(hd):
    rng = np.random.default_rng(hd)
    pos = np.array([0, 1, 2, 7, 63, 500, 4095])
    x16 = M.fp16(rng.standard_normal((len(pos), 3, hd)) * 4)
    rot = npe.rot_table(pos, hd, 10000.0)
    # the float reference uses the table's own angles, exactly
    th = M.rope_angles(pos, hd, 10000.0)
    assert np.array_equal(rot[:, 0::2], np.cos(th).astype(np.float16).view(np.uint16))
    assert np.array_equal(rot[:, 1::2], np.sin(th).astype(np.float16).view(np.uint16))
    bits = x16.view(np.uint16).astype(np.int64)
    hw = npe.rope(bits, np.broadcast_to(rot[:, None, :], bits.shape))
    hw = hw.astype(np.uint16).view(np.float16).astype(np.float64)
    ref = M.rope_float(x16.astype(np.float64), pos, 10000.0)
    x = x16.astype(np.float64)
    pair = np.repeat(np.abs(x[..., 0::2]) + np.abs(x[..., 1::2]), 2, axis=-1)
    # FP16 cos/sin table (<= 2^-11 relative each) + one FP16 rounding of the result
    bound = 2.0 ** -11 * (pair + np.abs(ref)) * 1.01 + 2.0 ** -14
    assert np.all(np.abs(hw - ref) <= bound)
    assert np.abs(hw - ref).max() > 0          # the check is not vacuous


def test_rope_hf_rotate_half_equivalence():
    rng = np.random.default_rng(3)
    hd, n_h, base = 32, 4, 10000.0
    pos = np.arange(11)
    x = rng.standard_normal((len(pos), n_h, hd))
    perm = M.rope_perm(hd)

    def hf_rope(xh):           # transformers' apply_rotary_pos_emb with rotate_half
        th = M.rope_angles(pos, hd, base)
        cos = np.concatenate([np.cos(th)] * 2, axis=-1)[:, None, :]
        sin = np.concatenate([np.sin(th)] * 2, axis=-1)[:, None, :]
        rot = np.concatenate([-xh[..., hd // 2:], xh[..., :hd // 2]], axis=-1)
        return xh * cos + rot * sin

    assert np.allclose(hf_rope(x[..., perm]), M.rope_float(x, pos, base)[..., perm],
                       rtol=0, atol=1e-12)
    # an HF q_proj/k_proj weight ([in, out] here) permuted per head gives interleaved outputs
    w_hf = rng.standard_normal((64, n_h * hd))
    h = rng.standard_normal((len(pos), 64))
    q_int = (h @ M.permute_hf_qk(w_hf, n_h)).reshape(len(pos), n_h, hd)
    assert np.allclose(q_int[..., perm], (h @ w_hf).reshape(len(pos), n_h, hd))
    assert np.allclose(hf_rope((h @ w_hf).reshape(len(pos), n_h, hd)),
                       M.rope_float(q_int, pos, base)[..., perm], atol=1e-12)


# ------------------------------------------------------------------------------------------
# ranges and decode
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["dense", "partial", "reuse"])
def test_activations_bounded(tiny, default, mode):
    for w in (tiny, default):
        for toks in (M.calibration_tokens(w.cfg)[0], other_tokens(w.cfg, 1)[0]):
            r = M.forward_float(w, toks, mode)
            for a in (r.hidden, r.mid, r.logits, r.k[r.written], r.v[r.written]):
                assert np.all(np.isfinite(a)) and np.abs(a).max() < 1000


@pytest.mark.parametrize("mode", ["dense", "partial", "reuse"])
def test_greedy_decode(tiny, mode):
    prompt = other_tokens(TINY, 1, seed=9)[0][:10]
    steps = TINY.max_seq - len(prompt) + 1
    r = M.decode_float(tiny, prompt, steps, mode)
    again = M.decode_float(tiny, prompt, steps, mode)
    assert np.array_equal(r.generated, again.generated) and same(r.logits, again.logits)
    assert len(r.generated) == steps and r.tokens.size == TINY.max_seq
    assert np.array_equal(r.tokens, np.concatenate([prompt, r.generated[:-1]]))
    # token-by-token decode with the KV cache == one prefill over the same tokens
    full = M.forward_float(tiny, r.tokens, mode)
    for f in FIELDS:
        assert close(getattr(r, f), getattr(full, f)), f
    n = len(prompt)
    assert np.array_equal(r.generated, np.argmax(full.logits[n - 1:], axis=1))
    assert len(set(r.generated.tolist())) > 1
    with pytest.raises(ValueError, match="max_seq"):
        M.decode_float(tiny, prompt, steps + 1, mode)
