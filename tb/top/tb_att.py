"""cocotb tests of the attention instructions through the whole core: random
attention blocks (tb/top/att_programs.py) against model/core with the memory models and
scoreboard of tb/top/tb_top.py (every memory window, error code and pc, retired instructions,
byte counters), plus PE_CYCLES exactly, the two feature paths (QK features vs QK.nofeat +
SMFEAT) giving the same P words, run-time faults, and a cycle benchmark of decode and prefill
shapes (ATT_CYCLES per instruction).

Environment (tb/top/test_att.py): SKIPOPU_CFG, ATT_PROGRAMS (programs per test), ATT_BLOCKS
(blocks per program), ATT_BENCH=1 runs the benchmark.
"""

from __future__ import annotations

import os

import cocotb

from model.isa import Csr, Err, Insn, Op
from top.att_programs import AttGenerator, Shape, att_layout
from top.programs import Stimulus
from top.tb_top import TB, config_from_env
from testparams import budget, env_int, seed_of

# cocotb timeout per test (simulated us): ATT_PROGRAMS programs of ATT_BLOCKS attention blocks,
# each block well within 100k cycles of the 4 ns core clock (pauses on every channel); a fault
# program and a clean one; the benchmark's six one-instruction programs
TIMEOUT_US = budget(max(env_int("ATT_PROGRAMS", 3), 2) * max(env_int("ATT_BLOCKS", 4), 2) *
                    100_000)


async def run_checked(tb: TB, stim: Stimulus) -> dict:
    """tb.run (model scoreboard) plus PE_CYCLES and the P1 == P2 property on the model."""
    r = await tb.run(stim)
    pe = await tb.csr_read(Csr.PE_CYCLES)
    assert pe == stim.pe_cycles, f"{stim.name}: PE_CYCLES {pe}, expected {stim.pe_cycles}"
    bb = tb.cfg.beat_bytes
    for out, span, reg, sh, both, _ in stim.outputs:
        if not both:
            continue
        (p1, n), (p2, _) = reg["p1"], reg["p2"]
        words = sh.nt(tb.cfg.lanes) * sh.rows(sh.mq)
        a = tb.model_mems[0].read(out + p1 * bb, words * bb)
        b = tb.model_mems[0].read(out + p2 * bb, words * bb)
        assert a == b, f"{stim.name}: the model's P differs between the two feature paths"
    return r


def _describe(sh: Shape) -> str:
    return (f"E={sh.e} H={sh.h} KVH={sh.kvh} HW={sh.hw} QS={sh.qs} NK={sh.nk} len={sh.mq_len} "
            f"Mq={sh.mq} j0={sh.j0} g0={sh.g0} ng={sh.ng} causal={int(sh.causal)} "
            f"dyn={int(sh.dyn)} CNT={sh.cnt}")


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_attention(dut):
    """Random attention blocks (prefill- and decode-shaped) with random AXI pauses."""
    cfg = config_from_env()
    tb = TB(dut, cfg, att_layout(cfg))
    seed = seed_of("attention")
    tb.set_idle_generator(seed)
    tb.set_backpressure_generator(seed)
    await tb.reset()
    gen = AttGenerator(cfg, seed)
    blocks = int(os.environ.get("ATT_BLOCKS", "4"))
    for i in range(int(os.environ.get("ATT_PROGRAMS", "3"))):
        kinds = ("prefill", "decode", "chunk", "random")[i % 4:] + \
            ("prefill", "decode", "chunk", "random")[:i % 4]
        stim = gen.program(blocks, kinds=kinds, name=f"att[{i}] seed={seed}")
        r = await run_checked(tb, stim)
        tb.log.info("%s: %d insns, %d cycles, PE %d; blocks: %s", stim.name, r["insns"],
                    r["cycles"], stim.pe_cycles,
                    "; ".join(_describe(o[3]) for o in stim.outputs))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_attention_full_rate(dut):
    """Random blocks without AXI pauses (the engines at full rate, same-row interlock and the
    stalling QK write-out under the smax period)."""
    cfg = config_from_env()
    tb = TB(dut, cfg, att_layout(cfg))
    seed = seed_of("attention_full_rate")
    await tb.reset()
    gen = AttGenerator(cfg, seed)
    for i in range(int(os.environ.get("ATT_PROGRAMS", "3"))):
        stim = gen.program(int(os.environ.get("ATT_BLOCKS", "4")),
                           kinds=("decode", "prefill", "mq0", "random"),
                           name=f"att-full[{i}] seed={seed}")
        r = await run_checked(tb, stim)
        tb.log.info("%s: %d insns, %d cycles", stim.name, r["insns"], r["cycles"])


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
@cocotb.parametrize(kind=list(AttGenerator.ERROR_KINDS))
async def test_attention_error(dut, kind):
    """Run-time faults: NPE_MASK at QK and at SMNORM (causal mask with too few positions), an
    AXI write error on a score word (QK: DMA_WR_AXI after all words), an AXI read error on a
    score word (SMNORM / SMFEAT: DMA_RD_AXI, the word read as zeros); then a clean program."""
    cfg = config_from_env()
    tb = TB(dut, cfg, att_layout(cfg))
    seed = seed_of("attention_error", kind)
    tb.set_idle_generator(seed)
    tb.set_backpressure_generator(seed)
    await tb.reset()
    gen = AttGenerator(cfg, seed)
    stim = gen.error_program(kind)
    r = await run_checked(tb, stim)
    tb.log.info("%s: stopped with %r after %d cycles", kind, r["err"], r["cycles"])
    await run_checked(tb, gen.program(1, name=f"after {kind}"))


def _bench_shapes(cfg) -> list[tuple[str, Shape]]:
    """A decode step (Mq = 1, n_rep = 2, NK = 21, default-preset heads) and a prefill (M = 16,
    causal, NK = 16), both with the default preset's head geometry where the config allows."""
    kvh = 4 if 2 * 4 * 2 <= cfg.KV_ENTRY_MAX else 1
    hw = 2
    e = 2 * kvh * hw
    h = 2 * kvh
    m = min(16, cfg.MMAX // 2, cfg.KV_TOKENS)
    dec = Shape(e, h, kvh, hw, h * hw, min(21, cfg.KV_TOKENS), 1, 0, 0, 0, False, False, 0)
    pre = Shape(e, h, kvh, hw, h * hw, m, m, 0, 0, 0, True, False, 0,
                mask_bits=list(range(m)))
    for s in (dec, pre):
        s.os_ = h * hw
    return [("decode", dec), ("prefill", pre)]


@cocotb.test(skip=os.environ.get("ATT_BENCH", "0") == "0", timeout_time=TIMEOUT_US,
             timeout_unit="us")
async def test_attention_bench(dut):
    """Cycles of QK, SMNORM and PV (ATT_CYCLES of programs that run one attention instruction)
    for a decode and a prefill shape; every program checked against the model."""
    cfg = config_from_env()
    tb = TB(dut, cfg, att_layout(cfg))
    await tb.reset()
    gen = AttGenerator(cfg, 5)
    for name, sh in _bench_shapes(cfg):
        prog, init = [], []
        gen.ddr_next = gen.ddr_lo
        gen.pe_cycles = 0
        gen.outputs = []
        gen.block(sh, prog, init, both_paths=False)
        # split: setup + QK | SMNORM | PV (features, P and KVSB persist between programs)
        qk = next(i for i, x in enumerate(prog) if x.op == Op.QK)
        cfgs = [x for x in prog if x.op in (Op.KVCFG, Op.ATTCFG)]
        smn = next(x for x in prog if x.op == Op.SMNORM)
        pv = next(x for x in prog if x.op == Op.PV)
        figures = {}
        for part, body in (("QK", prog[:qk + 1]), ("SMNORM", cfgs + [smn]),
                           ("PV", cfgs + [pv])):
            body = body + [Insn.end()]
            st = Stimulus(body, tb.layout.prog_base, len(body), init if part == "QK" else [],
                          expect_err=Err.NONE, name=f"bench-{name}-{part}")
            await tb.run(st)
            figures[part] = await tb.csr_read(Csr.ATT_CYCLES)
        nt = sh.nt(cfg.lanes)
        tb.log.info("ATT-BENCH %s: %s; NT=%d R=%d: QK %d, SMNORM %d, PV %d cycles (ATT_CYCLES)",
                    name, _describe(sh), nt, sh.rows(),
                    figures["QK"], figures["SMNORM"], figures["PV"])
        assert all(v > 0 for v in figures.values()), figures
