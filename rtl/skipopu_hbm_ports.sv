// The HBM ports at the core's boundary: with HBM_ASYNC, one skipopu_axi_cdc per port (paper 4.1:
// asynchronous chunk FIFOs) from the core side (clk_i, DATA_W bits) to the HBM side (hbm_clk_i,
// DATA_W/2 bits, its reset synchronised here); without, the core-side ports directly (HBM on
// clk_i at DATA_W bits). Ports packed per HBM port (signal[i*W +: W] = HBM port i).

module skipopu_hbm_ports #(
  // Number of HBM ports
  parameter int NUM_HBM = 4,
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI ID width
  parameter int ID_W = 4,
  // Core-side data width in bits
  parameter int DATA_W = 256,
  // 1: HBM ports in their own clock domain at DATA_W/2 bits; 0: on clk_i at DATA_W bits
  parameter int HBM_ASYNC = 1,
  // HBM-side data width (derived, do not override)
  parameter int HBM_W = (HBM_ASYNC != 0) ? DATA_W / 2 : DATA_W
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          hbm_clk_i,
  input  logic                          hbm_rst_ni,
  // core side (AXI slave ports)
  input  logic [NUM_HBM*ID_W-1:0]      s_axi_awid,
  input  logic [NUM_HBM*ADDR_W-1:0]    s_axi_awaddr,
  input  logic [NUM_HBM*8-1:0]         s_axi_awlen,
  input  logic [NUM_HBM*3-1:0]         s_axi_awsize,
  input  logic [NUM_HBM*2-1:0]         s_axi_awburst,
  input  logic [NUM_HBM-1:0]           s_axi_awlock,
  input  logic [NUM_HBM*4-1:0]         s_axi_awcache,
  input  logic [NUM_HBM*3-1:0]         s_axi_awprot,
  input  logic [NUM_HBM-1:0]           s_axi_awvalid,
  output logic [NUM_HBM-1:0]           s_axi_awready,
  input  logic [NUM_HBM*DATA_W-1:0]    s_axi_wdata,
  input  logic [NUM_HBM*DATA_W/8-1:0]  s_axi_wstrb,
  input  logic [NUM_HBM-1:0]           s_axi_wlast,
  input  logic [NUM_HBM-1:0]           s_axi_wvalid,
  output logic [NUM_HBM-1:0]           s_axi_wready,
  output logic [NUM_HBM*ID_W-1:0]      s_axi_bid,
  output logic [NUM_HBM*2-1:0]         s_axi_bresp,
  output logic [NUM_HBM-1:0]           s_axi_bvalid,
  input  logic [NUM_HBM-1:0]           s_axi_bready,
  input  logic [NUM_HBM*ID_W-1:0]      s_axi_arid,
  input  logic [NUM_HBM*ADDR_W-1:0]    s_axi_araddr,
  input  logic [NUM_HBM*8-1:0]         s_axi_arlen,
  input  logic [NUM_HBM*3-1:0]         s_axi_arsize,
  input  logic [NUM_HBM*2-1:0]         s_axi_arburst,
  input  logic [NUM_HBM-1:0]           s_axi_arlock,
  input  logic [NUM_HBM*4-1:0]         s_axi_arcache,
  input  logic [NUM_HBM*3-1:0]         s_axi_arprot,
  input  logic [NUM_HBM-1:0]           s_axi_arvalid,
  output logic [NUM_HBM-1:0]           s_axi_arready,
  output logic [NUM_HBM*ID_W-1:0]      s_axi_rid,
  output logic [NUM_HBM*DATA_W-1:0]    s_axi_rdata,
  output logic [NUM_HBM*2-1:0]         s_axi_rresp,
  output logic [NUM_HBM-1:0]           s_axi_rlast,
  output logic [NUM_HBM-1:0]           s_axi_rvalid,
  input  logic [NUM_HBM-1:0]           s_axi_rready,
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
  output logic [NUM_HBM*HBM_W-1:0]     m_axi_wdata,
  output logic [NUM_HBM*HBM_W/8-1:0]   m_axi_wstrb,
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
  input  logic [NUM_HBM*HBM_W-1:0]     m_axi_rdata,
  input  logic [NUM_HBM*2-1:0]         m_axi_rresp,
  input  logic [NUM_HBM-1:0]           m_axi_rlast,
  input  logic [NUM_HBM-1:0]           m_axi_rvalid,
  output logic [NUM_HBM-1:0]           m_axi_rready
);

  // pragma translate_off
  initial begin : p_params
    if (HBM_ASYNC != 0 && HBM_ASYNC != 1) begin
      $fatal(1, "skipopu_hbm_ports: HBM_ASYNC=%0d not 0 or 1", HBM_ASYNC);
    end
    if (HBM_W != ((HBM_ASYNC != 0) ? DATA_W / 2 : DATA_W)) begin
      $fatal(1, "skipopu_hbm_ports: HBM_W=%0d is derived, do not override", HBM_W);
    end
  end
  // pragma translate_on

  if (HBM_ASYNC != 0) begin : g_hbm_cdc
    logic hbm_rst_n;
    // Deassert the HBM-domain reset synchronously to hbm_clk_i; the core domain keeps rst_ni
    skipopu_rst_sync u_hbm_rst (.clk_i(hbm_clk_i), .rst_ni(hbm_rst_ni), .rst_no(hbm_rst_n));
    for (genvar i = 0; i < NUM_HBM; i++) begin : g_port
      skipopu_axi_cdc #(
        .ADDR_W  (ADDR_W),
        .ID_W    (ID_W),
        .S_DATA_W(DATA_W),
        .M_DATA_W(HBM_W)
      ) u_cdc (
        .s_clk_i (clk_i),
        .s_rst_ni(rst_ni),
        .m_clk_i (hbm_clk_i),
        .m_rst_ni(hbm_rst_n),
        .s_axi_awid(s_axi_awid[i*ID_W +: ID_W]),
        .s_axi_awaddr(s_axi_awaddr[i*ADDR_W +: ADDR_W]),
        .s_axi_awlen(s_axi_awlen[i*8 +: 8]),
        .s_axi_awsize(s_axi_awsize[i*3 +: 3]),
        .s_axi_awburst(s_axi_awburst[i*2 +: 2]),
        .s_axi_awlock(s_axi_awlock[i]),
        .s_axi_awcache(s_axi_awcache[i*4 +: 4]),
        .s_axi_awprot(s_axi_awprot[i*3 +: 3]),
        .s_axi_awvalid(s_axi_awvalid[i]),
        .s_axi_awready(s_axi_awready[i]),
        .s_axi_wdata(s_axi_wdata[i*DATA_W +: DATA_W]),
        .s_axi_wstrb(s_axi_wstrb[i*DATA_W/8 +: DATA_W/8]),
        .s_axi_wlast(s_axi_wlast[i]),
        .s_axi_wvalid(s_axi_wvalid[i]),
        .s_axi_wready(s_axi_wready[i]),
        .s_axi_bid(s_axi_bid[i*ID_W +: ID_W]),
        .s_axi_bresp(s_axi_bresp[i*2 +: 2]),
        .s_axi_bvalid(s_axi_bvalid[i]),
        .s_axi_bready(s_axi_bready[i]),
        .s_axi_arid(s_axi_arid[i*ID_W +: ID_W]),
        .s_axi_araddr(s_axi_araddr[i*ADDR_W +: ADDR_W]),
        .s_axi_arlen(s_axi_arlen[i*8 +: 8]),
        .s_axi_arsize(s_axi_arsize[i*3 +: 3]),
        .s_axi_arburst(s_axi_arburst[i*2 +: 2]),
        .s_axi_arlock(s_axi_arlock[i]),
        .s_axi_arcache(s_axi_arcache[i*4 +: 4]),
        .s_axi_arprot(s_axi_arprot[i*3 +: 3]),
        .s_axi_arvalid(s_axi_arvalid[i]),
        .s_axi_arready(s_axi_arready[i]),
        .s_axi_rid(s_axi_rid[i*ID_W +: ID_W]),
        .s_axi_rdata(s_axi_rdata[i*DATA_W +: DATA_W]),
        .s_axi_rresp(s_axi_rresp[i*2 +: 2]),
        .s_axi_rlast(s_axi_rlast[i]),
        .s_axi_rvalid(s_axi_rvalid[i]),
        .s_axi_rready(s_axi_rready[i]),
        .m_axi_awid(m_axi_awid[i*(ID_W) +: ID_W]),
        .m_axi_awaddr(m_axi_awaddr[i*(ADDR_W) +: ADDR_W]),
        .m_axi_awlen(m_axi_awlen[i*(8) +: 8]),
        .m_axi_awsize(m_axi_awsize[i*(3) +: 3]),
        .m_axi_awburst(m_axi_awburst[i*(2) +: 2]),
        .m_axi_awlock(m_axi_awlock[i]),
        .m_axi_awcache(m_axi_awcache[i*(4) +: 4]),
        .m_axi_awprot(m_axi_awprot[i*(3) +: 3]),
        .m_axi_awvalid(m_axi_awvalid[i]),
        .m_axi_awready(m_axi_awready[i]),
        .m_axi_wdata(m_axi_wdata[i*(HBM_W) +: HBM_W]),
        .m_axi_wstrb(m_axi_wstrb[i*(HBM_W/8) +: HBM_W/8]),
        .m_axi_wlast(m_axi_wlast[i]),
        .m_axi_wvalid(m_axi_wvalid[i]),
        .m_axi_wready(m_axi_wready[i]),
        .m_axi_bid(m_axi_bid[i*(ID_W) +: ID_W]),
        .m_axi_bresp(m_axi_bresp[i*(2) +: 2]),
        .m_axi_bvalid(m_axi_bvalid[i]),
        .m_axi_bready(m_axi_bready[i]),
        .m_axi_arid(m_axi_arid[i*(ID_W) +: ID_W]),
        .m_axi_araddr(m_axi_araddr[i*(ADDR_W) +: ADDR_W]),
        .m_axi_arlen(m_axi_arlen[i*(8) +: 8]),
        .m_axi_arsize(m_axi_arsize[i*(3) +: 3]),
        .m_axi_arburst(m_axi_arburst[i*(2) +: 2]),
        .m_axi_arlock(m_axi_arlock[i]),
        .m_axi_arcache(m_axi_arcache[i*(4) +: 4]),
        .m_axi_arprot(m_axi_arprot[i*(3) +: 3]),
        .m_axi_arvalid(m_axi_arvalid[i]),
        .m_axi_arready(m_axi_arready[i]),
        .m_axi_rid(m_axi_rid[i*(ID_W) +: ID_W]),
        .m_axi_rdata(m_axi_rdata[i*(HBM_W) +: HBM_W]),
        .m_axi_rresp(m_axi_rresp[i*(2) +: 2]),
        .m_axi_rlast(m_axi_rlast[i]),
        .m_axi_rvalid(m_axi_rvalid[i]),
        .m_axi_rready(m_axi_rready[i])
      );
    end
  end else begin : g_hbm_sync
    assign m_axi_awid = s_axi_awid;
    assign m_axi_awaddr = s_axi_awaddr;
    assign m_axi_awlen = s_axi_awlen;
    assign m_axi_awsize = s_axi_awsize;
    assign m_axi_awburst = s_axi_awburst;
    assign m_axi_awlock = s_axi_awlock;
    assign m_axi_awcache = s_axi_awcache;
    assign m_axi_awprot = s_axi_awprot;
    assign m_axi_awvalid = s_axi_awvalid;
    assign s_axi_awready = m_axi_awready;
    assign m_axi_wdata = s_axi_wdata;
    assign m_axi_wstrb = s_axi_wstrb;
    assign m_axi_wlast = s_axi_wlast;
    assign m_axi_wvalid = s_axi_wvalid;
    assign s_axi_wready = m_axi_wready;
    assign s_axi_bid = m_axi_bid;
    assign s_axi_bresp = m_axi_bresp;
    assign s_axi_bvalid = m_axi_bvalid;
    assign m_axi_bready = s_axi_bready;
    assign m_axi_arid = s_axi_arid;
    assign m_axi_araddr = s_axi_araddr;
    assign m_axi_arlen = s_axi_arlen;
    assign m_axi_arsize = s_axi_arsize;
    assign m_axi_arburst = s_axi_arburst;
    assign m_axi_arlock = s_axi_arlock;
    assign m_axi_arcache = s_axi_arcache;
    assign m_axi_arprot = s_axi_arprot;
    assign m_axi_arvalid = s_axi_arvalid;
    assign s_axi_arready = m_axi_arready;
    assign s_axi_rid = m_axi_rid;
    assign s_axi_rdata = m_axi_rdata;
    assign s_axi_rresp = m_axi_rresp;
    assign s_axi_rlast = m_axi_rlast;
    assign s_axi_rvalid = m_axi_rvalid;
    assign m_axi_rready = s_axi_rready;
    // the HBM clock and reset are not used: the HBM ports run on clk_i (the core side)
    logic unused_clk;
    assign unused_clk = ^{hbm_clk_i, hbm_rst_ni, clk_i, rst_ni};
  end

endmodule
