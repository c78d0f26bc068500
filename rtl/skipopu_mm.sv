// MATMUL engine: Y[M x N] = X[M x K] . W[K x N] on the KDIM x NCOL PE array (docs/isa.md,
// docs/pe-array.md, docs/weights.md).
//
//   X: global buffer, row m = K/KDIM words at src + m*K/KDIM (word j = x[m, j*KDIM +: KDIM])
//   W: the MATMUL's operand stream of chunks (skipopu_wstream; one chunk = one INT4 tile =
//      KDIM*NCOL*4 bits), for every column tile nt: INT4 only, the scale block (FP16
//      scale[g, nt*NCOL + c] for the K/group groups, row g at chunk g/GPC, bits
//      (g mod GPC)*NCOL*16, GPC = KDIM/4 groups per chunk, padded to whole chunks), then the
//      K/KDIM weight tiles: INT4 one chunk (row r at bits r*NCOL*4, column c at +4c), FP16
//      four chunks (row r at bits r*NCOL*16 of the four chunks concatenated)
//   Y: global buffer, row m = N/LANES words at dst + m*N/LANES (column tile nt = words
//      nt*NW .. nt*NW + NW-1 of the row, NW = NCOL/LANES)
//
// Tiles j = nt * K/KDIM + kt are processed in order by three decoupled sides:
//   loader  takes the stream's chunks: a column tile's scale block into the scale RAM bank
//           nt%2 (once column tile nt-2 has left the accumulators), each weight tile into KER
//           bank j%2 as soon as the bank is free (INT4: one chunk, kept packed; FP16: four),
//           so at M = 1 one INT4 tile per cycle;
//   input   streams the M activation words of tile j from the global buffer into the PE array,
//           one per cycle, once bank j%2 is loaded; column tile c starts once column tile c-2
//           has been written out (its PSUM bank is free again); the array takes the weights
//           with the activation, so bank j%2 is free once the M-th word of tile j entered it;
//   output  updates the FP32 accumulators of each row as tile sums arrive: gacc = gacc + tile
//           (restarted per scale group) and at the end of a group psum = psum + gacc * scale
//           (FP16 weights: scale 1.0, one tile per group, equal to psum + tile bit for bit),
//           and after the last row tile of a column tile rounds the M x NCOL sums to FP16 and
//           writes the M*NW words to Y, one per cycle (or hands them to the sc_* stream).
// A chunk with an error stops the loader after it (model order): the tiles before it are
// finished and the column tiles they complete written; then the engine reports the error (the
// rest of the stream stays in the access unit, which the sequencer flushes at the end of the
// run). Norm flag (fused RMSNorm, paper 3.1 / Alg. 1): the engine takes no chunk until go_i (the
// NPE has checked the mask) or abort_i; then the first column tile's activation words are
// requested from the NPE instead of the buffer (norm_issue_o), which normalises them, writes
// them to X and returns them NpeNormLat cycles later on npe_x_i; the later column tiles read X
// from the buffer as usual, after the last normalised word has been written.
// Attention modes (docs/isa.md "KV and attention", started by skipopu_att with att_start_i
// instead of start_i): the KER tiles come from the KV staging buffer's tile port (one cycle per
// tile, LANES x LANES FP16, into the first LANES columns of the array), FP16 numerics:
//   QK  column tiles (nt, g) (nt outer), row tiles kt < HW: KER = K^T of key tile nt, head g
//       (KVSB word g*HW + kt, column-loaded); X row m (query j = m >> lrep, head
//       h = g*n_rep + (m & (n_rep-1))) = word q + (j0 + j)*QS + h*HW + kt; the score words leave
//       in production order (= key-tile-major score-area order nt*R + r) on the sc_* stream,
//       which may stall;
//   PV  column tiles (g, nd) (g outer), row tiles = key tiles nt < NT: KER = V of key tile nt
//       (KVSB word KVH*HW + g*HW + nd, row-loaded); X row m = P word p + nt*R + (g-g0)*Mg + m;
//       output word of row m at o + (j0 + j)*OS + h*HW + nd in the buffer.
// Bit-exact with model/pe.py:matmul (the column sums do not depend on NCOL).

module skipopu_mm
  import skipopu_pkg::*;
#(
  // Data width of the global buffer (KDIM = LANES = DATA_W / 16 rows of the PE array)
  parameter int DATA_W = 256,
  // PE-array columns (a multiple of DATA_W / 16)
  parameter int NCOL = 32,
  // Global buffer address width
  parameter int GB_AW = 12,
  // Largest M (PSUM rows)
  parameter int MMAX = 64,
  // INT4 groups per column tile the scale RAM holds (K/group <= SCALE_ROWS)
  parameter int SCALE_ROWS = 64,
  // Chunk (one INT4 tile) width in bits (derived, do not override)
  parameter int CHUNK_W = DATA_W / 16 * NCOL * 4
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Command (validated by the decoder and the sequencer)
  input  logic              start_i,
  input  logic              int4_i,
  input  logic [15:0]       m_i,
  input  logic [GB_AW-1:0]  src_i,
  input  logic [GB_AW-1:0]  dst_i,
  input  logic [15:0]       k_i,
  input  logic [15:0]       n_i,
  input  logic [15:0]       group_i,
  input  logic              norm_i,      // with start_i: X from the NPE (fused RMSNorm)
  input  logic              go_i,        // norm: the NPE serves normalised words
  input  logic              abort_i,     // norm: the NPE's mask check failed, stop idle
  output logic              norm_issue_o,// norm: the NPE's next normalised word is taken
  input  logic [DATA_W-1:0] npe_x_i,     // ... and arrives NpeNormLat cycles later
  output logic              pe_active_o, // an activation word enters the PE array
  output logic              done_o,      // pulse
  output logic              err_o,       // with done_o: a chunk of the stream failed

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

  // Operand stream (skipopu_wstream): one chunk per handshake
  input  logic              chunk_valid_i,
  output logic              chunk_ready_o,
  input  logic [CHUNK_W-1:0] chunk_data_i,
  input  logic              chunk_err_i,

  // Global buffer
  output logic              re_o,
  output logic [GB_AW-1:0]  raddr_o,
  input  logic [DATA_W-1:0] rdata_i,
  output logic              we_o,
  output logic [GB_AW-1:0]  waddr_o,
  output logic [DATA_W-1:0] wdata_o
);

  localparam int Lanes = DATA_W / 16;
  localparam int Kdim = Lanes;
  localparam int Ncol = NCOL;
  localparam int Nw = NCOL / Lanes;                  // output words per row of a column tile
  localparam int KShift = $clog2(Kdim);
  localparam int NShift = $clog2(Ncol);
  localparam int NwW = (Nw > 1) ? $clog2(Nw) : 1;
  localparam int MW = $clog2(MMAX + 1);
  localparam int RW = (MMAX > 1) ? $clog2(MMAX) : 1;   // PSUM row index
  localparam int TileW = Kdim * Ncol * 16;             // a KER bank (FP16 weights)
  localparam int Gpc = Kdim / 4;                       // INT4 groups per scale chunk
  localparam int ScEntries = (SCALE_ROWS + Gpc - 1) / Gpc;  // scale chunks per RAM bank
  localparam int ScAW = (ScEntries > 1) ? $clog2(ScEntries) : 1;
  localparam int GcW = (Gpc > 1) ? $clog2(Gpc) : 1;
  localparam logic [31:0] Fp32One = 32'h3F80_0000;

  // pragma translate_off
  initial begin
    if (NCOL < Lanes || NCOL % Lanes != 0 || (NCOL & (NCOL - 1)) != 0 || NCOL / Lanes > 4) begin
      $fatal(1, "skipopu_mm: NCOL=%0d must be DATA_W/16=%0d times 1, 2 or 4", NCOL, Lanes);
    end
    if (SCALE_ROWS < 1) $fatal(1, "skipopu_mm: SCALE_ROWS=%0d must be >= 1", SCALE_ROWS);
  end
  // pragma translate_on

  // ---------------------------------------------------------------------------------------------
  // Command registers
  // ---------------------------------------------------------------------------------------------
  logic              active_q, int4_q, ld_err_q;
  logic              norm_q, hold_q;                 // norm flag; waiting for go_i
  logic [15:0]       m_q, kt_n_q, gk_q, ywords_q, sb_n_q;
  logic [3:0]        gshift_q;                       // log2(gk_q)
  logic [GB_AW-1:0]  src_q, dst_q;
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
  // Loader: chunks into the scale RAM and the KER banks
  // ---------------------------------------------------------------------------------------------
  logic              ld_run_q;                       // taking chunks / KVSB tiles (< limit_q)
  logic [31:0]       j_ld_q;                         // tile being loaded
  logic [15:0]       ld_kt_q, ld_nt_q, sb_i_q;       // row tile, column tile, scale chunk
  logic [1:0]        ld_qt_q;                        // FP16: chunk of the tile (0..3)
  logic [1:0]        loaded_q;                       // bank holds a tile not yet issued
  logic [1:0]        held_q;                         // bank holds a tile not yet sampled
  logic [TileW-1:0]  w_q [2];                        // KER banks (INT4 packed in [CHUNK_W-1:0])
  logic [CHUNK_W-1:0] sc_q [2][ScEntries];           // scale RAM: bank = column tile parity
  logic              ld_bank, bank_free, in_scales, sc_bank_free, chunk_take, tile_loaded;
  logic              ld_fail;
  logic [1:0]        release_bank, issued_bank;      // from the input side
  logic [15:0]       out_nt_q;                       // column tiles accumulated (output side)

  // attention modes: a tile requested from the KVSB arrives one cycle later (kvb_q: its bank)
  logic              kv_req, kv_rvalid_q, kvb_q;
  logic [7:0]        ld_a_q, ld_b_q;
  logic              ld_set, ld_set_bank;

  assign ld_bank      = j_ld_q[0];
  assign bank_free    = !held_q[ld_bank] || release_bank[ld_bank];
  assign in_scales    = int4_q && (sb_i_q < sb_n_q);
  // the scale bank of column tile nt is free once column tile nt-2 has been accumulated
  assign sc_bank_free = (ld_nt_q <= out_nt_q + 16'd1);
  assign chunk_ready_o = ld_run_q && !att_q && !hold_q &&
                         (in_scales ? sc_bank_free : bank_free);
  assign chunk_take  = chunk_valid_i && chunk_ready_o;
  assign ld_fail     = chunk_take && chunk_err_i;
  assign tile_loaded = chunk_take && !chunk_err_i && !in_scales &&
                       (int4_q || ld_qt_q == 2'd3);

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

  logic start_fire, att_fire;
  assign att_fire   = att_start_i && !active_q;
  assign start_fire = (start_i || att_start_i) && !active_q;

  // shape at start_i: column tiles, scale chunks per column tile, tiles
  logic [15:0] st_kt_n, st_nt_n, st_groups;
  assign st_kt_n   = k_i >> KShift;
  assign st_nt_n   = n_i >> NShift;
  assign st_groups = (group_i == '0) ? 16'd0 : 16'(32'(k_i) / 32'(group_i));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ld_run_q  <= 1'b0;
      j_ld_q    <= '0;
      ld_kt_q   <= '0;
      ld_nt_q   <= '0;
      ld_qt_q   <= '0;
      sb_i_q    <= '0;
      ld_a_q    <= '0;
      ld_b_q    <= '0;
      kv_rvalid_q <= 1'b0;
      kvb_q     <= 1'b0;
      loaded_q  <= '0;
      held_q    <= '0;
      ld_err_q  <= 1'b0;
      limit_q   <= '0;
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
      if (chunk_take) begin
        if (ld_fail) begin
          ld_run_q <= 1'b0;
          ld_err_q <= 1'b1;
          limit_q  <= j_ld_q;
        end else if (in_scales) begin
          sb_i_q <= sb_i_q + 16'd1;
        end else begin
          ld_qt_q <= int4_q ? 2'd0 : ld_qt_q + 2'd1;
        end
      end
      if (tile_loaded) begin
        j_ld_q <= j_ld_q + 32'd1;
        if (ld_kt_q + 16'd1 == kt_n_q) begin
          ld_kt_q <= '0;
          ld_nt_q <= ld_nt_q + 16'd1;
          sb_i_q  <= '0;
        end else begin
          ld_kt_q <= ld_kt_q + 16'd1;
        end
        if (j_ld_q + 32'd1 == total_q) begin
          ld_run_q <= 1'b0;
        end
      end
      if (abort_i) begin
        ld_run_q <= 1'b0;
      end
      if (start_fire) begin
        ld_run_q  <= 1'b1;
        j_ld_q    <= '0;
        ld_kt_q   <= '0;
        ld_nt_q   <= '0;
        ld_qt_q   <= '0;
        sb_i_q    <= '0;
        ld_a_q    <= '0;
        ld_b_q    <= '0;
        loaded_q  <= '0;
        held_q    <= '0;
        ld_err_q  <= 1'b0;
        limit_q   <= att_fire ? att_tiles : 32'(st_kt_n) * 32'(st_nt_n);
      end
    end
  end

  // KER banks (INT4 tiles packed in the low CHUNK_W bits, FP16 tiles chunk by chunk; attention:
  // the KVSB tile's LANES x LANES words into the first LANES columns) and the scale RAM
  always_ff @(posedge clk_i) begin
    if (kv_rvalid_q) begin
      for (int r = 0; r < Kdim; r++) begin
        w_q[kvb_q][r * Ncol * 16 +: Ncol * 16] <=
            (Ncol * 16)'(tile_rdata_i[r * Lanes * 16 +: Lanes * 16]);
      end
    end
    if (chunk_take && !chunk_err_i) begin
      if (in_scales) begin
        sc_q[ld_nt_q[0]][ScAW'(sb_i_q)] <= chunk_data_i;
      end else if (int4_q) begin
        w_q[ld_bank][CHUNK_W-1:0] <= chunk_data_i;
      end else begin
        w_q[ld_bank][32'(ld_qt_q) * CHUNK_W +: CHUNK_W] <= chunk_data_i;
      end
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
  logic [15:0]   wo_cnt_q;                          // column tiles written out

  assign in_bank = j_in_q[0];
  // norm: column tile 0 takes its words from the NPE; later column tiles read X only after
  // the last normalised word has been written (nv_q empty)
  logic          norm_phase, norm_busy;
  logic [NpeNormLat-1:0] nv_q, nb_q, nl_q;            // normalised words in flight, bank, last
  assign norm_phase = norm_q && (in_nt_q == '0);
  assign norm_busy  = |nv_q;
  // column tile c starts once column tile c-2 is written out (its PSUM bank is read)
  assign in_ok   = active_q && !hold_q && (j_in_q < limit_q) && loaded_q[in_bank] &&
                   (norm_phase || !norm_busy) && (in_nt_q <= wo_cnt_q + 16'd1);
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
  logic [TileW-1:0]   arr_w;

  // the two operand sources never deliver in the same cycle (norm_busy above)
  assign arr_valid_in = rvalid_q || nv_q[NpeNormLat-1];
  assign arr_bank     = nv_q[NpeNormLat-1] ? nb_q[NpeNormLat-1] : in_bank_q;
  assign arr_x        = nv_q[NpeNormLat-1] ? npe_x_i : rdata_i;
  assign arr_last     = nv_q[NpeNormLat-1] ? nl_q[NpeNormLat-1] : rlast_q;
  // the array registers the weights with the activation: the bank of a tile is free for the
  // loader (from this very cycle on) once the tile's last activation word enters the array
  assign release_bank = !(arr_valid_in && arr_last) ? 2'b00 : (arr_bank ? 2'b10 : 2'b01);
  // INT4 weights leave KER packed and reach the PEs as the low nibble of their operand
  always_comb begin
    arr_w = w_q[arr_bank];
    if (int4_q) begin
      for (int i = 0; i < Kdim * Ncol; i++) begin
        arr_w[i*16 +: 16] = {12'd0, w_q[arr_bank][i*4 +: 4]};
      end
    end
  end

  skipopu_pe_array #(
    .KDIM(Kdim),
    .NCOL(Ncol)
  ) u_array (
    .clk_i,
    .rst_ni,
    .int4_i (int4_q),
    .w_i    (arr_w),
    .valid_i(arr_valid_in),
    .x_i    (arr_x),
    .valid_o(arr_valid_out),
    .y_o    (arr_y)
  );

  // ---------------------------------------------------------------------------------------------
  // Output side: accumulator updates, Y rows
  // ---------------------------------------------------------------------------------------------
  logic [15:0]   out_kt_q;
  logic [MW-1:0] mr_q, yi_q;
  logic [NwW-1:0] yw_q;                             // word of the row being written out
  logic [15:0]   gpos, gidx;
  logic          first_in_group, last_in_group, first_group, tile_done;

  assign gpos           = out_kt_q & (gk_q - 16'd1);
  assign gidx           = out_kt_q >> gshift_q;
  assign first_in_group = (gpos == '0);
  assign last_in_group  = (gpos == gk_q - 16'd1);
  assign first_group    = (out_kt_q < gk_q);
  assign pe_active_o    = arr_valid_in;
  assign tile_done      = arr_valid_out && (32'(mr_q) == 32'(m_q) - 1);

  // scale row of the group being output: entry gidx / GPC of the column tile's bank
  logic [CHUNK_W-1:0] sc_entry;
  logic [Ncol*16-1:0] sc_head;
  assign sc_entry = sc_q[out_nt_q[0]][ScAW'(gidx >> $clog2(Gpc))];
  assign sc_head  = sc_entry[32'(gidx[GcW-1:0] & 16'(Gpc - 1)) * Ncol * 16 +: Ncol * 16];

  // Write-out: one word per cycle (to the buffer), or per sc_* handshake (QK stream). A column
  // tile that ends while the previous write-out is still running waits (wo_pend_q); the input
  // side keeps column tile c + 2 back until c is written out (wo_cnt_q), so at most one waits
  // and no PSUM bank is overwritten before it was read.
  logic          y_adv, wo_last, wo_free, col_end, wo_pend_q, yw_last;
  logic [15:0]   wo_pend_nt_q;
  logic [7:0]    out_a_q, out_b_q, y_a_q, y_b_q, wo_pend_a_q, wo_pend_b_q;
  assign y_adv   = ywrite_q && (!stream_q || sc_ready_i);
  assign yw_last = att_q || (32'(yw_q) == Nw - 1);
  assign wo_last = y_adv && yw_last && (32'(yi_q) == 32'(m_q) - 1);
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
      m_q      <= '0;
      kt_n_q   <= '0;
      ywords_q <= '0;
      sb_n_q   <= '0;
      gk_q     <= '0;
      gshift_q <= '0;
      src_q    <= '0;
      dst_q    <= '0;
      total_q  <= '0;
      j_out_q  <= '0;
      out_kt_q <= '0;
      out_nt_q <= '0;
      y_nt_q   <= '0;
      mr_q     <= '0;
      yi_q     <= '0;
      yw_q     <= '0;
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
        m_q      <= m_i;
        kt_n_q   <= st_kt_n;
        ywords_q <= n_i >> KShift;                   // Y row stride N / LANES
        // scale chunks per column tile: ceil(groups / GPC)
        sb_n_q   <= int4_i ? 16'((32'(st_groups) + Gpc - 1) / Gpc) : 16'd0;
        gk_q     <= int4_i ? (group_i >> KShift) : 16'd1;
        gshift_q <= '0;
        for (int i = 0; i < 16; i++) begin
          if (int4_i && group_i[i] && i >= KShift) gshift_q <= 4'(i - KShift);
        end
        src_q    <= src_i;
        dst_q    <= dst_i;
        total_q  <= 32'(st_kt_n) * 32'(st_nt_n);
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
          ywords_q <= '0;
          sb_n_q   <= '0;
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
        if (yw_last) begin
          yw_q <= '0;
          yi_q <= yi_q + 1'b1;
        end else begin
          yw_q <= yw_q + 1'b1;
        end
        if (wo_last) begin
          ywrite_q <= 1'b0;
          wo_cnt_q <= wo_cnt_q + 16'd1;
        end
      end
      // after the write-out update: a column tile may end in the last cycle of the previous
      // one's write-out; on the QK stream it may also end while that write-out stalls, and a
      // column tile of NW words per row may end before its predecessor's M*NW words are out:
      // then it waits for it
      if (wo_pend_q && wo_free) begin
        wo_pend_q <= 1'b0;
        ywrite_q  <= 1'b1;
        y_nt_q    <= wo_pend_nt_q;
        y_a_q     <= wo_pend_a_q;
        y_b_q     <= wo_pend_b_q;
        yi_q      <= '0;
        yw_q      <= '0;
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
          if (wo_free && !wo_pend_q) begin
            ywrite_q <= 1'b1;
            y_nt_q   <= out_nt_q;
            y_a_q    <= out_a_q;
            y_b_q    <= out_b_q;
            yi_q     <= '0;
            yw_q     <= '0;
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
                  !ld_run_q && !hold_q;
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
    assign scale32[c*32 +: 32] = !int4_q ? Fp32One : fp16_to_fp32(sc16);
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

  // Output words: MATMUL dst + m*N/LANES + nt*NW + w; PV o + (j0 + j)*OS + h*HW + nd
  // (j = m >> lrep, h = (g0 + a) << lrep | m mod n_rep, nd = b); QK: the sc_* stream
  logic [15:0] y_j, y_h;
  logic [GB_AW-1:0] pv_waddr;
  assign y_j      = j0_q + 16'(32'(yi_q) >> lrep_q);
  assign y_h      = ((16'(g0_q) + 16'(y_a_q)) << lrep_q) |
                    (16'(yi_q) & ((16'd1 << lrep_q) - 16'd1));
  assign pv_waddr = GB_AW'(32'(y_j) * 32'(os_q) + 32'(y_h) * 32'(hw_q) + 32'(y_b_q));
  assign we_o       = ywrite_q && !stream_q;
  assign waddr_o    = pv_q ? ob_q + pv_waddr :
                             dst_q + GB_AW'(32'(yi_q) * 32'(ywords_q) + 32'(y_nt_q) * Nw +
                                            32'(yw_q));
  assign wdata_o    = y16[32'(yw_q) * DATA_W +: DATA_W];
  assign sc_valid_o = ywrite_q && stream_q;
  assign sc_data_o  = y16[DATA_W-1:0];

  // pragma translate_off
  // Simulation-only checks: the KVSB answers a tile request exactly one cycle later; a
  // write-out never overlaps the next column tile's (the ordering argument above)
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else begin
      assert (!att_q || (tile_rvalid_i == kv_rvalid_q))
        else $error("skipopu_mm: KVSB tile data not one cycle after the request");
      assert (!(col_end && wo_pend_q))
        else $error("skipopu_mm: two column tiles waiting for the write-out");
    end
  end
  // pragma translate_on

endmodule
