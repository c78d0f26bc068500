"""Generate ``skipopu_kv_bench``: the KV read unit (``rtl/skipopu_kv_unit.sv``) with one flat
AXI4 read master ``m_axi<p>_*`` per HBM port, as cocotbext-axi and ``tb/hbm_model.HbmPort`` need
one named signal each.

With ``cdc=True`` every port goes through ``rtl/skipopu_axi_cdc.sv`` (the asynchronous chunk
FIFOs with 2:1 width conversion): the unit runs on ``clk_i`` (core, DATA_W-bit words) and the
HBM ports on ``hbm_clk_i`` at DATA_W/2 bits, as in the paper (225 / 450 MHz). With ``cdc=False``
the ports are the unit's own, on ``clk_i`` at DATA_W bits. The file is test scaffolding written
under ``sim_build/gen``; the units are the unchanged ``rtl/`` modules.
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
UNIT = [("clr_i", "i", "1"), ("cfg_interleaved_i", "i", "1"), ("cfg_log2e_i", "i", "EW"),
        ("cfg_base_i", "i", "NUM_PORTS*ADDR_W"), ("step_start_i", "i", "1"),
        ("cmd_valid_i", "i", "1"), ("cmd_ready_o", "o", "1"), ("cmd_tokens_i", "i", "TW+1"),
        ("cmd_exec_i", "i", "MAX_TOKENS"), ("cmd_exec_next_i", "i", "MAX_TOKENS"),
        ("cmd_has_next_i", "i", "1"), ("cmd_attend_i", "i", "1"), ("cmd_buf_en_i", "i", "1"),
        ("cmd_layer_i", "i", "LAYER_W"), ("out_valid_o", "o", "1"), ("out_ready_i", "i", "1"),
        ("out_lane_valid_o", "o", "L"), ("out_lane_token_o", "o", "L*TW"),
        ("out_lane_word_o", "o", "L*EWW"), ("out_data_o", "o", "L*DATA_W"),
        ("out_err_o", "o", "L"), ("out_round_last_o", "o", "1"), ("out_layer_last_o", "o", "1"),
        ("busy_o", "o", "1"), ("err_o", "o", "1"), ("stat_hbm_words_o", "o", "32"),
        ("stat_buf_words_o", "o", "32"), ("stat_keep_words_o", "o", "32")]
PARAMS = {"NUM_PORTS": 4, "BUF_RD": 2, "BUF_WR": 2, "CAPACITY": 64, "MAX_TOKENS": 64,
          "LAYER_W": 8, "DATA_W": 256, "ADDR_W": 34, "ID_W": 4, "ENTRY_WORDS": 8,
          "MAX_BURST": 16, "LANE_DEPTH": 64, "ROUND_DEPTH": 16}
UNIT_PARAMS = list(PARAMS)


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
    for p in range(nports):
        ports += [_decl(d, w.replace("DW", dw), f"m_axi{p}_{n}") for n, d, w in RD]
    body = [
        "  localparam int TW = $clog2(MAX_TOKENS);",
        "  localparam int EWW = (ENTRY_WORDS > 1) ? $clog2(ENTRY_WORDS) : 1;",
        "  localparam int EW = (ENTRY_WORDS > 1) ? $clog2($clog2(ENTRY_WORDS) + 1) : 1;",
        "  localparam int L = NUM_PORTS + BUF_RD;",
    ]
    body += [f"  logic [{w.replace('DW', 'DATA_W')}*NUM_PORTS-1:0] u_{n};" if w != "1"
             else f"  logic [NUM_PORTS-1:0] u_{n};" for n, _, w in RD]
    pconns = ",\n".join(f"    .{k}({k})" for k in UNIT_PARAMS)
    conns = [".clk_i", ".rst_ni"] + [f".{n}({n})" for n, _, _ in UNIT] + \
        [f".m_axi_{n}(u_{n})" for n, _, _ in RD]
    body.append("  skipopu_kv_unit #(\n" + pconns + "\n  ) u_unit (\n    "
                + ",\n    ".join(conns) + "\n  );")
    for p in range(nports):
        def sl(n: str, w: str) -> str:
            w = w.replace("DW", "DATA_W")
            return f"u_{n}[{p}]" if w == "1" else f"u_{n}[{p}*({w}) +: {w}]"
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
    text = (f"// Generated by tb/kv/wrapper.py for NUM_PORTS={nports} cdc={int(cdc)}; "
            "do not edit.\nmodule skipopu_kv_bench #(\n" + params + "\n) (\n"
            + ",\n".join(ports) + "\n);\n" + "\n".join(body) + "\nendmodule\n")
    GEN_DIR.mkdir(parents=True, exist_ok=True)
    path = GEN_DIR / f"skipopu_kv_bench_p{nports}_c{int(cdc)}.sv"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
