"""cocotb tests of the KV staging buffer (rtl/skipopu_kvsb.sv) against the entry-level model
tb/kvsb/kvsb_model.py.

* Driver: per cycle (driven after the falling edge) one lane beat from a queue of KV-unit-shaped
  rounds (token-wise: k <= LANES_IN consecutive arrival indices on a random lane subset, the same
  word on every lane; interleaved: one entry, lane p carries share p; generic: any lane set the
  documented bank mapping makes conflict-free), with random gaps; KVST.put words held until
  put_gnt_o; random tile reads (both orientations, NK around the boundaries, some aimed at the
  word being written) and word reads held until rd_gnt_o; clears with E changes.
* Monitor: in the ReadOnly phase after every falling edge it samples what the DUT sees at the
  next rising edge (all request inputs and grants) and the read outputs.
* Scoreboard: ``KvsbModel`` in cycle order (clr first, then the reads on the contents before
  the cycle's writes, then the lane writes and the granted put). Checks the read data the cycle
  after each read, the valid flags every cycle, the grant rules, and that read data holds while
  no read follows.

Tests: ``test_kvsb`` (random sessions), ``test_lane_conflict`` (two lanes in one bank: the
unit's simulation assertion must fire; the pytest wrapper checks the message).

Environment: KVSB_PARAMS (json: RTL parameters), KVSB_SESSIONS.
"""

from __future__ import annotations

import json
import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly

from kvsb.kvsb_model import KvsbModel, bank, conflict_free, pack, share_words
from testparams import env_int, seed_of


def _reader(sig):
    """Fast integer getter; raises on X/Z."""
    h = getattr(sig, "_handle", None)
    get = h.get_signal_val_binstr if h is not None and hasattr(h, "get_signal_val_binstr") \
        else (lambda: str(sig.value))

    def read():
        s = get()
        try:
            return int(s, 2)
        except ValueError:
            raise AssertionError(f"{sig._name}: X/Z in {s}") from None
    return read


class Cfg:
    def __init__(self, p: dict):
        self.DW = p["DATA_W"]
        self.NCOL = self.DW // 16
        self.KT = p["KV_TOKENS"]
        self.EM = p["ENTRY_MAX"]
        self.P = p["NUM_PORTS"]
        self.L = p["LANES_IN"]
        self.NT = self.KT // self.NCOL
        self.LEM = self.EM.bit_length() - 1
        self.AW = (self.KT - 1).bit_length()
        self.WW = max(1, (self.EM - 1).bit_length())


class Driver:
    """Drives one cycle per falling edge from its queues and generators."""

    def __init__(self, dut, cfg: Cfg, rng: random.Random):
        self.dut, self.c, self.rng = dut, cfg, rng
        self.beats: deque = deque()          # (clear in this cycle, [(lane, a, w, data)])
        self.puts: deque = deque()           # (a, w, data)
        self.clear_to: int | None = None     # log2e for a clear cycle
        self.log2e = 0
        self.gap = 0.0
        self.put_gap = 0.0
        self.p_tile = 0.3
        self.p_rd = 0.2
        self.nk_hint = 0                     # T of the session: NK choices around it
        self.rd_pend = None
        self.put_pend = None
        self.last_beat = None
        self._cache: dict = {}
        self.r_put_gnt = _reader(dut.put_gnt_o)
        self.r_rd_gnt = _reader(dut.rd_gnt_o)

    def queue(self, beats: list, clear_first: bool = False):
        self.beats.extend((clear_first and i == 0, b) for i, b in enumerate(beats))

    def _set(self, name: str, v: int):
        if self._cache.get(name) != v:
            getattr(self.dut, name).value = v
            self._cache[name] = v

    def idle(self) -> bool:
        return not self.beats and not self.puts and self.put_pend is None and \
            self.clear_to is None

    def _tile_req(self):
        c, rng = self.c, self.rng
        nt = rng.randrange(c.NT)
        w = rng.randrange(1 << self.log2e) if rng.random() < 0.8 else rng.randrange(c.EM)
        if self.last_beat and rng.random() < 0.3:        # the word being written
            _, a, w, _ = rng.choice(self.last_beat)
            nt = a // c.NCOL
        t = self.nk_hint
        nk = rng.choice([0, 1, t, t + 1, t - 1, nt * c.NCOL + rng.randint(0, c.NCOL),
                         c.KT, rng.randint(0, c.KT), nt * c.NCOL, (nt + 1) * c.NCOL])
        return nt, w, int(rng.random() < 0.5), min(max(nk, 0), c.KT)

    def _rd_req(self):
        c, rng = self.c, self.rng
        if self.last_beat and rng.random() < 0.3:
            _, a, w, _ = rng.choice(self.last_beat)
            return a, w
        return rng.randrange(c.KT), rng.randrange(c.EM)

    def drive(self):
        c, rng = self.c, self.rng
        # clear (with the session's E)
        clr = self.clear_to is not None
        if clr:
            self.log2e = self.clear_to
            self.clear_to = None
        # lanes (an item may carry a clear of the same cycle)
        beat = None
        if self.beats and rng.random() >= self.gap:
            clr_here, beat = self.beats.popleft()
            clr = clr or clr_here
        self.last_beat = beat
        we = ent = wrd = data = 0
        for lane, a, w, d in beat or ():
            we |= 1 << lane
            ent |= a << (lane * c.AW)
            wrd |= w << (lane * c.WW)
            data |= d << (lane * c.DW)
        self._set("clr_i", int(clr))
        self._set("cfg_log2e_i", self.log2e)
        self._set("lane_we_i", we)
        if we:
            self._set("lane_entry_i", ent)
            self._set("lane_word_i", wrd)
            self._set("lane_wdata_i", data)
        # put, held until granted
        if self.put_pend is None and self.puts and rng.random() >= self.put_gap:
            self.put_pend = self.puts.popleft()
        self._set("put_req_i", int(self.put_pend is not None))
        if self.put_pend is not None:
            a, w, d = self.put_pend
            self._set("put_entry_i", a)
            self._set("put_word_i", w)
            self._set("put_wdata_i", d)
        # tile read
        treq = rng.random() < self.p_tile
        self._set("tile_req_i", int(treq))
        if treq:
            nt, w, col, nk = self._tile_req()
            self._set("tile_nt_i", nt)
            self._set("tile_word_i", w)
            self._set("tile_col_i", col)
            self._set("cfg_nk_i", nk)
        elif rng.random() < 0.1:
            self._set("cfg_nk_i", rng.randint(0, c.KT))      # NK only matters with a read
        # word read, held until granted
        if self.rd_pend is None and rng.random() < self.p_rd:
            self.rd_pend = self._rd_req()
        self._set("rd_req_i", int(self.rd_pend is not None))
        if self.rd_pend is not None:
            self._set("rd_entry_i", self.rd_pend[0])
            self._set("rd_word_i", self.rd_pend[1])

    def granted(self):
        """ReadOnly phase: retire the held requests that the DUT grants this cycle."""
        if self.put_pend is not None and self.r_put_gnt():
            self.put_pend = None
        if self.rd_pend is not None and self.r_rd_gnt():
            self.rd_pend = None


class Obs:
    __slots__ = ("clr", "log2e", "lanes", "put", "put_req", "put_gnt", "tile", "rd", "rd_req",
                 "rd_gnt", "tile_rvalid", "rd_rvalid", "tile_rdata", "rd_rdata")


class Monitor:
    """Samples the DUT's inputs and outputs in the ReadOnly phase after each falling edge."""

    def __init__(self, dut, cfg: Cfg):
        self.c = cfg
        r = {n: _reader(getattr(dut, n)) for n in (
            "clr_i", "cfg_log2e_i", "cfg_nk_i", "lane_we_i", "lane_entry_i", "lane_word_i",
            "lane_wdata_i", "put_req_i", "put_gnt_o", "put_entry_i", "put_word_i", "put_wdata_i",
            "tile_req_i", "tile_nt_i", "tile_word_i", "tile_col_i", "tile_rvalid_o",
            "tile_rdata_o", "rd_req_i", "rd_gnt_o", "rd_entry_i", "rd_word_i", "rd_rvalid_o",
            "rd_rdata_o")}
        self.r = r

    def sample(self, want_tile_data: bool, want_rd_data: bool) -> Obs:
        c, r = self.c, self.r
        o = Obs()
        o.clr = r["clr_i"]()
        o.log2e = r["cfg_log2e_i"]()
        we = r["lane_we_i"]()
        o.lanes = []
        if we:
            ent, wrd, data = r["lane_entry_i"](), r["lane_word_i"](), r["lane_wdata_i"]()
            am, wm, dm = (1 << c.AW) - 1, (1 << c.WW) - 1, (1 << c.DW) - 1
            o.lanes = [(ln, (ent >> (ln * c.AW)) & am, (wrd >> (ln * c.WW)) & wm,
                        (data >> (ln * c.DW)) & dm) for ln in range(c.L) if (we >> ln) & 1]
        o.put_req = r["put_req_i"]()
        o.put_gnt = r["put_gnt_o"]()
        o.put = (r["put_entry_i"](), r["put_word_i"](), r["put_wdata_i"]()) \
            if o.put_req and o.put_gnt else None
        o.tile = (r["tile_nt_i"](), r["tile_word_i"](), r["tile_col_i"](), r["cfg_nk_i"]()) \
            if r["tile_req_i"]() else None
        o.rd_req = r["rd_req_i"]()
        o.rd_gnt = r["rd_gnt_o"]()
        o.rd = (r["rd_entry_i"](), r["rd_word_i"]()) if o.rd_req and o.rd_gnt else None
        o.tile_rvalid = r["tile_rvalid_o"]()
        o.rd_rvalid = r["rd_rvalid_o"]()
        o.tile_rdata = r["tile_rdata_o"]() if (o.tile_rvalid or want_tile_data) else None
        o.rd_rdata = r["rd_rdata_o"]() if (o.rd_rvalid or want_rd_data) else None
        return o


class Scoreboard:
    def __init__(self, cfg: Cfg, rng: random.Random):
        self.c = cfg
        self.rng = rng
        self.m = KvsbModel(cfg.DW, cfg.KT, cfg.EM)
        self.pend_tile = self.pend_rd = None       # expected outputs of last cycle's reads
        self.hold_tile = self.hold_rd = None       # outputs that must hold (no read since)
        self.cycle = 0
        self.log2e = 0
        self.last_write: dict = {}                 # (a, w) -> (cycle, log2e, port): diagnostics
        self.cov = dict.fromkeys((
            "tile_reads", "tile_col", "rd_reads", "lane_words", "puts", "put_stall", "rd_stall",
            "nk_gated", "never_written", "rd_never_written", "rdw_same_word", "clr",
            "clr_with_write", "clr_with_read", "hold_checks", "tile_mixed"), 0)

    def want_hold(self) -> tuple[bool, bool]:
        """Sample the held outputs in this cycle? (a random tenth of the idle cycles)"""
        t = self.hold_tile is not None and self.rng.random() < 0.1
        r = self.hold_rd is not None and self.rng.random() < 0.1
        return t, r

    def check(self, o: Obs):
        c, cov = self.c, self.cov
        at = f"cycle {self.cycle}"
        # 1. outputs of the previous cycle's reads, or the held ones
        assert o.tile_rvalid == (self.pend_tile is not None), f"{at}: tile_rvalid_o"
        assert o.rd_rvalid == (self.pend_rd is not None), f"{at}: rd_rvalid_o"
        if self.pend_tile is not None:
            self._cmp_tile(o.tile_rdata, self.pend_tile, at)
            self.hold_tile = self.pend_tile
        elif self.hold_tile is not None and o.tile_rdata is not None:
            self._cmp_tile(o.tile_rdata, self.hold_tile, at + " (held)")
            cov["hold_checks"] += 1
        if self.pend_rd is not None:
            exp, req = self.pend_rd
            assert o.rd_rdata == exp, \
                f"{at}: word read {req}: rtl {o.rd_rdata:#x} model {exp:#x}"
            self.hold_rd = self.pend_rd
        elif self.hold_rd is not None and o.rd_rdata is not None:
            assert o.rd_rdata == self.hold_rd[0], f"{at}: held word read {self.hold_rd[1]}"
            cov["hold_checks"] += 1
        # 2. grant rules
        assert o.put_gnt == int(not o.lanes), f"{at}: put_gnt_o {o.put_gnt} with lanes {o.lanes}"
        assert o.rd_gnt == int(o.tile is None), f"{at}: rd_gnt_o {o.rd_gnt}"
        cov["put_stall"] += bool(o.put_req and not o.put_gnt)
        cov["rd_stall"] += bool(o.rd_req and not o.rd_gnt)
        # 3. clr_i acts first; this cycle's reads see the contents before its writes
        if o.clr:
            self.m.clear()
            cov["clr"] += 1
        writes = [(a, w, d) for _, a, w, d in o.lanes] + ([o.put] if o.put else [])
        wset = {(a, w) for a, w, _ in writes}
        self.pend_tile = self.pend_rd = None
        if o.tile is not None or o.rd is not None:
            self.hold_tile = self.hold_rd = None
        if o.tile is not None:
            nt, w, col, nk = o.tile
            self.pend_tile = (self.m.tile(nt, w, nk, bool(col)), o.tile + (o.log2e,))
            cov["tile_reads"] += 1
            cov["tile_col"] += col
            ents = range(nt * c.NCOL, (nt + 1) * c.NCOL)
            gated = sum(1 for a in ents if a >= nk and self.m.written(a, w))
            nw = sum(1 for a in ents if a < nk and not self.m.written(a, w))
            cov["nk_gated"] += gated
            cov["never_written"] += nw
            cov["tile_mixed"] += bool(nw and any(a < nk and self.m.written(a, w) for a in ents))
            cov["rdw_same_word"] += any((a, w) in wset for a in ents)
        if o.rd is not None:
            a, w = o.rd
            self.pend_rd = (self.m.word(a, w), o.rd)
            cov["rd_reads"] += 1
            cov["rd_never_written"] += not self.m.written(a, w)
            cov["rdw_same_word"] += (a, w) in wset
        # 4. the writes (lanes and the granted put never share a cycle)
        cov["clr_with_write"] += bool(o.clr and writes)
        cov["clr_with_read"] += bool(o.clr and (o.tile or o.rd))
        for i, (a, w, d) in enumerate(writes):
            self.m.write(a, w, d)
            self.last_write[(a, w)] = (self.cycle, o.log2e, "put" if i >= len(o.lanes) else
                                       f"lane {o.lanes[i][0]}")
        cov["lane_words"] += len(o.lanes)
        cov["puts"] += o.put is not None
        self.cycle += 1

    def _cmp_tile(self, got: int, pend, at: str):
        exp, (nt, w, col, nk, log2e) = pend
        want = pack(exp, self.c.DW)
        if got != want:
            dm = (1 << self.c.DW) - 1
            bad = [i for i in range(self.c.NCOL) if (got >> (i * self.c.DW)) & dm != exp[i]]
            raise AssertionError(
                f"{at}: tile nt {nt} word {w} {'columns' if col else 'rows'} NK {nk} log2 E "
                f"{log2e}: words {bad} differ from the model (first: rtl "
                f"{(got >> (bad[0] * self.c.DW)) & dm:#x} model {exp[bad[0]]:#x}); last writes "
                f"(cycle, log2 E, port) of the tile's entries: "
                f"{[self.last_write.get((nt * self.c.NCOL + i, w)) for i in range(self.c.NCOL)]}")


class TB:
    def __init__(self, dut, p: dict, name: str):
        self.dut = dut
        self.c = Cfg(p)
        self.rng = random.Random(seed_of(name))
        self.drv = Driver(dut, self.c, self.rng)
        self.mon = Monitor(dut, self.c)
        self.sb = Scoreboard(self.c, random.Random(self.rng.random()))
        self.rounds = dict(token=0, interleaved=0, generic=0)
        cocotb.start_soon(Clock(dut.clk_i, 10, "ns").start())

    async def reset(self):
        d = self.dut
        for n in ("clr_i", "cfg_log2e_i", "cfg_nk_i", "lane_we_i", "lane_entry_i", "lane_word_i",
                  "lane_wdata_i", "put_req_i", "put_entry_i", "put_word_i", "put_wdata_i",
                  "tile_req_i", "tile_nt_i", "tile_word_i", "tile_col_i", "rd_req_i",
                  "rd_entry_i", "rd_word_i"):
            getattr(d, n).value = 0
        d.rst_ni.value = 0
        await ClockCycles(d.clk_i, 3)
        d.rst_ni.value = 1
        await ClockCycles(d.clk_i, 2)

    async def run(self):
        """Driver, monitor and scoreboard, one cycle per falling edge (forever)."""
        while True:
            await FallingEdge(self.dut.clk_i)
            self.drv.drive()
            wt, wr = self.sb.want_hold()
            await ReadOnly()
            self.drv.granted()
            self.sb.check(self.mon.sample(wt, wr))

    # ---- stimulus ------------------------------------------------------------------------------
    def rnd(self) -> int:
        return self.rng.getrandbits(self.c.DW)

    def kvld_layer(self, t: int, log2e: int, mode: str) -> list:
        """Beats of one KV-unit layer delivering entries 0..t-1 (arrival order)."""
        c, rng = self.c, self.rng
        e = 1 << log2e
        beats = []
        if mode == "interleaved":
            ep = share_words(log2e, c.P)
            for a in range(t):
                self.rounds["interleaved"] += 1
                for w in range(ep):
                    beats.append([(p, a, p * ep + w, self.rnd()) for p in range(c.P)])
        else:
            a = 0
            while a < t:
                k = rng.randint(1, min(c.L, t - a))
                lanes = sorted(rng.sample(range(c.L), k))
                self.rounds["token"] += 1
                for w in range(e):
                    beats.append([(ln, a + i, w, self.rnd()) for i, ln in enumerate(lanes)])
                a += k
        for b in beats:     # the conflict-freedom claim of the mapping, on every beat
            assert conflict_free([(a, w) for _, a, w, _ in b], log2e, c.P, c.NCOL), b
        return beats

    def generic_beats(self, n: int, log2e: int) -> list:
        """Arbitrary lane sets that the bank mapping makes conflict-free."""
        c, rng = self.c, self.rng
        beats = []
        for _ in range(n):
            k = rng.randint(1, c.L)
            used, pairs = set(), []
            while len(pairs) < k:
                a, w = rng.randrange(c.KT), rng.randrange(1 << log2e)
                b = bank(a, w, log2e, c.P, c.NCOL)
                if b not in used:
                    used.add(b)
                    pairs.append((a, w))
            lanes = rng.sample(range(c.L), k)
            beats.append([(ln, a, w, self.rnd()) for ln, (a, w) in zip(lanes, pairs)])
            self.rounds["generic"] += 1
        return beats

    async def drain(self, extra: int):
        while not self.drv.idle():
            await FallingEdge(self.dut.clk_i)
        await ClockCycles(self.dut.clk_i, extra)


# cocotb timeout per test (simulated us): KVSB_SESSIONS sessions of a few hundred cycles each at
# 10 ns
TIMEOUT_US = max(2000, 200 * env_int("KVSB_SESSIONS", 16))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_kvsb(dut):
    p = json.loads(os.environ["KVSB_PARAMS"])
    sessions = int(os.environ.get("KVSB_SESSIONS", "16"))
    tb = TB(dut, p, "kvsb")
    c, rng, drv = tb.c, tb.rng, tb.drv
    await tb.reset()
    cocotb.start_soon(tb.run())
    es_used = set()
    for s in range(sessions):
        # the round shape (the first three sessions take one each), then E from 1 word to
        # ENTRY_MAX (interleaved: E >= P). The first session runs on the reset state (E changes
        # without a clear while no word is valid); later ones clear with their E, or keep E and
        # the previous session's contents (stale words, overwritten in part)
        mode = ("token", "interleaved", "generic")[s] if s < 3 else \
            rng.choice(("token", "token", "interleaved", "generic"))
        lo = (c.P.bit_length() - 1) if mode == "interleaved" else 0
        if s == 0:
            log2e = drv.log2e = rng.randint(lo, c.LEM)
        else:
            log2e = rng.randint(lo, c.LEM) if rng.random() < 0.7 or drv.log2e < lo \
                else drv.log2e
            if log2e != drv.log2e or rng.random() < 0.7:
                drv.clear_to = log2e
        es_used.add(log2e)
        t = rng.choice([1, c.L - 1 or 1, c.NCOL, c.NCOL + 1, c.KT - 1, c.KT,
                        rng.randint(1, c.KT), rng.randint(1, c.KT)])
        t = min(t, c.KT)
        drv.nk_hint = t
        drv.gap = rng.choice([0.0, 0.0, 0.3, 0.7])
        drv.put_gap = rng.choice([0.0, 0.5])
        drv.p_tile = rng.choice([0.1, 0.3, 0.6])
        drv.p_rd = rng.choice([0.05, 0.2, 0.5])
        if mode == "generic":
            beats = tb.generic_beats(rng.randint(8, 40), log2e)
        else:
            beats = tb.kvld_layer(t, log2e, mode)
        # KVST.put: the whole entry t (decode: KVSB[T]) and random single words, queued with the
        # rounds (they wait while lanes write) or after them
        puts = []
        if t < c.KT:
            puts += [(t, w, tb.rnd()) for w in range(1 << log2e)]
        puts += [(rng.randrange(c.KT), rng.randrange(1 << log2e), tb.rnd())
                 for _ in range(rng.randint(0, 8))]
        drv.queue(beats)
        if rng.random() < 0.5:
            drv.puts.extend(puts)
            await tb.drain(4)
        else:
            await tb.drain(2)
            drv.puts.extend(puts)
            await tb.drain(2)
        # a clear in the middle of traffic (same E), sometimes together with writes
        if rng.random() < 0.15:
            drv.queue(tb.kvld_layer(min(t, c.L), log2e, "token"))
            drv.queue(tb.kvld_layer(min(t, c.L), log2e, "token"), clear_first=True)
        # reads only, over the tiles and NK boundaries
        await tb.drain(rng.randint(8, 30))
    cov = dict(tb.sb.cov, cycles=tb.sb.cycle, **tb.rounds)
    dut._log.info("kvsb matched the model: %s, E values %s", cov,
                  sorted(1 << x for x in es_used))
    if sessions >= 12:          # the stimulus must reach every case it is meant to reach
        for k, v in cov.items():
            assert v > 0, f"coverage: {k} never happened ({cov})"
    if sessions >= 40:
        assert es_used == set(range(c.LEM + 1)), f"E values {es_used}"


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_lane_conflict(dut):
    """Two lanes writing one bank in one cycle: the RTL assertion must flag it."""
    p = json.loads(os.environ["KVSB_PARAMS"])
    tb = TB(dut, p, "lane_conflict")
    c = tb.c
    await tb.reset()
    # any two words in one bank under E = 1 (cfg_log2e_i is 0 after reset)
    pairs = [(a, w) for a in range(c.KT) for w in range(c.EM)]
    x = tb.rng.choice(pairs)
    y = tb.rng.choice([q for q in pairs if q != x and
                       bank(*q, 0, c.P, c.NCOL) == bank(*x, 0, c.P, c.NCOL)])
    await FallingEdge(dut.clk_i)
    dut._log.info("lanes 0 and 1 write (entry, word) %s and %s", x, y)
    dut.lane_we_i.value = 0b11
    dut.lane_entry_i.value = x[0] | (y[0] << c.AW)
    dut.lane_word_i.value = x[1] | (y[1] << c.WW)
    await FallingEdge(dut.clk_i)
    dut.lane_we_i.value = 0
    await ClockCycles(dut.clk_i, 3)
