// Vector unit: word-streaming FP16 operations on the global buffer, DATA_W/16 lanes per word,
// one word per cycle. Pipeline: read (1 cycle buffer latency) -> add and register -> write.
//
//   VADD  dst[i] = src0[i] + src1[i] for i < len. The decoder guarantees that the destination is
//         either identical to or disjoint from each source, so in-flight writes never feed later
//         reads.
//   VSCAT masked residual add over len rows of D words: the mask word (at cmd_mask_i) is read
//         first; row m of x (src0 = dst) gets row j of y (src1) added when mask bit m is set, j
//         the number of set bits below m, and is rewritten unchanged otherwise (every row is
//         written, so the RMS statistics snoop sees all len rows in order).
//   ROUTE router decision (docs/isa.md): for row m < len the logits word src0 + m*S (S the row
//         stride, f2[7:0], 0 = 1: the router's output rows are N/LANES words) and the bias
//         word src1 are added lane-wise; lanes 2p, 2p+1 give a, c and row m executes unless
//         c > a (FP16 compare; NaN and equal values execute), or always with force. After the
//         last row the mask word is written to cmd_mask_i and cnt_o holds its popcount.
//   ARGMAX   first maximum of the len*DATA_W/16 FP16 values of src0 (word-major,
//         lane-minor; DAZ, -0 = +0, NaN below everything, so an all-NaN input gives index 0):
//         dst gets lane 0 = its index, lane 1 = its bits, the other lanes 0. cnt_o unchanged.

module skipopu_vpu
  import skipopu_pkg::*;
#(
  // Word width in bits (multiple of 32)
  parameter int DATA_W = 256,
  // Global buffer address width
  parameter int AW = 12
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              cmd_valid_i,    // start (only while idle)
  input  logic [1:0]        cmd_op_i,       // 0 VADD, 1 VSCAT, 2 ROUTE, 3 ARGMAX
  input  logic [AW-1:0]     cmd_dst_i,
  input  logic [AW-1:0]     cmd_src0_i,
  input  logic [AW-1:0]     cmd_src1_i,
  input  logic [AW-1:0]     cmd_mask_i,     // VSCAT mask word / ROUTE destination mask word
  input  logic [15:0]       cmd_len_i,      // >= 1: words (VADD) or rows (VSCAT, ROUTE)
  input  logic [15:0]       cmd_d_i,        // VSCAT row length in words
  input  logic [15:0]       cmd_pair_i,     // ROUTE lane pair p
  input  logic [7:0]        cmd_stride_i,   // ROUTE logits row stride in words (0 = 1)
  input  logic              cmd_force_i,    // ROUTE: every row executes
  output logic              done_o,         // pulse after the last write
  output logic [15:0]       cnt_o,          // ROUTE: executing rows (valid from done_o on)

  // Global buffer ports
  output logic              re_o,
  output logic [AW-1:0]     raddr0_o,
  output logic [AW-1:0]     raddr1_o,
  input  logic [DATA_W-1:0] rdata0_i,
  input  logic [DATA_W-1:0] rdata1_i,
  output logic              we_o,
  output logic [AW-1:0]     waddr_o,
  output logic [DATA_W-1:0] wdata_o
);

  localparam int Lanes = DATA_W / 16;
  localparam int IW = $clog2(DATA_W);

  typedef enum logic [2:0] {StIdle, StMask, StMaskWait, StRun, StFlush, StRouteCnt,
                            StRouteWr} state_e;
  // Operations (plain constants: Icarus 11 mis-evaluates enum casts in case items)
  localparam logic [1:0] VAdd = 2'd0;
  localparam logic [1:0] VScat = 2'd1;
  localparam logic [1:0] VRoute = 2'd2;
  localparam logic [1:0] VArgmax = 2'd3;

  state_e            state_q;
  logic [1:0]        op_q;
  logic              force_q;
  logic [16:0]       remaining_q;     // words still to read
  logic [AW-1:0]     rd0_q, rd1_q, dst_q, mask_addr_q;
  logic [15:0]       d_q, pair_q, w_q;
  logic [7:0]        stride_q;        // ROUTE logits row stride
  logic [IW:0]       m_q;             // current row (VSCAT, ROUTE)
  logic [DATA_W-1:0] mask_q;          // VSCAT: the mask; ROUTE: the decisions so far
  logic              rvalid_q;        // read data valid this cycle
  logic              rsel_q;          // ... VSCAT: its row is selected
  logic [IW:0]       rrow_q;          // ... ROUTE: its row
  logic [AW-1:0]     rdst_q;          // ... its destination
  logic              wvalid_q;
  logic [AW-1:0]     wdst_q;
  logic [DATA_W-1:0] sum;
  logic [DATA_W-1:0] wdata_q;
  logic [15:0]       cnt_q;
  // ARGMAX: running first maximum (order key, index, bits) and the index of the word read
  logic [15:0]       am_key_q, am_idx_q, am_bits_q, am_word_q;

  logic sel, row_last_word, reading;
  assign sel           = mask_q[m_q[IW-1:0]];
  assign row_last_word = (w_q == d_q - 16'd1);
  assign reading       = (state_q == StRun) && (remaining_q != '0);

  // FP16 "c > a" (IEEE: false when either is NaN; +0 and -0 are equal). One expression (Icarus
  // 11 mis-evaluates multi-return functions in continuous assignments)
  function automatic logic vpu_fp16_gt(logic [15:0] c, logic [15:0] a);
    logic c_nan, a_nan, both_zero;
    c_nan     = (c[14:10] == 5'h1F) && (c[9:0] != '0);
    a_nan     = (a[14:10] == 5'h1F) && (a[9:0] != '0);
    both_zero = (c[14:0] == '0) && (a[14:0] == '0);
    return !c_nan && !a_nan && !both_zero &&
           ((c[15] != a[15]) ? a[15] :
            (c[15] ? (c[14:0] < a[14:0]) : (c[14:0] > a[14:0])));
  endfunction

  // ARGMAX order key: NaN 0 (below everything), zeros and subnormals 0x8000, else 0x8000 +- |v|
  function automatic logic [15:0] am_key(logic [15:0] v);
    return ((v[14:10] == 5'h1F) && (v[9:0] != '0)) ? 16'h0000 :
           (v[14:10] == '0) ? 16'h8000 :
           v[15] ? (16'h8000 - {1'b0, v[14:0]}) : (16'h8000 + {1'b0, v[14:0]});
  endfunction


  // ROUTE: the lane pair of the word in the add stage (decided in the sequential block: Icarus
  // 11 mis-evaluates functions in continuous assignments)
  logic [15:0] lane_a, lane_c;
  assign lane_a = sum[32*pair_q[IW-1:0] +: 16];
  assign lane_c = sum[32*pair_q[IW-1:0] + 16 +: 16];

  // Read issue
  assign re_o     = reading || (state_q == StMask);
  assign raddr0_o = rd0_q;
  assign raddr1_o = (state_q == StMask) ? mask_addr_q : rd1_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      op_q        <= '0;
      force_q     <= 1'b0;
      remaining_q <= '0;
      rd0_q       <= '0;
      rd1_q       <= '0;
      dst_q       <= '0;
      mask_addr_q <= '0;
      d_q         <= '0;
      pair_q      <= '0;
      stride_q    <= 8'd1;
      w_q         <= '0;
      m_q         <= '0;
      mask_q      <= '0;
      rvalid_q    <= 1'b0;
      rsel_q      <= 1'b0;
      rrow_q      <= '0;
      rdst_q      <= '0;
      wvalid_q    <= 1'b0;
      wdst_q      <= '0;
      wdata_q     <= '0;
      cnt_q       <= '0;
      am_key_q    <= '0;
      am_idx_q    <= '0;
      am_bits_q   <= '0;
      am_word_q   <= '0;
    end else begin
      // pipeline: read -> add -> write
      rvalid_q <= reading;
      rsel_q   <= sel;
      rrow_q   <= m_q;
      rdst_q   <= dst_q;
      wvalid_q <= rvalid_q && (op_q != VRoute) && (op_q != VArgmax);
      wdst_q   <= rdst_q;
      if (rvalid_q) begin
        wdata_q <= (op_q == VScat && !rsel_q) ? rdata0_i : sum;
        if (op_q == VRoute) begin
          mask_q[rrow_q[IW-1:0]] <= force_q || !vpu_fp16_gt(lane_c, lane_a);
        end
        if (op_q == VArgmax) begin
          // first maximum of this word (lowest lane on ties), then against the running one
          // (strictly greater: the earlier word wins ties)
          logic [15:0] bk, bb, k;
          logic [IW-1:0] bl;
          bk = am_key(rdata0_i[15:0]);
          bb = rdata0_i[15:0];
          bl = '0;
          for (int l = 1; l < Lanes; l++) begin
            k = am_key(rdata0_i[16*l +: 16]);
            if (k > bk) begin
              bk = k;
              bb = rdata0_i[16*l +: 16];
              bl = IW'(l);
            end
          end
          if (am_word_q == '0 || bk > am_key_q) begin
            am_key_q  <= bk;
            am_bits_q <= bb;
            am_idx_q  <= 16'(32'(am_word_q) * Lanes + 32'(bl));
          end
          am_word_q <= am_word_q + 16'd1;
        end
      end
      unique case (state_q)
        StIdle: begin
          if (cmd_valid_i) begin
            op_q        <= cmd_op_i;
            force_q     <= cmd_force_i;
            rd0_q       <= cmd_src0_i;
            rd1_q       <= cmd_src1_i;
            dst_q       <= cmd_dst_i;
            mask_addr_q <= cmd_mask_i;
            d_q         <= (cmd_op_i == VScat) ? cmd_d_i : 16'd1;
            pair_q      <= cmd_pair_i;
            stride_q    <= (cmd_stride_i == '0) ? 8'd1 : cmd_stride_i;
            w_q         <= '0;
            m_q         <= '0;
            am_word_q   <= '0;
            remaining_q <= (cmd_op_i == VScat) ? 17'(32'(cmd_len_i) * 32'(cmd_d_i)) :
                                                     17'(cmd_len_i);
            if (cmd_op_i == VRoute) mask_q <= '0;
            state_q     <= (cmd_op_i == VScat) ? StMask : StRun;
          end
        end
        StMask:     state_q <= StMaskWait;
        StMaskWait: begin
          // rdata1_i holds the mask word; rows >= len never come up
          mask_q  <= rdata1_i;
          state_q <= StRun;
        end
        StRun: begin
          if (reading) begin
            remaining_q <= remaining_q - 1'b1;
            unique case (op_q)
              VAdd: begin
                rd0_q <= rd0_q + 1'b1;
                rd1_q <= rd1_q + 1'b1;
                dst_q <= dst_q + 1'b1;
              end
              VScat: begin
                rd0_q <= rd0_q + 1'b1;
                dst_q <= dst_q + 1'b1;
                if (sel) rd1_q <= rd1_q + 1'b1;
                w_q <= row_last_word ? '0 : w_q + 16'd1;
                if (row_last_word) m_q <= m_q + 1'b1;
              end
              VArgmax: rd0_q <= rd0_q + 1'b1;
              default: begin       // ROUTE: logits rows S words apart, the bias word stays
                rd0_q <= rd0_q + AW'(stride_q);
                m_q   <= m_q + 1'b1;
              end
            endcase
          end else begin
            state_q <= StFlush;
          end
        end
        StFlush: begin
          // the last word is in the add stage (rvalid_q) or being written (wvalid_q)
          if (!rvalid_q) begin
            state_q <= (op_q == VRoute) ? StRouteCnt : (op_q == VArgmax) ? StRouteWr : StIdle;
          end
        end
        StRouteCnt: begin
          cnt_q   <= 16'(mask_popcount(MaskW'(mask_q)));
          state_q <= StRouteWr;
        end
        StRouteWr: state_q <= StIdle;
        default: state_q <= StIdle;
      endcase
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    skipopu_fp16_add u_add (
      .a_i(rdata0_i[16*l +: 16]),
      .b_i(rdata1_i[16*l +: 16]),
      .y_o(sum[16*l +: 16])
    );
  end

  // ROUTE's mask word / ARGMAX's result word
  logic route_we, am_sel;
  logic [DATA_W-1:0] am_word;
  assign route_we = (state_q == StRouteWr);
  assign am_sel   = (op_q == VArgmax);
  assign am_word  = {(DATA_W - 32)'(0), am_bits_q, am_idx_q};
  assign we_o    = wvalid_q || route_we;
  assign waddr_o = !route_we ? wdst_q : am_sel ? dst_q : mask_addr_q;
  assign wdata_o = !route_we ? wdata_q : am_sel ? am_word : mask_q;
  // VADD/VSCAT: with the last write (the first StFlush cycle); ROUTE, ARGMAX: with the mask /
  // result write
  assign done_o  = ((state_q == StFlush) && !rvalid_q && wvalid_q) || route_we;
  assign cnt_o   = cnt_q;

  // The pair index and the row counter are range-checked by the decoder (p < DATA_W/32,
  // rows <= DATA_W); their high bits are never needed
  logic unused;
  assign unused = ^{pair_q[15:IW], rrow_q[IW]};

endmodule
