"""Stimulus for the KV instructions through the core (tb/top/tb_kv.py): random
programs of LOAD/VADD (buffer contents), KVCFG, KVST (random masks, history words, layers,
strides, all/nohist/put, both mappings), KVLD decode steps over a synthetic KV cache (random
write masks, reuse or PartialSkip, attend static/dyn per layer, invariance buffer on/off) and
KVRD + STORE to observe the KV staging buffer; fault programs (KV_RANK, KV_SEQ, SLVERR on a KV
store and on a KV read).

Everything here produces inputs; the expected results come from model/core on the same inputs.
The generator only tracks what it needs to build legal programs (which KVSB entries the model
holds, so a KVRD never reads a never-written word, which the model rejects as a program bug).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from model.isa import CoreConfig, Err, Insn
from .programs import Layout, ProgramGenerator, Stimulus, fault_window

PC_SHIFT = 28           # KV port p's region lies in HBM pseudo-channel p (model/core/kv.py)
KV_OFF0 = 0x40000       # first KVOFF: the start of every HBM port's data window (Layout)


@dataclass
class KvCfgState:
    e: int
    off: int
    layers: int
    inter: bool
    buf: bool


@dataclass
class _Prog:
    """A program under construction."""
    prog: list = field(default_factory=list)
    words: dict = field(default_factory=dict)      # crafted buffer word -> value (int)
    next_word: int = 0
    areas: list = field(default_factory=list)      # free store areas [(port, addr, hi)]
    kv: KvCfgState | None = None
    errors: list = field(default_factory=list)
    cnt_route: bool = False                        # a ROUTE set CNT in this program


class KvGenerator:
    """Random KV programs. Buffer map (words): 0..NW-1 crafted words (masks, history words,
    logits for ROUTE), NW..RD-1 entry rows, RD..SPAN-1 the KVRD window; every word below SPAN is
    loaded at the start of a program and stored at its end (every buffer word is checked)."""

    NW = 40

    def __init__(self, cfg: CoreConfig, seed: int, layout: Layout | None = None):
        self.cfg = cfg
        self.layout = layout or Layout(cfg)
        self.rng = random.Random(seed)
        self.pg = ProgramGenerator(cfg, seed, self.layout)
        bb = cfg.beat_bytes
        half = self.layout.window // 2 // bb
        self.span = min(cfg.GBUF_DEPTH // 2, half, 1024)
        self.rdw = min(128, self.span // 4)
        self.rd = self.span - self.rdw
        self.known: set[int] = set()     # KVSB entries whose E words the model holds
        self.kvsb_e = 0

    # -- helpers ---------------------------------------------------------------------------
    def _word(self, st: _Prog, value: int) -> int:
        assert st.next_word < self.NW, "too many crafted words in one program"
        a = st.next_word
        st.next_word += 1
        st.words[a] = value & ((1 << self.cfg.DATA_W) - 1)
        return a

    def _bits(self, positions) -> int:
        return sum(1 << int(p) for p in set(positions))

    def _junk_above(self, n: int) -> int:
        """Random bits at positions >= n (ignored by the instructions)."""
        w = self.cfg.DATA_W
        if n >= w or self.rng.random() < 0.5:
            return 0
        return self.rng.getrandbits(w) & ~((1 << n) - 1)

    def _hist_word(self, base: int) -> int:
        return self._bits(self.rng.sample(range(self.cfg.DATA_W), base))

    def _store_area(self, st: _Prog, words: int):
        """(port, address) of a fresh store area of ``words`` beats (second halves of the data
        windows: never read, checked by the window comparison), or None when all are used."""
        bb = self.cfg.beat_bytes
        for i, (port, addr, hi) in enumerate(st.areas):
            if addr + words * bb <= hi:
                st.areas[i] = (port, addr + words * bb, hi)
                return port, addr
        return None

    def _begin(self) -> _Prog:
        st = _Prog()
        st.areas = [(p, lo + (hi - lo) // 2, hi) for p, lo, hi in self.layout.windows()]
        self.rng.shuffle(st.areas)
        return st

    def _finish(self, st: _Prog, name: str, expect: Err = Err.NONE) -> Stimulus:
        """Initial LOAD of the buffer span (crafted words first), the body, a STORE of the
        whole span, END."""
        cfg, bb = self.cfg, self.cfg.beat_bytes
        lo = self.layout.ddr_data
        init = self.pg.init_images()
        crafted = bytearray()
        for a in range(st.next_word):
            crafted += st.words[a].to_bytes(bb, "little")
        if crafted:
            init.append((0, lo, bytes(crafted)))
        prog = [Insn.load(0, lo, 0, self.span)] + st.prog + \
            [Insn.store(0, lo, 0, self.span), Insn.end()]
        return Stimulus(prog, self.layout.prog_base, len(prog), init, errors=st.errors,
                        expect_err=expect, name=name)

    # -- buffer fillers --------------------------------------------------------------------
    def _filler(self, st: _Prog) -> None:
        """LOAD random words from a memory window into the entry rows, or VADD there."""
        cfg, bb = self.cfg, self.cfg.beat_bytes
        n = self.rng.randint(1, 24)
        dst = self.rng.randint(self.NW, self.rd - n)
        if self.rng.random() < 0.5:
            port, lo, hi = self.rng.choice(self.layout.windows())
            addr = lo + bb * self.rng.randrange(((hi - lo) // 2) // bb - n)
            st.prog.append(Insn.load(port, addr, dst, n))
        else:
            s1 = self.rng.randint(self.NW, self.rd - n)
            if abs(dst - s1) < n:           # VADD: dst equal to or disjoint from each source
                s1 = dst
            st.prog.append(Insn.vadd(dst, dst, s1, n) if self.rng.random() < 0.5 else
                           Insn.vadd(dst, s1, s1, n))

    # -- KVCFG -----------------------------------------------------------------------------
    def kvcfg(self, st: _Prog, e: int | None = None, layers: int | None = None,
              inter: bool | None = None, buf: bool | None = None) -> KvCfgState:
        cfg, bb, kp = self.cfg, self.cfg.beat_bytes, self.cfg.KV_PORTS
        inter = self.rng.random() < 0.35 if inter is None else inter
        es = [1 << i for i in range(cfg.KV_ENTRY_MAX.bit_length())
              if (1 << i) <= cfg.KV_ENTRY_MAX and (not inter or (1 << i) >= kp)]
        e = e or self.rng.choice(es)
        layers = layers or self.rng.randint(1, 4)
        region = layers * (cfg.KV_TOKENS // kp) * e * bb
        k = self.rng.randint(0, (self.layout.window - region) // 4096)
        kv = KvCfgState(e, KV_OFF0 + 4096 * k, layers, inter,
                        self.rng.random() < 0.6 if buf is None else buf)
        st.prog.append(Insn.kvcfg(kv.e, kv.off, kv.layers, kv.inter, kv.buf))
        st.kv = kv
        if e != self.kvsb_e:              # a new E invalidates the KVSB (model/core/kv.py)
            self.known = set()
            self.kvsb_e = e
        return kv

    # -- KVST ------------------------------------------------------------------------------
    def kvst(self, st: _Prog, rank_fault: bool = False, n: int | None = None,
             pos0: int | None = None, rows=None, nohist: bool | None = None,
             hist_word: tuple | None = None, layer: int | None = None,
             put: bool | None = None):
        """A random KVST; returns (insn, writers' tokens, rank base, layer). hist_word =
        (address, popcount) of an existing history word to use."""
        cfg, kv = self.cfg, st.kv
        kt, e = cfg.KV_TOKENS, kv.e
        rng = self.rng
        if n is None:
            r = rng.random()
            n = 1 if r < 0.15 else kt if r < 0.3 else rng.randint(1, kt)
        pos0 = rng.randint(0, kt - n) if pos0 is None else pos0
        all_rows = rows is None and rng.random() < 0.15
        if rows is None:
            dens = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0])
            rows = list(range(n)) if all_rows else \
                [m for m in range(n) if rng.random() < dens]
        elif rows == list(range(n)) and rng.random() < 0.5:
            all_rows = True
        w = len(rows)
        if nohist is None:
            nohist = hist_word is None and not rank_fault and rng.random() < 0.3
        if rank_fault:
            base = rng.randint(kt - w + 1, min(cfg.DATA_W, kt - w + 8))
        elif hist_word is not None:
            base = hist_word[1]
        else:
            base = 0 if nohist else rng.randint(0, kt - w)
        layer = rng.randrange(kv.layers) if layer is None else layer
        stride = 0 if rng.random() < 0.5 else rng.randint(e, min(255, e + 6))
        s = stride or e
        src_max = min(cfg.GBUF_DEPTH - (n - 1) * s - e, self.span - max(w - 1, 0) * s - e)
        if src_max < 0:
            stride, s = 0, e
            src_max = min(cfg.GBUF_DEPTH - (n - 1) * s - e, self.span - max(w - 1, 0) * s - e)
        src = rng.randint(0, src_max)
        mask = 0 if all_rows else self._word(st, self._bits(rows) | self._junk_above(n))
        if nohist:
            hist = 0
        elif hist_word is not None:
            hist = hist_word[0]
        else:
            hist = self._word(st, self._hist_word(base))
        put = rng.random() < 0.6 if put is None else put
        ins = Insn.kvst(n, src, layer, mask=mask, hist=hist, pos0=pos0, stride=stride,
                        put=put, all_rows=all_rows, nohist=nohist)
        st.prog.append(ins)
        toks = [pos0 + m for m in rows]
        if put and not rank_fault:
            self.known |= set(toks)
        return ins, toks, base, layer

    def piece_addr(self, kv: KvCfgState, layer: int, rank: int, token: int, p: int = 0):
        """(DMA port, byte address) of piece p of an entry (docs/isa.md: KVST)."""
        cfg, bb, kp = self.cfg, self.cfg.beat_bytes, self.cfg.KV_PORTS
        if not kv.inter:
            p = rank % kp
            return p + 1, (p << PC_SHIFT) + kv.off + \
                (layer * (cfg.KV_TOKENS // kp) + rank // kp) * kv.e * bb
        ep = kv.e // kp
        return p + 1, (p << PC_SHIFT) + kv.off + (layer * cfg.KV_TOKENS + token) * ep * bb

    # -- KVRD ------------------------------------------------------------------------------
    def kvrd(self, st: _Prog, entries=None) -> None:
        """KVRD runs of known KVSB entries (all of ``entries`` when given), each stored."""
        e = st.kv.e
        per = max(1, self.rdw // e)
        known = sorted(self.known if entries is None else
                       [a for a in entries if a in self.known])
        runs, cur = [], []
        for a in known:
            if cur and (a != cur[-1] + 1 or len(cur) == per):
                runs.append(cur)
                cur = []
            cur.append(a)
        if cur:
            runs.append(cur)
        if entries is None and runs:
            runs = self.rng.sample(runs, min(len(runs), 3))
        for run in runs:
            if entries is None and len(run) > 1 and self.rng.random() < 0.5:
                i = self.rng.randrange(len(run))
                run = run[i:i + self.rng.randint(1, len(run) - i)]
            n = len(run)
            area = self._store_area(st, n * e)
            if area is None:
                return
            dst = self.rd + self.rng.randint(0, self.rdw - n * e)
            st.prog += [Insn.kvrd(n, dst, run[0]), Insn.store(area[0], area[1], dst, n * e)]

    # -- programs --------------------------------------------------------------------------
    def kvst_program(self, blocks: int = 8, name: str = "kvst") -> Stimulus:
        """KVCFG, then random KVSTs, fillers and KVRD checks (sometimes a second KVCFG)."""
        st = self._begin()
        self.kvcfg(st)
        for _ in range(blocks):
            r = self.rng.random()
            if r < 0.15:
                self._filler(st)
            elif r < 0.2:
                self.kvcfg(st)
            elif r < 0.8:
                self.kvst(st)
            else:
                self.kvrd(st)
        self.kvrd(st)
        return self._finish(st, name)

    # -- decode steps (KVLD) ---------------------------------------------------------------
    def _set_cnt(self, st: _Prog, nonzero: bool) -> None:
        """A one-row ROUTE whose row executes (CNT = 1) or skips (CNT = 0): logits word lane 0
        = 0, lane 1 = 1.0 or 0 (a tie executes), bias word 0."""
        if not hasattr(st, "route_words"):
            st.route_words = (self._word(st, 0), self._word(st, 0x3C00 << 16),
                              self._word(st, 0), self._word(st, 0))
        tie, skip, bias, dst = st.route_words
        st.prog.append(Insn.route(1, dst, tie if nonzero else skip, bias, 0))
        st.cnt_route = True

    def decode_step(self, st: _Prog, t_n: int | None = None, mode: str | None = None,
                    fault: str | None = None, att_p: float = 0.75,
                    skip: float | None = None) -> dict:
        """A synthetic KV cache of T preceding tokens built by KVSTs (one per layer, random
        write masks: reuse, or PartialSkip all ones), then the KVLDs of one decode step
        (layers 0..L-1, attend random static or dyn), each followed by an optional KVST.put of
        the current token and KVRD of the delivered entries."""
        cfg, kv, rng = self.cfg, st.kv, self.rng
        kt = cfg.KV_TOKENS
        t_n = t_n or rng.choice([1, kt - 1] + [rng.randint(1, min(kt - 1, 24))] * 4)
        mode = mode or rng.choice(["reuse", "reuse", "partial"])
        skip = skip or rng.choice([0.1, 0.3, 0.6])
        w = np.ones((kv.layers, t_n), dtype=bool)
        if mode == "reuse":
            for l in range(1, kv.layers):
                w[l] = [rng.random() >= skip for _ in range(t_n)]
        info = {"T": t_n, "w": w, "mode": mode, "attend": []}
        # the cache: layer l's writers at ranks 0.. (nohist, pos0 0)
        for l in range(kv.layers):
            rows = [int(t) for t in np.flatnonzero(w[l])]
            self.kvst(st, n=t_n, pos0=0, rows=rows, nohist=True, layer=l, put=False)
            if rng.random() < 0.2:
                self._filler(st)
        junk = [self._junk_above(t_n) for _ in range(kv.layers)]
        hist = [self._word(st, self._bits(np.flatnonzero(w[l])) | junk[l])
                for l in range(kv.layers)]
        layers = list(range(kv.layers))
        if fault == "kv_seq":
            k = rng.randint(0, kv.layers - 1)          # layers 0..k-1, then a wrong one
            bad = [j for j in range(1, kv.layers) if j != k]
            if k == 0 or not bad:
                k, bad = 0, list(range(1, kv.layers))  # a run's first KVLD not at layer 0
            layers = list(range(k)) + [rng.choice(bad)] + list(range(k + 1, kv.layers))
        for l in layers:
            att = True if (fault == "kv_rd" and l == 0) else rng.random() < att_p
            dyn = rng.random() < 0.35
            if dyn and (att or st.cnt_route):
                self._set_cnt(st, att)
            info["attend"].append((l, att))
            nxt = hist[l + 1] if l + 1 < kv.layers else rng.randrange(self.span)
            st.prog.append(Insn.kvld(t_n, hist[l], nxt, l, attend=att and not dyn, dyn=dyn))
            if att:
                self.known |= set(range(t_n))
            if rng.random() < 0.4:
                # the current token's own entry: rank = earlier writers at l, KVSB entry T
                hw = (hist[l], int(w[l].sum())) if not junk[l] else None
                self.kvst(st, n=1, pos0=t_n, rows=[0], nohist=False, hist_word=hw,
                          layer=l, put=True)
            if att and rng.random() < 0.8:
                self.kvrd(st, list(range(t_n + 1)))
        return info

    # (mapping interleaved, invariance buffer, attend probability) of the decode-step programs,
    # in turn: the first attends at every layer (Case-1 layers, buffer reads guaranteed when
    # entries are reused), the last skips some (buffer invalidation, Case 2 after a skip)
    KVLD_VARIANTS = ((False, True, 1.0), (True, False, 0.75), (False, False, 0.75),
                     (False, True, 0.75))

    def kvld_program(self, steps: int = 1, name: str = "kvld", variant: int | None = None,
                     **kw) -> Stimulus:
        """KVCFG (L = 2..4; mapping and buffer from KVLD_VARIANTS[variant], else random), then
        ``steps`` decode steps."""
        st = self._begin()
        inter, buf, att_p = (None, None, 0.75) if variant is None else \
            self.KVLD_VARIANTS[variant % len(self.KVLD_VARIANTS)]
        self.kvcfg(st, layers=self.rng.randint(3 if buf else 2, 4), inter=inter, buf=buf)
        if buf and not inter:                # mostly Case-1 layers with reused entries
            kw = {"mode": "reuse", "att_p": att_p, "skip": self.rng.choice([0.3, 0.6]),
                  "t_n": self.rng.randint(6, min(self.cfg.KV_TOKENS - 1, 24)), **kw}
        for _ in range(steps):
            self.decode_step(st, **kw)
            if self.rng.random() < 0.3:
                self._filler(st)
        return self._finish(st, name)

    # -- faults ----------------------------------------------------------------------------
    # kv_rd_rlast: the HBM model inverts the RLAST of one entry beat (an error beat, data intact)
    ERROR_KINDS = ("kv_rank", "kv_st_slverr", "kv_seq", "kv_rd_slverr", "kv_rd_rlast")

    def error_program(self, kind: str) -> Stimulus:
        cfg, rng = self.cfg, self.rng
        st = self._begin()
        if kind == "kv_rank":
            self.kvcfg(st)
            for _ in range(rng.randint(0, 3)):
                self.kvst(st)
            self.kvst(st, rank_fault=True)
            for _ in range(2):
                self.kvst(st)
            expect = Err.KV_RANK
        elif kind == "kv_st_slverr":
            kv = self.kvcfg(st)
            for _ in range(rng.randint(0, 2)):
                self.kvst(st)
            n = rng.randint(2, cfg.KV_TOKENS)
            rows = sorted(rng.sample(range(n), rng.randint(1, n)))
            ins, toks, base, layer = self.kvst(st, n=n, rows=rows, put=True)
            j = rng.randrange(len(toks))
            p = rng.randrange(cfg.KV_PORTS) if kv.inter else 0
            port, addr = self.piece_addr(kv, layer, base + j, toks[j], p)
            words = kv.e // cfg.KV_PORTS if kv.inter else kv.e
            a = addr + rng.randrange(words) * cfg.beat_bytes
            st.errors = [(port, "w", a, a + cfg.beat_bytes)]
            self.kvrd(st, toks)            # not reached: the run stops at the KVST
            expect = Err.DMA_WR_AXI
        elif kind == "kv_seq":
            self.kvcfg(st, layers=rng.randint(2, 4))
            self.decode_step(st, fault="kv_seq")
            expect = Err.KV_SEQ
        else:
            kv = self.kvcfg(st, layers=rng.randint(1, 4))
            info = self.decode_step(st, fault="kv_rd")
            # one beat of a layer-0 entry (read from HBM at layer 0: Case 2, no buffer yet)
            t = rng.randrange(info["T"])
            p = rng.randrange(cfg.KV_PORTS) if kv.inter else 0
            port, addr = self.piece_addr(kv, 0, t, t, p)
            words = kv.e // cfg.KV_PORTS if kv.inter else kv.e
            a = addr + rng.randrange(words) * cfg.beat_bytes
            rkind = "rlast" if kind == "kv_rd_rlast" else "r"
            st.errors = [(port, rkind, *fault_window(cfg, rng, port, a, rkind))]
            expect = Err.DMA_RD_AXI
        self.known = set()                 # the run stops early: forget what it would have put
        return self._finish(st, kind, expect)
