// Core sequencer: checks the program registers, starts the fetch unit, decodes and executes one
// instruction at a time, and stops at END or at the first error. Configuration instructions
// (MMCFG, MMNORM, NPECFG, KVCFG, ATTCFG) write registers here; every other instruction is
// dispatched to the unit of its opcode (DMA, vector unit, MATMUL engine, NPE, KV unit, attention
// unit) and the sequencer waits for its done. After an error the fetch unit is stopped and
// drained so no AXI transaction is left dangling; then the run ends with done_o and the error
// code and the index (pc) of the faulting instruction.

module skipopu_ctrl
  import skipopu_pkg::*;
#(
  // Number of HBM AXI ports
  parameter int NUM_HBM = 4,
  // AXI data width and global-buffer word width in bits
  parameter int DATA_W = 256,
  // Global buffer depth in words
  parameter int GBUF_DEPTH = 4096,
  // AXI address width
  parameter int ADDR_W = 34,
  // Largest MATMUL M
  parameter int MMAX = 64,
  // NPE statistics RAM rows
  parameter int NPE_ROWS = 256,
  // HBM ports holding the KV cache (a power of 2 <= NUM_HBM)
  parameter int KV_PORTS = 4,
  // KV staging buffer entries (a power of 2)
  parameter int KV_TOKENS = 64,
  // Largest KV entry in words (a power of 2)
  parameter int KV_ENTRY_MAX = 16,
  // Softmax feature rows
  parameter int SMAX_ROWS = 256,
  // PE-array columns (a multiple of DATA_W/16)
  parameter int NCOL = 32,
  // INT4 groups per column tile the MATMUL engine holds
  parameter int MM_SCALE_ROWS = 64,
  // WFETCH queue entries
  parameter int WFETCH_DEPTH = 8,
  // Global buffer address width (derived)
  parameter int GB_AW = $clog2(GBUF_DEPTH)
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  // From the CSRs
  input  logic              start_i,
  input  logic [63:0]       prog_base_i,
  input  logic [31:0]       prog_len_i,

  // Status
  output logic              busy_o,
  output logic              done_o,        // pulse at the end of a run
  output logic              clr_o,         // pulse at the start of a run (clears counters)
  output logic [7:0]        err_code_o,
  output logic [31:0]       err_pc_o,
  output logic [63:0]       cycles_o,
  output logic [31:0]       insn_count_o,
  output logic [4*32-1:0]   perf_o,        // PE, MATMUL, NPE busy, NPE stall cycles of the run
  output logic [NumUnits*32-1:0] unit_cycles_o,  // cycles by unit class (unit_e) of the run
  input  logic              pe_active_i,   // an activation word enters the PE array

  // Fetch unit
  output logic              fetch_start_o,
  output logic [ADDR_W-1:0] fetch_base_o,
  output logic [31:0]       fetch_len_o,
  output logic              fetch_stop_o,
  input  logic              insn_valid_i,
  input  logic [InsnW-1:0]  insn_i,
  input  logic              insn_err_i,
  output logic              insn_ready_o,
  input  logic              fetch_idle_i,

  // DMA
  output logic              dma_valid_o,
  output logic              dma_store_o,
  output logic [MemPortW-1:0] dma_port_o,   // memory port (LOAD/STORE: 0..15, the field)
  output logic [ADDR_W-1:0] dma_mem_addr_o,
  output logic [GB_AW-1:0]  dma_gb_addr_o,
  output logic [15:0]       dma_len_o,
  input  logic              dma_done_i,
  input  logic              dma_err_i,

  // Vector unit (VADD, VSCAT, ROUTE)
  output logic              vpu_valid_o,
  output logic [1:0]        vpu_op_o,
  output logic [GB_AW-1:0]  vpu_mask_o,
  output logic [15:0]       vpu_pair_o,
  output logic              vpu_force_o,
  output logic [7:0]        vpu_stride_o,  // ROUTE logits row stride (f2[7:0])
  input  logic [15:0]       vpu_cnt_i,
  output logic [GB_AW-1:0]  vpu_dst_o,
  output logic [GB_AW-1:0]  vpu_src0_o,
  output logic [GB_AW-1:0]  vpu_src1_o,
  output logic [15:0]       vpu_len_o,
  input  logic              vpu_done_i,

  // MATMUL engine
  output logic              mm_start_o,
  output logic              mm_norm_o,     // norm flag: X comes from the NPE (fused RMSNorm)
  output logic              mm_abort_o,    // the fused normalisation's mask check failed
  output logic              mm_int4_o,
  output logic [15:0]       mm_m_o,
  output logic [GB_AW-1:0]  mm_src_o,
  output logic [GB_AW-1:0]  mm_dst_o,
  output logic [15:0]       mm_k_o,
  output logic [15:0]       mm_n_o,
  output logic [15:0]       mm_group_o,
  input  logic              mm_done_i,
  input  logic              mm_err_i,

  // Weight access unit (skipopu_wstream): the WFETCH queue of operand streams. A WFETCH pushes
  // a descriptor; a MATMUL with PF takes the head's stream (its descriptor must match), one
  // without PF pushes its own into the empty queue; the queue is flushed at the end of a run.
  output logic              ws_push_o,
  output logic [ADDR_W-1:0] ws_base_o,
  output logic [25:0]       ws_chunks_o,    // (the decoder bounds a stream below 2^26 chunks)
  input  logic              ws_ready_i,     // room in the queue
  input  logic [$clog2(WFETCH_DEPTH):0] ws_count_i,  // streams queued, not fully consumed
  input  logic              ws_head_valid_i,
  input  logic [ADDR_W-1:0] ws_head_base_i,
  input  logic [25:0]       ws_head_chunks_i,
  output logic              ws_flush_o,
  input  logic              ws_busy_i,
  // the mask word of a masked WFETCH (global buffer read port B, data one cycle later)
  output logic              mask_re_o,
  output logic [GB_AW-1:0]  mask_raddr_o,
  input  logic [DATA_W-1:0] mask_rdata_i,

  // NPE
  output logic [15:0]       npe_d_o,
  output logic [31:0]       npe_eps_o,
  output logic [31:0]       npe_inv_d_o,
  output logic [15:0]       npe_hw_o,
  output logic [15:0]       npe_snoop_base_o,
  output logic              npe_valid_o,
  output npe_op_e           npe_op_o,
  output logic [15:0]       npe_len_o,
  output logic [GB_AW-1:0]  npe_dst_o,
  output logic [GB_AW-1:0]  npe_src_o,
  output logic [GB_AW-1:0]  npe_aux_o,
  output logic [GB_AW-1:0]  npe_mask_o,
  output logic              npe_masked_o,
  output logic              npe_compact_o,
  output logic [15:0]       npe_stat_o,
  output logic [15:0]       npe_words_o,    // ROPE: words rotated per row
  output logic [15:0]       npe_stride_o,   // ROPE: row stride in words
  // Fused MATMUL normalisation (MATMUL norm flag, MMNORM registers)
  output logic              npe_mmx_start_o,
  output logic [GB_AW-1:0]  npe_mmx_x_o,
  output logic [GB_AW-1:0]  npe_mmx_w_o,
  output logic [15:0]       npe_mmx_stat_o,
  output logic [GB_AW-1:0]  npe_mmx_mask_o,
  output logic [15:0]       npe_mmx_n_o,
  output logic [15:0]       npe_mmx_cnt_o,
  output logic              npe_mmx_stop_o,
  output logic              snoop_start_o,  // LOAD/VADD with the statistics flag issued
  output logic              snoop_en_o,     // ... and still writing the buffer
  input  logic              npe_busy_i,
  input  logic              npe_done_i,
  input  logic              npe_err_i,

  // KVCFG registers (entry words, region offset, layers, flags: [0] interleaved, [1] invariance
  // buffer) and ATTCFG registers (keys, heads, KV heads, words per head, Q row stride, score
  // area, causal); all cleared at the start of a run
  output logic [15:0]       kv_e_o,
  output logic [31:0]       kv_off_o,
  output logic [7:0]        kv_layers_o,
  output logic [1:0]        kv_flags_o,
  output logic [15:0]       att_nk_o,
  output logic [7:0]        att_h_o,
  output logic [7:0]        att_kvh_o,
  output logic [7:0]        att_hw_o,
  output logic [7:0]        att_qs_o,
  output logic [31:0]       att_sbase_o,
  output logic              att_causal_o,
  // KV unit (KVST, KVLD, KVRD) and attention unit (QK, SMNORM, SMFEAT, PV): a legal
  // instruction is issued to its unit with a one-cycle kvx_valid_o / att_valid_o pulse (the unit
  // takes its fields from ax_insn_o and CNT from ax_cnt_o in that cycle); the sequencer waits
  // for the unit's done, whose err (err_e, ErrNone when it succeeded) ends the instruction
  output logic              kvx_valid_o,
  output logic              att_valid_o,
  output logic [InsnW-1:0]  ax_insn_o,
  output logic [15:0]       ax_cnt_o,
  input  logic              kvx_done_i,
  input  logic [7:0]        kvx_err_i,
  input  logic              att_done_i,
  input  logic [7:0]        att_err_i
);

  localparam int BeatBytes = DATA_W / 8;
  localparam int BeatShift = $clog2(BeatBytes);

  typedef enum logic [3:0] {StIdle, StExec, StWaitDma, StWaitVpu, StWaitMm, StWaitNpe, StWaitAx,
                            StWfetch, StDrain, StFinish} state_e;

  state_e      state_q;
  logic [31:0] pc_q, len_q;
  logic [7:0]  err_q;
  logic [31:0] err_pc_q;
  logic [63:0] cycles_q;
  logic [31:0] retired_q;
  logic [31:0] pe_cyc_q, mm_cyc_q, npe_cyc_q, npe_stall_q;
  unit_e       unit_q;         // unit class of the instruction in flight (cycle accounting)
  logic [NumUnits*32-1:0] unit_cyc_q;
  logic        store_q;
  // MMCFG registers (cleared at the start of every run)
  logic [15:0] mm_k_q, mm_group_q;
  logic [31:0] mm_n_q;
  // masked WFETCH in flight: its stream and the rows of its mask word
  logic [ADDR_W-1:0] wf_base_q;
  logic [31:0]       wf_chunks_q;
  logic [15:0]       wf_rows_q;
  // MMNORM registers (cleared at the start of every run)
  logic [15:0] mn_n_q, mn_x_q, mn_w_q, mn_stat_q, mn_mask_q;
  logic        mm_norm_q;      // the MATMUL in flight has the norm flag
  // NPECFG registers (cleared at the start of every run)
  logic [15:0] npe_d_q, npe_hw_q, npe_snoop_q;
  logic [31:0] npe_eps_q, npe_inv_d_q;
  logic        snoop_q;        // the LOAD/VADD/VSCAT in flight has the statistics flag
  logic        route_q;        // the VPU instruction in flight is a ROUTE (updates CNT)
  logic [15:0] cnt_q;          // CNT: executing rows of the last ROUTE (docs/isa.md)
  // KVCFG / ATTCFG registers (cleared at the start of every run)
  logic [15:0] kv_e_q, att_nk_q;
  logic [31:0] kv_off_q, att_sbase_q;
  logic [7:0]  kv_layers_q, att_h_q, att_kvh_q, att_hw_q, att_qs_q;
  logic [1:0]  kv_flags_q;
  logic        att_causal_q;

  // Decoder
  logic        is_nop, is_end, is_load, is_store, is_vadd, is_mmcfg, is_mmnorm, is_matmul;
  logic        is_npecfg, is_npe, d_stats, is_vscat, is_route, d_dyn, d_compact;
  logic        is_kvcfg, is_attcfg, is_argmax, is_kvx, is_att, is_wfetch;
  logic [31:0] d_chunks;
  npe_op_e     d_npe_op;
  logic [3:0]  d_port;
  logic [15:0] d_len;
  logic [31:0] d_gb, d_src0, d_src1;
  logic [63:0] d_mem;
  logic [7:0]  d_err;
  logic [3:0]  d_flags;

  skipopu_decode #(
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
    .MM_SCALE_ROWS(MM_SCALE_ROWS)
  ) u_decode (
    .insn_i    (insn_i),
    .mm_k_i    (mm_k_q),
    .mm_n_i    (mm_n_q),
    .mm_group_i(mm_group_q),
    .npe_d_i   (npe_d_q),
    .npe_hw_i  (npe_hw_q),
    .npe_snoop_i(npe_snoop_q),
    .mn_n_i    (mn_n_q),
    .mn_x_i    (mn_x_q),
    .mn_w_i    (mn_w_q),
    .mn_stat_i (mn_stat_q),
    .mn_mask_i (mn_mask_q),
    .kv_e_i     (kv_e_q),
    .kv_off_i   (kv_off_q),
    .kv_layers_i(kv_layers_q),
    .att_nk_i   (att_nk_q),
    .att_h_i    (att_h_q),
    .att_kvh_i  (att_kvh_q),
    .att_hw_i   (att_hw_q),
    .att_qs_i   (att_qs_q),
    .att_sbase_i(att_sbase_q),
    .att_causal_i(att_causal_q),
    .is_argmax_o(is_argmax),
    .is_kvcfg_o (is_kvcfg),
    .is_attcfg_o(is_attcfg),
    .is_kvx_o   (is_kvx),
    .is_att_o   (is_att),
    .is_wfetch_o(is_wfetch),
    .chunks_o   (d_chunks),
    .is_npecfg_o(is_npecfg),
    .is_npe_o  (is_npe),
    .is_vscat_o(is_vscat),
    .is_route_o(is_route),
    .dyn_o     (d_dyn),
    .compact_o (d_compact),
    .npe_op_o  (d_npe_op),
    .stats_o   (d_stats),
    .is_mmcfg_o(is_mmcfg),
    .is_mmnorm_o(is_mmnorm),
    .is_matmul_o(is_matmul),
    .is_nop_o  (is_nop),
    .is_end_o  (is_end),
    .is_load_o (is_load),
    .is_store_o(is_store),
    .is_vadd_o (is_vadd),
    .port_o    (d_port),
    .flags_o   (d_flags),
    .len_o     (d_len),
    .gb_addr_o (d_gb),
    .src0_o    (d_src0),
    .src1_o    (d_src1),
    .mem_addr_o(d_mem),
    .err_o     (d_err)
  );

  // Program register check: length >= 1, base aligned to a bus word, whole program addressable
  logic        prog_ok;
  logic [63:0] prog_end;
  assign prog_end = prog_base_i + {28'b0, prog_len_i, 4'b0};
  assign prog_ok = (prog_len_i != '0) && (prog_base_i[BeatShift-1:0] == '0) &&
                   ((prog_base_i >> ADDR_W) == '0) && (prog_end <= (64'd1 << ADDR_W));

  // Instruction issue in StExec; waits while the NPE statistics pipeline still drains (rows
  // snooped from the previous LOAD/VADD), so every instruction sees its results
  // Dynamic length (MATMUL/SWIGLU flags[3]): CNT rows; CNT = 0 makes the instruction a no-op,
  // CNT above the static bound (MATMUL len, SWIGLU f2[15:0]) is DYN_LEN
  // (ROPE flags[3]: CNT rows of the len bound)
  logic        dyn_mm, dyn_sw, dyn_rp, dyn_skip, dyn_over;
  logic [15:0] dyn_bound;
  assign dyn_mm    = is_matmul && d_dyn;
  assign dyn_sw    = is_npe && (d_npe_op == NpeSwiglu) && d_dyn;
  assign dyn_rp    = is_npe && (d_npe_op == NpeRope) && d_dyn;
  assign dyn_bound = dyn_sw ? d_src1[15:0] : d_len;
  assign dyn_skip  = (dyn_mm || dyn_sw || dyn_rp) && (cnt_q == '0);
  assign dyn_over  = (dyn_mm || dyn_sw || dyn_rp) && (cnt_q > dyn_bound);

  // The KV and attention units report through one wait state (one of them runs at a time)
  logic       ax_done;
  logic [7:0] ax_err;
  assign ax_done = kvx_done_i || att_done_i;
  assign ax_err  = kvx_done_i ? kvx_err_i : att_err_i;

  // The WFETCH queue at issue (docs/isa.md "Prefetch"): a MATMUL with PF needs the head to be
  // its stream, one without PF an empty queue (else it would wait behind streams nobody takes);
  // END needs an empty queue; an unmasked WFETCH needs room (a masked one is checked in
  // StWfetch, once its mask word is read)
  logic mm_pf, pf_match, wf_err, ws_empty;
  assign ws_empty = (ws_count_i == '0);
  assign mm_pf    = d_flags[FlagPf];
  assign pf_match = ws_head_valid_i && (ws_head_base_i == d_mem[ADDR_W-1:0]) &&
                    (32'(ws_head_chunks_i) == d_chunks);
  assign wf_err   = (is_matmul && (mm_pf ? !pf_match : !ws_empty)) ||
                    (is_end && !ws_empty) ||
                    (is_wfetch && !d_flags[FlagMasked] && !ws_ready_i);

  logic exec_fire;
  assign exec_fire = (state_q == StExec) && (pc_q != len_q) && insn_valid_i && !npe_busy_i;
  assign insn_ready_o = exec_fire;

  // Unit class of an instruction at issue (the wait states use it for the cycle accounting)
  unit_e issue_unit;
  assign issue_unit = unit_of(insn_i[7:0]);     // (model/isa.toml: units)

  // Cycle accounting: the cycle of the start counts as issue (as CYCLES counts it), then every
  // busy cycle goes to the unit the sequencer waits on, or to issue
  logic  waiting;
  unit_e cyc_unit;
  assign waiting = (state_q == StWaitDma) || (state_q == StWaitVpu) || (state_q == StWaitMm) ||
                   (state_q == StWaitNpe) || (state_q == StWaitAx);
  always_comb begin
    if (waiting) cyc_unit = unit_q;
    else         cyc_unit = UnitIssue;
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      unit_q     <= UnitIssue;
      unit_cyc_q <= '0;
    end else begin
      if (exec_fire) unit_q <= issue_unit;
      if (state_q == StIdle) begin
        if (start_i) unit_cyc_q <= (NumUnits * 32)'(1);
      end else begin
        unit_cyc_q[32*cyc_unit +: 32] <= unit_cyc_q[32*cyc_unit +: 32] + 32'd1;
      end
    end
  end
  assign unit_cycles_o = unit_cyc_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      pc_q      <= '0;
      len_q     <= '0;
      err_q     <= 8'(ErrNone);
      err_pc_q  <= '0;
      cycles_q  <= '0;
      retired_q <= '0;
      pe_cyc_q  <= '0;
      mm_cyc_q  <= '0;
      npe_cyc_q <= '0;
      npe_stall_q <= '0;
      store_q   <= 1'b0;
      mm_k_q    <= '0;
      mm_n_q    <= '0;
      wf_base_q   <= '0;
      wf_chunks_q <= '0;
      wf_rows_q   <= '0;
      mm_group_q <= '0;
      mn_n_q     <= '0;
      mn_x_q     <= '0;
      mn_w_q     <= '0;
      mn_stat_q  <= '0;
      mn_mask_q  <= '0;
      mm_norm_q  <= 1'b0;
      npe_d_q    <= '0;
      npe_hw_q   <= '0;
      npe_snoop_q <= '0;
      npe_eps_q  <= '0;
      npe_inv_d_q <= '0;
      snoop_q    <= 1'b0;
      route_q    <= 1'b0;
      cnt_q      <= '0;
      kv_e_q      <= '0;
      kv_off_q    <= '0;
      kv_layers_q <= '0;
      kv_flags_q  <= '0;
      att_nk_q    <= '0;
      att_h_q     <= '0;
      att_kvh_q   <= '0;
      att_hw_q    <= '0;
      att_qs_q    <= '0;
      att_sbase_q <= '0;
      att_causal_q <= '0;
    end else begin
      if (state_q != StIdle) begin
        cycles_q <= cycles_q + 1'b1;
        if (pe_active_i) pe_cyc_q <= pe_cyc_q + 1'b1;
        if (state_q == StWaitMm) mm_cyc_q <= mm_cyc_q + 1'b1;
        if (state_q == StWaitNpe || npe_busy_i) npe_cyc_q <= npe_cyc_q + 1'b1;
        if (state_q == StExec && pc_q != len_q && insn_valid_i && npe_busy_i) begin
          npe_stall_q <= npe_stall_q + 1'b1;
        end
      end
      unique case (state_q)
        StIdle: begin
          if (start_i) begin
            pc_q      <= '0;
            len_q     <= prog_len_i;
            err_pc_q  <= '0;
            cycles_q  <= 64'd1;
            retired_q <= '0;
            pe_cyc_q  <= '0;
            mm_cyc_q  <= '0;
            npe_cyc_q <= '0;
            npe_stall_q <= '0;
            mm_k_q    <= '0;
            mm_n_q    <= '0;
            mm_group_q <= '0;
            mn_n_q     <= '0;
            mn_x_q     <= '0;
            mn_w_q     <= '0;
            mn_stat_q  <= '0;
            mn_mask_q  <= '0;
            npe_d_q    <= '0;
            npe_hw_q   <= '0;
            npe_snoop_q <= '0;
            npe_eps_q  <= '0;
            npe_inv_d_q <= '0;
            cnt_q       <= '0;
            kv_e_q      <= '0;
            kv_off_q    <= '0;
            kv_layers_q <= '0;
            kv_flags_q  <= '0;
            att_nk_q    <= '0;
            att_h_q     <= '0;
            att_kvh_q   <= '0;
            att_hw_q    <= '0;
            att_qs_q    <= '0;
            att_sbase_q <= '0;
            att_causal_q <= '0;
            if (prog_ok) begin
              err_q   <= 8'(ErrNone);
              state_q <= StExec;
            end else begin
              err_q   <= 8'(ErrBadProg);
              state_q <= StFinish;
            end
          end
        end
        StExec: begin
          if (pc_q == len_q) begin
            err_q    <= 8'(ErrProgOverrun);
            err_pc_q <= pc_q;
            state_q  <= StDrain;
          end else if (exec_fire) begin
            if (insn_err_i) begin
              err_q    <= 8'(ErrFetchAxi);
              err_pc_q <= pc_q;
              state_q  <= StDrain;
            end else if (d_err != 8'(ErrNone)) begin
              err_q    <= d_err;
              err_pc_q <= pc_q;
              state_q  <= StDrain;
            end else if (dyn_over) begin
              err_q    <= 8'(ErrDynLen);
              err_pc_q <= pc_q;
              state_q  <= StDrain;
            end else if (dyn_skip) begin
              retired_q <= retired_q + 1'b1;
              pc_q      <= pc_q + 1'b1;
            end else if (wf_err) begin
              err_q    <= 8'(ErrWfetch);
              err_pc_q <= pc_q;
              state_q  <= StDrain;
            end else if (is_wfetch) begin
              if (d_flags[FlagMasked]) begin
                wf_base_q   <= d_mem[ADDR_W-1:0];
                wf_chunks_q <= d_chunks;
                wf_rows_q   <= d_gb[31:16];
                state_q     <= StWfetch;
              end else begin
                retired_q <= retired_q + 1'b1;
                pc_q      <= pc_q + 1'b1;
              end
            end else if (is_end) begin
              retired_q <= retired_q + 1'b1;
              state_q   <= StDrain;
            end else if (is_nop) begin
              retired_q <= retired_q + 1'b1;
              pc_q      <= pc_q + 1'b1;
            end else if (is_load || is_store) begin
              store_q <= is_store;
              snoop_q <= is_load && d_stats;
              state_q <= StWaitDma;
            end else if (is_vadd || is_vscat || is_route || is_argmax) begin
              snoop_q <= (is_vadd || is_vscat) && d_stats;
              route_q <= is_route;
              state_q <= StWaitVpu;
            end else if (is_npecfg) begin
              npe_d_q     <= d_len;
              npe_eps_q   <= d_gb;
              npe_inv_d_q <= d_src0;
              npe_hw_q    <= d_src1[15:0];
              npe_snoop_q <= d_src1[31:16];
              retired_q   <= retired_q + 1'b1;
              pc_q        <= pc_q + 1'b1;
            end else if (is_npe) begin
              state_q <= StWaitNpe;
            end else if (is_mmcfg) begin
              mm_k_q     <= d_len;
              mm_n_q     <= d_gb;
              mm_group_q <= d_src1[15:0];
              retired_q  <= retired_q + 1'b1;
              pc_q       <= pc_q + 1'b1;
            end else if (is_mmnorm) begin
              mn_n_q    <= d_len;
              mn_x_q    <= d_gb[15:0];
              mn_w_q    <= d_gb[31:16];
              mn_stat_q <= d_src0[31:16];
              mn_mask_q <= d_src0[15:0];
              retired_q <= retired_q + 1'b1;
              pc_q      <= pc_q + 1'b1;
            end else if (is_matmul) begin
              mm_norm_q <= d_compact;
              state_q   <= StWaitMm;
            end else if (is_kvcfg) begin
              kv_e_q      <= d_len;
              kv_off_q    <= d_gb;
              kv_layers_q <= d_src0[7:0];
              kv_flags_q  <= {d_flags[FlagKvbuf], d_flags[FlagInterleaved]};
              retired_q   <= retired_q + 1'b1;
              pc_q        <= pc_q + 1'b1;
            end else if (is_attcfg) begin
              att_nk_q     <= d_len;
              att_h_q      <= d_src0[7:0];
              att_kvh_q    <= d_src0[15:8];
              att_hw_q     <= d_src0[23:16];
              att_qs_q     <= d_src0[31:24];
              att_sbase_q  <= d_gb;          // f0 = score area (docs/isa.md)
              att_causal_q <= d_flags[FlagCausal];
              retired_q    <= retired_q + 1'b1;
              pc_q         <= pc_q + 1'b1;
            end else if (is_kvx || is_att) begin
              state_q <= StWaitAx;
            end
          end
        end
        StWaitAx: begin
          if (ax_done) begin
            if (ax_err != 8'(ErrNone)) begin
              err_q    <= ax_err;
              err_pc_q <= pc_q;
              state_q  <= StDrain;
            end else begin
              retired_q <= retired_q + 1'b1;
              pc_q      <= pc_q + 1'b1;
              state_q   <= StExec;
            end
          end
        end
        StWaitDma: begin
          if (dma_done_i) begin
            if (dma_err_i) begin
              err_q    <= store_q ? 8'(ErrDmaWrAxi) : 8'(ErrDmaRdAxi);
              err_pc_q <= pc_q;
              state_q  <= StDrain;
            end else begin
              retired_q <= retired_q + 1'b1;
              pc_q      <= pc_q + 1'b1;
              state_q   <= StExec;
            end
          end
        end
        StWaitVpu: begin
          if (vpu_done_i) begin
            if (route_q) cnt_q <= vpu_cnt_i;
            retired_q <= retired_q + 1'b1;
            pc_q      <= pc_q + 1'b1;
            state_q   <= StExec;
          end
        end
        StWaitNpe: begin
          if (npe_done_i) begin
            if (npe_err_i) begin
              err_q    <= 8'(ErrNpeMask);
              err_pc_q <= pc_q;
              state_q  <= StDrain;
            end else begin
              retired_q <= retired_q + 1'b1;
              pc_q      <= pc_q + 1'b1;
              state_q   <= StExec;
            end
          end
        end
        StWaitMm: begin
          // norm flag: the NPE reads the mask word first; too few selected rows = NPE_MASK
          // (the MATMUL is aborted before it moves anything)
          if (mm_norm_q && npe_done_i && npe_err_i) begin
            err_q    <= 8'(ErrNpeMask);
            err_pc_q <= pc_q;
            state_q  <= StDrain;
          end else if (mm_done_i) begin
            if (mm_err_i) begin
              err_q    <= 8'(ErrDmaRdAxi);
              err_pc_q <= pc_q;
              state_q  <= StDrain;
            end else begin
              retired_q <= retired_q + 1'b1;
              pc_q      <= pc_q + 1'b1;
              state_q   <= StExec;
            end
          end
        end
        // masked WFETCH: the mask word arrives; no set bit below the row count: nothing queued
        StWfetch: begin
          if (wf_any && !ws_ready_i) begin
            err_q    <= 8'(ErrWfetch);
            err_pc_q <= pc_q;
            state_q  <= StDrain;
          end else begin
            retired_q <= retired_q + 1'b1;
            pc_q      <= pc_q + 1'b1;
            state_q   <= StExec;
          end
        end
        // the fetch unit drains; the access unit drops what is queued or prefetched and takes
        // the beats of its bursts in flight (ws_flush_o), so nothing dangles after the run
        StDrain: begin
          if (fetch_idle_i && !ws_busy_i) begin
            state_q <= StFinish;
          end
        end
        StFinish: state_q <= StIdle;
        default:  state_q <= StIdle;
      endcase
    end
  end

  logic legal_now;
  assign legal_now = exec_fire && !insn_err_i && (d_err == 8'(ErrNone)) && !dyn_over &&
                     !dyn_skip;

  assign dma_valid_o    = legal_now && (is_load || is_store);
  assign dma_store_o    = is_store;
  assign dma_port_o     = MemPortW'(d_port);
  assign dma_mem_addr_o = d_mem[ADDR_W-1:0];
  assign dma_gb_addr_o  = d_gb[GB_AW-1:0];
  assign dma_len_o      = d_len;

  assign vpu_valid_o = legal_now && (is_vadd || is_vscat || is_route || is_argmax);
  assign vpu_op_o    = is_argmax ? 2'd3 : is_route ? 2'd2 : is_vscat ? 2'd1 : 2'd0;
  // VSCAT: f0 = x (destination and source 0), f1 = y, f2 = mask; ROUTE: f0 = {dst, src},
  // f1 = {bias, pair}
  assign vpu_mask_o  = is_route ? d_gb[16 +: GB_AW] : d_src1[GB_AW-1:0];
  assign vpu_pair_o  = d_src0[15:0];
  assign vpu_force_o = d_flags[FlagForce];
  assign vpu_stride_o = d_src1[7:0];
  // ARGMAX: f0 = {dst, src}
  assign vpu_dst_o   = is_argmax ? d_gb[16 +: GB_AW] : d_gb[GB_AW-1:0];
  assign vpu_src0_o  = (is_route || is_vscat || is_argmax) ? d_gb[GB_AW-1:0] :
                       d_src0[GB_AW-1:0];
  assign vpu_src1_o  = is_route ? d_src0[16 +: GB_AW] : is_vscat ? d_src0[GB_AW-1:0] :
                       d_src1[GB_AW-1:0];
  assign vpu_len_o   = d_len;

  // WFETCH queue: descriptors of WFETCHes and of MATMULs without PF; a masked WFETCH's mask
  // word (read at issue) must have a set bit below its row count
  logic              wf_any;
  logic [DATA_W-1:0] wf_lowmask;
  always_comb begin
    for (int i = 0; i < DATA_W; i++) wf_lowmask[i] = (32'(wf_rows_q) > i);
  end
  assign wf_any       = |(mask_rdata_i & wf_lowmask);
  assign mask_re_o    = legal_now && is_wfetch && d_flags[FlagMasked];
  assign mask_raddr_o = d_gb[GB_AW-1:0];
  assign ws_push_o    = (legal_now && !wf_err && ((is_wfetch && !d_flags[FlagMasked]) ||
                                                  (is_matmul && !mm_pf))) ||
                        ((state_q == StWfetch) && wf_any && ws_ready_i);
  assign ws_base_o    = (state_q == StWfetch) ? wf_base_q : d_mem[ADDR_W-1:0];
  assign ws_chunks_o  = 26'((state_q == StWfetch) ? wf_chunks_q : d_chunks);
  assign ws_flush_o   = (state_q == StDrain);

  assign mm_start_o = legal_now && is_matmul && !wf_err;
  assign mm_norm_o  = d_compact;
  assign mm_abort_o = (state_q == StWaitMm) && mm_norm_q && npe_done_i && npe_err_i;

  // Fused normalisation: X (MATMUL src) = the normalised rows, CNT of them
  assign npe_mmx_start_o = legal_now && is_matmul && d_compact && !wf_err;
  assign npe_mmx_x_o     = mn_x_q[GB_AW-1:0];
  assign npe_mmx_w_o     = mn_w_q[GB_AW-1:0];
  assign npe_mmx_stat_o  = mn_stat_q;
  assign npe_mmx_mask_o  = mn_mask_q[GB_AW-1:0];
  assign npe_mmx_n_o     = mn_n_q;
  assign npe_mmx_cnt_o   = cnt_q;
  assign npe_mmx_stop_o  = (state_q == StWaitMm) && mm_done_i;
  assign mm_int4_o  = d_flags[FlagInt4];
  assign mm_m_o     = d_dyn ? cnt_q : d_len;
  assign mm_src_o   = d_gb[GB_AW-1:0];
  assign mm_dst_o   = d_gb[16 +: GB_AW];
  assign mm_k_o     = mm_k_q;
  assign mm_n_o     = mm_n_q[15:0];
  assign mm_group_o = mm_group_q;

  assign npe_d_o          = npe_d_q;
  assign npe_eps_o        = npe_eps_q;
  assign npe_inv_d_o      = npe_inv_d_q;
  assign npe_hw_o         = npe_hw_q;
  assign npe_snoop_base_o = npe_snoop_q;
  assign npe_valid_o      = legal_now && is_npe;
  assign npe_op_o         = d_npe_op;
  // dyn SWIGLU: CNT rows of len words (the decoder bounds Mmax * len by the buffer)
  assign npe_len_o        = dyn_sw ? 16'(32'(cnt_q) * 32'(d_len)) : dyn_rp ? cnt_q : d_len;
  // ROPE: f1 = {stride, words, table}; words 0 = D, stride 0 = words
  logic [15:0] rp_words;
  assign rp_words         = (d_src0[23:16] != '0) ? 16'(d_src0[23:16]) : npe_d_q;
  assign npe_words_o      = rp_words;
  assign npe_stride_o     = (d_src0[31:24] != '0) ? 16'(d_src0[31:24]) : rp_words;
  assign npe_dst_o        = (d_npe_op == NpeSwiglu) ? d_gb[GB_AW-1:0] : d_gb[16 +: GB_AW];
  assign npe_src_o        = (d_npe_op == NpeSwiglu) ? d_src0[GB_AW-1:0] : d_gb[GB_AW-1:0];
  assign npe_aux_o        = d_src0[GB_AW-1:0];
  assign npe_mask_o       = d_src1[GB_AW-1:0];
  assign npe_masked_o     = d_flags[FlagMask];
  assign npe_compact_o    = d_compact && (d_npe_op == NpeRmsnorm);
  assign npe_stat_o       = (d_npe_op == NpeRmssq) ? d_src0[15:0] : d_src0[31:16];
  assign snoop_start_o    = legal_now && (is_load || is_vadd || is_vscat) && d_stats;
  assign snoop_en_o       = snoop_q && (state_q == StWaitDma || state_q == StWaitVpu);

  assign kv_e_o       = kv_e_q;
  assign kv_off_o     = kv_off_q;
  assign kv_layers_o  = kv_layers_q;
  assign kv_flags_o   = kv_flags_q;
  assign att_nk_o     = att_nk_q;
  assign att_h_o      = att_h_q;
  assign att_kvh_o    = att_kvh_q;
  assign att_hw_o     = att_hw_q;
  assign att_qs_o     = att_qs_q;
  assign att_sbase_o  = att_sbase_q;
  assign att_causal_o = att_causal_q;
  assign kvx_valid_o  = legal_now && is_kvx;
  assign att_valid_o  = legal_now && is_att;
  assign ax_insn_o    = insn_i;
  assign ax_cnt_o     = cnt_q;

  assign fetch_start_o = (state_q == StIdle) && start_i && prog_ok;
  assign fetch_base_o  = prog_base_i[ADDR_W-1:0];
  assign fetch_len_o   = prog_len_i;
  assign fetch_stop_o  = (state_q == StDrain);

  assign busy_o       = (state_q != StIdle);
  assign done_o       = (state_q == StFinish);
  assign clr_o        = (state_q == StIdle) && start_i;
  assign err_code_o   = err_q;
  assign err_pc_o     = err_pc_q;
  assign cycles_o     = cycles_q;
  assign insn_count_o = retired_q;
  assign perf_o       = {npe_stall_q, npe_cyc_q, mm_cyc_q, pe_cyc_q};

  // High operand bits are range-checked by the decoder and not needed beyond it.
  logic unused_hi;
  logic [31:0] mn_addr_hi;      // MMNORM word addresses are range-checked by the decoder too
  assign mn_addr_hi = {16'd0, mn_x_q | mn_w_q | mn_mask_q} >> GB_AW;
  assign unused_hi = ^{d_gb[31:GB_AW], d_src0[31:GB_AW], d_src1[31:GB_AW], d_mem[63:ADDR_W],
                      mm_n_q[31:16], mn_addr_hi};

endmodule
