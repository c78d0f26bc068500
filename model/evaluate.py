"""Figures of a generation (model/generate.py) against the float64 reference (model/llama.py)
and the KV cache it left in HBM: used by the end-to-end testbench and `make sim`
(tb/e2e/tb_e2e.py) and by the model-only tests (tb/compiler/test_generate.py).

The float64 run is teacher-forced with the hardware's tokens and routing decisions
(docs/verification.md "Float64 bounds"): ``forward_float(weights, prompt + generated[:-1], mode,
masks=(hardware masks))``. Routing agreement compares the hardware masks with the float routers
run free on the float activations (``decode_float``).
"""

from __future__ import annotations

import numpy as np

from model import kv as K
from model.llama import decide, decode_float, forward_float

# bounds asserted by the tests and by `make sim` (docs/verification.md "Float64 bounds")
HIDDEN_BOUND = 2e-2          # relative L2 error of the final hidden rows and of every layer
KV_BOUND = 2e-2              # relative L2 error of every KV entry against the float k, v
ROUTING_BOUND = 0.9          # routing agreement with the teacher-forced float routers
TIE_GAP = 5e-2               # float top-2 gap (relative) below which a token is a near tie


def f16(bits) -> np.ndarray:
    return np.asarray(bits, dtype=np.uint16).view(np.float16).astype(np.float64)


def rel(a, b) -> float:
    """Relative L2 error; infinite when a holds a NaN or an infinity (never within a bound)."""
    a = np.asarray(a, dtype=np.float64)
    if not np.isfinite(a).all():
        return float("inf")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def hbm_entries(img, mems, gen) -> dict:
    """(layer, token) -> float64 [2, kv_heads, head_dim] (K after RoPE, V) of every entry the
    generation wrote, found in HBM with ``KvMap.locate`` from the masks."""
    cfg, core = img.cfg, img.core
    ea, _ = gen.exec_masks()
    w = K.writes(ea, "reuse" if img.mode == "reuse" else "partial")
    e = 2 * cfg.kv_dim // (core.DATA_W // 16)
    kmap = K.KvMap(core.KV_PORTS, e * core.beat_bytes, core.KV_TOKENS, cfg.layers, img.mapping,
                   tuple((p << 28) + img.kv_off for p in range(core.KV_PORTS)))
    out = {}
    for l in range(cfg.layers):
        for t in np.flatnonzero(w[l]):
            raw = b"".join(mems[p + 1].read(a, n) for p, a, n in kmap.locate(w, l, t))
            out[l, t] = f16(np.frombuffer(raw, dtype="<u2")).reshape(2, cfg.kv_heads,
                                                                      cfg.head_dim)
    return out


def float_check(img, gen, mems=None) -> dict:
    """Figures of ``gen`` against float64; ``mems`` (port -> memory with ``read``) adds the KV
    entry comparison. Keys: hidden_err (all final rows), hidden_row_err (worst row),
    layer_err (per layer, traced runs), tokens_float, token_match / near_ties, routing_attn /
    routing_mlp, kv_err (worst entry), kv_entries, storage (model.kv.storage), skip ratios."""
    w, mode = img.weights, img.mode
    cfg = w.cfg
    ea, em = gen.exec_masks()
    seq = np.concatenate([gen.prompt, gen.tokens[:-1]]).astype(np.int64)
    ref = forward_float(w, seq, mode, **({} if mode == "dense" else {"masks": (ea, em)}))
    n_p = len(gen.prompt)
    hid = np.concatenate([f16(s.hidden) for s in gen.steps])
    out = {"hidden_err": rel(hid, ref.hidden[-1]),
           "hidden_row_err": max(rel(hid[i], ref.hidden[-1][i]) for i in range(len(hid)))}
    if gen.steps[0].layers:
        out["layer_err"] = [rel(np.concatenate([f16(s.layers[l]) for s in gen.steps]),
                                ref.hidden[l + 1]) for l in range(cfg.layers)]
    toks, ties, match = [], [], 0
    for i, tok in enumerate(gen.tokens):
        lg = ref.logits[n_p - 1 + i]
        toks.append(int(np.argmax(lg)))
        top = np.sort(lg)[-2:]
        if top[1] - top[0] > TIE_GAP * max(abs(top[1]), 1.0):
            match += tok == toks[-1]
        else:
            ties.append(i)
    out.update(tokens_float=toks, token_match=match, near_ties=ties,
               tokens_clear=len(gen.tokens) - len(ties))
    if mode != "dense":
        # each decision of the core against the float64 router on the float64 layer input that
        # followed the core's decisions so far (teacher-forced): a per-decision check that
        # holds at any length; the free-running float routers (their own tokens and masks)
        # drift apart after the first flipped near tie, an information figure only
        fa = decide(ref.logits_attn)
        fa[0] = True                                   # layer-0 policy
        out["routing_attn"] = float((fa == ea).mean())
        out["routing_mlp"] = float((decide(ref.logits_mlp) == em).mean())
        free = decode_float(w, gen.prompt, len(gen.tokens), mode)
        out["routing_free_attn"] = float((free.exec_attn == ea).mean())
        out["routing_free_mlp"] = float((free.exec_mlp == em).mean())
    else:
        out["routing_attn"] = out["routing_mlp"] = 1.0
    out["storage"] = K.storage(ea, mode, cfg.kv_entry_bytes)
    out["skip_attn"] = [float(1 - ea[l].mean()) for l in range(cfg.layers)]
    out["skip_mlp"] = [float(1 - em[l].mean()) for l in range(cfg.layers)]
    if mems is not None:
        ents = hbm_entries(img, mems, gen)
        out["kv_entries"] = len(ents)
        out["kv_err"] = max((max(rel(v[0], ref.k[l, t]), rel(v[1], ref.v[l, t]))
                             for (l, t), v in ents.items()), default=0.0)
    return out


def problems(fc: dict, n_tokens: int, kv_written: int | None = None) -> list[str]:
    """The bounds (docs/verification.md "Float64 bounds") that ``fc`` (float_check) violates."""
    bad = []
    if fc["hidden_err"] > HIDDEN_BOUND:
        bad.append(f"final hidden rows differ from float64 by {fc['hidden_err']:.2e}")
    for l, e in enumerate(fc.get("layer_err", [])):
        if e > HIDDEN_BOUND:
            bad.append(f"layer {l} output differs from float64 by {e:.2e}")
    if fc["token_match"] != fc["tokens_clear"]:
        bad.append(f"greedy tokens: {fc['token_match']} of {fc['tokens_clear']} clear cases "
                   "equal the float64 argmax")
    if min(fc["routing_attn"], fc["routing_mlp"]) < ROUTING_BOUND:
        bad.append(f"routing agreement {fc['routing_attn']:.1%} / {fc['routing_mlp']:.1%}")
    if "kv_err" in fc and fc["kv_err"] > KV_BOUND:
        bad.append(f"a KV entry differs from float64 k/v by {fc['kv_err']:.2e}")
    if "kv_entries" in fc and fc["kv_entries"] != fc["storage"]["entries"]:
        bad.append(f"{fc['kv_entries']} KV entries found, the masks say "
                   f"{fc['storage']['entries']}")
    if kv_written is not None and kv_written != fc["storage"]["bytes"]:
        bad.append(f"HBM write bytes {kv_written} != KV storage {fc['storage']['bytes']}")
    del n_tokens
    return bad
