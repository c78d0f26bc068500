"""cocotb tests of the KV read unit (rtl/skipopu_kv_unit.sv: scheduler + reader + invariance
buffer) on timing-aware HBM ports (tb/hbm_model.py), optionally behind the asynchronous chunk
FIFOs (rtl/skipopu_axi_cdc.sv) with the HBM ports on their own clock.

Scoreboard: for every decode step the expected output is built from model/kv.py alone: the
schedule (a ``KvSession`` fed the layer commands the testbench drives, checked equal to
``KvScheduler.schedule``) gives the rounds, the mapping (``KvMap`` with entry_bytes = E * DATA_W/8
for the run-time entry size E = 2^cfg_log2e_i) where every entry lies; the entries are random
bytes written into the HBM backing store. Every output beat is compared lane by lane (valid
lanes, token, word index, data, round/layer ends); buffer lanes can only be right if the keeps
wrote the right words into the right slots. The entries in the order they leave the unit (round
by round, lane order) must be ``arrival_order`` of the model (the core's KVSB entry numbering).
The unit's word counters are checked against the schedule, and every HBM port's R beats and AR
bursts against the entries the model reads from it (E or E/P words each, bursts of at most
MAX_BURST words).

* ``test_kv_unit``: random steps (masks, skip rates, attention patterns, token counts, buffer
  on/off, token-wise/interleaved, PartialSkip/reuse, entry size E <= ENTRY_WORDS) with random
  output backpressure. The first steps cover every (E < ENTRY_WORDS or E = ENTRY_WORDS) x
  mapping x buffer on/off combination; ``KV_LOG2E`` (comma list) restricts E to given values.
* ``test_kv_errors``: an SLVERR window on one port's KV region (entry size ``KV_LOG2E`` or
  ENTRY_WORDS): the affected lane words carry out_err, err_o rises, nothing hangs, the other
  words stay right.
* ``test_kv_bench``: the bandwidth microbenchmark (interleaved vs token-wise vs token-wise +
  invariance buffer): cycles, HBM efficiency and effective KV throughput per configuration,
  written as a markdown table to ``KV_BENCH_OUT`` when set.

Environment: KV_PARAMS (json: RTL parameters + CDC, CORE_PS, HBM_PS), KV_STEPS, KV_LOG2E,
KV_BENCH (json).
"""

from __future__ import annotations

import json
import os
import random
import time

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge
from types import SimpleNamespace

from cocotbext.axi import AxiReadBus

from hbm_model import HbmConfig, HbmMemory, HbmPort, _reader
from model import kv as K
from testparams import env_int, seed_of

PC = 256 << 20
KV_OFF = 1 << 20


def bits(mask) -> int:
    return int("".join("1" if b else "0" for b in mask[::-1]) or "0", 2)


class TB:
    def __init__(self, dut, p: dict):
        self.dut = dut
        self.p = p
        self.P = p["NUM_PORTS"]
        self.R = p["BUF_RD"]
        self.L = self.P + self.R
        self.DW = p["DATA_W"]
        self.WB = self.DW // 8
        self.EW = p["ENTRY_WORDS"]
        self.LE = self.EW.bit_length() - 1            # log2 ENTRY_WORDS
        self.LP = self.P.bit_length() - 1             # log2 NUM_PORTS
        self.TW = (p["MAX_TOKENS"] - 1).bit_length()
        self.EWW = max(1, (self.EW - 1).bit_length())
        self.cdc = bool(p.get("CDC", 0))
        self.core_ps = p.get("CORE_PS", 4444)
        self.hbm_ps = p.get("HBM_PS", 2222) if self.cdc else self.core_ps
        cocotb.start_soon(Clock(dut.clk_i, self.core_ps, "ps").start())
        if self.cdc:
            cocotb.start_soon(Clock(dut.hbm_clk_i, self.hbm_ps, "ps").start())
        hbm_clk = dut.hbm_clk_i if self.cdc else dut.clk_i
        hbm_rst = dut.hbm_rst_ni if self.cdc else dut.rst_ni
        bb = self.WB // 2 if self.cdc else self.WB
        self.memory = HbmMemory(size=8 << 30, cfg=HbmConfig(clk_ns=self.hbm_ps / 1000,
                                                            beat_bytes=bb))
        self.ports = [HbmPort(SimpleNamespace(read=AxiReadBus.from_prefix(dut, f"m_axi{q}"), write=None),
                              hbm_clk, hbm_rst,
                              reset_active_level=False, memory=self.memory, home_pc=q,
                              seed=q) for q in range(self.P)]
        self.bases = tuple(q * PC + KV_OFF for q in range(self.P))
        dut.cfg_base_i.value = sum(b << (q * p["ADDR_W"]) for q, b in enumerate(self.bases))
        self.stall = 0.0
        self.ready_now = 1
        self.cycle = 0
        # fast readers
        self.r_valid = _reader(dut.out_valid_o)
        self.r_cmd_ready = _reader(dut.cmd_ready_o)

    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        if self.cdc:
            d.hbm_rst_ni.value = 0
        for s in ("clr_i", "step_start_i", "cmd_valid_i", "cfg_interleaved_i"):
            getattr(d, s).value = 0
        d.cfg_log2e_i.value = self.LE
        d.out_ready_i.value = 1
        await ClockCycles(d.clk_i, 4)
        d.rst_ni.value = 1
        if self.cdc:
            d.hbm_rst_ni.value = 1
        await ClockCycles(d.clk_i, 4)

    async def drive_ready(self, rng: random.Random):
        d = self.dut
        while True:
            await FallingEdge(d.clk_i)
            self.ready_now = int(rng.random() >= self.stall)
            d.out_ready_i.value = self.ready_now

    async def count_cycles(self):
        while True:
            await RisingEdge(self.dut.clk_i)
            self.cycle += 1

    # ---- one decode step --------------------------------------------------------------------
    def fill(self, kvmap: K.KvMap, w: np.ndarray, rng: np.random.Generator) -> dict:
        """Random contents for every stored entry, written where the mapping puts it."""
        ent = {}
        n_l, n_t = w.shape
        eb = kvmap.entry_bytes
        for l in range(n_l):
            for t in range(n_t):
                if w[l, t]:
                    data = rng.integers(0, 256, eb, dtype=np.uint8).tobytes()
                    ent[(l, t)] = data
                    off = 0
                    for _, addr, n in kvmap.locate(w, l, t):
                        self.memory.write(addr, data[off:off + n])
                        off += n
        return ent

    def expected(self, scheds, ent, inter: bool, ew: int) -> list:
        """Expected beats of ew-word entries: (lane mask, {lane: (token, word)}, data int,
        round_last, layer_last)."""
        P, WB, DW = self.P, self.WB, self.DW
        nb = ew // P if inter else ew
        out = []
        for s in scheds:
            for ri, rnd in enumerate(s.rounds):
                for wd in range(nb):
                    lanes = {}
                    for f in rnd:
                        e = ent[(f.layer, f.token)]
                        if f.source == "hbm":
                            tgt = [(q, q * nb + wd) for q in range(P)] if inter else \
                                [(f.port, wd)]
                        else:
                            tgt = [(P + f.port, wd)]
                        for lane, word in tgt:
                            lanes[lane] = (f.token, word, e[word * WB:(word + 1) * WB])
                    mask = sum(1 << ln for ln in lanes)
                    data = sum(int.from_bytes(v[2], "little") << (ln * DW)
                               for ln, v in lanes.items())
                    out.append((mask, {ln: v[:2] for ln, v in lanes.items()}, data,
                                wd == nb - 1, wd == nb - 1 and ri == len(s.rounds) - 1))
        return out

    async def step(self, e, cur, buf_en: bool, inter: bool, mode: str, rng, timeout=20000,
                   log2e: int | None = None):
        """Run one decode step with entries of E = 2^log2e words (default ENTRY_WORDS); returns
        (cycles, errors seen per lane word, counters)."""
        d = self.dut
        p = self.p
        P = self.P
        log2e = self.LE if log2e is None else log2e
        ew = 1 << log2e
        assert ew <= self.EW and (not inter or ew >= P), (ew, inter)
        n_l, n_t = e.shape
        kvmap = K.KvMap(ports=P, entry_bytes=ew * self.WB, max_tokens=p["MAX_TOKENS"],
                        layers=n_l, mapping="interleaved" if inter else "token",
                        port_base=self.bases)
        buf = K.BufferConfig(capacity=p["CAPACITY"], read_ports=self.R,
                             write_ports=p["BUF_WR"], enabled=buf_en)
        w = K.writes(e, mode)
        ent = self.fill(kvmap, w, rng)
        # the reference: a KvSession fed exactly the layer commands driven below
        sess = K.KvSession(kvmap, buf)
        sch = []
        for l in range(n_l):
            nxt = l + 1 < n_l
            s = sess.layer(l, n_t, w[l], w[l + 1] if nxt else np.zeros(n_t, bool), nxt,
                           bool(cur[l]))
            if s is not None:
                sch.append(s)
        assert sch == K.KvScheduler(kvmap, buf, mode).schedule(e, cur), \
            "KvSession and KvScheduler disagree"
        exp = self.expected(sch, ent, inter, ew)
        arrival = [f.token for s in sch for f in K.arrival_order(s, P)]
        # per port: R beats (E or E/P words per HBM entry) and AR bursts the model implies
        # (the core's BYTES_RD counts the R beats)
        mb = p["MAX_BURST"]
        want_r, want_ar = [0] * P, [0] * P
        for s in sch:
            for r in s.rounds:
                for f in r:
                    if f.source != "hbm":
                        continue
                    for q, _, nbytes in kvmap.locate(w, f.layer, f.token) if inter else \
                            [(f.port, 0, ew * self.WB)]:
                        want_r[q] += nbytes // self.WB
                        want_ar[q] += -(-(nbytes // self.WB) // mb)
        beat_div = 2 if self.cdc else 1            # the HBM side runs at DATA_W / 2
        r0 = [pt.stats.r_beats for pt in self.ports]
        ar0 = [pt.stats.ar for pt in self.ports]
        self.inter = inter
        await FallingEdge(d.clk_i)
        d.cfg_interleaved_i.value = int(inter)
        d.cfg_log2e_i.value = log2e
        d.clr_i.value = 1
        d.step_start_i.value = 1
        await FallingEdge(d.clk_i)
        d.clr_i.value = 0
        d.step_start_i.value = 0
        t0 = self.cycle
        mon = cocotb.start_soon(self.monitor(exp, timeout))
        for l in range(n_l):
            while not self.r_cmd_ready():
                await FallingEdge(d.clk_i)
            d.cmd_tokens_i.value = n_t
            d.cmd_exec_i.value = bits(w[l])
            d.cmd_exec_next_i.value = bits(w[l + 1]) if l + 1 < n_l else 0
            d.cmd_has_next_i.value = int(l + 1 < n_l)
            d.cmd_attend_i.value = int(cur[l])
            d.cmd_buf_en_i.value = int(buf_en)
            d.cmd_layer_i.value = l
            d.cmd_valid_i.value = 1
            await FallingEdge(d.clk_i)
            d.cmd_valid_i.value = 0
        errs, got_order = await mon
        cycles = self.last_beat - t0
        # trailing layers without attention still walk the tokens (source update)
        for _ in range(4 * p["MAX_TOKENS"]):
            if self.r_cmd_ready():
                break
            await RisingEdge(d.clk_i)
        await ClockCycles(d.clk_i, 4)
        if d.busy_o.value:
            try:                    # internal signals are VPI-visible only with SIM_PUBLIC=1
                rd = d.u_unit.u_rd
                state = {n: str(getattr(rd, n).value) for n in (
                    "cur_valid_q", "lclose_q", "rf_valid", "out_valid_q", "port_busy")}
            except AttributeError:
                state = {"internals": "not visible (rerun with SIM_PUBLIC=1)"}
            state["cmd_ready"] = str(d.cmd_ready_o.value)
            raise AssertionError(f"unit still busy after the last expected beat: {state}")
        hbm = sum(1 for s in sch for r in s.rounds for f in r if f.source == "hbm")
        nbuf = sum(1 for s in sch for r in s.rounds for f in r if f.source == "buf")
        keeps = sum(1 for s in sch for r in s.rounds for f in r if f.keep)
        got = (int(d.stat_hbm_words_o.value), int(d.stat_buf_words_o.value),
               int(d.stat_keep_words_o.value))
        want = (hbm * ew, nbuf * ew, keeps * ew)
        assert got == want, f"word counters (hbm, buf, keep) rtl {got} model {want}"
        assert got_order == arrival, "entries left the unit out of the model's arrival_order"
        got_r = [(pt.stats.r_beats - a) // beat_div for pt, a in zip(self.ports, r0)]
        got_ar = [pt.stats.ar - a for pt, a in zip(self.ports, ar0)]
        assert got_r == want_r, f"R words per port: rtl {got_r}, model {want_r}"
        assert got_ar == want_ar, f"AR bursts per port: rtl {got_ar}, expected {want_ar}"
        return cycles, errs, {"hbm_entries": hbm, "buf_entries": nbuf, "keeps": keeps,
                              "rounds": sum(len(s.rounds) for s in sch),
                              "case1": sum(s.case == 1 for s in sch),
                              "layers": len(sch)}

    async def monitor(self, exp: list, timeout: int) -> list:
        d = self.dut
        L, TW, EWW, DW = self.L, self.TW, self.EWW, self.DW
        lv, tok, word = d.out_lane_valid_o, d.out_lane_token_o, d.out_lane_word_o
        data, err, rl, ll = d.out_data_o, d.out_err_o, d.out_round_last_o, d.out_layer_last_o
        i, idle, errs, order, rstart = 0, 0, [], [], True
        while i < len(exp):
            await RisingEdge(d.clk_i)
            if not (self.r_valid() and self.ready_now):
                idle += 1
                if idle > timeout:
                    raise AssertionError(f"no output for {timeout} cycles at beat {i} of "
                                         f"{len(exp)}")
                continue
            idle = 0
            mask, lanes, dexp, rlast, llast = exp[i]
            gm = int(lv.value)
            where = f"beat {i}"
            assert gm == mask, f"{where}: lane valid {gm:b}, model {mask:b}"
            gt, gw = int(tok.value), int(word.value)
            for ln, (t, wd) in lanes.items():
                got = ((gt >> (ln * TW)) & ((1 << TW) - 1), (gw >> (ln * EWW)) & ((1 << EWW) - 1))
                assert got == (t, wd), f"{where} lane {ln}: (token, word) {got}, model {(t, wd)}"
            ge = int(err.value)
            full = (1 << DW) - 1
            gs = str(data.value)              # MSB first; idle lanes may hold X (Icarus)
            n = len(gs)
            for ln in lanes:
                if (ge >> ln) & 1:
                    errs.append((i, ln))
                    continue
                lane_bits = gs[n - (ln + 1) * DW:n - ln * DW]
                assert set(lane_bits) <= {"0", "1"}, f"{where} lane {ln}: X/Z in the data"
                g = int(lane_bits, 2)
                x = (dexp >> (ln * DW)) & full
                assert g == x, f"{where} lane {ln} token {lanes[ln][0]} word {lanes[ln][1]}: " \
                    f"data differs from the model (xor {g ^ x:#x})"
            assert (int(rl.value), int(ll.value)) == (int(rlast), int(llast)), \
                f"{where}: round/layer last {(int(rl.value), int(ll.value))}, " \
                f"model {(int(rlast), int(llast))}"
            if rstart:                         # a round's entries in lane order (interleaved:
                lns = [0] if self.inter else \
                    [ln for ln in range(L) if (gm >> ln) & 1]   # one entry on all HBM lanes)
                order += [(gt >> (ln * TW)) & ((1 << TW) - 1) for ln in lns]
            rstart = bool(int(rl.value))
            i += 1
            self.last_beat = self.cycle
        return errs, order


def random_step(rng: random.Random, nprng, p: dict):
    m = p["MAX_TOKENS"]
    n_t = rng.choice([1, p["NUM_PORTS"] - 1 or 1, m, m, rng.randint(m // 2, m), rng.randint(1, m)])
    n_l = rng.randint(2, 6)
    skip = rng.choice([0.1, 0.25, 0.5, 0.8])
    e = nprng.random((n_l, n_t)) >= skip
    e[0] = True
    cur = nprng.random(n_l) >= rng.choice([0.0, 0.0, 0.3])
    cur[0] = True
    return e, cur


def log2e_choices(tb: TB, inter: bool) -> list[int]:
    """Entry sizes (log2) allowed for a step: KV_LOG2E if given, else 0 .. log2 ENTRY_WORDS;
    interleaved needs E >= NUM_PORTS, and model/kv.py KvMap also wants a share of a multiple of
    32 bytes per port (always true at DATA_W >= 256; the small-DATA_W configurations here lose
    their smallest interleaved E)."""
    env = os.environ.get("KV_LOG2E")
    allowed = [int(x) for x in env.split(",")] if env else list(range(tb.LE + 1))
    return [x for x in allowed if x <= tb.LE and
            (not inter or (x >= tb.LP and ((1 << x) * tb.WB) % (tb.P * 32) == 0))]


def step_plan(tb: TB, rng: random.Random, steps: int) -> list[tuple[int, bool, bool]]:
    """(log2 E, interleaved, buffer enable) per step: first one step per (E < ENTRY_WORDS or
    E = ENTRY_WORDS) x mapping x buffer combination that the parameters allow (the most telling
    ones first, for the short Icarus run), then random (E = ENTRY_WORDS half the time)."""
    cover = []
    for small, inter, buf_en in ((1, 0, 1), (1, 1, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0),
                                 (0, 0, 0), (1, 1, 1), (0, 1, 1)):
        ch = [x for x in log2e_choices(tb, bool(inter)) if (x < tb.LE) == bool(small)]
        if ch:
            cover.append((rng.choice(ch), bool(inter), bool(buf_en)))
    plan = cover[:steps]
    while len(plan) < steps:
        inter = rng.random() < 0.25
        ch = log2e_choices(tb, inter)
        lg = tb.LE if tb.LE in ch and rng.random() < 0.5 else rng.choice(ch)
        plan.append((lg, inter, rng.random() < 0.8))
    return plan


# cocotb timeout per test (simulated us): KV_STEPS decode steps of KV reads on HBM ports (8 took
# 65 us); the bench runs a fixed set of read schedules
TIMEOUT_US = max(5000, 400 * env_int("KV_STEPS", 8))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_kv_unit(dut):
    p = json.loads(os.environ["KV_PARAMS"])
    tb = TB(dut, p)
    rng = random.Random(seed_of("kv_unit"))
    nprng = np.random.default_rng(seed_of("kv_unit"))
    await tb.reset()
    cocotb.start_soon(tb.count_cycles())
    cocotb.start_soon(tb.drive_ready(rng))
    steps = int(os.environ.get("KV_STEPS", "8"))
    tot = {"beats_layers": 0, "case1": 0, "buf_entries": 0, "keeps": 0, "interleaved": 0}
    seen = set()
    t_wall = time.time()
    for s, (log2e, inter, buf_en) in enumerate(step_plan(tb, rng, steps)):
        tb.stall = rng.choice([0.0, 0.0, 0.2, 0.6])
        e, cur = random_step(rng, nprng, p)
        mode = rng.choice(["reuse", "reuse", "partial"])
        cycles, errs, st = await tb.step(e, cur, buf_en, inter, mode, nprng, log2e=log2e)
        assert not errs, f"unexpected AXI errors {errs[:4]}"
        assert not dut.err_o.value
        seen.add((log2e < tb.LE, inter, buf_en))
        dut._log.info("step %d: %d layers x %d tokens, E=%d %s %s buf=%d stall=%.1f: %d cycles, "
                      "%s", s, *e.shape, 1 << log2e, mode,
                      "interleaved" if inter else "token-wise", buf_en, tb.stall, cycles, st)
        tot["beats_layers"] += st["layers"]
        tot["case1"] += st["case1"]
        tot["buf_entries"] += st["buf_entries"]
        tot["keeps"] += st["keeps"]
        tot["interleaved"] += inter
    dut._log.info("matched the model on %d steps in %.1f s: %s; (E < ENTRY_WORDS, interleaved, "
                  "buffer) covered: %s", steps, time.time() - t_wall, tot, sorted(seen))
    if steps >= 8:
        assert tot["buf_entries"] and tot["keeps"] and tot["case1"], tot
        want = {(sm, it, b) for sm in (False, True) for it in (False, True) for b in (False, True)
                if any((x < tb.LE) == sm for x in log2e_choices(tb, it))}
        assert seen >= want, f"combinations not run: {sorted(want - seen)}"


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_kv_errors(dut):
    p = json.loads(os.environ["KV_PARAMS"])
    tb = TB(dut, p)
    rng = random.Random(seed_of("kv_errors"))
    nprng = np.random.default_rng(seed_of("kv_errors"))
    await tb.reset()
    cocotb.start_soon(tb.count_cycles())
    q = rng.randrange(tb.P)
    log2e = rng.choice(log2e_choices(tb, False))
    ew = 1 << log2e
    eb = ew * tb.WB
    lo = tb.bases[q] + eb                              # slot 1 of layer 0 on port q
    tb.ports[q].add_read_error(lo, lo + eb)
    n_t = p["MAX_TOKENS"]
    e = np.ones((2, n_t), dtype=bool)
    cur = np.ones(2, dtype=bool)
    _, errs, _ = await tb.step(e, cur, False, False, "reuse", nprng, log2e=log2e)
    # layer 0, rank P + q on port q is slot 1: token P + q; all its words, nothing else
    want_token = tb.P + q
    got_lanes = {ln for _, ln in errs}
    assert len(errs) == ew and got_lanes == {q}, f"errors at {errs}, want lane {q} x {ew}"
    assert dut.err_o.value == 1
    dut._log.info("SLVERR on port %d (token %d, E=%d): %d lane words flagged, err_o set, no hang",
                  q, want_token, ew, len(errs))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_kv_bench(dut):
    """KV-read microbenchmark: one decode step per configuration on the same masks."""
    p = json.loads(os.environ["KV_PARAMS"])
    b = json.loads(os.environ.get("KV_BENCH", "{}"))
    if not b:
        return
    tb = TB(dut, p)
    nprng = np.random.default_rng(b.get("seed", 2024))
    await tb.reset()
    cocotb.start_soon(tb.count_cycles())
    n_l, n_t, skip = b["layers"], b["tokens"], b["skip"]
    e = nprng.random((n_l, n_t)) >= skip
    e[0] = True
    cur = np.ones(n_l, dtype=bool)
    cur[1:] = nprng.random(n_l - 1) >= b.get("attn_skip", 0.0)
    rows = []
    peak = tb.P * tb.WB                                   # HBM bytes per core cycle, all ports
    for name, inter, buf_en, mode in (("interleaved", True, False, "reuse"),
                                      ("token-wise", False, False, "reuse"),
                                      ("token-wise + invariance buffer", False, True, "reuse"),
                                      ("token-wise, PartialSkip (no reuse)", False, False,
                                       "partial")):
        t0 = time.time()
        cycles, errs, st = await tb.step(e, cur, buf_en, inter, mode, nprng, timeout=200000)
        assert not errs
        hbm_b = st["hbm_entries"] * tb.EW * tb.WB
        buf_b = st["buf_entries"] * tb.EW * tb.WB
        rows.append((name, st["layers"], st["case1"], st["rounds"], st["hbm_entries"],
                     st["buf_entries"], cycles, hbm_b / (cycles * peak),
                     (hbm_b + buf_b) / (cycles * peak)))
        dut._log.info("%s: %d cycles (%.1f s wall), %s", name, cycles, time.time() - t0, st)
    hdr = ("| mapping | attended layers | Case-1 layers | rounds | HBM entries | buffer entries "
           "| core cycles | HBM bandwidth efficiency | KV delivered / HBM peak |\n"
           "|---|---|---|---|---|---|---|---|---|")
    lines = [hdr] + [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | "
                     f"{100 * r[7]:.1f}% | {100 * r[8]:.1f}% |" for r in rows]
    text = "\n".join(lines)
    dut._log.info("KV read microbenchmark\n%s", text)
    out = os.environ.get("KV_BENCH_OUT")
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
