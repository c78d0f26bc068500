"""MATMUL engine (rtl/skipopu_mm.sv fed by the weight access unit rtl/skipopu_wstream.sv):
Y = X . W on the PE-array model (model/pe.py). The operand stream (per column tile: the INT4
scale block, then the weight tiles; docs/isa.md "MATMUL") is read striped over every HBM port
(model/stripe.py) and consumed chunk by chunk; the first chunk with an error beat stops the
engine after it. The prefetch rules (PF against the WFETCH queue head) come first; the fused
RMSNorm of the norm flag (MMNORM registers) normalises the rows as the first column tile
streams in."""

from __future__ import annotations

import numpy as np

from model.core.base import RunResult, UnitBase
from model.isa import FLAG_DYN, FLAG_INT4, FLAG_NORM, FLAG_PF, Err, Insn
from model.pe import matmul
from model.stripe import PC_BYTES, unpack


class MatmulUnit(UnitBase):

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

    def read_stream(self, base: int, chunks: int) -> tuple[bytes, int | None]:
        """The operand stream of ``chunks`` chunks at offset ``base`` of every HBM port's
        pseudo-channel, in stream order (what the weight access unit hands out), and the index
        of the first chunk holding an error beat (RRESP or a misplaced RLAST on any of its
        words, on any port), None if there is none."""
        cfg = self.cfg
        P, bb, cw = cfg.NUM_HBM, cfg.beat_bytes, cfg.chunk_words
        pp = chunks * cfg.port_chunk_bytes
        runs = [self.mems[p + 1].read(p * PC_BYTES + base, pp) for p in range(P)]
        data = unpack(runs, cfg.stripe)
        first = None
        words = pp // bb
        for src, kind, lo, hi in self.errors:
            if kind not in ("r", "rlast") or not isinstance(src, int) or not 1 <= src <= P:
                continue
            p = src - 1
            start = p * PC_BYTES + base
            j0 = max(0, (lo - start) // bb)              # port p's words meeting [lo, hi)
            j1 = min(words, -(-(hi - start) // bb))
            if j0 < j1:
                c = (j0 * P + p) // cw
                first = c if first is None else min(first, c)
        return data, first

    def decode_stream(self, data: bytes, k: int, n: int, int4: bool, group: int):
        """W [K, N] (FP16 bits or INT4 values) and the INT4 scales [K/group, N] (FP16 bits;
        None for FP16) from an operand stream (docs/isa.md)."""
        cfg = self.cfg
        kd, nc, cb = cfg.kdim, cfg.ncol, cfg.chunk_bytes
        kt_n, nt_n = k // kd, n // nc
        sb = cfg.scale_chunks(k, group) if int4 else 0
        per = sb + kt_n if int4 else 4 * kt_n               # chunks per column tile
        arr = np.frombuffer(data, dtype=np.uint8)[:nt_n * per * cb].reshape(nt_n, per * cb)
        if not int4:
            t = arr.view("<u2").reshape(nt_n, kt_n, kd, nc)
            return t.transpose(1, 2, 0, 3).reshape(k, n).astype(np.int64), None
        rows = k // group
        sc = np.ascontiguousarray(arr[:, :sb * cb]).view("<u2")[:, :rows * nc]
        scales = sc.reshape(nt_n, rows, nc).transpose(1, 0, 2).reshape(rows, n)
        t = arr[:, sb * cb:].reshape(nt_n, kt_n, kd * nc // 2).astype(np.int64)
        nib = np.stack([t & 15, t >> 4], axis=-1).reshape(nt_n, kt_n, kd, nc)
        q = np.where(nib >= 8, nib - 16, nib)
        return q.transpose(1, 2, 0, 3).reshape(k, n), scales.astype(np.int64)

    def _prefetch_rule(self, insn: Insn, chunks: int) -> Err:
        """PF: the stream must be the WFETCH queue head, which leaves the queue; without PF the
        queue must be empty (docs/isa.md "WFETCH")."""
        if insn.flags & FLAG_PF:
            if not self.wq or self.wq[0] != (insn.mem_addr, chunks):
                return Err.WFETCH
            self.wq.popleft()
        elif self.wq:
            return Err.WFETCH
        return Err.NONE

    def exec_matmul(self, insn: Insn, res: RunResult, pc: int) -> Err:
        """Y = X . W; M = CNT with the dyn flag (control has checked the bound and skipped
        CNT = 0). Norm flag: X is the fused RMSNorm of the selected residual rows, written to
        the X region word by word as the first column tile's row tiles run (docs/isa.md)."""
        cfg, mm = self.cfg, self.mm
        kd, nc, lanes = cfg.kdim, cfg.ncol, cfg.lanes
        int4 = bool(insn.flags & FLAG_INT4)
        m = self.cnt if insn.flags & FLAG_DYN else insn.len
        k, n, group = mm.k, mm.n, mm.group if int4 else 0
        kt_n, nt_n, ow = k // kd, n // nc, n // lanes
        chunks = cfg.mm_chunks(k, n, int4, group)
        err = self._prefetch_rule(insn, chunks)
        if err != Err.NONE:
            return err
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
        data, first = self.read_stream(insn.mem_addr, chunks)
        w, scales = self.decode_stream(data, k, n, int4, group)
        y = matmul(x, w, kd, "int4" if int4 else "fp16", scales, group or None)
        # the engine consumes the chunks in stream order and stops after the first failing one:
        # the column tiles completed before it are written, the failing chunk is counted
        consumed = chunks if first is None else first + 1
        for p in range(1, cfg.NUM_HBM + 1):
            res.rd_bytes[p] += consumed * cfg.port_chunk_bytes
        per = chunks // nt_n
        cols = nt_n if first is None else first // per        # column tiles completed
        if hn is not None:                                    # row tiles of column tile 0 run
            sb = cfg.scale_chunks(k, group) if int4 else 0
            done = kt_n if first is None else \
                min(kt_n, max(0, first - sb) if int4 else first // 4)
            if done:
                self._write_words(rows[:, :done].reshape(-1), hn[:, :done].reshape(-1, lanes))
        r = nc // lanes
        for nt in range(cols):
            addrs = dst + np.arange(m)[:, None] * ow + nt * r + np.arange(r)[None, :]
            self._write_words(addrs.reshape(-1),
                              y[:, nt * nc:(nt + 1) * nc].reshape(m * r, lanes))
        if first is not None:
            return Err.DMA_RD_AXI
        res.macs += m * k * n
        return Err.NONE
