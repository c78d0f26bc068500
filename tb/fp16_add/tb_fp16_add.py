"""cocotb test of skipopu_fp16_add against model.fp16.fp16_add, bit for bit."""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

from model.fp16 import CORNERS, fp16_add
from testparams import env_int, seed_of


class TB:
    """Driver (a_i, b_i), monitor (y_o) and scoreboard against the model."""

    def __init__(self, dut):
        self.dut = dut
        self.count = 0

    async def check(self, a: np.ndarray, b: np.ndarray):
        want = fp16_add(a, b)
        got = np.empty_like(want)
        for i in range(len(a)):
            self.dut.a_i.value = int(a[i])
            self.dut.b_i.value = int(b[i])
            await Timer(1, "ns")
            got[i] = int(self.dut.y_o.value)
        bad = np.flatnonzero(got != want)
        self.count += len(a)
        assert not len(bad), "mismatches (a, b, rtl, model): " + ", ".join(
            f"({a[i]:04x}, {b[i]:04x}, {got[i]:04x}, {want[i]:04x})" for i in bad[:8])


def stimulus(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random bit patterns, plus operand pairs built to hit cancellation, alignment shifts
    of every size, rounding ties and results near the normal range's ends."""
    a = rng.integers(0, 1 << 16, n, dtype=np.uint16)
    b = rng.integers(0, 1 << 16, n, dtype=np.uint16)
    k = n // 4
    # same or neighbouring exponent, opposite signs: massive cancellation
    b[:k] = (a[:k] ^ 0x8000) + rng.integers(-3, 4, k).astype(np.uint16)
    # controlled exponent differences 0..15 (all alignment shifts, sticky bits, ties)
    d = rng.integers(0, 16, k).astype(np.uint16)
    b[k:2 * k] = (a[k:2 * k] & 0x83FF) | (((a[k:2 * k] >> 10 & 31) - d) & 31) << 10
    # tiny and huge magnitudes (FTZ and overflow paths)
    e = rng.choice([1, 2, 3, 29, 30], 2 * k).astype(np.uint16)
    a[2 * k:] = (a[2 * k:] & 0x83FF) | (e << 10)
    return a, b


# cocotb timeout per test (simulated us): about 1 ns of simulated time per vector (100000 random
# vectors took 100 us), corners included
TIMEOUT_US = max(200, env_int("FP16_VECTORS", 20000) // 50)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_corners(dut):
    """Every pair of corner values."""
    tb = TB(dut)
    a, b = np.meshgrid(CORNERS, CORNERS)
    await tb.check(a.ravel(), b.ravel())
    dut._log.info("%d corner pairs match the model", tb.count)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_random(dut):
    tb = TB(dut)
    rng = np.random.default_rng(seed_of("fp16_add"))
    n = int(os.environ.get("FP16_VECTORS", "20000"))
    for _ in range(0, n, 4096):
        await tb.check(*stimulus(rng, min(4096, n - tb.count)))
    dut._log.info("%d random pairs match the model", tb.count)
