"""cocotb test of skipopu_rst_sync, the reset synchroniser.

Random reset pulses (long, and glitches shorter than a clock cycle) at random times between clock
edges. After every change of ``rst_ni``, checked in the same time step and at every following edge:

* assertion is asynchronous: ``rst_no`` is low in the time step ``rst_ni`` falls, with no clock
  edge, also with the clock stopped, and stays low while ``rst_ni`` is low;
* deassertion is synchronous: ``rst_no`` rises exactly at the STAGES-th rising edge after
  ``rst_ni`` rose (and not between edges), then stays high until ``rst_ni`` falls.

Environment (set by test_async_fifo.py): STAGES.
"""

from __future__ import annotations

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, Timer

from testparams import seed_of

PERIOD = 10000   # ps


async def _expect(dut, value: int, what: str):
    await ReadOnly()
    assert dut.rst_no.value == value, f"{what}: rst_no={dut.rst_no.value}, expected {value}"


async def _off_edge(dut, rng: random.Random):
    """Wait for a rising edge, then an odd number of ps into the cycle (never on an edge)."""
    await RisingEdge(dut.clk_i)
    await Timer(2 * rng.randrange(PERIOD // 2) + 1, "ps")


async def _release(dut, stages: int, what: str):
    """Release rst_ni now (off any edge); rst_no rises exactly at the STAGES-th edge."""
    dut.rst_ni.value = 1
    await _expect(dut, 0, f"{what}: rst_ni just released")
    for k in range(1, stages + 1):
        await RisingEdge(dut.clk_i)
        await _expect(dut, int(k == stages), f"{what}: edge {k} after the release")
        await Timer(PERIOD // 2 + 1, "ps")
        await _expect(dut, int(k == stages), f"{what}: between edges {k} and {k + 1}")


# cocotb timeout (simulated us): 40 reset pulses of a few clock periods (4 us in all)
TIMEOUT_US = 200


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_rst_sync(dut):
    stages = int(os.environ.get("STAGES", "2"))
    rng = random.Random(seed_of("rst_sync"))
    dut.rst_ni.value = 0
    dut.clk_i.value = 0
    clock = Clock(dut.clk_i, PERIOD, unit="ps")
    clock.start(start_high=False)
    await _expect(dut, 0, "in reset from the start")
    await _off_edge(dut, rng)
    await _release(dut, stages, "first release")

    for i in range(40):
        for _ in range(rng.randint(0, 5)):
            await RisingEdge(dut.clk_i)
            await _expect(dut, 1, "out of reset")
        # Assert at once, without an edge: a glitch shorter than a cycle (released before the
        # next edge) or a pulse over a few edges
        await _off_edge(dut, rng)
        dut.rst_ni.value = 0
        await _expect(dut, 0, "rst_ni just asserted")
        if i % 3 == 0:
            await Timer(2 * rng.randrange(1, 100), "ps")   # even: stays off the edges
            await _expect(dut, 0, "during a glitch")
            await Timer(2, "ps")
            await _release(dut, stages, f"glitch {i}")
        else:
            for _ in range(rng.randint(1, 4)):
                await RisingEdge(dut.clk_i)
                await _expect(dut, 0, "rst_ni held")
            await _off_edge(dut, rng)
            await _release(dut, stages, f"pulse {i}")

    # With the clock stopped: assertion still immediate, release waits for the clock
    await RisingEdge(dut.clk_i)
    await Timer(PERIOD // 4 + 1, "ps")
    assert dut.rst_no.value == 1
    clock.stop()
    dut.clk_i.value = 0
    await Timer(PERIOD, "ps")
    dut.rst_ni.value = 0
    await _expect(dut, 0, "asserted with the clock stopped")
    await Timer(PERIOD + 1, "ps")
    dut.rst_ni.value = 1
    await Timer(5 * PERIOD, "ps")
    await _expect(dut, 0, "released with the clock stopped")
    await Timer(1, "ps")
    clock.start(start_high=False)
    for k in range(1, stages + 1):
        await RisingEdge(dut.clk_i)
        await _expect(dut, int(k == stages), f"edge {k} after the clock restarted")
