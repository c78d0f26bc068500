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
    cfg = CONFIGS[cfg]
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


@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_matmul_model_vs_float64(cfg):
    """MATMUL through model/core against float64 on operands decoded independently from the
    memory images (tile-major weights, packed INT4 nibbles, FP16 group scales)."""
    from model.fp16 import to_float
    from model.isa import Op
    cfg = CONFIGS[cfg]
    kd = cfg.kdim
    for seed in range(6):
        ddr, hbm = SparseMem(), SparseMem()
        mems = {p: ddr if p == 0 else hbm for p in range(cfg.NUM_HBM + 1)}
        gen = ProgramGenerator(cfg, seed)
        st = gen.matmul_program(4)
        for port, addr, data in st.init:
            mems[port].write(addr, data)

        def f16(mem, addr, n):
            return to_float(np.frombuffer(mem.read(addr, 2 * n), dtype="<u2"))

        refs = []
        x_src = mm = None
        for ins in st.prog:
            if ins.op == Op.LOAD:
                x_src = (mems[ins.port], ins.mem_addr)
            elif ins.op == Op.MMCFG:
                mm = ins
            elif ins.op == Op.MATMUL:
                m, k, n, int4 = ins.len, mm.len, mm.f0, bool(ins.flags & 1)
                x = f16(x_src[0], x_src[1], m * k).reshape(m, k)
                w = np.zeros((k, n))
                tb = cfg.weight_tile_bytes(int4)
                for nt in range(n // kd):
                    for kt in range(k // kd):
                        a = ins.mem_addr + (nt * (k // kd) + kt) * tb
                        if int4:
                            raw = np.frombuffer(mems[ins.port].read(a, tb), dtype=np.uint8)
                            q = np.stack([raw & 15, raw >> 4], -1).reshape(kd, kd).astype(int)
                            t = np.where(q >= 8, q - 16, q).astype(float)
                        else:
                            t = f16(mems[ins.port], a, kd * kd).reshape(kd, kd)
                        w[kt * kd:(kt + 1) * kd, nt * kd:(nt + 1) * kd] = t
                if int4:
                    s = f16(mems[0], mm.f1, (k // mm.f2) * n).reshape(k // mm.f2, n)
                    w = w * np.repeat(s, mm.f2, axis=0)
                refs.append(x @ w)
            elif ins.op == Op.STORE:           # matmul_program stores every MATMUL result
                refs[-1] = (refs[-1], mems[ins.port], ins.mem_addr)
        mems[0].write(gen.layout.prog_base, assemble(st.prog))
        res = CoreModel(cfg, mems).run(st.prog_base, st.prog_len)
        assert res.err == Err.NONE
        for ref, mem, addr in refs:
            got = f16(mem, addr, ref.size).reshape(ref.shape)
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
