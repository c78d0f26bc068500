"""SkipOPU instruction set: encoding, decoding, legality check, assembler and disassembler.

Mirrors ``rtl/skipopu_pkg.sv`` and ``rtl/skipopu_decode.sv``; the format is documented in
``docs/isa.md``. An instruction is 128 bits, stored little-endian (16 bytes):

    [7:0] opcode  [11:8] port  [15:12] flags  [31:16] len  [63:32] f0  [95:64] f1  [127:96] f2
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

INSN_BYTES = 16


class Op(enum.IntEnum):
    NOP = 0x00
    END = 0x01
    LOAD = 0x10
    STORE = 0x11
    VADD = 0x20


class Err(enum.IntEnum):
    NONE = 0
    ILLEGAL_OP = 1
    RESERVED = 2
    BAD_LEN = 3
    BAD_PORT = 4
    GBUF_RANGE = 5
    MEM_ALIGN = 6
    MEM_RANGE = 7
    FETCH_AXI = 8
    DMA_RD_AXI = 9
    DMA_WR_AXI = 10
    PROG_OVERRUN = 11
    BAD_PROG = 12
    OVERLAP = 13


@dataclass(frozen=True)
class CoreConfig:
    """The hardware parameters that change what is legal (same names as skipopu_top)."""
    NUM_HBM: int = 4
    DATA_W: int = 256
    ADDR_W: int = 34
    GBUF_DEPTH: int = 4096
    MAX_BURST: int = 16
    ID_W: int = 4
    RD_FIFO_DEPTH: int = 64
    WR_OUTSTANDING: int = 8

    def __post_init__(self):
        problems = []
        if not 1 <= self.NUM_HBM <= 15:
            problems.append(f"NUM_HBM={self.NUM_HBM} not in 1..15")
        if self.DATA_W not in (128, 256, 512):
            problems.append(f"DATA_W={self.DATA_W} not 128, 256 or 512")
        if not 16 <= self.ADDR_W <= 63:
            problems.append(f"ADDR_W={self.ADDR_W} not in 16..63")
        for name in ("GBUF_DEPTH", "MAX_BURST", "RD_FIFO_DEPTH"):
            v = getattr(self, name)
            if v < 2 or v & (v - 1):
                problems.append(f"{name}={v} is not a power of 2 >= 2")
        if self.MAX_BURST > 256:
            problems.append(f"MAX_BURST={self.MAX_BURST} > 256")
        if self.RD_FIFO_DEPTH < self.MAX_BURST:
            problems.append("RD_FIFO_DEPTH must be >= MAX_BURST")
        if self.GBUF_DEPTH > 65536:
            problems.append("GBUF_DEPTH must be <= 65536")
        if problems:
            raise ValueError("bad core configuration: " + "; ".join(problems))

    @property
    def beat_bytes(self) -> int:
        return self.DATA_W // 8

    def params(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Insn:
    op: int
    port: int = 0
    flags: int = 0
    len: int = 0
    f0: int = 0
    f1: int = 0
    f2: int = 0
    comment: str = field(default="", compare=False)

    # -- constructors --------------------------------------------------------------------------
    @classmethod
    def load(cls, port: int, mem_addr: int, gb_addr: int, words: int) -> "Insn":
        return cls(Op.LOAD, port=port, len=words, f0=gb_addr,
                   f1=mem_addr & 0xFFFFFFFF, f2=mem_addr >> 32)

    @classmethod
    def store(cls, port: int, mem_addr: int, gb_addr: int, words: int) -> "Insn":
        return cls(Op.STORE, port=port, len=words, f0=gb_addr,
                   f1=mem_addr & 0xFFFFFFFF, f2=mem_addr >> 32)

    @classmethod
    def vadd(cls, dst: int, src0: int, src1: int, words: int) -> "Insn":
        return cls(Op.VADD, len=words, f0=dst, f1=src0, f2=src1)

    @classmethod
    def end(cls) -> "Insn":
        return cls(Op.END)

    @classmethod
    def nop(cls) -> "Insn":
        return cls(Op.NOP)

    @property
    def mem_addr(self) -> int:
        return (self.f2 << 32) | self.f1

    # -- encoding ------------------------------------------------------------------------------
    def encode(self) -> int:
        for name, bits in (("op", 8), ("port", 4), ("flags", 4), ("len", 16), ("f0", 32),
                           ("f1", 32), ("f2", 32)):
            v = getattr(self, name)
            if not 0 <= v < (1 << bits):
                raise ValueError(f"{name}={v} does not fit in {bits} bits: {self}")
        return (self.op | self.port << 8 | self.flags << 12 | self.len << 16 | self.f0 << 32
                | self.f1 << 64 | self.f2 << 96)

    def to_bytes(self) -> bytes:
        return self.encode().to_bytes(INSN_BYTES, "little")

    @classmethod
    def decode(cls, word: int) -> "Insn":
        return cls(op=word & 0xFF, port=(word >> 8) & 0xF, flags=(word >> 12) & 0xF,
                   len=(word >> 16) & 0xFFFF, f0=(word >> 32) & 0xFFFFFFFF,
                   f1=(word >> 64) & 0xFFFFFFFF, f2=(word >> 96) & 0xFFFFFFFF)

    @classmethod
    def from_bytes(cls, b: bytes) -> "Insn":
        return cls.decode(int.from_bytes(b, "little"))

    # -- legality (same order as rtl/skipopu_decode.sv) ----------------------------------------
    def check(self, cfg: CoreConfig) -> Err:
        def gb_ok(base):
            return base + self.len <= cfg.GBUF_DEPTH

        def partial(a, b):
            return a != b and a < b + self.len and b < a + self.len

        if self.op in (Op.NOP, Op.END):
            if self.encode() >> 8:
                return Err.RESERVED
            return Err.NONE
        if self.op in (Op.LOAD, Op.STORE):
            if self.flags:
                return Err.RESERVED
            if self.len == 0:
                return Err.BAD_LEN
            if self.port > cfg.NUM_HBM:
                return Err.BAD_PORT
            if not gb_ok(self.f0):
                return Err.GBUF_RANGE
            if self.mem_addr % cfg.beat_bytes:
                return Err.MEM_ALIGN
            if (self.mem_addr >> cfg.ADDR_W) or \
                    self.mem_addr + self.len * cfg.beat_bytes > (1 << cfg.ADDR_W):
                return Err.MEM_RANGE
            return Err.NONE
        if self.op == Op.VADD:
            if self.flags or self.port:
                return Err.RESERVED
            if self.len == 0:
                return Err.BAD_LEN
            if not (gb_ok(self.f0) and gb_ok(self.f1) and gb_ok(self.f2)):
                return Err.GBUF_RANGE
            if partial(self.f0, self.f1) or partial(self.f0, self.f2):
                return Err.OVERLAP
            return Err.NONE
        return Err.ILLEGAL_OP

    # -- text ----------------------------------------------------------------------------------
    def __str__(self) -> str:
        try:
            op = Op(self.op)
        except ValueError:
            return f".word 0x{self.encode():032x}"
        if op in (Op.LOAD, Op.STORE):
            mem = "ddr" if self.port == 0 else f"hbm{self.port - 1}"
            s = f"{op.name.lower():5s} {mem}:0x{self.mem_addr:x}, gb:{self.f0}, {self.len}"
        elif op == Op.VADD:
            s = f"vadd  gb:{self.f0}, gb:{self.f1}, gb:{self.f2}, {self.len}"
        else:
            s = op.name.lower()
        if self.flags or (op in (Op.NOP, Op.END) and self.encode() >> 8):
            s += f"  ; raw 0x{self.encode():032x}"
        return s


def assemble(prog: list[Insn]) -> bytes:
    return b"".join(i.to_bytes() for i in prog)


def disassemble(image: bytes) -> list[str]:
    if len(image) % INSN_BYTES:
        raise ValueError(f"program image of {len(image)} bytes is not a multiple of 16")
    return [f"{pc:5d}: {Insn.from_bytes(image[o:o + INSN_BYTES])}"
            for pc, o in enumerate(range(0, len(image), INSN_BYTES))]


if __name__ == "__main__":  # disassembler: python -m model.isa program.bin
    import sys
    for line in disassemble(open(sys.argv[1], "rb").read()):
        print(line)
