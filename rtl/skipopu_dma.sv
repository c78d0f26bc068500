// DMA engine: moves whole global-buffer words between the global buffer and one of NUM_HBM+1
// memory ports (port 0 = DDR, port p >= 1 = HBM port p-1). Each port has its own AXI4 read and
// write burst engine (several bursts in flight, 4 KB splitting); one transfer runs at a time.
// The MATMUL operand streams do not pass through here: the weight access unit
// (skipopu_wstream) reads them from the HBM ports beside the DMA (skipopu_hbm_rd_mux arbitrates).
// Stream transfers (st_valid_i, the attention unit): a store takes its words from the ss_*
// stream instead of the buffer (QK score words to the DDR score area), a load hands its words
// to the ls_* stream instead of writing the buffer (SMNORM/SMFEAT reading the score area); both
// valid/ready, in memory order; error semantics as for the buffer transfers.
// Byte counters per port and direction count every data beat handshaken on the AXI bus by the
// transfer engines, the R beats of another read master on the port (ext_rd_beat_i: KV reads),
// and the operand-stream words the MATMUL engine consumes (wchunk_i: one chunk = WPC words from
// every HBM port): words the access unit prefetched but nobody consumed (a MATMUL stopped by an
// error, a flushed queue) are not counted, so the counters are those of docs/isa.md.
//
// The command comes from one of three sources (the sequencer, the KV unit, the attention unit;
// one instruction runs at a time). Port 0 is the DDR AXI master; the HBM masters are packed:
// m_axi_hbm_*[i*W +: W] is HBM port i (memory port i+1).

module skipopu_dma #(
  // Number of HBM ports (memory ports are DDR plus these)
  parameter int NUM_HBM = 4,
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI data width and global-buffer word width in bits
  parameter int DATA_W = 256,
  // AXI ID width
  parameter int ID_W = 4,
  // Maximum beats per AXI burst (power of 2, <= 256)
  parameter int MAX_BURST = 16,
  // Read engine FIFO depth in beats (bounds the read bursts in flight)
  parameter int RD_FIFO_DEPTH = 64,
  // Operand-stream words per HBM port in one chunk (CHUNK_WORDS / NUM_HBM)
  parameter int WPC = 2,
  // Write bursts in flight without a B response
  parameter int WR_OUTSTANDING = 8,
  // Global buffer address width
  parameter int GB_AW = 12,
  // Number of memory ports (derived, do not override)
  parameter int NP = NUM_HBM + 1
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 clr_i,           // clear the byte counters (start of a run)

  // Commands, accepted while idle (one instruction runs at a time, so at most one source is valid
  // in a cycle): LOAD/STORE from the sequencer, the KV unit's KVST pieces (buffer -> HBM), the
  // attention unit's stream transfers on DDR (data from ss_* / to ls_*)
  input  logic                 seq_valid_i,
  input  logic                 seq_store_i,     // 0: memory -> buffer, 1: buffer -> memory
  input  logic [skipopu_pkg::MemPortW-1:0] seq_port_i,
  input  logic [ADDR_W-1:0]    seq_mem_addr_i,
  input  logic [GB_AW-1:0]     seq_gb_addr_i,
  input  logic [15:0]          seq_len_i,       // words, >= 1
  input  logic                 kv_valid_i,
  input  logic [skipopu_pkg::MemPortW-1:0] kv_port_i,
  input  logic [ADDR_W-1:0]    kv_mem_addr_i,
  input  logic [GB_AW-1:0]     kv_gb_addr_i,
  input  logic [15:0]          kv_len_i,
  input  logic                 st_valid_i,
  input  logic                 st_store_i,
  input  logic [ADDR_W-1:0]    st_mem_addr_i,
  input  logic [15:0]          st_len_i,
  output logic                 done_o,          // pulse
  output logic                 err_o,           // with done_o: AXI error response seen

  // Stream transfers: store data in, load data out (valid/ready)
  input  logic                 ss_valid_i,
  output logic                 ss_ready_o,
  input  logic [DATA_W-1:0]    ss_data_i,
  output logic                 ls_valid_o,
  input  logic                 ls_ready_i,
  output logic [DATA_W-1:0]    ls_data_o,

  // MATMUL operand streams: a chunk taken by the MATMUL engine (counted on every HBM port)
  input  logic                 wchunk_i,

  // Global buffer
  output logic                 gb_we_o,
  output logic [GB_AW-1:0]     gb_waddr_o,
  output logic [DATA_W-1:0]    gb_wdata_o,
  output logic                 gb_re_o,
  output logic [GB_AW-1:0]     gb_raddr_o,
  input  logic [DATA_W-1:0]    gb_rdata_i,

  // R beats another read master took on an HBM port (the KV read unit behind the HBM read mux,
  // skipopu_hbm_rd_mux); counted in that port's read bytes
  input  logic [NUM_HBM-1:0]   ext_hbm_rd_beat_i,

  // Bytes moved per port (64-bit each, port 0 first)
  output logic [NP*64-1:0]     rd_bytes_o,
  output logic [NP*64-1:0]     wr_bytes_o,

  // AXI4 master of DDR (port 0)
  output logic [ID_W-1:0]        m_axi_ddr_awid,
  output logic [ADDR_W-1:0]      m_axi_ddr_awaddr,
  output logic [8-1:0]           m_axi_ddr_awlen,
  output logic [3-1:0]           m_axi_ddr_awsize,
  output logic [2-1:0]           m_axi_ddr_awburst,
  output logic                   m_axi_ddr_awlock,
  output logic [4-1:0]           m_axi_ddr_awcache,
  output logic [3-1:0]           m_axi_ddr_awprot,
  output logic                   m_axi_ddr_awvalid,
  input  logic                   m_axi_ddr_awready,
  output logic [DATA_W-1:0]      m_axi_ddr_wdata,
  output logic [DATA_W/8-1:0]    m_axi_ddr_wstrb,
  output logic                   m_axi_ddr_wlast,
  output logic                   m_axi_ddr_wvalid,
  input  logic                   m_axi_ddr_wready,
  input  logic [ID_W-1:0]        m_axi_ddr_bid,
  input  logic [2-1:0]           m_axi_ddr_bresp,
  input  logic                   m_axi_ddr_bvalid,
  output logic                   m_axi_ddr_bready,
  output logic [ID_W-1:0]        m_axi_ddr_arid,
  output logic [ADDR_W-1:0]      m_axi_ddr_araddr,
  output logic [8-1:0]           m_axi_ddr_arlen,
  output logic [3-1:0]           m_axi_ddr_arsize,
  output logic [2-1:0]           m_axi_ddr_arburst,
  output logic                   m_axi_ddr_arlock,
  output logic [4-1:0]           m_axi_ddr_arcache,
  output logic [3-1:0]           m_axi_ddr_arprot,
  output logic                   m_axi_ddr_arvalid,
  input  logic                   m_axi_ddr_arready,
  input  logic [ID_W-1:0]        m_axi_ddr_rid,
  input  logic [DATA_W-1:0]      m_axi_ddr_rdata,
  input  logic [2-1:0]           m_axi_ddr_rresp,
  input  logic                   m_axi_ddr_rlast,
  input  logic                   m_axi_ddr_rvalid,
  output logic                   m_axi_ddr_rready,
  // AXI4 masters of the HBM ports (port p = HBM p-1), packed: signal[i*W +: W] is HBM port i
  output logic [NUM_HBM*ID_W-1:0] m_axi_hbm_awid,
  output logic [NUM_HBM*ADDR_W-1:0] m_axi_hbm_awaddr,
  output logic [NUM_HBM*8-1:0]   m_axi_hbm_awlen,
  output logic [NUM_HBM*3-1:0]   m_axi_hbm_awsize,
  output logic [NUM_HBM*2-1:0]   m_axi_hbm_awburst,
  output logic [NUM_HBM-1:0]     m_axi_hbm_awlock,
  output logic [NUM_HBM*4-1:0]   m_axi_hbm_awcache,
  output logic [NUM_HBM*3-1:0]   m_axi_hbm_awprot,
  output logic [NUM_HBM-1:0]     m_axi_hbm_awvalid,
  input  logic [NUM_HBM-1:0]     m_axi_hbm_awready,
  output logic [NUM_HBM*DATA_W-1:0] m_axi_hbm_wdata,
  output logic [NUM_HBM*DATA_W/8-1:0] m_axi_hbm_wstrb,
  output logic [NUM_HBM-1:0]     m_axi_hbm_wlast,
  output logic [NUM_HBM-1:0]     m_axi_hbm_wvalid,
  input  logic [NUM_HBM-1:0]     m_axi_hbm_wready,
  input  logic [NUM_HBM*ID_W-1:0] m_axi_hbm_bid,
  input  logic [NUM_HBM*2-1:0]   m_axi_hbm_bresp,
  input  logic [NUM_HBM-1:0]     m_axi_hbm_bvalid,
  output logic [NUM_HBM-1:0]     m_axi_hbm_bready,
  output logic [NUM_HBM*ID_W-1:0] m_axi_hbm_arid,
  output logic [NUM_HBM*ADDR_W-1:0] m_axi_hbm_araddr,
  output logic [NUM_HBM*8-1:0]   m_axi_hbm_arlen,
  output logic [NUM_HBM*3-1:0]   m_axi_hbm_arsize,
  output logic [NUM_HBM*2-1:0]   m_axi_hbm_arburst,
  output logic [NUM_HBM-1:0]     m_axi_hbm_arlock,
  output logic [NUM_HBM*4-1:0]   m_axi_hbm_arcache,
  output logic [NUM_HBM*3-1:0]   m_axi_hbm_arprot,
  output logic [NUM_HBM-1:0]     m_axi_hbm_arvalid,
  input  logic [NUM_HBM-1:0]     m_axi_hbm_arready,
  input  logic [NUM_HBM*ID_W-1:0] m_axi_hbm_rid,
  input  logic [NUM_HBM*DATA_W-1:0] m_axi_hbm_rdata,
  input  logic [NUM_HBM*2-1:0]   m_axi_hbm_rresp,
  input  logic [NUM_HBM-1:0]     m_axi_hbm_rlast,
  input  logic [NUM_HBM-1:0]     m_axi_hbm_rvalid,
  output logic [NUM_HBM-1:0]     m_axi_hbm_rready
);

  // pragma translate_off
  initial begin : p_params
    if (NUM_HBM < 1 || NUM_HBM > skipopu_pkg::MaxNumHbm) begin
      $fatal(1, "skipopu_dma: NUM_HBM=%0d not in 1..%0d", NUM_HBM, skipopu_pkg::MaxNumHbm);
    end
    if ($countones(MAX_BURST) != 1 || MAX_BURST > 256 || RD_FIFO_DEPTH < MAX_BURST) begin
      $fatal(1, "skipopu_dma: MAX_BURST=%0d must be a power of 2 <= 256 and <= RD_FIFO_DEPTH=%0d",
             MAX_BURST, RD_FIFO_DEPTH);
    end
    if (NP != NUM_HBM + 1) begin
      $fatal(1, "skipopu_dma: NP=%0d is derived, do not override", NP);
    end
  end
  // pragma translate_on

  localparam int PfDepth = 4;   // store-path prefetch FIFO depth (covers the read latency)
  localparam int PfCntW = $clog2(PfDepth) + 1;

  // AXI ports of every memory port, packed per port (signal[p*W +: W] = port p)
  logic [NP*ID_W-1:0]          p_awid;
  logic [NP*ADDR_W-1:0]        p_awaddr;
  logic [NP*8-1:0]             p_awlen;
  logic [NP*3-1:0]             p_awsize;
  logic [NP*2-1:0]             p_awburst;
  logic [NP-1:0]               p_awlock;
  logic [NP*4-1:0]             p_awcache;
  logic [NP*3-1:0]             p_awprot;
  logic [NP-1:0]               p_awvalid;
  logic [NP-1:0]               p_awready;
  logic [NP*DATA_W-1:0]        p_wdata;
  logic [NP*DATA_W/8-1:0]      p_wstrb;
  logic [NP-1:0]               p_wlast;
  logic [NP-1:0]               p_wvalid;
  logic [NP-1:0]               p_wready;
  logic [NP*ID_W-1:0]          p_bid;
  logic [NP*2-1:0]             p_bresp;
  logic [NP-1:0]               p_bvalid;
  logic [NP-1:0]               p_bready;
  logic [NP*ID_W-1:0]          p_arid;
  logic [NP*ADDR_W-1:0]        p_araddr;
  logic [NP*8-1:0]             p_arlen;
  logic [NP*3-1:0]             p_arsize;
  logic [NP*2-1:0]             p_arburst;
  logic [NP-1:0]               p_arlock;
  logic [NP*4-1:0]             p_arcache;
  logic [NP*3-1:0]             p_arprot;
  logic [NP-1:0]               p_arvalid;
  logic [NP-1:0]               p_arready;
  logic [NP*ID_W-1:0]          p_rid;
  logic [NP*DATA_W-1:0]        p_rdata;
  logic [NP*2-1:0]             p_rresp;
  logic [NP-1:0]               p_rlast;
  logic [NP-1:0]               p_rvalid;
  logic [NP-1:0]               p_rready;

  // port 0 is DDR, ports 1..NUM_HBM the HBM ports
  assign m_axi_ddr_awid = p_awid[ID_W-1:0];
  assign m_axi_hbm_awid = p_awid[NP*ID_W-1:ID_W];
  assign m_axi_ddr_awaddr = p_awaddr[ADDR_W-1:0];
  assign m_axi_hbm_awaddr = p_awaddr[NP*ADDR_W-1:ADDR_W];
  assign m_axi_ddr_awlen = p_awlen[8-1:0];
  assign m_axi_hbm_awlen = p_awlen[NP*8-1:8];
  assign m_axi_ddr_awsize = p_awsize[3-1:0];
  assign m_axi_hbm_awsize = p_awsize[NP*3-1:3];
  assign m_axi_ddr_awburst = p_awburst[2-1:0];
  assign m_axi_hbm_awburst = p_awburst[NP*2-1:2];
  assign m_axi_ddr_awlock = p_awlock[0];
  assign m_axi_hbm_awlock = p_awlock[NP-1:1];
  assign m_axi_ddr_awcache = p_awcache[4-1:0];
  assign m_axi_hbm_awcache = p_awcache[NP*4-1:4];
  assign m_axi_ddr_awprot = p_awprot[3-1:0];
  assign m_axi_hbm_awprot = p_awprot[NP*3-1:3];
  assign m_axi_ddr_awvalid = p_awvalid[0];
  assign m_axi_hbm_awvalid = p_awvalid[NP-1:1];
  assign p_awready = {m_axi_hbm_awready, m_axi_ddr_awready};
  assign m_axi_ddr_wdata = p_wdata[DATA_W-1:0];
  assign m_axi_hbm_wdata = p_wdata[NP*DATA_W-1:DATA_W];
  assign m_axi_ddr_wstrb = p_wstrb[DATA_W/8-1:0];
  assign m_axi_hbm_wstrb = p_wstrb[NP*DATA_W/8-1:DATA_W/8];
  assign m_axi_ddr_wlast = p_wlast[0];
  assign m_axi_hbm_wlast = p_wlast[NP-1:1];
  assign m_axi_ddr_wvalid = p_wvalid[0];
  assign m_axi_hbm_wvalid = p_wvalid[NP-1:1];
  assign p_wready = {m_axi_hbm_wready, m_axi_ddr_wready};
  assign p_bid = {m_axi_hbm_bid, m_axi_ddr_bid};
  assign p_bresp = {m_axi_hbm_bresp, m_axi_ddr_bresp};
  assign p_bvalid = {m_axi_hbm_bvalid, m_axi_ddr_bvalid};
  assign m_axi_ddr_bready = p_bready[0];
  assign m_axi_hbm_bready = p_bready[NP-1:1];
  assign m_axi_ddr_arid = p_arid[ID_W-1:0];
  assign m_axi_hbm_arid = p_arid[NP*ID_W-1:ID_W];
  assign m_axi_ddr_araddr = p_araddr[ADDR_W-1:0];
  assign m_axi_hbm_araddr = p_araddr[NP*ADDR_W-1:ADDR_W];
  assign m_axi_ddr_arlen = p_arlen[8-1:0];
  assign m_axi_hbm_arlen = p_arlen[NP*8-1:8];
  assign m_axi_ddr_arsize = p_arsize[3-1:0];
  assign m_axi_hbm_arsize = p_arsize[NP*3-1:3];
  assign m_axi_ddr_arburst = p_arburst[2-1:0];
  assign m_axi_hbm_arburst = p_arburst[NP*2-1:2];
  assign m_axi_ddr_arlock = p_arlock[0];
  assign m_axi_hbm_arlock = p_arlock[NP-1:1];
  assign m_axi_ddr_arcache = p_arcache[4-1:0];
  assign m_axi_hbm_arcache = p_arcache[NP*4-1:4];
  assign m_axi_ddr_arprot = p_arprot[3-1:0];
  assign m_axi_hbm_arprot = p_arprot[NP*3-1:3];
  assign m_axi_ddr_arvalid = p_arvalid[0];
  assign m_axi_hbm_arvalid = p_arvalid[NP-1:1];
  assign p_arready = {m_axi_hbm_arready, m_axi_ddr_arready};
  assign p_rid = {m_axi_hbm_rid, m_axi_ddr_rid};
  assign p_rdata = {m_axi_hbm_rdata, m_axi_ddr_rdata};
  assign p_rresp = {m_axi_hbm_rresp, m_axi_ddr_rresp};
  assign p_rlast = {m_axi_hbm_rlast, m_axi_ddr_rlast};
  assign p_rvalid = {m_axi_hbm_rvalid, m_axi_ddr_rvalid};
  assign m_axi_ddr_rready = p_rready[0];
  assign m_axi_hbm_rready = p_rready[NP-1:1];

  logic busy;                   // a transfer runs

  // Command of this cycle (the sources never overlap; KVST pieces are stores from the buffer,
  // stream transfers are on DDR)
  logic              cmd_valid, cmd_store, cmd_stream;
  logic [skipopu_pkg::MemPortW-1:0] cmd_port;
  logic [ADDR_W-1:0] cmd_mem_addr;
  logic [GB_AW-1:0]  cmd_gb_addr;
  logic [15:0]       cmd_len;
  assign cmd_valid    = seq_valid_i || kv_valid_i || st_valid_i;
  assign cmd_store    = kv_valid_i ? 1'b1 : st_valid_i ? st_store_i : seq_store_i;
  assign cmd_stream   = st_valid_i;
  assign cmd_port     = kv_valid_i ? kv_port_i : st_valid_i ? '0 : seq_port_i;
  assign cmd_mem_addr = kv_valid_i ? kv_mem_addr_i : st_valid_i ? st_mem_addr_i :
                        seq_mem_addr_i;
  assign cmd_gb_addr  = kv_valid_i ? kv_gb_addr_i : seq_gb_addr_i;
  assign cmd_len      = kv_valid_i ? kv_len_i : st_valid_i ? st_len_i : seq_len_i;

  // pragma translate_off
  // Simulation-only checks of the command sources: one at a time, and (stream transfers) none
  // while a transfer runs
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else begin
      assert (!(seq_valid_i && kv_valid_i))
        else $error("DMA command from the sequencer and the KV unit in one cycle");
      assert (!(st_valid_i && busy))
        else $error("attention DMA stream requested while the DMA is busy");
    end
  end
  // pragma translate_on

  typedef enum logic [1:0] {StIdle, StIssue, StRun} state_e;

  state_e             state_q;
  logic               store_q, stream_q;
  logic [skipopu_pkg::MemPortW-1:0] port_q;
  logic [ADDR_W-1:0]  mem_addr_q;
  logic [15:0]        len_q;
  logic [GB_AW-1:0]   gb_waddr_q;   // load: next buffer word to write
  logic [GB_AW-1:0]   gb_raddr_q;   // store: next buffer word to read
  logic [15:0]        rd_left_q;    // store: buffer reads still to issue
  logic               pf_inflight_q;

  // Per-port engine signals
  logic [NP-1:0]        rd_cmd_valid, rd_cmd_ready, rd_out_valid, rd_out_ready, rd_out_last;
  logic [NP-1:0]        rd_busy, rd_done, rd_err, rd_beat, rd_out_err;
  logic [NP*DATA_W-1:0] rd_out_data;
  logic [NP-1:0]        wr_cmd_valid, wr_cmd_ready, wr_in_valid, wr_in_ready;
  logic [NP-1:0]        wr_busy, wr_done, wr_err, wr_beat;
  logic [63:0]          rd_bytes_q [NP];
  logic [63:0]          wr_bytes_q [NP];

  // Store-path prefetch FIFO
  logic              pf_wr_valid, pf_wr_ready, pf_rd_valid, pf_rd_ready;
  logic [DATA_W-1:0] pf_rd_data;
  logic [PfCntW-1:0] pf_count;

  // ---------------------------------------------------------------------------------------------
  // Control
  // ---------------------------------------------------------------------------------------------
  logic sel_cmd_ready, sel_done, sel_err;
  always_comb begin
    sel_cmd_ready = 1'b0;
    sel_done      = 1'b0;
    sel_err       = 1'b0;
    for (int p = 0; p < NP; p++) begin
      if (32'(port_q) == p) begin
        sel_cmd_ready = store_q ? wr_cmd_ready[p] : rd_cmd_ready[p];
        sel_done      = store_q ? wr_done[p] : rd_done[p];
        sel_err       = store_q ? wr_err[p] : rd_err[p];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
      store_q    <= 1'b0;
      stream_q   <= 1'b0;
      port_q     <= '0;
      mem_addr_q <= '0;
      len_q      <= '0;
    end else begin
      unique case (state_q)
        StIdle: begin
          if (cmd_valid) begin
            state_q    <= StIssue;
            store_q    <= cmd_store;
            stream_q   <= cmd_stream;
            port_q     <= cmd_port;
            mem_addr_q <= cmd_mem_addr;
            len_q      <= cmd_len;
          end
        end
        StIssue: if (sel_cmd_ready) state_q <= StRun;
        StRun:   if (sel_done) state_q <= StIdle;
        default: state_q <= StIdle;
      endcase
    end
  end

  assign busy = (state_q != StIdle);
  assign done_o = (state_q == StRun) && sel_done;
  assign err_o  = done_o && sel_err;

  always_comb begin
    for (int p = 0; p < NP; p++) begin
      rd_cmd_valid[p] = (state_q == StIssue) && !store_q && (32'(port_q) == p);
      wr_cmd_valid[p] = (state_q == StIssue) && store_q && (32'(port_q) == p);
      rd_out_ready[p] = !store_q && (32'(port_q) == p) && (!stream_q || ls_ready_i);
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Load path: read engine stream -> buffer writes (or the ls_* stream)
  // ---------------------------------------------------------------------------------------------
  logic              ld_valid, ld_fire;
  logic [DATA_W-1:0] ld_data;
  always_comb begin
    ld_valid = 1'b0;
    ld_data  = '0;
    for (int p = 0; p < NP; p++) begin
      if (32'(port_q) == p) begin
        ld_valid = rd_out_valid[p] && !store_q;
        ld_data  = rd_out_data[p*DATA_W +: DATA_W];
      end
    end
  end
  assign ld_fire    = ld_valid && !stream_q;
  assign ls_valid_o = ld_valid && stream_q;
  assign ls_data_o  = ld_data;

  assign gb_we_o    = ld_fire;
  assign gb_waddr_o = gb_waddr_q;
  assign gb_wdata_o = ld_data;

  // ---------------------------------------------------------------------------------------------
  // Store path: buffer reads -> prefetch FIFO -> write engine stream
  // ---------------------------------------------------------------------------------------------
  assign gb_re_o    = (state_q != StIdle) && store_q && !stream_q && (rd_left_q != '0) &&
                      (32'(pf_count) + 32'(pf_inflight_q) < PfDepth);
  assign gb_raddr_o = gb_raddr_q;
  assign pf_wr_valid = pf_inflight_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      gb_waddr_q    <= '0;
      gb_raddr_q    <= '0;
      rd_left_q     <= '0;
      pf_inflight_q <= 1'b0;
    end else begin
      pf_inflight_q <= gb_re_o;
      if (state_q == StIdle && cmd_valid) begin
        gb_waddr_q <= cmd_gb_addr;
        gb_raddr_q <= cmd_gb_addr;
        rd_left_q  <= cmd_store ? cmd_len : 16'd0;
      end else begin
        if (ld_fire) gb_waddr_q <= gb_waddr_q + 1'b1;
        if (gb_re_o) begin
          gb_raddr_q <= gb_raddr_q + 1'b1;
          rd_left_q  <= rd_left_q - 1'b1;
        end
      end
    end
  end

  skipopu_fifo #(
    .DATA_W(DATA_W),
    .DEPTH (PfDepth)
  ) u_pf_fifo (
    .clk_i,
    .rst_ni,
    .wr_valid_i(pf_wr_valid),
    .wr_ready_o(pf_wr_ready),
    .wr_data_i (gb_rdata_i),
    .rd_valid_o(pf_rd_valid),
    .rd_ready_i(pf_rd_ready),
    .rd_data_o (pf_rd_data),
    .count_o   (pf_count)
  );

  // stream stores: ss_* straight into the write engine (it takes exactly len words)
  logic              wr_src_valid;
  logic [DATA_W-1:0] wr_src_data;
  assign wr_src_valid = stream_q ? (ss_valid_i && state_q != StIdle) : pf_rd_valid;
  assign wr_src_data  = stream_q ? ss_data_i : pf_rd_data;

  always_comb begin
    pf_rd_ready = 1'b0;
    ss_ready_o  = 1'b0;
    for (int p = 0; p < NP; p++) begin
      wr_in_valid[p] = wr_src_valid && store_q && (32'(port_q) == p);
      if (32'(port_q) == p && store_q) begin
        pf_rd_ready = wr_in_ready[p] && !stream_q;
        ss_ready_o  = wr_in_ready[p] && stream_q && (state_q != StIdle);
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Per-port engines and counters
  // ---------------------------------------------------------------------------------------------
  logic [NP-1:0] ext_beat;      // R beats of another read master, per port (none on DDR)
  assign ext_beat = {ext_hbm_rd_beat_i, 1'b0};

  for (genvar p = 0; p < NP; p++) begin : g_port
    skipopu_axi_rd #(
      .ADDR_W    (ADDR_W),
      .DATA_W    (DATA_W),
      .ID_W      (ID_W),
      .LEN_W     (16),
      .MAX_BURST (MAX_BURST),
      .FIFO_DEPTH(RD_FIFO_DEPTH)
    ) u_rd (
      .clk_i,
      .rst_ni,
      .cmd_valid_i  (rd_cmd_valid[p]),
      .cmd_ready_o  (rd_cmd_ready[p]),
      .cmd_addr_i   (mem_addr_q),
      .cmd_beats_i  (len_q),
      .out_valid_o  (rd_out_valid[p]),
      .out_ready_i  (rd_out_ready[p]),
      .out_data_o   (rd_out_data[p*DATA_W +: DATA_W]),
      .out_last_o   (rd_out_last[p]),
      .out_err_o    (rd_out_err[p]),
      .busy_o     (rd_busy[p]),
      .done_o       (rd_done[p]),
      .err_o        (rd_err[p]),
      .beat_o       (rd_beat[p]),
      .m_axi_arid   (p_arid[p*ID_W +: ID_W]),
      .m_axi_araddr (p_araddr[p*ADDR_W +: ADDR_W]),
      .m_axi_arlen  (p_arlen[p*8 +: 8]),
      .m_axi_arsize (p_arsize[p*3 +: 3]),
      .m_axi_arburst(p_arburst[p*2 +: 2]),
      .m_axi_arlock (p_arlock[p]),
      .m_axi_arcache(p_arcache[p*4 +: 4]),
      .m_axi_arprot (p_arprot[p*3 +: 3]),
      .m_axi_arvalid(p_arvalid[p]),
      .m_axi_arready(p_arready[p]),
      .m_axi_rid    (p_rid[p*ID_W +: ID_W]),
      .m_axi_rdata  (p_rdata[p*DATA_W +: DATA_W]),
      .m_axi_rresp  (p_rresp[p*2 +: 2]),
      .m_axi_rlast  (p_rlast[p]),
      .m_axi_rvalid (p_rvalid[p]),
      .m_axi_rready (p_rready[p])
    );

    skipopu_axi_wr #(
      .ADDR_W         (ADDR_W),
      .DATA_W         (DATA_W),
      .ID_W           (ID_W),
      .LEN_W          (16),
      .MAX_BURST      (MAX_BURST),
      .MAX_OUTSTANDING(WR_OUTSTANDING)
    ) u_wr (
      .clk_i,
      .rst_ni,
      .cmd_valid_i  (wr_cmd_valid[p]),
      .cmd_ready_o  (wr_cmd_ready[p]),
      .cmd_addr_i   (mem_addr_q),
      .cmd_beats_i  (len_q),
      .in_valid_i   (wr_in_valid[p]),
      .in_ready_o   (wr_in_ready[p]),
      .in_data_i    (wr_src_data),
      .busy_o     (wr_busy[p]),
      .done_o       (wr_done[p]),
      .err_o        (wr_err[p]),
      .beat_o       (wr_beat[p]),
      .m_axi_awid   (p_awid[p*ID_W +: ID_W]),
      .m_axi_awaddr (p_awaddr[p*ADDR_W +: ADDR_W]),
      .m_axi_awlen  (p_awlen[p*8 +: 8]),
      .m_axi_awsize (p_awsize[p*3 +: 3]),
      .m_axi_awburst(p_awburst[p*2 +: 2]),
      .m_axi_awlock (p_awlock[p]),
      .m_axi_awcache(p_awcache[p*4 +: 4]),
      .m_axi_awprot (p_awprot[p*3 +: 3]),
      .m_axi_awvalid(p_awvalid[p]),
      .m_axi_awready(p_awready[p]),
      .m_axi_wdata  (p_wdata[p*DATA_W +: DATA_W]),
      .m_axi_wstrb  (p_wstrb[p*DATA_W/8 +: DATA_W/8]),
      .m_axi_wlast  (p_wlast[p]),
      .m_axi_wvalid (p_wvalid[p]),
      .m_axi_wready (p_wready[p]),
      .m_axi_bid    (p_bid[p*ID_W +: ID_W]),
      .m_axi_bresp  (p_bresp[p*2 +: 2]),
      .m_axi_bvalid (p_bvalid[p]),
      .m_axi_bready (p_bready[p])
    );

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        rd_bytes_q[p] <= '0;
        wr_bytes_q[p] <= '0;
      end else if (clr_i) begin
        rd_bytes_q[p] <= '0;
        wr_bytes_q[p] <= '0;
      end else begin
        rd_bytes_q[p] <= rd_bytes_q[p] + (64'(rd_beat[p]) + 64'(ext_beat[p]) +
                                          ((p != 0 && wchunk_i) ? 64'(WPC) : 64'd0)) *
                                         64'(DATA_W / 8);
        if (wr_beat[p]) wr_bytes_q[p] <= wr_bytes_q[p] + 64'(DATA_W / 8);
      end
    end

    assign rd_bytes_o[p*64 +: 64] = rd_bytes_q[p];
    assign wr_bytes_o[p*64 +: 64] = wr_bytes_q[p];
  end

  // Status bits used only for assertions/waves
  logic unused_status;
  assign unused_status = ^{rd_busy, wr_busy, rd_out_last, rd_out_err, pf_wr_ready};

endmodule
