"""Accuracy of the NPE units over all 65536 FP16 inputs (docs/npe.md).

Each FP16 input is widened to FP32, run through the bit-accurate unit (model/npe_units.py),
rounded to FP16 (RNE, FTZ) and compared with the correctly rounded FP16 value of the float64
function of the same (DAZ'd) input under the same rule (unbounded-exponent rounding, then
flush below 2^-14). Distances are in FP16 ulps (ordered
integer distance of the bit patterns); NaN must map to NaN, and +-0 count as equal.

    python tools/npe_accuracy.py [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import npe_units as U  # noqa: E402
from model.fp16 import daz, from_float, to_float  # noqa: E402
from model.fpu import FP16, FP32, fp_narrow, fp_widen  # noqa: E402


def ordered(h):
    h = np.asarray(h, dtype=np.int64)
    return np.where(h & 0x8000, -(h & 0x7FFF), h & 0x7FFF)


def reference(name, x64):
    with np.errstate(all="ignore"):
        if name == "exp":
            return np.exp(x64)
        if name == "recip":
            return 1.0 / x64
        if name == "rsqrt":
            return 1.0 / np.sqrt(x64)
        if name == "silu":
            return x64 / (1.0 + np.exp(-x64))
    raise ValueError(name)


def round_fp16(v):
    """Correctly rounded FP16 with the core's rule: round with an unbounded exponent, then flush
    results below 2^-14 to zero (numpy's gradual underflow can round up to 2^-14 instead)."""
    v = np.asarray(v, dtype=np.float64)
    h = from_float(v).astype(np.int64)
    tiny = np.abs(v) < 2.0 ** -14
    with np.errstate(all="ignore"):
        r = np.abs(v * 2.0 ** 10).astype(np.float16).astype(np.float64) * 2.0 ** -10
    sign = np.where(np.signbit(v), 0x8000, 0)
    return np.where(tiny, np.where(r >= 2.0 ** -14, sign | 0x0400, sign), h)


def measure(name):
    h = np.arange(1 << 16, dtype=np.int64)
    h = daz(h).astype(np.int64)
    got = fp_narrow(getattr(U, name)(fp_widen(h, FP16, FP32)), FP32, FP16)
    want = round_fp16(reference(name, to_float(h)))
    nan_g = ((got >> 10) & 31 == 31) & (got & 1023 != 0)
    nan_w = ((want >> 10) & 31 == 31) & (want & 1023 != 0)
    nan_mismatch = int(np.count_nonzero(nan_g != nan_w))
    ok = ~nan_g & ~nan_w
    d = np.abs(ordered(got[ok]) - ordered(want[ok]))
    # accuracy of the FP32 result itself, relative to float64, where the result is a normal FP16
    y32 = U.val(getattr(U, name)(fp_widen(h, FP16, FP32)))
    ref = reference(name, to_float(h))
    fin = (np.abs(ref) >= 2.0 ** -14) & (np.abs(ref) <= 65504)
    rel = float(np.max(np.abs(y32[fin] - ref[fin]) / np.abs(ref[fin])))
    return {"max": int(d.max()), "exact": float(np.mean(d == 0)), "gt1": int(np.sum(d > 1)),
            "nan_mismatch": nan_mismatch, "n": int(ok.sum()), "rel32": rel}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    rows = [(n, measure(n)) for n in ("exp", "recip", "rsqrt", "silu")]
    print("FP16 in -> FP32 unit -> FP16 out vs correctly rounded FP16 of float64, all 65536 "
          "inputs")
    if a.markdown:
        print("\n| function | FP16 max error (ulp) | exactly rounded | inputs > 1 ulp | "
              "NaN mismatches | FP32 max rel. error |")
        print("|---|---|---|---|---|---|")
    for n, r in rows:
        if a.markdown:
            print(f"| {n} | {r['max']} | {r['exact']:.2%} | {r['gt1']} | {r['nan_mismatch']} "
                  f"| {r['rel32']:.2e} |")
        else:
            print(f"{n:6s} max {r['max']} ulp, {r['exact']:.2%} exactly rounded, "
                  f"{r['gt1']} inputs > 1 ulp, {r['nan_mismatch']} NaN mismatches, FP32 max "
                  f"relative error {r['rel32']:.2e}")
    return 0 if all(r["max"] <= 1 and r["nan_mismatch"] == 0 for _, r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
