// KV read unit: the read scheduler (skipopu_kv_sched) feeding the KV reader (skipopu_kv_rd) with
// the invariance buffer. Per decode step: pulse step_start_i, then one layer command per layer
// (layer 0 first); the unit reads every preceding token's KV entry for each layer where the
// current token attends and delivers them as lane-parallel rounds (see skipopu_kv_rd). The entry
// size is E = 2^cfg_log2e_i words (1 <= E <= ENTRY_WORDS, E >= NUM_PORTS interleaved), set while
// the unit is idle, like cfg_interleaved_i.

module skipopu_kv_unit #(
  // HBM ports
  parameter int NUM_PORTS = 4,
  // Invariance buffer read ports
  parameter int BUF_RD = 2,
  // Invariance buffer write ports
  parameter int BUF_WR = 2,
  // Invariance buffer capacity in entries (power of 2, >= 2)
  parameter int CAPACITY = 64,
  // Largest number of preceding tokens (power of 2, multiple of NUM_PORTS)
  parameter int MAX_TOKENS = 64,
  // Layer index width
  parameter int LAYER_W = 8,
  // Word width in bits
  parameter int DATA_W = 256,
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI ID width
  parameter int ID_W = 4,
  // Largest KV entry in words (power of 2, multiple of NUM_PORTS); the entry size E is run-time
  parameter int ENTRY_WORDS = 8,
  // Maximum beats per AXI burst
  parameter int MAX_BURST = 16,
  // Data FIFO depth per HBM port in words
  parameter int LANE_DEPTH = 64,
  // Rounds queued ahead of the output
  parameter int ROUND_DEPTH = 16,
  // Derived widths (do not override)
  parameter int TW = $clog2(MAX_TOKENS),
  parameter int EWW = (ENTRY_WORDS > 1) ? $clog2(ENTRY_WORDS) : 1,
  parameter int EW = (ENTRY_WORDS > 1) ? $clog2($clog2(ENTRY_WORDS) + 1) : 1,
  parameter int L = NUM_PORTS + BUF_RD
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        clr_i,

  input  logic                        cfg_interleaved_i,
  input  logic [EW-1:0]               cfg_log2e_i,   // log2 E, the entry size in words
  input  logic [NUM_PORTS*ADDR_W-1:0] cfg_base_i,

  input  logic                        step_start_i,
  input  logic                        cmd_valid_i,
  output logic                        cmd_ready_o,
  input  logic [TW:0]                 cmd_tokens_i,
  input  logic [MAX_TOKENS-1:0]       cmd_exec_i,
  input  logic [MAX_TOKENS-1:0]       cmd_exec_next_i,
  input  logic                        cmd_has_next_i,
  input  logic                        cmd_attend_i,
  input  logic                        cmd_buf_en_i,
  input  logic [LAYER_W-1:0]          cmd_layer_i,

  output logic                        out_valid_o,
  input  logic                        out_ready_i,
  output logic [L-1:0]                out_lane_valid_o,
  output logic [L*TW-1:0]             out_lane_token_o,
  output logic [L*EWW-1:0]            out_lane_word_o,
  output logic [L*DATA_W-1:0]         out_data_o,
  output logic [L-1:0]                out_err_o,
  output logic                        out_round_last_o,
  output logic                        out_layer_last_o,

  output logic                        busy_o,
  output logic                        err_o,
  output logic [31:0]                 stat_hbm_words_o,
  output logic [31:0]                 stat_buf_words_o,
  output logic [31:0]                 stat_keep_words_o,

  output logic [NUM_PORTS*ID_W-1:0]   m_axi_arid,
  output logic [NUM_PORTS*ADDR_W-1:0] m_axi_araddr,
  output logic [NUM_PORTS*8-1:0]      m_axi_arlen,
  output logic [NUM_PORTS*3-1:0]      m_axi_arsize,
  output logic [NUM_PORTS*2-1:0]      m_axi_arburst,
  output logic [NUM_PORTS-1:0]        m_axi_arlock,
  output logic [NUM_PORTS*4-1:0]      m_axi_arcache,
  output logic [NUM_PORTS*3-1:0]      m_axi_arprot,
  output logic [NUM_PORTS-1:0]        m_axi_arvalid,
  input  logic [NUM_PORTS-1:0]        m_axi_arready,
  input  logic [NUM_PORTS*ID_W-1:0]   m_axi_rid,
  input  logic [NUM_PORTS*DATA_W-1:0] m_axi_rdata,
  input  logic [NUM_PORTS*2-1:0]      m_axi_rresp,
  input  logic [NUM_PORTS-1:0]        m_axi_rlast,
  input  logic [NUM_PORTS-1:0]        m_axi_rvalid,
  output logic [NUM_PORTS-1:0]        m_axi_rready
);

  localparam int PW = (NUM_PORTS > 1) ? $clog2(NUM_PORTS) : 1;
  localparam int SW = $clog2(CAPACITY);

  logic               d_valid, d_ready, d_buf, d_keep, d_case1, d_layer_done;
  logic [TW-1:0]      d_token, d_hslot;
  logic [PW-1:0]      d_port;
  logic [LAYER_W-1:0] d_layer;
  logic [SW-1:0]      d_slot;
  logic [15:0]        d_round;
  logic               sched_busy;

  skipopu_kv_sched #(
    .MAX_TOKENS(MAX_TOKENS), .NUM_PORTS(NUM_PORTS), .BUF_RD(BUF_RD), .BUF_WR(BUF_WR),
    .CAPACITY(CAPACITY), .LAYER_W(LAYER_W)
  ) u_sched (
    .clk_i, .rst_ni,
    .step_start_i,
    .cmd_valid_i, .cmd_ready_o, .cmd_tokens_i, .cmd_exec_i, .cmd_exec_next_i, .cmd_has_next_i,
    .cmd_attend_i, .cmd_buf_en_i, .cmd_layer_i, .cmd_interleaved_i(cfg_interleaved_i),
    .out_valid_o(d_valid), .out_ready_i(d_ready), .out_token_o(d_token), .out_buf_o(d_buf),
    .out_port_o(d_port), .out_keep_o(d_keep), .out_round_o(d_round), .out_layer_o(d_layer),
    .out_hslot_o(d_hslot), .out_slot_o(d_slot), .out_case1_o(d_case1),
    .layer_done_o(d_layer_done)
  );

  skipopu_kv_rd #(
    .NUM_PORTS(NUM_PORTS), .BUF_RD(BUF_RD), .BUF_WR(BUF_WR), .CAPACITY(CAPACITY),
    .MAX_TOKENS(MAX_TOKENS), .LAYER_W(LAYER_W), .DATA_W(DATA_W), .ADDR_W(ADDR_W), .ID_W(ID_W),
    .ENTRY_WORDS(ENTRY_WORDS), .MAX_BURST(MAX_BURST), .LANE_DEPTH(LANE_DEPTH),
    .ROUND_DEPTH(ROUND_DEPTH)
  ) u_rd (
    .clk_i, .rst_ni, .clr_i,
    .cfg_interleaved_i, .cfg_log2e_i, .cfg_base_i,
    .in_valid_i(d_valid), .in_ready_o(d_ready), .in_token_i(d_token), .in_buf_i(d_buf),
    .in_port_i(d_port), .in_keep_i(d_keep), .in_layer_i(d_layer), .in_hslot_i(d_hslot),
    .in_slot_i(d_slot), .in_round_i(d_round), .in_layer_done_i(d_layer_done),
    .out_valid_o, .out_ready_i, .out_lane_valid_o, .out_lane_token_o, .out_lane_word_o,
    .out_data_o, .out_err_o, .out_round_last_o, .out_layer_last_o,
    .busy_o(sched_busy), .err_o, .stat_hbm_words_o, .stat_buf_words_o, .stat_keep_words_o,
    .m_axi_arid, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize, .m_axi_arburst, .m_axi_arlock,
    .m_axi_arcache, .m_axi_arprot, .m_axi_arvalid, .m_axi_arready, .m_axi_rid, .m_axi_rdata,
    .m_axi_rresp, .m_axi_rlast, .m_axi_rvalid, .m_axi_rready
  );

  assign busy_o = sched_busy || !cmd_ready_o;

  logic unused;
  assign unused = d_case1;

endmodule
