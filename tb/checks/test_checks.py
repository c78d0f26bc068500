"""pytest entry of the testbench checks themselves (tb-only modules, not the design):

* ``test_axi_monitor``: tb/axi_monitor.py on tb_axi_passthru (tb_axi_monitor.py): a legal
  exchange passes, each protocol rule fires on an injected violation, a violation fails the
  test, AXI4-Lite mode; on both simulators.
* ``test_rtl_error_fails``: an immediate assertion failing in tb_assert_fail (with and without an
  ``$error`` message) fails the run on both simulators (tb/simrun.py scans the simulator output:
  Icarus prints and goes on, Verilator stops); the same run without the failure passes, and
  passes with the failure declared expected (``expect_errors``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tb import simrun

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("sim", simrun.SIMULATORS)
def test_axi_monitor(sim):
    simrun.run("tb_axi_passthru", [HERE / "axi_passthru.sv"], "checks.tb_axi_monitor", sim=sim,
               seed=1)


@pytest.mark.parametrize("sim", simrun.SIMULATORS)
def test_rtl_error_fails(sim):
    def run(fire: int, msg: int, **kw):
        return simrun.run("tb_assert_fail", [HERE / "assert_fail.sv"], "checks.tb_assert_fail",
                          sim=sim, seed=1, extra_env={"FIRE": str(fire), "MSG": str(msg)},
                          run_name=f"assert-{fire}{msg}", **kw)

    run(0, 1)                                   # no failure: passes
    for msg in (1, 0):
        with pytest.raises(AssertionError, match="RTL assertion failure.*assert_fail.sv:2") as e:
            run(1, msg)
        assert "replay:" in str(e.value) and "test_rtl_error_fails" in str(e.value)
    run(1, 1, expect_errors=(r"injected assertion failure",))
    with pytest.raises(AssertionError, match="expected RTL errors not reported"):
        run(0, 1, expect_errors=(r"injected assertion failure",))
