"""Architectural model of the SkipOPU core: executes an instruction program on memory images.

This is the reference the core testbench's scoreboard compares against: final memory contents,
error code, faulting pc, retired-instruction count and bytes moved per port. Memories are
objects with ``read(addr, n) -> bytes`` and ``write(addr, data)`` (the cocotbext-axi memories
used by the testbench qualify, and so does :class:`SparseMem`).

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

Routing (docs/isa.md, revision 4): ``CoreModel.cnt`` is the CNT register (cleared at every
start, set by ROUTE); dyn MATMUL/SWIGLU run CNT rows (none, without any memory traffic, when
CNT = 0) and stop with DYN_LEN when CNT exceeds their bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.fp16 import fp16_add
from model import npe as N
from model.isa import (FLAG_COMPACT, FLAG_DYN, FLAG_FORCE, FLAG_NORM, FLAG_STATS, INSN_BYTES,
                       NPE_OPS, CONFIG_OPS, REV6_OPS, CoreConfig, Err, Insn, Op, Regs,
                       config_after)
from model.core_attn import AttnUnit
from model.pe import matmul


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
    kv: dict = field(default_factory=dict)     # revision 6: KV unit word/round counters
    # multiply-accumulates of the matrix products on unpadded operands (MATMUL M*K*N; QK and PV
    # rows * NK * head_dim each): the useful work of the PE array (docs/results.md)
    macs: int = 0


class CoreModel(AttnUnit):
    def __init__(self, cfg: CoreConfig, mems: dict[int, object], errors=()):
        self.cfg = cfg
        self.mems = mems                      # port -> memory; port 0 = DDR
        self.errors = list(errors)
        self.gbuf = np.zeros((cfg.GBUF_DEPTH, cfg.DATA_W // 16), dtype=np.uint16)
        self.gbuf_valid = np.zeros(cfg.GBUF_DEPTH, dtype=bool)
        # NPE statistics RAM (FP32 bits); None = never written (reading it is a program bug)
        self.stats: list[int | None] = [None] * cfg.NPE_ROWS
        self.cnt = 0                          # CNT register (ROUTE), cleared at every start
        self.regs = Regs()
        self._attn_reset()                    # KV staging buffer, softmax features (kept)

    # the configuration registers by name
    mm = property(lambda self: self.regs.mm)
    npe = property(lambda self: self.regs.npe)
    norm = property(lambda self: self.regs.norm)
    kv = property(lambda self: self.regs.kv)
    att = property(lambda self: self.regs.att)

    def _beat_err(self, source, kind, addr) -> bool:
        """Whether the beat at ``addr`` fails: kind "w" a write error; kind "r" a read error
        response or a misplaced RLAST (both error beats of the read)."""
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

    def run(self, prog_base: int, prog_len: int) -> RunResult:
        cfg = self.cfg
        bb = cfg.beat_bytes
        np_ = cfg.NUM_HBM + 1
        res = RunResult(Err.NONE, 0, 0, [0] * np_, [0] * np_)
        self.regs = Regs()                    # configuration registers: cleared at every start
        self.session = None                   # KV read session: a KVLD of layer 0 starts it
        self.kv_counts = dict.fromkeys(self.kv_counts, 0)
        res.kv = self.kv_counts
        self.cnt = 0                          # and CNT (executing rows of the last ROUTE)
        if (prog_len == 0 or prog_base % bb or prog_base >> cfg.ADDR_W
                or prog_base + prog_len * INSN_BYTES > (1 << cfg.ADDR_W)):
            res.err = Err.BAD_PROG
            return res
        ddr = self.mems[0]
        for pc in range(prog_len):
            addr = prog_base + pc * INSN_BYTES
            if self._beat_err("insn", "r", addr - addr % bb):
                res.err, res.err_pc = Err.FETCH_AXI, pc
                return res
            insn = Insn.from_bytes(ddr.read(addr, INSN_BYTES))
            err = self.regs.check(insn, cfg)
            if err != Err.NONE:
                res.err, res.err_pc = err, pc
                return res
            res.trace.append(f"{pc:5d}: {insn}")
            if insn.op == Op.END:
                res.retired += 1
                return res
            if insn.op == Op.NOP:
                res.retired += 1
                continue
            if insn.op in CONFIG_OPS:
                self.regs = config_after(insn, self.regs)
                if insn.op == Op.KVCFG:
                    self._kvcfg_applied()
                res.retired += 1
                continue
            if insn.op == Op.MATMUL:
                if insn.flags & FLAG_DYN and self.cnt > insn.len:
                    res.err, res.err_pc = Err.DYN_LEN, pc
                    return res
                err = self._matmul(insn, res, pc)
                if err != Err.NONE:
                    res.err, res.err_pc = err, pc
                    return res
                res.retired += 1
                continue
            if insn.op in REV6_OPS or (insn.op == Op.ROPE and cfg.ISA_REV >= 6):
                err = self._rope6(insn, pc) if insn.op == Op.ROPE else \
                    self.exec_rev6(insn, res, pc)
                if err != Err.NONE:
                    res.err, res.err_pc = err, pc
                    return res
                res.retired += 1
                continue
            if insn.op in NPE_OPS:
                if insn.op == Op.SWIGLU and insn.flags & FLAG_DYN and \
                        self.cnt > insn.f2 & 0xFFFF:
                    res.err, res.err_pc = Err.DYN_LEN, pc
                    return res
                if not self._npe(insn, pc):
                    res.err, res.err_pc = Err.NPE_MASK, pc
                    return res
                res.retired += 1
                continue
            if insn.op == Op.ROUTE:
                self._route(insn, pc)
                res.retired += 1
                continue
            if insn.op == Op.VSCAT:
                self._vscat(insn, pc)
                res.retired += 1
                continue
            if insn.op == Op.VADD:
                n = insn.len
                a = self.gbuf[insn.f1:insn.f1 + n]
                b = self.gbuf[insn.f2:insn.f2 + n]
                if not (self.gbuf_valid[insn.f1:insn.f1 + n].all()
                        and self.gbuf_valid[insn.f2:insn.f2 + n].all()):
                    raise ValueError(f"pc {pc}: VADD reads uninitialised buffer words")
                self.gbuf[insn.f0:insn.f0 + n] = fp16_add(a, b)
                self.gbuf_valid[insn.f0:insn.f0 + n] = True
                if insn.flags & 1:
                    self._snoop(insn.f0, n)
                res.retired += 1
                continue
            # LOAD / STORE
            mem = self.mems[insn.port]
            failed = False
            if insn.op == Op.LOAD:
                raw = mem.read(insn.mem_addr, insn.len * bb)
                words = np.frombuffer(raw, dtype="<u2").reshape(insn.len, -1).copy()
                for i in range(insn.len):
                    if self._beat_err(insn.port, "r", insn.mem_addr + i * bb):
                        failed = True
                        if self._beat_zero(insn.port, insn.mem_addr + i * bb):
                            words[i] = 0      # the slave returns zeros with SLVERR/DECERR
                self.gbuf[insn.f0:insn.f0 + insn.len] = words
                self.gbuf_valid[insn.f0:insn.f0 + insn.len] = True
                if insn.flags & 1:
                    self._snoop(insn.f0, insn.len)
                res.rd_bytes[insn.port] += insn.len * bb
            else:
                if not self.gbuf_valid[insn.f0:insn.f0 + insn.len].all():
                    raise ValueError(f"pc {pc}: STORE reads uninitialised buffer words")
                data = self.gbuf[insn.f0:insn.f0 + insn.len].astype("<u2").tobytes()
                for i in range(insn.len):
                    a = insn.mem_addr + i * bb
                    if self._beat_err(insn.port, "w", a):
                        failed = True
                    else:
                        mem.write(a, data[i * bb:(i + 1) * bb])
                res.wr_bytes[insn.port] += insn.len * bb
            if failed:
                res.err = Err.DMA_RD_AXI if insn.op == Op.LOAD else Err.DMA_WR_AXI
                res.err_pc = pc
                return res
            res.retired += 1
        res.err, res.err_pc = Err.PROG_OVERRUN, prog_len
        return res

    # -- NPE -------------------------------------------------------------------------------------
    def _rows(self, base: int, m: int, d: int, pc: int, what: str) -> np.ndarray:
        idx = base + np.arange(m * d)
        if not self.gbuf_valid[idx].all():
            raise ValueError(f"pc {pc}: {what} reads uninitialised buffer words")
        return self.gbuf[idx].reshape(m, -1).astype(np.int64)

    def _stats_of(self, x: np.ndarray) -> list[int]:
        return [int(v) for v in N.rms_stats(x, self.cfg.DATA_W // 16, self.npe.inv_d,
                                            self.npe.eps)]

    def _snoop(self, base: int, n: int) -> None:
        """LOAD/VADD with the statistics flag: RMS statistics of the rows written."""
        d = self.npe.d
        r = self._stats_of(self.gbuf[base:base + n].reshape(n // d, -1).astype(np.int64))
        self.stats[self.npe.snoop:self.npe.snoop + n // d] = r

    def _mask(self, insn: Insn, pc: int) -> int:
        if not self.gbuf_valid[insn.f2]:
            raise ValueError(f"pc {pc}: mask word uninitialised")
        return int.from_bytes(self.gbuf[insn.f2].astype("<u2").tobytes(), "little")

    def _npe(self, insn: Insn, pc: int) -> bool:
        """Executes an NPE instruction; False on a runtime NPE_MASK error (nothing written)."""
        d, m = self.npe.d, insn.len
        op = insn.op
        if op == Op.RMSSQ:
            self.stats[insn.f1:insn.f1 + m] = self._stats_of(self._rows(insn.f0, m, d, pc,
                                                                        "RMSSQ"))
            return True
        if op == Op.SWIGLU:
            if insn.flags & FLAG_DYN:         # len = words per row, CNT rows (0: nothing)
                m *= self.cnt
                if m == 0:
                    return True
            src = self._rows(insn.f1, m, 2, pc, "SWIGLU")
            self.gbuf[insn.f0:insn.f0 + m] = N.swiglu(src[:, :src.shape[1] // 2],
                                                      src[:, src.shape[1] // 2:])
            self.gbuf_valid[insn.f0:insn.f0 + m] = True
            return True
        src, dst = insn.f0 & 0xFFFF, insn.f0 >> 16
        masked = bool(insn.flags & 1)
        mask = self._mask(insn, pc) if masked else (1 << m) - 1
        if op == Op.RMSNORM:
            stat = insn.f1 >> 16
            w = self._rows(insn.f1 & 0xFFFF, 1, d, pc, "RMSNORM weight")[0]
            rows = [r for r in range(m) if mask >> r & 1]
            compact = bool(insn.flags & FLAG_COMPACT)
            for j, r in enumerate(rows):
                rv = self.stats[stat + r]
                if rv is None:
                    raise ValueError(f"pc {pc}: RMSNORM row {r} has no statistics")
                x = self._rows(src + r * d, 1, d, pc, "RMSNORM")
                out = dst + (j if compact else r) * d + np.arange(d)
                self.gbuf[out] = N.rmsnorm_apply(x, np.array([rv]), w).reshape(d, -1)
                self.gbuf_valid[out] = True
            return True
        # ROPE
        hw = self.npe.hw
        if masked and bin(mask).count("1") < m:
            return False
        pos = N.mask_positions(mask, m)
        x = self._rows(src, m, d, pc, "ROPE")
        rot = np.stack([self._rows(insn.f1 + p * hw, 1, hw, pc, "ROPE table")[0] for p in pos])
        rot = np.tile(rot, (1, d // hw))
        y = N.rope(x, rot)
        out = dst + np.arange(m * d)
        self.gbuf[out] = y.reshape(m * d, -1)
        self.gbuf_valid[out] = True
        return True

    # -- routing ---------------------------------------------------------------------------------
    def _route(self, insn: Insn, pc: int) -> None:
        """ROUTE: mask word of the executing rows, CNT = their number (docs/isa.md)."""
        m = insn.len
        src, dst = insn.f0 & 0xFFFF, insn.f0 >> 16
        pair, bias = insn.f1 & 0xFFFF, insn.f1 >> 16
        if insn.flags & FLAG_FORCE:           # logits and bias are not read
            ex = np.ones(m, dtype=bool)
        else:
            x = self._rows(src, m, 1, pc, "ROUTE logits")
            b = self._rows(bias, 1, 1, pc, "ROUTE bias")[0]
            a = fp16_add(x[:, 2 * pair], b[2 * pair])
            c = fp16_add(x[:, 2 * pair + 1], b[2 * pair + 1])
            ex = ~fp16_gt(c, a)
        mask = sum(1 << i for i in np.flatnonzero(ex).tolist())
        self.gbuf[dst] = np.frombuffer(mask.to_bytes(self.cfg.beat_bytes, "little"), dtype="<u2")
        self.gbuf_valid[dst] = True
        self.cnt = int(ex.sum())

    def _vscat(self, insn: Insn, pc: int) -> None:
        """VSCAT: x row m += y row j (j-th selected row) where the mask selects m; the other
        rows are rewritten unchanged; statistics of all len rows with the flag."""
        d, m = self.npe.d, insn.len
        mask = self._mask(insn, pc)
        x = self._rows(insn.f0, m, d, pc, "VSCAT x")
        sel = [r for r in range(m) if mask >> r & 1]
        if sel:
            y = self._rows(insn.f1, len(sel), d, pc, "VSCAT y")
            x[sel] = fp16_add(x[sel], y)
        out = insn.f0 + np.arange(m * d)
        self.gbuf[out] = x.reshape(m * d, -1)
        self.gbuf_valid[out] = True
        if insn.flags & FLAG_STATS:
            r = self._stats_of(x)
            self.stats[self.npe.snoop:self.npe.snoop + m] = r

    def weight_tile_words(self, int4: bool) -> int:
        return self.cfg.kdim // 4 if int4 else self.cfg.kdim

    def _fused_norm(self, m: int, pc: int) -> np.ndarray | None:
        """MATMUL norm flag: the RMSNorm of the first m rows the MMNORM mask selects (among the
        first n residual rows), [m, D words, lanes]; None if the mask selects fewer than m
        rows (NPE_MASK)."""
        nr, d = self.norm, self.npe.d
        if not self.gbuf_valid[nr.mask]:
            raise ValueError(f"pc {pc}: MATMUL norm mask word uninitialised")
        mask = int.from_bytes(self.gbuf[nr.mask].astype("<u2").tobytes(), "little")
        rows = [r for r in range(nr.n) if mask >> r & 1][:m]
        if len(rows) < m:
            return None
        w = self._rows(nr.w, 1, d, pc, "MATMUL norm weight")[0]
        out = []
        for r in rows:
            rv = self.stats[nr.stat + r]
            if rv is None:
                raise ValueError(f"pc {pc}: MATMUL norm row {r} has no statistics")
            x = self._rows(nr.x + r * d, 1, d, pc, "MATMUL norm residual")
            out.append(N.rmsnorm_apply(x, np.array([rv]), w).reshape(d, -1))
        return np.stack(out)

    def _matmul(self, insn: Insn, res: RunResult, pc: int) -> Err:
        """Y = X . W on the PE-array model, with the engine's memory traffic and its stop at
        the first failing weight/scale read (n-tiles finished before it are written).
        Norm flag: X is the fused RMSNorm of the selected residual rows, written to the X
        region word by word as the first column tile's row tiles run (docs/isa.md)."""
        cfg, mm = self.cfg, self.mm
        kd = nc = cfg.kdim
        bb = cfg.beat_bytes
        int4 = bool(insn.flags & 1)
        m, k, n = insn.len, mm.k, mm.n
        if insn.flags & FLAG_DYN:             # M = CNT (checked <= len); 0: no traffic at all
            m = self.cnt
            if m == 0:
                return Err.NONE
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
        # weights: tile (nt, kt) at waddr + (nt * kt_n + kt) * tile bytes
        tb = cfg.weight_tile_bytes(int4)
        mem = self.mems[insn.port]
        w = np.zeros((k, n), dtype=np.int64)
        for nt in range(nt_n):
            for kt in range(kt_n):
                raw = mem.read(insn.mem_addr + (nt * kt_n + kt) * tb, tb)
                if int4:
                    nib = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
                    nib = np.stack([nib & 15, nib >> 4], axis=-1).reshape(kd, nc)
                    tile = np.where(nib >= 8, nib - 16, nib)
                else:
                    tile = np.frombuffer(raw, dtype="<u2").reshape(kd, nc)
                w[kt * kd:(kt + 1) * kd, nt * nc:(nt + 1) * nc] = tile
        scales = None
        if int4:
            g = mm.group
            sraw = self.mems[0].read(mm.scale, (k // g) * n * 2)
            scales = np.frombuffer(sraw, dtype="<u2").reshape(k // g, n).astype(np.int64)
        y = matmul(x, w, kd, "int4" if int4 else "fp16", scales, mm.group if int4 else None)
        # traffic in engine order; the first failing beat stops the engine after its transfer
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
                    self.gbuf[rows[:, kt]] = hn[:, kt]
                    self.gbuf_valid[rows[:, kt]] = True
            out = dst + np.arange(m) * nt_n + nt
            self.gbuf[out] = y[:, nt * nc:(nt + 1) * nc]
            self.gbuf_valid[out] = True
        res.macs += m * k * n
        return Err.NONE
