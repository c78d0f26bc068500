"""KV-cache study on the model (model/kv.py): storage saved by KV reuse and the decode read
schedule with and without the invariance buffer, on random SkipGPT-like routing masks.

    python tools/kv_schedule.py [--layers 32] [--tokens 512] [--skip 0.25] [--ports 4]
                                [--seed 2024] [--markdown]

Each row: mean over a decode step of one new token after `tokens` preceding tokens. Rounds are
the scheduler's rounds (docs/kv.md); an HBM read moves one whole entry from one port.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import kv as K  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--skip", type=float, default=0.25)
    ap.add_argument("--ports", type=int, default=4)
    ap.add_argument("--capacity", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    e = rng.random((a.layers, a.tokens)) >= a.skip
    e[0] = True
    cur = rng.random(a.layers) >= a.skip
    cur[0] = True
    entry = 2 * 8 * 128 * 2          # K+V, 8 KV heads x 128 (illustrative)
    kvmap = K.KvMap(ports=a.ports, entry_bytes=entry, max_tokens=a.tokens, layers=a.layers)
    rows = []
    for mode in ("partial", "reuse"):
        st = K.storage(e, mode, entry)
        for buf_on in (False, True):
            if mode == "partial" and buf_on:
                continue
            buf = K.BufferConfig(capacity=a.capacity, enabled=buf_on)
            s = K.schedule_stats(K.KvScheduler(kvmap, buf, mode).schedule(e, cur))
            ideal = s["hbm_reads"] / a.ports
            rows.append((mode, "on" if buf_on else "off", f"{st['saved']:.1%}", s["case1"],
                         s["case2"], s["rounds"], s["hbm_reads"], s["buf_reads"],
                         f"{ideal / s['rounds']:.1%}"))
    head = ("KV mode", "buffer", "KV storage saved", "Case-1 layers", "Case-2 layers",
            "rounds", "HBM entry reads", "buffer entry reads", "HBM port occupancy")
    print(f"layers={a.layers} tokens={a.tokens} skip={a.skip} ports={a.ports} "
          f"capacity={a.capacity} seed={a.seed}; current token executes attention at "
          f"{int(cur.sum())} layers")
    if a.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(str(x) for x in r) + " |")
    else:
        for r in [head] + rows:
            print("  ".join(f"{str(x):>14s}" for x in r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
