// NPE exponential, FP32 in / FP32 out (docs/npe.md): t = x * log2(e); n = nearest integer of t;
// f = t - n; 2^f by a degree-5 polynomial (Horner) on the core's FP32 units; exponent += n.
// Fully pipelined, one input per cycle, a register after every FP operation: y_o is the result
// for the x_i presented NpeExpLat (skipopu_pkg) cycles earlier. Datapath registers have no
// reset and hold while en_i is low. Bit-exact with model/npe_units.py:exp.

module skipopu_npe_exp
  import skipopu_pkg::*;
(
  input  logic        clk_i,
  input  logic        en_i,         // advance the pipeline (clock enable)
  input  logic [31:0] x_i,
  output logic [31:0] y_o
);

  // BEGIN GENERATED (tools/gen_npe_tables.py): constants from model/npe_units.py
  localparam logic [31:0] Log2e = 32'h3fb8aa3b;
  localparam logic [31:0] Poly0 = 32'h3aaf9334;
  localparam logic [31:0] Poly1 = 32'h3c1e723b;
  localparam logic [31:0] Poly2 = 32'h3d63578a;
  localparam logic [31:0] Poly3 = 32'h3e75fcc9;
  localparam logic [31:0] Poly4 = 32'h3f317218;
  localparam logic [31:0] Poly5 = 32'h3f800000;
  // END GENERATED

  // Stage 1: t = x * log2(e)
  logic [31:0] t, t_q, x1_q;
  skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul_t (.a_i(x_i), .b_i(Log2e), .y_o(t));
  always_ff @(posedge clk_i) if (en_i) begin
    t_q  <= t;
    x1_q <= x_i;
  end

  // Stage 2: n = nearest integer of t (ties away from zero, |n| saturated at 1024); f = t - n
  // (exact). Each intermediate is assigned once (continuous assigns and a function): Icarus
  // re-runs an always_comb that writes and re-reads a variable.
  function automatic logic [4:0] msb11(logic [10:0] v);
    logic [4:0] r;
    r = '0;
    for (int i = 0; i < 11; i++) begin
      if (v[i]) r = 5'(i);
    end
    return r;
  endfunction

  logic signed [9:0]  sh;
  logic [24:0]        sig, rnd;
  logic [10:0]        mag;
  logic [4:0]         msb;
  logic signed [11:0] n;
  logic [31:0]        neg_n_f;      // -n as FP32 (exact)
  logic [31:0]        f;
  assign sh  = 10'sd150 - $signed({2'b00, t_q[30:23]});
  assign sig = {2'b01, t_q[22:0]};
  assign rnd = (sig + (25'd1 << (sh - 10'sd1))) >> sh;    // used only when 0 < sh < 25
  assign mag = (t_q[30:23] == 8'd0 || sh >= 10'sd25) ? 11'd0 :
               (sh <= 10'sd0 || rnd > 25'd1024)       ? 11'd1024 : 11'(rnd);
  assign n   = t_q[31] ? -$signed({1'b0, mag}) : $signed({1'b0, mag});
  assign msb = msb11(mag);
  assign neg_n_f = (mag == '0) ? 32'd0 :
                   {~t_q[31], 8'(8'd127 + 8'(msb)), 23'(({12'd0, mag} << (5'd23 - msb)))};
  skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_add_f (.a_i(t_q), .b_i(neg_n_f), .y_o(f));

  // Stages 3..12: p = 2^f by Horner, a multiply and an add stage per coefficient. x and n
  // travel along for the final stage.
  localparam int HornerStages = 10;
  logic [31:0]        f_q  [HornerStages + 1];
  logic [31:0]        h_q  [HornerStages + 1];
  logic [31:0]        x_q  [HornerStages + 1];
  logic signed [11:0] n_q  [HornerStages + 1];
  always_ff @(posedge clk_i) if (en_i) begin
    f_q[0] <= f;
    h_q[0] <= Poly0;
    x_q[0] <= x1_q;
    n_q[0] <= n;
  end
  for (genvar i = 0; i < HornerStages; i++) begin : g_horner
    logic [31:0] r;
    if (i % 2 == 0) begin : g_mul
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (.a_i(h_q[i]), .b_i(f_q[i]), .y_o(r));
    end else begin : g_add
      localparam int C = i / 2;
      logic [31:0] c;
      assign c = (C == 0) ? Poly1 : (C == 1) ? Poly2 : (C == 2) ? Poly3 : (C == 3) ? Poly4 :
                 Poly5;
      skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_add (.a_i(h_q[i]), .b_i(c), .y_o(r));
    end
    always_ff @(posedge clk_i) if (en_i) begin
      h_q[i+1] <= r;
      f_q[i+1] <= f_q[i];
      x_q[i+1] <= x_q[i];
      n_q[i+1] <= n_q[i];
    end
  end

  // Stage 13: scale by 2^n, specials
  logic [30:0]        p;            // 2^f is positive
  logic [31:0]        xs;
  logic signed [12:0] re;
  logic [31:0]        y;
  assign p  = h_q[HornerStages][30:0];
  logic unused_sign;
  assign unused_sign = h_q[HornerStages][31];
  assign xs = x_q[HornerStages];
  assign re = $signed({5'd0, p[30:23]}) + 13'(n_q[HornerStages]);
  assign y  = (xs[30:23] == 8'hFF) ? ((xs[22:0] != '0) ? 32'h7FC0_0000 :
                                      (xs[31] ? 32'd0 : 32'h7F80_0000)) :
              (re >= 13'sd255) ? 32'h7F80_0000 :
              (re <= 13'sd0)   ? 32'd0 : {1'b0, re[7:0], p[22:0]};
  always_ff @(posedge clk_i) if (en_i) begin
    y_o <= y;
  end

endmodule
