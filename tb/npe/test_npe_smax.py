"""pytest entry for the online-softmax engine skipopu_npe_smax (docs/softmax.md): random score
rows, interleavings, gaps, backpressure and feature reads against model/npe.py, and the
throughput / latency figures of the docs (printed with -s, lines `smax-*`).
``@pytest.mark.slow`` adds DATA_W = 1024 (64 lanes), 2 rows, longer rows and more seeds,
and the DATA_W = 1024 throughput figures."""

import pytest

from tb import simrun

SOURCES = ("skipopu_fp_add", "skipopu_fp_mul", "skipopu_fp_narrow", "skipopu_npe_exp",
           "skipopu_npe_recip", "skipopu_npe_smax")


def run(sim, data_w, rows, seed=1, testcase=None, **env):
    extra = {"SMAX_DATA_W": str(data_w), "SMAX_ROWS": str(rows)}
    extra.update({f"SMAX_{k.upper()}": str(v) for k, v in env.items()})
    simrun.run("skipopu_npe_smax", simrun.rtl(*SOURCES), "npe.tb_npe_smax", sim=sim,
               parameters={"DATA_W": data_w, "ROWS": rows}, testcase=testcase, extra_env=extra,
               seed=seed)


# (sim, DATA_W, ROWS, logical rows of the random test, max tiles per row, throughput length)
@pytest.mark.parametrize("sim,data_w,rows,logical,tiles,tp", [
    pytest.param("verilator", 256, 64, 200, 12, 4, id="verilator-256"),
    pytest.param("verilator", 128, 32, 200, 12, 4, id="verilator-128"),
    pytest.param("verilator", 64, 4, 200, 12, 4, id="verilator-64-rows4"),
    pytest.param("icarus", 64, 8, 24, 6, 1, id="icarus-64"),
])
def test_npe_smax(sim, data_w, rows, logical, tiles, tp):
    run(sim, data_w, rows, rows_logical=logical, max_tiles=tiles, tp_scale=tp)


@pytest.mark.slow
@pytest.mark.parametrize("sim,data_w,rows,logical,tiles,seed", [
    pytest.param("verilator", 1024, 64, 300, 40, 2, id="verilator-1024-2")] + [
    pytest.param("verilator", 256, 64, 1000, 40, s, id=f"verilator-256-long-{s}")
    for s in range(2, 6)] + [
    pytest.param("verilator", 32, 2, 500, 20, s, id=f"verilator-32-rows2-{s}")
    for s in range(2, 6)] + [
    pytest.param("icarus", 128, 16, 60, 12, s, id=f"icarus-128-{s}") for s in range(2, 4)])
def test_npe_smax_long(sim, data_w, rows, logical, tiles, seed):
    run(sim, data_w, rows, seed=seed, rows_logical=logical, max_tiles=tiles,
        testcase="test_random,test_full_rate", tp_scale=1)


@pytest.mark.slow
def test_npe_smax_throughput_1024():
    """The throughput / latency figures at DATA_W = 1024 (64 lanes, the paper's 64-way NPE)."""
    run("verilator", 1024, 64, testcase="test_throughput", tp_scale=4)
