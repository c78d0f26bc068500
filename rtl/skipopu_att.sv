// Attention unit (docs/isa.md "KV and attention", dataflow docs/attention.md): runs QK,
// SMNORM, SMFEAT and PV issued by the sequencer (skipopu_ctrl's att_valid_o).
//   * decodes the instruction and the ATTCFG registers into the shape: Mq (dyn: min(len,
//     max(0, CNT - j0))), n_rep = H / KVH (a power of 2), G groups, Mg = n_rep * Mq rows per
//     group, R = G * Mg score rows, NT = ceil(NK / NCOL) key tiles, NT * R score words;
//   * causal (QK/SMNORM/SMFEAT): reads the mask word and stops with NPE_MASK when it has fewer
//     than j0 + Mq set bits (nothing moves); Mq = 0: nothing at all;
//   * QK: the MATMUL engine (skipopu_mm, QK mode) computes the score words in score-area order
//     i = nt * R + r; each word goes to the DMA store stream (one sequential write of NT * R
//     words to the DDR score area) and, unless nofeat, to the feature update port of the
//     online-softmax engine (skipopu_npe_smax) as row fbase + r, first tile nt = 0; a word
//     leaves the stream when both have taken it;
//   * SMNORM / SMFEAT: one sequential DMA load stream of the NT * R words; SMNORM normalises
//     them (P word i -> buffer dst + i), SMFEAT feeds them to the update port;
//   * PV: the MATMUL engine in PV mode (it writes the O words itself).
// Lane-valid mask of word (r, nt), lane c (key a = nt * NCOL + c): a < NK, and when causal
// a <= pos(j0 + j) with j = (r mod Mg) >> log2 n_rep the row's query and pos(k) the index of
// the k-th set bit of the mask word; equivalently popcount(mask[a-1:0]) <= j0 + j, computed
// from a running popcount of the key tiles below nt plus a prefix count inside the tile.
// Same-row read-after-write of the features (decode: the same row every G * HW * Mg words) is
// the engine's interlock (upd_ready_o); the stream simply stalls. Errors: a failed score beat
// ends QK with DMA_WR_AXI, SMNORM/SMFEAT with DMA_RD_AXI after all words (the failed ones
// are read as the slave's zeros).

module skipopu_att
  import skipopu_pkg::*;
#(
  // Word width in bits (NCOL = LANES = DATA_W / 16)
  parameter int DATA_W = 256,
  // AXI address width
  parameter int ADDR_W = 34,
  // Global buffer address width
  parameter int GB_AW = 12,
  // Softmax feature rows (power of 2)
  parameter int SMAX_ROWS = 256,
  // Lanes per word (derived)
  parameter int LANES = DATA_W / 16,
  // Feature row index width (derived)
  parameter int RW = $clog2(SMAX_ROWS)
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Instruction (QK / SMNORM / SMFEAT / PV; validated by the decoder)
  input  logic              cmd_valid_i,
  input  logic [InsnW-1:0]  cmd_insn_i,
  input  logic [15:0]       cmd_cnt_i,      // CNT
  input  logic              clr_i,          // start of a run: the cycle counter
  output logic [31:0]       cycles_o,       // ATT_CYCLES: cycles from issue + 1 to done
  output logic              done_o,         // pulse
  output logic [7:0]        err_o,          // with done_o

  // ATTCFG registers
  input  logic [15:0]       cfg_nk_i,
  input  logic [7:0]        cfg_h_i,
  input  logic [7:0]        cfg_kvh_i,
  input  logic [7:0]        cfg_hw_i,
  input  logic [7:0]        cfg_qs_i,
  input  logic [31:0]       cfg_sbase_i,    // score area byte address (ATTCFG f0)
  input  logic              cfg_causal_i,

  // Mask word read (global buffer, one cycle latency)
  output logic              mask_re_o,
  output logic [GB_AW-1:0]  mask_raddr_o,
  input  logic [DATA_W-1:0] mask_rdata_i,

  // MATMUL engine, attention modes (skipopu_mm att_*)
  output logic              mm_start_o,
  output logic              mm_pv_o,
  output logic [15:0]       mm_mg_o,
  output logic [2:0]        mm_lrep_o,
  output logic [7:0]        mm_g0_o,
  output logic [7:0]        mm_ng_o,
  output logic [7:0]        mm_nt_o,
  output logic [7:0]        mm_hw_o,
  output logic [7:0]        mm_kvh_o,
  output logic [7:0]        mm_qs_o,
  output logic [15:0]       mm_j0_o,
  output logic [GB_AW-1:0]  mm_x_o,
  output logic [15:0]       mm_r_o,
  output logic [GB_AW-1:0]  mm_o_o,
  output logic [15:0]       mm_os_o,
  input  logic              mm_done_i,
  input  logic              sc_valid_i,     // QK score words
  output logic              sc_ready_o,
  input  logic [DATA_W-1:0] sc_data_i,

  // DMA stream transfers on port 0 (skipopu_dma cmd_stream_i)
  output logic              dma_valid_o,
  output logic              dma_store_o,
  output logic [ADDR_W-1:0] dma_addr_o,
  output logic [15:0]       dma_len_o,
  input  logic              dma_done_i,
  input  logic              dma_err_i,
  output logic              ss_valid_o,
  input  logic              ss_ready_i,
  output logic [DATA_W-1:0] ss_data_o,
  input  logic              ls_valid_i,
  output logic              ls_ready_o,
  input  logic [DATA_W-1:0] ls_data_i,

  // P words (SMNORM) into the global buffer
  output logic              we_o,
  output logic [GB_AW-1:0]  waddr_o,
  output logic [DATA_W-1:0] wdata_o
);

  localparam int LNC = $clog2(LANES);
  localparam int IW  = $clog2(DATA_W);            // mask bit index width

  typedef enum logic [2:0] {StIdle, StShape, StShape2, StMask, StMaskWait, StStart, StRun,
                            StDone} state_e;

  // Popcount of the low n bits of a lane slice (n <= LANES)
  function automatic logic [LNC:0] prefix_count(logic [LANES-1:0] v, int n);
    logic [LNC:0] c;
    c = '0;
    for (int i = 0; i < LANES; i++) begin
      if (i < n) c = c + (LNC + 1)'(v[i]);
    end
    return c;
  endfunction


  insn_t           cmd;          // the instruction's fields (valid with cmd_valid_i)
  assign cmd = cmd_insn_i;

  state_e          state_q;
  logic [7:0]      op_q;
  logic            dyn_q, nofeat_q;
  logic [15:0]     len_q, cnt_q, j0_q, fbase_q, os_q;
  logic [15:0]     a_q, b_q;                      // f0[15:0], f0[31:16]
  logic [7:0]      g0_q, ngf_q;
  logic            is_qk, is_smn, is_smf, is_pv, feat;
  logic [7:0]      err_q;

  assign is_qk  = (op_q == 8'(OpQk));
  assign is_smn = (op_q == 8'(OpSmnorm));
  assign is_smf = (op_q == 8'(OpSmfeat));
  assign is_pv  = (op_q == 8'(OpPv));
  assign feat   = (is_qk && !nofeat_q) || is_smf;

  // ---- shape ------------------------------------------------------------------------------
  logic [2:0]  lrep, lrep_q;
  logic [15:0] mq, mq_q, mg_q, r_q;
  logic [7:0]  ng_q, nt_q;
  logic [31:0] words_q;
  logic [15:0] mq_dyn;
  logic        causal;

  always_comb begin
    lrep = '0;
    for (int l = 7; l >= 0; l--) begin
      if ((16'(cfg_kvh_i) << l) == 16'(cfg_h_i)) lrep = 3'(l);
    end
  end
  assign mq_dyn = (cnt_q > j0_q) ? cnt_q - j0_q : 16'd0;
  assign mq     = !dyn_q ? len_q : (mq_dyn < len_q) ? mq_dyn : len_q;
  assign causal = cfg_causal_i && !is_pv;

  // ---- control ----------------------------------------------------------------------------
  logic [DATA_W-1:0] mask_q;
  logic              mm_done_q, dma_done_q, dma_err_q;
  logic [31:0]       p_cnt_q;                     // SMNORM: P words written
  logic              run_done;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      op_q       <= '0;
      dyn_q      <= 1'b0;
      nofeat_q   <= 1'b0;
      len_q      <= '0;
      cnt_q      <= '0;
      j0_q       <= '0;
      fbase_q    <= '0;
      os_q       <= '0;
      a_q        <= '0;
      b_q        <= '0;
      g0_q       <= '0;
      ngf_q      <= '0;
      err_q      <= 8'(ErrNone);
      lrep_q     <= '0;
      mq_q       <= '0;
      mg_q       <= '0;
      r_q        <= '0;
      ng_q       <= '0;
      nt_q       <= '0;
      words_q    <= '0;
      mask_q     <= '0;
      mm_done_q  <= 1'b0;
      dma_done_q <= 1'b0;
      dma_err_q  <= 1'b0;
    end else begin
      if (mm_done_i)  mm_done_q <= 1'b1;
      if (dma_done_i) begin
        dma_done_q <= 1'b1;
        dma_err_q  <= dma_err_i;
      end
      unique case (state_q)
        StIdle: begin
          if (cmd_valid_i) begin
            op_q     <= cmd.opcode;
            dyn_q    <= cmd.flags[FlagDyn];
            nofeat_q <= cmd.flags[FlagNofeat];
            len_q    <= cmd.len;
            a_q      <= cmd.f0[15:0];
            b_q      <= cmd.f0[31:16];
            fbase_q  <= cmd.f1[15:0];
            os_q     <= cmd.f1[15:0];
            g0_q     <= cmd.f1[23:16];
            ngf_q    <= cmd.f1[31:24];
            j0_q     <= cmd.f2[15:0];
            cnt_q    <= cmd_cnt_i;
            err_q    <= 8'(ErrNone);
            state_q  <= StShape;
          end
        end
        StShape: begin
          lrep_q  <= lrep;
          mq_q    <= mq;
          mg_q    <= mq << lrep;
          ng_q    <= (ngf_q != '0) ? ngf_q : cfg_kvh_i;
          nt_q    <= 8'((32'(cfg_nk_i) + LANES - 1) >> LNC);
          state_q <= StShape2;
        end
        StShape2: begin
          r_q     <= 16'(32'(ng_q) * 32'(mg_q));
          words_q <= 32'(nt_q) * 32'(ng_q) * 32'(mg_q);
          state_q <= (mq_q == '0) ? StDone : causal ? StMask : StStart;
        end
        StMask: state_q <= StMaskWait;
        StMaskWait: begin
          mask_q <= mask_rdata_i;
          if (32'(mask_popcount(MaskW'(mask_rdata_i))) < 32'(j0_q) + 32'(mq_q)) begin
            err_q   <= 8'(ErrNpeMask);
            state_q <= StDone;
          end else begin
            state_q <= StStart;
          end
        end
        StStart: begin
          mm_done_q  <= 1'b0;
          dma_done_q <= 1'b0;
          dma_err_q  <= 1'b0;
          state_q    <= StRun;
        end
        StRun: begin
          if (run_done) begin
            if (dma_err_q) err_q <= is_qk ? 8'(ErrDmaWrAxi) : 8'(ErrDmaRdAxi);
            state_q <= StDone;
          end
        end
        StDone:  state_q <= StIdle;
        default: state_q <= StIdle;
      endcase
    end
  end

  logic busy;
  assign busy = (state_q != StIdle);

  logic [31:0] cyc_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)     cyc_q <= '0;
    else if (clr_i)  cyc_q <= '0;
    else if (busy) cyc_q <= cyc_q + 32'd1;
  end
  assign cycles_o = cyc_q;
  assign done_o = (state_q == StDone);
  assign err_o  = err_q;

  assign mask_re_o    = (state_q == StMask);
  assign mask_raddr_o = GB_AW'(b_q);

  logic start;
  assign start = (state_q == StStart);

  assign mm_start_o = start && (is_qk || is_pv);
  assign mm_pv_o    = is_pv;
  assign mm_mg_o    = mg_q;
  assign mm_lrep_o  = lrep_q;
  assign mm_g0_o    = g0_q;
  assign mm_ng_o    = ng_q;
  assign mm_nt_o    = nt_q;
  assign mm_j0_o    = j0_q;
  assign mm_x_o     = GB_AW'(a_q);
  assign mm_r_o     = r_q;
  assign mm_hw_o    = cfg_hw_i;
  assign mm_kvh_o   = cfg_kvh_i;
  assign mm_qs_o    = cfg_qs_i;
  assign mm_o_o     = GB_AW'(b_q);
  assign mm_os_o    = os_q;

  assign dma_valid_o = start && !is_pv;
  assign dma_store_o = is_qk;
  assign dma_addr_o  = ADDR_W'(cfg_sbase_i);
  assign dma_len_o   = 16'(words_q);

  // ---- stream word sequencer: word i = nt * R + r, r = gi * Mg + m -------------------------
  logic            run, seq_adv;
  logic [15:0]     sq_r_q, sq_m_q;
  logic [7:0]      sq_nt_q;
  logic [IW:0]     sq_base_q;                      // popcount of the mask below key tile nt
  logic [LANES-1:0] slice, vmask;
  logic [15:0]     sq_k;                           // query token of the row: j0 + j
  logic [RW-1:0]   sq_row;

  assign run    = (state_q == StRun);
  // the mask word holds DATA_W = 16 * LANES bits, i.e. 16 key tiles (KV_TOKENS <= DATA_W)
  assign slice  = mask_q[32'(sq_nt_q[3:0]) * LANES +: LANES];
  assign sq_k   = j0_q + (sq_m_q >> lrep_q);
  assign sq_row = RW'(fbase_q + sq_r_q);

  for (genvar c = 0; c < LANES; c++) begin : g_valid
    logic [31:0] key, below;
    assign key   = (32'(sq_nt_q) << LNC) + c;
    assign below = 32'(sq_base_q) + 32'(prefix_count(slice, c));
    assign vmask[c] = (key < 32'(cfg_nk_i)) && (!causal || (below <= 32'(sq_k)));
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sq_r_q    <= '0;
      sq_m_q    <= '0;
      sq_nt_q   <= '0;
      sq_base_q <= '0;
    end else if (start) begin
      sq_r_q    <= '0;
      sq_m_q    <= '0;
      sq_nt_q   <= '0;
      sq_base_q <= '0;
    end else if (seq_adv) begin
      if (sq_r_q + 16'd1 == r_q) begin
        sq_r_q    <= '0;
        sq_m_q    <= '0;
        sq_nt_q   <= sq_nt_q + 8'd1;
        sq_base_q <= sq_base_q + (IW + 1)'(prefix_count(slice, LANES));
      end else begin
        sq_r_q <= sq_r_q + 16'd1;
        sq_m_q <= (sq_m_q + 16'd1 == mg_q) ? 16'd0 : sq_m_q + 16'd1;
      end
    end
  end

  // ---- QK fork: DMA store stream and feature updates; a word leaves when both took it ------
  logic tk_dma_q, tk_upd_q, dma_ok, upd_ok, sc_pop;
  logic upd_valid, upd_ready, upd_fire;
  logic nrm_valid, nrm_ready, nrm_fire, p_valid;
  logic [DATA_W-1:0] p_data;

  assign ss_valid_o = run && is_qk && sc_valid_i && !tk_dma_q;
  assign ss_data_o  = sc_data_i;
  assign dma_ok     = tk_dma_q || (ss_valid_o && ss_ready_i);
  assign upd_ok     = !feat || tk_upd_q || upd_fire;
  assign sc_ready_o = run && is_qk && dma_ok && upd_ok;
  assign sc_pop     = sc_valid_i && sc_ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tk_dma_q <= 1'b0;
      tk_upd_q <= 1'b0;
    end else if (sc_pop || start) begin
      tk_dma_q <= 1'b0;
      tk_upd_q <= 1'b0;
    end else begin
      if (ss_valid_o && ss_ready_i) tk_dma_q <= 1'b1;
      if (is_qk && upd_fire) tk_upd_q <= 1'b1;
    end
  end

  // update port: QK score words (from the fork) or SMFEAT words (from the load stream)
  assign upd_valid = run && feat && (is_qk ? (sc_valid_i && !tk_upd_q) : ls_valid_i);
  assign upd_fire  = upd_valid && upd_ready;
  assign nrm_valid = run && is_smn && ls_valid_i;
  assign nrm_fire  = nrm_valid && nrm_ready;
  assign ls_ready_o = run && (is_smf ? upd_ready : is_smn ? nrm_ready : 1'b0);
  assign seq_adv   = is_qk ? sc_pop : is_smf ? upd_fire : nrm_fire;

  logic upd_busy, upd_done;
  logic [RW-1:0] upd_done_row;
  logic [31:0] upd_done_m, upd_done_l, rd_m, rd_l;
  logic rd_valid;

  skipopu_npe_smax #(
    .DATA_W(DATA_W),
    .ROWS  (SMAX_ROWS)
  ) u_smax (
    .clk_i,
    .rst_ni,
    .upd_valid_i   (upd_valid),
    .upd_ready_o   (upd_ready),
    .upd_row_i     (sq_row),
    .upd_first_i   (sq_nt_q == '0),
    .upd_data_i    (is_qk ? sc_data_i : ls_data_i),
    .upd_mask_i    (vmask),
    .upd_busy_o    (upd_busy),
    .upd_done_o    (upd_done),
    .upd_done_row_o(upd_done_row),
    .upd_done_m_o  (upd_done_m),
    .upd_done_l_o  (upd_done_l),
    .nrm_valid_i   (nrm_valid),
    .nrm_ready_o   (nrm_ready),
    .nrm_row_i     (sq_row),
    .nrm_data_i    (ls_data_i),
    .nrm_mask_i    (vmask),
    .p_valid_o     (p_valid),
    .p_ready_i     (1'b1),
    .p_data_o      (p_data),
    .rd_en_i       (1'b0),
    .rd_row_i      (RW'(0)),
    .rd_valid_o    (rd_valid),
    .rd_m_o        (rd_m),
    .rd_l_o        (rd_l)
  );

  // ---- P words into the buffer (SMNORM): word i at dst + i ---------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)      p_cnt_q <= '0;
    else if (start)   p_cnt_q <= '0;
    else if (p_valid) p_cnt_q <= p_cnt_q + 32'd1;
  end
  assign we_o    = p_valid;
  assign waddr_o = GB_AW'(a_q) + GB_AW'(p_cnt_q);
  assign wdata_o = p_data;

  // The instruction is complete when the engine and the DMA are done; SMNORM also when the last
  // P word is written (the updates of QK / SMFEAT need only be accepted: a later SMNORM word of
  // the same row waits for them, docs/softmax.md)
  assign run_done = is_pv ? mm_done_q :
                    is_qk ? (mm_done_q && dma_done_q) :
                    is_smn ? (dma_done_q && (p_cnt_q == words_q)) : dma_done_q;

  logic [31:0] ab_hi;                              // buffer word fields above GB_AW (checked)
  assign ab_hi = {16'd0, a_q | b_q} >> GB_AW;
  logic unused;
  assign unused = ^{ab_hi, upd_busy, upd_done, upd_done_row, upd_done_m, upd_done_l, rd_valid, rd_m,
                    rd_l, nrm_fire, cmd.f2[31:16], cmd.flags[2], cmd.flags[0], cmd.port,
                    words_q[31:16], sq_nt_q[7:4]};

endmodule
