"""pytest entry for the AXI burst engine benches (tb_axi_rd.py, tb_axi_wr.py).

Both engines on both simulators over DATA_W 64/256 x MAX_BURST 4/16, plus wide and long-burst
configurations on Verilator. Icarus runs fewer commands per test. ``@pytest.mark.slow`` adds
more seeds (``make test-long``).
"""

from __future__ import annotations

import pytest

from tb import simrun

# name: (DATA_W, MAX_BURST, FIFO_DEPTH (read), MAX_OUTSTANDING (write))
CONFIGS = {
    "w64_b4": (64, 4, 8, 2),          # two bursts of credit, two bursts awaiting B
    "w64_b16": (64, 16, 64, 8),       # defaults but for the width
    "w256_b4": (256, 4, 32, 1),       # one burst at a time awaiting B
    "w256_b16": (256, 16, 16, 4),     # FIFO_DEPTH == MAX_BURST: one burst of credit
    "w512_b64": (512, 64, 128, 8),
    "w64_b256": (64, 256, 512, 2),    # arlen/awlen 255, 2 KB bursts
}
BOTH = ["w64_b4", "w64_b16", "w256_b4", "w256_b16"]
VERILATOR_ONLY = ["w512_b64", "w64_b256"]
CMDS = {"verilator": 40, "icarus": 24}


def run(engine: str, sim: str, cfg: str, seed: int = 1, cmds: int | None = None):
    data_w, max_burst, depth, outstanding = CONFIGS[cfg]
    params = {"ADDR_W": 34, "DATA_W": data_w, "ID_W": 4, "LEN_W": 16, "MAX_BURST": max_burst}
    env = {"MAX_BURST": str(max_burst), "AXI_DMA_CMDS": str(cmds or CMDS[sim])}
    if engine == "rd":
        params["FIFO_DEPTH"] = env["FIFO_DEPTH"] = depth
    else:
        params["MAX_OUTSTANDING"] = env["MAX_OUTSTANDING"] = outstanding
    env = {k: str(v) for k, v in env.items()}
    top = f"skipopu_axi_{engine}"
    simrun.run(top, simrun.rtl("skipopu_fifo", top), f"axi_dma.tb_axi_{engine}", sim=sim,
               parameters=params, extra_env=env, seed=seed)


# make test: the extreme widths and burst lengths on Verilator (all four BOTH configs run on
# Icarus); every config with make test-long
@pytest.mark.parametrize("cfg", [c if c in ("w64_b4", "w256_b16") + tuple(VERILATOR_ONLY) else
                                 pytest.param(c, marks=pytest.mark.slow)
                                 for c in BOTH + VERILATOR_ONLY])
@pytest.mark.parametrize("engine", ["rd", "wr"])
def test_axi_verilator(engine, cfg):
    run(engine, "verilator", cfg)


@pytest.mark.parametrize("cfg", BOTH)
@pytest.mark.parametrize("engine", ["rd", "wr"])
def test_axi_icarus(engine, cfg):
    run(engine, "icarus", cfg)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 12))
@pytest.mark.parametrize("cfg", BOTH + VERILATOR_ONLY)
@pytest.mark.parametrize("engine", ["rd", "wr"])
def test_axi_sweep(engine, cfg, seed):
    run(engine, "verilator", cfg, seed=seed, cmds=100)
