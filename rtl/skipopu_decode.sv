// Instruction decoder: splits an instruction word into fields, classifies it by executing unit
// and checks it against the core's configuration. Purely combinational. Every opcode's checks
// fall into the steps of one order (docs/isa.md "Errors"; the first failing step wins):
//   ILLEGAL_OP, RESERVED, BAD_LEN, BAD_PORT, shape (MM/NPE/ROUTE/KV/ATT_SHAPE), GBUF_RANGE,
//   OVERLAP, MEM_ALIGN, MEM_RANGE
// mirrored by model/isa.py: Insn.check().

module skipopu_decode
  import skipopu_pkg::*;
#(
  // Number of HBM AXI ports (valid LOAD/STORE ports are 0..NUM_HBM)
  parameter int NUM_HBM = 4,
  // Data width of the memory AXI ports and of a global-buffer word, in bits
  parameter int DATA_W = 256,
  // Global buffer depth in words
  parameter int GBUF_DEPTH = 4096,
  // AXI address width in bits (size of every memory's address space)
  parameter int ADDR_W = 34,
  // Largest MATMUL M (rows held in PSUM)
  parameter int MMAX = 64,
  // NPE statistics RAM rows
  parameter int NPE_ROWS = 256,
  // HBM ports holding the KV cache (a power of 2)
  parameter int KV_PORTS = 4,
  // KV staging buffer entries (a power of 2)
  parameter int KV_TOKENS = 64,
  // Largest KV entry in words (a power of 2)
  parameter int KV_ENTRY_MAX = 16,
  // Softmax feature rows
  parameter int SMAX_ROWS = 256,
  // PE-array columns (a multiple of DATA_W/16): MATMUL N is a multiple of it, and it sets the
  // chunk of the operand streams (an INT4 tile, DATA_W/16 x NCOL x 4 bits)
  parameter int NCOL = 32,
  // INT4 groups per column tile the MATMUL engine holds
  parameter int MM_SCALE_ROWS = 64
) (
  input  logic [InsnW-1:0] insn_i,
  // MATMUL configuration (MMCFG registers)
  input  logic [15:0]      mm_k_i,
  input  logic [31:0]      mm_n_i,
  input  logic [15:0]      mm_group_i,
  // NPE configuration (NPECFG registers)
  input  logic [15:0]      npe_d_i,
  input  logic [15:0]      npe_hw_i,
  input  logic [15:0]      npe_snoop_i,
  // Fused MATMUL normalisation (MMNORM registers): residual rows, residual base, weight,
  // statistics base, mask word
  input  logic [15:0]      mn_n_i,
  input  logic [15:0]      mn_x_i,
  input  logic [15:0]      mn_w_i,
  input  logic [15:0]      mn_stat_i,
  input  logic [15:0]      mn_mask_i,
  // KVCFG registers (entry words, region offset, layers) and ATTCFG registers (keys, heads,
  // KV heads, words per head, Q row stride, score area, causal)
  input  logic [15:0]      kv_e_i,
  input  logic [31:0]      kv_off_i,
  input  logic [7:0]       kv_layers_i,
  input  logic [15:0]      att_nk_i,
  input  logic [7:0]       att_h_i,
  input  logic [7:0]       att_kvh_i,
  input  logic [7:0]       att_hw_i,
  input  logic [7:0]       att_qs_i,
  input  logic [31:0]      att_sbase_i,
  input  logic             att_causal_i,

  output logic             is_nop_o,
  output logic             is_end_o,
  output logic             is_load_o,
  output logic             is_store_o,
  output logic             is_vadd_o,
  output logic             is_mmcfg_o,
  output logic             is_mmnorm_o,
  output logic             is_matmul_o,
  output logic             is_npecfg_o,
  output logic             is_npe_o,     // RMSSQ, RMSNORM, SWIGLU, ROPE
  output logic             is_vscat_o,
  output logic             is_route_o,
  output logic             is_argmax_o,
  output logic             is_kvcfg_o,
  output logic             is_attcfg_o,
  output logic             is_kvx_o,     // KV unit: KVST, KVLD, KVRD
  output logic             is_att_o,     // attention unit: QK, SMNORM, SMFEAT, PV
  output logic             is_wfetch_o,
  output logic [31:0]      chunks_o,     // MATMUL / WFETCH: chunks of the operand stream
  output logic             dyn_o,        // MATMUL/SWIGLU: length from CNT
  output logic             compact_o,    // RMSNORM masked: compact destination rows;
                                         // MATMUL: norm (fused RMSNorm of the MMNORM rows)
  output npe_op_e          npe_op_o,
  output logic             stats_o,      // LOAD/VADD with the RMS statistics flag
  output logic [3:0]       port_o,
  output logic [3:0]       flags_o,      // the flag bits (index with Flag* of skipopu_pkg)
  output logic [15:0]      len_o,
  output logic [31:0]      gb_addr_o,    // LOAD/STORE buffer address, VADD destination
  output logic [31:0]      src0_o,       // VADD source 0
  output logic [31:0]      src1_o,       // VADD source 1
  output logic [63:0]      mem_addr_o,   // LOAD/STORE byte address
  output logic [7:0]       err_o         // err_e, ErrNone when legal
);

  localparam int BeatBytes = DATA_W / 8;
  localparam int BeatShift = $clog2(BeatBytes);
  localparam int Kdim = DATA_W / 16;              // PE-array rows (LANES)
  localparam int KShift = $clog2(Kdim);
  localparam int NShift = $clog2(NCOL);
  localparam int ChunkWords = NCOL / 4;            // DATA_W-bit words per chunk
  localparam int GpcShift = $clog2(Kdim / 4);      // INT4 groups per scale chunk: KDIM/4
  localparam int PcShift = 28;                     // one HBM pseudo-channel (docs/memory-map.md)

  insn_t insn;
  assign insn = insn_i;

  assign port_o     = insn.port;
  assign flags_o    = insn.flags;
  assign len_o      = insn.len;
  assign gb_addr_o  = insn.f0;
  assign src0_o     = insn.f1;
  assign src1_o     = insn.f2;
  assign mem_addr_o = {insn.f2, insn.f1};

  // A buffer range [base, base + len) inside [0, GBUF_DEPTH)
  function automatic logic gb_in_range(logic [31:0] base, logic [15:0] len);
    logic [33:0] last;
    last = 34'(base) + 34'(len);
    return last <= 34'(GBUF_DEPTH);
  endfunction

  // Two equal-length ranges that intersect without starting at the same word
  function automatic logic partial_overlap(logic [31:0] a, logic [31:0] b, logic [15:0] len);
    logic [32:0] a_end, b_end;
    a_end = 33'(a) + 33'(len);
    b_end = 33'(b) + 33'(len);
    return (a != b) && (33'(a) < b_end) && (33'(b) < a_end);
  endfunction

  logic [63:0] mem_end;
  logic        mem_hi_bits;
  logic        mem_misaligned;
  logic        mem_out_of_range;

  assign mem_end = mem_addr_o + (64'(len_o) << BeatShift);
  assign mem_hi_bits = |(mem_addr_o >> ADDR_W);
  assign mem_misaligned = |mem_addr_o[BeatShift-1:0];
  assign mem_out_of_range = mem_hi_bits || (mem_end > (64'd1 << ADDR_W));

  // MATMUL shape, ranges and operand stream (docs/isa.md "MATMUL operand stream"): for every
  // column tile, INT4: ceil(groups / (KDIM/4)) scale chunks and K/KDIM tile chunks; FP16:
  // 4 chunks per tile; striped over the NUM_HBM ports from the same offset `base` in each
  logic        mm_int4;
  logic [4:0]  g_log2;
  logic        g_pow2, shape_bad;
  logic [15:0] src_w, dst_w;
  logic [31:0] src_n, dst_n, mm_groups, mm_sb, mm_chunks, st_chunks;
  logic [63:0] st_words, st_end;
  logic [16:0] src_end, dst_end;

  always_comb begin
    mm_int4 = insn.flags[FlagInt4];
    g_log2  = '0;
    for (int i = 0; i < 16; i++) begin
      if (mm_group_i[i]) g_log2 = 5'(i);
    end
    g_pow2 = (mm_group_i != '0) && ((mm_group_i & (mm_group_i - 16'd1)) == '0);
    mm_groups = 32'(mm_k_i) >> g_log2;
    shape_bad = (32'(insn.len) > MMAX) || (mm_k_i < 16'(Kdim)) || (mm_k_i[KShift-1:0] != '0) ||
                (mm_n_i < 32'(NCOL)) || (mm_n_i[NShift-1:0] != '0) || (mm_n_i[31:16] != '0) ||
                (mm_int4 && (!g_pow2 || mm_group_i < 16'(Kdim) || mm_group_i > mm_k_i ||
                             ((mm_k_i & (mm_group_i - 16'd1)) != '0) ||
                             (mm_groups > 32'(MM_SCALE_ROWS))));
    src_w   = insn.f0[15:0];
    dst_w   = insn.f0[31:16];
    src_n   = 32'(insn.len) * 32'(mm_k_i >> KShift);
    dst_n   = 32'(insn.len) * 32'(mm_n_i[15:0] >> KShift);
    mm_sb   = (mm_groups + 32'(Kdim / 4) - 32'd1) >> GpcShift;
    mm_chunks = 32'(mm_n_i[15:0] >> NShift) *
                (mm_int4 ? mm_sb + 32'(mm_k_i >> KShift) : 32'(mm_k_i >> KShift) << 2);
    src_end = 17'(src_w) + 17'(src_n);
    dst_end = 17'(dst_w) + 17'(dst_n);
    // the stream's words per port: chunks * CHUNK_WORDS / NUM_HBM, from base in every PC
    st_chunks = (insn.opcode == 8'(OpWfetch)) ? 32'(insn.len) : mm_chunks;
    st_words  = 64'(st_chunks) * 64'(ChunkWords / NUM_HBM);
    st_end    = mem_addr_o + (st_words << BeatShift);
  end
  assign chunks_o = st_chunks;

  // stream ranges: base and its end inside one pseudo-channel, the last port's PC addressable
  logic st_mrange;
  assign st_mrange = (mem_addr_o >= (64'd1 << PcShift)) || (st_end > (64'd1 << PcShift)) ||
                     ((64'(NUM_HBM - 1) << PcShift) + st_end > (64'd1 << ADDR_W));

  // ---- NPE: statistics flag and NPE instruction checks (model/isa.py: _check_npe) -----------
  // (the helpers below also serve the fused MATMUL checks)
  function automatic logic rng_bad(logic [31:0] base, logic [33:0] n);
    return (34'(base) + n) > 34'(GBUF_DEPTH);
  endfunction

  function automatic logic meet(logic [31:0] a, logic [33:0] na, logic [31:0] b,
                                logic [33:0] nb);
    return (34'(a) < 34'(b) + nb) && (34'(b) < 34'(a) + na);
  endfunction

  logic        snoop_bad;
  logic [33:0] rows_d;          // len * D
  logic        npe_masked, npe_resv, npe_shape, npe_range, npe_overlap, port_set;
  logic [31:0] n_lo, n_hi, n_aux, n_aux_hi, n_mask;

  assign port_set = (insn.port != '0);

  assign stats_o   = insn.flags[FlagStats];
  assign dyn_o     = insn.flags[FlagDyn];
  assign compact_o = insn.flags[FlagCompact];    // = FlagNorm of MATMUL
  assign snoop_bad = (npe_d_i == '0) || ((insn.len % npe_d_i) != '0) ||
                     ((32'(npe_snoop_i) + 32'(insn.len / npe_d_i)) > 32'(NPE_ROWS));

  // Continuous assigns, each signal driven once: Icarus 11 loops forever on an always_comb
  // that writes a variable twice with different values in one pass
  logic op_rmssq, op_rmsnorm, op_swiglu, op_rope;
  assign op_rmssq   = (insn.opcode == 8'(OpRmssq));
  assign op_rmsnorm = (insn.opcode == 8'(OpRmsnorm));
  assign op_swiglu  = (insn.opcode == 8'(OpSwiglu));
  assign op_rope    = (insn.opcode == 8'(OpRope));
  assign npe_op_o   = op_rmsnorm ? NpeRmsnorm : op_swiglu ? NpeSwiglu : op_rope ? NpeRope :
                      NpeRmssq;
  assign npe_masked = insn.flags[FlagMask];
  assign n_lo       = {16'd0, insn.f0[15:0]};
  assign n_hi       = {16'd0, insn.f0[31:16]};
  assign n_aux      = {16'd0, insn.f1[15:0]};
  assign n_aux_hi   = {16'd0, insn.f1[31:16]};
  assign n_mask     = insn.f2;
  assign rows_d     = 34'(insn.len) * 34'(npe_d_i);
  // SWIGLU words: len, or Mmax * R with the dyn flag (len = R words per row, f2[15:0] = Mmax)
  logic        sw_dyn;
  logic [33:0] sw_n;
  assign sw_dyn = insn.flags[FlagDyn];
  assign sw_n   = sw_dyn ? 34'(insn.len) * 34'(insn.f2[15:0]) : 34'(insn.len);

  // reserved operand bits (the flag bits and the port are checked for every opcode below)
  assign npe_resv =
      (op_rmssq && ((insn.f2 != '0) || (insn.f1[31:16] != '0))) ||
      (op_swiglu && ((sw_dyn ? (insn.f2[31:16] != '0) : (insn.f2 != '0)) ||
                     (insn.f0[31:16] != '0) || (insn.f1[31:16] != '0))) ||
      (op_rmsnorm && ((insn.flags[FlagCompact] && !insn.flags[FlagMask]) ||
                      (insn.f2[31:16] != '0)));

  // VSCAT: rows of D words, at most DATA_W rows (one mask word), statistics of len rows
  logic vs_shape;
  assign vs_shape = (npe_d_i == '0) || (32'(insn.len) > DATA_W) ||
                    (insn.flags[FlagStats] && (32'(npe_snoop_i) + 32'(insn.len) > 32'(NPE_ROWS)));

  assign npe_shape =
      (op_rmssq && ((npe_d_i == '0) || (32'(insn.f1) + 32'(insn.len) > 32'(NPE_ROWS)))) ||
      (op_rmsnorm && ((npe_d_i == '0) || (npe_masked && 32'(insn.len) > DATA_W) ||
                      (n_aux_hi + 32'(insn.len) > 32'(NPE_ROWS))));

  assign npe_range =
      (op_rmssq && rng_bad(insn.f0, rows_d)) ||
      (op_swiglu && (rng_bad(insn.f0, sw_n) || rng_bad(insn.f1, sw_n << 1))) ||
      (op_rmsnorm && (rng_bad(n_lo, rows_d) || rng_bad(n_hi, rows_d) ||
                      rng_bad(n_aux, 34'(npe_d_i)) || (npe_masked && rng_bad(n_mask, 34'd1))));

  assign npe_overlap =
      (op_swiglu && (insn.f0 != insn.f1) && meet(insn.f0, sw_n, insn.f1, sw_n << 1)) ||
      (op_rmsnorm && (((n_lo != n_hi) && meet(n_hi, rows_d, n_lo, rows_d)) ||
                      meet(n_hi, rows_d, n_aux, 34'(npe_d_i)) ||
                      (npe_masked && meet(n_hi, rows_d, n_mask, 34'd1))));

  // ---- MATMUL norm flag: the fused normalisation's shape, ranges, overlaps -----------------
  // X = [src, src_n) normalised rows, Y = [dst, dst_n), R = residual n*D words at x,
  // W = weight D words, K = mask word
  logic        mm_norm, mn_shape, mn_range, mn_overlap;
  logic [33:0] mn_rows, mm_src_n34, mm_dst_n34;
  logic [31:0] mn_x, mn_w, mn_mask, mm_src32, mm_dst32;
  assign mm_norm    = insn.flags[FlagNorm];
  assign mn_rows    = 34'(mn_n_i) * 34'(npe_d_i);
  assign mn_x       = {16'd0, mn_x_i};
  assign mn_w       = {16'd0, mn_w_i};
  assign mn_mask    = {16'd0, mn_mask_i};
  assign mm_src32   = {16'd0, src_w};
  assign mm_dst32   = {16'd0, dst_w};
  assign mm_src_n34 = 34'(src_n);
  assign mm_dst_n34 = 34'(dst_n);
  assign mn_shape   = (npe_d_i == '0) || ((32'(npe_d_i) << KShift) != 32'(mm_k_i)) ||
                      (32'(mn_n_i) > DATA_W) || (32'(mn_stat_i) + 32'(mn_n_i) > 32'(NPE_ROWS));
  assign mn_range   = rng_bad(mn_x, mn_rows) || rng_bad(mn_w, 34'(npe_d_i)) ||
                      rng_bad(mn_mask, 34'd1);
  assign mn_overlap = ((mm_src32 != mn_x) && meet(mm_src32, mm_src_n34, mn_x, mn_rows)) ||
                      meet(mm_src32, mm_src_n34, mn_w, 34'(npe_d_i)) ||
                      meet(mm_src32, mm_src_n34, mn_mask, 34'd1) ||
                      meet(mm_dst32, mm_dst_n34, mn_x, mn_rows) ||
                      meet(mm_dst32, mm_dst_n34, mn_w, 34'(npe_d_i)) ||
                      meet(mm_dst32, mm_dst_n34, mn_mask, 34'd1);

  // ---- KV and attention (model/isa.py: Insn._check_kv_att, Insn._check_rope) ---------------
  localparam int Ncol = DATA_W / 16;
  localparam int NcolShift = $clog2(Ncol);
  localparam int KvPortShift = $clog2(KV_PORTS);
  localparam int KvSlots = KV_TOKENS / KV_PORTS;

  // fields of the KV and attention ops (each signal driven once, Icarus rule)
  logic [15:0] r6_lo, r6_hi, r6_f1lo;
  logic [7:0]  r6_layer, r6_stride8, r6_g0, r6_ng;
  assign r6_lo      = insn.f0[15:0];
  assign r6_hi      = insn.f0[31:16];
  assign r6_f1lo    = insn.f1[15:0];
  assign r6_layer   = insn.f1[23:16];
  assign r6_stride8 = insn.f1[31:24];
  assign r6_g0      = insn.f1[23:16];
  assign r6_ng      = insn.f1[31:24];

  // KVCFG
  logic        kc_rsv, kc_len, kc_shape, kc_align, kc_range;
  logic [63:0] kc_region;
  assign kc_rsv    = (insn.f1[31:8] != '0) || (insn.f2 != '0);
  assign kc_len    = (insn.len == '0) || (insn.f1[7:0] == '0);
  assign kc_shape  = ((insn.len & (insn.len - 16'd1)) != '0) || (32'(insn.len) > KV_ENTRY_MAX) ||
                     (insn.flags[FlagInterleaved] && ((32'(insn.len) % KV_PORTS) != 0));
  assign kc_align  = (insn.f0[11:0] != '0);
  assign kc_region = 64'(insn.f1[7:0]) * 64'(KvSlots) * 64'(insn.len) * 64'(BeatBytes);
  assign kc_range  = (64'(insn.f0) + kc_region > (64'd1 << 28)) ||
                     ((64'(KV_PORTS - 1) << 28) + 64'(insn.f0) + kc_region > (64'd1 << ADDR_W));

  // KVST
  logic        ks_rsv, ks_shape, ks_range;
  logic [15:0] ks_stride;
  assign ks_stride = (r6_stride8 != '0) ? 16'(r6_stride8) : kv_e_i;
  assign ks_rsv    = (insn.f2[31:16] != '0);
  assign ks_shape  = (kv_e_i == '0) || (32'(insn.len) > DATA_W) || (r6_layer >= kv_layers_i) ||
                     ((r6_stride8 != '0) && (16'(r6_stride8) < kv_e_i)) ||
                     (32'(insn.f2[15:0]) + 32'(insn.len) > KV_TOKENS);
  assign ks_range  = rng_bad({16'd0, r6_lo}, 34'(insn.len - 16'd1) * 34'(ks_stride) +
                                             34'(kv_e_i)) ||
                     (!insn.flags[FlagAll] && rng_bad({16'd0, r6_hi}, 34'd1)) ||
                     (!insn.flags[FlagNohist] && rng_bad({16'd0, r6_f1lo}, 34'd1));

  // KVLD
  logic        kl_rsv, kl_shape, kl_range;
  assign kl_rsv   = (insn.flags[FlagAttend] && insn.flags[FlagDyn]) ||
                    (insn.f1[31:8] != '0) || (insn.f2 != '0);
  assign kl_shape = (kv_e_i == '0) || (32'(insn.len) >= KV_TOKENS) ||
                    (insn.f1[7:0] >= kv_layers_i);
  assign kl_range = rng_bad({16'd0, r6_lo}, 34'd1) ||
                    ((9'(insn.f1[7:0]) + 9'd1 < 9'(kv_layers_i)) && rng_bad({16'd0, r6_hi}, 34'd1));

  // KVRD
  logic        kr_rsv, kr_shape, kr_range;
  assign kr_rsv   = (insn.f1[31:16] != '0) || (insn.f2 != '0);
  assign kr_shape = (kv_e_i == '0) || (32'(r6_f1lo) + 32'(insn.len) > KV_TOKENS);
  assign kr_range = rng_bad(insn.f0, 34'(insn.len) * 34'(kv_e_i));

  // ARGMAX
  logic        am_rsv, am_shape, am_range, am_overlap;
  assign am_rsv     = (insn.f1 != '0) || (insn.f2 != '0);
  assign am_shape   = (32'(insn.len) * Ncol > 65536);
  assign am_range   = rng_bad({16'd0, r6_lo}, 34'(insn.len)) || rng_bad({16'd0, r6_hi}, 34'd1);
  assign am_overlap = (r6_lo <= r6_hi) && (17'(r6_hi) < 17'(r6_lo) + 17'(insn.len));

  // QK / SMNORM / SMFEAT / PV
  // rep = H / KVH when KVH divides H with a power-of-2 quotient (else 0)
  function automatic logic [8:0] att_rep(logic [7:0] h, logic [7:0] kvh);
    logic [8:0] r;
    r = '0;
    for (int sh = 7; sh >= 0; sh--) begin
      if (kvh != '0 && (16'(kvh) << sh) == 16'(h)) r = 9'(1) << sh;
    end
    return r;
  endfunction

  logic        op_qk, op_smn, op_smf, op_pv, at_feat, at_rsv, at_shape, at_range, at_overlap;
  logic        at_align, at_mrange, at_causal;
  logic [8:0]  at_rep;
  logic [7:0]  at_groups;
  logic [33:0] at_rows, at_words, at_q_end, at_o_n;
  logic [15:0] at_nt;
  assign op_qk      = (insn.opcode == 8'(OpQk));
  assign op_smn     = (insn.opcode == 8'(OpSmnorm));
  assign op_smf     = (insn.opcode == 8'(OpSmfeat));
  assign op_pv      = (insn.opcode == 8'(OpPv));
  assign at_rep     = att_rep(att_h_i, att_kvh_i);
  assign at_groups  = (r6_ng != '0) ? r6_ng : att_kvh_i;
  assign at_rows    = 34'(at_groups) * 34'(at_rep) * 34'(insn.len);
  assign at_nt      = 16'((32'(att_nk_i) + Ncol - 1) >> NcolShift);
  assign at_words   = 34'(at_nt) * at_rows;
  assign at_feat    = !op_pv && !(op_qk && insn.flags[FlagNofeat]);
  assign at_causal  = att_causal_i && !op_pv;
  assign at_rsv     = (insn.f2[31:16] != '0) || (op_smf && (r6_lo != '0));
  assign at_shape   = (att_h_i == '0) || (att_hw_i == '0) || (at_rep == '0) ||
                      (att_nk_i == '0) || (32'(att_nk_i) > KV_TOKENS) ||
                      (16'(att_qs_i) < 16'(att_h_i) * 16'(att_hw_i)) || (kv_e_i == '0) ||
                      (32'(att_kvh_i) * 32'(att_hw_i) * 2 > 32'(kv_e_i)) ||
                      (9'(r6_g0) + 9'(at_groups) > 9'(att_kvh_i)) ||
                      (32'(at_rep) * 32'(insn.len) > MMAX) ||
                      (at_feat && (34'(r6_f1lo) + at_rows > 34'(SMAX_ROWS))) ||
                      (!op_pv && att_causal_i && (32'(insn.f2[15:0]) + 32'(insn.len) > DATA_W)) ||
                      (op_pv && (r6_f1lo < 16'(att_h_i) * 16'(att_hw_i)));
  assign at_q_end   = (34'(insn.f2[15:0]) + 34'(insn.len) - 34'd1) * 34'(att_qs_i) +
                      34'(att_h_i) * 34'(att_hw_i);
  assign at_o_n     = (34'(insn.f2[15:0]) + 34'(insn.len) - 34'd1) * 34'(r6_f1lo) +
                      34'(att_h_i) * 34'(att_hw_i);
  assign at_range   = op_qk ? (rng_bad({16'd0, r6_lo}, at_q_end) ||
                               (at_causal && rng_bad({16'd0, r6_hi}, 34'd1))) :
                      op_pv ? (rng_bad({16'd0, r6_lo}, at_words) ||
                               rng_bad({16'd0, r6_hi}, at_o_n)) :
                              ((op_smn && rng_bad({16'd0, r6_lo}, at_words)) ||
                               (at_causal && rng_bad({16'd0, r6_hi}, 34'd1)));
  assign at_overlap = op_pv ? meet({16'd0, r6_lo}, at_words, {16'd0, r6_hi}, at_o_n) :
                      (op_smn && at_causal && meet({16'd0, r6_lo}, at_words, {16'd0, r6_hi},
                                                   34'd1));
  assign at_align   = !op_pv && (att_sbase_i[BeatShift-1:0] != '0);
  assign at_mrange  = !op_pv && ((64'(att_sbase_i) + (64'(at_words) << BeatShift)) >
                                 (64'd1 << ADDR_W));

  // ROPE: f1 = {stride, words, table}, flags[0] = mask, flags[3] = dyn
  logic        rp6_rsv, rp6_shape, rp6_range, rp6_overlap;
  logic [15:0] rp6_w, rp6_st, rp6_wrem;
  logic [33:0] rp6_span, rp6_tab;
  assign rp6_w       = (insn.f1[23:16] != '0) ? 16'(insn.f1[23:16]) : npe_d_i;
  assign rp6_st      = (insn.f1[31:24] != '0) ? 16'(insn.f1[31:24]) : rp6_w;
  assign rp6_wrem    = (npe_hw_i == '0) ? 16'd1 : (rp6_w % npe_hw_i);
  assign rp6_span    = 34'(insn.len - 16'd1) * 34'(rp6_st) + 34'(rp6_w);
  assign rp6_tab     = 34'(npe_masked ? 16'(DATA_W) : insn.len) * 34'(npe_hw_i);
  assign rp6_rsv     = (insn.f2[31:16] != '0);
  assign rp6_shape   = (rp6_w == '0) || (npe_hw_i == '0) || (rp6_wrem != '0) ||
                       (rp6_st < rp6_w) || (npe_masked && 32'(insn.len) > DATA_W);
  assign rp6_range   = rng_bad(n_lo, rp6_span) || rng_bad(n_hi, rp6_span) ||
                       rng_bad(n_aux, rp6_tab) || (npe_masked && rng_bad(n_mask, 34'd1));
  assign rp6_overlap = ((n_lo != n_hi) && meet(n_hi, rp6_span, n_lo, rp6_span)) ||
                       meet(n_hi, rp6_span, n_aux, rp6_tab) ||
                       (npe_masked && meet(n_hi, rp6_span, n_mask, 34'd1));

  // ROUTE: logits rows S = f2[7:0] words apart (0 = 1): (len - 1) * S + 1 words
  logic [33:0] rt_span;
  assign rt_span = (insn.len == '0) ? 34'd0 :
                   34'(insn.len - 16'd1) * 34'((insn.f2[7:0] == '0) ? 8'd1 : insn.f2[7:0]) + 34'd1;

  logic unused_kv;
  assign unused_kv = ^{kv_off_i, KvPortShift[0]};

  // ---- the checks of the opcode, one term per step of the order ----------------------------
  // Common to every opcode: a flag bit the opcode does not define, or a port where there is no
  // memory port (every opcode but LOAD and STORE; MATMUL and WFETCH streams are striped over
  // every HBM port), is RESERVED
  logic mem_op, c_rsv_common;
  assign mem_op       = (insn.opcode == 8'(OpLoad)) || (insn.opcode == 8'(OpStore));
  assign c_rsv_common = ((insn.flags & ~known_flags(insn.opcode)) != '0) || (port_set && !mem_op);

  logic       c_ill, c_rsv, c_len, c_port, c_shape, c_range, c_overlap, c_align, c_mrange;
  logic [7:0] c_shape_err;
  always_comb begin
    is_nop_o    = 1'b0;
    is_end_o    = 1'b0;
    is_load_o   = 1'b0;
    is_store_o  = 1'b0;
    is_vadd_o   = 1'b0;
    is_mmcfg_o  = 1'b0;
    is_mmnorm_o = 1'b0;
    is_matmul_o = 1'b0;
    is_npecfg_o = 1'b0;
    is_npe_o    = 1'b0;
    is_vscat_o  = 1'b0;
    is_route_o  = 1'b0;
    is_argmax_o = 1'b0;
    is_kvcfg_o  = 1'b0;
    is_attcfg_o = 1'b0;
    is_kvx_o    = 1'b0;
    is_att_o    = 1'b0;
    is_wfetch_o = 1'b0;
    c_ill       = 1'b0;
    c_rsv       = 1'b0;
    c_len       = insn.len == '0;
    c_port      = 1'b0;
    c_shape     = 1'b0;
    c_shape_err = 8'(ErrNpeShape);
    c_range     = 1'b0;
    c_overlap   = 1'b0;
    c_align     = 1'b0;
    c_mrange    = 1'b0;
    unique case (insn.opcode)
      8'(OpNop), 8'(OpEnd): begin
        is_nop_o = (insn.opcode == 8'(OpNop));
        is_end_o = (insn.opcode == 8'(OpEnd));
        c_rsv    = (insn_i[InsnW-1:8] != '0);
        c_len    = 1'b0;
      end
      8'(OpLoad), 8'(OpStore): begin
        is_load_o  = (insn.opcode == 8'(OpLoad));
        is_store_o = (insn.opcode == 8'(OpStore));
        c_port     = (32'(insn.port) > NUM_HBM);
        c_shape    = insn.flags[FlagStats] && snoop_bad;
        c_range    = !gb_in_range(insn.f0, insn.len);
        c_align    = mem_misaligned;
        c_mrange   = mem_out_of_range;
      end
      8'(OpVadd): begin
        is_vadd_o = 1'b1;
        c_shape   = insn.flags[FlagStats] && snoop_bad;
        c_range   = !gb_in_range(insn.f0, insn.len) || !gb_in_range(insn.f1, insn.len) ||
                    !gb_in_range(insn.f2, insn.len);
        c_overlap = partial_overlap(insn.f0, insn.f1, insn.len) ||
                    partial_overlap(insn.f0, insn.f2, insn.len);
      end
      8'(OpMmcfg): begin
        is_mmcfg_o = 1'b1;
        c_rsv      = (insn.f1 != '0) || (insn.f2[31:16] != '0);
        c_len      = 1'b0;
      end
      8'(OpMmnorm): begin
        is_mmnorm_o = 1'b1;
        c_rsv       = (insn.f2 != '0);
        c_len       = 1'b0;
      end
      8'(OpMatmul): begin
        is_matmul_o = 1'b1;
        c_rsv       = mm_norm && !insn.flags[FlagDyn];
        c_len       = (insn.len == '0) || (mm_norm && mn_n_i == '0);
        c_shape     = shape_bad || (mm_norm && mn_shape);
        c_shape_err = shape_bad ? 8'(ErrMmShape) : 8'(ErrNpeShape);
        c_range     = src_n > 32'(GBUF_DEPTH) || dst_n > 32'(GBUF_DEPTH) ||
                      src_end > 17'(GBUF_DEPTH) || dst_end > 17'(GBUF_DEPTH) ||
                      (mm_norm && mn_range);
        c_overlap   = ((17'(src_w) < dst_end) && (17'(dst_w) < src_end)) ||
                      (mm_norm && mn_overlap);
        c_align     = mem_misaligned;
        c_mrange    = st_mrange;
      end
      8'(OpWfetch): begin
        is_wfetch_o = 1'b1;
        c_rsv       = !insn.flags[FlagMasked] && (insn.f0 != '0);
        c_shape     = insn.flags[FlagMasked] && ((insn.f0[31:16] == '0) ||
                                                 (32'(insn.f0[31:16]) > DATA_W));
        c_shape_err = 8'(ErrMmShape);
        c_range     = insn.flags[FlagMasked] && rng_bad(n_lo, 34'd1);
        c_align     = mem_misaligned;
        c_mrange    = st_mrange;
      end
      8'(OpNpecfg): is_npecfg_o = 1'b1;
      8'(OpRmssq), 8'(OpRmsnorm), 8'(OpSwiglu): begin
        is_npe_o  = 1'b1;
        c_rsv     = npe_resv;
        c_len     = (insn.len == '0) || (op_swiglu && sw_dyn && insn.f2[15:0] == '0);
        c_shape   = npe_shape;
        c_range   = npe_range;
        c_overlap = npe_overlap;
      end
      8'(OpRope): begin
        is_npe_o  = 1'b1;
        c_rsv     = rp6_rsv;
        c_shape   = rp6_shape;
        c_range   = rp6_range;
        c_overlap = rp6_overlap;
      end
      8'(OpVscat): begin
        is_vscat_o = 1'b1;
        c_shape    = vs_shape;
        c_range    = rng_bad(insn.f0, rows_d) || rng_bad(insn.f1, rows_d) ||
                     rng_bad(insn.f2, 34'd1);
        c_overlap  = meet(insn.f0, rows_d, insn.f1, rows_d) ||
                     meet(insn.f2, 34'd1, insn.f0, rows_d) ||
                     meet(insn.f2, 34'd1, insn.f1, rows_d);
      end
      8'(OpRoute): begin
        is_route_o  = 1'b1;
        c_rsv       = (insn.f2[31:8] != '0);
        c_shape     = (32'(insn.len) > DATA_W) || (32'(insn.f1[15:0]) >= DATA_W / 32);
        c_shape_err = 8'(ErrRouteShape);
        c_range     = rng_bad(n_lo, rt_span) || rng_bad(n_aux_hi, 34'd1) ||
                      rng_bad(n_hi, 34'd1);
        c_overlap   = meet(n_hi, 34'd1, n_lo, rt_span) || (n_hi == n_aux_hi);
      end
      8'(OpArgmax): begin
        is_argmax_o = 1'b1;
        c_rsv       = am_rsv;
        c_shape     = am_shape;
        c_shape_err = 8'(ErrRouteShape);
        c_range     = am_range;
        c_overlap   = am_overlap;
      end
      8'(OpKvcfg): begin
        is_kvcfg_o  = 1'b1;
        c_rsv       = kc_rsv;
        c_len       = kc_len;
        c_shape     = kc_shape;
        c_shape_err = 8'(ErrKvShape);
        c_align     = kc_align;
        c_mrange    = kc_range;
      end
      8'(OpAttcfg): begin
        is_attcfg_o = 1'b1;
        c_rsv       = (insn.f2 != '0);
        c_len       = 1'b0;
      end
      8'(OpKvst): begin
        is_kvx_o    = 1'b1;
        c_rsv       = ks_rsv;
        c_shape     = ks_shape;
        c_shape_err = 8'(ErrKvShape);
        c_range     = ks_range;
      end
      8'(OpKvld): begin
        is_kvx_o    = 1'b1;
        c_rsv       = kl_rsv;
        c_shape     = kl_shape;
        c_shape_err = 8'(ErrKvShape);
        c_range     = kl_range;
      end
      8'(OpKvrd): begin
        is_kvx_o    = 1'b1;
        c_rsv       = kr_rsv;
        c_shape     = kr_shape;
        c_shape_err = 8'(ErrKvShape);
        c_range     = kr_range;
      end
      8'(OpQk), 8'(OpSmnorm), 8'(OpSmfeat), 8'(OpPv): begin
        is_att_o    = 1'b1;
        c_rsv       = at_rsv;
        c_shape     = at_shape;
        c_shape_err = 8'(ErrAttShape);
        c_range     = at_range;
        c_overlap   = at_overlap;
        c_align     = at_align;
        c_mrange    = at_mrange;
      end
      default: c_ill = 1'b1;
    endcase
  end

  assign err_o = c_ill                  ? 8'(ErrIllegalOp) :
                 (c_rsv_common || c_rsv) ? 8'(ErrReserved) :
                 c_len                  ? 8'(ErrBadLen) :
                 c_port                 ? 8'(ErrBadPort) :
                 c_shape                ? c_shape_err :
                 c_range                ? 8'(ErrGbufRange) :
                 c_overlap              ? 8'(ErrOverlap) :
                 c_align                ? 8'(ErrMemAlign) :
                 c_mrange               ? 8'(ErrMemRange) : 8'(ErrNone);

endmodule
