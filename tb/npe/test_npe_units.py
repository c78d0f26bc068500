"""pytest entry for the NPE unit RTL tests, and the generated-table consistency check."""

import subprocess
import sys

import pytest

from tb import simrun


def test_tables_in_sync():
    """The RTL constants/tables are the ones model/npe_units.py uses."""
    r = subprocess.run([sys.executable, str(simrun.ROOT / "tools" / "gen_npe_tables.py"),
                        "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("unit", ["exp", "recip", "rsqrt"])
@pytest.mark.parametrize("sim,step,rand,stall", [("verilator", 1, 20000, 0),
                                                ("verilator", 64, 2000, 0.4),
                                                ("icarus", 64, 2000, 0.2)])
def test_npe_unit_rtl(unit, sim, step, rand, stall):
    """Full set with the clock enable always on; a subset with random clock-enable stalls."""
    top = f"skipopu_npe_{unit}"
    simrun.run(top, simrun.rtl("skipopu_fp_add", "skipopu_fp_mul", top), "npe.tb_npe_unit",
               sim=sim, run_name=f"{unit}-{step}-{stall}",
               extra_env={"NPE_UNIT": unit, "NPE_FP16_STEP": str(step),
                          "NPE_RANDOM": str(rand), "NPE_STALL": str(stall)})
