"""Speed probe of the memory models: core cycles per second on an idle and a busy core.

    source scripts/env.sh && python tb/hbm/speed.py [--variants ...] [--tests ...] [--repeat N]

Builds the default core configuration on Verilator as ``tb/top/test_top.py`` does (the same
build directory, so a test run's build is reused) and runs ``tb/hbm/tb_speed.py`` once per
memory-model variant:

    fast       FastAxiRam on DDR / instruction / HBM ports            (the default of tb_top)
    axiram     cocotbext-axi AxiRam (axi_models.ErrAxiRam) on them      (the models before 0b)
    hbm        timing-aware HbmPort on the HBM ports, sleeping when idle  (the default)
    hbm-awake  HbmPort stepped on every HBM clock edge (TOP_HBM_SLEEP=0)

Prints one row per (variant, test) with core cycles/s of wall and of CPU time (the median of
``--repeat`` runs; docs/verification.md "Simulation speed" quotes this table).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from model.isa import CoreConfig  # noqa: E402
from tb import simrun  # noqa: E402
from tb.top.wrapper import generate  # noqa: E402

VARIANTS = {
    "fast": {"TOP_RAM_MODEL": "fast", "TOP_HBM_MODEL": "ram"},
    "axiram": {"TOP_RAM_MODEL": "axiram", "TOP_HBM_MODEL": "ram"},
    "hbm": {"TOP_RAM_MODEL": "fast", "TOP_HBM_MODEL": "hbm", "TOP_HBM_SLEEP": "1"},
    "hbm-awake": {"TOP_RAM_MODEL": "fast", "TOP_HBM_MODEL": "hbm", "TOP_HBM_SLEEP": "0"},
}
TESTS = ["idle", "idle_pauses", "mlp", "random_pauses"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--tests", default=",".join(TESTS))
    ap.add_argument("--repeat", type=int, default=1, help="runs per variant (median reported)")
    ap.add_argument("--idle-cycles", type=int, default=20000)
    a = ap.parse_args()
    cfg = CoreConfig()
    params = {k: v for k, v in cfg.params().items() if k != "NUM_HBM"}
    out = simrun.BUILD_ROOT / "speed.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    tests = "|".join(f"speed_{t}$" for t in a.tests.split(","))
    variants = a.variants.split(",")
    for k in range(a.repeat):
        for v in variants:
            env = {"SKIPOPU_CFG": json.dumps(cfg.params()), "SPEED_OUT": str(out),
                   "SPEED_IDLE_CYCLES": str(a.idle_cycles), "SPEED_VARIANT": v,
                   "COCOTB_TEST_FILTER": tests, **VARIANTS[v]}
            print(f"[speed] {v} (run {k + 1}/{a.repeat}) ...", flush=True)
            simrun.run("skipopu_tb_top", simrun.all_rtl() + [generate(cfg.NUM_HBM)],
                       "hbm.tb_speed", sim="verilator", parameters=params, extra_env=env,
                       seed=1, run_name=f"speed_{v}", waves=False)
    rows: dict[tuple[str, str], list[dict]] = {}
    for line in out.read_text().splitlines():
        r = json.loads(line)
        rows.setdefault((r["variant"], r["test"]), []).append(r)
    print(f"\n{'variant':<10} {'test':<14} {'core cycles':>11} {'cycles/s wall':>14} "
          f"{'cycles/s CPU':>13}   (median of {a.repeat})")
    for v in variants:
        for t in a.tests.split(","):
            name = {"idle_pauses": "idle+pauses", "random_pauses": "random+pauses"}.get(t, t)
            rs = rows.get((v, name), [])
            if rs:
                print(f"{v:<10} {name:<14} {rs[0]['cycles']:>11} "
                      f"{statistics.median(r['cps_wall'] for r in rs):>14,.0f} "
                      f"{statistics.median(r['cps_cpu'] for r in rs):>13,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
