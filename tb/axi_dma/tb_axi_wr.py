"""cocotb tests of skipopu_axi_wr, the AXI4 write burst engine.

The ``TB`` holds the clock, the reset, an error-injecting cocotbext-axi RAM on the ``m_axi`` write
channels, a command driver (commands back to back, or after random gaps), the input-stream source
(random ``in_valid_i`` gaps, valid held until accepted) and one per-cycle monitor that checks the
protocol as it goes:

* AW bursts: INCR, full width, aligned, <= MAX_BURST beats, no 4 KB crossing, stable while
  waiting (``AxiBurstMonitor``); the bursts of a command tile exactly its address range, in order;
* W: a beat only for a burst whose AW was accepted at an earlier edge; ``wlast`` exactly on the
  last beat of each burst; ``wstrb`` all ones; ``wdata`` is the input beat (the input handshake is
  the W handshake); valid and data stable while stalled;
* at most MAX_OUTSTANDING bursts accepted without their B;
* ``beat_o`` equals the W handshake; ``cmd_ready_o == !busy_o``; a command is accepted only when
  idle; ``busy_o`` from acceptance to ``done_o``; ``done_o`` after (not with) the command's last B,
  with every burst answered; ``err_o`` only with ``done_o``.

Scoreboard: a byte image of the RAM (random at start) gets each command's random data except the
beats inside a write-error window (which the RAM model leaves unchanged); at every ``done_o`` the
whole RAM must equal it, and ``err_o`` must be set exactly for the commands that touch a window.

Parameters come from the environment (set by test_axi_dma.py): MAX_BURST, MAX_OUTSTANDING and
AXI_DMA_CMDS (commands per test).
"""

from __future__ import annotations

import logging
import os
import random
from collections import deque
from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiBus, AxiWriteBus

from axi_models import AxiBurstMonitor, ErrAxiRam, random_pause
from testparams import seed_of

MEM = 1 << 20      # RAM model size; higher addresses alias (the RAM uses address % MEM)
ADDR_W = 34
# cocotb timeout per test (simulated us): AXI_DMA_CMDS commands of up to 300 beats with pauses
# (40 commands took 49 us)
TIMEOUT_US = max(1000, 25 * int(os.environ.get("AXI_DMA_CMDS", "20")))


@dataclass
class Cmd:
    addr: int
    data: bytes
    bb: int
    gap: int = 0                                     # idle cycles before presenting it
    bursts: list = field(default_factory=list)      # (addr, beats) of its AW bursts
    w_beats: int = 0
    beat_pulses: int = 0
    b_count: int = 0
    b_err: bool = False
    err: bool | None = None
    t_accept: int = 0
    t_done: int = 0

    @property
    def beats(self) -> int:
        return len(self.data) // self.bb


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.max_burst = int(os.environ.get("MAX_BURST", "16"))
        self.max_outstanding = int(os.environ.get("MAX_OUTSTANDING", "8"))
        self.data_w = len(dut.m_axi_wdata)
        self.bb = self.data_w // 8
        self.strb_ones = (1 << self.bb) - 1
        # The RAM logs every burst at INFO
        logging.getLogger(f"cocotb.{dut._name}.m_axi").setLevel(logging.WARNING)

        cocotb.start_soon(Clock(dut.clk_i, 4, unit="ns").start())
        self.ram = ErrAxiRam(AxiBus(write=AxiWriteBus.from_prefix(dut, "m_axi")), dut.clk_i,
                             dut.rst_ni, reset_active_level=False, size=MEM)
        self.aw_mon = AxiBurstMonitor(dut, "m_axi", "aw", dut.clk_i, self.bb, self.max_burst,
                                      reset=dut.rst_ni, start=False)
        self.model = bytearray(MEM)  # expected RAM content
        self.idle = None             # pause generator for in_valid_i
        self.queue: deque[Cmd] = deque()
        self.stream: deque[int] = deque()   # input beats not yet accepted
        self.active: Cmd | None = None
        self.completed: list[Cmd] = []
        self.cycle = 0
        self.w_credit = 0            # beats of accepted AWs not yet sent on W
        self.w_bursts: deque[int] = deque()   # lengths of accepted AWs, W side
        self.w_left = 0              # beats left in the W burst being sent
        self.b_pending = 0           # AWs accepted without B
        self.max_pending = 0
        self._presenting = False
        self._accepted = False
        self._idle = 0
        self._w_held = None
        cocotb.start_soon(self._run())

    def set_idle_generator(self, generator=None, in_generator=None):
        self.ram.write_if.b_channel.set_pause_generator(generator)
        self.idle = in_generator

    def set_backpressure_generator(self, generator=None):
        self.ram.write_if.aw_channel.set_pause_generator(generator)
        self.ram.write_if.w_channel.set_pause_generator(generator)

    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        d.cmd_valid_i.value = 0
        d.cmd_addr_i.value = 0
        d.cmd_beats_i.value = 0
        d.in_valid_i.value = 0
        d.in_data_i.value = 0
        await ClockCycles(d.clk_i, 4)
        d.rst_ni.value = 1
        await ClockCycles(d.clk_i, 2)

    # -- stimulus ---------------------------------------------------------------------------

    def random_cmd(self, rng: random.Random, max_beats=300) -> Cmd:
        mb = self.max_burst
        beats = rng.choice([1, 2, max(1, mb - 1), mb, mb + 1, rng.randint(1, max_beats),
                            rng.randint(1, max_beats)])
        beats = min(beats, max_beats)
        kind = rng.random()
        if kind < 0.4:     # starts just below a 4 KB boundary
            page = rng.randrange(1, MEM // 4096)
            low = page * 4096 - self.bb * rng.randint(1, 8)
        elif kind < 0.5:   # starts on a 4 KB boundary
            low = 4096 * rng.randrange(MEM // 4096)
        else:
            low = self.bb * rng.randrange(MEM // self.bb)
        low = min(low, MEM - beats * self.bb)
        low -= low % self.bb
        high = rng.randrange(1 << (ADDR_W - 20)) if rng.random() < 0.3 else 0
        gap = rng.choice([0, 0, 0, 1, rng.randint(2, 20)])
        return Cmd((high << 20) | low, rng.randbytes(beats * self.bb), self.bb, gap)

    def submit(self, cmd: Cmd) -> Cmd:
        self.queue.append(cmd)
        for i in range(cmd.beats):
            self.stream.append(int.from_bytes(cmd.data[i * self.bb:(i + 1) * self.bb], "little"))
        return cmd

    def bad_beats(self, cmd: Cmd) -> list[int]:
        """Beats of cmd inside a write-error window."""
        return [i for i in range(cmd.beats)
                if self.ram.write_error_at((cmd.addr + i * self.bb) % MEM, self.bb)]

    async def wait_idle(self, limit=200000):
        for _ in range(limit):
            if not self.queue and self.active is None:
                return
            await RisingEdge(self.dut.clk_i)
        d, a = self.dut, self.active
        state = f"{hex(a.addr)}+{a.beats}, {a.w_beats} sent, {a.b_count} B" if a else "none"
        raise AssertionError(
            f"not idle after {limit} cycles: {len(self.queue)} queued, active {state}, "
            f"busy_o={d.busy_o.value} awvalid={d.m_axi_awvalid.value} "
            f"wvalid={d.m_axi_wvalid.value} in_ready_o={d.in_ready_o.value}")

    # -- per-cycle driver and monitor ---------------------------------------------------------

    async def _run(self):
        d = self.dut
        while True:
            await RisingEdge(d.clk_i)
            self.cycle += 1
            if d.rst_ni.value != 1:
                continue
            self._sample()
            self._drive()

    def _sample(self):
        d = self.dut
        busy = d.busy_o.value == 1
        assert busy == (self.active is not None), \
            f"busy_o={int(busy)} with {'a' if self.active else 'no'} active command"
        assert d.cmd_ready_o.value == (not busy), "cmd_ready_o != !busy_o"
        cmd = self.active

        # W channel (credit from AWs accepted at earlier edges)
        wvalid = d.m_axi_wvalid.value == 1
        if self._w_held is not None:
            assert wvalid, "wvalid dropped before wready"
            assert (int(d.m_axi_wdata.value), int(d.m_axi_wlast.value)) == self._w_held, \
                "W beat changed while stalled"
        w_fire = wvalid and d.m_axi_wready.value == 1
        self._w_held = (int(d.m_axi_wdata.value), int(d.m_axi_wlast.value)) \
            if wvalid and not w_fire else None
        in_fire = d.in_valid_i.value == 1 and d.in_ready_o.value == 1
        assert in_fire == w_fire, f"input handshake {in_fire} != W handshake {w_fire}"
        assert (d.beat_o.value == 1) == w_fire, "beat_o != W handshake"
        if wvalid:
            assert int(d.m_axi_wstrb.value) == self.strb_ones, "wstrb not all ones"
        if w_fire:
            assert cmd is not None, "W beat without a command"
            assert self.w_credit > 0, "W beat before its AW was accepted"
            assert int(d.m_axi_wdata.value) == self.stream[0], "wdata != input beat"
            self.stream.popleft()
            self.w_credit -= 1
            if self.w_left == 0:
                self.w_left = self.w_bursts.popleft()
            self.w_left -= 1
            assert (d.m_axi_wlast.value == 1) == (self.w_left == 0), \
                f"wlast={d.m_axi_wlast.value} with {self.w_left} beats left in the burst"
            cmd.w_beats += 1
            cmd.beat_pulses += 1

        # B channel
        b_fire = d.m_axi_bvalid.value == 1 and d.m_axi_bready.value == 1
        if b_fire:
            assert cmd is not None and self.b_pending > 0, "B without an outstanding burst"
            self.b_pending -= 1
            cmd.b_count += 1
            cmd.b_err |= int(d.m_axi_bresp.value) != 0

        # AW channel
        burst = self.aw_mon.sample()
        if burst is not None:
            assert cmd is not None, "AW without a command"
            cmd.bursts.append(burst)
            self.w_credit += burst[1]
            self.w_bursts.append(burst[1])
            self.b_pending += 1
            self.max_pending = max(self.max_pending, self.b_pending)
            assert self.b_pending <= self.max_outstanding, \
                f"{self.b_pending} bursts without B > MAX_OUTSTANDING"

        # Status
        done = d.done_o.value == 1
        if d.err_o.value == 1:
            assert done, "err_o without done_o"
        if done:
            assert cmd is not None, "done_o without a command"
            assert not b_fire, "done_o together with a B handshake"
            assert cmd.w_beats == cmd.beats and cmd.beat_pulses == cmd.beats, \
                f"done_o after {cmd.w_beats} of {cmd.beats} beats"
            assert sum(n for _, n in cmd.bursts) == cmd.beats, "AW beats != command beats"
            assert cmd.b_count == len(cmd.bursts), \
                f"done_o after {cmd.b_count} of {len(cmd.bursts)} B responses"
            cmd.err = d.err_o.value == 1
            cmd.t_done = self.cycle
            self._commit(cmd)
            self.completed.append(cmd)
            self.active = None

        # Command handshake
        if d.cmd_valid_i.value == 1 and d.cmd_ready_o.value == 1:
            assert self.active is None
            self.active = self.queue.popleft()
            self.active.t_accept = self.cycle
            self._accepted = True
            self._idle = 0

    def _commit(self, cmd: Cmd):
        """Apply cmd to the RAM image and compare the whole RAM with it."""
        bad = set(self.bad_beats(cmd))
        for i in range(cmd.beats):
            if i not in bad:
                a = (cmd.addr + i * self.bb) % MEM
                self.model[a:a + self.bb] = cmd.data[i * self.bb:(i + 1) * self.bb]
        got = self.ram.read(0, MEM)
        if got != self.model:
            k = next(k for k in range(MEM) if got[k] != self.model[k])
            raise AssertionError(f"after write 0x{cmd.addr:x}+{cmd.beats}: RAM differs at "
                                 f"0x{k:x} (beat {(k - cmd.addr % MEM) // self.bb})")

    def _drive(self):
        d = self.dut
        # Input stream: valid held until accepted, new beats after random gaps
        if d.in_valid_i.value != 1 or d.in_ready_o.value == 1:
            if self.stream and not (self.idle and next(self.idle)):
                d.in_data_i.value = self.stream[0]
                d.in_valid_i.value = 1
            else:
                d.in_valid_i.value = 0
        # Commands: gap 0 = presented at once (held while busy, taken on the first idle cycle),
        # else presented after `gap` idle cycles
        if self._presenting and not self._accepted:
            return
        self._accepted = self._presenting = False
        if self.active is None:
            self._idle += 1
        c = self.queue[0] if self.queue else None
        if c is not None and (c.gap == 0 or (self.active is None and self._idle > c.gap)):
            d.cmd_addr_i.value = c.addr
            d.cmd_beats_i.value = c.beats
            d.cmd_valid_i.value = 1
            self._presenting = True
        else:
            d.cmd_valid_i.value = 0

    # -- checks --------------------------------------------------------------------------------

    def check(self, cmd: Cmd):
        bad = self.bad_beats(cmd)
        assert cmd.err == bool(bad), f"err_o={cmd.err}, expected {bool(bad)} (beats {bad})"
        assert cmd.b_err == bool(bad)
        a = cmd.addr
        for addr, n in cmd.bursts:
            assert addr == a, f"burst at 0x{addr:x}, expected 0x{a:x}"
            a += n * self.bb
        assert a == cmd.addr + cmd.beats * self.bb, "bursts do not cover the command"


def n_cmds(default=20):
    return int(os.environ.get("AXI_DMA_CMDS", str(default)))


async def setup(dut, idle, backpressure, name: str):
    tb = TB(dut)
    seed = seed_of(name, idle, backpressure)
    rng = random.Random(seed)
    tb.set_idle_generator(random_pause(seed + 1, 0.4) if idle else None,
                          random_pause(seed + 2, 0.4) if idle else None)
    tb.set_backpressure_generator(random_pause(seed + 3, 0.4) if backpressure else None)
    await tb.reset()
    init = rng.randbytes(MEM)
    tb.ram.write(0, init)
    tb.model[:] = init
    return tb, rng


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def test_random_commands(dut, idle, backpressure):
    """Random commands back to back or after gaps; the RAM against the image at every done."""
    tb, rng = await setup(dut, idle, backpressure, "random_commands")
    cmds = [tb.submit(tb.random_cmd(rng)) for _ in range(n_cmds())]
    await tb.wait_idle()
    for c in cmds:
        tb.check(c)
    beats = sum(c.beats for c in cmds)
    tb.log.info("%d commands, %d beats, %d bursts, at most %d bursts awaiting B",
                len(cmds), beats, len(tb.aw_mon.bursts), tb.max_pending)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def test_error_response(dut, idle, backpressure):
    """SLVERR windows (one beat at the start/end/middle, a run across bursts, a whole command)
    inside some commands: err_o with done_o exactly for those, every beat still consumed, the
    other beats written, and clean commands afterwards."""
    tb, rng = await setup(dut, idle, backpressure, "error_response")
    cmds = []
    for i in range(max(4, n_cmds() // 2)):
        c = tb.random_cmd(rng)
        kind = i % 6
        lo = hi = None
        if kind == 0:
            lo, hi = 0, 1
        elif kind == 1:
            lo, hi = c.beats - 1, c.beats
        elif kind == 2:
            lo = rng.randrange(c.beats)
            hi = rng.randint(lo + 1, min(c.beats, lo + 2 * tb.max_burst))
        elif kind == 3:
            lo, hi = 0, c.beats
        if lo is not None:   # kinds 4, 5: no error of their own (err_o must not stick)
            base = c.addr % MEM
            tb.ram.add_write_error(base + lo * tb.bb, base + hi * tb.bb)
        cmds.append(c)
    for c in cmds:
        tb.submit(c)
    await tb.wait_idle()
    nerr = 0
    for c in cmds:
        tb.check(c)
        nerr += c.err
    assert nerr > 0 and tb.ram.write_error_hits > 0
    tb.ram.clear_write_errors()
    clean = [tb.submit(tb.random_cmd(rng)) for _ in range(4)]
    await tb.wait_idle()
    for c in clean:
        tb.check(c)
        assert not c.err
    tb.log.info("%d of %d commands with errors, %d error beats", nerr, len(cmds),
                tb.ram.write_error_hits)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_throughput(dut):
    """A long command without pauses: several bursts awaiting B and close to one beat per
    cycle."""
    tb, rng = await setup(dut, False, False, "throughput")
    beats = 512
    addr = 4096 * rng.randrange(1, MEM // 4096 - 64)
    c = tb.submit(Cmd(addr, rng.randbytes(beats * tb.bb), tb.bb))
    await tb.wait_idle()
    tb.check(c)
    cycles = c.t_done - c.t_accept
    eff = beats / cycles
    tb.log.info("%d beats in %d cycles (%.2f beats/cycle), at most %d bursts awaiting B",
                beats, cycles, eff, tb.max_pending)
    if tb.max_outstanding >= 2:
        assert tb.max_pending >= 2, "never more than one burst awaiting B"
    # The bursts awaiting B must cover the AW -> B round trip (about 10 cycles on this RAM)
    if tb.max_outstanding * tb.max_burst >= 16:
        assert eff >= 0.9, f"only {eff:.2f} beats/cycle"
