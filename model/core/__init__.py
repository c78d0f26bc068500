"""Architectural model of the SkipOPU core: executes an instruction program on memory images,
one unit per module, as in the RTL:

    control.py    sequencing: program checks, legality, configuration registers, CNT, dispatch
    dma.py        LOAD, STORE                         vector.py   VADD, VSCAT, ROUTE, ARGMAX
    matmul.py     MATMUL (fused RMSNorm included)      npe.py      RMSSQ, RMSNORM, SWIGLU, ROPE
    kv.py         KVST, KVLD, KVRD (KV cache, KVSB)    attention.py  QK, SMNORM, SMFEAT, PV

This is the reference the testbenches' scoreboards compare against: final memory contents,
error code, faulting pc, retired-instruction count, bytes moved per port and the KV counters.
Memories are objects with ``read(addr, n) -> bytes`` and ``write(addr, data)`` (the
cocotbext-axi memories used by the testbench qualify, and so does :class:`SparseMem`).

AXI error windows: ``errors`` holds ``(source, kind, lo, hi)`` tuples, meaning that every data
beat that overlaps ``[lo, hi)`` gets an error response. ``source`` is ``"insn"`` for the
instruction fetch port or a memory port number (0 = DDR, 1.. = HBM); ``kind`` is ``"r"``,
``"w"`` or ``"rlast"``. A beat written with an error response leaves memory unchanged; a beat
read with one (SLVERR or DECERR) carries zeros. ``"rlast"``: the read beat comes with its RLAST
inverted (early, or missing on the burst's last beat) but its data and RRESP intact; the read
engines count beats themselves and treat it as an error beat of that read, exactly like an error
response, except that its data is the memory's (docs/isa.md, error codes). An RLAST window may
cover half a core beat: behind the 2:1 chunk FIFOs an HBM bus beat is half a word, and either
half with a misplaced RLAST fails the word (the bridge answers SLVERR for the low half, the read
engine sees the high half's RLAST).

The global buffer, the NPE statistics, the KV staging buffer, the invariance buffer and the
softmax features persist across runs like the hardware's; the configuration registers, CNT and
the WFETCH queue are cleared at every start. MATMUL operand streams are read striped over every
HBM port (docs/isa.md "MATMUL"): HBM port p's stripe through ``mems[p + 1]`` at its own
pseudo-channel ``p * 2^28 + base``, error windows of source ``p + 1`` applying to it.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from model.core.attention import AttentionUnit
from model.core.base import RunResult, SparseMem, UnitBase, word_int
from model.core.control import Control
from model.core.dma import DmaUnit
from model.core.kv import PC_SHIFT, KvUnit
from model.core.matmul import MatmulUnit
from model.core.npe import NpeUnit
from model.core.vector import VectorUnit, fp16_gt
from model.isa import CoreConfig, Regs

__all__ = ["CoreModel", "RunResult", "SparseMem", "fp16_gt", "word_int", "PC_SHIFT",
           "UnitBase"]


class CoreModel(Control, DmaUnit, MatmulUnit, NpeUnit, VectorUnit, KvUnit, AttentionUnit):
    def __init__(self, cfg: CoreConfig, mems: dict[int, object], errors=()):
        self.cfg = cfg
        self.mems = mems                      # port -> memory; port 0 = DDR
        self.errors = list(errors)
        self.gbuf = np.zeros((cfg.GBUF_DEPTH, cfg.DATA_W // 16), dtype=np.uint16)
        self.gbuf_valid = np.zeros(cfg.GBUF_DEPTH, dtype=bool)
        self.stats: list[int | None] = [None] * cfg.NPE_ROWS
        self.cnt = 0
        self.regs = Regs()
        self.wq = deque()
        self._kv_reset()
        self._att_reset()
