"""`make sim`: build the core and run the skeleton job (demo program + random programs), every
result checked against the model, then print the report.

    python tb/run_sim.py [--seed N] [--sim verilator|icarus] [--waves] [--programs N]
                         [--insns N] [--num-hbm N] [--data-w N] [--gbuf-depth N]
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
from tb.top.test_top import run_top  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
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
    ap.add_argument("--hbm-model", choices=("ram", "hbm"), default="ram",
                    help="HBM port models: zero-latency RAMs or the timing-aware HBM2 model")
    a = ap.parse_args()
    sim = a.sim or simrun.default_sim()
    waves = a.waves or simrun.waves_enabled()
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
                insns=a.insns, waves=waves, run_name="make_sim",
                extra_env={"SKIPOPU_REPORT": str(report), "TOP_HBM_MODEL": a.hbm_model,
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


if __name__ == "__main__":
    sys.exit(main())
