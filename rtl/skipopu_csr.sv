// AXI4-Lite control/status register block of the SkipOPU core (map in docs/csr.md).
//
// One transaction at a time per direction: a write is accepted when both AW and W are valid and
// no B response is pending; a read when no R response is pending. Unmapped addresses and writes
// to read-only registers answer SLVERR and have no effect.

module skipopu_csr
  import skipopu_pkg::*;
#(
  // Number of HBM AXI ports (byte counters exist for DDR plus each HBM port)
  parameter int NUM_HBM = 4,
  // Data width of the memory AXI ports in bits (reported in CONFIG)
  parameter int DATA_W = 256,
  // Global buffer depth in words (reported in CONFIG)
  parameter int GBUF_DEPTH = 4096,
  // KV and attention parameters (reported in CONFIG2 and CONFIG3; see skipopu_top)
  parameter int KV_PORTS = 4,
  parameter int KV_TOKENS = 64,
  parameter int KV_ENTRY_MAX = 16,
  parameter int SMAX_ROWS = 256,
  parameter int KV_BUF_CAP = 64,
  parameter int KV_BUF_RD = 2,
  parameter int KV_BUF_WR = 2,
  // PE-array columns, WFETCH queue entries, INT4 groups per column tile (reported in CONFIG4)
  parameter int NCOL = 32,
  parameter int WFETCH_DEPTH = 8,
  parameter int MM_SCALE_ROWS = 64
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,

  // AXI4-Lite slave
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

  // Core control
  output logic                      start_o,
  output logic [63:0]               prog_base_o,
  output logic [31:0]               prog_len_o,
  output logic                      irq_o,

  // Core status
  input  logic                      busy_i,
  input  logic                      done_i,      // pulse: run finished (with or without error)
  input  logic [7:0]                err_code_i,  // valid from done_i until the next start
  input  logic [31:0]               err_pc_i,
  input  logic [63:0]               cycles_i,
  input  logic [31:0]               insn_count_i,
  input  logic [4*32-1:0]           perf_i,      // PE, MATMUL, NPE busy, NPE stall cycles
  input  logic [(NUM_HBM+1)*64-1:0] rd_bytes_i,  // per port, DDR first
  input  logic [(NUM_HBM+1)*64-1:0] wr_bytes_i,
  // KV counters: KVST_CYCLES, KV_ROUNDS, KV_KEEP_WORDS, KV_BUF_WORDS, KV_HBM_WORDS, KV_CYCLES
  input  logic [6*32-1:0]           kv_perf_i,
  input  logic [31:0]               att_cycles_i, // ATT_CYCLES
  input  logic [NumUnits*32-1:0]    unit_cycles_i // cycles by unit class (unit_e), UNIT_CYCLES
);

  localparam int NumPorts = NUM_HBM + 1;
  // The constant registers (field layouts generated from model/isa.toml into skipopu_pkg)
  localparam logic [31:0] Config1 = csr_config_word(8'(NUM_HBM), 8'($clog2(DATA_W / 8)),
                                                    16'($clog2(GBUF_DEPTH)));
  localparam logic [31:0] Config2 = csr_config2_word(8'(KV_PORTS), 8'($clog2(KV_TOKENS)),
                                                     8'(KV_ENTRY_MAX), 8'($clog2(SMAX_ROWS)));
  localparam logic [31:0] Config4 = csr_config4_word(8'($clog2(NCOL)), 8'(WFETCH_DEPTH),
                                                     8'(MM_SCALE_ROWS));
  localparam logic [31:0] Config3 = csr_config3_word(8'($clog2(KV_BUF_CAP)), 4'(KV_BUF_RD),
                                                     4'(KV_BUF_WR));
  localparam logic [1:0] RespOkay = 2'b00;
  localparam logic [1:0] RespSlvErr = 2'b10;

  logic [31:0] prog_lo_q, prog_hi_q, prog_len_q;
  logic [1:0]  irq_en_q, irq_status_q;
  logic        done_q, err_q;
  logic [31:0] cycles_hi_shadow_q;
  logic [31:0] bytes_shadow_q [3];
  logic        start_q;

  // ---------------------------------------------------------------------------------------------
  // Write channel
  // ---------------------------------------------------------------------------------------------
  logic        wr_fire;
  logic [31:0] wmask;
  logic        wr_ok;

  assign wr_fire = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
  assign s_axil_awready = wr_fire;
  assign s_axil_wready  = wr_fire;

  always_comb begin
    for (int i = 0; i < 4; i++) begin
      wmask[8*i +: 8] = {8{s_axil_wstrb[i]}};
    end
  end

  always_comb begin
    unique case ({s_axil_awaddr[11:2], 2'b00})
      CsrCtrl, CsrProgLo, CsrProgHi, CsrProgLen, CsrIrqEn, CsrIrqStatus: wr_ok = 1'b1;
      default: wr_ok = 1'b0;
    endcase
  end

  function automatic logic [31:0] merge(logic [31:0] old, logic [31:0] wdata, logic [31:0] m);
    return (old & ~m) | (wdata & m);
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prog_lo_q     <= '0;
      prog_hi_q     <= '0;
      prog_len_q    <= '0;
      irq_en_q      <= '0;
      irq_status_q  <= '0;
      done_q        <= 1'b0;
      err_q         <= 1'b0;
      start_q       <= 1'b0;
      s_axil_bvalid <= 1'b0;
      s_axil_bresp  <= RespOkay;
    end else begin
      start_q <= 1'b0;
      if (s_axil_bvalid && s_axil_bready) begin
        s_axil_bvalid <= 1'b0;
      end
      if (done_i) begin
        done_q       <= 1'b1;
        err_q        <= (err_code_i != 8'(ErrNone));
        irq_status_q <= irq_status_q | {err_code_i != 8'(ErrNone), 1'b1};
      end
      if (wr_fire) begin
        s_axil_bvalid <= 1'b1;
        s_axil_bresp  <= wr_ok ? RespOkay : RespSlvErr;
        unique case ({s_axil_awaddr[11:2], 2'b00})
          CsrCtrl: begin
            if (s_axil_wstrb[0] && s_axil_wdata[0] && !busy_i) begin
              start_q <= 1'b1;
              done_q  <= 1'b0;
              err_q   <= 1'b0;
            end
          end
          CsrProgLo:    prog_lo_q  <= merge(prog_lo_q, s_axil_wdata, wmask);
          CsrProgHi:    prog_hi_q  <= merge(prog_hi_q, s_axil_wdata, wmask);
          CsrProgLen:   prog_len_q <= merge(prog_len_q, s_axil_wdata, wmask);
          CsrIrqEn:     irq_en_q   <= 2'(merge({30'b0, irq_en_q}, s_axil_wdata, wmask));
          CsrIrqStatus: irq_status_q <= irq_status_q & ~(s_axil_wdata[1:0] & wmask[1:0]);
          default: ;
        endcase
      end
    end
  end

  assign start_o     = start_q;
  assign prog_base_o = {prog_hi_q, prog_lo_q};
  assign prog_len_o  = prog_len_q;
  assign irq_o       = |(irq_status_q & irq_en_q);

  // ---------------------------------------------------------------------------------------------
  // Read channel
  // ---------------------------------------------------------------------------------------------
  logic        rd_fire;
  logic [31:0] rd_data;
  logic        rd_ok;
  logic [11:0] rd_addr;
  logic [7:0]  rd_port;
  logic [1:0]  rd_word;

  assign rd_fire = s_axil_arvalid && !s_axil_rvalid;
  assign s_axil_arready = rd_fire;
  assign rd_addr = {s_axil_araddr[11:2], 2'b00};
  assign rd_port = 8'(rd_addr[11:4] - 8'(CsrBytes[11:4]));   // CsrBytesStride = 16
  assign rd_word = rd_addr[3:2];

  // UNIT_CYCLES: the word of unit class rd_unit
  logic [11:0] rd_unit;
  logic [31:0] unit_cycles;
  assign rd_unit = (rd_addr - CsrUnitCycles) >> $clog2(CsrUnitCyclesStride);
  always_comb begin
    unit_cycles = '0;
    for (int u = 0; u < NumUnits; u++) begin
      if (32'(rd_unit) == u) unit_cycles = unit_cycles_i[32*u +: 32];
    end
  end

  logic [63:0] port_rd_bytes, port_wr_bytes;
  always_comb begin
    port_rd_bytes = '0;
    port_wr_bytes = '0;
    for (int p = 0; p < NumPorts; p++) begin
      if (32'(rd_port) == p) begin
        port_rd_bytes = rd_bytes_i[64*p +: 64];
        port_wr_bytes = wr_bytes_i[64*p +: 64];
      end
    end
  end

  always_comb begin
    rd_ok   = 1'b1;
    rd_data = '0;
    unique case (rd_addr)
      CsrId:        rd_data = IdValue;
      CsrVersion:   rd_data = VersionValue;
      CsrConfig:    rd_data = Config1;
      CsrConfig2:   rd_data = Config2;
      CsrConfig3:   rd_data = Config3;
      CsrConfig4:   rd_data = Config4;
      CsrStatus:    rd_data = {29'b0, err_q, done_q, busy_i};
      CsrErrCode:   rd_data = done_q ? {24'b0, err_code_i} : 32'b0;
      CsrErrPc:     rd_data = done_q ? err_pc_i : 32'b0;
      CsrProgLo:    rd_data = prog_lo_q;
      CsrProgHi:    rd_data = prog_hi_q;
      CsrProgLen:   rd_data = prog_len_q;
      CsrIrqEn:     rd_data = {30'b0, irq_en_q};
      CsrIrqStatus: rd_data = {30'b0, irq_status_q};
      CsrCyclesLo:  rd_data = cycles_i[31:0];
      CsrCyclesHi:  rd_data = cycles_hi_shadow_q;
      CsrInsnCount: rd_data = insn_count_i;
      CsrPeCycles:  rd_data = perf_i[31:0];
      CsrMmCycles:  rd_data = perf_i[63:32];
      CsrNpeCycles: rd_data = perf_i[95:64];
      CsrNpeStall:  rd_data = perf_i[127:96];
      CsrKvCycles:  rd_data = kv_perf_i[31:0];
      CsrKvHbmWords: rd_data = kv_perf_i[63:32];
      CsrKvBufWords: rd_data = kv_perf_i[95:64];
      CsrKvKeepWords: rd_data = kv_perf_i[127:96];
      CsrKvRounds:  rd_data = kv_perf_i[159:128];
      CsrKvstCycles: rd_data = kv_perf_i[191:160];
      CsrAttCycles: rd_data = att_cycles_i;
      default: begin
        if (rd_addr >= CsrUnitCycles && 32'(rd_unit) < NumUnits) begin
          rd_data = unit_cycles;
        end else if (rd_addr >= CsrBytes && 32'(rd_port) < NumPorts) begin
          unique case (rd_word)
            2'd0:    rd_data = port_rd_bytes[31:0];
            2'd1:    rd_data = bytes_shadow_q[0];
            2'd2:    rd_data = bytes_shadow_q[1];
            default: rd_data = bytes_shadow_q[2];
          endcase
        end else begin
          rd_ok = 1'b0;
        end
      end
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s_axil_rvalid      <= 1'b0;
      s_axil_rdata       <= '0;
      s_axil_rresp       <= RespOkay;
      cycles_hi_shadow_q <= '0;
      bytes_shadow_q[0]  <= '0;
      bytes_shadow_q[1]  <= '0;
      bytes_shadow_q[2]  <= '0;
    end else begin
      if (s_axil_rvalid && s_axil_rready) begin
        s_axil_rvalid <= 1'b0;
      end
      if (rd_fire) begin
        s_axil_rvalid <= 1'b1;
        s_axil_rdata  <= rd_data;
        s_axil_rresp  <= rd_ok ? RespOkay : RespSlvErr;
        // 64-bit counters: reading the low word latches the rest of the set
        if (rd_addr == CsrCyclesLo) begin
          cycles_hi_shadow_q <= cycles_i[63:32];
        end
        if (rd_ok && rd_addr >= CsrBytes && rd_word == 2'd0) begin
          bytes_shadow_q[0] <= port_rd_bytes[63:32];
          bytes_shadow_q[1] <= port_wr_bytes[31:0];
          bytes_shadow_q[2] <= port_wr_bytes[63:32];
        end
      end
    end
  end

  // AXI-Lite protection bits and the byte offset within a register are ignored.
  logic unused_prot;
  assign unused_prot = ^{s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0], s_axil_araddr[1:0]};

endmodule
