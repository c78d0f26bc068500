"""cocotb test of skipopu_decode against model.isa.Insn.check (legality and field split)."""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.triggers import Timer

from model.isa import CoreConfig, Err, Insn, Op


class TB:
    def __init__(self, dut, cfg: CoreConfig):
        self.dut = dut
        self.cfg = cfg
        self.checked = {e: 0 for e in Err}

    async def check(self, insn: Insn):
        self.dut.insn_i.value = insn.encode()
        await Timer(1, "ns")
        d = self.dut
        want = insn.check(self.cfg)
        got = int(d.err_o.value)
        assert got == want, f"{insn} ({insn.encode():032x}): err {got}, model {want!r}"
        self.checked[want] += 1
        if want == Err.NONE:
            flags = [int(d.is_nop_o.value), int(d.is_end_o.value), int(d.is_load_o.value),
                     int(d.is_store_o.value), int(d.is_vadd_o.value)]
            exp = [insn.op == o for o in (Op.NOP, Op.END, Op.LOAD, Op.STORE, Op.VADD)]
            assert flags == [int(x) for x in exp], f"{insn}: class flags {flags}"
            assert int(d.port_o.value) == insn.port
            assert int(d.len_o.value) == insn.len
            assert int(d.gb_addr_o.value) == insn.f0
            assert int(d.src0_o.value) == insn.f1
            assert int(d.src1_o.value) == insn.f2
            assert int(d.mem_addr_o.value) == insn.mem_addr


def random_insn(rng: random.Random, cfg: CoreConfig) -> Insn:
    """Instructions near every legality boundary, plus fully random words."""
    bb = cfg.beat_bytes
    r = rng.random()
    if r < 0.1:
        return Insn.decode(rng.getrandbits(128))
    op = rng.choice([Op.NOP, Op.END, Op.LOAD, Op.STORE, Op.VADD, Op.VADD, rng.randrange(256)])
    n = rng.choice([0, 1, 2, rng.randint(1, 64), 0xFFFF, cfg.GBUF_DEPTH])

    def gb():
        return rng.choice([0, rng.randrange(cfg.GBUF_DEPTH), cfg.GBUF_DEPTH - n,
                           cfg.GBUF_DEPTH - n + 1, cfg.GBUF_DEPTH, 0xFFFFFFFF]) & 0xFFFFFFFF

    if op in (Op.LOAD, Op.STORE):
        top = 1 << cfg.ADDR_W
        addr = rng.choice([0, bb * rng.randrange(1 << 20), top - n * bb, top - n * bb + bb,
                           top, rng.getrandbits(64), bb * rng.randrange(1 << 20) + 1])
        addr &= (1 << 64) - 1
        return Insn(op, port=rng.choice([0, 1, cfg.NUM_HBM, cfg.NUM_HBM + 1, 15]),
                    flags=rng.choice([0, 0, 0, 1, 8]), len=n, f0=gb(), f1=addr & 0xFFFFFFFF,
                    f2=addr >> 32)
    if op == Op.VADD:
        a = gb()
        b = rng.choice([a, gb(), (a + rng.randint(-n, n)) & 0xFFFFFFFF])
        c = rng.choice([a, gb(), (a + rng.randint(-n, n)) & 0xFFFFFFFF])
        return Insn(op, port=rng.choice([0, 0, 0, 1]), flags=rng.choice([0, 0, 0, 2]), len=n,
                    f0=a, f1=b, f2=c)
    i = Insn(op)
    if rng.random() < 0.3:
        setattr(i, rng.choice(["port", "flags", "len", "f0", "f1", "f2"]), 1)
    return i


@cocotb.test()
async def test_decode(dut):
    cfg = CoreConfig(**json.loads(os.environ.get("SKIPOPU_CFG", "{}")))
    tb = TB(dut, cfg)
    rng = random.Random(cocotb.RANDOM_SEED)
    for _ in range(int(os.environ.get("DECODE_VECTORS", "20000"))):
        await tb.check(random_insn(rng, cfg))
    dut._log.info("checked per model verdict: %s", {e.name: n for e, n in tb.checked.items()})
    missing = [e.name for e in (Err.NONE, Err.ILLEGAL_OP, Err.RESERVED, Err.BAD_LEN,
                                Err.BAD_PORT, Err.GBUF_RANGE, Err.MEM_ALIGN, Err.MEM_RANGE,
                                Err.OVERLAP) if tb.checked[e] == 0]
    assert not missing, f"stimulus never produced {missing}"
