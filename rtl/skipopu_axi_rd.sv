// AXI4 read burst engine: reads cmd_beats_i full-width beats from cmd_addr_i into a FIFO and
// streams them out. Bursts are INCR, at most MAX_BURST beats, never cross a 4 KB boundary, and
// several are in flight. Credit-based: an AR is issued only when the FIFO has room for the whole
// burst on top of what is stored and already requested, so rready (FIFO not full) is high
// whenever R data can arrive and the R channel never stalls the interconnect.
// RLAST is checked, not trusted: the engine knows where each burst ends (the same split as its
// requests), and a beat whose RLAST differs from that is an error beat like one with SLVERR or
// DECERR (out_err_o, err_o); the beat count alone ends the command, so it never hangs.

module skipopu_axi_rd
  import skipopu_pkg::*;
#(
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI data width in bits
  parameter int DATA_W = 256,
  // AXI ID width (all bursts use ID 0)
  parameter int ID_W = 4,
  // Width of the beat count of a command
  parameter int LEN_W = 16,
  // Maximum beats per burst (power of 2, <= 256)
  parameter int MAX_BURST = 16,
  // Output FIFO depth in beats (power of 2, >= MAX_BURST): bounds the beats in flight
  parameter int FIFO_DEPTH = 64
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Command, accepted while idle (cmd_ready_o)
  input  logic              cmd_valid_i,
  output logic              cmd_ready_o,
  input  logic [ADDR_W-1:0] cmd_addr_i,     // aligned to DATA_W/8
  input  logic [LEN_W-1:0]  cmd_beats_i,    // >= 1

  // Data stream
  output logic              out_valid_o,
  input  logic              out_ready_i,
  output logic [DATA_W-1:0] out_data_o,
  output logic              out_last_o,     // last beat of the command
  output logic              out_err_o,      // this beat: RRESP != OKAY or RLAST misplaced

  // Status
  output logic              busy_o,
  output logic              done_o,         // pulse: last beat handed out
  output logic              err_o,          // with done_o: some beat had an error response
  output logic              beat_o,         // pulse per R handshake

  // AXI4 read master
  output logic [ID_W-1:0]   m_axi_arid,
  output logic [ADDR_W-1:0] m_axi_araddr,
  output logic [7:0]        m_axi_arlen,
  output logic [2:0]        m_axi_arsize,
  output logic [1:0]        m_axi_arburst,
  output logic              m_axi_arlock,
  output logic [3:0]        m_axi_arcache,
  output logic [2:0]        m_axi_arprot,
  output logic              m_axi_arvalid,
  input  logic              m_axi_arready,
  input  logic [ID_W-1:0]   m_axi_rid,
  input  logic [DATA_W-1:0] m_axi_rdata,
  input  logic [1:0]        m_axi_rresp,
  input  logic              m_axi_rlast,
  input  logic              m_axi_rvalid,
  output logic              m_axi_rready
);

  localparam int BeatBytes = DATA_W / 8;
  localparam int BeatShift = $clog2(BeatBytes);
  localparam int CntW = $clog2(FIFO_DEPTH) + 1;
  localparam int BW = 14;   // wide enough for 4096 / BeatBytes and MAX_BURST

  logic              active_q;
  logic [ADDR_W-1:0] next_addr_q;
  logic [LEN_W-1:0]  req_left_q;     // beats not yet requested
  logic [LEN_W-1:0]  recv_left_q;    // beats not yet received
  logic [CntW-1:0]   inflight_q;     // requested, not yet received
  logic              err_q;
  logic              arvalid_q;
  logic [ADDR_W-1:0] araddr_q;
  logic [7:0]        arlen_q;
  logic [11:0]       rx_addr_q;      // address bits [11:0] of the next R beat
  logic [7:0]        rx_cnt_q;       // R beats of the current burst received so far

  logic [CntW-1:0]   fifo_count;
  logic              fifo_wr_ready, fifo_rd_valid;
  logic [DATA_W+1:0] fifo_rd_data;

  // Next burst length: min(beats left, MAX_BURST, beats to the 4 KB boundary)
  logic [BW-1:0] burst;
  assign burst = axi_burst_beats(next_addr_q[11:0], 32'(req_left_q), 14'(MAX_BURST),
                                 3'(BeatShift));

  // A new AR may be loaded while the previous one is being accepted (one AR per cycle)
  logic launch;
  assign launch = active_q && (!arvalid_q || m_axi_arready) && (req_left_q != '0) &&
                  (32'(fifo_count) + 32'(inflight_q) + 32'(burst) <= FIFO_DEPTH);

  logic r_fire, pop, last_pop;
  assign r_fire   = m_axi_rvalid && m_axi_rready;

  // The R beat that ends its burst: the command's last beat, the last one below a 4 KB
  // boundary or the MAX_BURST-th of the burst (the split of axi_burst_beats); any other RLAST
  // makes the beat an error beat
  logic rx_last, r_err;
  assign rx_last = (recv_left_q == LEN_W'(1)) || (&rx_addr_q[11:BeatShift]) ||
                   (32'(rx_cnt_q) == MAX_BURST - 1);
  assign r_err   = m_axi_rresp[1] || (m_axi_rlast != rx_last);
  assign pop      = fifo_rd_valid && out_ready_i;
  assign last_pop = pop && fifo_rd_data[DATA_W];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q    <= 1'b0;
      next_addr_q <= '0;
      req_left_q  <= '0;
      recv_left_q <= '0;
      inflight_q  <= '0;
      err_q       <= 1'b0;
      arvalid_q   <= 1'b0;
      araddr_q    <= '0;
      arlen_q     <= '0;
      rx_addr_q   <= '0;
      rx_cnt_q    <= '0;
    end else begin
      if (cmd_valid_i && cmd_ready_o) begin
        active_q    <= 1'b1;
        next_addr_q <= cmd_addr_i;
        req_left_q  <= cmd_beats_i;
        recv_left_q <= cmd_beats_i;
        err_q       <= 1'b0;
        rx_addr_q   <= cmd_addr_i[11:0];
        rx_cnt_q    <= '0;
      end
      if (launch) begin
        arvalid_q   <= 1'b1;
        araddr_q    <= next_addr_q;
        arlen_q     <= 8'(burst - 1'b1);
        next_addr_q <= next_addr_q + (ADDR_W'(burst) << BeatShift);
        req_left_q  <= req_left_q - LEN_W'(burst);
      end else if (m_axi_arready) begin
        arvalid_q <= 1'b0;
      end
      inflight_q <= inflight_q + (launch ? CntW'(burst) : '0) - (r_fire ? CntW'(1) : '0);
      if (r_fire) begin
        recv_left_q <= recv_left_q - 1'b1;
        rx_addr_q   <= rx_addr_q + 12'(BeatBytes);
        rx_cnt_q    <= rx_last ? '0 : rx_cnt_q + 1'b1;
        if (r_err) err_q <= 1'b1;
      end
      if (last_pop) begin
        active_q <= 1'b0;
      end
    end
  end

  skipopu_fifo #(
    .DATA_W(DATA_W + 2),
    .DEPTH (FIFO_DEPTH)
  ) u_fifo (
    .clk_i,
    .rst_ni,
    .wr_valid_i(r_fire),
    .wr_ready_o(fifo_wr_ready),
    .wr_data_i ({r_err, recv_left_q == LEN_W'(1), m_axi_rdata}),
    .rd_valid_o(fifo_rd_valid),
    .rd_ready_i(out_ready_i),
    .rd_data_o (fifo_rd_data),
    .count_o   (fifo_count)
  );

  assign cmd_ready_o = !active_q;
  assign out_valid_o = fifo_rd_valid;
  assign out_data_o  = fifo_rd_data[DATA_W-1:0];
  assign out_last_o  = fifo_rd_data[DATA_W];
  assign out_err_o   = fifo_rd_data[DATA_W+1];
  assign busy_o      = active_q;
  assign done_o      = last_pop;
  assign err_o       = last_pop && (err_q || fifo_rd_data[DATA_W+1]);
  assign beat_o      = r_fire;

  assign m_axi_arid    = '0;
  assign m_axi_araddr  = araddr_q;
  assign m_axi_arlen   = arlen_q;
  assign m_axi_arsize  = 3'(BeatShift);
  assign m_axi_arburst = 2'b01;   // INCR
  assign m_axi_arlock  = 1'b0;
  assign m_axi_arcache = 4'b0011; // normal non-cacheable bufferable
  assign m_axi_arprot  = 3'b010;  // unprivileged, non-secure, data
  assign m_axi_arvalid = arvalid_q;
  assign m_axi_rready  = fifo_wr_ready;

  // Responses arrive in order (single ID); RRESP[0] only tells SLVERR from DECERR
  logic unused_r;
  assign unused_r = ^{m_axi_rid, m_axi_rresp[0]};

endmodule
