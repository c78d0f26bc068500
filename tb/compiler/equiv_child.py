"""Child process of tb/compiler/test_layout_equiv.py: runs whole-model generations and single
MATMULs with the ``model`` package of a given source tree (the current one, or an older commit's
extracted by the test) and writes every output as raw bits to an .npz file.

    python equiv_child.py TREE SPEC.json OUT.npz

The same script runs against both trees; only the MATMUL operand layout differs between them
(before issue 15: tile-major weights on one HBM port and INT4 scales on DDR; after: one striped
operand stream), which ``_matmul`` picks from the instruction set it finds.
"""

from __future__ import annotations

import json
import sys


def _generation(np, case: dict) -> dict:
    from model import kv as K
    from model.generate import compile_images, model_runner, run_generate
    from model.isa import CoreConfig
    from model.llama import LlamaConfig, make_model, prompt_tokens
    w = make_model(getattr(LlamaConfig, case["preset"])(**case.get("llama", {})))
    core = CoreConfig(**case["core"])
    img = compile_images(w, core, mode=case["mode"], variant=case["variant"])
    mems, run = model_runner(img)
    gen = run_generate(img, prompt_tokens(w.cfg, case["prompt"], seed=case["seed"]),
                       case["steps"], trace=True, run=run, ddr=mems[0])
    out = {"tokens": np.array(gen.tokens)}
    for i, s in enumerate(gen.steps):
        out[f"logits{i}"] = s.logits
        out[f"hidden{i}"] = s.hidden
        out[f"masks_attn{i}"] = s.masks_attn
        out[f"masks_mlp{i}"] = s.masks_mlp
        out[f"layers{i}"] = np.stack(s.layers)
    # every KV entry the generation wrote, as raw FP16 bits, found from the masks
    cfg = w.cfg
    ea, _ = gen.exec_masks()
    wr = K.writes(ea, "reuse" if img.mode == "reuse" else "partial")
    e = 2 * cfg.kv_dim // (core.DATA_W // 16)
    kmap = K.KvMap(core.KV_PORTS, e * core.beat_bytes, core.KV_TOKENS, cfg.layers, img.mapping,
                   tuple((p << 28) + img.kv_off for p in range(core.KV_PORTS)))
    ents = []
    for l in range(cfg.layers):
        for t in np.flatnonzero(wr[l]):
            raw = b"".join(mems[p + 1].read(a, n) for p, a, n in kmap.locate(wr, l, int(t)))
            ents.append(np.frombuffer(raw, dtype="<u2"))
    out["kv"] = np.stack(ents) if ents else np.zeros((0, 0), dtype=np.uint16)
    return out


def _matmul(np, core_kw: dict, mm: dict, x, w, s) -> np.ndarray:
    """One MATMUL Y = X . W of the given operands through model/core, in the tree's layout."""
    from model.core import CoreModel, SparseMem
    from model.isa import CoreConfig, Err, Insn, assemble
    from model import layout as LY
    core = CoreConfig(**core_kw)
    ddr, hbm = SparseMem(), SparseMem()
    mems = {p: ddr if p == 0 else hbm for p in range(core.NUM_HBM + 1)}
    m, k, n, int4, group = mm["m"], mm["k"], mm["n"], mm["int4"], mm["group"]
    lanes, kd = core.DATA_W // 16, core.kdim
    xa, ya = 0x100000, 0
    ddr.write(xa, x.astype("<u2").tobytes())
    if hasattr(Insn, "wfetch"):                  # the striped operand stream (issue 15)
        from model.stripe import write_stream
        data = LY.mm_stream(core, w, int4, s if int4 else None, group)
        chunks = write_stream(hbm, 0x40000, data, core.stripe)
        prog = [Insn.mmcfg(k, n, group), Insn.wfetch(0x40000, chunks),
                Insn.matmul(m, ya, m * k // kd, 0x40000, int4=int4, pf=True)]
    else:                                        # tile-major on HBM port 1, scales on DDR
        nc = core.ncol
        wb = LY.pack_int4_weight(w, kd, nc) if int4 else \
            LY.tile_major(w.astype(np.uint16), kd, nc).astype("<u2").tobytes()
        hbm.write(0x40000, wb)
        ddr.write(0x200000, s.astype("<u2").tobytes() if int4 else b"")
        prog = [Insn.mmcfg(k, n, 0x200000, group),
                Insn.matmul(1, m, ya, m * k // kd, 0x40000, int4)]
    prog = [Insn.load(0, xa, ya, m * k // kd)] + prog + \
        [Insn.store(0, 0x300000, m * k // kd, m * n // lanes), Insn.end()]
    ddr.write(0x1000, assemble(prog))
    res = CoreModel(core, mems).run(0x1000, len(prog))
    assert res.err == Err.NONE, res.err
    return np.frombuffer(ddr.read(0x300000, m * n * 2), dtype="<u2").reshape(m, n).copy()


def main() -> None:
    tree, spec_path, out_path = sys.argv[1:4]
    sys.path.insert(0, tree)
    import numpy as np
    spec = json.load(open(spec_path))
    out = {}
    for i, case in enumerate(spec["generations"]):
        for key, v in _generation(np, case).items():
            out[f"g{i}.{key}"] = v
    if spec.get("matmuls"):
        ops = np.load(spec["matmuls"])
        for i, mm in enumerate(spec["mm_shapes"]):
            out[f"mm{i}"] = _matmul(np, spec["mm_core"], mm, ops[f"x{i}"], ops[f"w{i}"],
                                    ops[f"s{i}"])
    np.savez(out_path, **out)


if __name__ == "__main__":
    main()
