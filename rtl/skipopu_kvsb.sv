// KV staging buffer (KVSB, docs/kv.md "KV staging buffer (KVSB)"; docs/attention.md): KV_TOKENS
// entries of up to ENTRY_MAX words of DATA_W bits, the key set the attention PE array
// reads. NCOL = DATA_W / 16 banks, each a simple dual-port RAM (one write and one read per
// cycle) of KV_TOKENS / NCOL * ENTRY_MAX words plus one valid bit per word in flops.
//
// Banking: word w of entry a lies in bank (a + (w >> log2(EP))) mod NCOL at row
// (a >> log2(NCOL)) * ENTRY_MAX + w, with E = 2^cfg_log2e_i the run-time entry size and
// EP = max(E / NUM_PORTS, 1) the interleaved share. Conflict-free by construction for
//   * a token-wise KV-unit round: every lane carries the same word w of a different entry, and the
//     entries are consecutive arrival indices (LANES_IN <= NCOL of them, so distinct mod NCOL);
//   * an interleaved round (E >= NUM_PORTS): one entry, lane p carries word p * EP + w' (w' < EP),
//     so (w >> log2(EP)) = p and the banks are (a + p) mod NCOL;
//   * a tile read: word w of the NCOL entries nt * NCOL + c lies in bank (c + s) mod NCOL,
//     s = (w >> log2(EP)) mod NCOL, all in row nt * ENTRY_MAX + w.
// Two lanes in one bank are a caller error (simulation $error; the lowest lane is written).
//
// Ports and timing:
//   * lane write port: LANES_IN lanes per cycle, always accepted;
//   * single-word write port (KVST.put): put_gnt_o = no lane writes this cycle (lanes first);
//   * tile read: always accepted; one cycle later (tile_rvalid_o) the NCOL words w of entries
//     nt * NCOL + c in entry order, words of entries a >= cfg_nk_i (sampled with the read) +0;
//     tile_col_i = 0: row c = entry c's word (V tile), 1: the transpose, lane c of word k = lane k
//     of entry c's word (K^T);
//   * word read (KVRD, debug): rd_gnt_o = no tile read this cycle (tiles first); one cycle later
//     (rd_rvalid_o) the word; NK does not apply.
// A word not written since the last reset or clr_i reads as +0 on both read ports. A read and a
// write of the same word in one cycle return the old word (read-first). clr_i acts at once:
// reads of its cycle already return +0, and writes of its cycle land after the clear (so a new
// E given with clr_i never shows old words under the new mapping). Read data holds until the
// next read of either port.
// cfg_log2e_i changes only in a cycle with clr_i or while no word is valid (simulation $error).

module skipopu_kvsb #(
  // Word width in bits (NCOL = DATA_W / 16 FP16 lanes per word = banks; DATA_W >= 32)
  parameter int DATA_W = 256,
  // Entries (power of 2, a multiple of DATA_W / 16)
  parameter int KV_TOKENS = 64,
  // Largest entry size in words (power of 2)
  parameter int ENTRY_MAX = 16,
  // KV ports P (power of 2, <= DATA_W / 16); sets the interleaved share EP = max(E / P, 1)
  parameter int NUM_PORTS = 4,
  // Lanes of the lane write port, P + R (NUM_PORTS <= LANES_IN <= DATA_W / 16)
  parameter int LANES_IN = 6,
  // Banks and lanes per word (derived)
  parameter int NCOL = DATA_W / 16,
  // Entry index width (derived)
  parameter int AW = $clog2(KV_TOKENS),
  // Word-in-entry index width (derived)
  parameter int WW = (ENTRY_MAX > 1) ? $clog2(ENTRY_MAX) : 1,
  // Width of cfg_log2e_i (derived)
  parameter int EW = (ENTRY_MAX > 1) ? $clog2($clog2(ENTRY_MAX) + 1) : 1,
  // Tile index width (derived)
  parameter int TNW = (KV_TOKENS > NCOL) ? $clog2(KV_TOKENS / NCOL) : 1
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,

  input  logic                       clr_i,         // invalidate every word
  input  logic [EW-1:0]              cfg_log2e_i,   // log2 E (<= log2 ENTRY_MAX)
  input  logic [AW:0]                cfg_nk_i,      // NK: keys a >= NK read as +0 in tiles

  // Lane write port (one KV-unit beat)
  input  logic [LANES_IN-1:0]        lane_we_i,
  input  logic [LANES_IN*AW-1:0]     lane_entry_i,
  input  logic [LANES_IN*WW-1:0]     lane_word_i,
  input  logic [LANES_IN*DATA_W-1:0] lane_wdata_i,

  // Single-word write port (KVST.put)
  input  logic                       put_req_i,
  output logic                       put_gnt_o,
  input  logic [AW-1:0]              put_entry_i,
  input  logic [WW-1:0]              put_word_i,
  input  logic [DATA_W-1:0]          put_wdata_i,

  // Tile read port (K^T / V tiles for the PE array)
  input  logic                       tile_req_i,
  input  logic [TNW-1:0]             tile_nt_i,
  input  logic [WW-1:0]              tile_word_i,
  input  logic                       tile_col_i,
  output logic                       tile_rvalid_o,
  output logic [NCOL*DATA_W-1:0]     tile_rdata_o,

  // Single-word read port (KVRD, debug)
  input  logic                       rd_req_i,
  output logic                       rd_gnt_o,
  input  logic [AW-1:0]              rd_entry_i,
  input  logic [WW-1:0]              rd_word_i,
  output logic                       rd_rvalid_o,
  output logic [DATA_W-1:0]          rd_rdata_o
);

  // pragma translate_off
  initial begin : p_params
    if ($countones(KV_TOKENS) != 1 || KV_TOKENS % NCOL != 0) begin
      $fatal(1, "skipopu_kvsb: KV_TOKENS=%0d is not a power of 2 multiple of DATA_W/16", KV_TOKENS);
    end
    if ($countones(ENTRY_MAX) != 1) begin
      $fatal(1, "skipopu_kvsb: ENTRY_MAX=%0d is not a power of 2", ENTRY_MAX);
    end
    if ($countones(NUM_PORTS) != 1 || NUM_PORTS > NCOL || LANES_IN < NUM_PORTS ||
        LANES_IN > NCOL) begin
      $fatal(1, "skipopu_kvsb: NUM_PORTS=%0d, LANES_IN=%0d: need NUM_PORTS (a power of 2) %s",
             NUM_PORTS, LANES_IN, "<= LANES_IN <= DATA_W/16");
    end
  end
  // pragma translate_on

  localparam int LNC   = $clog2(NCOL);
  localparam int LP    = (NUM_PORTS > 1) ? $clog2(NUM_PORTS) : 0;
  localparam int LEM   = $clog2(ENTRY_MAX);
  localparam int DEPTH = (KV_TOKENS / NCOL) * ENTRY_MAX;
  localparam int RW    = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam int LIW   = (LANES_IN > 1) ? $clog2(LANES_IN) : 1;

  // log2(EP) = max(log2 E - log2 P, 0): the word-index shift of the bank rotation
  logic [EW-1:0] lep;
  assign lep = (32'(cfg_log2e_i) > LP) ? cfg_log2e_i - EW'(LP) : '0;

  // Bank of word w of an entry whose index is c mod NCOL
  function automatic logic [LNC-1:0] bank_of(logic [LNC-1:0] c, logic [WW-1:0] w,
                                             logic [EW-1:0] sh);
    return c + LNC'(32'(w) >> sh);
  endfunction

  // Row of word w of entry a in its bank
  function automatic logic [RW-1:0] row_of(logic [AW-1:0] a, logic [WW-1:0] w);
    return RW'((32'(a) >> LNC) * ENTRY_MAX + 32'(w));
  endfunction

  // Lowest set bit of v (0 when none)
  function automatic logic [LIW-1:0] first_lane(logic [LANES_IN-1:0] v);
    logic [LIW-1:0] r;
    r = '0;
    for (int l = LANES_IN - 1; l >= 0; l--) begin
      if (v[l]) r = LIW'(l);
    end
    return r;
  endfunction

  // ---------------------------------------------------------------------------------------------
  // Address decode of the write and read requests
  // ---------------------------------------------------------------------------------------------
  logic [LANES_IN-1:0][LNC-1:0] lane_bank;
  logic [LANES_IN-1:0][RW-1:0]  lane_row;

  for (genvar l = 0; l < LANES_IN; l++) begin : g_lane
    assign lane_bank[l] = bank_of(lane_entry_i[l*AW +: LNC], lane_word_i[l*WW +: WW], lep);
    assign lane_row[l]  = row_of(lane_entry_i[l*AW +: AW], lane_word_i[l*WW +: WW]);
  end

  logic           put_fire, rd_fire;
  logic [LNC-1:0] put_bank, rd_bank;
  logic [RW-1:0]  put_row, rd_row, tile_row;

  assign put_gnt_o = ~|lane_we_i;
  assign put_fire  = put_req_i && put_gnt_o;
  assign put_bank  = bank_of(put_entry_i[LNC-1:0], put_word_i, lep);
  assign put_row   = row_of(put_entry_i, put_word_i);
  assign rd_gnt_o  = !tile_req_i;
  assign rd_fire   = rd_req_i && rd_gnt_o;
  assign rd_bank   = bank_of(rd_entry_i[LNC-1:0], rd_word_i, lep);
  assign rd_row    = row_of(rd_entry_i, rd_word_i);
  assign tile_row  = RW'(32'(tile_nt_i) * ENTRY_MAX + 32'(tile_word_i));

  // ---------------------------------------------------------------------------------------------
  // Banks: lane crossbar, RAM, valid bits
  // ---------------------------------------------------------------------------------------------
  // bank_rdata[b*DATA_W +: DATA_W]: bank b's registered read word, +0 when not valid
  logic [NCOL*DATA_W-1:0] bank_rdata;
  // pragma translate_off
  logic [NCOL-1:0]        bank_any;
  // pragma translate_on

  for (genvar b = 0; b < NCOL; b++) begin : g_bank
    logic [LANES_IN-1:0] hit;
    logic [LIW-1:0]      sel;
    logic                we, re;
    logic [RW-1:0]       waddr, raddr;
    logic [DATA_W-1:0]   wdata;
    logic [DATA_W-1:0]   mem [DEPTH];
    logic [DATA_W-1:0]   rdata_q;
    logic [DEPTH-1:0]    vld_q;
    logic                rvld_q;

    for (genvar l = 0; l < LANES_IN; l++) begin : g_hit
      assign hit[l] = lane_we_i[l] && (lane_bank[l] == LNC'(b));
    end
    assign sel   = first_lane(hit);
    assign we    = (|hit) || (put_fire && (put_bank == LNC'(b)));
    assign waddr = (|hit) ? lane_row[sel] : put_row;
    assign wdata = (|hit) ? lane_wdata_i[32'(sel)*DATA_W +: DATA_W] : put_wdata_i;
    assign re    = tile_req_i || (rd_fire && (rd_bank == LNC'(b)));
    assign raddr = tile_req_i ? tile_row : rd_row;

    always_ff @(posedge clk_i) begin
      if (we) mem[waddr] <= wdata;
      if (re) rdata_q <= mem[raddr];
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        vld_q  <= '0;
        rvld_q <= 1'b0;
      end else begin
        vld_q <= (clr_i ? '0 : vld_q) | (we ? (DEPTH'(1) << waddr) : '0);
        if (re) rvld_q <= vld_q[raddr] && !clr_i;
      end
    end

    assign bank_rdata[b*DATA_W +: DATA_W] = rvld_q ? rdata_q : '0;
    // pragma translate_off
    assign bank_any[b] = |vld_q;
    // pragma translate_on
  end

  // ---------------------------------------------------------------------------------------------
  // Read outputs: rotation back to entry order, NK gating, orientation
  // ---------------------------------------------------------------------------------------------
  logic            tile_rvalid_q, rd_rvalid_q, col_q;
  logic [LNC-1:0]  rot_q, rd_bank_q;
  logic [NCOL-1:0] nkok_q, nk_ok;

  for (genvar c = 0; c < NCOL; c++) begin : g_nk
    assign nk_ok[c] = ((32'(tile_nt_i) << LNC) + c) < 32'(cfg_nk_i);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tile_rvalid_q <= 1'b0;
      rd_rvalid_q   <= 1'b0;
      col_q         <= 1'b0;
      rot_q         <= '0;
      nkok_q        <= '0;
      rd_bank_q     <= '0;
    end else begin
      tile_rvalid_q <= tile_req_i;
      rd_rvalid_q   <= rd_fire;
      if (tile_req_i) begin
        col_q  <= tile_col_i;
        rot_q  <= LNC'(32'(tile_word_i) >> lep);
        nkok_q <= nk_ok;
      end
      if (rd_fire) rd_bank_q <= rd_bank;
    end
  end

  // Entry c of the tile is in bank (c + rot) mod NCOL
  logic [NCOL*DATA_W-1:0] rot, trow, tcol;

  for (genvar c = 0; c < NCOL; c++) begin : g_row
    logic [LNC-1:0] src;
    assign src = LNC'(c) + rot_q;
    assign rot[c*DATA_W +: DATA_W]  = bank_rdata[32'(src)*DATA_W +: DATA_W];
    assign trow[c*DATA_W +: DATA_W] = nkok_q[c] ? rot[c*DATA_W +: DATA_W] : '0;
    for (genvar k = 0; k < NCOL; k++) begin : g_col
      assign tcol[k*DATA_W + c*16 +: 16] = trow[c*DATA_W + k*16 +: 16];
    end
  end

  assign tile_rvalid_o = tile_rvalid_q;
  assign tile_rdata_o  = col_q ? tcol : trow;
  assign rd_rvalid_o   = rd_rvalid_q;
  assign rd_rdata_o    = bank_rdata[32'(rd_bank_q)*DATA_W +: DATA_W];

  // pragma translate_off
  // Simulation-only checks (plain always: Icarus rejects $error in always_ff)
  logic [EW-1:0] log2e_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      log2e_q <= cfg_log2e_i;
      assert (DATA_W == 16 * NCOL && NCOL >= 2 && (NCOL & (NCOL - 1)) == 0)
        else $error("skipopu_kvsb: DATA_W must be 16 * a power of 2 >= 2");
      assert (KV_TOKENS >= NCOL && (KV_TOKENS & (KV_TOKENS - 1)) == 0)
        else $error("skipopu_kvsb: KV_TOKENS must be a power of 2 >= DATA_W / 16");
      assert (ENTRY_MAX >= 1 && (ENTRY_MAX & (ENTRY_MAX - 1)) == 0)
        else $error("skipopu_kvsb: ENTRY_MAX must be a power of 2");
      assert (NUM_PORTS >= 1 && (NUM_PORTS & (NUM_PORTS - 1)) == 0 && NUM_PORTS <= NCOL)
        else $error("skipopu_kvsb: NUM_PORTS must be a power of 2 <= DATA_W / 16");
      assert (LANES_IN >= NUM_PORTS && LANES_IN <= NCOL)
        else $error("skipopu_kvsb: LANES_IN must lie in NUM_PORTS .. DATA_W / 16");
    end else begin
      for (int l = 0; l < LANES_IN; l++) begin
        for (int m = l + 1; m < LANES_IN; m++) begin
          if (lane_we_i[l] && lane_we_i[m]) begin
            assert (lane_bank[l] != lane_bank[m])
              else $error("skipopu_kvsb: lanes %0d, %0d hit bank %0d (a %0d w %0d, a %0d w %0d)",
                          l, m, lane_bank[l], lane_entry_i[l*AW +: AW], lane_word_i[l*WW +: WW],
                          lane_entry_i[m*AW +: AW], lane_word_i[m*WW +: WW]);
          end
        end
      end
      if ((1 << EW) > LEM + 1) begin
        assert (32'(cfg_log2e_i) <= LEM)
          else $error("skipopu_kvsb: cfg_log2e_i %0d above log2 ENTRY_MAX", cfg_log2e_i);
      end
      if (cfg_log2e_i != log2e_q && !clr_i) begin
        assert (bank_any == '0)
          else $error("skipopu_kvsb: cfg_log2e_i changed from %0d to %0d without clr_i",
                      log2e_q, cfg_log2e_i);
      end
      log2e_q <= cfg_log2e_i;
    end
  end
  // pragma translate_on

endmodule
