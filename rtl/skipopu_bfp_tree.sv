// BFP accumulation tree of one PE-array column (paper 4.2.2, docs/pe-array.md): takes the KDIM
// terms of one tile, aligns them to the largest exponent by truncating right shifts (2 guard
// bits below the 15-bit magnitudes), sums them as signed fixed-point numbers and converts the
// sum once to FP32. The conversion is exact for KDIM <= 128. Bit-exact with
// model/pe.py: bfp_tree + tree_to_fp32. Latency: 4 cycles, one tile per cycle.

module skipopu_bfp_tree #(
  // Terms per tile (power of 2, 2..128)
  parameter int KDIM = 64
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               valid_i,
  input  logic [KDIM-1:0]    zero_i,
  input  logic [KDIM-1:0]    nan_i,
  input  logic [KDIM-1:0]    inf_i,
  input  logic [KDIM-1:0]    sign_i,
  input  logic [KDIM*7-1:0]  exp_i,
  input  logic [KDIM*15-1:0] mag_i,
  output logic               valid_o,
  output logic [31:0]        fp32_o
);

  localparam int Guard = 2;
  localparam int AccW = 15 + Guard + $clog2(KDIM) + 1;   // signed accumulator width
  localparam int ExpBias = 43 + Guard;                   // value = S * 2^(Emax - ExpBias)

  // ---------------------------------------------------------------------------------------------
  // Stage 1: largest exponent of the valid terms, specials
  // ---------------------------------------------------------------------------------------------
  logic [KDIM-1:0] term_ok;
  logic [6:0]      emax;
  logic            any_nan, inf_pos, inf_neg;

  always_comb begin
    emax    = 7'd0;
    any_nan = 1'b0;
    inf_pos = 1'b0;
    inf_neg = 1'b0;
    for (int k = 0; k < KDIM; k++) begin
      term_ok[k] = !zero_i[k] && !nan_i[k] && !inf_i[k];
      if (term_ok[k] && exp_i[7*k +: 7] > emax) emax = exp_i[7*k +: 7];
      any_nan = any_nan | nan_i[k];
      inf_pos = inf_pos | (inf_i[k] && !sign_i[k]);
      inf_neg = inf_neg | (inf_i[k] && sign_i[k]);
    end
  end

  logic               v1_q, nan1_q, inf1_q, infs1_q;
  logic [6:0]         emax1_q;
  logic [KDIM-1:0]    ok1_q, sign1_q;
  logic [KDIM*7-1:0]  exp1_q;
  logic [KDIM*15-1:0] mag1_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
    end else begin
      v1_q <= valid_i;
    end
  end

  always_ff @(posedge clk_i) begin
    nan1_q  <= any_nan || (inf_pos && inf_neg);
    inf1_q  <= inf_pos || inf_neg;
    infs1_q <= inf_neg;
    emax1_q <= emax;
    ok1_q   <= term_ok;
    sign1_q <= sign_i;
    exp1_q  <= exp_i;
    mag1_q  <= mag_i;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 2: alignment (truncating shift) and sign
  // ---------------------------------------------------------------------------------------------
  logic signed [AccW-1:0] aligned [KDIM];
  always_comb begin
    for (int k = 0; k < KDIM; k++) begin
      logic [6:0]  d;
      logic [16:0] wide;
      d    = emax1_q - exp1_q[7*k +: 7];
      wide = {mag1_q[15*k +: 15], 2'b00} >> ((d > 7'd17) ? 7'd17 : d);
      if (!ok1_q[k]) wide = '0;
      aligned[k] = sign1_q[k] ? -$signed(AccW'(wide)) : $signed(AccW'(wide));
    end
  end

  logic                   v2_q, nan2_q, inf2_q, infs2_q;
  logic [6:0]             emax2_q;
  logic signed [AccW-1:0] aligned_q [KDIM];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v2_q <= 1'b0;
    end else begin
      v2_q <= v1_q;
    end
  end

  always_ff @(posedge clk_i) begin
    nan2_q  <= nan1_q;
    inf2_q  <= inf1_q;
    infs2_q <= infs1_q;
    emax2_q <= emax1_q;
    for (int k = 0; k < KDIM; k++) begin
      aligned_q[k] <= aligned[k];
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 3: fixed-point sum
  // ---------------------------------------------------------------------------------------------
  logic signed [AccW-1:0] sum;
  always_comb begin
    sum = '0;
    for (int k = 0; k < KDIM; k++) begin
      sum = sum + aligned_q[k];
    end
  end

  logic                   v3_q, nan3_q, inf3_q, infs3_q;
  logic [6:0]             emax3_q;
  logic signed [AccW-1:0] sum_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v3_q <= 1'b0;
    end else begin
      v3_q <= v2_q;
    end
  end

  always_ff @(posedge clk_i) begin
    nan3_q  <= nan2_q;
    inf3_q  <= inf2_q;
    infs3_q <= infs2_q;
    emax3_q <= emax2_q;
    sum_q   <= sum;
  end

  // ---------------------------------------------------------------------------------------------
  // Stage 4: one conversion to FP32 (exact: |sum| < 2^23)
  // ---------------------------------------------------------------------------------------------
  logic [AccW-1:0] abs_sum;
  logic [4:0]      msb;
  logic [23:0]     norm;
  logic [7:0]      bexp;
  logic [31:0]     fp32;

  // Leading one of the magnitude (a function: Icarus re-runs an always_comb that rewrites and
  // re-reads a variable, e.g. a priority loop, and can leave it unsettled)
  function automatic logic [4:0] lead_one(logic [AccW-1:0] v);
    logic [4:0] r;
    r = 5'd0;
    for (int i = 0; i < AccW; i++) begin
      if (v[i]) r = 5'(i);
    end
    return r;
  endfunction

  assign abs_sum = sum_q[AccW-1] ? AccW'(-sum_q) : AccW'(sum_q);
  assign msb     = lead_one(abs_sum);
  assign norm    = 24'(abs_sum) << (5'd23 - msb);
  assign bexp    = 8'(emax3_q) + 8'(msb) + 8'(127 - ExpBias);
  assign fp32    = nan3_q ? 32'h7FC0_0000 :
                   inf3_q ? {infs3_q, 8'hFF, 23'd0} :
                   (abs_sum == '0) ? 32'h0000_0000 : {sum_q[AccW-1], bexp, norm[22:0]};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_o <= 1'b0;
    end else begin
      valid_o <= v3_q;
    end
  end

  always_ff @(posedge clk_i) begin
    fp32_o <= fp32;
  end

  // norm[23] is the leading one, implicit in FP32
  logic unused_norm;
  assign unused_norm = norm[23];

endmodule
