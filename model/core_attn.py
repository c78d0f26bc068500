"""ISA revision 6 semantics of the architectural model (docs/isa.md, "KV and attention"):
KVCFG/KVST/KVLD/KVRD (the KV cache in HBM, the KV staging buffer KVSB, the invariance buffer
through ``model.kv.KvSession``), ATTCFG/QK/SMNORM/SMFEAT/PV (attention with online-softmax
features, paper 3.2), ARGMAX and the revision-6 ROPE.

``AttnUnit`` is mixed into ``model.core.CoreModel``; its methods return an ``Err`` (NONE or a
run-time error) and account their memory traffic in the ``RunResult``.
"""

from __future__ import annotations

import numpy as np

from model import npe as N
from model.isa import (FLAG_ALL, FLAG_ATTEND, FLAG_DYN, FLAG_MASK, FLAG_NOFEAT, FLAG_NOHIST,
                       FLAG_PUT, Err, Insn, Op)
from model.kv import BufferConfig, KvMap, KvSession, arrival_order
from model.pe import matmul

PC_SHIFT = 28                      # KV port p's region starts in HBM pseudo-channel p (256 MB)


def _word_int(w) -> int:
    return int.from_bytes(np.asarray(w, dtype="<u2").tobytes(), "little")


class AttnUnit:
    """State and instructions of revision 6 (mixed into CoreModel)."""

    def _attn_reset(self) -> None:
        cfg = self.cfg
        lanes = cfg.DATA_W // 16
        self.kvsb = np.zeros((cfg.KV_TOKENS, cfg.KV_ENTRY_MAX, lanes), dtype=np.uint16)
        self.kvsb_valid = np.zeros((cfg.KV_TOKENS, cfg.KV_ENTRY_MAX), dtype=bool)
        self.kvsb_e = 0                             # the entry size the KVSB words were put with
        self.feat: list[tuple[int, int] | None] = [None] * cfg.SMAX_ROWS
        self.session: KvSession | None = None
        self.ibuf: dict[int, np.ndarray] = {}       # invariance buffer slot -> entry words
        self.kv_counts = {"hbm_words": 0, "buf_words": 0, "keep_words": 0, "rounds": 0}

    # -- helpers ---------------------------------------------------------------------------
    def _kvmap(self) -> KvMap:
        kv, cfg = self.kv, self.cfg
        return KvMap(ports=cfg.KV_PORTS, entry_bytes=kv.e * cfg.beat_bytes,
                     max_tokens=cfg.KV_TOKENS, layers=kv.layers,
                     mapping="interleaved" if kv.interleaved else "token",
                     port_base=tuple((p << PC_SHIFT) + kv.off for p in range(cfg.KV_PORTS)),
                     word_bytes=cfg.beat_bytes)

    def _gword(self, addr: int, pc: int, what: str) -> int:
        if not self.gbuf_valid[addr]:
            raise ValueError(f"pc {pc}: {what} word uninitialised")
        return _word_int(self.gbuf[addr])

    def _entry_pieces(self, layer: int, rank: int, token: int) -> list[tuple[int, int, int]]:
        """(KV port, byte address, words) of the entry of rank/token at layer."""
        kv, cfg = self.kv, self.cfg
        bb, kp = cfg.beat_bytes, cfg.KV_PORTS
        if not kv.interleaved:
            p, slot = rank % kp, rank // kp
            return [(p, (p << PC_SHIFT) + kv.off + (layer * (cfg.KV_TOKENS // kp) + slot)
                     * kv.e * bb, kv.e)]
        ep = kv.e // kp
        return [(p, (p << PC_SHIFT) + kv.off + (layer * cfg.KV_TOKENS + token) * ep * bb, ep)
                for p in range(kp)]

    # -- KV ----------------------------------------------------------------------------------
    def _kvcfg_applied(self) -> None:
        """After a KVCFG: a new entry size E invalidates every KVSB word (the RTL's bank
        mapping depends on E; docs/isa.md). The same E keeps the contents."""
        if self.kv.e != self.kvsb_e:
            self.kvsb_valid[:] = False
            self.kvsb_e = self.kv.e

    def _kvst(self, insn: Insn, res, pc: int) -> Err:
        cfg, kv = self.cfg, self.kv
        bb, e = cfg.beat_bytes, kv.e
        n, fl = insn.len, insn.flags
        src, layer = insn.f0 & 0xFFFF, (insn.f1 >> 16) & 0xFF
        st = insn.f1 >> 24 or e
        pos0 = insn.f2 & 0xFFFF
        if fl & FLAG_ALL:
            rows = list(range(n))
        else:
            mask = self._gword(insn.f0 >> 16, pc, "KVST mask")
            rows = [m for m in range(n) if mask >> m & 1]
        base = 0 if fl & FLAG_NOHIST else bin(self._gword(insn.f1 & 0xFFFF, pc,
                                                          "KVST history")).count("1")
        if base + len(rows) > cfg.KV_TOKENS:
            return Err.KV_RANK
        failed = False
        for j, m in enumerate(rows):
            words = self._rows(src + j * st, 1, e, pc, "KVST entry").reshape(e, -1)
            t = pos0 + m
            off = 0
            for p, addr, k in self._entry_pieces(layer, base + j, t):
                data = words[off:off + k].astype("<u2").tobytes()
                for i in range(k):
                    a = addr + i * bb
                    if self._beat_err(p + 1, "w", a):
                        failed = True
                    else:
                        self.mems[p + 1].write(a, data[i * bb:(i + 1) * bb])
                res.wr_bytes[p + 1] += k * bb
                off += k
            if fl & FLAG_PUT:
                self.kvsb[t, :e] = words
                self.kvsb_valid[t, :e] = True
        return Err.DMA_WR_AXI if failed else Err.NONE

    def _kvld(self, insn: Insn, res, pc: int) -> Err:
        cfg, kv = self.cfg, self.kv
        bb, e, kp = cfg.beat_bytes, kv.e, cfg.KV_PORTS
        t_n, layer = insn.len, insn.f1 & 0xFF
        if layer == 0:
            self.session = KvSession(self._kvmap(), BufferConfig(
                capacity=cfg.KV_BUF_CAP, read_ports=cfg.KV_BUF_RD, write_ports=cfg.KV_BUF_WR,
                enabled=kv.buf))
            self.ibuf = {}
        elif self.session is None or self.session.next_layer != layer:
            return Err.KV_SEQ
        attend = (self.cnt != 0) if insn.flags & FLAG_DYN else bool(insn.flags & FLAG_ATTEND)
        bits = lambda w: np.array([(w >> t) & 1 for t in range(t_n)], dtype=bool)  # noqa: E731
        ex = bits(self._gword(insn.f0 & 0xFFFF, pc, "KVLD exec"))
        has_next = layer + 1 < kv.layers
        nx = bits(self._gword(insn.f0 >> 16, pc, "KVLD next")) if has_next else \
            np.zeros(t_n, dtype=bool)
        sched = self.session.layer(layer, t_n, ex, nx, has_next, attend)
        if sched is None:
            return Err.NONE
        failed = False
        for a, f in enumerate(arrival_order(sched, kp)):
            if f.source == "buf":
                words = self.ibuf[f.slot]
                self.kv_counts["buf_words"] += e
            else:
                chunks = []
                pieces = [(f.port, (f.port << PC_SHIFT) + kv.off +
                           (f.layer * (cfg.KV_TOKENS // kp) + f.hslot) * e * bb, e)] \
                    if not kv.interleaved else self._entry_pieces(f.layer, 0, f.token)
                for p, addr, k in pieces:
                    raw = bytearray(self.mems[p + 1].read(addr, k * bb))
                    for i in range(k):
                        if self._beat_err(p + 1, "r", addr + i * bb):
                            failed = True
                            if self._beat_zero(p + 1, addr + i * bb):
                                raw[i * bb:(i + 1) * bb] = bytes(bb)
                    chunks.append(np.frombuffer(bytes(raw), dtype="<u2").reshape(k, -1))
                    res.rd_bytes[p + 1] += k * bb
                words = np.concatenate(chunks)
                self.kv_counts["hbm_words"] += e
                if f.keep:
                    self.ibuf[f.slot] = words.copy()
                    self.kv_counts["keep_words"] += e
            self.kvsb[a, :e] = words
            self.kvsb_valid[a, :e] = True
        self.kv_counts["rounds"] += len(sched.rounds)
        return Err.DMA_RD_AXI if failed else Err.NONE

    def _kvrd(self, insn: Insn, pc: int) -> Err:
        e, a0, n = self.kv.e, insn.f1 & 0xFFFF, insn.len
        if not self.kvsb_valid[a0:a0 + n, :e].all():
            raise ValueError(f"pc {pc}: KVRD reads KV staging buffer words never written")
        out = insn.f0 + np.arange(n * e)
        self.gbuf[out] = self.kvsb[a0:a0 + n, :e].reshape(n * e, -1)
        self.gbuf_valid[out] = True
        return Err.NONE

    # -- attention ---------------------------------------------------------------------------
    def _att_rows(self, insn: Insn, pc: int):
        """(Mq, groups, rep, j0, per-row query positions or None, valid [R, NT*NCOL])."""
        att, cfg = self.att, self.cfg
        n, j0 = insn.len, insn.f2 & 0xFFFF
        mq = min(n, max(0, self.cnt - j0)) if insn.flags & FLAG_DYN else n
        g0, ng = (insn.f1 >> 16) & 0xFF, insn.f1 >> 24
        groups = list(range(g0, g0 + (ng or att.kvh)))
        rep = att.h // att.kvh
        nt = -(-att.nk // cfg.ncol)
        keys = np.arange(nt * cfg.ncol)
        valid_q = np.tile(keys < att.nk, (mq, 1))
        pos = None
        if att.causal and insn.op != Op.PV and mq:
            mask = self._gword(insn.f0 >> 16, pc, "attention mask")
            sel = [i for i in range(cfg.DATA_W) if mask >> i & 1]
            if len(sel) < j0 + mq:
                return None
            pos = np.array(sel[j0:j0 + mq])
            valid_q &= keys[None, :] <= pos[:, None]
        # rows r = (g - g0) * Mg + m, m = j * rep + i (head g * rep + i)
        valid = np.tile(np.repeat(valid_q, rep, axis=0), (len(groups), 1))
        return mq, groups, rep, j0, pos, valid

    def _kv_operand(self, part: int, g: int, nk_pad: int) -> np.ndarray:
        """K (part 0) or V (part 1) of KV head g for keys 0..nk_pad-1 from the KVSB, FP16 bits
        [keys, head_dim]; keys >= NK (and words never written) read as +0."""
        att = self.att
        w0 = part * att.kvh * att.hw + g * att.hw
        out = np.zeros((nk_pad, att.hw, self.cfg.DATA_W // 16), dtype=np.int64)
        nk = att.nk
        if not self.kvsb_valid[:nk, w0:w0 + att.hw].all():
            bad = np.argwhere(~self.kvsb_valid[:nk, w0:w0 + att.hw])[0]
            raise ValueError(f"attention reads KV staging buffer entry {bad[0]} (word "
                             f"{w0 + bad[1]}) never written")
        out[:nk] = self.kvsb[:nk, w0:w0 + att.hw]
        return out.reshape(nk_pad, -1)

    def _score_addr(self, nt: int, r: int, rows: int) -> int:
        return self.att.sbase + (nt * rows + r) * self.cfg.beat_bytes

    def _qk(self, insn: Insn, res, pc: int) -> Err:
        cfg, att = self.cfg, self.att
        got = self._att_rows(insn, pc)
        if got is None:
            return Err.NPE_MASK
        mq, groups, rep, j0, _, valid = got
        if mq == 0:
            return Err.NONE
        lanes, bb, hw = cfg.DATA_W // 16, cfg.beat_bytes, att.hw
        nt = -(-att.nk // cfg.ncol)
        mg, rows = rep * mq, len(groups) * rep * mq
        q0 = insn.f0 & 0xFFFF
        fbase = insn.f1 & 0xFFFF
        scores = np.zeros((rows, nt * lanes), dtype=np.int64)
        for gi, g in enumerate(groups):
            x = np.zeros((mg, hw * lanes), dtype=np.int64)
            for m in range(mg):
                j, h = m // rep, g * rep + m % rep
                x[m] = self._rows(q0 + (j0 + j) * att.qs + h * hw, 1, hw, pc, "QK query")[0]
            k = self._kv_operand(0, g, nt * lanes)            # [keys, hd]
            scores[gi * mg:(gi + 1) * mg] = matmul(x, k.T, cfg.kdim, "fp16")
        ddr = self.mems[0]
        failed = False                     # a beat with an error response is not written
        for n_ in range(nt):
            for r in range(rows):
                w = scores[r, n_ * lanes:(n_ + 1) * lanes].astype("<u2").tobytes()
                a = self._score_addr(n_, r, rows)
                if self._beat_err(0, "w", a):
                    failed = True
                else:
                    ddr.write(a, w)
        res.wr_bytes[0] += nt * rows * bb
        res.macs += rows * att.nk * hw * lanes
        if not insn.flags & FLAG_NOFEAT:
            self._features(scores, valid, fbase)
        return Err.DMA_WR_AXI if failed else Err.NONE

    def _features(self, scores, valid, fbase: int) -> None:
        lanes = self.cfg.DATA_W // 16
        m32, l32 = N.softmax_features(scores, lanes, valid)
        for r in range(scores.shape[0]):
            self.feat[fbase + r] = (int(m32[r]), int(l32[r]))

    def _read_scores(self, rows: int, nt: int, res) -> tuple[np.ndarray, bool]:
        """Score words of the area, and whether a beat failed (it reads as zeros, the slave's
        data with SLVERR, as for LOAD)."""
        cfg = self.cfg
        lanes, bb = cfg.DATA_W // 16, cfg.beat_bytes
        out = np.zeros((rows, nt * lanes), dtype=np.int64)
        failed = False
        for n_ in range(nt):
            for r in range(rows):
                a = self._score_addr(n_, r, rows)
                if self._beat_err(0, "r", a):
                    failed = True
                    if self._beat_zero(0, a):
                        continue
                raw = self.mems[0].read(a, bb)
                out[r, n_ * lanes:(n_ + 1) * lanes] = np.frombuffer(raw, dtype="<u2")
        res.rd_bytes[0] += nt * rows * bb
        return out, failed

    def _smnorm(self, insn: Insn, res, pc: int) -> Err:
        cfg, att = self.cfg, self.att
        got = self._att_rows(insn, pc)
        if got is None:
            return Err.NPE_MASK
        mq, groups, rep, _, _, valid = got
        if mq == 0:
            return Err.NONE
        lanes = cfg.DATA_W // 16
        nt = -(-att.nk // cfg.ncol)
        rows = len(groups) * rep * mq
        s, failed = self._read_scores(rows, nt, res)
        err = Err.DMA_RD_AXI if failed else Err.NONE
        fbase = insn.f1 & 0xFFFF
        if insn.op == Op.SMFEAT:
            self._features(s, valid, fbase)
            return err
        feats = [self.feat[fbase + r] for r in range(rows)]
        if any(f is None for f in feats):
            raise ValueError(f"pc {pc}: SMNORM reads softmax features never computed")
        p = N.softmax_normalize(s, np.array([f[0] for f in feats]),
                                np.array([f[1] for f in feats]), lanes, valid)
        dst = insn.f0 & 0xFFFF
        for n_ in range(nt):
            out = dst + n_ * rows + np.arange(rows)
            self.gbuf[out] = p[:, n_ * lanes:(n_ + 1) * lanes]
            self.gbuf_valid[out] = True
        return err

    def _pv(self, insn: Insn, res, pc: int) -> Err:
        cfg, att = self.cfg, self.att
        mq, groups, rep, j0, _, _ = self._att_rows(insn, pc)
        if mq == 0:
            return Err.NONE
        lanes, hw = cfg.DATA_W // 16, att.hw
        nt = -(-att.nk // cfg.ncol)
        mg, rows = rep * mq, len(groups) * rep * mq
        pb, ob, os_ = insn.f0 & 0xFFFF, insn.f0 >> 16, insn.f1 & 0xFFFF
        for gi, g in enumerate(groups):
            x = np.zeros((mg, nt * lanes), dtype=np.int64)
            for m in range(mg):
                r = gi * mg + m
                x[m] = self._rows(pb + r, 1, 1, pc, "PV probabilities")[0] if nt == 1 else \
                    np.concatenate([self._rows(pb + n_ * rows + r, 1, 1, pc,
                                               "PV probabilities")[0] for n_ in range(nt)])
            v = self._kv_operand(1, g, nt * lanes)            # [keys, hd]
            o = matmul(x, v, cfg.kdim, "fp16")               # [Mg, hd]
            for m in range(mg):
                j, h = m // rep, g * rep + m % rep
                out = ob + (j0 + j) * os_ + h * hw + np.arange(hw)
                self.gbuf[out] = o[m].reshape(hw, lanes)
                self.gbuf_valid[out] = True
        res.macs += rows * att.nk * hw * lanes
        return Err.NONE

    def _argmax(self, insn: Insn, pc: int) -> Err:
        """First maximum of len words of FP16 values (word-major, lane-minor); order: DAZ,
        -0 = +0, NaN below everything (an all-NaN input gives index 0)."""
        src, dst = insn.f0 & 0xFFFF, insn.f0 >> 16
        v = self._rows(src, insn.len, 1, pc, "ARGMAX").reshape(-1)
        mag = np.where(v & 0x7C00, v & 0x7FFF, 0)
        key = np.where(v & 0x8000, -mag, mag)
        nan = ((v & 0x7C00) == 0x7C00) & ((v & 0x3FF) != 0)
        key = np.where(nan, -(1 << 20), key)
        i = int(np.argmax(key))
        word = np.zeros(self.cfg.DATA_W // 16, dtype=np.uint16)
        word[0], word[1] = i, v[i]
        self.gbuf[dst] = word
        self.gbuf_valid[dst] = True
        return Err.NONE

    def _rope6(self, insn: Insn, pc: int) -> Err:
        """ROPE with revision-6 fields (words, stride, dyn)."""
        d, hw = self.npe.d, self.npe.hw
        n = insn.len
        if insn.flags & FLAG_DYN:
            if self.cnt > n:
                return Err.DYN_LEN
            n = self.cnt
            if n == 0:
                return Err.NONE
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
            out = hi + m * st + np.arange(w)
            self.gbuf[out] = y[m].reshape(w, -1)
            self.gbuf_valid[out] = True
        return Err.NONE

    def exec_rev6(self, insn: Insn, res, pc: int) -> Err:
        op = insn.op
        if op == Op.KVST:
            return self._kvst(insn, res, pc)
        if op == Op.KVLD:
            return self._kvld(insn, res, pc)
        if op == Op.KVRD:
            return self._kvrd(insn, pc)
        if op == Op.QK:
            return self._qk(insn, res, pc)
        if op in (Op.SMNORM, Op.SMFEAT):
            return self._smnorm(insn, res, pc)
        if op == Op.PV:
            return self._pv(insn, res, pc)
        if op == Op.ARGMAX:
            return self._argmax(insn, pc)
        raise AssertionError(op)

