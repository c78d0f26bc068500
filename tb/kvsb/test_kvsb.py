"""pytest entry for the KV staging buffer tests (tb/kvsb/tb_kvsb.py) and a simulator-free check
of the banking argument of docs/kv.md "KV staging buffer (KVSB)".

``source scripts/env.sh && pytest tb/kvsb`` (``-m "slow or not slow"`` adds the wider sweeps).
"""

from __future__ import annotations

import json

import pytest

from tb import simrun
from tb.kvsb.kvsb_model import bank, conflict_free, row, share_words

CONFIGS = {
    # the core's default shape: 256-bit words (16 banks), 64 entries of up to 16 words, P=4, R=2
    "w256_p4_r2": dict(DATA_W=256, KV_TOKENS=64, ENTRY_MAX=16, NUM_PORTS=4, LANES_IN=6),
    # the narrow core: 128-bit words (8 banks), P=2, R=1, entries up to 32 words (E > 4 NCOL)
    "w128_p2_r1": dict(DATA_W=128, KV_TOKENS=32, ENTRY_MAX=32, NUM_PORTS=2, LANES_IN=3),
    # Icarus: 64-bit words (4 banks), P=2, R=2: LANES_IN = NCOL
    "w64_p2_r2": dict(DATA_W=64, KV_TOKENS=16, ENTRY_MAX=8, NUM_PORTS=2, LANES_IN=4),
    # slow sweep
    "w128_p4_r2": dict(DATA_W=128, KV_TOKENS=64, ENTRY_MAX=16, NUM_PORTS=4, LANES_IN=6),
    "w512_p4_r2": dict(DATA_W=512, KV_TOKENS=64, ENTRY_MAX=32, NUM_PORTS=4, LANES_IN=6),
    "w256_p2_r2": dict(DATA_W=256, KV_TOKENS=16, ENTRY_MAX=4, NUM_PORTS=2, LANES_IN=4),
    "w128_p8_r0": dict(DATA_W=128, KV_TOKENS=8, ENTRY_MAX=64, NUM_PORTS=8, LANES_IN=8),
}


def run(sim: str, cfg: str, sessions: int, testcase: str = "test_kvsb", seed: int = 1, **kw):
    p = CONFIGS[cfg]
    simrun.run("skipopu_kvsb", simrun.rtl("skipopu_kvsb"), "kvsb.tb_kvsb", sim=sim,
               parameters=p, testcase=testcase, seed=seed,
               extra_env={"KVSB_PARAMS": json.dumps(p), "KVSB_SESSIONS": str(sessions)}, **kw)


@pytest.mark.parametrize("sim,cfg,sessions", [
    ("verilator", "w256_p4_r2", 200),
    ("verilator", "w128_p2_r1", 200),
    ("icarus", "w64_p2_r2", 30),
])
def test_kvsb(sim, cfg, sessions):
    run(sim, cfg, sessions)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3])
@pytest.mark.parametrize("cfg", ["w256_p4_r2", "w128_p2_r1", "w128_p4_r2", "w512_p4_r2",
                                 "w256_p2_r2", "w128_p8_r0"])
def test_kvsb_sweep(cfg, seed):
    run("verilator", cfg, 60, seed=seed)


@pytest.mark.slow
def test_kvsb_icarus_sweep():
    run("icarus", "w128_p4_r2", 40, seed=2)


@pytest.mark.parametrize("sim,cfg", [("verilator", "w256_p4_r2"), ("icarus", "w64_p2_r2")])
def test_lane_conflict_asserts(sim, cfg):
    """Two lanes in one bank: the unit's simulation assertion must fire (declared expected:
    simrun fails the run if it does not appear, or if any other RTL error does)."""
    run(sim, cfg, 0, testcase="test_lane_conflict",
        expect_errors=(r"skipopu_kvsb: lanes 0, 1 hit bank \d+",))


@pytest.mark.parametrize("cfg", ["w256_p4_r2", "w128_p2_r1", "w64_p2_r2", "w512_p4_r2",
                                 "w128_p8_r0"])
def test_banking_claims(cfg):
    """Exhaustive over every E and start index: the mapping is a bijection onto (bank, row);
    every token-wise round (k <= LANES_IN consecutive arrival indices, any word), every
    interleaved round (E >= P) and every tile read touch each bank at most once. Also shows that
    LANES_IN <= NCOL is needed: NCOL + 1 consecutive entries always collide."""
    p = CONFIGS[cfg]
    ncol, kt, em, P, L = p["DATA_W"] // 16, p["KV_TOKENS"], p["ENTRY_MAX"], p["NUM_PORTS"], \
        p["LANES_IN"]
    for log2e in range(em.bit_length()):
        e = 1 << log2e
        places = {(bank(a, w, log2e, P, ncol), row(a, w, ncol, em))
                  for a in range(kt) for w in range(em)}
        assert len(places) == kt * em and all(r < kt // ncol * em for _, r in places)
        for w in range(e):
            for a0 in range(kt):
                for k in range(1, min(L, kt - a0) + 1):
                    assert conflict_free([(a0 + i, w) for i in range(k)], log2e, P, ncol)
                if a0 + ncol < kt:
                    assert not conflict_free([(a0 + i, w) for i in range(ncol + 1)], log2e, P,
                                             ncol)
            for nt in range(kt // ncol):
                assert conflict_free([(nt * ncol + c, w) for c in range(ncol)], log2e, P, ncol)
        if e >= P:
            ep = share_words(log2e, P)
            for a in range(kt):
                for w in range(ep):
                    assert conflict_free([(a, q * ep + w) for q in range(P)], log2e, P, ncol)
