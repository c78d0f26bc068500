"""Routing and dynamic execution (docs/isa.md "Routing and dynamic execution"), model only, no
simulator:

* model/isa.py: encoding round trips, disassembly, check() of ROUTE, VSCAT, RMSNORM compact,
  dyn MATMUL/SWIGLU at their boundaries (every error reachable, in the documented order);
* model/core: ROUTE, VSCAT, compact RMSNORM and dyn MATMUL/SWIGLU against numpy computations
  written here (ROUTE via model.llama.decide), CNT, DYN_LEN, byte counters.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model import npe as N
from model.core import CoreModel, SparseMem
from model.fp16 import fp16_add, fp16_add_oracle, to_float
from model.isa import (CoreConfig, Err, Insn, MMState, NpeState, Op, assemble, disassemble)
from model.layout import mm_stream
from model.llama import decide, fp16, rmsnorm
from model.stripe import write_stream

CFG = CoreConfig()
LANES = CFG.DATA_W // 16
DEPTH = CFG.GBUF_DEPTH


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    """Tiny matrices: BLAS threads only slow the float reference down on a loaded machine
    (as in tb/llama; best effort, restored after)."""
    from tb.llama.test_llama_model import _openblas
    f = _openblas()
    if f is None:
        yield
        return
    n = f[0]()
    f[1](1)
    yield
    f[1](n)


# ==========================================================================================
# ISA: encoding, disassembly, checks
# ==========================================================================================
def test_opcodes_and_codes():
    assert (Op.ROUTE, Op.VSCAT, Err.ROUTE_SHAPE, Err.DYN_LEN) == (0x50, 0x21, 17, 18)


NEW_FORMS = [
    (Insn.route(32, 900, 800, 901, 1), "route gb:900 <- gb:800, bias=gb:901, pair=1, M=32"),
    (Insn.route(5, 7, 0, 6, 0, force=True), "route gb:7 <- gb:0, bias=gb:6, pair=0, M=5, force"),
    (Insn.vscat(8, 0, 64, 200), "vscat gb:0 += gb:64, mask=gb:200, M=8"),
    (Insn.vscat(8, 0, 64, 200, stats=True), "vscat gb:0 += gb:64, mask=gb:200, M=8, stats"),
    (Insn.rmsnorm(4, 100, 0, 50, 3, mask=60, compact=True),
     "rmsnorm gb:100 <- gb:0, w=gb:50, stat:3, M=4, mask=gb:60, compact"),
    (Insn.matmul(32, 0, 512, 0x4000, int4=True, dyn=True),
     "matmul.int4.dyn gb:512 <- gb:0 x hbm:0x4000, M=CNT<=32"),
    (Insn.matmul(3, 0, 512, 0x4000, dyn=True, pf=True),
     "matmul.dyn.pf gb:512 <- gb:0 x hbm:0x4000, M=CNT<=3"),
    (Insn.wfetch(0x4000, 12), "wfetch hbm:0x4000, chunks=12"),
    (Insn.wfetch(0x123000, 3, mask=70, rows=16),
     "wfetch hbm:0x123000, chunks=3, mask=gb:70, rows=16"),
    (Insn.route(32, 900, 800, 901, 1, stride=2),
     "route gb:900 <- gb:800, bias=gb:901, pair=1, M=32, stride=2"),
    (Insn.swiglu(8, 300, 300, dyn_rows=32), "swiglu.dyn gb:300 <- gb:300, R=8, rows=CNT<=32"),
]


@pytest.mark.parametrize("insn,text", NEW_FORMS)
def test_roundtrip_and_text(insn, text):
    back = Insn.from_bytes(insn.to_bytes())
    assert back == insn and Insn.decode(insn.encode()) == insn
    assert str(insn) == text
    assert disassemble(assemble([insn]))[0].endswith(text)


def test_field_placement():
    i = Insn.route(7, 0x1234, 0x0567, 0x0ABC, 3, force=True)
    assert (i.op, i.flags, i.len, i.f0, i.f1, i.f2) == (0x50, 1, 7, 0x12340567, 0x0ABC0003, 0)
    i = Insn.vscat(9, 0x10, 0x20, 0x30, stats=True)
    assert (i.op, i.flags, i.len, i.f0, i.f1, i.f2) == (0x21, 1, 9, 0x10, 0x20, 0x30)
    assert Insn.rmsnorm(1, 2, 3, 4, 5, mask=6, compact=True).flags == 0b0011
    assert Insn.matmul(1, 0, 9, 0, int4=True, dyn=True).flags == 0b1001
    assert Insn.matmul(1, 0, 9, 0, pf=True).flags == 0b0100
    i = Insn.wfetch(0x1_2345_6780, 7, mask=0x0ABC, rows=9)
    assert (i.op, i.flags, i.len, i.f0, i.f1, i.f2) == (0x36, 8, 7, 0x00090ABC, 0x23456780, 1)
    assert Insn.route(3, 1, 2, 3, 0, stride=5).f2 == 5
    i = Insn.swiglu(4, 10, 20, dyn_rows=17)
    assert (i.flags, i.len, i.f0, i.f1, i.f2) == (0b1000, 4, 10, 20, 17)
    # unknown flag bits show up raw in the listing
    assert "raw" in str(Insn(Op.ROUTE, flags=2, len=1)) and "raw" in str(Insn(Op.VSCAT, flags=8))
    assert "raw" in str(Insn(Op.RMSNORM, flags=2, len=1))       # compact without mask


def ladder(start: Insn, fixes, expect, cfg=CFG, mm=None, npe=None):
    """Apply fixes one by one: before fix k the check must report expect[k], and NONE at the
    end. This pins down the check order."""
    i = replace(start)
    for fix, want in zip(fixes, expect):
        assert i.check(cfg, mm, npe) == want, (str(i), want)
        fix(i)
    assert i.check(cfg, mm, npe) == Err.NONE, str(i)


def test_route_check_order():
    start = Insn(Op.ROUTE, port=1, flags=0b10, len=0, f0=((DEPTH - 10) << 16) | (DEPTH - 20),
                 f1=(5 << 16) | (LANES // 2), f2=1 << 8)

    def setf(**kw):
        return lambda i: [setattr(i, k, v) for k, v in kw.items()]
    ladder(start, [setf(port=0), setf(flags=1), setf(f2=0), setf(len=DEPTH),
                   setf(len=CFG.DATA_W), setf(f1=(5 << 16) | (LANES // 2 - 1)),
                   setf(len=20), setf(f0=((DEPTH - 30) << 16) | (DEPTH - 20))],
           [Err.RESERVED, Err.RESERVED, Err.RESERVED, Err.BAD_LEN, Err.ROUTE_SHAPE,
            Err.ROUTE_SHAPE, Err.GBUF_RANGE, Err.OVERLAP])


@pytest.mark.parametrize("force", [False, True])
def test_route_boundaries(force):
    def r(m, dst, src, bias, pair=1):
        return Insn.route(m, dst, src, bias, pair, force).check(CFG)

    top = CFG.DATA_W
    assert r(top, 300, 0, 301) == Err.NONE
    assert r(top + 1, 300, 0, 301) == Err.ROUTE_SHAPE
    assert r(4, 300, 0, 301, LANES // 2 - 1) == Err.NONE
    assert r(4, 300, 0, 301, LANES // 2) == Err.ROUTE_SHAPE           # checked even with force
    assert r(4, 0, DEPTH - 4, 1) == Err.NONE
    assert r(4, 0, DEPTH - 3, 1) == Err.GBUF_RANGE
    assert r(4, DEPTH - 1, 0, DEPTH - 2) == Err.NONE
    assert r(4, DEPTH, 0, 10) == Err.GBUF_RANGE
    assert r(4, 10, 0, DEPTH) == Err.GBUF_RANGE
    for dst in (100, 103):
        assert r(4, dst, 100, 200) == Err.OVERLAP                    # mask inside the logits
    for dst in (99, 104):
        assert r(4, dst, 100, 200) == Err.NONE
    assert r(4, 200, 100, 200) == Err.OVERLAP                        # mask == bias
    assert r(4, 200, 100, 101) == Err.NONE                           # bias inside the logits
    # a row stride S (f2[7:0], the router MATMUL's NCOL/LANES words per row): the logits are
    # the (len-1)*S + 1 words from src
    def rs(m, dst, src, bias, stride):
        return Insn.route(m, dst, src, bias, 1, force, stride=stride).check(CFG)
    assert rs(4, 0, DEPTH - 7, 1, 2) == Err.NONE
    assert rs(4, 0, DEPTH - 6, 1, 2) == Err.GBUF_RANGE
    assert rs(4, 106, 100, 200, 2) == Err.OVERLAP                     # in a gap: still inside
    assert rs(4, 107, 100, 200, 2) == Err.NONE
    assert rs(4, 1000, 100, 200, 255) == Err.NONE
    assert Insn(Op.ROUTE, len=1, f0=1 << 16, f2=1 << 8).check(CFG) == Err.RESERVED
    assert Insn(Op.ROUTE, len=1, f0=1 << 16, f2=1 << 31).check(CFG) == Err.RESERVED
    assert Insn(Op.ROUTE, port=3, len=1, f0=1 << 16).check(CFG) == Err.RESERVED
    for bad in (2, 4, 8):
        assert Insn(Op.ROUTE, flags=bad | force, len=1, f0=1 << 16).check(CFG) == Err.RESERVED


def test_vscat_check_order():
    npe = NpeState(d=4, snoop=CFG.NPE_ROWS - 8)
    start = Insn(Op.VSCAT, port=2, flags=0b11, len=0, f0=DEPTH - 16, f1=DEPTH - 40,
                 f2=DEPTH - 60)

    def setf(**kw):
        return lambda i: [setattr(i, k, v) for k, v in kw.items()]
    ladder(start, [setf(port=0), setf(flags=1), setf(len=CFG.DATA_W + 1), setf(len=9),
                   setf(len=8), setf(f0=DEPTH - 32), setf(f1=DEPTH - 64), setf(f2=DEPTH - 65)],
           [Err.RESERVED, Err.RESERVED, Err.BAD_LEN, Err.NPE_SHAPE, Err.NPE_SHAPE,
            Err.GBUF_RANGE, Err.OVERLAP, Err.OVERLAP], npe=npe)
    # D = 0 (no NPECFG) is a shape error
    assert Insn.vscat(1, 0, 10, 20).check(CFG, npe=NpeState()) == Err.NPE_SHAPE


def test_vscat_boundaries():
    npe = NpeState(d=4, snoop=CFG.NPE_ROWS - 8)

    def v(m, x, y, mask, stats=False):
        return Insn.vscat(m, x, y, mask, stats).check(CFG, npe=npe)

    assert v(8, 0, 32, 64, stats=True) == Err.NONE                   # snoop + 8 = NPE_ROWS
    assert v(9, 0, 36, 72, stats=True) == Err.NPE_SHAPE
    assert v(9, 0, 36, 72) == Err.NONE                                 # no statistics
    assert v(CFG.DATA_W, 0, 1024, 2048) == Err.NONE
    assert v(CFG.DATA_W + 1, 0, 1028, 2060) == Err.NPE_SHAPE
    assert v(8, DEPTH - 32, 0, 40) == Err.NONE
    assert v(8, DEPTH - 31, 0, 40) == Err.GBUF_RANGE
    assert v(8, 0, DEPTH - 31, 40) == Err.GBUF_RANGE
    assert v(8, 0, 32, DEPTH) == Err.GBUF_RANGE
    assert v(8, 0, 32, DEPTH - 1) == Err.NONE
    assert v(1, 1 << 31, 0, 10) == Err.GBUF_RANGE                     # 32-bit addresses
    assert v(8, 0, 31, 64) == Err.OVERLAP                              # x and y meet
    assert v(8, 31, 0, 64) == Err.OVERLAP
    assert v(8, 0, 0, 64) == Err.OVERLAP                               # even equal
    for mask in (0, 31, 32, 63):
        assert v(8, 0, 32, mask) == Err.OVERLAP                        # mask inside x or y
    assert v(8, 0, 33, 32) == Err.NONE


def test_rmsnorm_compact_checks():
    npe = NpeState(d=4)
    ok = Insn.rmsnorm(8, 100, 0, 50, 0, mask=60, compact=True)
    assert ok.check(CFG, npe=npe) == Err.NONE
    assert Insn.rmsnorm(8, 100, 0, 50, 0, compact=True).check(CFG, npe=npe) == Err.RESERVED
    for extra in (4, 8):
        assert replace(ok, flags=ok.flags | extra).check(CFG, npe=npe) == Err.RESERVED
    # the other checks are those of a masked RMSNORM (dst range len*D also when compact)
    for kw, e in ((dict(m=CFG.DATA_W + 1), Err.NPE_SHAPE), (dict(dst=DEPTH - 31), Err.GBUF_RANGE),
                  (dict(dst=4), Err.OVERLAP), (dict(mask=100), Err.OVERLAP)):
        a = dict(m=8, dst=100, src=0, weight=50, stat=0, mask=60)
        a.update(kw)
        i = Insn.rmsnorm(**a, compact=True)
        assert i.check(CFG, npe=npe) == e == replace(i, flags=1).check(CFG, npe=npe)


def test_matmul_dyn_checks():
    mm = MMState(k=64, n=32, group=32)
    ok = Insn.matmul(CFG.MMAX, 0, 1000, 0, int4=True, dyn=True)
    assert ok.check(CFG, mm) == Err.NONE
    assert replace(ok, flags=ok.flags | 4).check(CFG, mm) == Err.NONE         # PF
    assert replace(ok, port=1).check(CFG, mm) == Err.RESERVED
    # flags[1] is the norm flag (tb/compiler/test_mmnorm.py); without MMNORM
    # registers (n = 0) it is a BAD_LEN, without dyn a RESERVED
    assert replace(ok, flags=ok.flags | 2).check(CFG, mm) == Err.BAD_LEN
    assert replace(ok, flags=(ok.flags | 2) & ~8).check(CFG, mm) == Err.RESERVED
    assert replace(ok, len=CFG.MMAX + 1).check(CFG, mm) == Err.MM_SHAPE   # the bound is len
    assert replace(ok, len=0).check(CFG, mm) == Err.BAD_LEN
    assert replace(ok, f0=(DEPTH - CFG.MMAX * 2 + 1) << 16).check(CFG, mm) == Err.GBUF_RANGE
    assert Insn.matmul(4, 0, 15, 0, dyn=True).check(CFG, mm) == Err.OVERLAP


def test_swiglu_dyn_checks():
    ok = Insn.swiglu(8, 1000, 0, dyn_rows=32)                          # dst 256, src 512 words
    assert ok.check(CFG) == Err.NONE
    assert Insn.swiglu(8, 0, 0, dyn_rows=32).check(CFG) == Err.NONE    # in place
    assert replace(ok, f2=32 | 1 << 16).check(CFG) == Err.RESERVED     # f2[31:16]
    assert Insn(Op.SWIGLU, len=8, f0=1000, f1=0, f2=32).check(CFG) == Err.RESERVED  # static f2
    for extra in (1, 2, 4):
        assert replace(ok, flags=ok.flags | extra).check(CFG) == Err.RESERVED
    assert replace(ok, len=0).check(CFG) == Err.BAD_LEN
    assert replace(ok, f2=0).check(CFG) == Err.BAD_LEN
    # Mmax = 0 is a BAD_LEN before the range and overlap checks (docs/isa.md decision)
    assert Insn.swiglu(8, 0xFFFF, 0xFFFF, dyn_rows=0).check(CFG) == Err.BAD_LEN
    assert Insn.swiglu(8, DEPTH - 256, 0, dyn_rows=32).check(CFG) == Err.NONE
    assert Insn.swiglu(8, DEPTH - 255, 0, dyn_rows=32).check(CFG) == Err.GBUF_RANGE
    assert Insn.swiglu(8, 0, DEPTH - 511, dyn_rows=32).check(CFG) == Err.GBUF_RANGE
    assert Insn.swiglu(8, 512, 0, dyn_rows=32).check(CFG) == Err.NONE
    assert Insn.swiglu(8, 511, 0, dyn_rows=32).check(CFG) == Err.OVERLAP
    assert Insn.swiglu(8, 0, 255, dyn_rows=32).check(CFG) == Err.OVERLAP


def test_spot_checks():
    """Verdicts of the other instructions next to the routing ones."""
    npe = NpeState(d=4)
    assert Insn(Op.MATMUL, flags=2, len=1).check(CFG, MMState()) == Err.RESERVED
    assert Insn(Op.SWIGLU, flags=1, len=1).check(CFG) == Err.RESERVED
    assert Insn(Op.ROPE, flags=2, len=1).check(CFG, npe=npe) == Err.RESERVED
    assert Insn(Op.RMSSQ, flags=8, len=1).check(CFG, npe=npe) == Err.RESERVED
    assert Insn.swiglu(8, 0, 0).check(CFG) == Err.NONE
    assert Insn.rmsnorm(8, 100, 0, 50, 0, mask=60).check(CFG, npe=npe) == Err.NONE
    assert Insn(0x52).check(CFG) == Err.ILLEGAL_OP and Insn(0x22).check(CFG) == Err.ILLEGAL_OP
    assert Insn(Op.ARGMAX).check(CFG) == Err.BAD_LEN


# ==========================================================================================
# core model semantics
# ==========================================================================================
class Rig:
    """A CoreModel with data placed in DDR and loaded by the program's own LOADs."""

    def __init__(self, cfg: CoreConfig = CFG):
        self.cfg = cfg
        self.ddr, self.hbm = SparseMem(), SparseMem()
        self.mems = {p: self.ddr if p == 0 else self.hbm for p in range(cfg.NUM_HBM + 1)}
        self.core = CoreModel(cfg, self.mems)
        self.addr = 0x0010_0000
        self.saddr = 0x0001_0000
        self.prog: list[Insn] = []

    def data(self, raw: bytes, port: int = 0) -> int:
        a = self.addr
        self.mems[port].write(a, raw)
        self.addr += -(-len(raw) // 4096) * 4096
        return a

    def stream(self, raw: bytes) -> int:
        """A MATMUL operand stream striped over the HBM ports; returns its base offset."""
        a = self.saddr
        chunks = write_stream(self.hbm, a, raw, self.cfg.stripe)
        self.saddr += -(-chunks * self.cfg.port_chunk_bytes // 4096) * 4096
        return a

    def load(self, bits: np.ndarray, gb: int, stats: bool = False) -> None:
        bits = np.asarray(bits, dtype=np.uint16).reshape(-1, self.cfg.DATA_W // 16)
        a = self.data(bits.astype("<u2").tobytes())
        self.prog.append(Insn.load(0, a, gb, len(bits), stats))

    def run(self, extra=()):
        prog = self.prog + list(extra) + [Insn.end()]
        self.ddr.write(0x1000, assemble(prog))
        return self.core.run(0x1000, len(prog))

    def gb(self, base: int, words: int) -> np.ndarray:
        return self.core.gbuf[base:base + words].copy()


def mask_word(bits, lanes=LANES) -> np.ndarray:
    v = sum(1 << int(i) for i in np.flatnonzero(bits))
    return np.frombuffer(v.to_bytes(lanes * 2, "little"), dtype="<u2")


def word_int(w) -> int:
    return int.from_bytes(np.asarray(w, dtype="<u2").tobytes(), "little")


SPECIALS = np.array([0x0000, 0x8000, 0x0001, 0x83FF, 0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x3C00,
                     0xBC00, 0x7BFF, 0xFBFF, 0x0400], dtype=np.uint16)


def fp16_soup(rng, shape) -> np.ndarray:
    """Values around the routing decision: small normals (many near-ties), specials, raw bits."""
    n = int(np.prod(shape))
    vals = (rng.standard_normal(n) * np.exp2(rng.integers(-3, 3, n))).astype(np.float16) \
        .view(np.uint16)
    pick = rng.random(n)
    out = np.where(pick < 0.1, rng.choice(SPECIALS, n),
                   np.where(pick < 0.2, rng.integers(0, 1 << 16, n), vals))
    return out.astype(np.uint16).reshape(shape)


@pytest.mark.parametrize("seed", range(4))
def test_route_semantics(seed):
    """ROUTE vs model.llama.decide on FP16 logits + bias (fp16_add, cross-checked with the
    float64 oracle), mask word bits, CNT."""
    rng = np.random.default_rng(seed)
    m = [1, 17, CFG.DATA_W, int(rng.integers(1, CFG.DATA_W))][seed]
    pair = int(rng.integers(0, LANES // 2))
    logits = fp16_soup(rng, (m, LANES))
    if seed == 0:
        logits[:, 2 * pair + 1] = logits[:, 2 * pair]                  # exact ties
    bias = fp16_soup(rng, (LANES,))
    rig = Rig()
    rig.load(np.full((1, LANES), 0xFFFF), 900)                         # old mask word
    rig.load(logits, 0)
    rig.load(bias, 800)
    res = rig.run([Insn.route(m, 900, 0, 800, pair)])
    assert res.err == Err.NONE
    a = fp16_add(logits[:, 2 * pair], bias[2 * pair])
    c = fp16_add(logits[:, 2 * pair + 1], bias[2 * pair + 1])
    assert (a == fp16_add_oracle(logits[:, 2 * pair], bias[2 * pair])).all()
    assert (c == fp16_add_oracle(logits[:, 2 * pair + 1], bias[2 * pair + 1])).all()
    want = decide(np.stack([a, c], axis=-1).view(np.float16))
    got = word_int(rig.gb(900, 1)[0])
    assert got >> m == 0
    assert [(got >> t) & 1 for t in range(m)] == want.astype(int).tolist()
    assert rig.core.cnt == want.sum()


def test_route_force_and_cnt():
    rig = Rig()
    # force reads neither logits nor bias (they were never written: the model would raise)
    res = rig.run([Insn.route(37, 900, 0, 800, 1, force=True)])
    assert res.err == Err.NONE and rig.core.cnt == 37
    assert word_int(rig.gb(900, 1)[0]) == (1 << 37) - 1
    # CNT is cleared at start: a dyn SWIGLU of the next run does nothing (reads nothing)
    rig.prog = []
    res = rig.run([Insn.swiglu(4, 0, 100, dyn_rows=8)])
    assert res.err == Err.NONE and rig.core.cnt == 0 and not rig.core.gbuf_valid[0]


@pytest.mark.parametrize("stats", [False, True])
def test_vscat_semantics(stats):
    rng = np.random.default_rng(3 + stats)
    d, m = 3, 40
    x = fp16_soup(rng, (m * d, LANES))
    sel = rng.random(m) < 0.6
    k = int(sel.sum())
    y = fp16_soup(rng, (k * d, LANES))
    word = mask_word(np.concatenate([sel, [True, False, True]]))      # bits >= len ignored
    rig = Rig()
    rig.prog.append(Insn.npecfg(d, int(np.float32(1e-5).view(np.uint32)),
                                int(np.float32(1 / (d * LANES)).view(np.uint32)), 0, 100))
    rig.load(x, 0)
    rig.load(y, 500)                                                   # only k rows of y
    rig.load(word, 1000)
    res = rig.run([Insn.vscat(m, 0, 500, 1000, stats=stats),
                   Insn.rmssq(m, 0, 0)])                               # statistics, row-wise
    assert res.err == Err.NONE
    got = rig.gb(0, m * d).reshape(m, d * LANES)
    xr, yr = x.reshape(m, -1), y.reshape(k, -1)
    want = xr.copy()
    want[sel] = fp16_add_oracle(xr[sel], yr)
    assert (got == want).all()
    assert (got[~sel] == xr[~sel]).all()                               # bit for bit, even NaNs
    snooped = rig.core.stats[100:100 + m]
    if stats:
        assert snooped == rig.core.stats[:m]                           # == RMSSQ of the rows
    else:
        assert snooped == [None] * m


def test_rmsnorm_compact_semantics():
    rng = np.random.default_rng(11)
    d, m = 4, 50
    x = (rng.standard_normal((m * d, LANES)) * 2).astype(np.float16).view(np.uint16)
    w = (1 + 0.1 * rng.standard_normal((d, LANES))).astype(np.float16).view(np.uint16)
    sel = rng.random(m) < 0.7
    k = int(sel.sum())
    rig = Rig()
    eps, inv_d = 1e-6, 1 / (d * LANES)
    rig.prog.append(Insn.npecfg(d, int(np.float32(eps).view(np.uint32)),
                                int(np.float32(inv_d).view(np.uint32)), 0, 7))
    rig.load(x, 0, stats=True)
    rig.load(w, 400)
    rig.load(mask_word(sel), 410)
    rig.load(np.full((m * d, LANES), 0x1234), 1000)                    # sentinel (compact dst)
    rig.load(np.full((m * d, LANES), 0x1234), 2000)                    # sentinel (plain)
    res = rig.run([Insn.rmsnorm(m, 1000, 0, 400, 7, mask=410, compact=True),
                   Insn.rmsnorm(m, 2000, 0, 400, 7, mask=410)])
    assert res.err == Err.NONE
    comp = rig.gb(1000, m * d).reshape(m, -1)
    plain = rig.gb(2000, m * d).reshape(m, -1)
    assert (comp[:k] == plain[sel]).all()                              # row j = j-th selected
    assert (comp[k:] == 0x1234).all() and (plain[~sel] == 0x1234).all()
    xf = to_float(x.reshape(m, -1))[sel]
    ref = rmsnorm(xf, to_float(w.reshape(-1)), eps)
    # two FP16 roundings; results below 2^-14 are flushed to zero (FTZ, docs/numerics.md)
    assert (np.abs(to_float(comp[:k]) - ref) <= 2e-3 * np.abs(ref) + 2.0 ** -13).all()


def _dyn_rig(m, sel, k_dim=64, n_dim=32, group=32, seed=0):
    """X [m, K] in the buffer at 0, the INT4 operand stream (scales and tiles) striped over
    the HBM ports, logits that make exactly the rows of ``sel`` execute, and the router bias
    word."""
    rng = np.random.default_rng(seed)
    rig = Rig()
    x = rng.standard_normal((m, k_dim)).astype(np.float16).view(np.uint16)
    q = rng.integers(-8, 8, (k_dim, n_dim))
    s = (rng.random((k_dim // group, n_dim)) * 0.1 + 0.01).astype(np.float16)
    waddr = rig.stream(mm_stream(CFG, q, True, s, group))
    rig.load(x, 0)
    logits = np.zeros((m, LANES), dtype=np.float16)
    logits[:, 3] = np.where(sel, -1.0, 1.0)                            # c > a: skip
    rig.load(logits.view(np.uint16), 3000)
    rig.load(np.zeros(LANES, dtype=np.uint16), 3500)
    rig.prog.append(Insn.route(m, 3600, 3000, 3500, 1))
    rig.prog.append(Insn.mmcfg(k_dim, n_dim, group))
    return rig, x, q, s, waddr


@pytest.mark.parametrize("k", [0, 1, 5, 12])
def test_dyn_matmul(k):
    m, k_dim, n_dim, g = 12, 64, 32, 32
    sel = np.zeros(m, dtype=bool)
    sel[np.random.default_rng(k).choice(m, k, replace=False)] = True
    rig, x, q, s, waddr = _dyn_rig(m, sel, k_dim, n_dim, g)
    ydst = 1000
    rig.load(np.full((m * 2, LANES), 0x5555), ydst)
    res = rig.run([Insn.matmul(m, 0, ydst, waddr, int4=True, dyn=True)])
    assert res.err == Err.NONE and rig.core.cnt == k
    y = rig.gb(ydst, m * 2).reshape(m, n_dim)
    assert (y[k:] == 0x5555).all()                                     # rows >= CNT untouched
    # reference: the static MATMUL of the first k rows (bit for bit) and float64
    ref_rig, *_ = _dyn_rig(m, sel, k_dim, n_dim, g)
    ref_res = ref_rig.run([Insn.matmul(max(k, 1), 0, ydst, waddr, int4=True)])
    loads = sum(i.len for i in rig.prog if i.op == Op.LOAD) * CFG.beat_bytes
    # the whole stream (scale blocks and tiles), an equal share from every HBM port
    wbytes = CFG.mm_chunks(k_dim, n_dim, True, g) * CFG.port_chunk_bytes
    if k:
        assert (y[:k] == ref_rig.gb(ydst, k * 2).reshape(k, n_dim)).all()
        w = q * np.repeat(s.astype(np.float64), g, axis=0)
        ref = to_float(x[:k]) @ w
        assert np.max(np.abs(to_float(y[:k]) - ref)) <= 5e-3 * (np.abs(ref).max() + 1e-3)
        assert res.rd_bytes[1:] == [wbytes] * CFG.NUM_HBM == ref_res.rd_bytes[1:]
        assert res.rd_bytes[0] == loads
    else:
        assert res.rd_bytes[1:] == [0] * CFG.NUM_HBM and res.rd_bytes[0] == loads
    assert res.retired == len(rig.prog) + 2


def test_dyn_len_errors():
    m = 10
    sel = np.arange(m) < 6                                             # CNT = 6
    for bound, insn in ((5, lambda b, w: Insn.matmul(b, 0, 1000, w, int4=True, dyn=True)),
                        (5, lambda b, w: Insn.swiglu(2, 2000, 2100, dyn_rows=b))):
        rig, x, q, s, waddr = _dyn_rig(m, sel)
        n_before = len(rig.prog)
        res = rig.run([insn(bound, waddr), Insn.store(0, 0x200000, 0, 1)])
        assert res.err == Err.DYN_LEN and res.err_pc == n_before
        assert res.retired == n_before and res.rd_bytes[1] == 0 and res.wr_bytes[0] == 0
        assert res.rd_bytes[0] == sum(i.len for i in rig.prog if i.op == Op.LOAD) * 32
        # the bound itself is fine
        rig2, *_ = _dyn_rig(m, sel)
        rig2.load(np.zeros((2 * 2 * 6, LANES), dtype=np.uint16), 2100)
        assert rig2.run([insn(6, waddr)]).err == Err.NONE


def test_dyn_swiglu():
    rng = np.random.default_rng(5)
    m, r = 9, 3
    sel = rng.random(m) < 0.5
    k = int(sel.sum())
    rig, *_ = _dyn_rig(m, sel)
    gu = (rng.standard_normal((2 * r * m, LANES)) * 3).astype(np.float16).view(np.uint16)
    rig.load(gu, 2000)
    rig.load(np.full((r * m, LANES), 0x4321), 2500)
    res = rig.run([Insn.swiglu(r, 2500, 2000, dyn_rows=m)])
    assert res.err == Err.NONE and rig.core.cnt == k
    out = rig.gb(2500, r * m)
    g, u = gu[0::2], gu[1::2]
    assert (out[:k * r] == N.swiglu(g[:k * r], u[:k * r])).all()
    assert (out[k * r:] == 0x4321).all()
