// Dual-clock asynchronous first-word-fall-through FIFO, e.g. the chunk FIFOs carrying AXI channel
// payloads between the HBM ports (450 MHz) and the core (225 MHz).
//
// Pointers: each side keeps a binary pointer and a registered gray copy, one bit wider than the
// array index; only the gray copy crosses to the other domain, through SYNC_STAGES flops (one bit
// changes per step, so a sample caught mid-change is the old or the new value). Full and empty are
// registered, computed from this side's next pointer and the synchronised other pointer, hence
// conservative: wr_ready_o comes back only once a read has crossed into the write domain,
// rd_valid_o rises once a write has crossed into the read domain (SYNC_STAGES + 1 read edges after
// the write edge, one more if the first synchroniser flop resolved late). Push: wr_valid_i &&
// wr_ready_o; pop: rd_valid_o && rd_ready_i. rd_data_o is stable while rd_valid_o waits.
//
// Storage: a plain array written in the write domain and read asynchronously at the read pointer
// (distributed RAM). An entry is written on the same edge as the write pointer that covers it and
// is not rewritten until the read pointer that frees it has crossed back, so the read domain only
// looks at settled entries.
//
// Counts: wr_count_o is an upper bound and rd_count_o a lower bound of the entries stored (both
// registered, with the lag of full/empty): 0 <= rd_count_o <= stored <= wr_count_o <= DEPTH,
// wr_ready_o == (wr_count_o != DEPTH) and rd_valid_o == (rd_count_o != 0) out of reset. Leave
// them open when unused (synthesis removes them).
//
// Reset: one asynchronous active-low reset per domain. Both must be asserted at some common time
// (one reset source through a skipopu_rst_sync per domain does this); once both are released, in
// any order, the FIFO is empty. While in reset wr_ready_o and rd_valid_o are low. Traffic while
// only one side is in reset is undefined.
//
// Synthesis: the *_sync_q arrays are synchronisers and carry ASYNC_REG. The gray pointers
// (wr_gray_q -> rd_wgray_sync_q, rd_gray_q -> wr_rgray_sync_q) and the array-to-read-domain paths
// cross domains and need set_max_delay -datapath_only of at most the faster clock's period (and a
// set_bus_skew of at most that period on the gray pointers), as for xpm_fifo_async.

module skipopu_async_fifo #(
  // Entry width in bits
  parameter int DATA_W = 32,
  // Number of entries (power of 2, >= 4)
  parameter int DEPTH = 16,
  // Synchroniser flops per pointer crossing (>= 2)
  parameter int SYNC_STAGES = 2,
  // Width of the occupancy counts (derived)
  parameter int CNT_W = $clog2(DEPTH) + 1
) (
  // Write domain
  input  logic              clk_wr_i,
  input  logic              rst_wr_ni,

  input  logic              wr_valid_i,
  output logic              wr_ready_o,
  input  logic [DATA_W-1:0] wr_data_i,
  output logic [CNT_W-1:0]  wr_count_o,   // entries stored, upper bound

  // Read domain
  input  logic              clk_rd_i,
  input  logic              rst_rd_ni,

  output logic              rd_valid_o,
  input  logic              rd_ready_i,
  output logic [DATA_W-1:0] rd_data_o,
  output logic [CNT_W-1:0]  rd_count_o    // entries stored, lower bound
);

  // pragma translate_off
  initial begin : p_params
    if ($countones(DEPTH) != 1 || DEPTH < 4) begin
      $fatal(1, "skipopu_async_fifo: DEPTH=%0d is not a power of 2 >= 4", DEPTH);
    end
    if (SYNC_STAGES < 2) begin
      $fatal(1, "skipopu_async_fifo: SYNC_STAGES=%0d < 2", SYNC_STAGES);
    end
  end
  // pragma translate_on

  // Array index width; pointers are one bit wider (lap bit)
  localparam int AW = $clog2(DEPTH);

  function automatic logic [AW:0] bin2gray(input logic [AW:0] b);
    return b ^ (b >> 1);
  endfunction

  function automatic logic [AW:0] gray2bin(input logic [AW:0] g);
    logic [AW:0] b;
    for (int i = 0; i <= AW; i++) begin
      b[i] = ^(g >> i);
    end
    return b;
  endfunction

  logic [DATA_W-1:0] mem [DEPTH];

  // The gray pointers: the only control signals that cross (through the synchronisers)
  logic [AW:0] wr_gray_q, rd_gray_q;

  // ---------------------------------------------------------------------------------------------
  // Write domain

  logic [AW:0]      wr_bin_q, wr_bin_d;
  logic [AW:0]      wr_gray_d;
  logic             wr_ready_q, wr_ready_d;
  logic [CNT_W-1:0] wr_count_q, wr_count_d;
  logic [AW:0]      wr_rgray;           // read pointer as seen in the write domain
  logic             push;

  // SYNCHRONISER: read pointer (gray) into the write domain, SYNC_STAGES flops
  (* ASYNC_REG = "TRUE" *) logic [SYNC_STAGES-1:0][AW:0] wr_rgray_sync_q;

  assign wr_rgray  = wr_rgray_sync_q[SYNC_STAGES-1];
  assign push      = wr_valid_i && wr_ready_q;
  assign wr_bin_d  = wr_bin_q + (AW + 1)'(push);
  assign wr_gray_d = bin2gray(wr_bin_d);
  // Full: one lap ahead of the read pointer, i.e. in gray the two top bits inverted, rest equal
  assign wr_ready_d = wr_gray_d != {~wr_rgray[AW:AW-1], wr_rgray[AW-2:0]};
  assign wr_count_d = CNT_W'(wr_bin_d - gray2bin(wr_rgray));

  always_ff @(posedge clk_wr_i or negedge rst_wr_ni) begin
    if (!rst_wr_ni) begin
      wr_rgray_sync_q <= '0;
    end else begin
      wr_rgray_sync_q <= {wr_rgray_sync_q[SYNC_STAGES-2:0], rd_gray_q};
    end
  end

  always_ff @(posedge clk_wr_i or negedge rst_wr_ni) begin
    if (!rst_wr_ni) begin
      wr_bin_q   <= '0;
      wr_gray_q  <= '0;
      wr_ready_q <= 1'b0;
      wr_count_q <= '0;
    end else begin
      wr_bin_q   <= wr_bin_d;
      wr_gray_q  <= wr_gray_d;
      wr_ready_q <= wr_ready_d;
      wr_count_q <= wr_count_d;
    end
  end

  always_ff @(posedge clk_wr_i) begin
    if (push) begin
      mem[wr_bin_q[AW-1:0]] <= wr_data_i;
    end
  end

  assign wr_ready_o = wr_ready_q;
  assign wr_count_o = wr_count_q;

  // ---------------------------------------------------------------------------------------------
  // Read domain

  logic [AW:0]      rd_bin_q, rd_bin_d;
  logic [AW:0]      rd_gray_d;
  logic             rd_valid_q, rd_valid_d;
  logic [CNT_W-1:0] rd_count_q, rd_count_d;
  logic [AW:0]      rd_wgray;           // write pointer as seen in the read domain
  logic             pop;

  // SYNCHRONISER: write pointer (gray) into the read domain, SYNC_STAGES flops
  (* ASYNC_REG = "TRUE" *) logic [SYNC_STAGES-1:0][AW:0] rd_wgray_sync_q;

  assign rd_wgray   = rd_wgray_sync_q[SYNC_STAGES-1];
  assign pop        = rd_valid_q && rd_ready_i;
  assign rd_bin_d   = rd_bin_q + (AW + 1)'(pop);
  assign rd_gray_d  = bin2gray(rd_bin_d);
  // Empty: equal pointers
  assign rd_valid_d = rd_gray_d != rd_wgray;
  assign rd_count_d = CNT_W'(gray2bin(rd_wgray) - rd_bin_d);

  always_ff @(posedge clk_rd_i or negedge rst_rd_ni) begin
    if (!rst_rd_ni) begin
      rd_wgray_sync_q <= '0;
    end else begin
      rd_wgray_sync_q <= {rd_wgray_sync_q[SYNC_STAGES-2:0], wr_gray_q};
    end
  end

  always_ff @(posedge clk_rd_i or negedge rst_rd_ni) begin
    if (!rst_rd_ni) begin
      rd_bin_q   <= '0;
      rd_gray_q  <= '0;
      rd_valid_q <= 1'b0;
      rd_count_q <= '0;
    end else begin
      rd_bin_q   <= rd_bin_d;
      rd_gray_q  <= rd_gray_d;
      rd_valid_q <= rd_valid_d;
      rd_count_q <= rd_count_d;
    end
  end

  assign rd_valid_o = rd_valid_q;
  assign rd_data_o  = mem[rd_bin_q[AW-1:0]];
  assign rd_count_o = rd_count_q;

endmodule
