// NPE reciprocal, FP32 in / FP32 out (docs/npe.md): a table on the 7 leading mantissa bits and
// two Newton steps y <- y * (2 - m * y) on the significand m in [1, 2) with the core's FP32
// units; sign and exponent handled apart. Fully pipelined, one input per cycle, a register after
// every FP operation: y_o is the result for the x_i presented NpeRecipLat (skipopu_pkg) cycles
// earlier. Datapath registers have no reset and hold while en_i is low. Bit-exact with
// model/npe_units.py:recip.

module skipopu_npe_recip
  import skipopu_pkg::*;
(
  input  logic        clk_i,
  input  logic        en_i,         // advance the pipeline (clock enable)
  input  logic [31:0] x_i,
  output logic [31:0] y_o
);

  localparam logic [31:0] Two = 32'h4000_0000;

  // BEGIN GENERATED (tools/gen_npe_tables.py): table from model/npe_units.py
  logic [6:0] recip_table_idx;
  logic [31:0] recip_table_y;
  always_comb begin
    unique case (recip_table_idx)
      7'd0: recip_table_y = 32'h3f7f00ff;
      7'd1: recip_table_y = 32'h3f7d08e5;
      7'd2: recip_table_y = 32'h3f7b1885;
      7'd3: recip_table_y = 32'h3f792fb2;
      7'd4: recip_table_y = 32'h3f774e40;
      7'd5: recip_table_y = 32'h3f757404;
      7'd6: recip_table_y = 32'h3f73a0d5;
      7'd7: recip_table_y = 32'h3f71d48c;
      7'd8: recip_table_y = 32'h3f700f01;
      7'd9: recip_table_y = 32'h3f6e500f;
      7'd10: recip_table_y = 32'h3f6c9791;
      7'd11: recip_table_y = 32'h3f6ae564;
      7'd12: recip_table_y = 32'h3f693965;
      7'd13: recip_table_y = 32'h3f679373;
      7'd14: recip_table_y = 32'h3f65f36d;
      7'd15: recip_table_y = 32'h3f645933;
      7'd16: recip_table_y = 32'h3f62c4a7;
      7'd17: recip_table_y = 32'h3f6135aa;
      7'd18: recip_table_y = 32'h3f5fac1f;
      7'd19: recip_table_y = 32'h3f5e27eb;
      7'd20: recip_table_y = 32'h3f5ca8f1;
      7'd21: recip_table_y = 32'h3f5b2f17;
      7'd22: recip_table_y = 32'h3f59ba42;
      7'd23: recip_table_y = 32'h3f584a5a;
      7'd24: recip_table_y = 32'h3f56df44;
      7'd25: recip_table_y = 32'h3f5578e9;
      7'd26: recip_table_y = 32'h3f541733;
      7'd27: recip_table_y = 32'h3f52ba08;
      7'd28: recip_table_y = 32'h3f516154;
      7'd29: recip_table_y = 32'h3f500d01;
      7'd30: recip_table_y = 32'h3f4ebcf9;
      7'd31: recip_table_y = 32'h3f4d7127;
      7'd32: recip_table_y = 32'h3f4c2978;
      7'd33: recip_table_y = 32'h3f4ae5d8;
      7'd34: recip_table_y = 32'h3f49a634;
      7'd35: recip_table_y = 32'h3f486a79;
      7'd36: recip_table_y = 32'h3f473294;
      7'd37: recip_table_y = 32'h3f45fe74;
      7'd38: recip_table_y = 32'h3f44ce08;
      7'd39: recip_table_y = 32'h3f43a13e;
      7'd40: recip_table_y = 32'h3f427806;
      7'd41: recip_table_y = 32'h3f415250;
      7'd42: recip_table_y = 32'h3f40300c;
      7'd43: recip_table_y = 32'h3f3f112b;
      7'd44: recip_table_y = 32'h3f3df59d;
      7'd45: recip_table_y = 32'h3f3cdd53;
      7'd46: recip_table_y = 32'h3f3bc841;
      7'd47: recip_table_y = 32'h3f3ab656;
      7'd48: recip_table_y = 32'h3f39a786;
      7'd49: recip_table_y = 32'h3f389bc3;
      7'd50: recip_table_y = 32'h3f379301;
      7'd51: recip_table_y = 32'h3f368d31;
      7'd52: recip_table_y = 32'h3f358a48;
      7'd53: recip_table_y = 32'h3f348a3a;
      7'd54: recip_table_y = 32'h3f338cfa;
      7'd55: recip_table_y = 32'h3f32927c;
      7'd56: recip_table_y = 32'h3f319ab6;
      7'd57: recip_table_y = 32'h3f30a59b;
      7'd58: recip_table_y = 32'h3f2fb322;
      7'd59: recip_table_y = 32'h3f2ec33e;
      7'd60: recip_table_y = 32'h3f2dd5e6;
      7'd61: recip_table_y = 32'h3f2ceb10;
      7'd62: recip_table_y = 32'h3f2c02b0;
      7'd63: recip_table_y = 32'h3f2b1cbe;
      7'd64: recip_table_y = 32'h3f2a392f;
      7'd65: recip_table_y = 32'h3f2957fb;
      7'd66: recip_table_y = 32'h3f287917;
      7'd67: recip_table_y = 32'h3f279c7b;
      7'd68: recip_table_y = 32'h3f26c21e;
      7'd69: recip_table_y = 32'h3f25e9f7;
      7'd70: recip_table_y = 32'h3f2513fd;
      7'd71: recip_table_y = 32'h3f244029;
      7'd72: recip_table_y = 32'h3f236e72;
      7'd73: recip_table_y = 32'h3f229ecf;
      7'd74: recip_table_y = 32'h3f21d13a;
      7'd75: recip_table_y = 32'h3f2105a9;
      7'd76: recip_table_y = 32'h3f203c17;
      7'd77: recip_table_y = 32'h3f1f747a;
      7'd78: recip_table_y = 32'h3f1eaecd;
      7'd79: recip_table_y = 32'h3f1deb07;
      7'd80: recip_table_y = 32'h3f1d2922;
      7'd81: recip_table_y = 32'h3f1c6917;
      7'd82: recip_table_y = 32'h3f1baadf;
      7'd83: recip_table_y = 32'h3f1aee73;
      7'd84: recip_table_y = 32'h3f1a33cd;
      7'd85: recip_table_y = 32'h3f197ae7;
      7'd86: recip_table_y = 32'h3f18c3bb;
      7'd87: recip_table_y = 32'h3f180e41;
      7'd88: recip_table_y = 32'h3f175a75;
      7'd89: recip_table_y = 32'h3f16a850;
      7'd90: recip_table_y = 32'h3f15f7cc;
      7'd91: recip_table_y = 32'h3f1548e5;
      7'd92: recip_table_y = 32'h3f149b93;
      7'd93: recip_table_y = 32'h3f13efd2;
      7'd94: recip_table_y = 32'h3f13459c;
      7'd95: recip_table_y = 32'h3f129cec;
      7'd96: recip_table_y = 32'h3f11f5bd;
      7'd97: recip_table_y = 32'h3f115009;
      7'd98: recip_table_y = 32'h3f10abcc;
      7'd99: recip_table_y = 32'h3f100901;
      7'd100: recip_table_y = 32'h3f0f67a2;
      7'd101: recip_table_y = 32'h3f0ec7ab;
      7'd102: recip_table_y = 32'h3f0e2918;
      7'd103: recip_table_y = 32'h3f0d8be3;
      7'd104: recip_table_y = 32'h3f0cf009;
      7'd105: recip_table_y = 32'h3f0c5584;
      7'd106: recip_table_y = 32'h3f0bbc51;
      7'd107: recip_table_y = 32'h3f0b246b;
      7'd108: recip_table_y = 32'h3f0a8dcd;
      7'd109: recip_table_y = 32'h3f09f874;
      7'd110: recip_table_y = 32'h3f09645c;
      7'd111: recip_table_y = 32'h3f08d181;
      7'd112: recip_table_y = 32'h3f083fde;
      7'd113: recip_table_y = 32'h3f07af70;
      7'd114: recip_table_y = 32'h3f072033;
      7'd115: recip_table_y = 32'h3f069223;
      7'd116: recip_table_y = 32'h3f06053c;
      7'd117: recip_table_y = 32'h3f05797c;
      7'd118: recip_table_y = 32'h3f04eedd;
      7'd119: recip_table_y = 32'h3f04655e;
      7'd120: recip_table_y = 32'h3f03dcf9;
      7'd121: recip_table_y = 32'h3f0355ad;
      7'd122: recip_table_y = 32'h3f02cf75;
      7'd123: recip_table_y = 32'h3f024a4e;
      7'd124: recip_table_y = 32'h3f01c636;
      7'd125: recip_table_y = 32'h3f014328;
      7'd126: recip_table_y = 32'h3f00c122;
      7'd127: recip_table_y = 32'h3f004020;
      default: recip_table_y = 32'h0;
    endcase
  end
  // END GENERATED
  assign recip_table_idx = x_i[22:16];

  // Stage k (k = 0..5) of Newton step k/3: op k%3 = 0: p = -m * y; 1: q = 2 + p; 2: y = y * q
  localparam int Stages = 6;
  // Packed stage arrays written by one always_ff (Icarus mis-handles unpacked arrays written
  // element-wise from generate blocks when the module is instantiated inside a generate loop)
  logic [Stages:0][31:0] x_q;       // the input, travelling along
  logic [Stages:0][31:0] y_q;       // current estimate
  logic [Stages:0][31:0] r_q;       // p or q of the step in flight
  logic [Stages-1:0][31:0] r_all;   // each stage's operation result

  for (genvar k = 0; k < Stages; k++) begin : g_stage
    logic [31:0] r;
    if (k % 3 == 0) begin : g_mxy
      logic [31:0] neg_xm;
      assign neg_xm = {1'b1, 8'd127, x_q[k][22:0]};   // -m, m = 1.mantissa in [1, 2)
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (.a_i(neg_xm), .b_i(y_q[k]), .y_o(r));
    end else if (k % 3 == 1) begin : g_two
      skipopu_fp_add #(.EXP_W(8), .MAN_W(23)) u_add (.a_i(Two), .b_i(r_q[k]), .y_o(r));
    end else begin : g_y
      skipopu_fp_mul #(.EXP_W(8), .MAN_W(23)) u_mul (.a_i(y_q[k]), .b_i(r_q[k]), .y_o(r));
    end
    assign r_all[k] = r;
  end

  always_ff @(posedge clk_i) if (en_i) begin
    x_q[0] <= x_i;
    y_q[0] <= recip_table_y;
    r_q[0] <= '0;
    for (int k = 0; k < Stages; k++) begin
      x_q[k+1] <= x_q[k];
      if (k % 3 == 2) begin
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
  logic signed [9:0] re;
  assign {s, e, m} = x_q[Stages];
  assign yn = y_q[Stages][30:0];
  logic unused_sign;
  assign unused_sign = y_q[Stages][31];
  assign re = $signed({2'b00, yn[30:23]}) - ($signed({2'b00, e}) - 10'sd127);
  assign y  = (e == 8'hFF)      ? ((m == '0) ? {s, 31'd0} : 32'h7FC0_0000) :
              (e == 8'd0)       ? {s, 8'hFF, 23'd0} :                     // 1/0 = Inf (DAZ)
              (re <= 10'sd0)    ? {s, 31'd0} :
              (re >= 10'sd255)  ? {s, 8'hFF, 23'd0} : {s, re[7:0], yn[22:0]};
  always_ff @(posedge clk_i) if (en_i) begin
    y_o <= y;
  end

endmodule
