// KV execution unit (ISA revision 6, docs/kv.md "Core integration"): executes KVST and KVRD
// (and KVLD, see below) for the sequencer's ax_* handshake, and holds the KV staging buffer
// (skipopu_kvsb) whose tile read port the attention engines use.
//
// KVST (docs/isa.md): reads the mask word (unless all) and the history word (unless nohist)
// from the global buffer, checks KV_RANK (popcount(hist) + writers > KV_TOKENS: nothing is
// stored), then walks the writers m_0 < m_1 < ... (set bits of the mask below len) and issues
// one DMA store per piece: token-wise one piece of E words to KV port r mod P (r = base + j),
// interleaved P pieces of E/P words, one per port. Each piece waits for its DMA completion (all
// B responses); any failed piece gives DMA_WR_AXI after the last one. With put, the DMA's
// global-buffer reads of each piece are snooped (read data one cycle after the DMA's read
// enable) into the KVSB put port: entry t = pos0 + m_j, word = the piece's word in the entry.
// KVRD: KVSB words to the global buffer, one per cycle (KVSB word read port, 1 cycle latency).
//
// The KVSB's entry size follows KVCFG: a KVCFG that sets a different E clears the KVSB (its bank
// mapping depends on E; model/core_attn.py does the same).
//
// Counter: KVST_CYCLES = cycles a KVST executed (from the cycle after issue to done, as the
// sequencer's StWaitAx), cleared by clr_i.

module skipopu_kvx
  import skipopu_pkg::*;
#(
  // AXI data width and global-buffer word width in bits
  parameter int DATA_W = 256,
  // AXI address width
  parameter int ADDR_W = 34,
  // Global buffer address width
  parameter int GB_AW = 12,
  // HBM ports holding the KV cache, P (a power of 2; KV port p = HBM port p = DMA port p + 1)
  parameter int KV_PORTS = 4,
  // KV staging buffer entries (a power of 2, a multiple of DATA_W/16 and KV_PORTS, <= DATA_W)
  parameter int KV_TOKENS = 64,
  // Largest KV entry in words (a power of 2 >= 2)
  parameter int KV_ENTRY_MAX = 16,
  // Invariance buffer read ports (KVSB lanes KV_PORTS .. KV_PORTS + KV_BUF_RD - 1)
  parameter int KV_BUF_RD = 2,
  // Lanes per word = KVSB banks (derived)
  parameter int NCOL = DATA_W / 16,
  // KVSB entry index width (derived)
  parameter int AW = $clog2(KV_TOKENS),
  // Word-in-entry index width (derived)
  parameter int WW = (KV_ENTRY_MAX > 1) ? $clog2(KV_ENTRY_MAX) : 1,
  // KVSB tile index width (derived)
  parameter int TNW = (KV_TOKENS > NCOL) ? $clog2(KV_TOKENS / NCOL) : 1
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   clr_i,          // start of a run: counters

  // KVCFG registers (skipopu_ctrl)
  input  logic [15:0]            kv_e_i,         // E (0: no KVCFG in this run)
  input  logic [31:0]            kv_off_i,       // KVOFF
  input  logic [1:0]             kv_flags_i,     // [0] interleaved, [1] invariance buffer

  // Instruction handshake (KVST, KVRD only; 1-cycle valid, done at least a cycle later)
  input  logic                   ax_valid_i,
  input  logic [InsnW-1:0]       ax_insn_i,
  output logic                   ax_done_o,
  output logic [7:0]             ax_err_o,       // ErrNone unless ax_done_o

  // DMA store commands (muxed with the sequencer's in skipopu_top; never at the same time)
  output logic                   dma_valid_o,
  output logic [3:0]             dma_port_o,
  output logic [ADDR_W-1:0]      dma_mem_addr_o,
  output logic [GB_AW-1:0]       dma_gb_addr_o,
  output logic [15:0]            dma_len_o,
  input  logic                   dma_done_i,
  input  logic                   dma_err_i,
  input  logic                   dma_gb_re_i,    // the DMA's global-buffer read (KVST.put)

  // Global buffer: read port A (shared; data one cycle after the read) and the write port
  output logic                   gb_re_o,
  output logic [GB_AW-1:0]       gb_raddr_o,
  input  logic [DATA_W-1:0]      gb_rdata_i,
  output logic                   gb_we_o,
  output logic [GB_AW-1:0]       gb_waddr_o,
  output logic [DATA_W-1:0]      gb_wdata_o,

  // KVSB tile read port (QK: K^T tiles, tile_col_i = 1; PV: V tiles, 0), see skipopu_kvsb
  input  logic [15:0]            cfg_nk_i,       // NK (ATTCFG len; saturated at KV_TOKENS)
  input  logic                   tile_req_i,
  input  logic [TNW-1:0]         tile_nt_i,
  input  logic [WW-1:0]          tile_word_i,
  input  logic                   tile_col_i,
  output logic                   tile_rvalid_o,
  output logic [NCOL*DATA_W-1:0] tile_rdata_o,

  // Counters of the run (CSRs)
  output logic [31:0]            kvst_cycles_o
);

  localparam int BeatShift = $clog2(DATA_W / 8);
  localparam int LEM = $clog2(KV_ENTRY_MAX);
  localparam int EW = (KV_ENTRY_MAX > 1) ? $clog2(LEM + 1) : 1;     // skipopu_kvsb cfg_log2e_i
  localparam int LP = (KV_PORTS > 1) ? $clog2(KV_PORTS) : 0;
  localparam int LKT = $clog2(KV_TOKENS);
  localparam int LANES = KV_PORTS + KV_BUF_RD;
  localparam int MW = $clog2(DATA_W);          // row index within a mask word
  localparam int CW = $clog2(DATA_W + 1) + 1;  // popcounts and their sum
  localparam int PIW = (KV_PORTS > 1) ? LP : 1;
  localparam int PPW = LP + 1;                 // port number
  localparam int AW1 = AW + 1;

  typedef enum logic [3:0] {
    StIdle, StRdA, StRdB, StRdC, StStCheck, StStNext, StStIssue, StStWait, StRd, StDone
  } state_e;

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------
  function automatic logic [CW-1:0] popcount(logic [DATA_W-1:0] v);
    logic [CW-1:0] c;
    c = '0;
    for (int i = 0; i < DATA_W; i++) c = c + CW'(v[i]);
    return c;
  endfunction

  // Index of the lowest set bit (0 when none)
  function automatic logic [MW-1:0] lowest(logic [DATA_W-1:0] v);
    logic [MW-1:0] r;
    r = '0;
    for (int i = DATA_W - 1; i >= 0; i--) begin
      if (v[i]) r = MW'(i);
    end
    return r;
  endfunction

  // log2 of a power of 2 up to KV_ENTRY_MAX
  function automatic logic [EW-1:0] log2_of(logic [15:0] v);
    logic [EW-1:0] r;
    r = '0;
    for (int i = 0; i <= LEM; i++) begin
      if (v[i]) r = EW'(i);
    end
    return r;
  endfunction

  // ---------------------------------------------------------------------------------------------
  // KVSB entry size: a KVCFG with a different E clears the KVSB in the cycle the new E appears
  // ---------------------------------------------------------------------------------------------
  logic [EW-1:0] sb_log2e_q, cfg_log2e, kvsb_log2e;
  logic          e_chg;
  assign cfg_log2e  = log2_of(kv_e_i);
  assign e_chg      = (kv_e_i != '0) && (cfg_log2e != sb_log2e_q);
  assign kvsb_log2e = e_chg ? cfg_log2e : sb_log2e_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)    sb_log2e_q <= '0;
    else if (e_chg) sb_log2e_q <= cfg_log2e;
  end

  // ---------------------------------------------------------------------------------------------
  // Instruction state
  // ---------------------------------------------------------------------------------------------
  state_e             state_q;
  logic [7:0]         op_q;
  logic [7:0]         err_q;
  logic               put_q, skip_a_q, skip_b_q, failed_q;
  logic [15:0]        len_q, addr_a_q, addr_b_q;
  logic [7:0]         layer_q;
  logic [16:0]        stride_q, gsrc_q;
  logic [AW-1:0]      pos0_q, tok_q;
  logic [DATA_W-1:0]  wa_q, wb_q;
  logic [CW-1:0]      rank_q;
  logic [PIW-1:0]     pidx_q;
  logic [EW-1:0]      log2e_q;

  // KVRD streaming
  logic [AW:0]        rd_a_q;
  logic [WW-1:0]      rd_w_q;
  logic [16:0]        rd_left_q, wr_left_q;
  logic [GB_AW-1:0]   wr_ptr_q;

  insn_t insn;
  assign insn = ax_insn_i;

  logic [DATA_W-1:0] lowmask;      // rows m < len of the mask word
  always_comb begin
    for (int i = 0; i < DATA_W; i++) lowmask[i] = (32'(i) < 32'(len_q));
  end

  logic          sb_rd_gnt, sb_rd_rvalid, sb_rd_fire;
  logic [DATA_W-1:0] sb_rd_rdata;
  logic [CW-1:0] hist_cnt, wr_cnt;
  logic [MW-1:0] next_m;
  assign hist_cnt   = popcount(wb_q);
  assign wr_cnt     = popcount(wa_q);
  assign next_m     = lowest(wa_q);
  // (enum labels stay out of port connections: Icarus 11 would make them implicit nets)
  logic sb_rd_req;
  assign sb_rd_req  = (state_q == StRd) && (rd_left_q != '0);
  assign sb_rd_fire = sb_rd_req && sb_rd_gnt;

  // Piece of the current writer: port, memory address, buffer address, words
  logic               inter;
  logic [LP:0]        pport;
  logic [63:0]        pidx_addr, paddr;
  logic [16:0]        pgb;
  logic [15:0]        plen;
  logic [EW-1:0]      log2ep;
  assign inter  = kv_flags_i[0];
  assign log2ep = EW'(32'(log2e_q) - LP);          // KVCFG: interleaved needs E >= P
  always_comb begin
    if (inter) begin
      pport     = PPW'(pidx_q);
      pidx_addr = ((64'(layer_q) << LKT) + 64'(tok_q)) << (32'(log2ep) + BeatShift);
      pgb       = gsrc_q + (17'(pidx_q) << log2ep);
      plen      = 16'(1) << log2ep;
    end else begin
      pport     = PPW'(32'(rank_q) % KV_PORTS);
      pidx_addr = ((64'(layer_q) << (LKT - LP)) + (64'(rank_q) >> LP)) <<
                  (32'(log2e_q) + BeatShift);
      pgb       = gsrc_q;
      plen      = 16'(1) << log2e_q;
    end
    paddr = (64'(pport) << 28) + 64'(kv_off_i) + pidx_addr;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      op_q      <= '0;
      err_q     <= 8'(ErrNone);
      put_q     <= 1'b0;
      skip_a_q  <= 1'b0;
      skip_b_q  <= 1'b0;
      failed_q  <= 1'b0;
      len_q     <= '0;
      addr_a_q  <= '0;
      addr_b_q  <= '0;
      layer_q   <= '0;
      stride_q  <= '0;
      gsrc_q    <= '0;
      pos0_q    <= '0;
      tok_q     <= '0;
      wa_q      <= '0;
      wb_q      <= '0;
      rank_q    <= '0;
      pidx_q    <= '0;
      log2e_q   <= '0;
      rd_a_q    <= '0;
      rd_w_q    <= '0;
      rd_left_q <= '0;
      wr_left_q <= '0;
      wr_ptr_q  <= '0;
    end else begin
      unique case (state_q)
        StIdle: begin
          err_q <= 8'(ErrNone);
          if (ax_valid_i) begin
            op_q     <= insn.opcode;
            len_q    <= insn.len;
            log2e_q  <= cfg_log2e;
            failed_q <= 1'b0;
            if (insn.opcode == 8'(OpKvrd)) begin
              // len entries from a0 = f1[15:0] to dst = f0
              rd_a_q    <= AW1'(insn.f1[15:0]);
              rd_w_q    <= '0;
              rd_left_q <= 17'(insn.len) << cfg_log2e;
              wr_left_q <= 17'(insn.len) << cfg_log2e;
              wr_ptr_q  <= insn.f0[GB_AW-1:0];
              state_q   <= StRd;
            end else begin
              // KVST: flags [0] put, [1] all, [2] nohist; f0 = {mask, src};
              // f1 = {stride, layer, hist}; f2 = pos0
              put_q    <= insn.flags[0];
              skip_a_q <= insn.flags[1];
              skip_b_q <= insn.flags[2];
              addr_a_q <= insn.f0[31:16];
              addr_b_q <= insn.f1[15:0];
              layer_q  <= insn.f1[23:16];
              stride_q <= (insn.f1[31:24] != '0) ? 17'(insn.f1[31:24]) : 17'(kv_e_i);
              gsrc_q   <= 17'(insn.f0[15:0]);
              pos0_q   <= insn.f2[AW-1:0];
              state_q  <= StRdA;
            end
          end
        end
        // the two words: A = mask (KVST), B = history (KVST)
        StRdA: state_q <= StRdB;
        StRdB: begin
          wa_q    <= skip_a_q ? lowmask : (gb_rdata_i & lowmask);
          state_q <= StRdC;
        end
        StRdC: begin
          wb_q    <= skip_b_q ? '0 : gb_rdata_i;
          state_q <= StStCheck;
        end
        StStCheck: begin
          rank_q <= hist_cnt;
          if (32'(hist_cnt) + 32'(wr_cnt) > KV_TOKENS) begin
            err_q   <= 8'(ErrKvRank);
            state_q <= StDone;
          end else begin
            state_q <= StStNext;
          end
        end
        StStNext: begin
          if (wa_q == '0) begin
            err_q   <= failed_q ? 8'(ErrDmaWrAxi) : 8'(ErrNone);
            state_q <= StDone;
          end else begin
            tok_q        <= pos0_q + AW'(next_m);
            wa_q[next_m] <= 1'b0;
            pidx_q       <= '0;
            state_q      <= StStIssue;
          end
        end
        StStIssue: state_q <= StStWait;
        StStWait: begin
          if (dma_done_i) begin
            if (dma_err_i) failed_q <= 1'b1;
            if (inter && (32'(pidx_q) != KV_PORTS - 1)) begin
              pidx_q  <= pidx_q + 1'b1;
              state_q <= StStIssue;
            end else begin
              rank_q  <= rank_q + 1'b1;
              gsrc_q  <= gsrc_q + stride_q;
              state_q <= StStNext;
            end
          end
        end
        StRd: begin
          if (sb_rd_fire) begin
            rd_left_q <= rd_left_q - 1'b1;
            if (rd_w_q == WW'((17'(1) << log2e_q) - 1'b1)) begin
              rd_w_q <= '0;
              rd_a_q <= rd_a_q + 1'b1;
            end else begin
              rd_w_q <= rd_w_q + 1'b1;
            end
          end
          if (sb_rd_rvalid) begin
            wr_left_q <= wr_left_q - 1'b1;
            wr_ptr_q  <= wr_ptr_q + 1'b1;
            if (wr_left_q == 17'd1) state_q <= StDone;
          end
        end
        StDone: state_q <= StIdle;
        default: state_q <= StIdle;
      endcase
    end
  end

  assign ax_done_o = (state_q == StDone);
  assign ax_err_o  = (state_q == StDone) ? err_q : 8'(ErrNone);

  assign gb_re_o    = ((state_q == StRdA) && !skip_a_q) || ((state_q == StRdB) && !skip_b_q);
  assign gb_raddr_o = (state_q == StRdA) ? addr_a_q[GB_AW-1:0] : addr_b_q[GB_AW-1:0];
  assign gb_we_o    = (state_q == StRd) && sb_rd_rvalid;
  assign gb_waddr_o = wr_ptr_q;
  assign gb_wdata_o = sb_rd_rdata;

  assign dma_valid_o    = (state_q == StStIssue);
  assign dma_port_o     = 4'(pport) + 4'd1;
  assign dma_mem_addr_o = ADDR_W'(paddr);
  assign dma_gb_addr_o  = pgb[GB_AW-1:0];
  assign dma_len_o      = plen;

  // ---------------------------------------------------------------------------------------------
  // KVST.put: snoop of the DMA's buffer reads (data one cycle after the read enable)
  // ---------------------------------------------------------------------------------------------
  logic          snoop_q;
  logic [WW-1:0] pword_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      snoop_q <= 1'b0;
      pword_q <= '0;
    end else begin
      snoop_q <= dma_gb_re_i && put_q && (state_q == StStWait);
      if (state_q == StStIssue) begin
        pword_q <= inter ? WW'(32'(pidx_q) << log2ep) : '0;
      end else if (snoop_q) begin
        pword_q <= pword_q + 1'b1;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // KV staging buffer
  // ---------------------------------------------------------------------------------------------
  logic [AW:0] nk;
  assign nk = (32'(cfg_nk_i) > KV_TOKENS) ? AW1'(KV_TOKENS) : AW1'(cfg_nk_i);

  logic put_gnt;

  skipopu_kvsb #(
    .DATA_W   (DATA_W),
    .KV_TOKENS(KV_TOKENS),
    .ENTRY_MAX(KV_ENTRY_MAX),
    .NUM_PORTS(KV_PORTS),
    .LANES_IN (LANES)
  ) u_kvsb (
    .clk_i,
    .rst_ni,
    .clr_i        (e_chg),
    .cfg_log2e_i  (kvsb_log2e),
    .cfg_nk_i     (nk),
    .lane_we_i    ({LANES{1'b0}}),
    .lane_entry_i ({(LANES * AW){1'b0}}),
    .lane_word_i  ({(LANES * WW){1'b0}}),
    .lane_wdata_i ({(LANES * DATA_W){1'b0}}),
    .put_req_i    (snoop_q),
    .put_gnt_o    (put_gnt),
    .put_entry_i  (tok_q),
    .put_word_i   (pword_q),
    .put_wdata_i  (gb_rdata_i),
    .tile_req_i,
    .tile_nt_i,
    .tile_word_i,
    .tile_col_i,
    .tile_rvalid_o,
    .tile_rdata_o,
    .rd_req_i     (sb_rd_req),
    .rd_gnt_o     (sb_rd_gnt),
    .rd_entry_i   (rd_a_q[AW-1:0]),
    .rd_word_i    (rd_w_q),
    .rd_rvalid_o  (sb_rd_rvalid),
    .rd_rdata_o   (sb_rd_rdata)
  );

  // ---------------------------------------------------------------------------------------------
  // Counters
  // ---------------------------------------------------------------------------------------------
  logic [31:0] kvst_cyc_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      kvst_cyc_q <= '0;
    end else if (clr_i) begin
      kvst_cyc_q <= '0;
    end else if (state_q != StIdle && op_q == 8'(OpKvst)) begin
      kvst_cyc_q <= kvst_cyc_q + 1'b1;
    end
  end
  assign kvst_cycles_o = kvst_cyc_q;

  // pragma translate_off
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else begin
      // lanes never write during a KVST (KVLD and KVST are different instructions)
      assert (!snoop_q || put_gnt) else $error("skipopu_kvx: KVST.put word not granted");
      assert (!(ax_valid_i && state_q != StIdle))
        else $error("skipopu_kvx: instruction issued while busy");
    end
  end
  // pragma translate_on

  logic unused;
  // the decoder range-checks the buffer and memory addresses, so their high bits are zero
  assign unused = ^{insn.port, insn.f2[31:AW], put_gnt, kv_flags_i[1], addr_a_q, addr_b_q,
                    paddr, pgb};

endmodule
