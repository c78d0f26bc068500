"""FP16 adder: the model against an independent oracle, and the RTL against the model."""

import numpy as np
import pytest

from model.fp16 import CORNERS, fp16_add, fp16_add_oracle
from tb import simrun


def test_model_vs_oracle():
    """All 65536 values of a against every corner and every 97th value of b."""
    a = np.arange(1 << 16, dtype=np.uint16)
    for b in list(CORNERS) + list(range(0, 1 << 16, 97)):
        got, want = fp16_add(a, np.uint16(b)), fp16_add_oracle(a, np.uint16(b))
        bad = np.flatnonzero(got != want)
        assert not len(bad), f"b={b:04x}: a={a[bad[0]]:04x} model {got[bad[0]]:04x} " \
                             f"oracle {want[bad[0]]:04x}"


@pytest.mark.parametrize("sim,vectors", [("verilator", 100000), ("icarus", 5000)])
def test_fp16_add_rtl(sim, vectors):
    simrun.run("skipopu_fp16_add", simrun.rtl("skipopu_fp_add", "skipopu_fp16_add"), "fp16_add.tb_fp16_add",
               sim=sim, extra_env={"FP16_VECTORS": str(vectors)})
