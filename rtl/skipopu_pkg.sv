// SkipOPU shared definitions: instruction format, opcodes, error codes, CSR map, FP16 format.
// Documented in docs/isa.md, docs/csr.md and docs/numerics.md; model/isa.py mirrors this file.

package skipopu_pkg;

  // ---------------------------------------------------------------------------------------------
  // Instruction word (128 bits, little-endian in memory, 16 bytes per instruction)
  //   [7:0]    opcode
  //   [11:8]   port   memory port of LOAD/STORE: 0 = DDR, 1..NUM_HBM = HBM port (port-1)
  //   [15:12]  flags  reserved, must be 0
  //   [31:16]  len    length in global-buffer words (1..65535); 0 is illegal
  //   [63:32]  f0     LOAD/STORE: buffer word address; VADD: destination word address
  //   [95:64]  f1     LOAD/STORE: memory byte address [31:0]; VADD: source 0 word address
  //   [127:96] f2     LOAD/STORE: memory byte address [63:32]; VADD: source 1 word address
  // MMCFG:  len = K, f0 = N, f1 = INT4 scale byte address in DDR, f2[15:0] = INT4 group size
  // MATMUL: flags[0] = INT4 weights, port = weight memory port, len = M,
  //         f0 = {dst word address[15:0], src word address[15:0]}, {f2, f1} = weight address
  // LOAD/VADD flags[0]: RMS statistics of the written rows (NPE snoop)
  // NPECFG: len = D (row words), f0 = eps, f1 = 1/(D*LANES) (FP32), f2 = {snoop stat, HW}
  // RMSSQ: len = M, f0 = src, f1 = stat base; RMSNORM: flags[0] = masked, len = M,
  //   f0 = {dst, src}, f1 = {stat base, weight}, f2 = mask word; SWIGLU: len = out words,
  //   f0 = dst, f1 = src; ROPE: flags[0] = masked, len = M, f0 = {dst, src}, f1 = table,
  //   f2 = mask word. See docs/isa.md.
  // ---------------------------------------------------------------------------------------------
  localparam int InsnW = 128;

  typedef enum logic [7:0] {
    OpNop   = 8'h00,
    OpEnd   = 8'h01,
    OpLoad  = 8'h10,
    OpStore = 8'h11,
    OpKvst  = 8'h12,
    OpKvld  = 8'h13,
    OpKvcfg = 8'h14,
    OpKvrd  = 8'h15,
    OpVadd  = 8'h20,
    OpVscat = 8'h21,
    OpMatmul = 8'h30,
    OpMmcfg = 8'h31,
    OpMmnorm = 8'h32,
    OpAttcfg = 8'h33,
    OpQk    = 8'h34,
    OpPv    = 8'h35,
    OpNpecfg = 8'h40,
    OpRmssq = 8'h41,
    OpRmsnorm = 8'h42,
    OpSwiglu = 8'h43,
    OpRope  = 8'h44,
    OpSmnorm = 8'h45,
    OpSmfeat = 8'h46,
    OpRoute = 8'h50,
    OpArgmax = 8'h51
  } opcode_e;

  typedef struct packed {
    logic [31:0] f2;
    logic [31:0] f1;
    logic [31:0] f0;
    logic [15:0] len;
    logic [3:0]  flags;
    logic [3:0]  port;
    logic [7:0]  opcode;
  } insn_t;

  // ---------------------------------------------------------------------------------------------
  // Error codes (CSR ERR_CODE). The core stops at the first error, drains outstanding AXI
  // transactions and then reports done with the error bit set.
  // ---------------------------------------------------------------------------------------------
  typedef enum logic [7:0] {
    ErrNone         = 8'd0,
    ErrIllegalOp    = 8'd1,   // unknown opcode
    ErrReserved     = 8'd2,   // reserved field (flags, unused operand) not zero
    ErrBadLen       = 8'd3,   // len == 0
    ErrBadPort      = 8'd4,   // port > NUM_HBM
    ErrGbufRange    = 8'd5,   // buffer range outside the global buffer
    ErrMemAlign     = 8'd6,   // memory address not aligned to the data-bus width
    ErrMemRange     = 8'd7,   // memory range outside the AXI address space
    ErrFetchAxi     = 8'd8,   // instruction fetch got SLVERR/DECERR
    ErrDmaRdAxi     = 8'd9,   // DMA read got SLVERR/DECERR
    ErrDmaWrAxi     = 8'd10,  // DMA write got SLVERR/DECERR
    ErrProgOverrun  = 8'd11,  // PROG_LEN instructions executed without END
    ErrBadProg      = 8'd12,  // PROG_LEN == 0, or PROG_BASE not aligned / out of range
    ErrOverlap      = 8'd13,  // VADD destination partially overlaps a source; MATMUL
                              // destination intersects its source
    ErrMmShape      = 8'd14,  // MATMUL dimensions: M > MMAX, K or N not a multiple of the
                              // array size, bad INT4 group size
    ErrNpeShape     = 8'd15,  // NPE row/statistics shape (docs/isa.md)
    ErrNpeMask      = 8'd16,  // ROPE mask with fewer set bits than rows
    ErrRouteShape   = 8'd17,  // ROUTE rows > DATA_W or router pair out of range
    ErrDynLen       = 8'd18,  // dynamic MATMUL/SWIGLU with CNT above its bound (run time)
    ErrKvShape      = 8'd19,  // revision 6: KV entry / layer / token shape
    ErrKvRank       = 8'd20,  // revision 6: KVST ranks beyond the KV region (run time)
    ErrAttShape     = 8'd21,  // revision 6: attention shape (heads, keys, rows)
    ErrKvSeq        = 8'd22   // revision 6: KVLD layers out of order (run time)
  } err_e;

  // ---------------------------------------------------------------------------------------------
  // CSR map (AXI4-Lite, 32-bit registers, byte addresses). See docs/csr.md.
  // ---------------------------------------------------------------------------------------------
  localparam logic [11:0] CsrId        = 12'h000;  // RO  0x534B4F50 "SKOP"
  localparam logic [11:0] CsrVersion   = 12'h004;  // RO  [31:16] major.minor, [15:0] 0
  localparam logic [11:0] CsrConfig    = 12'h008;  // RO  [7:0] NUM_HBM, [15:8] log2(DATA_W/8),
                                                   //     [31:16] log2(GBUF_DEPTH)
  localparam logic [11:0] CsrConfig2   = 12'h00C;  // RO  [7:0] KV_PORTS, [15:8] log2 KV_TOKENS,
                                                   //     [23:16] KV_ENTRY_MAX, [31:24] log2 SMAX_ROWS
  localparam logic [11:0] CsrConfig3   = 12'h02C;  // RO  [7:0] ISA_REV, [15:8] log2 KV_BUF_CAP,
                                                   //     [19:16] KV_BUF_RD, [23:20] KV_BUF_WR
  localparam logic [11:0] CsrCtrl      = 12'h010;  // WO  bit0 start (ignored while busy)
  localparam logic [11:0] CsrStatus    = 12'h014;  // RO  bit0 busy, bit1 done, bit2 error
  localparam logic [11:0] CsrErrCode   = 12'h018;  // RO  err_e of the first error
  localparam logic [11:0] CsrErrPc     = 12'h01C;  // RO  index of the faulting instruction
  localparam logic [11:0] CsrProgLo    = 12'h020;  // RW  program base byte address [31:0]
  localparam logic [11:0] CsrProgHi    = 12'h024;  // RW  program base byte address [63:32]
  localparam logic [11:0] CsrProgLen   = 12'h028;  // RW  program length in instructions
  localparam logic [11:0] CsrIrqEn     = 12'h030;  // RW  bit0 done, bit1 error
  localparam logic [11:0] CsrIrqStatus = 12'h034;  // RW1C bit0 done, bit1 error
  localparam logic [11:0] CsrCyclesLo  = 12'h040;  // RO  busy cycles [31:0] (latches Hi)
  localparam logic [11:0] CsrCyclesHi  = 12'h044;  // RO  latched busy cycles [63:32]
  localparam logic [11:0] CsrInsnCount = 12'h048;  // RO  instructions retired
  localparam logic [11:0] CsrPeCycles  = 12'h04C;  // RO  cycles a word entered the PE array
  localparam logic [11:0] CsrMmCycles  = 12'h050;  // RO  cycles a MATMUL was executing
  localparam logic [11:0] CsrNpeCycles = 12'h054;  // RO  cycles the NPE was busy
  localparam logic [11:0] CsrNpeStall  = 12'h058;  // RO  cycles issue waited for the NPE
  localparam logic [11:0] CsrKvCycles  = 12'h05C;  // RO  cycles a KVLD was executing
  localparam logic [11:0] CsrKvHbmWords = 12'h060; // RO  words the KV unit read from HBM
  localparam logic [11:0] CsrKvBufWords = 12'h064; // RO  words read from the invariance buffer
  localparam logic [11:0] CsrKvKeepWords = 12'h068; // RO words written into the invariance buffer
  localparam logic [11:0] CsrKvRounds  = 12'h06C;  // RO  KV-unit rounds delivered
  localparam logic [11:0] CsrAttCycles = 12'h070;  // RO  cycles QK/SMNORM/SMFEAT/PV executed
  localparam logic [11:0] CsrKvstCycles = 12'h074; // RO  cycles a KVST was executing
  localparam logic [11:0] CsrUnitCycles = 12'h080; // RO  +4u: run cycles attributed to unit
                                                   //     class u (unit_e), u < NumUnits
  localparam logic [11:0] CsrBytesBase = 12'h100;  // RO  per port p (0 = DDR, 1.. = HBM):
                                                   //     +16p: rd lo (latches rd hi, wr lo/hi)
                                                   //     +16p+4: rd hi, +8: wr lo, +12: wr hi

  // Cycle accounting: every busy cycle of a run is attributed to the unit class of the
  // instruction the sequencer waits on, or to UnitIssue (fetch, decode, configuration registers,
  // the start and the drain at the end); the NumUnits counters add up to CYCLES
  typedef enum logic [3:0] {
    UnitIssue   = 4'd0,
    UnitLoad    = 4'd1,   // LOAD
    UnitStore   = 4'd2,   // STORE
    UnitMatmul  = 4'd3,   // MATMUL
    UnitNpe     = 4'd4,   // RMSSQ, RMSNORM, SWIGLU, ROPE
    UnitVector  = 4'd5,   // VADD, VSCAT, ROUTE, ARGMAX
    UnitKvLoad  = 4'd6,   // KVLD, KVRD
    UnitKvStore = 4'd7,   // KVST
    UnitAtt     = 4'd8    // QK, SMNORM, SMFEAT, PV
  } unit_e;
  localparam int NumUnits = 9;

  localparam logic [31:0] IdValue      = 32'h534B_4F50;
  localparam logic [31:0] VersionValue = 32'h0001_0000;

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
