"""SkipGPT-Llama: model description, deterministic model generator, routing rule and float64
reference forward (prefill and greedy decode) in the three KV modes of model/kv.py.

This is the functional reference the hardware compiler and the bit-accurate forward build on;
every decision is written down in docs/model.md.

* ``LlamaConfig``  shapes and hyper-parameters (validated, all problems reported at once);
                   presets ``LlamaConfig.tiny()`` (tests), ``LlamaConfig.default()`` (make sim)
                   and ``LlamaConfig.large()`` (the bandwidth benchmark).
* ``make_model``   deterministic synthetic weights from ``cfg.seed``: FP16 embedding and norms,
                   GPTQ symmetric INT4 matrices (``QWeight``) in ``[in, out]`` layout (y = x @ W),
                   two FP16 routers per layer (``Router``: Linear(d -> 2) with bias) whose
                   biases are calibrated to ``cfg.skip_target`` on the model's own activations.
* ``route``        the routing rule: logits = fp16(x @ w + b) (computed in float64, rounded once
                   to FP16), ``decide``: a token skips iff logit[1] > logit[0] (a tie executes);
                   layer-0 policy: attention always executes at layer 0, the MLP router applies.
* ``forward_float`` / ``decode_float``  float64 reference over one sequence (causal prefill,
                   then greedy decode), modes "dense", "partial" (SkipGPT PartialSkip) and
                   "reuse" (SkipOPU KV reuse).

Weights are float64-exact: an INT4 matrix means exactly ``q * scale`` (``QWeight.dequant``),
FP16 tensors mean their FP16 values. Activations are float64 throughout (no FP16 rounding);
only the router logits are rounded to FP16, as SkipGPT does, before the decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

from model import kv

TILE = 16                 # PE-array tile (KDIM = NCOL = DATA_W/16 at the default DATA_W = 256)
CALIB_SEQS = 8            # calibration sequences of min(max_seq, CALIB_LEN) tokens each
CALIB_LEN = 64            # (longer calibration sequences cost time quadratically, not accuracy)
FP16_MIN_NORMAL = 2.0 ** -14


def fp16(x) -> np.ndarray:
    """Round to FP16 as the core stores values: round to nearest even, overflow to +-Inf,
    magnitudes below the smallest normal (2^-14) flushed to a zero of the same sign
    (docs/numerics.md: the core reads subnormals as zero, DAZ)."""
    with np.errstate(over="ignore"):
        y = np.asarray(x, dtype=np.float64).astype(np.float16)
    return np.where(np.abs(y) < FP16_MIN_NORMAL, np.copysign(np.float16(0), y), y) \
        .astype(np.float16)


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


# ------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LlamaConfig:
    """Shapes and hyper-parameters of a SkipGPT-Llama model.

    d = heads * head_dim; GQA with kv_heads (query head h reads KV head h // (heads/kv_heads));
    ``group`` is the INT4 group size along the input dimension of every matrix; ``max_seq`` the
    longest sequence (prompt + decoded tokens); ``skip_target`` the fraction of (layer >= 1,
    token) pairs each router is calibrated to skip; ``seed`` makes the whole model."""
    layers: int
    d: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    eps: float = 1e-6
    rope_base: float = 10000.0
    group: int = 128
    max_seq: int = 4096
    skip_target: float = 0.25
    seed: int = 0

    def __post_init__(self):
        problems = []
        bad = set()
        for name in ("layers", "d", "heads", "kv_heads", "head_dim", "ffn", "vocab", "group",
                     "max_seq"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                problems.append(f"{name}={v!r} is not a positive integer")
                bad.add(name)

        def ok(*names):
            return not bad.intersection(names)

        if ok("d", "heads", "head_dim") and self.d != self.heads * self.head_dim:
            problems.append(f"d={self.d} != heads*head_dim={self.heads * self.head_dim}")
        if ok("heads", "kv_heads") and self.heads % self.kv_heads:
            problems.append(f"heads={self.heads} is not a multiple of kv_heads={self.kv_heads}")
        for name in ("d", "head_dim", "ffn", "vocab", "group"):
            if ok(name) and getattr(self, name) % TILE:
                problems.append(f"{name}={getattr(self, name)} is not a multiple of {TILE} "
                                "(PE-array tile)")
        for name in ("d", "ffn"):
            if ok(name, "group") and getattr(self, name) % self.group:
                problems.append(f"group={self.group} does not divide {name}="
                                f"{getattr(self, name)}")
        if not _real(self.eps) or not 0 < self.eps < 1:
            problems.append(f"eps={self.eps!r} not in (0, 1)")
        if not _real(self.rope_base) or not 1 < self.rope_base < math.inf:
            problems.append(f"rope_base={self.rope_base!r} is not a finite number > 1")
        if not _real(self.skip_target) or not 0 <= self.skip_target <= 1:
            problems.append(f"skip_target={self.skip_target!r} not in [0, 1]")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) \
                or self.seed < 0:
            problems.append(f"seed={self.seed!r} is not a non-negative integer")
        if problems:
            raise ValueError("bad Llama configuration: " + "; ".join(problems))

    @classmethod
    def tiny(cls, **overrides) -> "LlamaConfig":
        """Fast-test preset (about 0.16 M parameters)."""
        return cls(**{**dict(layers=4, d=64, heads=4, kv_heads=2, head_dim=16, ffn=128,
                             vocab=64, group=32, max_seq=32), **overrides})

    @classmethod
    def default(cls, **overrides) -> "LlamaConfig":
        """`make sim` preset (about 4.9 M parameters)."""
        return cls(**{**dict(layers=8, d=256, heads=8, kv_heads=4, head_dim=32, ffn=512,
                             vocab=256, group=64, max_seq=64), **overrides})

    @classmethod
    def large(cls, **overrides) -> "LlamaConfig":
        """Bandwidth-benchmark preset (issue 15; about 26 M parameters, matrices of 0.5 to 2.9
        MB): d 1024, 16 query / 8 KV heads of 64, FFN 2816. Its KV entry is 64 words at
        DATA_W 256 (a core with KV_ENTRY_MAX >= 64; docs/compiler.md)."""
        return cls(**{**dict(layers=4, d=1024, heads=16, kv_heads=8, head_dim=64, ffn=2816,
                             vocab=256, group=128, max_seq=64), **overrides})

    @property
    def n_rep(self) -> int:
        """Query heads per KV head."""
        return self.heads // self.kv_heads

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def kv_entry_bytes(self) -> int:
        """One KV entry (K and V of one token at one layer, all KV heads, FP16): docs/kv.md."""
        return 2 * self.kv_heads * self.head_dim * 2


def _real(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and math.isfinite(v)


# ------------------------------------------------------------------------------------------
# weights
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class QWeight:
    """GPTQ symmetric INT4 matrix in [in, out] = [K, N] layout (y = x @ W).

    ``q``: int8 [K, N], signed INT4 values in [-8, 7]; ``scale``: FP16 [K / group, N].
    The weight is exactly ``q[k, n] * scale[k // group, n]`` (model/pe.py convention); the
    GPTQ unsigned storage is ``q + 8`` with zero point 8 (``uint4``)."""
    q: np.ndarray
    scale: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.q.shape

    @property
    def group(self) -> int:
        return self.q.shape[0] // self.scale.shape[0]

    def dequant(self) -> np.ndarray:
        """float64 [K, N] = q * scale, exact (not rounded to FP16: the PE array multiplies
        x by q exactly and scales each group's FP32 partial sum). Computed once, read-only."""
        w = self.__dict__.get("_dequant")
        if w is None:
            s = np.repeat(self.scale.astype(np.float64), self.group, axis=0)
            w = _ro(self.q.astype(np.float64) * s)
            object.__setattr__(self, "_dequant", w)
        return w

    def uint4(self) -> np.ndarray:
        """GPTQ storage: unsigned 4-bit codes q + 8 in [0, 15] (zero point 8)."""
        return (self.q.astype(np.int16) + 8).astype(np.uint8)


def quantize(w: np.ndarray, group: int) -> QWeight:
    """GPTQ symmetric round-to-nearest INT4 per (group of ``group`` input rows, output column):
    scale = fp16(2 * max|w| / 15), q = clamp(rint(w / scale), -8, 7) computed with the FP16
    scale (a scale that rounds to zero gives q = 0). |w - q*scale| <= scale/2 except at the
    positive clamp, where the FP16 rounding of the scale can add up to 7.5 * 2^-11 * scale."""
    w = np.asarray(w, dtype=np.float64)
    k_, n_ = w.shape
    if k_ % group:
        raise ValueError(f"group={group} does not divide K={k_}")
    amax = np.abs(w.reshape(k_ // group, group, n_)).max(axis=1)
    scale = fp16(2.0 * amax / 15.0)
    s = np.repeat(scale.astype(np.float64), group, axis=0)
    q = np.where(s > 0, np.clip(np.rint(w / np.where(s > 0, s, 1.0)), -8, 7), 0)
    return QWeight(_ro(q.astype(np.int8)), _ro(scale))


@dataclass(frozen=True, eq=False)
class Router:
    """SkipGPT router Linear(d -> 2) with bias, FP16: logits = x @ weight + bias; index 1 is
    "skip". ``weight`` [d, 2] ([in, out] layout; SkipGPT stores it transposed, [2, d]),
    ``bias`` [2]."""
    weight: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True, eq=False)
class LayerWeights:
    attn_norm: np.ndarray        # FP16 [d]
    wq: QWeight                  # [d, heads*hd]
    wk: QWeight                  # [d, kv_heads*hd]
    wv: QWeight                  # [d, kv_heads*hd]
    wo: QWeight                  # [heads*hd, d]
    mlp_norm: np.ndarray         # FP16 [d]
    w_gate: QWeight              # [d, ffn]
    w_up: QWeight                # [d, ffn]
    w_down: QWeight              # [ffn, d]
    router_attn: Router          # reads the layer input (residual before attn_norm)
    router_mlp: Router           # reads the same layer input (SkipGPT 'same' order)


MATRICES = ("wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down")


@dataclass(frozen=True, eq=False)
class LlamaWeights:
    """All parameters of a model (arrays are read-only; use dataclasses.replace to derive)."""
    cfg: LlamaConfig
    embedding: np.ndarray        # FP16 [vocab, d]
    layers: tuple                # of LayerWeights
    final_norm: np.ndarray       # FP16 [d]
    lm_head: QWeight             # [d, vocab]

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array by a dotted name ("layers.3.wq.q", "layers.3.router_mlp.bias", ...)."""
        out = {"embedding": self.embedding}
        for i, lw in enumerate(self.layers):
            p = f"layers.{i}."
            for f in fields(lw):
                v = getattr(lw, f.name)
                if isinstance(v, QWeight):
                    out[p + f.name + ".q"], out[p + f.name + ".scale"] = v.q, v.scale
                elif isinstance(v, Router):
                    out[p + f.name + ".weight"], out[p + f.name + ".bias"] = v.weight, v.bias
                else:
                    out[p + f.name] = v
        out["final_norm"] = self.final_norm
        out["lm_head.q"], out["lm_head.scale"] = self.lm_head.q, self.lm_head.scale
        return out


def make_model(cfg: LlamaConfig, calibrate_routers: bool = True) -> LlamaWeights:
    """Deterministic synthetic model from ``cfg.seed`` (numpy default_rng(seed); the draw order
    below is part of the definition): embedding N(0, 1); per layer attn_norm, wq, wk, wv, wo,
    mlp_norm, w_gate, w_up, w_down, router_attn.weight, router_mlp.weight; final_norm; lm_head.
    Norm weights 1 + 0.1 N(0, 1); every matrix N(0, 1/in) then INT4-quantised; router weights
    N(0, 1/d) FP16. Router biases are then calibrated (``calibrate``) on
    ``calibration_tokens(cfg)`` unless ``calibrate_routers`` is False (biases zero)."""
    rng = np.random.default_rng(cfg.seed)
    d = cfg.d

    def norm():
        return _ro(fp16(1.0 + 0.1 * rng.standard_normal(d)))

    def mat(k_, n_):
        return quantize(rng.standard_normal((k_, n_)) / math.sqrt(k_), cfg.group)

    def router():
        return Router(_ro(fp16(rng.standard_normal((d, 2)) / math.sqrt(d))),
                      _ro(np.zeros(2, dtype=np.float16)))

    emb = _ro(fp16(rng.standard_normal((cfg.vocab, d))))
    layers = []
    for _ in range(cfg.layers):
        layers.append(LayerWeights(
            attn_norm=norm(), wq=mat(d, cfg.heads * cfg.head_dim), wk=mat(d, cfg.kv_dim),
            wv=mat(d, cfg.kv_dim), wo=mat(cfg.heads * cfg.head_dim, d), mlp_norm=norm(),
            w_gate=mat(d, cfg.ffn), w_up=mat(d, cfg.ffn), w_down=mat(cfg.ffn, d),
            router_attn=router(), router_mlp=router()))
    w = LlamaWeights(cfg, emb, tuple(layers), norm(), mat(d, cfg.vocab))
    return calibrate(w, calibration_tokens(cfg)) if calibrate_routers else w


def calibration_tokens(cfg: LlamaConfig) -> np.ndarray:
    """The calibration batch: CALIB_SEQS sequences of min(max_seq, CALIB_LEN) token ids,
    uniform over the vocabulary, from default_rng([seed, 1]) (a stream independent of the
    weights)."""
    rng = np.random.default_rng([cfg.seed, 1])
    return rng.integers(0, cfg.vocab, size=(CALIB_SEQS, min(cfg.max_seq, CALIB_LEN)),
                        dtype=np.int64)


# ------------------------------------------------------------------------------------------
# routing
# ------------------------------------------------------------------------------------------
def route_logits(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Router logits [T, 2] FP16: float64 x @ w + b, rounded once to FP16 (``fp16``), as
    SkipGPT casts the logits back to the activation dtype before the decision."""
    x = np.asarray(x, dtype=np.float64)
    return fp16(x @ np.asarray(w, dtype=np.float64) + np.asarray(b, dtype=np.float64))


def decide(logits16: np.ndarray) -> np.ndarray:
    """THE routing decision, used by everything: exec = not (logit[1] > logit[0]) on the FP16
    values (index 1 = skip; a tie, including +0 vs -0, executes; a NaN executes)."""
    lg = np.asarray(logits16, dtype=np.float16)
    return ~(lg[..., 1] > lg[..., 0])


def route(x: np.ndarray, w: np.ndarray, b: np.ndarray, layer: int | None = None,
          module: str | None = None) -> np.ndarray:
    """Exec mask [T] of a router on layer inputs x [T, d]: decide(route_logits(x, w, b)).
    With ``layer`` and ``module`` ("attn" / "mlp") the layer-0 policy applies: at layer 0 every
    token executes attention (its router is evaluated but not applied, so every token has a KV
    entry to fall back to, docs/kv.md); the layer-0 MLP router applies like any other."""
    if layer is not None and module not in ("attn", "mlp"):
        raise ValueError(f"module must be 'attn' or 'mlp', not {module!r}")
    e = decide(route_logits(x, w, b))
    if layer == 0 and module == "attn":
        e = np.ones_like(e)
    return e


def calibrate(weights: LlamaWeights, tokens: np.ndarray) -> LlamaWeights:
    """Set every router's bias so that a fraction ``cfg.skip_target`` of the calibration tokens
    skips, layer by layer, on the model's own activations.

    Layer l's routers see the layer inputs of the PartialSkip forward of ``tokens`` [S, T]
    whose earlier layers already route with their calibrated biases. With s = x.w[:,1] - x.w[:,0]
    over the S*T tokens sorted descending and k = round(target * S*T), bias = fp16([0, beta])
    with beta = -(s_k + s_(k+1)) / 2, the midpoint between the k-th and (k+1)-th largest
    scores, so exactly the k top-scoring tokens skip (up to the FP16 rounding of the logits).
    The layer-0 attention router is calibrated the same way although the policy overrides it."""
    cfg = weights.cfg
    tokens = np.atleast_2d(np.asarray(tokens, dtype=np.int64))
    _check_tokens(cfg, tokens.reshape(-1), tokens.shape[1])
    states = [_State(cfg, tokens.shape[1]) for _ in tokens]
    xs = [weights.embedding[t].astype(np.float64) for t in tokens]
    pos = np.arange(tokens.shape[1])
    layers = []
    for l, lw in enumerate(weights.layers):
        xall = np.concatenate(xs)
        lw = replace(lw, router_attn=_calibrated(lw.router_attn, xall, cfg.skip_target),
                     router_mlp=_calibrated(lw.router_mlp, xall, cfg.skip_target))
        layers.append(lw)
        for i, st in enumerate(states):
            ea = route(xs[i], lw.router_attn.weight, lw.router_attn.bias, l, "attn")
            em = route(xs[i], lw.router_mlp.weight, lw.router_mlp.bias, l, "mlp")
            xs[i] = _layer(cfg, lw, st, l, xs[i], pos, "partial", ea, em)
    return replace(weights, layers=tuple(layers))


def _calibrated(r: Router, x: np.ndarray, target: float) -> Router:
    a = x @ r.weight.astype(np.float64)
    s = np.sort(a[:, 1] - a[:, 0])[::-1]
    n = len(s)
    k = int(round(target * n))
    spread = max(1.0, float(s[0] - s[-1]))
    if k == 0:
        beta = -(s[0] + spread)
    elif k == n:
        beta = -(s[-1] - spread)
    else:
        beta = -(s[k - 1] + s[k]) / 2
    return Router(r.weight, _ro(fp16([0.0, beta])))


def skip_rates(exec_attn: np.ndarray, exec_mlp: np.ndarray) -> dict:
    """Skipped fractions: "attn" and "mlp" over the (layer >= 1, token) pairs (the calibration
    target), "mlp_layer0" for the layer-0 MLP router."""
    ea, em = np.asarray(exec_attn, bool), np.asarray(exec_mlp, bool)
    return {"attn": float((~ea[1:]).mean()) if ea.shape[0] > 1 else 0.0,
            "mlp": float((~em[1:]).mean()) if em.shape[0] > 1 else 0.0,
            "mlp_layer0": float((~em[0]).mean())}


def kv_storage(cfg: LlamaConfig, exec_attn: np.ndarray, mode: str) -> dict:
    """KV storage of a routed sequence (model.kv.storage with this model's entry size)."""
    return kv.storage(exec_attn, mode, cfg.kv_entry_bytes)


# ------------------------------------------------------------------------------------------
# float64 building blocks
# ------------------------------------------------------------------------------------------
def rmsnorm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    """x / sqrt(mean(x^2) + eps) * w over the last axis, float64 (HF LlamaRMSNorm)."""
    x = np.asarray(x, dtype=np.float64)
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) \
        * np.asarray(w, dtype=np.float64)


def silu(x: np.ndarray) -> np.ndarray:
    """x * sigmoid(x), written with tanh (no overflow)."""
    return x * 0.5 * (1.0 + np.tanh(0.5 * x))


def rope_angles(positions, head_dim: int, base: float) -> np.ndarray:
    """theta [T, head_dim/2]: pair k of position p rotates by p * base^(-2k/head_dim) (the
    same float64 expression as model.npe.rot_table)."""
    k = np.arange(head_dim // 2)
    return np.asarray(positions, dtype=np.float64)[:, None] * base ** (-2.0 * k / head_dim)


def rope_float(x: np.ndarray, positions, base: float) -> np.ndarray:
    """RoPE on x [T, n_heads, head_dim] (float64), the hardware's interleaved (Meta) pairing:
    (x[2k], x[2k+1]) -> (x0 cos - x1 sin, x0 sin + x1 cos), exact cos/sin (the hardware uses the
    FP16-rounded table of model.npe.rot_table)."""
    x = np.asarray(x, dtype=np.float64)
    th = rope_angles(positions, x.shape[-1], base)[:, None, :]
    c, s = np.cos(th), np.sin(th)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    y = np.empty_like(x)
    y[..., 0::2] = x0 * c - x1 * s
    y[..., 1::2] = x0 * s + x1 * c
    return y


def rope_perm(head_dim: int) -> np.ndarray:
    """perm with x_hf = x_interleaved[perm] = [0, 2, 4, ..., 1, 3, 5, ...]: HF's rotate_half
    on x_hf equals the interleaved RoPE on x_interleaved, permuted the same way."""
    return np.concatenate([np.arange(0, head_dim, 2), np.arange(1, head_dim, 2)])


def permute_hf_qk(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Reorder the output columns of an HF q_proj/k_proj weight in [in, out] layout (the
    transpose of HF's [out, in]) from HF's rotate_half order to the interleaved order used
    here and by the hardware, per head."""
    w = np.asarray(w)
    hd = w.shape[1] // n_heads
    inv = np.argsort(rope_perm(hd))
    cols = (np.arange(n_heads)[:, None] * hd + inv[None, :]).reshape(-1)
    return w[:, cols]


def attention(q: np.ndarray, qpos: np.ndarray, k: np.ndarray, v: np.ndarray,
              n_rep: int) -> np.ndarray:
    """Causal GQA softmax attention, float64. q [nq, H, hd] at positions qpos; k, v
    [n, KV, hd] for positions 0..n-1; query head h reads KV head h // n_rep; key s is visible
    to the query at position p iff s <= p; scale 1/sqrt(hd). Returns [nq, H*hd]."""
    nq, n_h, hd = q.shape
    kx = np.repeat(k, n_rep, axis=1)
    vx = np.repeat(v, n_rep, axis=1)
    sc = np.einsum("qhd,shd->hqs", q, kx) / math.sqrt(hd)
    vis = np.arange(k.shape[0])[None, :] <= np.asarray(qpos)[:, None]
    sc = np.where(vis[None], sc, -np.inf)
    sc = sc - sc.max(axis=-1, keepdims=True)
    p = np.exp(sc)
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("hqs,shd->qhd", p, vx).reshape(nq, n_h * hd)


def mlp(h: np.ndarray, lw: LayerWeights) -> np.ndarray:
    """SwiGLU: down(silu(h @ gate) * (h @ up)), float64, on RMSNormed inputs h."""
    return (silu(h @ lw.w_gate.dequant()) * (h @ lw.w_up.dequant())) @ lw.w_down.dequant()


# ------------------------------------------------------------------------------------------
# forward
# ------------------------------------------------------------------------------------------
@dataclass(eq=False)
class ForwardResult:
    """Everything the float reference computed for one sequence of T processed tokens.

    hidden[l] is the input of layer l (the residual stream; hidden[0] the embedding) and
    hidden[L] the output of the last layer; mid[l] the residual after layer l's attention
    (before its MLP). k, v hold the KV entries stored at each layer (after RoPE for K), NaN
    where nothing was written (written[l, t] False: reuse mode, token skipped attention).
    logits_attn / logits_mlp are the FP16 router logits (computed in every mode, applied
    unless the mode is dense or routing is overridden). final is the final RMSNorm output,
    logits the LM-head output. For decode_float, ``generated`` holds the M greedy tokens;
    ``tokens`` = prompt + generated[:-1] (the last generated token is not fed back)."""
    cfg: LlamaConfig
    mode: str
    tokens: np.ndarray           # [T]
    hidden: np.ndarray           # [L+1, T, d]
    mid: np.ndarray              # [L, T, d]
    exec_attn: np.ndarray        # [L, T] bool
    exec_mlp: np.ndarray         # [L, T] bool
    logits_attn: np.ndarray      # [L, T, 2] FP16
    logits_mlp: np.ndarray       # [L, T, 2] FP16
    k: np.ndarray                # [L, T, kv_heads, head_dim]
    v: np.ndarray                # [L, T, kv_heads, head_dim]
    written: np.ndarray          # [L, T] bool
    final: np.ndarray            # [T, d]
    logits: np.ndarray           # [T, vocab]
    generated: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def kv_sources(self) -> np.ndarray:
        """src[l, t]: the layer whose entry of token t a reader at layer l uses."""
        return kv.source_layers(self.exec_attn, self.mode)

    def kv_storage(self) -> dict:
        return kv_storage(self.cfg, self.exec_attn, self.mode)

    def skip_rates(self) -> dict:
        return skip_rates(self.exec_attn, self.exec_mlp)


class _State:
    """KV cache and per-position records of one sequence being processed."""

    def __init__(self, cfg: LlamaConfig, cap: int):
        n_l = cfg.layers
        self.n = 0
        self.tokens = np.zeros(cap, dtype=np.int64)
        self.hidden = np.zeros((n_l + 1, cap, cfg.d))
        self.mid = np.zeros((n_l, cap, cfg.d))
        self.exec_attn = np.zeros((n_l, cap), dtype=bool)
        self.exec_mlp = np.zeros((n_l, cap), dtype=bool)
        self.logits_attn = np.zeros((n_l, cap, 2), dtype=np.float16)
        self.logits_mlp = np.zeros((n_l, cap, 2), dtype=np.float16)
        self.k = np.full((n_l, cap, cfg.kv_heads, cfg.head_dim), np.nan)
        self.v = np.full((n_l, cap, cfg.kv_heads, cfg.head_dim), np.nan)
        self.written = np.zeros((n_l, cap), dtype=bool)
        self.final = np.zeros((cap, cfg.d))
        self.logits = np.zeros((cap, cfg.vocab))


def _layer(cfg: LlamaConfig, lw: LayerWeights, st: _State, l: int, x: np.ndarray,
           pos: np.ndarray, mode: str, ea: np.ndarray, em: np.ndarray) -> np.ndarray:
    """One decoder layer on the new tokens x [c, d] at positions pos (the earlier positions are
    in st's KV cache); ea / em their attention / MLP exec masks. Returns the layer output."""
    c, end = len(pos), int(pos[-1]) + 1
    n_h, n_kv, hd = cfg.heads, cfg.kv_heads, cfg.head_dim
    st.hidden[l, pos] = x
    st.exec_attn[l, pos] = ea
    st.exec_mlp[l, pos] = em
    h = rmsnorm(x, lw.attn_norm, cfg.eps)
    # K/V of the new tokens; stored only by writers (reuse: executing tokens; else all).
    kn = rope_float((h @ lw.wk.dequant()).reshape(c, n_kv, hd), pos, cfg.rope_base)
    vn = (h @ lw.wv.dequant()).reshape(c, n_kv, hd)
    wr = kv.writes(st.exec_attn[:l + 1, pos], mode)[l]
    st.k[l, pos[wr]] = kn[wr]
    st.v[l, pos[wr]] = vn[wr]
    st.written[l, pos] = wr
    # Readers at layer l use each token's entry from kv.source_layers (reuse: last layer <= l
    # where the token executed attention; else layer l).
    src = kv.source_layers(st.exec_attn[:l + 1, :end], mode)[l]
    keys = st.k[src, np.arange(end)]
    vals = st.v[src, np.arange(end)]
    assert not np.isnan(keys).any() and not np.isnan(vals).any(), "read an unwritten KV entry"
    x = x.copy()
    qi = np.flatnonzero(ea)
    if qi.size:           # skipped tokens: attention output zero, only the residual survives
        q = rope_float((h[qi] @ lw.wq.dequant()).reshape(-1, n_h, hd), pos[qi], cfg.rope_base)
        x[qi] += attention(q, pos[qi], keys, vals, cfg.n_rep) @ lw.wo.dequant()
    st.mid[l, pos] = x
    mi = np.flatnonzero(em)
    if mi.size:           # skipped tokens: the residual passes unchanged
        x[mi] += mlp(rmsnorm(x[mi], lw.mlp_norm, cfg.eps), lw)
    return x


def _feed(w: LlamaWeights, st: _State, toks: np.ndarray, mode: str, force_exec: bool,
          masks) -> None:
    """Process the next tokens (a prefill chunk or one decode token) through every layer."""
    cfg = w.cfg
    pos = np.arange(st.n, st.n + len(toks))
    st.tokens[pos] = toks
    x = w.embedding[toks].astype(np.float64)
    for l, lw in enumerate(w.layers):
        ra, rm = lw.router_attn, lw.router_mlp
        la, lm = route_logits(x, ra.weight, ra.bias), route_logits(x, rm.weight, rm.bias)
        st.logits_attn[l, pos], st.logits_mlp[l, pos] = la, lm
        if mode == "dense" or force_exec:
            ea = em = np.ones(len(pos), dtype=bool)
        elif masks is not None:
            ea, em = masks[0][l, pos], masks[1][l, pos]
        else:
            ea = route(x, ra.weight, ra.bias, l, "attn")
            em = route(x, rm.weight, rm.bias, l, "mlp")
        x = _layer(cfg, lw, st, l, x, pos, mode, ea, em)
    st.hidden[cfg.layers, pos] = x
    st.final[pos] = rmsnorm(x, w.final_norm, cfg.eps)
    st.logits[pos] = st.final[pos] @ w.lm_head.dequant()
    st.n += len(toks)


def _check_tokens(cfg: LlamaConfig, toks, total: int) -> np.ndarray:
    toks = np.asarray(toks)
    if toks.ndim != 1 or toks.size == 0 or not np.issubdtype(toks.dtype, np.integer):
        raise ValueError("token ids must be a non-empty 1-D integer array")
    if toks.min() < 0 or toks.max() >= cfg.vocab:
        raise ValueError(f"token ids must be in [0, {cfg.vocab})")
    if total > cfg.max_seq:
        raise ValueError(f"{total} positions exceed max_seq={cfg.max_seq}")
    return toks.astype(np.int64)


def _check_routing(cfg: LlamaConfig, mode: str, force_exec: bool, masks, total: int):
    if mode not in kv.MODES:
        raise ValueError(f"unknown mode {mode!r} (one of {kv.MODES})")
    if masks is None:
        return None
    if mode == "dense" or force_exec:
        raise ValueError("masks override the routers; dense mode and force_exec have none")
    ea, em = (np.asarray(m, dtype=bool) for m in masks)
    if ea.shape != (cfg.layers, total) or em.shape != (cfg.layers, total):
        raise ValueError(f"masks must be two bool arrays [layers, tokens] = "
                         f"[{cfg.layers}, {total}]")
    kv.check_masks(ea)            # layer-0 policy: attention executes at layer 0
    return ea, em


def _result(w: LlamaWeights, st: _State, mode: str, generated=None) -> ForwardResult:
    n = st.n
    return ForwardResult(
        cfg=w.cfg, mode=mode, tokens=st.tokens[:n], hidden=st.hidden[:, :n], mid=st.mid[:, :n],
        exec_attn=st.exec_attn[:, :n], exec_mlp=st.exec_mlp[:, :n],
        logits_attn=st.logits_attn[:, :n], logits_mlp=st.logits_mlp[:, :n],
        k=st.k[:, :n], v=st.v[:, :n], written=st.written[:, :n], final=st.final[:n],
        logits=st.logits[:n],
        generated=np.asarray(generated if generated is not None else [], dtype=np.int64))


def forward_float(weights: LlamaWeights, token_ids, mode: str, *, force_exec: bool = False,
                  masks=None) -> ForwardResult:
    """float64 causal prefill of ``token_ids`` [T] (positions 0..T-1).

    mode: "dense" (no routing, every token executes everything), "partial" (SkipGPT
    PartialSkip: routers decide; K/V written by every token at every layer), "reuse" (KV reuse:
    a token skipping attention at layer l writes no KV there; readers use model.kv
    source_layers). ``force_exec`` makes every router execute; ``masks`` = (exec_attn,
    exec_mlp), bool [L, T] each, replaces the routers (layer-0 attention must be all True)."""
    cfg = weights.cfg
    toks = _check_tokens(cfg, token_ids, np.asarray(token_ids).size)
    masks = _check_routing(cfg, mode, force_exec, masks, len(toks))
    st = _State(cfg, len(toks))
    _feed(weights, st, toks, mode, force_exec, masks)
    return _result(weights, st, mode)


def decode_float(weights: LlamaWeights, prompt, steps: int, mode: str, *,
                 force_exec: bool = False, masks=None) -> ForwardResult:
    """Prefill ``prompt`` [T], then greedy generation of ``steps`` tokens: each next token is the
    argmax of the last logits (ties -> lowest index) and is fed back one token at a time,
    reusing the KV cache with the mode's semantics (its routing decisions are made as it is
    fed). T + steps - 1 positions are processed; that must not exceed max_seq. ``masks``, if
    given, covers the T + steps - 1 processed positions."""
    cfg = weights.cfg
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps={steps!r} is not a positive integer")
    n_p = np.asarray(prompt).size
    total = n_p + steps - 1
    toks = _check_tokens(cfg, prompt, total)
    masks = _check_routing(cfg, mode, force_exec, masks, total)
    st = _State(cfg, total)
    _feed(weights, st, toks, mode, force_exec, masks)
    gen = [int(np.argmax(st.logits[st.n - 1]))]
    while len(gen) < steps:
        _feed(weights, st, np.array(gen[-1:]), mode, force_exec, masks)
        gen.append(int(np.argmax(st.logits[st.n - 1])))
    return _result(weights, st, mode, gen)


def prompt_tokens(cfg: LlamaConfig, m: int, seed: int = 0) -> np.ndarray:
    """A deterministic prompt of m token ids (uniform over the vocabulary, default_rng([seed,
    2]): a stream independent of the weights and the calibration tokens)."""
    return np.random.default_rng([seed, 2]).integers(0, cfg.vocab, size=m, dtype=np.int64)
