// Instruction fetch unit: reads a program of len_i 128-bit instructions from base_i over its own
// AXI4 read master (DDR), in chunks of up to CHUNK_BEATS beats, and hands instructions out in
// order. Each instruction carries the error flag of the AXI beat it came from. stop_i ends the
// run early: no further chunk is requested and every beat still in flight is received and
// dropped, so the AXI bus is left idle (idle_o) instead of with dangling bursts.

module skipopu_fetch
  import skipopu_pkg::*;
#(
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI data width in bits (a multiple of the 128-bit instruction)
  parameter int DATA_W = 256,
  // AXI ID width
  parameter int ID_W = 4,
  // Maximum beats per AXI burst
  parameter int MAX_BURST = 16,
  // Beats requested per chunk (also the read FIFO depth; power of 2, >= MAX_BURST)
  parameter int CHUNK_BEATS = 16
) (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              start_i,       // pulse, only while idle_o
  input  logic [ADDR_W-1:0] base_i,        // aligned to DATA_W/8
  input  logic [31:0]       len_i,         // instructions, >= 1
  input  logic              stop_i,        // pulse: abandon the program

  output logic              insn_valid_o,
  output logic [InsnW-1:0]  insn_o,
  output logic              insn_err_o,    // the beat holding this instruction had an AXI error
  input  logic              insn_ready_i,
  output logic              idle_o,

  output logic [ID_W-1:0]   m_axi_arid,
  output logic [ADDR_W-1:0] m_axi_araddr,
  output logic [7:0]        m_axi_arlen,
  output logic [2:0]        m_axi_arsize,
  output logic [1:0]        m_axi_arburst,
  output logic              m_axi_arlock,
  output logic [3:0]        m_axi_arcache,
  output logic [2:0]        m_axi_arprot,
  output logic              m_axi_arvalid,
  input  logic              m_axi_arready,
  input  logic [ID_W-1:0]   m_axi_rid,
  input  logic [DATA_W-1:0] m_axi_rdata,
  input  logic [1:0]        m_axi_rresp,
  input  logic              m_axi_rlast,
  input  logic              m_axi_rvalid,
  output logic              m_axi_rready
);

  localparam int InsnPerBeat = DATA_W / InsnW;
  localparam int KW = (InsnPerBeat > 1) ? $clog2(InsnPerBeat) : 1;
  localparam int BeatBytes = DATA_W / 8;

  typedef enum logic [1:0] {StIdle, StIssue, StStream} state_e;

  state_e            state_q;
  logic              stopping_q;
  logic [ADDR_W-1:0] addr_q;
  logic [32:0]       beats_left_q;   // beats not yet requested
  logic [31:0]       insn_left_q;    // instructions not yet handed out
  logic [KW-1:0]     k_q;            // instruction slot within the current beat

  logic              cmd_valid, cmd_ready;
  logic [15:0]       cmd_beats;
  logic              out_valid, out_ready, out_last, out_err;
  logic [DATA_W-1:0] out_data;
  logic              rd_busy, rd_done, rd_err, rd_beat;

  assign cmd_beats = (beats_left_q > 33'(CHUNK_BEATS)) ? 16'(CHUNK_BEATS) : 16'(beats_left_q);
  assign cmd_valid = (state_q == StIssue) && !stopping_q && (beats_left_q != '0);

  // Instruction slot selection
  logic last_slot;
  assign last_slot = (32'(k_q) == InsnPerBeat - 1) || (insn_left_q == 32'd1);
  assign insn_o       = out_data[InsnW*k_q +: InsnW];
  assign insn_err_o   = out_err;
  assign insn_valid_o = out_valid && !stopping_q && (state_q == StStream);
  assign out_ready    = stopping_q ? 1'b1 : (insn_valid_o && insn_ready_i && last_slot);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      stopping_q   <= 1'b0;
      addr_q       <= '0;
      beats_left_q <= '0;
      insn_left_q  <= '0;
      k_q          <= '0;
    end else begin
      if (insn_valid_o && insn_ready_i) begin
        insn_left_q <= insn_left_q - 1'b1;
        k_q         <= last_slot ? '0 : k_q + 1'b1;
      end
      unique case (state_q)
        StIdle: begin
          stopping_q <= 1'b0;
          if (start_i) begin
            state_q      <= StIssue;
            addr_q       <= base_i;
            insn_left_q  <= len_i;
            beats_left_q <= (33'(len_i) + 33'(InsnPerBeat - 1)) / 33'(InsnPerBeat);
            k_q          <= '0;
          end
        end
        StIssue: begin
          if (stopping_q || beats_left_q == '0) begin
            state_q <= rd_busy ? StIssue : StIdle;
          end else if (cmd_ready) begin
            state_q      <= StStream;
            addr_q       <= addr_q + ADDR_W'(32'(cmd_beats) * BeatBytes);
            beats_left_q <= beats_left_q - 33'(cmd_beats);
          end
        end
        StStream: begin
          if (rd_done) begin
            state_q <= StIssue;
          end
        end
        default: state_q <= StIdle;
      endcase
      if (stop_i && state_q != StIdle) begin
        stopping_q <= 1'b1;
      end
    end
  end

  assign idle_o = (state_q == StIdle);

  skipopu_axi_rd #(
    .ADDR_W    (ADDR_W),
    .DATA_W    (DATA_W),
    .ID_W      (ID_W),
    .LEN_W     (16),
    .MAX_BURST (MAX_BURST),
    .FIFO_DEPTH(CHUNK_BEATS)
  ) u_rd (
    .clk_i,
    .rst_ni,
    .cmd_valid_i  (cmd_valid),
    .cmd_ready_o  (cmd_ready),
    .cmd_addr_i   (addr_q),
    .cmd_beats_i  (cmd_beats),
    .out_valid_o  (out_valid),
    .out_ready_i  (out_ready),
    .out_data_o   (out_data),
    .out_last_o   (out_last),
    .out_err_o    (out_err),
    .busy_o       (rd_busy),
    .done_o       (rd_done),
    .err_o        (rd_err),
    .beat_o       (rd_beat),
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

  logic unused_rd;
  assign unused_rd = ^{out_last, rd_err, rd_beat};

endmodule
