"""AXI4 / AXI4-Lite protocol monitors built on cocotb-bus (``cocotb_bus.monitors.BusMonitor``).

:class:`AxiProtocolMonitor` watches one AXI4 (or AXI4-Lite) bus between a master and a slave and
checks, at every clock edge where some valid is high:

========== ===================================================================================
rule       meaning
========== ===================================================================================
``hold``   a valid (AR, AW, W, R, B) stays high until its ready (no withdrawn request/beat)
``stable`` the payload of a channel does not change while its valid is high and ready low
``wlast``  WLAST is set on the last beat of each write burst and only there (from AWLEN; W
           beats may come before their AW)
``4kb``    no AR/AW burst crosses a 4 KB boundary (INCR; address + beats x 2^size)
``orphan`` no R or B response for an ID with nothing outstanding (a B also waits for the
           burst's last W beat)
``rlast``  RLAST is set on the last beat of each read burst and only there (from ARLEN): the
           slave's rule; beats a memory model inverts on purpose (its RLAST windows) are
           counted instead and compared with the model's count at the end of the run
``end``    nothing is outstanding at the end of a run (:meth:`AxiProtocolMonitor.end_run`,
           called by the testbench after each program)
========== ===================================================================================

A violation fails the test with an ``AxiProtocolError`` naming the port, channel, rule and
simulation time (or, with ``fail=False``, is only appended to ``violations``, which is what the
monitor's own tests use). A summary of each run (bytes read and written, bursts, RLAST faults)
is handed to ``BusMonitor._recv``, so a ``cocotb_bus`` scoreboard can compare it with a model:
:class:`RunScoreboard` compares the bytes with the model's byte counts (``model.core``).

Speed: the monitors of one clock are stepped by one coroutine (:class:`MonitorDomain`, as
``hbm_model``'s ticker steps its ports), and a monitor is stepped only on edges where one of its
valids is high or a stalled beat is held. While all valids of its bus are low it sleeps: one small
coroutine per valid waits for that valid's rising edge, arms that channel and wakes the monitor
(and the domain, which itself waits for such a wake when every monitor sleeps), so idle ports
cost nothing per cycle, and an awake monitor reads only the armed channels (valid rose and not
yet seen low), e.g. R alone while a read burst streams.
Signal values are read with the raw GPI getters (``axi_models._reader``); the wide payload only
on stalled edges.

cocotb-bus 0.3.0 under cocotb 2.1: ``Bus`` (signal lookup by prefix), ``BusMonitor`` (the
``_monitor_recv`` coroutine, ``_recv`` callbacks) and ``Scoreboard.add_interface`` / ``compare``
work. ``Scoreboard.result`` does not: on cocotb 2.x it calls ``cocotb.pass_test()``, which ends
the running test as passed; :class:`RunScoreboard` therefore checks its queues itself
(:meth:`RunScoreboard.check`) and never calls ``result``. ``Monitor.kill`` uses
``Task.kill``, kept by cocotb 2.1 as a deprecated alias; :meth:`AxiProtocolMonitor.stop` cancels
the tasks instead.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import Event, RisingEdge
from cocotb_bus.monitors import BusMonitor
from cocotb_bus.scoreboard import Scoreboard

from axi_models import _reader


def _raw(sig):
    """A getter for comparing a payload field: the integer below 32 bits, the bit string above
    (safe with X/Z bits)."""
    h = getattr(sig, "_handle", None)
    if h is not None and len(sig) < 32 and hasattr(h, "get_signal_val_long"):
        return h.get_signal_val_long
    if h is not None and hasattr(h, "get_signal_val_binstr"):
        return h.get_signal_val_binstr
    return lambda: str(sig.value)

RULES = ("hold", "stable", "wlast", "4kb", "orphan", "rlast", "end")

# channel -> (valid, ready, payload fields); the fields are optional signals
_CHANNELS = {
    "ar": ("arvalid", "arready", ("arid", "araddr", "arlen", "arsize", "arburst", "arlock",
                                  "arcache", "arprot")),
    "aw": ("awvalid", "awready", ("awid", "awaddr", "awlen", "awsize", "awburst", "awlock",
                                  "awcache", "awprot")),
    "w": ("wvalid", "wready", ("wdata", "wstrb", "wlast")),
    "r": ("rvalid", "rready", ("rid", "rdata", "rresp", "rlast")),
    "b": ("bvalid", "bready", ("bid", "bresp")),
}


class AxiProtocolError(AssertionError):
    """An AXI protocol violation (port, channel, rule, time in the message)."""


@dataclass
class Violation:
    port: str
    channel: str
    rule: str
    time_ns: float
    detail: str

    def __str__(self) -> str:
        where = "bus" if self.channel == "-" else f"{self.channel.upper()} channel"
        return (f"AXI protocol violation on {self.port} {where}, rule '{self.rule}', at "
                f"{self.time_ns:.1f} ns: {self.detail}")


def _fmt(payload: tuple) -> str:
    """A payload tuple for a message: bit strings as hex where they have no X/Z."""
    out = []
    for v in payload:
        if isinstance(v, str):
            try:
                v = hex(int(v, 2))
            except ValueError:
                pass
        out.append(str(v))
    return "(" + ", ".join(out) + ")"


@dataclass
class RunSummary:
    """What the monitor saw on its bus during one run (the transaction handed to ``_recv``)."""
    port: str
    rd_bytes: int = 0
    wr_bytes: int = 0
    ar: int = 0
    aw: int = 0
    rlast_faults: int = 0
    extra: dict = field(default_factory=dict)


class MonitorDomain:
    """Steps the awake monitors of one clock at each rising edge, in one coroutine; waits for a
    wake-up instead of the clock when none is awake. A monitor wakes (its valid rose) after the
    edge that the domain has already stepped, so its first step is the next edge, where that
    valid is first sampled high."""

    def __init__(self, clock):
        self.clock = clock
        self.awake: list = []
        self._event = Event()
        self._task = cocotb.start_soon(self._run())

    def wake(self, mon) -> None:
        if mon._asleep:
            mon._asleep = False
            self.awake.append(mon)
            self._event.set()

    def stop(self) -> None:
        self._task.cancel()

    async def _run(self):
        edge = RisingEdge(self.clock)
        awake = self.awake
        while True:
            await edge
            if awake:
                for m in list(awake):
                    if m._in_reset or m._step():        # idle (or in reset): falls asleep
                        awake.remove(m)
                        m._asleep = True
            if not awake:
                self._event.clear()
                await self._event.wait()


class AxiProtocolMonitor(BusMonitor):
    """Protocol checker of one AXI4 or AXI4-Lite bus ``<name>_<signal>`` of ``entity``.

    ``clock`` is the bus clock, ``reset_n`` its active-low reset (nothing is checked while it is
    low, and everything outstanding is forgotten). The channels present (a read-only master has
    AR and R only) are found by name. ``lite=True``: AXI4-Lite (no IDs, lengths or last flags;
    one beat per request). ``model``: the memory model on the bus; beats it drives with an
    inverted RLAST on purpose (its RLAST windows) are counted, not reported, and the count must
    equal the model's ``rlast_hits`` at :meth:`end_run`. ``fail=False`` only records
    violations. ``domain``: the :class:`MonitorDomain` of ``clock`` shared with other monitors
    (a private one when None).
    """

    _signals: list = []
    _optional_signals = [s for v, r, p in _CHANNELS.values() for s in (v, r) + p]

    def __init__(self, entity, name: str, clock, reset_n=None, *, lite: bool = False,
                 model=None, fail: bool = True, callback=None,
                 domain: MonitorDomain | None = None):
        self.lite = lite
        self._domain = domain if domain is not None else MonitorDomain(clock)
        self._own_domain = domain is None
        self.model = model
        self.fail = fail
        self.violations: list[Violation] = []
        self.port = name
        self._tasks = []
        # BusMonitor.__init__ finds the signals and schedules _monitor_recv (which starts at the
        # next scheduling point, after the set-up below)
        BusMonitor.__init__(self, entity, name, clock, reset_n=reset_n, callback=callback)
        self._chs = [ch for ch, (v, r, _) in _CHANNELS.items()
                     if hasattr(self.bus, v) and hasattr(self.bus, r)]
        if not self._chs:
            raise ValueError(f"no AXI channel found under {name}_*")
        self._held = dict.fromkeys(self._chs)     # stalled payload per channel (or None)
        self._armed = dict.fromkeys(self._chs, False)   # valid rose and not yet seen low
        self._rd: dict[int, deque] = {}           # ID -> beats left per read burst, in order
        self._aw_q: deque = deque()               # (id, beats) of AWs whose W is not complete
        self._w_early: deque = deque()            # beats of W bursts that came before the AW
        self._w_cur = 0                           # W beats of the burst in progress
        self._b_owed: dict[int, int] = {}         # ID -> write bursts complete, B not yet seen
        self._in_reset = reset_n is not None
        self._asleep = True                       # woken by a rising valid
        self._step = self._make_step()
        self.begin_run()

    # -- public --------------------------------------------------------------------------------
    def stop(self) -> None:
        for t in self._tasks + [self._thread]:
            if t is not None and not t.done():
                t.cancel()
        self._tasks = []
        self._thread = None
        if self._own_domain:
            self._domain.stop()

    def outstanding(self) -> list[str]:
        """What is outstanding now, in words (empty when the bus is quiet)."""
        return self._outstanding()

    def begin_run(self) -> None:
        """Start a new run's summary (bytes, bursts, RLAST faults)."""
        self._run = RunSummary(self.port)
        self._rlast_hits0 = self._model_rlast_hits()

    def end_run(self, label: str = "") -> RunSummary:
        """End of a run: nothing may be outstanding, the RLAST faults seen must be those the
        model injected; the run's summary goes to ``_recv`` (scoreboards) and is returned."""
        left = self._outstanding()
        if left:
            self._violate("-", "end", f"{label}: still outstanding at the end of the run: "
                          + "; ".join(left))
        run = self._run
        injected = self._model_rlast_hits() - self._rlast_hits0
        if run.rlast_faults != injected:
            self._violate("r", "rlast", f"{label}: {run.rlast_faults} beats with a misplaced "
                          f"RLAST on the bus, the memory model inverted {injected}")
        self._recv(run)
        self.begin_run()
        return run

    # -- internals -----------------------------------------------------------------------------
    def _model_rlast_hits(self) -> int:
        return getattr(self.model, "rlast_hits", 0) if self.model is not None else 0

    def _model_rlast_windows(self) -> bool:
        if self.model is None or not hasattr(self.model, "_err_side"):
            return False
        side = self.model._err_side(True)
        return side is not None and bool(side.rlast)

    def _violate(self, ch: str, rule: str, detail: str) -> None:
        v = Violation(self.port, ch, rule, get_sim_time("ns"), detail)
        self.violations.append(v)
        self.log.error("%s", v)
        if self.fail:
            raise AxiProtocolError(str(v))

    def _outstanding(self) -> list[str]:
        out = []
        n_rd = sum(len(q) for q in self._rd.values())
        if n_rd:
            out.append(f"{n_rd} read bursts without all R beats (IDs "
                       f"{sorted(k for k, q in self._rd.items() if q)})")
        if self._aw_q:
            out.append(f"{len(self._aw_q)} AW without all W beats")
        if self._w_early or self._w_cur:
            out.append(f"{len(self._w_early)} W bursts (+{self._w_cur} beats) without an AW")
        n_b = sum(self._b_owed.values())
        if n_b:
            out.append(f"{n_b} write bursts without a B")
        for ch, held in self._held.items():
            if held is not None:
                out.append(f"{ch.upper()} valid waiting for ready")
        return out

    def _clear(self) -> None:
        """Reset: forget everything outstanding (in place: the step function holds them)."""
        for ch in self._held:
            self._held[ch] = None
            self._armed[ch] = False
        self._rd.clear()
        self._aw_q.clear()
        self._w_early.clear()
        self._w_cur = 0
        self._b_owed.clear()

    async def _monitor_recv(self):
        """Starts the wake-up coroutines; the sampling itself is the domain's (``_step`` at
        each edge while awake)."""
        for ch in self._chs:
            self._tasks.append(cocotb.start_soon(
                self._watch(getattr(self.bus, _CHANNELS[ch][0]), ch)))
        if self._reset_n is not None:
            self._tasks.append(cocotb.start_soon(self._watch_reset()))

    async def _watch(self, valid, ch):
        """A rising valid arms its channel (sampled from the next edge until seen low) and
        wakes the monitor."""
        edge = RisingEdge(valid)
        domain, armed = self._domain, self._armed
        while True:
            await edge
            armed[ch] = True
            if self._asleep and not self._in_reset:
                domain.wake(self)

    async def _watch_reset(self):
        rst = self._reset_n
        while True:
            try:
                level = int(rst.value)
            except ValueError:
                level = 0
            if not level:
                self._clear()
            self._in_reset = not level
            if level:                   # out of reset: one step (a valid may already be high)
                for ch in self._armed:
                    self._armed[ch] = True
                self._domain.wake(self)
            await rst.value_change

    def _make_step(self):
        """The per-edge function: True when every valid is low and nothing is held."""
        bus, lite = self.bus, self.lite
        held, armed = self._held, self._armed

        def opt(name):
            sig = getattr(bus, name, None)
            return None if sig is None else _reader(sig)

        chans = []          # [ch, valid(), ready(), payload(), on_handshake]
        for ch in self._chs:
            vname, rname, fields = _CHANNELS[ch]
            getters = [_raw(getattr(bus, f)) for f in fields if hasattr(bus, f)]

            def payload(getters=getters):
                return tuple(g() for g in getters)
            chans.append((ch, _reader(getattr(bus, vname)), _reader(getattr(bus, rname)),
                          payload, getattr(self, f"_hs_{ch}")))
        self._fields = {ch: {f: opt(f) for f in _CHANNELS[ch][2]} for ch in self._chs}
        f = self._fields
        rbytes = len(bus.rdata) // 8 if hasattr(bus, "rdata") else 0
        wbytes = len(bus.wdata) // 8 if hasattr(bus, "wdata") else 0
        self._beat_bytes = {"r": rbytes, "w": wbytes}
        self._lite = lite
        self._get = {ch: {k: (v if v is not None else (lambda: 0)) for k, v in f[ch].items()}
                     for ch in f}
        zero = lambda: 0  # noqa: E731
        self._rid = self._get["r"]["rid"] if "r" in f else zero       # per-beat getters
        self._rlast = self._get["r"]["rlast"] if "r" in f else zero
        self._wlast = self._get["w"]["wlast"] if "w" in f else zero
        self._rbytes, self._wbytes = rbytes, wbytes

        def step() -> bool:
            # only armed channels (valid rose, not yet seen low: a held beat is armed too);
            # payload() twice on a violation only; ready() only while valid
            busy = False
            for ch, valid, ready, payload, hs in chans:
                if not armed[ch]:
                    continue
                h = held[ch]
                if valid():
                    busy = True
                    if h is not None and payload() != h:
                        now = payload()
                        held[ch] = now              # (reported once per change)
                        self._violate(ch, "stable", f"payload changed while waiting for "
                                      f"ready: {_fmt(h)} -> {_fmt(now)}")
                    if ready():
                        held[ch] = None
                        hs()
                    elif h is None:
                        held[ch] = payload()
                else:
                    armed[ch] = False
                    if h is not None:
                        held[ch] = None
                        self._violate(ch, "hold", f"{ch.upper()}VALID dropped before "
                                      f"{ch.upper()}READY (payload was {_fmt(h)})")
            return not busy

        return step

    # -- handshakes ----------------------------------------------------------------------------
    def _burst(self, ch: str) -> tuple[int, int]:
        """(id, beats) of the AR/AW handshaken now; checks the 4 KB rule."""
        g = self._get[ch]
        if self._lite:
            return 0, 1
        bid, addr, alen = g[ch + "id"](), g[ch + "addr"](), g[ch + "len"]()
        beats = alen + 1
        size = g[ch + "size"]() if self._fields[ch][ch + "size"] is not None else \
            (self._beat_bytes["r" if ch == "ar" else "w"] - 1).bit_length()
        burst = g[ch + "burst"]() if self._fields[ch][ch + "burst"] is not None else 1
        if burst == 1 and (addr & 0xFFF) + (beats << size) > 0x1000:
            self._violate(ch, "4kb", f"burst at 0x{addr:x} of {beats} x {1 << size} B crosses "
                          "a 4 KB boundary")
        return bid, beats

    def _hs_ar(self) -> None:
        bid, beats = self._burst("ar")
        self._rd.setdefault(bid, deque()).append(beats)
        self._run.ar += 1

    def _hs_r(self) -> None:
        rid = self._rid()
        q = self._rd.get(rid)
        self._run.rd_bytes += self._rbytes
        if not q:
            self._violate("r", "orphan", f"R beat for ID {rid} with no read outstanding")
            return
        q[0] -= 1
        last = q[0] == 0
        if last:
            q.popleft()
        if not self._lite and self._rlast() != last:
            if self._model_rlast_windows():
                self._run.rlast_faults += 1
            else:
                self._violate("r", "rlast", f"RLAST={int(not last)} on a beat "
                              f"{'that ends' if last else 'inside'} the burst (ID {rid})")

    def _hs_aw(self) -> None:
        bid, beats = self._burst("aw")
        self._run.aw += 1
        if self._w_early:                       # its W beats came first
            got = self._w_early.popleft()
            if got != beats:
                self._violate("w", "wlast", f"WLAST after {got} beats, AWLEN says {beats}")
            self._b_owed[bid] = self._b_owed.get(bid, 0) + 1
        else:
            self._aw_q.append((bid, beats))
            if len(self._aw_q) == 1 and self._w_cur >= beats:
                self._violate("w", "wlast", f"no WLAST on beat {beats} of {beats} (AWLEN)")

    def _hs_w(self) -> None:
        self._run.wr_bytes += self._wbytes
        self._w_cur += 1
        last = True if self._lite else bool(self._wlast())
        if self._aw_q:
            bid, beats = self._aw_q[0]
            if last != (self._w_cur == beats):
                self._violate("w", "wlast", f"WLAST={int(last)} on beat {self._w_cur} of "
                              f"{beats} (AWLEN)")
            if last or self._w_cur >= beats:
                self._aw_q.popleft()
                self._b_owed[bid] = self._b_owed.get(bid, 0) + 1
                self._w_cur = 0
        elif last:
            self._w_early.append(self._w_cur)
            self._w_cur = 0

    def _hs_b(self) -> None:
        bid = self._get["b"]["bid"]()
        n = self._b_owed.get(bid, 0)
        if not n:
            self._violate("b", "orphan", f"B for ID {bid} with no write burst complete "
                          "(AW and its last W beat) outstanding")
            return
        self._b_owed[bid] = n - 1


class RunScoreboard(Scoreboard):
    """``cocotb_bus`` scoreboard of the monitors' run summaries: the bytes each monitored port
    moved in a run against the model's byte counts. ``expect(monitor, rd, wr, exact)`` queues
    the model's figures for the monitor's next summary: ``exact`` (a run without errors) wants
    them equal; otherwise the bus must carry at least what the model counts (an engine that
    stops at a failing tile drops the beats it had read ahead, which the core does not count).
    """

    def __init__(self, dut):
        super().__init__(dut, fail_immediately=True)
        self.log.setLevel(logging.WARNING)     # (add_interface logs every port at INFO)

    def add(self, monitor: AxiProtocolMonitor) -> None:
        self.add_interface(monitor, [])

    def expect(self, monitor, rd: int | None, wr: int | None, exact: bool,
               label: str = "") -> None:
        self.expected[monitor].append((rd, wr, exact, label))

    def compare(self, got, exp, log, strict_type=True):
        rd, wr, exact, label = exp
        if rd is None:                  # a run the testbench has no byte counts of
            return
        ok = (got.rd_bytes == rd and got.wr_bytes == wr) if exact else \
            (got.rd_bytes >= rd and got.wr_bytes >= wr)
        if not ok:
            self.errors += 1
            raise AxiProtocolError(
                f"{label}: {got.port} carried {got.rd_bytes} B read / {got.wr_bytes} B written "
                f"on the bus, the model counts {rd} / {wr} "
                f"({'must be equal' if exact else 'the bus carries at least that'})")

    def check(self) -> None:
        """Every queued expectation met (``Scoreboard.result`` would end the test on cocotb
        2.x, see the module docstring)."""
        left = {str(m): len(q) for m, q in self.expected.items() if q}
        assert not left and not self.errors, f"scoreboard: unmatched {left}, {self.errors} errors"


class CoreMonitors:
    """The protocol monitors of a core testbench (``tb/top/tb_top.TB``): the instruction port,
    DDR, every HBM port (on the bus the memory model sees, i.e. the HBM clock side of the chunk
    FIFOs) and the AXI4-Lite CSR port, plus the scoreboard of their byte counts.

    ``ports``: list of (name, prefix, clock, reset_n, model, core port index or None, lite).
    """

    def __init__(self, dut, ports):
        self.monitors: dict[str, AxiProtocolMonitor] = {}
        self.index: dict[int, AxiProtocolMonitor] = {}
        self.scoreboard = RunScoreboard(dut)
        self.domains: dict[str, MonitorDomain] = {}      # one coroutine per clock
        for name, prefix, clock, reset_n, model, idx, lite in ports:
            dom = self.domains.get(clock._path)
            if dom is None:
                dom = self.domains[clock._path] = MonitorDomain(clock)
            m = AxiProtocolMonitor(dut, prefix, clock, reset_n, lite=lite, model=model,
                                   domain=dom)
            self.monitors[name] = m
            if idx is not None:
                self.index[idx] = m
                self.scoreboard.add(m)

    @classmethod
    def for_core(cls, dut, tb, clk, rst, hclk, hrst) -> "CoreMonitors":
        """The monitors of ``tb/top/tb_top.TB``'s ports (``tb.insn``, ``tb.ddr``, ``tb.hbm``
        models; HBM ports on ``hclk``/``hrst``)."""
        ports = [("insn", "m_axi_insn", clk, rst, tb.insn, None, False),
                 ("ddr", "m_axi_ddr", clk, rst, tb.ddr, 0, False)]
        ports += [(f"hbm{i}", f"m_axi_hbm{i}", hclk, hrst, m, i + 1, False)
                  for i, m in enumerate(tb.hbm)]
        ports.append(("csr", "s_axil", clk, rst, None, None, True))
        return cls(dut, ports)

    def begin_run(self) -> None:
        for m in self.monitors.values():
            m.begin_run()

    def end_run(self, label: str, rd_bytes=None, wr_bytes=None, exact: bool = True) -> None:
        """After a run (the core done): nothing outstanding on any port, the RLAST faults seen
        are those injected, and (with the model's per-port byte counts) every port moved what
        the model says."""
        for p, m in self.index.items():
            if rd_bytes is None:
                self.scoreboard.expect(m, None, None, exact, label)
            else:
                self.scoreboard.expect(m, rd_bytes[p], wr_bytes[p], exact, label)
        for m in self.monitors.values():
            m.end_run(label)
        self.scoreboard.check()

    def stop(self) -> None:
        for m in self.monitors.values():
            m.stop()
        for d in self.domains.values():
            d.stop()
