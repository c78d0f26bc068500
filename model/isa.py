"""SkipOPU instruction set: encoding, decoding, legality check, assembler and disassembler.

The numbers (opcodes, flag bits, error codes, CSR addresses, the instruction format) come from
the one table ``model/isa.toml`` through the generated ``model/isa_defs.py``; the checks mirror
``rtl/skipopu_decode.sv``; the ISA is documented in ``docs/isa.md``. An instruction is 128 bits,
stored little-endian (16 bytes):

    [7:0] opcode  [11:8] port  [15:12] flags  [31:16] len  [63:32] f0  [95:64] f1  [127:96] f2
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from model.isa_defs import (  # noqa: F401  (re-exported: the generated constants)
    CSR_ACCESS, CSR_BYTES_STRIDE, CSR_FIELDS, CSR_UNIT_CYCLES_STRIDE, CYCLE_UNIT_OF, CYCLE_UNITS,
    EXEC_UNIT, FLAG_ALL, FLAG_ATTEND, FLAG_CAUSAL, FLAG_COMPACT, FLAG_DYN, FLAG_FORCE, FLAG_INT4,
    FLAG_INTERLEAVED, FLAG_KVBUF, FLAG_MASK, FLAG_MASKED, FLAG_NOFEAT, FLAG_NOHIST, FLAG_NORM,
    FLAG_PF, FLAG_PUT, FLAG_STATS, ID_VALUE, INSN_BITS, INSN_FIELDS, ISA_VERSION, KNOWN_FLAGS,
    VERSION_VALUE, Csr, Err, Op)
from model.stripe import PC_BYTES, Stripe

INSN_BYTES = INSN_BITS // 8
PORT_FIELD_MAX = (1 << dict((n, b) for n, _, b in INSN_FIELDS)["port"]) - 1   # 15

NPE_OPS = (Op.RMSSQ, Op.RMSNORM, Op.SWIGLU, Op.ROPE)
# instructions that only write configuration registers (docs/isa.md)
CONFIG_OPS = (Op.MMCFG, Op.NPECFG, Op.MMNORM, Op.KVCFG, Op.ATTCFG)


@dataclass(frozen=True)
class CoreConfig:
    """The hardware parameters that change what is legal (same names as skipopu_top)."""
    NUM_HBM: int = 4
    DATA_W: int = 256
    ADDR_W: int = 34
    GBUF_DEPTH: int = 4096
    MAX_BURST: int = 16
    ID_W: int = 4
    RD_FIFO_DEPTH: int = 64
    WR_OUTSTANDING: int = 8
    MMAX: int = 64
    NPE_ROWS: int = 256
    HBM_ASYNC: int = 1          # HBM ports on their own clock at DATA_W/2 (docs/memory-map.md)
    # KV cache and attention (docs/isa.md, docs/kv.md)
    KV_PORTS: int = 0           # HBM ports holding the KV cache (0: the largest power of 2
                                # <= NUM_HBM); KV port p = HBM port p, region in its PC
    KV_TOKENS: int = 64         # KV staging buffer entries (tokens of one attention)
    KV_ENTRY_MAX: int = 16      # words per KV entry at most
    KV_BUF_CAP: int = 64        # invariance buffer entries
    KV_BUF_RD: int = 2          # invariance buffer read ports
    KV_BUF_WR: int = 2          # invariance buffer write ports
    SMAX_ROWS: int = 256        # softmax feature rows
    # PE array and weight stream (docs/isa.md "MATMUL", docs/weights.md)
    NCOL: int = 32              # PE-array columns: DATA_W/16 times 1, 2 or 4 (KDIM = DATA_W/16)
    WFETCH_DEPTH: int = 8       # WFETCH queue entries (descriptors queued, not yet consumed)
    MM_SCALE_ROWS: int = 64     # INT4 groups per column tile the MATMUL engine holds (K/group)

    def __post_init__(self):
        """The supported combinations; rtl/skipopu_param_check.sv stops a simulation of the
        core on the same ones with the same messages (tb/test_params.py)."""
        problems = []
        if self.KV_PORTS == 0 and 1 <= self.NUM_HBM <= 32:
            object.__setattr__(self, "KV_PORTS", 1 << (self.NUM_HBM.bit_length() - 1))

        def pow2(v):
            return v >= 1 and not v & (v - 1)

        if not 1 <= self.NUM_HBM <= 32:
            problems.append(f"NUM_HBM={self.NUM_HBM} not in 1..32")
        if self.DATA_W not in (128, 256, 512, 1024):
            problems.append(f"DATA_W={self.DATA_W} not 128, 256, 512 or 1024")
        if not 16 <= self.ADDR_W <= 63:
            problems.append(f"ADDR_W={self.ADDR_W} not in 16..63")
        if not 1 <= self.ID_W <= 16:
            problems.append(f"ID_W={self.ID_W} not in 1..16")
        for name in ("GBUF_DEPTH", "MAX_BURST", "RD_FIFO_DEPTH"):
            v = getattr(self, name)
            if v < 2 or not pow2(v):
                problems.append(f"{name}={v} is not a power of 2 >= 2")
        if not pow2(self.WR_OUTSTANDING) or self.WR_OUTSTANDING > 256:
            problems.append(f"WR_OUTSTANDING={self.WR_OUTSTANDING} is not a power of 2 in "
                            "1..256")
        if self.MAX_BURST > 256:
            problems.append(f"MAX_BURST={self.MAX_BURST} > 256")
        if self.RD_FIFO_DEPTH < self.MAX_BURST:
            problems.append("RD_FIFO_DEPTH must be >= MAX_BURST")
        if self.GBUF_DEPTH > 65536:
            problems.append("GBUF_DEPTH must be <= 65536")
        if not pow2(self.NPE_ROWS) or not 2 <= self.NPE_ROWS <= 65536:
            problems.append(f"NPE_ROWS={self.NPE_ROWS} is not a power of 2 in 2..65536")
        if not 1 <= self.MMAX <= 4096:
            problems.append(f"MMAX={self.MMAX} not in 1..4096")
        if self.HBM_ASYNC not in (0, 1):
            problems.append(f"HBM_ASYNC={self.HBM_ASYNC} not 0 or 1")
        if self.HBM_ASYNC and self.MAX_BURST > 128:     # HBM bursts are twice as long
            problems.append("MAX_BURST must be <= 128 with HBM_ASYNC")
        kp, lanes = self.KV_PORTS, self.DATA_W // 16
        if not pow2(kp) or kp > self.NUM_HBM:
            problems.append(f"KV_PORTS={kp} is not a power of 2 in 1..NUM_HBM")
        for name in ("KV_TOKENS", "KV_BUF_CAP", "SMAX_ROWS"):
            v = getattr(self, name)
            if v < 2 or not pow2(v):
                problems.append(f"{name}={v} is not a power of 2 >= 2")
        if not pow2(self.KV_ENTRY_MAX) or not 2 <= self.KV_ENTRY_MAX <= 128:
            problems.append(f"KV_ENTRY_MAX={self.KV_ENTRY_MAX} is not a power of 2 in 2..128")
        if self.KV_TOKENS % lanes or self.KV_TOKENS % max(kp, 1) or \
                self.KV_TOKENS > self.DATA_W:
            problems.append(f"KV_TOKENS={self.KV_TOKENS} must be a multiple of DATA_W/16 and "
                            "of KV_PORTS, and <= DATA_W (one mask word)")
        if not 1 <= self.KV_BUF_RD <= 15 or not 1 <= self.KV_BUF_WR <= 15 or \
                kp + self.KV_BUF_RD > lanes:
            problems.append("KV_BUF_RD, KV_BUF_WR must be in 1..15 and KV_PORTS + KV_BUF_RD <= "
                            "DATA_W/16")
        if self.NCOL not in (lanes, 2 * lanes, 4 * lanes):
            problems.append(f"NCOL={self.NCOL} is not DATA_W/16 times 1, 2 or 4")
        elif 1 <= self.NUM_HBM and (self.NCOL // 4) % self.NUM_HBM:
            problems.append("NCOL/4 (words per chunk) must be a multiple of NUM_HBM")
        if not pow2(self.WFETCH_DEPTH) or not 2 <= self.WFETCH_DEPTH <= 128:
            problems.append(f"WFETCH_DEPTH={self.WFETCH_DEPTH} is not a power of 2 in 2..128")
        if not 1 <= self.MM_SCALE_ROWS <= 255:
            problems.append(f"MM_SCALE_ROWS={self.MM_SCALE_ROWS} not in 1..255")
        if problems:
            raise ValueError("bad core configuration: " + "; ".join(problems))

    @property
    def beat_bytes(self) -> int:
        return self.DATA_W // 8

    @property
    def max_port(self) -> int:
        """The highest memory port a LOAD/STORE can name: NUM_HBM, but at most 15 (the 4-bit
        port field). With NUM_HBM > 15 the HBM ports 15..NUM_HBM-1 are reached only by the
        striped MATMUL/WFETCH streams and the KV unit (KV_PORTS); docs/weights.md
        "Paper-scale parameter set"."""
        return min(self.NUM_HBM, PORT_FIELD_MAX)

    @property
    def kdim(self) -> int:
        """PE-array rows: one global-buffer word of FP16 activations."""
        return self.DATA_W // 16

    @property
    def lanes(self) -> int:
        """FP16 values per global-buffer word."""
        return self.DATA_W // 16

    @property
    def ncol(self) -> int:
        """PE-array columns (a MATMUL column tile: NCOL/LANES output words)."""
        return self.NCOL

    @property
    def chunk_words(self) -> int:
        """Core words of a chunk = one INT4 KDIM x NCOL weight tile (the unit of the operand
        stream, docs/isa.md)."""
        return self.NCOL // 4

    @property
    def chunk_bytes(self) -> int:
        return self.chunk_words * self.beat_bytes

    @property
    def port_chunk_bytes(self) -> int:
        """Bytes every HBM port supplies per chunk."""
        return self.chunk_bytes // self.NUM_HBM

    @property
    def stripe(self) -> Stripe:
        """The striping of MATMUL operand streams over the HBM ports (model/stripe.py)."""
        return Stripe(ports=self.NUM_HBM, word_bytes=self.beat_bytes,
                      chunk_words=self.chunk_words, pc_bytes=PC_BYTES)

    def weight_tile_bytes(self, int4: bool) -> int:
        """One KDIM x NCOL weight tile: 1 chunk (INT4) or 4 chunks (FP16)."""
        return self.kdim * self.ncol * (4 if int4 else 16) // 8

    def scale_chunks(self, k: int, group: int) -> int:
        """Chunks of one column tile's INT4 scale block (K/group rows of NCOL FP16 values)."""
        return -(-4 * (k // group) // self.kdim)

    def mm_chunks(self, k: int, n: int, int4: bool, group: int = 0) -> int:
        """Chunks of a MATMUL's operand stream (docs/isa.md: chunks(K, N, int4, group))."""
        per = self.scale_chunks(k, group) + k // self.kdim if int4 else 4 * (k // self.kdim)
        return (n // self.ncol) * per

    def stream_err(self, base: int, chunks: int) -> "Err":
        """MEM_ALIGN / MEM_RANGE of a striped stream of ``chunks`` chunks at offset ``base`` in
        every HBM port's pseudo-channel (MATMUL, WFETCH)."""
        if base % self.beat_bytes:
            return Err.MEM_ALIGN
        end = base + chunks * self.port_chunk_bytes
        if end > PC_BYTES or (self.NUM_HBM - 1) * PC_BYTES + end > 1 << self.ADDR_W:
            return Err.MEM_RANGE
        return Err.NONE

    def params(self) -> dict:
        """The parameters of skipopu_top."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__
                if k not in MODEL_ONLY_PARAMS}

    def all_params(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


MODEL_ONLY_PARAMS: tuple = ()     # every parameter is one of skipopu_top's

# The paper-scale core (docs/weights.md "Paper-scale parameter set"): the U280's 32 HBM ports and
# a 64 x 128 PE array (KDIM = DATA_W/16 = 64 rows, NCOL = 128 columns), KV on 16 ports (the
# paper's invariance buffer spans 16), entries and INT4 groups for Llama-2-7B (E = 2 x 4096 / 64
# = 128 words; K = 11008 with group 128 = 86 groups), a 2 MB global buffer. It lints and
# elaborates (tb/params/test_params.py); it is too big for the simulation regression.
PAPER_SCALE = CoreConfig(NUM_HBM=32, DATA_W=1024, NCOL=128, KV_PORTS=16, GBUF_DEPTH=16384,
                         KV_ENTRY_MAX=128, MM_SCALE_ROWS=128)


def csr_value(csr: Csr, cfg: CoreConfig) -> int:
    """Contents of a constant CSR (CONFIG, CONFIG2, CONFIG3) for a core configuration, from the
    field table of model/isa.toml."""
    v = 0
    for _, lsb, width, src, enc, scale in CSR_FIELDS[csr]:
        x = ISA_VERSION if src == "ISA_VERSION" else getattr(cfg, src) // scale
        if enc == "log2":
            x = x.bit_length() - 1
        assert 0 <= x < 1 << width, (csr, src, x)
        v |= x << lsb
    return v


@dataclass
class MMState:
    """MATMUL configuration registers, written by MMCFG (all zero after reset). The INT4
    scales are part of the operand stream (docs/isa.md), so there is no scale address."""
    k: int = 0
    n: int = 0
    group: int = 0


@dataclass
class NormState:
    """MMNORM registers (all zero after reset and at every start): the fused normalisation of a
    MATMUL with the norm flag. n = residual rows (mask bits >= n are ignored), x = residual
    base word, w = RMSNorm weight word (D words), stat = statistics base row, mask = mask
    word address."""
    n: int = 0
    x: int = 0
    w: int = 0
    stat: int = 0
    mask: int = 0


@dataclass
class KvState:
    """KVCFG registers (zero after reset and at every start): e = entry words, off = byte
    offset of the KV region in each KV port's pseudo-channel, layers, mapping and buffer."""
    e: int = 0
    off: int = 0
    layers: int = 0
    interleaved: bool = False
    buf: bool = False


@dataclass
class AttState:
    """ATTCFG registers (zero after reset and at every start): nk = keys in the KV staging
    buffer, heads, kv heads, hw = words per head, qs = Q row stride (words), sbase = DDR byte
    address of the score area, causal lane masks."""
    nk: int = 0
    h: int = 0
    kvh: int = 0
    hw: int = 0
    qs: int = 0
    sbase: int = 0
    causal: bool = False


@dataclass
class NpeState:
    """NPECFG registers (all zero after reset and at every start): D = row length in buffer
    words, eps and inv_d FP32 bit patterns, hw = ROPE words per head, snoop = statistics base
    row of LOAD/VADD with the statistics flag."""
    d: int = 0
    eps: int = 0
    inv_d: int = 0
    hw: int = 0
    snoop: int = 0


@dataclass
class Insn:
    op: int
    port: int = 0
    flags: int = 0
    len: int = 0
    f0: int = 0
    f1: int = 0
    f2: int = 0
    comment: str = field(default="", compare=False)

    # -- constructors --------------------------------------------------------------------------
    @classmethod
    def load(cls, port: int, mem_addr: int, gb_addr: int, words: int,
             stats: bool = False) -> "Insn":
        return cls(Op.LOAD, port=port, flags=int(stats), len=words, f0=gb_addr,
                   f1=mem_addr & 0xFFFFFFFF, f2=mem_addr >> 32)

    @classmethod
    def store(cls, port: int, mem_addr: int, gb_addr: int, words: int) -> "Insn":
        return cls(Op.STORE, port=port, len=words, f0=gb_addr,
                   f1=mem_addr & 0xFFFFFFFF, f2=mem_addr >> 32)

    @classmethod
    def vadd(cls, dst: int, src0: int, src1: int, words: int, stats: bool = False) -> "Insn":
        return cls(Op.VADD, flags=int(stats), len=words, f0=dst, f1=src0, f2=src1)

    @classmethod
    def mmcfg(cls, k: int, n: int, group: int = 0) -> "Insn":
        """K, N and the INT4 group size of the following MATMULs (f1 is reserved: the INT4
        scales are in the operand stream)."""
        return cls(Op.MMCFG, len=k, f0=n, f2=group)

    @classmethod
    def matmul(cls, m: int, src: int, dst: int, base: int, int4: bool = False,
               dyn: bool = False, norm: bool = False, pf: bool = False) -> "Insn":
        """Y = X . W with the operand stream (INT4 scale blocks and weight tiles, striped over
        every HBM port) at byte offset ``base`` of every HBM pseudo-channel. dyn: M = CNT at
        run time, ``m`` is the bound the static checks use. norm (implies dyn): X rows
        0..CNT-1 at ``src`` are first produced by the fused RMSNorm of the rows the MMNORM
        registers select. pf: the stream is the WFETCH queue head (docs/isa.md)."""
        flags = int(int4) | (FLAG_DYN if dyn or norm else 0) | (FLAG_NORM if norm else 0) | \
            (FLAG_PF if pf else 0)
        return cls(Op.MATMUL, flags=flags, len=m, f0=(dst << 16) | src,
                   f1=base & 0xFFFFFFFF, f2=base >> 32)

    @classmethod
    def wfetch(cls, base: int, chunks: int, mask: int | None = None, rows: int = 0) -> "Insn":
        """Queue the operand stream {base, chunks} of a later MATMUL with PF; with a mask word
        (``rows`` n): only if one of its bits < n is set (docs/isa.md "WFETCH")."""
        f0 = 0 if mask is None else (rows << 16) | mask
        return cls(Op.WFETCH, flags=0 if mask is None else FLAG_MASKED, len=chunks, f0=f0,
                   f1=base & 0xFFFFFFFF, f2=base >> 32)

    @classmethod
    def mmnorm(cls, n: int, x: int, weight: int, stat: int, mask: int) -> "Insn":
        """MMNORM registers for the next MATMULs with the norm flag: the residual rows
        x..x+n*D (D = NPECFG), the mask word selecting the executing rows among the first n,
        the RMSNorm weight (D words) and the statistics base row."""
        return cls(Op.MMNORM, len=n, f0=(weight << 16) | x, f1=(stat << 16) | mask)

    # -- KV and attention (docs/isa.md) -------------------------------------------------------
    @classmethod
    def kvcfg(cls, e: int, off: int, layers: int, interleaved: bool = False,
              buf: bool = False) -> "Insn":
        return cls(Op.KVCFG, flags=(FLAG_INTERLEAVED if interleaved else 0)
                   | (FLAG_KVBUF if buf else 0), len=e, f0=off, f1=layers)

    @classmethod
    def kvst(cls, n: int, src: int, layer: int, mask: int = 0, hist: int = 0, pos0: int = 0,
             stride: int = 0, put: bool = False, all_rows: bool = False,
             nohist: bool = False) -> "Insn":
        """Mask-driven KV store of the writers among n rows (entry j at src + j*stride)."""
        flags = (FLAG_PUT if put else 0) | (FLAG_ALL if all_rows else 0) | \
            (FLAG_NOHIST if nohist else 0)
        return cls(Op.KVST, flags=flags, len=n, f0=(mask << 16) | src,
                   f1=(stride << 24) | (layer << 16) | hist, f2=pos0)

    @classmethod
    def kvld(cls, t: int, exec_word: int, next_word: int, layer: int, attend: bool = True,
             dyn: bool = False) -> "Insn":
        """One layer of a decode step's KV reads (T preceding tokens) into the staging
        buffer; dyn: attend = (CNT != 0)."""
        flags = FLAG_DYN if dyn else (FLAG_ATTEND if attend else 0)
        return cls(Op.KVLD, flags=flags, len=t, f0=(next_word << 16) | exec_word, f1=layer)

    @classmethod
    def kvrd(cls, n: int, dst: int, a0: int = 0) -> "Insn":
        return cls(Op.KVRD, len=n, f0=dst, f1=a0)

    @classmethod
    def attcfg(cls, nk: int, h: int, kvh: int, hw: int, qs: int, sbase: int,
               causal: bool = False) -> "Insn":
        return cls(Op.ATTCFG, flags=FLAG_CAUSAL if causal else 0, len=nk, f0=sbase,
                   f1=(qs << 24) | (hw << 16) | (kvh << 8) | h)

    @classmethod
    def qk(cls, mq: int, q: int, fbase: int = 0, mask: int = 0, j0: int = 0, g0: int = 0,
           ng: int = 0, dyn: bool = False, nofeat: bool = False) -> "Insn":
        flags = (FLAG_DYN if dyn else 0) | (FLAG_NOFEAT if nofeat else 0)
        return cls(Op.QK, flags=flags, len=mq, f0=(mask << 16) | q,
                   f1=(ng << 24) | (g0 << 16) | fbase, f2=j0)

    @classmethod
    def smnorm(cls, mq: int, dst: int, fbase: int = 0, mask: int = 0, j0: int = 0, g0: int = 0,
               ng: int = 0, dyn: bool = False) -> "Insn":
        return cls(Op.SMNORM, flags=FLAG_DYN if dyn else 0, len=mq, f0=(mask << 16) | dst,
                   f1=(ng << 24) | (g0 << 16) | fbase, f2=j0)

    @classmethod
    def smfeat(cls, mq: int, fbase: int = 0, mask: int = 0, j0: int = 0, g0: int = 0,
               ng: int = 0, dyn: bool = False) -> "Insn":
        return cls(Op.SMFEAT, flags=FLAG_DYN if dyn else 0, len=mq, f0=mask << 16,
                   f1=(ng << 24) | (g0 << 16) | fbase, f2=j0)

    @classmethod
    def pv(cls, mq: int, p: int, o: int, os_: int, j0: int = 0, g0: int = 0, ng: int = 0,
           dyn: bool = False) -> "Insn":
        return cls(Op.PV, flags=FLAG_DYN if dyn else 0, len=mq, f0=(o << 16) | p,
                   f1=(ng << 24) | (g0 << 16) | os_, f2=j0)

    @classmethod
    def argmax(cls, n: int, dst: int, src: int) -> "Insn":
        return cls(Op.ARGMAX, len=n, f0=(dst << 16) | src)

    @classmethod
    def npecfg(cls, d: int, eps: int, inv_d: int, hw: int = 0, snoop_base: int = 0) -> "Insn":
        return cls(Op.NPECFG, len=d, f0=eps, f1=inv_d, f2=(snoop_base << 16) | hw)

    @classmethod
    def rmssq(cls, m: int, src: int, stat: int) -> "Insn":
        return cls(Op.RMSSQ, len=m, f0=src, f1=stat)

    @classmethod
    def rmsnorm(cls, m: int, dst: int, src: int, weight: int, stat: int,
                mask: int | None = None, compact: bool = False) -> "Insn":
        """compact (needs a mask; without one check() says RESERVED): the j-th selected row
        goes to dst row j."""
        return cls(Op.RMSNORM, flags=int(mask is not None) | (FLAG_COMPACT if compact else 0),
                   len=m, f0=(dst << 16) | src, f1=(stat << 16) | weight, f2=mask or 0)

    @classmethod
    def swiglu(cls, n: int, dst: int, src: int, dyn_rows: int | None = None) -> "Insn":
        """Static: ``n`` words. dyn_rows = Mmax: ``n`` = words per row R, CNT*R words run."""
        if dyn_rows is None:
            return cls(Op.SWIGLU, len=n, f0=dst, f1=src)
        return cls(Op.SWIGLU, flags=FLAG_DYN, len=n, f0=dst, f1=src, f2=dyn_rows)

    @classmethod
    def route(cls, m: int, dst: int, src: int, bias: int, pair: int,
              force: bool = False, stride: int = 0) -> "Insn":
        """Mask word dst from the logits words src + r*stride (r < m, stride 0 = 1; lanes
        2*pair, 2*pair+1) plus the bias word; force: every row executes (logits and bias not
        read)."""
        return cls(Op.ROUTE, flags=int(force), len=m, f0=(dst << 16) | src,
                   f1=(bias << 16) | pair, f2=stride)

    @classmethod
    def vscat(cls, m: int, x: int, y: int, mask: int, stats: bool = False) -> "Insn":
        """x row r += y row j for the r-th row selected by the mask word (j-th set bit); the
        other rows of x are rewritten unchanged; m rows of D words."""
        return cls(Op.VSCAT, flags=int(stats), len=m, f0=x, f1=y, f2=mask)

    @classmethod
    def rope(cls, m: int, dst: int, src: int, rot: int, mask: int | None = None,
             words: int = 0, stride: int = 0, dyn: bool = False) -> "Insn":
        """``words`` (0 = D) rotated per row, rows ``stride`` words apart (0 =
        words); dyn: CNT rows (len is the bound)."""
        return cls(Op.ROPE, flags=int(mask is not None) | (FLAG_DYN if dyn else 0), len=m,
                   f0=(dst << 16) | src, f1=(stride << 24) | (words << 16) | rot,
                   f2=mask or 0)

    @classmethod
    def end(cls) -> "Insn":
        return cls(Op.END)

    @classmethod
    def nop(cls) -> "Insn":
        return cls(Op.NOP)

    @property
    def mem_addr(self) -> int:
        return (self.f2 << 32) | self.f1

    # -- encoding ------------------------------------------------------------------------------
    def encode(self) -> int:
        word = 0
        for name, lsb, bits in INSN_FIELDS:
            v = getattr(self, "op" if name == "opcode" else name)
            if not 0 <= v < (1 << bits):
                raise ValueError(f"{name}={v} does not fit in {bits} bits: {self}")
            word |= v << lsb
        return word

    def to_bytes(self) -> bytes:
        return self.encode().to_bytes(INSN_BYTES, "little")

    @classmethod
    def decode(cls, word: int) -> "Insn":
        return cls(**{"op" if n == "opcode" else n: (word >> lsb) & ((1 << bits) - 1)
                      for n, lsb, bits in INSN_FIELDS})

    @classmethod
    def from_bytes(cls, b: bytes) -> "Insn":
        return cls.decode(int.from_bytes(b, "little"))

    # -- legality (same order as rtl/skipopu_decode.sv) ----------------------------------------
    def check(self, cfg: CoreConfig, mm: MMState | None = None,
              npe: NpeState | None = None, norm: NormState | None = None,
              kv: KvState | None = None, att: AttState | None = None) -> Err:
        if EXEC_UNIT.get(self.op) in ("kv", "attention") or self.op in (Op.KVCFG, Op.ATTCFG,
                                                                    Op.ARGMAX):
            return self._check_kv_att(cfg, kv or KvState(), att or AttState())
        if self.op == Op.ROPE:
            return self._check_rope(cfg, npe or NpeState())

        def gb_ok(base):
            return base + self.len <= cfg.GBUF_DEPTH

        def partial(a, b):
            return a != b and a < b + self.len and b < a + self.len

        if self.op in (Op.NOP, Op.END):
            if self.encode() >> 8:
                return Err.RESERVED
            return Err.NONE
        npe = npe or NpeState()

        def snoop_bad():
            return bool(self.flags & 1) and (npe.d == 0 or self.len % npe.d
                                             or npe.snoop + self.len // npe.d > cfg.NPE_ROWS)

        if self.op in (Op.LOAD, Op.STORE):
            if self.flags >> (1 if self.op == Op.LOAD else 0):
                return Err.RESERVED
            if self.len == 0:
                return Err.BAD_LEN
            if self.port > cfg.max_port:    # > NUM_HBM, or beyond the 4-bit field (unencodable)
                return Err.BAD_PORT
            if snoop_bad():
                return Err.NPE_SHAPE
            if not gb_ok(self.f0):
                return Err.GBUF_RANGE
            if self.mem_addr % cfg.beat_bytes:
                return Err.MEM_ALIGN
            if (self.mem_addr >> cfg.ADDR_W) or \
                    self.mem_addr + self.len * cfg.beat_bytes > (1 << cfg.ADDR_W):
                return Err.MEM_RANGE
            return Err.NONE
        if self.op == Op.VADD:
            if self.flags >> 1 or self.port:
                return Err.RESERVED
            if self.len == 0:
                return Err.BAD_LEN
            if snoop_bad():
                return Err.NPE_SHAPE
            if not (gb_ok(self.f0) and gb_ok(self.f1) and gb_ok(self.f2)):
                return Err.GBUF_RANGE
            if partial(self.f0, self.f1) or partial(self.f0, self.f2):
                return Err.OVERLAP
            return Err.NONE
        if self.op == Op.MMCFG:
            if self.flags or self.port or self.f1 or self.f2 >> 16:
                return Err.RESERVED
            return Err.NONE
        if self.op == Op.WFETCH:
            return self._check_wfetch(cfg)
        if self.op == Op.MMNORM:
            if self.flags or self.port or self.f2:
                return Err.RESERVED
            return Err.NONE
        if self.op == Op.MATMUL:
            return self._check_matmul(cfg, mm or MMState(), npe, norm or NormState())
        if self.op == Op.NPECFG:
            if self.flags or self.port:
                return Err.RESERVED
            if self.len == 0:
                return Err.BAD_LEN
            return Err.NONE
        if self.op in NPE_OPS:
            return self._check_npe(cfg, npe)
        if self.op == Op.ROUTE:
            return self._check_route(cfg)
        if self.op == Op.VSCAT:
            return self._check_vscat(cfg, npe)
        return Err.ILLEGAL_OP

    def _check_rope(self, cfg: CoreConfig, npe: NpeState) -> Err:
        """ROPE: f1 = {stride[31:24], words[23:16], table[15:0]}; flags[0] mask, flags[3] dyn
        (CNT rows, len the bound)."""
        n = self.len
        masked = bool(self.flags & FLAG_MASK)
        if self.port or self.flags & ~(FLAG_MASK | FLAG_DYN) or self.f2 >> 16:
            return Err.RESERVED
        if n == 0:
            return Err.BAD_LEN
        d, hw = npe.d, npe.hw
        w = (self.f1 >> 16) & 0xFF or d
        st = self.f1 >> 24 or w
        if w == 0 or hw == 0 or w % hw or st < w or (masked and n > cfg.DATA_W):
            return Err.NPE_SHAPE
        lo, hi, rot = self.f0 & 0xFFFF, self.f0 >> 16, self.f1 & 0xFFFF
        span = (n - 1) * st + w
        ranges = [(lo, span), (hi, span), (rot, (cfg.DATA_W if masked else n) * hw)]
        if masked:
            ranges.append((self.f2, 1))
        if any(a + k > cfg.GBUF_DEPTH for a, k in ranges):
            return Err.GBUF_RANGE

        def meet(a, b):
            return a[0] < b[0] + b[1] and b[0] < a[0] + a[1]

        if (lo != hi and meet(ranges[0], ranges[1])) or \
                any(meet(ranges[1], r) for r in ranges[2:]):
            return Err.OVERLAP
        return Err.NONE

    def _check_kv_att(self, cfg: CoreConfig, kv: KvState, att: AttState) -> Err:
        """KVCFG, KVST, KVLD, KVRD, ARGMAX, ATTCFG, QK, SMNORM, SMFEAT, PV."""
        op, n, depth = self.op, self.len, cfg.GBUF_DEPTH
        bb, kp = cfg.beat_bytes, cfg.KV_PORTS
        if self.port or self.flags & ~KNOWN_FLAGS.get(op, 0):
            return Err.RESERVED
        if op == Op.KVCFG:
            if self.f1 >> 8 or self.f2:
                return Err.RESERVED
            if n == 0 or self.f1 == 0:
                return Err.BAD_LEN
            inter = bool(self.flags & FLAG_INTERLEAVED)
            if n & (n - 1) or n > cfg.KV_ENTRY_MAX or (inter and n % kp):
                return Err.KV_SHAPE
            if self.f0 % 4096:
                return Err.MEM_ALIGN
            region = self.f1 * (cfg.KV_TOKENS // kp) * n * bb
            if self.f0 + region > 1 << 28 or \
                    ((kp - 1) << 28) + self.f0 + region > 1 << cfg.ADDR_W:
                return Err.MEM_RANGE
            return Err.NONE
        if op == Op.ATTCFG:
            if self.f2:
                return Err.RESERVED
            return Err.NONE
        if op == Op.KVST:
            if self.f2 >> 16:
                return Err.RESERVED
            if n == 0:
                return Err.BAD_LEN
            e, layer = kv.e, (self.f1 >> 16) & 0xFF
            st = self.f1 >> 24
            if e == 0 or n > cfg.DATA_W or layer >= kv.layers or (st and st < e) or \
                    (self.f2 & 0xFFFF) + n > cfg.KV_TOKENS:
                return Err.KV_SHAPE
            st = st or e
            src, mask, hist = self.f0 & 0xFFFF, self.f0 >> 16, self.f1 & 0xFFFF
            if src + (n - 1) * st + e > depth or \
                    (not self.flags & FLAG_ALL and mask + 1 > depth) or \
                    (not self.flags & FLAG_NOHIST and hist + 1 > depth):
                return Err.GBUF_RANGE
            return Err.NONE
        if op == Op.KVLD:
            if (self.flags & FLAG_ATTEND and self.flags & FLAG_DYN) or self.f1 >> 8 or self.f2:
                return Err.RESERVED
            if n == 0:
                return Err.BAD_LEN
            layer = self.f1 & 0xFF
            if kv.e == 0 or n >= cfg.KV_TOKENS or layer >= kv.layers:
                return Err.KV_SHAPE
            ex, nx = self.f0 & 0xFFFF, self.f0 >> 16
            if ex + 1 > depth or (layer + 1 < kv.layers and nx + 1 > depth):
                return Err.GBUF_RANGE
            return Err.NONE
        if op == Op.KVRD:
            if self.f1 >> 16 or self.f2:
                return Err.RESERVED
            if n == 0:
                return Err.BAD_LEN
            a0 = self.f1 & 0xFFFF
            if kv.e == 0 or a0 + n > cfg.KV_TOKENS:
                return Err.KV_SHAPE
            if self.f0 + n * kv.e > depth:
                return Err.GBUF_RANGE
            return Err.NONE
        if op == Op.ARGMAX:
            if self.f1 or self.f2:
                return Err.RESERVED
            if n == 0:
                return Err.BAD_LEN
            if n * cfg.DATA_W // 16 > 65536:
                return Err.ROUTE_SHAPE
            src, dst = self.f0 & 0xFFFF, self.f0 >> 16
            if src + n > depth or dst + 1 > depth:
                return Err.GBUF_RANGE
            if src <= dst < src + n:
                return Err.OVERLAP
            return Err.NONE
        # QK, SMNORM, SMFEAT, PV
        if self.f2 >> 16 or (op == Op.SMFEAT and self.f0 & 0xFFFF):
            return Err.RESERVED
        if n == 0:
            return Err.BAD_LEN
        g0, ng = (self.f1 >> 16) & 0xFF, self.f1 >> 24
        j0 = self.f2 & 0xFFFF
        h, kvh, hw = att.h, att.kvh, att.hw
        rep = h // kvh if kvh and h % kvh == 0 else 0
        groups = ng or kvh
        feat_rows = groups * rep * n
        fbase = self.f1 & 0xFFFF
        feat = op != Op.PV and not (op == Op.QK and self.flags & FLAG_NOFEAT)
        if (h == 0 or hw == 0 or rep == 0 or rep & (rep - 1) or att.nk == 0
                or att.nk > cfg.KV_TOKENS or att.qs < h * hw or kv.e == 0
                or 2 * kvh * hw > kv.e or g0 + groups > kvh or rep * n > cfg.MMAX
                or (feat and fbase + feat_rows > cfg.SMAX_ROWS)
                or (op != Op.PV and att.causal and j0 + n > cfg.DATA_W)
                or (op == Op.PV and (self.f1 & 0xFFFF) < h * hw)):
            return Err.ATT_SHAPE
        nt = -(-att.nk // cfg.lanes)                    # key tiles of LANES keys
        words = nt * feat_rows                          # score / P words
        causal = att.causal and op != Op.PV
        mask = self.f0 >> 16
        if op == Op.QK:
            q = self.f0 & 0xFFFF
            if q + (j0 + n - 1) * att.qs + h * hw > depth or (causal and mask + 1 > depth):
                return Err.GBUF_RANGE
        elif op in (Op.SMNORM, Op.SMFEAT):
            dst = self.f0 & 0xFFFF
            if (op == Op.SMNORM and dst + words > depth) or (causal and mask + 1 > depth):
                return Err.GBUF_RANGE
            if op == Op.SMNORM and causal and dst <= mask < dst + words:
                return Err.OVERLAP
        else:                                           # PV
            pb, ob, os_ = self.f0 & 0xFFFF, self.f0 >> 16, self.f1 & 0xFFFF
            o_n = (j0 + n - 1) * os_ + h * hw
            if pb + words > depth or ob + o_n > depth:
                return Err.GBUF_RANGE
            if pb < ob + o_n and ob < pb + words:
                return Err.OVERLAP
            return Err.NONE
        if att.sbase % bb:
            return Err.MEM_ALIGN
        if att.sbase + words * bb > 1 << cfg.ADDR_W:
            return Err.MEM_RANGE
        return Err.NONE

    def _check_route(self, cfg: CoreConfig) -> Err:
        """ROUTE: logits row r at src + r*S (S = f2[7:0], 0 = 1). The checks do not depend on
        the force flag."""
        if self.port or self.flags & ~FLAG_FORCE or self.f2 >> 8:
            return Err.RESERVED
        n = self.len
        if n == 0:
            return Err.BAD_LEN
        src, dst = self.f0 & 0xFFFF, self.f0 >> 16
        pair, bias = self.f1 & 0xFFFF, self.f1 >> 16
        if n > cfg.DATA_W or pair >= cfg.lanes // 2:
            return Err.ROUTE_SHAPE
        span = (n - 1) * (self.f2 or 1) + 1             # the logits words, rows S apart
        depth = cfg.GBUF_DEPTH
        if src + span > depth or bias + 1 > depth or dst + 1 > depth:
            return Err.GBUF_RANGE
        if src <= dst < src + span or dst == bias:
            return Err.OVERLAP
        return Err.NONE

    def _check_wfetch(self, cfg: CoreConfig) -> Err:
        """WFETCH: len = chunks, {f2, f1} = base, MASKED: f0 = {rows n, mask word}."""
        masked = bool(self.flags & FLAG_MASKED)
        if self.port or self.flags & ~FLAG_MASKED or (not masked and self.f0):
            return Err.RESERVED
        if self.len == 0:
            return Err.BAD_LEN
        if masked and not 1 <= self.f0 >> 16 <= cfg.DATA_W:
            return Err.MM_SHAPE
        if masked and (self.f0 & 0xFFFF) + 1 > cfg.GBUF_DEPTH:
            return Err.GBUF_RANGE
        return cfg.stream_err(self.mem_addr, self.len)

    def _check_vscat(self, cfg: CoreConfig, npe: NpeState) -> Err:
        """VSCAT: x = f0, y = f1 (len*D words each), mask word f2."""
        if self.port or self.flags & ~FLAG_STATS:
            return Err.RESERVED
        n = self.len
        if n == 0:
            return Err.BAD_LEN
        d = npe.d
        if d == 0 or n > cfg.DATA_W or (self.flags & FLAG_STATS
                                        and npe.snoop + n > cfg.NPE_ROWS):
            return Err.NPE_SHAPE
        words, depth = n * d, cfg.GBUF_DEPTH
        x, y, mask = self.f0, self.f1, self.f2
        if x + words > depth or y + words > depth or mask + 1 > depth:
            return Err.GBUF_RANGE
        if x < y + words and y < x + words:
            return Err.OVERLAP
        if x <= mask < x + words or y <= mask < y + words:
            return Err.OVERLAP
        return Err.NONE

    def _check_npe(self, cfg: CoreConfig, npe: NpeState) -> Err:
        """RMSSQ, RMSNORM, SWIGLU (ROPE: _check_rope)."""
        op, n = self.op, self.len
        masked = op == Op.RMSNORM and bool(self.flags & FLAG_MASK)
        dyn = op == Op.SWIGLU and bool(self.flags & FLAG_DYN)
        if (self.port or self.flags & ~KNOWN_FLAGS.get(op, 0)
                or (op == Op.RMSNORM and self.flags & FLAG_COMPACT and not masked)
                or (op == Op.RMSSQ and (self.f2 or self.f1 >> 16))
                or (op == Op.SWIGLU and (self.f2 >> 16 if dyn else self.f2))
                or (op == Op.SWIGLU and (self.f0 >> 16 or self.f1 >> 16))
                or (op == Op.RMSNORM and self.f2 >> 16)):
            return Err.RESERVED
        # dyn SWIGLU: len = R words per row, f2[15:0] = Mmax rows (both must be >= 1)
        rows = self.f2 & 0xFFFF if dyn else 1
        if n == 0 or rows == 0:
            return Err.BAD_LEN
        d = npe.d
        if op != Op.SWIGLU and d == 0:
            return Err.NPE_SHAPE
        if masked and n > cfg.DATA_W:
            return Err.NPE_SHAPE
        if op == Op.RMSSQ and self.f1 + n > cfg.NPE_ROWS:
            return Err.NPE_SHAPE
        if op == Op.RMSNORM and (self.f1 >> 16) + n > cfg.NPE_ROWS:
            return Err.NPE_SHAPE
        depth = cfg.GBUF_DEPTH
        lo, hi = self.f0 & 0xFFFF, self.f0 >> 16
        if op == Op.RMSSQ:
            ranges = [(self.f0, n * d)]
        elif op == Op.SWIGLU:
            ranges = [(self.f0, n * rows), (self.f1, 2 * n * rows)]
        else:
            ranges = [(lo, n * d), (hi, n * d), (self.f1 & 0xFFFF, d)]
            if masked:
                ranges.append((self.f2, 1))
        if any(a + k > depth for a, k in ranges):
            return Err.GBUF_RANGE

        def meet(a, b):
            return a[0] < b[0] + b[1] and b[0] < a[0] + a[1]

        if op != Op.RMSSQ:
            dst, src = ranges[1] if op != Op.SWIGLU else ranges[0], \
                ranges[0] if op != Op.SWIGLU else ranges[1]
            if dst[0] != src[0] and meet(dst, src):
                return Err.OVERLAP
            if any(meet(dst, r) for r in ranges[2:]):
                return Err.OVERLAP
        return Err.NONE

    def _check_matmul(self, cfg: CoreConfig, mm: MMState, npe: NpeState,
                      norm: NormState) -> Err:
        int4 = bool(self.flags & FLAG_INT4)
        fused = bool(self.flags & FLAG_NORM)
        if (self.port or self.flags & ~KNOWN_FLAGS[Op.MATMUL]
                or (fused and not self.flags & FLAG_DYN)):
            return Err.RESERVED
        if self.len == 0 or (fused and norm.n == 0):
            return Err.BAD_LEN
        kd, nc, lanes = cfg.kdim, cfg.ncol, cfg.lanes
        g = mm.group
        if (self.len > cfg.MMAX or mm.k < kd or mm.k % kd or mm.n < nc or mm.n % nc
                or mm.n >> 16 or (int4 and (g < kd or g & (g - 1) or g > mm.k
                                            or mm.k % g or mm.k // g > cfg.MM_SCALE_ROWS))):
            return Err.MM_SHAPE
        d = npe.d
        if fused and (d == 0 or d * kd != mm.k or norm.n > cfg.DATA_W
                      or norm.stat + norm.n > cfg.NPE_ROWS):
            return Err.NPE_SHAPE
        src, dst = self.f0 & 0xFFFF, self.f0 >> 16
        src_n, dst_n = self.len * (mm.k // kd), self.len * (mm.n // lanes)
        depth = cfg.GBUF_DEPTH
        if src + src_n > depth or dst + dst_n > depth:
            return Err.GBUF_RANGE
        res, wgt, msk = (norm.x, norm.n * d), (norm.w, d), (norm.mask, 1)
        if fused and any(a + k > depth for a, k in (res, wgt, msk)):
            return Err.GBUF_RANGE

        def meet(a, b):
            return a[0] < b[0] + b[1] and b[0] < a[0] + a[1]

        h, y = (src, src_n), (dst, dst_n)
        if meet(h, y):
            return Err.OVERLAP
        # fused: the normalised rows (X) replace the residual in place or lie apart from it;
        # neither X nor Y may touch the weight or the mask, Y not the residual
        if fused and ((src != norm.x and meet(h, res)) or meet(h, wgt) or meet(h, msk)
                      or meet(y, res) or meet(y, wgt) or meet(y, msk)):
            return Err.OVERLAP
        return cfg.stream_err(self.mem_addr, cfg.mm_chunks(mm.k, mm.n, int4, g))

    # -- text ----------------------------------------------------------------------------------
    def __str__(self) -> str:
        try:
            op = Op(self.op)
        except ValueError:
            return f".word 0x{self.encode():032x}"
        if op in (Op.LOAD, Op.STORE):
            mem = "ddr" if self.port == 0 else f"hbm{self.port - 1}"
            s = f"{op.name.lower():5s} {mem}:0x{self.mem_addr:x}, gb:{self.f0}, {self.len}"
        elif op == Op.VADD:
            s = f"vadd  gb:{self.f0}, gb:{self.f1}, gb:{self.f2}, {self.len}"
        elif op == Op.MMCFG:
            s = f"mmcfg K={self.len}, N={self.f0}, group={self.f2}"
        elif op == Op.MATMUL:
            dyn = self.flags & FLAG_DYN
            nrm = ".norm" if self.flags & FLAG_NORM else ""
            pf = ".pf" if self.flags & FLAG_PF else ""
            s = (f"matmul{'.int4' if self.flags & 1 else ''}{'.dyn' if dyn else ''}{nrm}{pf} "
                 f"gb:{self.f0 >> 16} <- gb:{self.f0 & 0xFFFF} x hbm:0x{self.mem_addr:x}, "
                 + (f"M=CNT<={self.len}" if dyn else f"M={self.len}"))
        elif op == Op.WFETCH:
            s = f"wfetch hbm:0x{self.mem_addr:x}, chunks={self.len}"
            if self.flags & FLAG_MASKED:
                s += f", mask=gb:{self.f0 & 0xFFFF}, rows={self.f0 >> 16}"
        elif op == Op.KVCFG:
            s = (f"kvcfg E={self.len}, off=0x{self.f0:x}, L={self.f1 & 0xFF}"
                 + (", interleaved" if self.flags & FLAG_INTERLEAVED else "")
                 + (", buffer" if self.flags & FLAG_KVBUF else ""))
        elif op == Op.KVST:
            fl = self.flags
            s = (f"kvst{'.put' if fl & FLAG_PUT else ''} gb:{self.f0 & 0xFFFF}, "
                 f"layer={(self.f1 >> 16) & 0xFF}, "
                 + ("all" if fl & FLAG_ALL else f"mask=gb:{self.f0 >> 16}")
                 + (", rank0" if fl & FLAG_NOHIST else f", hist=gb:{self.f1 & 0xFFFF}")
                 + f", pos0={self.f2 & 0xFFFF}, stride={self.f1 >> 24}, M={self.len}")
        elif op == Op.KVLD:
            att = "CNT" if self.flags & FLAG_DYN else str(self.flags & FLAG_ATTEND)
            s = (f"kvld T={self.len}, exec=gb:{self.f0 & 0xFFFF}, next=gb:{self.f0 >> 16}, "
                 f"layer={self.f1 & 0xFF}, attend={att}")
        elif op == Op.KVRD:
            s = f"kvrd gb:{self.f0} <- kvsb:{self.f1 & 0xFFFF}, {self.len}"
        elif op == Op.ATTCFG:
            f1 = self.f1
            s = (f"attcfg NK={self.len}, H={f1 & 0xFF}, KVH={(f1 >> 8) & 0xFF}, "
                 f"HW={(f1 >> 16) & 0xFF}, QS={f1 >> 24}, scores=ddr:0x{self.f0:x}"
                 + (", causal" if self.flags & FLAG_CAUSAL else ""))
        elif op in (Op.QK, Op.SMNORM, Op.SMFEAT, Op.PV):
            name = {Op.QK: "qk", Op.SMNORM: "smnorm", Op.SMFEAT: "smfeat", Op.PV: "pv"}[op]
            name += ".dyn" if self.flags & FLAG_DYN else ""
            name += ".nofeat" if op == Op.QK and self.flags & FLAG_NOFEAT else ""
            lo, hi, f1 = self.f0 & 0xFFFF, self.f0 >> 16, self.f1
            g = f"groups={(f1 >> 16) & 0xFF}+{f1 >> 24 or 'all'}"
            if op == Op.PV:
                s = f"{name} gb:{hi} <- gb:{lo}, OS={f1 & 0xFFFF}, {g}"
            else:
                arg = {Op.QK: f"q=gb:{lo}", Op.SMNORM: f"gb:{lo}", Op.SMFEAT: "-"}[op]
                s = f"{name} {arg}, feat={f1 & 0xFFFF}, mask=gb:{hi}, {g}"
            s += f", j0={self.f2 & 0xFFFF}, M={'CNT<=' if self.flags & FLAG_DYN else ''}{self.len}"
        elif op == Op.ARGMAX:
            s = f"argmax gb:{self.f0 >> 16} <- gb:{self.f0 & 0xFFFF}, {self.len}"
        elif op == Op.MMNORM:
            s = (f"mmnorm x=gb:{self.f0 & 0xFFFF}, w=gb:{self.f0 >> 16}, "
                 f"stat:{self.f1 >> 16}, mask=gb:{self.f1 & 0xFFFF}, M={self.len}")
        elif op == Op.NPECFG:
            s = (f"npecfg D={self.len}, eps=0x{self.f0:08x}, inv_d=0x{self.f1:08x}, "
                 f"hw={self.f2 & 0xFFFF}, snoop_stat={self.f2 >> 16}")
        elif op == Op.RMSSQ:
            s = f"rmssq stat:{self.f1} <- gb:{self.f0}, M={self.len}"
        elif op == Op.RMSNORM:
            s = (f"rmsnorm gb:{self.f0 >> 16} <- gb:{self.f0 & 0xFFFF}, w=gb:{self.f1 & 0xFFFF}, "
                 f"stat:{self.f1 >> 16}, M={self.len}"
                 + (f", mask=gb:{self.f2}" if self.flags & 1 else "")
                 + (", compact" if self.flags & FLAG_COMPACT else ""))
        elif op == Op.SWIGLU:
            if self.flags & FLAG_DYN:
                s = (f"swiglu.dyn gb:{self.f0} <- gb:{self.f1}, R={self.len}, "
                     f"rows=CNT<={self.f2 & 0xFFFF}")
            else:
                s = f"swiglu gb:{self.f0} <- gb:{self.f1}, {self.len}"
        elif op == Op.ROPE:
            dyn = self.flags & FLAG_DYN
            s = (f"rope{'.dyn' if dyn else ''} gb:{self.f0 >> 16} <- gb:{self.f0 & 0xFFFF}, "
                 f"rot=gb:{self.f1 & 0xFFFF}, M={'CNT<=' if dyn else ''}{self.len}"
                 + (f", mask=gb:{self.f2}" if self.flags & 1 else "")
                 + (f", words={(self.f1 >> 16) & 0xFF}, stride={self.f1 >> 24}"
                    if self.f1 >> 16 else ""))
        elif op == Op.ROUTE:
            s = (f"route gb:{self.f0 >> 16} <- gb:{self.f0 & 0xFFFF}, bias=gb:{self.f1 >> 16}, "
                 f"pair={self.f1 & 0xFFFF}, M={self.len}"
                 + (f", stride={self.f2}" if self.f2 else "")
                 + (", force" if self.flags & FLAG_FORCE else ""))
        elif op == Op.VSCAT:
            s = f"vscat gb:{self.f0} += gb:{self.f1}, mask=gb:{self.f2}, M={self.len}"
        else:
            s = op.name.lower()
        if op in (Op.LOAD, Op.VADD, Op.VSCAT) and self.flags & 1:
            s += ", stats"
        if self.flags & ~KNOWN_FLAGS.get(op, 0) or \
                (op == Op.RMSNORM and self.flags & FLAG_COMPACT and not self.flags & 1) or \
                (op == Op.MATMUL and (self.port or (self.flags & FLAG_NORM
                                                    and not self.flags & FLAG_DYN))) or \
                (op == Op.MMCFG and self.f1) or \
                (op == Op.WFETCH and not self.flags & FLAG_MASKED and self.f0) or \
                (op in (Op.NOP, Op.END) and self.encode() >> 8):
            s += f"  ; raw 0x{self.encode():032x}"
        return s


@dataclass
class Regs:
    """Every configuration register set (all zero after reset and at every start)."""
    mm: MMState = field(default_factory=MMState)
    npe: NpeState = field(default_factory=NpeState)
    norm: NormState = field(default_factory=NormState)
    kv: KvState = field(default_factory=KvState)
    att: AttState = field(default_factory=AttState)

    def check(self, insn: "Insn", cfg: CoreConfig) -> Err:
        return insn.check(cfg, self.mm, self.npe, self.norm, self.kv, self.att)


def config_after(insn: Insn, regs: Regs) -> Regs:
    """The configuration registers after a legal ``insn`` (MMCFG, NPECFG, MMNORM, KVCFG and
    ATTCFG write theirs; every other instruction leaves them)."""
    if insn.op == Op.MMCFG:
        return replace(regs, mm=MMState(k=insn.len, n=insn.f0, group=insn.f2 & 0xFFFF))
    if insn.op == Op.NPECFG:
        return replace(regs, npe=NpeState(d=insn.len, eps=insn.f0, inv_d=insn.f1,
                                          hw=insn.f2 & 0xFFFF, snoop=insn.f2 >> 16))
    if insn.op == Op.MMNORM:
        return replace(regs, norm=NormState(n=insn.len, x=insn.f0 & 0xFFFF, w=insn.f0 >> 16,
                                            stat=insn.f1 >> 16, mask=insn.f1 & 0xFFFF))
    if insn.op == Op.KVCFG:
        return replace(regs, kv=KvState(e=insn.len, off=insn.f0, layers=insn.f1 & 0xFF,
                                        interleaved=bool(insn.flags & FLAG_INTERLEAVED),
                                        buf=bool(insn.flags & FLAG_KVBUF)))
    if insn.op == Op.ATTCFG:
        f1 = insn.f1
        return replace(regs, att=AttState(nk=insn.len, h=f1 & 0xFF, kvh=(f1 >> 8) & 0xFF,
                                          hw=(f1 >> 16) & 0xFF, qs=f1 >> 24, sbase=insn.f0,
                                          causal=bool(insn.flags & FLAG_CAUSAL)))
    return regs



def assemble(prog: list[Insn]) -> bytes:
    return b"".join(i.to_bytes() for i in prog)


def disassemble(image: bytes) -> list[str]:
    if len(image) % INSN_BYTES:
        raise ValueError(f"program image of {len(image)} bytes is not a multiple of 16")
    return [f"{pc:5d}: {Insn.from_bytes(image[o:o + INSN_BYTES])}"
            for pc, o in enumerate(range(0, len(image), INSN_BYTES))]


if __name__ == "__main__":  # disassembler: python -m model.isa program.bin
    import sys
    for line in disassemble(open(sys.argv[1], "rb").read()):
        print(line)
