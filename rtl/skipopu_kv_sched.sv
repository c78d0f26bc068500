// KV read scheduler with the invariance buffer (paper 4.4.3, docs/kv.md): for the decode step of
// one new token it walks the layers; at every layer it classifies the preceding tokens' KV
// entries (current layer from HBM at the token-wise port, reused from the invariance buffer or
// from HBM at the port of the source layer) and groups the reads into rounds under the port
// constraints: at most BUF_RD buffer reads, at most one read per HBM port, and at most BUF_WR
// proactive buffer writes ("keep") per round. The rounds are a deterministic function of the
// routing masks and equal model/kv.py: KvScheduler bit for bit.
//
// One layer command at a time. With attend_i low the layer only updates the per-token source
// entries and invalidates the buffer (the current token skips attention there). Descriptors come
// out one per cycle in round order (buffer reads first in a round, then HBM reads); each names
// the entry (source layer, index in that layer's region of its port) and the buffer slot read
// or written. Buffer slots are allocated in token order, never-used slots first, then from a
// FIFO of evicted slots; a layer's new keeps number at most CAPACITY minus the entries held for
// it, so a slot read at layer l is never overwritten at l. With cmd_interleaved_i (ablation
// mapping) every HBM read reports port 0, so each round holds one token, and the buffer is off.

module skipopu_kv_sched #(
  // Largest number of preceding tokens (a power of 2)
  parameter int MAX_TOKENS = 64,
  // HBM ports the KV entries are spread over (token-wise mapping)
  parameter int NUM_PORTS = 4,
  // Invariance buffer read ports (entries per round)
  parameter int BUF_RD = 2,
  // Invariance buffer write ports (proactive updates per round)
  parameter int BUF_WR = 2,
  // Invariance buffer capacity in entries (>= 2)
  parameter int CAPACITY = 1024,
  // Layer index width
  parameter int LAYER_W = 8,
  // Token index width (derived)
  parameter int TW = $clog2(MAX_TOKENS),
  // Port index width (derived)
  parameter int PW = (NUM_PORTS > 1) ? $clog2(NUM_PORTS) : 1,
  // Buffer slot index width (derived)
  parameter int SW = $clog2(CAPACITY)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,

  // Start of a decode step: forget the per-token state (first layer must be layer 0)
  input  logic                  step_start_i,
  // Layer command (while idle): masks of the preceding tokens at this layer and the next
  input  logic                  cmd_valid_i,
  output logic                  cmd_ready_o,
  input  logic [TW:0]           cmd_tokens_i,     // preceding tokens, 1..MAX_TOKENS
  input  logic [MAX_TOKENS-1:0] cmd_exec_i,       // token t executes attention at this layer
  input  logic [MAX_TOKENS-1:0] cmd_exec_next_i,  // ... at the next layer
  input  logic                  cmd_has_next_i,   // a next layer exists
  input  logic                  cmd_attend_i,     // the current token attends at this layer
  input  logic                  cmd_buf_en_i,     // invariance buffer enabled
  input  logic [LAYER_W-1:0]    cmd_layer_i,      // index of this layer
  input  logic                  cmd_interleaved_i, // interleaved mapping (buffer off)

  // Read descriptors, in round order
  output logic                  out_valid_o,
  input  logic                  out_ready_i,
  output logic [TW-1:0]         out_token_o,
  output logic                  out_buf_o,        // 1: from the buffer, 0: from HBM
  output logic [PW-1:0]         out_port_o,       // HBM port, or buffer read port
  output logic                  out_keep_o,       // written into the buffer for the next layer
  output logic [15:0]           out_round_o,      // round index within the layer
  output logic [LAYER_W-1:0]    out_layer_o,      // source layer of the entry
  output logic [TW-1:0]         out_hslot_o,      // entry index in the source layer's region
  output logic [SW-1:0]         out_slot_o,       // buffer slot read (buf) or written (keep)
  output logic                  out_case1_o,      // the layer runs with a valid buffer
  output logic                  layer_done_o      // pulse: the layer's last descriptor left
);

  localparam int CW = $clog2(CAPACITY + 1);
  localparam int BQW = TW + SW + LAYER_W;          // buffer queue entry {token, slot, layer}
  // HBM queue entry {token, port, keep, slot, layer, hslot}
  localparam int HW = TW + PW + 1 + SW + LAYER_W + TW;

  typedef enum logic [1:0] {StIdle, StRun, StDone} state_e;
  typedef enum logic [1:0] {PhBuf, PhHbm, PhClose} phase_e;

  // ---- per-token state ----------------------------------------------------------------------
  logic [PW-1:0]         src_port_q [MAX_TOKENS];  // HBM port of the entry a reader would use
  logic [LAYER_W-1:0]    src_layer_q [MAX_TOKENS]; // ... its layer
  logic [TW-1:0]         src_hslot_q [MAX_TOKENS]; // ... its index in that layer's port region
  logic [SW-1:0]         slot_q [MAX_TOKENS];      // buffer slot of a held entry
  logic [MAX_TOKENS-1:0] held_q;                   // entry held by the buffer for this layer
  logic [MAX_TOKENS-1:0] held_new_q;               // being built for the next layer
  logic                  valid_q;                  // buffer valid for this layer

  // ---- layer command -------------------------------------------------------------------------
  state_e                state_q;
  logic [TW:0]           ntok_q;
  logic [MAX_TOKENS-1:0] exec_q, exec_next_q;
  logic                  has_next_q, attend_q, buf_en_q, case1_q, inter_q;
  logic [LAYER_W-1:0]    layer_q;
  logic [TW:0]           t_q;                      // classifier position
  logic [PW-1:0]         rank_port_q;              // rank of the next writer, mod NUM_PORTS
  logic [TW-1:0]         rank_slot_q;              // rank of the next writer, div NUM_PORTS
  logic [CW-1:0]         held_cnt_q;               // entries held for the next layer
  logic [CW-1:0]         held_tot_q;               // entries held for this layer
  logic [CW-1:0]         new_cnt_q;                // new keeps in this layer
  logic [CW-1:0]         budget_q;                 // free slots at the start of this layer

  // ---- slot allocator: never-used slots, then a FIFO of evicted ones ------------------------
  logic [CW-1:0]         fresh_q;
  logic [SW-1:0]         fl_q [1 << SW];           // power-of-2 ring, >= CAPACITY
  logic [SW:0]           fl_wptr_q, fl_rptr_q;

  assign cmd_ready_o = (state_q == StIdle);

  // ---- classifier: one token per cycle -------------------------------------------------------
  logic          cls_active, cls_done;
  logic [TW-1:0] t;
  logic          e_t, reused_next, held_next, in_buf, keep, evict;
  logic [PW-1:0] hbm_port;
  logic [TW-1:0] hbm_hslot;
  logic [LAYER_W-1:0] ent_layer;
  logic [SW-1:0] alloc_slot;
  assign cls_active  = (state_q == StRun) && (t_q != ntok_q);
  assign cls_done    = (state_q == StRun) && (t_q == ntok_q);
  assign t           = TW'(t_q);
  assign e_t         = exec_q[t];
  assign reused_next = has_next_q && !exec_next_q[t];
  assign in_buf      = case1_q && held_q[t] && !e_t;
  assign held_next   = buf_en_q && reused_next && (in_buf || (new_cnt_q < budget_q));
  assign keep        = held_next && !in_buf;
  assign evict       = in_buf && !held_next;
  assign hbm_port    = inter_q ? '0 : (e_t ? rank_port_q : src_port_q[t]);
  assign hbm_hslot   = inter_q ? t : (e_t ? rank_slot_q : src_hslot_q[t]);
  assign ent_layer   = e_t ? layer_q : src_layer_q[t];
  assign alloc_slot  = (32'(fresh_q) < CAPACITY) ? SW'(fresh_q) : fl_q[fl_rptr_q[SW-1:0]];

  logic buf_push, hbm_push;
  assign buf_push = cls_active && attend_q && in_buf;
  assign hbm_push = cls_active && attend_q && !in_buf;

  function automatic logic [PW-1:0] port_inc(logic [PW-1:0] p);
    return (32'(p) == NUM_PORTS - 1) ? '0 : p + 1'b1;
  endfunction

  // ---- queues ------------------------------------------------------------------------------
  logic          bq_valid, bq_pop, hq_valid, hq_pop;
  logic [TW-1:0] bq_token;
  logic [SW-1:0] bq_slot;
  logic [LAYER_W-1:0] bq_layer;
  logic [HW-1:0] hq_data;
  logic          bq_ready_unused, hq_ready_unused;
  logic [TW:0]   bq_count_unused, hq_count_unused;

  skipopu_fifo #(.DATA_W(BQW), .DEPTH(MAX_TOKENS)) u_bq (
    .clk_i, .rst_ni,
    .wr_valid_i(buf_push), .wr_ready_o(bq_ready_unused), .wr_data_i({t, slot_q[t], ent_layer}),
    .rd_valid_o(bq_valid), .rd_ready_i(bq_pop), .rd_data_o({bq_token, bq_slot, bq_layer}),
    .count_o(bq_count_unused)
  );

  skipopu_fifo #(.DATA_W(HW), .DEPTH(MAX_TOKENS)) u_hq (
    .clk_i, .rst_ni,
    .wr_valid_i(hbm_push), .wr_ready_o(hq_ready_unused), 
    .wr_data_i({t, hbm_port, keep, alloc_slot, ent_layer, hbm_hslot}),
    .rd_valid_o(hq_valid), .rd_ready_i(hq_pop), .rd_data_o(hq_data),
    .count_o(hq_count_unused)
  );

  // ---- round builder -----------------------------------------------------------------------
  phase_e               phase_q;
  logic [PW:0]          btaken_q;                 // buffer reads in this round
  logic [NUM_PORTS-1:0] used_q;                   // HBM ports used in this round
  logic [PW:0]          nused_q;
  logic [PW:0]          wr_q;                     // keep writes in this round
  logic [15:0]          round_q;
  logic                 any_q;                    // something emitted in this round

  logic [TW-1:0] h_token, h_hslot;
  logic [PW-1:0] h_port;
  logic          h_keep, h_fits;
  logic [SW-1:0] h_slot;
  logic [LAYER_W-1:0] h_layer;
  assign {h_token, h_port, h_keep, h_slot, h_layer, h_hslot} = hq_data;
  assign h_fits = !used_q[h_port] && (32'(nused_q) < NUM_PORTS) &&
                  !(h_keep && 32'(wr_q) >= BUF_WR);

  logic emit_buf, emit_hbm, buf_phase_end, close, builder_end;
  assign emit_buf = (state_q == StRun) && (phase_q == PhBuf) && (32'(btaken_q) < BUF_RD) &&
                    bq_valid;
  // The buffer part of a round ends when BUF_RD entries were taken or no more will come
  assign buf_phase_end = (state_q == StRun) && (phase_q == PhBuf) && !emit_buf &&
                         ((32'(btaken_q) >= BUF_RD) || (!bq_valid && cls_done));
  assign emit_hbm = (state_q == StRun) && (phase_q == PhHbm) && hq_valid && h_fits;
  assign close    = (state_q == StRun) && (phase_q == PhHbm) && !emit_hbm &&
                    ((hq_valid && !h_fits) || (!hq_valid && cls_done));
  // Nothing left at all
  assign builder_end = (state_q == StRun) && cls_done && !bq_valid && !hq_valid &&
                       (phase_q == PhBuf) && (btaken_q == '0);

  assign out_valid_o = emit_buf || emit_hbm;
  assign bq_pop      = emit_buf && out_ready_i;
  assign hq_pop      = emit_hbm && out_ready_i;
  assign out_token_o = emit_buf ? bq_token : h_token;
  assign out_buf_o   = emit_buf;
  assign out_port_o  = emit_buf ? PW'(btaken_q) : h_port;
  assign out_keep_o  = emit_buf ? 1'b0 : h_keep;
  assign out_round_o = round_q;
  assign out_layer_o = emit_buf ? bq_layer : h_layer;
  assign out_hslot_o = emit_buf ? '0 : h_hslot;
  assign out_slot_o  = emit_buf ? bq_slot : (h_keep ? h_slot : '0);
  assign out_case1_o = case1_q;

  // ---- sequencing ----------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      ntok_q      <= '0;
      exec_q      <= '0;
      exec_next_q <= '0;
      has_next_q  <= 1'b0;
      attend_q    <= 1'b0;
      buf_en_q    <= 1'b0;
      case1_q     <= 1'b0;
      inter_q     <= 1'b0;
      layer_q     <= '0;
      t_q         <= '0;
      rank_port_q <= '0;
      rank_slot_q <= '0;
      held_cnt_q  <= '0;
      held_tot_q  <= '0;
      new_cnt_q   <= '0;
      budget_q    <= '0;
      fresh_q     <= '0;
      fl_wptr_q   <= '0;
      fl_rptr_q   <= '0;
      held_q      <= '0;
      held_new_q  <= '0;
      valid_q     <= 1'b0;
      phase_q     <= PhBuf;
      btaken_q    <= '0;
      used_q      <= '0;
      nused_q     <= '0;
      wr_q        <= '0;
      round_q     <= '0;
      any_q       <= 1'b0;
    end else begin
      if (step_start_i) begin
        held_q  <= '0;
        valid_q <= 1'b0;
      end
      unique case (state_q)
        StIdle: begin
          if (cmd_valid_i) begin
            ntok_q      <= cmd_tokens_i;
            exec_q      <= cmd_exec_i;
            exec_next_q <= cmd_exec_next_i;
            has_next_q  <= cmd_has_next_i;
            attend_q    <= cmd_attend_i;
            buf_en_q    <= cmd_buf_en_i && !cmd_interleaved_i;
            case1_q     <= valid_q && cmd_buf_en_i && !cmd_interleaved_i && cmd_attend_i;
            inter_q     <= cmd_interleaved_i;
            layer_q     <= cmd_layer_i;
            t_q         <= '0;
            rank_port_q <= '0;
            rank_slot_q <= '0;
            held_cnt_q  <= '0;
            new_cnt_q   <= '0;
            if (valid_q && cmd_buf_en_i && !cmd_interleaved_i && cmd_attend_i) begin
              budget_q <= CW'(CAPACITY) - held_tot_q;
            end else begin
              // Case 2 or no attention: the buffer is empty, every slot free
              budget_q  <= CW'(CAPACITY);
              fresh_q   <= '0;
              fl_wptr_q <= '0;
              fl_rptr_q <= '0;
            end
            held_new_q  <= '0;
            phase_q     <= PhBuf;
            btaken_q    <= '0;
            used_q      <= '0;
            nused_q     <= '0;
            wr_q        <= '0;
            round_q     <= '0;
            any_q       <= 1'b0;
            state_q     <= StRun;
          end
        end
        StRun: begin
          // classifier
          if (cls_active) begin
            t_q <= t_q + 1'b1;
            if (e_t) begin
              rank_port_q <= port_inc(rank_port_q);
              if (32'(rank_port_q) == NUM_PORTS - 1) rank_slot_q <= rank_slot_q + 1'b1;
            end
            if (attend_q && held_next) begin
              held_new_q[t] <= 1'b1;
              held_cnt_q    <= held_cnt_q + 1'b1;
            end
            if (attend_q && keep) begin
              new_cnt_q <= new_cnt_q + 1'b1;
              if (32'(fresh_q) < CAPACITY) fresh_q <= fresh_q + 1'b1;
              else fl_rptr_q <= fl_rptr_q + 1'b1;
            end
            if (attend_q && evict) fl_wptr_q <= fl_wptr_q + 1'b1;
          end
          // builder
          if (emit_buf && out_ready_i) begin
            btaken_q <= btaken_q + 1'b1;
            any_q    <= 1'b1;
          end
          if (buf_phase_end) phase_q <= PhHbm;
          if (emit_hbm && out_ready_i) begin
            used_q[h_port] <= 1'b1;
            nused_q        <= nused_q + 1'b1;
            wr_q           <= wr_q + (PW + 1)'(h_keep);
            any_q          <= 1'b1;
          end
          if (close) begin
            phase_q  <= PhBuf;
            btaken_q <= '0;
            used_q   <= '0;
            nused_q  <= '0;
            wr_q     <= '0;
            any_q    <= 1'b0;
            if (any_q) round_q <= round_q + 16'd1;
          end
          if (!attend_q ? cls_done : builder_end) begin
            state_q <= StDone;
          end
        end
        StDone: begin
          // the next layer's view: buffer contents and validity
          held_q     <= attend_q ? held_new_q : '0;
          held_tot_q <= attend_q ? held_cnt_q : '0;
          valid_q    <= attend_q;
          state_q <= StIdle;
        end
        default: state_q <= StIdle;
      endcase
    end
  end

  // Source port of every token: a writer at this layer moves its source to this layer's
  // token-wise port (rank mod NUM_PORTS)
  always_ff @(posedge clk_i) begin
    if (cls_active && e_t) begin
      src_port_q[t]  <= rank_port_q;
      src_layer_q[t] <= layer_q;
      src_hslot_q[t] <= rank_slot_q;
    end
    if (cls_active && attend_q && keep) slot_q[t] <= alloc_slot;
    if (cls_active && attend_q && evict) fl_q[fl_wptr_q[SW-1:0]] <= slot_q[t];
  end

  assign layer_done_o = (state_q == StDone) && attend_q;

  logic unused;
  assign unused = ^{bq_ready_unused, hq_ready_unused, bq_count_unused, hq_count_unused};

endmodule
