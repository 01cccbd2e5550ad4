/*
 * UC unit control and checks: command latch, the check steps, the state of a command and its
 * response (status, cycle count). Part of uc_unit (docs/uc_unit.md).
 *
 * A command is latched at accept and checked in eight cycles (fields, then four products on one
 * shared multiplier, then the buffers: region ends, compares, decision); uc_scan then pre-scans the lists (S_SCAN) before the item
 * generator uc_gen runs (S_RUN) and the pipeline drains (S_DRAIN). A list that passed a scan since
 * the last write to the list memories (scan_skip, from uc_lcache) is not scanned again: the run
 * starts right after the checks. A bad command answers with its
 * status and no memory written. The unit is busy from accept until the response is taken.
 *
 * Parameters: as uc_unit (rtl/common/uc_params.vh: LANES, KMAX, CMAX, NMAX, HMAX, WMAX,
 * FM_DEPTH, PDEPTH, BDEPTH; WDEPTH is not used here).
 *
 * Latency: 1 cycle accept, 8 check cycles, pre-scan (two cycles a pointer plus one an index
 * entry; UPDATE one a pointer; none when scan_skip), then the run (uc_gen) and the drain of the
 * pipeline; the response waits for m_rsp_ready. m_rsp_cycles counts from accept to response.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_ctrl #
(
// the UC unit's parameters; WDEPTH unused here (uc_scan checks the lists against it)
/* verilator lint_off UNUSEDPARAM */
`include "uc_params.vh"
/* verilator lint_on UNUSEDPARAM */
)
(
    // command and response (ports of uc_unit)
`include "uc_cmd_ports.vh"
`include "unit_rsp_ports.vh"
    output wire                 busy,

    // the latched command and the values derived by the checks
    output wire                 is_fwd,
    output wire                 is_bwd,
    output wire                 is_wgrad,
    output wire                 is_update,
    output wire                 s2,             // stride 2
    // the map sizes the generator walks: the input (h, w) and output (ho, wo) map; a flat
    // command's maps as one row of H*W pixels (h = ho = 1, w = wo = H*W)
    output wire [15:0]          h,
    output wire [15:0]          w,
    output wire [15:0]          ho,
    output wire [15:0]          wo,
    // a flat command (docs/uc_unit.md "Flat small maps"): its true map size (fh x fw, input and
    // output alike) and log2(fw), for the MAC lanes' bounds and addresses
    output wire                 flat,
    output wire [15:0]          fh,
    output wire [15:0]          fw,
    output wire [3:0]           lw,
    output wire [15:0]          rw_x,           // stack words per row of X-side / Y-side maps
    output wire [15:0]          rw_y,
    output wire [31:0]          plane_x,        // stack words per X-side channel
    output wire [31:0]          plane_y,        // stack words per Y-side channel
    output wire [15:0]          ngrp,           // lane vectors per output row
    output wire [15:0]          n_ptrs,         // pointers of the list: N, or C in BWD_DATA (4C at
                                                // stride 2: split by parity)
    output wire [PAW-1:0]       ptr_base,       // pointer table of the list (checked: fits PAW)
    output wire [2:0]           dil,
    output wire [7:0]           pad,
    output wire [4:0]           shift,
    output wire                 relu,
    // BWD_DATA with relu: the ReLU backward in the write-back (docs/uc_unit.md "ReLU backward in
    // BWD_DATA"); the mask map X at m_base, as the row offset from dX's base, modulo the stack
    output wire                 rmask,
    output wire [FM_AW-1:0]     m_delta,
    output wire                 bgrad,
    output wire                 gacc,
    output wire [31:0]          x_base,
    output wire [31:0]          y_base,
    output wire [31:0]          bias_base,
    output wire [15:0]          lr_mult,
    output wire [5:0]           lr_shift,
    output wire [15:0]          lr_mult_b,
    output wire [5:0]           lr_shift_b,

    output wire [7:0]           k,
    output wire [15:0]          c,
    output wire [15:0]          n,

    // phase of the command: pre-scan (uc_scan), run (uc_gen), drain
    input  wire                 scan_skip,      // the list passed a scan since the last list write
    output wire                 scan_start,     // the checks pass now: the scan starts at this edge
    output wire                 scanning,
    input  wire                 scan_pass,
    input  wire                 scan_bad_list,
    input  wire                 scan_bad_index,
    output wire                 run_start,      // the scan passes (or is skipped) now: the generator starts at this edge
    output wire                 running,
    input  wire                 gen_done,       // the generator's last item leaves now
    input  wire                 pipe_busy       // an item is still in the pipeline
);

// ------------------------------------------------------------------------ derived widths
localparam BANKS = 2 * LANES;
localparam LOG_L = $clog2(LANES);
localparam PAW = $clog2(PDEPTH);
localparam FM_AW = $clog2(FM_DEPTH);    // stack word address width (accel_defs.vh's FM*_REQ_W)

// limits as 32-bit vectors, for width-exact comparisons
localparam [31:0] CMAX_32 = CMAX, NMAX_32 = NMAX, HMAX_32 = HMAX, WMAX_32 = WMAX, KMAX_32 = KMAX;
localparam [31:0] FM_DEPTH_32 = FM_DEPTH, PDEPTH_32 = PDEPTH, BDEPTH_32 = BDEPTH;
// a flat map is one row of H*W <= HMAX*LANES pixels: the unit takes flat commands only when that
// fits the 16-bit sizes of the generator (otherwise every flat command is BAD_GEOMETRY)
localparam FLAT_OK = (HMAX * LANES <= 65535);

`include "accel_defs.vh"

localparam [2:0] MODE_FWD = 3'd0, MODE_BWD = 3'd1, MODE_WGRAD = 3'd2, MODE_UPDATE = 3'd3;

// command states
localparam [2:0] S_IDLE = 3'd0, S_CHECK = 3'd1, S_SCAN = 3'd2, S_RUN = 3'd3, S_DRAIN = 3'd4,
                 S_RESP = 3'd5;

// check steps: field checks, then one product each on the shared multiplier, then the buffers
localparam [2:0] CHK_FIELDS = 3'd0,     // field checks into flags; output size numerators
                 CHK_PLANE_X = 3'd1,    // the flags decide; plane_x = h * rw_x; output size
                 CHK_SIZE_X = 3'd2,     // size_x = plane_x * c; the padding's bound decides
                 CHK_PLANE_Y = 3'd3,    // plane_y = ho * rw_y
                 CHK_SIZE_Y = 3'd4,     // size_y = plane_y * n
                 CHK_BUF_END = 3'd5,    // region ends (one wide add each)
                 CHK_BUF_CMP = 3'd6,    // their compares into one flag
                 CHK_BUFFERS = 3'd7;    // the flag decides: the pre-scan or the run (the default)

// ------------------------------------------------------------------------------ registers
reg [2:0]  state_reg, state_next;
reg [3:0]  status_reg, status_next;
reg [31:0] cycles_reg, cycles_next;
reg [2:0]  chk_step_reg, chk_step_next;

// command, latched at accept
reg [2:0]  mode_reg, mode_next;
// the mode decoded and the stride-2 flag, registered with the command (they select paths
// all over the pipeline: a register, not a compare, at the head of them; issue 16)
reg        is_fwd_reg, is_fwd_next, is_bwd_reg, is_bwd_next, is_wgrad_reg, is_wgrad_next;
reg        is_update_reg, is_update_next, s2_reg, s2_next;
reg [15:0] c_reg, c_next, n_reg, n_next, h_reg, h_next, w_reg, w_next;
reg [7:0]  k_reg, k_next, stride_reg, stride_next, dil_reg, dil_next;
reg [7:0]  pad_reg, pad_next, shift_reg, shift_next;
reg        relu_reg, relu_next, bgrad_reg, bgrad_next, gacc_reg, gacc_next;
// flat: the flag, H * W (from the command's fields at accept: W is a power of two <= LANES for a
// legal flat command, so H * W is H shifted) and log2(W)
reg        flat_reg, flat_next;
reg [15:0] hw_reg, hw_next;
reg [3:0]  lw_reg, lw_next;
// the sizes the generator walks (h, w, ho, wo outputs), set at CHK_PLANE_Y
reg [15:0] hv_reg, hv_next, wv_reg, wv_next, hov_reg, hov_next, wov_reg, wov_next;
reg [31:0] x_base_reg, x_base_next, y_base_reg, y_base_next;
reg [31:0] fptr_base_reg, fptr_base_next, bptr_base_reg, bptr_base_next;
reg [31:0] bias_base_reg, bias_base_next;
// BWD_DATA with relu: the mask map's base; the flag decoded at accept (a register, as the mode's)
reg [31:0] m_base_reg, m_base_next;
reg        rmask_reg, rmask_next;
reg [FM_AW-1:0] m_delta_reg, m_delta_next;
reg [15:0] lr_mult_reg, lr_mult_next, lr_mult_b_reg, lr_mult_b_next;
reg [5:0]  lr_shift_reg, lr_shift_next, lr_shift_b_reg, lr_shift_b_next;

// derived by the checks
reg signed [XW-1:0] num_h_reg, num_h_next, num_w_reg, num_w_next;
reg [15:0] ho_reg, ho_next, wo_reg, wo_next;
reg [15:0] rw_x_reg, rw_x_next, rw_y_reg, rw_y_next;
reg [31:0] plane_x_reg, plane_x_next, plane_y_reg, plane_y_next;
reg [33:0] size_x_reg, size_x_next, size_y_reg, size_y_next;
reg [15:0] ngrp_reg, ngrp_next;
// buffer check: region ends (CHK_BUF_END), the compares (CHK_BUF_CMP)
reg [33:0] x_end_reg, x_end_next, y_end_reg, y_end_next;
reg [33:0] p_end_reg, p_end_next, b_end_reg, b_end_next;
reg [33:0] m_end_reg, m_end_next;       // the mask map's end (BWD_DATA with relu: X's size)
reg        buf_bad_reg, buf_bad_next;
// the mask map's compares (BWD_DATA with relu) into a flag of their own (in buf_bad they made it 5
// LUT levels, issue 16), OR-ed with buf_bad where the checks decide
reg        m_bad_reg, m_bad_next;
// field checks (CHK_FIELDS), decided a step later (CHK_PLANE_X): a register, not some twenty
// compares, at the head of the state's and status's next-state logic (issue 16)
reg        bad_mode_reg, bad_mode_next, bad_geom_reg, bad_geom_next;
reg        bad_cn_reg, bad_cn_next, bad_ks_reg, bad_ks_next;  // shape
// the map size's checks, every cycle from the latched fields (read from CHK_PLANE_X on), a
// register each for H and W (issue 16: the four compares, their OR and the step select were 6
// LUT levels)
reg        bad_h_reg, bad_h_next, bad_w_reg, bad_w_next;
reg [15:0] max_pad_reg, max_pad_next;
// the padding's bound compared a step after max_pad (CHK_PLANE_X) and decided the step after that
// (CHK_SIZE_X): the compare, the OR of the shape flags and the state select were 5 LUT levels
reg        bad_pad_reg, bad_pad_next;
// a flat command's width is a power of two <= LANES (every cycle from the latched W, decided at
// CHK_PLANE_X with the geometry); its output is as large as its input (decided at CHK_PLANE_Y)
reg        flat_w_ok_reg, flat_w_ok_next, flat_size_bad_reg, flat_size_bad_next;


assign s_cmd_ready = (state_reg == S_IDLE);
assign m_rsp_valid = (state_reg == S_RESP);
assign m_rsp_status = status_reg;
assign m_rsp_cycles = cycles_reg;
assign busy = (state_reg != S_IDLE);
// a command is taken at this edge; its mode and stride fields
wire accept = (state_reg == S_IDLE) && s_cmd_valid;
wire [UC_CMD_MODE_W-1:0] cmd_mode = s_cmd_data[UC_CMD_MODE_LSB +: UC_CMD_MODE_W];
wire [UC_CMD_STRIDE_W-1:0] cmd_stride = s_cmd_data[UC_CMD_STRIDE_LSB +: UC_CMD_STRIDE_W];
wire [15:0] cmd_h = s_cmd_data[UC_CMD_H_LSB +: UC_CMD_H_W];
wire [15:0] cmd_w = s_cmd_data[UC_CMD_W_LSB +: UC_CMD_W_W];

assign is_fwd = is_fwd_reg;
assign is_bwd = is_bwd_reg;
assign is_wgrad = is_wgrad_reg;
assign is_update = is_update_reg;
assign s2 = s2_reg;
assign h = hv_reg;
assign w = wv_reg;
assign ho = hov_reg;
assign wo = wov_reg;
assign flat = flat_reg;
assign fh = h_reg;
assign fw = w_reg;
assign lw = lw_reg;
assign rw_x = rw_x_reg;
assign rw_y = rw_y_reg;
assign plane_x = plane_x_reg;
assign plane_y = plane_y_reg;
assign ngrp = ngrp_reg;
// BWD_DATA at stride 2 reads the backward list split by parity: four pointers a channel
assign n_ptrs = is_bwd ? (s2 ? {c_reg[13:0], 2'b00} : c_reg) : n_reg;
// the whole 32-bit base is checked against PDEPTH; the memory address is its low bits
wire [31:0] ptr_base_full = is_bwd ? bptr_base_reg : fptr_base_reg;
assign ptr_base = ptr_base_full[PAW-1:0];
assign dil = dil_reg[2:0];
assign pad = pad_reg;
assign shift = shift_reg[4:0];
assign relu = relu_reg;
assign rmask = rmask_reg;
assign m_delta = m_delta_reg;
assign bgrad = bgrad_reg;
assign gacc = gacc_reg;
assign x_base = x_base_reg;
assign y_base = y_base_reg;
assign bias_base = bias_base_reg;
assign lr_mult = lr_mult_reg;
assign lr_shift = lr_shift_reg;
assign lr_mult_b = lr_mult_b_reg;
assign lr_shift_b = lr_shift_b_reg;

assign k = k_reg;
assign c = c_reg;
assign n = n_reg;
assign scanning = (state_reg == S_SCAN);
assign running = (state_reg == S_RUN);

// ------------------------------------------------------------------------ check values

wire [7:0] half_k = k_reg >> 1;
// dil_reg may still be illegal in CHK_FIELDS, where these are used: then ST_BAD_GEOMETRY (or
// ST_BAD_MODE) wins over every shape check and num_h/num_w are never read
wire [15:0] max_pad = mul_dil({8'd0, half_k}, dil_reg[2:0]);
wire [15:0] span_minus1 = mul_dil({8'd0, k_reg} - 16'd1, dil_reg[2:0]);
// CHK_BUF_CMP: a map region beyond the stack (none apply to UPDATE's maps), FWD / BWD_DATA maps
// read and written overlapping (32-bit ends, as the bases), the pointer table or the bias range
// beyond its memory; the ends were registered in CHK_BUF_END
// BWD_DATA with relu: the mask map beyond the stack, or overlapping the dX written (m_bad)
wire m_bad = rmask_reg && (m_end_reg > {2'd0, FM_DEPTH_32} ||
                           !(x_end_reg[31:0] <= m_base_reg || m_end_reg[31:0] <= x_base_reg));
wire buf_bad = (!is_update && (x_end_reg > {2'd0, FM_DEPTH_32} || y_end_reg > {2'd0, FM_DEPTH_32})) ||
               ((is_fwd || is_bwd) && !(x_end_reg[31:0] <= y_base_reg || y_end_reg[31:0] <= x_base_reg)) ||
               (p_end_reg > {2'd0, PDEPTH_32}) ||
               ((is_fwd || is_update || (is_wgrad && bgrad_reg)) && b_end_reg > {2'd0, BDEPTH_32});

// the last check step passes: the pre-scan starts at this edge, or, when the list passed a scan
// since the last list write (scan_skip, uc_lcache), the generator starts at once; the scan
// passes: the generator starts. Outside the next-state block, so that no combinational path runs
// through another module's block and back (uc_scan and uc_gen read them in theirs)
wire checks_pass = (state_reg == S_CHECK) && (chk_step_reg == CHK_BUFFERS) && !buf_bad_reg && !m_bad_reg;
assign scan_start = checks_pass && !scan_skip;
assign run_start = (scanning && scan_pass) || (checks_pass && scan_skip);
// ceil(W / 2L), ceil(Wo / 2L), ceil(W / L), ceil(Wo / L)
localparam [31:0] BANKS_M1_32 = BANKS - 1;
localparam [31:0] LANES_M1_32 = LANES - 1;
localparam [16:0] BANKS_M1 = BANKS_M1_32[16:0];
localparam [16:0] LANES_M1 = LANES_M1_32[16:0];
/* verilator lint_off UNUSEDSIGNAL */
wire [16:0] rw_x_full = ({1'b0, w_reg} + BANKS_M1) >> $clog2(BANKS);
wire [16:0] rw_y_full = ({1'b0, wo_reg} + BANKS_M1) >> $clog2(BANKS);
wire [16:0] grp_w_full = ({1'b0, w_reg} + LANES_M1) >> LOG_L;
wire [16:0] grp_wo_full = ({1'b0, wo_reg} + LANES_M1) >> LOG_L;
wire [16:0] rw_hw_full = ({1'b0, hw_reg} + BANKS_M1) >> $clog2(BANKS);
wire [16:0] grp_hw_full = ({1'b0, hw_reg} + LANES_M1) >> LOG_L;
/* verilator lint_on UNUSEDSIGNAL */

// Check steps CHK_PLANE_X .. CHK_SIZE_Y compute one product each (plane_x = h * rw_x, size_x =
// plane_x * c, plane_y = ho * rw_y, size_y = plane_y * n) on one shared multiplier, with operands
// only as wide as the values CHK_FIELDS lets through: h <= HMAX; ho <= HMAX + 4 (pad <= dil *
// (k / 2) gives 2 * pad - dil * (k - 1) <= dil <= 4); rw_x, rw_y <= ceil((WMAX + 4) / BANKS)
// likewise; c <= CMAX, n <= NMAX. A plane is below 2^(CHK_H_W + CHK_RW_W) = 2^CHK_A_W, so every
// operand fits and every product is exact: size_x / size_y are the true sizes (no wrap that
// could let an oversized buffer pass). Each width is capped at its register's 16 bits.
localparam CHK_H_W0 = $clog2(HMAX + 5);
// (a flat map's row is H * W <= HMAX * LANES pixels: its row words count too)
localparam CHK_RW_MAX = ((WMAX + 4 + BANKS - 1) / BANKS > (HMAX * LANES + BANKS - 1) / BANKS) ?
                        (WMAX + 4 + BANKS - 1) / BANKS : (HMAX * LANES + BANKS - 1) / BANKS;
localparam CHK_RW_W0 = $clog2(CHK_RW_MAX + 1);
localparam CHK_CN_W0 = $clog2(((CMAX > NMAX) ? CMAX : NMAX) + 1);
localparam CHK_H_W = (CHK_H_W0 > 16) ? 16 : CHK_H_W0;
localparam CHK_RW_W = (CHK_RW_W0 > 16) ? 16 : CHK_RW_W0;
localparam CHK_CN_W = (CHK_CN_W0 > 16) ? 16 : CHK_CN_W0;
localparam CHK_A_W = CHK_H_W + CHK_RW_W;
localparam CHK_B_W = (CHK_RW_W > CHK_CN_W) ? CHK_RW_W : CHK_CN_W;
localparam CHK_P_W = CHK_A_W + CHK_B_W;
/* verilator lint_off UNUSEDSIGNAL */
// (a flat map's plane is its one row: h = ho = 1)
wire [31:0] chk_a_full = (chk_step_reg == CHK_PLANE_X) ? {16'd0, flat_reg ? 16'd1 : h_reg} :
                         (chk_step_reg == CHK_SIZE_X) ? plane_x_reg :
                         (chk_step_reg == CHK_PLANE_Y) ? {16'd0, flat_reg ? 16'd1 : ho_reg} : plane_y_reg;
wire [15:0] chk_b_full = (chk_step_reg == CHK_PLANE_X) ? rw_x_reg :
                         (chk_step_reg == CHK_SIZE_X) ? c_reg :
                         (chk_step_reg == CHK_PLANE_Y) ? rw_y_reg : n_reg;
/* verilator lint_on UNUSEDSIGNAL */
wire [CHK_P_W-1:0] chk_prod = {{CHK_B_W{1'b0}}, chk_a_full[CHK_A_W-1:0]} *
                              {{CHK_A_W{1'b0}}, chk_b_full[CHK_B_W-1:0]};
/* verilator lint_off UNUSEDSIGNAL */
wire [63:0] chk_prod64 = {{(64-CHK_P_W){1'b0}}, chk_prod};
/* verilator lint_on UNUSEDSIGNAL */

// ------------------------------------------------------------------------ next state
integer fi;
always @* begin
    state_next = state_reg;
    status_next = status_reg;
    cycles_next = cycles_reg;
    chk_step_next = chk_step_reg;
    mode_next = mode_reg;
    c_next = c_reg; n_next = n_reg; h_next = h_reg; w_next = w_reg;
    k_next = k_reg; stride_next = stride_reg; dil_next = dil_reg;
    pad_next = pad_reg; shift_next = shift_reg;
    relu_next = relu_reg; bgrad_next = bgrad_reg; gacc_next = gacc_reg;
    flat_next = flat_reg; hw_next = hw_reg; lw_next = lw_reg;
    hv_next = hv_reg; wv_next = wv_reg; hov_next = hov_reg; wov_next = wov_reg;
    x_base_next = x_base_reg; y_base_next = y_base_reg;
    fptr_base_next = fptr_base_reg; bptr_base_next = bptr_base_reg;
    bias_base_next = bias_base_reg;
    m_base_next = m_base_reg;
    m_delta_next = m_delta_reg;
    m_end_next = m_end_reg;
    lr_mult_next = lr_mult_reg; lr_mult_b_next = lr_mult_b_reg;
    lr_shift_next = lr_shift_reg; lr_shift_b_next = lr_shift_b_reg;
    num_h_next = num_h_reg; num_w_next = num_w_reg;
    ho_next = ho_reg; wo_next = wo_reg;
    rw_x_next = rw_x_reg; rw_y_next = rw_y_reg;
    plane_x_next = plane_x_reg; plane_y_next = plane_y_reg;
    size_x_next = size_x_reg; size_y_next = size_y_reg;
    ngrp_next = ngrp_reg;
    x_end_next = x_end_reg; y_end_next = y_end_reg;
    p_end_next = p_end_reg; b_end_next = b_end_reg;
    buf_bad_next = buf_bad_reg;
    m_bad_next = m_bad_reg;
    bad_h_next = h_reg == 0 || {16'd0, h_reg} > HMAX_32;
    bad_w_next = w_reg == 0 || {16'd0, w_reg} > WMAX_32;
    bad_mode_next = bad_mode_reg; bad_geom_next = bad_geom_reg; bad_cn_next = bad_cn_reg;
    bad_ks_next = bad_ks_reg;
    max_pad_next = max_pad_reg;
    bad_pad_next = {8'd0, pad_reg} > max_pad_reg;
    flat_w_ok_next = 1'b0;
    for (fi = 0; fi <= LOG_L; fi = fi + 1) begin
        flat_w_ok_next = flat_w_ok_next || (w_reg == (16'd1 << fi));
    end
    flat_size_bad_next = flat_reg && (wo_reg != w_reg);

    if (state_reg != S_IDLE && state_reg != S_RESP) begin
        cycles_next = cycles_reg + 1'b1;
    end

    case (state_reg)
    S_IDLE: begin
        if (s_cmd_valid) begin
            mode_next = s_cmd_data[UC_CMD_MODE_LSB +: UC_CMD_MODE_W];
            c_next = s_cmd_data[UC_CMD_CIN_LSB +: UC_CMD_CIN_W];
            n_next = s_cmd_data[UC_CMD_COUT_LSB +: UC_CMD_COUT_W];
            h_next = s_cmd_data[UC_CMD_H_LSB +: UC_CMD_H_W];
            w_next = s_cmd_data[UC_CMD_W_LSB +: UC_CMD_W_W];
            k_next = s_cmd_data[UC_CMD_K_LSB +: UC_CMD_K_W];
            stride_next = s_cmd_data[UC_CMD_STRIDE_LSB +: UC_CMD_STRIDE_W];
            dil_next = s_cmd_data[UC_CMD_DIL_LSB +: UC_CMD_DIL_W];
            pad_next = s_cmd_data[UC_CMD_PAD_LSB +: UC_CMD_PAD_W];
            shift_next = s_cmd_data[UC_CMD_SHIFT_LSB +: UC_CMD_SHIFT_W];
            relu_next = s_cmd_data[UC_CMD_RELU_LSB +: UC_CMD_RELU_W];
            bgrad_next = s_cmd_data[UC_CMD_BGRAD_LSB +: UC_CMD_BGRAD_W];
            gacc_next = s_cmd_data[UC_CMD_GACC_LSB +: UC_CMD_GACC_W];
            flat_next = s_cmd_data[UC_CMD_FLAT_LSB +: UC_CMD_FLAT_W];
            // H * W and log2(W) for a W of 2^j, j <= log2(LANES) (any other W: a flat command is
            // refused, and a row-layout command never reads them)
            hw_next = cmd_h;
            lw_next = 4'd0;
            for (fi = 1; fi <= LOG_L; fi = fi + 1) begin
                if (cmd_w == (16'd1 << fi)) begin
                    hw_next = cmd_h << fi;
                    lw_next = fi[3:0];
                end
            end
            x_base_next = s_cmd_data[UC_CMD_X_BASE_LSB +: UC_CMD_X_BASE_W];
            y_base_next = s_cmd_data[UC_CMD_Y_BASE_LSB +: UC_CMD_Y_BASE_W];
            fptr_base_next = s_cmd_data[UC_CMD_FPTR_BASE_LSB +: UC_CMD_FPTR_BASE_W];
            bptr_base_next = s_cmd_data[UC_CMD_BPTR_BASE_LSB +: UC_CMD_BPTR_BASE_W];
            bias_base_next = s_cmd_data[UC_CMD_BIAS_BASE_LSB +: UC_CMD_BIAS_BASE_W];
            m_base_next = s_cmd_data[UC_CMD_M_BASE_LSB +: UC_CMD_M_BASE_W];
            lr_mult_next = s_cmd_data[UC_CMD_LR_MULT_LSB +: UC_CMD_LR_MULT_W];
            lr_mult_b_next = s_cmd_data[UC_CMD_LR_MULT_B_LSB +: UC_CMD_LR_MULT_B_W];
            lr_shift_next = s_cmd_data[UC_CMD_LR_SHIFT_LSB +: UC_CMD_LR_SHIFT_W];
            lr_shift_b_next = s_cmd_data[UC_CMD_LR_SHIFT_B_LSB +: UC_CMD_LR_SHIFT_B_W];
            cycles_next = 32'd1;
            status_next = ST_OK;
            chk_step_next = CHK_FIELDS;
            state_next = S_CHECK;
        end
    end
    S_CHECK: begin
        chk_step_next = chk_step_reg + 1'b1;
        case (chk_step_reg)
        CHK_FIELDS: begin
            num_h_next = $signed({4'd0, h_reg}) + $signed({11'd0, pad_reg, 1'b0}) -
                         $signed({4'd0, span_minus1}) - 1;
            num_w_next = $signed({4'd0, w_reg}) + $signed({11'd0, pad_reg, 1'b0}) -
                         $signed({4'd0, span_minus1}) - 1;
            rw_x_next = flat_reg ? rw_hw_full[15:0] : rw_x_full[15:0];
            bad_mode_next = mode_reg > MODE_UPDATE;
            // (a flat command: stride 1 and W a power of two <= LANES, within the parameters)
            bad_geom_next = (stride_reg != 8'd1 && stride_reg != 8'd2) ||
                            dil_reg < 8'd1 || dil_reg > 8'd4 ||
                            (flat_reg && (!FLAT_OK || stride_reg != 8'd1));
            bad_cn_next = c_reg == 0 || {16'd0, c_reg} > CMAX_32 || n_reg == 0 ||
                          {16'd0, n_reg} > NMAX_32;
            bad_ks_next = k_reg == 0 || {24'd0, k_reg} > KMAX_32 || shift_reg > 8'd31;
            max_pad_next = max_pad;
        end
        CHK_PLANE_X: begin
            // the field checks of CHK_FIELDS, in their order of precedence
            if (bad_mode_reg) begin
                status_next = ST_BAD_MODE;
                state_next = S_RESP;
            end else if (bad_geom_reg || (flat_reg && !flat_w_ok_reg)) begin
                status_next = ST_BAD_GEOMETRY;
                state_next = S_RESP;
            // (an output size < 1 is the sign bit of num_h / num_w: `< 0` became a carry chain)
            // (the padding's bound: at CHK_SIZE_X, a step later)
            end else if (bad_cn_reg || bad_h_reg || bad_w_reg || bad_ks_reg ||
                         num_h_reg[XW-1] || num_w_reg[XW-1]) begin
                status_next = ST_BAD_SHAPE;
                state_next = S_RESP;
            end
            ho_next = (s2 ? num_h_reg[16:1] : num_h_reg[15:0]) + 1'b1;
            wo_next = (s2 ? num_w_reg[16:1] : num_w_reg[15:0]) + 1'b1;
            plane_x_next = chk_prod64[31:0];
        end
        CHK_SIZE_X: begin
            if (bad_pad_reg) begin
                status_next = ST_BAD_SHAPE;
                state_next = S_RESP;
            end
            rw_y_next = flat_reg ? rw_x_reg : rw_y_full[15:0];
            ngrp_next = flat_reg ? grp_hw_full[15:0] :
                        is_bwd ? (s2 ? {rw_x_reg[14:0], 1'b0} : grp_w_full[15:0]) : grp_wo_full[15:0];
            size_x_next = chk_prod64[33:0];
        end
        CHK_PLANE_Y: begin
            // a flat command's output must be as large as its input (2 pad = dil (K - 1))
            if (flat_size_bad_reg) begin
                status_next = ST_BAD_GEOMETRY;
                state_next = S_RESP;
            end
            plane_y_next = chk_prod64[31:0];
            // the sizes the generator walks, after every shape check (the padding's at CHK_SIZE_X)
            hv_next = flat_reg ? 16'd1 : h_reg;
            wv_next = flat_reg ? hw_reg : w_reg;
            hov_next = flat_reg ? 16'd1 : ho_reg;
            wov_next = flat_reg ? hw_reg : wo_reg;
        end
        CHK_SIZE_Y: begin
            size_y_next = chk_prod64[33:0];
        end
        CHK_BUF_END: begin
            x_end_next = {2'd0, x_base_reg} + size_x_reg;
            y_end_next = {2'd0, y_base_reg} + size_y_reg;
            p_end_next = {2'd0, ptr_base_full} + {18'd0, n_ptrs};
            b_end_next = {2'd0, bias_base_reg} + {18'd0, n_reg};
            m_end_next = {2'd0, m_base_reg} + size_x_reg;
            m_delta_next = m_base_reg[FM_AW-1:0] - x_base_reg[FM_AW-1:0];
        end
        CHK_BUF_CMP: begin
            buf_bad_next = buf_bad;
            m_bad_next = m_bad;
        end
        default: begin
            // CHK_BUFFERS
            if (buf_bad_reg || m_bad_reg) begin
                status_next = ST_BAD_BUFFER;
                state_next = S_RESP;
            end else if (scan_skip) begin
                state_next = S_RUN;
            end else begin
                state_next = S_SCAN;
            end
        end
        endcase
    end
    S_SCAN: begin
        if (scan_bad_list) begin
            status_next = ST_BAD_LIST;
            state_next = S_RESP;
        end else if (scan_bad_index) begin
            status_next = ST_BAD_INDEX;
            state_next = S_RESP;
        end else if (scan_pass) begin
            state_next = S_RUN;
        end
    end
    S_RUN: begin
        if (gen_done) begin
            state_next = S_DRAIN;
        end
    end
    S_DRAIN: begin
        if (!pipe_busy) begin
            state_next = S_RESP;
        end
    end
    default: begin
        // S_RESP
        if (m_rsp_ready) begin
            state_next = S_IDLE;
        end
    end
    endcase

    // decoded from the command's fields when it is taken (not from mode_next / stride_next: the
    // state's select in front of the compare was 5 LUT levels)
    is_fwd_next = accept ? (cmd_mode == MODE_FWD) : is_fwd_reg;
    is_bwd_next = accept ? (cmd_mode == MODE_BWD) : is_bwd_reg;
    is_wgrad_next = accept ? (cmd_mode == MODE_WGRAD) : is_wgrad_reg;
    is_update_next = accept ? (cmd_mode == MODE_UPDATE) : is_update_reg;
    s2_next = accept ? (cmd_stride == 8'd2) : s2_reg;
    rmask_next = accept ? (cmd_mode == MODE_BWD && s_cmd_data[UC_CMD_RELU_LSB]) : rmask_reg;
end

// ------------------------------------------------------------------------------ registers
always @(posedge clk) begin
    state_reg <= state_next;
    status_reg <= status_next;
    cycles_reg <= cycles_next;
    chk_step_reg <= chk_step_next;
    mode_reg <= mode_next;
    is_fwd_reg <= is_fwd_next; is_bwd_reg <= is_bwd_next; is_wgrad_reg <= is_wgrad_next;
    is_update_reg <= is_update_next; s2_reg <= s2_next;
    c_reg <= c_next; n_reg <= n_next; h_reg <= h_next; w_reg <= w_next;
    k_reg <= k_next; stride_reg <= stride_next; dil_reg <= dil_next;
    pad_reg <= pad_next; shift_reg <= shift_next;
    relu_reg <= relu_next; bgrad_reg <= bgrad_next; gacc_reg <= gacc_next;
    flat_reg <= flat_next; hw_reg <= hw_next; lw_reg <= lw_next;
    hv_reg <= hv_next; wv_reg <= wv_next; hov_reg <= hov_next; wov_reg <= wov_next;
    flat_w_ok_reg <= flat_w_ok_next; flat_size_bad_reg <= flat_size_bad_next;
    x_base_reg <= x_base_next; y_base_reg <= y_base_next;
    fptr_base_reg <= fptr_base_next; bptr_base_reg <= bptr_base_next;
    bias_base_reg <= bias_base_next;
    m_base_reg <= m_base_next;
    rmask_reg <= rmask_next;
    m_delta_reg <= m_delta_next;
    m_end_reg <= m_end_next;
    lr_mult_reg <= lr_mult_next; lr_mult_b_reg <= lr_mult_b_next;
    lr_shift_reg <= lr_shift_next; lr_shift_b_reg <= lr_shift_b_next;
    num_h_reg <= num_h_next; num_w_reg <= num_w_next;
    ho_reg <= ho_next; wo_reg <= wo_next;
    rw_x_reg <= rw_x_next; rw_y_reg <= rw_y_next;
    plane_x_reg <= plane_x_next; plane_y_reg <= plane_y_next;
    size_x_reg <= size_x_next; size_y_reg <= size_y_next;
    ngrp_reg <= ngrp_next;
    x_end_reg <= x_end_next; y_end_reg <= y_end_next;
    p_end_reg <= p_end_next; b_end_reg <= b_end_next;
    buf_bad_reg <= buf_bad_next;
    m_bad_reg <= m_bad_next;
    bad_mode_reg <= bad_mode_next; bad_geom_reg <= bad_geom_next; bad_cn_reg <= bad_cn_next;
    bad_h_reg <= bad_h_next;
    bad_w_reg <= bad_w_next;
    bad_ks_reg <= bad_ks_next;
    max_pad_reg <= max_pad_next;
    bad_pad_reg <= bad_pad_next;

    if (rst) begin
        state_reg <= S_IDLE;
        status_reg <= ST_OK;
        cycles_reg <= 32'd0;
    end
end

`undef ACCEL_DEFS_VH
endmodule

`resetall
