// AXI4 read arbiter (issue 15): NMAST read masters (AR + R, packed per master: sig[i*W +: W] =
// master i) onto one read port, e.g. the DMA read engine, the KV read unit and the weight access
// unit on one HBM port.
//
// AR: one burst per grant, whole bursts only (a burst is never split or merged). The chosen
// request is copied into an output register (one AR per cycle at full rate; the register holds
// it, stable, until the port accepts it). s_axi_arready of the granted master is high in the
// cycle it is copied; it depends on the masters' arvalid (allowed for a ready), the arvalids do
// not depend on it (AXI), so there is no combinational loop.
// Arbitration (ARB_RR):
//   0: fixed priority, master 0 highest, with a wait limit: a master whose request has seen
//      MAX_WAIT grants to others is served before any master that has not waited that long
//      (lowest index first among those). So master 0 wins every tie while the others are not
//      starved: a request waits for at most MAX_WAIT + NMAST - 1 other grants.
//   1: round robin (the master after the last granted one first).
// IDs: the port's ARID is {master index, master's ARID} (index above the S_ID_W bits of the
// master's ID; M_ID_W >= S_ID_W + clog2(NMAST), higher bits zero). R beats go back by RID: to
// the master in the index bits, with the master's own ID. The memory may answer the IDs in any
// order and interleave their beats (AXI4 allows both across IDs); within an ID it answers in
// order, so each master sees its own responses in order. A beat whose RID names no master
// (index >= NMAST or a high bit set) is taken and dropped (simulation $error), never a hang.
// R: rvalid and rready gated to the owning master, combinationally (no added latency; rdata,
// rresp and rlast are the port's, broadcast). The port's rready is the owner's: the masters
// must not hold rready low forever (the project's read engines take every beat they asked for).

`ifndef SKIPOPU_ELAB_FATAL
// Elaboration-time parameter check: $fatal in a generate block (Verilator, synthesis) and, for
// simulators that run with warnings non-fatal or lack elaboration tasks (Icarus 11), at time 0.
`ifdef __ICARUS__
`define SKIPOPU_ELAB_FATAL(msg) initial $fatal(1, msg);
`else
`define SKIPOPU_ELAB_FATAL(msg) $fatal(1, msg); initial $fatal(1, msg);
`endif
`endif

module skipopu_axi_rd_arb #(
  // Read masters (>= 1)
  parameter int NMAST = 3,
  // AXI address width
  parameter int ADDR_W = 34,
  // AXI data width in bits
  parameter int DATA_W = 256,
  // ID width of each master (>= 1)
  parameter int S_ID_W = 2,
  // ID width of the port (>= S_ID_W + clog2(NMAST), <= 32)
  parameter int M_ID_W = 4,
  // Arbitration: 0 = fixed priority (master 0 first) with a wait limit, 1 = round robin
  parameter int ARB_RR = 0,
  // Fixed priority: grants to others a waiting request may see before it goes first (>= 1)
  parameter int MAX_WAIT = 4
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,

  // Read masters, packed
  input  logic [NMAST*S_ID_W-1:0]  s_axi_arid,
  input  logic [NMAST*ADDR_W-1:0]  s_axi_araddr,
  input  logic [NMAST*8-1:0]       s_axi_arlen,
  input  logic [NMAST*3-1:0]       s_axi_arsize,
  input  logic [NMAST*2-1:0]       s_axi_arburst,
  input  logic [NMAST-1:0]         s_axi_arlock,
  input  logic [NMAST*4-1:0]       s_axi_arcache,
  input  logic [NMAST*3-1:0]       s_axi_arprot,
  input  logic [NMAST-1:0]         s_axi_arvalid,
  output logic [NMAST-1:0]         s_axi_arready,
  output logic [NMAST*S_ID_W-1:0]  s_axi_rid,
  output logic [NMAST*DATA_W-1:0]  s_axi_rdata,
  output logic [NMAST*2-1:0]       s_axi_rresp,
  output logic [NMAST-1:0]         s_axi_rlast,
  output logic [NMAST-1:0]         s_axi_rvalid,
  input  logic [NMAST-1:0]         s_axi_rready,

  // The read port
  output logic [M_ID_W-1:0]        m_axi_arid,
  output logic [ADDR_W-1:0]        m_axi_araddr,
  output logic [7:0]               m_axi_arlen,
  output logic [2:0]               m_axi_arsize,
  output logic [1:0]               m_axi_arburst,
  output logic                     m_axi_arlock,
  output logic [3:0]               m_axi_arcache,
  output logic [2:0]               m_axi_arprot,
  output logic                     m_axi_arvalid,
  input  logic                     m_axi_arready,
  input  logic [M_ID_W-1:0]        m_axi_rid,
  input  logic [DATA_W-1:0]        m_axi_rdata,
  input  logic [1:0]               m_axi_rresp,
  input  logic                     m_axi_rlast,
  input  logic                     m_axi_rvalid,
  output logic                     m_axi_rready
);

  localparam int MW = (NMAST > 1) ? $clog2(NMAST) : 1;     // master index width
  localparam int PW = $clog2(NMAST);                        // ID prefix bits (0 for 1 master)
  localparam int WCW = $clog2(MAX_WAIT + 1);
  localparam int ArW = S_ID_W + ADDR_W + 8 + 3 + 2 + 1 + 4 + 3;

  // ---------------------------------------------------------------------------------------------
  // Elaboration-time checks
  // ---------------------------------------------------------------------------------------------
  if (NMAST < 1) begin : g_chk_n
    `SKIPOPU_ELAB_FATAL("skipopu_axi_rd_arb: NMAST must be >= 1")
  end
  if (S_ID_W < 1 || M_ID_W > 32 || S_ID_W + PW > M_ID_W) begin : g_chk_id
    // (M_ID_W <= 32 too: the ID arithmetic is 32-bit)
    `SKIPOPU_ELAB_FATAL("skipopu_axi_rd_arb: need S_ID_W >= 1, S_ID_W + clog2(NMAST) <= M_ID_W")
  end
  if (ARB_RR != 0 && ARB_RR != 1) begin : g_chk_rr
    `SKIPOPU_ELAB_FATAL("skipopu_axi_rd_arb: ARB_RR must be 0 or 1")
  end
  if (ARB_RR == 0 && MAX_WAIT < 1) begin : g_chk_wait
    `SKIPOPU_ELAB_FATAL("skipopu_axi_rd_arb: MAX_WAIT must be >= 1 with fixed priority")
  end

  // ---------------------------------------------------------------------------------------------
  // AR arbitration
  // ---------------------------------------------------------------------------------------------
  logic              arvalid_q;
  logic [M_ID_W-1:0] arid_q;
  logic [ArW-1:0]    ar_q;
  logic              free, load;
  logic [NMAST-1:0]  grant;
  logic [MW-1:0]     gidx, last_q;
  logic [NMAST-1:0]  starved;
  logic [WCW-1:0]    wait_q [NMAST];

  assign free = !arvalid_q || m_axi_arready;
  assign load = free && (|s_axi_arvalid);

  always_comb begin
    for (int i = 0; i < NMAST; i++) begin
      starved[i] = s_axi_arvalid[i] && (ARB_RR == 0) && (32'(wait_q[i]) >= MAX_WAIT);
    end
  end

  always_comb begin
    logic found;
    grant = '0;
    gidx  = '0;
    found = 1'b0;
    if (ARB_RR != 0) begin
      // the first requester after the last grant, wrapping around
      for (int j = 1; j <= NMAST; j++) begin
        if (!found && s_axi_arvalid[(32'(last_q) + j) % NMAST]) begin
          found = 1'b1;
          gidx  = MW'((32'(last_q) + j) % NMAST);
        end
      end
    end else begin
      for (int i = 0; i < NMAST; i++) begin
        if (!found && starved[i]) begin
          found = 1'b1;
          gidx  = MW'(i);
        end
      end
      for (int i = 0; i < NMAST; i++) begin
        if (!found && s_axi_arvalid[i]) begin
          found = 1'b1;
          gidx  = MW'(i);
        end
      end
    end
    if (found) grant[gidx] = 1'b1;
  end

  assign s_axi_arready = load ? grant : '0;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      arvalid_q <= 1'b0;
      arid_q    <= '0;
      ar_q      <= '0;
      last_q    <= MW'(NMAST - 1);
      for (int i = 0; i < NMAST; i++) wait_q[i] <= '0;
    end else begin
      if (load) begin
        arvalid_q <= 1'b1;
        arid_q    <= M_ID_W'((32'(gidx) << S_ID_W) | 32'(s_axi_arid[32'(gidx)*S_ID_W +: S_ID_W]));
        ar_q      <= {s_axi_arid[32'(gidx)*S_ID_W +: S_ID_W],
                      s_axi_araddr[32'(gidx)*ADDR_W +: ADDR_W],
                      s_axi_arlen[32'(gidx)*8 +: 8],
                      s_axi_arsize[32'(gidx)*3 +: 3],
                      s_axi_arburst[32'(gidx)*2 +: 2],
                      s_axi_arlock[gidx],
                      s_axi_arcache[32'(gidx)*4 +: 4],
                      s_axi_arprot[32'(gidx)*3 +: 3]};
        last_q    <= gidx;
        for (int i = 0; i < NMAST; i++) begin
          if (grant[i]) begin
            wait_q[i] <= '0;
          end else if (s_axi_arvalid[i] && 32'(wait_q[i]) < MAX_WAIT) begin
            wait_q[i] <= wait_q[i] + 1'b1;
          end
        end
      end else if (m_axi_arready) begin
        arvalid_q <= 1'b0;
      end
    end
  end

  logic [S_ID_W-1:0] ar_sid_unused;

  assign m_axi_arid    = arid_q;
  assign {ar_sid_unused, m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst, m_axi_arlock,
          m_axi_arcache, m_axi_arprot} = ar_q;
  assign m_axi_arvalid = arvalid_q;

  // ---------------------------------------------------------------------------------------------
  // R routing by RID
  // ---------------------------------------------------------------------------------------------
  logic [31:0] owner;
  logic        known;

  assign owner = 32'(m_axi_rid) >> S_ID_W;
  assign known = owner < NMAST;

  for (genvar i = 0; i < NMAST; i++) begin : g_r
    assign s_axi_rvalid[i]                  = m_axi_rvalid && known && (owner == i);
    assign s_axi_rid[i*S_ID_W +: S_ID_W]    = m_axi_rid[S_ID_W-1:0];
    assign s_axi_rdata[i*DATA_W +: DATA_W]  = m_axi_rdata;
    assign s_axi_rresp[i*2 +: 2]            = m_axi_rresp;
    assign s_axi_rlast[i]                   = m_axi_rlast;
  end

  assign m_axi_rready = known ? s_axi_rready[owner[MW-1:0]] : 1'b1;

  // pragma translate_off
  // Simulation-only checks (plain always: Icarus rejects $error in always_ff)
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // nothing to check in reset
    end else if (m_axi_rvalid && !known) begin
      $error("skipopu_axi_rd_arb: R beat with RID %0h names no master (dropped)", m_axi_rid);
    end
  end
  // pragma translate_on

endmodule
