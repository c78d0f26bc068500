"""pytest entry for the AXI4 read arbiter tests (tb/axi_rd_arb/tb_axi_rd_arb.py) and its parameter
checks. The grant shares under saturation: ``pytest -s tb/axi_rd_arb -k saturate | grep SHARES``.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tb import simrun

BASE = {"NMAST": 3, "ADDR_W": 34, "DATA_W": 64, "S_ID_W": 2, "M_ID_W": 4, "ARB_RR": 0,
        "MAX_WAIT": 4}
CONFIGS = {
    # the core's HBM port: KV unit (0), DMA (1), weight stream (2); fixed priority
    "n3": {},
    "n3rr": dict(ARB_RR=1),
    # two masters, one ID bit each, MAX_WAIT 1 (alternate under saturation)
    "n2": dict(NMAST=2, S_ID_W=1, M_ID_W=2, MAX_WAIT=1, DATA_W=256),
    # not a power of 2, an unused high ID bit on the port, long wait limit
    "n5": dict(NMAST=5, S_ID_W=1, M_ID_W=5, MAX_WAIT=8),
    "n5rr": dict(NMAST=5, S_ID_W=1, M_ID_W=4, ARB_RR=1),
    # a single master: a register stage
    "n1": dict(NMAST=1, S_ID_W=2, M_ID_W=2),
}
TESTS = ("test_random", "test_saturate")


def run(sim: str, cfg: str, testcase: str, seed: int = 1, bursts: int = 40):
    p = dict(BASE, **CONFIGS[cfg])
    simrun.run("skipopu_axi_rd_arb", simrun.rtl("skipopu_axi_rd_arb"), "axi_rd_arb.tb_axi_rd_arb",
               sim=sim, parameters=p, testcase=testcase, seed=seed,
               extra_env={"ARB_PARAMS": json.dumps(p), "ARB_BURSTS": str(bursts)})


# the default regression: the core's arrangement and the general case (5 masters, round robin);
# the other configurations run in the sweep (make test-long)
QUICK = ("n3", "n5rr")


@pytest.mark.parametrize("testcase", TESTS)
@pytest.mark.parametrize("cfg", [c if c in QUICK else pytest.param(c, marks=pytest.mark.slow)
                                 for c in CONFIGS])
def test_axi_rd_arb(cfg, testcase):
    run("verilator", cfg, testcase)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 8))
@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_axi_rd_arb_sweep(cfg, seed):
    run("verilator", cfg, "test_random", seed=seed, bursts=120)


@pytest.mark.parametrize("testcase", TESTS)
def test_axi_rd_arb_icarus(testcase):
    run("icarus", "n3", testcase, bursts=12)


# (parameters, words of the message, Icarus too: zero-width ports stop Icarus 11 before the
# check can run)
BAD = [(dict(S_ID_W=3), "S_ID_W", True), (dict(NMAST=5), "S_ID_W", True),
       (dict(S_ID_W=0), "S_ID_W", False), (dict(ARB_RR=2), "ARB_RR", True),
       (dict(MAX_WAIT=0), "MAX_WAIT", True), (dict(NMAST=0), "NMAST", False)]


@pytest.mark.parametrize("sim", ["verilator", "icarus"])
def test_axi_rd_arb_bad_params(sim):
    from tb.wstream.test_wstream import _elab
    files = simrun.rtl("skipopu_axi_rd_arb")
    for over, words, icarus in BAD:
        if sim == "icarus" and not icarus:
            continue
        text = _elab(sim, "skipopu_axi_rd_arb", files, over)
        assert words in text, f"{over}: message without {words!r}:\n{text}"
