// matmul: y = W x over int8 rows with per-row exponents, bit-exact with
// models.kernels.matvec_fixed.
//
// Interface as a Vitis HLS export of hls/matmul/matmul.cpp: an s_axi_control slave
// carrying ap_ctrl_hs and every argument (register map in xmatmul_hw.h) and one AXI4
// m_axi master, bundle gmem (64-bit addresses, 32-bit data). Byte arrays are fetched
// as INCR bursts of aligned words (split at 4 KiB boundaries) and unpacked one byte
// per cycle; x and w_exp are buffered locally, each row of w streams through one
// 8x8 MAC. Each y[i] is written as a single-beat burst. See docs/rtl-hls.md.
//
// FAULT (negative tests only): 1 = the scale shift truncates instead of rounding,
// 2 = ap_done (and so ISR/interrupt) fires when the last y write's data is accepted,
// before its B response.
module matmul #(
    parameter LATENCY_PAD = 0,
    parameter FAULT = 0
) (
    input  wire        ap_clk,
    input  wire        ap_rst_n,
    // `interrupt` is the name every Vitis export gives this pin; it only collides
    // with a C++ keyword-like word inside Verilator's generated model, where it is
    // mangled safely.
    /* verilator lint_off SYMRSVDWORD */
    output wire        interrupt,
    /* verilator lint_on SYMRSVDWORD */
    // s_axi_control
    input  wire        s_axi_control_AWVALID,
    output wire        s_axi_control_AWREADY,
    input  wire [6:0]  s_axi_control_AWADDR,
    input  wire        s_axi_control_WVALID,
    output wire        s_axi_control_WREADY,
    input  wire [31:0] s_axi_control_WDATA,
    input  wire [3:0]  s_axi_control_WSTRB,
    input  wire        s_axi_control_ARVALID,
    output wire        s_axi_control_ARREADY,
    input  wire [6:0]  s_axi_control_ARADDR,
    output wire        s_axi_control_RVALID,
    input  wire        s_axi_control_RREADY,
    output wire [31:0] s_axi_control_RDATA,
    output wire [1:0]  s_axi_control_RRESP,
    output wire        s_axi_control_BVALID,
    input  wire        s_axi_control_BREADY,
    output wire [1:0]  s_axi_control_BRESP,
    // m_axi_gmem
    output wire        m_axi_gmem_AWVALID,
    input  wire        m_axi_gmem_AWREADY,
    output wire [63:0] m_axi_gmem_AWADDR,
    output wire [0:0]  m_axi_gmem_AWID,
    output wire [7:0]  m_axi_gmem_AWLEN,
    output wire [2:0]  m_axi_gmem_AWSIZE,
    output wire [1:0]  m_axi_gmem_AWBURST,
    output wire [1:0]  m_axi_gmem_AWLOCK,
    output wire [3:0]  m_axi_gmem_AWCACHE,
    output wire [2:0]  m_axi_gmem_AWPROT,
    output wire [3:0]  m_axi_gmem_AWQOS,
    output wire [3:0]  m_axi_gmem_AWREGION,
    output wire [0:0]  m_axi_gmem_AWUSER,
    output wire        m_axi_gmem_WVALID,
    input  wire        m_axi_gmem_WREADY,
    output wire [31:0] m_axi_gmem_WDATA,
    output wire [3:0]  m_axi_gmem_WSTRB,
    output wire        m_axi_gmem_WLAST,
    output wire [0:0]  m_axi_gmem_WID,
    output wire [0:0]  m_axi_gmem_WUSER,
    output wire        m_axi_gmem_ARVALID,
    input  wire        m_axi_gmem_ARREADY,
    output wire [63:0] m_axi_gmem_ARADDR,
    output wire [0:0]  m_axi_gmem_ARID,
    output wire [7:0]  m_axi_gmem_ARLEN,
    output wire [2:0]  m_axi_gmem_ARSIZE,
    output wire [1:0]  m_axi_gmem_ARBURST,
    output wire [1:0]  m_axi_gmem_ARLOCK,
    output wire [3:0]  m_axi_gmem_ARCACHE,
    output wire [2:0]  m_axi_gmem_ARPROT,
    output wire [3:0]  m_axi_gmem_ARQOS,
    output wire [3:0]  m_axi_gmem_ARREGION,
    output wire [0:0]  m_axi_gmem_ARUSER,
    input  wire        m_axi_gmem_RVALID,
    output wire        m_axi_gmem_RREADY,
    input  wire [31:0] m_axi_gmem_RDATA,
    input  wire        m_axi_gmem_RLAST,
    // Read/write response IDs, user bits and error codes are accepted but not acted
    // on, as in a Vitis export (a slave error cannot be reported through ap_ctrl_hs).
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [0:0]  m_axi_gmem_RID,
    input  wire [0:0]  m_axi_gmem_RUSER,
    input  wire [1:0]  m_axi_gmem_RRESP,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire        m_axi_gmem_BVALID,
    output wire        m_axi_gmem_BREADY,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [1:0]  m_axi_gmem_BRESP,
    input  wire [0:0]  m_axi_gmem_BID,
    input  wire [0:0]  m_axi_gmem_BUSER
    /* verilator lint_on UNUSEDSIGNAL */
);

  // ---------------------------------------------------------------------------
  // s_axi_control: the standard Vitis register map (xmatmul_hw.h)
  // ---------------------------------------------------------------------------
  localparam [6:0] ADDR_AP_CTRL    = 7'h00,
                   ADDR_GIE        = 7'h04,
                   ADDR_IER        = 7'h08,
                   ADDR_ISR        = 7'h0c,
                   ADDR_W_DATA_0   = 7'h10,
                   ADDR_W_DATA_1   = 7'h14,
                   ADDR_WEXP_DATA_0 = 7'h1c,
                   ADDR_WEXP_DATA_1 = 7'h20,
                   ADDR_X_DATA_0   = 7'h28,
                   ADDR_X_DATA_1   = 7'h2c,
                   ADDR_XEXP_DATA_0 = 7'h34,
                   ADDR_Y_DATA_0   = 7'h3c,
                   ADDR_Y_DATA_1   = 7'h40,
                   ADDR_N_DATA_0   = 7'h48,
                   ADDR_D_DATA_0   = 7'h50;

  localparam [1:0] WRIDLE = 2'd0, WRDATA = 2'd1, WRRESP = 2'd2;
  localparam [1:0] RDIDLE = 2'd0, RDDATA = 2'd1;

  wire        ap_start;
  wire        ap_done;
  wire        ap_idle;
  wire        ap_ready;

  reg  [1:0]  wstate;
  reg  [1:0]  rstate;
  reg  [6:0]  waddr;
  reg  [31:0] rdata;
  reg         int_ap_start;
  reg         int_ap_done;
  reg         int_ap_idle;
  reg         int_ap_ready;
  reg         int_auto_restart;
  reg         int_gie;
  reg  [1:0]  int_ier;
  reg  [1:0]  int_isr;
  reg  [63:0] int_w;
  reg  [63:0] int_w_exp;
  reg  [63:0] int_x;
  reg  [31:0] int_x_exp;
  reg  [63:0] int_y;
  reg  [31:0] int_n;
  reg  [31:0] int_d;

  wire aw_hs = s_axi_control_AWVALID && s_axi_control_AWREADY;
  wire w_hs = s_axi_control_WVALID && s_axi_control_WREADY;
  wire ar_hs = s_axi_control_ARVALID && s_axi_control_ARREADY;
  wire [31:0] wmask = {{8{s_axi_control_WSTRB[3]}}, {8{s_axi_control_WSTRB[2]}},
                       {8{s_axi_control_WSTRB[1]}}, {8{s_axi_control_WSTRB[0]}}};

  function [31:0] merge;
    input [31:0] old;
    input [31:0] data;
    input [31:0] mask;
    begin
      merge = (data & mask) | (old & ~mask);
    end
  endfunction

  assign s_axi_control_AWREADY = (wstate == WRIDLE);
  assign s_axi_control_WREADY = (wstate == WRDATA);
  assign s_axi_control_BVALID = (wstate == WRRESP);
  assign s_axi_control_BRESP = 2'b00;
  assign s_axi_control_ARREADY = (rstate == RDIDLE);
  assign s_axi_control_RVALID = (rstate == RDDATA);
  assign s_axi_control_RDATA = rdata;
  assign s_axi_control_RRESP = 2'b00;
  assign interrupt = int_gie && (|int_isr);
  assign ap_start = int_ap_start;

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      wstate <= WRIDLE;
      waddr <= 7'd0;
    end else begin
      case (wstate)
        WRIDLE: if (aw_hs) begin
          waddr <= s_axi_control_AWADDR;
          wstate <= WRDATA;
        end
        WRDATA: if (w_hs) wstate <= WRRESP;
        WRRESP: if (s_axi_control_BREADY) wstate <= WRIDLE;
        default: wstate <= WRIDLE;
      endcase
    end
  end

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      rstate <= RDIDLE;
      rdata <= 32'd0;
    end else begin
      case (rstate)
        RDIDLE: if (ar_hs) begin
          rstate <= RDDATA;
          case (s_axi_control_ARADDR)
            ADDR_AP_CTRL:     rdata <= {22'd0, interrupt, 1'b0, int_auto_restart, 3'd0,
                                        int_ap_ready, int_ap_idle, int_ap_done, int_ap_start};
            ADDR_GIE:         rdata <= {31'd0, int_gie};
            ADDR_IER:         rdata <= {30'd0, int_ier};
            ADDR_ISR:         rdata <= {30'd0, int_isr};
            ADDR_W_DATA_0:    rdata <= int_w[31:0];
            ADDR_W_DATA_1:    rdata <= int_w[63:32];
            ADDR_WEXP_DATA_0: rdata <= int_w_exp[31:0];
            ADDR_WEXP_DATA_1: rdata <= int_w_exp[63:32];
            ADDR_X_DATA_0:    rdata <= int_x[31:0];
            ADDR_X_DATA_1:    rdata <= int_x[63:32];
            ADDR_XEXP_DATA_0: rdata <= int_x_exp;
            ADDR_Y_DATA_0:    rdata <= int_y[31:0];
            ADDR_Y_DATA_1:    rdata <= int_y[63:32];
            ADDR_N_DATA_0:    rdata <= int_n;
            ADDR_D_DATA_0:    rdata <= int_d;
            default:          rdata <= 32'd0;
          endcase
        end
        RDDATA: if (s_axi_control_RREADY) rstate <= RDIDLE;
        default: rstate <= RDIDLE;
      endcase
    end
  end

  wire ctrl_read = ar_hs && (s_axi_control_ARADDR == ADDR_AP_CTRL);

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      int_ap_start <= 1'b0;
      int_ap_done <= 1'b0;
      int_ap_idle <= 1'b0;
      int_ap_ready <= 1'b0;
      int_auto_restart <= 1'b0;
      int_gie <= 1'b0;
      int_ier <= 2'b00;
      int_isr <= 2'b00;
      int_w <= 64'd0;
      int_w_exp <= 64'd0;
      int_x <= 64'd0;
      int_x_exp <= 32'd0;
      int_y <= 64'd0;
      int_n <= 32'd0;
      int_d <= 32'd0;
    end else begin
      // ap_start: set by writing 1, cleared by ap_ready unless auto_restart is set.
      if (w_hs && waddr == ADDR_AP_CTRL && s_axi_control_WSTRB[0] && s_axi_control_WDATA[0])
        int_ap_start <= 1'b1;
      else if (ap_ready)
        int_ap_start <= int_auto_restart;
      // ap_done / ap_ready: sticky, clear on read of the control register.
      if (ap_done) int_ap_done <= 1'b1;
      else if (ctrl_read) int_ap_done <= 1'b0;
      if (ap_ready) int_ap_ready <= 1'b1;
      else if (ctrl_read) int_ap_ready <= 1'b0;
      int_ap_idle <= ap_idle;
      if (w_hs && waddr == ADDR_AP_CTRL && s_axi_control_WSTRB[0])
        int_auto_restart <= s_axi_control_WDATA[7];
      if (w_hs && waddr == ADDR_GIE && s_axi_control_WSTRB[0])
        int_gie <= s_axi_control_WDATA[0];
      if (w_hs && waddr == ADDR_IER && s_axi_control_WSTRB[0])
        int_ier <= s_axi_control_WDATA[1:0];
      // ISR: set by an enabled event, toggled by writing 1 (TOW).
      if (int_ier[0] && ap_done) int_isr[0] <= 1'b1;
      else if (w_hs && waddr == ADDR_ISR && s_axi_control_WSTRB[0])
        int_isr[0] <= int_isr[0] ^ s_axi_control_WDATA[0];
      if (int_ier[1] && ap_ready) int_isr[1] <= 1'b1;
      else if (w_hs && waddr == ADDR_ISR && s_axi_control_WSTRB[0])
        int_isr[1] <= int_isr[1] ^ s_axi_control_WDATA[1];
      if (w_hs) begin
        case (waddr)
          ADDR_W_DATA_0:    int_w[31:0] <= merge(int_w[31:0], s_axi_control_WDATA, wmask);
          ADDR_W_DATA_1:    int_w[63:32] <= merge(int_w[63:32], s_axi_control_WDATA, wmask);
          ADDR_WEXP_DATA_0: int_w_exp[31:0] <= merge(int_w_exp[31:0], s_axi_control_WDATA, wmask);
          ADDR_WEXP_DATA_1: int_w_exp[63:32] <= merge(int_w_exp[63:32], s_axi_control_WDATA, wmask);
          ADDR_X_DATA_0:    int_x[31:0] <= merge(int_x[31:0], s_axi_control_WDATA, wmask);
          ADDR_X_DATA_1:    int_x[63:32] <= merge(int_x[63:32], s_axi_control_WDATA, wmask);
          ADDR_XEXP_DATA_0: int_x_exp <= merge(int_x_exp, s_axi_control_WDATA, wmask);
          ADDR_Y_DATA_0:    int_y[31:0] <= merge(int_y[31:0], s_axi_control_WDATA, wmask);
          ADDR_Y_DATA_1:    int_y[63:32] <= merge(int_y[63:32], s_axi_control_WDATA, wmask);
          ADDR_N_DATA_0:    int_n <= merge(int_n, s_axi_control_WDATA, wmask);
          ADDR_D_DATA_0:    int_d <= merge(int_d, s_axi_control_WDATA, wmask);
          default: ;
        endcase
      end
    end
  end

  // ---------------------------------------------------------------------------
  // Kernel (ap_ctrl_hs, driven by the control register)
  // ---------------------------------------------------------------------------
  localparam [3:0] S_IDLE    = 4'd0,
                   S_SETUP   = 4'd1,   // start fetching the next byte range
                   S_AR      = 4'd2,   // issue one read burst
                   S_R       = 4'd3,   // accept one data beat
                   S_UNPACK  = 4'd4,   // consume its bytes, one per cycle
                   S_SCALE   = 4'd5,   // y = shsat(acc, -(w_exp[i] + x_exp + 20))
                   S_PAD     = 4'd6,   // LATENCY_PAD idle cycles per row
                   S_WREQ    = 4'd7,   // AW and W of y[i]
                   S_WRESP   = 4'd8,   // B of y[i]
                   S_DONE    = 4'd9;

  localparam [1:0] DEST_X = 2'd0, DEST_WEXP = 2'd1, DEST_ROW = 2'd2;
  localparam signed [63:0] INT32_MAX = 64'sd2147483647;
  localparam signed [63:0] INT32_MIN = -64'sd2147483648;
  localparam [31:0] PAD_CYCLES = LATENCY_PAD;

  reg  [3:0]  state;
  reg  [1:0]  dest;
  reg  [63:0] arg_w_exp;
  reg  [63:0] arg_x;
  reg  signed [31:0] arg_x_exp;
  reg  [31:0] arg_n;
  reg  [31:0] arg_d;
  reg  [63:0] row_addr;     // w + i*n
  reg  [63:0] y_addr;       // y + 4*i
  reg  [31:0] row;          // i
  reg  [63:0] rd_addr;      // next burst address (word aligned)
  reg  [31:0] words_left;   // words not yet requested
  reg  [31:0] bytes_left;   // bytes of the range not yet consumed
  reg  [31:0] byte_idx;     // index of the next byte within the range
  reg  [1:0]  lane;         // byte lane of the current beat
  reg  [1:0]  first_lane;   // lane of the range's first byte, used by the first beat
  reg  [31:0] beat;
  reg         beat_last;
  reg  signed [31:0] acc;
  reg  signed [31:0] yv;
  reg  [31:0] pad_cnt;
  reg         aw_done;
  reg         w_done;
  reg  signed [7:0] xbuf [0:255];
  reg  signed [7:0] webuf [0:255];

  // Range setup: the words covering [base, base + len).
  reg  [63:0] rg_base;
  reg  [31:0] rg_len;
  always @(*) begin
    case (dest)
      DEST_X:    begin rg_base = arg_x;     rg_len = arg_n; end
      DEST_WEXP: begin rg_base = arg_w_exp; rg_len = arg_d; end
      default:   begin rg_base = row_addr;  rg_len = arg_n; end
    endcase
  end
  // words = ceil((base mod 4 + len) / 4); the low two bits of the sum are the byte
  // offset of the range's end and are not needed.
  /* verilator lint_off UNUSEDSIGNAL */
  wire [33:0] rg_span = {32'd0, rg_base[1:0]} + {2'b00, rg_len} + 34'd3;
  /* verilator lint_on UNUSEDSIGNAL */
  wire [31:0] rg_words = rg_span[33:2];

  // Burst length: the words left, up to the 4 KiB boundary and 256 beats.
  wire [10:0] to_4k = 11'd1024 - {1'b0, rd_addr[11:2]};
  wire [31:0] words_to_4k = {21'd0, to_4k};
  wire [31:0] burst_a = (words_left < words_to_4k) ? words_left : words_to_4k;
  wire [31:0] burst = (burst_a > 32'd256) ? 32'd256 : burst_a;

  wire [7:0]  cur_byte = beat[{lane, 3'b000} +: 8];
  wire signed [15:0] mac = $signed(cur_byte) * xbuf[byte_idx[7:0]];
  wire        range_end = (bytes_left == 32'd1);
  wire        last_row = (row + 32'd1 == arg_d);

  // Scale shift amount s = -(w_exp[i] + x_exp + 20) and y = shsat(acc, s).
  wire signed [33:0] scale_sh = -({{26{webuf[row[7:0]][7]}}, webuf[row[7:0]]}
                                 + {{2{arg_x_exp[31]}}, arg_x_exp} + 34'sd20);
  wire signed [63:0] acc64 = {{32{acc[31]}}, acc};
  wire [5:0]  rsh = (scale_sh > 34'sd62) ? 6'd62 : scale_sh[5:0];
  wire signed [63:0] half = (FAULT == 1) ? 64'sd0 : (64'sd1 <<< (rsh - 6'd1));
  wire signed [63:0] y_right = (acc64 + half) >>> rsh;
  wire signed [33:0] lsh_full = -scale_sh;
  wire [4:0]  lsh = (lsh_full > 34'sd31) ? 5'd31 : lsh_full[4:0];
  wire signed [63:0] y_left = acc64 <<< lsh;
  wire signed [63:0] y_wide = (scale_sh > 34'sd0) ? y_right : y_left;
  wire signed [31:0] y_sat = (y_wide > INT32_MAX) ? 32'sh7fffffff
                           : (y_wide < INT32_MIN) ? 32'sh80000000 : y_wide[31:0];

  wire aw_hs_m = m_axi_gmem_AWVALID && m_axi_gmem_AWREADY;
  wire w_hs_m = m_axi_gmem_WVALID && m_axi_gmem_WREADY;
  wire write_issued = (aw_done || aw_hs_m) && (w_done || w_hs_m);

  always @(posedge ap_clk) begin
    if (!ap_rst_n) begin
      state <= S_IDLE;
      dest <= DEST_X;
      arg_w_exp <= 64'd0;
      arg_x <= 64'd0;
      arg_x_exp <= 32'sd0;
      arg_n <= 32'd0;
      arg_d <= 32'd0;
      row_addr <= 64'd0;
      y_addr <= 64'd0;
      row <= 32'd0;
      rd_addr <= 64'd0;
      words_left <= 32'd0;
      bytes_left <= 32'd0;
      byte_idx <= 32'd0;
      lane <= 2'd0;
      first_lane <= 2'd0;
      beat <= 32'd0;
      beat_last <= 1'b0;
      acc <= 32'sd0;
      yv <= 32'sd0;
      pad_cnt <= 32'd0;
      aw_done <= 1'b0;
      w_done <= 1'b0;
    end else begin
      case (state)
        S_IDLE: if (ap_start) begin
          arg_w_exp <= int_w_exp;
          arg_x <= int_x;
          arg_x_exp <= int_x_exp;
          arg_n <= int_n;
          arg_d <= int_d;
          row_addr <= int_w;
          y_addr <= int_y;
          row <= 32'd0;
          dest <= DEST_X;
          state <= S_SETUP;
        end
        S_SETUP: begin
          acc <= 32'sd0;
          byte_idx <= 32'd0;
          bytes_left <= rg_len;
          words_left <= rg_words;
          rd_addr <= {rg_base[63:2], 2'b00};
          first_lane <= rg_base[1:0];
          if (rg_len == 32'd0) begin
            // An empty range: nothing to fetch (an empty x/w_exp, or an empty row).
            if (dest == DEST_X) dest <= DEST_WEXP;
            else if (dest == DEST_WEXP) begin
              dest <= DEST_ROW;
              state <= (arg_d == 32'd0) ? S_DONE : S_SETUP;
            end else state <= S_SCALE;
          end else state <= S_AR;
        end
        S_AR: if (m_axi_gmem_ARREADY) begin
          rd_addr <= rd_addr + {30'd0, burst, 2'b00};
          words_left <= words_left - burst;
          state <= S_R;
        end
        S_R: if (m_axi_gmem_RVALID) begin
          beat <= m_axi_gmem_RDATA;
          beat_last <= m_axi_gmem_RLAST;
          lane <= first_lane;
          first_lane <= 2'd0;
          state <= S_UNPACK;
        end
        S_UNPACK: begin
          case (dest)
            DEST_X:    xbuf[byte_idx[7:0]] <= cur_byte;
            DEST_WEXP: webuf[byte_idx[7:0]] <= cur_byte;
            default:   acc <= acc + {{16{mac[15]}}, mac};
          endcase
          byte_idx <= byte_idx + 32'd1;
          bytes_left <= bytes_left - 32'd1;
          lane <= lane + 2'd1;
          if (range_end) begin
            if (dest == DEST_X) begin
              dest <= DEST_WEXP;
              state <= S_SETUP;
            end else if (dest == DEST_WEXP) begin
              dest <= DEST_ROW;
              state <= (arg_d == 32'd0) ? S_DONE : S_SETUP;
            end else state <= S_SCALE;
          end else if (lane == 2'd3) state <= beat_last ? S_AR : S_R;
        end
        S_SCALE: begin
          yv <= y_sat;
          pad_cnt <= 32'd0;
          aw_done <= 1'b0;
          w_done <= 1'b0;
          state <= (PAD_CYCLES == 32'd0) ? S_WREQ : S_PAD;
        end
        S_PAD: begin
          pad_cnt <= pad_cnt + 32'd1;
          if (pad_cnt + 32'd1 == PAD_CYCLES) state <= S_WREQ;
        end
        S_WREQ: begin
          if (aw_hs_m) aw_done <= 1'b1;
          if (w_hs_m) w_done <= 1'b1;
          if (write_issued) state <= S_WRESP;
        end
        S_WRESP: if (m_axi_gmem_BVALID) begin
          if (last_row) state <= S_DONE;
          else begin
            row <= row + 32'd1;
            row_addr <= row_addr + {32'd0, arg_n};
            y_addr <= y_addr + 64'd4;
            state <= S_SETUP;
          end
        end
        S_DONE: state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end

  assign ap_idle = (state == S_IDLE) && !ap_start;
  generate
    if (FAULT == 2) begin : g_early_done
      assign ap_done = (state == S_WREQ) && write_issued && last_row;
    end else begin : g_done
      assign ap_done = (state == S_DONE);
    end
  endgenerate
  assign ap_ready = ap_done;

  assign m_axi_gmem_ARVALID = (state == S_AR);
  assign m_axi_gmem_ARADDR = rd_addr;
  assign m_axi_gmem_ARLEN = burst[7:0] - 8'd1;  // burst <= 256: 256 wraps to 255
  assign m_axi_gmem_ARID = 1'b0;
  assign m_axi_gmem_ARSIZE = 3'b010;
  assign m_axi_gmem_ARBURST = 2'b01;
  assign m_axi_gmem_ARLOCK = 2'b00;
  assign m_axi_gmem_ARCACHE = 4'b0011;
  assign m_axi_gmem_ARPROT = 3'b000;
  assign m_axi_gmem_ARQOS = 4'b0000;
  assign m_axi_gmem_ARREGION = 4'b0000;
  assign m_axi_gmem_ARUSER = 1'b0;
  assign m_axi_gmem_RREADY = (state == S_R);

  assign m_axi_gmem_AWVALID = (state == S_WREQ) && !aw_done;
  assign m_axi_gmem_AWADDR = y_addr;
  assign m_axi_gmem_AWLEN = 8'd0;
  assign m_axi_gmem_AWID = 1'b0;
  assign m_axi_gmem_AWSIZE = 3'b010;
  assign m_axi_gmem_AWBURST = 2'b01;
  assign m_axi_gmem_AWLOCK = 2'b00;
  assign m_axi_gmem_AWCACHE = 4'b0011;
  assign m_axi_gmem_AWPROT = 3'b000;
  assign m_axi_gmem_AWQOS = 4'b0000;
  assign m_axi_gmem_AWREGION = 4'b0000;
  assign m_axi_gmem_AWUSER = 1'b0;
  assign m_axi_gmem_WVALID = (state == S_WREQ) && !w_done;
  assign m_axi_gmem_WDATA = yv;
  assign m_axi_gmem_WSTRB = 4'hf;
  assign m_axi_gmem_WLAST = 1'b1;
  assign m_axi_gmem_WID = 1'b0;
  assign m_axi_gmem_WUSER = 1'b0;
  assign m_axi_gmem_BREADY = (state == S_WRESP);

endmodule
