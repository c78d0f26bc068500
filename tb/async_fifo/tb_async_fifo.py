"""cocotb tests of skipopu_async_fifo, the dual-clock FIFO.

One cocotb test per clock ratio (``RATIOS``: write faster, read faster, 2:1 exactly as HBM/core
with coincident edges and with a phase offset, 7:3 both ways, near-equal clocks whose phase drifts
through every relation); each runs a sequence of traffic phases (no pauses, random idle and/or
backpressure, bursty pauses, a fill to full and drain to empty) and two resets of both domains in
the middle of traffic.

The ``TB`` drives both clocks (cocotb ``Clock``), a write-side source (``wr_valid_i`` after random
idle, valid and data held until accepted) and a read-side sink (random ``rd_ready_i``). Each side
runs one coroutine: after a rising edge it commits the handshake sampled before that edge, drives
its inputs, then samples the outputs in ``ReadOnly`` and checks them:

* write side: ``wr_ready_o == (wr_count_o != DEPTH)``; ``stored <= wr_count_o <= DEPTH`` (upper
  bound); ``wr_ready_o`` falls only on an edge that took a write; in reset ``wr_ready_o`` and
  ``wr_count_o`` are 0;
* read side: ``rd_valid_o == (rd_count_o != 0)``; ``rd_count_o <= stored`` (lower bound);
  ``rd_valid_o`` held and ``rd_data_o`` stable until taken; in reset ``rd_valid_o`` and
  ``rd_count_o`` are 0;

where ``stored`` = writes - reads committed since the last reset (the true occupancy).

Scoreboard: every write is appended to the expected queue; every read must equal its head (so no
loss, duplication or reordering), with data that changes with every item (a sequence number, plus
random bits on wide entries). Full never loses a write: a write is accepted only while fewer than
DEPTH entries are stored (and then the data check catches an overwritten entry), and the write
into a slot comes at least SYNC_STAGES + 1 write periods after the read that freed it. Empty never
produces a read: a read needs a stored entry written at least SYNC_STAGES + 1 read periods
earlier. At the end of each phase the FIFO must drain and settle to exact counts; the fill phase
checks the whole DEPTH is usable; the no-pause phase measures throughput against the slower clock.

Resets: both resets fall together at a time that is no clock edge (as one source through
skipopu_rst_sync per domain); outputs must go to reset at once, without a clock edge. They rise
one after the other (random order and skew), a little after an edge of their own clock. The
scoreboard is emptied at the fall: nothing written before may come out afterwards.

Environment (set by test_async_fifo.py): SYNC_STAGES, ASYNC_FIFO_ITEMS (items per phase).
"""

from __future__ import annotations

import logging
import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time

from testparams import env_int, seed_of

# name: (write period ps, read period ps, read clock start offset ps). All periods are multiples
# of 4 ps and offsets even, so every clock edge falls on an even picosecond; resets change on odd
# ones and never race an edge.
RATIOS = {
    "hbm_core": (2224, 4448, 0),      # 450 -> 225 MHz (HBM read data into the core), edges coincide
    "hbm_ph": (2224, 4448, 1362),     # same, read clock shifted
    "core_hbm": (4448, 2224, 0),      # 225 -> 450 MHz (core write data to HBM)
    "core_hbm_p": (4448, 2224, 618),
    "r7_3": (1200, 2800, 300),        # write clock 7/3 of the read clock
    "r3_7": (2800, 1200, 106),
    "r5_1": (1000, 5000, 0),          # write much faster
    "r1_5": (5000, 1000, 2),          # read much faster
    "near": (2000, 2012, 0),          # phase drifts by 12 ps per cycle
}


class Pauses:
    """Per-cycle pause decisions: independent with probability ``p``, or (``burst``) in runs of
    random length with the same average share ``p``."""

    def __init__(self, rng: random.Random, p: float = 0.0, burst: int = 0):
        self.rng, self.p, self.burst, self.left, self.state = rng, p, burst, 0, False

    def __call__(self) -> bool:
        if self.p <= 0.0:
            return False
        if self.p >= 1.0:
            return True
        if not self.burst:
            return self.rng.random() < self.p
        if self.left == 0:
            self.state = self.rng.random() < self.p
            self.left = self.rng.randint(1, self.burst)
        self.left -= 1
        return self.state


class TB:
    def __init__(self, dut, ratio: str):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.rng = random.Random(seed_of("async_fifo", ratio))
        self.data_w = len(dut.wr_data_i)
        self.depth = 1 << (len(dut.wr_count_o) - 1)
        self.sync = int(os.environ.get("SYNC_STAGES", "2"))
        self.wr_ps, self.rd_ps, self.rd_phase = RATIOS[ratio]
        self.ratio = ratio

        # Source / sink state
        self.wr_pause = Pauses(random.Random(self.rng.random()))
        self.rd_pause = Pauses(random.Random(self.rng.random()))
        self.to_send = 0
        self.seq = 0
        self.presenting = False
        self.wr_data = 0

        # Scoreboard (per reset epoch)
        self.expected: deque[tuple[int, int]] = deque()   # (data, write time)
        self.n_push = 0
        self.n_pop = 0
        self.pop_times: list[int] = []
        self.total_push = 0
        self.total_pop = 0
        self.flushed = 0           # entries dropped by resets
        self.full_cycles = 0       # write cycles out of reset with wr_ready_o low
        self.empty_cycles = 0      # read cycles out of reset with rd_valid_o low
        self.max_wr_count = 0
        self.max_rd_count = 0
        self.last_pop_time = 0

        dut.clk_wr_i.value = 0
        dut.clk_rd_i.value = 0
        dut.rst_wr_ni.value = 0
        dut.rst_rd_ni.value = 0
        dut.wr_valid_i.value = 0
        dut.wr_data_i.value = 0
        dut.rd_ready_i.value = 0
        Clock(dut.clk_wr_i, self.wr_ps, unit="ps").start(start_high=False)
        cocotb.start_soon(self._start_rd_clock())
        cocotb.start_soon(self._wr_loop())
        cocotb.start_soon(self._rd_loop())

    async def _start_rd_clock(self):
        if self.rd_phase:
            await Timer(self.rd_phase, "ps")
        Clock(self.dut.clk_rd_i, self.rd_ps, unit="ps").start(start_high=False)

    @property
    def stored(self) -> int:
        return self.n_push - self.n_pop

    def _next_data(self) -> int:
        self.seq += 1
        if self.data_w <= 16:
            return self.seq & ((1 << self.data_w) - 1)
        return (self.rng.getrandbits(self.data_w - 16) << 16) | (self.seq & 0xFFFF)

    # -- write side ------------------------------------------------------------------------------

    def _push(self, t: int, data: int):
        k = self.n_push
        assert self.stored < self.depth, \
            f"write accepted with {self.stored} of {self.depth} entries stored: it overwrites one"
        if k >= self.depth:
            # the slot was freed by read k - DEPTH; its pointer must have crossed first
            freed = self.pop_times[k - self.depth]
            assert t - freed >= (self.sync + 1) * self.wr_ps, \
                f"write {k} {t - freed} ps after the read that freed its slot, less than " \
                f"{self.sync + 1} write periods"
        self.expected.append((data, t))
        self.n_push += 1
        self.total_push += 1

    async def _wr_loop(self):
        d = self.dut
        fire = False
        prev_ready = None
        while True:
            await RisingEdge(d.clk_wr_i)
            t = get_sim_time("ps")
            in_reset = d.rst_wr_ni.value != 1
            if fire and not in_reset:
                self._push(t, self.wr_data)
                self.presenting = False
            pushed = fire and not in_reset
            # Drive: hold an offered item until taken, else offer the next one after pauses
            if not self.presenting and self.to_send > 0 and not self.wr_pause():
                self.wr_data = self._next_data()
                self.to_send -= 1
                self.presenting = True
            d.wr_valid_i.value = int(self.presenting)
            d.wr_data_i.value = self.wr_data
            await ReadOnly()
            ready = d.wr_ready_o.value == 1
            count = int(d.wr_count_o.value)
            if d.rst_wr_ni.value != 1:
                assert not ready and count == 0, f"in write reset: wr_ready_o={int(ready)} " \
                                                 f"wr_count_o={count}"
                prev_ready = None
                fire = False
                continue
            assert count <= self.depth, f"wr_count_o={count} > DEPTH"
            assert count >= self.stored, f"wr_count_o={count} below the {self.stored} stored"
            assert ready == (count != self.depth), \
                f"wr_ready_o={int(ready)} with wr_count_o={count}"
            if prev_ready and not ready:
                assert pushed, "wr_ready_o fell on an edge without a write"
            prev_ready = ready
            self.full_cycles += not ready
            self.max_wr_count = max(self.max_wr_count, count)
            fire = self.presenting and ready

    # -- read side -------------------------------------------------------------------------------

    def _pop(self, t: int, data: int):
        assert self.expected, f"read at {t} ps with nothing stored (reads {self.n_pop})"
        want, t_push = self.expected.popleft()
        assert data == want, f"read {self.n_pop}: 0x{data:x}, expected 0x{want:x}"
        assert t - t_push >= (self.sync + 1) * self.rd_ps, \
            f"read {self.n_pop} only {t - t_push} ps after its write, less than " \
            f"{self.sync + 1} read periods"
        self.pop_times.append(t)
        self.n_pop += 1
        self.total_pop += 1
        self.last_pop_time = t

    async def _rd_loop(self):
        d = self.dut
        fire = False
        held = None          # data offered but not taken at the last sample
        data = 0
        while True:
            await RisingEdge(d.clk_rd_i)
            t = get_sim_time("ps")
            in_reset = d.rst_rd_ni.value != 1
            if fire and not in_reset:
                self._pop(t, data)
            if in_reset:
                held = None
            d.rd_ready_i.value = 0 if self.rd_pause() else 1
            await ReadOnly()
            valid = d.rd_valid_o.value == 1
            count = int(d.rd_count_o.value)
            if d.rst_rd_ni.value != 1:
                assert not valid and count == 0, f"in read reset: rd_valid_o={int(valid)} " \
                                                 f"rd_count_o={count}"
                held = None
                fire = False
                continue
            assert count <= self.stored, f"rd_count_o={count} above the {self.stored} stored"
            assert valid == (count != 0), f"rd_valid_o={int(valid)} with rd_count_o={count}"
            if valid:
                data = int(d.rd_data_o.value)
            if held is not None:
                assert valid, "rd_valid_o dropped before rd_ready_i"
                assert data == held, f"rd_data_o changed while stalled: 0x{held:x} -> 0x{data:x}"
            fire = valid and d.rd_ready_i.value == 1
            held = data if valid and not fire else None
            self.empty_cycles += not valid
            self.max_rd_count = max(self.max_rd_count, count)

    # -- sequences -------------------------------------------------------------------------------

    def set_pauses(self, wr_p=0.0, rd_p=0.0, burst=0):
        self.wr_pause.p, self.wr_pause.burst, self.wr_pause.left = wr_p, burst, 0
        self.rd_pause.p, self.rd_pause.burst, self.rd_pause.left = rd_p, burst, 0

    def slow_cycles(self, n: int) -> int:
        """n cycles of the slower clock, in ps."""
        return n * max(self.wr_ps, self.rd_ps)

    async def settle(self):
        """Wait until both pointers have crossed (a few cycles of the slower clock)."""
        await Timer(self.slow_cycles(self.sync + 4) + 2, "ps")

    async def drain(self, what: str):
        """Wait until everything offered was read, then check the settled outputs."""
        limit = get_sim_time("ps") + self.slow_cycles(40 * (self.to_send + self.depth) + 200)
        while self.to_send or self.presenting or self.expected:
            assert get_sim_time("ps") < limit, \
                f"{what}: not drained: {self.to_send} to send, {len(self.expected)} stored, " \
                f"wr_ready_o={self.dut.wr_ready_o.value} rd_valid_o={self.dut.rd_valid_o.value}"
            await Timer(self.slow_cycles(4), "ps")
        await self.settle()
        await self.check_settled(0, what)

    async def check_settled(self, n: int, what: str):
        d = self.dut
        await ReadOnly()
        assert self.stored == n
        got = (int(d.wr_count_o.value), int(d.rd_count_o.value), int(d.wr_ready_o.value),
               int(d.rd_valid_o.value))
        want = (n, n, int(n != self.depth), int(n != 0))
        assert got == want, f"{what}: settled with {n} stored: (wr_count_o, rd_count_o, " \
                            f"wr_ready_o, rd_valid_o) = {got}, expected {want}"

    async def reset(self, hold: int = 3):
        """Both resets fall together off any clock edge and rise, one after the other, just
        after an edge of their own clock."""
        d = self.dut
        await RisingEdge(d.clk_wr_i)
        await Timer(2 * self.rng.randrange(self.wr_ps // 4) + 1, "ps")
        d.rst_wr_ni.value = 0
        d.rst_rd_ni.value = 0
        self.flushed += len(self.expected)
        dropped = len(self.expected)
        self.expected.clear()
        self.n_push = self.n_pop = 0
        self.pop_times = []
        await ReadOnly()
        got = (int(d.wr_ready_o.value), int(d.wr_count_o.value), int(d.rd_valid_o.value),
               int(d.rd_count_o.value))
        assert got == (0, 0, 0, 0), \
            f"outputs not reset without a clock edge: (wr_ready_o, wr_count_o, rd_valid_o, " \
            f"rd_count_o) = {got}"
        await Timer(self.slow_cycles(hold), "ps")
        sides = [(d.clk_wr_i, d.rst_wr_ni), (d.clk_rd_i, d.rst_rd_ni)]
        self.rng.shuffle(sides)
        for clk, rst in sides:
            await ClockCycles(clk, self.rng.randint(1, 4))
            await Timer(1, "ps")
            rst.value = 1
        return dropped


async def traffic(dut, ratio: str):
    tb = TB(dut, ratio)
    n = int(os.environ.get("ASYNC_FIFO_ITEMS", "300"))
    await Timer(tb.slow_cycles(4) + 1, "ps")
    for clk, rst in ((dut.clk_wr_i, dut.rst_wr_ni), (dut.clk_rd_i, dut.rst_rd_ni)):
        await RisingEdge(clk)
        await Timer(1, "ps")
        rst.value = 1
    await tb.settle()
    await tb.check_settled(0, "after reset")
    await Timer(1, "ps")

    # 1. No pauses: throughput of the slower side
    tb.set_pauses()
    tb.to_send = n
    t0, p0 = get_sim_time("ps"), tb.total_pop
    await tb.drain("no pauses")
    first = tb.pop_times[min(tb.depth, n // 4)]
    rate = (tb.total_pop - p0 - 1 - min(tb.depth, n // 4)) / (tb.last_pop_time - first)
    eff = rate * max(tb.wr_ps, tb.rd_ps)
    tb.log.info("%s: %d items in %.1f ns, %.3f items per slower-clock cycle", ratio, n,
                (get_sim_time("ps") - t0) / 1000, eff)
    if tb.depth >= 4 * (tb.sync + 2):
        assert eff >= 0.97, f"throughput {eff:.3f} items per slower-clock cycle"

    # 2. Random idle / backpressure / both, independent and in bursts
    for wr_p, rd_p, burst in ((0.4, 0.0, 0), (0.0, 0.5, 0), (0.3, 0.3, 0), (0.7, 0.1, 0),
                              (0.1, 0.7, 0), (0.5, 0.5, 2 * tb.depth)):
        await Timer(1, "ps")
        tb.set_pauses(wr_p, rd_p, burst)
        tb.to_send = n
        await tb.drain(f"pauses write {wr_p} read {rd_p} burst {burst}")

    # 3. Fill: the reader stops; exactly DEPTH entries are taken, then the reader drains
    await Timer(1, "ps")
    tb.set_pauses(0.0, 1.0)
    tb.to_send = tb.depth + 3
    while tb.stored < tb.depth:
        await Timer(tb.slow_cycles(1), "ps")
    await tb.settle()
    await tb.check_settled(tb.depth, "full")
    await Timer(1, "ps")
    tb.set_pauses(0.0, 0.0)
    await tb.drain("drain after full")

    # 4. Resets: with a full FIFO and the writer done (the FIFO must come back empty, the reader
    # ready to take anything stale), then in the middle of random traffic
    await Timer(1, "ps")
    tb.set_pauses(0.2, 1.0)
    tb.to_send = tb.depth
    while tb.stored < tb.depth:
        await Timer(tb.slow_cycles(1), "ps")
    tb.set_pauses(0.0, 0.0)
    dropped = [await tb.reset()]
    await tb.settle()
    await tb.check_settled(0, "after a reset with a full FIFO")
    await Timer(1, "ps")
    tb.set_pauses(0.3, 0.3)
    tb.to_send = n
    await Timer(tb.slow_cycles(tb.rng.randint(20, 60)) + 1, "ps")
    dropped.append(await tb.reset(hold=tb.rng.randint(1, 6)))
    await tb.drain("after a reset in traffic")

    assert tb.full_cycles > 0 and tb.empty_cycles > 0
    tb.log.info("%s: %d written, %d read, %d dropped by resets (%s), %d full write cycles, "
                "%d empty read cycles, max counts %d/%d", ratio, tb.total_push, tb.total_pop,
                tb.flushed, dropped, tb.full_cycles, tb.empty_cycles, tb.max_wr_count,
                tb.max_rd_count)
    assert tb.total_push == tb.total_pop + tb.flushed


# cocotb timeout per ratio (simulated us): every phase moves ASYNC_FIFO_ITEMS items, well under
# 1 us each even at the slowest clock (300 items took 22 us over all ratios)
TIMEOUT_US = max(300, env_int("ASYNC_FIFO_ITEMS", 300))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(ratio=list(RATIOS))
async def test_traffic(dut, ratio):
    """Random traffic phases, fill/drain and resets at one clock ratio."""
    await traffic(dut, ratio)
