"""cocotb test of skipopu_bfp_tree against model.pe.bfp_tree + tree_to_fp32.

Terms come from the PE model (random FP16/INT4 operands, Llama-like heavy-tailed values,
special values, all-zero tiles), one tile per cycle with random gaps; the FP32 result of every
tile is compared bit for bit.
"""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from model.fp16 import CORNERS, from_float
from model.pe import Terms, bfp_tree, column_terms_fp16, column_terms_int4, tree_to_fp32
from testparams import env_int, seed_of


def pack(bits: np.ndarray, width: int) -> int:
    v = 0
    for i, b in enumerate(bits.tolist()):
        v |= (int(b) & ((1 << width) - 1)) << (width * i)
    return v


def tiles(rng, n, k, kind):
    """n tiles of k terms of one stimulus kind (0..4)."""
    if kind == 0:      # random bit patterns, FP16 x FP16
        x, w = rng.integers(0, 1 << 16, (n, k)), rng.integers(0, 1 << 16, (n, k))
        return column_terms_fp16(x, w)
    if kind == 1:      # Llama-like values
        x = from_float(rng.standard_t(4, (n, k)) * np.where(rng.random((n, k)) < .02, 20, .5))
        w = from_float(rng.standard_t(5, (n, k)) * 0.02)
        return column_terms_fp16(x, w)
    if kind == 2:      # INT4
        x = from_float(rng.standard_normal((n, k)))
        return column_terms_int4(x, rng.integers(-8, 8, (n, k)))
    if kind == 3:      # specials and zeros sprinkled into normal data
        x = from_float(rng.standard_normal((n, k)))
        w = from_float(rng.standard_normal((n, k)))
        m = rng.random((n, k)) < 0.05
        x = np.where(m, rng.choice(CORNERS, (n, k)), x)
        return column_terms_fp16(x, w)
    # cancellation: pairs of equal and opposite products, wide exponent spread
    x = from_float(rng.standard_normal((n, k)) * np.exp2(rng.integers(-10, 10, (n, k))))
    w = from_float(np.where(np.arange(k) % 2, -1.0, 1.0) * np.ones((n, k)))
    return column_terms_fp16(x, w)


# cocotb timeout (simulated us): one tile per 4 ns cycle in batches, TREE_TILES tiles, 100x margin
TIMEOUT_US = max(1000, env_int("TREE_TILES", 3000) * 4 // 10)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_tree(dut):
    k = len(dut.zero_i)
    cocotb.start_soon(Clock(dut.clk_i, 4, unit="ns").start())
    dut.rst_ni.value = 0
    dut.valid_i.value = 0
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    rng = np.random.default_rng(seed_of("bfp_tree"))
    n_total = int(os.environ.get("TREE_TILES", "3000"))
    done = batch = 0
    while done < n_total:
        t = tiles(rng, 256, k, batch % 5)
        batch += 1
        want = tree_to_fp32(*bfp_tree(t))
        fields = [(dut.zero_i, t.zero, 1), (dut.nan_i, t.nan, 1), (dut.inf_i, t.inf, 1),
                  (dut.sign_i, t.sign, 1), (dut.exp_i, t.exp, 7), (dut.mag_i, t.mag, 15)]
        packed = [[pack(arr[i], w) for i in range(len(want))] for _, arr, w in fields]
        got = []
        i = 0
        while len(got) < len(want):
            if i < len(want) and rng.random() < 0.85:
                dut.valid_i.value = 1
                for (sig, _, _), p in zip(fields, packed):
                    sig.value = p[i]
                i += 1
            else:
                dut.valid_i.value = 0
            await RisingEdge(dut.clk_i)
            if dut.valid_o.value:
                got.append(int(dut.fp32_o.value))
        dut.valid_i.value = 0
        got = np.array(got, dtype=np.uint32)
        bad = np.flatnonzero(got != want)
        assert not len(bad), f"tile {done + bad[0]}: rtl {got[bad[0]]:08x} model {want[bad[0]]:08x}"
        done += len(want)
    dut._log.info("%d tiles of %d terms match the model", done, k)
