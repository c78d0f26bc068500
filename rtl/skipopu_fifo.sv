// Synchronous first-word-fall-through FIFO (power-of-2 depth, plain array -> RAM inference).

module skipopu_fifo #(
  // Entry width in bits
  parameter int DATA_W = 32,
  // Number of entries (power of 2, >= 1)
  parameter int DEPTH = 16,
  // Width of the occupancy count (derived)
  parameter int CNT_W = $clog2(DEPTH) + 1
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              wr_valid_i,
  output logic              wr_ready_o,
  input  logic [DATA_W-1:0] wr_data_i,

  output logic              rd_valid_o,
  input  logic              rd_ready_i,
  output logic [DATA_W-1:0] rd_data_o,

  output logic [CNT_W-1:0]  count_o
);

  // pragma translate_off
  initial begin : p_params
    if ($countones(DEPTH) != 1) begin
      $fatal(1, "skipopu_fifo: DEPTH=%0d is not a power of 2 >= 1", DEPTH);
    end
  end
  // pragma translate_on

  // Pointer index width; a 1-entry FIFO uses a 1-bit index into a 2-entry array
  localparam int AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam int MemDepth = 1 << AW;

  logic [DATA_W-1:0] mem [MemDepth];
  logic [AW:0]       wptr_q, rptr_q;
  logic              push, pop;

  assign count_o    = CNT_W'(wptr_q - rptr_q);
  assign wr_ready_o = (wptr_q - rptr_q) != (AW + 1)'(DEPTH);
  assign rd_valid_o = wptr_q != rptr_q;
  assign rd_data_o  = mem[rptr_q[AW-1:0]];
  assign push       = wr_valid_i && wr_ready_o;
  assign pop        = rd_valid_o && rd_ready_i;

  always_ff @(posedge clk_i) begin
    if (push) begin
      mem[wptr_q[AW-1:0]] <= wr_data_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q <= '0;
      rptr_q <= '0;
    end else begin
      if (push) wptr_q <= wptr_q + 1'b1;
      if (pop)  rptr_q <= rptr_q + 1'b1;
    end
  end

endmodule
