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
//   loader  streams tile j's weights from memory into KER bank j%2 (and for INT4 the scale word
//           at the start of each group; later tiles of a group copy it from the other bank) as
//           soon as the bank is free, so the next tile loads while the current one computes
//           (ping-pong KER);
//   input   streams the M activation words of tile j from the global buffer into the PE array,
//           one per cycle, once bank j%2 is loaded (a new column tile waits until the outputs of
//           the previous one are written);
//   output  updates the FP32 accumulators of each row as tile sums arrive: gacc = gacc + tile
//           (restarted per scale group) and at the end of a group psum = psum + gacc * scale
//           (FP16 weights: scale 1.0, one tile per group, equal to psum + tile bit for bit),
//           releases bank j%2 after the M-th row, and after the last row tile of a column tile
//           rounds the M sums to FP16 and writes them to Y.
// A failed weight/scale read stops the loader; tiles loaded before it are finished (and the
// column tiles they complete are written), then the engine reports the error.
// Norm flag (fused RMSNorm, paper 3.1 / Alg. 1): the engine holds (no weight request) until
// go_i (the NPE has checked the mask) or abort_i; then the first column tile's activation
// words are requested from the NPE instead of the buffer (norm_issue_o), which normalises
// them, writes them to X and returns them NpeNormLat cycles later on npe_x_i; the later column
// tiles read X from the buffer as usual, after the last normalised word has been written.
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
  output logic              busy_o,
  output logic              pe_active_o, // an activation word enters the PE array
  output logic              done_o,      // pulse
  output logic              err_o,       // with done_o: a weight/scale read failed

  // DMA (stream loads)
  output logic              dma_valid_o,
  output logic [3:0]        dma_port_o,
  output logic [ADDR_W-1:0] dma_addr_o,
  output logic [15:0]       dma_len_o,
  input  logic              dma_done_i,
  input  logic              dma_err_i,
  input  logic              strm_valid_i,
  input  logic [DATA_W-1:0] strm_data_i,

  // Global buffer
  output logic              re_o,
  output logic [GB_AW-1:0]  raddr_o,
  input  logic [DATA_W-1:0] rdata_i,
  output logic              we_o,
  output logic [GB_AW-1:0]  waddr_o,
  output logic [DATA_W-1:0] wdata_o
);

  localparam int Kdim = DATA_W / 16;
  localparam int Ncol = DATA_W / 16;
  localparam int KShift = $clog2(Kdim);
  localparam int MW = $clog2(MMAX + 1);
  localparam int RW = (MMAX > 1) ? $clog2(MMAX) : 1;   // PSUM row index
  localparam logic [31:0] Fp32One = 32'h3F80_0000;
  localparam int Tile16Words = Kdim;                 // one weight row per word
  localparam int Tile4Words = Kdim / 4;              // four INT4 rows per word
  localparam int Tile16Shift = $clog2(Kdim * Kdim * 2);
  localparam int Tile4Shift = $clog2(Kdim * Kdim / 2);

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

  // ---------------------------------------------------------------------------------------------
  // Loader: weight tiles into KER banks, INT4 scales
  // ---------------------------------------------------------------------------------------------
  typedef enum logic [2:0] {LdIdle, LdReqW, LdWaitW, LdReqS, LdWaitS, LdStop} ld_state_e;

  ld_state_e         ld_state_q;
  logic [31:0]       j_ld_q;
  logic [15:0]       ld_kt_q, ld_nt_q, wi_q;
  logic [1:0]        loaded_q;
  logic [Kdim*Ncol*16-1:0] w_q [2];
  logic [Ncol*16-1:0]      sc_q [2];
  logic              ld_bank, ld_first_in_group, bank_free;
  logic [1:0]        release_bank;                   // from the output side

  assign ld_bank           = j_ld_q[0];
  assign ld_first_in_group = (ld_kt_q & (gk_q - 16'd1)) == '0;
  assign bank_free         = !loaded_q[ld_bank];

  logic [ADDR_W-1:0] w_addr, s_addr;
  assign w_addr = waddr_q + (ADDR_W'(j_ld_q) << (int4_q ? Tile4Shift : Tile16Shift));
  assign s_addr = scale_q + ((ADDR_W'(ld_kt_q >> gshift_q) * ADDR_W'(n_q) +
                              (ADDR_W'(ld_nt_q) << KShift)) << 1);

  assign dma_valid_o = ((ld_state_q == LdReqW) && bank_free && !hold_q) ||
                       (ld_state_q == LdReqS);
  assign dma_port_o  = (ld_state_q == LdReqS) ? 4'd0 : port_q;
  assign dma_addr_o  = (ld_state_q == LdReqS) ? s_addr : w_addr;
  assign dma_len_o   = (ld_state_q == LdReqS) ? 16'd1 :
                       (int4_q ? 16'(Tile4Words) : 16'(Tile16Words));

  logic tile_loaded;   // pulse: tile j_ld_q complete (weights and scale)
  assign tile_loaded = ((ld_state_q == LdWaitW) && dma_done_i && !dma_err_i &&
                        !(int4_q && ld_first_in_group)) ||
                       ((ld_state_q == LdWaitS) && dma_done_i && !dma_err_i);

  logic start_fire;
  assign start_fire = start_i && !active_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ld_state_q <= LdIdle;
      j_ld_q     <= '0;
      ld_kt_q    <= '0;
      ld_nt_q    <= '0;
      wi_q       <= '0;
      loaded_q   <= '0;
      ld_err_q   <= 1'b0;
      limit_q    <= '0;
    end else begin
      loaded_q <= loaded_q & ~release_bank;
      unique case (ld_state_q)
        LdIdle: ;
        LdReqW: begin
          if (bank_free && !hold_q) begin
            ld_state_q <= LdWaitW;
          end
          wi_q <= '0;
        end
        LdWaitW: begin
          if (strm_valid_i) wi_q <= wi_q + 16'd1;
          if (dma_done_i) begin
            if (dma_err_i) begin
              ld_err_q   <= 1'b1;
              limit_q    <= j_ld_q;
              ld_state_q <= LdStop;
            end else if (int4_q && ld_first_in_group) begin
              ld_state_q <= LdReqS;
            end
          end
        end
        LdReqS: ld_state_q <= LdWaitS;
        LdWaitS: begin
          if (dma_done_i && dma_err_i) begin
            ld_err_q   <= 1'b1;
            limit_q    <= j_ld_q;
            ld_state_q <= LdStop;
          end
        end
        LdStop: ;                                    // until the next start
        default: ld_state_q <= LdIdle;
      endcase
      if (tile_loaded) begin
        loaded_q[ld_bank] <= 1'b1;
        j_ld_q <= j_ld_q + 32'd1;
        if (ld_kt_q + 16'd1 == kt_n_q) begin
          ld_kt_q <= '0;
          ld_nt_q <= ld_nt_q + 16'd1;
        end else begin
          ld_kt_q <= ld_kt_q + 16'd1;
        end
        ld_state_q <= (j_ld_q + 32'd1 == total_q) ? LdStop : LdReqW;
      end
      if (abort_i) begin
        ld_state_q <= LdIdle;
      end
      if (start_fire) begin
        ld_state_q <= LdReqW;
        j_ld_q     <= '0;
        ld_kt_q    <= '0;
        ld_nt_q    <= '0;
        loaded_q   <= '0;
        ld_err_q   <= 1'b0;
        limit_q    <= 32'(k_i >> KShift) * 32'(n_i >> KShift);
      end
    end
  end

  // KER banks and scales
  always_ff @(posedge clk_i) begin
    if (ld_state_q == LdWaitW && strm_valid_i) begin
      if (int4_q) begin
        for (int r = 0; r < 4; r++) begin
          for (int c = 0; c < Ncol; c++) begin
            w_q[ld_bank][((32'(wi_q) * 4 + r) * Ncol + c) * 16 +: 16] <=
                {12'd0, strm_data_i[r * (DATA_W / 4) + c * 4 +: 4]};
          end
        end
      end else begin
        w_q[ld_bank][32'(wi_q) * DATA_W +: DATA_W] <= strm_data_i;
      end
    end
    if (ld_state_q == LdWaitS && strm_valid_i) begin
      sc_q[ld_bank] <= strm_data_i;
    end
    // later tiles of a group reuse the group's scale, loaded with the previous tile
    if (ld_state_q == LdWaitW && dma_done_i && !dma_err_i && int4_q && !ld_first_in_group) begin
      sc_q[ld_bank] <= sc_q[!ld_bank];
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
  logic          in_bank, in_ok, issue, rvalid_q, in_bank_q;

  assign in_bank = j_in_q[0];
  // a column tile starts only when its PSUM bank is not being written out (never the case
  // in practice: the previous column tile's rows take at least as long as the write-out)
  // norm: column tile 0 takes its words from the NPE; later column tiles read X only after
  // the last normalised word has been written (nv_q empty)
  logic          norm_phase, norm_busy;
  logic [NpeNormLat-1:0] nv_q, nb_q;                  // normalised words in flight, bank
  assign norm_phase = norm_q && (in_nt_q == '0);
  assign norm_busy  = |nv_q;
  assign in_ok   = active_q && !hold_q && (j_in_q < limit_q) && loaded_q[in_bank] &&
                   ((in_kt_q != '0) || !(ywrite_q && (y_nt_q[0] == in_nt_q[0]))) &&
                   (norm_phase || !norm_busy);
  assign issue   = in_ok && (32'(mi_q) < 32'(m_q));
  assign re_o    = issue && !norm_phase;
  assign norm_issue_o = issue && norm_phase;
  assign raddr_o = src_q + GB_AW'(32'(mi_q) * 32'(kt_n_q) + 32'(in_kt_q));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      j_in_q    <= '0;
      in_kt_q   <= '0;
      in_nt_q   <= '0;
      mi_q      <= '0;
      rvalid_q  <= 1'b0;
      in_bank_q <= 1'b0;
      nv_q      <= '0;
      nb_q      <= '0;
    end else begin
      nv_q      <= {nv_q[NpeNormLat-2:0], norm_issue_o};
      nb_q      <= {nb_q[NpeNormLat-2:0], in_bank};
      rvalid_q  <= issue && !norm_phase;
      in_bank_q <= in_bank;
      if (start_fire) begin
        j_in_q  <= '0;
        in_kt_q <= '0;
        in_nt_q <= '0;
        mi_q    <= '0;
      end else if (issue) begin
        if (32'(mi_q) == 32'(m_q) - 1) begin
          mi_q   <= '0;
          j_in_q <= j_in_q + 32'd1;
          if (in_kt_q + 16'd1 == kt_n_q) begin
            in_kt_q <= '0;
            in_nt_q <= in_nt_q + 16'd1;
          end else begin
            in_kt_q <= in_kt_q + 16'd1;
          end
        end else begin
          mi_q <= mi_q + 1'b1;
        end
      end
    end
  end

  logic arr_valid_out, arr_valid_in, arr_bank;
  logic [Ncol*32-1:0] arr_y;
  logic [DATA_W-1:0]  arr_x;

  // the two operand sources never deliver in the same cycle (norm_busy above)
  assign arr_valid_in = rvalid_q || nv_q[NpeNormLat-1];
  assign arr_bank     = nv_q[NpeNormLat-1] ? nb_q[NpeNormLat-1] : in_bank_q;
  assign arr_x        = nv_q[NpeNormLat-1] ? npe_x_i : rdata_i;

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
  logic          out_bank;
  logic [15:0]   gpos;
  logic          first_in_group, last_in_group, first_group, tile_done;

  assign out_bank       = j_out_q[0];
  assign gpos           = out_kt_q & (gk_q - 16'd1);
  assign first_in_group = (gpos == '0);
  assign last_in_group  = (gpos == gk_q - 16'd1);
  assign first_group    = (out_kt_q < gk_q);
  assign pe_active_o    = arr_valid_in;
  assign tile_done      = arr_valid_out && (32'(mr_q) == 32'(m_q) - 1);
  assign release_bank   = tile_done ? (out_bank ? 2'b10 : 2'b01) : 2'b00;

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
        mr_q     <= '0;
        ywrite_q <= 1'b0;
      end
      if (arr_valid_out) begin
        mr_q <= mr_q + 1'b1;
      end
      if (tile_done) begin
        mr_q    <= '0;
        j_out_q <= j_out_q + 32'd1;
        if (out_kt_q + 16'd1 == kt_n_q) begin
          out_kt_q <= '0;
          out_nt_q <= out_nt_q + 16'd1;
          ywrite_q <= 1'b1;
          y_nt_q   <= out_nt_q;
          yi_q     <= '0;
        end else begin
          out_kt_q <= out_kt_q + 16'd1;
        end
      end
      if (ywrite_q) begin
        yi_q <= yi_q + 1'b1;
        if (32'(yi_q) == 32'(m_q) - 1) begin
          ywrite_q <= 1'b0;
        end
      end
      if (done_o || abort_i) begin
        active_q <= 1'b0;
        hold_q   <= 1'b0;
      end
    end
  end

  assign busy_o = active_q;
  assign done_o = active_q && !ywrite_q && (j_out_q == limit_q) && !tile_done &&
                  (ld_state_q == LdStop);
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
    assign sc16 = sc_q[out_bank][c*16 +: 16];
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

  // Output rows
  assign we_o    = ywrite_q;
  assign waddr_o = dst_q + GB_AW'(32'(yi_q) * 32'(nt_n_q) + 32'(y_nt_q));
  assign wdata_o = y16;

endmodule
