"""WFETCH, the PF flag and the striped MATMUL operand (docs/isa.md "MATMUL", "WFETCH",
"Prefetch"), model only, no simulator:

* model/isa.py: the WFETCH check order, the new MATMUL / MMCFG checks (port, N % NCOL,
  K/group > MM_SCALE_ROWS, the stream's MEM_ALIGN / MEM_RANGE at their exact boundaries),
  CONFIG4, the CoreConfig helpers;
* model/core: the queue (depth, masked skip, the PF head check, END and a MATMUL without PF
  with a non-empty queue, dyn CNT = 0), the run-time order DYN_LEN, WFETCH, NPE_MASK, the
  queue cleared at start, weight writes into a queued stream raising, the byte counters.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model.core import CoreModel, SparseMem
from model.isa import CoreConfig, Csr, Err, Insn, MMState, Op, assemble, csr_value
from model.layout import mm_stream
from model.stripe import PC_BYTES, write_stream

CFG = CoreConfig()
DEPTH = CFG.GBUF_DEPTH
BB = CFG.beat_bytes


def test_core_helpers():
    assert (CFG.ncol, CFG.kdim, CFG.lanes, CFG.chunk_words, CFG.chunk_bytes) == \
        (32, 16, 16, 8, 256)
    assert CFG.port_chunk_bytes == 64 and CFG.weight_tile_bytes(True) == 256
    assert CFG.stripe.chunk_words == 8 and CFG.stripe.ports == 4
    # K = 256, group 64: 4 rows of 32 FP16 = 256 B = one scale chunk per column tile
    assert CFG.scale_chunks(256, 64) == 1 and CFG.scale_chunks(1024, 16) == 16
    assert CFG.mm_chunks(256, 512, True, 64) == 16 * (1 + 16)
    assert CFG.mm_chunks(256, 32, False) == 4 * 16
    p8 = CoreConfig(NUM_HBM=8, NCOL=64)
    assert (p8.chunk_words, p8.port_chunk_bytes, p8.KV_PORTS) == (16, 64, 8)
    assert csr_value(Csr.CONFIG4, CFG) == 5 | 8 << 8 | 64 << 16
    assert csr_value(Csr.CONFIG4, replace(CFG, NCOL=64, WFETCH_DEPTH=16,
                                          MM_SCALE_ROWS=255)) == 6 | 16 << 8 | 255 << 16


def ladder(start: Insn, fixes, expect, cfg=CFG):
    i = replace(start)
    for fix, want in zip(fixes, expect):
        assert i.check(cfg) == want, (str(i), want)
        fix(i)
    assert i.check(cfg) == Err.NONE, str(i)


def setf(**kw):
    return lambda i: [setattr(i, k, v) for k, v in kw.items()]


def test_wfetch_check_order():
    pp = 10 * CFG.port_chunk_bytes
    start = Insn(Op.WFETCH, port=2, flags=0b1001, len=0, f0=(0 << 16) | DEPTH,
                 f1=(PC_BYTES - pp + 4) & 0xFFFFFFFF, f2=0)
    ladder(start, [setf(port=0), setf(flags=8), setf(len=10), setf(f0=(CFG.DATA_W + 1) << 16
                                                                     | DEPTH),
                   setf(f0=(CFG.DATA_W << 16) | DEPTH), setf(f0=(CFG.DATA_W << 16) | (DEPTH - 1)),
                   setf(f1=PC_BYTES - pp + BB), setf(f1=PC_BYTES - pp)],
           [Err.RESERVED, Err.RESERVED, Err.BAD_LEN, Err.MM_SHAPE, Err.MM_SHAPE,
            Err.GBUF_RANGE, Err.MEM_ALIGN, Err.MEM_RANGE])
    # without MASKED, f0 is reserved and nothing about a mask is checked
    assert Insn.wfetch(0, 1).check(CFG) == Err.NONE
    assert Insn(Op.WFETCH, len=1, f0=1).check(CFG) == Err.RESERVED
    assert Insn.wfetch(0, 1, mask=5, rows=1).check(CFG) == Err.NONE
    assert Insn.wfetch(0, 1, mask=5, rows=0).check(CFG) == Err.MM_SHAPE
    for flags in (1, 2, 4):
        assert Insn(Op.WFETCH, flags=flags, len=1).check(CFG) == Err.RESERVED
    # a base of 2^28 or more leaves the pseudo-channel; the last port's channel must be
    # inside the address space: with ADDR_W 29 only two ports' channels are
    assert Insn.wfetch(PC_BYTES, 1).check(CFG) == Err.MEM_RANGE
    assert Insn.wfetch(1 << 40, 1).check(CFG) == Err.MEM_RANGE
    small = CoreConfig(NUM_HBM=2, ADDR_W=29, KV_PORTS=2)
    assert Insn.wfetch(PC_BYTES - 64 * small.port_chunk_bytes, 64).check(small) == Err.NONE
    assert Insn.wfetch(0, 1).check(replace(small, NUM_HBM=4, KV_PORTS=4, ADDR_W=29)) == \
        Err.MEM_RANGE
    assert "raw 0x" in str(Insn(Op.WFETCH, len=1, f0=1))


def test_matmul_and_mmcfg_checks():
    mm = MMState(k=256, n=64, group=64)
    ok = Insn.matmul(4, 0, 100, 0x8000, int4=True, pf=True)
    chunks = CFG.mm_chunks(256, 64, True, 64)
    assert ok.check(CFG, mm) == Err.NONE
    assert replace(ok, port=1).check(CFG, mm) == Err.RESERVED
    assert "raw 0x" in str(replace(ok, port=1))
    assert ok.check(CFG, replace(mm, n=48)) == Err.MM_SHAPE             # N % NCOL
    assert ok.check(CFG, replace(mm, n=16)) == Err.MM_SHAPE
    big = MMState(k=2 * 16 * CFG.MM_SCALE_ROWS, n=32, group=16)
    assert ok.check(CFG, big) == Err.MM_SHAPE                           # K/group > rows
    assert ok.check(CFG, replace(big, group=32)) == Err.OVERLAP         # = rows: later checks
    assert ok.check(CoreConfig(MM_SCALE_ROWS=4), replace(mm, group=32)) == Err.MM_SHAPE
    assert ok.check(CoreConfig(MM_SCALE_ROWS=4), mm) == Err.NONE
    # the stream ends at the pseudo-channel's end exactly / one word beyond
    top = PC_BYTES - chunks * CFG.port_chunk_bytes
    assert replace(ok, f1=top).check(CFG, mm) == Err.NONE
    assert replace(ok, f1=top + BB).check(CFG, mm) == Err.MEM_RANGE
    assert replace(ok, f1=top + 2).check(CFG, mm) == Err.MEM_ALIGN
    assert replace(ok, f2=1).check(CFG, mm) == Err.MEM_RANGE
    # MMCFG: f1 is reserved (the scales are in the stream)
    assert Insn.mmcfg(256, 64, 64).check(CFG) == Err.NONE
    assert replace(Insn.mmcfg(256, 64, 64), f1=0x1000).check(CFG) == Err.RESERVED
    assert "raw 0x" in str(replace(Insn.mmcfg(256, 64, 64), f1=0x1000))
    # the output row is N/LANES words (a column tile is NCOL/LANES of them)
    assert Insn.matmul(4, 0, DEPTH - 16, 0x8000).check(CFG, MMState(k=16, n=64)) == Err.NONE
    assert Insn.matmul(4, 0, DEPTH - 15, 0x8000).check(CFG, MMState(k=16, n=64)) == \
        Err.GBUF_RANGE


# ------------------------------------------------------------------------------------------
# semantics
# ------------------------------------------------------------------------------------------
class Rig:
    K, N, G = 64, 64, 32

    def __init__(self, cfg: CoreConfig = CFG, seed: int = 0):
        self.cfg = cfg
        self.ddr, self.hbm = SparseMem(), SparseMem()
        self.mems = {p: self.ddr if p == 0 else self.hbm for p in range(cfg.NUM_HBM + 1)}
        self.core = CoreModel(cfg, self.mems)
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((8, self.K)).astype(np.float16).view(np.uint16)
        self.ddr.write(0x100000, self.x.astype("<u2").tobytes())
        self.streams = []
        for i in range(3):                      # three INT4 streams of the same shape
            q = rng.integers(-8, 8, (self.K, self.N))
            s = (rng.random((self.K // self.G, self.N)) * 0.1).astype(np.float16)
            base = 0x10000 * (i + 1)
            write_stream(self.hbm, base, mm_stream(cfg, q, True, s, self.G), cfg.stripe)
            self.streams.append(base)
        self.chunks = cfg.mm_chunks(self.K, self.N, True, self.G)

    def head(self) -> list[Insn]:
        """X rows 0..7 at gb 0 (K = 64: 4 words each) and MMCFG."""
        return [Insn.load(0, 0x100000, 0, 8 * self.K // 16), Insn.mmcfg(self.K, self.N, self.G)]

    def mm(self, i: int, pf: bool = True, dyn: bool = False, dst: int = 100) -> Insn:
        return Insn.matmul(8, 0, dst, self.streams[i], int4=True, pf=pf, dyn=dyn)

    def wf(self, i: int, **kw) -> Insn:
        return Insn.wfetch(self.streams[i], self.chunks, **kw)

    def run(self, prog):
        self.ddr.write(0x1000, assemble(prog))
        return self.core.run(0x1000, len(prog))


def test_prefetched_equals_plain():
    """The same MATMULs with PF (queued ahead, up to three deep) and without: the same Y, the
    same byte counters; every consumed chunk counts CHUNK/NUM_HBM words on every port."""
    a, b = Rig(), Rig()
    ra = a.run(a.head() + [a.wf(0), a.wf(1), a.wf(2), a.mm(0), a.mm(1, dst=200),
                           a.mm(2, dst=300), Insn.end()])
    rb = b.run(b.head() + [b.mm(0, pf=False), b.mm(1, pf=False, dst=200),
                           b.mm(2, pf=False, dst=300), Insn.end()])
    assert ra.err == rb.err == Err.NONE and ra.retired == rb.retired + 3
    assert (a.core.gbuf[100:400] == b.core.gbuf[100:400]).all()
    assert ra.rd_bytes == rb.rd_bytes
    assert ra.rd_bytes[1:] == [3 * a.chunks * CFG.port_chunk_bytes] * CFG.NUM_HBM


@pytest.mark.parametrize("case", ["base", "chunks", "empty", "order"])
def test_pf_head_mismatch(case):
    r = Rig()
    wf = {"base": [r.wf(1)], "chunks": [Insn.wfetch(r.streams[0], r.chunks + 1)],
          "empty": [], "order": [r.wf(1), r.wf(0)]}[case]
    prog = r.head() + wf + [r.mm(0), Insn.end()]
    res = r.run(prog)
    assert res.err == Err.WFETCH and res.err_pc == len(prog) - 2
    assert res.rd_bytes[1:] == [0] * CFG.NUM_HBM and not r.core.gbuf_valid[100:116].any()


def test_queue_full_end_and_no_pf():
    r = Rig()
    d = CFG.WFETCH_DEPTH
    prog = r.head() + [r.wf(0)] * d
    res = r.run(prog + [r.wf(0), Insn.end()])
    assert res.err == Err.WFETCH and res.err_pc == len(prog) and res.retired == len(prog)
    # exactly full is fine until END, which finds streams nobody consumes
    res = r.run(prog + [Insn.end()])
    assert res.err == Err.WFETCH and res.err_pc == len(prog) and res.retired == len(prog)
    # a MATMUL without PF behind a queued stream
    prog = r.head() + [r.wf(0), r.mm(1, pf=False), Insn.end()]
    res = r.run(prog)
    assert res.err == Err.WFETCH and res.err_pc == len(prog) - 2
    # the queue is cleared at start: the run after a failing one starts empty
    res = r.run(r.head() + [r.mm(1, pf=False), Insn.end()])
    assert res.err == Err.NONE


def _route_cnt(c: int, m: int, dst: int) -> list[Insn]:
    """CNT = c: a forced ROUTE of c rows, or c = 0: a ROUTE whose logits all skip."""
    if c:
        return [Insn.route(c, dst, 500, 600, 0, force=True)]
    return [Insn.load(0, 0x180000, 500, m), Insn.load(0, 0x180000 + m * BB, 600, 1),
            Insn.route(m, dst, 500, 600, 0)]


def _skip_logits(r: Rig, m: int) -> None:
    lg = np.zeros((m, 16), dtype=np.float16)
    lg[:, 1] = 1.0                                                      # c > a: skip
    r.ddr.write(0x180000, lg.astype("<f2").tobytes() + bytes(BB))


def test_masked_wfetch_and_dyn():
    """A MASKED WFETCH pushes iff a mask bit < n is set; a dyn PF MATMUL with CNT = 0 is a
    no-op that leaves the queue alone, so the next PF MATMUL finds its own stream."""
    r = Rig()
    _skip_logits(r, 8)
    # CNT = 0, mask word 0: the masked WFETCH is skipped, the dyn MATMUL does nothing
    prog = r.head() + _route_cnt(0, 8, 900) + [r.wf(0, mask=900, rows=8), r.mm(0, dyn=True),
                                               r.wf(1), r.mm(1, dst=200), Insn.end()]
    res = r.run(prog)
    assert res.err == Err.NONE and r.core.cnt == 0
    assert res.rd_bytes[1:] == [r.chunks * CFG.port_chunk_bytes] * CFG.NUM_HBM
    # mask bits only at and above n: skipped as well (bits >= n are ignored)
    r.core.gbuf[901] = 0
    r.core.gbuf[901][0] = 0xFF00
    r.core.gbuf_valid[901] = True
    res = r.run(r.head() + [r.wf(0, mask=901, rows=8), Insn.end()])
    assert res.err == Err.NONE
    res = r.run(r.head() + [r.wf(0, mask=901, rows=9), Insn.end()])
    assert res.err == Err.WFETCH                                        # pushed: END fails
    # CNT = 3 from a forced ROUTE: pushed and consumed; a queued stream survives a CNT = 0
    # dyn MATMUL in between
    prog = r.head() + [r.wf(0)] + _route_cnt(0, 8, 902) + [r.mm(2, dyn=True)] + \
        _route_cnt(3, 8, 903) + [r.wf(1, mask=903, rows=8), r.mm(0, dyn=True),
                                 r.mm(1, dyn=True, dst=200), Insn.end()]
    res = r.run(prog)
    assert res.err == Err.NONE and r.core.cnt == 3
    assert res.rd_bytes[1:] == [2 * r.chunks * CFG.port_chunk_bytes] * CFG.NUM_HBM
    # the mask word is read: uninitialised is a program bug
    r.core.gbuf_valid[950] = False
    with pytest.raises(ValueError, match="WFETCH mask"):
        r.run(r.head() + [r.wf(0, mask=950, rows=8), Insn.end()])


def test_run_time_order():
    """DYN_LEN (at issue) before the queue rules; the queue rules before the fused norm's
    mask check (NPE_MASK)."""
    r = Rig()
    prog = r.head() + _route_cnt(8, 8, 900) + [Insn.matmul(4, 0, 100, r.streams[0], int4=True,
                                                           dyn=True, pf=True), Insn.end()]
    assert r.run(prog).err == Err.DYN_LEN
    # norm MATMUL: D = 4 (K = 64), mask word 904 selects 1 row, CNT = 8: NPE_MASK, unless the
    # queue head is wrong first
    npe = [Insn.npecfg(4, 0, 0, 0, 0), Insn.load(0, 0x100000, 0, 32, stats=True),
           Insn.load(0, 0x100000, 40, 4)]
    r.core.gbuf[904] = 0
    r.core.gbuf[904][0] = 1
    r.core.gbuf_valid[904] = True
    norm = [Insn.mmnorm(8, 0, 40, 0, 904),
            Insn.matmul(8, 200, 300, r.streams[0], int4=True, norm=True, pf=True)]
    base = r.head() + npe + _route_cnt(8, 8, 900)
    assert r.run(base + [r.wf(0)] + norm + [Insn.end()]).err == Err.NPE_MASK
    res = r.run(base + [r.wf(1)] + norm + [Insn.end()])
    assert res.err == Err.WFETCH and res.err_pc == len(base) + 2


def test_weight_writes_into_a_queued_stream_raise():
    r = Rig()
    port = 3                                         # HBM port 2: its stripe is in PC 2
    addr = 2 * PC_BYTES + r.streams[1] + 5 * BB
    st = Insn.store(port, addr, 0, 1)
    with pytest.raises(ValueError, match="queued by a WFETCH"):
        r.run(r.head() + [r.wf(1), st, r.mm(1), Insn.end()])
    # before the WFETCH or after its MATMUL the write is ordinary
    assert r.run(r.head() + [st, r.wf(1), r.mm(1), st, Insn.end()]).err == Err.NONE


def test_error_chunk_on_every_port():
    """An error beat on any port's share of chunk c stops the MATMUL after c: c + 1 chunks
    counted, the column tiles before c's written (two column tiles of 3 chunks here)."""
    r0 = Rig()
    clean = r0.run(r0.head() + [r0.mm(0, pf=False), Insn.end()])
    assert clean.err == Err.NONE
    per = CFG.scale_chunks(Rig.K, Rig.G) + Rig.K // CFG.kdim
    assert r0.chunks == 2 * per
    for c in range(r0.chunks):
        for p in range(CFG.NUM_HBM):
            r = Rig()
            k = (CFG.chunk_words // CFG.NUM_HBM) * c                    # port p's first word
            a = p * PC_BYTES + r.streams[0] + k * BB
            r.core.errors = [(p + 1, "rlast" if (c + p) % 2 else "r", a, a + BB // 2)]
            res = r.run(r.head() + [r.wf(0), r.mm(0), Insn.end()])
            assert res.err == Err.DMA_RD_AXI and res.err_pc == 3
            assert res.rd_bytes[1:] == [(c + 1) * CFG.port_chunk_bytes] * CFG.NUM_HBM
            cols = c // per * 2                                         # 2 words per tile
            y = r.core.gbuf[100:132].reshape(8, 4, 16)
            want = r0.core.gbuf[100:132].reshape(8, 4, 16)
            assert (y[:, :cols] == want[:, :cols]).all()
            assert not r.core.gbuf_valid[100:132].reshape(8, 4)[:, cols:].any()
