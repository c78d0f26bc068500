// Instruction decoder: splits an instruction word into fields and checks it against the core's
// configuration. Purely combinational. The check order (first failing check wins) is part of the
// ISA (docs/isa.md) and is mirrored by model/isa.py:check().

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
  parameter int NPE_ROWS = 256
) (
  input  logic [InsnW-1:0] insn_i,
  // MATMUL configuration (MMCFG registers)
  input  logic [15:0]      mm_k_i,
  input  logic [31:0]      mm_n_i,
  input  logic [31:0]      mm_scale_i,
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
  output logic             dyn_o,        // MATMUL/SWIGLU: length from CNT
  output logic             compact_o,    // RMSNORM masked: compact destination rows;
                                         // MATMUL: norm (fused RMSNorm of the MMNORM rows)
  output npe_op_e          npe_op_o,
  output logic             stats_o,      // LOAD/VADD with the RMS statistics flag
  output logic [3:0]       port_o,
  output logic [15:0]      len_o,
  output logic [31:0]      gb_addr_o,    // LOAD/STORE buffer address, VADD destination
  output logic [31:0]      src0_o,       // VADD source 0
  output logic [31:0]      src1_o,       // VADD source 1
  output logic [63:0]      mem_addr_o,   // LOAD/STORE byte address
  output logic [7:0]       err_o         // err_e, ErrNone when legal
);

  localparam int BeatBytes = DATA_W / 8;
  localparam int BeatShift = $clog2(BeatBytes);
  localparam int Kdim = DATA_W / 16;              // PE-array rows = columns
  localparam int KShift = $clog2(Kdim);
  localparam int TileShift16 = $clog2(Kdim * Kdim * 2);   // FP16 weight tile bytes
  localparam int TileShift4 = $clog2(Kdim * Kdim / 2);    // INT4 weight tile bytes

  insn_t insn;
  assign insn = insn_i;

  assign port_o     = insn.port;
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

  // MATMUL shape and ranges
  logic        mm_int4;
  logic [4:0]  g_log2;
  logic        g_pow2, shape_bad;
  logic [15:0] src_w, dst_w;
  logic [31:0] src_n, dst_n, tiles;
  logic [63:0] w_end, s_end, w_bytes, s_bytes;
  logic [16:0] src_end, dst_end;

  always_comb begin
    mm_int4 = insn.flags[0];
    g_log2  = '0;
    for (int i = 0; i < 16; i++) begin
      if (mm_group_i[i]) g_log2 = 5'(i);
    end
    g_pow2 = (mm_group_i != '0) && ((mm_group_i & (mm_group_i - 16'd1)) == '0);
    shape_bad = (32'(insn.len) > MMAX) || (mm_k_i < 16'(Kdim)) || (mm_k_i[KShift-1:0] != '0) ||
                (mm_n_i < 32'(Kdim)) || (mm_n_i[KShift-1:0] != '0) || (mm_n_i[31:16] != '0) ||
                (mm_int4 && (!g_pow2 || mm_group_i < 16'(Kdim) || mm_group_i > mm_k_i ||
                             ((mm_k_i & (mm_group_i - 16'd1)) != '0)));
    src_w   = insn.f0[15:0];
    dst_w   = insn.f0[31:16];
    src_n   = 32'(insn.len) * 32'(mm_k_i >> KShift);
    dst_n   = 32'(insn.len) * 32'(mm_n_i[15:0] >> KShift);
    tiles   = 32'(mm_k_i >> KShift) * 32'(mm_n_i[15:0] >> KShift);
    w_bytes = 64'(tiles) << (mm_int4 ? TileShift4 : TileShift16);
    s_bytes = (64'(mm_k_i >> g_log2) * 64'(mm_n_i[15:0])) << 1;
    w_end   = mem_addr_o + w_bytes;
    s_end   = 64'(mm_scale_i) + s_bytes;
    src_end = 17'(src_w) + 17'(src_n);
    dst_end = 17'(dst_w) + 17'(dst_n);
  end

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
  logic [33:0] n_aux_len;
  logic [15:0] d_rem;

  assign port_set = (insn.port != '0);

  assign stats_o   = insn.flags[0];
  assign dyn_o     = insn.flags[3];
  assign compact_o = insn.flags[1];
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
  assign npe_masked = insn.flags[0];
  assign n_lo       = {16'd0, insn.f0[15:0]};
  assign n_hi       = {16'd0, insn.f0[31:16]};
  assign n_aux      = {16'd0, insn.f1[15:0]};
  assign n_aux_hi   = {16'd0, insn.f1[31:16]};
  assign n_mask     = insn.f2;
  assign rows_d     = 34'(insn.len) * 34'(npe_d_i);
  // SWIGLU words: len, or Mmax * R with the dyn flag (len = R words per row, f2[15:0] = Mmax)
  logic        sw_dyn;
  logic [33:0] sw_n;
  assign sw_dyn = insn.flags[3];
  assign sw_n   = sw_dyn ? 34'(insn.len) * 34'(insn.f2[15:0]) : 34'(insn.len);
  assign d_rem      = (npe_hw_i == '0) ? 16'd1 : (npe_d_i % npe_hw_i);
  assign n_aux_len  = 34'(npe_masked ? 16'(DATA_W) : insn.len) * 34'(npe_hw_i);

  assign npe_resv =
      port_set ||
      (op_rmssq && ((insn.flags != '0) || (insn.f2 != '0) || (insn.f1[31:16] != '0))) ||
      (op_swiglu && ((insn.flags[2:0] != '0) || (sw_dyn ? (insn.f2[31:16] != '0) :
                                                 (insn.f2 != '0)) ||
                     (insn.f0[31:16] != '0) || (insn.f1[31:16] != '0))) ||
      (op_rmsnorm && ((insn.flags[3:2] != '0) || (insn.flags[1] && !insn.flags[0]) ||
                      (insn.f2[31:16] != '0))) ||
      (op_rope && ((insn.flags[3:1] != '0) || (insn.f2[31:16] != '0) ||
                   (insn.f1[31:16] != '0)));

  // VSCAT: rows of D words, at most DATA_W rows (one mask word), statistics of len rows
  logic vs_shape;
  assign vs_shape = (npe_d_i == '0) || (32'(insn.len) > DATA_W) ||
                    (insn.flags[0] && (32'(npe_snoop_i) + 32'(insn.len) > 32'(NPE_ROWS)));

  assign npe_shape =
      (op_rmssq && ((npe_d_i == '0) || (32'(insn.f1) + 32'(insn.len) > 32'(NPE_ROWS)))) ||
      (op_rmsnorm && ((npe_d_i == '0) || (npe_masked && 32'(insn.len) > DATA_W) ||
                      (n_aux_hi + 32'(insn.len) > 32'(NPE_ROWS)))) ||
      (op_rope && ((npe_d_i == '0) || (npe_masked && 32'(insn.len) > DATA_W) ||
                   (npe_hw_i == '0) || (d_rem != '0)));

  assign npe_range =
      (op_rmssq && rng_bad(insn.f0, rows_d)) ||
      (op_swiglu && (rng_bad(insn.f0, sw_n) || rng_bad(insn.f1, sw_n << 1))) ||
      (op_rmsnorm && (rng_bad(n_lo, rows_d) || rng_bad(n_hi, rows_d) ||
                      rng_bad(n_aux, 34'(npe_d_i)) || (npe_masked && rng_bad(n_mask, 34'd1)))) ||
      (op_rope && (rng_bad(n_lo, rows_d) || rng_bad(n_hi, rows_d) ||
                   rng_bad(insn.f1, n_aux_len) || (npe_masked && rng_bad(n_mask, 34'd1))));

  assign npe_overlap =
      (op_swiglu && (insn.f0 != insn.f1) && meet(insn.f0, sw_n, insn.f1, sw_n << 1)) ||
      (op_rmsnorm && (((n_lo != n_hi) && meet(n_hi, rows_d, n_lo, rows_d)) ||
                      meet(n_hi, rows_d, n_aux, 34'(npe_d_i)) ||
                      (npe_masked && meet(n_hi, rows_d, n_mask, 34'd1)))) ||
      (op_rope && (((n_lo != n_hi) && meet(n_hi, rows_d, n_lo, rows_d)) ||
                   meet(n_hi, rows_d, insn.f1, n_aux_len) ||
                   (npe_masked && meet(n_hi, rows_d, n_mask, 34'd1))));

  // ---- MATMUL norm flag (revision 5): the fused normalisation's shape, ranges, overlaps ----
  // X = [src, src_n) normalised rows, Y = [dst, dst_n), R = residual n*D words at x,
  // W = weight D words, K = mask word
  logic        mm_norm, mn_shape, mn_range, mn_overlap;
  logic [33:0] mn_rows, mm_src_n34, mm_dst_n34;
  logic [31:0] mn_x, mn_w, mn_mask, mm_src32, mm_dst32;
  assign mm_norm    = insn.flags[1];
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

  always_comb begin
    is_nop_o   = 1'b0;
    is_end_o   = 1'b0;
    is_load_o  = 1'b0;
    is_store_o = 1'b0;
    is_vadd_o  = 1'b0;
    is_mmcfg_o = 1'b0;
    is_mmnorm_o = 1'b0;
    is_matmul_o = 1'b0;
    is_npecfg_o = 1'b0;
    is_npe_o   = 1'b0;
    is_vscat_o = 1'b0;
    is_route_o = 1'b0;
    err_o      = 8'(ErrNone);
    unique case (insn.opcode)
      8'(OpNop), 8'(OpEnd): begin
        is_nop_o = (insn.opcode == 8'(OpNop));
        is_end_o = (insn.opcode == 8'(OpEnd));
        if (insn_i[InsnW-1:8] != '0) begin
          err_o = 8'(ErrReserved);
        end
      end
      8'(OpLoad), 8'(OpStore): begin
        is_load_o  = (insn.opcode == 8'(OpLoad));
        is_store_o = (insn.opcode == 8'(OpStore));
        if ((insn.opcode == 8'(OpLoad)) ? (insn.flags[3:1] != '0) : (insn.flags != '0)) begin
          err_o = 8'(ErrReserved);
        end else if (insn.len == '0) begin
          err_o = 8'(ErrBadLen);
        end else if (32'(insn.port) > NUM_HBM) begin
          err_o = 8'(ErrBadPort);
        end else if (insn.flags[0] && snoop_bad) begin
          err_o = 8'(ErrNpeShape);
        end else if (!gb_in_range(insn.f0, insn.len)) begin
          err_o = 8'(ErrGbufRange);
        end else if (mem_misaligned) begin
          err_o = 8'(ErrMemAlign);
        end else if (mem_out_of_range) begin
          err_o = 8'(ErrMemRange);
        end
      end
      8'(OpVadd): begin
        is_vadd_o = 1'b1;
        if (insn.flags[3:1] != '0 || insn.port != '0) begin
          err_o = 8'(ErrReserved);
        end else if (insn.len == '0) begin
          err_o = 8'(ErrBadLen);
        end else if (insn.flags[0] && snoop_bad) begin
          err_o = 8'(ErrNpeShape);
        end else if (!gb_in_range(insn.f0, insn.len) || !gb_in_range(insn.f1, insn.len) ||
                     !gb_in_range(insn.f2, insn.len)) begin
          err_o = 8'(ErrGbufRange);
        end else if (partial_overlap(insn.f0, insn.f1, insn.len) ||
                     partial_overlap(insn.f0, insn.f2, insn.len)) begin
          err_o = 8'(ErrOverlap);
        end
      end
      8'(OpMmcfg): begin
        is_mmcfg_o = 1'b1;
        if (insn.flags != '0 || insn.port != '0 || insn.f2[31:16] != '0) begin
          err_o = 8'(ErrReserved);
        end
      end
      8'(OpMmnorm): begin
        is_mmnorm_o = 1'b1;
        if (insn.flags != '0 || insn.port != '0 || insn.f2 != '0) begin
          err_o = 8'(ErrReserved);
        end
      end
      8'(OpMatmul): begin
        is_matmul_o = 1'b1;
        if (insn.flags[2] || (mm_norm && !insn.flags[3])) begin
          err_o = 8'(ErrReserved);
        end else if (insn.len == '0 || (mm_norm && mn_n_i == '0)) begin
          err_o = 8'(ErrBadLen);
        end else if (32'(insn.port) > NUM_HBM) begin
          err_o = 8'(ErrBadPort);
        end else if (shape_bad) begin
          err_o = 8'(ErrMmShape);
        end else if (mm_norm && mn_shape) begin
          err_o = 8'(ErrNpeShape);
        end else if (src_n > 32'(GBUF_DEPTH) || dst_n > 32'(GBUF_DEPTH) ||
                     src_end > 17'(GBUF_DEPTH) || dst_end > 17'(GBUF_DEPTH) ||
                     (mm_norm && mn_range)) begin
          err_o = 8'(ErrGbufRange);
        end else if (((17'(src_w) < dst_end) && (17'(dst_w) < src_end)) ||
                     (mm_norm && mn_overlap)) begin
          err_o = 8'(ErrOverlap);
        end else if (mem_misaligned || (mm_int4 && mm_scale_i[BeatShift-1:0] != '0)) begin
          err_o = 8'(ErrMemAlign);
        end else if (mem_hi_bits || (w_end > (64'd1 << ADDR_W)) ||
                     (mm_int4 && (s_end > (64'd1 << ADDR_W)))) begin
          err_o = 8'(ErrMemRange);
        end
      end
      8'(OpNpecfg): begin
        is_npecfg_o = 1'b1;
        if (insn.flags != '0 || insn.port != '0) begin
          err_o = 8'(ErrReserved);
        end else if (insn.len == '0) begin
          err_o = 8'(ErrBadLen);
        end
      end
      8'(OpRmssq), 8'(OpRmsnorm), 8'(OpSwiglu), 8'(OpRope): begin
        is_npe_o = 1'b1;
        if (npe_resv) begin
          err_o = 8'(ErrReserved);
        end else if (insn.len == '0 || (op_swiglu && sw_dyn && insn.f2[15:0] == '0)) begin
          err_o = 8'(ErrBadLen);
        end else if (npe_shape) begin
          err_o = 8'(ErrNpeShape);
        end else if (npe_range) begin
          err_o = 8'(ErrGbufRange);
        end else if (npe_overlap) begin
          err_o = 8'(ErrOverlap);
        end
      end
      8'(OpVscat): begin
        is_vscat_o = 1'b1;
        if (insn.flags[3:1] != '0 || port_set) begin
          err_o = 8'(ErrReserved);
        end else if (insn.len == '0) begin
          err_o = 8'(ErrBadLen);
        end else if (vs_shape) begin
          err_o = 8'(ErrNpeShape);
        end else if (rng_bad(insn.f0, rows_d) || rng_bad(insn.f1, rows_d) ||
                     rng_bad(insn.f2, 34'd1)) begin
          err_o = 8'(ErrGbufRange);
        end else if (meet(insn.f0, rows_d, insn.f1, rows_d) ||
                     meet(insn.f2, 34'd1, insn.f0, rows_d) ||
                     meet(insn.f2, 34'd1, insn.f1, rows_d)) begin
          err_o = 8'(ErrOverlap);
        end
      end
      8'(OpRoute): begin
        is_route_o = 1'b1;
        if (insn.flags[3:1] != '0 || port_set || insn.f2 != '0) begin
          err_o = 8'(ErrReserved);
        end else if (insn.len == '0) begin
          err_o = 8'(ErrBadLen);
        end else if (32'(insn.len) > DATA_W || 32'(insn.f1[15:0]) >= DATA_W / 32) begin
          err_o = 8'(ErrRouteShape);
        end else if (rng_bad(n_lo, 34'(insn.len)) || rng_bad(n_aux_hi, 34'd1) ||
                     rng_bad(n_hi, 34'd1)) begin
          err_o = 8'(ErrGbufRange);
        end else if (meet(n_hi, 34'd1, n_lo, 34'(insn.len)) || (n_hi == n_aux_hi)) begin
          err_o = 8'(ErrOverlap);
        end
      end
      default: err_o = 8'(ErrIllegalOp);
    endcase
  end

endmodule
