// Vector unit: element-wise FP16 add over global-buffer words, dst[i] = src0[i] + src1[i] for
// i in [0, len), DATA_W/16 lanes per word, one word per cycle. Pipeline: read (1 cycle buffer
// latency) -> add and register -> write. The decoder guarantees that the destination is either
// identical to or disjoint from each source, so in-flight writes never feed later reads.

module skipopu_vpu
  import skipopu_pkg::*;
#(
  // Word width in bits (multiple of 16)
  parameter int DATA_W = 256,
  // Global buffer address width
  parameter int AW = 12
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              cmd_valid_i,    // start (only while idle)
  input  logic [AW-1:0]     cmd_dst_i,
  input  logic [AW-1:0]     cmd_src0_i,
  input  logic [AW-1:0]     cmd_src1_i,
  input  logic [15:0]       cmd_len_i,      // >= 1
  output logic              busy_o,
  output logic              done_o,         // pulse after the last write

  // Global buffer ports
  output logic              re_o,
  output logic [AW-1:0]     raddr0_o,
  output logic [AW-1:0]     raddr1_o,
  input  logic [DATA_W-1:0] rdata0_i,
  input  logic [DATA_W-1:0] rdata1_i,
  output logic              we_o,
  output logic [AW-1:0]     waddr_o,
  output logic [DATA_W-1:0] wdata_o
);

  localparam int Lanes = DATA_W / 16;

  logic              active_q;
  logic [15:0]       remaining_q;
  logic [AW-1:0]     rd0_q, rd1_q, dst_q;
  logic              rvalid_q;        // read data valid this cycle
  logic [AW-1:0]     rdst_q;          // destination of the word being read
  logic              wvalid_q;
  logic [AW-1:0]     wdst_q;
  logic [DATA_W-1:0] sum;
  logic [DATA_W-1:0] wdata_q;

  // Read issue
  assign re_o     = active_q;
  assign raddr0_o = rd0_q;
  assign raddr1_o = rd1_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q    <= 1'b0;
      remaining_q <= '0;
      rd0_q       <= '0;
      rd1_q       <= '0;
      dst_q       <= '0;
      rvalid_q    <= 1'b0;
      rdst_q      <= '0;
      wvalid_q    <= 1'b0;
      wdst_q      <= '0;
      wdata_q     <= '0;
    end else begin
      rvalid_q <= active_q;
      rdst_q   <= dst_q;
      wvalid_q <= rvalid_q;
      wdst_q   <= rdst_q;
      if (rvalid_q) begin
        wdata_q <= sum;
      end
      if (cmd_valid_i && !busy_o) begin
        active_q    <= 1'b1;
        remaining_q <= cmd_len_i;
        rd0_q       <= cmd_src0_i;
        rd1_q       <= cmd_src1_i;
        dst_q       <= cmd_dst_i;
      end else if (active_q) begin
        rd0_q       <= rd0_q + 1'b1;
        rd1_q       <= rd1_q + 1'b1;
        dst_q       <= dst_q + 1'b1;
        remaining_q <= remaining_q - 1'b1;
        if (remaining_q == 16'd1) begin
          active_q <= 1'b0;
        end
      end
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    skipopu_fp16_add u_add (
      .a_i(rdata0_i[16*l +: 16]),
      .b_i(rdata1_i[16*l +: 16]),
      .y_o(sum[16*l +: 16])
    );
  end

  assign we_o    = wvalid_q;
  assign waddr_o = wdst_q;
  assign wdata_o = wdata_q;
  assign busy_o  = active_q || rvalid_q || wvalid_q;
  assign done_o  = wvalid_q && !rvalid_q;

endmodule
