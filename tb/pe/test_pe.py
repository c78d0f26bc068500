"""pytest entry for the PE RTL test (tb/pe/tb_pe.py)."""

import pytest

from tb import simrun


@pytest.mark.parametrize("sim,vectors", [("verilator", 60000), ("icarus", 3000)])
def test_pe_rtl(sim, vectors):
    simrun.run("skipopu_pe", simrun.rtl("skipopu_dsp48e2", "skipopu_pe"), "pe.tb_pe", sim=sim,
               extra_env={"PE_VECTORS": str(vectors)})


@pytest.mark.parametrize("sim,kdim,tiles", [("verilator", 64, 3000), ("verilator", 16, 3000),
                                            ("icarus", 16, 300)])
def test_bfp_tree_rtl(sim, kdim, tiles):
    simrun.run("skipopu_bfp_tree", simrun.rtl("skipopu_bfp_tree"), "pe.tb_bfp_tree", sim=sim,
               parameters={"KDIM": kdim}, extra_env={"TREE_TILES": str(tiles)})


@pytest.mark.parametrize("sim,kdim,ncol,tiles", [("verilator", 16, 16, 12),
                                                 ("verilator", 64, 8, 6),
                                                 ("icarus", 8, 4, 4)])
def test_pe_array_rtl(sim, kdim, ncol, tiles):
    simrun.run("skipopu_pe_array",
               simrun.rtl("skipopu_dsp48e2", "skipopu_pe", "skipopu_bfp_tree", "skipopu_pe_array"),
               "pe.tb_pe_array", sim=sim, parameters={"KDIM": kdim, "NCOL": ncol},
               extra_env={"ARRAY_TILES": str(tiles)})
