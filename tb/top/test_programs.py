"""Model-only checks of the stimulus generator: every random program runs to END on the model,
and every fault program makes the model report the fault it was built for."""

import random

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
