"""The one table of the architecture's numbers (model/isa.toml): the files generated from it
(rtl/skipopu_pkg.sv's block, model/isa_defs.py, docs/csr.md's register table) are current,
a stale one is caught, and the generated Python constants are the table's."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib

from tb import simrun

GEN = simrun.ROOT / "tools" / "gen_isa.py"


def test_generated_files_current():
    r = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr + "\nrun: python tools/gen_isa.py"


def test_stale_file_detected(tmp_path, monkeypatch):
    """--check fails when a generated file differs from the table (here: an opcode edited by
    hand in a copy of the package)."""
    sys.path.insert(0, str(GEN.parent))
    import gen_isa
    for name in ("PKG", "PY", "CSR_DOC"):
        src = getattr(gen_isa, name)
        dst = tmp_path / src.name
        shutil.copy(src, dst)
        monkeypatch.setattr(gen_isa, name, dst)
    assert gen_isa.main(["--check"]) == 0
    pkg = tmp_path / "skipopu_pkg.sv"
    text = pkg.read_text()
    assert "OpLoad    = 8'h10" in text
    pkg.write_text(text.replace("OpLoad    = 8'h10", "OpLoad    = 8'h17"))
    assert gen_isa.main(["--check"]) == 1
    assert gen_isa.main([]) == 0 and gen_isa.main(["--check"]) == 0     # regenerated


def test_python_constants_are_the_table():
    from model import isa
    t = tomllib.loads((simrun.ROOT / "model" / "isa.toml").read_text())
    assert {o.name.lower(): int(o) for o in isa.Op} == {o["name"]: o["value"]
                                                         for o in t["opcodes"]}
    assert {e.name: int(e) for e in isa.Err} == {e["name"]: e["value"] for e in t["errors"]}
    assert {c.name: int(c) for c in isa.Csr} == {c["name"]: c["addr"] for c in t["csrs"]}
    assert isa.ISA_VERSION == t["isa_version"] == 7
    assert isa.CYCLE_UNITS == tuple(u["name"] for u in t["units"])
    for f in t["flags"]:
        for o in f["ops"]:
            assert isa.KNOWN_FLAGS[isa.Op[o.upper()]] & (1 << f["bit"])
