"""cocotb tests of the KV instructions through the whole core (skipopu_kvx in
skipopu_top): KVST, KVLD, KVRD programs from tb/top/kv_programs.py, checked by tb/top/tb_top.py's
TB.run against model/core (CoreConfig): every memory window (the KV regions of
the HBM ports, the DDR stores of the whole buffer span and of every KVRD), error code and pc,
retired instructions, bytes per port; here also the KV counters (KV_HBM_WORDS, KV_BUF_WORDS,
KV_KEEP_WORDS, KV_ROUNDS exactly, KV_CYCLES and KVST_CYCLES against the instructions the model
executed).

Environment (tb/top/test_kv_programs.py): SKIPOPU_CFG, TOP_HBM_MODEL (ram|hbm), TOP_KV_PAUSES
(1: random pauses on every channel), TOP_KV_PROGRAMS (programs per test), TOP_KV_BLOCKS (KVST
program length), TOP_KV_STEPS (decode steps per KVLD program), TOP_KV_VARIANTS (decode-step
variants to run, e.g. "0").
"""

from __future__ import annotations

import os

import cocotb

from model.isa import Csr, Err, Op
from testparams import budget, env_int, seed_of
from top.kv_programs import KvGenerator
from top.tb_top import TB, config_from_env


def _env(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


# cocotb timeout per test (simulated us): TOP_KV_PROGRAMS programs (at least one per decode
# variant) of TOP_KV_BLOCKS KVSTs or TOP_KV_STEPS decode steps, each well within 300k cycles of
# the 4 ns core clock; a fault program and a clean one
TIMEOUT_US = budget(max(env_int("TOP_KV_PROGRAMS", 3), 4) * 300_000 *
                    max(1, env_int("TOP_KV_BLOCKS", 10) // 10) * env_int("TOP_KV_STEPS", 1))


async def _setup(dut, *salt):
    cfg = config_from_env()
    tb = TB(dut, cfg)
    seed = seed_of(*salt)
    if _env("TOP_KV_PAUSES", "0"):
        tb.set_idle_generator(seed)
        tb.set_backpressure_generator(seed)
    await tb.reset()
    return tb, seed


async def check_kv_counters(tb: TB, stim) -> dict:
    """KV counters against the model's run (tb.expected): the word and round counts exactly,
    the cycle counters 0 exactly when no such instruction executed, else at least one cycle per
    instruction and below the run's cycles."""
    exp = tb.expected
    got = {k: await tb.csr_read(a) for k, a in (
        ("kv_cycles", Csr.KV_CYCLES), ("hbm_words", Csr.KV_HBM_WORDS),
        ("buf_words", Csr.KV_BUF_WORDS), ("keep_words", Csr.KV_KEEP_WORDS),
        ("rounds", Csr.KV_ROUNDS), ("kvst_cycles", Csr.KVST_CYCLES))}
    cycles = await tb.csr_read(Csr.CYCLES_LO)
    ops = [stim.prog[int(line.split(":")[0])].op for line in exp.trace]
    for k in ("hbm_words", "buf_words", "keep_words", "rounds"):
        assert got[k] == exp.kv[k], f"{stim.name}: KV counter {k} {got[k]}, model {exp.kv[k]}"
    for k, op in (("kvst_cycles", Op.KVST), ("kv_cycles", Op.KVLD)):
        n = ops.count(op)
        if n == 0:
            assert got[k] == 0, f"{stim.name}: {k} {got[k]} without a {op.name}"
        else:
            # at least the done cycle of each (a KV_SEQ ends in its first cycle)
            assert n <= got[k] < cycles, f"{stim.name}: {k} {got[k]} for {n} {op.name}s " \
                                        f"in {cycles} cycles"
    return got


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_kvst(dut):
    """Random KVST/KVRD programs (KVCFG with random E, KVOFF, layers, mapping; KVSTs with
    random masks, history words, strides, put/all/nohist; fillers; KVRD + STORE of the entries
    put), checked against the model."""
    tb, seed = await _setup(dut, "kvst")
    gen = KvGenerator(tb.cfg, seed)
    for i in range(_env("TOP_KV_PROGRAMS", "3")):
        stim = gen.kvst_program(_env("TOP_KV_BLOCKS", "10"), name=f"kvst[{i}]")
        r = await tb.run(stim)
        got = await check_kv_counters(tb, stim)
        tb.log.info("%s: %d insns (%d KVST, %d KVRD), %d cycles, KVST_CYCLES %d", stim.name,
                    r["insns"], sum(x.op == Op.KVST for x in stim.prog),
                    sum(x.op == Op.KVRD for x in stim.prog), r["cycles"], got["kvst_cycles"])


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_kvld(dut):
    """Decode steps: a synthetic KV cache built by KVSTs (reuse or PartialSkip write masks),
    the KVLDs of layers 0..L-1 (attend static or dyn per layer, buffer on/off, both mappings),
    KVST.put of the current token, KVRD + STORE of the delivered entries (arrival order)."""
    tb, seed = await _setup(dut, "kvld")
    gen = KvGenerator(tb.cfg, seed)
    total = dict.fromkeys(("hbm_words", "buf_words", "keep_words", "rounds"), 0)
    # every variant once, more programs cycle through them; TOP_KV_VARIANTS picks some
    nv = len(KvGenerator.KVLD_VARIANTS)
    picked = os.environ.get("TOP_KV_VARIANTS")
    variants = [int(v) for v in picked.split(",")] if picked else \
        list(range(max(_env("TOP_KV_PROGRAMS", "3"), nv)))
    for i in variants:
        stim = gen.kvld_program(_env("TOP_KV_STEPS", "1"), name=f"kvld[{i}]", variant=i)
        r = await tb.run(stim)
        got = await check_kv_counters(tb, stim)
        for k in total:
            total[k] += got[k]
        tb.log.info("%s: %d insns (%d KVLD), %d cycles, KV_CYCLES %d, HBM words %d, buffer "
                    "words %d, keeps %d, rounds %d", stim.name, r["insns"],
                    sum(x.op == Op.KVLD for x in stim.prog), r["cycles"], got["kv_cycles"],
                    got["hbm_words"], got["buf_words"], got["keep_words"], got["rounds"])
    # the programs reach the invariance buffer (keeps and buffer reads), not only HBM
    assert all(v > 0 for v in total.values()), f"decode steps without coverage: {total}"


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(kind=list(KvGenerator.ERROR_KINDS))
async def test_kv_error(dut, kind):
    """KV faults stop with the model's error code and pc: KV_RANK (nothing stored), SLVERR on
    one beat of a KV store piece (every piece still written, DMA_WR_AXI), KV_SEQ, SLVERR or
    DECERR on one beat of a KV entry read (DMA_RD_AXI after the layer), a misplaced RLAST on one
    beat of a KV entry read (the same, data intact); then a clean KVST program runs."""
    if kind in os.environ.get("TOP_KV_SKIP_KINDS", "").split(","):
        return
    tb, seed = await _setup(dut, "kv_error", kind)
    gen = KvGenerator(tb.cfg, seed)
    stim = gen.error_program(kind)
    r = await tb.run(stim)
    assert r["err"] == stim.expect_err != Err.NONE
    await check_kv_counters(tb, stim)
    tb.log.info("%s: stopped with %r at pc %d after %d cycles", kind, r["err"],
                tb.expected.err_pc, r["cycles"])
    after = gen.kvst_program(4, name=f"after {kind}")
    await tb.run(after)
    await check_kv_counters(tb, after)
