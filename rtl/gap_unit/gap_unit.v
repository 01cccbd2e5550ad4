/*
 * GAP unit: global average pooling forward (FWD: y[c] = mean of map c) and backward (BWD: the
 * gradient dy[c] spread evenly over the H x W pixels of map c).
 *
 * Numerics (docs/numerics.md, model verif.models.layers.gap_forward/backward): P = H*W,
 * R = 16 + ceil(log2 P), M = round_half_up(2^R / P); FWD y = sat16((sum * M + 2^(R-1)) >> R),
 * BWD dx = sat16((dy * M + 2^(R-1)) >> R). The unit derives R (a priority encoder) and M (one
 * serial division, rtl/common/serial_div.v) itself from H and W: the host passes only the shape.
 *
 * Maps live in the feature-map stack (docs/uc_unit.md); the vector y / dy is a map (C, 1, 1).
 * Port A reads, port B writes.
 *
 * Parameters:
 *   LANES     pixels per vector (power of two)
 *   CMAX      largest channel count
 *   HMAX      largest map height
 *   WMAX      largest map width
 *   FM_DEPTH  stack words per bank
 *   RD_PORTS  unused (one copy of the stack read; m_fma2_req stays zero)
 *
 * Latency: 6 check cycles (shape compares and P; shape decision and rows; size; region ends; their
 * compares; decision), the division (R + 2 cycles), then FWD one vector read per cycle (C * H *
 * ceil(W/LANES)) plus ~9 + log2(LANES) cycles of drain (the lane adder tree and the scaling, one
 * multiply, add or shift a stage: gap_fwd_path.v); BWD C * H * ceil(W/LANES) vector writes, one a
 * cycle, after 6 cycles for the first channel's dy (read, x M, round, shift, saturate; the
 * channels' dy are read and scaled in a pipeline ahead of the writes); the stack write request
 * is registered (a cycle after it is formed), and the command ends after it. m_rsp_cycles counts accept to
 * response.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module gap_unit #
(
// RD_PORTS unused: GAP reads one copy of the stack
/* verilator lint_off UNUSEDPARAM */
`include "map_unit_params.vh"
/* verilator lint_on UNUSEDPARAM */
)
(
`include "map_unit_ports.vh"
);

// ------------------------------------------------------------------------ derived widths
// BANKS, LOG_B, FM_AW, the limits as 32-bit constants and row_words
`include "map_unit_defs.vh"
// pixels per map: P <= HMAX * WMAX, P_W bits
localparam P_W = $clog2(HMAX * WMAX + 1);
// largest R = 16 + P_W; the dividend 2^R + P/2 needs R + 1 bits
localparam RMAX = 16 + P_W;
localparam N_W = RMAX + 1;
// channel sum: P pixels of 16 bits
localparam SUM_W = 16 + P_W;
// reciprocal M < 2^17 + 1
localparam M_W = 18;
// sum * M + rounding constant
localparam PROD_W = SUM_W + M_W + 1;
localparam R_W = $clog2(RMAX + 1);
localparam [R_W-1:0] R16 = 16;

localparam [2:0] MODE_FWD = 3'd0, MODE_BWD = 3'd1;

// status codes, XW and the fixed-point helpers (sat16)
`include "accel_defs.vh"

// s_cmd_data's width (unit_cmd_ports.vh)
localparam UNIT_CMD_W = GAP_CMD_W;

// the unit's own states; the command/response shell (unit_ctl) takes the command and answers
localparam [2:0] S_IDLE = 3'd0, S_CHECK = 3'd1, S_DIV = 3'd2, S_FWD = 3'd3, S_BWD = 3'd4,
                 S_DRAIN = 3'd5;

// the command/response shell (unit_ctl): cmd holds the command, done / done_status end it
`include "unit_ctl_inst.vh"
`include "gap_cmd_fields.vh"

// ------------------------------------------------------------------------------ control
reg [2:0]  state_reg;
reg [2:0]  chk_step_reg;

reg [31:0] p_reg;                 // pixels per map
reg [R_W-1:0] r_reg;              // R
reg [M_W-1:0] m_reg;              // M
reg [15:0] rw_reg;                // stack words per map row
reg [31:0] plane_reg;
reg [47:0] size_x_reg;
reg [47:0] x_end_reg, y_end_reg;   // check step 3: region ends (x_base + size, y_base + C)
reg        bad_buf_reg;            // check step 4: a region beyond the stack or X, y overlapping
reg        bad_mode_reg;           // check step 0: mode above MODE_BWD
reg [5:0]  bad_shape_reg;          // check step 0: C, H, W zero or above its limit (a flag each)

wire is_fwd = (cmd_mode == MODE_FWD);

// ceil(log2 p) = bit length of p - 1
function [R_W-1:0] clog2_of;
    input [31:0] p;
    reg [31:0] v;
    integer i;
    begin
        v = p - 32'd1;
        clog2_of = {R_W{1'b0}};
        for (i = 0; i < 32; i = i + 1) begin
            if (v[i]) begin
                clog2_of = i[R_W-1:0] + 1'b1;
            end
        end
    end
endfunction

wire [47:0] x_end = {16'd0, cmd_x_base} + size_x_reg;
wire [47:0] y_end = {16'd0, cmd_y_base} + {32'd0, cmd_c};
wire ovl_xy = !(x_end_reg <= {16'd0, cmd_y_base} || y_end_reg <= {16'd0, cmd_x_base});

// ------------------------------------------------------------------------------ divider
reg            div_start;
wire           div_done;
/* verilator lint_off UNUSEDSIGNAL */
wire           div_busy;
wire [N_W-1:0] div_q;
wire [P_W-1:0] div_r;
/* verilator lint_on UNUSEDSIGNAL */
wire [N_W-1:0] div_n = ({{(N_W-1){1'b0}}, 1'b1} << r_reg) + {{(N_W-P_W){1'b0}}, p_reg[P_W:1]};

serial_div #(.N_W(N_W), .D_W(P_W)) u_div (
    .clk(clk), .rst(rst),
    .start(div_start), .n(div_n), .d(p_reg[P_W-1:0]),
    .busy(div_busy), .done(div_done), .q(div_q), .r(div_r)
);

// rounding constant 2^(R-1)
wire signed [PROD_W-1:0] half = $signed({{(PROD_W-1){1'b0}}, 1'b1} << (r_reg - 1'b1));

// ---------------------------------------------------------------------- item generator
// the map's vectors (channel, row, x0) in order, one FWD item a cycle (the X map read) or one
// BWD write a cycle (the dX map, the scaled dy of its channel)
reg        g_valid;               // FWD items issue
reg [15:0] g_c, g_y, g_x0;
reg [FM_AW-1:0] g_row;
wire [15:0] g_x0_next = g_x0 + LANES_32[15:0];
// the loop ends against per-command registers (one compare, no add, before the generator's
// registers; issue 16): x0 + L >= W as x0 >= max(W - L, 0) (x0 is a multiple of L from 0), H - 1,
// C - 1 (H, C >= 1 once the shape check passed; set at check step 2, long before the run)
reg  [15:0] x_thr_reg, h_m1_reg, c_m1_reg;
wire g_last_x = (g_x0 >= x_thr_reg);
wire g_last_y = (g_y == h_m1_reg);
wire g_last_c = (g_c == c_m1_reg);

// BWD, a pipeline over the channels (issue 14; 6 cycles a channel before it): dy[c] read one a
// cycle while a FIFO slot is free for its result (credits), then x M, + 2^(R-1), >> R and sat16
// a stage each into a BQ_D-entry FIFO; the writer spreads the FIFO's head over its channel's
// H * ceil(W/L) vectors, one a cycle, and pops it after the last. A read reaches the FIFO 6
// cycles after it (2 read, 4 arithmetic), so BQ_D = 8 credits keep one read a cycle going when
// a channel has a single vector.
localparam BQ_D = 8;
localparam BQ_AW = 3;
reg [15:0]       bq_mem [0:BQ_D-1];
reg [BQ_AW-1:0]  bq_wp, bq_rp;
reg [BQ_AW:0]    bq_cnt;            // results in the FIFO
reg [BQ_AW:0]    b_cred;            // FIFO slots neither filled nor reserved by a read in flight
reg [15:0]       b_rc;              // channels left to read
// the next channel's dy word, y_base + channel, kept as a register beside the count (issue 16,
// twenty-first session: the add in front of the stack's bank addresses was the ECP5's critical
// path at 63.86 MHz; cycle-neutral)
reg [FM_AW-1:0]  b_row;
reg              b_v1, b_v2, b_v3, b_v4, b_v5;  // a read in the RAM, its data, x M, + half, >> R
wire b_rd = (state_reg == S_BWD) && (b_rc != 16'd0) && (b_cred != {(BQ_AW+1){1'b0}});
wire b_wr = (state_reg == S_BWD) && (bq_cnt != {(BQ_AW+1){1'b0}});
wire b_pop = b_wr && g_last_x && g_last_y;
wire [15:0] bq_head = bq_mem[bq_rp];     // the writer's value (its channel's scaled dy)
// the generator steps: every FWD cycle, every BWD write
wire g_step = (state_reg == S_FWD) || b_wr;

wire [FM_AW-1:0] y_row0 = cmd_y_base[FM_AW-1:0];

wire fma_en = (state_reg == S_FWD && g_valid) || b_rd;
wire [FM_AW-1:0] fma_row = (state_reg == S_BWD) ? b_row : g_row;
wire [15:0] fma_x0 = (state_reg == S_BWD) ? 16'd0 : g_x0;
assign m_fma_req = {fma_en, 1'b0, fma_row, {(XW-16){1'b0}}, fma_x0};   // stride 1
// one copy read a cycle (RD_PORTS unused): no second read port
assign m_fma2_req = {FMA_REQ_W{1'b0}};
assign m_fmx_req = {RDX_PORTS*FMA_REQ_W{1'b0}};

// rounding constant 2^(R-1), registered (R is fixed long before the first item)
reg signed [PROD_W-1:0] half_reg;
wire signed [PROD_W-1:0] m_s = $signed({{(PROD_W-M_W){1'b0}}, m_reg});

// ---------------------------------------------------------------------- FWD datapath
localparam GC_W = (CMAX > 1) ? $clog2(CMAX) : 1;  // a channel index (< CMAX) in the FWD datapath
// the vector read, the lane adder tree, the per-channel sum and its scaling (gap_fwd_path.v)
wire              q4_valid;
wire [FM_AW-1:0]  q4_row;
wire [15:0]       q4_y;
wire              fwd_busy;
wire [LANES-1:0]  g_mask;       // the lanes of the item inside its row (FWD items, BWD writes)

gap_fwd_path #(
    .LANES(LANES), .FM_AW(FM_AW), .CMAX(CMAX), .SUM_W(SUM_W), .PROD_W(PROD_W), .R_W(R_W)
) u_fwd (
    .clk(clk), .rst(rst),
    .i_valid(g_valid && state_reg == S_FWD), .i_first((g_y == 16'd0) && (g_x0 == 16'd0)),
    .i_last(g_last_y && g_last_x), .i_c(g_c[GC_W-1:0]), .i_mask(g_mask), .fma_rdata(fma_rdata),
    .m_s(m_s), .half(half_reg), .r(r_reg), .y_row0(y_row0),
    .o_valid(q4_valid), .o_row(q4_row), .o_y(q4_y), .busy(fwd_busy)
);

// BWD: dy * M, + 2^(R-1), >> R, sat16 a stage each (b_v2 .. b_v5)
reg signed [PROD_W-1:0] b_prod, b_rnd, b_quot;
wire signed [PROD_W-1:0] dy_s = $signed({{(PROD_W-16){fma_rdata[15]}}, fma_rdata[15:0]});
// the quotient (dy * M + 2^(R-1)) >> R, sign-extended to sat16's 66 bits
wire signed [65:0] b_quot66 = {{(66-PROD_W){b_quot[PROD_W-1]}}, b_quot};

// ---------------------------------------------------------------------- port B writes
reg              wr_en;
reg [FM_AW-1:0]  wr_row;
reg [15:0]       wr_x0;
reg [LANES*16-1:0] wr_data;
reg [LANES-1:0]  wr_mask;
// the lanes of an item inside its row: the BWD write mask, and the FWD item's (registered into
// the pipeline at P1) (a generate loop: a combinational block's loop variable is a latch to
// synthesis when a branch leaves it unassigned)
genvar gl;
generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_wlane
        assign g_mask[gl] = ({16'd0, g_x0} + gl) < {16'd0, cmd_w};
    end
endgenerate
always @* begin
    wr_en = 1'b0;
    wr_row = q4_row;
    wr_x0 = 16'd0;
    wr_data = {LANES{q4_y}};
    wr_mask = {{(LANES-1){1'b0}}, 1'b1};
    if (state_reg == S_BWD) begin
        wr_en = b_wr;
        wr_row = g_row;
        wr_x0 = g_x0;
        wr_data = {LANES{bq_head}};
        wr_mask = g_mask;
    end else begin
        wr_en = q4_valid;
    end
end

// the request leaves the unit registered, a cycle after it is formed, so that the stack's port-B
// mux and bank crossbar follow flip-flops only (issue 16; port B only writes here: the cycle's
// delay reads nothing stale, and the command ends after the delayed write)
reg              wr_en_q;
reg [FM_AW-1:0]  wr_row_q;
reg [15:0]       wr_x0_q;
reg [LANES*16-1:0] wr_data_q;
reg [LANES-1:0]  wr_mask_q;
always @(posedge clk) begin
    wr_en_q <= wr_en;
    wr_row_q <= wr_row;
    wr_x0_q <= wr_x0;
    wr_data_q <= wr_data;
    wr_mask_q <= wr_mask;
    if (rst) begin
        wr_en_q <= 1'b0;
    end
end
// (LANES lanes: the upper half of the 2*LANES-lane write is never enabled)
assign m_fmb_req = {wr_en_q, wr_en_q, 1'b0, wr_row_q, {(XW-16){1'b0}}, wr_x0_q,
                    {LANES*16{1'b0}}, wr_data_q, {LANES{1'b0}}, wr_mask_q};

wire pipe_busy = g_valid | fwd_busy | wr_en_q;

// the command ends (unit_ctl answers the next cycle): a check refuses it, or its last work
assign done = (state_reg == S_CHECK && chk_step_reg == 3'd1 && (bad_mode_reg || |bad_shape_reg)) ||
              (state_reg == S_CHECK && chk_step_reg >= 3'd5 && bad_buf_reg) ||
              (state_reg == S_DRAIN && !pipe_busy);
assign done_status = (state_reg != S_CHECK) ? ST_OK :
                     (chk_step_reg >= 3'd5) ? ST_BAD_BUFFER :
                     bad_mode_reg ? ST_BAD_MODE : ST_BAD_SHAPE;

always @(posedge clk) begin
    div_start <= 1'b0;

    // rounding constant (the FWD datapath's and BWD's)
    half_reg <= half;

    // -------- item generator: rows of all channels are contiguous, the row pointer just advances
    if (g_step) begin
        if (!g_last_x) begin
            g_x0 <= g_x0_next;
        end else begin
            g_x0 <= 16'd0;
            g_row <= g_row + fm_w16(rw_reg);
            if (!g_last_y) begin
                g_y <= g_y + 1'b1;
            end else begin
                g_y <= 16'd0;
                g_c <= g_c + 1'b1;
            end
        end
    end

    // -------- control
    case (state_reg)
    S_IDLE: begin
        if (cmd_start) begin
            chk_step_reg <= 3'd0;
            state_reg <= S_CHECK;
        end
    end
    S_CHECK: begin
        chk_step_reg <= chk_step_reg + 1'b1;
        case (chk_step_reg)
        3'd0: begin
            p_reg <= {16'd0, cmd_h} * {16'd0, cmd_w};
            rw_reg <= row_words(cmd_w);
            bad_mode_reg <= cmd_mode > MODE_BWD;
            bad_shape_reg <= {cmd_c == 16'd0, {16'd0, cmd_c} > CMAX_32,
                              cmd_h == 16'd0, {16'd0, cmd_h} > HMAX_32,
                              cmd_w == 16'd0, {16'd0, cmd_w} > WMAX_32};
        end
        3'd1: begin
            // the registered mode / shape compares decide here (a bad command's response comes a
            // cycle later than before issue 16's third round; a good one's timing is unchanged)
            if (bad_mode_reg || |bad_shape_reg) begin
                state_reg <= S_IDLE;
            end else begin
                // checked H and W only: the plane (and so the buffer sizes) stays bounded
                plane_reg <= {16'd0, cmd_h} * {16'd0, rw_reg};
            end
            r_reg <= R16 + clog2_of(p_reg);
        end
        3'd2: begin
            size_x_reg <= {16'd0, plane_reg} * {32'd0, cmd_c};
            // (after the shape check passed: H, C >= 1)
            x_thr_reg <= ({16'd0, cmd_w} > LANES_32) ? cmd_w - LANES_32[15:0] : 16'd0;
            h_m1_reg <= cmd_h - 1'b1;
            c_m1_reg <= cmd_c - 1'b1;
        end
        3'd3: begin
            x_end_reg <= x_end;
            y_end_reg <= y_end;
        end
        3'd4: begin
            bad_buf_reg <= x_end_reg > {16'd0, FM_DEPTH_32} || y_end_reg > {16'd0, FM_DEPTH_32} ||
                           ovl_xy;
        end
        default: begin
            if (bad_buf_reg) begin
                state_reg <= S_IDLE;
            end else begin
                div_start <= 1'b1;
                state_reg <= S_DIV;
            end
        end
        endcase
    end
    S_DIV: begin
        if (div_done) begin
            m_reg <= div_q[M_W-1:0];
            g_valid <= is_fwd;
            g_c <= 16'd0;
            g_y <= 16'd0;
            g_x0 <= 16'd0;
            g_row <= cmd_x_base[FM_AW-1:0];
            b_rc <= cmd_c;
            b_row <= cmd_y_base[FM_AW-1:0];
            state_reg <= is_fwd ? S_FWD : S_BWD;
        end
    end
    S_FWD: begin
        if (g_last_x && g_last_y && g_last_c) begin
            g_valid <= 1'b0;
            state_reg <= S_DRAIN;
        end
    end
    S_BWD: begin
        // the last channel's last write: the end (it leaves next cycle, wr_en_q); every read's
        // result has been written by then, so the pipeline and the FIFO are empty
        if (b_pop && g_last_c) begin
            state_reg <= S_DRAIN;
        end
    end
    S_DRAIN: begin
        if (!pipe_busy) begin
            state_reg <= S_IDLE;
        end
    end
    default: begin
        state_reg <= S_IDLE;
    end
    endcase

    // -------- BWD pipeline: reads, the four arithmetic stages, the FIFO and its credits
    if (b_rd) begin
        b_rc <= b_rc - 1'b1;
        b_row <= b_row + 1'b1;
    end
    b_v1 <= b_rd;
    b_v2 <= b_v1;
    b_v3 <= b_v2;
    b_v4 <= b_v3;
    b_v5 <= b_v4;
    // dy arrives two cycles after its read (b_v2)
    if (b_v2) begin
        b_prod <= dy_s * m_s;
    end
    if (b_v3) begin
        b_rnd <= b_prod + half_reg;
    end
    if (b_v4) begin
        b_quot <= b_rnd >>> r_reg;
    end
    if (b_v5) begin
        bq_mem[bq_wp] <= sat16(b_quot66);
    end
    if (state_reg == S_DIV) begin
        // an empty FIFO and every slot free for the command (nothing of BWD runs before S_BWD)
        bq_wp <= {BQ_AW{1'b0}};
        bq_rp <= {BQ_AW{1'b0}};
        bq_cnt <= {(BQ_AW+1){1'b0}};
        b_cred <= BQ_D[BQ_AW:0];
    end else begin
        bq_wp <= bq_wp + {{(BQ_AW-1){1'b0}}, b_v5};
        bq_rp <= bq_rp + {{(BQ_AW-1){1'b0}}, b_pop};
        bq_cnt <= bq_cnt + {{BQ_AW{1'b0}}, b_v5} - {{BQ_AW{1'b0}}, b_pop};
        b_cred <= b_cred - {{BQ_AW{1'b0}}, b_rd} + {{BQ_AW{1'b0}}, b_pop};
    end

    if (rst) begin
        state_reg <= S_IDLE;
        div_start <= 1'b0;
        g_valid <= 1'b0;
        b_v1 <= 1'b0;
        b_v2 <= 1'b0;
        b_v3 <= 1'b0;
        b_v4 <= 1'b0;
        b_v5 <= 1'b0;
    end
end

`ifdef ACCEL_ASSERTS
// verilator coverage_off
// the credits bound the FIFO: a result never arrives at a full FIFO, a pop never meets an empty one
always @(posedge clk) begin
    if (!rst) begin
        assert (!b_v5 || bq_cnt != BQ_D[BQ_AW:0] || b_pop) else $error("gap_unit: bq_overflow: a BWD result at a full FIFO");
        assert (!b_pop || bq_cnt != {(BQ_AW+1){1'b0}}) else $error("gap_unit: bq_underflow: a pop of an empty FIFO");
    end
end
// verilator coverage_on
`endif

`undef ACCEL_DEFS_VH
endmodule

`resetall
