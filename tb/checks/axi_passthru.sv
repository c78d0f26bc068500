// Testbench-only module (not part of the design): an AXI4 bus passed straight through, d_* in,
// m_axi_* out, so that tb/checks/tb_axi_monitor.py can drive any sequence, legal or not, onto a
// bus watched by tb/axi_monitor.py (every AXI4 signal the core's ports have).
module tb_axi_passthru #(
  // AXI ID width
  parameter int ID_W = 4,
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI data width in bits
  parameter int DATA_W = 128
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic [ID_W-1:0]     d_awid,
  input  logic [ADDR_W-1:0]   d_awaddr,
  input  logic [7:0]          d_awlen,
  input  logic [2:0]          d_awsize,
  input  logic [1:0]          d_awburst,
  input  logic                d_awvalid,
  input  logic                d_awready,
  input  logic [DATA_W-1:0]   d_wdata,
  input  logic [DATA_W/8-1:0] d_wstrb,
  input  logic                d_wlast,
  input  logic                d_wvalid,
  input  logic                d_wready,
  input  logic [ID_W-1:0]     d_bid,
  input  logic [1:0]          d_bresp,
  input  logic                d_bvalid,
  input  logic                d_bready,
  input  logic [ID_W-1:0]     d_arid,
  input  logic [ADDR_W-1:0]   d_araddr,
  input  logic [7:0]          d_arlen,
  input  logic [2:0]          d_arsize,
  input  logic [1:0]          d_arburst,
  input  logic                d_arvalid,
  input  logic                d_arready,
  input  logic [ID_W-1:0]     d_rid,
  input  logic [DATA_W-1:0]   d_rdata,
  input  logic [1:0]          d_rresp,
  input  logic                d_rlast,
  input  logic                d_rvalid,
  input  logic                d_rready,
  output logic [ID_W-1:0]     m_axi_awid,
  output logic [ADDR_W-1:0]   m_axi_awaddr,
  output logic [7:0]          m_axi_awlen,
  output logic [2:0]          m_axi_awsize,
  output logic [1:0]          m_axi_awburst,
  output logic                m_axi_awvalid,
  output logic                m_axi_awready,
  output logic [DATA_W-1:0]   m_axi_wdata,
  output logic [DATA_W/8-1:0] m_axi_wstrb,
  output logic                m_axi_wlast,
  output logic                m_axi_wvalid,
  output logic                m_axi_wready,
  output logic [ID_W-1:0]     m_axi_bid,
  output logic [1:0]          m_axi_bresp,
  output logic                m_axi_bvalid,
  output logic                m_axi_bready,
  output logic [ID_W-1:0]     m_axi_arid,
  output logic [ADDR_W-1:0]   m_axi_araddr,
  output logic [7:0]          m_axi_arlen,
  output logic [2:0]          m_axi_arsize,
  output logic [1:0]          m_axi_arburst,
  output logic                m_axi_arvalid,
  output logic                m_axi_arready,
  output logic [ID_W-1:0]     m_axi_rid,
  output logic [DATA_W-1:0]   m_axi_rdata,
  output logic [1:0]          m_axi_rresp,
  output logic                m_axi_rlast,
  output logic                m_axi_rvalid,
  output logic                m_axi_rready
);
  assign m_axi_awid    = d_awid;
  assign m_axi_awaddr  = d_awaddr;
  assign m_axi_awlen   = d_awlen;
  assign m_axi_awsize  = d_awsize;
  assign m_axi_awburst = d_awburst;
  assign m_axi_awvalid = d_awvalid;
  assign m_axi_awready = d_awready;
  assign m_axi_wdata   = d_wdata;
  assign m_axi_wstrb   = d_wstrb;
  assign m_axi_wlast   = d_wlast;
  assign m_axi_wvalid  = d_wvalid;
  assign m_axi_wready  = d_wready;
  assign m_axi_bid     = d_bid;
  assign m_axi_bresp   = d_bresp;
  assign m_axi_bvalid  = d_bvalid;
  assign m_axi_bready  = d_bready;
  assign m_axi_arid    = d_arid;
  assign m_axi_araddr  = d_araddr;
  assign m_axi_arlen   = d_arlen;
  assign m_axi_arsize  = d_arsize;
  assign m_axi_arburst = d_arburst;
  assign m_axi_arvalid = d_arvalid;
  assign m_axi_arready = d_arready;
  assign m_axi_rid     = d_rid;
  assign m_axi_rdata   = d_rdata;
  assign m_axi_rresp   = d_rresp;
  assign m_axi_rlast   = d_rlast;
  assign m_axi_rvalid  = d_rvalid;
  assign m_axi_rready  = d_rready;

  logic unused;
  assign unused = ^{clk_i, rst_ni};
endmodule
