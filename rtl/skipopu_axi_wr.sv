// AXI4 write burst engine: writes cmd_beats_i full-width beats taken from the input stream to
// cmd_addr_i. Bursts are INCR, at most MAX_BURST beats, never cross a 4 KB boundary; up to
// MAX_OUTSTANDING bursts may wait for their B response. The W beats of a burst are sent only
// after its AW was accepted (the slave must accept AW without waiting for W data, as AXI
// interconnects and memory controllers do). done_o pulses when every B response has arrived.
// The input stream passes straight to W (wvalid = in_valid_i while a burst is open), so it must
// follow the valid/ready rules: in_valid_i and in_data_i stay stable until in_ready_o.

module skipopu_axi_wr
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
  // Bursts in flight without a B response (power of 2, >= 1)
  parameter int MAX_OUTSTANDING = 8
) (
  input  logic                clk_i,
  input  logic                rst_ni,

  // Command, accepted while idle (cmd_ready_o)
  input  logic                cmd_valid_i,
  output logic                cmd_ready_o,
  input  logic [ADDR_W-1:0]   cmd_addr_i,     // aligned to DATA_W/8
  input  logic [LEN_W-1:0]    cmd_beats_i,    // >= 1

  // Data stream (exactly cmd_beats_i beats per command)
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [DATA_W-1:0]   in_data_i,

  // Status
  output logic                busy_o,
  output logic                done_o,         // pulse: all B responses received
  output logic                err_o,          // with done_o: some BRESP != OKAY
  output logic                beat_o,         // pulse per W handshake

  // AXI4 write master
  output logic [ID_W-1:0]     m_axi_awid,
  output logic [ADDR_W-1:0]   m_axi_awaddr,
  output logic [7:0]          m_axi_awlen,
  output logic [2:0]          m_axi_awsize,
  output logic [1:0]          m_axi_awburst,
  output logic                m_axi_awlock,
  output logic [3:0]          m_axi_awcache,
  output logic [2:0]          m_axi_awprot,
  output logic                m_axi_awvalid,
  input  logic                m_axi_awready,
  output logic [DATA_W-1:0]   m_axi_wdata,
  output logic [DATA_W/8-1:0] m_axi_wstrb,
  output logic                m_axi_wlast,
  output logic                m_axi_wvalid,
  input  logic                m_axi_wready,
  input  logic [ID_W-1:0]     m_axi_bid,
  input  logic [1:0]          m_axi_bresp,
  input  logic                m_axi_bvalid,
  output logic                m_axi_bready
);

  // pragma translate_off
  initial begin : p_params
    if ($countones(MAX_BURST) != 1 || MAX_BURST > 256) begin
      $fatal(1, "skipopu_axi_wr: MAX_BURST=%0d is not a power of 2 <= 256", MAX_BURST);
    end
    if ($countones(MAX_OUTSTANDING) != 1) begin
      $fatal(1, "skipopu_axi_wr: MAX_OUTSTANDING=%0d is not a power of 2 >= 1", MAX_OUTSTANDING);
    end
  end
  // pragma translate_on

  localparam int BeatBytes = DATA_W / 8;
  localparam int BeatShift = $clog2(BeatBytes);
  localparam int OW = $clog2(MAX_OUTSTANDING) + 1;
  localparam int BW = 14;

  logic              active_q;
  logic [ADDR_W-1:0] next_addr_q;
  logic [LEN_W-1:0]  req_left_q;     // beats whose AW is not yet issued
  logic [OW-1:0]     pending_q;      // AWs issued without B
  logic              err_q;
  logic              awvalid_q;
  logic [ADDR_W-1:0] awaddr_q;
  logic [7:0]        awlen_q;

  // W side: lengths of accepted AW bursts waiting for data
  logic              len_push, len_valid, len_pop, len_ready;
  logic [7:0]        len_head;
  logic [OW-1:0]     len_count;
  logic              w_busy_q;
  logic [7:0]        w_left_q;       // beats left in the current burst minus one

  logic [BW-1:0] burst;
  assign burst = axi_burst_beats(next_addr_q[11:0], 32'(req_left_q), 14'(MAX_BURST),
                                 3'(BeatShift));

  logic launch, aw_fire, w_fire, b_fire;
  // A new AW may be loaded while the previous one is being accepted (one AW per cycle)
  assign launch  = active_q && (!awvalid_q || m_axi_awready) && (req_left_q != '0) &&
                   (32'(pending_q) < MAX_OUTSTANDING);
  assign aw_fire = m_axi_awvalid && m_axi_awready;
  assign w_fire  = m_axi_wvalid && m_axi_wready;
  assign b_fire  = m_axi_bvalid && m_axi_bready;

  logic finish;
  assign finish = active_q && (req_left_q == '0) && !awvalid_q && (pending_q == '0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q    <= 1'b0;
      next_addr_q <= '0;
      req_left_q  <= '0;
      pending_q   <= '0;
      err_q       <= 1'b0;
      awvalid_q   <= 1'b0;
      awaddr_q    <= '0;
      awlen_q     <= '0;
      w_busy_q    <= 1'b0;
      w_left_q    <= '0;
    end else begin
      if (cmd_valid_i && cmd_ready_o) begin
        active_q    <= 1'b1;
        next_addr_q <= cmd_addr_i;
        req_left_q  <= cmd_beats_i;
        err_q       <= 1'b0;
      end
      if (launch) begin
        awvalid_q   <= 1'b1;
        awaddr_q    <= next_addr_q;
        awlen_q     <= 8'(burst - 1'b1);
        next_addr_q <= next_addr_q + (ADDR_W'(burst) << BeatShift);
        req_left_q  <= req_left_q - LEN_W'(burst);
      end else if (m_axi_awready) begin
        awvalid_q <= 1'b0;
      end
      pending_q <= pending_q + (launch ? OW'(1) : '0) - (b_fire ? OW'(1) : '0);
      if (b_fire && m_axi_bresp[1]) begin
        err_q <= 1'b1;
      end
      // W burst tracking
      if (len_pop) begin
        w_busy_q <= 1'b1;
        w_left_q <= len_head;
      end else if (w_fire) begin
        if (w_left_q == '0) begin
          w_busy_q <= 1'b0;
        end else begin
          w_left_q <= w_left_q - 1'b1;
        end
      end
      if (finish) begin
        active_q <= 1'b0;
      end
    end
  end

  // Burst lengths travel from the AW handshake to the W side
  assign len_push = aw_fire;
  assign len_pop  = len_valid && (!w_busy_q || (w_fire && w_left_q == '0));

  skipopu_fifo #(
    .DATA_W(8),
    .DEPTH (MAX_OUTSTANDING)
  ) u_len_fifo (
    .clk_i,
    .rst_ni,
    .wr_valid_i(len_push),
    .wr_ready_o(len_ready),
    .wr_data_i (m_axi_awlen),
    .rd_valid_o(len_valid),
    .rd_ready_i(len_pop),
    .rd_data_o (len_head),
    .count_o   (len_count)
  );

  assign cmd_ready_o = !active_q;
  assign in_ready_o  = w_busy_q && m_axi_wready;
  assign busy_o      = active_q;
  assign done_o      = finish;
  assign err_o       = finish && err_q;
  assign beat_o      = w_fire;

  assign m_axi_awid    = '0;
  assign m_axi_awaddr  = awaddr_q;
  assign m_axi_awlen   = awlen_q;
  assign m_axi_awsize  = 3'(BeatShift);
  assign m_axi_awburst = 2'b01;
  assign m_axi_awlock  = 1'b0;
  assign m_axi_awcache = 4'b0011;
  assign m_axi_awprot  = 3'b010;
  assign m_axi_awvalid = awvalid_q;
  assign m_axi_wdata   = in_data_i;
  assign m_axi_wstrb   = '1;
  assign m_axi_wlast   = w_busy_q && (w_left_q == '0);
  assign m_axi_wvalid  = w_busy_q && in_valid_i;
  assign m_axi_bready  = 1'b1;

  logic unused_w;
  assign unused_w = ^{m_axi_bid, m_axi_bresp[0], len_ready, len_count};

endmodule
