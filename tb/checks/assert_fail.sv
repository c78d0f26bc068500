// Testbench-only module (not part of the design): an immediate assertion that fails while
// fire_i is high, to prove that an RTL assertion failure fails the test on every simulator
// (tb/simrun.py scans the simulator output). Also a $fatal-free $error with a message.
module tb_assert_fail (
  input  logic clk_i,
  input  logic fire_i,      // the assertion fails at each rising edge while this is high
  input  logic msg_i,       // 1: the failure comes from assert ... else $error(msg)
  output logic alive_o      // toggles every cycle (the simulation goes on after an error)
);
  logic alive_q;

  always_ff @(posedge clk_i) begin
    alive_q <= !alive_q;
  end

  assign alive_o = alive_q;

  // plain always: Icarus rejects $error in always_ff
  always @(posedge clk_i) begin
    if (fire_i) begin
      if (msg_i) begin
        assert (1'b0) else $error("tb_assert_fail: injected assertion failure");
      end else begin
        assert (1'b0);
      end
    end
  end
endmodule
