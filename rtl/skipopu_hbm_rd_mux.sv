// HBM read mux (docs/kv.md "Core integration"): the AR and R channels of HBM ports
// 0..KV_PORTS-1 belong to the KV read unit (skipopu_kvx) while kv_own_i, else to the DMA; the
// other ports and the AW, W and B channels are the DMA's. R data, ID, response and last go to
// both masters, valid and ready are gated. The KV unit switches ownership only while the DMA is
// idle; its R beats are reported per port (kv_rd_beat_o) for the DMA's read byte counters.
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
  input  logic                          kv_own_i,     // the KV unit owns AR/R of its ports
  input  logic                          dma_idle_i,   // (simulation check only)
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

  // pragma translate_off
  initial begin : p_params
    if (KV_PORTS < 1 || KV_PORTS > NUM_HBM) begin
      $fatal(1, "skipopu_hbm_rd_mux: KV_PORTS=%0d not in 1..NUM_HBM=%0d", KV_PORTS, NUM_HBM);
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else begin
      assert (!(kv_own_i && !dma_idle_i))
        else $error("DMA busy while the KV read unit owns the HBM read channels");
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

  // AR, R: shared on the KV ports, the DMA's on the others
  for (genvar i = 0; i < NUM_HBM; i++) begin : g_port
    if (i < KV_PORTS) begin : g_kv
      assign m_axi_arid[i*ID_W +: ID_W] = kv_own_i ? s_kv_arid[i*ID_W +: ID_W] :
                                             s_dma_arid[i*ID_W +: ID_W];
      assign m_axi_araddr[i*ADDR_W +: ADDR_W] = kv_own_i ? s_kv_araddr[i*ADDR_W +: ADDR_W] :
                                                   s_dma_araddr[i*ADDR_W +: ADDR_W];
      assign m_axi_arlen[i*8 +: 8] = kv_own_i ? s_kv_arlen[i*8 +: 8] :
                                        s_dma_arlen[i*8 +: 8];
      assign m_axi_arsize[i*3 +: 3] = kv_own_i ? s_kv_arsize[i*3 +: 3] :
                                         s_dma_arsize[i*3 +: 3];
      assign m_axi_arburst[i*2 +: 2] = kv_own_i ? s_kv_arburst[i*2 +: 2] :
                                          s_dma_arburst[i*2 +: 2];
      assign m_axi_arlock[i] = kv_own_i ? s_kv_arlock[i] : s_dma_arlock[i];
      assign m_axi_arcache[i*4 +: 4] = kv_own_i ? s_kv_arcache[i*4 +: 4] :
                                          s_dma_arcache[i*4 +: 4];
      assign m_axi_arprot[i*3 +: 3] = kv_own_i ? s_kv_arprot[i*3 +: 3] :
                                         s_dma_arprot[i*3 +: 3];
      assign m_axi_arvalid[i] = kv_own_i ? s_kv_arvalid[i] : s_dma_arvalid[i];
      assign m_axi_rready[i]  = kv_own_i ? s_kv_rready[i] : s_dma_rready[i];
      assign s_dma_arready[i] = !kv_own_i && m_axi_arready[i];
      assign s_dma_rvalid[i]  = !kv_own_i && m_axi_rvalid[i];
      assign s_kv_arready[i]  = kv_own_i && m_axi_arready[i];
      assign s_kv_rvalid[i]   = kv_own_i && m_axi_rvalid[i];
      assign kv_rd_beat_o[i]  = kv_own_i && m_axi_rvalid[i] && m_axi_rready[i];
      assign s_kv_rid[i*ID_W +: ID_W] = m_axi_rid[i*ID_W +: ID_W];
      assign s_kv_rdata[i*DATA_W +: DATA_W] = m_axi_rdata[i*DATA_W +: DATA_W];
      assign s_kv_rresp[i*2 +: 2] = m_axi_rresp[i*2 +: 2];
      assign s_kv_rlast[i] = m_axi_rlast[i];
    end else begin : g_dma
      assign m_axi_arid[i*ID_W +: ID_W] = s_dma_arid[i*ID_W +: ID_W];
      assign m_axi_araddr[i*ADDR_W +: ADDR_W] = s_dma_araddr[i*ADDR_W +: ADDR_W];
      assign m_axi_arlen[i*8 +: 8] = s_dma_arlen[i*8 +: 8];
      assign m_axi_arsize[i*3 +: 3] = s_dma_arsize[i*3 +: 3];
      assign m_axi_arburst[i*2 +: 2] = s_dma_arburst[i*2 +: 2];
      assign m_axi_arlock[i] = s_dma_arlock[i];
      assign m_axi_arcache[i*4 +: 4] = s_dma_arcache[i*4 +: 4];
      assign m_axi_arprot[i*3 +: 3] = s_dma_arprot[i*3 +: 3];
      assign m_axi_arvalid[i] = s_dma_arvalid[i];
      assign m_axi_rready[i] = s_dma_rready[i];
      assign s_dma_arready[i] = m_axi_arready[i];
      assign s_dma_rvalid[i]  = m_axi_rvalid[i];
      assign kv_rd_beat_o[i]  = 1'b0;
    end
    assign s_dma_rid[i*ID_W +: ID_W] = m_axi_rid[i*ID_W +: ID_W];
    assign s_dma_rdata[i*DATA_W +: DATA_W] = m_axi_rdata[i*DATA_W +: DATA_W];
    assign s_dma_rresp[i*2 +: 2] = m_axi_rresp[i*2 +: 2];
    assign s_dma_rlast[i] = m_axi_rlast[i];
  end

endmodule
