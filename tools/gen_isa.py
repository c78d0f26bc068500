"""Write the architecture's numbers from the one table model/isa.toml (opcodes, flag bits,
error codes, CSR addresses and constant-register fields, the instruction format) into

    rtl/skipopu_pkg.sv   between `// BEGIN GENERATED (tools/gen_isa.py)` and `// END GENERATED`
    model/isa_defs.py    the whole file (Op, Err, Csr, FLAG_*, KNOWN_FLAGS, field layouts)
    docs/csr.md          the register table between `<!-- BEGIN GENERATED (tools/gen_isa.py)`
                         and `<!-- END GENERATED -->`

    python tools/gen_isa.py           rewrite the three files
    python tools/gen_isa.py --check   exit 1 if one is out of date (run by the regression)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "model" / "isa.toml"
PKG = ROOT / "rtl" / "skipopu_pkg.sv"
PY = ROOT / "model" / "isa_defs.py"
CSR_DOC = ROOT / "docs" / "csr.md"
TAG = "(tools/gen_isa.py)"


def load() -> dict:
    t = tomllib.loads(TABLE.read_text())
    problems = []
    for key in ("opcodes", "errors", "csrs"):
        names = [e["name"] for e in t[key]]
        vals = [e.get("value", e.get("addr")) for e in t[key]]
        if len(set(names)) != len(names) or len(set(vals)) != len(vals):
            problems.append(f"{key}: duplicate name or value")
    ops = {o["name"] for o in t["opcodes"]}
    classed = [o for u in t["units"] for o in u["ops"]]
    if not set(classed) <= ops or len(set(classed)) != len(classed) or t["units"][0]["ops"]:
        problems.append("units: unknown or repeated opcode, or ops in class 0 (issue)")
    for f in t["flags"]:
        if not set(f["ops"]) <= ops:
            problems.append(f"flag {f['name']}: unknown opcode in {f['ops']}")
    for o in ops:
        bits = [f["bit"] for f in t["flags"] if o in f["ops"]]
        if len(set(bits)) != len(bits):
            problems.append(f"opcode {o}: two flags on one bit")
    if sum(f["width"] for f in t["insn_fields"]) != t["insn_bits"]:
        problems.append("insn_fields do not add up to insn_bits")
    for c in t["csrs"]:
        used = 0
        for f in c.get("fields", []):
            m = ((1 << f["width"]) - 1) << f["lsb"]
            if used & m or f["lsb"] + f["width"] > 32:
                problems.append(f"CSR {c['name']}: field {f['name']} overlaps or exceeds 32 bits")
            used |= m
    if problems:
        raise SystemExit("model/isa.toml: " + "; ".join(problems))
    return t


def camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.lower().split("_"))


def sv_arg(f: dict) -> str:
    """Argument name of a constant-register field in its SV packing function."""
    n = f["name"].lower()
    return f"log2_{n}" if f.get("encode") == "log2" and not n.endswith("_shift") else n


def field_doc(f: dict, t: dict) -> str:
    hi, lo = f["lsb"] + f["width"] - 1, f["lsb"]
    if "const" in f:
        what = f"{f.get('doc', f['name'])} ({t[f['const']]})"
    else:
        p = f["param"] + (f"/{f['scale']}" if f.get("scale") else "")
        what = f"log2({p})" if f.get("encode") == "log2" else p
    return f"[{hi}:{lo}] {what}"


# ------------------------------------------------------------------------------------------
# SystemVerilog
# ------------------------------------------------------------------------------------------
def sv_block(t: dict) -> str:
    L = ["  // Instruction-set version of this design (CSR CONFIG3[7:0]) and the ID/VERSION values",
         f"  localparam int IsaVersion = {t['isa_version']};",
         f"  localparam logic [31:0] IdValue = 32'h{t['id_value']:08X};",
         f"  localparam logic [31:0] VersionValue = 32'h{t['version_value']:08X};",
         "",
         f"  // Instruction word ({t['insn_bits']} bits, little-endian in memory), fields from "
         "bit 0 up",
         f"  localparam int InsnW = {t['insn_bits']};",
         "  typedef struct packed {"]
    rng = {f["name"]: "[%d:0]" % (f["width"] - 1) for f in t["insn_fields"]}
    w = max(len(r) for r in rng.values())
    for f in reversed(t["insn_fields"]):
        L.append(f"    logic {rng[f['name']]:{w}s} {f['name']};  // {f['doc']}")
    L += ["  } insn_t;", "", "  // Flag bits (index into insn_t.flags)"]
    w = max(len(camel(f["name"])) for f in t["flags"])
    for f in t["flags"]:
        line = f"  localparam int Flag{camel(f['name']):{w}s} = {f['bit']};"
        note = f"{', '.join(o.upper() for o in f['ops'])}: {f['doc']}"
        if len(line) + 5 + len(note) > 100:
            L.append(f"  // {note}")
            L.append(line)
        else:
            L.append(f"{line}  // {note}")
    L += ["", "  typedef enum logic [7:0] {"]
    n = len(t["opcodes"])
    w = max(len(camel(o["name"])) for o in t["opcodes"])
    for i, o in enumerate(t["opcodes"]):
        L.append(f"    Op{camel(o['name']):{w}s} = 8'h{o['value']:02X}{',' if i < n - 1 else ''}")
    L += ["  } opcode_e;", "",
          "  // The flag bits an opcode defines (any other set bit is RESERVED)",
          "  function automatic logic [3:0] known_flags(logic [7:0] op);",
          "    logic [3:0] m;", "    m = '0;", "    case (op)"]
    for o in t["opcodes"]:
        bits = sorted({f["bit"] for f in t["flags"] if o["name"] in f["ops"]})
        if bits:
            mask = sum(1 << b for b in bits)
            L.append(f"      8'(Op{camel(o['name'])}): m = 4'b{mask:04b};")
    L += ["      default: m = '0;", "    endcase", "    return m;", "  endfunction", "",
          "  // Cycle accounting (CSR UNIT_CYCLES): the unit class of the instruction the",
          "  // sequencer waits on; class 0 (issue) takes the other cycles of a run",
          "  typedef enum logic [3:0] {"]
    n = len(t["units"])
    w = max(len(camel(u["name"])) for u in t["units"])
    for i, u in enumerate(t["units"]):
        sep = "," if i < n - 1 else " "
        L.append(f"    Unit{camel(u['name']):{w}s} = 4'd{i}{sep}  // {u['doc']}")
    L += ["  } unit_e;", f"  localparam int NumUnits = {n};", "",
          "  // The unit class of an opcode",
          "  function automatic unit_e unit_of(logic [7:0] op);",
          "    unit_e u;", "    u = UnitIssue;", "    case (op)"]
    for u in t["units"]:
        for o in u["ops"]:
            L.append(f"      8'(Op{camel(o)}): u = Unit{camel(u['name'])};")
    L += ["      default: u = UnitIssue;", "    endcase", "    return u;", "  endfunction", "",
          "  // Error codes (CSR ERR_CODE)", "  typedef enum logic [7:0] {"]
    n = len(t["errors"])
    w = max(len(camel(e["name"])) for e in t["errors"])
    for i, e in enumerate(t["errors"]):
        L.append(f"    Err{camel(e['name']):{w}s} = 8'd{e['value']:<2d}{',' if i < n - 1 else ' '}"
                 f"  // {e['doc']}")
    L += ["  } err_e;", "", "  // CSR map (docs/csr.md)"]
    w = max(len(camel(c["name"])) for c in t["csrs"])
    for c in t["csrs"]:
        L.append(f"  localparam logic [11:0] Csr{camel(c['name']):{w}s} = 12'h{c['addr']:03X};  "
                 f"// {c['access']}")
    stride = [c for c in t["csrs"] if "stride" in c]
    for c in stride:
        L.append(f"  localparam int Csr{camel(c['name'])}Stride = {c['stride']};")
    for c in t["csrs"]:
        fs = c.get("fields")
        if not fs:
            continue
        args = [f for f in fs if "const" not in f]
        note = f"{c['name']} contents: " + ", ".join(field_doc(f, t) for f in fs)
        L += [""] + textwrap.wrap(note, 98, initial_indent="  // ", subsequent_indent="  // ")
        head = f"  function automatic logic [31:0] csr_{c['name'].lower()}_word("
        L += [head + ",\n".join(" " * (len(head) if i else 0) +
                                 f"logic [{f['width'] - 1}:0] {sv_arg(f)}"
                                 for i, f in enumerate(args)) + ");",
              "    logic [31:0] v;", "    v = '0;"]
        for f in fs:
            src = f"{f['width']}'({camel(f['const'])})" if "const" in f else sv_arg(f)
            L.append(f"    v[{f['lsb'] + f['width'] - 1}:{f['lsb']}] = {src};")
        L += ["    return v;", "  endfunction"]
    return "\n".join(L)


# ------------------------------------------------------------------------------------------
# Python
# ------------------------------------------------------------------------------------------
def py_file(t: dict) -> str:
    L = ['"""The architecture\'s numbers, generated by tools/gen_isa.py from model/isa.toml: do '
         'not edit', '(edit the table and run `python tools/gen_isa.py`)."""', "",
         "import enum", "",
         f"ISA_VERSION = {t['isa_version']}",
         f"ID_VALUE = 0x{t['id_value']:08X}",
         f"VERSION_VALUE = 0x{t['version_value']:08X}", "",
         "# instruction word: (field, lsb, width), from bit 0 up",
         f"INSN_BITS = {t['insn_bits']}", "INSN_FIELDS = ("]
    lsb = 0
    for f in t["insn_fields"]:
        L.append(f"    ({f['name']!r}, {lsb}, {f['width']}),")
        lsb += f["width"]
    L += [")", "", "", "class Op(enum.IntEnum):"]
    for o in t["opcodes"]:
        L.append(f"    {o['name'].upper()} = 0x{o['value']:02X}")
    L += ["", "", "# executing unit of each opcode (ctrl: the sequencer itself)", "EXEC_UNIT = {"]
    for o in t["opcodes"]:
        L.append(f"    Op.{o['name'].upper()}: {o['exec']!r},")
    L += ["}", "", "# unit classes of the cycle accounting (CSR UNIT_CYCLES + 4u) and each",
          "# opcode's (issue for the others)", "CYCLE_UNITS = ("]
    L += [f"    {u['name']!r}," for u in t["units"]]
    L += [")", "CYCLE_UNIT_OF = {"]
    for i, u in enumerate(t["units"]):
        for o in u["ops"]:
            L.append(f"    Op.{o.upper()}: {i},")
    L += ["}", "", "# flag bits (masks of insn.flags)"]
    for f in t["flags"]:
        L.append(f"FLAG_{f['name']} = 1 << {f['bit']}  # {', '.join(o.upper() for o in f['ops'])}"
                 f": {f['doc']}")
    L += ["", "# the flag bits each opcode defines (any other set bit is RESERVED)",
          "KNOWN_FLAGS = {"]
    for o in t["opcodes"]:
        fl = [f["name"] for f in t["flags"] if o["name"] in f["ops"]]
        if fl:
            L.append(f"    Op.{o['name'].upper()}: " + " | ".join(f"FLAG_{n}" for n in fl) + ",")
    L += ["}", "", "", "class Err(enum.IntEnum):"]
    for e in t["errors"]:
        L.append(f"    {e['name']} = {e['value']}")
    L += ["", "", "class Csr(enum.IntEnum):"]
    for c in t["csrs"]:
        L.append(f"    {c['name']} = 0x{c['addr']:03X}")
    L += ["", "", "CSR_ACCESS = {"]
    for c in t["csrs"]:
        L.append(f"    Csr.{c['name']}: {c['access']!r},")
    L += ["}"]
    for c in t["csrs"]:
        if "stride" in c:
            L.append(f"CSR_{c['name']}_STRIDE = {c['stride']}")
    L += ["", "# contents of the constant registers: (field, lsb, width, source, encoding, scale);",
          "# source = a core parameter name or 'ISA_VERSION'; encoding 'value' or 'log2' of the",
          "# parameter divided by scale", "CSR_FIELDS = {"]
    for c in t["csrs"]:
        if "fields" not in c:
            continue
        L.append(f"    Csr.{c['name']}: (")
        for f in c["fields"]:
            src = f["const"].upper() if "const" in f else f["param"]
            L.append(f"        ({f['name']!r}, {f['lsb']}, {f['width']}, {src!r}, "
                     f"{f.get('encode', 'value')!r}, {f.get('scale', 1)}),")
        L.append("    ),")
    L += ["}", ""]
    return "\n".join(L)


# ------------------------------------------------------------------------------------------
# docs/csr.md
# ------------------------------------------------------------------------------------------
def csr_table(t: dict) -> str:
    L = ["| addr | name | access | contents |", "|------|------|--------|----------|"]
    for c in t["csrs"]:
        doc = c["doc"]
        if "fields" in c:
            doc = ", ".join(field_doc(f, t) for f in c["fields"])
        idx = "u" if c.get("count") == "units" else "p"
        if c.get("count") == "units":
            doc += ": " + ", ".join(f"{i} {u['name']} ({u['doc']})"
                                    for i, u in enumerate(t["units"]))
        addr = f"0x{c['addr']:03X}" + (f" + {c['stride']}{idx}" if "stride" in c else "")
        name = c["name"] + (f"({idx})" if "stride" in c else "")
        L.append(f"| {addr} | {name} | {c['access']} | {doc} |")
    return "\n".join(L)


def replace_block(text: str, body: str, begin: str, end: str, where: str) -> str:
    pat = re.compile(r"(" + re.escape(begin) + r"[^\n]*\n)(?:.*?\n)??([ \t]*" + re.escape(end) +
                     r")", re.S)
    if not pat.search(text):
        raise SystemExit(f"{where}: markers {begin!r} ... {end!r} not found")
    return pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text, count=1)


def outputs(t: dict) -> dict[Path, str]:
    return {
        PKG: replace_block(PKG.read_text(), sv_block(t), f"// BEGIN GENERATED {TAG}",
                           "// END GENERATED", str(PKG)),
        PY: py_file(t),
        CSR_DOC: replace_block(CSR_DOC.read_text(), csr_table(t),
                               f"<!-- BEGIN GENERATED {TAG}", "<!-- END GENERATED -->",
                               str(CSR_DOC)),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    a = ap.parse_args(argv)
    stale = []
    for path, text in outputs(load()).items():
        if not path.exists() or path.read_text() != text:
            stale.append(os.path.relpath(path, ROOT))
            if not a.check:
                path.write_text(text)
    if a.check and stale:
        print("out of date: " + ", ".join(stale) + " (run python tools/gen_isa.py)")
        return 1
    print(("rewrote " + ", ".join(stale)) if stale and not a.check else
          "generated files up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
