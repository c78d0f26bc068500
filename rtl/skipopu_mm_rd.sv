// MATMUL read streams (docs/pe-array.md "Weight streaming"): the weight tiles of a whole MATMUL
// as one stream of AXI4 INCR bursts from the weight port, and the INT4 group scales as
// single-beat reads from DDR, both requested ahead of use into their own FIFOs, so that tile
// boundaries and scale reads cost no command round trip.
//
//   weights  wbeats_i beats from waddr_i (tile-major, so the whole weight is one contiguous
//            range), bursts of at most MAX_BURST beats that never cross a 4 KB boundary,
//            issued while the weight FIFO has room for the burst on top of what is stored and
//            in flight (as skipopu_axi_rd);
//   scales   for column tile c < scols_i and group g < sgroups_i (g inner): one beat at
//            saddr_i + g * sstep_i + c * DATA_W/8, up to S_DEPTH in flight.
//
// Master A carries the weights, master B (DDR) the scales, and also the weights when shared_i
// (weights in DDR): then B issues both kinds (scales first when both wait) and an in-order tag
// per burst (single ID, responses in order) routes each R beat to its FIFO.
// RLAST is checked, not trusted: the weight bursts end where the request split ends them (the
// same per-beat rule as skipopu_axi_rd), a scale burst is one beat; a beat whose RLAST differs
// is an error beat (w_err_o / s_err_o, as for SLVERR or DECERR), and the tags are popped by that
// count, so a misplaced RLAST never misroutes a beat or hangs.
// stop_i (a failed tile, skipopu_mm) ends all requests; the bursts in flight are received and
// every beat left is dropped. busy_o stays high until nothing is in flight and both FIFOs are
// empty, so no burst is left dangling. Consumed beats are what the DMA byte counters count.

module skipopu_mm_rd
  import skipopu_pkg::*;
#(
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI data width in bits
  parameter int DATA_W = 256,
  // Maximum beats per weight burst (power of 2, <= 256)
  parameter int MAX_BURST = 16,
  // Weight FIFO depth in beats (power of 2, >= MAX_BURST): bounds the weight beats in flight
  parameter int W_DEPTH = 64,
  // Scale FIFO depth in words (power of 2, <= W_DEPTH): bounds the scale reads in flight
  parameter int S_DEPTH = 4
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Command (start_i while idle)
  input  logic              start_i,
  input  logic              shared_i,     // weights on DDR: master B carries both streams
  input  logic [ADDR_W-1:0] waddr_i,
  input  logic [31:0]       wbeats_i,     // >= 1
  input  logic [ADDR_W-1:0] saddr_i,
  input  logic [ADDR_W-1:0] sstep_i,      // bytes from one group's scale word to the next
  input  logic [15:0]       sgroups_i,    // scale words per column tile (0: no scales)
  input  logic [15:0]       scols_i,      // column tiles
  input  logic              stop_i,       // no more requests; drop what arrives
  output logic              busy_o,

  // Weight stream
  output logic              w_valid_o,
  input  logic              w_ready_i,
  output logic [DATA_W-1:0] w_data_o,
  output logic              w_err_o,      // this beat: RRESP != OKAY or RLAST misplaced

  // Scale stream
  output logic              s_valid_o,
  input  logic              s_ready_i,
  output logic [DATA_W-1:0] s_data_o,
  output logic              s_err_o,

  // AXI4 read master A (weights; ID 0, INCR, full width like skipopu_axi_rd)
  output logic [ADDR_W-1:0] a_araddr_o,
  output logic [7:0]        a_arlen_o,
  output logic              a_arvalid_o,
  input  logic              a_arready_i,
  input  logic [DATA_W-1:0] a_rdata_i,
  input  logic [1:0]        a_rresp_i,
  input  logic              a_rlast_i,
  input  logic              a_rvalid_i,
  output logic              a_rready_o,

  // AXI4 read master B (DDR: scales, and weights when shared)
  output logic [ADDR_W-1:0] b_araddr_o,
  output logic [7:0]        b_arlen_o,
  output logic              b_arvalid_o,
  input  logic              b_arready_i,
  input  logic [DATA_W-1:0] b_rdata_i,
  input  logic [1:0]        b_rresp_i,
  input  logic              b_rlast_i,
  input  logic              b_rvalid_i,
  output logic              b_rready_o
);

  localparam int BeatShift = $clog2(DATA_W / 8);
  localparam int WCntW = $clog2(W_DEPTH) + 1;
  localparam int SCntW = $clog2(S_DEPTH) + 1;
  localparam int TagDepth = 2 * W_DEPTH;   // >= bursts in flight on B (W_DEPTH + S_DEPTH)
  localparam int TCntW = $clog2(TagDepth) + 1;

  logic              active_q, stop_q, shared_q;
  logic [ADDR_W-1:0] w_next_q;
  logic [31:0]       w_left_q;        // weight beats not yet requested
  logic [WCntW-1:0]  w_infl_q;        // weight beats requested, not yet received
  logic [ADDR_W-1:0] s_next_q, s_col_q, sstep_q;
  logic [15:0]       s_g_q, sgroups_q;
  logic [31:0]       s_left_q;        // scale words not yet requested
  logic [SCntW-1:0]  s_infl_q;
  logic              a_arvalid_q, b_arvalid_q;
  logic [ADDR_W-1:0] a_araddr_q, b_araddr_q;
  logic [7:0]        a_arlen_q, b_arlen_q;
  logic [11:0]       w_rx_addr_q;     // address bits [11:0] of the next weight R beat
  logic [7:0]        w_rx_cnt_q;      // weight R beats of the current burst received
  logic [31:0]       w_rx_left_q;     // weight R beats not yet received

  logic              wf_push, wf_wr_ready, wf_valid, wf_pop;
  logic [DATA_W:0]   wf_wdata, wf_rdata;
  logic [WCntW-1:0]  wf_count;
  logic              sf_push, sf_wr_ready, sf_valid, sf_pop;
  logic [DATA_W:0]   sf_rdata;
  logic [SCntW-1:0]  sf_count;
  logic              tag_push, tag_ready, tag_valid, tag_head, tag_pop;
  logic [TCntW-1:0]  tag_count;

  // ---------------------------------------------------------------------------------------------
  // Requests
  // ---------------------------------------------------------------------------------------------
  logic [13:0] burst;
  assign burst = axi_burst_beats(w_next_q[11:0], w_left_q, 14'(MAX_BURST), 3'(BeatShift));

  logic running, w_want, s_want, a_free, b_free, launch_s, launch_wa, launch_wb, launch_w;
  assign running  = active_q && !stop_q && !stop_i;
  assign w_want   = running && (w_left_q != '0) &&
                    (32'(wf_count) + 32'(w_infl_q) + 32'(burst) <= W_DEPTH);
  assign s_want   = running && (s_left_q != '0) &&
                    (32'(sf_count) + 32'(s_infl_q) < S_DEPTH);
  assign a_free   = !a_arvalid_q || a_arready_i;
  assign b_free   = (!b_arvalid_q || b_arready_i) && tag_ready;
  assign launch_s  = s_want && b_free;
  assign launch_wa = w_want && !shared_q && a_free;
  assign launch_wb = w_want && shared_q && b_free && !s_want;
  assign launch_w  = launch_wa || launch_wb;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q    <= 1'b0;
      stop_q      <= 1'b0;
      shared_q    <= 1'b0;
      w_next_q    <= '0;
      w_left_q    <= '0;
      w_infl_q    <= '0;
      s_next_q    <= '0;
      s_col_q     <= '0;
      sstep_q     <= '0;
      s_g_q       <= '0;
      sgroups_q   <= '0;
      s_left_q    <= '0;
      s_infl_q    <= '0;
      a_arvalid_q <= 1'b0;
      a_araddr_q  <= '0;
      a_arlen_q   <= '0;
      b_arvalid_q <= 1'b0;
      b_araddr_q  <= '0;
      b_arlen_q   <= '0;
      w_rx_addr_q <= '0;
      w_rx_cnt_q  <= '0;
      w_rx_left_q <= '0;
    end else begin
      if (start_i && !active_q) begin
        active_q    <= 1'b1;
        w_rx_addr_q <= waddr_i[11:0];
        w_rx_cnt_q  <= '0;
        w_rx_left_q <= wbeats_i;
        stop_q    <= 1'b0;
        shared_q  <= shared_i;
        w_next_q  <= waddr_i;
        w_left_q  <= wbeats_i;
        s_next_q  <= saddr_i;
        s_col_q   <= saddr_i;
        sstep_q   <= sstep_i;
        s_g_q     <= '0;
        sgroups_q <= sgroups_i;
        s_left_q  <= 32'(sgroups_i) * 32'(scols_i);
      end
      if (stop_i && active_q) begin
        stop_q <= 1'b1;
      end
      // weight bursts
      if (launch_w) begin
        w_next_q <= w_next_q + (ADDR_W'(burst) << BeatShift);
        w_left_q <= w_left_q - 32'(burst);
      end
      if (launch_wa) begin
        a_arvalid_q <= 1'b1;
        a_araddr_q  <= w_next_q;
        a_arlen_q   <= 8'(burst - 14'd1);
      end else if (a_arready_i) begin
        a_arvalid_q <= 1'b0;
      end
      w_infl_q <= w_infl_q + (launch_w ? WCntW'(burst) : '0) - (wf_push ? WCntW'(1) : '0);
      // scale words: group g inner, column tile outer
      if (launch_s) begin
        s_left_q <= s_left_q - 32'd1;
        if (s_g_q + 16'd1 == sgroups_q) begin
          s_g_q    <= '0;
          s_col_q  <= s_col_q + ADDR_W'(DATA_W / 8);
          s_next_q <= s_col_q + ADDR_W'(DATA_W / 8);
        end else begin
          s_g_q    <= s_g_q + 16'd1;
          s_next_q <= s_next_q + sstep_q;
        end
      end
      if (launch_s || launch_wb) begin
        b_arvalid_q <= 1'b1;
        b_araddr_q  <= launch_s ? s_next_q : w_next_q;
        b_arlen_q   <= launch_s ? 8'd0 : 8'(burst - 14'd1);
      end else if (b_arready_i) begin
        b_arvalid_q <= 1'b0;
      end
      s_infl_q <= s_infl_q + (launch_s ? SCntW'(1) : '0) - (sf_push ? SCntW'(1) : '0);
      if (wf_push) begin
        w_rx_addr_q <= w_rx_addr_q + 12'(DATA_W / 8);
        w_rx_cnt_q  <= w_rx_last ? '0 : w_rx_cnt_q + 1'b1;
        w_rx_left_q <= w_rx_left_q - 32'd1;
      end
      // idle once every request is answered and every beat consumed or dropped
      if (active_q && (stop_q || (w_left_q == '0 && s_left_q == '0)) && w_infl_q == '0 &&
          s_infl_q == '0 && !a_arvalid_q && !b_arvalid_q && !wf_valid && !sf_valid) begin
        active_q <= 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Responses: A -> weights; B -> the FIFO named by the oldest tag (1 = scale)
  // ---------------------------------------------------------------------------------------------
  // The weight R beat that ends its burst: the last weight beat, the last one below a 4 KB
  // boundary or the MAX_BURST-th of the burst (the split of axi_burst_beats); on B a scale
  // burst ends with its only beat. An RLAST elsewhere makes the beat an error beat.
  logic w_rx_last, b_last, a_err, b_err;
  assign w_rx_last = (w_rx_left_q == 32'd1) || (&w_rx_addr_q[11:BeatShift]) ||
                     (32'(w_rx_cnt_q) == MAX_BURST - 1);
  assign b_last    = tag_head || w_rx_last;
  assign a_err     = a_rresp_i[1] || (a_rlast_i != w_rx_last);
  assign b_err     = b_rresp_i[1] || (b_rlast_i != b_last);

  logic b_fire;
  // (the R channels carry other transfers' beats while the streams are idle: never taken)
  assign a_rready_o = active_q && !shared_q && wf_wr_ready;
  assign b_rready_o = active_q && tag_valid && (tag_head ? sf_wr_ready : wf_wr_ready);
  assign b_fire     = b_rvalid_i && b_rready_o;
  assign wf_push    = shared_q ? (b_fire && !tag_head) : (a_rvalid_i && a_rready_o);
  assign wf_wdata   = shared_q ? {b_err, b_rdata_i} : {a_err, a_rdata_i};
  assign sf_push    = b_fire && tag_head;
  assign tag_push   = launch_s || launch_wb;
  assign tag_pop    = b_fire && b_last;

  skipopu_fifo #(
    .DATA_W(1),
    .DEPTH (TagDepth)
  ) u_tags (
    .clk_i,
    .rst_ni,
    .wr_valid_i(tag_push),
    .wr_ready_o(tag_ready),
    .wr_data_i (launch_s),
    .rd_valid_o(tag_valid),
    .rd_ready_i(tag_pop),
    .rd_data_o (tag_head),
    .count_o   (tag_count)
  );

  skipopu_fifo #(
    .DATA_W(DATA_W + 1),
    .DEPTH (W_DEPTH)
  ) u_wfifo (
    .clk_i,
    .rst_ni,
    .wr_valid_i(wf_push),
    .wr_ready_o(wf_wr_ready),
    .wr_data_i (wf_wdata),
    .rd_valid_o(wf_valid),
    .rd_ready_i(wf_pop),
    .rd_data_o (wf_rdata),
    .count_o   (wf_count)
  );

  skipopu_fifo #(
    .DATA_W(DATA_W + 1),
    .DEPTH (S_DEPTH)
  ) u_sfifo (
    .clk_i,
    .rst_ni,
    .wr_valid_i(sf_push),
    .wr_ready_o(sf_wr_ready),
    .wr_data_i ({b_err, b_rdata_i}),
    .rd_valid_o(sf_valid),
    .rd_ready_i(sf_pop),
    .rd_data_o (sf_rdata),
    .count_o   (sf_count)
  );

  // after stop_i the beats still arriving are popped here and never reach the consumer
  assign wf_pop    = wf_valid && (w_ready_i || stop_q);
  assign sf_pop    = sf_valid && (s_ready_i || stop_q);
  assign w_valid_o = wf_valid && !stop_q;
  assign w_data_o  = wf_rdata[DATA_W-1:0];
  assign w_err_o   = wf_rdata[DATA_W];
  assign s_valid_o = sf_valid && !stop_q;
  assign s_data_o  = sf_rdata[DATA_W-1:0];
  assign s_err_o   = sf_rdata[DATA_W];
  assign busy_o    = active_q;

  assign a_araddr_o  = a_araddr_q;
  assign a_arlen_o   = a_arlen_q;
  assign a_arvalid_o = a_arvalid_q;
  assign b_araddr_o  = b_araddr_q;
  assign b_arlen_o   = b_arlen_q;
  assign b_arvalid_o = b_arvalid_q;

  // the tag count is implied by the bursts in flight; RRESP[0] only tells SLVERR from DECERR
  logic unused_rd;
  assign unused_rd = ^{tag_count, a_rresp_i[0], b_rresp_i[0]};

endmodule
