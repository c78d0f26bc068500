"""Behavioural subset of the Xilinx DSP48E2 used by the PE array (and mirrored by
``rtl/skipopu_dsp48e2.sv``): 27-bit pre-adder D +/- A, 27 x 18 signed multiplier, 48-bit
post-adder with the C port.

    P = ((D +/- A) * B + C) mod 2^48, read as a signed 48-bit number

Port widths follow UG579: A is 30 bits of which the multiplier path uses the low 27, B 18, C 48,
D 27, all two's complement. The model checks that every input fits its port (the hardware would
silently truncate, which is never intended here), wraps the pre-adder to 27 bits and the
post-adder to 48 bits as the silicon does, and works element-wise on numpy int64 arrays.
"""

from __future__ import annotations

import numpy as np

A_W, B_W, C_W, D_W, AD_W, P_W = 27, 18, 48, 27, 27, 48


def _fits(x: np.ndarray, w: int, name: str) -> None:
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    if np.any(x < lo) or np.any(x > hi):
        bad = x[(x < lo) | (x > hi)].ravel()[0]
        raise ValueError(f"DSP48E2 port {name}: {bad} does not fit {w} signed bits")


def _wrap(x: np.ndarray, w: int) -> np.ndarray:
    m = np.int64(1) << w
    x = x & (m - 1)
    return np.where(x >= (m >> 1), x - m, x)


def dsp48e2(a, b, c, d, sub: bool = False) -> np.ndarray:
    """P = ((d - a if sub else d + a) * b + c), with the DSP48E2's widths and wrap-around."""
    a, b, c, d = (np.asarray(v, dtype=np.int64) for v in (a, b, c, d))
    _fits(a, A_W, "A")
    _fits(b, B_W, "B")
    _fits(c, C_W, "C")
    _fits(d, D_W, "D")
    ad = _wrap(d - a if sub else d + a, AD_W)
    m = ad * b                                  # <= 44 bits + sign, exact in int64
    return _wrap(m + c, P_W)
