// KV reader (paper 4.4, docs/kv.md): executes the read descriptors of skipopu_kv_sched. HBM
// descriptors become AXI4 bursts on their port (token-wise mapping: the whole entry from one
// port; interleaved mapping: a 1/NUM_PORTS share from every port), buffer descriptors read the
// invariance buffer (skipopu_kv_buf), and entries marked "keep" are written into the buffer as
// they pass by (proactive update). The output is the schedule's rounds, lane-parallel and in
// lockstep: lane p < NUM_PORTS carries HBM port p, lane NUM_PORTS + b buffer read port b; a round
// takes E beats (EP = E / NUM_PORTS interleaved), beat w carrying word w of every lane's entry
// (interleaved: word p * EP + w on lane p). A beat leaves when every HBM lane of its round has
// the word, so the ports run ahead independently, bounded by their data FIFOs (LANE_DEPTH words)
// and ROUND_DEPTH queued rounds; this is the "consistent, aligned data stream" the paper's chunk
// FIFOs give the kernel.
//
// Entry size: E = 2^cfg_log2e_i words (run-time, the KVCFG entry size), 1 <= E <= ENTRY_WORDS;
// interleaved needs E >= NUM_PORTS. It and cfg_interleaved_i change only while idle (!busy_o).
// The buffer keeps words 0 .. E-1 of an entry in its slot (slot stride ENTRY_WORDS words).
//
// Addresses: the entry with index i in layer l of port p (i = rank / NUM_PORTS of the writer,
// or the token when interleaved) lies at cfg_base_i[p] + (l * S + i) * B, where S = MAX_TOKENS /
// NUM_PORTS and B = E * DATA_W / 8 (token-wise) or S = MAX_TOKENS and B = EP * DATA_W / 8
// (interleaved); model/kv.py KvMap with entry_bytes = E * DATA_W / 8 and port_base = cfg_base_i
// (= model/core/kv.py _entry_pieces). Each read is split into bursts of min(E or EP,
// MAX_BURST) words. Bases must be 4 KB aligned and MAX_BURST words at most 4 KB, so no burst
// crosses a 4 KB boundary.
//
// AXI error responses do not stop the reader: the beat is delivered with out_err_o set for its
// lane and err_o stays set until clr_i. RLAST is checked, not trusted: every burst of a port has
// the same length, so a beat whose RLAST is not on the burst's last beat counts as an error
// beat too (the beat count alone ends a burst).

module skipopu_kv_rd #(
  // HBM ports (token-wise mapping spreads the entries over these)
  parameter int NUM_PORTS = 4,
  // Invariance buffer read ports (buffer lanes)
  parameter int BUF_RD = 2,
  // Invariance buffer write ports (keeps per round)
  parameter int BUF_WR = 2,
  // Invariance buffer capacity in entries (power of 2, >= 2)
  parameter int CAPACITY = 64,
  // Largest number of preceding tokens (power of 2, multiple of NUM_PORTS)
  parameter int MAX_TOKENS = 64,
  // Layer index width
  parameter int LAYER_W = 8,
  // Word width in bits (AXI data width, one lane word)
  parameter int DATA_W = 256,
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI ID width (all bursts use ID 0)
  parameter int ID_W = 4,
  // Words per KV entry (power of 2, a multiple of NUM_PORTS)
  parameter int ENTRY_WORDS = 8,
  // Maximum beats per AXI burst (power of 2, <= 256, MAX_BURST * DATA_W / 8 <= 4096)
  parameter int MAX_BURST = 16,
  // Data FIFO depth per HBM port in words (power of 2, >= MAX_BURST)
  parameter int LANE_DEPTH = 64,
  // Rounds queued between the descriptor input and the output (power of 2)
  parameter int ROUND_DEPTH = 16,
  // Token index width (derived)
  parameter int TW = $clog2(MAX_TOKENS),
  // Port index width (derived)
  parameter int PW = (NUM_PORTS > 1) ? $clog2(NUM_PORTS) : 1,
  // Buffer slot width (derived)
  parameter int SW = $clog2(CAPACITY),
  // Word-in-entry index width (derived)
  parameter int EWW = (ENTRY_WORDS > 1) ? $clog2(ENTRY_WORDS) : 1,
  // Width of cfg_log2e_i, holds 0 .. log2(ENTRY_WORDS) (derived)
  parameter int EW = (ENTRY_WORDS > 1) ? $clog2($clog2(ENTRY_WORDS) + 1) : 1,
  // Output lanes (derived)
  parameter int L = NUM_PORTS + BUF_RD
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    clr_i,            // clear err_o and the statistics

  input  logic                    cfg_interleaved_i, // change only while idle (!busy_o)
  input  logic [EW-1:0]           cfg_log2e_i,      // log2 E (entry words), only while idle
  input  logic [NUM_PORTS*ADDR_W-1:0] cfg_base_i,   // KV region base per port

  // Descriptors (skipopu_kv_sched out_*)
  input  logic                    in_valid_i,
  output logic                    in_ready_o,
  input  logic [TW-1:0]           in_token_i,
  input  logic                    in_buf_i,
  input  logic [PW-1:0]           in_port_i,
  input  logic                    in_keep_i,
  input  logic [LAYER_W-1:0]      in_layer_i,
  input  logic [TW-1:0]           in_hslot_i,
  input  logic [SW-1:0]           in_slot_i,
  input  logic [15:0]             in_round_i,
  input  logic                    in_layer_done_i,  // pulse: the layer's last descriptor left

  // Rounds, lane-parallel
  output logic                    out_valid_o,
  input  logic                    out_ready_i,
  output logic [L-1:0]            out_lane_valid_o,
  output logic [L*TW-1:0]         out_lane_token_o,
  output logic [L*EWW-1:0]        out_lane_word_o,
  output logic [L*DATA_W-1:0]     out_data_o,
  output logic [L-1:0]            out_err_o,
  output logic                    out_round_last_o, // last beat of a round
  output logic                    out_layer_last_o, // last beat of a layer's last round

  // Status
  output logic                    busy_o,
  output logic                    err_o,
  output logic [31:0]             stat_hbm_words_o, // lane words delivered from HBM
  output logic [31:0]             stat_buf_words_o, // ... from the buffer
  output logic [31:0]             stat_keep_words_o, // words written into the buffer

  // AXI4 read masters, packed per port
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

  localparam int BeatBytes = DATA_W / 8;
  localparam int BeatShift = $clog2(BeatBytes);
  localparam int LogPorts = $clog2(NUM_PORTS);
  localparam int LogBurst = $clog2(MAX_BURST);
  // Most bursts per read (E = ENTRY_WORDS, token-wise)
  localparam int NbTok = (ENTRY_WORDS < MAX_BURST) ? 1 : ENTRY_WORDS / MAX_BURST;
  localparam int StrideTok = MAX_TOKENS / NUM_PORTS;
  localparam int BAW = $clog2(CAPACITY * ENTRY_WORDS);   // buffer word address
  localparam int LCW = $clog2(LANE_DEPTH) + 1;
  localparam int NBW = $clog2(NbTok + 1);

  // ---------------------------------------------------------------------------------------------
  // Run-time entry size: log2 of the words one port reads per entry (E token-wise, EP = E / P
  // interleaved), of the burst length min(that, MAX_BURST) and of the bursts per read
  // ---------------------------------------------------------------------------------------------
  logic [EW-1:0] lw, lbl, lnb;
  assign lw  = (cfg_interleaved_i && 32'(cfg_log2e_i) >= LogPorts) ?
               cfg_log2e_i - EW'(LogPorts) : cfg_log2e_i;
  assign lbl = (32'(lw) < LogBurst) ? lw : EW'(LogBurst);
  assign lnb = lw - lbl;
  // Round record: HBM lanes {v, token}, buffer lanes {v, token, slot}, write ports
  // {v, lane, slot}, layer-last
  localparam int RecW = NUM_PORTS * (1 + TW) + BUF_RD * (1 + TW + SW) + BUF_WR * (1 + PW + SW)
                        + 1;

  // ---------------------------------------------------------------------------------------------
  // Round assembly
  // ---------------------------------------------------------------------------------------------
  logic                  cur_valid_q, lclose_q;
  logic [15:0]           cur_round_q;
  logic [NUM_PORTS-1:0]  hv_q;
  logic [TW-1:0]         htok_q [NUM_PORTS];
  logic [BUF_RD-1:0]     bv_q;
  logic [TW-1:0]         btok_q [BUF_RD];
  logic [SW-1:0]         bslot_q [BUF_RD];
  logic [BUF_WR-1:0]     wv_q;
  logic [PW-1:0]         wlane_q [BUF_WR];
  logic [SW-1:0]         wslot_q [BUF_WR];
  localparam int KCW = $clog2(BUF_WR + 1);
  logic [KCW-1:0]        kcnt_q;

  logic [NUM_PORTS-1:0]  af_wr_ready, af_push;
  logic                  addr_ok, new_round, close_req, rf_push, rf_wr_ready, accept;
  logic [RecW-1:0]       rec_in;

  always_comb begin
    addr_ok = 1'b1;
    for (int p = 0; p < NUM_PORTS; p++) begin
      if (!in_buf_i && (cfg_interleaved_i || 32'(in_port_i) == p) && !af_wr_ready[p]) begin
        addr_ok = 1'b0;
      end
    end
  end

  assign new_round  = cur_valid_q && (in_round_i != cur_round_q);
  assign close_req  = cur_valid_q && (lclose_q || in_layer_done_i || (in_valid_i && new_round));
  assign rf_push    = close_req && rf_wr_ready;
  assign in_ready_o = addr_ok && !lclose_q && !in_layer_done_i && (!new_round || rf_wr_ready);
  assign accept     = in_valid_i && in_ready_o;

  always_comb begin
    for (int p = 0; p < NUM_PORTS; p++) begin
      af_push[p] = accept && !in_buf_i && (cfg_interleaved_i || 32'(in_port_i) == p);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cur_valid_q <= 1'b0;
      lclose_q    <= 1'b0;
      cur_round_q <= '0;
      hv_q        <= '0;
      bv_q        <= '0;
      wv_q        <= '0;
      kcnt_q      <= '0;
      for (int p = 0; p < NUM_PORTS; p++) htok_q[p] <= '0;
      for (int b = 0; b < BUF_RD; b++) begin
        btok_q[b]  <= '0;
        bslot_q[b] <= '0;
      end
      for (int k = 0; k < BUF_WR; k++) begin
        wlane_q[k] <= '0;
        wslot_q[k] <= '0;
      end
    end else begin
      if (in_layer_done_i && cur_valid_q && !rf_push) lclose_q <= 1'b1;
      if (rf_push) begin
        cur_valid_q <= 1'b0;
        lclose_q    <= 1'b0;
        hv_q        <= '0;
        bv_q        <= '0;
        wv_q        <= '0;
        kcnt_q      <= '0;
      end
      if (accept) begin
        cur_valid_q <= 1'b1;
        cur_round_q <= in_round_i;
        if (in_buf_i) begin
          for (int b = 0; b < BUF_RD; b++) begin
            if (32'(in_port_i) == b) begin
              bv_q[b]    <= 1'b1;
              btok_q[b]  <= in_token_i;
              bslot_q[b] <= in_slot_i;
            end
          end
        end else begin
          for (int p = 0; p < NUM_PORTS; p++) begin
            if (cfg_interleaved_i || 32'(in_port_i) == p) begin
              hv_q[p]   <= 1'b1;
              htok_q[p] <= in_token_i;
            end
          end
          if (in_keep_i) begin
            for (int k = 0; k < BUF_WR; k++) begin
              if ((rf_push ? 0 : 32'(kcnt_q)) == k) begin
                wv_q[k]    <= 1'b1;
                wlane_q[k] <= in_port_i;
                wslot_q[k] <= in_slot_i;
              end
            end
            kcnt_q <= rf_push ? KCW'(1) : kcnt_q + 1'b1;
          end
        end
      end
    end
  end

  // Pack the round record
  always_comb begin
    rec_in = '0;
    for (int p = 0; p < NUM_PORTS; p++) begin
      rec_in[p*(1+TW) +: 1+TW] = {hv_q[p], htok_q[p]};
    end
    for (int b = 0; b < BUF_RD; b++) begin
      rec_in[NUM_PORTS*(1+TW) + b*(1+TW+SW) +: 1+TW+SW] = {bv_q[b], btok_q[b], bslot_q[b]};
    end
    for (int k = 0; k < BUF_WR; k++) begin
      rec_in[NUM_PORTS*(1+TW) + BUF_RD*(1+TW+SW) + k*(1+PW+SW) +: 1+PW+SW] =
          {wv_q[k], wlane_q[k], wslot_q[k]};
    end
    rec_in[RecW-1] = lclose_q || in_layer_done_i;
  end

  logic            rf_valid, rf_pop;
  logic [RecW-1:0] rec;
  logic [$clog2(ROUND_DEPTH):0] rf_count_unused;

  skipopu_fifo #(.DATA_W(RecW), .DEPTH(ROUND_DEPTH)) u_rounds (
    .clk_i, .rst_ni,
    .wr_valid_i(rf_push), .wr_ready_o(rf_wr_ready), .wr_data_i(rec_in),
    .rd_valid_o(rf_valid), .rd_ready_i(rf_pop), .rd_data_o(rec),
    .count_o(rf_count_unused)
  );

  // ---------------------------------------------------------------------------------------------
  // Per HBM port: address FIFO, AR issue, data FIFO
  // ---------------------------------------------------------------------------------------------
  logic [NUM_PORTS-1:0]        lane_valid, lane_pop, port_busy;
  logic [NUM_PORTS*DATA_W-1:0] lane_data;
  logic [NUM_PORTS-1:0]        lane_err;

  // Entry index of the descriptor in its port's region, and its byte offset (index * 2^lw words)
  logic [ADDR_W-1:0] rd_idx, rd_off;
  assign rd_idx = ADDR_W'(in_layer_i) * ADDR_W'(cfg_interleaved_i ? MAX_TOKENS : StrideTok) +
                  ADDR_W'(in_hslot_i);
  assign rd_off = rd_idx << (32'(lw) + BeatShift);

  for (genvar p = 0; p < NUM_PORTS; p++) begin : g_port
    logic              af_valid, af_pop;
    logic [ADDR_W-1:0] af_addr;
    logic [$clog2(ROUND_DEPTH):0] af_count_unused;

    skipopu_fifo #(.DATA_W(ADDR_W), .DEPTH(ROUND_DEPTH)) u_addr (
      .clk_i, .rst_ni,
      .wr_valid_i(af_push[p]), .wr_ready_o(af_wr_ready[p]),
      .wr_data_i(cfg_base_i[p*ADDR_W +: ADDR_W] + rd_off),
      .rd_valid_o(af_valid), .rd_ready_i(af_pop), .rd_data_o(af_addr),
      .count_o(af_count_unused)
    );

    logic              arvalid_q;
    logic [ADDR_W-1:0] araddr_q;
    logic [7:0]        arlen_q;
    logic [NBW-1:0]    bcnt_q;
    logic [7:0]        rcnt_q;          // R beats of the current burst received
    logic [LCW-1:0]    inflight_q, lane_count;
    logic [8:0]        bl;
    logic [NBW-1:0]    nb;
    logic              launch, r_fire, lf_wr_ready;

    assign bl = 9'(1) << lbl;
    assign nb = NBW'(1) << lnb;
    assign launch = af_valid && (!arvalid_q || m_axi_arready[p]) &&
                    (32'(lane_count) + 32'(inflight_q) + 32'(bl) <= LANE_DEPTH);
    assign af_pop = launch && (bcnt_q == nb - 1'b1);
    assign r_fire = m_axi_rvalid[p] && m_axi_rready[p];

    // an error beat: SLVERR/DECERR, or RLAST not exactly on the burst's last beat
    logic r_end, r_err;
    assign r_end = (9'(rcnt_q) == bl - 9'd1);
    assign r_err = m_axi_rresp[2*p+1] || (m_axi_rlast[p] != r_end);

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        arvalid_q  <= 1'b0;
        araddr_q   <= '0;
        arlen_q    <= '0;
        bcnt_q     <= '0;
        rcnt_q     <= '0;
        inflight_q <= '0;
      end else begin
        if (r_fire) begin
          rcnt_q <= r_end ? '0 : rcnt_q + 1'b1;
        end
        if (launch) begin
          arvalid_q <= 1'b1;
          araddr_q  <= af_addr + ((ADDR_W'(bcnt_q) * ADDR_W'(bl)) << BeatShift);
          arlen_q   <= 8'(bl - 1'b1);
          bcnt_q    <= af_pop ? '0 : bcnt_q + 1'b1;
        end else if (m_axi_arready[p]) begin
          arvalid_q <= 1'b0;
        end
        inflight_q <= inflight_q + (launch ? LCW'(bl) : '0) - (r_fire ? LCW'(1) : '0);
      end
    end

    skipopu_fifo #(.DATA_W(DATA_W + 1), .DEPTH(LANE_DEPTH)) u_lane (
      .clk_i, .rst_ni,
      .wr_valid_i(r_fire), .wr_ready_o(lf_wr_ready),
      .wr_data_i({r_err, m_axi_rdata[p*DATA_W +: DATA_W]}),
      .rd_valid_o(lane_valid[p]), .rd_ready_i(lane_pop[p]),
      .rd_data_o({lane_err[p], lane_data[p*DATA_W +: DATA_W]}),
      .count_o(lane_count)
    );

    assign m_axi_arid[p*ID_W +: ID_W]       = '0;
    assign m_axi_araddr[p*ADDR_W +: ADDR_W] = araddr_q;
    assign m_axi_arlen[p*8 +: 8]            = arlen_q;
    assign m_axi_arsize[p*3 +: 3]           = 3'(BeatShift);
    assign m_axi_arburst[p*2 +: 2]          = 2'b01;      // INCR
    assign m_axi_arlock[p]                  = 1'b0;
    assign m_axi_arcache[p*4 +: 4]          = 4'b0011;
    assign m_axi_arprot[p*3 +: 3]           = 3'b010;
    assign m_axi_arvalid[p]                 = arvalid_q;
    assign m_axi_rready[p]                  = lf_wr_ready;

    assign port_busy[p] = af_valid || arvalid_q || (inflight_q != '0) || lane_valid[p];
  end

  // ---------------------------------------------------------------------------------------------
  // Beat stage: one beat of the head round per cycle, all lanes in lockstep
  // ---------------------------------------------------------------------------------------------
  logic [NUM_PORTS-1:0] r_hv;
  logic [TW-1:0]        r_htok [NUM_PORTS];
  logic [BUF_RD-1:0]    r_bv;
  logic [TW-1:0]        r_btok [BUF_RD];
  logic [SW-1:0]        r_bslot [BUF_RD];
  logic [BUF_WR-1:0]    r_wv;
  logic [PW-1:0]        r_wlane [BUF_WR];
  logic [SW-1:0]        r_wslot [BUF_WR];
  logic                 r_layer_last;

  always_comb begin
    for (int p = 0; p < NUM_PORTS; p++) begin
      {r_hv[p], r_htok[p]} = rec[p*(1+TW) +: 1+TW];
    end
    for (int b = 0; b < BUF_RD; b++) begin
      {r_bv[b], r_btok[b], r_bslot[b]} = rec[NUM_PORTS*(1+TW) + b*(1+TW+SW) +: 1+TW+SW];
    end
    for (int k = 0; k < BUF_WR; k++) begin
      {r_wv[k], r_wlane[k], r_wslot[k]} =
          rec[NUM_PORTS*(1+TW) + BUF_RD*(1+TW+SW) + k*(1+PW+SW) +: 1+PW+SW];
    end
  end
  assign r_layer_last = rec[RecW-1];

  logic [EWW-1:0] w_q, rbeats_m1;
  logic           lanes_ok, fire, round_end;
  assign rbeats_m1 = EWW'((32'(1) << lw) - 1);
  assign lanes_ok  = &(lane_valid | ~r_hv);
  assign fire      = rf_valid && lanes_ok && (!out_valid_o || out_ready_i);
  assign round_end = fire && (w_q == rbeats_m1);
  assign rf_pop    = round_end;
  assign lane_pop  = fire ? r_hv : '0;

  // Buffer ports
  logic [BUF_WR-1:0]        buf_we;
  logic [BUF_WR*BAW-1:0]    buf_waddr;
  logic [BUF_WR*DATA_W-1:0] buf_wdata;
  logic [BUF_RD-1:0]        buf_re;
  logic [BUF_RD*BAW-1:0]    buf_raddr;
  logic [BUF_RD*DATA_W-1:0] buf_rdata;

  for (genvar k = 0; k < BUF_WR; k++) begin : g_wp
    assign buf_we[k] = fire && r_wv[k];
    assign buf_waddr[k*BAW +: BAW] = BAW'(r_wslot[k]) * BAW'(ENTRY_WORDS) + BAW'(w_q);
    assign buf_wdata[k*DATA_W +: DATA_W] = lane_data[32'(r_wlane[k])*DATA_W +: DATA_W];
  end
  for (genvar b = 0; b < BUF_RD; b++) begin : g_rp
    assign buf_re[b] = fire && r_bv[b];
    assign buf_raddr[b*BAW +: BAW] = BAW'(r_bslot[b]) * BAW'(ENTRY_WORDS) + BAW'(w_q);
  end

  skipopu_kv_buf #(
    .DATA_W(DATA_W), .DEPTH(CAPACITY * ENTRY_WORDS), .NR(BUF_RD), .NW(BUF_WR)
  ) u_buf (
    .clk_i, .rst_ni,
    .we_i(buf_we), .waddr_i(buf_waddr), .wdata_i(buf_wdata),
    .re_i(buf_re), .raddr_i(buf_raddr), .rdata_o(buf_rdata)
  );

  // Output register (buffer lanes come straight from the buffer's read registers)
  logic                        out_valid_q, rlast_q, llast_q;
  logic [L-1:0]                ov_q, oerr_q;
  logic [L*TW-1:0]             otok_q;
  logic [L*EWW-1:0]            oword_q;
  logic [NUM_PORTS*DATA_W-1:0] odata_q;
  logic                        err_q;
  logic [31:0]                 hbm_words_q, buf_words_q, keep_words_q;

  function automatic logic [31:0] popcount(logic [31:0] v);
    logic [31:0] c;
    c = '0;
    for (int i = 0; i < 32; i++) c = c + {31'b0, v[i]};
    return c;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_valid_q  <= 1'b0;
      rlast_q      <= 1'b0;
      llast_q      <= 1'b0;
      ov_q         <= '0;
      oerr_q       <= '0;
      otok_q       <= '0;
      oword_q      <= '0;
      odata_q      <= '0;
      w_q          <= '0;
      err_q        <= 1'b0;
      hbm_words_q  <= '0;
      buf_words_q  <= '0;
      keep_words_q <= '0;
    end else begin
      if (fire) begin
        out_valid_q <= 1'b1;
        rlast_q     <= round_end;
        llast_q     <= round_end && r_layer_last;
        ov_q        <= {r_bv, r_hv};
        oerr_q      <= {{BUF_RD{1'b0}}, lane_err & r_hv};
        odata_q     <= lane_data;
        for (int p = 0; p < NUM_PORTS; p++) begin
          otok_q[p*TW +: TW]     <= r_htok[p];
          oword_q[p*EWW +: EWW]  <= cfg_interleaved_i ? EWW'(p << lw) + w_q : w_q;
        end
        for (int b = 0; b < BUF_RD; b++) begin
          otok_q[(NUM_PORTS+b)*TW +: TW]    <= r_btok[b];
          oword_q[(NUM_PORTS+b)*EWW +: EWW] <= w_q;
        end
        w_q <= round_end ? '0 : w_q + 1'b1;
        if (|(lane_err & r_hv)) err_q <= 1'b1;
        hbm_words_q  <= hbm_words_q + popcount(32'(r_hv));
        buf_words_q  <= buf_words_q + popcount(32'(r_bv));
        keep_words_q <= keep_words_q + popcount(32'(r_wv));
      end else if (out_ready_i) begin
        out_valid_q <= 1'b0;
      end
      if (clr_i) begin
        err_q        <= 1'b0;
        hbm_words_q  <= '0;
        buf_words_q  <= '0;
        keep_words_q <= '0;
      end
    end
  end

  assign out_valid_o       = out_valid_q;
  assign out_lane_valid_o  = ov_q;
  assign out_lane_token_o  = otok_q;
  assign out_lane_word_o   = oword_q;
  assign out_data_o        = {buf_rdata, odata_q};
  assign out_err_o         = oerr_q;
  assign out_round_last_o  = rlast_q;
  assign out_layer_last_o  = llast_q;
  assign err_o             = err_q;
  assign stat_hbm_words_o  = hbm_words_q;
  assign stat_buf_words_o  = buf_words_q;
  assign stat_keep_words_o = keep_words_q;

  assign busy_o = cur_valid_q || lclose_q || rf_valid || out_valid_q || (|port_busy);

  logic unused;
  assign unused = ^{m_axi_rid, m_axi_rresp, rf_count_unused};

  // pragma translate_off
  // Simulation-only checks (plain always: Icarus rejects $error in always_ff)
  logic          cfg_inter_q;
  logic [EW-1:0] cfg_log2e_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cfg_inter_q <= cfg_interleaved_i;
      cfg_log2e_q <= cfg_log2e_i;
    end else begin
      if (in_valid_i) begin
        assert ((32'(1) << cfg_log2e_i) <= ENTRY_WORDS)
          else $error("skipopu_kv_rd: cfg_log2e_i %0d above log2 ENTRY_WORDS", cfg_log2e_i);
        assert (!cfg_interleaved_i || 32'(cfg_log2e_i) >= LogPorts)
          else $error("skipopu_kv_rd: interleaved needs E = 2^%0d >= NUM_PORTS", cfg_log2e_i);
      end
      if (busy_o && (cfg_log2e_i != cfg_log2e_q || cfg_interleaved_i != cfg_inter_q)) begin
        $error("skipopu_kv_rd: cfg_log2e_i / cfg_interleaved_i changed while busy");
      end
      cfg_inter_q <= cfg_interleaved_i;
      cfg_log2e_q <= cfg_log2e_i;
    end
  end
  // pragma translate_on

endmodule
