// Mixed-precision PE: one DSP48E2 producing two products that share the activation x (paper
// 4.2.2). FP16 x FP16 by overpacking with MSB/LSB truncation, a 5x5 auxiliary multiplier and
// C-port injection; FP16 x INT4 by standard packing. Each product leaves as a BFP term
// (zero, nan, inf, sign, exp, mag) with value mag * 2^(exp - 43). Bit-exact with model/pe.py
// (pe_fp16_pair, pe_int4_pair); the algebra is in docs/pe-array.md. Latency: 3 cycles.

module skipopu_pe
  import skipopu_pkg::*;
(
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        valid_i,
  input  logic        int4_i,      // 0: FP16 x FP16, 1: FP16 x INT4 (weights in w*_i[3:0])
  input  logic [15:0] x_i,         // FP16 activation (shared operand)
  input  logic [15:0] w1_i,        // left weight (product 1)
  input  logic [15:0] w2_i,        // right weight (product 2)

  output logic        valid_o,
  output logic [1:0]  zero_o,
  output logic [1:0]  nan_o,
  output logic [1:0]  inf_o,
  output logic [1:0]  sign_o,
  output logic [13:0] exp_o,       // {exp2, exp1}, 7 bits each
  output logic [29:0] mag_o        // {mag2, mag1}, 15 bits each
);

  localparam int Lat = 3;

  fp16_t x, w1, w2;
  assign x  = x_i;
  assign w1 = w1_i;
  assign w2 = w2_i;

  // ---------------------------------------------------------------------------------------------
  // Operand classification (docs/numerics.md: DAZ, Inf * 0 = NaN)
  // ---------------------------------------------------------------------------------------------
  logic x_zero, x_inf, x_nan;
  logic [1:0] w_zero, w_inf, w_nan;
  logic [1:0] t_zero, t_inf, t_nan, t_sign_fp;
  logic [6:0] e1, e2;

  assign x_zero = (x.exponent == 5'd0);
  assign x_inf  = (x.exponent == 5'h1F) && (x.mantissa == '0);
  assign x_nan  = (x.exponent == 5'h1F) && (x.mantissa != '0);

  always_comb begin
    if (int4_i) begin
      w_zero = {w2_i[3:0] == 4'd0, w1_i[3:0] == 4'd0};
      w_inf  = 2'b00;
      w_nan  = 2'b00;
      e1     = 7'(x.exponent) + 7'd18;
      e2     = 7'(x.exponent) + 7'd18;
    end else begin
      w_zero = {w2.exponent == 5'd0, w1.exponent == 5'd0};
      w_inf  = {(w2.exponent == 5'h1F) && (w2.mantissa == '0),
                (w1.exponent == 5'h1F) && (w1.mantissa == '0)};
      w_nan  = {(w2.exponent == 5'h1F) && (w2.mantissa != '0),
                (w1.exponent == 5'h1F) && (w1.mantissa != '0)};
      e1     = 7'(x.exponent) + 7'(w1.exponent);
      e2     = 7'(x.exponent) + 7'(w2.exponent);
    end
    for (int i = 0; i < 2; i++) begin
      t_nan[i]  = x_nan || w_nan[i] || (x_inf && w_zero[i]) || (x_zero && w_inf[i]);
      t_inf[i]  = (x_inf || w_inf[i]) && !t_nan[i];
      t_zero[i] = (x_zero || w_zero[i]) && !t_nan[i] && !t_inf[i];
    end
    t_sign_fp = {x.sign ^ w2.sign, x.sign ^ w1.sign};
  end

  // ---------------------------------------------------------------------------------------------
  // DSP operands
  // ---------------------------------------------------------------------------------------------
  logic [10:0] mx, mx_m1;
  logic [9:0]  a1, a2;
  logic        l2;
  logic [4:0]  aux;
  logic [9:0]  aux_prod;
  logic [20:0] c_hi;          // C[36:16] = mx * 2^10 - aux
  logic signed [26:0] dsp_a, dsp_d;
  logic signed [17:0] dsp_b;
  logic signed [47:0] dsp_c;
  logic signed [47:0] p;

  assign mx       = {1'b1, x.mantissa};
  assign mx_m1    = mx - 11'd1;             // shared by a whole PE row in a real array
  assign a1       = w1.mantissa;            // mw1 - 2^10: the hidden one is truncated
  assign a2       = {1'b1, w2.mantissa[9:1]};  // mw2 >> 1: the LSB is truncated
  assign l2       = w2.mantissa[0];
  assign aux_prod = a1[4:0] * mx[4:0];      // 5 x 5 auxiliary multiplier
  assign aux      = aux_prod[4:0];
  assign c_hi     = (aux == 5'd0) ? {mx, 10'd0} : {mx_m1, 5'b11111, 5'(-aux)};

  always_comb begin
    if (int4_i) begin
      dsp_a = 27'($signed(w1_i[3:0])) <<< 18;
      dsp_d = 27'($signed(w2_i[3:0]));
      dsp_c = '0;
    end else begin
      dsp_a = $signed({7'd0, a1, 10'd0} << 6);      // a1 << 16
      dsp_d = $signed({17'd0, a2});
      dsp_c = $signed({11'd0, c_hi, 6'd0, l2 ? mx[10:1] : 10'd0});
    end
    dsp_b = $signed({7'd0, mx});
  end

  skipopu_dsp48e2 u_dsp (
    .clk_i,
    .ce_i (1'b1),
    .sub_i(1'b0),
    .a_i  (dsp_a),
    .b_i  (dsp_b),
    .c_i  (dsp_c),
    .d_i  (dsp_d),
    .p_o  (p)
  );

  // ---------------------------------------------------------------------------------------------
  // Side pipeline matching the DSP latency
  // ---------------------------------------------------------------------------------------------
  logic [Lat-1:0] valid_q, int4_q;
  // Packed stage arrays (Icarus 11 mishandles unpacked register arrays here in large designs)
  logic [Lat-1:0][1:0]  zero_q, nan_q, inf_q, sign_q;
  logic [Lat-1:0][13:0] exp_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
      int4_q  <= '0;
      zero_q  <= '0;
      nan_q   <= '0;
      inf_q   <= '0;
      sign_q  <= '0;
      exp_q   <= '0;
    end else begin
      valid_q   <= {valid_q[Lat-2:0], valid_i};
      int4_q    <= {int4_q[Lat-2:0], int4_i};
      zero_q[0] <= t_zero;
      nan_q[0]  <= t_nan;
      inf_q[0]  <= t_inf;
      sign_q[0] <= int4_i ? {2{x.sign}} : t_sign_fp;
      exp_q[0]  <= {e2, e1};
      for (int s = 1; s < Lat; s++) begin
        zero_q[s] <= zero_q[s-1];
        nan_q[s]  <= nan_q[s-1];
        inf_q[s]  <= inf_q[s-1];
        sign_q[s] <= sign_q[s-1];
        exp_q[s]  <= exp_q[s-1];
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Product extraction
  // ---------------------------------------------------------------------------------------------
  logic [14:0] fp_hi, fp_lo;
  logic signed [14:0] i4_hi, i4_lo;
  logic [14:0] mag1, mag2;
  logic        neg1, neg2;

  assign fp_hi = p[37:23];
  assign fp_lo = p[20:6];
  assign i4_lo = p[14:0];
  assign i4_hi = p[32:18] + 15'(p[17]);

  always_comb begin
    if (int4_q[Lat-1]) begin
      neg1 = i4_hi[14];
      neg2 = i4_lo[14];
      mag1 = neg1 ? 15'(-i4_hi) : i4_hi;
      mag2 = neg2 ? 15'(-i4_lo) : i4_lo;
    end else begin
      neg1 = 1'b0;
      neg2 = 1'b0;
      mag1 = fp_hi;
      mag2 = fp_lo;
    end
  end

  logic [1:0] zero_l;
  assign zero_l  = zero_q[Lat-1];
  assign valid_o = valid_q[Lat-1];
  assign zero_o  = zero_l;
  assign nan_o   = nan_q[Lat-1];
  assign inf_o   = inf_q[Lat-1];
  assign sign_o  = sign_q[Lat-1] ^ {neg2, neg1};
  assign exp_o   = exp_q[Lat-1];
  assign mag_o   = {zero_l[1] ? 15'd0 : mag2, zero_l[0] ? 15'd0 : mag1};

  logic unused_p;
  assign unused_p = ^{p[47:38], p[22:21], p[5:0], aux_prod[9:5]};

endmodule
