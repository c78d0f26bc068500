// NPE reciprocal square root, FP32 in / FP32 out (docs/npe.md): x = 2^(2k + odd) * m; a table on
// (odd, 7 leading mantissa bits) over [1, 4) and two Newton steps
// y <- y * (3/2 - (x_r/2) * y^2) with the core's FP32 units; result exponent -k. Fully
// pipelined, one input per cycle, a register after every FP operation: y_o is the result for
// the x_i presented NpeRsqrtLat (skipopu_pkg) cycles earlier. Datapath registers have no reset
// and hold while en_i is low.
// Bit-exact with model/npe_units.py:rsqrt.

module skipopu_npe_rsqrt
  import skipopu_pkg::*;
(
  input  logic        clk_i,
  input  logic        en_i,         // advance the pipeline (clock enable)
  input  logic [31:0] x_i,
  output logic [31:0] y_o
);

  localparam logic [31:0] ThreeHalves = 32'h3FC0_0000;

  // BEGIN GENERATED (tools/gen_npe_tables.py): table from model/npe_units.py
  logic [7:0] rsqrt_table_idx;
  logic [31:0] rsqrt_table_y;
  always_comb begin
    unique case (rsqrt_table_idx)
      8'd0: rsqrt_table_y = 32'h3f7f8060;
      8'd1: rsqrt_table_y = 32'h3f7e8358;
      8'd2: rsqrt_table_y = 32'h3f7d893a;
      8'd3: rsqrt_table_y = 32'h3f7c91f7;
      8'd4: rsqrt_table_y = 32'h3f7b9d83;
      8'd5: rsqrt_table_y = 32'h3f7aabcf;
      8'd6: rsqrt_table_y = 32'h3f79bccf;
      8'd7: rsqrt_table_y = 32'h3f78d075;
      8'd8: rsqrt_table_y = 32'h3f77e6b5;
      8'd9: rsqrt_table_y = 32'h3f76ff83;
      8'd10: rsqrt_table_y = 32'h3f761ad3;
      8'd11: rsqrt_table_y = 32'h3f75389a;
      8'd12: rsqrt_table_y = 32'h3f7458cd;
      8'd13: rsqrt_table_y = 32'h3f737b60;
      8'd14: rsqrt_table_y = 32'h3f72a048;
      8'd15: rsqrt_table_y = 32'h3f71c77c;
      8'd16: rsqrt_table_y = 32'h3f70f0f1;
      8'd17: rsqrt_table_y = 32'h3f701c9d;
      8'd18: rsqrt_table_y = 32'h3f6f4a77;
      8'd19: rsqrt_table_y = 32'h3f6e7a74;
      8'd20: rsqrt_table_y = 32'h3f6dac8d;
      8'd21: rsqrt_table_y = 32'h3f6ce0b7;
      8'd22: rsqrt_table_y = 32'h3f6c16ea;
      8'd23: rsqrt_table_y = 32'h3f6b4f1e;
      8'd24: rsqrt_table_y = 32'h3f6a8949;
      8'd25: rsqrt_table_y = 32'h3f69c565;
      8'd26: rsqrt_table_y = 32'h3f690368;
      8'd27: rsqrt_table_y = 32'h3f68434a;
      8'd28: rsqrt_table_y = 32'h3f678505;
      8'd29: rsqrt_table_y = 32'h3f66c891;
      8'd30: rsqrt_table_y = 32'h3f660de5;
      8'd31: rsqrt_table_y = 32'h3f6554fc;
      8'd32: rsqrt_table_y = 32'h3f649dce;
      8'd33: rsqrt_table_y = 32'h3f63e854;
      8'd34: rsqrt_table_y = 32'h3f633488;
      8'd35: rsqrt_table_y = 32'h3f628263;
      8'd36: rsqrt_table_y = 32'h3f61d1de;
      8'd37: rsqrt_table_y = 32'h3f6122f3;
      8'd38: rsqrt_table_y = 32'h3f60759c;
      8'd39: rsqrt_table_y = 32'h3f5fc9d4;
      8'd40: rsqrt_table_y = 32'h3f5f1f93;
      8'd41: rsqrt_table_y = 32'h3f5e76d5;
      8'd42: rsqrt_table_y = 32'h3f5dcf93;
      8'd43: rsqrt_table_y = 32'h3f5d29c8;
      8'd44: rsqrt_table_y = 32'h3f5c856f;
      8'd45: rsqrt_table_y = 32'h3f5be282;
      8'd46: rsqrt_table_y = 32'h3f5b40fd;
      8'd47: rsqrt_table_y = 32'h3f5aa0d9;
      8'd48: rsqrt_table_y = 32'h3f5a0212;
      8'd49: rsqrt_table_y = 32'h3f5964a3;
      8'd50: rsqrt_table_y = 32'h3f58c887;
      8'd51: rsqrt_table_y = 32'h3f582dba;
      8'd52: rsqrt_table_y = 32'h3f579436;
      8'd53: rsqrt_table_y = 32'h3f56fbf8;
      8'd54: rsqrt_table_y = 32'h3f5664fa;
      8'd55: rsqrt_table_y = 32'h3f55cf39;
      8'd56: rsqrt_table_y = 32'h3f553ab0;
      8'd57: rsqrt_table_y = 32'h3f54a75a;
      8'd58: rsqrt_table_y = 32'h3f541535;
      8'd59: rsqrt_table_y = 32'h3f53843b;
      8'd60: rsqrt_table_y = 32'h3f52f469;
      8'd61: rsqrt_table_y = 32'h3f5265bb;
      8'd62: rsqrt_table_y = 32'h3f51d82d;
      8'd63: rsqrt_table_y = 32'h3f514bbb;
      8'd64: rsqrt_table_y = 32'h3f50c062;
      8'd65: rsqrt_table_y = 32'h3f50361d;
      8'd66: rsqrt_table_y = 32'h3f4facea;
      8'd67: rsqrt_table_y = 32'h3f4f24c5;
      8'd68: rsqrt_table_y = 32'h3f4e9daa;
      8'd69: rsqrt_table_y = 32'h3f4e1796;
      8'd70: rsqrt_table_y = 32'h3f4d9285;
      8'd71: rsqrt_table_y = 32'h3f4d0e76;
      8'd72: rsqrt_table_y = 32'h3f4c8b63;
      8'd73: rsqrt_table_y = 32'h3f4c094b;
      8'd74: rsqrt_table_y = 32'h3f4b8829;
      8'd75: rsqrt_table_y = 32'h3f4b07fc;
      8'd76: rsqrt_table_y = 32'h3f4a88bf;
      8'd77: rsqrt_table_y = 32'h3f4a0a71;
      8'd78: rsqrt_table_y = 32'h3f498d0d;
      8'd79: rsqrt_table_y = 32'h3f491092;
      8'd80: rsqrt_table_y = 32'h3f4894fd;
      8'd81: rsqrt_table_y = 32'h3f481a4a;
      8'd82: rsqrt_table_y = 32'h3f47a078;
      8'd83: rsqrt_table_y = 32'h3f472783;
      8'd84: rsqrt_table_y = 32'h3f46af68;
      8'd85: rsqrt_table_y = 32'h3f463826;
      8'd86: rsqrt_table_y = 32'h3f45c1ba;
      8'd87: rsqrt_table_y = 32'h3f454c21;
      8'd88: rsqrt_table_y = 32'h3f44d759;
      8'd89: rsqrt_table_y = 32'h3f44635f;
      8'd90: rsqrt_table_y = 32'h3f43f031;
      8'd91: rsqrt_table_y = 32'h3f437dcd;
      8'd92: rsqrt_table_y = 32'h3f430c31;
      8'd93: rsqrt_table_y = 32'h3f429b59;
      8'd94: rsqrt_table_y = 32'h3f422b45;
      8'd95: rsqrt_table_y = 32'h3f41bbf1;
      8'd96: rsqrt_table_y = 32'h3f414d5c;
      8'd97: rsqrt_table_y = 32'h3f40df84;
      8'd98: rsqrt_table_y = 32'h3f407266;
      8'd99: rsqrt_table_y = 32'h3f400600;
      8'd100: rsqrt_table_y = 32'h3f3f9a51;
      8'd101: rsqrt_table_y = 32'h3f3f2f56;
      8'd102: rsqrt_table_y = 32'h3f3ec50e;
      8'd103: rsqrt_table_y = 32'h3f3e5b76;
      8'd104: rsqrt_table_y = 32'h3f3df28c;
      8'd105: rsqrt_table_y = 32'h3f3d8a4f;
      8'd106: rsqrt_table_y = 32'h3f3d22be;
      8'd107: rsqrt_table_y = 32'h3f3cbbd5;
      8'd108: rsqrt_table_y = 32'h3f3c5593;
      8'd109: rsqrt_table_y = 32'h3f3beff7;
      8'd110: rsqrt_table_y = 32'h3f3b8aff;
      8'd111: rsqrt_table_y = 32'h3f3b26a9;
      8'd112: rsqrt_table_y = 32'h3f3ac2f3;
      8'd113: rsqrt_table_y = 32'h3f3a5fdc;
      8'd114: rsqrt_table_y = 32'h3f39fd62;
      8'd115: rsqrt_table_y = 32'h3f399b84;
      8'd116: rsqrt_table_y = 32'h3f393a3f;
      8'd117: rsqrt_table_y = 32'h3f38d993;
      8'd118: rsqrt_table_y = 32'h3f38797d;
      8'd119: rsqrt_table_y = 32'h3f3819fd;
      8'd120: rsqrt_table_y = 32'h3f37bb10;
      8'd121: rsqrt_table_y = 32'h3f375cb5;
      8'd122: rsqrt_table_y = 32'h3f36feec;
      8'd123: rsqrt_table_y = 32'h3f36a1b1;
      8'd124: rsqrt_table_y = 32'h3f364505;
      8'd125: rsqrt_table_y = 32'h3f35e8e5;
      8'd126: rsqrt_table_y = 32'h3f358d50;
      8'd127: rsqrt_table_y = 32'h3f353245;
      8'd128: rsqrt_table_y = 32'h3f34aab4;
      8'd129: rsqrt_table_y = 32'h3f33f7c9;
      8'd130: rsqrt_table_y = 32'h3f3346ed;
      8'd131: rsqrt_table_y = 32'h3f329816;
      8'd132: rsqrt_table_y = 32'h3f31eb3b;
      8'd133: rsqrt_table_y = 32'h3f314052;
      8'd134: rsqrt_table_y = 32'h3f309752;
      8'd135: rsqrt_table_y = 32'h3f2ff032;
      8'd136: rsqrt_table_y = 32'h3f2f4ae9;
      8'd137: rsqrt_table_y = 32'h3f2ea76e;
      8'd138: rsqrt_table_y = 32'h3f2e05ba;
      8'd139: rsqrt_table_y = 32'h3f2d65c3;
      8'd140: rsqrt_table_y = 32'h3f2cc782;
      8'd141: rsqrt_table_y = 32'h3f2c2af0;
      8'd142: rsqrt_table_y = 32'h3f2b9004;
      8'd143: rsqrt_table_y = 32'h3f2af6b7;
      8'd144: rsqrt_table_y = 32'h3f2a5f03;
      8'd145: rsqrt_table_y = 32'h3f29c8e0;
      8'd146: rsqrt_table_y = 32'h3f293446;
      8'd147: rsqrt_table_y = 32'h3f28a131;
      8'd148: rsqrt_table_y = 32'h3f280f98;
      8'd149: rsqrt_table_y = 32'h3f277f76;
      8'd150: rsqrt_table_y = 32'h3f26f0c4;
      8'd151: rsqrt_table_y = 32'h3f26637d;
      8'd152: rsqrt_table_y = 32'h3f25d79a;
      8'd153: rsqrt_table_y = 32'h3f254d15;
      8'd154: rsqrt_table_y = 32'h3f24c3ea;
      8'd155: rsqrt_table_y = 32'h3f243c11;
      8'd156: rsqrt_table_y = 32'h3f23b587;
      8'd157: rsqrt_table_y = 32'h3f233045;
      8'd158: rsqrt_table_y = 32'h3f22ac46;
      8'd159: rsqrt_table_y = 32'h3f222985;
      8'd160: rsqrt_table_y = 32'h3f21a7fe;
      8'd161: rsqrt_table_y = 32'h3f2127ac;
      8'd162: rsqrt_table_y = 32'h3f20a889;
      8'd163: rsqrt_table_y = 32'h3f202a91;
      8'd164: rsqrt_table_y = 32'h3f1fadc0;
      8'd165: rsqrt_table_y = 32'h3f1f3210;
      8'd166: rsqrt_table_y = 32'h3f1eb77f;
      8'd167: rsqrt_table_y = 32'h3f1e3e06;
      8'd168: rsqrt_table_y = 32'h3f1dc5a3;
      8'd169: rsqrt_table_y = 32'h3f1d4e52;
      8'd170: rsqrt_table_y = 32'h3f1cd80d;
      8'd171: rsqrt_table_y = 32'h3f1c62d1;
      8'd172: rsqrt_table_y = 32'h3f1bee9b;
      8'd173: rsqrt_table_y = 32'h3f1b7b67;
      8'd174: rsqrt_table_y = 32'h3f1b0930;
      8'd175: rsqrt_table_y = 32'h3f1a97f3;
      8'd176: rsqrt_table_y = 32'h3f1a27ae;
      8'd177: rsqrt_table_y = 32'h3f19b85b;
      8'd178: rsqrt_table_y = 32'h3f1949f8;
      8'd179: rsqrt_table_y = 32'h3f18dc82;
      8'd180: rsqrt_table_y = 32'h3f186ff5;
      8'd181: rsqrt_table_y = 32'h3f18044e;
      8'd182: rsqrt_table_y = 32'h3f17998a;
      8'd183: rsqrt_table_y = 32'h3f172fa5;
      8'd184: rsqrt_table_y = 32'h3f16c69e;
      8'd185: rsqrt_table_y = 32'h3f165e70;
      8'd186: rsqrt_table_y = 32'h3f15f718;
      8'd187: rsqrt_table_y = 32'h3f159095;
      8'd188: rsqrt_table_y = 32'h3f152ae3;
      8'd189: rsqrt_table_y = 32'h3f14c5ff;
      8'd190: rsqrt_table_y = 32'h3f1461e7;
      8'd191: rsqrt_table_y = 32'h3f13fe97;
      8'd192: rsqrt_table_y = 32'h3f139c0e;
      8'd193: rsqrt_table_y = 32'h3f133a49;
      8'd194: rsqrt_table_y = 32'h3f12d945;
      8'd195: rsqrt_table_y = 32'h3f127900;
      8'd196: rsqrt_table_y = 32'h3f121978;
      8'd197: rsqrt_table_y = 32'h3f11baa9;
      8'd198: rsqrt_table_y = 32'h3f115c92;
      8'd199: rsqrt_table_y = 32'h3f10ff30;
      8'd200: rsqrt_table_y = 32'h3f10a281;
      8'd201: rsqrt_table_y = 32'h3f104684;
      8'd202: rsqrt_table_y = 32'h3f0feb35;
      8'd203: rsqrt_table_y = 32'h3f0f9092;
      8'd204: rsqrt_table_y = 32'h3f0f369a;
      8'd205: rsqrt_table_y = 32'h3f0edd4a;
      8'd206: rsqrt_table_y = 32'h3f0e84a0;
      8'd207: rsqrt_table_y = 32'h3f0e2c9b;
      8'd208: rsqrt_table_y = 32'h3f0dd538;
      8'd209: rsqrt_table_y = 32'h3f0d7e75;
      8'd210: rsqrt_table_y = 32'h3f0d2851;
      8'd211: rsqrt_table_y = 32'h3f0cd2c9;
      8'd212: rsqrt_table_y = 32'h3f0c7ddc;
      8'd213: rsqrt_table_y = 32'h3f0c2988;
      8'd214: rsqrt_table_y = 32'h3f0bd5cb;
      8'd215: rsqrt_table_y = 32'h3f0b82a4;
      8'd216: rsqrt_table_y = 32'h3f0b3010;
      8'd217: rsqrt_table_y = 32'h3f0ade0e;
      8'd218: rsqrt_table_y = 32'h3f0a8c9d;
      8'd219: rsqrt_table_y = 32'h3f0a3bba;
      8'd220: rsqrt_table_y = 32'h3f09eb64;
      8'd221: rsqrt_table_y = 32'h3f099b9a;
      8'd222: rsqrt_table_y = 32'h3f094c59;
      8'd223: rsqrt_table_y = 32'h3f08fda1;
      8'd224: rsqrt_table_y = 32'h3f08af6f;
      8'd225: rsqrt_table_y = 32'h3f0861c3;
      8'd226: rsqrt_table_y = 32'h3f08149b;
      8'd227: rsqrt_table_y = 32'h3f07c7f5;
      8'd228: rsqrt_table_y = 32'h3f077bd0;
      8'd229: rsqrt_table_y = 32'h3f07302a;
      8'd230: rsqrt_table_y = 32'h3f06e503;
      8'd231: rsqrt_table_y = 32'h3f069a58;
      8'd232: rsqrt_table_y = 32'h3f065029;
      8'd233: rsqrt_table_y = 32'h3f060674;
      8'd234: rsqrt_table_y = 32'h3f05bd38;
      8'd235: rsqrt_table_y = 32'h3f057474;
      8'd236: rsqrt_table_y = 32'h3f052c25;
      8'd237: rsqrt_table_y = 32'h3f04e44c;
      8'd238: rsqrt_table_y = 32'h3f049ce7;
      8'd239: rsqrt_table_y = 32'h3f0455f4;
      8'd240: rsqrt_table_y = 32'h3f040f72;
      8'd241: rsqrt_table_y = 32'h3f03c961;
      8'd242: rsqrt_table_y = 32'h3f0383bf;
      8'd243: rsqrt_table_y = 32'h3f033e8b;
      8'd244: rsqrt_table_y = 32'h3f02f9c3;
      8'd245: rsqrt_table_y = 32'h3f02b568;
      8'd246: rsqrt_table_y = 32'h3f027176;
      8'd247: rsqrt_table_y = 32'h3f022def;
      8'd248: rsqrt_table_y = 32'h3f01ead0;
      8'd249: rsqrt_table_y = 32'h3f01a818;
      8'd250: rsqrt_table_y = 32'h3f0165c6;
      8'd251: rsqrt_table_y = 32'h3f0123da;
      8'd252: rsqrt_table_y = 32'h3f00e253;
      8'd253: rsqrt_table_y = 32'h3f00a12e;
      8'd254: rsqrt_table_y = 32'h3f00606d;
      8'd255: rsqrt_table_y = 32'h3f00200c;
      default: rsqrt_table_y = 32'h0;
    endcase
  end
  // END GENERATED
  assign rsqrt_table_idx = {~x_i[23], x_i[22:16]};

  // Stage k (k = 0..7) of Newton step k/4: op k%4 = 0: r = y * y; 1: r = -(x_r/2) * r;
  // 2: r = 3/2 + r; 3: y = y * r
  localparam int Stages = 8;
  // Packed stage arrays written by one always_ff (Icarus mis-handles unpacked arrays written
  // element-wise from generate blocks when the module is instantiated inside a generate loop)
  logic [Stages:0][31:0] x_q;       // the input, travelling along
  logic [Stages:0][31:0] y_q;       // current estimate
  logic [Stages:0][31:0] r_q;       // intermediate of the step in flight
  logic [Stages-1:0][31:0] r_all;   // each stage's operation result

  for (genvar k = 0; k < Stages; k++) begin : g_stage
    logic [31:0] r;
    if (k % 4 == 0) begin : g_yy
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (.a_i(y_q[k]), .b_i(y_q[k]), .y_o(r));
    end else if (k % 4 == 1) begin : g_hx
      // -(x_r / 2), x_r = 2^odd * 1.m; (e - 127) is odd exactly when e is even
      logic [31:0] neg_half_x;
      assign neg_half_x = {1'b1, 8'(8'd126 + {7'd0, ~x_q[k][23]}), x_q[k][22:0]};
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (.a_i(neg_half_x), .b_i(r_q[k]), .y_o(r));
    end else if (k % 4 == 2) begin : g_add
      skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_add (.a_i(ThreeHalves), .b_i(r_q[k]),
                                                     .y_o(r));
    end else begin : g_y
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (.a_i(y_q[k]), .b_i(r_q[k]), .y_o(r));
    end
    assign r_all[k] = r;
  end

  always_ff @(posedge clk_i) if (en_i) begin
    x_q[0] <= x_i;
    y_q[0] <= rsqrt_table_y;
    r_q[0] <= '0;
    for (int k = 0; k < Stages; k++) begin
      x_q[k+1] <= x_q[k];
      if (k % 4 == 3) begin
        y_q[k+1] <= r_all[k];
        r_q[k+1] <= '0;
      end else begin
        y_q[k+1] <= y_q[k];
        r_q[k+1] <= r_all[k];
      end
    end
  end

  // Not every stage reads the intermediate of the previous one
  logic unused_rq;
  assign unused_rq = ^r_q;

  // Final stage: exponent and specials
  logic        s;
  logic [7:0]  e;
  logic [22:0] m;
  logic [30:0] yn;                  // the estimate is positive
  logic [31:0] y;
  logic signed [9:0] k2, re;
  assign {s, e, m} = x_q[Stages];
  assign yn = y_q[Stages][30:0];
  logic unused_sign;
  assign unused_sign = y_q[Stages][31];
  assign k2 = ($signed({2'b00, e}) - 10'sd127 - $signed({9'd0, ~e[0]})) >>> 1;
  assign re = $signed({2'b00, yn[30:23]}) - k2;
  assign y  = (e == 8'hFF)     ? ((m == '0 && !s) ? 32'd0 : 32'h7FC0_0000) :
              (e == 8'd0)      ? {s, 8'hFF, 23'd0} :                      // rsqrt(+-0) = +-Inf
              s                ? 32'h7FC0_0000 :                          // negative -> NaN
              (re >= 10'sd255) ? 32'h7F80_0000 : {1'b0, re[7:0], yn[22:0]};
  always_ff @(posedge clk_i) if (en_i) begin
    y_o <= y;
  end

endmodule
