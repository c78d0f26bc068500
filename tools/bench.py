"""`make bench`: decode and prefill on the timing-aware HBM model at the 2x HBM clock, for
model presets x core configurations, and the figures of the weight stream (docs/results.md
"Decode at the roofline").

    python tools/bench.py [--presets default,large] [--cores default,p8] [--prompt 16]
                          [--gen 4] [--large-prompt 4] [--large-gen 3] [--seed 1]
                          [--out sim_build/bench.json]

Each (preset, core) is one Verilator run of the e2e job (tb/e2e/tb_e2e.py, as `make sim`):
every step bit-exact against model/core, the HBM model with DRAM timing only (no injected
latency, no pauses), the HBM clock at exactly 2x the core clock. The core configuration is the
named one of tb/top/test_top.py CONFIGS raised to the preset (model/generate.py fit_core: KV
entry size and buffer depth only). Efficiencies divide by the peak of the clocks simulated:
NUM_HBM x HBM beat bytes x HBM cycles per core cycle (the report's peak_hbm_bytes_per_cycle).

Writes sim_build/bench.json: a list of records, one per run, with preset, core, num_hbm, kdim,
ncol, prompt, gen, decode_hbm_efficiency, prefill_pe_utilisation, decode_cycles_per_token,
roofline_cycles_per_token, prefill_cycles_per_token, decode/prefill cycles_by_unit and the
path of the run's full report.json; prints the same as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.isa_defs import CYCLE_UNITS  # noqa: E402
from tb import simrun  # noqa: E402
from tb.e2e.test_e2e import run_report  # noqa: E402
from tb.top.test_top import CONFIGS  # noqa: E402

OUT = simrun.BUILD_ROOT / "bench"
UNITS = CYCLE_UNITS         # the UNIT_CYCLES counters (docs/csr.md), as in report.json


def bench_one(preset: str, core: str, prompt: int, gen: int, seed: int) -> dict:
    """One e2e run; its record for bench.json."""
    from model.generate import fit_core
    from model.llama import LlamaConfig
    cfg = fit_core(getattr(LlamaConfig, preset)(seed=seed), CONFIGS[core], prompt)
    path = OUT / f"{preset}_{core}.json"
    args = {"preset": preset, "prompt": prompt, "gen": gen, "mode": "reuse",
            "variant": "fused", "mapping": "token", "buffer": True, "seed": seed,
            "trace": False}
    print(f"[bench] {preset} preset on the {core} core ({cfg.NUM_HBM} HBM ports, "
          f"{cfg.kdim} x {cfg.ncol} array): prompt {prompt}, {gen} generated ...", flush=True)
    t0 = time.perf_counter()
    r = run_report(cfg, args, seed, f"bench_{preset}_{core}", path)
    assert r["result"] == "PASS" and r["hbm_clock_ratio"] == 2.0, (path, r["result"])
    p, d = r["prefill"], r["decode"]
    rec = {"preset": preset, "core": core, "num_hbm": cfg.NUM_HBM, "kdim": cfg.kdim,
           "ncol": cfg.ncol, "prompt": prompt, "gen": gen, "seed": seed,
           "hbm_clock_ratio": r["hbm_clock_ratio"],
           "peak_hbm_bytes_per_cycle": r["peak_hbm_bytes_per_cycle"],
           "decode_hbm_efficiency": d["hbm_efficiency"],
           "decode_cycles_per_token": d["cycles_per_token"],
           "roofline_cycles_per_token": d["roofline_cycles"] / d["tokens"],
           "decode_hbm_bytes_per_token": (d["hbm_read_bytes"] + d["hbm_write_bytes"]) /
           d["tokens"],
           "prefill_pe_utilisation": p["pe_utilisation"],
           "prefill_cycles_per_token": p["cycles_per_token"],
           "decode_cycles_by_unit": d["cycles_by_unit"],
           "prefill_cycles_by_unit": p["cycles_by_unit"],
           "sim_seconds": round(time.perf_counter() - t0, 1), "report": str(path)}
    print(f"[bench] {preset}/{core}: decode {rec['decode_cycles_per_token']:.0f} cycles/token "
          f"(roofline {rec['roofline_cycles_per_token']:.0f}) = "
          f"{rec['decode_hbm_efficiency']:.1%} of the HBM peak; prefill PE utilisation "
          f"{rec['prefill_pe_utilisation']:.1%}; {rec['sim_seconds']:.0f} s", flush=True)
    return rec


def table(recs: list[dict]) -> list[str]:
    out = ["| preset | core (HBM ports, array) | decode cycles/token | roofline cycles/token | "
           "decode HBM efficiency | prefill cycles/token | prefill PE utilisation |",
           "|---|---|---|---|---|---|---|"]
    for r in recs:
        out.append(f"| {r['preset']} | {r['core']} ({r['num_hbm']}, {r['kdim']} x {r['ncol']}) "
                   f"| {r['decode_cycles_per_token']:.0f} | {r['roofline_cycles_per_token']:.0f}"
                   f" | {r['decode_hbm_efficiency']:.1%} | {r['prefill_cycles_per_token']:.0f} "
                   f"| {r['prefill_pe_utilisation']:.1%} |")
    out += ["", "cycles by unit (share of the phase's cycles):", "",
            "| preset | core | phase | " + " | ".join(UNITS) + " |",
            "|---|---|---|" + "---|" * len(UNITS)]
    for r in recs:
        for ph in ("decode", "prefill"):
            u = r[f"{ph}_cycles_by_unit"]
            tot = sum(u.values()) or 1
            out.append(f"| {r['preset']} | {r['core']} | {ph} | " +
                       " | ".join(f"{u.get(k, 0) / tot:.1%}" for k in UNITS) + " |")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--presets", default="default,large")
    ap.add_argument("--cores", default="default,p8")
    ap.add_argument("--prompt", type=int, default=16)
    ap.add_argument("--gen", type=int, default=4, help="tokens generated (default preset)")
    ap.add_argument("--large-gen", type=int, default=3, help="tokens generated (large preset)")
    ap.add_argument("--large-prompt", type=int, default=4,
                    help="prompt tokens of the large preset (its prefill is compute bound: 68k "
                         "cycles per token on the default core)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(simrun.BUILD_ROOT / "bench.json"))
    a = ap.parse_args()
    presets, cores = a.presets.split(","), a.cores.split(",")
    bad = [c for c in cores if c not in CONFIGS] + \
        [p for p in presets if p not in ("tiny", "default", "large")]
    if bad or min(a.prompt, a.large_prompt) < 1 or a.gen < 2 or a.large_gen < 2:
        print(f"bench: unknown preset/core {bad} (cores: {sorted(CONFIGS)}) or --prompt < 1 or "
              "--gen < 2 (decode needs one generated token after the prefill's)",
              file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    recs = []
    for preset in presets:
        for core in cores:
            gen = a.large_gen if preset == "large" else a.gen
            prompt = a.large_prompt if preset == "large" else a.prompt
            recs.append(bench_one(preset, core, prompt, gen, a.seed))
            Path(a.out).parent.mkdir(parents=True, exist_ok=True)
            Path(a.out).write_text(json.dumps(recs, indent=1) + "\n")
    cmd = (f"python tools/bench.py --presets {a.presets} --cores {a.cores} --prompt {a.prompt} "
           f"--gen {a.gen} --large-prompt {a.large_prompt} --large-gen {a.large_gen} "
           f"--seed {a.seed}")
    print(f"\nbench ({cmd}; HBM model, HBM clock 2x the core clock, efficiencies of the "
          f"simulated peak; {time.perf_counter() - t0:.0f} s):\n")
    print("\n".join(table(recs)))
    print(f"\n[bench] records: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
