"""cocotb test of one NPE unit (skipopu_npe_exp / _recip / _rsqrt) against model/npe_units.py,
bit for bit: every FP16 value widened to FP32 (or an evenly spaced subset) plus random FP32
bit patterns and special values. The units are pipelines: one input per clock, the result
LATENCY[unit] (model/npe_units.py, = the RTL package constant) cycles later."""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from model import npe_units as U
from model.fpu import FP16, FP32, fp_widen
from testparams import env_int, seed_of


# cocotb timeout (simulated us): one input per 10 ns cycle, every FP16 value (every
# NPE_FP16_STEP-th) plus NPE_RANDOM random ones, and the pipeline; 4x margin for stalls
TIMEOUT_US = max(2000, (65536 // env_int("NPE_FP16_STEP", 1) + env_int("NPE_RANDOM", 20000)) // 25)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_unit(dut):
    name = os.environ["NPE_UNIT"]
    step = int(os.environ.get("NPE_FP16_STEP", "1"))
    n_rand = int(os.environ.get("NPE_RANDOM", "20000"))
    rng = np.random.default_rng(seed_of("npe_unit", os.environ.get("NPE_UNIT", "")))
    x = np.concatenate([
        fp_widen(np.arange(0, 1 << 16, step), FP16, FP32),
        rng.integers(0, 1 << 32, n_rand),
        np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x00000001,
                  0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x3F800000, 0xBF800000, 0x42B17218,
                  0xC2CFF1B5, 0x42B20000, 0xC2D00000])]).astype(np.int64)
    want = getattr(U, name)(x)
    lat = U.LATENCY[name]
    cocotb.start_soon(Clock(dut.clk_i, 10, "ns").start())
    got = np.empty_like(want)
    xs = [int(v) for v in x]
    n = len(xs)
    x_h, y_h = dut.x_i, dut.y_o
    # Drive on the falling edge; after falling edge c the output holds the result of the input
    # driven at falling edge c - lat (registered on rising edge c - lat + 1 .. c)
    stall = float(os.environ.get("NPE_STALL", "0"))   # probability of a cycle with en_i low
    en_rng = np.random.default_rng(n)
    # Drive on the falling edge. Only enabled rising edges move the pipeline: after E enabled
    # edges the output holds the result of the (E - lat)-th input (0-based); with en_i low the
    # output must hold.
    pushed = 0
    enabled = 0
    checked = np.zeros(n, dtype=bool)
    en_now = 0
    while pushed < n or enabled < n + lat - 1:
        await FallingEdge(dut.clk_i)
        enabled += en_now
        if enabled >= lat and enabled - lat < n:
            k = enabled - lat
            v = int(y_h.value)
            if checked[k] and got[k] != v:
                raise AssertionError(f"{name}: output changed while en_i was low (input {k})")
            got[k] = v
            checked[k] = True
        en_now = int(en_rng.random() >= stall)
        dut.en_i.value = en_now
        if en_now:
            x_h.value = xs[pushed] if pushed < n else 0
            pushed += 1
    assert checked.all()
    bad = np.flatnonzero(got != want)
    assert not len(bad), f"{name}: {len(bad)} mismatches, first x={x[bad[0]]:08x}: rtl " \
                         f"{got[bad[0]]:08x} model {want[bad[0]]:08x}"
    dut._log.info("%s: %d inputs match the model", name, len(x))
