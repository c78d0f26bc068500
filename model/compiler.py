"""SkipOPU compiler for the MLP-only SkipGPT-Llama forward (docs/compiler.md).

From a model (``model.llama.LlamaWeights``), a prompt (token ids, processed as one batch of M
rows) and a core configuration (``model.isa.CoreConfig``) it produces the per-port memory
images and the instruction program of an **MLP-only** forward: attention is disabled, every
layer is

    mask = ROUTE(x @ router + bias)          (MLP router pair p = 1; reads the layer input x)
    x[t] += MLP(RMSNorm(x[t], mlp_norm))     for the tokens t the router executes

with the routing, the normalisation of the selected rows and the MLP running on the core
(ROUTE, dyn MATMUL/SWIGLU on CNT rows, VSCAT; docs/isa.md revisions 4 and 5). Three variants
of the same program:

* ``"fused"`` (paper 3.1, Alg. 1): the RMS statistics are snooped from the LOAD of x and from
  each layer's VSCAT, and the normalisation of the selected rows is fused into the gate/up
  MATMUL (MMNORM + MATMUL norm flag: the rows are normalised on their way into the PE array
  and written back for the later column tiles);
* ``"decoupled"``: the same statistics, but the normalisation is its own pass (RMSNORM
  masked + compact) before a plain dyn MATMUL;
* ``"rowwise"``: the paper's row-wise baseline, an RMSSQ pass over x before every RMSNORM.

All give bit-identical outputs; their cycle counts differ (the RTL's business).

``run_model`` executes a ``CompiledProgram`` on ``model.core.CoreModel`` (the bit-accurate
architectural model) and decodes the outputs: the final hidden rows [M, d] (FP16) and the
mask word of every layer ([L, M] bool, True = the token executed the MLP).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import numpy as np

from model.core import CoreModel, RunResult, SparseMem
from model.isa import CoreConfig, Err, Insn, Regs, assemble, config_after, disassemble
from model.llama import LayerWeights, LlamaConfig, LlamaWeights, QWeight, Router

PROG_BASE = 0x1000                 # DDR byte address of the program
DATA_ALIGN = 4096                  # DDR data after the program, and every HBM matrix, 4 KB aligned
HBM_PC_BYTES = 256 << 20           # HBM port p's matrices start in pseudo-channel p-1
                                   # (docs/memory-map.md: one flat HBM space, 256 MB channels)
PAIR_ATTN, PAIR_MLP = 0, 1         # router pairs: logits columns (0, 1) and (2, 3)
STAT_BASE = 0                      # statistics rows of x (snoop base and RMSNORM sb)
VARIANTS = ("fused", "decoupled", "rowwise")


def f32bits(v: float) -> int:
    return int(np.float32(v).view(np.uint32))


def _bits16(a) -> np.ndarray:
    """FP16 array -> uint16 bit patterns."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float16)).view(np.uint16)


def _align(v: int, a: int) -> int:
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
    return tile_major(_bits16(w16), kd, nc).astype("<u2").tobytes()


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


# ------------------------------------------------------------------------------------------
# result object
# ------------------------------------------------------------------------------------------
@dataclass
class Tensor:
    """A tensor in memory: port (0 = DDR, p = HBM port p-1), byte address, size in bytes."""
    port: int
    addr: int
    nbytes: int


@dataclass
class CompiledProgram:
    """Everything needed to run the MLP-only forward and read its results.

    ``images``: port -> [(byte address, bytes)] (the program is not in it: ``program_image()``
    at ``prog_base`` on DDR). ``gbuf``: global-buffer regions, name -> (word address, words).
    ``tensors``: name -> Tensor for every input, weight and output area. Outputs on DDR:
    ``hidden_addr`` = the final hidden rows (M rows of D = d/LANES words, FP16),
    ``masks_addr`` = L mask words (word l = layer l; bit m = token m executed its MLP)."""
    core: CoreConfig
    model: LlamaConfig
    variant: str
    tokens: np.ndarray
    program: list[Insn]
    prog_base: int
    images: dict[int, list[tuple[int, bytes]]]
    gbuf: dict[str, tuple[int, int]]
    tensors: dict[str, Tensor]
    hidden_addr: int
    masks_addr: int
    layer_addrs: list[int] = field(default_factory=list)          # trace_layers outputs
    matrix_ports: dict[str, int] = field(default_factory=dict)    # matrix -> HBM port
    group_of: dict[str, int] = field(default_factory=dict)        # matrix -> INT4 group

    @property
    def m(self) -> int:
        return len(self.tokens)

    @property
    def layers(self) -> int:
        return self.model.layers

    def program_image(self) -> bytes:
        return assemble(self.program)

    def disassembly(self) -> list[str]:
        return disassemble(self.program_image())

    def expected_bytes(self, masks: np.ndarray) -> tuple[list[int], list[int]]:
        """The exact DMA byte counters (read, written per port) of a run whose layers executed
        ``masks`` [L, M]: LOADs, router weights, and for a layer with CNT > 0 the INT4 weights
        (HBM) and one scale beat per (column tile, group) (DDR); CNT = 0 moves no weight or
        scale byte. Program fetch is not counted (as in model/core.py)."""
        c, cfg = self.core, self.model
        bb, kd, nc = c.beat_bytes, c.kdim, c.ncol
        d_words = cfg.d // (c.DATA_W // 16)
        rd = [0] * (c.NUM_HBM + 1)
        wr = [0] * (c.NUM_HBM + 1)
        rd[0] += self.m * d_words * bb                                  # x
        for l in range(cfg.layers):
            rd[0] += (cfg.d // kd) * c.weight_tile_bytes(False)         # router weight
            rd[0] += (1 + d_words) * bb                                 # bias + norm words
            if np.asarray(masks)[l].any():
                for k_, n_, name in ((cfg.d, 2 * cfg.ffn, "gate_up"), (cfg.ffn, cfg.d, "down")):
                    key = f"layers.{l}.{name}"
                    g = self.group_of[key]
                    rd[self.matrix_ports[key]] += (k_ // kd) * (n_ // nc) * \
                        c.weight_tile_bytes(True)
                    rd[0] += (n_ // nc) * (k_ // g) * bb
        wr[0] += (self.m * d_words + cfg.layers) * bb
        return rd, wr


@dataclass
class ModelOutputs:
    hidden: np.ndarray          # [M, d] float16: the residual stream after the last layer
    hidden_bits: np.ndarray     # [M, d] uint16, the same bits
    masks: np.ndarray           # [L, M] bool: token m executed layer l's MLP
    result: RunResult           # error code, retired instructions, byte counters
    core: CoreModel             # the model after the run (buffer, statistics, CNT)


# ------------------------------------------------------------------------------------------
# compiler
# ------------------------------------------------------------------------------------------
def _check_inputs(w: LlamaWeights, toks: np.ndarray, core: CoreConfig, variant: str) -> list:
    """Every problem with the inputs, as text (empty: fine)."""
    p = []
    if variant not in VARIANTS:
        p.append(f"variant {variant!r} is not one of {VARIANTS}")
    if not isinstance(w, LlamaWeights):
        return p + [f"weights must be a model.llama.LlamaWeights, not {type(w).__name__}"]
    cfg = w.cfg
    kd = core.kdim
    d, ffn = cfg.d, cfg.ffn
    for name, v in (("d", d), ("ffn", ffn)):
        if v % kd:
            p.append(f"{name}={v} is not a multiple of {kd} (PE-array tile and NPE lanes at "
                     f"DATA_W={core.DATA_W})")
    if 2 * ffn >= 1 << 16 or d >= 1 << 16:
        p.append(f"d={d} and 2*ffn={2 * ffn} must be < 65536 (MMCFG K, N)")
    if toks.ndim != 1 or toks.size == 0 or not np.issubdtype(toks.dtype, np.integer):
        p.append("token ids must be a non-empty 1-D integer array")
    else:
        m = toks.size
        if toks.min() < 0 or toks.max() >= cfg.vocab:
            p.append(f"token ids must be in [0, {cfg.vocab})")
        for lim, what in ((core.DATA_W, "DATA_W (one mask word)"),
                          (core.MMAX, "MMAX (MATMUL rows)"),
                          (core.NPE_ROWS, "NPE_ROWS (statistics rows)")):
            if m > lim:
                p.append(f"M={m} tokens > {what}={lim}")
    if core.ncol < 4:
        p.append(f"NCOL={core.ncol} < 4: no room for two router pairs")

    def arr(a, shape, dtype, name):
        if a is None:
            p.append(f"{name} is missing")
        elif not isinstance(a, np.ndarray) or a.shape != shape or a.dtype != dtype:
            got = (f"{a.dtype}{list(a.shape)}" if isinstance(a, np.ndarray)
                   else type(a).__name__)
            p.append(f"{name} must be {np.dtype(dtype)}{list(shape)}, got {got}")

    def qw(q, k_, n_, name):
        if not isinstance(q, QWeight):
            p.append(f"{name} is missing (not a QWeight)")
            return
        arr(q.q, (k_, n_), np.int8, name + ".q")
        if not isinstance(q.scale, np.ndarray) or q.scale.ndim != 2 or q.scale.shape[0] == 0 \
                or k_ % q.scale.shape[0]:
            p.append(f"{name}.scale must be float16[K/group, {n_}]")
            return
        g = k_ // q.scale.shape[0]
        arr(q.scale, (k_ // g, n_), np.float16, name + ".scale")
        if g < kd or g & (g - 1):
            p.append(f"{name}: INT4 group {g} is not a power of two >= {kd} (MATMUL)")
        if isinstance(q.q, np.ndarray) and q.q.size and (q.q.min() < -8 or q.q.max() > 7):
            p.append(f"{name}.q has values outside [-8, 7]")

    arr(w.embedding, (cfg.vocab, d), np.float16, "embedding")
    if len(w.layers) != cfg.layers:
        p.append(f"{len(w.layers)} layers given, cfg.layers={cfg.layers}")
    for l, lw in enumerate(w.layers):
        pre = f"layers.{l}."
        if not isinstance(lw, LayerWeights):
            p.append(pre[:-1] + " is missing")
            continue
        arr(lw.mlp_norm, (d,), np.float16, pre + "mlp_norm")
        qw(lw.w_gate, d, ffn, pre + "w_gate")
        qw(lw.w_up, d, ffn, pre + "w_up")
        qw(lw.w_down, ffn, d, pre + "w_down")
        if isinstance(lw.w_gate, QWeight) and isinstance(lw.w_up, QWeight) and \
                lw.w_gate.scale.shape != lw.w_up.scale.shape:
            p.append(pre + "w_gate and w_up have different INT4 groups (one MATMUL)")
        for r in ("router_attn", "router_mlp"):
            rt = getattr(lw, r)
            if not isinstance(rt, Router):
                p.append(pre + r + " is missing")
                continue
            arr(rt.weight, (d, 2), np.float16, pre + r + ".weight")
            arr(rt.bias, (2,), np.float16, pre + r + ".bias")
    return p


def _gbuf_plan(m: int, d_words: int, f_words: int, layers: int):
    """Global-buffer regions (word address, words), in address order."""
    sizes = [("X", m * d_words),            # residual stream x, M rows of D words (in place)
             ("H", m * d_words),            # RMSNORM out (compact rows), then down-proj out Y
             ("GU", m * 2 * f_words),       # gate/up out (g, u interleaved), SWIGLU in place
             ("LOGITS", m),                 # router logits, one word per row
             ("BIAS", 1),                   # router bias word   } one LOAD per layer
             ("NORMW", d_words),            # mlp_norm weight    }
             ("MASKS", layers)]             # mask word of every layer (stored at the end)
    plan, a = {}, 0
    for name, n in sizes:
        plan[name] = (a, n)
        a += n
    return plan, a


def compile_mlp(weights: LlamaWeights, token_ids, core: CoreConfig | None = None,
                variant: str = "fused", trace_layers: bool = False) -> CompiledProgram:
    """Compile the MLP-only forward of ``token_ids`` (one batch of M rows) for ``core``.
    ``trace_layers`` also stores every layer's output rows (``layer_addrs[l]``, M rows of D
    words on DDR) for layer-by-layer checking.
    Raises ValueError listing every problem (shapes, limits, missing tensors, buffer or
    address space overflow)."""
    core = core or CoreConfig()
    toks = np.asarray(token_ids)
    problems = _check_inputs(weights, toks, core, variant)
    if problems:
        raise ValueError("cannot compile: " + "; ".join(problems))
    cfg = weights.cfg
    toks = toks.astype(np.int64)
    m, L = toks.size, cfg.layers
    kd, nc, bb = core.kdim, core.ncol, core.beat_bytes
    lanes = core.DATA_W // 16
    dw, fw = cfg.d // lanes, cfg.ffn // lanes
    gb, total = _gbuf_plan(m, dw, fw, L)
    if total > core.GBUF_DEPTH:
        detail = ", ".join(f"{k} {n}" for k, (_, n) in gb.items())
        raise ValueError(f"cannot compile: global buffer overflow: {total} words needed > "
                         f"GBUF_DEPTH={core.GBUF_DEPTH} ({detail}; M={m}, D={dw}, "
                         f"ffn/LANES={fw})")

    # -- data ------------------------------------------------------------------------------
    # FP16 / INT4 payloads by name; placed below
    ddr: list[tuple[str, bytes]] = [("x", _bits16(weights.embedding[toks]).astype("<u2")
                                     .tobytes())]
    hbm: list[tuple[str, int, bytes]] = []        # (name, port, bytes)
    groups = {}
    for l, lw in enumerate(weights.layers):
        ddr.append((f"layers.{l}.router", pack_fp16_weight(router_weight(lw, nc), kd, nc)))
        params = np.concatenate([router_bias_word(lw, nc), lw.mlp_norm])
        ddr.append((f"layers.{l}.params", _bits16(params).astype("<u2").tobytes()))
        gu_q = interleave_columns(lw.w_gate.q, lw.w_up.q, nc)
        gu_s = interleave_columns(lw.w_gate.scale, lw.w_up.scale, nc)
        for i, (name, q, s, g) in enumerate((
                ("gate_up", gu_q, gu_s, lw.w_gate.group),
                ("down", lw.w_down.q, lw.w_down.scale, lw.w_down.group))):
            key = f"layers.{l}.{name}"
            port = 1 + (2 * l + i) % core.NUM_HBM          # matrix-wise round robin
            hbm.append((key, port, pack_int4_weight(q, kd, nc)))
            ddr.append((key + ".scale", _bits16(s).astype("<u2").tobytes()))
            groups[key] = g

    def emit(t: dict[str, Tensor]) -> list[Insn]:
        snoop = variant != "rowwise"          # statistics snooped from LOAD / VSCAT
        fused = variant == "fused"            # normalisation fused into the gate/up MATMUL
        x, h, gu = gb["X"][0], gb["H"][0], gb["GU"][0]
        lg, bias, nw, mk = gb["LOGITS"][0], gb["BIAS"][0], gb["NORMW"][0], gb["MASKS"][0]
        prog = [Insn.npecfg(dw, f32bits(cfg.eps), f32bits(1.0 / cfg.d), 0, STAT_BASE),
                Insn.load(0, t["x"].addr, x, m * dw, stats=snoop)]
        prog[-1].comment = "x = embeddings" + (" (+ statistics)" if snoop else "")
        for l in range(L):
            p = f"layers.{l}."
            gu_t, dn_t = t[p + "gate_up"], t[p + "down"]
            prog += [Insn.mmcfg(cfg.d, nc),
                     Insn.matmul(0, m, x, lg, t[p + "router"].addr),
                     Insn.load(0, t[p + "params"].addr, bias, 1 + dw),
                     Insn.route(m, mk + l, lg, bias, PAIR_MLP)]
            prog[-3].comment = f"layer {l}: router logits"
            if not snoop:
                prog.append(Insn.rmssq(m, x, STAT_BASE))
            if fused:       # Alg. 1: the selected rows are normalised on their way into the
                prog.append(Insn.mmnorm(m, x, nw, STAT_BASE, mk + l))   # PE array
            else:
                prog.append(Insn.rmsnorm(m, h, x, nw, STAT_BASE, mask=mk + l, compact=True))
            prog += [Insn.mmcfg(cfg.d, 2 * cfg.ffn, t[p + "gate_up.scale"].addr,
                                groups[p + "gate_up"]),
                     Insn.matmul(gu_t.port, m, h, gu, gu_t.addr, int4=True, dyn=True,
                                 norm=fused),
                     Insn.swiglu(fw, gu, gu, dyn_rows=m),
                     Insn.mmcfg(cfg.ffn, cfg.d, t[p + "down.scale"].addr, groups[p + "down"]),
                     Insn.matmul(dn_t.port, m, gu, h, dn_t.addr, int4=True, dyn=True),
                     Insn.vscat(m, x, h, mk + l, stats=snoop)]
            if trace_layers:
                prog.append(Insn.store(0, t[f"out.layer{l}"].addr, x, m * dw))
                prog[-1].comment = f"layer {l}: output rows (trace)"
        prog += [Insn.store(0, t["out.hidden"].addr, x, m * dw),
                 Insn.store(0, t["out.masks"].addr, mk, L), Insn.end()]
        return prog

    n_insn = 2 + L * ((12 if variant == "rowwise" else 11) + int(trace_layers)) + 3
    tensors: dict[str, Tensor] = {}
    a = _align(PROG_BASE + n_insn * 16, DATA_ALIGN)
    outs = [("out.hidden", bytes(m * dw * bb)), ("out.masks", bytes(L * bb))]
    if trace_layers:
        outs += [(f"out.layer{l}", bytes(m * dw * bb)) for l in range(L)]
    for name, data in ddr + outs:
        tensors[name] = Tensor(0, a, len(data))
        a = _align(a + len(data), bb)
    nxt = {p: (p - 1) * HBM_PC_BYTES for p in range(1, core.NUM_HBM + 1)}
    for name, port, data in hbm:
        tensors[name] = Tensor(port, nxt[port], len(data))
        nxt[port] = _align(nxt[port] + len(data), DATA_ALIGN)
    top = 1 << core.ADDR_W
    over = [f"{n} (port {t.port}, 0x{t.addr:x}+{t.nbytes})" for n, t in tensors.items()
            if t.addr + t.nbytes > top]
    if over:
        raise ValueError(f"cannot compile: beyond the 2^{core.ADDR_W}-byte address space: "
                         + ", ".join(over))
    big = [n for n, t in tensors.items() if n.endswith(".scale") and t.addr + t.nbytes > 1 << 32]
    if big:
        raise ValueError("cannot compile: INT4 scales beyond 4 GB (MMCFG f1 is 32 bits): "
                         + ", ".join(big))
    prog = emit(tensors)
    assert len(prog) == n_insn, (len(prog), n_insn)
    _static_check(prog, core)
    images: dict[int, list[tuple[int, bytes]]] = {p: [] for p in range(core.NUM_HBM + 1)}
    for name, data in ddr:
        images[0].append((tensors[name].addr, data))
    for name, port, data in hbm:
        images[port].append((tensors[name].addr, data))
    return CompiledProgram(core=core, model=cfg, variant=variant, tokens=toks, program=prog,
                           prog_base=PROG_BASE, images=images, gbuf=gb, tensors=tensors,
                           hidden_addr=tensors["out.hidden"].addr,
                           masks_addr=tensors["out.masks"].addr,
                           layer_addrs=[tensors[f"out.layer{l}"].addr for l in range(L)]
                           if trace_layers else [],
                           matrix_ports={n: p for n, p, _ in hbm}, group_of=groups)


def _static_check(prog: list[Insn], core: CoreConfig) -> None:
    """Every instruction legal in program order (MMCFG/NPECFG state tracked): a compiler bug
    otherwise."""
    regs = Regs()
    for pc, i in enumerate(prog):
        e = regs.check(i, core)
        if e != Err.NONE:
            raise ValueError(f"internal compiler error: pc {pc} `{i}` fails with {e.name}")
        regs = config_after(i, regs)


# ------------------------------------------------------------------------------------------
# execution on the architectural model
# ------------------------------------------------------------------------------------------
def load_memories(c: CompiledProgram, shared_hbm: bool = False) -> dict[int, SparseMem]:
    """Fresh memories with the images and the program. ``shared_hbm``: one memory behind
    every HBM port (the testbench's flat HBM space) instead of one per port."""
    hbm = SparseMem() if shared_hbm else None
    mems = {0: SparseMem()}
    for p in range(1, c.core.NUM_HBM + 1):
        mems[p] = hbm if shared_hbm else SparseMem()
    for port, chunks in c.images.items():
        for addr, data in chunks:
            mems[port].write(addr, data)
    mems[0].write(c.prog_base, c.program_image())
    return mems


def read_outputs(c: CompiledProgram, ddr) -> tuple[np.ndarray, np.ndarray]:
    """(hidden bits uint16 [M, d], masks bool [L, M]) from the DDR memory after a run."""
    bb = c.core.beat_bytes
    hid = np.frombuffer(ddr.read(c.hidden_addr, c.tensors["out.hidden"].nbytes), dtype="<u2")
    masks = np.zeros((c.layers, c.m), dtype=bool)
    for l in range(c.layers):
        w = int.from_bytes(ddr.read(c.masks_addr + l * bb, bb), "little")
        masks[l] = [(w >> t) & 1 for t in range(c.m)]
    return hid.reshape(c.m, c.model.d).astype(np.uint16), masks


def run_model(c: CompiledProgram, shared_hbm: bool = False, errors=()) -> ModelOutputs:
    """Execute the program on model.core.CoreModel and decode the outputs. Raises
    RuntimeError if the core stops with an error."""
    mems = load_memories(c, shared_hbm)
    core = CoreModel(c.core, mems, errors)
    res = core.run(c.prog_base, len(c.program))
    if res.err != Err.NONE:
        raise RuntimeError(f"core stopped with {res.err.name} at pc {res.err_pc}: "
                           f"{c.program[res.err_pc] if res.err_pc < len(c.program) else ''}")
    bits, masks = read_outputs(c, mems[0])
    return ModelOutputs(bits.view(np.float16), bits, masks, res, core)


def prompt_tokens(cfg: LlamaConfig, m: int, seed: int = 0) -> np.ndarray:
    """A deterministic prompt of m token ids (uniform over the vocabulary, default_rng([seed,
    2]): a stream independent of the weights and the calibration tokens)."""
    return np.random.default_rng([seed, 2]).integers(0, cfg.vocab, size=m, dtype=np.int64)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Compile the MLP-only SkipGPT-Llama forward and "
                                 "print its program (docs/compiler.md).")
    ap.add_argument("--preset", choices=("tiny", "default"), default="tiny")
    ap.add_argument("-m", "--tokens", type=int, default=16, help="prompt length M")
    ap.add_argument("--variant", choices=VARIANTS, default="fused")
    ap.add_argument("--run", action="store_true", help="also run it on model/core.py")
    args = ap.parse_args(argv)
    from model.llama import make_model
    cfg = getattr(LlamaConfig, args.preset)()
    w = make_model(cfg)
    c = compile_mlp(w, prompt_tokens(cfg, args.tokens), variant=args.variant)
    print(f"# {args.preset} preset, M = {c.m}, {args.variant}: {len(c.program)} instructions")
    print("# global buffer: " + ", ".join(f"{k} {b}+{n}" for k, (b, n) in c.gbuf.items()))
    for line in c.disassembly():
        print(line)
    if args.run:
        out = run_model(c)
        r = out.result
        print(f"# ran: {r.retired} retired, CNT per layer {out.masks.sum(axis=1).tolist()}, "
              f"read bytes {r.rd_bytes}, written {r.wr_bytes}")


if __name__ == "__main__":
    main()
