"""pytest entry for the decoder test (tb/decode/tb_decode.py)."""

import json

import pytest

from model.isa import CoreConfig
from tb import simrun

CFGS = [CoreConfig(), CoreConfig(NUM_HBM=2, DATA_W=128, ADDR_W=33, GBUF_DEPTH=1024, MMAX=8,
                                   NPE_ROWS=64, SMAX_ROWS=64, NCOL=16)]

CASES = [(sim, n, c) for sim, n in (("verilator", 20000), ("icarus", 3000))
         for c in range(len(CFGS))]


@pytest.mark.parametrize("sim,vectors,cfg", CASES)
def test_decode(sim, vectors, cfg):
    c = CFGS[cfg]
    params = {k: getattr(c, k) for k in ("NUM_HBM", "DATA_W", "GBUF_DEPTH", "ADDR_W", "MMAX",
                                             "NPE_ROWS", "KV_PORTS", "KV_TOKENS",
                                             "KV_ENTRY_MAX", "SMAX_ROWS", "NCOL",
                                             "MM_SCALE_ROWS")}
    simrun.run("skipopu_decode", simrun.rtl("skipopu_decode"), "decode.tb_decode", sim=sim,
               parameters=params, extra_env={"SKIPOPU_CFG": json.dumps(c.all_params()),
                                             "DECODE_VECTORS": str(vectors)})
