// Combinational FP16 adder (docs/numerics.md): DAZ inputs, round to nearest even, FTZ results
// below 2^-14, overflow to Inf, canonical quiet NaN. Bit-exact with model/fp16.py:fp16_add.
//
// Datapath: order the operands by magnitude, align the smaller 11-bit significand with guard,
// round and sticky bits (14 bits), add or subtract, normalise (one right shift on carry or a
// left shift by the leading-zero count), round to nearest even on G/R/S.

module skipopu_fp16_add
  import skipopu_pkg::*;
(
  input  logic [15:0] a_i,
  input  logic [15:0] b_i,
  output logic [15:0] y_o
);

  fp16_t a, b, x, y;
  assign a = a_i;
  assign b = b_i;

  // Classification on the magnitude bits (exponent, mantissa)
  function automatic logic is_zero(logic [4:0] exponent);   // DAZ: subnormals are zeros
    return exponent == 5'd0;
  endfunction

  function automatic logic is_inf(logic [14:0] mag);
    return mag == 15'h7C00;
  endfunction

  function automatic logic is_nan(logic [14:0] mag);
    return (mag[14:10] == 5'h1F) && (mag[9:0] != '0);
  endfunction

  // Leading zeros of a 14-bit value above bit 13 (0 for a zero input: handled separately)
  function automatic logic [3:0] lzc14(logic [13:0] v);
    logic [3:0] n;
    n = 4'd0;
    for (int i = 0; i < 14; i++) begin   // the highest set bit assigns last
      if (v[i]) begin
        n = 4'(13 - i);
      end
    end
    return n;
  endfunction

  logic        swap, zx, zy, sub, nan, carry, g, rs, up;
  logic [13:0] wx, wy_full, wy;
  logic [4:0]  d;
  logic        sticky;
  logic [14:0] s;
  logic [13:0] norm;
  logic [3:0]  lz;
  logic [11:0] mant;
  logic signed [6:0] e;
  logic [15:0] res;

  always_comb begin
    swap = {b.exponent, b.mantissa} > {a.exponent, a.mantissa};
    x = swap ? b : a;
    y = swap ? a : b;
    zx = is_zero(x.exponent);
    zy = is_zero(y.exponent);
    nan = is_nan(a[14:0]) || is_nan(b[14:0]) ||
          (is_inf(a[14:0]) && is_inf(b[14:0]) && (a.sign != b.sign));

    // alignment with guard, round and sticky
    wx      = zx ? 14'd0 : {1'b1, x.mantissa, 3'b000};
    wy_full = zy ? 14'd0 : {1'b1, y.mantissa, 3'b000};
    d       = zy ? 5'd0 : (x.exponent - y.exponent);
    if (d > 5'd15) d = 5'd15;
    wy      = wy_full >> d;
    sticky  = |(wy_full & ((14'd1 << d) - 14'd1));
    wy[0]   = wy[0] | sticky;

    sub = x.sign ^ y.sign;
    s   = sub ? ({1'b0, wx} - {1'b0, wy}) : ({1'b0, wx} + {1'b0, wy});

    // normalise to 1.m GRS in norm[13:0]
    carry = s[14];
    lz    = lzc14(s[13:0]);
    if (carry) begin
      norm = {s[14:2], s[1] | s[0]};
      e    = $signed({2'b00, x.exponent}) + 7'sd1;
    end else begin
      norm = s[13:0] << lz;
      e    = $signed({2'b00, x.exponent}) - $signed({3'b000, lz});
    end

    // round to nearest even
    g    = norm[2];
    rs   = |norm[1:0];
    up   = g && (rs || norm[3]);
    mant = {1'b0, norm[13:3]} + {11'd0, up};
    if (mant[11]) begin
      mant = mant >> 1;
      e    = e + 7'sd1;
    end

    if (e >= 7'sd31) begin
      res = {x.sign, 5'h1F, 10'd0};                 // overflow -> Inf
    end else if (e <= 7'sd0) begin
      res = {x.sign, 15'd0};                        // FTZ
    end else begin
      res = {x.sign, e[4:0], mant[9:0]};
    end
    if (s == '0) begin
      res = 16'h0000;                               // exact cancellation -> +0
    end

    // zeros and specials
    if (zx && zy) begin
      res = {a.sign & b.sign, 15'd0};
    end else if (zy) begin
      res = x;
    end
    if (is_inf(a[14:0])) begin
      res = a;
    end else if (is_inf(b[14:0])) begin
      res = b;
    end
    if (nan) begin
      res = Fp16QNaN;
    end
  end

  assign y_o = res;

endmodule
