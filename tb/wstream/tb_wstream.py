"""cocotb tests of the weight access unit (rtl/skipopu_wstream.sv) on timing-aware HBM ports
(tb/hbm_model.py), behind the asynchronous chunk FIFOs (rtl/skipopu_axi_cdc.sv, HBM ports on
their own clock at DATA_W/2, as in the core) or directly on the core clock.

The DUT is ``skipopu_wstream_bench`` (tb/wstream/wrapper.py): the unchanged unit, one flat AXI4
master per port, the unit-side AR/R signals as ``mon<p>_*`` outputs and ``rlast_flip_i`` to
corrupt RLAST on chosen beats.

Scoreboard (model/stripe.py is the reference layout): every descriptor accepted appends its
chunks to the expected list; every chunk handed out must be the next expected one, with the
words the HBM memory holds at the striped addresses (``stripe.word_addr``), zeros for the HBM
beats inside a port's read-error window, ``chunk_err_o`` exactly when one of its words had an
error beat (SLVERR window or a flipped RLAST), ``chunk_last_o`` on the descriptor's last chunk
and ``head_*`` describing that descriptor. ``flush_i`` empties the expected list.

One per-cycle monitor also checks, at every edge:

* AR (``AxiBurstMonitor``): INCR, full width, <= MAX_BURST, no 4 KB crossing, stable while
  waiting; each port's bursts tile exactly its runs of the descriptors, in order (a burst left
  waiting at a flush is the old run's);
* R: rready high whenever rvalid (R never stalls); RLAST as the unit sees it is the burst's
  last beat XOR the injected flip;
* credits: per port, words requested and not received plus words kept and not handed out
  never exceed LANE_DEPTH, words in flight never exceed MAX_INFLIGHT; the beats in flight at a
  flush are dropped (mirrored count);
* ``busy_o`` exactly when a descriptor is queued, a burst is waiting or in flight;
  ``desc_count_o`` = descriptors not yet fully handed out, ``desc_ready_o`` = room and no
  flush; ``chunk_valid_o`` low during a flush and stable (with its data) while stalled;
* at the end: every port's R beats = the AR beats accepted (nothing dangles), the unit's
  counters (chunks, beats per port) equal what the monitor saw.

Tests: ``test_random`` (descriptor sequences from 1 to hundreds of chunks, random bases incl.
runs crossing 4 KB at odd words, bursts of descriptors that fill the queue, chunks = 0, phases
of random consumer backpressure, AR/R pauses and extra latency on every port),
``test_errors`` (SLVERR windows and misplaced RLASTs in the middle of stripes), ``test_flush``
(flushes with bursts in flight, then new streams), ``test_bench`` (throughput on long streams,
no checks but the chunk count; WS_BENCH json).

Environment: WS_PARAMS (json: RTL parameters + CDC, CORE_PS, HBM_PS), WS_DESCS (descriptors per
test), WS_BENCH (json), WS_BENCH_OUT (file the bench appends its json rows to).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections import deque
from types import SimpleNamespace

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiReadBus

from axi_models import AxiBurstMonitor, random_pause
from hbm_model import HbmConfig, HbmMemory, HbmPort, _reader
from model import stripe as S

REGION = 1 << 20            # test data in [REGION, REGION + SPAN) of every port's PC
SPAN = 1 << 19


class Desc:
    __slots__ = ("base", "chunks", "n")

    def __init__(self, base: int, chunks: int, n: int = 0):
        self.base, self.chunks, self.n = base, chunks, n

    def __repr__(self):
        return f"desc{self.n}(0x{self.base:x}, {self.chunks})"


class TB:
    def __init__(self, dut, p: dict, check: bool = True):
        self.dut = dut
        self.p = p
        self.log = logging.getLogger("cocotb.tb")
        self.P = p["NUM_PORTS"]
        self.DW = p["DATA_W"]
        self.WB = self.DW // 8
        self.CW = p["CHUNK_W"] // self.DW
        self.WPC = self.CW // self.P
        self.LD = p["LANE_DEPTH"]
        self.MI = p["MAX_INFLIGHT"]
        self.QD = p["QDEPTH"]
        self.st = S.Stripe(ports=self.P, word_bytes=self.WB, chunk_words=self.CW,
                           pc_bytes=p["PC_BYTES"])
        self.cdc = bool(p.get("CDC", 1))
        self.core_ps = p.get("CORE_PS", 4444)
        self.hbm_ps = p.get("HBM_PS", 2222) if self.cdc else self.core_ps
        cocotb.start_soon(Clock(dut.clk_i, self.core_ps, "ps").start())
        if self.cdc:
            cocotb.start_soon(Clock(dut.hbm_clk_i, self.hbm_ps, "ps").start())
        hbm_clk = dut.hbm_clk_i if self.cdc else dut.clk_i
        hbm_rst = dut.hbm_rst_ni if self.cdc else dut.rst_ni
        self.hb = self.WB // 2 if self.cdc else self.WB          # HBM beat bytes
        self.memory = HbmMemory(size=8 << 30, cfg=HbmConfig(clk_ns=self.hbm_ps / 1000,
                                                            beat_bytes=self.hb))
        self.ports = [HbmPort(SimpleNamespace(read=AxiReadBus.from_prefix(dut, f"m_axi{q}"),
                                              write=None),
                              hbm_clk, hbm_rst, reset_active_level=False, memory=self.memory,
                              home_pc=q, seed=q + 7) for q in range(self.P)]
        self.check = check
        self.cycle = 0
        # stimulus
        self.descs: deque[tuple[Desc, int]] = deque()    # (descriptor, idle cycles before it)
        self.presenting: Desc | None = None
        self.gap = 0
        self.stall = 0.0
        self.stall_gen = None            # optional generator of ready values (bench)
        self.rng = random.Random(1)
        self.flush_req = False
        self.flush_drv = False
        self.ready_drv = 1
        self.flips: set[tuple[int, int]] = set()          # (port, word address)
        self.flip_drv = 0
        # scoreboard
        self.exp: deque[tuple[Desc, int]] = deque()
        self.ndesc = 0                   # descriptors accepted, not fully handed out
        self.accepted = 0
        self.popped = 0
        self.err_chunks = 0
        self.flushes = 0
        self.flush_inflight: list[int] = []       # bursts in flight at each flush
        self.t_first_push = None
        self.t_last_pop = None
        self.held = None
        # per-port mirrors
        P = self.P
        self.pq = [deque() for _ in range(P)]       # accepted bursts: [addr, beats, received]
        self.ar_exp = [deque() for _ in range(P)]   # runs still to request: [addr, words]
        self.old_pending: list[tuple[int, int] | None] = [None] * P
        self.infl = [0] * P                         # accepted AR words not yet received
        self.stored = [0] * P                       # kept words not yet handed out
        self.drop = [0] * P
        self.r_beats = [0] * P
        self.ar_beats = [0] * P
        self.max_skew = 0
        self.latency: list[int] = []     # unit-side AR handshake to first R beat, core cycles
        self.max_used = [0] * P
        # fast readers
        r = _reader
        self.r_cvalid = r(dut.chunk_valid_o)
        self.r_dready = r(dut.desc_ready_o)
        self.r_busy = r(dut.busy_o)
        self.r_dcount = r(dut.desc_count_o)
        self.r_arvalid = [r(getattr(dut, f"mon{q}_arvalid")) for q in range(P)]
        self.r_arready = [r(getattr(dut, f"mon{q}_arready")) for q in range(P)]
        self.r_arlen = [r(getattr(dut, f"mon{q}_arlen")) for q in range(P)]
        self.r_rvalid = [r(getattr(dut, f"mon{q}_rvalid")) for q in range(P)]
        self.r_rready = [r(getattr(dut, f"mon{q}_rready")) for q in range(P)]
        self.r_rlast = [r(getattr(dut, f"mon{q}_rlast")) for q in range(P)]
        self.r_rresp = [r(getattr(dut, f"mon{q}_rresp")) for q in range(P)]
        self.ar_mon = [AxiBurstMonitor(dut, f"mon{q}", "ar", dut.clk_i, self.WB, p["MAX_BURST"],
                                       reset=dut.rst_ni, start=False) for q in range(P)]
        cocotb.start_soon(self._run())

    # ---- set-up -------------------------------------------------------------------------------
    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        if self.cdc:
            d.hbm_rst_ni.value = 0
        for s in ("desc_valid_i", "desc_base_i", "desc_chunks_i", "flush_i", "rlast_flip_i"):
            getattr(d, s).value = 0
        d.chunk_ready_i.value = 1
        await ClockCycles(d.clk_i, 4)
        d.rst_ni.value = 1
        if self.cdc:
            d.hbm_rst_ni.value = 1
        await ClockCycles(d.clk_i, 4)

    def fill(self, rng: random.Random):
        """Random contents in every port's test region."""
        for q in range(self.P):
            self.memory.write(q * self.st.pc_bytes + REGION, rng.randbytes(SPAN))

    def set_knobs(self, rng: random.Random, ar: float, r: float, lat: tuple[float, int],
                  stall: float):
        for q, pt in enumerate(self.ports):
            s = rng.randrange(1 << 30)
            pt.set_pause_generators(ar=random_pause(s, ar) if ar else None,
                                    r=random_pause(s + 1, r) if r else None)
            pt.set_extra_latency(*lat)
        self.stall = stall

    # ---- stimulus -----------------------------------------------------------------------------
    def random_desc(self, rng: random.Random, big: bool = True) -> Desc:
        st = self.st
        kind = rng.random()
        if kind < 0.3:
            chunks = rng.randint(1, 4)
        elif kind < 0.75 or not big:
            chunks = rng.randint(5, 40)
        else:
            chunks = rng.randint(41, 400)
        pb = S.port_bytes(chunks, st)
        lim = (SPAN - pb) // self.WB
        b = rng.random()
        if b < 0.35:      # the run crosses a 4 KB boundary at a random (often odd) word
            page = rng.randrange(1, max(2, (REGION + SPAN) // 4096 - REGION // 4096 - 1))
            off = page * 4096 - self.WB * rng.randint(1, min(17, max(1, pb // self.WB)))
            w = min(max(0, off // self.WB), lim)
        elif b < 0.5:
            w = (rng.randrange(0, SPAN - pb + 1, 4096) if pb < SPAN else 0) // self.WB
        else:
            w = rng.randint(0, lim)
        return Desc(REGION + w * self.WB, chunks)

    def push(self, desc: Desc, gap: int = 0):
        self.descs.append((desc, gap))

    async def flush(self):
        self.flush_req = True
        while self.flush_req or self.flush_drv:
            await RisingEdge(self.dut.clk_i)

    async def wait_idle(self, limit: int = 400000):
        d = self.dut
        n = 0
        while self.descs or self.presenting or self.exp or self.r_busy() or \
                any(self.pq) or self.flush_req:
            await RisingEdge(d.clk_i)
            n += 1
            if n > limit:
                raise AssertionError(
                    f"not idle after {limit} cycles: {len(self.descs)} descriptors to push, "
                    f"{len(self.exp)} chunks expected, busy_o={self.r_busy()}, "
                    f"bursts in flight {[len(q) for q in self.pq]}, stored {self.stored}, "
                    f"infl {self.infl}")
        await ClockCycles(d.clk_i, 2)

    # ---- expected data ------------------------------------------------------------------------
    def word(self, q: int, a: int) -> tuple[bytes, bool]:
        """The word at port q, AXI address a, as the port answers it (zeros for the HBM beats in
        its read-error window) and whether it is an error beat for the unit."""
        pt = self.ports[q]
        data = bytearray(self.memory.read(a, self.WB))
        bad = (q, a) in self.flips
        for k in range(0, self.WB, self.hb):
            if pt.read_error_at(a + k, self.hb):
                data[k:k + self.hb] = bytes(self.hb)
                bad = True
        return bytes(data), bad

    def expected_chunk(self, desc: Desc, c: int) -> tuple[int, bool]:
        out, err = bytearray(), False
        for i in range(c * self.CW, (c + 1) * self.CW):
            q, a = S.word_addr(desc.base, i, self.st)
            w, bad = self.word(q, a)
            out += w
            err |= bad
        return int.from_bytes(out, "little"), err

    # ---- per-cycle monitor and driver ---------------------------------------------------------
    async def _run(self):
        d = self.dut
        while True:
            await RisingEdge(d.clk_i)
            self.cycle += 1
            if d.rst_ni.value != 1:
                continue
            if self.check:
                self._sample()
            else:
                self._sample_fast()
            self._drive()

    def _sample_fast(self):
        """Bench mode: only the handshakes (descriptors, chunks, flush)."""
        if self.flush_drv:
            self.exp.clear()
        elif self.ready_drv and self.r_cvalid():
            self.exp.popleft()
            self.popped += 1
            self.t_last_pop = self.cycle
        if self.presenting is not None and self.r_dready():
            self._accept(self.presenting)

    def _accept(self, desc: Desc):
        self.presenting = None
        if self.t_first_push is None:
            self.t_first_push = self.cycle
        if desc.chunks == 0:
            return
        self.accepted += 1
        self.ndesc += 1
        self.exp.extend((desc, c) for c in range(desc.chunks))
        for q in range(self.P):
            self.ar_exp[q].append([q * self.st.pc_bytes + desc.base,
                                   desc.chunks * self.WPC])

    def _sample(self):
        d = self.dut
        P, WB = self.P, self.WB
        flush = self.flush_drv
        # busy_o and the descriptor count describe the state after the previous edge
        busy = self.r_busy()
        arv = [self.r_arvalid[q]() for q in range(P)]
        want_busy = bool(self.exp) or any(self.pq) or any(arv)
        assert busy == want_busy, \
            f"busy_o={busy}, expected {int(want_busy)} ({len(self.exp)} chunks expected, " \
            f"bursts in flight {[len(x) for x in self.pq]}, arvalid {arv})"
        assert self.r_dcount() == self.ndesc, \
            f"desc_count_o={self.r_dcount()}, expected {self.ndesc}"
        dready = self.r_dready()
        assert dready == int(self.ndesc < self.QD and not flush), \
            f"desc_ready_o={dready} with {self.ndesc} queued, flush {flush}"
        # AR
        pending = [0] * P
        for q in range(P):
            b = self.ar_mon[q].sample()
            if b is not None:
                addr, n = b
                if self.old_pending[q] is not None:
                    assert (addr, n) == self.old_pending[q], \
                        f"port {q}: burst {b} accepted, the one waiting at the flush was " \
                        f"{self.old_pending[q]}"
                    self.old_pending[q] = None
                else:
                    assert self.ar_exp[q], f"port {q}: burst {b} beyond the descriptors"
                    run = self.ar_exp[q][0]
                    assert addr == run[0] and n <= run[1], \
                        f"port {q}: burst 0x{addr:x}+{n}, expected at 0x{run[0]:x} " \
                        f"(<= {run[1]} words left of the run)"
                    run[0] += n * WB
                    run[1] -= n
                    if run[1] == 0:
                        self.ar_exp[q].popleft()
                self.pq[q].append([addr, n, 0, self.cycle])
                self.infl[q] += n
                self.ar_beats[q] += n
            elif arv[q]:
                pending[q] = self.r_arlen[q]() + 1
        # R
        for q in range(P):
            if not self.r_rvalid[q]():
                continue
            assert self.r_rready[q](), f"port {q}: rready low while rvalid (R stalled)"
            assert self.pq[q], f"port {q}: R beat without an accepted burst"
            b = self.pq[q][0]
            a = b[0] + b[2] * WB
            if b[2] == 0:
                self.latency.append(self.cycle - b[3])
            b[2] += 1
            last = b[2] == b[1]
            if last:
                self.pq[q].popleft()
            flip = (q, a) in self.flips
            assert self.r_rlast[q]() == int(last != flip), \
                f"port {q}: rlast {self.r_rlast[q]()} on beat {b[2]} of {b[1]} (flip {flip})"
            self.infl[q] -= 1
            self.r_beats[q] += 1
            if self.drop[q]:
                self.drop[q] -= 1
            elif not flush:
                self.stored[q] += 1
        # chunks
        cvalid = self.r_cvalid()
        if flush:
            assert not cvalid, "chunk_valid_o during a flush"
            self.held = None
        else:
            if self.held is not None:
                assert cvalid, "chunk_valid_o dropped before chunk_ready_i"
                now = (int(d.chunk_data_o.value), int(d.chunk_err_o.value),
                       int(d.chunk_last_o.value))
                assert now == self.held, "chunk changed while stalled"
                self.held = None
            if cvalid and self.ready_drv:
                self._pop()
            elif cvalid:
                self.held = (int(d.chunk_data_o.value), int(d.chunk_err_o.value),
                             int(d.chunk_last_o.value))
        # descriptors
        if self.presenting is not None and dready:
            self._accept(self.presenting)
        # flush: drop everything; the beats in flight will be dropped
        if flush:
            self.exp.clear()
            self.ndesc = 0
            self.flushes += 1
            self.flush_inflight.append(sum(len(x) for x in self.pq) + sum(map(bool, pending)))
            for q in range(P):
                self.ar_exp[q].clear()
                self.stored[q] = 0
                self.drop[q] = self.infl[q] + pending[q]
                if pending[q]:
                    addr = int(getattr(d, f"mon{q}_araddr").value)
                    self.old_pending[q] = (addr, pending[q])
        # credits
        for q in range(P):
            used = self.infl[q] + pending[q] + self.stored[q]
            self.max_used[q] = max(self.max_used[q], used)
            assert used <= self.LD, \
                f"port {q}: {used} words requested or stored > LANE_DEPTH {self.LD}"
            assert self.infl[q] + pending[q] <= self.MI, \
                f"port {q}: {self.infl[q] + pending[q]} words in flight > MAX_INFLIGHT {self.MI}"
        sk = max(self.stored) - min(self.stored)
        self.max_skew = max(self.max_skew, sk)

    def _pop(self):
        d = self.dut
        assert self.exp, "chunk handed out with none expected"
        desc, c = self.exp.popleft()
        last = c + 1 == desc.chunks
        where = f"chunk {c} of {desc}"
        assert int(d.head_valid_o.value) == 1, f"{where}: head_valid_o low"
        hb, hc = int(d.head_base_o.value), int(d.head_chunks_o.value)
        assert (hb, hc) == (desc.base, desc.chunks), \
            f"{where}: head (0x{hb:x}, {hc}) is not its descriptor"
        assert int(d.chunk_last_o.value) == int(last), f"{where}: chunk_last_o wrong"
        want, werr = self.expected_chunk(desc, c)
        got = int(d.chunk_data_o.value)
        if got != want:
            x = got ^ want
            bad = [w for w in range(self.CW) if (x >> (w * self.DW)) & ((1 << self.DW) - 1)]
            raise AssertionError(f"{where}: words {bad} differ from the memory "
                                 f"(stream word {c * self.CW + bad[0]})")
        gerr = int(d.chunk_err_o.value)
        assert gerr == int(werr), f"{where}: chunk_err_o={gerr}, expected {int(werr)}"
        self.err_chunks += gerr
        for q in range(self.P):
            self.stored[q] -= self.WPC
            assert self.stored[q] >= 0, f"{where}: handed out before port {q} delivered it"
        if last:
            self.ndesc -= 1
        self.popped += 1
        self.t_last_pop = self.cycle

    def _drive(self):
        d = self.dut
        # flush: one cycle
        if self.flush_req and not self.flush_drv:
            d.flush_i.value = 1
            self.flush_drv = True
            self.flush_req = False
        elif self.flush_drv:
            d.flush_i.value = 0
            self.flush_drv = False
        # consumer
        if self.stall_gen is not None:
            rdy = int(next(self.stall_gen))
        else:
            rdy = int(not (self.stall and self.rng.random() < self.stall))
        if rdy != self.ready_drv:
            d.chunk_ready_i.value = rdy
            self.ready_drv = rdy
        # descriptors (held until accepted)
        if self.presenting is None:
            if self.descs and self.gap >= self.descs[0][1]:
                desc, _ = self.descs.popleft()
                self.presenting = desc
                self.gap = 0
                d.desc_base_i.value = desc.base
                d.desc_chunks_i.value = desc.chunks
                d.desc_valid_i.value = 1
            else:
                self.gap += 1
                d.desc_valid_i.value = 0
        # misplaced RLAST: flip it while the next beat of a port is a chosen word
        if self.flips:
            m = 0
            for q in range(self.P):
                if self.pq[q]:
                    b = self.pq[q][0]
                    if (q, b[0] + b[2] * self.WB) in self.flips:
                        m |= 1 << q
            if m != self.flip_drv:
                d.rlast_flip_i.value = m
                self.flip_drv = m

    # ---- end of test ----------------------------------------------------------------------------
    def final_checks(self):
        d = self.dut
        assert not self.exp and not any(self.pq), "work left at the end"
        div = 2 if self.cdc else 1
        for q, pt in enumerate(self.ports):
            hbm_beats = pt.stats.r_beats // div
            assert hbm_beats == self.ar_beats[q] == self.r_beats[q], \
                f"port {q}: HBM R words {hbm_beats}, AR words {self.ar_beats[q]}, unit-side " \
                f"R beats {self.r_beats[q]}: a burst dangles"
        assert int(d.stat_chunks_o.value) == self.popped, \
            f"stat_chunks_o={int(d.stat_chunks_o.value)}, handed out {self.popped}"
        sb = int(d.stat_beats_o.value)
        got = [(sb >> (32 * q)) & 0xFFFFFFFF for q in range(self.P)]
        assert got == self.r_beats, f"stat_beats_o {got}, monitor {self.r_beats}"


def params() -> dict:
    return json.loads(os.environ["WS_PARAMS"])


async def setup(dut, seed_off: int = 0, check: bool = True):
    p = params()
    tb = TB(dut, p, check=check)
    rng = random.Random(cocotb.RANDOM_SEED + seed_off)
    tb.rng = random.Random(rng.randrange(1 << 30))
    await tb.reset()
    tb.fill(rng)
    return tb, rng


PHASES = [  # (AR pause, R pause, (extra latency probability, max cycles), consumer stall)
    (0.0, 0.0, (0.0, 0), 0.0),
    (0.3, 0.3, (0.2, 40), 0.3),
    (0.0, 0.0, (0.0, 0), 0.7),
    (0.5, 0.1, (0.5, 100), 0.0),
    (0.1, 0.5, (0.1, 20), 0.5),
]


@cocotb.test()
async def test_random(dut):
    """Random descriptor sequences in phases of random HBM pauses/latency and consumer
    backpressure; some phases push a run of small descriptors (queue full) or chunks = 0."""
    tb, rng = await setup(dut)
    n = int(os.environ.get("WS_DESCS", "40"))
    t0 = time.time()
    per = max(1, n // len(PHASES))
    for i, ph in enumerate(PHASES):
        tb.set_knobs(rng, *ph[:3], ph[3])
        for k in range(per):
            if i == 2 and k < 2 * tb.QD:        # a burst of small ones: the queue fills
                tb.push(Desc(tb.random_desc(rng, big=False).base, rng.randint(1, 2)), 0)
                continue
            if rng.random() < 0.05:
                tb.push(Desc(REGION, 0), 0)      # accepted and ignored
            tb.push(tb.random_desc(rng), rng.choice([0, 0, 0, 1, rng.randint(2, 60)]))
        if i % 2:
            await tb.wait_idle()
    await tb.wait_idle()
    tb.final_checks()
    assert tb.err_chunks == 0
    lat = sorted(tb.latency)
    dut._log.info("%d descriptors, %d chunks in %d cycles (%.1f s); max skew %d words, most "
                  "words requested or stored per port %s; AR to first R beat (core cycles) min "
                  "%d median %d max %d", tb.accepted, tb.popped, tb.cycle, time.time() - t0,
                  tb.max_skew, tb.max_used, lat[0], lat[len(lat) // 2], lat[-1])


@cocotb.test()
async def test_errors(dut):
    """SLVERR windows (one HBM beat, a run across bursts) and misplaced RLASTs (early and
    missing) in the middle of striped streams: chunk_err_o exactly on the chunks holding a bad
    beat, the data of the others right; then clean streams again."""
    tb, rng = await setup(dut, 1)
    tb.set_knobs(rng, 0.2, 0.2, (0.2, 30), 0.3)
    for rnd in range(4):
        descs = [tb.random_desc(rng) for _ in range(3)]
        for desc in descs:
            chunks = desc.chunks
            words = [S.word_addr(desc.base, i, tb.st) for i in range(chunks * tb.CW)]
            for _ in range(2):
                q, a = words[rng.randrange(len(words))]
                kind = rng.randrange(3)
                if kind == 0:     # one HBM beat
                    lo = a + (tb.hb if tb.cdc and rng.random() < 0.5 else 0)
                    tb.ports[q].add_read_error(lo, lo + tb.hb)
                elif kind == 1:   # a run of words on that port
                    tb.ports[q].add_read_error(a, a + tb.WB * rng.randint(2, 40))
                else:             # RLAST flipped on a word (early, or missing on a last beat)
                    tb.flips.add((q, a))
            # and one flip on a burst's last word: RLAST missing
            q, a = words[-1]
            tb.flips.add((q, a))
            tb.push(desc, rng.choice([0, 5]))
        await tb.wait_idle()
        for pt in tb.ports:
            pt.clear_read_errors()
        tb.flips.clear()
        tb.push(tb.random_desc(rng))
        await tb.wait_idle()
    tb.final_checks()
    assert tb.err_chunks > 0
    hits = sum(pt.read_error_hits for pt in tb.ports)
    dut._log.info("%d chunks, %d with errors (%d SLVERR beats); %d cycles", tb.popped,
                  tb.err_chunks, hits, tb.cycle)


@cocotb.test()
async def test_flush(dut):
    """flush_i with bursts in flight (also while a chunk waits, and during an error stream):
    busy_o stays high until the last beat in flight has arrived, nothing dangles, and the
    streams pushed after it (right after, or once idle) are exact."""
    tb, rng = await setup(dut, 2)
    for rnd in range(8):
        tb.set_knobs(rng, *rng.choice(PHASES))
        if rnd == 3:
            q = rng.randrange(tb.P)
            tb.ports[q].add_read_error(q * tb.st.pc_bytes + REGION,
                                       q * tb.st.pc_bytes + REGION + SPAN)
        for _ in range(rng.randint(1, 4)):
            d = tb.random_desc(rng)
            tb.push(Desc(d.base, max(d.chunks, 30)))
        # flush once some bursts are in flight and some chunks were handed out
        target = rng.randint(0, 20)
        for _ in range(100000):
            await RisingEdge(dut.clk_i)
            if tb.popped >= target and any(tb.pq) and not tb.descs:
                break
        if rnd % 3 == 2:
            tb.stall = 1.0                     # a chunk waits at the flush
            await ClockCycles(dut.clk_i, rng.randint(1, 30))
        await tb.flush()
        tb.stall = 0.2
        dut._log.info("flush %d: %d bursts in flight", rnd, tb.flush_inflight[-1])
        if rnd % 2:
            tb.push(tb.random_desc(rng))        # right after the flush
        await tb.wait_idle()
        for pt in tb.ports:
            pt.clear_read_errors()
        tb.push(tb.random_desc(rng))
        await tb.wait_idle()
    tb.final_checks()
    assert sum(n > 0 for n in tb.flush_inflight) >= 5, \
        f"too few flushes with bursts in flight: {tb.flush_inflight}"
    dut._log.info("%d flushes, %d chunks handed out, %d cycles", tb.flushes, tb.popped, tb.cycle)


# ---- throughput -----------------------------------------------------------------------------

def gap_gen(run: int, stop: int):
    """Consumer ready for ``run`` cycles, then not for ``stop``."""
    while True:
        for _ in range(run):
            yield True
        for _ in range(stop):
            yield False


async def sample_queues(tb: TB, acc: dict, every: int = 8):
    """Words queued per HBM port (accepted bursts not yet returned, in core words), sampled every
    ``every`` core cycles while ``acc["on"]``: a request of another master of the port waits
    behind them."""
    div = 2 if tb.cdc else 1
    while True:
        await ClockCycles(tb.dut.clk_i, every)
        if not acc["on"]:
            continue
        for pt in tb.ports:
            w = sum(b.beats - b.sent for b in pt._rq) / div
            acc["sum"] += w
            acc["n"] += 1
            acc["max"] = max(acc["max"], w)


@cocotb.test()
async def test_bench(dut):
    """Long striped streams on the HBM model, consumer free / random stalls / periodic gaps:
    chunks per cycle against the ports' peak (one word per port per core cycle), and the words
    queued at the HBM ports meanwhile."""
    cfg = json.loads(os.environ.get("WS_BENCH", "{}"))
    tb, rng = await setup(dut, 3, check=False)
    st = tb.st
    # idle round trip: one chunk, descriptor push to chunk_valid_o
    tb.push(Desc(REGION, 1))
    t0 = tb.cycle
    while not tb.r_cvalid():
        await RisingEdge(dut.clk_i)
    lat = tb.cycle - t0
    await tb.wait_idle()
    acc = {"on": False}
    cocotb.start_soon(sample_queues(tb, acc))
    sizes = cfg.get("sizes_kb", [512, 256, 1024, 256])
    rows = []
    for scen in cfg.get("scenarios", ["free", "rand40", "gap256/128"]):
        tb.exp.clear()
        tb.popped = 0
        tb.t_first_push = tb.t_last_pop = None
        if scen == "free":
            tb.stall_gen = None
            tb.stall = 0.0
        elif scen.startswith("rand"):
            tb.stall_gen = None
            tb.stall = int(scen[4:]) / 100
        else:
            a, b = scen[3:].split("/")
            tb.stall_gen = gap_gen(int(a), int(b))
        base = 0
        total = 0
        for kb in sizes:
            ch = kb * 1024 // st.chunk_bytes
            tb.push(Desc(REGION + base, ch))
            base += S.port_bytes(ch, st)
            total += ch
        hbm0 = [pt.stats.r_beats for pt in tb.ports]
        ref0 = sum(c.stats.refreshes for c in tb.memory.channels.values())
        acc.update(on=True, sum=0.0, n=0, max=0.0)
        w0 = time.time()
        await tb.wait_idle(limit=40 * total)
        acc["on"] = False
        cycles = tb.t_last_pop - tb.t_first_push + 1
        assert tb.popped == total
        eff = total * st.chunk_bytes / (cycles * tb.P * tb.WB)
        refs = sum(c.stats.refreshes for c in tb.memory.channels.values()) - ref0
        row = dict(lane_depth=tb.LD, max_inflight=tb.MI, scenario=scen, chunks=total,
                   bytes=total * st.chunk_bytes, cycles=cycles, efficiency=round(eff, 4),
                   chunks_per_cycle=round(total / cycles, 4), idle_latency=lat,
                   queued_mean=round(acc["sum"] / max(1, acc["n"]), 1), queued_max=acc["max"],
                   refreshes=refs, wall_s=round(time.time() - w0, 1),
                   hbm_beats=sum(pt.stats.r_beats - a for pt, a in zip(tb.ports, hbm0)))
        rows.append(row)
        dut._log.info("WS-BENCH %s", json.dumps(row))
    out = os.environ.get("WS_BENCH_OUT")
    if out:
        with open(out, "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
