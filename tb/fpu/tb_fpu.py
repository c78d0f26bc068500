"""cocotb test of the floating-point units (skipopu_fp_add, skipopu_fp_mul, skipopu_fp_narrow)
against model/fpu.py, bit for bit, on corner values and random operands."""

from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

from model.fpu import FP16, FP32, Fmt, fp_add, fp_mul, fp_narrow
from testparams import env_int, seed_of


def corners(f: Fmt) -> np.ndarray:
    e, m, b = f.emax, f.man_w, f.bias
    vals = [0, 1, (1 << m) - 1, 1 << m, (1 << m) + 1, b << m, (b << m) + 1, (b + 1) << m,
            ((e - 1) << m) | ((1 << m) - 1), (e - 1) << m, e << m, (e << m) | 1, f.qnan,
            (e << m) | ((1 << m) - 1), ((b - 1) << m) | ((1 << m) - 1), 2 << m, 3 << m]
    vals = np.array(vals, dtype=np.int64)
    return np.concatenate([vals, vals | (1 << (f.width - 1))])


def stimulus(rng, f: Fmt, n: int):
    w = f.width
    a = rng.integers(0, 1 << w, n, dtype=np.int64)
    b = rng.integers(0, 1 << w, n, dtype=np.int64)
    k = n // 3
    # near-equal magnitudes (cancellation) and every exponent difference
    d = rng.integers(0, f.man_w + 6, k)
    ea = (a[:k] >> f.man_w) & f.emax
    b[:k] = (b[:k] & ~(f.emax << f.man_w)) | (np.clip(ea - d, 0, f.emax) << f.man_w)
    b[k:2 * k] = a[k:2 * k] ^ (1 << (w - 1)) ^ rng.integers(0, 8, k)
    return a, b


# cocotb timeout (simulated us): about 1 ns per vector (50000 vectors and the corner pairs took
# 51 us)
TIMEOUT_US = max(500, env_int("FPU_VECTORS", 20000) // 20)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_fpu(dut):
    op = os.environ["FPU_OP"]
    fmt = {"fp16": FP16, "fp32": FP32}[os.environ["FPU_FMT"]]
    n = int(os.environ.get("FPU_VECTORS", "20000"))
    rng = np.random.default_rng(seed_of("fpu", os.environ["FPU_FMT"]))
    c = corners(fmt)
    ca, cb = np.meshgrid(c, c)
    sets = [(ca.ravel(), cb.ravel())]
    left = n
    while left > 0:
        sets.append(stimulus(rng, fmt, min(4096, left)))
        left -= 4096
    total = 0
    for a, b in sets:
        if op == "add":
            want = fp_add(a, b, fmt)
        elif op == "mul":
            want = fp_mul(a, b, fmt)
        else:
            want = fp_narrow(a, FP32, FP16)
        got = np.empty_like(want)
        for i in range(len(a)):
            dut.a_i.value = int(a[i])
            if op != "narrow":
                dut.b_i.value = int(b[i])
            await Timer(1, "ns")
            got[i] = int(dut.y_o.value)
        bad = np.flatnonzero(got != want)
        assert not len(bad), f"{op} {os.environ['FPU_FMT']}: a={a[bad[0]]:x} b={b[bad[0]]:x} " \
                             f"rtl {got[bad[0]]:x} model {want[bad[0]]:x} ({len(bad)} bad)"
        total += len(a)
    dut._log.info("%s %s: %d operand sets match the model", op, os.environ["FPU_FMT"], total)
