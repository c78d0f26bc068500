// Global buffer (scratchpad): DEPTH words of DATA_W bits, one write port and two read ports with
// one cycle of read latency, each port shared by several clients. Built from two identical
// simple-dual-port RAM copies that receive every write (the usual BRAM/URAM replication for a
// second read port). A read of the word being written in the same cycle returns the old
// contents.
//
// Clients: the units access the buffer one instruction at a time (a fused MATMUL's normalised
// words precede its Y rows), so at most one client of a port is active in a cycle; the ports
// select the lowest-numbered active client (packed vectors: client c at [c*W +: W]), and a
// simulation-only check flags two active clients of a port. The selected write is also an
// output (the NPE snoops it for the RMS statistics of LOAD/VADD/VSCAT rows).

module skipopu_gbuf #(
  // Word width in bits
  parameter int DATA_W = 256,
  // Number of words (a power of 2)
  parameter int DEPTH = 4096,
  // Writers of the write port
  parameter int NW = 1,
  // Readers of read port A
  parameter int NA = 1,
  // Readers of read port B
  parameter int NB = 1,
  // Address width in bits (derived)
  parameter int AW = $clog2(DEPTH)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,

  input  logic [NW-1:0]        we_i,
  input  logic [NW*AW-1:0]     waddr_i,
  input  logic [NW*DATA_W-1:0] wdata_i,
  // the write of this cycle (any writer)
  output logic                 we_o,
  output logic [DATA_W-1:0]    wdata_o,

  input  logic [NA-1:0]        re_a_i,
  input  logic [NA*AW-1:0]     raddr_a_i,
  output logic [DATA_W-1:0]    rdata_a_o,

  input  logic [NB-1:0]        re_b_i,
  input  logic [NB*AW-1:0]     raddr_b_i,
  output logic [DATA_W-1:0]    rdata_b_o
);

  // pragma translate_off
  initial begin : p_params
    if (DEPTH < 2 || (DEPTH & (DEPTH - 1)) != 0) begin
      $fatal(1, "skipopu_gbuf: DEPTH=%0d is not a power of 2 >= 2", DEPTH);
    end
    if (NW < 1 || NA < 1 || NB < 1) begin
      $fatal(1, "skipopu_gbuf: every port needs a client (NW=%0d NA=%0d NB=%0d)", NW, NA, NB);
    end
  end
  // pragma translate_on

  // Client selection: a priority chain per port (client 0 first)
  logic [NW:0][AW-1:0]     wa_chain;
  logic [NW:0][DATA_W-1:0] wd_chain;
  logic [NA:0][AW-1:0]     ra_chain;
  logic [NB:0][AW-1:0]     rb_chain;
  assign wa_chain[NW] = '0;
  assign wd_chain[NW] = '0;
  assign ra_chain[NA] = '0;
  assign rb_chain[NB] = '0;
  for (genvar c = 0; c < NW; c++) begin : g_w
    assign wa_chain[c] = we_i[c] ? waddr_i[c*AW +: AW] : wa_chain[c+1];
    assign wd_chain[c] = we_i[c] ? wdata_i[c*DATA_W +: DATA_W] : wd_chain[c+1];
  end
  for (genvar c = 0; c < NA; c++) begin : g_a
    assign ra_chain[c] = re_a_i[c] ? raddr_a_i[c*AW +: AW] : ra_chain[c+1];
  end
  for (genvar c = 0; c < NB; c++) begin : g_b
    assign rb_chain[c] = re_b_i[c] ? raddr_b_i[c*AW +: AW] : rb_chain[c+1];
  end

  logic              we, re_a, re_b;
  logic [AW-1:0]     waddr, raddr_a, raddr_b;
  logic [DATA_W-1:0] wdata;
  assign we      = |we_i;
  assign waddr   = wa_chain[0];
  assign wdata   = wd_chain[0];
  assign re_a    = |re_a_i;
  assign raddr_a = ra_chain[0];
  assign re_b    = |re_b_i;
  assign raddr_b = rb_chain[0];
  assign we_o    = we;
  assign wdata_o = wdata;

  // pragma translate_off
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else begin
      assert ($countones(we_i) <= 1)
        else $error("global buffer write port: two writers in one cycle");
      assert ($countones(re_a_i) <= 1)
        else $error("global buffer read port A: two readers in one cycle");
      assert ($countones(re_b_i) <= 1)
        else $error("global buffer read port B: two readers in one cycle");
    end
  end
  // pragma translate_on

  logic [DATA_W-1:0] mem_a [DEPTH];
  logic [DATA_W-1:0] mem_b [DEPTH];

  always_ff @(posedge clk_i) begin
    if (we) begin
      mem_a[waddr] <= wdata;
    end
    if (re_a) begin
      rdata_a_o <= mem_a[raddr_a];
    end
  end

  always_ff @(posedge clk_i) begin
    if (we) begin
      mem_b[waddr] <= wdata;
    end
    if (re_b) begin
      rdata_b_o <= mem_b[raddr_b];
    end
  end

endmodule
