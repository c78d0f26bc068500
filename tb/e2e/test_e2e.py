"""pytest entry of the end-to-end run (tb/e2e/tb_e2e.py): prefill + decode of a generated
model through the core, every step bit-exact against model/core, bounded against float64."""

from __future__ import annotations

import json

import pytest

from model.isa import CoreConfig
from tb import simrun
from tb.top.test_top import CONFIGS
from tb.top.wrapper import generate

MODULE = "e2e.tb_e2e"
CORE = CONFIGS["default"]
# the narrow core (MMAX 8: prompts of up to 4 rows at n_rep 2, Mg = 8)
NARROW = CONFIGS["narrow"]


def run_e2e(sim: str = "verilator", cfg: CoreConfig = CORE, args: dict | None = None,
            seed: int = 1, extra_env: dict | None = None, **kw):
    wrapper = generate(cfg.NUM_HBM)
    params = {k: v for k, v in cfg.params().items() if k != "NUM_HBM"}
    env = {"SKIPOPU_CFG": json.dumps(cfg.params()), "E2E_ARGS": json.dumps(args or {})}
    env.update(extra_env or {})
    return simrun.run("skipopu_tb_top", simrun.all_rtl() + [wrapper], MODULE, sim=sim,
                      parameters=params, seed=seed, extra_env=env, **kw)


# the memory setting of every reported run (make results, make bench): the timing-aware HBM
# model with DRAM timing only (no injected latency, no pauses), HBM clock exactly 2x the core's
REPORT_ENV = {"TOP_HBM_MODEL": "hbm", "TOP_HBM_RATIO": "2", "TOP_HBM_JITTER": "0"}


def run_report(cfg: CoreConfig, args: dict, seed: int, run_name: str, path) -> dict:
    """One reported e2e run on Verilator with REPORT_ENV; its report.json written to ``path``
    (a stale one removed first) and returned."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    run_e2e("verilator", cfg, args, seed=seed, run_name=run_name,
            extra_env={**REPORT_ENV, "SKIPOPU_REPORT_JSON": str(path)})
    return json.loads(path.read_text())


# (mode, mapping, buffer, seed): both modes on two seeds with the make sim mapping, plus the
# interleaved mapping, the buffer off and the dense baseline
CASES = [("reuse", "token", True, 1), ("reuse", "token", True, 2),
         ("partial", "token", True, 1), ("partial", "token", True, 2),
         ("reuse", "interleaved", False, 1), ("reuse", "token", False, 2),
         ("dense", "token", True, 1)]


@pytest.mark.parametrize("mode,mapping,buffer,seed", CASES)
def test_e2e_tiny(mode, mapping, buffer, seed, tmp_path):
    """Tiny preset, prompt 8, 4 tokens generated (prefill + 3 decode steps), layer trace on;
    the report.json of the run is consistent with its own raw figures."""
    path = tmp_path / "report.json"
    run_e2e(args={"preset": "tiny", "prompt": 8, "gen": 4, "mode": mode, "mapping": mapping,
                  "buffer": buffer, "seed": seed, "trace": True}, seed=seed,
            extra_env={"SKIPOPU_REPORT_JSON": str(path)})
    check_report(json.loads(path.read_text()), CORE)


def check_report(r: dict, cfg: CoreConfig, ratio: float = 2.0) -> None:
    """report.json (tb_e2e.summary): the fields docs/results.md relies on, each recomputed from
    the per-step CSR figures of the same file."""
    assert r["result"] == "PASS" and r["hbm_clock_ratio"] == ratio
    assert abs(r["hbm_clock_ratio_measured"] - ratio) < 0.01
    peak = cfg.NUM_HBM * cfg.DATA_W // 16 * ratio
    assert r["peak_hbm_bytes_per_cycle"] == peak
    n_pf = 0 if r.get("context") else 1           # from a checkpoint: no prefill step
    assert ("prefill" in r) == bool(n_pf)
    for phase, steps in (("prefill", r["steps"][:n_pf]), ("decode", r["steps"][n_pf:])):
        if not steps:
            continue
        f = r[phase]
        assert f["tokens"] == sum(s["m"] for s in steps)
        assert f["cycles"] == sum(s["cycles"] for s in steps)
        assert sum(f["cycles_by_unit"].values()) == f["cycles"]
        hbm = sum(sum(s["rd"][1:]) + sum(s["wr"][1:]) for s in steps)
        assert f["hbm_read_bytes"] + f["hbm_write_bytes"] == hbm
        assert f["ddr_read_bytes"] == sum(s["rd"][0] for s in steps)
        assert abs(f["roofline_cycles"] - hbm / peak) < 1e-6
        assert abs(f["hbm_efficiency"] - f["roofline_cycles"] / f["cycles"]) < 1e-9
        assert 0 < f["hbm_efficiency"] <= 1 and 0 < f["pe_utilisation"] <= 1
        # a word entering the PE array is at most PEs useful MACs
        assert f["macs"] <= f["pe_cycles"] * cfg.kdim * cfg.ncol
    assert 0 <= r["kv_storage_saved"] < 1


def test_e2e_unfused_hbm_model():
    """The unfused baseline program on the timing-aware HBM model (pauses, random latency)."""
    run_e2e(args={"preset": "tiny", "prompt": 6, "gen": 3, "mode": "reuse", "seed": 3,
                  "variant": "unfused"}, seed=3, extra_env={"TOP_HBM_MODEL": "hbm"})


def test_e2e_checkpoint(tmp_path):
    """Decode from a checkpoint (`make sim SIM_ARGS="--context T"`): the tiny preset's prefill
    of 8 tokens and 16 decode steps on the model, loaded by backdoor, then 3 decode steps on the
    core at context 24..26 on the timing-aware HBM model (random latency), layer trace on."""
    path = tmp_path / "report.json"
    run_e2e(args={"preset": "tiny", "prompt": 8, "context": 24, "gen": 3, "seed": 5,
                  "trace": True}, seed=5,
            extra_env={"TOP_HBM_MODEL": "hbm", "SKIPOPU_REPORT_JSON": str(path)})
    r = json.loads(path.read_text())
    check_report(r, CORE)
    assert r["context"] == 24 and len(r["steps"]) == 3 and r["decode"]["tokens"] == 3
    assert len(r["tokens"]) == 1 + 16 + 3


def test_e2e_narrow():
    """The narrow core (128-bit words, two HBM ports, MMAX 8): the tiny model cut to 2 layers,
    prompt 4, 3 tokens, layer trace on (the `make sim SIM=icarus` job, on Verilator)."""
    run_e2e("verilator", NARROW, args={"preset": "tiny", "layers": 2, "prompt": 4, "gen": 3,
                                       "seed": 2, "trace": True}, seed=2)


def test_e2e_p8(tmp_path):
    """The 8-port core (NUM_HBM 8, a 16 x 64 array: a chunk of 16 words, two per port): the
    tiny preset, prompt 8, 3 tokens, layer trace on, on the timing-aware HBM model."""
    path = tmp_path / "report.json"
    run_e2e(cfg=CONFIGS["p8"], args={"preset": "tiny", "prompt": 8, "gen": 3, "seed": 4,
                                     "trace": True}, seed=4,
            extra_env={"TOP_HBM_MODEL": "hbm", "SKIPOPU_REPORT_JSON": str(path)})
    check_report(json.loads(path.read_text()), CONFIGS["p8"])


@pytest.mark.slow
def test_e2e_icarus():
    """Icarus: the tiny model cut to 2 layers, prompt 4, 2 tokens, on the narrow core (= `make
    sim SIM=icarus`; more than 10 minutes here, so behind -m slow: the regression's Icarus runs
    of the units are test_top_icarus, test_kv_programs and test_att)."""
    run_e2e("icarus", NARROW, args={"preset": "tiny", "layers": 2, "prompt": 4, "gen": 2,
                                    "seed": 1, "trace": True})


@pytest.mark.slow
def test_e2e_default_preset():
    """The make sim run: default preset, prompt 16, 4 tokens, HBM model."""
    run_e2e(args={"preset": "default", "prompt": 16, "gen": 4, "seed": 1, "trace": True},
            extra_env={"TOP_HBM_MODEL": "hbm"})
