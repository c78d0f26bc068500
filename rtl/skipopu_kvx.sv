// KV execution unit (docs/kv.md "Core integration"): executes KVST, KVLD and KVRD for the
// sequencer's handshake (ax_valid_i = skipopu_ctrl's kvx_valid_o), and holds the KV staging
// buffer (skipopu_kvsb), whose tile read port the attention engines use, and the KV read unit
// (skipopu_kv_unit).
//
// KVST (docs/isa.md): reads the mask word (unless all) and the history word (unless nohist)
// from the global buffer, checks KV_RANK (popcount(hist) + writers > KV_TOKENS: nothing is
// stored), then walks the writers m_0 < m_1 < ... (set bits of the mask below len) and issues
// one DMA store per piece: token-wise one piece of E words to KV port r mod P (r = base + j),
// interleaved P pieces of E/P words, one per port. Each piece waits for its DMA completion (all
// B responses); any failed piece gives DMA_WR_AXI after the last one. With put, the DMA's
// global-buffer reads of each piece are snooped (read data one cycle after the DMA's read
// enable) into the KVSB put port: entry t = pos0 + m_j, word = the piece's word in the entry.
// KVLD (model/core/kv.py _kvld): KV_SEQ unless layer 0 (which pulses the unit's step_start)
// or the previous KVLD's layer + 1 in this run; reads the exec and next history words (bits
// below T), waits until the KV read unit is idle (its reads share the HBM ports with the DMA and
// the weight access unit through skipopu_hbm_rd_mux's arbiters, KV first), sends one layer command (attend = flags[0],
// or CNT != 0 with dyn) and writes every delivered beat into the KVSB lanes: the entries are
// numbered in arrival order (a round's valid lanes in lane order, HBM ports then buffer ports,
// take a0, a0+1, ...; interleaved: one entry per round on every lane). It ends when the unit is
// idle again (and, attending, the layer's last beat has arrived), with DMA_RD_AXI if a beat had
// an error response (the entry is delivered as the memory returned it).
// KVRD: KVSB words to the global buffer, one per cycle (KVSB word read port, 1 cycle latency).
//
// The KVSB's entry size follows KVCFG: a KVCFG that sets a different E clears the KVSB (its bank
// mapping depends on E; model/core/kv.py does the same).
//
// Counters (cleared by clr_i): KVST_CYCLES, KV_CYCLES = cycles a KVST / KVLD executed (from
// the cycle after issue to done, as the sequencer's StWaitAx); the unit's HBM, buffer and keep
// words; KV_ROUNDS = rounds delivered.

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
  // Invariance buffer write ports
  parameter int KV_BUF_WR = 2,
  // Invariance buffer capacity in entries (a power of 2)
  parameter int KV_BUF_CAP = 64,
  // AXI ID width
  parameter int ID_W = 4,
  // Maximum beats per AXI burst of the core
  parameter int MAX_BURST = 16,
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
  input  logic [7:0]             kv_layers_i,    // L
  input  logic [1:0]             kv_flags_i,     // [0] interleaved, [1] invariance buffer

  // Instruction handshake (KVST, KVLD, KVRD only; 1-cycle valid, done at least a cycle later)
  input  logic                   ax_valid_i,
  input  logic [InsnW-1:0]       ax_insn_i,
  input  logic [15:0]            ax_cnt_i,       // CNT (KVLD dyn)
  output logic                   ax_done_o,
  output logic [7:0]             ax_err_o,       // ErrNone unless ax_done_o

  // DMA store commands (skipopu_dma's kv_* command source)
  output logic                   dma_valid_o,
  output logic [MemPortW-1:0]    dma_port_o,
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
  input  logic [7:0]             tile_nt_i,      // < KV_TOKENS / NCOL (upper bits 0)
  input  logic [7:0]             tile_word_i,    // < E (upper bits 0)
  input  logic                   tile_col_i,
  output logic                   tile_rvalid_o,
  output logic [NCOL*DATA_W-1:0] tile_rdata_o,

  // HBM read channels of KV ports 0..KV_PORTS-1 (core side, packed per port)
  output logic [KV_PORTS*ID_W-1:0]   m_axi_arid,
  output logic [KV_PORTS*ADDR_W-1:0] m_axi_araddr,
  output logic [KV_PORTS*8-1:0]      m_axi_arlen,
  output logic [KV_PORTS*3-1:0]      m_axi_arsize,
  output logic [KV_PORTS*2-1:0]      m_axi_arburst,
  output logic [KV_PORTS-1:0]        m_axi_arlock,
  output logic [KV_PORTS*4-1:0]      m_axi_arcache,
  output logic [KV_PORTS*3-1:0]      m_axi_arprot,
  output logic [KV_PORTS-1:0]        m_axi_arvalid,
  input  logic [KV_PORTS-1:0]        m_axi_arready,
  input  logic [KV_PORTS*ID_W-1:0]   m_axi_rid,
  input  logic [KV_PORTS*DATA_W-1:0] m_axi_rdata,
  input  logic [KV_PORTS*2-1:0]      m_axi_rresp,
  input  logic [KV_PORTS-1:0]        m_axi_rlast,
  input  logic [KV_PORTS-1:0]        m_axi_rvalid,
  output logic [KV_PORTS-1:0]        m_axi_rready,

  // Counters of the run (CSRs, low word first): KV_CYCLES, KV_HBM_WORDS, KV_BUF_WORDS,
  // KV_KEEP_WORDS, KV_ROUNDS, KVST_CYCLES
  output logic [6*32-1:0]        perf_o
);

  // pragma translate_off
  initial begin : p_params
    if ($countones(KV_PORTS) != 1) begin
      $fatal(1, "skipopu_kvx: KV_PORTS=%0d is not a power of 2", KV_PORTS);
    end
    if ($countones(KV_TOKENS) != 1 || KV_TOKENS % NCOL != 0 || KV_TOKENS % KV_PORTS != 0 ||
        KV_TOKENS > DATA_W) begin
      $fatal(1, "skipopu_kvx: KV_TOKENS=%0d must be a power of 2, a multiple of DATA_W/16 %s",
             KV_TOKENS, "and KV_PORTS, <= DATA_W");
    end
    if ($countones(KV_ENTRY_MAX) != 1 || KV_ENTRY_MAX < 2) begin
      $fatal(1, "skipopu_kvx: KV_ENTRY_MAX=%0d is not a power of 2 >= 2", KV_ENTRY_MAX);
    end
    if (KV_PORTS + KV_BUF_RD > NCOL) begin
      $fatal(1, "skipopu_kvx: KV_PORTS + KV_BUF_RD = %0d > DATA_W/16", KV_PORTS + KV_BUF_RD);
    end
  end
  // pragma translate_on

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

  localparam int LIW = $clog2(LANES + 1);
  // KV unit bursts: at most an entry, and within 4 KB
  localparam int KvBurstA = (MAX_BURST < KV_ENTRY_MAX) ? MAX_BURST : KV_ENTRY_MAX;
  localparam int KvBurst = (KvBurstA * DATA_W / 8 > 4096) ? 4096 / (DATA_W / 8) : KvBurstA;
  localparam int LaneDepth = (4 * KvBurst > 64) ? 4 * KvBurst : 64;

  typedef enum logic [3:0] {
    StIdle, StRdA, StRdB, StRdC, StStCheck, StStNext, StStIssue, StStWait, StRd, StLdIdle,
    StLdCmd, StLdWait, StDone
  } state_e;

  // KV read unit status (skipopu_kv_unit below)
  logic                     kv_cmd_ready, kv_busy, kv_err, kv_finish;

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------
  // Number of set lanes
  function automatic logic [LIW-1:0] lane_count(logic [LANES-1:0] v);
    logic [LIW-1:0] c;
    c = '0;
    for (int i = 0; i < LANES; i++) c = c + LIW'(v[i]);
    return c;
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
  // KVLD: decode-step session, command, arrival index
  logic               sess_q, attend_q, has_next_q, step_q, cmd_sent_q, last_seen_q, rd_err_q;
  logic [7:0]         next_layer_q;
  logic [AW-1:0]      a0_q;

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
  assign hist_cnt   = CW'(mask_popcount(MaskW'(wb_q)));
  assign wr_cnt     = CW'(mask_popcount(MaskW'(wa_q)));
  // the lowest writer left (none: DATA_W, i.e. 0 in MW bits; not used then)
  assign next_m     = MW'(mask_next_set(MaskW'(wa_q), '0, MaskCw'(DATA_W)));
  // (enum labels stay out of port connections: Icarus 11 would make them implicit nets)
  logic sb_rd_req, kv_cmd_valid;
  assign kv_cmd_valid = (state_q == StLdCmd);
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
      sess_q       <= 1'b0;
      attend_q     <= 1'b0;
      has_next_q   <= 1'b0;
      step_q       <= 1'b0;
      next_layer_q <= '0;
    end else if (clr_i) begin
      sess_q  <= 1'b0;          // a run's first KVLD must be at layer 0
      state_q <= StIdle;
    end else begin
      unique case (state_q)
        StIdle: begin
          err_q <= 8'(ErrNone);
          if (ax_valid_i) begin
            op_q     <= insn.opcode;
            len_q    <= insn.len;
            log2e_q  <= cfg_log2e;
            failed_q <= 1'b0;
            if (insn.opcode == 8'(OpKvld)) begin
              // len = T; f0 = {next, exec}; f1[7:0] = layer; flags [0] attend, [3] dyn
              layer_q    <= insn.f1[7:0];
              attend_q   <= insn.flags[3] ? (ax_cnt_i != '0) : insn.flags[0];
              has_next_q <= 32'(insn.f1[7:0]) + 1 < 32'(kv_layers_i);
              skip_a_q   <= 1'b0;
              skip_b_q   <= !(32'(insn.f1[7:0]) + 1 < 32'(kv_layers_i));
              addr_a_q   <= insn.f0[15:0];
              addr_b_q   <= insn.f0[31:16];
              if (insn.f1[7:0] != '0 && (!sess_q || insn.f1[7:0] != next_layer_q)) begin
                err_q   <= 8'(ErrKvSeq);
                state_q <= StDone;
              end else begin
                sess_q       <= 1'b1;
                next_layer_q <= insn.f1[7:0] + 1'b1;
                step_q       <= (insn.f1[7:0] == '0);
                state_q      <= StRdA;
              end
            end else if (insn.opcode == 8'(OpKvrd)) begin
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
        // the two words: A = mask (KVST), exec (KVLD); B = history (KVST), next (KVLD)
        StRdA: begin
          step_q  <= 1'b0;
          state_q <= StRdB;
        end
        StRdB: begin
          wa_q    <= skip_a_q ? lowmask : (gb_rdata_i & lowmask);
          state_q <= StRdC;
        end
        StRdC: begin
          if (op_q == 8'(OpKvld)) begin
            wb_q    <= skip_b_q ? '0 : (gb_rdata_i & lowmask);
            state_q <= StLdIdle;
          end else begin
            wb_q    <= skip_b_q ? '0 : gb_rdata_i;
            state_q <= StStCheck;
          end
        end
        StLdIdle: if (!kv_busy) state_q <= StLdCmd;
        StLdCmd: if (kv_cmd_ready) state_q <= StLdWait;
        StLdWait: begin
          if (kv_finish) begin
            err_q   <= rd_err_q ? 8'(ErrDmaRdAxi) : 8'(ErrNone);
            state_q <= StDone;
          end
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
  assign dma_port_o     = MemPortW'(pport) + MemPortW'(1);
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
  // KVLD: the KV read unit, its HBM read channels, the arrival numbering into the KVSB lanes
  // ---------------------------------------------------------------------------------------------
  logic                     kv_out_valid, kv_round_last, kv_layer_last;
  logic [LANES-1:0]         kv_lane_valid, kv_lane_err, kv_lane_we;
  logic [LANES*AW-1:0]      kv_lane_token, kv_lane_entry;
  logic [LANES*WW-1:0]      kv_lane_word;
  logic [LANES*DATA_W-1:0]  kv_data;
  logic [KV_PORTS*ADDR_W-1:0] kv_base;
  logic [31:0]              kv_hbm_words, kv_buf_words, kv_keep_words;

  for (genvar p = 0; p < KV_PORTS; p++) begin : g_base
    assign kv_base[p*ADDR_W +: ADDR_W] = ADDR_W'((64'(p) << 28) + 64'(kv_off_i));
  end

  // the layer is done once the command was taken, the unit is idle again and (attending) the
  // layer's last beat has been written
  assign kv_finish = cmd_sent_q && !kv_busy && (!attend_q || last_seen_q);

  // arrival index of each lane: a0 + the valid lanes below it (interleaved: a0 on every lane)
  for (genvar l = 0; l < LANES; l++) begin : g_lane
    logic [LANES-1:0] below;
    assign below = kv_lane_valid & LANES'((LANES'(1) << l) - 1'b1);
    assign kv_lane_entry[l*AW +: AW] = inter ? a0_q : a0_q + AW'(lane_count(below));
    assign kv_lane_we[l] = kv_out_valid && kv_lane_valid[l];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cmd_sent_q  <= 1'b0;
      last_seen_q <= 1'b0;
      rd_err_q    <= 1'b0;
      a0_q        <= '0;
    end else begin
      if (state_q == StLdCmd) begin
        cmd_sent_q  <= kv_cmd_ready;
        last_seen_q <= 1'b0;
        rd_err_q    <= 1'b0;
        a0_q        <= '0;
      end else if (state_q == StLdWait) begin
        if (kv_finish) cmd_sent_q <= 1'b0;
        if (kv_out_valid && kv_layer_last) last_seen_q <= 1'b1;
        if (|(kv_lane_we & kv_lane_err)) rd_err_q <= 1'b1;
        if (kv_out_valid && kv_round_last) begin
          a0_q <= inter ? a0_q + 1'b1 : a0_q + AW'(lane_count(kv_lane_valid));
        end
      end
    end
  end

  skipopu_kv_unit #(
    .NUM_PORTS  (KV_PORTS),
    .BUF_RD     (KV_BUF_RD),
    .BUF_WR     (KV_BUF_WR),
    .CAPACITY   (KV_BUF_CAP),
    .MAX_TOKENS (KV_TOKENS),
    .LAYER_W    (8),
    .DATA_W     (DATA_W),
    .ADDR_W     (ADDR_W),
    .ID_W       (ID_W),
    .ENTRY_WORDS(KV_ENTRY_MAX),
    .MAX_BURST  (KvBurst),
    .LANE_DEPTH (LaneDepth),
    .ROUND_DEPTH(16)
  ) u_kv (
    .clk_i,
    .rst_ni,
    .clr_i,
    .cfg_interleaved_i(inter),
    .cfg_log2e_i      (cfg_log2e),
    .cfg_base_i       (kv_base),
    .step_start_i     (step_q),
    .cmd_valid_i      (kv_cmd_valid),
    .cmd_ready_o      (kv_cmd_ready),
    .cmd_tokens_i     (AW1'(len_q)),
    .cmd_exec_i       (wa_q[KV_TOKENS-1:0]),
    .cmd_exec_next_i  (wb_q[KV_TOKENS-1:0]),
    .cmd_has_next_i   (has_next_q),
    .cmd_attend_i     (attend_q),
    .cmd_buf_en_i     (kv_flags_i[1]),
    .cmd_layer_i      (layer_q),
    .out_valid_o      (kv_out_valid),
    .out_ready_i      (1'b1),
    .out_lane_valid_o (kv_lane_valid),
    .out_lane_token_o (kv_lane_token),
    .out_lane_word_o  (kv_lane_word),
    .out_data_o       (kv_data),
    .out_err_o        (kv_lane_err),
    .out_round_last_o (kv_round_last),
    .out_layer_last_o (kv_layer_last),
    .busy_o           (kv_busy),
    .err_o            (kv_err),
    .stat_hbm_words_o (kv_hbm_words),
    .stat_buf_words_o (kv_buf_words),
    .stat_keep_words_o(kv_keep_words),
    .m_axi_arid,
    .m_axi_araddr,
    .m_axi_arlen,
    .m_axi_arsize,
    .m_axi_arburst,
    .m_axi_arlock,
    .m_axi_arcache,
    .m_axi_arprot,
    .m_axi_arvalid,
    .m_axi_arready,
    .m_axi_rid,
    .m_axi_rdata,
    .m_axi_rresp,
    .m_axi_rlast,
    .m_axi_rvalid,
    .m_axi_rready
  );

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
    .lane_we_i    (kv_lane_we),
    .lane_entry_i (kv_lane_entry),
    .lane_word_i  (kv_lane_word),
    .lane_wdata_i (kv_data),
    .put_req_i    (snoop_q),
    .put_gnt_o    (put_gnt),
    .put_entry_i  (tok_q),
    .put_word_i   (pword_q),
    .put_wdata_i  (gb_rdata_i),
    .tile_req_i,
    .tile_nt_i    (tile_nt_i[TNW-1:0]),
    .tile_word_i  (tile_word_i[WW-1:0]),
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
  logic [31:0] kvst_cyc_q, kv_cyc_q, kv_rounds_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      kvst_cyc_q  <= '0;
      kv_cyc_q    <= '0;
      kv_rounds_q <= '0;
    end else if (clr_i) begin
      kvst_cyc_q  <= '0;
      kv_cyc_q    <= '0;
      kv_rounds_q <= '0;
    end else begin
      if (state_q != StIdle && op_q == 8'(OpKvst)) kvst_cyc_q <= kvst_cyc_q + 1'b1;
      if (state_q != StIdle && op_q == 8'(OpKvld)) kv_cyc_q <= kv_cyc_q + 1'b1;
      if (kv_out_valid && kv_round_last) kv_rounds_q <= kv_rounds_q + 1'b1;
    end
  end
  assign perf_o = {kvst_cyc_q, kv_rounds_q, kv_keep_words, kv_buf_words, kv_hbm_words,
                   kv_cyc_q};

  // pragma translate_off
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else begin
      // lanes never write during a KVST (KVLD and KVST are different instructions)
      assert (!snoop_q || put_gnt) else $error("skipopu_kvx: KVST.put word not granted");
      // every KV-unit beat belongs to a KVLD
      assert (!kv_out_valid || state_q == StLdWait)
        else $error("skipopu_kvx: KV unit beat outside a KVLD");
      assert (!(ax_valid_i && state_q != StIdle))
        else $error("skipopu_kvx: instruction issued while busy");
    end
  end
  // pragma translate_on

  logic unused;
  // the decoder range-checks the buffer and memory addresses, so their high bits are zero
  assign unused = ^{insn.port, insn.f2[31:AW], put_gnt, addr_a_q, addr_b_q, paddr, pgb,
                    kv_err, kv_lane_token, tile_hi};
  // tile indices beyond the KVSB's widths are always 0 (NT <= KV_TOKENS / NCOL, words < E)
  logic [15:0] tile_hi;
  assign tile_hi = {8'(tile_nt_i >> TNW), 8'(tile_word_i >> WW)};

endmodule
