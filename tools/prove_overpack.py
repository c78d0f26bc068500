"""Exhaustive check of the PE packing schemes (docs/pe-array.md).

FP16 x FP16 overpacking: for every pair (mw1, mx) of 11-bit normal significands (2^20 pairs)
and a set of right-hand significands mw2 (every 7th value plus all corners), both products out
of one DSP48E2 equal the 15-bit truncated products floor(m * mx / 2^7), every DSP port value
fits its width, and the left product does not depend on mw2 (nor the right one on mw1).

FP16 x INT4 packing: for every (q1, q2, mx), both signed products are exact.

    python tools/prove_overpack.py [--step N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.pe import int4_packed_products, overpack_dsp_inputs, overpacked_products  # noqa


def prove_fp16(step: int) -> int:
    m = np.arange(1024, 2048, dtype=np.int64)
    mw1 = m[:, None]
    mx = m[None, :]
    want1 = (mw1 * mx) >> 7
    mw2_set = sorted(set(range(1024, 2048, step)) | {1024, 1025, 1026, 1535, 1536, 2046, 2047})
    checked = 0
    ref_hi = None
    for mw2 in mw2_set:
        a, b, c, d = overpack_dsp_inputs(mx, mw1, mw2)
        assert 0 <= a.min() and a.max() < 1 << 26 and 0 <= d.min() and d.max() < 1 << 26
        assert 0 <= c.min() and c.max() < 1 << 47 and b.max() < 1 << 17
        hi, lo = overpacked_products(mx, mw1, mw2)
        assert np.array_equal(hi, want1), f"left product wrong for mw2={mw2}"
        assert np.array_equal(lo, (mw2 * mx) >> 7 + 0 * mw1), f"right product wrong, mw2={mw2}"
        if ref_hi is None:
            ref_hi = hi
        assert np.array_equal(hi, ref_hi)                 # independent of the partner
        checked += 2 * hi.size
    # the right product for every (mw2, mx) pair against a few left partners
    for mw1_s in (1024, 1025, 1800, 2047):
        hi, lo = overpacked_products(mx.T, mw1_s, m[None, :])
        assert np.array_equal(lo, (m[None, :] * mx.T) >> 7)
        checked += lo.size
    return checked


def prove_int4() -> int:
    q = np.arange(-8, 8, dtype=np.int64)
    q1, q2, mx = np.meshgrid(q, q, np.arange(1024, 2048, dtype=np.int64), indexing="ij")
    hi, lo = int4_packed_products(mx, q1, q2)
    assert np.array_equal(hi, q1 * mx) and np.array_equal(lo, q2 * mx)
    assert np.abs(lo).max() < 1 << 14
    return 2 * hi.size


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--step", type=int, default=7, help="mw2 sampling step (1 = all)")
    a = ap.parse_args()
    t = time.perf_counter()
    n16 = prove_fp16(a.step)
    n4 = prove_int4()
    print(f"FP16 overpacking: {n16} products exact; INT4 packing: {n4} products exact "
          f"({time.perf_counter() - t:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
