"""cocotb tests of skipopu_axi_rd, the AXI4 read burst engine.

The ``TB`` holds the clock, the reset, an error-injecting cocotbext-axi RAM on the ``m_axi`` read
channels, a command driver (commands back to back, or after random gaps), the output-stream sink
(random ``out_ready_i`` gaps) and one per-cycle monitor that checks the protocol as it goes:

* AR bursts: INCR, full width, aligned, <= MAX_BURST beats, no 4 KB crossing, stable while
  waiting (``AxiBurstMonitor``); the bursts of a command tile exactly its address range, in order;
* credits: ``rready`` is high whenever ``rvalid`` is (the R channel never stalls), and beats
  requested but not yet handed out never exceed FIFO_DEPTH;
* ``beat_o`` equals the R handshake; ``cmd_ready_o == !busy_o``; a command is accepted only when
  idle; ``busy_o`` from acceptance to ``done_o``; the output stream stays stable while stalled;
* ``out_last_o`` exactly on the last beat; ``done_o`` exactly with the hand-out of the last beat;
  ``err_o`` only with ``done_o``.

Scoreboard: the RAM is filled with random bytes; each completed command's stream must equal the
RAM content of its range, with zeros, ``out_err_o`` and ``err_o`` exactly on the beats inside a
read-error window (what the RAM model answers). ``test_rlast`` puts the lean RAM
(``axi_models.FastAxiRam``) on the bus with RLAST windows: beats whose RLAST the RAM inverts (early
inside a burst, missing on its last beat) must come out with ``out_err_o`` (``err_o`` for the
command) and their data intact, and the command must still end after exactly its beats.

Parameters come from the environment (set by test_axi_dma.py): MAX_BURST, FIFO_DEPTH and
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
from cocotb.triggers import ClockCycles, Event, RisingEdge
from cocotbext.axi import AxiBus, AxiReadBus

from axi_models import AxiBurstMonitor, ErrAxiRam, FastAxiRam, random_pause
from testparams import seed_of

MEM = 1 << 20      # RAM model size; higher addresses alias (the RAM uses address % MEM)
ADDR_W = 34
# cocotb timeout per test (simulated us): AXI_DMA_CMDS commands of up to 300 beats with pauses
# (40 commands took 54 us)
TIMEOUT_US = max(1000, 25 * int(os.environ.get("AXI_DMA_CMDS", "20")))


@dataclass
class Cmd:
    addr: int
    beats: int
    gap: int = 0                                     # idle cycles before presenting it
    data: bytearray = field(default_factory=bytearray)
    err_beats: list = field(default_factory=list)   # beats handed out with out_err_o
    bursts: list = field(default_factory=list)      # (addr, beats) of its AR bursts
    r_beats: int = 0
    beat_pulses: int = 0
    err: bool | None = None
    t_accept: int = 0
    t_done: int = 0
    done: Event = field(default_factory=Event)


class TB:
    def __init__(self, dut, fast_ram: bool = False):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.max_burst = int(os.environ.get("MAX_BURST", "16"))
        self.fifo_depth = int(os.environ.get("FIFO_DEPTH", "64"))
        self.data_w = len(dut.m_axi_rdata)
        self.bb = self.data_w // 8
        # The RAM logs every burst at INFO
        logging.getLogger(f"cocotb.{dut._name}.m_axi").setLevel(logging.WARNING)

        cocotb.start_soon(Clock(dut.clk_i, 4, unit="ns").start())
        # cocotbext-axi's RAM, or the lean one (RLAST windows)
        ram = FastAxiRam if fast_ram else ErrAxiRam
        self.ram = ram(AxiBus(read=AxiReadBus.from_prefix(dut, "m_axi")), dut.clk_i,
                       dut.rst_ni, reset_active_level=False, size=MEM)
        self.ar_mon = AxiBurstMonitor(dut, "m_axi", "ar", dut.clk_i, self.bb, self.max_burst,
                                      reset=dut.rst_ni, start=False)
        self.backpressure = None     # pause generator for out_ready_i
        self.queue: deque[Cmd] = deque()
        self.active: Cmd | None = None
        self.completed: list[Cmd] = []
        self.cycle = 0
        self.r_beats = 0             # R handshakes
        self.popped = 0              # output beats handed out
        self.outstanding: deque = deque()   # (addr, beats) of AR bursts not fully received
        self.max_outstanding = 0     # most bursts in flight at once
        self._presenting = False
        self._accepted = False
        self._idle = 0
        self._out_held = None
        self._r_left = 0             # beats left of the oldest outstanding burst
        self._r_addr = 0             # address of its next beat
        cocotb.start_soon(self._run())

    def set_idle_generator(self, generator=None):
        self.ram.read_if.r_channel.set_pause_generator(generator)

    def set_backpressure_generator(self, generator=None, out_generator=None):
        self.ram.read_if.ar_channel.set_pause_generator(generator)
        self.backpressure = out_generator

    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        d.cmd_valid_i.value = 0
        d.cmd_addr_i.value = 0
        d.cmd_beats_i.value = 0
        d.out_ready_i.value = 0
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
        return Cmd((high << 20) | low, beats, gap)

    def submit(self, cmd: Cmd) -> Cmd:
        self.queue.append(cmd)
        return cmd

    def rlast_flipped(self, addr: int) -> bool:
        """Whether the RAM inverts the RLAST of the beat at addr (its RLAST windows)."""
        side = self.ram._err_side(True)
        return bool(side.rlast) and side.rlast_hit(addr % MEM, self.bb)

    def expected(self, cmd: Cmd):
        """(bytes, error beats) the RAM answers for cmd with the current error windows: error
        responses read as zeros, misplaced RLASTs with the memory's data."""
        data, bad = bytearray(), []
        for i in range(cmd.beats):
            a = (cmd.addr + i * self.bb) % MEM
            if self.ram.read_error_at(a, self.bb):
                bad.append(i)
                data += bytes(self.bb)
            else:
                if self.rlast_flipped(a):
                    bad.append(i)
                data += self.ram.read(a, self.bb)
        return bytes(data), bad

    async def wait_idle(self, limit=200000):
        for _ in range(limit):
            if not self.queue and self.active is None:
                return
            await RisingEdge(self.dut.clk_i)
        d, a = self.dut, self.active
        state = f"{hex(a.addr)}+{a.beats}, {len(a.data) // self.bb} out" if a else "none"
        raise AssertionError(
            f"not idle after {limit} cycles: {len(self.queue)} queued, active {state}, "
            f"busy_o={d.busy_o.value} out_valid_o={d.out_valid_o.value} "
            f"arvalid={d.m_axi_arvalid.value}")

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

        # AR channel
        burst = self.ar_mon.sample()
        if burst is not None:
            assert cmd is not None, "AR without a command"
            cmd.bursts.append(burst)
            self.outstanding.append(burst)
            self.max_outstanding = max(self.max_outstanding, len(self.outstanding))
        # Credits: requested but not handed out <= FIFO_DEPTH
        assert self.ar_mon.beats - self.popped <= self.fifo_depth, \
            f"{self.ar_mon.beats - self.popped} beats requested and not handed out > FIFO_DEPTH"

        # R channel
        rvalid = d.m_axi_rvalid.value == 1
        r_fire = rvalid and d.m_axi_rready.value == 1
        assert not rvalid or r_fire, "rready low while rvalid: the R channel stalled"
        assert (d.beat_o.value == 1) == r_fire, "beat_o != R handshake"
        if r_fire:
            assert cmd is not None and self.outstanding, "R beat without an outstanding AR"
            self.r_beats += 1
            cmd.r_beats += 1
            cmd.beat_pulses += 1
            if self._r_left == 0:
                self._r_addr, self._r_left = self.outstanding[0]
            self._r_left -= 1
            # the RAM's RLAST: on the burst's last beat, inverted inside an RLAST window
            want = (self._r_left == 0) != self.rlast_flipped(self._r_addr)
            assert (d.m_axi_rlast.value == 1) == want, "rlast misplaced"
            self._r_addr += self.bb
            if self._r_left == 0:
                self.outstanding.popleft()

        # Output stream
        ovalid = d.out_valid_o.value == 1
        if self._out_held is not None:
            assert ovalid, "out_valid_o dropped before out_ready_i"
            now = (int(d.out_data_o.value), int(d.out_last_o.value), int(d.out_err_o.value))
            assert now == self._out_held, "output beat changed while stalled"
        o_fire = ovalid and d.out_ready_i.value == 1
        if ovalid and not o_fire:
            self._out_held = (int(d.out_data_o.value), int(d.out_last_o.value),
                              int(d.out_err_o.value))
        else:
            self._out_held = None
        done = d.done_o.value == 1
        if d.err_o.value == 1:
            assert done, "err_o without done_o"
        if o_fire:
            assert cmd is not None, "output beat without a command"
            n = len(cmd.data) // self.bb
            if d.out_err_o.value == 1:
                cmd.err_beats.append(n)
            cmd.data += int(d.out_data_o.value).to_bytes(self.bb, "little")
            self.popped += 1
            last = n + 1 == cmd.beats
            assert (d.out_last_o.value == 1) == last, \
                f"out_last_o={d.out_last_o.value} on beat {n + 1} of {cmd.beats}"
            assert done == last, f"done_o={int(done)} on beat {n + 1} of {cmd.beats}"
        else:
            assert not done, "done_o without the last output beat"
        if done:
            cmd.err = d.err_o.value == 1
            cmd.t_done = self.cycle
            assert cmd.r_beats == cmd.beats and cmd.beat_pulses == cmd.beats
            self.completed.append(cmd)
            self.active = None
            cmd.done.set()

        # Command handshake (after done: done and a new command cannot share a cycle)
        if d.cmd_valid_i.value == 1 and d.cmd_ready_o.value == 1:
            assert self.active is None
            self.active = self.queue.popleft()
            self.active.t_accept = self.cycle
            self._accepted = True
            self._idle = 0

    def _drive(self):
        d = self.dut
        d.out_ready_i.value = 0 if (self.backpressure and next(self.backpressure)) else 1
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
        want, bad = self.expected(cmd)
        assert len(cmd.data) == len(want)
        if cmd.data != want:
            i = next(k for k in range(len(want)) if cmd.data[k] != want[k]) // self.bb
            raise AssertionError(f"read 0x{cmd.addr:x}+{cmd.beats}: beat {i} differs")
        assert cmd.err_beats == bad, f"out_err_o on beats {cmd.err_beats}, expected {bad}"
        assert cmd.err == bool(bad), f"err_o={cmd.err}, expected {bool(bad)} ({bad})"
        # The bursts tile the command's range in order
        a = cmd.addr
        for addr, n in cmd.bursts:
            assert addr == a, f"burst at 0x{addr:x}, expected 0x{a:x}"
            a += n * self.bb
        assert a == cmd.addr + cmd.beats * self.bb, "bursts do not cover the command"


def n_cmds(default=20):
    return int(os.environ.get("AXI_DMA_CMDS", str(default)))


async def setup(dut, idle, backpressure, name: str, fast_ram: bool = False):
    tb = TB(dut, fast_ram)
    seed = seed_of(name, idle, backpressure)
    rng = random.Random(seed)
    tb.set_idle_generator(random_pause(seed + 1, 0.4) if idle else None)
    tb.set_backpressure_generator(random_pause(seed + 2, 0.4) if backpressure else None,
                                  random_pause(seed + 3, 0.4) if backpressure else None)
    await tb.reset()
    tb.ram.write(0, rng.randbytes(MEM))
    return tb, rng


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def test_random_commands(dut, idle, backpressure):
    """Random commands back to back or after gaps; every stream against the RAM."""
    tb, rng = await setup(dut, idle, backpressure, "random_commands")
    cmds = [tb.submit(tb.random_cmd(rng)) for _ in range(n_cmds())]
    await tb.wait_idle()
    for c in cmds:
        tb.check(c)
    beats = sum(c.beats for c in cmds)
    tb.log.info("%d commands, %d beats, %d bursts, at most %d bursts in flight",
                len(cmds), beats, len(tb.ar_mon.bursts), tb.max_outstanding)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def test_error_response(dut, idle, backpressure):
    """SLVERR windows (one beat at the start/end/middle, a run across bursts, a whole command)
    inside some commands: err_o with done_o exactly for those, out_err_o on the bad beats, all
    data drained, and clean commands afterwards."""
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
            tb.ram.add_read_error(base + lo * tb.bb, base + hi * tb.bb)
        cmds.append(c)
    for c in cmds:
        tb.submit(c)
    await tb.wait_idle()
    nerr = 0
    for c in cmds:
        tb.check(c)
        nerr += c.err
    assert nerr > 0 and tb.ram.read_error_hits > 0
    tb.ram.clear_read_errors()
    clean = [tb.submit(tb.random_cmd(rng)) for _ in range(4)]
    await tb.wait_idle()
    for c in clean:
        tb.check(c)
        assert not c.err
    tb.log.info("%d of %d commands with errors, %d error beats", nerr, len(cmds),
                tb.ram.read_error_hits)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def test_rlast(dut, idle, backpressure):
    """RLAST windows on the lean RAM: a misplaced RLAST (early on a beat inside a burst, missing
    on a burst's last beat: the first and last beat of a command, the MAX_BURST-th, a random
    one) is an error beat with its data intact; the command still takes exactly its beats, err_o
    on exactly those commands, clean commands afterwards."""
    tb, rng = await setup(dut, idle, backpressure, "rlast", fast_ram=True)
    mb = tb.max_burst
    cmds = []
    for i in range(max(4, n_cmds() // 2)):
        c = tb.random_cmd(rng)
        kind = i % 5
        beats = {0: [0], 1: [c.beats - 1], 2: [min(c.beats, mb) - 1],
                 3: [rng.randrange(c.beats)], 4: []}[kind]
        for b in beats:
            a = (c.addr + b * tb.bb) % MEM
            tb.ram.add_rlast_error(a, a + tb.bb)
        cmds.append(c)
    for c in cmds:
        tb.submit(c)
    await tb.wait_idle()
    nerr = 0
    for c in cmds:
        tb.check(c)
        nerr += c.err
    assert nerr > 0 and tb.ram.rlast_hits > 0
    tb.ram.clear_read_errors()
    clean = [tb.submit(tb.random_cmd(rng)) for _ in range(4)]
    await tb.wait_idle()
    for c in clean:
        tb.check(c)
        assert not c.err
    tb.log.info("%d of %d commands with a misplaced RLAST, %d beats", nerr, len(cmds),
                tb.ram.rlast_hits)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_throughput(dut):
    """Long commands without pauses: several bursts in flight and close to one beat per cycle
    when the FIFO holds at least two bursts."""
    tb, rng = await setup(dut, False, False, "throughput")
    beats = 512
    addr = 4096 * rng.randrange(1, MEM // 4096 - 64)
    c = tb.submit(Cmd(addr, beats))
    await tb.wait_idle()
    tb.check(c)
    cycles = c.t_done - c.t_accept
    eff = beats / cycles
    tb.log.info("%d beats in %d cycles (%.2f beats/cycle), at most %d bursts in flight",
                beats, cycles, eff, tb.max_outstanding)
    if tb.fifo_depth >= 2 * tb.max_burst:
        assert tb.max_outstanding >= 2, "never more than one burst in flight"
        assert eff >= 0.9, f"only {eff:.2f} beats/cycle"
