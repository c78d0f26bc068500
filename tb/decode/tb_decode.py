"""cocotb test of skipopu_decode against model.isa.Insn.check (legality and field split).

The MATMUL registers are K, N and the group size (no scale address: the INT4 scales are in the
operand stream); the decoder's parameters include NCOL and MM_SCALE_ROWS (docs/isa.md)."""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.triggers import Timer

from model.isa import (EXEC_UNIT, AttState, CoreConfig, Err, Insn, KvState, MMState, NormState,
                       NpeState, Op)

# the KV and attention instructions (and ARGMAX, which their stimulus also makes)
KV_ATT_OPS = tuple(o for o in Op if EXEC_UNIT[o] in ("kv", "attention")) + \
    (Op.KVCFG, Op.ATTCFG, Op.ARGMAX)
# decoder class outputs and the opcodes each stands for
CLASSES = [("is_nop_o", (Op.NOP,)), ("is_end_o", (Op.END,)), ("is_load_o", (Op.LOAD,)),
           ("is_store_o", (Op.STORE,)), ("is_vadd_o", (Op.VADD,)), ("is_mmcfg_o", (Op.MMCFG,)),
           ("is_mmnorm_o", (Op.MMNORM,)), ("is_matmul_o", (Op.MATMUL,)),
           ("is_npecfg_o", (Op.NPECFG,)),
           ("is_npe_o", (Op.RMSSQ, Op.RMSNORM, Op.SWIGLU, Op.ROPE)),
           ("is_vscat_o", (Op.VSCAT,)), ("is_route_o", (Op.ROUTE,)),
           ("is_argmax_o", (Op.ARGMAX,)), ("is_kvcfg_o", (Op.KVCFG,)),
           ("is_attcfg_o", (Op.ATTCFG,)), ("is_kvx_o", (Op.KVST, Op.KVLD, Op.KVRD)),
           ("is_att_o", (Op.QK, Op.SMNORM, Op.SMFEAT, Op.PV)), ("is_wfetch_o", (Op.WFETCH,))]
from testparams import env_int, seed_of


class TB:
    def __init__(self, dut, cfg: CoreConfig):
        self.dut = dut
        self.cfg = cfg
        self.checked = {e: 0 for e in Err}
        self.norm_checked = {e: 0 for e in Err}         # MATMUL with the norm flag
        self.kv_att_legal: dict = {}                    # legal KV / attention ops seen
        self.wfetch_checked = {e: 0 for e in Err}       # WFETCH verdicts
        self.matmul_checked = {e: 0 for e in Err}       # MATMUL verdicts

    async def check(self, insn: Insn, mm: MMState, npe: NpeState, norm: NormState,
                    kv: KvState | None = None, att: AttState | None = None):
        kv, att = kv or KvState(), att or AttState()
        self.dut.insn_i.value = insn.encode()
        self.dut.mm_k_i.value = mm.k
        self.dut.mm_n_i.value = mm.n
        self.dut.mm_group_i.value = mm.group
        self.dut.npe_d_i.value = npe.d
        self.dut.npe_hw_i.value = npe.hw
        self.dut.npe_snoop_i.value = npe.snoop
        for f in ("n", "x", "w", "stat", "mask"):
            getattr(self.dut, f"mn_{f}_i").value = getattr(norm, f)
        d = self.dut
        d.kv_e_i.value, d.kv_off_i.value, d.kv_layers_i.value = kv.e, kv.off, kv.layers
        d.att_nk_i.value, d.att_h_i.value, d.att_kvh_i.value = att.nk, att.h, att.kvh
        d.att_hw_i.value, d.att_qs_i.value = att.hw, att.qs
        d.att_sbase_i.value, d.att_causal_i.value = att.sbase, int(att.causal)
        await Timer(1, "ns")
        want = insn.check(self.cfg, mm, npe, norm, kv, att)
        got = int(d.err_o.value)
        assert got == want, f"{insn} ({insn.encode():032x}): err {got}, model {want!r}"
        self.checked[want] += 1
        if insn.op == Op.WFETCH:
            self.wfetch_checked[want] += 1
        elif insn.op == Op.MATMUL:
            self.matmul_checked[want] += 1
        if want == Err.NONE:
            flags = [int(getattr(d, name).value) for name, _ in CLASSES]
            exp = [int(insn.op in ops) for _, ops in CLASSES]
            assert flags == exp, f"{insn}: class flags {flags}, expected {exp}"
            # legal instructions set flags[3] only as MATMUL/SWIGLU dyn, flags[1] only as
            # RMSNORM compact or MATMUL norm
            assert int(d.dyn_o.value) == (insn.flags >> 3) & 1, f"{insn}: dyn_o"
            assert int(d.compact_o.value) == (insn.flags >> 1) & 1, f"{insn}: compact_o"
            if insn.op in KV_ATT_OPS:
                self.kv_att_legal[insn.op] = self.kv_att_legal.get(insn.op, 0) + 1
            assert int(d.port_o.value) == insn.port
            assert int(d.flags_o.value) == insn.flags
            assert int(d.len_o.value) == insn.len
            assert int(d.gb_addr_o.value) == insn.f0
            assert int(d.src0_o.value) == insn.f1
            assert int(d.src1_o.value) == insn.f2
            assert int(d.mem_addr_o.value) == insn.mem_addr


def random_mm(rng: random.Random, cfg: CoreConfig) -> MMState:
    """MMCFG register values: mostly legal shapes, some off by a little (N a multiple of LANES
    but not of NCOL, more INT4 groups than MM_SCALE_ROWS)."""
    kd, nc = cfg.kdim, cfg.ncol
    k = kd * rng.choice([1, 2, 4, 8, rng.randint(1, 40)])
    n = nc * rng.choice([1, 2, 3, rng.randint(1, 40)])
    g = kd * rng.choice([1, 2, 4])
    r = rng.random()
    if r < 0.05:
        k += rng.choice([-1, 1, kd // 2])
    elif r < 0.1:
        n = rng.choice([n + 1, 0, 1 << 16, n | (1 << 20), n - cfg.lanes, cfg.lanes])
    elif r < 0.15:
        g = rng.choice([0, g + kd, g * 64, kd // 2, 3 * kd])
    elif r < 0.2:                            # K/group around MM_SCALE_ROWS
        g = kd
        k = kd * (cfg.MM_SCALE_ROWS + rng.choice([0, 1]))
    return MMState(k & 0xFFFF, n & 0xFFFFFFFF, g & 0xFFFF)


def stream_addr(rng: random.Random, cfg: CoreConfig, chunks: int) -> int:
    """A stream base around the alignment and pseudo-channel limits of ``chunks`` chunks."""
    bb, end = cfg.beat_bytes, (1 << 28) - chunks * cfg.port_chunk_bytes
    return rng.choice([0, bb * rng.randrange(1 << 20), end, end + bb, end - bb,
                       bb * rng.randrange(1 << 20) + rng.choice([2, 4, bb // 2]),
                       1 << 28, rng.getrandbits(40), max(end, 0) & ~(bb - 1)]) & ((1 << 64) - 1)


def matmul_insn(rng: random.Random, cfg: CoreConfig, mm: MMState) -> Insn:
    kd = cfg.kdim
    m = rng.choice([1, 2, cfg.MMAX, cfg.MMAX + 1, 0, rng.randint(1, cfg.MMAX)])
    src_n, dst_n = m * max(mm.k // kd, 1), m * max(mm.n // cfg.lanes, 1)
    src = rng.choice([0, rng.randrange(cfg.GBUF_DEPTH), cfg.GBUF_DEPTH - src_n])
    dst = rng.choice([src + src_n, max(src - dst_n, 0), rng.randrange(cfg.GBUF_DEPTH),
                      cfg.GBUF_DEPTH - dst_n, src + 1])
    int4 = rng.random() < 0.5
    chunks = cfg.mm_chunks(mm.k, mm.n, int4, max(mm.group, 1)) \
        if mm.k >= kd and mm.n >= cfg.ncol else 1
    i = Insn.matmul(m, src & 0xFFFF, dst & 0xFFFF, stream_addr(rng, cfg, chunks), int4=int4,
                    dyn=rng.random() < 0.3, norm=rng.random() < 0.3, pf=rng.random() < 0.5)
    if rng.random() < 0.05:
        i.port = rng.choice([1, cfg.NUM_HBM, 15])                       # RESERVED
    elif rng.random() < 0.03:
        i.flags &= ~8                                                  # norm without dyn
    return i


def wfetch_insn(rng: random.Random, cfg: CoreConfig) -> Insn:
    """WFETCH around its checks: reserved port / flags / f0, chunks 0, the mask rows and word
    range, the stream's alignment and pseudo-channel / address-space limits."""
    depth = cfg.GBUF_DEPTH
    chunks = rng.choice([0, 1, 2, rng.randint(1, 5000), 0xFFFF])
    masked = rng.random() < 0.5
    rows = rng.choice([0, 1, cfg.DATA_W, cfg.DATA_W + 1, rng.randint(1, cfg.DATA_W),
                       rng.randrange(1 << 16)])
    mask = rng.choice([0, rng.randrange(depth), depth - 1, depth, rng.randrange(1 << 16)])
    i = Insn.wfetch(stream_addr(rng, cfg, max(chunks, 1)), chunks, mask if masked else None,
                    rows if masked else 0)
    r = rng.random()
    if r < 0.05:
        i.port = rng.randint(1, 15)
    elif r < 0.1:
        i.flags |= 1 << rng.randrange(3)
    elif r < 0.15 and not masked:
        i.f0 = rng.getrandbits(32)
    return i


def random_norm(rng: random.Random, cfg: CoreConfig, mm: MMState, npe: NpeState,
                insn: Insn) -> NormState:
    """MMNORM register values around the fused MATMUL's boundaries: rows (0, one mask word,
    statistics rows), the residual/weight/mask ranges and their overlaps with X and Y."""
    depth, kd = cfg.GBUF_DEPTH, cfg.kdim
    d = max(npe.d, 1)
    n = rng.choice([0, 1, rng.randint(1, 40), insn.len, cfg.DATA_W, cfg.DATA_W + 1,
                    rng.randrange(1 << 16)]) & 0xFFFF
    span = n * d
    src, dst = insn.f0 & 0xFFFF, insn.f0 >> 16
    src_n, dst_n = insn.len * max(mm.k // kd, 1), insn.len * max(mm.n // kd, 1)

    def near(base, size):
        return rng.choice([base, base + size, base + size - 1, base - 1, base - span,
                           base - span + 1])

    x = rng.choice([src, rng.randrange(depth), depth - span, depth - span + 1, near(src, src_n),
                    near(dst, dst_n), rng.randrange(1 << 16)])
    w = rng.choice([rng.randrange(depth), depth - d, depth - d + 1, near(src, src_n),
                    near(dst, dst_n), x + span, rng.randrange(1 << 16)])
    mask = rng.choice([rng.randrange(depth), depth - 1, depth, near(src, src_n),
                       near(dst, dst_n), x + span, rng.randrange(1 << 16)])
    stat = rng.choice([0, rng.randrange(cfg.NPE_ROWS), cfg.NPE_ROWS - n, cfg.NPE_ROWS - n + 1,
                       rng.randrange(1 << 16)])
    if rng.random() < 0.3 and 2 * span + d + 1 <= depth:  # mostly legal: above X and Y
        lo = max(src + src_n, dst + dst_n)
        if lo + span + d + 1 <= depth:
            x = rng.choice([lo, src])
            w = lo + span
            mask = w + d
            stat = rng.randrange(max(cfg.NPE_ROWS - n, 0) + 1)
    return NormState(n, x & 0xFFFF, w & 0xFFFF, stat & 0xFFFF, mask & 0xFFFF)


def random_npe_state(rng: random.Random, cfg: CoreConfig) -> NpeState:
    d = rng.choice([0, 1, 2, 3, 4, 6, 16, rng.randint(1, 300)])
    hw = rng.choice([0, 1, 2, 3, 4, d, rng.randint(1, 20)])
    snoop = rng.choice([0, rng.randrange(cfg.NPE_ROWS), cfg.NPE_ROWS - 1, cfg.NPE_ROWS,
                        rng.randrange(1 << 16)])
    return NpeState(d & 0xFFFF, rng.getrandbits(32), rng.getrandbits(32), hw & 0xFFFF, snoop)


def npe_insn(rng: random.Random, cfg: CoreConfig, npe: NpeState) -> Insn:
    """NPE instructions around their shape, range and overlap boundaries."""
    op = rng.choice([Op.NPECFG, Op.RMSSQ, Op.RMSNORM, Op.SWIGLU, Op.ROPE, Op.ROPE, Op.RMSNORM])
    d = max(npe.d, 1)
    m = rng.choice([0, 1, 2, rng.randint(1, 40), cfg.DATA_W, cfg.DATA_W + 1, cfg.NPE_ROWS,
                    cfg.GBUF_DEPTH // d, cfg.GBUF_DEPTH // d + 1]) & 0xFFFF
    span = m * d
    depth = cfg.GBUF_DEPTH

    def gb(n):
        return rng.choice([0, rng.randrange(depth), depth - n, depth - n + 1, n,
                           rng.randrange(1 << 16)]) & 0xFFFF

    src = gb(span)
    dst = rng.choice([src, gb(span), (src + rng.randint(-span, span)) & 0xFFFF,
                      (src + span) & 0xFFFF])
    aux = rng.choice([gb(d), (dst + rng.randint(-span, span)) & 0xFFFF, (dst + span) & 0xFFFF,
                      depth - cfg.DATA_W * max(npe.hw, 1)]) & 0xFFFF
    mask = rng.choice([gb(1), dst, (dst + span) & 0xFFFF, depth, depth - 1]) & 0xFFFF
    stat = rng.choice([0, rng.randrange(cfg.NPE_ROWS), cfg.NPE_ROWS - m, cfg.NPE_ROWS - m + 1,
                       0xFFFF]) & 0xFFFF
    masked = rng.random() < 0.5
    compact = rng.random() < 0.3
    if compact and rng.random() < 0.8:
        masked = True
    if op == Op.NPECFG:
        i = Insn.npecfg(m, rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(16),
                        rng.getrandbits(16))
    elif op == Op.RMSSQ:
        i = Insn.rmssq(m, rng.choice([src, gb(span) | rng.choice([0, 1 << 20])]), stat)
    elif op == Op.RMSNORM:
        i = Insn.rmsnorm(m, dst, src, aux, stat, mask if masked else None, compact=compact)
    elif op == Op.SWIGLU and rng.random() < 0.4:
        # dyn: len = R words per row, Mmax rows; ranges of Mmax*R and 2*Mmax*R words
        r = rng.choice([0, 1, 2, rng.randint(1, 16), rng.randint(1, 16), rng.randint(1, 300)])
        rows = rng.choice([0, 1, 2, rng.randint(1, 64), rng.randint(1, 64), cfg.MMAX,
                           rng.randrange(1 << 16)])
        n = r * rows
        d2 = rng.choice([gb(n), depth - n, depth - n + 1, rng.randrange(max(depth - 3 * n, 1))
                         ]) & 0xFFFF
        s2 = rng.choice([d2, gb(2 * n), depth - 2 * n, depth - 2 * n + 1,
                         (d2 + rng.randint(-2 * n, n)) & 0xFFFF, (d2 + n) & 0xFFFF]) & 0xFFFF
        i = Insn.swiglu(r, d2, s2, dyn_rows=rows)
    elif op == Op.SWIGLU:
        s2 = rng.choice([dst, gb(2 * m), (dst + rng.randint(-2 * m, 2 * m)) & 0xFFFF])
        i = Insn.swiglu(m, dst, s2)
    else:
        i = Insn.rope(m, dst, src, aux, mask if masked else None)
    r = rng.random()
    if r < 0.05:
        i.port = 1
    elif r < 0.1:
        i.flags |= rng.choice([1, 2, 8])
    elif r < 0.15:
        setattr(i, rng.choice(["f1", "f2"]), getattr(i, rng.choice(["f1", "f2"])) | 1 << 20)
    return i


def route_insn(rng: random.Random, cfg: CoreConfig) -> Insn:
    """ROUTE around its shape (rows, router pair), range and overlap boundaries."""
    depth = cfg.GBUF_DEPTH
    m = rng.choice([0, 1, 2, rng.randint(1, 40), cfg.DATA_W, cfg.DATA_W + 1,
                    rng.randrange(1 << 16)])
    src = rng.choice([0, rng.randrange(depth), depth - m, depth - m + 1,
                      rng.randrange(1 << 16)]) & 0xFFFF
    dst = rng.choice([src, src + m, src + m - 1, src - 1, rng.randrange(depth), depth - 1,
                      depth, rng.randrange(1 << 16)]) & 0xFFFF
    bias = rng.choice([dst, src, (src + m - 1) & 0xFFFF, rng.randrange(depth), depth - 1, depth,
                       0xFFFF]) & 0xFFFF
    pair = rng.choice([0, 1, cfg.lanes // 2 - 1, cfg.lanes // 2, rng.randrange(1 << 16)])
    stride = rng.choice([0, 0, 1, 2, cfg.ncol // cfg.lanes, 255])
    if rng.random() < 0.3:          # mostly legal: logits, then bias and mask words
        m = rng.randint(1, cfg.DATA_W)
        span = (m - 1) * (stride or 1) + 1
        if span + 2 > depth:
            stride, span = 0, m
        src = rng.randrange(depth - span - 1)
        dst, bias = rng.sample([src + span, src + span + 1, rng.randrange(src + 1)], 2)
        pair = rng.randrange(cfg.lanes // 2)
    elif rng.random() < 0.3 and m:  # the mask in a gap between strided rows, or just past
        dst = (src + rng.choice([1, (m - 1) * (stride or 1), (m - 1) * (stride or 1) + 1])) \
            & 0xFFFF
    i = Insn.route(m, dst, src, bias, pair, force=rng.random() < 0.3, stride=stride)
    r = rng.random()
    if r < 0.05:
        i.port = rng.randint(1, 15)
    elif r < 0.1:
        i.flags |= rng.choice([2, 4, 8])
    elif r < 0.15:
        i.f2 = 1 << rng.randrange(8, 32)
    return i


def vscat_insn(rng: random.Random, cfg: CoreConfig, npe: NpeState) -> Insn:
    """VSCAT around its shape (D, rows, statistics rows), range and overlap boundaries; x, y
    and mask are full 32-bit word addresses."""
    depth, d = cfg.GBUF_DEPTH, max(npe.d, 1)
    m = rng.choice([0, 1, 2, rng.randint(1, 40), cfg.DATA_W, cfg.DATA_W + 1,
                    cfg.NPE_ROWS - npe.snoop, cfg.NPE_ROWS - npe.snoop + 1, depth // d,
                    depth // d + 1])
    m = min(max(m, 0), 0xFFFF)
    span = m * d
    m32 = 0xFFFFFFFF

    def gb(n):
        return rng.choice([0, rng.randrange(depth), depth - n, depth - n + 1,
                           rng.randrange(1 << 16), rng.getrandbits(32)]) & m32

    x = gb(span)
    y = rng.choice([gb(span), x + span, x - span, x + rng.randint(-span, span), x]) & m32
    mask = rng.choice([gb(1), x, x + span - 1, x + span, y, y + span - 1, y + span, depth - 1,
                       depth]) & m32
    if rng.random() < 0.3 and 2 * d + 1 <= depth:      # mostly legal: x, y, mask in a row
        m = rng.randint(1, min(cfg.DATA_W, (depth - 1) // (2 * d)))
        span = m * d
        x = rng.randrange(depth - 2 * span)
        y, mask = x + span, x + 2 * span
    i = Insn.vscat(m, x, y, mask, stats=rng.random() < 0.5)
    r = rng.random()
    if r < 0.05:
        i.port = rng.randint(1, 15)
    elif r < 0.1:
        i.flags |= rng.choice([2, 4, 8])
    return i


# -- KV and attention ------------------------------------------------------------------------
def random_kv(rng: random.Random, cfg: CoreConfig) -> KvState:
    e = rng.choice([0, 1, 2, 4, 4, 8, 16, 3, cfg.KV_ENTRY_MAX, 2 * cfg.KV_ENTRY_MAX])
    return KvState(e, rng.choice([0, 0x40000, rng.getrandbits(32)]),
                   rng.choice([0, 1, 4, 4, 8, 255]), rng.random() < 0.3, rng.random() < 0.5)


def random_att(rng: random.Random, cfg: CoreConfig, kv: KvState) -> AttState:
    kvh = rng.choice([0, 1, 2, 2, 4, 3])
    rep = rng.choice([1, 2, 2, 4, 3])
    hw = rng.choice([0, 1, 1, 2, 3])
    h = (kvh * rep) & 0xFF if rng.random() < 0.9 else rng.randrange(256)
    nk = rng.choice([0, 1, 8, 33, cfg.KV_TOKENS, cfg.KV_TOKENS + 1])
    qs = rng.choice([h * hw, h * hw + 4, max(h * hw - 1, 0), rng.randrange(256)]) & 0xFF
    sbase = rng.choice([0x8000, 0x8000 + 4, (1 << cfg.ADDR_W) - 64 * cfg.beat_bytes])
    return AttState(nk, h, kvh, hw, qs, sbase & 0xFFFFFFFF, rng.random() < 0.5)


def kv_att_insn(rng: random.Random, cfg: CoreConfig, kv: KvState, att: AttState) -> Insn:
    """KV and attention instructions around their shape, range and overlap boundaries."""
    depth = cfg.GBUF_DEPTH
    op = rng.choice([Op.KVCFG, Op.KVST, Op.KVST, Op.KVLD, Op.KVRD, Op.ATTCFG, Op.QK, Op.QK,
                     Op.SMNORM, Op.SMFEAT, Op.PV, Op.PV, Op.ARGMAX, Op.ROPE])

    def gb(n=1):
        return rng.choice([0, rng.randrange(depth), depth - n, depth - n + 1,
                           rng.randrange(1 << 16)]) & 0xFFFF

    e = max(kv.e, 1)
    if op == Op.KVCFG:
        i = Insn.kvcfg(rng.choice([0, 1, 2, 3, 4, 16, 32]),
                       rng.choice([0, 0x40000, 0x40010, (1 << 28) - 4096, rng.getrandbits(32)]),
                       rng.choice([0, 1, 4, 8, 255]), rng.random() < 0.3, rng.random() < 0.5)
    elif op == Op.KVST:
        n = rng.choice([0, 1, 8, rng.randint(1, 40), cfg.DATA_W, cfg.DATA_W + 1])
        st = rng.choice([0, 0, e, e + 4, max(e - 1, 1)])
        span = (max(n, 1) - 1) * (st or e) + e
        i = Insn.kvst(n, gb(span), rng.choice([0, max(kv.layers - 1, 0), kv.layers,
                                                 rng.randrange(256)]) & 0xFF,
                      mask=gb(), hist=gb(), stride=st & 0xFF,
                      pos0=rng.choice([0, cfg.KV_TOKENS - n, cfg.KV_TOKENS - n + 1,
                                       rng.randrange(1 << 16)]) & 0xFFFF,
                      put=rng.random() < 0.5, all_rows=rng.random() < 0.3,
                      nohist=rng.random() < 0.3)
    elif op == Op.KVLD:
        i = Insn.kvld(rng.choice([0, 1, cfg.KV_TOKENS - 1, cfg.KV_TOKENS, rng.randrange(1 << 16)]),
                      gb(), gb(), rng.choice([0, max(kv.layers - 1, 0), kv.layers]) & 0xFF,
                      attend=rng.random() < 0.5, dyn=rng.random() < 0.3)
    elif op == Op.KVRD:
        n = rng.choice([0, 1, 4, cfg.KV_TOKENS])
        i = Insn.kvrd(n, gb(n * e), rng.choice([0, cfg.KV_TOKENS - n, cfg.KV_TOKENS - n + 1]))
    elif op == Op.ATTCFG:
        i = Insn.attcfg(rng.randrange(1 << 16), rng.randrange(256), rng.randrange(256),
                        rng.randrange(256), rng.randrange(256), rng.getrandbits(32),
                        rng.random() < 0.5)
    elif op == Op.ARGMAX:
        n = rng.choice([0, 1, 4, 4096, 4097, rng.randrange(1 << 16)])
        src = gb(n)
        i = Insn.argmax(n, rng.choice([gb(), src, (src + n) & 0xFFFF, (src + n - 1) & 0xFFFF]),
                        src)
    elif op == Op.ROPE:
        w = rng.choice([0, 1, 2, 3, 4])
        st = rng.choice([0, w, w + 1, max(w - 1, 0)])
        n = rng.choice([0, 1, 4, cfg.DATA_W + 1])
        src = gb(n * max(st, 1))
        dst = rng.choice([src, gb(), (src + 1) & 0xFFFF])
        i = Insn.rope(n, dst, src, gb(cfg.DATA_W * 2), gb() if rng.random() < 0.5 else None,
                      words=w, stride=st, dyn=rng.random() < 0.5)
    else:
        rep = att.h // att.kvh if att.kvh and att.h % att.kvh == 0 else 1
        n = rng.choice([0, 1, 2, 8, max(cfg.MMAX // max(rep, 1), 1),
                        max(cfg.MMAX // max(rep, 1), 1) + 1])
        nt = -(-max(att.nk, 1) // cfg.lanes)
        words = nt * max(att.kvh, 1) * rep * max(n, 1)
        j0 = rng.choice([0, 0, 1, cfg.DATA_W - n, cfg.DATA_W - n + 1]) & 0xFFFF
        ng = rng.choice([0, 0, 1, 2])
        g0 = rng.choice([0, 0, 1])
        fb = rng.choice([0, cfg.SMAX_ROWS - words // nt, rng.randrange(1 << 16)]) & 0xFFFF
        a = gb(words)
        b = rng.choice([gb(), (a + words) & 0xFFFF, (a + words - 1) & 0xFFFF, a])
        dyn = rng.random() < 0.5
        if op == Op.QK:
            i = Insn.qk(n, a, fb, b, j0, g0, ng, dyn, nofeat=rng.random() < 0.3)
        elif op == Op.SMNORM:
            i = Insn.smnorm(n, a, fb, b, j0, g0, ng, dyn)
        elif op == Op.SMFEAT:
            i = Insn.smfeat(n, fb, b, j0, g0, ng, dyn)
        else:
            os_ = rng.choice([att.h * att.hw, att.h * att.hw + 1, max(att.h * att.hw - 1, 0)])
            i = Insn.pv(n, a, b, os_ & 0xFFFF, j0, g0, ng, dyn)
    r = rng.random()
    if r < 0.05:
        i.port = rng.randint(1, 15)
    elif r < 0.1:
        i.flags |= 1 << rng.randrange(4)
    elif r < 0.14:
        i.f2 |= 1 << rng.randrange(16, 32)
    return i


def random_insn(rng: random.Random, cfg: CoreConfig, mm: MMState, npe: NpeState) -> Insn:
    """Instructions near every legality boundary, plus fully random words."""
    bb = cfg.beat_bytes
    r = rng.random()
    if r < 0.1:
        return Insn.decode(rng.getrandbits(128))
    if r < 0.3:
        return npe_insn(rng, cfg, npe)
    if r < 0.45:
        return matmul_insn(rng, cfg, mm)
    if r < 0.5:
        return wfetch_insn(rng, cfg)
    if r < 0.53:
        return Insn(Op.MMNORM, port=rng.choice([0, 0, 0, 1]), flags=rng.choice([0, 0, 0, 2]),
                    len=rng.getrandbits(16), f0=rng.getrandbits(32), f1=rng.getrandbits(32),
                    f2=rng.choice([0, 0, 0, 1 << rng.randrange(32)]))
    if r < 0.62:
        return route_insn(rng, cfg) if r < 0.56 else vscat_insn(rng, cfg, npe)
    if r < 0.66:
        return Insn(Op.MMCFG, port=rng.choice([0, 0, 0, 1]), flags=rng.choice([0, 0, 0, 2]),
                    len=mm.k, f0=mm.n, f1=rng.choice([0, 0, 0, cfg.beat_bytes]),
                    f2=mm.group | rng.choice([0, 0, 0, 1 << 16]))
    op = rng.choice([Op.NOP, Op.END, Op.LOAD, Op.STORE, Op.VADD, Op.VADD, rng.randrange(256)])
    n = rng.choice([0, 1, 2, rng.randint(1, 64), 0xFFFF, cfg.GBUF_DEPTH])

    def gb():
        return rng.choice([0, rng.randrange(cfg.GBUF_DEPTH), cfg.GBUF_DEPTH - n,
                           cfg.GBUF_DEPTH - n + 1, cfg.GBUF_DEPTH, 0xFFFFFFFF]) & 0xFFFFFFFF

    if op in (Op.LOAD, Op.STORE):
        top = 1 << cfg.ADDR_W
        addr = rng.choice([0, bb * rng.randrange(1 << 20), top - n * bb, top - n * bb + bb,
                           top, rng.getrandbits(64), bb * rng.randrange(1 << 20) + 1])
        addr &= (1 << 64) - 1
        return Insn(op, port=rng.choice([0, 1, cfg.NUM_HBM, cfg.NUM_HBM + 1, 15]),
                    flags=rng.choice([0, 0, 0, 1, 8]), len=n, f0=gb(), f1=addr & 0xFFFFFFFF,
                    f2=addr >> 32)
    if op == Op.VADD:
        a = gb()
        b = rng.choice([a, gb(), (a + rng.randint(-n, n)) & 0xFFFFFFFF])
        c = rng.choice([a, gb(), (a + rng.randint(-n, n)) & 0xFFFFFFFF])
        return Insn(op, port=rng.choice([0, 0, 0, 1]), flags=rng.choice([0, 0, 0, 2]), len=n,
                    f0=a, f1=b, f2=c)
    i = Insn(op)
    if rng.random() < 0.3:
        setattr(i, rng.choice(["port", "flags", "len", "f0", "f1", "f2"]), 1)
    return i


# cocotb timeout (simulated us): one instruction per nanosecond-scale Timer step, DECODE_VECTORS of
# them (20000 took 20 us)
TIMEOUT_US = max(200, env_int("DECODE_VECTORS", 20000) // 50)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_decode(dut):
    cfg = CoreConfig(**json.loads(os.environ.get("SKIPOPU_CFG", "{}")))
    tb = TB(dut, cfg)
    rng = random.Random(seed_of("decode"))
    for _ in range(int(os.environ.get("DECODE_VECTORS", "20000"))):
        mm = random_mm(rng, cfg)
        npe = random_npe_state(rng, cfg)
        insn = random_insn(rng, cfg, mm, npe)
        if rng.random() < 0.04:         # a legal fused MATMUL shape, MMNORM near its limits
            kd = cfg.kdim
            mm = MMState(kd * rng.choice([1, 2, 4]), cfg.ncol * rng.choice([1, 2]), kd)
            m = rng.randint(1, min(cfg.MMAX, 16))
            src = rng.randrange(cfg.GBUF_DEPTH // 4)
            insn = Insn.matmul(m, src, src + m * mm.k // kd, 0, int4=rng.random() < 0.5,
                               norm=True, pf=rng.random() < 0.5)
        if insn.op == Op.MATMUL and insn.flags & 2:
            if rng.random() < 0.5:      # D consistent with K, so the later checks are reached
                npe = NpeState(mm.k // cfg.kdim, npe.eps, npe.inv_d, npe.hw, npe.snoop)
            norm = random_norm(rng, cfg, mm, npe, insn)
            tb.norm_checked[insn.check(cfg, mm, npe, norm)] += 1
        else:
            norm = NormState(*(rng.getrandbits(16) for _ in range(5)))
        kv = att = None
        if rng.random() < 0.45:
            kv = random_kv(rng, cfg)
            att = random_att(rng, cfg, kv)
            if rng.random() < 0.3:      # a consistent attention shape: the later checks count
                kvh, rep, hw = rng.choice([1, 2]), rng.choice([1, 2]), rng.choice([1, 2])
                kv = KvState(min(cfg.KV_ENTRY_MAX, 1 << (2 * kvh * hw - 1).bit_length()),
                             0x40000, 4)
                att = AttState(rng.randint(1, cfg.KV_TOKENS), kvh * rep, kvh, hw,
                               kvh * rep * hw, 0x8000, rng.random() < 0.5)
            insn = kv_att_insn(rng, cfg, kv, att)
        await tb.check(insn, mm, npe, norm, kv, att)
    dut._log.info("checked per model verdict: %s", {e.name: n for e, n in tb.checked.items()})
    missing = [e.name for e in (Err.NONE, Err.ILLEGAL_OP, Err.RESERVED, Err.BAD_LEN,
                                Err.BAD_PORT, Err.GBUF_RANGE, Err.MEM_ALIGN, Err.MEM_RANGE,
                                Err.OVERLAP, Err.MM_SHAPE, Err.NPE_SHAPE, Err.ROUTE_SHAPE)
               if tb.checked[e] == 0]
    assert not missing, f"stimulus never produced {missing}"
    dut._log.info("MATMUL norm per verdict: %s",
                  {e.name: n for e, n in tb.norm_checked.items() if n})
    missing = [e.name for e in (Err.NONE, Err.RESERVED, Err.BAD_LEN, Err.NPE_SHAPE,
                                Err.GBUF_RANGE, Err.OVERLAP) if tb.norm_checked[e] == 0]
    if int(os.environ.get("DECODE_VECTORS", "20000")) >= 3000:
        assert not missing, f"MATMUL norm stimulus never produced {missing}"
    dut._log.info("KV / attention legal: %s",
                  {Op(k).name: n for k, n in tb.kv_att_legal.items()})
    dut._log.info("WFETCH per verdict: %s",
                  {e.name: n for e, n in tb.wfetch_checked.items() if n})
    dut._log.info("MATMUL per verdict: %s",
                  {e.name: n for e, n in tb.matmul_checked.items() if n})
    missing = [f"WFETCH {e.name}" for e in (Err.NONE, Err.RESERVED, Err.BAD_LEN, Err.MM_SHAPE,
                                            Err.GBUF_RANGE, Err.MEM_ALIGN, Err.MEM_RANGE)
               if tb.wfetch_checked[e] == 0]
    missing += [f"MATMUL {e.name}" for e in (Err.NONE, Err.RESERVED, Err.MM_SHAPE,
                                             Err.MEM_ALIGN, Err.MEM_RANGE)
                if tb.matmul_checked[e] == 0]
    if int(os.environ.get("DECODE_VECTORS", "20000")) >= 3000:
        assert not missing, f"stimulus never produced {missing}"
    missing = [e.name for e in (Err.KV_SHAPE, Err.ATT_SHAPE) if tb.checked[e] == 0]
    if int(os.environ.get("DECODE_VECTORS", "20000")) >= 10000:   # (short Icarus runs:
        missing += [o.name for o in KV_ATT_OPS if tb.kv_att_legal.get(o, 0) == 0]  # errors only)
    assert not missing, f"KV / attention stimulus never produced {missing}"
