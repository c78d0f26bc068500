"""cocotb tests of the HBM port model (tb/hbm_model.py) with the RTL burst engines as masters.

DUT: ``skipopu_hbm_cal`` (tb/hbm/wrapper.py), NPORTS ports, each one ``skipopu_axi_rd`` plus one
``skipopu_axi_wr`` on a full AXI4 master ``m_axi<p>``; port p is an :class:`HbmPort` whose home is
pseudo-channel p, all ports on one :class:`HbmMemory`.

* ``test_calibration``: the calibration table (pattern, bytes, cycles, efficiency) for long
  sequential transfers, random 32 B and 512 B reads, read/write mixes, two ports on one
  pseudo-channel and a slower port clock; every read checked against the backing memory and
  every write read back. Asserts the documented acceptance bounds (docs/hbm-model.md).
* ``test_latency``: idle first-beat latencies (page hit, closed bank, row conflict, lateral
  accesses one and two switch groups away) against the model's own configuration.
* ``test_random_traffic``: random commands on every port in both directions, across
  pseudo-channels, with pause generators and random extra latency; data checked.
* ``test_sleep_exact``: idle-sleeping ports (the default) give exactly the timing of ports that
  wake every cycle: command batches with idle gaps up to several refresh intervals, pauses and
  extra latency, run both ways and compared cycle for cycle.
* ``test_errors``: read and write SLVERR windows reach the engines' error outputs; a write in a
  window leaves memory unchanged.
* ``test_fast_ram_exact``: the lean RAM ``axi_models.FastAxiRam`` against cocotbext-axi's AxiRam
  (``axi_models.ErrAxiRam``) on the same engines: the same random commands with error windows,
  compared cycle for cycle (no pauses; the AxiRam run first, then the FastAxiRam one).

Environment (set by test_hbm_model.py): NPORTS, HBM_SCALE (fraction of the calibration sizes),
HBM_BOUNDS (``lo,hi,rand_max`` acceptance bounds).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections import deque
from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiBus

from axi_models import ErrAxiRam, FastAxiRam, random_pause
from hbm_model import HbmConfig, HbmMemory, HbmPort, U280_PORT_NS, _reader
from testparams import seed_of

PC = 256 << 20                      # pseudo-channel window
MHZ = 450.0                        # HBM port clock (paper 4.1)


@dataclass
class Cmd:
    addr: int
    beats: int
    data: bytes = b""               # write: the data; read: what came back
    err_beats: list = field(default_factory=list)
    err: bool = False
    t_accept: int = -1
    t_done: int = -1


class Engine:
    """Command driver for one engine (``rd<p>`` or ``wr<p>``) of the wrapper.

    Commands are presented back to back (the next one waits on ``cmd_valid`` while the engine is
    busy). Read streams are always accepted (``out_ready`` = 1) and recorded; write streams are
    offered one beat per cycle from the command's data.
    """

    def __init__(self, dut, name: str, bb: int):
        self.name = name
        self.read = name.startswith("rd")
        self.bb = bb
        g = lambda s: getattr(dut, f"{name}_{s}")  # noqa: E731
        self.cmd_valid, self.cmd_ready = g("cmd_valid_i"), _reader(g("cmd_ready_o"))
        self.cmd_addr, self.cmd_beats = g("cmd_addr_i"), g("cmd_beats_i")
        self.done, self.err = _reader(g("done_o")), _reader(g("err_o"))
        if self.read:
            self.out_valid, self.out_data, self.out_err = (
                _reader(g(n)) for n in ("out_valid_o", "out_data_o", "out_err_o"))
            self.out_ready = g("out_ready_i")
            self.out_ready.value = 1
        else:
            self.in_valid, self.in_ready, self.in_data = g("in_valid_i"), \
                _reader(g("in_ready_o")), g("in_data_i")
            self.in_valid.value = 0
        self.cmd_valid.value = 0
        self.queue: deque[Cmd] = deque()
        self.active: Cmd | None = None
        self.completed: list[Cmd] = []
        self.check_err = False       # record out_err per read beat
        self._presenting = False
        self._valid_drv = False
        self._beat = 0               # beats received (read) / sent (write) of the active command
        self._offering = False
        self._buf = bytearray()
        self.ready_gen = None        # read: out_ready pattern (None: always ready)
        self._rdy = 1

    def idle(self) -> bool:
        return not self.queue and self.active is None

    def step(self, c: int) -> None:
        """Sample the edge ``c`` and drive the next cycle."""
        cmd = self.active
        if cmd is not None:
            if self.read:
                ok = self._rdy                  # out_ready of the cycle that just ended
                if self.ready_gen is not None:
                    self._rdy = int(not next(self.ready_gen))
                    self.out_ready.value = self._rdy
                if ok and self.out_valid():
                    self._buf += self.out_data().to_bytes(self.bb, "little")
                    if self.check_err and self.out_err():
                        cmd.err_beats.append(self._beat)
                    self._beat += 1
                    if self._beat == cmd.beats:
                        cmd.err = bool(self.err())
                        cmd.data = bytes(self._buf)
                        self._finish(c)
            else:
                if self._offering and self.in_ready():
                    self._beat += 1
                    self._offering = False
                if self.done():
                    cmd.err = bool(self.err())
                    self._finish(c)
        if self._presenting and self.cmd_ready():
            self.active = self.queue.popleft()
            self.active.t_accept = c
            self._presenting = False
            self._beat = 0
            self._buf = bytearray()
        if not self._presenting:
            if self.queue:
                nxt = self.queue[0]
                self.cmd_addr.value = nxt.addr
                self.cmd_beats.value = nxt.beats
                self.cmd_valid.value = 1
                self._presenting = self._valid_drv = True
            elif self._valid_drv:
                self.cmd_valid.value = 0
                self._valid_drv = False
        if not self.read:
            cmd = self.active
            if cmd is not None and self._beat < cmd.beats:
                if not self._offering:
                    k = self._beat
                    self.in_data.value = int.from_bytes(cmd.data[k * self.bb:(k + 1) * self.bb],
                                                        "little")
                    self.in_valid.value = 1
                    self._offering = True
            elif self._offering or cmd is None:
                self.in_valid.value = 0
                self._offering = False

    def _finish(self, c: int) -> None:
        self.active.t_done = c
        self.completed.append(self.active)
        self.active = None


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.log = logging.getLogger("cocotb.tb")
        self.nports = int(os.environ.get("NPORTS", "2"))
        self.bb = len(dut.m_axi0_rdata) // 8
        self.engines = {f"{k}{p}": Engine(dut, f"{k}{p}", self.bb)
                        for p in range(self.nports) for k in ("rd", "wr")}
        self.cycle = 0
        self.clock_task = None
        self.clk_ns = U280_PORT_NS
        self.ports: list[HbmPort] = []
        self.memory: HbmMemory | None = None
        cocotb.start_soon(self._run())

    def start_clock(self, mhz: float = MHZ) -> None:
        """(Re)start the clock at ``mhz``; the simulator period is rounded to 1 ps, the model
        gets the exact period (its timing is in cycles)."""
        if self.clock_task is not None:
            self.clock_task.cancel()
        self.clk_ns = 1000.0 / mhz
        self.clock_task = cocotb.start_soon(
            Clock(self.dut.clk_i, round(self.clk_ns * 1000), unit="ps").start())

    def new_model(self, cfg: HbmConfig | None = None, homes: list[int] | None = None,
                  **port_kw) -> HbmMemory:
        """Fresh memory and ports (stopping the previous ones)."""
        for p in self.ports:
            p.stop()
        cfg = cfg or HbmConfig(clk_ns=self.clk_ns)
        self.memory = HbmMemory(size=8 << 30, cfg=cfg)
        homes = homes or list(range(self.nports))
        self.ports = [HbmPort(AxiBus.from_prefix(self.dut, f"m_axi{p}"), self.dut.clk_i,
                              self.dut.rst_ni, reset_active_level=False, memory=self.memory,
                              home_pc=homes[p], port_id=p, **port_kw)
                      for p in range(self.nports)]
        return self.memory

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await ClockCycles(self.dut.clk_i, 2)

    async def _run(self) -> None:
        engines = list(self.engines.values())
        edge = RisingEdge(self.dut.clk_i)
        rst = _reader(self.dut.rst_ni)
        while True:
            await edge
            self.cycle += 1
            if rst() != 1:
                continue
            for e in engines:
                if e.active is not None or e.queue:
                    e.step(self.cycle)

    async def run(self, cmds: dict[str, list[Cmd]], limit: int = 2_000_000) -> int:
        """Queue the commands, wait until all are done; returns the cycles from the first
        acceptance to the last completion."""
        for name, lst in cmds.items():
            self.engines[name].queue.extend(lst)
        start = self.cycle
        while any(not self.engines[n].idle() for n in cmds):
            await ClockCycles(self.dut.clk_i, 64)
            assert self.cycle - start < limit, "commands did not finish"
        allc = [c for lst in cmds.values() for c in lst]
        return max(c.t_done for c in allc) - min(c.t_accept for c in allc)

    def check_read(self, cmd: Cmd) -> None:
        want = self.memory.read(cmd.addr, cmd.beats * self.bb)
        assert cmd.data == want, f"read 0x{cmd.addr:x}+{cmd.beats}: data differs from memory"

    def check_written(self, cmd: Cmd) -> None:
        got = self.memory.read(cmd.addr, cmd.beats * self.bb)
        assert got == cmd.data, f"write 0x{cmd.addr:x}+{cmd.beats}: memory differs"


def split(addr: int, beats: int, bb: int, max_beats: int) -> list[Cmd]:
    """A long transfer as engine commands of at most ``max_beats`` beats."""
    out = []
    while beats:
        n = min(beats, max_beats)
        out.append(Cmd(addr, n))
        addr += n * bb
        beats -= n
    return out


def fill(tb: TB, rng: random.Random, cmds: list[Cmd]) -> None:
    """Random data in memory (reads) or in the commands (writes)."""
    for c in cmds:
        tb.memory.write(c.addr, rng.randbytes(c.beats * tb.bb))


def wdata(tb: TB, rng: random.Random, cmds: list[Cmd]) -> list[Cmd]:
    for c in cmds:
        c.data = rng.randbytes(c.beats * tb.bb)
    return cmds


def scale() -> float:
    return float(os.environ.get("HBM_SCALE", "1"))


# cocotb timeout per test (simulated us): the calibration table (HBM_SCALE of the calibration
# sizes) took 448 us at scale 1, the others less than 100 us
TIMEOUT_US = max(2000, int(5000 * float(os.environ.get("HBM_SCALE", "1"))))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_calibration(dut):
    """Efficiency of the model under the RTL engines: the calibration table."""
    tb = TB(dut)
    rng = random.Random(seed_of("calibration"))
    lo, hi, rand_max = (float(x) for x in os.environ.get("HBM_BOUNDS", "0.85,0.93,0.40")
                        .split(","))
    bb = tb.bb
    seq = int(16384 * scale())           # beats of a long transfer (512 KB at 32 B)
    nrand = int(1024 * scale())
    rows: list[tuple[str, int, int, float, str]] = []
    results: dict[str, float] = {}
    wall0 = time.perf_counter()
    beats_total = 0
    model_s = 0.0

    async def pattern(key: str, name: str, cmds: dict[str, list[Cmd]], mhz: float = MHZ,
                      peak: float = 1.0) -> float:
        """Run one pattern on a fresh model; ``peak`` is in beats per port cycle."""
        nonlocal beats_total, model_s
        t_wall = time.perf_counter()
        tb.start_clock(mhz)
        tb.new_model()
        await tb.reset()
        cyc0 = tb.cycle
        for n, lst in cmds.items():
            if n.startswith("rd"):
                fill(tb, rng, lst)
            else:
                wdata(tb, rng, lst)
        cycles = await tb.run(cmds)
        for n, lst in cmds.items():
            for c in lst:
                (tb.check_read if n.startswith("rd") else tb.check_written)(c)
                assert not c.err
        beats = sum(c.beats for lst in cmds.values() for c in lst)
        eff = beats / (cycles * peak)
        st = tb.memory.stats()
        note = "; ".join(f"pc{pc}: {s.hits} hit/{s.empty} empty/{s.conflicts} conflict, "
                         f"{s.refreshes} ref" for pc, s in st.items())
        wall = time.perf_counter() - t_wall
        mbeats = sum(p.beats for p in tb.ports)
        ms = sum(p.stats.model_s for p in tb.ports)
        note += (f"; {mbeats / wall:,.0f} beats/s wall, {mbeats / ms:,.0f} beats/s model code, "
                 f"{(tb.cycle - cyc0) / wall:,.0f} cycles/s; ports slept "
                 f"{sum(p.stats.slept for p in tb.ports)} cycles")
        rows.append((name, beats * bb, cycles, eff, note))
        results[key] = eff
        beats_total += mbeats
        model_s += ms
        return eff

    base = 0x10_0000
    kb = seq * bb // 1024
    await pattern("seq", f"seq_read, one {kb} KB command", {"rd0": [Cmd(base, seq)]})
    await pattern("seq4k", "seq_read, 4 KB commands", {"rd0": split(base, seq, bb, 4096 // bb)})
    await pattern("seqw", f"seq_write, one {kb} KB command", {"wr0": [Cmd(base, seq)]})
    await pattern("mix", "seq_read + seq_write, one PC",
                  {"rd0": [Cmd(base, seq // 2)], "wr0": [Cmd(base + (64 << 20), seq // 2)]})
    rnd = sorted({rng.randrange(PC // bb) * bb for _ in range(nrand)})
    rng.shuffle(rnd)
    await pattern("rand", "rand_read 32 B (1-beat commands)", {"rd0": [Cmd(a, 1) for a in rnd]})
    rnd16 = [rng.randrange(PC // 512) * 512 for _ in range(nrand // 4)]
    await pattern("rand512", "rand_read 512 B (16-beat commands)",
                  {"rd0": [Cmd(a, 16) for a in rnd16]})
    await pattern("randw", "rand_write 32 B", {"wr0": [Cmd(a, 1) for a in rnd[: nrand // 2]]})
    if tb.nports >= 2:
        await pattern("own", "2 ports seq_read, own PCs (peak 2 beats/cycle)",
                      {"rd0": [Cmd(base, seq // 2)], "rd1": [Cmd(PC + base, seq // 2)]},
                      peak=2.0)
        # Port 1 reads PC 0 through the switch; its stream runs 8 banks away from port 0's
        await pattern("share", "2 ports seq_read, one PC, other banks",
                      {"rd0": [Cmd(base, seq // 2)],
                       "rd1": [Cmd(base + (64 << 20) + 8 * 1024, seq // 2)]})
        # ... and on the same banks, another row: FCFS ping-pongs the rows (thrashing)
        await pattern("thrash", "2 ports seq_read, one PC, same banks",
                      {"rd0": [Cmd(base, seq // 2)], "rd1": [Cmd(base + (64 << 20), seq // 2)]})
    # 225 MHz, the core clock of the paper (5.1.2): the pseudo-channel could deliver two beats
    # per port cycle, the port takes one
    await pattern("slow", "seq_read at 225 MHz port clock", {"rd0": [Cmd(base, seq // 2)]},
                  mhz=225.0)

    wall = time.perf_counter() - wall0
    w = max(len(r[0]) for r in rows)
    lines = [f"{'pattern':<{w}}  {'bytes':>9}  {'cycles':>8}  {'efficiency':>10}"]
    lines += [f"{n:<{w}}  {b:>9}  {c:>8}  {e:>9.1%}" for n, b, c, e, _ in rows]
    tb.log.info("HBM model calibration (peak = one %d-byte beat per port cycle; MAX_BURST %s, "
                "FIFO_DEPTH %s, MAX_OUTSTANDING %s):\n%s", bb, os.environ.get("MAX_BURST"),
                os.environ.get("FIFO_DEPTH"), os.environ.get("MAX_OUTSTANDING"),
                "\n".join(lines))
    for n, _, _, _, note in rows:
        tb.log.info("  %s: %s", n, note)
    tb.log.info("model speed: %d beats in %.1f s wall = %.0f beats/s; model code %.1f s "
                "(%.0f beats/s of model time)", beats_total, wall, beats_total / wall,
                model_s, beats_total / model_s if model_s else 0)
    out = os.environ.get("HBM_TABLE")
    if out:
        with open(out, "w") as fh:
            fh.write("\n".join(lines) + "\n")
            fh.write(f"model speed: {beats_total / wall:.0f} beats/s wall, "
                     f"{beats_total / model_s:.0f} beats/s model code\n")

    s = results["seq"]
    assert lo <= s <= hi, f"sequential read efficiency {s:.1%} outside [{lo:.0%}, {hi:.0%}]"
    r = results["rand"]
    assert r < rand_max, f"random 32 B efficiency {r:.1%} not below {rand_max:.0%}"


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_latency(dut):
    """Idle first-beat latency of one-beat reads: page hit, closed bank, row conflict, lateral
    (same switch group, and two groups away), all from the model's configuration."""
    tb = TB(dut)
    tb.start_clock()
    homes = [0, 9] + list(range(2, tb.nports))   # port 1 lives two switch groups from PC 0
    tb.new_model(homes=homes, log_latency=True)
    await tb.reset()
    t = tb.memory.cfg.cycles()
    cfg = tb.memory.cfg
    page = 1024

    async def one(port: int, addr: int) -> int:
        tb.ports[port].stats.read_latency.clear()
        c = Cmd(addr, 1)
        await tb.run({f"rd{port}": [c]})
        await ClockCycles(dut.clk_i, 200)        # idle again (banks keep their state)
        return tb.ports[port].stats.read_latency[0]

    a = 0x40_0000
    closed = await one(0, a)
    hit = await one(0, a + 32)
    conflict = await one(0, a + 16 * page)       # same bank, next row
    lat0 = await one(0, PC + a)                  # port 0 -> PC 1 (same group): closed bank
    lat1 = await one(1, a + 16 * page + 64)      # port 1 (home 9) -> PC 0: hit, 2 groups away
    tb.log.info("latency (cycles, AR handshake -> first R handshake): hit %d, closed %d, "
                "conflict %d, lateral closed same group %d, lateral hit 2 groups away %d",
                hit, closed, conflict, lat0, lat1)
    base = t.CL + 1 + t.CTRL
    assert hit == base, (hit, base)
    assert closed == base + t.RCD, (closed, base + t.RCD)
    assert conflict == base + t.RP + t.RCD, (conflict, base + t.RP + t.RCD)
    assert lat0 == base + t.RCD + cfg.lateral_latency, (lat0, base + t.RCD, cfg.lateral_latency)
    pen = tb.ports[1].lateral_penalty(0)
    assert pen == cfg.lateral_latency + 2 * cfg.hop_latency
    assert lat1 == base + pen, (lat1, base + pen)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_random_traffic(dut):
    """Random commands on every engine at once, each port working on its own windows in random
    pseudo-channels (so ports meet on channels and cross the switch), with random pauses on
    every AXI channel, random extra latency, a fine-grained address map and half-rate lateral
    paths; all data checked."""
    tb = TB(dut)
    tb.start_clock()
    seed = seed_of("random_traffic")
    rng = random.Random(seed)
    # A bank-group interleave every 4 beats (bursts span several banks) and lateral paths at
    # half rate, so those code paths run too
    tb.new_model(HbmConfig(mapping="row:14 col:3 ba:2 bg:2 col:2",
                           lateral_beat_cycles=2.0), seed=seed)
    for i, p in enumerate(tb.ports):
        p.set_pause_generators(**{ch: random_pause(seed + 10 * i + k, 0.3)
                                  for k, ch in enumerate(("ar", "aw", "w", "r", "b"))})
        p.set_extra_latency(0.3, 20)
    await tb.reset()
    n = max(8, int(40 * scale()))
    cmds: dict[str, list[Cmd]] = {}
    for p in range(tb.nports):
        for kind in ("rd", "wr"):
            lst = []
            used = 0
            for j in range(n):
                # Each engine owns a 1 MB window in each of PCs 0..3; a write engine's commands
                # never overlap (so each can be checked at the end), reads may
                pc = rng.randrange(4)
                win = pc * PC + (p * 2 + (kind == "wr")) * (1 << 20)
                beats = rng.choice([1, 2, 15, 16, 17, rng.randint(1, 300)])
                if kind == "rd":
                    off = rng.randrange(0, (1 << 20) - beats * tb.bb, tb.bb)
                else:
                    off = used + tb.bb * rng.randrange(64)
                    used = off + beats * tb.bb
                lst.append(Cmd(win + off, beats))
            cmds[f"{kind}{p}"] = lst
    for name, lst in cmds.items():
        (fill if name.startswith("rd") else wdata)(tb, rng, lst)
    cycles = await tb.run(cmds)
    for name, lst in cmds.items():
        for c in lst:
            (tb.check_read if name.startswith("rd") else tb.check_written)(c)
    beats = sum(c.beats for lst in cmds.values() for c in lst)
    tb.log.info("%d commands, %d beats in %d cycles; %s", sum(map(len, cmds.values())), beats,
                cycles, "; ".join(p.summary() for p in tb.ports))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_sleep_exact(dut):
    """Idle sleeping (``HbmPort(sleep=True)``, the default) changes nothing the model computes:
    the same random command batches, separated by idle gaps from a few cycles to several
    refresh intervals, with pauses on every channel and random extra latency, run once on ports
    that wake every cycle and once on sleeping ports. Every command's acceptance and completion
    cycle, every read's first-beat latency, the ports' counters and each pseudo-channel's hit /
    empty / conflict / refresh counts must be equal, and the sleeping ports must have slept."""
    tb = TB(dut)
    seed = seed_of("sleep_exact")
    runs = []
    for sleep in (False, True):
        tb.start_clock()
        rng = random.Random(seed)
        tb.new_model(seed=seed, log_latency=True, sleep=sleep)
        refi = tb.memory.cfg.cycles().REFI
        for i, p in enumerate(tb.ports):
            p.set_pause_generators(**{ch: random_pause(seed + 10 * i + k, 0.2)
                                      for k, ch in enumerate(("ar", "aw", "w", "r", "b"))})
            p.set_extra_latency(0.2, 20)
        await tb.reset()
        start = tb.cycle
        t_wall = time.perf_counter()
        trace = []
        for batch in range(int(os.environ.get("HBM_SLEEP_BATCHES", "12"))):
            cmds: dict[str, list[Cmd]] = {}
            for p in range(tb.nports):
                for kind in ("rd", "wr"):
                    if rng.random() < 0.3:
                        continue
                    lst = []
                    # distinct 4 KB pages of the engine's own 1 MB windows (writes checked)
                    for page in rng.sample(range(3 * 64), rng.randint(1, 4)):
                        win = (page // 64) * PC + (p * 2 + (kind == "wr")) * (1 << 20) + \
                            (page % 64) * 4096
                        lst.append(Cmd(win, rng.choice([1, 3, 16, rng.randint(1, 128)])))
                    cmds[f"{kind}{p}"] = lst
            if not cmds:
                cmds["rd0"] = [Cmd(0x1000, 4)]
            for name, lst in cmds.items():
                (fill if name.startswith("rd") else wdata)(tb, rng, lst)
            await tb.run(cmds)
            for name, lst in sorted(cmds.items()):
                for c in lst:
                    (tb.check_read if name.startswith("rd") else tb.check_written)(c)
                    trace.append((batch, name, c.addr, c.beats, c.t_accept - start,
                                  c.t_done - start))
            # idle: short gaps, gaps over a refresh interval, gaps of several
            await ClockCycles(dut.clk_i, rng.choice([1, 2, 5, 9, 40, 300, refi + 17,
                                                     3 * refi + 101]))
        wall = time.perf_counter() - t_wall
        ports = [(p.stats.ar, p.stats.aw, p.stats.r_beats, p.stats.w_beats, p.cycles_now(),
                  p.stats.lateral, list(p.stats.read_latency)) for p in tb.ports]
        chans = {pc: (s.hits, s.empty, s.conflicts, s.refreshes, s.beats, s.busy)
                 for pc, s in tb.memory.stats().items()}
        slept = sum(p.stats.slept for p in tb.ports)
        tb.log.info("sleep=%s: %d commands, %d cycles in %.2f s wall, ports slept through %d "
                    "cycles in %d sleeps, all of them in %d", sleep, len(trace), tb.cycle - start,
                    wall, slept, sum(p.stats.sleeps for p in tb.ports),
                    sum(t.sleeps for t in tb.memory.tickers.values()))
        assert all(t.mismatches == 0 for t in tb.memory.tickers.values())
        runs.append((trace, ports, chans, slept))
    (trace0, ports0, chans0, slept0), (trace1, ports1, chans1, slept1) = runs
    assert slept0 == 0 and slept1 > 0
    for a, b in zip(trace0, trace1):
        assert a == b, f"command timing differs with sleeping ports: {a} vs {b}"
    assert trace0 == trace1
    assert ports0 == ports1, "port counters or read latencies differ with sleeping ports"
    assert chans0 == chans1, "pseudo-channel statistics differ with sleeping ports"


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_errors(dut):
    """SLVERR windows: the read engine flags exactly the beats inside a read window, the write
    engine reports err_o and memory inside a write window keeps its old content."""
    tb = TB(dut)
    tb.start_clock()
    rng = random.Random(seed_of("errors"))
    tb.new_model()
    await tb.reset()
    bb = tb.bb
    port = tb.ports[0]
    rd = tb.engines["rd0"]
    rd.check_err = True
    a = 0x20_0000
    cmds = [Cmd(a, 40), Cmd(a + 0x1000, 40), Cmd(a + 0x2000, 8)]
    fill(tb, rng, cmds)
    port.add_read_error(a + 3 * bb, a + 5 * bb)               # beats 3, 4 of the first
    port.add_read_error(a + 0x1000 + 39 * bb, a + 0x1000 + 41 * bb)   # last beat of the second
    await tb.run({"rd0": cmds})
    assert cmds[0].err_beats == [3, 4] and cmds[0].err
    assert cmds[1].err_beats == [39] and cmds[1].err
    assert cmds[2].err_beats == [] and not cmds[2].err
    for c in cmds:
        want = bytearray(tb.memory.read(c.addr, c.beats * bb))
        for k in c.err_beats:
            want[k * bb:(k + 1) * bb] = bytes(bb)
        assert c.data == bytes(want)
    assert port.read_error_hits == 3

    w = Cmd(a + 0x8000, 32, rng.randbytes(32 * bb))
    w2 = Cmd(a + 0x9000, 16, rng.randbytes(16 * bb))
    old = rng.randbytes(32 * bb)
    tb.memory.write(w.addr, old)
    port.add_write_error(w.addr + 20 * bb, w.addr + 22 * bb)
    await tb.run({"wr0": [w, w2]})
    assert w.err and not w2.err
    got = tb.memory.read(w.addr, 32 * bb)
    want = w.data[:20 * bb] + old[20 * bb:22 * bb] + w.data[22 * bb:]
    assert got == want
    tb.check_written(w2)
    assert port.write_error_hits == 2


_RAM_RUNS: dict[str, list] = {}


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(model=["axiram", "fast"])
async def test_fast_ram_exact(dut, model):
    """``axi_models.FastAxiRam`` behaves on the bus as cocotbext-axi's AxiRam (``ErrAxiRam``)
    without pauses: the same random read and write commands on every engine at once (several
    bursts in flight, 1..300 beats, across 4 KB pages, idle gaps between batches), with read and
    write error windows, run on ErrAxiRam and then on FastAxiRam. Every command's acceptance and
    completion cycle, error flag and erroneous beats, the read data and memory after the writes,
    and the error-hit counts must be equal."""
    tb = TB(dut)
    tb.start_clock()
    for p in range(tb.nports):
        logging.getLogger(f"cocotb.{dut._name}.m_axi{p}").setLevel(logging.ERROR)
    cls = ErrAxiRam if model == "axiram" else FastAxiRam
    rams = []
    for p in range(tb.nports):
        rams.append(cls(AxiBus.from_prefix(dut, f"m_axi{p}"), dut.clk_i, dut.rst_ni,
                        reset_active_level=False, size=1 << 24,
                        mem=rams[0].mem if rams else None))
    tb.memory = rams[0]
    wlast = (tb.nports * 2 - 1) << 20                     # the last write engine's window
    rams[0].add_read_error(0x800, 0x840)                  # in rd0's window
    rams[-1].add_write_error(wlast + 0xF000, wlast + 0xF100)
    for e in tb.engines.values():
        e.check_err = e.read
        if e.read:                      # stream backpressure, so that RREADY drops too
            e.ready_gen = random_pause(f"fast_ram_exact-{e.name}", 0.3)
    hs: list[tuple] = []                # (cycle, port, channel) of every AXI handshake
    cocotb.start_soon(_handshakes(dut, tb, hs))
    await tb.reset()
    # the same commands in both cases (the model is not in the seed)
    rng = random.Random(seed_of("fast_ram_exact"))
    start = tb.cycle
    trace = []
    for batch in range(int(os.environ.get("HBM_RAM_BATCHES", "10"))):
        cmds: dict[str, list[Cmd]] = {}
        for p in range(tb.nports):
            for kind in ("rd", "wr"):
                lst, used = [], 0
                for _ in range(rng.randint(0, 4)):
                    beats = rng.choice([1, 2, 16, 17, rng.randint(1, 300)])
                    win = (p * 2 + (kind == "wr")) * (1 << 20)
                    if kind == "rd":
                        off = rng.randrange(0, (1 << 16) - beats * tb.bb, tb.bb)
                    else:
                        off = used + tb.bb * rng.randrange(8)
                        used = off + beats * tb.bb
                    lst.append(Cmd(win + off, beats))
                if lst:
                    cmds[f"{kind}{p}"] = lst
        if batch == 0:                                    # one command into each window
            cmds.setdefault("rd0", []).append(Cmd(0x700, 16))
            cmds.setdefault(f"wr{tb.nports - 1}", []).append(Cmd(wlast + 0xEF80, 16))
        if not cmds:
            continue
        for name, lst in cmds.items():
            (fill if name.startswith("rd") else wdata)(tb, rng, lst)
        await tb.run(cmds)
        for name, lst in sorted(cmds.items()):
            for k, c in enumerate(lst):
                got = c.data if name.startswith("rd") else tb.memory.read(c.addr, c.beats * tb.bb)
                trace.append((batch, name, k, c.addr, c.beats, c.t_accept - start,
                              c.t_done - start, c.err, tuple(c.err_beats), hash(got)))
        await ClockCycles(dut.clk_i, rng.choice([1, 3, 20, 200]))
    hits = [(r.read_error_hits, r.write_error_hits) for r in rams]
    shakes = [(c - start, p, ch) for c, p, ch in hs if c > start]
    tb.log.info("%s: %d commands in %d cycles, %d handshakes, error hits %s", model,
                len(trace), tb.cycle - start, len(shakes), hits)
    assert any(t[7] for t in trace), "no command met an error window"
    _RAM_RUNS[model] = (trace, shakes, hits)
    if model == "fast":
        assert "axiram" in _RAM_RUNS, "run with the axiram case first"
        ref, ref_shakes, ref_hits = _RAM_RUNS["axiram"]
        for a, b in zip(ref, trace):
            assert a == b, f"FastAxiRam differs from AxiRam: {b} vs {a}"
        assert len(ref) == len(trace) and ref_hits == hits
        for a, b in zip(ref_shakes, shakes):
            assert a == b, f"first handshake that differs: FastAxiRam {b}, AxiRam {a}"
        assert len(ref_shakes) == len(shakes)


async def _handshakes(dut, tb: TB, out: list) -> None:
    """Record (cycle, port, channel) of every handshake on the m_axi ports (each edge)."""
    chans = []
    for p in range(tb.nports):
        for ch in ("ar", "aw", "w", "r", "b"):
            chans.append((p, ch, _reader(getattr(dut, f"m_axi{p}_{ch}valid")),
                          _reader(getattr(dut, f"m_axi{p}_{ch}ready"))))
    edge = RisingEdge(dut.clk_i)
    while True:
        await edge
        for p, ch, v, r in chans:
            if v() and r():
                out.append((tb.cycle, p, ch))
