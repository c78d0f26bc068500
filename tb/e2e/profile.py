"""Where the HBM read cycles of a run go (E2E_PROFILE=1 on the e2e job: `make sim
SIM_ARGS=... ` with E2E_PROFILE=1 in the environment; Verilator only).

Every core cycle of a run the profiler samples the probes of tb/simrun.py PROBES: the unit the
cycle is charged to (skipopu_ctrl cyc_unit, the UNIT_CYCLES classes), the R handshakes on the
core side of every HBM port (skipopu_hbm_rd_mux: one core word per port per cycle at most, the
port's peak at the 2x HBM clock), how many of them were KV reads, whether the weight stream had
a descriptor queued (skipopu_wstream desc_count_o: pushed and not yet consumed, so "queued"
includes a stream already fetched whole and waiting for its MATMUL).
At the end it logs, per unit class: cycles, HBM read words delivered, the lost port-cycles (no
R beat), and how many of those fell while no weight stream was queued (the stream had nothing
to fetch: a dependency, e.g. a router decision) versus while one was (latency, refresh, lane
space). It costs about 10 signal reads per core cycle; a diagnostic, not part of the
regression's figures.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import RisingEdge

from model.isa_defs import CYCLE_UNITS


class StreamProfile:
    def __init__(self, dut, ports: int):
        self.dut, self.ports = dut, ports
        top = dut.u_dut
        self.unit = top.u_ctrl.cyc_unit
        mux = top.u_hbm_rd_mux
        self.rv, self.rr = mux.m_axi_rvalid, mux.m_axi_rready
        self.kv, self.kr = mux.s_kv_rvalid, mux.s_kv_rready
        self.dc = top.u_wstream.desc_count_o
        self.cv, self.cr = top.u_wstream.chunk_valid_o, top.u_wstream.chunk_ready_i
        n = len(CYCLE_UNITS)
        # per unit: cycles, words, kv words, lost port-cycles with / without a queued stream
        self.cyc, self.words, self.kvw = [0] * n, [0] * n, [0] * n
        self.lost_q, self.lost_nq = [0] * n, [0] * n
        self.running = False

    def start(self):
        self.running = True
        self._task = cocotb.start_soon(self._run())

    def stop(self):
        self.running = False

    async def _run(self):
        clk = self.dut.clk_i
        full = (1 << self.ports) - 1
        pc = [bin(i).count("1") for i in range(1 << max(self.ports, 1))]
        while self.running:
            await RisingEdge(clk)
            u = int(self.unit.value)
            hs = int(self.rv.value) & int(self.rr.value) & full
            k = pc[int(self.kv.value) & int(self.kr.value) & full]
            b = pc[hs]
            self.cyc[u] += 1
            self.words[u] += b
            self.kvw[u] += k
            if b < self.ports:
                if int(self.dc.value):
                    self.lost_q[u] += self.ports - b
                else:
                    self.lost_nq[u] += self.ports - b

    def lines(self, label: str) -> list[str]:
        tot = sum(self.cyc) or 1
        out = [f"[profile {label}] {tot} cycles, {sum(self.words)} HBM read words "
               f"({sum(self.words) / (tot * self.ports):.1%} of {self.ports} words/cycle), "
               f"lost port-cycles: {sum(self.lost_nq)} with no weight stream queued, "
               f"{sum(self.lost_q)} with one queued",
               f"  {'unit':10} {'cycles':>8} {'words':>8} {'kv words':>8} {'lost:none':>10} "
               f"{'lost:queued':>11}"]
        for i, name in enumerate(CYCLE_UNITS):
            if self.cyc[i]:
                out.append(f"  {name:10} {self.cyc[i]:8d} {self.words[i]:8d} {self.kvw[i]:8d} "
                           f"{self.lost_nq[i]:10d} {self.lost_q[i]:11d}")
        return out
