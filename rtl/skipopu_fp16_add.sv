// FP16 adder (docs/numerics.md): the FP16 instance of skipopu_fp_add. Bit-exact with
// model/fp16.py:fp16_add.

module skipopu_fp16_add (
  input  logic [15:0] a_i,
  input  logic [15:0] b_i,
  output logic [15:0] y_o
);

  skipopu_fp_add #(
    .EXP_W(5),
    .MAN_W(10)
  ) u_add (
    .a_i,
    .b_i,
    .y_o
  );

endmodule
