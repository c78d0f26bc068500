"""SkipOPU host compiler for the whole SkipGPT-Llama model: prefill and decode with attention,
KV reuse / PartialSkip / dense, the final RMSNorm, the LM head and greedy selection on the core
(docs/isa.md; dataflow in docs/attention.md; programs in docs/compiler.md).

The host keeps the memory images (weights on HBM, metadata on DDR, the KV cache region in each
KV port's pseudo-channel) and emits **one program per step** (paper 4.1: the host runs the
compiler): the prefill program for the prompt, then one decode-step program per generated
token, built from what the host read back after the previous step (the token id and the
attention masks, which give the KV history words).

    img = compile_images(weights, CoreConfig(), mode="reuse")
    gen = run_generate(img, prompt, steps=4)          # on model/core
    gen.tokens, gen.steps[i].hidden, gen.steps[i].masks_attn, ...

Numerics decisions (besides those of docs/isa.md): 1/sqrt(head_dim) is folded into the FP16
group scales of W_q (exact for head_dim a power of 4, else one FP16 rounding of the scale);
softmax probabilities are normalised before P.V (P <= 1 in FP16); the score tiles stream to a
DDR score area and come back through SMNORM (paper 3.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from model import npe as N
from model.layout import (DATA_ALIGN, HBM_PC_BYTES, PAIR_ATTN, PAIR_MLP, PROG_BASE, Tensor,
                          align, bits16, f32bits, interleave_columns, mm_stream,
                          router_bias_word, router_weight, schedule_wfetch, static_check)
from model.core import CoreModel, SparseMem
from model.isa import CoreConfig, Err, Insn, assemble
from model.llama import LlamaConfig, LlamaWeights, QWeight
from model.stripe import pack

MODES = ("reuse", "partial", "dense")
# fused: RMSNorm fused into the projections (MMNORM + MATMUL norm), softmax features on chip
# during QK, all KV groups in one QK/SMNORM/PV (paper 3.1/3.2, "OPT"); unfused: the baseline:
# row-wise RMSNorm (RMSSQ + RMSNORM pass), QK without features + an SMFEAT pass over the score
# area, one QK/SMFEAT/SMNORM/PV per KV group. Bit-identical results, different cycles.
VARIANTS = ("fused", "unfused")
STAT = 0                         # statistics rows 0..M-1 (snoop base and RMSNORM sb)


@dataclass
class ModelImage:
    """Memory images of a model for one core configuration and KV mode (written once)."""
    core: CoreConfig
    weights: LlamaWeights
    mode: str
    mapping: str
    buffer: bool
    variant: str
    images: dict[int, list[tuple[int, bytes]]]
    tensors: dict[str, Tensor]
    kv_off: int                  # byte offset of the KV region in each KV port's channel
    max_prog: int                # instructions reserved for a program at PROG_BASE

    @property
    def cfg(self) -> LlamaConfig:
        return self.weights.cfg


@dataclass
class Program:
    insns: list[Insn]
    data: list[tuple[int, bytes]]          # DDR (address, bytes) of this step (x rows, HIST)
    gbuf: dict[str, tuple[int, int]]
    m: int                                 # rows (prompt tokens, or 1)
    pos0: int                              # position of row 0
    trace: bool

    def image(self) -> bytes:
        return assemble(self.insns)


@dataclass
class StepResult:
    token: int
    logits: np.ndarray                     # FP16 bits [vocab] of the last row
    hidden: np.ndarray                     # FP16 bits [M, d] after the last layer
    masks_attn: np.ndarray                 # bool [L, M]
    masks_mlp: np.ndarray                  # bool [L, M]
    layers: list[np.ndarray]               # trace: FP16 bits [M, d] per layer output
    result: object                         # RunResult (or the RTL's counters)


@dataclass
class Generation:
    prompt: np.ndarray
    tokens: list[int] = field(default_factory=list)       # generated
    steps: list[StepResult] = field(default_factory=list)
    hist: list[int] = field(default_factory=list)         # KV write masks per layer (bits = pos)

    def exec_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """(exec_attn, exec_mlp) bool [L, positions processed]."""
        a = np.concatenate([s.masks_attn for s in self.steps], axis=1)
        m = np.concatenate([s.masks_mlp for s in self.steps], axis=1)
        return a, m


# ------------------------------------------------------------------------------------------
# images
# ------------------------------------------------------------------------------------------
def _concat_q(ws: list[QWeight]) -> tuple[np.ndarray, np.ndarray, int]:
    g = ws[0].group
    if any(w.group != g for w in ws):
        raise ValueError("the projections of one MATMUL need one INT4 group size")
    return (np.concatenate([w.q for w in ws], axis=1),
            np.concatenate([w.scale for w in ws], axis=1), g)


def _qscale(w: QWeight, hd: int) -> np.ndarray:
    """W_q's FP16 scales with 1/sqrt(head_dim) folded in."""
    return (w.scale.astype(np.float64) / math.sqrt(hd)).astype(np.float16)


def compile_images(weights: LlamaWeights, core: CoreConfig | None = None, mode: str = "reuse",
                   mapping: str = "token", buffer: bool = True,
                   variant: str = "fused") -> ModelImage:
    core = core or CoreConfig()
    cfg = weights.cfg
    problems = []
    if mode not in MODES:
        problems.append(f"mode {mode!r} is not one of {MODES}")
    if variant not in VARIANTS:
        problems.append(f"variant {variant!r} is not one of {VARIANTS}")
    if mapping not in ("token", "interleaved"):
        problems.append(f"mapping {mapping!r} is not 'token' or 'interleaved'")
    lanes, kd, nc = core.DATA_W // 16, core.kdim, core.ncol
    for name in ("d", "head_dim", "ffn", "vocab", "kv_dim"):
        if getattr(cfg, name) % lanes:
            problems.append(f"{name}={getattr(cfg, name)} is not a multiple of DATA_W/16="
                            f"{lanes}")
    rep = cfg.heads // cfg.kv_heads
    if rep & (rep - 1):
        problems.append(f"heads/kv_heads={rep} is not a power of 2")
    e = 2 * cfg.kv_dim // lanes if cfg.kv_dim % lanes == 0 else 0
    if e and (e & (e - 1) or e > core.KV_ENTRY_MAX):
        problems.append(f"a KV entry of {e} words is not a power of 2 <= KV_ENTRY_MAX="
                        f"{core.KV_ENTRY_MAX}")
    if mapping == "interleaved" and e % core.KV_PORTS:
        problems.append(f"interleaved mapping: entry words {e} not a multiple of KV_PORTS")
    if cfg.group < kd or cfg.group & (cfg.group - 1):
        problems.append(f"INT4 group {cfg.group} must be a power of 2 >= KDIM={kd}")
    # every MATMUL's N a multiple of NCOL, its K/group within the engine's scale rows
    mat_n = {"W_qkv": cfg.d + 2 * cfg.kv_dim, "W_kv": 2 * cfg.kv_dim, "W_q/W_o/down": cfg.d,
             "gate_up": 2 * cfg.ffn, "lm_head": cfg.vocab}
    for name, n in mat_n.items():
        if n % nc:
            problems.append(f"{name}: N={n} is not a multiple of NCOL={nc}")
    for k in (cfg.d, cfg.ffn):
        if cfg.group and k // cfg.group > core.MM_SCALE_ROWS:
            problems.append(f"K/group={k // cfg.group} > MM_SCALE_ROWS={core.MM_SCALE_ROWS}")
    if problems:
        raise ValueError("cannot compile: " + "; ".join(problems))
    hd = cfg.head_dim
    ddr: list[tuple[str, bytes]] = [
        ("embedding", bits16(weights.embedding).astype("<u2").tobytes()),
        ("rope", N.rot_table(np.arange(cfg.max_seq), hd, cfg.rope_base)
         .astype("<u2").tobytes()),
        ("final_norm", bits16(weights.final_norm).astype("<u2").tobytes())]
    # MATMUL operand streams (docs/isa.md): INT4 scales and tiles, FP16 router weights
    hbm: list[tuple[str, bytes]] = []
    for l, lw in enumerate(weights.layers):
        p = f"layers.{l}."
        hbm.append((p + "router", mm_stream(core, router_weight(lw, nc), int4=False)))
        params = np.concatenate([router_bias_word(lw, lanes), lw.attn_norm, lw.mlp_norm])
        ddr.append((p + "params", bits16(params).astype("<u2").tobytes()))
        qs = QWeight(lw.wq.q, _qscale(lw.wq, hd))
        mats = {"wqkv": _concat_q([qs, lw.wk, lw.wv]), "wkv": _concat_q([lw.wk, lw.wv]),
                "wq": _concat_q([qs]), "wo": _concat_q([lw.wo])}
        gu_q = interleave_columns(lw.w_gate.q, lw.w_up.q, lanes)
        gu_s = interleave_columns(lw.w_gate.scale, lw.w_up.scale, lanes)
        mats["gate_up"] = (gu_q, gu_s, lw.w_gate.group)
        mats["down"] = _concat_q([lw.w_down])
        use = ("wqkv",) if mode == "reuse" else ("wkv", "wq")
        for name in use + ("wo", "gate_up", "down"):
            q, s, g = mats[name]
            hbm.append((p + name, mm_stream(core, q, True, s, g)))
    lq, ls, lg = _concat_q([weights.lm_head])
    hbm.append(("lm_head", mm_stream(core, lq, True, ls, lg)))

    # program area, then DDR data, 4 KB aligned; per-step areas after the tensors
    max_prog = 18 + cfg.layers * (48 + (8 + 4 * cfg.kv_heads if variant == "unfused" else 0))
    bb = core.beat_bytes
    tensors: dict[str, Tensor] = {}
    a = align(PROG_BASE + max_prog * 16, DATA_ALIGN)
    mmax = min(core.DATA_W, core.KV_TOKENS, core.NPE_ROWS, core.MMAX)
    nt = -(-core.KV_TOKENS // lanes)
    step_areas = [("step.x", mmax * (cfg.d // lanes) * bb), ("step.hist", cfg.layers * bb),
                  ("scores", nt * cfg.heads * mmax * bb), ("out.token", bb),
                  ("out.logits", cfg.vocab * 2), ("out.hidden", mmax * cfg.d * 2),
                  ("out.masks", 2 * cfg.layers * bb),
                  ("out.trace", max(cfg.layers - 1, 1) * mmax * cfg.d * 2)]
    for name, data in ddr:
        tensors[name] = Tensor(0, a, len(data))
        a = align(a + len(data), bb)
    for name, n in step_areas:
        a = align(a, DATA_ALIGN if name == "scores" else bb)
        tensors[name] = Tensor(0, a, n)
        a += n
    # the weights region: every stream at the same offset of every HBM pseudo-channel, one
    # after the other in the order the programs consume them; the KV regions after it
    off = 0
    for name, data in hbm:
        chunks = len(data) // core.chunk_bytes
        tensors[name] = Tensor(1, off, len(data), chunks)
        off = align(off + chunks * core.port_chunk_bytes, DATA_ALIGN)
    kv_off = off
    kv_bytes = cfg.layers * core.KV_TOKENS * e * bb // core.KV_PORTS
    if kv_off + kv_bytes > HBM_PC_BYTES:
        raise ValueError("cannot compile: weights and KV cache exceed a 256 MB pseudo-channel")
    top = 1 << core.ADDR_W
    over = [n for n, t in tensors.items() if t.addr + t.nbytes > top]
    if over or (core.KV_PORTS - 1) * HBM_PC_BYTES + kv_off + kv_bytes > top:
        raise ValueError(f"cannot compile: beyond the 2^{core.ADDR_W}-byte address space: "
                         + ", ".join(over or ["KV region"]))
    images: dict[int, list[tuple[int, bytes]]] = {p: [] for p in range(core.NUM_HBM + 1)}
    for name, data in ddr:
        images[0].append((tensors[name].addr, data))
    for name, data in hbm:                               # port p's stripe in its own PC
        for p, run in enumerate(pack(data, core.stripe)):
            images[p + 1].append((p * HBM_PC_BYTES + tensors[name].addr, run))
    return ModelImage(core, weights, mode, mapping, buffer, variant, images, tensors, kv_off,
                      max_prog)


# ------------------------------------------------------------------------------------------
# programs
# ------------------------------------------------------------------------------------------
def _plan(img: ModelImage, m: int, decode: bool) -> tuple[dict, int]:
    cfg, core = img.cfg, img.core
    lanes = core.DATA_W // 16
    dw, fw, hw = cfg.d // lanes, cfg.ffn // lanes, cfg.head_dim // lanes
    e = 2 * cfg.kv_dim // lanes
    nk = core.KV_TOKENS if decode else m
    nt = -(-nk // lanes)
    pwords = nt * cfg.heads * m
    att = m * (dw + e) + pwords
    rl = core.ncol // lanes                              # router output words per row
    sizes = [("X", m * dw), ("H", m * dw), ("A", max(att, 2 * m * fw)), ("LOGITS", m * rl),
             ("PARAMS", 1 + 2 * dw), ("MASKA", cfg.layers), ("MASKM", cfg.layers),
             ("ONES", 1), ("HIST", cfg.layers),
             ("ROT", m * hw if decode else core.DATA_W * hw),
             ("FINW", dw), ("HF", dw), ("LM", cfg.vocab // lanes), ("TOKEN", 1)]
    plan, a = {}, 0
    for name, n in sizes:
        plan[name] = (a, n)
        a += n
    return plan, a


def _program(img: ModelImage, m: int, pos0: int, x_addr: int, hist_addr: int | None,
             trace: bool) -> tuple[list[Insn], dict]:
    """One step: m rows at positions pos0.. (prefill: pos0 = 0; decode: m = 1, pos0 = T).
    Every MATMUL has PF; its WFETCH is placed by ``schedule_wfetch`` from an anchor (docs/
    compiler.md "Prefetch")."""
    cfg, core, t = img.cfg, img.core, img.tensors
    mode = img.mode
    decode = hist_addr is not None
    lanes, bb, nc = core.DATA_W // 16, core.beat_bytes, core.ncol
    dw, fw, hw = cfg.d // lanes, cfg.ffn // lanes, cfg.head_dim // lanes
    e = 2 * cfg.kv_dim // lanes
    rs = dw + e
    rl = nc // lanes                                     # router output words per row
    L = cfg.layers
    gb, total = _plan(img, m, decode)
    if total > core.GBUF_DEPTH:
        detail = ", ".join(f"{k} {n}" for k, (_, n) in gb.items())
        raise ValueError(f"cannot compile: global buffer overflow: {total} words > "
                         f"GBUF_DEPTH={core.GBUF_DEPTH} ({detail})")
    X, H, A = gb["X"][0], gb["H"][0], gb["A"][0]
    LG, PR, MA, MM_, ONES = gb["LOGITS"][0], gb["PARAMS"][0], gb["MASKA"][0], gb["MASKM"][0], \
        gb["ONES"][0]
    HIST, ROT = gb["HIST"][0], gb["ROT"][0]
    FINW, HF, LM, TOK = gb["FINW"][0], gb["HF"][0], gb["LM"][0], gb["TOKEN"][0]
    nk = pos0 + 1 if decode else m
    nt_keys = -(-(core.KV_TOKENS if decode else m) // lanes)  # key tiles of the P region
    fused = img.variant == "fused"
    dense = mode == "dense"
    prog: list[Insn] = []
    reqs: list[tuple[int, Insn]] = []                  # (anchor, WFETCH) per PF MATMUL

    def mm(rows: int, src: int, dst: int, name: str, anchor: int, mask: int | None,
           int4: bool = True, dyn: bool = False, norm: bool = False) -> Insn:
        """A PF MATMUL of stream tensor ``name`` and its WFETCH request: MASKED with ``mask``
        (the mask word its CNT comes from; None: it always runs), placed at ``anchor`` or
        later."""
        st = t[name]
        reqs.append((anchor, Insn.wfetch(st.addr, st.chunks, mask, m if mask is not None
                                         else 0)))
        return Insn.matmul(rows, src, dst, st.addr, int4=int4, dyn=dyn, norm=norm, pf=True)

    def norm_mm(l: int, mask: int, w: int, n: int, name: str, dst: int, anchor: int,
                wmask: int | None, stats: bool = True) -> list:
        """RMSNorm of the mask-selected rows of X (weight at w) feeding the INT4 MATMUL of
        layer tensor ``name`` (N = n) into dst: fused (MMNORM + norm flag) or row-wise
        (RMSSQ pass unless the statistics are current, compact RMSNORM pass into H, dyn
        MATMUL); ``wmask``: the WFETCH mask."""
        cf = [Insn.mmcfg(cfg.d, n, cfg.group)]
        nm = f"layers.{l}.{name}"
        if fused:
            return [Insn.mmnorm(m, X, w, STAT, mask)] + cf + \
                [mm(m, H, dst, nm, anchor, wmask, norm=True)]
        return ([Insn.rmssq(m, X, STAT)] if stats else []) + \
            [Insn.rmsnorm(m, H, X, w, STAT, mask=mask, compact=True)] + cf + \
            [mm(m, H, dst, nm, anchor, wmask, dyn=True)]

    def trace_store(l: int) -> Insn:
        """Layer l's output rows (X) to the layer trace (docs/compiler.md)."""
        return Insn.store(0, t["out.trace"].addr + l * m * dw * bb, X, m * dw)

    def route(dst: int, pair: int, force: bool) -> Insn:
        return Insn.route(m, dst, LG, PR, pair, force=force, stride=rl if rl > 1 else 0)

    # attention operands: reuse [Q|K|V] rows at A (stride RS); partial/dense Q rows at A
    # (stride D) and entries at KVA (stride E); P after them
    kva = A + m * dw
    P = A + m * rs
    qs = rs if mode == "reuse" else dw
    prog += [Insn.npecfg(dw, f32bits(cfg.eps), f32bits(1.0 / cfg.d), hw, STAT),
             Insn.kvcfg(e, img.kv_off, L, interleaved=img.mapping == "interleaved",
                        buf=img.buffer),
             Insn.attcfg(nk, cfg.heads, cfg.kv_heads, hw, qs, t["scores"].addr,
                         causal=not decode),
             Insn.load(0, x_addr, X, m * dw, stats=True)]
    if decode:
        prog.append(Insn.load(0, hist_addr, HIST, L))
    prog.append(Insn.load(0, t["rope"].addr + pos0 * hw * bb, ROT, m * hw))
    if decode:
        # the final norm's weight now, while the first router's stream arrives (in the
        # epilogue the LOAD would wait in front of the LM head; in a prefill the start is
        # busier, and there it costs more than it saves); FINW is a region of its own
        prog.append(Insn.load(0, t["final_norm"].addr, FINW, dw))
    anchor = 0               # where the WFETCHes of the next layer's first MATMULs may go

    def qkv_partial(l: int, anchor: int, wmask: int | None) -> list:
        """PartialSkip / dense: every row writes K/V, Q only for the executing rows."""
        route_a = route(MA + l, PAIR_ATTN, dense or l == 0)
        out = [Insn.route(m, ONES, LG, PR, 0, force=True)]
        out += norm_mm(l, ONES, PR + 1, 2 * cfg.kv_dim, "wkv", kva, anchor, None)
        out += [Insn.rope(m, kva, kva, ROT, words=e // 2, stride=e),
                Insn.kvst(m, kva, l, hist=HIST + l, pos0=pos0, stride=e, put=True,
                          all_rows=True, nohist=not decode),
                route_a]
        out += norm_mm(l, MA + l, PR + 1, cfg.d, "wq", A, anchor, wmask, stats=False)
        out += [Insn.rope(m, A, A, ROT, MA + l if not decode else None, dyn=True)]
        return out

    for l in range(L):
        p = f"layers.{l}."
        # the layer's parameters (router bias, norm weights) before its router MATMUL, so that
        # the LOAD runs while the router's weights stream in (the previous layer's last reader
        # of PR is its gate/up MATMUL); after it, the stream would stand idle until the routes
        prog.append(Insn.load(0, t[p + "params"].addr, PR, 1 + 2 * dw))
        if not dense:
            prog += [Insn.mmcfg(cfg.d, nc),
                     mm(m, X, LG, p + "router", anchor, None, int4=False)]
        force_a = dense or l == 0                 # layer-0 policy: attention executes
        # both routers read the layer input's logits: the MLP mask now (for its WFETCHes; CNT
        # is overwritten by the attention ROUTE), again at the MLP start for CNT
        prog += [route(MM_ + l, PAIR_MLP, dense), route(MA + l, PAIR_ATTN, force_a)]
        here = len(prog)                          # masks of layer l written: its WFETCHes
        if trace and l > 0:
            # the previous layer's output: X is unchanged until this layer's first VSCAT, and
            # here, behind this layer's WFETCHes, the STORE runs while the weights stream in
            # (at the end of the previous layer the stream would stand idle during it); the
            # last layer's output is out.hidden (read_step takes it from there)
            prog.append(trace_store(l - 1))
        amask = None if dense else MA + l
        mmask = None if dense else MM_ + l
        if mode == "reuse":
            prog += norm_mm(l, MA + l, PR + 1, cfg.d + 2 * cfg.kv_dim, "wqkv", A, here, amask)
            prog += [Insn.rope(m, A, A, ROT, MA + l if not decode else None,
                               words=dw + e // 2, stride=rs, dyn=True),
                     Insn.kvst(m, A + dw, l, mask=MA + l, hist=HIST + l if decode else HIST,
                               pos0=pos0, stride=rs, put=True, nohist=not decode)]
        else:
            # dense: the projections of layer l were queued with the previous layer
            prog += qkv_partial(l, anchor if dense else here, amask)
        if decode:
            nxt = HIST + l + 1 if l + 1 < L else HIST + l
            prog.append(Insn.kvld(pos0, HIST + l, nxt, l, dyn=True))
        mask = MA + l
        if fused:
            prog += [Insn.qk(m, A, 0, mask, dyn=True),
                     Insn.smnorm(m, P, 0, mask, dyn=True),
                     Insn.pv(m, P, H, dw, dyn=True)]
        else:
            # one KV group at a time; features by an extra pass over the score area
            pg = nt_keys * (cfg.heads // cfg.kv_heads) * m
            for g in range(cfg.kv_heads):
                prog += [Insn.qk(m, A, 0, mask, g0=g, ng=1, dyn=True, nofeat=True),
                         Insn.smfeat(m, 0, mask, g0=g, ng=1, dyn=True),
                         Insn.smnorm(m, P + g * pg, 0, mask, g0=g, ng=1, dyn=True),
                         Insn.pv(m, P + g * pg, H, dw, g0=g, ng=1, dyn=True)]
        prog += [Insn.mmcfg(cfg.d, cfg.d, cfg.group),
                 mm(m, H, A, p + "wo", here, amask, dyn=True),
                 Insn.vscat(m, X, A, MA + l, stats=True),
                 route(MM_ + l, PAIR_MLP, dense)]
        prog += norm_mm(l, MM_ + l, PR + 1 + dw, 2 * cfg.ffn, "gate_up", A, here, mmask)
        prog += [Insn.swiglu(fw, A, A, dyn_rows=m),
                 Insn.mmcfg(cfg.ffn, cfg.d, cfg.group),
                 mm(m, A, H, p + "down", here, mmask, dyn=True),
                 Insn.vscat(m, X, H, MM_ + l, stats=True)]
        anchor = here                             # the next layer's router (or projections)
    v16 = cfg.vocab // lanes
    # the hidden rows and the masks are final here: their STOREs run while the LM head's
    # stream (queued with the last layer) arrives, not after the program's last MATMUL
    prog += [Insn.store(0, t["out.hidden"].addr, X, m * dw),
             Insn.store(0, t["out.masks"].addr, MA, 2 * L),
             *([] if decode else [Insn.load(0, t["final_norm"].addr, FINW, dw)]),
             Insn.rmsnorm(1, HF, X + (m - 1) * dw, FINW, STAT + m - 1),
             Insn.mmcfg(cfg.d, cfg.vocab, cfg.group),
             mm(1, HF, LM, "lm_head", anchor, None),
             Insn.argmax(v16, TOK, LM),
             Insn.store(0, t["out.token"].addr, TOK, 1),
             Insn.store(0, t["out.logits"].addr, LM, v16),
             Insn.end()]
    prog = schedule_wfetch(prog, reqs, core.WFETCH_DEPTH)
    if len(prog) > img.max_prog:
        raise AssertionError(f"program of {len(prog)} instructions > {img.max_prog} reserved")
    static_check(prog, core)
    return prog, gb


def fit_core(cfg: LlamaConfig, core: CoreConfig, prompt: int) -> CoreConfig:
    """``core`` with KV_ENTRY_MAX and GBUF_DEPTH raised (to powers of 2) as far as the model's
    KV entry and a ``prompt``-row prefill need (the large preset's entry is 64 words at DATA_W
    256, its 16-row prefill plan 9023 words): the core configuration a benchmark builds
    for a preset. Everything else, and anything already large enough, is kept."""
    from dataclasses import replace
    lanes = core.lanes
    e = 2 * cfg.kv_dim // lanes
    kem = max(core.KV_ENTRY_MAX, 1 << max(e - 1, 1).bit_length())

    class _Img:                                          # what _plan reads
        pass
    im = _Img()
    im.cfg, im.core = cfg, core
    total = max(_plan(im, prompt, False)[1], _plan(im, 1, True)[1])
    gb = max(core.GBUF_DEPTH, 1 << max(total - 1, 1).bit_length())
    return replace(core, KV_ENTRY_MAX=kem, GBUF_DEPTH=gb)


def _check_step(img: ModelImage, m: int, pos0: int) -> None:
    cfg, core = img.cfg, img.core
    p = []
    lim = min(core.DATA_W, core.KV_TOKENS, core.NPE_ROWS, core.MMAX,
              core.SMAX_ROWS // cfg.heads, core.MMAX // (cfg.heads // cfg.kv_heads))
    if m > lim:
        p.append(f"{m} rows > {lim} (one mask word, KV_TOKENS, NPE_ROWS, MMAX, softmax rows)")
    if pos0 + m > min(cfg.max_seq, core.KV_TOKENS):
        p.append(f"positions up to {pos0 + m} exceed max_seq={cfg.max_seq} or KV_TOKENS="
                 f"{core.KV_TOKENS}")
    if p:
        raise ValueError("cannot compile: " + "; ".join(p))


def prefill_program(img: ModelImage, prompt, trace: bool = False) -> Program:
    cfg = img.cfg
    toks = np.asarray(prompt)
    if toks.ndim != 1 or toks.size == 0 or not np.issubdtype(toks.dtype, np.integer) or \
            toks.min() < 0 or toks.max() >= cfg.vocab:
        raise ValueError(f"prompt must be a non-empty 1-D array of token ids < {cfg.vocab}")
    m = toks.size
    _check_step(img, m, 0)
    x = img.tensors["step.x"].addr
    data = [(x, bits16(img.weights.embedding[toks]).astype("<u2").tobytes())]
    insns, gb = _program(img, m, 0, x, None, trace)
    return Program(insns, data, gb, m, 0, trace)


def decode_program(img: ModelImage, token: int, pos: int, hist: list[int],
                   trace: bool = False) -> Program:
    """The step that feeds ``token`` at position ``pos`` (pos tokens already cached); hist[l]
    = the KV write mask of layer l over positions 0..pos-1."""
    _check_step(img, 1, pos)
    core = img.core
    t = img.tensors
    emb = t["embedding"].addr + token * (img.cfg.d * 2)
    hb = b"".join(int(h).to_bytes(core.beat_bytes, "little") for h in hist)
    insns, gb = _program(img, 1, pos, emb, t["step.hist"].addr, trace)
    return Program(insns, [(t["step.hist"].addr, hb)], gb, 1, pos, trace)


# ------------------------------------------------------------------------------------------
# host loop
# ------------------------------------------------------------------------------------------
def read_step(img: ModelImage, prog: Program, ddr, result) -> StepResult:
    cfg, core, t = img.cfg, img.core, img.tensors
    bb, m, L = core.beat_bytes, prog.m, cfg.layers
    tok = int.from_bytes(ddr.read(t["out.token"].addr, 2), "little")
    logits = np.frombuffer(ddr.read(t["out.logits"].addr, cfg.vocab * 2), dtype="<u2").copy()
    hid = np.frombuffer(ddr.read(t["out.hidden"].addr, m * cfg.d * 2), dtype="<u2") \
        .reshape(m, cfg.d).copy()
    words = [int.from_bytes(ddr.read(t["out.masks"].addr + i * bb, bb), "little")
             for i in range(2 * L)]
    ma = np.array([[(words[l] >> j) & 1 for j in range(m)] for l in range(L)], dtype=bool)
    mm = np.array([[(words[L + l] >> j) & 1 for j in range(m)] for l in range(L)], dtype=bool)
    layers = []
    if prog.trace:
        for l in range(L - 1):
            raw = ddr.read(t["out.trace"].addr + l * m * cfg.d * 2, m * cfg.d * 2)
            layers.append(np.frombuffer(raw, dtype="<u2").reshape(m, cfg.d).copy())
        layers.append(hid.copy())           # the last layer's output: the hidden rows
    return StepResult(tok, logits, hid, ma, mm, layers, result)


def update_hist(img: ModelImage, hist: list[int], step: StepResult, pos0: int) -> list[int]:
    """The KV write masks after a step: reuse = the attention masks; else every position."""
    out = []
    for l, h in enumerate(hist):
        w = step.masks_attn[l] if img.mode == "reuse" else np.ones(step.masks_attn.shape[1],
                                                                   dtype=bool)
        out.append(h | sum(1 << (pos0 + j) for j in np.flatnonzero(w)))
    return out


def load_images(img: ModelImage, mems: dict) -> None:
    for port, chunks in img.images.items():
        for addr, data in chunks:
            mems[port].write(addr, data)


def model_runner(img: ModelImage, shared_hbm: bool = True, errors=()):
    """Memories with the images and a core model that persists across steps (like the
    hardware), with the AXI error windows ``errors`` (model/core); returns (mems,
    run(prog) -> RunResult)."""
    hbm = SparseMem() if shared_hbm else None
    mems = {0: SparseMem()}
    for p in range(1, img.core.NUM_HBM + 1):
        mems[p] = hbm if shared_hbm else SparseMem()
    load_images(img, mems)
    core = CoreModel(img.core, mems, errors)

    def run(prog: Program):
        mems[0].write(PROG_BASE, prog.image())
        for a, d in prog.data:
            mems[0].write(a, d)
        res = core.run(PROG_BASE, len(prog.insns))
        if res.err != Err.NONE:
            raise RuntimeError(f"core stopped with {res.err.name} at pc {res.err_pc}: "
                               f"{prog.insns[res.err_pc] if res.err_pc < len(prog.insns) else ''}")
        return res

    return mems, run


class GenLoop:
    """The host loop of a generation, one step at a time, for callers that run the programs
    themselves (the RTL testbench awaits the core between steps):

        loop = GenLoop(img, prompt, steps)
        while not loop.done:
            result = run(loop.prog)              # write loop.prog, run it on a core
            loop.finish(ddr, result)             # read the outputs back, build the next step
    """

    def __init__(self, img: ModelImage, prompt, steps: int, trace: bool = False):
        self.img, self.steps, self.trace = img, steps, trace
        self.gen = Generation(np.asarray(prompt), hist=[0] * img.cfg.layers)
        self.prog = prefill_program(img, self.gen.prompt, trace)
        self.pos = 0

    @property
    def done(self) -> bool:
        return len(self.gen.steps) >= self.steps

    @property
    def step(self) -> int:
        return len(self.gen.steps)

    def finish(self, ddr, result) -> StepResult:
        gen, img = self.gen, self.img
        st = read_step(img, self.prog, ddr, result)
        gen.steps.append(st)
        gen.tokens.append(st.token)
        gen.hist = update_hist(img, gen.hist, st, self.pos)
        self.pos += self.prog.m
        if not self.done:
            self.prog = decode_program(img, st.token, self.pos, gen.hist, self.trace)
        return st


def run_generate(img: ModelImage, prompt, steps: int, trace: bool = False, run=None,
                 ddr=None, progress=None) -> Generation:
    """Prefill, then steps-1 decode steps (``steps`` tokens generated, the last one not fed
    back, as model.llama.decode_float). ``run(prog) -> result`` executes a program (default:
    model/core) and ``ddr`` is the memory the outputs are read from."""
    if run is None:
        mems, run = model_runner(img)
        ddr = mems[0]
    loop = GenLoop(img, prompt, steps, trace)
    while not loop.done:
        prog, s = loop.prog, loop.step
        st = loop.finish(ddr, run(prog))
        if progress:
            progress(s, prog, st)
    return loop.gen


def main(argv=None) -> None:
    """python -m model.generate: run a generation on model/core and compare it with the
    float64 reference (what `make sim` does through the RTL)."""
    import argparse
    from model import kv as K
    from model.llama import forward_float, make_model, prompt_tokens
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--preset", choices=("tiny", "default", "large"), default="tiny")
    ap.add_argument("--core", choices=("default", "p8"), default="default",
                    help="p8: 8 HBM ports, NCOL 64 (KV_ENTRY_MAX and GBUF_DEPTH raised to what "
                         "the preset needs: fit_core)")
    ap.add_argument("--prompt", type=int, default=8, help="prompt tokens")
    ap.add_argument("--gen", type=int, default=4, help="tokens generated")
    ap.add_argument("--mode", choices=MODES, default="reuse")
    ap.add_argument("--mapping", choices=("token", "interleaved"), default="token")
    ap.add_argument("--buffer", choices=("on", "off"), default="on")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--listing", action="store_true", help="print the prefill program")
    a = ap.parse_args(argv)
    w = make_model(getattr(LlamaConfig, a.preset)())
    core = fit_core(w.cfg, CoreConfig() if a.core == "default" else
                    CoreConfig(NUM_HBM=8, NCOL=64), a.prompt)
    img = compile_images(w, core, a.mode, a.mapping, a.buffer == "on")
    prompt = prompt_tokens(w.cfg, a.prompt, a.seed)
    if a.listing:
        for i, insn in enumerate(prefill_program(img, prompt).insns):
            print(f"{i:5d}: {insn}")
    gen = run_generate(img, prompt, a.gen)
    ea, em = gen.exec_masks()
    seq = np.concatenate([prompt, gen.tokens[:-1]]).astype(np.int64)
    ref = forward_float(w, seq, a.mode, **({} if a.mode == "dense" else {"masks": (ea, em)}))
    hid = np.concatenate([s.hidden for s in gen.steps]).view(np.float16).astype(np.float64)
    err = np.linalg.norm(hid - ref.hidden[-1]) / np.linalg.norm(ref.hidden[-1])
    st = K.storage(ea, a.mode, w.cfg.kv_entry_bytes)
    print(f"{a.preset}: prompt {a.prompt}, generated {gen.tokens} (float64 teacher-forced "
          f"argmax {[int(np.argmax(ref.logits[a.prompt - 1 + i])) for i in range(a.gen)]})")
    print(f"attention executed {ea[1:].mean():.1%} of token-layers (layers >= 1), MLP "
          f"{em.mean():.1%}; KV entries {st['entries']} of {ea.size}: storage saved "
          f"{st['saved']:.1%}; final hidden rel. error vs float64 {err:.2e}")
    hbm = [sum(s.result.rd_bytes[1:]) for s in gen.steps[1:]]
    streams = sum(t.chunks for t in img.tensors.values()) * core.chunk_bytes
    print(f"core: {core.NUM_HBM} HBM ports, {core.kdim} x {core.ncol} PEs, KV_ENTRY_MAX "
          f"{core.KV_ENTRY_MAX}, GBUF_DEPTH {core.GBUF_DEPTH}; HBM bytes read per decode step "
          f"{hbm} (mean {np.mean(hbm) if hbm else 0:.0f}; every stream once: {streams})")


if __name__ == "__main__":
    main()
