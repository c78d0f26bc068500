"""Vector unit (rtl/skipopu_vpu.sv): VADD, VSCAT (masked residual add), ROUTE (the router's mask
word and CNT) and ARGMAX."""

from __future__ import annotations

import numpy as np

from model.core.base import RunResult, UnitBase
from model.fp16 import fp16_add
from model.isa import FLAG_FORCE, FLAG_STATS, Err, Insn, Op


def fp16_gt(a, b) -> np.ndarray:
    """a > b on FP16 bit patterns as values: False if either is NaN, -0 == +0 (subnormals are
    read as zero, DAZ)."""
    a, b = (np.asarray(v, dtype=np.int64) & 0xFFFF for v in (a, b))

    def key(v):
        mag = np.where(v & 0x7C00, v & 0x7FFF, 0)               # DAZ
        return np.where(v & 0x8000, -mag, mag)

    nan = ((a & 0x7C00) == 0x7C00) & ((a & 0x3FF) != 0) | \
        ((b & 0x7C00) == 0x7C00) & ((b & 0x3FF) != 0)
    return ~nan & (key(a) > key(b))


class VectorUnit(UnitBase):

    def exec_vector(self, insn: Insn, res: RunResult, pc: int) -> Err:
        {Op.VADD: self._vadd, Op.VSCAT: self._vscat, Op.ROUTE: self._route,
         Op.ARGMAX: self._argmax}[Op(insn.op)](insn, pc)
        return Err.NONE

    def _vadd(self, insn: Insn, pc: int) -> None:
        n = insn.len
        a = self._rows(insn.f1, n, 1, pc, "VADD")
        b = self._rows(insn.f2, n, 1, pc, "VADD")
        self._write_words(slice(insn.f0, insn.f0 + n), fp16_add(a, b))
        if insn.flags & FLAG_STATS:
            self._snoop(insn.f0, n)

    def _route(self, insn: Insn, pc: int) -> None:
        """ROUTE: mask word of the executing rows, CNT = their number (docs/isa.md)."""
        m = insn.len
        src, dst = insn.f0 & 0xFFFF, insn.f0 >> 16
        pair, bias = insn.f1 & 0xFFFF, insn.f1 >> 16
        if insn.flags & FLAG_FORCE:           # logits and bias are not read
            ex = np.ones(m, dtype=bool)
        else:
            stride = insn.f2 or 1                 # logits row r at src + r*stride
            idx = src + np.arange(m) * stride
            if not self.gbuf_valid[idx].all():
                raise ValueError(f"pc {pc}: ROUTE logits reads uninitialised buffer words")
            x = self.gbuf[idx].astype(np.int64)
            b = self._rows(bias, 1, 1, pc, "ROUTE bias")[0]
            a = fp16_add(x[:, 2 * pair], b[2 * pair])
            c = fp16_add(x[:, 2 * pair + 1], b[2 * pair + 1])
            ex = ~fp16_gt(c, a)
        mask = sum(1 << i for i in np.flatnonzero(ex).tolist())
        self._write_words(dst, np.frombuffer(mask.to_bytes(self.cfg.beat_bytes, "little"),
                                             dtype="<u2"))
        self.cnt = int(ex.sum())

    def _vscat(self, insn: Insn, pc: int) -> None:
        """VSCAT: x row m += y row j (j-th selected row) where the mask selects m; the other
        rows are rewritten unchanged; statistics of all len rows with the flag."""
        d, m = self.npe.d, insn.len
        mask = self._gword(insn.f2, pc, "VSCAT mask")
        x = self._rows(insn.f0, m, d, pc, "VSCAT x")
        sel = [r for r in range(m) if mask >> r & 1]
        if sel:
            y = self._rows(insn.f1, len(sel), d, pc, "VSCAT y")
            x[sel] = fp16_add(x[sel], y)
        self._write_words(insn.f0 + np.arange(m * d), x.reshape(m * d, -1))
        if insn.flags & FLAG_STATS:
            self.stats[self.npe.snoop:self.npe.snoop + m] = self._stats_of(x)

    def _argmax(self, insn: Insn, pc: int) -> None:
        """First maximum of len words of FP16 values (word-major, lane-minor); order: DAZ,
        -0 = +0, NaN below everything (an all-NaN input gives index 0)."""
        src, dst = insn.f0 & 0xFFFF, insn.f0 >> 16
        v = self._rows(src, insn.len, 1, pc, "ARGMAX").reshape(-1)
        mag = np.where(v & 0x7C00, v & 0x7FFF, 0)
        key = np.where(v & 0x8000, -mag, mag)
        nan = ((v & 0x7C00) == 0x7C00) & ((v & 0x3FF) != 0)
        key = np.where(nan, -(1 << 20), key)
        i = int(np.argmax(key))
        word = np.zeros(self.lanes, dtype=np.uint16)
        word[0], word[1] = i, v[i]
        self._write_words(dst, word)
