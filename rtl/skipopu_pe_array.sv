// PE array (paper 4.2): KDIM rows x NCOL columns of products, built from KDIM x NCOL/2 PEs
// (one DSP48E2 each, two columns per PE sharing the activation of the row) and one BFP tree per
// column. Weight-stationary: the weight tile is held in w_i (from the KER buffer); one
// activation vector of KDIM FP16 values enters per cycle and NCOL FP32 tile sums leave per cycle
// after PE (3) + tree (4) = 7 cycles. Bit-exact with model/pe.py (pe_*_pair + bfp_tree +
// tree_to_fp32) per column.

module skipopu_pe_array #(
  // Rows (products per column per tile), power of 2, <= 128
  parameter int KDIM = 16,
  // Columns, even
  parameter int NCOL = 16
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   int4_i,     // weight format of the tile
  // weight tile: w_i[(k*NCOL + c)*16 +: 16] is row k, column c (INT4 in the low 4 bits)
  input  logic [KDIM*NCOL*16-1:0] w_i,
  input  logic                   valid_i,
  input  logic [KDIM*16-1:0]     x_i,        // x_i[k*16 +: 16] = activation of row k
  output logic                   valid_o,
  output logic [NCOL*32-1:0]     y_o         // y_o[c*32 +: 32] = FP32 tile sum of column c
);

  localparam int NPE = NCOL / 2;

  // PE outputs regrouped per column: k-th term of column c at index k. Packed arrays: Icarus 11
  // mis-resolves bit assigns into words of unpacked arrays made from several generate blocks.
  logic [NCOL-1:0][KDIM-1:0]    zero_c;
  logic [NCOL-1:0][KDIM-1:0]    nan_c;
  logic [NCOL-1:0][KDIM-1:0]    inf_c;
  logic [NCOL-1:0][KDIM-1:0]    sign_c;
  logic [NCOL-1:0][KDIM*7-1:0]  exp_c;
  logic [NCOL-1:0][KDIM*15-1:0] mag_c;
  logic [KDIM*NPE-1:0] pe_valid;

  for (genvar k = 0; k < KDIM; k++) begin : g_row
    for (genvar j = 0; j < NPE; j++) begin : g_pe
      logic [1:0]  zero, nan, inf, sign;
      logic [13:0] exp;
      logic [29:0] mag;

      skipopu_pe u_pe (
        .clk_i,
        .rst_ni,
        .valid_i(valid_i),
        .int4_i (int4_i),
        .x_i    (x_i[k*16 +: 16]),
        .w1_i   (w_i[(k*NCOL + 2*j) * 16 +: 16]),
        .w2_i   (w_i[(k*NCOL + 2*j + 1) * 16 +: 16]),
        .valid_o(pe_valid[k*NPE + j]),
        .zero_o (zero),
        .nan_o  (nan),
        .inf_o  (inf),
        .sign_o (sign),
        .exp_o  (exp),
        .mag_o  (mag)
      );

      for (genvar h = 0; h < 2; h++) begin : g_half
        assign zero_c[2*j + h][k]          = zero[h];
        assign nan_c[2*j + h][k]           = nan[h];
        assign inf_c[2*j + h][k]           = inf[h];
        assign sign_c[2*j + h][k]          = sign[h];
        assign exp_c[2*j + h][k*7 +: 7]    = exp[h*7 +: 7];
        assign mag_c[2*j + h][k*15 +: 15]  = mag[h*15 +: 15];
      end
    end
  end

  logic [NCOL-1:0] col_valid;

  for (genvar c = 0; c < NCOL; c++) begin : g_col
    skipopu_bfp_tree #(
      .KDIM(KDIM)
    ) u_tree (
      .clk_i,
      .rst_ni,
      .valid_i(pe_valid[0]),
      .zero_i (zero_c[c]),
      .nan_i  (nan_c[c]),
      .inf_i  (inf_c[c]),
      .sign_i (sign_c[c]),
      .exp_i  (exp_c[c]),
      .mag_i  (mag_c[c]),
      .valid_o(col_valid[c]),
      .fp32_o (y_o[c*32 +: 32])
    );
  end

  assign valid_o = col_valid[0];

  // every PE and tree runs in lockstep; one valid of each kind drives the rest
  logic unused_valid;
  assign unused_valid = ^{pe_valid[KDIM*NPE-1:1], col_valid[NCOL-1:1]};

endmodule
