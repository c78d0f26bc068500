"""cocotb test of tb_assert_fail: drives fire_i high for one cycle (FIRE=1) so that the module's
immediate assertion fails (with a message when MSG=1), then runs on; the pytest entry checks that
tb/simrun.py fails the run on both simulators, and passes it without the failure or when the
failure is declared expected."""

from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles

from testparams import env_int


@cocotb.test(timeout_time=100, timeout_unit="us")
async def test_assert(dut):
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    dut.fire_i.value = 0
    dut.msg_i.value = env_int("MSG", 1)
    await ClockCycles(dut.clk_i, 5)
    dut.fire_i.value = env_int("FIRE", 1)
    await ClockCycles(dut.clk_i, 1)
    dut.fire_i.value = 0
    await ClockCycles(dut.clk_i, 5)
