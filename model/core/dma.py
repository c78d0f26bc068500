"""DMA (rtl/skipopu_dma.sv): LOAD and STORE between the global buffer and a memory port, with
the AXI error windows and the byte counters; a LOAD with the statistics flag feeds the NPE's
snoop."""

from __future__ import annotations

import numpy as np

from model.core.base import RunResult, UnitBase
from model.isa import FLAG_STATS, Err, Insn, Op


class DmaUnit(UnitBase):

    def exec_dma(self, insn: Insn, res: RunResult, pc: int) -> Err:
        bb = self.cfg.beat_bytes
        mem = self.mems[insn.port]
        n, a0 = insn.len, insn.mem_addr
        failed = False
        if insn.op == Op.LOAD:
            raw = mem.read(a0, n * bb)
            words = np.frombuffer(raw, dtype="<u2").reshape(n, -1).copy()
            for i in range(n):
                if self._beat_err(insn.port, "r", a0 + i * bb):
                    failed = True
                    if self._beat_zero(insn.port, a0 + i * bb):
                        words[i] = 0          # the slave returns zeros with SLVERR/DECERR
            self._write_words(slice(insn.f0, insn.f0 + n), words)
            if insn.flags & FLAG_STATS:
                self._snoop(insn.f0, n)
            res.rd_bytes[insn.port] += n * bb
            return Err.DMA_RD_AXI if failed else Err.NONE
        if not self.gbuf_valid[insn.f0:insn.f0 + n].all():
            raise ValueError(f"pc {pc}: STORE reads uninitialised buffer words")
        data = self.gbuf[insn.f0:insn.f0 + n].astype("<u2").tobytes()
        if insn.port:
            self._check_weight_write(a0, n * bb, pc, "STORE")
        for i in range(n):
            a = a0 + i * bb
            if self._beat_err(insn.port, "w", a):
                failed = True
            else:
                mem.write(a, data[i * bb:(i + 1) * bb])
        res.wr_bytes[insn.port] += n * bb
        return Err.DMA_WR_AXI if failed else Err.NONE
