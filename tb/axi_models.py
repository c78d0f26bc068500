"""AXI memory models and bus checkers shared by the testbenches.

Error injection: [lo, hi) byte windows of the RAM (addresses taken modulo the RAM size, as the
RAM does), one :class:`ErrorWindows` per direction, set through the :class:`ErrorApi` methods
that every model here and ``tb/hbm_model.HbmPort`` share (``add_read_error``,
``add_write_error``, ``add_rlast_error``, ``clear_errors``, ``*_error_at``, ``*_hits``,
``set_error_seed``). A beat written inside a write-error window leaves memory unchanged and the
burst's B is an error; a beat read inside a read-error window returns zeros with an error RRESP.
The error response is SLVERR or DECERR at random, drawn per read beat / write burst from the
windows' generator, seeded by the testbench from its test parameters (``set_error_seed``);
cocotbext-axi's RAMs (:class:`ErrAxiRam`, whose ``_read``/``_write`` hooks raise) can only
answer SLVERR. An RLAST window (reads, the lean models only) inverts the RLAST of every read beat
inside it (early on a beat that is not the burst's last, missing on the last one) and leaves its
data and RRESP alone.

* :class:`ErrAxiRam`: an ``AxiRam`` with separate read and write error windows. Its bus may carry
  only one direction (``AxiBus(read=...)`` or ``AxiBus(write=...)``) for a read-only or
  write-only master; then only that interface exists.
* :class:`ErrAxiRamRead` / :class:`ErrAxiRamWrite`: single-direction RAMs (e.g. an instruction
  port sharing another RAM's ``mem``).
* :class:`FastAxiRam`, :class:`FastAxiRamRead`, :class:`FastAxiRamWrite`: drop-in replacements of
  the three above (same constructor arguments, error windows, ``read_if.ar_channel`` ... pause
  hooks) with one coroutine per RAM instead of one per channel plus one per direction, which
  sleeps while nothing is outstanding. Without pause generators they reproduce cocotbext-axi's
  AxiRam cycle for cycle (its channel queues of two, its read-ahead of one beat, the order in
  which it reads and writes memory), so core cycle counts stay those of the AxiRam.
* :class:`AxiBurstMonitor`: checks every AR or AW burst (INCR, full size, aligned, at most
  ``max_burst`` beats, no 4 KB crossing) and that a pending request stays stable.
* :func:`random_pause`: a pause generator for ``set_pause_generator``.
"""

from __future__ import annotations

import random
from collections import deque

import cocotb
from cocotb.triggers import Event, RisingEdge
from cocotbext.axi import AxiRam
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.memory import Memory


OKAY, SLVERR, DECERR = 0, 2, 3


class InjectedError(Exception):
    pass


class ErrorWindows:
    """The error windows of one direction of a memory model: ``windows`` ([lo, hi) byte ranges
    whose beats get an error response), ``rlast`` (read side: ranges whose beats carry an
    inverted RLAST), hit counters, and the generator that picks SLVERR or DECERR."""

    def __init__(self, seed=0):
        self.windows: list[tuple[int, int]] = []
        self.rlast: list[tuple[int, int]] = []
        self.hits = 0
        self.rlast_hits = 0
        self.rng = random.Random(seed)

    def hit(self, addr: int, length: int = 1) -> bool:
        return any(addr < hi and lo < addr + length for lo, hi in self.windows)

    def rlast_hit(self, addr: int, length: int = 1) -> bool:
        return any(addr < hi and lo < addr + length for lo, hi in self.rlast)

    def resp(self) -> int:
        """The error response of one failing read beat or write burst."""
        return SLVERR if self.rng.random() < 0.5 else DECERR

    def check(self, addr: int, length: int):
        """cocotbext-axi hook: raise (the RAM answers SLVERR) inside a window."""
        if self.hit(addr, length):
            self.hits += 1
            raise InjectedError(f"injected error at 0x{addr:x}")

    def clear(self):
        self.windows.clear()
        self.rlast.clear()


class ErrorApi:
    """The error-window API of every memory model (one copy for all): a model provides
    ``_err_side(read)`` (its :class:`ErrorWindows` of that direction, or None when it has no
    such direction) and ``size``."""

    def _err_side(self, read: bool) -> ErrorWindows | None:
        raise NotImplementedError

    def _side(self, read: bool) -> ErrorWindows:
        side = self._err_side(read)
        if side is None:
            raise ValueError(f"{type(self).__name__} has no {'read' if read else 'write'} side")
        return side

    def set_error_seed(self, seed) -> None:
        """Seed the SLVERR/DECERR choice (from the test's parameters)."""
        for read in (True, False):
            side = self._err_side(read)
            if side is not None:
                side.rng.seed(f"{seed}-{'r' if read else 'w'}")

    def add_read_error(self, lo: int, hi: int):
        self._side(True).windows.append((lo, hi))

    def add_write_error(self, lo: int, hi: int):
        self._side(False).windows.append((lo, hi))

    def add_rlast_error(self, lo: int, hi: int):
        """Read beats in [lo, hi) carry an inverted RLAST (data and RRESP intact)."""
        self._side(True).rlast.append((lo, hi))

    def clear_read_errors(self):
        side = self._err_side(True)
        if side is not None:
            side.clear()

    def clear_write_errors(self):
        side = self._err_side(False)
        if side is not None:
            side.clear()

    def clear_errors(self):
        self.clear_read_errors()
        self.clear_write_errors()

    def read_error_at(self, addr: int, length: int = 1) -> bool:
        """Whether a read of [addr, addr + length) touches a read-error window."""
        side = self._err_side(True)
        return side is not None and side.hit(addr % self.size, length)

    def write_error_at(self, addr: int, length: int = 1) -> bool:
        """Whether a write of [addr, addr + length) touches a write-error window."""
        side = self._err_side(False)
        return side is not None and side.hit(addr % self.size, length)

    @property
    def read_error_hits(self) -> int:
        side = self._err_side(True)
        return side.hits if side is not None else 0

    @property
    def write_error_hits(self) -> int:
        side = self._err_side(False)
        return side.hits if side is not None else 0

    @property
    def rlast_hits(self) -> int:
        """Read beats driven with an inverted RLAST."""
        side = self._err_side(True)
        return side.rlast_hits if side is not None else 0


class _ErrRead(AxiRamRead):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors = ErrorWindows()

    async def _read(self, address, length):
        self.errors.check(address % self.size, length)
        return await super()._read(address, length)


class _ErrWrite(AxiRamWrite):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors = ErrorWindows()

    async def _write(self, address, data):
        self.errors.check(address % self.size, len(data))
        await super()._write(address, data)


class _NoRlast:
    """cocotbext-axi's RAMs drive RLAST themselves: no RLAST windows."""

    def add_rlast_error(self, lo: int, hi: int):
        raise NotImplementedError(f"{type(self).__name__}: RLAST faults need FastAxiRam")


class ErrAxiRam(_NoRlast, ErrorApi, AxiRam):
    """AxiRam with read and write error windows [lo, hi) (byte addresses), answered SLVERR.

    ``bus.read`` or ``bus.write`` may be None (a read-only or write-only master): the matching
    ``read_if`` / ``write_if`` is then None and its error windows cannot be set.
    """

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**64, mem=None,
                 **kwargs):
        # Same as AxiRam.__init__, with the error-injecting interfaces (calling AxiRam's own
        # __init__ would start a second pair of bus drivers)
        self.write_if = None
        self.read_if = None
        Memory.__init__(self, size, mem, **kwargs)
        if bus.write is not None:
            self.write_if = _ErrWrite(bus.write, clock, reset, reset_active_level, mem=self.mem)
        if bus.read is not None:
            self.read_if = _ErrRead(bus.read, clock, reset, reset_active_level, mem=self.mem)

    def _err_side(self, read: bool) -> ErrorWindows | None:
        side = self.read_if if read else self.write_if
        return None if side is None else side.errors


class ErrAxiRamRead(_NoRlast, ErrorApi, _ErrRead):
    """Read-only AXI RAM (e.g. an instruction port) with read error windows."""

    def _err_side(self, read: bool) -> ErrorWindows | None:
        return self.errors if read else None


class ErrAxiRamWrite(_NoRlast, ErrorApi, _ErrWrite):
    """Write-only AXI RAM with write error windows."""

    def _err_side(self, read: bool) -> ErrorWindows | None:
        return None if read else self.errors


# ------------------------------------------------------------------------------------------------
# Lean RAM models
# ------------------------------------------------------------------------------------------------

def _reader(sig):
    """A fast integer getter for ``sig`` (the raw GPI call where this cocotb has it; signed on
    some simulators, so only below 32 bits)."""
    h = getattr(sig, "_handle", None)
    if h is not None and len(sig) < 32 and hasattr(h, "get_signal_val_long"):
        return h.get_signal_val_long
    if h is not None and hasattr(h, "get_signal_val_binstr"):
        get = h.get_signal_val_binstr
        return lambda: int(get(), 2)
    return lambda: int(sig.value)


class PauseHook:
    """Stands where cocotbext-axi has a channel object (``ram.read_if.r_channel`` ...): it only
    holds that channel's pause generator. A sink (AR, AW, W) draws once per cycle it is awake
    and holds its ready low on True; a source (R, B) draws when it could start a beat and holds
    it back on True."""

    def __init__(self):
        self.gen = None

    def set_pause_generator(self, generator=None):
        self.gen = generator

    def clear_pause_generator(self):
        self.gen = None


class _Side:
    """``read_if`` / ``write_if`` of a :class:`FastAxiRam`: its pause hooks and error windows."""

    def __init__(self, *channels):
        for ch in channels:
            setattr(self, f"{ch}_channel", PauseHook())
        self.errors = ErrorWindows()


class FastAxiRam(ErrorApi, Memory):
    """AXI4 RAM slave with read and write error windows, one coroutine per RAM.

    Same constructor and error API as :class:`ErrAxiRam` (``bus.read`` or ``bus.write`` may be
    None). Behaviour per clock edge, as cocotbext-axi's AxiRam (AxiSlaveRead/Write with their
    channel sinks and sources) without pauses:

    * AR, AW, W: a queue of two behind each ready (ready = fewer than two queued); W beats are
      taken before their AW too.
    * reads: one burst at a time is turned into R beats, each beat's data read from memory one
      beat ahead of the two-beat R queue; writes: one burst at a time takes its W beats from
      the queue and writes them to memory, then queues its B (two at most).
    * R and B: a beat is driven from its queue at the edge after it was queued, held until
      ready.

    Errors: a read beat whose word touches a read window returns zeros with SLVERR or DECERR; a
    write beat's byte run inside a write window is dropped (and the rest of that beat) and the
    burst answers SLVERR or DECERR, as ErrAxiRam does (which answers SLVERR only); a read beat
    whose word touches an RLAST window has its RLAST inverted. Pause generators on the hooks ``read_if.ar_channel``,
    ``read_if.r_channel``, ``write_if.aw_channel``, ``w_channel``, ``b_channel``
    (:class:`PauseHook`).

    While no burst is outstanding and AR/AW/W valid are low the coroutine does not wake on the
    clock; a rising valid (watched by one small coroutine per valid) or a reset change wakes it.
    """

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**64, mem=None,
                 **kwargs):
        super().__init__(size, mem, **kwargs)
        self.clock = clock
        self.reset = reset
        self.reset_active_level = int(bool(reset_active_level))
        self.rd = bus.read
        self.wr = bus.write
        self.read_if = _Side("ar", "r") if self.rd is not None else None
        self.write_if = _Side("aw", "w", "b") if self.wr is not None else None
        self.cycles = 0            # edges the coroutine was awake for (out of reset)
        self.sleeps = 0
        self._in_reset = reset is not None
        self._asleep = False
        self._wake = Event()
        self._init_signals()
        self._step, self._reset = self._make_step()
        self._tasks = [cocotb.start_soon(self._run())]
        valids = []
        if self.rd is not None:
            valids.append(self.rd.ar.arvalid)
        if self.wr is not None:
            valids += [self.wr.aw.awvalid, self.wr.w.wvalid]
        self._tasks += [cocotb.start_soon(self._watch(v)) for v in valids]
        if reset is not None:
            self._tasks.append(cocotb.start_soon(self._watch_reset()))

    # -- error API (ErrorApi) ------------------------------------------------------------------
    def _err_side(self, read: bool) -> ErrorWindows | None:
        side = self.read_if if read else self.write_if
        return None if side is None else side.errors

    def stop(self):
        for t in self._tasks:
            t.cancel()
        self._tasks.clear()

    # -- engine ---------------------------------------------------------------------------------
    def _init_signals(self):
        """Reset values as cocotbext-axi drives them: readies and valids low, R/B payload X."""
        try:
            from cocotb.types import LogicArray
        except ImportError:          # pragma: no cover
            LogicArray = None
        for ch, ready, valid, payload in (
                [] if self.rd is None else [(self.rd.ar, "arready", None, ()),
                                            (self.rd.r, None, "rvalid",
                                             ("rid", "rdata", "rresp", "rlast", "ruser"))]) + (
                [] if self.wr is None else [(self.wr.aw, "awready", None, ()),
                                            (self.wr.w, "wready", None, ()),
                                            (self.wr.b, None, "bvalid", ("bid", "bresp",
                                                                         "buser"))]):
            if ready is not None:
                getattr(ch, ready).setimmediatevalue(0)
            if valid is not None:
                getattr(ch, valid).setimmediatevalue(0)
            for name in payload:
                sig = getattr(ch, name, None)
                if sig is not None and LogicArray is not None:
                    sig.setimmediatevalue(LogicArray("x" * len(sig)))

    async def _watch(self, valid):
        edge = RisingEdge(valid)
        while True:
            await edge
            if self._asleep:
                self._wake.set()

    async def _watch_reset(self):
        # as cocotbext-axi's Reset: in reset from the start, then the level after each change
        while True:
            await self.reset.value_change
            try:
                level = int(self.reset.value)
            except ValueError:
                continue
            in_reset = level == self.reset_active_level
            if in_reset and not self._in_reset:
                self._reset()
            self._in_reset = in_reset
            self._wake.set()

    async def _run(self):
        edge = RisingEdge(self.clock)
        step = self._step
        while True:
            await edge
            if step():
                # idle: sleep until a valid rises or the reset changes
                self._wake.clear()
                self._asleep = True
                self.sleeps += 1
                await self._wake.wait()
                self._asleep = False

    def _make_step(self):
        """The per-edge function ``step()`` (True when the RAM is idle and may sleep) and
        ``reset()`` (drop everything, readies and valids low)."""
        rd, wr = self.rd, self.wr
        size = self.size
        mem_read, mem_write = self.read, self.write
        st = {"ar_rdy": False, "r_drv": False, "aw_rdy": False, "w_rdy": False,
              "b_drv": False, "r_tag": None, "b_tag": None}   # last driven R/B fields
        arq, rq, awq, wq, bq = deque(), deque(), deque(), deque(), deque()
        cur_r = [None]       # [arid, addr, num_bytes, beats left, burst, wrap lo, wrap hi]
        pend_r = [None]      # beat read ahead, waiting for room in the R queue
        cur_w = [None]       # [awid, addr, num_bytes, beats, n, burst, lo, hi, bresp]

        def opt(ch, name):
            sig = getattr(ch, name, None)
            return None if sig is None else _reader(sig)

        if rd is not None:
            ar, r = rd.ar, rd.r
            lanes = len(r.rdata) // 8
            max_size = (lanes - 1).bit_length()
            arvalid, arready = _reader(ar.arvalid), ar.arready
            ar_f = (_reader(ar.araddr), opt(ar, "arid"), opt(ar, "arlen"), opt(ar, "arsize"),
                    opt(ar, "arburst"))
            rvalid, rready, rdata = r.rvalid, _reader(r.rready), r.rdata
            rid, rresp, rlast = getattr(r, "rid", None), getattr(r, "rresp", None), r.rlast
            for name in ("ruser",):
                if hasattr(r, name):
                    getattr(r, name).value = 0
            ar_p, r_p = self.read_if.ar_channel, self.read_if.r_channel
            rerr = self.read_if.errors
        else:
            arvalid = None
        if wr is not None:
            aw, w, b = wr.aw, wr.w, wr.b
            wlanes = len(w.wdata) // 8
            wmax_size = (wlanes - 1).bit_length()
            strb_mask = (1 << wlanes) - 1
            awvalid, awready = _reader(aw.awvalid), aw.awready
            aw_f = (_reader(aw.awaddr), opt(aw, "awid"), opt(aw, "awlen"), opt(aw, "awsize"),
                    opt(aw, "awburst"))
            wvalid, wready = _reader(w.wvalid), w.wready
            wdata, wlast, wstrb = _reader(w.wdata), _reader(w.wlast), opt(w, "wstrb")
            bvalid, bready = b.bvalid, _reader(b.bready)
            bid, bresp = getattr(b, "bid", None), getattr(b, "bresp", None)
            if hasattr(b, "buser"):
                b.buser.value = 0
            aw_p, w_p, b_p = self.write_if.aw_channel, self.write_if.w_channel, \
                self.write_if.b_channel
            werr = self.write_if.errors
        else:
            awvalid = wvalid = None

        def burst_of(fields, ch, maxsz, nlanes):
            """(id, aligned addr, num_bytes, beats, burst, wrap lo, wrap hi) of an AR/AW."""
            addr_g, id_g, len_g, size_g, burst_g = fields
            addr = addr_g()
            bid_ = id_g() if id_g is not None else 0
            length = (len_g() if len_g is not None else 0) + 1
            sz = size_g() if size_g is not None else maxsz
            burst = burst_g() if burst_g is not None else 1
            num_bytes = 1 << sz
            assert 0 < num_bytes <= nlanes, f"{ch} size {sz} wider than the bus"
            aligned = (addr // num_bytes) * num_bytes
            total = num_bytes * length
            lo = hi = 0
            if burst == 2:                               # WRAP
                lo = (addr // total) * total
                hi = lo + total
            elif burst == 1:                             # INCR: no 4 KB crossing
                assert 0x1000 - (aligned & 0xfff) >= total, \
                    f"{ch} 0x{addr:x} + {length} x {num_bytes} B crosses a 4 KB boundary"
            return [bid_, aligned, num_bytes, length, burst, lo, hi]

        def next_addr(c, i_addr, i_nb, i_burst, i_lo, i_hi):
            if c[i_burst] != 0:                          # not FIXED
                a = c[i_addr] + c[i_nb]
                if c[i_burst] == 2 and a == c[i_hi]:
                    a = c[i_lo]
                c[i_addr] = a

        def read_process():
            # cocotbext AxiSlaveRead._process_read: take an AR, then per beat read the word
            # and wait for room in the R queue
            while True:
                if pend_r[0] is None:
                    c = cur_r[0]
                    if c is None:
                        if not arq:
                            return
                        c = cur_r[0] = arq.popleft()
                    a = (c[1] // lanes) * lanes
                    if rerr.windows and rerr.hit(a % size, lanes):
                        rerr.hits += 1
                        data, resp = 0, rerr.resp()
                    else:
                        data, resp = int.from_bytes(mem_read(a % size, lanes), "little"), 0
                    c[3] -= 1
                    last = c[3] == 0
                    if rerr.rlast and rerr.rlast_hit(a % size, lanes):
                        rerr.rlast_hits += 1
                        last = not last
                    pend_r[0] = (c[0], data, resp, last)
                    next_addr(c, 1, 2, 4, 5, 6)
                    if c[3] == 0:
                        cur_r[0] = None
                if len(rq) >= 2:
                    return
                rq.append(pend_r[0])
                pend_r[0] = None

        def write_process():
            # cocotbext AxiSlaveWrite._process_write: take an AW, its W beats, then send B
            while True:
                c = cur_w[0]
                if c is None:
                    if not awq:
                        return
                    c = cur_w[0] = awq.popleft() + [0, 0]        # + [beats done, bresp]
                if c[7] < c[3]:
                    if not wq:
                        return
                    data, strb, last = wq.popleft()
                    word = (c[1] // wlanes) * wlanes
                    i = 0
                    while i < wlanes:                            # runs of enabled bytes
                        if strb >> i & 1:
                            j = i
                            while j < wlanes and strb >> j & 1:
                                j += 1
                            a = word + i
                            if werr.windows and werr.hit(a % size, j - i):
                                werr.hits += 1
                                c[8] = c[8] or werr.resp()
                                break
                            mem_write(a % size, data[i:j])
                            i = j
                        else:
                            i += 1
                    assert last == (c[7] == c[3] - 1), \
                        f"wlast={last} on beat {c[7] + 1} of {c[3]}"
                    c[7] += 1
                    next_addr(c, 1, 2, 4, 5, 6)
                    continue
                if len(bq) >= 2:
                    return
                bq.append((c[0], c[8]))
                cur_w[0] = None

        def reset():
            for q in (arq, rq, awq, wq, bq):
                q.clear()
            cur_r[0] = pend_r[0] = cur_w[0] = None
            if rd is not None:
                arready.value = 0
                rvalid.value = 0
            if wr is not None:
                awready.value = 0
                wready.value = 0
                bvalid.value = 0
            st.update(ar_rdy=False, r_drv=False, aw_rdy=False, w_rdy=False, b_drv=False)

        def step():
            if self._in_reset:
                return True                 # sleeps until the reset changes
            self.cycles += 1
            if rd is not None:
                # AR sink
                if st["ar_rdy"] and arvalid():
                    arq.append(burst_of(ar_f, "AR", max_size, lanes))
                p = ar_p.gen
                rdy = len(arq) < 2 and not (p is not None and next(p))
                if rdy != st["ar_rdy"]:
                    arready.value = int(rdy)
                    st["ar_rdy"] = rdy
                # R source
                if not st["r_drv"] or rready():
                    p = r_p.gen
                    if rq and not (p is not None and next(p)):
                        beat = rq.popleft()
                        rdata.value = beat[1]
                        tag = (beat[0], beat[2], beat[3])        # (rid, rresp, rlast)
                        if tag != st["r_tag"]:
                            old = st["r_tag"] or (None, None, None)
                            if rid is not None and tag[0] != old[0]:
                                rid.value = tag[0]
                            if rresp is not None and tag[1] != old[1]:
                                rresp.value = tag[1]
                            if tag[2] != old[2]:
                                rlast.value = int(tag[2])
                            st["r_tag"] = tag
                        if not st["r_drv"]:
                            rvalid.value = 1
                            st["r_drv"] = True
                    elif st["r_drv"]:
                        rvalid.value = 0
                        st["r_drv"] = False
            if wr is not None:
                # AW sink
                if st["aw_rdy"] and awvalid():
                    awq.append(burst_of(aw_f, "AW", wmax_size, wlanes))
                p = aw_p.gen
                rdy = len(awq) < 2 and not (p is not None and next(p))
                if rdy != st["aw_rdy"]:
                    awready.value = int(rdy)
                    st["aw_rdy"] = rdy
                # W sink
                if st["w_rdy"] and wvalid():
                    wq.append((wdata().to_bytes(wlanes, "little"),
                               wstrb() if wstrb is not None else strb_mask, wlast()))
                p = w_p.gen
                rdy = len(wq) < 2 and not (p is not None and next(p))
                if rdy != st["w_rdy"]:
                    wready.value = int(rdy)
                    st["w_rdy"] = rdy
                # B source
                if not st["b_drv"] or bready():
                    p = b_p.gen
                    if bq and not (p is not None and next(p)):
                        tag = bq.popleft()                       # (bid, bresp)
                        if tag != st["b_tag"]:
                            old = st["b_tag"] or (None, None)
                            if bid is not None and tag[0] != old[0]:
                                bid.value = tag[0]
                            if bresp is not None and tag[1] != old[1]:
                                bresp.value = tag[1]
                            st["b_tag"] = tag
                        if not st["b_drv"]:
                            bvalid.value = 1
                            st["b_drv"] = True
                    elif st["b_drv"]:
                        bvalid.value = 0
                        st["b_drv"] = False
                write_process()
            if rd is not None:
                read_process()
            # idle: nothing queued or driven, no valid up
            return not (arq or rq or awq or wq or bq or st["r_drv"] or st["b_drv"] or
                        cur_r[0] or pend_r[0] or cur_w[0]) and \
                not (arvalid is not None and arvalid()) and \
                not (awvalid is not None and (awvalid() or wvalid()))

        return step, reset


class FastAxiRamRead(FastAxiRam):
    """Read-only :class:`FastAxiRam` on an ``AxiReadBus`` (as :class:`ErrAxiRamRead`): pause
    hooks ``ar_channel`` / ``r_channel`` and ``errors`` on the object itself."""

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**64, mem=None,
                 **kwargs):
        super().__init__(_Bus(read=bus), clock, reset, reset_active_level, size, mem, **kwargs)
        self.ar_channel = self.read_if.ar_channel
        self.r_channel = self.read_if.r_channel
        self.errors = self.read_if.errors


class FastAxiRamWrite(FastAxiRam):
    """Write-only :class:`FastAxiRam` on an ``AxiWriteBus`` (as :class:`ErrAxiRamWrite`)."""

    def __init__(self, bus, clock, reset=None, reset_active_level=True, size=2**64, mem=None,
                 **kwargs):
        super().__init__(_Bus(write=bus), clock, reset, reset_active_level, size, mem, **kwargs)
        self.aw_channel = self.write_if.aw_channel
        self.w_channel = self.write_if.w_channel
        self.b_channel = self.write_if.b_channel
        self.errors = self.write_if.errors


class _Bus:
    def __init__(self, read=None, write=None):
        self.read = read
        self.write = write


def random_pause(seed, p: float):
    """Pause generator: pauses each cycle with probability ``p`` (deterministic per seed)."""
    rng = random.Random(seed)
    while True:
        yield rng.random() < p


class AxiBurstMonitor:
    """Checks the AR or AW channel ``<prefix>_<ch>*`` of a full-width INCR master.

    Every handshake: INCR, size = the data-bus width, address aligned to it, at most
    ``max_burst`` beats, no 4 KB crossing. While valid waits for ready, valid stays high and
    the request does not change. Accepted bursts are appended to ``bursts`` as (addr, beats).
    ``sample()`` checks the values of one clock edge; with ``start=True`` the monitor samples
    every rising edge by itself, else the owner calls ``sample()`` right after each edge (to
    order it against its own checks).
    """

    def __init__(self, dut, prefix: str, ch: str, clock, beat_bytes: int, max_burst: int,
                 reset=None, reset_active_level=False, start=True):
        self.ch = ch
        self.clock = clock
        self.reset = reset
        self.reset_active_level = reset_active_level
        self.beat_bytes = beat_bytes
        self.max_burst = max_burst
        self.sig = {n: getattr(dut, f"{prefix}_{ch}{n}") for n in
                    ("valid", "ready", "addr", "len", "size", "burst")}
        self.bursts: list[tuple[int, int]] = []
        self.beats = 0          # beats of all accepted bursts
        self._held = None       # request seen waiting for ready at the previous edge
        if start:
            cocotb.start_soon(self._run())

    def in_reset(self) -> bool:
        return self.reset is not None and \
            str(self.reset.value) == str(int(self.reset_active_level))

    def sample(self):
        """Check one edge; returns (addr, beats) of a burst accepted at this edge, or None."""
        if self.in_reset():
            self._held = None
            return None
        valid = self.sig["valid"].value == 1
        req = None
        if valid:
            req = tuple(int(self.sig[n].value) for n in ("addr", "len", "size", "burst"))
        if self._held is not None:
            assert valid, f"{self.ch}valid dropped before {self.ch}ready"
            assert req == self._held, \
                f"{self.ch} request changed while waiting: {self._held} -> {req}"
        if not valid:
            self._held = None
            return None
        if self.sig["ready"].value != 1:
            self._held = req
            return None
        self._held = None
        addr, alen, size, burst = req
        n = alen + 1
        ch = self.ch.upper()
        assert burst == 1, f"{ch} burst type {burst}, expected INCR"
        assert 1 << size == self.beat_bytes, f"{ch} size {size}: not a full-width burst"
        assert n <= self.max_burst, f"{ch} burst of {n} beats > MAX_BURST {self.max_burst}"
        assert addr % self.beat_bytes == 0, f"{ch} burst address 0x{addr:x} not aligned"
        assert addr // 4096 == (addr + n * self.beat_bytes - 1) // 4096, \
            f"{ch} burst 0x{addr:x} + {n} beats crosses a 4 KB boundary"
        self.bursts.append((addr, n))
        self.beats += n
        return addr, n

    async def _run(self):
        while True:
            await RisingEdge(self.clock)
            self.sample()
