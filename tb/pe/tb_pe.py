"""cocotb test of skipopu_pe against model.pe (pe_fp16_pair / pe_int4_pair), term for term.

Driver: one (mode, x, w1, w2) per cycle with random valid gaps; monitor: every valid_o cycle;
scoreboard: all fields of both terms (zero, nan, inf, sign, exp, mag) against the model.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from model.fp16 import CORNERS
from model.pe import pe_fp16_pair, pe_int4_pair
from testparams import env_int, seed_of


def expected(mode, x, w1, w2):
    if mode == 1:
        q1 = ((w1 & 15) ^ 8) - 8
        q2 = ((w2 & 15) ^ 8) - 8
        t1, t2 = pe_int4_pair(x, q1, q2)
    else:
        t1, t2 = pe_fp16_pair(x, w1, w2)
    return t1, t2


class TB:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk_i, 4, unit="ns").start())

    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        d.valid_i.value = 0
        d.int4_i.value = 0
        d.x_i.value = 0
        d.w1_i.value = 0
        d.w2_i.value = 0
        await ClockCycles(d.clk_i, 3)
        d.rst_ni.value = 1
        await RisingEdge(d.clk_i)

    async def run(self, mode, x, w1, w2, rng):
        d = self.dut
        n = len(x)
        got = []
        i = 0
        while len(got) < n:
            if i < n and rng.random() < 0.9:
                d.valid_i.value = 1
                d.int4_i.value = int(mode[i])
                d.x_i.value = int(x[i])
                d.w1_i.value = int(w1[i])
                d.w2_i.value = int(w2[i])
                i += 1
            else:
                d.valid_i.value = 0
            await RisingEdge(d.clk_i)
            if d.valid_o.value:
                got.append((int(d.zero_o.value), int(d.nan_o.value), int(d.inf_o.value),
                            int(d.sign_o.value), int(d.exp_o.value), int(d.mag_o.value)))
        d.valid_i.value = 0
        got = np.array(got, dtype=np.int64)
        for m in (0, 1):
            sel = mode == m
            if not sel.any():
                continue
            t1, t2 = expected(m, x[sel], w1[sel], w2[sel])
            g = got[sel]
            fields = [("zero", 0, lambda t: t.zero.astype(np.int64), 1),
                      ("nan", 1, lambda t: t.nan.astype(np.int64), 1),
                      ("inf", 2, lambda t: t.inf.astype(np.int64), 1),
                      ("sign", 3, lambda t: t.sign, 1), ("exp", 4, lambda t: t.exp, 7),
                      ("mag", 5, lambda t: t.mag, 15)]
            for name, col, f, w in fields:
                want = f(t1) | (f(t2) << w)
                bad = np.flatnonzero(g[:, col] != want)
                assert not len(bad), (
                    f"mode {m} field {name}: {len(bad)} mismatches, first x={x[sel][bad[0]]:04x}"
                    f" w1={w1[sel][bad[0]]:04x} w2={w2[sel][bad[0]]:04x}: rtl "
                    f"{g[bad[0], col]:x} model {want[bad[0]]:x}")
        return n


# cocotb timeout (simulated us): one operand set per 4 ns cycle, PE_VECTORS random sets plus the
# corner triples, 10x margin
TIMEOUT_US = max(1000, env_int("PE_VECTORS", 20000) // 25)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_pe(dut):
    tb = TB(dut)
    await tb.reset()
    rng = np.random.default_rng(seed_of("pe"))
    n = int(os.environ.get("PE_VECTORS", "20000"))
    total = 0
    # corners: every corner activation against every corner weight pair, both modes
    c = CORNERS.astype(np.int64)
    xs, ws = np.meshgrid(c, c)
    xs, ws = xs.ravel(), ws.ravel()
    for m in (0, 1):
        total += await tb.run(np.full(len(xs), m), xs, ws, np.roll(ws, 7), rng)
    # random: uniform bit patterns and normal values, modes interleaved
    while total < 2 * n + 2 * len(xs):
        k = 4096
        mode = rng.integers(0, 2, k)
        x = rng.integers(0, 1 << 16, k)
        w1 = rng.integers(0, 1 << 16, k)
        w2 = rng.integers(0, 1 << 16, k)
        total += await tb.run(mode, x, w1, w2, rng)
    dut._log.info("%d PE operand sets (%d products) match the model", total, 2 * total)
