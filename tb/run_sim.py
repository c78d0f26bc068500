"""`make sim`: build the core and run the main job, every result checked against the model,
then print the report.

Job `e2e` (default): a SkipGPT-Llama model generated from a seed, prefill of the prompt and
decode of the generated tokens through the core (tb/e2e/tb_e2e.py): progress lines per layer
and token, bit-exact checks against model/core after every step, float64 bounds, the report
(cycles per token, HBM/DDR bytes, KV efficiency, skip ratios, KV storage saved, speed).
Job `skeleton`: the demo program, random programs and the MATMUL/NPE benchmarks.

    python tb/run_sim.py [--job e2e|skeleton] [--seed N] [--sim verilator|icarus] [--waves]
        e2e:      [--preset tiny|default|large] [--core default|narrow|wide|p8] [--layers N]
                  [--prompt N] [--gen N]
                  [--mode dense|partial|reuse|reuse-fused] [--mapping token|interleaved]
                  [--buffer on|off] [--hbm-model hbm|ram] [--trace on|off]
        skeleton: [--programs N] [--insns N] [--bench mm,npe] [--num-hbm N] [--data-w N] ...
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.isa import CoreConfig  # noqa: E402
from tb import simrun  # noqa: E402
from tb.e2e.test_e2e import CORE, NARROW, run_e2e  # noqa: E402
from tb.top.test_top import CONFIGS, run_top  # noqa: E402

# --mode: the paper's Fig. 8 modes (reuse = KV reuse without the fused kernels)
MODES = {"dense": ("dense", "unfused"), "partial": ("partial", "unfused"),
         "reuse": ("reuse", "unfused"), "reuse-fused": ("reuse", "fused")}


def replay_line(a, sim: str) -> str:
    """The make command that replays this run (printed with a failure)."""
    rest, skip = [], False
    for x in sys.argv[1:]:
        if skip:
            skip = False
        elif x in ("--seed", "--sim"):
            skip = True
        elif not x.startswith(("--seed=", "--sim=", "--waves")):
            rest.append(x)
    args = f" SIM_ARGS='{' '.join(rest)}'" if rest else ""
    return f"cd {simrun.ROOT} && make sim SIM={sim} SEED={a.seed}{args}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--job", choices=("e2e", "skeleton"), default="e2e")
    ap.add_argument("--seed", type=int, default=1, help="model, prompt and stimulus seed")
    ap.add_argument("--preset", choices=("tiny", "default", "large"), default=None,
                    help="model size (default: default on Verilator, tiny on Icarus)")
    ap.add_argument("--core", choices=sorted(CONFIGS), default=None,
                    help="core configuration of the e2e job (tb/top/test_top.py CONFIGS; "
                         "default: default on Verilator, narrow on Icarus); raised to fit the "
                         "preset's KV entry and prefill plan (model/generate.py fit_core)")
    ap.add_argument("--layers", type=int, default=0, help="override the preset's layers")
    ap.add_argument("--prompt", type=int, default=None, help="prompt tokens (default 16; 4 on "
                    "Icarus)")
    ap.add_argument("--gen", type=int, default=None, help="tokens generated (default 4; 2 on "
                    "Icarus)")
    ap.add_argument("--context", type=int, default=0,
                    help="decode from a checkpoint at this context: the prefill and the decode "
                         "steps up to it run on the model, its memories are loaded into the "
                         "simulation by backdoor, then the core decodes --gen tokens")
    ap.add_argument("--mode", choices=list(MODES), default="reuse-fused")
    ap.add_argument("--mapping", choices=("token", "interleaved"), default="token")
    ap.add_argument("--buffer", choices=("on", "off"), default="on",
                    help="invariance buffer (forced off with the interleaved mapping)")
    ap.add_argument("--trace", choices=("on", "off"), default="on",
                    help="store and check every layer's output rows")
    ap.add_argument("--sim", default=None, help="verilator (default) or icarus; env SIM")
    ap.add_argument("--waves", action="store_true", help="dump waves; env WAVES=1")
    ap.add_argument("--programs", type=int, default=3, help="random programs after the demo")
    ap.add_argument("--insns", type=int, default=40, help="instructions per random program")
    ap.add_argument("--bench", default=None,
                    help="benchmarks to run after the demo: mm, npe (comma list, or none); "
                         "default mm,npe on Verilator, mm on Icarus (the NPE benchmarks take "
                         "about 10 minutes there)")
    ap.add_argument("--npe-elements", type=int, default=None,
                    help="FP16 values per NPE benchmark (default 20480; 2048 on Icarus)")
    ap.add_argument("--num-hbm", type=int, default=CoreConfig.NUM_HBM)
    ap.add_argument("--data-w", type=int, default=CoreConfig.DATA_W)
    ap.add_argument("--gbuf-depth", type=int, default=CoreConfig.GBUF_DEPTH)
    ap.add_argument("--max-burst", type=int, default=CoreConfig.MAX_BURST)
    ap.add_argument("--hbm-async", type=int, default=CoreConfig.HBM_ASYNC,
                    help="1: HBM ports on their own 2x clock behind the chunk FIFOs; 0: core clock")
    ap.add_argument("--hbm-model", choices=("ram", "hbm"), default=None,
                    help="HBM port models: zero-latency RAMs or the timing-aware HBM2 model")
    ap.add_argument("--hbm-ratio", type=float, default=2.0,
                    help="HBM clock / core clock (default 2: the paper's 450 / 225 MHz)")
    a = ap.parse_args()
    sim = a.sim or simrun.default_sim()
    waves = a.waves or simrun.waves_enabled()
    if a.job == "e2e":
        return main_e2e(a, sim, waves)
    try:
        cfg = CoreConfig(NUM_HBM=a.num_hbm, DATA_W=a.data_w, GBUF_DEPTH=a.gbuf_depth,
                         MAX_BURST=a.max_burst, RD_FIFO_DEPTH=max(64, a.max_burst),
                         HBM_ASYNC=a.hbm_async)
    except ValueError as e:
        print(f"make sim: {e}", file=sys.stderr)
        return 2
    report = simrun.BUILD_ROOT / "report.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    print(f"[sim] {sim}: building skipopu_top ({cfg.params()}) ...", flush=True)
    t0 = time.perf_counter()
    try:
        run_top(sim, cfg, testcase="run_main", seed=a.seed, programs=a.programs,
                insns=a.insns, waves=waves, run_name="make_sim", replay=replay_line(a, sim),
                extra_env={"SKIPOPU_REPORT": str(report), "TOP_HBM_MODEL": a.hbm_model or "ram",
                           "TOP_BENCH": a.bench or
                           ("mm" if sim == "icarus" else "mm,npe"),
                           "TOP_NPE_ELEMENTS": str(a.npe_elements or
                                                   (2048 if sim == "icarus" else 20480))})
    except AssertionError as e:
        print(f"\n[sim] FAIL: {e}", file=sys.stderr)
        return 1
    print(report.read_text() if report.exists() else "[sim] no report written")
    print(f"[sim] PASS in {time.perf_counter() - t0:.1f} s (build + run); report: {report}")
    return 0


def main_e2e(a, sim: str, waves: bool) -> int:
    icarus = sim == "icarus"
    # Icarus simulates ~50x slower: narrow core, small model
    cfg = CONFIGS[a.core] if a.core else NARROW if icarus else CORE
    mode, variant = MODES[a.mode]
    args = {"preset": a.preset or ("tiny" if icarus else "default"),
            "layers": a.layers or (2 if icarus and not a.preset else 0),
            "prompt": 4 if icarus else 16, "gen": 2 if icarus else 4,
            "mode": mode, "variant": variant, "mapping": a.mapping,
            "buffer": a.buffer == "on" and a.mapping == "token", "seed": a.seed,
            "trace": a.trace == "on", "context": a.context}
    args.update({k: v for k, v in (("prompt", a.prompt), ("gen", a.gen)) if v is not None})
    if a.context and a.prompt is None:
        args["prompt"] = min(args["prompt"], a.context)
    # check the options, the model and its programs before building (clear errors, no simulator)
    from model.generate import compile_images, fit_core, prefill_program
    from model.llama import LlamaConfig, make_model, prompt_tokens
    try:
        if args["prompt"] < 1 or args["gen"] < 1:
            raise ValueError(f"--prompt {args['prompt']} and --gen {args['gen']} must be >= 1")
        if not 0.25 <= a.hbm_ratio <= 8:
            raise ValueError(f"--hbm-ratio {a.hbm_ratio} outside 0.25..8")
        lcfg = getattr(LlamaConfig, args["preset"])(
            seed=a.seed, **({"layers": args["layers"]} if args["layers"] else {}))
        cfg = fit_core(lcfg, cfg, args["prompt"])
        if a.context and not args["prompt"] <= a.context:
            raise ValueError(f"--context {a.context} must be >= --prompt {args['prompt']}")
        # positions the model processes (from a checkpoint: gen decode steps after it)
        seq = a.context + args["gen"] if a.context else args["prompt"] + args["gen"] - 1
        if seq > min(cfg.KV_TOKENS, lcfg.max_seq):
            raise ValueError(f"prompt + generated - 1 = {seq} positions exceed the KV cache of "
                             f"the core (KV_TOKENS = {cfg.KV_TOKENS}) or the model's max_seq "
                             f"({lcfg.max_seq})")
        img = compile_images(make_model(lcfg), cfg, mode, a.mapping, args["buffer"], variant)
        prefill_program(img, prompt_tokens(lcfg, args["prompt"], a.seed))
    except ValueError as e:
        print(f"make sim: {e}", file=sys.stderr)
        return 2
    out = simrun.BUILD_ROOT
    report, report_json = out / "report.txt", out / "report.json"
    out.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    report_json.unlink(missing_ok=True)
    hbm = a.hbm_model or "hbm"
    print(f"[sim] {sim}: skipopu_top ({cfg.params()}); job e2e {args}, HBM model {hbm}, HBM "
          f"clock {a.hbm_ratio:g}x the core clock", flush=True)
    t0 = time.perf_counter()
    try:
        run_e2e(sim, cfg, args, seed=a.seed, waves=waves, run_name="make_sim",
                replay=replay_line(a, sim),
                extra_env={"SKIPOPU_REPORT": str(report), "SKIPOPU_REPORT_JSON": str(report_json),
                           "TOP_HBM_MODEL": hbm, "TOP_HBM_RATIO": str(a.hbm_ratio),
                           "TOP_HBM_JITTER": "0", "SIM": sim})
    except AssertionError as e:
        print(report.read_text() if report.exists() else "", end="")
        print(f"\n[sim] FAIL: {e}", file=sys.stderr)
        return 1
    print(report.read_text() if report.exists() else "[sim] no report written")
    print(f"[sim] PASS in {time.perf_counter() - t0:.1f} s (build + run); report: {report}, "
          f"{report_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
