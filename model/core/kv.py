"""KV unit (rtl/skipopu_kvx.sv): the KV cache in HBM (KVST, model/kv.py: KvMap), the KV staging
buffer KVSB (KVST put, KVLD, KVRD) and the KV read unit with the invariance buffer (KVLD through
model/kv.py: KvSession); the KVSB and the buffer contents persist across runs."""

from __future__ import annotations

import numpy as np

from model.core.base import RunResult, UnitBase
from model.isa import FLAG_ALL, FLAG_ATTEND, FLAG_DYN, FLAG_NOHIST, FLAG_PUT, Err, Insn, Op
from model.kv import BufferConfig, KvMap, KvSession, arrival_order

PC_SHIFT = 28                      # KV port p's region starts in HBM pseudo-channel p (256 MB)


class KvUnit(UnitBase):

    def _kv_reset(self) -> None:
        cfg = self.cfg
        self.kvsb = np.zeros((cfg.KV_TOKENS, cfg.KV_ENTRY_MAX, self.lanes), dtype=np.uint16)
        self.kvsb_valid = np.zeros((cfg.KV_TOKENS, cfg.KV_ENTRY_MAX), dtype=bool)
        self.kvsb_e = 0                             # the entry size the KVSB words were put with
        self.session: KvSession | None = None
        self.ibuf: dict[int, np.ndarray] = {}       # invariance buffer slot -> entry words
        self.kv_counts = {"hbm_words": 0, "buf_words": 0, "keep_words": 0, "rounds": 0}

    def _kv_start(self, res: RunResult) -> None:
        """At every start: no KV read session (a KVLD of layer 0 starts one), counters 0."""
        self.session = None
        self.kv_counts = dict.fromkeys(self.kv_counts, 0)
        res.kv = self.kv_counts

    def _kvmap(self) -> KvMap:
        kv, cfg = self.kv, self.cfg
        return KvMap(ports=cfg.KV_PORTS, entry_bytes=kv.e * cfg.beat_bytes,
                     max_tokens=cfg.KV_TOKENS, layers=kv.layers,
                     mapping="interleaved" if kv.interleaved else "token",
                     port_base=tuple((p << PC_SHIFT) + kv.off for p in range(cfg.KV_PORTS)),
                     word_bytes=cfg.beat_bytes)

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

    def _kvcfg_applied(self) -> None:
        """After a KVCFG: a new entry size E invalidates every KVSB word (the RTL's bank
        mapping depends on E; docs/isa.md). The same E keeps the contents."""
        if self.kv.e != self.kvsb_e:
            self.kvsb_valid[:] = False
            self.kvsb_e = self.kv.e

    def exec_kv(self, insn: Insn, res: RunResult, pc: int) -> Err:
        return {Op.KVST: self._kvst, Op.KVLD: self._kvld,
                Op.KVRD: self._kvrd}[Op(insn.op)](insn, res, pc)

    def _kvst(self, insn: Insn, res: RunResult, pc: int) -> Err:
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
                self._check_weight_write(addr, k * bb, pc, "KVST")
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

    def _kvld(self, insn: Insn, res: RunResult, pc: int) -> Err:
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

        def bits(w: int) -> np.ndarray:
            return np.array([(w >> t) & 1 for t in range(t_n)], dtype=bool)

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

    def _kvrd(self, insn: Insn, res: RunResult, pc: int) -> Err:
        e, a0, n = self.kv.e, insn.f1 & 0xFFFF, insn.len
        if not self.kvsb_valid[a0:a0 + n, :e].all():
            raise ValueError(f"pc {pc}: KVRD reads KV staging buffer words never written")
        self._write_words(insn.f0 + np.arange(n * e), self.kvsb[a0:a0 + n, :e].reshape(n * e, -1))
        return Err.NONE
