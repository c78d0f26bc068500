"""Smoke test of `make bench` (tools/bench.py): the same script on the tiny preset and the
default core, one decode step, so that the benchmark cannot silently break; its record is
checked against the run's own report.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_smoke(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(ROOT / "tools" / "bench.py"), "--presets", "tiny", "--cores",
           "default", "--prompt", "4", "--gen", "2", "--out", str(out)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert "| decode HBM efficiency |" in r.stdout, r.stdout[-2000:]
    (rec,) = json.loads(out.read_text())
    rep = json.loads(Path(rec["report"]).read_text())
    assert (rec["preset"], rec["core"], rec["num_hbm"], rec["gen"]) == ("tiny", "default", 4, 2)
    assert rec["hbm_clock_ratio"] == 2.0 == rep["hbm_clock_ratio"]
    d, p = rep["decode"], rep["prefill"]
    assert rec["decode_hbm_efficiency"] == d["hbm_efficiency"]
    assert rec["prefill_pe_utilisation"] == p["pe_utilisation"]
    assert rec["decode_cycles_per_token"] == d["cycles"] / d["tokens"]
    assert abs(rec["roofline_cycles_per_token"] * d["tokens"] - d["roofline_cycles"]) < 1e-6
    assert 0 < rec["decode_hbm_efficiency"] <= 1 and 0 < rec["prefill_pe_utilisation"] <= 1
    assert sum(rec["decode_cycles_by_unit"].values()) == d["cycles"]
