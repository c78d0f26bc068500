"""pytest entry for the weight access unit tests (tb/wstream/tb_wstream.py), its parameter checks
and the throughput benchmark.

Regenerate the throughput table of docs/weights.md (about 6 minutes):
``source scripts/env.sh && pytest -s -m slow tb/wstream/test_wstream.py -k bench``
(prints the table; the rows also go to ``sim_build/ws_bench.jsonl``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tb import simrun
from tb.wstream.wrapper import PARAMS, generate

RTL = ("skipopu_fifo", "skipopu_async_fifo", "skipopu_axi_cdc", "skipopu_wstream")

CONFIGS = {
    # the default core: 4 ports x 256-bit words, 256-B chunks (2 words per port), HBM behind the
    # chunk FIFOs at 2x the core clock
    "core": dict(cdc=True),
    # the 8-port core: 512-B chunks (NCOL 64), still 2 words per port
    "p8": dict(cdc=True, NUM_PORTS=8, CHUNK_W=4096),
    # one word per port per chunk, tiny buffers (LANE_DEPTH = 2 * MAX_BURST), 2-entry queue,
    # no clock crossing: skew and credits at their limits
    "p2w1": dict(cdc=False, NUM_PORTS=2, DATA_W=128, CHUNK_W=256, MAX_BURST=4, LANE_DEPTH=8,
                 MAX_INFLIGHT=8, QDEPTH=2, ARID=5),
    # 4 words per port per chunk, 128-bit core words (64-bit HBM beats), short bursts, in-flight
    # cap below the buffer
    "p4w4": dict(cdc=True, DATA_W=128, CHUNK_W=2048, MAX_BURST=8, LANE_DEPTH=32,
                 MAX_INFLIGHT=16, QDEPTH=4),
    # 3 ports (not a power of 2), small PC windows (bursts stay inside 1 MB + 512 KB)
    "p3": dict(cdc=True, NUM_PORTS=3, CHUNK_W=1536, LANE_DEPTH=32, MAX_INFLIGHT=32,
               PC_BYTES=1 << 21),
}
TESTS = ("test_random", "test_errors", "test_flush")
DESCS = {"verilator": 40, "icarus": 6}


def run(sim: str, cfg: str, testcase: str, seed: int = 1, descs: int | None = None,
        overrides: dict | None = None, bench: dict | None = None, core_ps: int = 4444,
        hbm_ps: int = 2222):
    c = dict(CONFIGS[cfg], **(overrides or {}))
    cdc = c.pop("cdc")
    p = dict(PARAMS, **c)
    wrapper = generate(p["NUM_PORTS"], cdc)
    env = {"WS_PARAMS": json.dumps(dict(p, CDC=int(cdc), CORE_PS=core_ps, HBM_PS=hbm_ps)),
           "WS_DESCS": str(descs or DESCS[sim])}
    if bench is not None:
        env["WS_BENCH"] = json.dumps(bench)
        env["WS_BENCH_OUT"] = str(simrun.BUILD_ROOT / "ws_bench.jsonl")
    return simrun.run("skipopu_wstream_bench", simrun.rtl(*RTL) + [wrapper], "wstream.tb_wstream",
                      sim=sim, parameters=p, testcase=testcase, extra_env=env, seed=seed)


# the default regression: the core's configurations and the limits case; the others (4 words
# per port, 3 ports) run in the sweep (make test-long)
QUICK = ("core", "p8", "p2w1")


@pytest.mark.parametrize("testcase", TESTS)
@pytest.mark.parametrize("cfg", [c if c in QUICK else pytest.param(c, marks=pytest.mark.slow)
                                 for c in CONFIGS])
def test_wstream(cfg, testcase):
    run("verilator", cfg, testcase)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 6))
@pytest.mark.parametrize("testcase", TESTS)
@pytest.mark.parametrize("cfg", list(CONFIGS))
def test_wstream_sweep(cfg, testcase, seed):
    run("verilator", cfg, testcase, seed=seed, descs=80)


# Icarus: the default core, a few descriptors of every test
@pytest.mark.parametrize("testcase", TESTS)
def test_wstream_icarus(testcase):
    run("icarus", "core", testcase)


# ---- elaboration checks ------------------------------------------------------------------------

BAD = [  # (parameter overrides, words of the message)
    (dict(NUM_PORTS=3), "multiple of NUM_PORTS"),
    (dict(CHUNK_W=3072), "power of 2"),
    (dict(CHUNK_W=2000), "multiple of DATA_W"),
    (dict(LANE_DEPTH=16, MAX_INFLIGHT=16), "MAX_BURST + share"),
    (dict(LANE_DEPTH=96, MAX_INFLIGHT=64), "power of 2"),
    (dict(MAX_INFLIGHT=8), "MAX_INFLIGHT"),
    (dict(MAX_INFLIGHT=1024), "MAX_INFLIGHT"),
    (dict(QDEPTH=6), "QDEPTH"),
    (dict(ARID=16), "ARID"),
    (dict(MAX_BURST=512), "MAX_BURST"),
    (dict(PC_BYTES=3 << 20), "PC_BYTES"),
    (dict(ADDR_W=29), "ADDR_W bits"),
    (dict(DATA_W=200, CHUNK_W=1600), "DATA_W"),
    (dict(LEN_W=32), "LEN_W"),
]


def _elab(sim: str, top: str, files: list[Path], params: dict) -> str:
    """Elaborate (Verilator lint) or elaborate and run for time 0 (Icarus); returns the output,
    raises if the tool accepted the parameters."""
    if sim == "verilator":
        cmd = ["verilator", "--lint-only", "-Wno-fatal", "--top-module", top] + \
            [f"-G{k}={v}" for k, v in params.items()] + [str(f) for f in files]
        out = subprocess.run(cmd, capture_output=True, text=True)
        text = out.stdout + out.stderr
        assert "USERFATAL" in text, f"Verilator accepted {params}:\n{text}"
        return text
    vvp = simrun.BUILD_ROOT / "icarus" / f"{top}-elab.vvp"
    vvp.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["iverilog", "-g2012", "-s", top, "-o", str(vvp)] + \
        [f"-P{top}.{k}={v}" for k, v in params.items()] + [str(f) for f in files]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    out = subprocess.run(["vvp", "-n", str(vvp)], capture_output=True, text=True)
    text = out.stdout + out.stderr
    assert "FATAL" in text and out.returncode != 0, f"Icarus accepted {params}:\n{text}"
    return text


@pytest.mark.parametrize("sim", ["verilator", "icarus"])
def test_wstream_bad_params(sim):
    """Every unsupported combination stops elaboration with its message; the default and the
    test configurations elaborate cleanly."""
    files = simrun.rtl("skipopu_fifo", "skipopu_wstream")
    for over, words in BAD:
        text = _elab(sim, "skipopu_wstream", files, over)
        assert words in text, f"{over}: message without {words!r}:\n{text}"
    if sim == "verilator":
        for c in CONFIGS.values():
            p = {k: v for k, v in c.items() if k != "cdc"}
            cmd = ["verilator", "--lint-only", "-Wall", "--top-module", "skipopu_wstream",
                   str(simrun.ROOT / "lint" / "verilator_waivers.vlt")] + \
                [f"-G{k}={v}" for k, v in p.items()] + [str(f) for f in files]
            out = subprocess.run(cmd, capture_output=True, text=True)
            assert out.returncode == 0, f"{p}: {out.stderr}"


# ---- throughput ---------------------------------------------------------------------------------

# (LANE_DEPTH, MAX_INFLIGHT): the plain credit rule (in flight up to the whole buffer) over the
# buffer depth, then the in-flight cap under the chosen buffer
BENCH_POINTS = [(32, 32), (64, 64), (128, 128), (256, 256), (512, 512), (1024, 1024),
                (512, 16), (512, 32), (512, 48), (512, 64), (512, 128), (1024, 64)]
BENCH = {"sizes_kb": [512, 256, 1024, 256],
         "scenarios": ["free", "rand40", "gap256/128", "gap512/256"]}


def bench_table(rows: list[dict]) -> str:
    scen = list(dict.fromkeys(r["scenario"] for r in rows))
    points = list(dict.fromkeys((r["lane_depth"], r["max_inflight"]) for r in rows))
    by = {(r["lane_depth"], r["max_inflight"], r["scenario"]): r for r in rows}
    head = "| LANE_DEPTH | MAX_INFLIGHT | " + " | ".join(scen) + \
        " | free: words queued per HBM port, mean / max |"
    lines = [head, "|" + "---|" * (3 + len(scen))]
    for ld, mi in points:
        cells = [f"{100 * by[(ld, mi, s)]['efficiency']:.1f} %" for s in scen]
        f = by[(ld, mi, "free")]
        cells.append(f"{f['queued_mean']:.0f} / {f['queued_max']:.0f}")
        lines.append(f"| {ld} | {mi} | " + " | ".join(cells) + " |")
    r0 = rows[0]
    lines.append("\nEfficiency = chunk bytes / (cycles x NUM_PORTS x DATA_W/8), cycles from the "
                 f"first descriptor to the last chunk; {r0['chunks']} chunks "
                 f"({r0['bytes'] // 1024} KB) per run; idle round trip (descriptor to first "
                 f"chunk) {r0['idle_latency']} core cycles")
    return "\n".join(lines)


@pytest.mark.slow
def test_wstream_bench():
    out = simrun.BUILD_ROOT / "ws_bench.jsonl"
    if out.exists():
        out.unlink()
    for ld, mi in BENCH_POINTS:
        run("verilator", "core", "test_bench", overrides={"LANE_DEPTH": ld, "MAX_INFLIGHT": mi},
            bench=BENCH)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    table = bench_table(rows)
    print("\nWS-BENCH\n" + table)
    (simrun.BUILD_ROOT / "ws_bench.md").write_text(table + "\n")
