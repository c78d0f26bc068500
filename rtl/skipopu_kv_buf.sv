// KV invariance buffer storage (paper 4.4.2): DEPTH words of DATA_W bits with NR read ports and
// NW write ports, every port one word per cycle, synchronous reads (data one cycle after the
// address, held while no read is enabled).
//
// Organisation: live-value table (LVT). Bank (w, r) is a simple dual-port RAM written by write
// port w and read by read port r (NW x NR banks, each DEPTH words: URAM/BRAM friendly); the LVT
// records per word which write port wrote it last, and read port r returns bank (lvt, r). Two
// write ports must not write the same address in one cycle (the KV scheduler never does: every
// keep has its own slot); a read and a write of the same address in one cycle return the old
// word (read-first), which the scheduler also never needs.

module skipopu_kv_buf #(
  // Word width in bits
  parameter int DATA_W = 256,
  // Number of words (power of 2)
  parameter int DEPTH = 1024,
  // Read ports
  parameter int NR = 2,
  // Write ports
  parameter int NW = 2,
  // Address width (derived)
  parameter int AW = $clog2(DEPTH),
  // LVT entry width (derived)
  parameter int LW = (NW > 1) ? $clog2(NW) : 1
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,

  input  logic [NW-1:0]        we_i,
  input  logic [NW*AW-1:0]     waddr_i,
  input  logic [NW*DATA_W-1:0] wdata_i,

  input  logic [NR-1:0]        re_i,
  input  logic [NR*AW-1:0]     raddr_i,
  output logic [NR*DATA_W-1:0] rdata_o
);

  // LVT: last writer of every word (flops; reset so a never-written word reads bank 0)
  logic [LW-1:0] lvt_q [DEPTH];
  logic [LW-1:0] lvt_rd_q [NR];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int i = 0; i < DEPTH; i++) lvt_q[i] <= '0;
    end else begin
      for (int w = 0; w < NW; w++) begin
        if (we_i[w]) lvt_q[waddr_i[w*AW +: AW]] <= LW'(w);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int r = 0; r < NR; r++) lvt_rd_q[r] <= '0;
    end else begin
      for (int r = 0; r < NR; r++) begin
        if (re_i[r]) lvt_rd_q[r] <= lvt_q[raddr_i[r*AW +: AW]];
      end
    end
  end

  // Banks: bank_rdata[(w*NR + r)*DATA_W +: DATA_W] is bank (w, r)'s registered read data
  logic [NW*NR*DATA_W-1:0] bank_rdata;

  for (genvar w = 0; w < NW; w++) begin : g_w
    for (genvar r = 0; r < NR; r++) begin : g_r
      logic [DATA_W-1:0] mem [DEPTH];
      logic [DATA_W-1:0] rdata_q;
      always_ff @(posedge clk_i) begin
        if (we_i[w]) mem[waddr_i[w*AW +: AW]] <= wdata_i[w*DATA_W +: DATA_W];
        if (re_i[r]) rdata_q <= mem[raddr_i[r*AW +: AW]];
      end
      assign bank_rdata[(w*NR + r)*DATA_W +: DATA_W] = rdata_q;
    end
  end

  for (genvar r = 0; r < NR; r++) begin : g_rd
    assign rdata_o[r*DATA_W +: DATA_W] = bank_rdata[(32'(lvt_rd_q[r])*NR + r)*DATA_W +: DATA_W];
  end

endmodule
