"""Generate ``skipopu_wstream_bench``: the weight access unit (``rtl/skipopu_wstream.sv``) with one
flat AXI4 read master ``m_axi<p>_*`` per HBM port, as ``tb/hbm_model.HbmPort`` needs one named
signal each.

With ``cdc=True`` every port goes through ``rtl/skipopu_axi_cdc.sv`` (the asynchronous chunk FIFOs
with 2:1 width conversion), as in the core: the unit runs on ``clk_i`` with DATA_W-bit words and
the HBM ports on ``hbm_clk_i`` at DATA_W/2 bits. With ``cdc=False`` the ports are the unit's own,
on ``clk_i`` at DATA_W bits.

Test scaffolding on the unit's side of each port (the core-side AXI bus):

* ``mon<p>_ar*`` / ``mon<p>_r*`` outputs: the AR and R signals the unit itself sees and drives
  (Verilator builds make only top-level signals visible), for the protocol monitors;
* ``rlast_flip_i[p]``: XORed into the RLAST the unit receives on port p, to inject misplaced
  RLASTs (early or missing) on chosen beats without upsetting the bridge.

The file is written under ``sim_build/gen``; the unit and the bridges are the unchanged ``rtl/``
modules.
"""

from __future__ import annotations

from pathlib import Path

GEN_DIR = Path(__file__).resolve().parents[2] / "sim_build" / "gen"

RD = [("arid", "o", "ID_W"), ("araddr", "o", "ADDR_W"), ("arlen", "o", "8"),
      ("arsize", "o", "3"), ("arburst", "o", "2"), ("arlock", "o", "1"), ("arcache", "o", "4"),
      ("arprot", "o", "3"), ("arvalid", "o", "1"), ("arready", "i", "1"), ("rid", "i", "ID_W"),
      ("rdata", "i", "DW"), ("rresp", "i", "2"), ("rlast", "i", "1"), ("rvalid", "i", "1"),
      ("rready", "o", "1")]
WR_TIE = [("awid", "ID_W"), ("awaddr", "ADDR_W"), ("awlen", "8"), ("awsize", "3"),
          ("awburst", "2"), ("awlock", "1"), ("awcache", "4"), ("awprot", "3"), ("awvalid", "1"),
          ("wdata", "DATA_W"), ("wstrb", "DATA_W/8"), ("wlast", "1"), ("wvalid", "1"),
          ("bready", "1")]
UNIT = [("desc_valid_i", "i", "1"), ("desc_ready_o", "o", "1"), ("desc_base_i", "i", "ADDR_W"),
        ("desc_chunks_i", "i", "LEN_W"), ("head_valid_o", "o", "1"),
        ("head_base_o", "o", "ADDR_W"), ("head_chunks_o", "o", "LEN_W"),
        ("desc_count_o", "o", "QW+1"), ("chunk_valid_o", "o", "1"), ("chunk_ready_i", "i", "1"),
        ("chunk_data_o", "o", "CHUNK_W"), ("chunk_err_o", "o", "1"),
        ("chunk_last_o", "o", "1"), ("flush_i", "i", "1"), ("busy_o", "o", "1"),
        ("stat_chunks_o", "o", "32"), ("stat_beats_o", "o", "NUM_PORTS*32")]
MON = [("arvalid", "1"), ("arready", "1"), ("araddr", "ADDR_W"), ("arlen", "8"),
       ("arsize", "3"), ("arburst", "2"), ("rvalid", "1"), ("rready", "1"), ("rlast", "1"),
       ("rresp", "2")]
PARAMS = {"NUM_PORTS": 4, "DATA_W": 256, "CHUNK_W": 2048, "ADDR_W": 34, "ID_W": 4, "ARID": 0,
          "MAX_BURST": 16, "PC_BYTES": 1 << 28, "QDEPTH": 8, "LEN_W": 24, "LANE_DEPTH": 512,
          "MAX_INFLIGHT": 64}


def _decl(direction: str, w: str, name: str) -> str:
    rng = "" if w == "1" else f"[{w}-1:0] "
    return f"  {'output' if direction == 'o' else 'input '} logic {rng}{name}"


def generate(nports: int, cdc: bool) -> Path:
    """Write the wrapper for ``nports`` ports (if changed) and return its path."""
    dw = "DATA_W/2" if cdc else "DATA_W"
    ports = ["  input  logic clk_i", "  input  logic rst_ni"]
    if cdc:
        ports += ["  input  logic hbm_clk_i", "  input  logic hbm_rst_ni"]
    ports += [_decl(d, w, n) for n, d, w in UNIT]
    ports.append(_decl("i", "NUM_PORTS", "rlast_flip_i"))
    for p in range(nports):
        ports += [_decl("o", w, f"mon{p}_{n}") for n, w in MON]
    for p in range(nports):
        ports += [_decl(d, w.replace("DW", dw), f"m_axi{p}_{n}") for n, d, w in RD]
    body = ["  localparam int QW = $clog2(QDEPTH);"]
    body += [f"  logic [{w.replace('DW', 'DATA_W')}*NUM_PORTS-1:0] u_{n};" if w != "1"
             else f"  logic [NUM_PORTS-1:0] u_{n};" for n, _, w in RD]
    body.append("  logic [NUM_PORTS-1:0] u_rlast_in;")
    pconns = ",\n".join(f"    .{k}({k})" for k in PARAMS)
    conns = [".clk_i", ".rst_ni"] + [f".{n}({n})" for n, _, _ in UNIT] + \
        [f".m_axi_{n}(u_{n})" for n, _, _ in RD if n != "rlast"] + \
        [".m_axi_rlast(u_rlast_in)"]
    body.append("  skipopu_wstream #(\n" + pconns + "\n  ) u_unit (\n    "
                + ",\n    ".join(conns) + "\n  );")
    body.append("  assign u_rlast_in = u_rlast ^ rlast_flip_i;")
    for p in range(nports):
        def sl(n: str, w: str) -> str:
            w = w.replace("DW", "DATA_W")
            return f"u_{n}[{p}]" if w == "1" else f"u_{n}[{p}*({w}) +: {w}]"
        for n, w in MON:
            src = "u_rlast_in[%d]" % p if n == "rlast" else sl(n, w)
            body.append(f"  assign mon{p}_{n} = {src};")
        if cdc:
            c = [".s_clk_i(clk_i)", ".s_rst_ni(rst_ni)", ".m_clk_i(hbm_clk_i)",
                 ".m_rst_ni(hbm_rst_ni)"]
            c += [f".s_axi_{n}({sl(n, w)})" for n, _, w in RD]
            c += [f".m_axi_{n}(m_axi{p}_{n})" for n, _, _ in RD]
            c += [f".s_axi_{n}('0)" for n, _ in WR_TIE if n != "bready"] + \
                 [".s_axi_bready(1'b1)", ".s_axi_awready()", ".s_axi_wready()", ".s_axi_bid()",
                  ".s_axi_bresp()", ".s_axi_bvalid()"]
            c += [f".m_axi_{n}()" for n, _ in WR_TIE] + \
                 [".m_axi_awready(1'b0)", ".m_axi_wready(1'b0)", ".m_axi_bid('0)",
                  ".m_axi_bresp('0)", ".m_axi_bvalid(1'b0)"]
            body.append(
                "  skipopu_axi_cdc #(\n    .ADDR_W(ADDR_W), .ID_W(ID_W), .S_DATA_W(DATA_W), "
                f".M_DATA_W(DATA_W/2)\n  ) u_cdc{p} (\n    " + ",\n    ".join(c) + "\n  );")
        else:
            for n, d, w in RD:
                if d == "o":
                    body.append(f"  assign m_axi{p}_{n} = {sl(n, w)};")
                else:
                    body.append(f"  assign {sl(n, w)} = m_axi{p}_{n};")
    params = ",\n".join(f"  parameter int {k} = {v}" for k, v in PARAMS.items())
    text = (f"// Generated by tb/wstream/wrapper.py for NUM_PORTS={nports} cdc={int(cdc)}; "
            "do not edit.\nmodule skipopu_wstream_bench #(\n" + params + "\n) (\n"
            + ",\n".join(ports) + "\n);\n" + "\n".join(body) + "\nendmodule\n")
    GEN_DIR.mkdir(parents=True, exist_ok=True)
    path = GEN_DIR / f"skipopu_wstream_bench_p{nports}_c{int(cdc)}.sv"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
