// NPE RMSNorm statistics unit (paper 3.1, Alg. 1): consumes a stream of buffer words, rows of
// row_words_i words each, and writes r = rsqrt(sum(x^2) * inv_d + eps) (FP32) per row to the
// statistics RAM. Fully pipelined, one word per cycle, no backpressure: it can snoop any stream
// (the global-buffer write port while a LOAD/VADD fills a row block, or the NPE's own reads for
// the row-wise RMSSQ pass). Order of operations (= model/npe.py: rms_stats): lane l accumulates
// x[l + LANES*j]^2 in FP32 from +0, the lanes are summed by a pairwise tree, then * inv_d,
// + eps, rsqrt.

module skipopu_npe_rms
  import skipopu_pkg::*;
#(
  // Word width in bits (LANES = DATA_W / 16 FP16 values, a power of two)
  parameter int DATA_W = 256,
  // Statistics RAM address width
  parameter int SAW = 8
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Start of a block: row counter and word counter restart; rows go to stat_base_i + r
  input  logic              start_i,
  input  logic [SAW-1:0]    stat_base_i,
  input  logic [15:0]       row_words_i,    // >= 1
  input  logic [31:0]       inv_d_i,        // FP32 1 / (row_words * LANES)
  input  logic [31:0]       eps_i,          // FP32

  input  logic              valid_i,
  input  logic [DATA_W-1:0] data_i,

  output logic              stat_we_o,
  output logic [SAW-1:0]    stat_waddr_o,
  output logic [31:0]       stat_wdata_o,
  output logic              busy_o          // words in flight
);

  localparam int Lanes  = DATA_W / 16;
  localparam int Levels = $clog2(Lanes);

  // Datapath registers advance only while words are in flight (clock enable)
  logic en;
  assign en = valid_i || busy_o;

  // ---- word and row counters --------------------------------------------------------------
  logic [15:0]    wcnt_q;
  logic [SAW-1:0] row_q;
  logic           first, last;
  assign first = (wcnt_q == '0);
  assign last  = (wcnt_q == row_words_i - 16'd1);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wcnt_q <= '0;
      row_q  <= '0;
    end else if (start_i) begin
      wcnt_q <= '0;
      row_q  <= stat_base_i;
    end else if (valid_i) begin
      wcnt_q <= last ? '0 : wcnt_q + 16'd1;
      if (last) row_q <= row_q + 1'b1;
    end
  end

  // ---- stage 1: squares -------------------------------------------------------------------
  logic           s1_v_q, s1_first_q, s1_last_q;
  logic [SAW-1:0] s1_row_q;
  logic [31:0]    sq_q [Lanes];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_v_q <= 1'b0;
    end else begin
      s1_v_q <= valid_i && !start_i;
    end
  end
  always_ff @(posedge clk_i) if (en) begin
    s1_first_q <= first;
    s1_last_q  <= last;
    s1_row_q   <= row_q;
  end

  // ---- stage 2: per-lane accumulators; the row total enters the tree at the last word -----
  logic [31:0]    acc_q [Lanes];
  logic [31:0]    tree_q [Levels + 1][Lanes];
  logic [Levels:0] tree_v_q;
  logic [Levels:0][SAW-1:0] tree_row_q;   // packed (Icarus: docs/verification.md)

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [31:0] x32, sq, acc_in, acc_d;
    assign x32 = fp16_to_fp32(data_i[16*l +: 16]);
    skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_sq (.a_i(x32), .b_i(x32), .y_o(sq));
    always_ff @(posedge clk_i) if (en) begin
      sq_q[l] <= sq;
    end
    assign acc_in = s1_first_q ? 32'd0 : acc_q[l];
    skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_acc (.a_i(acc_in), .b_i(sq_q[l]), .y_o(acc_d));
    always_ff @(posedge clk_i) if (en) begin
      if (s1_v_q) acc_q[l] <= acc_d;
      tree_q[0][l] <= acc_d;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tree_v_q <= '0;
    end else begin
      tree_v_q <= {tree_v_q[Levels-1:0], s1_v_q && s1_last_q};
    end
  end
  always_ff @(posedge clk_i) if (en) begin
    tree_row_q[0] <= s1_row_q;
    for (int k = 1; k <= Levels; k++) tree_row_q[k] <= tree_row_q[k-1];
  end

  // ---- pairwise lane tree, one register level per adder level -------------------------------
  for (genvar k = 0; k < Levels; k++) begin : g_level
    for (genvar i = 0; i < (Lanes >> (k + 1)); i++) begin : g_add
      logic [31:0] s;
      skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_add (.a_i(tree_q[k][2*i]),
                                                     .b_i(tree_q[k][2*i+1]), .y_o(s));
      always_ff @(posedge clk_i) if (en) begin
        tree_q[k+1][i] <= s;
      end
    end
    for (genvar i = (Lanes >> (k + 1)); i < Lanes; i++) begin : g_pad
      always_ff @(posedge clk_i) if (en) begin
        tree_q[k+1][i] <= '0;
      end
    end
  end

  // ---- mean, + eps, rsqrt -------------------------------------------------------------------
  logic [31:0] mean, mean_q, var_eps, var_q, r;
  skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mean (.a_i(tree_q[Levels][0]), .b_i(inv_d_i),
                                                  .y_o(mean));
  always_ff @(posedge clk_i) if (en) begin
    mean_q <= mean;
  end
  skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_eps (.a_i(mean_q), .b_i(eps_i), .y_o(var_eps));
  always_ff @(posedge clk_i) if (en) begin
    var_q <= var_eps;
  end
  skipopu_npe_rsqrt u_rsqrt (.clk_i, .en_i(en), .x_i(var_q), .y_o(r));

  // valid/row tags for the 2 + NpeRsqrtLat cycles after the tree
  localparam int TagLat = 2 + NpeRsqrtLat;
  logic [TagLat-1:0] tag_v_q;
  logic [TagLat-1:0][SAW-1:0] tag_row_q;  // packed (Icarus: docs/verification.md)
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tag_v_q <= '0;
    end else begin
      tag_v_q <= {tag_v_q[TagLat-2:0], tree_v_q[Levels]};
    end
  end
  always_ff @(posedge clk_i) if (en) begin
    tag_row_q[0] <= tree_row_q[Levels];
    for (int k = 1; k < TagLat; k++) tag_row_q[k] <= tag_row_q[k-1];
  end

  assign stat_we_o    = tag_v_q[TagLat-1];
  assign stat_waddr_o = tag_row_q[TagLat-1];
  assign stat_wdata_o = r;

  // Busy while any word or row total is in flight
  assign busy_o = s1_v_q || (|tree_v_q) || (|tag_v_q);

endmodule
