"""pytest entry for the KV scheduler RTL test (tb/kv/tb_kv_sched.py)."""

import json

import pytest

from tb import simrun

PARAMS = [
    dict(MAX_TOKENS=64, NUM_PORTS=4, BUF_RD=2, BUF_WR=2, CAPACITY=1024),
    dict(MAX_TOKENS=32, NUM_PORTS=4, BUF_RD=2, BUF_WR=2, CAPACITY=5),      # overflow
    dict(MAX_TOKENS=64, NUM_PORTS=8, BUF_RD=4, BUF_WR=1, CAPACITY=16),
    dict(MAX_TOKENS=16, NUM_PORTS=2, BUF_RD=1, BUF_WR=3, CAPACITY=3),
]


@pytest.mark.parametrize("sim,steps,pi", [
    ("verilator", 40, i) if i in (1, 2) else
    pytest.param("verilator", 40, i, marks=pytest.mark.slow) for i in range(len(PARAMS))] +
                         [("icarus", 6, 0), ("icarus", 6, 1)])
def test_kv_sched(sim, steps, pi):
    p = PARAMS[pi]
    simrun.run("skipopu_kv_sched", simrun.rtl("skipopu_fifo", "skipopu_kv_sched"),
               "kv.tb_kv_sched", sim=sim, parameters=p,
               extra_env={"KV_PARAMS": json.dumps(p), "KV_STEPS": str(steps)})
