"""Operand layouts and memory-image helpers of the host compiler (model/generate.py;
docs/compiler.md, docs/isa.md "MATMUL"): weight tiles, the router weight and bias word, tensor
placement, and the static legality check of a whole program."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.isa import CoreConfig, Err, Insn, Regs, config_after
from model.llama import LayerWeights

PROG_BASE = 0x1000                 # DDR byte address of the program
DATA_ALIGN = 4096                  # DDR data after the program, and every HBM matrix, 4 KB aligned
HBM_PC_BYTES = 256 << 20           # HBM port p's matrices start in pseudo-channel p-1
                                   # (docs/memory-map.md: one flat HBM space, 256 MB channels)
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


def interleave_columns(a: np.ndarray, b: np.ndarray, nc: int) -> np.ndarray:
    """[R, N] and [R, N] -> [R, 2N]: column tile 2i = a's tile i, 2i+1 = b's tile i (so a
    MATMUL output row holds word 2i = a, word 2i+1 = b: SWIGLU's g, u layout)."""
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
    """A tensor in memory: port (0 = DDR, p = HBM port p-1), byte address, size in bytes."""
    port: int
    addr: int
    nbytes: int


def static_check(prog: list[Insn], core: CoreConfig) -> None:
    """Every instruction legal in program order (MMCFG/NPECFG state tracked): a compiler bug
    otherwise."""
    regs = Regs()
    for pc, i in enumerate(prog):
        e = regs.check(i, core)
        if e != Err.NONE:
            raise ValueError(f"internal compiler error: pc {pc} `{i}` fails with {e.name}")
        regs = config_after(i, regs)
