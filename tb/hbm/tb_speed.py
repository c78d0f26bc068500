"""Speed probe of the testbench memory models on the whole core (``skipopu_tb_top``).

Run by ``tb/hbm/speed.py``, which builds the core like ``tb/top/test_top.py`` (same build
directory) and sets the memory models through the environment that ``tb/top/tb_top.py`` reads:
``TOP_RAM_MODEL`` (``fast``: axi_models.FastAxiRam, ``axiram``: cocotbext-axi's AxiRam),
``TOP_HBM_MODEL`` (``ram`` / ``hbm``), ``TOP_HBM_SLEEP`` (0: HBM ports stepped on every edge).

Each test measures core clock cycles per second of wall time and of process CPU time (the
simulator and Python run in one process, so CPU time is the less load-dependent figure), without
the time spent in the reference model and the memory comparison, and appends one JSON line to
``$SPEED_OUT``:

* ``speed_idle``: the core idle after reset (Verilator plus whatever the models do per cycle;
  the probe itself waits with one Timer);
* ``speed_idle_pauses``: the same with the random idle/backpressure generators of the core tests;
* ``speed_mlp``: the prefill program of the tiny model (model/generate.py, 8 tokens; compile
  time not counted), checked against the model as in the tests;
* ``speed_random_pauses``: random programs (as ``test_random_programs``) with all pauses on.
"""

from __future__ import annotations

import json
import os
import time

import cocotb
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, Timer

from top.programs import ProgramGenerator, Stimulus
from top.tb_top import CLK_NS, TB, _seed, config_from_env
from testparams import env_int


class _Meter:
    """Core cycles (from the simulation time), wall and CPU time of a stretch of simulation,
    without the time ``tb`` spends in the reference model and the memory comparison."""

    def __init__(self, tb: TB | None = None):
        self.skip_w = self.skip_c = 0.0
        if tb is not None:
            tb.model.run = self._excluded(tb.model.run)
            tb.compare_memory = self._excluded(tb.compare_memory)
        self.t, self.w, self.c = get_sim_time("ns"), time.perf_counter(), time.process_time()

    def _excluded(self, fn):
        def wrapped(*args, **kwargs):
            w, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.skip_w += time.perf_counter() - w
                self.skip_c += time.process_time() - c
        return wrapped

    def done(self, name: str) -> None:
        _record(name, round((get_sim_time("ns") - self.t) / CLK_NS),
                time.perf_counter() - self.w - self.skip_w,
                time.process_time() - self.c - self.skip_c,
                model_s=round(self.skip_c, 2))


def _record(name: str, cycles: int, wall: float, cpu: float, **extra) -> None:
    row = {"test": name, "variant": os.environ.get("SPEED_VARIANT", "?"), "cycles": cycles,
           "wall": wall, "cpu": cpu,
           "cps_wall": cycles / wall, "cps_cpu": cycles / cpu,
           "ram": os.environ.get("TOP_RAM_MODEL", "fast"),
           "hbm": os.environ.get("TOP_HBM_MODEL", "ram"),
           "hbm_sleep": os.environ.get("TOP_HBM_SLEEP", "1"), **extra}
    cocotb.log.info("SPEED %s: %d core cycles in %.2f s wall (%.0f cycles/s), %.2f s CPU "
                    "(%.0f cycles/s)", name, cycles, wall, row["cps_wall"], cpu, row["cps_cpu"])
    out = os.environ.get("SPEED_OUT")
    if out:
        with open(out, "a") as fh:
            fh.write(json.dumps(row) + "\n")


async def _idle(dut, pauses: bool, name: str) -> None:
    cfg = config_from_env()
    tb = TB(dut, cfg)
    if pauses:
        tb.set_idle_generator(_seed())
        tb.set_backpressure_generator(_seed())
    await tb.reset()
    await ClockCycles(dut.clk_i, 200)
    m = _Meter()
    # one Timer, not ClockCycles (which wakes Python on every edge itself)
    await Timer(int(os.environ.get("SPEED_IDLE_CYCLES", "20000")) * CLK_NS, "ns")
    m.done(name)


# cocotb timeout per probe (simulated us): SPEED_IDLE_CYCLES idle cycles or the prefill
# program and three random programs (tens of thousands of 4 ns cycles)
TIMEOUT_US = max(20000, env_int("SPEED_IDLE_CYCLES", 20000) * 4 // 100)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def speed_idle(dut):
    """Idle core: the cost of the models while nothing moves."""
    await _idle(dut, False, "idle")


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def speed_idle_pauses(dut):
    """Idle core with the pause generators of the core tests on every channel."""
    await _idle(dut, True, "idle+pauses")


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def speed_mlp(dut):
    """The prefill program of the tiny model (model/generate.py; 4 layers, 8 tokens) through the
    core."""
    from model.generate import PROG_BASE, compile_images, prefill_program
    from model.llama import LlamaConfig, make_model, prompt_tokens
    cfg = config_from_env()
    tb = TB(dut, cfg)
    await tb.reset()
    lcfg = LlamaConfig.tiny(seed=3, layers=4)
    img = compile_images(make_model(lcfg), cfg)
    p = prefill_program(img, prompt_tokens(lcfg, min(8, cfg.MMAX // 2), 3))
    init = [(port, a, d) for port, lst in img.images.items() for a, d in lst]
    stim = Stimulus(prog=p.insns, prog_base=PROG_BASE, prog_len=len(p.insns),
                    init=init + [(0, a, d) for a, d in p.data], name="prefill")
    m = _Meter(tb)
    await tb.run(stim)
    m.done("mlp")


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def speed_random_pauses(dut):
    """Random programs with every pause generator on (the core tests' heaviest setting)."""
    cfg = config_from_env()
    tb = TB(dut, cfg)
    seed = _seed()
    tb.set_idle_generator(seed)
    tb.set_backpressure_generator(seed)
    await tb.reset()
    gen = ProgramGenerator(cfg, seed)
    stims = [gen.random_program(40, name=f"random[{i}]") for i in range(3)]
    m = _Meter(tb)
    for stim in stims:
        await tb.run(stim)
    m.done("random+pauses")
