"""MATMUL engine (rtl/skipopu_mm.sv with its weight/scale read streams): Y = X . W on the
PE-array model (model/pe.py), the engine's memory traffic in its order with the stop at the
first failing weight/scale read, and the fused RMSNorm of the norm flag (MMNORM registers; the
NPE normalises the rows as the first column tile streams in)."""

from __future__ import annotations

import numpy as np

from model.core.base import RunResult, UnitBase
from model.isa import FLAG_DYN, FLAG_INT4, FLAG_NORM, Err, Insn
from model.pe import matmul


class MatmulUnit(UnitBase):

    def weight_tile_words(self, int4: bool) -> int:
        return self.cfg.kdim // 4 if int4 else self.cfg.kdim

    def _fused_norm(self, m: int, pc: int) -> np.ndarray | None:
        """MATMUL norm flag: the RMSNorm of the first m rows the MMNORM mask selects (among the
        first n residual rows), [m, D words, lanes]; None if the mask selects fewer than m
        rows (NPE_MASK)."""
        nr, d = self.norm, self.npe.d
        mask = self._gword(nr.mask, pc, "MATMUL norm mask")
        rows = [r for r in range(nr.n) if mask >> r & 1][:m]
        if len(rows) < m:
            return None
        w = self._rows(nr.w, 1, d, pc, "MATMUL norm weight")[0]
        return self._norm_rows(nr.x, rows, w, nr.stat, pc, "MATMUL norm residual")

    def _weights(self, insn: Insn, k: int, n: int) -> np.ndarray:
        """W [K, N] (FP16 bits or INT4 values) from its tile-major image on the weight port."""
        cfg = self.cfg
        kd = nc = cfg.kdim
        int4 = bool(insn.flags & FLAG_INT4)
        tb = cfg.weight_tile_bytes(int4)
        kt_n = k // kd
        mem = self.mems[insn.port]
        w = np.zeros((k, n), dtype=np.int64)
        for nt in range(n // nc):
            for kt in range(kt_n):
                raw = mem.read(insn.mem_addr + (nt * kt_n + kt) * tb, tb)
                if int4:
                    nib = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
                    nib = np.stack([nib & 15, nib >> 4], axis=-1).reshape(kd, nc)
                    tile = np.where(nib >= 8, nib - 16, nib)
                else:
                    tile = np.frombuffer(raw, dtype="<u2").reshape(kd, nc)
                w[kt * kd:(kt + 1) * kd, nt * nc:(nt + 1) * nc] = tile
        return w

    def exec_matmul(self, insn: Insn, res: RunResult, pc: int) -> Err:
        """Y = X . W; M = CNT with the dyn flag (control has checked the bound and skipped
        CNT = 0). Norm flag: X is the fused RMSNorm of the selected residual rows, written to
        the X region word by word as the first column tile's row tiles run (docs/isa.md)."""
        cfg, mm = self.cfg, self.mm
        kd = nc = cfg.kdim
        bb = cfg.beat_bytes
        int4 = bool(insn.flags & FLAG_INT4)
        m = self.cnt if insn.flags & FLAG_DYN else insn.len
        k, n = mm.k, mm.n
        kt_n, nt_n = k // kd, n // nc
        src, dst = insn.f0 & 0xFFFF, insn.f0 >> 16
        rows = src + np.arange(m)[:, None] * kt_n + np.arange(kt_n)[None, :]
        hn = None
        if insn.flags & FLAG_NORM:
            hn = self._fused_norm(m, pc)
            if hn is None:
                return Err.NPE_MASK
            x = hn.reshape(m, k).astype(np.int64)
        else:
            if not self.gbuf_valid[rows].all():
                raise ValueError(f"pc {pc}: MATMUL reads uninitialised buffer words")
            x = self.gbuf[rows].reshape(m, k).astype(np.int64)
        w = self._weights(insn, k, n)
        scales = None
        if int4:
            g = mm.group
            sraw = self.mems[0].read(mm.scale, (k // g) * n * 2)
            scales = np.frombuffer(sraw, dtype="<u2").reshape(k // g, n).astype(np.int64)
        y = matmul(x, w, kd, "int4" if int4 else "fp16", scales, mm.group if int4 else None)
        # traffic in engine order; the first failing beat stops the engine after its transfer
        tb = cfg.weight_tile_bytes(int4)
        gk = mm.group // kd if int4 else 1
        for nt in range(nt_n):
            for kt in range(kt_n):
                a0 = insn.mem_addr + (nt * kt_n + kt) * tb
                res.rd_bytes[insn.port] += tb
                if any(self._beat_err(insn.port, "r", a0 + i * bb) for i in range(tb // bb)):
                    return Err.DMA_RD_AXI
                if int4 and kt % gk == 0:
                    sa = mm.scale + ((kt // gk) * n + nt * nc) * 2
                    res.rd_bytes[0] += bb
                    if self._beat_err(0, "r", sa):
                        return Err.DMA_RD_AXI
                if hn is not None and nt == 0:   # this row tile ran: its X words are written
                    self._write_words(rows[:, kt], hn[:, kt])
            self._write_words(dst + np.arange(m) * nt_n + nt, y[:, nt * nc:(nt + 1) * nc])
        res.macs += m * k * n
        return Err.NONE
