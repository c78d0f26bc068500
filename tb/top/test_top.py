"""pytest entry for the core testbench (tb/top/tb_top.py) on both simulators."""

from __future__ import annotations

import json

import pytest

from model.isa import CoreConfig
from tb import simrun
from tb.top.programs import ProgramGenerator
from tb.top.wrapper import generate

MODULE = "top.tb_top"


def run_top(sim: str, cfg: CoreConfig, testcase: str | None = None, seed: int = 1,
            programs: int = 3, insns: int = 40, extra_env: dict | None = None,
            module: str = MODULE, **kw):
    wrapper = generate(cfg.NUM_HBM)
    params = {k: v for k, v in cfg.params().items() if k != "NUM_HBM"}
    env = {"SKIPOPU_CFG": json.dumps(cfg.params()), "TOP_PROGRAMS": str(programs),
           "TOP_INSNS": str(insns)}
    env.update(extra_env or {})
    return simrun.run("skipopu_tb_top", simrun.all_rtl() + [wrapper], module, sim=sim,
                      parameters=params, testcase=testcase, seed=seed, extra_env=env, **kw)


# the core builds of the regression (tb/top, tb/e2e): the default (4 HBM ports, a 16 x 32 PE
# array); a narrow one (two HBM ports, 128-bit words, an 8 x 16 array, short bursts, small PSUM,
# KV staging buffer and softmax features), which is also the Icarus build; a wide one (one HBM
# port, 512-bit words, a 32 x 32 array, HBM ports on the core clock); p8 (eight HBM ports, a
# 16 x 64 array: the issue-15 scaling core). NCOL/4 words per chunk, a multiple of NUM_HBM.
CONFIGS = {
    "default": CoreConfig(),
    "narrow": CoreConfig(NUM_HBM=2, DATA_W=128, GBUF_DEPTH=1024, MAX_BURST=4, RD_FIFO_DEPTH=8,
                         WR_OUTSTANDING=2, MMAX=8, KV_TOKENS=32, SMAX_ROWS=64, NCOL=16),
    "wide": CoreConfig(NUM_HBM=1, DATA_W=512, GBUF_DEPTH=512, MAX_BURST=64, RD_FIFO_DEPTH=128,
                       MMAX=16, HBM_ASYNC=0, NCOL=32),
    "p8": CoreConfig(NUM_HBM=8, NCOL=64),
}


# (configuration, seed, HBM/core clock ratio): the paper's 2x clock on seed 1; seed 2 crosses
# the clock domains at another ratio (slower or much faster HBM); "wide" has no HBM clock domain
TOP_CASES = [("default", 1, 2.0), ("default", 2, 0.75), ("narrow", 1, 2.0), ("narrow", 2, 2.9),
             ("wide", 1, 1.0), ("wide", 2, 1.0)]


@pytest.mark.parametrize("cfg,seed,ratio", [
    pytest.param(c, s, r, id=f"{c}-{s}-hbm{r}x", marks=[pytest.mark.slow] if (c, s) == ("wide", 2)
                 else []) for c, s, r in TOP_CASES])
def test_top_verilator(cfg, seed, ratio):
    """Every test of tb_top.py: CSRs, random programs under every pause setting, MATMULs, the
    faults, three NPE/vector programs of 8 blocks of every kind (ROPE with words/stride/dyn,
    ARGMAX, the fused MATMUL normalisation, ROUTE/compact RMSNORM/dyn SWIGLU/VSCAT blocks),
    the NPE faults, and run_main (the skeleton job) with a shorter NPE benchmark than its
    20480 elements."""
    run_top("verilator", CONFIGS[cfg], seed=seed, extra_env={
        "TOP_NPE_ELEMENTS": "2048", "TOP_NPES": "3", "TOP_NPE_BLOCKS": "8",
        "TOP_HBM_RATIO": str(ratio)})


@pytest.mark.parametrize("seed,ratio", [(5, 1.37)])
def test_top_hbm_model(seed, ratio):
    """Random programs and MATMULs with the timing-aware HBM model on the HBM ports, behind the
    chunk FIFOs at an HBM/core clock ratio other than 2, with pauses on every channel."""
    run_top("verilator", CONFIGS["default"], seed=seed, programs=3, insns=40, extra_env={
        "TOP_HBM_MODEL": "hbm", "TOP_HBM_RATIO": str(ratio), "TOP_MATMULS": "2",
        "TOP_BENCH": "none",
        "COCOTB_TEST_FILTER": r"test_random_programs|test_matmul$|kind="})


@pytest.mark.parametrize("model", ["ram", "hbm"])
def test_top_mm_bench(model):
    """MATMUL weight streaming: MM_CYCLES per tile at M = 1 and 16, INT4 and FP16, on the RAM
    or the timing-aware HBM model (tb_top.py test_mm_bench), bounded as in docs/pe-array.md."""
    run_top("verilator", CONFIGS["default"], seed=1, extra_env={
        "COCOTB_TEST_FILTER": "test_mm_bench", "TOP_MM_BENCH": "1", "TOP_HBM_MODEL": model,
        "TOP_HBM_JITTER": "0"})         # the default 2x HBM clock, DRAM timing only


def test_top_icarus():
    """The Icarus subset on the narrow core: CSRs, one random program per pause setting, a
    MATMUL program, an NPE program (ROPE with words/stride/dyn, ARGMAX, the fused MATMUL
    normalisation and an MLP-shaped ROUTE/compact RMSNORM/dyn SWIGLU/VSCAT block included),
    four fault kinds and the demo program of the skeleton job (its benchmarks, MATMUL and
    random programs run on Verilator: test_top_mm_bench, the skeleton job of
    test_top_verilator's configurations; here test_matmul and test_random_programs run them)."""
    kinds = "|".join(str(ProgramGenerator.ERROR_KINDS.index(k))
                     for k in ("illegal_op", "fetch_axi", "dma_rd_axi", "mm_axi"))
    run_top("icarus", CONFIGS["narrow"], programs=1, insns=12, seed=3, extra_env={
        "TOP_MATMULS": "1", "TOP_NPES": "1", "TOP_NPE_BLOCKS": "6", "TOP_BENCH": "none",
        "TOP_MAIN_EXTRA": "0",
        "TOP_NPE_KINDS": "rmsnorm,rope6,argmax,mmnorm,mlp",
        "COCOTB_TEST_FILTER":
            rf"test_csr|test_random_programs|test_matmul|test_npe$|kind=({kinds})$|run_main"})


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 30))
@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_top_sweep(cfg, seed):
    """Long sweep (make test-long): many seeds, longer programs."""
    run_top("verilator", CONFIGS[cfg], seed=seed, programs=6, insns=80)
