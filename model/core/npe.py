"""Nonlinear processing engine (rtl/skipopu_npe.sv): the RMS statistics RAM (RMSSQ and the
snoop of LOAD/VADD/VSCAT), RMSNORM, SWIGLU and ROPE; numerics in model/npe.py."""

from __future__ import annotations

import numpy as np

from model import npe as N
from model.core.base import RunResult, UnitBase
from model.isa import FLAG_COMPACT, FLAG_DYN, FLAG_MASK, Err, Insn, Op


class NpeUnit(UnitBase):
    # NPE statistics RAM (FP32 bits); None = never written (reading it is a program bug)
    stats: list

    def _stats_of(self, x: np.ndarray) -> list[int]:
        return [int(v) for v in N.rms_stats(x, self.lanes, self.npe.inv_d, self.npe.eps)]

    def _snoop(self, base: int, n: int) -> None:
        """LOAD/VADD with the statistics flag: RMS statistics of the rows written."""
        d = self.npe.d
        r = self._stats_of(self.gbuf[base:base + n].reshape(n // d, -1).astype(np.int64))
        self.stats[self.npe.snoop:self.npe.snoop + n // d] = r

    def _stat(self, row: int, pc: int, what: str) -> int:
        rv = self.stats[row]
        if rv is None:
            raise ValueError(f"pc {pc}: {what} row {row} has no statistics")
        return rv

    def _norm_rows(self, x0: int, rows, w: np.ndarray, stat0: int, pc: int, what: str):
        """RMSNorm of the residual rows x0 + r*D (r in rows) with the statistics stat0 + r and
        the weight row w: [len(rows), D words, lanes] FP16 bits."""
        d = self.npe.d
        return np.stack([N.rmsnorm_apply(self._rows(x0 + r * d, 1, d, pc, what),
                                         np.array([self._stat(stat0 + r, pc, what)]),
                                         w).reshape(d, -1) for r in rows])

    def exec_npe(self, insn: Insn, res: RunResult, pc: int) -> Err:
        return {Op.RMSSQ: self._rmssq, Op.RMSNORM: self._rmsnorm, Op.SWIGLU: self._swiglu,
                Op.ROPE: self._rope}[Op(insn.op)](insn, pc)

    def _rmssq(self, insn: Insn, pc: int) -> Err:
        d, m = self.npe.d, insn.len
        self.stats[insn.f1:insn.f1 + m] = self._stats_of(self._rows(insn.f0, m, d, pc, "RMSSQ"))
        return Err.NONE

    def _swiglu(self, insn: Insn, pc: int) -> Err:
        # dyn: len = words per row, CNT rows (control skips CNT = 0)
        m = insn.len * (self.cnt if insn.flags & FLAG_DYN else 1)
        src = self._rows(insn.f1, m, 2, pc, "SWIGLU")
        half = src.shape[1] // 2
        self._write_words(slice(insn.f0, insn.f0 + m), N.swiglu(src[:, :half], src[:, half:]))
        return Err.NONE

    def _rmsnorm(self, insn: Insn, pc: int) -> Err:
        d, m = self.npe.d, insn.len
        src, dst = insn.f0 & 0xFFFF, insn.f0 >> 16
        mask = self._gword(insn.f2, pc, "RMSNORM mask") if insn.flags & FLAG_MASK else \
            (1 << m) - 1
        w = self._rows(insn.f1 & 0xFFFF, 1, d, pc, "RMSNORM weight")[0]
        rows = [r for r in range(m) if mask >> r & 1]
        if not rows:
            return Err.NONE
        y = self._norm_rows(src, rows, w, insn.f1 >> 16, pc, "RMSNORM")
        compact = bool(insn.flags & FLAG_COMPACT)
        for j, r in enumerate(rows):
            self._write_words(dst + (j if compact else r) * d + np.arange(d), y[j])
        return Err.NONE

    def _rope(self, insn: Insn, pc: int) -> Err:
        """ROPE: ``words`` (0 = D) rotated per row, rows ``stride`` (0 = words) apart, positions
        0.. or the mask's set bits; dyn: CNT rows (the bound is checked by control)."""
        d, hw = self.npe.d, self.npe.hw
        n = self.cnt if insn.flags & FLAG_DYN else insn.len
        w = (insn.f1 >> 16) & 0xFF or d
        st = insn.f1 >> 24 or w
        lo, hi, rot0 = insn.f0 & 0xFFFF, insn.f0 >> 16, insn.f1 & 0xFFFF
        if insn.flags & FLAG_MASK:
            mask = self._gword(insn.f2, pc, "ROPE mask")
            if bin(mask).count("1") < n:
                return Err.NPE_MASK
            pos = N.mask_positions(mask, n)
        else:
            pos = list(range(n))
        x = np.stack([self._rows(lo + m * st, 1, w, pc, "ROPE")[0] for m in range(n)])
        rot = np.stack([self._rows(rot0 + p * hw, 1, hw, pc, "ROPE table")[0] for p in pos])
        y = N.rope(x, np.tile(rot, (1, w // hw)))
        for m in range(n):
            self._write_words(hi + m * st + np.arange(w), y[m].reshape(w, -1))
        return Err.NONE
