// ==============================================================
// Register map of the matmul kernel's s_axi_control slave (rtl/hls/matmul.v),
// in the layout of the x<top>_hw.h file a Vitis HLS export ships.
// ==============================================================
// control
// 0x00 : Control signals
//        bit 0  - ap_start (Read/Write/COH)
//        bit 1  - ap_done (Read/COR)
//        bit 2  - ap_idle (Read)
//        bit 3  - ap_ready (Read/COR)
//        bit 7  - auto_restart (Read/Write)
//        bit 9  - interrupt (Read)
//        others - reserved
// 0x04 : Global Interrupt Enable Register
//        bit 0  - Global Interrupt Enable (Read/Write)
//        others - reserved
// 0x08 : IP Interrupt Enable Register (Read/Write)
//        bit 0 - enable ap_done interrupt (Read/Write)
//        bit 1 - enable ap_ready interrupt (Read/Write)
//        others - reserved
// 0x0c : IP Interrupt Status Register (Read/TOW)
//        bit 0 - ap_done (Read/TOW)
//        bit 1 - ap_ready (Read/TOW)
//        others - reserved
// 0x10 : Data signal of w
//        bit 31~0 - w[31:0] (Read/Write)
// 0x14 : Data signal of w
//        bit 31~0 - w[63:32] (Read/Write)
// 0x18 : reserved
// 0x1c : Data signal of w_exp
//        bit 31~0 - w_exp[31:0] (Read/Write)
// 0x20 : Data signal of w_exp
//        bit 31~0 - w_exp[63:32] (Read/Write)
// 0x24 : reserved
// 0x28 : Data signal of x
//        bit 31~0 - x[31:0] (Read/Write)
// 0x2c : Data signal of x
//        bit 31~0 - x[63:32] (Read/Write)
// 0x30 : reserved
// 0x34 : Data signal of x_exp
//        bit 31~0 - x_exp[31:0] (Read/Write)
// 0x38 : reserved
// 0x3c : Data signal of y
//        bit 31~0 - y[31:0] (Read/Write)
// 0x40 : Data signal of y
//        bit 31~0 - y[63:32] (Read/Write)
// 0x44 : reserved
// 0x48 : Data signal of n
//        bit 31~0 - n[31:0] (Read/Write)
// 0x4c : reserved
// 0x50 : Data signal of d
//        bit 31~0 - d[31:0] (Read/Write)
// 0x54 : reserved
// (SC = Self Clear, COR = Clear on Read, TOW = Toggle on Write, COH = Clear on Handshake)

#define XMATMUL_CONTROL_ADDR_AP_CTRL    0x00
#define XMATMUL_CONTROL_ADDR_GIE        0x04
#define XMATMUL_CONTROL_ADDR_IER        0x08
#define XMATMUL_CONTROL_ADDR_ISR        0x0c
#define XMATMUL_CONTROL_ADDR_W_DATA     0x10
#define XMATMUL_CONTROL_BITS_W_DATA     64
#define XMATMUL_CONTROL_ADDR_W_EXP_DATA 0x1c
#define XMATMUL_CONTROL_BITS_W_EXP_DATA 64
#define XMATMUL_CONTROL_ADDR_X_DATA     0x28
#define XMATMUL_CONTROL_BITS_X_DATA     64
#define XMATMUL_CONTROL_ADDR_X_EXP_DATA 0x34
#define XMATMUL_CONTROL_BITS_X_EXP_DATA 32
#define XMATMUL_CONTROL_ADDR_Y_DATA     0x3c
#define XMATMUL_CONTROL_BITS_Y_DATA     64
#define XMATMUL_CONTROL_ADDR_N_DATA     0x48
#define XMATMUL_CONTROL_BITS_N_DATA     32
#define XMATMUL_CONTROL_ADDR_D_DATA     0x50
#define XMATMUL_CONTROL_BITS_D_DATA     32

