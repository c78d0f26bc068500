"""pytest entry for the clock-domain-crossing blocks: skipopu_async_fifo (tb_async_fifo.py, every
clock ratio of RATIOS per configuration) and skipopu_rst_sync (tb_rst_sync.py).

The FIFO runs DATA_W x DEPTH x SYNC_STAGES configurations on Verilator (from the smallest legal
FIFO to an HBM AXI R-channel payload) and one small configuration at two ratios on Icarus.
``@pytest.mark.slow`` adds more seeds and items (``make test-long``).
"""

from __future__ import annotations

import pytest

from tb import simrun

# name: (DATA_W, DEPTH, SYNC_STAGES)
CONFIGS = {
    "w8_d4_s2": (8, 4, 2),         # smallest legal FIFO: full/empty every few items
    "w1_d8_s3": (1, 8, 3),         # 1-bit entries, 3 synchroniser flops
    "w64_d16_s2": (64, 16, 2),
    "w291_d32_s3": (291, 32, 3),   # 256-bit data + id/resp/last of an HBM AXI R beat
}
ICARUS_CONFIG = (16, 8, 2)
ICARUS_RATIOS = ["hbm_ph", "r3_7"]
TOP = "skipopu_async_fifo"


def run_fifo(sim: str, cfg: tuple, items: int, seed: int = 1, ratios=None):
    data_w, depth, sync = cfg
    simrun.run(TOP, simrun.rtl(TOP), "async_fifo.tb_async_fifo", sim=sim,
               parameters={"DATA_W": data_w, "DEPTH": depth, "SYNC_STAGES": sync},
               extra_env={"SYNC_STAGES": str(sync), "ASYNC_FIFO_ITEMS": str(items)},
               testcase=[f"test_traffic/ratio={r}" for r in ratios] if ratios else None,
               seed=seed)


# make test: the smallest FIFO and the HBM R-beat width; the other two with make test-long
@pytest.mark.parametrize("cfg", [c if c in ("w8_d4_s2", "w291_d32_s3") else
                                 pytest.param(c, marks=pytest.mark.slow) for c in CONFIGS])
def test_async_fifo_verilator(cfg):
    run_fifo("verilator", CONFIGS[cfg], 300)


def test_async_fifo_icarus():
    run_fifo("icarus", ICARUS_CONFIG, 100, ratios=ICARUS_RATIOS)


@pytest.mark.parametrize("sim,stages", [("verilator", 2), ("verilator", 4), ("icarus", 3)])
def test_rst_sync(sim, stages):
    simrun.run("skipopu_rst_sync", simrun.rtl("skipopu_rst_sync"), "async_fifo.tb_rst_sync",
               sim=sim, parameters={"STAGES": stages}, extra_env={"STAGES": str(stages)})


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 7))
@pytest.mark.parametrize("cfg", CONFIGS)
def test_async_fifo_sweep(cfg, seed):
    run_fifo("verilator", CONFIGS[cfg], 1000, seed=seed)
