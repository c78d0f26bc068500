"""Attention unit (rtl/skipopu_att.sv with the MATMUL engine's QK/PV modes and the online-softmax
engine): QK (scores to the DDR score area, online-softmax features), SMNORM / SMFEAT (the score
area read back: probabilities / features) and PV, with K and V from the KV staging buffer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model import npe as N
from model.core.base import RunResult, UnitBase
from model.isa import FLAG_DYN, FLAG_NOFEAT, Err, Insn, Op
from model.pe import matmul


@dataclass
class AttRows:
    """The rows of one attention instruction: Mq query tokens (compact rows j0..), the KV groups
    and n_rep heads per group; row r = (g - g0) * mg + m with m = j * rep + i (head g*rep + i);
    ``valid`` [rows, nt*LANES] = the lanes a row attends to (key < NK, causal)."""
    mq: int
    groups: list[int]
    rep: int
    j0: int
    nt: int
    valid: np.ndarray

    @property
    def mg(self) -> int:
        return self.rep * self.mq

    @property
    def rows(self) -> int:
        return len(self.groups) * self.mg


class AttentionUnit(UnitBase):
    # softmax feature rows (m, l) as FP32 bits; None = never computed (persist across runs)
    feat: list

    def _att_reset(self) -> None:
        self.feat = [None] * self.cfg.SMAX_ROWS

    def exec_attention(self, insn: Insn, res: RunResult, pc: int) -> Err:
        """The rows (NPE_MASK when a causal mask has too few set bits; nothing at all when a dyn
        instruction has no rows), then the instruction."""
        a = self._att_rows(insn, pc)
        if a is None:
            return Err.NPE_MASK
        if a.mq == 0:
            return Err.NONE
        return {Op.QK: self._qk, Op.SMNORM: self._smnorm, Op.SMFEAT: self._smnorm,
                Op.PV: self._pv}[Op(insn.op)](insn, a, res, pc)

    def _att_rows(self, insn: Insn, pc: int) -> AttRows | None:
        att, cfg = self.att, self.cfg
        n, j0 = insn.len, insn.f2 & 0xFFFF
        mq = min(n, max(0, self.cnt - j0)) if insn.flags & FLAG_DYN else n
        g0, ng = (insn.f1 >> 16) & 0xFF, insn.f1 >> 24
        groups = list(range(g0, g0 + (ng or att.kvh)))
        rep = att.h // att.kvh
        nt = -(-att.nk // cfg.lanes)           # key tiles of LANES keys (docs/isa.md)
        keys = np.arange(nt * cfg.lanes)
        valid_q = np.tile(keys < att.nk, (mq, 1))
        if att.causal and insn.op != Op.PV and mq:
            mask = self._gword(insn.f0 >> 16, pc, "attention mask")
            sel = [i for i in range(cfg.DATA_W) if mask >> i & 1]
            if len(sel) < j0 + mq:
                return None
            pos = np.array(sel[j0:j0 + mq])
            valid_q &= keys[None, :] <= pos[:, None]
        valid = np.tile(np.repeat(valid_q, rep, axis=0), (len(groups), 1))
        return AttRows(mq, groups, rep, j0, nt, valid)

    def _kv_operand(self, part: int, g: int, nk_pad: int) -> np.ndarray:
        """K (part 0) or V (part 1) of KV head g for keys 0..nk_pad-1 from the KVSB, FP16 bits
        [keys, head_dim]; keys >= NK read as +0."""
        att = self.att
        w0 = part * att.kvh * att.hw + g * att.hw
        out = np.zeros((nk_pad, att.hw, self.lanes), dtype=np.int64)
        nk = att.nk
        if not self.kvsb_valid[:nk, w0:w0 + att.hw].all():
            bad = np.argwhere(~self.kvsb_valid[:nk, w0:w0 + att.hw])[0]
            raise ValueError(f"attention reads KV staging buffer entry {bad[0]} (word "
                             f"{w0 + bad[1]}) never written")
        out[:nk] = self.kvsb[:nk, w0:w0 + att.hw]
        return out.reshape(nk_pad, -1)

    def _score_addr(self, nt: int, r: int, rows: int) -> int:
        return self.att.sbase + (nt * rows + r) * self.cfg.beat_bytes

    def _features(self, scores, valid, fbase: int) -> None:
        m32, l32 = N.softmax_features(scores, self.lanes, valid)
        for r in range(scores.shape[0]):
            self.feat[fbase + r] = (int(m32[r]), int(l32[r]))

    def _qk(self, insn: Insn, a: AttRows, res: RunResult, pc: int) -> Err:
        att, lanes, hw = self.att, self.lanes, self.att.hw
        q0, fbase = insn.f0 & 0xFFFF, insn.f1 & 0xFFFF
        scores = np.zeros((a.rows, a.nt * lanes), dtype=np.int64)
        for gi, g in enumerate(a.groups):
            x = np.zeros((a.mg, hw * lanes), dtype=np.int64)
            for m in range(a.mg):
                j, h = m // a.rep, g * a.rep + m % a.rep
                x[m] = self._rows(q0 + (a.j0 + j) * att.qs + h * hw, 1, hw, pc, "QK query")[0]
            k = self._kv_operand(0, g, a.nt * lanes)            # [keys, hd]
            scores[gi * a.mg:(gi + 1) * a.mg] = matmul(x, k.T, self.cfg.kdim, "fp16")
        ddr = self.mems[0]
        failed = False                     # a beat with an error response is not written
        for n_ in range(a.nt):
            for r in range(a.rows):
                w = scores[r, n_ * lanes:(n_ + 1) * lanes].astype("<u2").tobytes()
                addr = self._score_addr(n_, r, a.rows)
                if self._beat_err(0, "w", addr):
                    failed = True
                else:
                    ddr.write(addr, w)
        res.wr_bytes[0] += a.nt * a.rows * self.cfg.beat_bytes
        res.macs += a.rows * att.nk * hw * lanes
        if not insn.flags & FLAG_NOFEAT:
            self._features(scores, a.valid, fbase)
        return Err.DMA_WR_AXI if failed else Err.NONE

    def _read_scores(self, a: AttRows, res: RunResult) -> tuple[np.ndarray, bool]:
        """Score words of the area, and whether a beat failed (it reads as zeros, the slave's
        data with SLVERR, as for LOAD)."""
        lanes, bb = self.lanes, self.cfg.beat_bytes
        out = np.zeros((a.rows, a.nt * lanes), dtype=np.int64)
        failed = False
        for n_ in range(a.nt):
            for r in range(a.rows):
                addr = self._score_addr(n_, r, a.rows)
                if self._beat_err(0, "r", addr):
                    failed = True
                    if self._beat_zero(0, addr):
                        continue
                raw = self.mems[0].read(addr, bb)
                out[r, n_ * lanes:(n_ + 1) * lanes] = np.frombuffer(raw, dtype="<u2")
        res.rd_bytes[0] += a.nt * a.rows * bb
        return out, failed

    def _smnorm(self, insn: Insn, a: AttRows, res: RunResult, pc: int) -> Err:
        """SMNORM (probabilities to the buffer) and SMFEAT (features only)."""
        s, failed = self._read_scores(a, res)
        err = Err.DMA_RD_AXI if failed else Err.NONE
        fbase = insn.f1 & 0xFFFF
        if insn.op == Op.SMFEAT:
            self._features(s, a.valid, fbase)
            return err
        feats = [self.feat[fbase + r] for r in range(a.rows)]
        if any(f is None for f in feats):
            raise ValueError(f"pc {pc}: SMNORM reads softmax features never computed")
        p = N.softmax_normalize(s, np.array([f[0] for f in feats]),
                                np.array([f[1] for f in feats]), self.lanes, a.valid)
        dst = insn.f0 & 0xFFFF
        for n_ in range(a.nt):
            self._write_words(dst + n_ * a.rows + np.arange(a.rows),
                              p[:, n_ * self.lanes:(n_ + 1) * self.lanes])
        return err

    def _pv(self, insn: Insn, a: AttRows, res: RunResult, pc: int) -> Err:
        lanes, hw = self.lanes, self.att.hw
        pb, ob, os_ = insn.f0 & 0xFFFF, insn.f0 >> 16, insn.f1 & 0xFFFF
        for gi, g in enumerate(a.groups):
            x = np.zeros((a.mg, a.nt * lanes), dtype=np.int64)
            for m in range(a.mg):
                r = gi * a.mg + m
                x[m] = np.concatenate([self._rows(pb + n_ * a.rows + r, 1, 1, pc,
                                                  "PV probabilities")[0]
                                       for n_ in range(a.nt)])
            v = self._kv_operand(1, g, a.nt * lanes)            # [keys, hd]
            o = matmul(x, v, self.cfg.kdim, "fp16")             # [Mg, hd]
            for m in range(a.mg):
                j, h = m // a.rep, g * a.rep + m % a.rep
                self._write_words(ob + (a.j0 + j) * os_ + h * hw + np.arange(hw),
                                  o[m].reshape(hw, lanes))
        res.macs += a.rows * self.att.nk * hw * lanes
        return Err.NONE
