"""cocotb tests of skipopu_axi_cdc, the AXI4 clock-domain crossing with 2:1 width conversion.

The ``TB`` drives both clocks (periods from the environment, the master clock started at a random
phase), both resets (asserted together, released in random order, each just after an edge of its
own clock), cocotbext-axi's AxiMaster halves (``AxiMasterRead`` + ``AxiMasterWrite``) on
``s_axi`` (s_clk) and, on ``m_axi`` (m_clk), either an error-injecting cocotbext-axi RAM
(``axi_models.ErrAxiRam``) or the timing-aware HBM port model (``hbm_model.HbmPort``). Pause
generators can be put on every channel of both sides. For random byte strobes a ``StrobeWriter``
replaces the write half (AxiMaster derives strobes from the byte range only).

One coroutine per clock domain checks as it goes:

* every valid on a DUT output (s: R, B; m: AR, AW, W) stays high with a stable payload until
  ready;
* it records every AR/AW request on both sides, R beats (cycle, id, resp, last), W and B
  handshakes. ``check_requests`` then compares: the master-side requests are exactly the
  supported slave-side requests in order, converted (same id/addr/burst/lock/cache/prot, len
  2 * len + 1 and the master size when converting, unchanged otherwise); master W and R beats are
  twice (converting) or as many as (plain) the forwarded slave words.

Scoreboard: a bytearray per test area, filled with random bytes together with the memory model;
every completed write updates it (bytes under set strobes; beats dropped by write-error windows
excepted), every read is compared byte for byte, and the whole area is compared against the
memory model at the end of each test. Several workers on disjoint sub-areas keep several bursts
in flight.

Tests: random traffic (RAM or HBM model, with and without pauses), random strobes, SLVERR windows
(per-beat R responses and per-burst B responses on the slave side; RAM and HBM), throughput of
one long read and one long write burst without pauses, and (``CDC_UNSUPPORTED=1``, Icarus only:
the RTL flags them with ``$error``, which stops Verilator) unsupported requests answered with
SLVERR.

Environment (set by test_axi_cdc.py): CDC_S_PS, CDC_M_PS (clock periods, ps), CDC_OPS (operations
per worker), CDC_UNSUPPORTED.
"""

from __future__ import annotations

import logging
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Event, RisingEdge, Timer, gather, with_timeout
from cocotbext.axi import AxiBurstType, AxiBus, AxiResp
from cocotbext.axi.axi_channels import AxiAWSource, AxiBSink, AxiWSource
from cocotbext.axi.axi_master import AxiMasterRead, AxiMasterWrite

from axi_models import ErrAxiRam, random_pause
from hbm_model import HbmConfig, HbmMemory, HbmPort, _reader
from testparams import seed_of

OKAY, SLVERR = 0, 2
INCR = 1
ADDR_MAX = 1 << 33          # HbmMemory default size (8 GB); areas stay below


class StrobeWriter:
    """Write bursts with an explicit strobe per beat on an ``AxiWriteBus``. A burst's AW and all
    its W beats are queued in one go, so W order follows AW order whatever the callers; B is
    routed to the caller by ID (each caller uses its own ID)."""

    def __init__(self, bus, clock, reset):
        self.aw = AxiAWSource(bus.aw, clock, reset, False)
        self.w = AxiWSource(bus.w, clock, reset, False)
        self.b = AxiBSink(bus.b, clock, reset, False)
        self.pending: dict[int, list] = {}
        cocotb.start_soon(self._b_loop())

    async def _b_loop(self):
        while True:
            b = await self.b.recv()
            slot = self.pending.pop(int(b.bid))
            slot[1] = int(b.bresp)
            slot[0].set()

    async def write(self, awid: int, addr: int, words: list[int], strbs: list[int],
                    size: int) -> int:
        aw = self.aw._transaction_obj()
        aw.awid, aw.awaddr, aw.awlen, aw.awsize = awid, addr, len(words) - 1, size
        aw.awburst, aw.awlock, aw.awcache, aw.awprot = INCR, 0, 3, 2
        assert awid not in self.pending
        slot = [Event(), None]
        self.pending[awid] = slot
        self.aw.send_nowait(aw)
        for k, (d, s) in enumerate(zip(words, strbs)):
            w = self.w._transaction_obj()
            w.wdata, w.wstrb, w.wlast = d, s, int(k == len(words) - 1)
            self.w.send_nowait(w)
        await slot[0].wait()
        return slot[1]


class TB:
    def __init__(self, dut, slave: str = "ram", strobe_writer: bool = False,
                 max_burst: int = 128, salt: tuple = ()):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        # the test's seed: the pytest entry's, with the cocotb test's name and parameters
        self.salt = (slave, strobe_writer, max_burst) + tuple(salt)
        self.rng = random.Random(seed_of("axi_cdc", *self.salt))
        self.s_ps = int(os.environ.get("CDC_S_PS", "4444"))
        self.m_ps = int(os.environ.get("CDC_M_PS", "2222"))
        self.s_w = len(dut.s_axi_wdata)
        self.m_w = len(dut.m_axi_wdata)
        self.sb, self.mb = self.s_w // 8, self.m_w // 8
        self.conv = self.m_w != self.s_w
        self.id_w = len(dut.s_axi_arid)
        self.s_size = self.sb.bit_length() - 1
        self.m_size = self.mb.bit_length() - 1
        # cocotbext-axi logs every burst (INFO) and every error beat (WARNING)
        for prefix in ("s_axi", "m_axi"):
            logging.getLogger(f"cocotb.{dut._name}.{prefix}").setLevel(logging.ERROR)

        dut.s_rst_ni.value = 0
        dut.m_rst_ni.value = 0
        cocotb.start_soon(Clock(dut.s_clk_i, self.s_ps, unit="ps").start())
        cocotb.start_soon(self._start_m_clock(2 * self.rng.randrange(self.m_ps // 2)))

        s_bus = AxiBus.from_prefix(dut, "s_axi")
        self.rd = AxiMasterRead(s_bus.read, dut.s_clk_i, dut.s_rst_ni, False, max_burst)
        self.sw = self.wr = None
        if strobe_writer:
            self.sw = StrobeWriter(s_bus.write, dut.s_clk_i, dut.s_rst_ni)
        else:
            self.wr = AxiMasterWrite(s_bus.write, dut.s_clk_i, dut.s_rst_ni, False, max_burst)
        m_bus = AxiBus.from_prefix(dut, "m_axi")
        self.slave = slave
        if slave == "hbm":
            cfg = HbmConfig(clk_ns=self.m_ps / 1000, beat_bytes=self.mb)
            self.mem = HbmPort(m_bus, dut.m_clk_i, dut.m_rst_ni, reset_active_level=False,
                               memory=HbmMemory(cfg=cfg), seed=self.rng.randrange(1 << 30))
        else:
            self.mem = ErrAxiRam(m_bus, dut.m_clk_i, dut.m_rst_ni, reset_active_level=False,
                                 size=1 << len(dut.m_axi_araddr))

        # Monitor records
        self.s_cycle = self.m_cycle = 0
        self.s_ar: list[tuple] = []
        self.s_aw: list[tuple] = []
        self.m_ar: list[tuple] = []
        self.m_aw: list[tuple] = []
        self.s_r: list[tuple] = []        # (cycle, rid, rresp, rlast)
        self.s_w_cycles: list[int] = []
        self.s_b: list[tuple] = []        # (bid, bresp, cycle)
        self.s_ar_cyc: list[int] = []     # cycle of each s_ar / s_aw entry
        self.s_aw_cyc: list[int] = []
        self.m_r_beats = self.m_w_beats = 0
        self.m_r_bursts = 0
        self.m_r_resp: list[int] = []     # RRESP of every master-side R beat, in order
        self.m_b_resp: list[int] = []     # BRESP of every master-side B
        self.max_rd_inflight = 0          # most master-side read bursts accepted, not complete
        self.ref: dict[int, bytearray] = {}
        self.worker_ids: list[int] | None = None   # IDs for worker() (None: AxiMaster's own)
        cocotb.start_soon(self._s_monitor())
        cocotb.start_soon(self._m_monitor())

    async def _start_m_clock(self, phase_ps: int):
        if phase_ps:
            await Timer(phase_ps, unit="ps")
        await Clock(self.dut.m_clk_i, self.m_ps, unit="ps").start()

    # -- configuration --------------------------------------------------------------------------

    def set_pauses(self, p: float = 0.3):
        """Random pauses on every channel: valids of both sources, readies of both sinks."""
        s = seed_of("axi_cdc_pauses", *self.salt)
        rd = self.rd
        chans = [rd.ar_channel, rd.r_channel]
        if self.wr is not None:
            chans += [self.wr.aw_channel, self.wr.w_channel, self.wr.b_channel]
        else:
            chans += [self.sw.aw, self.sw.w, self.sw.b]
        for k, ch in enumerate(chans):
            ch.set_pause_generator(random_pause(s + 10 + k, p))
        if self.slave == "hbm":
            self.mem.set_pause_generators(**{c: random_pause(s + 20 + k, p) for k, c in
                                             enumerate(("ar", "aw", "w", "r", "b"))})
            self.mem.set_extra_latency(0.2, 30)
        else:
            m = self.mem
            for k, ch in enumerate((m.read_if.ar_channel, m.read_if.r_channel,
                                    m.write_if.aw_channel, m.write_if.w_channel,
                                    m.write_if.b_channel)):
                ch.set_pause_generator(random_pause(s + 20 + k, p))

    async def reset(self):
        """Both resets are low from time 0; release them in random order, each just after an
        edge of its own clock, with a random skew."""
        d = self.dut
        slow = max(self.s_ps, self.m_ps)
        await Timer(slow * self.rng.randint(3, 6) + 1, unit="ps")
        sides = [(d.s_clk_i, d.s_rst_ni), (d.m_clk_i, d.m_rst_ni)]
        self.rng.shuffle(sides)
        for k, (clk, rst) in enumerate(sides):
            if k:
                await Timer(self.rng.randrange(4 * slow) + 1, unit="ps")
            await RisingEdge(clk)
            await Timer(1, unit="ps")
            rst.value = 1
        await ClockCycles(d.s_clk_i, 4)
        await ClockCycles(d.m_clk_i, 4)

    # -- monitors -------------------------------------------------------------------------------

    async def _s_monitor(self):
        d = self.dut
        rst = _reader(d.s_rst_ni)
        arv, arr = _reader(d.s_axi_arvalid), _reader(d.s_axi_arready)
        awv, awr = _reader(d.s_axi_awvalid), _reader(d.s_axi_awready)
        wv, wr = _reader(d.s_axi_wvalid), _reader(d.s_axi_wready)
        rv, rr = _reader(d.s_axi_rvalid), _reader(d.s_axi_rready)
        bv, br = _reader(d.s_axi_bvalid), _reader(d.s_axi_bready)
        rid, rresp, rlast = _reader(d.s_axi_rid), _reader(d.s_axi_rresp), _reader(d.s_axi_rlast)
        bid, bresp = _reader(d.s_axi_bid), _reader(d.s_axi_bresp)
        ar = [_reader(getattr(d, f"s_axi_ar{n}")) for n in
              ("id", "addr", "len", "size", "burst", "lock", "cache", "prot")]
        aw = [_reader(getattr(d, f"s_axi_aw{n}")) for n in
              ("id", "addr", "len", "size", "burst", "lock", "cache", "prot")]
        r_held = b_held = None
        edge = RisingEdge(d.s_clk_i)
        while True:
            await edge
            self.s_cycle = c = self.s_cycle + 1
            if rst() != 1:
                r_held = b_held = None
                continue
            if arv() and arr():
                self.s_ar.append(tuple(f() for f in ar))
                self.s_ar_cyc.append(c)
            if awv() and awr():
                self.s_aw.append(tuple(f() for f in aw))
                self.s_aw_cyc.append(c)
            if wv() and wr():
                self.s_w_cycles.append(c)
            # R: held until ready, payload stable
            v = rv()
            if r_held is not None:
                assert v, "s_axi_rvalid dropped before rready"
                now = (rid(), rresp(), rlast(), int(d.s_axi_rdata.value))
                assert now == r_held, f"s_axi R beat changed while waiting: {r_held} -> {now}"
            r_held = None
            if v:
                if rr():
                    self.s_r.append((c, rid(), rresp(), rlast()))
                else:
                    r_held = (rid(), rresp(), rlast(), int(d.s_axi_rdata.value))
            v = bv()
            if b_held is not None:
                assert v and (bid(), bresp()) == b_held, "s_axi B changed before bready"
            b_held = None
            if v:
                if br():
                    self.s_b.append((bid(), bresp(), c))
                else:
                    b_held = (bid(), bresp())

    async def _m_monitor(self):
        d = self.dut
        rst = _reader(d.m_rst_ni)
        chans = {}
        for ch, fields in (("ar", ("id", "addr", "len", "size", "burst", "lock", "cache",
                                   "prot")),
                           ("aw", ("id", "addr", "len", "size", "burst", "lock", "cache",
                                   "prot")),
                           ("w", ("data", "strb", "last"))):
            chans[ch] = (_reader(getattr(d, f"m_axi_{ch}valid")),
                         _reader(getattr(d, f"m_axi_{ch}ready")),
                         [getattr(d, f"m_axi_{ch}{f}") for f in fields])
        rv, rr, rlast = _reader(d.m_axi_rvalid), _reader(d.m_axi_rready), _reader(d.m_axi_rlast)
        rresp = _reader(d.m_axi_rresp)
        bv, br, bresp = _reader(d.m_axi_bvalid), _reader(d.m_axi_bready), _reader(d.m_axi_bresp)
        held = dict.fromkeys(chans)
        edge = RisingEdge(d.m_clk_i)
        while True:
            await edge
            self.m_cycle += 1
            if rst() != 1:
                held = dict.fromkeys(chans)
                continue
            for ch, (valid, ready, sigs) in chans.items():
                v = valid()
                if held[ch] is not None:
                    assert v, f"m_axi_{ch}valid dropped before {ch}ready"
                    now = tuple(int(s.value) for s in sigs)
                    assert now == held[ch], \
                        f"m_axi {ch.upper()} changed while waiting: {held[ch]} -> {now}"
                held[ch] = None
                if not v:
                    continue
                if ready():
                    if ch == "ar":
                        self.m_ar.append(tuple(int(s.value) for s in sigs))
                    elif ch == "aw":
                        self.m_aw.append(tuple(int(s.value) for s in sigs))
                    else:
                        self.m_w_beats += 1
                else:
                    held[ch] = tuple(int(s.value) for s in sigs)
            if rv() and rr():
                self.m_r_beats += 1
                self.m_r_bursts += rlast()
                self.m_r_resp.append(rresp())
            if bv() and br():
                self.m_b_resp.append(bresp())
            self.max_rd_inflight = max(self.max_rd_inflight, len(self.m_ar) - self.m_r_bursts)

    # -- requests -------------------------------------------------------------------------------

    def supported(self, req: tuple) -> bool:
        _, addr, alen, size, burst, *_ = req
        if not self.conv:
            return True
        return burst == INCR and size == self.s_size and addr % self.sb == 0 and alen <= 127

    def converted(self, req: tuple) -> tuple:
        rid, addr, alen, size, burst, lock, cache, prot = req
        if self.conv:
            alen, size = 2 * alen + 1, self.m_size
        return rid, addr, alen, size, burst, lock, cache, prot

    def check_requests(self):
        """Master-side AR/AW = the supported slave-side ones, converted, in order; beat counts."""
        for name, s, m in (("AR", self.s_ar, self.m_ar), ("AW", self.s_aw, self.m_aw)):
            want = [self.converted(r) for r in s if self.supported(r)]
            assert len(m) == len(want), f"{len(m)} {name} on m_axi, expected {len(want)}"
            for k, (a, b) in enumerate(zip(m, want)):
                assert a == b, f"{name} {k}: m_axi {a}, expected {b} (from {s[k]})"
        k = 2 if self.conv else 1
        r_fwd = sum(r[2] + 1 for r in self.s_ar if self.supported(r))
        w_fwd = sum(r[2] + 1 for r in self.s_aw if self.supported(r))
        assert self.m_r_beats == k * r_fwd, f"{self.m_r_beats} m_axi R beats for {r_fwd} words"
        assert self.m_w_beats == k * w_fwd, f"{self.m_w_beats} m_axi W beats for {w_fwd} words"
        return len(self.m_ar), len(self.m_aw)

    # -- memory and scoreboard ------------------------------------------------------------------

    def new_area(self, size: int) -> int:
        """A 4 KB-aligned area at a random address, filled with random bytes (model and ref)."""
        while True:
            base = 4096 * self.rng.randrange(ADDR_MAX // 4096 - size // 4096 - 1)
            if all(base + size <= b or b + len(r) <= base for b, r in self.ref.items()):
                break
        data = bytearray(self.rng.randbytes(size))
        self.mem.write(base, bytes(data))
        self.ref[base] = data
        return base

    def ref_slice(self, addr: int, n: int) -> bytearray:
        for b, r in self.ref.items():
            if b <= addr and addr + n <= b + len(r):
                return r
        raise AssertionError(f"0x{addr:x}+{n} outside every area")

    def ref_write(self, addr: int, data: bytes, strbs: list[int] | None = None):
        """Apply a completed write: bytes under set strobes, except master beats in a
        write-error window (the memory models drop those)."""
        r = self.ref_slice(addr, len(data))
        base = next(b for b, x in self.ref.items() if x is r)
        mb, sb = self.mb, self.sb
        for off in range(0, len(data), mb):
            a = addr + off
            if self.mem.write_error_at(a - a % mb, mb):
                continue
            chunk = data[off:off + mb]
            if strbs is None:
                r[a - base:a - base + len(chunk)] = chunk
                continue
            for k in range(len(chunk)):
                if strbs[(off + k) // sb] >> ((off + k) % sb) & 1:
                    r[a - base + k] = chunk[k]

    def ref_read(self, addr: int, n: int) -> bytes:
        r = self.ref_slice(addr, n)
        base = next(b for b, x in self.ref.items() if x is r)
        return bytes(r[addr - base:addr - base + n])

    def check_memory(self):
        for base, r in self.ref.items():
            got = self.mem.read(base, len(r))
            if got != r:
                k = next(i for i in range(len(r)) if got[i] != r[i])
                raise AssertionError(f"memory differs at 0x{base + k:x}: "
                                     f"{got[k]:02x} != {r[k]:02x}")

    # -- operations -----------------------------------------------------------------------------

    def fields(self) -> dict:
        rng = self.rng
        return {"lock": rng.randint(0, 1), "cache": rng.randrange(16), "prot": rng.randrange(8)}

    async def read_check(self, addr: int, n: int, **kw):
        resp = await self.rd.read(addr, n, **kw)
        assert resp.resp == AxiResp.OKAY, f"read 0x{addr:x}+{n}: {resp.resp}"
        want = self.ref_read(addr, n)
        if resp.data != want:
            k = next(i for i in range(n) if resp.data[i] != want[i])
            raise AssertionError(f"read 0x{addr:x}+{n}: byte {k} (0x{addr + k:x}) "
                                 f"{resp.data[k]:02x} != {want[k]:02x}")

    async def write(self, addr: int, data: bytes, **kw):
        resp = await self.wr.write(addr, data, **kw)
        assert resp.resp == AxiResp.OKAY, f"write 0x{addr:x}+{len(data)}: {resp.resp}"
        self.ref_write(addr, data)

    async def worker(self, base: int, size: int, ops: int, max_beats: int = 128,
                     p_write: float = 0.5):
        """Random aligned reads and writes of 1..max_beats words in [base, base + size)."""
        rng, sb = self.rng, self.sb
        words = size // sb
        for _ in range(ops):
            beats = min(max_beats, rng.choice([1, 2, 3, rng.randint(1, 16),
                                               rng.randint(1, max_beats),
                                               rng.randint(1, max_beats), max_beats]))
            addr = base + sb * rng.randrange(words - beats + 1)
            n = beats * sb
            if rng.random() < 0.3:
                n -= rng.randrange(sb)         # partial last word: strobes / trailing bytes
            kw = self.fields()
            rid = rng.choice(self.worker_ids) if self.worker_ids else None
            if rng.random() < p_write:
                await self.write(addr, rng.randbytes(n), awid=rid, **kw)
            else:
                await self.read_check(addr, n, arid=rid, **kw)

    async def strobe_worker(self, awid: int, base: int, size: int, ops: int,
                            max_beats: int = 128):
        """Bursts with random strobes (sparse, dense, none, one half only) within 4 KB pages,
        each read back."""
        rng, sb = self.rng, self.sb
        hb = sb // 2                   # half a slave word (one master beat when converting)
        for _ in range(ops):
            beats = rng.randint(1, max_beats)
            page = base + 4096 * rng.randrange(size // 4096)
            pw = 4096 // sb
            beats = min(beats, pw)
            addr = page + sb * rng.randrange(pw - beats + 1)
            data = rng.randbytes(beats * sb)
            full = (1 << sb) - 1
            strbs = []
            for _ in range(beats):
                kind = rng.randrange(6)
                if kind == 0:
                    s = 0
                elif kind == 1:
                    s = full
                elif kind == 2:
                    s = ((1 << hb) - 1) << (hb * rng.randint(0, 1))   # one half only
                elif kind == 3:
                    s = rng.getrandbits(hb) << hb                       # high half random
                else:
                    s = rng.getrandbits(sb)
                strbs.append(s)
            ints = [int.from_bytes(data[k * sb:(k + 1) * sb], "little") for k in range(beats)]
            bresp = await self.sw.write(awid, addr, ints, strbs, self.s_size)
            assert bresp == OKAY, f"strobe write 0x{addr:x}+{beats}: bresp {bresp}"
            self.ref_write(addr, data, strbs)
            if rng.random() < 0.5:
                await self.read_check(addr, beats * sb)

    async def run_workers(self, coros, timeout_us: float):
        await with_timeout(gather(*coros), timeout_us, "us")


def ops_per_worker(default: int) -> int:
    return int(os.environ.get("CDC_OPS", str(default)))


def timeout_us(tb: TB, words: int) -> int:
    """Generous: 20 slow-clock cycles per slave word plus 100 us (whole microseconds)."""
    return 100 + (words * 20 * max(tb.s_ps, 2 * tb.m_ps)) // 1000000


# -------------------------------------------------------------------------------------------------

# cocotb timeout per test (simulated us): CDC_OPS operations of at most a few hundred beats at
# the slower clock (the traffic test took 83 us with the default number)
TIMEOUT_US = 2000 * max(1, int(os.environ.get("CDC_OPS", "0") or 0) // 30 + 1)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(slave=["ram", "hbm"], pauses=[False, True])
async def test_traffic(dut, slave, pauses):
    """Four workers with random reads/writes (1..128 words, partial last words, random
    lock/cache/prot) on disjoint areas; every read against the reference; memory at the end."""
    tb = TB(dut, slave, salt=("traffic", pauses))
    if pauses:
        tb.set_pauses(0.3)
    await tb.reset()
    nw, ops = 4, ops_per_worker(30)
    area = 4 * 4096
    bases = [tb.new_area(area) for _ in range(nw)]
    await tb.run_workers([tb.worker(b, area, ops) for b in bases],
                         timeout_us(tb, nw * ops * 128))
    tb.check_memory()
    nar, naw = tb.check_requests()
    tb.log.info("%d ops, %d AR / %d AW bursts, %d R / %d W master beats, at most %d reads in "
                "flight", nw * ops, nar, naw, tb.m_r_beats, tb.m_w_beats, tb.max_rd_inflight)
    assert tb.max_rd_inflight >= 2, "never more than one read burst in flight"


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(pauses=[False, True])
async def test_strobes(dut, pauses):
    """Writes with random per-beat strobes (none, all, one half, random) from four IDs at once,
    read back; memory at the end."""
    tb = TB(dut, "ram", strobe_writer=True, salt=("strobes", pauses))
    if pauses:
        tb.set_pauses(0.3)
    await tb.reset()
    nw, ops = 4, ops_per_worker(16)
    area = 2 * 4096
    bases = [tb.new_area(area) for _ in range(nw)]
    await tb.run_workers([tb.strobe_worker(k, b, area, ops) for k, b in enumerate(bases)],
                         timeout_us(tb, nw * ops * 128 * 2))
    tb.check_memory()
    tb.check_requests()


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(slave=["ram", "hbm"])
async def test_errors(dut, slave):
    """Read and write error windows on the master side (the HBM model answers SLVERR or DECERR
    at random, the RAM SLVERR), some covering one half of a slave word only: each slave R beat
    fails exactly when one of its master beats does, with the worse of their two RRESPs, zeros in
    that half and memory data in the other; each single-burst write gets the master side's BRESP,
    an error exactly when one of its master beats is in a window, which is then not written.
    Clean traffic afterwards."""
    tb = TB(dut, slave, salt=("errors",))
    tb.set_pauses(0.2)
    await tb.reset()
    sb, mb, rng = tb.sb, tb.mb, tb.rng
    base = tb.new_area(8192)
    # windows in master-beat units: (first beat, beats)
    rwin = [(3 * sb + (mb if tb.conv else 0), 4 * sb - (mb if tb.conv else 0)),
            (20 * sb, mb), (40 * sb, 8 * sb)]
    for off, n in rwin:
        tb.mem.add_read_error(base + off, base + off + n)
    wbase = base + 4096
    wwin = [(5 * sb + (mb if tb.conv else 0), mb), (30 * sb, 3 * sb)]
    for off, n in wwin:
        tb.mem.add_write_error(wbase + off, wbase + off + n)

    async def one_read(addr, beats):
        k0, m0 = len(tb.s_r), len(tb.m_r_resp)
        resp = await tb.rd.read(addr, beats * sb)
        got = tb.s_r[k0:]
        m_resp = tb.m_r_resp[m0:]                 # (reads one at a time: these beats only)
        half_n = sb // mb
        assert len(got) == beats and got[-1][3] == 1 and len(m_resp) == beats * half_n
        nbad = 0
        for k in range(beats):
            a = addr + k * sb
            halves = [tb.mem.read_error_at(a + h, mb) for h in range(0, sb, mb)]
            pair = m_resp[k * half_n:(k + 1) * half_n]
            assert [r != OKAY for r in pair] == halves, \
                f"read 0x{addr:x}: beat {k} master RRESPs {pair}, windows {halves}"
            want_resp = max(pair)                 # the worse of the two (DECERR 3 > SLVERR 2)
            assert got[k][2] == want_resp, \
                f"read 0x{addr:x}: beat {k} rresp {got[k][2]}, expected {want_resp}"
            nbad += any(halves)
            for h, bad in enumerate(halves):
                want = bytes(mb) if bad else tb.ref_read(a + h * mb, mb)
                seg = resp.data[k * sb + h * mb:k * sb + (h + 1) * mb]
                assert seg == want, f"read 0x{addr:x}: beat {k} half {h} data"
        assert (resp.resp != AxiResp.OKAY) == (nbad > 0)
        return nbad

    async def one_write(addr, beats):
        k0, m0 = len(tb.s_b), len(tb.m_b_resp)
        data = rng.randbytes(beats * sb)
        resp = await tb.wr.write(addr, data)
        got = tb.s_b[k0:]
        assert len(got) == 1 and len(tb.m_b_resp) == m0 + 1
        bad = any(tb.mem.write_error_at(a, mb) for a in range(addr, addr + beats * sb, mb))
        want = tb.m_b_resp[m0]                    # passed through
        assert (want != OKAY) == bad, f"write 0x{addr:x}+{beats}: master BRESP {want}"
        assert got[0][1] == want and (resp.resp != AxiResp.OKAY) == bad, \
            f"write 0x{addr:x}+{beats}: bresp {got[0][1]}, expected {want}"
        tb.ref_write(addr, data)
        return bad

    async def body():
        nbad = 0
        for addr, beats in [(base, 64), (base + 2 * sb, 3), (base + 7 * sb, 1),
                            (base + 6 * sb, 1), (base + 20 * sb, 2), (base + 21 * sb, 5)]:
            nbad += await one_read(addr, beats)
        for _ in range(6):
            beats = rng.randint(1, 64)
            nbad += await one_read(base + sb * rng.randrange(128 - beats + 1), beats)
        assert nbad > 0
        nw = 0
        for addr, beats in [(wbase, 40), (wbase + 6 * sb, 10), (wbase + 5 * sb, 1),
                            (wbase + 29 * sb, 1), (wbase + 33 * sb, 4)]:
            nw += await one_write(addr, beats)
        for _ in range(6):
            beats = rng.randint(1, 48)
            nw += await one_write(wbase + sb * rng.randrange(64 - beats + 1), beats)
        assert nw > 0
        tb.check_memory()
        tb.mem.clear_errors()
        await tb.worker(base, 8192, 8)

    await with_timeout(body(), timeout_us(tb, 2000), "us")
    tb.check_memory()
    tb.check_requests()
    tb.log.info("read error hits %d, write error hits %d", tb.mem.read_error_hits,
                tb.mem.write_error_hits)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_throughput(dut):
    """One long read and one long write burst (128 words, or 4 KB) with no pauses on the RAM
    model: words per slave cycle after the first word, against min(1, what the master side can
    carry at this clock ratio); >= 90 % of it. Printed as THROUGHPUT lines."""
    tb = TB(dut, "ram", salt=("throughput",))
    await tb.reset()
    sb = tb.sb
    beats = min(128, 4096 // sb)
    base = tb.new_area(4096)
    k = 2 if tb.conv else 1
    ideal = min(1.0, tb.s_ps / (k * tb.m_ps))

    async def body():
        res = {}
        await tb.read_check(base, beats * sb)     # warm-up (first-word latency not measured)
        k0 = len(tb.s_r)
        await tb.read_check(base, beats * sb)
        cyc = [r[0] for r in tb.s_r[k0:]]
        res["read"] = (len(cyc) - 1) / (cyc[-1] - cyc[0])
        k0 = len(tb.s_w_cycles)
        await tb.write(base, tb.rng.randbytes(beats * sb))
        cyc = tb.s_w_cycles[k0:]
        res["write"] = (len(cyc) - 1) / (cyc[-1] - cyc[0])
        return res

    res = await with_timeout(body(), timeout_us(tb, 600), "us")
    tb.check_memory()
    tb.check_requests()
    for name, rate in res.items():
        tb.log.info("THROUGHPUT %s S_DATA_W=%d M_DATA_W=%d s=%d ps m=%d ps: %d words, "
                    "%.3f words/slave cycle (ideal %.3f, %.1f %%)", name, tb.s_w, tb.m_w,
                    tb.s_ps, tb.m_ps, beats, rate, ideal, 100 * rate / ideal)
        assert rate >= 0.9 * ideal, f"{name}: {rate:.3f} words/cycle < 90 % of {ideal:.3f}"


def check_answer_order(reqs, req_cyc, resps, bad_id, ch):
    """The bridge's own answers (ID ``bad_id``; ``resps`` = (id, last, cycle) of R beats or B
    responses in order) start only when every earlier forwarded burst has completed (its last R
    beat / its B out), and no request of the direction is taken from the unsupported one's
    acceptance to the end of its answer."""
    bad = [c for r, c in zip(reqs, req_cyc) if r[0] == bad_id]
    good = [c for r, c in zip(reqs, req_cyc) if r[0] != bad_id]
    ends = [c for i, last, c in resps if i == bad_id and last]
    starts, first = [], True
    for i, last, c in resps:
        if i == bad_id:
            if first:
                starts.append(c)
            first = bool(last)
    assert len(bad) == len(ends) == len(starts), (ch, len(bad), len(ends), len(starts))
    for c_acc, t0, t1 in zip(bad, starts, ends):
        done = sum(1 for i, last, c in resps if i != bad_id and last and c < t0)
        taken = sum(1 for c in good if c < t0)
        assert done == taken, f"{ch} error answer at cycle {t0} with {taken - done} forwarded " \
            "bursts not complete"
        assert not [c for c in req_cyc if c_acc < c <= t1], \
            f"{ch} taken while an unsupported one ({c_acc}..{t1}) was being answered"


@cocotb.test(skip=os.environ.get("CDC_UNSUPPORTED", "0") != "1", timeout_time=TIMEOUT_US,
             timeout_unit="us")
async def test_unsupported(dut):
    """Unsupported requests (narrow size, unaligned address, FIXED burst, more than 128 words)
    between normal ones: SLVERR on every beat / the B of each, zeros read, memory untouched, not
    forwarded; normal traffic around them unaffected."""
    tb = TB(dut, "ram", max_burst=256)
    tb.set_pauses(0.2)
    await tb.reset()
    sb, rng = tb.sb, tb.rng
    base = tb.new_area(8192)
    assert tb.conv

    bad_id = (1 << tb.id_w) - 1           # the unsupported requests; workers use the others
    tb.worker_ids = list(range(bad_id))

    async def bad_read(addr, n, **kw):
        k0 = len(tb.s_r)
        resp = await tb.rd.read(addr, n, arid=bad_id, **kw)
        assert resp.resp == AxiResp.SLVERR, f"unsupported read {kw}: {resp.resp}"
        assert all(b == 0 for b in resp.data)
        got = [r for r in tb.s_r[k0:] if r[1] == bad_id]
        assert got and all(r[2] == SLVERR for r in got), f"unsupported read {kw}: {got}"

    async def bad_write(addr, n, **kw):
        k0 = len(tb.s_b)
        resp = await tb.wr.write(addr, rng.randbytes(n), awid=bad_id, **kw)
        assert resp.resp == AxiResp.SLVERR, f"unsupported write {kw}: {resp.resp}"
        got = [b for b in tb.s_b[k0:] if b[0] == bad_id]
        assert got and all(b[1] == SLVERR for b in got), f"unsupported write {kw}: {got}"

    async def body():
        cases = [
            (base + sb // 2, 3 * sb, {}),                             # unaligned
            (base, 4 * sb, {"size": tb.s_size - 1}),                  # narrow
            (base, 4 * sb, {"burst": AxiBurstType.FIXED}),            # FIXED
            (base, 129 * sb, {}),                                     # len 128
        ]
        for addr, n, kw in cases:
            await gather(tb.worker(base + 4096, 4096, 2), bad_read(addr, n, **kw))
            await gather(tb.worker(base + 4096, 4096, 2), bad_write(addr, n, **kw))
        await gather(*(bad_write(a, n, **kw) for a, n, kw in cases),
                     *(bad_read(a, n, **kw) for a, n, kw in cases),
                     tb.worker(base + 4096, 4096, 4))

    await with_timeout(body(), timeout_us(tb, 4000), "us")
    tb.check_memory()
    tb.check_requests()
    check_answer_order(tb.s_ar, tb.s_ar_cyc, [(r[1], r[3], r[0]) for r in tb.s_r], bad_id, "AR")
    check_answer_order(tb.s_aw, tb.s_aw_cyc, [(b[0], 1, b[2]) for b in tb.s_b], bad_id, "AW")
    nbad = sum(not tb.supported(r) for r in tb.s_ar + tb.s_aw)
    tb.log.info("UNSUPPORTED %d requests answered with SLVERR", nbad)
    assert nbad >= 2 * 4
