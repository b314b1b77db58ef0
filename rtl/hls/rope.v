// rope: rotary position embedding of an F (Q12.20) stream, bit-exact with
// models.kernels.rope_fixed (head_dim 16, seq_len 16).
//
// Interface as a Vitis HLS export of hls/rope/rope.cpp: ap_ctrl_chain block protocol,
// in_r / out_r as axis (TDATA/TVALID/TREADY/TKEEP/TSTRB/TLAST), pos and n as ap_none.
// Words are consumed in pairs (x0, x1); each pair is rotated with one shared
// 32x32 -> 64 multiplier over four cycles and written as two output beats, TLAST on
// word n-1. See docs/rtl-hls.md for the FSM and latency.
//
// FAULT (negative tests only): 1 = out_r_TLAST is never set, 2 = the table row is
// pos+1 instead of pos.
module rope #(
    parameter LATENCY_PAD = 0,
    parameter FAULT = 0
) (
    input  wire        ap_clk,
    input  wire        ap_rst_n,
    input  wire        ap_start,
    output wire        ap_done,
    output wire        ap_idle,
    output wire        ap_ready,
    input  wire        ap_continue,
    input  wire [31:0] in_r_TDATA,
    input  wire        in_r_TVALID,
    output wire        in_r_TREADY,
    // Side channels of the input stream carry nothing the kernel uses: the word count
    // comes from n, exactly as in the C++ (hls::stream reads ignore keep/strb/last).
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [3:0]  in_r_TKEEP,
    input  wire [3:0]  in_r_TSTRB,
    input  wire        in_r_TLAST,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire [31:0] out_r_TDATA,
    output wire        out_r_TVALID,
    input  wire        out_r_TREADY,
    output wire [3:0]  out_r_TKEEP,
    output wire [3:0]  out_r_TSTRB,
    output wire        out_r_TLAST,
    // pos < LDV_SEQ = 16 is the kernel's contract: only the table-row bits are read.
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0] pos,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0] n
);

  localparam [3:0] S_IDLE = 4'd0,
                   S_RD0  = 4'd1,   // accept x0
                   S_RD1  = 4'd2,   // accept x1
                   S_M0   = 4'd3,   // acc = x0*c
                   S_M1   = 4'd4,   // y0 = sat32(rshr(acc - x1*s, 20))
                   S_M2   = 4'd5,   // acc = x0*s
                   S_M3   = 4'd6,   // y1 = sat32(rshr(acc + x1*c, 20))
                   S_PAD  = 4'd7,   // LATENCY_PAD idle cycles per pair
                   S_WR0  = 4'd8,   // emit y0
                   S_WR1  = 4'd9,   // emit y1 (TLAST on word n-1)
                   S_DONE = 4'd10;  // ap_done held until ap_continue

  localparam signed [63:0] INT32_MAX = 64'sd2147483647;
  localparam signed [63:0] INT32_MIN = -64'sd2147483648;
  localparam [3:0] POS_SKEW = (FAULT == 2) ? 4'd1 : 4'd0;
  localparam [31:0] PAD_CYCLES = LATENCY_PAD;

  // BEGIN GENERATED rope_tables
  // ROPE_COS[pos * 8 + j] for pos < 16, j < 8, docs/numerics.md (RoPE)
  function signed [31:0] rope_cos;
    input [6:0] idx;
    begin
      case (idx)
        7'd0: rope_cos = 32'sd1048576;
        7'd1: rope_cos = 32'sd1048576;
        7'd2: rope_cos = 32'sd1048576;
        7'd3: rope_cos = 32'sd1048576;
        7'd4: rope_cos = 32'sd1048576;
        7'd5: rope_cos = 32'sd1048576;
        7'd6: rope_cos = 32'sd1048576;
        7'd7: rope_cos = 32'sd1048576;
        7'd8: rope_cos = 32'sd566548;
        7'd9: rope_cos = 32'sd996583;
        7'd10: rope_cos = 32'sd1043337;
        7'd11: rope_cos = 32'sd1048052;
        7'd12: rope_cos = 32'sd1048524;
        7'd13: rope_cos = 32'sd1048571;
        7'd14: rope_cos = 32'sd1048575;
        7'd15: rope_cos = 32'sd1048576;
        7'd16: rope_cos = -32'sd436362;
        7'd17: rope_cos = 32'sd845759;
        7'd18: rope_cos = 32'sd1027674;
        7'd19: rope_cos = 32'sd1046480;
        7'd20: rope_cos = 32'sd1048366;
        7'd21: rope_cos = 32'sd1048555;
        7'd22: rope_cos = 32'sd1048574;
        7'd23: rope_cos = 32'sd1048576;
        7'd24: rope_cos = -32'sd1038082;
        7'd25: rope_cos = 32'sd611061;
        7'd26: rope_cos = 32'sd1001743;
        7'd27: rope_cos = 32'sd1043861;
        7'd28: rope_cos = 32'sd1048104;
        7'd29: rope_cos = 32'sd1048529;
        7'd30: rope_cos = 32'sd1048571;
        7'd31: rope_cos = 32'sd1048576;
        7'd32: rope_cos = -32'sd685395;
        7'd33: rope_cos = 32'sd315766;
        7'd34: rope_cos = 32'sd965802;
        7'd35: rope_cos = 32'sd1040199;
        7'd36: rope_cos = 32'sd1047737;
        7'd37: rope_cos = 32'sd1048492;
        7'd38: rope_cos = 32'sd1048568;
        7'd39: rope_cos = 32'sd1048575;
        7'd40: rope_cos = 32'sd297441;
        7'd41: rope_cos = -32'sd10845;
        7'd42: rope_cos = 32'sd920212;
        7'd43: rope_cos = 32'sd1035496;
        7'd44: rope_cos = 32'sd1047266;
        7'd45: rope_cos = 32'sd1048445;
        7'd46: rope_cos = 32'sd1048563;
        7'd47: rope_cos = 32'sd1048575;
        7'd48: rope_cos = 32'sd1006812;
        7'd49: rope_cos = -32'sd336379;
        7'd50: rope_cos = 32'sd865427;
        7'd51: rope_cos = 32'sd1029758;
        7'd52: rope_cos = 32'sd1046689;
        7'd53: rope_cos = 32'sd1048387;
        7'd54: rope_cos = 32'sd1048557;
        7'd55: rope_cos = 32'sd1048574;
        7'd56: rope_cos = 32'sd790524;
        7'd57: rope_cos = -32'sd628556;
        7'd58: rope_cos = 32'sd801995;
        7'd59: rope_cos = 32'sd1022991;
        7'd60: rope_cos = 32'sd1046008;
        7'd61: rope_cos = 32'sd1048319;
        7'd62: rope_cos = 32'sd1048550;
        7'd63: rope_cos = 32'sd1048573;
        7'd64: rope_cos = -32'sd152568;
        7'd65: rope_cos = -32'sd858398;
        7'd66: rope_cos = 32'sd730550;
        7'd67: rope_cos = 32'sd1015200;
        7'd68: rope_cos = 32'sd1045222;
        7'd69: rope_cos = 32'sd1048240;
        7'd70: rope_cos = 32'sd1048542;
        7'd71: rope_cos = 32'sd1048573;
        7'd72: rope_cos = -32'sd955389;
        7'd73: rope_cos = -32'sd1003114;
        7'd74: rope_cos = 32'sd651805;
        7'd75: rope_cos = 32'sd1006395;
        7'd76: rope_cos = 32'sd1044332;
        7'd77: rope_cos = 32'sd1048151;
        7'd78: rope_cos = 32'sd1048534;
        7'd79: rope_cos = 32'sd1048572;
        7'd80: rope_cos = -32'sd879830;
        7'd81: rope_cos = -32'sd1048352;
        7'd82: rope_cos = 32'sd566548;
        7'd83: rope_cos = 32'sd996583;
        7'd84: rope_cos = 32'sd1043337;
        7'd85: rope_cos = 32'sd1048052;
        7'd86: rope_cos = 32'sd1048524;
        7'd87: rope_cos = 32'sd1048571;
        7'd88: rope_cos = 32'sd4641;
        7'd89: rope_cos = -32'sd989625;
        7'd90: rope_cos = 32'sd475630;
        7'd91: rope_cos = 32'sd985774;
        7'd92: rope_cos = 32'sd1042239;
        7'd93: rope_cos = 32'sd1047942;
        7'd94: rope_cos = 32'sd1048513;
        7'd95: rope_cos = 32'sd1048570;
        7'd96: rope_cos = 32'sd884845;
        7'd97: rope_cos = -32'sd832757;
        7'd98: rope_cos = 32'sd379960;
        7'd99: rope_cos = 32'sd973980;
        7'd100: rope_cos = 32'sd1041035;
        7'd101: rope_cos = 32'sd1047821;
        7'd102: rope_cos = 32'sd1048501;
        7'd103: rope_cos = 32'sd1048568;
        7'd104: rope_cos = 32'sd951527;
        7'd105: rope_cos = -32'sd593306;
        7'd106: rope_cos = 32'sd280493;
        7'd107: rope_cos = 32'sd961212;
        7'd108: rope_cos = 32'sd1039728;
        7'd109: rope_cos = 32'sd1047690;
        7'd110: rope_cos = 32'sd1048487;
        7'd111: rope_cos = 32'sd1048567;
        7'd112: rope_cos = 32'sd143379;
        7'd113: rope_cos = -32'sd295016;
        7'd114: rope_cos = 32'sd178223;
        7'd115: rope_cos = 32'sd947483;
        7'd116: rope_cos = 32'sd1038317;
        7'd117: rope_cos = 32'sd1047549;
        7'd118: rope_cos = 32'sd1048473;
        7'd119: rope_cos = 32'sd1048566;
        7'd120: rope_cos = -32'sd796591;
        7'd121: rope_cos = 32'sd32529;
        7'd122: rope_cos = 32'sd74173;
        7'd123: rope_cos = 32'sd932807;
        7'd124: rope_cos = 32'sd1036802;
        7'd125: rope_cos = 32'sd1047397;
        7'd126: rope_cos = 32'sd1048458;
        7'd127: rope_cos = 32'sd1048564;
        default: rope_cos = 32'sd0;
      endcase
    end
  endfunction
  // ROPE_SIN[pos * 8 + j] for pos < 16, j < 8, docs/numerics.md (RoPE)
  function signed [31:0] rope_sin;
    input [6:0] idx;
    begin
      case (idx)
        7'd0: rope_sin = 32'sd0;
        7'd1: rope_sin = 32'sd0;
        7'd2: rope_sin = 32'sd0;
        7'd3: rope_sin = 32'sd0;
        7'd4: rope_sin = 32'sd0;
        7'd5: rope_sin = 32'sd0;
        7'd6: rope_sin = 32'sd0;
        7'd7: rope_sin = 32'sd0;
        7'd8: rope_sin = 32'sd882346;
        7'd9: rope_sin = 32'sd326090;
        7'd10: rope_sin = 32'sd104683;
        7'd11: rope_sin = 32'sd33153;
        7'd12: rope_sin = 32'sd10486;
        7'd13: rope_sin = 32'sd3316;
        7'd14: rope_sin = 32'sd1049;
        7'd15: rope_sin = 32'sd332;
        7'd16: rope_sin = 32'sd953467;
        7'd17: rope_sin = 32'sd619842;
        7'd18: rope_sin = 32'sd208320;
        7'd19: rope_sin = 32'sd66274;
        7'd20: rope_sin = 32'sd20970;
        7'd21: rope_sin = 32'sd6632;
        7'd22: rope_sin = 32'sd2097;
        7'd23: rope_sin = 32'sd663;
        7'd24: rope_sin = 32'sd147975;
        7'd25: rope_sin = 32'sd852124;
        7'd26: rope_sin = 32'sd309875;
        7'd27: rope_sin = 32'sd99328;
        7'd28: rope_sin = 32'sd31453;
        7'd29: rope_sin = 32'sd9948;
        7'd30: rope_sin = 32'sd3146;
        7'd31: rope_sin = 32'sd995;
        7'd32: rope_sin = -32'sd793565;
        7'd33: rope_sin = 32'sd999902;
        7'd34: rope_sin = 32'sd408335;
        7'd35: rope_sin = 32'sd132282;
        7'd36: rope_sin = 32'sd41932;
        7'd37: rope_sin = 32'sd13263;
        7'd38: rope_sin = 32'sd4194;
        7'd39: rope_sin = 32'sd1326;
        7'd40: rope_sin = -32'sd1005505;
        7'd41: rope_sin = 32'sd1048520;
        7'd42: rope_sin = 32'sd502714;
        7'd43: rope_sin = 32'sd165104;
        7'd44: rope_sin = 32'sd52407;
        7'd45: rope_sin = 32'sd16579;
        7'd46: rope_sin = 32'sd5243;
        7'd47: rope_sin = 32'sd1658;
        7'd48: rope_sin = -32'sd292988;
        7'd49: rope_sin = 32'sd993157;
        7'd50: rope_sin = 32'sd592071;
        7'd51: rope_sin = 32'sd197762;
        7'd52: rope_sin = 32'sd62877;
        7'd53: rope_sin = 32'sd19894;
        7'd54: rope_sin = 32'sd6291;
        7'd55: rope_sin = 32'sd1990;
        7'd56: rope_sin = 32'sd688900;
        7'd57: rope_sin = 32'sd839303;
        7'd58: rope_sin = 32'sd675511;
        7'd59: rope_sin = 32'sd230221;
        7'd60: rope_sin = 32'sd73340;
        7'd61: rope_sin = 32'sd23209;
        7'd62: rope_sin = 32'sd7340;
        7'd63: rope_sin = 32'sd2321;
        7'd64: rope_sin = 32'sd1037417;
        7'd65: rope_sin = 32'sd602216;
        7'd66: rope_sin = 32'sd752202;
        7'd67: rope_sin = 32'sd262451;
        7'd68: rope_sin = 32'sd83797;
        7'd69: rope_sin = 32'sd26524;
        7'd70: rope_sin = 32'sd8389;
        7'd71: rope_sin = 32'sd2653;
        7'd72: rope_sin = 32'sd432138;
        7'd73: rope_sin = 32'sd305407;
        7'd74: rope_sin = 32'sd821378;
        7'd75: rope_sin = 32'sd294417;
        7'd76: rope_sin = 32'sd94244;
        7'd77: rope_sin = 32'sd29839;
        7'd78: rope_sin = 32'sd9437;
        7'd79: rope_sin = 32'sd2984;
        7'd80: rope_sin = -32'sd570447;
        7'd81: rope_sin = -32'sd21688;
        7'd82: rope_sin = 32'sd882346;
        7'd83: rope_sin = 32'sd326090;
        7'd84: rope_sin = 32'sd104683;
        7'd85: rope_sin = 32'sd33153;
        7'd86: rope_sin = 32'sd10486;
        7'd87: rope_sin = 32'sd3316;
        7'd88: rope_sin = -32'sd1048566;
        7'd89: rope_sin = -32'sd346633;
        7'd90: rope_sin = 32'sd934499;
        7'd91: rope_sin = 32'sd357436;
        7'd92: rope_sin = 32'sd115111;
        7'd93: rope_sin = 32'sd36467;
        7'd94: rope_sin = 32'sd11534;
        7'd95: rope_sin = 32'sd3647;
        7'd96: rope_sin = -32'sd562637;
        7'd97: rope_sin = -32'sd637202;
        7'd98: rope_sin = 32'sd977314;
        7'd99: rope_sin = 32'sd388425;
        7'd100: rope_sin = 32'sd125527;
        7'd101: rope_sin = 32'sd39781;
        7'd102: rope_sin = 32'sd12583;
        7'd103: rope_sin = 32'sd3979;
        7'd104: rope_sin = 32'sd440577;
        7'd105: rope_sin = -32'sd864581;
        7'd106: rope_sin = 32'sd1010364;
        7'd107: rope_sin = 32'sd419026;
        7'd108: rope_sin = 32'sd135931;
        7'd109: rope_sin = 32'sd43094;
        7'd110: rope_sin = 32'sd13631;
        7'd111: rope_sin = 32'sd4311;
        7'd112: rope_sin = 32'sd1038727;
        7'd113: rope_sin = -32'sd1006219;
        7'd114: rope_sin = 32'sd1033319;
        7'd115: rope_sin = 32'sd449208;
        7'd116: rope_sin = 32'sd146322;
        7'd117: rope_sin = 32'sd46407;
        7'd118: rope_sin = 32'sd14680;
        7'd119: rope_sin = 32'sd4642;
        7'd120: rope_sin = 32'sd681876;
        7'd121: rope_sin = -32'sd1048071;
        7'd122: rope_sin = 32'sd1045949;
        7'd123: rope_sin = 32'sd478940;
        7'd124: rope_sin = 32'sd156697;
        7'd125: rope_sin = 32'sd49720;
        7'd126: rope_sin = 32'sd15728;
        7'd127: rope_sin = 32'sd4974;
        default: rope_sin = 32'sd0;
      endcase
    end
  endfunction
  // END GENERATED rope_tables

  function signed [63:0] rshr20;
    input signed [63:0] x;
    begin
      rshr20 = (x + 64'sd524288) >>> 20;
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

  reg  [3:0]  state;
  reg  [31:0] n_r;
  reg  [3:0]  pos_r;
  reg  [31:0] k;        // index of x0 of the current pair
  reg  [31:0] pad_cnt;
  reg  signed [31:0] x0;
  reg  signed [31:0] x1;
  reg  signed [63:0] acc;
  reg  signed [31:0] y0;
  reg  signed [31:0] y1;

  // Table index {pos, j} with j = (k mod 16) / 2.
  wire [6:0]  tab_idx = {pos_r + POS_SKEW, k[3:1]};
  wire signed [31:0] c = rope_cos(tab_idx);
  wire signed [31:0] s = rope_sin(tab_idx);
  wire        last_pair = (k + 32'd2 >= n_r);

  reg  signed [31:0] mul_a;
  reg  signed [31:0] mul_b;
  wire signed [63:0] prod = mul_a * mul_b;

  always @(*) begin
    case (state)
      S_M0:    begin mul_a = x0; mul_b = c; end
      S_M1:    begin mul_a = x1; mul_b = s; end
      S_M2:    begin mul_a = x0; mul_b = s; end
      S_M3:    begin mul_a = x1; mul_b = c; end
      default: begin mul_a = 32'sd0; mul_b = 32'sd0; end
    endcase
  end

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      state <= S_IDLE;
      n_r <= 32'd0;
      pos_r <= 4'd0;
      k <= 32'd0;
      pad_cnt <= 32'd0;
      x0 <= 32'sd0;
      x1 <= 32'sd0;
      acc <= 64'sd0;
      y0 <= 32'sd0;
      y1 <= 32'sd0;
    end else begin
      case (state)
        S_IDLE: if (ap_start) begin
          n_r <= n;
          pos_r <= pos[3:0];
          k <= 32'd0;
          state <= (n == 32'd0) ? S_DONE : S_RD0;
        end
        S_RD0: if (in_r_TVALID) begin
          x0 <= in_r_TDATA;
          state <= S_RD1;
        end
        S_RD1: if (in_r_TVALID) begin
          x1 <= in_r_TDATA;
          state <= S_M0;
        end
        S_M0: begin
          acc <= prod;
          state <= S_M1;
        end
        S_M1: begin
          y0 <= sat32(rshr20(acc - prod));
          state <= S_M2;
        end
        S_M2: begin
          acc <= prod;
          state <= S_M3;
        end
        S_M3: begin
          y1 <= sat32(rshr20(acc + prod));
          pad_cnt <= 32'd0;
          state <= (PAD_CYCLES == 32'd0) ? S_WR0 : S_PAD;
        end
        S_PAD: begin
          pad_cnt <= pad_cnt + 32'd1;
          if (pad_cnt + 32'd1 == PAD_CYCLES) state <= S_WR0;
        end
        S_WR0: if (out_r_TREADY) state <= S_WR1;
        S_WR1: if (out_r_TREADY) begin
          if (last_pair) state <= S_DONE;
          else begin
            k <= k + 32'd2;
            state <= S_RD0;
          end
        end
        S_DONE: if (ap_continue) state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end

  assign ap_idle = (state == S_IDLE) && !ap_start;
  assign ap_done = (state == S_DONE);
  // Inputs are consumed once the last word of the stream has been accepted.
  assign ap_ready = ((state == S_RD1) && in_r_TVALID && last_pair)
                 || ((state == S_IDLE) && ap_start && (n == 32'd0));
  assign in_r_TREADY = (state == S_RD0) || (state == S_RD1);
  assign out_r_TVALID = (state == S_WR0) || (state == S_WR1);
  assign out_r_TDATA = (state == S_WR1) ? y1 : y0;
  assign out_r_TKEEP = 4'hf;
  assign out_r_TSTRB = 4'hf;
  assign out_r_TLAST = (FAULT != 1) && (state == S_WR1) && last_pair;

endmodule
