"""Operand layouts and memory-image helpers of the host compiler (model/generate.py;
docs/compiler.md, docs/isa.md "MATMUL"): weight tiles, the MATMUL operand stream (scale blocks
and tiles, striped over the HBM ports), the router weight and bias word, tensor placement, and
the static legality check of a whole program (WFETCH queue included)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from model.isa import FLAG_PF, CoreConfig, Err, Insn, Op, Regs, config_after
from model.llama import LayerWeights
from model.stripe import PC_BYTES

PROG_BASE = 0x1000                 # DDR byte address of the program
DATA_ALIGN = 4096                  # DDR data after the program, and every HBM stream, 4 KB aligned
HBM_PC_BYTES = PC_BYTES            # one HBM pseudo-channel (docs/memory-map.md: one flat HBM
                                   # space, 256 MB channels); HBM port p's stripes live in PC p
PAIR_ATTN, PAIR_MLP = 0, 1         # router pairs: logits columns (0, 1) and (2, 3)


def f32bits(v: float) -> int:
    return int(np.float32(v).view(np.uint32))


def bits16(a) -> np.ndarray:
    """FP16 array -> uint16 bit patterns."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float16)).view(np.uint16)


def align(v: int, a: int) -> int:
    return (v + a - 1) // a * a


# ------------------------------------------------------------------------------------------
# operand layouts (docs/isa.md: MATMUL)
# ------------------------------------------------------------------------------------------
def tile_major(a: np.ndarray, kd: int, nc: int) -> np.ndarray:
    """[K, N] -> [N/nc, K/kd, kd, nc]: tile (nt, kt) = rows kt*kd.., columns nt*nc.., tiles in
    (nt, kt) order, rows of a tile in order."""
    k_, n_ = a.shape
    return a.reshape(k_ // kd, kd, n_ // nc, nc).transpose(2, 0, 1, 3)


def pack_fp16_weight(w16: np.ndarray, kd: int, nc: int) -> bytes:
    """FP16 [K, N] weight, tile-major, one buffer word per tile row."""
    return tile_major(bits16(w16), kd, nc).astype("<u2").tobytes()


def pack_int4_weight(q: np.ndarray, kd: int, nc: int) -> bytes:
    """INT4 [K, N] (int values in [-8, 7]), tile-major; in a tile, element (r, c) is nibble
    r*nc + c, two's complement, the even nibble in the low half of its byte."""
    nib = (tile_major(np.asarray(q, dtype=np.int64), kd, nc).reshape(-1) & 15).astype(np.uint8)
    return (nib[0::2] | (nib[1::2] << 4)).tobytes()


def _bits(a) -> np.ndarray:
    """FP16 values (any float dtype) or FP16 bit patterns (uint16) -> uint16 bits."""
    a = np.asarray(a)
    return a.astype(np.uint16) if a.dtype == np.uint16 else bits16(a)


def mm_stream(core: CoreConfig, w: np.ndarray, int4: bool, scales=None,
              group: int = 0) -> bytes:
    """The operand stream of a MATMUL (docs/isa.md "MATMUL"), whole chunks: for every column
    tile nt of NCOL columns, (INT4) the scale block FP16 scale[g, nt*NCOL + c] for g < K/group,
    c < NCOL, row-major, zero-padded to whole chunks, then the weight tiles kt = 0..K/KDIM-1
    (INT4: one chunk, row r at bit r*NCOL*4, column c at +4c; FP16: four chunks, row r at bit
    r*NCOL*16, column c at +16c). ``w``: INT4 values [K, N], or FP16 values / bits [K, N];
    ``scales``: FP16 values / bits [K/group, N]."""
    kd, nc, cb = core.kdim, core.ncol, core.chunk_bytes
    k, n = np.shape(w)
    if k % kd or n % nc:
        raise ValueError(f"[{k}, {n}] is not a whole number of {kd} x {nc} tiles")
    nt = n // nc
    if not int4:
        tm = tile_major(_bits(w), kd, nc)                        # [nt, kt, kd, nc]
        return tm.astype("<u2").tobytes()
    q = tile_major(np.asarray(w, dtype=np.int64), kd, nc).reshape(nt, k // kd, kd * nc)
    nib = (q & 15).astype(np.uint8)
    tiles = (nib[..., 0::2] | (nib[..., 1::2] << 4)).reshape(nt, -1)
    rows = k // group
    sb = core.scale_chunks(k, group)
    s = _bits(scales).reshape(rows, nt, nc).transpose(1, 0, 2).reshape(nt, rows * nc)
    blk = np.zeros((nt, sb * cb), dtype=np.uint8)
    blk[:, :rows * nc * 2] = np.ascontiguousarray(s.astype("<u2")).view(np.uint8)
    return np.concatenate([blk, tiles], axis=1).tobytes()


def interleave_columns(a: np.ndarray, b: np.ndarray, nc: int) -> np.ndarray:
    """[R, N] and [R, N] -> [R, 2N]: column group 2i = a's columns i*nc.., 2i+1 = b's (with
    nc = LANES, a MATMUL output row holds word 2i = a, word 2i+1 = b: SWIGLU's g, u layout)."""
    r, n = a.shape
    return np.stack([a.reshape(r, n // nc, nc), b.reshape(r, n // nc, nc)], axis=2) \
        .reshape(r, 2 * n)


def router_weight(lw: LayerWeights, nc: int) -> np.ndarray:
    """FP16 [d, nc]: columns 0, 1 = attention router, 2, 3 = MLP router, the rest 0."""
    d = lw.router_mlp.weight.shape[0]
    w = np.zeros((d, nc), dtype=np.float16)
    w[:, 2 * PAIR_ATTN:2 * PAIR_ATTN + 2] = lw.router_attn.weight
    w[:, 2 * PAIR_MLP:2 * PAIR_MLP + 2] = lw.router_mlp.weight
    return w


def router_bias_word(lw: LayerWeights, nc: int) -> np.ndarray:
    """One buffer word of FP16 lanes: lanes 0, 1 = attention router bias, 2, 3 = MLP, rest 0."""
    b = np.zeros(nc, dtype=np.float16)
    b[2 * PAIR_ATTN:2 * PAIR_ATTN + 2] = lw.router_attn.bias
    b[2 * PAIR_MLP:2 * PAIR_MLP + 2] = lw.router_mlp.bias
    return b


@dataclass
class Tensor:
    """A tensor in memory: port (0 = DDR, p = HBM port p-1), byte address, size in bytes; a
    MATMUL operand stream (``chunks`` > 0) is striped over every HBM port at offset ``addr`` of
    each pseudo-channel (``port`` 1, ``nbytes`` = the whole stream)."""
    port: int
    addr: int
    nbytes: int
    chunks: int = 0

    def ranges(self, core: CoreConfig) -> list[tuple[int, int, int]]:
        """(memory port, lo, hi) byte ranges the tensor occupies (a stream: one per HBM port,
        in that port's pseudo-channel)."""
        if not self.chunks:
            return [(self.port, self.addr, self.addr + self.nbytes)]
        pp = self.chunks * core.port_chunk_bytes
        return [(p + 1, p * PC_BYTES + self.addr, p * PC_BYTES + self.addr + pp)
                for p in range(core.NUM_HBM)]


def static_check(prog: list[Insn], core: CoreConfig) -> None:
    """Every instruction legal in program order (MMCFG/NPECFG state tracked), and the WFETCH
    queue consistent assuming every WFETCH pushes and every MATMUL runs (the compiler pairs a
    MASKED WFETCH with the mask its dyn MATMUL's CNT comes from): every PF MATMUL's stream is
    the queue head, no MATMUL without PF meets a queued stream, the queue never holds more than
    WFETCH_DEPTH and is empty at END. A compiler bug otherwise."""
    regs = Regs()
    q: deque = deque()
    for pc, i in enumerate(prog):
        e = regs.check(i, core)
        if e != Err.NONE:
            raise ValueError(f"internal compiler error: pc {pc} `{i}` fails with {e.name}")
        if i.op == Op.WFETCH:
            q.append((i.mem_addr, i.len))
            if len(q) > core.WFETCH_DEPTH:
                raise ValueError(f"internal compiler error: pc {pc}: WFETCH queue overflow")
        elif i.op == Op.MATMUL:
            mm = regs.mm
            want = (i.mem_addr, core.mm_chunks(mm.k, mm.n, bool(i.flags & 1), mm.group))
            if i.flags & FLAG_PF:
                if not q or q.popleft() != want:
                    raise ValueError(f"internal compiler error: pc {pc} `{i}` is not the "
                                     "WFETCH queue head")
            elif q:
                raise ValueError(f"internal compiler error: pc {pc} `{i}` without PF behind "
                                 "queued streams")
        elif i.op == Op.END and q:
            raise ValueError(f"internal compiler error: pc {pc}: END with {len(q)} queued "
                             "streams")
        regs = config_after(i, regs)


def schedule_wfetch(prog: list[Insn], reqs: list[tuple[int, Insn]], depth: int,
                    mms: list[int] | None = None) -> list[Insn]:
    """Insert the WFETCH of every PF MATMUL of ``prog``: ``reqs[i]`` = (anchor, wfetch) of the
    i-th PF MATMUL in program order (or of the MATMUL at index ``mms[i]``: then a PF MATMUL
    may go without a WFETCH, e.g. a dyn one whose CNT is 0), anchor = the earliest index of
    ``prog`` the WFETCH may stand before (after the ROUTE that writes its mask). Each WFETCH
    goes as early as allowed: not before its anchor, nor before the previous WFETCH (queue
    order = MATMUL order), nor before the MATMUL that frees its queue entry (the (i -
    depth)-th), so the queue never holds more than ``depth`` descriptors."""
    if mms is None:
        mms = [k for k, i in enumerate(prog) if i.op == Op.MATMUL and i.flags & FLAG_PF]
    if len(mms) != len(reqs):
        raise AssertionError(f"{len(reqs)} WFETCH requests for {len(mms)} PF MATMULs")
    at: dict[int, list[Insn]] = {}
    pos = 0
    for i, (anchor, wf) in enumerate(reqs):
        pos = max(pos, anchor, mms[i - depth] + 1 if i >= depth else 0)
        if pos > mms[i]:
            raise AssertionError(f"WFETCH {i} cannot precede its MATMUL at {mms[i]}")
        at.setdefault(pos, []).append(wf)
    out: list[Insn] = []
    for k, insn in enumerate(prog):
        out += at.get(k, [])
        out.append(insn)
    return out
