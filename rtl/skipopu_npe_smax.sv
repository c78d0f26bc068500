// NPE online-softmax engine (paper 3.2, 4.3; docs/softmax.md). Keeps the FlashAttention row
// features (m, l) in FP32 per row in a feature RAM and has two streams:
//   update     one score tile (word of LANES FP16 scores, lane-valid mask) of a row:
//                tm = tree max of the live scores; m' = max(m, tm);
//                l' = l * exp(m - m') + tree sum of exp(s - m')
//              fully pipelined for words of different rows (one per cycle); a word whose row
//              still has an update in flight waits (upd_ready_o low), so the words of one row
//              are applied in arrival order, UpdPeriod cycles apart.
//   normalise  one score word of a row -> P = fp16(exp(s - m) * recip(l)) per lane, one word
//              per cycle with valid/ready backpressure; recip(l) is computed per word (one
//              reciprocal unit for the word, next to the LANES exp units).
// A lane is live when its mask bit is set and its score is not -Inf; dead lanes are ignored by
// the max, add exactly +0 to the sum and give P = +0; a tile without a live lane leaves (m, l)
// unchanged. upd_first_i restarts the row at (m, l) = (-Inf, +0) before the tile. Bit-exact with
// model/npe.py: softmax_update / softmax_normalize.

module skipopu_npe_smax
  import skipopu_pkg::*;
#(
  // Word width in bits: LANES = DATA_W / 16 FP16 scores per word (a power of two, >= 2 lanes)
  parameter int DATA_W = 256,
  // Feature RAM depth in rows (a power of two, >= 2)
  parameter int ROWS = 64,
  // Row index width (derived)
  parameter int RW = $clog2(ROWS),
  // Lanes per word (derived)
  parameter int LANES = DATA_W / 16
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // Feature update stream. upd_ready_o depends on upd_row_i (not on upd_valid_i).
  input  logic              upd_valid_i,
  output logic              upd_ready_o,    // low while row upd_row_i has an update in flight
  input  logic [RW-1:0]     upd_row_i,
  input  logic              upd_first_i,    // first tile of the row: start from (-Inf, +0)
  input  logic [DATA_W-1:0] upd_data_i,     // LANES FP16 scores, lane i = bits [16i +: 16]
  input  logic [LANES-1:0]  upd_mask_i,     // lane-valid mask
  output logic              upd_busy_o,     // update words in flight

  // One pulse per update word, the cycle after its features were written (then readable)
  output logic              upd_done_o,
  output logic [RW-1:0]     upd_done_row_o,
  output logic [31:0]       upd_done_m_o,
  output logic [31:0]       upd_done_l_o,

  // Normalise stream. nrm_ready_o depends on nrm_row_i and p_ready_i (not on nrm_valid_i); a
  // word sees every update of its row accepted in an earlier cycle.
  input  logic              nrm_valid_i,
  output logic              nrm_ready_o,
  input  logic [RW-1:0]     nrm_row_i,
  input  logic [DATA_W-1:0] nrm_data_i,
  input  logic [LANES-1:0]  nrm_mask_i,
  output logic              p_valid_o,
  input  logic              p_ready_i,
  output logic [DATA_W-1:0] p_data_o,       // LANES FP16 probabilities, +0 in dead lanes

  // Feature read port: rd_m_o / rd_l_o of row rd_row_i one cycle after rd_en_i (rd_valid_o)
  input  logic              rd_en_i,
  input  logic [RW-1:0]     rd_row_i,
  output logic              rd_valid_o,
  output logic [31:0]       rd_m_o,
  output logic [31:0]       rd_l_o
);

  localparam int Levels = $clog2(LANES);
  localparam logic [31:0] NegInf = 32'hFF80_0000;
  localparam logic [15:0] NegInf16 = 16'hFC00;

  // Update pipeline: a word accepted in cycle c is at stage k in cycle c + k
  localparam int UpdRd  = 2;                        // reads its row's features
  localparam int UpdExp = 4;                        // exp inputs registered
  localparam int UpdE   = UpdExp + NpeExpLat;       // exp results registered
  localparam int UpdWr  = UpdE + Levels;            // sum registered; final add and RAM write
  localparam int UpdPeriod = UpdWr - UpdRd + 1;     // min. cycles between two words of one row

  // Normalise pipeline (stage k = k enabled cycles after acceptance)
  localparam int NrmExp = 2;                        // exp inputs registered
  localparam int NrmE   = NrmExp + NpeExpLat;       // exp and recip results registered
  localparam int NrmRcp = NrmE - NpeRecipLat;       // recip input registered (>= 1)
  localparam int NrmOut = NrmE + 2;                 // product, then the FP16 word registered

  // max of two FP32 values by their sign-magnitude keys (the canonical NaN orders above +Inf);
  // ties (equal bits, or -0 against +0) keep a. One return (Icarus: docs/verification.md).
  function automatic logic [31:0] fmax32(logic [31:0] a, logic [31:0] b);
    logic signed [32:0] ka, kb;
    ka = a[31] ? -$signed({2'b00, a[30:0]}) : $signed({2'b00, a[30:0]});
    kb = b[31] ? -$signed({2'b00, b[30:0]}) : $signed({2'b00, b[30:0]});
    return (kb > ka) ? b : a;
  endfunction

  // ---- feature RAM: {m, l} per row; one write port, asynchronous reads (distributed RAM) ----
  logic [63:0]    feat_mem [ROWS];
  logic           feat_we;
  logic [RW-1:0]  feat_waddr;
  logic [63:0]    feat_wdata;

  always_ff @(posedge clk_i) begin
    if (feat_we) feat_mem[feat_waddr] <= feat_wdata;
  end

  // =========================================================================================
  // Update pipeline
  // =========================================================================================
  logic [UpdWr:1]         u_v_q;      // a word at stage k
  logic [UpdWr:1][RW-1:0] u_row_q;    // packed stage arrays (Icarus: docs/verification.md)
  // Values travelling along the update pipeline (index = stage)
  logic [UpdWr:3][31:0]     u_m2_q;   // m'
  logic [UpdWr:3][31:0]     u_l_q;    // l (after the first-flag restart)
  logic [UpdWr:2]           u_any_q;  // the tile has a live lane
  logic [UpdE:2][LANES-1:0] u_live_q;

  // Stall rule: the word at stage k of the same row writes at stage UpdWr; a new word reads at
  // UpdRd, i.e. after that write iff k >= UpdPeriod
  logic [UpdPeriod-1:1] u_hit;
  for (genvar k = 1; k < UpdPeriod; k++) begin : g_u_hit
    assign u_hit[k] = u_v_q[k] && (u_row_q[k] == upd_row_i);
  end
  assign upd_ready_o = ~|u_hit;

  logic upd_fire, u_en;
  assign upd_fire = upd_valid_i && upd_ready_o;
  // Datapath registers advance only while words are in flight (clock enable)
  assign u_en = upd_valid_i || (|u_v_q);
  assign upd_busy_o = |u_v_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) u_v_q <= '0;
    else         u_v_q <= {u_v_q[UpdWr-1:1], upd_fire};
  end

  // ---- stage 1: input register; lane liveness and the tile max (comparator tree) -----------
  logic [DATA_W-1:0] u1_x_q;
  logic [LANES-1:0]  u1_mask_q;
  logic              u1_first_q;

  logic [LANES-1:0]       u1_live;
  logic [LANES-1:0][31:0] u1_mx;             // live score or -Inf
  // Tree nodes: level j (1..Levels) holds LANES >> j nodes from index LANES - (LANES >> (j-1))
  logic [LANES-2:0][31:0] u1_max;
  for (genvar i = 0; i < LANES; i++) begin : g_u1_lane
    logic [15:0] x16;
    assign x16 = u1_x_q[16*i +: 16];
    assign u1_live[i] = u1_mask_q[i] && (x16 != NegInf16);
    assign u1_mx[i]   = u1_live[i] ? fp16_to_fp32(x16) : NegInf;
  end
  for (genvar j = 1; j <= Levels; j++) begin : g_u1_max
    localparam int Off  = LANES - (LANES >> (j - 1));   // this level's first node
    localparam int Prev = LANES - ((2 * LANES) >> (j - 1));  // previous level (j >= 2)
    for (genvar i = 0; i < (LANES >> j); i++) begin : g_node
      if (j == 1) begin : g_leaf
        assign u1_max[Off + i] = fmax32(u1_mx[2*i], u1_mx[2*i+1]);
      end else begin : g_inner
        assign u1_max[Off + i] = fmax32(u1_max[Prev + 2*i], u1_max[Prev + 2*i + 1]);
      end
    end
  end

  // ---- stage 2: feature read, m' = max(m, tm) ------------------------------------------------
  logic [DATA_W-1:0] u2_x_q;
  logic              u2_first_q;
  logic [31:0]       u2_tm_q;

  logic [63:0] u2_feat;
  logic [31:0] u2_m, u2_l, u2_m2;
  assign u2_feat = feat_mem[u_row_q[UpdRd]];
  assign u2_m  = u2_first_q ? NegInf : u2_feat[63:32];
  assign u2_l  = u2_first_q ? 32'd0 : u2_feat[31:0];
  assign u2_m2 = fmax32(u2_m, u2_tm_q);

  // ---- stage 3: s - m' per lane, m - m' --------------------------------------------------------
  logic [DATA_W-1:0] u3_x_q;
  logic [31:0]       u3_m_q;

  logic [LANES:0][31:0] u3_d;                // lanes, then m - m' (the correction exponent)
  for (genvar i = 0; i < LANES; i++) begin : g_u3_lane
    logic [31:0] x32, d;
    assign x32 = fp16_to_fp32(u3_x_q[16*i +: 16]);
    skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_sub (
      .a_i(x32), .b_i({~u_m2_q[3][31], u_m2_q[3][30:0]}), .y_o(d));
    assign u3_d[i] = d;
  end
  logic [31:0] u3_dm;
  skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_sub_m (
    .a_i(u3_m_q), .b_i({~u_m2_q[3][31], u_m2_q[3][30:0]}), .y_o(u3_dm));
  assign u3_d[LANES] = u3_dm;

  // ---- stages 4..UpdE: exp (LANES + 1 units) --------------------------------------------------
  logic [LANES:0][31:0] u4_d_q;
  logic [LANES:0][31:0] u_e;                 // exp results at stage UpdE
  for (genvar i = 0; i <= LANES; i++) begin : g_u_exp
    logic [31:0] y;
    skipopu_npe_exp u_exp (.clk_i, .en_i(u_en), .x_i(u4_d_q[i]), .y_o(y));
    assign u_e[i] = y;
  end

  // ---- stages UpdE..UpdWr: l * corr; pairwise sum tree, one level per stage -------------------
  logic [31:0] u_lc;
  skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul_l (
    .a_i(u_l_q[UpdE]), .b_i(u_e[LANES]), .y_o(u_lc));
  logic [UpdWr:UpdE+1][31:0] u_lc_q;

  logic [LANES-1:0][31:0] u_e0;              // tree leaves: exp of live lanes, +0 otherwise
  for (genvar i = 0; i < LANES; i++) begin : g_u_leaf
    assign u_e0[i] = u_live_q[UpdE][i] ? u_e[i] : 32'd0;
  end
  // Level j nodes (registered at stage UpdE + j) at the same offsets as the max tree
  logic [LANES-2:0][31:0] u_sum, u_sum_q;
  for (genvar j = 1; j <= Levels; j++) begin : g_u_sum
    localparam int Off  = LANES - (LANES >> (j - 1));
    localparam int Prev = LANES - ((2 * LANES) >> (j - 1));
    for (genvar i = 0; i < (LANES >> j); i++) begin : g_node
      logic [31:0] a, b, s;
      if (j == 1) begin : g_leaf
        assign a = u_e0[2*i];
        assign b = u_e0[2*i+1];
      end else begin : g_inner
        assign a = u_sum_q[Prev + 2*i];
        assign b = u_sum_q[Prev + 2*i + 1];
      end
      skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_add (.a_i(a), .b_i(b), .y_o(s));
      assign u_sum[Off + i] = s;
    end
  end

  // ---- stage UpdWr: l' = l * corr + sum, write back -------------------------------------------
  logic [31:0] u_lnew;
  skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_add_l (
    .a_i(u_lc_q[UpdWr]), .b_i(u_sum_q[LANES-2]), .y_o(u_lnew));

  assign feat_we    = u_v_q[UpdWr];
  assign feat_waddr = u_row_q[UpdWr];
  // Without a live lane m' = m exactly (max with -Inf), and l is kept
  assign feat_wdata = {u_m2_q[UpdWr], u_any_q[UpdWr] ? u_lnew : u_l_q[UpdWr]};

  // ---- update datapath registers (one process; packed stage arrays) -------------------------
  always_ff @(posedge clk_i) if (u_en) begin
    u_row_q[1] <= upd_row_i;
    for (int k = 2; k <= UpdWr; k++) u_row_q[k] <= u_row_q[k-1];
    u1_x_q     <= upd_data_i;
    u1_mask_q  <= upd_mask_i;
    u1_first_q <= upd_first_i;
    // stage 2
    u2_x_q      <= u1_x_q;
    u2_first_q  <= u1_first_q;
    u2_tm_q     <= u1_max[LANES-2];
    u_live_q[2] <= u1_live;
    u_any_q[2]  <= |u1_live;
    for (int k = 3; k <= UpdE; k++) u_live_q[k] <= u_live_q[k-1];
    for (int k = 3; k <= UpdWr; k++) u_any_q[k] <= u_any_q[k-1];
    // stage 3
    u3_x_q    <= u2_x_q;
    u3_m_q    <= u2_m;
    u_m2_q[3] <= u2_m2;
    u_l_q[3]  <= u2_l;
    for (int k = 4; k <= UpdWr; k++) begin
      u_m2_q[k] <= u_m2_q[k-1];
      u_l_q[k]  <= u_l_q[k-1];
    end
    // stage 4
    u4_d_q <= u3_d;
    // stages UpdE + 1 ..
    u_lc_q[UpdE+1] <= u_lc;
    for (int k = UpdE + 2; k <= UpdWr; k++) u_lc_q[k] <= u_lc_q[k-1];
    u_sum_q <= u_sum;
  end

  // Completion report, registered: the write of the previous cycle is visible to every reader
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) upd_done_o <= 1'b0;
    else         upd_done_o <= feat_we;
  end
  always_ff @(posedge clk_i) if (feat_we) begin
    upd_done_row_o <= feat_waddr;
    {upd_done_m_o, upd_done_l_o} <= feat_wdata;
  end

  // =========================================================================================
  // Normalise pipeline
  // =========================================================================================
  logic [NrmOut:1] n_v_q;
  logic            n_adv, n_en, nrm_fire;
  // The whole pipeline advances unless its output is held
  assign n_adv = !n_v_q[NrmOut] || p_ready_i;
  assign n_en  = n_adv && (nrm_valid_i || (|n_v_q));

  // A word reads (m, l) when accepted, so it waits while an update of its row is in flight
  // (stages 1..UpdWr; the write at UpdWr commits at the end of that cycle)
  logic [UpdWr:1] n_hit;
  for (genvar k = 1; k <= UpdWr; k++) begin : g_n_hit
    assign n_hit[k] = u_v_q[k] && (u_row_q[k] == nrm_row_i);
  end
  assign nrm_ready_o = n_adv && !(|n_hit);
  assign nrm_fire    = nrm_valid_i && nrm_ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)    n_v_q <= '0;
    else if (n_adv) n_v_q <= {n_v_q[NrmOut-1:1], nrm_fire};
  end

  // ---- stage 1: input and features; s - m ------------------------------------------------------
  logic [63:0]       n_feat;
  assign n_feat = feat_mem[nrm_row_i];
  logic [DATA_W-1:0] n1_x_q;
  logic [LANES-1:0]  n1_mask_q;
  logic [31:0]       n1_m_q;

  logic [LANES-1:0]       n1_live;
  logic [LANES-1:0][31:0] n1_d;
  for (genvar i = 0; i < LANES; i++) begin : g_n1_lane
    logic [15:0] x16;
    logic [31:0] d;
    assign x16 = n1_x_q[16*i +: 16];
    assign n1_live[i] = n1_mask_q[i] && (x16 != NegInf16);
    skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_sub (
      .a_i(fp16_to_fp32(x16)), .b_i({~n1_m_q[31], n1_m_q[30:0]}), .y_o(d));
    assign n1_d[i] = d;
  end

  // ---- stages 2..NrmE: exp per lane; recip(l) of the word -----------------------------------
  logic [LANES-1:0][31:0]       n2_d_q;
  logic [NrmE:2][LANES-1:0]     n_live_q;
  logic [NrmRcp:1][31:0]        n_l_q;
  logic [LANES-1:0][31:0]       n_e;
  logic [31:0]                  n_r;
  for (genvar i = 0; i < LANES; i++) begin : g_n_exp
    logic [31:0] y;
    skipopu_npe_exp u_exp (.clk_i, .en_i(n_en), .x_i(n2_d_q[i]), .y_o(y));
    assign n_e[i] = y;
  end
  skipopu_npe_recip u_recip (.clk_i, .en_i(n_en), .x_i(n_l_q[NrmRcp]), .y_o(n_r));

  // ---- stage NrmE: p = e * r; stage NrmE + 1: FP16, dead lanes +0 ------------------------------
  logic [LANES-1:0][31:0] n_p, n_p_q;
  logic [LANES-1:0]       n_live_p_q;
  logic [DATA_W-1:0]      n_y, n_y_q;
  for (genvar i = 0; i < LANES; i++) begin : g_n_out
    logic [31:0] p;
    logic [15:0] h;
    skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (.a_i(n_e[i]), .b_i(n_r), .y_o(p));
    assign n_p[i] = p;
    skipopu_fp_narrow u_narrow (.a_i(n_p_q[i]), .y_o(h));
    assign n_y[16*i +: 16] = n_live_p_q[i] ? h : 16'd0;
  end

  always_ff @(posedge clk_i) if (n_en) begin
    n1_x_q    <= nrm_data_i;
    n1_mask_q <= nrm_mask_i;
    n1_m_q    <= n_feat[63:32];
    n_l_q[1]  <= n_feat[31:0];
    for (int k = 2; k <= NrmRcp; k++) n_l_q[k] <= n_l_q[k-1];
    n2_d_q      <= n1_d;
    n_live_q[2] <= n1_live;
    for (int k = 3; k <= NrmE; k++) n_live_q[k] <= n_live_q[k-1];
    n_p_q      <= n_p;
    n_live_p_q <= n_live_q[NrmE];
    n_y_q      <= n_y;
  end

  assign p_valid_o = n_v_q[NrmOut];
  assign p_data_o  = n_y_q;

  // =========================================================================================
  // Feature read port
  // =========================================================================================
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) rd_valid_o <= 1'b0;
    else         rd_valid_o <= rd_en_i;
  end
  always_ff @(posedge clk_i) if (rd_en_i) begin
    {rd_m_o, rd_l_o} <= feat_mem[rd_row_i];
  end

endmodule
