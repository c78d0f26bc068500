// Combinational floating-point narrowing (FP32 -> FP16 for the PSUM output): round to nearest
// even with an unbounded exponent, FTZ below the smallest normal, overflow to Inf, DAZ input,
// canonical NaN. Bit-exact with model/fpu.py:fp_narrow.

module skipopu_fp_narrow #(
  // Source exponent / mantissa widths
  parameter int SRC_EXP_W = 8,
  parameter int SRC_MAN_W = 23,
  // Destination exponent / mantissa widths
  parameter int DST_EXP_W = 5,
  parameter int DST_MAN_W = 10,
  // Total widths (derived)
  parameter int SRC_W = 1 + SRC_EXP_W + SRC_MAN_W,
  parameter int DST_W = 1 + DST_EXP_W + DST_MAN_W
) (
  input  logic [SRC_W-1:0] a_i,
  output logic [DST_W-1:0] y_o
);

  localparam int Drop = SRC_MAN_W - DST_MAN_W;
  localparam int EW = SRC_EXP_W + 2;
  localparam int Shift = ((1 << (SRC_EXP_W - 1)) - 1) - ((1 << (DST_EXP_W - 1)) - 1);
  localparam logic [SRC_EXP_W-1:0] SEMAX = '1;
  localparam logic [DST_EXP_W-1:0] DEMAX = '1;

  logic                 s;
  logic [SRC_EXP_W-1:0] ea;
  logic [SRC_MAN_W-1:0] ma;
  assign {s, ea, ma} = a_i;

  logic [DST_MAN_W:0]   keep;
  logic                 g, sticky, up;
  logic [DST_MAN_W+1:0] mant;
  logic signed [EW-1:0] e;
  logic [DST_W-1:0]     res;

  always_comb begin
    keep   = {1'b1, ma[SRC_MAN_W-1 -: DST_MAN_W]};
    g      = ma[Drop-1];
    sticky = |ma[Drop-2:0];
    up     = g && (sticky || keep[0]);
    mant   = {1'b0, keep} + (DST_MAN_W + 2)'(up);
    e      = $signed(EW'(ea)) - EW'(Shift);
    if (mant[DST_MAN_W+1]) begin
      mant = mant >> 1;
      e    = e + EW'(1);
    end
    if (e >= $signed(EW'(DEMAX))) begin
      res = {s, DEMAX, {DST_MAN_W{1'b0}}};
    end else if (e <= 0) begin
      res = {s, {(DST_W - 1){1'b0}}};
    end else begin
      res = {s, e[DST_EXP_W-1:0], mant[DST_MAN_W-1:0]};
    end
    if (ea == '0) res = {s, {(DST_W - 1){1'b0}}};
    if (ea == SEMAX) begin
      res = (ma == '0) ? {s, DEMAX, {DST_MAN_W{1'b0}}} :
                         {1'b0, DEMAX, 1'b1, {(DST_MAN_W - 1){1'b0}}};
    end
  end

  assign y_o = res;

endmodule
