// Combinational IEEE floating-point multiplier, parameterised by format (FP32 for the INT4
// group scales): DAZ, round to nearest even with an unbounded exponent, FTZ, overflow to Inf,
// Inf * 0 = canonical NaN. Bit-exact with model/fpu.py:fp_mul.

module skipopu_fp_mul #(
  // Exponent width
  parameter int EXP_W = 8,
  // Stored mantissa width
  parameter int MAN_W = 23,
  // Total width (derived)
  parameter int W = 1 + EXP_W + MAN_W
) (
  input  logic [W-1:0] a_i,
  input  logic [W-1:0] b_i,
  output logic [W-1:0] y_o
);

  localparam int SW = MAN_W + 1;
  localparam int PW = 2 * SW;             // exact significand product
  localparam int EW = EXP_W + 3;
  localparam int Bias = (1 << (EXP_W - 1)) - 1;
  localparam logic [EXP_W-1:0] EMAX = '1;

  logic             sa, sb, s;
  logic [EXP_W-1:0] ea, eb;
  logic [MAN_W-1:0] ma, mb;
  assign {sa, ea, ma} = a_i;
  assign {sb, eb, mb} = b_i;

  logic              za, zb, ia, ib, nan, top, up;
  logic [PW-1:0]     p, lowmask;
  logic [SW:0]       keep;     // significand + guard
  logic              sticky;
  logic [SW:0]       mant;
  logic signed [EW-1:0] e;
  logic [W-1:0]      res;

  always_comb begin
    s   = sa ^ sb;
    za  = (ea == '0);
    zb  = (eb == '0);
    ia  = (ea == EMAX) && (ma == '0);
    ib  = (eb == EMAX) && (mb == '0);
    nan = ((ea == EMAX) && (ma != '0)) || ((eb == EMAX) && (mb != '0)) || (ia && zb) ||
          (za && ib);

    p   = PW'({1'b1, ma}) * PW'({1'b1, mb});
    top = p[PW-1];
    e   = $signed(EW'(ea)) + $signed(EW'(eb)) - EW'(Bias) + EW'(top);
    if (top) begin
      keep    = p[PW-1 -: SW + 1];
      lowmask = ~('1 << (MAN_W));
    end else begin
      keep    = p[PW-2 -: SW + 1];
      lowmask = ~('1 << (MAN_W - 1));
    end
    sticky = |(p & lowmask);
    // keep = {significand, guard}; round to nearest even
    up   = keep[0] && (sticky || keep[1]);
    mant = {1'b0, keep[SW:1]} + (SW + 1)'(up);
    if (mant[SW]) begin
      mant = mant >> 1;
      e    = e + EW'(1);
    end
    if (e >= $signed(EW'(EMAX))) begin
      res = {s, EMAX, {MAN_W{1'b0}}};
    end else if (e <= 0) begin
      res = {s, {(W - 1){1'b0}}};
    end else begin
      res = {s, e[EXP_W-1:0], mant[MAN_W-1:0]};
    end
    if (za || zb) res = {s, {(W - 1){1'b0}}};
    if (ia || ib) res = {s, EMAX, {MAN_W{1'b0}}};
    if (nan) res = {1'b0, EMAX, 1'b1, {(MAN_W - 1){1'b0}}};
  end

  assign y_o = res;

endmodule
