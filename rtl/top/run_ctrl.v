/*
 * Run control beside the sequencer: the counters of a run (CNT_TOTAL, CNT_UC, CNT_POOL, CNT_LC,
 * CNT_DMA, N_CORRECT, LOSS_SUM; docs/registers.md) and the stop of a run by CTRL.SOFT_RESET or
 * the WATCHDOG limit.
 *
 * A stop raises stop_pending (the DMA's abort: it finishes its AXI burst by the protocol and
 * takes no new transfer); once the DMA is idle, stop_now is high for one cycle and the sequencer,
 * the DMA and the units are reset. stop_wd says the stop is the watchdog's (the run then ends
 * with ERR WATCHDOG). The counters are cleared by a run's start and by rst only: a stopped run's
 * values stay readable.
 *
 * Parameters: none.
 *
 * Latency: counters count the cycle they are told about and read one cycle later; stop_pending
 * rises the cycle after the soft reset pulse or the watchdog limit.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module run_ctrl
(
    input  wire        clk,
    input  wire        rst,

    // what the sequencer does this cycle
    input  wire        run_start,       // idle and START: clear the counters (CNT_TOTAL = 1)
    input  wire        running,         // not idle
    input  wire        ending,          // the run's last cycle (its done goes out now)
    input  wire        dma_active,      // in a program fetch, LOAD or STORE
    input  wire        loss_take,       // a loss unit answered OK ...
    input  wire        loss_hit,        // ... its predicted class is the label ...
    input  wire [15:0] loss_val,        // ... and this is its loss (Q8)

    // busy units
`include "top_busy_ports.vh"

    // counters
`include "top_cnt_ports.vh"

    // stop
    input  wire        soft_reset,      // pulse: CTRL.SOFT_RESET
    input  wire [31:0] watchdog,        // cycle limit of a run (0 = off)
    input  wire        dma_idle,
    output wire        stop_pending,    // a stop is under way: dispatch nothing, abort the DMA
    output wire        stop_wd,         // ... and it is the watchdog's
    output wire        stop_now         // the DMA is idle: reset the run now (one cycle)
);

reg        stop_pending_reg, stop_pending_next;
reg        stop_wd_reg, stop_wd_next;
reg [31:0] cnt_total_reg, cnt_total_next;
reg [31:0] cnt_uc_reg, cnt_uc_next;
reg [31:0] cnt_pool_reg, cnt_pool_next;
reg [31:0] cnt_lc_reg, cnt_lc_next;
reg [31:0] cnt_dma_reg, cnt_dma_next;
reg [31:0] n_correct_reg, n_correct_next;
reg [31:0] loss_sum_reg, loss_sum_next;

// not in a run's last cycle: that run already ends with its own done (never a second one)
wire wd_fire = watchdog != 32'd0 && running && !ending && !stop_pending_reg &&
               cnt_total_reg >= watchdog;

assign stop_pending = stop_pending_reg;
assign stop_wd = stop_wd_reg;
assign stop_now = stop_pending_reg && dma_idle;
assign cnt_total = cnt_total_reg;
assign cnt_uc = cnt_uc_reg;
assign cnt_pool = cnt_pool_reg;
assign cnt_lc = cnt_lc_reg;
assign cnt_dma = cnt_dma_reg;
assign n_correct = n_correct_reg;
assign loss_sum = loss_sum_reg;

always @* begin
    stop_pending_next = stop_pending_reg;
    stop_wd_next = stop_wd_reg;
    cnt_total_next = cnt_total_reg;
    cnt_uc_next = cnt_uc_reg;
    cnt_pool_next = cnt_pool_reg;
    cnt_lc_next = cnt_lc_reg;
    cnt_dma_next = cnt_dma_reg;
    n_correct_next = n_correct_reg;
    loss_sum_next = loss_sum_reg;

    if (stop_now) begin
        stop_pending_next = 1'b0;
        stop_wd_next = 1'b0;
    end else if (soft_reset) begin
        stop_pending_next = 1'b1;
        stop_wd_next = 1'b0;
    end else if (wd_fire) begin
        stop_pending_next = 1'b1;
        stop_wd_next = 1'b1;
    end

    if (run_start) begin
        cnt_total_next = 32'd1;
        cnt_uc_next = 32'd0;
        cnt_pool_next = 32'd0;
        cnt_lc_next = 32'd0;
        cnt_dma_next = 32'd0;
        n_correct_next = 32'd0;
        loss_sum_next = 32'd0;
    end else begin
        if (running) begin
            cnt_total_next = cnt_total_reg + 1'b1;
        end
        if (uc_busy) begin
            cnt_uc_next = cnt_uc_reg + 1'b1;
        end
        if (mp_busy || gap_busy) begin
            cnt_pool_next = cnt_pool_reg + 1'b1;
        end
        if (lc_busy || loss_busy) begin
            cnt_lc_next = cnt_lc_reg + 1'b1;
        end
        if (dma_active) begin
            cnt_dma_next = cnt_dma_reg + 1'b1;
        end
        if (loss_take) begin
            n_correct_next = n_correct_reg + {31'd0, loss_hit};
            loss_sum_next = loss_sum_reg + {16'd0, loss_val};
        end
    end
end

always @(posedge clk) begin
    stop_pending_reg <= stop_pending_next;
    stop_wd_reg <= stop_wd_next;
    cnt_total_reg <= cnt_total_next;
    cnt_uc_reg <= cnt_uc_next;
    cnt_pool_reg <= cnt_pool_next;
    cnt_lc_reg <= cnt_lc_next;
    cnt_dma_reg <= cnt_dma_next;
    n_correct_reg <= n_correct_next;
    loss_sum_reg <= loss_sum_next;

    if (rst) begin
        stop_pending_reg <= 1'b0;
        stop_wd_reg <= 1'b0;
        cnt_total_reg <= 32'd0;
        cnt_uc_reg <= 32'd0;
        cnt_pool_reg <= 32'd0;
        cnt_lc_reg <= 32'd0;
        cnt_dma_reg <= 32'd0;
        n_correct_reg <= 32'd0;
        loss_sum_reg <= 32'd0;
    end
end

endmodule

`resetall
