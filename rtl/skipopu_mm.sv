// MATMUL engine: Y[M x N] = X[M x K] . W[K x N] on the PE array (docs/isa.md, docs/pe-array.md).
//
//   X: global buffer, row m = K/KDIM words at src + m*K/KDIM (word j = x[m, j*KDIM +: KDIM])
//   W: weight memory (any DMA port), tile-major: tile (nt, kt) of KDIM x NCOL weights at
//      waddr + (nt*K/KDIM + kt) * tile bytes; FP16: one word per row k; INT4: 4 rows per word,
//      NCOL two's-complement nibbles per row
//   S: INT4 group scales, FP16 [K/group, N] in DDR at scale (row-major)
//   Y: global buffer, row m = N/NCOL words at dst + m*N/NCOL
//
// For every column tile nt and row tile kt the weight tile is streamed from memory into the
// KER registers (and for INT4 the scale word at the start of each group), then the M activation
// words of row tile kt stream through the PE array, one per cycle, and each tile sum updates
// the FP32 accumulators of its row: gacc = gacc + tile (restarted per scale group), and at the
// end of a group psum = psum + gacc * scale (FP16 weights: scale 1.0, one tile per group, which
// equals psum + tile bit for bit). After the last row tile the FP32 sums are rounded to FP16
// and written to Y. Bit-exact with model/pe.py:matmul. KDIM = NCOL = DATA_W / 16.

module skipopu_mm #(
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
  output logic              busy_o,
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

  typedef enum logic [2:0] {StIdle, StLoadW, StWaitW, StLoadS, StWaitS, StStream, StOut,
                            StDone} state_e;

  state_e            state_q;
  logic              int4_q, err_q;
  logic [3:0]        port_q;
  logic [15:0]       m_q, kt_n_q, nt_n_q, gk_q;
  logic [3:0]        gshift_q;                       // log2(gk_q)
  logic [GB_AW-1:0]  src_q, dst_q;
  logic [ADDR_W-1:0] waddr_q, scale_q;
  logic [15:0]       n_q;
  logic [15:0]       kt_q, nt_q, wi_q;
  logic [MW-1:0]     mi_q, mr_q;                     // rows issued / received
  logic [Kdim*Ncol*16-1:0] w_q;
  logic [Ncol*16-1:0]      sc_q;

  // ---------------------------------------------------------------------------------------------
  // Control
  // ---------------------------------------------------------------------------------------------
  logic [15:0] gpos;
  logic        first_in_group, last_in_group, first_group;
  assign gpos           = kt_q & (gk_q - 16'd1);
  assign first_in_group = (gpos == '0);
  assign last_in_group  = (gpos == gk_q - 16'd1);
  assign first_group    = (kt_q < gk_q);

  logic [31:0] tile_idx;
  assign tile_idx = 32'(nt_q) * 32'(kt_n_q) + 32'(kt_q);

  logic arr_valid_out;
  logic [Ncol*32-1:0] arr_y;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      int4_q  <= 1'b0;
      err_q   <= 1'b0;
      port_q  <= '0;
      m_q     <= '0;
      kt_n_q  <= '0;
      nt_n_q  <= '0;
      gk_q    <= '0;
      gshift_q <= '0;
      src_q   <= '0;
      dst_q   <= '0;
      waddr_q <= '0;
      scale_q <= '0;
      n_q     <= '0;
      kt_q    <= '0;
      nt_q    <= '0;
      wi_q    <= '0;
      mi_q    <= '0;
      mr_q    <= '0;
    end else begin
      unique case (state_q)
        StIdle: begin
          if (start_i) begin
            state_q <= StLoadW;
            int4_q  <= int4_i;
            err_q   <= 1'b0;
            port_q  <= port_i;
            m_q     <= m_i;
            kt_n_q  <= k_i >> KShift;
            nt_n_q  <= n_i >> KShift;
            gk_q    <= int4_i ? (group_i >> KShift) : 16'd1;
            gshift_q <= '0;
            for (int i = 0; i < 16; i++) begin
              if (int4_i && group_i[i] && i >= KShift) gshift_q <= 4'(i - KShift);
            end
            src_q   <= src_i;
            dst_q   <= dst_i;
            waddr_q <= waddr_i;
            scale_q <= scale_i;
            n_q     <= n_i;
            kt_q    <= '0;
            nt_q    <= '0;
          end
        end
        StLoadW: begin
          state_q <= StWaitW;
          wi_q    <= '0;
        end
        StWaitW: begin
          if (strm_valid_i) wi_q <= wi_q + 16'd1;
          if (dma_done_i) begin
            if (dma_err_i) begin
              err_q   <= 1'b1;
              state_q <= StDone;
            end else begin
              state_q <= (int4_q && first_in_group) ? StLoadS : StStream;
              mi_q    <= '0;
              mr_q    <= '0;
            end
          end
        end
        StLoadS: state_q <= StWaitS;
        StWaitS: begin
          if (dma_done_i) begin
            if (dma_err_i) begin
              err_q   <= 1'b1;
              state_q <= StDone;
            end else begin
              state_q <= StStream;
            end
          end
        end
        StStream: begin
          if (32'(mi_q) < 32'(m_q)) mi_q <= mi_q + 1'b1;
          if (arr_valid_out) mr_q <= mr_q + 1'b1;
          if (arr_valid_out && 32'(mr_q) == 32'(m_q) - 1) begin
            mi_q <= '0;
            if (kt_q + 16'd1 < kt_n_q) begin
              kt_q    <= kt_q + 16'd1;
              state_q <= StLoadW;
            end else begin
              state_q <= StOut;
            end
          end
        end
        StOut: begin
          mi_q <= mi_q + 1'b1;
          if (32'(mi_q) == 32'(m_q) - 1) begin
            kt_q <= '0;
            if (nt_q + 16'd1 < nt_n_q) begin
              nt_q    <= nt_q + 16'd1;
              state_q <= StLoadW;
            end else begin
              state_q <= StDone;
            end
          end
        end
        StDone:  state_q <= StIdle;
        default: state_q <= StIdle;
      endcase
    end
  end

  assign busy_o = (state_q != StIdle);
  assign done_o = (state_q == StDone);
  assign err_o  = (state_q == StDone) && err_q;

  // DMA requests: weight tile (stream from port_q), INT4 scale word (DDR)
  logic [ADDR_W-1:0] w_addr, s_addr;
  assign w_addr = waddr_q + (ADDR_W'(tile_idx) << (int4_q ? Tile4Shift : Tile16Shift));
  assign s_addr = scale_q + ((ADDR_W'(kt_q >> gshift_q) * ADDR_W'(n_q) +
                              (ADDR_W'(nt_q) << KShift)) << 1);

  assign dma_valid_o = (state_q == StLoadW) || (state_q == StLoadS);
  assign dma_port_o  = (state_q == StLoadS) ? 4'd0 : port_q;
  assign dma_addr_o  = (state_q == StLoadS) ? s_addr : w_addr;
  assign dma_len_o   = (state_q == StLoadS) ? 16'd1 :
                       (int4_q ? 16'(Tile4Words) : 16'(Tile16Words));

  // KER registers and scales
  always_ff @(posedge clk_i) begin
    if (state_q == StWaitW && strm_valid_i) begin
      if (int4_q) begin
        for (int r = 0; r < 4; r++) begin
          for (int c = 0; c < Ncol; c++) begin
            w_q[((32'(wi_q) * 4 + r) * Ncol + c) * 16 +: 16] <=
                {12'd0, strm_data_i[r * (DATA_W / 4) + c * 4 +: 4]};
          end
        end
      end else begin
        w_q[32'(wi_q) * DATA_W +: DATA_W] <= strm_data_i;
      end
    end
    if (state_q == StWaitS && strm_valid_i) begin
      sc_q <= strm_data_i;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Activation stream and PE array
  // ---------------------------------------------------------------------------------------------
  logic issue, rvalid_q;
  assign issue   = (state_q == StStream) && (32'(mi_q) < 32'(m_q));
  assign re_o    = issue;
  assign raddr_o = src_q + GB_AW'(32'(mi_q) * 32'(kt_n_q) + 32'(kt_q));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) rvalid_q <= 1'b0;
    else         rvalid_q <= issue;
  end

  skipopu_pe_array #(
    .KDIM(Kdim),
    .NCOL(Ncol)
  ) u_array (
    .clk_i,
    .rst_ni,
    .int4_i (int4_q),
    .w_i    (w_q),
    .valid_i(rvalid_q),
    .x_i    (rdata_i),
    .valid_o(arr_valid_out),
    .y_o    (arr_y)
  );

  // ---------------------------------------------------------------------------------------------
  // PSUM: FP32 group and total accumulators per row and column
  // ---------------------------------------------------------------------------------------------
  logic [Ncol*32-1:0] gacc_q [MMAX];
  logic [Ncol*32-1:0] psum_q [MMAX];
  logic [Ncol*32-1:0] gacc_in, gacc_new, scale32, prod, psum_in, psum_new;
  logic [Ncol*16-1:0] y16;
  logic [RW-1:0]      row, mr_row;

  assign row    = RW'((state_q == StOut) ? mi_q : mr_q);
  assign mr_row = RW'(mr_q);

  for (genvar c = 0; c < Ncol; c++) begin : g_psum
    logic [15:0] sc16;
    assign sc16 = sc_q[c*16 +: 16];
    // FP16 -> FP32 widening of the scale (DAZ)
    assign scale32[c*32 +: 32] = !int4_q ? Fp32One :
        (sc16[14:10] == 5'd0) ? {sc16[15], 31'd0} :
        (sc16[14:10] == 5'h1F) ? ((sc16[9:0] == '0) ? {sc16[15], 8'hFF, 23'd0} : 32'h7FC0_0000) :
        {sc16[15], 8'(sc16[14:10]) + 8'd112, sc16[9:0], 13'd0};
    assign gacc_in[c*32 +: 32] = first_in_group ? 32'd0 : gacc_q[row][c*32 +: 32];
    assign psum_in[c*32 +: 32] = first_group ? 32'd0 : psum_q[row][c*32 +: 32];

    skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_gadd (
      .a_i(gacc_in[c*32 +: 32]), .b_i(arr_y[c*32 +: 32]), .y_o(gacc_new[c*32 +: 32]));
    skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (
      .a_i(gacc_new[c*32 +: 32]), .b_i(scale32[c*32 +: 32]), .y_o(prod[c*32 +: 32]));
    skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_padd (
      .a_i(psum_in[c*32 +: 32]), .b_i(prod[c*32 +: 32]), .y_o(psum_new[c*32 +: 32]));
    skipopu_fp_narrow u_narrow (
      .a_i(psum_q[row][c*32 +: 32]), .y_o(y16[c*16 +: 16]));
  end

  always_ff @(posedge clk_i) begin
    if (state_q == StStream && arr_valid_out) begin
      gacc_q[mr_row] <= gacc_new;
      if (last_in_group) begin
        psum_q[mr_row] <= psum_new;
      end
    end
  end

  // Output rows
  assign we_o    = (state_q == StOut);
  assign waddr_o = dst_q + GB_AW'(32'(mi_q) * 32'(nt_n_q) + 32'(nt_q));
  assign wdata_o = y16;

endmodule
