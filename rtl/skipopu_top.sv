// SkipOPU core top level: instances and wires only (the units are documented in their files).
//   skipopu_param_check  the supported parameter combinations (simulation stops otherwise)
//   skipopu_csr          AXI4-Lite CSRs (docs/csr.md)
//   skipopu_ctrl         sequencer + decoder: one instruction at a time, dispatched to its unit
//   skipopu_fetch        instruction fetch (its own AXI4 read master on DDR)
//   skipopu_dma          LOAD/STORE, KVST pieces, attention streams, byte counters
//   skipopu_wstream      weight access unit: WFETCH queue, MATMUL operand streams striped over
//                        every HBM port, prefetch buffer, one chunk per cycle to skipopu_mm
//   skipopu_hbm_rd_mux   AR/R of every HBM port: KV read unit, DMA, weight stream (arbiters)
//   skipopu_hbm_ports    HBM clock-domain crossing (HBM_ASYNC) or direct
//   skipopu_gbuf         global buffer with its client arbitration
//   skipopu_vpu, skipopu_npe, skipopu_mm, skipopu_kvx, skipopu_att   execution units
//
// Memory ports:
//   m_axi_insn_*  read-only AXI4 master for instruction fetch (DDR address space)
//   m_axi_ddr_*   AXI4 master of the DMA to DDR (port 0 of LOAD/STORE)
//   m_axi_hbm_*   NUM_HBM AXI4 masters to HBM, packed: signal[i*W +: W] is HBM port i
//                 (LOAD/STORE port i+1)
// DDR, instruction and CSR ports run on clk_i. With HBM_ASYNC (default) the HBM ports run on
// hbm_clk_i (450 MHz nominal against 225 MHz for clk_i) at DATA_W/2 bits, one skipopu_axi_cdc per
// port (paper 4.1: asynchronous chunk FIFOs); the DMA always sees DATA_W-bit ports on clk_i.

module skipopu_top
  import skipopu_pkg::*;
#(
  // Number of HBM AXI ports (1..32; LOAD/STORE name ports 0..15 only, the 4-bit port field:
  // with NUM_HBM > 15 the higher ports serve the MATMUL streams and KV); the supported ranges
  // of every parameter are in skipopu_param_check (and model/isa.py: CoreConfig)
  parameter int NUM_HBM = 4,
  // Data width of every memory AXI port and of a global-buffer word in bits (128, 256, 512 or
  // 1024)
  parameter int DATA_W = 256,
  // AXI address width of every memory port in bits (<= 63)
  parameter int ADDR_W = 34,
  // AXI ID width
  parameter int ID_W = 4,
  // Global buffer depth in words (power of 2)
  parameter int GBUF_DEPTH = 4096,
  // Maximum beats per AXI burst (power of 2, <= 256)
  parameter int MAX_BURST = 16,
  // DMA read FIFO depth in beats per port (bounds the read bursts in flight)
  parameter int RD_FIFO_DEPTH = 64,
  // DMA write bursts in flight per port
  parameter int WR_OUTSTANDING = 8,
  // Largest MATMUL M (rows of the PSUM buffer)
  parameter int MMAX = 64,
  // NPE statistics RAM rows (power of 2): RMS statistics held between RMSSQ/snoop and RMSNORM
  parameter int NPE_ROWS = 256,
  // 1: HBM ports in their own clock domain (hbm_clk_i, nominally 2x clk_i) at DATA_W/2 bits
  // behind asynchronous chunk FIFOs (skipopu_axi_cdc); 0: HBM ports on clk_i at DATA_W bits
  parameter int HBM_ASYNC = 1,
  // HBM ports 0..KV_PORTS-1 hold the KV cache (a power of 2 <= NUM_HBM)
  parameter int KV_PORTS = 4,
  // KV staging buffer entries = largest attention key set (a power of 2, a multiple of
  // DATA_W/16 and KV_PORTS, <= DATA_W)
  parameter int KV_TOKENS = 64,
  // Largest KV entry in words (a power of 2 in 2..128)
  parameter int KV_ENTRY_MAX = 16,
  // Invariance buffer entries (a power of 2)
  parameter int KV_BUF_CAP = 64,
  // Invariance buffer read ports (1..15, KV_PORTS + KV_BUF_RD <= DATA_W/16)
  parameter int KV_BUF_RD = 2,
  // Invariance buffer write ports (1..15)
  parameter int KV_BUF_WR = 2,
  // Softmax feature rows (a power of 2)
  parameter int SMAX_ROWS = 256,
  // PE-array columns: DATA_W/16 times 1, 2 or 4; NCOL/4 (the words of one INT4 weight tile, a
  // chunk of the MATMUL operand stream) a multiple of NUM_HBM (docs/isa.md "MATMUL")
  parameter int NCOL = 32,
  // WFETCH queue entries (a power of 2 in 2..128)
  parameter int WFETCH_DEPTH = 8,
  // INT4 groups per column tile the MATMUL engine holds (largest K/group, 1..255)
  parameter int MM_SCALE_ROWS = 64,
  // Prefetch buffer words per HBM port (the weight access unit's lanes; docs/weights.md)
  parameter int WS_LANE_DEPTH = 512,
  // HBM AXI data width (derived, do not override)
  parameter int HBM_W = (HBM_ASYNC != 0) ? DATA_W / 2 : DATA_W
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  // HBM clock domain (used when HBM_ASYNC); assert hbm_rst_ni together with rst_ni
  input  logic                      hbm_clk_i,
  input  logic                      hbm_rst_ni,
  output logic                      irq_o,

  // CSR slave
  input  logic [11:0]               s_axil_awaddr,
  input  logic [2:0]                s_axil_awprot,
  input  logic                      s_axil_awvalid,
  output logic                      s_axil_awready,
  input  logic [31:0]               s_axil_wdata,
  input  logic [3:0]                s_axil_wstrb,
  input  logic                      s_axil_wvalid,
  output logic                      s_axil_wready,
  output logic [1:0]                s_axil_bresp,
  output logic                      s_axil_bvalid,
  input  logic                      s_axil_bready,
  input  logic [11:0]               s_axil_araddr,
  input  logic [2:0]                s_axil_arprot,
  input  logic                      s_axil_arvalid,
  output logic                      s_axil_arready,
  output logic [31:0]               s_axil_rdata,
  output logic [1:0]                s_axil_rresp,
  output logic                      s_axil_rvalid,
  input  logic                      s_axil_rready,

  output logic [ID_W-1:0]           m_axi_insn_arid,
  output logic [ADDR_W-1:0]         m_axi_insn_araddr,
  output logic [7:0]                m_axi_insn_arlen,
  output logic [2:0]                m_axi_insn_arsize,
  output logic [1:0]                m_axi_insn_arburst,
  output logic                      m_axi_insn_arlock,
  output logic [3:0]                m_axi_insn_arcache,
  output logic [2:0]                m_axi_insn_arprot,
  output logic                      m_axi_insn_arvalid,
  input  logic                      m_axi_insn_arready,
  input  logic [ID_W-1:0]           m_axi_insn_rid,
  input  logic [DATA_W-1:0]         m_axi_insn_rdata,
  input  logic [1:0]                m_axi_insn_rresp,
  input  logic                      m_axi_insn_rlast,
  input  logic                      m_axi_insn_rvalid,
  output logic                      m_axi_insn_rready,

  output logic [ID_W-1:0]           m_axi_ddr_awid,
  output logic [ADDR_W-1:0]         m_axi_ddr_awaddr,
  output logic [7:0]                m_axi_ddr_awlen,
  output logic [2:0]                m_axi_ddr_awsize,
  output logic [1:0]                m_axi_ddr_awburst,
  output logic                      m_axi_ddr_awlock,
  output logic [3:0]                m_axi_ddr_awcache,
  output logic [2:0]                m_axi_ddr_awprot,
  output logic                      m_axi_ddr_awvalid,
  input  logic                      m_axi_ddr_awready,
  output logic [DATA_W-1:0]         m_axi_ddr_wdata,
  output logic [DATA_W/8-1:0]       m_axi_ddr_wstrb,
  output logic                      m_axi_ddr_wlast,
  output logic                      m_axi_ddr_wvalid,
  input  logic                      m_axi_ddr_wready,
  input  logic [ID_W-1:0]           m_axi_ddr_bid,
  input  logic [1:0]                m_axi_ddr_bresp,
  input  logic                      m_axi_ddr_bvalid,
  output logic                      m_axi_ddr_bready,
  output logic [ID_W-1:0]           m_axi_ddr_arid,
  output logic [ADDR_W-1:0]         m_axi_ddr_araddr,
  output logic [7:0]                m_axi_ddr_arlen,
  output logic [2:0]                m_axi_ddr_arsize,
  output logic [1:0]                m_axi_ddr_arburst,
  output logic                      m_axi_ddr_arlock,
  output logic [3:0]                m_axi_ddr_arcache,
  output logic [2:0]                m_axi_ddr_arprot,
  output logic                      m_axi_ddr_arvalid,
  input  logic                      m_axi_ddr_arready,
  input  logic [ID_W-1:0]           m_axi_ddr_rid,
  input  logic [DATA_W-1:0]         m_axi_ddr_rdata,
  input  logic [1:0]                m_axi_ddr_rresp,
  input  logic                      m_axi_ddr_rlast,
  input  logic                      m_axi_ddr_rvalid,
  output logic                      m_axi_ddr_rready,

  output logic [NUM_HBM*ID_W-1:0]   m_axi_hbm_awid,
  output logic [NUM_HBM*ADDR_W-1:0] m_axi_hbm_awaddr,
  output logic [NUM_HBM*8-1:0]      m_axi_hbm_awlen,
  output logic [NUM_HBM*3-1:0]      m_axi_hbm_awsize,
  output logic [NUM_HBM*2-1:0]      m_axi_hbm_awburst,
  output logic [NUM_HBM-1:0]        m_axi_hbm_awlock,
  output logic [NUM_HBM*4-1:0]      m_axi_hbm_awcache,
  output logic [NUM_HBM*3-1:0]      m_axi_hbm_awprot,
  output logic [NUM_HBM-1:0]        m_axi_hbm_awvalid,
  input  logic [NUM_HBM-1:0]        m_axi_hbm_awready,
  output logic [NUM_HBM*HBM_W-1:0] m_axi_hbm_wdata,
  output logic [NUM_HBM*HBM_W/8-1:0] m_axi_hbm_wstrb,
  output logic [NUM_HBM-1:0]        m_axi_hbm_wlast,
  output logic [NUM_HBM-1:0]        m_axi_hbm_wvalid,
  input  logic [NUM_HBM-1:0]        m_axi_hbm_wready,
  input  logic [NUM_HBM*ID_W-1:0]   m_axi_hbm_bid,
  input  logic [NUM_HBM*2-1:0]      m_axi_hbm_bresp,
  input  logic [NUM_HBM-1:0]        m_axi_hbm_bvalid,
  output logic [NUM_HBM-1:0]        m_axi_hbm_bready,
  output logic [NUM_HBM*ID_W-1:0]   m_axi_hbm_arid,
  output logic [NUM_HBM*ADDR_W-1:0] m_axi_hbm_araddr,
  output logic [NUM_HBM*8-1:0]      m_axi_hbm_arlen,
  output logic [NUM_HBM*3-1:0]      m_axi_hbm_arsize,
  output logic [NUM_HBM*2-1:0]      m_axi_hbm_arburst,
  output logic [NUM_HBM-1:0]        m_axi_hbm_arlock,
  output logic [NUM_HBM*4-1:0]      m_axi_hbm_arcache,
  output logic [NUM_HBM*3-1:0]      m_axi_hbm_arprot,
  output logic [NUM_HBM-1:0]        m_axi_hbm_arvalid,
  input  logic [NUM_HBM-1:0]        m_axi_hbm_arready,
  input  logic [NUM_HBM*ID_W-1:0]   m_axi_hbm_rid,
  input  logic [NUM_HBM*HBM_W-1:0] m_axi_hbm_rdata,
  input  logic [NUM_HBM*2-1:0]      m_axi_hbm_rresp,
  input  logic [NUM_HBM-1:0]        m_axi_hbm_rlast,
  input  logic [NUM_HBM-1:0]        m_axi_hbm_rvalid,
  output logic [NUM_HBM-1:0]        m_axi_hbm_rready
);

  localparam int NP = NUM_HBM + 1;
  localparam int GB_AW = $clog2(GBUF_DEPTH);

  skipopu_param_check #(
    .NUM_HBM       (NUM_HBM),
    .DATA_W        (DATA_W),
    .ADDR_W        (ADDR_W),
    .ID_W          (ID_W),
    .GBUF_DEPTH    (GBUF_DEPTH),
    .MAX_BURST     (MAX_BURST),
    .RD_FIFO_DEPTH (RD_FIFO_DEPTH),
    .WR_OUTSTANDING(WR_OUTSTANDING),
    .MMAX          (MMAX),
    .NPE_ROWS      (NPE_ROWS),
    .HBM_ASYNC     (HBM_ASYNC),
    .KV_PORTS      (KV_PORTS),
    .KV_TOKENS     (KV_TOKENS),
    .KV_ENTRY_MAX  (KV_ENTRY_MAX),
    .KV_BUF_CAP    (KV_BUF_CAP),
    .KV_BUF_RD     (KV_BUF_RD),
    .KV_BUF_WR     (KV_BUF_WR),
    .SMAX_ROWS     (SMAX_ROWS),
    .NCOL          (NCOL),
    .WFETCH_DEPTH  (WFETCH_DEPTH),
    .MM_SCALE_ROWS (MM_SCALE_ROWS)
  ) u_param_check ();

  // ---------------------------------------------------------------------------------------------
  // Wires
  // ---------------------------------------------------------------------------------------------
  // CSRs <-> sequencer, counters
  logic              start, busy, done, clr;
  logic [63:0]       prog_base;
  logic [31:0]       prog_len;
  logic [7:0]        err_code;
  logic [31:0]       err_pc;
  logic [63:0]       cycles;
  logic [31:0]       insn_count;
  logic [4*32-1:0]   perf;
  logic [NP*64-1:0]  rd_bytes, wr_bytes;
  logic [6*32-1:0]   kv_perf;
  logic [31:0]       att_cycles;
  logic [NumUnits*32-1:0] unit_cycles;
  // fetch
  logic              fetch_start, fetch_stop, fetch_idle;
  logic [ADDR_W-1:0] fetch_base;
  logic [31:0]       fetch_len;
  logic              insn_valid, insn_err, insn_ready;
  logic [InsnW-1:0]  insn;
  // DMA commands: sequencer (LOAD/STORE), KV unit (KVST pieces), attention unit (streams)
  logic              seq_dma_valid, seq_dma_store;
  logic [MemPortW-1:0] seq_dma_port;
  logic [ADDR_W-1:0] seq_dma_mem_addr;
  logic [GB_AW-1:0]  seq_dma_gb_addr;
  logic [15:0]       seq_dma_len;
  logic              kvx_dma_valid;
  logic [MemPortW-1:0] kvx_dma_port;
  logic [ADDR_W-1:0] kvx_dma_mem_addr;
  logic [GB_AW-1:0]  kvx_dma_gb_addr;
  logic [15:0]       kvx_dma_len;
  logic              att_dma_valid, att_dma_store;
  logic [ADDR_W-1:0] att_dma_addr;
  logic [15:0]       att_dma_len;
  logic              dma_done, dma_err;
  logic              ss_valid, ss_ready, ls_valid, ls_ready;
  logic [DATA_W-1:0] ss_data, ls_data;
  // MATMUL engine
  logic              mm_start, mm_int4, mm_done, mm_err, mm_norm, mm_abort, mm_norm_issue;
  logic              mm_pe_active;
  logic [15:0]       mm_m, mm_k, mm_n, mm_group;
  logic [GB_AW-1:0]  mm_src, mm_dst;
  // weight access unit (operand streams) <-> sequencer, MATMUL engine, HBM read arbiters
  localparam int ChunkW = DATA_W / 16 * NCOL * 4;
  logic              ws_push, ws_ready, ws_head_valid, ws_flush, ws_busy;
  logic [ADDR_W-1:0] ws_base, ws_head_base;
  logic [25:0]       ws_chunks, ws_head_chunks;
  logic [$clog2(WFETCH_DEPTH):0] ws_count;
  logic              ws_chunk_valid, ws_chunk_ready, ws_chunk_err;
  logic [ChunkW-1:0] ws_chunk_data;
  logic              wf_mask_re;
  logic [GB_AW-1:0]  wf_mask_raddr;
  logic [NUM_HBM*ID_W-1:0]   ws_arid, ws_rid;
  logic [NUM_HBM*ADDR_W-1:0] ws_araddr;
  logic [NUM_HBM*8-1:0]      ws_arlen;
  logic [NUM_HBM*3-1:0]      ws_arsize, ws_arprot;
  logic [NUM_HBM*2-1:0]      ws_arburst, ws_rresp;
  logic [NUM_HBM-1:0]        ws_arlock, ws_arvalid, ws_arready, ws_rlast, ws_rvalid, ws_rready;
  logic [NUM_HBM*4-1:0]      ws_arcache;
  logic [NUM_HBM*DATA_W-1:0] ws_rdata;
  // vector unit
  logic              vpu_valid, vpu_done, vpu_force;
  logic [7:0]        vpu_stride;
  logic [GB_AW-1:0]  vpu_dst, vpu_src0, vpu_src1, vpu_mask;
  logic [15:0]       vpu_len, vpu_pair, vpu_cnt;
  logic [1:0]        vpu_op;
  // NPE command and configuration
  logic [15:0]       npe_d, npe_hw, npe_snoop_base, npe_len, npe_stat, npe_words, npe_stride;
  logic [31:0]       npe_eps, npe_inv_d;
  logic              npe_valid, npe_masked, npe_compact, npe_busy, npe_done, npe_err;
  npe_op_e           npe_op;
  logic [GB_AW-1:0]  npe_dst, npe_src, npe_aux, npe_mask;
  logic              snoop_start, snoop_en;
  // fused MATMUL normalisation (MATMUL norm flag)
  logic              mmx_start, mmx_ready, mmx_stop;
  logic [GB_AW-1:0]  mmx_x, mmx_w, mmx_mask;
  logic [15:0]       mmx_stat, mmx_n, mmx_cnt;
  // KVCFG / ATTCFG registers, KV and attention unit handshakes
  logic [15:0]       kv_e, att_nk, ax_cnt;
  logic [31:0]       kv_off, att_sbase;
  logic [7:0]        kv_layers, att_h, att_kvh, att_hw, att_qs;
  logic [1:0]        kv_flags;
  logic              att_causal;
  logic              kvx_valid, kvx_done, att_valid, att_done;
  logic [7:0]        kvx_err, att_err;
  logic [InsnW-1:0]  ax_insn;
  // KVSB tile port (QK: K^T tiles, PV: V tiles of the MATMUL engine)
  logic              tile_req, tile_col, tile_rvalid;
  logic [7:0]        tile_nt, tile_word;
  logic [DATA_W*DATA_W/16-1:0] tile_rdata;
  // attention unit <-> MATMUL engine
  logic              att_mm_start, att_mm_pv;
  logic [15:0]       att_mm_mg, att_mm_j0, att_mm_r, att_mm_os;
  logic [2:0]        att_mm_lrep;
  logic [7:0]        att_mm_g0, att_mm_ng, att_mm_nt, att_mm_hw, att_mm_kvh, att_mm_qs;
  logic [GB_AW-1:0]  att_mm_x, att_mm_o;
  logic              sc_valid, sc_ready;
  logic [DATA_W-1:0] sc_data;
  // global buffer clients
  logic              gb_we;
  logic [DATA_W-1:0] gb_wdata, gb_rdata_a, gb_rdata_b;
  logic              dma_gb_we, dma_gb_re, vpu_we, vpu_re, mm_re, mm_we, kvx_re, kvx_we, att_we;
  logic              npe_we, npe_re_a, npe_re_b, att_mask_re;
  logic [GB_AW-1:0]  dma_gb_waddr, dma_gb_raddr, vpu_waddr, vpu_raddr0, vpu_raddr1;
  logic [GB_AW-1:0]  mm_raddr, mm_waddr_gb, npe_waddr, npe_raddr_a, npe_raddr_b;
  logic [GB_AW-1:0]  kvx_raddr, kvx_waddr, att_waddr, att_mask_raddr;
  logic [DATA_W-1:0] dma_gb_wdata, vpu_wdata, mm_wdata, npe_wdata, kvx_wdata, att_wdata;
  // KV read unit side of the HBM read mux (ports 0..KV_PORTS-1), its R beats per HBM port
  logic [NUM_HBM-1:0] kv_rd_beat;
  logic [KV_PORTS*ID_W-1:0]        kv_arid;
  logic [KV_PORTS*ADDR_W-1:0]      kv_araddr;
  logic [KV_PORTS*8-1:0]           kv_arlen;
  logic [KV_PORTS*3-1:0]           kv_arsize;
  logic [KV_PORTS*2-1:0]           kv_arburst;
  logic [KV_PORTS-1:0]             kv_arlock;
  logic [KV_PORTS*4-1:0]           kv_arcache;
  logic [KV_PORTS*3-1:0]           kv_arprot;
  logic [KV_PORTS-1:0]             kv_arvalid;
  logic [KV_PORTS-1:0]             kv_arready;
  logic [KV_PORTS*ID_W-1:0]        kv_rid;
  logic [KV_PORTS*DATA_W-1:0]      kv_rdata;
  logic [KV_PORTS*2-1:0]           kv_rresp;
  logic [KV_PORTS-1:0]             kv_rlast;
  logic [KV_PORTS-1:0]             kv_rvalid;
  logic [KV_PORTS-1:0]             kv_rready;
  // DMA side of the HBM ports (DATA_W bits, clk_i)
  logic [NUM_HBM*ID_W-1:0]         dh_awid;
  logic [NUM_HBM*ADDR_W-1:0]       dh_awaddr;
  logic [NUM_HBM*8-1:0]            dh_awlen;
  logic [NUM_HBM*3-1:0]            dh_awsize;
  logic [NUM_HBM*2-1:0]            dh_awburst;
  logic [NUM_HBM-1:0]              dh_awlock;
  logic [NUM_HBM*4-1:0]            dh_awcache;
  logic [NUM_HBM*3-1:0]            dh_awprot;
  logic [NUM_HBM-1:0]              dh_awvalid;
  logic [NUM_HBM-1:0]              dh_awready;
  logic [NUM_HBM*DATA_W-1:0]       dh_wdata;
  logic [NUM_HBM*DATA_W/8-1:0]     dh_wstrb;
  logic [NUM_HBM-1:0]              dh_wlast;
  logic [NUM_HBM-1:0]              dh_wvalid;
  logic [NUM_HBM-1:0]              dh_wready;
  logic [NUM_HBM*ID_W-1:0]         dh_bid;
  logic [NUM_HBM*2-1:0]            dh_bresp;
  logic [NUM_HBM-1:0]              dh_bvalid;
  logic [NUM_HBM-1:0]              dh_bready;
  logic [NUM_HBM*ID_W-1:0]         dh_arid;
  logic [NUM_HBM*ADDR_W-1:0]       dh_araddr;
  logic [NUM_HBM*8-1:0]            dh_arlen;
  logic [NUM_HBM*3-1:0]            dh_arsize;
  logic [NUM_HBM*2-1:0]            dh_arburst;
  logic [NUM_HBM-1:0]              dh_arlock;
  logic [NUM_HBM*4-1:0]            dh_arcache;
  logic [NUM_HBM*3-1:0]            dh_arprot;
  logic [NUM_HBM-1:0]              dh_arvalid;
  logic [NUM_HBM-1:0]              dh_arready;
  logic [NUM_HBM*ID_W-1:0]         dh_rid;
  logic [NUM_HBM*DATA_W-1:0]       dh_rdata;
  logic [NUM_HBM*2-1:0]            dh_rresp;
  logic [NUM_HBM-1:0]              dh_rlast;
  logic [NUM_HBM-1:0]              dh_rvalid;
  logic [NUM_HBM-1:0]              dh_rready;
  // core side of the HBM ports (after the read mux)
  logic [NUM_HBM*ID_W-1:0]         hc_awid;
  logic [NUM_HBM*ADDR_W-1:0]       hc_awaddr;
  logic [NUM_HBM*8-1:0]            hc_awlen;
  logic [NUM_HBM*3-1:0]            hc_awsize;
  logic [NUM_HBM*2-1:0]            hc_awburst;
  logic [NUM_HBM-1:0]              hc_awlock;
  logic [NUM_HBM*4-1:0]            hc_awcache;
  logic [NUM_HBM*3-1:0]            hc_awprot;
  logic [NUM_HBM-1:0]              hc_awvalid;
  logic [NUM_HBM-1:0]              hc_awready;
  logic [NUM_HBM*DATA_W-1:0]       hc_wdata;
  logic [NUM_HBM*DATA_W/8-1:0]     hc_wstrb;
  logic [NUM_HBM-1:0]              hc_wlast;
  logic [NUM_HBM-1:0]              hc_wvalid;
  logic [NUM_HBM-1:0]              hc_wready;
  logic [NUM_HBM*ID_W-1:0]         hc_bid;
  logic [NUM_HBM*2-1:0]            hc_bresp;
  logic [NUM_HBM-1:0]              hc_bvalid;
  logic [NUM_HBM-1:0]              hc_bready;
  logic [NUM_HBM*ID_W-1:0]         hc_arid;
  logic [NUM_HBM*ADDR_W-1:0]       hc_araddr;
  logic [NUM_HBM*8-1:0]            hc_arlen;
  logic [NUM_HBM*3-1:0]            hc_arsize;
  logic [NUM_HBM*2-1:0]            hc_arburst;
  logic [NUM_HBM-1:0]              hc_arlock;
  logic [NUM_HBM*4-1:0]            hc_arcache;
  logic [NUM_HBM*3-1:0]            hc_arprot;
  logic [NUM_HBM-1:0]              hc_arvalid;
  logic [NUM_HBM-1:0]              hc_arready;
  logic [NUM_HBM*ID_W-1:0]         hc_rid;
  logic [NUM_HBM*DATA_W-1:0]       hc_rdata;
  logic [NUM_HBM*2-1:0]            hc_rresp;
  logic [NUM_HBM-1:0]              hc_rlast;
  logic [NUM_HBM-1:0]              hc_rvalid;
  logic [NUM_HBM-1:0]              hc_rready;

  // ---------------------------------------------------------------------------------------------
  // CSRs, sequencer, fetch
  // ---------------------------------------------------------------------------------------------
  skipopu_csr #(
    .NUM_HBM   (NUM_HBM),
    .DATA_W    (DATA_W),
    .GBUF_DEPTH(GBUF_DEPTH),
    .KV_PORTS  (KV_PORTS),
    .KV_TOKENS (KV_TOKENS),
    .KV_ENTRY_MAX(KV_ENTRY_MAX),
    .SMAX_ROWS (SMAX_ROWS),
    .KV_BUF_CAP(KV_BUF_CAP),
    .KV_BUF_RD (KV_BUF_RD),
    .KV_BUF_WR (KV_BUF_WR),
    .NCOL      (NCOL),
    .WFETCH_DEPTH(WFETCH_DEPTH),
    .MM_SCALE_ROWS(MM_SCALE_ROWS)
  ) u_csr (
    .clk_i,
    .rst_ni,
    .s_axil_awaddr,
    .s_axil_awprot,
    .s_axil_awvalid,
    .s_axil_awready,
    .s_axil_wdata,
    .s_axil_wstrb,
    .s_axil_wvalid,
    .s_axil_wready,
    .s_axil_bresp,
    .s_axil_bvalid,
    .s_axil_bready,
    .s_axil_araddr,
    .s_axil_arprot,
    .s_axil_arvalid,
    .s_axil_arready,
    .s_axil_rdata,
    .s_axil_rresp,
    .s_axil_rvalid,
    .s_axil_rready,
    .start_o     (start),
    .prog_base_o (prog_base),
    .prog_len_o  (prog_len),
    .irq_o,
    .busy_i      (busy),
    .done_i      (done),
    .err_code_i  (err_code),
    .err_pc_i    (err_pc),
    .cycles_i    (cycles),
    .insn_count_i(insn_count),
    .perf_i      (perf),
    .rd_bytes_i  (rd_bytes),
    .wr_bytes_i  (wr_bytes),
    .kv_perf_i   (kv_perf),
    .att_cycles_i(att_cycles),
    .unit_cycles_i(unit_cycles)
  );

  skipopu_ctrl #(
    .NUM_HBM   (NUM_HBM),
    .DATA_W    (DATA_W),
    .GBUF_DEPTH(GBUF_DEPTH),
    .ADDR_W    (ADDR_W),
    .MMAX      (MMAX),
    .NPE_ROWS  (NPE_ROWS),
    .KV_PORTS  (KV_PORTS),
    .KV_TOKENS (KV_TOKENS),
    .KV_ENTRY_MAX(KV_ENTRY_MAX),
    .SMAX_ROWS (SMAX_ROWS),
    .NCOL      (NCOL),
    .MM_SCALE_ROWS(MM_SCALE_ROWS),
    .WFETCH_DEPTH(WFETCH_DEPTH)
  ) u_ctrl (
    .clk_i,
    .rst_ni,
    .start_i       (start),
    .prog_base_i   (prog_base),
    .prog_len_i    (prog_len),
    .busy_o        (busy),
    .done_o        (done),
    .clr_o         (clr),
    .err_code_o    (err_code),
    .err_pc_o      (err_pc),
    .cycles_o      (cycles),
    .insn_count_o  (insn_count),
    .perf_o        (perf),
    .unit_cycles_o (unit_cycles),
    .pe_active_i   (mm_pe_active),
    .fetch_start_o (fetch_start),
    .fetch_base_o  (fetch_base),
    .fetch_len_o   (fetch_len),
    .fetch_stop_o  (fetch_stop),
    .insn_valid_i  (insn_valid),
    .insn_i        (insn),
    .insn_err_i    (insn_err),
    .insn_ready_o  (insn_ready),
    .fetch_idle_i  (fetch_idle),
    .dma_valid_o   (seq_dma_valid),
    .dma_store_o   (seq_dma_store),
    .dma_port_o    (seq_dma_port),
    .dma_mem_addr_o(seq_dma_mem_addr),
    .dma_gb_addr_o (seq_dma_gb_addr),
    .dma_len_o     (seq_dma_len),
    .dma_done_i    (dma_done),
    .dma_err_i     (dma_err),
    .vpu_valid_o   (vpu_valid),
    .vpu_dst_o     (vpu_dst),
    .vpu_src0_o    (vpu_src0),
    .vpu_src1_o    (vpu_src1),
    .vpu_len_o     (vpu_len),
    .vpu_op_o      (vpu_op),
    .vpu_mask_o    (vpu_mask),
    .vpu_pair_o    (vpu_pair),
    .vpu_force_o   (vpu_force),
    .vpu_stride_o  (vpu_stride),
    .vpu_cnt_i     (vpu_cnt),
    .vpu_done_i    (vpu_done),
    .mm_start_o    (mm_start),
    .mm_norm_o     (mm_norm),
    .mm_abort_o    (mm_abort),
    .mm_int4_o     (mm_int4),
    .mm_m_o        (mm_m),
    .mm_src_o      (mm_src),
    .mm_dst_o      (mm_dst),
    .mm_k_o        (mm_k),
    .mm_n_o        (mm_n),
    .mm_group_o    (mm_group),
    .mm_done_i     (mm_done),
    .mm_err_i      (mm_err),
    .ws_push_o       (ws_push),
    .ws_base_o       (ws_base),
    .ws_chunks_o     (ws_chunks),
    .ws_ready_i      (ws_ready),
    .ws_count_i      (ws_count),
    .ws_head_valid_i (ws_head_valid),
    .ws_head_base_i  (ws_head_base),
    .ws_head_chunks_i(ws_head_chunks),
    .ws_flush_o      (ws_flush),
    .ws_busy_i       (ws_busy),
    .mask_re_o       (wf_mask_re),
    .mask_raddr_o    (wf_mask_raddr),
    .mask_rdata_i    (gb_rdata_b),
    .npe_d_o         (npe_d),
    .npe_eps_o       (npe_eps),
    .npe_inv_d_o     (npe_inv_d),
    .npe_hw_o        (npe_hw),
    .npe_snoop_base_o(npe_snoop_base),
    .npe_valid_o     (npe_valid),
    .npe_op_o        (npe_op),
    .npe_len_o       (npe_len),
    .npe_dst_o       (npe_dst),
    .npe_src_o       (npe_src),
    .npe_aux_o       (npe_aux),
    .npe_mask_o      (npe_mask),
    .npe_masked_o    (npe_masked),
    .npe_compact_o   (npe_compact),
    .npe_stat_o      (npe_stat),
    .npe_words_o     (npe_words),
    .npe_stride_o    (npe_stride),
    .npe_mmx_start_o (mmx_start),
    .npe_mmx_x_o     (mmx_x),
    .npe_mmx_w_o     (mmx_w),
    .npe_mmx_stat_o  (mmx_stat),
    .npe_mmx_mask_o  (mmx_mask),
    .npe_mmx_n_o     (mmx_n),
    .npe_mmx_cnt_o   (mmx_cnt),
    .npe_mmx_stop_o  (mmx_stop),
    .snoop_start_o   (snoop_start),
    .snoop_en_o      (snoop_en),
    .npe_busy_i      (npe_busy),
    .npe_done_i      (npe_done),
    .npe_err_i       (npe_err),
    .kv_e_o          (kv_e),
    .kv_off_o        (kv_off),
    .kv_layers_o     (kv_layers),
    .kv_flags_o      (kv_flags),
    .att_nk_o        (att_nk),
    .att_h_o         (att_h),
    .att_kvh_o       (att_kvh),
    .att_hw_o        (att_hw),
    .att_qs_o        (att_qs),
    .att_sbase_o     (att_sbase),
    .att_causal_o    (att_causal),
    .kvx_valid_o     (kvx_valid),
    .att_valid_o     (att_valid),
    .ax_insn_o       (ax_insn),
    .ax_cnt_o        (ax_cnt),
    .kvx_done_i      (kvx_done),
    .kvx_err_i       (kvx_err),
    .att_done_i      (att_done),
    .att_err_i       (att_err)
  );

  skipopu_fetch #(
    .ADDR_W     (ADDR_W),
    .DATA_W     (DATA_W),
    .ID_W       (ID_W),
    .MAX_BURST  (MAX_BURST),
    .CHUNK_BEATS(MAX_BURST)
  ) u_fetch (
    .clk_i,
    .rst_ni,
    .start_i      (fetch_start),
    .base_i       (fetch_base),
    .len_i        (fetch_len),
    .stop_i       (fetch_stop),
    .insn_valid_o (insn_valid),
    .insn_o       (insn),
    .insn_err_o   (insn_err),
    .insn_ready_i (insn_ready),
    .idle_o       (fetch_idle),
    .m_axi_arid   (m_axi_insn_arid),
    .m_axi_araddr (m_axi_insn_araddr),
    .m_axi_arlen  (m_axi_insn_arlen),
    .m_axi_arsize (m_axi_insn_arsize),
    .m_axi_arburst(m_axi_insn_arburst),
    .m_axi_arlock (m_axi_insn_arlock),
    .m_axi_arcache(m_axi_insn_arcache),
    .m_axi_arprot (m_axi_insn_arprot),
    .m_axi_arvalid(m_axi_insn_arvalid),
    .m_axi_arready(m_axi_insn_arready),
    .m_axi_rid    (m_axi_insn_rid),
    .m_axi_rdata  (m_axi_insn_rdata),
    .m_axi_rresp  (m_axi_insn_rresp),
    .m_axi_rlast  (m_axi_insn_rlast),
    .m_axi_rvalid (m_axi_insn_rvalid),
    .m_axi_rready (m_axi_insn_rready)
  );

  // ---------------------------------------------------------------------------------------------
  // DMA (port 0 = DDR, ports 1..NUM_HBM = HBM), the HBM read mux, the HBM ports
  // ---------------------------------------------------------------------------------------------
  skipopu_dma #(
    .NUM_HBM       (NUM_HBM),
    .ADDR_W        (ADDR_W),
    .DATA_W        (DATA_W),
    .ID_W          (ID_W),
    .MAX_BURST     (MAX_BURST),
    .RD_FIFO_DEPTH (RD_FIFO_DEPTH),
    .WPC           (NCOL / 4 / NUM_HBM),
    .WR_OUTSTANDING(WR_OUTSTANDING),
    .GB_AW         (GB_AW)
  ) u_dma (
    .clk_i,
    .rst_ni,
    .clr_i         (clr),
    .wchunk_i      (ws_chunk_valid && ws_chunk_ready),
    .seq_valid_i   (seq_dma_valid),
    .seq_store_i   (seq_dma_store),
    .seq_port_i    (seq_dma_port),
    .seq_mem_addr_i(seq_dma_mem_addr),
    .seq_gb_addr_i (seq_dma_gb_addr),
    .seq_len_i     (seq_dma_len),
    .kv_valid_i    (kvx_dma_valid),
    .kv_port_i     (kvx_dma_port),
    .kv_mem_addr_i (kvx_dma_mem_addr),
    .kv_gb_addr_i  (kvx_dma_gb_addr),
    .kv_len_i      (kvx_dma_len),
    .st_valid_i    (att_dma_valid),
    .st_store_i    (att_dma_store),
    .st_mem_addr_i (att_dma_addr),
    .st_len_i      (att_dma_len),
    .ss_valid_i    (ss_valid),
    .ss_ready_o    (ss_ready),
    .ss_data_i     (ss_data),
    .ls_valid_o    (ls_valid),
    .ls_ready_i    (ls_ready),
    .ls_data_o     (ls_data),
    .done_o        (dma_done),
    .err_o         (dma_err),
    .gb_we_o       (dma_gb_we),
    .gb_waddr_o    (dma_gb_waddr),
    .gb_wdata_o    (dma_gb_wdata),
    .gb_re_o       (dma_gb_re),
    .gb_raddr_o    (dma_gb_raddr),
    .gb_rdata_i    (gb_rdata_a),
    .ext_hbm_rd_beat_i(kv_rd_beat),
    .rd_bytes_o    (rd_bytes),
    .wr_bytes_o    (wr_bytes),
    .m_axi_ddr_awid     (m_axi_ddr_awid),
    .m_axi_ddr_awaddr   (m_axi_ddr_awaddr),
    .m_axi_ddr_awlen    (m_axi_ddr_awlen),
    .m_axi_ddr_awsize   (m_axi_ddr_awsize),
    .m_axi_ddr_awburst  (m_axi_ddr_awburst),
    .m_axi_ddr_awlock   (m_axi_ddr_awlock),
    .m_axi_ddr_awcache  (m_axi_ddr_awcache),
    .m_axi_ddr_awprot   (m_axi_ddr_awprot),
    .m_axi_ddr_awvalid  (m_axi_ddr_awvalid),
    .m_axi_ddr_awready  (m_axi_ddr_awready),
    .m_axi_ddr_wdata    (m_axi_ddr_wdata),
    .m_axi_ddr_wstrb    (m_axi_ddr_wstrb),
    .m_axi_ddr_wlast    (m_axi_ddr_wlast),
    .m_axi_ddr_wvalid   (m_axi_ddr_wvalid),
    .m_axi_ddr_wready   (m_axi_ddr_wready),
    .m_axi_ddr_bid      (m_axi_ddr_bid),
    .m_axi_ddr_bresp    (m_axi_ddr_bresp),
    .m_axi_ddr_bvalid   (m_axi_ddr_bvalid),
    .m_axi_ddr_bready   (m_axi_ddr_bready),
    .m_axi_ddr_arid     (m_axi_ddr_arid),
    .m_axi_ddr_araddr   (m_axi_ddr_araddr),
    .m_axi_ddr_arlen    (m_axi_ddr_arlen),
    .m_axi_ddr_arsize   (m_axi_ddr_arsize),
    .m_axi_ddr_arburst  (m_axi_ddr_arburst),
    .m_axi_ddr_arlock   (m_axi_ddr_arlock),
    .m_axi_ddr_arcache  (m_axi_ddr_arcache),
    .m_axi_ddr_arprot   (m_axi_ddr_arprot),
    .m_axi_ddr_arvalid  (m_axi_ddr_arvalid),
    .m_axi_ddr_arready  (m_axi_ddr_arready),
    .m_axi_ddr_rid      (m_axi_ddr_rid),
    .m_axi_ddr_rdata    (m_axi_ddr_rdata),
    .m_axi_ddr_rresp    (m_axi_ddr_rresp),
    .m_axi_ddr_rlast    (m_axi_ddr_rlast),
    .m_axi_ddr_rvalid   (m_axi_ddr_rvalid),
    .m_axi_ddr_rready   (m_axi_ddr_rready),
    .m_axi_hbm_awid     (dh_awid),
    .m_axi_hbm_awaddr   (dh_awaddr),
    .m_axi_hbm_awlen    (dh_awlen),
    .m_axi_hbm_awsize   (dh_awsize),
    .m_axi_hbm_awburst  (dh_awburst),
    .m_axi_hbm_awlock   (dh_awlock),
    .m_axi_hbm_awcache  (dh_awcache),
    .m_axi_hbm_awprot   (dh_awprot),
    .m_axi_hbm_awvalid  (dh_awvalid),
    .m_axi_hbm_awready  (dh_awready),
    .m_axi_hbm_wdata    (dh_wdata),
    .m_axi_hbm_wstrb    (dh_wstrb),
    .m_axi_hbm_wlast    (dh_wlast),
    .m_axi_hbm_wvalid   (dh_wvalid),
    .m_axi_hbm_wready   (dh_wready),
    .m_axi_hbm_bid      (dh_bid),
    .m_axi_hbm_bresp    (dh_bresp),
    .m_axi_hbm_bvalid   (dh_bvalid),
    .m_axi_hbm_bready   (dh_bready),
    .m_axi_hbm_arid     (dh_arid),
    .m_axi_hbm_araddr   (dh_araddr),
    .m_axi_hbm_arlen    (dh_arlen),
    .m_axi_hbm_arsize   (dh_arsize),
    .m_axi_hbm_arburst  (dh_arburst),
    .m_axi_hbm_arlock   (dh_arlock),
    .m_axi_hbm_arcache  (dh_arcache),
    .m_axi_hbm_arprot   (dh_arprot),
    .m_axi_hbm_arvalid  (dh_arvalid),
    .m_axi_hbm_arready  (dh_arready),
    .m_axi_hbm_rid      (dh_rid),
    .m_axi_hbm_rdata    (dh_rdata),
    .m_axi_hbm_rresp    (dh_rresp),
    .m_axi_hbm_rlast    (dh_rlast),
    .m_axi_hbm_rvalid   (dh_rvalid),
    .m_axi_hbm_rready   (dh_rready)
  );

  // Weight access unit: the WFETCH queue and the prefetch buffer of the MATMUL operand streams,
  // striped over every HBM port (docs/weights.md); its reads share the ports with the DMA and the
  // KV read unit through the arbiters of skipopu_hbm_rd_mux
  skipopu_wstream #(
    .NUM_PORTS (NUM_HBM),
    .DATA_W    (DATA_W),
    .CHUNK_W   (ChunkW),
    .ADDR_W    (ADDR_W),
    .ID_W      (ID_W),
    .ARID      (0),
    .MAX_BURST (MAX_BURST),
    .QDEPTH    (WFETCH_DEPTH),
    .LEN_W     (26),
    .LANE_DEPTH(WS_LANE_DEPTH)
  ) u_wstream (
    .clk_i,
    .rst_ni,
    .desc_valid_i  (ws_push),
    .desc_ready_o  (ws_ready),
    .desc_base_i   (ws_base),
    .desc_chunks_i (ws_chunks),
    .head_valid_o  (ws_head_valid),
    .head_base_o   (ws_head_base),
    .head_chunks_o (ws_head_chunks),
    .desc_count_o  (ws_count),
    .chunk_valid_o (ws_chunk_valid),
    .chunk_ready_i (ws_chunk_ready),
    .chunk_data_o  (ws_chunk_data),
    .chunk_err_o   (ws_chunk_err),
    .chunk_last_o  (),
    .flush_i       (ws_flush),
    .busy_o        (ws_busy),
    .stat_chunks_o (),
    .stat_beats_o  (),
    .m_axi_arid    (ws_arid),
    .m_axi_araddr  (ws_araddr),
    .m_axi_arlen   (ws_arlen),
    .m_axi_arsize  (ws_arsize),
    .m_axi_arburst (ws_arburst),
    .m_axi_arlock  (ws_arlock),
    .m_axi_arcache (ws_arcache),
    .m_axi_arprot  (ws_arprot),
    .m_axi_arvalid (ws_arvalid),
    .m_axi_arready (ws_arready),
    .m_axi_rid     (ws_rid),
    .m_axi_rdata   (ws_rdata),
    .m_axi_rresp   (ws_rresp),
    .m_axi_rlast   (ws_rlast),
    .m_axi_rvalid  (ws_rvalid),
    .m_axi_rready  (ws_rready)
  );

  skipopu_hbm_rd_mux #(
    .NUM_HBM (NUM_HBM),
    .KV_PORTS(KV_PORTS),
    .ADDR_W  (ADDR_W),
    .ID_W    (ID_W),
    .DATA_W  (DATA_W)
  ) u_hbm_rd_mux (
    .clk_i,
    .rst_ni,
    .kv_rd_beat_o(kv_rd_beat),
    .s_dma_awid     (dh_awid),
    .s_dma_awaddr   (dh_awaddr),
    .s_dma_awlen    (dh_awlen),
    .s_dma_awsize   (dh_awsize),
    .s_dma_awburst  (dh_awburst),
    .s_dma_awlock   (dh_awlock),
    .s_dma_awcache  (dh_awcache),
    .s_dma_awprot   (dh_awprot),
    .s_dma_awvalid  (dh_awvalid),
    .s_dma_awready  (dh_awready),
    .s_dma_wdata    (dh_wdata),
    .s_dma_wstrb    (dh_wstrb),
    .s_dma_wlast    (dh_wlast),
    .s_dma_wvalid   (dh_wvalid),
    .s_dma_wready   (dh_wready),
    .s_dma_bid      (dh_bid),
    .s_dma_bresp    (dh_bresp),
    .s_dma_bvalid   (dh_bvalid),
    .s_dma_bready   (dh_bready),
    .s_dma_arid     (dh_arid),
    .s_dma_araddr   (dh_araddr),
    .s_dma_arlen    (dh_arlen),
    .s_dma_arsize   (dh_arsize),
    .s_dma_arburst  (dh_arburst),
    .s_dma_arlock   (dh_arlock),
    .s_dma_arcache  (dh_arcache),
    .s_dma_arprot   (dh_arprot),
    .s_dma_arvalid  (dh_arvalid),
    .s_dma_arready  (dh_arready),
    .s_dma_rid      (dh_rid),
    .s_dma_rdata    (dh_rdata),
    .s_dma_rresp    (dh_rresp),
    .s_dma_rlast    (dh_rlast),
    .s_dma_rvalid   (dh_rvalid),
    .s_dma_rready   (dh_rready),
    .s_kv_arid     (kv_arid),
    .s_kv_araddr   (kv_araddr),
    .s_kv_arlen    (kv_arlen),
    .s_kv_arsize   (kv_arsize),
    .s_kv_arburst  (kv_arburst),
    .s_kv_arlock   (kv_arlock),
    .s_kv_arcache  (kv_arcache),
    .s_kv_arprot   (kv_arprot),
    .s_kv_arvalid  (kv_arvalid),
    .s_kv_arready  (kv_arready),
    .s_kv_rid      (kv_rid),
    .s_kv_rdata    (kv_rdata),
    .s_kv_rresp    (kv_rresp),
    .s_kv_rlast    (kv_rlast),
    .s_kv_rvalid   (kv_rvalid),
    .s_kv_rready   (kv_rready),
    .s_ws_arid     (ws_arid),
    .s_ws_araddr   (ws_araddr),
    .s_ws_arlen    (ws_arlen),
    .s_ws_arsize   (ws_arsize),
    .s_ws_arburst  (ws_arburst),
    .s_ws_arlock   (ws_arlock),
    .s_ws_arcache  (ws_arcache),
    .s_ws_arprot   (ws_arprot),
    .s_ws_arvalid  (ws_arvalid),
    .s_ws_arready  (ws_arready),
    .s_ws_rid      (ws_rid),
    .s_ws_rdata    (ws_rdata),
    .s_ws_rresp    (ws_rresp),
    .s_ws_rlast    (ws_rlast),
    .s_ws_rvalid   (ws_rvalid),
    .s_ws_rready   (ws_rready),
    .m_axi_awid     (hc_awid),
    .m_axi_awaddr   (hc_awaddr),
    .m_axi_awlen    (hc_awlen),
    .m_axi_awsize   (hc_awsize),
    .m_axi_awburst  (hc_awburst),
    .m_axi_awlock   (hc_awlock),
    .m_axi_awcache  (hc_awcache),
    .m_axi_awprot   (hc_awprot),
    .m_axi_awvalid  (hc_awvalid),
    .m_axi_awready  (hc_awready),
    .m_axi_wdata    (hc_wdata),
    .m_axi_wstrb    (hc_wstrb),
    .m_axi_wlast    (hc_wlast),
    .m_axi_wvalid   (hc_wvalid),
    .m_axi_wready   (hc_wready),
    .m_axi_bid      (hc_bid),
    .m_axi_bresp    (hc_bresp),
    .m_axi_bvalid   (hc_bvalid),
    .m_axi_bready   (hc_bready),
    .m_axi_arid     (hc_arid),
    .m_axi_araddr   (hc_araddr),
    .m_axi_arlen    (hc_arlen),
    .m_axi_arsize   (hc_arsize),
    .m_axi_arburst  (hc_arburst),
    .m_axi_arlock   (hc_arlock),
    .m_axi_arcache  (hc_arcache),
    .m_axi_arprot   (hc_arprot),
    .m_axi_arvalid  (hc_arvalid),
    .m_axi_arready  (hc_arready),
    .m_axi_rid      (hc_rid),
    .m_axi_rdata    (hc_rdata),
    .m_axi_rresp    (hc_rresp),
    .m_axi_rlast    (hc_rlast),
    .m_axi_rvalid   (hc_rvalid),
    .m_axi_rready   (hc_rready)
  );

  skipopu_hbm_ports #(
    .NUM_HBM  (NUM_HBM),
    .ADDR_W   (ADDR_W),
    .ID_W     (ID_W),
    .DATA_W   (DATA_W),
    .HBM_ASYNC(HBM_ASYNC)
  ) u_hbm_ports (
    .clk_i,
    .rst_ni,
    .hbm_clk_i,
    .hbm_rst_ni,
    .s_axi_awid     (hc_awid),
    .s_axi_awaddr   (hc_awaddr),
    .s_axi_awlen    (hc_awlen),
    .s_axi_awsize   (hc_awsize),
    .s_axi_awburst  (hc_awburst),
    .s_axi_awlock   (hc_awlock),
    .s_axi_awcache  (hc_awcache),
    .s_axi_awprot   (hc_awprot),
    .s_axi_awvalid  (hc_awvalid),
    .s_axi_awready  (hc_awready),
    .s_axi_wdata    (hc_wdata),
    .s_axi_wstrb    (hc_wstrb),
    .s_axi_wlast    (hc_wlast),
    .s_axi_wvalid   (hc_wvalid),
    .s_axi_wready   (hc_wready),
    .s_axi_bid      (hc_bid),
    .s_axi_bresp    (hc_bresp),
    .s_axi_bvalid   (hc_bvalid),
    .s_axi_bready   (hc_bready),
    .s_axi_arid     (hc_arid),
    .s_axi_araddr   (hc_araddr),
    .s_axi_arlen    (hc_arlen),
    .s_axi_arsize   (hc_arsize),
    .s_axi_arburst  (hc_arburst),
    .s_axi_arlock   (hc_arlock),
    .s_axi_arcache  (hc_arcache),
    .s_axi_arprot   (hc_arprot),
    .s_axi_arvalid  (hc_arvalid),
    .s_axi_arready  (hc_arready),
    .s_axi_rid      (hc_rid),
    .s_axi_rdata    (hc_rdata),
    .s_axi_rresp    (hc_rresp),
    .s_axi_rlast    (hc_rlast),
    .s_axi_rvalid   (hc_rvalid),
    .s_axi_rready   (hc_rready),
    .m_axi_awid     (m_axi_hbm_awid),
    .m_axi_awaddr   (m_axi_hbm_awaddr),
    .m_axi_awlen    (m_axi_hbm_awlen),
    .m_axi_awsize   (m_axi_hbm_awsize),
    .m_axi_awburst  (m_axi_hbm_awburst),
    .m_axi_awlock   (m_axi_hbm_awlock),
    .m_axi_awcache  (m_axi_hbm_awcache),
    .m_axi_awprot   (m_axi_hbm_awprot),
    .m_axi_awvalid  (m_axi_hbm_awvalid),
    .m_axi_awready  (m_axi_hbm_awready),
    .m_axi_wdata    (m_axi_hbm_wdata),
    .m_axi_wstrb    (m_axi_hbm_wstrb),
    .m_axi_wlast    (m_axi_hbm_wlast),
    .m_axi_wvalid   (m_axi_hbm_wvalid),
    .m_axi_wready   (m_axi_hbm_wready),
    .m_axi_bid      (m_axi_hbm_bid),
    .m_axi_bresp    (m_axi_hbm_bresp),
    .m_axi_bvalid   (m_axi_hbm_bvalid),
    .m_axi_bready   (m_axi_hbm_bready),
    .m_axi_arid     (m_axi_hbm_arid),
    .m_axi_araddr   (m_axi_hbm_araddr),
    .m_axi_arlen    (m_axi_hbm_arlen),
    .m_axi_arsize   (m_axi_hbm_arsize),
    .m_axi_arburst  (m_axi_hbm_arburst),
    .m_axi_arlock   (m_axi_hbm_arlock),
    .m_axi_arcache  (m_axi_hbm_arcache),
    .m_axi_arprot   (m_axi_hbm_arprot),
    .m_axi_arvalid  (m_axi_hbm_arvalid),
    .m_axi_arready  (m_axi_hbm_arready),
    .m_axi_rid      (m_axi_hbm_rid),
    .m_axi_rdata    (m_axi_hbm_rdata),
    .m_axi_rresp    (m_axi_hbm_rresp),
    .m_axi_rlast    (m_axi_hbm_rlast),
    .m_axi_rvalid   (m_axi_hbm_rvalid),
    .m_axi_rready   (m_axi_hbm_rready)
  );

  // ---------------------------------------------------------------------------------------------
  // Global buffer: clients of the write port (vector unit, MATMUL, NPE, KV unit, attention, DMA
  // loads), read port A (vector source 0, MATMUL, NPE, KV unit, DMA stores) and read port B
  // (vector source 1, attention mask, NPE), lowest first
  // ---------------------------------------------------------------------------------------------
  skipopu_gbuf #(
    .DATA_W(DATA_W),
    .DEPTH (GBUF_DEPTH),
    .NW    (6),
    .NA    (5),
    .NB    (4)
  ) u_gbuf (
    .clk_i,
    .rst_ni,
    .we_i     ({dma_gb_we, att_we, kvx_we, npe_we, mm_we, vpu_we}),
    .waddr_i  ({dma_gb_waddr, att_waddr, kvx_waddr, npe_waddr, mm_waddr_gb, vpu_waddr}),
    .wdata_i  ({dma_gb_wdata, att_wdata, kvx_wdata, npe_wdata, mm_wdata, vpu_wdata}),
    .we_o     (gb_we),
    .wdata_o  (gb_wdata),
    .re_a_i   ({dma_gb_re, kvx_re, npe_re_a, mm_re, vpu_re}),
    .raddr_a_i({dma_gb_raddr, kvx_raddr, npe_raddr_a, mm_raddr, vpu_raddr0}),
    .rdata_a_o(gb_rdata_a),
    .re_b_i   ({wf_mask_re, npe_re_b, att_mask_re, vpu_re}),
    .raddr_b_i({wf_mask_raddr, npe_raddr_b, att_mask_raddr, vpu_raddr1}),
    .rdata_b_o(gb_rdata_b)
  );

  // ---------------------------------------------------------------------------------------------
  // Execution units
  // ---------------------------------------------------------------------------------------------
  skipopu_vpu #(
    .DATA_W(DATA_W),
    .AW    (GB_AW)
  ) u_vpu (
    .clk_i,
    .rst_ni,
    .cmd_valid_i(vpu_valid),
    .cmd_dst_i  (vpu_dst),
    .cmd_src0_i (vpu_src0),
    .cmd_src1_i (vpu_src1),
    .cmd_len_i  (vpu_len),
    .cmd_op_i   (vpu_op),
    .cmd_mask_i (vpu_mask),
    .cmd_d_i    (npe_d),
    .cmd_pair_i (vpu_pair),
    .cmd_stride_i(vpu_stride),
    .cmd_force_i(vpu_force),
    .done_o     (vpu_done),
    .cnt_o      (vpu_cnt),
    .re_o       (vpu_re),
    .raddr0_o   (vpu_raddr0),
    .raddr1_o   (vpu_raddr1),
    .rdata0_i   (gb_rdata_a),
    .rdata1_i   (gb_rdata_b),
    .we_o       (vpu_we),
    .waddr_o    (vpu_waddr),
    .wdata_o    (vpu_wdata)
  );

  skipopu_npe #(
    .DATA_W  (DATA_W),
    .AW      (GB_AW),
    .NPE_ROWS(NPE_ROWS)
  ) u_npe (
    .clk_i,
    .rst_ni,
    .cfg_d_i         (npe_d),
    .cfg_eps_i       (npe_eps),
    .cfg_inv_d_i     (npe_inv_d),
    .cfg_hw_i        (npe_hw),
    .cfg_snoop_base_i(npe_snoop_base),
    .cmd_valid_i     (npe_valid),
    .cmd_op_i        (npe_op),
    .cmd_len_i       (npe_len),
    .cmd_dst_i       (npe_dst),
    .cmd_src_i       (npe_src),
    .cmd_aux_i       (npe_aux),
    .cmd_words_i     (npe_words),
    .cmd_stride_i    (npe_stride),
    .cmd_mask_i      (npe_mask),
    .cmd_masked_i    (npe_masked),
    .cmd_compact_i   (npe_compact),
    .cmd_stat_i      (npe_stat),
    .mmx_start_i     (mmx_start),
    .mmx_x_i         (mmx_x),
    .mmx_w_i         (mmx_w),
    .mmx_stat_i      (mmx_stat),
    .mmx_mask_i      (mmx_mask),
    .mmx_n_i         (mmx_n),
    .mmx_cnt_i       (mmx_cnt),
    .mmx_dst_i       (mm_src),
    .mmx_ready_o     (mmx_ready),
    .mmx_issue_i     (mm_norm_issue),
    .mmx_stop_i      (mmx_stop),
    .busy_o          (npe_busy),
    .done_o          (npe_done),
    .err_o           (npe_err),
    .snoop_start_i   (snoop_start),
    .snoop_en_i      (snoop_en),
    .snoop_we_i      (gb_we),
    .snoop_wdata_i   (gb_wdata),
    .re_a_o          (npe_re_a),
    .raddr_a_o       (npe_raddr_a),
    .rdata_a_i       (gb_rdata_a),
    .re_b_o          (npe_re_b),
    .raddr_b_o       (npe_raddr_b),
    .rdata_b_i       (gb_rdata_b),
    .we_o            (npe_we),
    .waddr_o         (npe_waddr),
    .wdata_o         (npe_wdata)
  );

  skipopu_mm #(
    .DATA_W    (DATA_W),
    .NCOL      (NCOL),
    .GB_AW     (GB_AW),
    .MMAX      (MMAX),
    .SCALE_ROWS(MM_SCALE_ROWS)
  ) u_mm (
    .clk_i,
    .rst_ni,
    .start_i     (mm_start),
    .int4_i      (mm_int4),
    .m_i         (mm_m),
    .src_i       (mm_src),
    .dst_i       (mm_dst),
    .k_i         (mm_k),
    .n_i         (mm_n),
    .group_i     (mm_group),
    .norm_i      (mm_norm),
    .go_i        (mmx_ready),
    .abort_i     (mm_abort),
    .norm_issue_o(mm_norm_issue),
    .npe_x_i     (npe_wdata),
    .pe_active_o (mm_pe_active),
    .done_o      (mm_done),
    .err_o       (mm_err),
    .att_start_i (att_mm_start),
    .att_pv_i    (att_mm_pv),
    .att_mg_i    (att_mm_mg),
    .att_lrep_i  (att_mm_lrep),
    .att_g0_i    (att_mm_g0),
    .att_ng_i    (att_mm_ng),
    .att_hw_i    (att_mm_hw),
    .att_kvh_i   (att_mm_kvh),
    .att_nt_i    (att_mm_nt),
    .att_j0_i    (att_mm_j0),
    .att_x_i     (att_mm_x),
    .att_qs_i    (att_mm_qs),
    .att_r_i     (att_mm_r),
    .att_o_i     (att_mm_o),
    .att_os_i    (att_mm_os),
    .tile_req_o  (tile_req),
    .tile_nt_o   (tile_nt),
    .tile_word_o (tile_word),
    .tile_col_o  (tile_col),
    .tile_rvalid_i(tile_rvalid),
    .tile_rdata_i(tile_rdata),
    .sc_valid_o  (sc_valid),
    .sc_ready_i  (sc_ready),
    .sc_data_o   (sc_data),
    .chunk_valid_i(ws_chunk_valid),
    .chunk_ready_o(ws_chunk_ready),
    .chunk_data_i (ws_chunk_data),
    .chunk_err_i  (ws_chunk_err),
    .re_o        (mm_re),
    .raddr_o     (mm_raddr),
    .rdata_i     (gb_rdata_a),
    .we_o        (mm_we),
    .waddr_o     (mm_waddr_gb),
    .wdata_o     (mm_wdata)
  );

  skipopu_kvx #(
    .DATA_W      (DATA_W),
    .ADDR_W      (ADDR_W),
    .GB_AW       (GB_AW),
    .KV_PORTS    (KV_PORTS),
    .KV_TOKENS   (KV_TOKENS),
    .KV_ENTRY_MAX(KV_ENTRY_MAX),
    .KV_BUF_RD   (KV_BUF_RD),
    .KV_BUF_WR   (KV_BUF_WR),
    .KV_BUF_CAP  (KV_BUF_CAP),
    .ID_W        (ID_W),
    .MAX_BURST   (MAX_BURST)
  ) u_kvx (
    .clk_i,
    .rst_ni,
    .clr_i         (clr),
    .kv_e_i        (kv_e),
    .kv_off_i      (kv_off),
    .kv_layers_i   (kv_layers),
    .kv_flags_i    (kv_flags),
    .ax_valid_i    (kvx_valid),
    .ax_insn_i     (ax_insn),
    .ax_cnt_i      (ax_cnt),
    .ax_done_o     (kvx_done),
    .ax_err_o      (kvx_err),
    .dma_valid_o   (kvx_dma_valid),
    .dma_port_o    (kvx_dma_port),
    .dma_mem_addr_o(kvx_dma_mem_addr),
    .dma_gb_addr_o (kvx_dma_gb_addr),
    .dma_len_o     (kvx_dma_len),
    .dma_done_i    (dma_done),
    .dma_err_i     (dma_err),
    .dma_gb_re_i   (dma_gb_re),
    .gb_re_o       (kvx_re),
    .gb_raddr_o    (kvx_raddr),
    .gb_rdata_i    (gb_rdata_a),
    .gb_we_o       (kvx_we),
    .gb_waddr_o    (kvx_waddr),
    .gb_wdata_o    (kvx_wdata),
    .cfg_nk_i      (att_nk),
    .tile_req_i    (tile_req),
    .tile_nt_i     (tile_nt),
    .tile_word_i   (tile_word),
    .tile_col_i    (tile_col),
    .tile_rvalid_o (tile_rvalid),
    .tile_rdata_o  (tile_rdata),
    .m_axi_arid    (kv_arid),
    .m_axi_araddr  (kv_araddr),
    .m_axi_arlen   (kv_arlen),
    .m_axi_arsize  (kv_arsize),
    .m_axi_arburst (kv_arburst),
    .m_axi_arlock  (kv_arlock),
    .m_axi_arcache (kv_arcache),
    .m_axi_arprot  (kv_arprot),
    .m_axi_arvalid (kv_arvalid),
    .m_axi_arready (kv_arready),
    .m_axi_rid     (kv_rid),
    .m_axi_rdata   (kv_rdata),
    .m_axi_rresp   (kv_rresp),
    .m_axi_rlast   (kv_rlast),
    .m_axi_rvalid  (kv_rvalid),
    .m_axi_rready  (kv_rready),
    .perf_o        (kv_perf)
  );

  skipopu_att #(
    .DATA_W   (DATA_W),
    .ADDR_W   (ADDR_W),
    .GB_AW    (GB_AW),
    .SMAX_ROWS(SMAX_ROWS)
  ) u_att (
    .clk_i,
    .rst_ni,
    .cmd_valid_i (att_valid),
    .cmd_insn_i  (ax_insn),
    .cmd_cnt_i   (ax_cnt),
    .clr_i       (clr),
    .cycles_o    (att_cycles),
    .done_o      (att_done),
    .err_o       (att_err),
    .cfg_nk_i    (att_nk),
    .cfg_h_i     (att_h),
    .cfg_kvh_i   (att_kvh),
    .cfg_hw_i    (att_hw),
    .cfg_qs_i    (att_qs),
    .cfg_sbase_i (att_sbase),
    .cfg_causal_i(att_causal),
    .mask_re_o   (att_mask_re),
    .mask_raddr_o(att_mask_raddr),
    .mask_rdata_i(gb_rdata_b),
    .mm_start_o  (att_mm_start),
    .mm_pv_o     (att_mm_pv),
    .mm_mg_o     (att_mm_mg),
    .mm_lrep_o   (att_mm_lrep),
    .mm_g0_o     (att_mm_g0),
    .mm_ng_o     (att_mm_ng),
    .mm_nt_o     (att_mm_nt),
    .mm_hw_o     (att_mm_hw),
    .mm_kvh_o    (att_mm_kvh),
    .mm_qs_o     (att_mm_qs),
    .mm_j0_o     (att_mm_j0),
    .mm_x_o      (att_mm_x),
    .mm_r_o      (att_mm_r),
    .mm_o_o      (att_mm_o),
    .mm_os_o     (att_mm_os),
    .mm_done_i   (mm_done),
    .sc_valid_i  (sc_valid),
    .sc_ready_o  (sc_ready),
    .sc_data_i   (sc_data),
    .dma_valid_o (att_dma_valid),
    .dma_store_o (att_dma_store),
    .dma_addr_o  (att_dma_addr),
    .dma_len_o   (att_dma_len),
    .dma_done_i  (dma_done),
    .dma_err_i   (dma_err),
    .ss_valid_o  (ss_valid),
    .ss_ready_i  (ss_ready),
    .ss_data_o   (ss_data),
    .ls_valid_i  (ls_valid),
    .ls_ready_o  (ls_ready),
    .ls_data_i   (ls_data),
    .we_o        (att_we),
    .waddr_o     (att_waddr),
    .wdata_o     (att_wdata)
  );

endmodule
