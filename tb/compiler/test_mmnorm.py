"""MMNORM and the MATMUL norm flag (the RMSNorm of the mask-selected rows fused
into the MATMUL, paper 3.1 / Alg. 1; docs/isa.md), model only, no simulator:

* model/isa.py: encoding round trip, text, check() of MMNORM and MATMUL.norm at every new
  boundary in the documented order;
* model/core: the fused MATMUL against the unfused pair RMSNORM (masked, compact) + dyn
  MATMUL on the same state, bit for bit, including the rows written back, the byte counters,
  in place on the residual, CNT = 0, NPE_MASK, DYN_LEN and a weight read error mid-way.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model.layout import mm_stream
from model.isa import (CoreConfig, Err, Insn, MMState, NormState, NpeState, Op, assemble,
                       disassemble)
from model.stripe import PC_BYTES
from tb.compiler.test_routing import LANES, Rig, mask_word

CFG = CoreConfig()
KD = CFG.kdim
DEPTH = CFG.GBUF_DEPTH


# ------------------------------------------------------------------------------------------
# encoding and checks
# ------------------------------------------------------------------------------------------
def test_encoding_and_text():
    i = Insn.mmnorm(12, 0x0102, 0x0304, 0x0005, 0x0607)
    assert (i.op, i.port, i.flags, i.len, i.f0, i.f1, i.f2) == \
        (0x32, 0, 0, 12, 0x03040102, 0x00050607, 0)
    assert str(i) == "mmnorm x=gb:258, w=gb:772, stat:5, mask=gb:1543, M=12"
    j = Insn.matmul(16, 100, 900, 0x2000, int4=True, norm=True)
    assert j.flags == 1 | 2 | 8                                        # norm implies dyn
    assert str(j) == "matmul.int4.dyn.norm gb:900 <- gb:100 x hbm:0x2000, M=CNT<=16"
    for insn in (i, j):
        assert Insn.from_bytes(insn.to_bytes()) == insn
        assert disassemble(assemble([insn]))[0].endswith(str(insn))
    bad = replace(j, flags=1 | 2)
    assert "raw 0x" in str(bad) and bad.check(CFG) == Err.RESERVED


def test_mmnorm_checks():
    ok = Insn.mmnorm(8, 0, 100, 0, 200)
    assert ok.check(CFG) == Err.NONE
    # MMNORM only loads registers: anything goes but the reserved fields (as MMCFG)
    assert Insn.mmnorm(0, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF).check(CFG) == Err.NONE
    for kw in (dict(port=1), dict(flags=1), dict(flags=8), dict(f2=1), dict(f2=1 << 31)):
        assert replace(ok, **kw).check(CFG) == Err.RESERVED


# a legal fused MATMUL: D = 4 words (K = 64), 8 residual rows at 0, X (normalised) at 100,
# weight at 200, mask at 204, Y (N = 32: 2 words per row) at 300
D, K, N = 4, 64, 32
MM = MMState(k=K, n=N, group=32)
NPE = NpeState(d=D)
NORM = NormState(n=8, x=0, w=200, stat=0, mask=204)
OK = Insn.matmul(8, 100, 300, 0, int4=True, norm=True)


def chk(insn=OK, mm=MM, npe=NPE, norm=NORM, cfg=CFG):
    return insn.check(cfg, mm, npe, norm)


def test_matmul_norm_checks_in_order():
    assert chk() == Err.NONE
    assert chk(insn=replace(OK, flags=1 | 2)) == Err.RESERVED          # norm without dyn
    assert chk(insn=replace(OK, flags=OK.flags | 4)) == Err.NONE           # PF
    assert chk(insn=replace(OK, port=1), norm=replace(NORM, n=0)) == Err.RESERVED
    assert chk(norm=replace(NORM, n=0)) == Err.BAD_LEN
    assert chk(insn=replace(OK, len=0)) == Err.BAD_LEN
    assert chk(mm=replace(MM, k=K + 1), norm=replace(NORM, n=0)) == Err.BAD_LEN
    assert chk(mm=replace(MM, k=K + 1)) == Err.MM_SHAPE
    # NPE_SHAPE after MM_SHAPE: D = 0, D*KDIM != K, n beyond one mask word, statistics rows
    assert chk(npe=NpeState(d=0)) == Err.NPE_SHAPE
    assert chk(npe=NpeState(d=D + 1)) == Err.NPE_SHAPE
    assert chk(mm=replace(MM, k=K * 2), npe=NpeState(d=D * 2)) == Err.NONE
    assert chk(norm=replace(NORM, n=CFG.DATA_W + 1)) == Err.NPE_SHAPE
    assert chk(norm=replace(NORM, stat=CFG.NPE_ROWS - 8)) == Err.NONE
    assert chk(norm=replace(NORM, stat=CFG.NPE_ROWS - 7)) == Err.NPE_SHAPE
    assert chk(npe=NpeState(d=0), insn=replace(OK, f0=(300 << 16) | 0xFFFF)) == Err.NPE_SHAPE
    # GBUF_RANGE: X/Y as before, then residual n*D words, weight D words, mask 1 word
    assert chk(norm=replace(NORM, x=DEPTH - 32, w=200)) == Err.NONE
    assert chk(norm=replace(NORM, x=DEPTH - 31)) == Err.GBUF_RANGE
    assert chk(norm=replace(NORM, w=DEPTH - 4)) == Err.NONE
    assert chk(norm=replace(NORM, w=DEPTH - 3)) == Err.GBUF_RANGE
    assert chk(norm=replace(NORM, mask=DEPTH - 1)) == Err.NONE
    assert chk(norm=replace(NORM, mask=DEPTH)) == Err.GBUF_RANGE
    assert chk(insn=replace(OK, f0=((DEPTH - 15) << 16) | 100)) == Err.GBUF_RANGE
    # OVERLAP: X in place on the residual is legal, a partial overlap is not
    assert chk(insn=replace(OK, f0=(300 << 16) | 0)) == Err.NONE      # X = residual
    assert chk(insn=replace(OK, f0=(300 << 16) | 4)) == Err.OVERLAP
    assert chk(insn=replace(OK, f0=(300 << 16) | 31)) == Err.OVERLAP
    assert chk(insn=replace(OK, f0=(300 << 16) | 32)) == Err.NONE
    assert chk(norm=replace(NORM, w=131)) == Err.OVERLAP               # X = 100..131
    assert chk(norm=replace(NORM, w=132)) == Err.NONE
    assert chk(norm=replace(NORM, mask=100)) == Err.OVERLAP
    assert chk(norm=replace(NORM, x=284, w=400, mask=401)) == Err.OVERLAP   # Y meets x
    assert chk(norm=replace(NORM, x=268, w=400, mask=401)) == Err.NONE
    assert chk(norm=replace(NORM, w=315)) == Err.OVERLAP               # Y = 300..315
    assert chk(norm=replace(NORM, mask=315)) == Err.OVERLAP
    assert chk(norm=replace(NORM, mask=316)) == Err.NONE
    # MEM_ALIGN / MEM_RANGE after OVERLAP, as for every MATMUL
    assert chk(insn=replace(OK, f1=4), norm=replace(NORM, mask=100)) == Err.OVERLAP
    assert chk(insn=replace(OK, f1=4)) == Err.MEM_ALIGN


# ------------------------------------------------------------------------------------------
# semantics on the architectural model
# ------------------------------------------------------------------------------------------
def _rig(m: int, sel, seed: int, route_mask=None, stat=5, n=N):
    """Residual x [m, K] at 0 (statistics snooped into stat..), RMSNorm weight at 1500, the
    INT4 operand stream (N = ``n``) striped over the HBM ports, logits that make the rows of
    ``sel`` execute (CNT), and the mask word of ``route_mask`` (default the same rows) at
    3700."""
    rng = np.random.default_rng(seed)
    rig = Rig()
    x = (rng.standard_normal((m * D, LANES)) * 3).astype(np.float16).view(np.uint16)
    w = (1 + 0.2 * rng.standard_normal((D, LANES))).astype(np.float16).view(np.uint16)
    q = rng.integers(-8, 8, (K, n))
    s = (rng.random((K // 32, n)) * 0.1 + 0.01).astype(np.float16)
    waddr = rig.stream(mm_stream(CFG, q, True, s, 32))
    rig.prog.append(Insn.npecfg(D, int(np.float32(1e-6).view(np.uint32)),
                                int(np.float32(1 / K).view(np.uint32)), 0, stat))
    rig.load(x, 0, stats=True)
    rig.load(w, 1500)
    logits = np.zeros((m, LANES), dtype=np.float16)
    logits[:, 3] = np.where(sel, -1.0, 1.0)                            # c > a: skip
    rig.load(logits.view(np.uint16), 3000)
    rig.load(np.zeros(LANES, dtype=np.uint16), 3500)
    rig.prog.append(Insn.route(m, 3600, 3000, 3500, 1))
    rig.load(mask_word(sel if route_mask is None else route_mask), 3700)
    rig.load(np.full((m * D, LANES), 0x5A5A), 1000)                    # X sentinel
    rig.load(np.full((m * n // LANES, LANES), 0x5555), 2000)          # Y sentinel
    rig.prog.append(Insn.mmcfg(K, n, 32))
    return rig, waddr


def _fused(m, waddr, src=1000, stat=5):
    return [Insn.mmnorm(m, 0, 1500, stat, 3700),
            Insn.matmul(m, src, 2000, waddr, int4=True, norm=True)]


def _unfused(m, waddr, stat=5):
    return [Insn.rmsnorm(m, 1000, 0, 1500, stat, mask=3700, compact=True),
            Insn.matmul(m, 1000, 2000, waddr, int4=True, dyn=True)]


@pytest.mark.parametrize("seed", range(6))
def test_fused_equals_rmsnorm_then_matmul(seed):
    rng = np.random.default_rng(100 + seed)
    m = int(rng.integers(1, 40))
    sel = rng.random(m) < rng.choice([0.3, 0.75, 1.0])
    sel[rng.integers(m)] = True
    k = int(sel.sum())
    a, wa = _rig(m, sel, seed)
    b, wb = _rig(m, sel, seed)
    ra, rb = a.run(_fused(m, wa)), b.run(_unfused(m, wb))
    assert ra.err == rb.err == Err.NONE and a.core.cnt == k
    assert (a.gb(2000, m * 2) == b.gb(2000, m * 2)).all()              # Y, incl. untouched rows
    assert (a.gb(1000, m * D) == b.gb(1000, m * D)).all()              # normalised rows written
    assert (a.gb(1000 + k * D, (m - k) * D) == 0x5A5A).all()
    assert ra.rd_bytes == rb.rd_bytes and ra.wr_bytes == rb.wr_bytes
    assert ra.retired == rb.retired


def test_fused_in_place_on_the_residual():
    """X = the residual region: the normalised rows overwrite it (paper 3.1), compact."""
    m = 20
    sel = np.random.default_rng(3).random(m) < 0.6
    k = int(sel.sum())
    a, wa = _rig(m, sel, 7)
    b, wb = _rig(m, sel, 7)
    x0 = None
    ra = a.run(_fused(m, wa, src=0))
    rb = b.run(_unfused(m, wb))
    assert ra.err == rb.err == Err.NONE
    assert (a.gb(0, k * D) == b.gb(1000, k * D)).all()
    assert (a.gb(2000, m * 2) == b.gb(2000, m * 2)).all()
    x0 = b.gb(0, m * D)                                                # b kept the residual
    assert (a.gb(k * D, (m - k) * D) == x0[k * D:]).all()              # rows >= CNT untouched


def test_cnt_zero_and_npe_mask():
    m = 10
    none = np.zeros(m, dtype=bool)
    a, wa = _rig(m, none, 1, route_mask=np.ones(m, dtype=bool))
    ra = a.run(_fused(m, wa))
    assert ra.err == Err.NONE and a.core.cnt == 0
    assert ra.rd_bytes[1] == 0 and (a.gb(1000, m * D) == 0x5A5A).all()
    # the mask word selects fewer rows (among the first n) than CNT: NPE_MASK, nothing moves
    sel = np.arange(m) < 6
    fewer = np.arange(m) < 5
    fewer[9] = False
    for mk, n in ((fewer, m), (sel, 5)):
        b, wb = _rig(m, sel, 2, route_mask=mk)
        prog = _fused(m, wb)
        prog[0] = replace(prog[0], len=n)
        rb = b.run(prog)
        assert rb.err == Err.NPE_MASK and rb.err_pc == len(b.prog) + 1
        assert rb.rd_bytes[1] == 0 and (b.gb(1000, m * D) == 0x5A5A).all()
    # more selected rows than CNT: the first CNT of them
    more = np.ones(m, dtype=bool)
    c, wc = _rig(m, sel, 2, route_mask=more)
    d, wd = _rig(m, sel, 2)
    assert c.run(_fused(m, wc)).err == d.run(_fused(m, wd)).err == Err.NONE
    assert (c.gb(1000, m * D) == d.gb(1000, m * D)).all()
    # DYN_LEN before the mask is read
    e, we = _rig(m, sel, 2, route_mask=fewer)
    re_ = e.run([Insn.mmnorm(m, 0, 1500, 5, 3700),
                 Insn.matmul(5, 1000, 2000, we, int4=True, norm=True)])
    assert re_.err == Err.DYN_LEN


@pytest.mark.parametrize("bad_chunk", [0, 1, 3, 4, 5, 7, 9])
def test_weight_error_mid_way(bad_chunk):
    """An error beat in chunk c of the operand stream (N = 64: two column tiles of one scale
    chunk and K/KDIM = 4 tiles each), on a random word and port of the chunk's stripe: the
    chunks < c ran, so the normalised words of row tiles kt < min(c - 1, 4) of column tile 0
    are written and the column tiles completed before c, nothing else; c + 1 chunks are
    counted on every HBM port."""
    m, n = 12, 64
    rng = np.random.default_rng(bad_chunk)
    sel = rng.random(m) < 0.7
    sel[0] = True
    k = int(sel.sum())
    a, wa = _rig(m, sel, 4, n=n)
    b, wb = _rig(m, sel, 4, n=n)
    sb = CFG.scale_chunks(K, 32)
    per = sb + K // KD                                                 # chunks per column tile
    assert CFG.mm_chunks(K, n, True, 32) == 2 * per
    cw, P, bb = CFG.chunk_words, CFG.NUM_HBM, CFG.beat_bytes
    i = bad_chunk * cw + int(rng.integers(cw))                         # a word of the chunk
    addr = (i % P) * PC_BYTES + wa + (i // P) * bb
    a.core.errors = [(i % P + 1, "r", addr, addr + bb)]
    ra = a.run(_fused(m, wa))
    rb = b.run(_unfused(m, wb))
    assert ra.err == Err.DMA_RD_AXI and rb.err == Err.NONE
    xa = a.gb(1000, m * D).reshape(m, D, LANES)
    xb = b.gb(1000, m * D).reshape(m, D, LANES)
    done = min(max(bad_chunk - sb, 0), K // KD) if bad_chunk < per else K // KD
    assert (xa[:k, :done] == xb[:k, :done]).all()
    assert (xa[:k, done:] == 0x5A5A).all() and (xa[k:] == 0x5A5A).all()
    w = n // LANES
    ya = a.gb(2000, m * w).reshape(m, w, LANES)
    yb = b.gb(2000, m * w).reshape(m, w, LANES)
    cols = bad_chunk // per * (CFG.ncol // LANES)                      # words of finished tiles
    assert (ya[:k, :cols] == yb[:k, :cols]).all() and (ya[:, cols:] == 0x5555).all()
    assert ra.rd_bytes[1:] == [(bad_chunk + 1) * CFG.port_chunk_bytes] * P


def test_uninitialised_and_missing_statistics_raise():
    m = 4
    sel = np.ones(m, dtype=bool)
    a, wa = _rig(m, sel, 5)
    with pytest.raises(ValueError, match="no statistics"):
        a.run(_fused(m, wa, stat=100))
    b, wb = _rig(m, sel, 5)
    with pytest.raises(ValueError, match="uninitialised"):
        b.run([Insn.mmnorm(m, 0, 1900, 5, 3700),
               Insn.matmul(m, 1000, 2000, wb, int4=True, norm=True)])
    assert Op.MMNORM == 0x32
