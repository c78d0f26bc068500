"""Stimulus for the attention instructions (ATTCFG, QK, SMNORM, SMFEAT, PV with
KVCFG + KVST.put filling the KV staging buffer): self-contained blocks. Each block loads a whole
buffer span with random words (Q rows, KV entries, mask words, the P and O regions), writes the
KVSB entries 0..NK-1 with KVST.put (chunks of entries reloaded into one region), sets CNT with a
forced ROUTE when it uses dyn, runs QK -> SMNORM (features from QK) and, in some blocks, the
row-wise path QK.nofeat -> SMFEAT -> SMNORM into a second P region (both paths give the same P,
the generator asserts it on the model), then PV, and stores the whole span to DDR, so every
buffer word, the score area (DDR), the KV region (HBM) and the counters are compared with
model/core. Inputs only: expected values come from the model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.isa import CoreConfig, Err, Insn, Op
from .programs import Layout, ProgramGenerator, Stimulus

KVOFF = 0x0004_0000              # KV region offset in every KV port's channel (= the HBM windows)
WINDOW = 512 << 10               # data windows of the attention tests


def att_layout(cfg: CoreConfig) -> Layout:
    return Layout(cfg, window=WINDOW)


def fp16_data(rng: np.random.Generator, n: int, scale_exp=(-3, 1), special: float = 0.0):
    """n FP16 values: normal values N(0, 1) * 2^k, and a fraction `special` of arbitrary bit
    patterns (NaN, Inf, subnormals, -0)."""
    v = rng.standard_normal(n) * np.exp2(rng.integers(scale_exp[0], scale_exp[1] + 1, n))
    bits = v.astype(np.float16).view(np.uint16)
    if special:
        pick = rng.random(n) < special
        odd = rng.choice(np.array([0x7C00, 0xFC00, 0x7E00, 0x8000, 0x0000, 0x0001, 0x83FF,
                                   0x7BFF, 0xFBFF], dtype=np.uint16), n)
        bits = np.where(pick, odd, bits)
    return bits.astype("<u2")


@dataclass
class Shape:
    """One attention block (the ATTCFG registers and the instruction fields)."""
    e: int
    h: int
    kvh: int
    hw: int
    qs: int
    nk: int
    mq_len: int                 # instruction len (Mq bound)
    j0: int
    g0: int
    ng: int                     # 0 = all groups
    causal: bool
    dyn: bool
    cnt: int                    # CNT set by the forced ROUTE (dyn)
    mask_bits: list[int] = field(default_factory=list)   # causal query positions
    os_: int = 0

    @property
    def rep(self) -> int:
        return self.h // self.kvh

    @property
    def groups(self) -> int:
        return self.ng or self.kvh

    @property
    def mq(self) -> int:
        return min(self.mq_len, max(0, self.cnt - self.j0)) if self.dyn else self.mq_len

    def rows(self, mq: int | None = None) -> int:
        return self.groups * self.rep * (self.mq_len if mq is None else mq)

    def nt(self, lanes: int) -> int:
        """Key tiles: the attention modes use LANES columns of the PE array (docs/isa.md)."""
        return -(-self.nk // lanes)


class AttGenerator:
    ERROR_KINDS = ("npe_mask_qk", "npe_mask_smnorm", "score_wr_axi", "score_rd_axi",
                   "score_rd_axi_smfeat")

    def __init__(self, cfg: CoreConfig, seed: int, layout: Layout | None = None):
        self.cfg = cfg
        self.layout = layout or att_layout(cfg)
        self.pg = ProgramGenerator(cfg, seed, self.layout)
        self.rng = self.pg.rng
        self.nprng = self.pg.nprng
        self.lanes = cfg.DATA_W // 16
        self.bb = cfg.beat_bytes
        _, lo, hi = self.layout.windows()[0]
        self.ddr_lo, self.ddr_hi = lo, hi
        self.pe_cycles = 0            # PE_CYCLES of the program being built

    # -- shapes --------------------------------------------------------------------------------
    def shape(self, kind: str = "random", span: int | None = None) -> Shape:
        """A random legal shape. kind: "prefill" (causal, n_rep 2, the query positions 0..,
        NK = the queries or random), "decode" (Mq = 1, n_rep 2, not causal), "chunk" (causal,
        j0 > 0, random positions), "mq0" (dyn, CNT <= j0: Mq = 0), "random" (anything)."""
        cfg, rng = self.cfg, self.rng
        span = span or min(cfg.GBUF_DEPTH, 1536)
        nc, kt = self.lanes, cfg.KV_TOKENS
        for _ in range(1000):
            hw = rng.choice([1, 1, 2, 2, 3])
            kvh = rng.choice([k for k in (1, 2, 3, 4) if 2 * k * hw <= cfg.KV_ENTRY_MAX])
            reps = [r for r in (1, 2, 4) if r <= cfg.MMAX]
            rep = min(2, reps[-1]) if kind in ("prefill", "decode") else rng.choice(reps)
            h = kvh * rep
            e_min = 2 * kvh * hw
            e = rng.choice([x for x in (1, 2, 4, 8, 16, 32) if e_min <= x <= cfg.KV_ENTRY_MAX])
            nk = rng.choice([1, nc - 1, nc, nc + 1, 2 * nc, kt - 1, kt,
                             rng.randint(1, kt), rng.randint(1, kt)])
            nk = max(1, min(nk, kt))
            qs = h * hw + rng.choice([0, 0, 0, 1, 3])
            mmax_q = max(1, cfg.MMAX // rep)
            mq_len = rng.choice([1, 2, rng.randint(1, mmax_q), mmax_q])
            causal = rng.random() < 0.5
            j0 = 0 if rng.random() < 0.6 else rng.randint(0, 8)
            if kind == "decode":
                mq_len, causal, j0 = 1, False, 0
            elif kind == "prefill":
                causal, j0 = True, 0
                mq_len = rng.randint(max(1, mmax_q // 2), mmax_q)
                if rng.random() < 0.6:
                    nk = min(kt, mq_len)
            elif kind == "chunk":
                causal, j0 = True, rng.randint(1, 12)
            elif kind == "mq0":                     # dyn with CNT <= j0: nothing runs
                j0 = rng.randint(1, 12)
            ng = 0 if rng.random() < 0.6 else rng.randint(1, kvh)
            g0 = 0 if ng == 0 else rng.randint(0, kvh - ng)
            dyn = rng.random() < 0.35 or kind == "mq0"
            cnt = rng.choice([j0, j0 + 1, j0 + mq_len, j0 + mq_len + 3,
                              rng.randint(0, j0 + mq_len)]) if dyn else 0
            if kind == "mq0":
                cnt = rng.randint(1, j0)
            cnt = max(1, min(cnt, cfg.DATA_W))      # set by a forced ROUTE of len CNT
            mask_bits: list[int] = []
            if causal:
                if j0 + mq_len > cfg.DATA_W:
                    continue
                need = j0 + mq_len
                if kind == "prefill" or (kind == "random" and rng.random() < 0.5):
                    mask_bits = list(range(need + rng.randint(0, 4)))   # positions 0..
                else:
                    k = min(cfg.DATA_W, need + rng.randint(0, 8))
                    pool = min(cfg.DATA_W, max(k, 2 * kt))
                    mask_bits = sorted(rng.sample(range(pool), k))
            sh = Shape(e, h, kvh, hw, qs, nk, mq_len, j0, g0, ng, causal, dyn, cnt, mask_bits)
            sh.os_ = h * hw + rng.choice([0, 0, 1, 2])
            rows = sh.rows()
            if rows > cfg.SMAX_ROWS or rep * mq_len > cfg.MMAX:
                continue
            if self.span_words(sh) > span:
                continue
            return sh
        raise AssertionError("no attention shape fits")

    def regions(self, sh: Shape) -> dict[str, tuple[int, int]]:
        """Buffer regions (base, words) of a block, packed from 0."""
        nt = sh.nt(self.lanes)
        rows = sh.rows()
        chunk = min(sh.nk, max(1, 256 // sh.e), self.cfg.DATA_W)
        sizes = {
            "q": (sh.j0 + sh.mq_len - 1) * sh.qs + sh.h * sh.hw,
            "ent": (chunk - 1) * sh.e + sh.e,
            "mask": 1,
            "route": 1,
            "p1": nt * rows,
            "p2": nt * rows,
            "o": (sh.j0 + sh.mq_len - 1) * sh.os_ + sh.h * sh.hw,
        }
        out, pos = {}, 0
        for k, v in sizes.items():
            out[k] = (pos, v)
            pos += v
        out["span"] = (0, pos)
        out["chunk"] = (chunk, 0)
        return out

    def span_words(self, sh: Shape) -> int:
        return self.regions(sh)["span"][1]

    # -- memory --------------------------------------------------------------------------------
    def _ddr(self, nbytes: int) -> int:
        """Next free DDR address (bump allocator over the window)."""
        a = self.ddr_next
        self.ddr_next += (nbytes + 4095) // 4096 * 4096
        assert self.ddr_next <= self.ddr_hi, "DDR window full"
        return a

    # -- blocks --------------------------------------------------------------------------------
    def block(self, sh: Shape, prog: list[Insn], init: list, both_paths: bool = True,
              fault: str | None = None, errors: list | None = None):
        cfg, bb, lanes = self.cfg, self.bb, self.lanes
        reg = self.regions(sh)
        span = reg["span"][1]
        nt = sh.nt(lanes)
        chunk = reg["chunk"][0]
        # the span's initial contents: random words, clean operands in Q / entries / P / O
        words = fp16_data(self.nprng, span * lanes, special=0.01).reshape(span, lanes)
        mask = 0
        for b in sh.mask_bits:
            mask |= 1 << b
        if fault == "npe_mask_qk":
            mask = 0
            for b in sh.mask_bits[:sh.j0 + sh.mq - 1]:
                mask |= 1 << b
        words[reg["mask"][0]] = np.frombuffer(mask.to_bytes(bb, "little"), dtype="<u2")
        src = self._ddr(span * bb)
        init.append((0, src, words.tobytes()))
        sbase = self._ddr(nt * sh.rows() * bb)
        out = self._ddr(span * bb)
        prog.append(Insn.kvcfg(sh.e, KVOFF, 1))
        prog.append(Insn.attcfg(sh.nk, sh.h, sh.kvh, sh.hw, sh.qs, sbase, causal=sh.causal))
        prog.append(Insn.load(0, src, 0, span))
        ent = reg["ent"][0]
        for c0 in range(0, sh.nk, chunk):
            n = min(chunk, sh.nk - c0)
            if c0:
                data = fp16_data(self.nprng, n * sh.e * lanes, special=0.005).tobytes()
                a = self._ddr(len(data))
                init.append((0, a, data))
                prog.append(Insn.load(0, a, ent, n * sh.e))
            prog.append(Insn.kvst(n, ent, 0, pos0=c0, put=True, all_rows=True, nohist=True))
        if sh.dyn:                    # CNT = cnt (Mq = 0 when CNT <= j0)
            r = reg["route"][0]
            prog.append(Insn.route(sh.cnt, r, r + 1, r + 1, 0, force=True))
        mq = sh.mq
        f1 = self.rng.randint(0, cfg.SMAX_ROWS - sh.rows())
        f2 = self.rng.randint(0, cfg.SMAX_ROWS - sh.rows())
        kw = dict(mask=reg["mask"][0], j0=sh.j0, g0=sh.g0, ng=sh.ng, dyn=sh.dyn)
        qk_at = len(prog)
        prog.append(Insn.qk(sh.mq_len, reg["q"][0], fbase=f1, **kw))
        pe = nt * sh.groups * sh.hw * sh.rep * mq
        self.pe_cycles += pe
        if fault == "score_wr_axi" and mq:
            i = self.rng.randrange(nt * sh.rows(mq))
            errors.append((0, "w", sbase + i * bb, sbase + (i + 1) * bb))
            return
        if fault == "npe_mask_qk":
            return
        if fault in ("score_rd_axi", "score_rd_axi_smfeat") and mq:
            i = self.rng.randrange(nt * sh.rows(mq))
            errors.append((0, "r", sbase + i * bb, sbase + (i + 1) * bb))
        if fault == "score_rd_axi_smfeat":
            prog.append(Insn.smfeat(sh.mq_len, fbase=f2, **kw))
            return
        if fault == "npe_mask_smnorm":
            # a second mask word lacking the last query's position (over the ROUTE word)
            bad = 0
            for b in sh.mask_bits[:sh.j0 + mq - 1]:
                bad |= 1 << b
            a = self._ddr(bb)
            init.append((0, a, bad.to_bytes(bb, "little")))
            prog.append(Insn.load(0, a, reg["route"][0], 1))
            kw["mask"] = reg["route"][0]
        prog.append(Insn.smnorm(sh.mq_len, reg["p1"][0], fbase=f1, **kw))
        if fault:
            return
        if both_paths:
            prog.append(Insn.qk(sh.mq_len, reg["q"][0], fbase=f2, nofeat=True, **kw))
            self.pe_cycles += pe
            prog.append(Insn.smfeat(sh.mq_len, fbase=f2, **kw))
            prog.append(Insn.smnorm(sh.mq_len, reg["p2"][0], fbase=f2, **kw))
        prog.append(Insn.pv(sh.mq_len, reg["p1"][0], reg["o"][0], sh.os_, j0=sh.j0, g0=sh.g0,
                            ng=sh.ng, dyn=sh.dyn))
        self.pe_cycles += pe
        prog.append(Insn.store(0, out, 0, span))
        self.outputs.append((out, span, reg, sh, both_paths and mq > 0, qk_at))

    def program(self, blocks: int, kinds=("random",), name: str = "att",
                both_paths: float = 0.5) -> Stimulus:
        prog: list[Insn] = []
        init: list = []
        self.ddr_next = self.ddr_lo
        self.pe_cycles = 0
        self.outputs = []
        for b in range(blocks):
            kind = kinds[b % len(kinds)]
            sh = self.shape(kind)
            self.block(sh, prog, init, both_paths=self.rng.random() < both_paths)
        prog.append(Insn.end())
        st = Stimulus(prog, self.layout.prog_base, len(prog), init, expect_err=Err.NONE,
                      name=name)
        st.pe_cycles = self.pe_cycles
        st.outputs = self.outputs
        return st

    def error_program(self, kind: str) -> Stimulus:
        """A clean block, then a block that faults (kind in ERROR_KINDS)."""
        prog: list[Insn] = []
        init: list = []
        errors: list = []
        self.ddr_next = self.ddr_lo
        self.pe_cycles = 0
        self.outputs = []
        self.block(self.shape("random"), prog, init, both_paths=False)
        for _ in range(500):
            sh = self.shape("random")
            if sh.mq and (sh.causal or not kind.startswith("npe_mask")):
                break
        pe_before = self.pe_cycles
        self.block(sh, prog, init, both_paths=False, fault=kind, errors=errors)
        if kind == "npe_mask_qk":
            self.pe_cycles = pe_before
        prog.append(Insn.end())
        want = {"npe_mask_qk": Err.NPE_MASK, "npe_mask_smnorm": Err.NPE_MASK,
                "score_wr_axi": Err.DMA_WR_AXI, "score_rd_axi": Err.DMA_RD_AXI,
                "score_rd_axi_smfeat": Err.DMA_RD_AXI}[kind]
        st = Stimulus(prog, self.layout.prog_base, len(prog), init, errors=errors,
                      expect_err=want, name=f"att-{kind}")
        st.pe_cycles = self.pe_cycles
        st.outputs = []
        return st
