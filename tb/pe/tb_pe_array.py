"""cocotb test of skipopu_pe_array: per column, every tile sum against model/pe.py.

Weight tiles (FP16 or INT4, random bit patterns or normal values) are held while a stream of
activation vectors (with random gaps) passes; the monitor collects the NCOL FP32 outputs of
every vector and the scoreboard compares them with bfp_tree(column_terms_*) of the model.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from model.fp16 import from_float
from model.pe import bfp_tree, column_terms_fp16, column_terms_int4, tree_to_fp32
from testparams import env_int, seed_of


def pack(vals, width):
    v = 0
    for i, x in enumerate(np.asarray(vals).ravel().tolist()):
        v |= (int(x) & ((1 << width) - 1)) << (width * i)
    return v


# cocotb timeout (simulated us): ARRAY_TILES tiles of at most a few hundred 4 ns cycles each
TIMEOUT_US = max(1000, 100 * env_int("ARRAY_TILES", 12))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_array(dut):
    kdim = len(dut.x_i) // 16
    ncol = len(dut.y_o) // 32
    cocotb.start_soon(Clock(dut.clk_i, 4, unit="ns").start())
    dut.rst_ni.value = 0
    dut.valid_i.value = 0
    dut.int4_i.value = 0
    dut.w_i.value = 0
    dut.x_i.value = 0
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    rng = np.random.default_rng(seed_of("pe_array"))
    n_tiles = int(os.environ.get("ARRAY_TILES", "12"))
    vecs = 64
    for t in range(n_tiles):
        int4 = t % 2 == 1
        if int4:
            w = rng.integers(-8, 8, (kdim, ncol))
            wbits = w & 0xF
        elif t % 4 == 0:
            w = rng.integers(0, 1 << 16, (kdim, ncol))
            wbits = w
        else:
            w = from_float(rng.standard_normal((kdim, ncol)) * 0.05).astype(np.int64)
            wbits = w
        x = (rng.integers(0, 1 << 16, (vecs, kdim)) if t % 3 == 0 else
             from_float(rng.standard_t(4, (vecs, kdim))).astype(np.int64))
        dut.int4_i.value = int(int4)
        dut.w_i.value = pack(wbits, 16)
        got = []
        i = 0
        while len(got) < vecs:
            if i < vecs and rng.random() < 0.8:
                dut.valid_i.value = 1
                dut.x_i.value = pack(x[i], 16)
                i += 1
            else:
                dut.valid_i.value = 0
            await RisingEdge(dut.clk_i)
            if dut.valid_o.value:
                y = int(dut.y_o.value)
                got.append([(y >> (32 * c)) & 0xFFFFFFFF for c in range(ncol)])
        dut.valid_i.value = 0
        got = np.array(got, dtype=np.uint32)
        for c in range(ncol):
            terms = (column_terms_int4(x, w[:, c][None, :]) if int4 else
                     column_terms_fp16(x, w[:, c][None, :]))
            want = tree_to_fp32(*bfp_tree(terms))
            bad = np.flatnonzero(got[:, c] != want)
            assert not len(bad), f"tile {t} ({'int4' if int4 else 'fp16'}) column {c} vector " \
                                 f"{bad[0]}: rtl {got[bad[0], c]:08x} model {want[bad[0]]:08x}"
        # the pipeline drains fully between tiles (weights change only when idle)
        await ClockCycles(dut.clk_i, 10)
    dut._log.info("%d tiles x %d vectors x %d columns match the model", n_tiles, vecs, ncol)
