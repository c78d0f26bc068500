"""Stimulus for the core testbench: memory layout, random legal programs, error programs and
the fixed demo program of ``make sim``.

Everything here produces *inputs* (programs, memory images, error windows); expected results
always come from running ``model.core.CoreModel`` on the same inputs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from model.isa import CoreConfig, Err, Insn, Op

HBM_PC_BYTES = 256 << 20          # one HBM pseudo-channel (U280: 256 MB)


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
        return out

    def _mem_range(self, words: int, port: int | None = None,
                   write: bool = False) -> tuple[int, int]:
        """A random (port, aligned address) with room for ``words`` beats; sometimes placed so
        that the transfer crosses a 4 KB boundary. Writes stay out of the clean halves."""
        bb = self.cfg.beat_bytes
        if port is None:
            port = self.rng.randint(0, self.cfg.NUM_HBM)
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
            port = self.rng.randint(1, self.cfg.NUM_HBM)
        lo, hi = self.layout.clean(port)
        return lo + bb * self.rng.randrange((hi - lo - nbytes) // bb + 1)

    def matmul(self) -> list[Insn]:
        """LOAD of X from a clean window, MMCFG, MATMUL with FP16 or INT4 weights."""
        cfg, kd = self.cfg, self.cfg.kdim
        int4 = self.rng.random() < 0.5
        if int4:
            group = kd * self.rng.choice([1, 2])
            k = group * self.rng.choice([1, 2])
        else:
            group, k = 0, kd * self.rng.randint(1, 4)
        n = kd * self.rng.randint(1, 3)
        m = self.rng.randint(1, min(cfg.MMAX, 6))
        src_n, dst_n = m * (k // kd), m * (n // kd)
        src = self.rng.randint(0, self.gb_span - src_n)
        for _ in range(40):
            dst = self.rng.randint(0, self.gb_span - dst_n)
            if dst + dst_n <= src or src + src_n <= dst:
                break
        else:
            return [self.load()]
        xport = self.rng.randint(0, cfg.NUM_HBM)
        xaddr = self._clean_addr(xport, src_n * cfg.beat_bytes)
        wport = self.rng.randint(0, cfg.NUM_HBM)
        wbytes = (n // kd) * (k // kd) * cfg.weight_tile_bytes(int4)
        waddr = self._clean_addr(wport, wbytes)
        saddr = self._clean_addr(0, (k // group) * n * 2) if int4 else 0
        self.valid[src:src + src_n] = True
        self.valid[dst:dst + dst_n] = True
        return [Insn.load(xport, xaddr, src, src_n), Insn.mmcfg(k, n, saddr, group),
                Insn.matmul(wport, m, src, dst, waddr, int4)]

    def random_body(self, n: int) -> list[Insn]:
        prog = [self.load() for _ in range(min(4, n))]
        while len(prog) < n:
            r = self.rng.random()
            if r < 0.1:
                prog += self.matmul()
            elif r < 0.35:
                prog.append(self.load())
            elif r < 0.65:
                prog.append(self.store())
            elif r < 0.95:
                prog.append(self.vadd())
            else:
                prog.append(Insn.nop())
        return prog      # may exceed n by up to two (a MATMUL comes with its LOAD and MMCFG)

    def matmul_program(self, count: int, name: str = "matmul") -> Stimulus:
        """``count`` MATMULs, each result stored to memory (so the scoreboard sees every
        output word)."""
        prog: list[Insn] = []
        for _ in range(count):
            mm = self.matmul()
            prog += mm
            if mm[-1].op == Op.MATMUL:
                words = mm[-1].len * (mm[1].f0 // self.cfg.kdim)
                port, addr = self._mem_range(words, write=True)
                prog.append(Insn.store(port, addr, mm[-1].f0 >> 16, words))
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
    ERROR_KINDS = ("illegal_op", "reserved", "bad_len", "bad_port", "gbuf_range", "mem_align",
                   "mem_range", "overlap", "prog_overrun", "bad_prog", "fetch_axi",
                   "dma_rd_axi", "dma_wr_axi", "mm_shape", "mm_axi", "fetch_rlast",
                   "dma_rd_rlast", "mm_rlast")

    def error_program(self, kind: str, n: int = 12) -> Stimulus:
        """A random program with one fault of ``kind`` at a random position."""
        cfg, bb = self.cfg, self.cfg.beat_bytes
        k = self.rng.randint(1, n - 1)
        head = self.random_body(k)                 # runs before the fault
        stim = Stimulus([], self.layout.prog_base, 0, self.init_images(), name=kind)
        expect = {"illegal_op": Err.ILLEGAL_OP, "reserved": Err.RESERVED,
                  "bad_len": Err.BAD_LEN, "bad_port": Err.BAD_PORT,
                  "gbuf_range": Err.GBUF_RANGE, "mem_align": Err.MEM_ALIGN,
                  "mem_range": Err.MEM_RANGE, "overlap": Err.OVERLAP,
                  "prog_overrun": Err.PROG_OVERRUN, "bad_prog": Err.BAD_PROG,
                  "fetch_axi": Err.FETCH_AXI, "dma_rd_axi": Err.DMA_RD_AXI,
                  "dma_wr_axi": Err.DMA_WR_AXI, "mm_shape": Err.MM_SHAPE,
                  "mm_axi": Err.DMA_RD_AXI, "fetch_rlast": Err.FETCH_AXI,
                  "dma_rd_rlast": Err.DMA_RD_AXI, "mm_rlast": Err.DMA_RD_AXI}[kind]
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
                Insn(Op.VADD, port=1, len=1, f0=0, f1=0, f2=0)])
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
            mm = self.matmul()
            while len(mm) != 3:
                mm = self.matmul()
            ld, cfgi, mmi = mm
            if kind == "mm_shape":
                cfgi = self.rng.choice([
                    Insn.mmcfg(cfgi.len + self.rng.choice([1, -1]), cfgi.f0, cfgi.f1, cfgi.f2),
                    Insn.mmcfg(cfgi.len, cfgi.f0 + 1, cfgi.f1, cfgi.f2)])
                if mmi.flags & 1 and self.rng.random() < 0.5:
                    cfgi = Insn.mmcfg(cfgi.len, cfgi.f0, cfgi.f1, 3 * self.cfg.kdim)
            else:
                # an error on one beat of one weight tile (or of an INT4 scale word)
                kd, bb = self.cfg.kdim, self.cfg.beat_bytes
                tiles = (cfgi.f0 // kd) * (cfgi.len // kd)
                wbytes = tiles * self.cfg.weight_tile_bytes(bool(mmi.flags & 1))
                if mmi.flags & 1 and self.rng.random() < 0.3:
                    a = cfgi.f1 + bb * self.rng.randrange((cfgi.len // cfgi.f2) * cfgi.f0 * 2 // bb)
                    stim.errors = [(0, rkind, a, a + bb)]
                else:
                    a = mmi.mem_addr + bb * self.rng.randrange(wbytes // bb)
                    stim.errors = [(mmi.port, rkind,
                                    *fault_window(cfg, self.rng, mmi.port, a, rkind))]
            stim.prog = head + [ld, cfgi, mmi] + self.random_body(n - k) + [Insn.end()]
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
                victim = self.load(port=self.rng.randint(0, cfg.NUM_HBM))
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
                 nt: int = 4, name: str | None = None) -> Stimulus:
    """One large MATMUL (M = min(MMAX, 32) unless given, K = kt * KDIM, N = nt * NCOL, INT4
    group 2 * KDIM) for the make-sim report and the streaming benchmark (test_mm_bench). The
    same program without the MATMUL (``with_matmul=False``) gives the cycles of the surrounding
    LOAD and STORE, so the difference is the MATMUL's own cycles."""
    layout = layout or Layout(cfg)
    gen = ProgramGenerator(cfg, seed=1, layout=layout)
    kd, bb = cfg.kdim, cfg.beat_bytes
    m = min(cfg.MMAX, 32) if m is None else m
    k, n = kt * kd, nt * kd
    group = 2 * kd if kt % 2 == 0 else kd
    src, dst = 0, m * (k // kd)
    lo, _ = layout.clean(0)
    wlo, _ = layout.clean(1)
    wbytes = (n // kd) * (k // kd) * cfg.weight_tile_bytes(int4)
    prog = [Insn.load(0, lo, src, m * (k // kd)),
            Insn.mmcfg(k, n, lo + m * (k // kd) * bb, group if int4 else 0),
            Insn.matmul(1, m, src, dst, wlo, int4),
            Insn.store(0, layout.ddr_data, dst, m * (n // kd)), Insn.end()]
    if not with_matmul:      # run right after the MATMUL version: Y is still in the buffer
        prog = [prog[0], prog[3], prog[4]]
    assert wbytes <= layout.window // 2
    name = name or "mm-bench-" + ("int4" if int4 else "fp16") + ("" if with_matmul else "-base")
    return Stimulus(prog, layout.prog_base, len(prog), gen.init_images(), expect_err=Err.NONE,
                    name=name)
