"""Issue 15 changed layouts and programs, never results: the striped operand streams, NCOL,
the WFETCH prefetch and the new program order give bit-identical outputs to the compiler and
the model before the change. Model only, no simulator.

* ``test_same_results_as_before``: the ``model`` package of REF (the commit this work started
  from, extracted with ``git archive``) and the current one, each in its own process
  (tb/compiler/equiv_child.py), run the same generations (tiny preset, every KV mode, fused and
  unfused, the default core; the narrow core at DATA_W 128 with NCOL 16 against its NCOL = 8
  predecessor; the 8-port NCOL-64 core, KV on 4 ports, against the old 4-port one) and the same
  random MATMULs (FP16 and INT4, several group sizes, M up to 16): tokens, logits, hidden rows,
  every layer's trace, the masks and every KV entry in HBM are equal bit for bit (the MAC
  counts are not: the router MATMUL now has N = NCOL zero-padded columns). Skipped when REF is
  not in the repository (a shallow clone).
* ``test_matmul_stream_vs_pe_model``: the current MATMUL against ``model.pe.matmul`` on the
  logical operands on every regression core (float-free, layout-independent reference).
"""

from __future__ import annotations

import json
import subprocess
import sys
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from model.core import CoreModel, SparseMem
from model.isa import Err, Insn, assemble
from model.layout import mm_stream
from model.pe import matmul
from model.stripe import write_stream
from tb.top.test_top import CONFIGS

ROOT = Path(__file__).resolve().parents[2]
REF = "a34f4dfa4562ee7e4da4e7b56c005a20374eac44"     # main before issue 15's layout
CHILD = Path(__file__).with_name("equiv_child.py")

# (old CoreConfig keywords, the current core's extra keywords)
CORES = {
    "default": ({}, {}),
    "narrow": (dict(NUM_HBM=2, DATA_W=128, ADDR_W=33, GBUF_DEPTH=2048, MMAX=8, NPE_ROWS=64,
                    KV_TOKENS=32, SMAX_ROWS=64), dict(NCOL=16)),
    # KV_PORTS 4 as before: more KV ports change the KVLD arrival order, hence the order of the
    # online-softmax tiles (docs/kv.md), which is not what this test is about
    "p8": ({}, dict(NUM_HBM=8, NCOL=64, KV_PORTS=4)),
}
GENS = [("default", mode, variant) for mode in ("reuse", "partial", "dense")
        for variant in ("fused", "unfused")] + [("narrow", "reuse", "fused"),
                                                ("p8", "reuse", "fused"),
                                                ("p8", "partial", "unfused")]


def _old_tree(tmp: Path) -> Path:
    try:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", REF, "model"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"commit {REF[:8]} not in this repository")
    dst = tmp / "old"
    dst.mkdir()
    tarfile.open(fileobj=io.BytesIO(tar)).extractall(dst)
    return dst


def _matmul_cases(rng) -> tuple[list[dict], dict]:
    shapes, ops = [], {}
    for i in range(24):
        int4 = i % 3 != 0
        k = 16 * int(rng.choice([1, 2, 4, 8]))
        group = 16 * int(rng.choice([g for g in (1, 2, 4, 8) if 16 * g <= k])) if int4 else 0
        n = 64 * int(rng.integers(1, 4))          # a multiple of every core's NCOL here
        m = int(rng.integers(1, 17))
        shapes.append(dict(m=m, k=k, n=n, int4=int4, group=group))
        x = (rng.standard_normal((m, k)) * np.exp2(rng.integers(-4, 4, (m, k))))
        ops[f"x{i}"] = x.astype(np.float16).view(np.uint16)
        if int4:
            ops[f"w{i}"] = rng.integers(-8, 8, (k, n))
            ops[f"s{i}"] = (rng.random((k // group, n)) * 0.2 - 0.1).astype(np.float16) \
                .view(np.uint16)
        else:
            w = rng.standard_normal((k, n)) * 0.3
            ops[f"w{i}"] = w.astype(np.float16).view(np.uint16)
            ops[f"s{i}"] = np.zeros(1, dtype=np.uint16)
    return shapes, ops


def _run(tree: Path, spec: dict, tmp: Path, name: str):
    sp, out = tmp / f"{name}.json", tmp / f"{name}.npz"
    sp.write_text(json.dumps(spec))
    r = subprocess.run([sys.executable, str(CHILD), str(tree), str(sp), str(out)],
                       capture_output=True, text=True, cwd=tmp, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return np.load(out)


def test_same_results_as_before(tmp_path):
    old = _old_tree(tmp_path)
    shapes, ops = _matmul_cases(np.random.default_rng(15))
    np.savez(tmp_path / "ops.npz", **ops)
    outs = {}
    for tag, tree in (("old", old), ("new", ROOT)):
        gens = []
        for i, (core, mode, variant) in enumerate(GENS):
            kw = dict(CORES[core][0], **(CORES[core][1] if tag == "new" else {}))
            gens.append(dict(preset="tiny", core=kw, mode=mode, variant=variant,
                             prompt=min(7, kw.get("MMAX", 64) // 2), seed=6 + i, steps=3))
        spec = dict(generations=gens, matmuls=str(tmp_path / "ops.npz"), mm_shapes=shapes,
                    mm_core=dict(NCOL=32) if tag == "new" else {})
        outs[tag] = _run(tree, spec, tmp_path, tag)
    a, b = outs["old"], outs["new"]
    assert sorted(a.files) == sorted(b.files)
    for key in a.files:
        assert a[key].shape == b[key].shape and (a[key] == b[key]).all(), key
    assert len([k for k in a.files if k.endswith(".kv")]) == len(GENS)
    assert sum(a[f"g{i}.kv"].shape[0] for i in range(len(GENS))) > 100


@pytest.mark.parametrize("name", list(CONFIGS))
def test_matmul_stream_vs_pe_model(name):
    """MATMULs with PF through model/core on the striped stream = model.pe.matmul of the
    logical operands, bit for bit, on every regression core; the byte counters are the
    stream's chunks on every HBM port."""
    cfg = CONFIGS[name]
    rng = np.random.default_rng(7)
    kd, lanes, nc = cfg.kdim, cfg.lanes, cfg.ncol
    for i in range(8):
        int4 = i % 2 == 0
        k = kd * int(rng.integers(1, 5))
        group = kd * int(rng.choice([g for g in (1, 2, 4) if k % (kd * g) == 0])) if int4 else 0
        n = nc * int(rng.integers(1, 3))
        m = int(rng.integers(1, min(cfg.MMAX, 8) + 1))
        x = (rng.standard_normal((m, k))).astype(np.float16).view(np.uint16)
        if int4:
            w = rng.integers(-8, 8, (k, n))
            s = (rng.random((k // group, n)) * 0.1).astype(np.float16).view(np.uint16)
        else:
            w = (rng.standard_normal((k, n)) * 0.2).astype(np.float16).view(np.uint16)
            s = None
        ddr, hbm = SparseMem(), SparseMem()
        mems = {p: ddr if p == 0 else hbm for p in range(cfg.NUM_HBM + 1)}
        ddr.write(0x100000, x.astype("<u2").tobytes())
        base = 0x40000 + cfg.beat_bytes * int(rng.integers(0, 64))
        chunks = write_stream(hbm, base, mm_stream(cfg, w, int4, s, group), cfg.stripe)
        assert chunks == cfg.mm_chunks(k, n, int4, group)
        xw, yw = m * k // kd, m * n // lanes
        prog = [Insn.load(0, 0x100000, 0, xw), Insn.wfetch(base, chunks),
                Insn.mmcfg(k, n, group), Insn.matmul(m, 0, xw, base, int4=int4, pf=True),
                Insn.store(0, 0x300000, xw, yw), Insn.end()]
        ddr.write(0x1000, assemble(prog))
        res = CoreModel(cfg, mems).run(0x1000, len(prog))
        assert res.err == Err.NONE
        assert res.rd_bytes[1:] == [chunks * cfg.port_chunk_bytes] * cfg.NUM_HBM
        got = np.frombuffer(ddr.read(0x300000, m * n * 2), dtype="<u2").reshape(m, n)
        want = matmul(x, w, kd, "int4" if int4 else "fp16", s, group or None)
        assert (got == want).all(), (name, i)
