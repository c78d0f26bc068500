"""Model-only checks of the stimulus generator: every random program runs to END on the model,
and every fault program makes the model report the fault it was built for."""

import random

import numpy as np
import pytest

from model.core import CoreModel, SparseMem
from model.isa import Err, assemble
from tb.top.programs import ProgramGenerator
from tb.top.test_top import CONFIGS


@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_generator_intent(cfg):
    """Also what the random programs exercise: MATMULs with and without PF, dyn ones, masked
    WFETCHes, and WFETCHes queued two or more ahead of their MATMULs."""
    cfg = CONFIGS[cfg]
    seen = {"pf": 0, "nopf": 0, "dyn": 0, "masked": 0, "ahead": 0}
    for seed in random.Random(5).sample(range(1 << 60), 40):
        ddr, hbm = SparseMem(), SparseMem()
        mems = {p: ddr if p == 0 else hbm for p in range(cfg.NUM_HBM + 1)}
        model = CoreModel(cfg, mems)
        gen = ProgramGenerator(cfg, seed)
        stims = [gen.random_program(40, name=f"random{i}") for i in range(3)]
        stims += [ProgramGenerator(cfg, seed + i).error_program(kind)
                  for i, kind in enumerate(ProgramGenerator.ERROR_KINDS)]
        for st in stims:
            for port, addr, data in st.init:
                mems[port].write(addr, data)
            mems[0].write(gen.layout.prog_base, assemble(st.prog))
            model.errors = st.errors
            res = model.run(st.prog_base, st.prog_len)
            assert st.expect_err is not None
            assert res.err == st.expect_err, f"seed {seed} {st.name}: {res.err!r}"
            if st.expect_err == Err.NONE:
                assert res.retired == len(st.prog)
                queued = 0
                for line in res.trace:
                    if "wfetch" in line:
                        seen["masked"] += "mask=" in line
                        queued += 1
                        seen["ahead"] += queued >= 2
                    elif "matmul" in line:
                        seen["pf" if ".pf" in line else "nopf"] += 1
                        seen["dyn"] += ".dyn" in line
                        queued -= ".pf" in line and queued > 0
    assert all(seen.values()), seen


@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_matmul_model_vs_float64(cfg):
    """MATMUL through model/core against float64 on operands decoded independently from the
    memory images: the striped operand stream read back port by port (model/stripe.py), then
    per column tile of NCOL columns the INT4 scale block (K/group rows of NCOL FP16, padded to
    whole chunks) and the tiles (packed INT4 nibbles or FP16 rows), as docs/isa.md says."""
    from model.fp16 import to_float
    from model.isa import Op
    from model.stripe import read_stream
    cfg = CONFIGS[cfg]
    kd, nc, cb = cfg.kdim, cfg.ncol, cfg.chunk_bytes
    for seed in range(6):
        ddr, hbm = SparseMem(), SparseMem()
        mems = {p: ddr if p == 0 else hbm for p in range(cfg.NUM_HBM + 1)}
        gen = ProgramGenerator(cfg, seed)
        st = gen.matmul_program(4)
        for port, addr, data in st.init:
            mems[port].write(addr, data)

        def f16(raw):
            return to_float(np.frombuffer(raw, dtype="<u2"))

        refs = []
        x_src = mm = None
        for ins in st.prog:
            if ins.op == Op.LOAD:
                x_src = (mems[ins.port], ins.mem_addr)
            elif ins.op == Op.MMCFG:
                mm = ins
            elif ins.op == Op.MATMUL:
                m, k, n, int4, g = ins.len, mm.len, mm.f0, bool(ins.flags & 1), mm.f2
                x = f16(x_src[0].read(x_src[1], m * k * 2)).reshape(m, k)
                sb = -(-(k // g) * nc * 2 // cb) if int4 else 0      # scale chunks per tile
                per = sb + k // kd if int4 else 4 * (k // kd)
                data = read_stream(hbm, ins.mem_addr, (n // nc) * per, cfg.stripe)
                w = np.zeros((k, n))
                for nt in range(n // nc):
                    tile0 = nt * per * cb
                    if int4:
                        s = f16(data[tile0:tile0 + (k // g) * nc * 2]).reshape(k // g, nc)
                    for kt in range(k // kd):
                        if int4:
                            a = tile0 + (sb + kt) * cb
                            raw = np.frombuffer(data[a:a + cb], dtype=np.uint8)
                            q = np.stack([raw & 15, raw >> 4], -1).reshape(kd, nc).astype(int)
                            t = np.where(q >= 8, q - 16, q) * np.repeat(s, g, 0)[kt * kd:
                                                                                  (kt + 1) * kd]
                        else:
                            a = tile0 + kt * 4 * cb
                            t = f16(data[a:a + 4 * cb]).reshape(kd, nc)
                        w[kt * kd:(kt + 1) * kd, nt * nc:(nt + 1) * nc] = t
                refs.append(x @ w)
            elif ins.op == Op.STORE:           # matmul_program stores every MATMUL result
                refs[-1] = (refs[-1], mems[ins.port], ins.mem_addr)
        assert len(refs) == 4
        mems[0].write(gen.layout.prog_base, assemble(st.prog))
        res = CoreModel(cfg, mems).run(st.prog_base, st.prog_len)
        assert res.err == Err.NONE
        for ref, mem, addr in refs:
            got = f16(mem.read(addr, ref.size * 2)).reshape(ref.shape)
            scale = np.abs(ref).max() + 1e-3
            assert np.max(np.abs(got - ref)) <= 5e-3 * scale, f"seed {seed}"


@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_npe_generator_intent(cfg):
    """Every NPE/vector program of every block kind runs to END on the model, every NPE fault
    program stops with its fault, and the MLP-shaped blocks exercise VSCAT and dyn SWIGLU."""
    from model.isa import Op
    from tb.top.npe_programs import NpeGenerator
    cfg = CONFIGS[cfg]
    ops = set()
    for seed in range(8):
        ddr, hbm = SparseMem(), SparseMem()
        mems = {p: ddr if p == 0 else hbm for p in range(cfg.NUM_HBM + 1)}
        model = CoreModel(cfg, mems)
        ng = NpeGenerator(ProgramGenerator(cfg, seed))
        stims = [ng.program(8, kinds=NpeGenerator.KINDS)]
        stims += [NpeGenerator(ProgramGenerator(cfg, seed + i)).error_program(k)
                  for i, k in enumerate(NpeGenerator.ERROR_KINDS)]
        for st in stims:
            for port, addr, data in st.init:
                mems[port].write(addr, data)
            mems[0].write(st.prog_base, assemble(st.prog))
            model.errors = st.errors
            res = model.run(st.prog_base, st.prog_len)
            assert res.err == st.expect_err, f"seed {seed} {st.name}: {res.err!r}"
            ops |= {(i.op, i.flags & 8) for i in st.prog}
    assert {(Op.VSCAT, 0), (Op.SWIGLU, 8), (Op.ROPE, 8), (Op.ARGMAX, 0)} <= ops
