"""End-to-end testbench (the `make sim` job): a SkipGPT-Llama model generated from a seed,
compiled by the host compiler (model/generate.py) into memory images and one program per step,
run on the core (prefill of the prompt, then one decode step per generated token) with the host
loop of docs/compiler.md "Host loop", and checked after every step against the
bit-accurate model (model/core running the same programs on its own memories: error code,
pc, retired count, byte counters, KV counters, every memory page the model holds: outputs,
trace rows, masks, score area, KV cache), then against float64 (model/evaluate.py). Prints
progress lines per layer and per token and a report (also written to SKIPOPU_REPORT).

Configuration: SKIPOPU_CFG (core, JSON of CoreConfig fields) and E2E_ARGS (JSON): preset
(tiny|default), layers (override), prompt, gen, mode (reuse|partial|dense), mapping
(token|interleaved), buffer (bool), variant (fused|unfused), seed (model and prompt), trace
(bool).
"""

from __future__ import annotations

import json
import os
import time

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from model.core.base import SparseMem
from model.evaluate import float_check, problems
from model.generate import PROG_BASE, GenLoop, compile_images
from model.isa import Csr, Err, Op
from model.llama import LlamaConfig, make_model, prompt_tokens
from e2e.profile import StreamProfile
from top.tb_top import TB, UNITS, config_from_env

# KV and attention counters (docs/csr.md)
CSR_KV = {"kv_cycles": Csr.KV_CYCLES, "hbm_words": Csr.KV_HBM_WORDS,
          "buf_words": Csr.KV_BUF_WORDS, "keep_words": Csr.KV_KEEP_WORDS,
          "rounds": Csr.KV_ROUNDS, "att_cycles": Csr.ATT_CYCLES, "kvst_cycles": Csr.KVST_CYCLES}
KV_EXACT = ("hbm_words", "buf_words", "keep_words", "rounds")


def timeout_us() -> float:
    """cocotb timeout (simulated us): the default preset took 1.7 ms of simulated time for 20
    tokens (prompt 16 + 4 generated), the tiny one 0.13 ms for 12, the large one 0.27 ms per
    prefill and 0.7 ms per decode token; 10-30x that per token."""
    a = e2e_args()
    per_token = {"default": 1000, "large": 20000}.get(a["preset"], 200)
    return 2000 + per_token * (a["prompt"] + a["gen"])


def e2e_args() -> dict:
    a = {"preset": "tiny", "layers": 0, "prompt": 8, "gen": 4, "mode": "reuse",
         "mapping": "token", "buffer": True, "seed": 1, "trace": True, "variant": "fused",
         "context": 0}
    a.update(json.loads(os.environ.get("E2E_ARGS", "{}")))
    return a


class Runner:
    """Runs one program on the RTL and on the model, compares them, returns the figures."""

    def __init__(self, tb: TB, img, log):
        self.tb, self.img, self.log = tb, img, log
        self.rtl_mems = {p: tb.ports[p] for p in range(tb.cfg.NUM_HBM + 1)}
        self.model_s = 0.0
        self.rtl_s = 0.0

    def load(self) -> None:
        tb = self.tb
        for port, chunks in self.img.images.items():
            for addr, data in chunks:
                tb.ports[port].write(addr, data)
                tb.model_mems[port].write(addr, data)

    @staticmethod
    def write_prog(mem, prog) -> None:
        """The program and its data into one DDR (the RTL's or the model's)."""
        mem.write(PROG_BASE, prog.image())
        for a, d in prog.data:
            mem.write(a, d)

    def model_step(self, prog, label: str):
        """``prog`` on the model (its own DDR); the model's result (the reference of a step on
        the RTL, or alone one of a checkpoint's steps)."""
        self.write_prog(self.tb.model_mems[0], prog)
        t0 = time.perf_counter()
        exp = self.tb.model.run(PROG_BASE, len(prog.insns))
        self.model_s += time.perf_counter() - t0
        if exp.err != Err.NONE:
            raise AssertionError(f"{label}: the model stops with {exp.err.name} at pc "
                                 f"{exp.err_pc} (compiler bug)")
        return exp

    def backdoor(self) -> int:
        """Every page of the model's memories (DDR, the HBM the ports share) into the RTL's
        memory models, as a checkpoint is loaded; returns the bytes written."""
        n = 0
        for port in (0, 1):
            for pg, data in sorted(self.tb.model_mems[port].pages.items()):
                self.tb.ports[port].write(pg * SparseMem.PAGE, bytes(data))
                n += len(data)
        return n

    def _layer_starts(self, prog) -> list[int]:
        """pc of each layer's parameter LOAD (the progress markers)."""
        t = self.img.tensors
        addrs = {t[f"layers.{l}.params"].addr: l for l in range(self.img.cfg.layers)}
        return [i for i, insn in enumerate(prog.insns)
                if insn.op == Op.LOAD and insn.port == 0 and
                (insn.f1 | insn.f2 << 32) in addrs]

    async def run(self, prog, label: str) -> dict:
        tb = self.tb
        self.write_prog(tb.ddr, prog)
        exp = self.model_step(prog, label)
        starts = self._layer_starts(prog)
        layers = len(starts)
        if tb.axi_mon:
            tb.axi_mon.begin_run()
        prof = None
        if os.environ.get("E2E_PROFILE", "0") == "1":
            prof = StreamProfile(tb.dut, tb.cfg.NUM_HBM)
            prof.start()
        t0 = await tb.start(PROG_BASE, len(prog.insns))
        limit = 200_000 + 40 * sum(i.len for i in prog.insns) * max(1, prog.m)
        waited, poll, shown = 0, 256, 0
        while not tb.dut.irq_o.value:
            await ClockCycles(tb.dut.clk_i, poll)
            waited += poll
            if waited % (poll * 16) == 0 and prog.m > 1:
                n = await tb.csr_read(Csr.INSN_COUNT)
                done = sum(1 for s in starts[1:] if s <= n)
                while shown < done:
                    shown += 1
                    tb.log.info("[%s] layer %d/%d done, %d cycles", label, shown, layers,
                                waited)
            if waited > limit:
                n = await tb.csr_read(Csr.INSN_COUNT)
                raise AssertionError(f"{label}: core did not finish within {limit} cycles "
                                     f"({n} of {len(prog.insns)} instructions retired)")
        self.rtl_s += time.perf_counter() - t0
        if prof:
            prof.stop()
            for ln in prof.lines(label):
                tb.log.info("%s", ln)
        fig = await tb.read_run()
        fig.update({"pe_cycles": await tb.csr_read(Csr.PE_CYCLES),
                    "mm_cycles": await tb.csr_read(Csr.MM_CYCLES),
                    "npe_cycles": await tb.csr_read(Csr.NPE_CYCLES),
                    "insns": len(prog.insns), "m": prog.m})
        rd, wr = fig["rd"], fig["wr"]
        for k, a in CSR_KV.items():
            fig[k] = await tb.csr_read(a)
        irq = await tb.csr_read(Csr.IRQ_STATUS)
        await tb.csr_write(Csr.IRQ_STATUS, irq)
        # scoreboard
        got = Err(fig["err"]) if fig["err"] in Err._value2member_map_ else fig["err"]
        assert fig["status"] & 0x7 == 0x2 and got == Err.NONE, \
            f"{label}: the core stopped with {got!r} at pc {fig['err_pc']} " \
            f"({prog.insns[fig['err_pc']] if fig['err_pc'] < len(prog.insns) else ''})"
        assert fig["retired"] == exp.retired, f"{label}: retired {fig['retired']} != " \
            f"{exp.retired}"
        assert rd == exp.rd_bytes, f"{label}: read bytes {rd} != model {exp.rd_bytes}"
        assert wr == exp.wr_bytes, f"{label}: write bytes {wr} != model {exp.wr_bytes}"
        for k in KV_EXACT:
            assert fig[k] == exp.kv[k], f"{label}: KV counter {k} {fig[k]} != {exp.kv[k]}"
        if tb.axi_mon:        # AXI monitors: nothing outstanding, the bytes the model counts
            tb.axi_mon.end_run(label, exp.rd_bytes, exp.wr_bytes)
        self.compare_memories(label)
        fig["model"] = exp
        fig["macs"] = exp.macs
        return fig

    def compare_memories(self, label: str) -> None:
        """Every page the model holds (DDR; HBM, shared by the ports) equals the RTL's."""
        tb = self.tb
        page = SparseMem.PAGE
        for port in (0, 1):
            mm = tb.model_mems[port]
            for pg in sorted(mm.pages):
                got = tb.ports[port].read(pg * page, page)
                exp = bytes(mm.pages[pg])
                if got != exp:
                    i = next(i for i in range(page) if got[i] != exp[i])
                    a = pg * page + i
                    raise AssertionError(
                        f"{label}: {'DDR' if port == 0 else 'HBM'} byte 0x{a:x} is "
                        f"0x{got[i]:02x}, the model has 0x{exp[i]:02x} "
                        f"({self.where(port, a)})")

    def where(self, port: int, addr: int) -> str:
        for name, t in self.img.tensors.items():
            for p, lo, hi in t.ranges(self.img.core):   # a stream: one run per HBM port
                if (p == 0) == (port == 0) and lo <= addr < hi:
                    return f"tensor {name} + 0x{addr - lo:x}" + (f" (HBM port {p - 1}'s share)"
                                                                  if t.chunks else "")
        if port and (addr & ((1 << 28) - 1)) >= self.img.kv_off:
            return f"KV region of HBM pseudo-channel {addr >> 28}"
        return "outside the tensors"


def phase_figures(steps: list[dict], cfg, peak: float) -> dict:
    """Totals of one phase (the prefill step, or every decode step) against the HBM roofline
    (HBM bytes read and written / peak bytes per core cycle) and the PE array (useful MACs /
    (PEs x cycles)); cycles_by_unit from UNIT_CYCLES (adds up to cycles)."""
    tokens = sum(f["m"] for f in steps)
    cycles = sum(f["cycles"] for f in steps)
    hrd = sum(sum(f["rd"][1:]) for f in steps)
    hwr = sum(sum(f["wr"][1:]) for f in steps)
    roof = (hrd + hwr) / peak
    macs = sum(f["macs"] for f in steps)
    units = {u: sum(f["units"][u] for f in steps) for u in UNITS}
    return {"steps": len(steps), "tokens": tokens, "cycles": cycles,
            "cycles_per_token": cycles / max(tokens, 1),
            "hbm_read_bytes": hrd, "hbm_write_bytes": hwr,
            "ddr_read_bytes": sum(f["rd"][0] for f in steps),
            "ddr_write_bytes": sum(f["wr"][0] for f in steps),
            "roofline_cycles": roof, "hbm_efficiency": roof / max(cycles, 1),
            "macs": macs, "pe_utilisation": macs / (cfg.kdim * cfg.ncol * max(cycles, 1)),
            "pe_cycles": sum(f["pe_cycles"] for f in steps),
            "cycles_by_unit": units,
            "kv_hbm_words": sum(f["hbm_words"] for f in steps),
            "kv_buf_words": sum(f["buf_words"] for f in steps),
            "kv_load_cycles": sum(f["kv_cycles"] for f in steps)}


def prefill_steps(a: dict) -> int:
    """Steps of the run that are a prefill: 1, or 0 from a checkpoint (decode steps only)."""
    return 0 if a["context"] else 1


def summary(a, cfg, tb, fc, figs, bad, times) -> dict:
    """The machine-readable report (sim_build/report.json of `make sim`, docs/results.md)."""
    hbm_beat = cfg.DATA_W // (16 if cfg.HBM_ASYNC else 8)
    peak = cfg.NUM_HBM * hbm_beat * tb.hbm_ratio
    n_pf = prefill_steps(a)
    phases = {"prefill": phase_figures(figs[:n_pf], cfg, peak)} if n_pf else {}
    if figs[n_pf:]:
        phases["decode"] = phase_figures(figs[n_pf:], cfg, peak)
    tot = sum(f["cycles"] for f in figs)
    return {"result": "FAIL" if bad else "PASS", "failures": bad,
            "sim": os.environ.get("SIM", "verilator"), "preset": a["preset"],
            "mode": a["mode"], "variant": a["variant"], "mapping": a["mapping"],
            "buffer": a["buffer"], "seed": a["seed"], "context": a["context"],
            "hbm_model": os.environ.get("TOP_HBM_MODEL", "ram"),
            "hbm_clock_ratio": tb.hbm_ratio, "hbm_clock_ratio_measured": tb.hbm_ratio_measured,
            "peak_hbm_bytes_per_cycle": peak,
            "peak": f"{cfg.NUM_HBM} HBM ports x {hbm_beat} B per HBM beat x "
                    f"{tb.hbm_ratio:g} HBM cycles per core cycle",
            "pes": cfg.kdim * cfg.ncol, **phases,
            "kv_storage_saved": fc["storage"]["saved"],
            "sim_seconds": times["run"], "core_cycles": tot,
            "core_cycles_per_second": tot / max(times["rtl"], 1e-9)}


def report(a, cfg, lcfg, gen, figs, fc, times, rep: dict) -> list[str]:
    bb = cfg.beat_bytes
    kp = cfg.KV_PORTS
    params = lcfg.n_params() if hasattr(lcfg, "n_params") else None
    lines = [f"SkipOPU make sim: {a['preset']} preset ({lcfg.layers} layers, d {lcfg.d}, "
             f"{lcfg.heads}/{lcfg.kv_heads} heads, hd {lcfg.head_dim}, ffn {lcfg.ffn}, vocab "
             f"{lcfg.vocab}{f', {params / 1e6:.2f} M params' if params else ''}, seed "
             f"{a['seed']})",
             f"mode {a['mode']} ({a['variant']}), {a['mapping']} mapping, invariance buffer "
             f"{'on' if a['buffer'] else 'off'}, HBM model {rep['hbm_model']}"
             f", {rep['sim']}, core {cfg.DATA_W}-bit, {cfg.kdim} x {cfg.ncol} PEs, "
             f"{cfg.NUM_HBM} HBM ports (KV on {kp})",
             f"HBM clock {rep['hbm_clock_ratio']:g}x the core clock (measured "
             f"{rep['hbm_clock_ratio_measured']:.3f}x): peak {rep['peak_hbm_bytes_per_cycle']:g}"
             f" B per core cycle = {rep['peak']}",
             f"prompt {len(gen.prompt)} tokens {list(map(int, gen.prompt))}" +
             (f"; decode from a checkpoint at context {a['context']} (the prefill and "
              f"{a['context'] - len(gen.prompt)} decode steps on the model, its memories "
              f"loaded by backdoor)" if a["context"] else ""),
             f"generated {len(gen.tokens)}: {gen.tokens} (float64 teacher-forced argmax "
             f"{fc['tokens_float']})",
             "",
             f"{'phase':<12}{'tokens':>7}{'cycles':>10}{'cyc/token':>11}{'HBM rd B':>11}"
             f"{'HBM wr B':>10}{'DDR rd B':>10}{'DDR wr B':>10}{'roofline':>10}{'HBM eff':>9}"
             f"{'PE util':>9}"]

    def row(name, f):
        return (f"{name:<12}{f['tokens']:>7}{f['cycles']:>10}{f['cycles_per_token']:>11.0f}"
                f"{f['hbm_read_bytes']:>11}{f['hbm_write_bytes']:>10}{f['ddr_read_bytes']:>10}"
                f"{f['ddr_write_bytes']:>10}{f['roofline_cycles']:>10.0f}"
                f"{f['hbm_efficiency']:>9.1%}{f['pe_utilisation']:>9.1%}")
    n_pf = prefill_steps(a)
    for i, f in enumerate(figs):
        lines.append(row("prefill" if i < n_pf else f"decode {i - n_pf + 1}",
                         phase_figures([f], cfg, rep["peak_hbm_bytes_per_cycle"])))
    phases = [p for p in ("prefill", "decode") if p in rep]
    if "decode" in rep:
        lines.append(row("decode all", rep["decode"]))
    lines.append("")
    lines.append(f"{'cycles by unit':<15}" + "".join(f"{u:>10}" for u in UNITS))
    for p in phases:
        u = rep[p]["cycles_by_unit"]
        lines.append(f"{p:<15}" + "".join(f"{u[k] / rep[p]['cycles']:>10.1%}" for k in UNITS))
    if "decode" in rep:
        d = rep["decode"]
        lines.append(f"decode HBM efficiency: {d['hbm_efficiency']:.1%} (roofline "
                     f"{d['roofline_cycles'] / d['tokens']:.0f} of {d['cycles_per_token']:.0f} "
                     f"cycles per token; HBM bytes / {rep['peak_hbm_bytes_per_cycle']:g} B per "
                     f"core cycle)")
    pf = rep.get("prefill")
    if pf:
        lines.append(f"prefill PE utilisation: {pf['pe_utilisation']:.1%} ({pf['macs']} useful "
                     f"MACs / ({rep['pes']} PEs x {pf['cycles']} cycles); MATMUL-active "
                     f"{pf['pe_cycles'] / max(pf['cycles'], 1):.1%} of the cycles)")
    dec = figs[n_pf:]
    st = fc["storage"]
    kvc = sum(f["kv_cycles"] for f in dec)
    hw = sum(f["hbm_words"] for f in dec)
    bw = sum(f["buf_words"] for f in dec)
    lines += ["",
              f"KV: entries written {st['entries']} of {lcfg.layers * (len(gen.prompt) + len(gen.tokens) - 1)}"
              f" dense -> storage saved {st['saved']:.1%} ({st['bytes']} of {st['dense_bytes']} B);"
              f" decode reads: HBM {hw} words, invariance buffer {bw} words, kept "
              f"{sum(f['keep_words'] for f in dec)}, rounds {sum(f['rounds'] for f in dec)}"]
    if kvc:
        lines.append(f"KV read efficiency during KVLD: physical {hw / (kvc * kp):.1%}, aggregate "
                     f"with the buffer {(hw + bw) / (kvc * kp):.1%} (of {kp} ports x {bb} B "
                     f"per core cycle, {kvc} KVLD cycles)")
    sa, sm = fc["skip_attn"], fc["skip_mlp"]
    lines.append(f"skip ratios (all {len(gen.prompt) + len(gen.tokens) - 1} tokens): attention "
                 f"{np.mean(sa[1:]) if len(sa) > 1 else 0:.1%} over layers >= 1 "
                 f"[{' '.join(f'{x:.0%}' for x in sa)}], MLP {np.mean(sm):.1%} "
                 f"[{' '.join(f'{x:.0%}' for x in sm)}]")
    lines.append(f"checks: bit-exact vs model/core after each of {len(figs)} steps (every "
                 f"memory page, counters{', trace of every layer' if a['trace'] else ''})")
    ties = f", near ties at {fc['near_ties']}" if fc["near_ties"] else ""
    lines.append(f"float64: hidden rel. err {fc['hidden_err']:.2e} (worst row "
                 f"{fc['hidden_row_err']:.2e}), KV entries {fc.get('kv_entries', 0)} worst "
                 f"{fc.get('kv_err', 0):.2e}, routing agreement attn {fc['routing_attn']:.1%} "
                 f"mlp {fc['routing_mlp']:.1%} (free-running {fc.get('routing_free_attn', 1):.1%}"
                 f" / {fc.get('routing_free_mlp', 1):.1%}), tokens {fc['token_match']}/{fc['tokens_clear']}"
                 f" clear{ties}")
    lines.append(f"simulation: run {times['run']:.1f} s (RTL {times['rtl']:.1f} s, model "
                 f"{times['model']:.1f} s, float {times['float']:.1f} s), "
                 f"{rep['core_cycles_per_second'] / 1e3:.1f} k core cycles/s")
    return lines


@cocotb.test(timeout_time=timeout_us(), timeout_unit="us")
async def run_e2e(dut):
    """Prefill + decode of a generated model on the core, bit-exact against model/core per
    step, bounded against float64, with the report."""
    cfg = config_from_env()
    a = e2e_args()
    tb = TB(dut, cfg)
    await tb.reset()
    # the HBM clock the job asks for (TOP_HBM_RATIO, default 2x the core clock), as simulated
    want = float(os.environ.get("TOP_HBM_RATIO", "2")) if cfg.HBM_ASYNC else 1.0
    got = await tb.measure_hbm_ratio()
    assert abs(got - want) < 0.01, f"HBM clock {got:.4f}x the core clock, the job asks {want}x"
    t_start = time.perf_counter()
    preset = getattr(LlamaConfig, a["preset"])
    lcfg = preset(seed=a["seed"], **({"layers": a["layers"]} if a["layers"] else {}))
    weights = make_model(lcfg)
    img = compile_images(weights, cfg, a["mode"], a["mapping"], a["buffer"], a["variant"])
    prompt = prompt_tokens(lcfg, a["prompt"], a["seed"])
    run = Runner(tb, img, tb.log)
    run.load()
    ctx = a["context"]
    # decode from a checkpoint at context ctx (docs/verification.md "Decode from a
    # checkpoint"): the prefill and the first ctx - prompt decode steps run on the model only,
    # its memories are loaded into the RTL's by backdoor, and the core decodes `gen` tokens
    if ctx and ctx < len(prompt):
        raise ValueError(f"context {ctx} < prompt {len(prompt)}")
    skip = 1 + ctx - len(prompt) if ctx else 0
    loop = GenLoop(img, prompt, skip + a["gen"], a["trace"])
    figs = []
    t_ck = time.perf_counter()
    ck_written = 0                               # HBM (KV) bytes the model's steps wrote
    while loop.step < skip:
        exp = run.model_step(loop.prog, "checkpoint")
        ck_written += sum(exp.wr_bytes[1:])
        loop.finish(tb.model_mems[0], exp)
        if loop.step == skip or loop.step % 64 == 0:
            tb.log.info("[checkpoint] model at context %d of %d (%.0f s)", loop.pos, ctx,
                        time.perf_counter() - t_ck)
    if skip:
        n = run.backdoor()
        tb.log.info("[checkpoint] context %d: %d bytes of DDR and HBM pages loaded by backdoor",
                    loop.pos, n)
    while not loop.done:
        if skip:
            label = f"decode {loop.step - skip + 1}/{a['gen']} at {loop.pos}"
        else:
            label = "prefill" if loop.step == 0 else f"decode {loop.step}/{a['gen'] - 1}"
        fig = await run.run(loop.prog, label)
        st = loop.finish(tb.ddr, fig)
        figs.append(fig)
        tb.log.info("[%s] %d tokens in %d cycles (%.0f cycles/token): next token %d", label,
                    fig["m"], fig["cycles"], fig["cycles"] / fig["m"], st.token)
    t0 = time.perf_counter()
    fc = float_check(img, loop.gen, run.rtl_mems)
    t_float = time.perf_counter() - t0
    kv_written = ck_written + sum(sum(f["wr"][1:]) for f in figs)
    bad = problems(fc, len(loop.gen.tokens), kv_written)
    times = {"run": time.perf_counter() - t_start, "rtl": run.rtl_s, "model": run.model_s,
             "float": t_float}
    rep = summary(a, cfg, tb, fc, figs, bad, times)
    lines = report(a, cfg, lcfg, loop.gen, figs, fc, times, rep)
    lines += [f"  FAIL: {b}" for b in bad]
    lines.append(f"RESULT: {rep['result']}")
    text = "\n".join(lines)
    for ln in lines:
        tb.log.info("%s", ln)
    path = os.environ.get("SKIPOPU_REPORT")
    if path:
        with open(path, "w") as fh:
            fh.write(text + "\n")
    path = os.environ.get("SKIPOPU_REPORT_JSON")
    if path:                       # report.json: the summary, and the raw figures per step
        rep.update({"args": a, "core": cfg.params(), "model": {
            "layers": lcfg.layers, "d": lcfg.d, "heads": lcfg.heads, "kv_heads": lcfg.kv_heads,
            "head_dim": lcfg.head_dim, "ffn": lcfg.ffn, "vocab": lcfg.vocab},
            "tokens": loop.gen.tokens, "prompt": list(map(int, loop.gen.prompt)),
            "steps": [{k: v for k, v in f.items() if k != "model"} for f in figs],
            "float": {k: v for k, v in fc.items()}, "times": times})
        with open(path, "w") as fh:
            json.dump(rep, fh, indent=1, default=str)
    assert not bad, "; ".join(bad)
