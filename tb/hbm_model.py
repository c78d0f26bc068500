"""Timing-aware AXI4 slave model of U280-style HBM2 pseudo-channel ports, for cocotb.

Structure (docs/hbm-model.md has the numbers, their sources and the calibration):

* :class:`HbmTiming`: HBM2 device timing in ns (DRAMsim3 ``HBM2_4Gb_x128.ini``) and the
  pseudo-channel data rate; :meth:`HbmTiming.cycles` converts it to cycles of the port clock.
* :class:`AddressMap`: which bits of a pseudo-channel offset are row, bank, bank group and
  column (a string such as ``"row:14 ba:2 bg:2 col:5"``, most significant field first).
* :class:`HbmChannel`: the bank/bus state of one pseudo-channel and the scheduler. It schedules
  one *chunk* (consecutive beats in one bank and row) at a time, when the burst is accepted (reads)
  or its write data is complete (writes), and returns when its data occupies the data bus: open
  page, ACT/PRE/CAS rules, all-bank refresh. Commands issue in arrival order (FCFS) with bank
  look-ahead: a chunk's PRE/ACT may issue while earlier chunks still transfer data.
* :class:`HbmMemory`: what several ports share: the backing store (``read(addr, n)`` /
  ``write(addr, data)``; cocotbext-axi ``SparseMemory`` by default or e.g. ``model.core.SparseMem``)
  and one :class:`HbmChannel` per pseudo-channel, so ports reaching the same pseudo-channel
  contend for its banks and data bus, as behind the U280 switch.
* :class:`HbmPort`: the AXI4 slave on one master (``AxiBus.from_prefix(dut, prefix)``). Its
  per-cycle step samples the handshakes of all five channels and drives the next values;
  timing is computed per burst, the per-beat work is one ``rdata`` write or one ``wdata`` read.
  Responses (R and B) return in acceptance order whatever their ID, which AXI allows. Accesses
  outside the port's home pseudo-channel pay the lateral switch latency.
* One coroutine per memory and clock (:class:`_Ticker`) steps all its ports at every edge, in
  construction order. A port with nothing outstanding and AR/AW valid low *sleeps*: it is not
  stepped (only its two valids are read) until a valid rises; when every port sleeps the
  coroutine itself awaits a valid (or reset) change instead of the clock and counts the edges it
  skipped from the simulation time. Timing, refresh and pause draws are those of a port stepped
  on every edge (``sleep=False``), checked cycle for cycle by ``tb/hbm`` ``test_sleep_exact``.

Error injection is that of the RAM models, through the same code (:class:`axi_models.ErrorApi`):
[lo, hi) byte windows (addresses modulo the memory size) per port; a read beat inside a read
window returns zeros with SLVERR or DECERR (drawn from the seeded window generator), a write beat
inside a write window is dropped and the burst's B is SLVERR or DECERR, a read beat inside an
RLAST window carries an inverted RLAST. Optional knobs: pause generators on every channel and a
random extra latency per burst.
"""

from __future__ import annotations

import heapq
import logging
import math
import random
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Protocol

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import Event, RisingEdge

try:                                   # as a cocotb module (tb/ on the path) or from pytest
    from axi_models import ErrorApi, ErrorWindows
except ImportError:                    # pragma: no cover
    from tb.axi_models import ErrorApi, ErrorWindows

OKAY, SLVERR = 0, 2
INCR = 1
U280_PORT_NS = 1000.0 / 450.0      # 450 MHz HBM AXI port clock (paper 4.1, 5.1.2)


def _reader(sig) -> Callable[[], int]:
    """A fast integer getter for ``sig``: the raw GPI call when this cocotb exposes it (about
    6x faster than ``int(sig.value)`` for one bit), else ``int(sig.value)``. The raw call is
    signed on some simulators (Icarus), so it is used below 32 bits only."""
    h = getattr(sig, "_handle", None)
    if h is not None and len(sig) < 32 and hasattr(h, "get_signal_val_long"):
        return h.get_signal_val_long
    if h is not None and hasattr(h, "get_signal_val_binstr"):
        get = h.get_signal_val_binstr
        return lambda: int(get(), 2)
    return lambda: int(sig.value)


class Backing(Protocol):
    """The shared backing store (SparseMemory, model.core.SparseMem, ...)."""

    def read(self, addr: int, n: int) -> bytes: ...

    def write(self, addr: int, data: bytes) -> None: ...


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HbmTiming:
    """HBM2 timing in ns. Defaults: DRAMsim3 ``configs/HBM2_4Gb_x128.ini`` (tCK = 1 ns, so its
    cycle counts are ns) and the U280 pseudo-channel (64 DQ at 1.8 Gb/s = 14.4 GB/s)."""

    tCL: float = 14.0       # read CAS latency
    tCWL: float = 4.0       # write CAS latency
    tRCD: float = 14.0      # ACT to CAS
    tRP: float = 14.0       # PRE to ACT
    tRAS: float = 34.0      # ACT to PRE
    tRFC: float = 260.0     # all-bank refresh
    tREFI: float = 3900.0   # refresh interval
    tCCD_S: float = 1.0     # CAS to CAS, other bank group
    tCCD_L: float = 2.0     # CAS to CAS, same bank group
    tRRD_S: float = 4.0     # ACT to ACT, other bank group
    tRRD_L: float = 6.0     # ACT to ACT, same bank group
    tFAW: float = 30.0      # window of four ACTs
    tWR: float = 16.0       # end of write data to PRE
    tWTR_S: float = 6.0     # end of write data to RD, other bank group
    tWTR_L: float = 8.0     # end of write data to RD, same bank group
    tRTP: float = 4.0       # RD to PRE (tRTP_S)
    tRTW: float = 2.0       # bus gap read data -> write data (Ramulator2: RD->WR = CL+BL+2-CWL tCK)
    dq_bits: int = 64       # pseudo-channel data width
    gbps: float = 1.8       # per-pin data rate (U280: 900 MHz DDR)
    ctrl_ns: float = 0.0    # controller/PHY/switch pipeline latency added to every response

    def beat_ns(self, beat_bytes: int) -> float:
        """Data-bus time of one AXI beat (32 B = one BL4 at 64 DQ)."""
        return beat_bytes * 8 / (self.dq_bits * self.gbps)

    def cycles(self, clk_ns: float, beat_bytes: int = 32) -> "Cycles":
        """Convert to cycles of a port clock of period ``clk_ns`` (JEDEC-style ceiling; the
        refresh interval is floored so refreshes are never late)."""
        def c(ns: float) -> int:
            return max(0, math.ceil(ns / clk_ns - 1e-9))
        return Cycles(
            CL=c(self.tCL), CWL=c(self.tCWL), RCD=c(self.tRCD), RP=c(self.tRP),
            RAS=c(self.tRAS), RFC=c(self.tRFC), REFI=int(self.tREFI / clk_ns + 1e-9),
            CCD_L=c(self.tCCD_L), RRD_S=c(self.tRRD_S), RRD_L=c(self.tRRD_L), FAW=c(self.tFAW),
            WR=c(self.tWR), WTR_S=c(self.tWTR_S), WTR_L=c(self.tWTR_L), RTP=c(self.tRTP),
            RTW=c(self.tRTW), CTRL=c(self.ctrl_ns), beat=self.beat_ns(beat_bytes) / clk_ns)


@dataclass(frozen=True)
class Cycles:
    """:class:`HbmTiming` in port-clock cycles (``beat`` may be fractional: the data-bus time
    of one beat; 1.0 at 450 MHz, where the port and the pseudo-channel have the same rate)."""

    CL: int
    CWL: int
    RCD: int
    RP: int
    RAS: int
    RFC: int
    REFI: int
    CCD_L: int
    RRD_S: int
    RRD_L: int
    FAW: int
    WR: int
    WTR_S: int
    WTR_L: int
    RTP: int
    RTW: int
    CTRL: int
    beat: float


# ---------------------------------------------------------------------------------------------
# Address mapping
# ---------------------------------------------------------------------------------------------

class AddressMap:
    """Split a pseudo-channel byte offset into (bank group, bank, row, column).

    ``spec`` lists fields from the most significant bit down, ``name:bits``, names ``row``,
    ``ba`` (bank in its group), ``bg`` (bank group), ``col`` (column in beats); a field may
    appear more than once (its lower part further right). The ``log2(beat_bytes)`` byte-offset
    bits sit below all fields. Default ``row:14 ba:2 bg:2 col:5``: a 1 KB page of 32 beats,
    consecutive pages rotate over the 4 bank groups, then the 4 banks (DRAMsim3's
    ``rorabgbachco`` with one rank and channel).
    """

    NAMES = ("row", "ba", "bg", "col")

    def __init__(self, spec: str = "row:14 ba:2 bg:2 col:5", beat_bytes: int = 32):
        self.spec = spec
        self.beat_shift = beat_bytes.bit_length() - 1
        toks = [t.split(":") for t in spec.split()]
        # (name, src bit (in beats), width, dst shift), least significant first
        self.fields: list[tuple[str, int, int, int]] = []
        filled = dict.fromkeys(self.NAMES, 0)
        src = 0
        for name, bits in reversed(toks):
            if name not in self.NAMES:
                raise ValueError(f"unknown address field {name!r} in {spec!r}")
            w = int(bits)
            self.fields.append((name, src, w, filled[name]))
            filled[name] += w
            src += w
        self.widths = filled
        self.bits = src + self.beat_shift             # offset bits covered
        # Beats that stay in one (bank, row): up to the first non-column field
        low = 0
        for name, s, w, _ in self.fields:
            if name != "col":
                break
            low = s + w
        self.chunk_beats = 1 << low
        self.groups = 1 << filled["bg"]
        self.banks_per_group = 1 << filled["ba"]
        self.page_bytes = (1 << filled["col"]) << self.beat_shift

    def decode(self, offset: int) -> tuple[int, int, int]:
        """(bank index 0..banks-1, bank group, row) of a byte offset in the pseudo-channel."""
        v = dict.fromkeys(self.NAMES, 0)
        beat = offset >> self.beat_shift
        for name, s, w, d in self.fields:
            v[name] |= ((beat >> s) & ((1 << w) - 1)) << d
        return v["bg"] * self.banks_per_group + v["ba"], v["bg"], v["row"]

    def __repr__(self) -> str:
        return f"AddressMap({self.spec!r})"


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HbmConfig:
    """Everything a port and its channels need. All latencies in port-clock cycles unless
    the name says ns."""

    clk_ns: float = U280_PORT_NS        # port clock period
    beat_bytes: int = 32                # AXI data width / 8 (U280: 256-bit ports)
    pc_bytes: int = 256 << 20           # pseudo-channel window (U280: 256 MB)
    num_pcs: int = 32                   # pseudo-channels behind the switch (U280: 32)
    mapping: str = "row:14 ba:2 bg:2 col:5"
    timing: HbmTiming = field(default_factory=HbmTiming)
    refresh: bool = True
    # Switch (docs/hbm-model.md "Lateral penalty")
    switch_ports: int = 4               # masters/pseudo-channels per switch group (PG276: 4x4)
    lateral_latency: int = 4            # extra cycles for any pseudo-channel but the home one
    hop_latency: int = 4                # extra cycles per switch group boundary crossed
    lateral_beat_cycles: float = 1.0    # port cycles per beat on a lateral path (2.0 = 50 % cap)
    write_switch_gap: int = 1           # dead data-bus cycles when consecutive writes come from
                                        # different ports (PG276)
    # Controller queues
    max_reads: int = 32                 # accepted AR bursts not fully returned
    max_writes: int = 32                # accepted AW bursts without B
    wbuf_beats: int = 256               # write data buffered ahead of the DRAM

    def cycles(self) -> Cycles:
        return self.timing.cycles(self.clk_ns, self.beat_bytes)

    def with_clock(self, clk_ns: float) -> "HbmConfig":
        return replace(self, clk_ns=clk_ns)


# ---------------------------------------------------------------------------------------------
# One pseudo-channel: banks, data bus, refresh
# ---------------------------------------------------------------------------------------------

@dataclass
class ChannelStats:
    hits: int = 0          # chunks to the open row
    empty: int = 0         # chunks to a closed bank (ACT)
    conflicts: int = 0     # chunks to a bank with another row open (PRE + ACT)
    refreshes: int = 0
    beats: int = 0
    busy: float = 0.0      # data-bus cycles used


class HbmChannel:
    """Bank and data-bus state of one pseudo-channel; times are port cycles (floats).

    :meth:`access` schedules one chunk (``n`` beats in one bank and row) no earlier than
    ``now`` and returns ``(start, spacing)``: its beats occupy the data bus at
    ``start + k * spacing``. Rules, per chunk, in arrival order:

    * open row: CAS as soon as the bus allows; closed bank: ACT, CAS tRCD later; other row open:
      PRE (after tRAS from its ACT, tRTP after its last read CAS, tWR after its last write
      data), ACT tRP later. ACTs keep arrival order and respect tRRD_S/tRRD_L and tFAW.
    * data starts CL (read) / CWL (write) after the CAS and after the previous chunk's data, plus
      a turnaround gap when the direction changes (write->read tWTR + CL, read->write tRTW)
      and ``write_switch_gap`` between writes of different ports. Beats within a chunk are
      ``max(beat, tCCD_L)`` apart.
    * refresh every tREFI: a chunk whose first command would issue at or after the due time
      waits for PREA (when a bank is open) + tRFC; chunks already started finish first; all
      banks are closed afterwards.
    """

    def __init__(self, cfg: HbmConfig, index: int):
        self.cfg = cfg
        self.index = index
        self.t = t = cfg.cycles()
        self.map = AddressMap(cfg.mapping, cfg.beat_bytes)
        nb = self.map.groups * self.map.banks_per_group
        self.row = [-1] * nb
        self.cas_ok = [0.0] * nb
        self.pre_ok = [0.0] * nb
        self.act_ok = [0.0] * nb
        self.last_act = -1e9
        self.bg_act = [-1e9] * self.map.groups
        self.faw: deque[float] = deque([-1e9] * 4, maxlen=4)
        self.bus_free = 0.0
        self.last_write: bool | None = None
        self.last_bg = -1
        self.last_port = -1
        self.spacing = max(t.beat, float(t.CCD_L))
        # Stagger the refresh phase over the channels (as independent controllers would)
        self.next_ref = float(t.REFI - (index * t.REFI) // max(cfg.num_pcs, 1)) \
            if cfg.refresh and t.REFI > 0 else math.inf
        self.stats = ChannelStats()

    def _refresh(self, due: float) -> None:
        t = self.t
        start = due
        any_open = False
        for b, r in enumerate(self.row):
            if r >= 0:
                any_open = True
                start = max(start, self.pre_ok[b])
        ref = start + (t.RP if any_open else 0)
        ref = max(ref, max(self.act_ok))          # previous refresh / precharges done
        end = ref + t.RFC
        for b in range(len(self.row)):
            self.row[b] = -1
            self.act_ok[b] = end
        self.next_ref += t.REFI
        self.stats.refreshes += 1

    def access(self, now: float, bank: int, bg: int, row: int, n: int, write: bool,
               port: int = 0) -> tuple[float, float]:
        t = self.t
        lat = t.CWL if write else t.CL
        while True:
            # Refreshes due while the channel idled: jump over whole intervals
            if now - self.next_ref > 2 * t.REFI:
                k = int((now - self.next_ref) // t.REFI) - 1
                self.next_ref += k * t.REFI
                self.stats.refreshes += k
            hit = self.row[bank] == row
            if hit:
                act = pre = None
                cas = max(now, self.cas_ok[bank])
            else:
                pre = max(now, self.pre_ok[bank]) if self.row[bank] >= 0 else None
                act = max(now if pre is None else pre + t.RP, self.act_ok[bank],
                          self.last_act + t.RRD_S, self.bg_act[bg] + t.RRD_L,
                          self.faw[0] + t.FAW)
                cas = act + t.RCD
            gap = 0
            if self.last_write is not None:
                if self.last_write and not write:
                    gap = (t.WTR_L if bg == self.last_bg else t.WTR_S) + t.CL
                elif write and not self.last_write:
                    gap = t.RTW
                elif write and port != self.last_port:
                    gap = self.cfg.write_switch_gap
            start = max(cas + lat, self.bus_free + gap)
            first = start - lat if hit else (pre if pre is not None else act)
            if first >= self.next_ref:
                self._refresh(self.next_ref)
                continue
            break
        st = self.stats
        if hit:
            st.hits += 1
        else:
            if pre is None:
                st.empty += 1
            else:
                st.conflicts += 1
            self.row[bank] = row
            self.cas_ok[bank] = act + t.RCD
            self.pre_ok[bank] = act + t.RAS
            self.last_act = act
            self.bg_act[bg] = act
            self.faw.append(act)
        sp = self.spacing
        end = start + n * sp
        if write:
            self.pre_ok[bank] = max(self.pre_ok[bank], end + t.WR)
        else:
            self.pre_ok[bank] = max(self.pre_ok[bank], end - sp - lat + t.RTP)
        self.bus_free = end
        self.last_write = write
        self.last_bg = bg
        self.last_port = port
        st.beats += n
        st.busy += n * sp
        return start, sp


class HbmMemory:
    """Shared state behind the switch: the backing store and the pseudo-channels.

    ``backing`` needs ``read(addr, n) -> bytes`` and ``write(addr, data)``; addresses are taken
    modulo ``size`` (as cocotbext-axi's RAMs do). The pseudo-channel of an address is
    ``(addr // pc_bytes) % num_pcs`` of the full AXI address.
    """

    def __init__(self, size: int = 8 << 30, backing: Backing | None = None,
                 cfg: HbmConfig | None = None):
        from cocotbext.axi.sparse_memory import SparseMemory
        self.size = size
        self.mem: Backing = backing if backing is not None else SparseMemory(size)
        self.cfg = cfg or HbmConfig()
        self.channels: dict[int, HbmChannel] = {}
        self.tickers: dict[object, _Ticker] = {}      # one per port clock

    def ticker(self, clock) -> "_Ticker":
        """The coroutine that steps this memory's ports on ``clock`` (created on first use)."""
        key = getattr(clock, "_path", None) or id(clock)
        t = self.tickers.get(key)
        if t is None:
            t = self.tickers[key] = _Ticker(clock, lambda: self.tickers.pop(key, None))
        return t

    def channel(self, pc: int) -> HbmChannel:
        ch = self.channels.get(pc)
        if ch is None:
            ch = self.channels[pc] = HbmChannel(self.cfg, pc)
        return ch

    def read(self, addr: int, n: int) -> bytes:
        a = addr % self.size
        if a + n <= self.size:
            return bytes(self.mem.read(a, n))
        k = self.size - a
        return bytes(self.mem.read(a, k)) + self.read(0, n - k)

    def write(self, addr: int, data: bytes) -> None:
        a = addr % self.size
        k = min(len(data), self.size - a)
        self.mem.write(a, bytes(data[:k]))
        if k < len(data):
            self.write(0, data[k:])

    def stats(self) -> dict[int, ChannelStats]:
        return {pc: ch.stats for pc, ch in sorted(self.channels.items())}


# ---------------------------------------------------------------------------------------------
# The AXI4 slave port
# ---------------------------------------------------------------------------------------------

class _Burst:
    __slots__ = ("id", "addr", "beats", "ready", "sent", "data", "bad", "flip", "resp", "got",
                 "t_acc")

    def __init__(self, bid: int, addr: int, beats: int):
        self.id = bid
        self.addr = addr
        self.beats = beats
        self.ready: list[int] = []     # read: cycle after which beat k may be driven
        self.sent = 0                  # read: beats handed out
        self.data = b""
        self.bad: list[int] | None = None      # read: RRESP per beat (with an error window)
        self.flip: list[bool] | None = None    # read: RLAST inverted per beat
        self.resp = OKAY               # write: BRESP
        self.got = 0                   # write: W beats received
        self.t_acc = 0                 # cycle of the address handshake


@dataclass
class PortStats:
    ar: int = 0
    aw: int = 0
    r_beats: int = 0
    w_beats: int = 0
    lateral: int = 0               # bursts outside the home pseudo-channel
    cycles: int = 0                # clock edges seen out of reset (slept ones included)
    model_s: float = 0.0           # wall time inside the per-cycle body
    sleeps: int = 0                # idle periods the port slept through
    slept: int = 0                 # clock edges it was not stepped on
    read_latency: list[int] = field(default_factory=list)   # AR accept -> first R beat


class HbmPort(ErrorApi):
    """AXI4 slave model of one HBM AXI port (see the module docstring).

    ``bus`` is a cocotbext-axi ``AxiBus`` (``AxiBus.from_prefix(dut, "m_axi_hbm0")``); either
    direction may be None. ``home_pc`` is the port's own pseudo-channel. ``reset`` is sampled on
    its edges; while active the port drops every transaction and drives its valids/readies low.
    ``log_latency`` records every read's first-beat latency in ``stats.read_latency``.

    ``sleep`` (default on): with no burst outstanding and AR/AW valid low the port is not stepped
    until a valid rises (see :class:`_Ticker`); what it computes is the same as with
    ``sleep=False``, which steps it on every edge.
    """

    def __init__(self, bus, clock, reset=None, reset_active_level: bool = True, *,
                 memory: HbmMemory | None = None, home_pc: int = 0, port_id: int | None = None,
                 seed: int = 0, log_latency: bool = False, check_protocol: bool = True,
                 sleep: bool = True):
        self.log = logging.getLogger("cocotb.hbm")
        self.memory = memory or HbmMemory()
        self.cfg = self.memory.cfg
        self.t = self.cfg.cycles()
        self.clock = clock
        self.reset = reset
        self.reset_active_level = int(reset_active_level)
        self.home_pc = home_pc
        self.port_id = home_pc if port_id is None else port_id
        self.bb = self.cfg.beat_bytes
        self.size_log2 = self.bb.bit_length() - 1
        self.map = AddressMap(self.cfg.mapping, self.bb)
        self._spacing = max(self.t.beat, float(self.t.CCD_L))   # data-bus cycles per beat
        self.log_latency = log_latency
        self.check_protocol = check_protocol
        self.rng = random.Random(seed)
        self.extra_latency: tuple[float, int] = (0.0, 0)   # (probability, max cycles)
        self._pause: dict[str, Iterator[bool] | None] = dict.fromkeys(("ar", "aw", "w", "r", "b"))
        self.rerr = ErrorWindows()
        self.werr = ErrorWindows()
        self.stats = PortStats()
        self.cycle = 0
        self._in_reset = False
        self.sleep = sleep
        self._asleep: tuple[int, int] | None = None   # (ticker edge, cycle) when it fell asleep

        self.rd = bus.read
        self.wr = bus.write
        if self.rd is not None:
            a, r = self.rd.ar, self.rd.r
            if len(r.rdata) != 8 * self.bb:
                raise ValueError(f"rdata is {len(r.rdata)} bits, config says {8 * self.bb}")
            self._ar_sigs = tuple(None if x is None else _reader(x) for x in (
                a.araddr, a.arlen, getattr(a, "arid", None), getattr(a, "arsize", None),
                getattr(a, "arburst", None)))
        if self.wr is not None:
            a = self.wr.aw
            self._aw_sigs = tuple(None if x is None else _reader(x) for x in (
                a.awaddr, a.awlen, getattr(a, "awid", None), getattr(a, "awsize", None),
                getattr(a, "awburst", None)))
            w = self.wr.w
            self._wdata, self._wlast = _reader(w.wdata), _reader(w.wlast)
            self._wstrb = _reader(w.wstrb) if hasattr(w, "wstrb") else None
            self._full_strb = (1 << self.bb) - 1
        self._clear()
        self._drive_idle()
        self._step, self._poll = self._make_step()
        self._tasks = []
        if reset is not None:
            self._tasks.append(cocotb.start_soon(self._watch_reset()))
        self._ticker: _Ticker | None = self.memory.ticker(clock)
        self._ticker.add(self)

    # -- public API (ErrAxiRam-compatible where it overlaps) --------------------------------

    def stop(self) -> None:
        """Stop the port (e.g. to put a fresh model on the same bus)."""
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        if self._ticker is not None:
            self._ticker.remove(self)
            self._ticker = None

    def read(self, addr: int, n: int) -> bytes:
        return self.memory.read(addr, n)

    def write(self, addr: int, data: bytes) -> None:
        self.memory.write(addr, data)

    @property
    def size(self) -> int:
        return self.memory.size

    def _err_side(self, read: bool) -> ErrorWindows:
        return self.rerr if read else self.werr

    def set_pause_generators(self, ar=None, aw=None, w=None, r=None, b=None) -> None:
        """Generators yielding True for a cycle of pause: ``ar``/``aw``/``w`` hold the ready
        low (backpressure), ``r``/``b`` hold back a response that is ready (idle cycles)."""
        if self._ticker is not None:
            self._ticker.catch_up()
        self._pause.update(ar=ar, aw=aw, w=w, r=r, b=b)

    def set_pause_generator(self, channel: str, gen=None) -> None:
        """Set (or clear with None) the pause generator of one channel ("ar", "aw", "w", "r"
        or "b") and leave the others as they are."""
        if channel not in self._pause:
            raise ValueError(f"unknown channel {channel!r}")
        if self._ticker is not None:
            self._ticker.catch_up()
        self._pause[channel] = gen

    def set_extra_latency(self, probability: float, max_cycles: int) -> None:
        """With ``probability`` per burst, delay its response by 1..max_cycles more cycles."""
        self.extra_latency = (probability, max_cycles)

    def lateral_penalty(self, pc: int) -> int:
        """Extra response latency (cycles) of this port reaching pseudo-channel ``pc``."""
        if pc == self.home_pc:
            return 0
        hops = abs(pc // self.cfg.switch_ports - self.home_pc // self.cfg.switch_ports)
        return self.cfg.lateral_latency + hops * self.cfg.hop_latency

    # -- scheduling ---------------------------------------------------------------------------

    def _schedule(self, addr: int, beats: int, write: bool, now: int) -> tuple[list[float], int]:
        """Schedule a burst on its pseudo-channel(s); returns the data-bus time of every beat
        and the lateral penalty of its first beat."""
        cfg = self.cfg
        times: list[float] = []
        pc = (addr // cfg.pc_bytes) % cfg.num_pcs
        pen = self.lateral_penalty(pc)
        if pen:
            self.stats.lateral += 1
        cb = self.map.chunk_beats
        a = addr
        left = beats
        while left:
            pc = (a // cfg.pc_bytes) % cfg.num_pcs
            off = a % cfg.pc_bytes
            n = min(left, cb - (off >> self.map.beat_shift) % cb)
            bank, bg, row = self.map.decode(off)
            start, sp = self.memory.channel(pc).access(now, bank, bg, row, n, write,
                                                       self.port_id)
            times.extend(start + k * sp for k in range(n))
            a += n * self.bb
            left -= n
        return times, pen

    def _extra(self) -> int:
        p, m = self.extra_latency
        if p > 0 and self.rng.random() < p:
            return self.rng.randint(1, m)
        return 0

    # -- per-cycle engine ---------------------------------------------------------------------

    def _clear(self) -> None:
        self._rq: deque[_Burst] = deque()      # accepted reads, in order
        self._wq: deque[_Burst] = deque()      # accepted writes waiting for W data
        self._bq: deque[tuple[int, _Burst]] = deque()   # (ready cycle, burst) waiting for B
        self._wrel: list[tuple[float, int]] = []         # heap of (data-bus end, beats)
        self._wbuf = 0
        self._ar_rdy = self._aw_rdy = self._w_rdy = False
        self._r_vld = self._b_vld = False                # valid driven and not yet taken
        self._r_vld_drv = self._b_drv = False            # last driven rvalid / bvalid
        self._r_drv = (None, None, None)                 # last driven (rid, rresp, rlast)

    def _drive_idle(self) -> None:
        if self.rd is not None:
            self.rd.ar.arready.value = 0
            self.rd.r.rvalid.value = 0
            self.rd.r.rlast.value = 0
            if hasattr(self.rd.r, "rresp"):
                self.rd.r.rresp.value = 0
            if hasattr(self.rd.r, "rid"):
                self.rd.r.rid.value = 0
            self.rd.r.rdata.value = 0
        if self.wr is not None:
            self.wr.aw.awready.value = 0
            self.wr.w.wready.value = 0
            self.wr.b.bvalid.value = 0
            if hasattr(self.wr.b, "bresp"):
                self.wr.b.bresp.value = 0
            if hasattr(self.wr.b, "bid"):
                self.wr.b.bid.value = 0

    async def _watch_reset(self) -> None:
        while True:
            self._in_reset = str(self.reset.value) == str(self.reset_active_level)
            if self._in_reset:
                self._clear()
                self._drive_idle()
            await self.reset.value_change

    def _wakers(self) -> list:
        """Triggers that end a sleep: AR/AW valid rising (a port sleeps with both low) and
        reset changes."""
        out = []
        if self.rd is not None:
            out.append(RisingEdge(self.rd.ar.arvalid))
        if self.wr is not None:
            out.append(RisingEdge(self.wr.aw.awvalid))
        if self.reset is not None:
            out.append(self.reset.value_change)
        return out

    def _skip_pauses(self, m: int) -> None:
        """The AR/AW pause draws of ``m`` idle edges (a stepped idle port draws them on every
        edge) and the readies the last draws give."""
        for ch, bus in (("ar", self.rd), ("aw", self.wr)):
            p = self._pause[ch]
            if p is None or bus is None or m <= 0:
                continue
            v = False
            for _ in range(m):
                v = next(p)
            rdy = not v
            if ch == "ar":
                if rdy != self._ar_rdy:
                    bus.ar.arready.value = int(rdy)
                    self._ar_rdy = rdy
            elif rdy != self._aw_rdy:
                bus.aw.awready.value = int(rdy)
                self._aw_rdy = rdy

    def _burst_req(self, sigs, write: bool) -> _Burst:
        addr_s, len_s, id_s, size_s, burst_s = sigs
        addr = addr_s()
        beats = len_s() + 1
        bid = id_s() if id_s is not None else 0
        if self.check_protocol:
            ch = "AW" if write else "AR"
            if burst_s is not None:
                assert burst_s() == INCR, f"{ch} burst type {burst_s()}: INCR only"
            if size_s is not None:
                assert size_s() == self.size_log2, \
                    f"{ch} size {size_s()}: only full-width beats are modelled"
            assert addr % self.bb == 0, f"{ch} address 0x{addr:x} not aligned to {self.bb} B"
            assert addr // 4096 == (addr + beats * self.bb - 1) // 4096, \
                f"{ch} 0x{addr:x} + {beats} beats crosses a 4 KB boundary"
        return _Burst(bid, addr, beats)

    def _accept_ar(self, c: int) -> None:
        b = self._burst_req(self._ar_sigs, False)
        times, pen = self._schedule(b.addr, b.beats, False, c)
        add = pen + self.t.CTRL + self._extra()
        lb = self.cfg.lateral_beat_cycles if pen else 0.0
        t0 = times[0] + add
        b.ready = [math.ceil(max(x + add, t0 + k * lb) - 1e-9) for k, x in enumerate(times)]
        b.t_acc = c
        self._rq.append(b)
        self.stats.ar += 1

    def _accept_aw(self, c: int) -> None:
        self._wq.append(self._burst_req(self._aw_sigs, True))
        self.stats.aw += 1

    def _accept_w(self, c: int) -> None:
        b = self._wq[0]
        if self.check_protocol:
            last = self._wlast()
            assert last == (b.got + 1 == b.beats), f"wlast={last} on beat {b.got + 1} of {b.beats}"
        data = self._wdata().to_bytes(self.bb, "little")
        strb = self._wstrb() if self._wstrb is not None else self._full_strb
        a = b.addr + b.got * self.bb
        if self.werr.windows and self.werr.hit(a % self.size, self.bb):
            self.werr.hits += 1
            b.resp = b.resp or self.werr.resp()
        elif strb == self._full_strb:
            self.memory.write(a, data)
        else:
            i = 0
            while i < self.bb:              # write each run of enabled bytes
                if strb >> i & 1:
                    j = i
                    while j < self.bb and strb >> j & 1:
                        j += 1
                    self.memory.write(a + i, data[i:j])
                    i = j
                else:
                    i += 1
        b.got += 1
        self._wbuf += 1
        self.stats.w_beats += 1
        if b.got == b.beats:
            self._wq.popleft()
            times, pen = self._schedule(b.addr, b.beats, True, c)
            lb = self.cfg.lateral_beat_cycles if pen else 0.0
            end = max(times[-1] + self._spacing, times[0] + b.beats * lb)
            heapq.heappush(self._wrel, (end, b.beats))
            ready = math.ceil(end + pen + self.t.CTRL + self._extra() - 1e-9)
            if self._bq:
                ready = max(ready, self._bq[-1][0])
            self._bq.append((ready, b))

    def _load_read(self, b: _Burst) -> None:
        n = b.beats * self.bb
        b.data = self.memory.read(b.addr, n)
        if self.rerr.windows:
            bad = [self.rerr.resp() if self.rerr.hit((b.addr + k * self.bb) % self.size, self.bb)
                   else OKAY for k in range(b.beats)]
            if any(bad):
                b.bad = bad
        if self.rerr.rlast:
            flip = [self.rerr.rlast_hit((b.addr + k * self.bb) % self.size, self.bb)
                    for k in range(b.beats)]
            if any(flip):
                b.flip = flip

    def _make_step(self):
        """The per-edge functions ``step()`` (sample the handshakes of the edge, drive the next
        cycle, fall asleep when idle) and ``poll()`` (for a sleeping port: wake and step if an
        AR/AW valid is up or the reset changed, else only the AR/AW pause draws)."""
        perf = time.perf_counter
        st = self.stats
        rd, wr = self.rd, self.wr
        pause = self._pause
        bb = self.bb
        arvalid = awvalid = None
        if rd is not None:
            arvalid, arready = _reader(rd.ar.arvalid), rd.ar.arready
            rvalid, rready, rdata, rlast = rd.r.rvalid, _reader(rd.r.rready), rd.r.rdata, rd.r.rlast
            rid = getattr(rd.r, "rid", None)
            rresp = getattr(rd.r, "rresp", None)
        if wr is not None:
            awvalid, awready = _reader(wr.aw.awvalid), wr.aw.awready
            wvalid, wready = _reader(wr.w.wvalid), wr.w.wready
            bvalid, bready = wr.b.bvalid, _reader(wr.b.bready)
            bid = getattr(wr.b, "bid", None)
            bresp = getattr(wr.b, "bresp", None)
        cfg = self.cfg

        def step() -> None:
            if self._in_reset:
                return
            t0 = perf()
            self.cycle = c = self.cycle + 1
            st.cycles += 1
            # ---- sample the handshakes of the edge ------------------------------------------
            if rd is not None:
                if self._ar_rdy and arvalid():
                    self._accept_ar(c)
                if self._r_vld and rready():
                    b = self._rq[0]
                    b.sent += 1
                    st.r_beats += 1
                    if b.sent == b.beats:
                        self._rq.popleft()
                    self._r_vld = False
            if wr is not None:
                if self._aw_rdy and awvalid():
                    self._accept_aw(c)
                if self._w_rdy and wvalid():
                    self._accept_w(c)
                if self._b_vld and bready():
                    self._bq.popleft()
                    self._b_vld = False
            # ---- drive the next cycle -------------------------------------------------------
            if rd is not None:
                p = pause["ar"]
                rdy = len(self._rq) < cfg.max_reads and not (p is not None and next(p))
                if rdy != self._ar_rdy:
                    arready.value = int(rdy)
                    self._ar_rdy = rdy
                if not self._r_vld:
                    vld = False
                    if self._rq:
                        b = self._rq[0]
                        k = b.sent
                        p = pause["r"]
                        if b.ready[k] <= c and not (p is not None and next(p)):
                            if k == 0:
                                self._load_read(b)
                                if self.log_latency:
                                    st.read_latency.append(c + 1 - b.t_acc)
                            bad = b.bad[k] if b.bad is not None else OKAY
                            rdata.value = 0 if bad else \
                                int.from_bytes(b.data[k * bb:(k + 1) * bb], "little")
                            last = k + 1 == b.beats
                            if b.flip is not None and b.flip[k]:
                                last = not last
                                self.rerr.rlast_hits += 1
                            drv = (b.id, bad, last)
                            if drv != self._r_drv:
                                if rid is not None:
                                    rid.value = drv[0]
                                if rresp is not None:
                                    rresp.value = drv[1]
                                rlast.value = int(drv[2])
                                self._r_drv = drv
                            if bad:
                                self.rerr.hits += 1
                            vld = True
                    if vld or self._r_vld_drv:
                        rvalid.value = int(vld)
                    self._r_vld = self._r_vld_drv = vld
            if wr is not None:
                while self._wrel and self._wrel[0][0] <= c:
                    self._wbuf -= heapq.heappop(self._wrel)[1]
                p = pause["aw"]
                rdy = len(self._wq) + len(self._bq) < cfg.max_writes and \
                    not (p is not None and next(p))
                if rdy != self._aw_rdy:
                    awready.value = int(rdy)
                    self._aw_rdy = rdy
                p = pause["w"]
                rdy = bool(self._wq) and self._wbuf < cfg.wbuf_beats and \
                    not (p is not None and next(p))
                if rdy != self._w_rdy:
                    wready.value = int(rdy)
                    self._w_rdy = rdy
                if not self._b_vld:
                    vld = False
                    if self._bq and self._bq[0][0] <= c:
                        p = pause["b"]
                        if not (p is not None and next(p)):
                            b = self._bq[0][1]
                            if bid is not None:
                                bid.value = b.id
                            if bresp is not None:
                                bresp.value = b.resp
                            vld = True
                    if vld != self._b_drv:
                        bvalid.value = int(vld)
                        self._b_drv = vld
                    self._b_vld = vld
            st.model_s += perf() - t0
            # ---- idle: sleep until an AR/AW valid rises --------------------------------------
            if self.sleep and not (self._rq or self._wq or self._bq) and \
                    not (arvalid is not None and arvalid()) and \
                    not (awvalid is not None and awvalid()):
                self._asleep = (self._ticker.edges, c)
                st.sleeps += 1

        def poll() -> None:
            if self._in_reset or (arvalid is not None and arvalid()) or \
                    (awvalid is not None and awvalid()):
                e0, c0 = self._asleep
                self._asleep = None
                m = self._ticker.edges - e0 - 1           # edges it was not stepped on
                self.cycle = c0 + m
                st.cycles += m
                st.slept += m
                step()
            elif pause["ar"] is not None or pause["aw"] is not None:
                self._skip_pauses(1)

        return step, poll

    def cycles_now(self) -> int:
        """``stats.cycles`` up to the current edge (a sleeping port adds the edges it slept
        through when it wakes)."""
        if self._asleep is None or self._ticker is None:
            return self.stats.cycles
        return self.stats.cycles + self._ticker.edges_now() - self._asleep[0]

    @property
    def beats(self) -> int:
        return self.stats.r_beats + self.stats.w_beats

    def summary(self) -> str:
        s = self.stats
        bps = self.beats / s.model_s if s.model_s else 0.0
        return (f"port {self.port_id}: {s.ar} AR, {s.aw} AW, {s.r_beats} R + {s.w_beats} W beats "
                f"in {self.cycles_now()} cycles ({s.slept} slept in {s.sleeps} sleeps), "
                f"{s.lateral} lateral bursts; model {s.model_s:.2f} s "
                f"({bps:,.0f} beats/s of model time)")


class _Ticker:
    """Steps the ports of one :class:`HbmMemory` on one clock: one coroutine instead of one per
    port, the ports in construction order at every edge (the order their own coroutines had),
    so that ports sharing a pseudo-channel are scheduled in the same order whichever of them
    slept.

    A sleeping port is only polled (its AR/AW valids read, its AR/AW pause generators drawn).
    When every port has slept for ``IDLE_MIN`` edges at a regular clock period, the ticker stops
    awaiting the clock: it awaits a rise of any port's AR/AW valid or a reset change (or a new
    port; small watcher coroutines, one per signal, set an event),
    then counts the edges it skipped as (time elapsed) // period, makes each port's pause draws
    for them, and resumes at the next edge. A first edge after that which is not where the period
    puts it (the clock changed while asleep) is counted in ``mismatches`` (edge count rounded)
    and ends this ticker's sleeping.
    """

    IDLE_MIN = 4

    def __init__(self, clock, on_empty: Callable[[], object]):
        self.clock = clock
        self.ports: list[HbmPort] = []
        self.edges = 0                    # clock edges since the ticker started
        self.sleep = True
        self.mismatches = 0
        self.sleeps = 0
        self._on_empty = on_empty
        self._kick = Event()
        self._watchers: dict[HbmPort, list] = {}
        self._asleep: tuple[int, int] | None = None         # (t0, period) while asleep
        self._expect: tuple[int, int, int, int] | None = None   # after a sleep
        self._task = cocotb.start_soon(self._run())

    def add(self, port: "HbmPort") -> None:
        self.ports.append(port)
        self._watchers[port] = [cocotb.start_soon(self._watch(trig))
                                for trig in port._wakers()]
        self._kick.set()

    def remove(self, port: "HbmPort") -> None:
        if port in self.ports:
            self.ports.remove(port)
        for task in self._watchers.pop(port, []):
            task.cancel()
        if not self.ports:
            self._task.cancel()
            self._on_empty()

    async def _watch(self, trigger) -> None:
        """Wakes the sleeping ticker on ``trigger`` (a rising AR/AW valid or a reset change);
        one small coroutine per signal, cheaper than a First() over all of them per sleep."""
        while True:
            await trigger
            if self._asleep is not None:
                self._kick.set()

    def edges_now(self) -> int:
        """``edges`` including those passed while the ticker sleeps (an edge at the current
        time not included)."""
        if self._asleep is None:
            return self.edges
        t0, period = self._asleep
        return self.edges + (get_sim_time() - t0 - 1) // period

    async def _run(self) -> None:
        edge = RisingEdge(self.clock)
        idle_t: list[int] = []          # sim time of the edges at which every port slept
        while True:
            await edge
            self.edges += 1
            if self._expect is not None:
                self._check_wake()
            asleep = True
            for port in self.ports:
                if port._asleep is None:
                    port._step()
                else:
                    port._poll()
                if port._asleep is None:
                    asleep = False
            if not (asleep and self.sleep and self.ports):
                if idle_t:
                    idle_t.clear()
                continue
            idle_t.append(get_sim_time())
            if len(idle_t) <= self.IDLE_MIN:
                continue
            period = idle_t[1] - idle_t[0]
            regular = period > 0 and all(idle_t[k + 1] - idle_t[k] == period
                                         for k in range(1, len(idle_t) - 1))
            t0 = idle_t[-1]
            idle_t.clear()
            if regular:
                await self._sleep(t0, period)

    async def _sleep(self, t0: int, period: int) -> None:
        self._kick.clear()
        self._asleep = (t0, period)
        self.sleeps += 1
        await self._kick.wait()
        self.catch_up()
        t0, period = self._asleep
        self._asleep = None
        self._expect = (t0 + period, t0, self.edges, period)

    def catch_up(self) -> None:
        """While asleep: count the edges passed so far and make the sleeping ports' pause
        draws for them (so that a pause generator replaced now starts where it would have)."""
        if self._asleep is None:
            return
        t0, period = self._asleep
        m = (get_sim_time() - t0) // period       # edges passed without being stepped
        if m:
            self.edges += m
            for port in self.ports:
                if port._asleep is not None and not port._in_reset:
                    port._skip_pauses(m)
            self._asleep = (t0 + m * period, period)

    def _check_wake(self) -> None:
        t_exp, t0, e0, period = self._expect
        self._expect = None
        t = get_sim_time()
        if t == t_exp:
            return
        self.mismatches += 1
        # e0 counts the edges up to the last skipped one; the one just counted is e0 + 1
        self.edges = e0 + round((t - t_exp) / period) + 1
        if (t - t0) % period:
            self.sleep = False
            logging.getLogger("cocotb.hbm").warning(
                "HBM ports on %s: clock period changed while asleep; they no longer sleep "
                "(edge count rounded)", getattr(self.clock, "_path", self.clock))
