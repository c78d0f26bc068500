"""Stimulus for the core testbench: memory layout, random legal programs, error programs and
the fixed demo program of ``make sim``.

Everything here produces *inputs* (programs, memory images, error windows); expected results
always come from running ``model.core.CoreModel`` on the same inputs.

MATMULs read their operand stream striped over every HBM port (docs/isa.md "MATMUL"): the
streams live in the clean halves of the HBM windows, at the same offset of every port's
window. A random program's MATMULs run with or without PF; a PF MATMUL's WFETCH stands at a
random earlier place (never before the last MATMUL without PF, nor before the MATMUL that
frees its queue entry), masked by the ROUTE that sets a dyn MATMUL's CNT or not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from model.isa import CoreConfig, Err, Insn, Op
from model.layout import schedule_wfetch

HBM_PC_BYTES = 256 << 20          # one HBM pseudo-channel (U280: 256 MB)
CONST_AREA = 0x000C_0000          # DDR bytes for ProgramGenerator constants (router logits)


@dataclass
class MmBlock:
    """One MATMUL and what it needs: ``insns`` (X LOAD, [CNT-setting ROUTE], MMCFG, MATMUL),
    ``mm`` = the MATMUL's index in it, ``wfetch`` = its WFETCH (None: none needed: no PF, or a
    PF MATMUL whose CNT is 0), ``after`` = the first index of ``insns`` the WFETCH may stand
    before (past the ROUTE writing its mask) or None: anywhere earlier."""
    insns: list
    mm: int
    wfetch: Insn | None
    after: int | None
    base: int = 0
    chunks: int = 0
    cnt: int = 0                  # rows the MATMUL writes (CNT for dyn)


def fault_window(cfg: CoreConfig, rng, port, a: int, kind: str) -> tuple[int, int]:
    """The error window of the core beat at ``a`` on ``port`` (0 = DDR, "insn", or an HBM port):
    the whole beat; for an RLAST fault on an HBM port behind the 2:1 chunk FIFOs (HBM_ASYNC),
    where a bus beat is half a word, the whole beat or either half at random (the low half's
    RLAST makes the bridge answer SLVERR, the high half's reaches the read engine)."""
    bb = cfg.beat_bytes
    if kind == "rlast" and port not in (0, "insn") and cfg.HBM_ASYNC:
        h = bb // 2
        return rng.choice([(a, a + bb), (a, a + h), (a + h, a + bb)])
    return a, a + bb


@dataclass
class Layout:
    """Where the testbench puts things. HBM is one address space shared by all HBM ports
    (as behind the U280 switch); HBM port p's own window sits in pseudo-channel p."""
    cfg: CoreConfig
    prog_base: int = 0x0000_1000
    ddr_data: int = 0x0010_0000
    window: int = 64 << 10        # bytes per data window

    def clean(self, port: int) -> tuple[int, int]:
        """The second half of a port's window holds only normal FP16 values (matrices)."""
        _, lo, hi = self.windows()[port]
        return lo + (hi - lo) // 2, hi

    def windows(self) -> list[tuple[int, int, int]]:
        """(port, lo, hi) data windows; port 0 = DDR, p >= 1 = HBM window of port p."""
        w = [(0, self.ddr_data, self.ddr_data + self.window)]
        for p in range(self.cfg.NUM_HBM):
            lo = p * HBM_PC_BYTES + 0x0004_0000
            w.append((p + 1, lo, lo + self.window))
        return w

    def mem_size(self, port: int) -> int:
        return 16 << 20 if port == 0 else self.cfg.NUM_HBM * HBM_PC_BYTES


@dataclass
class Stimulus:
    prog: list[Insn]
    prog_base: int
    prog_len: int
    init: list[tuple[int, int, bytes]] = field(default_factory=list)   # (port, addr, data)
    errors: list[tuple] = field(default_factory=list)                  # CoreModel error windows
    expect_err: Err | None = None                                      # what the test aims at
    name: str = ""


def clean_fp16_words(rng: np.random.Generator, nbytes: int) -> bytes:
    """Normal FP16 values of moderate magnitude (matrix operands, scales)."""
    v = rng.standard_normal(nbytes // 2) * np.exp2(rng.integers(-3, 3, nbytes // 2))
    v = np.where(np.abs(v) < 2.0 ** -10, 0.5, v)
    return v.astype(np.float16).astype("<f2").tobytes()


def random_fp16_words(rng: np.random.Generator, nbytes: int) -> bytes:
    """Half random bit patterns (NaN, Inf, subnormals included), half normal-ish values."""
    n = nbytes // 2
    bits = rng.integers(0, 1 << 16, n, dtype=np.uint16)
    vals = (rng.standard_normal(n) * np.exp2(rng.integers(-12, 12, n))).astype(np.float16)
    pick = rng.random(n) < 0.5
    out = np.where(pick, bits, vals.view(np.uint16))
    return out.astype("<u2").tobytes()


class ProgramGenerator:
    def __init__(self, cfg: CoreConfig, seed: int, layout: Layout | None = None,
                 max_len: int = 48, gb_span: int | None = None):
        self.cfg = cfg
        self.layout = layout or Layout(cfg)
        self.rng = random.Random(seed)
        self.nprng = np.random.default_rng(seed)
        self.max_len = max_len
        self.gb_span = min(cfg.GBUF_DEPTH, gb_span or 256)
        self.valid = np.zeros(cfg.GBUF_DEPTH, dtype=bool)
        self.consts: list[tuple[int, int, bytes]] = []      # DDR images of constants
        self.const_addr = CONST_AREA

    # -- memory --------------------------------------------------------------------------------
    def init_images(self) -> list[tuple[int, int, bytes]]:
        seen, out = set(), []
        for port, lo, hi in self.layout.windows():
            key = (0 if port == 0 else 1, lo)
            if key not in seen:
                seen.add(key)
                mid = lo + (hi - lo) // 2
                out.append((port, lo, random_fp16_words(self.nprng, mid - lo)))
                out.append((port, mid, clean_fp16_words(self.nprng, hi - mid)))
        return out + self.consts

    def const(self, data: bytes) -> int:
        """Put data into the DDR constant area (an image of every stimulus made after it)."""
        bb = self.cfg.beat_bytes
        a = self.const_addr
        self.consts.append((0, a, bytes(data)))
        self.const_addr += -(-len(data) // bb) * bb
        assert self.const_addr <= self.layout.ddr_data, "constant area full"
        return a

    def stream_base(self, chunks: int) -> int:
        """A random aligned offset for a stream of ``chunks`` chunks: inside the clean half of
        every HBM port's window (all windows sit at the same offset of their PC)."""
        bb = self.cfg.beat_bytes
        lo, hi = self.layout.clean(1)
        pp = chunks * self.cfg.port_chunk_bytes
        assert pp <= hi - lo, "stream larger than a clean window half"
        return lo + bb * self.rng.randrange((hi - lo - pp) // bb + 1)

    def _mem_range(self, words: int, port: int | None = None,
                   write: bool = False) -> tuple[int, int]:
        """A random (port, aligned address) with room for ``words`` beats; sometimes placed so
        that the transfer crosses a 4 KB boundary. Writes stay out of the clean halves."""
        bb = self.cfg.beat_bytes
        if port is None:
            port = self.rng.randint(0, self.cfg.max_port)
        wins = self.layout.windows()
        # any HBM port may reach any HBM window (shared address space)
        _, lo, hi = wins[0] if port == 0 else self.rng.choice(wins[1:])
        if write:
            hi = lo + (hi - lo) // 2
        nbytes = words * bb
        if self.rng.random() < 0.3:
            k = self.rng.randint(1, (hi - lo) // 4096 - 1)
            addr = lo + 4096 * k - bb * self.rng.randint(1, max(1, min(words, 8)))
            addr = max(lo, min(addr, hi - nbytes))
        else:
            addr = lo + bb * self.rng.randint(0, (hi - lo - nbytes) // bb)
        return port, addr

    # -- instructions --------------------------------------------------------------------------
    def _len(self) -> int:
        r = self.rng.random()
        if r < 0.15:
            return 1
        if r < 0.25:
            return self.max_len
        return self.rng.randint(1, self.max_len)

    def _gb(self, words: int) -> int:
        if self.rng.random() < 0.05:
            return self.cfg.GBUF_DEPTH - words          # top of the buffer
        return self.rng.randint(0, self.gb_span - words)

    def _valid_range(self, words: int, tries: int = 40) -> int | None:
        for _ in range(tries):
            base = self._gb(words)
            if self.valid[base:base + words].all():
                return base
        return None

    def load(self, words: int | None = None, port: int | None = None) -> Insn:
        words = words or self._len()
        port, addr = self._mem_range(words, port)
        gb = self._gb(words)
        self.valid[gb:gb + words] = True
        return Insn.load(port, addr, gb, words)

    def store(self) -> Insn:
        words = self._len()
        gb = self._valid_range(words)
        if gb is None:
            return self.load(words)
        port, addr = self._mem_range(words, write=True)
        return Insn.store(port, addr, gb, words)

    def vadd(self) -> Insn:
        words = self._len()
        s0, s1 = self._valid_range(words), self._valid_range(words)
        if s0 is None or s1 is None:
            return self.load(words)
        def ok(dst):     # equal to or disjoint from each source (else ErrOverlap)
            return all(dst == s or dst + words <= s or s + words <= dst for s in (s0, s1))

        mode = self.rng.random()
        first = [s0] if mode < 0.25 else [s1] if mode < 0.4 else []
        for dst in first + [self._gb(words) for _ in range(40)]:
            if ok(dst):
                break
        else:
            return self.load(words)
        self.valid[dst:dst + words] = True
        return Insn.vadd(dst, s0, s1, words)

    def _clean_addr(self, port: int, nbytes: int) -> int:
        """An aligned address in a clean window reachable from ``port`` (HBM ports reach every
        HBM window)."""
        bb = self.cfg.beat_bytes
        if port != 0:
            port = self.rng.randint(1, self.cfg.max_port)
        lo, hi = self.layout.clean(port)
        return lo + bb * self.rng.randrange((hi - lo - nbytes) // bb + 1)

    def mm_block(self, pf: bool | None = None, dyn: bool | None = None,
                 int4: bool | None = None) -> MmBlock | None:
        """LOAD of X from a clean window, [dyn: a ROUTE that sets CNT], MMCFG, MATMUL with FP16
        or INT4 weights from a striped stream in the clean windows; with PF, its WFETCH
        (masked by the ROUTE's mask word now and then). dyn: CNT = 0 (a ROUTE whose logits all
        skip; the PF MATMUL then goes without a WFETCH or with a masked one that queues
        nothing) or 1..M (a forced ROUTE). None if the buffer has no room."""
        cfg, kd, rng = self.cfg, self.cfg.kdim, self.rng
        int4 = rng.random() < 0.5 if int4 is None else int4
        pf = rng.random() < 0.6 if pf is None else pf
        dyn = rng.random() < 0.3 if dyn is None else dyn
        if int4:
            group = kd * rng.choice([1, 2])
            k = group * rng.choice([1, 2])
        else:
            group, k = 0, kd * rng.randint(1, 4)
        n = cfg.ncol * rng.randint(1, 3)
        m = rng.randint(1, min(cfg.MMAX, 6))
        src_n, dst_n = m * (k // kd), m * (n // cfg.lanes)
        src = rng.randint(0, self.gb_span - src_n)
        for _ in range(40):
            dst = rng.randint(0, self.gb_span - dst_n)
            if dst + dst_n <= src or src + src_n <= dst:
                break
        else:
            return None
        busy = [(src, src_n), (dst, dst_n)]

        def free_word(size: int = 1) -> int | None:
            for _ in range(40):
                a = rng.randint(0, self.gb_span - size)
                if all(a + size <= b or b + bn <= a for b, bn in busy):
                    busy.append((a, size))
                    return a
            return None

        xport = rng.randint(0, cfg.max_port)
        xaddr = self._clean_addr(xport, src_n * cfg.beat_bytes)
        chunks = cfg.mm_chunks(k, n, int4, group)
        base = self.stream_base(chunks)
        insns = [Insn.load(xport, xaddr, src, src_n)]
        c, after, mask, rows = m, None, None, 0
        if dyn:
            c = 0 if rng.random() < 0.3 else rng.randint(1, m)
            mk = free_word()
            if mk is None:
                return None
            if c:                                      # forced: logits and bias not read
                rows = c
                lg, bias = free_word(c), free_word()
                if lg is None or bias is None:
                    return None
                insns.append(Insn.route(c, mk, lg, bias, 0, force=True))
            else:                                      # every row skips: c > a at pair 0
                rows = m
                lg, bias = free_word(m), free_word()
                if lg is None or bias is None:
                    return None
                logit = np.zeros((m, cfg.lanes), dtype=np.float16)
                logit[:, 0] = -rng.uniform(0.5, 4.0)
                logit[:, 1] = rng.uniform(0.5, 4.0)
                insns += [Insn.load(0, self.const(logit.astype("<f2").tobytes()), lg, m),
                          Insn.load(0, self.const(bytes(cfg.beat_bytes)), bias, 1),
                          Insn.route(m, mk, lg, bias, 0)]
                self.valid[lg:lg + m] = True
                self.valid[bias] = True
            self.valid[mk] = True
            if rng.random() < (0.5 if c else 0.6):     # masked by the ROUTE's decision
                mask, after = mk, len(insns)
        insns.append(Insn.mmcfg(k, n, group))
        wf = None
        if pf and (c or mask is not None):
            wf = Insn.wfetch(base, chunks, mask, rows if mask is not None else 0)
        insns.append(Insn.matmul(m, src, dst, base, int4, dyn=dyn, pf=pf))
        self.valid[src:src + src_n] = True
        self.valid[dst:dst + c * (n // cfg.lanes)] = True
        return MmBlock(insns, len(insns) - 1, wf, after, base, chunks, c)

    def matmul(self, **kw) -> list[Insn]:
        """One MATMUL block, its WFETCH (if any) right before the MATMUL; [LOAD] when the
        buffer had no room."""
        b = self.mm_block(**kw)
        if b is None:
            return [self.load()]
        if b.wfetch is None:
            return b.insns
        return b.insns[:-1] + [b.wfetch, b.insns[-1]]

    def random_body(self, n: int, matmuls: bool = True) -> list[Insn]:
        prog = [self.load() for _ in range(min(4, n))]
        reqs: list[tuple[int, Insn]] = []
        mms: list[int] = []
        floor = 0                      # no WFETCH before the last MATMUL without PF
        while len(prog) < n:
            r = self.rng.random()
            if r < 0.12 and matmuls:
                b = self.mm_block()
                if b is None:
                    prog.append(self.load())
                    continue
                at = len(prog)
                mmi = b.insns[b.mm]
                if b.wfetch is not None:
                    lo = floor if b.after is None else at + b.after
                    anchor = self.rng.randint(max(lo, floor), at + b.mm)
                    reqs.append((anchor, b.wfetch))
                    mms.append(at + b.mm)
                prog += b.insns
                if not mmi.flags & 4 and not (mmi.flags & 8 and b.cnt == 0):
                    floor = len(prog)
            elif r < 0.35:
                prog.append(self.load())
            elif r < 0.65:
                prog.append(self.store())
            elif r < 0.95:
                prog.append(self.vadd())
            else:
                prog.append(Insn.nop())
        # may exceed n by a few (a MATMUL comes with its LOADs, ROUTE, MMCFG and WFETCH)
        return schedule_wfetch(prog, reqs, self.cfg.WFETCH_DEPTH, mms)

    def matmul_program(self, count: int, name: str = "matmul") -> Stimulus:
        """``count`` MATMULs, each result stored to memory (so the scoreboard sees every
        output word)."""
        prog: list[Insn] = []
        for _ in range(count):
            b = self.mm_block(dyn=False)
            if b is None:
                continue
            mm = b.insns[-1]
            prog += b.insns[:-1] + ([b.wfetch] if b.wfetch else []) + [mm]
            words = mm.len * (b.insns[-2].f0 // self.cfg.lanes)
            port, addr = self._mem_range(words, write=True)
            prog.append(Insn.store(port, addr, mm.f0 >> 16, words))
        prog.append(Insn.end())
        return Stimulus(prog, self.layout.prog_base, len(prog), self.init_images(),
                        expect_err=Err.NONE, name=name)

    def random_program(self, n: int, name: str = "random") -> Stimulus:
        prog = self.random_body(n) + [Insn.end()]
        return Stimulus(prog, self.layout.prog_base, len(prog), self.init_images(),
                        expect_err=Err.NONE, name=name)

    # -- programs that must fail ---------------------------------------------------------------
    # *_rlast: the memory model inverts the RLAST of the faulting read beats (data and RRESP
    # intact); the read engines report it like an error response (docs/isa.md)
    # mm_axi / mm_rlast: an error beat on one port's share of a chunk in the middle of a
    # striped operand stream; wfetch_*: the prefetch queue rules (docs/isa.md "WFETCH"):
    # mismatch = a PF MATMUL whose stream is not the queue head (another base, another chunk
    # count, an empty queue, two streams in the wrong order), full = WFETCH_DEPTH + 1 queued,
    # end = END with a queued stream, nopf = a MATMUL without PF behind a queued stream
    ERROR_KINDS = ("illegal_op", "reserved", "bad_len", "bad_port", "gbuf_range", "mem_align",
                   "mem_range", "overlap", "prog_overrun", "bad_prog", "fetch_axi",
                   "dma_rd_axi", "dma_wr_axi", "mm_shape", "mm_axi", "fetch_rlast",
                   "dma_rd_rlast", "mm_rlast", "wfetch_mismatch", "wfetch_full", "wfetch_end",
                   "wfetch_nopf")

    def error_program(self, kind: str, n: int = 12) -> Stimulus:
        """A random program with one fault of ``kind`` at a random position."""
        cfg, bb = self.cfg, self.cfg.beat_bytes
        k = self.rng.randint(1, n - 1)
        head = self.random_body(k)                 # runs before the fault
        stim = Stimulus([], self.layout.prog_base, 0, [], name=kind)
        expect = {"illegal_op": Err.ILLEGAL_OP, "reserved": Err.RESERVED,
                  "bad_len": Err.BAD_LEN, "bad_port": Err.BAD_PORT,
                  "gbuf_range": Err.GBUF_RANGE, "mem_align": Err.MEM_ALIGN,
                  "mem_range": Err.MEM_RANGE, "overlap": Err.OVERLAP,
                  "prog_overrun": Err.PROG_OVERRUN, "bad_prog": Err.BAD_PROG,
                  "fetch_axi": Err.FETCH_AXI, "dma_rd_axi": Err.DMA_RD_AXI,
                  "dma_wr_axi": Err.DMA_WR_AXI, "mm_shape": Err.MM_SHAPE,
                  "mm_axi": Err.DMA_RD_AXI, "fetch_rlast": Err.FETCH_AXI,
                  "dma_rd_rlast": Err.DMA_RD_AXI, "mm_rlast": Err.DMA_RD_AXI,
                  "wfetch_mismatch": Err.WFETCH, "wfetch_full": Err.WFETCH,
                  "wfetch_end": Err.WFETCH, "wfetch_nopf": Err.WFETCH}[kind]
        rkind = "rlast" if kind.endswith("_rlast") else "r"   # the read fault's kind
        stim.expect_err = expect
        saved = self.valid.copy()
        good = self.load()                         # template for malformed instructions
        self.valid = saved
        if kind == "illegal_op":
            legal = {int(o) for o in Op}
            bad = Insn(self.rng.choice([o for o in range(256) if o not in legal]),
                       len=self.rng.randint(0, 9))
        elif kind == "reserved":
            bad = self.rng.choice([
                Insn(good.op, good.port, self.rng.randint(2, 15), good.len, good.f0, good.f1,
                     good.f2),
                Insn(Op.END, len=1), Insn(Op.NOP, f2=1 << 31),
                Insn(Op.VADD, port=1, len=1, f0=0, f1=0, f2=0),
                Insn(Op.MMCFG, len=cfg.kdim, f0=cfg.ncol, f1=bb),           # no scale address
                Insn(Op.MATMUL, port=self.rng.randint(1, 15), len=1,
                     f0=cfg.GBUF_DEPTH // 2 << 16),                         # port must be 0
                Insn(Op.WFETCH, len=1, f0=self.rng.randint(1, 1 << 20)),   # f0 without MASKED
                Insn(Op.WFETCH, port=1, len=1)])
        elif kind == "bad_len":
            bad = Insn(good.op, good.port, 0, 0, good.f0, good.f1, good.f2)
        elif kind == "bad_port":
            bad = Insn(good.op, self.rng.randint(cfg.NUM_HBM + 1, 15), 0, good.len, good.f0,
                       good.f1, good.f2)
        elif kind == "gbuf_range":
            words = self._len()
            bad = Insn.load(0, self.layout.ddr_data,
                            cfg.GBUF_DEPTH - words + self.rng.randint(1, words), words)
        elif kind == "mem_align":
            bad = Insn.store(good.port, good.mem_addr + self.rng.randint(1, bb - 1), 0, 1)
        elif kind == "mem_range":
            words = self._len()
            end = (1 << cfg.ADDR_W) + bb * self.rng.randint(1, words)
            addr = self.rng.choice([end - words * bb, 1 << 40])
            bad = Insn.load(1, addr, 0, words)
        elif kind == "overlap":
            words = self.rng.randint(2, 16)
            d = self.rng.randint(1, words - 1) * self.rng.choice([1, -1])
            bad = Insn.vadd(32 + d, 32, 100, words)
        if kind in ("illegal_op", "reserved", "bad_len", "bad_port", "gbuf_range", "mem_align",
                    "mem_range", "overlap"):
            stim.prog = head + [bad] + self.random_body(n - k) + [Insn.end()]
        elif kind in ("mm_shape", "mm_axi", "mm_rlast"):
            blk = None
            while blk is None:
                blk = self.mm_block(dyn=False)
            ld, cfgi, mmi = blk.insns
            pre = [blk.wfetch] if blk.wfetch is not None else []
            kd = self.cfg.kdim
            if kind == "mm_shape":
                choices = [Insn.mmcfg(cfgi.len + self.rng.choice([1, -1]), cfgi.f0, cfgi.f2),
                           Insn.mmcfg(cfgi.len, cfgi.f0 + 1, cfgi.f2)]
                if cfg.ncol > cfg.lanes:          # N a multiple of LANES, not of NCOL
                    choices.append(Insn.mmcfg(cfgi.len, cfgi.f0 - cfg.lanes, cfgi.f2))
                if mmi.flags & 1:
                    choices += [Insn.mmcfg(cfgi.len, cfgi.f0, 3 * kd),
                                # more INT4 groups than the engine's scale rows
                                Insn.mmcfg(kd * (cfg.MM_SCALE_ROWS + 1), cfgi.f0, kd)]
                cfgi = self.rng.choice(choices)
            else:
                # an error beat on one port's share of a chunk in the middle of the stream
                cw, P = cfg.chunk_words, cfg.NUM_HBM
                c = self.rng.randrange(1, blk.chunks - 1) if blk.chunks > 2 else \
                    self.rng.randrange(blk.chunks)
                i = c * cw + self.rng.randrange(cw)              # a word of chunk c
                p = i % P
                a = p * HBM_PC_BYTES + blk.base + (i // P) * bb
                stim.errors = [(p + 1, rkind, *fault_window(cfg, self.rng, p + 1, a, rkind))]
            stim.prog = head + pre + [ld, cfgi, mmi] + self.random_body(n - k) + [Insn.end()]
        elif kind.startswith("wfetch_"):
            blks = []
            while len(blks) < 2:
                b = self.mm_block(pf=True, dyn=False)
                if b is not None and (not blks or b.base != blks[0].base):
                    blks.append(b)
            (ld, cfgi, mmi), other = blks[0].insns, blks[1]
            wf = Insn.wfetch(blks[0].base, blks[0].chunks)
            if kind == "wfetch_mismatch":
                how = self.rng.choice(["base", "chunks", "empty", "order"])
                wrong = Insn.wfetch(other.base, other.chunks)
                pre = {"base": [wrong],
                       "chunks": [Insn.wfetch(blks[0].base, blks[0].chunks
                                              + self.rng.choice([1, -1] if blks[0].chunks > 1
                                                                else [1]))],
                       "empty": [], "order": [wrong, wf]}[how]
                tail = [ld, cfgi, mmi]
            elif kind == "wfetch_full":
                pre = [self.rng.choice([wf, Insn.wfetch(other.base, other.chunks)])
                       for _ in range(cfg.WFETCH_DEPTH + 1)]
                tail = [ld, cfgi, mmi]
            elif kind == "wfetch_end":
                pre = [wf] * self.rng.randint(1, cfg.WFETCH_DEPTH)
                tail = []
            else:                                  # the other MATMUL without PF
                pre = [wf]
                mo = other.insns[-1]
                tail = other.insns[:-1] + [Insn.matmul(mo.len, mo.f0 & 0xFFFF, mo.f0 >> 16,
                                                       mo.mem_addr, bool(mo.flags & 1))]
            # the WFETCHes at random places among a few more instructions
            body = self.random_body(self.rng.randint(0, 4), matmuls=False) + tail
            spots = sorted(self.rng.randint(0, len(body) - len(tail)) for _ in pre)
            out, j = [], 0
            for idx, insn in enumerate(body):
                while j < len(pre) and spots[j] == idx:
                    out.append(pre[j])
                    j += 1
                out.append(insn)
            out += pre[j:]
            stim.prog = head + out + ([Insn.end()] if kind == "wfetch_end" else
                                      self.random_body(n - k) + [Insn.end()])
        elif kind == "prog_overrun":
            stim.prog = head + self.random_body(n - k)          # no END
        elif kind == "bad_prog":
            stim.prog = head + [Insn.end()]
            how = self.rng.choice(["len0", "high"] + (["misaligned"] if bb > 16 else []))
            if how == "len0":
                stim.prog_len = 0
            elif how == "high":
                stim.prog_base += 1 << cfg.ADDR_W
            else:
                stim.prog_base += 16
        elif kind in ("fetch_axi", "fetch_rlast"):
            stim.prog = head + self.random_body(n - k) + [Insn.end()]
            a = stim.prog_base + k * 16
            stim.errors = [("insn", rkind, a - a % bb, a - a % bb + bb)]
        else:
            # an AXI error on one beat of a LOAD (read) or a STORE (write) placed at k
            if kind in ("dma_rd_axi", "dma_rd_rlast"):
                victim = self.load(port=self.rng.randint(0, cfg.max_port))
            else:
                # a STORE of a buffer run that the head has loaded
                idx = np.flatnonzero(self.valid)
                assert len(idx), "the program head loads nothing"
                gb = int(self.rng.choice(idx))
                words = 1
                while (words < self.max_len and gb + words < self.cfg.GBUF_DEPTH
                       and self.valid[gb + words] and self.rng.random() < 0.95):
                    words += 1
                port, addr = self._mem_range(words, write=True)
                victim = Insn.store(port, addr, gb, words)
            beat = self.rng.randrange(victim.len)
            a = victim.mem_addr + beat * bb
            stim.errors = [(victim.port, "w" if kind == "dma_wr_axi" else rkind, a, a + bb)]
            if kind == "dma_rd_rlast":
                # RLAST early on the first beat and missing on the last (when they differ), or
                # one of the two
                last = victim.mem_addr + (victim.len - 1) * bb
                wins = [fault_window(cfg, self.rng, victim.port, victim.mem_addr, "rlast"),
                        fault_window(cfg, self.rng, victim.port, last, "rlast")]
                pick = self.rng.choice([wins, wins[:1], wins[1:]])
                stim.errors = [(victim.port, "rlast", lo, hi) for lo, hi in pick]
            stim.prog = head + [victim] + self.random_body(n - k) + [Insn.end()]
        if not (kind == "bad_prog" and how == "len0"):
            stim.prog_len = len(stim.prog)
        stim.init = self.init_images()             # with the constants the blocks made
        return stim


def demo_program(cfg: CoreConfig, layout: Layout | None = None) -> Stimulus:
    """The ``make sim`` skeleton job: gather two FP16 vectors from DDR and every HBM port,
    add them on the vector unit and scatter the sums back to DDR and every HBM port."""
    layout = layout or Layout(cfg)
    gen = ProgramGenerator(cfg, seed=0, layout=layout)
    wins = layout.windows()
    words = min(64, cfg.GBUF_DEPTH // 4)
    half = (layout.window // 2) // cfg.beat_bytes
    n = min(words, half)
    prog = []
    for i, (port, lo, _) in enumerate(wins):
        prog += [Insn.load(port, lo, 0, n), Insn.load(port, lo + n * cfg.beat_bytes, n, n),
                 Insn.vadd(2 * n, 0, n, n), Insn.vadd(2 * n, 2 * n, 2 * n, n),
                 Insn.store(wins[(i + 1) % len(wins)][0], wins[(i + 1) % len(wins)][1]
                            + layout.window // 2, 2 * n, n)]
    prog.append(Insn.end())
    return Stimulus(prog, layout.prog_base, len(prog), gen.init_images(), name="demo")


def matmul_bench(cfg: CoreConfig, int4: bool, layout: Layout | None = None,
                 with_matmul: bool = True, m: int | None = None, kt: int = 4,
                 nt: int = 4, name: str | None = None, pf: bool = False) -> Stimulus:
    """One large MATMUL (M = min(MMAX, 32) unless given, K = kt * KDIM, N = nt * NCOL, INT4
    group 2 * KDIM) for the make-sim report and the streaming benchmark (test_mm_bench); its
    operand stream at the start of the clean halves of the HBM windows; ``pf``: prefetched
    (a WFETCH before the X LOAD). The same program without the MATMUL (``with_matmul=False``)
    gives the cycles of the surrounding LOAD and STORE, so the difference is the MATMUL's own
    cycles."""
    layout = layout or Layout(cfg)
    gen = ProgramGenerator(cfg, seed=1, layout=layout)
    kd = cfg.kdim
    m = min(cfg.MMAX, 32) if m is None else m
    k, n = kt * kd, nt * cfg.ncol
    group = (2 * kd if kt % 2 == 0 else kd) if int4 else 0
    src, dst = 0, m * (k // kd)
    lo, _ = layout.clean(0)
    wlo, _ = layout.clean(1)
    chunks = cfg.mm_chunks(k, n, int4, group)
    prog = [Insn.load(0, lo, src, m * (k // kd)), Insn.mmcfg(k, n, group),
            Insn.matmul(m, src, dst, wlo, int4, pf=pf),
            Insn.store(0, layout.ddr_data, dst, m * (n // cfg.lanes)), Insn.end()]
    if pf:
        prog.insert(0, Insn.wfetch(wlo, chunks))
    if not with_matmul:      # run right after the MATMUL version: Y is still in the buffer
        prog = [i for i in prog if i.op in (Op.LOAD, Op.STORE, Op.END)]
    assert chunks * cfg.port_chunk_bytes <= layout.window // 2
    name = name or "mm-bench-" + ("int4" if int4 else "fp16") + ("" if with_matmul else "-base")
    return Stimulus(prog, layout.prog_base, len(prog), gen.init_images(), expect_err=Err.NONE,
                    name=name)
