// Combinational IEEE floating-point adder, parameterised by format (FP16: 5/10, FP32: 8/23):
// DAZ inputs, round to nearest even, FTZ results below the smallest normal, overflow to Inf,
// canonical quiet NaN (docs/numerics.md). Bit-exact with model/fp16.py:fp16_add for FP16 and
// with model/pe.py:fp32_add for FP32.
//
// Datapath: order the operands by magnitude, align the smaller significand with guard, round
// and sticky bits, add or subtract, normalise (one right shift on carry, else a left shift by
// the leading-zero count), round to nearest even on G/R/S.

module skipopu_fp_add #(
  // Exponent width
  parameter int EXP_W = 5,
  // Stored mantissa width (without the hidden one)
  parameter int MAN_W = 10,
  // Total width (derived)
  parameter int W = 1 + EXP_W + MAN_W
) (
  input  logic [W-1:0] a_i,
  input  logic [W-1:0] b_i,
  output logic [W-1:0] y_o
);

  localparam int SW = MAN_W + 1;          // significand with hidden one
  localparam int WW = SW + 3;             // plus guard, round, sticky
  localparam int DW = $clog2(WW + 2) + 1; // shift amount width
  localparam int EW = EXP_W + 2;          // signed working exponent
  localparam logic [EXP_W-1:0] EMAX = '1;

  // fields
  logic             sa, sb, sx, sy;
  logic [EXP_W-1:0] ea, eb, ex, ey;
  logic [MAN_W-1:0] ma, mb, mx, my;

  assign {sa, ea, ma} = a_i;
  assign {sb, eb, mb} = b_i;

  logic a_inf, b_inf, a_nan, b_nan, zx, zy, swap, sub, nan, carry, up;
  logic [WW-1:0] wx, wy_full, wy, norm, mask;
  logic [DW-1:0] d, lz;
  logic [EXP_W-1:0] diff;
  logic [WW:0]   s;
  logic [SW:0]   mant;
  logic signed [EW-1:0] e;
  logic [W-1:0]  res;

  always_comb begin
    a_inf = (ea == EMAX) && (ma == '0);
    b_inf = (eb == EMAX) && (mb == '0);
    a_nan = (ea == EMAX) && (ma != '0);
    b_nan = (eb == EMAX) && (mb != '0);
    nan   = a_nan || b_nan || (a_inf && b_inf && (sa != sb));

    swap = {eb, mb} > {ea, ma};
    {sx, ex, mx} = swap ? b_i : a_i;
    {sy, ey, my} = swap ? a_i : b_i;
    zx = (ex == '0);                         // DAZ
    zy = (ey == '0);

    wx      = zx ? '0 : {1'b1, mx, 3'b000};
    wy_full = zy ? '0 : {1'b1, my, 3'b000};
    diff    = zy ? '0 : (ex - ey);
    d       = (32'(diff) > WW + 1) ? DW'(WW + 1) : DW'(diff);
    wy      = wy_full >> d;
    mask    = ~('1 << d);
    wy[0]   = wy[0] | (|(wy_full & mask));

    sub = sx ^ sy;
    s   = sub ? ({1'b0, wx} - {1'b0, wy}) : ({1'b0, wx} + {1'b0, wy});

    carry = s[WW];
    lz = '0;
    for (int i = 0; i < WW; i++) begin        // the highest set bit assigns last
      if (s[i]) lz = DW'(WW - 1 - i);
    end
    if (carry) begin
      norm = {s[WW:2], s[1] | s[0]};
      e    = $signed(EW'(ex)) + EW'(1);
    end else begin
      norm = s[WW-1:0] << lz;
      e    = $signed(EW'(ex)) - $signed(EW'(lz));
    end

    up   = norm[2] && ((|norm[1:0]) || norm[3]);
    mant = {1'b0, norm[WW-1:3]} + (SW + 1)'(up);
    if (mant[SW]) begin
      mant = mant >> 1;
      e    = e + EW'(1);
    end

    if (e >= $signed(EW'(EMAX))) begin
      res = {sx, EMAX, {MAN_W{1'b0}}};         // overflow -> Inf
    end else if (e <= 0) begin
      res = {sx, {(W - 1){1'b0}}};             // FTZ
    end else begin
      res = {sx, e[EXP_W-1:0], mant[MAN_W-1:0]};
    end
    if (s == '0) res = '0;                     // exact cancellation -> +0

    if (zx && zy) begin
      res = {sa & sb, {(W - 1){1'b0}}};
    end else if (zy) begin
      res = {sx, ex, mx};
    end
    if (a_inf) begin
      res = a_i;
    end else if (b_inf) begin
      res = b_i;
    end
    if (nan) res = {1'b0, EMAX, 1'b1, {(MAN_W - 1){1'b0}}};
  end

  assign y_o = res;

endmodule
