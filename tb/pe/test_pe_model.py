"""Model-level checks of the PE array numerics (model/pe.py)."""

import numpy as np

from model.fp16 import from_float, to_float
from model.pe import (fp16_to_fp32, fp32_add, fp32_to_fp16, matmul, bfp_tree,
                      column_terms_fp16, tree_to_fp32)
from tools import prove_overpack


def test_packing_proof():
    """The exhaustive overpacking / INT4 packing proof (coarser mw2 sampling than the tool)."""
    assert prove_overpack.prove_fp16(step=31) > 0
    assert prove_overpack.prove_int4() > 0


def test_fp32_to_fp16_vs_numpy():
    """Away from the FTZ boundary the converter equals numpy's correctly rounded conversion."""
    rng = np.random.default_rng(7)
    f = rng.integers(0, 1 << 32, 2_000_000, dtype=np.uint64).astype(np.uint32)
    e = (f >> 23) & 255
    f = f[(e >= 127 - 13) | (e == 0) | (e == 255)]          # results >= 2^-13, zeros, specials
    got = fp32_to_fp16(f)
    with np.errstate(over="ignore", invalid="ignore"):
        want = from_float(f.view(np.float32).astype(np.float64))
    want = np.where((e[(e >= 127 - 13) | (e == 0) | (e == 255)] == 0), want & 0x8000, want)
    assert np.array_equal(got, want.astype(np.uint16))


def test_tree_exact_and_close():
    """Tree sums are exact in FP32 and close to float64 on random data."""
    rng = np.random.default_rng(3)
    x = from_float(rng.uniform(-1, 1, (4000, 64)))
    w = from_float(rng.uniform(-1, 1, (4000, 64)))
    y = tree_to_fp32(*bfp_tree(column_terms_fp16(x, w))).view(np.float32).astype(np.float64)
    ref = np.sum(to_float(x) * to_float(w), axis=-1)
    bound = np.sum(np.abs(to_float(x) * to_float(w)), axis=-1) * 2.0 ** -12
    assert np.all(np.abs(y - ref) <= bound)


def test_matmul_modes():
    """matmul (tiles of KDIM, FP32 PSUM, INT4 group scales) against float64."""
    rng = np.random.default_rng(11)
    x = from_float(rng.standard_normal((8, 256)))
    w = from_float(rng.standard_normal((256, 24)) * 0.05)
    y = to_float(matmul(x, w, kdim=64))
    ref = to_float(x) @ to_float(w)
    assert np.allclose(y, ref, rtol=4e-3, atol=4e-3 * np.abs(ref).max())
    q = rng.integers(-8, 8, (256, 24))
    sc = from_float(rng.uniform(0.001, 0.01, (2, 24)))
    y4 = to_float(matmul(x, q, kdim=64, mode="int4", scales=sc, group=128))
    deq = q * np.repeat(to_float(sc), 128, axis=0)
    ref4 = to_float(x) @ deq
    assert np.allclose(y4, ref4, rtol=4e-3, atol=4e-3 * np.abs(ref4).max())
    # a tile result goes through the FP32 adder unchanged when PSUM starts at zero
    t = tree_to_fp32(*bfp_tree(column_terms_fp16(x[:, :64], w[:64, 0])))
    assert np.array_equal(fp32_add(np.zeros_like(t), t), t)
    assert np.array_equal(fp16_to_fp32(np.uint16(0x3C00)), np.uint32(0x3F800000))
