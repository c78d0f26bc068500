"""Architectural model of the SkipOPU core: executes an instruction program on memory images.

This is the reference the core testbench's scoreboard compares against: final memory contents,
error code, faulting pc, retired-instruction count and bytes moved per port. Memories are
objects with ``read(addr, n) -> bytes`` and ``write(addr, data)`` (the cocotbext-axi memories
used by the testbench qualify, and so does :class:`SparseMem`).

AXI error windows: ``errors`` holds ``(source, kind, lo, hi)`` tuples, meaning that every data
beat whose address is in ``[lo, hi)`` gets an error response. ``source`` is ``"insn"`` for the
instruction fetch port or a memory port number (0 = DDR, 1.. = HBM); ``kind`` is ``"r"`` or
``"w"``. A beat written with an error response leaves memory unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.fp16 import fp16_add
from model.isa import INSN_BYTES, CoreConfig, Err, Insn, Op


class SparseMem:
    """Byte-addressed sparse memory (4 KB pages), for the model's own copies of memories."""

    PAGE = 4096

    def __init__(self):
        self.pages: dict[int, bytearray] = {}

    def read(self, addr: int, n: int) -> bytes:
        out = bytearray()
        while n:
            pg, off = divmod(addr, self.PAGE)
            k = min(n, self.PAGE - off)
            page = self.pages.get(pg)
            out += page[off:off + k] if page is not None else bytes(k)
            addr += k
            n -= k
        return bytes(out)

    def write(self, addr: int, data: bytes) -> None:
        data = memoryview(bytes(data))
        while len(data):
            pg, off = divmod(addr, self.PAGE)
            k = min(len(data), self.PAGE - off)
            page = self.pages.setdefault(pg, bytearray(self.PAGE))
            page[off:off + k] = data[:k]
            addr += k
            data = data[k:]


@dataclass
class RunResult:
    err: Err
    err_pc: int
    retired: int
    rd_bytes: list[int]
    wr_bytes: list[int]
    trace: list[str] = field(default_factory=list)


class CoreModel:
    def __init__(self, cfg: CoreConfig, mems: dict[int, object], errors=()):
        self.cfg = cfg
        self.mems = mems                      # port -> memory; port 0 = DDR
        self.errors = list(errors)
        self.gbuf = np.zeros((cfg.GBUF_DEPTH, cfg.DATA_W // 16), dtype=np.uint16)
        self.gbuf_valid = np.zeros(cfg.GBUF_DEPTH, dtype=bool)

    def _beat_err(self, source, kind, addr) -> bool:
        return any(s == source and k == kind and lo <= addr < hi
                   for s, k, lo, hi in self.errors)

    def run(self, prog_base: int, prog_len: int) -> RunResult:
        cfg = self.cfg
        bb = cfg.beat_bytes
        np_ = cfg.NUM_HBM + 1
        res = RunResult(Err.NONE, 0, 0, [0] * np_, [0] * np_)
        if (prog_len == 0 or prog_base % bb or prog_base >> cfg.ADDR_W
                or prog_base + prog_len * INSN_BYTES > (1 << cfg.ADDR_W)):
            res.err = Err.BAD_PROG
            return res
        ddr = self.mems[0]
        for pc in range(prog_len):
            addr = prog_base + pc * INSN_BYTES
            if self._beat_err("insn", "r", addr - addr % bb):
                res.err, res.err_pc = Err.FETCH_AXI, pc
                return res
            insn = Insn.from_bytes(ddr.read(addr, INSN_BYTES))
            err = insn.check(cfg)
            if err != Err.NONE:
                res.err, res.err_pc = err, pc
                return res
            res.trace.append(f"{pc:5d}: {insn}")
            if insn.op == Op.END:
                res.retired += 1
                return res
            if insn.op == Op.NOP:
                res.retired += 1
                continue
            if insn.op == Op.VADD:
                n = insn.len
                a = self.gbuf[insn.f1:insn.f1 + n]
                b = self.gbuf[insn.f2:insn.f2 + n]
                if not (self.gbuf_valid[insn.f1:insn.f1 + n].all()
                        and self.gbuf_valid[insn.f2:insn.f2 + n].all()):
                    raise ValueError(f"pc {pc}: VADD reads uninitialised buffer words")
                self.gbuf[insn.f0:insn.f0 + n] = fp16_add(a, b)
                self.gbuf_valid[insn.f0:insn.f0 + n] = True
                res.retired += 1
                continue
            # LOAD / STORE
            mem = self.mems[insn.port]
            failed = False
            if insn.op == Op.LOAD:
                raw = mem.read(insn.mem_addr, insn.len * bb)
                words = np.frombuffer(raw, dtype="<u2").reshape(insn.len, -1).copy()
                for i in range(insn.len):
                    if self._beat_err(insn.port, "r", insn.mem_addr + i * bb):
                        failed = True
                        words[i] = 0          # the slave returns zeros with SLVERR
                self.gbuf[insn.f0:insn.f0 + insn.len] = words
                self.gbuf_valid[insn.f0:insn.f0 + insn.len] = True
                res.rd_bytes[insn.port] += insn.len * bb
            else:
                if not self.gbuf_valid[insn.f0:insn.f0 + insn.len].all():
                    raise ValueError(f"pc {pc}: STORE reads uninitialised buffer words")
                data = self.gbuf[insn.f0:insn.f0 + insn.len].astype("<u2").tobytes()
                for i in range(insn.len):
                    a = insn.mem_addr + i * bb
                    if self._beat_err(insn.port, "w", a):
                        failed = True
                    else:
                        mem.write(a, data[i * bb:(i + 1) * bb])
                res.wr_bytes[insn.port] += insn.len * bb
            if failed:
                res.err = Err.DMA_RD_AXI if insn.op == Op.LOAD else Err.DMA_WR_AXI
                res.err_pc = pc
                return res
            res.retired += 1
        res.err, res.err_pc = Err.PROG_OVERRUN, prog_len
        return res
