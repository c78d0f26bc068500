"""cocotb test of skipopu_npe_smax (online-softmax engine, docs/softmax.md) against model/npe.py:
softmax_update for every feature write-back, softmax_normalize for every P word, bit for bit.

Structure: one clocked loop per cycle calls, on the falling edge, the drivers (update stream,
normalise stream, output backpressure, feature reads) and then, once the combinational outputs
have settled (ReadOnly), the monitors (handshakes of the coming rising edge, write-back reports,
P words, read data). The scoreboard holds the model state and the expected queues; the expected
values are computed by model/npe.py before the simulation (batched over logical rows, one call
per tile index), and the per-row model state is tied back to softmax_features.

Timing rules checked exactly (from the documented pipeline, model/npe_units.py LATENCY):
  update: a word is accepted iff no word of its row was accepted in the last UpdPeriod - 1
          cycles; the write-back report comes UpdWr + 1 cycles after acceptance
  normalise: ready iff the output is not held and no update of its row was accepted in the
          last UpdWr cycles
  read port: data one cycle after rd_en_i, equal to the last write-back reported by then
Environment: SMAX_DATA_W, SMAX_ROWS, SMAX_ROWS_LOGICAL (logical rows in the random test),
SMAX_MAX_TILES, SMAX_GAP (input valid gap probability), SMAX_BP (output backpressure
probability), SMAX_RD (feature read probability per cycle), SMAX_TP_SCALE (length of the
throughput passes).
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly

from model import npe as N
from model import npe_units as U
from testparams import seed_of


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_float(name, default):
    return float(os.environ.get(name, default))


def pack(vals, width):
    w = 0
    for i, v in enumerate(vals):
        w |= (int(v) & ((1 << width) - 1)) << (width * i)
    return w


def unpack16(w, lanes):
    return [(w >> (16 * i)) & 0xFFFF for i in range(lanes)]


def bits16(v):
    return np.asarray(v, dtype=np.float64).astype(np.float16).view(np.uint16).astype(np.int64)


class Timing:
    """Pipeline figures of docs/softmax.md for `lanes` lanes."""

    def __init__(self, lanes):
        levels = lanes.bit_length() - 1
        self.upd_wr = 4 + U.LATENCY["exp"] + levels       # write-back stage
        self.upd_period = self.upd_wr - 2 + 1             # read at stage 2
        self.upd_done = self.upd_wr + 1                   # report the cycle after the write
        self.nrm_out = 2 + U.LATENCY["exp"] + 2           # P word registered


# ---------------------------------------------------------------------------------------------
# stimulus
# ---------------------------------------------------------------------------------------------
class RowGen:
    """Score tiles (FP16 bit patterns) and lane masks of one logical row, by kind."""

    KINDS = ["normal", "normal", "normal", "wide", "large", "small", "zeros", "ties",
             "neginf", "masked", "specials"]

    def __init__(self, rng: np.random.Generator, lanes: int):
        self.rng = rng
        self.lanes = lanes

    def scores(self, kind, t):
        r, n = self.rng, (t, self.lanes)
        if kind == "normal":
            v = r.standard_normal(n) * r.choice([0.3, 1.0, 3.0, 10.0]) + r.choice([0, 0, 5, -40])
        elif kind == "wide":                       # rows whose maximum moves a lot between tiles
            v = r.standard_normal(n) * 2 + r.uniform(-30, 30, (t, 1))
        elif kind == "large":
            v = r.choice([-1, 1], n) * np.exp(r.uniform(np.log(100), np.log(65000), n))
        elif kind == "small":                      # down to FP16 subnormals (DAZ: zeros)
            v = r.choice([-1, 1], n) * np.exp(r.uniform(np.log(1e-8), np.log(1e-2), n))
        elif kind == "zeros":                      # -0/+0 ties for the maximum
            v = r.choice([0.0, -0.0, -0.0, -1.0, -3.5], n)
        elif kind == "ties":                       # equal maxima within and across tiles
            v = r.choice([-2.0, -1.0, 0.0, 1.5, 3.0], n)
        else:
            v = r.standard_normal(n) * 4
        s = bits16(v)
        if kind == "neginf":                       # valid -Inf scores (dead lanes)
            s = np.where(r.random(n) < 0.4, N.NEG_INF16, s)
        if kind == "specials":                     # +Inf / NaN somewhere: the row goes NaN
            i, j = r.integers(0, t), r.integers(0, self.lanes)
            s[i, j] = r.choice([0x7C00, 0x7E00, 0xFE01])
        return s

    def masks(self, kind, t):
        r, m = self.rng, np.ones((t, self.lanes), dtype=bool)
        for j in range(t):
            u = r.random()
            if kind == "masked" or u < 0.1:
                m[j] = False                               # all-masked tile
            elif u < 0.35:
                m[j] = r.random(self.lanes) < r.choice([0.2, 0.5, 0.9])
            elif u < 0.45:
                m[j] = np.arange(self.lanes) <= r.integers(0, self.lanes)   # causal edge
        if kind == "masked" and r.random() < 0.5 and t > 1:
            m[r.integers(0, t)] = r.random(self.lanes) < 0.5   # a few live lanes somewhere
        return m

    def row(self):
        r = self.rng
        u = r.random()
        t = 1 if u < 0.2 else 2 if u < 0.3 else int(r.integers(1, MAX_TILES + 1))
        kind = r.choice(self.KINDS)
        s = self.scores(kind, t)
        m = self.masks(kind, t)
        # the normalise pass mostly uses the same mask, sometimes another one
        nm = m if r.random() < 0.8 else r.random(m.shape) < 0.7
        return kind, s, m, nm


MAX_TILES = env_int("SMAX_MAX_TILES", 12)


class Logical:
    """One logical row (a query row of one attention block) on a feature-RAM row (slot)."""

    def __init__(self, idx, slot, kind, s, m, nm):
        self.idx, self.slot, self.kind = idx, slot, kind
        self.s, self.m, self.nm = s, m, nm
        self.t = s.shape[0]
        self.exp_m = None          # [t] model features after each tile
        self.exp_l = None
        self.exp_p = None          # [t, lanes] model P of each normalise word
        self.nrm_next = 0


def precompute(rows: list[Logical], lanes: int):
    """Model features after every tile (softmax_update, batched over logical rows with the same
    tile count) and the model P words; ties the final state to softmax_features."""
    by_t: dict[int, list[Logical]] = {}
    for r in rows:
        by_t.setdefault(r.t, []).append(r)
    for t, grp in by_t.items():
        s = np.stack([r.s for r in grp])                # [n, t, lanes]
        v = np.stack([r.m for r in grp])
        n = len(grp)
        # stale RAM contents before the first tile: the first flag must replace them
        m = np.full(n, 0x3F800000, dtype=np.int64)
        l = np.full(n, 0x40000000, dtype=np.int64)
        ms, ls = np.empty((n, t), dtype=np.int64), np.empty((n, t), dtype=np.int64)
        for j in range(t):
            m, l = N.softmax_update(m, l, s[:, j], v[:, j], first=np.full(n, j == 0))
            ms[:, j], ls[:, j] = m, l
        fm, fl = N.softmax_features(s.reshape(n, -1), lanes, v.reshape(n, -1))
        assert np.array_equal(fm, m) and np.array_equal(fl, l), "softmax_update != features"
        for i, r in enumerate(grp):
            r.exp_m, r.exp_l = ms[i], ls[i]
            r.exp_p = N.softmax_normalize(r.s, np.full(t, m[i]), np.full(t, l[i]), lanes, r.nm)


def make_stream(rng: np.random.Generator, lanes: int, n_rows: int, n_logical: int,
                mode_list=("random", "bursty", "roundrobin", "sequential")):
    """Blocks of logical rows on alternating halves of the feature RAM (so normalising one
    block overlaps the updates of the next); sometimes two logical rows on one slot (restart).
    Returns (logical rows, update words (logical, tile) in stream order)."""
    gen = RowGen(rng, lanes)
    rows: list[Logical] = []
    words: list[tuple[Logical, int]] = []
    half = max(1, n_rows // 2)
    b = 0
    while len(rows) < n_logical:
        base = (b % 2) * half if n_rows >= 2 else 0
        k = int(rng.integers(1, half + 1))
        slots = [int(x) + base for x in rng.permutation(half)[:k]]
        per_slot = []
        for sl in slots:
            seq = []
            for _ in range(2 if rng.random() < 0.15 else 1):
                lr = Logical(len(rows), sl, *gen.row())
                rows.append(lr)
                seq += [(lr, j) for j in range(lr.t)]
            per_slot.append(seq)
        mode = mode_list[int(rng.integers(0, len(mode_list)))]
        if mode == "sequential":
            for seq in per_slot:
                words += seq
        elif mode == "roundrobin":
            while any(per_slot):
                for seq in per_slot:
                    if seq:
                        words.append(seq.pop(0))
        else:
            last = None
            while any(per_slot):
                live = [i for i, q in enumerate(per_slot) if q]
                i = last if (mode == "bursty" and last in live and rng.random() < 0.7) \
                    else live[int(rng.integers(0, len(live)))]
                words.append(per_slot[i].pop(0))
                last = i
        b += 1
    return rows, words


# ---------------------------------------------------------------------------------------------
# testbench
# ---------------------------------------------------------------------------------------------
class TB:
    def __init__(self, dut):
        self.dut = dut
        self.data_w = env_int("SMAX_DATA_W", 256)
        self.rows = env_int("SMAX_ROWS", 64)
        self.lanes = self.data_w // 16
        self.tm = Timing(self.lanes)
        self.cycle = 0
        cocotb.start_soon(Clock(dut.clk_i, 10, "ns").start())

    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        for s in ("upd_valid_i", "upd_row_i", "upd_first_i", "upd_data_i", "upd_mask_i",
                  "nrm_valid_i", "nrm_row_i", "nrm_data_i", "nrm_mask_i", "rd_en_i", "rd_row_i"):
            getattr(d, s).value = 0
        d.p_ready_i.value = 1
        await ClockCycles(d.clk_i, 3)
        d.rst_ni.value = 1
        await ClockCycles(d.clk_i, 2)


class UpdDriver:
    """Presents the update words in stream order with random valid gaps; holds a row's first
    word while the previous logical row on that slot still has normalise words to send."""

    def __init__(self, tb, words, gap, rng, sb):
        self.tb, self.words, self.gap, self.rng, self.sb = tb, words, gap, rng, sb
        self.i = 0
        self.valid = False

    def drive(self):
        d = self.tb.dut
        if not self.valid and self.i < len(self.words) and self.rng.random() >= self.gap:
            lr, j = self.words[self.i]
            if j == 0 and self.sb.nrm_pending.get(lr.slot):
                pass
            else:
                self.valid = True
                d.upd_row_i.value = lr.slot
                d.upd_first_i.value = int(j == 0)
                d.upd_data_i.value = pack(lr.s[j], 16)
                d.upd_mask_i.value = pack(lr.m[j], 1)
        d.upd_valid_i.value = int(self.valid)

    def sample(self, c):
        if not self.valid:
            return
        lr, j = self.words[self.i]
        ready = int(self.tb.dut.upd_ready_o.value)
        self.sb.check_upd_ready(c, lr.slot, ready)
        if ready:
            self.sb.upd_accepted(c, lr, j)
            self.valid = False
            self.i += 1

    @property
    def done(self):
        return self.i == len(self.words)


class NrmDriver:
    """Normalise words of completed logical rows, rows interleaved at random, words of a row in
    order, random valid gaps."""

    def __init__(self, tb, gap, rng, sb):
        self.tb, self.gap, self.rng, self.sb = tb, gap, rng, sb
        self.cur = None
        self.sent = 0

    def drive(self):
        d = self.tb.dut
        jobs = self.sb.nrm_jobs
        if self.cur is None and jobs and self.rng.random() >= self.gap:
            lr = jobs[int(self.rng.integers(0, len(jobs)))]
            self.cur = lr
            j = lr.nrm_next
            d.nrm_row_i.value = lr.slot
            d.nrm_data_i.value = pack(lr.s[j], 16)
            d.nrm_mask_i.value = pack(lr.nm[j], 1)
        d.nrm_valid_i.value = int(self.cur is not None)

    def sample(self, c):
        if self.cur is None:
            return
        ready = int(self.tb.dut.nrm_ready_o.value)
        self.sb.check_nrm_ready(c, self.cur.slot, ready)
        if ready:
            self.sb.nrm_accepted(c, self.cur)
            self.cur = None
            self.sent += 1


class Backpressure:
    def __init__(self, tb, prob, rng):
        self.tb, self.prob, self.rng = tb, prob, rng
        self.ready = 1

    def drive(self):
        # bursts: keep the previous value with probability 1/2
        if self.rng.random() < 0.5:
            self.ready = int(self.rng.random() >= self.prob)
        self.tb.dut.p_ready_i.value = self.ready


class Monitors:
    """Write-back reports, P words and read data, checked against the scoreboard's queues."""

    def __init__(self, tb, sb):
        self.tb, self.sb = tb, sb
        self.n_done = self.n_p = self.n_rd = 0

    def sample(self, c, p_ready):
        d = self.tb.dut
        if int(d.upd_done_o.value):
            got = (int(d.upd_done_row_o.value), int(d.upd_done_m_o.value),
                   int(d.upd_done_l_o.value))
            self.sb.check_done(c, got)
            self.n_done += 1
        if int(d.p_valid_o.value):
            if p_ready:
                self.sb.check_p(c, int(d.p_data_o.value))
                self.n_p += 1
        if int(d.rd_valid_o.value):
            self.sb.check_rd(c, int(d.rd_m_o.value), int(d.rd_l_o.value))
            self.n_rd += 1


class Scoreboard:
    def __init__(self, tb):
        self.tb = tb
        self.lanes = tb.lanes
        self.upd_acc: dict[int, int] = {}       # slot -> last acceptance cycle
        self.state: dict[int, tuple] = {}       # slot -> (logical, tile) of the last accepted
        self.exp_done: list = []                # (due cycle, slot, m, l)
        self.exp_p: list = []                   # (logical, word)
        self.nrm_jobs: list[Logical] = []
        self.nrm_pending: dict[int, int] = {}   # slot -> normalise words not yet accepted
        self.written: dict[int, list] = {}      # slot -> [(report cycle, m, l)]
        self.exp_rd = None
        self.p_held = False
        self.stall_cycles = 0

    # --- update stream
    def check_upd_ready(self, c, slot, ready):
        last = self.upd_acc.get(slot)
        want = int(last is None or c - last >= self.tb.tm.upd_period)
        assert ready == want, f"cycle {c}: upd_ready_o={ready} for row {slot}, expected {want} " \
                              f"(last word of the row accepted at {last})"
        self.stall_cycles += 1 - ready

    def upd_accepted(self, c, lr: Logical, j):
        self.upd_acc[lr.slot] = c
        self.state[lr.slot] = (lr, j)
        self.exp_done.append((c + self.tb.tm.upd_done, lr.slot, int(lr.exp_m[j]),
                              int(lr.exp_l[j])))
        if j == lr.t - 1:
            self.nrm_jobs.append(lr)
            self.nrm_pending[lr.slot] = self.nrm_pending.get(lr.slot, 0) + lr.t

    def check_done(self, c, got):
        assert self.exp_done, f"cycle {c}: unexpected write-back {got}"
        due, slot, m, l = self.exp_done.pop(0)
        assert c == due, f"cycle {c}: write-back of row {slot} due at {due}"
        assert got == (slot, m, l), f"cycle {c}: write-back row {got[0]} m={got[1]:08x} " \
                                    f"l={got[2]:08x}, model row {slot} m={m:08x} l={l:08x}"
        self.written.setdefault(slot, []).append((c, m, l))

    # --- normalise stream
    def check_nrm_ready(self, c, slot, ready):
        last = self.upd_acc.get(slot)
        hazard = last is not None and 1 <= c - last <= self.tb.tm.upd_wr
        want = int(not self.p_held and not hazard)
        assert ready == want, f"cycle {c}: nrm_ready_o={ready} for row {slot}, expected {want}"

    def nrm_accepted(self, c, lr: Logical):
        cur, j = self.state[lr.slot]
        assert cur is lr and j == lr.t - 1, "TB ordering: normalise before the row completed"
        self.exp_p.append((lr, lr.nrm_next))
        lr.nrm_next += 1
        self.nrm_pending[lr.slot] -= 1
        if lr.nrm_next == lr.t:
            self.nrm_jobs.remove(lr)

    def check_p(self, c, word):
        assert self.exp_p, f"cycle {c}: unexpected P word"
        lr, j = self.exp_p.pop(0)
        got = unpack16(word, self.lanes)
        want = [int(v) for v in lr.exp_p[j]]
        if got != want:
            bad = [i for i in range(self.lanes) if got[i] != want[i]]
            i = bad[0]
            raise AssertionError(
                f"cycle {c}: P word {j} of logical row {lr.idx} (row {lr.slot}, {lr.kind}): "
                f"{len(bad)} lanes differ, lane {i}: rtl {got[i]:04x} model {want[i]:04x} "
                f"(s={int(lr.s[j][i]):04x} live={bool(lr.nm[j][i])} m={int(lr.exp_m[-1]):08x} "
                f"l={int(lr.exp_l[-1]):08x})")

    # --- read port
    def rd_issue(self, c, slot):
        hist = [h for h in self.written.get(slot, []) if h[0] <= c]
        self.exp_rd = (c + 1, slot, hist[-1][1], hist[-1][2])

    def check_rd(self, c, m, l):
        assert self.exp_rd is not None, f"cycle {c}: unexpected rd_valid_o"
        due, slot, em, el = self.exp_rd
        assert c == due, f"cycle {c}: read data of row {slot} due at {due}"
        assert (m, l) == (em, el), f"cycle {c}: read row {slot}: rtl m={m:08x} l={l:08x}, " \
                                   f"last write-back m={em:08x} l={el:08x}"
        self.exp_rd = None


async def run_random(dut, n_logical, gap, bp, rd_prob, modes=None):
    tb = TB(dut)
    rng = np.random.default_rng(seed_of("smax", n_logical, gap, bp, rd_prob))
    rows, words = make_stream(rng, tb.lanes, tb.rows, n_logical,
                              **({"mode_list": modes} if modes else {}))
    precompute(rows, tb.lanes)
    sb = Scoreboard(tb)
    upd = UpdDriver(tb, words, gap, rng, sb)
    nrm = NrmDriver(tb, gap, rng, sb)
    bpd = Backpressure(tb, bp, rng)
    mon = Monitors(tb, sb)
    await tb.reset()
    d = dut
    c = 0
    rd_slot = None
    total_p = sum(r.t for r in rows)
    while True:
        await FallingEdge(d.clk_i)
        # ---- drive
        upd.drive()
        nrm.drive()
        bpd.drive()
        rd_slot = None
        if sb.written and rng.random() < rd_prob:
            rd_slot = list(sb.written)[int(rng.integers(0, len(sb.written)))]
        d.rd_en_i.value = int(rd_slot is not None)
        d.rd_row_i.value = rd_slot if rd_slot is not None else 0
        await ReadOnly()
        # ---- sample (handshakes of the coming rising edge)
        sb.p_held = bool(int(d.p_valid_o.value)) and not bpd.ready
        mon.sample(c, bpd.ready)
        if rd_slot is not None:
            sb.rd_issue(c, rd_slot)
        nrm.sample(c)                   # before upd: sees only updates of earlier cycles
        upd.sample(c)
        c += 1
        if upd.done and mon.n_p == total_p and not sb.exp_done and sb.exp_rd is None:
            break
        assert c < 200 * (len(words) + total_p) + 1000, "timeout"
    # final features of every slot through the read port
    await FallingEdge(d.clk_i)
    assert not int(d.upd_busy_o.value)
    final = {}
    for lr in rows:
        final[lr.slot] = lr
    for slot, lr in sorted(final.items()):
        d.rd_en_i.value = 1
        d.rd_row_i.value = slot
        await FallingEdge(d.clk_i)
        d.rd_en_i.value = 0
        await ReadOnly()
        got = (int(d.rd_m_o.value), int(d.rd_l_o.value))
        want = (int(lr.exp_m[-1]), int(lr.exp_l[-1]))
        assert got == want, f"final features of row {slot}: rtl {got[0]:08x} {got[1]:08x}, " \
                            f"model {want[0]:08x} {want[1]:08x}"
        await FallingEdge(d.clk_i)
    kinds = sorted({r.kind for r in rows})
    dut._log.info("smax: %d logical rows (%s), %d update words, %d P words, %d reads, %d "
                  "update stall cycles, %d cycles: all match the model", len(rows),
                  ",".join(kinds), len(words), mon.n_p, mon.n_rd, sb.stall_cycles, c)


# cocotb timeout per test (simulated us): SMAX_ROWS_LOGICAL rows of up to a few hundred update
# words each at 10 ns, with gaps and backpressure
TIMEOUT_US = max(5000, 50 * env_int("SMAX_ROWS_LOGICAL", 200))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_random(dut):
    """Random rows, interleavings, valid gaps, backpressure and feature reads."""
    await run_random(dut, env_int("SMAX_ROWS_LOGICAL", 200), env_float("SMAX_GAP", 0.2),
                     env_float("SMAX_BP", 0.3), env_float("SMAX_RD", 0.05))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_full_rate(dut):
    """No gaps, no backpressure: the same checks at full input rate."""
    await run_random(dut, max(8, env_int("SMAX_ROWS_LOGICAL", 200) // 4), 0.0, 0.0, 0.0,
                     modes=("random", "roundrobin"))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_throughput(dut):
    """Update rate with k rows in round robin (k = 1, 2, 4, ... ROWS) and the normalise rate,
    no gaps and no backpressure; the cycles are asserted against the stall rule (words of one
    row UpdPeriod cycles apart) and printed (docs/softmax.md)."""
    tb = TB(dut)
    d = dut
    tm = tb.tm
    rng = np.random.default_rng(seed_of("smax_throughput"))
    await tb.reset()
    lanes = tb.lanes
    lines = []
    k = 1
    while k <= tb.rows:
        n_per = max(3, (env_int("SMAX_TP_SCALE", 4) * tm.upd_period) // k)
        n = k * n_per
        s = bits16(rng.standard_normal((n, lanes)) * 3)
        order = [(i % k, i // k) for i in range(n)]      # (row, tile)
        acc = []
        i = 0
        c = 0
        while i < n:
            await FallingEdge(d.clk_i)
            r, j = order[i]
            d.upd_valid_i.value = 1
            d.upd_row_i.value = r
            d.upd_first_i.value = int(j == 0)
            d.upd_data_i.value = pack(s[i], 16)
            d.upd_mask_i.value = (1 << lanes) - 1
            await ReadOnly()
            if int(d.upd_ready_o.value):
                acc.append(c)
                i += 1
            c += 1
        await FallingEdge(d.clk_i)
        d.upd_valid_i.value = 0
        cycles = acc[-1] - acc[0] + 1
        want = n if k >= tm.upd_period else (n_per - 1) * tm.upd_period + k
        assert cycles == want, f"{k} rows: {n} words in {cycles} cycles, expected {want}"
        # the features are the model's
        while int(d.upd_busy_o.value):
            await FallingEdge(d.clk_i)
        sv = s.reshape(n_per, k, lanes).transpose(1, 0, 2).reshape(k, -1)
        fm, fl = N.softmax_features(sv, lanes)
        for r in range(k):
            d.rd_en_i.value = 1
            d.rd_row_i.value = r
            await FallingEdge(d.clk_i)
            d.rd_en_i.value = 0
            assert (int(d.rd_m_o.value), int(d.rd_l_o.value)) == (int(fm[r]), int(fl[r]))
        lines.append(f"smax-throughput DATA_W={tb.data_w} update rows={k}: {n} words in "
                     f"{cycles} cycles = {n / cycles:.3f} words/cycle")
        k *= 2
    # normalise: n words back to back, no backpressure; latency = first P - first accept
    n = 16 * env_int("SMAX_TP_SCALE", 4)
    s = bits16(rng.standard_normal((n, lanes)) * 3)
    rows_n = rng.integers(0, min(tb.rows, 8), n)
    first_acc = None
    outs = []
    i = c = 0
    while len(outs) < n:
        await FallingEdge(d.clk_i)
        d.nrm_valid_i.value = int(i < n)
        if i < n:
            d.nrm_row_i.value = int(rows_n[i])
            d.nrm_data_i.value = pack(s[i], 16)
            d.nrm_mask_i.value = (1 << lanes) - 1
        await ReadOnly()
        if int(d.p_valid_o.value):
            outs.append((c, int(d.p_data_o.value)))
        if i < n and int(d.nrm_ready_o.value):
            if first_acc is None:
                first_acc = c
            i += 1
        c += 1
    await FallingEdge(d.clk_i)
    d.nrm_valid_i.value = 0
    lat = outs[0][0] - first_acc
    span = outs[-1][0] - outs[0][0] + 1
    assert lat == tm.nrm_out and span == n, (lat, span)
    # model P with the features of rows 0..7 left by the k = 8 (or largest) pass
    for (cc, w), i in zip(outs, range(n)):
        r = int(rows_n[i])
        d.rd_en_i.value = 1
        d.rd_row_i.value = r
        await FallingEdge(d.clk_i)
        d.rd_en_i.value = 0
        m, l = int(d.rd_m_o.value), int(d.rd_l_o.value)
        want = N.softmax_normalize(s[i:i + 1], np.array([m]), np.array([l]), lanes)[0]
        assert unpack16(w, lanes) == [int(v) for v in want], f"P word {i}"
    lines.append(f"smax-throughput DATA_W={tb.data_w} normalise: {n} words in {span} cycles "
                 f"= {n / span:.3f} words/cycle, latency {lat} cycles")
    lines.append(f"smax-latency DATA_W={tb.data_w} update accept -> upd_done_o "
                 f"{tm.upd_done} cycles, same-row period {tm.upd_period} cycles")
    for ln in lines:
        dut._log.info(ln)
    out = os.environ.get("SMAX_BENCH_OUT")
    if out:
        with open(out, "a") as f:
            f.write("\n".join(lines) + "\n")
