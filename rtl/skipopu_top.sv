// SkipOPU core top level (walking skeleton): AXI4-Lite CSRs, instruction fetch from DDR, decoder
// and sequencer, global buffer, DMA with one DDR and NUM_HBM HBM AXI4 masters, FP16 vector unit.
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
  // Number of HBM AXI ports (1..15)
  parameter int NUM_HBM = 4,
  // Data width of every memory AXI port and of a global-buffer word in bits (128, 256 or 512)
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
  // Largest MATMUL M (rows of the PSUM buffer); the PE array is DATA_W/16 x DATA_W/16
  parameter int MMAX = 64,
  // NPE statistics RAM rows (power of 2): RMS statistics held between RMSSQ/snoop and RMSNORM
  parameter int NPE_ROWS = 256,
  // 1: HBM ports in their own clock domain (hbm_clk_i, nominally 2x clk_i) at DATA_W/2 bits
  // behind asynchronous chunk FIFOs (skipopu_axi_cdc); 0: HBM ports on clk_i at DATA_W bits
  parameter int HBM_ASYNC = 1,
  // Instruction-set revision: 5, or 6 (KV cache and attention; docs/isa.md)
  parameter int ISA_REV = 5,
  // Revision 6: HBM ports 0..KV_PORTS-1 hold the KV cache (a power of 2 <= NUM_HBM)
  parameter int KV_PORTS = 4,
  // Revision 6: KV staging buffer entries = largest attention key set (a power of 2, a multiple
  // of DATA_W/16 and KV_PORTS, <= DATA_W)
  parameter int KV_TOKENS = 64,
  // Revision 6: largest KV entry in words (a power of 2)
  parameter int KV_ENTRY_MAX = 16,
  // Revision 6: invariance buffer entries (a power of 2)
  parameter int KV_BUF_CAP = 64,
  // Revision 6: invariance buffer read ports (KV_PORTS + KV_BUF_RD <= DATA_W/16)
  parameter int KV_BUF_RD = 2,
  // Revision 6: invariance buffer write ports
  parameter int KV_BUF_WR = 2,
  // Revision 6: softmax feature rows (a power of 2)
  parameter int SMAX_ROWS = 256,
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

  // ---------------------------------------------------------------------------------------------
  // CSRs and sequencer
  // ---------------------------------------------------------------------------------------------
  logic              start, busy, done, clr;
  logic [63:0]       prog_base;
  logic [31:0]       prog_len;
  logic [7:0]        err_code;
  logic [31:0]       err_pc;
  logic [63:0]       cycles;
  logic [31:0]       insn_count;
  logic [4*32-1:0]   perf;
  logic              mm_pe_active;
  logic [NP*64-1:0]  rd_bytes, wr_bytes;
  logic [6*32-1:0]   kv_perf;
  logic [31:0]       att_cycles;
  logic [NumUnits*32-1:0] unit_cycles;

  skipopu_csr #(
    .NUM_HBM   (NUM_HBM),
    .DATA_W    (DATA_W),
    .GBUF_DEPTH(GBUF_DEPTH)
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
    .config23_i  ({8'd0, 4'(KV_BUF_WR), 4'(KV_BUF_RD), 8'($clog2(KV_BUF_CAP)), 8'(ISA_REV),
                   8'($clog2(SMAX_ROWS)), 8'(KV_ENTRY_MAX), 8'($clog2(KV_TOKENS)), 8'(KV_PORTS)}),
    .kv_perf_i   (kv_perf),
    .att_cycles_i(att_cycles),
    .unit_cycles_i(unit_cycles)
  );

  logic              fetch_start, fetch_stop, fetch_idle;
  logic [ADDR_W-1:0] fetch_base;
  logic [31:0]       fetch_len;
  logic              insn_valid, insn_err, insn_ready;
  logic [InsnW-1:0]  insn;

  logic              dma_valid, dma_store, dma_done, dma_err, dma_busy;
  logic [3:0]        dma_port;
  logic [ADDR_W-1:0] dma_mem_addr;
  logic [GB_AW-1:0]  dma_gb_addr;
  logic [15:0]       dma_len;

  logic              ctl_dma_valid, ctl_dma_store;
  logic [3:0]        ctl_dma_port;
  logic [ADDR_W-1:0] ctl_dma_mem_addr;
  logic [GB_AW-1:0]  ctl_dma_gb_addr;
  logic [15:0]       ctl_dma_len;

  logic              mm_start, mm_int4, mm_busy, mm_done, mm_err;
  logic              mm_norm, mm_abort, mm_norm_issue;
  logic [3:0]        mm_port;
  logic [15:0]       mm_m, mm_k, mm_n, mm_group;
  logic [GB_AW-1:0]  mm_src, mm_dst;
  logic [ADDR_W-1:0] mm_waddr, mm_scale;
  // MATMUL read streams (skipopu_dma: skipopu_mm_rd)
  logic              mrd_start, mrd_stop, mrd_busy;
  logic [3:0]        mrd_wport;
  logic [ADDR_W-1:0] mrd_waddr, mrd_saddr, mrd_sstep;
  logic [31:0]       mrd_wbeats;
  logic [15:0]       mrd_sgroups, mrd_scols;
  logic              mrd_w_valid, mrd_w_ready, mrd_w_err, mrd_s_valid, mrd_s_ready, mrd_s_err;
  logic [DATA_W-1:0] mrd_w_data, mrd_s_data;
  logic              mm_re, mm_we;
  logic [GB_AW-1:0]  mm_raddr, mm_waddr_gb;
  logic [DATA_W-1:0] mm_wdata;

  logic              vpu_valid, vpu_done, vpu_busy;
  logic [GB_AW-1:0]  vpu_dst, vpu_src0, vpu_src1;
  logic [15:0]       vpu_len, vpu_pair, vpu_cnt;
  logic [1:0]        vpu_op;
  logic [GB_AW-1:0]  vpu_mask;
  logic              vpu_force, npe_compact;

  // NPE command and configuration
  localparam int SAW = $clog2(NPE_ROWS);
  logic [15:0]       npe_d, npe_hw, npe_snoop_base, npe_len, npe_stat, npe_words, npe_stride;
  logic [31:0]       npe_eps, npe_inv_d;
  logic              npe_valid, npe_masked, npe_busy, npe_done, npe_err;
  npe_op_e           npe_op;
  logic [GB_AW-1:0]  npe_dst, npe_src, npe_aux, npe_mask;
  logic              snoop_start, snoop_en;
  // Revision 6 registers and execution-unit handshake
  logic [15:0]       kv_e, att_nk, ax_cnt;
  logic [31:0]       kv_off, att_sbase;
  logic [7:0]        kv_layers, att_h, att_kvh, att_hw, att_qs, ax_err;
  logic [1:0]        kv_flags;
  logic              att_causal, ax_valid, ax_done;
  logic [InsnW-1:0]  ax_insn;
  // Fused MATMUL normalisation (MATMUL norm flag)
  logic              mmx_start, mmx_ready, mmx_stop;
  logic [GB_AW-1:0]  mmx_x, mmx_w, mmx_mask;
  logic [15:0]       mmx_stat, mmx_n, mmx_cnt;

  skipopu_ctrl #(
    .NUM_HBM   (NUM_HBM),
    .DATA_W    (DATA_W),
    .GBUF_DEPTH(GBUF_DEPTH),
    .ADDR_W    (ADDR_W),
    .MMAX      (MMAX),
    .NPE_ROWS  (NPE_ROWS),
    .ISA_REV   (ISA_REV),
    .KV_PORTS  (KV_PORTS),
    .KV_TOKENS (KV_TOKENS),
    .KV_ENTRY_MAX(KV_ENTRY_MAX),
    .SMAX_ROWS (SMAX_ROWS)
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
    .dma_valid_o   (ctl_dma_valid),
    .dma_store_o   (ctl_dma_store),
    .dma_port_o    (ctl_dma_port),
    .dma_mem_addr_o(ctl_dma_mem_addr),
    .dma_gb_addr_o (ctl_dma_gb_addr),
    .dma_len_o     (ctl_dma_len),
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
    .vpu_cnt_i     (vpu_cnt),
    .vpu_done_i    (vpu_done),
    .mm_start_o    (mm_start),
    .mm_norm_o     (mm_norm),
    .mm_abort_o    (mm_abort),
    .mm_int4_o     (mm_int4),
    .mm_port_o     (mm_port),
    .mm_m_o        (mm_m),
    .mm_src_o      (mm_src),
    .mm_dst_o      (mm_dst),
    .mm_waddr_o    (mm_waddr),
    .mm_k_o        (mm_k),
    .mm_n_o        (mm_n),
    .mm_scale_o    (mm_scale),
    .mm_group_o    (mm_group),
    .mm_done_i     (mm_done),
    .mm_err_i      (mm_err),
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
    .ax_valid_o      (ax_valid),
    .ax_insn_o       (ax_insn),
    .ax_cnt_o        (ax_cnt),
    .ax_done_i       (ax_done),
    .ax_err_i        (ax_err)
  );

  // ---------------------------------------------------------------------------------------------
  // Revision 6 execution units: the sequencer's ax_valid goes to the unit of the opcode, the
  // units' done/err are combined (err is ErrNone unless done). KVST, KVLD and KVRD run in
  // skipopu_kvx; QK / SMNORM / SMFEAT / PV on the attention unit (skipopu_att, with the MATMUL
  // engine, the DMA streams and the online-softmax engine); any other opcode reaching the
  // handshake would end one cycle after issue with ILLEGAL_OP
  // ---------------------------------------------------------------------------------------------
  logic       kvx_sel, kvx_done, ill_pend_q;
  logic [7:0] kvx_err;
  logic       att_sel, att_valid, att_busy, att_done;
  logic [7:0] att_err;
  assign kvx_sel = (ax_insn[7:0] == 8'(OpKvst)) || (ax_insn[7:0] == 8'(OpKvld)) ||
                   (ax_insn[7:0] == 8'(OpKvrd));
  assign att_sel = (ax_insn[7:0] == 8'(OpQk)) || (ax_insn[7:0] == 8'(OpPv)) ||
                   (ax_insn[7:0] == 8'(OpSmnorm)) || (ax_insn[7:0] == 8'(OpSmfeat));
  assign att_valid = ax_valid && att_sel;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) ill_pend_q <= 1'b0;
    else         ill_pend_q <= ax_valid && !kvx_sel && !att_sel;
  end
  assign ax_done = kvx_done || att_done || ill_pend_q;
  assign ax_err  = kvx_err | (att_done ? att_err : 8'(ErrNone)) |
                   (ill_pend_q ? 8'(ErrIllegalOp) : 8'(ErrNone));
  // KV execution unit: KVST (DMA stores through the command mux below, KVSB put snooped from the
  // DMA's buffer reads), KVLD (the KV read unit on the HBM read mux), KVRD; the KV staging buffer
  logic              kvx_dma_valid;
  logic [3:0]        kvx_dma_port;
  logic [ADDR_W-1:0] kvx_dma_mem_addr;
  logic [GB_AW-1:0]  kvx_dma_gb_addr;
  logic [15:0]       kvx_dma_len;
  logic              kvx_re, kvx_we;
  logic [GB_AW-1:0]  kvx_raddr, kvx_waddr;
  logic [DATA_W-1:0] kvx_wdata;
  localparam int KvTnw = (KV_TOKENS > DATA_W / 16) ? $clog2(KV_TOKENS / (DATA_W / 16)) : 1;
  localparam int KvWw  = (KV_ENTRY_MAX > 1) ? $clog2(KV_ENTRY_MAX) : 1;
  // KVSB tile port: QK (K^T tiles) and PV (V tiles) of the MATMUL engine
  logic              tile_req, tile_col, tile_rvalid;
  logic [7:0]        tile_nt, tile_word;
  logic [DATA_W*DATA_W/16-1:0] tile_rdata;
  logic [31:0]                 kvst_cycles, kv_cycles, kv_hbm_words, kv_buf_words;
  logic [31:0]                 kv_keep_words, kv_rounds;
  // KV read unit side of the HBM read mux (ports 0..KV_PORTS-1)
  logic                        kv_own;
  logic [KV_PORTS*ID_W-1:0]    kv_arid, kv_rid;
  logic [KV_PORTS*ADDR_W-1:0]  kv_araddr;
  logic [KV_PORTS*8-1:0]       kv_arlen;
  logic [KV_PORTS*3-1:0]       kv_arsize, kv_arprot;
  logic [KV_PORTS*2-1:0]       kv_arburst, kv_rresp;
  logic [KV_PORTS*4-1:0]       kv_arcache;
  logic [KV_PORTS-1:0]         kv_arlock, kv_arvalid, kv_arready, kv_rlast, kv_rvalid, kv_rready;
  logic [KV_PORTS*DATA_W-1:0]  kv_rdata;

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
    .ax_valid_i    (ax_valid && kvx_sel),
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
    .tile_nt_i     (KvTnw'(tile_nt)),
    .tile_word_i   (KvWw'(tile_word)),
    .tile_col_i    (tile_col),
    .tile_rvalid_o (tile_rvalid),
    .tile_rdata_o  (tile_rdata),
    .dma_idle_i    (!dma_busy && !mrd_busy),
    .hbm_own_o     (kv_own),
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
    .kvst_cycles_o (kvst_cycles),
    .kv_cycles_o   (kv_cycles),
    .kv_hbm_words_o(kv_hbm_words),
    .kv_buf_words_o(kv_buf_words),
    .kv_keep_words_o(kv_keep_words),
    .kv_rounds_o   (kv_rounds)
  );
  assign kv_perf = {kvst_cycles, kv_rounds, kv_keep_words, kv_buf_words, kv_hbm_words, kv_cycles};

  // tile indices above the KVSB's widths are always 0 (NT <= KV_TOKENS / NCOL, words < E)
  logic unused_rev6;
  assign unused_rev6 = ^{tile_nt[7:KvTnw], tile_word[7:KvWw]};

  // Attention unit <-> MATMUL engine, DMA, KV staging buffer tile port
  logic              att_mm_start, att_mm_pv, att_mm_done;
  logic [15:0]       att_mm_mg, att_mm_j0, att_mm_r, att_mm_os;
  logic [2:0]        att_mm_lrep;
  logic [7:0]        att_mm_g0, att_mm_ng, att_mm_nt, att_mm_hw, att_mm_kvh, att_mm_qs;
  logic [GB_AW-1:0]  att_mm_x, att_mm_o;
  logic              sc_valid, sc_ready;
  logic [DATA_W-1:0] sc_data;
  logic              att_dma_valid, att_dma_store;
  logic [ADDR_W-1:0] att_dma_addr;
  logic [15:0]       att_dma_len;
  logic              ss_valid, ss_ready, ls_valid, ls_ready;
  logic [DATA_W-1:0] ss_data, ls_data;
  logic              att_mask_re, att_we;
  logic [GB_AW-1:0]  att_mask_raddr, att_waddr;
  logic [DATA_W-1:0] att_wdata;

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
    .busy_o      (att_busy),
    .done_o      (att_done),
    .err_o       (att_err),
    .cfg_nk_i    (att_nk),
    .cfg_h_i     (att_h),
    .cfg_kvh_i   (att_kvh),
    .cfg_hw_i    (att_hw),
    .cfg_qs_i    (att_qs),
    .cfg_sbase_i (ADDR_W'(att_sbase)),
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
    .mm_done_i   (att_mm_done),
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
  assign att_mm_done = mm_done;


  // ---------------------------------------------------------------------------------------------
  // MATMUL engine (PE array + PSUM); weights and scales stream through the DMA
  // ---------------------------------------------------------------------------------------------
  skipopu_mm #(
    .DATA_W(DATA_W),
    .ADDR_W(ADDR_W),
    .GB_AW (GB_AW),
    .MMAX  (MMAX)
  ) u_mm (
    .clk_i,
    .rst_ni,
    .start_i     (mm_start),
    .int4_i      (mm_int4),
    .port_i      (mm_port),
    .m_i         (mm_m),
    .src_i       (mm_src),
    .dst_i       (mm_dst),
    .waddr_i     (mm_waddr),
    .k_i         (mm_k),
    .n_i         (mm_n),
    .scale_i     (mm_scale),
    .group_i     (mm_group),
    .norm_i      (mm_norm),
    .go_i        (mmx_ready),
    .abort_i     (mm_abort),
    .norm_issue_o(mm_norm_issue),
    .npe_x_i     (npe_wdata),
    .busy_o      (mm_busy),
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
    .rd_start_o  (mrd_start),
    .rd_wport_o  (mrd_wport),
    .rd_waddr_o  (mrd_waddr),
    .rd_wbeats_o (mrd_wbeats),
    .rd_saddr_o  (mrd_saddr),
    .rd_sstep_o  (mrd_sstep),
    .rd_sgroups_o(mrd_sgroups),
    .rd_scols_o  (mrd_scols),
    .rd_stop_o   (mrd_stop),
    .rd_busy_i   (mrd_busy),
    .w_valid_i   (mrd_w_valid),
    .w_ready_o   (mrd_w_ready),
    .w_data_i    (mrd_w_data),
    .w_err_i     (mrd_w_err),
    .s_valid_i   (mrd_s_valid),
    .s_ready_o   (mrd_s_ready),
    .s_data_i    (mrd_s_data),
    .s_err_i     (mrd_s_err),
    .re_o        (mm_re),
    .raddr_o     (mm_raddr),
    .rdata_i     (gb_rdata_a),
    .we_o        (mm_we),
    .waddr_o     (mm_waddr_gb),
    .wdata_o     (mm_wdata)
  );

  // DMA commands from the sequencer (LOAD/STORE), the KV unit (KVST pieces) or the attention
  // unit (stream transfers on DDR: QK's score store, SMNORM/SMFEAT's load): one instruction at a
  // time, so they never overlap; the sequencer issues no transfer while a MATMUL runs
  assign dma_valid    = ctl_dma_valid || kvx_dma_valid || att_dma_valid;
  assign dma_store    = kvx_dma_valid ? 1'b1 : att_dma_valid ? att_dma_store : ctl_dma_store;
  assign dma_port     = kvx_dma_valid ? kvx_dma_port : att_dma_valid ? 4'd0 : ctl_dma_port;
  assign dma_mem_addr = kvx_dma_valid ? kvx_dma_mem_addr : att_dma_valid ? att_dma_addr :
                        ctl_dma_mem_addr;
  assign dma_gb_addr  = kvx_dma_valid ? kvx_dma_gb_addr : ctl_dma_gb_addr;
  assign dma_len      = kvx_dma_valid ? kvx_dma_len : att_dma_valid ? att_dma_len : ctl_dma_len;

  // ---------------------------------------------------------------------------------------------
  // Instruction fetch
  // ---------------------------------------------------------------------------------------------
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
  // Global buffer: write port shared by DMA loads and the vector unit, read port A by DMA stores
  // and vector source 0, read port B by vector source 1 (never active at the same time)
  // ---------------------------------------------------------------------------------------------
  logic              gb_we, gb_re_a, gb_re_b;
  logic [GB_AW-1:0]  gb_waddr, gb_raddr_a, gb_raddr_b;
  logic [DATA_W-1:0] gb_wdata, gb_rdata_a, gb_rdata_b;

  logic              dma_gb_we, dma_gb_re, vpu_we, vpu_re;
  logic              npe_we, npe_re_a, npe_re_b;
  logic [GB_AW-1:0]  npe_waddr, npe_raddr_a, npe_raddr_b;
  logic [DATA_W-1:0] npe_wdata;
  logic [GB_AW-1:0]  dma_gb_waddr, dma_gb_raddr, vpu_waddr, vpu_raddr0, vpu_raddr1;
  logic [DATA_W-1:0] dma_gb_wdata, vpu_wdata;

  assign gb_we      = dma_gb_we || vpu_we || mm_we || npe_we || kvx_we || att_we;
  assign gb_waddr   = vpu_we ? vpu_waddr : mm_we ? mm_waddr_gb : npe_we ? npe_waddr :
                      kvx_we ? kvx_waddr : att_we ? att_waddr : dma_gb_waddr;
  assign gb_wdata   = vpu_we ? vpu_wdata : mm_we ? mm_wdata : npe_we ? npe_wdata :
                      kvx_we ? kvx_wdata : att_we ? att_wdata : dma_gb_wdata;
  assign gb_re_a    = dma_gb_re || vpu_re || mm_re || npe_re_a || kvx_re;
  assign gb_raddr_a = vpu_re ? vpu_raddr0 : mm_re ? mm_raddr : npe_re_a ? npe_raddr_a :
                      kvx_re ? kvx_raddr : dma_gb_raddr;
  assign gb_re_b    = vpu_re || npe_re_b || att_mask_re;
  assign gb_raddr_b = vpu_re ? vpu_raddr1 : att_mask_re ? att_mask_raddr : npe_raddr_b;

  // pragma translate_off
  // Simulation-only checks: the engines never write the buffer in the same cycle (the sequencer
  // runs one instruction at a time; a fused MATMUL's normalised words precede its Y rows)
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else begin
      assert ((32'(dma_gb_we) + 32'(vpu_we) + 32'(mm_we) + 32'(npe_we) + 32'(kvx_we) +
               32'(att_we)) <= 1)
        else $error("global buffer write port: two writers in one cycle");
      assert (!(kvx_re && (dma_gb_re || vpu_re || mm_re || npe_re_a)))
        else $error("global buffer read port A: the KV unit and another reader in one cycle");
      assert (!(ctl_dma_valid && kvx_dma_valid))
        else $error("DMA command from the sequencer and the KV unit in one cycle");
      // the KV read unit owns HBM read channels only while the DMA is idle
      assert (!(kv_own && (dma_valid || dma_busy || mrd_busy)))
        else $error("DMA busy while the KV read unit owns the HBM read channels");
      // the MATMUL read streams own DMA read channels while busy: no transfer meanwhile
      assert (!(ctl_dma_valid && (mm_busy || mrd_busy || att_busy)))
        else $error("DMA transfer requested during a MATMUL");
      assert (!(att_dma_valid && (mrd_busy || dma_busy)))
        else $error("attention DMA stream requested while the DMA is busy");
    end
  end
  // pragma translate_on

  skipopu_gbuf #(
    .DATA_W(DATA_W),
    .DEPTH (GBUF_DEPTH)
  ) u_gbuf (
    .clk_i,
    .we_i     (gb_we),
    .waddr_i  (gb_waddr),
    .wdata_i  (gb_wdata),
    .re_a_i   (gb_re_a),
    .raddr_a_i(gb_raddr_a),
    .rdata_a_o(gb_rdata_a),
    .re_b_i   (gb_re_b),
    .raddr_b_i(gb_raddr_b),
    .rdata_b_o(gb_rdata_b)
  );

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
    .cmd_force_i(vpu_force),
    .busy_o     (vpu_busy),
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

  // ---------------------------------------------------------------------------------------------
  // Nonlinear processing engine: RMSNorm statistics (also snooping buffer writes), RMSNORM,
  // SWIGLU, ROPE
  // ---------------------------------------------------------------------------------------------
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
    .cfg_snoop_base_i(SAW'(npe_snoop_base)),
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
    .cmd_stat_i      (SAW'(npe_stat)),
    .mmx_start_i     (mmx_start),
    .mmx_x_i         (mmx_x),
    .mmx_w_i         (mmx_w),
    .mmx_stat_i      (SAW'(mmx_stat)),
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

  // ---------------------------------------------------------------------------------------------
  // DMA: port 0 = DDR, ports 1..NUM_HBM = HBM
  // ---------------------------------------------------------------------------------------------
  logic [NP*ID_W-1:0]      dma_awid;
  logic [NP*ADDR_W-1:0]    dma_awaddr;
  logic [NP*8-1:0]         dma_awlen;
  logic [NP*3-1:0]         dma_awsize;
  logic [NP*2-1:0]         dma_awburst;
  logic [NP-1:0]           dma_awlock;
  logic [NP*4-1:0]         dma_awcache;
  logic [NP*3-1:0]         dma_awprot;
  logic [NP-1:0]           dma_awvalid;
  logic [NP*DATA_W-1:0]    dma_wdata;
  logic [NP*DATA_W/8-1:0]  dma_wstrb;
  logic [NP-1:0]           dma_wlast;
  logic [NP-1:0]           dma_wvalid;
  logic [NP-1:0]           dma_bready;
  logic [NP*ID_W-1:0]      dma_arid;
  logic [NP*ADDR_W-1:0]    dma_araddr;
  logic [NP*8-1:0]         dma_arlen;
  logic [NP*3-1:0]         dma_arsize;
  logic [NP*2-1:0]         dma_arburst;
  logic [NP-1:0]           dma_arlock;
  logic [NP*4-1:0]         dma_arcache;
  logic [NP*3-1:0]         dma_arprot;
  logic [NP-1:0]           dma_arvalid;
  logic [NP-1:0]           dma_rready;
  logic [NP-1:0]           dma_awready;
  logic [NP-1:0]           dma_wready;
  logic [NP*ID_W-1:0]      dma_bid;
  logic [NP*2-1:0]         dma_bresp;
  logic [NP-1:0]           dma_bvalid;
  logic [NP-1:0]           dma_arready;
  logic [NP*ID_W-1:0]      dma_rid;
  logic [NP*DATA_W-1:0]    dma_rdata;
  logic [NP*2-1:0]         dma_rresp;
  logic [NP-1:0]           dma_rlast;
  logic [NP-1:0]           dma_rvalid;

  assign m_axi_ddr_awid = dma_awid[ID_W-1:0];
  assign hc_awid = dma_awid[NP*ID_W-1:ID_W];
  assign m_axi_ddr_awaddr = dma_awaddr[ADDR_W-1:0];
  assign hc_awaddr = dma_awaddr[NP*ADDR_W-1:ADDR_W];
  assign m_axi_ddr_awlen = dma_awlen[8-1:0];
  assign hc_awlen = dma_awlen[NP*8-1:8];
  assign m_axi_ddr_awsize = dma_awsize[3-1:0];
  assign hc_awsize = dma_awsize[NP*3-1:3];
  assign m_axi_ddr_awburst = dma_awburst[2-1:0];
  assign hc_awburst = dma_awburst[NP*2-1:2];
  assign m_axi_ddr_awlock = dma_awlock[0];
  assign hc_awlock = dma_awlock[NP-1:1];
  assign m_axi_ddr_awcache = dma_awcache[4-1:0];
  assign hc_awcache = dma_awcache[NP*4-1:4];
  assign m_axi_ddr_awprot = dma_awprot[3-1:0];
  assign hc_awprot = dma_awprot[NP*3-1:3];
  assign m_axi_ddr_awvalid = dma_awvalid[0];
  assign hc_awvalid = dma_awvalid[NP-1:1];
  assign m_axi_ddr_wdata = dma_wdata[DATA_W-1:0];
  assign hc_wdata = dma_wdata[NP*DATA_W-1:DATA_W];
  assign m_axi_ddr_wstrb = dma_wstrb[DATA_W/8-1:0];
  assign hc_wstrb = dma_wstrb[NP*DATA_W/8-1:DATA_W/8];
  assign m_axi_ddr_wlast = dma_wlast[0];
  assign hc_wlast = dma_wlast[NP-1:1];
  assign m_axi_ddr_wvalid = dma_wvalid[0];
  assign hc_wvalid = dma_wvalid[NP-1:1];
  assign m_axi_ddr_bready = dma_bready[0];
  assign hc_bready = dma_bready[NP-1:1];
  assign m_axi_ddr_arid = dma_arid[ID_W-1:0];
  assign dh_arid = dma_arid[NP*ID_W-1:ID_W];
  assign m_axi_ddr_araddr = dma_araddr[ADDR_W-1:0];
  assign dh_araddr = dma_araddr[NP*ADDR_W-1:ADDR_W];
  assign m_axi_ddr_arlen = dma_arlen[8-1:0];
  assign dh_arlen = dma_arlen[NP*8-1:8];
  assign m_axi_ddr_arsize = dma_arsize[3-1:0];
  assign dh_arsize = dma_arsize[NP*3-1:3];
  assign m_axi_ddr_arburst = dma_arburst[2-1:0];
  assign dh_arburst = dma_arburst[NP*2-1:2];
  assign m_axi_ddr_arlock = dma_arlock[0];
  assign dh_arlock = dma_arlock[NP-1:1];
  assign m_axi_ddr_arcache = dma_arcache[4-1:0];
  assign dh_arcache = dma_arcache[NP*4-1:4];
  assign m_axi_ddr_arprot = dma_arprot[3-1:0];
  assign dh_arprot = dma_arprot[NP*3-1:3];
  assign m_axi_ddr_arvalid = dma_arvalid[0];
  assign dh_arvalid = dma_arvalid[NP-1:1];
  assign m_axi_ddr_rready = dma_rready[0];
  assign dh_rready = dma_rready[NP-1:1];
  assign dma_awready = {hc_awready, m_axi_ddr_awready};
  assign dma_wready = {hc_wready, m_axi_ddr_wready};
  assign dma_bid = {hc_bid, m_axi_ddr_bid};
  assign dma_bresp = {hc_bresp, m_axi_ddr_bresp};
  assign dma_bvalid = {hc_bvalid, m_axi_ddr_bvalid};
  assign dma_arready = {dh_arready, m_axi_ddr_arready};
  assign dma_rid = {hc_rid, m_axi_ddr_rid};
  assign dma_rdata = {hc_rdata, m_axi_ddr_rdata};
  assign dma_rresp = {hc_rresp, m_axi_ddr_rresp};
  assign dma_rlast = {hc_rlast, m_axi_ddr_rlast};
  assign dma_rvalid = {dh_rvalid, m_axi_ddr_rvalid};

  // HBM read mux (plan 5.4): AR and R of HBM ports 0..KV_PORTS-1 belong to the KV read unit
  // while kv_own (skipopu_kvx switches it only while the DMA and the unit are idle), else to the
  // DMA; R data, ID, response and last go to both, valid/ready are gated. The KV unit's R beats
  // count in the DMA's BYTES_RD of their port (kv_rd_beat). AW/W/B stay with the DMA.
  logic [NUM_HBM*ID_W-1:0]   dh_arid;
  logic [NUM_HBM*ADDR_W-1:0] dh_araddr;
  logic [NUM_HBM*8-1:0]      dh_arlen;
  logic [NUM_HBM*3-1:0]      dh_arsize;
  logic [NUM_HBM*2-1:0]      dh_arburst;
  logic [NUM_HBM-1:0]        dh_arlock;
  logic [NUM_HBM*4-1:0]      dh_arcache;
  logic [NUM_HBM*3-1:0]      dh_arprot;
  logic [NUM_HBM-1:0]        dh_arvalid, dh_arready, dh_rvalid, dh_rready;
  logic [NP-1:0]             kv_rd_beat;

  assign kv_rd_beat[0] = 1'b0;
  for (genvar i = 0; i < NUM_HBM; i++) begin : g_kv_mux
    if (i < KV_PORTS) begin : g_kv
      assign hc_arid[i*ID_W +: ID_W]       = kv_own ? kv_arid[i*ID_W +: ID_W] :
                                                      dh_arid[i*ID_W +: ID_W];
      assign hc_araddr[i*ADDR_W +: ADDR_W] = kv_own ? kv_araddr[i*ADDR_W +: ADDR_W] :
                                                      dh_araddr[i*ADDR_W +: ADDR_W];
      assign hc_arlen[i*8 +: 8]     = kv_own ? kv_arlen[i*8 +: 8] : dh_arlen[i*8 +: 8];
      assign hc_arsize[i*3 +: 3]    = kv_own ? kv_arsize[i*3 +: 3] : dh_arsize[i*3 +: 3];
      assign hc_arburst[i*2 +: 2]   = kv_own ? kv_arburst[i*2 +: 2] : dh_arburst[i*2 +: 2];
      assign hc_arlock[i]           = kv_own ? kv_arlock[i] : dh_arlock[i];
      assign hc_arcache[i*4 +: 4]   = kv_own ? kv_arcache[i*4 +: 4] : dh_arcache[i*4 +: 4];
      assign hc_arprot[i*3 +: 3]    = kv_own ? kv_arprot[i*3 +: 3] : dh_arprot[i*3 +: 3];
      assign hc_arvalid[i]          = kv_own ? kv_arvalid[i] : dh_arvalid[i];
      assign hc_rready[i]           = kv_own ? kv_rready[i] : dh_rready[i];
      assign dh_arready[i]          = !kv_own && hc_arready[i];
      assign dh_rvalid[i]           = !kv_own && hc_rvalid[i];
      assign kv_arready[i]          = kv_own && hc_arready[i];
      assign kv_rvalid[i]           = kv_own && hc_rvalid[i];
      assign kv_rd_beat[i + 1]      = kv_own && hc_rvalid[i] && hc_rready[i];
    end else begin : g_dma
      assign hc_arid[i*ID_W +: ID_W]       = dh_arid[i*ID_W +: ID_W];
      assign hc_araddr[i*ADDR_W +: ADDR_W] = dh_araddr[i*ADDR_W +: ADDR_W];
      assign hc_arlen[i*8 +: 8]     = dh_arlen[i*8 +: 8];
      assign hc_arsize[i*3 +: 3]    = dh_arsize[i*3 +: 3];
      assign hc_arburst[i*2 +: 2]   = dh_arburst[i*2 +: 2];
      assign hc_arlock[i]           = dh_arlock[i];
      assign hc_arcache[i*4 +: 4]   = dh_arcache[i*4 +: 4];
      assign hc_arprot[i*3 +: 3]    = dh_arprot[i*3 +: 3];
      assign hc_arvalid[i]          = dh_arvalid[i];
      assign hc_rready[i]           = dh_rready[i];
      assign dh_arready[i]          = hc_arready[i];
      assign dh_rvalid[i]           = hc_rvalid[i];
      assign kv_rd_beat[i + 1]      = 1'b0;
    end
  end
  assign kv_rid   = hc_rid[KV_PORTS*ID_W-1:0];
  assign kv_rdata = hc_rdata[KV_PORTS*DATA_W-1:0];
  assign kv_rresp = hc_rresp[KV_PORTS*2-1:0];
  assign kv_rlast = hc_rlast[KV_PORTS-1:0];

  // Core-side HBM ports (clk_i, DATA_W), packed per port like m_axi_hbm_*
  logic [NUM_HBM*ID_W-1:0] hc_awid;
  logic [NUM_HBM*ADDR_W-1:0] hc_awaddr;
  logic [NUM_HBM*8-1:0] hc_awlen;
  logic [NUM_HBM*3-1:0] hc_awsize;
  logic [NUM_HBM*2-1:0] hc_awburst;
  logic [NUM_HBM-1:0] hc_awlock;
  logic [NUM_HBM*4-1:0] hc_awcache;
  logic [NUM_HBM*3-1:0] hc_awprot;
  logic [NUM_HBM-1:0] hc_awvalid;
  logic [NUM_HBM-1:0] hc_awready;
  logic [NUM_HBM*DATA_W-1:0] hc_wdata;
  logic [NUM_HBM*DATA_W/8-1:0] hc_wstrb;
  logic [NUM_HBM-1:0] hc_wlast;
  logic [NUM_HBM-1:0] hc_wvalid;
  logic [NUM_HBM-1:0] hc_wready;
  logic [NUM_HBM*ID_W-1:0] hc_bid;
  logic [NUM_HBM*2-1:0] hc_bresp;
  logic [NUM_HBM-1:0] hc_bvalid;
  logic [NUM_HBM-1:0] hc_bready;
  logic [NUM_HBM*ID_W-1:0] hc_arid;
  logic [NUM_HBM*ADDR_W-1:0] hc_araddr;
  logic [NUM_HBM*8-1:0] hc_arlen;
  logic [NUM_HBM*3-1:0] hc_arsize;
  logic [NUM_HBM*2-1:0] hc_arburst;
  logic [NUM_HBM-1:0] hc_arlock;
  logic [NUM_HBM*4-1:0] hc_arcache;
  logic [NUM_HBM*3-1:0] hc_arprot;
  logic [NUM_HBM-1:0] hc_arvalid;
  logic [NUM_HBM-1:0] hc_arready;
  logic [NUM_HBM*ID_W-1:0] hc_rid;
  logic [NUM_HBM*DATA_W-1:0] hc_rdata;
  logic [NUM_HBM*2-1:0] hc_rresp;
  logic [NUM_HBM-1:0] hc_rlast;
  logic [NUM_HBM-1:0] hc_rvalid;
  logic [NUM_HBM-1:0] hc_rready;

  skipopu_dma #(
    .NUM_HBM       (NUM_HBM),
    .ADDR_W        (ADDR_W),
    .DATA_W        (DATA_W),
    .ID_W          (ID_W),
    .MAX_BURST     (MAX_BURST),
    .RD_FIFO_DEPTH (RD_FIFO_DEPTH),
    .WR_OUTSTANDING(WR_OUTSTANDING),
    .GB_AW         (GB_AW)
  ) u_dma (
    .clk_i,
    .rst_ni,
    .clr_i         (clr),
    .cmd_valid_i   (dma_valid),
    .cmd_store_i   (dma_store),
    .mrd_start_i   (mrd_start),
    .mrd_wport_i   (mrd_wport),
    .mrd_waddr_i   (mrd_waddr),
    .mrd_wbeats_i  (mrd_wbeats),
    .mrd_saddr_i   (mrd_saddr),
    .mrd_sstep_i   (mrd_sstep),
    .mrd_sgroups_i (mrd_sgroups),
    .mrd_scols_i   (mrd_scols),
    .mrd_stop_i    (mrd_stop),
    .mrd_busy_o    (mrd_busy),
    .mrd_w_valid_o (mrd_w_valid),
    .mrd_w_ready_i (mrd_w_ready),
    .mrd_w_data_o  (mrd_w_data),
    .mrd_w_err_o   (mrd_w_err),
    .mrd_s_valid_o (mrd_s_valid),
    .mrd_s_ready_i (mrd_s_ready),
    .mrd_s_data_o  (mrd_s_data),
    .mrd_s_err_o   (mrd_s_err),
    .cmd_port_i    (dma_port),
    .cmd_mem_addr_i(dma_mem_addr),
    .cmd_gb_addr_i (dma_gb_addr),
    .cmd_len_i     (dma_len),
    .cmd_stream_i  (att_dma_valid),
    .ss_valid_i    (ss_valid),
    .ss_ready_o    (ss_ready),
    .ss_data_i     (ss_data),
    .ls_valid_o    (ls_valid),
    .ls_ready_i    (ls_ready),
    .ls_data_o     (ls_data),
    .busy_o        (dma_busy),
    .done_o        (dma_done),
    .err_o         (dma_err),
    .gb_we_o       (dma_gb_we),
    .gb_waddr_o    (dma_gb_waddr),
    .gb_wdata_o    (dma_gb_wdata),
    .gb_re_o       (dma_gb_re),
    .gb_raddr_o    (dma_gb_raddr),
    .gb_rdata_i    (gb_rdata_a),
    .ext_rd_beat_i (kv_rd_beat),
    .rd_bytes_o    (rd_bytes),
    .wr_bytes_o    (wr_bytes),
    .m_axi_awid    (dma_awid),
    .m_axi_awaddr  (dma_awaddr),
    .m_axi_awlen   (dma_awlen),
    .m_axi_awsize  (dma_awsize),
    .m_axi_awburst (dma_awburst),
    .m_axi_awlock  (dma_awlock),
    .m_axi_awcache (dma_awcache),
    .m_axi_awprot  (dma_awprot),
    .m_axi_awvalid (dma_awvalid),
    .m_axi_wdata   (dma_wdata),
    .m_axi_wstrb   (dma_wstrb),
    .m_axi_wlast   (dma_wlast),
    .m_axi_wvalid  (dma_wvalid),
    .m_axi_bready  (dma_bready),
    .m_axi_arid    (dma_arid),
    .m_axi_araddr  (dma_araddr),
    .m_axi_arlen   (dma_arlen),
    .m_axi_arsize  (dma_arsize),
    .m_axi_arburst (dma_arburst),
    .m_axi_arlock  (dma_arlock),
    .m_axi_arcache (dma_arcache),
    .m_axi_arprot  (dma_arprot),
    .m_axi_arvalid (dma_arvalid),
    .m_axi_rready  (dma_rready),
    .m_axi_awready (dma_awready),
    .m_axi_wready  (dma_wready),
    .m_axi_bid     (dma_bid),
    .m_axi_bresp   (dma_bresp),
    .m_axi_bvalid  (dma_bvalid),
    .m_axi_arready (dma_arready),
    .m_axi_rid     (dma_rid),
    .m_axi_rdata   (dma_rdata),
    .m_axi_rresp   (dma_rresp),
    .m_axi_rlast   (dma_rlast),
    .m_axi_rvalid  (dma_rvalid)
  );


  // ---------------------------------------------------------------------------------------------
  // HBM clock domain: asynchronous chunk FIFOs with 2:1 width conversion per port (HBM_ASYNC), or
  // the core-side ports directly
  // ---------------------------------------------------------------------------------------------
  if (HBM_ASYNC != 0) begin : g_hbm_cdc
    logic hbm_rst_n;
    // Deassert the HBM-domain reset synchronously to hbm_clk_i; the core domain keeps rst_ni
    skipopu_rst_sync u_hbm_rst (.clk_i(hbm_clk_i), .rst_ni(hbm_rst_ni), .rst_no(hbm_rst_n));
    for (genvar i = 0; i < NUM_HBM; i++) begin : g_port
      skipopu_axi_cdc #(
        .ADDR_W  (ADDR_W),
        .ID_W    (ID_W),
        .S_DATA_W(DATA_W),
        .M_DATA_W(HBM_W)
      ) u_cdc (
        .s_clk_i (clk_i),
        .s_rst_ni(rst_ni),
        .m_clk_i (hbm_clk_i),
        .m_rst_ni(hbm_rst_n),
        .s_axi_awid(hc_awid[i*ID_W +: ID_W]),
        .s_axi_awaddr(hc_awaddr[i*ADDR_W +: ADDR_W]),
        .s_axi_awlen(hc_awlen[i*8 +: 8]),
        .s_axi_awsize(hc_awsize[i*3 +: 3]),
        .s_axi_awburst(hc_awburst[i*2 +: 2]),
        .s_axi_awlock(hc_awlock[i]),
        .s_axi_awcache(hc_awcache[i*4 +: 4]),
        .s_axi_awprot(hc_awprot[i*3 +: 3]),
        .s_axi_awvalid(hc_awvalid[i]),
        .s_axi_awready(hc_awready[i]),
        .s_axi_wdata(hc_wdata[i*DATA_W +: DATA_W]),
        .s_axi_wstrb(hc_wstrb[i*DATA_W/8 +: DATA_W/8]),
        .s_axi_wlast(hc_wlast[i]),
        .s_axi_wvalid(hc_wvalid[i]),
        .s_axi_wready(hc_wready[i]),
        .s_axi_bid(hc_bid[i*ID_W +: ID_W]),
        .s_axi_bresp(hc_bresp[i*2 +: 2]),
        .s_axi_bvalid(hc_bvalid[i]),
        .s_axi_bready(hc_bready[i]),
        .s_axi_arid(hc_arid[i*ID_W +: ID_W]),
        .s_axi_araddr(hc_araddr[i*ADDR_W +: ADDR_W]),
        .s_axi_arlen(hc_arlen[i*8 +: 8]),
        .s_axi_arsize(hc_arsize[i*3 +: 3]),
        .s_axi_arburst(hc_arburst[i*2 +: 2]),
        .s_axi_arlock(hc_arlock[i]),
        .s_axi_arcache(hc_arcache[i*4 +: 4]),
        .s_axi_arprot(hc_arprot[i*3 +: 3]),
        .s_axi_arvalid(hc_arvalid[i]),
        .s_axi_arready(hc_arready[i]),
        .s_axi_rid(hc_rid[i*ID_W +: ID_W]),
        .s_axi_rdata(hc_rdata[i*DATA_W +: DATA_W]),
        .s_axi_rresp(hc_rresp[i*2 +: 2]),
        .s_axi_rlast(hc_rlast[i]),
        .s_axi_rvalid(hc_rvalid[i]),
        .s_axi_rready(hc_rready[i]),
        .m_axi_awid(m_axi_hbm_awid[i*(ID_W) +: ID_W]),
        .m_axi_awaddr(m_axi_hbm_awaddr[i*(ADDR_W) +: ADDR_W]),
        .m_axi_awlen(m_axi_hbm_awlen[i*(8) +: 8]),
        .m_axi_awsize(m_axi_hbm_awsize[i*(3) +: 3]),
        .m_axi_awburst(m_axi_hbm_awburst[i*(2) +: 2]),
        .m_axi_awlock(m_axi_hbm_awlock[i]),
        .m_axi_awcache(m_axi_hbm_awcache[i*(4) +: 4]),
        .m_axi_awprot(m_axi_hbm_awprot[i*(3) +: 3]),
        .m_axi_awvalid(m_axi_hbm_awvalid[i]),
        .m_axi_awready(m_axi_hbm_awready[i]),
        .m_axi_wdata(m_axi_hbm_wdata[i*(HBM_W) +: HBM_W]),
        .m_axi_wstrb(m_axi_hbm_wstrb[i*(HBM_W/8) +: HBM_W/8]),
        .m_axi_wlast(m_axi_hbm_wlast[i]),
        .m_axi_wvalid(m_axi_hbm_wvalid[i]),
        .m_axi_wready(m_axi_hbm_wready[i]),
        .m_axi_bid(m_axi_hbm_bid[i*(ID_W) +: ID_W]),
        .m_axi_bresp(m_axi_hbm_bresp[i*(2) +: 2]),
        .m_axi_bvalid(m_axi_hbm_bvalid[i]),
        .m_axi_bready(m_axi_hbm_bready[i]),
        .m_axi_arid(m_axi_hbm_arid[i*(ID_W) +: ID_W]),
        .m_axi_araddr(m_axi_hbm_araddr[i*(ADDR_W) +: ADDR_W]),
        .m_axi_arlen(m_axi_hbm_arlen[i*(8) +: 8]),
        .m_axi_arsize(m_axi_hbm_arsize[i*(3) +: 3]),
        .m_axi_arburst(m_axi_hbm_arburst[i*(2) +: 2]),
        .m_axi_arlock(m_axi_hbm_arlock[i]),
        .m_axi_arcache(m_axi_hbm_arcache[i*(4) +: 4]),
        .m_axi_arprot(m_axi_hbm_arprot[i*(3) +: 3]),
        .m_axi_arvalid(m_axi_hbm_arvalid[i]),
        .m_axi_arready(m_axi_hbm_arready[i]),
        .m_axi_rid(m_axi_hbm_rid[i*(ID_W) +: ID_W]),
        .m_axi_rdata(m_axi_hbm_rdata[i*(HBM_W) +: HBM_W]),
        .m_axi_rresp(m_axi_hbm_rresp[i*(2) +: 2]),
        .m_axi_rlast(m_axi_hbm_rlast[i]),
        .m_axi_rvalid(m_axi_hbm_rvalid[i]),
        .m_axi_rready(m_axi_hbm_rready[i])
      );
    end
  end else begin : g_hbm_sync
    assign m_axi_hbm_awid = hc_awid;
    assign m_axi_hbm_awaddr = hc_awaddr;
    assign m_axi_hbm_awlen = hc_awlen;
    assign m_axi_hbm_awsize = hc_awsize;
    assign m_axi_hbm_awburst = hc_awburst;
    assign m_axi_hbm_awlock = hc_awlock;
    assign m_axi_hbm_awcache = hc_awcache;
    assign m_axi_hbm_awprot = hc_awprot;
    assign m_axi_hbm_awvalid = hc_awvalid;
    assign hc_awready = m_axi_hbm_awready;
    assign m_axi_hbm_wdata = hc_wdata;
    assign m_axi_hbm_wstrb = hc_wstrb;
    assign m_axi_hbm_wlast = hc_wlast;
    assign m_axi_hbm_wvalid = hc_wvalid;
    assign hc_wready = m_axi_hbm_wready;
    assign hc_bid = m_axi_hbm_bid;
    assign hc_bresp = m_axi_hbm_bresp;
    assign hc_bvalid = m_axi_hbm_bvalid;
    assign m_axi_hbm_bready = hc_bready;
    assign m_axi_hbm_arid = hc_arid;
    assign m_axi_hbm_araddr = hc_araddr;
    assign m_axi_hbm_arlen = hc_arlen;
    assign m_axi_hbm_arsize = hc_arsize;
    assign m_axi_hbm_arburst = hc_arburst;
    assign m_axi_hbm_arlock = hc_arlock;
    assign m_axi_hbm_arcache = hc_arcache;
    assign m_axi_hbm_arprot = hc_arprot;
    assign m_axi_hbm_arvalid = hc_arvalid;
    assign hc_arready = m_axi_hbm_arready;
    assign hc_rid = m_axi_hbm_rid;
    assign hc_rdata = m_axi_hbm_rdata;
    assign hc_rresp = m_axi_hbm_rresp;
    assign hc_rlast = m_axi_hbm_rlast;
    assign hc_rvalid = m_axi_hbm_rvalid;
    assign m_axi_hbm_rready = hc_rready;
    logic unused_hbm_clk;
    assign unused_hbm_clk = ^{hbm_clk_i, hbm_rst_ni};
  end

  logic unused_busy;
  // The statistics row fields are 16 bits in the ISA; the RAM uses the low SAW bits (the decoder
  // range-checks them against NPE_ROWS)
  logic unused_npe;
  assign unused_npe = ^{npe_snoop_base, npe_stat, mmx_stat};
  assign unused_busy = ^{dma_busy, vpu_busy};

endmodule
