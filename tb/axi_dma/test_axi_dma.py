"""pytest entry for the AXI burst engine tests, over engines, widths and burst lengths."""

import pytest

from tb import simrun

PARAMS = [  # (DATA_W, MAX_BURST, FIFO_DEPTH / MAX_OUTSTANDING)
    (64, 16, 64),
    (256, 16, 16),
    (256, 4, 8),
    (512, 64, 128),
]


def run(engine, sim, data_w, max_burst, depth, cmds):
    params = {"DATA_W": data_w, "MAX_BURST": max_burst, "ADDR_W": 34, "ID_W": 4, "LEN_W": 16}
    if engine == "rd":
        params["FIFO_DEPTH"] = depth
    else:
        params["MAX_OUTSTANDING"] = min(depth, 8)
    top = f"skipopu_axi_{engine}"
    simrun.run(top, simrun.rtl("skipopu_fifo", top), "axi_dma.tb_axi_dma", sim=sim,
               parameters=params, extra_env={"ENGINE": engine, "MAX_BURST": str(max_burst),
                                             "AXI_DMA_CMDS": str(cmds)})


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: "w{}_b{}_d{}".format(*p))
@pytest.mark.parametrize("engine", ["rd", "wr"])
def test_axi_engine_verilator(engine, params):
    run(engine, "verilator", *params, cmds=20)


@pytest.mark.parametrize("engine", ["rd", "wr"])
def test_axi_engine_icarus(engine):
    run(engine, "icarus", 64, 4, 8, cmds=4)
