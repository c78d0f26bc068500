"""The whole-model host compiler (model/generate.py) and the KV / attention instructions, model
only, no simulator: prefill + decode with attention on model/core against the float64
reference (model/llama.py) in every KV mode and mapping, on three core widths; the KV cache in
HBM against the float K/V; routing that skips every MLP; the KV and attention checks at their
boundaries; configuration errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model import kv as K
from model.evaluate import f16, float_check, hbm_entries, problems, rel
from model.generate import (compile_images, decode_program, fit_core, model_runner,
                            prefill_program, run_generate)
from model.isa import (AttState, CoreConfig, Err, Insn, KvState, NpeState, Op, Regs,
                       config_after)
from model.llama import (LlamaConfig, Router, decode_float, forward_float, make_model,
                         prompt_tokens)

CORE = CoreConfig()
# a narrow core (128-bit words, two HBM ports, an 8 x 16 array, small buffers), a wide one
# (512-bit words: a 32 x 32 array, one HBM port) and p8 (eight HBM ports, a 16 x 64 array)
OTHER_CORES = {"narrow": CoreConfig(NUM_HBM=2, DATA_W=128, ADDR_W=33, GBUF_DEPTH=2048, MMAX=8,
                                    NPE_ROWS=64, KV_TOKENS=32, SMAX_ROWS=64, NCOL=16),
               "wide": CoreConfig(NUM_HBM=1, DATA_W=512, GBUF_DEPTH=2048, NCOL=32),
               "p8": CoreConfig(NUM_HBM=8, NCOL=64)}


@pytest.fixture(scope="module")
def tiny():
    return make_model(LlamaConfig.tiny())


_f, _rel = f16, rel


def _reference(w, gen, mode):
    ea, em = gen.exec_masks()
    seq = np.concatenate([gen.prompt, gen.tokens[:-1]])
    kw = {} if mode == "dense" else {"masks": (ea, em)}
    return forward_float(w, seq, mode, **kw), ea, em


def _check_against_float(w, img, gen, mode):
    ref, ea, em = _reference(w, gen, mode)
    n_p = len(gen.prompt)
    # every step's final rows and (trace) every layer's output rows
    hid = np.concatenate([_f(s.hidden) for s in gen.steps])
    assert _rel(hid, ref.hidden[-1]) < 2e-2
    for l in range(w.cfg.layers if gen.steps[0].layers else 0):
        lay = np.concatenate([_f(s.layers[l]) for s in gen.steps])
        assert _rel(lay, ref.hidden[l + 1]) < 2e-2, f"layer {l}"
    # greedy tokens: equal wherever the float top-2 gap is clear
    for i, tok in enumerate(gen.tokens):
        lg = ref.logits[n_p - 1 + i]
        top = np.sort(lg)[-2:]
        if top[1] - top[0] > 5e-2 * max(abs(top[1]), 1.0):
            assert tok == int(np.argmax(lg)), f"token {i}"
    # routing: the float routers on the float activations (free-running) agree
    free = decode_float(w, gen.prompt, len(gen.tokens), mode)
    if mode != "dense":
        assert (free.exec_attn == ea).mean() >= 0.9 and (free.exec_mlp == em).mean() >= 0.9
    return ref, ea


@pytest.mark.parametrize("mode", ["reuse", "partial", "dense"])
def test_generate_vs_float(tiny, mode):
    img = compile_images(tiny, CORE, mode=mode)
    gen = run_generate(img, prompt_tokens(tiny.cfg, 8, seed=1), 4, trace=True)
    ref, ea = _check_against_float(tiny, img, gen, mode)
    assert len(gen.tokens) == 4 and all(0 <= t < tiny.cfg.vocab for t in gen.tokens)
    # KV storage: the writes the core made are the mode's semantics
    st = K.storage(ea, mode if mode != "dense" else "dense", tiny.cfg.kv_entry_bytes)
    written = sum(s.result.wr_bytes[1:] and sum(s.result.wr_bytes[1:]) for s in gen.steps)
    assert written == st["bytes"]
    if mode == "reuse":
        assert st["saved"] > 0.1


@pytest.mark.parametrize("mode,mapping,buffer", [("reuse", "token", True),
                                                 ("reuse", "interleaved", False),
                                                 ("reuse", "token", False),
                                                 ("partial", "token", True)])
def test_kv_cache_vs_float(tiny, mode, mapping, buffer):
    """Every KV entry in HBM, found with KvMap.locate from the masks, is the float K (after
    RoPE) and V of its (layer, token); decode reads count what the schedule says."""
    img = compile_images(tiny, CORE, mode=mode, mapping=mapping, buffer=buffer)
    mems, run = model_runner(img)
    gen = run_generate(img, prompt_tokens(tiny.cfg, 6, seed=2), 4, run=run, ddr=mems[0])
    ref, ea = _check_against_float(tiny, img, gen, mode)[:2]
    ents = hbm_entries(img, mems, gen)
    assert len(ents) == int(K.writes(ea, mode).sum())
    for (l, t), v in ents.items():
        assert _rel(v[0], ref.k[l, t]) < 2e-2 and _rel(v[1], ref.v[l, t]) < 2e-2, (l, t)
    # decode steps: the KV unit counters equal the schedule of model/kv.py
    e = 2 * tiny.cfg.kv_dim // 16
    sch = K.KvScheduler(K.KvMap(CORE.KV_PORTS, e * 32, CORE.KV_TOKENS, tiny.cfg.layers,
                                mapping), K.BufferConfig(CORE.KV_BUF_CAP, CORE.KV_BUF_RD,
                                                         CORE.KV_BUF_WR, buffer), mode)
    n_p = len(gen.prompt)
    for i, s in enumerate(gen.steps[1:]):
        pos = n_p + i
        st = K.schedule_stats(sch.schedule(ea[:, :pos], ea[:, pos]))
        assert s.result.kv["hbm_words"] == st["hbm_reads"] * e
        assert s.result.kv["buf_words"] == st["buf_reads"] * e
        assert s.result.kv["rounds"] == st["rounds"]
    if buffer and mode == "reuse":
        assert sum(s.result.kv["buf_words"] for s in gen.steps) > 0


def test_mappings_and_buffer_agree(tiny):
    """Token-wise with or without the invariance buffer and interleaved read the same entries
    (in other orders: the softmax tile order differs, so only the float bounds are shared) and
    the prefill, whose keys are in natural order, is bit-identical."""
    pr = prompt_tokens(tiny.cfg, 8, seed=3)
    gens = [run_generate(compile_images(tiny, CORE, mapping=mp, buffer=b), pr, 3)
            for mp, b in (("token", True), ("token", False), ("interleaved", False))]
    for g in gens[1:]:
        assert (g.steps[0].hidden == gens[0].steps[0].hidden).all()
        for a, b in zip(g.steps, gens[0].steps):
            assert _rel(_f(a.hidden), _f(b.hidden)) < 1e-2


@pytest.mark.slow
def test_default_preset_prefill_and_one_step():
    w = make_model(LlamaConfig.default())
    img = compile_images(w, CORE, mode="reuse")
    gen = run_generate(img, prompt_tokens(w.cfg, 8, seed=4), 2)
    ref, ea, em = _reference(w, gen, "reuse")
    hid = np.concatenate([_f(s.hidden) for s in gen.steps])
    assert _rel(hid, ref.hidden[-1]) < 2e-2


@pytest.fixture(scope="module")
def large():
    return make_model(LlamaConfig.large(), calibrate_routers=False)


@pytest.mark.parametrize("core", ["default", "p8"])
def test_large_preset_compiles(large, core):
    """The large preset (issue 15) on the default and the 8-port core: compile_images names
    the KV entry the default KV_ENTRY_MAX cannot hold; with fit_core's KV_ENTRY_MAX and
    GBUF_DEPTH the images and a 16-token prefill and a decode step compile (static_check: every
    instruction legal, the WFETCH queue consistent), every matrix is one stream on every port,
    and the weights region plus the KV region fit a pseudo-channel."""
    base = CORE if core == "default" else OTHER_CORES["p8"]
    with pytest.raises(ValueError, match="KV entry of 64 words"):
        compile_images(large, base)
    cc = fit_core(large.cfg, base, 16)
    assert (cc.KV_ENTRY_MAX, cc.GBUF_DEPTH, cc.NCOL, cc.NUM_HBM) == \
        (64, 16384, base.NCOL, base.NUM_HBM)
    img = compile_images(large, cc)
    streams = {n: t for n, t in img.tensors.items() if t.chunks}
    assert len(streams) == 5 * large.cfg.layers + 1
    assert sum(t.nbytes for t in streams.values()) > 24_000_000
    assert img.kv_off + large.cfg.layers * cc.KV_TOKENS * 64 * cc.beat_bytes // cc.KV_PORTS \
        <= 1 << 28
    pr = prefill_program(img, prompt_tokens(large.cfg, 16, seed=1))
    dp = decode_program(img, 5, 16, [(1 << 16) - 1] * large.cfg.layers)
    for prog in (pr, dp):
        wf = [i for i in prog.insns if i.op == Op.WFETCH]
        mm = [i for i in prog.insns if i.op == Op.MATMUL]
        assert len(wf) == len(mm) and all(i.flags & 4 for i in mm)


@pytest.mark.parametrize("mode", ["reuse", "partial", "dense"])
def test_shallow_wfetch_queue(tiny, mode):
    """WFETCH_DEPTH 2: the WFETCHes move towards their MATMULs (never more than two queued,
    static_check replays the queue) and the results stay bit-identical to the depth-8 core's;
    the queue is what the run leaves (the model raises on an overflow or a stuck stream)."""
    pr = prompt_tokens(tiny.cfg, 6, seed=9)
    gens, progs = [], []
    for depth in (8, 2):
        img = compile_images(tiny, replace(CORE, WFETCH_DEPTH=depth), mode=mode)
        gens.append(run_generate(img, pr, 3, trace=True))
        progs.append(prefill_program(img, pr).insns)
    a, b = gens
    assert a.tokens == b.tokens
    for x, y in zip(a.steps, b.steps):
        assert (x.logits == y.logits).all() and (x.hidden == y.hidden).all()
        assert all((p == q).all() for p, q in zip(x.layers, y.layers))
    pos = [[k for k, i in enumerate(p) if i.op == Op.WFETCH] for p in progs]
    assert len(pos[0]) == len(pos[1]) and pos[0] != pos[1]
    queued = 0
    for i in progs[1]:
        queued += (i.op == Op.WFETCH) - (i.op == Op.MATMUL)
        assert queued <= 2


def test_program_errors(tiny):
    img = compile_images(tiny, CORE)
    with pytest.raises(ValueError, match="exceed max_seq"):
        prefill_program(img, np.zeros(40, dtype=np.int64))
    with pytest.raises(ValueError, match="token ids"):
        prefill_program(img, np.array([tiny.cfg.vocab]))
    with pytest.raises(ValueError, match="mode"):
        compile_images(tiny, CORE, mode="sparse")
    with pytest.raises(ValueError, match="exceed max_seq"):
        decode_program(img, 1, tiny.cfg.max_seq, [0] * tiny.cfg.layers)
    small = replace(CORE, GBUF_DEPTH=512)
    with pytest.raises(ValueError, match="global buffer overflow"):
        prefill_program(compile_images(tiny, small), prompt_tokens(tiny.cfg, 30))


@pytest.mark.parametrize("core", list(OTHER_CORES))
def test_other_core_widths(tiny, core):
    """The narrow core (DATA_W 128: 8-lane words, two words per head) and p8 (NCOL 64: one
    column tile = 4 words, every stream over 8 ports) run the tiny model; the wide one (DATA_W
    512: KDIM 32, one word per head, one HBM port) a tiny variant with head_dim 32 (two heads,
    one KV head, two layers): tokens, rows and routing within the float bounds."""
    cc = OTHER_CORES[core]
    w = tiny if core == "narrow" else \
        make_model(LlamaConfig.tiny(layers=2, heads=2, kv_heads=1, head_dim=32))
    img = compile_images(w, cc, mode="reuse")
    gen = run_generate(img, prompt_tokens(w.cfg, min(6, cc.MMAX // 2), seed=7), 3,
                       trace=True)
    _check_against_float(w, img, gen, "reuse")


def test_all_mlp_skip(tiny):
    """MLP router biases that make every token skip every MLP: no mask bit set, and no byte
    of any gate/up or down stream (scales and tiles, on every HBM port) is read: every one lies
    in a read-error window, so one read would stop the run with DMA_RD_AXI, and their masked
    WFETCHes queue nothing (a queued stream nobody consumes would stop the run with WFETCH);
    the rows stay within the float bounds of the reference driven with the same masks."""
    big = np.array([-1000.0, 1000.0], dtype=np.float16)
    w = replace(tiny, layers=tuple(replace(lw, router_mlp=Router(lw.router_mlp.weight, big))
                                   for lw in tiny.layers))
    img = compile_images(w, CORE, mode="reuse")
    errors = [(p, "r", lo, hi) for n, t in img.tensors.items()
              if n.split(".")[-1] in ("gate_up", "down") for p, lo, hi in t.ranges(CORE)]
    assert len(errors) == 2 * CORE.NUM_HBM * tiny.cfg.layers
    mems, run = model_runner(img, errors=errors)
    gen = run_generate(img, prompt_tokens(tiny.cfg, 6, seed=8), 3, trace=True, run=run,
                       ddr=mems[0])
    assert all(s.result.err == Err.NONE for s in gen.steps)
    assert not any(s.masks_mlp.any() for s in gen.steps)
    ref, ea, em = _reference(w, gen, "reuse")
    hid = np.concatenate([_f(s.hidden) for s in gen.steps])
    assert not em.any() and _rel(hid, ref.hidden[-1]) < 2e-2


# ------------------------------------------------------------------------------------------
# KV and attention checks
# ------------------------------------------------------------------------------------------
def test_rope_fields():
    """ROPE's words / stride fields and its dyn flag are part of the one ISA."""
    npe = NpeState(d=2, hw=1)
    assert Insn.rope(2, 0, 0, 100, words=1).check(CORE, npe=npe) == Err.NONE
    assert Insn.rope(2, 0, 0, 100, words=1, stride=3, dyn=True).check(CORE, npe=npe) == \
        Err.NONE
    assert Insn.rope(2, 0, 0, 100, words=2, stride=1).check(CORE, npe=npe) == Err.NPE_SHAPE
    assert Insn(Op.ROPE, flags=4, len=1).check(CORE, npe=npe) == Err.RESERVED


def test_kvcfg_kvst_kvld_checks():
    kp = CORE.KV_PORTS
    assert Insn.kvcfg(4, 0x40000, 4).check(CORE) == Err.NONE
    assert replace(Insn.kvcfg(4, 0x40000, 4), f2=1).check(CORE) == Err.RESERVED
    assert Insn.kvcfg(0, 0, 4).check(CORE) == Err.BAD_LEN
    assert Insn.kvcfg(4, 0, 0).check(CORE) == Err.BAD_LEN
    assert Insn.kvcfg(3, 0, 4).check(CORE) == Err.KV_SHAPE
    assert Insn.kvcfg(CORE.KV_ENTRY_MAX * 2, 0, 4).check(CORE) == Err.KV_SHAPE
    assert Insn.kvcfg(2, 0, 4, interleaved=True).check(CORE) == \
        (Err.KV_SHAPE if 2 % kp else Err.NONE)
    assert Insn.kvcfg(4, 0x40010, 4).check(CORE) == Err.MEM_ALIGN
    assert Insn.kvcfg(16, (1 << 28) - 4096, 4).check(CORE) == Err.MEM_RANGE
    kv = KvState(e=4, off=0x40000, layers=4)
    ok = Insn.kvst(8, 100, 3, mask=200, hist=201, pos0=0, stride=8, put=True)
    assert ok.check(CORE, kv=kv) == Err.NONE
    assert ok.check(CORE) == Err.KV_SHAPE                               # no KVCFG
    assert replace(ok, f1=ok.f1 & ~(0xFF << 16) | (4 << 16)).check(CORE, kv=kv) == \
        Err.KV_SHAPE                                                    # layer >= L
    assert replace(ok, f1=(ok.f1 & 0xFFFFFF) | (3 << 24)).check(CORE, kv=kv) == Err.KV_SHAPE
    assert replace(ok, f2=CORE.KV_TOKENS - 7).check(CORE, kv=kv) == Err.KV_SHAPE
    assert replace(ok, f0=(200 << 16) | (CORE.GBUF_DEPTH - 59)).check(CORE, kv=kv) == \
        Err.GBUF_RANGE
    assert replace(ok, flags=8).check(CORE, kv=kv) == Err.RESERVED
    ld = Insn.kvld(10, 300, 301, 2)
    assert ld.check(CORE, kv=kv) == Err.NONE
    assert replace(ld, flags=1 | 8).check(CORE, kv=kv) == Err.RESERVED
    assert Insn.kvld(CORE.KV_TOKENS, 300, 301, 2).check(CORE, kv=kv) == Err.KV_SHAPE
    assert Insn.kvld(10, 300, CORE.GBUF_DEPTH, 3).check(CORE, kv=kv) == Err.NONE  # last layer
    assert Insn.kvld(10, 300, CORE.GBUF_DEPTH, 2).check(CORE, kv=kv) == Err.GBUF_RANGE


def test_attention_checks():
    kv = KvState(e=4, off=0, layers=4)
    att = AttState(nk=16, h=4, kvh=2, hw=1, qs=8, sbase=0x8000, causal=True)
    qk = Insn.qk(8, 0, 0, 500, dyn=True)
    assert qk.check(CORE, kv=kv, att=att) == Err.NONE
    for bad in (replace(att, h=0), replace(att, h=6), replace(att, nk=CORE.KV_TOKENS + 1),
                replace(att, qs=3), replace(att, kvh=4, h=4)):
        assert qk.check(CORE, kv=kv, att=bad) in (Err.ATT_SHAPE,), bad
    assert qk.check(CORE, kv=KvState(), att=att) == Err.ATT_SHAPE
    assert replace(qk, f2=1 << 16).check(CORE, kv=kv, att=att) == Err.RESERVED
    assert Insn.qk(8, CORE.GBUF_DEPTH - 59, 0, 500).check(CORE, kv=kv, att=att) == \
        Err.GBUF_RANGE
    assert qk.check(CORE, kv=kv, att=replace(att, sbase=0x8004)) == Err.MEM_ALIGN
    sm = Insn.smnorm(8, 600, 0, 500, dyn=True)
    assert sm.check(CORE, kv=kv, att=att) == Err.NONE
    assert Insn.smnorm(8, 495, 0, 500).check(CORE, kv=kv, att=att) == Err.OVERLAP
    pv = Insn.pv(8, 600, 700, 4, dyn=True)
    assert pv.check(CORE, kv=kv, att=att) == Err.NONE
    assert Insn.pv(8, 600, 700, 3).check(CORE, kv=kv, att=att) == Err.ATT_SHAPE
    assert Insn.pv(8, 600, 610, 4).check(CORE, kv=kv, att=att) == Err.OVERLAP
    am = Insn.argmax(4, 10, 0)
    assert am.check(CORE) == Err.NONE and Insn.argmax(4, 2, 0).check(CORE) == Err.OVERLAP
    regs = config_after(Insn.attcfg(16, 4, 2, 1, 8, 0x8000, causal=True), Regs())
    assert regs.att == att


def test_argmax_semantics():
    """First maximum; -0 == +0; NaN below everything; DAZ."""
    from model.core import CoreModel, SparseMem
    core = CoreModel(CORE, {p: SparseMem() for p in range(CORE.NUM_HBM + 1)})
    vals = np.array([np.nan, -1.0, 3.0, 3.0, -0.0, 2.0] + [0.0] * 10, dtype=np.float16)
    for v, want in ((vals, 2), (np.full(16, np.nan, dtype=np.float16), 0),
                    (np.array([-0.0, 0.0] + [-1.0] * 14, dtype=np.float16), 0)):
        core.gbuf[0] = v.view(np.uint16)
        core.gbuf_valid[0] = True
        assert core.exec_vector(Insn.argmax(1, 5, 0), None, 0) == Err.NONE
        assert int(core.gbuf[5][0]) == want and core.gbuf[5][1] == v.view(np.uint16)[want]


def test_evaluate_figures_and_bounds(tiny):
    """model/evaluate.py (the figures of make sim): a correct generation violates no bound, its
    KV entries and storage agree with the masks; a corrupted hidden row, KV entry or token is
    reported."""
    img = compile_images(tiny, CORE, mode="reuse")
    mems, run = model_runner(img)
    gen = run_generate(img, prompt_tokens(tiny.cfg, 6, seed=5), 3, trace=True, run=run,
                       ddr=mems[0])
    fc = float_check(img, gen, mems)
    written = sum(sum(s.result.wr_bytes[1:]) for s in gen.steps)
    assert problems(fc, 3, written) == []
    assert fc["kv_entries"] == fc["storage"]["entries"] and len(fc["layer_err"]) == 4
    assert 0 < fc["hidden_err"] < 1e-2 and fc["kv_err"] < 1e-2
    # corruptions are caught
    bad = gen.steps[-1].hidden.copy()
    bad[0, :8] ^= 0x4000
    gen.steps[-1].hidden, keep = bad, gen.steps[-1].hidden
    assert any("hidden" in p for p in problems(float_check(img, gen), 3))
    gen.steps[-1].hidden = keep
    assert any("HBM write bytes" in p for p in problems(fc, 3, written + 1))
    (l, t), = [next(iter(hbm_entries(img, mems, gen)))]
    e = 2 * tiny.cfg.kv_dim // 16
    kmap = K.KvMap(CORE.KV_PORTS, e * 32, CORE.KV_TOKENS, tiny.cfg.layers, img.mapping,
                   tuple((p << 28) + img.kv_off for p in range(CORE.KV_PORTS)))
    ea, _ = gen.exec_masks()
    p, a, n = kmap.locate(K.writes(ea, "reuse"), l, t)[0]
    mems[p + 1].write(a, bytes(n))
    assert any("KV entry" in p for p in problems(float_check(img, gen, mems), 3))


@pytest.mark.parametrize("mode", ["reuse", "partial"])
def test_unfused_variant_bit_identical(tiny, mode):
    """The unfused baseline (row-wise RMSNorm passes, QK without features + SMFEAT, one KV group
    per QK/SMFEAT/SMNORM/PV) computes exactly what the fused program does: tokens, logits,
    every layer's rows, masks and the KV cache entries."""
    pr = prompt_tokens(tiny.cfg, 7, seed=6)
    out = {}
    for v in ("fused", "unfused"):
        img = compile_images(tiny, CORE, mode=mode, variant=v)
        mems, run = model_runner(img)
        gen = run_generate(img, pr, 3, trace=True, run=run, ddr=mems[0])
        out[v] = (gen, hbm_entries(img, mems, gen))
    (gf, ef), (gu, eu) = out["fused"], out["unfused"]
    assert gf.tokens == gu.tokens
    for a, b in zip(gf.steps, gu.steps):
        assert (a.logits == b.logits).all() and (a.hidden == b.hidden).all()
        assert (a.masks_attn == b.masks_attn).all() and (a.masks_mlp == b.masks_mlp).all()
        assert all((x == y).all() for x, y in zip(a.layers, b.layers))
        assert a.result.retired > 0 and b.result.retired > a.result.retired
    assert ef.keys() == eu.keys() and all((ef[k] == eu[k]).all() for k in ef)
    with pytest.raises(ValueError, match="variant"):
        compile_images(tiny, CORE, variant="rowwise")
