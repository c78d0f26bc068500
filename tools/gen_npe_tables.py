"""Write the NPE constants and ROM tables of model/npe_units.py into the RTL, between the
`// BEGIN GENERATED` and `// END GENERATED` markers of rtl/skipopu_npe_*.sv.

    python tools/gen_npe_tables.py           rewrite the RTL
    python tools/gen_npe_tables.py --check   exit 1 if the RTL is out of date (run by make test)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import npe_units as U  # noqa: E402


def table_fn(name: str, idx_w: int, values: list[int]) -> str:
    """A combinational ROM: ``{name}_y = table[{name}_idx]`` (an always_comb case; Icarus
    mis-evaluates the same table as an automatic function called from several instances)."""
    lines = [f"  logic [{idx_w - 1}:0] {name}_idx;", f"  logic [31:0] {name}_y;",
             "  always_comb begin", f"    unique case ({name}_idx)"]
    for i, v in enumerate(values):
        lines.append(f"      {idx_w}'d{i}: {name}_y = 32'h{v:08x};")
    lines += [f"      default: {name}_y = 32'h0;", "    endcase", "  end"]
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    poly = "\n".join(f"  localparam logic [31:0] Poly{i} = 32'h{c:08x};"
                     for i, c in enumerate(U.EXP2_POLY))
    return {
        "skipopu_npe_exp": f"  localparam logic [31:0] Log2e = 32'h{U.LOG2E:08x};\n" + poly,
        "skipopu_npe_recip": table_fn("recip_table", U.RECIP_BITS, U.RECIP_TABLE),
        "skipopu_npe_rsqrt": table_fn("rsqrt_table", U.RSQRT_BITS + 1, U.RSQRT_TABLE),
        "skipopu_pkg": "\n".join(f"  localparam int Npe{k.capitalize()}Lat = {v};"
                                  for k, v in U.LATENCY.items()),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    stale = []
    for mod, body in blocks().items():
        p = ROOT / "rtl" / f"{mod}.sv"
        text = p.read_text()
        new = re.sub(r"(// BEGIN GENERATED \(tools/gen_npe_tables\.py\)[^\n]*\n).*?"
                     r"(\n\s*// END GENERATED)",
                     lambda m: m.group(1) + body + m.group(2), text, flags=re.S)
        if new != text:
            stale.append(mod)
            if not a.check:
                p.write_text(new)
    if a.check and stale:
        print("out of date: " + ", ".join(stale) + " (run python tools/gen_npe_tables.py)")
        return 1
    print(("rewrote " + ", ".join(stale)) if stale and not a.check else "tables up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
