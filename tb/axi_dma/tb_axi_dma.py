"""cocotb tests of the AXI4 burst engines skipopu_axi_rd and skipopu_axi_wr.

Scoreboard: a read command must stream exactly the bytes the RAM holds; a write command must
leave exactly the sent bytes in the RAM and nothing else changed. A bus monitor checks every
burst (INCR, full size, <= MAX_BURST beats, no 4 KB crossing). Error windows check err_o /
out_err_o, complete draining, and that the next command works.
"""

from __future__ import annotations

import logging
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiReadBus, AxiWriteBus

from axi_models import ErrAxiRamRead, ErrAxiRamWrite

MEM = 1 << 20


def random_pause(seed, p):
    rng = random.Random(seed)
    while True:
        yield rng.random() < p


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.write = os.environ["ENGINE"] == "wr"
        self.max_burst = int(os.environ["MAX_BURST"])
        self.data_w = len(dut.m_axi_wdata if self.write else dut.m_axi_rdata)
        self.bb = self.data_w // 8
        self.log = logging.getLogger("cocotb.tb")
        logging.getLogger(f"cocotb.{dut._name}.m_axi").setLevel(logging.WARNING)
        cocotb.start_soon(Clock(dut.clk_i, 4, unit="ns").start())
        if self.write:
            self.ram = ErrAxiRamWrite(AxiWriteBus.from_prefix(dut, "m_axi"), dut.clk_i,
                                      dut.rst_ni, reset_active_level=False, size=MEM)
        else:
            self.ram = ErrAxiRamRead(AxiReadBus.from_prefix(dut, "m_axi"), dut.clk_i,
                                     dut.rst_ni, reset_active_level=False, size=MEM)
        self.bursts = 0
        cocotb.start_soon(self.monitor())

    async def monitor(self):
        pre = "aw" if self.write else "ar"
        sig = {n: getattr(self.dut, f"m_axi_{pre}{n}") for n in
               ("valid", "ready", "addr", "len", "size", "burst")}
        while True:
            await RisingEdge(self.dut.clk_i)
            if sig["valid"].value == 1 and sig["ready"].value == 1:
                addr, n = int(sig["addr"].value), int(sig["len"].value) + 1
                assert int(sig["burst"].value) == 1, "not an INCR burst"
                assert 1 << int(sig["size"].value) == self.bb, "narrow burst"
                assert n <= self.max_burst, f"burst of {n} beats > MAX_BURST"
                assert addr % self.bb == 0, f"unaligned burst 0x{addr:x}"
                assert addr // 4096 == (addr + n * self.bb - 1) // 4096, \
                    f"burst 0x{addr:x} + {n} beats crosses a 4 KB boundary"
                self.bursts += 1

    def set_pauses(self, seed, idle, backpressure):
        if self.write:
            stall, gaps = [self.ram.aw_channel, self.ram.w_channel], [self.ram.b_channel]
        else:
            stall, gaps = [self.ram.ar_channel], [self.ram.r_channel]
        for i, ch in enumerate(stall):
            ch.set_pause_generator(random_pause(seed + i, 0.4) if backpressure else None)
        for i, ch in enumerate(gaps):
            ch.set_pause_generator(random_pause(seed + 10 + i, 0.4) if idle else None)

    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        d.cmd_valid_i.value = 0
        d.cmd_addr_i.value = 0
        d.cmd_beats_i.value = 0
        if self.write:
            d.in_valid_i.value = 0
            d.in_data_i.value = 0
        else:
            d.out_ready_i.value = 0
        await ClockCycles(d.clk_i, 4)
        d.rst_ni.value = 1
        await ClockCycles(d.clk_i, 2)

    async def command(self, addr, beats):
        d = self.dut
        while not d.cmd_ready_o.value:
            await RisingEdge(d.clk_i)
        d.cmd_addr_i.value = addr
        d.cmd_beats_i.value = beats
        d.cmd_valid_i.value = 1
        await RisingEdge(d.clk_i)
        d.cmd_valid_i.value = 0

    async def read_cmd(self, rng, addr, beats, ready_p, limit=100000):
        """Run one read command with random out_ready; returns (bytes, err, error beats)."""
        d = self.dut
        await self.command(addr, beats)
        out, err_beats, n = bytearray(), [], 0
        for _ in range(limit):
            d.out_ready_i.value = int(rng.random() < ready_p)
            await RisingEdge(d.clk_i)
            if d.out_valid_o.value and d.out_ready_i.value:
                out += int(d.out_data_o.value).to_bytes(self.bb, "little")
                if d.out_err_o.value:
                    err_beats.append(n)
                n += 1
                assert bool(d.out_last_o.value) == (n == beats), f"out_last at beat {n}/{beats}"
            if d.done_o.value:
                assert n == beats, f"done_o after {n} of {beats} beats"
                d.out_ready_i.value = 0
                return bytes(out), bool(d.err_o.value), err_beats
        raise AssertionError(f"read of {beats} beats at 0x{addr:x} not done in {limit} cycles")

    async def write_cmd(self, rng, addr, data, valid_p, limit=100000):
        """Run one write command, feeding the stream with random gaps; returns err."""
        d = self.dut
        beats = len(data) // self.bb
        await self.command(addr, beats)
        sent = 0
        for _ in range(limit):
            if sent < beats and rng.random() < valid_p:
                d.in_valid_i.value = 1
                d.in_data_i.value = int.from_bytes(data[sent * self.bb:(sent + 1) * self.bb],
                                                   "little")
            else:
                d.in_valid_i.value = 0
            await RisingEdge(d.clk_i)
            if d.in_valid_i.value and d.in_ready_o.value:
                sent += 1
            if d.done_o.value:
                d.in_valid_i.value = 0
                assert sent == beats, f"done_o after {sent} of {beats} beats"
                return bool(d.err_o.value)
        raise AssertionError(f"write of {beats} beats at 0x{addr:x} not done in {limit} cycles")

    def random_cmd(self, rng):
        beats = rng.choice([1, 2, self.max_burst, self.max_burst + 1, rng.randint(1, 300)])
        if rng.random() < 0.4:   # end just below a 4 KB boundary
            page = rng.randrange(1, MEM // 4096 - 16)
            addr = page * 4096 - self.bb * rng.randint(1, 8)
        else:
            addr = self.bb * rng.randrange((MEM - 4096 * 16) // self.bb)
        return addr, beats


@cocotb.test()
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def test_random_commands(dut, idle, backpressure):
    tb = TB(dut)
    seed = cocotb.RANDOM_SEED
    rng = random.Random(seed)
    tb.set_pauses(seed, idle, backpressure)
    await tb.reset()
    p = 0.6 if backpressure else 1.0
    for _ in range(int(os.environ.get("AXI_DMA_CMDS", "20"))):
        addr, beats = tb.random_cmd(rng)
        n = beats * tb.bb
        if tb.write:
            data = rng.randbytes(n)
            before = tb.ram.read(0, MEM)
            assert not await tb.write_cmd(rng, addr, data, p), "unexpected err_o"
            after = tb.ram.read(0, MEM)
            assert after[addr:addr + n] == data, f"write 0x{addr:x}+{beats}: RAM differs"
            assert after[:addr] == before[:addr] and after[addr + n:] == before[addr + n:], \
                "bytes outside the command changed"
        else:
            tb.ram.write(addr, rng.randbytes(n))
            data, err, _ = await tb.read_cmd(rng, addr, beats, p)
            assert not err, "unexpected err_o"
            assert data == tb.ram.read(addr, n), f"read 0x{addr:x}+{beats}: stream differs"
    assert tb.bursts > 0
    tb.log.info("%d bursts checked", tb.bursts)


@cocotb.test()
async def test_error_response(dut):
    """An error window inside a command: err_o with done_o, every beat still moves, the
    erroneous beats are flagged (reads) or left unwritten (writes), and the next command is
    clean."""
    tb = TB(dut)
    seed = cocotb.RANDOM_SEED
    rng = random.Random(seed)
    tb.set_pauses(seed, True, True)
    await tb.reset()
    for _ in range(6):
        addr, beats = tb.random_cmd(rng)
        n = beats * tb.bb
        bad = rng.randrange(beats)
        lo = addr + bad * tb.bb
        tb.ram.clear_errors()
        if tb.write:
            tb.ram.add_write_error(lo, lo + tb.bb)
            old = tb.ram.read(addr, n)
            data = rng.randbytes(n)
            assert await tb.write_cmd(rng, addr, data, 0.7), "err_o not set"
            got = tb.ram.read(addr, n)
            want = data[:bad * tb.bb] + old[bad * tb.bb:(bad + 1) * tb.bb] + \
                data[(bad + 1) * tb.bb:]
            assert got == want, "RAM content after a failed write"
        else:
            tb.ram.add_read_error(lo, lo + tb.bb)
            tb.ram.write(addr, rng.randbytes(n))
            data, err, err_beats = await tb.read_cmd(rng, addr, beats, 0.7)
            assert err, "err_o not set"
            assert err_beats == [bad], f"out_err_o on beats {err_beats}, expected [{bad}]"
            ref = tb.ram.read(addr, n)
            assert data[:bad * tb.bb] == ref[:bad * tb.bb]
            assert data[(bad + 1) * tb.bb:] == ref[(bad + 1) * tb.bb:]
        tb.ram.clear_errors()
        addr, beats = tb.random_cmd(rng)
        if tb.write:
            data = rng.randbytes(beats * tb.bb)
            assert not await tb.write_cmd(rng, addr, data, 0.7)
            assert tb.ram.read(addr, len(data)) == data
        else:
            data, err, _ = await tb.read_cmd(rng, addr, beats, 0.7)
            assert not err and data == tb.ram.read(addr, beats * tb.bb)
