"""pytest entry for the KV read unit tests (tb/kv/tb_kv_unit.py) and the KV-read bandwidth
microbenchmark.

Regenerate the bandwidth table of docs/kv.md:
``source scripts/env.sh && KV_BENCH_OUT=sim_build/kv_bench.md pytest -s -m slow tb/kv/test_kv_unit.py -k bench``
(or ``make kv-bench``).
"""

from __future__ import annotations

import json
import os

import pytest

from tb import simrun
from tb.kv.wrapper import PARAMS, generate

RTL = ("skipopu_fifo", "skipopu_async_fifo", "skipopu_axi_cdc", "skipopu_kv_sched",
       "skipopu_kv_buf", "skipopu_kv_rd", "skipopu_kv_unit")

CONFIGS = {
    # 4 ports, small buffer (overflow, free-list reuse), bursts split (8-word entries, 4-beat)
    "p4": dict(NUM_PORTS=4, BUF_RD=2, BUF_WR=2, CAPACITY=8, MAX_TOKENS=32, DATA_W=128,
               ENTRY_WORDS=8, MAX_BURST=4, LANE_DEPTH=16, ROUND_DEPTH=4),
    # 2 ports, 1 read / 3 write ports, longer entries
    "p2": dict(NUM_PORTS=2, BUF_RD=1, BUF_WR=3, CAPACITY=16, MAX_TOKENS=16, DATA_W=128,
               ENTRY_WORDS=16, MAX_BURST=16, LANE_DEPTH=32, ROUND_DEPTH=8),
    # the paper's port/buffer shape at U280 widths: 512-bit core words, 256-bit HBM ports
    "u280": dict(NUM_PORTS=4, BUF_RD=2, BUF_WR=2, CAPACITY=64, MAX_TOKENS=64, DATA_W=512,
                 ENTRY_WORDS=32, MAX_BURST=32, LANE_DEPTH=64, ROUND_DEPTH=16),
    # skipopu_top's defaults (KV_PORTS, KV_TOKENS, KV_ENTRY_MAX = 16, KV_BUF_*, DATA_W 256,
    # MAX_BURST 16): one build for both model presets, tiny E = 4 and default E = 16 words
    "core": dict(NUM_PORTS=4, BUF_RD=2, BUF_WR=2, CAPACITY=64, MAX_TOKENS=64, DATA_W=256,
                 ENTRY_WORDS=16, MAX_BURST=16, LANE_DEPTH=64, ROUND_DEPTH=16),
    # as p4 with ENTRY_WORDS 32: run-time E below ENTRY_WORDS that still splits into bursts
    # (E = 8, 16), interleaved E = 8 .. 32 (EP = 2 .. 8)
    "p4e": dict(NUM_PORTS=4, BUF_RD=2, BUF_WR=2, CAPACITY=8, MAX_TOKENS=32, DATA_W=128,
                ENTRY_WORDS=32, MAX_BURST=4, LANE_DEPTH=16, ROUND_DEPTH=4),
    # the microbenchmark: as u280 with 256 preceding tokens and room for all of them
    "bench": dict(NUM_PORTS=4, BUF_RD=2, BUF_WR=2, CAPACITY=256, MAX_TOKENS=256, DATA_W=512,
                  ENTRY_WORDS=32, MAX_BURST=32, LANE_DEPTH=64, ROUND_DEPTH=16),
}

# The microbenchmark (docs/kv.md "Bandwidth through the RTL"): 4 HBM ports at 450 MHz x 256 bit
# behind the chunk FIFOs, core at 225 MHz x 512 bit, 2 KB KV entries (K and V of 4 KV heads x 128
# dims in FP16: one token, one layer), 32 layers x 256 preceding tokens, 25 % of
# the (layer >= 1, token) pairs skip attention, the current token skips attention at 12.5 % of
# the layers.
BENCH = dict(layers=32, tokens=256, skip=0.25, attn_skip=0.125, seed=2024)


def _ids(v):
    """Test ids: the entry-size list as E values (``E4+16``, ``Eall``)."""
    if isinstance(v, tuple):
        return "E" + ("+".join(str(1 << x) for x in v) or "all")
    return None


def run(sim: str, cfg: str, cdc: bool, testcase: str, steps: int = 8, seed: int = 1,
        core_ps: int = 4444, hbm_ps: int = 2222, bench: dict | None = None,
        log2e: tuple = ()):
    """``log2e``: the run-time entry sizes (log2 E) the steps may use; () = every allowed one."""
    p = dict(PARAMS, **CONFIGS[cfg])
    wrapper = generate(p["NUM_PORTS"], cdc)
    env = {"KV_PARAMS": json.dumps(dict(p, CDC=int(cdc), CORE_PS=core_ps, HBM_PS=hbm_ps)),
           "KV_STEPS": str(steps)}
    if log2e:
        env["KV_LOG2E"] = ",".join(str(x) for x in log2e)
    if bench:
        env["KV_BENCH"] = json.dumps(bench)
        if os.environ.get("KV_BENCH_OUT"):
            # the simulator runs in its build directory: pass an absolute path
            os.environ["KV_BENCH_OUT"] = env["KV_BENCH_OUT"] = \
                os.path.abspath(os.environ["KV_BENCH_OUT"])
    return simrun.run("skipopu_kv_bench", simrun.rtl(*RTL) + [wrapper], "kv.tb_kv_unit",
                      sim=sim, parameters=p, testcase=testcase, extra_env=env, seed=seed)


# Every step picks its run-time entry size E (cfg_log2e_i); the first 8 steps cover
# E < ENTRY_WORDS and E = ENTRY_WORDS x token-wise/interleaved x buffer on/off (tb_kv_unit.py
# step_plan), the test fails if a combination the parameters allow was not run.
@pytest.mark.parametrize("cfg,cdc,core_ps,hbm_ps,log2e,steps", [
    ("p4e", True, 4444, 2222, (), 16), ("p2", True, 3000, 4100, (), 16),
    ("core", True, 4444, 2222, (2, 4), 16),
    pytest.param("p4", False, 4444, 4444, (), 16, marks=pytest.mark.slow),
    pytest.param("p4", True, 4444, 2222, (), 16, marks=pytest.mark.slow),
    pytest.param("p4e", False, 4444, 4444, (), 64, marks=pytest.mark.slow),
    pytest.param("core", True, 4444, 2222, (), 64, marks=pytest.mark.slow),
    pytest.param("u280", True, 4444, 2222, (), 16, marks=pytest.mark.slow)], ids=_ids)
def test_kv_unit(cfg, cdc, core_ps, hbm_ps, log2e, steps):
    run("verilator", cfg, cdc, "test_kv_unit", steps=steps, core_ps=core_ps, hbm_ps=hbm_ps,
        log2e=log2e)


@pytest.mark.parametrize("cfg,cdc,log2e", [
    pytest.param("p4", False, (), marks=pytest.mark.slow),
    ("p4e", True, (1,)), ("p4e", True, (3,)), ("p4e", True, (5,))], ids=_ids)
def test_kv_errors(cfg, cdc, log2e):
    run("verilator", cfg, cdc, "test_kv_errors", log2e=log2e)


# Icarus: 3 steps each, E < ENTRY_WORDS token-wise with the buffer, then E = ENTRY_WORDS
# (p4: no interleaved E < ENTRY_WORDS at DATA_W 128); core: tiny preset token-wise and
# interleaved, then the default preset
@pytest.mark.parametrize("cfg,log2e", [("p4", ()), ("core", (2, 4))], ids=_ids)
def test_kv_unit_icarus(cfg, log2e):
    run("icarus", cfg, True, "test_kv_unit", steps=3, log2e=log2e)


@pytest.mark.slow
def test_kv_bench():
    run("verilator", "bench", True, "test_kv_bench", bench=BENCH)
