// HBM read arbitration (docs/weights.md "Read arbiter", docs/kv.md "Core integration"): the AR
// and R channels of every HBM port are shared by three read masters through one
// skipopu_axi_rd_arb per port: 0 the KV read unit (skipopu_kvx; ports 0..KV_PORTS-1 only),
// 1 the DMA's read engine (LOAD), 2 the weight access unit (skipopu_wstream). Fixed priority,
// KV first (the attention of the current layer waits for it), the weight stream last (it reads
// ahead into its prefetch buffer); the wait limit keeps every master from starving. The port's
// ARID is {master, master's ID}; R beats return by RID. AW, W and B are the DMA's. The KV unit's
// R beats are reported per port (kv_rd_beat_o) for the DMA's read byte counters.
// All ports DATA_W bits on clk_i, packed per port (signal[i*W +: W] = HBM port i).

module skipopu_hbm_rd_mux #(
  // Number of HBM ports
  parameter int NUM_HBM = 4,
  // HBM ports 0..KV_PORTS-1 are shared with the KV read unit (1 <= KV_PORTS <= NUM_HBM)
  parameter int KV_PORTS = 4,
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI ID width
  parameter int ID_W = 4,
  // AXI data width
  parameter int DATA_W = 256
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  output logic [NUM_HBM-1:0]            kv_rd_beat_o, // an R beat of the KV unit, per port

  // DMA side (AXI slave ports of the mux), all channels
  input  logic [NUM_HBM*ID_W-1:0]      s_dma_awid,
  input  logic [NUM_HBM*ADDR_W-1:0]    s_dma_awaddr,
  input  logic [NUM_HBM*8-1:0]         s_dma_awlen,
  input  logic [NUM_HBM*3-1:0]         s_dma_awsize,
  input  logic [NUM_HBM*2-1:0]         s_dma_awburst,
  input  logic [NUM_HBM-1:0]           s_dma_awlock,
  input  logic [NUM_HBM*4-1:0]         s_dma_awcache,
  input  logic [NUM_HBM*3-1:0]         s_dma_awprot,
  input  logic [NUM_HBM-1:0]           s_dma_awvalid,
  output logic [NUM_HBM-1:0]           s_dma_awready,
  input  logic [NUM_HBM*DATA_W-1:0]    s_dma_wdata,
  input  logic [NUM_HBM*DATA_W/8-1:0]  s_dma_wstrb,
  input  logic [NUM_HBM-1:0]           s_dma_wlast,
  input  logic [NUM_HBM-1:0]           s_dma_wvalid,
  output logic [NUM_HBM-1:0]           s_dma_wready,
  output logic [NUM_HBM*ID_W-1:0]      s_dma_bid,
  output logic [NUM_HBM*2-1:0]         s_dma_bresp,
  output logic [NUM_HBM-1:0]           s_dma_bvalid,
  input  logic [NUM_HBM-1:0]           s_dma_bready,
  input  logic [NUM_HBM*ID_W-1:0]      s_dma_arid,
  input  logic [NUM_HBM*ADDR_W-1:0]    s_dma_araddr,
  input  logic [NUM_HBM*8-1:0]         s_dma_arlen,
  input  logic [NUM_HBM*3-1:0]         s_dma_arsize,
  input  logic [NUM_HBM*2-1:0]         s_dma_arburst,
  input  logic [NUM_HBM-1:0]           s_dma_arlock,
  input  logic [NUM_HBM*4-1:0]         s_dma_arcache,
  input  logic [NUM_HBM*3-1:0]         s_dma_arprot,
  input  logic [NUM_HBM-1:0]           s_dma_arvalid,
  output logic [NUM_HBM-1:0]           s_dma_arready,
  output logic [NUM_HBM*ID_W-1:0]      s_dma_rid,
  output logic [NUM_HBM*DATA_W-1:0]    s_dma_rdata,
  output logic [NUM_HBM*2-1:0]         s_dma_rresp,
  output logic [NUM_HBM-1:0]           s_dma_rlast,
  output logic [NUM_HBM-1:0]           s_dma_rvalid,
  input  logic [NUM_HBM-1:0]           s_dma_rready,
  // KV read unit side: AR and R of ports 0..KV_PORTS-1
  input  logic [KV_PORTS*ID_W-1:0]     s_kv_arid,
  input  logic [KV_PORTS*ADDR_W-1:0]   s_kv_araddr,
  input  logic [KV_PORTS*8-1:0]        s_kv_arlen,
  input  logic [KV_PORTS*3-1:0]        s_kv_arsize,
  input  logic [KV_PORTS*2-1:0]        s_kv_arburst,
  input  logic [KV_PORTS-1:0]          s_kv_arlock,
  input  logic [KV_PORTS*4-1:0]        s_kv_arcache,
  input  logic [KV_PORTS*3-1:0]        s_kv_arprot,
  input  logic [KV_PORTS-1:0]          s_kv_arvalid,
  output logic [KV_PORTS-1:0]          s_kv_arready,
  output logic [KV_PORTS*ID_W-1:0]     s_kv_rid,
  output logic [KV_PORTS*DATA_W-1:0]   s_kv_rdata,
  output logic [KV_PORTS*2-1:0]        s_kv_rresp,
  output logic [KV_PORTS-1:0]          s_kv_rlast,
  output logic [KV_PORTS-1:0]          s_kv_rvalid,
  input  logic [KV_PORTS-1:0]          s_kv_rready,
  // Weight access unit side: AR and R of every port
  input  logic [NUM_HBM*ID_W-1:0]      s_ws_arid,
  input  logic [NUM_HBM*ADDR_W-1:0]    s_ws_araddr,
  input  logic [NUM_HBM*8-1:0]         s_ws_arlen,
  input  logic [NUM_HBM*3-1:0]         s_ws_arsize,
  input  logic [NUM_HBM*2-1:0]         s_ws_arburst,
  input  logic [NUM_HBM-1:0]           s_ws_arlock,
  input  logic [NUM_HBM*4-1:0]         s_ws_arcache,
  input  logic [NUM_HBM*3-1:0]         s_ws_arprot,
  input  logic [NUM_HBM-1:0]           s_ws_arvalid,
  output logic [NUM_HBM-1:0]           s_ws_arready,
  output logic [NUM_HBM*ID_W-1:0]      s_ws_rid,
  output logic [NUM_HBM*DATA_W-1:0]    s_ws_rdata,
  output logic [NUM_HBM*2-1:0]         s_ws_rresp,
  output logic [NUM_HBM-1:0]           s_ws_rlast,
  output logic [NUM_HBM-1:0]           s_ws_rvalid,
  input  logic [NUM_HBM-1:0]           s_ws_rready,
  // HBM side (AXI master ports)
  output logic [NUM_HBM*ID_W-1:0]      m_axi_awid,
  output logic [NUM_HBM*ADDR_W-1:0]    m_axi_awaddr,
  output logic [NUM_HBM*8-1:0]         m_axi_awlen,
  output logic [NUM_HBM*3-1:0]         m_axi_awsize,
  output logic [NUM_HBM*2-1:0]         m_axi_awburst,
  output logic [NUM_HBM-1:0]           m_axi_awlock,
  output logic [NUM_HBM*4-1:0]         m_axi_awcache,
  output logic [NUM_HBM*3-1:0]         m_axi_awprot,
  output logic [NUM_HBM-1:0]           m_axi_awvalid,
  input  logic [NUM_HBM-1:0]           m_axi_awready,
  output logic [NUM_HBM*DATA_W-1:0]    m_axi_wdata,
  output logic [NUM_HBM*DATA_W/8-1:0]  m_axi_wstrb,
  output logic [NUM_HBM-1:0]           m_axi_wlast,
  output logic [NUM_HBM-1:0]           m_axi_wvalid,
  input  logic [NUM_HBM-1:0]           m_axi_wready,
  input  logic [NUM_HBM*ID_W-1:0]      m_axi_bid,
  input  logic [NUM_HBM*2-1:0]         m_axi_bresp,
  input  logic [NUM_HBM-1:0]           m_axi_bvalid,
  output logic [NUM_HBM-1:0]           m_axi_bready,
  output logic [NUM_HBM*ID_W-1:0]      m_axi_arid,
  output logic [NUM_HBM*ADDR_W-1:0]    m_axi_araddr,
  output logic [NUM_HBM*8-1:0]         m_axi_arlen,
  output logic [NUM_HBM*3-1:0]         m_axi_arsize,
  output logic [NUM_HBM*2-1:0]         m_axi_arburst,
  output logic [NUM_HBM-1:0]           m_axi_arlock,
  output logic [NUM_HBM*4-1:0]         m_axi_arcache,
  output logic [NUM_HBM*3-1:0]         m_axi_arprot,
  output logic [NUM_HBM-1:0]           m_axi_arvalid,
  input  logic [NUM_HBM-1:0]           m_axi_arready,
  input  logic [NUM_HBM*ID_W-1:0]      m_axi_rid,
  input  logic [NUM_HBM*DATA_W-1:0]    m_axi_rdata,
  input  logic [NUM_HBM*2-1:0]         m_axi_rresp,
  input  logic [NUM_HBM-1:0]           m_axi_rlast,
  input  logic [NUM_HBM-1:0]           m_axi_rvalid,
  output logic [NUM_HBM-1:0]           m_axi_rready
);

  // masters per port, ID bits each master keeps (the rest of the port's ID names the master)
  localparam int NMast = 3;
  localparam int SIdW = ID_W - 2;

  // pragma translate_off
  initial begin : p_params
    if (KV_PORTS < 1 || KV_PORTS > NUM_HBM) begin
      $fatal(1, "skipopu_hbm_rd_mux: KV_PORTS=%0d not in 1..NUM_HBM=%0d", KV_PORTS, NUM_HBM);
    end
    if (ID_W < 3) begin
      $fatal(1, "skipopu_hbm_rd_mux: ID_W=%0d must be >= 3 (2 bits name the master)", ID_W);
    end
  end
  // pragma translate_on

  // AW, W, B: the DMA's
  assign m_axi_awid = s_dma_awid;
  assign m_axi_awaddr = s_dma_awaddr;
  assign m_axi_awlen = s_dma_awlen;
  assign m_axi_awsize = s_dma_awsize;
  assign m_axi_awburst = s_dma_awburst;
  assign m_axi_awlock = s_dma_awlock;
  assign m_axi_awcache = s_dma_awcache;
  assign m_axi_awprot = s_dma_awprot;
  assign m_axi_awvalid = s_dma_awvalid;
  assign s_dma_awready = m_axi_awready;
  assign m_axi_wdata = s_dma_wdata;
  assign m_axi_wstrb = s_dma_wstrb;
  assign m_axi_wlast = s_dma_wlast;
  assign m_axi_wvalid = s_dma_wvalid;
  assign s_dma_wready = m_axi_wready;
  assign s_dma_bid = m_axi_bid;
  assign s_dma_bresp = m_axi_bresp;
  assign s_dma_bvalid = m_axi_bvalid;
  assign m_axi_bready = s_dma_bready;

  // AR, R: one arbiter per port; masters 0 KV (none above KV_PORTS), 1 DMA, 2 weights
  for (genvar i = 0; i < NUM_HBM; i++) begin : g_port
    logic [NMast*SIdW-1:0]   a_arid, a_rid;
    logic [NMast*ADDR_W-1:0] a_araddr;
    logic [NMast*8-1:0]      a_arlen;
    logic [NMast*3-1:0]      a_arsize, a_arprot;
    logic [NMast*2-1:0]      a_arburst, a_rresp;
    logic [NMast-1:0]        a_arlock, a_arvalid, a_arready, a_rlast, a_rvalid, a_rready;
    logic [NMast*4-1:0]      a_arcache;
    logic [NMast*DATA_W-1:0] a_rdata;
    logic                    kv_arvalid, kv_rready;

    if (i < KV_PORTS) begin : g_kv
      assign a_arid[0 +: SIdW]       = s_kv_arid[i*ID_W +: SIdW];
      assign a_araddr[0 +: ADDR_W]   = s_kv_araddr[i*ADDR_W +: ADDR_W];
      assign a_arlen[0 +: 8]         = s_kv_arlen[i*8 +: 8];
      assign a_arsize[0 +: 3]        = s_kv_arsize[i*3 +: 3];
      assign a_arburst[0 +: 2]       = s_kv_arburst[i*2 +: 2];
      assign a_arlock[0]             = s_kv_arlock[i];
      assign a_arcache[0 +: 4]       = s_kv_arcache[i*4 +: 4];
      assign a_arprot[0 +: 3]        = s_kv_arprot[i*3 +: 3];
      assign kv_arvalid              = s_kv_arvalid[i];
      assign kv_rready               = s_kv_rready[i];
      assign s_kv_arready[i]         = a_arready[0];
      assign s_kv_rid[i*ID_W +: ID_W] = ID_W'(a_rid[0 +: SIdW]);
      assign s_kv_rdata[i*DATA_W +: DATA_W] = a_rdata[0 +: DATA_W];
      assign s_kv_rresp[i*2 +: 2]    = a_rresp[0 +: 2];
      assign s_kv_rlast[i]           = a_rlast[0];
      assign s_kv_rvalid[i]          = a_rvalid[0];
    end else begin : g_nokv
      assign a_arid[0 +: SIdW]       = '0;
      assign a_araddr[0 +: ADDR_W]   = '0;
      assign a_arlen[0 +: 8]         = '0;
      assign a_arsize[0 +: 3]        = '0;
      assign a_arburst[0 +: 2]       = '0;
      assign a_arlock[0]             = 1'b0;
      assign a_arcache[0 +: 4]       = '0;
      assign a_arprot[0 +: 3]        = '0;
      assign kv_arvalid              = 1'b0;
      assign kv_rready               = 1'b1;
      // no KV unit on this port (KV_PORTS < NUM_HBM): master 0's AR ready and R never used
      logic unused_kv;
      assign unused_kv = ^{a_arready[0], a_rid[0 +: SIdW], a_rdata[0 +: DATA_W], a_rresp[0 +: 2],
                           a_rlast[0]};
    end
    assign a_arvalid[0] = kv_arvalid;
    assign a_rready[0]  = kv_rready;
    assign kv_rd_beat_o[i] = a_rvalid[0] && a_rready[0];

    assign a_arid[SIdW +: SIdW]         = s_dma_arid[i*ID_W +: SIdW];
    assign a_araddr[ADDR_W +: ADDR_W]   = s_dma_araddr[i*ADDR_W +: ADDR_W];
    assign a_arlen[8 +: 8]              = s_dma_arlen[i*8 +: 8];
    assign a_arsize[3 +: 3]             = s_dma_arsize[i*3 +: 3];
    assign a_arburst[2 +: 2]            = s_dma_arburst[i*2 +: 2];
    assign a_arlock[1]                  = s_dma_arlock[i];
    assign a_arcache[4 +: 4]            = s_dma_arcache[i*4 +: 4];
    assign a_arprot[3 +: 3]             = s_dma_arprot[i*3 +: 3];
    assign a_arvalid[1]                 = s_dma_arvalid[i];
    assign a_rready[1]                  = s_dma_rready[i];
    assign s_dma_arready[i]             = a_arready[1];
    assign s_dma_rid[i*ID_W +: ID_W]    = ID_W'(a_rid[SIdW +: SIdW]);
    assign s_dma_rdata[i*DATA_W +: DATA_W] = a_rdata[DATA_W +: DATA_W];
    assign s_dma_rresp[i*2 +: 2]        = a_rresp[2 +: 2];
    assign s_dma_rlast[i]               = a_rlast[1];
    assign s_dma_rvalid[i]              = a_rvalid[1];

    assign a_arid[2*SIdW +: SIdW]       = s_ws_arid[i*ID_W +: SIdW];
    assign a_araddr[2*ADDR_W +: ADDR_W] = s_ws_araddr[i*ADDR_W +: ADDR_W];
    assign a_arlen[16 +: 8]             = s_ws_arlen[i*8 +: 8];
    assign a_arsize[6 +: 3]             = s_ws_arsize[i*3 +: 3];
    assign a_arburst[4 +: 2]            = s_ws_arburst[i*2 +: 2];
    assign a_arlock[2]                  = s_ws_arlock[i];
    assign a_arcache[8 +: 4]            = s_ws_arcache[i*4 +: 4];
    assign a_arprot[6 +: 3]             = s_ws_arprot[i*3 +: 3];
    assign a_arvalid[2]                 = s_ws_arvalid[i];
    assign a_rready[2]                  = s_ws_rready[i];
    assign s_ws_arready[i]              = a_arready[2];
    assign s_ws_rid[i*ID_W +: ID_W]     = ID_W'(a_rid[2*SIdW +: SIdW]);
    assign s_ws_rdata[i*DATA_W +: DATA_W] = a_rdata[2*DATA_W +: DATA_W];
    assign s_ws_rresp[i*2 +: 2]         = a_rresp[4 +: 2];
    assign s_ws_rlast[i]                = a_rlast[2];
    assign s_ws_rvalid[i]               = a_rvalid[2];

    skipopu_axi_rd_arb #(
      .NMAST (NMast),
      .ADDR_W(ADDR_W),
      .DATA_W(DATA_W),
      .S_ID_W(SIdW),
      .M_ID_W(ID_W),
      .ARB_RR(0)
    ) u_arb (
      .clk_i,
      .rst_ni,
      .s_axi_arid   (a_arid),
      .s_axi_araddr (a_araddr),
      .s_axi_arlen  (a_arlen),
      .s_axi_arsize (a_arsize),
      .s_axi_arburst(a_arburst),
      .s_axi_arlock (a_arlock),
      .s_axi_arcache(a_arcache),
      .s_axi_arprot (a_arprot),
      .s_axi_arvalid(a_arvalid),
      .s_axi_arready(a_arready),
      .s_axi_rid    (a_rid),
      .s_axi_rdata  (a_rdata),
      .s_axi_rresp  (a_rresp),
      .s_axi_rlast  (a_rlast),
      .s_axi_rvalid (a_rvalid),
      .s_axi_rready (a_rready),
      .m_axi_arid   (m_axi_arid[i*ID_W +: ID_W]),
      .m_axi_araddr (m_axi_araddr[i*ADDR_W +: ADDR_W]),
      .m_axi_arlen  (m_axi_arlen[i*8 +: 8]),
      .m_axi_arsize (m_axi_arsize[i*3 +: 3]),
      .m_axi_arburst(m_axi_arburst[i*2 +: 2]),
      .m_axi_arlock (m_axi_arlock[i]),
      .m_axi_arcache(m_axi_arcache[i*4 +: 4]),
      .m_axi_arprot (m_axi_arprot[i*3 +: 3]),
      .m_axi_arvalid(m_axi_arvalid[i]),
      .m_axi_arready(m_axi_arready[i]),
      .m_axi_rid    (m_axi_rid[i*ID_W +: ID_W]),
      .m_axi_rdata  (m_axi_rdata[i*DATA_W +: DATA_W]),
      .m_axi_rresp  (m_axi_rresp[i*2 +: 2]),
      .m_axi_rlast  (m_axi_rlast[i]),
      .m_axi_rvalid (m_axi_rvalid[i]),
      .m_axi_rready (m_axi_rready[i])
    );
  end

  // the masters keep only the low SIdW bits of their ARIDs (the project's masters use ID 0)
  logic unused_ids;
  assign unused_ids = ^{s_kv_arid, s_dma_arid, s_ws_arid};

endmodule
