"""pytest entry for the HBM port model (tb/hbm_model.py).

* ``test_hbm_verilator``: the cocotb tests of tb/hbm/tb_hbm.py (calibration table, latencies,
  random traffic with pauses, SLVERR windows, idle-sleeping ports against per-edge ones, the
  lean ``axi_models.FastAxiRam`` against cocotbext-axi's AxiRam) on two ports built from the RTL
  burst engines.
  The calibration table is printed by the simulator (``pytest -s``) and written to
  ``<run dir>/calibration.txt``.
* ``test_hbm_icarus``: the same cocotb tests on Icarus (about 10 s).
* Pure-Python checks of the timing conversion, the address map and the channel scheduler.

Regenerate the table of docs/hbm-model.md:
``source scripts/env.sh && pytest -s tb/hbm/test_hbm_model.py -k verilator``
"""

from __future__ import annotations

import pytest

from tb import simrun
from tb.hbm.wrapper import PARAMS, generate
from tb.hbm_model import AddressMap, HbmChannel, HbmConfig, HbmTiming

# Acceptance bounds (docs/hbm-model.md "Calibration"): one long sequential read within [lo, hi]
# of peak, random 32-byte reads below rand_max. The upper bound is 93 %, not the 92 % first
# asked for: refresh alone caps a saturated pseudo-channel at 1 - 133/1755 = 92.4 % with the
# DRAMsim3 numbers, and the U280 measurement in the Shuhai paper (425 of 460.8 GB/s) is 92.2 %.
BOUNDS = "0.85,0.93,0.40"


def run(sim: str, nports: int = 2, scale: float = 1.0, testcase: str | None = None,
        seed: int = 1, **params):
    p = dict(PARAMS, **params)
    wrapper = generate(nports)
    srcs = simrun.rtl("skipopu_fifo", "skipopu_axi_rd", "skipopu_axi_wr") + [wrapper]
    env = {"NPORTS": str(nports), "HBM_SCALE": str(scale), "HBM_BOUNDS": BOUNDS,
           "MAX_BURST": str(p["MAX_BURST"]), "FIFO_DEPTH": str(p["FIFO_DEPTH"]),
           "MAX_OUTSTANDING": str(p["MAX_OUTSTANDING"]), "HBM_TABLE": "calibration.txt"}
    return simrun.run("skipopu_hbm_cal", srcs, "hbm.tb_hbm", sim=sim, parameters=p,
                      testcase=testcase, extra_env=env, seed=seed)


def test_hbm_verilator():
    run("verilator")


def test_hbm_icarus():
    run("icarus")


# -- model-only checks (no simulator) -------------------------------------------------------

def test_cycles_450mhz():
    """DRAMsim3 HBM2 ns -> 450 MHz cycles: about 7 cycles for CL/tRCD/tRP and a refresh
    overhead tRFC/tREFI near 6.7 % (reference-facts.md)."""
    t = HbmConfig().cycles()
    assert (t.CL, t.RCD, t.RP) == (7, 7, 7)
    assert t.beat == pytest.approx(1.0, abs=1e-3)   # 32 B / 14.4 GB/s = one 450 MHz cycle
    assert 0.06 < t.RFC / t.REFI < 0.07


def test_cycles_other_clock():
    """The same device timing at 225 MHz: fewer cycles, half a cycle of bus per beat."""
    t = HbmTiming().cycles(1000 / 225)
    assert (t.CL, t.RCD, t.RP) == (4, 4, 4)
    assert t.beat == pytest.approx(0.5, abs=1e-3)


def test_address_map():
    m = AddressMap()
    assert m.chunk_beats == 32 and m.page_bytes == 1024 and m.bits == 28
    # consecutive pages: bank groups first, then banks, then rows
    assert [m.decode(k * 1024) for k in (0, 1, 4, 16)] == \
        [(0, 0, 0), (4, 1, 0), (1, 0, 0), (0, 0, 1)]
    f = AddressMap("row:14 col:3 ba:2 bg:2 col:2")       # bank groups every 4 beats
    assert f.chunk_beats == 4 and f.decode(128) == (4, 1, 0) and f.decode(4 * 4 * 128) == \
        (0, 0, 0)
    with pytest.raises(ValueError):
        AddressMap("row:14 rank:1")


def test_channel_rules():
    """Hit / closed / conflict latencies and FCFS data-bus order of the scheduler."""
    cfg = HbmConfig(refresh=False)
    t = cfg.cycles()
    ch = HbmChannel(cfg, 0)
    s, _ = ch.access(0, 0, 0, 5, 1, False)
    assert s == t.RCD + t.CL                     # closed bank
    s2, _ = ch.access(100, 0, 0, 5, 1, False)
    assert s2 == 100 + t.CL                      # hit
    s3, _ = ch.access(200, 0, 0, 6, 1, False)
    assert s3 == 200 + t.RP + t.RCD + t.CL       # conflict
    a, _ = ch.access(300, 1, 0, 0, 16, False)
    b, _ = ch.access(300, 2, 0, 0, 16, False)
    assert b == a + 16                           # data bus in arrival order
    w, _ = ch.access(300, 2, 0, 0, 4, True)
    assert w >= b + 16 + t.RTW                   # read -> write turnaround
    r, _ = ch.access(300, 2, 0, 0, 4, False)
    assert r >= w + 4 + t.WTR_L + t.CL           # write -> read turnaround (same bank group)


def test_channel_refresh():
    """A saturated channel streaming pages loses about (tRTP + tRP + tRFC + tRCD) per tREFI."""
    cfg = HbmConfig()
    t = cfg.cycles()
    ch = HbmChannel(cfg, 0)
    m = AddressMap()
    end = 0.0
    n = 64 * 1024
    for k in range(n // 32):
        bank, bg, row = m.decode(k * 1024)
        s, sp = ch.access(max(0.0, end - 64), bank, bg, row, 32, False)
        end = s + 32 * sp
    eff = n / end
    bound = 1 - (t.RTP + t.RP + t.RFC + t.RCD) / t.REFI
    assert ch.stats.refreshes >= n // t.REFI - 1
    assert bound - 0.01 < eff <= bound + 0.005, (eff, bound)
