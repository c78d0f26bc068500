// Nonlinear processing engine (paper 4.3): tile-based element-wise pipelines over global-buffer
// words, LANES = DATA_W/16 FP16 values per word, one word per cycle, FP32 inside, plus the
// RMSNorm statistics unit and its RAM (docs/npe.md, docs/isa.md). Operations:
//   RMSSQ    rows of D words from src -> stat[base + m] (the row-wise baseline pass)
//   RMSNORM  dst row m = fp16(w * fp16(x * stat[base + m])), all rows or the rows whose bit is
//            set in a mask word (only unskipped tokens are normalised)
//   SWIGLU   dst word i = fp16(fp16(silu(g)) * u), g = src word 2i, u = src word 2i+1
//   ROPE     dst row m = rotate(src row m) by the cos/sin words of position p(m) in the ROT table
//            at rot + p * HW + (j mod HW); p(m) = m or the index of the m-th set mask bit
// The statistics unit also snoops the buffer write port (snoop_en_i) so a LOAD or VADD that
// produces a row block leaves its RMS statistics behind (the decoupled, fused mode).
// Fused MATMUL normalisation (MATMUL norm flag, paper 3.1 / Alg. 1): after mmx_start_i the
// engine reads the mask word, checks that it selects at least cnt rows among the first n
// (else done_o with err_o), then serves the MATMUL: for every mmx_issue_i it normalises word
// kt of the j-th selected residual row (j inner, kt outer: the MATMUL's operand order) and
// delivers it NpeNormLat cycles later on wdata_o, written to X row j word kt at the same time,
// until mmx_stop_i.
// Bit-exact with model/npe.py. Reads are issued back to back; results are written a fixed
// latency later (no stalls: the engine owns the buffer ports while it runs).

module skipopu_npe
  import skipopu_pkg::*;
#(
  // Word width in bits (a power of two >= 32)
  parameter int DATA_W = 256,
  // Global buffer address width
  parameter int AW = 12,
  // Statistics RAM depth (rows), a power of two
  parameter int NPE_ROWS = 256,
  // Statistics RAM address width (derived)
  parameter int SAW = $clog2(NPE_ROWS)
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // NPECFG registers
  input  logic [15:0]       cfg_d_i,        // row length in words
  input  logic [31:0]       cfg_eps_i,      // FP32
  input  logic [31:0]       cfg_inv_d_i,    // FP32
  input  logic [15:0]       cfg_hw_i,       // ROPE words per head
  input  logic [15:0]       cfg_snoop_base_i, // statistics rows (< NPE_ROWS: decoder-checked)

  // Command (only while idle)
  input  logic              cmd_valid_i,
  input  npe_op_e           cmd_op_i,
  input  logic [15:0]       cmd_len_i,      // rows (SWIGLU: output words), >= 1
  input  logic [AW-1:0]     cmd_dst_i,
  input  logic [AW-1:0]     cmd_src_i,
  input  logic [AW-1:0]     cmd_aux_i,
  input  logic [15:0]       cmd_words_i,    // ROPE: words rotated per row (multiple of HW)
  input  logic [15:0]       cmd_stride_i,   // ROPE: row stride in words (>= cmd_words_i)
  input  logic [AW-1:0]     cmd_mask_i,     // mask word address
  input  logic              cmd_masked_i,
  input  logic              cmd_compact_i,  // RMSNORM masked: the j-th selected row to dst row j
  input  logic [15:0]       cmd_stat_i,     // statistics base row

  // Fused MATMUL normalisation (only while idle to start)
  input  logic              mmx_start_i,
  input  logic [AW-1:0]     mmx_x_i,        // residual rows (D words each)
  input  logic [AW-1:0]     mmx_w_i,        // RMSNorm weight (D words)
  input  logic [15:0]       mmx_stat_i,     // statistics base row
  input  logic [AW-1:0]     mmx_mask_i,     // mask word
  input  logic [15:0]       mmx_n_i,        // rows the mask may select (>= 1)
  input  logic [15:0]       mmx_cnt_i,      // rows to normalise (CNT, >= 1)
  input  logic [AW-1:0]     mmx_dst_i,      // X: normalised row j at dst + j * D
  output logic              mmx_ready_o,    // mask checked, serving issues
  input  logic              mmx_issue_i,    // the MATMUL takes the next word
  input  logic              mmx_stop_i,     // the MATMUL is done
  output logic              busy_o,         // engine or statistics pipeline active
  output logic              done_o,         // pulse: command finished (err_o valid)
  output logic              err_o,          // ROPE mask with fewer than len set bits

  // Snoop of the buffer write port (LOAD/VADD with the statistics flag)
  input  logic              snoop_start_i,
  input  logic              snoop_en_i,
  input  logic              snoop_we_i,
  input  logic [DATA_W-1:0] snoop_wdata_i,

  // Global buffer ports
  output logic              re_a_o,
  output logic [AW-1:0]     raddr_a_o,
  input  logic [DATA_W-1:0] rdata_a_i,
  output logic              re_b_o,
  output logic [AW-1:0]     raddr_b_o,
  input  logic [DATA_W-1:0] rdata_b_i,
  output logic              we_o,
  output logic [AW-1:0]     waddr_o,
  output logic [DATA_W-1:0] wdata_o
);

  // pragma translate_off
  initial begin : p_params
    if ($countones(DATA_W) != 1 || DATA_W < 32) begin
      $fatal(1, "skipopu_npe: DATA_W=%0d is not a power of 2 >= 32", DATA_W);
    end
    if ($countones(NPE_ROWS) != 1 || NPE_ROWS < 2) begin
      $fatal(1, "skipopu_npe: NPE_ROWS=%0d is not a power of 2 >= 2", NPE_ROWS);
    end
  end
  // pragma translate_on

  localparam int Lanes = DATA_W / 16;
  localparam int IW = $clog2(DATA_W);           // mask bit index width
  // Result latency (cycles after the read data arrive) per operation
  localparam int LatShort = NpeNormLat - 1;     // RMSNORM, ROPE (issue to tok_v_q index)
  localparam int LatSwiglu = NpeExpLat + 1 + NpeRecipLat + 3;
  localparam int TokDepth = LatSwiglu + 1;

  typedef enum logic [2:0] {StIdle, StMask, StMaskWait, StRun, StMmx, StDrain, StDone} state_e;

  state_e          state_q;
  npe_op_e         op_q;
  logic [15:0]     len_q;
  logic [15:0]     words_q, stride_q;   // ROPE row shape (words / stride)
  logic [AW-1:0]   dst_q, src_q, aux_q, mask_addr_q;
  logic            masked_q, compact_q, mmx_q;
  logic [15:0]     cnt_q, j_q;   // fused MATMUL normalisation: rows, selected row index
  logic [15:0]     first_q;      // ... first selected row
  logic [SAW-1:0]  stat_q;
  logic [DATA_W-1:0] mask_q;
  logic            err_q;

  logic [15:0]     row_q;        // row index m (RMSNORM masked: the selected row)
  logic [15:0]     nrows_q;      // rows issued so far
  logic [IW:0]     pos_q;        // ROPE position index
  logic [15:0]     word_q;       // word within the row (SWIGLU: output word index)
  logic [15:0]     hw_q;         // word within the head (ROPE)
  logic [AW-1:0]   rowbase_q;    // row_q * D
  logic [AW-1:0]   cbase_q;      // nrows_q * D (compact destination row)
  logic [AW-1:0]   posbase_q;    // pos_q * HW

  // ---- mask helpers (skipopu_pkg: mask_popcount, mask_next_set) ----------------------------
  // Bits [0, n) set
  function automatic logic [DATA_W-1:0] low_bits(logic [15:0] n);
    logic [DATA_W-1:0] r;
    for (int i = 0; i < DATA_W; i++) r[i] = (32'(i) < 32'(n));
    return r;
  endfunction

  // Mask as read, limited to the first len rows for RMSNORM
  logic [DATA_W-1:0] mask_rd, mask_lim;
  assign mask_rd  = rdata_b_i;
  assign mask_lim = mask_rd & low_bits(len_q);

  // First selected position (ROPE) / row (RMSNORM) of the mask just read
  logic [IW:0] first_rd, first_lim;
  assign first_rd  = (IW + 1)'(mask_next_set(MaskW'(mask_rd), '0, MaskCw'(DATA_W)));
  assign first_lim = (IW + 1)'(mask_next_set(MaskW'(mask_lim), '0, MaskCw'(DATA_W)));

  // ---- issue -------------------------------------------------------------------------------
  logic issue, row_end, last_issue, mmx_go, rd_issue, mmx_pass_end;
  assign mmx_go       = (state_q == StMmx) && mmx_issue_i;
  assign rd_issue     = issue || mmx_go;
  assign mmx_pass_end = (j_q == cnt_q - 16'd1);
  logic [15:0] words_per_row;
  assign issue = (state_q == StRun);
  assign words_per_row = (op_q == NpeSwiglu) ? len_q : (op_q == NpeRope) ? words_q : cfg_d_i;
  assign row_end = (word_q == words_per_row - 16'd1);
  logic [IW:0] next_row_sel, next_pos_sel;
  assign next_row_sel = (IW + 1)'(mask_next_set(MaskW'(mask_q), MaskCw'((IW + 1)'(row_q) + 1'b1),
                                                MaskCw'(DATA_W)));
  assign next_pos_sel = (IW + 1)'(mask_next_set(MaskW'(mask_q), MaskCw'(pos_q + 1'b1),
                                                MaskCw'(DATA_W)));
  assign last_issue = issue && row_end &&
                      ((nrows_q == ((op_q == NpeSwiglu) ? 16'd1 : len_q) - 16'd1) ||
                       (op_q == NpeRmsnorm && masked_q && next_row_sel == (IW + 1)'(DATA_W)));

  // Addresses of this cycle's reads and of its result
  logic [AW-1:0] a_addr, b_addr, w_addr;
  assign a_addr = (op_q == NpeSwiglu) ? src_q + (AW'(word_q) << 1) :
                                        src_q + rowbase_q + AW'(word_q);
  assign b_addr = (op_q == NpeSwiglu) ? src_q + (AW'(word_q) << 1) + 1'b1 :
                  (op_q == NpeRope)   ? aux_q + posbase_q + AW'(hw_q) :
                                        aux_q + AW'(word_q);           // RMSNORM weight
  assign w_addr = (op_q == NpeSwiglu) ? dst_q + AW'(word_q) :
                  dst_q + (compact_q ? cbase_q : rowbase_q) + AW'(word_q);

  assign re_a_o    = rd_issue;
  assign raddr_a_o = a_addr;
  assign re_b_o    = rd_issue || (state_q == StMask);
  assign raddr_b_o = (state_q == StMask) ? mask_addr_q : b_addr;

  // ---- control FSM ---------------------------------------------------------------------------
  logic tok_busy;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      op_q        <= NpeRmssq;
      len_q       <= '0;
      words_q     <= '0;
      stride_q    <= '0;
      dst_q       <= '0;
      src_q       <= '0;
      aux_q       <= '0;
      mask_addr_q <= '0;
      masked_q    <= 1'b0;
      compact_q   <= 1'b0;
      mmx_q       <= 1'b0;
      cnt_q       <= '0;
      j_q         <= '0;
      first_q     <= '0;
      cbase_q     <= '0;
      stat_q      <= '0;
      mask_q      <= '0;
      err_q       <= 1'b0;
      row_q       <= '0;
      nrows_q     <= '0;
      pos_q       <= '0;
      word_q      <= '0;
      hw_q        <= '0;
      rowbase_q   <= '0;
      posbase_q   <= '0;
    end else begin
      unique case (state_q)
        StIdle: begin
          if (mmx_start_i) begin
            op_q        <= NpeRmsnorm;
            len_q       <= mmx_n_i;
            dst_q       <= mmx_dst_i;
            src_q       <= mmx_x_i;
            aux_q       <= mmx_w_i;
            mask_addr_q <= mmx_mask_i;
            masked_q    <= 1'b1;
            compact_q   <= 1'b1;
            mmx_q       <= 1'b1;
            cnt_q       <= mmx_cnt_i;
            j_q         <= '0;
            cbase_q     <= '0;
            stat_q      <= SAW'(mmx_stat_i);
            err_q       <= 1'b0;
            row_q       <= '0;
            nrows_q     <= '0;
            word_q      <= '0;
            rowbase_q   <= '0;
            mask_q      <= '1;
            state_q     <= StMask;
          end else if (cmd_valid_i) begin
            mmx_q       <= 1'b0;
            op_q        <= cmd_op_i;
            len_q       <= cmd_len_i;
            words_q     <= cmd_words_i;
            stride_q    <= cmd_stride_i;
            dst_q       <= cmd_dst_i;
            src_q       <= cmd_src_i;
            aux_q       <= cmd_aux_i;
            mask_addr_q <= cmd_mask_i;
            masked_q    <= cmd_masked_i;
            compact_q   <= cmd_masked_i && cmd_compact_i && (cmd_op_i == NpeRmsnorm);
            cbase_q     <= '0;
            stat_q      <= SAW'(cmd_stat_i);
            err_q       <= 1'b0;
            row_q       <= '0;
            nrows_q     <= '0;
            pos_q       <= '0;
            word_q      <= '0;
            hw_q        <= '0;
            rowbase_q   <= '0;
            posbase_q   <= '0;
            mask_q      <= '1;
            state_q     <= cmd_masked_i ? StMask : StRun;
          end
        end
        StMask: state_q <= StMaskWait;
        StMaskWait: begin
          // rdata_b_i holds the mask word
          if (op_q == NpeRope) begin
            mask_q <= mask_rd;
            if ((IW + 1)'(mask_popcount(MaskW'(mask_rd))) < (IW + 1)'(len_q)) begin
              err_q   <= 1'b1;
              state_q <= StDone;
            end else begin
              pos_q     <= first_rd;
              posbase_q <= AW'(32'(first_rd) * 32'(cfg_hw_i));
              state_q   <= StRun;
            end
          end else if (mmx_q) begin
            mask_q <= mask_lim;
            if ((IW + 1)'(mask_popcount(MaskW'(mask_lim))) < (IW + 1)'(cnt_q)) begin
              err_q   <= 1'b1;
              state_q <= StDone;
            end else begin
              row_q     <= 16'(first_lim);
              first_q   <= 16'(first_lim);
              rowbase_q <= AW'(32'(first_lim) * 32'(cfg_d_i));
              state_q   <= StMmx;
            end
          end else begin
            mask_q <= mask_lim;
            if (mask_lim == '0) begin
              state_q <= StDone;
            end else begin
              row_q     <= 16'(first_lim);
              rowbase_q <= AW'(32'(first_lim) * 32'(cfg_d_i));
              state_q   <= StRun;
            end
          end
        end
        StRun: begin
          word_q <= row_end ? '0 : word_q + 16'd1;
          hw_q   <= (row_end || hw_q == cfg_hw_i - 16'd1) ? '0 : hw_q + 16'd1;
          if (row_end) begin
            nrows_q <= nrows_q + 16'd1;
            cbase_q <= cbase_q + AW'(cfg_d_i);
            if (op_q == NpeRmsnorm && masked_q) begin
              row_q     <= 16'(next_row_sel);
              rowbase_q <= AW'(32'(next_row_sel) * 32'(cfg_d_i));
            end else begin
              row_q     <= row_q + 16'd1;
              rowbase_q <= rowbase_q + AW'((op_q == NpeRope) ? stride_q : cfg_d_i);
            end
            if (op_q == NpeRope) begin
              if (masked_q) begin
                pos_q     <= next_pos_sel;
                posbase_q <= AW'(32'(next_pos_sel) * 32'(cfg_hw_i));
              end else begin
                pos_q     <= pos_q + 1'b1;
                posbase_q <= posbase_q + AW'(cfg_hw_i);
              end
            end
          end
          if (last_issue) state_q <= StDrain;
        end
        StMmx: begin
          // word kt = word_q of the j-th selected row; the next issue takes row j + 1, or
          // word kt + 1 of the first selected row after the last one
          if (mmx_go) begin
            if (mmx_pass_end) begin
              j_q       <= '0;
              cbase_q   <= '0;
              row_q     <= first_q;
              rowbase_q <= AW'(32'(first_q) * 32'(cfg_d_i));
              word_q    <= word_q + 16'd1;
            end else begin
              j_q       <= j_q + 16'd1;
              cbase_q   <= cbase_q + AW'(cfg_d_i);
              row_q     <= 16'(next_row_sel);
              rowbase_q <= AW'(32'(next_row_sel) * 32'(cfg_d_i));
            end
          end
          if (mmx_stop_i) state_q <= StDrain;
        end
        StDrain: if (!tok_busy && !rd_valid && !rms_busy) state_q <= StDone;
        StDone:  state_q <= StIdle;
        default: state_q <= StIdle;
      endcase
    end
  end

  // ---- token pipeline: result valid + write address, TokDepth cycles -----------------------
  logic [TokDepth-1:0] tok_v_q;
  logic [AW-1:0]       tok_a_q [TokDepth];
  logic                tok_new;
  assign tok_new = rd_issue && (op_q != NpeRmssq);
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tok_v_q <= '0;
    end else begin
      tok_v_q <= {tok_v_q[TokDepth-2:0], tok_new};
    end
  end
  always_ff @(posedge clk_i) begin
    tok_a_q[0] <= w_addr;
    for (int k = 1; k < TokDepth; k++) tok_a_q[k] <= tok_a_q[k-1];
  end
  assign tok_busy = |tok_v_q;

  // Operand isolation: the lanes see the buffer read data only in the cycle after an NPE read,
  // so other engines' buffer traffic does not toggle the NPE datapath
  logic              op_valid_q;
  logic [DATA_W-1:0] opa, opb;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) op_valid_q <= 1'b0;
    else         op_valid_q <= rd_issue;
  end
  assign opa = op_valid_q ? rdata_a_i : '0;
  assign opb = op_valid_q ? rdata_b_i : '0;


  // ---- statistics RAM and unit -----------------------------------------------------------
  logic [31:0]    stat_mem [NPE_ROWS];
  logic [31:0]    stat_rd_q;
  logic           stat_we;
  logic [SAW-1:0] stat_waddr;
  logic [31:0]    stat_wdata;
  logic           rms_busy;
  logic           rd_valid;         // NPE read data valid (RMSSQ feeds the statistics unit)

  always_ff @(posedge clk_i) begin
    if (stat_we) stat_mem[stat_waddr] <= stat_wdata;
    stat_rd_q <= stat_mem[stat_q + SAW'(row_q)];
  end

  // op_q holds for the whole operation, so read data valid = op_valid_q during an RMSSQ
  assign rd_valid = op_valid_q && (op_q == NpeRmssq);

  logic rms_start;
  assign rms_start = snoop_start_i || (cmd_valid_i && state_q == StIdle && cmd_op_i == NpeRmssq);

  skipopu_npe_rms #(
    .DATA_W(DATA_W),
    .SAW   (SAW)
  ) u_rms (
    .clk_i,
    .rst_ni,
    .start_i     (rms_start),
    .stat_base_i (snoop_start_i ? SAW'(cfg_snoop_base_i) : SAW'(cmd_stat_i)),
    .row_words_i (cfg_d_i),
    .inv_d_i     (cfg_inv_d_i),
    .eps_i       (cfg_eps_i),
    .valid_i     (snoop_en_i ? snoop_we_i : rd_valid),
    .data_i      (snoop_en_i ? snoop_wdata_i : opa),
    .stat_we_o   (stat_we),
    .stat_waddr_o(stat_waddr),
    .stat_wdata_o(stat_wdata),
    .busy_o      (rms_busy)
  );

  // ---- lane datapaths ----------------------------------------------------------------------
  logic [DATA_W-1:0] y_norm, y_rope, y_swiglu;

  // The lane pipelines only advance while an operation runs (clock enable; they hold otherwise)
  logic lane_en;
  assign lane_en = (state_q != StIdle);

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [31:0] x32, b32;
    assign x32 = fp16_to_fp32(opa[16*l +: 16]);
    assign b32 = fp16_to_fp32(opb[16*l +: 16]);

    // RMSNORM: h = fp16(x * r); y = fp16(w * h)
    logic [31:0] xr, xr_q, w_q, h32, hw, hw_q2;
    logic [15:0] h16, yn16, yn_q;
    skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_xr (.a_i(x32), .b_i(stat_rd_q), .y_o(xr));
    always_ff @(posedge clk_i) if (lane_en) begin
      xr_q <= xr;
      w_q  <= b32;
    end
    skipopu_fp_narrow u_h (.a_i(xr_q), .y_o(h16));
    assign h32 = fp16_to_fp32(h16);
    skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_hw (.a_i(h32), .b_i(w_q), .y_o(hw));
    always_ff @(posedge clk_i) if (lane_en) begin
      hw_q2 <= hw;
    end
    skipopu_fp_narrow u_yn (.a_i(hw_q2), .y_o(yn16));
    always_ff @(posedge clk_i) if (lane_en) begin
      yn_q <= yn16;
    end
    assign y_norm[16*l +: 16] = yn_q;

    // ROPE on the pair (lane 2k, lane 2k+1), cos/sin in the same lanes of the ROT word
    if (l % 2 == 0) begin : g_pair
      logic [31:0] x0, x1, c, s, p0c, p1s, p0s, p1c;
      logic [31:0] p0c_q, p1s_q, p0s_q, p1c_q, y0, y1, y0_q, y1_q;
      logic [15:0] y0_16, y1_16, y0_16q, y1_16q;
      assign x0 = x32;
      assign x1 = fp16_to_fp32(opa[16*(l+1) +: 16]);
      assign c  = b32;
      assign s  = fp16_to_fp32(opb[16*(l+1) +: 16]);
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_p0c (.a_i(x0), .b_i(c), .y_o(p0c));
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_p1s (.a_i(x1), .b_i(s), .y_o(p1s));
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_p0s (.a_i(x0), .b_i(s), .y_o(p0s));
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_p1c (.a_i(x1), .b_i(c), .y_o(p1c));
      always_ff @(posedge clk_i) if (lane_en) begin
        p0c_q <= p0c;
        p1s_q <= p1s ^ 32'h8000_0000;
        p0s_q <= p0s;
        p1c_q <= p1c;
      end
      skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_y0 (.a_i(p0c_q), .b_i(p1s_q), .y_o(y0));
      skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_y1 (.a_i(p0s_q), .b_i(p1c_q), .y_o(y1));
      always_ff @(posedge clk_i) if (lane_en) begin
        y0_q <= y0;
        y1_q <= y1;
      end
      skipopu_fp_narrow u_n0 (.a_i(y0_q), .y_o(y0_16));
      skipopu_fp_narrow u_n1 (.a_i(y1_q), .y_o(y1_16));
      always_ff @(posedge clk_i) if (lane_en) begin
        y0_16q <= y0_16;
        y1_16q <= y1_16;
      end
      assign y_rope[16*l +: 32] = {y1_16q, y0_16q};
    end

    // SWIGLU: e = exp(-g); d = 1 + e; q = recip(d); a = fp16(g * q); y = fp16(a * u)
    localparam int GDelay = NpeExpLat + 1 + NpeRecipLat;     // g needed at the g*q stage
    logic [31:0] e, d, d_q, q, gq, gq_q, a32, au, au_q, neg_g;
    logic [31:0] g_dl [GDelay];
    logic [31:0] u_dl [GDelay + 1];
    logic [15:0] a16, ys16, ys_q;
    assign neg_g = x32 ^ 32'h8000_0000;
    skipopu_npe_exp u_exp (.clk_i, .en_i(lane_en), .x_i(neg_g), .y_o(e));
    skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_d (.a_i(32'h3F80_0000), .b_i(e), .y_o(d));
    always_ff @(posedge clk_i) if (lane_en) begin
      d_q <= d;
    end
    skipopu_npe_recip u_recip (.clk_i, .en_i(lane_en), .x_i(d_q), .y_o(q));
    always_ff @(posedge clk_i) if (lane_en) begin
      g_dl[0] <= x32;
      u_dl[0] <= b32;
      for (int k = 1; k < GDelay; k++) g_dl[k] <= g_dl[k-1];
      for (int k = 1; k <= GDelay; k++) u_dl[k] <= u_dl[k-1];
    end
    skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_gq (.a_i(g_dl[GDelay-1]), .b_i(q), .y_o(gq));
    always_ff @(posedge clk_i) if (lane_en) begin
      gq_q <= gq;
    end
    skipopu_fp_narrow u_a (.a_i(gq_q), .y_o(a16));
    assign a32 = fp16_to_fp32(a16);
    skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_au (.a_i(a32), .b_i(u_dl[GDelay]), .y_o(au));
    always_ff @(posedge clk_i) if (lane_en) begin
      au_q <= au;
    end
    skipopu_fp_narrow u_ys (.a_i(au_q), .y_o(ys16));
    always_ff @(posedge clk_i) if (lane_en) begin
      ys_q <= ys16;
    end
    assign y_swiglu[16*l +: 16] = ys_q;
  end

  // ---- write-back ----------------------------------------------------------------------------
  // (continuous assigns rather than an always_comb on op_q: Icarus 11 leaves such a block
  // unevaluated, X, until op_q changes)
  logic is_swiglu, is_rope, is_norm;
  assign is_swiglu = (op_q == NpeSwiglu);
  assign is_rope   = (op_q == NpeRope);
  assign is_norm   = (op_q == NpeRmsnorm);
  assign we_o    = is_swiglu ? tok_v_q[LatSwiglu] : (is_rope || is_norm) && tok_v_q[LatShort];
  assign waddr_o = is_swiglu ? tok_a_q[LatSwiglu] : tok_a_q[LatShort];
  assign wdata_o = is_swiglu ? y_swiglu : is_rope ? y_rope : y_norm;

  assign busy_o = (state_q != StIdle) || rd_valid || rms_busy;
  assign mmx_ready_o = (state_q == StMmx);
  assign done_o = (state_q == StDone);
  assign err_o  = err_q;

  // statistics rows are 16 bits in the ISA; the decoder keeps them below NPE_ROWS
  logic unused_stat;
  assign unused_stat = ^{cfg_snoop_base_i >> SAW, cmd_stat_i >> SAW, mmx_stat_i >> SAW};

endmodule
