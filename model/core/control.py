"""Control and sequencing (rtl/skipopu_ctrl.sv): program checks, fetch, the legality check of
every instruction, the configuration registers, CNT-driven dynamic lengths, the WFETCH queue of
the weight access unit, dispatch to the unit of the opcode and retirement; the run stops at END
or at the first error."""

from __future__ import annotations

from collections import deque

from model.core.base import RunResult, UnitBase
from model.isa import (CONFIG_OPS, EXEC_UNIT, FLAG_DYN, FLAG_MASKED, INSN_BYTES, Err, Insn, Op,
                       Regs, config_after)

# instructions whose row count is CNT with the dyn flag, checked against a bound before issue
# (DYN_LEN) and skipped when CNT = 0 (docs/isa.md "Dynamic execution")
DYN_OPS = (Op.MATMUL, Op.SWIGLU, Op.ROPE)


def dyn_bound(insn: Insn) -> int:
    """The static bound of a dyn MATMUL/SWIGLU/ROPE's CNT (SWIGLU: f2[15:0] rows)."""
    return insn.f2 & 0xFFFF if insn.op == Op.SWIGLU else insn.len


class Control(UnitBase):

    def _start(self) -> RunResult:
        np_ = self.cfg.NUM_HBM + 1
        res = RunResult(Err.NONE, 0, 0, [0] * np_, [0] * np_)
        self.regs = Regs()                    # configuration registers: cleared at every start
        self.cnt = 0                          # and CNT (executing rows of the last ROUTE)
        self.wq = deque()                     # and the WFETCH queue: (base, chunks) in order
        self._kv_start(res)
        return res

    def run(self, prog_base: int, prog_len: int) -> RunResult:
        cfg = self.cfg
        bb = cfg.beat_bytes
        res = self._start()
        if (prog_len == 0 or prog_base % bb or prog_base >> cfg.ADDR_W
                or prog_base + prog_len * INSN_BYTES > (1 << cfg.ADDR_W)):
            res.err = Err.BAD_PROG
            return res
        ddr = self.mems[0]
        for pc in range(prog_len):
            addr = prog_base + pc * INSN_BYTES
            if self._beat_err("insn", "r", addr - addr % bb):
                res.err, res.err_pc = Err.FETCH_AXI, pc
                return res
            insn = Insn.from_bytes(ddr.read(addr, INSN_BYTES))
            err = self.regs.check(insn, cfg)
            if err == Err.NONE:
                res.trace.append(f"{pc:5d}: {insn}")
                if insn.op == Op.END:
                    if self.wq:               # streams queued that nobody consumes
                        res.err, res.err_pc = Err.WFETCH, pc
                        return res
                    res.retired += 1
                    return res
                err = self.execute(insn, res, pc)
            if err != Err.NONE:
                res.err, res.err_pc = err, pc
                return res
            res.retired += 1
        res.err, res.err_pc = Err.PROG_OVERRUN, prog_len
        return res

    def execute(self, insn: Insn, res: RunResult, pc: int) -> Err:
        """One legal instruction (not END): configuration registers here, the rest on the unit
        of its opcode (``exec_<unit>``); returns NONE or a run-time error."""
        op = insn.op
        if op == Op.NOP:
            return Err.NONE
        if op in CONFIG_OPS:
            self.regs = config_after(insn, self.regs)
            if op == Op.KVCFG:
                self._kvcfg_applied()
            return Err.NONE
        if op in DYN_OPS and insn.flags & FLAG_DYN:
            if self.cnt > dyn_bound(insn):
                return Err.DYN_LEN
            if self.cnt == 0:                 # nothing at all, no memory traffic
                return Err.NONE
        return getattr(self, "exec_" + EXEC_UNIT[Op(op)])(insn, res, pc)

    def exec_ctrl(self, insn: Insn, res: RunResult, pc: int) -> Err:
        """WFETCH: the descriptor {base, chunks} joins the queue (the weight access unit starts
        streaming it), unless MASKED and no bit < n of the mask word is set; WFETCH error when
        the queue already holds WFETCH_DEPTH descriptors (docs/isa.md "WFETCH")."""
        assert insn.op == Op.WFETCH, insn
        if insn.flags & FLAG_MASKED:
            n = insn.f0 >> 16
            mask = self._gword(insn.f0 & 0xFFFF, pc, "WFETCH mask")
            if not mask & ((1 << n) - 1):
                return Err.NONE
        if len(self.wq) >= self.cfg.WFETCH_DEPTH:
            return Err.WFETCH
        self.wq.append((insn.mem_addr, insn.len))
        return Err.NONE
