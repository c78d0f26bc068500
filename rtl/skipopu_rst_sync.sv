// Reset synchroniser: rst_no follows rst_ni low at once (asynchronous assertion, no clock needed)
// and rises STAGES rising edges of clk_i after rst_ni rises (synchronous deassertion), so every
// flop of the clk_i domain leaves reset on the same edge. One per clock domain, all fed from the
// same asynchronous reset, gives overlapping resets as skipopu_async_fifo needs.
//
// Synthesis: sync_q is a synchroniser chain (first flop may go metastable on deassertion); it
// carries ASYNC_REG so the flops are placed together and not retimed. Its asynchronous reset
// input is a false path / recovery check from rst_ni.

module skipopu_rst_sync #(
  // Flops in the chain (>= 2); deassertion latency in clk_i cycles
  parameter int STAGES = 2
) (
  input  logic clk_i,
  input  logic rst_ni,   // asynchronous reset from any domain (or a pin)
  output logic rst_no    // reset of the clk_i domain: asynchronous assert, synchronous deassert
);

  // SYNCHRONISER: all STAGES flops; keep them together, no retiming or SRL inference
  (* ASYNC_REG = "TRUE" *) logic [STAGES-1:0] sync_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sync_q <= '0;
    end else begin
      sync_q <= {sync_q[STAGES-2:0], 1'b1};
    end
  end

  assign rst_no = sync_q[STAGES-1];

endmodule
