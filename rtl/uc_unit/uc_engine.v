/*
 * One UC engine: the item generator (uc_gen), the MAC lanes (uc_mac) and the write-back / update
 * (uc_wb) of uc_unit's pipeline, with the memory ports of one copy of the memories. uc_unit runs
 * ENGINES of them under one controller (docs/uc_unit.md "Engine array"); each walks its own share
 * of the command's lists (uc_split: a range of output channels in FWD / WGRAD / UPDATE, of input
 * channels in BWD_DATA).
 *
 * The generator gets the engine's share (pointer count and base, bias base, output-side map bases,
 * first channel); the MAC lanes get the command's map bases (the input side is every channel).
 * The stack write of port B leaves as separate fields (uc_unit queues them when ENGINES > 1);
 * the port B read (WGRAD dY) and port A leave as requests.
 *
 * Parameters: K_W, C_W, N_W (index field widths, below) and rtl/common/uc_pipe_params.vh (LANES, KMAX,
 * FM_AW, WAW, PAW, BAW).
 *
 * Latency: as uc_unit's pipeline (stage I, P1..P8, R1..R3 / P9, U1..U7); hold stops the
 * generator's items (the items already in the pipeline go on).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module uc_engine #
(
    // index field widths (as uc_unit derives them): kernel offset, input channel c (forward
    // list), output channel n (backward list)
    parameter K_W = 4,
    parameter C_W = 8,
    parameter N_W = 8,
    // 1: busy is registered (one cycle late; an engine array's boundary, issue 16), 0: the OR
    // of the pipeline's valid flags as they are (one engine: uc_ctrl's drain as before)
    parameter BUSY_REG = 0,
    // 1: UPDATE's gradient read data arrive a cycle after P1 (uc_unit's two-stage owner select;
    // uc_wb holds the item's U1 fields a cycle), 0: at P1
    parameter OWN_SEL = 0,
    // UPDATE on 2^UPD_LB engines (banks of the weight memory): this engine's index UPD_K takes
    // the weights of bank UPD_K (uc_gen); UPD_LB = 0: every weight
    parameter UPD_K = 0,
    parameter UPD_LB = 0,
`include "uc_pipe_params.vh"
)
(
    input  wire                     clk,
    input  wire                     rst,

    // the command (uc_ctrl)
    input  wire                     is_fwd,
`include "uc_geom_ports.vh"
    input  wire                     flat,           // a flat command: true map size fh x fw, fw = 2^lw
    input  wire [15:0]              fh,
    input  wire [15:0]              fw,
    input  wire [3:0]               lw,
    input  wire [2:0]               dil,
    input  wire [7:0]               pad,
    input  wire [4:0]               shift,
    input  wire                     relu,
    input  wire                     rmask,          // BWD_DATA with the ReLU backward (uc_ctrl)
    input  wire [FM_AW-1:0]         m_delta,
    input  wire                     bgrad,
    input  wire                     gacc,
    input  wire [31:0]              plane_x,
    input  wire [31:0]              plane_y,
    input  wire [15:0]              ngrp,
    input  wire [31:0]              bias_base,
    input  wire [15:0]              lr_mult,
    input  wire [5:0]               lr_shift,
    input  wire [15:0]              lr_mult_b,
    input  wire [5:0]               lr_shift_b,

    // this engine's share of the command (uc_split) and its run
    input  wire                     run_start,
    input  wire                     running,
    input  wire                     hold,           // the engine's write queue is nearly full
    output wire                     done,           // the engine's last item leaves now
    output wire                     busy,           // an item is in the pipeline
    input  wire [15:0]              e_n_ptrs,
    input  wire [PAW-1:0]           e_ptr_base,
    input  wire [31:0]              e_bias_base,
    input  wire [31:0]              e_x_base,
    input  wire [31:0]              e_y_base,
    input  wire [15:0]              e_og_base,
    output wire [15:0]              i_og,           // stage I: the item's channel

    // pointer, index memories (the index entry of the item at stage I arrives the cycle after,
    // decoded for the pre-scan as idx_*)
    output wire                     ptr_rd_en,
    output wire [PAW-1:0]           ptr_rd_addr,
    input  wire [WAW+WAW:0]         ptr_rd_data,
    output wire                     fidx_rd_en,
    output wire                     bidx_rd_en,
    output wire [WAW-1:0]           idx_rd_addr,
    input  wire [2*K_W+C_W-1:0]     fidx_rd_data,
    input  wire [2*K_W+N_W+WAW-1:0] bidx_rd_data,
    output wire [K_W-1:0]           idx_kx,
    output wire [K_W-1:0]           idx_ky,
    output wire [15:0]              idx_ch,
    output wire [WAW-1:0]           idx_waddr,

    // stack: port A read request, port B read request (WGRAD) and write fields (FWD, BWD_DATA)
    output wire [FMA_REQ_W-1:0]     fma_req,
    input  wire [LANES*16-1:0]      fma_rdata,
    output wire                     fmb_rd_en,
    output wire [FM_AW-1:0]         fmb_rd_row,
    output wire [15:0]              fmb_rd_x,
    input  wire [LANES*16-1:0]      fmb_rdata,
    output wire                     fmb_rd_nx_en,   // the same read a cycle early (uc_mac)
    output wire [FM_AW-1:0]         fmb_rd_nx_row,
    output wire [15:0]              fmb_rd_nx_x,
    output wire                     fmb_wr_en,
    output wire                     fmb_we,
    output wire [FM_AW-1:0]         fmb_wr_row,
    output wire [15:0]              fmb_wr_x,
    output wire [LANES*16-1:0]      fmb_wdata,
    output wire [LANES-1:0]         fmb_wmask,

    // UPDATE's gradient and bias-gradient read data: the copy of the item's filter's owner
    // (engine 0 of an array; the engine's own copy otherwise)
    input  wire [31:0]              upd_grad_rd_data,
    input  wire [31:0]              upd_bgrad_rd_data,

    // weight, weight-gradient, bias and bias-gradient memories
`include "unit_ram_ports.vh"
);

`include "accel_defs.vh"

// item, stage I (uc_gen)
wire             i_valid, i_first, i_last, i_zero, i_ones, i_bsum;
wire [WAW-1:0]   i_a;
wire [15:0]      i_y, i_x0, i_xc;
wire [FM_AW-1:0] i_orow;
wire [31:0]      i_bias;
wire [LANES-1:0] i_omask;
wire             gen_bias_en;
wire [BAW-1:0]   gen_bias_addr;

// MAC pipeline P1..P8 (uc_mac)
wire             mac_busy, p1_ones;
wire [WAW-1:0]   p1_a;
wire [15:0]      p1_og;
wire             mac_wgt_rd_en;
wire [WAW-1:0]   mac_wgt_rd_addr;
wire             fma_en, fma_s2;
wire [FM_AW-1:0] fma_row;
wire signed [XW-1:0] fma_x;
wire             o_valid, o_ones, o_bsum;
wire [LANES*ACC_W-1:0] o_bacc;
wire [WAW-1:0]   o_a;
wire [15:0]      o_og, o_x0;
wire [FM_AW-1:0] o_orow;
wire [LANES-1:0] o_omask;
wire [LANES*ACC_W-1:0] o_acc;

// write-back and update (uc_wb)
wire             wb_busy;
wire             upd_wgt_rd_en, upd_bias_rd_en;
wire [WAW-1:0]   upd_wgt_rd_addr;
wire [BAW-1:0]   upd_bias_rd_addr;

// index entry read the cycle before: fields of the mode's list (forward or backward)
assign idx_kx = is_bwd ? bidx_rd_data[K_W-1:0] : fidx_rd_data[K_W-1:0];
assign idx_ky = is_bwd ? bidx_rd_data[2*K_W-1:K_W] : fidx_rd_data[2*K_W-1:K_W];
assign idx_ch = is_bwd ? {{(16-N_W){1'b0}}, bidx_rd_data[2*K_W +: N_W]}
                       : {{(16-C_W){1'b0}}, fidx_rd_data[2*K_W +: C_W]};
assign idx_waddr = bidx_rd_data[2*K_W+N_W +: WAW];

wire busy_now = i_valid || mac_busy || wb_busy;
generate
    if (BUSY_REG) begin : g_busy_reg
        reg busy_reg;
        always @(posedge clk) begin
            busy_reg <= busy_now;
            if (rst) begin
                busy_reg <= 1'b0;
            end
        end
        assign busy = busy_reg;
    end else begin : g_busy_now
        assign busy = busy_now;
    end
endgenerate
assign fidx_rd_en = i_valid && !is_bwd && !is_update;
assign bidx_rd_en = i_valid && is_bwd;
assign idx_rd_addr = i_a;
// weight and bias reads: the conv pipeline (FWD bias: the generator) or UPDATE
assign wgt_rd_en = is_update ? upd_wgt_rd_en : mac_wgt_rd_en;
assign wgt_rd_addr = is_update ? upd_wgt_rd_addr : mac_wgt_rd_addr;
assign bias_rd_en = is_update ? upd_bias_rd_en : gen_bias_en;
assign bias_rd_addr = is_update ? upd_bias_rd_addr : gen_bias_addr;
assign fma_req = {fma_en, fma_s2, fma_row, fma_x};

uc_gen #(
    .UPD_K(UPD_K), .UPD_LB(UPD_LB),
    .LANES(LANES), .KMAX(KMAX), .FM_AW(FM_AW), .WAW(WAW), .PAW(PAW), .BAW(BAW)
) u_gen (
    .clk(clk), .rst(rst),
    .run_start(run_start), .running(running), .hold(hold), .done(done),
    .is_fwd(is_fwd), .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update), .s2(s2),
    .bgrad(bgrad), .rmask(rmask), .pad_odd(pad[0]), .h(h), .w(w), .ho(ho), .wo(wo), .rw_x(rw_x), .rw_y(rw_y),
    .plane_x(plane_x), .plane_y(plane_y), .ngrp(ngrp), .flat(flat), .lw(lw),
    .n_ptrs(e_n_ptrs), .ptr_base(e_ptr_base),
    .og_base(e_og_base), .x_base(e_x_base), .y_base(e_y_base), .bias_base(e_bias_base),
    .ptr_rd_en(ptr_rd_en), .ptr_rd_addr(ptr_rd_addr), .ptr_rd_data(ptr_rd_data),
    .bias_rd_en(gen_bias_en), .bias_rd_addr(gen_bias_addr), .bias_rd_data(bias_rd_data),
    .i_valid(i_valid), .i_first(i_first), .i_last(i_last), .i_zero(i_zero), .i_ones(i_ones),
    .i_bsum(i_bsum), .i_a(i_a), .i_og(i_og), .i_y(i_y), .i_x0(i_x0), .i_xc(i_xc), .i_orow(i_orow),
    .i_bias(i_bias), .i_omask(i_omask)
);

uc_mac #(
    .LANES(LANES), .KMAX(KMAX), .FM_AW(FM_AW), .WAW(WAW), .PAW(PAW), .BAW(BAW)
) u_mac (
    .clk(clk), .rst(rst),
    .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update), .s2(s2),
    .dil(dil), .pad(pad), .h(h), .w(w), .ho(ho), .wo(wo), .rw_x(rw_x), .rw_y(rw_y),
    .x_base(x_base), .y_base(y_base), .flat(flat), .fh(fh), .fw(fw), .lw(lw),
    .rmask(rmask), .m_delta(m_delta), .busy(mac_busy),
    .i_valid(i_valid), .i_first(i_first), .i_last(i_last), .i_zero(i_zero), .i_ones(i_ones),
    .i_bsum(i_bsum), .i_a(i_a), .i_og(i_og), .i_y(i_y), .i_x0(i_x0), .i_xc(i_xc), .i_orow(i_orow),
    .i_bias(i_bias), .i_omask(i_omask),
    .fidx_kx(fidx_rd_data[K_W-1:0]), .fidx_ky(fidx_rd_data[2*K_W-1:K_W]),
    .bidx_kx(bidx_rd_data[K_W-1:0]), .bidx_ky(bidx_rd_data[2*K_W-1:K_W]),
    .idx_ch(idx_ch), .idx_waddr(idx_waddr),
    .p1_ones(p1_ones), .p1_a(p1_a), .p1_og(p1_og),
    .wgt_rd_en(mac_wgt_rd_en), .wgt_rd_addr(mac_wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .fma_en(fma_en), .fma_row(fma_row), .fma_x(fma_x), .fma_s2(fma_s2), .fma_rdata(fma_rdata),
    .fmb_rd_en(fmb_rd_en), .fmb_rd_row(fmb_rd_row), .fmb_rd_x(fmb_rd_x), .fmb_rdata(fmb_rdata),
    .fmb_rd_nx_en(fmb_rd_nx_en), .fmb_rd_nx_row(fmb_rd_nx_row), .fmb_rd_nx_x(fmb_rd_nx_x),
    .o_valid(o_valid), .o_ones(o_ones), .o_bsum(o_bsum), .o_bacc(o_bacc), .o_a(o_a),
    .o_og(o_og), .o_x0(o_x0), .o_orow(o_orow), .o_omask(o_omask), .o_acc(o_acc)
);

uc_wb #(
    .OWN_SEL(OWN_SEL),
    .LANES(LANES), .KMAX(KMAX), .FM_AW(FM_AW), .WAW(WAW), .PAW(PAW), .BAW(BAW)
) u_wb (
    .clk(clk), .rst(rst),
    .is_fwd(is_fwd), .is_bwd(is_bwd), .is_wgrad(is_wgrad), .is_update(is_update),
    .shift(shift), .relu(relu), .gacc(gacc), .bias_base(bias_base),
    .lr_mult(lr_mult), .lr_shift(lr_shift), .lr_mult_b(lr_mult_b), .lr_shift_b(lr_shift_b),
    .busy(wb_busy),
    .i_valid(i_valid), .i_ones(i_ones), .i_a(i_a), .i_og(i_og),
    .p1_ones(p1_ones), .p1_a(p1_a), .p1_og(p1_og),
    .o_valid(o_valid), .o_ones(o_ones), .o_bsum(o_bsum), .o_bacc(o_bacc), .o_a(o_a),
    .o_og(o_og), .o_x0(o_x0), .o_orow(o_orow), .o_omask(o_omask), .o_acc(o_acc),
    .fmb_wr_en(fmb_wr_en), .fmb_we(fmb_we), .fmb_wr_row(fmb_wr_row),
    .fmb_wr_x(fmb_wr_x), .fmb_wdata(fmb_wdata), .fmb_wmask(fmb_wmask),
    .upd_wgt_rd_en(upd_wgt_rd_en), .upd_wgt_rd_addr(upd_wgt_rd_addr), .wgt_rd_data(wgt_rd_data),
    .upd_bias_rd_en(upd_bias_rd_en), .upd_bias_rd_addr(upd_bias_rd_addr),
    .bias_rd_data(bias_rd_data),
    .wgt_wr_en(wgt_wr_en), .wgt_wr_addr(wgt_wr_addr), .wgt_wr_data(wgt_wr_data),
    .grad_rd_en(grad_rd_en), .grad_rd_addr(grad_rd_addr), .grad_rd_data(grad_rd_data),
    .upd_grad_rd_data(upd_grad_rd_data), .upd_bgrad_rd_data(upd_bgrad_rd_data),
    .grad_wr_en(grad_wr_en), .grad_wr_addr(grad_wr_addr), .grad_wr_data(grad_wr_data),
    .bias_wr_en(bias_wr_en), .bias_wr_addr(bias_wr_addr), .bias_wr_data(bias_wr_data),
    .bgrad_rd_en(bgrad_rd_en), .bgrad_rd_addr(bgrad_rd_addr), .bgrad_rd_data(bgrad_rd_data),
    .bgrad_wr_en(bgrad_wr_en), .bgrad_wr_addr(bgrad_wr_addr), .bgrad_wr_data(bgrad_wr_data)
);

`undef ACCEL_DEFS_VH
endmodule

`resetall
