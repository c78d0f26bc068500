"""Unsupported parameters stop a simulation with a message that names them: every rule of
model/isa.py CoreConfig (the Python side) and its mirror rtl/skipopu_param_check.sv (which
skipopu_top instantiates; $fatal at time 0) on Icarus, a core rule and a unit rule
(skipopu_gbuf) on Verilator, and the whole top with a bad parameter on Icarus. Cheap: only the
small checker modules are built, except the top on Icarus (a few seconds).

The paper-scale core (model/isa.py PAPER_SCALE: 32 HBM ports, a 64 x 128 PE array; docs/weights.md
"Paper-scale parameter set") is accepted by CoreConfig and the checker (default regression), and
`verilator --lint-only -Wall` (as `make lint`) and Icarus (iverilog) elaborate the whole top with
it: those two take 5 to 11 minutes each and 2-3 GB, so they are marked slow
(`pytest -m slow tb/params -k paper`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import fields

import pytest

from model.isa import PAPER_SCALE, PORT_FIELD_MAX, CoreConfig, Csr, Err, Insn, csr_value
from tb import simrun
from tb.top.wrapper import PARAMS

# (overrides of the default CoreConfig, the message of the rule they break)
CASES = [
    ({"NUM_HBM": 33}, "NUM_HBM=33 not in 1..32"),
    ({"DATA_W": 64}, "DATA_W=64 not 128, 256, 512 or 1024"),
    ({"DATA_W": 2048}, "DATA_W=2048 not 128, 256, 512 or 1024"),
    ({"ADDR_W": 64}, "ADDR_W=64 not in 16..63"),
    ({"ID_W": 0}, "ID_W=0 not in 1..16"),
    ({"GBUF_DEPTH": 3000}, "GBUF_DEPTH=3000 is not a power of 2 >= 2"),
    ({"MAX_BURST": 12}, "MAX_BURST=12 is not a power of 2 >= 2"),
    ({"RD_FIFO_DEPTH": 1}, "RD_FIFO_DEPTH=1 is not a power of 2 >= 2"),
    ({"WR_OUTSTANDING": 3}, "WR_OUTSTANDING=3 is not a power of 2 in 1..256"),
    ({"MAX_BURST": 512, "RD_FIFO_DEPTH": 512, "HBM_ASYNC": 0}, "MAX_BURST=512 > 256"),
    ({"RD_FIFO_DEPTH": 8}, "RD_FIFO_DEPTH must be >= MAX_BURST"),
    ({"GBUF_DEPTH": 131072}, "GBUF_DEPTH must be <= 65536"),
    ({"NPE_ROWS": 100}, "NPE_ROWS=100 is not a power of 2 in 2..65536"),
    ({"MMAX": 0}, "MMAX=0 not in 1..4096"),
    ({"HBM_ASYNC": 2}, "HBM_ASYNC=2 not 0 or 1"),
    ({"MAX_BURST": 256, "RD_FIFO_DEPTH": 256}, "MAX_BURST must be <= 128 with HBM_ASYNC"),
    ({"KV_PORTS": 3}, "KV_PORTS=3 is not a power of 2 in 1..NUM_HBM"),
    ({"KV_TOKENS": 48}, "KV_TOKENS=48 is not a power of 2 >= 2"),
    ({"KV_BUF_CAP": 48}, "KV_BUF_CAP=48 is not a power of 2 >= 2"),
    ({"SMAX_ROWS": 100}, "SMAX_ROWS=100 is not a power of 2 >= 2"),
    ({"KV_ENTRY_MAX": 256}, "KV_ENTRY_MAX=256 is not a power of 2 in 2..128"),
    ({"KV_TOKENS": 512}, "KV_TOKENS=512 must be a multiple of DATA_W/16 and of KV_PORTS, and "
                         "<= DATA_W (one mask word)"),
    ({"KV_BUF_RD": 0}, "KV_BUF_RD, KV_BUF_WR must be in 1..15 and KV_PORTS + KV_BUF_RD <= "
                       "DATA_W/16"),
    ({"NCOL": 48}, "NCOL=48 is not DATA_W/16 times 1, 2 or 4"),
    ({"NCOL": 128}, "NCOL=128 is not DATA_W/16 times 1, 2 or 4"),
    ({"NUM_HBM": 8, "NCOL": 16}, "NCOL/4 (words per chunk) must be a multiple of NUM_HBM"),
    ({"NUM_HBM": 3, "KV_PORTS": 2}, "NCOL/4 (words per chunk) must be a multiple of NUM_HBM"),
    ({"WFETCH_DEPTH": 6}, "WFETCH_DEPTH=6 is not a power of 2 in 2..128"),
    ({"WFETCH_DEPTH": 1}, "WFETCH_DEPTH=1 is not a power of 2 in 2..128"),
    ({"MM_SCALE_ROWS": 0}, "MM_SCALE_ROWS=0 not in 1..255"),
    ({"MM_SCALE_ROWS": 256}, "MM_SCALE_ROWS=256 not in 1..255"),
]
CHECKER = "skipopu_param_check"


def sv_params(over: dict) -> dict:
    """skipopu_top's parameters: the default CoreConfig's with the overrides (not validated)."""
    p = {f.name: getattr(CoreConfig(), f.name) for f in fields(CoreConfig)}
    p.update(over)
    return {k: p[k] for k in ["NUM_HBM"] + PARAMS}


def icarus(top: str, sources, params: dict, tmp_path) -> subprocess.CompletedProcess:
    out = tmp_path / f"{top}.vvp"
    cmd = ["iverilog", "-g2012", "-o", str(out), "-s", top]
    cmd += [f"-P{top}.{k}={v}" for k, v in params.items()]
    subprocess.run(cmd + [str(s) for s in sources], check=True, capture_output=True, text=True)
    return subprocess.run(["vvp", "-n", str(out)], capture_output=True, text=True, timeout=120)


def verilator(top: str, sources, params: dict, tmp_path) -> subprocess.CompletedProcess:
    mdir = tmp_path / "obj"
    cmd = ["verilator", "--binary", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--Mdir", str(mdir),
           "--top-module", top, "-o", top]
    cmd += [f"-G{k}={v}" for k, v in params.items()]
    subprocess.run(cmd + [str(s) for s in sources], check=True, capture_output=True, text=True,
                   env={**os.environ, "MAKEFLAGS": "-j1"})
    return subprocess.run([str(mdir / top)], capture_output=True, text=True, timeout=120)


def fails_with(r: subprocess.CompletedProcess, msg: str) -> None:
    out = r.stdout + r.stderr
    assert r.returncode != 0, f"simulation did not stop:\n{out}"
    assert re.search(r"fatal", out, re.I) and msg in out, f"message {msg!r} not in:\n{out}"


@pytest.mark.parametrize("over,msg", CASES, ids=[m.split(" ")[0] for _, m in CASES])
def test_core_config_rejects(over, msg):
    """model/isa.py: CoreConfig raises with the rule's message."""
    with pytest.raises(ValueError, match=re.escape(msg)):
        CoreConfig(**over)


@pytest.mark.parametrize("over,msg", CASES, ids=[m.split(" ")[0] for _, m in CASES])
def test_param_check_icarus(over, msg, tmp_path):
    """rtl/skipopu_param_check.sv on Icarus: $fatal at time 0 with the same message."""
    r = icarus(CHECKER, simrun.rtl(CHECKER)[1:], sv_params(over), tmp_path)
    fails_with(r, f"skipopu_top: {msg}")


def test_param_check_accepts_the_regression_cores(tmp_path):
    """Every core configuration of the regression passes the checker (Icarus)."""
    from tb.top.test_top import CONFIGS
    for cfg in [*CONFIGS.values(), PAPER_SCALE]:
        r = icarus(CHECKER, simrun.rtl(CHECKER)[1:], cfg.params(), tmp_path)
        assert r.returncode == 0 and "FATAL" not in r.stdout, r.stdout + r.stderr


def test_top_icarus_stops(tmp_path):
    """The whole core with a bad parameter (KV_BUF_CAP = 48) stops at time 0 on Icarus."""
    r = icarus("skipopu_top", simrun.all_rtl(), sv_params({"KV_BUF_CAP": 48}), tmp_path)
    fails_with(r, "skipopu_top: KV_BUF_CAP=48 is not a power of 2 >= 2")


@pytest.mark.skipif(shutil.which("verilator") is None, reason="no Verilator")
@pytest.mark.parametrize("top,over,msg", [
    (CHECKER, {"NUM_HBM": 33}, "skipopu_top: NUM_HBM=33 not in 1..32"),
    ("skipopu_gbuf", {"DEPTH": 100}, "skipopu_gbuf: DEPTH=100 is not a power of 2 >= 2"),
])
def test_param_check_verilator(top, over, msg, tmp_path):
    """The same on Verilator (a core rule and a unit's own rule)."""
    params = sv_params(over) if top == CHECKER else over
    r = verilator(top, simrun.rtl(top)[1:] if top == CHECKER else simrun.rtl(top), params,
                  tmp_path)
    fails_with(r, msg)


# -- the paper-scale core ----------------------------------------------------------------------
ROOT = simrun.ROOT


def test_paper_scale_config():
    """CoreConfig accepts the paper-scale set: KDIM 64 x NCOL 128, one word per HBM port per
    chunk, every constant CSR field fits; LOAD/STORE reach memory ports 0..15 only (the 4-bit
    port field): port 15 is legal, a port above it is BAD_PORT in the check and cannot be
    encoded, and a decoded word never names one."""
    cfg = CoreConfig(**PAPER_SCALE.params())
    assert cfg == PAPER_SCALE
    assert (cfg.NUM_HBM, cfg.kdim, cfg.ncol, cfg.KV_PORTS) == (32, 64, 128, 16)
    assert cfg.chunk_words == 32 and cfg.port_chunk_bytes == 128 and cfg.max_port == 15
    for csr in (Csr.CONFIG, Csr.CONFIG2, Csr.CONFIG3, Csr.CONFIG4):
        csr_value(csr, cfg)                                 # asserts that every field fits
    assert csr_value(Csr.CONFIG, cfg) & 0xFF == 32
    assert PORT_FIELD_MAX == 15
    ok = Insn.load(PORT_FIELD_MAX, 0, 0, 1)
    assert ok.check(cfg) == Err.NONE and Insn.decode(ok.encode()).port == 15
    for port in (16, 32):
        bad = Insn.load(port, 0, 0, 1)
        assert bad.check(cfg) == Err.BAD_PORT
        with pytest.raises(ValueError, match="port"):
            bad.encode()
    # the narrower cores are unchanged: a port above NUM_HBM is BAD_PORT
    assert CoreConfig().max_port == 4 and Insn.load(5, 0, 0, 1).check(CoreConfig()) == Err.BAD_PORT


def paper_rtl() -> list[str]:
    """The RTL files in `make lint`'s order (package first)."""
    return [str(p.relative_to(ROOT)) for p in simrun.all_rtl()]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("verilator") is None, reason="no Verilator")
def test_paper_scale_lint():
    """`make lint`'s Verilator command on skipopu_top with the paper-scale parameters: no
    warning (6 to 11 minutes and 3.3 GB on this project's machine)."""
    cmd = ["verilator", "--lint-only", "-Wall", "-Wno-fatal", "lint/verilator_waivers.vlt",
           *paper_rtl(), "--top-module", "skipopu_top"]
    cmd += [f"-G{k}={v}" for k, v in PAPER_SCALE.params().items()]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert not [ln for ln in out.splitlines() if ln.startswith("%")], out


@pytest.mark.slow
def test_paper_scale_icarus(tmp_path):
    """Icarus elaborates skipopu_top with the paper-scale parameters (no message but the waived
    ones of lint/icarus_waivers.txt; about 5 minutes and 2 GB, a 200 MB vvp file). The parameter
    checks are test_param_check_accepts_the_regression_cores (the checker alone): vvp did not get
    through loading this file to time 0 in 15 minutes, so the top is not run."""
    out = tmp_path / "top.vvp"
    cmd = ["iverilog", "-g2012", "-o", str(out), "-s", "skipopu_top"]
    cmd += [f"-Pskipopu_top.{k}={v}" for k, v in PAPER_SCALE.params().items()]
    r = subprocess.run(cmd + paper_rtl(), cwd=ROOT, capture_output=True, text=True,
                       timeout=3600)
    waivers = [w for w in (ROOT / "lint/icarus_waivers.txt").read_text().splitlines()
               if w.strip() and not w.startswith("#")]
    left = [ln for ln in (r.stdout + r.stderr).splitlines()
            if ln.strip() and not any(re.search(w, ln) for w in waivers)]
    assert r.returncode == 0 and not left, "\n".join(left)
    assert out.stat().st_size > 0
