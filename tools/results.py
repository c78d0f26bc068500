"""The tables of docs/results.md from the real core (the end-to-end run of tb/e2e/tb_e2e.py,
every run bit-exact against model/core and bounded against float64 as in `make sim`).

    python tools/results.py ablation   [--preset default] [--prompt 16] [--gen 4] [--seed 1]
    python tools/results.py bandwidth  [--preset default] [--prompt 32] [--gen 8] [--seed 1]

(`make results` runs both and prints the markdown.) Each configuration is one Verilator run
with the timing-aware HBM model (DRAM timing only, no injected latency) with the HBM clock at 2x
the core clock, as `make sim`; the report.json of each run lands in
sim_build/results/<name>.json. Efficiencies divide by the peak of the clocks simulated (ports x
bytes per HBM beat x HBM cycles per core cycle).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tb import simrun  # noqa: E402
from tb.e2e.test_e2e import CORE, run_report  # noqa: E402

OUT = simrun.BUILD_ROOT / "results"

# paper Fig. 8: the dense baseline, PartialSkip, KV reuse, KV reuse with the fused kernels
ABLATION = [("dense", "dense", "unfused", "token", True),
            ("PartialSkip", "partial", "unfused", "token", True),
            ("KV reuse", "reuse", "unfused", "token", True),
            ("KV reuse + fused (OPT)", "reuse", "fused", "token", True)]
# paper 5.4: KV read efficiency of the mappings, the invariance buffer and the modes
BANDWIDTH = [("dense, interleaved", "dense", "interleaved", False),
             ("KV reuse, interleaved", "reuse", "interleaved", False),
             ("KV reuse, token-wise", "reuse", "token", False),
             ("KV reuse, token-wise + invariance buffer", "reuse", "token", True),
             ("PartialSkip, token-wise", "partial", "token", False)]


def run(name: str, args: dict, seed: int) -> dict:
    t0 = time.perf_counter()
    print(f"[results] {name}: {args}", flush=True)
    r = run_report(CORE, args, seed, f"results_{name}", OUT / f"{name}.json")
    print(f"[results] {name}: done in {time.perf_counter() - t0:.0f} s", flush=True)
    return r


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in s.lower()).strip("_")


def ablation(a) -> list[str]:
    rows = []
    for label, mode, variant, mapping, buf in ABLATION:
        r = run("ablation_" + _slug(label), {"preset": a.preset, "prompt": a.prompt,
                                             "gen": a.gen, "mode": mode, "variant": variant,
                                             "mapping": mapping, "buffer": buf, "seed": a.seed,
                                             "trace": False}, a.seed)
        rows.append((label, r))
    base = rows[0][1]

    def per(r, phase):
        f = r[phase]
        u = f["cycles_by_unit"]
        return (f["cycles_per_token"],
                (u["attention"] + u["kv_load"] + u["kv_store"]) / f["cycles"])
    out = [f"| mode | prefill cycles/token | attention share | prefill PE utilisation | decode "
           f"cycles/token | attention share | decode HBM efficiency | speed-up vs dense "
           f"(prefill / decode) | KV storage saved |",
           "|---|---|---|---|---|---|---|---|---|"]
    bp, bd = per(base, "prefill")[0], per(base, "decode")[0]
    for label, r in rows:
        (pc, pa), (dc, da) = per(r, "prefill"), per(r, "decode")
        out.append(f"| {label} | {pc:.0f} | {pa:.1%} | {r['prefill']['pe_utilisation']:.1%} | "
                   f"{dc:.0f} | {da:.1%} | {r['decode']['hbm_efficiency']:.1%} | "
                   f"{bp / pc:.2f}x / {bd / dc:.2f}x | {r['kv_storage_saved']:.1%} |")
    return out


def bandwidth(a) -> list[str]:
    out = ["| configuration | KV words from HBM | from the buffer | KVLD cycles | physical "
           "efficiency | aggregate efficiency | decode cycles/token |",
           "|---|---|---|---|---|---|---|"]
    for label, mode, mapping, buf in BANDWIDTH:
        r = run("bandwidth_" + _slug(label), {"preset": a.preset, "prompt": a.prompt,
                                              "gen": a.gen, "mode": mode, "variant": "fused",
                                              "mapping": mapping, "buffer": buf,
                                              "seed": a.seed, "trace": False}, a.seed)
        d, core = r["decode"], r["core"]
        hw, bw, kc = d["kv_hbm_words"], d["kv_buf_words"], d["kv_load_cycles"]
        # peak of the KV ports in core words per core cycle, at the clocks simulated
        kv_peak = r["peak_hbm_bytes_per_cycle"] * core["KV_PORTS"] / core["NUM_HBM"] / \
            (core["DATA_W"] // 8)
        out.append(f"| {label} | {hw} | {bw} | {kc} | {hw / max(kc * kv_peak, 1):.1%} | "
                   f"{(hw + bw) / max(kc * kv_peak, 1):.1%} | {d['cycles_per_token']:.0f} |")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("table", choices=("ablation", "bandwidth", "all"))
    ap.add_argument("--preset", default="default")
    ap.add_argument("--prompt", type=int, default=None)
    ap.add_argument("--gen", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    tables = ["ablation", "bandwidth"] if a.table == "all" else [a.table]
    for t in tables:
        b = argparse.Namespace(**vars(a))
        b.prompt = a.prompt or (16 if t == "ablation" else 32)
        b.gen = a.gen or (4 if t == "ablation" else 8)
        lines = (ablation if t == "ablation" else bandwidth)(b)
        print(f"\n{t} (preset {b.preset}, prompt {b.prompt}, {b.gen} generated, seed {b.seed}; "
              f"`python tools/results.py {t} --preset {b.preset} --prompt {b.prompt} --gen "
              f"{b.gen} --seed {b.seed}`):\n")
        print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
