"""pytest entry for the decoder test (tb/decode/tb_decode.py)."""

import json

import pytest

from model.isa import CoreConfig
from tb import simrun

CFGS = [CoreConfig(), CoreConfig(NUM_HBM=2, DATA_W=128, ADDR_W=33, GBUF_DEPTH=1024, MMAX=8,
                                   NPE_ROWS=64),
        CoreConfig(ISA_REV=6), CoreConfig(NUM_HBM=2, DATA_W=128, ADDR_W=33, GBUF_DEPTH=1024,
                                          MMAX=8, NPE_ROWS=64, ISA_REV=6, SMAX_ROWS=64)]


# revision 6: the 256-bit configuration on Verilator, the 128-bit one on Icarus by default
CASES = [(sim, n, c) if (sim, c) not in (("verilator", 3), ("icarus", 2)) else
         pytest.param(sim, n, c, marks=pytest.mark.slow)
         for sim, n in (("verilator", 20000), ("icarus", 3000)) for c in range(len(CFGS))]


@pytest.mark.parametrize("sim,vectors,cfg", CASES)
def test_decode(sim, vectors, cfg):
    c = CFGS[cfg]
    params = {k: getattr(c, k) for k in ("NUM_HBM", "DATA_W", "GBUF_DEPTH", "ADDR_W", "MMAX",
                                             "NPE_ROWS", "ISA_REV", "KV_PORTS", "KV_TOKENS",
                                             "KV_ENTRY_MAX", "SMAX_ROWS")}
    simrun.run("skipopu_decode", simrun.rtl("skipopu_decode"), "decode.tb_decode", sim=sim,
               parameters=params, extra_env={"SKIPOPU_CFG": json.dumps(c.all_params()),
                                             "DECODE_VECTORS": str(vectors)})
