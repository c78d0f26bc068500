// SkipOPU shared definitions: the architecture's numbers (generated from model/isa.toml by
// tools/gen_isa.py: instruction format, flag bits, opcodes, error codes, CSR map), the FP16
// format, AXI burst and mask helpers, NPE latencies. Documented in docs/isa.md, docs/csr.md and
// docs/numerics.md.

package skipopu_pkg;

  // ---------------------------------------------------------------------------------------------
  // Instruction word (docs/isa.md): [7:0] opcode, [11:8] port, [15:12] flags, [31:16] len,
  // [63:32] f0, [95:64] f1, [127:96] f2; the meaning of port, flags, len and f0..f2 is per opcode.
  // Error codes: the core stops at the first error, drains outstanding AXI transactions and then
  // reports done with the error bit set. CSRs: AXI4-Lite, 32-bit registers, byte addresses.
  // ---------------------------------------------------------------------------------------------
  // BEGIN GENERATED (tools/gen_isa.py): model/isa.toml
  // Instruction-set version of this design (CSR CONFIG3[7:0]) and the ID/VERSION values
  localparam int IsaVersion = 7;
  localparam logic [31:0] IdValue = 32'h534B4F50;
  localparam logic [31:0] VersionValue = 32'h00010000;

  // Instruction word (128 bits, little-endian in memory), fields from bit 0 up
  localparam int InsnW = 128;
  typedef struct packed {
    logic [31:0] f2;  // operand field 2
    logic [31:0] f1;  // operand field 1
    logic [31:0] f0;  // operand field 0
    logic [15:0] len;  // length / rows
    logic [3:0]  flags;  // per-opcode flag bits (below)
    logic [3:0]  port;  // memory port: 0 = DDR, p = HBM port p-1
    logic [7:0]  opcode;  // opcode
  } insn_t;

  // Flag bits (index into insn_t.flags)
  // LOAD, VADD, VSCAT: RMS statistics snoop of the written rows
  localparam int FlagStats       = 0;
  localparam int FlagInt4        = 0;  // MATMUL: INT4 weights
  localparam int FlagMask        = 0;  // RMSNORM, ROPE: rows selected by a mask word
  localparam int FlagForce       = 0;  // ROUTE: every row executes
  localparam int FlagInterleaved = 0;  // KVCFG: interleaved KV mapping
  localparam int FlagPut         = 0;  // KVST: also write the KV staging buffer
  localparam int FlagAttend      = 0;  // KVLD: the current token attends at this layer
  localparam int FlagCausal      = 0;  // ATTCFG: causal lane masks
  localparam int FlagCompact     = 1;  // RMSNORM: j-th selected row to dst row j (with MASK)
  localparam int FlagNorm        = 1;  // MATMUL: fused RMSNorm of the MMNORM rows (with DYN)
  localparam int FlagKvbuf       = 1;  // KVCFG: invariance buffer enabled
  localparam int FlagAll         = 1;  // KVST: every row writes (mask not read)
  localparam int FlagNofeat      = 1;  // QK: no softmax feature update
  localparam int FlagNohist      = 2;  // KVST: rank base 0 (history word not read)
  localparam int FlagPf          = 2;  // MATMUL: operand stream prefetched: the WFETCH queue head
  // WFETCH: skipped when the mask word f0[15:0] has no bit < f0[31:16] set
  localparam int FlagMasked      = 3;
  // MATMUL, SWIGLU, ROPE, KVLD, QK, SMNORM, SMFEAT, PV: rows from the CNT register
  localparam int FlagDyn         = 3;

  typedef enum logic [7:0] {
    OpNop     = 8'h00,
    OpEnd     = 8'h01,
    OpLoad    = 8'h10,
    OpStore   = 8'h11,
    OpKvst    = 8'h12,
    OpKvld    = 8'h13,
    OpKvcfg   = 8'h14,
    OpKvrd    = 8'h15,
    OpVadd    = 8'h20,
    OpVscat   = 8'h21,
    OpMatmul  = 8'h30,
    OpMmcfg   = 8'h31,
    OpMmnorm  = 8'h32,
    OpAttcfg  = 8'h33,
    OpQk      = 8'h34,
    OpPv      = 8'h35,
    OpWfetch  = 8'h36,
    OpNpecfg  = 8'h40,
    OpRmssq   = 8'h41,
    OpRmsnorm = 8'h42,
    OpSwiglu  = 8'h43,
    OpRope    = 8'h44,
    OpSmnorm  = 8'h45,
    OpSmfeat  = 8'h46,
    OpRoute   = 8'h50,
    OpArgmax  = 8'h51
  } opcode_e;

  // The flag bits an opcode defines (any other set bit is RESERVED)
  function automatic logic [3:0] known_flags(logic [7:0] op);
    logic [3:0] m;
    m = '0;
    case (op)
      8'(OpLoad): m = 4'b0001;
      8'(OpKvst): m = 4'b0111;
      8'(OpKvld): m = 4'b1001;
      8'(OpKvcfg): m = 4'b0011;
      8'(OpVadd): m = 4'b0001;
      8'(OpVscat): m = 4'b0001;
      8'(OpMatmul): m = 4'b1111;
      8'(OpAttcfg): m = 4'b0001;
      8'(OpQk): m = 4'b1010;
      8'(OpPv): m = 4'b1000;
      8'(OpWfetch): m = 4'b1000;
      8'(OpRmsnorm): m = 4'b0011;
      8'(OpSwiglu): m = 4'b1000;
      8'(OpRope): m = 4'b1001;
      8'(OpSmnorm): m = 4'b1000;
      8'(OpSmfeat): m = 4'b1000;
      8'(OpRoute): m = 4'b0001;
      default: m = '0;
    endcase
    return m;
  endfunction

  // Cycle accounting (CSR UNIT_CYCLES): the unit class of the instruction the
  // sequencer waits on; class 0 (issue) takes the other cycles of a run
  typedef enum logic [3:0] {
    UnitIssue     = 4'd0,  // fetch, decode, configuration registers, the start and the drain
    UnitLoad      = 4'd1,  // LOAD
    UnitStore     = 4'd2,  // STORE
    UnitMatmul    = 4'd3,  // MATMUL
    UnitNpe       = 4'd4,  // RMSSQ, RMSNORM, SWIGLU, ROPE
    UnitVector    = 4'd5,  // VADD, VSCAT, ROUTE, ARGMAX
    UnitKvLoad    = 4'd6,  // KVLD, KVRD
    UnitKvStore   = 4'd7,  // KVST
    UnitAttention = 4'd8   // QK, SMNORM, SMFEAT, PV
  } unit_e;
  localparam int NumUnits = 9;

  // The unit class of an opcode
  function automatic unit_e unit_of(logic [7:0] op);
    unit_e u;
    u = UnitIssue;
    case (op)
      8'(OpLoad): u = UnitLoad;
      8'(OpStore): u = UnitStore;
      8'(OpMatmul): u = UnitMatmul;
      8'(OpRmssq): u = UnitNpe;
      8'(OpRmsnorm): u = UnitNpe;
      8'(OpSwiglu): u = UnitNpe;
      8'(OpRope): u = UnitNpe;
      8'(OpVadd): u = UnitVector;
      8'(OpVscat): u = UnitVector;
      8'(OpRoute): u = UnitVector;
      8'(OpArgmax): u = UnitVector;
      8'(OpKvld): u = UnitKvLoad;
      8'(OpKvrd): u = UnitKvLoad;
      8'(OpKvst): u = UnitKvStore;
      8'(OpQk): u = UnitAttention;
      8'(OpSmnorm): u = UnitAttention;
      8'(OpSmfeat): u = UnitAttention;
      8'(OpPv): u = UnitAttention;
      default: u = UnitIssue;
    endcase
    return u;
  endfunction

  // Error codes (CSR ERR_CODE)
  typedef enum logic [7:0] {
    ErrNone        = 8'd0 ,  // no error
    ErrIllegalOp   = 8'd1 ,  // unknown opcode
    ErrReserved    = 8'd2 ,  // a reserved field or flag bit not zero
    ErrBadLen      = 8'd3 ,  // a length of zero
    ErrBadPort     = 8'd4 ,  // memory port above NUM_HBM
    ErrGbufRange   = 8'd5 ,  // a buffer range outside the global buffer
    ErrMemAlign    = 8'd6 ,  // memory address not aligned to the data-bus width
    ErrMemRange    = 8'd7 ,  // memory range outside the AXI address space
    ErrFetchAxi    = 8'd8 ,  // instruction fetch got SLVERR/DECERR
    ErrDmaRdAxi    = 8'd9 ,  // a read got SLVERR/DECERR
    ErrDmaWrAxi    = 8'd10,  // a write got SLVERR/DECERR
    ErrProgOverrun = 8'd11,  // PROG_LEN instructions executed without END
    ErrBadProg     = 8'd12,  // PROG_LEN = 0, or PROG_BASE not aligned / out of range
    ErrOverlap     = 8'd13,  // operand ranges overlap where they must not
    ErrMmShape     = 8'd14,  // MATMUL dimensions
    ErrNpeShape    = 8'd15,  // NPE row / statistics shape
    ErrNpeMask     = 8'd16,  // a mask with fewer set bits than rows (run time)
    ErrRouteShape  = 8'd17,  // ROUTE / ARGMAX shape
    ErrDynLen      = 8'd18,  // CNT above the bound of a dynamic instruction (run time)
    ErrKvShape     = 8'd19,  // KV entry / layer / token shape
    ErrKvRank      = 8'd20,  // KVST ranks beyond the KV region (run time)
    ErrAttShape    = 8'd21,  // attention shape (heads, keys, rows)
    ErrKvSeq       = 8'd22,  // KVLD layers out of order (run time)
    ErrWfetch      = 8'd23   // WFETCH queue full, not the head, or not empty (run time)
  } err_e;

  // CSR map (docs/csr.md)
  localparam logic [11:0] CsrId          = 12'h000;  // RO
  localparam logic [11:0] CsrVersion     = 12'h004;  // RO
  localparam logic [11:0] CsrConfig      = 12'h008;  // RO
  localparam logic [11:0] CsrConfig2     = 12'h00C;  // RO
  localparam logic [11:0] CsrCtrl        = 12'h010;  // WO
  localparam logic [11:0] CsrStatus      = 12'h014;  // RO
  localparam logic [11:0] CsrErrCode     = 12'h018;  // RO
  localparam logic [11:0] CsrErrPc       = 12'h01C;  // RO
  localparam logic [11:0] CsrProgLo      = 12'h020;  // RW
  localparam logic [11:0] CsrProgHi      = 12'h024;  // RW
  localparam logic [11:0] CsrProgLen     = 12'h028;  // RW
  localparam logic [11:0] CsrConfig3     = 12'h02C;  // RO
  localparam logic [11:0] CsrIrqEn       = 12'h030;  // RW
  localparam logic [11:0] CsrIrqStatus   = 12'h034;  // RW1C
  localparam logic [11:0] CsrConfig4     = 12'h038;  // RO
  localparam logic [11:0] CsrCyclesLo    = 12'h040;  // RO
  localparam logic [11:0] CsrCyclesHi    = 12'h044;  // RO
  localparam logic [11:0] CsrInsnCount   = 12'h048;  // RO
  localparam logic [11:0] CsrPeCycles    = 12'h04C;  // RO
  localparam logic [11:0] CsrMmCycles    = 12'h050;  // RO
  localparam logic [11:0] CsrNpeCycles   = 12'h054;  // RO
  localparam logic [11:0] CsrNpeStall    = 12'h058;  // RO
  localparam logic [11:0] CsrKvCycles    = 12'h05C;  // RO
  localparam logic [11:0] CsrKvHbmWords  = 12'h060;  // RO
  localparam logic [11:0] CsrKvBufWords  = 12'h064;  // RO
  localparam logic [11:0] CsrKvKeepWords = 12'h068;  // RO
  localparam logic [11:0] CsrKvRounds    = 12'h06C;  // RO
  localparam logic [11:0] CsrAttCycles   = 12'h070;  // RO
  localparam logic [11:0] CsrKvstCycles  = 12'h074;  // RO
  localparam logic [11:0] CsrUnitCycles  = 12'h080;  // RO
  localparam logic [11:0] CsrBytes       = 12'h100;  // RO
  localparam int CsrUnitCyclesStride = 4;
  localparam int CsrBytesStride = 16;

  // CONFIG contents: [7:0] NUM_HBM, [15:8] log2(DATA_W/8), [31:16] log2(GBUF_DEPTH)
  function automatic logic [31:0] csr_config_word(logic [7:0] num_hbm,
                                                  logic [7:0] beat_shift,
                                                  logic [15:0] gbuf_shift);
    logic [31:0] v;
    v = '0;
    v[7:0] = num_hbm;
    v[15:8] = beat_shift;
    v[31:16] = gbuf_shift;
    return v;
  endfunction

  // CONFIG2 contents: [7:0] KV_PORTS, [15:8] log2(KV_TOKENS), [23:16] KV_ENTRY_MAX, [31:24]
  // log2(SMAX_ROWS)
  function automatic logic [31:0] csr_config2_word(logic [7:0] kv_ports,
                                                   logic [7:0] log2_kv_tokens,
                                                   logic [7:0] kv_entry_max,
                                                   logic [7:0] log2_smax_rows);
    logic [31:0] v;
    v = '0;
    v[7:0] = kv_ports;
    v[15:8] = log2_kv_tokens;
    v[23:16] = kv_entry_max;
    v[31:24] = log2_smax_rows;
    return v;
  endfunction

  // CONFIG3 contents: [7:0] ISA version (7), [15:8] log2(KV_BUF_CAP), [19:16] KV_BUF_RD, [23:20]
  // KV_BUF_WR
  function automatic logic [31:0] csr_config3_word(logic [7:0] log2_kv_buf_cap,
                                                   logic [3:0] kv_buf_rd,
                                                   logic [3:0] kv_buf_wr);
    logic [31:0] v;
    v = '0;
    v[7:0] = 8'(IsaVersion);
    v[15:8] = log2_kv_buf_cap;
    v[19:16] = kv_buf_rd;
    v[23:20] = kv_buf_wr;
    return v;
  endfunction

  // CONFIG4 contents: [7:0] log2(NCOL), [15:8] WFETCH_DEPTH, [23:16] MM_SCALE_ROWS
  function automatic logic [31:0] csr_config4_word(logic [7:0] ncol_shift,
                                                   logic [7:0] wfetch_depth,
                                                   logic [7:0] mm_scale_rows);
    logic [31:0] v;
    v = '0;
    v[7:0] = ncol_shift;
    v[15:8] = wfetch_depth;
    v[23:16] = mm_scale_rows;
    return v;
  endfunction
  // END GENERATED

  // ---------------------------------------------------------------------------------------------
  // IEEE 754 binary16, see docs/numerics.md (DAZ inputs, FTZ outputs, RNE, canonical NaN).
  // ---------------------------------------------------------------------------------------------
  typedef struct packed {
    logic       sign;
    logic [4:0] exponent;
    logic [9:0] mantissa;
  } fp16_t;

  localparam logic [15:0] Fp16QNaN = 16'h7E00;  // canonical quiet NaN

  // ---------------------------------------------------------------------------------------------
  // AXI4 bursts: beats of the next INCR burst = min(beats left, max burst, beats to the next
  // 4 KB boundary), for full-width beats of 2^beat_shift bytes
  // ---------------------------------------------------------------------------------------------
  function automatic logic [13:0] axi_burst_beats(logic [11:0] addr_lo, logic [31:0] left,
                                                  logic [13:0] max_burst, logic [2:0] beat_shift);
    logic [13:0] beats;
    beats = 14'((13'h1000 - {1'b0, addr_lo}) >> beat_shift);
    if (max_burst < beats) beats = max_burst;
    if (left < 32'(beats)) beats = 14'(left);
    return beats;
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Memory port index inside the core (DMA commands): 0 = DDR, p = HBM port p-1, p <= NUM_HBM
  // <= 32. Wider than the ISA's 4-bit port field: LOAD/STORE name ports 0..15 only, the KV
  // unit's stores reach every KV port (docs/weights.md "Paper-scale parameter set").
  // ---------------------------------------------------------------------------------------------
  localparam int MaxNumHbm = 32;
  localparam int MemPortW = $clog2(MaxNumHbm + 1);

  // ---------------------------------------------------------------------------------------------
  // Mask-word helpers (one mask word = DATA_W bits, DATA_W <= MaskW): callers zero-extend their
  // word to MaskW bits. Loops with a single return (Icarus 11 mis-evaluates early returns).
  // ---------------------------------------------------------------------------------------------
  localparam int MaskW = 1024;                // widest mask word (DATA_W is 128 .. 1024)
  localparam int MaskCw = $clog2(MaskW) + 1;  // a bit index or a count 0..MaskW

  // Number of set bits
  function automatic logic [MaskCw-1:0] mask_popcount(logic [MaskW-1:0] v);
    logic [MaskCw-1:0] c;
    c = '0;
    for (int i = 0; i < MaskW; i++) c = c + MaskCw'(v[i]);
    return c;
  endfunction

  // Index of the lowest set bit of v in [from, n); n when there is none
  function automatic logic [MaskCw-1:0] mask_next_set(logic [MaskW-1:0] v,
                                                      logic [MaskCw-1:0] from,
                                                      logic [MaskCw-1:0] n);
    logic [MaskCw-1:0] r;
    r = n;
    for (int i = MaskW - 1; i >= 0; i--) begin
      if (v[i] && MaskCw'(i) >= from && MaskCw'(i) < n) r = MaskCw'(i);
    end
    return r;
  endfunction


  // NPE operations (skipopu_npe)
  typedef enum logic [1:0] {
    NpeRmssq   = 2'd0,
    NpeRmsnorm = 2'd1,
    NpeSwiglu  = 2'd2,
    NpeRope    = 2'd3
  } npe_op_e;

  // Exact FP16 -> FP32 widening with the core's rules (model/fpu.py: fp_widen): subnormals
  // become signed zeros (DAZ), Inf stays Inf, any NaN becomes the canonical FP32 NaN
  function automatic logic [31:0] fp16_to_fp32(logic [15:0] h);
    // one expression, no early return: Icarus 11 mis-evaluates early returns in functions
    // called from continuous assignments of several instances
    return (h[14:10] == 5'd0)  ? {h[15], 31'd0} :
           (h[14:10] == 5'h1F) ? ((h[9:0] == '0) ? {h[15], 8'hFF, 23'd0} : 32'h7FC0_0000) :
                                 {h[15], 8'(h[14:10]) + 8'd112, h[9:0], 13'd0};
  endfunction

  // Fused MATMUL normalisation (MATMUL norm flag): cycles from the MATMUL's request of a word
  // to the normalised word at the NPE's output (buffer read, x * r, fp16, * w, fp16)
  localparam int NpeNormLat = 4;

  // NPE unit pipeline latencies in cycles (input to registered output)
  // BEGIN GENERATED (tools/gen_npe_tables.py): model/npe_units.py LATENCY
  localparam int NpeExpLat = 13;
  localparam int NpeRecipLat = 8;
  localparam int NpeRsqrtLat = 10;
  // END GENERATED

endpackage
