"""pytest entry of the core's KV instructions (tb/top/tb_kv.py): the core builds of
tb/top/test_top.py, the default configuration and a small one (NUM_HBM 2, DATA_W 128,
KV_PORTS 2, KV_TOKENS 32) on Verilator, the timing-aware HBM model with pauses, a short Icarus
run; plus a model-only check of the stimulus generator."""

from __future__ import annotations

import collections

import pytest

from model.core import CoreModel, SparseMem
from model.isa import CoreConfig, Err, assemble
from tb.top.kv_programs import KvGenerator
from tb.top.test_top import CONFIGS, run_top

MODULE = "top.tb_kv"

# the cores of tb/top/test_top.py (the same builds): the default, and the narrow one (NUM_HBM 2,
# DATA_W 128, KV_PORTS 2, KV_TOKENS 32, MAX_BURST 4)
KV_CONFIGS = {"default": CONFIGS["default"], "small": CONFIGS["narrow"]}


def run_kv(sim: str, cfg: str, seed: int, env: dict):
    return run_top(sim, KV_CONFIGS[cfg], seed=seed, extra_env=env, module=MODULE)


@pytest.mark.parametrize("cfg", list(KV_CONFIGS))
def test_kv_generator_intent(cfg):
    """Model only: every generated program ends as intended on model/core, and the programs
    exercise what the core tests rely on (KVRDs, KVLDs delivering from HBM and the buffer)."""
    cfg = KV_CONFIGS[cfg]
    seen = collections.Counter()
    for seed in range(12):
        ddr, hbm = SparseMem(), SparseMem()
        mems = {p: ddr if p == 0 else hbm for p in range(cfg.NUM_HBM + 1)}
        model = CoreModel(cfg, mems)
        gen = KvGenerator(cfg, seed)
        stims = [gen.kvst_program(10), gen.kvld_program(1)]
        stims += [gen.error_program(k) for k in KvGenerator.ERROR_KINDS]
        for st in stims:
            for port, addr, data in st.init:
                mems[port].write(addr, data)
            mems[0].write(gen.layout.prog_base, assemble(st.prog))
            model.errors = st.errors
            res = model.run(st.prog_base, st.prog_len)
            assert res.err == st.expect_err, f"seed {seed} {st.name}: {res.err!r}"
            if st.expect_err == Err.NONE:
                assert res.retired == len(st.prog)
            seen.update({k: v for k, v in res.kv.items()})
            seen["kvrd"] += sum(1 for line in res.trace if "kvrd" in line)
    assert all(seen[k] > 0 for k in ("hbm_words", "buf_words", "keep_words", "rounds", "kvrd"))


@pytest.mark.parametrize("cfg", list(KV_CONFIGS))
def test_kv_verilator(cfg):
    """KVST/KVRD programs, decode steps and the four fault kinds on the RAM models."""
    run_kv("verilator", cfg, seed=1, env={"TOP_KV_PROGRAMS": "3"})


@pytest.mark.parametrize("ratio", [1.6])
def test_kv_hbm_model(ratio):
    """The same on the timing-aware HBM model (HBM clock 1.6x the core's: the KV reads cross
    the clock domains at a ratio other than the default 2) with random pauses on every
    channel."""
    run_kv("verilator", "default", seed=2, env={"TOP_HBM_MODEL": "hbm", "TOP_KV_PAUSES": "1",
                                                "TOP_KV_PROGRAMS": "2",
                                                "TOP_HBM_RATIO": str(ratio)})


def test_kv_icarus():
    """A short Icarus run: one KVST program, one decode step, the KV-read SLVERR fault."""
    run_kv("icarus", "small", seed=3, env={
        "TOP_KV_PROGRAMS": "1", "TOP_KV_BLOCKS": "6", "TOP_KV_VARIANTS": "0",
        "COCOTB_TEST_FILTER": r"test_kvst|test_kvld|test_kv_error/kind=3$"})


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 16))
@pytest.mark.parametrize("cfg", list(KV_CONFIGS))
def test_kv_sweep(cfg, seed):
    """More seeds and longer programs, with pauses on every other seed."""
    run_kv("verilator", cfg, seed=seed, env={"TOP_KV_PROGRAMS": "6", "TOP_KV_BLOCKS": "20",
                                            "TOP_KV_STEPS": "2",
                                            "TOP_KV_PAUSES": str(seed % 2)})
