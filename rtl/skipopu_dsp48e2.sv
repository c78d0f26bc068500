// Behavioural subset of the Xilinx DSP48E2 (UG579) as used by the PE array, written so that
// synthesis maps it onto one DSP48E2: 27-bit pre-adder D +/- A, 27x18 signed multiplier, 48-bit
// post-adder with C. Pipeline as AREG=DREG=BREG=CREG=1, ADREG=1, MREG=1, PREG=1 would be
// shortened to three stages: inputs, pre-add+multiply (M), post-add (P).
// Mirrors model/dsp48e2.py: P = ((D +/- A) * B + C) mod 2^48.

module skipopu_dsp48e2 (
  input  logic               clk_i,
  input  logic               ce_i,     // clock enable of every stage
  input  logic               sub_i,    // pre-adder: 0 -> D + A, 1 -> D - A
  input  logic signed [26:0] a_i,
  input  logic signed [17:0] b_i,
  input  logic signed [47:0] c_i,
  input  logic signed [26:0] d_i,
  output logic signed [47:0] p_o
);

  logic signed [26:0] a_q, d_q;
  logic signed [17:0] b_q;
  logic signed [47:0] c_q, c2_q;
  logic               sub_q;
  logic signed [26:0] ad;
  logic signed [44:0] m_q;

  // pre-adder wraps at 27 bits, as in the silicon
  assign ad = sub_q ? (d_q - a_q) : (d_q + a_q);

  always_ff @(posedge clk_i) begin
    if (ce_i) begin
      a_q   <= a_i;
      b_q   <= b_i;
      c_q   <= c_i;
      d_q   <= d_i;
      sub_q <= sub_i;
      m_q   <= ad * b_q;
      c2_q  <= c_q;
      p_o   <= 48'(m_q) + c2_q;
    end
  end

endmodule
