// rmsnorm: RMSNorm of an F (Q12.20) vector, bit-exact with models.kernels.rmsnorm_fixed.
//
// Interface as a Vitis HLS export of hls/rmsnorm/rmsnorm.cpp: ap_ctrl_hs block
// protocol, x / w / out as single-port ap_memory (1-cycle read latency), n as ap_none.
// One 32x32 -> 64 signed multiplier is shared by every product; floor(ss / n) uses a
// sequential restoring divider. See docs/rtl-hls.md for the FSM and latency.
//
// FAULT (negative tests only): 1 = the final rshr truncates instead of rounding,
// 2 = every x read address is off by one (x[i+1] instead of x[i]).
module rmsnorm #(
    parameter LATENCY_PAD = 0,
    parameter FAULT = 0
) (
    input  wire        ap_clk,
    input  wire        ap_rst,
    input  wire        ap_start,
    output wire        ap_done,
    output wire        ap_idle,
    output wire        ap_ready,
    output wire [7:0]  x_address0,
    output wire        x_ce0,
    input  wire [31:0] x_q0,
    output wire [7:0]  w_address0,
    output wire        w_ce0,
    input  wire [31:0] w_q0,
    output wire [7:0]  out_address0,
    output wire        out_ce0,
    output wire        out_we0,
    output wire [31:0] out_d0,
    input  wire [31:0] n
);

  localparam [3:0] S_IDLE   = 4'd0,
                   S_SS_RD  = 4'd1,   // issue x[i] read
                   S_SS_ACC = 4'd2,   // ss += rshr(x*x, 20)
                   S_DIV    = 4'd3,   // ms = floor(ss / n), one quotient bit per cycle
                   S_PAD    = 4'd4,   // LATENCY_PAD idle cycles
                   S_INV0   = 4'd5,   // v = sat32(min(ms, 2^31-1) + EPS)
                   S_INV1   = 4'd6,   // normalise v to mr, look up y0
                   S_INV2   = 4'd7,   // y2 = rshr(y0*y0, 20)
                   S_INV3   = 4'd8,   // t  = rshr(mr*y2, 20)
                   S_INV4   = 4'd9,   // y1 = rshr(y0*(3*2^20 - t), 21)
                   S_INV5   = 4'd10,  // r  = shsat(y1, sh/2)
                   S_OUT_RD = 4'd11,  // issue x[i], w[i] reads
                   S_OUT_M1 = 4'd12,  // p = sat32(rshr(x*r, 20)), latch g = w[i]
                   S_OUT_M2 = 4'd13,  // o = sat32(rshr(p*g, 20))
                   S_OUT_WR = 4'd14,  // out[i] = o
                   S_DONE   = 4'd15;

  localparam signed [31:0] ONE = 32'sd1048576;
  localparam signed [63:0] EPS = 64'sd10;
  localparam signed [63:0] INT32_MAX = 64'sd2147483647;
  localparam signed [63:0] INT32_MIN = -64'sd2147483648;
  localparam [7:0] X_ADDR_SKEW = (FAULT == 2) ? 8'd1 : 8'd0;
  localparam [31:0] PAD_CYCLES = LATENCY_PAD;

  // BEGIN GENERATED invsqrt_lut
  // INVSQRT_LUT[j] = round(2^20 / sqrt(c_j)), docs/numerics.md (RMSNorm)
  function signed [31:0] invsqrt_lut;
    input [5:0] idx;
    begin
      case (idx)
        6'd0: invsqrt_lut = 32'sd1040479;
        6'd1: invsqrt_lut = 32'sd1024832;
        6'd2: invsqrt_lut = 32'sd1009870;
        6'd3: invsqrt_lut = 32'sd995545;
        6'd4: invsqrt_lut = 32'sd981812;
        6'd5: invsqrt_lut = 32'sd968633;
        6'd6: invsqrt_lut = 32'sd955971;
        6'd7: invsqrt_lut = 32'sd943792;
        6'd8: invsqrt_lut = 32'sd932068;
        6'd9: invsqrt_lut = 32'sd920769;
        6'd10: invsqrt_lut = 32'sd909872;
        6'd11: invsqrt_lut = 32'sd899353;
        6'd12: invsqrt_lut = 32'sd889191;
        6'd13: invsqrt_lut = 32'sd879365;
        6'd14: invsqrt_lut = 32'sd869858;
        6'd15: invsqrt_lut = 32'sd860653;
        6'd16: invsqrt_lut = 32'sd851734;
        6'd17: invsqrt_lut = 32'sd843087;
        6'd18: invsqrt_lut = 32'sd834698;
        6'd19: invsqrt_lut = 32'sd826554;
        6'd20: invsqrt_lut = 32'sd818644;
        6'd21: invsqrt_lut = 32'sd810957;
        6'd22: invsqrt_lut = 32'sd803483;
        6'd23: invsqrt_lut = 32'sd796211;
        6'd24: invsqrt_lut = 32'sd789134;
        6'd25: invsqrt_lut = 32'sd782242;
        6'd26: invsqrt_lut = 32'sd775527;
        6'd27: invsqrt_lut = 32'sd768982;
        6'd28: invsqrt_lut = 32'sd762601;
        6'd29: invsqrt_lut = 32'sd756375;
        6'd30: invsqrt_lut = 32'sd750300;
        6'd31: invsqrt_lut = 32'sd744369;
        6'd32: invsqrt_lut = 32'sd735730;
        6'd33: invsqrt_lut = 32'sd724665;
        6'd34: invsqrt_lut = 32'sd714086;
        6'd35: invsqrt_lut = 32'sd703956;
        6'd36: invsqrt_lut = 32'sd694246;
        6'd37: invsqrt_lut = 32'sd684927;
        6'd38: invsqrt_lut = 32'sd675973;
        6'd39: invsqrt_lut = 32'sd667362;
        6'd40: invsqrt_lut = 32'sd659071;
        6'd41: invsqrt_lut = 32'sd651082;
        6'd42: invsqrt_lut = 32'sd643377;
        6'd43: invsqrt_lut = 32'sd635939;
        6'd44: invsqrt_lut = 32'sd628753;
        6'd45: invsqrt_lut = 32'sd621805;
        6'd46: invsqrt_lut = 32'sd615083;
        6'd47: invsqrt_lut = 32'sd608574;
        6'd48: invsqrt_lut = 32'sd602267;
        6'd49: invsqrt_lut = 32'sd596152;
        6'd50: invsqrt_lut = 32'sd590220;
        6'd51: invsqrt_lut = 32'sd584462;
        6'd52: invsqrt_lut = 32'sd578869;
        6'd53: invsqrt_lut = 32'sd573433;
        6'd54: invsqrt_lut = 32'sd568148;
        6'd55: invsqrt_lut = 32'sd563007;
        6'd56: invsqrt_lut = 32'sd558002;
        6'd57: invsqrt_lut = 32'sd553128;
        6'd58: invsqrt_lut = 32'sd548380;
        6'd59: invsqrt_lut = 32'sd543753;
        6'd60: invsqrt_lut = 32'sd539240;
        6'd61: invsqrt_lut = 32'sd534838;
        6'd62: invsqrt_lut = 32'sd530542;
        6'd63: invsqrt_lut = 32'sd526348;
        default: invsqrt_lut = 32'sd0;
      endcase
    end
  endfunction
  // END GENERATED invsqrt_lut

  // rshr(x, s) = (x + 2^(s-1)) >> s, s in 0..62 (docs/numerics.md).
  function signed [63:0] rshr;
    input signed [63:0] x;
    input [5:0] s;
    begin
      if (s == 6'd0) rshr = x;
      else rshr = (x + (64'sd1 <<< (s - 6'd1))) >>> s;
    end
  endfunction

  function signed [31:0] sat32;
    input signed [63:0] x;
    begin
      if (x > INT32_MAX) sat32 = 32'sh7fffffff;
      else if (x < INT32_MIN) sat32 = 32'sh80000000;
      else sat32 = x[31:0];
    end
  endfunction

  // bitlen(v) - 1 for v > 0: position of the most significant one.
  function [4:0] msb_pos;
    input [31:0] v;
    integer b;
    begin
      msb_pos = 5'd0;
      for (b = 0; b < 32; b = b + 1)
        if (v[b]) msb_pos = b[4:0];
    end
  endfunction

  reg  [3:0]  state;
  reg  [31:0] n_r;
  reg  [31:0] i;
  reg  [31:0] pad_cnt;
  reg  [63:0] ss;
  // Restoring divider: quo shifts out dividend bits and shifts in quotient bits.
  reg  [63:0] quo;
  reg  [32:0] rem;
  reg  [6:0]  div_cnt;
  reg  signed [31:0] v;
  reg  signed [31:0] mr;
  reg  signed [5:0]  sh;
  reg  signed [31:0] y0;
  reg  signed [31:0] y2;
  reg  signed [31:0] t;
  reg  signed [31:0] y1;
  reg  signed [31:0] r;
  reg  signed [31:0] p;
  reg  signed [31:0] g;
  reg  signed [31:0] o;

  // The one shared multiplier: operands chosen by state.
  reg  signed [31:0] mul_a;
  reg  signed [31:0] mul_b;
  wire signed [63:0] prod = mul_a * mul_b;

  always @(*) begin
    case (state)
      S_SS_ACC: begin mul_a = x_q0;  mul_b = x_q0; end
      S_INV2:   begin mul_a = y0;    mul_b = y0; end
      S_INV3:   begin mul_a = mr;    mul_b = y2; end
      S_INV4:   begin mul_a = y0;    mul_b = 3 * ONE - t; end
      S_OUT_M1: begin mul_a = x_q0;  mul_b = r; end
      S_OUT_M2: begin mul_a = p;     mul_b = g; end
      default:  begin mul_a = 32'sd0; mul_b = 32'sd0; end
    endcase
  end

  // Divider step.
  wire [33:0] rem_sh = {rem, quo[63]};
  wire [33:0] rem_sub = rem_sh - {2'b00, n_r};
  wire        rem_ge = ~rem_sub[33];

  // invsqrtF front end (docs/numerics.md): p = bitlen(v)-1, E = p-20, o = E&1, sh = E-o.
  wire [4:0]         v_msb = msb_pos(v);
  wire signed [6:0]  big_e = $signed({2'b00, v_msb}) - 7'sd20;
  wire signed [6:0]  sh_w = big_e - {6'd0, big_e[0]};
  wire [6:0]         sh_neg = -sh_w;
  wire [31:0]        v_u = v;
  wire [31:0]        mr_w = sh_w[6] ? (v_u << sh_neg) : (v_u >> sh_w);
  wire [4:0]         mr_idx = big_e[0] ? mr_w[20:16] : mr_w[19:15];  // (mr >> (15+o)) & 31
  wire [5:0]         lut_idx = {big_e[0], mr_idx};

  wire signed [63:0] prod_r20 = rshr(prod, 6'd20);
  // y1 = rshr(y0*(3*2^20 - t), 21) lies in (2^19, 2^21) by construction (docs/numerics.md),
  // so only the low word of this rounding is kept.
  /* verilator lint_off UNUSEDSIGNAL */
  wire signed [63:0] prod_r21 = rshr(prod, 6'd21);
  /* verilator lint_on UNUSEDSIGNAL */
  wire signed [63:0] ms_clamped = (quo > INT32_MAX) ? INT32_MAX : $signed(quo);
  wire signed [63:0] y1_shifted = sh[5] ? ($signed({{32{y1[31]}}, y1}) <<< (-(sh >>> 1)))
                                        : rshr({{32{y1[31]}}, y1}, {1'b0, sh[5:1]});
  wire signed [63:0] out_rounded = (FAULT == 1) ? (prod >>> 20) : rshr(prod, 6'd20);

  always @(posedge ap_clk) begin
    if (ap_rst) begin
      state <= S_IDLE;
      n_r <= 32'd0;
      i <= 32'd0;
      pad_cnt <= 32'd0;
      ss <= 64'd0;
      quo <= 64'd0;
      rem <= 33'd0;
      div_cnt <= 7'd0;
      v <= 32'sd0;
      mr <= 32'sd0;
      sh <= 6'sd0;
      y0 <= 32'sd0;
      y2 <= 32'sd0;
      t <= 32'sd0;
      y1 <= 32'sd0;
      r <= 32'sd0;
      p <= 32'sd0;
      g <= 32'sd0;
      o <= 32'sd0;
    end else begin
      case (state)
        S_IDLE: if (ap_start) begin
          n_r <= n;
          i <= 32'd0;
          ss <= 64'd0;
          state <= (n == 32'd0) ? S_DIV : S_SS_RD;
          quo <= 64'd0;
          rem <= 33'd0;
          div_cnt <= 7'd0;
        end
        S_SS_RD: state <= S_SS_ACC;
        S_SS_ACC: begin
          ss <= ss + prod_r20;
          if (i + 32'd1 == n_r) begin
            quo <= ss + prod_r20;
            rem <= 33'd0;
            div_cnt <= 7'd0;
            state <= S_DIV;
          end else begin
            i <= i + 32'd1;
            state <= S_SS_RD;
          end
        end
        S_DIV: begin
          rem <= rem_ge ? rem_sub[32:0] : rem_sh[32:0];
          quo <= {quo[62:0], rem_ge};
          div_cnt <= div_cnt + 7'd1;
          if (div_cnt == 7'd63) begin
            pad_cnt <= 32'd0;
            state <= (PAD_CYCLES == 32'd0) ? S_INV0 : S_PAD;
          end
        end
        S_PAD: begin
          pad_cnt <= pad_cnt + 32'd1;
          if (pad_cnt + 32'd1 == PAD_CYCLES) state <= S_INV0;
        end
        S_INV0: begin
          // v = sat32(min(ms, 2^31-1) + EPS); normalisation happens from v next cycle.
          v <= sat32(ms_clamped + EPS);
          state <= S_INV1;
        end
        S_INV1: begin
          mr <= $signed(mr_w);
          sh <= sh_w[5:0];
          y0 <= invsqrt_lut(lut_idx);
          state <= S_INV2;
        end
        S_INV2: begin
          y2 <= prod_r20[31:0];
          state <= S_INV3;
        end
        S_INV3: begin
          t <= prod_r20[31:0];
          state <= S_INV4;
        end
        S_INV4: begin
          y1 <= prod_r21[31:0];
          state <= S_INV5;
        end
        S_INV5: begin
          r <= sat32(y1_shifted);
          i <= 32'd0;
          state <= (n_r == 32'd0) ? S_DONE : S_OUT_RD;
        end
        S_OUT_RD: state <= S_OUT_M1;
        S_OUT_M1: begin
          p <= sat32(prod_r20);
          g <= w_q0;
          state <= S_OUT_M2;
        end
        S_OUT_M2: begin
          o <= sat32(out_rounded);
          state <= S_OUT_WR;
        end
        S_OUT_WR: begin
          if (i + 32'd1 == n_r) state <= S_DONE;
          else begin
            i <= i + 32'd1;
            state <= S_OUT_RD;
          end
        end
        S_DONE: state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end

  assign ap_idle = (state == S_IDLE) && !ap_start;
  assign ap_done = (state == S_DONE);
  assign ap_ready = (state == S_DONE);
  assign x_ce0 = (state == S_SS_RD) || (state == S_OUT_RD);
  assign x_address0 = i[7:0] + X_ADDR_SKEW;
  assign w_ce0 = (state == S_OUT_RD);
  assign w_address0 = i[7:0];
  assign out_ce0 = (state == S_OUT_WR);
  assign out_we0 = (state == S_OUT_WR);
  assign out_address0 = i[7:0];
  assign out_d0 = o;

endmodule
