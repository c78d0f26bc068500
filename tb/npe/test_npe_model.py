"""NPE units (model/npe_units.py): within 1 FP16 ulp of correctly rounded over all 65536 FP16
inputs, and the special values."""

import numpy as np
import pytest

from model import npe_units as U
from tools.npe_accuracy import measure


@pytest.mark.parametrize("name", ["exp", "recip", "rsqrt", "silu"])
def test_all_fp16_inputs_within_one_ulp(name):
    r = measure(name)
    assert r["max"] <= 1 and r["nan_mismatch"] == 0, r
    assert r["rel32"] < 1e-5, r


def test_specials():
    f = U.f32
    inf, ninf, nan = 0x7F800000, 0xFF800000, 0x7FC00000
    assert U.exp(np.array([inf, ninf, nan, 0, 0x80000000])).tolist() == \
        [inf, 0, nan, int(f(1.0)), int(f(1.0))]
    assert U.recip(np.array([0, 0x80000000, inf, ninf, nan])).tolist() == \
        [inf, ninf, 0, 0x80000000, nan]
    assert U.rsqrt(np.array([0, inf, int(f(-4.0)), nan, int(f(4.0))])).tolist() == \
        [inf, 0, nan, nan, int(f(0.5))]
    assert U.recip(np.array([int(f(4.0))])).tolist() == [int(f(0.25))]
