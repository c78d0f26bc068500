// Weight access unit (issue 15, docs/weights.md): streams MATMUL operand streams striped over
// NUM_PORTS HBM ports into a prefetch buffer and hands them out one chunk per cycle, the ports'
// words aligned into whole chunks (the paper's synchronised multi-port transfers, 4.1).
//
// Layout (model/stripe.py): a stream is chunks * CHUNK_WORDS core words (DATA_W bits each);
// word i lives at port i mod NUM_PORTS, AXI byte address
//   p * PC_BYTES + base + (i div NUM_PORTS) * DATA_W/8,
// so each port reads one contiguous run of chunks * WPC words (WPC = CHUNK_WORDS / NUM_PORTS)
// from p * PC_BYTES + base, and chunk c takes WPC words from every port.
//
// Descriptor queue (QDEPTH entries, in order): {base, chunks}. A descriptor occupies its entry
// from its push until its last chunk has been handed out, so head_*_o always describe the
// stream the next chunk belongs to (the consumer can check it) and desc_count_o is "pushed and
// not yet consumed". A descriptor with chunks = 0 is accepted and ignored.
//
// Per port: an AXI4 read master (AR + R; INCR bursts of at most MAX_BURST full-width beats that
// never cross 4 KB, ARID fixed) walks the queue on its own, so one port may run ahead of another
// (skew), bounded by its lane of the prefetch buffer (LANE_DEPTH words). Credit rule as in
// skipopu_axi_rd: a burst is issued only while the lane has room for it on top of what is stored
// and in flight, so rready is always high and R never stalls the interconnect; and only while at
// most MAX_INFLIGHT words are in flight, so that a deep buffer does not fill the HBM
// controller's queue with weight bursts ahead of the other masters of the port. Beats are counted
// per burst (a FIFO of the issued burst lengths): RLAST is checked, never trusted; a beat with
// RRESP != OKAY or with RLAST where the count says otherwise (early or missing) is an error.
// The R beats of a port are assembled into lane entries of WPC words (one chunk's share), so
// each lane pops a whole share per cycle; the lane memory has a registered read (block RAM).
//
// Output: chunk_valid_o once every lane holds the head chunk's share; chunk_data_o word w (bits
// [w*DATA_W +: DATA_W]) is stream word c * CHUNK_WORDS + w; chunk_err_o = some word of the chunk
// was an error beat (the unit marks it and carries on: stopping is the consumer's choice);
// chunk_last_o = last chunk of the head descriptor. One chunk per cycle at full rate.
//
// flush_i (a pulse; wins over everything in its cycle, including a chunk handshake): drops the
// queue and every buffered word, stops issuing; the beats of bursts in flight are still taken
// and dropped (counted, so a new stream pushed right after the flush gets only its own beats).
// busy_o stays high while anything is queued, buffered or in flight, so a run never ends with a
// dangling burst.

`ifndef SKIPOPU_ELAB_FATAL
// Elaboration-time parameter check: $fatal in a generate block (Verilator, synthesis) and, for
// simulators that run with warnings non-fatal or lack elaboration tasks (Icarus 11), at time 0.
`ifdef __ICARUS__
`define SKIPOPU_ELAB_FATAL(msg) initial $fatal(1, msg);
`else
`define SKIPOPU_ELAB_FATAL(msg) $fatal(1, msg); initial $fatal(1, msg);
`endif
`endif

module skipopu_wstream
  import skipopu_pkg::*;
#(
  // HBM ports the streams are striped over (>= 1)
  parameter int NUM_PORTS = 4,
  // Core word = AXI data width of each port, in bits (power of 2, 16 .. 1024)
  parameter int DATA_W = 256,
  // Chunk width in bits: CHUNK_WORDS = CHUNK_W / DATA_W words, a multiple of NUM_PORTS with a
  // power-of-2 share (CHUNK_WORDS / NUM_PORTS words) per port (default: one 16 x 32 INT4 tile)
  parameter int CHUNK_W = 2048,
  // AXI address width (>= 12)
  parameter int ADDR_W = 34,
  // AXI ID width (>= 1)
  parameter int ID_W = 4,
  // ARID of every burst (< 2^ID_W)
  parameter int ARID = 0,
  // Maximum beats per burst (1 .. 256)
  parameter int MAX_BURST = 16,
  // Pseudo-channel window of a port in bytes (power of 2): port p reads at p * PC_BYTES + offset
  parameter int PC_BYTES = 1 << 28,
  // Descriptor queue entries (power of 2, >= 2)
  parameter int QDEPTH = 8,
  // Width of a descriptor's chunk count (LEN_W + log2(share) <= 32)
  parameter int LEN_W = 24,
  // Prefetch buffer per port in words (power of 2, >= MAX_BURST + share, >= 2 * share):
  // what the ports may run ahead of the consumer (its gaps, skew); docs/weights.md
  parameter int LANE_DEPTH = 512,
  // Words in flight per port at most (MAX_BURST .. LANE_DEPTH): Little's law, round trip +
  // refresh; bounds the bursts this unit queues in the HBM controller ahead of other masters
  parameter int MAX_INFLIGHT = 64
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,

  // Descriptors
  input  logic                        desc_valid_i,
  output logic                        desc_ready_o,
  input  logic [ADDR_W-1:0]           desc_base_i,    // offset in each port's PC, word aligned
  input  logic [LEN_W-1:0]            desc_chunks_i,  // 0: accepted, ignored

  // The descriptor the next chunk belongs to
  output logic                        head_valid_o,
  output logic [ADDR_W-1:0]           head_base_o,
  output logic [LEN_W-1:0]            head_chunks_o,
  output logic [$clog2(QDEPTH):0]     desc_count_o,   // pushed, not yet fully handed out

  // Chunks
  output logic                        chunk_valid_o,
  input  logic                        chunk_ready_i,
  output logic [CHUNK_W-1:0]          chunk_data_o,
  output logic                        chunk_err_o,
  output logic                        chunk_last_o,   // last chunk of the head descriptor

  // Control and status
  input  logic                        flush_i,
  output logic                        busy_o,
  output logic [31:0]                 stat_chunks_o,  // chunks handed out
  output logic [NUM_PORTS*32-1:0]     stat_beats_o,   // R beats taken per port (dropped too)

  // AXI4 read masters, packed per port (sig[p*W +: W] = port p)
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

  localparam int ChunkWords = CHUNK_W / DATA_W;
  localparam int Wpc = ChunkWords / NUM_PORTS;          // share: words per port per chunk
  localparam int LogWpc = $clog2(Wpc);
  localparam int BeatBytes = DATA_W / 8;
  localparam int BeatShift = $clog2(BeatBytes);
  localparam int PcShift = $clog2(PC_BYTES);
  localparam int QW = $clog2(QDEPTH);
  localparam int WW = LEN_W + LogWpc;                   // words per port of a descriptor
  localparam int LaneEnt = LANE_DEPTH / Wpc;            // lane entries (one share each)
  localparam int LAW = $clog2(LaneEnt);
  localparam int EntW = Wpc * DATA_W + 1;               // share + error flag
  localparam int CntW = $clog2(LANE_DEPTH) + 1;
  localparam int BqDepth = 1 << $clog2(MAX_INFLIGHT);   // >= bursts in flight (>= 1 word each)

  // ---------------------------------------------------------------------------------------------
  // Elaboration-time checks
  // ---------------------------------------------------------------------------------------------
  if (NUM_PORTS < 1) begin : g_chk_ports
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: NUM_PORTS must be >= 1")
  end
  if (DATA_W < 16 || DATA_W > 1024 || (DATA_W & (DATA_W - 1)) != 0) begin : g_chk_dw
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: DATA_W must be a power of 2 in 16 .. 1024")
  end
  if (CHUNK_W < DATA_W || CHUNK_W % DATA_W != 0) begin : g_chk_cw
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: CHUNK_W must be a positive multiple of DATA_W")
  end
  if (ChunkWords % NUM_PORTS != 0) begin : g_chk_cwp
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: CHUNK_WORDS must be a multiple of NUM_PORTS")
  end
  if (Wpc < 1 || (Wpc & (Wpc - 1)) != 0) begin : g_chk_wpc
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: CHUNK_WORDS / NUM_PORTS must be a power of 2")
  end
  if (ADDR_W < 12 || ADDR_W > 64) begin : g_chk_aw
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: ADDR_W must be in 12 .. 64")
  end
  if (ID_W < 1 || ID_W > 31 || ARID < 0 || ARID >= (1 << ID_W)) begin : g_chk_id
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: ID_W must be in 1 .. 31 and ARID < 2^ID_W")
  end
  if (MAX_BURST < 1 || MAX_BURST > 256) begin : g_chk_mb
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: MAX_BURST must be in 1 .. 256")
  end
  if (PC_BYTES < BeatBytes || (PC_BYTES & (PC_BYTES - 1)) != 0) begin : g_chk_pc
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: PC_BYTES must be a power of 2 >= DATA_W / 8")
  end
  if (PcShift + $clog2(NUM_PORTS) > ADDR_W) begin : g_chk_pca
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: NUM_PORTS * PC_BYTES does not fit in ADDR_W bits")
  end
  if (QDEPTH < 2 || (QDEPTH & (QDEPTH - 1)) != 0) begin : g_chk_q
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: QDEPTH must be a power of 2 >= 2")
  end
  if (LEN_W < 1 || WW > 32) begin : g_chk_len
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: need LEN_W >= 1, LEN_W + log2(share) <= 32")
  end
  if (MAX_INFLIGHT < MAX_BURST || MAX_INFLIGHT > LANE_DEPTH) begin : g_chk_infl
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: MAX_INFLIGHT must be in MAX_BURST .. LANE_DEPTH")
  end
  if ((LANE_DEPTH & (LANE_DEPTH - 1)) != 0) begin : g_chk_lane
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: LANE_DEPTH must be a power of 2")
  end
  if (LANE_DEPTH < MAX_BURST + Wpc || LANE_DEPTH < 2 * Wpc) begin : g_chk_lane2
    `SKIPOPU_ELAB_FATAL("skipopu_wstream: LANE_DEPTH must be >= MAX_BURST + share, >= 2 * share")
  end

  // ---------------------------------------------------------------------------------------------
  // Descriptor queue: pushed at wptr, handed out at rptr; each port issues at its own pptr
  // ---------------------------------------------------------------------------------------------
  logic [ADDR_W-1:0] q_base_q   [QDEPTH];
  logic [LEN_W-1:0]  q_chunks_q [QDEPTH];
  logic [QW:0]       wptr_q, rptr_q;
  logic [LEN_W-1:0]  ocnt_q;                // chunks of the head descriptor handed out
  logic              push, cpop, clast;

  assign desc_ready_o = ((wptr_q - rptr_q) != (QW + 1)'(QDEPTH)) && !flush_i;
  assign push         = desc_valid_i && desc_ready_o && (desc_chunks_i != '0);

  always_ff @(posedge clk_i) begin
    if (push) begin
      q_base_q[wptr_q[QW-1:0]]   <= desc_base_i;
      q_chunks_q[wptr_q[QW-1:0]] <= desc_chunks_i;
    end
  end

  assign head_valid_o  = wptr_q != rptr_q;
  assign head_base_o   = q_base_q[rptr_q[QW-1:0]];
  assign head_chunks_o = q_chunks_q[rptr_q[QW-1:0]];
  assign desc_count_o  = wptr_q - rptr_q;
  assign clast         = (ocnt_q + 1'b1) == head_chunks_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q <= '0;
      rptr_q <= '0;
      ocnt_q <= '0;
    end else if (flush_i) begin
      wptr_q <= '0;
      rptr_q <= '0;
      ocnt_q <= '0;
    end else begin
      if (push) wptr_q <= wptr_q + 1'b1;
      if (cpop) begin
        if (clast) begin
          rptr_q <= rptr_q + 1'b1;
          ocnt_q <= '0;
        end else begin
          ocnt_q <= ocnt_q + 1'b1;
        end
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Per port: issue, R framing, share assembly, lane memory
  // ---------------------------------------------------------------------------------------------
  logic [NUM_PORTS-1:0]      lane_valid, port_busy;
  logic [NUM_PORTS-1:0]      lane_err;
  logic [Wpc*DATA_W-1:0]     lane_data [NUM_PORTS];

  for (genvar p = 0; p < NUM_PORTS; p++) begin : g_port
    localparam logic [ADDR_W-1:0] PortBase = ADDR_W'(p) << PcShift;

    // ---- issue ----------------------------------------------------------------------------
    logic [QW:0]       pptr_q;
    logic [WW-1:0]     done_q;                // words of the current descriptor requested
    logic              arvalid_q;
    logic [ADDR_W-1:0] araddr_q;
    logic [7:0]        arlen_q;
    logic [CntW-1:0]   infl_q;                // words requested, not yet received
    logic [CntW-1:0]   drop_q;                // beats in flight at a flush, to be dropped
    logic [LAW:0]      lw_q, lr_q, lvis_q;    // lane write / read / visible-write pointers
    logic [LogWpc:0]   asm_cnt;               // words of the share being assembled

    logic [QW-1:0]     cur;
    logic [WW-1:0]     left;
    logic [ADDR_W-1:0] addr;
    logic [13:0]       burst;
    logic [31:0]       used;
    logic [LAW:0]      lcount;
    logic              pend, launch, bq_ready, bq_valid;
    logic [7:0]        bq_head;

    assign cur   = pptr_q[QW-1:0];
    assign pend  = pptr_q != wptr_q;
    assign left  = (WW'(q_chunks_q[cur]) << LogWpc) - done_q;
    assign addr  = PortBase + q_base_q[cur] + (ADDR_W'(done_q) << BeatShift);
    assign burst = axi_burst_beats(addr[11:0], 32'(left), 14'(MAX_BURST), 3'(BeatShift));
    // words stored (lane + share being assembled) and in flight
    assign lcount = lw_q - lr_q;
    assign used   = 32'(infl_q) + (32'(lcount) << LogWpc) + 32'(asm_cnt);
    assign launch = pend && !flush_i && (!arvalid_q || m_axi_arready[p]) && bq_ready &&
                    (used + 32'(burst) <= LANE_DEPTH) &&
                    (32'(infl_q) + 32'(burst) <= MAX_INFLIGHT);

    // ---- R framing: beats counted per burst, RLAST checked ----------------------------------
    logic [7:0] bcnt_q;
    logic       r_fire, r_req, exp_last, r_bad, keep, drop;

    assign r_fire   = m_axi_rvalid[p] && m_axi_rready[p];
    assign r_req    = r_fire && bq_valid;             // a beat of an issued burst
    assign exp_last = bcnt_q == bq_head;
    assign r_bad    = (m_axi_rresp[2*p +: 2] != 2'b00) || (m_axi_rlast[p] != exp_last);
    assign drop     = r_req && (drop_q != '0);
    assign keep     = r_req && (drop_q == '0) && !flush_i;

    logic [$clog2(BqDepth):0] bq_count_unused;

    skipopu_fifo #(.DATA_W(8), .DEPTH(BqDepth)) u_bursts (
      .clk_i, .rst_ni,
      .wr_valid_i(launch), .wr_ready_o(bq_ready), .wr_data_i(8'(burst - 14'd1)),
      .rd_valid_o(bq_valid), .rd_ready_i(r_req && exp_last), .rd_data_o(bq_head),
      .count_o(bq_count_unused)
    );

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        pptr_q    <= '0;
        done_q    <= '0;
        arvalid_q <= 1'b0;
        araddr_q  <= '0;
        arlen_q   <= '0;
        infl_q    <= '0;
        drop_q    <= '0;
        bcnt_q    <= '0;
      end else begin
        if (flush_i) begin
          pptr_q <= '0;
          done_q <= '0;
          // every beat still to come belongs to a burst issued before the flush
          drop_q <= infl_q - (r_req ? CntW'(1) : '0);
        end else begin
          if (launch) begin
            if (32'(burst) == 32'(left)) begin
              pptr_q <= pptr_q + 1'b1;
              done_q <= '0;
            end else begin
              done_q <= done_q + WW'(burst);
            end
          end
          if (drop) drop_q <= drop_q - 1'b1;
        end
        // an AR once valid stays until accepted, flush or not
        if (launch) begin
          arvalid_q <= 1'b1;
          araddr_q  <= addr;
          arlen_q   <= 8'(burst - 14'd1);
        end else if (m_axi_arready[p]) begin
          arvalid_q <= 1'b0;
        end
        infl_q <= infl_q + (launch ? CntW'(burst) : '0) - (r_req ? CntW'(1) : '0);
        if (r_req) bcnt_q <= exp_last ? '0 : bcnt_q + 1'b1;
      end
    end

    // ---- share assembly: WPC beats -> one lane entry ----------------------------------------
    logic            lpush;
    logic [EntW-1:0] lwdata;

    if (Wpc == 1) begin : g_asm1
      assign asm_cnt = '0;
      assign lpush   = keep;
      assign lwdata  = {r_bad, m_axi_rdata[p*DATA_W +: DATA_W]};
    end else begin : g_asm
      logic [(Wpc-1)*DATA_W-1:0] asm_q;
      logic                      asm_err_q;
      logic [LogWpc:0]           asm_cnt_q;

      assign asm_cnt = asm_cnt_q;
      assign lpush   = keep && (asm_cnt_q == (LogWpc + 1)'(Wpc - 1));
      assign lwdata  = {asm_err_q || r_bad, m_axi_rdata[p*DATA_W +: DATA_W], asm_q};

      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          asm_err_q <= 1'b0;
          asm_cnt_q <= '0;
        end else if (flush_i || lpush) begin
          asm_err_q <= 1'b0;
          asm_cnt_q <= '0;
        end else if (keep) begin
          asm_err_q <= asm_err_q || r_bad;
          asm_cnt_q <= asm_cnt_q + 1'b1;
        end
      end

      always_ff @(posedge clk_i) begin
        if (keep && !lpush) begin
          for (int k = 0; k < Wpc - 1; k++) begin
            if (32'(asm_cnt_q) == k) asm_q[k*DATA_W +: DATA_W] <= m_axi_rdata[p*DATA_W +: DATA_W];
          end
        end
      end
    end

    // ---- lane memory: registered read, writes visible one cycle late -----------------------
    logic [EntW-1:0] lmem [LaneEnt];
    logic [EntW-1:0] lrd_q;
    logic [LAW:0]    lr_d;

    assign lr_d = lr_q + ((cpop && !flush_i) ? (LAW + 1)'(1) : '0);

    always_ff @(posedge clk_i) begin
      if (lpush) lmem[lw_q[LAW-1:0]] <= lwdata;
      lrd_q <= lmem[lr_d[LAW-1:0]];
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        lw_q   <= '0;
        lr_q   <= '0;
        lvis_q <= '0;
      end else if (flush_i) begin
        lw_q   <= '0;
        lr_q   <= '0;
        lvis_q <= '0;
      end else begin
        if (lpush) lw_q <= lw_q + 1'b1;
        lr_q   <= lr_d;
        lvis_q <= lw_q;
      end
    end

    assign lane_valid[p] = lr_q != lvis_q;
    assign lane_err[p]   = lrd_q[EntW-1];
    assign lane_data[p]  = lrd_q[Wpc*DATA_W-1:0];
    assign port_busy[p]  = (infl_q != '0) || arvalid_q || (lw_q != lr_q) || (asm_cnt != '0);

    // ---- statistics and AXI -----------------------------------------------------------------
    logic [31:0] beats_q;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) beats_q <= '0;
      else if (r_fire) beats_q <= beats_q + 1'b1;
    end

    assign stat_beats_o[p*32 +: 32]         = beats_q;
    assign m_axi_arid[p*ID_W +: ID_W]       = ID_W'(ARID);
    assign m_axi_araddr[p*ADDR_W +: ADDR_W] = araddr_q;
    assign m_axi_arlen[p*8 +: 8]            = arlen_q;
    assign m_axi_arsize[p*3 +: 3]           = 3'(BeatShift);
    assign m_axi_arburst[p*2 +: 2]          = 2'b01;      // INCR
    assign m_axi_arlock[p]                  = 1'b0;
    assign m_axi_arcache[p*4 +: 4]          = 4'b0011;    // normal non-cacheable bufferable
    assign m_axi_arprot[p*3 +: 3]           = 3'b010;     // unprivileged, non-secure, data
    assign m_axi_arvalid[p]                 = arvalid_q;
    // credits cover every beat in flight; beats nobody asked for are taken and dropped
    assign m_axi_rready[p]                  = 1'b1;

    // pragma translate_off
    // Simulation-only checks (plain always: Icarus rejects $error in always_ff)
    always @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        // nothing to check in reset
      end else if (r_fire && !bq_valid) begin
        $error("skipopu_wstream: port %0d: R beat without an outstanding burst (dropped)", p);
      end
    end
    // pragma translate_on
  end

  // ---------------------------------------------------------------------------------------------
  // Output: one chunk when every lane holds the head chunk's share
  // ---------------------------------------------------------------------------------------------
  logic [31:0] chunks_q;

  assign chunk_valid_o = (&lane_valid) && !flush_i;
  assign cpop          = chunk_valid_o && chunk_ready_i;
  assign chunk_err_o   = |lane_err;
  assign chunk_last_o  = clast;

  always_comb begin
    for (int p = 0; p < NUM_PORTS; p++) begin
      for (int k = 0; k < Wpc; k++) begin
        chunk_data_o[(k*NUM_PORTS + p)*DATA_W +: DATA_W] = lane_data[p][k*DATA_W +: DATA_W];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) chunks_q <= '0;
    else if (cpop) chunks_q <= chunks_q + 1'b1;
  end

  assign stat_chunks_o = chunks_q;
  assign busy_o        = (wptr_q != rptr_q) || (|port_busy);

  // RID is not needed (one ID, responses in order)
  logic unused_rid;
  assign unused_rid = ^m_axi_rid;

  // pragma translate_off
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else if (!flush_i) begin
      if (push) begin
        assert (desc_base_i[BeatShift-1:0] == '0)
          else $error("skipopu_wstream: descriptor base %0h not aligned to %0d B", desc_base_i,
                      BeatBytes);
        assert (64'(desc_base_i) + 64'(desc_chunks_i) * 64'(Wpc * BeatBytes) <= 64'(PC_BYTES))
          else $error("skipopu_wstream: stream %0h + %0d chunks leaves the PC window",
                      desc_base_i, desc_chunks_i);
      end
      if (chunk_valid_o) begin
        assert (head_valid_o) else $error("skipopu_wstream: chunk without a descriptor");
      end
    end
  end
  // pragma translate_on

endmodule
