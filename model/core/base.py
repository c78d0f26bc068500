"""State shared by the units of the core model: the global buffer, the memories, the AXI error
windows, the CNT register and the configuration registers, with the helpers every unit uses to
read them."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from model.isa import CoreConfig, Err, Regs
from model.stripe import PC_BYTES


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
    kv: dict = field(default_factory=dict)     # KV unit word/round counters
    # multiply-accumulates of the matrix products on unpadded operands (MATMUL M*K*N; QK and PV
    # rows * NK * head_dim each): the useful work of the PE array (docs/results.md)
    macs: int = 0


def word_int(w) -> int:
    """A buffer word (lanes of FP16 bits) as one integer, lane 0 in the low bits."""
    return int.from_bytes(np.asarray(w, dtype="<u2").tobytes(), "little")


class UnitBase:
    """The architectural state (set up by ``CoreModel.__init__``) and its accessors."""

    cfg: CoreConfig
    mems: dict[int, object]                   # port -> memory; port 0 = DDR
    errors: list
    gbuf: np.ndarray                          # [GBUF_DEPTH, lanes] FP16 bits
    gbuf_valid: np.ndarray                    # words written since reset
    cnt: int                                  # CNT register (ROUTE), cleared at every start
    regs: Regs                                # configuration registers, cleared at every start
    wq: deque                                 # WFETCH queue (base, chunks), cleared at start

    # the configuration registers by name
    mm = property(lambda self: self.regs.mm)
    npe = property(lambda self: self.regs.npe)
    norm = property(lambda self: self.regs.norm)
    kv = property(lambda self: self.regs.kv)
    att = property(lambda self: self.regs.att)

    @property
    def lanes(self) -> int:
        return self.cfg.DATA_W // 16

    def _beat_err(self, source, kind, addr) -> bool:
        """Whether the beat at ``addr`` of source ("insn" or a port) fails: kind "w" a write
        error; kind "r" a read error response or a misplaced RLAST (both error beats of the
        read)."""
        kinds = ("r", "rlast") if kind == "r" else (kind,)
        end = addr + self.cfg.beat_bytes
        return any(s == source and k in kinds and lo < end and addr < hi
                   for s, k, lo, hi in self.errors)

    def _beat_zero(self, source, addr) -> bool:
        """Whether the read beat at ``addr`` carries zeros (an error response; a misplaced
        RLAST leaves the data intact)."""
        end = addr + self.cfg.beat_bytes
        return any(s == source and k == "r" and lo < end and addr < hi
                   for s, k, lo, hi in self.errors)

    def _rows(self, base: int, m: int, d: int, pc: int, what: str) -> np.ndarray:
        """m rows of d buffer words from base, [m, d*lanes] int64; raises on a word never
        written (a program bug)."""
        idx = base + np.arange(m * d)
        if not self.gbuf_valid[idx].all():
            raise ValueError(f"pc {pc}: {what} reads uninitialised buffer words")
        return self.gbuf[idx].reshape(m, -1).astype(np.int64)

    def _gword(self, addr: int, pc: int, what: str) -> int:
        """One buffer word as an integer (a mask or history word)."""
        if not self.gbuf_valid[addr]:
            raise ValueError(f"pc {pc}: {what} word uninitialised")
        return word_int(self.gbuf[addr])

    def _check_weight_write(self, addr: int, nbytes: int, pc: int, what: str) -> None:
        """Weights are read-only during a run: an HBM write into an operand stream that a
        WFETCH has queued (the access unit may already have read it) is a program bug
        (docs/isa.md "Prefetch")."""
        cp = self.cfg.port_chunk_bytes
        for base, chunks in self.wq:
            for p in range(self.cfg.NUM_HBM):
                lo = p * PC_BYTES + base
                if addr < lo + chunks * cp and lo < addr + nbytes:
                    raise ValueError(f"pc {pc}: {what} writes HBM 0x{addr:x} inside the operand "
                                     f"stream 0x{base:x} ({chunks} chunks) queued by a WFETCH")

    def _write_words(self, addrs, words) -> None:
        self.gbuf[addrs] = words
        self.gbuf_valid[addrs] = True
