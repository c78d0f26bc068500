"""pytest entry for skipopu_axi_cdc, the AXI4 clock-domain crossing with 2:1 width conversion
(tb_axi_cdc.py).

* ``test_axi_cdc_verilator``: S_DATA_W/M_DATA_W 256/128 and 128/64 (conversion) and 256/256
  (plain crossing) x clock ratios s:m (periods) 2:1 (225/450 MHz), 1:1, 3:2, 1:3 (HBM slower)
  and a random ratio drawn from the seed; all cocotb tests but the unsupported-request one.
  ``pytest -s`` shows the THROUGHPUT lines.
* ``test_axi_cdc_icarus``: 128/64 at 2:1 with fewer operations, including the unsupported-request
  test (Icarus reports the RTL's ``$error`` and goes on; Verilator would stop); the run declares
  those two ``$error`` messages expected (``simrun.run(expect_errors=...)``: each must appear,
  any other RTL error fails the run).
* ``@pytest.mark.slow``: more seeds of the random ratio (``make test-long``).
"""

from __future__ import annotations

import random

import pytest

from tb import simrun

TOP = "skipopu_axi_cdc"
# name: (S_DATA_W, M_DATA_W)
CONFIGS = {"s256_m128": (256, 128), "s128_m64": (128, 64), "s256_m256": (256, 256)}
# name: (s_clk period, m_clk period) in ps, multiples of 4
RATIOS = {
    "2to1": (4448, 2224),       # 225 MHz core, 450 MHz HBM
    "1to1": (4448, 4448),
    "3to2": (3336, 2224),
    "1to3": (2224, 6672),       # HBM side three times slower
}


def periods(ratio: str, seed: int) -> tuple[int, int]:
    if ratio != "rand":
        return RATIOS[ratio]
    rng = random.Random(f"axi_cdc-{seed}")
    s = 4 * rng.randint(400, 1600)                       # 1.6 .. 6.4 ns
    m = 4 * max(250, round(s / 4 / rng.uniform(0.3, 3.0)))
    return s, m


def run(sim: str, cfg: str, ratio: str, seed: int = 1, ops: int | None = None,
        unsupported: bool = False, testcase=None, expect_errors=()):
    s_w, m_w = CONFIGS[cfg] if cfg in CONFIGS else cfg
    s_ps, m_ps = periods(ratio, seed)
    env = {"CDC_S_PS": s_ps, "CDC_M_PS": m_ps, "CDC_UNSUPPORTED": int(unsupported)}
    if ops is not None:
        env["CDC_OPS"] = ops
    simrun.run(TOP, simrun.rtl("skipopu_async_fifo", TOP), "axi_cdc.tb_axi_cdc", sim=sim,
               parameters={"S_DATA_W": s_w, "M_DATA_W": m_w},
               extra_env={k: str(v) for k, v in env.items()}, seed=seed, testcase=testcase,
               expect_errors=expect_errors)


# make test: every ratio on the core's 2:1 width converter, two ratios on the others
DEFAULT = {"s256_m128": list(RATIOS) + ["rand"], "s128_m64": ["2to1", "1to3"],
           "s256_m256": ["2to1", "rand"]}


@pytest.mark.parametrize("cfg,ratio", [
    (c, r) if r in DEFAULT[c] else pytest.param(c, r, marks=pytest.mark.slow)
    for c in CONFIGS for r in list(RATIOS) + ["rand"]])
def test_axi_cdc_verilator(cfg, ratio):
    run("verilator", cfg, ratio)


def test_axi_cdc_icarus():
    run("icarus", (128, 64), "2to1", ops=4, unsupported=True,
        expect_errors=(r"unsupported AR id", r"unsupported AW id"))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 8))
@pytest.mark.parametrize("cfg", CONFIGS)
def test_axi_cdc_sweep(cfg, seed):
    run("verilator", cfg, "rand", seed=seed, ops=30)
