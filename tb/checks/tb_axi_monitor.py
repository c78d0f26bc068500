"""cocotb tests of the AXI protocol monitor (tb/axi_monitor.py) on tb_axi_passthru: the test
drives both sides of an AXI4 bus cycle by cycle (the d_* inputs; the monitor watches the m_axi_*
outputs), once legally and once per rule with a violation injected, and checks that the monitor
reports exactly that rule (port, channel, rule, time), or nothing for the legal exchange. One
case also lets a violation fail the test (the monitor's default), and one checks AXI4-Lite.
"""

from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, RisingEdge

from axi_monitor import AxiProtocolError, AxiProtocolMonitor

CLK_NS = 10
SIGNALS = ("awid", "awaddr", "awlen", "awsize", "awburst", "awvalid", "awready", "wdata", "wstrb",
           "wlast", "wvalid", "wready", "bid", "bresp", "bvalid", "bready", "arid", "araddr",
           "arlen", "arsize", "arburst", "arvalid", "arready", "rid", "rdata", "rresp", "rlast",
           "rvalid", "rready")
SIZE = 4                                   # 16-byte beats (DATA_W 128)


class Driver:
    """Drives the bus one clock cycle at a time: ``cycle(**values)`` sets the given d_* inputs
    (the others keep their values) and waits for the rising edge where the monitor samples
    them."""

    def __init__(self, dut):
        self.dut = dut

    def set(self, **kw):
        for k, v in kw.items():
            getattr(self.dut, f"d_{k}").value = v

    async def cycle(self, n: int = 1, **kw):
        self.set(**kw)
        await ClockCycles(self.dut.clk_i, n)

    async def ar(self, rid, addr, beats, stall=0):
        await self.cycle(stall, arvalid=1, arid=rid, araddr=addr, arlen=beats - 1, arsize=SIZE,
                         arburst=1, arready=0) if stall else None
        await self.cycle(arvalid=1, arid=rid, araddr=addr, arlen=beats - 1, arsize=SIZE,
                         arburst=1, arready=1)
        await self.cycle(arvalid=0, arready=0)

    async def aw(self, wid, addr, beats):
        await self.cycle(awvalid=1, awid=wid, awaddr=addr, awlen=beats - 1, awsize=SIZE,
                         awburst=1, awready=1)
        await self.cycle(awvalid=0, awready=0)

    async def w(self, beats, last_on=None):
        last_on = beats if last_on is None else last_on
        for k in range(1, beats + 1):
            await self.cycle(wvalid=1, wready=1, wdata=k, wstrb=0xFFFF, wlast=int(k == last_on))
        await self.cycle(wvalid=0, wready=0, wlast=0)

    async def r(self, rid, beats, last_on=None, stall_at=None):
        last_on = beats if last_on is None else last_on
        for k in range(1, beats + 1):
            if k == stall_at:
                await self.cycle(rvalid=1, rready=0, rid=rid, rdata=k, rlast=int(k == last_on))
            await self.cycle(rvalid=1, rready=1, rid=rid, rdata=k, rlast=int(k == last_on))
        await self.cycle(rvalid=0, rready=0, rlast=0)

    async def b(self, bid):
        await self.cycle(bvalid=1, bready=1, bid=bid)
        await self.cycle(bvalid=0, bready=0)


async def _setup(dut, **kw):
    cocotb.start_soon(Clock(dut.clk_i, CLK_NS, unit="ns").start())
    drv = Driver(dut)
    drv.set(**dict.fromkeys(SIGNALS, 0))
    dut.rst_ni.value = 0
    mon = AxiProtocolMonitor(dut, "m_axi", dut.clk_i, dut.rst_ni, **kw)
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    await ClockCycles(dut.clk_i, 2)
    return drv, mon


async def legal(drv: Driver):
    """A legal exchange: stalled AR with a stable request, W beats before their AW, an R burst
    with a stall, a second read ID, a B after the burst's last W beat."""
    await drv.ar(1, 0x1000, 4, stall=2)
    await drv.ar(5, 0x1FF0, 1)                  # the last beat below a 4 KB boundary
    await drv.w(2)
    await drv.aw(2, 0x2000, 2)
    await drv.r(5, 1)
    await drv.r(1, 4, stall_at=2)
    await drv.aw(3, 0x3000, 3)
    await drv.w(3)
    await drv.b(2)
    await drv.b(3)


async def inject(drv: Driver, mon, case: str):
    """One violation of ``case``'s rule."""
    if case == "hold":               # AR withdrawn while waiting for ready
        await drv.cycle(2, arvalid=1, arid=1, araddr=0x100, arlen=0, arsize=SIZE, arburst=1)
        await drv.cycle(arvalid=0)
    elif case == "stable":           # AW address changed while waiting for ready
        await drv.cycle(awvalid=1, awid=1, awaddr=0x100, awlen=0, awsize=SIZE, awburst=1)
        await drv.cycle(awaddr=0x200)
        await drv.cycle(awready=1)
        await drv.cycle(awvalid=0, awready=0)
    elif case == "stable_r":         # R data changed while the master stalls
        await drv.ar(1, 0x100, 1)
        await drv.cycle(rvalid=1, rready=0, rid=1, rdata=7, rlast=1)
        await drv.cycle(rdata=8)
        await drv.cycle(rready=1)
        await drv.cycle(rvalid=0, rready=0)
    elif case == "wlast_early":      # WLAST on beat 2 of 4
        await drv.aw(1, 0x100, 4)
        await drv.w(4, last_on=2)
    elif case == "wlast_missing":    # no WLAST on beat 2 of 2
        await drv.aw(1, 0x100, 2)
        await drv.w(2, last_on=0)
    elif case == "4kb":              # 4 beats of 16 B from 0xFE0 cross 0x1000
        await drv.ar(1, 0xFE0, 4)
    elif case == "orphan_r":         # R for an ID with nothing outstanding
        await drv.ar(1, 0x100, 1)
        await drv.r(2, 1)
    elif case == "orphan_b":         # B before the burst's W beats
        await drv.aw(3, 0x100, 2)
        await drv.b(3)
    elif case == "rlast":            # RLAST on beat 1 of 2
        await drv.ar(1, 0x100, 2)
        await drv.r(1, 2, last_on=1)
    elif case == "end":              # a read never answered
        await drv.ar(4, 0x100, 2)
        await ClockCycles(drv.dut.clk_i, 3)
        mon.end_run("end of the test program")
    else:
        raise ValueError(case)


# case -> (rule, channel)
CASES = {"hold": ("hold", "ar"), "stable": ("stable", "aw"), "stable_r": ("stable", "r"),
         "wlast_early": ("wlast", "w"), "wlast_missing": ("wlast", "w"), "4kb": ("4kb", "ar"),
         "orphan_r": ("orphan", "r"), "orphan_b": ("orphan", "b"), "rlast": ("rlast", "r"),
         "end": ("end", "-")}


@cocotb.test(timeout_time=100, timeout_unit="us")
async def test_legal(dut):
    """The legal exchange, twice with idle gaps (the monitor sleeps between): no violation, and
    the run's summary counts the bursts and bytes."""
    drv, mon = await _setup(dut, fail=False)
    for _ in range(2):
        await legal(drv)
        await ClockCycles(dut.clk_i, 20)
    run = mon.end_run("legal")
    assert not mon.violations, [str(v) for v in mon.violations]
    assert (run.ar, run.aw, run.rd_bytes, run.wr_bytes) == (4, 4, 2 * 5 * 16, 2 * 5 * 16), run


@cocotb.test(timeout_time=100, timeout_unit="us")
@cocotb.parametrize(case=list(CASES))
async def test_rule(dut, case):
    """One injected violation: the monitor reports its rule first, on the right channel and
    port, at the edge it happened."""
    drv, mon = await _setup(dut, fail=False)
    await legal(drv)
    t0 = get_sim_time("ns")
    await inject(drv, mon, case)
    await ClockCycles(dut.clk_i, 2)
    rule, ch = CASES[case]
    assert mon.violations, f"{case}: no violation reported"
    v = mon.violations[0]
    assert (v.rule, v.channel, v.port) == (rule, ch, "m_axi"), f"{case}: {v}"
    assert t0 < v.time_ns <= get_sim_time("ns"), f"{case}: time {v.time_ns} not in the case"
    text = str(v)
    for part in ("m_axi", f"'{rule}'", f"{v.time_ns:.1f} ns"):
        assert part in text, f"{case}: {part!r} not in {text!r}"
    dut._log.info("%s -> %s", case, text)


@cocotb.test(timeout_time=100, timeout_unit="us", expect_error=AxiProtocolError)
async def test_violation_fails_test(dut):
    """The default monitor raises AxiProtocolError from its own task: the test fails."""
    drv, mon = await _setup(dut)
    await inject(drv, mon, "wlast_early")
    await ClockCycles(dut.clk_i, 5)


@cocotb.test(timeout_time=100, timeout_unit="us")
async def test_lite(dut):
    """AXI4-Lite mode (no IDs, lengths or last flags): legal single beats pass, a B with no
    write outstanding is an orphan."""
    drv, mon = await _setup(dut, fail=False, lite=True)
    await drv.cycle(awvalid=1, awaddr=0x10, awready=1, wvalid=1, wready=1, wdata=5)
    await drv.cycle(awvalid=0, awready=0, wvalid=0, wready=0)
    await drv.b(0)
    await drv.cycle(arvalid=1, araddr=0x14, arready=1)
    await drv.cycle(arvalid=0, arready=0)
    await drv.cycle(rvalid=1, rready=1, rdata=9)
    await drv.cycle(rvalid=0, rready=0)
    mon.end_run("lite")
    assert not mon.violations, [str(v) for v in mon.violations]
    await drv.b(0)
    await RisingEdge(dut.clk_i)
    assert [(v.rule, v.channel) for v in mon.violations] == [("orphan", "b")], \
        [str(v) for v in mon.violations]
