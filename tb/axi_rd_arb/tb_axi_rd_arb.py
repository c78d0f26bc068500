"""cocotb tests of the AXI4 read arbiter (rtl/skipopu_axi_rd_arb.sv).

NMAST master models drive the packed ``s_axi_*`` side (random bursts on random IDs of their
S_ID_W bits, random gaps, random rready backpressure); a slave model answers on ``m_axi_*``: it
accepts AR with random pauses (up to 8 bursts outstanding), then returns beats choosing, for
every beat, a random ID among those with a burst pending (so bursts of different IDs return out
of order and interleaved beat by beat, as AXI4 allows; in order within an ID), with random idle
cycles and SLVERR on some bursts. Data of a beat = a hash of its address.

One per-cycle monitor checks at every edge:

* AR, master side: at most one arready, only to a master with arvalid; the grant is the one the
  reference rule picks (:class:`ArbModel`: fixed priority with the wait limit, or round robin)
  whenever the port's AR register is free, none otherwise; port side: the bursts leave in grant
  order, unchanged but for ARID = {master, master's ARID}, one cycle after the grant at the
  earliest, and stay valid and stable until accepted;
* R: rvalid only at the owner of RID (rvalid and rready gated per beat), the port's rready is
  the owner's; every beat reaches its master with its own ID, data, RRESP and RLAST, in order
  within the ID; at the end every burst of every master was answered completely.
* starvation: the other grants a request waits through never exceed MAX_WAIT + NMAST - 1 (fixed
  priority) or NMAST - 1 (round robin); ``test_saturate`` prints the grant shares.

Environment: ARB_PARAMS (json: the RTL parameters), ARB_BURSTS (bursts per master).
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from axi_models import _reader


def beat_data(addr: int, width: int) -> int:
    x = (addr * 0x9E3779B97F4A7C15 + 0x7F4A7C159E3779B9) & ((1 << 64) - 1)
    v = 0
    for k in range(0, width, 64):
        x = (x * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
        v |= x << k
    return v & ((1 << width) - 1)


def burst_err(addr: int) -> bool:
    return (addr >> 6) % 7 == 3


class ArbModel:
    """The arbitration rule of skipopu_axi_rd_arb as a reference."""

    def __init__(self, n: int, rr: bool, max_wait: int):
        self.n, self.rr, self.max_wait = n, rr, max_wait
        self.wait = [0] * n
        self.last = n - 1

    def pick(self, valid: list[bool]) -> int | None:
        if not any(valid):
            return None
        if self.rr:
            for j in range(1, self.n + 1):
                k = (self.last + j) % self.n
                if valid[k]:
                    return k
        for i in range(self.n):
            if valid[i] and self.wait[i] >= self.max_wait:
                return i
        return valid.index(True)

    def grant(self, g: int, valid: list[bool]):
        self.last = g
        for i in range(self.n):
            if i == g:
                self.wait[i] = 0
            elif valid[i] and self.wait[i] < self.max_wait:
                self.wait[i] += 1


class TB:
    def __init__(self, dut, p: dict):
        self.dut = dut
        self.p = p
        self.log = logging.getLogger("cocotb.tb")
        self.N = p["NMAST"]
        self.SW = p["S_ID_W"]
        self.MW = p["M_ID_W"]
        self.AW = p["ADDR_W"]
        self.DW = p["DATA_W"]
        self.BB = self.DW // 8
        self.rr = bool(p["ARB_RR"])
        self.model = ArbModel(self.N, self.rr, p["MAX_WAIT"])
        self.bound = self.N - 1 if self.rr else p["MAX_WAIT"] + self.N - 1
        cocotb.start_soon(Clock(dut.clk_i, 4, "ns").start())
        # masters
        self.todo = [deque() for _ in range(self.N)]    # (gap, id, addr, len)
        self.pres: list[tuple | None] = [None] * self.N  # presented AR
        self.gapc = [0] * self.N
        self.outst = [dict() for _ in range(self.N)]     # id -> deque [addr, len, got]
        self.rready_p = 0.0
        self.rready = [1] * self.N
        self.beats = [0] * self.N
        self.want_beats = [0] * self.N
        self.grants = [0] * self.N
        self.waited = [0] * self.N       # other grants seen by the current request
        self.max_waited = 0
        # port side
        self.fwd: deque = deque()        # granted bursts not yet accepted by the port
        self.m_held = None
        self.arready_p = 0.0
        self.m_arready = 0
        self.slave: dict[int, deque] = {}  # rid -> deque [addr, len, sent]
        self.nslave = 0
        self.r_cur = None                # (rid) of the beat presented
        self.r_idle_p = 0.0
        self.interleave = True
        self.rng = random.Random(1)
        self.cycle = 0
        self.ar_mask = (1 << self.N) - 1
        r = _reader
        self.r_sarready = r(dut.s_axi_arready)
        self.r_marvalid = r(dut.m_axi_arvalid)
        self.r_mrready = r(dut.m_axi_rready)
        self.r_srvalid = r(dut.s_axi_rvalid)
        cocotb.start_soon(self._run())

    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        for s in ("s_axi_arid", "s_axi_araddr", "s_axi_arlen", "s_axi_arsize", "s_axi_arburst",
                  "s_axi_arlock", "s_axi_arcache", "s_axi_arprot", "s_axi_arvalid",
                  "m_axi_arready", "m_axi_rid", "m_axi_rdata", "m_axi_rresp", "m_axi_rlast",
                  "m_axi_rvalid"):
            getattr(d, s).value = 0
        d.s_axi_rready.value = self.ar_mask
        await ClockCycles(d.clk_i, 3)
        d.rst_ni.value = 1
        await ClockCycles(d.clk_i, 2)

    def add_bursts(self, rng: random.Random, n: int, gaps=(0, 0, 1, 3, 10)):
        for i in range(self.N):
            for _ in range(n):
                ln = rng.choice([1, 2, 4, 8, 16, rng.randint(1, 32)])
                addr = rng.randrange(0, 1 << 24) * self.BB
                self.todo[i].append((rng.choice(gaps), rng.randrange(1 << self.SW), addr, ln))
                self.want_beats[i] += ln

    def idle(self) -> bool:
        return not any(self.todo) and not any(p is not None for p in self.pres) and \
            not self.fwd and self.nslave == 0 and \
            all(not q for o in self.outst for q in o.values())

    async def wait_idle(self, limit=200000):
        for _ in range(limit):
            if self.idle():
                await ClockCycles(self.dut.clk_i, 3)
                return
            await RisingEdge(self.dut.clk_i)
        raise AssertionError(f"not idle: todo {[len(t) for t in self.todo]}, fwd {len(self.fwd)},"
                             f" slave {self.nslave}")

    # ---- per cycle ----------------------------------------------------------------------------
    async def _run(self):
        while True:
            await RisingEdge(self.dut.clk_i)
            self.cycle += 1
            if self.dut.rst_ni.value != 1:
                continue
            self._sample()
            self._drive()

    def _sample(self):
        d = self.dut
        N, SW = self.N, self.SW
        # ---- AR, master side: the grant against the reference rule
        valid = [p is not None for p in self.pres]
        ard = self.r_sarready()
        m_arv = self.r_marvalid()
        free = (not m_arv) or self.m_arready
        assert ard & ~sum(1 << i for i in range(N) if valid[i]) == 0, \
            f"s_axi_arready {ard:b} to a master without arvalid ({valid})"
        want = self.model.pick(valid) if free else None
        got = None if ard == 0 else ard.bit_length() - 1
        assert ard == (0 if got is None else 1 << got), f"two arreadys {ard:b}"
        assert got == want, f"granted master {got}, the rule says {want} (valid {valid}, " \
            f"waits {self.model.wait}, last {self.model.last}, port free {free})"
        if got is not None:
            self.model.grant(got, valid)
            self.grants[got] += 1
            for i in range(N):
                if i == got:
                    self.max_waited = max(self.max_waited, self.waited[i])
                    self.waited[i] = 0
                elif valid[i]:
                    self.waited[i] += 1
                    assert self.waited[i] <= self.bound, \
                        f"master {i} waited through {self.waited[i]} grants > {self.bound}"
            _, sid, addr, ln = self.pres[got]
            self.fwd.append(((got << SW) | sid, addr, ln))
            self.outst[got].setdefault(sid, deque()).append([addr, ln, 0])
            self.pres[got] = None
        # ---- AR, port side
        if m_arv:
            req = (int(d.m_axi_arid.value), int(d.m_axi_araddr.value),
                   int(d.m_axi_arlen.value) + 1, int(d.m_axi_arsize.value),
                   int(d.m_axi_arburst.value), int(d.m_axi_arcache.value),
                   int(d.m_axi_arprot.value))
            if self.m_held is not None:
                assert req == self.m_held, f"port AR changed while waiting {self.m_held} -> {req}"
            assert self.fwd, "port AR without a grant"
            assert req[:3] == self.fwd[0] and req[3:] == (self.BB.bit_length() - 1, 1, 3, 2), \
                f"port AR {req}, granted {self.fwd[0]}"
            if self.m_arready:
                self.fwd.popleft()
                self.slave.setdefault(req[0], deque()).append([req[1], req[2], 0])
                self.nslave += 1
                self.m_held = None
            else:
                self.m_held = req
        else:
            assert self.m_held is None, "port arvalid dropped before arready"
        # ---- R: routing and the beat
        srv = self.r_srvalid()
        if self.r_cur is None:
            assert srv == 0, f"s_axi_rvalid {srv:b} without a beat on the port"
            return
        rid = self.r_cur
        owner = rid >> SW
        assert srv == 1 << owner, f"beat of RID {rid:x}: s_axi_rvalid {srv:b}"
        mrr = self.r_mrready()
        assert mrr == self.rready[owner], \
            f"m_axi_rready {mrr}, owner {owner} rready {self.rready[owner]}"
        if not mrr:
            return
        q = self.slave[rid]
        b = q[0]
        a = b[0] + b[2] * self.BB
        b[2] += 1
        last = b[2] == b[1]
        if last:
            q.popleft()
            self.nslave -= 1
        self.r_cur = None
        # the master's view
        sid = (int(d.s_axi_rid.value) >> (owner * SW)) & ((1 << SW) - 1)
        assert sid == rid & ((1 << SW) - 1), f"master {owner}: rid {sid}, port rid {rid:x}"
        mq = self.outst[owner].get(sid)
        assert mq, f"master {owner}: beat on ID {sid} with nothing outstanding"
        mb = mq[0]
        ma = mb[0] + mb[2] * self.BB
        mb[2] += 1
        mlast = mb[2] == mb[1]
        if mlast:
            mq.popleft()
        data = (int(d.s_axi_rdata.value) >> (owner * self.DW)) & ((1 << self.DW) - 1)
        resp = (int(d.s_axi_rresp.value) >> (2 * owner)) & 3
        rl = (int(d.s_axi_rlast.value) >> owner) & 1
        assert ma == a, f"master {owner} ID {sid}: beat of 0x{a:x}, expected 0x{ma:x} (order)"
        assert data == beat_data(ma, self.DW), f"master {owner}: data of 0x{ma:x} wrong"
        assert resp == (2 if burst_err(mb[0]) else 0), f"master {owner}: rresp {resp}"
        assert rl == int(mlast), f"master {owner}: rlast {rl} on beat {mb[2]} of {mb[1]}"
        self.beats[owner] += 1

    def _drive(self):
        d = self.dut
        rng = self.rng
        N, SW = self.N, self.SW
        # masters: present the next burst after its gap; hold it until granted
        for i in range(N):
            if self.pres[i] is None and self.todo[i]:
                if self.gapc[i] >= self.todo[i][0][0]:
                    self.pres[i] = self.todo[i].popleft()
                    self.gapc[i] = 0
                else:
                    self.gapc[i] += 1
        pres = tuple(self.pres)
        if pres != self._pres_drv:
            self._pres_drv = pres
            v = idv = av = lv = 0
            for i, pr in enumerate(self.pres):
                if pr is None:
                    continue
                _, sid, addr, ln = pr
                v |= 1 << i
                idv |= sid << (i * SW)
                av |= addr << (i * self.AW)
                lv |= (ln - 1) << (i * 8)
            d.s_axi_arvalid.value = v
            d.s_axi_arid.value = idv
            d.s_axi_araddr.value = av
            d.s_axi_arlen.value = lv
            sz = self.BB.bit_length() - 1
            d.s_axi_arsize.value = sum(sz << (3 * i) for i in range(N))
            d.s_axi_arburst.value = sum(1 << (2 * i) for i in range(N))
            d.s_axi_arcache.value = sum(3 << (4 * i) for i in range(N))
            d.s_axi_arprot.value = sum(2 << (3 * i) for i in range(N))
        # masters' rready
        rr = [int(not (self.rready_p and rng.random() < self.rready_p)) for _ in range(N)]
        if rr != self.rready:
            self.rready = rr
            d.s_axi_rready.value = sum(b << i for i, b in enumerate(rr))
        # port: arready
        ar = int(self.nslave + len(self.fwd) < 8 and
                 not (self.arready_p and rng.random() < self.arready_p))
        if ar != self.m_arready:
            self.m_arready = ar
            d.m_axi_arready.value = ar
        # port: R, one beat held until taken; a random ID per beat
        if self.r_cur is None:
            ids = [k for k, q in self.slave.items() if q]
            if ids and not (self.r_idle_p and rng.random() < self.r_idle_p):
                if self.interleave or self._r_last_id not in ids:
                    rid = rng.choice(ids)
                else:
                    rid = self._r_last_id
                self._r_last_id = rid
                b = self.slave[rid][0]
                a = b[0] + b[2] * self.BB
                d.m_axi_rid.value = rid
                d.m_axi_rdata.value = beat_data(a, self.DW)
                d.m_axi_rresp.value = 2 if burst_err(b[0]) else 0
                d.m_axi_rlast.value = int(b[2] + 1 == b[1])
                d.m_axi_rvalid.value = 1
                self.r_cur = rid
            else:
                d.m_axi_rvalid.value = 0

    _r_last_id = -1
    _pres_drv: tuple = ()

    def final_checks(self):
        assert self.beats == self.want_beats, f"beats per master {self.beats}, " \
            f"expected {self.want_beats}"


def params() -> dict:
    return json.loads(os.environ["ARB_PARAMS"])


@cocotb.test()
async def test_random(dut):
    """Random bursts from every master with random gaps, port pauses, idle R cycles, master R
    backpressure, interleaved and whole-burst R order."""
    tb = TB(dut, params())
    rng = random.Random(cocotb.RANDOM_SEED)
    tb.rng = random.Random(rng.randrange(1 << 30))
    await tb.reset()
    n = int(os.environ.get("ARB_BURSTS", "30"))
    for ph, (arp, rip, rrp, inter) in enumerate([(0.0, 0.0, 0.0, True), (0.5, 0.3, 0.3, True),
                                                  (0.2, 0.6, 0.0, False),
                                                  (0.7, 0.1, 0.6, True)]):
        tb.arready_p, tb.r_idle_p, tb.rready_p, tb.interleave = arp, rip, rrp, inter
        tb.add_bursts(rng, max(1, n // 4))
        await tb.wait_idle()
    tb.final_checks()
    dut._log.info("%d beats per master %s, grants %s, longest wait %d grants (bound %d), "
                  "%d cycles", sum(tb.beats), tb.beats, tb.grants, tb.max_waited, tb.bound,
                  tb.cycle)


@cocotb.test()
async def test_saturate(dut):
    """Every master always requests (no gaps), the port accepts half the cycles: the grants follow
    the rule, master 0 takes the most (fixed priority) or all share equally (round robin), no
    master starves."""
    tb = TB(dut, params())
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    tb.rng = random.Random(rng.randrange(1 << 30))
    await tb.reset()
    tb.arready_p, tb.r_idle_p = 0.5, 0.0
    n = int(os.environ.get("ARB_BURSTS", "30")) * 2
    tb.add_bursts(rng, n, gaps=(0,))
    # stop counting when the first master runs out (after that there is no contention)
    while all(tb.todo):
        await RisingEdge(dut.clk_i)
    shares = list(tb.grants)
    await tb.wait_idle()
    tb.final_checks()
    tot = sum(shares)
    dut._log.info("ARB-SHARES %s: grants %s (%s), longest wait %d grants (bound %d)",
                  "round robin" if tb.rr else f"fixed, MAX_WAIT {tb.p['MAX_WAIT']}", shares,
                  ", ".join(f"{100 * s / tot:.0f}%" for s in shares), tb.max_waited, tb.bound)
    if tb.N > 1:
        assert min(shares) > 0, "a master starved"
        if tb.rr:
            assert max(shares) - min(shares) <= 1, f"round robin unequal: {shares}"
        else:
            assert shares[0] == max(shares), f"master 0 not first: {shares}"
