/*
 * Descriptor sequencer of the accelerator: fetches a program of 64-byte descriptors
 * (docs/program.md) from host memory into its program memory with one DMA transfer, then runs
 * it from index 0 without host help: LOAD / STORE through the DMA and the memories' host port,
 * one level of LOOP / ENDLOOP, unit commands (one unit at a time, as a one-cycle pulse to an idle
 * unit), END; the error code and pc of a failing descriptor (docs/registers.md). Its parts:
 * seq_prog (the program memory and its fill); seq_loop (the loop state); seq_units (the unit
 * opcodes, command pulses and responses); xfer_check (the checks of a LOAD / STORE and of the
 * program fetch); ldst_mover (the words of a LOAD / STORE between the DMA and the memories'
 * host port); run_ctrl (the run's counters CNT_*, N_CORRECT, LOSS_SUM, and the stop: a soft
 * reset or the watchdog aborts the DMA, which finishes its AXI burst by the protocol; once the
 * DMA is idle, core_rst resets the sequencer, the DMA and the units for one cycle).
 *
 * Parameters: the top's LANES, KMAX, NMAX (memory word widths), FM_DEPTH, WDEPTH, PDEPTH, BDEPTH
 * (LOAD / STORE range checks) and PROG_DEPTH (rtl/common/top_seq_params.vh).
 *
 * Latency: a descriptor costs its unit's cycles (or its DMA transfer) plus 4 cycles of read
 * (S_RD0, S_RD1), decode (S_EXEC) and dispatch; a LOAD / STORE 6 more (S_XCHK: xfer_check's
 * pipelined checks); a STORE word costs 2 cycles plus its beats.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module sequencer #
(
`include "top_seq_params.vh"
)
(
    input  wire             clk,
    input  wire             rst,

    // control and status registers (axil_regs)
    input  wire             start,          // pulse: run the program
    input  wire             soft_reset,     // pulse: stop and reset
    input  wire [31:0]      prog_addr,
    input  wire [15:0]      prog_len,
    input  wire [31:0]      watchdog,       // cycle limit of a run (0 = off)
    output wire             busy,
    output wire             done,           // pulse: the run ended (END, error or watchdog)
    output wire [7:0]       err_code,
    output wire [15:0]      err_pc,
`include "top_cnt_ports.vh"

    // stop: abort the DMA, then reset everything but the registers once it is idle
    output wire             stop_pending,
    input  wire             dma_idle,
    output wire             core_rst,       // rst, or the end of a stop (one cycle)

    // DMA: one transfer at a time, commanded with a one-cycle pulse while the DMA is idle
    output wire             m_dma_cmd_valid,
    output wire             m_dma_cmd_dir,  // 0 host -> chip, 1 chip -> host
    output wire [31:0]      m_dma_cmd_addr,
    output wire [23:0]      m_dma_cmd_len,
    // its words, and the memories' host port (ldst_mover moves the words of a LOAD / STORE)
`include "top_ldst_ports.vh"

    // unit commands (one-cycle pulses to an idle unit) and responses (always taken)
`include "top_unit_ports.vh"
    input  wire [15:0]      loss_rsp_pred,
    input  wire [15:0]      loss_rsp_loss,
`include "top_busy_ports.vh"

    // the descriptor being run: the units' command fields are slices of it
    output wire [511:0]     desc,
    output wire             cmd_gacc,       // UC / LC gacc: flag gacc, or gacc_auto after iteration 0
    output wire [15:0]      label           // the last LOAD LABEL (16'hffff: out of range)
);

localparam BANKS = 2 * LANES;
localparam HST_W = (BANKS * 16 > 64) ? BANKS * 16 : 64;

// the sequencer's own opcodes (docs/program.md; the unit opcodes: seq_units)
localparam [7:0] OP_END = 8'h00, OP_LOAD = 8'h01, OP_STORE = 8'h02, OP_LOOP = 8'h03,
                 OP_ENDLOOP = 8'h04;
// error codes (docs/registers.md; the unit error classes: seq_units)
localparam [7:0] E_NONE = 8'h00, E_OPCODE = 8'h01, E_AXI = 8'h02, E_DMA = 8'h03,
                 E_LOOP = 8'h04, E_PROG = 8'h05, E_RUNAWAY = 8'h06, E_WATCHDOG = 8'h07;

// states
localparam [3:0] S_IDLE = 4'd0,         // wait for start
                 S_FETCH = 4'd1,        // program -> program memory (DMA read)
                 S_RD0 = 4'd2,          // pc on the program memory's read port; runaway check
                 S_RD1 = 4'd3,          // descriptor and its reserved-bit check -> desc
                 S_EXEC = 4'd4,         // decode and dispatch
                 S_XFER = 4'd5,         // LOAD / STORE: ldst_mover and the DMA at work
                 S_UNIT = 4'd6,         // the command pulse is on the unit's port
                 S_UNIT_WAIT = 4'd7,    // wait for the unit's response
                 S_END = 4'd8,          // done pulse, back to idle
                 S_XCHK = 4'd9;         // LOAD / STORE: xfer_check's registered checks settle

// xfer_check's latency (its registered stages) on a stable descriptor
localparam [2:0] XCHK_LAT = 3'd6;

reg [3:0]      state_reg, state_next;
reg [15:0]     pc_reg, pc_next;
reg [511:0]    desc_reg, desc_next;             // fetch: assembled descriptor; run: current one
reg            desc_bad_reg, desc_bad_next;     // desc has a reserved bit set ...
reg [7:0]      desc_err_reg, desc_err_next;     // ... and this is its error code
reg [7:0]      err_code_reg, err_code_next;
reg            done_reg, done_next;
reg            dma_cmd_valid_reg, dma_cmd_valid_next;
reg            dma_cmd_dir_reg, dma_cmd_dir_next;
reg [31:0]     dma_cmd_addr_reg, dma_cmd_addr_next;
reg [23:0]     dma_cmd_len_reg, dma_cmd_len_next;
reg            xfer_start;                      // combinational: start ldst_mover ...
reg            fetch_start;                     // ... start the program fetch (seq_prog) ...
reg            loop_enter, loop_step;           // ... LOOP, ENDLOOP in a loop (seq_loop) ...
reg            unit_issue;                      // ... a unit command (seq_units)
reg [2:0]      xchk_reg, xchk_next;             // S_XCHK cycles

// descriptor fields (of desc = desc_reg): the sequencer uses d_op, d_sel and d_w1 .. d_w4
`include "top_desc_fields.vh"

wire run_start = state_reg == S_IDLE && start;
wire stop_wd, stop_now;

// unit commands: the pulse to the descriptor's unit; the response of whichever unit ran, and
// the error class it maps to
wire       unit_op, rsp_valid;
wire [3:0] rsp_status;
wire [7:0] rsp_err;

seq_units u_units (
    .clk(clk), .rst(rst),
    .op(d_op), .unit_op(unit_op), .issue(unit_issue), .stop(stop_now),
`include "top_unit_conns.vh"
    .rsp_valid(rsp_valid), .rsp_status(rsp_status), .rsp_err(rsp_err)
);

// program memory: filled by the fetch (desc assembles each descriptor), read at pc
wire [3:0]   fetch_beat;
wire         past_end;
wire [511:0] rd_desc;
wire         rd_desc_bad;       // its reserved-bit check, done at the fetch (seq_prog)
wire [7:0]   rd_desc_err;

seq_prog #(.PROG_DEPTH(PROG_DEPTH)) u_prog (
    .clk(clk), .rst(rst),
    .run_start(run_start), .prog_len(prog_len), .fetch_start(fetch_start),
    .beat_valid(state_reg == S_FETCH && s_dma_rd_valid), .fetch_beat(fetch_beat),
    .wr_desc(desc_reg), .stop(stop_now),
    .pc(pc_reg), .rd_desc(rd_desc), .rd_bad(rd_desc_bad), .rd_err(rd_desc_err),
    .past_end(past_end)
);

// loop state (one level)
wire        in_loop, loop_again;
wire [15:0] loop_pc;
wire [31:0] loop_iter;

seq_loop u_loop (
    .clk(clk), .rst(rst),
    .run_start(run_start), .enter(loop_enter), .enter_pc(pc_reg + 1'b1), .enter_count(d_w1),
    .step(loop_step), .stop(stop_now),
    .in_loop(in_loop), .loop_pc(loop_pc), .loop_iter(loop_iter), .again(loop_again)
);

// checks of a LOAD / STORE (ERR DMA) and of the program fetch (ERR PROG)
wire [5:0]  beats;
wire [31:0] host_first;
wire        xfer_bad, prog_bad;

xfer_check #(
`include "top_seq_param_conns.vh"
) u_xfer_check (
    .clk(clk),
    .store(d_op == OP_STORE), .sel(d_sel), .host_addr(d_w1), .count(d_w2), .chip_addr(d_w3),
    .host_step(d_w4), .in_loop(in_loop), .loop_iter(loop_iter),
    .beats(beats), .host_first(host_first), .xfer_bad(xfer_bad),
    .prog_addr(prog_addr), .prog_len(prog_len), .prog_bad(prog_bad)
);

// the words of a LOAD / STORE (reset with the run: core_rst)
wire xfer_finish;

ldst_mover #(.HST_W(HST_W)) u_mover (
    .clk(clk), .rst(core_rst),
    .start(xfer_start), .start_store(d_op == OP_STORE), .start_sel(d_sel), .start_count(d_w2),
    .start_addr(d_w3), .start_beats(beats), .finish(xfer_finish),
    .dma_done(dma_done), .dma_err(dma_err),
    .s_dma_rd_valid(s_dma_rd_valid), .s_dma_rd_data(s_dma_rd_data),
    .s_dma_rd_err(s_dma_rd_err),
    .m_dma_wr_valid(m_dma_wr_valid), .m_dma_wr_ready(m_dma_wr_ready), .m_dma_wr_data(m_dma_wr_data),
    .hp_sel(hp_sel), .hp_addr(hp_addr), .hp_we(hp_we), .hp_wdata(hp_wdata), .hp_rdata(hp_rdata),
    .label(label)
);

// counters of the run and the stop (soft reset, watchdog)
run_ctrl u_run_ctrl (
    .clk(clk), .rst(rst),
    .run_start(run_start), .running(state_reg != S_IDLE),
    .ending(state_reg == S_END),
    .dma_active(state_reg == S_FETCH || state_reg == S_XFER),
    .loss_take(state_reg == S_UNIT_WAIT && rsp_valid && rsp_status == 4'd0 && loss_rsp_valid),
    .loss_hit(loss_rsp_pred == label), .loss_val(loss_rsp_loss),
    .uc_busy(uc_busy), .mp_busy(mp_busy), .gap_busy(gap_busy), .lc_busy(lc_busy),
    .loss_busy(loss_busy),
    .soft_reset(soft_reset), .watchdog(watchdog), .dma_idle(dma_idle),
    .stop_pending(stop_pending), .stop_wd(stop_wd), .stop_now(stop_now),
    .cnt_total(cnt_total), .cnt_uc(cnt_uc), .cnt_pool(cnt_pool), .cnt_lc(cnt_lc),
    .cnt_dma(cnt_dma), .n_correct(n_correct), .loss_sum(loss_sum)
);

assign busy = state_reg != S_IDLE || stop_pending;
assign done = done_reg;
assign err_code = err_code_reg;
assign err_pc = pc_reg;
assign core_rst = rst || stop_now;
assign m_dma_cmd_valid = dma_cmd_valid_reg;
assign m_dma_cmd_dir = dma_cmd_dir_reg;
assign m_dma_cmd_addr = dma_cmd_addr_reg;
assign m_dma_cmd_len = dma_cmd_len_reg;
assign desc = desc_reg;
assign cmd_gacc = desc_reg[18] || (desc_reg[19] && loop_iter != 32'd0);

always @* begin
    state_next = state_reg;
    pc_next = pc_reg;
    desc_next = desc_reg;
    desc_bad_next = desc_bad_reg;
    desc_err_next = desc_err_reg;
    err_code_next = err_code_reg;
    done_next = 1'b0;
    dma_cmd_valid_next = 1'b0;
    dma_cmd_dir_next = dma_cmd_dir_reg;
    dma_cmd_addr_next = dma_cmd_addr_reg;
    dma_cmd_len_next = dma_cmd_len_reg;
    unit_issue = 1'b0;
    xfer_start = 1'b0;
    fetch_start = 1'b0;
    loop_enter = 1'b0;
    loop_step = 1'b0;
    xchk_next = xchk_reg;

    case (state_reg)
    S_IDLE: begin
        if (start) begin
            // seq_prog latches PROG_LEN, seq_loop leaves any loop (run_start)
            pc_next = 16'd0;
            err_code_next = E_NONE;
            if (prog_bad) begin
                err_code_next = E_PROG;
                state_next = S_END;
            end else begin
                dma_cmd_valid_next = 1'b1;
                dma_cmd_dir_next = 1'b0;
                dma_cmd_addr_next = prog_addr;
                dma_cmd_len_next = {4'd0, prog_len, 4'd0};
                fetch_start = 1'b1;
                state_next = S_FETCH;
            end
        end
    end
    S_FETCH: begin
        // seq_prog counts the beats and writes each assembled descriptor
        if (s_dma_rd_valid) begin
            desc_next[32*fetch_beat +: 32] = s_dma_rd_data;
        end
        if (dma_done) begin
            if (dma_err) begin
                err_code_next = E_AXI;
                state_next = S_END;
            end else begin
                state_next = S_RD0;
            end
        end
    end
    S_RD0: begin
        if (past_end) begin
            err_code_next = E_RUNAWAY;
            state_next = S_END;
        end else begin
            state_next = S_RD1;
        end
    end
    S_RD1: begin
        desc_next = rd_desc;
        desc_bad_next = rd_desc_bad;
        desc_err_next = rd_desc_err;
        state_next = S_EXEC;
    end
    S_EXEC: begin
        // a pending stop dispatches nothing more
        if (stop_pending) begin
            state_next = S_EXEC;
        end else if (desc_bad_reg) begin
            err_code_next = desc_err_reg;
            state_next = S_END;
        end else begin
            case (d_op)
            OP_END: begin
                state_next = S_END;
            end
            OP_LOOP: begin
                if (in_loop || d_w1 == 32'd0) begin
                    err_code_next = E_LOOP;
                    state_next = S_END;
                end else begin
                    loop_enter = 1'b1;
                    pc_next = pc_reg + 1'b1;
                    state_next = S_RD0;
                end
            end
            OP_ENDLOOP: begin
                if (!in_loop) begin
                    err_code_next = E_LOOP;
                    state_next = S_END;
                end else begin
                    // seq_loop counts the iteration, or leaves the loop after the last
                    loop_step = 1'b1;
                    pc_next = loop_again ? loop_pc : pc_reg + 1'b1;
                    state_next = S_RD0;
                end
            end
            OP_LOAD, OP_STORE: begin
                // the checks and the host address take xfer_check's XCHK_LAT cycles
                xchk_next = 3'd0;
                state_next = S_XCHK;
            end
            default: begin
                // a unit command: seq_units pulses the unit's command valid
                if (unit_op) begin
                    unit_issue = 1'b1;
                    state_next = S_UNIT;
                end else begin
                    err_code_next = E_OPCODE;
                    state_next = S_END;
                end
            end
            endcase
        end
    end
    S_XCHK: begin
        // a pending stop dispatches nothing more (as in S_EXEC)
        if (xchk_reg != XCHK_LAT - 3'd1) begin
            xchk_next = xchk_reg + 3'd1;
        end else if (!stop_pending) begin
            if (xfer_bad) begin
                err_code_next = E_DMA;
                state_next = S_END;
            end else begin
                xfer_start = 1'b1;
                dma_cmd_valid_next = 1'b1;
                dma_cmd_dir_next = (d_op == OP_STORE);
                dma_cmd_addr_next = host_first;
                // the length only once checked: the DMA's command never holds an unchecked count
                dma_cmd_len_next = d_w2[23:0] * {18'd0, beats};
                state_next = S_XFER;
            end
        end
    end
    S_XFER: begin
        // ldst_mover ends the transfer with the DMA's done, or early with a write error
        if (xfer_finish) begin
            if (dma_err) begin
                err_code_next = E_AXI;
                state_next = S_END;
            end else begin
                pc_next = pc_reg + 1'b1;
                state_next = S_RD0;
            end
        end
    end
    S_UNIT: begin
        // the unit takes the command in the cycle its valid is high (it is idle)
        state_next = S_UNIT_WAIT;
    end
    S_UNIT_WAIT: begin
        // run_ctrl counts a loss unit's answer (N_CORRECT, LOSS_SUM)
        if (rsp_valid) begin
            if (rsp_status != 4'd0) begin
                err_code_next = rsp_err | {4'd0, rsp_status};
                state_next = S_END;
            end else begin
                pc_next = pc_reg + 1'b1;
                state_next = S_RD0;
            end
        end
    end
    default: begin
        // S_END; with a stop pending the stop ends the run instead (one done, or none after a
        // soft reset), so a run never reports two ends
        if (!stop_pending) begin
            done_next = 1'b1;
            state_next = S_IDLE;
        end
    end
    endcase

    // the end of a stop resets the run's control state; a watchdog stop ends the run with an
    // error (done, irq), a soft reset quietly (rst: the clocked block)
    if (stop_now) begin
        state_next = S_IDLE;
        err_code_next = stop_wd ? E_WATCHDOG : E_NONE;
        done_next = stop_wd;
        desc_bad_next = 1'b0;
        dma_cmd_valid_next = 1'b0;
    end
end

always @(posedge clk) begin
    state_reg <= state_next;
    pc_reg <= pc_next;
    desc_reg <= desc_next;
    desc_bad_reg <= desc_bad_next;
    desc_err_reg <= desc_err_next;
    err_code_reg <= err_code_next;
    done_reg <= done_next;
    dma_cmd_valid_reg <= dma_cmd_valid_next;
    dma_cmd_dir_reg <= dma_cmd_dir_next;
    dma_cmd_addr_reg <= dma_cmd_addr_next;
    dma_cmd_len_reg <= dma_cmd_len_next;
    xchk_reg <= xchk_next;

    // control state only
    if (rst) begin
        state_reg <= S_IDLE;
        err_code_reg <= E_NONE;
        done_reg <= 1'b0;
        desc_bad_reg <= 1'b0;
        dma_cmd_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
