"""Stimulus for the NPE and vector instructions (RMSSQ, LOAD/VADD statistics snoop, RMSNORM,
SWIGLU, ROPE, ARGMAX, MATMUL with the norm flag, ROUTE/VSCAT routing blocks):
self-contained blocks that load operands, run one NPE operation and store every result word,
so the scoreboard (model/core) checks them all. Inputs only; expected values come from the
model."""

from __future__ import annotations

import numpy as np

from model import npe as N
from model.isa import Err, Insn
from .programs import HBM_PC_BYTES, ProgramGenerator, Stimulus, fault_window

NPE_AREA = 0x0008_0000            # DDR bytes for masks and RoPE tables (below the data window)
EPS = [1e-5, 1e-6, 0.0, 1.0, 2.0 ** -20]


def f32bits(v: float) -> int:
    return int(np.float32(v).view(np.uint32))


class NpeGenerator:
    def __init__(self, gen: ProgramGenerator):
        self.g = gen
        self.cfg = gen.cfg
        self.rng = gen.rng
        self.lanes = gen.cfg.DATA_W // 16
        self.area = NPE_AREA
        self.images: list[tuple[int, int, bytes]] = []

    # -- helpers ---------------------------------------------------------------------------------
    def _const(self, data: bytes) -> int:
        """Put data into the DDR NPE area (a memory image), return its address."""
        bb = self.cfg.beat_bytes
        addr = self.area
        self.images.append((0, addr, data))
        self.area += (len(data) + bb - 1) // bb * bb
        return addr

    def _alloc(self, sizes: list[int]) -> list[int] | None:
        """Disjoint random buffer ranges of the given sizes (None if they do not fit)."""
        depth = self.cfg.GBUF_DEPTH
        if sum(sizes) > depth:
            return None
        for _ in range(50):
            order = list(range(len(sizes)))
            self.rng.shuffle(order)
            free = depth - sum(sizes)
            cuts = sorted(self.rng.randint(0, free) for _ in sizes)
            out, pos, prev = [0] * len(sizes), 0, 0
            for c, i in zip(cuts, order):
                pos += c - prev
                prev = c
                out[i] = pos
                pos += sizes[i]
            return out
        return None

    def _load(self, gb: int, words: int, clean: bool, stats: bool = False) -> Insn:
        """LOAD of random (clean = normal values only) data into gb."""
        bb = self.cfg.beat_bytes
        g = self.g
        if clean:
            port = self.rng.randint(0, self.cfg.max_port)
            addr = g._clean_addr(port, words * bb)
            port = port if port == 0 else self.rng.randint(1, self.cfg.max_port)
        else:
            port, addr = g._mem_range(words)
        g.valid[gb:gb + words] = True
        return Insn.load(port, addr, gb, words, stats)

    def _store(self, gb: int, words: int) -> Insn:
        port, addr = self.g._mem_range(words, write=True)
        return Insn.store(port, addr, gb, words)

    def _mask_word(self, bits: int) -> bytes:
        return bits.to_bytes(self.cfg.beat_bytes, "little")

    def _npecfg(self, d: int, hw: int = 0, snoop: int = 0) -> Insn:
        eps = f32bits(self.rng.choice(EPS))
        return Insn.npecfg(d, eps, f32bits(1.0 / (d * self.lanes)), hw, snoop)

    # -- blocks ------------------------------------------------------------------------------------
    def rmsnorm(self, fused: bool | None = None, m: int | None = None, d: int | None = None,
                masked: bool | None = None, clean: bool | None = None) -> list[Insn]:
        cfg, rng = self.cfg, self.rng
        d = d or rng.randint(1, 3)
        m = m or rng.randint(1, min(8, cfg.NPE_ROWS, cfg.DATA_W))
        fused = rng.random() < 0.5 if fused is None else fused
        masked = rng.random() < 0.5 if masked is None else masked
        clean = rng.random() < 0.7 if clean is None else clean
        inplace = rng.random() < 0.4
        stat = rng.randint(0, cfg.NPE_ROWS - m)
        sizes = [m * d, d] + ([1] if masked else []) + ([] if inplace else [m * d])
        addrs = self._alloc(sizes)
        if addrs is None:
            return []
        x, w = addrs[0], addrs[1]
        mk = addrs[2] if masked else None
        y = x if inplace else addrs[-1]
        prog = [self._npecfg(d, snoop=stat if fused else rng.randint(0, cfg.NPE_ROWS - 1))]
        if fused:
            prog.append(self._load(x, m * d, clean, stats=True))
        else:
            prog.append(self._load(x, m * d, clean))
            prog.append(Insn.rmssq(m, x, stat))
        prog.append(self._load(w, d, True))
        if masked:
            bits = rng.getrandbits(cfg.DATA_W) & rng.getrandbits(cfg.DATA_W) \
                if rng.random() < 0.3 else rng.getrandbits(cfg.DATA_W)
            a = self._const(self._mask_word(bits))
            self.g.valid[mk] = True
            prog.append(Insn.load(0, a, mk, 1))
        if y != x:
            prog.append(self._load(y, m * d, False))      # rows the mask skips keep these
        prog.append(Insn.rmsnorm(m, y, x, w, stat, mk))
        prog.append(self._store(y, m * d))
        return prog

    def swiglu(self, n: int | None = None, clean: bool | None = None) -> list[Insn]:
        rng = self.rng
        n = n or rng.randint(1, 24)
        clean = rng.random() < 0.5 if clean is None else clean
        inplace = rng.random() < 0.3
        addrs = self._alloc([2 * n] + ([] if inplace else [n]))
        if addrs is None:
            return []
        src = addrs[0]
        dst = src if inplace else addrs[1]
        return [self._load(src, 2 * n, clean), Insn.swiglu(n, dst, src), self._store(dst, n)]

    def rope(self, m: int | None = None, masked: bool | None = None,
             clean: bool | None = None) -> list[Insn]:
        cfg, rng, lanes = self.cfg, self.rng, self.lanes
        hw = rng.choice([1, 1, 2]) if lanes >= 4 else 2
        d = hw * rng.randint(1, 2)
        m = m or rng.randint(1, min(8, cfg.DATA_W))
        masked = rng.random() < 0.5 if masked is None else masked
        if masked and cfg.DATA_W * hw + 2 * m * d + 1 > cfg.GBUF_DEPTH:
            masked = False
        clean = rng.random() < 0.8 if clean is None else clean
        inplace = rng.random() < 0.4
        if masked:
            while True:
                bits = rng.getrandbits(min(cfg.DATA_W, 4 * m + 8))
                if bin(bits).count("1") >= m:
                    break
            npos = max(i for i in range(cfg.DATA_W) if bits >> i & 1) + 1
            rot_words = cfg.DATA_W * hw
        else:
            bits, npos, rot_words = 0, m, m * hw
        sizes = [m * d, rot_words] + ([1] if masked else []) + ([] if inplace else [m * d])
        addrs = self._alloc(sizes)
        if addrs is None:
            return []
        x, rot = addrs[0], addrs[1]
        mk = addrs[2] if masked else None
        y = x if inplace else addrs[-1]
        p0 = rng.randint(0, 4000)
        table = N.rot_table(np.arange(p0, p0 + npos), hw * lanes)
        a = self._const(table.astype("<u2").tobytes())
        self.g.valid[rot:rot + npos * hw] = True
        prog = [self._npecfg(d, hw), self._load(x, m * d, clean),
                Insn.load(0, a, rot, npos * hw)]
        if masked:
            ma = self._const(self._mask_word(bits))
            self.g.valid[mk] = True
            prog.append(Insn.load(0, ma, mk, 1))
        prog += [Insn.rope(m, y, x, rot, mk), self._store(y, m * d)]
        return prog

    def _set_cnt(self, c: int, m: int, area: int) -> list[Insn]:
        """Instructions leaving CNT = c (0 <= c), using the max(c, m) + 2 buffer words at area:
        a forced ROUTE of c rows, or for c = 0 a ROUTE over m logit rows whose pair 0 always
        skips (c > a)."""
        rng, g = self.rng, self.g
        lg, bias, dst = area, area + max(c, m), area + max(c, m) + 1
        g.valid[dst] = True
        if c:
            return [Insn.route(c, dst, lg, bias, 0, force=True)]
        logit = np.zeros((m, self.lanes), dtype=np.float16)
        logit[:, 0] = -rng.uniform(0.5, 4.0)
        logit[:, 1] = rng.uniform(0.5, 4.0)
        a = self._const(logit.astype("<f2").tobytes())
        b = self._const(np.zeros(self.lanes, dtype="<f2").tobytes())
        g.valid[lg:lg + m] = True
        g.valid[bias] = True
        return [Insn.load(0, a, lg, m), Insn.load(0, b, bias, 1),
                Insn.route(m, dst, lg, bias, 0)]

    def rope6(self, fault: str | None = None) -> list[Insn]:
        """ROPE with its row shape: W words of rows S' words apart (fields 0 = D / W), masked or
        not, dyn (CNT rows of the len bound, CNT = 0 a no-op); the whole destination span is
        loaded first and stored after, so untouched words are checked too. fault ``dyn``: CNT >
        len."""
        cfg, rng, lanes = self.cfg, self.rng, self.lanes
        hw = rng.choice([1, 1, 2]) if lanes >= 4 else 2
        d = hw * rng.randint(1, 3)
        wf = 0 if rng.random() < 0.25 else hw * rng.randint(1, 4)
        w = wf or d
        sf = 0 if rng.random() < 0.3 else w + rng.randint(0, 3)
        st = sf or w
        m = rng.randint(1, min(8, cfg.DATA_W))
        dyn = fault == "dyn" or rng.random() < 0.5
        if fault == "dyn":
            m = max(m, 1)
            c = rng.randint(m + 1, m + 3)
        else:
            c = (0 if rng.random() < 0.15 else rng.randint(1, m)) if dyn else m
        n = c if dyn else m
        masked = rng.random() < 0.5 and cfg.DATA_W * hw + 2 * (m * st) + m + 4 < cfg.GBUF_DEPTH
        span = (m - 1) * st + w
        if masked:
            while True:
                bits = rng.getrandbits(min(cfg.DATA_W, 4 * m + 8))
                if bin(bits).count("1") >= max(n, 1):
                    break
            npos = max(i for i in range(cfg.DATA_W) if bits >> i & 1) + 1
            rot_words = cfg.DATA_W * hw
        else:
            bits, npos, rot_words = 0, m, m * hw
        inplace = rng.random() < 0.4
        sizes = [span, rot_words, max(c, m) + 2] + ([1] if masked else []) + \
            ([] if inplace else [span])
        addrs = self._alloc(sizes)
        if addrs is None:
            return []
        x, rot = addrs[0], addrs[1]
        mk = addrs[3] if masked else None
        y = x if inplace else addrs[-1]
        cnt = self._set_cnt(c, m, addrs[2]) if dyn else []
        p0 = rng.randint(0, 4000)
        table = N.rot_table(np.arange(p0, p0 + npos), hw * lanes)
        a = self._const(table.astype("<u2").tobytes())
        self.g.valid[rot:rot + npos * hw] = True
        prog = [self._npecfg(d, hw), self._load(x, span, rng.random() < 0.8),
                Insn.load(0, a, rot, npos * hw)]
        if y != x:
            prog.append(self._load(y, span, False))
        if masked:
            ma = self._const(self._mask_word(bits))
            self.g.valid[mk] = True
            prog.append(Insn.load(0, ma, mk, 1))
        prog += cnt
        prog += [Insn.rope(m, y, x, rot, mk, words=wf, stride=sf, dyn=dyn),
                 self._store(y, span)]
        return prog

    def argmax(self) -> list[Insn]:
        """ARGMAX over len words of FP16 values with ties, +-0, subnormals, +-Inf and NaNs (now
        and then all NaN, or all equal)."""
        cfg, rng, lanes = self.cfg, self.rng, self.lanes
        n = rng.randint(1, 6)
        addrs = self._alloc([n, 1])
        if addrs is None:
            return []
        src, dst = addrs
        r = np.random.default_rng(rng.getrandbits(32))
        v = (r.standard_normal(n * lanes) * rng.choice([1e-3, 1.0, 300.0])).astype(np.float16)
        bits = v.view(np.uint16).copy()
        kind = rng.random()
        specials = np.array([0x0000, 0x8000, 0x0001, 0x83FF, 0x7C00, 0xFC00, 0x7E00, 0xFE01,
                             0x7BFF, 0xFBFF], dtype=np.uint16)
        if kind < 0.1:
            bits[:] = rng.choice([0x7E00, 0xFFFF, 0x7C01])            # all NaN
        elif kind < 0.2:
            bits[:] = rng.choice([0x0000, 0x8000, 0x3C00, 0xFC00])    # all equal
        else:
            k = r.integers(0, n * lanes // 3 + 1)
            idx = r.integers(0, n * lanes, size=k)
            bits[idx] = r.choice(specials, size=k)
            if rng.random() < 0.5:                                   # a tie with the maximum
                j = r.integers(0, n * lanes, size=2)
                bits[j[1]] = bits[j[0]]
        a = self._const(bits.astype("<u2").tobytes())
        self.g.valid[src:src + n] = True
        self.g.valid[dst] = True
        return [Insn.load(0, a, src, n), Insn.argmax(n, dst, src), self._store(dst, 1)]

    def mmnorm(self, fault: str | None = None) -> tuple[list[Insn], list[tuple]]:
        """A MATMUL with the norm flag (fused RMSNorm): residual rows with snooped statistics,
        a mask word selecting at least CNT of its first n rows (more rows, and bits >= n, are
        ignored), CNT set by a forced ROUTE, FP16 or INT4 weights in a striped operand stream
        (scale blocks and tiles over every HBM port), with PF most of the time (its WFETCH
        unmasked or masked by the ROUTE's mask word, somewhere after the ROUTE); X in place on
        the residual or apart; the X and Y regions (with their untouched rows) stored. fault:
        ``mask`` (too few selected rows: NPE_MASK), ``axi`` (an error beat, RRESP or RLAST,
        on one port's share of a random chunk: DMA_RD_AXI), ``dyn`` (CNT above the bound:
        DYN_LEN). Returns (program, model error windows)."""
        cfg, rng, g = self.cfg, self.rng, self.g
        kd, bb = cfg.kdim, cfg.beat_bytes
        d, nt = rng.randint(1, 3), rng.randint(1, 3)
        k, n_dim = d * kd, nt * cfg.ncol
        yw = n_dim // self.lanes                                       # Y words per row
        int4 = rng.random() < 0.5
        group = kd * (2 if d % 2 == 0 and rng.random() < 0.5 else 1) if int4 else 0
        n = rng.randint(1, min(10, cfg.MMAX, cfg.DATA_W, cfg.NPE_ROWS))
        if fault == "dyn":                                             # CNT > bound >= 1
            n = max(n, 2)
            c = rng.randint(2, n)
            bound = rng.randint(1, c - 1)
        else:
            c = rng.randint(1, n)
            bound = rng.randint(c, min(cfg.MMAX, n + 2))
        inplace = rng.random() < 0.3 and bound <= n
        stat = rng.randint(0, cfg.NPE_ROWS - n)
        sizes = [n * d, d, 1, 1, bound * yw] + ([] if inplace else [bound * d])
        addrs = self._alloc(sizes)
        if addrs is None:
            return [], []
        res, w, mk, scratch, y = addrs[:5]
        x = res if inplace else addrs[5]
        sel = rng.sample(range(n), rng.randint(c, n))
        if fault == "mask":
            sel = sel[:c - 1]
        bits = sum(1 << i for i in sel)
        bits |= rng.getrandbits(cfg.DATA_W) & ~((1 << n) - 1)            # ignored (>= n)
        prog = [self._npecfg(d, snoop=stat), self._load(res, n * d, rng.random() < 0.8, True),
                self._load(w, d, True)]
        a = self._const(self._mask_word(bits))
        g.valid[mk] = True
        prog.append(Insn.load(0, a, mk, 1))
        if not inplace:
            prog.append(self._load(x, bound * d, False))               # rows >= CNT keep these
        prog.append(self._load(y, bound * yw, False))
        g.valid[scratch] = True
        prog.append(Insn.route(c, scratch, res, w, 0, force=True))       # CNT = c
        chunks = cfg.mm_chunks(k, n_dim, int4, group)
        base = g.stream_base(chunks)
        pf = rng.random() < 0.8
        mmi = Insn.matmul(bound, x, y, base, int4=int4, norm=True, pf=pf)
        tail = [Insn.mmcfg(k, n_dim, group), Insn.mmnorm(n, res, w, stat, mk)]
        if pf:                     # after the ROUTE: masked by its mask word (c rows) or not
            masked = rng.random() < 0.5
            wf = Insn.wfetch(base, chunks, scratch if masked else None, c if masked else 0)
            tail.insert(rng.randint(0, len(tail)), wf)
        prog += tail + [mmi, self._store(x, bound * d), self._store(y, bound * yw)]
        errors = []
        if fault == "axi":
            cw, P = cfg.chunk_words, cfg.NUM_HBM
            i = rng.randrange(chunks * cw)                             # a word of the stream
            p = i % P
            a = p * HBM_PC_BYTES + base + (i // P) * bb
            kind = rng.choice(["r", "r", "rlast"])
            errors = [(p + 1, kind, *fault_window(cfg, rng, p + 1, a, kind))]
        return prog, errors

    def mlp(self) -> list[Insn]:
        """An MLP-shaped routing block (the layer program's RMSNorm + router + FFN skeleton):
        m residual rows loaded with the statistics snoop, a ROUTE over random logits (now and
        then forced), the compact masked RMSNORM of the selected rows, a dyn SWIGLU over CNT
        rows of R words, a VSCAT adding CNT rows of y into x (statistics flag at random); x,
        the normalised rows, the SWIGLU output and the mask word are stored."""
        cfg, rng, g, lanes = self.cfg, self.rng, self.g, self.lanes
        d, r = rng.randint(1, 3), rng.randint(1, 3)
        m = rng.randint(1, min(8, cfg.DATA_W, cfg.NPE_ROWS))
        stat = rng.randint(0, cfg.NPE_ROWS - m)
        # x, logits, bias, mask, normalised rows, weight, SWIGLU in / out, y
        addrs = self._alloc([m * d, m, 1, 1, m * d, d, 2 * m * r, m * r, m * d])
        if addrs is None:
            return []
        x, lg, bias, mk, h, w, gu, so, y = addrs
        force = rng.random() < 0.2
        prog = [self._npecfg(d, snoop=stat), self._load(x, m * d, rng.random() < 0.8, True),
                self._load(w, d, True)]
        if not force:
            r16 = np.random.default_rng(rng.getrandbits(32))
            logits = (r16.standard_normal((m, lanes)) * 2).astype("<f2")
            a = self._const(logits.tobytes())
            b = self._const((r16.standard_normal(lanes) * 0.5).astype("<f2").tobytes())
            g.valid[lg:lg + m] = True
            g.valid[bias] = True
            prog += [Insn.load(0, a, lg, m), Insn.load(0, b, bias, 1)]
        g.valid[mk] = True
        prog += [Insn.route(m, mk, lg, bias, rng.randint(0, lanes // 2 - 1), force=force),
                 self._load(h, m * d, False),                   # rows >= CNT keep these
                 Insn.rmsnorm(m, h, x, w, stat, mask=mk, compact=True),
                 self._load(gu, 2 * m * r, rng.random() < 0.8), self._load(so, m * r, False),
                 Insn.swiglu(r, so, gu, dyn_rows=m),
                 self._load(y, m * d, rng.random() < 0.8),
                 Insn.vscat(m, x, y, mk, stats=rng.random() < 0.5),
                 self._store(x, m * d), self._store(h, m * d), self._store(so, m * r),
                 self._store(mk, 1)]
        return prog

    # every block kind (test_npe's default)
    KINDS = "rmsnorm,swiglu,rope,rope6,argmax,mmnorm,mlp"

    def block(self, kinds: str = "rmsnorm,swiglu,rope") -> list[Insn]:
        """One random block of one of the given kinds (comma-separated)."""
        allowed = kinds.split(",")
        if "mmnorm" in allowed:
            if self.rng.random() < 1 / len(allowed):
                return self.mmnorm()[0]
            allowed = [a for a in allowed if a != "mmnorm"] or ["rmsnorm"]
        weights = {"rmsnorm": 0.4, "swiglu": 0.3, "rope": 0.3, "rope6": 0.4, "argmax": 0.3,
                   "mlp": 0.4}
        k = self.rng.choices(allowed, [weights[a] for a in allowed])[0]
        return getattr(self, k)()

    def program(self, blocks: int, name: str = "npe",
                kinds: str = "rmsnorm,swiglu,rope") -> Stimulus:
        prog: list[Insn] = []
        for _ in range(blocks):
            prog += self.block(kinds)
        prog.append(Insn.end())
        return self._stim(prog, name, Err.NONE)

    def _stim(self, prog, name, err) -> Stimulus:
        g = self.g
        return Stimulus(prog, g.layout.prog_base, len(prog), g.init_images() + self.images,
                        expect_err=err, name=name)

    # -- faults --------------------------------------------------------------------------------
    ERROR_KINDS = ("npe_shape", "npe_mask", "npe_overlap", "npe_range", "mmnorm_mask",
                   "mmnorm_axi", "mmnorm_dyn", "rope6_dyn")

    def error_program(self, kind: str) -> Stimulus:
        cfg, rng = self.cfg, self.rng
        head = self.block()
        lanes = self.lanes
        errors: list[tuple] = []
        if kind == "rope6_dyn":
            bad = []
            while not bad:
                bad = self.rope6("dyn")
            err = Err.DYN_LEN
        elif kind.startswith("mmnorm_"):
            bad: list[Insn] = []
            while not bad:
                bad, errors = self.mmnorm(kind.removeprefix("mmnorm_"))
            err = {"mmnorm_mask": Err.NPE_MASK, "mmnorm_axi": Err.DMA_RD_AXI,
                   "mmnorm_dyn": Err.DYN_LEN}[kind]
        elif kind == "npe_shape":
            bad = rng.choice([
                [self._npecfg(3), Insn.load(0, self.g.layout.ddr_data, 0, 4, stats=True)],
                [self._npecfg(1), Insn.rmssq(4, 0, cfg.NPE_ROWS - 2)],
                [self._npecfg(3, hw=2), Insn.rope(1, 8, 0, 16)],
            ])
            err = Err.NPE_SHAPE
        elif kind == "npe_mask" and cfg.GBUF_DEPTH < 2 * cfg.DATA_W:
            bad = [self._npecfg(1), Insn.rmssq(4, 0, cfg.NPE_ROWS - 2)]   # no room: shape
            err = Err.NPE_SHAPE
        elif kind == "npe_mask":
            # a ROPE whose mask has fewer set bits than rows: stops at run time
            m = rng.randint(2, min(8, cfg.DATA_W))
            bits = (1 << (m - 1)) - 1
            ma = self._const(self._mask_word(bits))
            rot = cfg.GBUF_DEPTH - cfg.DATA_W
            bad = [self._npecfg(1, hw=1), self._load(0, m, True), Insn.load(0, ma, m, 1),
                   Insn.rope(m, 0, 0, rot, m)]
            err = Err.NPE_MASK
        elif kind == "npe_overlap":
            bad = [self._npecfg(2), Insn.rmsnorm(2, 1, 0, 20, 0)]
            err = Err.OVERLAP
        else:
            bad = [Insn.swiglu(4, 0, cfg.GBUF_DEPTH - 7)]
            err = Err.GBUF_RANGE
        prog = head + bad + self.block() + [Insn.end()]
        del lanes
        stim = self._stim(prog, kind, err)
        stim.errors = errors
        return stim


# ------------------------------------------------------------------------------------------
# NPE benchmark / bulk programs (make sim): >= 20k elements per function, fused vs row-wise
# ------------------------------------------------------------------------------------------
def _bench_values(rng: np.random.Generator, n: int, scale: float, special: float) -> np.ndarray:
    v = rng.standard_normal(n) * scale
    v = np.where(rng.random(n) < 0.05, v * 8.0, v)                  # heavy tail
    bits = v.astype(np.float16).view(np.uint16).astype(np.int64)
    pick = rng.random(n) < special
    return np.where(pick, rng.integers(0, 1 << 16, n), bits)


def npe_bench(cfg, layout, kind: str, elements: int = 20480, seed: int = 5) -> Stimulus:
    """One large NPE operation over >= ``elements`` FP16 values (capped by the buffer), with its
    operands loaded from DDR and every result stored into the compared windows.

    kind: ``swiglu``; ``rmsnorm-fused`` (statistics snooped from the LOAD),
    ``rmsnorm-rowwise`` (a separate RMSSQ pass), ``rmsnorm-masked`` (fused, 3/4 of the rows
    selected by a mask); ``rope``; and ``*-base`` = the same program without the NPE
    instruction(s), to isolate their cycles."""
    lanes = cfg.DATA_W // 16
    bb = cfg.beat_bytes
    rng = np.random.default_rng(seed)
    base = kind.endswith("-base")
    kind = kind.removesuffix("-base")
    area = [NPE_AREA]

    def const(words: np.ndarray) -> int:
        a = area[0]
        data = np.asarray(words, dtype=np.int64).astype("<u2").tobytes()
        images.append((0, a, data))
        area[0] += (len(data) + bb - 1) // bb * bb
        return a

    def stores(gb: int, words: int) -> list[Insn]:
        """Store words from gb into the write halves of the windows, in order."""
        out = []
        for port, lo, hi in layout.windows():
            if words <= 0:
                break
            k = min(words, (hi - lo) // 2 // bb)
            out.append(Insn.store(port, lo, gb, k))
            gb += k
            words -= k
        assert words <= 0, "windows too small for the benchmark output"
        return out

    images: list[tuple[int, int, bytes]] = []
    depth = cfg.GBUF_DEPTH
    prog: list[Insn] = []
    if kind == "swiglu":
        n = min(-(-elements // lanes), depth // 2)
        src = 0
        g = _bench_values(rng, n * lanes, 3.0, 0.02).reshape(n, lanes)
        u = _bench_values(rng, n * lanes, 1.0, 0.02).reshape(n, lanes)
        inter = np.stack([g, u], axis=1).reshape(-1)                # word 2i = g, 2i+1 = u
        prog.append(Insn.load(0, const(inter), src, 2 * n))
        if not base:
            prog.append(Insn.swiglu(n, src, src))
        prog += stores(src, n)
    elif kind.startswith("rmsnorm"):
        d = max(1, min(16, depth // (4 * lanes)))                   # hidden = d * lanes
        m = min(-(-elements // (d * lanes)), cfg.NPE_ROWS, (depth - d - 1) // d,
                cfg.DATA_W if kind == "rmsnorm-masked" else 1 << 30)
        x, w, mk = 0, m * d, m * d + d
        xs = _bench_values(rng, m * d * lanes, 1.0, 0.01)
        ws = _bench_values(rng, d * lanes, 0.5, 0.0)
        fused = kind != "rmsnorm-rowwise"
        eps = f32bits(1e-5)
        prog.append(Insn.npecfg(d, eps, f32bits(1.0 / (d * lanes)), 0, 0))
        prog.append(Insn.load(0, const(xs), x, m * d, stats=fused and not base))
        prog.append(Insn.load(0, const(ws), w, d))
        mask = None
        if kind == "rmsnorm-masked":
            bits = 0
            for r in range(m):
                if rng.random() < 0.75:
                    bits |= 1 << r
            prog.append(Insn.load(0, const(np.frombuffer(bits.to_bytes(bb, "little"),
                                                         dtype="<u2")), mk, 1))
            mask = mk
        if not base:
            if not fused:
                prog.append(Insn.rmssq(m, x, 0))
            prog.append(Insn.rmsnorm(m, x, x, w, 0, mask))
        prog += stores(x, m * d)
    elif kind == "rope":
        hw = max(1, min(4, depth // (8 * lanes)))
        d = hw * max(1, min(4, depth // (4 * hw * lanes)))
        m = min(-(-elements // (d * lanes)), (depth - 1) // (d + hw))
        x, rot = 0, m * d
        xs = _bench_values(rng, m * d * lanes, 1.0, 0.01)
        table = N.rot_table(np.arange(100, 100 + m), hw * lanes)
        prog.append(Insn.npecfg(d, 0, 0, hw, 0))
        prog.append(Insn.load(0, const(xs), x, m * d))
        prog.append(Insn.load(0, const(table.reshape(-1)), rot, m * hw))
        if not base:
            prog.append(Insn.rope(m, x, x, rot))
        prog += stores(x, m * d)
    else:
        raise ValueError(f"unknown NPE benchmark {kind!r}")
    prog.append(Insn.end())
    name = f"npe-{kind}" + ("-base" if base else "")
    return Stimulus(prog, layout.prog_base, len(prog), images, expect_err=Err.NONE, name=name)


NPE_BENCH_KINDS = ("swiglu", "rmsnorm-fused", "rmsnorm-rowwise", "rmsnorm-masked", "rope")
