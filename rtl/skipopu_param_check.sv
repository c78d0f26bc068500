// The core's parameter checks (skipopu_top instantiates it with its parameters): every
// combination the core does not support stops the simulation at time 0 with a message that
// names the parameter, the same text model/isa.py's CoreConfig reports for it (tb/test_params.py
// checks both, on Verilator and Icarus). The units check their own parameters as well.
// No ports, no logic: simulation only (pragma translate_off).

module skipopu_param_check #(
  // The parameters of skipopu_top (documented there)
  parameter int NUM_HBM = 4,
  parameter int DATA_W = 256,
  parameter int ADDR_W = 34,
  parameter int ID_W = 4,
  parameter int GBUF_DEPTH = 4096,
  parameter int MAX_BURST = 16,
  parameter int RD_FIFO_DEPTH = 64,
  parameter int WR_OUTSTANDING = 8,
  parameter int MMAX = 64,
  parameter int NPE_ROWS = 256,
  parameter int HBM_ASYNC = 1,
  parameter int KV_PORTS = 4,
  parameter int KV_TOKENS = 64,
  parameter int KV_ENTRY_MAX = 16,
  parameter int KV_BUF_CAP = 64,
  parameter int KV_BUF_RD = 2,
  parameter int KV_BUF_WR = 2,
  parameter int SMAX_ROWS = 256,
  parameter int NCOL = 32,
  parameter int WFETCH_DEPTH = 8,
  parameter int MM_SCALE_ROWS = 64
) ();

  // pragma translate_off
  function automatic bit pow2(int v);
    return v >= 1 && (v & (v - 1)) == 0;
  endfunction

  initial begin : p_params
    if (NUM_HBM < 1 || NUM_HBM > 32) begin
      $fatal(1, "skipopu_top: NUM_HBM=%0d not in 1..32", NUM_HBM);
    end
    if (DATA_W != 128 && DATA_W != 256 && DATA_W != 512 && DATA_W != 1024) begin
      $fatal(1, "skipopu_top: DATA_W=%0d not 128, 256, 512 or 1024", DATA_W);
    end
    if (ADDR_W < 16 || ADDR_W > 63) begin
      $fatal(1, "skipopu_top: ADDR_W=%0d not in 16..63", ADDR_W);
    end
    if (ID_W < 1 || ID_W > 16) begin
      $fatal(1, "skipopu_top: ID_W=%0d not in 1..16", ID_W);
    end
    if (!pow2(GBUF_DEPTH) || GBUF_DEPTH < 2) begin
      $fatal(1, "skipopu_top: GBUF_DEPTH=%0d is not a power of 2 >= 2", GBUF_DEPTH);
    end
    if (!pow2(MAX_BURST) || MAX_BURST < 2) begin
      $fatal(1, "skipopu_top: MAX_BURST=%0d is not a power of 2 >= 2", MAX_BURST);
    end
    if (!pow2(RD_FIFO_DEPTH) || RD_FIFO_DEPTH < 2) begin
      $fatal(1, "skipopu_top: RD_FIFO_DEPTH=%0d is not a power of 2 >= 2", RD_FIFO_DEPTH);
    end
    if (!pow2(WR_OUTSTANDING) || WR_OUTSTANDING > 256) begin
      $fatal(1, "skipopu_top: WR_OUTSTANDING=%0d is not a power of 2 in 1..256",
             WR_OUTSTANDING);
    end
    if (MAX_BURST > 256) begin
      $fatal(1, "skipopu_top: MAX_BURST=%0d > 256", MAX_BURST);
    end
    if (RD_FIFO_DEPTH < MAX_BURST) begin
      $fatal(1, "skipopu_top: RD_FIFO_DEPTH must be >= MAX_BURST (%0d < %0d)", RD_FIFO_DEPTH,
             MAX_BURST);
    end
    if (GBUF_DEPTH > 65536) begin
      $fatal(1, "skipopu_top: GBUF_DEPTH must be <= 65536 (%0d)", GBUF_DEPTH);
    end
    if (!pow2(NPE_ROWS) || NPE_ROWS < 2 || NPE_ROWS > 65536) begin
      $fatal(1, "skipopu_top: NPE_ROWS=%0d is not a power of 2 in 2..65536", NPE_ROWS);
    end
    if (MMAX < 1 || MMAX > 4096) begin
      $fatal(1, "skipopu_top: MMAX=%0d not in 1..4096", MMAX);
    end
    if (HBM_ASYNC != 0 && HBM_ASYNC != 1) begin
      $fatal(1, "skipopu_top: HBM_ASYNC=%0d not 0 or 1", HBM_ASYNC);
    end
    if (HBM_ASYNC != 0 && MAX_BURST > 128) begin
      $fatal(1, "skipopu_top: MAX_BURST must be <= 128 with HBM_ASYNC (%0d)", MAX_BURST);
    end
    if (!pow2(KV_PORTS) || KV_PORTS > NUM_HBM) begin
      $fatal(1, "skipopu_top: KV_PORTS=%0d is not a power of 2 in 1..NUM_HBM", KV_PORTS);
    end
    if (!pow2(KV_TOKENS) || KV_TOKENS < 2) begin
      $fatal(1, "skipopu_top: KV_TOKENS=%0d is not a power of 2 >= 2", KV_TOKENS);
    end
    if (!pow2(KV_ENTRY_MAX) || KV_ENTRY_MAX < 2 || KV_ENTRY_MAX > 128) begin
      $fatal(1, "skipopu_top: KV_ENTRY_MAX=%0d is not a power of 2 in 2..128", KV_ENTRY_MAX);
    end
    if (!pow2(KV_BUF_CAP) || KV_BUF_CAP < 2) begin
      $fatal(1, "skipopu_top: KV_BUF_CAP=%0d is not a power of 2 >= 2", KV_BUF_CAP);
    end
    if (!pow2(SMAX_ROWS) || SMAX_ROWS < 2) begin
      $fatal(1, "skipopu_top: SMAX_ROWS=%0d is not a power of 2 >= 2", SMAX_ROWS);
    end
    if (KV_TOKENS % (DATA_W / 16) != 0 || KV_TOKENS % KV_PORTS != 0 || KV_TOKENS > DATA_W) begin
      $fatal(1, "skipopu_top: KV_TOKENS=%0d must be a multiple of DATA_W/16 and of KV_PORTS, %s",
             KV_TOKENS, "and <= DATA_W (one mask word)");
    end
    if (KV_BUF_RD < 1 || KV_BUF_WR < 1 || KV_BUF_RD > 15 || KV_BUF_WR > 15 ||
        KV_PORTS + KV_BUF_RD > DATA_W / 16) begin
      $fatal(1, "skipopu_top: KV_BUF_RD, KV_BUF_WR must be in 1..15 and KV_PORTS + KV_BUF_RD %s",
             "<= DATA_W/16");
    end
    if (NCOL != DATA_W / 16 && NCOL != DATA_W / 8 && NCOL != DATA_W / 4) begin
      $fatal(1, "skipopu_top: NCOL=%0d is not DATA_W/16 times 1, 2 or 4", NCOL);
    end else if (NUM_HBM >= 1 && (NCOL / 4) % NUM_HBM != 0) begin
      $fatal(1, "skipopu_top: NCOL/4 (words per chunk) must be a multiple of NUM_HBM");
    end
    if (!pow2(WFETCH_DEPTH) || WFETCH_DEPTH < 2 || WFETCH_DEPTH > 128) begin
      $fatal(1, "skipopu_top: WFETCH_DEPTH=%0d is not a power of 2 in 2..128", WFETCH_DEPTH);
    end
    if (MM_SCALE_ROWS < 1 || MM_SCALE_ROWS > 255) begin
      $fatal(1, "skipopu_top: MM_SCALE_ROWS=%0d not in 1..255", MM_SCALE_ROWS);
    end
  end
  // pragma translate_on

endmodule
