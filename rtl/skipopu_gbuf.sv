// Global buffer (scratchpad): DEPTH words of DATA_W bits, one write port and two read ports with
// one cycle of read latency. Built from two identical simple-dual-port RAM copies that receive
// every write (the usual BRAM/URAM replication for a second read port). A read of the word being
// written in the same cycle returns the old contents.

module skipopu_gbuf #(
  // Word width in bits
  parameter int DATA_W = 256,
  // Number of words
  parameter int DEPTH = 4096,
  // Address width in bits
  parameter int AW = $clog2(DEPTH)
) (
  input  logic              clk_i,

  input  logic              we_i,
  input  logic [AW-1:0]     waddr_i,
  input  logic [DATA_W-1:0] wdata_i,

  input  logic              re_a_i,
  input  logic [AW-1:0]     raddr_a_i,
  output logic [DATA_W-1:0] rdata_a_o,

  input  logic              re_b_i,
  input  logic [AW-1:0]     raddr_b_i,
  output logic [DATA_W-1:0] rdata_b_o
);

  logic [DATA_W-1:0] mem_a [DEPTH];
  logic [DATA_W-1:0] mem_b [DEPTH];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_a[waddr_i] <= wdata_i;
    end
    if (re_a_i) begin
      rdata_a_o <= mem_a[raddr_a_i];
    end
  end

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_b[waddr_i] <= wdata_i;
    end
    if (re_b_i) begin
      rdata_b_o <= mem_b[raddr_b_i];
    end
  end

endmodule
