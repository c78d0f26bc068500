"""pytest entry for the attention tests through the core (tb/top/tb_att.py):
builds of skipopu_top on Verilator (the default and narrow cores of test_top.py) and Icarus (one
short case)."""

from __future__ import annotations

import json

import pytest

from model.isa import CoreConfig
from tb import simrun
from tb.top.test_top import CONFIGS as TOP_CONFIGS
from tb.top.wrapper import generate

MODULE = "top.tb_att"

# the core builds of tb/top/test_top.py (one build each, shared with the other core tests):
# the default core and the narrow one (128-bit words, MMAX 8: query chunks, 2 KV ports,
# KV_TOKENS 32, fewer feature rows)
CONFIGS = {"default": TOP_CONFIGS["default"], "narrow": TOP_CONFIGS["narrow"]}


def run_att(sim: str, cfg: CoreConfig, seed: int = 1, extra_env: dict | None = None, **kw):
    wrapper = generate(cfg.NUM_HBM)
    params = {k: v for k, v in cfg.params().items() if k != "NUM_HBM"}
    env = {"SKIPOPU_CFG": json.dumps(cfg.params())}
    env.update(extra_env or {})
    return simrun.run("skipopu_tb_top", simrun.all_rtl() + [wrapper], MODULE, sim=sim,
                      parameters=params, seed=seed, extra_env=env, **kw)


@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_att_verilator(cfg):
    """Random attention blocks, full-rate blocks, every fault kind (then a clean program) and
    the decode/prefill cycle benchmark (ATT-BENCH lines)."""
    run_att("verilator", CONFIGS[cfg], seed=1, extra_env={
        "ATT_PROGRAMS": "4", "ATT_BLOCKS": "5", "ATT_BENCH": "1"})


def test_att_icarus():
    """One short program on Icarus (the narrow core): a prefill and a decode block."""
    run_att("icarus", CONFIGS["narrow"], seed=2, extra_env={
        "ATT_PROGRAMS": "1", "ATT_BLOCKS": "2", "COCOTB_TEST_FILTER": r"test_attention$"})


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 8))
@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_att_sweep(cfg, seed):
    """Longer sweep: more seeds, programs and blocks."""
    run_att("verilator", CONFIGS[cfg], seed=seed, extra_env={
        "ATT_PROGRAMS": "6", "ATT_BLOCKS": "6"})
