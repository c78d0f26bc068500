// MATMUL engine: Y[M x N] = X[M x K] . W[K x N] on the PE array (docs/isa.md, docs/pe-array.md).
//
//   X: global buffer, row m = K/KDIM words at src + m*K/KDIM (word j = x[m, j*KDIM +: KDIM])
//   W: weight memory (any DMA port), tile-major: tile (nt, kt) of KDIM x NCOL weights at
//      waddr + (nt*K/KDIM + kt) * tile bytes; FP16: one word per row k; INT4: 4 rows per word,
//      NCOL two's-complement nibbles per row
//   S: INT4 group scales, FP16 [K/group, N] in DDR at scale (row-major)
//   Y: global buffer, row m = N/NCOL words at dst + m*N/NCOL
//
// Tiles j = nt * K/KDIM + kt are processed in order by three decoupled sides:
//   loader  takes tile j's weight words from the DMA's weight stream (skipopu_mm_rd: the whole
//           weight as one run of bursts, read ahead) into KER bank j%2 as soon as the bank is
//           free, one word per cycle; at the first tile of each INT4 group the group's scale
//           word from the scale stream (read ahead on DDR) goes into the scale ring with the
//           tile's last word; so the next tile loads while the current one computes (ping-pong
//           KER) and tile boundaries cost nothing;
//   input   streams the M activation words of tile j from the global buffer into the PE array,
//           one per cycle, once bank j%2 is loaded (a new column tile waits until the outputs of
//           the previous one are written); the array takes the weights with the activation, so
//           bank j%2 is free again once the M-th activation word of tile j has entered it;
//   output  updates the FP32 accumulators of each row as tile sums arrive: gacc = gacc + tile
//           (restarted per scale group) and at the end of a group psum = psum + gacc * scale
//           (FP16 weights: scale 1.0, one tile per group, equal to psum + tile bit for bit;
//           the scale ring's oldest word, freed after the group's M-th row), and after the last
//           row tile of a column tile rounds the M sums to FP16 and writes them to Y.
// A weight tile with an error on any of its beats, or a failed scale word, stops the loader
// after the tile's last beat (model order: a tile's weights, then its group's scale); the DMA
// drops what the streams had read ahead (uncounted); tiles loaded before it are finished (and
// the column tiles they complete are written), then the engine reports the error.
// Norm flag (fused RMSNorm, paper 3.1 / Alg. 1): the engine holds (no weight request) until
// go_i (the NPE has checked the mask) or abort_i; then the first column tile's activation
// words are requested from the NPE instead of the buffer (norm_issue_o), which normalises
// them, writes them to X and returns them NpeNormLat cycles later on npe_x_i; the later column
// tiles read X from the buffer as usual, after the last normalised word has been written.
// Attention modes (docs/isa.md "KV and attention", started by skipopu_att with
// att_start_i instead of start_i): the KER tiles come from the KV staging buffer's tile port
// (one cycle per tile, skipopu_kvsb) instead of the weight stream, FP16 numerics as a MATMUL:
//   QK  column tiles (nt, g) (nt outer), row tiles kt < HW: KER = K^T of key tile nt, head g
//       (KVSB word g*HW + kt, column-loaded); X row m (query j = m >> lrep, head
//       h = g*n_rep + (m & (n_rep-1))) = word q + (j0 + j)*QS + h*HW + kt; the score words leave
//       in production order (= key-tile-major score-area order nt*R + r) on the sc_* stream,
//       which may stall: a write-out that has not finished holds its PSUM bank, so column tile
//       c starts only when column tile c-2 has been written out and a finished column tile waits
//       for the write-out before it (one pending);
//   PV  column tiles (g, nd) (g outer), row tiles = key tiles nt < NT: KER = V of key tile nt
//       (KVSB word KVH*HW + g*HW + nd, row-loaded); X row m = P word p + nt*R + (g-g0)*Mg + m;
//       output word of row m at o + (j0 + j)*OS + h*HW + nd in the buffer.
// Bit-exact with model/pe.py:matmul. KDIM = NCOL = DATA_W / 16.

module skipopu_mm
  import skipopu_pkg::*;
#(
  // Data width of the buffer and memory ports (array size KDIM = NCOL = DATA_W / 16)
  parameter int DATA_W = 256,
  // AXI address width
  parameter int ADDR_W = 34,
  // Global buffer address width
  parameter int GB_AW = 12,
  // Largest M (PSUM rows)
  parameter int MMAX = 64
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Command (validated by the decoder)
  input  logic              start_i,
  input  logic              int4_i,
  input  logic [3:0]        port_i,
  input  logic [15:0]       m_i,
  input  logic [GB_AW-1:0]  src_i,
  input  logic [GB_AW-1:0]  dst_i,
  input  logic [ADDR_W-1:0] waddr_i,
  input  logic [15:0]       k_i,
  input  logic [15:0]       n_i,
  input  logic [ADDR_W-1:0] scale_i,
  input  logic [15:0]       group_i,
  input  logic              norm_i,      // with start_i: X from the NPE (fused RMSNorm)
  input  logic              go_i,        // norm: the NPE serves normalised words
  input  logic              abort_i,     // norm: the NPE's mask check failed, stop idle
  output logic              norm_issue_o,// norm: the NPE's next normalised word is taken
  input  logic [DATA_W-1:0] npe_x_i,     // ... and arrives NpeNormLat cycles later
  output logic              pe_active_o, // an activation word enters the PE array
  output logic              done_o,      // pulse
  output logic              err_o,       // with done_o: a weight/scale read failed

  // Attention modes (QK / PV; the command is validated by the decoder and skipopu_att)
  input  logic              att_start_i, // pulse (instead of start_i)
  input  logic              att_pv_i,    // 0: QK, 1: PV
  input  logic [15:0]       att_mg_i,    // rows Mg = n_rep * Mq (>= 1)
  input  logic [2:0]        att_lrep_i,  // log2 n_rep
  input  logic [7:0]        att_g0_i,    // first KV group
  input  logic [7:0]        att_ng_i,    // groups G (>= 1)
  input  logic [7:0]        att_hw_i,    // words per head HW
  input  logic [7:0]        att_kvh_i,   // KV heads (PV: V words start at KVH*HW)
  input  logic [7:0]        att_nt_i,    // key tiles NT
  input  logic [15:0]       att_j0_i,    // first query token
  input  logic [GB_AW-1:0]  att_x_i,     // QK: Q base; PV: P base
  input  logic [7:0]        att_qs_i,    // QK: Q row stride
  input  logic [15:0]       att_r_i,     // PV: rows R = G * Mg of the P words
  input  logic [GB_AW-1:0]  att_o_i,     // PV: O base
  input  logic [15:0]       att_os_i,    // PV: O row stride

  // KV staging buffer tile port (read data exactly one cycle after the request)
  output logic              tile_req_o,
  output logic [7:0]        tile_nt_o,
  output logic [7:0]        tile_word_o,
  output logic              tile_col_o,  // 1: K^T (QK), 0: V (PV)
  input  logic              tile_rvalid_i,
  input  logic [DATA_W*DATA_W/16-1:0] tile_rdata_i,

  // QK score words (valid/ready)
  output logic              sc_valid_o,
  input  logic              sc_ready_i,
  output logic [DATA_W-1:0] sc_data_o,

  // DMA read streams (skipopu_dma / skipopu_mm_rd)
  output logic              rd_start_o,  // pulse: weights and scales start streaming
  output logic [3:0]        rd_wport_o,
  output logic [ADDR_W-1:0] rd_waddr_o,
  output logic [31:0]       rd_wbeats_o,
  output logic [ADDR_W-1:0] rd_saddr_o,
  output logic [ADDR_W-1:0] rd_sstep_o,
  output logic [15:0]       rd_sgroups_o,
  output logic [15:0]       rd_scols_o,
  output logic              rd_stop_o,   // pulse: a tile failed, drop the rest
  input  logic              rd_busy_i,
  input  logic              w_valid_i,
  output logic              w_ready_o,
  input  logic [DATA_W-1:0] w_data_i,
  input  logic              w_err_i,
  input  logic              s_valid_i,
  output logic              s_ready_o,
  input  logic [DATA_W-1:0] s_data_i,
  input  logic              s_err_i,

  // Global buffer
  output logic              re_o,
  output logic [GB_AW-1:0]  raddr_o,
  input  logic [DATA_W-1:0] rdata_i,
  output logic              we_o,
  output logic [GB_AW-1:0]  waddr_o,
  output logic [DATA_W-1:0] wdata_o
);

  // pragma translate_off
  initial begin : p_params
    if (DATA_W != 128 && DATA_W != 256 && DATA_W != 512) begin
      $fatal(1, "skipopu_mm: DATA_W=%0d not 128, 256 or 512", DATA_W);
    end
    if (MMAX < 1) begin
      $fatal(1, "skipopu_mm: MMAX=%0d < 1", MMAX);
    end
  end
  // pragma translate_on

  localparam int Kdim = DATA_W / 16;
  localparam int Ncol = DATA_W / 16;
  localparam int KShift = $clog2(Kdim);
  localparam int MW = $clog2(MMAX + 1);
  localparam int RW = (MMAX > 1) ? $clog2(MMAX) : 1;   // PSUM row index
  localparam logic [31:0] Fp32One = 32'h3F80_0000;
  localparam int Tile16Words = Kdim;                 // one weight row per word
  localparam int Tile4Words = Kdim / 4;              // four INT4 rows per word
  localparam int Tile16WShift = $clog2(Tile16Words);
  localparam int Tile4WShift = $clog2(Tile4Words);
  localparam int ScaleRing = 4;                      // INT4 groups loaded, not yet output
  localparam int SrAW = $clog2(ScaleRing);

  // ---------------------------------------------------------------------------------------------
  // Command registers
  // ---------------------------------------------------------------------------------------------
  logic              active_q, int4_q, ld_err_q;
  logic              norm_q, hold_q;                 // norm flag; waiting for go_i
  logic [3:0]        port_q;
  logic [15:0]       m_q, kt_n_q, nt_n_q, gk_q;
  logic [3:0]        gshift_q;                       // log2(gk_q)
  logic [GB_AW-1:0]  src_q, dst_q;
  logic [ADDR_W-1:0] waddr_q, scale_q;
  logic [15:0]       n_q;
  logic [31:0]       total_q, limit_q;              // tiles; tiles < limit_q are computed
  // Attention modes: att_q (QK or PV), pv_q; stream_q = QK (output on the sc_* stream).
  // Column tile (a, b): QK a = key tile nt < NT, b = group index < G; PV a = group index < G,
  // b = head word nd < HW. Row tiles: QK kt < HW, PV key tiles kt < NT.
  logic              att_q, pv_q, stream_q;
  logic [2:0]        lrep_q;
  logic [7:0]        g0_q, bn_q, hw_q, kvh_q, qs_q;  // bn_q: inner column-tile count (b)
  logic [15:0]       j0_q, r_q, os_q;
  logic [GB_AW-1:0]  xb_q, ob_q;

  // ---------------------------------------------------------------------------------------------
  // Loader: weight words into KER banks, INT4 scales into the scale ring
  // ---------------------------------------------------------------------------------------------
  logic              ld_run_q;                       // taking weight words (tiles < limit_q)
  logic              rd_pend_q;                      // read streams not started yet
  logic [31:0]       j_ld_q;
  logic [15:0]       ld_kt_q, wi_q;
  logic              ld_terr_q;                      // an earlier word of tile j_ld_q failed
  logic [1:0]        loaded_q;                       // bank holds a tile not yet issued
  logic [1:0]        held_q;                         // bank holds a tile not yet sampled
  logic [Kdim*Ncol*16-1:0] w_q [2];
  logic [ScaleRing-1:0][Ncol*16-1:0] sr_q;           // scale words of the groups in flight
  logic [SrAW-1:0]   sr_wp_q, sr_rp_q;
  logic [SrAW:0]     sr_cnt_q;
  logic              ld_bank, ld_first_in_group, bank_free, ld_last, need_scale, tile_err;
  logic              w_take, ld_fail, tile_loaded, sr_push, sr_pop;
  logic [1:0]        release_bank, issued_bank;      // from the input side

  // attention modes: a tile requested from the KVSB arrives one cycle later (kvb_q: its bank)
  logic              kv_req, kv_rvalid_q, kvb_q;
  logic [7:0]        ld_a_q, ld_b_q;
  logic              ld_set, ld_set_bank;

  assign ld_bank           = j_ld_q[0];
  assign ld_first_in_group = (ld_kt_q & (gk_q - 16'd1)) == '0;
  assign bank_free         = !held_q[ld_bank] || release_bank[ld_bank];
  assign ld_last           = wi_q == (int4_q ? 16'(Tile4Words - 1) : 16'(Tile16Words - 1));
  assign need_scale        = int4_q && ld_first_in_group;
  assign tile_err          = ld_terr_q || w_err_i;

  // the last word of a tile waits for its group's scale word (unless the tile failed: then the
  // scale is not read, as in the model) and for room in the scale ring
  assign w_ready_o   = ld_run_q && !att_q && bank_free &&
                       (!ld_last || !need_scale || tile_err ||
                        (s_valid_i && (32'(sr_cnt_q) < ScaleRing)));
  assign w_take      = w_valid_i && w_ready_o;
  assign s_ready_o   = w_take && ld_last && need_scale && !tile_err;
  assign ld_fail     = w_take && ld_last && (tile_err || (need_scale && s_err_i));
  assign tile_loaded = w_take && ld_last && !ld_fail;
  assign sr_push     = tile_loaded && need_scale;
  assign rd_stop_o   = ld_fail;

  // KVSB tile requests (attention modes): one per cycle while the tile's bank is free
  assign kv_req      = att_q && ld_run_q && bank_free;
  assign ld_set      = att_q ? kv_rvalid_q : tile_loaded;
  assign ld_set_bank = att_q ? kvb_q : ld_bank;
  assign tile_req_o  = kv_req;
  assign tile_col_o  = !pv_q;
  assign tile_nt_o   = pv_q ? 8'(ld_kt_q) : ld_a_q;
  assign tile_word_o = pv_q ? 8'(16'(kvh_q) * 16'(hw_q) + (16'(g0_q) + 16'(ld_a_q)) *
                                 16'(hw_q) + 16'(ld_b_q)) :
                              8'((16'(g0_q) + 16'(ld_b_q)) * 16'(hw_q) + ld_kt_q);

  // read streams: started once the command registers hold the MATMUL (norm: after go_i)
  assign rd_start_o   = rd_pend_q && !hold_q;
  assign rd_wport_o   = port_q;
  assign rd_waddr_o   = waddr_q;
  assign rd_wbeats_o  = total_q << (int4_q ? Tile4WShift : Tile16WShift);
  assign rd_saddr_o   = scale_q;
  assign rd_sstep_o   = ADDR_W'(n_q) << 1;
  assign rd_sgroups_o = int4_q ? (kt_n_q >> gshift_q) : 16'd0;
  assign rd_scols_o   = nt_n_q;

  logic start_fire, att_fire;
  assign att_fire   = att_start_i && !active_q;
  assign start_fire = (start_i || att_start_i) && !active_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ld_run_q  <= 1'b0;
      rd_pend_q <= 1'b0;
      j_ld_q    <= '0;
      ld_kt_q   <= '0;
      ld_a_q    <= '0;
      ld_b_q    <= '0;
      kv_rvalid_q <= 1'b0;
      kvb_q     <= 1'b0;
      wi_q      <= '0;
      ld_terr_q <= 1'b0;
      loaded_q  <= '0;
      held_q    <= '0;
      ld_err_q  <= 1'b0;
      limit_q   <= '0;
      sr_wp_q   <= '0;
      sr_rp_q   <= '0;
      sr_cnt_q  <= '0;
    end else begin
      // a tile's bank: issued once its last activation word is requested, free for the loader
      // once that word has entered the array (norm: NpeNormLat cycles later)
      loaded_q <= (loaded_q & ~issued_bank) | (ld_set ? (ld_set_bank ? 2'b10 : 2'b01) : 2'b00);
      held_q   <= (held_q & ~release_bank) | (ld_set ? (ld_set_bank ? 2'b10 : 2'b01) : 2'b00);
      kv_rvalid_q <= kv_req;
      if (kv_req) begin
        kvb_q  <= ld_bank;
        j_ld_q <= j_ld_q + 32'd1;
        if (ld_kt_q + 16'd1 == kt_n_q) begin
          ld_kt_q <= '0;
          if (ld_b_q + 8'd1 == bn_q) begin
            ld_b_q <= '0;
            ld_a_q <= ld_a_q + 8'd1;
          end else begin
            ld_b_q <= ld_b_q + 8'd1;
          end
        end else begin
          ld_kt_q <= ld_kt_q + 16'd1;
        end
        if (j_ld_q + 32'd1 == total_q) begin
          ld_run_q <= 1'b0;
        end
      end
      if (rd_start_o) begin
        rd_pend_q <= 1'b0;
      end
      if (w_take) begin
        wi_q      <= ld_last ? '0 : wi_q + 16'd1;
        ld_terr_q <= !ld_last && tile_err;
      end
      if (ld_fail) begin
        ld_run_q <= 1'b0;
        ld_err_q <= 1'b1;
        limit_q  <= j_ld_q;
      end
      if (tile_loaded) begin
        j_ld_q  <= j_ld_q + 32'd1;
        ld_kt_q <= (ld_kt_q + 16'd1 == kt_n_q) ? '0 : ld_kt_q + 16'd1;
        if (j_ld_q + 32'd1 == total_q) begin
          ld_run_q <= 1'b0;
        end
      end
      sr_cnt_q <= sr_cnt_q + (SrAW+1)'(sr_push) - (SrAW+1)'(sr_pop);
      if (sr_push) sr_wp_q <= sr_wp_q + 1'b1;
      if (sr_pop)  sr_rp_q <= sr_rp_q + 1'b1;
      if (abort_i) begin
        ld_run_q  <= 1'b0;
        rd_pend_q <= 1'b0;
      end
      if (start_fire) begin
        ld_run_q  <= 1'b1;
        rd_pend_q <= !att_fire;
        j_ld_q    <= '0;
        ld_kt_q   <= '0;
        ld_a_q    <= '0;
        ld_b_q    <= '0;
        wi_q      <= '0;
        ld_terr_q <= 1'b0;
        loaded_q  <= '0;
        held_q    <= '0;
        ld_err_q  <= 1'b0;
        limit_q   <= att_fire ? att_tiles : 32'(k_i >> KShift) * 32'(n_i >> KShift);
        sr_wp_q   <= '0;
        sr_rp_q   <= '0;
        sr_cnt_q  <= '0;
      end
    end
  end

  // KER banks and the scale ring (attention: the whole tile from the KVSB in one cycle; its
  // words are the KER rows in both orientations, skipopu_kvsb)
  always_ff @(posedge clk_i) begin
    if (kv_rvalid_q) begin
      w_q[kvb_q] <= tile_rdata_i;
    end
    if (w_take) begin
      if (int4_q) begin
        for (int r = 0; r < 4; r++) begin
          for (int c = 0; c < Ncol; c++) begin
            w_q[ld_bank][((32'(wi_q) * 4 + r) * Ncol + c) * 16 +: 16] <=
                {12'd0, w_data_i[r * (DATA_W / 4) + c * 4 +: 4]};
          end
        end
      end else begin
        w_q[ld_bank][32'(wi_q) * DATA_W +: DATA_W] <= w_data_i;
      end
    end
    if (sr_push) begin
      sr_q[sr_wp_q] <= s_data_i;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Input side: activation words of tile j_in into the PE array
  // ---------------------------------------------------------------------------------------------
  logic [31:0]   j_in_q, j_out_q;
  logic [15:0]   y_nt_q;                            // column tile being written out
  logic [15:0]   in_kt_q, in_nt_q;
  logic [MW-1:0] mi_q;
  logic          ywrite_q;
  logic          in_bank, in_ok, issue, rvalid_q, in_bank_q, in_last, rlast_q;
  logic [7:0]    in_a_q, in_b_q;                    // attention: column tile (a, b)
  logic [15:0]   wo_cnt_q;                          // QK: column tiles written out

  assign in_bank = j_in_q[0];
  // PSUM bank reuse needs no wait: column tile nt+2 writes PSUM row r (at its first group's
  // end) only after column tile nt+1's M rows have left the array, and the write-out of nt reads
  // row r r+1 cycles after nt's last row, so before that (rows leave the array in order, one
  // per cycle, and the write-out of a column tile starts right after its last row)
  // norm: column tile 0 takes its words from the NPE; later column tiles read X only after
  // the last normalised word has been written (nv_q empty)
  logic          norm_phase, norm_busy;
  logic [NpeNormLat-1:0] nv_q, nb_q, nl_q;            // normalised words in flight, bank, last
  assign norm_phase = norm_q && (in_nt_q == '0);
  assign norm_busy  = |nv_q;
  // QK (stalling write-out): column tile c starts once column tile c-2 is written out
  assign in_ok   = active_q && !hold_q && (j_in_q < limit_q) && loaded_q[in_bank] &&
                   (norm_phase || !norm_busy) && (!stream_q || (in_nt_q <= wo_cnt_q + 16'd1));
  assign issue   = in_ok && (32'(mi_q) < 32'(m_q));
  assign in_last = 32'(mi_q) == 32'(m_q) - 1;
  assign issued_bank = !(issue && in_last) ? 2'b00 : (in_bank ? 2'b10 : 2'b01);
  assign re_o    = issue && !norm_phase;
  assign norm_issue_o = issue && norm_phase;
  // X word of row mi, row tile kt: MATMUL src + m*K/KDIM + kt; QK q + (j0 + j)*QS + h*HW + kt
  // (j = m >> lrep, h = (g0 + b) << lrep | m mod n_rep); PV p + kt*R + a*Mg + m
  logic [15:0] in_j, in_h;
  logic [GB_AW-1:0] att_raddr;
  assign in_j      = j0_q + 16'(32'(mi_q) >> lrep_q);
  assign in_h      = ((16'(g0_q) + 16'(in_b_q)) << lrep_q) |
                     (16'(mi_q) & ((16'd1 << lrep_q) - 16'd1));
  assign att_raddr = GB_AW'(pv_q ? 32'(in_kt_q) * 32'(r_q) + 32'(in_a_q) * 32'(m_q) + 32'(mi_q) :
                                   32'(in_j) * 32'(qs_q) + 32'(in_h) * 32'(hw_q) + 32'(in_kt_q));
  assign raddr_o = att_q ? xb_q + att_raddr :
                           src_q + GB_AW'(32'(mi_q) * 32'(kt_n_q) + 32'(in_kt_q));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      j_in_q    <= '0;
      in_kt_q   <= '0;
      in_nt_q   <= '0;
      in_a_q    <= '0;
      in_b_q    <= '0;
      mi_q      <= '0;
      rvalid_q  <= 1'b0;
      in_bank_q <= 1'b0;
      rlast_q   <= 1'b0;
      nv_q      <= '0;
      nb_q      <= '0;
      nl_q      <= '0;
    end else begin
      nv_q      <= {nv_q[NpeNormLat-2:0], norm_issue_o};
      nb_q      <= {nb_q[NpeNormLat-2:0], in_bank};
      nl_q      <= {nl_q[NpeNormLat-2:0], in_last};
      rvalid_q  <= issue && !norm_phase;
      in_bank_q <= in_bank;
      rlast_q   <= in_last;
      if (start_fire) begin
        j_in_q  <= '0;
        in_kt_q <= '0;
        in_nt_q <= '0;
        in_a_q  <= '0;
        in_b_q  <= '0;
        mi_q    <= '0;
      end else if (issue) begin
        if (in_last) begin
          mi_q   <= '0;
          j_in_q <= j_in_q + 32'd1;
          if (in_kt_q + 16'd1 == kt_n_q) begin
            in_kt_q <= '0;
            in_nt_q <= in_nt_q + 16'd1;
            if (in_b_q + 8'd1 == bn_q) begin
              in_b_q <= '0;
              in_a_q <= in_a_q + 8'd1;
            end else begin
              in_b_q <= in_b_q + 8'd1;
            end
          end else begin
            in_kt_q <= in_kt_q + 16'd1;
          end
        end else begin
          mi_q <= mi_q + 1'b1;
        end
      end
    end
  end

  logic arr_valid_out, arr_valid_in, arr_bank, arr_last;
  logic [Ncol*32-1:0] arr_y;
  logic [DATA_W-1:0]  arr_x;

  // the two operand sources never deliver in the same cycle (norm_busy above)
  assign arr_valid_in = rvalid_q || nv_q[NpeNormLat-1];
  assign arr_bank     = nv_q[NpeNormLat-1] ? nb_q[NpeNormLat-1] : in_bank_q;
  assign arr_x        = nv_q[NpeNormLat-1] ? npe_x_i : rdata_i;
  assign arr_last     = nv_q[NpeNormLat-1] ? nl_q[NpeNormLat-1] : rlast_q;
  // the array registers the weights with the activation: the bank of a tile is free for the
  // loader (from this very cycle on) once the tile's last activation word enters the array
  assign release_bank = !(arr_valid_in && arr_last) ? 2'b00 : (arr_bank ? 2'b10 : 2'b01);

  skipopu_pe_array #(
    .KDIM(Kdim),
    .NCOL(Ncol)
  ) u_array (
    .clk_i,
    .rst_ni,
    .int4_i (int4_q),
    .w_i    (w_q[arr_bank]),
    .valid_i(arr_valid_in),
    .x_i    (arr_x),
    .valid_o(arr_valid_out),
    .y_o    (arr_y)
  );

  // ---------------------------------------------------------------------------------------------
  // Output side: accumulator updates, bank release, Y rows
  // ---------------------------------------------------------------------------------------------
  logic [15:0]   out_kt_q, out_nt_q;
  logic [MW-1:0] mr_q, yi_q;
  logic [15:0]   gpos;
  logic          first_in_group, last_in_group, first_group, tile_done;

  assign gpos           = out_kt_q & (gk_q - 16'd1);
  assign first_in_group = (gpos == '0);
  assign last_in_group  = (gpos == gk_q - 16'd1);
  assign first_group    = (out_kt_q < gk_q);
  assign pe_active_o    = arr_valid_in;
  assign tile_done      = arr_valid_out && (32'(mr_q) == 32'(m_q) - 1);
  assign sr_pop         = tile_done && last_in_group && int4_q;

  logic [Ncol*16-1:0] sc_head;                      // scale word of the group being output
  assign sc_head = sr_q[sr_rp_q];

  // Write-out: one row per cycle (to the buffer), or per sc_* handshake (QK stream). A column
  // tile that ends while the stream still holds the previous write-out waits (wo_pend_q); the
  // input side keeps column tile c + 2 back until c is written out (wo_cnt_q), so at most one
  // waits and no PSUM bank is overwritten before it was read.
  logic          y_adv, wo_last, wo_free, col_end, wo_pend_q;
  logic [15:0]   wo_pend_nt_q;
  logic [7:0]    out_a_q, out_b_q, y_a_q, y_b_q, wo_pend_a_q, wo_pend_b_q;
  assign y_adv   = ywrite_q && (!stream_q || sc_ready_i);
  assign wo_last = y_adv && (32'(yi_q) == 32'(m_q) - 1);
  assign wo_free = !ywrite_q || wo_last;
  assign col_end = tile_done && (out_kt_q + 16'd1 == kt_n_q);

  // attention shape at att_start_i: tiles = NT * G * HW in both modes
  logic [31:0] att_tiles;
  assign att_tiles = 32'(att_nt_i) * 32'(att_ng_i) * 32'(att_hw_i);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      int4_q   <= 1'b0;
      norm_q   <= 1'b0;
      hold_q   <= 1'b0;
      port_q   <= '0;
      m_q      <= '0;
      kt_n_q   <= '0;
      nt_n_q   <= '0;
      gk_q     <= '0;
      gshift_q <= '0;
      src_q    <= '0;
      dst_q    <= '0;
      waddr_q  <= '0;
      scale_q  <= '0;
      n_q      <= '0;
      total_q  <= '0;
      j_out_q  <= '0;
      out_kt_q <= '0;
      out_nt_q <= '0;
      y_nt_q   <= '0;
      mr_q     <= '0;
      yi_q     <= '0;
      ywrite_q <= 1'b0;
      att_q    <= 1'b0;
      pv_q     <= 1'b0;
      stream_q <= 1'b0;
      lrep_q   <= '0;
      g0_q     <= '0;
      bn_q     <= '0;
      hw_q     <= '0;
      kvh_q    <= '0;
      qs_q     <= '0;
      j0_q     <= '0;
      r_q      <= '0;
      os_q     <= '0;
      xb_q     <= '0;
      ob_q     <= '0;
      out_a_q  <= '0;
      out_b_q  <= '0;
      y_a_q    <= '0;
      y_b_q    <= '0;
      wo_pend_q <= 1'b0;
      wo_pend_nt_q <= '0;
      wo_pend_a_q  <= '0;
      wo_pend_b_q  <= '0;
      wo_cnt_q <= '0;
    end else begin
      if (hold_q && go_i) begin
        hold_q <= 1'b0;
      end
      if (start_fire) begin
        active_q <= 1'b1;
        int4_q   <= int4_i;
        norm_q   <= norm_i;
        hold_q   <= norm_i;
        port_q   <= port_i;
        m_q      <= m_i;
        kt_n_q   <= k_i >> KShift;
        nt_n_q   <= n_i >> KShift;
        gk_q     <= int4_i ? (group_i >> KShift) : 16'd1;
        gshift_q <= '0;
        for (int i = 0; i < 16; i++) begin
          if (int4_i && group_i[i] && i >= KShift) gshift_q <= 4'(i - KShift);
        end
        src_q    <= src_i;
        dst_q    <= dst_i;
        waddr_q  <= waddr_i;
        scale_q  <= scale_i;
        n_q      <= n_i;
        total_q  <= 32'(k_i >> KShift) * 32'(n_i >> KShift);
        j_out_q  <= '0;
        out_kt_q <= '0;
        out_nt_q <= '0;
        out_a_q  <= '0;
        out_b_q  <= '0;
        mr_q     <= '0;
        ywrite_q <= 1'b0;
        wo_pend_q <= 1'b0;
        wo_cnt_q <= '0;
        att_q    <= att_fire;
        pv_q     <= att_fire && att_pv_i;
        stream_q <= att_fire && !att_pv_i;
        if (att_fire) begin
          int4_q   <= 1'b0;
          norm_q   <= 1'b0;
          hold_q   <= 1'b0;
          m_q      <= att_mg_i;
          kt_n_q   <= att_pv_i ? 16'(att_nt_i) : 16'(att_hw_i);
          nt_n_q   <= '0;                  // Y addressing of a MATMUL only
          gk_q     <= 16'd1;
          gshift_q <= '0;
          total_q  <= att_tiles;
          lrep_q   <= att_lrep_i;
          g0_q     <= att_g0_i;
          bn_q     <= att_pv_i ? att_hw_i : att_ng_i;
          hw_q     <= att_hw_i;
          kvh_q    <= att_kvh_i;
          qs_q     <= att_qs_i;
          j0_q     <= att_j0_i;
          r_q      <= att_r_i;
          os_q     <= att_os_i;
          xb_q     <= att_x_i;
          ob_q     <= att_o_i;
        end
      end
      if (arr_valid_out) begin
        mr_q <= mr_q + 1'b1;
      end
      if (y_adv) begin
        yi_q <= yi_q + 1'b1;
        if (wo_last) begin
          ywrite_q <= 1'b0;
          if (stream_q) wo_cnt_q <= wo_cnt_q + 16'd1;
        end
      end
      // after the write-out update: a column tile may end in the last cycle of the previous
      // one's write-out (one-tile column tiles at one tile per M cycles); on the QK stream it
      // may also end while that write-out stalls, then it waits for it
      if (wo_pend_q && wo_free) begin
        wo_pend_q <= 1'b0;
        ywrite_q  <= 1'b1;
        y_nt_q    <= wo_pend_nt_q;
        y_a_q     <= wo_pend_a_q;
        y_b_q     <= wo_pend_b_q;
        yi_q      <= '0;
      end
      if (tile_done) begin
        mr_q    <= '0;
        j_out_q <= j_out_q + 32'd1;
        if (col_end) begin
          out_kt_q <= '0;
          out_nt_q <= out_nt_q + 16'd1;
          if (out_b_q + 8'd1 == bn_q) begin
            out_b_q <= '0;
            out_a_q <= out_a_q + 8'd1;
          end else begin
            out_b_q <= out_b_q + 8'd1;
          end
          if (!stream_q || (wo_free && !wo_pend_q)) begin
            ywrite_q <= 1'b1;
            y_nt_q   <= out_nt_q;
            y_a_q    <= out_a_q;
            y_b_q    <= out_b_q;
            yi_q     <= '0;
          end else begin
            wo_pend_q    <= 1'b1;
            wo_pend_nt_q <= out_nt_q;
            wo_pend_a_q  <= out_a_q;
            wo_pend_b_q  <= out_b_q;
          end
        end else begin
          out_kt_q <= out_kt_q + 16'd1;
        end
      end
      if (done_o || abort_i) begin
        active_q <= 1'b0;
        hold_q   <= 1'b0;
      end
    end
  end

  assign done_o = active_q && !ywrite_q && !wo_pend_q && (j_out_q == limit_q) && !tile_done &&
                  !ld_run_q && !rd_pend_q && !rd_busy_i;
  assign err_o  = done_o && ld_err_q;

  // ---------------------------------------------------------------------------------------------
  // PSUM: FP32 group and total accumulators per row and column
  // ---------------------------------------------------------------------------------------------
  logic [Ncol*32-1:0] gacc_q [MMAX];
  logic [Ncol*32-1:0] psum_q [2][MMAX];             // ping-pong by column-tile parity
  logic [Ncol*32-1:0] gacc_in, gacc_new, scale32, prod, psum_in, psum_new;
  logic [Ncol*16-1:0] y16;
  logic [RW-1:0]      yi_row, mr_row;
  logic               obank, ybank;

  assign yi_row = RW'(yi_q);
  assign mr_row = RW'(mr_q);
  assign obank  = out_nt_q[0];
  assign ybank  = y_nt_q[0];

  for (genvar c = 0; c < Ncol; c++) begin : g_psum
    logic [15:0] sc16;
    assign sc16 = sc_head[c*16 +: 16];
    // FP16 -> FP32 widening of the scale (DAZ)
    assign scale32[c*32 +: 32] = !int4_q ? Fp32One :
        (sc16[14:10] == 5'd0) ? {sc16[15], 31'd0} :
        (sc16[14:10] == 5'h1F) ? ((sc16[9:0] == '0) ? {sc16[15], 8'hFF, 23'd0} : 32'h7FC0_0000) :
        {sc16[15], 8'(sc16[14:10]) + 8'd112, sc16[9:0], 13'd0};
    assign gacc_in[c*32 +: 32] = first_in_group ? 32'd0 : gacc_q[mr_row][c*32 +: 32];
    assign psum_in[c*32 +: 32] = first_group ? 32'd0 : psum_q[obank][mr_row][c*32 +: 32];

    skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_gadd (
      .a_i(gacc_in[c*32 +: 32]), .b_i(arr_y[c*32 +: 32]), .y_o(gacc_new[c*32 +: 32]));
    skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (
      .a_i(gacc_new[c*32 +: 32]), .b_i(scale32[c*32 +: 32]), .y_o(prod[c*32 +: 32]));
    skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_padd (
      .a_i(psum_in[c*32 +: 32]), .b_i(prod[c*32 +: 32]), .y_o(psum_new[c*32 +: 32]));
    skipopu_fp_narrow u_narrow (
      .a_i(psum_q[ybank][yi_row][c*32 +: 32]), .y_o(y16[c*16 +: 16]));
  end

  always_ff @(posedge clk_i) begin
    if (arr_valid_out) begin
      gacc_q[mr_row] <= gacc_new;
      if (last_in_group) begin
        psum_q[obank][mr_row] <= psum_new;
      end
    end
  end

  // Output rows: MATMUL dst + m*N/NCOL + nt; PV o + (j0 + j)*OS + h*HW + nd (j = m >> lrep,
  // h = (g0 + a) << lrep | m mod n_rep, nd = b); QK: the sc_* stream
  logic [15:0] y_j, y_h;
  logic [GB_AW-1:0] pv_waddr;
  assign y_j      = j0_q + 16'(32'(yi_q) >> lrep_q);
  assign y_h      = ((16'(g0_q) + 16'(y_a_q)) << lrep_q) |
                    (16'(yi_q) & ((16'd1 << lrep_q) - 16'd1));
  assign pv_waddr = GB_AW'(32'(y_j) * 32'(os_q) + 32'(y_h) * 32'(hw_q) + 32'(y_b_q));
  assign we_o       = ywrite_q && !stream_q;
  assign waddr_o    = pv_q ? ob_q + pv_waddr :
                             dst_q + GB_AW'(32'(yi_q) * 32'(nt_n_q) + 32'(y_nt_q));
  assign wdata_o    = y16;
  assign sc_valid_o = ywrite_q && stream_q;
  assign sc_data_o  = y16;

  // pragma translate_off
  // Simulation-only checks: the KVSB answers a tile request exactly one cycle later; a
  // buffer write-out never overlaps the next column tile's (the ordering argument above)
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else begin
      assert (!att_q || (tile_rvalid_i == kv_rvalid_q))
        else $error("skipopu_mm: KVSB tile data not one cycle after the request");
      assert (stream_q || !(col_end && ywrite_q && !wo_last))
        else $error("skipopu_mm: column tile ended during the previous write-out");
    end
  end
  // pragma translate_on

endmodule
