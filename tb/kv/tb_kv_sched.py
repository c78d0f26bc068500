"""cocotb test of skipopu_kv_sched against model/kv.py: KvScheduler, descriptor for descriptor
(round, token, buffer/HBM, port, keep, source layer, entry index, buffer slot) on random
routing-mask sequences, with and without the buffer, small capacities (overflow, slot reuse
through the free list), the interleaved mapping and output backpressure."""

from __future__ import annotations

import json
import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

from model import kv as K
from testparams import env_int, seed_of


class TB:
    def __init__(self, dut, p: dict):
        self.dut = dut
        self.p = p
        cocotb.start_soon(Clock(dut.clk_i, 10, "ns").start())
        self.stall = 0.0

    async def reset(self):
        d = self.dut
        d.rst_ni.value = 0
        d.step_start_i.value = 0
        d.cmd_valid_i.value = 0
        d.out_ready_i.value = 1
        await ClockCycles(d.clk_i, 3)
        d.rst_ni.value = 1
        await ClockCycles(d.clk_i, 2)

    async def drive_ready(self, rng: random.Random):
        while True:
            await FallingEdge(self.dut.clk_i)
            self.dut.out_ready_i.value = int(rng.random() >= self.stall)

    async def step(self, e: np.ndarray, cur: np.ndarray, buf_en: bool, inter: bool) -> list:
        """One decode step over all layers; returns per attended layer the descriptors."""
        d = self.dut
        n_l, n_t = e.shape
        await FallingEdge(d.clk_i)
        d.step_start_i.value = 1
        await FallingEdge(d.clk_i)
        d.step_start_i.value = 0
        layers = []
        for l in range(n_l):
            await FallingEdge(d.clk_i)
            while not d.cmd_ready_o.value:
                await FallingEdge(d.clk_i)
            d.cmd_tokens_i.value = n_t
            d.cmd_exec_i.value = int("".join("1" if b else "0" for b in e[l][::-1]), 2)
            nxt = e[l + 1] if l + 1 < n_l else np.zeros(n_t, dtype=bool)
            d.cmd_exec_next_i.value = int("".join("1" if b else "0" for b in nxt[::-1]), 2)
            d.cmd_has_next_i.value = int(l + 1 < n_l)
            d.cmd_attend_i.value = int(cur[l])
            d.cmd_buf_en_i.value = int(buf_en)
            d.cmd_layer_i.value = l
            d.cmd_interleaved_i.value = int(inter)
            d.cmd_valid_i.value = 1
            await FallingEdge(d.clk_i)
            d.cmd_valid_i.value = 0
            got = []
            case1 = None
            while True:
                await RisingEdge(d.clk_i)
                if os.environ.get("KV_DEBUG"):
                    d._log.info("l=%d st=%s ph=%s t=%s bqv=%s hqv=%s ov=%s rdy=%s case1=%s valid=%s held=%s",
                                l, d.state_q.value, d.phase_q.value, d.t_q.value, d.bq_valid.value,
                                d.hq_valid.value, d.out_valid_o.value, d.out_ready_i.value,
                                d.case1_q.value, d.valid_q.value, d.held_q.value)
                if d.out_valid_o.value and d.out_ready_i.value:
                    got.append((int(d.out_round_o.value), int(d.out_token_o.value),
                                "buf" if d.out_buf_o.value else "hbm",
                                int(d.out_port_o.value), bool(d.out_keep_o.value),
                                int(d.out_layer_o.value),
                                0 if d.out_buf_o.value else int(d.out_hslot_o.value),
                                int(d.out_slot_o.value)))
                    case1 = int(d.out_case1_o.value)
                if d.cmd_ready_o.value and not d.cmd_valid_i.value:
                    break
            if cur[l]:
                layers.append((got, case1))
            else:
                assert not got, f"layer {l}: descriptors although attention is skipped"
        return layers


# cocotb timeout (simulated us): KV_STEPS decode steps of scheduled rounds (12 took 136 us)
TIMEOUT_US = max(2000, 200 * env_int("KV_STEPS", 12))


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def test_kv_sched(dut):
    p = json.loads(os.environ["KV_PARAMS"])
    tb = TB(dut, p)
    rng = random.Random(seed_of("kv_sched"))
    nprng = np.random.default_rng(seed_of("kv_sched"))
    await tb.reset()
    cocotb.start_soon(tb.drive_ready(rng))
    maps = {m: K.KvMap(ports=p["NUM_PORTS"], entry_bytes=1024, max_tokens=p["MAX_TOKENS"],
                       layers=64, mapping=m) for m in ("token", "interleaved")}
    steps = int(os.environ.get("KV_STEPS", "12"))
    counts = {"layers": 0, "case1": 0, "desc": 0, "overflow_layers": 0, "interleaved": 0,
              "freelist_allocs": 0}
    for s in range(steps):
        tb.stall = rng.choice([0.0, 0.0, 0.3, 0.7])
        n_t = rng.choice([1, 2, p["MAX_TOKENS"], rng.randint(1, p["MAX_TOKENS"])])
        n_l = rng.randint(2, 8)
        skip = rng.choice([0.1, 0.25, 0.5, 0.9])
        e = nprng.random((n_l, n_t)) >= skip
        e[0] = True
        cur = nprng.random(n_l) >= rng.choice([0.0, 0.25, 0.5])
        buf_en = rng.random() < 0.8
        inter = rng.random() < 0.15
        buf = K.BufferConfig(capacity=p["CAPACITY"], read_ports=p["BUF_RD"],
                             write_ports=p["BUF_WR"], enabled=buf_en)
        want = K.KvScheduler(maps["interleaved" if inter else "token"], buf).schedule(e, cur)
        got = await tb.step(e, cur, buf_en, inter)
        used_slots: set = set()
        counts["interleaved"] += inter
        assert len(got) == len(want), f"step {s}: {len(got)} attended layers, model {len(want)}"
        for (g, case1), w in zip(got, want):
            exp = [(ri, f.token, f.source, f.port, f.keep, f.layer,
                    f.hslot if f.source == "hbm" else 0, max(f.slot, 0))
                   for ri, r in enumerate(w.rounds) for f in r]
            if g != exp:
                i = next((i for i in range(min(len(g), len(exp))) if g[i] != exp[i]),
                         min(len(g), len(exp)))
                raise AssertionError(
                    f"step {s} layer {w.layer} (case {w.case}, {n_t} tokens): descriptor {i} "
                    f"rtl {g[i] if i < len(g) else None} model {exp[i] if i < len(exp) else None}")
            assert case1 == (w.case == 1)
            counts["layers"] += 1
            counts["case1"] += w.case == 1
            counts["desc"] += len(g)
            reused_next = 0 if w.layer + 1 >= n_l else int((~e[w.layer + 1]).sum())
            counts["overflow_layers"] += buf_en and reused_next > p["CAPACITY"]
            # keeps into a slot used before in this buffer lifetime came from the free list
            if w.case == 2:
                used_slots = set()
            for r in w.rounds:
                for f in r:
                    if f.keep:
                        counts["freelist_allocs"] += f.slot in used_slots
                        used_slots.add(f.slot)
    dut._log.info("matched the model: %s", counts)
    if steps >= 20:     # the stimulus must reach both cases and, when it can, the overflow
        assert counts["case1"] and counts["layers"] > counts["case1"], counts
        if p["CAPACITY"] < p["MAX_TOKENS"] // 2:
            assert counts["overflow_layers"] and counts["freelist_allocs"], counts
