// AXI4 clock-domain crossing with optional 2:1 data-width conversion: the asynchronous chunk FIFOs
// between the core (slave side, s_*, e.g. 225 MHz) and an HBM AXI port (master side, m_*, e.g.
// 450 MHz). Each of the five channels goes through one skipopu_async_fifo.
//
// M_DATA_W == S_DATA_W: plain crossing, every field passes unchanged.
//
// M_DATA_W == S_DATA_W / 2 (conversion), for supported slave requests (INCR, size = full slave
// width, address aligned to S_DATA_W/8, len <= 127):
// - AR/AW: same id/addr/burst/lock/cache/prot, len = 2 * len + 1, size = $clog2(M_DATA_W/8). The
//   master burst covers the same bytes, so it crosses no 4 KB boundary the slave burst does not.
// - W: the W FIFO carries whole slave words; on the master side each word leaves as two beats,
//   low half (lower address) first, each with its half of wstrb; wlast on the second half of the
//   slave's last beat.
// - R: on the master side two consecutive beats are packed into one slave word (first = low
//   half), rid of the pair, rresp the worse of the two (the larger code: SLVERR 2 and DECERR 3
//   beat OKAY 0), rlast of the second beat; the R FIFO carries whole slave words. Master-side R
//   beats must come in pairs of one burst, i.e. no read interleaving at odd beat boundaries
//   (assumed of the HBM port; the models in tb/ return each burst whole); a simulation
//   assertion checks the IDs of a pair. RLAST is not trusted: an rlast on the first beat of a
//   pair (a slave error, the burst is even) makes the pair's rresp at least SLVERR, and the
//   pair's rlast is passed on as it came, so the core's read engines see a misplaced one; the
//   outstanding reads are counted in slave beats, never by rlast.
// - B: passed through.
// One master beat per master cycle is one slave word per two master cycles: with m_clk at twice
// s_clk (or faster) R and W sustain one slave word per slave cycle.
//
// Unsupported slave requests (conversion only: burst != INCR, size != full width, unaligned
// address, or len > 127): not forwarded and answered by the bridge itself with SLVERR, never a
// hang and no memory access. Such a request is taken like any other; its answer starts once every
// earlier forwarded burst of its direction has completed on the slave side (all R beats out; all
// W beats in, then all B out), so per-ID response order holds: a read gets len + 1 beats of zero
// data with SLVERR (rlast on the last); a write has its W beats up to wlast taken and dropped,
// then one B with SLVERR. Requests of that direction behind it wait until its answer is taken. A
// simulation assertion ($error) flags each one. In conversion mode W beats are taken only for
// bursts whose AW has been taken (AXI allows WREADY to wait for AWVALID), so the bridge knows
// which burst they belong to. At most 2^OUT_W - 1 forwarded write bursts and 2^(OUT_W + 7) - 129
// forwarded read beats (slave words) are outstanding (then new requests wait). arready/awready/wready depend on internal state only, not on the
// request or its valid.
//
// Reset: one asynchronous active-low reset per domain, each already synchronised to its clock.
// As for skipopu_async_fifo, both must be asserted at some common time (one reset source through
// a skipopu_rst_sync per domain does this); once both are released, in any order, the bridge is
// idle and empty. While a side is in reset its readies and valids are low; present requests only
// once both sides are out of reset (traffic while only one side is in reset is undefined).
//
// Synthesis: the only signals crossing domains are inside the five skipopu_async_fifo instances,
// and their constraints apply to each: ASYNC_REG on the *_sync_q synchronisers, set_max_delay
// -datapath_only of at most the faster clock's period (with set_bus_skew of at most that period on
// the gray pointers) on the gray pointers and the array-to-read-domain paths, as for
// xpm_fifo_async. Everything else is single-domain logic.

module skipopu_axi_cdc #(
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI ID width (>= 1)
  parameter int ID_W = 4,
  // Slave (core-side) data width in bits (>= 16)
  parameter int S_DATA_W = 256,
  // Master (HBM-side) data width in bits: S_DATA_W (plain crossing) or S_DATA_W / 2
  parameter int M_DATA_W = 128,
  // AR FIFO depth in requests (power of 2, >= 4)
  parameter int AR_DEPTH = 4,
  // AW FIFO depth in requests (power of 2, >= 4)
  parameter int AW_DEPTH = 4,
  // B FIFO depth in responses (power of 2, >= 4)
  parameter int B_DEPTH = 4,
  // W FIFO depth in slave words (power of 2, >= 4)
  parameter int W_DEPTH = 16,
  // R FIFO depth in slave words (power of 2, >= 4)
  parameter int R_DEPTH = 32,
  // Synchroniser flops per FIFO pointer crossing (>= 2)
  parameter int SYNC_STAGES = 2
) (
  // Core domain (slave side)
  input  logic                  s_clk_i,
  input  logic                  s_rst_ni,
  // HBM domain (master side)
  input  logic                  m_clk_i,
  input  logic                  m_rst_ni,

  // AXI4 slave (core side)
  input  logic [ID_W-1:0]       s_axi_awid,
  input  logic [ADDR_W-1:0]     s_axi_awaddr,
  input  logic [7:0]            s_axi_awlen,
  input  logic [2:0]            s_axi_awsize,
  input  logic [1:0]            s_axi_awburst,
  input  logic                  s_axi_awlock,
  input  logic [3:0]            s_axi_awcache,
  input  logic [2:0]            s_axi_awprot,
  input  logic                  s_axi_awvalid,
  output logic                  s_axi_awready,
  input  logic [S_DATA_W-1:0]   s_axi_wdata,
  input  logic [S_DATA_W/8-1:0] s_axi_wstrb,
  input  logic                  s_axi_wlast,
  input  logic                  s_axi_wvalid,
  output logic                  s_axi_wready,
  output logic [ID_W-1:0]       s_axi_bid,
  output logic [1:0]            s_axi_bresp,
  output logic                  s_axi_bvalid,
  input  logic                  s_axi_bready,
  input  logic [ID_W-1:0]       s_axi_arid,
  input  logic [ADDR_W-1:0]     s_axi_araddr,
  input  logic [7:0]            s_axi_arlen,
  input  logic [2:0]            s_axi_arsize,
  input  logic [1:0]            s_axi_arburst,
  input  logic                  s_axi_arlock,
  input  logic [3:0]            s_axi_arcache,
  input  logic [2:0]            s_axi_arprot,
  input  logic                  s_axi_arvalid,
  output logic                  s_axi_arready,
  output logic [ID_W-1:0]       s_axi_rid,
  output logic [S_DATA_W-1:0]   s_axi_rdata,
  output logic [1:0]            s_axi_rresp,
  output logic                  s_axi_rlast,
  output logic                  s_axi_rvalid,
  input  logic                  s_axi_rready,

  // AXI4 master (HBM side)
  output logic [ID_W-1:0]       m_axi_awid,
  output logic [ADDR_W-1:0]     m_axi_awaddr,
  output logic [7:0]            m_axi_awlen,
  output logic [2:0]            m_axi_awsize,
  output logic [1:0]            m_axi_awburst,
  output logic                  m_axi_awlock,
  output logic [3:0]            m_axi_awcache,
  output logic [2:0]            m_axi_awprot,
  output logic                  m_axi_awvalid,
  input  logic                  m_axi_awready,
  output logic [M_DATA_W-1:0]   m_axi_wdata,
  output logic [M_DATA_W/8-1:0] m_axi_wstrb,
  output logic                  m_axi_wlast,
  output logic                  m_axi_wvalid,
  input  logic                  m_axi_wready,
  input  logic [ID_W-1:0]       m_axi_bid,
  input  logic [1:0]            m_axi_bresp,
  input  logic                  m_axi_bvalid,
  output logic                  m_axi_bready,
  output logic [ID_W-1:0]       m_axi_arid,
  output logic [ADDR_W-1:0]     m_axi_araddr,
  output logic [7:0]            m_axi_arlen,
  output logic [2:0]            m_axi_arsize,
  output logic [1:0]            m_axi_arburst,
  output logic                  m_axi_arlock,
  output logic [3:0]            m_axi_arcache,
  output logic [2:0]            m_axi_arprot,
  output logic                  m_axi_arvalid,
  input  logic                  m_axi_arready,
  input  logic [ID_W-1:0]       m_axi_rid,
  input  logic [M_DATA_W-1:0]   m_axi_rdata,
  input  logic [1:0]            m_axi_rresp,
  input  logic                  m_axi_rlast,
  input  logic                  m_axi_rvalid,
  output logic                  m_axi_rready
);

  // pragma translate_off
  initial begin : p_params
    if (M_DATA_W != S_DATA_W && M_DATA_W * 2 != S_DATA_W) begin
      $fatal(1, "skipopu_axi_cdc: M_DATA_W=%0d must be S_DATA_W=%0d or half of it",
             M_DATA_W, S_DATA_W);
    end
    if (ID_W < 1 || S_DATA_W < 16) begin
      $fatal(1, "skipopu_axi_cdc: ID_W=%0d must be >= 1 and S_DATA_W=%0d >= 16", ID_W, S_DATA_W);
    end
  end
  // pragma translate_on

  // Width conversion (M_DATA_W == S_DATA_W / 2) or plain crossing
  localparam bit CONV = M_DATA_W != S_DATA_W;
  // Byte lanes per side
  localparam int S_STRB_W = S_DATA_W / 8;
  localparam int M_STRB_W = M_DATA_W / 8;
  // Low address bits of a slave word
  localparam int S_OFF_W = $clog2(S_STRB_W);
  // AXI size codes of a full slave / master beat
  localparam logic [2:0] S_SIZE = 3'(S_OFF_W);
  localparam logic [2:0] M_SIZE = 3'($clog2(M_STRB_W));
  // FIFO entry widths: AR/AW request, W word (data, strobes, last), R word (id, data, resp,
  // last), B response (id, resp)
  localparam int AX_W = ID_W + ADDR_W + 8 + 3 + 2 + 1 + 4 + 3;
  localparam int W_W = S_DATA_W + S_STRB_W + 1;
  localparam int R_W = ID_W + S_DATA_W + 2 + 1;
  localparam int B_W = ID_W + 2;
  // Outstanding forwarded-burst counters (conversion only)
  localparam int OUT_W = 8;

  localparam logic [1:0] BURST_INCR = 2'b01;
  localparam logic [1:0] RESP_SLVERR = 2'b10;

  // FIFO ports: *_w* on the writing side, *_r* on the reading side
  logic            ar_wvalid, ar_wready, aw_wvalid, aw_wready;
  logic [AX_W-1:0] ar_wdata, ar_rdata, aw_wdata, aw_rdata;
  logic            w_wvalid, w_wready, w_rvalid, w_rready;
  logic [W_W-1:0]  w_wdata, w_rdata;
  logic            r_wvalid, r_wready, r_rvalid, r_rready;
  logic [R_W-1:0]  r_wdata, r_rdata;
  logic            b_rvalid, b_rready;
  logic [B_W-1:0]  b_rdata;

  // FIFO occupancy counts, not needed here
  logic [$clog2(AR_DEPTH):0] unused_ar_wcnt, unused_ar_rcnt;
  logic [$clog2(AW_DEPTH):0] unused_aw_wcnt, unused_aw_rcnt;
  logic [$clog2(W_DEPTH):0]  unused_w_wcnt, unused_w_rcnt;
  logic [$clog2(R_DEPTH):0]  unused_r_wcnt, unused_r_rcnt;
  logic [$clog2(B_DEPTH):0]  unused_b_wcnt, unused_b_rcnt;

  // Request fields as forwarded (len and size converted)
  logic [7:0] ar_len, aw_len;
  logic [2:0] ar_size, aw_size;

  assign ar_len  = CONV ? {s_axi_arlen[6:0], 1'b1} : s_axi_arlen;
  assign aw_len  = CONV ? {s_axi_awlen[6:0], 1'b1} : s_axi_awlen;
  assign ar_size = CONV ? M_SIZE : s_axi_arsize;
  assign aw_size = CONV ? M_SIZE : s_axi_awsize;

  assign ar_wdata = {s_axi_arid, s_axi_araddr, ar_len, ar_size, s_axi_arburst, s_axi_arlock,
                     s_axi_arcache, s_axi_arprot};
  assign aw_wdata = {s_axi_awid, s_axi_awaddr, aw_len, aw_size, s_axi_awburst, s_axi_awlock,
                     s_axi_awcache, s_axi_awprot};
  assign w_wdata  = {s_axi_wdata, s_axi_wstrb, s_axi_wlast};

  // R and B FIFO outputs (slave side)
  logic [ID_W-1:0]     r_rid, b_rid;
  logic [S_DATA_W-1:0] r_rdat;
  logic [1:0]          r_rresp, b_rresp;
  logic                r_rlast;

  assign {r_rid, r_rdat, r_rresp, r_rlast} = r_rdata;
  assign {b_rid, b_rresp} = b_rdata;

  // ---------------------------------------------------------------------------------------------
  // The five crossings

  skipopu_async_fifo #(
    .DATA_W      (AX_W),
    .DEPTH       (AR_DEPTH),
    .SYNC_STAGES (SYNC_STAGES)
  ) u_ar_fifo (
    .clk_wr_i   (s_clk_i),
    .rst_wr_ni  (s_rst_ni),
    .wr_valid_i (ar_wvalid),
    .wr_ready_o (ar_wready),
    .wr_data_i  (ar_wdata),
    .wr_count_o (unused_ar_wcnt),
    .clk_rd_i   (m_clk_i),
    .rst_rd_ni  (m_rst_ni),
    .rd_valid_o (m_axi_arvalid),
    .rd_ready_i (m_axi_arready),
    .rd_data_o  (ar_rdata),
    .rd_count_o (unused_ar_rcnt)
  );

  skipopu_async_fifo #(
    .DATA_W      (AX_W),
    .DEPTH       (AW_DEPTH),
    .SYNC_STAGES (SYNC_STAGES)
  ) u_aw_fifo (
    .clk_wr_i   (s_clk_i),
    .rst_wr_ni  (s_rst_ni),
    .wr_valid_i (aw_wvalid),
    .wr_ready_o (aw_wready),
    .wr_data_i  (aw_wdata),
    .wr_count_o (unused_aw_wcnt),
    .clk_rd_i   (m_clk_i),
    .rst_rd_ni  (m_rst_ni),
    .rd_valid_o (m_axi_awvalid),
    .rd_ready_i (m_axi_awready),
    .rd_data_o  (aw_rdata),
    .rd_count_o (unused_aw_rcnt)
  );

  skipopu_async_fifo #(
    .DATA_W      (W_W),
    .DEPTH       (W_DEPTH),
    .SYNC_STAGES (SYNC_STAGES)
  ) u_w_fifo (
    .clk_wr_i   (s_clk_i),
    .rst_wr_ni  (s_rst_ni),
    .wr_valid_i (w_wvalid),
    .wr_ready_o (w_wready),
    .wr_data_i  (w_wdata),
    .wr_count_o (unused_w_wcnt),
    .clk_rd_i   (m_clk_i),
    .rst_rd_ni  (m_rst_ni),
    .rd_valid_o (w_rvalid),
    .rd_ready_i (w_rready),
    .rd_data_o  (w_rdata),
    .rd_count_o (unused_w_rcnt)
  );

  skipopu_async_fifo #(
    .DATA_W      (R_W),
    .DEPTH       (R_DEPTH),
    .SYNC_STAGES (SYNC_STAGES)
  ) u_r_fifo (
    .clk_wr_i   (m_clk_i),
    .rst_wr_ni  (m_rst_ni),
    .wr_valid_i (r_wvalid),
    .wr_ready_o (r_wready),
    .wr_data_i  (r_wdata),
    .wr_count_o (unused_r_wcnt),
    .clk_rd_i   (s_clk_i),
    .rst_rd_ni  (s_rst_ni),
    .rd_valid_o (r_rvalid),
    .rd_ready_i (r_rready),
    .rd_data_o  (r_rdata),
    .rd_count_o (unused_r_rcnt)
  );

  skipopu_async_fifo #(
    .DATA_W      (B_W),
    .DEPTH       (B_DEPTH),
    .SYNC_STAGES (SYNC_STAGES)
  ) u_b_fifo (
    .clk_wr_i   (m_clk_i),
    .rst_wr_ni  (m_rst_ni),
    .wr_valid_i (m_axi_bvalid),
    .wr_ready_o (m_axi_bready),
    .wr_data_i  ({m_axi_bid, m_axi_bresp}),
    .wr_count_o (unused_b_wcnt),
    .clk_rd_i   (s_clk_i),
    .rst_rd_ni  (s_rst_ni),
    .rd_valid_o (b_rvalid),
    .rd_ready_i (b_rready),
    .rd_data_o  (b_rdata),
    .rd_count_o (unused_b_rcnt)
  );

  assign {m_axi_arid, m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst, m_axi_arlock,
          m_axi_arcache, m_axi_arprot} = ar_rdata;
  assign {m_axi_awid, m_axi_awaddr, m_axi_awlen, m_axi_awsize, m_axi_awburst, m_axi_awlock,
          m_axi_awcache, m_axi_awprot} = aw_rdata;

  if (CONV) begin : gen_conv

    // -------------------------------------------------------------------------------------------
    // Core domain: request checks, outstanding bursts, SLVERR answers to unsupported requests

    // Readies depend on state only, never on the request: a request is taken when the FIFO has
    // room; an unsupported one goes to the error state instead of the FIFO, whose answer starts
    // once every earlier forwarded burst is complete.

    // forwarded read beats (slave words) not yet out: the R beats are counted, not the rlasts
    localparam int RB_W = OUT_W + 7;

    logic             ar_ok, ar_take, ar_err, ar_fwd, r_fwd, rd_room, rerr_on;
    logic [RB_W-1:0]  rd_owed_q, rd_owed_d;
    logic             rerr_q, rerr_d;         // an unsupported read taken and not yet answered
    logic [ID_W-1:0]  rerr_id_q;
    logic [7:0]       rerr_left_q;            // beats after the one on the bus

    assign ar_ok = s_axi_arburst == BURST_INCR && s_axi_arsize == S_SIZE &&
                   s_axi_araddr[S_OFF_W-1:0] == '0 && !s_axi_arlen[7];
    assign rd_room       = rd_owed_q <= RB_W'((1 << RB_W) - 129);   // room for 128 more
    assign s_axi_arready = ar_wready && !rerr_q && rd_room;
    assign ar_take       = s_axi_arvalid && s_axi_arready;
    assign ar_wvalid     = s_axi_arvalid && ar_ok && !rerr_q && rd_room;
    assign ar_fwd        = ar_wvalid && ar_wready;
    assign ar_err        = ar_take && !ar_ok;
    // The answer goes out once no forwarded read is left (none is taken meanwhile)
    assign rerr_on       = rerr_q && rd_owed_q == '0;

    assign s_axi_rvalid = rerr_on || r_rvalid;
    assign s_axi_rid    = rerr_on ? rerr_id_q : r_rid;
    assign s_axi_rdata  = rerr_on ? '0 : r_rdat;
    assign s_axi_rresp  = rerr_on ? RESP_SLVERR : r_rresp;
    assign s_axi_rlast  = rerr_on ? rerr_left_q == '0 : r_rlast;
    assign r_rready     = s_axi_rready && !rerr_on;
    assign r_fwd        = r_rvalid && r_rready;

    // a forwarded request owes len + 1 (<= 128) slave words
    assign rd_owed_d = rd_owed_q + (ar_fwd ? RB_W'(s_axi_arlen) + RB_W'(1) : '0) -
                       RB_W'(r_fwd);
    assign rerr_d   = ar_err || (rerr_q && !(rerr_on && s_axi_rready && rerr_left_q == '0));

    always_ff @(posedge s_clk_i or negedge s_rst_ni) begin
      if (!s_rst_ni) begin
        rd_owed_q   <= '0;
        rerr_q      <= 1'b0;
        rerr_id_q   <= '0;
        rerr_left_q <= '0;
      end else begin
        rd_owed_q <= rd_owed_d;
        rerr_q    <= rerr_d;
        if (ar_err) begin
          rerr_id_q   <= s_axi_arid;
          rerr_left_q <= s_axi_arlen;
        end else if (rerr_on && s_axi_rready) begin
          rerr_left_q <= rerr_left_q - 8'd1;
        end
      end
    end

    logic             aw_ok, aw_idle, aw_take, aw_fwd, aw_err, w_fwd_last, b_fwd;
    logic             wdrop_on, wdrop_last, berr_on;
    logic [OUT_W-1:0] wr_out_q, wr_out_d;     // forwarded writes whose B is not out
    logic [OUT_W-1:0] w_owed_q, w_owed_d;     // forwarded writes whose W beats are not all in
    logic             werr_w_q, werr_w_d;     // unsupported write taken, its W beats not dropped
    logic             werr_b_q, werr_b_d;     // its W beats dropped, B not answered
    logic [ID_W-1:0]  werr_id_q;

    assign aw_ok = s_axi_awburst == BURST_INCR && s_axi_awsize == S_SIZE &&
                   s_axi_awaddr[S_OFF_W-1:0] == '0 && !s_axi_awlen[7];
    assign aw_idle       = !werr_w_q && !werr_b_q;
    assign s_axi_awready = aw_wready && aw_idle && wr_out_q != '1;
    assign aw_take       = s_axi_awvalid && s_axi_awready;
    assign aw_wvalid     = s_axi_awvalid && aw_ok && aw_idle && wr_out_q != '1;
    assign aw_fwd        = aw_wvalid && aw_wready;
    assign aw_err        = aw_take && !aw_ok;

    // W beats belong to the oldest taken AW whose beats are not all in: a forwarded one while
    // w_owed_q != 0 (into the FIFO), else the unsupported one (dropped)
    assign wdrop_on     = werr_w_q && w_owed_q == '0;
    assign wdrop_last   = wdrop_on && s_axi_wvalid && s_axi_wlast;
    assign w_wvalid     = s_axi_wvalid && w_owed_q != '0;
    assign s_axi_wready = wdrop_on || (w_owed_q != '0 && w_wready);
    assign w_fwd_last   = w_wvalid && w_wready && s_axi_wlast;

    // The B answer goes out once no forwarded write is left
    assign berr_on      = werr_b_q && wr_out_q == '0;
    assign s_axi_bvalid = berr_on || b_rvalid;
    assign s_axi_bid    = berr_on ? werr_id_q : b_rid;
    assign s_axi_bresp  = berr_on ? RESP_SLVERR : b_rresp;
    assign b_rready     = s_axi_bready && !berr_on;
    assign b_fwd        = b_rvalid && b_rready;

    assign wr_out_d = wr_out_q + OUT_W'(aw_fwd) - OUT_W'(b_fwd);
    assign w_owed_d = w_owed_q + OUT_W'(aw_fwd) - OUT_W'(w_fwd_last);
    assign werr_w_d = aw_err || (werr_w_q && !wdrop_last);
    assign werr_b_d = wdrop_last || (werr_b_q && !(berr_on && s_axi_bready));

    always_ff @(posedge s_clk_i or negedge s_rst_ni) begin
      if (!s_rst_ni) begin
        wr_out_q  <= '0;
        w_owed_q  <= '0;
        werr_w_q  <= 1'b0;
        werr_b_q  <= 1'b0;
        werr_id_q <= '0;
      end else begin
        wr_out_q <= wr_out_d;
        w_owed_q <= w_owed_d;
        werr_w_q <= werr_w_d;
        werr_b_q <= werr_b_d;
        if (aw_err) begin
          werr_id_q <= s_axi_awid;
        end
      end
    end

    // -------------------------------------------------------------------------------------------
    // HBM domain: W split, R pack

    logic                w_half_q;            // next W beat is the high half
    logic [S_DATA_W-1:0] w_data;
    logic [S_STRB_W-1:0] w_strb;
    logic                w_last;

    assign {w_data, w_strb, w_last} = w_rdata;
    assign m_axi_wvalid = w_rvalid;
    assign m_axi_wdata  = w_half_q ? w_data[S_DATA_W-1:M_DATA_W] : w_data[M_DATA_W-1:0];
    assign m_axi_wstrb  = w_half_q ? w_strb[S_STRB_W-1:M_STRB_W] : w_strb[M_STRB_W-1:0];
    assign m_axi_wlast  = w_half_q && w_last;
    assign w_rready     = m_axi_wready && w_half_q;

    logic                r_half_q;            // the low half is held
    logic [M_DATA_W-1:0] r_lo_data_q;
    logic [1:0]          r_lo_resp_q, r_resp;

    assign m_axi_rready = !r_half_q || r_wready;
    assign r_wvalid     = m_axi_rvalid && r_half_q;
    assign r_resp       = m_axi_rresp > r_lo_resp_q ? m_axi_rresp : r_lo_resp_q;
    assign r_wdata      = {m_axi_rid, m_axi_rdata, r_lo_data_q, r_resp, m_axi_rlast};

    always_ff @(posedge m_clk_i or negedge m_rst_ni) begin
      if (!m_rst_ni) begin
        w_half_q <= 1'b0;
        r_half_q <= 1'b0;
      end else begin
        if (m_axi_wvalid && m_axi_wready) begin
          w_half_q <= !w_half_q;
        end
        if (m_axi_rvalid && m_axi_rready) begin
          r_half_q <= !r_half_q;
        end
      end
    end

    // an rlast on the low half (the burst is even) is a slave error: the pair answers SLVERR
    always_ff @(posedge m_clk_i) begin
      if (m_axi_rvalid && !r_half_q) begin
        r_lo_data_q <= m_axi_rdata;
        r_lo_resp_q <= (m_axi_rlast && !m_axi_rresp[1]) ? RESP_SLVERR : m_axi_rresp;
      end
    end

    // pragma translate_off
    // Simulation-only checks (plain always: Icarus rejects $error in always_ff)
    logic [ID_W-1:0] r_lo_id_q;

    always @(posedge s_clk_i or negedge s_rst_ni) begin
      if (!s_rst_ni) begin
        // nothing to check in reset
      end else begin
        if (s_axi_arvalid && s_axi_arready) begin
          assert (ar_ok)
            else $error("unsupported AR id %0h addr %0h len %0d size %0d burst %0d: SLVERR",
                        s_axi_arid, s_axi_araddr, s_axi_arlen, s_axi_arsize, s_axi_arburst);
        end
        if (s_axi_awvalid && s_axi_awready) begin
          assert (aw_ok)
            else $error("unsupported AW id %0h addr %0h len %0d size %0d burst %0d: SLVERR",
                        s_axi_awid, s_axi_awaddr, s_axi_awlen, s_axi_awsize, s_axi_awburst);
        end
      end
    end

    always @(posedge m_clk_i or negedge m_rst_ni) begin
      if (!m_rst_ni) begin
        r_lo_id_q <= '0;
      end else if (m_axi_rvalid && m_axi_rready) begin
        if (!r_half_q) begin
          r_lo_id_q <= m_axi_rid;
        end else begin
          assert (m_axi_rid == r_lo_id_q) else $error("R beat pair of two IDs");
        end
      end
    end
    // pragma translate_on

  end else begin : gen_plain

    assign ar_wvalid     = s_axi_arvalid;
    assign s_axi_arready = ar_wready;
    assign aw_wvalid     = s_axi_awvalid;
    assign s_axi_awready = aw_wready;
    assign w_wvalid      = s_axi_wvalid;
    assign s_axi_wready  = w_wready;

    assign s_axi_rvalid = r_rvalid;
    assign s_axi_rid    = r_rid;
    assign s_axi_rdata  = r_rdat;
    assign s_axi_rresp  = r_rresp;
    assign s_axi_rlast  = r_rlast;
    assign r_rready     = s_axi_rready;

    assign s_axi_bvalid = b_rvalid;
    assign s_axi_bid    = b_rid;
    assign s_axi_bresp  = b_rresp;
    assign b_rready     = s_axi_bready;

    assign {m_axi_wdata, m_axi_wstrb, m_axi_wlast} = w_rdata;
    assign m_axi_wvalid = w_rvalid;
    assign w_rready     = m_axi_wready;

    assign r_wvalid     = m_axi_rvalid;
    assign m_axi_rready = r_wready;
    assign r_wdata      = {m_axi_rid, m_axi_rdata, m_axi_rresp, m_axi_rlast};

  end

endmodule
